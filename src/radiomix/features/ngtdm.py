"""Neighbourhood grey tone difference matrix (NGTDM) features (IBSI 1, matrix code IPET).

For every ROI voxel ``k`` with grey level ``X_k`` the mean grey level of its neighbourhood is

.. math::

    \\bar{X}_k = \\frac{1}{W_k} \\sum_{m \\in N_\\delta(k) \\cap \\mathrm{ROI}} X_m

over the voxels within Chebyshev distance :math:`\\delta` (in-plane for 2D and 2.5D), the
centre excluded, that are inside the ROI; :math:`W_k` is their number. Voxels without any
such neighbour (:math:`W_k = 0`) are left out (IBSI's treatment of incomplete
neighbourhoods, which the digital phantom reference values confirm). The matrix has, per grey
level :math:`i`, the number :math:`n_i` of voxels kept and the sum
:math:`s_i = \\sum_{X_k = i} |i - \\bar{X}_k|`. With :math:`N_{v,c} = \\sum_i n_i`,
:math:`p_i = n_i / N_{v,c}` and :math:`N_{g,p}` the number of grey levels with
:math:`p_i > 0`, the five features follow. Sums over pairs run over grey levels with
:math:`p_i > 0` and :math:`p_j > 0`.

Aggregation (see :mod:`radiomix.features._texture`): ``2D`` per slice averaged, ``2_5D``
slice matrices summed, ``3D`` one matrix of the volume.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from radiomix.features._base import FeatureSpec, FeatureValue, values_from
from radiomix.features._kernels_neighbourhood import box_sum, check_inputs, crop_to_roi
from radiomix.features._texture import SPATIAL_METHODS, ZONE_AGGREGATIONS, aggregate_zone

__all__ = ["FEATURES", "NGTDMatrix", "build_matrix", "compute"]

COARSENESS_CAP = 1.0e6
"""Value of coarseness for a ROI without grey tone differences (IBSI convention)."""


@dataclass(frozen=True, eq=False)
class NGTDMatrix:
    """An NGTDM: voxel counts ``n`` and difference sums ``s`` per grey level 1..N_g.

    Shared intermediates are computed once, on first use.
    """

    n: np.ndarray  # float64, (N_g,)
    s: np.ndarray  # float64, (N_g,)

    @classmethod
    def empty(cls, n_levels: int) -> NGTDMatrix:
        return cls(np.zeros(n_levels), np.zeros(n_levels))

    def __add__(self, other: NGTDMatrix) -> NGTDMatrix:
        return NGTDMatrix(self.n + other.n, self.s + other.s)

    @cached_property
    def n_vc(self) -> float:
        """Number of voxels with at least one neighbour in the ROI."""
        return float(self.n.sum())

    @cached_property
    def is_empty(self) -> bool:
        return self.n_vc == 0

    @cached_property
    def present(self) -> np.ndarray:
        """Indices of the grey levels with :math:`p_i > 0`."""
        return np.flatnonzero(self.n > 0)

    @cached_property
    def n_gp(self) -> int:
        return int(self.present.size)

    @cached_property
    def i(self) -> np.ndarray:
        """Grey levels with :math:`p_i > 0`."""
        return (self.present + 1).astype(np.float64)

    @cached_property
    def p(self) -> np.ndarray:
        """:math:`p_i` of the grey levels with :math:`p_i > 0`."""
        return self.n[self.present] / self.n_vc

    @cached_property
    def s_present(self) -> np.ndarray:
        return self.s[self.present]

    @cached_property
    def s_total(self) -> float:
        return float(self.s.sum())

    @cached_property
    def ps_sum(self) -> float:
        """:math:`\\sum_i p_i s_i`."""
        return float(np.dot(self.p, self.s_present))

    @cached_property
    def diff(self) -> np.ndarray:
        """:math:`i - j` over pairs of present grey levels."""
        return self.i[:, None] - self.i[None, :]


def build_matrix(
    levels: np.ndarray, valid: np.ndarray, delta: np.ndarray, n_levels: int
) -> NGTDMatrix:
    """NGTDM from per-voxel quantities.

    Parameters
    ----------
    levels : ndarray of int
        Grey levels (0 outside the ROI).
    valid : ndarray of bool
        ROI voxels with at least one neighbour in the ROI.
    delta : ndarray of float
        :math:`|X_k - \\bar{X}_k|` (read where ``valid``).
    n_levels : int
    """
    g = levels[valid]
    n = np.bincount(g, minlength=n_levels + 1)[1 : n_levels + 1].astype(np.float64)
    s = np.bincount(g, weights=delta[valid], minlength=n_levels + 1)[1 : n_levels + 1]
    return NGTDMatrix(n, np.asarray(s, dtype=np.float64))


def neighbourhood_differences(
    levels: np.ndarray, distance: int, two_d: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Per-voxel ``valid`` mask and :math:`|X_k - \\bar{X}_k|` (0 where not valid).

    Neighbour counts and grey level sums are exact integer box sums, linear in voxels.
    """
    axes = (1, 2) if two_d else (0, 1, 2)
    roi = levels > 0
    count = box_sum(roi, distance, axes) - roi
    total = box_sum(levels, distance, axes) - levels
    valid = roi & (count > 0)
    delta = np.zeros(levels.shape, dtype=np.float64)
    delta[valid] = np.abs(levels[valid] - total[valid] / count[valid])
    return valid, delta


# --------------------------------------------------------------------------- formulas


def coarseness(m: NGTDMatrix) -> float:
    """Coarseness (IBSI QCDE).

    .. math::

        F_{ngt.coarseness} = \\frac{1}{\\sum_{i=1}^{N_g} p_i s_i}

    As in IBSI, the value is capped at :math:`10^6` (which it takes when
    :math:`\\sum_i p_i s_i = 0`, e.g. a single grey level).
    """
    if m.is_empty:
        return float("nan")
    if m.ps_sum <= 1.0 / COARSENESS_CAP:
        return COARSENESS_CAP
    return 1.0 / m.ps_sum


def contrast(m: NGTDMatrix) -> float:
    """Contrast (IBSI 65HE).

    .. math::

        F_{ngt.contrast} = \\left(\\frac{1}{N_{g,p}(N_{g,p}-1)}
        \\sum_{i}\\sum_{j} p_i p_j (i-j)^2\\right)
        \\left(\\frac{1}{N_{v,c}} \\sum_{i} s_i\\right)

    0 when only one grey level is present.
    """
    if m.is_empty:
        return float("nan")
    if m.n_gp < 2:
        return 0.0
    pp = np.outer(m.p, m.p)
    term = float(np.sum(pp * m.diff**2)) / (m.n_gp * (m.n_gp - 1))
    return term * m.s_total / m.n_vc


def busyness(m: NGTDMatrix) -> float:
    """Busyness (IBSI NQ30).

    .. math::

        F_{ngt.busyness} = \\frac{\\sum_{i} p_i s_i}{\\sum_{i}\\sum_{j} |i p_i - j p_j|},
        \\quad p_i > 0,\\ p_j > 0

    0 when the denominator is 0 (a single grey level), as in IBSI.
    """
    if m.is_empty:
        return float("nan")
    ip = m.i * m.p
    denom = float(np.sum(np.abs(ip[:, None] - ip[None, :])))
    if m.n_gp < 2 or denom == 0.0:
        return 0.0
    return m.ps_sum / denom


def complexity(m: NGTDMatrix) -> float:
    """Complexity (IBSI HDEZ).

    .. math::

        F_{ngt.complexity} = \\frac{1}{N_{v,c}} \\sum_{i}\\sum_{j} |i-j|
        \\frac{p_i s_i + p_j s_j}{p_i + p_j}, \\quad p_i > 0,\\ p_j > 0
    """
    if m.is_empty:
        return float("nan")
    ps = m.p * m.s_present
    ratio = (ps[:, None] + ps[None, :]) / (m.p[:, None] + m.p[None, :])
    return float(np.sum(np.abs(m.diff) * ratio)) / m.n_vc


def strength(m: NGTDMatrix) -> float:
    """Strength (IBSI 1X9X).

    .. math::

        F_{ngt.strength} = \\frac{\\sum_{i}\\sum_{j} (p_i + p_j)(i-j)^2}{\\sum_{i} s_i},
        \\quad p_i > 0,\\ p_j > 0

    0 when :math:`\\sum_i s_i = 0`, as in IBSI.
    """
    if m.is_empty:
        return float("nan")
    if m.s_total == 0.0:
        return 0.0
    num = float(np.sum((m.p[:, None] + m.p[None, :]) * m.diff**2))
    return num / m.s_total


def _spec(name: str, code: str, fn: Callable[[NGTDMatrix], float]) -> FeatureSpec:
    return FeatureSpec(
        name=name, family="ngtdm", ibsi_code=code, ibsi_tag=f"ngt_{name}", compute=fn
    )


FEATURES: tuple[FeatureSpec, ...] = (
    _spec("coarseness", "QCDE", coarseness),
    _spec("contrast", "65HE", contrast),
    _spec("busyness", "NQ30", busyness),
    _spec("complexity", "HDEZ", complexity),
    _spec("strength", "1X9X", strength),
)


def evaluate(m: NGTDMatrix) -> dict[str, float]:
    """All features of one matrix, by name (NaN for an empty matrix)."""
    return {spec.name: float(spec.compute(m)) for spec in FEATURES}


# --------------------------------------------------------------------------- entry point


def compute(
    levels: np.ndarray,
    n_levels: int,
    *,
    spatial: Sequence[str] = ("3D",),
    distance: int = 1,
) -> list[FeatureValue]:
    """NGTDM features of a discretised ROI.

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

    Returns
    -------
    list of FeatureValue
        Per requested aggregation (in the order 2D, 2.5D, 3D), the features in registry
        order; ``qualifier`` is ``"d<distance>"`` when ``distance != 1``. NaN where no
        voxel has a neighbour in the ROI.
    """
    levels, spatial = check_inputs(levels, n_levels, spatial, distance)
    lv = crop_to_roi(levels)
    distance = int(distance)
    n_levels = int(n_levels)

    per_voxel: dict[bool, tuple[np.ndarray, np.ndarray]] = {}

    def build(part: np.ndarray, two_d: bool, z: int) -> NGTDMatrix:
        if two_d not in per_voxel:
            per_voxel[two_d] = neighbourhood_differences(lv, distance, two_d)
        valid, delta = per_voxel[two_d]
        if two_d:
            return build_matrix(part, valid[z : z + 1], delta[z : z + 1], n_levels)
        return build_matrix(part, valid, delta, n_levels)

    def merge(ms: list[NGTDMatrix]) -> NGTDMatrix:
        out = NGTDMatrix.empty(n_levels)
        for m in ms:
            out = out + m
        return out

    results = aggregate_zone(lv, spatial, build, merge, evaluate) if lv.size else {}
    nan = evaluate(NGTDMatrix.empty(n_levels))
    qualifier = f"d{distance}" if distance != 1 else ""
    out: list[FeatureValue] = []
    for method in SPATIAL_METHODS:
        if method in spatial:
            agg = ZONE_AGGREGATIONS[method]
            out += values_from(FEATURES, results.get(agg) or nan, agg, qualifier)
    return out
