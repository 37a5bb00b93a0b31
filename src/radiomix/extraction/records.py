"""The records a case passes through: prepared ROIs, feature records, the per-ROI result.

One module for both profiles, so that the pipelines, the filters, the batch runners and the
faces read the same types without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from radiomix.features._base import FeatureValue
from radiomix.io import Volume

__all__ = ["FeatureRecord", "PreparedRoi", "PyradiomicsRoi", "RoiResult"]


@dataclass(frozen=True)
class FeatureRecord:
    """A feature value with the image it was computed on (``original`` or a filter)."""

    image_type: str
    family: str
    value: FeatureValue


@dataclass
class RoiResult:
    """Everything extracted for one ROI of one case."""

    case_id: str
    roi: str
    features: list[FeatureRecord]
    diagnostics: dict[str, Any]  # numbers; text for the pyradiomics profile's diagnostics
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PreparedRoi:
    """Arrays after the IBSI image processing chain, cropped to the ROI (+ margin), ready
    for the families (:mod:`radiomix.extraction.families`)."""

    image: np.ndarray  # float64 intensities (z, y, x)
    int_mask: np.ndarray  # bool, intensity mask (after re-segmentation)
    morph_mask: np.ndarray  # bool, morphological mask
    spacing: tuple[float, float, float]
    levels: np.ndarray | None  # int32, 1..n_levels inside int_mask, 0 outside
    n_levels: int
    range_bounds: tuple[float | None, float | None]
    # filters (extraction.filtered): the interpolated image they read, where it sits in the
    # whole interpolated grid, that grid's shape, and the box of ``image`` in that grid
    filter_source: np.ndarray | None = None
    filter_offset: tuple[int, int, int] = (0, 0, 0)
    filter_grid: tuple[int, int, int] | None = None
    filter_box: tuple[tuple[int, int], tuple[int, int], tuple[int, int]] | None = None
    # where the arrays sit in physical space (voxel maps are written on this grid)
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)
    direction: np.ndarray | None = None


@dataclass(frozen=True)
class PyradiomicsRoi:
    """One ROI after the ``pyradiomics`` profile's preprocessing
    (:func:`radiomix.extraction.profile_pyradiomics.prepare_roi`).

    ``image`` is the image as the features and filters see it (normalised, resampled or
    pre-cropped), ``roi`` the ROI on its grid before re-segmentation (it sets the filters'
    domain), ``final_roi`` the ROI of the feature classes (re-segmented where asked),
    ``shape_roi`` the ROI of the shape classes, ``diagnostics`` PyRadiomics'
    ``diagnostics_*`` values so far (empty without ``additionalInfo``), ``ndim`` the image's
    dimensionality as PyRadiomics reads it (``input_ndim``).
    """

    image: Volume
    roi: np.ndarray
    final_roi: np.ndarray
    shape_roi: np.ndarray
    diagnostics: dict[str, Any]
    ndim: int
