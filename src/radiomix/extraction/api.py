"""The public extraction entry point and the table layouts (wide and long)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from radiomix.errors import ConfigError, LabelNotFoundError
from radiomix.extraction.pipeline import extract_roi
from radiomix.extraction.provenance import PROVENANCE_PREFIX
from radiomix.extraction.records import RoiResult
from radiomix.extraction.settings import ExtractionSettings, load_config
from radiomix.features._warmup import warm_up_kernels
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

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LONG_COLUMNS",
    "PYRADIOMICS_LONG_COLUMNS",
    "extract",
    "extract_results",
    "pyradiomics_long",
    "results_to_long",
    "results_to_wide",
]

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

#: the long layout of the ``pyradiomics`` profile (:func:`pyradiomics_long`): the same
#: columns plus ``text``, which holds PyRadiomics' text diagnostics
PYRADIOMICS_LONG_COLUMNS = [*LONG_COLUMNS, "text"]

ImageLike = str | Path | Volume | np.ndarray | Any  # Any: SimpleITK.Image


def _case_id(image: ImageLike) -> str:
    if isinstance(image, str | Path):
        name = Path(image).name
        for ext in (".nii.gz", ".nii", ".nrrd", ".mha", ".mhd", ".png", ".jpg", ".tif", ".tiff"):
            if name.lower().endswith(ext):
                return name[: -len(ext)]
        return name
    return "case"


#: the ``label`` value that asks for every non-zero voxel as one ROI (the union of labels)
UNION = "union"


def _labels(
    label: int | Sequence[int | str] | str | None,
    mask: Volume,
    settings: ExtractionSettings,
    *,
    allow_background: bool = False,
) -> list[int | None]:
    """The label values to extract from a label map, one ROI each (None: the union).

    Without a label, every distinct non-zero label is its own ROI (the ``pyradiomics``
    profile: its ``label`` setting, 1 by default, as PyRadiomics). Label 0 (the background)
    needs ``allow_background``: a slip such as ``--label 0`` must not pass as an ROI.
    """
    if label is None:
        if settings.profile == "pyradiomics":
            labels: list[int | None] = [settings.pyradiomics.label]
        else:
            labels = list(mask_labels(mask))
            if not labels:
                return [None]  # an empty mask: the ROI check names the problem
    elif isinstance(label, str) and label.strip().lower() == UNION:
        return [None]
    elif isinstance(label, str) and label.strip().lower() == "all":
        labels = list(mask_labels(mask))
    elif isinstance(label, str):
        labels = [_int_label(x, mask) for x in label.split(",") if x.strip()]
    elif isinstance(label, Iterable):
        labels = [_int_label(x, mask) for x in label]
    else:
        labels = [_int_label(label, mask)]
    if 0 in labels and not allow_background:
        raise ConfigError(
            "label 0 is the background of a label map, not a region of interest; give the "
            "lesion's label (present: "
            f"{mask_labels(mask)}), or allow_background=True (--allow-background) if the "
            "background is meant"
        )
    return labels


def _int_label(value: Any, mask: Volume) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise LabelNotFoundError(
            f"label {value!r}: a label-map mask is selected by integer labels (present: "
            f"{mask_labels(mask)}), 'all' or 'union'; ROI names need an RTSTRUCT or SEG mask"
        ) from None


def _roi_select(label: int | str | Sequence[int | str] | None) -> list[int | str] | None:
    """RTSTRUCT/SEG selection: None/"all" -> every ROI; "a,b" -> names; ints -> numbers."""
    if label is None or label == "all":
        return None
    if isinstance(label, str) and label.strip().lower() == UNION:
        raise ConfigError(
            "label 'union' joins the labels of a label map; an RTSTRUCT / SEG mask gives one "
            "ROI per name: select the names, or convert the ROIs to one label map first"
        )
    if isinstance(label, str):
        return [part.strip() for part in label.replace(";", ",").split(",") if part.strip()]
    if isinstance(label, Iterable):
        items = list(label)
        return None if items == ["all"] else items
    return [label]


def _with_label_map_hash(mask: Volume) -> Volume:
    """The label map with PyRadiomics' hash of it in its metadata: the ROIs selected from it
    (:func:`~radiomix.io.select_label` copies the metadata) carry it to the ``pyradiomics``
    profile's ``diagnostics_Mask-original_Hash``, which hashes the whole label map as read."""
    from radiomix.extraction.profile_pyradiomics import (
        MASK_HASH_KEY,
        in_background,
        label_map_hash,
    )

    # hashed in the background while the features are computed (resolved with diagnostics)
    metadata = {**mask.metadata, MASK_HASH_KEY: in_background(label_map_hash, mask.array)}
    return mask.with_array(mask.array, metadata=metadata)


def _mask_read_ahead(
    mask: ImageLike, settings: ExtractionSettings, spacing: Sequence[float] | None
) -> Future[Volume] | None:
    """For the ``pyradiomics`` profile and a NIfTI / NRRD / MetaImage label map file (read
    on its own grid, whatever the image), the mask's reading started in a thread, to run
    while the image is read (the inflaters and SimpleITK release the GIL); else None, and
    None where one extraction has one thread (batch workers: starting a thread per case
    costs more there than the overlap gains)."""
    if settings.profile != "pyradiomics" or not isinstance(mask, str | Path):
        return None
    from radiomix.extraction.executors import extraction_threads

    if extraction_threads() == 1:
        return None  # (the shared pool would run it inline)
    from radiomix.io._readers import VOLUME_FORMATS, suffix_of

    path = Path(mask).expanduser()
    if suffix_of(path) not in VOLUME_FORMATS or not path.is_file():
        return None
    from radiomix.extraction.executors import thread_pool
    from radiomix.extraction.profile_pyradiomics import read_pyradiomics_mask

    # on the process's pool of extraction threads (idle while the image is read)
    return thread_pool().submit(
        read_pyradiomics_mask,
        mask,
        None,
        spacing=tuple(spacing) if spacing is not None else None,
        label_channel=settings.pyradiomics.label_channel,
    )


def _label_rois(
    mask: Volume, labels: Sequence[int | None], *, strict: bool
) -> Iterator[tuple[str, Volume, bool]]:
    """(name, ROI, is the last) of each label, one at a time: only one boolean ROI exists at
    once (this generator keeps no reference to the one it yields), and the label map is
    released before the last ROI is extracted."""
    labels = list(labels)
    for k, lab in enumerate(labels):
        last = k == len(labels) - 1
        taken = [select_label(mask, lab, strict=strict)]
        if last:
            del mask
        yield (UNION if lab is None else str(lab)), taken.pop(), last


def roi_pipeline(profile: str) -> Callable[..., RoiResult]:
    """The per-ROI pipeline of a profile: the IBSI chain
    (:func:`radiomix.extraction.pipeline.extract_roi`) or PyRadiomics' preprocessing with
    the same engine (:func:`radiomix.extraction.profile_pyradiomics.extract_roi_pyradiomics`)."""
    if profile == "pyradiomics":
        from radiomix.extraction.profile_pyradiomics import extract_roi_pyradiomics

        return extract_roi_pyradiomics
    return extract_roi


def extract_results(
    image: ImageLike,
    mask: ImageLike,
    config: str | Path | dict[str, Any] | ExtractionSettings | None = None,
    *,
    label: int | str | Sequence[int | str] | None = None,
    spacing: Sequence[float] | None = None,
    case_id: str | None = None,
    allow_background: bool = False,
) -> list[RoiResult]:
    """Like :func:`extract`, but returns the per-ROI records (features, diagnostics, timings)."""
    settings = load_config(config)
    run_roi = roi_pipeline(settings.profile)
    if settings.profile != "pyradiomics":  # (that profile starts it for large ROIs only)
        warm_up_kernels()  # numba loads its kernels while the files are read
    mask_job = _mask_read_ahead(mask, settings, spacing)
    img = read_image(image, spacing=tuple(spacing) if spacing is not None else None)
    cid = case_id if case_id is not None else _case_id(image)
    roi_file = dicom_roi_file(mask)
    if roi_file is not None:  # RTSTRUCT / SEG: one ROI per name or segment
        named = list(read_rois(roi_file[0], img, select=_roi_select(label)).items())
        rois: Iterable[tuple[str, Volume, bool]] = [
            (name, roi, k == len(named) - 1) for k, (name, roi) in enumerate(named)
        ]
        del named
    else:
        sp = tuple(spacing) if spacing is not None else None
        if settings.profile == "pyradiomics":  # PyRadiomics' geometry rules: on its own grid
            from radiomix.extraction.profile_pyradiomics import read_pyradiomics_mask

            msk = (
                mask_job.result()
                if mask_job is not None
                else read_pyradiomics_mask(
                    mask, img, spacing=sp, label_channel=settings.pyradiomics.label_channel
                )
            )
        else:
            msk = read_mask(mask, reference=img, spacing=sp)
            check_geometry(img, msk)
        if settings.profile == "pyradiomics" and settings.pyradiomics.additional_info:
            msk = _with_label_map_hash(msk)
        strict = settings.profile == "pyradiomics"  # PyRadiomics: the label given, or error
        labels = _labels(label, msk, settings, allow_background=allow_background)
        rois = _label_rois(msk, labels, strict=strict)
        del msk, mask_job  # the label map goes once the last ROI is taken from it (memory)
    out = []
    slice_checks = dict(img.metadata.get("diagnostics", {}))  # DICOM slice checks
    for name, roi, last in rois:
        if roi.array.shape == img.array.shape and np.issubdtype(img.array.dtype, np.inexact):
            # (integer images are finite; else checked once on the image grid)
            check_finite(img, what="image inside the ROI", within=np.asarray(roi.array, bool))
        if last and settings.profile == "pyradiomics":
            from radiomix.extraction.profile_pyradiomics import Handover, extract_handed_over

            # handed over: the extraction frees the whole image once the ROI's box is cut
            case = Handover(img, roi)
            del img, roi
            result = extract_handed_over(case, settings, case_id=cid, roi=name)
        else:
            result = run_roi(img, roi, settings, case_id=cid, roi=name)
        result.diagnostics.update(slice_checks)
        out.append(result)
    return out


def _wide_row(r: RoiResult) -> dict[str, Any]:
    """The wide columns of one ROI after ``case_id`` and ``roi``, in table order."""
    row: dict[str, Any] = {}
    for tag, v in r.diagnostics.items():
        row[f"diagnostics_{tag}"] = v
    for rec in r.features:
        row[f"{rec.image_type}_{rec.family}_{rec.value.feature_name}"] = rec.value.value
    return row


def results_to_wide(results: Sequence[RoiResult]) -> pd.DataFrame:
    """One row per ROI; ``diagnostics_<tag>`` then ``<image_type>_<family>_<feature>`` columns."""
    import pandas as pd  # imported here: extracting without a table needs no pandas

    return pd.DataFrame([{"case_id": r.case_id, "roi": r.roi, **_wide_row(r)} for r in results])


def _is_pyradiomics(results: Sequence[RoiResult]) -> bool:
    """True for records of the ``pyradiomics`` profile (its features' family is
    ``pyradiomics_<class>``, see :mod:`radiomix.features.pyradiomics_profile`)."""
    return any(
        rec.value.spec.family.startswith("pyradiomics_") for r in results for rec in r.features
    )


def results_to_long(results: Sequence[RoiResult], *, profile: str | None = None) -> pd.DataFrame:
    """One row per (ROI, feature) with its IBSI code and reference-table tag.

    Parameters
    ----------
    results : sequence of RoiResult
    profile : {"ibsi", "pyradiomics"} or None
        The profile that made ``results`` (None: recognised from the records). ``ibsi``
        gives :data:`LONG_COLUMNS`; ``pyradiomics`` gives :data:`PYRADIOMICS_LONG_COLUMNS`
        (see :func:`pyradiomics_long`).
    """
    import pandas as pd

    if profile is None:
        profile = "pyradiomics" if _is_pyradiomics(results) else "ibsi"
    if profile == "pyradiomics":
        return pyradiomics_long((r.case_id, r.roi, _wide_row(r)) for r in results)
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


def _value_and_text(value: Any) -> tuple[float, str | None]:
    if isinstance(value, bool | np.bool_ | int | float | np.integer | np.floating):
        return float(value), None
    if value is None:
        return math.nan, None
    return math.nan, str(value)


def pyradiomics_long(rows: Iterable[tuple[str, str, Mapping[str, Any]]]) -> pd.DataFrame:
    """The long table of the ``pyradiomics`` profile, from its wide rows.

    One row per wide column, in the wide table's order. ``feature`` holds PyRadiomics'
    own key (``original_firstorder_Mean``, ``wavelet-LLH_glcm_Idm``,
    ``diagnostics_Image-original_Hash``), so pivoting ``feature`` against ``value`` /
    ``text`` gives back PyRadiomics' columns. PyRadiomics writes some diagnostics as text
    (versions, settings, hashes, spacing and size tuples): their ``value`` is NaN and
    ``text`` holds the text; numbers are in ``value`` and ``text`` is empty.

    ===============  ===============================================================
    ``image_type``   PyRadiomics' image type prefix (``original``, ``log-sigma-1-0-mm-3D``,
                     ``wavelet-LLH``, ...); ``original`` for diagnostics, empty for
                     ``provenance_*``
    ``family``       the PyRadiomics class (``firstorder``, ``shape``, ``glcm``, ...),
                     ``diagnostics`` or ``provenance``
    ``feature``      the wide column name, PyRadiomics' key
    ``ibsi_code``    the IBSI code where PyRadiomics' definition is the IBSI feature
                     (``radiomix features --profile pyradiomics``), else empty
    ``ibsi_tag``     empty: PyRadiomics' features and diagnostics have no IBSI table tag
    ``value``        the number (float), NaN for text
    ``text``         the text of a text entry, empty for numbers
    ===============  ===============================================================

    Parameters
    ----------
    rows : iterable of (case_id, roi, {column: value})
        One wide row per ROI without ``case_id`` and ``roi``: ``diagnostics_*`` and
        ``<image type>_<class>_<Feature>`` columns (a batch row's ``provenance_*`` too).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PYRADIOMICS_LONG_COLUMNS`.
    """
    import pandas as pd

    from radiomix.features.pyradiomics_profile import FEATURES

    codes = {(cls, s.name): s.ibsi_code or "" for cls, specs in FEATURES.items() for s in specs}
    out = []
    for case_id, roi, row in rows:
        for key, v in row.items():
            if key.startswith("diagnostics_"):
                image_type, family, code = "original", "diagnostics", ""
            elif key.startswith(PROVENANCE_PREFIX):
                image_type, family, code = "", "provenance", ""
            else:  # PyRadiomics' classes and feature names hold no "_"
                image_type, family, name = key.rsplit("_", 2)
                code = codes.get((family, name), "")
            value, text = _value_and_text(v)
            out.append((case_id, roi, image_type, family, key, code, "", value, text))
    table = pd.DataFrame(out, columns=PYRADIOMICS_LONG_COLUMNS)
    table["value"] = table["value"].astype(np.float64)
    return table


def extract(
    image: ImageLike,
    mask: ImageLike,
    config: str | Path | dict[str, Any] | ExtractionSettings | None = None,
    *,
    label: int | str | Sequence[int | str] | None = None,
    spacing: Sequence[float] | None = None,
    case_id: str | None = None,
    format: str = "wide",
    allow_background: bool = False,
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
    label : int, list of int, "all", "union" or None
        ROI label(s) of a label map: one row per label, the ``roi`` column holding the label
        value. None or "all": every distinct non-zero label is its own ROI (with the
        ``pyradiomics`` profile None is its ``label`` setting, 1 by default, as in
        PyRadiomics). "union": every non-zero voxel as one ROI (``roi`` = ``union``). For
        RTSTRUCT/SEG masks: ROI names / segment labels (str, "A,B") or numbers (int); None
        or "all" gives one row per ROI; the ``roi`` column holds the name.
    spacing : (z, y, x) mm, optional
        Voxel size for array inputs (default 1 mm).
    case_id : str, optional
        Identifier written in the ``case_id`` column (default: the image file name).
    format : {"wide", "long"}
        Wide: one row per ROI, one column per feature. Long: one row per feature with
        columns ``case_id, roi, image_type, family, feature, ibsi_code, ibsi_tag, value``;
        with the ``pyradiomics`` profile also ``text`` (PyRadiomics' text diagnostics) and
        ``feature`` holds PyRadiomics' key (see :func:`pyradiomics_long`).
    allow_background : bool
        Accept label 0 (the background) as an ROI; without it label 0 is a
        :class:`~radiomix.errors.ConfigError`.

    Returns
    -------
    pandas.DataFrame
    """
    settings = load_config(config)
    results = extract_results(
        image,
        mask,
        settings,
        label=label,
        spacing=spacing,
        case_id=case_id,
        allow_background=allow_background,
    )
    if format == "wide":
        return results_to_wide(results)
    if format == "long":
        return results_to_long(results, profile=settings.profile)
    raise ValueError(f"format must be 'wide' or 'long', got {format!r}")
