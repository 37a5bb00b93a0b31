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
from typing import Any

import numpy as np

from radiomix.errors import EmptyMaskError, InvalidImageError, RoiTooSmallError
from radiomix.extraction.families import needs_levels, run_family
from radiomix.extraction.records import FeatureRecord, PreparedRoi, RoiResult
from radiomix.extraction.settings import ExtractionSettings
from radiomix.io import Volume, check_finite
from radiomix.preprocess import (
    crop_to_roi,
    discretise,
    resample_image,
    resample_mask,
    resampled_grid,
    resegment_outliers,
    resegment_range,
)

__all__ = ["extract_roi", "prepare_roi"]

#: radius (mm) of the 1 cm^3 sphere of the local intensity features
_PEAK_RADIUS_MM = 6.2035


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


def _filter_margin_mm(
    margin: tuple[float, ...], new_spacing: tuple[float, float, float]
) -> tuple[float, ...]:
    """The margin the filters' window starts from: the final crop's (the ROI box plus
    :data:`_PEAK_RADIUS_MM` and the coarsest voxel size, rounded up to whole voxels), plus
    ``margin``'s interpolation support. Along the fine axes of an anisotropic grid the final
    crop reaches beyond ``margin`` itself."""
    coarsest = max(new_spacing)
    return tuple(m + coarsest + n for m, n in zip(margin, new_spacing, strict=True))


def _discretise(
    values: np.ndarray,
    settings: ExtractionSettings,
    range_bounds: tuple[float | None, float | None],
) -> tuple[np.ndarray, int]:
    """Grey levels of the ROI values and N_g (:func:`radiomix.preprocess.discretise`): fixed
    bin size starts at the discretisation's lower bound, else the re-segmentation range's,
    else the ROI minimum; with the range's lower bound, N_g counts the bins up to its upper
    bound."""
    range_lower, range_upper = range_bounds
    ds = settings.discretisation
    try:
        return discretise(
            values,
            ds.method,
            bin_width=ds.bin_width,
            bin_count=ds.bin_count,
            lower_bound=ds.lower_bound if ds.lower_bound is not None else range_lower,
            upper_bound=range_upper if ds.lower_bound is None else None,
        )
    except ValueError as exc:
        raise InvalidImageError(str(exc)) from None


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

        wide = _filter_margin_mm(margin, new_spacing)
        cropped, crop_mask, crop_sl = crop_for_filters(image, roi, wide, settings, new_spacing)
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
    if settings.features.original and needs_levels(settings.features.families):
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
        origin=vol.origin,
        direction=vol.direction,
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


def extract_roi(
    image: Volume,
    mask: Volume,
    settings: ExtractionSettings,
    *,
    case_id: str = "case",
    roi: str = "1",
    clock: Callable[[], float] = time.perf_counter,
) -> RoiResult:
    """Process one ROI and compute every configured feature family (the ``ibsi`` profile;
    :func:`radiomix.extraction.api.extract_results` picks the profile's pipeline).

    ``mask`` is a boolean volume on the image grid (geometry already checked).
    """
    diagnostics: dict[str, float] = {}
    timings: dict[str, float] = {}
    t0 = clock()
    prepared = prepare_roi(image, mask, settings, diagnostics)
    timings["preprocess"] = clock() - t0
    records: list[FeatureRecord] = []
    if settings.features.original:
        for family in settings.features.families:
            t0 = clock()
            for v in run_family(family, prepared, settings):
                records.append(FeatureRecord("original", family, v))
            timings[family] = clock() - t0
    if settings.filters:
        from radiomix.extraction.filtered import response_features

        for image_type, family, v in response_features(prepared, settings, timings, clock):
            records.append(FeatureRecord(image_type, family, v))
    return RoiResult(case_id, roi, records, diagnostics, timings)
