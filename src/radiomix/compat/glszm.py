"""PyRadiomics' ``radiomics.glszm``: :class:`RadiomicsGLSZM` over the engine's formulas
(:mod:`radiomix.compat._classes`)."""

from radiomix.compat._classes import feature_class

__all__ = ["RadiomicsGLSZM"]

RadiomicsGLSZM = feature_class("glszm")
