"""Intensity histogram features (IBSI 1, family code ZVCW).

The features describe the discretised grey levels :math:`X_d` of the :math:`N_v` ROI voxels,
taking values :math:`i = 1, \\ldots, N_g`. The histogram has :math:`n_i` voxels at grey
level :math:`i` and probabilities :math:`p_i = n_i / N_v`; :math:`\\mu` and :math:`\\sigma`
are the mean and (population) standard deviation of :math:`X_d`, :math:`P_q` its
:math:`q`-th percentile (linear interpolation between order statistics, as NumPy's default
``"linear"`` method and as for the intensity statistics).

Everything is computed from the histogram :math:`n_i` (one ``bincount`` pass over the voxels),
so the cost is linear in the ROI voxels plus :math:`O(N_g)`.

Degenerate inputs: an empty ROI gives NaN everywhere; :math:`N_g = 1` leaves the histogram
gradient undefined (NaN for the four gradient features); a single grey level present has
skewness and kurtosis 0 (:math:`\\sigma = 0`, as IBSI specifies).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from radiomix.features._base import FeatureSpec, FeatureValue, values_from

__all__ = ["FEATURES", "GreyLevelHistogram", "build_histogram", "compute"]

_NAN = float("nan")


@dataclass(frozen=True, eq=False)
class GreyLevelHistogram:
    """Voxel counts :math:`n_i` per grey level :math:`i = 1..N_g` of a batch of ROIs (one
    row each; the kernels of a voxel map, or one ROI), and shared intermediates.

    ``epsilon`` is added inside the entropy's logarithm (0 in IBSI, ``np.spacing(1)`` in
    PyRadiomics). Every formula returns one value per row, (B,), NaN for an empty row;
    every intermediate is computed once, on first use.
    """

    counts: np.ndarray  # float64, (B, N_g)
    epsilon: float = 0.0

    @cached_property
    def n_levels(self) -> int:
        return int(self.counts.shape[1])

    @cached_property
    def n_voxels(self) -> np.ndarray:
        return self.counts.sum(axis=1)

    @cached_property
    def is_empty(self) -> np.ndarray:
        return self.n_voxels == 0

    @cached_property
    def i(self) -> np.ndarray:
        """Grey levels :math:`1..N_g` (float64)."""
        return np.arange(1, self.n_levels + 1, dtype=np.float64)

    @cached_property
    def p(self) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return self.counts / self.n_voxels[:, None]

    @cached_property
    def mean(self) -> np.ndarray:
        return self.p @ self.i

    @cached_property
    def centred(self) -> np.ndarray:
        """:math:`i - \\mu` per row and grey level."""
        return self.i[None, :] - self.mean[:, None]

    @cached_property
    def m2(self) -> np.ndarray:
        return np.sum(self.p * self.centred**2, axis=1)

    @cached_property
    def m3(self) -> np.ndarray:
        return np.sum(self.p * self.centred**3, axis=1)

    @cached_property
    def m4(self) -> np.ndarray:
        return np.sum(self.p * self.centred**4, axis=1)

    @cached_property
    def percentiles(self) -> dict[int, np.ndarray]:
        """:math:`P_{10}, P_{25}, P_{50}, P_{75}, P_{90}`, by linear interpolation between
        order statistics (NumPy ``linear``)."""
        qs = (10, 25, 50, 75, 90)
        rows = np.array([_row_percentiles(c, qs) for c in self.counts]).reshape(-1, len(qs))
        return {q: rows[:, k] for k, q in enumerate(qs)}

    @cached_property
    def present_range(self) -> tuple[np.ndarray, np.ndarray]:
        """Lowest and highest grey level present per row (NaN for empty rows)."""
        has = self.counts > 0
        lo = np.argmax(has, axis=1) + 1.0
        hi = self.n_levels - np.argmax(has[:, ::-1], axis=1) + 0.0
        return self.valid(lo), self.valid(hi)

    @cached_property
    def gradient(self) -> np.ndarray:
        """Histogram gradient :math:`H'_i` (see :func:`maximum_histogram_gradient`)."""
        return np.gradient(self.counts, axis=1)

    def valid(self, values: np.ndarray) -> np.ndarray:
        """``values`` with NaN for the empty rows."""
        return np.where(self.is_empty, np.nan, values)


def _row_percentiles(counts: np.ndarray, qs: Sequence[int]) -> list[float]:
    """Percentiles of one row's voxels from its histogram (NaN when empty)."""
    n = float(counts.sum())
    if n == 0:
        return [_NAN] * len(qs)
    cumulative = np.cumsum(counts.astype(np.int64))
    out = []
    for q in qs:
        h = (n - 1.0) * q / 100.0
        lo = np.floor(h)
        hi = min(lo + 1.0, n - 1.0)
        k = np.array([lo, hi], dtype=np.int64)
        x_lo, x_hi = np.searchsorted(cumulative, k, side="right").astype(np.float64) + 1.0
        out.append(float(x_lo + (h - lo) * (x_hi - x_lo)))
    return out


def build_histogram(levels: np.ndarray, n_levels: int) -> GreyLevelHistogram:
    """Histogram :math:`n_i` of ``levels`` (ints in ``1..n_levels``) over ``1..n_levels``,
    as a batch of one."""
    counts = np.bincount(levels, minlength=n_levels + 1)[1 : n_levels + 1]
    return GreyLevelHistogram(counts.astype(np.float64)[None, :])


# --------------------------------------------------------------------------- formulas


def mean(h: GreyLevelHistogram) -> np.ndarray:
    """Mean discretised grey level (IBSI X6K6).

    .. math::

        F_{ih.mean} = \\sum_{i=1}^{N_g} i\\, p_i
    """
    return h.valid(h.mean)


def variance(h: GreyLevelHistogram) -> np.ndarray:
    """Variance (IBSI CH89), the population variance.

    .. math::

        F_{ih.var} = \\sum_{i=1}^{N_g} (i - \\mu)^2 p_i
    """
    return h.valid(h.m2)


def skewness(h: GreyLevelHistogram) -> np.ndarray:
    """Skewness (IBSI 88K1).

    .. math::

        F_{ih.skew} = \\frac{\\sum_i (i - \\mu)^3 p_i}{\\left(\\sum_i (i-\\mu)^2 p_i\\right)^{3/2}}

    0 when :math:`\\sigma = 0`.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return h.valid(np.where(h.m2 > 0, h.m3 / h.m2**1.5, 0.0))


def kurtosis(h: GreyLevelHistogram) -> np.ndarray:
    """(Excess) kurtosis (IBSI C3I7).

    .. math::

        F_{ih.kurt} = \\frac{\\sum_i (i - \\mu)^4 p_i}{\\left(\\sum_i (i-\\mu)^2 p_i\\right)^{2}} - 3

    0 when :math:`\\sigma = 0`.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return h.valid(np.where(h.m2 > 0, h.m4 / (h.m2 * h.m2) - 3.0, 0.0))


def median(h: GreyLevelHistogram) -> np.ndarray:
    """Median discretised grey level (IBSI WIFQ): :math:`F_{ih.median} = P_{50}(X_d)`."""
    return h.percentiles[50]


def minimum(h: GreyLevelHistogram) -> np.ndarray:
    """Minimum discretised grey level (IBSI 1PR8): :math:`F_{ih.min} = \\min(X_d)`."""
    return h.present_range[0]


def percentile_10(h: GreyLevelHistogram) -> np.ndarray:
    """10th percentile (IBSI GPMT): :math:`F_{ih.P10} = P_{10}(X_d)`."""
    return h.percentiles[10]


def percentile_90(h: GreyLevelHistogram) -> np.ndarray:
    """90th percentile (IBSI OZ0C): :math:`F_{ih.P90} = P_{90}(X_d)`."""
    return h.percentiles[90]


def maximum(h: GreyLevelHistogram) -> np.ndarray:
    """Maximum discretised grey level (IBSI 3NCY): :math:`F_{ih.max} = \\max(X_d)`."""
    return h.present_range[1]


def mode(h: GreyLevelHistogram) -> np.ndarray:
    """Mode (IBSI AMMC): the grey level :math:`i` with the largest count :math:`n_i`.

    .. math::

        F_{ih.mode} = \\arg\\max_i n_i

    When several grey levels share the largest count, the one closest to the mean
    :math:`\\mu` is chosen; of two equally close, the lower one (IBSI).
    """
    top = h.counts == h.counts.max(axis=1, keepdims=True)
    dist = np.where(top, np.abs(h.i[None, :] - h.mean[:, None]), np.inf)
    return h.valid(np.argmin(dist, axis=1) + 1.0)  # argmin: the lower of two equally close


def interquartile_range(h: GreyLevelHistogram) -> np.ndarray:
    """Interquartile range (IBSI WR0O).

    .. math::

        F_{ih.iqr} = P_{75} - P_{25}
    """
    return h.percentiles[75] - h.percentiles[25]


def range_(h: GreyLevelHistogram) -> np.ndarray:
    """Range (IBSI 5Z3W).

    .. math::

        F_{ih.range} = \\max(X_d) - \\min(X_d)
    """
    lo, hi = h.present_range
    return hi - lo


def mean_absolute_deviation(h: GreyLevelHistogram) -> np.ndarray:
    """Mean absolute deviation (IBSI D2ZX).

    .. math::

        F_{ih.mad} = \\frac{1}{N_v} \\sum_{k=1}^{N_v} |X_{d,k} - \\mu|
        = \\sum_i |i - \\mu|\\, p_i
    """
    return h.valid(np.sum(h.p * np.abs(h.centred), axis=1))


def robust_mean_absolute_deviation(h: GreyLevelHistogram) -> np.ndarray:
    """Robust mean absolute deviation (IBSI WRZB).

    The mean absolute deviation of the voxels with :math:`P_{10} \\le X_{d,k} \\le P_{90}`
    around their own mean :math:`\\mu_{10-90}`:

    .. math::

        F_{ih.rmad} = \\frac{1}{N_{10-90}} \\sum_{k=1}^{N_{10-90}}
        |X_{d,10-90,k} - \\mu_{10-90}|

    NaN when no voxel lies in :math:`[P_{10}, P_{90}]` (possible with very few voxels).
    """
    i = h.i[None, :]
    keep = (i >= h.percentiles[10][:, None]) & (i <= h.percentiles[90][:, None])
    n = np.where(keep, h.counts, 0.0)
    total = n.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = (n @ h.i) / total
        out = np.sum(n * np.abs(i - mu[:, None]), axis=1) / total
    return np.where(total > 0, out, np.nan)


def median_absolute_deviation(h: GreyLevelHistogram) -> np.ndarray:
    """Median absolute deviation (IBSI 4RNL): mean absolute deviation from the median.

    .. math::

        F_{ih.medad} = \\frac{1}{N_v} \\sum_{k=1}^{N_v} |X_{d,k} - P_{50}|
    """
    return h.valid(np.sum(h.p * np.abs(h.i[None, :] - h.percentiles[50][:, None]), axis=1))


def coefficient_of_variation(h: GreyLevelHistogram) -> np.ndarray:
    """Coefficient of variation (IBSI CWYJ).

    .. math::

        F_{ih.cov} = \\frac{\\sigma}{\\mu}
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return h.valid(np.sqrt(h.m2) / h.mean)


def quartile_coefficient_of_dispersion(h: GreyLevelHistogram) -> np.ndarray:
    """Quartile coefficient of dispersion (IBSI SLWD).

    .. math::

        F_{ih.qcod} = \\frac{P_{75} - P_{25}}{P_{75} + P_{25}}
    """
    p25, p75 = h.percentiles[25], h.percentiles[75]
    with np.errstate(divide="ignore", invalid="ignore"):
        return h.valid((p75 - p25) / (p75 + p25))


def entropy(h: GreyLevelHistogram) -> np.ndarray:
    """Entropy (IBSI TLU2).

    .. math::

        F_{ih.entropy} = -\\sum_{i=1}^{N_g} p_i \\log_2 p_i \\quad (p_i > 0)
    """
    pos = h.counts > 0
    logs = np.log2(np.where(pos, h.p, 1.0) + h.epsilon)
    return h.valid(-np.sum(np.where(pos, h.p * logs, 0.0), axis=1))


def uniformity(h: GreyLevelHistogram) -> np.ndarray:
    """Uniformity (IBSI BJ5W).

    .. math::

        F_{ih.uniformity} = \\sum_{i=1}^{N_g} p_i^2
    """
    return h.valid(np.sum(h.p * h.p, axis=1))


def maximum_histogram_gradient(h: GreyLevelHistogram) -> np.ndarray:
    """Maximum histogram gradient (IBSI 12CE).

    The histogram gradient over grey levels :math:`1..N_g` (counts, not probabilities) is

    .. math::

        H'_i = \\begin{cases}
        n_2 - n_1 & i = 1 \\\\
        (n_{i+1} - n_{i-1}) / 2 & 1 < i < N_g \\\\
        n_{N_g} - n_{N_g - 1} & i = N_g
        \\end{cases}
        \\qquad F_{ih.max.grad} = \\max_i H'_i

    NaN when :math:`N_g = 1`.
    """
    if h.n_levels < 2:
        return np.full(h.counts.shape[0], np.nan)
    return h.valid(h.gradient.max(axis=1))


def maximum_histogram_gradient_grey_level(h: GreyLevelHistogram) -> np.ndarray:
    """Grey level of the maximum histogram gradient (IBSI 8E6O).

    .. math::

        F_{ih.max.grad.gl} = \\arg\\max_i H'_i

    with :math:`H'_i` as in :func:`maximum_histogram_gradient`; the lowest such grey level
    when several share the maximum. NaN when :math:`N_g = 1`.
    """
    if h.n_levels < 2:
        return np.full(h.counts.shape[0], np.nan)
    return h.valid(np.argmax(h.gradient, axis=1) + 1.0)


def minimum_histogram_gradient(h: GreyLevelHistogram) -> np.ndarray:
    """Minimum histogram gradient (IBSI VQB3).

    .. math::

        F_{ih.min.grad} = \\min_i H'_i

    with :math:`H'_i` as in :func:`maximum_histogram_gradient`. NaN when :math:`N_g = 1`.
    """
    if h.n_levels < 2:
        return np.full(h.counts.shape[0], np.nan)
    return h.valid(h.gradient.min(axis=1))


def minimum_histogram_gradient_grey_level(h: GreyLevelHistogram) -> np.ndarray:
    """Grey level of the minimum histogram gradient (IBSI RHQZ).

    .. math::

        F_{ih.min.grad.gl} = \\arg\\min_i H'_i

    with :math:`H'_i` as in :func:`maximum_histogram_gradient`; the lowest such grey level
    when several share the minimum. NaN when :math:`N_g = 1`.
    """
    if h.n_levels < 2:
        return np.full(h.counts.shape[0], np.nan)
    return h.valid(np.argmin(h.gradient, axis=1) + 1.0)


def _spec(name: str, code: str, tag: str, fn) -> FeatureSpec:
    return FeatureSpec(name=name, family="histogram", ibsi_code=code, ibsi_tag=tag, compute=fn)


FEATURES: tuple[FeatureSpec, ...] = (
    _spec("mean", "X6K6", "ih_mean", mean),
    _spec("variance", "CH89", "ih_var", variance),
    _spec("skewness", "88K1", "ih_skew", skewness),
    _spec("kurtosis", "C3I7", "ih_kurt", kurtosis),
    _spec("median", "WIFQ", "ih_median", median),
    _spec("minimum", "1PR8", "ih_min", minimum),
    _spec("percentile_10", "GPMT", "ih_p10", percentile_10),
    _spec("percentile_90", "OZ0C", "ih_p90", percentile_90),
    _spec("maximum", "3NCY", "ih_max", maximum),
    _spec("mode", "AMMC", "ih_mode", mode),
    _spec("interquartile_range", "WR0O", "ih_iqr", interquartile_range),
    _spec("range", "5Z3W", "ih_range", range_),
    _spec("mean_absolute_deviation", "D2ZX", "ih_mad", mean_absolute_deviation),
    _spec("robust_mean_absolute_deviation", "WRZB", "ih_rmad", robust_mean_absolute_deviation),
    _spec("median_absolute_deviation", "4RNL", "ih_medad", median_absolute_deviation),
    _spec("coefficient_of_variation", "CWYJ", "ih_cov", coefficient_of_variation),
    _spec(
        "quartile_coefficient_of_dispersion",
        "SLWD",
        "ih_qcod",
        quartile_coefficient_of_dispersion,
    ),
    _spec("entropy", "TLU2", "ih_entropy", entropy),
    _spec("uniformity", "BJ5W", "ih_uniformity", uniformity),
    _spec("maximum_histogram_gradient", "12CE", "ih_max_grad", maximum_histogram_gradient),
    _spec(
        "maximum_histogram_gradient_grey_level",
        "8E6O",
        "ih_max_grad_g",
        maximum_histogram_gradient_grey_level,
    ),
    _spec("minimum_histogram_gradient", "VQB3", "ih_min_grad", minimum_histogram_gradient),
    _spec(
        "minimum_histogram_gradient_grey_level",
        "RHQZ",
        "ih_min_grad_g",
        minimum_histogram_gradient_grey_level,
    ),
)


def _validate_levels(levels: np.ndarray, n_levels: int) -> np.ndarray:
    if isinstance(n_levels, bool) or int(n_levels) != n_levels or n_levels < 1:
        raise ValueError(f"n_levels must be a positive integer, got {n_levels!r}")
    arr = np.asarray(levels)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError(
                "levels must be integer grey levels (discretise the intensities first)"
            )
    elif arr.dtype.kind not in "biu":
        raise ValueError(f"levels must be an integer array, got dtype {arr.dtype}")
    g = arr.astype(np.int64, copy=False).ravel()
    if g.size and (g.min() < 1 or g.max() > n_levels):
        raise ValueError(
            f"levels must lie in 1..n_levels={n_levels}, got {int(g.min())}..{int(g.max())}"
        )
    return g


def compute(levels: np.ndarray, n_levels: int) -> list[FeatureValue]:
    """Intensity histogram features of the discretised ROI grey levels, in registry order.

    Parameters
    ----------
    levels : ndarray of int
        Discretised grey levels (``1..n_levels``) of the ROI voxels (1D; other shapes are
        flattened). An empty array gives NaN for every feature.
    n_levels : int
        Number of grey levels :math:`N_g`; the histogram (and its gradient) runs over
        ``1..n_levels``.

    Returns
    -------
    list of FeatureValue
        The 23 features of :data:`FEATURES`.
    """
    g = _validate_levels(levels, n_levels)
    hist = build_histogram(g, int(n_levels))
    return values_from(FEATURES, {spec.name: float(spec.compute(hist)[0]) for spec in FEATURES})
