"""Typed exceptions raised by radiomix.

Every error a user can cause by bad input derives from :class:`RadiomixError`, so a
batch runner can record it and move on, and the command line can print one clear line
and exit with status 2. Messages say what is wrong and what to do about it.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "EmptyMaskError",
    "GeometryMismatchError",
    "ImageReadError",
    "InvalidImageError",
    "LabelNotFoundError",
    "RadiomixError",
    "RoiTooSmallError",
]


class RadiomixError(Exception):
    """Base class of every error caused by input, settings or data."""


class ImageReadError(RadiomixError):
    """A file or folder could not be read as an image or mask (missing, corrupt, truncated)."""


class InvalidImageError(RadiomixError):
    """The image content cannot be used (NaN voxels, wrong dimensionality, ...)."""


class GeometryMismatchError(RadiomixError):
    """Image and mask do not share one voxel grid (size, spacing, origin or direction)."""


class EmptyMaskError(RadiomixError):
    """The region of interest holds no voxel (before or after processing)."""


class RoiTooSmallError(RadiomixError):
    """The region of interest is too small for the requested computation (e.g. one voxel)."""


class LabelNotFoundError(RadiomixError):
    """The requested label value does not occur in the mask."""


class ConfigError(RadiomixError):
    """A configuration is invalid: unknown key, bad value, or unknown preset."""
