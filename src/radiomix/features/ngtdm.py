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
from radiomix.features._texture import (
    SPATIAL_METHODS,
    ZONE_AGGREGATIONS,
    aggregate_zone,
    neighbour_counts,
    unique_integers,
)

__all__ = ["FEATURES", "NGTDMatrix", "build_matrix", "compute"]

COARSENESS_CAP = 1.0e6
"""Value of coarseness for a ROI without grey tone differences (IBSI convention)."""


@dataclass(frozen=True, eq=False)
class NGTDMatrix:
    """A batch of NGTDMs: voxel counts ``n`` (B, G) and difference sums ``s`` (B, G) of the
    grey levels ``i`` (G,).

    ``coarseness_floor``: coarseness is :data:`COARSENESS_CAP` when
    :math:`\\sum_i p_i s_i` is at most this (IBSI: :math:`10^{-6}`, so the value never
    exceeds the cap; PyRadiomics: 0, only when the sum vanishes). Every formula returns one
    value per matrix, (B,), NaN for a matrix without voxels. Shared intermediates are
    computed once, on first use.
    """

    n: np.ndarray
    s: np.ndarray
    i: np.ndarray
    coarseness_floor: float = 1.0 / COARSENESS_CAP

    @classmethod
    def empty(cls, n_levels: int = 1) -> NGTDMatrix:
        return cls.from_dense(np.zeros((1, n_levels)), np.zeros((1, n_levels)), n_levels)

    @classmethod
    def from_dense(
        cls,
        n: np.ndarray,
        s: np.ndarray,
        levels: np.ndarray | int,
        coarseness_floor: float = 1.0 / COARSENESS_CAP,
    ) -> NGTDMatrix:
        """Matrices from per-level counts and sums (B, G); ``levels`` the grey level of
        each column (an int N_g: levels 1..N_g). Levels with no voxel in any matrix of the
        batch are dropped."""
        if isinstance(levels, int | np.integer):
            levels = np.arange(1, int(levels) + 1)
        n = np.asarray(n, dtype=np.float64)
        keep = n.any(axis=0)
        return cls(
            n[:, keep],
            np.asarray(s, dtype=np.float64)[:, keep],
            np.asarray(levels, dtype=np.float64)[keep],
            coarseness_floor,
        )

    @classmethod
    def merged(cls, matrices: Sequence[NGTDMatrix]) -> NGTDMatrix:
        """One matrix: the sum of every matrix (counts and sums added by grey level)."""
        if not matrices:
            return cls.empty()
        levels = unique_integers(np.concatenate([m.i for m in matrices]))
        n = np.zeros((1, levels.size))
        s = np.zeros((1, levels.size))
        for m in matrices:
            pos = np.searchsorted(levels, m.i)
            np.add.at(n[0], pos, m.n.sum(axis=0))
            np.add.at(s[0], pos, m.s.sum(axis=0))
        return cls(n, s, levels, matrices[0].coarseness_floor)

    @cached_property
    def n_vc(self) -> np.ndarray:
        """Number of voxels counted, (B,)."""
        return self.n.sum(axis=1)

    @cached_property
    def is_empty(self) -> np.ndarray:
        return self.n_vc == 0

    @cached_property
    def p(self) -> np.ndarray:
        """:math:`p_i`, (B, G) (NaN rows for empty matrices)."""
        with np.errstate(invalid="ignore"):
            return self.n / self.n_vc[:, None]

    @cached_property
    def present(self) -> np.ndarray:
        """:math:`p_i > 0`, (B, G)."""
        return self.n > 0

    @cached_property
    def pairs(self) -> np.ndarray:
        """Pairs of grey levels both present, (B, G, G)."""
        return self.present[:, :, None] & self.present[:, None, :]

    @cached_property
    def n_gp(self) -> np.ndarray:
        """:math:`N_{g,p}`, (B,)."""
        return self.present.sum(axis=1)

    @cached_property
    def s_total(self) -> np.ndarray:
        return self.s.sum(axis=1)

    @cached_property
    def ps_sum(self) -> np.ndarray:
        """:math:`\\sum_i p_i s_i`, (B,)."""
        return np.sum(np.where(self.present, self.p * self.s, 0.0), axis=1)

    @cached_property
    def diff(self) -> np.ndarray:
        """:math:`i - j` over pairs of grey levels, (G, G)."""
        return self.i[:, None] - self.i[None, :]

    @cached_property
    def _p0(self) -> np.ndarray:
        """:math:`p_i` with 0 for the levels absent (and for empty matrices)."""
        return np.where(self.present, self.p, 0.0)

    def _valid(self, values: np.ndarray) -> np.ndarray:
        return np.where(self.is_empty, np.nan, values)


def build_matrix(
    levels: np.ndarray,
    valid: np.ndarray,
    delta: np.ndarray,
    n_levels: int,
    *,
    count_isolated: bool = False,
    coarseness_floor: float = 1.0 / COARSENESS_CAP,
) -> NGTDMatrix:
    """NGTDM from per-voxel quantities.

    Parameters
    ----------
    levels : ndarray of int
        Grey levels (0 outside the ROI).
    valid : ndarray of bool
        ROI voxels with at least one neighbour in the ROI.
    delta : ndarray of float
        :math:`|X_k - \\bar{X}_k|` where ``valid``, 0 elsewhere.
    n_levels : int
    count_isolated : bool
        Whether the ROI voxels without a neighbour in the ROI count in :math:`n_i` (and so
        in :math:`p_i` and :math:`N_{v,c}`): False in IBSI (they are left out), True in
        PyRadiomics (every ROI voxel counts; :math:`s_i` is the same either way).
    coarseness_floor : float
        :attr:`NGTDMatrix.coarseness_floor`.
    """
    counted = levels.ravel() if count_isolated else levels[valid]  # (0: outside the ROI)
    n = np.bincount(counted, minlength=n_levels + 1)[1 : n_levels + 1].astype(np.float64)
    s = np.bincount(levels.ravel(), weights=delta.ravel(), minlength=n_levels + 1)
    s = s[1 : n_levels + 1]
    return NGTDMatrix.from_dense(n[None], s[None], n_levels, coarseness_floor)


def neighbourhood_differences(
    levels: np.ndarray, distance: int, two_d: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Per-voxel ``valid`` mask and :math:`|X_k - \\bar{X}_k|` (0 where not valid), over
    the neighbourhood of Chebyshev distance ``distance`` (norms 1..``distance``,
    :func:`radiomix.features._texture.neighbour_counts`: exact integer box sums)."""
    count, total, _ = neighbour_counts(levels, range(1, int(distance) + 1), two_d)
    assert count is not None and total is not None
    valid = (levels > 0) & (count > 0)
    delta = np.zeros(levels.shape, dtype=np.float64)
    delta[valid] = np.abs(levels[valid] - total[valid] / count[valid])
    return valid, delta


# --------------------------------------------------------------------------- formulas


def coarseness(m: NGTDMatrix) -> np.ndarray:
    """Coarseness (IBSI QCDE).

    .. math::

        F_{ngt.coarseness} = \\frac{1}{\\sum_{i=1}^{N_g} p_i s_i}

    As in IBSI, the value is capped at :math:`10^6` (which it takes when
    :math:`\\sum_i p_i s_i = 0`, e.g. a single grey level): it is :math:`10^6` when the sum
    is at most ``coarseness_floor``, :math:`10^{-6}` in IBSI; the ``pyradiomics`` profile
    sets the floor to 0, so its coarseness is 1e6 when the sum is 0 and may exceed 1e6.
    """
    with np.errstate(divide="ignore"):
        inv = 1.0 / m.ps_sum
    return m._valid(np.where(m.ps_sum <= m.coarseness_floor, COARSENESS_CAP, inv))


def contrast(m: NGTDMatrix) -> np.ndarray:
    """Contrast (IBSI 65HE).

    .. math::

        F_{ngt.contrast} = \\left(\\frac{1}{N_{g,p}(N_{g,p}-1)}
        \\sum_{i}\\sum_{j} p_i p_j (i-j)^2\\right)
        \\left(\\frac{1}{N_{v,c}} \\sum_{i} s_i\\right)

    0 when only one grey level is present.
    """
    pp = m._p0[:, :, None] * m._p0[:, None, :]
    term = np.sum(pp * m.diff**2, axis=(1, 2))
    div = m.n_gp * (m.n_gp - 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = term / div * m.s_total / m.n_vc
    return m._valid(np.where(div > 0, out, 0.0))


def busyness(m: NGTDMatrix) -> np.ndarray:
    """Busyness (IBSI NQ30).

    .. math::

        F_{ngt.busyness} = \\frac{\\sum_{i} p_i s_i}{\\sum_{i}\\sum_{j} |i p_i - j p_j|},
        \\quad p_i > 0,\\ p_j > 0

    0 when the denominator is 0 (a single grey level), as in IBSI.
    """
    ip = m.i[None, :] * m._p0
    denom = np.sum(np.where(m.pairs, np.abs(ip[:, :, None] - ip[:, None, :]), 0.0), axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = m.ps_sum / denom
    return m._valid(np.where((m.n_gp >= 2) & (denom != 0), out, 0.0))


def complexity(m: NGTDMatrix) -> np.ndarray:
    """Complexity (IBSI HDEZ).

    .. math::

        F_{ngt.complexity} = \\frac{1}{N_{v,c}} \\sum_{i}\\sum_{j} |i-j|
        \\frac{p_i s_i + p_j s_j}{p_i + p_j}, \\quad p_i > 0,\\ p_j > 0
    """
    ps = m._p0 * m.s
    den = m._p0[:, :, None] + m._p0[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (ps[:, :, None] + ps[:, None, :]) / den
    total = np.sum(np.where(m.pairs, np.abs(m.diff) * ratio, 0.0), axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        return m._valid(total / m.n_vc)


def strength(m: NGTDMatrix) -> np.ndarray:
    """Strength (IBSI 1X9X).

    .. math::

        F_{ngt.strength} = \\frac{\\sum_{i}\\sum_{j} (p_i + p_j)(i-j)^2}{\\sum_{i} s_i},
        \\quad p_i > 0,\\ p_j > 0

    0 when :math:`\\sum_i s_i = 0`, as in IBSI.
    """
    pp = m._p0[:, :, None] + m._p0[:, None, :]
    num = np.sum(np.where(m.pairs, pp * m.diff**2, 0.0), axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / m.s_total
    return m._valid(np.where(m.s_total != 0, out, 0.0))


def _spec(name: str, code: str, fn: Callable[[NGTDMatrix], np.ndarray]) -> FeatureSpec:
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
    """All features of a batch of one matrix, by name (NaN for an empty matrix)."""
    return {spec.name: float(spec.compute(m)[0]) for spec in FEATURES}


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
    from radiomix.features._kernels_neighbourhood import check_inputs, crop_to_roi

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

    results = aggregate_zone(lv, spatial, build, NGTDMatrix.merged, evaluate) if lv.size else {}
    nan = evaluate(NGTDMatrix.empty(n_levels))
    qualifier = f"d{distance}" if distance != 1 else ""
    out: list[FeatureValue] = []
    for method in SPATIAL_METHODS:
        if method in spatial:
            agg = ZONE_AGGREGATIONS[method]
            out += values_from(FEATURES, results.get(agg) or nan, agg, qualifier)
    return out
