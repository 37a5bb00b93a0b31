"""Gabor filter (IBSI 2 identifier Q88H): in-plane complex kernels, stacked by slice.

The kernel is a 2D complex function of the in-plane position :math:`(x, y)` in mm (columns
and rows of the plane),

.. math::

    g(x, y) = \\exp\\left(-\\frac{\\tilde{x}^2 + \\gamma^2 \\tilde{y}^2}{2\\sigma^2}\\right)
              \\exp\\left(i \\frac{2\\pi \\tilde{x}}{\\lambda}\\right), \\qquad
    \\tilde{x} = x\\cos\\theta + y\\sin\\theta, \\quad
    \\tilde{y} = -x\\sin\\theta + y\\cos\\theta,

with scale :math:`\\sigma` and wavelength :math:`\\lambda` in mm, spatial aspect ratio
:math:`\\gamma` and orientation :math:`\\theta`. It is not normalised (:math:`g(0,0) = 1`,
as in IBSI 2). Every plane of the image is convolved with it and the complex response is
turned into a real one (``modulus`` :math:`|h|` by default; ``real``, ``imaginary`` or
``argument``); the responses of the planes are stacked back into a volume.

Orientations: with ``theta_step`` the kernel is applied at :math:`\\theta + k\\,\\Delta\\theta`
for every :math:`k` with :math:`k\\,\\Delta\\theta < 360°` and the responses are pooled
voxel by voxel (IBSI 2 in-plane rotation invariance). Planes: ``axial`` filters the axial
planes only; ``orthogonal`` also filters the coronal (rows z, columns x) and sagittal
(rows z, columns y) planes and pools all responses (IBSI 2 3D rotation invariance).

Kernel size: the kernel is truncated to :math:`|u| \\le \\lfloor t\\,\\sigma_{max} / s + 1/2
\\rfloor` voxels along an axis of voxel size :math:`s`, with :math:`\\sigma_{max} = \\sigma
\\max(1, 1/\\gamma)` the largest standard deviation of the envelope and :math:`t` the
``truncate`` parameter; or to an explicit ``radius`` in voxels. The IBSI 2 reference
response maps were computed with a kernel as large as the image (65 x 65 voxels for the
64-voxel phantoms): the IBSI 2 presets set ``radius: 32``.

References
----------
Depeursinge A, Andrearczyk V, Whybra P, et al. Standardised convolutional filtering for
radiomics (IBSI 2 reference manual), arXiv:2006.05470, section "Gabor filters".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from radiomix.errors import ConfigError
from radiomix.filters._boundary import canonical_boundary
from radiomix.filters._common import canonical_spatial, check_pooling, pool, spacing3
from radiomix.filters._engine import FilterPlan, Stage, filter_array
from radiomix.filters._valid import convolve_planes, crop_centre

__all__ = [
    "GABOR_PLANES",
    "GABOR_RESPONSES",
    "gabor_filter",
    "gabor_kernel",
    "gabor_orientations",
    "gabor_plan",
]

GABOR_RESPONSES: tuple[str, ...] = ("modulus", "real", "imaginary", "argument")
GABOR_PLANES: tuple[str, ...] = ("axial", "orthogonal")

# stack axis -> (rows axis, columns axis)
_PLANE_AXES = {0: (1, 2), 1: (0, 2), 2: (0, 1)}


def gabor_kernel(
    sigma: float,
    lambda_: float,
    gamma: float,
    theta: float,
    radius: tuple[int, int],
    pixel: tuple[float, float],
) -> np.ndarray:
    """The complex Gabor kernel on a plane grid.

    Parameters
    ----------
    sigma, lambda_ : float
        Scale and wavelength in mm.
    gamma : float
        Spatial aspect ratio.
    theta : float
        Orientation in degrees.
    radius : (rows, cols) int
        Half-size of the kernel in voxels.
    pixel : (rows, cols) float
        Voxel size along the rows and columns axes, in mm.
    """
    rr = np.arange(-radius[0], radius[0] + 1, dtype=np.float64) * pixel[0]
    cc = np.arange(-radius[1], radius[1] + 1, dtype=np.float64) * pixel[1]
    y, x = np.meshgrid(rr, cc, indexing="ij")
    t = math.radians(theta)
    xr = x * math.cos(t) + y * math.sin(t)
    yr = -x * math.sin(t) + y * math.cos(t)
    envelope = np.exp(-(xr * xr + gamma * gamma * yr * yr) / (2.0 * sigma * sigma))
    return envelope * np.exp(1j * 2.0 * math.pi * xr / lambda_)


def gabor_orientations(theta: float, theta_step: float | None) -> list[float]:
    """Orientations in degrees: ``theta`` alone, or ``theta + k * theta_step`` over a turn."""
    if theta_step is None or theta_step == 0:
        return [float(theta)]
    n = 360.0 / float(theta_step)
    if theta_step < 0 or abs(n - round(n)) > 1e-9:
        raise ConfigError(
            f"Gabor theta_step must divide 360 degrees into equal steps, got {theta_step}"
        )
    return [float(theta) + k * float(theta_step) for k in range(round(n))]


def _to_real(h: np.ndarray, response: str) -> np.ndarray:
    if response == "modulus":
        return np.abs(h)
    if response == "real":
        return np.real(h).copy()
    if response == "imaginary":
        return np.imag(h).copy()
    return np.angle(h)


def gabor_plan(
    sigma: float,
    lambda_: float,
    spacing: Sequence[float],
    *,
    gamma: float = 1.0,
    theta: float = 0.0,
    theta_step: float | None = None,
    pooling: str = "mean",
    planes: str = "axial",
    response: str = "modulus",
    truncate: float = 4.0,
    radius: int | None = None,
    boundary: str = "reflect",
    spatial: str = "3D",
) -> FilterPlan:
    """A Gabor filter as a :class:`~radiomix.filters._engine.FilterPlan`.

    Parameters are those of :func:`gabor_filter`.
    """
    for name, value in (("sigma", sigma), ("lambda", lambda_), ("gamma", gamma)):
        if not (math.isfinite(value) and value > 0):
            raise ConfigError(f"Gabor {name} must be a positive number, got {value}")
    if response not in GABOR_RESPONSES:
        raise ConfigError(f"Gabor response must be one of {GABOR_RESPONSES}, got {response!r}")
    if planes not in GABOR_PLANES:
        raise ConfigError(f"Gabor planes must be one of {GABOR_PLANES}, got {planes!r}")
    if canonical_spatial(spatial) == "2D" and planes == "orthogonal":
        raise ConfigError(
            "Gabor planes 'orthogonal' (3D rotation invariance) needs spatial 3D; 2D filters "
            "work in the axial slices only"
        )
    pooling = check_pooling(pooling)
    sp = spacing3(spacing)
    if radius is not None:
        if int(radius) != radius or radius < 1:
            raise ConfigError(f"Gabor radius must be a positive number of voxels, got {radius}")
        rad = [int(radius)] * 3
    else:
        if not (math.isfinite(truncate) and truncate > 0):
            raise ConfigError(f"Gabor truncate must be positive, got {truncate}")
        sigma_max = sigma * max(1.0, 1.0 / gamma)
        rad = [max(1, math.floor(truncate * sigma_max / s + 0.5)) for s in sp]
    stacks = (0, 1, 2) if planes == "orthogonal" else (0,)
    thetas = gabor_orientations(theta, theta_step)
    stage_radius = (rad[0] if planes == "orthogonal" else 0, rad[1], rad[2])
    kernels: dict[int, list[np.ndarray]] = {}
    for s in stacks:
        ra, ca = _PLANE_AXES[s]
        kernels[s] = [
            gabor_kernel(sigma, lambda_, gamma, t, (rad[ra], rad[ca]), (sp[ra], sp[ca]))
            for t in thetas
        ]

    def one_stack(window: np.ndarray, stack: int) -> np.ndarray:
        """Responses in the planes orthogonal to ``stack``, pooled over orientations."""
        margins = [0, 0, 0]
        margins[stack] = stage_radius[stack]
        planes = crop_centre(window, margins)  # only the planes of the output box
        parts = []
        for _, responses in convolve_planes(planes, kernels[stack], stack):
            parts.append(pool((_to_real(h, response) for h in responses), pooling))
        return np.moveaxis(np.concatenate(parts, axis=0), 0, stack)

    def apply(window: np.ndarray) -> np.ndarray:
        return pool((one_stack(window, s) for s in stacks), pooling)

    return FilterPlan((Stage(stage_radius, canonical_boundary(boundary), apply),))  # type: ignore[arg-type]


def gabor_filter(
    image: np.ndarray,
    spacing: Sequence[float],
    *,
    sigma: float,
    lambda_: float,
    gamma: float = 1.0,
    theta: float = 0.0,
    theta_step: float | None = None,
    pooling: str = "mean",
    planes: str = "axial",
    response: str = "modulus",
    truncate: float = 4.0,
    radius: int | None = None,
    boundary: str = "reflect",
    spatial: str = "3D",
) -> np.ndarray:
    """Gabor response of a whole (z, y, x) image.

    Parameters
    ----------
    image : ndarray (z, y, x)
    spacing : (z, y, x) float
        Voxel size in mm.
    sigma : float
        Scale of the Gaussian envelope in mm.
    lambda_ : float
        Wavelength in mm.
    gamma : float
        Spatial aspect ratio of the envelope.
    theta : float
        Orientation in degrees (first orientation with ``theta_step``).
    theta_step : float, optional
        Step between pooled orientations in degrees (must divide 360).
    pooling : {"mean", "max", "min"}
        Pooling over orientations and planes.
    planes : {"axial", "orthogonal"}
        Filter the axial planes only, or all three orthogonal plane directions (pooled).
    response : {"modulus", "real", "imaginary", "argument"}
    truncate : float
        Kernel half-size in multiples of the envelope's largest standard deviation.
    radius : int, optional
        Kernel half-size in voxels (overrides ``truncate``).
    boundary : str
        ``constant``, ``nearest``, ``wrap`` or ``reflect`` (IBSI 2 "mirror").
    spatial : {"3D", "2D"}
        2D forbids ``planes="orthogonal"``.

    Returns
    -------
    ndarray of float64
    """
    plan = gabor_plan(
        sigma,
        lambda_,
        spacing,
        gamma=gamma,
        theta=theta,
        theta_step=theta_step,
        pooling=pooling,
        planes=planes,
        response=response,
        truncate=truncate,
        radius=radius,
        boundary=boundary,
        spatial=spatial,
    )
    return filter_array(plan, image)
