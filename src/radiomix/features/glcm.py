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
from radiomix.features._kernels_numpy import cooccurrence_entries, count_cells
from radiomix.features._texture import (
    DIRECTIONAL_AGGREGATIONS,
    SPATIAL_METHODS,
    aggregate_directional,
    unique_integers,
    use_numba_kernels,
)
from radiomix.features.glszm import check_inputs, crop_box

__all__ = [
    "FEATURES",
    "CooccurrenceMatrix",
    "build_matrices",
    "compute",
    "cooccurrence_matrices",
    "evaluate",
]


@dataclass(frozen=True)
class GlcmConventions:
    """Where the profiles' GLCM formulas differ (``docs/pyradiomics-profile.md``).

    Parameters
    ----------
    epsilon : float
        Added inside every logarithm (entropies, :math:`HXY_1`, :math:`HXY_2`) and to the
        correlation's denominator: 0 in IBSI, ``np.spacing(1)`` in PyRadiomics.
    flat_correlation : float
        Correlation when a marginal has no spread (:math:`\\sigma = 0`, one grey level):
        NaN in IBSI (undefined), 1 in PyRadiomics.
    flat_information_correlation : float
        First information correlation when :math:`HX = HY = 0`: NaN in IBSI, 0 in
        PyRadiomics.
    """

    epsilon: float = 0.0
    flat_correlation: float = float("nan")
    flat_information_correlation: float = float("nan")


IBSI = GlcmConventions()
PYRADIOMICS = GlcmConventions(float(np.spacing(1)), 1.0, 0.0)


@dataclass(frozen=True, eq=False)
class CooccurrenceMatrix:
    """A batch of sparse co-occurrence matrices.

    ``b`` (the matrix of the batch, int64), ``i``, ``j`` (grey levels, float64) and
    ``count`` hold the non-zero elements, each (b, i, j) once; a symmetric matrix stores
    both (i, j) and (j, i). ``n_levels`` is :math:`N_g` (the discretisation's; the
    ``pyradiomics`` profile gives the highest grey level present), ``n_batch`` the number of
    matrices (the directions of ``*_avg``, the kernels of a voxel map, or one). Every
    formula returns one value per matrix, shape (``n_batch``,), NaN for a matrix without
    pairs. Shared intermediates (probabilities, marginals, means, entropies) are computed
    once, on first use, and read by every formula.
    """

    b: np.ndarray
    i: np.ndarray
    j: np.ndarray
    count: np.ndarray
    n_levels: int
    n_batch: int = 1
    conventions: GlcmConventions = IBSI

    @classmethod
    def empty(cls, n_levels: int = 1, n_batch: int = 1) -> CooccurrenceMatrix:
        z = np.zeros(0, dtype=np.float64)
        return cls(np.zeros(0, dtype=np.int64), z, z, z, n_levels, n_batch)

    @classmethod
    def from_dense(
        cls,
        counts: np.ndarray,
        levels: np.ndarray,
        n_levels: int,
        conventions: GlcmConventions = IBSI,
    ) -> CooccurrenceMatrix:
        """Matrices from dense counts (B, G, G) whose rows and columns are the grey levels
        ``levels`` (G,)."""
        counts = np.asarray(counts)
        bb, gi, gj = np.nonzero(counts)
        lv = np.asarray(levels, dtype=np.float64)
        return cls(
            bb.astype(np.int64),
            lv[gi],
            lv[gj],
            counts[bb, gi, gj].astype(np.float64),
            int(n_levels),
            counts.shape[0],
            conventions,
        )

    @classmethod
    def merged(cls, matrices: Sequence[CooccurrenceMatrix]) -> CooccurrenceMatrix:
        """One matrix: the sum of every matrix of every batch (counts added)."""
        if not matrices:
            return cls.empty()
        first = matrices[0]
        width = first.n_levels + 1
        keys = np.concatenate([(m.i * width + m.j).astype(np.int64) for m in matrices])
        uniq, cnt = count_cells(keys, width**2, np.concatenate([m.count for m in matrices]))
        return cls(
            np.zeros(uniq.size, dtype=np.int64),
            (uniq // width).astype(np.float64),
            (uniq % width).astype(np.float64),
            cnt,
            first.n_levels,
            1,
            first.conventions,
        )

    def weighted(self, weights: np.ndarray) -> CooccurrenceMatrix:
        """One matrix: the batch's matrices summed with ``weights`` (one per matrix), as
        PyRadiomics' ``weightingNorm`` sums the angles' matrices."""
        width = self.n_levels + 1
        keys = (self.i * width + self.j).astype(np.int64)
        w = np.asarray(weights, dtype=np.float64)[self.b]
        uniq, cnt = count_cells(keys, width**2, self.count * w)
        return CooccurrenceMatrix(
            np.zeros(uniq.size, dtype=np.int64),
            (uniq // width).astype(np.float64),
            (uniq % width).astype(np.float64),
            cnt,
            self.n_levels,
            1,
            self.conventions,
        )

    def split(self) -> list[CooccurrenceMatrix]:
        """The batch as a list of matrices of one."""
        order = np.argsort(self.b, kind="stable")
        bounds = np.searchsorted(self.b[order], np.arange(self.n_batch + 1))
        out = []
        for k in range(self.n_batch):
            sel = order[bounds[k] : bounds[k + 1]]
            out.append(
                CooccurrenceMatrix(
                    np.zeros(sel.size, dtype=np.int64),
                    self.i[sel],
                    self.j[sel],
                    self.count[sel],
                    self.n_levels,
                    1,
                    self.conventions,
                )
            )
        return out

    def to_dense(self, levels: np.ndarray | None = None) -> np.ndarray:
        """Dense counts: (N_g, N_g) for a batch of one, else (B, N_g, N_g); row/column
        ``k`` is grey level k+1, or ``levels[k]`` when given."""
        if levels is None:
            levels = np.arange(1, self.n_levels + 1)
        pos = np.full(self.n_levels + 1, -1, dtype=np.int64)
        pos[np.asarray(levels, dtype=np.int64)] = np.arange(len(levels))
        out = np.zeros((self.n_batch, len(levels), len(levels)), dtype=np.float64)
        out[self.b, pos[self.i.astype(np.int64)], pos[self.j.astype(np.int64)]] = self.count
        return out[0] if self.n_batch == 1 else out

    # shared intermediates, one value (or row) per matrix

    def _per_matrix(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` (one per element) within each matrix, (B,)."""
        return np.bincount(self.b, weights=values, minlength=self.n_batch)

    def _grid(self, index: np.ndarray, values: np.ndarray, width: int) -> np.ndarray:
        """``values`` summed by (matrix, ``index``), (B, width)."""
        flat = self.b * width + index.astype(np.int64)
        return np.bincount(flat, weights=values, minlength=self.n_batch * width).reshape(
            self.n_batch, width
        )

    @cached_property
    def total(self) -> np.ndarray:
        return self._per_matrix(self.count)

    @cached_property
    def is_empty(self) -> np.ndarray:
        return self.total == 0

    @cached_property
    def p(self) -> np.ndarray:
        """:math:`p_{ij}` of the non-zero elements."""
        return self.count / self.total[self.b]

    @cached_property
    def p_i(self) -> np.ndarray:
        """Marginal :math:`p_{i.}` indexed by grey level (index 0 unused), (B, N_g + 1)."""
        return self._grid(self.i, self.p, self.n_levels + 1)

    @cached_property
    def p_j(self) -> np.ndarray:
        """Marginal :math:`p_{.j}` indexed by grey level, (B, N_g + 1)."""
        return self._grid(self.j, self.p, self.n_levels + 1)

    @cached_property
    def abs_diff(self) -> np.ndarray:
        """:math:`|i - j|` of the non-zero elements."""
        return np.abs(self.i - self.j)

    @cached_property
    def p_diff(self) -> np.ndarray:
        """:math:`p_{i-j,k}` for :math:`k = 0 .. N_g - 1`, (B, N_g)."""
        return self._grid(self.abs_diff, self.p, self.n_levels)

    @cached_property
    def p_sum(self) -> np.ndarray:
        """:math:`p_{i+j,k}` for :math:`k = 0 .. 2 N_g` (entries below 2 are zero)."""
        return self._grid(self.i + self.j, self.p, 2 * self.n_levels + 1)

    @cached_property
    def mu(self) -> np.ndarray:
        """:math:`\\mu_{i.} = \\sum_{ij} i\\, p_{ij}`."""
        return self._per_matrix(self.i * self.p)

    @cached_property
    def mu_j(self) -> np.ndarray:
        """:math:`\\mu_{.j} = \\sum_{ij} j\\, p_{ij}` (equal to :math:`\\mu_{i.}` when symmetric)."""
        return self._per_matrix(self.j * self.p)

    @cached_property
    def var_i(self) -> np.ndarray:
        """:math:`\\sigma_{i.}^2 = \\sum_{ij} (i - \\mu_{i.})^2 p_{ij}`."""
        return self._per_matrix((self.i - self.mu[self.b]) ** 2 * self.p)

    @cached_property
    def var_j(self) -> np.ndarray:
        """:math:`\\sigma_{.j}^2 = \\sum_{ij} (j - \\mu_{.j})^2 p_{ij}`."""
        return self._per_matrix((self.j - self.mu_j[self.b]) ** 2 * self.p)

    def entropy(self, p: np.ndarray) -> np.ndarray:
        """:math:`-\\sum p \\log_2 (p + \\epsilon)` along the last axis (zeros add nothing)."""
        pos = p > 0
        logs = np.log2(np.where(pos, p, 1.0) + self.conventions.epsilon)
        return -np.sum(np.where(pos, p * logs, 0.0), axis=-1)

    @cached_property
    def joint_entropy(self) -> np.ndarray:
        """:math:`HXY = -\\sum_{ij} p_{ij} \\log_2 p_{ij}`."""
        return -self._per_matrix(self.p * np.log2(self.p + self.conventions.epsilon))

    @cached_property
    def marginal_entropies(self) -> tuple[np.ndarray, np.ndarray]:
        """:math:`HX = -\\sum_i p_{i.} \\log_2 p_{i.}` and :math:`HY` of :math:`p_{.j}`."""
        return self.entropy(self.p_i), self.entropy(self.p_j)

    def moment(self, values: np.ndarray) -> np.ndarray:
        """:math:`\\sum_{ij} f(i, j)\\, p_{ij}` for ``values`` = f at the non-zero elements."""
        return self._valid(self._per_matrix(values * self.p))

    def _valid(self, values: np.ndarray) -> np.ndarray:
        """``values`` with NaN for the matrices without pairs."""
        return np.where(self.is_empty, np.nan, values)


def _marginal_mean(p: np.ndarray) -> np.ndarray:
    return p @ np.arange(p.shape[-1], dtype=np.float64)


# --------------------------------------------------------------------------- matrix builder


def cooccurrence_matrices(
    levels: np.ndarray,
    offsets: np.ndarray,
    n_levels: int,
    *,
    symmetric: bool = True,
    conventions: GlcmConventions = IBSI,
    numba: bool | None = None,
    present: np.ndarray | None = None,
) -> CooccurrenceMatrix:
    """The GLCMs of a ROI, one per offset: a batch of ``len(offsets)`` matrices.

    Parameters
    ----------
    levels : ndarray of int, (z, y, x)
        Grey levels 1..``n_levels`` inside the ROI, 0 outside.
    offsets : ndarray of int, (A, 3)
        Voxel offsets in (z, y, x), one matrix each
        (:func:`radiomix.features._texture.neighbour_offsets`: IBSI's
        :math:`\\delta \\mathbf{u}`, or PyRadiomics' every offset of a Chebyshev norm).
    n_levels : int
        :math:`N_g` (the ``pyradiomics`` profile gives the highest grey level present).
    symmetric : bool
        Pairs counted in both orders (IBSI; PyRadiomics' ``symmetricalGLCM``, its default).
        False: :math:`P_{\\mathbf{a}}(i, j)` counts the ROI voxels :math:`\\mathbf{x}` of
        grey level :math:`i` whose neighbour :math:`\\mathbf{x} + \\mathbf{a}` is in the
        ROI with grey level :math:`j`.
    conventions : GlcmConventions
        The formulas' conventions carried by the matrices (:data:`IBSI`, :data:`PYRADIOMICS`).
    numba : bool or None
        Count with the numba kernel (:mod:`._kernels_glcm`, dense over the levels present)
        or the NumPy one (sparse); the same counts either way, only the time differs.
        None: by the box size (:func:`radiomix.features._texture.use_numba_kernels`).
        Many levels present count with NumPy (the dense counts would not fit).
    present : ndarray of int or None
        The sorted grey levels present in the ROI, where the caller has them (else found
        here: one pass over ``levels``).

    Returns
    -------
    CooccurrenceMatrix
        A batch of ``len(offsets)`` matrices, in the order of ``offsets``; pairs count only
        where both voxels are in the ROI (an offset beyond the box gives an empty matrix).
    """
    offs = np.asarray(offsets, dtype=np.int64).reshape(-1, 3)
    if numba is None:
        numba = use_numba_kernels(levels.size)
    if present is None:
        present = np.flatnonzero(np.bincount(np.maximum(levels, 0).ravel()))
        present = present[present > 0]
    if numba and len(present) ** 2 * len(offs) <= _NUMBA_MAX_CELLS:
        from radiomix.features._kernels_glcm import cooccurrence_counts  # numba on use

        dense = cooccurrence_counts(levels, offs, present, symmetric)
        return CooccurrenceMatrix.from_dense(dense, present, n_levels, conventions)
    b, i, j, count = cooccurrence_entries(levels, offs, symmetric, present)
    return CooccurrenceMatrix(
        b, i.astype(np.float64), j.astype(np.float64), count, int(n_levels), len(offs), conventions
    )


#: the numba kernel's dense counts up to this many cells (offsets x levels present squared)
_NUMBA_MAX_CELLS = 1 << 22


def build_matrices(
    levels: np.ndarray, offsets: np.ndarray, n_levels: int, distance: int = 1
) -> list[CooccurrenceMatrix]:
    """One symmetric GLCM per direction of ``offsets`` at Chebyshev ``distance`` (IBSI):
    :func:`cooccurrence_matrices` at the offsets ``distance * offsets``, as a list."""
    offs = int(distance) * np.asarray(offsets, dtype=np.int64).reshape(-1, 3)
    return cooccurrence_matrices(levels, offs, n_levels).split()


# --------------------------------------------------------------------------- formulas


def joint_maximum(m: CooccurrenceMatrix) -> np.ndarray:
    """Joint maximum (IBSI GYBY).

    .. math::

        F_{cm.joint.max} = \\max_{ij} p_{ij}
    """
    out = np.full(m.n_batch, np.nan)
    if m.p.size:
        out[np.bincount(m.b, minlength=m.n_batch) > 0] = -np.inf
        np.maximum.at(out, m.b, m.p)
    return out


def joint_average(m: CooccurrenceMatrix) -> np.ndarray:
    """Joint average (IBSI 60VM).

    .. math::

        F_{cm.joint.avg} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} i\\, p_{ij}
    """
    return m._valid(m.mu)


def joint_variance(m: CooccurrenceMatrix) -> np.ndarray:
    """Joint variance (IBSI UR99).

    .. math::

        F_{cm.joint.var} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} (i - \\mu)^2 p_{ij},
        \\quad \\mu = \\sum_{ij} i\\, p_{ij}
    """
    return m._valid(m.var_i)


def joint_entropy(m: CooccurrenceMatrix) -> np.ndarray:
    """Joint entropy (IBSI TU9B).

    .. math::

        F_{cm.joint.entr} = -\\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} p_{ij} \\log_2 p_{ij}
    """
    return m._valid(m.joint_entropy)


def difference_average(m: CooccurrenceMatrix) -> np.ndarray:
    """Difference average (IBSI TF7R).

    .. math::

        F_{cm.diff.avg} = \\mu_{i-j} = \\sum_{k=0}^{N_g - 1} k\\, p_{i-j,k}
    """
    return m._valid(_marginal_mean(m.p_diff))


def difference_variance(m: CooccurrenceMatrix) -> np.ndarray:
    """Difference variance (IBSI D3YU).

    .. math::

        F_{cm.diff.var} = \\sum_{k=0}^{N_g - 1} (k - \\mu_{i-j})^2 p_{i-j,k}
    """
    k = np.arange(m.p_diff.shape[1], dtype=np.float64)
    avg = _marginal_mean(m.p_diff)
    return m._valid(np.sum((k[None, :] - avg[:, None]) ** 2 * m.p_diff, axis=1))


def difference_entropy(m: CooccurrenceMatrix) -> np.ndarray:
    """Difference entropy (IBSI NTRS).

    .. math::

        F_{cm.diff.entr} = -\\sum_{k=0}^{N_g - 1} p_{i-j,k} \\log_2 p_{i-j,k}
    """
    return m._valid(m.entropy(m.p_diff))


def sum_average(m: CooccurrenceMatrix) -> np.ndarray:
    """Sum average (IBSI ZGXS).

    .. math::

        F_{cm.sum.avg} = \\mu_{i+j} = \\sum_{k=2}^{2 N_g} k\\, p_{i+j,k}
    """
    return m._valid(_marginal_mean(m.p_sum))


def sum_variance(m: CooccurrenceMatrix) -> np.ndarray:
    """Sum variance (IBSI OEEB).

    .. math::

        F_{cm.sum.var} = \\sum_{k=2}^{2 N_g} (k - \\mu_{i+j})^2 p_{i+j,k}
    """
    k = np.arange(m.p_sum.shape[1], dtype=np.float64)
    avg = _marginal_mean(m.p_sum)
    return m._valid(np.sum((k[None, :] - avg[:, None]) ** 2 * m.p_sum, axis=1))


def sum_entropy(m: CooccurrenceMatrix) -> np.ndarray:
    """Sum entropy (IBSI P6QZ).

    .. math::

        F_{cm.sum.entr} = -\\sum_{k=2}^{2 N_g} p_{i+j,k} \\log_2 p_{i+j,k}
    """
    return m._valid(m.entropy(m.p_sum))


def angular_second_moment(m: CooccurrenceMatrix) -> np.ndarray:
    """Angular second moment, or energy (IBSI 8ZQL).

    .. math::

        F_{cm.energy} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} p_{ij}^2
    """
    return m.moment(m.p)


def contrast(m: CooccurrenceMatrix) -> np.ndarray:
    """Contrast (IBSI ACUI).

    .. math::

        F_{cm.contrast} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} (i - j)^2 p_{ij}
    """
    return m.moment(m.abs_diff**2)


def dissimilarity(m: CooccurrenceMatrix) -> np.ndarray:
    """Dissimilarity (IBSI 8S9J).

    .. math::

        F_{cm.dissimilarity} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} |i - j|\\, p_{ij}
    """
    return m.moment(m.abs_diff)


def inverse_difference(m: CooccurrenceMatrix) -> np.ndarray:
    """Inverse difference (IBSI IB1Z).

    .. math::

        F_{cm.inv.diff} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} \\frac{p_{ij}}{1 + |i - j|}
    """
    return m.moment(1.0 / (1.0 + m.abs_diff))


def inverse_difference_normalised(m: CooccurrenceMatrix) -> np.ndarray:
    """Normalised inverse difference (IBSI NDRX).

    .. math::

        F_{cm.inv.diff.norm} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g}
        \\frac{p_{ij}}{1 + |i - j| / N_g}
    """
    return m.moment(1.0 / (1.0 + m.abs_diff / m.n_levels))


def inverse_difference_moment(m: CooccurrenceMatrix) -> np.ndarray:
    """Inverse difference moment (IBSI WF0Z).

    .. math::

        F_{cm.inv.diff.mom} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} \\frac{p_{ij}}{1 + (i - j)^2}
    """
    return m.moment(1.0 / (1.0 + m.abs_diff**2))


def inverse_difference_moment_normalised(m: CooccurrenceMatrix) -> np.ndarray:
    """Normalised inverse difference moment (IBSI 1QCO).

    .. math::

        F_{cm.inv.diff.mom.norm} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g}
        \\frac{p_{ij}}{1 + (i - j)^2 / N_g^2}
    """
    return m.moment(1.0 / (1.0 + (m.abs_diff / m.n_levels) ** 2))


def inverse_variance(m: CooccurrenceMatrix) -> np.ndarray:
    """Inverse variance (IBSI E8JP).

    .. math::

        F_{cm.inv.var} = 2 \\sum_{i=1}^{N_g} \\sum_{j > i}^{N_g} \\frac{p_{ij}}{(i - j)^2}
        = \\sum_{k=1}^{N_g - 1} \\frac{p_{i-j,k}}{k^2}

    Zero when every pair has equal grey levels.
    """
    k = np.arange(1, m.p_diff.shape[1], dtype=np.float64)
    return m._valid(m.p_diff[:, 1:] @ (1.0 / k**2))


def correlation(m: CooccurrenceMatrix) -> np.ndarray:
    """Correlation (IBSI NI2N).

    .. math::

        F_{cm.corr} = \\frac{1}{\\sigma_{i.}\\, \\sigma_{.j}} \\left( -\\mu_{i.} \\mu_{.j} +
        \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} i\\, j\\, p_{ij} \\right)

    with :math:`\\mu_{i.} = \\sum_i i\\, p_{i.}` and
    :math:`\\sigma_{i.}^2 = \\sum_i (i - \\mu_{i.})^2 p_{i.}` (the same for :math:`.j` by
    symmetry). NaN when the ROI has a single grey level (:math:`\\sigma = 0`).
    """
    sigma = np.sqrt(m.var_i) * np.sqrt(m.var_j)
    cov = m.moment((m.i - m.mu[m.b]) * (m.j - m.mu_j[m.b]))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = cov / (sigma + m.conventions.epsilon)
    return np.where(sigma > 0, out, np.where(m.is_empty, np.nan, m.conventions.flat_correlation))


def autocorrelation(m: CooccurrenceMatrix) -> np.ndarray:
    """Autocorrelation (IBSI QWB0).

    .. math::

        F_{cm.auto.corr} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g} i\\, j\\, p_{ij}
    """
    return m.moment(m.i * m.j)


def cluster_tendency(m: CooccurrenceMatrix) -> np.ndarray:
    """Cluster tendency (IBSI DG8W).

    .. math::

        F_{cm.clust.tend} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g}
        (i + j - \\mu_{i.} - \\mu_{.j})^2 p_{ij}
    """
    return m.moment((m.i + m.j - m.mu[m.b] - m.mu_j[m.b]) ** 2)


def cluster_shade(m: CooccurrenceMatrix) -> np.ndarray:
    """Cluster shade (IBSI 7NFM).

    .. math::

        F_{cm.clust.shade} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g}
        (i + j - \\mu_{i.} - \\mu_{.j})^3 p_{ij}
    """
    return m.moment((m.i + m.j - m.mu[m.b] - m.mu_j[m.b]) ** 3)


def cluster_prominence(m: CooccurrenceMatrix) -> np.ndarray:
    """Cluster prominence (IBSI AE86).

    .. math::

        F_{cm.clust.prom} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_g}
        (i + j - \\mu_{i.} - \\mu_{.j})^4 p_{ij}
    """
    return m.moment((m.i + m.j - m.mu[m.b] - m.mu_j[m.b]) ** 4)


def information_correlation_1(m: CooccurrenceMatrix) -> np.ndarray:
    """First measure of information correlation (IBSI R8DG).

    .. math::

        F_{cm.info.corr.1} = \\frac{HXY - HXY_1}{HX}

    with :math:`HXY = -\\sum_{ij} p_{ij} \\log_2 p_{ij}`,
    :math:`HX = -\\sum_i p_{i.} \\log_2 p_{i.}` and
    :math:`HXY_1 = -\\sum_{ij} p_{ij} \\log_2 (p_{i.}\\, p_{.j})`. NaN when
    :math:`HX = 0` (a single grey level).
    """
    hx, hy = m.marginal_entropies
    pi = m.p_i[m.b, m.i.astype(np.int64)]
    pj = m.p_j[m.b, m.j.astype(np.int64)]
    hxy1 = -m._per_matrix(m.p * np.log2(pi * pj + m.conventions.epsilon))
    div = np.fmax(hx, hy)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (m.joint_entropy - hxy1) / div
    flat = np.where(m.is_empty, np.nan, m.conventions.flat_information_correlation)
    return np.where(div > 0, out, flat)


def information_correlation_2(m: CooccurrenceMatrix) -> np.ndarray:
    """Second measure of information correlation (IBSI JN9H).

    .. math::

        F_{cm.info.corr.2} = \\sqrt{1 - \\exp\\left(-2 (HXY_2 - HXY)\\right)}

    with :math:`HXY_2 = -\\sum_{ij} p_{i.}\\, p_{.j} \\log_2 (p_{i.}\\, p_{.j}) = 2\\,HX`
    (the GLCM being symmetric) and :math:`HXY` the joint entropy.
    """
    hx, hy = m.marginal_entropies
    if m.conventions.epsilon == 0:
        hxy2 = hx + hy
    else:  # summed over the pairs of levels, each log with its epsilon, as PyRadiomics does
        used = (m.p_i > 0).any(axis=0) | (m.p_j > 0).any(axis=0)
        outer = m.p_i[:, used, None] * m.p_j[:, None, used]
        hxy2 = m.entropy(outer.reshape(m.n_batch, -1))
    diff = np.maximum(hxy2 - m.joint_entropy, 0.0)
    return m._valid(np.sqrt(1.0 - np.exp(-2.0 * diff)))


def q_eigenvalues(p: np.ndarray, epsilon: float) -> np.ndarray:
    """Eigenvalues of :math:`Q_{ij} = \\sum_k p_{ik} p_{jk} / (p_{i.}\\, p_{.k} +
    \\epsilon)` for normalised matrices ``p`` (B, G, G): (B, G), complex when NumPy finds
    some eigenvalue of the batch not real."""
    px = p.sum(axis=2, keepdims=True)  # (B, G, 1)
    py = p.sum(axis=1, keepdims=True)  # (B, 1, G)
    d = p / (px * py + epsilon)  # D_ik = p_ik / (p_i. p_.k + eps); Q = D P^T
    return np.linalg.eigvals(np.matmul(d, np.swapaxes(p, 1, 2)))


def maximal_correlation_coefficient(m: CooccurrenceMatrix) -> np.ndarray:
    """Maximal correlation coefficient (not in IBSI; PyRadiomics' ``MCC``).

    .. math::

        F_{cm.mcc} = \\sqrt{\\lambda_2(Q)}, \\qquad
        Q_{ij} = \\sum_k \\frac{p_{ik}\\, p_{jk}}{p_{i.}\\, p_{.k}}

    with :math:`\\lambda_2` the second largest eigenvalue (the largest is 1); 1 when the
    matrix has a single grey level. A matrix whose eigenvalues NumPy returns as real numbers
    gives NaN for a (rounding-)negative :math:`\\lambda_2`, one with complex eigenvalues
    the real part of its square root, as PyRadiomics computes it matrix by matrix.
    """
    levels = unique_integers(np.concatenate([m.i, m.j])).astype(np.int64)
    out = np.full(m.n_batch, np.nan)
    if levels.size < 2:
        return np.where(m.is_empty, np.nan, 1.0)
    dense = m.to_dense(levels).reshape(m.n_batch, levels.size, levels.size)
    ok = ~m.is_empty
    p = dense[ok] / m.total[ok][:, None, None]
    ev = q_eigenvalues(p, m.conventions.epsilon)
    real = np.all(ev.imag == 0, axis=1)
    ev_sorted = np.sort(ev, axis=1)
    with np.errstate(invalid="ignore"):
        second = ev_sorted[:, -2]
        out[ok] = np.where(real, np.sqrt(second.real), np.sqrt(second.astype(complex)).real)
    return out


def _spec(name: str, code: str, fn: Callable[[CooccurrenceMatrix], np.ndarray]) -> FeatureSpec:
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
    """All features of a batch of one matrix, by name (NaN for an empty matrix)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return {spec.name: float(spec.compute(m)[0]) for spec in FEATURES}


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
