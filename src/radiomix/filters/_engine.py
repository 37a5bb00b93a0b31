"""Filtering a box of an image exactly as filtering the whole image would, from a crop.

A filter is a :class:`FilterPlan`: a sequence of local stages. A :class:`Stage` maps a
window holding its output box plus ``radius`` voxels on each side to the output box ("valid"
filtering: it never pads). Pointwise steps (modulus, pooling over rotated kernels) live
inside a stage; a step that reads a neighbourhood of an intermediate result (the energy
map of Laws filters) is a stage of its own, because IBSI 2 applies the boundary condition
to that intermediate map, not to the image.

:func:`run_plan` computes the response on a box (in whole-image voxel coordinates) from a
``source`` array that may be a crop of the whole image:

1. Backwards from the last stage: the positions each stage needs are its output box widened
   by its radius; positions outside the image go through the boundary rule
   (:func:`~radiomix.filters._boundary.boundary_index`), so each stage's output is needed on
   a range of true image indices (real neighbours where they exist, the reflection, edge
   value or opposite side of the image where the window leaves it).
2. Forwards: gather each stage's window by those index maps (zeros for ``constant``
   outside the image) from the source or from the previous stage's output, and apply it.

The same code filters the whole image (box = the image), so a crop and the whole image
give the same values by construction, whatever the boundary rule. A
:class:`WholeArrayStage` wraps a function that filters a whole array with its own boundary
handling (filters written elsewhere); it is run on the window when that window lies inside
the image, and on the full extent of every axis along which it does not, which is again
exact.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from radiomix.filters._boundary import boundary_index

__all__ = [
    "DomainMemo",
    "DomainStage",
    "FilterPlan",
    "Stage",
    "WholeArrayStage",
    "filter_array",
    "run_plan",
    "source_region",
]

Box = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]


@dataclass(frozen=True)
class Stage:
    """A local operation on a window, without padding.

    Parameters
    ----------
    radius : (z, y, x) int
        Voxels the operation reads on each side of an output voxel.
    boundary : str
        Canonical boundary rule for positions of this stage's input outside the image.
    apply : callable
        ``window -> output``: the window has shape ``out_shape + 2 * radius`` and the
        output ``out_shape`` (float64). It must not modify the window.
    """

    radius: tuple[int, int, int]
    boundary: str
    apply: Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class WholeArrayStage:
    """A filter of a whole array that handles the array edges itself.

    Parameters
    ----------
    radius : (z, y, x) int, or None
        Voxels of the image the response at one voxel depends on, on each side; None when
        the filter has no finite support (e.g. a periodic filter as large as the image),
        which then always runs on the whole image.
    boundary : str
        The boundary rule the function applies at the array edges (informative).
    apply : callable
        ``array -> response`` of the same shape.
    """

    radius: tuple[int, int, int] | None
    boundary: str
    apply: Callable[[np.ndarray], np.ndarray]


class DomainMemo:
    """The last result a domain filter kept for the next one: the stages of one call that
    computes several maps at once (PyRadiomics' 8 wavelet sub-bands, LBP3D's levels) share
    that call. One memo belongs to one caller's run over one image and ROI (the plans of
    one ROI, :func:`radiomix.extraction.filtered.response_maps`); it is never module state,
    so cases filtered at once in several threads never see each other's results."""

    def __init__(self) -> None:
        self._key: Hashable = None
        self._value: Any = None

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value kept under ``key``, or ``compute()`` (then kept in place of the last)."""
        if self._key is None or key != self._key:
            self._value = compute()
            self._key = key
        return self._value


@dataclass(frozen=True)
class DomainStage:
    """A filter defined on a domain rather than locally (PyRadiomics' image types).

    The response depends on the whole domain the filter is given: the ROI's bounding box
    enlarged by ``pad`` voxels and clipped to the image (PyRadiomics' ``preCrop`` with
    ``padDistance``), or the whole image (``pad`` None). Outside the domain the response
    is 0 (features only read ROI voxels, which are always inside).

    Parameters
    ----------
    pad : int or None
    apply : callable
        ``(domain image, domain ROI mask, memo) -> response`` of the domain's shape;
        ``memo`` is the caller's :class:`DomainMemo` (a result several stages share).
    """

    pad: int | None
    apply: Callable[[np.ndarray, np.ndarray, DomainMemo], np.ndarray]
    boundary: str = "domain"

    @property
    def radius(self) -> tuple[int, int, int] | None:
        return None if self.pad is None else (self.pad, self.pad, self.pad)


@dataclass(frozen=True)
class FilterPlan:
    """A filter resolved for one voxel spacing: the stages that compute its response."""

    stages: tuple[Stage | WholeArrayStage | DomainStage, ...]

    def __post_init__(self) -> None:
        if not self.stages:
            raise ValueError("a filter plan needs at least one stage")
        single = (WholeArrayStage, DomainStage)
        if any(isinstance(s, single) for s in self.stages) and len(self.stages) > 1:
            raise ValueError("a whole-array or domain stage must be the only stage of its plan")

    @property
    def domain(self) -> DomainStage | None:
        """The domain stage of a domain filter (None for local filters)."""
        first = self.stages[0]
        return first if isinstance(first, DomainStage) else None

    @property
    def margin(self) -> tuple[int, int, int] | None:
        """Voxels of the image the response at one voxel depends on, on each side (None:
        the whole image). For a domain filter: its pad around the ROI's bounding box."""
        total = [0, 0, 0]
        for s in self.stages:
            if s.radius is None:
                return None
            for a in range(3):
                total[a] += int(s.radius[a])
        return tuple(total)  # type: ignore[return-value]

    @property
    def boundaries(self) -> tuple[str, ...]:
        return tuple(s.boundary for s in self.stages)


@dataclass(frozen=True)
class _AxisGather:
    index: np.ndarray  # image index per window position
    valid: np.ndarray  # False: constant zero


def _as_box(box: Sequence[tuple[int, int] | slice], shape: tuple[int, ...]) -> Box:
    out = []
    for b, n in zip(box, shape, strict=True):
        if isinstance(b, slice):
            lo, hi, step = b.indices(n)
            if step != 1:
                raise ValueError("a box must be contiguous (step 1)")
        else:
            lo, hi = int(b[0]), int(b[1])
        if not 0 <= lo < hi <= n:
            raise ValueError(f"box {lo}:{hi} is empty or outside an axis of {n} voxels")
        out.append((lo, hi))
    return tuple(out)  # type: ignore[return-value]


def _plan_gathers(
    plan: FilterPlan, box: Box, full_shape: tuple[int, int, int]
) -> tuple[list[list[_AxisGather]], list[Box]]:
    """Per stage: the index maps of its window, and its output range (image indices)."""
    n_stages = len(plan.stages)
    gathers: list[list[_AxisGather]] = [[] for _ in range(n_stages)]
    ranges: list[Box] = [box] * n_stages
    for k in range(n_stages - 1, -1, -1):
        stage = plan.stages[k]
        per_axis = []
        prev: list[tuple[int, int]] = []
        assert stage.radius is not None
        for a in range(3):
            lo, hi = ranges[k][a]
            r = int(stage.radius[a])
            pos = np.arange(lo - r, hi + r)
            idx, valid = boundary_index(pos, full_shape[a], stage.boundary)
            per_axis.append(_AxisGather(idx, valid))
            used = idx[valid]
            prev.append((int(used.min()), int(used.max()) + 1) if used.size else (lo, hi))
        gathers[k] = per_axis
        if k > 0:
            ranges[k - 1] = tuple(prev)  # type: ignore[assignment]
    return gathers, ranges


def _whole_window(
    stage: WholeArrayStage, box: Box, full_shape: tuple[int, int, int]
) -> tuple[tuple[int, int], ...]:
    """Window of a whole-array stage: box + radius where that stays inside the image, the
    full axis where it does not (so the function's own edge handling is the image's)."""
    if stage.radius is None:
        return tuple((0, n) for n in full_shape)
    win = []
    for a in range(3):
        lo, hi = box[a]
        r = int(stage.radius[a])
        if lo - r >= 0 and hi + r <= full_shape[a]:
            win.append((lo - r, hi + r))
        else:
            win.append((0, full_shape[a]))
    return tuple(win)


def _domain(
    stage: DomainStage, full_shape: tuple[int, ...], roi_box: Sequence[tuple[int, int]] | None
) -> tuple[tuple[int, int], ...]:
    if stage.pad is None:
        return tuple((0, n) for n in full_shape)
    if roi_box is None:
        raise ValueError(
            "this filter works on the ROI's bounding box plus a margin (PyRadiomics' "
            "preCrop): give the ROI box, or pad_distance null to filter the whole image"
        )
    return tuple(
        (max(lo - stage.pad, 0), min(hi + stage.pad, n))
        for (lo, hi), n in zip(roi_box, full_shape, strict=True)
    )


def source_region(
    plan: FilterPlan,
    box: Sequence[tuple[int, int] | slice],
    full_shape: Sequence[int],
    *,
    roi_box: Sequence[tuple[int, int]] | None = None,
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """The range of image indices (per axis, ``[lo, hi)``) that :func:`run_plan` reads.

    A source array passed to :func:`run_plan` must cover this region. ``roi_box`` (the
    ROI's bounding box) is needed by domain filters only.
    """
    shape = tuple(int(n) for n in full_shape)
    b = _as_box(box, shape)
    first = plan.stages[0]
    if isinstance(first, DomainStage):
        return _domain(first, shape, roi_box)  # type: ignore[return-value]
    if isinstance(first, WholeArrayStage):
        return _whole_window(first, b, shape)  # type: ignore[arg-type, return-value]
    gathers, _ = _plan_gathers(plan, b, shape)  # type: ignore[arg-type]
    out = []
    for a in range(3):
        g = gathers[0][a]
        used = g.index[g.valid]
        out.append((int(used.min()), int(used.max()) + 1) if used.size else b[a])
    return tuple(out)  # type: ignore[return-value]


def _gather(data: np.ndarray, offset: Sequence[int], axes: list[_AxisGather]) -> np.ndarray:
    """``data`` (covering image indices from ``offset``) sampled at the window's indices."""
    local = []
    for a, g in enumerate(axes):
        li = g.index - int(offset[a])
        used = li[g.valid]
        if used.size and (used.min() < 0 or used.max() >= data.shape[a]):
            raise ValueError(
                f"the source array (axis {a}: image indices {offset[a]} to "
                f"{offset[a] + data.shape[a] - 1}) does not cover the filter window "
                f"(needs {used.min() + offset[a]} to {used.max() + offset[a]}); crop with "
                "a larger margin"
            )
        local.append(np.where(g.valid, li, 0))
    contiguous = all(
        g.valid.all() and (li.size < 2 or bool(np.all(np.diff(li) == 1)))
        for g, li in zip(axes, local, strict=True)
    )
    if contiguous:
        sl = tuple(slice(int(li[0]), int(li[-1]) + 1) for li in local)
        return data[sl]
    out = data[np.ix_(*local)]
    if not all(g.valid.all() for g in axes):
        out = np.array(out, dtype=np.float64, copy=True)
        for a, g in enumerate(axes):
            if not g.valid.all():
                sel: list[slice | np.ndarray] = [slice(None)] * 3
                sel[a] = ~g.valid
                out[tuple(sel)] = 0.0
    return out


def run_plan(
    plan: FilterPlan,
    source: np.ndarray,
    box: Sequence[tuple[int, int] | slice] | None = None,
    *,
    offset: Sequence[int] = (0, 0, 0),
    full_shape: Sequence[int] | None = None,
    roi_box: Sequence[tuple[int, int]] | None = None,
    roi_mask: np.ndarray | None = None,
    memo: DomainMemo | None = None,
) -> np.ndarray:
    """Response of a filter on a box of the image.

    Parameters
    ----------
    plan : FilterPlan
        The filter, resolved for the image's voxel spacing.
    source : ndarray (z, y, x)
        The image, or a crop of it that covers :func:`source_region`.
    box : sequence of 3 ``(lo, hi)`` or slices, optional
        The output box in whole-image voxel indices; default: the whole image.
    offset : (z, y, x) int
        Whole-image index of ``source[0, 0, 0]``.
    full_shape : (z, y, x) int, optional
        Shape of the whole image (default: ``source.shape``, i.e. source is the image).
    roi_box : sequence of 3 ``(lo, hi)``, optional
        The ROI's bounding box (whole-image indices); domain filters only.
    roi_mask : ndarray of bool, optional
        The ROI on ``box`` (same shape as the output); domain filters that use the ROI
        (PyRadiomics' LBP3D) only. Default: every voxel of the domain.
    memo : DomainMemo, optional
        Domain filters only: a result kept across the caller's plans on this source and
        ROI (give one memo to the plans of one ROI, in order; default: none kept).

    Returns
    -------
    ndarray of float64
        The response on the box, equal to the whole image's response there.
    """
    src = np.asarray(source, dtype=np.float64)
    if src.ndim != 3:
        raise ValueError(f"filters work on (z, y, x) arrays, got {src.ndim} dimensions")
    shape = tuple(int(n) for n in (full_shape if full_shape is not None else src.shape))
    if box is None:
        box = tuple((0, n) for n in shape)
    b = _as_box(box, shape)
    first = plan.stages[0]
    if isinstance(first, DomainStage):
        memo = DomainMemo() if memo is None else memo
        return _run_domain(first, src, b, offset, shape, roi_box, roi_mask, memo)
    if isinstance(first, WholeArrayStage):
        win = _whole_window(first, b, shape)  # type: ignore[arg-type]
        axes = [_AxisGather(np.arange(lo, hi), np.ones(hi - lo, dtype=bool)) for lo, hi in win]
        window = _gather(src, offset, axes)
        out = np.asarray(first.apply(np.array(window, dtype=np.float64)), dtype=np.float64)
        if out.shape != window.shape:
            raise ValueError(
                f"a whole-array filter returned shape {out.shape} for input {window.shape}"
            )
        sl = tuple(slice(lo - w0, hi - w0) for (lo, hi), (w0, _) in zip(b, win, strict=True))
        return np.ascontiguousarray(out[sl])
    gathers, ranges = _plan_gathers(plan, b, shape)  # type: ignore[arg-type]
    data = src
    data_offset: Sequence[int] = offset
    for k, stage in enumerate(plan.stages):
        assert isinstance(stage, Stage)
        window = _gather(data, data_offset, gathers[k])
        out = np.asarray(stage.apply(window), dtype=np.float64)
        expected = tuple(hi - lo for lo, hi in ranges[k])
        if out.shape != expected:
            raise ValueError(
                f"filter stage {k} returned shape {out.shape}, expected {expected} "
                f"(window {window.shape}, radius {stage.radius})"
            )
        data = out
        data_offset = tuple(lo for lo, _ in ranges[k])
    return data


def _run_domain(
    stage: DomainStage,
    src: np.ndarray,
    box: Box,
    offset: Sequence[int],
    shape: tuple[int, ...],
    roi_box: Sequence[tuple[int, int]] | None,
    roi_mask: np.ndarray | None,
    memo: DomainMemo,
) -> np.ndarray:
    dom = _domain(stage, shape, roi_box)
    axes = [_AxisGather(np.arange(lo, hi), np.ones(hi - lo, dtype=bool)) for lo, hi in dom]
    window = np.array(_gather(src, offset, axes), dtype=np.float64)
    mask = np.ones(window.shape, dtype=bool)
    if roi_mask is not None:
        roi = np.asarray(roi_mask, dtype=bool)
        if roi.shape != tuple(hi - lo for lo, hi in box):
            raise ValueError(f"roi_mask shape {roi.shape} differs from the box")
        mask[:] = False
        _paste(mask, dom, roi, box)
    response = np.asarray(stage.apply(window, mask, memo), dtype=np.float64)
    if response.shape != window.shape:
        raise ValueError(f"a domain filter returned shape {response.shape} for {window.shape}")
    out = np.zeros(tuple(hi - lo for lo, hi in box), dtype=np.float64)
    _paste(out, box, response, dom)
    return out


def _paste(
    dst: np.ndarray,
    dst_box: Sequence[tuple[int, int]],
    src: np.ndarray,
    src_box: Sequence[tuple[int, int]],
) -> None:
    """Copy the overlap of two boxes (whole-image indices) from ``src`` into ``dst``."""
    lo = [max(a[0], b[0]) for a, b in zip(dst_box, src_box, strict=True)]
    hi = [min(a[1], b[1]) for a, b in zip(dst_box, src_box, strict=True)]
    if any(h <= low for low, h in zip(lo, hi, strict=True)):
        return
    d = tuple(slice(low - b[0], h - b[0]) for low, h, b in zip(lo, hi, dst_box, strict=True))
    s = tuple(slice(low - b[0], h - b[0]) for low, h, b in zip(lo, hi, src_box, strict=True))
    dst[d] = src[s]


def filter_array(plan: FilterPlan, image: np.ndarray) -> np.ndarray:
    """Response of a filter on a whole (z, y, x) array (float64)."""
    arr = np.asarray(image, dtype=np.float64)
    if arr.ndim == 2:
        return run_plan(plan, arr[np.newaxis])[0]
    return run_plan(plan, arr)
