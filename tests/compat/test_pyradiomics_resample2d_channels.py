"""2D resampling and ``label_channel`` of the pyradiomics profile against PyRadiomics 3.0.1.

Fixtures: tests/data/pyradiomics_compat/expected_resample2d.json, made by
benchmarks/make_pyradiomics_resample2d_fixtures.py with the real PyRadiomics 3.0.1 (one
parameter dict per configuration, its outputs or errors per run):

- a 2D image resampled in 2D (``resampledPixelSpacing`` (x, y): B-spline, linear with an
  axis given as 0, nearest neighbour after ``normalize`` and before ``resegmentRange``,
  Lanczos with force2D and LBP2D, the image's own spacing (crop only)), with LoG, Wavelet,
  Square and LBP2D maps on the resampled grid and the ``*-interpolated_*`` diagnostics;
- PyRadiomics' assertion where the number of spacings is not the mask's dimensionality
  (3 on a 2D image, 2 on a 3D one);
- vector (multi-component) masks: 2D and 3D NRRD, a colour PNG; channel 0 by default,
  ``label_channel`` as a setting and as an ``execute`` argument, out of range (PyRadiomics
  asserts), on a scalar mask (ignored); ``diagnostics_Mask-original_Hash`` of the channel.

Every value agrees within 1e-6 relative (1e-9 absolute), text diagnostics exactly, keys in
PyRadiomics' order; where PyRadiomics raises, radiomix raises the matching typed error.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import SimpleITK as sitk

from radiomix.compat import featureextractor
from radiomix.compat.params import settings_from_params
from radiomix.errors import (
    ConfigError,
    GeometryMismatchError,
    LabelNotFoundError,
    RadiomixError,
)
from radiomix.extraction.profile_pyradiomics import label_map_hash, read_pyradiomics_mask
from radiomix.io import read_image

DATA = Path(__file__).resolve().parents[1] / "data" / "pyradiomics_compat"
EXPECTED: dict[str, dict[str, Any]] = json.loads(
    (DATA / "expected_resample2d.json").read_text(encoding="utf-8")
)
REL, ABS = 1e-6, 1e-9
#: run -> (image file, mask file, label, label_channel given to execute); as in the script
RUNS: dict[str, tuple[str, str, int, int | None]] = {
    "us2d/1": ("us2d_image.nrrd", "us2d_label.nrrd", 1, None),
    "us2d/2": ("us2d_image.nrrd", "us2d_label.nrrd", 2, None),
    "us2d_slice/1": ("us2d_slice_image.nrrd", "us2d_slice_label.nrrd", 1, None),
    "ct_c/1": ("ct_c_image.nrrd", "ct_c_label.nrrd", 1, None),
    "mixed_2d_image/1": ("us2d_image.nrrd", "us2d_slice_label.nrrd", 1, None),
    "mixed_3d_image/1": ("us2d_slice_image.nrrd", "us2d_label.nrrd", 1, None),
    "vec2d/1": ("us2d_image.nrrd", "channels_us2d_label.nrrd", 1, None),
    "vec2d/2": ("us2d_image.nrrd", "channels_us2d_label.nrrd", 2, None),
    "vec2d/3": ("us2d_image.nrrd", "channels_us2d_label.nrrd", 3, None),
    "vec2d/ch1/3": ("us2d_image.nrrd", "channels_us2d_label.nrrd", 3, 1),
    "vec2d/ch1/2": ("us2d_image.nrrd", "channels_us2d_label.nrrd", 2, 1),
    "vec2d/ch2/1": ("us2d_image.nrrd", "channels_us2d_label.nrrd", 1, 2),
    "vec2d/ch3/1": ("us2d_image.nrrd", "channels_us2d_label.nrrd", 1, 3),
    "us2d/ch2/1": ("us2d_image.nrrd", "us2d_label.nrrd", 1, 2),
    "vec3d/1": ("ct_c_image.nrrd", "channels_ct_c_label.nrrd", 1, None),
    "vec3d/4": ("ct_c_image.nrrd", "channels_ct_c_label.nrrd", 4, None),
    "png/1": ("channels_us2d_image.png", "channels_us2d_label.png", 1, None),
    "png/255": ("channels_us2d_image.png", "channels_us2d_label.png", 255, None),
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
    "Wrong dimensionality": ConfigError,  # resampledPixelSpacing vs the mask's dimension
    "but segmentation object only contains": ConfigError,  # label_channel out of range
    "not present in mask": LabelNotFoundError,
    # a 2D image with a 3D mask or the reverse (SimpleITK fails on the other dimension)
    "TransformPhysicalPointToContinuousIndex": GeometryMismatchError,
}


def _execute(config: str, run: str, **overrides: Any) -> dict[str, Any]:
    image, mask, label, channel = RUNS[run]
    ext = featureextractor.RadiomicsFeatureExtractor(EXPECTED[config]["params"])
    args = {"image": str(DATA / image), "mask": str(DATA / mask), **overrides}
    return dict(ext.execute(args["image"], args["mask"], label=label, label_channel=channel))


@cache
def _run(config: str, run: str) -> dict[str, Any] | RadiomixError:
    try:
        return _execute(config, run)
    except RadiomixError as exc:
        return exc


def _values() -> list[tuple[str, str, str]]:
    return [
        (config, run, key)
        for config, entry in EXPECTED.items()
        for run, res in entry["cases"].items()
        for key in res.get("features", {})
        if key not in NOT_REPRODUCED
    ]


VALUES = _values()
RAN = sorted({(c, r) for c, r, _ in VALUES})
FAILURES = [
    (config, run)
    for config, entry in EXPECTED.items()
    for run, res in entry["cases"].items()
    if "error" in res
]


def _close(got: Any, want: Any) -> bool:
    if isinstance(want, str):
        return str(got) == want
    got = float(got)
    if math.isnan(want):
        return math.isnan(got)
    return abs(got - want) <= max(REL * abs(want), ABS)


@pytest.mark.parametrize(("config", "run", "key"), VALUES, ids=["/".join(v) for v in VALUES])
def test_value_matches_pyradiomics(config: str, run: str, key: str) -> None:
    want = EXPECTED[config]["cases"][run]["features"][key]
    res = _run(config, run)
    assert not isinstance(res, RadiomixError), f"radiomix raised: {res}"
    assert key in res, f"{key} missing from radiomix's result"
    assert _close(res[key], want), (res[key], want)


@pytest.mark.parametrize(("config", "run"), RAN, ids=["/".join(v) for v in RAN])
def test_keys_in_pyradiomics_order(config: str, run: str) -> None:
    want = [k for k in EXPECTED[config]["cases"][run]["features"] if k not in NOT_REPRODUCED]
    res = _run(config, run)
    assert not isinstance(res, RadiomixError), f"radiomix raised: {res}"
    assert [k for k in res if k not in NOT_REPRODUCED] == want


@pytest.mark.parametrize(("config", "run"), FAILURES, ids=["/".join(f) for f in FAILURES])
def test_error_where_pyradiomics_fails(config: str, run: str) -> None:
    message = EXPECTED[config]["cases"][run]["error"]
    (kind,) = [err for text, err in ERRORS.items() if text in message]
    res = _run(config, run)
    assert isinstance(res, kind), (message, res)


def test_fixtures_cover_what_they_claim() -> None:
    """The fixture cannot thin out silently: 2D resampling ran with interpolated
    diagnostics, each channel of the vector masks was read, and the errors are there."""
    ran = {(c, r): EXPECTED[c]["cases"][r]["features"] for c, r in RAN}
    d2 = [f for (c, _), f in ran.items() if c.startswith("d2_")]
    assert len(d2) >= 7
    assert all(f["diagnostics_Image-original_Dimensionality"] == "2D" for f in d2)
    assert all(f["diagnostics_Image-interpolated_Spacing"].count(",") == 1 for f in d2)
    hashes = {
        f["diagnostics_Mask-original_Hash"] for (_, r), f in ran.items() if r.startswith("vec2d")
    }
    assert len(hashes) == 3  # channels 0, 1 and 2 of the 2D vector mask
    assert {r for _, r in FAILURES} >= {"us2d/1", "us2d_slice/1", "ct_c/1", "vec2d/ch3/1"}
    assert sum("Wrong dimensionality" in EXPECTED[c]["cases"][r]["error"] for c, r in FAILURES) == 5


def test_2d_resampling_from_memory_matches_files() -> None:
    # a 2D SimpleITK image and mask resample in 2D as the files do
    want = _run("d2_bspline_all", "us2d/1")
    assert not isinstance(want, RadiomixError)
    ext = featureextractor.RadiomicsFeatureExtractor(EXPECTED["d2_bspline_all"]["params"])
    got = ext.execute(
        sitk.ReadImage(str(DATA / "us2d_image.nrrd")), sitk.ReadImage(str(DATA / "us2d_label.nrrd"))
    )
    assert got["diagnostics_Image-interpolated_Size"] == want["diagnostics_Image-interpolated_Size"]
    for key, value in want.items():
        if key.startswith("original_"):
            assert _close(got[key], value), key


def test_vector_mask_from_memory_selects_the_channel() -> None:
    want = EXPECTED["channels_2d"]["cases"]["vec2d/ch1/3"]["features"]
    ext = featureextractor.RadiomicsFeatureExtractor(EXPECTED["channels_2d"]["params"])
    image = sitk.ReadImage(str(DATA / "us2d_image.nrrd"))
    mask = sitk.ReadImage(str(DATA / "channels_us2d_label.nrrd"))
    assert mask.GetNumberOfComponentsPerPixel() == 3
    got = ext.execute(image, mask, label=3, label_channel=1)
    for key in ("diagnostics_Mask-original_Hash", "original_firstorder_Mean", "original_glcm_Idm"):
        assert _close(got[key], want[key]), key
    with pytest.raises(ConfigError, match="label_channel 3"):
        ext.execute(image, mask, label=1, label_channel=3)


def test_read_pyradiomics_mask_takes_the_channel_and_hashes_it() -> None:
    image = read_image(DATA / "us2d_image.nrrd")
    path = DATA / "channels_us2d_label.nrrd"
    vector = sitk.GetArrayFromImage(sitk.ReadImage(str(path)))  # (y, x, channel)
    for channel in range(3):
        mask = read_pyradiomics_mask(path, image, label_channel=channel)
        assert mask.array.shape == (1, *vector.shape[:2])
        np.testing.assert_array_equal(mask.array[0], vector[..., channel])
        want = sitk.Hash(
            sitk.Cast(
                sitk.VectorIndexSelectionCast(sitk.ReadImage(str(path)), channel), sitk.sitkUInt32
            )
        )
        assert label_map_hash(mask.array) == want
    # a scalar mask ignores the channel, as in PyRadiomics
    scalar = read_pyradiomics_mask(DATA / "us2d_label.nrrd", image, label_channel=2)
    np.testing.assert_array_equal(
        scalar.array[0], sitk.GetArrayFromImage(sitk.ReadImage(str(DATA / "us2d_label.nrrd")))
    )
    with pytest.raises(ConfigError, match="3 component"):
        read_pyradiomics_mask(path, image, label_channel=3)


@pytest.mark.parametrize(
    "setting",
    [
        {"resampledPixelSpacing": [0.4]},
        {"resampledPixelSpacing": [0.4, 0.4, 1.0, 1.0]},
        {"resampledPixelSpacing": [0.4, -1.0]},
        {"label_channel": -1},
        {"label_channel": 1.5},
        {"label_channel": True},
    ],
)
def test_invalid_spacing_or_channel_is_a_config_error(setting: dict[str, Any]) -> None:
    (key,) = setting
    with pytest.raises(ConfigError, match=key):
        settings_from_params({"setting": setting})


def test_negative_label_channel_in_execute_is_a_config_error() -> None:
    # PyRadiomics' schema refuses it in a parameter file; radiomix refuses it in execute too
    ext = featureextractor.RadiomicsFeatureExtractor()
    with pytest.raises(ConfigError, match="label_channel"):
        ext.execute(
            str(DATA / "us2d_image.nrrd"), str(DATA / "channels_us2d_label.nrrd"), label_channel=-1
        )


def test_two_value_spacing_is_kept_in_the_settings() -> None:
    settings = settings_from_params({"setting": {"resampledPixelSpacing": [0.4, 0]}})
    assert settings.pyradiomics.resampled_spacing == (0.4, 0.0)
    settings = settings_from_params({"setting": {"label_channel": 2}})
    assert settings.pyradiomics.label_channel == 2


def test_cli_reads_the_channel_of_the_parameter_file(tmp_path: Path) -> None:
    import pandas as pd
    import yaml

    from radiomix.cli.main import main

    entry = EXPECTED["channels_3d_setting_resampled"]
    params = tmp_path / "p.yaml"
    params.write_text(yaml.safe_dump(entry["params"]))
    out = tmp_path / "o.csv"
    image, mask, _, _ = RUNS["vec3d/4"]
    argv = ["extract", str(DATA / image), str(DATA / mask), "--params", str(params)]
    assert main([*argv, "--out", str(out)]) == 0
    row = pd.read_csv(out).iloc[0]
    want = {k: v for k, v in entry["cases"]["vec3d/4"]["features"].items() if k[:9] == "original_"}
    assert want
    for key, value in want.items():  # the CSV keeps 10 significant digits
        assert float(row[key]) == pytest.approx(value, rel=1e-9, abs=1e-12), key
    assert (
        row["diagnostics_Mask-original_Hash"]
        == (entry["cases"]["vec3d/4"]["features"]["diagnostics_Mask-original_Hash"])
    )


def test_mask_read_without_the_image_only_for_volume_files(tmp_path) -> None:
    """The mask is read while the image is (``image=None``) only for NIfTI / NRRD /
    MetaImage files, which never need the image; other sources say so."""
    from radiomix.extraction.profile_pyradiomics import IMAGE_NDIM_KEY, read_pyradiomics_mask
    from radiomix.io import Volume, write_volume

    lab = np.zeros((3, 5, 6), np.uint8)
    lab[1, 1:4, 2:5] = 2
    path = tmp_path / "label.nrrd"
    write_volume(Volume(lab, spacing=(2.0, 0.5, 0.5)), path)
    vol = read_pyradiomics_mask(path, None)
    assert np.array_equal(vol.array, lab) and vol.spacing == (2.0, 0.5, 0.5)
    assert vol.metadata[IMAGE_NDIM_KEY] == 3
    with pytest.raises(TypeError, match="needs the image"):
        read_pyradiomics_mask(lab, None)
    with pytest.raises(TypeError, match="needs the image"):
        read_pyradiomics_mask(tmp_path / "label.png", None)
