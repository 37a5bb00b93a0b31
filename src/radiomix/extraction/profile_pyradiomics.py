"""The per-case pipeline of the ``pyradiomics`` profile (PyRadiomics 3.0.1's extraction).

    label check -> diagnostics -> normalize (whole image)
        -> resampling (grid from the mask), or the geometry check (geometryTolerance;
           correctMask resamples a mask on another grid) and preCrop
        -> mask checks (minimumROIDimensions, minimumROISize)
        -> re-segmentation (resegmentRange / resegmentMode), mask checks again
        -> shape (3D images) and shape2D (2D images; with force2D, one-voxel-thick ROIs)
           on the ROI's bounding box
        -> per image type (parameter file's order): filter on PyRadiomics' domain
           -> crop to the ROI box -> PyRadiomics binning (with the type's custom settings)
           -> firstorder and texture classes, in the parameter file's order

Implemented: every PyRadiomics image type (through :mod:`radiomix.filters.pyradiomics`)
and PyRadiomics' preprocessing settings (:mod:`radiomix.compat.params` refuses, naming
it, what is not supported). Feature definitions:
:mod:`radiomix.features.pyradiomics_profile`. Column names follow PyRadiomics
(``<image type>_<class>_<Feature>``, ``diagnostics_*``). A 2D image (:func:`input_ndim`)
is extracted as PyRadiomics extracts 2D images: 2D filters, in-plane texture, no ``shape``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import math
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from radiomix._lazy import is_sitk_image
from radiomix.errors import (
    ConfigError,
    EmptyMaskError,
    GeometryMismatchError,
    RoiTooSmallError,
)
from radiomix.extraction.executors import (  # noqa: F401 - THREADS_ENV: the profile's name
    THREADS_ENV,
    extraction_threads,
    thread_pool,
)
from radiomix.extraction.records import FeatureRecord, PyradiomicsRoi, RoiResult
from radiomix.extraction.settings import ExtractionSettings
from radiomix.features import pyradiomics_profile as prof
from radiomix.io import Volume
from radiomix.preprocess.crop import bounding_box
from radiomix.preprocess.discretisation import discretise
from radiomix.preprocess.normalise import normalise, normalise_statistics
from radiomix.preprocess.resample import resample_onto, resampled_grid
from radiomix.preprocess.resegment import resegment_range, resegment_thresholds

__all__ = [
    "IMAGE_NDIM_KEY",
    "MASK_HASH_KEY",
    "Handover",
    "check_roi",
    "diagnostics",
    "enabled_classes",
    "extract_handed_over",
    "extract_roi_pyradiomics",
    "image_type_options",
    "in_background",
    "input_ndim",
    "label_map_hash",
    "mask_channel",
    "normalize_image",
    "on_image_grid",
    "prepare_roi",
    "read_pyradiomics_mask",
    "resample_image",
    "resample_nearest",
    "resegment_roi",
    "resolve_diagnostics",
    "with_ndim",
]

logger = logging.getLogger(__name__)

#: ``Volume.metadata`` key: 2 or 3, the dimensionality of the image as PyRadiomics would
#: read it (set for in-memory inputs by ``RadiomicsFeatureExtractor.execute``; see
#: :func:`input_ndim`)
IMAGE_NDIM_KEY = "pyradiomics_image_ndim"
_PLANAR_FORMATS = ("png", "jpeg", "tiff", "bmp")

#: ``Volume.metadata`` key of a ROI mask that carries :func:`label_map_hash` of the label map
#: it was selected from (set by :func:`radiomix.extraction.api.extract_results`)
MASK_HASH_KEY = "pyradiomics_mask_hash"


def enabled_classes(settings: ExtractionSettings) -> list[tuple[str, tuple[str, ...]]]:
    """(class, features) in PyRadiomics' output order: shape first, then the others in the
    parameter file's order (every class, in PyRadiomics' order, when none is named)."""
    fc = list(settings.pyradiomics.feature_classes) or [(c, ()) for c in prof.CLASSES]
    shapes = [e for c in ("shape", "shape2D") for e in fc if e[0] == c]
    return shapes + [e for e in fc if not e[0].startswith("shape")]


def input_ndim(image: Volume) -> int:
    """2 or 3: the image's dimensionality as PyRadiomics sees it.

    radiomix keeps a 2D image as a volume of one plane; PyRadiomics treats a 2D image
    (``Image-original_Dimensionality`` 2D: no ``shape`` class, 2D texture angles, 2D
    filters) differently from a 3D image of one slice. A volume of several planes is 3D;
    for one plane, in this order: the :data:`IMAGE_NDIM_KEY` metadata, a 2D file format
    (PNG, JPEG, TIFF, BMP), the dimension in the header of the file it was read from
    (``metadata["source"]``), and otherwise 2 (radiomix's convention for one plane).
    """
    known = image.metadata.get(IMAGE_NDIM_KEY)
    if known in (2, 3):
        return int(known)
    if image.array.shape[0] != 1:
        return 3
    if image.metadata.get("format") in _PLANAR_FORMATS:
        return 2
    file_ndim = image.metadata.get("file_ndim")  # set by the NRRD readers
    if file_ndim in (2, 3):
        return int(file_ndim)
    source = image.metadata.get("source")
    if isinstance(source, str | Path) and Path(source).is_file():
        import SimpleITK as sitk

        reader = sitk.ImageFileReader()
        reader.SetFileName(str(source))
        try:
            reader.ReadImageInformation()
            return 2 if reader.GetDimension() == 2 else 3
        except RuntimeError:
            pass
    return 2


def with_ndim(image: Volume, ndim: int) -> Volume:
    """The volume recording ``ndim`` as its dimensionality (:data:`IMAGE_NDIM_KEY`)."""
    if image.metadata.get(IMAGE_NDIM_KEY) == ndim:
        return image
    return image.with_array(image.array, metadata={**image.metadata, IMAGE_NDIM_KEY: ndim})


def _xyz(values: Any, ndim: int = 3) -> tuple[Any, ...]:
    """(z, y, x) values in PyRadiomics' (x, y, z) order; (x, y) for a 2D image."""
    return tuple(values)[::-1][:ndim]


def _simpleitk_version() -> str:
    """SimpleITK's version string, from the installed distribution while SimpleITK is not
    imported (importing it only for this costs ~100 MiB); the two agree for its releases."""
    import sys

    loaded = getattr(sys.modules.get("SimpleITK"), "Version_VersionString", None)
    if loaded is not None:  # (None too while another thread is still importing it)
        return str(loaded())
    from importlib.util import find_spec

    spec = find_spec("SimpleITK")  # (finds the package without importing it)
    if spec is not None and spec.origin:  # the wheel's dist-info folder beside it: fast
        site = Path(spec.origin).parent.parent
        for info in sorted(site.glob("[Ss]imple[Ii][Tt][Kk]-*.dist-info")):
            return info.name[len("SimpleITK-") : -len(".dist-info")]
    from importlib.metadata import version  # (scans every installed distribution)

    return version("SimpleITK")


def _pywavelets_version() -> str:
    """``pywt.__version__`` without importing PyWavelets where it is not loaded (~15 ms
    for a case that needs no wavelet): the ``version`` its build writes into
    ``pywt/version.py``, read as text; else from the imported module."""
    import re
    import sys

    if "pywt" not in sys.modules:
        from importlib.util import find_spec

        spec = find_spec("pywt")
        if spec is not None and spec.origin:
            try:
                text = (Path(spec.origin).parent / "version.py").read_text(encoding="utf-8")
            except OSError:
                text = ""
            found = re.search(r"^version = ['\"]([^'\"]+)['\"]", text, re.MULTILINE)
            if found:
                return found.group(1)
    import pywt

    return str(pywt.__version__)


@functools.cache
def _versions() -> dict[str, Any]:
    """The ``Versions_*`` diagnostics (once per process: they do not change)."""
    from radiomix import __version__

    return {
        "Versions_radiomix": __version__,
        "Versions_Numpy": np.__version__,
        "Versions_SimpleITK": _simpleitk_version(),
        "Versions_PyWavelet": _pywavelets_version(),
        "Versions_Python": platform.python_version(),
    }


def label_map_hash(label_map: np.ndarray) -> str:
    """PyRadiomics' ``diagnostics_Mask-original_Hash`` of a mask as read.

    PyRadiomics casts the whole label map to UInt32 (``imageoperations.getMask``, before
    any label is chosen) and writes ``SimpleITK.Hash`` of it: the SHA-1 hex digest of the
    pixel buffer, i.e. of the little-endian ``uint32`` values in (z, y, x) C order (x
    fastest). Hashed plane by plane, so a large mask needs no full-size ``uint32`` copy.
    """
    arr = np.asarray(label_map)
    digest = hashlib.sha1()
    for plane in arr.reshape((-1, *arr.shape[-2:]) if arr.ndim >= 2 else (1, -1)):
        digest.update(np.ascontiguousarray(plane, dtype="<u4").data)
    return digest.hexdigest()


def in_background(fn: Callable[..., Any], *args: Any) -> Future[Any]:
    """``fn(*args)`` on the process's pool of extraction threads (:func:`thread_pool`; hashing
    whole images: hashlib releases the GIL), so that it overlaps the features; at once in
    this thread where :func:`extraction_threads` is 1 (batch workers). Diagnostics hold the
    future until :func:`resolve_diagnostics`."""
    return thread_pool().submit(fn, *args)


def resolve_diagnostics(diag: dict[str, Any]) -> dict[str, Any]:
    """``diag`` with every value computed in the background (:func:`in_background`) in
    place of its future."""
    for key, value in diag.items():
        if isinstance(value, Future):
            diag[key] = value.result()
    return diag


def _image_hash(arr: np.ndarray) -> str:
    """PyRadiomics' ``Image-original_Hash``: SHA-1 of the pixel buffer as read."""
    return hashlib.sha1(np.ascontiguousarray(arr).data).hexdigest()


def diagnostics(
    image: Volume,
    roi: np.ndarray,
    settings: ExtractionSettings,
    *,
    mask_hash: str | Future[str] | None = None,
) -> dict[str, Any]:
    """PyRadiomics' ``diagnostics_*`` values (without the prefix), in its order.

    Spacing, size and indices are in (x, y, z) order as PyRadiomics writes them.
    ``mask_hash`` is :func:`label_map_hash` of the label map the ROI came from (the ROI
    arrives here as a boolean mask): ``Mask-original_Hash`` is written only when it is
    given (a future of it too). ``Versions_radiomix`` replaces ``Versions_PyRadiomics``.
    The image hash is computed in the background (:func:`in_background`): the caller
    completes the dictionary with :func:`resolve_diagnostics`.
    """
    arr = np.asarray(image.array)
    d: dict[str, Any] = dict(_versions())
    d["Configuration_Settings"] = settings.pyradiomics.configuration
    d["Configuration_EnabledImageTypes"] = str(
        {it: dict(custom) for it, custom in settings.pyradiomics.image_types}
    )
    d["Image-original_Hash"] = in_background(_image_hash, arr)
    d["Image-original_Dimensionality"] = f"{input_ndim(image)}D"
    d.update(_image_elements(image, "original"))
    if mask_hash is not None:
        d["Mask-original_Hash"] = mask_hash
    d.update(_mask_elements(image, roi, "original", with_intensities=False))
    return d


def _image_elements(image: Volume, prefix: str) -> dict[str, Any]:
    arr = np.asarray(image.array)
    nd = input_ndim(image)
    return {
        f"Image-{prefix}_Spacing": str(_xyz((float(s) for s in image.spacing), nd)),
        f"Image-{prefix}_Size": str(_xyz((int(n) for n in arr.shape), nd)),
        f"Image-{prefix}_Mean": float(np.mean(arr)),
        f"Image-{prefix}_Minimum": float(np.min(arr)),
        f"Image-{prefix}_Maximum": float(np.max(arr)),
    }


def _mask_elements(
    image: Volume, roi: np.ndarray, prefix: str, *, with_intensities: bool
) -> dict[str, Any]:
    """PyRadiomics' ``Mask-<prefix>_*`` diagnostics (``generalinfo.addMaskElements``)."""
    nd = input_ndim(image)
    d: dict[str, Any] = {
        f"Mask-{prefix}_Spacing": str(_xyz((float(s) for s in image.spacing), nd)),
        f"Mask-{prefix}_Size": str(_xyz((int(n) for n in roi.shape), nd)),
    }
    box = bounding_box(roi)
    lo = np.array([b.start for b in box])
    size = np.array([b.stop - b.start for b in box])
    crop = roi[box]
    idx = np.argwhere(crop) + lo
    d[f"Mask-{prefix}_BoundingBox"] = str(
        tuple(int(v) for v in _xyz(lo, nd)) + tuple(int(v) for v in _xyz(size, nd))
    )
    d[f"Mask-{prefix}_VoxelNum"] = len(idx)
    # ITK's ConnectedComponent with FullyConnectedOn: 26-connectivity
    import cc3d  # (scipy.ndimage / skimage.measure would cost ~26 MiB to import)

    _, volumes = cc3d.connected_components(crop.view(np.uint8), connectivity=26, return_N=True)
    d[f"Mask-{prefix}_VolumeNum"] = int(volumes)
    com = idx.mean(axis=0)  # (z, y, x) voxel index
    d[f"Mask-{prefix}_CenterOfMassIndex"] = str(tuple(float(v) for v in _xyz(com, nd)))
    d[f"Mask-{prefix}_CenterOfMass"] = str(_physical_point(image, com, nd))
    if with_intensities:
        vals = np.asarray(image.array)[roi].astype(np.float64)
        d[f"Mask-{prefix}_Mean"] = float(np.mean(vals))
        d[f"Mask-{prefix}_Minimum"] = float(np.min(vals))
        d[f"Mask-{prefix}_Maximum"] = float(np.max(vals))
    return d


def _physical_point(volume: Volume, index: np.ndarray, nd: int) -> tuple[float, ...]:
    """ITK's ``TransformContinuousIndexToPhysicalPoint`` of a (z, y, x) continuous index,
    in (x, y, z) order, with ITK's arithmetic: :math:`p_r = \\sum_c (D_{rc} s_c) i_c + o_r`
    summed over x, y, z in that order (so text diagnostics match to the last digit)."""
    direction = np.asarray(volume.direction, dtype=np.float64)[::-1, ::-1][:nd, :nd]
    spacing = np.asarray(volume.spacing, dtype=np.float64)[::-1][:nd]
    origin = np.asarray(volume.origin, dtype=np.float64)[::-1][:nd]
    idx = np.asarray(index, dtype=np.float64)[::-1][:nd]
    out = []
    for r in range(nd):
        acc = 0.0
        for c in range(nd):
            acc += float(direction[r, c] * spacing[c]) * float(idx[c])
        out.append(acc + float(origin[r]))
    return tuple(out)


def check_roi(roi: np.ndarray, settings: ExtractionSettings) -> None:
    ps = settings.pyradiomics
    n = int(roi.sum())
    if n == 0:
        raise EmptyMaskError(
            f"label {ps.label} is not present in the mask: check the label (PyRadiomics "
            "setting 'label', or --label)"
        )
    dims = sum(b.stop - b.start > 1 for b in bounding_box(roi))
    if dims < ps.minimum_roi_dimensions:
        raise RoiTooSmallError(
            f"the ROI extends over {dims} dimension(s), fewer than minimumROIDimensions = "
            f"{ps.minimum_roi_dimensions}: check the mask or lower minimumROIDimensions"
        )
    if ps.minimum_roi_size is not None and n <= ps.minimum_roi_size:
        # PyRadiomics' checkMask: "ROI size <= minimumROISize" is too small
        raise RoiTooSmallError(
            f"the ROI holds {n} voxels, not more than minimumROISize = "
            f"{ps.minimum_roi_size}: check the mask or lower minimumROISize"
        )


def resample_image(
    image: Volume,
    mask: Volume,
    settings: ExtractionSettings,
    voxelwise: Callable[[Volume], Volume] | None = None,
) -> tuple[Volume, np.ndarray]:
    """PyRadiomics' ``resampleImage``: the image and ROI on its resampled grid.

    The grid (:func:`radiomix.preprocess.resampled_grid` with ``align="corner"``) follows the
    mask's geometry: corner-aligned with the mask's grid, covering the ROI's bounding box plus
    ``padDistance`` new voxels, clipped; axes where the ROI is one voxel thick, and axes given
    as 0, keep their spacing. SimpleITK interpolates the image with ``interpolator`` into its
    own pixel type (no rounding step of its own) and the mask by nearest neighbour. Where the
    new spacing equals the old one PyRadiomics only crops to the ROI box plus ``padDistance``
    (after moving the mask onto the image grid, nearest neighbour). A 2D image (one plane here,
    :func:`input_ndim`) is resampled in 2D with (x, y) spacings, as PyRadiomics does.
    ``voxelwise``: a voxel-wise map PyRadiomics applies to the whole image before resampling
    (``normalize``), applied here to the part the resampling reads. A spacing count other than
    the mask's dimensionality is a ``ConfigError`` (PyRadiomics asserts it too).
    """
    from radiomix.io import to_sitk

    ps = settings.pyradiomics
    assert ps.resampled_spacing is not None and ps.interpolator is not None
    nd = _mask_ndim(mask, image)
    if len(ps.resampled_spacing) != nd:
        raise ConfigError(
            f"resampledPixelSpacing has {len(ps.resampled_spacing)} values but the mask is "
            f"{nd}D: PyRadiomics wants one spacing per dimension, (x, y, z) for a 3D image and "
            f"(x, y) for a 2D one, and raises otherwise; give {nd} values"
        )
    if input_ndim(image) != nd:
        raise GeometryMismatchError(
            f"the image is {input_ndim(image)}D but the mask {nd}D: PyRadiomics resamples "
            "image and mask of one dimensionality only"
        )
    roi = np.asarray(mask.array, dtype=bool)
    mask_u8 = mask.with_array(roi.astype(np.uint8))
    _check_roi_inside(_geometry_of(image), _geometry_of(mask), roi, image.shape)
    # (z, y, x) spacings; 0 or a missing z (a 2D image) keeps the axis
    given = [float(v) for v in ps.resampled_spacing][::-1]
    missing: list[float | None] = [None] * (3 - nd)
    wanted = missing + [None if v == 0 else v for v in given]
    grid = resampled_grid(mask, wanted, align="corner", box=bounding_box(roi), pad=_pad(ps))
    current = image.spacing[3 - nd :]
    if np.allclose(np.array(current[::-1]), np.array(grid.spacing[3 - nd :][::-1])):
        if not _same_grid(image, mask, exact=True):
            roi = _nearest_onto(to_sitk(image), to_sitk(mask_u8))
            if not roi.any():
                raise EmptyMaskError(
                    "the ROI vanished when its mask was resampled onto the image grid: check "
                    "that image and mask belong to the same case"
                )
        cropped, roi = _crop_box(image, roi, _pad(ps))
        return (cropped if voxelwise is None else voxelwise(cropped)), roi
    out = resample_onto(image, grid, ps.interpolator, planar=nd == 2, voxelwise=voxelwise)
    out_roi = resample_onto(mask_u8, grid, "sitkNearestNeighbor", planar=nd == 2)
    return out, np.asarray(out_roi.array).astype(bool)


def _pad(ps: Any) -> int:
    """PyRadiomics' ``padDistance`` (default 5)."""
    return int(dict(ps.filter_settings).get("padDistance", 5))


def _mask_ndim(mask: Volume, image: Volume) -> int:
    """The mask's dimensionality as PyRadiomics reads it: recorded by
    :func:`read_pyradiomics_mask` (or found from its file, :func:`input_ndim`); a mask of
    unknown origin counts as the image's."""
    known = mask.metadata.get(IMAGE_NDIM_KEY)
    if known in (2, 3):
        return int(known)
    if mask.array.shape[0] != 1 or "source" in mask.metadata or "format" in mask.metadata:
        return input_ndim(mask)
    return input_ndim(image)


def _crop_box(image: Volume, roi: np.ndarray, pad: int) -> tuple[Volume, np.ndarray]:
    """PyRadiomics' ``cropToTumorMask``: image and ROI cropped to the ROI's bounding box
    plus ``pad`` voxels per side (clipped to the image); the origin moves to the first kept
    voxel (ITK's arithmetic, as SimpleITK's crop computes it)."""
    crop = tuple(
        slice(max(b.start - pad, 0), min(b.stop + pad, n))
        for b, n in zip(bounding_box(roi), roi.shape, strict=True)
    )
    start = np.array([c.start for c in crop], dtype=np.float64)
    origin = _physical_point(image, start, 3)[::-1]
    return image.with_array(np.asarray(image.array)[crop], origin=origin), roi[crop]


def read_pyradiomics_mask(
    source: Any,
    image: Volume | None,
    *,
    spacing: Sequence[float] | None = None,
    label_channel: int = 0,
) -> Volume:
    """The label map as PyRadiomics loads it: on its own grid where the source has a
    geometry (image files, SimpleITK images, volumes), with the image's where it has none
    (arrays, 2D image files); the volume records the mask's dimensionality as PyRadiomics reads
    it (:data:`IMAGE_NDIM_KEY`). A multi-component (vector) mask gives its component
    ``label_channel`` (PyRadiomics' ``getMask``; a channel it lacks is a ``ConfigError``, which
    PyRadiomics asserts); a scalar mask ignores it. ``image`` may be None for a NIfTI, NRRD or
    MetaImage file (read while the image is).
    """
    from radiomix.io import read_mask

    if image is None:
        from radiomix.io._readers import VOLUME_FORMATS, suffix_of

        if not isinstance(source, str | Path) or suffix_of(Path(source)) not in VOLUME_FORMATS:
            raise TypeError("read_pyradiomics_mask needs the image for this mask source")
    if isinstance(source, np.ndarray):
        assert image is not None  # (checked above)
        vol = read_mask(source, reference=image, spacing=spacing)
        return with_ndim(vol, input_ndim(image))
    vector, meta = _vector_mask(source)
    if vector is not None:
        vol = read_mask(mask_channel(vector, label_channel, source), spacing=spacing)
        vol = vol.with_array(vol.array, metadata={**vol.metadata, **meta})
    else:
        vol = read_mask(source, spacing=spacing)
    if is_sitk_image(source):
        vol = with_ndim(vol, min(source.GetDimension(), 3))
    elif vol.array.shape[0] != 1 or "source" in vol.metadata or "format" in vol.metadata:
        vol = with_ndim(vol, input_ndim(vol))
    else:  # a volume of one plane with no file behind it: as the image
        assert image is not None  # (a file sets "source")
        vol = with_ndim(vol, input_ndim(image))
    if vol.metadata.get("format") in _PLANAR_FORMATS:
        assert image is not None  # (not a volume format)
        return vol.with_array(
            vol.array,
            spacing=image.spacing if spacing is None else vol.spacing,
            origin=image.origin,
            direction=image.direction,
        )
    return vol


def _vector_mask(source: Any) -> tuple[Any, dict[str, Any]]:
    """The source as a SimpleITK vector image when PyRadiomics would read it as one
    (a vector pixel type; a file SimpleITK reads with several components), else None;
    with the metadata radiomix's readers give the file."""
    from radiomix.io._nrrd import nrrd_supported
    from radiomix.io._readers import PLANAR_FORMATS, VOLUME_FORMATS, suffix_of

    if is_sitk_image(source):
        vector = "vector" in source.GetPixelIDTypeAsString().lower()
        return (source if vector else None), {}
    if not isinstance(source, str | Path) or not Path(source).expanduser().is_file():
        return None, {}
    path = Path(source).expanduser()
    if nrrd_supported(path):  # a scalar NRRD radiomix reads itself: no SimpleITK needed
        return None, {}
    import SimpleITK as sitk

    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
        if reader.GetNumberOfComponents() <= 1:
            return None, {}
        vector_image = reader.Execute()
    except RuntimeError:  # not for SimpleITK: radiomix's own readers decide
        return None, {}
    suffix = suffix_of(path)
    fmt = {**VOLUME_FORMATS, **PLANAR_FORMATS}.get(suffix)
    meta: dict[str, Any] = {"source": str(path)}
    if fmt is not None:
        meta["format"] = fmt.lower()
    return vector_image, meta


def mask_channel(vector: Any, channel: int, source: Any) -> Any:
    """Component ``channel`` of a SimpleITK vector mask, as PyRadiomics' ``getMask`` takes
    it (``VectorIndexSelectionCast`` into the component type)."""
    import SimpleITK as sitk

    n = int(vector.GetNumberOfComponentsPerPixel())
    if not 0 <= channel < n:
        what = f"{source}" if isinstance(source, str | Path) else "the SimpleITK mask"
        raise ConfigError(
            f"label_channel {channel} asked for, but {what} has {n} component(s) per "
            f"voxel (channels 0 to {n - 1}); PyRadiomics fails here too: choose an existing "
            "channel (setting label_channel, or execute(..., label_channel=))"
        )
    return sitk.VectorIndexSelectionCast(vector, int(channel))


def _same_grid(image: Volume, mask: Volume, *, exact: bool = False, tolerance: float = 0.0) -> bool:
    """Whether the mask lies on the image grid, by ITK's rule (what PyRadiomics' checkMask
    runs through ``LabelStatisticsImageFilter``): equal sizes; origin and spacing equal within
    ``tolerance`` times the image's x spacing; direction cosines within ``tolerance``."""
    if mask.array.shape != image.array.shape:
        return False
    if exact:
        tolerance = 0.0
    coord = abs(tolerance * float(image.spacing[-1]))
    return bool(
        np.all(np.abs(np.subtract(mask.origin, image.origin)) <= coord)
        and np.all(np.abs(np.subtract(mask.spacing, image.spacing)) <= coord)
        and np.all(np.abs(np.subtract(mask.direction, image.direction)) <= tolerance)
    )


def resample_nearest(img: Any, msk: Any) -> Any:
    """A SimpleITK mask (label map) resampled onto the grid of the SimpleITK image ``img``
    by nearest neighbour, in its own pixel type, 0 outside the mask, as PyRadiomics
    resamples masks."""
    import SimpleITK as sitk

    rif = sitk.ResampleImageFilter()
    rif.SetReferenceImage(img)
    rif.SetInterpolator(sitk.sitkNearestNeighbor)
    return rif.Execute(msk)


def _nearest_onto(img: Any, msk: Any) -> np.ndarray:
    """The mask (SimpleITK, 0/1) on the image's grid (:func:`resample_nearest`) as a
    boolean (z, y, x) array."""
    import SimpleITK as sitk

    return np.asarray(sitk.GetArrayFromImage(resample_nearest(img, msk)), dtype=bool)


def _geometry_of(volume: Volume) -> Any:
    """A one-voxel SimpleITK image with the geometry of ``volume`` (for its index and
    physical point transforms, without copying the array)."""
    from radiomix.io import to_sitk

    return to_sitk(volume.with_array(np.zeros((1, 1, 1), dtype=np.uint8)))


def _check_roi_inside(
    img: Any, msk: Any, roi: np.ndarray, image_shape: Sequence[int] | None = None
) -> None:
    """PyRadiomics' ``_checkROI``: the ROI's bounding box (its first and last voxel corners,
    through the mask's geometry) must lie in the image, within 1e-3 voxel. ``image_shape``
    (z, y, x): the image's size when ``img`` carries its geometry only."""
    box = bounding_box(roi)
    lo = np.array([b.start for b in box][::-1], dtype=np.float64)  # x, y, z
    size = np.array([b.stop - b.start for b in box][::-1], dtype=np.float64)
    corners = [
        img.TransformPhysicalPointToContinuousIndex(
            msk.TransformContinuousIndexToPhysicalPoint([float(v) for v in c])
        )
        for c in (lo - 0.5, lo + size - 0.5)
    ]
    bounds = np.array(corners)
    tol = 1e-3
    size = np.array(img.GetSize() if image_shape is None else tuple(image_shape)[::-1])
    if np.any(bounds.min(axis=0) < -0.5 - tol) or np.any(bounds.max(axis=0) > size - 0.5 + tol):
        raise GeometryMismatchError(
            "the ROI's bounding box reaches outside the image (ROI corners at image voxel "
            f"indices {tuple(round(v, 3) for v in corners[0])} and "
            f"{tuple(round(v, 3) for v in corners[1])} (x, y, z), image size "
            f"{tuple(int(v) for v in size)}): check that image and mask belong to the same case"
        )


def on_image_grid(
    image: Volume, mask: Volume, settings: ExtractionSettings
) -> tuple[np.ndarray, bool]:
    """The ROI on the image grid, and whether PyRadiomics' mask correction made it.

    A mask within PyRadiomics' geometry tolerance (``geometryTolerance``, default 1e-6:
    :func:`_same_grid`) is used as it is. Another mask is resampled onto the image grid by
    nearest neighbour when ``correctMask`` is set (after PyRadiomics' check that the ROI
    lies inside the image), else it is an error, as in PyRadiomics' ``checkMask``.
    """
    from radiomix.io import check_geometry, to_sitk

    ps = settings.pyradiomics
    roi = np.asarray(mask.array, dtype=bool)
    tol = 1e-6 if ps.geometry_tolerance is None else ps.geometry_tolerance
    if _same_grid(image, mask, tolerance=tol):
        return roi, False
    if not ps.correct_mask:
        hint = (
            " (PyRadiomics' settings: correctMask: true resamples the mask onto the image grid; "
            f"geometryTolerance, now {tol:g}, widens the comparison)"
        )
        try:
            check_geometry(image, mask, tolerance=0.0)
        except GeometryMismatchError as exc:
            raise GeometryMismatchError(str(exc) + hint) from None
        raise GeometryMismatchError(  # pragma: no cover - check_geometry finds the difference
            "image and mask do not share one voxel grid" + hint
        )
    img = to_sitk(image)
    msk = to_sitk(mask.with_array(roi.astype(np.uint8)))
    _check_roi_inside(img, msk, roi)
    return _nearest_onto(img, msk), True


def normalize_image(image: Volume, settings: ExtractionSettings) -> Volume:
    """PyRadiomics' ``normalizeImage`` of the whole image (before resampling): the engine's
    :func:`radiomix.preprocess.normalise` with ``normalizeScale`` and ``removeOutliers``."""
    ps = settings.pyradiomics
    return normalise(image, float(ps.normalize_scale), ps.remove_outliers)


def resegment_roi(image: Volume, roi: np.ndarray, settings: ExtractionSettings) -> np.ndarray:
    """PyRadiomics' ``resegmentMask``: the ROI voxels within ``resegmentRange``, i.e. the
    engine's re-segmentation (:func:`radiomix.preprocess.resegment_thresholds` in
    ``resegmentMode``, with the mean and SD in the image's own precision, then
    :func:`radiomix.preprocess.resegment_range`).

    Raises
    ------
    RoiTooSmallError
        One voxel or none is left (PyRadiomics cannot extract features then).
    """
    ps = settings.pyradiomics
    assert ps.resegment_range is not None
    arr = np.asarray(image.array)
    lower, upper = resegment_thresholds(
        arr[roi], ps.resegment_range, ps.resegment_mode, native_precision=True
    )
    out = resegment_range(arr, roi, lower, upper)
    if int(out.sum()) <= 1:
        thresholds = [lower] if upper is None else [lower, upper]
        raise RoiTooSmallError(
            f"re-segmentation (resegmentRange {list(ps.resegment_range)}, resegmentMode "
            f"{ps.resegment_mode}: thresholds {[float(t) for t in thresholds]}) kept "
            f"{int(out.sum())} voxel(s) of label {ps.label}; PyRadiomics cannot extract "
            "features from that: widen resegmentRange or check the image"
        )
    return out


def pyradiomics_levels(
    values: np.ndarray, bin_width: float | None, bin_count: int | None
) -> np.ndarray:
    """Grey levels of ``values`` with PyRadiomics' bin edges: ``binCount`` when given,
    else ``binWidth`` (:func:`radiomix.preprocess.discretise`, ``edges="pyradiomics"``)."""
    method = "fixed_bin_number" if bin_count is not None else "fixed_bin_size"
    levels, _ = discretise(
        values, method, bin_width=bin_width, bin_count=bin_count, edges="pyradiomics"
    )
    return levels


def image_type_options(
    settings: ExtractionSettings, custom: Mapping[str, Any] | None = None, ndim: int = 3
) -> tuple[float | None, int | None, prof.PyradiomicsTextureOptions]:
    """``(bin_width, bin_count, options)`` of one image type's features (one of the first
    two None): the settings updated with the type's custom settings, as PyRadiomics updates
    them for that type's classes (``binWidth``, ``binCount``, which wins whenever set,
    ``voxelArrayShift``, ``symmetricalGLCM``, ``weightingNorm``, ``distances``, ``gldm_a``,
    ``force2D``, ``force2Ddimension``). ``ndim``: the image's dimensionality as PyRadiomics
    reads it (:func:`input_ndim`).
    """
    ps = settings.pyradiomics
    ds = settings.discretisation
    c = dict(custom or {})
    if "force2D" in c or "force2Ddimension" in c:
        ps = dataclasses.replace(
            ps,
            force2d=bool(c.get("force2D", ps.force2d)),
            force2d_dimension=int(c.get("force2Ddimension", ps.force2d_dimension)),
        )
        settings = dataclasses.replace(settings, pyradiomics=ps)
    plane_axis = _plane_axis(settings, ndim)
    bin_count = ds.bin_count if ds.method == "fixed_bin_number" else None
    bin_width = ds.bin_width if ds.method == "fixed_bin_size" else 25.0
    if c.get("binCount") is not None:
        bin_count = int(c["binCount"])
    if "binWidth" in c:
        bin_width = float(c["binWidth"])
    options = prof.PyradiomicsTextureOptions(
        distances=tuple(int(d) for d in c.get("distances", ps.distances)),
        weighting_norm=c.get("weightingNorm", ps.weighting_norm),
        gldm_a=float(c.get("gldm_a", ps.gldm_a)),
        force2d=plane_axis is not None,
        voxel_array_shift=float(c.get("voxelArrayShift", ps.voxel_array_shift)),
        force2d_dimension=plane_axis or 0,
        symmetrical_glcm=bool(c.get("symmetricalGLCM", ps.symmetrical_glcm)),
    )
    return (None if bin_count is not None else bin_width), bin_count, options


def _filtered(
    image: Volume,
    roi: np.ndarray,
    box: tuple[slice, ...],
    image_type: str,
    custom: dict[str, Any],
    settings: ExtractionSettings,
) -> tuple[dict[str, np.ndarray], tuple[slice, ...]]:
    """PyRadiomics' maps of one image type on the ROI box, and where the box lies in them.

    The filter works as if on PyRadiomics' domain (the whole image, or with ``preCrop`` the
    ROI box plus ``padDistance``), in the image's own dtype, with the ``setting`` section's
    filter settings updated by the image type's custom ones; only the box's values are
    computed where the type allows it (LoG, Wavelet and Gradient read a neighbourhood of the
    box instead of the whole domain: ``pyradiomics_images(..., box=)``).
    """
    from radiomix.filters.pyradiomics import (
        PYRADIOMICS_IMAGE_TYPES,
        pyradiomics_crop,
        pyradiomics_images,
        pyradiomics_margin,
    )

    ps = settings.pyradiomics
    general = dict(ps.filter_settings)
    general.update(custom)  # an image type's custom value wins, as in PyRadiomics
    general.setdefault("force2D", ps.force2d)
    if ps.resampled_spacing is not None and ps.interpolator is not None:
        general["preCrop"] = False  # the resampled grid is the domain (ROI box + padDistance)
    general.setdefault("force2Ddimension", ps.force2d_dimension)  # an axis of the image
    margin = pyradiomics_margin(image_type, general)
    domain: tuple[slice, ...] = (
        (slice(None),) * 3 if margin is None else pyradiomics_crop(roi, margin)
    )
    spec = PYRADIOMICS_IMAGE_TYPES[image_type]
    args = {k: v for k, v in general.items() if k in spec.parameters}
    arr = np.asarray(image.array)[domain]
    mask = roi[domain] if spec.uses_mask else None
    sub = tuple(
        slice(b.start - (d.start or 0), b.stop - (d.start or 0))
        for b, d in zip(box, domain, strict=True)
    )
    if input_ndim(image) == 2:  # PyRadiomics filters a 2D image in 2D
        if spec.name == "LBP3D":
            return {}, sub  # and yields no LBP3D map for it
        flat = None if mask is None else mask[0]
        maps = pyradiomics_images(image_type, arr[0], image.spacing[1:], flat, args, box=sub[1:])
        return {k: v[np.newaxis] for k, v in maps.items()}, (slice(None),) * len(sub)
    maps = pyradiomics_images(image_type, arr, image.spacing, mask, args, box=sub)
    return maps, (slice(None),) * len(sub)


def _plane_axis(settings: ExtractionSettings, ndim: int) -> int | None:
    """The volume axis across which the texture classes stay in plane, or None (3D).

    ``force2Ddimension`` is an axis of the image as PyRadiomics reads it, in NumPy order:
    (z, y, x) for a 3D image, (y, x) for a 2D one, which radiomix holds as a volume of one
    plane (so axis ``d`` of a 2D image is the volume's axis ``d + 1``; PyRadiomics ignores
    a dimension 2 there). A 2D image without ``force2D`` needs no plane axis: PyRadiomics
    takes angles only along axes where the ROI is wider than one voxel, as the profile does.
    """
    ps = settings.pyradiomics
    if not ps.force2d:
        return None
    if ndim == 3:
        return ps.force2d_dimension
    return ps.force2d_dimension + 1 if ps.force2d_dimension < 2 else None


_AXIS_NAMES = ("z (axial planes)", "y (coronal planes)", "x (sagittal planes)")


def shape2d_plane(
    crop_mask: np.ndarray, spacing: tuple[float, ...], settings: ExtractionSettings, ndim: int
) -> tuple[np.ndarray, tuple[float, float]] | None:
    """The planar ROI and its (row, column) spacing PyRadiomics computes shape2D on, or
    None where PyRadiomics skips the class (logged: a warning where its bounding-box check
    skips it, info for a 3D image without force2D).

    PyRadiomics 3.0.1 (``RadiomicsFeatureExtractor.computeShape`` and ``RadiomicsShape2D``):
    a 2D image always; a 3D image only with ``force2D``, and then its check is off by an
    axis order: it skips shape2D where the ROI's bounding box, indexed in (x, y, z) order by
    ``force2Ddimension`` d, is one voxel wide, and otherwise requires the mask to be one
    voxel thick along NumPy axis d ((z, y, x) order), raising an error if it is not. So an
    axial ROI works with d = 0 (unless one column wide), a sagittal one with d = 2 (unless
    one slice high), and d = 1 never gives shape2D.

    Raises
    ------
    ConfigError
        force2D on a 3D ROI more than one voxel thick along ``force2Ddimension`` while
        shape2D is enabled (PyRadiomics raises a ValueError there).
    """
    if ndim == 2:
        return crop_mask[0], (float(spacing[1]), float(spacing[2]))
    ps = settings.pyradiomics
    if not ps.force2d:
        # a warning in PyRadiomics; every 3D case with all classes enabled meets it
        logger.info("shape2D needs force2D: true on a 3D image; skipped, as in PyRadiomics")
        return None
    d = ps.force2d_dimension
    if crop_mask.shape[2 - d] == 1:
        logger.warning(
            "shape2D skipped, as PyRadiomics skips it: its check reads the ROI's bounding box "
            "in (x, y, z) order, and the extent at index force2Ddimension = %d is 1",
            d,
        )
        return None
    if crop_mask.shape[d] > 1:
        raise ConfigError(
            f"shape2D with force2D needs a mask one voxel thick along force2Ddimension {d}, "
            f"axis {_AXIS_NAMES[d]}; this ROI spans {crop_mask.shape[d]} voxels there "
            "(PyRadiomics raises here too). Remove shape2D from featureClass (a parameter "
            "file without featureClass enables it), or use a mask of one plane"
        )
    keep = [k for k in range(3) if k != d]
    return np.squeeze(crop_mask, axis=d), (float(spacing[keep[0]]), float(spacing[keep[1]]))


def prepare_roi(image: Volume, mask: Volume, settings: ExtractionSettings) -> PyradiomicsRoi:
    """PyRadiomics' preprocessing of one ROI, shared by segment- and voxel-based extraction.

    In PyRadiomics' order: label check; ``Image-original`` / ``Mask-original`` diagnostics
    (the mask's own geometry); ``normalize`` (whole image); resampling (grid from the mask)
    or the geometry check with ``correctMask`` (``Mask-corrected_*``, not written with
    ``preCrop``, where PyRadiomics corrects while cropping) and ``preCrop``; ROI checks;
    re-segmentation (``Mask-resegmented_*``, ROI checks again).
    """
    from radiomix.io import check_finite

    ps = settings.pyradiomics
    roi_arr = np.asarray(mask.array, dtype=bool)
    if not roi_arr.any():  # PyRadiomics' getMask
        raise EmptyMaskError(
            f"label {ps.label} is not present in the mask: check the label (PyRadiomics "
            "setting 'label', or --label)"
        )
    ndim = input_ndim(image)
    image = with_ndim(image, ndim)
    diag = (
        diagnostics(image, roi_arr, settings, mask_hash=mask.metadata.get(MASK_HASH_KEY))
        if ps.additional_info
        else {}
    )
    on_grid = _same_grid(image, mask, exact=True)
    if ps.additional_info and not on_grid:  # PyRadiomics describes the mask as loaded
        diag.update(_mask_elements(mask, roi_arr, "original", with_intensities=False))
    resample = ps.resampled_spacing is not None and ps.interpolator is not None
    voxelwise = None
    if ps.normalize and resample:  # the whole image's statistics, applied where resampled
        statistics = normalise_statistics(image)
        scale, outliers = float(ps.normalize_scale), ps.remove_outliers

        def voxelwise(v: Volume) -> Volume:
            return normalise(v, scale, outliers, statistics=statistics)

    elif ps.normalize:
        image = normalize_image(image, settings)
    if resample:
        image, roi_arr = resample_image(image, mask.with_array(roi_arr), settings, voxelwise)
        image = with_ndim(image, ndim)
        if ps.additional_info:
            diag.update(_image_elements(image, "interpolated"))
            diag.update(_mask_elements(image, roi_arr, "interpolated", with_intensities=True))
    else:
        roi_arr, corrected = on_image_grid(image, mask.with_array(roi_arr), settings)
        pre_crop = bool(dict(ps.filter_settings).get("preCrop", False))
        if corrected and ps.additional_info and not pre_crop:
            diag.update(_mask_elements(image, roi_arr, "corrected", with_intensities=True))
        if pre_crop:  # PyRadiomics crops here (loadImage): later diagnostics see the crop
            check_roi(roi_arr, settings)
            image, roi_arr = _crop_box(image, roi_arr, _pad(ps))
    check_roi(roi_arr, settings)
    if not on_grid:  # the caller could not check the intensities on another grid
        check_finite(image, what="image inside the ROI", within=roi_arr)
    shape_roi = roi_arr  # PyRadiomics: shape of the ROI before re-segmentation ...
    final_roi = roi_arr  # ... the other classes on the re-segmented one
    if ps.resegment_range is not None:
        final_roi = resegment_roi(image, roi_arr, settings)
        check_roi(final_roi, settings)
        if ps.additional_info:
            diag.update(_mask_elements(image, final_roi, "resegmented", with_intensities=True))
        if ps.resegment_shape:
            shape_roi = final_roi
    return PyradiomicsRoi(image, roi_arr, final_roi, shape_roi, diag, ndim)


#: the classes of one map, split in two jobs where a case has one map (the Original image
#: alone): the run lengths beside the others, which take about as long together on a CT
#: lesion, while shape runs on another thread; the GLDM and NGTDM share their counts
_SPLIT_OFF = frozenset({"glrlm"})


def _class_groups(
    classes: list[tuple[str, tuple[str, ...]]], n_maps: int
) -> list[list[tuple[str, tuple[str, ...]]]]:
    """The groups of a map's ``classes`` that run as separate jobs of the thread pool: all
    in one, unless the case has one map (``n_maps`` 1) and more than one thread, where
    :data:`_SPLIT_OFF` runs beside the rest."""
    if n_maps != 1 or extraction_threads() < 2:
        return [classes]
    apart = [c for c in classes if c[0] in _SPLIT_OFF]
    rest = [c for c in classes if c[0] not in _SPLIT_OFF]
    return [g for g in (apart, rest) if g] or [classes]


def _map_count(
    image_types: Sequence[tuple[str, Any]], general: Sequence[tuple[str, Any]] | Mapping[str, Any]
) -> int:
    """About how many maps the image types give (LoG: one per sigma, Wavelet: 7 per level
    and the approximation, LBP3D: one per level and the kurtosis; else one), to weigh the
    texture kernels' start-up (:func:`radiomix.features.pyradiomics_profile.use_numba_kernels`)."""
    base = dict(general)
    count = 0
    for image_type, custom in image_types:
        cfg = {**base, **dict(custom)}
        if image_type == "LoG":
            sigma = cfg.get("sigma", [])
            count += len(sigma) if isinstance(sigma, list | tuple) else 1
        elif image_type == "Wavelet":
            count += 7 * int(cfg.get("level", 1)) + 1
        elif image_type == "LBP3D":
            count += int(cfg.get("lbp3DLevels", 2)) + 1
        else:
            count += 1
    return max(count, 1)


@dataclass(eq=False)
class Handover:
    """A case's image and boolean ROI, given to :func:`extract_handed_over` by a caller that
    keeps no other reference to them: the extraction then frees the whole image and ROI as
    soon as the ROI's box is cut from them and its maps are made (on a 512 x 512 x 60 CT,
    45 MiB less at the peak of the features). :meth:`take` hands them over once."""

    image: Volume | None
    mask: Volume | None

    def take(self) -> tuple[Volume, Volume]:
        """The image and ROI; the handover keeps no reference to them."""
        image, mask = self.image, self.mask
        if image is None or mask is None:
            raise RuntimeError("this case's image and ROI were taken already")
        self.image = self.mask = None
        return image, mask


def extract_roi_pyradiomics(
    image: Volume,
    mask: Volume,
    settings: ExtractionSettings,
    *,
    case_id: str = "case",
    roi: str = "1",
    clock: Callable[[], float] = time.perf_counter,
) -> RoiResult:
    """Extract one ROI the way PyRadiomics 3.0.1 does.

    ``mask`` is the boolean ROI on the image grid or, for a mask file with its own geometry, on
    its own grid (PyRadiomics' geometry check, ``correctMask`` and resampling decide). The
    records carry PyRadiomics' names (``<image type>_<class>_<Feature>``, ``diagnostics_*``;
    ``Mask-original_Hash`` from ``mask.metadata[MASK_HASH_KEY]`` when set). Preprocessing:
    :func:`prepare_roi`. Shape uses the ROI before re-segmentation (unless ``resegmentShape``)
    cropped to the final ROI's bounding box, as PyRadiomics does; the other classes the final
    ROI; the filters see PyRadiomics' domain of the ROI before re-segmentation.
    """
    return extract_handed_over(
        Handover(image, mask), settings, case_id=case_id, roi=roi, clock=clock
    )


def extract_handed_over(
    case: Handover,
    settings: ExtractionSettings,
    *,
    case_id: str = "case",
    roi: str = "1",
    clock: Callable[[], float] = time.perf_counter,
) -> RoiResult:
    """:func:`extract_roi_pyradiomics` of a handed-over image and ROI (:class:`Handover`):
    the whole image and ROI are released once the ROI's box and maps are cut from them."""
    ps = settings.pyradiomics
    timings: dict[str, float] = {}
    t0 = clock()
    prep = prepare_roi(*case.take(), settings)
    diag, ndim, spacing = prep.diagnostics, prep.ndim, prep.image.spacing
    # prep.roi (before re-segmentation) sets the filters' domain; box / crop_mask the
    # features'. Copies of the box: nothing here refers to the whole image and ROI.
    box = bounding_box(prep.final_roi)
    box_voxels = math.prod(b.stop - b.start for b in box)
    numba = prof.use_numba_kernels(box_voxels, _map_count(ps.image_types, ps.filter_settings))
    if numba:
        from radiomix.features._warmup import warm_up_pyradiomics_kernels

        warm_up_pyradiomics_kernels()  # numba's kernels load while shape etc. run
    crop_mask = prep.final_roi[box].copy()
    shape_mask = prep.shape_roi[box].copy()  # cropped to the final box, as PyRadiomics does
    original = prep.image.array[box].copy()
    # the whole image and ROI, for the filters; dropped once every image type's maps exist
    whole: dict[str, Any] = {"image": prep.image, "roi": prep.roi}
    del prep
    classes = enabled_classes(settings)
    timings["preprocess"] = clock() - t0

    def features(
        name: str,
        mapped: np.ndarray,
        cls_list: list[tuple[str, tuple[str, ...]]],
        custom: Any = (),
        *,
        roi_mask: np.ndarray | None = None,
    ) -> tuple[list[FeatureRecord], dict[str, float]]:
        """Features of one image (cropped to ``box``): ``custom`` = the image type's custom
        settings ((key, value) pairs), ``roi_mask`` = the ROI (default ``crop_mask``)."""
        out: list[FeatureRecord] = []
        times: dict[str, float] = {}
        m = crop_mask if roi_mask is None else roi_mask
        bin_width, bin_count, opts = image_type_options(settings, dict(custom), ndim)
        opts = dataclasses.replace(opts, numba_kernels=numba)
        values = np.asarray(mapped, dtype=np.float64)[m]
        levels = np.zeros(m.shape, dtype=np.int64)
        levels[m] = pyradiomics_levels(values, bin_width, bin_count)
        shared: dict[Any, Any] = {}  # this image's counts, kept across its classes
        for cls, names in cls_list:
            t = clock()
            for v in prof.compute_class(
                cls,
                values=values,
                levels=levels,
                mask=m,
                spacing=spacing,
                options=opts,
                names=names or None,
                shared=shared,
            ):
                out.append(FeatureRecord(name, cls, v))
            times[f"{name}_{cls}"] = clock() - t
        return out, times

    shape = [e for e in classes if e[0] == "shape"]
    others = [e for e in classes if not e[0].startswith("shape")]

    def shape_task() -> tuple[list[FeatureRecord], dict[str, float]]:
        """shape and shape2D of the original mask, whatever the image types."""
        out: list[FeatureRecord] = []
        times: dict[str, float] = {}
        if shape and ndim == 3:
            out, times = features("original", original, shape, roi_mask=shape_mask)
        elif shape:
            # PyRadiomics logs this as a warning; every 2D case with all classes meets it
            logger.info("shape needs a 3D image; skipped for this 2D image (shape2D applies)")
        for _, names in (e for e in classes if e[0] == "shape2D"):
            planar = shape2d_plane(shape_mask, spacing, settings, ndim)
            if planar is None:
                continue
            t = clock()
            for v in prof.compute_class(
                "shape2D",
                values=np.empty(0),
                levels=None,
                mask=planar[0],
                spacing=planar[1],
                options=prof.PyradiomicsTextureOptions(),  # (shape2D reads none)
                names=names or None,
            ):
                out.append(FeatureRecord("original", "shape2D", v))
            times["original_shape2D"] = clock() - t
        return out, times

    def image_maps(image_type: str, custom: Any) -> tuple[list[tuple[str, np.ndarray]], float]:
        """One image type's maps on the ROI box (copies: a whole-image map is freed) and the
        filter's time."""
        if image_type == "Original":
            return [("original", original)], 0.0
        t = clock()
        maps, sub = _filtered(whole["image"], whole["roi"], box, image_type, dict(custom), settings)
        cut = [(name, np.ascontiguousarray(mapped[sub])) for name, mapped in maps.items()]
        return cut, clock() - t

    # shape, every image type's filter and every map's features run on a pool of threads
    # (numba kernels, SimpleITK and NumPy's large-array work release the GIL); the records
    # keep PyRadiomics' order: shape, shape2D, then the image types and their maps in order
    with thread_pool() as pool:
        shape_job = pool.submit(shape_task)
        map_jobs = {pool.submit(image_maps, t, c): k for k, (t, c) in enumerate(ps.image_types)}
        # per image type, per map, the jobs of its class groups
        feature_jobs: list[list[list[Future[tuple[list[FeatureRecord], dict[str, float]]]]]] = [
            [] for _ in ps.image_types
        ]
        filter_times: dict[str, float] = {}
        for job in as_completed(map_jobs):
            k = map_jobs[job]
            image_type, custom = ps.image_types[k]
            maps, seconds = job.result()
            if all(j.done() for j in map_jobs):
                whole.clear()  # every map is made: the whole image goes
            if image_type != "Original":
                filter_times[f"filter_{image_type}"] = seconds
            groups = _class_groups(others, len(maps) if len(ps.image_types) == 1 else 0)
            feature_jobs[k] = [
                [pool.submit(features, name, mapped, group, custom) for group in groups]
                for name, mapped in maps
            ]
        records, shape_times = shape_job.result()
        timings.update(shape_times)
        timings.update(filter_times)
        position = {cls: n for n, (cls, _) in enumerate(others)}
        for jobs in feature_jobs:
            for groups_of_map in jobs:
                recs = []
                for fj in groups_of_map:
                    got, tms = fj.result()
                    recs += got
                    timings.update(tms)
                records += sorted(recs, key=lambda r: position[r.family])  # (stable)
    return RoiResult(case_id, roi, records, resolve_diagnostics(diag), timings)
