"""Feature families, one module each, every feature registered with its IBSI code.

============== ============================ =====================================
family         module                       IBSI 1 chapter
============== ============================ =====================================
morphology     :mod:`.morphology`           morphological features
morphology_2d  :mod:`.morphology_2d`        (not in IBSI 1: 2D shape of planar ROIs)
local_intensity :mod:`.local_intensity`     local intensity features
statistics     :mod:`.statistics`           intensity-based statistical features
histogram      :mod:`.histogram`            intensity histogram features
ivh            :mod:`.ivh`                  intensity-volume histogram features
glcm           :mod:`.glcm`                 grey level co-occurrence matrix
glrlm          :mod:`.glrlm`                grey level run length matrix
glszm          :mod:`.glszm`                grey level size zone matrix
gldzm          :mod:`.gldzm`                grey level distance zone matrix
ngtdm          :mod:`.ngtdm`                neighbourhood grey tone difference matrix
ngldm          :mod:`.ngldm`                neighbouring grey level dependence matrix
============== ============================ =====================================
"""

from __future__ import annotations

import importlib
from types import ModuleType

from radiomix.features._base import FeatureSpec, FeatureValue

__all__ = ["FAMILIES", "FeatureSpec", "FeatureValue", "all_features", "family_module"]

#: family name -> module (imported on first use, so that one family's import cost or
#: failure never affects another)
FAMILIES: tuple[str, ...] = (
    "morphology",
    "morphology_2d",
    "local_intensity",
    "statistics",
    "histogram",
    "ivh",
    "glcm",
    "glrlm",
    "glszm",
    "gldzm",
    "ngtdm",
    "ngldm",
)


def family_module(family: str) -> ModuleType:
    """The module of a feature family (``FEATURES`` table and ``compute`` function)."""
    if family not in FAMILIES:
        raise KeyError(f"unknown feature family {family!r}; families: {', '.join(FAMILIES)}")
    return importlib.import_module(f"radiomix.features.{family}")


def all_features() -> list[FeatureSpec]:
    """Every registered feature, family by family, in registry order."""
    return [spec for fam in FAMILIES for spec in family_module(fam).FEATURES]
