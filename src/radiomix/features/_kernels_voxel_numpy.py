"""Per-voxel GLCM counts of voxel-based extraction without numba, for small ROIs.

The same counts as :func:`radiomix.features._kernels_voxel.kernel_glcm` (one-way pairs of
mask voxels of a kernel box, both inside the box, per kernel and direction), but sparse
and vectorised over the voxel pairs instead of looped over the kernels: a pair
:math:`(\\mathbf{p}, \\mathbf{p} + \\mathbf{a})` belongs to the kernel centred at
:math:`\\mathbf{c} = \\mathbf{p} - \\mathbf{d}` for every displacement :math:`\\mathbf{d}`
with :math:`\\lVert \\mathbf{d} \\rVert_\\infty \\le R` and
:math:`\\lVert \\mathbf{d} + \\mathbf{a} \\rVert_\\infty \\le R` (zero along the
``force2D`` axis), so one NumPy pass per (direction, displacement) finds them all. A
process that needs no other numba kernel then never loads numba (about half a second),
which is most of a small voxel-mode case's time.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["glcm_pair_counts", "kernel_boxes"]


def glcm_pair_counts(
    levels: np.ndarray,
    remap: np.ndarray,
    centres: np.ndarray,
    radius: int,
    plane: int,
    angles: np.ndarray,
    n_levels: int,
    *,
    symmetric: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sparse GLCM counts of the kernels around ``centres``: ``(b, i, j, count)`` sorted
    by ``(b, i, j)``, with ``b = a * n + v`` (direction ``a``, kernel ``v`` of the ``n``
    centres), ``i``, ``j`` the matrix rows (``remap`` of the grey levels) and ``count``
    float64; ``symmetric`` adds each matrix's transpose (PyRadiomics' symmetrical GLCM).
    Arguments as :func:`radiomix.features._kernels_voxel.kernel_glcm`.
    """
    lv = np.asarray(levels, dtype=np.int64)
    rm = np.asarray(remap, dtype=np.int64)
    ce = np.asarray(centres, dtype=np.int64).reshape(-1, 3)
    ang = np.asarray(angles, dtype=np.int64).reshape(-1, 3)
    n, g, r = len(ce), int(n_levels), int(radius)
    empty = np.zeros(0, dtype=np.int64)
    if n == 0 or len(ang) == 0:
        return empty, empty, empty, np.zeros(0)
    shape = np.array(lv.shape)
    # only pairs that some kernel of these centres can hold: the centres' box plus R
    lo = np.maximum(ce.min(axis=0) - r, 0)
    hi = np.minimum(ce.max(axis=0) + r + 1, shape)
    if plane >= 0:
        lo[plane], hi[plane] = ce[:, plane].min(), ce[:, plane].max() + 1
    kernel_of = np.full(tuple(hi - lo), -1, dtype=np.int64)
    kernel_of[tuple((ce - lo).T)] = np.arange(n)
    free = [d for d in range(3) if d != plane]
    keys: list[np.ndarray] = []
    for a, off in enumerate(ang):
        if plane >= 0 and off[plane] != 0:
            continue  # the kernel box is one plane thick: no pair crosses planes
        # pairs p, p + off, both inside the region and the array
        p_lo = np.maximum(lo, lo - off)
        p_hi = np.minimum(hi, hi - off)
        if np.any(p_hi <= p_lo):
            continue
        first = lv[tuple(slice(a0, b0) for a0, b0 in zip(p_lo, p_hi, strict=True))]
        second = lv[tuple(slice(a0 + o, b0 + o) for a0, b0, o in zip(p_lo, p_hi, off, strict=True))]
        z, y, x = np.nonzero((first > 0) & (second > 0))
        if not len(z):
            continue
        gi = rm[first[z, y, x]]
        gj = rm[second[z, y, x]]
        p = np.stack([z, y, x], axis=1) + (p_lo - lo)  # in region coordinates
        for step in itertools.product(range(-r, r + 1), repeat=len(free)):
            d = np.zeros(3, dtype=np.int64)
            d[free] = step
            if np.any(np.abs(d + off) > r):
                continue  # the neighbour would leave that kernel's box
            c = p - d
            inside = np.all((c >= 0) & (c < hi - lo), axis=1)
            v = np.full(len(c), -1, dtype=np.int64)
            v[inside] = kernel_of[tuple(c[inside].T)]
            hit = v >= 0
            b = a * n + v[hit]
            keys.append((b * g + gi[hit]) * g + gj[hit])
            if symmetric:
                keys.append((b * g + gj[hit]) * g + gi[hit])
    if not keys:
        return empty, empty, empty, np.zeros(0)
    uniq, cnt = np.unique(np.concatenate(keys), return_counts=True)
    return uniq // (g * g), (uniq // g) % g, uniq % g, cnt.astype(np.float64)


def kernel_boxes(
    values: np.ndarray, levels: np.ndarray, centres: np.ndarray, radius: int, plane: int
) -> tuple[np.ndarray, np.ndarray]:
    """Values (NaN outside the mask) and grey levels (0 outside) of each kernel's box, as
    rows of (n, K) arrays, K = the box's voxels (one plane thick along ``plane``).

    ``values`` holds NaN and ``levels`` 0 wherever a voxel takes no part in the kernels.
    """
    r = int(radius)
    rng = [np.arange(-r, r + 1) if d != plane else np.zeros(1, np.int64) for d in range(3)]
    off = np.stack(np.meshgrid(*rng, indexing="ij"), -1).reshape(-1, 3)
    vals = np.pad(values, r, constant_values=np.nan)
    lv = np.pad(levels, r, constant_values=0)
    idx = np.asarray(centres, dtype=np.int64)[:, None, :] + r + off[None, :, :]
    return vals[idx[..., 0], idx[..., 1], idx[..., 2]], lv[idx[..., 0], idx[..., 1], idx[..., 2]]
