"""Grey-level co-occurrence counting for the GLCM: a numba kernel behind a validating wrapper.

For every ROI voxel (grey level > 0) and every offset, the neighbour at the offset is
counted by the pair of grey levels when it lies in the image and the ROI: one pass over the
ROI voxels for all offsets. The levels are read zero-padded by the largest offset and
raveled, so that every neighbour of a ROI voxel lies at ``i + steps[k]`` inside the array
(the padding counts as outside the ROI) and the loop needs no bounds checks. The NumPy twin
is :func:`radiomix.features._kernels_numpy.cooccurrence_entries`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["cooccurrence_counts", "padded_levels"]


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


def padded_levels(
    levels: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple[slice, ...]]:
    """Levels zero-padded by the largest offset, as int64; the offsets as steps in the
    raveled array; the region of the original array in the padded one."""
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
        Count each pair both ways: element ``[a, i, j]`` then holds the ROI voxel pairs at
        offset ``a`` with levels ``present[i]`` and ``present[j]`` in either order (a pair
        of equal levels twice). Without it, only the voxels of level ``present[i]`` whose
        neighbour at ``+a`` has level ``present[j]``.

    Returns
    -------
    numpy.ndarray
        float64 counts, shape (A, len(present), len(present)).
    """
    padded, steps, _ = padded_levels(levels, offsets)
    pres = np.asarray(present, dtype=np.int64)
    remap = np.zeros(int(padded.max()) + 1, dtype=np.int64)
    remap[pres] = np.arange(len(pres))
    return _cooccurrence_kernel(padded.ravel(), steps, remap, len(pres), bool(symmetric))
