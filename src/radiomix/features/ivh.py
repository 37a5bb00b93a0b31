"""Intensity-volume histogram (IVH) features (IBSI 1, family code P88C).

The IVH is evaluated on a grid of intensities :math:`i_k = i_{min} + k\\,\\Delta`,
:math:`k = 0..K`, with :math:`i_{max} = i_{min} + K\\Delta`. At each grid intensity

.. math::

    \\nu_k = \\frac{1}{N_v} \\left|\\{X_j : X_j \\ge i_k\\}\\right| \\quad
    \\text{(fractional volume)}, \\qquad
    \\gamma_k = \\frac{i_k - i_{min}}{i_{max} - i_{min}} \\quad
    \\text{(fractional intensity)}

How the grid, :math:`\\Delta` and :math:`[i_{min}, i_{max}]` are chosen is the IBSI "IVH
discretisation", which :func:`compute` takes as ``method``:

``"none"``
    The intensities are already discrete with step ``step`` (CT in HU: step 1). The grid runs
    over ``value_range`` (the re-segmentation range) when one is set, else over the ROI's
    minimum and maximum. IBSI CT configurations A, B and D; the digital phantom.
``"fixed_bin_size"``
    Intensities are binned with width ``bin_width`` from the lower bound (the re-segmentation
    range minimum, else the ROI minimum; IBSI fixed bin size discretisation) and replaced by
    their bin centres :math:`X_{min} + (X_d - 0.5) w_b`. The grid is the bin centres from the
    first bin to the bin holding the upper bound (the re-segmentation range maximum, else the
    ROI maximum), :math:`\\Delta = w_b`. IBSI CT configuration C (2.5 HU).
``"fixed_bin_number"``
    Intensities are discretised into ``n_bins`` bins of the ROI's own minimum and maximum
    (IBSI fixed bin number), and the grid is the grey levels :math:`1..N_g`,
    :math:`\\Delta = 1`; ``value_range`` plays no part (fixed bin number is defined on the
    ROI's range). IBSI CT configuration E (1000 bins); the intensities :math:`I_x` are then
    bin numbers.

Degenerate inputs: an empty ROI gives NaN everywhere. When :math:`i_{max} = i_{min}` the
fractional intensity is undefined and the volume-fraction features and the area under the
curve are NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from radiomix.features._base import FeatureSpec, FeatureValue, values_from
from radiomix.preprocess.discretisation import (
    discretise_fixed_bin_number,
    discretise_fixed_bin_size,
)

__all__ = ["FEATURES", "METHODS", "IntensityVolumeHistogram", "build_ivh", "compute"]

METHODS: tuple[str, ...] = ("none", "fixed_bin_size", "fixed_bin_number")

MAX_GRID_POINTS = 10_000_000
"""Largest IVH grid accepted (guards against a step far too small for the intensity range)."""

_NAN = float("nan")
_GRID_RTOL = 1e-9


@dataclass(frozen=True, eq=False)
class IntensityVolumeHistogram:
    """An IVH: voxel counts per grid intensity, and the shared curves.

    ``counts[k]`` is the number of voxels :math:`X_j` with :math:`i_k \\le X_j < i_{k+1}`.
    """

    counts: np.ndarray  # float64, (K + 1,)
    lower: float  # i_min
    step: float  # Delta

    @cached_property
    def n_voxels(self) -> float:
        return float(self.counts.sum())

    @cached_property
    def is_empty(self) -> bool:
        return self.n_voxels == 0

    @cached_property
    def k(self) -> np.ndarray:
        return np.arange(self.counts.size, dtype=np.float64)

    @cached_property
    def intensity(self) -> np.ndarray:
        """Grid intensities :math:`i_k`."""
        return self.lower + self.k * self.step

    @cached_property
    def span(self) -> float:
        """:math:`i_{max} - i_{min}`."""
        return (self.counts.size - 1) * self.step

    @cached_property
    def nu(self) -> np.ndarray:
        """Fractional volume :math:`\\nu_k` (non-increasing, :math:`\\nu_0 = 1`)."""
        below = np.concatenate(([0.0], np.cumsum(self.counts)[:-1]))
        return (self.n_voxels - below) / self.n_voxels

    @cached_property
    def gamma(self) -> np.ndarray:
        """Fractional intensity :math:`\\gamma_k` (NaN when :math:`i_{max} = i_{min}`)."""
        if self.span == 0:
            return np.full(self.counts.size, np.nan)
        return self.k * self.step / self.span

    def volume_at(self, x: float) -> float:
        """:math:`V_x`: the largest :math:`\\nu_k` with :math:`\\gamma_k \\ge x`."""
        if self.is_empty or self.span == 0:
            return _NAN
        k = np.flatnonzero(self.gamma >= x)
        return float(self.nu[k[0]]) if k.size else 0.0

    def intensity_at(self, x: float) -> float:
        """:math:`I_x`: the smallest :math:`i_k` with :math:`\\nu_k \\le x`.

        When even the top grid intensity holds more than a fraction ``x`` of the volume,
        the next grid step above it, :math:`i_{max} + \\Delta` (where :math:`\\nu = 0`).
        """
        if self.is_empty:
            return _NAN
        k = np.flatnonzero(self.nu <= x)
        if k.size:
            return float(self.intensity[k[0]])
        return float(self.lower + self.counts.size * self.step)


def build_ivh(
    values: np.ndarray, *, step: float, lower: float, upper: float
) -> IntensityVolumeHistogram:
    """IVH of ``values`` on the grid ``lower, lower + step, ..., upper``.

    Parameters
    ----------
    values : ndarray of float
        Intensities of the ROI voxels (1D), within ``[lower, upper]``; normally on the grid.
        A value between grid points counts towards every grid intensity not above it.
    step : float
        Grid step :math:`\\Delta` (> 0).
    lower, upper : float
        :math:`i_{min}` and :math:`i_{max}`; ``upper - lower`` should be a multiple of
        ``step`` (else the grid stops at the last grid point below ``upper``).
    """
    t_top = (upper - lower) / step
    n_steps = math.floor(t_top + _GRID_RTOL * max(1.0, abs(t_top)))
    if n_steps + 1 > MAX_GRID_POINTS:
        raise ValueError(
            f"the IVH grid from {lower:g} to {upper:g} in steps of {step:g} has more than "
            f"{MAX_GRID_POINTS} points; use a larger step or method='fixed_bin_number'"
        )
    t = (values - lower) / step
    j = np.floor(t + _GRID_RTOL * np.maximum(1.0, np.abs(t))).astype(np.int64)
    counts = np.bincount(np.clip(j, 0, n_steps), minlength=n_steps + 1).astype(np.float64)
    return IntensityVolumeHistogram(counts, float(lower), float(step))


# --------------------------------------------------------------------------- formulas


def volume_fraction_10(h: IntensityVolumeHistogram) -> float:
    """Volume fraction at 10% intensity (IBSI NK6P).

    .. math::

        F_{ivh.V10} = \\max\\{\\nu_k : \\gamma_k \\ge 0.10\\}
    """
    return h.volume_at(0.10)


def volume_fraction_90(h: IntensityVolumeHistogram) -> float:
    """Volume fraction at 90% intensity (IBSI 4279).

    .. math::

        F_{ivh.V90} = \\max\\{\\nu_k : \\gamma_k \\ge 0.90\\}
    """
    return h.volume_at(0.90)


def intensity_10(h: IntensityVolumeHistogram) -> float:
    """Intensity at 10% volume (IBSI PWN1).

    .. math::

        F_{ivh.I10} = \\min\\{i_k : \\nu_k \\le 0.10\\}

    (:math:`i_{max} + \\Delta` when no grid intensity qualifies).
    """
    return h.intensity_at(0.10)


def intensity_90(h: IntensityVolumeHistogram) -> float:
    """Intensity at 90% volume (IBSI BOHI).

    .. math::

        F_{ivh.I90} = \\min\\{i_k : \\nu_k \\le 0.90\\}

    (:math:`i_{max} + \\Delta` when no grid intensity qualifies).
    """
    return h.intensity_at(0.90)


def volume_fraction_difference_10_90(h: IntensityVolumeHistogram) -> float:
    """Volume fraction difference between 10% and 90% intensity (IBSI WITY).

    .. math::

        F_{ivh.V10minusV90} = F_{ivh.V10} - F_{ivh.V90}
    """
    return h.volume_at(0.10) - h.volume_at(0.90)


def intensity_difference_10_90(h: IntensityVolumeHistogram) -> float:
    """Intensity difference between 10% and 90% volume (IBSI JXJA).

    .. math::

        F_{ivh.I10minusI90} = F_{ivh.I10} - F_{ivh.I90}
    """
    return h.intensity_at(0.10) - h.intensity_at(0.90)


def area_under_curve(h: IntensityVolumeHistogram) -> float:
    """Area under the IVH curve (IBSI 9CMM), by the trapezoidal rule over the grid.

    .. math::

        F_{ivh.auc} = \\sum_{k=1}^{K} \\frac{(\\gamma_k - \\gamma_{k-1})
        (\\nu_k + \\nu_{k-1})}{2}

    IBSI gives no reference value for this feature (no consensus on interpolating the
    curve), hence it is registered as not IBSI compliant.
    """
    if h.is_empty or h.span == 0:
        return _NAN
    return float(np.trapezoid(h.nu, h.gamma))


def _spec(
    name: str, code: str, tag: str, fn, compliant: bool = True, note: str = ""
) -> FeatureSpec:
    return FeatureSpec(
        name=name,
        family="ivh",
        ibsi_code=code,
        ibsi_tag=tag,
        compute=fn,
        ibsi_compliant=compliant,
        note=note,
    )


FEATURES: tuple[FeatureSpec, ...] = (
    _spec("volume_fraction_10", "NK6P", "ivh_v10", volume_fraction_10),
    _spec("volume_fraction_90", "4279", "ivh_v90", volume_fraction_90),
    _spec("intensity_10", "PWN1", "ivh_i10", intensity_10),
    _spec("intensity_90", "BOHI", "ivh_i90", intensity_90),
    _spec(
        "volume_fraction_difference_10_90",
        "WITY",
        "ivh_diff_v10_v90",
        volume_fraction_difference_10_90,
    ),
    _spec("intensity_difference_10_90", "JXJA", "ivh_diff_i10_i90", intensity_difference_10_90),
    _spec(
        "area_under_curve",
        "9CMM",
        "ivh_auc",
        area_under_curve,
        compliant=False,
        note="IBSI defines it but publishes no reference value (no consensus)",
    ),
)


def _check_positive(name: str, value: float | None) -> float:
    if value is None or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def _check_range(value_range: tuple[float, float] | None) -> tuple[float, float] | None:
    if value_range is None:
        return None
    try:
        lo, hi = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise ValueError(
            f"value_range must be a (lower, upper) pair of numbers, got {value_range!r}"
        ) from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
        raise ValueError(f"value_range must be finite with lower <= upper, got {value_range!r}")
    return lo, hi


def compute(
    values: np.ndarray,
    *,
    method: str = "none",
    step: float = 1.0,
    bin_width: float | None = None,
    n_bins: int | None = None,
    value_range: tuple[float, float] | None = None,
) -> list[FeatureValue]:
    """Intensity-volume histogram features, in registry order.

    Parameters
    ----------
    values : ndarray of float
        Intensities of the voxels in the intensity mask, after re-segmentation (1D; other
        shapes are flattened), *not* discretised: the IVH discretisation is done here.
    method : {"none", "fixed_bin_size", "fixed_bin_number"}
        IBSI IVH discretisation (see the module docstring).
    step : float
        ``method="none"``: the step of the discrete intensities (1 for CT in HU). Values off
        the grid ``lower + k * step`` count towards every grid intensity not above them.
    bin_width : float
        ``method="fixed_bin_size"``: bin width (2.5 HU in IBSI configuration C).
    n_bins : int
        ``method="fixed_bin_number"``: number of bins (1000 in IBSI configuration E).
    value_range : (float, float), optional
        The re-segmentation range (lower, upper), when one is set. It bounds the fractional
        intensity (``"none"``) or the bins (``"fixed_bin_size"``: binning starts at its
        lower bound and the grid ends at the bin holding its upper bound); without it, the
        ROI's minimum and maximum are used. Ignored by ``"fixed_bin_number"``. Every value
        must lie inside it.

    Returns
    -------
    list of FeatureValue
        The 7 features of :data:`FEATURES`.

    Examples
    --------
    IBSI CT configurations (``hu`` = ROI intensities after re-segmentation):

    - A, B: ``compute(hu, method="none", step=1, value_range=(-500, 400))``
    - C: ``compute(hu, method="fixed_bin_size", bin_width=2.5, value_range=(-1000, 400))``
    - D: ``compute(hu, method="none", step=1)``
    - E: ``compute(hu, method="fixed_bin_number", n_bins=1000)``
    """
    if method not in METHODS:
        raise ValueError(f"unknown IVH method {method!r}; choose one of {', '.join(METHODS)}")
    arr = np.asarray(values)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"values must be a numeric array, got dtype {arr.dtype}")
    x = np.ascontiguousarray(arr, dtype=np.float64).ravel()
    if not np.all(np.isfinite(x)):
        raise ValueError("values contain NaN or infinite intensities; mask them out first")
    rng = _check_range(value_range)

    if method == "fixed_bin_number":
        if isinstance(n_bins, bool) or n_bins is None or int(n_bins) != n_bins or n_bins < 1:
            raise ValueError(f"method='fixed_bin_number' needs n_bins >= 1, got {n_bins!r}")
    elif method == "fixed_bin_size":
        _check_positive("bin_width", bin_width)
    else:
        _check_positive("step", step)

    if x.size == 0:
        hist = IntensityVolumeHistogram(np.zeros(1), 0.0, 1.0)
        return values_from(FEATURES, {spec.name: spec.compute(hist) for spec in FEATURES})

    lo, hi = rng if rng is not None else (float(x.min()), float(x.max()))
    if rng is not None and method != "fixed_bin_number" and (x.min() < lo or x.max() > hi):
        raise ValueError(
            f"ROI intensities {x.min():g}..{x.max():g} fall outside value_range "
            f"({lo:g}, {hi:g}); re-segment the ROI to the range first"
        )

    if method == "none":
        hist = build_ivh(x, step=float(step), lower=lo, upper=hi)
    elif method == "fixed_bin_size":
        w = float(bin_width)  # type: ignore[arg-type]
        top = int(discretise_fixed_bin_size(np.array([hi]), w, lo)[0])
        centres = lo + (discretise_fixed_bin_size(x, w, lo) - 0.5) * w
        hist = build_ivh(centres, step=w, lower=lo + 0.5 * w, upper=lo + (top - 0.5) * w)
    else:
        levels = discretise_fixed_bin_number(x, int(n_bins))  # type: ignore[arg-type]
        hist = build_ivh(levels.astype(np.float64), step=1.0, lower=1.0, upper=float(n_bins or 1))

    return values_from(FEATURES, {spec.name: spec.compute(hist) for spec in FEATURES})
