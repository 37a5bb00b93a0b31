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

Several images per case (read with ``multi_image=True``, as ``radiomix extract`` does; see
docs/batch.md, "Several images per case"):

wide form
    ``case_id,image_<modality>...,mask`` (no ``image`` column): one column per image, the
    modality is the column name's suffix (``image_ct``, ``image_pet``); optional
    ``mask_on`` (the modality whose grid the mask is on; default: the first image column),
    ``transform_<modality>`` (an ITK transform file from ``radiomix register MASK_IMAGE
    IMAGE``) and ``label``.
long form
    ``case_id,modality,image`` with ``mask`` (one row per case and modality): the mask cell
    is set on the row of the modality it was drawn on (or a ``mask_on`` column names it);
    optional ``transform`` and ``label``. Rows of a case share its case id; the carried
    columns must hold one value per case.

Modality names are letters, digits and ``-`` (no ``_``: a feature column
``<modality>_<feature>`` then splits at its first ``_``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from radiomix.errors import ManifestError

__all__ = ["Case", "CaseImage", "Manifest", "read_manifest"]

#: columns the output table writes itself; a manifest may not carry columns of these names
_RESERVED = ("case_id", "roi")

#: a modality name: letters, digits and "-" (the feature columns split at the first "_")
_MODALITY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")


@dataclass(frozen=True)
class CaseImage:
    """One image of a multi-image case: its modality, path and optional transform.

    ``transform`` is the absolute path of an ITK transform file that maps points of the
    mask's image (FIXED) to this image (MOVING), as ``radiomix register`` writes it; empty
    when the mask is carried by the images' geometry alone. ``*_text`` hold the manifest's
    own text.
    """

    modality: str
    image: str
    image_text: str
    transform: str = ""
    transform_text: str = ""


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
    #: several images per case: one entry per modality (empty for one image per case);
    #: ``image`` is then the image of ``mask_on``, the modality the mask was drawn on
    images: tuple[CaseImage, ...] = ()
    mask_on: str = ""


@dataclass(frozen=True)
class Manifest:
    """The parsed cases of a manifest, in file order, and the columns carried to the output.

    ``carried`` holds one row per case (same order as ``cases``) with the manifest's other
    columns and their inferred dtypes.
    """

    path: Path
    layout: str  # "radiomix", "pyradiomics", "multi-wide" or "multi-long"
    cases: tuple[Case, ...]
    carried: pd.DataFrame
    #: the modalities of a multi-image manifest, in column (or first appearance) order
    modalities: tuple[str, ...] = ()

    @property
    def multi_image(self) -> bool:
        return bool(self.modalities)

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
    multi_image: bool = False,
) -> Manifest:
    """Read a manifest CSV and resolve its paths.

    Parameters
    ----------
    path : str or Path
        The manifest file (comma-separated, header row first).
    default_label : str, optional
        Label used for rows whose label cell is empty or when there is no label column
        (the command line's ``--label``).
    multi_image : bool
        Accept several images per case (the wide ``image_<modality>`` and the long
        ``modality`` forms). Without it a ``modality`` column is carried like any other and
        a wide multi-image manifest is an error (the command reads one image per case).

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
    wide_images = [c for c in cols if c.startswith("image_")] if "image" not in cols else []
    if wide_images or (multi_image and "modality" in cols):
        if not multi_image:
            raise ManifestError(
                f"manifest {path} names several images per case ({', '.join(wide_images)}): "
                "one image per case (case_id,image,mask) is read here; several images per "
                "case are read by radiomix extract (feature rows, not --mode voxel)"
            )
        return _read_multi(path, cols, default_label)
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


# -- several images per case ----------------------------------------------------------------


def _modality(name: str, where: str, path: Path) -> str:
    if not _MODALITY.match(name):
        raise ManifestError(
            f"manifest {path}: modality {name!r} ({where}) must be letters, digits or '-' "
            "(no '_': feature columns are named <modality>_<feature>)"
        )
    return name


def _resolve(base: Path, text: str) -> str:
    return str((base / Path(text).expanduser()).resolve()) if text else ""


def _check_carried(path: Path, carried: list[str]) -> None:
    bad = [
        c
        for c in carried
        if c in (*_RESERVED, "modality") or c.startswith(("provenance_", "diagnostics_"))
    ]
    if bad:
        raise ManifestError(
            f"manifest {path}: column(s) {bad} clash with output columns "
            "(case_id, roi, modality, provenance_*, diagnostics_*); rename them"
        )


def _read_multi(path: Path, cols: list[str], default_label: str | None) -> Manifest:
    """A multi-image manifest (wide ``image_<modality>`` columns or long ``modality`` rows)."""
    text_cols = [
        c
        for c in cols
        if c in ("case_id", "image", "mask", "label", "mask_on", "modality", "transform")
        or c.startswith(("image_", "transform_"))
    ]
    df = _read_csv(path, text_cols)
    if len(df) == 0:
        raise ManifestError(f"manifest {path} lists no case (only a header row)")
    if "modality" in cols:
        return _read_long(path, df, cols, default_label)
    return _read_wide(path, df, cols, default_label)


def _text(df: pd.DataFrame, col: str, i: int) -> str:
    return _cell(df[col].iloc[i]).strip() if col in df.columns else ""


def _read_wide(
    path: Path, df: pd.DataFrame, cols: list[str], default_label: str | None
) -> Manifest:
    missing = [c for c in ("case_id", "mask") if c not in cols]
    if missing:
        raise ManifestError(
            f"manifest {path} lacks the column(s) {missing}; a multi-image manifest needs "
            "case_id,image_<modality>...,mask (mask_on, transform_<modality>, label optional)"
        )
    image_cols = [c for c in cols if c.startswith("image_")]
    modalities = [_modality(c[len("image_") :], f"column {c}", path) for c in image_cols]
    if len(set(modalities)) != len(modalities):
        raise ManifestError(f"manifest {path}: an image column appears twice ({image_cols})")
    transform_cols = [c for c in cols if c.startswith("transform_")]
    stray = [c for c in transform_cols if c[len("transform_") :] not in modalities]
    if stray:
        raise ManifestError(
            f"manifest {path}: {stray} name no image column (modalities: "
            f"{', '.join(modalities)}); transform_<modality> goes with image_<modality>"
        )
    core = {"case_id", "mask", "label", "mask_on", *image_cols, *transform_cols}
    carried = [c for c in cols if c not in core]
    _check_carried(path, carried)
    base = path.parent
    cases = []
    seen: dict[tuple[str, str | None], int] = {}
    for i in range(len(df)):
        row = i + 1
        case_id = _text(df, "case_id", i)
        if not case_id:
            raise ManifestError(f"manifest {path}: empty case id in row {row}")
        mask = _text(df, "mask", i)
        if not mask:
            raise ManifestError(f"manifest {path}, row {row}: the mask cell must be set")
        mask_on = _text(df, "mask_on", i) or modalities[0]
        if mask_on not in modalities:
            raise ManifestError(
                f"manifest {path}, row {row} (case {case_id!r}): mask_on {mask_on!r} is not "
                f"one of the image columns' modalities ({', '.join(modalities)})"
            )
        images = []
        for mod in modalities:
            image = _text(df, f"image_{mod}", i)
            transform = _text(df, f"transform_{mod}", i)
            if transform and mod == mask_on:
                raise ManifestError(
                    f"manifest {path}, row {row} (case {case_id!r}): transform_{mod} is set, "
                    f"but the mask is drawn on {mod}; a transform maps the mask's image onto "
                    "another modality"
                )
            images.append(
                CaseImage(mod, _resolve(base, image), image, _resolve(base, transform), transform)
            )
        label = _text(df, "label", i) or default_label
        key = (case_id, label)
        if key in seen:
            raise ManifestError(
                f"manifest {path}: rows {seen[key]} and {row} both ask for case "
                f"{case_id!r} with label {label!r}; remove the duplicate"
            )
        seen[key] = row
        ref = next(im for im in images if im.modality == mask_on)
        cases.append(
            Case(
                case_id=case_id,
                image=ref.image,
                mask=_resolve(base, mask),
                label=label,
                row=row,
                image_text=ref.image_text,
                mask_text=mask,
                images=tuple(images),
                mask_on=mask_on,
            )
        )
    table = df[carried].reset_index(drop=True)
    return Manifest(path, "multi-wide", tuple(cases), table, tuple(modalities))


def _read_long(
    path: Path, df: pd.DataFrame, cols: list[str], default_label: str | None
) -> Manifest:
    missing = [c for c in ("case_id", "modality", "image", "mask") if c not in cols]
    if missing:
        raise ManifestError(
            f"manifest {path} lacks the column(s) {missing}; a long multi-image manifest "
            "needs case_id,modality,image,mask (one row per case and modality; mask_on, "
            "transform, label optional)"
        )
    core = {"case_id", "modality", "image", "mask", "mask_on", "transform", "label"}
    carried = [c for c in cols if c not in core]
    _check_carried(path, carried)
    groups: dict[str, list[int]] = {}
    modalities: list[str] = []
    for i in range(len(df)):
        case_id = _text(df, "case_id", i)
        if not case_id:
            raise ManifestError(f"manifest {path}: empty case id in row {i + 1}")
        mod = _text(df, "modality", i)
        if not mod:
            raise ManifestError(f"manifest {path}, row {i + 1}: the modality cell must be set")
        _modality(mod, f"row {i + 1}", path)
        if mod not in modalities:
            modalities.append(mod)
        groups.setdefault(case_id, []).append(i)
    base = path.parent
    cases = []
    first_rows = []
    for case_id, rows in groups.items():
        where = f"manifest {path}, case {case_id!r} (rows {', '.join(str(r + 1) for r in rows)})"
        mods = [_text(df, "modality", i) for i in rows]
        dup = sorted({m for m in mods if mods.count(m) > 1})
        if dup:
            raise ManifestError(f"{where}: modality {dup[0]!r} appears twice")
        absent = [m for m in modalities if m not in mods]
        if absent:
            raise ManifestError(
                f"{where}: no row for modality {', '.join(absent)} (every case needs a row "
                f"per modality: {', '.join(modalities)})"
            )
        masks = {_text(df, "mask", i) for i in rows} - {""}
        if len(masks) != 1:
            raise ManifestError(
                f"{where}: {'no mask' if not masks else 'several masks'} given; set the mask "
                "cell on the row of the modality it was drawn on"
            )
        (mask,) = masks
        named = {_text(df, "mask_on", i) for i in rows} - {""}
        if len(named) > 1:
            raise ManifestError(f"{where}: mask_on differs between rows ({sorted(named)})")
        if named:
            (mask_on,) = named
            if mask_on not in mods:
                raise ManifestError(
                    f"{where}: mask_on {mask_on!r} is not one of its modalities ({', '.join(mods)})"
                )
        else:
            holding = [_text(df, "modality", i) for i in rows if _text(df, "mask", i)]
            if len(holding) != 1:
                raise ManifestError(
                    f"{where}: the mask is set on the rows of {', '.join(holding)}; give a "
                    "mask_on column naming the modality it was drawn on"
                )
            mask_on = holding[0]
        labels = {_text(df, "label", i) for i in rows} - {""}
        if len(labels) > 1:
            raise ManifestError(f"{where}: label differs between rows ({sorted(labels)})")
        label = labels.pop() if labels else default_label
        by_mod = dict(zip(mods, rows, strict=True))
        images = []
        for mod in modalities:
            i = by_mod[mod]
            image = _text(df, "image", i)
            transform = _text(df, "transform", i)
            if transform and mod == mask_on:
                raise ManifestError(
                    f"{where}: a transform is set on the row of {mod}, the modality the mask "
                    "is drawn on; a transform maps the mask's image onto another modality"
                )
            images.append(
                CaseImage(mod, _resolve(base, image), image, _resolve(base, transform), transform)
            )
        for col in carried:
            values = {_cell(df[col].iloc[i]) for i in rows}
            if len(values) > 1:
                raise ManifestError(
                    f"{where}: column {col!r} differs between the rows of the case "
                    f"({sorted(values)}); carried columns hold one value per case"
                )
        ref = next(im for im in images if im.modality == mask_on)
        cases.append(
            Case(
                case_id=case_id,
                image=ref.image,
                mask=_resolve(base, mask),
                label=label,
                row=rows[0] + 1,
                image_text=ref.image_text,
                mask_text=mask,
                images=tuple(images),
                mask_on=mask_on,
            )
        )
        first_rows.append(rows[0])
    table = df[carried].iloc[first_rows].reset_index(drop=True)
    return Manifest(path, "multi-long", tuple(cases), table, tuple(modalities))
