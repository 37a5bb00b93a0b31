"""Connected zones of equal grey level and ROI edge distances (GLSZM and GLDZM families).

A *zone* is a set of connected voxels that share one grey level: 26-connected in 3D and
8-connected in-plane (2D, 2.5D). :func:`zone_table` labels the zones of *all* grey levels in
one union-find pass over the ROI (a numba kernel, linear in the number of voxels whatever the
number of grey levels) and returns, per zone, its grey level, size, plane (for in-plane zones)
and the minimum of a per-voxel distance map over its voxels.

:func:`edge_distance` is that distance map: the city-block (6-connected in 3D, 4-connected
in-plane) distance of each mask voxel to the nearest voxel outside the mask, voxels on the mask
edge at distance 1. The image border counts as mask edge.

:func:`_reference_zone_table` is the plain NumPy/SciPy reference (one ``scipy.ndimage.label``
per grey level) used in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy import ndimage

__all__ = ["ZoneTable", "edge_distance", "zone_table"]


@dataclass(frozen=True, eq=False)
class ZoneTable:
    """One row per zone: grey level, size (voxels), minimum edge distance and plane index.

    ``plane`` is the index along axis 0 of the zone's plane for in-plane zones and -1 for 3D
    zones. Rows are ordered by the zone's first voxel in raster order (so by plane).
    """

    level: np.ndarray  # int64, (n_zones,)
    size: np.ndarray  # int64, (n_zones,)
    distance: np.ndarray  # int64, (n_zones,)
    plane: np.ndarray  # int64, (n_zones,)

    @property
    def n_zones(self) -> int:
        return int(self.level.size)

    def in_plane(self, z: int) -> ZoneTable:
        """The zones of plane ``z`` (in-plane tables only)."""
        lo, hi = np.searchsorted(self.plane, [z, z + 1])
        return ZoneTable(
            self.level[lo:hi], self.size[lo:hi], self.distance[lo:hi], self.plane[lo:hi]
        )


def _backward_offsets(two_d: bool) -> np.ndarray:
    """Neighbour offsets (z, y, x) that precede a voxel in raster order (half neighbourhood)."""
    offs = []
    for dz in (-1, 0):
        if two_d and dz != 0:
            continue
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if (dz, dy, dx) < (0, 0, 0):
                    offs.append((dz, dy, dx))
    return np.array(offs, dtype=np.int64)


@njit(cache=True, nogil=True)
def _find(parent: np.ndarray, i: int) -> int:  # pragma: no cover - compiled
    while parent[i] != i:
        parent[i] = parent[parent[i]]  # path halving
        i = parent[i]
    return i


@njit(cache=True, nogil=True)
def _zone_kernel(
    levels: np.ndarray, dist: np.ndarray, offsets: np.ndarray, two_d: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    nz, ny, nx = levels.shape
    n = nz * ny * nx
    flat = levels.ravel()
    dflat = dist.ravel()
    parent = np.empty(n, dtype=np.int64)
    for i in range(n):
        parent[i] = i
    n_off = offsets.shape[0]
    # union with the already visited neighbours of equal grey level
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                i = (z * ny + y) * nx + x
                g = flat[i]
                if g <= 0:
                    continue
                for k in range(n_off):
                    zz = z + offsets[k, 0]
                    yy = y + offsets[k, 1]
                    xx = x + offsets[k, 2]
                    if zz < 0 or yy < 0 or yy >= ny or xx < 0 or xx >= nx:
                        continue
                    j = (zz * ny + yy) * nx + xx
                    if flat[j] != g:
                        continue
                    ri = _find(parent, i)
                    rj = _find(parent, j)
                    if ri != rj:
                        if ri < rj:
                            parent[rj] = ri
                        else:
                            parent[ri] = rj
    # compact zone ids in raster order of each zone's first voxel (its root: the smallest index)
    zone_of = np.full(n, -1, dtype=np.int64)
    n_zones = 0
    for i in range(n):
        if flat[i] > 0 and _find(parent, i) == i:
            zone_of[i] = n_zones
            n_zones += 1
    level = np.zeros(n_zones, dtype=np.int64)
    size = np.zeros(n_zones, dtype=np.int64)
    mind = np.full(n_zones, np.iinfo(np.int64).max, dtype=np.int64)
    plane = np.full(n_zones, -1, dtype=np.int64)
    for i in range(n):
        if flat[i] <= 0:
            continue
        r = _find(parent, i)
        zid = zone_of[r]
        if i == r:
            level[zid] = flat[i]
            if two_d:
                plane[zid] = i // (ny * nx)
        size[zid] += 1
        mind[zid] = min(mind[zid], dflat[i])
    return level, size, mind, plane


def zone_table(levels: np.ndarray, two_d: bool, distance: np.ndarray | None = None) -> ZoneTable:
    """Zones of equal grey level of every grey level at once.

    Parameters
    ----------
    levels : ndarray of int, (z, y, x)
        Grey levels, 0 (or less) outside the ROI.
    two_d : bool
        In-plane zones (8-connected in each plane) instead of 3D zones (26-connected).
    distance : ndarray of int, same shape, optional
        Per-voxel distance map; each zone gets its minimum over the zone's voxels
        (0 when omitted).

    Returns
    -------
    ZoneTable
    """
    levels = np.asarray(levels)
    if levels.ndim != 3:
        raise ValueError(f"levels must be 3D (z, y, x), got shape {levels.shape}")
    if not np.issubdtype(levels.dtype, np.integer):
        raise ValueError(f"levels must be integer grey levels, got dtype {levels.dtype}")
    lv = np.ascontiguousarray(levels, dtype=np.int64)
    if distance is None:
        dist = np.zeros(lv.shape, dtype=np.int64)
    else:
        if distance.shape != levels.shape:
            raise ValueError(
                f"distance map shape {distance.shape} differs from levels shape {levels.shape}"
            )
        dist = np.ascontiguousarray(distance, dtype=np.int64)
    level, size, mind, plane = _zone_kernel(lv, dist, _backward_offsets(two_d), bool(two_d))
    return ZoneTable(level, size, mind, plane)


def edge_distance(mask: np.ndarray, two_d: bool) -> np.ndarray:
    """City-block distance of each mask voxel to the mask edge (1 on the edge, 0 outside).

    6-connected steps in 3D, 4-connected in-plane steps per plane when ``two_d``. Voxels
    beyond the array border count as outside the mask. Linear time
    (``scipy.ndimage.distance_transform_cdt``).
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 3:
        raise ValueError(f"mask must be 3D (z, y, x), got shape {mask.shape}")
    if not mask.any():
        return np.zeros(mask.shape, dtype=np.int64)
    padded = np.pad(mask, 1)
    if two_d:
        metric = np.zeros((3, 3, 3), dtype=bool)
        metric[1] = ndimage.generate_binary_structure(2, 1)
    else:
        metric = ndimage.generate_binary_structure(3, 1)
    d = ndimage.distance_transform_cdt(padded, metric=metric)
    return np.ascontiguousarray(d[1:-1, 1:-1, 1:-1], dtype=np.int64)


# --------------------------------------------------------------------------- references


def _reference_zone_table(
    levels: np.ndarray, two_d: bool, distance: np.ndarray | None = None
) -> ZoneTable:
    """Plain SciPy reference of :func:`zone_table`: one ``ndimage.label`` per grey level
    (and per plane when ``two_d``). Rows sorted by (plane, level, size, distance)."""
    if distance is None:
        distance = np.zeros(levels.shape, dtype=np.int64)
    rows = []
    planes = range(levels.shape[0]) if two_d else [None]
    for z in planes:
        lv = levels if z is None else levels[z]
        dm = distance if z is None else distance[z]
        structure = np.ones((3,) * lv.ndim, dtype=bool)
        for g in np.unique(lv[lv > 0]):
            lab, n = ndimage.label(lv == g, structure=structure)
            for k in range(1, n + 1):
                sel = lab == k
                rows.append((-1 if z is None else z, int(g), int(sel.sum()), int(dm[sel].min())))
    rows.sort()
    arr = np.array(rows, dtype=np.int64).reshape(-1, 4)
    return ZoneTable(arr[:, 1].copy(), arr[:, 2].copy(), arr[:, 3].copy(), arr[:, 0].copy())


def _reference_edge_distance(mask: np.ndarray, two_d: bool) -> np.ndarray:
    """Plain reference of :func:`edge_distance` by repeated erosion (IBSI's description)."""
    if two_d:
        structure = np.zeros((3, 3, 3), dtype=bool)
        structure[1] = ndimage.generate_binary_structure(2, 1)
    else:
        structure = ndimage.generate_binary_structure(3, 1)
    current = np.asarray(mask, dtype=bool)
    out = current.astype(np.int64)
    while current.any():
        current = ndimage.binary_erosion(current, structure=structure, border_value=0)
        out += current
    return out
