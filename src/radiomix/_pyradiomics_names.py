"""PyRadiomics 3.0.1's image types in its documented order: the one list that the settings
(``extraction.settings``: which types a parameter file may enable) and the filter registry
(``filters.registry``: the order of ``radiomix filter --list``) both read. It sits on the
ground floor because the filters may not import ``extraction``; the types' definitions are
the rows of :data:`radiomix.filters.pyradiomics.PYRADIOMICS_IMAGE_TYPES`."""

from __future__ import annotations

__all__ = ["PYRADIOMICS_IMAGE_TYPE_ORDER"]

PYRADIOMICS_IMAGE_TYPE_ORDER = (
    "Original",
    "LoG",
    "Wavelet",
    "Square",
    "SquareRoot",
    "Logarithm",
    "Exponential",
    "Gradient",
    "LBP2D",
    "LBP3D",
)
