"""Triangle meshes of a mask and the distances on them, for the morphology family.

Two meshes of the same mask (:class:`radiomix.features.morphology.MorphologyData`'s
``mesh`` switch): scikit-image's marching cubes (Lewiner) at level 0.5, as IBSI, and the
classic table as PyRadiomics meshes (:func:`classic_mesh`). On a binary mask both put every
vertex at an edge mid-point, so vertices are integer points of the doubled index grid. The
largest vertex distances (:func:`diameters`) are an exact search over the few vertices that
can reach them: a vertex too close to the centroid to be part of a pair as far apart as one
pair already found is dropped (:func:`_reaching`), and of many that remain, those strictly
inside a lattice segment of the set (:func:`_extreme_candidates`).

Pure NumPy; SciPy's convex hull only for large candidate sets.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from radiomix.features._marching_cubes_table import triangle_table
from radiomix.features._texture import lattice_lines

__all__ = ["classic_mesh", "diameters", "voxel_covariance"]


#: the 13 lattice directions (z, y, x) of a voxel's neighbours, one of each opposite pair
_LINE_DIRECTIONS = np.array(
    [
        (0, 0, 1), (0, 1, 0), (1, 0, 0), (0, 1, 1), (0, 1, -1), (1, 0, 1), (1, 0, -1),
        (1, 1, 0), (1, -1, 0), (1, 1, 1), (1, 1, -1), (1, -1, 1), (1, -1, -1),
    ],
    dtype=np.int64,
)  # fmt: skip

#: above this many candidate points the farthest pair is searched on their convex hull
#: (scipy.spatial: ~0.15 s to import); below, the pruned Gram search (:func:`_farthest_squared`)
#: is faster (3,749 candidates of an 8 cm lesion: 1 ms; 6,000 points on a sphere, where
#: nothing prunes: 50 ms)
_HULL_ABOVE = 6000


#: :func:`_line_ends` keeps each line's extremes in arrays indexed by line up to this many
#: lines (or four per point), else it sorts the points along their lines
_DENSE_LINES_UP_TO = 1 << 20


def _line_ends(grid: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Whether each integer point of ``grid`` (n, 3) is the first or last of the points on
    its lattice line along ``direction`` (components in {-1, 0, 1})."""
    key, t = lattice_lines(grid, direction)
    lines = int(key.max(initial=0)) + 1
    if lines <= max(_DENSE_LINES_UP_TO, 4 * len(key)):  # each line's first and last t
        lo = np.full(lines, np.iinfo(np.int64).max, dtype=np.int64)
        hi = np.full(lines, np.iinfo(np.int64).min, dtype=np.int64)
        np.minimum.at(lo, key, t)
        np.maximum.at(hi, key, t)
        return (t == lo[key]) | (t == hi[key])
    order = np.lexsort((t, key))
    sk = key[order]
    change = sk[1:] != sk[:-1]
    ends = np.ones(len(sk), dtype=bool)
    ends[1:-1] = change[:-1] | change[1:]
    out = np.zeros(len(sk), dtype=bool)
    out[order] = ends
    return out


def _extreme_candidates(grid: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Indices of the points of ``grid`` that remain after dropping, direction by direction,
    every point lying strictly between two others on a lattice line.

    A dropped point is inside a segment of the set, so it is not a vertex of the set's
    convex hull; the convex hull of what remains is the same, and so is the largest
    distance between two points (a pair of hull vertices attains it). On a marching cubes
    mesh this keeps about one vertex in six to ten.
    """
    idx = np.arange(len(grid))
    for d in directions:
        if len(idx) < 3:
            break
        idx = idx[_line_ends(grid[idx], d)]
    return idx


def _farthest_squared(points: np.ndarray) -> float:
    """Largest squared distance between two of ``points`` (n, d), n >= 2: candidates from
    the Gram matrix of the centred points, then each candidate pair's
    :math:`\\sum_k (p_k - q_k)^2` from the points as given, so the value does not depend
    on the shortcut.

    The points are taken farthest from their mean first, and a pair whose two distances
    to the mean add up to less than the best distance found cannot be the farthest
    (triangle inequality): each block of rows meets only the later points that can still
    reach the best, and the search stops once twice a row's distance falls short of it.
    An ROI's surface is rarely a sphere, so this leaves few pairs (the CT case's 8 cm
    lesion: 3,749 points, 1 ms instead of every pair's 70 ms).
    """
    centred = points - points.mean(axis=0)
    sq = np.einsum("ak,ak->a", centred, centred)
    order = np.argsort(-sq, kind="stable")
    centred, sq = centred[order], sq[order]
    norm = np.sqrt(sq)
    tol = 1e-9 * (float(sq[0]) + 1e-300)  # far above the Gram form's rounding error
    best = -1.0
    pairs: list[tuple[np.ndarray, np.ndarray]] = []
    step = 64  # rows per block: three (64, n) temporaries at most
    n = len(points)
    for k in range(0, n, step):
        stop = min(k + step, n)
        end = n
        if best >= 0:
            if 4.0 * sq[k] < best - 8 * tol:
                break  # rows and columns from k on are within 2 |p_k - mean| of each other
            reach = math.sqrt(max(best - 8 * tol, 0.0)) - norm[k]
            end = max(stop, k + int(np.searchsorted(-norm[k:], -reach, side="right")))
        approx = sq[k:stop, None] + sq[None, k:end] - 2.0 * (centred[k:stop] @ centred[k:end].T)
        top = float(approx.max())
        if top < best - 4 * tol:
            continue
        best = max(best, top)
        i, j = np.nonzero(approx >= top - 4 * tol)
        pairs.append((order[i + k], order[j + k]))
    i = np.concatenate([p[0] for p in pairs])
    j = np.concatenate([p[1] for p in pairs])
    d = points[i] - points[j]
    return float(np.max(np.einsum("ak,ak->a", d, d)))


def _max_pair_distance(points: np.ndarray) -> float:
    """Largest Euclidean distance between two of ``points`` (n, d)."""
    if len(points) < 2:
        return 0.0
    pts = points
    if len(points) > _HULL_ABOVE:
        from scipy.spatial import ConvexHull, QhullError  # large sets only

        try:
            pts = points[ConvexHull(points).vertices]
        except (QhullError, ValueError):  # flat or degenerate: keep every point
            pts = points
    return math.sqrt(_farthest_squared(pts))


def diameters(grid: np.ndarray, spacing: np.ndarray) -> dict[str, float]:
    """The largest vertex distance (IBSI maximum 3D diameter) and the three largest
    in-plane ones (PyRadiomics' Maximum2DDiameters) of mesh vertices
    given on the doubled index grid (``grid / 2 * spacing`` in mm): the largest distance
    between two vertices, and between two vertices of one axial (Slice), coronal (Column)
    or sagittal (Row) plane. Only the points that can reach the farthest distance
    (:func:`_reaching`) are compared, and of those, when many remain, the candidates of
    :func:`_extreme_candidates` (every lattice direction for 3D, the plane's four for 2D)."""
    if len(grid) < 2:
        return dict.fromkeys(("3D", "Slice", "Column", "Row"), 0.0)
    points = (grid / 2.0) * spacing
    one = np.array([len(grid)])
    idx = np.flatnonzero(_reaching(points, one))
    if len(idx) > _LATTICE_ABOVE:
        idx = idx[_extreme_candidates(grid[idx], _LINE_DIRECTIONS)]
    out = {"3D": _max_pair_distance(points[idx])}
    for axis, name in ((0, "Slice"), (1, "Column"), (2, "Row")):
        other = [a for a in range(3) if a != axis]
        order = np.argsort(grid[:, axis], kind="stable")
        plane = grid[order, axis]
        sizes = np.diff(np.flatnonzero(np.r_[True, plane[1:] != plane[:-1], True]))
        idx = order[_reaching(points[order][:, other], sizes)]
        if len(idx) > _LATTICE_ABOVE:
            in_plane = _LINE_DIRECTIONS[_LINE_DIRECTIONS[:, axis] == 0]
            idx = idx[_extreme_candidates(grid[idx], in_plane)]
            idx = idx[np.argsort(grid[idx, axis], kind="stable")]
        plane = grid[idx, axis]
        cuts = np.flatnonzero(plane[1:] != plane[:-1]) + 1
        sizes = np.diff(np.r_[0, cuts, len(idx)])
        sub = points[idx][:, other]
        if int(np.sum(sizes.astype(np.int64) ** 2)) <= _ALL_PAIRS_UP_TO:
            out[name] = math.sqrt(_farthest_squared_within(sub, sizes))
            continue
        best = 0.0
        for group in np.split(sub, cuts):
            if len(group) > 1:
                best = max(best, _max_pair_distance(group))
        out[name] = best
    return out


#: :func:`diameters` prunes the points :func:`_reaching` keeps by their lattice lines
#: (:func:`_extreme_candidates`) when more than this many remain
_LATTICE_ABOVE = 512


#: the in-plane diameters compare every pair of one plane's candidates at once (one
#: vectorised pass over all planes) while there are at most this many such pairs; a small
#: ROI has some 60 planes of a few dozen candidates, where a search per plane costs more in
#: calls than in arithmetic
_ALL_PAIRS_UP_TO = 1 << 20


def _reaching(points: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Which of ``points`` (n, d), in groups (consecutive runs of ``sizes`` >= 1 points),
    can belong to the farthest pair of any one group.

    A pair of one group is no farther apart than the sum of its two points' distances
    :math:`r` to the group's centroid, the second at most the group's largest, :math:`R_g`.
    The point at :math:`R_g` and the point of its group farthest from it are a pair at a
    distance :math:`L`; the largest such :math:`L` over the groups is reached, so a point
    with :math:`r_i + R_g < L` is in no farther pair and is dropped (with a margin far
    above the rounding). The farthest pair, and the value computed from it, stay the same;
    of an 8 cm CT lesion's 36,400 mesh vertices 900 remain (240 to 1,400 for the planes of
    one orientation).
    """
    starts = np.cumsum(sizes) - sizes
    group = np.repeat(np.arange(len(sizes)), sizes)
    centre = np.add.reduceat(points, starts, axis=0) / sizes[:, None]
    off = points - centre[group]
    r = np.sqrt(np.einsum("ak,ak->a", off, off))
    far = np.maximum.reduceat(r, starts)  # R_g
    is_far = r == far[group]  # the first point at R_g of each group
    first_far = np.flatnonzero(is_far)[np.searchsorted(group[is_far], np.arange(len(sizes)))]
    d = points - points[first_far][group]
    reach = math.sqrt(float(np.max(np.einsum("ak,ak->a", d, d))))
    return r + far[group] >= reach * (1.0 - 1e-9)


def _farthest_squared_within(points: np.ndarray, sizes: np.ndarray) -> float:
    """Largest squared distance between two of ``points`` (n, d) of one group, the groups
    being consecutive runs of ``sizes`` points: every pair of a group,
    :math:`\\sum_k (p_k - q_k)^2` as :func:`_farthest_squared` computes it."""
    starts = np.cumsum(sizes) - sizes
    per_point = np.repeat(sizes, sizes)  # the size of each point's group
    first = np.repeat(starts, sizes)  # the first point of each point's group
    i = np.repeat(np.arange(len(points)), per_point)
    j = np.repeat(first, per_point) + (
        np.arange(len(i)) - np.repeat(np.cumsum(per_point) - per_point, per_point)
    )
    d = points[i] - points[j]
    return float(np.max(np.einsum("ak,ak->a", d, d), initial=0.0))


#: cube corners (z, y, x) in the order of the classic marching cubes table (x fastest)
_CORNERS = np.array(
    [(0, 0, 0), (0, 0, 1), (0, 1, 1), (0, 1, 0), (1, 0, 0), (1, 0, 1), (1, 1, 1), (1, 1, 0)]
)


#: surface cubes meshed at once by :func:`classic_mesh` (about 72 * T max bytes each)
_CUBES_PER_PASS = 1 << 16


@functools.cache
def _doubled_table() -> tuple[np.ndarray, np.ndarray]:
    """The classic table on the doubled grid for every cube code: triangles (256, T max,
    3, 3) as integer offsets (zero-padded), a complemented configuration's (code >= 128)
    read from its complement with the vertices reversed, and the count per code."""
    table = triangle_table()
    per_code = []
    for c in range(256):
        flip = bool(c >> 7 & 1)
        t = np.rint(2 * np.asarray(table[255 - c if flip else c])).astype(np.int64)
        per_code.append(t.reshape(-1, 3, 3)[:, ::-1] if flip else t.reshape(-1, 3, 3))
    counts = np.array([len(t) for t in per_code], dtype=np.int64)
    out = np.zeros((256, int(counts.max()), 3, 3), dtype=np.int64)
    for c, t in enumerate(per_code):
        out[c, : len(t)] = t
    out.flags.writeable = False
    counts.flags.writeable = False
    return out, counts


def classic_mesh(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Marching cubes with the classic table and PyRadiomics' resolution of ambiguous
    cubes (:func:`~radiomix.features._marching_cubes_table.triangle_table`) on the mask
    padded by one voxel.

    Returns the vertices as integer (z, y, x) coordinates on the doubled index grid of the
    padded array (every vertex is an edge mid-point; ``grid / 2 * spacing`` is mm from its
    first voxel) and the triangles (indices into the vertices), oriented so that the signed
    volume :math:`\\sum \\mathbf{a} \\cdot (\\mathbf{b} \\times \\mathbf{c}) / 6` adds up
    (a complemented configuration's triangles reversed).
    """
    m = np.pad(mask.astype(np.uint8), 1)  # one byte per voxel and cube code: a large box
    nz, ny, nx = m.shape
    code = np.zeros((nz - 1, ny - 1, nx - 1), dtype=np.uint8)
    shifted = np.empty_like(code)
    for k, (dz, dy, dx) in enumerate(_CORNERS):
        np.left_shift(m[dz : dz + nz - 1, dy : dy + ny - 1, dx : dx + nx - 1], k, out=shifted)
        code |= shifted
    tris, counts = _doubled_table()
    flat = code.ravel()
    surf = np.flatnonzero((flat != 0) & (flat != 255))  # cubes the surface crosses
    codes = flat[surf].astype(np.int64)
    order = np.argsort(codes, kind="stable")  # by configuration, then position
    surf, codes = surf[order], codes[order]
    shape = code.shape
    wy, wx = 2 * shape[1] + 3, 2 * shape[2] + 3  # vertex keys on the doubled index grid
    keys = []
    slot = np.arange(tris.shape[1])[None, :]
    for lo in range(0, len(surf), _CUBES_PER_PASS):  # bounded temporaries for large ROIs
        part = codes[lo : lo + _CUBES_PER_PASS]
        pos = np.stack(np.unravel_index(surf[lo : lo + _CUBES_PER_PASS], shape), axis=1)
        k2 = 2 * pos[:, None, None, :] + tris[part]  # (n, T max, 3 vertices, 3)
        valid = slot < counts[part][:, None]  # (n, T max): the code's own triangles
        keys.append(((k2[..., 0] * wy + k2[..., 1]) * wx + k2[..., 2])[valid])
    if not keys:
        return np.zeros((0, 3), dtype=np.int64), np.zeros((0, 3), dtype=np.int64)
    uniq, faces = np.unique(np.concatenate(keys), return_inverse=True)
    grid = np.stack([uniq // (wy * wx), (uniq // wx) % wy, uniq % wx], axis=1)
    return grid, faces.reshape(-1, 3)


def voxel_covariance(mask: np.ndarray, sp: np.ndarray, ddof: int = 0) -> tuple[int, np.ndarray]:
    """The number of ROI voxels and the covariance (mm^2) of their centres (population with
    ``ddof`` 0, sample with 1).

    Exact integer moments from the mask's projections (no (n, 3) coordinate arrays): with
    :math:`S_a = \\sum a`, :math:`S_{ab} = \\sum ab` over the voxel indices,
    :math:`\\mathrm{cov}_{ab} = (n S_{ab} - S_a S_b) / (n (n - \\mathrm{ddof})) \\; s_a s_b`, the integer part
    in Python's unbounded integers, so one rounding per entry."""
    m = mask.astype(bool, copy=False)
    axes_idx = [np.arange(k, dtype=np.int64) for k in m.shape]
    pair_counts = {  # counts over the two axes a < b (sums over the third)
        (0, 1): m.sum(axis=2, dtype=np.int64),
        (0, 2): m.sum(axis=1, dtype=np.int64),
        (1, 2): m.sum(axis=0, dtype=np.int64),
    }
    line = [pair_counts[(0, 1)].sum(axis=1), pair_counts[(0, 1)].sum(axis=0)]
    line.append(pair_counts[(0, 2)].sum(axis=0))
    n = int(line[0].sum())
    first = [int(line[a] @ axes_idx[a]) for a in range(3)]
    second = np.zeros((3, 3), dtype=object)
    for a in range(3):
        second[a, a] = int(line[a] @ (axes_idx[a] * axes_idx[a]))
    for (a, b), counts in pair_counts.items():
        second[a, b] = second[b, a] = int(axes_idx[a] @ counts @ axes_idx[b])
    cov = np.empty((3, 3), dtype=np.float64)
    for a in range(3):
        for b in range(3):
            exact = n * second[a, b] - first[a] * first[b]  # Python ints: exact
            cov[a, b] = exact / (n * (n - ddof)) * (sp[a] * sp[b]) if n > ddof else math.nan
    return n, cov
