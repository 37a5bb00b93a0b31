"""Morphological features (IBSI 1, chapter "Morphological features", 3D).

Geometry comes from the *morphological* mask: a triangle mesh from marching cubes
(:func:`skimage.measure.marching_cubes` on the zero-padded mask at level 0.5, with the
voxel spacing), its convex hull, and the voxel centres. Intensity-based features
(centre of mass shift, integrated intensity, Moran's I, Geary's C) read the voxels of
the *intensity* mask. All positions are in mm; arrays are (z, y, x).

:class:`MorphologyData` holds every shared intermediate (mesh, hull, principal axes,
bounding boxes, spatial autocorrelation sums), each computed once on first use; the
formula functions are small pure functions of it, registered in :data:`FEATURES`.

Moran's I and Geary's C use inverse distance weights over *all* voxel pairs of the
intensity mask. The pair sums are correlations of the masked arrays with a 1/r kernel on
the voxel grid, so they are computed exactly (to rounding) with FFTs in
O(n log n) of the bounding box; tiny ROIs use the direct O(N^2) numba kernel of
:mod:`radiomix.features._kernels_morphology`, which is also the tests' reference.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from radiomix.features._base import FeatureSpec, FeatureValue, values_from
from radiomix.features._mesh import classic_mesh, diameters, voxel_covariance

if TYPE_CHECKING:
    from scipy.spatial import ConvexHull

# SciPy, scikit-image and the numba kernels load on first use (a formula that needs them):
# the pyradiomics profile's shape class reads this module without them

__all__ = [
    "FEATURES",
    "MorphologyData",
    "build_morphology",
    "compute",
    "ellipsoid_surface_area",
    "minimum_volume_enclosing_ellipsoid",
    "oriented_minimum_bounding_box",
    "spatial_autocorrelation_sums",
]

#: ROIs with at most this many intensity-mask voxels use the direct pairwise kernel.
DIRECT_PAIRWISE_MAX_VOXELS = 1000
_LEGENDRE_TERMS = 20  # terms of the ellipsoid surface area series (IBSI)
_NAN = float("nan")


# ---------------------------------------------------------------------------------------
# geometric helpers (pure functions on point sets)
# ---------------------------------------------------------------------------------------


def ellipsoid_surface_area(a: float, b: float, c: float, n_terms: int = _LEGENDRE_TERMS) -> float:
    r"""Surface area of an ellipsoid with semi-axes ``a >= b >= c`` (IBSI series).

    .. math::
        A \approx 4\pi a b \sum_{\nu=0}^{n} \frac{(\alpha\beta)^\nu}{1-4\nu^2}
        P_\nu\!\left(\frac{\alpha^2+\beta^2}{2\alpha\beta}\right),\quad
        \alpha=\sqrt{1-b^2/a^2},\ \beta=\sqrt{1-c^2/a^2}

    with :math:`P_\nu` the Legendre polynomials and ``n = 20``. The products
    :math:`Q_\nu=(\alpha\beta)^\nu P_\nu(\cdot)` are evaluated by the scaled three-term
    recurrence :math:`(\nu+1)Q_{\nu+1}=(2\nu+1)sQ_\nu-\nu t^2Q_{\nu-1}` with
    :math:`s=(\alpha^2+\beta^2)/2`, :math:`t=\alpha\beta`, so spheroids and spheres
    (:math:`t=0`) need no special case.
    """
    a, b, c = sorted((float(a), float(b), float(c)), reverse=True)
    if not (c > 0.0 and math.isfinite(a)):
        return _NAN
    alpha2 = max(0.0, 1.0 - (b / a) ** 2)
    beta2 = max(0.0, 1.0 - (c / a) ** 2)
    s = 0.5 * (alpha2 + beta2)
    t2 = alpha2 * beta2
    q_prev, q = 1.0, s
    total = q_prev  # nu = 0 term: 1 / (1 - 0)
    for nu in range(1, n_terms + 1):
        total += q / (1.0 - 4.0 * nu * nu)
        q_prev, q = q, ((2 * nu + 1) * s * q - nu * t2 * q_prev) / (nu + 1)
    return 4.0 * math.pi * a * b * total


def minimum_volume_enclosing_ellipsoid(
    points: np.ndarray, tol: float = 1e-7, max_iter: int = 1_000_000
) -> np.ndarray:
    """Semi-axis lengths (descending) of the minimum volume enclosing ellipsoid of ``points``.

    Khachiyan's barycentric coordinate ascent on the dual problem, with the away steps of
    Todd and Yildirim (2007) so that it converges linearly. It stops when
    :math:`\\max_i M_i \\le (d+1)(1+\\text{tol})` and
    :math:`\\min_{u_i>0} M_i \\ge (d+1)(1-\\text{tol})`, which bounds the volume excess
    of the returned ellipsoid over the optimum by a factor :math:`(1+\\text{tol})^{(d+1)/2}`;
    the ellipsoid is finally scaled so that it encloses every point. Run it on convex hull
    vertices (the MVEE of a set equals that of its hull).
    """
    from radiomix.features._kernels_morphology import khachiyan_weights

    p = np.asarray(points, dtype=np.float64)
    n, d = p.shape
    if n <= d:
        return np.full(d, _NAN)
    p = p - p.mean(axis=0)
    scale_back = max(float(np.abs(p).max()), 1e-300)
    p = p / scale_back  # scale-free iterations
    u = khachiyan_weights(p, tol=tol, max_iter=max_iter)
    centre = p.T @ u
    cov = (p.T * u) @ p - np.outer(centre, centre)
    try:
        shape = np.linalg.inv(cov) / d  # ellipsoid: (x-c)^T A (x-c) <= 1
    except np.linalg.LinAlgError:
        return np.full(d, _NAN)
    diff = p - centre
    reach = float(np.max(np.einsum("ij,jk,ik->i", diff, shape, diff)))
    shape = shape / max(reach, 1.0)  # guarantee enclosure
    eig = np.linalg.eigvalsh(shape)
    if np.any(eig <= 0):
        return np.full(d, _NAN)
    return np.sort(scale_back / np.sqrt(eig))[::-1]


def _min_area_rectangle(pts: np.ndarray) -> tuple[float, np.ndarray]:
    """Minimum-area enclosing rectangle of 2D points (rotating calipers over hull edges).

    Returns the area and the rectangle's side lengths.
    """
    from scipy.spatial import ConvexHull, QhullError

    try:
        hull = ConvexHull(pts)
        h = pts[hull.vertices]
    except (QhullError, ValueError):
        h = pts
    edges = np.roll(h, -1, axis=0) - h
    norms = np.linalg.norm(edges, axis=1)
    keep = norms > 0
    if not np.any(keep):
        return 0.0, np.zeros(2)
    e = edges[keep] / norms[keep, None]  # (E, 2) edge directions
    along = e @ h.T  # (E, H)
    across = np.stack([-e[:, 1], e[:, 0]], axis=1) @ h.T
    w = along.max(axis=1) - along.min(axis=1)
    t = across.max(axis=1) - across.min(axis=1)
    area = w * t
    k = int(np.argmin(area))
    return float(area[k]), np.array([w[k], t[k]])


def _aabb_volume_of_rotated(rotvec: np.ndarray, pts: np.ndarray) -> float:
    from scipy.spatial.transform import Rotation

    r = Rotation.from_rotvec(rotvec).as_matrix()
    x = pts @ r.T
    return float(np.prod(x.max(axis=0) - x.min(axis=0)))


def oriented_minimum_bounding_box(points: np.ndarray) -> np.ndarray:
    """Side lengths (descending) of a minimum-volume oriented bounding box of ``points``.

    Every hull face normal is tried as a box axis; for each, the projection onto the plane
    normal to it gets its minimum-area rectangle by rotating calipers (exact in 2D). The
    best of these boxes (one face flush with a hull face) is then refined by a local
    Nelder-Mead search over rotations, which covers the optima with only edges flush
    (O'Rourke 1985). The result is the exact optimum whenever a box face is flush with a
    hull face, and otherwise a local optimum no larger than the best flush box.
    """
    from scipy.optimize import minimize
    from scipy.spatial import ConvexHull, QhullError
    from scipy.spatial.transform import Rotation

    p = np.asarray(points, dtype=np.float64)
    p = p - p.mean(axis=0)
    try:
        hull = ConvexHull(p)
    except (QhullError, ValueError):
        return np.full(3, _NAN)
    hp = p[hull.vertices]
    normals = hull.equations[:, :3]
    # one representative per direction (up to sign)
    sign = np.where(
        np.abs(normals[:, 0]) > 1e-12,
        np.sign(normals[:, 0]),
        np.where(np.abs(normals[:, 1]) > 1e-12, np.sign(normals[:, 1]), np.sign(normals[:, 2])),
    )
    normals = normals * sign[:, None]
    normals = np.unique(np.round(normals, 9), axis=0)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)

    best_vol = math.inf
    best_frame = np.eye(3)
    for n in normals:
        helper = np.array([1.0, 0.0, 0.0]) if abs(n[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
        u = np.cross(n, helper)
        u /= np.linalg.norm(u)
        v = np.cross(n, u)
        depth = hp @ n
        height = float(depth.max() - depth.min())
        if not math.isfinite(height) or height <= 0:
            continue
        area, _ = _min_area_rectangle(np.stack([hp @ u, hp @ v], axis=1))
        vol = area * height
        if vol < best_vol:
            # recover the in-plane orientation of the best rectangle
            best_vol = vol
            best_frame = _frame_for(n, u, v, hp)
    # local refinement around the best flush box
    base = hp @ best_frame.T
    res = minimize(
        _aabb_volume_of_rotated,
        np.zeros(3),
        args=(base,),
        method="Nelder-Mead",
        options={"xatol": 1e-7, "fatol": 1e-9 * max(best_vol, 1e-300), "maxiter": 2000},
    )
    if res.fun < best_vol:
        r = Rotation.from_rotvec(res.x).as_matrix()
        x = base @ r.T
    else:
        x = base
    return np.sort(x.max(axis=0) - x.min(axis=0))[::-1]


def _frame_for(n: np.ndarray, u: np.ndarray, v: np.ndarray, hp: np.ndarray) -> np.ndarray:
    """Orthonormal frame (rows) of the minimum-area rectangle in the plane normal to n."""
    from scipy.spatial import ConvexHull, QhullError

    pts = np.stack([hp @ u, hp @ v], axis=1)
    try:
        h = pts[ConvexHull(pts).vertices]
    except (QhullError, ValueError):
        h = pts
    edges = np.roll(h, -1, axis=0) - h
    norms = np.linalg.norm(edges, axis=1)
    keep = norms > 0
    e = edges[keep] / norms[keep, None]
    along = e @ h.T
    across = np.stack([-e[:, 1], e[:, 0]], axis=1) @ h.T
    area = (along.max(1) - along.min(1)) * (across.max(1) - across.min(1))
    d = e[int(np.argmin(area))]
    a1 = d[0] * u + d[1] * v
    a2 = np.cross(n, a1)
    return np.stack([n, a1, a2])


def spatial_autocorrelation_sums(
    values: np.ndarray, mask: np.ndarray, spacing: tuple[float, float, float]
) -> tuple[float, float, float]:
    r"""Inverse-distance pair sums over all ordered voxel pairs ``i != j`` of ``mask``, by FFT.

    With :math:`D = (X-\mu)\,\mathbb{1}_{mask}`, :math:`M=\mathbb{1}_{mask}` and the kernel
    :math:`K(r)=1/\lVert r\rVert` (:math:`K(0)=0`) on the physical voxel grid:

    .. math::
        \sum w_{ij} = \langle M, K\star M\rangle,\quad
        \sum w_{ij} D_iD_j = \langle D, K\star D\rangle,\quad
        \sum w_{ij}(X_i-X_j)^2 = 2\langle D^2, K\star M\rangle - 2\langle D, K\star D\rangle

    The correlations are circular on a grid of at least ``2n-1`` per axis, which makes
    them exactly the linear ones on the ``n``-voxel box. Returns
    ``(sum_w, sum_w_dd, sum_w_sq)`` as :func:`pairwise_autocorrelation_sums` does.
    """
    import scipy.fft

    idx = np.nonzero(mask)
    lo = [int(i.min()) for i in idx]
    hi = [int(i.max()) + 1 for i in idx]
    box = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
    m = mask[box].astype(np.float64)
    x = values[box]
    mu = x[mask[box]].mean()
    d = np.where(mask[box], x - mu, 0.0)
    n = m.shape
    shape = tuple(scipy.fft.next_fast_len(2 * k - 1, real=True) for k in n)
    axes = []
    for _k, length, sp in zip(n, shape, spacing, strict=True):
        off = np.arange(length)
        off = np.minimum(off, length - off).astype(np.float64)
        axes.append(off * sp)
    r2 = axes[0][:, None, None] ** 2 + axes[1][None, :, None] ** 2 + axes[2][None, None, :] ** 2
    with np.errstate(divide="ignore"):
        kern = np.where(r2 > 0, 1.0 / np.sqrt(np.where(r2 > 0, r2, 1.0)), 0.0)
    kf = scipy.fft.rfftn(kern)
    del kern, r2
    km = scipy.fft.irfftn(kf * scipy.fft.rfftn(m, s=shape), s=shape)[: n[0], : n[1], : n[2]]
    kd = scipy.fft.irfftn(kf * scipy.fft.rfftn(d, s=shape), s=shape)[: n[0], : n[1], : n[2]]
    sum_w = float(np.sum(m * km))
    sum_wdd = float(np.sum(d * kd))
    sum_wsq = float(2.0 * np.sum(d * d * km) - 2.0 * sum_wdd)
    return sum_w, sum_wdd, sum_wsq


def _safe_div(num: float, den: float) -> float:
    if not (math.isfinite(num) and math.isfinite(den)) or den == 0.0:
        return _NAN
    return num / den


# ---------------------------------------------------------------------------------------
# shared intermediates
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MorphologyData:
    """Immutable inputs of the morphology family and every shared intermediate.

    Build it with :func:`build_morphology`. Intermediates are cached properties, computed
    on first use: mesh, volume, area, convex hull, principal axes, bounding boxes and the
    spatial autocorrelation sums.
    """

    image: np.ndarray
    int_mask: np.ndarray
    morph_mask: np.ndarray
    spacing: tuple[float, float, float]
    #: ``"lewiner"``: scikit-image's marching cubes (IBSI); ``"classic"``: the classic
    #: table with PyRadiomics' ambiguous cubes (:func:`radiomix.features._mesh.classic_mesh`)
    mesh_method: str = "lewiner"
    #: degrees of freedom of the voxel centres' covariance (principal axes): 1, the sample
    #: covariance (IBSI reference values); 0, the population covariance (PyRadiomics)
    covariance_ddof: int = 1

    # --- counts and voxel positions ------------------------------------------------
    @cached_property
    def n_morph(self) -> int:
        return int(np.count_nonzero(self.morph_mask))

    @cached_property
    def n_int(self) -> int:
        return int(np.count_nonzero(self.int_mask))

    @cached_property
    def morph_positions(self) -> np.ndarray:
        """Voxel centres of the morphological mask in mm, shape (N, 3)."""
        return np.argwhere(self.morph_mask) * np.asarray(self.spacing)

    @cached_property
    def int_positions(self) -> np.ndarray:
        return np.argwhere(self.int_mask) * np.asarray(self.spacing)

    @cached_property
    def int_values(self) -> np.ndarray:
        return self.image[self.int_mask]

    # --- mesh ----------------------------------------------------------------------
    @cached_property
    def mesh(self) -> tuple[np.ndarray, np.ndarray]:
        """(vertices in mm, triangle faces) of the marching cubes surface of the
        zero-padded mask (``mesh_method``)."""
        if self.mesh_method == "classic":
            grid, faces = classic_mesh(self.morph_mask)
            return grid / 2.0 * np.asarray(self.spacing), faces
        from skimage.measure import marching_cubes

        padded = np.pad(self.morph_mask.astype(np.float32), 1)
        verts, faces, _, _ = marching_cubes(padded, level=0.5, spacing=self.spacing)
        return verts.astype(np.float64), faces

    @cached_property
    def diameters(self) -> dict[str, float]:
        """Largest vertex distances: ``"3D"`` and within one plane, ``"Slice"`` (axial),
        ``"Column"`` (coronal), ``"Row"`` (sagittal) (:func:`radiomix.features._mesh.diameters`:
        the vertices are edge mid-points, integer points of the doubled index grid)."""
        sp = np.asarray(self.spacing)
        grid = np.rint(2.0 * self.mesh[0] / sp).astype(np.int64)
        return diameters(grid, sp)

    @cached_property
    def _triangles(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        v, f = self.mesh
        return v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]

    @cached_property
    def volume(self) -> float:
        a, b, c = self._triangles
        return float(abs(np.einsum("ij,ij->", a, np.cross(b, c))) / 6.0)

    @cached_property
    def area(self) -> float:
        a, b, c = self._triangles
        return float(0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1).sum())

    # --- convex hull ---------------------------------------------------------------
    @cached_property
    def hull(self) -> ConvexHull | None:
        from scipy.spatial import ConvexHull, QhullError

        try:
            return ConvexHull(self.mesh[0])
        except (QhullError, ValueError):
            return None

    @cached_property
    def hull_vertices(self) -> np.ndarray:
        if self.hull is None:
            return self.mesh[0]
        return self.mesh[0][self.hull.vertices]

    @cached_property
    def aabb_dims(self) -> np.ndarray:
        v = self.hull_vertices
        return v.max(axis=0) - v.min(axis=0)

    @cached_property
    def ombb_dims(self) -> np.ndarray:
        return oriented_minimum_bounding_box(self.hull_vertices)

    @cached_property
    def mvee_semi_axes(self) -> np.ndarray:
        return minimum_volume_enclosing_ellipsoid(self.hull_vertices)

    # --- principal component analysis ----------------------------------------------
    @cached_property
    def pca_eigenvalues(self) -> np.ndarray:
        """Eigenvalues (descending) of the covariance of the morphological voxel centres
        (exact integer moments, :func:`radiomix.features._mesh.voxel_covariance`; degrees of
        freedom ``covariance_ddof``)."""
        if self.n_morph < 2:
            return np.full(3, _NAN)
        _, cov = voxel_covariance(self.morph_mask, np.asarray(self.spacing), self.covariance_ddof)
        return np.clip(np.sort(np.linalg.eigvalsh(cov))[::-1], 0.0, None)

    @cached_property
    def aee_semi_axes(self) -> np.ndarray:
        """Semi-axes of the approximate enclosing ellipsoid, :math:`2\\sqrt{\\lambda}`."""
        return 2.0 * np.sqrt(self.pca_eigenvalues)

    # --- spatial autocorrelation ---------------------------------------------------
    @cached_property
    def autocorrelation(self) -> tuple[float, float, float, float]:
        """(sum_w, sum_w_dd, sum_w_sq, sum of squared deviations) over the intensity mask."""
        from radiomix.features._kernels_morphology import pairwise_autocorrelation_sums

        if self.n_int < 2:
            return _NAN, _NAN, _NAN, _NAN
        dev = self.int_values - self.int_values.mean()
        ss = float(np.dot(dev, dev))
        if self.n_int <= DIRECT_PAIRWISE_MAX_VOXELS:
            sw, swdd, swsq = pairwise_autocorrelation_sums(self.int_positions, dev)
        else:
            sw, swdd, swsq = spatial_autocorrelation_sums(self.image, self.int_mask, self.spacing)
        return sw, swdd, swsq, ss


def build_morphology(
    image: np.ndarray,
    int_mask: np.ndarray,
    morph_mask: np.ndarray,
    spacing: tuple[float, float, float],
) -> MorphologyData:
    """Validate the inputs and wrap them in a :class:`MorphologyData`."""
    img = np.asarray(image)
    if img.ndim != 3:
        raise ValueError(f"image must be a 3D (z, y, x) array, got {img.ndim} dimensions")
    if not np.issubdtype(img.dtype, np.number) or np.issubdtype(img.dtype, np.complexfloating):
        raise ValueError(f"image must hold real numbers, got dtype {img.dtype}")
    img = img.astype(np.float64, copy=False)
    masks = []
    for name, mk in (("int_mask", int_mask), ("morph_mask", morph_mask)):
        mk = np.asarray(mk)
        if mk.shape != img.shape:
            raise ValueError(f"{name} has shape {mk.shape}, but image has shape {img.shape}")
        if mk.dtype != bool:
            if not np.all((mk == 0) | (mk == 1)):
                raise ValueError(f"{name} must be boolean (or 0/1), got dtype {mk.dtype}")
            mk = mk.astype(bool)
        masks.append(mk)
    sp = tuple(float(s) for s in spacing)
    if len(sp) != 3 or not all(math.isfinite(s) and s > 0 for s in sp):
        raise ValueError(f"spacing must be three positive finite numbers (z, y, x), got {spacing}")
    if masks[0].any() and not np.all(np.isfinite(img[masks[0]])):
        raise ValueError("image has non-finite values inside the intensity mask")
    return MorphologyData(img, masks[0], masks[1], sp)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# formulas
# ---------------------------------------------------------------------------------------


def volume(m: MorphologyData) -> float:
    r"""Volume (mesh), IBSI RNU0.

    .. math:: V = \frac{1}{6}\left|\sum_{k=1}^{N_{fc}} \mathbf{a}_k\cdot(\mathbf{b}_k\times\mathbf{c}_k)\right|

    with :math:`\mathbf{a}_k,\mathbf{b}_k,\mathbf{c}_k` the vertices of mesh face :math:`k`.
    """
    return m.volume


def approximate_volume(m: MorphologyData) -> float:
    r"""Approximate volume (voxel counting), IBSI YEKZ.

    .. math:: V_{approx} = N_{v,m}\, \Delta_z \Delta_y \Delta_x
    """
    return m.n_morph * float(np.prod(m.spacing))


def surface_area(m: MorphologyData) -> float:
    r"""Surface area (mesh), IBSI C0JK.

    .. math:: A = \sum_{k} \tfrac12\left|(\mathbf{b}_k-\mathbf{a}_k)\times(\mathbf{c}_k-\mathbf{a}_k)\right|
    """
    return m.area


def surface_to_volume_ratio(m: MorphologyData) -> float:
    r"""Surface to volume ratio, IBSI 2PR5.

    .. math:: F_{morph.av} = A / V
    """
    return _safe_div(m.area, m.volume)


def compactness_1(m: MorphologyData) -> float:
    r"""Compactness 1, IBSI SKGS.

    .. math:: F_{morph.comp.1} = \frac{V}{\pi^{1/2} A^{3/2}}
    """
    return _safe_div(m.volume, math.sqrt(math.pi) * m.area**1.5)


def compactness_2(m: MorphologyData) -> float:
    r"""Compactness 2, IBSI BQWJ.

    .. math:: F_{morph.comp.2} = 36\pi \frac{V^2}{A^3}
    """
    return _safe_div(36.0 * math.pi * m.volume**2, m.area**3)


def spherical_disproportion(m: MorphologyData) -> float:
    r"""Spherical disproportion, IBSI KRCK.

    .. math:: F_{morph.sph.dispr} = \frac{A}{(36\pi V^2)^{1/3}}
    """
    return _safe_div(m.area, (36.0 * math.pi * m.volume**2) ** (1.0 / 3.0))


def sphericity(m: MorphologyData) -> float:
    r"""Sphericity, IBSI QCFX.

    .. math:: F_{morph.sphericity} = \frac{(36\pi V^2)^{1/3}}{A}
    """
    return _safe_div((36.0 * math.pi * m.volume**2) ** (1.0 / 3.0), m.area)


def asphericity(m: MorphologyData) -> float:
    r"""Asphericity, IBSI 25C7.

    .. math:: F_{morph.asphericity} = \left(\frac{A^3}{36\pi V^2}\right)^{1/3} - 1
    """
    return spherical_disproportion(m) - 1.0


def centre_of_mass_shift(m: MorphologyData) -> float:
    r"""Centre of mass shift, IBSI KLMA.

    Distance between the geometric centre of the morphological mask and the
    intensity-weighted centre of the intensity mask:

    .. math::
        F_{morph.com} = \left\lVert \frac{1}{N_{v,m}}\sum_{k} \mathbf{X}_{k,m}
        - \frac{\sum_k X_{k,gl}\mathbf{X}_{k,gl}}{\sum_k X_{k,gl}} \right\rVert

    NaN when the intensity mask is empty or its intensities sum to zero.
    """
    if m.n_morph == 0 or m.n_int == 0:
        return _NAN
    total = float(m.int_values.sum())
    if total == 0.0 or not math.isfinite(total):
        return _NAN
    com_geom = m.morph_positions.mean(axis=0)
    com_int = (m.int_values[:, None] * m.int_positions).sum(axis=0) / total
    return float(np.linalg.norm(com_geom - com_int))


def maximum_3d_diameter(m: MorphologyData) -> float:
    r"""Maximum 3D diameter, IBSI L0JK.

    .. math:: F_{morph.diam} = \max_{k_1,k_2} \lVert \mathbf{v}_{k_1} - \mathbf{v}_{k_2}\rVert

    over the mesh vertices (an exact search over the vertices that can be the farthest
    pair: :func:`radiomix.features._mesh.diameters`).
    """
    return m.diameters["3D"]


def maximum_2d_diameter_slice(m: MorphologyData) -> float:
    r"""Maximum 2D diameter in an axial plane (not in IBSI; PyRadiomics'
    ``Maximum2DDiameterSlice``): the largest distance between two mesh vertices with the
    same z.

    .. math:: \max_{z}\ \max_{k_1,k_2:\ z_{k_1} = z_{k_2} = z}
        \lVert \mathbf{v}_{k_1} - \mathbf{v}_{k_2}\rVert
    """
    return m.diameters["Slice"]


def maximum_2d_diameter_column(m: MorphologyData) -> float:
    r"""Maximum 2D diameter in a coronal plane (not in IBSI; PyRadiomics'
    ``Maximum2DDiameterColumn``): as :func:`maximum_2d_diameter_slice` for vertices with
    the same y."""
    return m.diameters["Column"]


def maximum_2d_diameter_row(m: MorphologyData) -> float:
    r"""Maximum 2D diameter in a sagittal plane (not in IBSI; PyRadiomics'
    ``Maximum2DDiameterRow``): as :func:`maximum_2d_diameter_slice` for vertices with the
    same x."""
    return m.diameters["Row"]


def major_axis_length(m: MorphologyData) -> float:
    r"""Major axis length, IBSI TDIC.

    .. math:: F_{morph.pca.major} = 4\sqrt{\lambda_{major}}

    with :math:`\lambda_{major}` the largest eigenvalue of the covariance matrix of the
    voxel centres (mm) of the morphological mask.
    """
    return float(4.0 * np.sqrt(m.pca_eigenvalues[0]))


def minor_axis_length(m: MorphologyData) -> float:
    r"""Minor axis length, IBSI P9VJ.

    .. math:: F_{morph.pca.minor} = 4\sqrt{\lambda_{minor}}
    """
    return float(4.0 * np.sqrt(m.pca_eigenvalues[1]))


def least_axis_length(m: MorphologyData) -> float:
    r"""Least axis length, IBSI 7J51.

    .. math:: F_{morph.pca.least} = 4\sqrt{\lambda_{least}}
    """
    return float(4.0 * np.sqrt(m.pca_eigenvalues[2]))


def elongation(m: MorphologyData) -> float:
    r"""Elongation, IBSI Q3CK.

    .. math:: F_{morph.pca.elongation} = \sqrt{\lambda_{minor}/\lambda_{major}}
    """
    lam = m.pca_eigenvalues
    return math.sqrt(_safe_div(float(lam[1]), float(lam[0])))


def flatness(m: MorphologyData) -> float:
    r"""Flatness, IBSI N17B.

    .. math:: F_{morph.pca.flatness} = \sqrt{\lambda_{least}/\lambda_{major}}
    """
    lam = m.pca_eigenvalues
    return math.sqrt(_safe_div(float(lam[2]), float(lam[0])))


def volume_density_aabb(m: MorphologyData) -> float:
    r"""Volume density, axis-aligned bounding box, IBSI PBX1.

    .. math:: F_{morph.v.dens.aabb} = V / V_{aabb}

    with :math:`V_{aabb}` the volume of the axis-aligned box around the mesh.
    """
    return _safe_div(m.volume, float(np.prod(m.aabb_dims)))


def _box_area(d: np.ndarray) -> float:
    return float(2.0 * (d[0] * d[1] + d[0] * d[2] + d[1] * d[2]))


def area_density_aabb(m: MorphologyData) -> float:
    r"""Area density, axis-aligned bounding box, IBSI R59B.

    .. math:: F_{morph.a.dens.aabb} = A / A_{aabb}
    """
    return _safe_div(m.area, _box_area(m.aabb_dims))


def volume_density_ombb(m: MorphologyData) -> float:
    r"""Volume density, oriented minimum bounding box, IBSI ZH1A.

    .. math:: F_{morph.v.dens.ombb} = V / V_{ombb}

    :math:`V_{ombb}` from :func:`oriented_minimum_bounding_box` on the hull vertices.
    IBSI gives no reference value for this feature.
    """
    return _safe_div(m.volume, float(np.prod(m.ombb_dims)))


def area_density_ombb(m: MorphologyData) -> float:
    r"""Area density, oriented minimum bounding box, IBSI IQYR.

    .. math:: F_{morph.a.dens.ombb} = A / A_{ombb}

    IBSI gives no reference value for this feature.
    """
    return _safe_div(m.area, _box_area(m.ombb_dims))


def volume_density_aee(m: MorphologyData) -> float:
    r"""Volume density, approximate enclosing ellipsoid, IBSI 6BDE.

    .. math:: F_{morph.v.dens.aee} = \frac{3V}{4\pi abc}

    with semi-axes :math:`a=2\sqrt{\lambda_{major}}`, :math:`b=2\sqrt{\lambda_{minor}}`,
    :math:`c=2\sqrt{\lambda_{least}}`.
    """
    a, b, c = m.aee_semi_axes
    return _safe_div(3.0 * m.volume, 4.0 * math.pi * float(a * b * c))


def area_density_aee(m: MorphologyData) -> float:
    r"""Area density, approximate enclosing ellipsoid, IBSI RDD2.

    .. math:: F_{morph.a.dens.aee} = A / A_{aee}

    with :math:`A_{aee}` from :func:`ellipsoid_surface_area` (20-term Legendre series).
    """
    return _safe_div(m.area, ellipsoid_surface_area(*m.aee_semi_axes))


def volume_density_mvee(m: MorphologyData) -> float:
    r"""Volume density, minimum volume enclosing ellipsoid, IBSI SWZ1.

    .. math:: F_{morph.v.dens.mvee} = \frac{3V}{4\pi abc}

    with :math:`a,b,c` the semi-axes of the MVEE of the mesh (Khachiyan's algorithm on the
    hull vertices). IBSI gives no reference value for this feature.
    """
    a, b, c = m.mvee_semi_axes
    return _safe_div(3.0 * m.volume, 4.0 * math.pi * float(a * b * c))


def area_density_mvee(m: MorphologyData) -> float:
    r"""Area density, minimum volume enclosing ellipsoid, IBSI BRI8.

    .. math:: F_{morph.a.dens.mvee} = A / A_{mvee}

    IBSI gives no reference value for this feature.
    """
    return _safe_div(m.area, ellipsoid_surface_area(*m.mvee_semi_axes))


def volume_density_convex_hull(m: MorphologyData) -> float:
    r"""Volume density, convex hull, IBSI R3ER.

    .. math:: F_{morph.v.dens.conv.hull} = V / V_{convex}
    """
    if m.hull is None:
        return _NAN
    return _safe_div(m.volume, float(m.hull.volume))


def area_density_convex_hull(m: MorphologyData) -> float:
    r"""Area density, convex hull, IBSI 7T7F.

    .. math:: F_{morph.a.dens.conv.hull} = A / A_{convex}
    """
    if m.hull is None:
        return _NAN
    return _safe_div(m.area, float(m.hull.area))


def integrated_intensity(m: MorphologyData) -> float:
    r"""Integrated intensity, IBSI 99N0.

    .. math:: F_{morph.integ.int} = V \frac{1}{N_{v,gl}} \sum_k X_{k,gl}

    (mesh volume times the mean intensity of the intensity mask).
    """
    if m.n_int == 0:
        return _NAN
    return m.volume * float(m.int_values.mean())


def morans_i(m: MorphologyData) -> float:
    r"""Moran's I index, IBSI N365.

    .. math::
        F_{morph.moran.i} = \frac{N_{v,gl}}{\sum_{k_1\ne k_2} w_{k_1k_2}}
        \frac{\sum_{k_1\ne k_2} w_{k_1k_2}(X_{k_1}-\mu)(X_{k_2}-\mu)}{\sum_k (X_k-\mu)^2},
        \quad w_{k_1k_2} = \lVert\mathbf{X}_{k_1}-\mathbf{X}_{k_2}\rVert^{-1}

    over all voxel pairs of the intensity mask. NaN with fewer than 2 voxels or a single
    intensity.
    """
    sw, swdd, _, ss = m.autocorrelation
    return _safe_div(m.n_int * swdd, sw * ss)


def gearys_c(m: MorphologyData) -> float:
    r"""Geary's C measure, IBSI NPT7.

    .. math::
        F_{morph.geary.c} = \frac{N_{v,gl}-1}{2\sum_{k_1\ne k_2} w_{k_1k_2}}
        \frac{\sum_{k_1\ne k_2} w_{k_1k_2}(X_{k_1}-X_{k_2})^2}{\sum_k (X_k-\mu)^2}

    NaN with fewer than 2 voxels or a single intensity.
    """
    sw, _, swsq, ss = m.autocorrelation
    return _safe_div((m.n_int - 1) * swsq, 2.0 * sw * ss)


def _spec(name, code, tag, fn, compliant=True, note=""):
    return FeatureSpec(name, "morphology", code, tag, fn, compliant, note)


_NO_REF = "IBSI 1 publishes no reference value for this feature."

FEATURES: tuple[FeatureSpec, ...] = (
    _spec("volume", "RNU0", "morph_volume", volume),
    _spec("approximate_volume", "YEKZ", "morph_vol_approx", approximate_volume),
    _spec("surface_area", "C0JK", "morph_area_mesh", surface_area),
    _spec("surface_to_volume_ratio", "2PR5", "morph_av", surface_to_volume_ratio),
    _spec("compactness_1", "SKGS", "morph_comp_1", compactness_1),
    _spec("compactness_2", "BQWJ", "morph_comp_2", compactness_2),
    _spec("spherical_disproportion", "KRCK", "morph_sph_dispr", spherical_disproportion),
    _spec("sphericity", "QCFX", "morph_sphericity", sphericity),
    _spec("asphericity", "25C7", "morph_asphericity", asphericity),
    _spec("centre_of_mass_shift", "KLMA", "morph_com", centre_of_mass_shift),
    _spec("maximum_3d_diameter", "L0JK", "morph_diam", maximum_3d_diameter),
    _spec("major_axis_length", "TDIC", "morph_pca_maj_axis", major_axis_length),
    _spec("minor_axis_length", "P9VJ", "morph_pca_min_axis", minor_axis_length),
    _spec("least_axis_length", "7J51", "morph_pca_least_axis", least_axis_length),
    _spec("elongation", "Q3CK", "morph_pca_elongation", elongation),
    _spec("flatness", "N17B", "morph_pca_flatness", flatness),
    _spec("volume_density_aabb", "PBX1", "morph_vol_dens_aabb", volume_density_aabb),
    _spec("area_density_aabb", "R59B", "morph_area_dens_aabb", area_density_aabb),
    _spec("volume_density_ombb", "ZH1A", "morph_vol_dens_ombb", volume_density_ombb, note=_NO_REF),
    _spec("area_density_ombb", "IQYR", "morph_area_dens_ombb", area_density_ombb, note=_NO_REF),
    _spec("volume_density_aee", "6BDE", "morph_vol_dens_aee", volume_density_aee),
    _spec("area_density_aee", "RDD2", "morph_area_dens_aee", area_density_aee),
    _spec("volume_density_mvee", "SWZ1", "morph_vol_dens_mvee", volume_density_mvee, note=_NO_REF),
    _spec("area_density_mvee", "BRI8", "morph_area_dens_mvee", area_density_mvee, note=_NO_REF),
    _spec(
        "volume_density_convex_hull", "R3ER", "morph_vol_dens_conv_hull", volume_density_convex_hull
    ),
    _spec(
        "area_density_convex_hull", "7T7F", "morph_area_dens_conv_hull", area_density_convex_hull
    ),
    _spec("integrated_intensity", "99N0", "morph_integ_int", integrated_intensity),
    _spec("morans_i", "N365", "morph_moran_i", morans_i),
    _spec("gearys_c", "NPT7", "morph_geary_c", gearys_c),
)


def compute(
    image: np.ndarray,
    int_mask: np.ndarray,
    morph_mask: np.ndarray,
    spacing: tuple[float, float, float],
) -> list[FeatureValue]:
    """All morphological features of one ROI, in registry order.

    Parameters
    ----------
    image : ndarray (z, y, x)
        Intensities (float64 after any interpolation/rounding).
    int_mask : ndarray of bool
        Intensity mask (after re-segmentation): used by centre of mass shift, integrated
        intensity, Moran's I and Geary's C.
    morph_mask : ndarray of bool
        Morphological mask (before re-segmentation): mesh, hull, PCA and voxel counts.
    spacing : (float, float, float)
        Voxel size in mm, (z, y, x).

    Returns
    -------
    list of FeatureValue
        Every feature of :data:`FEATURES`; NaN where undefined (empty masks, one voxel,
        a single intensity, degenerate geometry).
    """
    m = build_morphology(image, int_mask, morph_mask, spacing)
    if m.n_morph == 0:
        return values_from(FEATURES, {s.name: _NAN for s in FEATURES})
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        values = {spec.name: float(spec.compute(m)) for spec in FEATURES}
    return values_from(FEATURES, values)
