"""Re-segmentation of the intensity mask (IBSI 1, "Re-segmentation").

The ROI mask after interpolation is the *morphological* mask. Re-segmentation removes voxels
by intensity and gives the *intensity* mask; the morphological mask is left as it is. The
IBSI configurations apply range re-segmentation first, then outlier filtering on the voxels
that remain (so the mean and standard deviation of the outlier filter are those of the
range-re-segmented ROI).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["outlier_bounds", "resegment_outliers", "resegment_range"]


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
    """``mean -+ n_sigma * SD`` of ``values`` (population SD, i.e. divided by N).

    Returns ``(nan, nan)`` for no values.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return math.nan, math.nan
    mu = float(v.mean())
    sd = float(np.sqrt(np.mean((v - mu) ** 2)))
    return mu - n_sigma * sd, mu + n_sigma * sd


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
