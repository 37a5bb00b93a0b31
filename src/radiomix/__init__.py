"""radiomix: radiomics from images to validated models.

>>> import radiomix
>>> table = radiomix.extract("image.nii.gz", "mask.nii.gz", config="default")  # doctest: +SKIP
"""

from __future__ import annotations

from radiomix.extraction.api import extract

__version__ = "0.1.0"

__all__ = ["__version__", "extract"]
