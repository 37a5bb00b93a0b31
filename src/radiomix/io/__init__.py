"""Reading and writing images and masks; the :class:`Volume` type; geometry and ROI checks.

Every array is in (z, y, x) order with spacing, origin and direction in the same order. ITK's
(x, y, z) order is converted here and nowhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from radiomix._lazy import lazy_names
from radiomix.io._masks import (
    check_geometry,
    check_roi,
    dicom_roi_file,
    mask_labels,
    read_mask,
    read_rois,
    select_label,
)
from radiomix.io._readers import (
    ImageConversionWarning,
    check_finite,
    from_sitk,
    read_image,
    to_sitk,
    to_sitk_2d,
)
from radiomix.io._volume import Volume
from radiomix.io._writers import write_volume

if TYPE_CHECKING:
    from radiomix.io._dicom import DicomSeriesInfo, SliceSpacingWarning, list_dicom_series
    from radiomix.io._rtstruct import RoiConversionWarning, read_rtstruct, rtstruct_roi_names
    from radiomix.io._seg import read_seg, seg_segment_labels

#: DICOM series, RTSTRUCT and SEG: their modules load on first use (~4 ms of every
#: process's start that reads NRRD or NIfTI only)
_DICOM_NAMES = {
    "DicomSeriesInfo": "_dicom",
    "SliceSpacingWarning": "_dicom",
    "list_dicom_series": "_dicom",
    "RoiConversionWarning": "_rtstruct",
    "read_rtstruct": "_rtstruct",
    "rtstruct_roi_names": "_rtstruct",
    "read_seg": "_seg",
    "seg_segment_labels": "_seg",
}


__getattr__ = lazy_names(__name__, _DICOM_NAMES, globals())


__all__ = [
    "DicomSeriesInfo",
    "ImageConversionWarning",
    "RoiConversionWarning",
    "SliceSpacingWarning",
    "Volume",
    "check_finite",
    "check_geometry",
    "check_roi",
    "dicom_roi_file",
    "from_sitk",
    "list_dicom_series",
    "mask_labels",
    "read_image",
    "read_mask",
    "read_rois",
    "read_rtstruct",
    "read_seg",
    "rtstruct_roi_names",
    "seg_segment_labels",
    "select_label",
    "to_sitk",
    "to_sitk_2d",
    "write_volume",
]
