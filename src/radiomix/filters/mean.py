"""Mean filter (IBSI 2 identifier S60F).

The response at voxel :math:`\\mathbf{k}` is the average of the image over the cube (3D)
or square (2D, slice by slice) of :math:`d` voxels per side centred on it,

.. math::

    h(\\mathbf{k}) = \\frac{1}{d^{D}} \\sum_{\\mathbf{j} \\in [-M, M]^{D}}
        f(\\mathbf{k} + \\mathbf{j}), \\qquad d = 2M + 1,

with :math:`D = 3` (volumetric) or :math:`D = 2` (in-plane), and intensities beyond the
image given by the boundary condition. The support :math:`d` is in voxels and must be odd.

References
----------
Depeursinge A, Andrearczyk V, Whybra P, et al. Standardised convolutional filtering for
radiomics (IBSI 2 reference manual), arXiv:2006.05470, section "Mean filter".
"""

from __future__ import annotations

import numpy as np

from radiomix.errors import ConfigError
from radiomix.filters._boundary import canonical_boundary
from radiomix.filters._common import canonical_spatial
from radiomix.filters._engine import FilterPlan, Stage, filter_array
from radiomix.filters._valid import uniform_axis

__all__ = ["mean_filter", "mean_plan"]


def mean_plan(support: int, *, boundary: str = "reflect", spatial: str = "3D") -> FilterPlan:
    """The mean filter as a :class:`~radiomix.filters._engine.FilterPlan`.

    Parameters
    ----------
    support : int
        Side :math:`d` of the averaging window in voxels (odd, >= 1).
    boundary : str
        Boundary condition (``constant``, ``nearest``, ``wrap``, ``reflect``).
    spatial : {"3D", "2D"}
        Cube in the volume, or square in every axial slice.
    """
    if int(support) != support or support < 1 or int(support) % 2 != 1:
        raise ConfigError(f"mean filter support must be an odd number of voxels, got {support}")
    d = int(support)
    m = d // 2
    two_d = canonical_spatial(spatial) == "2D"
    axes = (1, 2) if two_d else (0, 1, 2)

    def apply(window: np.ndarray) -> np.ndarray:
        out = window
        for a in axes:
            out = uniform_axis(out, d, a)
        return np.asarray(out, dtype=np.float64)

    radius = (0, m, m) if two_d else (m, m, m)
    return FilterPlan((Stage(radius, canonical_boundary(boundary), apply),))


def mean_filter(
    image: np.ndarray, *, support: int, boundary: str = "reflect", spatial: str = "3D"
) -> np.ndarray:
    """Mean filter response of a whole (z, y, x) image.

    Parameters
    ----------
    image : ndarray (z, y, x) or (y, x)
    support : int
        Odd side of the averaging window, in voxels.
    boundary : str
        ``constant`` (zero padding), ``nearest``, ``wrap`` (periodic) or ``reflect``
        (IBSI 2 "mirror").
    spatial : {"3D", "2D"}

    Returns
    -------
    ndarray of float64, the shape of ``image``

    Examples
    --------
    >>> import numpy as np
    >>> row = np.arange(5.0)[np.newaxis, np.newaxis, :]  # one row: (1, 1, 5)
    >>> mean_filter(row, support=3, spatial="2D", boundary="nearest")[0, 0]
    array([0.33333333, 1.        , 2.        , 3.        , 3.66666667])
    """
    return filter_array(mean_plan(support, boundary=boundary, spatial=spatial), image)
