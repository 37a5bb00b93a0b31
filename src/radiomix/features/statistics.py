"""Intensity-based statistical features (IBSI 1, family code UHIW).

The features describe the distribution of the intensities :math:`X = \\{X_1, \\ldots,
X_{N_v}\\}` of the :math:`N_v` voxels of the intensity mask, without discretisation.
:math:`\\mu` is the mean, :math:`\\sigma` the (population) standard deviation, and
:math:`P_q` the :math:`q`-th percentile. Percentiles interpolate linearly between order
statistics (NumPy's default ``"linear"`` method, which reproduces the IBSI digital phantom
and CT phantom reference values).

Degenerate inputs: an empty ROI gives NaN everywhere. A constant ROI (:math:`\\sigma = 0`)
has skewness and kurtosis 0, as IBSI specifies; ratios with a zero denominator (coefficient
of variation with :math:`\\mu = 0`, quartile coefficient of dispersion with
:math:`P_{75} + P_{25} = 0`) are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from radiomix.features._base import FeatureSpec, FeatureValue, values_from

__all__ = ["FEATURES", "IntensitySample", "compute"]

_NAN = float("nan")


@dataclass(frozen=True, eq=False)
class IntensitySample:
    """The intensities of the ROI voxels and the intermediates the formulas share.

    Every intermediate is computed once, on first use.
    """

    x: np.ndarray  # float64, 1D

    @cached_property
    def n(self) -> int:
        return int(self.x.size)

    @cached_property
    def is_empty(self) -> bool:
        return self.n == 0

    @cached_property
    def mean(self) -> float:
        return float(np.mean(self.x))

    @cached_property
    def centred(self) -> np.ndarray:
        """:math:`X_k - \\mu`."""
        return self.x - self.mean

    @cached_property
    def m2(self) -> float:
        """Second central moment (population variance)."""
        c = self.centred
        return float(np.dot(c, c)) / self.n

    @cached_property
    def m3(self) -> float:
        c = self.centred
        return float(np.dot(c * c, c)) / self.n

    @cached_property
    def m4(self) -> float:
        c2 = self.centred * self.centred
        return float(np.dot(c2, c2)) / self.n

    @cached_property
    def percentiles(self) -> dict[int, float]:
        """:math:`P_{10}, P_{25}, P_{50}, P_{75}, P_{90}` (linear interpolation)."""
        qs = (10, 25, 50, 75, 90)
        vals = np.percentile(self.x, qs)
        return {q: float(v) for q, v in zip(qs, vals, strict=True)}

    @cached_property
    def minimum(self) -> float:
        return float(self.x.min())

    @cached_property
    def maximum(self) -> float:
        return float(self.x.max())

    @cached_property
    def energy(self) -> float:
        return float(np.dot(self.x, self.x))


# --------------------------------------------------------------------------- formulas


def mean(s: IntensitySample) -> float:
    """Mean (IBSI Q4LE).

    .. math::

        F_{stat.mean} = \\frac{1}{N_v} \\sum_{k=1}^{N_v} X_k
    """
    return _NAN if s.is_empty else s.mean


def variance(s: IntensitySample) -> float:
    """Variance (IBSI ECT3), the population (biased) variance.

    .. math::

        F_{stat.var} = \\frac{1}{N_v} \\sum_{k=1}^{N_v} (X_k - \\mu)^2
    """
    return _NAN if s.is_empty else s.m2


def skewness(s: IntensitySample) -> float:
    """Skewness (IBSI KE2A).

    .. math::

        F_{stat.skew} = \\frac{\\frac{1}{N_v} \\sum_k (X_k - \\mu)^3}
        {\\left(\\frac{1}{N_v} \\sum_k (X_k - \\mu)^2\\right)^{3/2}}

    0 when :math:`\\sigma = 0`.
    """
    if s.is_empty:
        return _NAN
    if s.m2 <= 0.0:
        return 0.0
    return s.m3 / s.m2**1.5


def kurtosis(s: IntensitySample) -> float:
    """(Excess) kurtosis (IBSI IPH6).

    .. math::

        F_{stat.kurt} = \\frac{\\frac{1}{N_v} \\sum_k (X_k - \\mu)^4}
        {\\left(\\frac{1}{N_v} \\sum_k (X_k - \\mu)^2\\right)^{2}} - 3

    0 when :math:`\\sigma = 0`.
    """
    if s.is_empty:
        return _NAN
    if s.m2 <= 0.0:
        return 0.0
    return s.m4 / (s.m2 * s.m2) - 3.0


def median(s: IntensitySample) -> float:
    """Median (IBSI Y12H): :math:`F_{stat.median} = P_{50}`."""
    return _NAN if s.is_empty else s.percentiles[50]


def minimum(s: IntensitySample) -> float:
    """Minimum intensity (IBSI 1GSF): :math:`F_{stat.min} = \\min(X)`."""
    return _NAN if s.is_empty else s.minimum


def percentile_10(s: IntensitySample) -> float:
    """10th percentile (IBSI QG58): :math:`F_{stat.P10} = P_{10}(X)`."""
    return _NAN if s.is_empty else s.percentiles[10]


def percentile_90(s: IntensitySample) -> float:
    """90th percentile (IBSI 8DWT): :math:`F_{stat.P90} = P_{90}(X)`."""
    return _NAN if s.is_empty else s.percentiles[90]


def maximum(s: IntensitySample) -> float:
    """Maximum intensity (IBSI 84IY): :math:`F_{stat.max} = \\max(X)`."""
    return _NAN if s.is_empty else s.maximum


def interquartile_range(s: IntensitySample) -> float:
    """Interquartile range (IBSI SALO).

    .. math::

        F_{stat.iqr} = P_{75} - P_{25}
    """
    return _NAN if s.is_empty else s.percentiles[75] - s.percentiles[25]


def range_(s: IntensitySample) -> float:
    """Range (IBSI 2OJQ).

    .. math::

        F_{stat.range} = \\max(X) - \\min(X)
    """
    return _NAN if s.is_empty else s.maximum - s.minimum


def mean_absolute_deviation(s: IntensitySample) -> float:
    """Mean absolute deviation (IBSI 4FUA).

    .. math::

        F_{stat.mad} = \\frac{1}{N_v} \\sum_{k=1}^{N_v} |X_k - \\mu|
    """
    return _NAN if s.is_empty else float(np.mean(np.abs(s.centred)))


def robust_mean_absolute_deviation(s: IntensitySample) -> float:
    """Robust mean absolute deviation (IBSI 1128).

    The mean absolute deviation of the voxels :math:`X_{10-90}` with
    :math:`P_{10} \\le X_k \\le P_{90}`, around their own mean :math:`\\mu_{10-90}`:

    .. math::

        F_{stat.rmad} = \\frac{1}{N_{10-90}} \\sum_{k=1}^{N_{10-90}}
        |X_{10-90,k} - \\mu_{10-90}|

    NaN when no voxel lies in :math:`[P_{10}, P_{90}]` (possible with very few voxels).
    """
    if s.is_empty:
        return _NAN
    x = s.x
    sel = x[(x >= s.percentiles[10]) & (x <= s.percentiles[90])]
    if sel.size == 0:
        return _NAN
    return float(np.mean(np.abs(sel - np.mean(sel))))


def median_absolute_deviation(s: IntensitySample) -> float:
    """Median absolute deviation (IBSI N72L): mean absolute deviation from the median.

    .. math::

        F_{stat.medad} = \\frac{1}{N_v} \\sum_{k=1}^{N_v} |X_k - P_{50}|
    """
    return _NAN if s.is_empty else float(np.mean(np.abs(s.x - s.percentiles[50])))


def coefficient_of_variation(s: IntensitySample) -> float:
    """Coefficient of variation (IBSI 7TET).

    .. math::

        F_{stat.cov} = \\frac{\\sigma}{\\mu}

    NaN when :math:`\\mu = 0`.
    """
    if s.is_empty or s.mean == 0.0:
        return _NAN
    return float(np.sqrt(s.m2)) / s.mean


def quartile_coefficient_of_dispersion(s: IntensitySample) -> float:
    """Quartile coefficient of dispersion (IBSI 9S40).

    .. math::

        F_{stat.qcod} = \\frac{P_{75} - P_{25}}{P_{75} + P_{25}}

    NaN when :math:`P_{75} + P_{25} = 0`.
    """
    if s.is_empty:
        return _NAN
    p25, p75 = s.percentiles[25], s.percentiles[75]
    if p75 + p25 == 0.0:
        return _NAN
    return (p75 - p25) / (p75 + p25)


def energy(s: IntensitySample) -> float:
    """Energy (IBSI N8CA).

    .. math::

        F_{stat.energy} = \\sum_{k=1}^{N_v} X_k^2
    """
    return _NAN if s.is_empty else s.energy


def root_mean_square(s: IntensitySample) -> float:
    """Root mean square (IBSI 5ZWQ).

    .. math::

        F_{stat.rms} = \\sqrt{\\frac{1}{N_v} \\sum_{k=1}^{N_v} X_k^2}
    """
    return _NAN if s.is_empty else float(np.sqrt(s.energy / s.n))


def _spec(name: str, code: str, tag: str, fn) -> FeatureSpec:
    return FeatureSpec(name=name, family="statistics", ibsi_code=code, ibsi_tag=tag, compute=fn)


FEATURES: tuple[FeatureSpec, ...] = (
    _spec("mean", "Q4LE", "stat_mean", mean),
    _spec("variance", "ECT3", "stat_var", variance),
    _spec("skewness", "KE2A", "stat_skew", skewness),
    _spec("kurtosis", "IPH6", "stat_kurt", kurtosis),
    _spec("median", "Y12H", "stat_median", median),
    _spec("minimum", "1GSF", "stat_min", minimum),
    _spec("percentile_10", "QG58", "stat_p10", percentile_10),
    _spec("percentile_90", "8DWT", "stat_p90", percentile_90),
    _spec("maximum", "84IY", "stat_max", maximum),
    _spec("interquartile_range", "SALO", "stat_iqr", interquartile_range),
    _spec("range", "2OJQ", "stat_range", range_),
    _spec("mean_absolute_deviation", "4FUA", "stat_mad", mean_absolute_deviation),
    _spec("robust_mean_absolute_deviation", "1128", "stat_rmad", robust_mean_absolute_deviation),
    _spec("median_absolute_deviation", "N72L", "stat_medad", median_absolute_deviation),
    _spec("coefficient_of_variation", "7TET", "stat_cov", coefficient_of_variation),
    _spec(
        "quartile_coefficient_of_dispersion",
        "9S40",
        "stat_qcod",
        quartile_coefficient_of_dispersion,
    ),
    _spec("energy", "N8CA", "stat_energy", energy),
    _spec("root_mean_square", "5ZWQ", "stat_rms", root_mean_square),
)


def compute(values: np.ndarray) -> list[FeatureValue]:
    """Intensity-based statistical features of the ROI intensities, in registry order.

    Parameters
    ----------
    values : ndarray
        Intensities of the voxels in the intensity mask (1D; other shapes are flattened).
        Must be finite. An empty array gives NaN for every feature.

    Returns
    -------
    list of FeatureValue
        The 18 features of :data:`FEATURES`.
    """
    arr = np.asarray(values)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"values must be a numeric array, got dtype {arr.dtype}")
    x = np.ascontiguousarray(arr, dtype=np.float64).ravel()
    if not np.all(np.isfinite(x)):
        raise ValueError("values contain NaN or infinite intensities; mask them out first")
    sample = IntensitySample(x)
    return values_from(FEATURES, {spec.name: spec.compute(sample) for spec in FEATURES})
