"""The family table of the per-case pipeline: what each feature family reads and how it is
called.

Every row names a family of :mod:`radiomix.features`, the prepared inputs it reads
(``image``: intensities, ``int_mask`` / ``morph_mask``: the intensity and morphological
masks, ``levels``: the discretised grey levels, ``spacing``), the settings section that
parameterises it, and the call. :func:`run_family` is the one place where a prepared ROI
(the original image's, or a response map's with its own grey levels) meets a family; the
pipeline (:mod:`~radiomix.extraction.pipeline`) and the filters
(:mod:`~radiomix.extraction.filtered`) both go through it.

A new family: its module under ``features/`` (``FEATURES`` and ``compute``), its name in
``features.FAMILIES`` and a row here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from radiomix.extraction.records import PreparedRoi
from radiomix.extraction.settings import ExtractionSettings
from radiomix.features import family_module
from radiomix.features._base import FeatureValue

__all__ = ["FAMILY_TABLE", "FamilyStep", "needs_levels", "run_family"]

Call = Callable[[ModuleType, PreparedRoi, ExtractionSettings], list[FeatureValue]]


@dataclass(frozen=True)
class FamilyStep:
    """One row of the family table."""

    inputs: tuple[str, ...]
    settings: str | None  # the ExtractionSettings section it reads, beyond the inputs
    call: Call


def _levels(p: PreparedRoi) -> np.ndarray:
    assert p.levels is not None, "a texture family needs the discretised grey levels"
    return p.levels


def _ivh(mod: ModuleType, p: PreparedRoi, s: ExtractionSettings) -> list[FeatureValue]:
    lo, hi = p.range_bounds
    iv = s.ivh
    return mod.compute(
        p.image[p.int_mask],
        method=iv.method,
        step=iv.step,
        bin_width=iv.bin_width if iv.method == "fixed_bin_size" else None,
        n_bins=iv.bin_count if iv.method == "fixed_bin_number" else None,
        value_range=(lo, hi) if lo is not None and hi is not None else None,
    )


def _per_distance(mod: ModuleType, p: PreparedRoi, s: ExtractionSettings) -> list[FeatureValue]:
    """GLCM, NGTDM: one set of features per neighbour distance."""
    tx = s.texture
    out: list[FeatureValue] = []
    for d in tx.distance:
        out += mod.compute(_levels(p), p.n_levels, spatial=tx.spatial, distance=d)
    return out


def _ngldm(mod: ModuleType, p: PreparedRoi, s: ExtractionSettings) -> list[FeatureValue]:
    tx = s.texture
    out: list[FeatureValue] = []
    for d in tx.distance:
        out += mod.compute(
            _levels(p), p.n_levels, spatial=tx.spatial, distance=d, coarseness=tx.ngldm_coarseness
        )
    return out


#: family -> what it reads and how it is called
FAMILY_TABLE: dict[str, FamilyStep] = {
    "morphology": FamilyStep(
        ("image", "int_mask", "morph_mask", "spacing"),
        None,
        lambda m, p, s: m.compute(p.image, p.int_mask, p.morph_mask, p.spacing),
    ),
    "morphology_2d": FamilyStep(
        ("morph_mask", "spacing"), None, lambda m, p, s: m.compute(p.morph_mask, p.spacing)
    ),
    "local_intensity": FamilyStep(
        ("image", "int_mask", "spacing"),
        None,
        lambda m, p, s: m.compute(p.image, p.int_mask, p.spacing),
    ),
    "statistics": FamilyStep(
        ("image", "int_mask"), None, lambda m, p, s: m.compute(p.image[p.int_mask])
    ),
    "histogram": FamilyStep(
        ("levels", "int_mask"),
        "discretisation",
        lambda m, p, s: m.compute(_levels(p)[p.int_mask], p.n_levels),
    ),
    "ivh": FamilyStep(("image", "int_mask"), "ivh", _ivh),
    "glcm": FamilyStep(("levels",), "texture", _per_distance),
    "glrlm": FamilyStep(
        ("levels",),
        "texture",
        lambda m, p, s: m.compute(_levels(p), p.n_levels, spatial=s.texture.spatial),
    ),
    "glszm": FamilyStep(
        ("levels",),
        "texture",
        lambda m, p, s: m.compute(_levels(p), p.n_levels, spatial=s.texture.spatial),
    ),
    "gldzm": FamilyStep(
        ("levels", "morph_mask"),
        "texture",
        lambda m, p, s: m.compute(
            _levels(p), p.n_levels, spatial=s.texture.spatial, morph_mask=p.morph_mask
        ),
    ),
    "ngtdm": FamilyStep(("levels",), "texture", _per_distance),
    "ngldm": FamilyStep(("levels",), "texture", _ngldm),
}


def needs_levels(families: Iterable[str]) -> bool:
    """Whether any of ``families`` reads the discretised grey levels."""
    return any("levels" in FAMILY_TABLE[f].inputs for f in families)


def run_family(family: str, p: PreparedRoi, s: ExtractionSettings) -> list[FeatureValue]:
    """The features of one family on one prepared ROI."""
    return FAMILY_TABLE[family].call(family_module(family), p, s)
