"""The pyradiomics profile's preprocessing and texture settings against PyRadiomics 3.0.1.

Fixtures: tests/data/pyradiomics_compat/expected_settings.json, made by
benchmarks/make_pyradiomics_settings_fixtures.py with the real PyRadiomics 3.0.1 (one
parameter dict per configuration, its outputs or errors per case): ``normalize`` /
``normalizeScale`` / ``removeOutliers``; ``resegmentRange`` / ``resegmentMode`` /
``resegmentShape``; ``correctMask`` and ``geometryTolerance`` with ct_a's label map on
other grids (finer and shifted, rotated, nudged by 2e-5 mm); ``interpolator`` as a
SimpleITK number; custom settings per image type; ``symmetricalGLCM: false``; the ROI
checks (``minimumROISize``, a re-segmentation that keeps one voxel or none). Every value
agrees within 1e-6 relative (1e-9 absolute), text diagnostics exactly, keys in PyRadiomics'
order; where PyRadiomics raises, radiomix raises the matching typed error.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from radiomix.compat import featureextractor
from radiomix.compat.params import settings_from_params
from radiomix.errors import (
    ConfigError,
    GeometryMismatchError,
    RadiomixError,
    RoiTooSmallError,
)
from radiomix.extraction.profile_pyradiomics import image_type_options
from radiomix.features import pyradiomics_profile as prof

DATA = Path(__file__).resolve().parents[1] / "data" / "pyradiomics_compat"
EXPECTED: dict[str, dict[str, Any]] = json.loads(
    (DATA / "expected_settings.json").read_text(encoding="utf-8")
)
REL, ABS = 1e-6, 1e-9
CASES = {
    "ct_a": ("ct_a_image.nrrd", "ct_a_label.nrrd"),
    "mr_b": ("mr_b_image.nrrd", "mr_b_label.nrrd"),
    "ct_c": ("ct_c_image.nrrd", "ct_c_label.nrrd"),
    "ct_a_finegrid": ("ct_a_image.nrrd", "settings_ct_a_label_finegrid.nrrd"),
    "ct_a_rotated": ("ct_a_image.nrrd", "settings_ct_a_label_rotated.nrrd"),
    "ct_a_nudged": ("ct_a_image.nrrd", "settings_ct_a_label_nudged.nrrd"),
}
#: diagnostics that name versions (radiomix writes its own instead of PyRadiomics')
NOT_REPRODUCED = {
    "diagnostics_Versions_PyRadiomics",
    "diagnostics_Versions_Numpy",
    "diagnostics_Versions_SimpleITK",
    "diagnostics_Versions_PyWavelet",
    "diagnostics_Versions_Python",
    "diagnostics_Versions_radiomix",
}
#: PyRadiomics' error -> the radiomix error that replaces it
ERRORS: dict[str, type[RadiomixError]] = {
    "Resegmentation excluded too many voxels": RoiTooSmallError,
    "Size of the ROI is too small": RoiTooSmallError,
    "Image/Mask geometry mismatch": GeometryMismatchError,
    "does not match the primary input's size": GeometryMismatchError,
    "ResampleImageFilter": ConfigError,  # interpolator 3 fails inside SimpleITK
}


@cache
def _run(config: str, case: str) -> dict[str, Any] | RadiomixError:
    image, mask = CASES[case]
    try:
        ext = featureextractor.RadiomicsFeatureExtractor(EXPECTED[config]["params"])
        return dict(ext.execute(str(DATA / image), str(DATA / mask)))
    except RadiomixError as exc:
        return exc


def _values() -> list[tuple[str, str, str]]:
    return [
        (config, case, key)
        for config, entry in EXPECTED.items()
        for case, res in entry["cases"].items()
        for key in res.get("features", {})
        if key not in NOT_REPRODUCED
    ]


def _errors() -> list[tuple[str, str]]:
    return [
        (config, case)
        for config, entry in EXPECTED.items()
        for case, res in entry["cases"].items()
        if "error" in res
    ]


VALUES = _values()
FAILURES = _errors()


@pytest.mark.parametrize(("config", "case", "key"), VALUES, ids=["/".join(v) for v in VALUES])
def test_value_matches_pyradiomics(config: str, case: str, key: str) -> None:
    want = EXPECTED[config]["cases"][case]["features"][key]
    res = _run(config, case)
    assert not isinstance(res, RadiomixError), f"radiomix raised: {res}"
    got = res.get(key)
    assert got is not None, f"{key} missing from radiomix's result"
    if isinstance(want, str):
        assert str(got) == want
        return
    got = float(got)
    if math.isnan(want):
        assert math.isnan(got)
        return
    assert abs(got - want) <= max(REL * abs(want), ABS), (got, want)


@pytest.mark.parametrize(
    ("config", "case"),
    sorted({(c, k) for c, k, _ in VALUES}),
    ids=["/".join(v) for v in sorted({(c, k) for c, k, _ in VALUES})],
)
def test_keys_in_pyradiomics_order(config: str, case: str) -> None:
    want = [k for k in EXPECTED[config]["cases"][case]["features"] if k not in NOT_REPRODUCED]
    res = _run(config, case)
    assert not isinstance(res, RadiomixError), f"radiomix raised: {res}"
    assert [k for k in res if k not in NOT_REPRODUCED] == want


@pytest.mark.parametrize(("config", "case"), FAILURES, ids=["/".join(f) for f in FAILURES])
def test_error_where_pyradiomics_fails(config: str, case: str) -> None:
    message = EXPECTED[config]["cases"][case]["error"]
    (kind,) = [err for text, err in ERRORS.items() if text in message]
    res = _run(config, case)
    assert isinstance(res, kind), (message, res)


def test_fixtures_cover_every_new_setting() -> None:
    """A fixture that cannot fail silently: each setting appears in a configuration that
    PyRadiomics ran to the end, and the expected errors are there."""
    ran = {
        key
        for entry in EXPECTED.values()
        if any("features" in r for r in entry["cases"].values())
        for section in ("setting", "imageType")
        for key in entry["params"].get(section, {})
    }
    for key in (
        "normalize",
        "normalizeScale",
        "removeOutliers",
        "resegmentRange",
        "resegmentMode",
        "resegmentShape",
        "correctMask",
        "geometryTolerance",
        "interpolator",
        "symmetricalGLCM",
    ):
        assert key in ran, key
    assert len(FAILURES) == 8
    assert len(VALUES) > 8000


# --------------------------------------------------------------------------- unit checks


def test_interpolator_numbers_map_to_simpleitk_names() -> None:
    import SimpleITK as sitk

    for number in (1, 2, 4, 5, 6, 7, 8, 9, 10):
        s = settings_from_params(
            {"setting": {"interpolator": number, "resampledPixelSpacing": [1, 1, 1]}}
        )
        name = s.pyradiomics.interpolator
        assert name is not None
        assert getattr(sitk, name) == number
    # without resampling PyRadiomics never uses the interpolator, not even a broken one
    assert settings_from_params({"setting": {"interpolator": 3}}).pyradiomics.interpolator is None
    with pytest.raises(ConfigError, match="interpolator True"):
        settings_from_params({"setting": {"interpolator": True}})


def test_custom_settings_per_image_type() -> None:
    s = settings_from_params(
        {
            "imageType": {"Original": {}, "LoG": {"sigma": [1], "binCount": 8, "gldm_a": 2}},
            "setting": {"binWidth": 10, "distances": [1, 2], "symmetricalGLCM": False},
        }
    )
    assert image_type_options(s) == (
        10.0,
        None,
        prof.PyradiomicsTextureOptions(distances=(1, 2), symmetrical_glcm=False),
    )
    width, count, opts = image_type_options(s, dict(s.pyradiomics.image_types[1][1]))
    assert (width, count) == (None, 8)  # binCount wins over binWidth, as in PyRadiomics
    assert opts.gldm_a == 2.0 and opts.distances == (1, 2) and not opts.symmetrical_glcm
    # binWidth per image type does not beat a binCount of the setting section
    s = settings_from_params(
        {"imageType": {"Original": {"binWidth": 3}}, "setting": {"binCount": 5}}
    )
    assert image_type_options(s, {"binWidth": 3})[:2] == (None, 5)
