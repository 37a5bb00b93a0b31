"""PyRadiomics' ``radiomics.glrlm``: :class:`RadiomicsGLRLM` over the engine's formulas
(:mod:`radiomix.compat._classes`)."""

from radiomix.compat._classes import feature_class

__all__ = ["RadiomicsGLRLM"]

RadiomicsGLRLM = feature_class("glrlm")
