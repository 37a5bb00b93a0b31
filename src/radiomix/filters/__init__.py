"""Image filters: image -> image transforms (IBSI 2 filters, wavelets, PyRadiomics image types).

============== ================================ ========= ===============================
filter name    what                             IBSI 2 id module
============== ================================ ========= ===============================
mean           mean filter                      S60F      :mod:`radiomix.filters.mean`
log            Laplacian of Gaussian            L6PA      :mod:`radiomix.filters.log`
laws           Laws kernels (+ energy map)      JTXT      :mod:`radiomix.filters.laws`
gabor          Gabor filter                     Q88H      :mod:`radiomix.filters.gabor`
wavelet        separable undecimated wavelets   25BO      :mod:`radiomix.filters.wavelet`
simoncelli     Simoncelli non-separable wavelet LODD      :mod:`radiomix.filters.wavelet`
pyradiomics_*  PyRadiomics 3.0.1 image types    (none)    :mod:`radiomix.filters.pyradiomics`
============== ================================ ========= ===============================

Every filter takes (z, y, x) arrays and parameters in mm (voxel counts where IBSI 2 uses
them); boundary conditions are ``constant`` (zero padding), ``nearest``, ``wrap``
(periodic) and ``reflect`` (IBSI 2 "mirror"), see :mod:`radiomix.filters._boundary`.

The registry (:mod:`radiomix.filters.registry`) names every filter and checks its
parameters; extraction configurations list filters in their ``filters`` section, and the
pipeline computes each response map on the ROI's bounding box plus the margin its kernel
needs, with exactly the values of filtering the whole image
(:mod:`radiomix.filters._engine`).

Examples
--------
>>> import numpy as np
>>> from radiomix.filters import apply_filter
>>> image = np.zeros((9, 9, 9)); image[4, 4, 4] = 1.0
>>> response = apply_filter(image, "log", spacing=(1, 1, 1), sigma=1.0, boundary="constant")
>>> round(float(response[4, 4, 4]), 4)  # -3 / (2 pi)^(3/2) at the centre of the kernel
-0.1905
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from radiomix._lazy import lazy_names

if TYPE_CHECKING:
    import numpy as np

    from radiomix.filters._boundary import BOUNDARY_MODES, canonical_boundary
    from radiomix.filters._engine import FilterPlan, run_plan, source_region
    from radiomix.filters.gabor import gabor_filter
    from radiomix.filters.laws import laws_filter
    from radiomix.filters.log import log_filter
    from radiomix.filters.mean import mean_filter
    from radiomix.filters.registry import (
        FILTERS,
        FilterDefinition,
        ResolvedFilter,
        expand_filter,
        filter_names,
        get_filter,
        parse_filter,
    )

#: the package's names and their modules, imported on first use: the PyRadiomics
#: profile reads only :mod:`radiomix.filters.pyradiomics`, and a case without filters
#: needs none of them
_NAMES = {
    "BOUNDARY_MODES": "_boundary",
    "canonical_boundary": "_boundary",
    "FilterPlan": "_engine",
    "run_plan": "_engine",
    "source_region": "_engine",
    "gabor_filter": "gabor",
    "laws_filter": "laws",
    "log_filter": "log",
    "mean_filter": "mean",
    "FILTERS": "registry",
    "FilterDefinition": "registry",
    "ResolvedFilter": "registry",
    "expand_filter": "registry",
    "filter_names": "registry",
    "get_filter": "registry",
    "parse_filter": "registry",
}


__getattr__ = lazy_names(__name__, _NAMES, globals())


__all__ = [
    "BOUNDARY_MODES",
    "FILTERS",
    "FilterDefinition",
    "FilterPlan",
    "ResolvedFilter",
    "apply_filter",
    "canonical_boundary",
    "expand_filter",
    "filter_names",
    "gabor_filter",
    "get_filter",
    "laws_filter",
    "log_filter",
    "mean_filter",
    "parse_filter",
    "run_plan",
    "source_region",
]


def apply_filter(
    image: np.ndarray, name: str, *, spacing: Sequence[float] = (1.0, 1.0, 1.0), **params: Any
) -> np.ndarray:
    """Response map of a registered filter on a whole (z, y, x) or (y, x) array.

    Parameters
    ----------
    image : ndarray
        The image; a 2D array is one slice.
    name : str
        Registry name (:func:`filter_names`).
    spacing : (z, y, x) float
        Voxel size in mm (used by filters whose parameters are in mm).
    **params
        The filter's parameters, as in a configuration's ``filters`` entry (scalars only).

    Returns
    -------
    ndarray of float64, the shape of ``image``

    Raises
    ------
    ConfigError
        Unknown filter or parameter, a bad value, or a list value (which would make
        several maps).
    """
    import numpy as np

    from radiomix.errors import ConfigError
    from radiomix.filters._engine import run_plan
    from radiomix.filters.registry import expand_filter, parse_filter

    fname, prm = parse_filter({"filter": name, **params}, where="apply_filter")
    resolved = expand_filter(fname, prm)
    if len(resolved) != 1:
        raise ConfigError(
            f"apply_filter makes one response map; the parameters give {len(resolved)} "
            f"({', '.join(r.image_type for r in resolved)}): pass scalar values"
        )
    plan = resolved[0].plan(spacing)
    if plan.domain is not None and plan.domain.pad is not None:
        raise ConfigError(
            f"{resolved[0].image_type} works on a ROI's bounding box plus a margin; pass "
            "pad_distance=None to filter the whole array"
        )
    arr = np.asarray(image, dtype=np.float64)
    if arr.ndim == 2:
        return run_plan(plan, arr[np.newaxis])[0]
    return run_plan(plan, arr)
