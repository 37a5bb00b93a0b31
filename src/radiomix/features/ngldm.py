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
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from radiomix.features._base import FeatureSpec, FeatureValue, values_from
from radiomix.features._kernels_neighbourhood import (
    check_inputs,
    crop_to_roi,
    dependence_counts,
    neighbourhood_size,
)
from radiomix.features._texture import SPATIAL_METHODS, ZONE_AGGREGATIONS, aggregate_zone

__all__ = ["FEATURES", "NGLDMatrix", "build_matrix", "compute"]


@dataclass(frozen=True, eq=False)
class NGLDMatrix:
    """An NGLDM: ``counts[i - 1, j - 1]`` = :math:`s_{ij}`, and the ROI voxel count.

    Shared intermediates are computed once, on first use.
    """

    counts: np.ndarray  # float64, (N_g, N_n + 1)
    n_voxels: int

    @classmethod
    def empty(cls, n_levels: int, n_dependence: int) -> NGLDMatrix:
        return cls(np.zeros((n_levels, n_dependence)), 0)

    def __add__(self, other: NGLDMatrix) -> NGLDMatrix:
        return NGLDMatrix(self.counts + other.counts, self.n_voxels + other.n_voxels)

    @cached_property
    def n_s(self) -> float:
        return float(self.counts.sum())

    @cached_property
    def is_empty(self) -> bool:
        return self.n_s == 0

    @cached_property
    def p(self) -> np.ndarray:
        return self.counts / self.n_s

    @cached_property
    def i(self) -> np.ndarray:
        """Grey levels as a column, (N_g, 1)."""
        return np.arange(1, self.counts.shape[0] + 1, dtype=np.float64)[:, None]

    @cached_property
    def j(self) -> np.ndarray:
        """Dependence counts as a row, (1, N_n + 1)."""
        return np.arange(1, self.counts.shape[1] + 1, dtype=np.float64)[None, :]

    @cached_property
    def s_i(self) -> np.ndarray:
        return self.counts.sum(axis=1)

    @cached_property
    def s_j(self) -> np.ndarray:
        return self.counts.sum(axis=0)

    @cached_property
    def mu_i(self) -> float:
        return float(np.sum(self.i * self.p))

    @cached_property
    def mu_j(self) -> float:
        return float(np.sum(self.j * self.p))


def build_matrix(
    levels: np.ndarray, dependent: np.ndarray, n_levels: int, n_dependence: int
) -> NGLDMatrix:
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
    """
    roi = levels > 0
    flat = (levels[roi] - 1) * n_dependence + dependent[roi]
    counts = np.bincount(flat, minlength=n_levels * n_dependence)
    return NGLDMatrix(
        counts.reshape(n_levels, n_dependence).astype(np.float64), int(np.count_nonzero(roi))
    )


# --------------------------------------------------------------------------- formulas

_NAN = float("nan")


def low_dependence_emphasis(m: NGLDMatrix) -> float:
    """Low dependence emphasis (IBSI SODN).

    .. math:: F_{ngl.lde} = \\frac{1}{N_s} \\sum_{i}\\sum_{j} \\frac{s_{ij}}{j^2}
    """
    return _NAN if m.is_empty else float(np.sum(m.p / m.j**2))


def high_dependence_emphasis(m: NGLDMatrix) -> float:
    """High dependence emphasis (IBSI IMOQ).

    .. math:: F_{ngl.hde} = \\frac{1}{N_s} \\sum_{i}\\sum_{j} j^2 s_{ij}
    """
    return _NAN if m.is_empty else float(np.sum(m.p * m.j**2))


def low_grey_level_count_emphasis(m: NGLDMatrix) -> float:
    """Low grey level count emphasis (IBSI TL9H).

    .. math:: F_{ngl.lgce} = \\frac{1}{N_s} \\sum_{i}\\sum_{j} \\frac{s_{ij}}{i^2}
    """
    return _NAN if m.is_empty else float(np.sum(m.p / m.i**2))


def high_grey_level_count_emphasis(m: NGLDMatrix) -> float:
    """High grey level count emphasis (IBSI OAE7).

    .. math:: F_{ngl.hgce} = \\frac{1}{N_s} \\sum_{i}\\sum_{j} i^2 s_{ij}
    """
    return _NAN if m.is_empty else float(np.sum(m.p * m.i**2))


def low_dependence_low_grey_level_emphasis(m: NGLDMatrix) -> float:
    """Low dependence low grey level emphasis (IBSI EQ3F).

    .. math:: F_{ngl.ldlge} = \\frac{1}{N_s} \\sum_{i}\\sum_{j} \\frac{s_{ij}}{i^2 j^2}
    """
    return _NAN if m.is_empty else float(np.sum(m.p / (m.i**2 * m.j**2)))


def low_dependence_high_grey_level_emphasis(m: NGLDMatrix) -> float:
    """Low dependence high grey level emphasis (IBSI JA6D).

    .. math:: F_{ngl.ldhge} = \\frac{1}{N_s} \\sum_{i}\\sum_{j} \\frac{i^2 s_{ij}}{j^2}
    """
    return _NAN if m.is_empty else float(np.sum(m.p * m.i**2 / m.j**2))


def high_dependence_low_grey_level_emphasis(m: NGLDMatrix) -> float:
    """High dependence low grey level emphasis (IBSI NBZI).

    .. math:: F_{ngl.hdlge} = \\frac{1}{N_s} \\sum_{i}\\sum_{j} \\frac{j^2 s_{ij}}{i^2}
    """
    return _NAN if m.is_empty else float(np.sum(m.p * m.j**2 / m.i**2))


def high_dependence_high_grey_level_emphasis(m: NGLDMatrix) -> float:
    """High dependence high grey level emphasis (IBSI 9QMG).

    .. math:: F_{ngl.hdhge} = \\frac{1}{N_s} \\sum_{i}\\sum_{j} i^2 j^2 s_{ij}
    """
    return _NAN if m.is_empty else float(np.sum(m.p * m.i**2 * m.j**2))


def grey_level_non_uniformity(m: NGLDMatrix) -> float:
    """Grey level non-uniformity (IBSI FP8K).

    .. math:: F_{ngl.glnu} = \\frac{1}{N_s} \\sum_{i} s_{i.}^2
    """
    return _NAN if m.is_empty else float(np.sum(m.s_i**2)) / m.n_s


def grey_level_non_uniformity_normalised(m: NGLDMatrix) -> float:
    """Normalised grey level non-uniformity (IBSI 5SPA).

    .. math:: F_{ngl.glnu.norm} = \\frac{1}{N_s^2} \\sum_{i} s_{i.}^2
    """
    return _NAN if m.is_empty else float(np.sum(m.s_i**2)) / m.n_s**2


def dependence_count_non_uniformity(m: NGLDMatrix) -> float:
    """Dependence count non-uniformity (IBSI Z87G).

    .. math:: F_{ngl.dcnu} = \\frac{1}{N_s} \\sum_{j} s_{.j}^2
    """
    return _NAN if m.is_empty else float(np.sum(m.s_j**2)) / m.n_s


def dependence_count_non_uniformity_normalised(m: NGLDMatrix) -> float:
    """Normalised dependence count non-uniformity (IBSI OKJI).

    .. math:: F_{ngl.dcnu.norm} = \\frac{1}{N_s^2} \\sum_{j} s_{.j}^2
    """
    return _NAN if m.is_empty else float(np.sum(m.s_j**2)) / m.n_s**2


def dependence_count_percentage(m: NGLDMatrix) -> float:
    """Dependence count percentage (IBSI 6XV8).

    .. math:: F_{ngl.dc.perc} = \\frac{N_s}{N_v}

    Every ROI voxel has a dependence count, so this is 1 by construction.
    """
    return _NAN if m.is_empty else m.n_s / m.n_voxels


def grey_level_variance(m: NGLDMatrix) -> float:
    """Grey level variance (IBSI 1PFV).

    .. math::

        F_{ngl.gl.var} = \\sum_{i}\\sum_{j} (i - \\mu)^2 p_{ij},
        \\quad \\mu = \\sum_{i}\\sum_{j} i\\, p_{ij}
    """
    return _NAN if m.is_empty else float(np.sum((m.i - m.mu_i) ** 2 * m.p))


def dependence_count_variance(m: NGLDMatrix) -> float:
    """Dependence count variance (IBSI DNX2).

    .. math::

        F_{ngl.dc.var} = \\sum_{i}\\sum_{j} (j - \\mu)^2 p_{ij},
        \\quad \\mu = \\sum_{i}\\sum_{j} j\\, p_{ij}
    """
    return _NAN if m.is_empty else float(np.sum((m.j - m.mu_j) ** 2 * m.p))


def dependence_count_entropy(m: NGLDMatrix) -> float:
    """Dependence count entropy (IBSI FCBV).

    .. math:: F_{ngl.dc.entr} = -\\sum_{i}\\sum_{j} p_{ij} \\log_2 p_{ij}

    (terms with :math:`p_{ij} = 0` contribute 0).
    """
    if m.is_empty:
        return _NAN
    nz = m.p[m.p > 0]
    return float(-np.sum(nz * np.log2(nz)))


def dependence_count_energy(m: NGLDMatrix) -> float:
    """Dependence count energy (IBSI CAS9).

    .. math:: F_{ngl.dc.energy} = \\sum_{i}\\sum_{j} p_{ij}^2
    """
    return _NAN if m.is_empty else float(np.sum(m.p**2))


def _spec(name: str, tag: str, code: str, fn: Callable[[NGLDMatrix], float]) -> FeatureSpec:
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


def evaluate(m: NGLDMatrix) -> dict[str, float]:
    """All features of one matrix, by name (NaN for an empty matrix)."""
    return {spec.name: float(spec.compute(m)) for spec in FEATURES}


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

    def build(part: np.ndarray, two_d: bool, z: int) -> NGLDMatrix:
        if two_d not in per_voxel:
            per_voxel[two_d] = dependence_counts(lv, distance, coarseness, two_d)
        dep = per_voxel[two_d][z : z + 1] if two_d else per_voxel[two_d]
        return build_matrix(part, dep, n_levels, neighbourhood_size(distance, two_d) + 1)

    def merge(ms: list[NGLDMatrix]) -> NGLDMatrix:
        out = ms[0]
        for m in ms[1:]:
            out = out + m
        return out

    results = aggregate_zone(lv, spatial, build, merge, evaluate) if lv.size else {}
    nan = evaluate(NGLDMatrix.empty(n_levels, 1))
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
