"""DICOM Segmentation objects (SEG): segments as boolean masks on an image grid.

A SEG stores each segment as frames (2D planes) with, per frame, the segment number
(``SegmentIdentificationSequence``) and the plane position (``PlanePositionSequence``) in the
patient coordinates of its FrameOfReferenceUID; frames may cover a subset of the slices, and
empty frames are usually left out. :func:`read_seg` rebuilds the chosen segments on the grid of
a reference image (:class:`~radiomix.io.Volume`).

Rules (documented behaviour)
    *Values.* ``BINARY`` segments are taken as they are. ``FRACTIONAL`` segments (occupancy or
    probability, stored as ``0..MaximumFractionalValue``) are inside where the fraction is at
    least 0.5: ``value / MaximumFractionalValue >= 0.5``. ``LABELMAP`` segmentations (DICOM
    2024, one frame per plane for all segments) give segment ``n`` where the pixel value is
    ``n``.

    *Placement.* Frames with plane positions are placed by geometry: each frame's plane is
    mapped into the reference's continuous slice index (it must be parallel to the image
    slices); the segment's planes are then extruded half-way to each other exactly as RTSTRUCT
    contour planes are (see :mod:`radiomix.io._rtstruct`), so a SEG on the image's own slices
    maps one to one and a SEG on another slice grid is placed by nearest plane. In the plane,
    every image voxel takes the value of the SEG pixel that contains its centre (nearest
    neighbour; a centre on a pixel border goes to the pixel with the larger index), which is
    exact when the grids coincide. Frames without plane positions are placed through the
    source image they reference (``DerivationImageSequence`` ->
    ``ReferencedSOPInstanceUID``), which must be one of the reference series' slices and have
    its size.

    A FrameOfReferenceUID that differs from the image's is an error.

References
----------
DICOM PS3.3, A.51 (Segmentation IOD), C.8.20 (Segmentation Image Module).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from radiomix.errors import (
    EmptyMaskError,
    GeometryMismatchError,
    ImageReadError,
    LabelNotFoundError,
)
from radiomix.io._rtstruct import (
    RoiSelector,
    _read_dataset,
    check_frame_of_reference,
    nearest_planes,
    physical_to_index,
)
from radiomix.io._volume import Volume

if TYPE_CHECKING:
    import pydicom

__all__ = ["read_seg", "seg_segment_labels"]

_PLANAR_TOL = 5e-2  # slice units: spread allowed across one frame
_PLANE_TOL = 1e-2  # slice units: frames this close lie on one plane


@dataclass(frozen=True)
class _Segment:
    number: int
    label: str


@dataclass(frozen=True)
class _Frame:
    index: int
    segment: int
    position: tuple[float, float, float] | None
    orientation: tuple[float, ...] | None
    pixel_spacing: tuple[float, float] | None
    source_uid: str


def _first(seq: Any, name: str) -> Any:
    items = seq.get(name) if seq is not None else None
    return items[0] if items else None


def _floats(value: Any) -> tuple[float, ...] | None:
    return None if value is None else tuple(float(v) for v in value)


def _segments(ds: pydicom.Dataset, path: Path) -> list[_Segment]:
    segments = [
        _Segment(int(item.SegmentNumber), str(item.get("SegmentLabel", "") or ""))
        for item in ds.get("SegmentSequence", [])
    ]
    if not segments:
        raise ImageReadError(f"{path} is a SEG without segments (empty SegmentSequence)")
    return [s if s.label else _Segment(s.number, f"segment {s.number}") for s in segments]


def seg_segment_labels(path: str | Path) -> dict[int, str]:
    """Segment numbers and labels of a DICOM SEG file."""
    import pydicom  # imported here: `import radiomix.io` stays light

    path = Path(path)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    return {s.number: s.label for s in _segments(ds, path)}


def _frames(ds: pydicom.Dataset, path: Path, labelmap: bool) -> list[_Frame]:
    shared = _first(ds, "SharedFunctionalGroupsSequence")
    shared_orientation = _floats(
        getattr(_first(shared, "PlaneOrientationSequence"), "ImageOrientationPatient", None)
    )
    shared_spacing = _floats(getattr(_first(shared, "PixelMeasuresSequence"), "PixelSpacing", None))
    shared_segment = getattr(
        _first(shared, "SegmentIdentificationSequence"), "ReferencedSegmentNumber", None
    )
    per_frame = ds.get("PerFrameFunctionalGroupsSequence", [])
    n_frames = int(ds.get("NumberOfFrames", 1) or 1)
    if len(per_frame) != n_frames:
        raise ImageReadError(
            f"{path}: {n_frames} frames but {len(per_frame)} per-frame functional groups; the "
            "SEG is corrupt"
        )
    frames = []
    for i, group in enumerate(per_frame):
        seg_item = _first(group, "SegmentIdentificationSequence")
        number = getattr(seg_item, "ReferencedSegmentNumber", shared_segment)
        if labelmap:
            number = 0  # every frame holds every segment (pixel value = segment number)
        if number is None:
            raise ImageReadError(f"{path}: frame {i + 1} names no segment; the SEG is corrupt")
        position = _floats(
            getattr(_first(group, "PlanePositionSequence"), "ImagePositionPatient", None)
        )
        orientation = _floats(
            getattr(_first(group, "PlaneOrientationSequence"), "ImageOrientationPatient", None)
        )
        spacing = _floats(getattr(_first(group, "PixelMeasuresSequence"), "PixelSpacing", None))
        source = _first(_first(group, "DerivationImageSequence"), "SourceImageSequence")
        frames.append(
            _Frame(
                index=i,
                segment=int(number),
                position=position,  # type: ignore[arg-type]
                orientation=orientation or shared_orientation,
                pixel_spacing=spacing or shared_spacing,  # type: ignore[arg-type]
                source_uid=str(getattr(source, "ReferencedSOPInstanceUID", "") or ""),
            )
        )
    return frames


def _pixels(ds: pydicom.Dataset, path: Path) -> np.ndarray:
    """(frames, rows, cols): boolean occupancy (fractional: value / max >= 0.5), or the
    segment numbers of a LABELMAP SEG."""
    try:
        array = np.asarray(ds.pixel_array)
    except (ValueError, RuntimeError, AttributeError, NotImplementedError) as exc:
        raise ImageReadError(f"could not decode the pixel data of SEG {path}: {exc}") from exc
    array = array.reshape(-1, int(ds.Rows), int(ds.Columns))
    kind = str(ds.get("SegmentationType", "BINARY"))
    if kind == "FRACTIONAL":
        top = float(ds.get("MaximumFractionalValue", 255) or 255)
        return array.astype(np.float64) / top >= 0.5
    if kind == "LABELMAP":
        return array
    return array != 0


def _choose(segments: list[_Segment], select: RoiSelector, path: Path) -> list[_Segment]:
    if select is None:
        return list(segments)
    wanted = [select] if isinstance(select, str | int) else list(select)
    if wanted == ["all"]:
        return list(segments)
    chosen: list[_Segment] = []
    for key in wanted:
        text = str(key)
        hits: list[_Segment] = []
        if isinstance(key, int) and not isinstance(key, bool):
            hits = [s for s in segments if s.number == key]
        if not hits:
            hits = [s for s in segments if s.label == text]
        if not hits:
            hits = [s for s in segments if s.label.strip().casefold() == text.strip().casefold()]
        if not hits and text.strip().isdigit():
            hits = [s for s in segments if s.number == int(text)]
        if not hits:
            listing = ", ".join(f"{s.number}: {s.label!r}" for s in segments)
            raise LabelNotFoundError(
                f"segment {text!r} is not in {path}; segments present (number: label): {listing}"
            )
        chosen.extend(s for s in hits if s not in chosen)
    return chosen


def _frame_axes(frame: _Frame) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    iop = np.asarray(frame.orientation, dtype=float)
    dy, dx = frame.pixel_spacing  # type: ignore[misc]
    return np.asarray(frame.position, dtype=float), iop[:3], iop[3:], float(dy), float(dx)


def _place_geometric(
    frames: list[_Frame], pixels: np.ndarray, reference: Volume, what: str
) -> np.ndarray:
    """Mask of one segment from frames with plane positions (module notes)."""
    shape = reference.shape
    rows, cols = pixels.shape[1:]
    planes: dict[float, list[_Frame]] = {}
    for frame in frames:
        if frame.orientation is None or frame.pixel_spacing is None:
            raise ImageReadError(
                f"{what}: frame {frame.index + 1} has a plane position but no orientation or "
                "pixel spacing; the SEG is corrupt"
            )
        p0, r, c, dy, dx = _frame_axes(frame)
        corners = np.array([p0, p0 + r * dx * (cols - 1), p0 + c * dy * (rows - 1)])
        along = physical_to_index(corners, reference)[:, 0]
        if float(np.ptp(along)) > _PLANAR_TOL + 1e-3 / reference.spacing[0]:
            raise GeometryMismatchError(
                f"{what}: frame {frame.index + 1} is not parallel to the image slices; resample "
                "the image to the orientation of the segmentation"
            )
        position = float(along[0])
        key = next((p for p in planes if abs(p - position) <= _PLANE_TOL), position)
        planes.setdefault(key, []).append(frame)
    if not planes:
        return np.zeros(shape, dtype=bool)
    positions = np.array(sorted(planes))
    mask = np.zeros(shape, dtype=bool)
    cache: dict[float, np.ndarray] = {}
    for k, best in enumerate(nearest_planes(positions, shape[0])):
        if best < 0:
            continue
        key = float(positions[best])
        if key not in cache:
            plane = np.zeros(shape[1:], dtype=bool)
            for frame in planes[key]:
                plane |= _sample_frame(frame, pixels[frame.index], reference, key)
            cache[key] = plane
        mask[k] = cache[key]
    return mask


def _sample_frame(
    frame: _Frame, frame_pixels: np.ndarray, reference: Volume, slice_pos: float
) -> np.ndarray:
    """One image slice (at continuous slice index ``slice_pos``) sampled from one SEG frame.

    Each voxel centre takes the frame pixel containing it: the frame's (row, column) of image
    voxel (y, x) is affine, ``row = r0 + r_y y + r_x x`` (same for the column), so equal grids
    reduce to an integer shift (a plain copy) and others to one nearest-neighbour lookup.
    """
    ny, nx = reference.shape[1:]
    rows, cols = frame_pixels.shape
    p0, r, c, dy, dx = _frame_axes(frame)
    origin = reference.index_to_physical(np.array([slice_pos, 0.0, 0.0]))[::-1] - p0
    step = (reference.direction * np.asarray(reference.spacing)[None, :])[::-1]  # xyz x (z,y,x)
    row0, row_y, row_x = origin @ c / dy, step[:, 1] @ c / dy, step[:, 2] @ c / dy
    col0, col_y, col_x = origin @ r / dx, step[:, 1] @ r / dx, step[:, 2] @ r / dx
    out = np.zeros((ny, nx), dtype=bool)
    shift_r, shift_c = np.rint(row0), np.rint(col0)
    aligned = np.allclose([row_y, row_x, col_y, col_x], [1.0, 0.0, 0.0, 1.0], atol=1e-6)
    if aligned and abs(row0 - shift_r) <= 1e-4 and abs(col0 - shift_c) <= 1e-4:
        sr, sc = int(shift_r), int(shift_c)  # image voxel (y, x) <- frame pixel (y + sr, x + sc)
        y0, y1 = max(0, -sr), min(ny, rows - sr)
        x0, x1 = max(0, -sc), min(nx, cols - sc)
        if y0 < y1 and x0 < x1:
            out[y0:y1, x0:x1] = frame_pixels[y0 + sr : y1 + sr, x0 + sc : x1 + sc]
        return out
    yy = np.arange(ny, dtype=float)[:, None]
    xx = np.arange(nx, dtype=float)[None, :]
    row = _nearest(row0 + row_y * yy + row_x * xx)
    col = _nearest(col0 + col_y * yy + col_x * xx)
    inside = (row >= 0) & (row < rows) & (col >= 0) & (col < cols)
    out[inside] = frame_pixels[row[inside], col[inside]]
    return out


def _nearest(coord: np.ndarray) -> np.ndarray:
    snapped = np.rint(coord)
    coord = np.where(np.abs(coord - snapped) <= 1e-4, snapped, coord)
    return np.floor(coord + 0.5).astype(np.int64)


def _place_by_source(
    frames: list[_Frame], pixels: np.ndarray, reference: Volume, what: str
) -> np.ndarray:
    """Mask of one segment from frames that reference source slices by SOP Instance UID."""
    uids = list(reference.metadata.get("sop_instance_uids") or [])
    lookup = {uid: k for k, uid in enumerate(uids) if uid}
    mask = np.zeros(reference.shape, dtype=bool)
    for frame in frames:
        if not frame.source_uid:
            raise ImageReadError(
                f"{what}: frame {frame.index + 1} has neither a plane position nor a "
                "referenced source image, so it cannot be placed"
            )
        if frame.source_uid not in lookup:
            raise GeometryMismatchError(
                f"{what}: frame {frame.index + 1} refers to source image {frame.source_uid}, "
                "which is not a slice of the image; read the image series the SEG was made from"
            )
        if pixels.shape[1:] != reference.shape[1:]:
            raise GeometryMismatchError(
                f"{what}: frames of {pixels.shape[1]}x{pixels.shape[2]} pixels do not match the "
                f"image slices of {reference.shape[1]}x{reference.shape[2]} voxels"
            )
        mask[lookup[frame.source_uid]] |= pixels[frame.index]
    return mask


def read_seg(path: str | Path, reference: Volume, select: RoiSelector = None) -> dict[str, Volume]:
    """Boolean masks of DICOM SEG segments on the grid of ``reference``.

    Parameters
    ----------
    path : str or Path
        A DICOM Segmentation file (BINARY, FRACTIONAL or LABELMAP).
    reference : Volume
        The image the masks are built for.
    select : int, str, sequence of them, "all" or None
        Segment numbers or labels (exact, then case-insensitive); None or "all" takes every
        segment.

    Returns
    -------
    dict of str to Volume
        Masks by segment label (``"label (segment n)"`` when a label repeats), in segment
        order; metadata ``source``, ``format="seg"``, ``segment_number``, ``segment_label``,
        ``label``.

    Raises
    ------
    ImageReadError
        Not a readable SEG.
    LabelNotFoundError
        A selected segment is absent (the message lists those present).
    GeometryMismatchError
        Frame of reference differs; frames not parallel to the image slices; referenced
        source images not in the image.
    EmptyMaskError
        A selected segment covers no voxel of the image.
    """
    path = Path(path)
    ds = _read_dataset(path, "SEG")
    check_frame_of_reference(str(ds.get("FrameOfReferenceUID", "") or ""), reference, str(path))
    segments = _segments(ds, path)
    chosen = _choose(segments, select, path)
    labelmap = str(ds.get("SegmentationType", "BINARY")) == "LABELMAP"
    frames = _frames(ds, path, labelmap)
    raw = _pixels(ds, path)
    counts: dict[str, int] = {}
    for s in segments:
        counts[s.label] = counts.get(s.label, 0) + 1
    out: dict[str, Volume] = {}
    for segment in chosen:
        name = (
            segment.label
            if counts[segment.label] == 1
            else f"{segment.label} (segment {segment.number})"
        )
        what = f"segment {segment.number} ({segment.label!r}) of {path}"
        mine = frames if labelmap else [f for f in frames if f.segment == segment.number]
        pixels = raw == segment.number if labelmap else raw
        placed = [f for f in mine if f.position is not None]
        by_source = [f for f in mine if f.position is None]
        mask = _place_geometric(placed, pixels, reference, what)
        if by_source:
            mask |= _place_by_source(by_source, pixels, reference, what)
        if not mask.any():
            raise EmptyMaskError(
                f"{what} covers no voxel of the image ({len(mine)} frame(s)); check that the "
                "segmentation belongs to this image"
            )
        meta: dict[str, Any] = {
            "source": str(path),
            "format": "seg",
            "segment_number": segment.number,
            "segment_label": segment.label,
            "label": name,
        }
        out[name] = reference.with_array(mask, metadata=meta)
    return out
