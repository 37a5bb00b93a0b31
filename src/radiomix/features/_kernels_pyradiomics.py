"""Neighbour statistics of PyRadiomics' GLDM, NGTDM and GLCM: numba kernels and wrappers.

For every ROI voxel (grey level > 0) and every offset (both signs), the neighbour at the
offset is counted when it lies in the image and the ROI, and its grey level is summed; it
is also counted as *dependent* when :math:`|i - k| \\le \\alpha` (GLDM's threshold). One pass
over the ROI voxels gives what both classes need, instead of one whole-array pass per offset
and class. :func:`cooccurrence_counts` counts the GLCM's grey-level pairs per offset in one
pass too.

Both kernels read the levels zero-padded by the largest offset and raveled, so that every
neighbour of a ROI voxel lies at ``i + steps[k]`` inside the array (the padding counts as
outside the ROI) and the loops need no bounds checks.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["cooccurrence_counts", "neighbour_stats"]


@njit(cache=True, nogil=True)
def _neighbour_stats_kernel(
    flat: np.ndarray, steps: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled; in the tests
    n = flat.shape[0]
    dep = np.zeros(n, dtype=np.int64)
    cnt = np.zeros(n, dtype=np.int64)
    tot = np.zeros(n, dtype=np.float64)
    n_off = steps.shape[0]
    for i in range(n):
        g = flat[i]
        if g <= 0:
            continue
        d = 0
        c = 0
        t = 0.0
        for k in range(n_off):
            h = flat[i + steps[k]]
            if h <= 0:
                continue
            c += 1
            t += h
            if abs(g - h) <= alpha:
                d += 1
        dep[i] = d
        cnt[i] = c
        tot[i] = t
    return dep, cnt, tot


@njit(cache=True, nogil=True)
def _cooccurrence_kernel(
    flat: np.ndarray, steps: np.ndarray, remap: np.ndarray, n: int, symmetric: bool
) -> np.ndarray:  # pragma: no cover - compiled; in the tests
    n_off = steps.shape[0]
    out = np.zeros((n_off, n, n), dtype=np.float64)
    for i in range(flat.shape[0]):
        g = flat[i]
        if g <= 0:
            continue
        a = remap[g]
        for k in range(n_off):
            h = flat[i + steps[k]]
            if h <= 0:
                continue
            b = remap[h]
            out[k, a, b] += 1.0
            if symmetric:
                out[k, b, a] += 1.0
    return out


def _padded(
    levels: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple[slice, ...]]:
    """Levels zero-padded by the largest offset, raveled; the offsets as steps in it; the
    region of the original array in the padded one."""
    lv = np.asarray(levels)
    if lv.ndim != 3:
        raise ValueError(f"levels must be 3D, got {lv.ndim}D")
    off = np.asarray(offsets, dtype=np.int64).reshape(-1, 3)
    pad = int(np.abs(off).max()) if off.size else 0
    padded = np.zeros(tuple(n + 2 * pad for n in lv.shape), dtype=np.int64)
    inner = tuple(slice(pad, pad + n) for n in lv.shape)
    padded[inner] = lv
    strides = np.array([padded.shape[1] * padded.shape[2], padded.shape[2], 1], dtype=np.int64)
    return padded, np.ascontiguousarray(off @ strides), inner


def cooccurrence_counts(
    levels: np.ndarray, offsets: np.ndarray, present: np.ndarray, symmetric: bool = True
) -> np.ndarray:
    """Grey-level co-occurrence counts per offset, over the grey levels present.

    Parameters
    ----------
    levels : numpy.ndarray
        3D integer grey levels, 0 outside the ROI.
    offsets : numpy.ndarray
        (A, 3) integer (z, y, x) offsets, one matrix each.
    present : numpy.ndarray
        The sorted grey levels present in the ROI: the matrices' rows and columns.
    symmetric : bool
        Count each pair both ways (PyRadiomics' ``symmetricalGLCM``, the default): element
        ``[i, j, a]`` then holds the ROI voxel pairs at offset ``a`` with levels
        ``present[i]`` and ``present[j]`` in either order (a pair of equal levels twice).
        Without it, only the voxels of level ``present[i]`` whose neighbour at ``+a`` has
        level ``present[j]``.

    Returns
    -------
    numpy.ndarray
        float64 counts, shape (len(present), len(present), A).
    """
    padded, steps, _ = _padded(levels, offsets)
    pres = np.asarray(present, dtype=np.int64)
    remap = np.zeros(int(padded.max()) + 1, dtype=np.int64)
    remap[pres] = np.arange(len(pres))
    out = _cooccurrence_kernel(padded.ravel(), steps, remap, len(pres), bool(symmetric))
    return np.ascontiguousarray(out.transpose(1, 2, 0))


def neighbour_stats(
    levels: np.ndarray, offsets: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per ROI voxel, in one pass: dependent neighbours, ROI neighbours, their level sum.

    Parameters
    ----------
    levels : numpy.ndarray
        3D integer grey levels, 0 outside the ROI.
    offsets : numpy.ndarray
        (n, 3) integer (z, y, x) offsets; give both signs of each direction to count both
        neighbours.
    alpha : float
        Dependence threshold (PyRadiomics' ``gldm_a``): a neighbour of level :math:`k` is
        dependent on a voxel of level :math:`i` when :math:`|i - k| \\le \\alpha`.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        int64 counts of the ROI neighbours with :math:`|i - k| \\le \\alpha`, int64 counts
        of all ROI neighbours, float64 sums of the latter's grey levels (0 outside the ROI).
    """
    padded, steps, inner = _padded(levels, offsets)
    dep, cnt, tot = _neighbour_stats_kernel(padded.ravel(), steps, float(alpha))
    return tuple(  # type: ignore[return-value]
        np.ascontiguousarray(a.reshape(padded.shape)[inner]) for a in (dep, cnt, tot)
    )
