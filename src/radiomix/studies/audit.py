"""The acquisition audit: what each series was acquired with, odd series, clusters, a grid.

Features depend on how an image was acquired and reconstructed. :func:`audit` reads, for a
folder of DICOM files (searched recursively) or for the images of a manifest, one row per
series with the fields that change features, from the headers only (pydicom with
``stop_before_pixels``; SimpleITK's ``ReadImageInformation`` for NIfTI, NRRD, MHA):

==========================  ================================================================
column                      source
==========================  ================================================================
``modality``                Modality
``manufacturer``            Manufacturer
``model``                   ManufacturerModelName
``kvp``                     KVP (CT)
``tube_current_ma``         XRayTubeCurrent (CT)
``exposure_mas``            Exposure (CT)
``kernel``                  ConvolutionKernel (several values joined by ``/``)
``slice_thickness_mm``      SliceThickness
``slice_spacing_mm``        median gap of distinct ImagePositionPatient along the normal
                            (SpacingBetweenSlices for a multi-frame file); the z spacing
                            of a NIfTI/NRRD/MHA image
``slice_spacing_uniform``   every gap within 1 % of the median
``pixel_spacing_row_mm``    PixelSpacing[0] (ultrasound: SequenceOfUltrasoundRegions'
``pixel_spacing_col_mm``    PhysicalDeltaY/X in cm x 10); the image's y/x spacing
``rows``, ``columns``       Rows, Columns; the image's y/x size
``n_slices``                files (or NumberOfFrames); the image's z size
``orientation``             axial, coronal, sagittal or oblique (from the slice normal)
``contrast_agent``          ContrastBolusAgent
``field_strength_t``        MagneticFieldStrength (MR)
``echo_time_ms``            EchoTime (MR)
``repetition_time_ms``      RepetitionTime (MR)
``flip_angle_deg``          FlipAngle (MR)
``transducer``              TransducerData (US)
``bits_stored``             BitsStored
==========================  ================================================================

Outliers (``outlier``, ``outlier_reasons``)
    Series are compared with the other series of the same modality. A *discrete* field
    (manufacturer, model, kernel, kVp, contrast agent, field strength, transducer, bits
    stored, orientation; slice thickness and slice spacing rounded to 0.1 mm) is odd for a
    series when its value is rare: held by one series only while the modality has at least
    three series with the field, or by fewer than ``min_share`` (10 %) of them. A
    *continuous* field (in-plane pixel spacing, tube current) is odd when it lies more than
    ``max(3 x 1.4826 x MAD, 25 % of the median)`` from the median of the modality's series
    (at least three). A series with non-uniform slice spacing is always flagged.

Acquisition clusters (``cluster``, ``cluster_key``)
    Series with equal modality, manufacturer, convolution kernel, contrast (given or not),
    MR field strength (to 0.5 T), ultrasound transducer and slice thickness rounded to the
    nearest millimetre (the slice spacing where no thickness is given) form one cluster,
    named ``c1``, ``c2``, ... from the largest. Such a cluster is a natural batch for
    harmonisation (e.g. ComBat) of the features.

Recommended grid (:attr:`AuditResult.grid`)
    Per modality, over its series that are not flagged (all of them if every one is): the
    in-plane spacing is the median of the series' in-plane spacings (the mean of row and
    column spacing), so that half the series are up- and half down-sampled and most move
    little; the slice spacing is the *largest* slice spacing (thickness where no spacing is
    known), so that no series is interpolated to thinner slices than it was acquired with
    (interpolation cannot add through-plane detail and would make thin- and thick-slice
    series differ). 2D images get an in-plane spacing only. Both are rounded to 0.001 mm.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radiomix.errors import DataError

if TYPE_CHECKING:
    import pandas as pd
    import pydicom

__all__ = ["AUDIT_COLUMNS", "AuditResult", "audit", "audit_html"]

#: the columns of the audit table, in order (before the outlier and cluster columns)
AUDIT_COLUMNS = (
    "case_id",
    "source",
    "format",
    "series_uid",
    "series_description",
    "modality",
    "manufacturer",
    "model",
    "kvp",
    "tube_current_ma",
    "exposure_mas",
    "kernel",
    "slice_thickness_mm",
    "slice_spacing_mm",
    "slice_spacing_uniform",
    "pixel_spacing_row_mm",
    "pixel_spacing_col_mm",
    "rows",
    "columns",
    "n_slices",
    "orientation",
    "contrast_agent",
    "field_strength_t",
    "echo_time_ms",
    "repetition_time_ms",
    "flip_angle_deg",
    "transducer",
    "bits_stored",
)

#: discrete fields compared by how many series share the value (name -> rounding or None)
DISCRETE_FIELDS: dict[str, float | None] = {
    "manufacturer": None,
    "model": None,
    "kernel": None,
    "kvp": None,
    "contrast_agent": None,
    "field_strength_t": None,
    "transducer": None,
    "bits_stored": None,
    "orientation": None,
    "slice_thickness_mm": 0.1,
    "slice_spacing_mm": 0.1,
}
#: continuous fields compared with the median (robust rule)
CONTINUOUS_FIELDS = ("in_plane_mm", "tube_current_ma")

#: audit columns holding text ('' when absent; numbers are NaN when absent)
_TEXT_COLUMNS = frozenset(
    {
        "case_id",
        "source",
        "format",
        "series_uid",
        "series_description",
        "modality",
        "manufacturer",
        "model",
        "kernel",
        "orientation",
        "contrast_agent",
        "transducer",
    }
)

_IMAGE_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd")


@dataclass(frozen=True)
class AuditResult:
    """The audit table, its clusters and the recommended grid.

    Attributes
    ----------
    table : DataFrame
        One row per series (:data:`AUDIT_COLUMNS`, then ``outlier``, ``outlier_reasons``,
        ``cluster``, ``cluster_key``).
    clusters : list of dict
        ``cluster``, ``key``, ``n_series`` per cluster, largest first.
    grid : list of dict
        Per modality: ``modality``, ``n_series`` (used), ``spacing_mm`` as ``[z, y, x]``
        (``z`` None for 2D images), ``why``.
    skipped : list of str
        Non-image DICOM objects and unreadable inputs left out, with the reason.
    """

    table: pd.DataFrame
    clusters: list[dict[str, Any]] = field(default_factory=list)
    grid: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


# -- reading ----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return "/".join(str(v).strip() for v in value)
    return str(value).strip()


def _num(value: Any) -> float:
    if value is None or value == "":
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        try:
            return float(value[0])
        except (TypeError, ValueError, IndexError, KeyError):
            return math.nan


def _orientation(normal: Sequence[float] | None) -> str:
    if normal is None:
        return ""
    ax = [abs(float(v)) for v in normal]
    i = max(range(3), key=lambda k: ax[k])
    if ax[i] < 0.95:
        return "oblique"
    return ("sagittal", "coronal", "axial")[i]


def _cross(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    return (
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    )


def _gaps(along: list[float]) -> tuple[float, bool, int]:
    """Median gap between the distinct sorted positions, whether all those gaps are within
    1 % of it (at least 1 µm), and how many slices share a position with another."""
    all_gaps = [b - a for a, b in itertools.pairwise(sorted(along))]
    gaps = [g for g in all_gaps if g >= 1e-3]
    same = len(all_gaps) - len(gaps)
    if not gaps:
        return math.nan, True, same
    med = _median(gaps)
    tol = max(0.01 * abs(med), 1e-3)
    return med, all(abs(g - med) <= tol for g in gaps), same


def _dicom_row(files: Sequence[Path], uid: str) -> dict[str, Any]:
    import pydicom

    first: pydicom.Dataset = pydicom.dcmread(files[0], stop_before_pixels=True)
    row: dict[str, Any] = {
        "format": "dicom",
        "series_uid": uid,
        "series_description": _text(first.get("SeriesDescription")),
        "modality": _text(first.get("Modality")),
        "manufacturer": _text(first.get("Manufacturer")),
        "model": _text(first.get("ManufacturerModelName")),
        "kvp": _num(first.get("KVP")),
        "tube_current_ma": _num(first.get("XRayTubeCurrent")),
        "exposure_mas": _num(first.get("Exposure")),
        "kernel": _text(first.get("ConvolutionKernel")),
        "slice_thickness_mm": _num(first.get("SliceThickness")),
        "rows": _num(first.get("Rows")),
        "columns": _num(first.get("Columns")),
        "contrast_agent": _text(first.get("ContrastBolusAgent")),
        "field_strength_t": _num(first.get("MagneticFieldStrength")),
        "echo_time_ms": _num(first.get("EchoTime")),
        "repetition_time_ms": _num(first.get("RepetitionTime")),
        "flip_angle_deg": _num(first.get("FlipAngle")),
        "transducer": _text(first.get("TransducerData")),
        "bits_stored": _num(first.get("BitsStored")),
    }
    ps = first.get("PixelSpacing")
    row_mm, col_mm = (
        (_num(ps[0]), _num(ps[1]))
        if ps is not None and len(ps) == 2
        else (
            math.nan,
            math.nan,
        )
    )
    regions = first.get("SequenceOfUltrasoundRegions")
    if math.isnan(row_mm) and regions:
        r0 = regions[0]
        row_mm = _num(r0.get("PhysicalDeltaY")) * 10.0  # cm -> mm
        col_mm = _num(r0.get("PhysicalDeltaX")) * 10.0
    row["pixel_spacing_row_mm"], row["pixel_spacing_col_mm"] = row_mm, col_mm
    frames = int(_num(first.get("NumberOfFrames"))) if "NumberOfFrames" in first else 1
    iop = first.get("ImageOrientationPatient")
    normal = None
    if iop is not None and len(iop) == 6:
        r = [float(v) for v in iop]
        normal = _cross(r[:3], r[3:])
    row["orientation"] = _orientation(normal)
    if len(files) > 1 and normal is not None:
        along = []
        for f in files:
            ds = pydicom.dcmread(f, stop_before_pixels=True, specific_tags=["ImagePositionPatient"])
            pos = ds.get("ImagePositionPatient")
            if pos is not None and len(pos) == 3:
                along.append(sum(float(p) * n for p, n in zip(pos, normal, strict=True)))
        spacing, uniform, same = _gaps(along) if len(along) == len(files) else (math.nan, True, 0)
    else:
        spacing, uniform, same = _num(first.get("SpacingBetweenSlices")), True, 0
    row["_same_position"] = same
    row["slice_spacing_mm"], row["slice_spacing_uniform"] = spacing, uniform
    row["n_slices"] = float(len(files) if len(files) > 1 else frames)
    return row


def _image_row(path: Path) -> dict[str, Any]:
    import SimpleITK as sitk

    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    reader.ReadImageInformation()
    size, spacing = reader.GetSize(), reader.GetSpacing()
    direction = reader.GetDirection()
    dim = reader.GetDimension()
    low = path.name.lower()
    fmt = next((s.lstrip(".").replace(".gz", "") for s in _IMAGE_SUFFIXES if low.endswith(s)), "")
    row: dict[str, Any] = {
        "format": {"nii": "nifti", "nhdr": "nrrd", "mhd": "mha"}.get(fmt, fmt or "image"),
        "pixel_spacing_row_mm": float(spacing[1]) if dim > 1 else math.nan,
        "pixel_spacing_col_mm": float(spacing[0]),
        "rows": float(size[1]) if dim > 1 else math.nan,
        "columns": float(size[0]),
        "n_slices": float(size[2]) if dim > 2 else 1.0,
        "slice_spacing_mm": float(spacing[2]) if dim > 2 else math.nan,
        "slice_spacing_uniform": True,
    }
    if dim == 3:
        # the third column of the direction matrix is the slice normal
        row["orientation"] = _orientation((direction[2], direction[5], direction[8]))
    bits = {"8": 8, "16": 16, "32": 32, "64": 64}
    comp = sitk.GetPixelIDValueAsString(reader.GetPixelID())  # e.g. "16-bit signed integer"
    row["bits_stored"] = float(next((b for k, b in bits.items() if k in comp), math.nan))
    return row


def _series_rows(folder: Path, skipped: list[str], case_id: str = "") -> list[dict[str, Any]]:
    from radiomix.io import list_dicom_series

    rows = []
    for s in list_dicom_series(folder):
        if not s.is_image:
            skipped.append(f"{s.modality or '?'} object {s.uid} ({s.n_files} files): not an image")
            continue
        row = _dicom_row(s.files, s.uid)
        row["source"] = str(folder)
        row["case_id"] = case_id
        rows.append(row)
    return rows


def _manifest_rows(path: Path, skipped: list[str]) -> list[dict[str, Any]]:
    from radiomix.extraction.manifest import read_manifest
    from radiomix.io._readers import is_dicom_file

    manifest = read_manifest(path)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for case in manifest.cases:
        if case.image in seen:
            continue
        seen.add(case.image)
        image = Path(case.image)
        try:
            if image.is_dir():
                found = _series_rows(image, skipped, case.case_id)
                for r in found:
                    r["source"] = case.image_text
                rows.extend(found)
                continue
            if is_dicom_file(image):
                row = _dicom_row([image], "")
            else:
                row = _image_row(image)
        except (OSError, RuntimeError, ValueError) as exc:
            msg = " ".join(str(exc).split())[:200]
            skipped.append(f"{case.case_id}: cannot read {case.image_text}: {msg}")
            continue
        row["source"] = case.image_text
        row["case_id"] = case.case_id
        rows.append(row)
    return rows


# -- outliers, clusters, grid -------------------------------------------------------------------


def _median(values: Sequence[float]) -> float:
    v = sorted(values)
    n = len(v)
    return (v[(n - 1) // 2] + v[n // 2]) / 2 if n else math.nan


def _present(value: Any) -> bool:
    return not (value is None or value == "" or (isinstance(value, float) and math.isnan(value)))


def _discrete_value(value: Any, step: float | None) -> Any:
    if step is not None:
        return round(float(value) / step) * step
    return value


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _flag(rows: list[dict[str, Any]], min_share: float) -> None:
    by_modality: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        r["in_plane_mm"] = _in_plane(r)
        r["_reasons"] = []
        by_modality.setdefault(r.get("modality", "") or r.get("format", ""), []).append(r)
    for group in by_modality.values():
        for name, step in DISCRETE_FIELDS.items():
            have = [r for r in group if _present(r.get(name))]
            n = len(have)
            if n < 3:
                continue
            counts = Counter(_discrete_value(r[name], step) for r in have)
            for r in have:
                c = counts[_discrete_value(r[name], step)]
                if c == 1 or c / n < min_share:
                    r["_reasons"].append(
                        f"{name} {_fmt(r[name])} (in {c} of {n} series of this modality)"
                    )
        for name in CONTINUOUS_FIELDS:
            have = [r for r in group if _present(r.get(name))]
            if len(have) < 3:
                continue
            values = [float(r[name]) for r in have]
            med = _median(values)
            mad = _median([abs(v - med) for v in values])
            limit = max(3 * 1.4826 * mad, 0.25 * abs(med))
            for r in have:
                if abs(float(r[name]) - med) > limit:
                    r["_reasons"].append(
                        f"{name} {_fmt(float(r[name]))} (median {med:g}, limit +-{limit:g})"
                    )
    for r in rows:
        same = r.pop("_same_position", 0)
        if same:
            r["_reasons"].append(
                f"{same} slice(s) at the same position as another (several volumes, echoes or "
                "time points in one series?)"
            )
        elif r.get("slice_spacing_uniform") is False:
            r["_reasons"].append("non-uniform slice spacing")
        r["outlier"] = bool(r["_reasons"])
        r["outlier_reasons"] = "; ".join(r.pop("_reasons"))


def _in_plane(r: dict[str, Any]) -> float:
    vals = [
        float(r[k]) for k in ("pixel_spacing_row_mm", "pixel_spacing_col_mm") if _present(r.get(k))
    ]
    return sum(vals) / len(vals) if vals else math.nan


def _cluster_key(r: dict[str, Any]) -> str:
    thick: Any = r.get("slice_thickness_mm")
    if not _present(thick):
        thick = r.get("slice_spacing_mm")
    parts = [
        r.get("modality") or r.get("format") or "?",
        r.get("manufacturer") or "",
        r.get("kernel") or "",
        "contrast" if _present(r.get("contrast_agent")) else "",
    ]
    if _present(r.get("field_strength_t")):
        parts.append(f"{round(float(r['field_strength_t']) * 2) / 2:g} T")
    if _present(r.get("transducer")):
        parts.append(str(r["transducer"]))
    if _present(thick):
        parts.append(f"{math.floor(float(thick) + 0.5):d} mm")
    return " | ".join(p for p in parts if p)


def _cluster(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = Counter(_cluster_key(r) for r in rows)
    order = sorted(counts, key=lambda k: (-counts[k], k))
    names = {k: f"c{i + 1}" for i, k in enumerate(order)}
    for r in rows:
        key = _cluster_key(r)
        r["cluster"], r["cluster_key"] = names[key], key
    return [{"cluster": names[k], "key": k, "n_series": counts[k]} for k in order]


def _grid(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_modality: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_modality.setdefault(r.get("modality") or r.get("format") or "?", []).append(r)
    out = []
    for modality, group in sorted(by_modality.items()):
        use = [r for r in group if not r["outlier"]] or group
        in_plane = [r["in_plane_mm"] for r in use if _present(r["in_plane_mm"])]
        through = []
        for r in use:
            zr: Any = r.get("slice_spacing_mm")
            if not _present(zr):
                zr = r.get("slice_thickness_mm")
            if _present(zr) and float(r.get("n_slices") or 1) > 1:
                through.append(float(zr))
        # a recommendation, rounded to 1 µm (0.85, not 0.8500000000000001)
        xy = round(_median(in_plane), 3) if in_plane else None
        z = round(max(through), 3) if through else None
        excluded = len(group) - len(use)
        why = (
            f"in-plane {xy:g} mm: the median in-plane spacing of {len(in_plane)} series"
            if xy is not None
            else "no in-plane spacing known"
        )
        why += (
            f"; slices {z:g} mm: the largest slice spacing, so that no series is "
            "interpolated to thinner slices than acquired"
            if z is not None
            else "; 2D images: no slice spacing"
        )
        if excluded:
            why += f"; {excluded} flagged series left out"
        out.append(
            {
                "modality": modality,
                "n_series": len(use),
                "spacing_mm": [z, xy, xy],
                "why": why,
            }
        )
    return out


def audit(source: str | Path, *, min_share: float = 0.1) -> AuditResult:
    """Audit the acquisition of a DICOM folder or a manifest's images (see the module notes).

    Parameters
    ----------
    source : str or Path
        A folder of DICOM files (searched recursively) or a manifest CSV (its image column:
        DICOM folders or files, NIfTI, NRRD, MHA images).
    min_share : float
        A discrete field's value held by fewer than this share of a modality's series is odd.

    Returns
    -------
    AuditResult

    Raises
    ------
    DataError
        ``source`` is neither a folder nor a manifest, or holds no image series.
    """
    import pandas as pd

    src = Path(source)
    skipped: list[str] = []
    reader: Callable[[Path, list[str]], list[dict[str, Any]]]
    if src.is_dir():
        reader = _series_rows
    elif src.is_file() and src.suffix.lower() in (".csv", ".tsv", ".txt"):
        reader = _manifest_rows
    else:
        raise DataError(
            f"{src} is neither a folder of DICOM files nor a manifest CSV "
            "(give DICOM_ROOT or MANIFEST.csv)"
        )
    rows = reader(src, skipped)
    if not rows:
        raise DataError(f"no image series found in {src}" + (f" ({skipped[0]})" if skipped else ""))
    _flag(rows, min_share)
    clusters = _cluster(rows)
    grid = _grid(rows)
    columns = [*AUDIT_COLUMNS, "outlier", "outlier_reasons", "cluster", "cluster_key"]
    table = pd.DataFrame(
        [{c: r.get(c, "" if c in _TEXT_COLUMNS else math.nan) for c in columns} for r in rows],
        columns=columns,
    )
    return AuditResult(table=table, clusters=clusters, grid=grid, skipped=skipped)


def audit_html(result: AuditResult, title: str = "radiomix acquisition audit") -> str:
    """A small self-contained HTML page of the audit (no scripts, no external files)."""
    from html import escape

    table = result.table
    show = [c for c in table.columns if table[c].notna().any() and (table[c] != "").any()]
    head = "".join(f"<th>{escape(str(c))}</th>" for c in show)
    body = []
    for _, r in table.iterrows():
        cells = []
        for c in show:
            v = r[c]
            text = "" if (isinstance(v, float) and math.isnan(v)) else _fmt(v)
            odd = bool(r["outlier"]) and c in str(r["outlier_reasons"])
            cls = ' class="odd"' if odd else ""
            cells.append(f"<td{cls}>{escape(text)}</td>")
        tr_cls = ' class="flag"' if bool(r["outlier"]) else ""
        body.append(f"<tr{tr_cls}>{''.join(cells)}</tr>")
    grid = "".join(
        f"<li><b>{escape(str(g['modality']))}</b>: spacing [z, y, x] = "
        f"{escape(str(g['spacing_mm']))} mm ({escape(g['why'])})</li>"
        for g in result.grid
    )
    clusters = "".join(
        f"<li><b>{escape(c['cluster'])}</b> ({c['n_series']} series): {escape(c['key'])}</li>"
        for c in result.clusters
    )
    n_odd = int(table["outlier"].sum())
    skipped = "".join(f"<li>{escape(s)}</li>" for s in result.skipped)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;margin:1.5em}"
        "table{border-collapse:collapse;font-size:13px}"
        "th,td{border:1px solid #ccc;padding:2px 6px;text-align:left}"
        "th{background:#eee;position:sticky;top:0}tr.flag{background:#fff4e0}"
        "td.odd{background:#f7c6a3;font-weight:bold}"
        "</style></head><body>\n"
        f"<h1>{escape(title)}</h1>\n"
        f"<p>{len(table)} series, {n_odd} flagged, {len(result.clusters)} acquisition "
        "cluster(s).</p>\n"
        f"<h2>Recommended resampling grid</h2><ul>{grid}</ul>\n"
        f"<h2>Acquisition clusters</h2><ul>{clusters}</ul>\n"
        f"<h2>Series</h2><table><thead><tr>{head}</tr></thead><tbody>\n"
        + "\n".join(body)
        + "\n</tbody></table>\n"
        + (f"<h2>Left out</h2><ul>{skipped}</ul>\n" if skipped else "")
        + "</body></html>\n"
    )
