"""DICOM series discovery, ordering and validation (pydicom headers, SimpleITK pixels).

Headers are read with pydicom (without pixel data) to group files by series, order the
slices along the slice normal and check that the slice spacing is uniform; the pixel data are
then read by SimpleITK/GDCM in that order, which decodes compressed transfer syntaxes and
applies RescaleSlope/RescaleIntercept (CT Hounsfield units). Nothing here builds a
:class:`~radiomix.io.Volume`: the callers in ``_readers.py`` convert the SimpleITK image.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import SimpleITK as sitk
from pydicom.errors import InvalidDicomError

from radiomix.errors import ImageReadError

__all__ = ["is_dicom_file", "read_dicom_file", "read_dicom_series", "sitk_message"]

# header fields needed to group and order slices (reading only these is much faster)
_TAGS = [
    "SeriesInstanceUID",
    "SeriesDescription",
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


def is_dicom_file(path: Path) -> bool:
    """True when ``path`` carries the DICOM Part 10 preamble (``DICM`` at byte 128)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:132] == b"DICM"


@dataclass(frozen=True)
class _Slice:
    path: Path
    series_uid: str
    modality: str
    description: str
    position: tuple[float, float, float] | None
    orientation: tuple[float, ...] | None
    slope: float
    intercept: float
    instance: int
    frames: int


def _header(path: Path) -> pydicom.Dataset | None:
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
        series_uid=str(ds.get("SeriesInstanceUID", "") or ""),
        modality=str(ds.get("Modality", "") or ""),
        description=str(ds.get("SeriesDescription", "") or ""),
        position=_floats(ds.get("ImagePositionPatient"), 3),  # type: ignore[arg-type]
        orientation=_floats(ds.get("ImageOrientationPatient"), 6),
        slope=num("RescaleSlope", 1.0),
        intercept=num("RescaleIntercept", 0.0),
        instance=int(num("InstanceNumber", 0)),
        frames=int(num("NumberOfFrames", 1)),
    )


def _scan(folder: Path) -> tuple[dict[str, list[_Slice]], Counter[str], int]:
    """Image slices by series UID, the non-image objects seen (by modality), files looked at."""
    series: dict[str, list[_Slice]] = {}
    non_image: Counter[str] = Counter()
    n_files = 0
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.startswith(".") or path.name.upper() == "DICOMDIR":
            continue
        n_files += 1
        ds = _header(path)
        if ds is None:
            continue
        rec = _slice_record(path, ds)
        if rec.modality in _NON_IMAGE_MODALITIES or "Rows" not in ds:
            non_image[rec.modality or "unknown"] += 1
            continue
        series.setdefault(rec.series_uid, []).append(rec)
    return series, non_image, n_files


def _describe(uid: str, slices: list[_Slice]) -> str:
    first = slices[0]
    desc = f", {first.description!r}" if first.description else ""
    return f"{uid or '<no SeriesInstanceUID>'} ({first.modality or '?'}{desc}, {len(slices)} files)"


def _order(slices: list[_Slice], folder: Path, uid: str) -> list[_Slice]:
    """Slices sorted along the slice normal; raises on missing/mixed geometry or uneven gaps."""
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
    iop = np.asarray(slices[0].orientation, dtype=float)
    normal = np.cross(iop[:3], iop[3:])
    normal /= np.linalg.norm(normal)
    ordered = sorted(slices, key=lambda s: float(np.dot(s.position, normal)))  # type: ignore[arg-type]
    along = np.array([np.dot(s.position, normal) for s in ordered])  # type: ignore[arg-type]
    gaps = np.diff(along)
    if gaps.size == 0:
        return ordered
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
    if np.any(uneven):
        counts = Counter(float(np.round(g, 3)) for g in gaps)
        found = ", ".join(f"{g:g} mm (x{n})" for g, n in sorted(counts.items()))
        k = int(np.argmax(uneven))
        raise ImageReadError(
            f"non-uniform slice spacing in DICOM series {uid} in {folder}: gaps along the slice "
            f"normal of {found}; the first irregular gap ({gaps[k]:g} mm) lies between slices "
            f"{k} and {k + 1} (at {along[k]:g} and {along[k + 1]:g} mm). Slices are missing or "
            "the series has variable thickness: complete the series or resample it first"
        )
    return ordered


def _metadata(slices: list[_Slice], source: Path) -> dict[str, Any]:
    first = slices[0]
    return {
        "source": str(source),
        "format": "dicom",
        "modality": first.modality,
        "series_uid": first.series_uid,
        "series_description": first.description,
        "n_files": len(slices),
    }


def sitk_message(exc: Exception) -> str:
    """SimpleITK's error text without its source-file banner, on one line."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    keep = [
        re.sub(r"^(sitk::ERROR:|ITK ERROR: \w+\(0x[0-9a-fA-F]+\):)\s*", "", ln)
        for ln in lines
        if "Exception thrown" not in ln and not ln.startswith("Reason:")
    ]
    return " ".join(keep) or str(exc)


def read_dicom_series(
    folder: Path, series_uid: str | None = None
) -> tuple[sitk.Image, dict[str, Any]]:
    """Read the one image series in ``folder`` (searched recursively) as a SimpleITK image.

    Raises
    ------
    ImageReadError
        No DICOM image in the folder; several series and no ``series_uid`` (the message lists
        them); slices that cannot be ordered, share positions, or have uneven gaps.
    """
    series, non_image, n_files = _scan(folder)
    if not series:
        extra = ""
        if non_image:
            kinds = ", ".join(f"{m} (x{n})" for m, n in sorted(non_image.items()))
            extra = f"; found only non-image DICOM objects: {kinds}"
        raise ImageReadError(
            f"no DICOM image files found in folder {folder} ({n_files} files looked at){extra}"
        )
    if series_uid is not None:
        if series_uid not in series:
            listing = "; ".join(_describe(u, s) for u, s in sorted(series.items()))
            raise ImageReadError(
                f"DICOM series {series_uid} is not in folder {folder}; series found: {listing}"
            )
        uid = series_uid
    elif len(series) > 1:
        listing = "; ".join(_describe(u, s) for u, s in sorted(series.items()))
        raise ImageReadError(
            f"folder {folder} holds {len(series)} DICOM series: {listing}. Pass series_uid=... "
            "to choose one, or give each series its own folder"
        )
    else:
        uid = next(iter(series))
    slices = series[uid]
    if len(slices) == 1:
        image, meta = read_dicom_file(slices[0].path)
        meta.update(_metadata(slices, folder))
        return image, meta
    multi = [s for s in slices if s.frames > 1]
    if multi:
        raise ImageReadError(
            f"DICOM series {uid} in {folder} mixes {len(multi)} multi-frame file(s) with other "
            "files; read a multi-frame file on its own by passing its path"
        )
    ordered = _order(slices, folder, uid)
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
    return image, _metadata(ordered, folder)


def read_dicom_file(path: Path) -> tuple[sitk.Image, dict[str, Any]]:
    """Read one DICOM file (a single slice or a multi-frame object) as a SimpleITK image."""
    ds = _header(path)
    if ds is None:
        raise ImageReadError(f"could not read {path} as DICOM: not a valid DICOM file")
    rec = _slice_record(path, ds)
    if rec.modality in _NON_IMAGE_MODALITIES or "Rows" not in ds:
        raise ImageReadError(
            f"{path} is a DICOM {rec.modality or 'non-image'} object, not an image; "
            "radiomix reads DICOM images here"
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
