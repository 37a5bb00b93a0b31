"""The per-case pipeline of the ``pyradiomics`` profile (PyRadiomics 3.0.1's extraction).

    mask checks (label, minimumROIDimensions, minimumROISize) -> diagnostics
        -> shape on the ROI's bounding box
        -> per image type (parameter file's order): filter on PyRadiomics' domain
           -> crop to the ROI box -> PyRadiomics binning
           -> firstorder and texture classes, in the parameter file's order

Implemented: every PyRadiomics image type (through :mod:`radiomix.filters.pyradiomics`),
without resampling, normalisation or re-segmentation (:mod:`radiomix.compat.params`
refuses parameter files that need them). Feature definitions:
:mod:`radiomix.features.pyradiomics_profile`. Column names follow PyRadiomics
(``<image type>_<class>_<Feature>``, ``diagnostics_*``).
"""

from __future__ import annotations

import hashlib
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import ndimage

from radiomix.errors import EmptyMaskError, RoiTooSmallError
from radiomix.extraction.pipeline import FeatureRecord, RoiResult
from radiomix.extraction.settings import ExtractionSettings
from radiomix.features import pyradiomics_profile as prof
from radiomix.io import Volume

__all__ = ["diagnostics", "enabled_classes", "extract_roi_pyradiomics"]


#: PyRadiomics' ``interpolator`` names -> SimpleITK interpolators (resolved on use)
class _Interpolators:
    def __getitem__(self, name: str) -> int:
        import SimpleITK as sitk

        return int(getattr(sitk, name))


_INTERPOLATORS = _Interpolators()


def enabled_classes(settings: ExtractionSettings) -> list[tuple[str, tuple[str, ...]]]:
    """(class, features) in PyRadiomics' output order: shape first, then the others in the
    parameter file's order (every class, in PyRadiomics' order, when none is named)."""
    fc = list(settings.pyradiomics.feature_classes) or [(c, ()) for c in prof.CLASSES]
    shape = [e for e in fc if e[0] == "shape"]
    return shape + [e for e in fc if e[0] != "shape"]


def _xyz(values: Any) -> tuple[Any, ...]:
    return tuple(values)[::-1]


def _versions() -> dict[str, Any]:
    import pywt
    import SimpleITK as sitk

    from radiomix import __version__

    return {
        "Versions_radiomix": __version__,
        "Versions_Numpy": np.__version__,
        "Versions_SimpleITK": sitk.Version_VersionString(),
        "Versions_PyWavelet": pywt.__version__,
        "Versions_Python": platform.python_version(),
    }


def diagnostics(image: Volume, roi: np.ndarray, settings: ExtractionSettings) -> dict[str, Any]:
    """PyRadiomics' ``diagnostics_*`` values (without the prefix), in its order.

    Spacing, size and indices are in (x, y, z) order as PyRadiomics writes them. Not
    written: ``Mask-original_Hash`` (the ROI arrives here as a boolean mask, not the label
    map PyRadiomics hashes) and ``Versions_PyRadiomics`` (``Versions_radiomix`` instead).
    """
    arr = np.asarray(image.array)
    d: dict[str, Any] = _versions()
    d["Configuration_Settings"] = settings.pyradiomics.configuration
    d["Configuration_EnabledImageTypes"] = str(
        {it: dict(custom) for it, custom in settings.pyradiomics.image_types}
    )
    d["Image-original_Hash"] = hashlib.sha1(np.ascontiguousarray(arr).data).hexdigest()
    d["Image-original_Dimensionality"] = "2D" if arr.shape[0] == 1 else "3D"
    d.update(_image_elements(image, "original"))
    d.update(_mask_elements(image, roi, "original", with_intensities=False))
    return d


def _image_elements(image: Volume, prefix: str) -> dict[str, Any]:
    arr = np.asarray(image.array)
    return {
        f"Image-{prefix}_Spacing": str(_xyz(float(s) for s in image.spacing)),
        f"Image-{prefix}_Size": str(_xyz(int(n) for n in arr.shape)),
        f"Image-{prefix}_Mean": float(np.mean(arr)),
        f"Image-{prefix}_Minimum": float(np.min(arr)),
        f"Image-{prefix}_Maximum": float(np.max(arr)),
    }


def _mask_elements(
    image: Volume, roi: np.ndarray, prefix: str, *, with_intensities: bool
) -> dict[str, Any]:
    """PyRadiomics' ``Mask-<prefix>_*`` diagnostics (``generalinfo.addMaskElements``)."""
    d: dict[str, Any] = {
        f"Mask-{prefix}_Spacing": str(_xyz(float(s) for s in image.spacing)),
        f"Mask-{prefix}_Size": str(_xyz(int(n) for n in roi.shape)),
    }
    box = _box(roi)
    lo = np.array([b.start for b in box])
    size = np.array([b.stop - b.start for b in box])
    crop = roi[box]
    idx = np.argwhere(crop) + lo
    d[f"Mask-{prefix}_BoundingBox"] = str(
        tuple(int(v) for v in _xyz(lo)) + tuple(int(v) for v in _xyz(size))
    )
    d[f"Mask-{prefix}_VoxelNum"] = len(idx)
    # ITK's ConnectedComponent with FullyConnectedOn: 26-connectivity
    d[f"Mask-{prefix}_VolumeNum"] = int(ndimage.label(crop, structure=np.ones((3, 3, 3)))[1])
    com = idx.mean(axis=0)  # (z, y, x) voxel index
    d[f"Mask-{prefix}_CenterOfMassIndex"] = str(tuple(float(v) for v in _xyz(com)))
    phys = np.asarray(image.origin) + np.asarray(image.direction) @ (
        com * np.asarray(image.spacing)
    )
    d[f"Mask-{prefix}_CenterOfMass"] = str(tuple(float(v) for v in _xyz(phys)))
    if with_intensities:
        vals = np.asarray(image.array)[roi].astype(np.float64)
        d[f"Mask-{prefix}_Mean"] = float(np.mean(vals))
        d[f"Mask-{prefix}_Minimum"] = float(np.min(vals))
        d[f"Mask-{prefix}_Maximum"] = float(np.max(vals))
    return d


def _box(roi: np.ndarray) -> tuple[slice, slice, slice]:
    """Bounding box of a non-empty boolean mask, from its projections (no index list)."""
    out = []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        nz = np.flatnonzero(roi.any(axis=other))
        out.append(slice(int(nz[0]), int(nz[-1]) + 1))
    return out[0], out[1], out[2]


def _check_roi(roi: np.ndarray, settings: ExtractionSettings) -> None:
    ps = settings.pyradiomics
    n = int(roi.sum())
    if n == 0:
        raise EmptyMaskError(
            f"label {ps.label} is not present in the mask: check the label (PyRadiomics "
            "setting 'label', or --label)"
        )
    dims = sum(b.stop - b.start > 1 for b in _box(roi))
    if dims < ps.minimum_roi_dimensions:
        raise RoiTooSmallError(
            f"the ROI extends over {dims} dimension(s), fewer than minimumROIDimensions = "
            f"{ps.minimum_roi_dimensions}: check the mask or lower minimumROIDimensions"
        )
    if ps.minimum_roi_size is not None and n < ps.minimum_roi_size:
        raise RoiTooSmallError(
            f"the ROI holds {n} voxels, fewer than minimumROISize = {ps.minimum_roi_size}: "
            "check the mask or lower minimumROISize"
        )


def _resample(
    image: Volume, roi: np.ndarray, settings: ExtractionSettings
) -> tuple[Volume, np.ndarray]:
    """PyRadiomics' ``resampleImage``: the image and ROI on its resampled grid.

    The grid is corner-aligned with the original one (voxel corners of the first voxel
    coincide: origin moved by half the spacing difference), covers the ROI's bounding box
    plus ``padDistance`` new voxels (``floor((lo - 0.5) r - pad)`` to
    ``ceil((lo + n - 0.5) r + pad)``, ``r`` = old / new spacing, clipped to the image), and
    is interpolated by SimpleITK with the ``interpolator`` (image, into its own pixel type:
    no rounding step of its own) and nearest neighbour (mask). Axes where the ROI is one
    voxel thick, and axes given as 0, keep their spacing. When the new spacing equals the
    old one, PyRadiomics only crops to the ROI box plus ``padDistance``.
    """
    import SimpleITK as sitk

    from radiomix.io import from_sitk, to_sitk

    ps = settings.pyradiomics
    assert ps.resampled_spacing is not None and ps.interpolator is not None
    img = to_sitk(image)
    msk = to_sitk(image.with_array(roi.astype(np.uint8)))
    box = _box(roi)
    lo = np.array([b.start for b in box][::-1], dtype=np.float64)  # x, y, z
    size = np.array([b.stop - b.start for b in box][::-1], dtype=np.float64)
    old = np.array(msk.GetSpacing())
    new = np.array(ps.resampled_spacing, dtype=np.float64)
    new = np.where(new == 0, old, new)
    new = np.where(size != 1, new, old)
    pad = int(dict(ps.filter_settings).get("padDistance", 5))
    if np.allclose(np.array(img.GetSpacing()), new):
        crop = tuple(
            slice(max(b.start - pad, 0), min(b.stop + pad, n))
            for b, n in zip(box, roi.shape, strict=True)
        )
        arr = np.asarray(image.array)[crop]
        origin = np.asarray(image.origin) + np.asarray(image.direction) @ (
            np.array([c.start for c in crop]) * np.asarray(image.spacing)
        )
        out = Volume(arr, spacing=image.spacing, origin=tuple(origin), direction=image.direction)
        return out, roi[crop]
    ratio = old / new
    lower = np.floor((lo - 0.5) * ratio - pad)
    upper = np.ceil((lo + size - 0.5) * ratio + pad)
    top = np.ceil(np.array(msk.GetSize()) * ratio) - 1
    lower = np.where(lower < 0, 0, lower)
    upper = np.where(upper > top, top, upper)
    new_size = [int(v) for v in upper - lower + 1]
    origin_index = 0.5 * (new - old) / old + lower / ratio
    origin = msk.TransformContinuousIndexToPhysicalPoint([float(v) for v in origin_index])
    rif = sitk.ResampleImageFilter()
    rif.SetOutputSpacing([float(v) for v in new])
    rif.SetOutputDirection(msk.GetDirection())
    rif.SetSize(new_size)
    rif.SetOutputOrigin(origin)
    rif.SetOutputPixelType(img.GetPixelID())
    rif.SetInterpolator(_INTERPOLATORS[ps.interpolator])
    out_img = rif.Execute(img)
    rif.SetOutputPixelType(msk.GetPixelID())
    rif.SetInterpolator(sitk.sitkNearestNeighbor)
    out_msk = rif.Execute(msk)
    return from_sitk(out_img), sitk.GetArrayFromImage(out_msk).astype(bool)


def _levels(values: np.ndarray, settings: ExtractionSettings) -> np.ndarray:
    ds = settings.discretisation
    return prof.discretise(
        values,
        ds.bin_width if ds.method == "fixed_bin_size" else None,
        ds.bin_count if ds.method == "fixed_bin_number" else None,
    )


def _filtered(
    image: Volume,
    roi: np.ndarray,
    box: tuple[slice, slice, slice],
    image_type: str,
    custom: dict[str, Any],
    settings: ExtractionSettings,
) -> tuple[dict[str, np.ndarray], tuple[slice, ...]]:
    """PyRadiomics' maps of one image type, and where the ROI box lies in them.

    The filter sees PyRadiomics' domain (the whole image, or with ``preCrop`` the ROI box
    plus ``padDistance``), in the image's own dtype, with the ``setting`` section's filter
    settings updated by the image type's custom ones.
    """
    from radiomix.filters.pyradiomics import (
        PYRADIOMICS_IMAGE_TYPES,
        pyradiomics_crop,
        pyradiomics_images,
        pyradiomics_margin,
    )

    ps = settings.pyradiomics
    general = dict(ps.filter_settings)
    general.update(custom)
    general["force2D"] = ps.force2d
    if ps.resampled_spacing is not None and ps.interpolator is not None:
        general["preCrop"] = False  # the resampled grid is the domain (ROI box + padDistance)
    general["force2Ddimension"] = 0
    margin = pyradiomics_margin(image_type, general)
    domain: tuple[slice, ...] = (
        (slice(None),) * 3 if margin is None else pyradiomics_crop(roi, margin)
    )
    spec = PYRADIOMICS_IMAGE_TYPES[image_type]
    args = {k: v for k, v in general.items() if k in spec.parameters}
    arr = np.asarray(image.array)[domain]
    mask = roi[domain] if spec.uses_mask else None
    maps = pyradiomics_images(image_type, arr, image.spacing, mask, args)
    sub = tuple(
        slice(b.start - (d.start or 0), b.stop - (d.start or 0))
        for b, d in zip(box, domain, strict=True)
    )
    return maps, sub


def extract_roi_pyradiomics(
    image: Volume,
    mask: Volume,
    settings: ExtractionSettings,
    *,
    case_id: str = "case",
    roi: str = "1",
    clock: Callable[[], float] = time.perf_counter,
) -> RoiResult:
    """Extract one ROI the way PyRadiomics 3.0.1 does (``Original`` image type).

    ``mask`` is the boolean ROI on the image grid. Returns records with ``image_type``
    ``"original"`` and ``family`` the PyRadiomics class, so that table columns read
    ``original_<class>_<Feature>``; diagnostics carry PyRadiomics' names.
    """
    ps = settings.pyradiomics
    roi_arr = np.asarray(mask.array, dtype=bool)
    _check_roi(roi_arr, settings)
    timings: dict[str, float] = {}
    t0 = clock()
    diag = diagnostics(image, roi_arr, settings) if ps.additional_info else {}
    if ps.resampled_spacing is not None and ps.interpolator is not None:
        image, roi_arr = _resample(image, roi_arr, settings)
        if ps.additional_info:
            diag.update(_image_elements(image, "interpolated"))
            diag.update(_mask_elements(image, roi_arr, "interpolated", with_intensities=True))
        _check_roi(roi_arr, settings)
    box = _box(roi_arr)
    crop_mask = roi_arr[box]
    options = prof.PyradiomicsTextureOptions(
        distances=ps.distances,
        weighting_norm=ps.weighting_norm,
        gldm_a=ps.gldm_a,
        force2d=ps.force2d,
        voxel_array_shift=ps.voxel_array_shift,
    )
    classes = enabled_classes(settings)
    timings["preprocess"] = clock() - t0
    records: list[FeatureRecord] = []

    def features(
        name: str, mapped: np.ndarray, cls_list: list[tuple[str, tuple[str, ...]]]
    ) -> None:
        values = np.asarray(mapped, dtype=np.float64)[crop_mask]
        levels = np.zeros(crop_mask.shape, dtype=np.int64)
        levels[crop_mask] = _levels(values, settings)
        for cls, names in cls_list:
            t = clock()
            for v in prof.compute_class(
                cls,
                values=values,
                levels=levels,
                mask=crop_mask,
                spacing=image.spacing,
                options=options,
                names=names or None,
            ):
                records.append(FeatureRecord(name, cls, v))
            timings[f"{name}_{cls}"] = clock() - t

    shape = [e for e in classes if e[0] == "shape"]
    others = [e for e in classes if e[0] != "shape"]
    if shape:  # PyRadiomics: shape of the original mask whatever the image types
        features("original", image.array[box], shape)
    for image_type, custom in ps.image_types:
        if image_type == "Original":
            features("original", image.array[box], others)
            continue
        t0 = clock()
        maps, sub = _filtered(image, roi_arr, box, image_type, dict(custom), settings)
        timings[f"filter_{image_type}"] = clock() - t0
        for name, mapped in maps.items():
            features(name, mapped[sub], others)
    return RoiResult(case_id, roi, records, diag, timings)
