"""``radiomics.base``: the feature classes' common base, ``RadiomicsFeaturesBase``.

Its constructor ``(inputImage, inputMask, **kwargs)``, ``enableFeatureByName``,
``enableAllFeatures``, ``disableAllFeatures``, ``getFeatureNames`` and ``execute`` are
PyRadiomics 3.0.1's (see :mod:`radiomix.compat._classes`).
"""

from radiomix.compat._classes import RadiomicsFeaturesBase

__all__ = ["RadiomicsFeaturesBase"]
