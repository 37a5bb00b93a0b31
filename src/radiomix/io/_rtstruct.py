"""DICOM RT Structure Sets: ROI contours rasterised onto an image grid.

An RTSTRUCT stores each ROI as planar polygons (``ContourData``: x, y, z triples in mm, in the
patient coordinate system of its FrameOfReferenceUID). :func:`read_rtstruct` turns the
``CLOSED_PLANAR`` contours of the chosen ROIs into boolean masks on the grid of a reference
image (:class:`~radiomix.io.Volume`).

Rules (documented behaviour)
    *Placement.* Contour points are physical coordinates: they are mapped to continuous voxel
    indices with the reference's origin ``o``, direction ``D`` and spacing ``s``
    (``i = (D diag(s))^-1 (p - o)``), so contours drawn on another grid (other spacing, origin,
    slice positions, even another in-plane resolution) in the same frame of reference land in
    the right place. A FrameOfReferenceUID that differs from the image's is an error; an image
    without one (NIfTI, NRRD) is trusted to be in the same patient coordinates.

    *Planes.* Every contour must be parallel to the image slices (its points within 0.05 slice +
    1 µm of one plane along the slice axis; contours within 0.01 slice share a plane). The ROI
    is the stack of its contour planes, each extruded half-way to the next: with ``g`` the ROI's
    regular plane spacing (the median gap between its distinct planes; one image slice when it
    has a single plane), image slice ``k`` takes the contours of the nearest plane ``p`` when
    ``|k - p| <= g / 2`` (ties go to the upper plane). Contours on the image slices map one to
    one; finer image slices repeat the nearest contour (nearest neighbour along the slice
    normal); gaps wider than ``g`` between planes stay empty.

    *In-plane rule.* A voxel is inside a polygon when its centre is inside it or on its boundary
    (the ``skimage.draw.polygon`` rule, computed by a scanline fill; coordinates within 1e-4 voxel of a voxel centre are
    snapped to it, so round-off does not move boundary voxels in or out). Partial voxels are
    therefore in or out by their centre alone: no partial-volume fraction is kept.

    *Holes.* All closed contours of one ROI on one plane are combined with the even-odd rule
    (exclusive or of the polygon fills), as most treatment planning systems and plastimatch
    do: an inner contour cuts a hole, a contour inside the hole adds an island. Because the
    boundary belongs to each polygon, the voxels whose centres lie on an inner contour are
    outside the ROI: draw inner contours through the centres of the outermost hole voxels.

    ``POINT``, ``OPEN_PLANAR`` and ``OPEN_NONPLANAR`` contours enclose nothing and are skipped
    with a :class:`RoiConversionWarning`.

References
----------
DICOM PS3.3, C.8.8.5 (Structure Set Module) and C.8.8.6 (ROI Contour Module).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
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
from radiomix.io._volume import Volume

if TYPE_CHECKING:
    import pydicom

__all__ = ["RoiConversionWarning", "RoiSelector", "read_rtstruct", "rtstruct_roi_names"]

RoiSelector = str | int | Sequence[str | int] | None

_SNAP = 1e-4  # voxel units: coordinates this close to a voxel centre are put on it
_PLANAR_TOL = 5e-2  # slice units: spread allowed for the points of one planar contour
_PLANE_TOL = 1e-2  # slice units: contours this close lie on one plane


class RoiConversionWarning(UserWarning):
    """Part of an RTSTRUCT/SEG was skipped or changed while converting it into masks."""


@dataclass(frozen=True)
class _Roi:
    number: int
    name: str
    frame_uid: str
    contours: list[tuple[str, np.ndarray]]  # (geometric type, (n, 3) points x, y, z in mm)


def _read_dataset(path: Path, modality: str) -> pydicom.Dataset:
    import pydicom  # imported here: `import radiomix.io` stays light
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(path)
    except (InvalidDicomError, OSError, ValueError, EOFError, TypeError, AttributeError) as exc:
        raise ImageReadError(f"could not read {path} as DICOM {modality}: {exc}") from exc
    found = str(ds.get("Modality", "") or "")
    if found != modality:
        raise ImageReadError(
            f"{path} is a DICOM {found or 'object without Modality'}, not an {modality}"
        )
    return ds


def _contour_data(contour: pydicom.Dataset) -> np.ndarray:
    """ContourData as floats; the raw DS text is parsed by NumPy (pydicom's DS objects are
    about 50 times slower on the hundreds of thousands of values of a clinical RTSTRUCT)."""
    raw = contour.get_item("ContourData")
    if raw is None:
        return np.zeros(0)
    value = raw.value
    if isinstance(value, bytes):
        try:
            return np.array(value.replace(b"\\", b" ").split(), dtype=float)
        except ValueError:
            pass  # unusual text: let pydicom decode it
    data = contour.ContourData
    if data is None:
        return np.zeros(0)
    return np.asarray([float(v) for v in (data if isinstance(data, Iterable) else [data])])


def _parse(ds: pydicom.Dataset, path: Path) -> list[_Roi]:
    contours: dict[int, list[tuple[str, np.ndarray]]] = {}
    for item in ds.get("ROIContourSequence", []):
        number = int(item.get("ReferencedROINumber", -1))
        found = contours.setdefault(number, [])
        for contour in item.get("ContourSequence", []):
            points = _contour_data(contour)
            if points.size < 3:
                continue
            if points.size % 3:
                raise ImageReadError(
                    f"{path}: a contour of ROI number {number} has {points.size} ContourData "
                    "values, not a multiple of 3 (x, y, z triples); the file is corrupt"
                )
            kind = str(contour.get("ContourGeometricType", "CLOSED_PLANAR") or "CLOSED_PLANAR")
            found.append((kind, points.reshape(-1, 3)))
    frames = {
        str(f.get("FrameOfReferenceUID", "") or "")
        for f in ds.get("ReferencedFrameOfReferenceSequence", [])
    }
    default_frame = frames.pop() if len(frames) == 1 else ""
    rois = []
    for item in ds.get("StructureSetROISequence", []):
        number = int(item.get("ROINumber", -1))
        rois.append(
            _Roi(
                number=number,
                name=str(item.get("ROIName", "") or f"ROI {number}"),
                frame_uid=str(item.get("ReferencedFrameOfReferenceUID", "") or default_frame),
                contours=contours.get(number, []),
            )
        )
    if not rois:
        raise ImageReadError(f"{path} is an RTSTRUCT without ROIs (empty StructureSetROISequence)")
    return rois


def rtstruct_roi_names(path: str | Path) -> list[str]:
    """ROI names of an RTSTRUCT file, in file order."""
    path = Path(path)
    return [roi.name for roi in _parse(_read_dataset(path, "RTSTRUCT"), path)]


def _unique_names(rois: list[_Roi]) -> list[str]:
    counts: dict[str, int] = {}
    for roi in rois:
        counts[roi.name] = counts.get(roi.name, 0) + 1
    return [f"{r.name} (ROI {r.number})" if counts[r.name] > 1 else r.name for r in rois]


def _as_list(select: RoiSelector) -> list[str | int] | None:
    if select is None:
        return None
    if isinstance(select, str | int):
        return [select]
    return list(select)


def _choose(rois: list[_Roi], names: list[str], select: RoiSelector, path: Path) -> list[int]:
    """Indices of the selected ROIs (names, case-insensitive names, or ROI numbers)."""
    wanted = _as_list(select)
    if wanted is None or wanted == ["all"]:
        return list(range(len(rois)))
    chosen: list[int] = []
    for key in wanted:
        text = str(key)
        hits: list[int] = []
        if isinstance(key, int) and not isinstance(key, bool):
            hits = [i for i, r in enumerate(rois) if r.number == key]
        if not hits:
            hits = [i for i, n in enumerate(names) if n == text or rois[i].name == text]
        if not hits:
            folded = text.strip().casefold()
            hits = [i for i, r in enumerate(rois) if r.name.strip().casefold() == folded]
        if not hits and text.strip().isdigit():
            hits = [i for i, r in enumerate(rois) if r.number == int(text)]
        if not hits:
            listing = ", ".join(
                f"{n!r} (number {r.number})" for n, r in zip(names, rois, strict=True)
            )
            raise LabelNotFoundError(f"ROI {text!r} is not in {path}; ROIs present: {listing}")
        chosen.extend(i for i in hits if i not in chosen)
    return chosen


def _index_map(reference: Volume) -> tuple[np.ndarray, np.ndarray]:
    """Matrix and offset turning physical (z, y, x) points into continuous voxel indices."""
    matrix = reference.direction * np.asarray(reference.spacing)[None, :]
    return np.linalg.inv(matrix), np.asarray(reference.origin)


def physical_to_index(points_xyz: np.ndarray, reference: Volume) -> np.ndarray:
    """Continuous (z, y, x) voxel indices of DICOM patient points (n, 3) given as (x, y, z)."""
    inverse, origin = _index_map(reference)
    index = (np.asarray(points_xyz, dtype=float)[:, ::-1] - origin) @ inverse.T
    snapped = np.rint(index)
    return np.where(np.abs(index - snapped) <= _SNAP, snapped, index)


def check_frame_of_reference(frame_uid: str, reference: Volume, what: str) -> None:
    """Raise when both frames of reference are known and differ."""
    image_uid = str(reference.metadata.get("frame_of_reference_uid", "") or "")
    if frame_uid and image_uid and frame_uid != image_uid:
        raise GeometryMismatchError(
            f"{what} is defined in frame of reference {frame_uid} but the image "
            f"({reference.metadata.get('source', 'reference')}) is in {image_uid}: the "
            "contours belong to another scan or registration. Use the image series the "
            "structures were drawn on (or register and resample first)"
        )


def _planes(
    contours: list[np.ndarray], name: str, path: Path, reference: Volume
) -> tuple[np.ndarray, list[list[np.ndarray]]]:
    """Distinct plane positions (slice units, ascending) and the (y, x) polygons of each."""
    positions = []
    polygons = []
    for points in contours:
        index = physical_to_index(points, reference)
        spread = float(np.ptp(index[:, 0]))
        if spread > _PLANAR_TOL + 1e-3 / reference.spacing[0]:
            raise GeometryMismatchError(
                f"a contour of ROI {name!r} in {path} is not parallel to the image slices (its "
                f"points span {spread * reference.spacing[0]:.3g} mm along the slice normal): "
                "the structure set was drawn on differently oriented images; resample the "
                "image to the orientation of the contours"
            )
        positions.append(float(np.mean(index[:, 0])))
        polygons.append(index[:, 1:])
    order = np.argsort(positions, kind="stable")
    planes: list[float] = []
    grouped: list[list[np.ndarray]] = []
    for i in order:
        if planes and abs(positions[i] - planes[-1]) <= _PLANE_TOL:
            grouped[-1].append(polygons[i])
        else:
            planes.append(positions[i])
            grouped.append([polygons[i]])
    return np.asarray(planes), grouped


def rasterise_planes(
    planes: np.ndarray, polygons: list[list[np.ndarray]], shape: tuple[int, int, int]
) -> np.ndarray:
    """Boolean (z, y, x) mask from polygons on planes at continuous slice positions.

    ``planes`` are ascending positions in slice units; ``polygons[j]`` the (n, 2) (y, x)
    voxel-index polygons on plane ``j``, combined with the even-odd rule. Rules: see the module
    notes.
    """
    mask = np.zeros(shape, dtype=bool)
    fills: dict[int, np.ndarray] = {}
    for k, best in enumerate(nearest_planes(planes, shape[0])):
        if best < 0:
            continue
        if best not in fills:
            fills[best] = _even_odd(polygons[best], shape[1:])
        mask[k] = fills[best]
    return mask


def nearest_planes(planes: np.ndarray, n_slices: int) -> list[int]:
    """For each image slice ``k``, the index of the plane that covers it, or -1.

    ``planes`` are ascending plane positions in slice units. With ``g`` the median gap between
    them (1 for a single plane), slice ``k`` takes the nearest plane ``p`` when
    ``|k - p| <= g / 2``; a slice exactly half-way between two planes takes the upper one.
    """
    if planes.size == 0:
        return [-1] * n_slices
    gaps = np.diff(planes)
    half = (float(np.median(gaps)) if gaps.size else 1.0) / 2.0
    out = []
    for k in range(n_slices):
        j = int(np.searchsorted(planes, k, side="right"))  # planes[j-1] <= k < planes[j]
        candidates = [c for c in (j - 1, j) if 0 <= c < planes.size]
        best = min(candidates, key=lambda c: (abs(planes[c] - k), -c))
        out.append(best if abs(planes[best] - k) <= half + 1e-6 else -1)
    return out


def _even_odd(polygons: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    plane = np.zeros(shape, dtype=bool)
    for poly in polygons:
        plane ^= fill_polygon(poly, shape)
    return plane


_EPS = 1e-6  # voxel units: a crossing this close to a voxel centre passes through it


def fill_polygon(polygon: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Voxels of a 2D grid whose centres lie inside a polygon or on its boundary.

    Parameters
    ----------
    polygon : ndarray, shape (n, 2)
        Vertices as continuous (row, column) voxel indices; the polygon closes itself and may
        self-intersect (the even-odd rule decides).
    shape : (int, int)
        Grid size; the polygon may extend beyond it.

    Returns
    -------
    ndarray of bool
        The filled grid: for simple polygons the same set as ``skimage.draw.polygon`` (its
        reference in the tests), computed by scanlines instead of a point-in-polygon test per
        voxel. Where a self-overlapping polygon runs along one edge twice, the voxel centres
        on that edge are kept (skimage's parity test may drop them).

    Notes
    -----
    Scanline fill: on row ``y`` an edge from ``(y0, x0)`` to ``(y1, x1)`` with
    ``min(y0, y1) <= y < max(y0, y1)`` (half-open, so a vertex is counted once) crosses at
    ``x = x0 + (y - y0) (x1 - x0) / (y1 - y0)``; sorted crossings pair up into spans
    ``[x_2i, x_2i+1]`` whose voxel centres are inside (the ends included). Voxel centres on
    the boundary that no span reaches (top vertices, horizontal edges) are added from the edges
    themselves. Cost O(rows x edges) per polygon.
    """
    ny, nx = shape
    out = np.zeros(shape, dtype=bool)
    poly = np.asarray(polygon, dtype=float).reshape(-1, 2)
    if poly.shape[0] == 0:
        return out
    r0, c0 = poly[:, 0], poly[:, 1]
    r1, c1 = np.roll(r0, -1), np.roll(c0, -1)
    first = max(0, int(np.ceil(r0.min() - _EPS)))
    last = min(ny - 1, int(np.floor(r0.max() + _EPS)))
    if first > last or c0.max() < -_EPS or c0.min() > nx - 1 + _EPS:
        return out
    rows = np.arange(first, last + 1, dtype=float)[:, None]
    lo, hi = np.minimum(r0, r1), np.maximum(r0, r1)
    slanted = r1 != r0
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (rows - r0) / np.where(slanted, r1 - r0, 1.0)
    x = c0 + t * (c1 - c0)
    # interior spans (half-open edge rule)
    active = slanted & (rows >= lo) & (rows < hi)
    crossings = np.sort(np.where(active, x, np.inf), axis=1)
    n_cross = active.sum(axis=1)
    span_rows, span_idx = np.nonzero(np.arange(crossings.shape[1])[None, :] < n_cross[:, None])
    starts = crossings[span_rows[span_idx % 2 == 0], span_idx[span_idx % 2 == 0]]
    stops = crossings[span_rows[span_idx % 2 == 1], span_idx[span_idx % 2 == 1]]
    which = span_rows[span_idx % 2 == 0]
    left = max(0, int(np.ceil(c0.min() - _EPS)))  # columns the polygon can reach
    right = min(nx, int(np.floor(c0.max() + _EPS)) + 1)
    x_from = np.clip(np.ceil(starts - _EPS), left, right).astype(np.int64) - left
    x_to = np.clip(np.floor(stops + _EPS) + 1, left, right).astype(np.int64) - left
    keep = x_to > x_from
    if keep.any():
        width = right - left
        marks = np.zeros((rows.shape[0], width + 1), dtype=np.int32)
        np.add.at(marks, (which[keep], x_from[keep]), 1)
        np.add.at(marks, (which[keep], x_to[keep]), -1)
        out[first : last + 1, left:right] = np.cumsum(marks[:, :width], axis=1) > 0
    # boundary voxel centres on slanted edges (ends included)
    on_edge = slanted & (rows >= lo - _EPS) & (rows <= hi + _EPS)
    near = np.rint(x)
    hit = on_edge & (np.abs(x - near) <= _EPS) & (near >= 0) & (near <= nx - 1)
    hr, he = np.nonzero(hit)
    out[hr + first, near[hr, he].astype(np.int64)] = True
    # horizontal edges on a row of voxel centres
    for e in np.flatnonzero(~slanted):
        row = float(r0[e])
        if abs(row - np.rint(row)) > _EPS or not 0 <= np.rint(row) <= ny - 1:
            continue
        a = max(0, int(np.ceil(min(c0[e], c1[e]) - _EPS)))
        b = min(nx - 1, int(np.floor(max(c0[e], c1[e]) + _EPS)))
        if a <= b:
            out[int(np.rint(row)), a : b + 1] = True
    return out


def read_rtstruct(
    path: str | Path, reference: Volume, select: RoiSelector = None
) -> dict[str, Volume]:
    """Boolean masks of RTSTRUCT ROIs on the grid of ``reference``.

    Parameters
    ----------
    path : str or Path
        An RT Structure Set file.
    reference : Volume
        The image the masks are built for (its ``metadata["frame_of_reference_uid"]`` is
        checked when present).
    select : str, int, sequence of them, "all" or None
        ROI names (exact, then case-insensitive) or ROI numbers; None or "all" takes every ROI
        with closed contours inside the image (others are skipped with a
        :class:`RoiConversionWarning`).

    Returns
    -------
    dict of str to Volume
        Masks by ROI name (``"name (ROI n)"`` when a name repeats), in file order; metadata
        ``source``, ``format="rtstruct"``, ``roi_name``, ``roi_number``, ``label``.

    Raises
    ------
    ImageReadError
        Not a readable RTSTRUCT.
    LabelNotFoundError
        A selected ROI is absent (the message lists those present).
    GeometryMismatchError
        Frame of reference differs from the image's; a contour not parallel to the slices.
    EmptyMaskError
        A selected ROI has no closed contour, or none inside the image.
    """
    path = Path(path)
    ds = _read_dataset(path, "RTSTRUCT")
    rois = _parse(ds, path)
    names = _unique_names(rois)
    explicit = select is not None and _as_list(select) != ["all"]
    out: dict[str, Volume] = {}
    skipped: list[str] = []
    for i in _choose(rois, names, select, path):
        roi, name = rois[i], names[i]
        check_frame_of_reference(roi.frame_uid, reference, f"ROI {name!r} of {path}")
        closed = [pts for kind, pts in roi.contours if kind == "CLOSED_PLANAR"]
        others = sorted({kind for kind, _ in roi.contours if kind != "CLOSED_PLANAR"})
        if others:
            warnings.warn(
                f"ROI {name!r} of {path}: {', '.join(others)} contours enclose no area and are "
                "skipped",
                RoiConversionWarning,
                stacklevel=2,
            )
        problem = ""
        mask = np.zeros(reference.shape, dtype=bool)
        if not closed:
            problem = "has no CLOSED_PLANAR contour"
        else:
            planes, polygons = _planes(closed, name, path, reference)
            mask = rasterise_planes(planes, polygons, reference.shape)
            if not mask.any():
                lo, hi = _mm_along(planes[[0, -1]], reference)
                problem = (
                    f"has contours (from {lo:g} to {hi:g} mm along the slice normal) but none "
                    "covers a voxel centre of the image"
                )
        if problem:
            if explicit:
                raise EmptyMaskError(
                    f"ROI {name!r} of {path} {problem}; check that the structure set belongs "
                    "to this image"
                )
            skipped.append(f"{name!r} ({problem})")
            continue
        meta: dict[str, Any] = {
            "source": str(path),
            "format": "rtstruct",
            "roi_name": roi.name,
            "roi_number": roi.number,
            "label": name,
        }
        out[name] = reference.with_array(mask, metadata=meta)
    if skipped:
        warnings.warn(
            f"{path}: skipped {len(skipped)} ROI(s): " + "; ".join(skipped),
            RoiConversionWarning,
            stacklevel=2,
        )
    return out


def _mm_along(planes: np.ndarray, reference: Volume) -> tuple[float, float]:
    """Plane positions (slice units) as signed distances in mm along the slice axis."""
    start = float(np.dot(reference.origin, reference.direction[:, 0]))
    lo, hi = (start + float(p) * reference.spacing[0] for p in planes)
    return lo, hi
