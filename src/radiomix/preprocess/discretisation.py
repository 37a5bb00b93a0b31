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

The ``pyradiomics`` profile places the edges differently (:func:`bin_edges_pyradiomics`):
fixed bin size edges lie on multiples of :math:`w_b` (the first at
:math:`X_{min} - (X_{min} \\bmod w_b)`), fixed bin number edges are NumPy's histogram edges
with the last raised by 1, and a voxel falls in a bin by exact comparison with the edges
(``numpy.digitize``). :func:`discretise` runs either convention (``edges``).

Bin edges are compared up to floating-point round-off (a relative ``1e-9`` of the bin
index), so that e.g. ``0.3`` with bins of ``0.1`` from ``0`` lands on level 4 as written,
not on level 3 because ``0.3 / 0.1 == 2.9999999999999996``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "EDGES",
    "bin_edges_pyradiomics",
    "discretise",
    "discretise_fixed_bin_number",
    "discretise_fixed_bin_size",
]

#: bin edge conventions of :func:`discretise`
EDGES = ("ibsi", "pyradiomics")
METHODS = ("fixed_bin_size", "fixed_bin_number", "none")

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


def bin_edges_pyradiomics(
    values: np.ndarray, bin_width: float | None, bin_count: int | None
) -> np.ndarray:
    """PyRadiomics' bin edges (``imageoperations.getBinEdges``).

    Fixed bin width :math:`w`: edges :math:`l, l + w, \\ldots` below :math:`\\max + 2w` with
    :math:`l = \\min - (\\min \\bmod w)`, i.e. edges on multiples of :math:`w` (IBSI starts
    at the ROI minimum instead). A flat ROI gets the single bin :math:`[l - 0.5, l + 0.5)`.
    Fixed bin count :math:`n`: ``numpy.histogram`` edges with the last edge raised by 1.
    """
    if bin_count is not None:
        edges = np.histogram(values, bin_count)[1]
        edges[-1] += 1
        return edges
    assert bin_width is not None
    lo = float(values.min())
    hi = float(values.max())
    low = lo - (lo % bin_width)
    edges = np.arange(low, hi + 2 * bin_width, bin_width)
    if len(edges) == 1:
        edges = np.array([edges[0] - 0.5, edges[0] + 0.5])
    return edges


def discretise(
    values: np.ndarray,
    method: str,
    *,
    bin_width: float | None = None,
    bin_count: int | None = None,
    lower_bound: float | None = None,
    upper_bound: float | None = None,
    edges: str = "ibsi",
) -> tuple[np.ndarray, int]:
    """Grey levels of the ROI intensities and the number of grey levels :math:`N_g`: the one
    discretisation of the engine (ROI images, response maps, both profiles, voxel maps).

    Parameters
    ----------
    values : ndarray
        Intensities of the ROI voxels (any shape).
    method : {"fixed_bin_size", "fixed_bin_number", "none"}
        ``none`` keeps intensities that are already positive integer grey levels.
    bin_width, bin_count : float, int
        :math:`w_b` for fixed bin size, :math:`N_g` for fixed bin number.
    lower_bound : float or None
        IBSI fixed bin size: :math:`X_{gl,min}` (the re-segmentation range's lower bound or
        the discretisation's own); None starts at the ROI minimum.
    upper_bound : float or None
        IBSI fixed bin size: the re-segmentation range's upper bound :math:`X_{max}`;
        :math:`N_g` then counts the bins up to it, :math:`\\lceil (X_{max} - X_{gl,min}) /
        w_b \\rceil` (a range of 900 HU in bins of 25 HU has 36 grey levels; an intensity
        exactly at :math:`X_{max}` opens a 37th only if it occurs). None: up to the ROI
        maximum.
    edges : {"ibsi", "pyradiomics"}
        The bin edge convention (module notes; :func:`bin_edges_pyradiomics`). With
        ``pyradiomics``, :math:`N_g` is the highest grey level that occurs.

    Returns
    -------
    (ndarray of int32, int)
        The grey levels (same shape as ``values``) and :math:`N_g`.
    """
    if edges not in EDGES:
        raise ValueError(f"edges must be one of {EDGES}, got {edges!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    arr = np.asarray(values)
    if method == "none":
        if arr.size and (np.any(arr != np.round(arr)) or arr.min() < 1):
            raise ValueError(
                "discretisation method 'none' needs intensities that are positive integers "
                f"(found values from {arr.min()} to {arr.max()}); choose fixed_bin_size or "
                "fixed_bin_number"
            )
        levels = arr.astype(np.int32)
        return levels, int(levels.max()) if levels.size else 0
    if edges == "pyradiomics":
        arr = _as_finite_float(arr)
        if arr.size == 0:
            return np.zeros(arr.shape, dtype=np.int32), 0
        width = bin_width if method == "fixed_bin_size" else None
        count = bin_count if method == "fixed_bin_number" else None
        levels = np.digitize(arr, bin_edges_pyradiomics(arr, width, count)).astype(np.int32)
        return levels, int(levels.max())
    if method == "fixed_bin_number":
        if bin_count is None:
            raise ValueError("fixed_bin_number needs bin_count")
        return discretise_fixed_bin_number(arr, bin_count), int(bin_count)
    if bin_width is None:
        raise ValueError("fixed_bin_size needs bin_width")
    arr = _as_finite_float(arr)
    if arr.size == 0:
        return np.zeros(arr.shape, dtype=np.int32), 0
    lower = float(arr.min()) if lower_bound is None else float(lower_bound)
    levels = discretise_fixed_bin_size(arr, bin_width, lower)
    n_levels = int(levels.max())
    if upper_bound is not None:
        n_levels = max(n_levels, math.ceil((upper_bound - lower) / bin_width - 1e-9))
    return levels, n_levels
