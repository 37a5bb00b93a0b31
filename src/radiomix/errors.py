"""Typed exceptions raised by radiomix.

Every error a user can cause by bad input derives from :class:`RadiomixError`, so a
batch runner can record it and move on, and the command line can print one clear line
and exit with status 2. Messages say what is wrong and what to do about it.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataError",
    "EmptyMaskError",
    "ExecutorError",
    "GeometryMismatchError",
    "ImageReadError",
    "InvalidImageError",
    "LabelNotFoundError",
    "ManifestError",
    "ModelBundleError",
    "OutputError",
    "PromptError",
    "RadiomixError",
    "RequestError",
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


class DataError(RadiomixError):
    """A feature table cannot be used as given (missing column, one class, too few cases,
    features that differ from a model's schema)."""


class OutputError(RadiomixError):
    """An output (file or folder) cannot be written: a parent is a file, the folder is
    read-only or not ours, or the name is a folder. Found before any computation."""


class ModelBundleError(RadiomixError):
    """A saved model or run directory is missing, unreadable or incomplete."""


class ManifestError(RadiomixError):
    """A batch manifest (CSV of cases) is unreadable or lacks a required column."""


class ExecutorError(RadiomixError):
    """The batch executor could not start: no Dask installed, or the scheduler unreachable."""


class PromptError(RadiomixError):
    """A segmentation prompt (seed point, bounding box, threshold) cannot be used: outside the
    image, of zero size, or with the wrong number of coordinates."""


class RequestError(RadiomixError):
    """A request to the web app (``radiomix app``) cannot be served as sent: no image, an
    empty or unsupported file, a malformed prompt, an upload over the limit.

    Attributes
    ----------
    status : int
        The HTTP status the app answers with (400, 401, 413, 415, ...).
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = int(status)
