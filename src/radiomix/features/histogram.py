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

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from radiomix.features._base import FeatureSpec, FeatureValue, values_from

__all__ = ["FEATURES", "GreyLevelHistogram", "build_histogram", "compute"]

_NAN = float("nan")


@dataclass(frozen=True, eq=False)
class GreyLevelHistogram:
    """Voxel counts :math:`n_i` per grey level :math:`i = 1..N_g`, and shared intermediates.

    Every intermediate is computed once, on first use.
    """

    counts: np.ndarray  # float64, (N_g,)

    @cached_property
    def n_levels(self) -> int:
        return int(self.counts.size)

    @cached_property
    def n_voxels(self) -> float:
        return float(self.counts.sum())

    @cached_property
    def is_empty(self) -> bool:
        return self.n_voxels == 0

    @cached_property
    def i(self) -> np.ndarray:
        """Grey levels :math:`1..N_g` (float64)."""
        return np.arange(1, self.n_levels + 1, dtype=np.float64)

    @cached_property
    def p(self) -> np.ndarray:
        return self.counts / self.n_voxels

    @cached_property
    def mean(self) -> float:
        return float(np.dot(self.i, self.p))

    @cached_property
    def centred(self) -> np.ndarray:
        """:math:`i - \\mu` per grey level."""
        return self.i - self.mean

    @cached_property
    def m2(self) -> float:
        return float(np.dot(self.p, self.centred**2))

    @cached_property
    def m3(self) -> float:
        return float(np.dot(self.p, self.centred**3))

    @cached_property
    def m4(self) -> float:
        return float(np.dot(self.p, self.centred**4))

    @cached_property
    def cumulative(self) -> np.ndarray:
        """:math:`\\sum_{j \\le i} n_j`, as integers."""
        return np.cumsum(self.counts.astype(np.int64))

    def order_statistic(self, k: np.ndarray) -> np.ndarray:
        """Grey level of the ``k``-th smallest voxel (0-based), vectorised over ``k``."""
        return np.searchsorted(self.cumulative, k, side="right").astype(np.float64) + 1.0

    def percentile(self, q: float) -> float:
        """:math:`P_q` by linear interpolation between order statistics (NumPy ``linear``)."""
        h = (self.n_voxels - 1.0) * q / 100.0
        lo = np.floor(h)
        hi = min(lo + 1.0, self.n_voxels - 1.0)
        x_lo, x_hi = self.order_statistic(np.array([lo, hi], dtype=np.int64))
        return float(x_lo + (h - lo) * (x_hi - x_lo))

    @cached_property
    def percentiles(self) -> dict[int, float]:
        """:math:`P_{10}, P_{25}, P_{50}, P_{75}, P_{90}`."""
        return {q: self.percentile(q) for q in (10, 25, 50, 75, 90)}

    @cached_property
    def present(self) -> np.ndarray:
        """Indices (0-based) of the grey levels with :math:`n_i > 0`."""
        return np.flatnonzero(self.counts > 0)

    @cached_property
    def gradient(self) -> np.ndarray:
        """Histogram gradient :math:`H'_i` (see :func:`maximum_histogram_gradient`)."""
        return np.gradient(self.counts)


def build_histogram(levels: np.ndarray, n_levels: int) -> GreyLevelHistogram:
    """Histogram :math:`n_i` of ``levels`` (ints in ``1..n_levels``) over ``1..n_levels``."""
    counts = np.bincount(levels, minlength=n_levels + 1)[1 : n_levels + 1]
    return GreyLevelHistogram(counts.astype(np.float64))


# --------------------------------------------------------------------------- formulas


def mean(h: GreyLevelHistogram) -> float:
    """Mean discretised grey level (IBSI X6K6).

    .. math::

        F_{ih.mean} = \\sum_{i=1}^{N_g} i\\, p_i
    """
    return _NAN if h.is_empty else h.mean


def variance(h: GreyLevelHistogram) -> float:
    """Variance (IBSI CH89), the population variance.

    .. math::

        F_{ih.var} = \\sum_{i=1}^{N_g} (i - \\mu)^2 p_i
    """
    return _NAN if h.is_empty else h.m2


def skewness(h: GreyLevelHistogram) -> float:
    """Skewness (IBSI 88K1).

    .. math::

        F_{ih.skew} = \\frac{\\sum_i (i - \\mu)^3 p_i}{\\left(\\sum_i (i-\\mu)^2 p_i\\right)^{3/2}}

    0 when :math:`\\sigma = 0`.
    """
    if h.is_empty:
        return _NAN
    return 0.0 if h.m2 <= 0.0 else h.m3 / h.m2**1.5


def kurtosis(h: GreyLevelHistogram) -> float:
    """(Excess) kurtosis (IBSI C3I7).

    .. math::

        F_{ih.kurt} = \\frac{\\sum_i (i - \\mu)^4 p_i}{\\left(\\sum_i (i-\\mu)^2 p_i\\right)^{2}} - 3

    0 when :math:`\\sigma = 0`.
    """
    if h.is_empty:
        return _NAN
    return 0.0 if h.m2 <= 0.0 else h.m4 / (h.m2 * h.m2) - 3.0


def median(h: GreyLevelHistogram) -> float:
    """Median discretised grey level (IBSI WIFQ): :math:`F_{ih.median} = P_{50}(X_d)`."""
    return _NAN if h.is_empty else h.percentiles[50]


def minimum(h: GreyLevelHistogram) -> float:
    """Minimum discretised grey level (IBSI 1PR8): :math:`F_{ih.min} = \\min(X_d)`."""
    return _NAN if h.is_empty else float(h.present[0] + 1)


def percentile_10(h: GreyLevelHistogram) -> float:
    """10th percentile (IBSI GPMT): :math:`F_{ih.P10} = P_{10}(X_d)`."""
    return _NAN if h.is_empty else h.percentiles[10]


def percentile_90(h: GreyLevelHistogram) -> float:
    """90th percentile (IBSI OZ0C): :math:`F_{ih.P90} = P_{90}(X_d)`."""
    return _NAN if h.is_empty else h.percentiles[90]


def maximum(h: GreyLevelHistogram) -> float:
    """Maximum discretised grey level (IBSI 3NCY): :math:`F_{ih.max} = \\max(X_d)`."""
    return _NAN if h.is_empty else float(h.present[-1] + 1)


def mode(h: GreyLevelHistogram) -> float:
    """Mode (IBSI AMMC): the grey level :math:`i` with the largest count :math:`n_i`.

    .. math::

        F_{ih.mode} = \\arg\\max_i n_i

    When several grey levels share the largest count, the one closest to the mean
    :math:`\\mu` is chosen; of two equally close, the lower one (IBSI).
    """
    if h.is_empty:
        return _NAN
    modes = np.flatnonzero(h.counts == h.counts.max()) + 1.0
    return float(modes[np.argmin(np.abs(modes - h.mean))])


def interquartile_range(h: GreyLevelHistogram) -> float:
    """Interquartile range (IBSI WR0O).

    .. math::

        F_{ih.iqr} = P_{75} - P_{25}
    """
    return _NAN if h.is_empty else h.percentiles[75] - h.percentiles[25]


def range_(h: GreyLevelHistogram) -> float:
    """Range (IBSI 5Z3W).

    .. math::

        F_{ih.range} = \\max(X_d) - \\min(X_d)
    """
    return _NAN if h.is_empty else float(h.present[-1] - h.present[0])


def mean_absolute_deviation(h: GreyLevelHistogram) -> float:
    """Mean absolute deviation (IBSI D2ZX).

    .. math::

        F_{ih.mad} = \\frac{1}{N_v} \\sum_{k=1}^{N_v} |X_{d,k} - \\mu|
        = \\sum_i |i - \\mu|\\, p_i
    """
    return _NAN if h.is_empty else float(np.dot(h.p, np.abs(h.centred)))


def robust_mean_absolute_deviation(h: GreyLevelHistogram) -> float:
    """Robust mean absolute deviation (IBSI WRZB).

    The mean absolute deviation of the voxels with :math:`P_{10} \\le X_{d,k} \\le P_{90}`
    around their own mean :math:`\\mu_{10-90}`:

    .. math::

        F_{ih.rmad} = \\frac{1}{N_{10-90}} \\sum_{k=1}^{N_{10-90}}
        |X_{d,10-90,k} - \\mu_{10-90}|

    NaN when no voxel lies in :math:`[P_{10}, P_{90}]` (possible with very few voxels).
    """
    if h.is_empty:
        return _NAN
    keep = (h.i >= h.percentiles[10]) & (h.i <= h.percentiles[90])
    n = h.counts[keep]
    if n.sum() == 0:
        return _NAN
    i = h.i[keep]
    mu = float(np.dot(n, i) / n.sum())
    return float(np.dot(n, np.abs(i - mu)) / n.sum())


def median_absolute_deviation(h: GreyLevelHistogram) -> float:
    """Median absolute deviation (IBSI 4RNL): mean absolute deviation from the median.

    .. math::

        F_{ih.medad} = \\frac{1}{N_v} \\sum_{k=1}^{N_v} |X_{d,k} - P_{50}|
    """
    if h.is_empty:
        return _NAN
    return float(np.dot(h.p, np.abs(h.i - h.percentiles[50])))


def coefficient_of_variation(h: GreyLevelHistogram) -> float:
    """Coefficient of variation (IBSI CWYJ).

    .. math::

        F_{ih.cov} = \\frac{\\sigma}{\\mu}
    """
    return _NAN if h.is_empty else float(np.sqrt(h.m2)) / h.mean


def quartile_coefficient_of_dispersion(h: GreyLevelHistogram) -> float:
    """Quartile coefficient of dispersion (IBSI SLWD).

    .. math::

        F_{ih.qcod} = \\frac{P_{75} - P_{25}}{P_{75} + P_{25}}
    """
    if h.is_empty:
        return _NAN
    p25, p75 = h.percentiles[25], h.percentiles[75]
    return (p75 - p25) / (p75 + p25)


def entropy(h: GreyLevelHistogram) -> float:
    """Entropy (IBSI TLU2).

    .. math::

        F_{ih.entropy} = -\\sum_{i=1}^{N_g} p_i \\log_2 p_i \\quad (p_i > 0)
    """
    if h.is_empty:
        return _NAN
    p = h.p[h.present]
    return float(-np.dot(p, np.log2(p)))


def uniformity(h: GreyLevelHistogram) -> float:
    """Uniformity (IBSI BJ5W).

    .. math::

        F_{ih.uniformity} = \\sum_{i=1}^{N_g} p_i^2
    """
    return _NAN if h.is_empty else float(np.dot(h.p, h.p))


def maximum_histogram_gradient(h: GreyLevelHistogram) -> float:
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
    if h.is_empty or h.n_levels < 2:
        return _NAN
    return float(h.gradient.max())


def maximum_histogram_gradient_grey_level(h: GreyLevelHistogram) -> float:
    """Grey level of the maximum histogram gradient (IBSI 8E6O).

    .. math::

        F_{ih.max.grad.gl} = \\arg\\max_i H'_i

    with :math:`H'_i` as in :func:`maximum_histogram_gradient`; the lowest such grey level
    when several share the maximum. NaN when :math:`N_g = 1`.
    """
    if h.is_empty or h.n_levels < 2:
        return _NAN
    return float(np.argmax(h.gradient) + 1)


def minimum_histogram_gradient(h: GreyLevelHistogram) -> float:
    """Minimum histogram gradient (IBSI VQB3).

    .. math::

        F_{ih.min.grad} = \\min_i H'_i

    with :math:`H'_i` as in :func:`maximum_histogram_gradient`. NaN when :math:`N_g = 1`.
    """
    if h.is_empty or h.n_levels < 2:
        return _NAN
    return float(h.gradient.min())


def minimum_histogram_gradient_grey_level(h: GreyLevelHistogram) -> float:
    """Grey level of the minimum histogram gradient (IBSI RHQZ).

    .. math::

        F_{ih.min.grad.gl} = \\arg\\min_i H'_i

    with :math:`H'_i` as in :func:`maximum_histogram_gradient`; the lowest such grey level
    when several share the minimum. NaN when :math:`N_g = 1`.
    """
    if h.is_empty or h.n_levels < 2:
        return _NAN
    return float(np.argmin(h.gradient) + 1)


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
    return values_from(FEATURES, {spec.name: spec.compute(hist) for spec in FEATURES})
