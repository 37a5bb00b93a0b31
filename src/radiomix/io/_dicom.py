"""DICOM series discovery, ordering and validation (pydicom headers, SimpleITK pixels).

Headers are read with pydicom (without pixel data) to group files by series
(SeriesInstanceUID), order the slices along the slice normal and check that the slice spacing
is uniform; the pixel data are then read by SimpleITK/GDCM in that order, which decodes
compressed transfer syntaxes and applies RescaleSlope/RescaleIntercept (CT Hounsfield units).
Nothing here builds a :class:`~radiomix.io.Volume`: the callers in ``_readers.py`` convert the
SimpleITK image.

Choosing a series
    A folder (searched recursively) may hold several series. ``series_uid`` picks one. Without
    it, a folder with one image series reads that series; with several, the one series whose
    modality is CT, MR or PT is read when exactly one qualifies (e.g. a CT beside a secondary
    capture or a dose report image); otherwise :class:`~radiomix.errors.ImageReadError` lists
    every series (UID, modality, description, slice count). Non-image objects (RTSTRUCT, SEG,
    RTPLAN, RTDOSE, SR, ...) are never image series.

Slice order and spacing
    Slices are sorted by ``p . n``, the ImagePositionPatient ``p`` projected on the slice normal
    ``n = r x c`` of ImageOrientationPatient (row direction ``r``, column direction ``c``). The
    gaps ``g_i = (p_{i+1} - p_i) . n`` must be equal (within 1 % of the median gap, at least
    1 µm). Uneven gaps are *non-uniform slice spacing*; a gap close to ``k`` times the smallest
    gap (``k >= 2``) counts as ``k - 1`` *missing slices*. The default policy refuses such a
    series (:class:`~radiomix.errors.ImageReadError` with the gaps found and where the first
    irregular one lies), because a volume with an assumed constant spacing would put the slices
    in the wrong places and every 3D feature would be wrong without notice (SimpleITK/ITK only
    warns, and PyRadiomics inherits that). ``nonuniform="resample"`` reads it anyway in the
    manner of MIRP: a :class:`SliceSpacingWarning` lists the gaps and the slices are linearly
    interpolated along the normal onto a uniform grid from the first to the last slice with
    the smallest gap (adjusted so that it divides the extent); original slices that fall on the
    grid are kept unchanged. Either way the metadata carry a ``diagnostics`` entry
    (``dicom_slice_spacing_uniform``, ``dicom_slice_gap_min``, ``dicom_slice_gap_max``,
    ``dicom_missing_slices``, ``dicom_interpolated_slices``), which the extraction copies into
    every ROI's diagnostics.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from radiomix._lazy import lazy_module
from radiomix.errors import ImageReadError
from radiomix.io._readers import sitk_message

sitk = lazy_module("SimpleITK")  # imported on first use (see radiomix._lazy)

if TYPE_CHECKING:
    import pydicom
    import SimpleITK

__all__ = [
    "DicomSeriesInfo",
    "SliceSpacingWarning",
    "list_dicom_series",
    "read_dicom_file",
    "read_dicom_series",
]

NonUniformPolicy = Literal["error", "resample"]

# header fields needed to group and order slices (reading only these is much faster)
_TAGS = [
    "SOPInstanceUID",
    "SeriesInstanceUID",
    "SeriesDescription",
    "FrameOfReferenceUID",
    "Modality",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "RescaleSlope",
    "RescaleIntercept",
    "InstanceNumber",
    "NumberOfFrames",
    "Rows",
    "Columns",
]
_NON_IMAGE_MODALITIES = {"RTSTRUCT", "SEG", "RTPLAN", "RTDOSE", "RTRECORD", "SR", "PR", "KO"}
_PRIMARY_MODALITIES = ("CT", "MR", "PT")


class SliceSpacingWarning(UserWarning):
    """A DICOM series with non-uniform slice spacing was resampled onto a uniform grid."""


@dataclass(frozen=True)
class _Slice:
    path: Path
    sop_uid: str
    series_uid: str
    frame_uid: str
    modality: str
    description: str
    position: tuple[float, float, float] | None
    orientation: tuple[float, ...] | None
    slope: float
    intercept: float
    instance: int
    frames: int


@dataclass(frozen=True)
class DicomSeriesInfo:
    """One series found in a folder (see :func:`list_dicom_series`).

    Attributes
    ----------
    uid : str
        SeriesInstanceUID.
    modality : str
        Modality of the series' first file (CT, MR, PT, RTSTRUCT, SEG, ...).
    description : str
        SeriesDescription ('' when absent).
    n_files : int
        Number of files (slices for a single-frame image series).
    is_image : bool
        False for non-image objects (RTSTRUCT, SEG, RTPLAN, RTDOSE, SR, ...).
    frame_of_reference_uid : str
        FrameOfReferenceUID ('' when absent).
    files : tuple of Path
        The files, sorted by path.
    """

    uid: str
    modality: str
    description: str
    n_files: int
    is_image: bool
    frame_of_reference_uid: str
    files: tuple[Path, ...]


def _header(path: Path) -> pydicom.Dataset | None:
    import pydicom  # imported here: reading DICOM is the only use
    from pydicom.errors import InvalidDicomError

    try:
        return pydicom.dcmread(path, stop_before_pixels=True, specific_tags=_TAGS)
    except (InvalidDicomError, OSError, ValueError, EOFError, TypeError, AttributeError):
        return None


def _floats(value: Any, n: int) -> tuple[float, ...] | None:
    if value is None:
        return None
    try:
        out = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return out if len(out) == n else None


def _slice_record(path: Path, ds: pydicom.Dataset) -> _Slice:
    def num(name: str, default: float) -> float:
        value = ds.get(name)
        try:
            return float(value) if value is not None and value != "" else default
        except (TypeError, ValueError):
            return default

    return _Slice(
        path=path,
        sop_uid=str(ds.get("SOPInstanceUID", "") or ""),
        series_uid=str(ds.get("SeriesInstanceUID", "") or ""),
        frame_uid=str(ds.get("FrameOfReferenceUID", "") or ""),
        modality=str(ds.get("Modality", "") or ""),
        description=str(ds.get("SeriesDescription", "") or ""),
        position=_floats(ds.get("ImagePositionPatient"), 3),  # type: ignore[arg-type]
        orientation=_floats(ds.get("ImageOrientationPatient"), 6),
        slope=num("RescaleSlope", 1.0),
        intercept=num("RescaleIntercept", 0.0),
        instance=int(num("InstanceNumber", 0)),
        frames=int(num("NumberOfFrames", 1)),
    )


def _is_image(rec: _Slice, ds: pydicom.Dataset) -> bool:
    return rec.modality not in _NON_IMAGE_MODALITIES and "Rows" in ds


def _scan_all(folder: Path) -> tuple[list[tuple[_Slice, bool]], int]:
    """Every readable DICOM file of ``folder`` (recursive) with its image flag; files looked at."""
    records: list[tuple[_Slice, bool]] = []
    n_files = 0
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.startswith(".") or path.name.upper() == "DICOMDIR":
            continue
        n_files += 1
        ds = _header(path)
        if ds is None:
            continue
        rec = _slice_record(path, ds)
        records.append((rec, _is_image(rec, ds)))
    return records, n_files


def _scan(folder: Path) -> tuple[dict[str, list[_Slice]], Counter[str], int]:
    """Image slices by series UID, the non-image objects seen (by modality), files looked at."""
    series: dict[str, list[_Slice]] = {}
    non_image: Counter[str] = Counter()
    records, n_files = _scan_all(folder)
    for rec, image in records:
        if not image:
            non_image[rec.modality or "unknown"] += 1
            continue
        series.setdefault(rec.series_uid, []).append(rec)
    return series, non_image, n_files


def list_dicom_series(folder: str | Path) -> list[DicomSeriesInfo]:
    """The DICOM series in ``folder`` (searched recursively), image series first.

    Parameters
    ----------
    folder : str or Path
        A folder of DICOM files (any file names; non-DICOM files are skipped).

    Returns
    -------
    list of DicomSeriesInfo
        One entry per SeriesInstanceUID; image series first, then by modality and UID.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ImageReadError(f"no such folder: {folder}")
    grouped: dict[str, list[tuple[_Slice, bool]]] = {}
    for rec, image in _scan_all(folder)[0]:
        grouped.setdefault(rec.series_uid, []).append((rec, image))
    out = []
    for uid, items in grouped.items():
        first = items[0][0]
        out.append(
            DicomSeriesInfo(
                uid=uid,
                modality=first.modality,
                description=first.description,
                n_files=len(items),
                is_image=any(image for _, image in items),
                frame_of_reference_uid=first.frame_uid,
                files=tuple(rec.path for rec, _ in items),
            )
        )
    return sorted(out, key=lambda s: (not s.is_image, s.modality, s.uid))


def _describe(uid: str, slices: list[_Slice]) -> str:
    first = slices[0]
    desc = f", {first.description!r}" if first.description else ""
    unit = "frames" if len(slices) == 1 and first.frames > 1 else "slices"
    count = first.frames if unit == "frames" else len(slices)
    return f"{uid or '<no SeriesInstanceUID>'} ({first.modality or '?'}{desc}, {count} {unit})"


def _choose_series(
    series: dict[str, list[_Slice]], folder: Path, series_uid: str | None
) -> tuple[str, str | None]:
    """The UID to read and, when it was picked automatically among several, why."""
    listing = "; ".join(_describe(u, s) for u, s in sorted(series.items()))
    if series_uid is not None:
        if series_uid not in series:
            raise ImageReadError(
                f"DICOM series {series_uid} is not in folder {folder}; series found: {listing}"
            )
        return series_uid, None
    if len(series) == 1:
        return next(iter(series)), None
    primary = [u for u, s in series.items() if s[0].modality in _PRIMARY_MODALITIES]
    if len(primary) == 1:
        others = len(series) - 1
        return primary[0], (
            f"the only CT/MR/PT series among {len(series)} image series "
            f"({others} other series ignored)"
        )
    raise ImageReadError(
        f"folder {folder} holds {len(series)} DICOM series: {listing}. Pass series_uid=... "
        "(the first value of each entry) to choose one, or give each series its own folder"
    )


@dataclass(frozen=True)
class _Spacing:
    along: np.ndarray  # positions along the normal, ascending
    gaps: np.ndarray
    uniform: bool
    missing: int
    message: str  # description of the irregular gaps ('' when uniform)


def _slice_spacing(along: np.ndarray, folder: Path, uid: str) -> _Spacing:
    gaps = np.diff(along)
    if gaps.size == 0:
        return _Spacing(along, gaps, True, 0, "")
    median = float(np.median(gaps))
    tol = max(1e-2 * abs(median), 1e-3)
    if np.any(gaps < tol):
        n_dup = int(np.count_nonzero(gaps < tol))
        raise ImageReadError(
            f"DICOM series {uid} in {folder} has {n_dup} slice(s) at the same position along "
            "the slice normal (several acquisitions, echoes or time points in one series?); "
            "split the series into one folder per volume"
        )
    uneven = np.abs(gaps - median) > tol
    if not np.any(uneven):
        return _Spacing(along, gaps, True, 0, "")
    smallest = float(gaps.min())
    ratio = gaps / smallest
    multiple = np.abs(ratio - np.rint(ratio)) * smallest <= max(1e-2 * smallest, 1e-3)
    missing = int(np.sum(np.where(multiple & (np.rint(ratio) >= 2), np.rint(ratio) - 1, 0)))
    counts = Counter(float(np.round(g, 3)) for g in gaps)
    found = ", ".join(f"{g:g} mm (x{n})" for g, n in sorted(counts.items()))
    k = int(np.argmax(uneven))
    missing_note = (
        f"; {missing} slice(s) appear to be missing (gaps that are whole multiples of the "
        f"smallest gap, {smallest:g} mm)"
        if missing
        else ""
    )
    message = (
        f"non-uniform slice spacing in DICOM series {uid} in {folder}: gaps along the slice "
        f"normal of {found}; the first irregular gap ({gaps[k]:g} mm) lies between slices "
        f"{k} and {k + 1} (at {along[k]:g} and {along[k + 1]:g} mm){missing_note}"
    )
    return _Spacing(along, gaps, False, missing, message)


def _order(slices: list[_Slice], folder: Path, uid: str) -> tuple[list[_Slice], np.ndarray]:
    """Slices sorted along the slice normal and their positions along it."""
    if any(s.position is None or s.orientation is None for s in slices):
        raise ImageReadError(
            f"DICOM series {uid} in {folder}: {len(slices)} files but some lack "
            "ImagePositionPatient/ImageOrientationPatient, so the slices cannot be ordered"
        )
    orientations = {tuple(np.round(s.orientation, 4)) for s in slices}  # type: ignore[arg-type]
    if len(orientations) > 1:
        raise ImageReadError(
            f"DICOM series {uid} in {folder} mixes {len(orientations)} slice orientations "
            "(ImageOrientationPatient), e.g. a localizer stored with the volume; "
            "move the extra images out of the folder"
        )
    normal = _normal(slices[0].orientation)  # type: ignore[arg-type]
    ordered = sorted(slices, key=lambda s: float(np.dot(s.position, normal)))  # type: ignore[arg-type]
    along = np.array([np.dot(s.position, normal) for s in ordered])  # type: ignore[arg-type]
    return ordered, along


def _normal(orientation: tuple[float, ...]) -> np.ndarray:
    iop = np.asarray(orientation, dtype=float)
    normal = np.cross(iop[:3], iop[3:])
    return normal / np.linalg.norm(normal)


def _diagnostics(spacing: _Spacing, interpolated: int) -> dict[str, float]:
    gaps = spacing.gaps
    return {
        "dicom_slice_spacing_uniform": 1.0 if spacing.uniform else 0.0,
        "dicom_slice_gap_min": float(gaps.min()) if gaps.size else 0.0,
        "dicom_slice_gap_max": float(gaps.max()) if gaps.size else 0.0,
        "dicom_missing_slices": float(spacing.missing),
        "dicom_interpolated_slices": float(interpolated),
    }


def _metadata(slices: list[_Slice], source: Path) -> dict[str, Any]:
    first = slices[0]
    return {
        "source": str(source),
        "format": "dicom",
        "modality": first.modality,
        "series_uid": first.series_uid,
        "series_description": first.description,
        "frame_of_reference_uid": first.frame_uid,
        "n_files": len(slices),
        "sop_instance_uids": [s.sop_uid for s in slices],
    }


def read_dicom_series(
    folder: Path,
    series_uid: str | None = None,
    *,
    nonuniform: NonUniformPolicy = "error",
) -> tuple[SimpleITK.Image, dict[str, Any]]:
    """Read one image series in ``folder`` (searched recursively) as a SimpleITK image.

    Parameters
    ----------
    folder : Path
        Folder of DICOM files.
    series_uid : str, optional
        SeriesInstanceUID to read; see the module notes for the choice without it.
    nonuniform : {"error", "resample"}
        What to do with non-uniform slice spacing (module notes).

    Returns
    -------
    SimpleITK.Image, dict
        The image and its metadata: ``source``, ``format``, ``modality``, ``series_uid``,
        ``series_description``, ``frame_of_reference_uid``, ``n_files``,
        ``sop_instance_uids`` (in slice order; empty for resampled series), ``diagnostics``,
        and ``series_choice`` when the series was picked among several.

    Raises
    ------
    ImageReadError
        No DICOM image in the folder; several series and no ``series_uid`` (the message lists
        them); slices that cannot be ordered or share positions; non-uniform spacing with
        ``nonuniform="error"``.
    """
    if nonuniform not in ("error", "resample"):
        raise ValueError(f"nonuniform must be 'error' or 'resample', got {nonuniform!r}")
    series, non_image, n_files = _scan(folder)
    if not series:
        extra = ""
        if non_image:
            kinds = ", ".join(f"{m} (x{n})" for m, n in sorted(non_image.items()))
            extra = f"; found only non-image DICOM objects: {kinds}"
        raise ImageReadError(
            f"no DICOM image files found in folder {folder} ({n_files} files looked at){extra}"
        )
    uid, choice = _choose_series(series, folder, series_uid)
    slices = series[uid]
    if len(slices) == 1:
        image, meta = read_dicom_file(slices[0].path)
        meta.update(_metadata(slices, folder))
        if choice:
            meta["series_choice"] = choice
        return image, meta
    multi = [s for s in slices if s.frames > 1]
    if multi:
        raise ImageReadError(
            f"DICOM series {uid} in {folder} mixes {len(multi)} multi-frame file(s) with other "
            "files; read a multi-frame file on its own by passing its path"
        )
    ordered, along = _order(slices, folder, uid)
    spacing = _slice_spacing(along, folder, uid)
    if not spacing.uniform:
        if nonuniform == "error":
            raise ImageReadError(
                spacing.message + ". Slices are missing or the series has variable thickness: "
                "complete the series, or read it with nonuniform='resample' to interpolate "
                "onto a uniform grid"
            )
        warnings.warn(
            spacing.message + "; the series is linearly interpolated onto a uniform grid",
            SliceSpacingWarning,
            stacklevel=5,  # the caller of read_image
        )
        image, interpolated = _resampled(ordered, spacing, folder, uid)
        meta = _metadata(ordered, folder)
        meta["sop_instance_uids"] = []
        meta["diagnostics"] = _diagnostics(spacing, interpolated)
        if choice:
            meta["series_choice"] = choice
        return image, meta
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames([str(s.path) for s in ordered])
    slopes = {s.slope for s in ordered}
    intercepts = {s.intercept for s in ordered}
    integral = all(float(v).is_integer() for v in slopes | intercepts)
    if len(slopes) > 1 or len(intercepts) > 1 or not integral:
        # per-slice or fractional rescaling: keep every slice's real values
        reader.SetOutputPixelType(sitk.sitkFloat64)
    try:
        image = reader.Execute()
    except RuntimeError as exc:
        raise ImageReadError(
            f"could not read the pixel data of DICOM series {uid} in {folder}: {sitk_message(exc)}"
        ) from exc
    meta = _metadata(ordered, folder)
    meta["diagnostics"] = _diagnostics(spacing, 0)
    if choice:
        meta["series_choice"] = choice
    return image, meta


def _resampled(
    ordered: list[_Slice], spacing: _Spacing, folder: Path, uid: str
) -> tuple[SimpleITK.Image, int]:
    """Slices linearly interpolated along the normal onto a uniform grid; interpolated count."""
    planes = []
    for s in ordered:
        try:
            img = sitk.ReadImage(str(s.path), sitk.sitkFloat64, imageIO="GDCMImageIO")
        except RuntimeError as exc:
            raise ImageReadError(
                f"could not read the pixel data of {s.path} (series {uid} in {folder}): "
                f"{sitk_message(exc)}"
            ) from exc
        planes.append(sitk.GetArrayFromImage(img).reshape(img.GetSize()[1], img.GetSize()[0]))
    stack = np.stack(planes)
    along = spacing.along
    extent = float(along[-1] - along[0])
    n = round(extent / float(spacing.gaps.min())) + 1
    step = extent / (n - 1)
    targets = along[0] + step * np.arange(n)
    upper = np.clip(np.searchsorted(along, targets, side="right"), 1, len(along) - 1)
    lower = upper - 1
    weight = np.clip((targets - along[lower]) / (along[upper] - along[lower]), 0.0, 1.0)
    tol = 1e-3 + 1e-3 * step
    exact_lower = np.abs(targets - along[lower]) <= tol
    exact_upper = np.abs(targets - along[upper]) <= tol
    weight = np.where(exact_lower, 0.0, np.where(exact_upper, 1.0, weight))
    w = weight[:, None, None]
    volume = (1.0 - w) * stack[lower] + w * stack[upper]
    interpolated = int(np.count_nonzero(~(exact_lower | exact_upper)))
    first = sitk.ReadImage(str(ordered[0].path), imageIO="GDCMImageIO")
    iop = np.asarray(ordered[0].orientation, dtype=float)
    normal = _normal(ordered[0].orientation)  # type: ignore[arg-type]
    out = sitk.GetImageFromArray(volume)
    out.SetSpacing((*first.GetSpacing()[:2], step))
    out.SetOrigin(tuple(float(v) for v in ordered[0].position))  # type: ignore[union-attr]
    out.SetDirection(tuple(np.column_stack([iop[:3], iop[3:], normal]).ravel().tolist()))
    return out, interpolated


def read_dicom_file(path: Path) -> tuple[SimpleITK.Image, dict[str, Any]]:
    """Read one DICOM file (a single slice or a multi-frame object) as a SimpleITK image."""
    ds = _header(path)
    if ds is None:
        raise ImageReadError(f"could not read {path} as DICOM: not a valid DICOM file")
    rec = _slice_record(path, ds)
    if not _is_image(rec, ds):
        raise ImageReadError(
            f"{path} is a DICOM {rec.modality or 'non-image'} object, not an image; "
            "radiomix reads DICOM images here (RTSTRUCT and SEG files are masks: see "
            "radiomix.io.read_rois)"
        )
    try:
        reader = sitk.ImageFileReader()
        reader.SetImageIO("GDCMImageIO")
        reader.SetFileName(str(path))
        image = reader.Execute()
    except RuntimeError as exc:
        raise ImageReadError(f"could not read {path} as DICOM: {sitk_message(exc)}") from exc
    meta = _metadata([rec], path)
    return image, meta
