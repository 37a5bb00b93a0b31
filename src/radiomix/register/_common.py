"""Shared helpers of the registration room: inputs as SimpleITK images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import SimpleITK as sitk

from radiomix.io import Volume, from_sitk, read_image, read_mask, to_sitk

__all__ = ["as_sitk_image", "as_sitk_mask", "as_volume"]


def as_sitk_image(source: Any, what: str = "image") -> sitk.Image:
    """A 3D float32 SimpleITK image from a path, a :class:`Volume` or a SimpleITK image.

    Parameters
    ----------
    source : str, Path, Volume or SimpleITK.Image
        Anything :func:`radiomix.io.read_image` reads.
    what : str
        Name used in error messages.

    Returns
    -------
    SimpleITK.Image
        The image in ITK's (x, y, z) convention, voxels as float32.
    """
    if isinstance(source, sitk.Image):
        image = source
    else:
        volume = source if isinstance(source, Volume) else read_image(_path(source))
        image = to_sitk(volume)
    return sitk.Cast(image, sitk.sitkFloat32)


def as_sitk_mask(source: Any, reference: sitk.Image | None = None) -> sitk.Image:
    """A label map (unsigned integer SimpleITK image) from a path, Volume or SimpleITK image.

    A mask read from a file without geometry of its own (a 2D PNG, an array) takes the
    geometry of ``reference``.
    """
    if isinstance(source, sitk.Image):
        image = source
    else:
        ref = from_sitk(reference) if reference is not None else None
        volume = read_mask(
            _path(source) if not isinstance(source, Volume) else source, reference=ref
        )
        image = to_sitk(volume)
    if image.GetPixelID() not in (sitk.sitkUInt8, sitk.sitkUInt16, sitk.sitkUInt32):
        image = sitk.Cast(image, sitk.sitkUInt32)
    return image


def as_volume(image: sitk.Image) -> Volume:
    """A :class:`Volume` (z, y, x) from a SimpleITK image."""
    return from_sitk(image)


def _path(source: Any) -> Any:
    return Path(source) if isinstance(source, str) else source
