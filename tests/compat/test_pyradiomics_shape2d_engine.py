"""shape2D is the 2D morphology family: PyRadiomics 3.0.1's values of small masks from the
engine's formulas with ``covariance_ddof`` 0, the IBSI convention's (the default, 1) apart.

The reference values are PyRadiomics 3.0.1's ``RadiomicsShape2D`` on these masks (2D
images, spacing 1.5 mm along x = columns and 0.5 mm along y = rows, the mask padded with one
background pixel); the live test reruns PyRadiomics where benchmarks/.venv-pyradiomics
exists.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

from radiomix.features import morphology_2d
from radiomix.features import pyradiomics_profile as prof

ROOT = Path(__file__).resolve().parents[2]
PYRADIOMICS = ROOT / "benchmarks" / ".venv-pyradiomics" / "bin" / "python"
SPACING = (0.5, 1.5)  # (rows, columns) mm
MASKS = {
    "block": np.ones((2, 3), dtype=bool),
    "pixel": np.ones((1, 1), dtype=bool),
    "ell": np.array([[1, 1, 1], [1, 0, 0]], dtype=bool),
}
#: PyRadiomics 3.0.1's shape2D values of MASKS (every feature)
PYRADIOMICS_301 = {
    "block": {
        "Elongation": 0.2041241452319315,
        "MajorAxisLength": 4.898979485566357,
        "MaximumDiameter": 4.527692569068709,
        "MeshSurface": 4.125,
        "MinorAxisLength": 1.0,
        "Perimeter": 10.16227766016838,
        "PerimeterSurfaceRatio": 2.4635824630711225,
        "PixelSurface": 4.5,
        "Sphericity": 0.7084771562403229,
        "SphericalDisproportion": 1.4114781135734875,
    },
    "pixel": {
        "Elongation": math.nan,
        "MajorAxisLength": 0.0,
        "MaximumDiameter": 1.5,
        "MeshSurface": 0.375,
        "MinorAxisLength": 0.0,
        "Perimeter": 3.1622776601683795,
        "PerimeterSurfaceRatio": 8.432740427115679,
        "PixelSurface": 0.75,
        "Sphericity": 0.6864684246478266,
        "SphericalDisproportion": 1.456731240789439,
    },
    "ell": {
        "Elongation": 0.14721012938002134,
        "MajorAxisLength": 4.995909871792603,
        "MaximumDiameter": 4.527692569068709,
        "MeshSurface": 2.625,
        "MinorAxisLength": 0.7354485385975149,
        "Perimeter": 9.743416490252569,
        "PerimeterSurfaceRatio": 3.7117777105724072,
        "PixelSurface": 3.0,
        "Sphericity": 0.589465400514525,
        "SphericalDisproportion": 1.69645241116295,
    },
}
AXES = ("MajorAxisLength", "MinorAxisLength")


def _same(got: float, want: float, rel: float = 1e-12) -> bool:
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    return abs(got - want) <= max(rel * abs(want), 1e-12)


@pytest.mark.parametrize("case", sorted(MASKS))
def test_switch_gives_pyradiomics_and_ibsi_values(case: str) -> None:
    mask, want = MASKS[case], PYRADIOMICS_301[case]
    n = int(mask.sum())
    pyrad = morphology_2d.build_morphology_2d(mask, SPACING, covariance_ddof=0)
    ibsi = morphology_2d.build_morphology_2d(mask, SPACING)  # covariance_ddof 1
    for name, formula in prof.SHAPE2D_FORMULAS.items():
        got, got_ibsi = formula(pyrad), formula(ibsi)
        assert _same(got, want[name]), (name, got, want[name])
        if name in AXES:
            # the sample covariance: the axes sqrt(n / (n - 1)) times PyRadiomics'
            # (undefined for one pixel)
            scale = math.sqrt(n / (n - 1)) if n > 1 else math.nan
            assert _same(got_ibsi, want[name] * scale), (name, got_ibsi)
            assert not _same(got_ibsi, got)  # the two settings differ on every mask here
        else:
            assert _same(got_ibsi, got), name
    # the profile is the engine at covariance_ddof 0
    res = prof.shape2d_features(mask, SPACING)
    np.testing.assert_equal(res, {k: f(pyrad) for k, f in prof.SHAPE2D_FORMULAS.items()})


def test_shape2d_formulas_are_the_engine_functions() -> None:
    for spec in prof.FEATURES["shape2D"]:
        assert spec.compute is prof.SHAPE2D_FORMULAS[spec.name]
        assert spec.compute.__module__ == "radiomix.features.morphology_2d"


_SCRIPT = """
import json
import numpy as np, SimpleITK as sitk
from radiomics import shape2D
out = {}
for name, arr in json.loads(input()).items():
    a = np.pad(np.array(arr, dtype=np.uint8), 1)
    img = sitk.GetImageFromArray(a.astype(np.float32))
    msk = sitk.GetImageFromArray(a)
    for im in (img, msk):
        im.SetSpacing((1.5, 0.5))
    c = shape2D.RadiomicsShape2D(img, msk, label=1)
    c.enableAllFeatures()
    c.enableFeatureByName("SphericalDisproportion")
    out[name] = {k: float(v) for k, v in c.execute().items()}
print(json.dumps(out))
"""


def test_values_are_live_pyradiomics_301() -> None:
    if not PYRADIOMICS.exists():
        pytest.skip(f"needs PyRadiomics 3.0.1 in {PYRADIOMICS} (benchmarks/setup_pyradiomics.sh)")
    masks = {k: v.astype(int).tolist() for k, v in MASKS.items()}
    out = subprocess.run(
        [str(PYRADIOMICS), "-c", _SCRIPT],
        input=json.dumps(masks),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    live = json.loads(out.splitlines()[-1])
    for case, want in PYRADIOMICS_301.items():
        assert set(live[case]) == set(want)
        for k, v in want.items():
            assert _same(live[case][k], v, rel=1e-15), (case, k, live[case][k], v)
