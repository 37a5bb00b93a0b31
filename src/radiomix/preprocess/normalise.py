"""Intensity normalisation of a whole image (PyRadiomics' ``normalize`` setting).

IBSI 1 leaves normalisation out of its reference chain; PyRadiomics z-scores the whole
image before resampling when ``normalize`` is on. The mean and standard deviation are the
whole image's (:func:`normalise_statistics`); the z-score is a voxel-wise map, so
:func:`normalise` may apply them to any part of the image (a crop around the ROI) with the
values the whole image would have there.
"""

from __future__ import annotations

import numpy as np

from radiomix.io import Volume

__all__ = ["normalise", "normalise_statistics"]


def normalise_statistics(image: Volume) -> tuple[float, float]:
    """Mean and sample standard deviation of every voxel of ``image``, as SimpleITK's
    ``Normalize`` computes them (its ``StatisticsImageFilter``, compensated sums)."""
    import SimpleITK as sitk

    from radiomix.io import to_sitk

    stats = sitk.StatisticsImageFilter()
    stats.Execute(to_sitk(image))
    return float(stats.GetMean()), float(stats.GetSigma())


def normalise(
    image: Volume,
    scale: float = 1.0,
    outliers: float | None = None,
    *,
    statistics: tuple[float, float] | None = None,
) -> Volume:
    """The image z-scored, clipped and scaled (PyRadiomics' ``normalizeImage``).

    :math:`f(x) = s\\, \\mathrm{clip}((x - \\mu) / \\sigma, -n, n)` with :math:`\\mu` and
    :math:`\\sigma` the mean and sample standard deviation of every voxel of the image
    (``statistics``, by default :func:`normalise_statistics` of ``image``; give the whole
    image's to normalise a part of it), :math:`n` = ``outliers`` (PyRadiomics'
    ``removeOutliers``; no clipping when None) and :math:`s` = ``scale``
    (``normalizeScale``). 64-bit float, computed as SimpleITK's ``Normalize`` and
    ``Multiply`` compute it (:math:`(x + (-\\mu)) \\cdot (1/\\sigma)`, then the clip, then
    the scale): equal to them to the bit. The geometry and metadata of ``image`` are kept.
    """
    mean, sigma = normalise_statistics(image) if statistics is None else statistics
    out = np.asarray(image.array).astype(np.float64)
    out += -mean
    out *= 1.0 / sigma
    if outliers is not None:
        np.clip(out, -outliers, outliers, out=out)
    out *= float(scale)
    return image.with_array(out)
