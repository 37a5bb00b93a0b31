"""Neighbourhood sums (and input checks) shared by the NGTDM and NGLDM families.

Both families look, for every ROI voxel, at the voxels within Chebyshev distance ``distance``
(in-plane only for 2D/2.5D) that are also in the ROI:

* :func:`box_sum` sums an integer array over such a box, exactly (int64 cumulative sums, one
  pass per axis), in time linear in the number of voxels whatever the distance. NGTDM uses it
  for the neighbour count and the neighbour grey level sum.
* :func:`dependence_counts` counts, per voxel, the neighbours whose grey level differs by at
  most ``coarseness`` (NGLDM). It is a numba kernel, O(voxels x neighbourhood size);
  :func:`_reference_dependence_counts` is the plain NumPy reference used in the tests.

Arrays are (z, y, x) grey levels, 0 outside the ROI.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit

from radiomix.features._texture import SPATIAL_METHODS

__all__ = [
    "box_sum",
    "check_inputs",
    "crop_to_roi",
    "dependence_counts",
    "neighbourhood_size",
]


def check_inputs(
    levels: np.ndarray, n_levels: int, spatial: Sequence[str] | str, distance: int
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Validate the common arguments of the NGTDM and NGLDM entry points.

    Returns ``levels`` as an array and ``spatial`` as a tuple (a bare string is one method).
    Raises ValueError with a message naming the offending argument.
    """
    levels = np.asarray(levels)
    spatial = (spatial,) if isinstance(spatial, str) else tuple(spatial)
    if levels.ndim != 3:
        raise ValueError(
            f"levels must be 3D (z, y, x), got shape {levels.shape}; "
            "give a 2D image as shape (1, y, x)"
        )
    if not np.issubdtype(levels.dtype, np.integer):
        raise ValueError(
            f"levels must hold discretised integer grey levels, got dtype {levels.dtype}"
        )
    if isinstance(n_levels, bool) or not isinstance(n_levels, int | np.integer) or n_levels < 1:
        raise ValueError(f"n_levels must be a positive integer, got {n_levels!r}")
    if isinstance(distance, bool) or not isinstance(distance, int | np.integer) or distance < 1:
        raise ValueError(f"distance must be an integer >= 1, got {distance!r}")
    for s in spatial:
        if s not in SPATIAL_METHODS:
            raise ValueError(f"unknown spatial method {s!r}; use any of {SPATIAL_METHODS}")
    if levels.size:
        lo, hi = int(levels.min()), int(levels.max())
        if lo < 0 or hi > n_levels:
            raise ValueError(
                f"levels must lie in 0..n_levels={n_levels} (0 outside the ROI), found {lo}..{hi}"
            )
    return levels, spatial


def crop_to_roi(levels: np.ndarray) -> np.ndarray:
    """Crop to the ROI bounding box (voxels outside the ROI never count as neighbours)."""
    roi = levels > 0
    box = []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        hit = np.flatnonzero(roi.any(axis=other))
        if hit.size == 0:
            return np.zeros((0, 0, 0), dtype=np.int64)
        box.append(slice(int(hit[0]), int(hit[-1]) + 1))
    return np.ascontiguousarray(levels[tuple(box)], dtype=np.int64)


def neighbourhood_size(distance: int, two_d: bool) -> int:
    """Number of voxels in a full Chebyshev neighbourhood, the centre excluded."""
    side = 2 * distance + 1
    return side**2 - 1 if two_d else side**3 - 1


def box_sum(values: np.ndarray, radius: int, axes: tuple[int, ...]) -> np.ndarray:
    """Sum of ``values`` over the box of half-width ``radius`` along ``axes`` around each voxel.

    Voxels beyond the array edge count as 0. The centre voxel is included. Exact for integer
    input (int64 arithmetic).

    Parameters
    ----------
    values : ndarray of int or bool
    radius : int
        Half-width of the box (the Chebyshev distance), >= 0.
    axes : tuple of int
        Axes along which the box extends (``(1, 2)`` for in-plane, ``(0, 1, 2)`` for 3D).

    Returns
    -------
    ndarray of int64, same shape as ``values``.
    """
    if radius < 0:
        raise ValueError(f"radius must be >= 0, got {radius}")
    out = np.asarray(values).astype(np.int64)
    for ax in axes:
        n = out.shape[ax]
        pad = [(0, 0)] * out.ndim
        pad[ax] = (radius + 1, radius)
        csum = np.cumsum(np.pad(out, pad), axis=ax)
        # window [i - r, i + r] = C[i + 2r + 1] - C[i] with r + 1 leading zeros
        hi = np.take(csum, np.arange(2 * radius + 1, 2 * radius + 1 + n), axis=ax)
        lo = np.take(csum, np.arange(n), axis=ax)
        out = hi - lo
    return out


@njit(cache=True, nogil=True)
def _dependence_counts_kernel(
    levels: np.ndarray, dz: int, dxy: int, coarseness: int, out: np.ndarray
) -> None:  # pragma: no cover - compiled
    nz, ny, nx = levels.shape
    for z in range(nz):
        z0 = max(0, z - dz)
        z1 = min(nz, z + dz + 1)
        for y in range(ny):
            y0 = max(0, y - dxy)
            y1 = min(ny, y + dxy + 1)
            for x in range(nx):
                g = levels[z, y, x]
                if g <= 0:
                    continue
                x0 = max(0, x - dxy)
                x1 = min(nx, x + dxy + 1)
                c = 0
                for kz in range(z0, z1):
                    for ky in range(y0, y1):
                        for kx in range(x0, x1):
                            h = levels[kz, ky, kx]
                            if h > 0 and abs(h - g) <= coarseness:
                                c += 1
                out[z, y, x] = c - 1  # the centre always matches itself


def dependence_counts(
    levels: np.ndarray, distance: int, coarseness: int, two_d: bool
) -> np.ndarray:
    """Number of dependent neighbours of every ROI voxel (NGLDM).

    A neighbour ``j`` of voxel ``i`` (Chebyshev distance <= ``distance``, in-plane when
    ``two_d``) is dependent when it is in the ROI and ``|X_j - X_i| <= coarseness``.

    Parameters
    ----------
    levels : ndarray of int, (z, y, x)
        Grey levels >= 1 inside the ROI, 0 outside.
    distance : int
        Chebyshev distance, >= 1.
    coarseness : int
        Coarseness parameter alpha, >= 0.
    two_d : bool
        In-plane neighbourhood only.

    Returns
    -------
    ndarray of int32, same shape; 0 outside the ROI.
    """
    levels = np.asarray(levels)
    if levels.ndim != 3:
        raise ValueError(f"levels must be 3D (z, y, x), got shape {levels.shape}")
    if not np.issubdtype(levels.dtype, np.integer):
        raise ValueError(f"levels must have an integer dtype, got {levels.dtype}")
    if distance < 1:
        raise ValueError(f"distance must be >= 1, got {distance}")
    if coarseness < 0:
        raise ValueError(f"coarseness must be >= 0, got {coarseness}")
    lv = np.ascontiguousarray(levels, dtype=np.int64)
    out = np.zeros(lv.shape, dtype=np.int32)
    _dependence_counts_kernel(
        lv, 0 if two_d else int(distance), int(distance), int(coarseness), out
    )
    return out


def _reference_dependence_counts(
    levels: np.ndarray, distance: int, coarseness: int, two_d: bool
) -> np.ndarray:
    """Plain NumPy reference for :func:`dependence_counts` (one box sum per grey level)."""
    levels = np.asarray(levels, dtype=np.int64)
    axes = (1, 2) if two_d else (0, 1, 2)
    roi = levels > 0
    out = np.zeros(levels.shape, dtype=np.int32)
    for g in np.unique(levels[roi]):
        near = roi & (np.abs(levels - g) <= coarseness)
        counts = box_sum(near, distance, axes) - 1
        here = levels == g
        out[here] = counts[here]
    return out
