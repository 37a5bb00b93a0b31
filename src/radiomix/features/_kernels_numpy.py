"""NumPy texture kernels: the twins of the numba ones, for small ROIs.

The GLCM and GLRLM builders (:func:`radiomix.features.glcm.cooccurrence_matrices`,
:func:`radiomix.features.glrlm.run_matrices`) count with a numba kernel
(:mod:`._kernels_glcm`, :mod:`._kernels_glrlm`) or with these. In a fresh process numba
costs ~0.1-0.2 s just to import and to load its cached kernels: more than the kernels save
on a small ROI (a 3 cm lesion is a box of some 40k voxels), so the ``pyradiomics`` profile
takes these below :func:`radiomix.features._texture.use_numba_kernels`. They give the same
results, bit for bit (same dtype, shape and values; tested against the numba kernels), with
NumPy alone (the zones have one kernel for every ROI size, :mod:`._kernels_zones`):

* :func:`cooccurrence_entries` and :func:`neighbour_stats_roi` take, per offset, the neighbours
  of the ROI voxels from the levels padded by the largest offset and raveled (the padding
  stands for outside the ROI), and count them with one ``bincount`` or a few additions;
  the latter is the ``pyradiomics`` profile's neighbour pass for its GLDM and NGTDM (the
  dependent neighbours, the ROI neighbours and their level sum at once);
* :func:`run_length_counts` finds, per direction, the ROI voxels where runs start and end,
  pairs them up along their lines and counts (level, length) with one ``bincount``;
* voxel maps (:mod:`radiomix.extraction.voxel`): :func:`kernel_boxes` gathers each
  kernel's intensities or grey levels, :func:`kernel_cooccurrence_entries` counts the
  GLCMs of small maps' kernels without numba.

Sums of grey levels are formed in integers (int32 where they fit, else int64) and converted
to float64 at the end: exact.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

__all__ = ["cooccurrence_entries", "count_cells", "max_run_length"]
__all__ += ["run_length_counts"]
__all__ += ["neighbour_stats_roi", "run_length_arguments"]
__all__ += ["kernel_boxes", "kernel_cooccurrence_entries"]


# --------------------------------------------------------------------------- neighbours


def _padded_roi(
    levels: np.ndarray, offsets: np.ndarray, values: np.ndarray, outside: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-voxel ``values`` padded by the largest offset with ``outside`` and raveled; the
    ROI voxels' (level > 0) indices in it, in raveled order; the offsets as steps in it.

    Every neighbour of a ROI voxel at one of the offsets lies at ``index + step`` inside
    the padded array: in the padding when it is outside ``levels``."""
    off = np.asarray(offsets, dtype=np.int64).reshape(-1, 3)
    pad = int(np.abs(off).max()) if off.size else 0
    padded = np.pad(values, pad, constant_values=outside)
    idx = np.flatnonzero(np.pad(levels > 0, pad))
    steps = off @ np.array([padded.shape[1] * padded.shape[2], padded.shape[2], 1])
    return padded.ravel(), idx, steps


def _as_levels(levels: np.ndarray) -> np.ndarray:
    """``levels`` as a 3D int64 array (as the numba kernels read them)."""
    lv = np.asarray(levels)
    if lv.ndim != 3:
        raise ValueError(f"levels must be 3D, got {lv.ndim}D")
    return lv.astype(np.int64, copy=False)


def cooccurrence_entries(
    levels: np.ndarray,
    offsets: np.ndarray,
    symmetric: bool = True,
    present: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The non-zero grey-level co-occurrence counts per offset, as entries.

    NumPy twin of :func:`radiomix.features._kernels_glcm.cooccurrence_counts` (parameters
    documented there; ``present`` the sorted grey levels present, found when None), as
    entries: dense counts (one ``bincount`` per offset) where the
    levels present are few, else only the pairs of grey levels that occur, so that a
    discretisation with thousands of levels costs memory in proportion to the pairs
    present, not :math:`N_g^2`.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Per non-zero element, sorted by (offset, i, j): the offset's index (int64), the two
        grey levels (int64) and the count (float64): the same values, in the same order, as
        ``numpy.nonzero`` of the numba kernel's dense counts.
    """
    lv = _as_levels(levels)
    offs = np.asarray(offsets, dtype=np.int64).reshape(-1, 3)
    roi = lv if lv.size == 0 or lv.min() >= 0 else np.maximum(lv, 0)
    if present is None:
        present = np.flatnonzero(np.bincount(roi.ravel()))
        present = present[present > 0]
    n = len(present)
    m = n + 1  # codes 0..n-1 for the levels present, n for outside the ROI
    small = np.int32 if m * m < 2**31 else np.int64  # (keys code_i * m + code_j fit)
    remap = np.full(int(roi.max(initial=0)) + 1, n, dtype=small)
    remap[present] = np.arange(n)
    code, idx, steps = _padded_roi(lv, offs, remap.take(roi), n)
    z = np.zeros(0, dtype=np.int64)
    if not n or not idx.size or not len(steps):
        return z, z, z, np.zeros(0, dtype=np.float64)
    row = code[idx] * m
    if m * m * len(steps) <= _DENSE_MAX_CELLS:  # few levels: dense counts, as the numba kernel
        counts = np.empty((len(steps), m * m), dtype=np.int64)
        for k, step in enumerate(steps):  # one offset at a time: small arrays, in cache
            pair = code.take(idx + step)
            pair += row
            counts[k] = np.bincount(pair, minlength=m * m)
        mats = counts.reshape(len(steps), m, m)[:, :n, :n]
        if symmetric:
            mats = mats + mats.transpose(0, 2, 1)
        b, a, c = np.nonzero(mats)
        return b, present[a], present[c], mats[b, a, c].astype(np.float64)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for k, step in enumerate(steps):  # many levels: the pairs that occur, per offset
        pair = code.take(idx + step)
        pair += row
        keys, cnt = count_cells(pair, m * m)
        if symmetric:  # (i, j) and (j, i): the transposed cells added
            both = np.concatenate([keys, (keys % m) * m + keys // m])
            keys, cnt = count_cells(both, m * m, np.concatenate([cnt, cnt]))
        a, c = keys // m, keys % m
        inside = (a < n) & (c < n)
        a, c = a[inside], c[inside]
        parts.append((np.full(a.size, k, dtype=np.int64), present[a], present[c], cnt[inside]))
    return tuple(np.concatenate(p) for p in zip(*parts, strict=True))  # type: ignore[return-value]


#: dense counts (offsets x (levels + 1) squared cells) up to this size, sparse beyond
_DENSE_MAX_CELLS = 1 << 22

#: dense counting (``bincount``) where the cells are few compared with the keys; sorting beyond
_DENSE_MIN_CELLS = 1 << 16


def count_cells(
    keys: np.ndarray, n_cells: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``keys`` (sorted) and their summed ``weights`` (counts when None)."""
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    if n_cells <= max(_DENSE_MIN_CELLS, 4 * keys.size):
        dense = np.bincount(keys, weights=weights, minlength=n_cells)
        uniq = np.flatnonzero(dense)
        return uniq, dense[uniq].astype(np.float64)
    if weights is None:
        uniq, cnt = np.unique(keys, return_counts=True)
        return uniq, cnt.astype(np.float64)
    uniq, inv = np.unique(keys, return_inverse=True)
    return uniq, np.bincount(inv.ravel(), weights=weights).astype(np.float64)


def neighbour_stats_roi(
    levels: np.ndarray, offsets: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per ROI voxel (level > 0, in C order): dependent neighbours, ROI neighbours, their
    level sum, in one pass over the offsets.

    Parameters
    ----------
    levels : numpy.ndarray
        3D integer grey levels, 0 outside the ROI.
    offsets : numpy.ndarray
        (n, 3) integer (z, y, x) offsets; give both signs of each direction to count both
        neighbours.
    alpha : float
        Dependence threshold: a neighbour of level :math:`k` is dependent on a voxel of
        level :math:`i` when :math:`|i - k| \\le \\alpha` (none for a negative or NaN
        ``alpha``).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        The counts of the dependent and of all ROI neighbours (uint8 below 256 offsets,
        else int64) and the ROI neighbours' level sums (int32 where they fit, else int64):
        exact integers, a few bytes per ROI voxel.
    """
    lv = _as_levels(levels)
    n_off = np.asarray(offsets).reshape(-1, 3).shape[0]
    top = max(int(lv.max()), 0) if lv.size else 0
    # level sums in int32 where the sum of all offsets' levels fits (exact either way)
    dtype = np.int32 if top * max(n_off, 1) < 2**31 else np.int64
    flat, idx, steps = _padded_roi(lv, offsets, np.maximum(lv, 0).astype(dtype), 0)
    count_type = np.uint8 if n_off < 256 else np.int64
    c: np.ndarray = np.zeros(idx.size, dtype=count_type)
    d: np.ndarray = np.zeros(idx.size, dtype=count_type)
    t: np.ndarray = np.zeros(idx.size, dtype=dtype)
    if idx.size == 0 or n_off == 0:
        return d, c, t
    g = flat[idx]
    # which neighbours h of a voxel g are dependent, |g - h| <= alpha, for levels 1..top:
    alpha = float(alpha)
    if not alpha >= 0:
        rule = "none"  # (NaN too, as the kernel's comparison)
    elif alpha >= top:
        rule = "all"
    elif alpha < 1:
        rule = "equal"
    else:
        rule = "range"  # g - floor(alpha) <= h <= g + floor(alpha), and h > 0
        lo = np.maximum(g.astype(np.int64) - math.floor(alpha), 1)
        hi = g.astype(np.int64) + math.floor(alpha)
    for step in steps:  # one offset at a time: small arrays, in cache
        h = flat.take(idx + step)  # 0 outside the ROI
        c += h > 0
        t += h
        if rule == "equal":
            d += h == g
        elif rule == "range":
            d += (h >= lo) & (h <= hi)
    if rule == "all":
        d = c.copy()
    return d, c, t


# --------------------------------------------------------------------------- runs


def max_run_length(shape: tuple[int, ...], offsets: np.ndarray) -> int:
    """Longest run any of ``offsets`` can hold inside an array of ``shape`` (also the numba
    kernel's, :mod:`radiomix.features._kernels_glrlm`)."""
    best = 0
    for off in np.asarray(offsets).reshape(-1, 3):
        dims = [n for n, c in zip(shape, off, strict=True) if c != 0]
        if dims:
            best = max(best, min(dims))
    return best


def run_length_arguments(
    levels: np.ndarray, offsets: np.ndarray, n_levels: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """The checked arguments of both run length kernels (this one and the numba one,
    :func:`radiomix.features._kernels_glrlm.run_length_counts`): levels, int64 offsets,
    ``n_levels``; a ``ValueError`` naming what is wrong."""
    levels = np.asarray(levels)
    if levels.ndim != 3 or not np.issubdtype(levels.dtype, np.integer):
        raise ValueError(f"levels must be a 3D integer array, got {levels.dtype} {levels.shape}")
    offs = np.asarray(offsets, dtype=np.int64)
    if offs.ndim != 2 or offs.shape[1] != 3:
        raise ValueError(f"offsets must have shape (n, 3), got {offs.shape}")
    if np.any(np.abs(offs) > 1) or np.any(np.all(offs == 0, axis=1)):
        raise ValueError("offsets must be unit directions: components in {-1, 0, 1}, not all 0")
    n_levels = int(n_levels)
    if levels.size and (int(levels.min()) < 0 or int(levels.max()) > n_levels):
        raise ValueError(f"levels must lie in 0..{n_levels}")
    return levels, offs, n_levels


def run_length_counts(levels: np.ndarray, offsets: np.ndarray, n_levels: int) -> np.ndarray:
    """Dense run length counts per direction.

    NumPy twin of :func:`radiomix.features._kernels_glrlm.run_length_counts` (parameters
    and result are documented there): the same result, bit for bit, and the same errors.
    """
    levels, offs, n_levels = run_length_arguments(levels, offsets, n_levels)
    max_len = max_run_length(levels.shape, offs)
    out = np.zeros((len(offs), n_levels + 1, max_len + 1), dtype=np.int64)
    # levels padded by one voxel, which ends every run: the neighbour along any direction of
    # a voxel of `levels` lies at index +- step in the raveled array
    small = np.int16 if n_levels < 2**15 else np.int64
    padded = np.pad(levels.astype(small), 1)
    shape = padded.shape
    flat = padded.ravel()
    idx = np.flatnonzero(flat)  # the ROI voxels, in raveled order
    if idx.size == 0:
        return out
    g = flat[idx]
    coords = np.unravel_index(idx, shape)
    strides = np.array([shape[1] * shape[2], shape[2], 1], dtype=np.int64)
    keys: dict[int, tuple[np.ndarray, tuple[int, int], int]] = {}
    for k, off in enumerate(offs):
        # a run along -d is a run along d: take the sign whose first nonzero component is
        # positive, so that the raveled order of a line's voxels is their order along it
        axis = int(np.flatnonzero(off)[0])
        d = off if off[axis] > 0 else -off
        step = int(d @ strides)
        starts = np.flatnonzero(flat.take(idx - step) != g)  # the previous voxel differs
        ends = np.flatnonzero(flat.take(idx + step) != g)  # the next one differs
        t = coords[axis]  # position along the line
        if axis < 2:  # (along the last axis, raveled order is line by line already)
            # the i-th start and the i-th end of a line delimit its i-th run: group both by
            # line (a stable sort keeps each line's voxels in order), then pair them up
            if axis not in keys:
                keys[axis] = _line_key_base(coords, axis, shape)
            key = _line_key(keys[axis], t, d, axis)
            starts = starts[_stable_order(key[starts])]
            ends = ends[_stable_order(key[ends])]
        code = g[starts].astype(np.int64) * (max_len + 1)
        code += t[ends]
        code -= t[starts] - 1
        out[k] = np.bincount(code, minlength=out[k].size).reshape(out[k].shape)
    return out


def _line_key_base(
    coords: tuple[np.ndarray, ...], axis: int, shape: tuple[int, ...]
) -> tuple[np.ndarray, tuple[int, int], int]:
    """The direction-independent part of :func:`_line_key` for the directions whose first
    nonzero component is ``axis``: the two other coordinates, shifted and raveled; their
    widths; the key range.

    A line's coordinate ``b`` (that of a voxel's position minus ``t * d``, ``t`` its
    coordinate along ``axis``) is the voxel's where ``b < axis`` (``d[b] == 0`` there), else
    in ``-(n_axis - 1) .. n_b + n_axis - 2``: shifted by ``n_axis - 1``, within a width of
    ``n_b + 2 (n_axis - 1)``."""
    b1, b2 = (b for b in range(3) if b != axis)
    s1, s2 = ((shape[axis] - 1) * (b > axis) for b in (b1, b2))
    w1, w2 = shape[b1] + 2 * s1, shape[b2] + 2 * s2
    base = coords[b1] * w2 + coords[b2] + (s1 * w2 + s2)
    return base, (w1, w2), w1 * w2


def _line_key(
    base: tuple[np.ndarray, tuple[int, int], int], t: np.ndarray, d: np.ndarray, axis: int
) -> np.ndarray:
    """Per voxel, its line along ``d``: 0 .. the key range - 1, as uint16 where it fits."""
    offset, (_, w2), width = base
    b1, b2 = (b for b in range(3) if b != axis)
    key = offset - t * int(d[b1] * w2 + d[b2])
    if width <= 1 << 16:
        return key.astype(np.uint16)
    return key


def _stable_order(key: np.ndarray) -> np.ndarray:
    """The stable sort order of ``key``: a radix sort of 16-bit keys (two for wider ones)."""
    if key.dtype == np.uint16 or int(key.max(initial=0)) >= 1 << 32:
        return np.argsort(key, kind="stable")
    # least significant half first, then stably by the other half
    order = np.argsort((key & 0xFFFF).astype(np.uint16), kind="stable")
    return order[np.argsort((key[order] >> 16).astype(np.uint16), kind="stable")]


# --------------------------------------------------------------------------- voxel kernels


def kernel_boxes(
    values: np.ndarray, centres: np.ndarray, radius: int, plane: int, fill: float
) -> np.ndarray:
    """``values`` of each kernel's box as the rows of an (n, K) array: the box of radius
    ``radius`` around each of ``centres`` (one plane thick along ``plane``, or -1), K its
    voxels, ``fill`` where the box leaves the array (a voxel map's intensities and grey
    levels; ``values`` holds NaN, or 0, where a voxel takes no part in the kernels)."""
    r = int(radius)
    rng = [np.arange(-r, r + 1) if d != plane else np.zeros(1, np.int64) for d in range(3)]
    off = np.stack(np.meshgrid(*rng, indexing="ij"), -1).reshape(-1, 3)
    padded = np.pad(values, r, constant_values=fill)
    idx = np.asarray(centres, dtype=np.int64)[:, None, :] + r + off[None, :, :]
    return padded[idx[..., 0], idx[..., 1], idx[..., 2]]


def kernel_cooccurrence_entries(
    levels: np.ndarray,
    remap: np.ndarray,
    centres: np.ndarray,
    radius: int,
    plane: int,
    angles: np.ndarray,
    n_levels: int,
    *,
    symmetric: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The GLCM counts of the kernels around ``centres``, as entries: NumPy twin of
    :func:`radiomix.features._kernels_voxel.kernel_glcm` (arguments documented there), for
    small voxel maps, where loading numba costs more than it saves.

    Sparse and vectorised over the voxel pairs instead of looped over the kernels: a pair
    :math:`(\\mathbf{p}, \\mathbf{p} + \\mathbf{a})` belongs to the kernel centred at
    :math:`\\mathbf{c} = \\mathbf{p} - \\mathbf{d}` for every displacement
    :math:`\\mathbf{d}` with :math:`\\lVert \\mathbf{d} \\rVert_\\infty \\le R` and
    :math:`\\lVert \\mathbf{d} + \\mathbf{a} \\rVert_\\infty \\le R` (zero along
    ``plane``), so one NumPy pass per (direction, displacement) finds them all.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray)
        ``(b, i, j, count)`` sorted by ``(b, i, j)``, with ``b = a * n + v`` (direction
        ``a``, kernel ``v`` of the ``n`` centres), ``i``, ``j`` the matrix rows (``remap``
        of the grey levels) and ``count`` float64; ``symmetric`` adds each matrix's
        transpose: the values and order of ``numpy.nonzero`` of the numba kernel's counts
        as (A * n, G, G) matrices.
    """
    lv = np.asarray(levels, dtype=np.int64)
    rm = np.asarray(remap, dtype=np.int64)
    ce = np.asarray(centres, dtype=np.int64).reshape(-1, 3)
    ang = np.asarray(angles, dtype=np.int64).reshape(-1, 3)
    n, g, r = len(ce), int(n_levels), int(radius)
    empty = np.zeros(0, dtype=np.int64)
    if n == 0 or len(ang) == 0:
        return empty, empty, empty, np.zeros(0)
    shape = np.array(lv.shape)
    # only pairs that some kernel of these centres can hold: the centres' box plus R
    lo = np.maximum(ce.min(axis=0) - r, 0)
    hi = np.minimum(ce.max(axis=0) + r + 1, shape)
    if plane >= 0:
        lo[plane], hi[plane] = ce[:, plane].min(), ce[:, plane].max() + 1
    kernel_of = np.full(tuple(hi - lo), -1, dtype=np.int64)
    kernel_of[tuple((ce - lo).T)] = np.arange(n)
    free = [d for d in range(3) if d != plane]
    keys: list[np.ndarray] = []
    for a, off in enumerate(ang):
        if plane >= 0 and off[plane] != 0:
            continue  # the kernel box is one plane thick: no pair crosses planes
        # pairs p, p + off, both inside the region and the array
        p_lo = np.maximum(lo, lo - off)
        p_hi = np.minimum(hi, hi - off)
        if np.any(p_hi <= p_lo):
            continue
        first = lv[tuple(slice(a0, b0) for a0, b0 in zip(p_lo, p_hi, strict=True))]
        second = lv[tuple(slice(a0 + o, b0 + o) for a0, b0, o in zip(p_lo, p_hi, off, strict=True))]
        z, y, x = np.nonzero((first > 0) & (second > 0))
        if not len(z):
            continue
        gi = rm[first[z, y, x]]
        gj = rm[second[z, y, x]]
        p = np.stack([z, y, x], axis=1) + (p_lo - lo)  # in region coordinates
        for step in itertools.product(range(-r, r + 1), repeat=len(free)):
            d = np.zeros(3, dtype=np.int64)
            d[free] = step
            if np.any(np.abs(d + off) > r):
                continue  # the neighbour would leave that kernel's box
            c = p - d
            inside = np.all((c >= 0) & (c < hi - lo), axis=1)
            v = np.full(len(c), -1, dtype=np.int64)
            v[inside] = kernel_of[tuple(c[inside].T)]
            hit = v >= 0
            b = a * n + v[hit]
            keys.append((b * g + gi[hit]) * g + gj[hit])
            if symmetric:
                keys.append((b * g + gj[hit]) * g + gi[hit])
    if not keys:
        return empty, empty, empty, np.zeros(0)
    uniq, cnt = count_cells(np.concatenate(keys), len(ang) * n * g * g)
    return uniq // (g * g), (uniq // g) % g, uniq % g, cnt
