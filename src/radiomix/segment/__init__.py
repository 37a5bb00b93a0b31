"""Segmentation: thresholds, region growing, semi-automatic outlines, metrics, perturbations.

Coordinates of prompts (seed points, boxes) are voxel indices in (x, y[, z]) order -- column,
row, slice, as a user reads them in a viewer -- both here and on the command line. Masks
are returned as boolean :class:`~radiomix.io.Volume` objects on the image grid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from radiomix._lazy import lazy_names

if TYPE_CHECKING:
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
        segment_prompt,
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
    "segment_prompt",
    "segmentation_metrics",
    "surface_distances",
    "threshold_segment",
    "to_box",
    "to_seeds",
]

#: public name -> the module that defines it. The modules are imported on first use: they
#: load SimpleITK, SciPy and scikit-image, which ``import radiomix.segment`` (and the
#: command line's ``--help``) should not pay for.
_HOME = {
    **dict.fromkeys(("parse_coordinates", "to_box", "to_seeds"), "_prompts"),
    **dict.fromkeys(("clean_mask", "keep_largest_component", "remove_small_components"), "cleanup"),
    **dict.fromkeys(
        (
            "dice",
            "hausdorff_95",
            "jaccard",
            "mean_surface_distance",
            "segmentation_metrics",
            "surface_distances",
        ),
        "metrics",
    ),
    **dict.fromkeys(("BOX_METHODS", "PREFILTERS", "REGION_GROWING", "SEED_METHODS"), "_methods"),
    **dict.fromkeys(("prefilter", "region_grow"), "region_growing"),
    **dict.fromkeys(("segment_from_box", "segment_from_seed", "segment_prompt"), "semiauto"),
    **dict.fromkeys(("multi_otsu_labels", "otsu_threshold", "threshold_segment"), "threshold"),
}
#: the submodules this package imported eagerly before: still reachable as attributes
_SUBMODULES = frozenset(
    ("_graphcut", "_prompts", "cleanup", "metrics", "region_growing", "semiauto", "threshold")
)


__getattr__ = lazy_names(__name__, _HOME, globals(), _SUBMODULES)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
