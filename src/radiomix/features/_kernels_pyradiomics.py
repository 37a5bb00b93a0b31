"""Neighbour counts and sums for PyRadiomics' GLDM and NGTDM: a numba kernel and its wrapper.

For every ROI voxel (grey level > 0) and every offset (both signs), the neighbour at the
offset is counted when it lies in the image and the ROI, and its grey level is summed; it
is also counted as *dependent* when :math:`|i - k| \\le \\alpha` (GLDM's threshold). One pass
over the ROI voxels gives what both classes need, instead of one whole-array pass per offset
and class.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["neighbour_stats"]


@njit(cache=True, nogil=True)
def _neighbour_stats_kernel(
    levels: np.ndarray, offsets: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled; in the tests
    nz, ny, nx = levels.shape
    dep = np.zeros(levels.shape, dtype=np.int64)
    cnt = np.zeros(levels.shape, dtype=np.int64)
    tot = np.zeros(levels.shape, dtype=np.float64)
    n_off = offsets.shape[0]
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                g = levels[z, y, x]
                if g <= 0:
                    continue
                d = 0
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
                    c += 1
                    t += h
                    if abs(g - h) <= alpha:
                        d += 1
                dep[z, y, x] = d
                cnt[z, y, x] = c
                tot[z, y, x] = t
    return dep, cnt, tot


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
    lv = np.ascontiguousarray(levels, dtype=np.int64)
    off = np.ascontiguousarray(offsets, dtype=np.int64).reshape(-1, 3)
    if lv.ndim != 3:
        raise ValueError(f"levels must be 3D, got {lv.ndim}D")
    return _neighbour_stats_kernel(lv, off, float(alpha))
