r"""PyRadiomics' ``shape2D`` feature class (PyRadiomics 3.0.1), for the ``pyradiomics`` profile.

PyRadiomics computes ``shape2D`` on a truly planar ROI: a 2D image, or a 3D image with
``force2D: true`` whose mask is one voxel thick along ``force2Ddimension`` (the pipeline in
:mod:`radiomix.extraction.profile_pyradiomics` applies PyRadiomics' rules of when it runs).
This module receives the planar mask and its in-plane spacing.

Mesh
----
The ROI outline is the marching-squares contour of the mask padded with one ring of
background pixels, with vertices at the mid-points of pixel edges that separate an ROI pixel
from a background one. A 2 x 2 window of pixel centres (corners :math:`p_0 = (0, 0)`,
:math:`p_1 = (0, 1)`, :math:`p_2 = (1, 1)`, :math:`p_3 = (1, 0)` in (row, column) order)
holds one line segment per maximal run of consecutive ROI corners (cyclically), from the
mid-point of the edge entering the run to that of the edge leaving it: edge :math:`k` joins
:math:`p_k` and :math:`p_{k+1}`. In the two saddle windows (diagonal corners inside) the two
ROI corners are therefore kept apart (4-connected ROI, as in PyRadiomics' lookup table).
The segments are oriented so that the signed areas of the triangles they span with the
origin,

.. math::
    A = \frac{1}{2} \sum_{i=1}^{N_f} (a_{i,r} b_{i,c} - b_{i,r} a_{i,c}),

add up to the enclosed area (holes subtract), with :math:`a_i, b_i` the segment's end points
in mm (row, column). The perimeter is :math:`P = \sum_i \lVert a_i - b_i \rVert`.

Features (PyRadiomics' names; none is an IBSI 1 feature, IBSI 1 defines morphology in 3D)
--------------------------------------------------------------------------------------------
- MeshSurface :math:`A`; PixelSurface :math:`N_p \, s_r s_c` (:math:`N_p` ROI pixels);
- Perimeter :math:`P`; PerimeterSurfaceRatio :math:`P / A`;
- Sphericity :math:`2\sqrt{\pi A} / P`; SphericalDisproportion :math:`P / (2\sqrt{\pi A})`
  (deprecated in PyRadiomics: computed only when named);
- MaximumDiameter: the largest distance between two mesh vertices;
- MajorAxisLength :math:`4\sqrt{\lambda_{major}}`, MinorAxisLength
  :math:`4\sqrt{\lambda_{minor}}`, Elongation :math:`\sqrt{\lambda_{minor} /
  \lambda_{major}}`, with :math:`\lambda` the eigenvalues of the population covariance of
  the ROI pixel centres in mm (eigenvalues in :math:`(-10^{-10}, 0)` are set to 0; a negative
  one gives NaN, as in PyRadiomics).

References
----------
.. [1] Lorensen W.E., Cline H.E., "Marching cubes: a high resolution 3D surface
   construction algorithm", ACM SIGGRAPH Computer Graphics 21(4) (1987) 163-169.
.. [2] van Griethuysen J.J.M. et al., "Computational radiomics system to decode the
   radiographic phenotype", Cancer Research 77(21) (2017) e104-e107 (PyRadiomics).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

__all__ = ["DEFAULT_NAMES", "NAMES", "contour_segments", "shape2d_features"]

#: every shape2D feature, in PyRadiomics' output order (by method name)
NAMES = (
    "Elongation",
    "MajorAxisLength",
    "MaximumDiameter",
    "MeshSurface",
    "MinorAxisLength",
    "Perimeter",
    "PerimeterSurfaceRatio",
    "PixelSurface",
    "SphericalDisproportion",
    "Sphericity",
)
#: the features PyRadiomics computes when the class is enabled without a feature list
DEFAULT_NAMES = tuple(n for n in NAMES if n != "SphericalDisproportion")

#: mid-points of the window's edges, (row, column) in the window: top, right, bottom, left
_EDGE_POINTS = np.array([(0.0, 0.5), (0.5, 1.0), (1.0, 0.5), (0.5, 0.0)])


@functools.lru_cache(maxsize=1)
def _segment_table() -> tuple[tuple[tuple[int, int], ...], ...]:
    """Segments (entering edge, leaving edge) of each of the 16 window configurations.

    Bit ``k`` of a configuration is set when corner :math:`p_k` is in the ROI. Walking the
    corners :math:`p_0 \\to p_1 \\to p_2 \\to p_3`, edge ``k`` lies between :math:`p_k` and
    :math:`p_{k+1}`; each maximal cyclic run of ROI corners :math:`p_i, \\ldots, p_j` gives
    the segment from edge ``i - 1`` (entering the run) to edge ``j`` (leaving it).
    """
    table: list[tuple[tuple[int, int], ...]] = []
    for code in range(16):
        inside = [bool(code >> k & 1) for k in range(4)]
        segs: list[tuple[int, int]] = []
        if 0 < code < 15:
            for start in range(4):
                if inside[start] and not inside[start - 1]:  # a run starts at p_start
                    end = start
                    while inside[(end + 1) % 4]:
                        end = (end + 1) % 4
                    segs.append(((start - 1) % 4, end))
        table.append(tuple(segs))
    return tuple(table)


def contour_segments(mask: np.ndarray, spacing: Sequence[float] | np.ndarray) -> np.ndarray:
    """Oriented segments of the marching-squares outline of a 2D mask, in mm.

    Parameters
    ----------
    mask : ndarray of bool, shape (rows, cols)
        The planar ROI (it is padded with one background ring here).
    spacing : (row, column) spacing in mm

    Returns
    -------
    ndarray of float64, shape (N_f, 2, 2)
        Segment ``i`` runs from ``[i, 0]`` to ``[i, 1]`` (row, column in mm, from the padded
        array's first pixel centre), oriented so that the signed areas add up to the
        enclosed area.
    """
    m = np.pad(np.asarray(mask, dtype=bool), 1).astype(np.int64)
    code = m[:-1, :-1] | m[:-1, 1:] << 1 | m[1:, 1:] << 2 | m[1:, :-1] << 3
    sp = np.asarray(spacing, dtype=np.float64)
    table = _segment_table()
    parts = []
    for c in range(1, 15):
        rows, cols = np.nonzero(code == c)
        if rows.size == 0:
            continue
        origin = np.stack([rows, cols], axis=1).astype(np.float64)  # (n, 2)
        for a, b in table[c]:
            ends = np.stack([origin + _EDGE_POINTS[a], origin + _EDGE_POINTS[b]], axis=1)
            parts.append(ends * sp)
    if not parts:
        return np.zeros((0, 2, 2))
    return np.concatenate(parts, axis=0)


def _vertices(mask: np.ndarray, spacing: np.ndarray) -> np.ndarray:
    """The mesh vertices (mm): mid-points of pixel edges between ROI and background."""
    m = np.pad(np.asarray(mask, dtype=bool), 1)
    r1, c1 = np.nonzero(m[1:, :] != m[:-1, :])  # edge between rows r and r + 1
    r2, c2 = np.nonzero(m[:, 1:] != m[:, :-1])  # edge between columns c and c + 1
    rows = np.concatenate([r1 + 0.5, r2.astype(np.float64)])
    cols = np.concatenate([c1.astype(np.float64), c2 + 0.5])
    return np.stack([rows * spacing[0], cols * spacing[1]], axis=1)


def _max_distance(points: np.ndarray) -> float:
    """Largest Euclidean distance between two points (n, 2), on their convex hull."""
    if len(points) < 2:
        return 0.0
    pts = points
    if len(points) > 16:
        from scipy.spatial import ConvexHull, QhullError  # imported here: ~0.3 s at start-up

        try:
            pts = points[ConvexHull(points).vertices]
        except (QhullError, ValueError):  # collinear points: keep them all
            pts = points
    best = 0.0
    for k in range(0, len(pts), 1024):
        d = pts[k : k + 1024, None, :] - pts[None, :, :]
        best = max(best, float(np.max(d[..., 0] ** 2 + d[..., 1] ** 2)))
    return math.sqrt(best)


def _eigenvalues(mask: np.ndarray, spacing: np.ndarray) -> np.ndarray:
    """Eigenvalues (ascending) of the population covariance of the ROI pixel centres (mm)."""
    coords = np.argwhere(mask).astype(np.float64) * spacing
    coords -= coords.mean(axis=0)
    coords /= math.sqrt(len(coords))
    ev = np.linalg.eigvals(coords.T @ coords).real
    ev[(ev < 0) & (ev > -1e-10)] = 0.0  # machine-precision negatives, as PyRadiomics rounds
    return np.sort(ev)


def shape2d_features(mask: np.ndarray, spacing: Sequence[float]) -> dict[str, float]:
    """PyRadiomics' ``shape2D`` features of a planar ROI (formulas in the module notes).

    Parameters
    ----------
    mask : ndarray of bool, shape (rows, cols)
        The planar ROI (any crop that holds it).
    spacing : (row, column) spacing in mm

    Returns
    -------
    dict of str to float
        Every feature of :data:`NAMES`.

    Raises
    ------
    ValueError
        ``mask`` is not 2D, holds no ROI pixel, or ``spacing`` is not two positive numbers.
    """
    roi = np.asarray(mask, dtype=bool)
    sp = np.asarray(spacing, dtype=np.float64)
    if roi.ndim != 2:
        raise ValueError(f"shape2D needs a 2D mask, got shape {roi.shape}")
    if sp.shape != (2,) or not np.all(sp > 0):
        raise ValueError(f"shape2D needs two positive spacings (row, column), got {spacing}")
    n_pixels = int(roi.sum())
    if n_pixels == 0:
        raise ValueError("shape2D needs a non-empty mask")
    seg = contour_segments(roi, sp)
    a, b = seg[:, 0], seg[:, 1]
    area = float(np.sum(a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1])) / 2.0
    perimeter = float(np.sum(np.sqrt(np.sum((a - b) ** 2, axis=1))))
    diameter = _max_distance(_vertices(roi, sp))
    ev = _eigenvalues(roi, sp)
    with np.errstate(divide="ignore", invalid="ignore"):
        minor = 4.0 * math.sqrt(ev[0]) if ev[0] >= 0 else math.nan
        major = 4.0 * math.sqrt(ev[1]) if ev[1] >= 0 else math.nan
        elong = float(np.sqrt(np.float64(ev[0]) / ev[1])) if min(ev) >= 0 else math.nan
        sphericity = 2.0 * math.sqrt(math.pi * area) / perimeter
    return {
        "Elongation": elong,
        "MajorAxisLength": major,
        "MaximumDiameter": diameter,
        "MeshSurface": area,
        "MinorAxisLength": minor,
        "Perimeter": perimeter,
        "PerimeterSurfaceRatio": perimeter / area,
        "PixelSurface": n_pixels * float(sp[0] * sp[1]),
        "SphericalDisproportion": 1.0 / sphericity,
        "Sphericity": sphericity,
    }
