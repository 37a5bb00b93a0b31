"""Several images of one case: the mask carried onto each image's grid, features per modality.

A case holds one image per modality (CT, PET, T1, T2, ...) and one mask drawn on one of them
(``mask_on``). For every other modality the mask is carried onto that image's grid in
physical space (:func:`carry_mask`, which calls :func:`radiomix.register.propagate`):

- with a registration transform (``radiomix register MASK_IMAGE IMAGE --out T.tfm``: it maps
  points of the mask's image to points of the other image), the mask is resampled through
  the transform's inverse;
- without one, by the images' own geometry (origin, spacing, direction): right when the
  images share a frame of reference (PET/CT of one scanner, MR sequences of one session).

Interpolation: ``nearest`` (default: every voxel of the target grid takes the label at its
centre's position on the mask's grid; labels are kept exactly) or ``linear`` (each label's
0/1 indicator interpolated linearly, a voxel taking the label whose value is largest and at
least 0.5: smoother outlines when the target grid is finer than the mask's).

Features are then extracted per modality with the public extraction
(:func:`radiomix.extraction.api.extract_results`) on that modality's image and carried mask,
with the modality's own settings where given, and written with the modality in front of
every column: ``<modality>_<image type>_<family>_<feature>`` (``ct_original_glcm_contrast``,
``pet_original_statistics_mean``) and ``diagnostics_<modality>_<tag>``; one row per (case,
ROI). The ROIs are the labels of the mask on its own image (or the label selection), the
same for every modality; a label whose carried mask is empty on a modality is an error
naming the case, the label and the modality.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radiomix.errors import ConfigError, EmptyMaskError, LabelNotFoundError, RadiomixError
from radiomix.extraction.settings import ExtractionSettings, load_config

if TYPE_CHECKING:
    import pandas as pd

    from radiomix.io import Volume

__all__ = [
    "MASK_INTERPOLATIONS",
    "carry_mask",
    "extract_multimodal",
    "multimodal_rows",
    "prefixed",
    "settings_per_modality",
]

#: how a mask is carried onto another image's grid (the first is the default)
MASK_INTERPOLATIONS = ("nearest", "linear")

Settings = str | Path | dict[str, Any] | ExtractionSettings | None


def prefixed(column: str, modality: str) -> str:
    """The column name of ``column`` for ``modality``: ``diagnostics_<modality>_<tag>`` for
    diagnostics (so they stay out of the feature columns), ``<modality>_<column>`` else."""
    if column.startswith("diagnostics_"):
        return f"diagnostics_{modality}_{column[len('diagnostics_') :]}"
    return f"{modality}_{column}"


def _check_interpolation(interpolation: str) -> None:
    if interpolation not in MASK_INTERPOLATIONS:
        raise ConfigError(
            f"mask interpolation {interpolation!r}: use one of {', '.join(MASK_INTERPOLATIONS)}"
        )


def carry_mask(
    mask: Volume,
    mask_image: Volume,
    image: Volume,
    transform: Any = None,
    *,
    interpolation: str = "nearest",
) -> Volume:
    """The mask drawn on ``mask_image`` carried onto ``image``'s grid (physical space).

    Parameters
    ----------
    mask : Volume
        Label map on ``mask_image``'s grid.
    mask_image, image : Volume
        The image the mask was drawn on, and the image whose grid the result takes.
    transform : SimpleITK.Transform, str or Path, optional
        Registration transform ``mask_image`` (FIXED) -> ``image`` (MOVING), as
        ``radiomix register`` writes it; inverted by :func:`radiomix.register.propagate`.
        None: by the images' geometry.
    interpolation : {"nearest", "linear"}
        See the module notes.

    Returns
    -------
    Volume
        Label map on ``image``'s grid.
    """
    _check_interpolation(interpolation)
    from radiomix.register import propagate

    carried = propagate(mask, mask_image, image, transform, interpolation=interpolation)  # type: ignore[arg-type]
    # the grid is the image's own (bit for bit: the conversions through ITK keep it exactly
    # as a rule, and the extraction compares geometry within a tolerance anyway)
    return image.with_array(carried.array, metadata=dict(mask.metadata))


def _selection(label: Any, mask: Volume, settings: Sequence[ExtractionSettings]) -> list[Any]:
    """The ROIs of the case on the mask's own image: label values, or [None] for the union."""
    from radiomix.io import mask_labels

    if isinstance(label, str) and label.strip().lower() == "union":
        return [None]
    if label is None and all(s.profile == "pyradiomics" for s in settings):
        return [settings[0].pyradiomics.label]
    if label is None or (isinstance(label, str) and label.strip().lower() == "all"):
        return list(mask_labels(mask))
    if isinstance(label, str):
        parts = [p.strip() for p in label.replace(";", ",").split(",") if p.strip()]
        try:
            return [int(p) for p in parts]
        except ValueError:
            raise ConfigError(
                f"label {label!r}: the masks of a multi-image case are label maps, selected "
                "by integer labels, 'all' or 'union' (ROI names need an RTSTRUCT / SEG mask, "
                "which is not carried between images)"
            ) from None
    if isinstance(label, Sequence):
        return [int(v) for v in label]
    return [int(label)]


def _voxels(mask: Volume, label: Any) -> int:
    from radiomix.io import select_label

    try:
        return int(select_label(mask, label).array.sum())
    except LabelNotFoundError:
        return 0


def _with_modality(exc: RadiomixError, modality: str) -> RadiomixError:
    """The same error type, its message led by the modality."""
    try:
        return type(exc)(f"{modality}: {exc}")
    except TypeError:  # pragma: no cover - every radiomix error takes a message
        return exc


def multimodal_rows(
    images: Mapping[str, Any],
    mask: Any,
    mask_on: str,
    *,
    transforms: Mapping[str, Any] | None = None,
    settings: Settings = None,
    modality_settings: Mapping[str, Settings] | None = None,
    label: int | str | Sequence[int] | None = None,
    case_id: str = "case",
    interpolation: str = "nearest",
    allow_background: bool = False,
) -> list[dict[str, Any]]:
    """The per-ROI rows of one multi-image case: ``roi`` then the prefixed columns.

    Parameters are those of :func:`extract_multimodal`. The values are as the single-image
    extraction gives them (Python/NumPy numbers and text).
    """
    from radiomix.extraction.api import extract_results, results_to_wide
    from radiomix.io import check_geometry, dicom_roi_file, read_image, read_mask

    _check_interpolation(interpolation)
    if mask_on not in images:
        raise ConfigError(
            f"case {case_id!r}: mask_on {mask_on!r} is not one of its modalities "
            f"({', '.join(images)})"
        )
    transforms = dict(transforms or {})
    unknown = sorted(set(transforms) - set(images))
    if unknown:
        raise ConfigError(f"transforms given for {unknown}, which are not among the images")
    if transforms.get(mask_on):
        raise ConfigError(
            f"a transform is given for {mask_on}, the image the mask is drawn on; a transform "
            "maps the mask's image onto another modality"
        )
    per_mod = settings_per_modality(settings, modality_settings, list(images))
    if isinstance(mask, Path | str) and dicom_roi_file(mask) is not None:
        raise ConfigError(
            f"case {case_id!r}: an RTSTRUCT / SEG mask is not carried between images yet; "
            "convert it to a label map (NIfTI / NRRD) on its image first"
        )

    def read(modality: str) -> Volume:
        try:
            return read_image(images[modality])
        except RadiomixError as exc:
            raise _with_modality(exc, modality) from exc

    ref = read(mask_on)
    msk = read_mask(mask, reference=ref)
    check_geometry(ref, msk)
    selection = _selection(label, msk, list(per_mod.values()))
    if not selection:
        raise EmptyMaskError(
            f"case {case_id!r}: the mask (drawn on {mask_on}) holds no non-zero voxel"
        )
    on_ref = {lab: _voxels(msk, lab) for lab in selection}
    arg: Any = "union" if selection == [None] else selection
    rows: dict[str, dict[str, Any]] = {}
    for modality in images:
        if modality == mask_on:
            image, carried = ref, msk
        else:
            image = read(modality)
            try:
                carried = carry_mask(
                    msk,
                    ref,
                    image,
                    transforms.get(modality) or None,
                    interpolation=interpolation,
                )
            except RadiomixError as exc:
                raise _with_modality(exc, modality) from exc
            for lab in selection:
                if _voxels(carried, lab) == 0:
                    which = "the mask" if lab is None else f"label {lab} of the mask"
                    how = "its transform" if transforms.get(modality) else "the images' geometry"
                    raise EmptyMaskError(
                        f"case {case_id!r}: {which} drawn on {mask_on} ({on_ref[lab]} voxels) "
                        f"is empty once carried onto the {modality} image's grid by {how} "
                        f"(no overlap; origin (z, y, x) of {modality} "
                        f"{tuple(round(v, 2) for v in image.origin)} mm, of {mask_on} "
                        f"{tuple(round(v, 2) for v in ref.origin)} mm): "
                        f"check the {modality} image, or give a registration transform"
                    )
        results = extract_results(
            image,
            carried,
            per_mod[modality],
            label=arg,
            case_id=case_id,
            allow_background=allow_background,
        )
        del carried
        if image is not ref:
            del image
        wide = results_to_wide(results)
        for rec in wide.to_dict(orient="records"):
            roi = str(rec.pop("roi"))
            rec.pop("case_id", None)
            row = rows.setdefault(roi, {"roi": roi})
            row.update({prefixed(str(k), modality): v for k, v in rec.items()})
    return list(rows.values())


def settings_per_modality(
    settings: Settings,
    modality_settings: Mapping[str, Settings] | None,
    modalities: Sequence[str],
) -> dict[str, ExtractionSettings]:
    """One resolved settings object per modality: ``modality_settings[m]`` where given,
    else ``settings``."""
    extra = dict(modality_settings or {})
    unknown = sorted(set(extra) - set(modalities))
    if unknown:
        raise ConfigError(
            f"settings given for modality {', '.join(unknown)}, which is not among the "
            f"images ({', '.join(modalities)})"
        )
    base = load_config(settings)
    return {m: load_config(extra[m]) if m in extra else base for m in modalities}


def extract_multimodal(
    images: Mapping[str, Any],
    mask: Any,
    mask_on: str | None = None,
    *,
    transforms: Mapping[str, Any] | None = None,
    settings: Settings = None,
    modality_settings: Mapping[str, Settings] | None = None,
    label: int | str | Sequence[int] | None = None,
    case_id: str = "case",
    interpolation: str = "nearest",
    allow_background: bool = False,
) -> pd.DataFrame:
    """Features of one case with several images: the mask carried onto each image's grid.

    Parameters
    ----------
    images : mapping of modality -> image
        Paths, Volumes or SimpleITK images, in output order (``{"ct": ..., "pet": ...}``).
        Modality names are letters, digits and ``-``.
    mask : path, Volume or SimpleITK image
        Label map on the grid of ``images[mask_on]``.
    mask_on : str, optional
        The modality the mask was drawn on (default: the first).
    transforms : mapping of modality -> transform, optional
        Registration transforms (``sitk.Transform`` or ITK transform file) from the mask's
        image to that modality's image (``radiomix register MASK_IMAGE IMAGE``); modalities
        without one are aligned by their geometry.
    settings : preset name, YAML path, mapping or ExtractionSettings, optional
        Settings of every modality (default: the ``default`` preset).
    modality_settings : mapping of modality -> settings, optional
        Modalities with settings of their own (``{"pet": "pet.yaml"}``).
    label : int, list of int, "all", "union" or None
        The ROIs, selected on the mask's own image (see :func:`radiomix.extract`).
    case_id : str
        Written in the ``case_id`` column and in error messages.
    interpolation : {"nearest", "linear"}
        How the mask is carried (see the module notes).
    allow_background : bool
        Accept label 0 as an ROI.

    Returns
    -------
    pandas.DataFrame
        One row per ROI: ``case_id``, ``roi``, then per modality ``diagnostics_<mod>_*`` and
        ``<mod>_<image type>_<family>_<feature>`` columns.

    Raises
    ------
    EmptyMaskError
        A label of the mask is empty once carried onto a modality's grid (no overlap).
    """
    import pandas as pd

    mods = list(images)
    if not mods:
        raise ConfigError("give at least one image")
    rows = multimodal_rows(
        images,
        mask,
        mask_on if mask_on is not None else mods[0],
        transforms=transforms,
        settings=settings,
        modality_settings=modality_settings,
        label=label,
        case_id=case_id,
        interpolation=interpolation,
        allow_background=allow_background,
    )
    return pd.DataFrame([{"case_id": case_id, **r} for r in rows])
