"""Cropping an image and its mask to the ROI's bounding box (plus a margin)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from radiomix.io import Volume

__all__ = ["bounding_box", "crop_to_roi"]


def bounding_box(mask: np.ndarray) -> tuple[slice, ...]:
    """Smallest box holding every voxel of ``mask``: one slice per axis.

    Raises
    ------
    ValueError
        When the mask is empty.
    """
    roi = np.asarray(mask, dtype=bool)
    if roi.ndim == 0:
        raise ValueError("the mask must have at least one dimension")
    out = []
    for axis in range(roi.ndim):
        other = tuple(a for a in range(roi.ndim) if a != axis)
        idx = np.flatnonzero(roi.any(axis=other)) if other else np.flatnonzero(roi)
        if idx.size == 0:
            raise ValueError("the mask is empty: it has no bounding box")
        out.append(slice(int(idx[0]), int(idx[-1]) + 1))
    return tuple(out)


def _margin_voxels(margin_mm: float | Sequence[float], spacing: tuple[float, ...]) -> list[int]:
    if isinstance(margin_mm, int | float):
        margins = [float(margin_mm)] * len(spacing)
    else:
        margins = [float(m) for m in margin_mm]
        if len(margins) != len(spacing):
            raise ValueError(
                f"margin_mm needs one value or {len(spacing)} (z, y, x), got {margins}"
            )
    if any(not math.isfinite(m) or m < 0 for m in margins):
        raise ValueError(f"margin_mm must be non-negative, got {margins}")
    return [math.ceil(m / s - 1e-9) for m, s in zip(margins, spacing, strict=True)]


def crop_to_roi(
    image: Volume, mask: np.ndarray, margin_mm: float | Sequence[float] = 0.0
) -> tuple[Volume, np.ndarray, tuple[slice, slice, slice]]:
    """Crop an image and its mask to the mask's bounding box plus a margin.

    Parameters
    ----------
    image : Volume
        The image (z, y, x).
    mask : ndarray of bool
        ROI on the image grid.
    margin_mm : float or (z, y, x) floats
        Margin added on each side of the bounding box, in mm (rounded up to whole voxels);
        the box is clipped at the array edges.

    Returns
    -------
    cropped : Volume
        The cropped image, its origin moved to the new voxel (0, 0, 0).
    cropped_mask : ndarray of bool
        The cropped mask.
    slices : (slice, slice, slice)
        The crop in the original array: ``image.array[slices]``.
    """
    roi = np.asarray(mask, dtype=bool)
    if roi.shape != image.shape:
        raise ValueError(f"mask shape {roi.shape} differs from the image shape {image.shape}")
    box = bounding_box(roi)
    pad = _margin_voxels(margin_mm, image.spacing)
    slices = tuple(
        slice(max(b.start - p, 0), min(b.stop + p, n))
        for b, p, n in zip(box, pad, image.shape, strict=True)
    )
    start = np.array([s.start for s in slices], dtype=float)
    origin = np.asarray(image.origin) + image.direction @ (start * np.asarray(image.spacing))
    cropped = image.with_array(image.array[slices], origin=tuple(float(o) for o in origin))
    return cropped, roi[slices], slices  # type: ignore[return-value]
