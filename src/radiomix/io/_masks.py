"""Masks: reading label maps, choosing a label, and checking ROI and geometry."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from radiomix.errors import (
    EmptyMaskError,
    GeometryMismatchError,
    ImageReadError,
    InvalidImageError,
    LabelNotFoundError,
    RoiTooSmallError,
)
from radiomix.io._readers import ImageSource, is_dicom_file, read_source, voxel_index_text
from radiomix.io._volume import Volume

if TYPE_CHECKING:
    from radiomix.io._rtstruct import RoiSelector

__all__ = [
    "check_geometry",
    "check_roi",
    "dicom_roi_file",
    "mask_labels",
    "read_mask",
    "read_rois",
    "select_label",
]


def _smallest_int_dtype(lo: int, hi: int) -> np.dtype:
    for dtype in (np.uint8, np.uint16, np.int16, np.int32, np.int64):
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def _as_label_map(volume: Volume, what: str) -> Volume:
    """An integer copy of a mask: booleans -> uint8, integral floats -> smallest integer type."""
    array = volume.array
    if array.dtype == np.bool_:
        return volume.with_array(array.astype(np.uint8))
    if np.issubdtype(array.dtype, np.integer):
        return volume
    if not np.issubdtype(array.dtype, np.floating):
        raise InvalidImageError(f"{what} must hold integer labels, got {array.dtype}")
    finite = np.isfinite(array)
    if not finite.all():
        first = voxel_index_text(np.argwhere(~finite)[0], plane=volume.is_2d)
        raise InvalidImageError(
            f"{what} holds {int(np.count_nonzero(~finite))} non-finite value(s), the first at "
            f"{first}; a mask must be a label map"
        )
    rounded = np.rint(array)
    if not np.array_equal(rounded, array):
        odd = array[rounded != array]
        raise InvalidImageError(
            f"{what} holds {odd.size} non-integer value(s) (e.g. {float(odd[0]):g}); a mask must "
            "be a label map: threshold or round it first (was it resampled with linear "
            "interpolation?)"
        )
    lo, hi = (int(rounded.min()), int(rounded.max())) if rounded.size else (0, 0)
    return volume.with_array(rounded.astype(_smallest_int_dtype(lo, hi)))


def read_mask(
    source: ImageSource,
    *,
    reference: Volume | None = None,
    spacing: Sequence[float] | float | None = None,
    series_uid: str | None = None,
) -> Volume:
    """Read a mask as an integer label map (same sources as :func:`~radiomix.io.read_image`).

    Parameters
    ----------
    source : str, Path, Volume, SimpleITK.Image or ndarray
        A label map. 2D masks (PNG with 0/255, possibly RGB with equal channels) work; colour
        masks with differing channels become 1 wherever any channel is non-zero (with an
        :class:`~radiomix.io.ImageConversionWarning`); palette PNGs keep their indices.
    reference : Volume, optional
        The image the mask belongs to. Masks without geometry of their own (2D image files,
        arrays) take its spacing, origin and direction; masks with geometry must match it
        (within :func:`check_geometry`'s tolerance) and are then given its exact geometry.
    spacing : float or sequence of float, optional
        Voxel size (z, y, x) or (y, x) in mm; replaces the source's (or the reference's).
    series_uid : str, optional
        The series to read from a DICOM folder with several.

    Returns
    -------
    Volume
        Integer array (booleans become uint8; float masks with integral values become the
        smallest integer type that holds them).

    Raises
    ------
    ImageReadError
        As for :func:`~radiomix.io.read_image`.
    InvalidImageError
        Non-integer or non-finite values.
    GeometryMismatchError
        The mask does not lie on the reference's grid.
    """
    volume, has_geometry = read_source(
        source, spacing=spacing, origin=None, for_mask=True, series_uid=series_uid, what="mask"
    )
    volume = _as_label_map(volume, "the mask" + _source_note(volume))
    if reference is None:
        return volume
    if not has_geometry:
        volume = volume.with_array(
            volume.array,
            spacing=reference.spacing if spacing is None else volume.spacing,
            origin=reference.origin,
            direction=reference.direction,
        )
    check_geometry(reference, volume)
    return volume.with_array(
        volume.array,
        spacing=reference.spacing,
        origin=reference.origin,
        direction=reference.direction,
    )


def _source_note(volume: Volume) -> str:
    src = volume.metadata.get("source")
    return f" {src}" if src else ""


def _nonzero_crop(array: np.ndarray) -> np.ndarray:
    """The bounding box of the non-zero voxels (empty when there are none)."""
    nonzero = array != 0
    if array.ndim == 0:
        return array.reshape(1)[nonzero.reshape(1)]
    slices = []
    for axis in range(array.ndim):
        other = tuple(a for a in range(array.ndim) if a != axis)
        hits = np.flatnonzero(nonzero.any(axis=other) if other else nonzero)
        if hits.size == 0:
            return array.ravel()[:0]
        slices.append(slice(int(hits[0]), int(hits[-1]) + 1))
    return array[tuple(slices)]


def mask_labels(mask: Volume | np.ndarray) -> list[int]:
    """Sorted non-zero label values present in ``mask``."""
    array = mask.array if isinstance(mask, Volume) else np.asarray(mask)
    if array.dtype == np.bool_:
        return [1] if array.any() else []
    crop = _nonzero_crop(array)  # ROIs are usually small: count inside their bounding box
    if crop.size == 0:
        return []
    if np.issubdtype(crop.dtype, np.integer) and crop.dtype.itemsize <= 2:
        lo = int(crop.min())
        counts = np.bincount((crop.ravel().astype(np.int64) - lo) if lo < 0 else crop.ravel())
        values = np.flatnonzero(counts) + min(lo, 0)
    else:
        values = np.unique(crop)
    return [int(v) if float(v).is_integer() else float(v) for v in values if v != 0]  # type: ignore[misc]


def select_label(mask: Volume, label: int | None, *, strict: bool = False) -> Volume:
    """A boolean ROI mask from a label map.

    Parameters
    ----------
    mask : Volume
        A label map (see :func:`read_mask`).
    label : int or None
        The label to keep. ``None`` keeps every non-zero voxel. For a binary mask (one
        non-zero value, e.g. 0/255 PNG masks), ``label=1`` selects that value.
    strict : bool
        Keep exactly ``label``: no binary-mask fallback (PyRadiomics' rule, used by the
        ``pyradiomics`` profile, where a 0/255 mask needs ``label: 255``).

    Returns
    -------
    Volume
        Boolean array on the same grid; ``metadata["label"]`` is the label value used.

    Raises
    ------
    LabelNotFoundError
        The label is absent; the message names the labels present.
    """
    array = mask.array
    metadata = dict(mask.metadata)
    if label is None:
        selected = array != 0
        metadata["label"] = None
        return mask.with_array(selected, metadata=metadata)
    if isinstance(label, bool) or not float(label).is_integer():
        raise ValueError(f"label must be an integer or None, got {label!r}")
    value = int(label)
    selected = array == value
    if not selected.any():
        present = mask_labels(array)
        if value == 1 and len(present) == 1 and not strict:
            value = present[0]  # binary mask stored as 0/255 (or another single value)
        else:
            where = f" of {mask.metadata['source']}" if mask.metadata.get("source") else ""
            found = f"labels present: {present}" if present else "the mask is empty"
            hint = (
                f" (the pyradiomics profile, like PyRadiomics, takes the label as stored: "
                f"set label: {present[0]})"
                if strict and value == 1 and len(present) == 1
                else ""
            )
            raise LabelNotFoundError(f"label {label} is not in the mask{where}; {found}{hint}")
        selected = array == value
    metadata["label"] = value
    return mask.with_array(selected, metadata=metadata)


def check_roi(mask: Volume | np.ndarray, *, min_voxels: int = 1) -> None:
    """Raise when the ROI is empty (:class:`EmptyMaskError`) or has < ``min_voxels`` voxels."""
    array = mask.array if isinstance(mask, Volume) else np.asarray(mask)
    count = int(np.count_nonzero(array))
    if count == 0:
        raise EmptyMaskError(
            "the region of interest is empty (no voxel in the mask): check the label and that "
            "the mask belongs to this image"
        )
    if count < min_voxels:
        raise RoiTooSmallError(
            f"the region of interest has {count} voxel(s); at least {min_voxels} are needed"
        )


def _fmt(values: Sequence[float] | np.ndarray) -> str:
    return "(" + ", ".join(f"{float(v):.6g}" for v in values) + ")"


def check_geometry(image: Volume, mask: Volume, *, tolerance: float = 1e-4) -> None:
    """Raise :class:`GeometryMismatchError` unless image and mask share one voxel grid.

    Sizes must be equal. Spacing and origin may differ by ``tolerance`` times the image voxel
    size (at least ``tolerance`` mm); direction cosines by ``tolerance``. The message names
    every property that differs, with both values and the difference, in ITK's and the
    viewers' axis order (x, y, z), which it states.
    """
    if image.is_2d != mask.is_2d:
        kind = ("2D", "3D") if image.is_2d else ("3D", "2D")
        raise GeometryMismatchError(
            f"the image is {kind[0]} (size {_xyz(image.shape)}) but the mask is {kind[1]} "
            f"(size {_xyz(mask.shape)}): a 2D image needs a 2D mask and a 3D image a 3D mask"
        )
    problems: list[str] = []
    if image.shape != mask.shape:
        problems.append(f"mask size {_xyz(mask.shape)} differs from image size {_xyz(image.shape)}")
    scale = np.maximum(np.asarray(image.spacing), 1.0)
    d_spacing = np.asarray(mask.spacing) - np.asarray(image.spacing)
    if np.any(np.abs(d_spacing) > tolerance * scale):
        problems.append(
            f"mask spacing {_xyz(mask.spacing)} differs from image spacing "
            f"{_xyz(image.spacing)} mm (by {_xyz(d_spacing)} mm)"
        )
    d_origin = np.asarray(mask.origin) - np.asarray(image.origin)
    if np.any(np.abs(d_origin) > tolerance * float(scale.max())):
        problems.append(
            f"mask origin {_xyz(mask.origin)} differs from image origin {_xyz(image.origin)} mm "
            f"(by {_xyz(d_origin)} mm, {float(np.linalg.norm(d_origin)):.6g} mm in all)"
        )
    d_direction = np.abs(mask.direction - image.direction)
    if np.any(d_direction > tolerance):
        cosines = np.clip(np.sum(mask.direction * image.direction, axis=0), -1.0, 1.0)
        angles = np.degrees(np.arccos(cosines))[::-1]  # (x, y, z)
        axes = ", ".join(f"{a} {ang:.3g}°" for a, ang in zip("xyz", angles, strict=True))
        problems.append(
            f"mask direction {_matrix(mask.direction)} differs from image direction "
            f"{_matrix(image.direction)} (ITK's row-major matrix, x, y, z; largest cosine "
            f"difference {float(d_direction.max()):.3g}; angle between the array axes: {axes})"
        )
    if problems:
        raise GeometryMismatchError(
            "image and mask do not share one voxel grid (values in x, y, z order): "
            + "; ".join(problems)
            + ". Resample the mask onto the image grid (nearest neighbour) or check that they "
            "belong to the same case"
        )


def _xyz(values: Sequence[float] | np.ndarray) -> str:
    """A (z, y, x) triple written in (x, y, z) order, the order of ITK and the viewers."""
    return _fmt(list(values)[::-1])


def _matrix(direction: np.ndarray) -> str:
    """A (z, y, x) direction matrix as ITK writes it (x, y, z rows and columns)."""
    return "[" + ", ".join(_fmt(row) for row in np.asarray(direction)[::-1, ::-1]) + "]"


# --------------------------------------------------------------------------- ROI objects

_ROI_MODALITIES = ("RTSTRUCT", "SEG")


def _roi_modality(path: Path) -> str | None:
    if not is_dicom_file(path):
        return None
    import pydicom  # imported here: only DICOM files need it
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["Modality"])
    except (InvalidDicomError, OSError, ValueError, EOFError, TypeError, AttributeError):
        # unreadable: the label-map reader reports it
        return None
    modality = str(ds.get("Modality", "") or "")
    return modality if modality in _ROI_MODALITIES else None


def dicom_roi_file(source: object) -> tuple[Path, str] | None:
    """The RTSTRUCT/SEG file behind a mask source, with its modality; None for label maps.

    ``source`` is an RTSTRUCT or SEG file, or a folder holding exactly one such file (and no
    image series is needed from it). Several RTSTRUCT/SEG files in one folder are an
    :class:`~radiomix.errors.ImageReadError` listing them.
    """
    if not isinstance(source, str | Path):
        return None
    path = Path(source).expanduser()
    if path.is_file():
        modality = _roi_modality(path)
        return (path, modality) if modality else None
    if not path.is_dir():
        return None
    from radiomix.io._dicom import list_dicom_series  # the DICOM modules load for DICOM only

    found = [
        (file, s.modality)
        for s in list_dicom_series(path)
        if s.modality in _ROI_MODALITIES
        for file in s.files
    ]
    if not found:
        return None
    if len(found) > 1:
        listing = "; ".join(f"{f} ({m})" for f, m in found)
        raise ImageReadError(
            f"folder {path} holds {len(found)} RTSTRUCT/SEG files: {listing}. Pass the file "
            "to use as the mask"
        )
    return found[0]


def read_rois(
    source: ImageSource, reference: Volume, select: RoiSelector = None
) -> dict[str, Volume]:
    """Boolean ROI masks on the grid of ``reference``, by ROI name, segment label or label.

    Parameters
    ----------
    source : str, Path, Volume, SimpleITK.Image or ndarray
        A DICOM RTSTRUCT file (contours rasterised, see :mod:`radiomix.io._rtstruct`), a DICOM
        SEG file (see :mod:`radiomix.io._seg`), a folder holding one of them, or any label
        map that :func:`read_mask` reads.
    reference : Volume
        The image the ROIs belong to.
    select : str, int, sequence of them, "all" or None
        RTSTRUCT: ROI names or numbers; SEG: segment labels or numbers; label maps: label
        values. None (or "all") takes every ROI / segment / non-zero label.

    Returns
    -------
    dict of str to Volume
        Boolean masks on the reference grid, keyed by ROI name, segment label, or the label
        value as text for label maps.

    Raises
    ------
    LabelNotFoundError
        A selected ROI, segment or label is absent.
    GeometryMismatchError
        Another frame of reference or another grid.
    ImageReadError, EmptyMaskError
        See the readers.
    """
    found = dicom_roi_file(source)
    if found is not None:
        path, modality = found
        if modality == "RTSTRUCT":
            from radiomix.io._rtstruct import read_rtstruct

            return read_rtstruct(path, reference, select)
        from radiomix.io._seg import read_seg

        return read_seg(path, reference, select)
    if isinstance(source, str | Path) and Path(source).is_dir():
        from radiomix.io._dicom import list_dicom_series

        series = [s for s in list_dicom_series(source) if s.is_image]
        if not series:
            raise ImageReadError(
                f"folder {source} holds no RTSTRUCT, SEG or DICOM image series to read as a mask"
            )
    mask = read_mask(source, reference=reference)
    if select is None or select == "all" or select == ["all"]:
        labels: list[int] = [int(v) for v in mask_labels(mask)]
    else:
        items = [select] if isinstance(select, str | int) else list(select)
        labels = []
        for item in items:
            try:
                labels.append(int(item))
            except (TypeError, ValueError):
                raise LabelNotFoundError(
                    f"label {item!r}: a label map is selected by integer label values "
                    f"(present: {mask_labels(mask)}); ROI names need an RTSTRUCT or SEG mask"
                ) from None
    out: dict[str, Volume] = {}
    for label in labels:
        roi = select_label(mask, label)
        out[str(label)] = roi
    return out
