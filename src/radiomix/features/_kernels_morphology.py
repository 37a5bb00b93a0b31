"""Hot loops of the morphology family: pairwise sums over voxel or vertex pairs.

Each numba kernel has a validating public wrapper and a plain NumPy reference
(``_reference_*``) that the tests compare it with.

The O(N^2) pairwise Moran/Geary sums are the exact reference for the FFT route used by
:mod:`radiomix.features.morphology` on large ROIs; they are fast enough for small ROIs.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["max_pairwise_distance", "pairwise_autocorrelation_sums"]


@njit(cache=True, nogil=True)
def _pairwise_sums_kernel(pos: np.ndarray, dev: np.ndarray) -> tuple[float, float, float]:
    n = pos.shape[0]
    sum_w = 0.0
    sum_wdd = 0.0
    sum_wsq = 0.0
    for i in range(n - 1):
        pz = pos[i, 0]
        py = pos[i, 1]
        px = pos[i, 2]
        di = dev[i]
        for j in range(i + 1, n):
            dz = pos[j, 0] - pz
            dy = pos[j, 1] - py
            dx = pos[j, 2] - px
            w = 1.0 / np.sqrt(dz * dz + dy * dy + dx * dx)
            dj = dev[j]
            sum_w += w
            sum_wdd += w * di * dj
            sum_wsq += w * (di - dj) * (di - dj)
    # every unordered pair counts twice in the i != j sums
    return 2.0 * sum_w, 2.0 * sum_wdd, 2.0 * sum_wsq


def pairwise_autocorrelation_sums(
    positions: np.ndarray, deviations: np.ndarray
) -> tuple[float, float, float]:
    """Inverse-distance weighted pair sums over all ordered pairs ``i != j``.

    Parameters
    ----------
    positions : ndarray, shape (N, 3)
        Voxel centres in mm (distinct points).
    deviations : ndarray, shape (N,)
        Intensity minus the ROI mean, ``X_i - mu``.

    Returns
    -------
    (sum_w, sum_w_dd, sum_w_sq) : tuple of float
        :math:`\\sum w_{ij}`, :math:`\\sum w_{ij}(X_i-\\mu)(X_j-\\mu)` and
        :math:`\\sum w_{ij}(X_i-X_j)^2` with :math:`w_{ij}=1/\\lVert r_i-r_j\\rVert`.
    """
    pos = np.ascontiguousarray(positions, dtype=np.float64)
    dev = np.ascontiguousarray(deviations, dtype=np.float64)
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise ValueError(f"positions must have shape (N, 3), got {pos.shape}")
    if dev.shape != (pos.shape[0],):
        raise ValueError(
            f"deviations must have shape ({pos.shape[0]},) to match positions, got {dev.shape}"
        )
    return _pairwise_sums_kernel(pos, dev)


def _reference_pairwise_autocorrelation_sums(
    positions: np.ndarray, deviations: np.ndarray
) -> tuple[float, float, float]:
    """Plain NumPy version of :func:`pairwise_autocorrelation_sums` (O(N^2) memory)."""
    pos = np.asarray(positions, dtype=np.float64)
    dev = np.asarray(deviations, dtype=np.float64)
    dist = np.sqrt(((pos[:, None, :] - pos[None, :, :]) ** 2).sum(axis=-1))
    off = ~np.eye(len(pos), dtype=bool)
    w = np.zeros_like(dist)
    w[off] = 1.0 / dist[off]
    return (
        float(w.sum()),
        float((w * np.outer(dev, dev)).sum()),
        float((w * (dev[:, None] - dev[None, :]) ** 2).sum()),
    )


@njit(cache=True, nogil=True)
def _max_distance_kernel(points: np.ndarray) -> float:
    n = points.shape[0]
    best = 0.0
    for i in range(n - 1):
        for j in range(i + 1, n):
            d = 0.0
            for k in range(points.shape[1]):
                t = points[j, k] - points[i, k]
                d += t * t
            if d > best:
                best = d
    return np.sqrt(best)


def max_pairwise_distance(points: np.ndarray) -> float:
    """Largest Euclidean distance between any two of ``points`` (shape (N, D)); 0 if N < 2.

    O(N^2) time and O(1) memory: call it on convex hull vertices only.
    """
    pts = np.ascontiguousarray(points, dtype=np.float64)
    if pts.ndim != 2:
        raise ValueError(f"points must be a 2D array (N, D), got shape {pts.shape}")
    if len(pts) < 2:
        return 0.0
    return float(_max_distance_kernel(pts))


def _reference_max_pairwise_distance(points: np.ndarray) -> float:
    """Plain NumPy version of :func:`max_pairwise_distance`."""
    pts = np.asarray(points, dtype=np.float64)
    if len(pts) < 2:
        return 0.0
    return float(np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(axis=-1)).max())
