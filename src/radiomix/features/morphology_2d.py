r"""Two-dimensional shape features of a planar ROI (not part of IBSI 1).

IBSI 1 defines morphology in 3D only. Planar images without a known slice thickness
(ultrasound, photographs, single slices) need 2D descriptors: areas, perimeters and the
shape ratios built from them, principal axes, hull-based convexity measures, and margin
descriptors used in breast-ultrasound CAD (normalised radial length, concavities).

Geometry
--------
All positions are in physical units of the in-plane spacing ``(s_y, s_x)`` (pixels when
the spacing is 1, as for PNG files). The ROI outline is the *marching squares* contour of
the zero-padded morphological mask at level 0.5 (:func:`skimage.measure.find_contours`),
the 2D counterpart of the IBSI marching-cubes mesh and the convention of PyRadiomics'
``shape2D`` class. Contours are closed polygons oriented so that outer boundaries have a
positive and holes a negative shoelace area; the mesh area :math:`A` is the sum of the
signed areas and the perimeter :math:`P` the total length of every contour (holes
included). A pixel-centred contour cuts corners: an :math:`n \times n` square has
:math:`A = n^2 - 1/2` and :math:`P = 4(n-1) + 2\sqrt{2}`. This perimeter differs from
:func:`skimage.measure.regionprops` ``perimeter`` (a weighted count of boundary pixels)
and from the pixel-edge ("crack") length :math:`4n`; it converges to the true perimeter
of smooth shapes as the resolution grows.

Principal axes come from the covariance of the pixel centres (as IBSI's PCA-based axis
lengths in 3D): eigenvalues :math:`\lambda_{major} \ge \lambda_{minor}`, axis lengths
:math:`4\sqrt{\lambda}` (the full axes of the ellipse with the same second moments).
Hull features use the convex hull of the contour vertices.

:class:`Morphology2DData` holds the shared intermediates, each computed once on first
use; the formulas are small pure functions of it, registered in :data:`FEATURES`.

Profiles
--------
PyRadiomics' ``shape2D`` class is this family's formulas (the ``pyradiomics`` profile maps
its names onto them, ``pyradiomics_profile.SHAPE2D_FORMULAS``): its outline is the same
marching-squares contour (vertices at the mid-points of pixel edges, ROI pixels that touch
by a corner kept apart), its area the signed mesh area, its maximum diameter the largest
distance between contour vertices. One convention differs, a switch of
:class:`Morphology2DData`:

- ``covariance_ddof``: degrees of freedom of the pixel centres' covariance behind the
  principal axes; 1, the sample covariance (the IBSI convention of the 3D axes, the
  default), 0, the population covariance (PyRadiomics). A ROI of :math:`N_p` pixels has
  axis lengths :math:`\sqrt{N_p / (N_p - 1)}` times PyRadiomics', and a single pixel has
  NaN axes here, 0 in PyRadiomics (its elongation is NaN in both).

References
----------
.. [1] Zwanenburg A. et al., "The Image Biomarker Standardization Initiative",
   Radiology 295 (2020) 328-338 (3D definitions these follow in 2D).
.. [2] van Griethuysen J.J.M. et al., "Computational radiomics system to decode the
   radiographic phenotype", Cancer Research 77 (2017) e104-e107 (PyRadiomics shape2D).
.. [3] Kilday J., Palmieri F., Fox M.D., "Classifying mammographic lesions using
   computerized image analysis", IEEE Trans. Med. Imaging 12 (1993) 664-669
   (normalised radial length).
.. [4] Chen C.-M. et al., "Breast lesions on sonograms: computer-aided diagnosis with
   nearly setting-independent features and artificial neural networks", Radiology 226
   (2003) 504-514 (shape and margin features of breast ultrasound lesions).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from radiomix.errors import InvalidImageError
from radiomix.features._base import FeatureSpec, FeatureValue, values_from
from radiomix.features._mesh import voxel_covariance

if TYPE_CHECKING:  # SciPy (~0.3 s) and scikit-image load on first use
    from scipy.spatial import ConvexHull

__all__ = [
    "CONCAVITY_RELATIVE_DEPTH",
    "FEATURES",
    "Morphology2DData",
    "build_morphology_2d",
    "compute",
    "planar_mask",
]

#: A concavity counts when its depth reaches this fraction of the maximum diameter.
CONCAVITY_RELATIVE_DEPTH = 0.05
_NAN = float("nan")
_NOTE = "2D shape, not in IBSI 1"


def planar_mask(mask: np.ndarray) -> np.ndarray:
    """The single occupied plane of a (z, y, x) mask, as a (y, x) boolean array.

    Raises
    ------
    InvalidImageError
        When the ROI occupies more than one slice: 2D shape is defined for planar ROIs.
    """
    m = np.asarray(mask, dtype=bool)
    if m.ndim == 2:
        return m
    if m.ndim != 3:
        raise InvalidImageError(f"morphology_2d needs a 2D or 3D mask, got shape {m.shape}")
    planes = np.flatnonzero(m.any(axis=(1, 2)))
    if planes.size > 1:
        raise InvalidImageError(
            f"the 2D shape family (morphology_2d) needs a planar ROI, but this ROI spans "
            f"{planes.size} slices; use the 3D 'morphology' family for volumes, or extract "
            "one slice"
        )
    if planes.size == 0:
        return np.zeros(m.shape[1:], dtype=bool)
    return m[int(planes[0])]


def _shoelace(c: np.ndarray) -> float:
    """Signed area of a closed polygon given as (row, col) points (first == last)."""
    y, x = c[:, 0], c[:, 1]
    return 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))


def _safe_div(num: float, den: float) -> float:
    if not (math.isfinite(num) and math.isfinite(den)) or den == 0.0:
        return _NAN
    return num / den


def _hull(points: np.ndarray) -> ConvexHull | None:
    from scipy.spatial import ConvexHull, QhullError

    try:
        return ConvexHull(points)
    except (QhullError, ValueError):
        return None


def _concavity_depths(contour: np.ndarray) -> np.ndarray:
    """Depth of each concavity of one closed contour (its hull "pockets").

    Between two hull vertices that follow each other along the contour, the contour
    leaves the hull edge; the pocket's depth is the largest distance of those contour
    points from the hull edge's line.
    """
    pts = contour[:-1]  # drop the repeated closing point
    hull = _hull(pts)
    if hull is None or len(pts) < 4:
        return np.zeros(0)
    idx = np.sort(hull.vertices)
    depths = []
    n = len(pts)
    for k in range(len(idx)):
        i, j = int(idx[k]), int(idx[(k + 1) % len(idx)])
        span = (j - i) % n
        if span < 2:
            continue
        seg = pts[(i + np.arange(1, span)) % n]
        a, b = pts[i], pts[j]
        ab = b - a
        length = float(np.hypot(ab[0], ab[1]))
        if length == 0.0:
            continue
        d = np.abs(ab[0] * (seg[:, 1] - a[1]) - ab[1] * (seg[:, 0] - a[0])) / length
        depths.append(float(d.max()))
    return np.asarray(depths)


@dataclass(frozen=True, eq=False)
class Morphology2DData:
    """Immutable inputs of the 2D shape family and every shared intermediate.

    Build it with :func:`build_morphology_2d`. ``mask`` is a (y, x) boolean array and
    ``spacing`` the in-plane pixel size (s_y, s_x).
    """

    mask: np.ndarray
    spacing: tuple[float, float]
    #: degrees of freedom of the pixel centres' covariance (principal axes): 1, the sample
    #: covariance (IBSI's convention for the 3D axes); 0, the population covariance
    #: (PyRadiomics' shape2D)
    covariance_ddof: int = 1

    @cached_property
    def n_pixels(self) -> int:
        return int(np.count_nonzero(self.mask))

    @cached_property
    def pixel_positions(self) -> np.ndarray:
        """Pixel centres (y, x) in physical units, shape (N, 2)."""
        return np.argwhere(self.mask) * np.asarray(self.spacing)

    @cached_property
    def contours(self) -> list[np.ndarray]:
        """Closed marching-squares contours (y, x) in physical units, with a sign each.

        Outer boundaries come first in no particular order; see :attr:`signed_areas`.
        """
        from skimage.measure import find_contours

        padded = np.pad(self.mask.astype(np.float64), 1)
        raw = find_contours(padded, 0.5)
        sc = np.asarray(self.spacing)
        return [(c - 1.0) * sc for c in raw]

    @cached_property
    def signed_areas(self) -> np.ndarray:
        """Shoelace area of each contour: positive for outer boundaries, negative for holes."""
        return np.array([_shoelace(c) for c in self.contours])

    @cached_property
    def outer_contours(self) -> list[np.ndarray]:
        return [c for c, a in zip(self.contours, self.signed_areas, strict=True) if a > 0]

    @cached_property
    def segments(self) -> np.ndarray:
        """Every contour's segments, shape (N_f, 2, 2): segment ``i`` runs from point
        ``[i, 0]`` to ``[i, 1]`` (y, x), along the contours' orientation."""
        if not self.contours:
            return np.zeros((0, 2, 2))
        return np.concatenate([np.stack([c[:-1], c[1:]], axis=1) for c in self.contours])

    @cached_property
    def mesh_area(self) -> float:
        """Sum of the contours' signed areas (holes subtract), one shoelace sum over
        :attr:`segments`."""
        s = self.segments
        y0, x0, y1, x1 = s[:, 0, 0], s[:, 0, 1], s[:, 1, 0], s[:, 1, 1]
        return abs(float(np.sum(x0 * y1 - x1 * y0))) / 2.0

    @cached_property
    def perimeter(self) -> float:
        return float(sum(np.linalg.norm(np.diff(c, axis=0), axis=1).sum() for c in self.contours))

    @cached_property
    def vertices(self) -> np.ndarray:
        if not self.contours:
            return np.zeros((0, 2))
        return np.concatenate([c[:-1] for c in self.contours])

    @cached_property
    def hull(self) -> ConvexHull | None:
        return _hull(self.vertices) if len(self.vertices) >= 3 else None

    @cached_property
    def hull_vertices(self) -> np.ndarray:
        if self.hull is None:
            return self.vertices
        return self.vertices[self.hull.vertices]

    @cached_property
    def hull_area(self) -> float:
        # scipy's 2D ConvexHull reports the enclosed area as .volume
        return float(self.hull.volume) if self.hull is not None else _NAN

    @cached_property
    def hull_perimeter(self) -> float:
        return float(self.hull.area) if self.hull is not None else _NAN

    @cached_property
    def max_diameter(self) -> float:
        h = self.hull_vertices
        if len(h) < 2:
            return _NAN
        d = h[:, None, :] - h[None, :, :]
        return float(np.sqrt((d * d).sum(axis=-1).max()))

    @cached_property
    def pca_eigenvalues(self) -> np.ndarray:
        r"""Eigenvalues (descending) of the covariance of the pixel centres (exact integer
        moments, :func:`radiomix.features._mesh.voxel_covariance`; degrees of freedom
        ``covariance_ddof``); NaN where :math:`N_p \le` ``covariance_ddof``."""
        if self.n_pixels <= self.covariance_ddof:
            return np.full(2, _NAN)
        sp = np.array([1.0, self.spacing[0], self.spacing[1]])
        _, cov = voxel_covariance(self.mask[None], sp, self.covariance_ddof)
        return np.clip(np.sort(np.linalg.eigvalsh(cov[1:, 1:]))[::-1], 0.0, None)

    @cached_property
    def min_area_rectangle(self) -> float:
        from radiomix.features.morphology import _min_area_rectangle

        if len(self.hull_vertices) < 3:
            return _NAN
        return _min_area_rectangle(self.hull_vertices)[0]

    @cached_property
    def radial_lengths(self) -> tuple[np.ndarray, np.ndarray]:
        """Distances from the ROI centroid to the outer contour points, and their weights.

        Each contour vertex is weighted by half the length of its two adjacent segments, so
        that the statistics are arc-length averages along the boundary.
        """
        if not self.outer_contours or self.n_pixels == 0:
            return np.zeros(0), np.zeros(0)
        centre = self.pixel_positions.mean(axis=0)
        radii, weights = [], []
        for c in self.outer_contours:
            seg = np.linalg.norm(np.diff(c, axis=0), axis=1)
            w = 0.5 * (seg + np.roll(seg, 1))
            radii.append(np.linalg.norm(c[:-1] - centre, axis=1))
            weights.append(w)
        return np.concatenate(radii), np.concatenate(weights)

    @cached_property
    def concavity_depths(self) -> np.ndarray:
        if not self.outer_contours:
            return np.zeros(0)
        return np.concatenate([_concavity_depths(c) for c in self.outer_contours])


def build_morphology_2d(
    mask: np.ndarray, spacing: tuple[float, ...], *, covariance_ddof: int = 1
) -> Morphology2DData:
    """Validate a planar mask and its spacing and wrap them in a :class:`Morphology2DData`.

    ``mask`` is (y, x) or (z, y, x) with the ROI in one slice; ``spacing`` is (s_y, s_x)
    or (s_z, s_y, s_x); ``covariance_ddof`` the principal axes' switch (1: IBSI's sample
    covariance, 0: PyRadiomics' population covariance).
    """
    plane = planar_mask(mask)
    sp = tuple(float(s) for s in spacing)
    if len(sp) == 3:
        sp = sp[1:]
    if len(sp) != 2 or not all(s > 0 and math.isfinite(s) for s in sp):
        raise InvalidImageError(f"morphology_2d needs a positive in-plane spacing, got {spacing}")
    if covariance_ddof not in (0, 1):
        raise ValueError(f"covariance_ddof must be 0 or 1, got {covariance_ddof!r}")
    return Morphology2DData(plane, (sp[0], sp[1]), covariance_ddof=covariance_ddof)


# ---------------------------------------------------------------------------------------
# formulas
# ---------------------------------------------------------------------------------------


def area_mesh(m: Morphology2DData) -> float:
    r"""Mesh (polygon) area of the marching-squares contour; 2D shape, not in IBSI 1.

    .. math:: A = \sum_c \frac{1}{2}\sum_{i} (x_i y_{i+1} - x_{i+1} y_i)

    over every closed contour :math:`c` (holes have negative signed area). The 2D analogue
    of the mesh volume (IBSI RNU0); PyRadiomics ``MeshSurface``.
    """
    return m.mesh_area


def area_pixels(m: Morphology2DData) -> float:
    r"""Pixel area; 2D shape, not in IBSI 1.

    .. math:: A_{pix} = N_p\, s_y s_x

    with :math:`N_p` the number of ROI pixels (PyRadiomics ``PixelSurface``).
    """
    return m.n_pixels * m.spacing[0] * m.spacing[1]


def perimeter(m: Morphology2DData) -> float:
    r"""Perimeter: total length of the marching-squares contours; 2D shape, not in IBSI 1.

    .. math:: P = \sum_c \sum_i \lVert \mathbf{p}_{i+1} - \mathbf{p}_i \rVert

    Holes contribute their boundary length (PyRadiomics ``Perimeter``).
    """
    return m.perimeter


def perimeter_to_area_ratio(m: Morphology2DData) -> float:
    r"""Perimeter to area ratio; 2D shape, not in IBSI 1.

    .. math:: F = P / A

    The 2D analogue of the surface to volume ratio (IBSI 2PR5); PyRadiomics
    ``PerimeterSurfaceRatio``.
    """
    return _safe_div(m.perimeter, m.mesh_area)


def circularity(m: Morphology2DData) -> float:
    r"""Circularity (isoperimetric quotient, "compactness"); 2D shape, not in IBSI 1.

    .. math:: F = \frac{4\pi A}{P^2}

    1 for a disc, smaller for elongated or irregular outlines.
    """
    return _safe_div(4.0 * math.pi * m.mesh_area, m.perimeter**2)


def sphericity(m: Morphology2DData) -> float:
    r"""Sphericity in 2D; 2D shape, not in IBSI 1.

    .. math:: F = \frac{2\sqrt{\pi A}}{P}

    the perimeter of the disc of equal area over the perimeter (PyRadiomics
    ``Sphericity`` of shape2D; the square root of circularity).
    """
    return _safe_div(2.0 * math.sqrt(math.pi * m.mesh_area), m.perimeter)


def spherical_disproportion(m: Morphology2DData) -> float:
    r"""Spherical disproportion in 2D; 2D shape, not in IBSI 1.

    .. math:: F = \frac{P}{2\sqrt{\pi A}}

    the inverse of the 2D sphericity (PyRadiomics ``SphericalDisproportion`` of shape2D).
    """
    return _safe_div(m.perimeter, 2.0 * math.sqrt(math.pi * m.mesh_area))


def maximum_diameter(m: Morphology2DData) -> float:
    r"""Maximum diameter; 2D shape, not in IBSI 1.

    .. math:: F = \max_{i,j} \lVert \mathbf{p}_i - \mathbf{p}_j \rVert

    over the convex hull vertices of the contour, i.e. over every contour vertex (the 2D
    analogue of IBSI L0JK; PyRadiomics ``MaximumDiameter``).
    """
    return m.max_diameter


def major_axis_length(m: Morphology2DData) -> float:
    r"""Major axis length; 2D shape, not in IBSI 1.

    .. math:: F = 4\sqrt{\lambda_{major}}

    with :math:`\lambda_{major}` the largest eigenvalue of the covariance of the pixel
    centres (the IBSI TDIC definition in 2D; PyRadiomics ``MajorAxisLength`` with the
    population covariance, ``covariance_ddof`` 0). A filled ellipse with semi-axes
    :math:`a \ge b` has :math:`\lambda_{major} = a^2/4`, so :math:`F = 2a`.
    """
    return 4.0 * math.sqrt(m.pca_eigenvalues[0])


def minor_axis_length(m: Morphology2DData) -> float:
    r"""Minor axis length; 2D shape, not in IBSI 1.

    .. math:: F = 4\sqrt{\lambda_{minor}}

    (the IBSI P9VJ definition in 2D; :math:`2b` for a filled ellipse; PyRadiomics
    ``MinorAxisLength`` with ``covariance_ddof`` 0).
    """
    return 4.0 * math.sqrt(m.pca_eigenvalues[1])


def elongation(m: Morphology2DData) -> float:
    r"""Elongation; 2D shape, not in IBSI 1.

    .. math:: F = \sqrt{\lambda_{minor} / \lambda_{major}}

    1 for a disc, towards 0 for a line (the IBSI Q3CK definition in 2D; :math:`b/a` for an
    ellipse; PyRadiomics ``Elongation``, which ``covariance_ddof`` does not change).
    """
    lam = m.pca_eigenvalues
    return _safe_div(math.sqrt(lam[1]), math.sqrt(lam[0]))


def eccentricity(m: Morphology2DData) -> float:
    r"""Eccentricity of the ellipse with the same second moments; 2D shape, not in IBSI 1.

    .. math:: F = \sqrt{1 - \lambda_{minor} / \lambda_{major}}

    0 for a disc, towards 1 for a line (:func:`skimage.measure.regionprops` convention).
    """
    lam = m.pca_eigenvalues
    ratio = _safe_div(lam[1], lam[0])
    return math.sqrt(max(0.0, 1.0 - ratio)) if math.isfinite(ratio) else _NAN


def solidity(m: Morphology2DData) -> float:
    r"""Solidity (area density of the convex hull); 2D shape, not in IBSI 1.

    .. math:: F = A / A_{convex}

    The 2D analogue of IBSI R3ER; 1 for convex outlines, lower for lobulated ones.
    """
    return _safe_div(m.mesh_area, m.hull_area)


def convexity(m: Morphology2DData) -> float:
    r"""Convexity (perimeter ratio of the convex hull); 2D shape, not in IBSI 1.

    .. math:: F = P_{convex} / P

    1 for convex outlines; an irregular, spiculated margin lengthens :math:`P` and lowers
    it.
    """
    return _safe_div(m.hull_perimeter, m.perimeter)


def extent(m: Morphology2DData) -> float:
    r"""Extent (area density of the minimum-area bounding rectangle); 2D shape, not in IBSI 1.

    .. math:: F = A / A_{mabr}

    with :math:`A_{mabr}` the area of the smallest enclosing rectangle of any orientation
    (rotating calipers on the hull), so the value does not depend on the image axes (the
    2D analogue of IBSI ZH1A). 1 for a rectangle, :math:`\pi/4` for a disc or an ellipse.
    """
    return _safe_div(m.mesh_area, m.min_area_rectangle)


def radial_length_mean(m: Morphology2DData) -> float:
    r"""Mean normalised radial length; 2D shape, not in IBSI 1.

    .. math:: F = \frac{\sum_i w_i\, r_i / r_{max}}{\sum_i w_i}

    with :math:`r_i` the distance of outer contour point :math:`i` from the ROI centroid,
    :math:`r_{max}` its maximum and :math:`w_i` the arc length the point stands for
    (Kilday et al. 1993). 1 for a disc about its centre.
    """
    r, w = m.radial_lengths
    if r.size == 0 or r.max() == 0:
        return _NAN
    return float(np.average(r / r.max(), weights=w))


def radial_length_sd(m: Morphology2DData) -> float:
    r"""Standard deviation of the normalised radial length; 2D shape, not in IBSI 1.

    .. math:: F = \sqrt{\frac{\sum_i w_i (r_i/r_{max} - \bar{r})^2}{\sum_i w_i}}

    (arc-length weighted, :math:`\bar{r}` the mean normalised radial length). 0 for a
    disc; high for lobulated or spiculated margins (Kilday et al. 1993; used for breast
    lesion margins, e.g. Chen et al. 2003).
    """
    r, w = m.radial_lengths
    if r.size == 0 or r.max() == 0:
        return _NAN
    rn = r / r.max()
    mu = np.average(rn, weights=w)
    return float(math.sqrt(np.average((rn - mu) ** 2, weights=w)))


def concavity_count(m: Morphology2DData) -> float:
    r"""Number of significant concavities of the outline; 2D shape, not in IBSI 1.

    Each pocket between the contour and an edge of its convex hull counts when its depth
    (largest distance of the contour from the hull edge) is at least
    :math:`\max(0.05\,D_{max},\ \sqrt{s_y s_x})`, with :math:`D_{max}` the maximum
    diameter: a scale-free threshold that ignores the pixel staircase. Counts lobulations
    and spiculations of the margin (summed over the outer contours).
    """
    depths = m.concavity_depths
    if not math.isfinite(m.max_diameter):
        return _NAN
    thr = max(CONCAVITY_RELATIVE_DEPTH * m.max_diameter, math.sqrt(m.spacing[0] * m.spacing[1]))
    return float(np.count_nonzero(depths >= thr))


def max_concavity_depth(m: Morphology2DData) -> float:
    r"""Depth of the deepest concavity relative to the maximum diameter; 2D shape, not in IBSI 1.

    .. math:: F = \frac{\max_k d_k}{D_{max}}

    with :math:`d_k` the pocket depths of :func:`concavity_count`; 0 for convex outlines.
    """
    depths = m.concavity_depths
    if not math.isfinite(m.max_diameter) or m.max_diameter == 0:
        return _NAN
    return float(depths.max() / m.max_diameter) if depths.size else 0.0


def _spec(name: str, tag: str, fn: object) -> FeatureSpec:
    return FeatureSpec(
        name=name,
        family="morphology_2d",
        ibsi_code=None,
        ibsi_tag=tag,
        compute=fn,  # type: ignore[arg-type]
        ibsi_compliant=False,
        note=_NOTE,
    )


FEATURES: tuple[FeatureSpec, ...] = (
    _spec("area_mesh", "morph2d_area_mesh", area_mesh),
    _spec("area_pixels", "morph2d_area_pix", area_pixels),
    _spec("perimeter", "morph2d_perimeter", perimeter),
    _spec("perimeter_to_area_ratio", "morph2d_pa_ratio", perimeter_to_area_ratio),
    _spec("circularity", "morph2d_circularity", circularity),
    _spec("sphericity", "morph2d_sphericity", sphericity),
    _spec("spherical_disproportion", "morph2d_sph_dispr", spherical_disproportion),
    _spec("maximum_diameter", "morph2d_diam", maximum_diameter),
    _spec("major_axis_length", "morph2d_pca_maj_axis", major_axis_length),
    _spec("minor_axis_length", "morph2d_pca_min_axis", minor_axis_length),
    _spec("elongation", "morph2d_pca_elongation", elongation),
    _spec("eccentricity", "morph2d_eccentricity", eccentricity),
    _spec("solidity", "morph2d_solidity", solidity),
    _spec("convexity", "morph2d_convexity", convexity),
    _spec("extent", "morph2d_extent", extent),
    _spec("radial_length_mean", "morph2d_nrl_mean", radial_length_mean),
    _spec("radial_length_sd", "morph2d_nrl_sd", radial_length_sd),
    _spec("concavity_count", "morph2d_concavity_count", concavity_count),
    _spec("max_concavity_depth", "morph2d_concavity_max_depth", max_concavity_depth),
)


def compute(mask: np.ndarray, spacing: tuple[float, ...]) -> list[FeatureValue]:
    """All 2D shape features of one planar ROI, in registry order.

    Parameters
    ----------
    mask : ndarray of bool, (y, x) or (z, y, x)
        Morphological mask; a 3D mask must have its ROI in one slice.
    spacing : (s_y, s_x) or (s_z, s_y, s_x)
        Pixel size (mm, or 1 for pixel units).

    Returns
    -------
    list of FeatureValue
        Every feature of :data:`FEATURES`; NaN where undefined (empty mask, degenerate
        geometry).

    Raises
    ------
    InvalidImageError
        When the ROI spans more than one slice.
    """
    m = build_morphology_2d(mask, spacing)
    if m.n_pixels == 0:
        return values_from(FEATURES, {s.name: _NAN for s in FEATURES})
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        values = {spec.name: float(spec.compute(m)) for spec in FEATURES}
    return values_from(FEATURES, values)
