"""Image processing: interpolation, re-segmentation, discretisation, cropping (IBSI 1),
and PyRadiomics' whole-image normalisation.

Pure functions on :class:`~radiomix.io.Volume` objects and arrays; no file access.
"""

from __future__ import annotations

from radiomix.preprocess.crop import bounding_box, crop_to_roi
from radiomix.preprocess.discretisation import (
    bin_edges_pyradiomics,
    discretise,
    discretise_fixed_bin_number,
    discretise_fixed_bin_size,
)
from radiomix.preprocess.normalise import normalise
from radiomix.preprocess.resample import (
    INTERPOLATION_ORDERS,
    Grid,
    resample_image,
    resample_mask,
    resampled_grid,
)
from radiomix.preprocess.resegment import (
    RESEGMENT_MODES,
    outlier_bounds,
    resegment_outliers,
    resegment_range,
    resegment_thresholds,
)

__all__ = [
    "INTERPOLATION_ORDERS",
    "RESEGMENT_MODES",
    "Grid",
    "bin_edges_pyradiomics",
    "bounding_box",
    "crop_to_roi",
    "discretise",
    "discretise_fixed_bin_number",
    "discretise_fixed_bin_size",
    "normalise",
    "outlier_bounds",
    "resample_image",
    "resample_mask",
    "resampled_grid",
    "resegment_outliers",
    "resegment_range",
    "resegment_thresholds",
]
