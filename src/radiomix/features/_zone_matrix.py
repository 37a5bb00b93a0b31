"""The count matrix of the zone-like texture families, and the formulas they share.

GLSZM (zones by grey level and size), GLDZM (zones by grey level and distance to the
edge), GLRLM (runs by grey level and length) and NGLDM (voxels by grey level and
dependence count; PyRadiomics' GLDM) all count *items* by a grey level :math:`i` (row) and
a column value :math:`j`. With :math:`s_{ij}` the counts, :math:`N_s = \\sum_{ij} s_{ij}`
the items, :math:`N_v` the voxels they come from, the marginals :math:`s_{i.}`,
:math:`s_{.j}` and :math:`p_{ij} = s_{ij} / N_s`, their features are the same handful of
formulas (emphases :math:`\\frac{1}{N_s}\\sum_{ij} i^a j^b s_{ij}`, non-uniformities,
variances, entropy, energy, :math:`N_s / N_v`), defined once here for every family, both
profiles and voxel maps.

:class:`ZoneMatrix` holds a *batch* of matrices over a leading axis: the directions of a
GLRLM (averaged afterwards, IBSI ``*_avg``), the kernels of a voxel map, or one matrix (a
batch of one). Rows and columns keep only the grey levels and column values that occur,
with their values in ``i`` and ``j``, so a zone of 10^5 voxels or a discretisation with
thousands of grey levels costs no more than the values present.

One convention differs between profiles (``docs/pyradiomics-profile.md``):
``log_epsilon`` is added inside the entropy's logarithm (PyRadiomics adds
``np.spacing(1)``; IBSI adds nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["ZoneMatrix"]


def _compress(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and each input's index among them (small non-negative
    integers, such as grey levels and dependence counts, by counting instead of sorting)."""
    v = np.asarray(values).ravel()
    if v.dtype.kind in "iu" and v.size and int(v.min()) >= 0 and int(v.max()) < 4 * v.size + 1024:
        present = np.bincount(v) > 0
        position = np.cumsum(present) - 1
        return np.flatnonzero(present).astype(np.float64), position[v]
    uniq, inv = np.unique(v, return_inverse=True)
    return uniq.astype(np.float64), inv.ravel()


@dataclass(frozen=True, eq=False)
class ZoneMatrix:
    """A batch of zone-like count matrices.

    Parameters
    ----------
    counts : ndarray of float64, (B, G, J)
        :math:`s_{ij}` of each matrix of the batch.
    i : ndarray of float64, (G,)
        The grey level of each row.
    j : ndarray of float64, (J,)
        The column value (zone size, distance, run length, dependence count) of each column.
    n_voxels : ndarray of float64, (B,)
        :math:`N_v` of each matrix.
    log_epsilon : float
        Added inside the entropy's logarithm (0 in IBSI, ``np.spacing(1)`` in PyRadiomics).

    Every formula returns one value per matrix, shape (B,), NaN for an empty matrix
    (:math:`N_s = 0`). Shared intermediates are computed once, on first use.
    """

    counts: np.ndarray
    i: np.ndarray
    j: np.ndarray
    n_voxels: np.ndarray
    log_epsilon: float = 0.0

    # ------------------------------------------------------------------ construction

    @classmethod
    def empty(cls, n_batch: int = 1, log_epsilon: float = 0.0) -> ZoneMatrix:
        """A batch of empty matrices (every feature NaN)."""
        z = np.zeros(0, dtype=np.float64)
        return cls(np.zeros((n_batch, 0, 0)), z, z, np.zeros(n_batch), log_epsilon)

    @classmethod
    def from_entries(
        cls,
        i: np.ndarray,
        j: np.ndarray,
        count: np.ndarray,
        n_voxels: float | np.ndarray,
        *,
        batch: np.ndarray | None = None,
        n_batch: int = 1,
        log_epsilon: float = 0.0,
    ) -> ZoneMatrix:
        """Matrices from (grey level, column value, count) entries; repeats are added.

        ``batch`` gives each entry's matrix (0 .. ``n_batch`` - 1); None puts every entry
        in one matrix.
        """
        i = np.asarray(i).ravel()
        if i.size == 0:
            out = cls.empty(n_batch, log_epsilon)
            return cls(out.counts, out.i, out.j, _per_batch(n_voxels, n_batch), log_epsilon)
        iv, ri = _compress(i)
        jv, rj = _compress(np.asarray(j).ravel())
        b = np.zeros(i.size, dtype=np.int64) if batch is None else np.asarray(batch).ravel()
        flat = (b * len(iv) + ri) * len(jv) + rj
        dense = np.bincount(
            flat,
            weights=np.asarray(count, dtype=np.float64).ravel(),
            minlength=n_batch * len(iv) * len(jv),
        )
        return cls(
            dense.reshape(n_batch, len(iv), len(jv)),
            iv,
            jv,
            _per_batch(n_voxels, n_batch),
            log_epsilon,
        )

    @classmethod
    def from_dense(
        cls,
        counts: np.ndarray,
        i: np.ndarray,
        j: np.ndarray,
        n_voxels: float | np.ndarray,
        *,
        log_epsilon: float = 0.0,
    ) -> ZoneMatrix:
        """Matrices from dense counts (B, G, J) with row values ``i`` and column values
        ``j``; rows and columns empty in every matrix of the batch are dropped."""
        counts = np.asarray(counts, dtype=np.float64)
        rows = counts.any(axis=(0, 2))
        cols = counts.any(axis=(0, 1))
        if not (rows.all() and cols.all()):
            counts = counts[:, rows][:, :, cols]
        return cls(
            counts,
            np.asarray(i, dtype=np.float64)[rows],
            np.asarray(j, dtype=np.float64)[cols],
            _per_batch(n_voxels, counts.shape[0]),
            log_epsilon,
        )

    @classmethod
    def merged(cls, matrices: Sequence[ZoneMatrix]) -> ZoneMatrix:
        """One matrix: the sum of every matrix of every batch (counts and :math:`N_v`
        added), as IBSI merges matrices (``*_comb``, ``2_5D``)."""
        if not matrices:
            return cls.empty()
        parts = [m.entries() for m in matrices]
        return cls.from_entries(
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
            float(sum(float(m.n_voxels.sum()) for m in matrices)),
            log_epsilon=matrices[0].log_epsilon,
        )

    def weighted(self, weights: np.ndarray) -> ZoneMatrix:
        """One matrix: the batch's matrices (counts and :math:`N_v`) summed with ``weights``
        (one per matrix), as PyRadiomics' ``weightingNorm`` sums the angles' matrices."""
        w = np.asarray(weights, dtype=np.float64)
        return ZoneMatrix(
            np.tensordot(w, self.counts, axes=(0, 0))[None],
            self.i,
            self.j,
            np.array([w @ self.n_voxels]),
            self.log_epsilon,
        )

    def entries(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The non-zero elements as (grey level, column value, count), over the batch."""
        _, gi, cj = np.nonzero(self.counts)
        return self.i[gi], self.j[cj], self.counts[self.counts != 0]

    def split(self) -> list[ZoneMatrix]:
        """The batch as a list of matrices of one."""
        return [
            ZoneMatrix(
                self.counts[k : k + 1], self.i, self.j, self.n_voxels[k : k + 1], self.log_epsilon
            )
            for k in range(self.counts.shape[0])
        ]

    # ------------------------------------------------------------------ intermediates

    @cached_property
    def n_zones(self) -> np.ndarray:
        """:math:`N_s` per matrix, (B,)."""
        return self.counts.sum(axis=(1, 2))

    @cached_property
    def _norm(self) -> np.ndarray:
        """:math:`1 / N_s` per matrix, NaN where empty."""
        n = self.n_zones
        return np.divide(1.0, n, out=np.full(n.shape, np.nan), where=n > 0)

    @cached_property
    def row_sums(self) -> np.ndarray:
        """:math:`s_{i.}`, (B, G)."""
        return self.counts.sum(axis=2)

    @cached_property
    def col_sums(self) -> np.ndarray:
        """:math:`s_{.j}`, (B, J)."""
        return self.counts.sum(axis=1)

    @cached_property
    def mu_i(self) -> np.ndarray:
        """:math:`\\mu_i = \\sum_{ij} i\\, p_{ij}`, (B,)."""
        return (self.row_sums @ self.i) * self._norm

    @cached_property
    def mu_j(self) -> np.ndarray:
        """:math:`\\mu_j = \\sum_{ij} j\\, p_{ij}`, (B,)."""
        return (self.col_sums @ self.j) * self._norm

    @cached_property
    def p(self) -> np.ndarray:
        """:math:`p_{ij}`, (B, G, J) (NaN for an empty matrix)."""
        return self.counts * self._norm[:, None, None]

    # ------------------------------------------------------------------ formulas

    def emphasis(self, a: float, b: float) -> np.ndarray:
        """:math:`\\frac{1}{N_s}\\sum_{ij} s_{ij}\\, i^a j^b`."""
        if b == 0:
            s = self.row_sums @ self.i**a
        elif a == 0:
            s = self.col_sums @ self.j**b
        else:
            w = self.i[:, None] ** a * self.j[None, :] ** b
            s = np.einsum("bgj,gj->b", self.counts, w)
        return s * self._norm

    def row_non_uniformity(self, normalised: bool) -> np.ndarray:
        """:math:`\\frac{1}{N_s}\\sum_i s_{i.}^2` (divided by :math:`N_s` again when
        ``normalised``)."""
        s = np.sum(self.row_sums**2, axis=1) * self._norm
        return s * self._norm if normalised else s

    def col_non_uniformity(self, normalised: bool) -> np.ndarray:
        """:math:`\\frac{1}{N_s}\\sum_j s_{.j}^2` (divided by :math:`N_s` again when
        ``normalised``)."""
        s = np.sum(self.col_sums**2, axis=1) * self._norm
        return s * self._norm if normalised else s

    def zone_percentage(self) -> np.ndarray:
        """:math:`N_s / N_v` (NaN when either is 0)."""
        nv = self.n_voxels
        ok = (nv > 0) & (self.n_zones > 0)
        return np.divide(self.n_zones, nv, out=np.full(nv.shape, np.nan), where=ok)

    def row_variance(self) -> np.ndarray:
        """:math:`\\sum_{ij} (i - \\mu_i)^2 p_{ij}`."""
        d = (self.i[None, :] - self.mu_i[:, None]) ** 2
        return np.sum(self.row_sums * d, axis=1) * self._norm

    def col_variance(self) -> np.ndarray:
        """:math:`\\sum_{ij} (j - \\mu_j)^2 p_{ij}`."""
        d = (self.j[None, :] - self.mu_j[:, None]) ** 2
        return np.sum(self.col_sums * d, axis=1) * self._norm

    def entropy(self) -> np.ndarray:
        """:math:`-\\sum_{ij} p_{ij} \\log_2 (p_{ij} + \\epsilon)` (terms with
        :math:`p_{ij} = 0` contribute 0; :math:`\\epsilon` = ``log_epsilon``)."""
        p = self.p
        pos = p > 0
        logs = np.log2(np.where(pos, p, 1.0) + self.log_epsilon)
        out = -np.sum(np.where(pos, p * logs, 0.0), axis=(1, 2))
        return np.where(self.n_zones > 0, out, np.nan)

    def energy(self) -> np.ndarray:
        """:math:`\\sum_{ij} p_{ij}^2`."""
        return np.sum(self.counts**2, axis=(1, 2)) * self._norm**2


def _per_batch(n_voxels: float | np.ndarray, n_batch: int) -> np.ndarray:
    out = np.asarray(n_voxels, dtype=np.float64)
    return np.broadcast_to(out, (n_batch,)).copy() if out.ndim == 0 else out.reshape(n_batch)
