"""Re-segmentation of the intensity mask (IBSI 1, "Re-segmentation").

The ROI mask after interpolation is the *morphological* mask. Re-segmentation removes voxels
by intensity and gives the *intensity* mask; the morphological mask is left as it is. The
IBSI configurations apply range re-segmentation first, then outlier filtering on the voxels
that remain (so the mean and standard deviation of the outlier filter are those of the
range-re-segmented ROI).

PyRadiomics' ``resegmentRange`` is one function here too, :func:`resegment_thresholds`:
its ``absolute`` mode is range re-segmentation, its ``sigma`` mode with (-3, 3) is IBSI's
outlier filtering, with the mean and SD in the image's own precision
(``native_precision``) where IBSI's are in double precision.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "RESEGMENT_MODES",
    "outlier_bounds",
    "resegment_outliers",
    "resegment_range",
    "resegment_thresholds",
]

#: how :func:`resegment_thresholds` reads its thresholds
RESEGMENT_MODES = ("absolute", "relative", "sigma")


def _check(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    img = np.asarray(image)
    roi = np.asarray(mask)
    if img.shape != roi.shape:
        raise ValueError(f"image shape {img.shape} and mask shape {roi.shape} differ")
    if roi.dtype != bool:
        roi = roi.astype(bool)
    return img, roi


def resegment_range(
    image: np.ndarray, mask: np.ndarray, lower: float | None, upper: float | None
) -> np.ndarray:
    """Range re-segmentation: keep ROI voxels with ``lower <= intensity <= upper``.

    Parameters
    ----------
    image : ndarray
        Intensities, any shape.
    mask : ndarray of bool
        ROI on the same grid.
    lower, upper : float or None
        Inclusive bounds; ``None`` leaves that side open.

    Returns
    -------
    ndarray of bool
        The re-segmented mask (a new array). NaN intensities are never kept.
    """
    img, roi = _check(image, mask)
    if lower is not None and upper is not None and lower > upper:
        raise ValueError(f"the lower bound {lower} is above the upper bound {upper}")
    keep = roi.copy()
    if lower is not None:
        keep &= img >= lower
    if upper is not None:
        keep &= img <= upper
    if lower is None and upper is None and np.issubdtype(img.dtype, np.floating):
        keep &= ~np.isnan(img)
    return keep


def outlier_bounds(values: np.ndarray, n_sigma: float = 3.0) -> tuple[float, float]:
    """``mean -+ n_sigma * SD`` of ``values`` (population SD, i.e. divided by N), in double
    precision: :func:`resegment_thresholds` in ``sigma`` mode with ``(-n_sigma, n_sigma)``.

    Returns ``(nan, nan)`` for no values.
    """
    lo, hi = resegment_thresholds(values, (-n_sigma, n_sigma), "sigma")
    assert hi is not None
    return lo, hi


def resegment_thresholds(
    values: np.ndarray,
    thresholds: tuple[float, ...] | list[float],
    mode: str = "absolute",
    *,
    native_precision: bool = False,
) -> tuple[float, float | None]:
    """The intensity range ``[lower, upper]`` a re-segmentation keeps, from one or two
    thresholds :math:`T_1 \\le T_2` (sorted) and the ROI's intensities ``values``.

    ``mode``:

    - ``absolute``: the thresholds as given (IBSI's range re-segmentation);
    - ``relative``: times the largest ROI intensity;
    - ``sigma``: :math:`\\mu + T \\sigma`, the ROI mean and population SD (IBSI's outlier
      filtering is ``(-3, 3)``).

    One threshold leaves the top open (``upper`` None). ``native_precision`` (PyRadiomics'
    ``resegmentRange``): the mean and SD as NumPy computes them in the values' own type
    (single precision for a float32 image), where IBSI's are in double precision; no
    values give NaN bounds.

    Raises
    ------
    ValueError
        An unknown mode, or not one or two thresholds.
    """
    if mode not in RESEGMENT_MODES:
        raise ValueError(f"unknown re-segmentation mode {mode!r}; one of {RESEGMENT_MODES}")
    ts = sorted(float(t) for t in thresholds)
    if len(ts) not in (1, 2):
        raise ValueError(f"re-segmentation takes one or two thresholds, got {list(thresholds)}")
    if mode == "absolute":
        bounds = ts
    else:
        v = np.asarray(values) if native_precision else np.asarray(values, dtype=np.float64)
        if v.size == 0:
            return math.nan, (math.nan if len(ts) == 2 else None)
        if mode == "relative":
            top = float(np.max(v))
            bounds = [top * t for t in ts]
        elif native_precision:
            mu, sd = float(np.mean(v)), float(np.std(v))
            bounds = [mu + sd * t for t in ts]
        else:
            mu = float(v.mean())
            sd = float(np.sqrt(np.mean((v - mu) ** 2)))
            bounds = [mu + sd * t for t in ts]
    return bounds[0], (bounds[1] if len(bounds) == 2 else None)


def resegment_outliers(image: np.ndarray, mask: np.ndarray, n_sigma: float = 3.0) -> np.ndarray:
    """Intensity outlier filtering: keep ROI voxels within the mean +- ``n_sigma`` SD.

    .. math::

        \\mu - n\\sigma \\le X_k \\le \\mu + n\\sigma

    where :math:`\\mu` and :math:`\\sigma` are the mean and the (population, :math:`1/N`)
    standard deviation of the intensities of the ROI voxels in ``mask`` (IBSI 1 outlier
    filtering uses :math:`n = 3`).

    Parameters
    ----------
    image : ndarray
        Intensities.
    mask : ndarray of bool
        ROI on the same grid (after range re-segmentation, when both are used).
    n_sigma : float
        Half-width of the window in standard deviations (positive).

    Returns
    -------
    ndarray of bool
        The re-segmented mask (a new array). An empty ROI stays empty.
    """
    if not (math.isfinite(n_sigma) and n_sigma > 0):
        raise ValueError(f"n_sigma must be a positive number, got {n_sigma!r}")
    img, roi = _check(image, mask)
    values = img[roi]
    if values.size == 0:
        return roi.copy()
    if not np.all(np.isfinite(values)):
        raise ValueError("the ROI holds NaN or infinite intensities; mask them out first")
    lo, hi = outlier_bounds(values, n_sigma)
    return roi & (img >= lo) & (img <= hi)
