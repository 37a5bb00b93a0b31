"""Batch manifests: the CSV that lists the cases of a cohort.

Two layouts are accepted, told apart by their header:

radiomix layout
    ``case_id,image,mask`` and an optional ``label`` column.
PyRadiomics batch layout
    ``Image,Mask`` and optional ``Label`` (PyRadiomics' own header names, case sensitive).
    The case id is taken from an ``ID`` column when there is one (the convention of
    PyRadiomics' example batch files); otherwise from the image name without its extension
    (``ct/lung1.nrrd`` -> ``lung1``) when these names are unique in the manifest; otherwise
    from the 1-based row number (``row1``, ``row2``, ...).

Every other column is carried unchanged into the output table (numbers stay numbers: the
usual CSV type inference of pandas applies to carried columns; the case id, paths and label
are read as text, so ``007`` stays ``007``). Relative image and mask paths resolve against
the folder holding the manifest, so a manifest and its data can be moved together.

A ``label`` cell may be empty (every non-zero voxel is one ROI), an integer, several
integers separated by commas or semicolons (one output row per label), ``all`` (one row per
label present in the mask), or a name understood by the mask reader (ROI names of an
RTSTRUCT or labels of a DICOM SEG, where supported).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from radiomix.errors import ManifestError

__all__ = ["Case", "Manifest", "read_manifest"]

#: columns the output table writes itself; a manifest may not carry columns of these names
_RESERVED = ("case_id", "roi")


@dataclass(frozen=True)
class Case:
    """One row of a manifest: a case (image + mask) and the ROI(s) to extract.

    ``image`` and ``mask`` are absolute paths; ``image_text``/``mask_text`` are the
    manifest's own text (written in the provenance columns, so the table does not depend on
    where the cohort was mounted). ``label`` is the raw label text (``None`` when absent).
    ``row`` is the 1-based data row number in the manifest.
    """

    case_id: str
    image: str
    mask: str
    label: str | None
    row: int
    image_text: str
    mask_text: str


@dataclass(frozen=True)
class Manifest:
    """The parsed cases of a manifest, in file order, and the columns carried to the output.

    ``carried`` holds one row per case (same order as ``cases``) with the manifest's other
    columns and their inferred dtypes.
    """

    path: Path
    layout: str  # "radiomix" or "pyradiomics"
    cases: tuple[Case, ...]
    carried: pd.DataFrame

    @property
    def carried_columns(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.carried.columns)

    def __len__(self) -> int:
        return len(self.cases)


def _strip_ext(name: str) -> str:
    lower = name.lower()
    for ext in (".nii.gz", ".nii", ".nrrd", ".mha", ".mhd", ".dcm", ".png", ".jpg", ".tif"):
        if lower.endswith(ext):
            return name[: -len(ext)]
    return name


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _read_csv(path: Path, text_columns: Sequence[str]) -> pd.DataFrame:
    if not path.is_file():
        raise ManifestError(f"manifest {path} does not exist or is not a file")
    try:
        return pd.read_csv(
            path,
            dtype=dict.fromkeys(text_columns, str),
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
            comment=None,
        )
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ManifestError(
            f"cannot read manifest {path}: {str(exc).strip()}; it must be a CSV file with a header row "
            "case_id,image,mask[,label] (or PyRadiomics' Image,Mask[,Label])"
        ) from None


def read_manifest(
    path: str | Path,
    *,
    default_label: str | None = None,
) -> Manifest:
    """Read a manifest CSV and resolve its paths.

    Parameters
    ----------
    path : str or Path
        The manifest file (comma-separated, header row first).
    default_label : str, optional
        Label used for rows whose label cell is empty or when there is no label column
        (the command line's ``--label``).

    Returns
    -------
    Manifest

    Raises
    ------
    ManifestError
        Unreadable file, no recognised header, missing columns, an empty image or mask
        cell, duplicate (case, label) rows, or a carried column named like an output column.
    """
    path = Path(path).expanduser().resolve()
    text_cols = [
        "case_id",
        "image",
        "mask",
        "label",
        "ID",
        "Image",
        "Mask",
        "Label",
        "Label_channel",
    ]
    df = _read_csv(path, text_cols)
    cols = [str(c) for c in df.columns]
    if {"image", "mask"} <= set(cols) or "case_id" in cols:
        layout = "radiomix"
        need = ["case_id", "image", "mask"]
        names = {"id": "case_id", "image": "image", "mask": "mask", "label": "label"}
    elif {"Image", "Mask"} <= set(cols):
        layout = "pyradiomics"
        need = ["Image", "Mask"]
        names = {"id": "ID", "image": "Image", "mask": "Mask", "label": "Label"}
    else:
        raise ManifestError(
            f"manifest {path} has columns {cols}: expected case_id,image,mask[,label] "
            "(or PyRadiomics' Image,Mask[,Label])"
        )
    if layout == "pyradiomics" and "Label_channel" in cols:
        used = sorted({_cell(v).strip() for v in df["Label_channel"]} - {""})
        if used:
            raise ManifestError(
                f"manifest {path}: its Label_channel column ({', '.join(used)}) is not read by "
                "radiomix's batch runs; set label_channel in the parameter file's setting "
                "section instead (one channel per run: split the batch by channel)"
            )
    missing = [c for c in need if c not in cols]
    if missing:
        raise ManifestError(
            f"manifest {path} lacks the column(s) {missing}; a radiomix manifest needs "
            "case_id,image,mask (label optional)"
        )
    if len(df) == 0:
        raise ManifestError(f"manifest {path} lists no case (only a header row)")
    core = {names["image"], names["mask"], names["label"], names["id"]}
    if layout == "radiomix":
        core.add("case_id")
    carried = [c for c in cols if c not in core]
    bad = [c for c in carried if c in _RESERVED or c.startswith(("provenance_", "diagnostics_"))]
    if bad:
        raise ManifestError(
            f"manifest {path}: column(s) {bad} clash with output columns "
            "(case_id, roi, provenance_*, diagnostics_*); rename them"
        )

    images = [_cell(v).strip() for v in df[names["image"]]]
    masks = [_cell(v).strip() for v in df[names["mask"]]]
    for i, (im, mk) in enumerate(zip(images, masks, strict=True), start=1):
        if not im or not mk:
            raise ManifestError(f"manifest {path}, row {i}: the image and mask cells must be set")

    if names["id"] in cols:
        ids = [_cell(v).strip() for v in df[names["id"]]]
        empty = [i for i, v in enumerate(ids, start=1) if not v]
        if empty:
            raise ManifestError(f"manifest {path}: empty case id in row(s) {empty[:10]}")
    else:
        stems = [_strip_ext(Path(im.rstrip("/\\")).name) for im in images]
        unique = len(set(stems)) == len(stems)
        ids = stems if unique else [f"row{i}" for i in range(1, len(images) + 1)]

    labels: list[str | None] = []
    if names["label"] in cols:
        for v in df[names["label"]]:
            text = _cell(v).strip()
            labels.append(text if text else default_label)
    else:
        labels = [default_label] * len(images)

    seen: dict[tuple[str, str | None], int] = {}
    cases = []
    base = path.parent
    for i in range(len(images)):
        key = (ids[i], labels[i])
        if key in seen:
            raise ManifestError(
                f"manifest {path}: rows {seen[key]} and {i + 1} both ask for case "
                f"{ids[i]!r} with label {labels[i]!r}; remove the duplicate"
            )
        seen[key] = i + 1
        image_abs = (base / Path(images[i]).expanduser()).resolve()
        mask_abs = (base / Path(masks[i]).expanduser()).resolve()
        cases.append(
            Case(
                case_id=ids[i],
                image=str(image_abs),
                mask=str(mask_abs),
                label=labels[i],
                row=i + 1,
                image_text=images[i],
                mask_text=masks[i],
            )
        )
    table = df[carried].reset_index(drop=True)
    return Manifest(path=path, layout=layout, cases=tuple(cases), carried=table)
