"""The names of the segmentation methods and pre-filters.

Kept apart from the modules that implement them (SimpleITK, SciPy, scikit-image) so that the
command line can offer them as choices without importing those libraries. The implementing
modules re-export them: :data:`radiomix.segment.region_growing.PREFILTERS`,
:data:`radiomix.segment.semiauto.SEED_METHODS`, ...
"""

from __future__ import annotations

__all__ = ["BOX_METHODS", "PREFILTERS", "REGION_GROWING", "SEED_METHODS"]

#: noise/speckle pre-filters before region growing (:func:`radiomix.segment.prefilter`)
PREFILTERS = ("curvature_flow", "anisotropic", "median", "gaussian", "none")
#: region growing criteria (:func:`radiomix.segment.region_grow`)
REGION_GROWING = ("confidence", "connected", "neighborhood")
#: outlines from a bounding box (:func:`radiomix.segment.segment_from_box`)
BOX_METHODS = ("graphcut", "ellipse", "box")
#: outlines from seed points (:func:`radiomix.segment.segment_from_seed`)
SEED_METHODS = ("rays", *REGION_GROWING)
