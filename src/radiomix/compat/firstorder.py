"""PyRadiomics' ``radiomics.firstorder``: :class:`RadiomicsFirstOrder` over the engine's formulas
(:mod:`radiomix.compat._classes`)."""

from radiomix.compat._classes import feature_class

__all__ = ["RadiomicsFirstOrder"]

RadiomicsFirstOrder = feature_class("firstorder")
