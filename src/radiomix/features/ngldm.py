"""Neighbouring grey level dependence matrix (NGLDM) features (IBSI 1, matrix code REK0).

A neighbour :math:`m` of ROI voxel :math:`k` (Chebyshev distance at most :math:`\\delta`,
in-plane for 2D and 2.5D, inside the ROI) is *dependent* when
:math:`|X_m - X_k| \\le \\alpha` (coarseness parameter :math:`\\alpha`). Every ROI voxel
contributes, with dependence count :math:`j = 1 + ` its number of dependent neighbours, to the
element :math:`s_{ij}` of grey level :math:`i = X_k`; neighbours outside the ROI simply do not
count (incomplete neighbourhoods are kept, as the digital phantom reference values confirm).

With :math:`N_s = \\sum_{ij} s_{ij}`, :math:`p_{ij} = s_{ij}/N_s`, the marginals
:math:`s_{i.} = \\sum_j s_{ij}` and :math:`s_{.j} = \\sum_i s_{ij}`, and :math:`N_v` the
number of ROI voxels, the 17 features follow.

Aggregation (see :mod:`radiomix.features._texture`): ``2D`` per slice averaged, ``2_5D``
slice matrices summed, ``3D`` one matrix of the volume.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from radiomix.features._base import FeatureSpec, FeatureValue, values_from
from radiomix.features._texture import (
    SPATIAL_METHODS,
    ZONE_AGGREGATIONS,
    aggregate_zone,
    neighbour_counts,
)
from radiomix.features._zone_matrix import ZoneMatrix

__all__ = ["FEATURES", "build_matrix", "compute"]


def build_matrix(
    levels: np.ndarray,
    dependent: np.ndarray,
    n_levels: int,
    n_dependence: int,
    *,
    log_epsilon: float = 0.0,
) -> ZoneMatrix:
    """NGLDM from grey levels and per-voxel dependent-neighbour counts.

    Parameters
    ----------
    levels : ndarray of int
        Grey levels (0 outside the ROI).
    dependent : ndarray of int
        Number of dependent neighbours of each voxel (same shape).
    n_levels : int
    n_dependence : int
        Number of matrix columns: the full neighbourhood size + 1.
    log_epsilon : float
        The matrix's entropy epsilon (:class:`ZoneMatrix`).
    """
    roi = levels > 0
    flat = (levels[roi] - 1) * n_dependence + dependent[roi]
    counts = np.bincount(flat, minlength=n_levels * n_dependence)
    return ZoneMatrix(
        counts.reshape(1, n_levels, n_dependence).astype(np.float64),
        np.arange(1, n_levels + 1, dtype=np.float64),
        np.arange(1, n_dependence + 1, dtype=np.float64),
        np.array([float(np.count_nonzero(roi))]),
        log_epsilon,
    )


# --------------------------------------------------------------------------- formulas


def low_dependence_emphasis(m: ZoneMatrix) -> np.ndarray:
    """Low dependence emphasis (IBSI SODN).

    .. math:: F_{ngl.lde} = \\frac{1}{N_s} \\sum_{i}\\sum_{j} \\frac{s_{ij}}{j^2}
    """
    return m.emphasis(0, -2)


def high_dependence_emphasis(m: ZoneMatrix) -> np.ndarray:
    """High dependence emphasis (IBSI IMOQ).

    .. math:: F_{ngl.hde} = \\frac{1}{N_s} \\sum_{i}\\sum_{j} j^2 s_{ij}
    """
    return m.emphasis(0, 2)


def low_grey_level_count_emphasis(m: ZoneMatrix) -> np.ndarray:
    """Low grey level count emphasis (IBSI TL9H).

    .. math:: F_{ngl.lgce} = \\frac{1}{N_s} \\sum_{i}\\sum_{j} \\frac{s_{ij}}{i^2}
    """
    return m.emphasis(-2, 0)


def high_grey_level_count_emphasis(m: ZoneMatrix) -> np.ndarray:
    """High grey level count emphasis (IBSI OAE7).

    .. math:: F_{ngl.hgce} = \\frac{1}{N_s} \\sum_{i}\\sum_{j} i^2 s_{ij}
    """
    return m.emphasis(2, 0)


def low_dependence_low_grey_level_emphasis(m: ZoneMatrix) -> np.ndarray:
    """Low dependence low grey level emphasis (IBSI EQ3F).

    .. math:: F_{ngl.ldlge} = \\frac{1}{N_s} \\sum_{i}\\sum_{j} \\frac{s_{ij}}{i^2 j^2}
    """
    return m.emphasis(-2, -2)


def low_dependence_high_grey_level_emphasis(m: ZoneMatrix) -> np.ndarray:
    """Low dependence high grey level emphasis (IBSI JA6D).

    .. math:: F_{ngl.ldhge} = \\frac{1}{N_s} \\sum_{i}\\sum_{j} \\frac{i^2 s_{ij}}{j^2}
    """
    return m.emphasis(2, -2)


def high_dependence_low_grey_level_emphasis(m: ZoneMatrix) -> np.ndarray:
    """High dependence low grey level emphasis (IBSI NBZI).

    .. math:: F_{ngl.hdlge} = \\frac{1}{N_s} \\sum_{i}\\sum_{j} \\frac{j^2 s_{ij}}{i^2}
    """
    return m.emphasis(-2, 2)


def high_dependence_high_grey_level_emphasis(m: ZoneMatrix) -> np.ndarray:
    """High dependence high grey level emphasis (IBSI 9QMG).

    .. math:: F_{ngl.hdhge} = \\frac{1}{N_s} \\sum_{i}\\sum_{j} i^2 j^2 s_{ij}
    """
    return m.emphasis(2, 2)


def grey_level_non_uniformity(m: ZoneMatrix) -> np.ndarray:
    """Grey level non-uniformity (IBSI FP8K).

    .. math:: F_{ngl.glnu} = \\frac{1}{N_s} \\sum_{i} s_{i.}^2
    """
    return m.row_non_uniformity(normalised=False)


def grey_level_non_uniformity_normalised(m: ZoneMatrix) -> np.ndarray:
    """Normalised grey level non-uniformity (IBSI 5SPA).

    .. math:: F_{ngl.glnu.norm} = \\frac{1}{N_s^2} \\sum_{i} s_{i.}^2
    """
    return m.row_non_uniformity(normalised=True)


def dependence_count_non_uniformity(m: ZoneMatrix) -> np.ndarray:
    """Dependence count non-uniformity (IBSI Z87G).

    .. math:: F_{ngl.dcnu} = \\frac{1}{N_s} \\sum_{j} s_{.j}^2
    """
    return m.col_non_uniformity(normalised=False)


def dependence_count_non_uniformity_normalised(m: ZoneMatrix) -> np.ndarray:
    """Normalised dependence count non-uniformity (IBSI OKJI).

    .. math:: F_{ngl.dcnu.norm} = \\frac{1}{N_s^2} \\sum_{j} s_{.j}^2
    """
    return m.col_non_uniformity(normalised=True)


def dependence_count_percentage(m: ZoneMatrix) -> np.ndarray:
    """Dependence count percentage (IBSI 6XV8).

    .. math:: F_{ngl.dc.perc} = \\frac{N_s}{N_v}

    Every ROI voxel has a dependence count, so this is 1 by construction.
    """
    return m.zone_percentage()


def grey_level_variance(m: ZoneMatrix) -> np.ndarray:
    """Grey level variance (IBSI 1PFV).

    .. math::

        F_{ngl.gl.var} = \\sum_{i}\\sum_{j} (i - \\mu)^2 p_{ij},
        \\quad \\mu = \\sum_{i}\\sum_{j} i\\, p_{ij}
    """
    return m.row_variance()


def dependence_count_variance(m: ZoneMatrix) -> np.ndarray:
    """Dependence count variance (IBSI DNX2).

    .. math::

        F_{ngl.dc.var} = \\sum_{i}\\sum_{j} (j - \\mu)^2 p_{ij},
        \\quad \\mu = \\sum_{i}\\sum_{j} j\\, p_{ij}
    """
    return m.col_variance()


def dependence_count_entropy(m: ZoneMatrix) -> np.ndarray:
    """Dependence count entropy (IBSI FCBV).

    .. math:: F_{ngl.dc.entr} = -\\sum_{i}\\sum_{j} p_{ij} \\log_2 p_{ij}

    (terms with :math:`p_{ij} = 0` contribute 0).
    """
    return m.entropy()


def dependence_count_energy(m: ZoneMatrix) -> np.ndarray:
    """Dependence count energy (IBSI CAS9).

    .. math:: F_{ngl.dc.energy} = \\sum_{i}\\sum_{j} p_{ij}^2
    """
    return m.energy()


def _spec(name: str, tag: str, code: str, fn: Callable[[ZoneMatrix], np.ndarray]) -> FeatureSpec:
    return FeatureSpec(name=name, family="ngldm", ibsi_code=code, ibsi_tag=f"ngl_{tag}", compute=fn)


FEATURES: tuple[FeatureSpec, ...] = (
    _spec("low_dependence_emphasis", "lde", "SODN", low_dependence_emphasis),
    _spec("high_dependence_emphasis", "hde", "IMOQ", high_dependence_emphasis),
    _spec("low_grey_level_count_emphasis", "lgce", "TL9H", low_grey_level_count_emphasis),
    _spec("high_grey_level_count_emphasis", "hgce", "OAE7", high_grey_level_count_emphasis),
    _spec(
        "low_dependence_low_grey_level_emphasis",
        "ldlge",
        "EQ3F",
        low_dependence_low_grey_level_emphasis,
    ),
    _spec(
        "low_dependence_high_grey_level_emphasis",
        "ldhge",
        "JA6D",
        low_dependence_high_grey_level_emphasis,
    ),
    _spec(
        "high_dependence_low_grey_level_emphasis",
        "hdlge",
        "NBZI",
        high_dependence_low_grey_level_emphasis,
    ),
    _spec(
        "high_dependence_high_grey_level_emphasis",
        "hdhge",
        "9QMG",
        high_dependence_high_grey_level_emphasis,
    ),
    _spec("grey_level_non_uniformity", "glnu", "FP8K", grey_level_non_uniformity),
    _spec(
        "grey_level_non_uniformity_normalised",
        "glnu_norm",
        "5SPA",
        grey_level_non_uniformity_normalised,
    ),
    _spec("dependence_count_non_uniformity", "dcnu", "Z87G", dependence_count_non_uniformity),
    _spec(
        "dependence_count_non_uniformity_normalised",
        "dcnu_norm",
        "OKJI",
        dependence_count_non_uniformity_normalised,
    ),
    _spec("dependence_count_percentage", "dc_perc", "6XV8", dependence_count_percentage),
    _spec("grey_level_variance", "gl_var", "1PFV", grey_level_variance),
    _spec("dependence_count_variance", "dc_var", "DNX2", dependence_count_variance),
    _spec("dependence_count_entropy", "dc_entr", "FCBV", dependence_count_entropy),
    _spec("dependence_count_energy", "dc_energy", "CAS9", dependence_count_energy),
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
    distance: int = 1,
    coarseness: int = 0,
) -> list[FeatureValue]:
    """NGLDM features of a discretised ROI.

    Parameters
    ----------
    levels : ndarray of int, (z, y, x)
        Grey levels 1..``n_levels`` inside the ROI, 0 outside.
    n_levels : int
        Number of grey levels.
    spatial : sequence of {"2D", "2.5D", "3D"}
        Aggregations to compute; each value carries the suffix ``2D``, ``2_5D`` or ``3D``.
    distance : int
        Chebyshev neighbourhood distance :math:`\\delta` (IBSI default 1).
    coarseness : int
        Coarseness parameter :math:`\\alpha` (IBSI default 0): neighbours whose grey level
        differs by at most this much are dependent.

    Returns
    -------
    list of FeatureValue
        Per requested aggregation (in the order 2D, 2.5D, 3D), the features in registry
        order; ``qualifier`` holds ``"d<distance>"`` when ``distance != 1`` and
        ``"a<coarseness>"`` when ``coarseness != 0``. NaN for an empty ROI.
    """
    # the numba kernels load on first use: importing the formulas (as the pyradiomics
    # profile does) starts no compiler
    from radiomix.features._kernels_neighbourhood import (
        check_inputs,
        crop_to_roi,
        neighbourhood_size,
    )

    levels, spatial = check_inputs(levels, n_levels, spatial, distance)
    if (
        isinstance(coarseness, bool)
        or not isinstance(coarseness, int | np.integer)
        or coarseness < 0
    ):
        raise ValueError(f"coarseness must be an integer >= 0, got {coarseness!r}")
    lv = crop_to_roi(levels)
    distance, coarseness, n_levels = int(distance), int(coarseness), int(n_levels)

    per_voxel: dict[bool, np.ndarray] = {}

    def build(part: np.ndarray, two_d: bool, z: int) -> ZoneMatrix:
        if two_d not in per_voxel:
            norms = range(1, distance + 1)  # IBSI's neighbourhood: the whole box
            _, _, dep = neighbour_counts(lv, norms, two_d, coarseness, sums=False)
            assert dep is not None
            per_voxel[two_d] = dep
        dep = per_voxel[two_d][z : z + 1] if two_d else per_voxel[two_d]
        return build_matrix(part, dep, n_levels, neighbourhood_size(distance, two_d) + 1)

    results = aggregate_zone(lv, spatial, build, ZoneMatrix.merged, evaluate) if lv.size else {}
    nan = evaluate(ZoneMatrix.empty())
    parts = []
    if distance != 1:
        parts.append(f"d{distance}")
    if coarseness != 0:
        parts.append(f"a{coarseness}")
    qualifier = "_".join(parts)
    out: list[FeatureValue] = []
    for method in SPATIAL_METHODS:
        if method in spatial:
            agg = ZONE_AGGREGATIONS[method]
            out += values_from(FEATURES, results.get(agg) or nan, agg, qualifier)
    return out
