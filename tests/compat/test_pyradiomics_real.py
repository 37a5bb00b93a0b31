"""Every image type on the real cases of ../shared/data/pyradiomics-cases, against
PyRadiomics 3.0.1 (committed fixture ``expected_real.json``, made by
``benchmarks/make_pyradiomics_real_fixtures.py``).

Original, LoG (sigma 1 and 3 mm), Wavelet, Square, SquareRoot, Logarithm, Exponential,
Gradient, LBP2D and LBP3D, all seven classes, in 3D (binWidth 25) and with force2D
(binCount 32): one test id per (parameter set, case, feature), each within 1e-6 relative
(1e-9 absolute near zero). Skips when ../shared is absent.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from radiomix.compat import featureextractor

DATA = Path(__file__).resolve().parents[1] / "data" / "pyradiomics_compat"
REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "pyradiomics-cases"
EXPECTED: dict[str, dict[str, Any]] = json.loads((DATA / "expected_real.json").read_text())
REL, ABS = 1e-6, 1e-9

#: values where PyRadiomics' own result depends on the machine, checked within PyRadiomics'
#: 3 % test tolerance instead: LBP3D's icosphere vertices come from trimesh's
#: ``np.dot(v**2, [1, 1, 1])``, whose rounding follows the CPU's OpenBLAS kernel ((x + y) + z
#: on the AMD machine that made this fixture, (x + z) + y where the other fixtures were made
#: and radiomix reproduces). The lbp-3D-m2 map then differs in the last bit (7e-15), and
#: brain1's has 16 voxels tied at its 10th percentile, of which a different number fall
#: inside [P10, P90]: RobustMeanAbsoluteDeviation moves by 0.4 %.
MACHINE_DEPENDENT = {
    (p, "brain1", "lbp-3D-m2_firstorder_RobustMeanAbsoluteDeviation")
    for p in ("all_types_3d", "all_types_force2d")
}
PYRADIOMICS_TOLERANCE = 0.03

pytestmark = pytest.mark.skipif(
    not REAL.is_dir(), reason=f"needs the real PyRadiomics cases in {REAL} (../shared)"
)


@cache
def _result(params: str, case: str) -> dict[str, Any]:
    ext = featureextractor.RadiomicsFeatureExtractor(EXPECTED[params]["params"])
    res = ext.execute(str(REAL / f"{case}_image.nrrd"), str(REAL / f"{case}_label.nrrd"))
    return {k: v for k, v in res.items() if not k.startswith("diagnostics_")}


IDS = [
    (p, case, i)
    for p, fx in EXPECTED.items()
    for case in fx["cases"]
    for i in range(len(fx["keys"]))
]


@pytest.mark.parametrize(
    ("params", "case", "index"),
    IDS,
    ids=[f"{p}/{c}/{EXPECTED[p]['keys'][i]}" for p, c, i in IDS],
)
def test_value_matches_pyradiomics(params: str, case: str, index: int) -> None:
    key = EXPECTED[params]["keys"][index]
    want = EXPECTED[params]["cases"][case][index]
    got = _result(params, case).get(key)
    assert got is not None, f"{key} missing from radiomix's result"
    got = float(got)
    if math.isnan(want):
        assert math.isnan(got)
        return
    rel = PYRADIOMICS_TOLERANCE if (params, case, key) in MACHINE_DEPENDENT else REL
    assert abs(got - want) <= max(rel * abs(want), ABS), (got, want)


@pytest.mark.parametrize(
    ("params", "case"), [(p, c) for p in EXPECTED for c in EXPECTED[p]["cases"]]
)
def test_keys_in_pyradiomics_order(params: str, case: str) -> None:
    assert list(_result(params, case)) == EXPECTED[params]["keys"]
