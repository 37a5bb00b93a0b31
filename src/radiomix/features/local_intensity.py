"""Local intensity features (IBSI 1, chapter "Local intensity features").

Both features read the *local mean*: the mean intensity of all image voxels whose centres
lie within a sphere of 1 cm^3 (radius :math:`r=(3/(4\\pi))^{1/3}\\,\\text{cm}\\approx
6.2035` mm) around a voxel centre. Every image voxel counts, not only ROI voxels; voxels
outside the array do not exist, so near the array border the mean is over the voxels that
do. Local means are computed for the whole array at once by FFT convolution with the
sphere's indicator, normalised by the convolved indicator of the array.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.signal import fftconvolve

from radiomix.features._base import FeatureSpec, FeatureValue, values_from

__all__ = [
    "FEATURES",
    "PEAK_RADIUS_MM",
    "LocalIntensityData",
    "compute",
    "local_mean",
    "sphere_kernel",
]

#: Radius (mm) of the sphere of volume 1 cm^3.
PEAK_RADIUS_MM = 10.0 * (3.0 / (4.0 * math.pi)) ** (1.0 / 3.0)
_NAN = float("nan")


def sphere_kernel(
    spacing: tuple[float, float, float], radius: float = PEAK_RADIUS_MM
) -> np.ndarray:
    """Boolean (z, y, x) kernel of the voxel offsets whose centres lie within ``radius`` mm."""
    half = [math.floor(radius / s + 1e-9) for s in spacing]
    grids = np.meshgrid(
        *[np.arange(-h, h + 1) * s for h, s in zip(half, spacing, strict=True)], indexing="ij"
    )
    dist2 = grids[0] ** 2 + grids[1] ** 2 + grids[2] ** 2
    return dist2 <= radius * radius * (1.0 + 1e-12)


def local_mean(
    image: np.ndarray, spacing: tuple[float, float, float], radius: float = PEAK_RADIUS_MM
) -> np.ndarray:
    """Mean of the existing voxels within ``radius`` mm of every voxel centre of ``image``."""
    kern = sphere_kernel(spacing, radius).astype(np.float64)
    if kern.size == 1:
        return image.astype(np.float64, copy=True)
    total = fftconvolve(image, kern, mode="same")
    count = fftconvolve(np.ones(image.shape), kern, mode="same")
    return total / np.rint(count)  # counts are integers; rint removes FFT rounding


@dataclass(frozen=True, eq=False)
class LocalIntensityData:
    """Image, intensity mask and spacing with the local mean map computed once."""

    image: np.ndarray
    int_mask: np.ndarray
    spacing: tuple[float, float, float]

    @cached_property
    def local_means(self) -> np.ndarray:
        """Local means at the intensity-mask voxels (same order as ``image[int_mask]``)."""
        idx = np.nonzero(self.int_mask)
        # only the ROI's bounding box (plus the sphere) is needed
        half = [math.floor(PEAK_RADIUS_MM / s + 1e-9) for s in self.spacing]
        lo = [max(int(i.min()) - h, 0) for i, h in zip(idx, half, strict=True)]
        hi = [
            min(int(i.max()) + h + 1, n)
            for i, h, n in zip(idx, half, self.image.shape, strict=True)
        ]
        box = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
        sub = self.image[box]
        # the sphere must not see past the sub-array where the full array has voxels: the
        # margin above equals the sphere's half-width, so the local means at ROI voxels are
        # those of the whole array.
        means = local_mean(sub, self.spacing)
        return means[self.int_mask[box]]

    @cached_property
    def values(self) -> np.ndarray:
        return self.image[self.int_mask]


def local_intensity_peak(d: LocalIntensityData) -> float:
    r"""Local intensity peak, IBSI VJGA.

    .. math:: F_{loc.peak.local} = \max_{k:\,X_k = \max_{ROI} X} \bar{X}_{sphere}(k)

    the mean intensity in the 1 cm^3 sphere centred on the ROI voxel of maximum
    intensity; with several such voxels, the highest of their local means.
    """
    v = d.values
    return float(d.local_means[v == v.max()].max())


def global_intensity_peak(d: LocalIntensityData) -> float:
    r"""Global intensity peak, IBSI 0F91.

    .. math:: F_{loc.peak.global} = \max_{k \in ROI} \bar{X}_{sphere}(k)

    the highest local mean over all voxel centres of the intensity mask.
    """
    return float(d.local_means.max())


FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("peak_local", "local_intensity", "VJGA", "loc_peak_loc", local_intensity_peak),
    FeatureSpec("peak_global", "local_intensity", "0F91", "loc_peak_glob", global_intensity_peak),
)


def compute(
    image: np.ndarray, int_mask: np.ndarray, spacing: tuple[float, float, float]
) -> list[FeatureValue]:
    """Local and global intensity peaks of one ROI, in registry order.

    Parameters
    ----------
    image : ndarray (z, y, x)
        Intensities; voxels outside the ROI count in the local means, so leave a margin of
        at least :data:`PEAK_RADIUS_MM` around the ROI where the image has one.
    int_mask : ndarray of bool
        Intensity mask (after re-segmentation).
    spacing : (float, float, float)
        Voxel size in mm, (z, y, x).

    Returns
    -------
    list of FeatureValue
        Both features; NaN when the mask is empty.
    """
    img = np.asarray(image)
    if img.ndim != 3:
        raise ValueError(f"image must be a 3D (z, y, x) array, got {img.ndim} dimensions")
    if not np.issubdtype(img.dtype, np.number) or np.issubdtype(img.dtype, np.complexfloating):
        raise ValueError(f"image must hold real numbers, got dtype {img.dtype}")
    img = img.astype(np.float64, copy=False)
    mask = np.asarray(int_mask)
    if mask.shape != img.shape:
        raise ValueError(f"int_mask has shape {mask.shape}, but image has shape {img.shape}")
    if mask.dtype != bool:
        if not np.all((mask == 0) | (mask == 1)):
            raise ValueError(f"int_mask must be boolean (or 0/1), got dtype {mask.dtype}")
        mask = mask.astype(bool)
    sp = tuple(float(s) for s in spacing)
    if len(sp) != 3 or not all(math.isfinite(s) and s > 0 for s in sp):
        raise ValueError(f"spacing must be three positive finite numbers (z, y, x), got {spacing}")
    if not mask.any():
        return values_from(FEATURES, {s.name: _NAN for s in FEATURES})
    if not np.all(np.isfinite(img)):
        raise ValueError("image has non-finite values; local means would be undefined")
    d = LocalIntensityData(img, mask, sp)  # type: ignore[arg-type]
    return values_from(FEATURES, {s.name: s.compute(d) for s in FEATURES})
