"""PyRadiomics' ``shape2D`` names, kept at this import path: the class is the 2D morphology
family's formulas (:mod:`radiomix.features.morphology_2d`), named in
:data:`radiomix.features.pyradiomics_profile.SHAPE2D_FORMULAS`, with the population
covariance of the pixel centres (the engine's switch ``covariance_ddof`` 0)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from radiomix.features import morphology_2d
from radiomix.features.pyradiomics_profile import (
    SHAPE2D_FORMULAS,
    default_features,
    shape2d_features,
)

__all__ = ["DEFAULT_NAMES", "NAMES", "contour_segments", "shape2d_features"]

#: every shape2D feature, in PyRadiomics' output order (by method name)
NAMES = tuple(SHAPE2D_FORMULAS)
#: the features PyRadiomics computes when the class is enabled without a feature list
DEFAULT_NAMES = default_features("shape2D")


def contour_segments(mask: np.ndarray, spacing: Sequence[float] | np.ndarray) -> np.ndarray:
    """The engine's marching-squares outline of a 2D mask as segments in mm, shape
    (N_f, 2, 2), in PyRadiomics' orientation: with :math:`a_i, b_i` = ``[i, 0]``,
    ``[i, 1]`` in (row, column), :math:`\\frac{1}{2}\\sum_i (a_{i,r} b_{i,c} - b_{i,r}
    a_{i,c})` is the enclosed area (holes subtract)."""
    sp = [float(s) for s in np.asarray(spacing, dtype=np.float64)]
    m = morphology_2d.build_morphology_2d(np.asarray(mask, dtype=bool), (sp[0], sp[1]))
    return m.segments[:, ::-1]
