"""Pieces of PyRadiomics' 3D local binary pattern (``LBP3D``): icosphere, harmonics, kurtosis.

These are private helpers of :func:`radiomix.filters.pyradiomics.lbp3d_images`. Each
reproduces, to floating-point rounding, what PyRadiomics 3.0.1 obtains from the library it
relies on, so that radiomix needs neither ``trimesh`` nor a particular SciPy version:

- :func:`icosphere_vertices` gives the vertex set of ``trimesh.creation.icosphere``: the
  icosahedron with vertices at the cyclic permutations of :math:`(\\pm a, \\pm b, 0)`,
  :math:`a = 1/\\sqrt{1+t^2}`, :math:`b = t/\\sqrt{1+t^2}`, :math:`t = (1+\\sqrt5)/2`;
  each subdivision adds the midpoint of every edge and moves every vertex radially onto the
  sphere of the requested radius.
- :func:`spherical_harmonic` is SciPy's ``sph_harm(m, n, theta, phi)`` (deprecated in
  SciPy 1.15, removed in 1.17), with ``theta`` the azimuthal and ``phi`` the polar angle.
- :func:`sample_kurtosis` is ``scipy.stats.kurtosis(a, axis=1)`` (Fisher, biased), with its
  rule that a (numerically) constant row gives NaN.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np

__all__ = [
    "harmonic_basis",
    "icosphere_vertices",
    "lbp3d_roi_values",
    "sample_kurtosis",
    "spherical_harmonic",
]

# Elements of the (voxels x vertices x coefficients) complex blocks evaluated at once.
_BLOCK_ELEMENTS = 1 << 21


def _icosahedron() -> tuple[np.ndarray, np.ndarray]:
    """Vertices (12, 3) on the unit sphere and the 20 faces of the regular icosahedron.

    The vertices are listed in the customary order (-1, t, 0), (1, t, 0), (-1, -t, 0),
    (1, -t, 0), (0, -1, t), ... (normalised), which is trimesh's.
    """
    t = (1.0 + math.sqrt(5.0)) / 2.0
    s = math.sqrt(1.0 + t * t)
    a, b = 1.0 / s, t / s
    v = np.array(
        [
            [-a, b, 0.0],
            [a, b, 0.0],
            [-a, -b, 0.0],
            [a, -b, 0.0],
            [0.0, -a, b],
            [0.0, a, b],
            [0.0, -a, -b],
            [0.0, a, -b],
            [b, 0.0, -a],
            [b, 0.0, a],
            [-b, 0.0, -a],
            [-b, 0.0, a],
        ]
    )
    edge2 = 4.0 * a * a  # squared edge length; the next distance is (2b)^2 > 2.6 edge2
    d2 = ((v[:, None, :] - v[None, :, :]) ** 2).sum(axis=2)
    adjacent = np.abs(d2 - edge2) < 1e-9
    faces = [
        (i, j, k)
        for i, j, k in combinations(range(len(v)), 3)
        if adjacent[i, j] and adjacent[j, k] and adjacent[i, k]
    ]
    return v, np.asarray(faces, dtype=np.int64)


def _subdivide(v: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split every triangle in four at its edge midpoints.

    The midpoints are appended to ``v`` ordered by their edge (i < j) sorted on (j, i), as
    trimesh's ``subdivide`` orders them. The order matters to the last bit only: LBP3D's
    sums over the vertices are rounded in this order (which is visible for float32 images).
    """
    edges = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    unique, inverse = np.unique(edges[:, 1] * len(v) + edges[:, 0], return_inverse=True)
    first, second = unique % len(v), unique // len(v)
    mid = (v[first] + v[second]) / 2.0
    m = inverse.reshape(-1, 3) + len(v)  # midpoints of edges (0,1), (1,2), (2,0) per face
    f0, f1, f2 = faces[:, 0], faces[:, 1], faces[:, 2]
    new_faces = np.concatenate(
        [
            np.stack([f0, m[:, 0], m[:, 2]], axis=1),
            np.stack([m[:, 0], f1, m[:, 1]], axis=1),
            np.stack([m[:, 2], m[:, 1], f2], axis=1),
            m,
        ]
    )
    return np.concatenate([v, mid]), new_faces


def _to_radius(v: np.ndarray, radius: float) -> np.ndarray:
    """Move each vertex along its direction so that its norm becomes ``radius``.

    trimesh takes the squared norm as ``np.dot(v**2, [1, 1, 1])``; under NumPy 1.x (which
    PyRadiomics 3.0.1 requires) with its OpenBLAS on x86-64 that sum is rounded as
    :math:`(x^2 + z^2) + y^2`, which is written out here so that the vertices agree to the
    last bit on any NumPy.
    """
    sq = v * v
    norm = np.sqrt((sq[:, 0] + sq[:, 2]) + sq[:, 1])
    return v + (v / norm[:, None]) * (radius - norm)[:, None]


def icosphere_vertices(subdivisions: int, radius: float) -> np.ndarray:
    """Vertices of an icosphere (``trimesh.creation.icosphere``), shape (N_v, 3).

    Parameters
    ----------
    subdivisions : int
        Number of midpoint subdivisions (>= 0). The vertex count is
        :math:`10 \\cdot 4^s + 2`: 12, 42, 162, 642, ...
    radius : float
        Radius of the sphere (> 0).

    Returns
    -------
    numpy.ndarray
        float64 (N_v, 3), in trimesh's order.
    """
    v, faces = _icosahedron()
    for _ in range(subdivisions):
        v, faces = _subdivide(v, faces)
        v = _to_radius(v, radius)
    if subdivisions <= 0:
        v = _to_radius(v, radius)
    return v


def spherical_harmonic(m: int, n: int, azimuth: np.ndarray, polar: np.ndarray) -> np.ndarray:
    """Orthonormal complex spherical harmonic :math:`Y_n^m` (SciPy's ``sph_harm`` convention).

    .. math::

        Y_n^m(\\theta, \\phi) = \\sqrt{\\frac{2n+1}{4\\pi}\\frac{(n-m)!}{(n+m)!}}\\,
        P_n^m(\\cos\\phi)\\, e^{i m \\theta}

    with :math:`P_n^m` the associated Legendre function including the Condon-Shortley phase,
    :math:`\\theta` the azimuthal and :math:`\\phi` the polar angle, and
    :math:`Y_n^{-m} = (-1)^m \\overline{Y_n^m}`. Only :math:`\\cos\\phi` enters, so a
    "polar" angle outside :math:`[0, \\pi]` is accepted as SciPy accepted it.
    """
    am = abs(m)
    if am > n:
        raise ValueError(f"|m| must not exceed n (m={m}, n={n})")
    # evaluated as SciPy 1.13-1.14's sph_harm does, so that the values agree to the last bit
    # (SciPy <= 1.12 rounded differently, by an ulp): P_n^|m|, times (-1)^m (n-|m|)!/(n+|m|)!
    # for m < 0, times sqrt((2n+1) (n-m)!/(n+m)! / 4 pi), times exp(i m theta); the factorial
    # ratios are Pochhammer symbols, as there
    from scipy.special import lpmv, poch  # (imported on use)

    value = lpmv(am, n, np.cos(polar)).astype(np.complex128)
    if m < 0:
        value = value * ((-1.0) ** am * poch(n + am + 1, -2 * am))
    value = value * math.sqrt((2 * n + 1) * poch(n + m + 1, -2 * m) / (4 * math.pi))
    return np.asarray(value * np.exp(1j * (m * np.asarray(azimuth, dtype=np.float64))))


def harmonic_basis(
    vertices: np.ndarray, radius: float, levels: int
) -> tuple[np.ndarray, np.ndarray]:
    """The harmonics PyRadiomics evaluates at the icosphere vertices.

    Column 0 is :math:`Y_0^0`; then for :math:`n = 1 \\ldots L-1` and :math:`m = -n \\ldots n`
    the column :math:`Y_n^m`. PyRadiomics computes the polar angle
    :math:`\\vartheta = \\arccos(v_2 / r)` and the azimuth :math:`\\varphi = \\operatorname{atan2}(v_1,
    v_0)` and passes them to ``sph_harm(m, n, theta, phi)`` in that order, i.e. the polar
    angle where SciPy expects the azimuth and vice versa; this is reproduced, since it changes
    the values.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The complex (N_v, 1 + 3 + ... ) basis and the degree n of each column.
    """
    polar = np.arccos(vertices[:, 2] / radius)
    azimuth = np.arctan2(vertices[:, 1], vertices[:, 0])
    columns = [spherical_harmonic(0, 0, polar, azimuth)]
    degree = [0]
    for n in range(1, levels):
        for m in range(-n, n + 1):
            columns.append(spherical_harmonic(m, n, polar, azimuth))
            degree.append(n)
    return np.stack(columns, axis=1), np.asarray(degree)


def sample_kurtosis(samples: np.ndarray) -> np.ndarray:
    """Excess kurtosis of each row, :math:`m_4 / m_2^2 - 3` with biased central moments.

    A row whose second moment is at most :math:`(\\varepsilon \\mu)^2` (``eps`` of the sample
    dtype) gives NaN, as :func:`scipy.stats.kurtosis` does. Integer samples are promoted to
    float64; float32 samples stay float32, as in SciPy.
    """
    a = samples.astype(np.float64) if samples.dtype.kind in "iub" else samples
    mean = a.mean(axis=1, keepdims=True)
    d2 = (a - mean) ** 2
    m2 = d2.mean(axis=1)
    m4 = (d2**2).mean(axis=1)
    with np.errstate(all="ignore"):
        zero = m2 <= (np.finfo(m2.dtype).eps * mean[:, 0]) ** 2
        kurt = np.where(zero, np.nan, m4 / m2**2.0)
    return kurt - 3


def lbp3d_roi_values(
    image: np.ndarray,
    roi: tuple[np.ndarray, ...],
    *,
    levels: int,
    radius: float,
    subdivisions: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The spherical-harmonics LBP of the voxels ``roi`` (index arrays), and their kurtosis.

    For a voxel at index :math:`\\mathbf{x}` and icosphere vertices :math:`\\mathbf{v}_j`, the
    image is sampled at :math:`\\mathbf{x} + \\mathbf{v}_j` (index units, vertex columns
    added to array axes 0, 1, 2) by cubic B-spline interpolation (``map_coordinates``,
    ``order=3``, ``mode="constant"``, prefiltered on the whole array, samples in the image's
    dtype), :math:`s_j = [f(\\mathbf{x}+\\mathbf{v}_j) \\ge f(\\mathbf{x})]`, and

    .. math::

        c_{nm} = \\sum_j s_j Y_n^m(\\mathbf{v}_j), \\qquad
        g_n(\\mathbf{v}_j) = \\sum_{m=-n}^{n} c_{nm} Y_n^m(\\mathbf{v}_j), \\qquad
        \\mathrm{LBP}_n = \\operatorname{Re}\\sqrt{\\sum_j g_n(\\mathbf{v}_j)^2}

    (complex squares, not moduli, as in PyRadiomics). The kurtosis is that of the samples.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        float64 (N_p, levels) and the kurtosis (N_p,) in the samples' float dtype.
    """
    vertices = icosphere_vertices(subdivisions, radius)
    basis, degree = harmonic_basis(vertices, radius, levels)
    n_vertices, n_coef = basis.shape
    from scipy.ndimage import map_coordinates, spline_filter  # (imported on use)

    coefficients = spline_filter(image, 3, output=np.float64, mode="constant")
    index = np.stack(roi, axis=1)  # (N_p, 3) int
    n_voxels = index.shape[0]
    lbp = np.empty((n_voxels, levels), dtype=np.float64)
    kurtosis_dtype = np.float32 if image.dtype == np.float32 else np.float64
    kurt = np.empty(n_voxels, dtype=kurtosis_dtype)
    block = max(1, _BLOCK_ELEMENTS // (n_vertices * max(n_coef, 3)))
    for start in range(0, n_voxels, block):
        idx = index[start : start + block]
        # (3, P, N_v): sampling positions, as index + vertex offset
        points = (idx.T[:, :, None] + vertices.T[:, None, :]).astype(np.float64)
        samples = map_coordinates(
            coefficients,
            points,
            output=image.dtype,
            order=3,
            mode="constant",
            prefilter=False,
        )
        kurt[start : start + block] = sample_kurtosis(samples)
        centre = image[tuple(idx.T)]
        signs = (samples >= centre[:, None]).astype(np.float64)  # (P, N_v)
        c = (signs[:, :, None] * basis[None, :, :]).sum(axis=1)  # (P, n_coef)
        # g_n at every vertex, stacked as (P, N_v, levels); the shapes (and so NumPy's
        # summation order) are PyRadiomics', which makes the maps agree to the bit
        g = [c[:, None, degree == 0] * basis[None, :, degree == 0]]
        for n in range(1, levels):
            cols = degree == n
            g.append((c[:, None, cols] * basis[None, :, cols]).sum(axis=2, keepdims=True))
        per_vertex = np.concatenate(g, axis=2)
        lbp[start : start + block] = np.real(np.sqrt((per_vertex**2).sum(axis=1)))
    return lbp, kurt
