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

import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from radiomix.features._base import FeatureSpec, FeatureValue, values_from

__all__ = ["FEATURES", "IntensitySample", "compute"]

_NAN = float("nan")


@dataclass(frozen=True, eq=False)
class IntensitySample:
    """The intensities of a batch of ROIs and the intermediates the formulas share.

    Parameters
    ----------
    x : ndarray of float64, (B, K)
        One row per ROI: its intensities, NaN where a row has fewer than K (the kernels of
        a voxel map; a ROI is a batch of one without NaN).
    shift : float
        Added to the intensities in energy, total energy and root mean square (0 in IBSI;
        PyRadiomics' ``voxelArrayShift``).
    voxel_volume : float
        mm^3 per voxel, for the total energy.
    excess_kurtosis : bool
        Kurtosis minus 3 (IBSI) or not (PyRadiomics).

    Every formula returns one value per row, (B,), NaN for an empty row; every intermediate
    is computed once, on first use.
    """

    x: np.ndarray
    shift: float = 0.0
    voxel_volume: float = 1.0
    excess_kurtosis: bool = True

    @classmethod
    def of(cls, values: np.ndarray, **conventions: Any) -> IntensitySample:
        """A batch of one ROI from its intensities (any shape, flattened)."""
        return cls(np.asarray(values, dtype=np.float64).reshape(1, -1), **conventions)

    @cached_property
    def gaps(self) -> bool:
        """Whether some row has fewer values than K (NaN-aware reductions needed)."""
        return bool(np.isnan(self.x).any())

    @cached_property
    def n(self) -> np.ndarray:
        """Voxels per row, (B,)."""
        if self.gaps:
            return np.sum(~np.isnan(self.x), axis=1)
        return np.full(self.x.shape[0], self.x.shape[1])

    @cached_property
    def is_empty(self) -> np.ndarray:
        return self.n == 0

    def _mean(self, v: np.ndarray) -> np.ndarray:
        """Row means of ``v`` (NaN-aware when the sample has gaps)."""
        if self.x.shape[1] == 0:
            return np.full(self.x.shape[0], np.nan)
        if not self.gaps:
            return np.mean(v, axis=1)
        with warnings.catch_warnings():  # an empty row: NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(v, axis=1)

    def _sum(self, v: np.ndarray) -> np.ndarray:
        return np.nansum(v, axis=1) if self.gaps else np.sum(v, axis=1)

    @cached_property
    def mean(self) -> np.ndarray:
        return self._mean(self.x)

    @cached_property
    def centred(self) -> np.ndarray:
        """:math:`X_k - \\mu`, (B, K)."""
        return self.x - self.mean[:, None]

    @cached_property
    def _centred2(self) -> np.ndarray:
        return self.centred * self.centred

    @cached_property
    def m2(self) -> np.ndarray:
        """Second central moment (population variance)."""
        return self._mean(self._centred2)

    @cached_property
    def m3(self) -> np.ndarray:
        return self._mean(self._centred2 * self.centred)

    @cached_property
    def m4(self) -> np.ndarray:
        return self._mean(self._centred2 * self._centred2)

    @cached_property
    def _ordered(self) -> np.ndarray:
        return np.sort(self.x, axis=1)  # NaN last

    @cached_property
    def percentiles(self) -> dict[int, np.ndarray]:
        """:math:`P_{10}, P_{25}, P_{50}, P_{75}, P_{90}` (the median as ``np.median``)."""
        qs = (10, 25, 75, 90)
        if self.gaps or self.x.shape[1] == 0:
            out = {q: _sorted_percentile(self._ordered, self.n, q) for q in qs}
            out[50] = _sorted_median(self._ordered, self.n)
        else:
            # Every row full: the order statistics the five read, placed by one partition
            # (np.percentile partitions too, but loads numpy.ma, ~10 ms, for a check)
            n = self.x.shape[1]
            count = np.full(self.x.shape[0], n)
            kth = {min(int(q / 100.0 * (n - 1)) + d, n - 1) for q in qs for d in (0, 1)}
            kth |= {(n - 1) // 2, n // 2}
            ordered = np.partition(self.x, sorted(kth), axis=1)
            out = {q: _sorted_percentile(ordered, count, q) for q in qs}
            out[50] = _sorted_median(ordered, count)
        return out

    @cached_property
    def minimum(self) -> np.ndarray:
        return self._reduce(np.nanmin if self.gaps else np.min)

    @cached_property
    def maximum(self) -> np.ndarray:
        return self._reduce(np.nanmax if self.gaps else np.max)

    def _reduce(self, fn: Any) -> np.ndarray:
        if self.x.shape[1] == 0:
            return np.full(self.x.shape[0], np.nan)
        with warnings.catch_warnings():  # an all-NaN row: NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            return fn(self.x, axis=1)

    @cached_property
    def energy(self) -> np.ndarray:
        """:math:`\\sum_k (X_k + c)^2` with :math:`c` = ``shift``."""
        shifted = self.x + self.shift
        return self._sum(shifted * shifted)

    def valid(self, values: np.ndarray) -> np.ndarray:
        """``values`` with NaN for the empty rows."""
        return np.where(self.is_empty, np.nan, values)


def _sorted_percentile(ordered: np.ndarray, count: np.ndarray, q: float) -> np.ndarray:
    """``np.nanpercentile(x, q, axis=1)`` (linear method, NumPy's interpolation step for
    step) of rows sorted with NaN last holding ``count`` numbers each; NaN for empty rows."""
    if ordered.shape[1] == 0:
        return np.full(len(ordered), np.nan)
    pos = q / 100.0 * (count - 1).astype(np.float64)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, count - 1)
    rows = np.arange(len(ordered))
    a = ordered[rows, np.clip(lo, 0, None)]
    b = ordered[rows, np.clip(hi, 0, None)]
    t = pos - lo
    diff = b - a
    v = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)  # NumPy's _lerp
    return np.where(count > 0, v, np.nan)


def _sorted_median(ordered: np.ndarray, count: np.ndarray) -> np.ndarray:
    """``np.nanmedian(x, axis=1)`` of rows sorted with NaN last holding ``count`` numbers
    each: the middle number, or the mean of the two middle ones; NaN for empty rows."""
    if ordered.shape[1] == 0:
        return np.full(len(ordered), np.nan)
    rows = np.arange(len(ordered))
    half = count // 2
    a = ordered[rows, np.clip(half - 1, 0, None)]
    b = ordered[rows, np.clip(half, 0, None)]
    v = np.where(count % 2 == 1, b, (a + b) / 2)
    return np.where(count > 0, v, np.nan)


# --------------------------------------------------------------------------- formulas


def mean(s: IntensitySample) -> np.ndarray:
    """Mean (IBSI Q4LE).

    .. math::

        F_{stat.mean} = \\frac{1}{N_v} \\sum_{k=1}^{N_v} X_k
    """
    return s.valid(s.mean)


def variance(s: IntensitySample) -> np.ndarray:
    """Variance (IBSI ECT3), the population (biased) variance.

    .. math::

        F_{stat.var} = \\frac{1}{N_v} \\sum_{k=1}^{N_v} (X_k - \\mu)^2
    """
    return s.valid(s.m2)


def skewness(s: IntensitySample) -> np.ndarray:
    """Skewness (IBSI KE2A).

    .. math::

        F_{stat.skew} = \\frac{\\frac{1}{N_v} \\sum_k (X_k - \\mu)^3}
        {\\left(\\frac{1}{N_v} \\sum_k (X_k - \\mu)^2\\right)^{3/2}}

    0 when :math:`\\sigma = 0`.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return s.valid(np.where(s.m2 > 0, s.m3 / s.m2**1.5, 0.0))


def kurtosis(s: IntensitySample) -> np.ndarray:
    """(Excess) kurtosis (IBSI IPH6).

    .. math::

        F_{stat.kurt} = \\frac{\\frac{1}{N_v} \\sum_k (X_k - \\mu)^4}
        {\\left(\\frac{1}{N_v} \\sum_k (X_k - \\mu)^2\\right)^{2}} - 3

    0 when :math:`\\sigma = 0`.
    """
    excess = 3.0 if s.excess_kurtosis else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return s.valid(np.where(s.m2 > 0, s.m4 / (s.m2 * s.m2) - excess, 0.0))


def median(s: IntensitySample) -> np.ndarray:
    """Median (IBSI Y12H): :math:`F_{stat.median} = P_{50}`."""
    return s.percentiles[50]


def minimum(s: IntensitySample) -> np.ndarray:
    """Minimum intensity (IBSI 1GSF): :math:`F_{stat.min} = \\min(X)`."""
    return s.minimum


def percentile_10(s: IntensitySample) -> np.ndarray:
    """10th percentile (IBSI QG58): :math:`F_{stat.P10} = P_{10}(X)`."""
    return s.percentiles[10]


def percentile_90(s: IntensitySample) -> np.ndarray:
    """90th percentile (IBSI 8DWT): :math:`F_{stat.P90} = P_{90}(X)`."""
    return s.percentiles[90]


def maximum(s: IntensitySample) -> np.ndarray:
    """Maximum intensity (IBSI 84IY): :math:`F_{stat.max} = \\max(X)`."""
    return s.maximum


def interquartile_range(s: IntensitySample) -> np.ndarray:
    """Interquartile range (IBSI SALO).

    .. math::

        F_{stat.iqr} = P_{75} - P_{25}
    """
    return s.percentiles[75] - s.percentiles[25]


def range_(s: IntensitySample) -> np.ndarray:
    """Range (IBSI 2OJQ).

    .. math::

        F_{stat.range} = \\max(X) - \\min(X)
    """
    return s.maximum - s.minimum


def mean_absolute_deviation(s: IntensitySample) -> np.ndarray:
    """Mean absolute deviation (IBSI 4FUA).

    .. math::

        F_{stat.mad} = \\frac{1}{N_v} \\sum_{k=1}^{N_v} |X_k - \\mu|
    """
    return s.valid(s._mean(np.abs(s.centred)))


def robust_mean_absolute_deviation(s: IntensitySample) -> np.ndarray:
    """Robust mean absolute deviation (IBSI 1128).

    The mean absolute deviation of the voxels :math:`X_{10-90}` with
    :math:`P_{10} \\le X_k \\le P_{90}`, around their own mean :math:`\\mu_{10-90}`:

    .. math::

        F_{stat.rmad} = \\frac{1}{N_{10-90}} \\sum_{k=1}^{N_{10-90}}
        |X_{10-90,k} - \\mu_{10-90}|

    NaN when no voxel lies in :math:`[P_{10}, P_{90}]` (possible with very few voxels).
    """
    inside = (s.x >= s.percentiles[10][:, None]) & (s.x <= s.percentiles[90][:, None])
    if s.x.shape[0] == 1 and not s.gaps:  # one ROI: the voxels kept, in order
        sel = s.x[inside]
        return np.array([float(np.mean(np.abs(sel - np.mean(sel)))) if sel.size else _NAN])
    sub = np.where(inside, s.x, np.nan)  # NaN compares False: gaps stay out
    with warnings.catch_warnings():  # a row with no voxel in [P10, P90]: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(np.abs(sub - np.nanmean(sub, axis=1, keepdims=True)), axis=1)


def median_absolute_deviation(s: IntensitySample) -> np.ndarray:
    """Median absolute deviation (IBSI N72L): mean absolute deviation from the median.

    .. math::

        F_{stat.medad} = \\frac{1}{N_v} \\sum_{k=1}^{N_v} |X_k - P_{50}|
    """
    return s.valid(s._mean(np.abs(s.x - s.percentiles[50][:, None])))


def coefficient_of_variation(s: IntensitySample) -> np.ndarray:
    """Coefficient of variation (IBSI 7TET).

    .. math::

        F_{stat.cov} = \\frac{\\sigma}{\\mu}

    NaN when :math:`\\mu = 0`.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.sqrt(s.m2) / s.mean
    return s.valid(np.where(s.mean != 0, out, np.nan))


def quartile_coefficient_of_dispersion(s: IntensitySample) -> np.ndarray:
    """Quartile coefficient of dispersion (IBSI 9S40).

    .. math::

        F_{stat.qcod} = \\frac{P_{75} - P_{25}}{P_{75} + P_{25}}

    NaN when :math:`P_{75} + P_{25} = 0`.
    """
    p25, p75 = s.percentiles[25], s.percentiles[75]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p75 + p25 != 0, (p75 - p25) / (p75 + p25), np.nan)


def energy(s: IntensitySample) -> np.ndarray:
    """Energy (IBSI N8CA).

    .. math::

        F_{stat.energy} = \\sum_{k=1}^{N_v} X_k^2
    """
    return s.valid(s.energy)


def root_mean_square(s: IntensitySample) -> np.ndarray:
    """Root mean square (IBSI 5ZWQ).

    .. math::

        F_{stat.rms} = \\sqrt{\\frac{1}{N_v} \\sum_{k=1}^{N_v} X_k^2}
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return s.valid(np.sqrt(s.energy / s.n))


def standard_deviation(s: IntensitySample) -> np.ndarray:
    """Standard deviation (not in IBSI, which has the variance; PyRadiomics'
    ``StandardDeviation``, deprecated there).

    .. math::

        \\sigma = \\sqrt{\\frac{1}{N_v} \\sum_{k=1}^{N_v} (X_k - \\mu)^2}
    """
    return s.valid(np.sqrt(s.m2))


def total_energy(s: IntensitySample) -> np.ndarray:
    """Total energy (not in IBSI; PyRadiomics' ``TotalEnergy``): the energy times the
    voxel volume :math:`V_{voxel}` in mm^3.

    .. math::

        F_{stat.total\\_energy} = V_{voxel} \\sum_{k=1}^{N_v} (X_k + c)^2
    """
    return s.valid(s.energy * s.voxel_volume)


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
    sample = IntensitySample.of(x)
    return values_from(FEATURES, {spec.name: float(spec.compute(sample)[0]) for spec in FEATURES})
