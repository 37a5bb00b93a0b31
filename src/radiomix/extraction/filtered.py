"""Features of filtered images: response maps of the configured filters around each ROI.

IBSI 2 order of operations (reference manual, "Image processing with filters"):

1. interpolation of the image (and of the mask) to the configured grid;
2. filtering of the interpolated image;
3. the ROI is the interpolated mask re-segmented on the *original* (interpolated,
   unfiltered) intensities: the same voxels for every response map;
4. features of each response map are computed from its values inside that ROI.

Families: intensity statistics by default; the intensity histogram and texture families
with a discretisation meant for response maps (fixed bin number by default, see
:class:`~radiomix.extraction.settings.ResponseDiscretisationSettings`); morphology, local
intensity and the intensity-volume histogram are features of the original image only.

Filters run on the ROI's bounding box (plus the local-intensity margin) and read only the
voxels their kernels reach. The pipeline therefore crops the image before interpolation
with the filters' margin added (:func:`crop_for_filters`), and along an axis where that
window leaves the image and the boundary rule needs the opposite side of the image
(``wrap``), or a filter has to see the full axis (wavelets, whose cascades apply the
boundary rule at every level), the crop takes the whole axis. A filter without finite
support (the image-sized Simoncelli wavelet of IBSI 2) gets the whole image. Response
values are exactly those of filtering the whole (interpolated) image.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

import numpy as np

from radiomix.errors import ConfigError, InvalidImageError
from radiomix.extraction.families import needs_levels, run_family
from radiomix.extraction.records import PreparedRoi
from radiomix.extraction.settings import ExtractionSettings
from radiomix.features._base import FeatureValue
from radiomix.filters._engine import DomainMemo, FilterPlan, WholeArrayStage, run_plan
from radiomix.filters.registry import ResolvedFilter, resolve_filters
from radiomix.io import Volume
from radiomix.preprocess import (
    bounding_box,
    crop_to_roi,
    discretise,
    resample_image,
)

__all__ = [
    "configured_filters",
    "crop_for_filters",
    "filter_image",
    "pick_filter",
    "response_features",
    "response_maps",
    "response_roi",
]


def configured_filters(settings: ExtractionSettings) -> list[ResolvedFilter]:
    """The response maps a configuration asks for, expanded (one per image type)."""
    return resolve_filters([(f.filter, dict(f.params)) for f in settings.filters])


def pick_filter(
    filters: list[ResolvedFilter], pick: str | None, config: str = "the configuration"
) -> ResolvedFilter:
    """The one response map of a configuration, or the one named ``pick``.

    ``pick`` is an image type (``log_s1.5mm``) or, when only one map comes from it, a filter
    name (``log``).

    Raises
    ------
    ConfigError
        No filter, several and no (or an ambiguous) ``pick``, or no match.
    """
    if not filters:
        raise ConfigError(
            f"{config} has no filter: add a 'filters' section (see 'radiomix filter "
            "--list') or use a preset such as ibsi2-2A"
        )
    names = ", ".join(f.image_type for f in filters)
    if pick is None:
        if len(filters) > 1:
            raise ConfigError(
                f"{config} has {len(filters)} response maps ({names}); choose one with "
                "--filter NAME"
            )
        return filters[0]
    exact = [f for f in filters if f.image_type == pick]
    if exact:
        return exact[0]
    by_name = [f for f in filters if f.name == pick.strip().lower()]
    if len(by_name) == 1:
        return by_name[0]
    what = "several" if by_name else "no"
    raise ConfigError(f"--filter {pick!r} matches {what} response map(s) of {config}: {names}")


def filter_image(
    image: Volume, settings: ExtractionSettings, pick: str | None = None
) -> tuple[ResolvedFilter, Volume]:
    """A configuration's response map of a whole image (``radiomix filter``).

    The image is first resampled when the configuration resamples; the map has the
    geometry of the (resampled) image.
    """
    chosen = pick_filter(configured_filters(settings), pick, repr(settings.name))
    rs = settings.resample
    if rs.enabled:
        assert rs.spacing is not None
        new = tuple(s if n is None else n for s, n in zip(image.spacing, rs.spacing, strict=True))
        image = resample_image(image, new, order=rs.interpolation, rounding=rs.rounding)
    plan = chosen.plan(image.spacing)
    if plan.domain is not None and plan.domain.pad is not None:
        raise ConfigError(
            f"{chosen.image_type} is computed on the ROI's bounding box plus a margin "
            "(PyRadiomics' preCrop), and 'radiomix filter' has no ROI: set pad_distance: null "
            "to filter the whole image"
        )
    response = run_plan(plan, np.asarray(image.array, dtype=np.float64))
    return chosen, image.with_array(response)


def _plans(settings: ExtractionSettings, spacing: tuple[float, float, float]) -> list[FilterPlan]:
    return [rf.plan(spacing) for rf in configured_filters(settings)]


def crop_for_filters(
    image: Volume,
    roi: np.ndarray,
    margin_mm: tuple[float, ...],
    settings: ExtractionSettings,
    new_spacing: tuple[float, float, float],
) -> tuple[Volume, np.ndarray, tuple[slice, slice, slice]]:
    """Crop the (original) image for the configured filters.

    ``margin_mm`` is the margin the pipeline needs anyway (local intensity, interpolation);
    each filter adds its reach on the grid it runs on (``new_spacing``). Axes along which
    the window leaves the image under a rule that reads the far side of the image (``wrap``)
    or that a whole-array filter must see in full are kept whole; a filter without finite
    support keeps the whole image.
    """
    plans = _plans(settings, new_spacing)
    extra = [0.0, 0.0, 0.0]
    full = [False, False, False]
    box = bounding_box(roi)
    for plan in plans:
        m = plan.margin
        if m is None:
            full = [True, True, True]
            continue
        whole = any(isinstance(s, WholeArrayStage) for s in plan.stages)
        wraps = any(s.boundary == "wrap" for s in plan.stages)
        for a in range(3):
            reach = m[a] * new_spacing[a]
            extra[a] = max(extra[a], reach)
            if m[a] == 0 or not (whole or wraps):
                continue
            # does the window (ROI box + total margin) leave the image along this axis?
            need = math.ceil((margin_mm[a] + reach) / image.spacing[a] - 1e-9)
            if box[a].start - need < 0 or box[a].stop + need > image.shape[a]:
                full[a] = True
    total = tuple(m + e for m, e in zip(margin_mm, extra, strict=True))
    cropped, crop_mask, slices = crop_to_roi(image, roi, total)
    if not any(full):
        return cropped, crop_mask, slices
    sl = tuple(slice(0, n) if f else s for s, f, n in zip(slices, full, image.shape, strict=True))
    start = np.array([s.start for s in sl], dtype=float)
    origin = np.asarray(image.origin) + image.direction @ (start * np.asarray(image.spacing))
    vol = image.with_array(image.array[sl], origin=tuple(float(o) for o in origin))
    return vol, np.asarray(roi, dtype=bool)[sl], sl  # type: ignore[return-value]


def response_maps(
    prepared: PreparedRoi, settings: ExtractionSettings
) -> Iterator[tuple[str, np.ndarray]]:
    """Each configured filter's response on the prepared ROI's arrays (same shape as
    ``prepared.image``), in configuration order."""
    if prepared.filter_source is None or prepared.filter_box is None:
        raise RuntimeError("the ROI was prepared without filters")  # pragma: no cover
    assert prepared.filter_grid is not None
    box = prepared.filter_box
    roi = bounding_box(prepared.morph_mask)
    roi_box = tuple((b[0] + s.start, b[0] + s.stop) for b, s in zip(box, roi, strict=True))
    memo = DomainMemo()  # this ROI's: the wavelet sub-bands of one PyRadiomics call, once
    for rf in configured_filters(settings):
        plan = rf.plan(prepared.spacing)
        out = run_plan(
            plan,
            prepared.filter_source,
            box,
            offset=prepared.filter_offset,
            full_shape=prepared.filter_grid,
            roi_box=roi_box,
            roi_mask=prepared.int_mask,
            memo=memo,
        )
        yield rf.image_type, out


def _discretise(values: np.ndarray, settings: ExtractionSettings) -> tuple[np.ndarray, int]:
    ds = settings.response_maps.discretisation
    return discretise(
        values,
        ds.method,
        bin_width=ds.bin_width,
        bin_count=ds.bin_count,
        lower_bound=ds.lower_bound,
    )


def response_roi(
    prepared: PreparedRoi,
    image_type: str,
    response: np.ndarray,
    settings: ExtractionSettings,
    families: Iterable[str],
) -> PreparedRoi:
    """The prepared ROI of one response map: its values in place of the image's and, where
    one of ``families`` reads grey levels, their discretisation in the ROI
    (``response_maps.discretisation``).

    Raises
    ------
    InvalidImageError
        The response holds a non-finite value in the ROI.
    """
    values = response[prepared.int_mask]
    if not np.all(np.isfinite(values)):
        raise InvalidImageError(
            f"the {image_type} response map has non-finite values in the ROI "
            "(check the filter parameters against the image intensities)"
        )
    levels = None
    n_levels = 0
    if needs_levels(families):
        lv, n_levels = _discretise(values, settings)
        levels = np.zeros(response.shape, dtype=np.int32)
        levels[prepared.int_mask] = lv
    return replace(prepared, image=response, levels=levels, n_levels=n_levels)


def response_features(
    prepared: PreparedRoi,
    settings: ExtractionSettings,
    timings: dict[str, float],
    clock: Callable[[], float] = time.perf_counter,
) -> Iterator[tuple[str, str, FeatureValue]]:
    """``(image_type, family, value)`` of every response-map feature of a prepared ROI."""
    fams = settings.response_maps.families
    for image_type, response in _timed_maps(prepared, settings, timings, clock):
        p = response_roi(prepared, image_type, response, settings, fams)
        for family in fams:
            t0 = clock()
            for v in run_family(family, p, settings):
                yield image_type, family, v
            timings[f"{image_type}:{family}"] = clock() - t0


def _timed_maps(
    prepared: PreparedRoi,
    settings: ExtractionSettings,
    timings: dict[str, float],
    clock: Callable[[], float],
) -> Iterator[tuple[str, np.ndarray]]:
    it = response_maps(prepared, settings)
    while True:
        t0 = clock()
        try:
            image_type, response = next(it)
        except StopIteration:
            return
        timings[f"{image_type}:filter"] = clock() - t0
        yield image_type, response
