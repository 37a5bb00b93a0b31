"""The public extraction entry point and the table layouts (wide and long)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiomix.errors import LabelNotFoundError
from radiomix.extraction.pipeline import RoiResult, extract_roi
from radiomix.extraction.settings import ExtractionSettings, load_config
from radiomix.io import (
    Volume,
    check_finite,
    check_geometry,
    dicom_roi_file,
    mask_labels,
    read_image,
    read_mask,
    read_rois,
    select_label,
)

__all__ = ["LONG_COLUMNS", "extract", "extract_results", "results_to_long", "results_to_wide"]

LONG_COLUMNS = [
    "case_id",
    "roi",
    "image_type",
    "family",
    "feature",
    "ibsi_code",
    "ibsi_tag",
    "value",
]

ImageLike = str | Path | Volume | np.ndarray | Any  # Any: SimpleITK.Image


def _case_id(image: ImageLike) -> str:
    if isinstance(image, str | Path):
        name = Path(image).name
        for ext in (".nii.gz", ".nii", ".nrrd", ".mha", ".mhd", ".png", ".jpg", ".tif", ".tiff"):
            if name.lower().endswith(ext):
                return name[: -len(ext)]
        return name
    return "case"


def _labels(label: int | Sequence[int | str] | str | None, mask: Volume) -> list[int | None]:
    if label is None:
        return [None]
    if isinstance(label, str):
        if label == "all":
            return list(mask_labels(mask))
        return [_int_label(x, mask) for x in label.split(",") if x.strip()]
    if isinstance(label, Iterable):
        return [_int_label(x, mask) for x in label]
    return [_int_label(label, mask)]


def _int_label(value: Any, mask: Volume) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise LabelNotFoundError(
            f"label {value!r}: a label-map mask is selected by integer labels (present: "
            f"{mask_labels(mask)}); ROI names need an RTSTRUCT or SEG mask"
        ) from None


def _roi_select(label: int | str | Sequence[int | str] | None) -> list[int | str] | None:
    """RTSTRUCT/SEG selection: None/"all" -> every ROI; "a,b" -> names; ints -> numbers."""
    if label is None or label == "all":
        return None
    if isinstance(label, str):
        return [part.strip() for part in label.replace(";", ",").split(",") if part.strip()]
    if isinstance(label, Iterable):
        items = list(label)
        return None if items == ["all"] else items
    return [label]


def extract_results(
    image: ImageLike,
    mask: ImageLike,
    config: str | Path | dict[str, Any] | ExtractionSettings | None = None,
    *,
    label: int | str | Sequence[int | str] | None = None,
    spacing: Sequence[float] | None = None,
    case_id: str | None = None,
) -> list[RoiResult]:
    """Like :func:`extract`, but returns the per-ROI records (features, diagnostics, timings)."""
    settings = load_config(config)
    img = read_image(image, spacing=tuple(spacing) if spacing is not None else None)
    cid = case_id if case_id is not None else _case_id(image)
    roi_file = dicom_roi_file(mask)
    if roi_file is not None:  # RTSTRUCT / SEG: one ROI per name or segment
        rois = list(read_rois(roi_file[0], img, select=_roi_select(label)).items())
    else:
        sp = tuple(spacing) if spacing is not None else None
        msk = read_mask(mask, reference=img, spacing=sp)
        check_geometry(img, msk)
        rois = [
            ("1" if lab is None else str(lab), select_label(msk, lab))
            for lab in _labels(label, msk)
        ]
    out = []
    for name, roi in rois:
        check_finite(img.array[roi.array.astype(bool)], what="image inside the ROI")
        result = extract_roi(img, roi, settings, case_id=cid, roi=name)
        result.diagnostics.update(img.metadata.get("diagnostics", {}))  # DICOM slice checks
        out.append(result)
    return out


def results_to_wide(results: Sequence[RoiResult]) -> pd.DataFrame:
    """One row per ROI; ``diagnostics_<tag>`` then ``<image_type>_<family>_<feature>`` columns."""
    rows = []
    for r in results:
        row: dict[str, Any] = {"case_id": r.case_id, "roi": r.roi}
        for tag, v in r.diagnostics.items():
            row[f"diagnostics_{tag}"] = v
        for rec in r.features:
            row[f"{rec.image_type}_{rec.family}_{rec.value.feature_name}"] = rec.value.value
        rows.append(row)
    return pd.DataFrame(rows)


def results_to_long(results: Sequence[RoiResult]) -> pd.DataFrame:
    """One row per (ROI, feature) with its IBSI code and reference-table tag."""
    rows = []
    for r in results:
        for tag, v in r.diagnostics.items():
            rows.append((r.case_id, r.roi, "original", "diagnostics", tag, "", tag, float(v)))
        for rec in r.features:
            fv = rec.value
            rows.append(
                (
                    r.case_id,
                    r.roi,
                    rec.image_type,
                    rec.family,
                    fv.feature_name,
                    fv.spec.ibsi_code or "",
                    fv.ibsi_tag,
                    fv.value,
                )
            )
    return pd.DataFrame(rows, columns=LONG_COLUMNS)


def extract(
    image: ImageLike,
    mask: ImageLike,
    config: str | Path | dict[str, Any] | ExtractionSettings | None = None,
    *,
    label: int | str | Sequence[int | str] | None = None,
    spacing: Sequence[float] | None = None,
    case_id: str | None = None,
    format: str = "wide",
) -> pd.DataFrame:
    """Extract radiomics features of one image and its ROI(s).

    Parameters
    ----------
    image, mask : path, SimpleITK.Image, Volume or ndarray
        The image and its mask (binary or label map) on the same grid. Arrays are taken
        as (z, y, x) (or (y, x) for 2D) with ``spacing``. The mask may also be a DICOM
        RTSTRUCT or SEG file (or a folder holding one), rasterised onto the image grid
        (see :func:`radiomix.io.read_rois`).
    config : preset name, YAML path, mapping or ExtractionSettings, optional
        Settings; None is the general-purpose default (see ``radiomix config show default``).
    label : int, list of int, "all" or None
        ROI label(s): one row per label. None takes every non-zero voxel as one ROI.
        For RTSTRUCT/SEG masks: ROI names / segment labels (str, "A,B") or numbers (int);
        None or "all" gives one row per ROI; the ``roi`` column holds the name.
    spacing : (z, y, x) mm, optional
        Voxel size for array inputs (default 1 mm).
    case_id : str, optional
        Identifier written in the ``case_id`` column (default: the image file name).
    format : {"wide", "long"}
        Wide: one row per ROI, one column per feature. Long: one row per feature with
        columns ``case_id, roi, image_type, family, feature, ibsi_code, ibsi_tag, value``.

    Returns
    -------
    pandas.DataFrame
    """
    results = extract_results(image, mask, config, label=label, spacing=spacing, case_id=case_id)
    if format == "wide":
        return results_to_wide(results)
    if format == "long":
        return results_to_long(results)
    raise ValueError(f"format must be 'wide' or 'long', got {format!r}")
