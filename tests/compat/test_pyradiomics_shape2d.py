"""shape2D, 2D images and force2Ddimension 1/2 in the pyradiomics profile, against PyRadiomics.

Three layers:

- the marching-squares mesh of :mod:`radiomix.features.pyradiomics_shape2d` on hand-computed
  masks and against scikit-image's contours (an independent marching squares);
- PyRadiomics 3.0.1's feature vectors of the committed 2D / plane fixtures
  (tests/data/pyradiomics_compat/expected_2d.json, made by
  benchmarks/make_pyradiomics_2d_fixtures.py): a 2D image (NRRD) with every class and the 2D
  image types, force2D on a 2D image, one-voxel-thick ROIs with force2D along each
  dimension (shape2D where PyRadiomics computes it), force2Ddimension 1 and 2 with texture,
  wavelet and LBP2D, planar ROIs without force2D; one test id per value, 1e-6 relative
  (1e-9 absolute);
- the shape2D baseline of ../shared/data/pyradiomics-cases (baseline_shape2D.csv, one test
  id per column and feature): 1e-6 where PyRadiomics 3.0.1 itself reproduces the (older)
  baseline value, PyRadiomics' own 3 % elsewhere, and 1e-6 against 3.0.1's values
  (tests/data/pyradiomics_compat/pyradiomics301_shape2d_values.json, made by
  benchmarks/pyradiomics_shape2d_baseline_values.py).
"""

from __future__ import annotations

import ast
import csv
import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import SimpleITK as sitk
from skimage.measure import find_contours

from radiomix.compat import featureextractor
from radiomix.compat.params import settings_from_params
from radiomix.errors import ConfigError
from radiomix.extraction.profile_pyradiomics import enabled_classes
from radiomix.features import pyradiomics_profile as prof
from radiomix.features.pyradiomics_shape2d import contour_segments, shape2d_features
from tests.conftest import SHARED, require_shared

DATA = Path(__file__).resolve().parents[1] / "data" / "pyradiomics_compat"
EXPECTED: dict[str, dict[str, dict[str, Any]]] = json.loads(
    (DATA / "expected_2d.json").read_text(encoding="utf-8")
)
V301: dict[str, float] = json.loads(
    (DATA / "pyradiomics301_shape2d_values.json").read_text(encoding="utf-8")
)
CASES_DIR = SHARED / "data" / "pyradiomics-cases"
BASELINE = CASES_DIR / "baseline" / "baseline_shape2D.csv"
REL, ABS, PYRADIOMICS_TOL = 1e-6, 1e-9, 0.03
#: diagnostics radiomix does not reproduce (versions of the tools)
NOT_REPRODUCED = {
    "diagnostics_Versions_PyRadiomics",
    "diagnostics_Versions_Numpy",
    "diagnostics_Versions_SimpleITK",
    "diagnostics_Versions_PyWavelet",
    "diagnostics_Versions_Python",
    "diagnostics_Versions_radiomix",
}


def _close(got: float, want: float, rel: float = REL) -> bool:
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    return abs(got - want) <= max(rel * abs(want), ABS)


# --------------------------------------------------------------------------- the mesh


def test_single_pixel_is_a_diamond() -> None:
    f = shape2d_features(np.ones((1, 1), dtype=bool), (1.0, 1.0))
    assert f["MeshSurface"] == pytest.approx(0.5, abs=1e-15)
    assert f["Perimeter"] == pytest.approx(2 * math.sqrt(2), rel=1e-15)
    assert f["PixelSurface"] == 1.0
    assert f["MaximumDiameter"] == pytest.approx(1.0, rel=1e-15)
    assert f["MajorAxisLength"] == 0.0 and f["MinorAxisLength"] == 0.0
    assert math.isnan(f["Elongation"])  # 0 / 0, as in PyRadiomics


@pytest.mark.parametrize(
    ("n", "m", "sr", "sc"), [(3, 5, 1.0, 1.0), (4, 7, 0.7, 1.3), (6, 2, 2.5, 0.4)]
)
def test_rectangle_by_hand(n: int, m: int, sr: float, sc: float) -> None:
    # the outline runs through the edge mid-points and cuts each corner by a triangle of
    # legs sr/2, sc/2: area (n m - 1/2) sr sc, straight sides (m - 1) sc and (n - 1) sr
    f = shape2d_features(np.ones((n, m), dtype=bool), (sr, sc))
    area = (n * m - 0.5) * sr * sc
    perimeter = 2 * (m - 1) * sc + 2 * (n - 1) * sr + 2 * math.hypot(sr, sc)
    diameter = max(math.hypot(n * sr, (m - 1) * sc), math.hypot((n - 1) * sr, m * sc))
    lam = sorted([sr**2 * (n**2 - 1) / 12, sc**2 * (m**2 - 1) / 12])  # uniform variances
    assert f["MeshSurface"] == pytest.approx(area, rel=1e-12)
    assert f["PixelSurface"] == pytest.approx(n * m * sr * sc, rel=1e-15)
    assert f["Perimeter"] == pytest.approx(perimeter, rel=1e-12)
    assert f["MaximumDiameter"] == pytest.approx(diameter, rel=1e-12)
    assert f["MajorAxisLength"] == pytest.approx(4 * math.sqrt(lam[1]), rel=1e-12)
    assert f["MinorAxisLength"] == pytest.approx(4 * math.sqrt(lam[0]), rel=1e-12)
    assert f["Elongation"] == pytest.approx(math.sqrt(lam[0] / lam[1]), rel=1e-12)
    assert f["Sphericity"] == pytest.approx(2 * math.sqrt(math.pi * area) / perimeter, rel=1e-12)
    assert f["SphericalDisproportion"] == pytest.approx(1 / f["Sphericity"], rel=1e-15)
    assert f["PerimeterSurfaceRatio"] == pytest.approx(perimeter / area, rel=1e-12)


def test_hole_subtracts_and_diagonal_pixels_stay_apart() -> None:
    ring = np.ones((5, 5), dtype=bool)
    ring[2, 2] = False  # the hole's outline is a diamond of area 1/2
    f = shape2d_features(ring, (1.0, 1.0))
    assert f["MeshSurface"] == pytest.approx(24.5 - 0.5, rel=1e-14)
    assert f["Perimeter"] == pytest.approx(16 + 2 * math.sqrt(2) + 2 * math.sqrt(2), rel=1e-14)
    # saddle windows: diagonal ROI pixels are two diamonds (4-connected ROI), not one region
    f = shape2d_features(np.eye(2, dtype=bool), (1.0, 1.0))
    assert f["MeshSurface"] == pytest.approx(1.0, rel=1e-14)
    assert f["Perimeter"] == pytest.approx(4 * math.sqrt(2), rel=1e-14)


@pytest.mark.parametrize("seed", range(6))
def test_mesh_matches_scikit_image_contours(seed: int) -> None:
    # scikit-image's marching squares (level 0.5, background fully connected, so ROI pixels
    # that touch only by a corner stay apart, as in PyRadiomics) on the padded mask
    rng = np.random.default_rng(seed)
    mask = rng.random((int(rng.integers(4, 30)), int(rng.integers(4, 30)))) < 0.55
    sp = rng.uniform(0.3, 2.0, 2)
    seg = contour_segments(mask, sp)
    area = np.sum(seg[:, 0, 0] * seg[:, 1, 1] - seg[:, 1, 0] * seg[:, 0, 1]) / 2
    perimeter = np.sum(np.linalg.norm(seg[:, 0] - seg[:, 1], axis=1))
    want_area, want_perimeter = 0.0, 0.0
    for c in find_contours(np.pad(mask, 1).astype(float), 0.5):
        p = c * sp
        want_area += np.sum(p[:-1, 0] * p[1:, 1] - p[1:, 0] * p[:-1, 1]) / 2
        want_perimeter += np.sum(np.linalg.norm(np.diff(p, axis=0), axis=1))
    assert area == pytest.approx(abs(want_area), rel=1e-12)
    assert perimeter == pytest.approx(want_perimeter, rel=1e-12)
    assert shape2d_features(mask, sp)["MeshSurface"] == pytest.approx(area, rel=1e-15)


def test_shape2d_registered_in_pyradiomics_order() -> None:
    assert prof.CLASSES[-1] == "shape2D"
    assert prof.default_features("shape2D") == (
        "Elongation",
        "MajorAxisLength",
        "MaximumDiameter",
        "MeshSurface",
        "MinorAxisLength",
        "Perimeter",
        "PerimeterSurfaceRatio",
        "PixelSurface",
        "Sphericity",
    )  # SphericalDisproportion is deprecated: computed only when named
    s = settings_from_params({"featureClass": {"glcm": None, "shape2D": None, "shape": None}})
    assert [c for c, _ in enabled_classes(s)] == ["shape", "shape2D", "glcm"]
    assert [c for c, _ in enabled_classes(settings_from_params({}))][:2] == ["shape", "shape2D"]


def test_shape2d_needs_a_2d_mask() -> None:
    with pytest.raises(ValueError, match="2D mask"):
        shape2d_features(np.ones((2, 2, 2), dtype=bool), (1.0, 1.0))
    with pytest.raises(ValueError, match="non-empty"):
        shape2d_features(np.zeros((3, 3), dtype=bool), (1.0, 1.0))


# --------------------------------------------------------------------------- PyRadiomics' rules


def test_force2d_shape2d_on_a_thick_mask_is_an_error_as_in_pyradiomics() -> None:
    # PyRadiomics raises a ValueError here (shape2D enabled by a file without featureClass)
    ext = featureextractor.RadiomicsFeatureExtractor({"setting": {"force2D": True}})
    with pytest.raises(ConfigError, match="one voxel thick along force2Ddimension 0"):
        ext.execute(str(DATA / "planes_image.nrrd"), str(DATA / "planes_label.nrrd"), label=1)


def test_constructor_defaults_leave_shape2d_out_and_enable_all_puts_it_in() -> None:
    ext = featureextractor.RadiomicsFeatureExtractor()
    assert "shape2D" not in ext.enabledFeatures
    ext.enableAllFeatures()
    assert "shape2D" in ext.enabledFeatures


@pytest.mark.parametrize("dim", [-1, 3, 1.5])
def test_force2d_dimension_must_be_an_axis(dim: float) -> None:
    with pytest.raises(ConfigError, match="force2Ddimension"):
        settings_from_params({"setting": {"force2D": True, "force2Ddimension": dim}})


def test_resampling_a_2d_image_with_3_spacings_is_an_error() -> None:
    # PyRadiomics asserts a 2-value resampledPixelSpacing for a 2D image (the 2-value case
    # is checked against PyRadiomics in test_pyradiomics_resample2d_channels.py)
    ext = featureextractor.RadiomicsFeatureExtractor(resampledPixelSpacing=[0.4, 0.4, 1.0])
    with pytest.raises(ConfigError, match="3 values but the mask is 2D"):
        ext.execute(str(DATA / "us2d_image.nrrd"), str(DATA / "us2d_label.nrrd"))


def test_in_memory_images_keep_their_dimensionality() -> None:
    # a 2D SimpleITK image is extracted in 2D, a 3D one of one slice in 3D, as in PyRadiomics
    ext = featureextractor.RadiomicsFeatureExtractor(str(DATA / "params_d2_all.yaml"))
    for case in ("us2d", "us2d_slice"):
        want = EXPECTED["d2_all"][f"{case}/1"]
        image = sitk.ReadImage(str(DATA / f"{case}_image.nrrd"))
        got = ext.execute(image, sitk.ReadImage(str(DATA / f"{case}_label.nrrd")))
        assert got["diagnostics_Image-original_Dimensionality"] == (
            "2D" if case == "us2d" else "3D"
        )
        keys = [k for k in want if k.startswith("original_")]
        assert keys == [k for k in got if k.startswith("original_")]
        for k in keys:
            assert _close(float(got[k]), want[k]), (case, k, got[k], want[k])


# --------------------------------------------------------------------------- fixtures


@cache
def _result(params: str, case: str, label: int) -> dict[str, Any]:
    ext = featureextractor.RadiomicsFeatureExtractor(str(DATA / f"params_{params}.yaml"))
    res = ext.execute(
        str(DATA / f"{case}_image.nrrd"), str(DATA / f"{case}_label.nrrd"), label=label
    )
    return dict(res)


FIXTURE_IDS = [
    (p, run, k)
    for p, runs in EXPECTED.items()
    for run, feats in runs.items()
    for k in feats
    if k not in NOT_REPRODUCED
]


@pytest.mark.parametrize(
    ("params", "run", "key"), FIXTURE_IDS, ids=["/".join(i) for i in FIXTURE_IDS]
)
def test_fixture_value_matches_pyradiomics(params: str, run: str, key: str) -> None:
    case, label = run.split("/")
    want = EXPECTED[params][run][key]
    got = _result(params, case, int(label)).get(key)
    assert got is not None, f"{key} missing from radiomix's result"
    if isinstance(want, str):
        assert str(got) == want
    else:
        assert _close(float(got), want), (got, want)


@pytest.mark.parametrize(("params", "run"), [(p, r) for p, runs in EXPECTED.items() for r in runs])
def test_fixture_keys_in_pyradiomics_order(params: str, run: str) -> None:
    case, label = run.split("/")
    want = [k for k in EXPECTED[params][run] if k not in NOT_REPRODUCED]
    got = [k for k in _result(params, case, int(label)) if k not in NOT_REPRODUCED]
    assert got == want  # also: shape2D exactly where PyRadiomics computes it


# --------------------------------------------------------------------------- baseline


def _read() -> tuple[list[str], dict[str, list[str]]]:
    with open(BASELINE, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0][1:], {r[0]: r[1:] for r in rows[1:]}


def _baseline_ids() -> list[tuple[str, str]]:
    if not BASELINE.exists():
        return [("none", "none")]
    columns, table = _read()
    return [(c, k.split("_", 2)[2]) for c in columns for k in table if k.startswith("original_")]


@cache
def _baseline_column(col: str) -> dict[str, float]:
    """radiomix's shape2D of one column: the case's image, its one-slice label (off the
    image grid: the column's correctMask puts it on), the column's settings."""
    columns, table = _read()
    settings = ast.literal_eval(table["diagnostics_Configuration_Settings"][columns.index(col)])
    ext = featureextractor.RadiomicsFeatureExtractor(
        {"setting": settings, "featureClass": {"shape2D": None}}
    )
    case = col.split("_")[0]
    res = ext.execute(
        str(CASES_DIR / f"{case}_image.nrrd"),
        str(CASES_DIR / "derived_label_2D" / f"{case}_label_2D.nrrd"),
    )
    return {k.split("_", 2)[2]: float(v) for k, v in res.items() if k.startswith("original_")}


BASELINE_IDS = _baseline_ids()


@pytest.mark.parametrize(("col", "feature"), BASELINE_IDS, ids=["/".join(i) for i in BASELINE_IDS])
def test_shape2d_baseline_value(col: str, feature: str) -> None:
    require_shared("data", "pyradiomics-cases", "baseline", "baseline_shape2D.csv")
    columns, table = _read()
    want = float(table[f"original_shape2D_{feature}"][columns.index(col)])
    v301 = V301.get(f"shape2D/{col}/{feature}")
    tol = REL if v301 is not None and _close(v301, want) else PYRADIOMICS_TOL
    assert _close(_baseline_column(col)[feature], want, tol), (col, feature, tol)


@pytest.mark.parametrize("key", sorted(V301))
def test_shape2d_matches_pyradiomics_301(key: str) -> None:
    require_shared("data", "pyradiomics-cases", "derived_label_2D")
    _, col, feature = key.split("/")
    assert _close(_baseline_column(col)[feature], V301[key]), (key, V301[key])
