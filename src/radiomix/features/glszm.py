"""Grey level size zone matrix (GLSZM) features (IBSI 1, matrix code 9SAK).

A zone is a set of connected voxels with the same grey level: 26-connected in 3D and
8-connected in-plane for 2D and 2.5D. The GLSZM element :math:`s_{ij}` counts the zones of
grey level :math:`i` and size :math:`j` (voxels). With :math:`N_s = \\sum_{ij} s_{ij}` zones,
:math:`N_v` voxels in the ROI, the marginals :math:`s_{i.} = \\sum_j s_{ij}` and
:math:`s_{.j} = \\sum_i s_{ij}`, and :math:`p_{ij} = s_{ij} / N_s`, the 16 features follow.

The matrix (:class:`radiomix.features._zone_matrix.ZoneMatrix`, shared with the GLDZM, GLRLM
and NGLDM) keeps only the grey levels and zone sizes that occur, as zone sizes can reach the
ROI size. Zones of all grey levels are labelled in one linear pass
(:func:`radiomix.features._kernels_zones.zone_table`, the ``pyradiomics`` profile's too).

Aggregation (see :mod:`radiomix.features._texture`): ``2D`` per slice averaged, ``2_5D``
slice matrices summed, ``3D`` one matrix of the volume.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from radiomix.features._base import FeatureSpec, FeatureValue, values_from
from radiomix.features._kernels_zones import ZoneTable, zone_table
from radiomix.features._texture import SPATIAL_METHODS, ZONE_AGGREGATIONS, aggregate_zone
from radiomix.features._zone_matrix import ZoneMatrix

__all__ = ["FEATURES", "build_matrix", "check_inputs", "compute", "crop_box"]


def build_matrix(
    zone_levels: np.ndarray, sizes: np.ndarray, n_voxels: float, *, log_epsilon: float = 0.0
) -> ZoneMatrix:
    """GLSZM of the zones with grey levels ``zone_levels`` and ``sizes`` (voxels): zones
    counted by (grey level, size); ``log_epsilon`` the matrix's entropy epsilon."""
    return ZoneMatrix.from_entries(
        zone_levels, sizes, np.ones(len(sizes)), n_voxels, log_epsilon=log_epsilon
    )


# --------------------------------------------------------------------------- input checks


def check_inputs(levels: np.ndarray, n_levels: int, spatial: Sequence[str]) -> None:
    """Validate the common arguments of the zone family entry points (ValueError)."""
    if not isinstance(levels, np.ndarray) or levels.ndim != 3:
        raise ValueError(
            "levels must be a 3D NumPy array (z, y, x), got "
            f"{getattr(levels, 'shape', type(levels).__name__)}; give a 2D image as shape (1, y, x)"
        )
    if not np.issubdtype(levels.dtype, np.integer):
        raise ValueError(
            f"levels must hold discretised integer grey levels, got dtype {levels.dtype}"
        )
    if isinstance(n_levels, bool) or not isinstance(n_levels, int | np.integer) or n_levels < 1:
        raise ValueError(f"n_levels must be a positive integer, got {n_levels!r}")
    if isinstance(spatial, str) or any(s not in SPATIAL_METHODS for s in spatial):
        raise ValueError(
            f"spatial must be a sequence of methods among {SPATIAL_METHODS}, got {spatial!r}"
        )
    if levels.size:
        lo, hi = int(levels.min()), int(levels.max())
        if lo < 0 or hi > n_levels:
            raise ValueError(
                f"levels must lie in 0..n_levels={n_levels} (0 outside the ROI), found {lo}..{hi}"
            )


def crop_box(mask: np.ndarray) -> tuple[slice, slice, slice] | None:
    """Bounding box of a boolean mask (None when empty)."""
    box = []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        hit = np.flatnonzero(mask.any(axis=other))
        if hit.size == 0:
            return None
        box.append(slice(int(hit[0]), int(hit[-1]) + 1))
    return box[0], box[1], box[2]


# --------------------------------------------------------------------------- formulas


def small_zone_emphasis(m: ZoneMatrix) -> np.ndarray:
    """Small zone emphasis (IBSI 5QRC).

    .. math::

        F_{szm.sze} = \\frac{1}{N_s} \\sum_{j=1}^{N_z} \\frac{s_{.j}}{j^2}
    """
    return m.emphasis(0, -2)


def large_zone_emphasis(m: ZoneMatrix) -> np.ndarray:
    """Large zone emphasis (IBSI 48P8).

    .. math::

        F_{szm.lze} = \\frac{1}{N_s} \\sum_{j=1}^{N_z} j^2 s_{.j}
    """
    return m.emphasis(0, 2)


def low_grey_level_zone_emphasis(m: ZoneMatrix) -> np.ndarray:
    """Low grey level zone emphasis (IBSI XMSY).

    .. math::

        F_{szm.lgze} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} \\frac{s_{i.}}{i^2}
    """
    return m.emphasis(-2, 0)


def high_grey_level_zone_emphasis(m: ZoneMatrix) -> np.ndarray:
    """High grey level zone emphasis (IBSI 5GN9).

    .. math::

        F_{szm.hgze} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} i^2 s_{i.}
    """
    return m.emphasis(2, 0)


def small_zone_low_grey_level_emphasis(m: ZoneMatrix) -> np.ndarray:
    """Small zone low grey level emphasis (IBSI 5RAI).

    .. math::

        F_{szm.szlge} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_z}
        \\frac{s_{ij}}{i^2 j^2}
    """
    return m.emphasis(-2, -2)


def small_zone_high_grey_level_emphasis(m: ZoneMatrix) -> np.ndarray:
    """Small zone high grey level emphasis (IBSI HW1V).

    .. math::

        F_{szm.szhge} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_z}
        \\frac{i^2 s_{ij}}{j^2}
    """
    return m.emphasis(2, -2)


def large_zone_low_grey_level_emphasis(m: ZoneMatrix) -> np.ndarray:
    """Large zone low grey level emphasis (IBSI YH51).

    .. math::

        F_{szm.lzlge} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_z}
        \\frac{j^2 s_{ij}}{i^2}
    """
    return m.emphasis(-2, 2)


def large_zone_high_grey_level_emphasis(m: ZoneMatrix) -> np.ndarray:
    """Large zone high grey level emphasis (IBSI J17V).

    .. math::

        F_{szm.lzhge} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_z} i^2 j^2 s_{ij}
    """
    return m.emphasis(2, 2)


def grey_level_non_uniformity(m: ZoneMatrix) -> np.ndarray:
    """Grey level non-uniformity (IBSI JNSA).

    .. math::

        F_{szm.glnu} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} s_{i.}^2
    """
    return m.row_non_uniformity(normalised=False)


def grey_level_non_uniformity_norm(m: ZoneMatrix) -> np.ndarray:
    """Normalised grey level non-uniformity (IBSI Y1RO).

    .. math::

        F_{szm.glnu.norm} = \\frac{1}{N_s^2} \\sum_{i=1}^{N_g} s_{i.}^2
    """
    return m.row_non_uniformity(normalised=True)


def zone_size_non_uniformity(m: ZoneMatrix) -> np.ndarray:
    """Zone size non-uniformity (IBSI 4JP3).

    .. math::

        F_{szm.zsnu} = \\frac{1}{N_s} \\sum_{j=1}^{N_z} s_{.j}^2
    """
    return m.col_non_uniformity(normalised=False)


def zone_size_non_uniformity_norm(m: ZoneMatrix) -> np.ndarray:
    """Normalised zone size non-uniformity (IBSI VB3A).

    .. math::

        F_{szm.zsnu.norm} = \\frac{1}{N_s^2} \\sum_{j=1}^{N_z} s_{.j}^2
    """
    return m.col_non_uniformity(normalised=True)


def zone_percentage(m: ZoneMatrix) -> np.ndarray:
    """Zone percentage (IBSI P30P).

    .. math::

        F_{szm.z.perc} = \\frac{N_s}{N_v}
    """
    return m.zone_percentage()


def grey_level_variance(m: ZoneMatrix) -> np.ndarray:
    """Grey level variance (IBSI BYLV).

    .. math::

        F_{szm.gl.var} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_z} (i - \\mu)^2 p_{ij},
        \\quad \\mu = \\sum_{i}\\sum_{j} i\\, p_{ij}
    """
    return m.row_variance()


def zone_size_variance(m: ZoneMatrix) -> np.ndarray:
    """Zone size variance (IBSI 3NSA).

    .. math::

        F_{szm.zs.var} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_z} (j - \\mu)^2 p_{ij},
        \\quad \\mu = \\sum_{i}\\sum_{j} j\\, p_{ij}
    """
    return m.col_variance()


def zone_size_entropy(m: ZoneMatrix) -> np.ndarray:
    """Zone size entropy (IBSI GU8N).

    .. math::

        F_{szm.zs.entr} = -\\sum_{i=1}^{N_g} \\sum_{j=1}^{N_z} p_{ij} \\log_2 p_{ij}
    """
    return m.entropy()


def _spec(name: str, code: str, fn: Callable[[ZoneMatrix], np.ndarray]) -> FeatureSpec:
    return FeatureSpec(
        name=name, family="glszm", ibsi_code=code, ibsi_tag=f"szm_{name}", compute=fn
    )


FEATURES: tuple[FeatureSpec, ...] = (
    _spec("sze", "5QRC", small_zone_emphasis),
    _spec("lze", "48P8", large_zone_emphasis),
    _spec("lgze", "XMSY", low_grey_level_zone_emphasis),
    _spec("hgze", "5GN9", high_grey_level_zone_emphasis),
    _spec("szlge", "5RAI", small_zone_low_grey_level_emphasis),
    _spec("szhge", "HW1V", small_zone_high_grey_level_emphasis),
    _spec("lzlge", "YH51", large_zone_low_grey_level_emphasis),
    _spec("lzhge", "J17V", large_zone_high_grey_level_emphasis),
    _spec("glnu", "JNSA", grey_level_non_uniformity),
    _spec("glnu_norm", "Y1RO", grey_level_non_uniformity_norm),
    _spec("zsnu", "4JP3", zone_size_non_uniformity),
    _spec("zsnu_norm", "VB3A", zone_size_non_uniformity_norm),
    _spec("z_perc", "P30P", zone_percentage),
    _spec("gl_var", "BYLV", grey_level_variance),
    _spec("zs_var", "3NSA", zone_size_variance),
    _spec("zs_entr", "GU8N", zone_size_entropy),
)


def evaluate(m: ZoneMatrix) -> dict[str, float]:
    """All features of a batch of one matrix, by name (NaN for an empty matrix)."""
    return {spec.name: float(spec.compute(m)[0]) for spec in FEATURES}


# --------------------------------------------------------------------------- entry point


def compute(
    levels: np.ndarray, n_levels: int, *, spatial: Sequence[str] = ("3D",)
) -> list[FeatureValue]:
    """GLSZM features of a discretised ROI.

    Parameters
    ----------
    levels : ndarray of int, (z, y, x)
        Grey levels 1..``n_levels`` inside the ROI, 0 outside.
    n_levels : int
        Number of grey levels.
    spatial : sequence of {"2D", "2.5D", "3D"}
        Aggregations to compute; each value carries the suffix ``2D``, ``2_5D`` or ``3D``.

    Returns
    -------
    list of FeatureValue
        Per requested aggregation (in the order 2D, 2.5D, 3D), the features in registry
        order. NaN for an empty ROI.
    """
    check_inputs(levels, n_levels, spatial)
    box = crop_box(levels > 0)
    lv = (
        np.ascontiguousarray(levels[box], dtype=np.int64)
        if box is not None
        else np.zeros((0, 0, 0), dtype=np.int64)
    )

    tables: dict[bool, ZoneTable] = {}

    def build(part: np.ndarray, two_d: bool, z: int) -> ZoneMatrix:
        if two_d not in tables:
            tables[two_d] = zone_table(lv, two_d)
        zones = tables[two_d].in_plane(z) if two_d else tables[two_d]
        return build_matrix(zones.level, zones.size, float(np.count_nonzero(part)))

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
