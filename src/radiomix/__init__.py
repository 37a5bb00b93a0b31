"""radiomix: radiomics from images to validated models.

>>> import radiomix
>>> table = radiomix.extract("image.nii.gz", "mask.nii.gz", config="default")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "extract"]

if TYPE_CHECKING:
    from radiomix.extraction.api import extract


def __getattr__(name: str) -> Any:
    # imported on first use: `import radiomix` stays light, and the command line starts fast
    if name == "extract":
        from radiomix.extraction.api import extract

        return extract
    raise AttributeError(f"module 'radiomix' has no attribute {name!r}")
