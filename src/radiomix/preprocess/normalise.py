"""Intensity normalisation of a whole image (PyRadiomics' ``normalize`` setting).

IBSI 1 leaves normalisation out of its reference chain; PyRadiomics z-scores the whole
image before resampling when ``normalize`` is on. One function, on volumes.
"""

from __future__ import annotations

from radiomix.io import Volume

__all__ = ["normalise"]


def normalise(image: Volume, scale: float = 1.0, outliers: float | None = None) -> Volume:
    """The whole image z-scored, clipped and scaled (PyRadiomics' ``normalizeImage``).

    :math:`f(x) = s\\, \\mathrm{clip}((x - \\mu) / \\sigma, -n, n)` with :math:`\\mu` and
    :math:`\\sigma` the mean and sample standard deviation of every voxel of the image
    (SimpleITK's ``Normalize``, whose output is 64-bit float), :math:`n` = ``outliers``
    (PyRadiomics' ``removeOutliers``; no clipping when None) and :math:`s` = ``scale``
    (``normalizeScale``). The metadata of ``image`` is kept.
    """
    import SimpleITK as sitk

    from radiomix.io import from_sitk, to_sitk

    out = sitk.Normalize(to_sitk(image))
    if outliers is not None:
        arr = sitk.GetArrayFromImage(out)
        arr[arr > outliers] = outliers
        arr[arr < -outliers] = -outliers
        clipped = sitk.GetImageFromArray(arr)
        clipped.CopyInformation(out)
        out = clipped
    volume = from_sitk(sitk.Multiply(out, float(scale)))
    return volume.with_array(volume.array, metadata=image.metadata)
