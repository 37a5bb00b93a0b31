"""PyRadiomics' ``radiomics.shape2D`` (its module name, so the file name is not snake case): :class:`RadiomicsShape2D` over the engine's formulas
(:mod:`radiomix.compat._classes`)."""

from radiomix.compat._classes import feature_class

__all__ = ["RadiomicsShape2D"]

RadiomicsShape2D = feature_class("shape2D")
