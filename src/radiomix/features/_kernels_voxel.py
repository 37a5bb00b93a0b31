"""Per-voxel texture matrices of voxel maps (both profiles): numba kernels.

For every ROI voxel :math:`\\mathbf{c}`, the texture matrices of the *kernel* around it
(:mod:`radiomix.extraction.voxel`): the box :math:`[\\mathbf{c} - R, \\mathbf{c} + R]`
clipped to the array (one plane thick along a ``plane`` axis, PyRadiomics' ``force2D``).
Only voxels of the box with a grey level take part, and a neighbour counts only when it
lies in the box too (PyRadiomics 3.0.1's ``cMatrices`` with a ``kernelRadius``). Every
kernel maps the grey levels to the matrix rows through ``remap``: IBSI's rows are the
levels 1..N_g, PyRadiomics' only the levels present in the region.

Every kernel takes

``levels``
    (z, y, x) int64 grey levels, 0 outside the mask;
``remap``
    int64 array: matrix row of grey level ``g`` (``remap[g]``, for the levels present);
``centres``
    (n, 3) int64 voxel indices, the kernels' centres;
``radius``
    the kernel radius :math:`R`;
``plane``
    the axis along which the kernel is one voxel thick, or -1;

and returns one matrix per centre; the profiles' differences are the kernels' switches
(``empty_single``, ``count_isolated``). The plain-NumPy references (one box at a time) are
in ``tests/compat/test_pyradiomics_voxel.py``; the GLCM's NumPy twin for small maps is
:func:`radiomix.features._kernels_numpy.kernel_cooccurrence_entries`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "kernel_glcm",
    "kernel_gldm",
    "kernel_glrlm",
    "kernel_glszm",
    "kernel_ngtdm",
]


@njit(cache=True, nogil=True)
def _bounds(
    shape: tuple[int, int, int], centre: np.ndarray, radius: int, plane: int
) -> np.ndarray:  # pragma: no cover - compiled; checked in the tests
    """(lo_z, lo_y, lo_x, hi_z, hi_y, hi_x) of a kernel, inclusive, clipped to the array."""
    bb = np.empty(6, dtype=np.int64)
    for d in range(3):
        c = centre[d]
        if d == plane:
            bb[d] = c
            bb[3 + d] = c
        else:
            bb[d] = max(c - radius, 0)
            bb[3 + d] = min(c + radius, shape[d] - 1)
    return bb


@njit(cache=True, nogil=True)
def _inside(bb: np.ndarray, z: int, y: int, x: int) -> bool:  # pragma: no cover - compiled
    return bb[0] <= z <= bb[3] and bb[1] <= y <= bb[4] and bb[2] <= x <= bb[5]


@njit(cache=True, nogil=True)
def _glcm_kernel(
    levels: np.ndarray,
    remap: np.ndarray,
    centres: np.ndarray,
    radius: int,
    plane: int,
    angles: np.ndarray,
    n_levels: int,
    symmetric: bool,
) -> np.ndarray:  # pragma: no cover - compiled; checked in the tests
    shape = levels.shape
    n_a = angles.shape[0]
    out = np.zeros((n_a, centres.shape[0], n_levels, n_levels), dtype=np.float64)
    for v in range(centres.shape[0]):
        bb = _bounds(shape, centres[v], radius, plane)
        for z in range(bb[0], bb[3] + 1):
            for y in range(bb[1], bb[4] + 1):
                for x in range(bb[2], bb[5] + 1):
                    g = levels[z, y, x]
                    if g <= 0:
                        continue
                    for a in range(n_a):
                        qz = z + angles[a, 0]
                        qy = y + angles[a, 1]
                        qx = x + angles[a, 2]
                        if not _inside(bb, qz, qy, qx):
                            continue
                        h = levels[qz, qy, qx]
                        if h > 0:
                            out[a, v, remap[g], remap[h]] += 1.0
                            if symmetric:
                                out[a, v, remap[h], remap[g]] += 1.0
    return out


@njit(cache=True, nogil=True)
def _glrlm_kernel(
    levels: np.ndarray,
    remap: np.ndarray,
    centres: np.ndarray,
    radius: int,
    plane: int,
    angles: np.ndarray,
    n_levels: int,
    max_run: int,
    empty_single: bool,
) -> np.ndarray:  # pragma: no cover - compiled; checked in the tests
    shape = levels.shape
    n_a = angles.shape[0]
    out = np.zeros((n_a, centres.shape[0], n_levels, max_run), dtype=np.float64)
    start = np.empty(3, dtype=np.int64)
    for v in range(centres.shape[0]):
        bb = _bounds(shape, centres[v], radius, plane)
        for a in range(n_a):
            # a run starts where a step back along the angle leaves the kernel
            for d in range(3):
                start[d] = bb[d] if angles[a, d] > 0 else bb[3 + d]
            multi = False
            for z in range(bb[0], bb[3] + 1):
                for y in range(bb[1], bb[4] + 1):
                    for x in range(bb[2], bb[5] + 1):
                        first = (
                            (angles[a, 0] != 0 and z == start[0])
                            or (angles[a, 1] != 0 and y == start[1])
                            or (angles[a, 2] != 0 and x == start[2])
                        )
                        if not first:
                            continue
                        jz, jy, jx = z, y, x
                        gl = -1
                        rl = 0
                        elements = 0
                        while True:
                            h = levels[jz, jy, jx]
                            if h > 0:
                                elements += 1
                                if gl == -1:
                                    gl = h
                                elif h == gl:
                                    rl += 1
                                else:
                                    out[a, v, remap[gl], rl] += 1.0
                                    gl = h
                                    rl = 0
                            elif gl > -1:
                                out[a, v, remap[gl], rl] += 1.0
                                gl = -1
                                rl = 0
                            jz += angles[a, 0]
                            jy += angles[a, 1]
                            jx += angles[a, 2]
                            if not _inside(bb, jz, jy, jx):
                                break
                        if gl > -1:
                            out[a, v, remap[gl], rl] += 1.0
                        if elements > 1:
                            multi = True
            if empty_single and not multi:
                # no line of the kernel holds two mask voxels along this angle: PyRadiomics
                # treats the angle as out of the segmentation's plane and empties it
                for g in range(n_levels):
                    out[a, v, g, 0] = 0.0
    return out


@njit(cache=True, nogil=True)
def _glszm_kernel(
    levels: np.ndarray,
    remap: np.ndarray,
    centres: np.ndarray,
    radius: int,
    plane: int,
    neighbours: np.ndarray,
    n_levels: int,
    max_size: int,
) -> np.ndarray:  # pragma: no cover - compiled; checked in the tests
    shape = levels.shape
    n_n = neighbours.shape[0]
    out = np.zeros((centres.shape[0], n_levels, max_size), dtype=np.float64)
    seen = np.zeros(shape, dtype=np.int64)  # the stamp v + 1 marks a voxel of kernel v
    stack = np.empty((max_size, 3), dtype=np.int64)
    for v in range(centres.shape[0]):
        bb = _bounds(shape, centres[v], radius, plane)
        stamp = v + 1
        for z in range(bb[0], bb[3] + 1):
            for y in range(bb[1], bb[4] + 1):
                for x in range(bb[2], bb[5] + 1):
                    g = levels[z, y, x]
                    if g <= 0 or seen[z, y, x] == stamp:
                        continue
                    seen[z, y, x] = stamp
                    stack[0, 0] = z
                    stack[0, 1] = y
                    stack[0, 2] = x
                    top = 1
                    size = 0
                    while top > 0:
                        top -= 1
                        kz = stack[top, 0]
                        ky = stack[top, 1]
                        kx = stack[top, 2]
                        size += 1
                        for k in range(n_n):
                            qz = kz + neighbours[k, 0]
                            qy = ky + neighbours[k, 1]
                            qx = kx + neighbours[k, 2]
                            if not _inside(bb, qz, qy, qx):
                                continue
                            if levels[qz, qy, qx] == g and seen[qz, qy, qx] != stamp:
                                seen[qz, qy, qx] = stamp
                                stack[top, 0] = qz
                                stack[top, 1] = qy
                                stack[top, 2] = qx
                                top += 1
                    out[v, remap[g], size - 1] += 1.0
    return out


@njit(cache=True, nogil=True)
def _gldm_kernel(
    levels: np.ndarray,
    remap: np.ndarray,
    centres: np.ndarray,
    radius: int,
    plane: int,
    offsets: np.ndarray,
    alpha: float,
    n_levels: int,
) -> np.ndarray:  # pragma: no cover - compiled; checked in the tests
    shape = levels.shape
    n_o = offsets.shape[0]
    out = np.zeros((centres.shape[0], n_levels, n_o + 1), dtype=np.float64)
    for v in range(centres.shape[0]):
        bb = _bounds(shape, centres[v], radius, plane)
        for z in range(bb[0], bb[3] + 1):
            for y in range(bb[1], bb[4] + 1):
                for x in range(bb[2], bb[5] + 1):
                    g = levels[z, y, x]
                    if g <= 0:
                        continue
                    dep = 0
                    for k in range(n_o):
                        qz = z + offsets[k, 0]
                        qy = y + offsets[k, 1]
                        qx = x + offsets[k, 2]
                        if not _inside(bb, qz, qy, qx):
                            continue
                        h = levels[qz, qy, qx]
                        if h > 0 and abs(g - h) <= alpha:
                            dep += 1
                    out[v, remap[g], dep] += 1.0
    return out


@njit(cache=True, nogil=True)
def _ngtdm_kernel(
    levels: np.ndarray,
    remap: np.ndarray,
    centres: np.ndarray,
    radius: int,
    plane: int,
    offsets: np.ndarray,
    n_levels: int,
    count_isolated: bool,
) -> np.ndarray:  # pragma: no cover - compiled; checked in the tests
    shape = levels.shape
    n_o = offsets.shape[0]
    out = np.zeros((centres.shape[0], n_levels, 2), dtype=np.float64)
    for v in range(centres.shape[0]):
        bb = _bounds(shape, centres[v], radius, plane)
        for z in range(bb[0], bb[3] + 1):
            for y in range(bb[1], bb[4] + 1):
                for x in range(bb[2], bb[5] + 1):
                    g = levels[z, y, x]
                    if g <= 0:
                        continue
                    count = 0.0
                    total = 0.0
                    for k in range(n_o):
                        qz = z + offsets[k, 0]
                        qy = y + offsets[k, 1]
                        qx = x + offsets[k, 2]
                        if not _inside(bb, qz, qy, qx):
                            continue
                        h = levels[qz, qy, qx]
                        if h > 0:
                            count += 1.0
                            total += h
                    if count == 0 and not count_isolated:
                        continue
                    diff = 0.0 if count == 0 else abs(g - total / count)
                    out[v, remap[g], 0] += 1.0
                    out[v, remap[g], 1] += diff
    return out


def _prepare(
    levels: np.ndarray, remap: np.ndarray, centres: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    lv = np.ascontiguousarray(levels, dtype=np.int64)
    if lv.ndim != 3:
        raise ValueError(f"levels must be 3D, got {lv.ndim}D")
    rm = np.ascontiguousarray(remap, dtype=np.int64)
    if rm.ndim != 1 or len(rm) <= int(lv.max(initial=0)):
        raise ValueError("remap must map every grey level of levels (length > max level)")
    ce = np.ascontiguousarray(centres, dtype=np.int64).reshape(-1, 3)
    if len(ce) and (np.any(ce < 0) or np.any(ce >= np.array(lv.shape))):
        raise ValueError("kernel centres must lie in the array")
    off = np.ascontiguousarray(offsets, dtype=np.int64).reshape(-1, 3)
    return lv, rm, ce, off


def kernel_glcm(
    levels: np.ndarray,
    remap: np.ndarray,
    centres: np.ndarray,
    radius: int,
    plane: int,
    angles: np.ndarray,
    n_levels: int,
    *,
    symmetric: bool = False,
) -> np.ndarray:
    """Co-occurrence counts per direction and kernel: shape (A, n, N_g, N_g), the
    matrices of direction ``a`` and kernel ``v`` at ``[a, v]`` (``reshape(A * n, N_g,
    N_g)``: matrix ``a * n + v``, as the formulas take a batch).

    ``[a, v, remap[i], remap[j]]`` counts the mask voxels :math:`\\mathbf{x}` of kernel
    ``v`` with grey level :math:`i` whose neighbour :math:`\\mathbf{x} + \\mathbf{a}` (row
    ``a`` of ``angles``) is a mask voxel of the kernel with grey level :math:`j`
    (PyRadiomics' ``calculate_glcm`` with a kernel); ``symmetric`` counts each pair in both
    orders too (the matrix plus its transpose).
    """
    lv, rm, ce, ang = _prepare(levels, remap, centres, angles)
    return _glcm_kernel(lv, rm, ce, int(radius), int(plane), ang, int(n_levels), bool(symmetric))


def kernel_glrlm(
    levels: np.ndarray,
    remap: np.ndarray,
    centres: np.ndarray,
    radius: int,
    plane: int,
    angles: np.ndarray,
    n_levels: int,
    *,
    empty_single: bool = True,
) -> np.ndarray:
    """Run-length counts per direction and kernel: shape (A, n, N_g, 2R + 1).

    ``[a, v, remap[i], r - 1]`` counts the runs of grey level :math:`i` and length
    :math:`r` along angle ``a`` inside kernel ``v``: consecutive mask voxels of one grey
    level on a line of the kernel (a voxel outside the mask ends a run). As PyRadiomics'
    ``calculate_glrlm`` does, an angle along which no line of the kernel holds two mask
    voxels counts no run at all (its runs of length 1 are removed) when ``empty_single``
    (PyRadiomics); without it (IBSI) every run counts.
    """
    lv, rm, ce, ang = _prepare(levels, remap, centres, angles)
    return _glrlm_kernel(
        lv, rm, ce, int(radius), int(plane), ang, int(n_levels), 2 * radius + 1, empty_single
    )


def kernel_glszm(
    levels: np.ndarray,
    remap: np.ndarray,
    centres: np.ndarray,
    radius: int,
    plane: int,
    neighbours: np.ndarray,
    n_levels: int,
) -> np.ndarray:
    """Zone-size counts per kernel: shape (n, N_g, S) with S the largest zone found.

    ``[v, remap[i], s - 1]`` counts the zones of grey level :math:`i` and :math:`s` voxels
    in kernel ``v``: mask voxels of one grey level connected through ``neighbours`` (both
    signs of every offset: 26-connectivity in 3D, 8 within a plane) without leaving the
    kernel (PyRadiomics' ``calculate_glszm`` with a kernel).
    """
    lv, rm, ce, nb = _prepare(levels, remap, centres, neighbours)
    size = 1
    for d in range(3):
        size *= 1 if d == plane else min(2 * int(radius) + 1, lv.shape[d])
    out = _glszm_kernel(lv, rm, ce, int(radius), int(plane), nb, int(n_levels), size)
    used = np.flatnonzero(out.sum(axis=(0, 1)))
    return out[:, :, : int(used[-1]) + 1] if len(used) else out[:, :, :1]


def kernel_gldm(
    levels: np.ndarray,
    remap: np.ndarray,
    centres: np.ndarray,
    radius: int,
    plane: int,
    offsets: np.ndarray,
    alpha: float,
    n_levels: int,
) -> np.ndarray:
    """Dependence counts per kernel: shape (n, N_g, len(offsets) + 1).

    ``[v, remap[i], k]`` counts the mask voxels of grey level :math:`i` in kernel ``v``
    with :math:`k` dependent neighbours: mask voxels of the kernel at one of ``offsets``
    (give both signs) with :math:`|i - j| \\le \\alpha` (PyRadiomics' ``calculate_gldm``,
    whose column ``k`` is dependence :math:`k + 1`).
    """
    lv, rm, ce, off = _prepare(levels, remap, centres, offsets)
    return _gldm_kernel(lv, rm, ce, int(radius), int(plane), off, float(alpha), int(n_levels))


def kernel_ngtdm(
    levels: np.ndarray,
    remap: np.ndarray,
    centres: np.ndarray,
    radius: int,
    plane: int,
    offsets: np.ndarray,
    n_levels: int,
    *,
    count_isolated: bool = True,
) -> np.ndarray:
    """NGTDM columns per kernel: shape (n, N_g, 2), ``[..., 0]`` = :math:`n_i`,
    ``[..., 1]`` = :math:`s_i`.

    For each mask voxel of grey level :math:`i` in kernel ``v``: :math:`n_i` += 1 and
    :math:`s_i` += :math:`|i - \\bar{A}|`, :math:`\\bar{A}` the mean grey level of its
    neighbours at ``offsets`` (give both signs) that are mask voxels of the kernel (0 added
    when it has none), as PyRadiomics' ``calculate_ngtdm`` does (``count_isolated``);
    without it (IBSI) a voxel without such neighbours is left out.
    """
    lv, rm, ce, off = _prepare(levels, remap, centres, offsets)
    return _ngtdm_kernel(lv, rm, ce, int(radius), int(plane), off, int(n_levels), count_isolated)
