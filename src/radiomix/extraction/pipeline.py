"""The per-case extraction pipeline (IBSI 1 image processing, then every feature family).

    read -> checks -> crop to ROI + margin -> interpolate image (+ rounding)
         -> interpolate mask (partial-volume threshold) = morphological mask
         -> re-segment (range, outliers) = intensity mask
         -> discretise -> feature families

:func:`extract_roi` is a pure function of arrays and settings: the same inputs give the
same record whichever process or machine runs it. Diagnostics use the IBSI reference
tags (``int_mask_vox_count_reseg_roi``, ...) so they can be compared with the tables.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from radiomix.errors import EmptyMaskError, InvalidImageError, RoiTooSmallError
from radiomix.extraction.settings import ExtractionSettings
from radiomix.features import family_module
from radiomix.features._base import FeatureValue
from radiomix.io import Volume, check_finite
from radiomix.preprocess import (
    crop_to_roi,
    discretise_fixed_bin_number,
    discretise_fixed_bin_size,
    resample_image,
    resample_mask,
    resampled_grid,
    resegment_outliers,
    resegment_range,
)

__all__ = ["FeatureRecord", "RoiResult", "extract_roi"]

#: radius (mm) of the 1 cm^3 sphere of the local intensity features
_PEAK_RADIUS_MM = 6.2035


@dataclass(frozen=True)
class FeatureRecord:
    """A feature value with the image it was computed on (``original`` or a filter)."""

    image_type: str
    family: str
    value: FeatureValue


@dataclass
class RoiResult:
    """Everything extracted for one ROI of one case."""

    case_id: str
    roi: str
    features: list[FeatureRecord]
    diagnostics: dict[str, Any]  # numbers; text for the pyradiomics profile's diagnostics
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PreparedRoi:
    """Arrays after image processing, cropped to the ROI (+ margin), ready for the families."""

    image: np.ndarray  # float64 intensities (z, y, x)
    int_mask: np.ndarray  # bool, intensity mask (after re-segmentation)
    morph_mask: np.ndarray  # bool, morphological mask
    spacing: tuple[float, float, float]
    levels: np.ndarray | None  # int32, 1..n_levels inside int_mask, 0 outside
    n_levels: int
    range_bounds: tuple[float | None, float | None]
    # filters (extraction.filtered): the interpolated image they read, where it sits in the
    # whole interpolated grid, that grid's shape, and the box of ``image`` in that grid
    filter_source: np.ndarray | None = None
    filter_offset: tuple[int, int, int] = (0, 0, 0)
    filter_grid: tuple[int, int, int] | None = None
    filter_box: tuple[tuple[int, int], tuple[int, int], tuple[int, int]] | None = None


# -- diagnostics --------------------------------------------------------------------------


def _axes_tags(prefix: str, values: tuple[Any, ...], suffix: str) -> dict[str, float]:
    # values in (z, y, x); IBSI tags name physical axes x, y, z
    z, y, x = values
    return {f"{prefix}_x_{suffix}": x, f"{prefix}_y_{suffix}": y, f"{prefix}_z_{suffix}": z}


def _bb_extent(mask: np.ndarray) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """First voxel index and size of the mask's bounding box, (z, y, x); zeros when empty."""
    starts, dims = [], []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        idx = np.flatnonzero(mask.any(axis=other))
        starts.append(int(idx[0]) if idx.size else 0)
        dims.append(int(idx[-1] - idx[0] + 1) if idx.size else 0)
    return tuple(starts), tuple(dims)  # type: ignore[return-value]


def _bb_dims(mask: np.ndarray) -> tuple[int, int, int]:
    return _bb_extent(mask)[1]


def _roi_diagnostics(
    image: np.ndarray,
    int_mask: np.ndarray,
    morph_mask: np.ndarray,
    grid_shape: tuple[int, int, int],
    stage: str,
) -> dict[str, float]:
    d: dict[str, float] = {}
    d.update(_axes_tags("int_mask_dim", grid_shape, f"{stage}_roi"))
    d.update(_axes_tags("int_mask_bb_dim", _bb_dims(int_mask), f"{stage}_roi"))
    d.update(_axes_tags("morph_mask_bb_dim", _bb_dims(morph_mask), f"{stage}_roi"))
    d[f"int_mask_vox_count_{stage}_roi"] = int(int_mask.sum())
    d[f"morph_mask_vox_count_{stage}_roi"] = int(morph_mask.sum())
    vals = image[int_mask]
    if vals.size:
        d[f"int_mask_mean_int_{stage}_roi"] = float(vals.mean())
        d[f"int_mask_min_int_{stage}_roi"] = float(vals.min())
        d[f"int_mask_max_int_{stage}_roi"] = float(vals.max())
    return d


def _image_diagnostics(volume: Volume, stage: str, with_values: bool = True) -> dict[str, float]:
    d: dict[str, float] = {}
    d.update(_axes_tags("img_dim", volume.shape, f"{stage}_img"))
    d.update(_axes_tags("vox_dim", volume.spacing, f"{stage}_img"))
    if with_values:
        arr = volume.array
        d[f"mean_int_{stage}_img"] = float(arr.mean(dtype=np.float64))
        d[f"min_int_{stage}_img"] = float(arr.min())
        d[f"max_int_{stage}_img"] = float(arr.max())
    return d


# -- image processing ---------------------------------------------------------------------


def _target_spacing(
    settings: ExtractionSettings, spacing: tuple[float, float, float]
) -> tuple[float, float, float]:
    rs = settings.resample
    if not rs.enabled:
        return spacing
    assert rs.spacing is not None
    return tuple(s if n is None else n for s, n in zip(spacing, rs.spacing, strict=True))  # type: ignore[return-value]


def _resampled_shape(
    volume: Volume, new_spacing: tuple[float, float, float]
) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        n if math.isclose(s, t) else math.ceil(n * s / t - 1e-9)
        for n, s, t in zip(volume.shape, volume.spacing, new_spacing, strict=True)
    )


def _margin_mm(
    settings: ExtractionSettings, spacing: tuple[float, float, float]
) -> tuple[float, ...]:
    new = _target_spacing(settings, spacing)
    # room for the local-intensity sphere, plus interpolation support on both grids; the
    # cubic B-spline's prefilter reaches further (about 12 voxels to reach float precision)
    reach = 12 if settings.resample.enabled and settings.resample.interpolation == "cubic" else 3
    return tuple(_PEAK_RADIUS_MM + 2 * n + reach * s for s, n in zip(spacing, new, strict=True))


def _discretise(
    values: np.ndarray,
    settings: ExtractionSettings,
    range_bounds: tuple[float | None, float | None],
) -> tuple[np.ndarray, int]:
    """Grey levels of the ROI values and the number of grey levels N_g.

    With fixed bin size, N_g counts the bins of width w from the lower bound X_min up to the
    re-segmentation range's upper bound X_max when one is set, ``ceil((X_max - X_min) / w)``
    (IBSI: a range of 900 HU in bins of 25 HU has 36 grey levels; an intensity exactly at
    X_max opens a 37th only if it occurs), else up to the ROI maximum.
    """
    range_lower, range_upper = range_bounds
    ds = settings.discretisation
    if ds.method == "none":
        if np.any(values != np.round(values)) or values.min() < 1:
            raise InvalidImageError(
                "discretisation method 'none' needs intensities that are positive integers "
                f"(found values from {values.min()} to {values.max()}); choose "
                "fixed_bin_size or fixed_bin_number"
            )
        levels = values.astype(np.int32)
        return levels, int(levels.max())
    if ds.method == "fixed_bin_number":
        levels = discretise_fixed_bin_number(values, ds.bin_count)
        return levels, ds.bin_count
    lower = ds.lower_bound
    if lower is None:
        lower = range_lower if range_lower is not None else float(values.min())
    levels = discretise_fixed_bin_size(values, ds.bin_width, lower)
    n_levels = int(levels.max())
    if range_upper is not None and ds.lower_bound is None:
        n_range = math.ceil((range_upper - lower) / ds.bin_width - 1e-9)
        n_levels = max(n_levels, n_range)
    return levels, n_levels


def prepare_roi(
    image: Volume,
    mask: Volume,
    settings: ExtractionSettings,
    diagnostics: dict[str, float],
) -> PreparedRoi:
    """Run the IBSI image processing chain on one ROI (``mask`` is boolean)."""
    roi = np.asarray(mask.array, dtype=bool)
    n_roi = int(roi.sum())
    if n_roi == 0:
        raise EmptyMaskError("the mask holds no ROI voxel: check the label and the mask file")
    if n_roi < 2:
        raise RoiTooSmallError(
            "the ROI holds a single voxel: features of one voxel are undefined; "
            "check the mask (or the label chosen)"
        )

    diagnostics.update(_image_diagnostics(image, "init", with_values=True))
    diagnostics.update(_roi_diagnostics(image.array, roi, roi, image.shape, "init"))
    # where the ROI lies in the image as read (voxel index of its bounding box's first corner)
    diagnostics.update(_axes_tags("mask_bb_start", _bb_extent(roi)[0], "init_roi"))

    new_spacing = _target_spacing(settings, image.spacing)
    margin = _margin_mm(settings, image.spacing)
    if settings.filters:
        from radiomix.extraction.filtered import crop_for_filters  # the filters: on use

        cropped, crop_mask, crop_sl = crop_for_filters(image, roi, margin, settings, new_spacing)
    else:
        cropped, crop_mask, crop_sl = crop_to_roi(image, roi, margin)
    check_finite(
        cropped,
        what="the image in or around the ROI (the filters' margin)",
        offset=[s.start or 0 for s in crop_sl],
        plane=image.is_2d,
    )

    rs = settings.resample
    if rs.enabled:
        full_shape = _resampled_shape(image, new_spacing)
        if settings.diagnostics.full_image:
            full = resample_image(image, new_spacing, order=rs.interpolation, rounding=rs.rounding)
            diagnostics.update(_image_diagnostics(full, "interp", with_values=True))
            full_shape = full.shape
        else:
            diagnostics.update(
                _image_diagnostics(
                    Volume(np.zeros((1, 1, 1)), spacing=new_spacing), "interp", with_values=False
                )
            )
            diagnostics.update(_axes_tags("img_dim", full_shape, "interp_img"))
        work = resample_image(
            cropped, new_spacing, order=rs.interpolation, rounding=rs.rounding, grid_reference=image
        )
        morph = resample_mask(
            cropped.with_array(crop_mask.astype(np.float32)),
            work,
            order=rs.mask_interpolation,
            threshold=rs.mask_threshold,
        ).array.astype(bool)
    else:
        full_shape = image.shape
        diagnostics.update(_image_diagnostics(image, "interp", with_values=True))
        work = cropped
        morph = crop_mask
    image_arr = np.asarray(work.array, dtype=np.float64)
    if not morph.any():
        raise EmptyMaskError(
            "the ROI vanished after interpolation (partial-volume threshold "
            f"{rs.mask_threshold}): the ROI is smaller than the new voxel size {new_spacing} mm"
        )
    diagnostics.update(_roi_diagnostics(image_arr, morph, morph, full_shape, "interp"))

    rg = settings.resegment
    int_mask = morph
    lo, hi = rg.range if rg.range is not None else (None, None)
    if rg.range is not None:
        int_mask = resegment_range(image_arr, int_mask, lo, hi)
    if rg.outlier_sigma is not None:
        int_mask = resegment_outliers(image_arr, int_mask, rg.outlier_sigma)
    if not int_mask.any():
        raise EmptyMaskError(
            f"no ROI voxel is left after re-segmentation (range {rg.range}, outliers "
            f"{rg.outlier_sigma} SD): check the intensity range against the image's values"
        )
    diagnostics.update(_roi_diagnostics(image_arr, int_mask, morph, full_shape, "reseg"))

    # final crop: ROI bounding box plus the local-intensity margin
    vol = work.with_array(image_arr)
    vol, morph_c, sl = crop_to_roi(vol, morph, _PEAK_RADIUS_MM + max(vol.spacing))
    int_c = int_mask[sl]
    filter_args: dict[str, Any] = {}
    if settings.filters:
        filter_args = _filter_source(image, work, image_arr, crop_sl, sl, new_spacing, rs.enabled)

    levels = None
    n_levels = 0
    fams = set(settings.features.families)
    texture = {"histogram", "glcm", "glrlm", "glszm", "gldzm", "ngtdm", "ngldm"}
    if settings.features.original and fams & texture:
        vals = vol.array[int_c]
        lv, n_levels = _discretise(vals, settings, (lo, hi))
        levels = np.zeros(vol.shape, dtype=np.int32)
        levels[int_c] = lv
    return PreparedRoi(
        image=vol.array,
        int_mask=int_c,
        morph_mask=morph_c,
        spacing=vol.spacing,
        levels=levels,
        n_levels=n_levels,
        range_bounds=(lo, hi),
        **filter_args,
    )


def _filter_source(
    image: Volume,
    work: Volume,
    image_arr: np.ndarray,
    crop_sl: tuple[slice, ...],
    final_sl: tuple[slice, ...],
    new_spacing: tuple[float, float, float],
    resampled: bool,
) -> dict[str, Any]:
    """Where the interpolated crop ``work`` sits in the whole interpolated grid (for the
    filters, which must see the whole image's boundary)."""
    if resampled:
        grid = resampled_grid(image, new_spacing)
        pos = grid.direction.T @ (np.asarray(work.origin) - np.asarray(grid.origin))
        offset = tuple(round(p / s) for p, s in zip(pos, grid.spacing, strict=True))
        shape = grid.shape
    else:
        offset = tuple(int(s.start) for s in crop_sl)
        shape = image.shape
    box = tuple((o + s.start, o + s.stop) for o, s in zip(offset, final_sl, strict=True))
    return {
        "filter_source": image_arr,
        "filter_offset": offset,
        "filter_grid": tuple(int(n) for n in shape),
        "filter_box": box,
    }


# -- feature families ---------------------------------------------------------------------


def _ivh_values(p: PreparedRoi, settings: ExtractionSettings) -> list[FeatureValue]:
    from radiomix.features import ivh

    lo, hi = p.range_bounds
    iv = settings.ivh
    return ivh.compute(
        p.image[p.int_mask],
        method=iv.method,
        step=iv.step,
        bin_width=iv.bin_width if iv.method == "fixed_bin_size" else None,
        n_bins=iv.bin_count if iv.method == "fixed_bin_number" else None,
        value_range=(lo, hi) if lo is not None and hi is not None else None,
    )


def _texture_levels(p: PreparedRoi) -> np.ndarray:
    assert p.levels is not None
    return p.levels


def _run_family(family: str, p: PreparedRoi, s: ExtractionSettings) -> list[FeatureValue]:
    mod = family_module(family)
    tx = s.texture
    if family == "morphology":
        return mod.compute(p.image, p.int_mask, p.morph_mask, p.spacing)
    if family == "morphology_2d":
        return mod.compute(p.morph_mask, p.spacing)
    if family == "local_intensity":
        return mod.compute(p.image, p.int_mask, p.spacing)
    if family == "statistics":
        return mod.compute(p.image[p.int_mask])
    if family == "histogram":
        return mod.compute(_texture_levels(p)[p.int_mask], p.n_levels)
    if family == "ivh":
        return _ivh_values(p, s)
    lv = _texture_levels(p)
    if family in ("glrlm", "glszm"):
        return mod.compute(lv, p.n_levels, spatial=tx.spatial)
    if family == "gldzm":
        return mod.compute(lv, p.n_levels, spatial=tx.spatial, morph_mask=p.morph_mask)
    out: list[FeatureValue] = []
    for d in tx.distance:
        if family == "ngldm":
            out += mod.compute(
                lv, p.n_levels, spatial=tx.spatial, distance=d, coarseness=tx.ngldm_coarseness
            )
        else:
            out += mod.compute(lv, p.n_levels, spatial=tx.spatial, distance=d)
    return out


def extract_roi(
    image: Volume,
    mask: Volume,
    settings: ExtractionSettings,
    *,
    case_id: str = "case",
    roi: str = "1",
    clock: Callable[[], float] = time.perf_counter,
) -> RoiResult:
    """Process one ROI and compute every configured feature family.

    ``mask`` is a boolean volume on the image grid (geometry already checked). With
    ``settings.profile == "pyradiomics"`` the case runs PyRadiomics' pipeline
    (:mod:`radiomix.extraction.profile_pyradiomics`).
    """
    if settings.profile == "pyradiomics":
        from radiomix.extraction.profile_pyradiomics import extract_roi_pyradiomics

        return extract_roi_pyradiomics(image, mask, settings, case_id=case_id, roi=roi, clock=clock)
    diagnostics: dict[str, float] = {}
    timings: dict[str, float] = {}
    t0 = clock()
    prepared = prepare_roi(image, mask, settings, diagnostics)
    timings["preprocess"] = clock() - t0
    records: list[FeatureRecord] = []
    if settings.features.original:
        for family in settings.features.families:
            t0 = clock()
            for v in _run_family(family, prepared, settings):
                records.append(FeatureRecord("original", family, v))
            timings[family] = clock() - t0
    if settings.filters:
        from radiomix.extraction.filtered import response_features

        for image_type, family, v in response_features(
            prepared, settings, _run_family, timings, clock
        ):
            records.append(FeatureRecord(image_type, family, v))
    return RoiResult(case_id, roi, records, diagnostics, timings)
