"""Grey level co-occurrence matrix (GLCM) features (IBSI 1, matrix code LFYI).

For a direction :math:`\\mathbf{u}` (one of the 13 unique 3D directions, or the 4 in-plane
ones for 2D and 2.5D) and a Chebyshev distance :math:`\\delta`, the GLCM element
:math:`m_{ij}` counts the pairs of ROI voxels :math:`(\\mathbf{x}, \\mathbf{x} + \\delta
\\mathbf{u})` with grey levels :math:`i` and :math:`j`. Pairs are counted in both orders, so
the matrix is symmetric. With :math:`p_{ij} = m_{ij} / \\sum_{ij} m_{ij}`, the marginals
:math:`p_{i.} = \\sum_j p_{ij}` (equal to :math:`p_{.j}` by symmetry), the diagonal and
cross-diagonal marginals

.. math::

    p_{i-j,k} = \\sum_{ij} p_{ij}\\,[k = |i - j|], \\qquad
    p_{i+j,k} = \\sum_{ij} p_{ij}\\,[k = i + j],

and :math:`N_g` the number of grey levels of the discretisation, the 25 features follow.

The matrix is kept sparse (only its non-zero elements) so that fine discretisations with
many grey levels cost memory in proportion to the pairs present, not :math:`N_g^2`.

Aggregation (see :mod:`radiomix.features._texture`): ``2D_avg``, ``2D_comb``, ``2_5D_avg``,
``2_5D_comb``, ``3D_avg``, ``3D_comb``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from radiomix.features._base import FeatureSpec, FeatureValue, values_from
from radiomix.features._texture import (
    DIRECTIONAL_AGGREGATIONS,
    SPATIAL_METHODS,
    aggregate_directional,
)
from radiomix.features.glszm import check_inputs, crop_box

__all__ = ["FEATURES", "CooccurrenceMatrix", "build_matrices", "compute", "evaluate"]

# dense counting (bincount) when the cells are few compared with the keys; sorting beyond
_DENSE_MIN_CELLS = 1 << 16


def _count_keys(
    keys: np.ndarray, weights: np.ndarray | None, n_cells: int
) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys and their summed weights (counts when ``weights`` is None)."""
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    if n_cells <= max(_DENSE_MIN_CELLS, 4 * keys.size):
        dense = np.bincount(keys, weights=weights, minlength=n_cells)
        uniq = np.flatnonzero(dense)
        return uniq, dense[uniq].astype(np.float64)
    uniq, inv = np.unique(keys, return_inverse=True)
    return uniq, np.bincount(inv, weights=weights).astype(np.float64)


@dataclass(frozen=True, eq=False)
class CooccurrenceMatrix:
    """A sparse symmetric co-occurrence matrix.

    ``i``, ``j`` (grey levels, 1-based, as float64) and ``count`` hold the non-zero elements,
    each (i, j) pair once; both (i, j) and (j, i) are stored. ``n_levels`` is :math:`N_g`.
    Shared intermediates (probabilities, marginals, means, entropies) are computed once,
    on first use, and read by every formula.
    """

    i: np.ndarray
    j: np.ndarray
    count: np.ndarray
    n_levels: int

    @classmethod
    def empty(cls, n_levels: int = 1) -> CooccurrenceMatrix:
        z = np.zeros(0, dtype=np.float64)
        return cls(z, z, z, n_levels)

    @classmethod
    def from_keys(
        cls, keys: np.ndarray, count: np.ndarray | None, n_levels: int
    ) -> CooccurrenceMatrix:
        """Matrix from (possibly repeated) keys ``i * (n_levels + 1) + j``."""
        width = n_levels + 1
        uniq, cnt = _count_keys(np.asarray(keys, dtype=np.int64), count, width * width)
        return cls(
            (uniq // width).astype(np.float64), (uniq % width).astype(np.float64), cnt, n_levels
        )

    @classmethod
    def from_pairs(cls, a: np.ndarray, b: np.ndarray, n_levels: int) -> CooccurrenceMatrix:
        """Symmetric matrix of the voxel pairs with grey levels ``a[k]``, ``b[k]``."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        width = n_levels + 1
        # count each unordered pair once (upper triangle), then mirror it
        lo = np.minimum(a, b)
        hi = np.maximum(a, b)
        uniq, cnt = _count_keys(lo * width + hi, None, width * width)
        i = uniq // width
        j = uniq % width
        off = i != j
        return cls(
            np.concatenate([i, j[off]]).astype(np.float64),
            np.concatenate([j, i[off]]).astype(np.float64),
            np.concatenate([np.where(off, cnt, 2.0 * cnt), cnt[off]]),
            n_levels,
        )

    @classmethod
    def merged(cls, matrices: Sequence[CooccurrenceMatrix]) -> CooccurrenceMatrix:
        """Sum of matrices (counts added)."""
        if not matrices:
            return cls.empty()
        n_levels = matrices[0].n_levels
        width = n_levels + 1
        keys = np.concatenate([(m.i * width + m.j).astype(np.int64) for m in matrices])
        return cls.from_keys(keys, np.concatenate([m.count for m in matrices]), n_levels)

    def to_dense(self) -> np.ndarray:
        """The full :math:`N_g \\times N_g` count matrix (row/column ``k`` = grey level k+1)."""
        out = np.zeros((self.n_levels, self.n_levels), dtype=np.float64)
        out[self.i.astype(np.int64) - 1, self.j.astype(np.int64) - 1] = self.count
        return out

    # shared intermediates

    @cached_property
    def total(self) -> float:
        return float(self.count.sum())

    @cached_property
    def is_empty(self) -> bool:
        return self.total == 0

    @cached_property
    def p(self) -> np.ndarray:
        """:math:`p_{ij}` of the non-zero elements."""
        return self.count / self.total

    @cached_property
    def p_i(self) -> np.ndarray:
        """Marginal :math:`p_{i.}` indexed by grey level (index 0 unused)."""
        return np.bincount(self.i.astype(np.int64), weights=self.p, minlength=self.n_levels + 1)

    @cached_property
    def abs_diff(self) -> np.ndarray:
        """:math:`|i - j|` of the non-zero elements."""
        return np.abs(self.i - self.j)

    @cached_property
    def p_diff(self) -> np.ndarray:
        """:math:`p_{i-j,k}` for :math:`k = 0 .. N_g - 1`."""
        return np.bincount(self.abs_diff.astype(np.int64), weights=self.p, minlength=self.n_levels)

    @cached_property
    def p_sum(self) -> np.ndarray:
        """:math:`p_{i+j,k}` for :math:`k = 0 .. 2 N_g` (entries below 2 are zero)."""
        return np.bincount(
            (self.i + self.j).astype(np.int64), weights=self.p, minlength=2 * self.n_levels + 1
        )

    @cached_property
    def mu(self) -> float:
        """:math:`\\mu_{i.} = \\sum_{ij} i\\, p_{ij}` (equal to :math:`\\mu_{.j}`)."""
        return _dot(self.i, self.p)

    @cached_property
    def var_i(self) -> float:
        """:math:`\\sigma_{i.}^2 = \\sum_{ij} (i - \\mu_{i.})^2 p_{ij}`."""
        return _dot((self.i - self.mu) ** 2, self.p)

    @cached_property
    def joint_entropy(self) -> float:
        """:math:`HXY = -\\sum_{ij} p_{ij} \\log_2 p_{ij}`."""
        return _entropy(self.p)

    @cached_property
    def marginal_entropy(self) -> float:
        """:math:`HX = -\\sum_i p_{i.} \\log_2 p_{i.}`."""
        return _entropy(self.p_i)

    def moment(self, values: np.ndarray) -> float:
        """:math:`\\sum_{ij} f(i, j)\\, p_{ij}` for ``values`` = f at the non-zero elements."""
        if self.is_empty:
            return float("nan")
        return _dot(values, self.p)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Inner product of two vectors (``np.dot`` goes through BLAS, whose thread start-up
    dominates for the vector sizes of texture matrices)."""
    return float(np.sum(a * b))


def _entropy(p: np.ndarray) -> float:
    nz = p[p > 0]
    return float(-np.sum(nz * np.log2(nz)))


def _marginal_mean(p: np.ndarray) -> float:
    return _dot(np.arange(p.size), p)


# --------------------------------------------------------------------------- matrix builder


def _pair_slices(shape: tuple[int, ...], offset: Sequence[int]) -> tuple[tuple, tuple] | None:
    """Slices (source, destination) selecting voxel x and x + offset inside ``shape``."""
    src, dst = [], []
    for n, c in zip(shape, offset, strict=True):
        c = int(c)
        if abs(c) >= n:
            return None
        if c >= 0:
            src.append(slice(0, n - c))
            dst.append(slice(c, n))
        else:
            src.append(slice(-c, n))
            dst.append(slice(0, n + c))
    return tuple(src), tuple(dst)


def build_matrices(
    levels: np.ndarray, offsets: np.ndarray, n_levels: int, distance: int = 1
) -> list[CooccurrenceMatrix]:
    """One symmetric GLCM per direction of ``offsets`` at Chebyshev ``distance``.

    Parameters
    ----------
    levels : ndarray of int, (z, y, x)
        Grey levels 1..``n_levels`` inside the ROI, 0 outside.
    offsets : ndarray of int, (n, 3)
        Unit directions in (z, y, x); the voxel offset is ``distance * offset``.
    n_levels : int
        :math:`N_g`.
    distance : int
        Chebyshev distance between the voxels of a pair.

    Returns
    -------
    list of CooccurrenceMatrix
        One per direction; pairs count only where both voxels are in the ROI.
    """
    roi = levels > 0
    out = []
    for off in np.asarray(offsets, dtype=np.int64):
        sl = _pair_slices(levels.shape, distance * off)
        if sl is None:
            out.append(CooccurrenceMatrix.empty(n_levels))
            continue
        both = roi[sl[0]] & roi[sl[1]]
        out.append(
            CooccurrenceMatrix.from_pairs(levels[sl[0]][both], levels[sl[1]][both], n_levels)
        )
    return out


# --------------------------------------------------------------------------- formulas


def joint_maximum(m: CooccurrenceMatrix) -> float:
    """Joint maximum (IBSI GYBY).

    .. math::

        F_{cm.joint.max} = \\max_{ij} p_{ij}
    """
    return float(m.p.max()) if not m.is_empty else float("nan")


def joint_average(m: CooccurrenceMatrix) -> float:
    """Joint average (IBSI 60VM).

    .. math::

        F_{cm.joint.avg} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} i\\, p_{ij}
    """
    return m.mu if not m.is_empty else float("nan")


def joint_variance(m: CooccurrenceMatrix) -> float:
    """Joint variance (IBSI UR99).

    .. math::

        F_{cm.joint.var} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} (i - \\mu)^2 p_{ij},
        \\quad \\mu = \\sum_{ij} i\\, p_{ij}
    """
    return m.var_i if not m.is_empty else float("nan")


def joint_entropy(m: CooccurrenceMatrix) -> float:
    """Joint entropy (IBSI TU9B).

    .. math::

        F_{cm.joint.entr} = -\\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} p_{ij} \\log_2 p_{ij}
    """
    return m.joint_entropy if not m.is_empty else float("nan")


def difference_average(m: CooccurrenceMatrix) -> float:
    """Difference average (IBSI TF7R).

    .. math::

        F_{cm.diff.avg} = \\mu_{i-j} = \\sum_{k=0}^{N_g - 1} k\\, p_{i-j,k}
    """
    return _marginal_mean(m.p_diff) if not m.is_empty else float("nan")


def difference_variance(m: CooccurrenceMatrix) -> float:
    """Difference variance (IBSI D3YU).

    .. math::

        F_{cm.diff.var} = \\sum_{k=0}^{N_g - 1} (k - \\mu_{i-j})^2 p_{i-j,k}
    """
    if m.is_empty:
        return float("nan")
    k = np.arange(m.p_diff.size)
    return _dot((k - _marginal_mean(m.p_diff)) ** 2, m.p_diff)


def difference_entropy(m: CooccurrenceMatrix) -> float:
    """Difference entropy (IBSI NTRS).

    .. math::

        F_{cm.diff.entr} = -\\sum_{k=0}^{N_g - 1} p_{i-j,k} \\log_2 p_{i-j,k}
    """
    return _entropy(m.p_diff) if not m.is_empty else float("nan")


def sum_average(m: CooccurrenceMatrix) -> float:
    """Sum average (IBSI ZGXS).

    .. math::

        F_{cm.sum.avg} = \\mu_{i+j} = \\sum_{k=2}^{2 N_g} k\\, p_{i+j,k}
    """
    return _marginal_mean(m.p_sum) if not m.is_empty else float("nan")


def sum_variance(m: CooccurrenceMatrix) -> float:
    """Sum variance (IBSI OEEB).

    .. math::

        F_{cm.sum.var} = \\sum_{k=2}^{2 N_g} (k - \\mu_{i+j})^2 p_{i+j,k}
    """
    if m.is_empty:
        return float("nan")
    k = np.arange(m.p_sum.size)
    return _dot((k - _marginal_mean(m.p_sum)) ** 2, m.p_sum)


def sum_entropy(m: CooccurrenceMatrix) -> float:
    """Sum entropy (IBSI P6QZ).

    .. math::

        F_{cm.sum.entr} = -\\sum_{k=2}^{2 N_g} p_{i+j,k} \\log_2 p_{i+j,k}
    """
    return _entropy(m.p_sum) if not m.is_empty else float("nan")


def angular_second_moment(m: CooccurrenceMatrix) -> float:
    """Angular second moment, or energy (IBSI 8ZQL).

    .. math::

        F_{cm.energy} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} p_{ij}^2
    """
    return m.moment(m.p)


def contrast(m: CooccurrenceMatrix) -> float:
    """Contrast (IBSI ACUI).

    .. math::

        F_{cm.contrast} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} (i - j)^2 p_{ij}
    """
    return m.moment(m.abs_diff**2)


def dissimilarity(m: CooccurrenceMatrix) -> float:
    """Dissimilarity (IBSI 8S9J).

    .. math::

        F_{cm.dissimilarity} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} |i - j|\\, p_{ij}
    """
    return m.moment(m.abs_diff)


def inverse_difference(m: CooccurrenceMatrix) -> float:
    """Inverse difference (IBSI IB1Z).

    .. math::

        F_{cm.inv.diff} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} \\frac{p_{ij}}{1 + |i - j|}
    """
    return m.moment(1.0 / (1.0 + m.abs_diff))


def inverse_difference_normalised(m: CooccurrenceMatrix) -> float:
    """Normalised inverse difference (IBSI NDRX).

    .. math::

        F_{cm.inv.diff.norm} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g}
        \\frac{p_{ij}}{1 + |i - j| / N_g}
    """
    return m.moment(1.0 / (1.0 + m.abs_diff / m.n_levels))


def inverse_difference_moment(m: CooccurrenceMatrix) -> float:
    """Inverse difference moment (IBSI WF0Z).

    .. math::

        F_{cm.inv.diff.mom} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} \\frac{p_{ij}}{1 + (i - j)^2}
    """
    return m.moment(1.0 / (1.0 + m.abs_diff**2))


def inverse_difference_moment_normalised(m: CooccurrenceMatrix) -> float:
    """Normalised inverse difference moment (IBSI 1QCO).

    .. math::

        F_{cm.inv.diff.mom.norm} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g}
        \\frac{p_{ij}}{1 + (i - j)^2 / N_g^2}
    """
    return m.moment(1.0 / (1.0 + (m.abs_diff / m.n_levels) ** 2))


def inverse_variance(m: CooccurrenceMatrix) -> float:
    """Inverse variance (IBSI E8JP).

    .. math::

        F_{cm.inv.var} = 2 \\sum_{i=1}^{N_g} \\sum_{j > i}^{N_g} \\frac{p_{ij}}{(i - j)^2}
        = \\sum_{k=1}^{N_g - 1} \\frac{p_{i-j,k}}{k^2}

    Zero when every pair has equal grey levels.
    """
    if m.is_empty:
        return float("nan")
    k = np.arange(1, m.p_diff.size, dtype=np.float64)
    return float(np.sum(m.p_diff[1:] / k**2))


def correlation(m: CooccurrenceMatrix) -> float:
    """Correlation (IBSI NI2N).

    .. math::

        F_{cm.corr} = \\frac{1}{\\sigma_{i.}\\, \\sigma_{.j}} \\left( -\\mu_{i.} \\mu_{.j} +
        \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} i\\, j\\, p_{ij} \\right)

    with :math:`\\mu_{i.} = \\sum_i i\\, p_{i.}` and
    :math:`\\sigma_{i.}^2 = \\sum_i (i - \\mu_{i.})^2 p_{i.}` (the same for :math:`.j` by
    symmetry). NaN when the ROI has a single grey level (:math:`\\sigma = 0`).
    """
    if m.is_empty or m.var_i <= 0:
        return float("nan")
    cov = _dot((m.i - m.mu) * (m.j - m.mu), m.p)
    return cov / m.var_i


def autocorrelation(m: CooccurrenceMatrix) -> float:
    """Autocorrelation (IBSI QWB0).

    .. math::

        F_{cm.auto.corr} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} i\\, j\\, p_{ij}
    """
    return m.moment(m.i * m.j)


def cluster_tendency(m: CooccurrenceMatrix) -> float:
    """Cluster tendency (IBSI DG8W).

    .. math::

        F_{cm.clust.tend} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g}
        (i + j - \\mu_{i.} - \\mu_{.j})^2 p_{ij}
    """
    return m.moment((m.i + m.j - 2.0 * m.mu) ** 2)


def cluster_shade(m: CooccurrenceMatrix) -> float:
    """Cluster shade (IBSI 7NFM).

    .. math::

        F_{cm.clust.shade} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g}
        (i + j - \\mu_{i.} - \\mu_{.j})^3 p_{ij}
    """
    return m.moment((m.i + m.j - 2.0 * m.mu) ** 3)


def cluster_prominence(m: CooccurrenceMatrix) -> float:
    """Cluster prominence (IBSI AE86).

    .. math::

        F_{cm.clust.prom} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g}
        (i + j - \\mu_{i.} - \\mu_{.j})^4 p_{ij}
    """
    return m.moment((m.i + m.j - 2.0 * m.mu) ** 4)


def information_correlation_1(m: CooccurrenceMatrix) -> float:
    """First measure of information correlation (IBSI R8DG).

    .. math::

        F_{cm.info.corr.1} = \\frac{HXY - HXY_1}{HX}

    with :math:`HXY = -\\sum_{ij} p_{ij} \\log_2 p_{ij}`,
    :math:`HX = -\\sum_i p_{i.} \\log_2 p_{i.}` and
    :math:`HXY_1 = -\\sum_{ij} p_{ij} \\log_2 (p_{i.}\\, p_{.j})`. NaN when
    :math:`HX = 0` (a single grey level).
    """
    if m.is_empty or m.marginal_entropy <= 0:
        return float("nan")
    ii = m.i.astype(np.int64)
    jj = m.j.astype(np.int64)
    hxy1 = -_dot(m.p, np.log2(m.p_i[ii] * m.p_i[jj]))
    return (m.joint_entropy - hxy1) / m.marginal_entropy


def information_correlation_2(m: CooccurrenceMatrix) -> float:
    """Second measure of information correlation (IBSI JN9H).

    .. math::

        F_{cm.info.corr.2} = \\sqrt{1 - \\exp\\left(-2 (HXY_2 - HXY)\\right)}

    with :math:`HXY_2 = -\\sum_{ij} p_{i.}\\, p_{.j} \\log_2 (p_{i.}\\, p_{.j}) = 2\\,HX`
    (the GLCM being symmetric) and :math:`HXY` the joint entropy.
    """
    if m.is_empty:
        return float("nan")
    diff = max(2.0 * m.marginal_entropy - m.joint_entropy, 0.0)
    return float(np.sqrt(1.0 - np.exp(-2.0 * diff)))


def _spec(name: str, code: str, fn: Callable[[CooccurrenceMatrix], float]) -> FeatureSpec:
    return FeatureSpec(name=name, family="glcm", ibsi_code=code, ibsi_tag=f"cm_{name}", compute=fn)


FEATURES: tuple[FeatureSpec, ...] = (
    _spec("joint_max", "GYBY", joint_maximum),
    _spec("joint_avg", "60VM", joint_average),
    _spec("joint_var", "UR99", joint_variance),
    _spec("joint_entr", "TU9B", joint_entropy),
    _spec("diff_avg", "TF7R", difference_average),
    _spec("diff_var", "D3YU", difference_variance),
    _spec("diff_entr", "NTRS", difference_entropy),
    _spec("sum_avg", "ZGXS", sum_average),
    _spec("sum_var", "OEEB", sum_variance),
    _spec("sum_entr", "P6QZ", sum_entropy),
    _spec("energy", "8ZQL", angular_second_moment),
    _spec("contrast", "ACUI", contrast),
    _spec("dissimilarity", "8S9J", dissimilarity),
    _spec("inv_diff", "IB1Z", inverse_difference),
    _spec("inv_diff_norm", "NDRX", inverse_difference_normalised),
    _spec("inv_diff_mom", "WF0Z", inverse_difference_moment),
    _spec("inv_diff_mom_norm", "1QCO", inverse_difference_moment_normalised),
    _spec("inv_var", "E8JP", inverse_variance),
    _spec("corr", "NI2N", correlation),
    _spec("auto_corr", "QWB0", autocorrelation),
    _spec("clust_tend", "DG8W", cluster_tendency),
    _spec("clust_shade", "7NFM", cluster_shade),
    _spec("clust_prom", "AE86", cluster_prominence),
    _spec("info_corr1", "R8DG", information_correlation_1),
    _spec("info_corr2", "JN9H", information_correlation_2),
)


def evaluate(m: CooccurrenceMatrix) -> dict[str, float]:
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
    """GLCM features of a discretised ROI.

    Parameters
    ----------
    levels : ndarray of int, (z, y, x)
        Grey levels 1..``n_levels`` inside the ROI, 0 outside.
    n_levels : int
        Number of grey levels :math:`N_g`.
    spatial : sequence of {"2D", "2.5D", "3D"}
        Aggregations to compute: ``2D_avg``/``2D_comb``, ``2_5D_avg``/``2_5D_comb``,
        ``3D_avg``/``3D_comb``.
    distance : int
        Chebyshev distance between paired voxels (default 1). Values for other distances
        carry the qualifier ``d<distance>``.

    Returns
    -------
    list of FeatureValue
        Per requested aggregation (in the order 2D, 2.5D, 3D; average before combined), the
        features in registry order. NaN where a matrix has no pair (e.g. an empty ROI).
    """
    check_inputs(levels, n_levels, spatial)
    if isinstance(distance, bool) or not isinstance(distance, int | np.integer) or distance < 1:
        raise ValueError(f"distance must be a positive integer, got {distance!r}")
    n_levels = int(n_levels)
    distance = int(distance)
    box = crop_box(levels > 0)
    lv = (
        np.ascontiguousarray(levels[box], dtype=np.int64)
        if box is not None
        else np.zeros((0, 0, 0), dtype=np.int64)
    )

    def build(part: np.ndarray, offsets: np.ndarray) -> list[CooccurrenceMatrix]:
        return build_matrices(part, offsets, n_levels, distance)

    results = (
        aggregate_directional(lv, tuple(spatial), build, CooccurrenceMatrix.merged, evaluate)
        if lv.size
        else {}
    )
    nan = evaluate(CooccurrenceMatrix.empty(n_levels))
    qualifier = f"d{distance}" if distance != 1 else ""
    out: list[FeatureValue] = []
    for method in SPATIAL_METHODS:
        if method in spatial:
            for agg in DIRECTIONAL_AGGREGATIONS[method]:
                out += values_from(FEATURES, results.get(agg) or nan, agg, qualifier)
    return out
