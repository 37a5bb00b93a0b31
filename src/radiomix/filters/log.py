"""Laplacian of Gaussian filter (IBSI 2 identifier L6PA).

IBSI 2 defines the kernel on the voxel grid, with the scale :math:`\\sigma` given in mm
and converted to voxels (:math:`\\sigma^* = \\sigma / s` for voxel size :math:`s`):

.. math::

    g(\\mathbf{u}) = -\\frac{1}{\\sigma^{*2}}
        \\left(\\frac{1}{\\sqrt{2\\pi\\sigma^{*2}}}\\right)^{D}
        \\left(D - \\frac{\\lVert\\mathbf{u}\\rVert^2}{\\sigma^{*2}}\\right)
        \\exp\\left(-\\frac{\\lVert\\mathbf{u}\\rVert^2}{2\\sigma^{*2}}\\right),

:math:`\\mathbf{u}` in voxels, :math:`D = 3` (volumetric) or :math:`D = 2` (slice by
slice), truncated to :math:`|u_a| \\le \\lfloor t\\,\\sigma^*_a + 1/2 \\rfloor` along each axis
(truncation :math:`t`, 4 by default: a support of :math:`1 + 2\\lfloor 4\\sigma^* + 1/2
\\rfloor` voxels). The response is the convolution :math:`h = f * g`.

The kernel is the sum of :math:`D` separable terms (the Laplacian of a product of 1D
Gaussians :math:`G_a`): :math:`g = \\sum_a G_a'' \\prod_{b \\ne a} G_b` with
:math:`G''(u) = (u^2/\\sigma^{*2} - 1)\\,G(u) / \\sigma^{*2}`, which is how it is computed
(:math:`D^2` one-dimensional passes instead of a :math:`D`-dimensional convolution; the
same truncated kernel, so the same values).

Anisotropic grids (IBSI 2 asks for isotropic voxels before filtering; radiomix still gives
a defined answer): the Gaussian is isotropic in mm (:math:`\\sigma^*_a = \\sigma / s_a` per
axis) and the Laplacian is taken in mm and scaled by :math:`\\bar{s}^2`, the squared
geometric mean of the voxel sizes of the filtered axes. On isotropic grids this is exactly
the IBSI 2 kernel above.

References
----------
Depeursinge A, Andrearczyk V, Whybra P, et al. Standardised convolutional filtering for
radiomics (IBSI 2 reference manual), arXiv:2006.05470, section "Laplacian of Gaussian".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from radiomix.errors import ConfigError
from radiomix.filters._boundary import canonical_boundary
from radiomix.filters._common import canonical_spatial, spacing3
from radiomix.filters._engine import FilterPlan, Stage, filter_array
from radiomix.filters._valid import correlate_axis

__all__ = ["log_filter", "log_kernels", "log_plan"]


def log_kernels(sigma_vox: float, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """1D Gaussian :math:`G` and its second derivative :math:`G''` on ``-radius..radius``.

    Parameters
    ----------
    sigma_vox : float
        Standard deviation in voxels.
    radius : int
        Half-length of the kernels in voxels.
    """
    u = np.arange(-radius, radius + 1, dtype=np.float64)
    s2 = sigma_vox * sigma_vox
    g = np.exp(-(u * u) / (2.0 * s2)) / math.sqrt(2.0 * math.pi * s2)
    d2 = (u * u / s2 - 1.0) / s2 * g
    return g, d2


def log_plan(
    sigma: float,
    spacing: Sequence[float],
    *,
    truncate: float = 4.0,
    boundary: str = "reflect",
    spatial: str = "3D",
) -> FilterPlan:
    """The Laplacian of Gaussian filter as a :class:`~radiomix.filters._engine.FilterPlan`.

    Parameters
    ----------
    sigma : float
        Scale in mm.
    spacing : (z, y, x) float
        Voxel size in mm.
    truncate : float
        Kernel half-width in multiples of :math:`\\sigma^*` (rounded to whole voxels).
    boundary : str
        Boundary condition.
    spatial : {"3D", "2D"}
    """
    if not (math.isfinite(sigma) and sigma > 0):
        raise ConfigError(f"LoG sigma must be a positive number of mm, got {sigma}")
    if not (math.isfinite(truncate) and truncate > 0):
        raise ConfigError(f"LoG truncate must be positive, got {truncate}")
    sp = spacing3(spacing)
    two_d = canonical_spatial(spatial) == "2D"
    axes = (1, 2) if two_d else (0, 1, 2)
    sig = {a: sigma / sp[a] for a in axes}
    rad = {a: math.floor(truncate * sig[a] + 0.5) for a in axes}
    pieces = {a: log_kernels(sig[a], rad[a]) for a in axes}
    scale = math.exp(2.0 * sum(math.log(sp[a]) for a in axes) / len(axes))  # s_bar^2
    weights = {a: scale / (sp[a] * sp[a]) for a in axes}

    def apply(window: np.ndarray) -> np.ndarray:
        total: np.ndarray | None = None
        # term a: G'' along a, G along the other filtered axes; the passes along the last
        # axis are shared between the terms that use the same kernel there
        last = axes[-1]
        smooth_last = correlate_axis(window, pieces[last][0], last)
        for a in axes:
            base = correlate_axis(window, pieces[last][1], last) if a == last else smooth_last
            out = base
            for b in axes[:-1]:
                out = correlate_axis(out, pieces[b][1] if b == a else pieces[b][0], b)
            out = out * weights[a]
            total = out if total is None else total + out
        assert total is not None
        return total

    radius = tuple(rad.get(a, 0) for a in range(3))
    return FilterPlan((Stage(radius, canonical_boundary(boundary), apply),))  # type: ignore[arg-type]


def log_filter(
    image: np.ndarray,
    spacing: Sequence[float],
    *,
    sigma: float,
    truncate: float = 4.0,
    boundary: str = "reflect",
    spatial: str = "3D",
) -> np.ndarray:
    """Laplacian of Gaussian response of a whole (z, y, x) image.

    Parameters
    ----------
    image : ndarray (z, y, x)
    spacing : (z, y, x) float
        Voxel size in mm.
    sigma : float
        Scale in mm.
    truncate : float
        Kernel half-width in multiples of sigma (4 in IBSI 2).
    boundary : str
        ``constant``, ``nearest``, ``wrap`` or ``reflect`` (IBSI 2 "mirror").
    spatial : {"3D", "2D"}

    Returns
    -------
    ndarray of float64
    """
    plan = log_plan(sigma, spacing, truncate=truncate, boundary=boundary, spatial=spatial)
    return filter_array(plan, image)
