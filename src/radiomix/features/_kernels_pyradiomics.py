"""Neighbour counts and sums for PyRadiomics' GLDM and NGTDM: a numba kernel and its wrapper.

For every ROI voxel (grey level > 0) and every offset (both signs), the neighbour at the
offset is counted when it lies in the image and the ROI (and, with a dependence threshold
:math:`\\alpha`, when :math:`|i - k| \\le \\alpha`), and its grey level is summed. One pass over
the ROI voxels instead of one whole-array pass per offset.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["neighbour_sums"]


@njit(cache=True, nogil=True)
def _neighbour_sums_kernel(
    levels: np.ndarray, offsets: np.ndarray, alpha: float, use_alpha: bool
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled; checked in the tests
    nz, ny, nx = levels.shape
    cnt = np.zeros(levels.shape, dtype=np.int64)
    tot = np.zeros(levels.shape, dtype=np.float64)
    n_off = offsets.shape[0]
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                g = levels[z, y, x]
                if g <= 0:
                    continue
                c = 0
                t = 0.0
                for k in range(n_off):
                    qz = z + offsets[k, 0]
                    qy = y + offsets[k, 1]
                    qx = x + offsets[k, 2]
                    if qz < 0 or qz >= nz or qy < 0 or qy >= ny or qx < 0 or qx >= nx:
                        continue
                    h = levels[qz, qy, qx]
                    if h <= 0:
                        continue
                    if use_alpha and abs(g - h) > alpha:
                        continue
                    c += 1
                    t += h
                cnt[z, y, x] = c
                tot[z, y, x] = t
    return cnt, tot


def neighbour_sums(
    levels: np.ndarray, offsets: np.ndarray, alpha: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per ROI voxel: the number of its ROI neighbours and the sum of their grey levels.

    Parameters
    ----------
    levels : numpy.ndarray
        3D integer grey levels, 0 outside the ROI.
    offsets : numpy.ndarray
        (n, 3) integer (z, y, x) offsets; give both signs of each direction to count both
        neighbours.
    alpha : float, optional
        Dependence threshold: count only neighbours with :math:`|i - k| \\le \\alpha`
        (PyRadiomics' ``gldm_a``); None counts every ROI neighbour.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        int64 counts and float64 sums, of the shape of ``levels`` (0 outside the ROI).
    """
    lv = np.ascontiguousarray(levels, dtype=np.int64)
    off = np.ascontiguousarray(offsets, dtype=np.int64).reshape(-1, 3)
    if lv.ndim != 3:
        raise ValueError(f"levels must be 3D, got {lv.ndim}D")
    a = -1.0 if alpha is None else float(alpha)
    return _neighbour_sums_kernel(lv, off, a, alpha is not None)
