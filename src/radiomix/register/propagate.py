"""Carrying masks and images between grids, with or without a registration transform.

Direction of the transform: a registration transform ``T`` (from :func:`register`) maps a
point ``x`` of the FIXED image's space to the point ``T(x)`` of the MOVING image's space.

- Resampling MOVING onto FIXED's grid (:func:`resample_image`) asks, for each fixed voxel
  ``x``, for the moving value at ``T(x)``: ``T`` is used as it is.
- Carrying a mask drawn on FIXED onto MOVING's grid (:func:`propagate`) asks, for each moving
  voxel ``y``, for the fixed mask at ``T^-1(y)``: the inverse is needed. Rigid and affine
  transforms are inverted exactly; a B-spline (or any displacement) stage is sampled as a
  displacement field over the FIXED grid (points at most 2 mm apart) and inverted iteratively
  (``sitk.InvertDisplacementField``); a composite is inverted stage by stage in reverse order.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
import SimpleITK as sitk

from radiomix.errors import ConfigError, ImageReadError, InvalidImageError
from radiomix.io import Volume
from radiomix.register._common import as_sitk_image, as_sitk_mask, as_volume

__all__ = ["inverse_transform", "propagate", "read_transform", "resample_image"]

INTERPOLATIONS = ("nearest", "linear")
_INTERP = {
    "nearest": sitk.sitkNearestNeighbor,
    "linear": sitk.sitkLinear,
    "bspline": sitk.sitkBSpline,
}
#: finest sampling (mm) of a deformation field that is inverted iteratively
_FIELD_SPACING_MM = 2.0


def read_transform(source: Any) -> sitk.Transform | None:
    """A SimpleITK transform from a file (``.tfm``, ``.txt``, ``.h5``) or as given.

    Raises
    ------
    ImageReadError
        The file is missing or is not an ITK transform file.
    """
    if source is None or isinstance(source, sitk.Transform):
        return source
    path = Path(source)
    if not path.is_file():
        raise ImageReadError(f"transform file {str(path)!r} does not exist")
    try:
        return sitk.ReadTransform(str(path))
    except RuntimeError as exc:
        raise ImageReadError(f"{str(path)!r} is not an ITK transform file") from exc


def _stages(transform: sitk.Transform) -> list[sitk.Transform]:
    """The stages of ``transform`` in ITK's storage order (the last is applied first)."""
    if transform.GetName() == "CompositeTransform":
        comp = sitk.CompositeTransform(transform)
        comp.FlattenTransform()
        return [comp.GetNthTransform(i).Downcast() for i in range(comp.GetNumberOfTransforms())]
    return [transform.Downcast()]


def _invert_stage(stage: sitk.Transform, domain: sitk.Image) -> sitk.Transform:
    """The inverse of one stage; a stage without a closed-form inverse via its displacement
    field sampled on ``domain``'s grid, inverted iteratively."""
    try:
        return stage.GetInverse()
    except RuntimeError:
        pass
    # a smooth deformation needs no finer sampling than about 2 mm: a coarser grid over the
    # same extent keeps the iterative inversion fast on large images
    spacing = [max(s, _FIELD_SPACING_MM) for s in domain.GetSpacing()]
    size = [
        max(2, math.ceil((n - 1) * s / t) + 1)
        for n, s, t in zip(domain.GetSize(), domain.GetSpacing(), spacing, strict=True)
    ]
    field = sitk.TransformToDisplacementField(
        stage,
        sitk.sitkVectorFloat64,
        size,
        domain.GetOrigin(),
        spacing,
        domain.GetDirection(),
    )
    inverse = sitk.InvertDisplacementField(
        field,
        maximumNumberOfIterations=50,
        maxErrorToleranceThreshold=0.01,
        meanErrorToleranceThreshold=0.0001,
        enforceBoundaryCondition=True,
    )
    return sitk.DisplacementFieldTransform(inverse)


def inverse_transform(transform: sitk.Transform, domain: Any) -> sitk.Transform:
    """The inverse of a registration transform (MOVING space -> FIXED space).

    Parameters
    ----------
    transform : SimpleITK.Transform
        Maps FIXED points to MOVING points (as :func:`register` returns it).
    domain : str, Path, Volume or SimpleITK.Image
        The FIXED image: the grid on which a deformable stage is sampled and inverted.

    Returns
    -------
    SimpleITK.Transform
        Rigid/affine: their exact inverse; otherwise a composite whose deformable stages are
        inverted displacement fields.
    """
    stages = _stages(transform)
    grid = as_sitk_image(domain, "fixed image") if not isinstance(domain, sitk.Image) else domain
    inverses = [_invert_stage(s, grid) for s in stages]
    if len(inverses) == 1:
        return inverses[0]
    # T = S0 o S1 o ... (the last stored is applied first); T^-1 applies S0^-1 first, so it
    # is stored last
    return sitk.CompositeTransform(inverses[::-1])


def _grid(reference: sitk.Image) -> dict[str, Any]:
    return {
        "size": reference.GetSize(),
        "outputOrigin": reference.GetOrigin(),
        "outputSpacing": reference.GetSpacing(),
        "outputDirection": reference.GetDirection(),
    }


def resample_image(
    image: Any,
    reference: Any,
    transform: Any = None,
    interpolation: Literal["nearest", "linear", "bspline"] = "linear",
    default_value: float | None = None,
) -> Volume:
    """Resample ``image`` (the MOVING image) onto ``reference``'s grid (the FIXED image).

    Parameters
    ----------
    image, reference : str, Path, Volume or SimpleITK.Image
        The image to resample and the image whose grid the result takes.
    transform : SimpleITK.Transform, str or Path, optional
        A registration transform (FIXED -> MOVING points) used as it is; none: the images
        are placed by their own geometry (physical coordinates).
    interpolation : {"linear", "nearest", "bspline"}
        Interpolator.
    default_value : float, optional
        Value outside ``image`` (default: its minimum, e.g. air on a CT).

    Returns
    -------
    Volume
        On ``reference``'s grid, float32 voxels.
    """
    if interpolation not in _INTERP:
        raise ConfigError(f"interpolation {interpolation!r}: use one of {', '.join(_INTERP)}")
    moving = as_sitk_image(image, "image")
    ref = as_sitk_image(reference, "reference")
    tx = read_transform(transform) or sitk.Transform(3, sitk.sitkIdentity)
    if default_value is None:
        default_value = float(np.min(sitk.GetArrayViewFromImage(moving)))
    out = sitk.Resample(
        moving,
        transform=tx,
        interpolator=_INTERP[interpolation],
        defaultPixelValue=default_value,
        outputPixelType=sitk.sitkFloat32,
        **_grid(ref),
    )
    return as_volume(out)


def propagate(
    mask: Any,
    from_image: Any,
    to_image: Any,
    transform: Any = None,
    *,
    interpolation: Literal["nearest", "linear"] = "nearest",
) -> Volume:
    """Carry a mask drawn on ``from_image`` (FIXED) onto ``to_image``'s grid (MOVING).

    Parameters
    ----------
    mask : str, Path, Volume or SimpleITK.Image
        Binary mask or label map on ``from_image``'s grid.
    from_image : str, Path, Volume or SimpleITK.Image
        The image the mask was drawn on (the FIXED image of the registration).
    to_image : str, Path, Volume or SimpleITK.Image
        The image whose grid the result takes (the MOVING image).
    transform : SimpleITK.Transform, str or Path, optional
        The registration transform FIXED -> MOVING (as :func:`register` returns it); it is
        inverted here (see the module notes). None: by the images' geometry alone.
    interpolation : {"nearest", "linear"}
        Nearest neighbour (labels kept as they are), or linear interpolation of each label's
        indicator, a voxel taking the label whose value is largest and at least 0.5 (smoother
        outlines).

    Returns
    -------
    Volume
        Label map on ``to_image``'s grid (the mask's integer type).
    """
    if interpolation not in INTERPOLATIONS:
        raise ConfigError(
            f"interpolation {interpolation!r}: use one of {', '.join(INTERPOLATIONS)}"
        )
    fixed = as_sitk_image(from_image, "from image")
    moving = as_sitk_image(to_image, "to image")
    mask_img = as_sitk_mask(mask, reference=fixed)
    _check_same_grid(mask_img, fixed)
    tx = read_transform(transform)
    inverse = sitk.Transform(3, sitk.sitkIdentity) if tx is None else inverse_transform(tx, fixed)
    grid = _grid(moving)
    if interpolation == "nearest":
        out = sitk.Resample(
            mask_img,
            transform=inverse,
            interpolator=sitk.sitkNearestNeighbor,
            defaultPixelValue=0,
            outputPixelType=mask_img.GetPixelID(),
            **grid,
        )
        return as_volume(out)
    labels = np.unique(sitk.GetArrayViewFromImage(mask_img))
    labels = labels[labels != 0]
    best = np.zeros(moving.GetSize()[::-1], dtype=np.float32)
    result = np.zeros(moving.GetSize()[::-1], dtype=sitk.GetArrayViewFromImage(mask_img).dtype)
    for label in labels:
        indicator = sitk.Cast(mask_img == int(label), sitk.sitkFloat32)
        frac = sitk.GetArrayFromImage(
            sitk.Resample(
                indicator,
                transform=inverse,
                interpolator=sitk.sitkLinear,
                defaultPixelValue=0.0,
                outputPixelType=sitk.sitkFloat32,
                **grid,
            )
        )
        take = (frac >= 0.5) & (frac > best)
        result[take] = label
        best = np.maximum(best, frac)
    out = sitk.GetImageFromArray(result)
    out.CopyInformation(moving)
    return as_volume(out)


def _check_same_grid(mask: sitk.Image, image: sitk.Image) -> None:
    same = mask.GetSize() == image.GetSize() and np.allclose(
        np.r_[mask.GetSpacing(), mask.GetOrigin(), mask.GetDirection()],
        np.r_[image.GetSpacing(), image.GetOrigin(), image.GetDirection()],
        atol=1e-4,
    )
    if not same:
        raise InvalidImageError(
            f"the mask's grid (size {mask.GetSize()}, spacing {mask.GetSpacing()}) is not the "
            f"grid of the image it was drawn on (size {image.GetSize()}, spacing "
            f"{image.GetSpacing()}): give the image the mask belongs to as --from"
        )
