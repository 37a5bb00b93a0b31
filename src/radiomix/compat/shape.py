"""PyRadiomics' ``radiomics.shape``: :class:`RadiomicsShape` over the engine's formulas
(:mod:`radiomix.compat._classes`)."""

from radiomix.compat._classes import feature_class

__all__ = ["RadiomicsShape"]

RadiomicsShape = feature_class("shape")
