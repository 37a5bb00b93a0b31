"""PyRadiomics' ``radiomics.gldm``: :class:`RadiomicsGLDM` over the engine's formulas
(:mod:`radiomix.compat._classes`)."""

from radiomix.compat._classes import feature_class

__all__ = ["RadiomicsGLDM"]

RadiomicsGLDM = feature_class("gldm")
