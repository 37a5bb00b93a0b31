"""Feature families, one module each, every feature registered with its IBSI code.

============== ============================ =====================================
family         module                       IBSI 1 chapter
============== ============================ =====================================
morphology     :mod:`.morphology`           morphological features
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

from types import ModuleType

from radiomix.features import (
    gldzm,
    glcm,
    glrlm,
    glszm,
    histogram,
    ivh,
    local_intensity,
    morphology,
    ngldm,
    ngtdm,
    statistics,
)
from radiomix.features._base import FeatureSpec, FeatureValue

__all__ = ["FAMILY_MODULES", "FeatureSpec", "FeatureValue", "all_features"]

FAMILY_MODULES: dict[str, ModuleType] = {
    "morphology": morphology,
    "local_intensity": local_intensity,
    "statistics": statistics,
    "histogram": histogram,
    "ivh": ivh,
    "glcm": glcm,
    "glrlm": glrlm,
    "glszm": glszm,
    "gldzm": gldzm,
    "ngtdm": ngtdm,
    "ngldm": ngldm,
}


def all_features() -> list[FeatureSpec]:
    """Every registered feature, family by family, in registry order."""
    return [spec for mod in FAMILY_MODULES.values() for spec in mod.FEATURES]
