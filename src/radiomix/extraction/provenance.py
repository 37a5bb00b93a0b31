"""Provenance of batch results: what computed each row, from which inputs, with which settings.

Every row of a batch table carries ``provenance_*`` columns:

================================  ===========================================================
``provenance_image``              image path as written in the manifest
``provenance_mask``               mask path as written in the manifest
``provenance_image_sha256``       SHA-256 of the image file (of every file, for a folder)
``provenance_mask_sha256``        SHA-256 of the mask file
``provenance_settings_hash``      :func:`~radiomix.extraction.settings.settings_hash` of the
                                  resolved settings, written in full beside the output as
                                  ``<out stem>.settings.yaml``
``provenance_radiomix_version``   and ``_python_``, ``_numpy_``, ``_scipy_``, ``_simpleitk_``,
                                  ``_numba_version``: the versions in the process that
                                  computed the row (a Dask worker may differ from the client)
================================  ===========================================================

The geometry of each case is in the diagnostics columns the single-case table already has
(IBSI diagnostic tags): image size ``diagnostics_img_dim_{x,y,z}_init_img``, voxel spacing
``diagnostics_vox_dim_{x,y,z}_init_img``, ROI voxel count
``diagnostics_int_mask_vox_count_init_roi`` and ROI bounding box size
``diagnostics_int_mask_bb_dim_{x,y,z}_init_roi``. The position of the bounding box in the
image is not recorded yet. Nothing here depends on the host or the clock, so tables from
different executors are identical.
"""

from __future__ import annotations

import platform
from functools import lru_cache

__all__ = ["PROVENANCE_PREFIX", "environment_versions"]

PROVENANCE_PREFIX = "provenance_"


@lru_cache(maxsize=1)
def environment_versions() -> dict[str, str]:
    """Versions of radiomix, Python and the numerical libraries in this process."""
    import numba
    import numpy
    import scipy
    import SimpleITK

    from radiomix import __version__

    return {
        "radiomix_version": __version__,
        "python_version": platform.python_version(),
        "numpy_version": numpy.__version__,
        "scipy_version": scipy.__version__,
        "simpleitk_version": str(SimpleITK.__version__),
        "numba_version": numba.__version__,
    }
