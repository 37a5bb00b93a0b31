"""The morphology family's meshes: the stored classic marching cubes table (the
``pyradiomics`` profile's mesh) and the diameter search on the vertex lattice.

The table (:mod:`radiomix.features._marching_cubes_table`) is rebuilt here from
scikit-image's Lorensen marching cubes, one cube at a time; the diameters
(:func:`radiomix.features._mesh.diameters`), which compare only the vertices
``_extreme_candidates`` keeps (and, for large sets, their convex hull), are checked against
every pair of mesh vertices, on both meshes.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import ndimage

from radiomix.features import _mesh as mesh
from radiomix.features import morphology
from radiomix.features._marching_cubes_table import triangle_table


def _skimage_table() -> list[np.ndarray]:
    from skimage.measure import marching_cubes

    table = [np.zeros((0, 3, 3))]
    for c in range(1, 255):
        cube = np.zeros((2, 2, 2), dtype=np.float32)
        for k in range(8):
            if c >> k & 1:
                cube[tuple(mesh._CORNERS[k])] = 1.0
        verts, faces, _, _ = marching_cubes(cube, level=0.5, method="lorensen")
        table.append(verts[faces].astype(np.float64))
    table.append(np.zeros((0, 3, 3)))
    return table


def test_stored_table_is_scikit_image_lorensen_table() -> None:
    stored = triangle_table()
    assert len(stored) == 256
    for c, (ours, ref) in enumerate(zip(stored, _skimage_table(), strict=True)):
        assert ours.shape == ref.shape, c
        assert np.array_equal(ours, ref), c


def test_meshing_imports_neither_scikit_image_nor_scipy_spatial() -> None:
    code = (
        "import sys, numpy as np\n"
        "from radiomix.features import pyradiomics_profile as p\n"
        "m = np.zeros((6, 7, 8), bool); m[1:5, 2:6, 2:7] = True\n"
        "p._shape(m, (2.0, 0.7, 0.7), ['SurfaceArea', 'Maximum3DDiameter', 'Elongation'])\n"
        "print(sorted(k for k in sys.modules if k.startswith(('skimage', 'scipy.spatial'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _brute(points: np.ndarray) -> float:
    if len(points) < 2:
        return 0.0
    d = points[:, None, :] - points[None, :, :]
    return math.sqrt(float(np.max(np.einsum("abk,abk->ab", d, d))))


def _brute_plane(points: np.ndarray, axis: int) -> float:
    other = [a for a in range(3) if a != axis]
    best = 0.0
    for value in np.unique(points[:, axis]):
        best = max(best, _brute(points[points[:, axis] == value][:, other]))
    return best


def _masks() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(11)
    out = []
    for k in range(24):
        shape = tuple(int(n) for n in rng.integers(1, 16, 3))
        field = rng.random(shape)
        if k % 3 == 0:
            mask = field > 0.55  # scattered voxels: many components
        else:
            mask = ndimage.gaussian_filter(field, 1.2) > 0.5
        if not mask.any():
            mask[tuple(n // 2 for n in shape)] = True
        spacing = rng.uniform(0.3, 3.0, 3)
        out.append((f"random-{k}-{'x'.join(map(str, shape))}", mask, spacing))
    z, y, x = np.ogrid[:14, :40, :40]
    ball = ((z - 6.5) * 2.5) ** 2 + ((y - 19.5) * 0.7) ** 2 + ((x - 19.5) * 0.7) ** 2 < 13.0**2
    out.append(("ball", ball, np.array([2.5, 0.7, 0.7])))
    out.append(("one voxel", np.ones((1, 1, 1), bool), np.array([1.0, 1.0, 1.0])))
    line = np.zeros((3, 9, 3), bool)
    line[1, :, 1] = True
    out.append(("line", line, np.array([1.0, 0.5, 2.0])))
    return out


@pytest.mark.parametrize(
    ("name", "mask", "spacing"), _masks(), ids=lambda v: v if isinstance(v, str) else ""
)
@pytest.mark.parametrize("method", ["classic", "lewiner"])
@pytest.mark.parametrize("planes", ["all pairs at once", "plane by plane", "lattice lines"])
def test_diameters_equal_every_pair(
    name: str,
    mask: np.ndarray,
    spacing: np.ndarray,
    method: str,
    planes: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if planes == "plane by plane":  # the search large ROIs take
        monkeypatch.setattr(mesh, "_ALL_PAIRS_UP_TO", -1)
    if planes == "lattice lines":  # what many points left by _reaching go through
        monkeypatch.setattr(mesh, "_LATTICE_ABOVE", -1)
    m = morphology.MorphologyData(
        np.zeros(mask.shape), mask, mask, tuple(float(s) for s in spacing), mesh_method=method
    )
    verts = m.mesh[0]
    got = m.diameters
    assert got["3D"] == pytest.approx(_brute(verts), rel=1e-14)
    assert got["Slice"] == pytest.approx(_brute_plane(verts, 0), rel=1e-14)
    assert got["Column"] == pytest.approx(_brute_plane(verts, 1), rel=1e-14)
    assert got["Row"] == pytest.approx(_brute_plane(verts, 2), rel=1e-14)
    if method == "classic":  # exactly, from the lattice points
        grid, _ = mesh.classic_mesh(mask)
        exact = (grid / 2.0) * spacing
        assert got["3D"] == _brute(exact)
        assert got["Slice"] == _brute_plane(exact, 0)


def test_large_vertex_sets_take_the_hull_and_agree() -> None:
    rng = np.random.default_rng(5)
    pts = rng.normal(size=(mesh._HULL_ABOVE + 400, 3)) * [10.0, 4.0, 7.0]
    assert mesh._max_pair_distance(pts) == _brute(pts)
    flat = np.c_[rng.normal(size=(mesh._HULL_ABOVE + 10, 2)), np.zeros(mesh._HULL_ABOVE + 10)]
    assert mesh._max_pair_distance(flat) == _brute(flat)  # degenerate for the hull


@pytest.mark.parametrize("n", [2, 3, 17, 300])
def test_farthest_squared_gram_shortcut_is_exact(n: int) -> None:
    rng = np.random.default_rng(n)
    pts = rng.normal(size=(n, 3)) * 0.01 + [350.0, -120.0, 80.0]  # far from the origin
    assert math.sqrt(mesh._farthest_squared(pts)) == _brute(pts)


def test_farthest_within_groups_compares_only_pairs_of_one_group() -> None:
    rng = np.random.default_rng(2)
    sizes = np.array([1, 4, 2, 7, 1])
    pts = rng.normal(size=(int(sizes.sum()), 2)) * 5.0
    want = max(_brute(g) for g in np.split(pts, np.cumsum(sizes)[:-1]) if len(g) > 1)
    assert math.sqrt(mesh._farthest_squared_within(pts, sizes)) == want
    # the two farthest points overall lie in different groups: not counted
    assert _brute(pts) > want
    assert mesh._farthest_squared_within(pts[:1], np.array([1])) == 0.0


@pytest.mark.parametrize("seed", range(40))
def test_reaching_keeps_every_farthest_pair(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 40, rng.integers(1, 8))
    dim = int(rng.integers(2, 4))
    if seed % 4 == 0:  # integer lattice points: ties of distances are common
        pts = rng.integers(-6, 7, (int(sizes.sum()), dim)).astype(np.float64) * 0.7
    elif seed % 4 == 1:  # points on circles: nearly every point is far from its centre
        angle = rng.uniform(0, 2 * np.pi, int(sizes.sum()))
        pts = np.c_[np.cos(angle), np.sin(angle), np.zeros((angle.size, dim - 2))] * 9.0
    else:
        pts = rng.normal(size=(int(sizes.sum()), dim)) * rng.uniform(0.5, 20.0, dim)
    keep = mesh._reaching(pts, sizes)
    groups = np.split(pts, np.cumsum(sizes)[:-1])
    kept = np.split(keep, np.cumsum(sizes)[:-1])
    want = max(_brute(g) if len(g) > 1 else 0.0 for g in groups)
    got = max(_brute(g[k]) if k.sum() > 1 else 0.0 for g, k in zip(groups, kept, strict=True))
    assert got == want
    if seed % 4 >= 2 and len(pts) > 40:  # scattered points: most are dropped
        assert keep.sum() < len(pts) / 2
