"""Automatic segmentation by a global threshold: a given value, Otsu, or multi-level Otsu.

Otsu's threshold maximises the between-class variance of the grey-level histogram,
:math:`\\sigma_B^2(t) = \\omega_0(t)\\,\\omega_1(t)\\,(\\mu_0(t) - \\mu_1(t))^2` (Otsu 1979);
multi-Otsu generalises it to :math:`K` classes with :math:`K - 1` thresholds (Liao et al.
2001). Both come from scikit-image (256-bin histogram). The thresholded mask is then
cleaned (:func:`radiomix.segment.clean_mask`).

References
----------
Otsu N. A threshold selection method from gray-level histograms. IEEE Trans Syst Man Cybern
9 (1979) 62-66. doi:10.1109/TSMC.1979.4310076
Liao PS, Chen TS, Chung PC. A fast algorithm for multilevel thresholding. J Inf Sci Eng 17
(2001) 713-727.
"""

from __future__ import annotations

import numpy as np
from skimage.filters import threshold_multiotsu, threshold_otsu

from radiomix.errors import EmptyMaskError, InvalidImageError, PromptError
from radiomix.io import Volume, check_finite
from radiomix.segment.cleanup import clean_mask

__all__ = ["multi_otsu_labels", "otsu_threshold", "threshold_segment"]


def _values(image: Volume) -> np.ndarray:
    arr = np.asarray(image.array, dtype=float)
    check_finite(arr, what="image")
    if np.ptp(arr) == 0:
        raise InvalidImageError("the image is constant: there is nothing to threshold")
    return arr


def otsu_threshold(image: Volume) -> float:
    """Otsu's threshold of the whole image (scikit-image, 256 bins)."""
    return float(threshold_otsu(_values(image)))


def multi_otsu_labels(image: Volume, classes: int = 3) -> Volume:
    """Label map 0 .. classes-1 from the multi-Otsu thresholds (0 = darkest class).

    Raises
    ------
    PromptError
        ``classes`` below 2.
    """
    if int(classes) != classes or classes < 2:
        raise PromptError(f"multi-Otsu needs at least 2 classes, got {classes!r}")
    arr = _values(image)
    try:
        thresholds = threshold_multiotsu(arr, classes=int(classes))
    except ValueError as exc:
        raise InvalidImageError(f"multi-Otsu with {classes} classes failed: {exc}") from None
    return image.with_array(np.digitize(arr, thresholds).astype(np.uint8))


def threshold_segment(
    image: Volume,
    threshold: str | float = "otsu",
    *,
    side: str = "above",
    classes: int = 3,
    opening_mm: float = 0.0,
    closing_mm: float = 0.0,
    fill_holes: bool = True,
    min_size: int = 0,
    largest_component: bool = False,
    mode: str = "auto",
) -> Volume:
    """Binary mask of the voxels above (or below) a global threshold, cleaned.

    Parameters
    ----------
    image : Volume
        The image.
    threshold : "otsu", "multiotsu" or float
        A value in image units, Otsu's threshold, or multi-Otsu with ``classes`` classes
        (``above`` keeps the brightest class, ``below`` the darkest).
    side : {"above", "below"}
        Keep voxels ``>= t`` (above) or ``< t`` (below; e.g. hypoechoic lesions in
        ultrasound, air in CT).
    classes : int
        Number of classes for multi-Otsu.
    opening_mm, closing_mm, fill_holes, min_size, largest_component, mode
        Clean-up, see :func:`radiomix.segment.clean_mask`.

    Returns
    -------
    Volume
        Boolean mask on the image grid; ``metadata["threshold"]`` holds the threshold used.

    Raises
    ------
    PromptError
        Unknown threshold name or side.
    EmptyMaskError
        No voxel is left.
    """
    if side not in ("above", "below"):
        raise PromptError(f"side must be 'above' or 'below', got {side!r}")
    arr = _values(image)
    if isinstance(threshold, str):
        name = threshold.strip().lower().replace("-", "").replace("_", "")
        if name == "otsu":
            t = float(threshold_otsu(arr))
        elif name == "multiotsu":
            labels = multi_otsu_labels(image, classes).array
            keep = labels == (labels.max() if side == "above" else 0)
            t = float(arr[keep].min() if side == "above" else arr[keep].max())
            side_mask = keep
        else:
            try:
                t = float(threshold)
            except ValueError:
                raise PromptError(
                    f"threshold {threshold!r}: give a number, 'otsu' or 'multiotsu'"
                ) from None
    else:
        t = float(threshold)
    if not np.isfinite(t):
        raise PromptError(f"threshold must be a finite number, got {threshold!r}")
    if not (isinstance(threshold, str) and name == "multiotsu"):
        side_mask = arr >= t if side == "above" else arr < t
    out = clean_mask(
        image.with_array(side_mask),
        opening_mm=opening_mm,
        closing_mm=closing_mm,
        fill_holes=fill_holes,
        min_size=min_size,
        largest_component=largest_component,
        mode=mode,
    )
    if not out.array.any():
        raise EmptyMaskError(
            f"no voxel is {side} the threshold {t:g} after clean-up; choose another threshold "
            "or side, or relax the clean-up (min_size, opening)"
        )
    meta = dict(out.metadata)
    meta["threshold"] = t
    return out.with_array(out.array, metadata=meta)
