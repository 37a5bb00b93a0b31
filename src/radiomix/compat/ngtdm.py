"""PyRadiomics' ``radiomics.ngtdm``: :class:`RadiomicsNGTDM` over the engine's formulas
(:mod:`radiomix.compat._classes`)."""

from radiomix.compat._classes import feature_class

__all__ = ["RadiomicsNGTDM"]

RadiomicsNGTDM = feature_class("ngtdm")
