"""Morphological clean-up of binary masks, in 2D (slice by slice) or 3D.

Order of operations: opening (removes specks and thin bridges), closing (closes small gaps),
hole filling, removal of components below a minimum size, and keeping the largest connected
component. Radii are physical (mm) and turned into an ellipsoidal structuring element with
the voxel spacing, so anisotropic volumes are treated correctly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np
from scipy import ndimage as ndi

from radiomix.io import Volume

__all__ = ["ball", "clean_mask", "keep_largest_component", "remove_small_components"]


def ball(radius_mm: float, spacing: Sequence[float]) -> np.ndarray:
    """Ellipsoidal structuring element of physical radius ``radius_mm`` on a grid of ``spacing``.

    The element holds the voxels whose centre lies within the radius of the central voxel
    (at least the central voxel itself).
    """
    half = [int(np.floor(radius_mm / s + 1e-9)) for s in spacing]
    grids = np.meshgrid(
        *[np.arange(-h, h + 1) * s for h, s in zip(half, spacing, strict=True)], indexing="ij"
    )
    r2 = sum(g**2 for g in grids)
    return np.asarray(r2 <= radius_mm**2 + 1e-9)


def keep_largest_component(mask: np.ndarray, *, connectivity: int = 1) -> np.ndarray:
    """The largest connected component (face connectivity by default); empty stays empty."""
    structure = ndi.generate_binary_structure(mask.ndim, connectivity)
    labels, n = ndi.label(mask, structure=structure)
    if n <= 1:
        return mask.astype(bool)
    sizes = np.bincount(labels.ravel())[1:]
    return np.asarray(labels == 1 + int(np.argmax(sizes)))


def remove_small_components(
    mask: np.ndarray, min_size: int, *, connectivity: int = 1
) -> np.ndarray:
    """Drop connected components with fewer than ``min_size`` voxels."""
    if min_size <= 1:
        return mask.astype(bool)
    structure = ndi.generate_binary_structure(mask.ndim, connectivity)
    labels, n = ndi.label(mask, structure=structure)
    if n == 0:
        return mask.astype(bool)
    sizes = np.bincount(labels.ravel())
    keep = sizes >= min_size
    keep[0] = False
    return np.asarray(keep[labels])


def _clean(
    mask: np.ndarray,
    spacing: Sequence[float],
    opening_mm: float,
    closing_mm: float,
    fill_holes: bool,
    min_size: int,
    largest_component: bool,
) -> np.ndarray:
    m = mask.astype(bool)
    if opening_mm > 0:
        m = ndi.binary_opening(m, structure=ball(opening_mm, spacing))
    if closing_mm > 0:
        se = ball(closing_mm, spacing)
        pad = [(s // 2, s // 2) for s in se.shape]  # close without the image border eating it
        m = ndi.binary_closing(np.pad(m, pad), structure=se)[
            tuple(slice(p, p + n) for (p, _), n in zip(pad, mask.shape, strict=True))
        ]
    if fill_holes:
        m = ndi.binary_fill_holes(m)
    if min_size > 1:
        m = remove_small_components(m, min_size)
    if largest_component:
        m = keep_largest_component(m)
    return np.asarray(m, dtype=bool)


MaskT = TypeVar("MaskT", Volume, np.ndarray)


def clean_mask(
    mask: MaskT,
    *,
    opening_mm: float = 0.0,
    closing_mm: float = 0.0,
    fill_holes: bool = True,
    min_size: int = 0,
    largest_component: bool = False,
    mode: str = "auto",
    spacing: Sequence[float] | None = None,
) -> MaskT:
    """Clean a binary mask: opening, closing, hole filling, small or all-but-largest removal.

    Parameters
    ----------
    mask : Volume or ndarray
        Binary mask, (z, y, x) (or (y, x) for an array).
    opening_mm, closing_mm : float
        Radius of the opening / closing ball in mm (0: off).
    fill_holes : bool
        Fill enclosed holes.
    min_size : int
        Remove connected components with fewer voxels (0: off).
    largest_component : bool
        Keep only the largest connected component.
    mode : {"auto", "2d", "3d"}
        ``2d`` cleans each slice on its own; ``3d`` treats the volume as a whole; ``auto``
        is 2D for a one-slice volume and 3D otherwise.
    spacing : sequence of float, optional
        Voxel size (z, y, x) for arrays (default: that of the Volume, else 1).

    Returns
    -------
    Volume or ndarray
        Boolean mask of the same kind and shape as ``mask``.
    """
    if mode not in ("auto", "2d", "3d"):
        raise ValueError(f"mode must be 'auto', '2d' or '3d', got {mode!r}")
    arr = np.asarray(mask.array if isinstance(mask, Volume) else mask).astype(bool)
    sp: tuple[float, ...] | None = None
    if isinstance(mask, Volume):
        sp = tuple(mask.spacing)
    if spacing is not None:
        sp = tuple(float(s) for s in spacing)
    squeeze = arr.ndim == 2
    vol = arr[np.newaxis] if squeeze else arr
    sp3: tuple[float, ...] = (1.0, 1.0, 1.0)
    if sp is not None:
        given: tuple[float, ...] = sp
        sp3 = given if len(given) == 3 else (1.0, *given)
    opts = (opening_mm, closing_mm, fill_holes, min_size, largest_component)
    if mode == "2d" or (mode == "auto" and vol.shape[0] == 1):
        out = np.stack([_clean(sl, sp3[1:], *opts) for sl in vol])
    else:
        out = _clean(vol, sp3, *opts)
    result = out[0] if squeeze else out
    if isinstance(mask, Volume):
        return mask.with_array(result)  # type: ignore[return-value]
    return np.asarray(result)
