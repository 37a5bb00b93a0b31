"""Segmentation: thresholds, region growing, semi-automatic outlines, metrics, robustness.

Coordinates of prompts (seed points, boxes) are voxel indices in (x, y[, z]) order -- column,
row, slice, as a user reads them in a viewer -- both here and on the command line. Masks
are returned as boolean :class:`~radiomix.io.Volume` objects on the image grid.
"""

from __future__ import annotations

from radiomix.segment._prompts import parse_coordinates, to_box, to_seeds
from radiomix.segment.cleanup import (
    clean_mask,
    keep_largest_component,
    remove_small_components,
)
from radiomix.segment.metrics import (
    dice,
    hausdorff_95,
    jaccard,
    mean_surface_distance,
    segmentation_metrics,
    surface_distances,
)
from radiomix.segment.region_growing import PREFILTERS, REGION_GROWING, prefilter, region_grow
from radiomix.segment.semiauto import (
    BOX_METHODS,
    SEED_METHODS,
    segment_from_box,
    segment_from_seed,
)
from radiomix.segment.threshold import multi_otsu_labels, otsu_threshold, threshold_segment

__all__ = [
    "BOX_METHODS",
    "PREFILTERS",
    "REGION_GROWING",
    "SEED_METHODS",
    "clean_mask",
    "dice",
    "hausdorff_95",
    "jaccard",
    "keep_largest_component",
    "mean_surface_distance",
    "multi_otsu_labels",
    "otsu_threshold",
    "parse_coordinates",
    "prefilter",
    "region_grow",
    "remove_small_components",
    "segment_from_box",
    "segment_from_seed",
    "segmentation_metrics",
    "surface_distances",
    "threshold_segment",
    "to_box",
    "to_seeds",
]
