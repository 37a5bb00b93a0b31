"""Intensity discretisation (IBSI 1, "Intensity discretisation" chapter).

Two IBSI methods map the intensities of the ROI voxels onto grey levels :math:`1, 2, \\ldots`:

* fixed bin number (FBN, IBSI K15C): the ROI's intensity range
  :math:`[X_{gl,min}, X_{gl,max}]` is split into :math:`N_g` bins of equal width,

  .. math::

      X_{d,k} = \\begin{cases}
      \\left\\lfloor N_g \\frac{X_{gl,k} - X_{gl,min}}{X_{gl,max} - X_{gl,min}}
      \\right\\rfloor + 1 & X_{gl,k} < X_{gl,max} \\\\
      N_g & X_{gl,k} = X_{gl,max}
      \\end{cases}

* fixed bin size (FBS, IBSI Q3RU): bins of width :math:`w_b` start at the lower bound
  :math:`X_{gl,min}` of the re-segmentation range (the ROI minimum when no range is set),

  .. math::

      X_{d,k} = \\left\\lfloor \\frac{X_{gl,k} - X_{gl,min}}{w_b} \\right\\rfloor + 1

  so an intensity exactly on a bin edge belongs to the upper bin.

Bin edges are compared up to floating-point round-off (a relative ``1e-9`` of the bin
index), so that e.g. ``0.3`` with bins of ``0.1`` from ``0`` lands on level 4 as written,
not on level 3 because ``0.3 / 0.1 == 2.9999999999999996``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["discretise_fixed_bin_number", "discretise_fixed_bin_size"]

_EDGE_RTOL = 1e-9


def _floor_index(t: np.ndarray) -> np.ndarray:
    """``floor(t)`` that treats values within round-off below an integer as that integer."""
    return np.floor(t + _EDGE_RTOL * np.maximum(1.0, np.abs(t)))


def _as_finite_float(values: np.ndarray, name: str = "values") -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contain NaN or infinite intensities; mask them out first")
    return arr


def discretise_fixed_bin_number(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Fixed bin number discretisation (IBSI K15C).

    Parameters
    ----------
    values : ndarray
        Intensities of the ROI voxels (any shape).
    n_bins : int
        Number of bins :math:`N_g` (>= 1).

    Returns
    -------
    ndarray of int32
        Grey levels in ``1..n_bins``, same shape as ``values``. The ROI maximum maps to
        ``n_bins``; a ROI with a single intensity maps to level 1.
    """
    if isinstance(n_bins, bool) or int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    n_bins = int(n_bins)
    arr = _as_finite_float(values)
    if arr.size == 0:
        return np.zeros(arr.shape, dtype=np.int32)
    lo = float(arr.min())
    hi = float(arr.max())
    if hi == lo:
        return np.ones(arr.shape, dtype=np.int32)
    levels = _floor_index(n_bins * (arr - lo) / (hi - lo)) + 1.0
    np.clip(levels, 1, n_bins, out=levels)
    return levels.astype(np.int32)


def discretise_fixed_bin_size(
    values: np.ndarray, bin_width: float, lower_bound: float
) -> np.ndarray:
    """Fixed bin size discretisation (IBSI Q3RU).

    Parameters
    ----------
    values : ndarray
        Intensities of the ROI voxels (any shape), none below ``lower_bound``.
    bin_width : float
        Bin width :math:`w_b` (> 0), in intensity units.
    lower_bound : float
        :math:`X_{gl,min}`: the lower bound of the re-segmentation range; the caller
        passes the ROI minimum when no range is set.

    Returns
    -------
    ndarray of int32
        Grey levels ``floor((x - lower_bound) / bin_width) + 1`` (>= 1), same shape as
        ``values``.
    """
    if not (math.isfinite(bin_width) and bin_width > 0):
        raise ValueError(f"bin_width must be a positive finite number, got {bin_width!r}")
    if not math.isfinite(lower_bound):
        raise ValueError(f"lower_bound must be finite, got {lower_bound!r}")
    arr = _as_finite_float(values)
    if arr.size == 0:
        return np.zeros(arr.shape, dtype=np.int32)
    vmin = float(arr.min())
    if vmin < lower_bound:
        raise ValueError(
            f"an intensity ({vmin:g}) lies below the lower bound {lower_bound:g}: pass the "
            "re-segmentation range minimum after re-segmenting, or the ROI minimum"
        )
    levels = _floor_index((arr - lower_bound) / bin_width) + 1.0
    if levels.max() > np.iinfo(np.int32).max:
        raise ValueError(
            f"bin_width {bin_width:g} gives more than 2**31 bins over the ROI's intensities"
        )
    return levels.astype(np.int32)
