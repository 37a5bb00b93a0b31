"""Spatial aggregation shared by the texture families (IBSI 1, section "texture aggregation").

Directional families (GLCM, GLRLM) build one matrix per direction; IBSI defines six ways
to turn those into features:

========== ======================================================================= ====
suffix     method                                                                  IBSI
========== ======================================================================= ====
2D_avg     per slice and in-plane direction, features averaged over all matrices    BTW3
2D_comb    per slice, directions merged, features averaged over slices              SUJT
2_5D_avg   per in-plane direction merged over slices, averaged over directions      JJUI
2_5D_comb  every in-plane matrix of every slice merged into one                     ZW7Z
3D_avg     per 3D direction, features averaged over the 13 directions               ITBB
3D_comb    the 13 directional 3D matrices merged into one                           IAZD
========== ======================================================================= ====

Non-directional families (GLSZM, GLDZM, NGTDM, NGLDM) have three:
``2D`` (per slice, averaged: 8QNN), ``2_5D`` (slice matrices merged: 62GR) and
``3D`` (one volume matrix: KOBO).

Matrices are opaque to this module: the family passes functions that build, merge and
evaluate them. Empty matrices (a slice with no voxel pair in some direction) give NaN
features, and averages ignore them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

__all__ = [
    "AGGREGATION_CODES",
    "DIRECTIONAL_AGGREGATIONS",
    "SPATIAL_METHODS",
    "ZONE_AGGREGATIONS",
    "aggregate_directional",
    "aggregate_zone",
    "angle_weights",
    "directions",
    "lattice_lines",
    "nanmean_last",
    "neighbour_counts",
    "neighbour_offsets",
    "roi_slices",
    "use_numba_kernels",
]

M = TypeVar("M")

SPATIAL_METHODS = ("2D", "2.5D", "3D")
DIRECTIONAL_AGGREGATIONS = {
    "2D": ("2D_avg", "2D_comb"),
    "2.5D": ("2_5D_avg", "2_5D_comb"),
    "3D": ("3D_avg", "3D_comb"),
}
ZONE_AGGREGATIONS = {"2D": "2D", "2.5D": "2_5D", "3D": "3D"}
AGGREGATION_CODES = {
    "2D_avg": "BTW3",
    "2D_comb": "SUJT",
    "2_5D_avg": "JJUI",
    "2_5D_comb": "ZW7Z",
    "3D_avg": "ITBB",
    "3D_comb": "IAZD",
    "2D": "8QNN",
    "2_5D": "62GR",
    "3D": "KOBO",
}


def directions(two_d: bool) -> np.ndarray:
    """Unit direction offsets in (z, y, x), one per unique direction (no opposites).

    4 in-plane directions when ``two_d`` (0, 45, 90, 135 degrees) and 13 in 3D.
    """
    offs = []
    for dz in (-1, 0, 1):
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                o = (dz, dy, dx)
                # keep one of each +/- pair: first non-zero component positive
                nz = [c for c in o if c != 0]
                if not nz or nz[0] < 0:
                    continue
                if two_d and dz != 0:
                    continue
                offs.append(o)
    return np.array(offs, dtype=np.int64)


def neighbour_offsets(
    distances: Sequence[int], two_d: bool, *, every_offset: bool = False
) -> np.ndarray:
    """Neighbour offsets (z, y, x) at the Chebyshev ``distances``, one of each opposite pair.

    The switch ``every_offset`` says which voxels at distance :math:`d` are neighbours:

    * False (IBSI): :math:`d\\,\\mathbf{u}` for the unit directions :math:`\\mathbf{u}`
      of :func:`directions` (13 in 3D, 4 in-plane with ``two_d``), per distance;
    * True (PyRadiomics' angles): every offset whose Chebyshev norm is one of
      ``distances`` (49 offsets for :math:`d = 2` in 3D, 62 for distances 1 and 2; in-plane
      only with ``two_d``), in lexicographic (z, y, x) order.

    For distance 1 both give the same offsets in the same order.
    """
    if not every_offset:
        unit = directions(two_d)
        return np.concatenate([int(d) * unit for d in distances]).reshape(-1, 3)
    dmax = max(int(d) for d in distances)
    rng = np.arange(-dmax, dmax + 1)
    grid = np.stack(np.meshgrid(rng, rng, rng, indexing="ij"), -1).reshape(-1, 3)
    keep = np.isin(np.abs(grid).max(axis=1), [int(d) for d in distances])
    if two_d:
        keep &= grid[:, 0] == 0
    grid = grid[keep]
    # one of each opposite pair: the first non-zero component positive
    first = grid[np.arange(len(grid)), np.argmax(grid != 0, axis=1)]
    return np.ascontiguousarray(grid[first > 0], dtype=np.int64).reshape(-1, 3)


def angle_weights(
    offsets: np.ndarray, spacing: Sequence[float], norm: str, glcm: bool
) -> np.ndarray:
    """PyRadiomics' ``weightingNorm`` weights of the angles ``offsets`` (the switch of
    ``CooccurrenceMatrix.weighted`` / ``ZoneMatrix.weighted``, ROIs and voxel kernels):
    the distance :math:`d` of each (``spacing`` applied) in the norm; :math:`e^{-d^2}` for
    the GLCM, :math:`d` for the GLRLM; 1 with ``no_weighting``."""
    d = np.abs(offsets) * np.asarray(spacing, dtype=np.float64)
    if norm == "infinity":
        w = d.max(axis=1)
        return np.exp(-(w**2)) if glcm else w
    if norm == "euclidean":
        return np.exp(-np.sum(d**2, axis=1)) if glcm else np.sqrt(np.sum(d**2, axis=1))
    if norm == "manhattan":
        w = d.sum(axis=1)
        return np.exp(-(w**2)) if glcm else w
    return np.ones(len(offsets))


def neighbour_counts(
    levels: np.ndarray,
    norms: Sequence[int],
    two_d: bool,
    alpha: float | None = None,
    *,
    sums: bool = True,
    numba: bool = True,
    roi_only: bool = False,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Per voxel: its neighbours in the ROI, their grey level sum and the dependent ones.

    The neighbours of a ROI voxel (``levels`` > 0) are the ROI voxels whose Chebyshev
    distance from it is one of ``norms`` (in-plane with ``two_d``): IBSI's neighbourhood of
    distance :math:`\\delta` (NGTDM, NGLDM) is the norms :math:`1..\\delta`, the whole box;
    PyRadiomics' (GLDM, NGTDM) the norms of its ``distances`` (every offset of those norms,
    :func:`neighbour_offsets` with ``every_offset``), so ``distances`` [2] is the shell at 2.
    A neighbour of level :math:`k` is dependent on a voxel of level :math:`i` when
    :math:`|i - k| \\le \\alpha`.

    ``numba`` picks the kernels, not the values (the same integers either way): exact box
    sums (cumulative sums, linear in voxels per run of consecutive norms) and the numba
    dependence kernel of :mod:`._kernels_neighbourhood`; or one NumPy pass over the offsets
    (:func:`radiomix.features._kernels_numpy.neighbour_stats_roi`, counts and sums at once).

    Returns
    -------
    (count, total, dependent)
        Integer arrays the shape of ``levels`` (values outside the ROI meaningless), or of
        the ROI voxels in C order with ``roi_only``; ``count`` and ``total`` None unless
        ``sums``, ``dependent`` None unless ``alpha`` is given.
    """
    norms = sorted({int(d) for d in norms})
    roi = levels > 0
    if not numba:
        from radiomix.features._kernels_numpy import neighbour_stats_roi

        off = neighbour_offsets(norms, two_d, every_offset=True)
        both = np.concatenate([off, -off])
        # (alpha -1 when not wanted: the pass then counts no dependence)
        stats = neighbour_stats_roi(levels, both, -1.0 if alpha is None else float(alpha))
        if not roi_only:
            stats = tuple(_scatter(x, roi) for x in stats)  # type: ignore[assignment]
        return (
            stats[1] if sums else None,
            stats[2] if sums else None,
            None if alpha is None else stats[0],
        )
    from radiomix.features._kernels_neighbourhood import box_sum, dependence_counts

    axes = (1, 2) if two_d else (0, 1, 2)
    lv = levels if levels.size == 0 or levels.min() >= 0 else np.maximum(levels, 0)
    runs: list[tuple[int, int]] = []  # runs of consecutive norms (lo..hi)
    for d in norms:
        if runs and runs[-1][1] == d - 1:
            runs[-1] = (runs[-1][0], d)
        else:
            runs.append((d, d))
    cnt: np.ndarray | None = None
    tot: np.ndarray | None = None
    dep: np.ndarray | None = None
    for lo, hi in runs:  # norms lo..hi: the box of radius hi less the one of radius lo - 1
        if sums:
            cnt = _plus(cnt, box_sum(roi, hi, axes))
            cnt -= roi if lo == 1 else box_sum(roi, lo - 1, axes)
            tot = _plus(tot, box_sum(lv, hi, axes))
            tot -= lv if lo == 1 else box_sum(lv, lo - 1, axes)
        if alpha is not None and alpha >= 0:  # (negative or NaN: nothing is dependent)
            coarse = int(min(alpha, lv.max(initial=0)))  # |i - k| <= alpha, integer levels
            dep = _plus(dep, dependence_counts(lv, hi, coarse, two_d))
            if lo > 1:  # (the centre is not its own neighbour: radius 0 counts nothing)
                dep -= dependence_counts(lv, lo - 1, coarse, two_d)
    if alpha is not None and dep is None:
        dep = np.zeros(levels.shape, dtype=np.int32)
    if roi_only:
        return tuple(None if x is None else x[roi] for x in (cnt, tot, dep))  # type: ignore[return-value]
    return cnt, tot, dep


def _plus(total: np.ndarray | None, part: np.ndarray) -> np.ndarray:
    """``total + part`` in place (``part`` where there is no total yet)."""
    if total is None:
        return part
    total += part
    return total


def _scatter(values: np.ndarray, roi: np.ndarray) -> np.ndarray:
    """The ROI voxels' ``values`` (C order) in an int64 array the shape of ``roi``."""
    out = np.zeros(roi.shape, dtype=np.int64)
    out[roi] = values
    return out


#: The GLCM and GLRLM builders count with a NumPy kernel (:mod:`._kernels_numpy`) or a numba
#: one (:mod:`._kernels_glcm`, :mod:`._kernels_glrlm`); both give the same counts, bit for
#: bit (tested). numba's kernels are 2-4x faster on large boxes, but its start in a fresh
#: process (~0.25 s and ~50 MiB to import it and load its cached kernels) costs more than
#: they save unless the work is large: a box of more than :data:`NUMBA_MIN_VOXELS` voxels, or
#: more than :data:`NUMBA_MIN_WORK` box voxels summed over the maps of all image types
#: (measured with the CT case of ``benchmarks/compare_pyradiomics.py``).
NUMBA_MIN_VOXELS = 2_000_000
NUMBA_MIN_WORK = 3_000_000


def use_numba_kernels(box_voxels: int, n_maps: int = 1) -> bool:
    """Whether ``n_maps`` images on a ROI box of ``box_voxels`` voxels are worth numba's
    start-up (see :data:`NUMBA_MIN_VOXELS`)."""
    return box_voxels > NUMBA_MIN_VOXELS or box_voxels * n_maps > NUMBA_MIN_WORK


def unique_integers(values: np.ndarray) -> np.ndarray:
    """``np.unique`` of an integer array (sorted, each value once), without the check
    through which NumPy's own loads numpy.ma (~10 ms of a process's start)."""
    v = np.sort(np.asarray(values).ravel())
    if v.size < 2:
        return v
    return v[np.concatenate(([True], v[1:] != v[:-1]))]


def lattice_lines(points: np.ndarray, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lattice line of each integer point (n, 3) along ``direction`` (components in
    {-1, 0, 1}): a key per point, equal for the points of one line, and the point's
    position along its line."""
    a = int(np.flatnonzero(direction)[0])
    t = points[:, a] * int(direction[a])  # position along the line
    base = points - t[:, None] * direction[None, :]  # the line's point with t = 0
    base = base - base.min(axis=0)
    span = base.max(axis=0) + 1
    return (base[:, 0] * span[1] + base[:, 1]) * span[2] + base[:, 2], t


def nanmean_last(values: np.ndarray) -> np.ndarray:
    """Mean over the last axis of the values that are not NaN (NaN where none is): the
    average over directions of ``*_avg`` aggregations, batched."""
    ok = ~np.isnan(values)
    cnt = ok.sum(axis=-1)
    tot = np.where(ok, values, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)


def roi_slices(mask: np.ndarray) -> list[int]:
    """Indices of the planes (axis 0) that hold at least one ROI voxel."""
    return [int(z) for z in np.flatnonzero(mask.reshape(mask.shape[0], -1).any(axis=1))]


def _mean_dicts(dicts: list[dict[str, float]]) -> dict[str, float]:
    if not dicts:
        return {}
    keys = dicts[0].keys()
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
        for k in keys:
            out[k] = float(np.nanmean([d[k] for d in dicts]))
    return out


def _check_spatial(spatial: Sequence[str]) -> None:
    for s in spatial:
        if s not in SPATIAL_METHODS:
            raise ValueError(f"unknown spatial method {s!r}; use one of {SPATIAL_METHODS}")


def aggregate_directional(
    levels: np.ndarray,
    spatial: Sequence[str],
    build: Callable[[np.ndarray, np.ndarray], list[M]],
    merge: Callable[[list[M]], M],
    evaluate: Callable[[M], dict[str, float]],
) -> dict[str, dict[str, float]]:
    """Features of a directional family for each requested spatial method.

    Parameters
    ----------
    levels : ndarray of int, (z, y, x)
        Discretised grey levels, 0 outside the ROI.
    spatial : sequence of {"2D", "2.5D", "3D"}
    build : callable
        ``build(levels_part, offsets) -> [matrix per offset]``. ``levels_part`` is the
        whole volume (3D) or a single plane kept 3D with shape (1, y, x) (2D, 2.5D);
        ``offsets`` are unit (z, y, x) directions from :func:`directions`.
    merge : callable
        Sum of several matrices (counts added, per-matrix totals kept consistent).
    evaluate : callable
        ``evaluate(matrix) -> {feature name: value}``; NaN values for an empty matrix.

    Returns
    -------
    dict
        ``{aggregation suffix: {feature name: value}}``.
    """
    _check_spatial(spatial)
    out: dict[str, dict[str, float]] = {}
    if "2D" in spatial or "2.5D" in spatial:
        offs = directions(two_d=True)
        per_slice = [build(levels[z : z + 1], offs) for z in roi_slices(levels > 0)]
        if "2D" in spatial:
            out["2D_avg"] = _mean_dicts([evaluate(m) for ms in per_slice for m in ms])
            out["2D_comb"] = _mean_dicts([evaluate(merge(ms)) for ms in per_slice])
        if "2.5D" in spatial:
            by_dir = [merge([ms[k] for ms in per_slice]) for k in range(len(offs))]
            out["2_5D_avg"] = _mean_dicts([evaluate(m) for m in by_dir])
            out["2_5D_comb"] = evaluate(merge(by_dir))
    if "3D" in spatial:
        ms = build(levels, directions(two_d=False))
        out["3D_avg"] = _mean_dicts([evaluate(m) for m in ms])
        out["3D_comb"] = evaluate(merge(ms))
    return out


def aggregate_zone(
    levels: np.ndarray,
    spatial: Sequence[str],
    build: Callable[[np.ndarray, bool, int], M],
    merge: Callable[[list[M]], M],
    evaluate: Callable[[M], dict[str, float]],
) -> dict[str, dict[str, float]]:
    """Features of a non-directional family for each requested spatial method.

    ``build(levels_part, two_d, z)`` gets the whole volume (``two_d=False``, ``z=-1``) or one
    plane of shape (1, y, x) (``two_d=True``, ``z`` its index, so that a family can pick the
    matching plane of another array such as a distance map). Returns
    ``{"2D" | "2_5D" | "3D": {feature name: value}}``.
    """
    _check_spatial(spatial)
    out: dict[str, dict[str, float]] = {}
    if "2D" in spatial or "2.5D" in spatial:
        per_slice = [build(levels[z : z + 1], True, z) for z in roi_slices(levels > 0)]
        if "2D" in spatial:
            out["2D"] = _mean_dicts([evaluate(m) for m in per_slice])
        if "2.5D" in spatial:
            out["2_5D"] = evaluate(merge(per_slice))
    if "3D" in spatial:
        out["3D"] = evaluate(build(levels, False, -1))
    return out
