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
            best = max(best, d)
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


# ---------------------------------------------------------------------------------------
# minimum volume enclosing ellipsoid: Khachiyan's algorithm with Todd-Yildirim away steps
# ---------------------------------------------------------------------------------------


def _initial_weights(points: np.ndarray) -> np.ndarray:
    """Kumar-Yildirim style start: weight on the extreme points along the principal axes."""
    n, d = points.shape
    c = points - points.mean(axis=0)
    _, vecs = np.linalg.eigh(c.T @ c)
    proj = c @ vecs
    idx = np.unique(np.concatenate([proj.argmax(axis=0), proj.argmin(axis=0)]))
    u = np.zeros(n)
    u[idx] = 1.0 / len(idx)
    lifted = np.hstack([points, np.ones((n, 1))])
    x = (lifted.T * u) @ lifted
    if len(idx) <= d or np.linalg.matrix_rank(x) < d + 1:
        u[:] = 1.0 / n
    return u


@njit(cache=True, nogil=True)
def _khachiyan_kernel(q: np.ndarray, u: np.ndarray, tol: float, max_iter: int) -> int:
    n, dim = q.shape
    big = float(dim)
    xi = np.empty((dim, dim))
    m = np.empty(n)
    g = np.empty(n)
    v = np.empty(dim)
    it = 0
    while it < max_iter:
        if it % 256 == 0:  # refresh from scratch to stop rounding drift
            x = np.zeros((dim, dim))
            for i in range(n):
                if u[i] > 0.0:
                    for a in range(dim):
                        for b in range(dim):
                            x[a, b] += u[i] * q[i, a] * q[i, b]
            xi[:, :] = np.linalg.inv(x)
            for i in range(n):
                s = 0.0
                for a in range(dim):
                    t = 0.0
                    for b in range(dim):
                        t += xi[a, b] * q[i, b]
                    s += q[i, a] * t
                m[i] = s
        it += 1
        jp = 0
        jm = -1
        for i in range(n):
            if m[i] > m[jp]:
                jp = i
            if u[i] > 0.0 and (jm < 0 or m[i] < m[jm]):
                jm = i
        eps_plus = m[jp] / big - 1.0
        eps_minus = 1.0 - m[jm] / big
        if eps_plus <= tol and eps_minus <= tol:
            break
        if eps_plus >= eps_minus:
            j = jp
            beta = (m[j] - big) / (big * (m[j] - 1.0))
        else:
            j = jm
            beta = (m[j] - big) / (big * (m[j] - 1.0))
            floor = -u[j] / (1.0 - u[j])
            beta = max(beta, floor)
        for a in range(dim):
            t = 0.0
            for b in range(dim):
                t += xi[a, b] * q[j, b]
            v[a] = t
        denom = (1.0 - beta) + beta * m[j]
        for i in range(n):
            t = 0.0
            for a in range(dim):
                t += q[i, a] * v[a]
            g[i] = t
        for i in range(n):
            m[i] = (m[i] - beta * g[i] * g[i] / denom) / (1.0 - beta)
        for a in range(dim):
            for b in range(dim):
                xi[a, b] = (xi[a, b] - beta * v[a] * v[b] / denom) / (1.0 - beta)
        for i in range(n):
            u[i] *= 1.0 - beta
        u[j] += beta
        if u[j] < 1e-300:
            u[j] = 0.0
    return it


def khachiyan_weights(
    points: np.ndarray, tol: float = 1e-7, max_iter: int = 1_000_000
) -> np.ndarray:
    """Optimal dual weights ``u`` (sum 1) of the minimum volume enclosing ellipsoid.

    The ellipsoid is :math:`\\{x: (x-c)^T A (x-c) \\le 1\\}` with :math:`c = P u` and
    :math:`A = \\frac1d (P\\,\\mathrm{diag}(u) P^T - c c^T)^{-1}`. Stops when every
    :math:`M_i = q_i^T X^{-1} q_i \\le (d+1)(1+tol)` and every support point has
    :math:`M_i \\ge (d+1)(1-tol)`. O(n d) per iteration (rank-one updates).

    Parameters
    ----------
    points : ndarray, shape (N, d)
        Affinely spanning point set (N > d), ideally convex hull vertices, centred and
        scaled to about unit size.
    """
    p = np.ascontiguousarray(points, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] <= p.shape[1]:
        raise ValueError(f"points must have shape (N, d) with N > d, got {p.shape}")
    u = _initial_weights(p)
    q = np.hstack([p, np.ones((len(p), 1))])
    _khachiyan_kernel(q, u, float(tol), int(max_iter))
    return u


def _reference_khachiyan_weights(
    points: np.ndarray, tol: float = 1e-7, max_iter: int = 1_000_000
) -> np.ndarray:
    """Plain NumPy version of :func:`khachiyan_weights` (recomputes X^-1 every step)."""
    p = np.asarray(points, dtype=np.float64)
    u = _initial_weights(p)
    q = np.hstack([p, np.ones((len(p), 1))])
    big = p.shape[1] + 1.0
    for _ in range(max_iter):
        x = (q.T * u) @ q
        m = np.einsum("ij,jk,ik->i", q, np.linalg.inv(x), q)
        jp = int(np.argmax(m))
        sup = np.flatnonzero(u > 0)
        jm = int(sup[np.argmin(m[sup])])
        eps_plus, eps_minus = m[jp] / big - 1.0, 1.0 - m[jm] / big
        if eps_plus <= tol and eps_minus <= tol:
            break
        j = jp if eps_plus >= eps_minus else jm
        beta = (m[j] - big) / (big * (m[j] - 1.0))
        if j == jm and eps_plus < eps_minus:
            beta = max(beta, -u[j] / (1.0 - u[j]))
        u = u * (1.0 - beta)
        u[j] += beta
        if u[j] < 1e-300:
            u[j] = 0.0
    return u
