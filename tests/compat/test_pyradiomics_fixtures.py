"""radiomix's pyradiomics profile against values PyRadiomics 3.0.1 computed (committed fixtures).

The fixtures (tests/data/pyradiomics_compat, made by benchmarks/make_pyradiomics_fixtures.py)
hold three small synthetic CT/MR-like cases, four PyRadiomics parameter files and
PyRadiomics' feature vectors for each pair. One test id per (parameter file, case, feature):
every value must agree within 1e-6 relative (1e-9 absolute near zero).
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
EXPECTED: dict[str, dict[str, dict[str, Any]]] = json.loads(
    (DATA / "expected.json").read_text(encoding="utf-8")
)
REL, ABS = 1e-6, 1e-9

#: diagnostics radiomix does not reproduce (see docs/pyradiomics-profile.md)
NOT_REPRODUCED = {
    "diagnostics_Versions_PyRadiomics",
    "diagnostics_Versions_Numpy",
    "diagnostics_Versions_SimpleITK",
    "diagnostics_Versions_PyWavelet",
    "diagnostics_Versions_Python",
    "diagnostics_Versions_radiomix",
}


@cache
def _result(params: str, case: str) -> dict[str, Any]:
    ext = featureextractor.RadiomicsFeatureExtractor(str(DATA / f"params_{params}.yaml"))
    return dict(ext.execute(str(DATA / f"{case}_image.nrrd"), str(DATA / f"{case}_label.nrrd")))


def _ids() -> list[tuple[str, str, str]]:
    return [
        (p, c, k)
        for p, cases in EXPECTED.items()
        for c, feats in cases.items()
        for k in feats
        if k not in NOT_REPRODUCED
    ]


CASES = _ids()


@pytest.mark.parametrize(("params", "case", "key"), CASES, ids=["/".join(c) for c in CASES])
def test_value_matches_pyradiomics(params: str, case: str, key: str) -> None:
    want = EXPECTED[params][case][key]
    got = _result(params, case).get(key)
    assert got is not None, f"{key} missing from radiomix's result"
    if isinstance(want, str):
        assert str(got) == want
        return
    got = float(got)
    if math.isnan(want):
        assert math.isnan(got)
        return
    assert abs(got - want) <= max(REL * abs(want), ABS), (got, want)


@pytest.mark.parametrize("params", sorted(EXPECTED))
def test_keys_in_pyradiomics_order(params: str) -> None:
    for case, feats in EXPECTED[params].items():
        want = [k for k in feats if k not in NOT_REPRODUCED]
        got = [k for k in _result(params, case) if k not in NOT_REPRODUCED]
        assert got == want, case
