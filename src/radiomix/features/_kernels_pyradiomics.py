"""Neighbour statistics of PyRadiomics' GLDM and NGTDM: a numba kernel and its wrapper.

For every ROI voxel (grey level > 0) and every offset (both signs), the neighbour at the
offset is counted when it lies in the image and the ROI, and its grey level is summed; it
is also counted as *dependent* when :math:`|i - k| \\le \\alpha` (GLDM's threshold). One pass
over the ROI voxels gives what both classes need, instead of one whole-array pass per offset
and class.

The kernel reads the levels zero-padded by the largest offset and raveled, so that every
neighbour of a ROI voxel lies at ``i + steps[k]`` inside the array (the padding counts as
outside the ROI) and the loops need no bounds checks.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from radiomix.features._kernels_glcm import padded_levels

__all__ = ["neighbour_stats"]


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
    padded, steps, inner = padded_levels(levels, offsets)
    dep, cnt, tot = _neighbour_stats_kernel(padded.ravel(), steps, float(alpha))
    return tuple(  # type: ignore[return-value]
        np.ascontiguousarray(a.reshape(padded.shape)[inner]) for a in (dep, cnt, tot)
    )
