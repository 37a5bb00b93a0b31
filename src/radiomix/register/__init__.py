"""Registration (SimpleITK): transforms between images, masks and images carried between grids.

A registration transform maps points of the FIXED image's space to the MOVING image's space:
:func:`resample_image` uses it as it is to bring MOVING onto FIXED's grid, :func:`propagate`
inverts it to carry a mask drawn on FIXED onto MOVING's grid.
"""

from __future__ import annotations

from radiomix.register.propagate import (
    inverse_transform,
    propagate,
    read_transform,
    resample_image,
)
from radiomix.register.qc import body_mask, body_overlap, dice, mask_figure, qc_figure
from radiomix.register.registration import (
    METHODS,
    METRICS,
    RegistrationResult,
    register,
    transform_parameters,
)

__all__ = [
    "METHODS",
    "METRICS",
    "RegistrationResult",
    "body_mask",
    "body_overlap",
    "dice",
    "inverse_transform",
    "mask_figure",
    "propagate",
    "qc_figure",
    "read_transform",
    "register",
    "resample_image",
    "transform_parameters",
]
