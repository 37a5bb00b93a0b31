"""Grey level distance zone matrix (GLDZM) features (IBSI 1, matrix code VMDZ).

Zones are those of the GLSZM (connected voxels of equal grey level, 26-connected in 3D,
8-connected in-plane for 2D and 2.5D). The distance of a zone is the smallest distance to the
ROI edge of its voxels, where a voxel's distance counts the 6-connected (3D) or 4-connected
(in-plane) steps needed to leave the ROI: voxels on the edge have distance 1, and the image
border is an edge. As IBSI recommends, the distance map is computed on the *morphological*
mask (re-segmentation can punch holes in the intensity mask that are not part of the ROI's
shape); the zones come from the intensity mask. The IBSI CT phantom reference values of
configuration A (re-segmentation to [-500, 400] HU) confirm this: they match only with the
morphological mask. For 2D and 2.5D the distances are in-plane.

The GLDZM element :math:`d_{ij}` counts the zones of grey level :math:`i` at distance
:math:`j`. With :math:`N_s = \\sum_{ij} d_{ij}` zones, :math:`N_v` voxels in the (intensity)
ROI, the marginals :math:`d_{i.} = \\sum_j d_{ij}` and :math:`d_{.j} = \\sum_i d_{ij}`, and
:math:`p_{ij} = d_{ij} / N_s`, the 16 features follow.

Aggregation (see :mod:`radiomix.features._texture`): ``2D`` per slice averaged, ``2_5D``
slice matrices summed, ``3D`` one matrix of the volume.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from radiomix.features._base import FeatureSpec, FeatureValue, values_from
from radiomix.features._kernels_zones import ZoneTable, edge_distance, zone_table
from radiomix.features._texture import SPATIAL_METHODS, ZONE_AGGREGATIONS, aggregate_zone
from radiomix.features._zone_matrix import ZoneMatrix
from radiomix.features.glszm import check_inputs, crop_box

__all__ = ["FEATURES", "build_matrix", "compute"]


def build_matrix(zones: ZoneTable, n_voxels: float) -> ZoneMatrix:
    """GLDZM of a zone table: zones counted by (grey level, distance to the ROI edge)."""
    return ZoneMatrix.from_entries(zones.level, zones.distance, np.ones(zones.n_zones), n_voxels)


# --------------------------------------------------------------------------- formulas


def small_distance_emphasis(m: ZoneMatrix) -> np.ndarray:
    """Small distance emphasis (IBSI 0GBI).

    .. math::

        F_{dzm.sde} = \\frac{1}{N_s} \\sum_{j=1}^{N_d} \\frac{d_{.j}}{j^2}
    """
    return m.emphasis(0, -2)


def large_distance_emphasis(m: ZoneMatrix) -> np.ndarray:
    """Large distance emphasis (IBSI MB4I).

    .. math::

        F_{dzm.lde} = \\frac{1}{N_s} \\sum_{j=1}^{N_d} j^2 d_{.j}
    """
    return m.emphasis(0, 2)


def low_grey_level_zone_emphasis(m: ZoneMatrix) -> np.ndarray:
    """Low grey level zone emphasis (IBSI S1RA).

    .. math::

        F_{dzm.lgze} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} \\frac{d_{i.}}{i^2}
    """
    return m.emphasis(-2, 0)


def high_grey_level_zone_emphasis(m: ZoneMatrix) -> np.ndarray:
    """High grey level zone emphasis (IBSI K26C).

    .. math::

        F_{dzm.hgze} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} i^2 d_{i.}
    """
    return m.emphasis(2, 0)


def small_distance_low_grey_level_emphasis(m: ZoneMatrix) -> np.ndarray:
    """Small distance low grey level emphasis (IBSI RUVG).

    .. math::

        F_{dzm.sdlge} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_d}
        \\frac{d_{ij}}{i^2 j^2}
    """
    return m.emphasis(-2, -2)


def small_distance_high_grey_level_emphasis(m: ZoneMatrix) -> np.ndarray:
    """Small distance high grey level emphasis (IBSI DKNJ).

    .. math::

        F_{dzm.sdhge} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_d}
        \\frac{i^2 d_{ij}}{j^2}
    """
    return m.emphasis(2, -2)


def large_distance_low_grey_level_emphasis(m: ZoneMatrix) -> np.ndarray:
    """Large distance low grey level emphasis (IBSI A7WM).

    .. math::

        F_{dzm.ldlge} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_d}
        \\frac{j^2 d_{ij}}{i^2}
    """
    return m.emphasis(-2, 2)


def large_distance_high_grey_level_emphasis(m: ZoneMatrix) -> np.ndarray:
    """Large distance high grey level emphasis (IBSI KLTH).

    .. math::

        F_{dzm.ldhge} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_d} i^2 j^2 d_{ij}
    """
    return m.emphasis(2, 2)


def grey_level_non_uniformity(m: ZoneMatrix) -> np.ndarray:
    """Grey level non-uniformity (IBSI VFT7).

    .. math::

        F_{dzm.glnu} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} d_{i.}^2
    """
    return m.row_non_uniformity(normalised=False)


def grey_level_non_uniformity_norm(m: ZoneMatrix) -> np.ndarray:
    """Normalised grey level non-uniformity (IBSI 7HP3).

    .. math::

        F_{dzm.glnu.norm} = \\frac{1}{N_s^2} \\sum_{i=1}^{N_g} d_{i.}^2
    """
    return m.row_non_uniformity(normalised=True)


def zone_distance_non_uniformity(m: ZoneMatrix) -> np.ndarray:
    """Zone distance non-uniformity (IBSI V294).

    .. math::

        F_{dzm.zdnu} = \\frac{1}{N_s} \\sum_{j=1}^{N_d} d_{.j}^2
    """
    return m.col_non_uniformity(normalised=False)


def zone_distance_non_uniformity_norm(m: ZoneMatrix) -> np.ndarray:
    """Normalised zone distance non-uniformity (IBSI IATH).

    .. math::

        F_{dzm.zdnu.norm} = \\frac{1}{N_s^2} \\sum_{j=1}^{N_d} d_{.j}^2
    """
    return m.col_non_uniformity(normalised=True)


def zone_percentage(m: ZoneMatrix) -> np.ndarray:
    """Zone percentage (IBSI VIWW).

    .. math::

        F_{dzm.z.perc} = \\frac{N_s}{N_v}
    """
    return m.zone_percentage()


def grey_level_variance(m: ZoneMatrix) -> np.ndarray:
    """Grey level variance (IBSI QK93).

    .. math::

        F_{dzm.gl.var} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_d} (i - \\mu)^2 p_{ij},
        \\quad \\mu = \\sum_{i}\\sum_{j} i\\, p_{ij}
    """
    return m.row_variance()


def zone_distance_variance(m: ZoneMatrix) -> np.ndarray:
    """Zone distance variance (IBSI 7WT1).

    .. math::

        F_{dzm.zd.var} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_d} (j - \\mu)^2 p_{ij},
        \\quad \\mu = \\sum_{i}\\sum_{j} j\\, p_{ij}
    """
    return m.col_variance()


def zone_distance_entropy(m: ZoneMatrix) -> np.ndarray:
    """Zone distance entropy (IBSI GBDU).

    .. math::

        F_{dzm.zd.entr} = -\\sum_{i=1}^{N_g} \\sum_{j=1}^{N_d} p_{ij} \\log_2 p_{ij}
    """
    return m.entropy()


def _spec(name: str, code: str, fn: Callable[[ZoneMatrix], np.ndarray]) -> FeatureSpec:
    return FeatureSpec(
        name=name, family="gldzm", ibsi_code=code, ibsi_tag=f"dzm_{name}", compute=fn
    )


FEATURES: tuple[FeatureSpec, ...] = (
    _spec("sde", "0GBI", small_distance_emphasis),
    _spec("lde", "MB4I", large_distance_emphasis),
    _spec("lgze", "S1RA", low_grey_level_zone_emphasis),
    _spec("hgze", "K26C", high_grey_level_zone_emphasis),
    _spec("sdlge", "RUVG", small_distance_low_grey_level_emphasis),
    _spec("sdhge", "DKNJ", small_distance_high_grey_level_emphasis),
    _spec("ldlge", "A7WM", large_distance_low_grey_level_emphasis),
    _spec("ldhge", "KLTH", large_distance_high_grey_level_emphasis),
    _spec("glnu", "VFT7", grey_level_non_uniformity),
    _spec("glnu_norm", "7HP3", grey_level_non_uniformity_norm),
    _spec("zdnu", "V294", zone_distance_non_uniformity),
    _spec("zdnu_norm", "IATH", zone_distance_non_uniformity_norm),
    _spec("z_perc", "VIWW", zone_percentage),
    _spec("gl_var", "QK93", grey_level_variance),
    _spec("zd_var", "7WT1", zone_distance_variance),
    _spec("zd_entr", "GBDU", zone_distance_entropy),
)


def evaluate(m: ZoneMatrix) -> dict[str, float]:
    """All features of a batch of one matrix, by name (NaN for an empty matrix)."""
    return {spec.name: float(spec.compute(m)[0]) for spec in FEATURES}


# --------------------------------------------------------------------------- entry point


def compute(
    levels: np.ndarray,
    n_levels: int,
    *,
    spatial: Sequence[str] = ("3D",),
    morph_mask: np.ndarray | None = None,
) -> list[FeatureValue]:
    """GLDZM features of a discretised ROI.

    Parameters
    ----------
    levels : ndarray of int, (z, y, x)
        Grey levels 1..``n_levels`` inside the (intensity) ROI, 0 outside.
    n_levels : int
        Number of grey levels.
    spatial : sequence of {"2D", "2.5D", "3D"}
        Aggregations to compute; each value carries the suffix ``2D``, ``2_5D`` or ``3D``.
    morph_mask : ndarray of bool, same shape as ``levels``, optional
        Morphological mask on which the distance to the ROI edge is computed (IBSI). None
        uses ``levels > 0``. Intensity ROI voxels outside it (which re-segmentation never
        produces) are treated as part of it.

    Returns
    -------
    list of FeatureValue
        Per requested aggregation (in the order 2D, 2.5D, 3D), the features in registry
        order. NaN for an empty ROI.
    """
    check_inputs(levels, n_levels, spatial)
    roi = levels > 0
    if morph_mask is None:
        shape_mask = roi
    else:
        morph_mask = np.asarray(morph_mask)
        if morph_mask.shape != levels.shape:
            raise ValueError(
                f"morph_mask shape {morph_mask.shape} differs from levels shape {levels.shape}"
            )
        shape_mask = (morph_mask != 0) | roi
    box = crop_box(roi)
    if box is None:
        lv = np.zeros((0, 0, 0), dtype=np.int64)
        outer = inner = None
    else:
        lv = np.ascontiguousarray(levels[box], dtype=np.int64)
        # the distance map needs the whole morphological mask, which may reach beyond the
        # intensity ROI's box: compute it on the mask's own box, then crop to the ROI's
        outer = crop_box(shape_mask)
        assert outer is not None  # the mask holds the ROI, so it is not empty
        inner = tuple(
            slice(b.start - o.start, b.stop - o.start) for b, o in zip(box, outer, strict=True)
        )

    tables: dict[bool, ZoneTable] = {}

    def table(two_d: bool) -> ZoneTable:
        if two_d not in tables:
            dist = edge_distance(shape_mask[outer], two_d)[inner]
            tables[two_d] = zone_table(lv, two_d, dist)
        return tables[two_d]

    def build(part: np.ndarray, two_d: bool, z: int) -> ZoneMatrix:
        zones = table(two_d).in_plane(z) if two_d else table(two_d)
        return build_matrix(zones, float(np.count_nonzero(part)))

    results = (
        aggregate_zone(lv, tuple(spatial), build, ZoneMatrix.merged, evaluate) if lv.size else {}
    )
    nan = evaluate(ZoneMatrix.empty())
    out: list[FeatureValue] = []
    for method in SPATIAL_METHODS:
        if method in spatial:
            agg = ZONE_AGGREGATIONS[method]
            out += values_from(FEATURES, results.get(agg) or nan, agg)
    return out
