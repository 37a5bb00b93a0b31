"""IBSI 1 CT phantom, configurations A-E: image-processing diagnostics against the reference.

One test per (configuration, diagnostic tag): image size/spacing/intensities after
interpolation, and ROI size, bounding box, voxel count and intensities of the intensity and
morphological masks after interpolation and after re-segmentation.

The ROI diagnostics are computed the way the pipeline does it: crop to the ROI plus a margin,
resample the crop on the whole image's grid (``grid_reference``), interpolate the mask onto
it, re-segment. The image diagnostics (``*_interp_img``) come from resampling the whole image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest
import SimpleITK as sitk

from radiomix.extraction.reference import load_reference_table, within_tolerance
from radiomix.io import Volume
from radiomix.preprocess.crop import bounding_box, crop_to_roi
from radiomix.preprocess.resample import resample_image, resample_mask
from radiomix.preprocess.resegment import resegment_outliers, resegment_range
from tests.conftest import SHARED, require_shared

CT_DIR = ("ibsi", "ibsi_1_ct_radiomics_phantom", "nifti")
REF_DIR = ("ibsi", "ibsi_1_reference_values")
DIAGNOSTIC = re.compile(r"^(img_|vox_|mean_int_|min_int_|max_int_|int_mask_|morph_mask_)")


@dataclass(frozen=True)
class Config:
    spacing: tuple[float | None, float | None, float | None] | None
    order: str
    rounding: float | None
    range: tuple[float | None, float | None] | None
    outlier_sigma: float | None


# IBSI 1 reference manual, table of the CT phantom configurations (mask: linear, PV >= 0.5)
CONFIGS = {
    "a": Config(None, "linear", None, (-500.0, 400.0), None),
    "b": Config((None, 2.0, 2.0), "linear", 1.0, (-500.0, 400.0), None),
    "c": Config((2.0, 2.0, 2.0), "linear", 1.0, (-1000.0, 400.0), None),
    "d": Config((2.0, 2.0, 2.0), "linear", 1.0, None, 3.0),
    "e": Config((2.0, 2.0, 2.0), "cubic", 1.0, (-1000.0, 400.0), 3.0),
}


def _table(config: str):
    return load_reference_table(SHARED.joinpath(*REF_DIR, f"ibsi_1_chest_config_{config}.csv"))


def _cases() -> list[tuple[str, str]]:
    if not SHARED.joinpath(*REF_DIR).exists():
        return [("missing", "shared-data")]
    return [
        (c, r.tag)
        for c in CONFIGS
        for r in _table(c)
        if r.value is not None and DIAGNOSTIC.match(r.tag)
    ]


@cache
def _phantom() -> tuple[Volume, np.ndarray]:
    folder = require_shared(*CT_DIR)
    img = sitk.ReadImage(str(folder / "image" / "phantom.nii.gz"))
    msk = sitk.ReadImage(str(folder / "mask" / "mask.nii.gz"))
    direction = np.array(img.GetDirection()).reshape(3, 3)[::-1, ::-1]
    image = Volume(
        sitk.GetArrayFromImage(img).astype(np.float64),
        spacing=tuple(reversed(img.GetSpacing())),
        origin=tuple(reversed(img.GetOrigin())),
        direction=direction,
    )
    return image, sitk.GetArrayFromImage(msk) > 0


def _axes(prefix: str, values, suffix: str) -> dict[str, float]:
    z, y, x = values
    return {f"{prefix}_x_{suffix}": x, f"{prefix}_y_{suffix}": y, f"{prefix}_z_{suffix}": z}


def _bb_dims(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(s.stop - s.start for s in bounding_box(mask))


def _image_diag(vol: Volume, stage: str) -> dict[str, float]:
    d = _axes("img_dim", vol.shape, f"{stage}_img")
    d.update(_axes("vox_dim", vol.spacing, f"{stage}_img"))
    d[f"mean_int_{stage}_img"] = float(vol.array.mean(dtype=np.float64))
    d[f"min_int_{stage}_img"] = float(vol.array.min())
    d[f"max_int_{stage}_img"] = float(vol.array.max())
    return d


def _roi_diag(image, int_mask, morph_mask, grid_shape, stage: str) -> dict[str, float]:
    d = _axes("int_mask_dim", grid_shape, f"{stage}_roi")
    d.update(_axes("int_mask_bb_dim", _bb_dims(int_mask), f"{stage}_roi"))
    d.update(_axes("morph_mask_bb_dim", _bb_dims(morph_mask), f"{stage}_roi"))
    d[f"int_mask_vox_count_{stage}_roi"] = int(int_mask.sum())
    d[f"morph_mask_vox_count_{stage}_roi"] = int(morph_mask.sum())
    vals = image[int_mask]
    d[f"int_mask_mean_int_{stage}_roi"] = float(vals.mean())
    d[f"int_mask_min_int_{stage}_roi"] = float(vals.min())
    d[f"int_mask_max_int_{stage}_roi"] = float(vals.max())
    return d


def process(image: Volume, roi: np.ndarray, cfg: Config, *, crop: bool) -> dict:
    """IBSI processing chain; returns diagnostics plus the final arrays (keys ``_...``)."""
    d = _image_diag(image, "init")
    d.update(_roi_diag(image.array, roi, roi, image.shape, "init"))
    if cfg.spacing is None:
        work, morph = image, roi
        d.update(_image_diag(image, "interp"))
    else:
        full = resample_image(image, cfg.spacing, order=cfg.order, rounding=cfg.rounding)
        d.update(_image_diag(full, "interp"))
        if crop:
            margin = tuple(3 * s + 12 * 2.0 for s in image.spacing)
            src, src_mask, _ = crop_to_roi(image, roi, margin)
            work = resample_image(
                src, cfg.spacing, order=cfg.order, rounding=cfg.rounding, grid_reference=image
            )
        else:
            src, src_mask, work = image, roi, full
        morph = resample_mask(src.with_array(src_mask), work, order="linear").array
        d["_grid_shape"] = full.shape
    grid_shape = d.pop("_grid_shape", image.shape)
    arr = np.asarray(work.array, dtype=np.float64)
    d.update(_roi_diag(arr, morph, morph, grid_shape, "interp"))
    int_mask = morph
    if cfg.range is not None:
        int_mask = resegment_range(arr, int_mask, *cfg.range)
    if cfg.outlier_sigma is not None:
        int_mask = resegment_outliers(arr, int_mask, cfg.outlier_sigma)
    d.update(_roi_diag(arr, int_mask, morph, grid_shape, "reseg"))
    d["_image"], d["_int_mask"], d["_morph_mask"], d["_volume"] = arr, int_mask, morph, work
    return d


@cache
def _diagnostics(config: str, crop: bool = True) -> dict:
    image, roi = _phantom()
    return process(image, roi, CONFIGS[config], crop=crop)


@pytest.mark.parametrize(("config", "tag"), _cases(), ids=lambda v: v)
def test_ct_phantom_diagnostic(config: str, tag: str) -> None:
    require_shared(*CT_DIR)
    require_shared(*REF_DIR)
    ref = {r.tag: r for r in _table(config)}[tag]
    value = _diagnostics(config)[tag]
    assert within_tolerance(value, ref), (
        f"config {config.upper()} {tag}: {value} vs {ref.text} ± {ref.tolerance}"
    )


@pytest.mark.parametrize("config", ["b", "c", "d", "e"])
def test_ct_phantom_crop_matches_whole_image(config: str) -> None:
    """The pipeline's crop-then-resample path gives the whole image's values on the ROI."""
    require_shared(*CT_DIR)
    cropped = _diagnostics(config, crop=True)
    whole = _diagnostics(config, crop=False)
    vol_c, vol_w = cropped["_volume"], whole["_volume"]
    start = np.round(
        (np.asarray(vol_c.origin) - np.asarray(vol_w.origin)) / np.asarray(vol_w.spacing)
    ).astype(int)
    np.testing.assert_allclose(
        np.asarray(vol_c.origin),
        np.asarray(vol_w.origin) + start * np.asarray(vol_w.spacing),
        atol=1e-6,
    )
    region = tuple(slice(s, s + n) for s, n in zip(start, vol_c.shape, strict=True))
    np.testing.assert_array_equal(cropped["_morph_mask"], whole["_morph_mask"][region])
    np.testing.assert_array_equal(cropped["_int_mask"], whole["_int_mask"][region])
    assert whole["_morph_mask"].sum() == cropped["_morph_mask"].sum()
    inside = whole["_morph_mask"][region]
    np.testing.assert_allclose(
        cropped["_image"][inside], whole["_image"][region][inside], atol=1e-6
    )
