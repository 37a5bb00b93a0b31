"""Image and mask perturbations for feature robustness (after MIRP, Zwanenburg et al. 2019).

Each perturbed copy combines, drawn at random (deterministically from ``seed``) from the
lists in :class:`PerturbationSettings`:

- **rotation** by an angle (degrees) in the (y, x) plane about the mask's centroid, and
  **translation** by a fraction of a voxel along each axis (z only for 3D volumes): the
  image is resampled with linear interpolation, the mask with linear interpolation and a
  0.5 threshold (as IBSI resampling does);
- **grow / shrink** of the mask by a physical distance (mm; negative shrinks), with a
  Euclidean distance transform on the voxel spacing;
- **contour randomisation**: the signed distance :math:`\\phi` to the mask boundary (mm,
  positive inside) is disturbed by a smooth random field and re-thresholded,
  :math:`M' = \\{\\phi + a\\,n > 0\\}`, where :math:`n` is white noise smoothed by a
  Gaussian of ``contour_correlation_mm`` and scaled to unit SD, and :math:`a` is
  ``contour_amplitude_mm``. The boundary moves locally by about ``a`` in and out, with
  bumps about ``contour_correlation_mm`` wide -- a stand-in for an other reader's outline.
  (MIRP instead re-assembles the mask from supervoxels; both move the contour locally.)
- **additive noise**: Gaussian noise of SD ``noise_factor`` x the image's own noise level,
  estimated by the wavelet median-absolute-deviation estimator of Donoho & Johnstone
  (scikit-image ``estimate_sigma``), as MIRP estimates noise (Chang et al. 2000).

References
----------
Zwanenburg A, Leger S, Agolli L, et al. Assessing robustness of radiomic features by image
perturbation. Sci Rep 9 (2019) 614. doi:10.1038/s41598-018-36938-4
Donoho DL, Johnstone IM. Ideal spatial adaptation by wavelet shrinkage. Biometrika 81 (1994).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from scipy import ndimage as ndi
from skimage.restoration import estimate_sigma

from radiomix.errors import ConfigError
from radiomix.io import Volume

__all__ = [
    "Perturbation",
    "PerturbationSettings",
    "add_noise",
    "estimate_noise",
    "grow_shrink",
    "perturb",
    "perturbation_plan",
    "perturbation_settings",
    "randomise_contour",
    "rotate_translate",
]


@dataclass(frozen=True)
class PerturbationSettings:
    """How the perturbed copies are made (YAML section ``perturbation:``).

    Parameters
    ----------
    n_perturbations : int
        Number of perturbed copies per case.
    seed : int
        Random seed: the same settings give the same copies.
    rotation_deg : list of float
        Angles to draw from (degrees, in-plane).
    translation : list of float
        Shifts to draw from, as fractions of a voxel, independently per axis.
    grow_mm : list of float
        Mask growth distances to draw from (mm; negative shrinks).
    contour_amplitude_mm : float
        Amplitude of the contour randomisation (0: off).
    contour_correlation_mm : float
        Width of its bumps.
    noise_factor : float
        SD of the added noise relative to the image's estimated noise (0: off).
    """

    n_perturbations: int = 12
    seed: int = 0
    rotation_deg: tuple[float, ...] = (-10.0, -5.0, 0.0, 5.0, 10.0)
    translation: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75)
    grow_mm: tuple[float, ...] = (-2.0, -1.0, 0.0, 1.0, 2.0)
    contour_amplitude_mm: float = 1.5
    contour_correlation_mm: float = 5.0
    noise_factor: float = 1.0

    def __post_init__(self) -> None:
        if int(self.n_perturbations) != self.n_perturbations or self.n_perturbations < 2:
            raise ConfigError(
                f"perturbation.n_perturbations must be an integer >= 2, got {self.n_perturbations}"
            )
        object.__setattr__(self, "n_perturbations", int(self.n_perturbations))
        object.__setattr__(self, "seed", int(self.seed))
        for key in ("rotation_deg", "translation", "grow_mm"):
            vals = getattr(self, key)
            vals = (vals,) if isinstance(vals, int | float) else tuple(vals)
            if not vals or not all(isinstance(v, int | float) and np.isfinite(v) for v in vals):
                raise ConfigError(f"perturbation.{key} must be a non-empty list of numbers")
            object.__setattr__(self, key, tuple(float(v) for v in vals))
        for key in ("contour_amplitude_mm", "noise_factor"):
            if not getattr(self, key) >= 0:
                raise ConfigError(f"perturbation.{key} must be >= 0, got {getattr(self, key)}")
        if not self.contour_correlation_mm > 0:
            raise ConfigError("perturbation.contour_correlation_mm must be positive")


def perturbation_settings(
    data: Mapping[str, Any] | PerturbationSettings | None,
) -> PerturbationSettings:
    """Build :class:`PerturbationSettings` from a mapping; an unknown key names the closest."""
    if isinstance(data, PerturbationSettings):
        return data
    data = dict(data or {})
    names = [f.name for f in fields(PerturbationSettings)]
    for key in data:
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (valid: {', '.join(names)})"
            raise ConfigError(f"unknown config key 'perturbation.{key}'{hint}")
    try:
        return PerturbationSettings(**data)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"perturbation settings: {exc}") from None


@dataclass(frozen=True)
class Perturbation:
    """One drawn perturbation (a row of the plan)."""

    index: int
    rotation_deg: float
    translation: tuple[float, float, float]
    grow_mm: float
    contour_seed: int | None
    noise_seed: int | None

    def describe(self) -> str:
        t = ",".join(f"{v:g}" for v in self.translation)
        return (
            f"rot={self.rotation_deg:g} shift=({t}) grow={self.grow_mm:g} "
            f"contour={'on' if self.contour_seed is not None else 'off'} "
            f"noise={'on' if self.noise_seed is not None else 'off'}"
        )


def perturbation_plan(
    settings: PerturbationSettings, *, planar: bool, case_index: int = 0
) -> list[Perturbation]:
    """The perturbations of one case: random draws from the settings' lists (seeded)."""
    rng = np.random.default_rng([settings.seed, case_index])
    plan = []
    for k in range(settings.n_perturbations):
        shift = rng.choice(settings.translation, size=3)
        if planar:
            shift[0] = 0.0
        plan.append(
            Perturbation(
                index=k,
                rotation_deg=float(rng.choice(settings.rotation_deg)),
                translation=(float(shift[0]), float(shift[1]), float(shift[2])),
                grow_mm=float(rng.choice(settings.grow_mm)),
                contour_seed=int(rng.integers(2**31))
                if settings.contour_amplitude_mm > 0
                else None,
                noise_seed=int(rng.integers(2**31)) if settings.noise_factor > 0 else None,
            )
        )
    return plan


def rotate_translate(
    image: Volume, mask: Volume, angle_deg: float, shift: tuple[float, float, float]
) -> tuple[Volume, Volume]:
    """Rotate in-plane about the mask centroid and shift by ``shift`` voxels (z, y, x).

    The rotation is done in physical space (so anisotropic pixels stay correct); the image
    is resampled linearly (edge values outside), the mask linearly and thresholded at 0.5.
    """
    sp = np.asarray(image.spacing, float)
    if mask.array.any():
        centre = np.asarray(ndi.center_of_mass(mask.array.astype(float)), float)
    else:
        centre = (np.asarray(mask.shape, float) - 1) / 2
    a = np.deg2rad(angle_deg)
    rot = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(a), -np.sin(a)], [0.0, np.sin(a), np.cos(a)]])
    # output index o -> input index i = S^-1 R^T S (o - c - t) + c
    matrix = np.diag(1 / sp) @ rot.T @ np.diag(sp)
    offset = centre - matrix @ (centre + np.asarray(shift, float))
    planar = image.shape[0] == 1

    def warp(arr: np.ndarray, order: int) -> np.ndarray:
        if planar:
            out = ndi.affine_transform(
                arr[0], matrix[1:, 1:], offset=offset[1:], order=order, mode="nearest"
            )
            return out[np.newaxis]
        return ndi.affine_transform(arr, matrix, offset=offset, order=order, mode="nearest")

    img = warp(np.asarray(image.array, float), 1)
    msk = warp(mask.array.astype(float), 1) >= 0.5
    return image.with_array(img), mask.with_array(msk)


def _planar_spacing(mask: Volume) -> tuple[np.ndarray, tuple[float, ...]]:
    if mask.shape[0] == 1:
        return mask.array[0].astype(bool), mask.spacing[1:]
    return mask.array.astype(bool), mask.spacing


def _restore(mask: Volume, arr: np.ndarray) -> Volume:
    return mask.with_array(arr[np.newaxis] if mask.shape[0] == 1 else arr)


def grow_shrink(mask: Volume, distance_mm: float) -> Volume:
    """Grow (distance > 0) or shrink (< 0) the mask by a physical distance (EDT, spacing)."""
    arr, sp = _planar_spacing(mask)
    if distance_mm == 0:
        return _restore(mask, arr)
    if distance_mm > 0:
        out = ndi.distance_transform_edt(~arr, sampling=sp) <= distance_mm
    else:
        out = ndi.distance_transform_edt(arr, sampling=sp) > -distance_mm
    return _restore(mask, out)


def randomise_contour(
    mask: Volume, amplitude_mm: float, correlation_mm: float, rng: np.random.Generator
) -> Volume:
    """Move the boundary by a smooth random field: ``{phi + amplitude x n > 0}`` (module notes)."""
    arr, sp = _planar_spacing(mask)
    phi = ndi.distance_transform_edt(arr, sampling=sp) - ndi.distance_transform_edt(
        ~arr, sampling=sp
    )
    noise = ndi.gaussian_filter(
        rng.standard_normal(arr.shape), [correlation_mm / s for s in sp], mode="wrap"
    )
    noise /= max(float(noise.std()), 1e-12)
    return _restore(mask, phi + amplitude_mm * noise > 0)


def estimate_noise(image: Volume) -> float:
    """Noise SD of the image: wavelet MAD estimator (scikit-image ``estimate_sigma``)."""
    arr = np.asarray(image.array, float)
    return float(estimate_sigma(arr[0] if arr.shape[0] == 1 else arr))


def add_noise(image: Volume, sd: float, rng: np.random.Generator) -> Volume:
    """Add Gaussian noise of SD ``sd``."""
    return image.with_array(np.asarray(image.array, float) + rng.normal(0.0, sd, image.shape))


def perturb(
    image: Volume,
    mask: Volume,
    settings: PerturbationSettings | None = None,
    *,
    case_index: int = 0,
) -> Iterator[tuple[Perturbation, Volume, Volume]]:
    """Yield ``(perturbation, image, mask)`` for each planned perturbation of one case.

    A perturbed mask may come out empty (a strong shrink of a tiny ROI); it is yielded as
    it is, and the caller decides (the robustness table leaves such a case out of the
    features it cannot compute).
    """
    settings = settings or PerturbationSettings()
    plan = perturbation_plan(settings, planar=image.shape[0] == 1, case_index=case_index)
    noise_sd = settings.noise_factor * estimate_noise(image) if settings.noise_factor > 0 else 0.0
    base_mask = mask.with_array(mask.array.astype(bool))
    for p in plan:
        img, msk = rotate_translate(image, base_mask, p.rotation_deg, p.translation)
        if p.grow_mm:
            msk = grow_shrink(msk, p.grow_mm)
        if p.contour_seed is not None:
            msk = randomise_contour(
                msk,
                settings.contour_amplitude_mm,
                settings.contour_correlation_mm,
                np.random.default_rng(p.contour_seed),
            )
        if p.noise_seed is not None and noise_sd > 0:
            img = add_noise(img, noise_sd, np.random.default_rng(p.noise_seed))
        yield p, img, msk
