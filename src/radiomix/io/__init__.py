"""Reading and writing images and masks; the :class:`Volume` type; geometry and ROI checks.

Every array is in (z, y, x) order with spacing, origin and direction in the same order. ITK's
(x, y, z) order is converted here and nowhere else.
"""

from __future__ import annotations

from radiomix.io._masks import check_geometry, check_roi, mask_labels, read_mask, select_label
from radiomix.io._readers import (
    ImageConversionWarning,
    check_finite,
    from_sitk,
    read_image,
    to_sitk,
)
from radiomix.io._volume import Volume
from radiomix.io._writers import write_volume

__all__ = [
    "ImageConversionWarning",
    "Volume",
    "check_finite",
    "check_geometry",
    "check_roi",
    "from_sitk",
    "mask_labels",
    "read_image",
    "read_mask",
    "select_label",
    "to_sitk",
    "write_volume",
]
