"""PyRadiomics' ``radiomics.glcm``: :class:`RadiomicsGLCM` over the engine's formulas
(:mod:`radiomix.compat._classes`)."""

from radiomix.compat._classes import feature_class

__all__ = ["RadiomicsGLCM"]

RadiomicsGLCM = feature_class("glcm")
