"""Laws kernels (IBSI 2 identifier JTXT): separable texture filters and energy maps.

A Laws filter combines one 1D kernel per axis, named in (x, y, z) order: ``"E5L5S5"``
filters with E5 along x, L5 along y and S5 along z (3D); ``"L5S5"`` filters every axial
slice with L5 along x and S5 along y (2D). The 1D kernels (IBSI 2 table "Laws kernels"),
each normalised to unit L2 norm (divided by :math:`\\sqrt{\\sum_i k_i^2}`), are

====== ====================== ====== ======================
L3     (1, 2, 1)              L5     (1, 4, 6, 4, 1)
E3     (-1, 0, 1)             E5     (-1, -2, 0, 2, 1)
S3     (-1, 2, -1)            S5     (-1, 0, 2, 0, -1)
\\      \\                      W5     (-1, 2, 0, -2, 1)
\\      \\                      R5     (1, -4, 6, -4, 1)
====== ====================== ====== ======================

(level, edge, spot, wave, ripple). The response is the convolution with the separable
kernel :math:`g = g_x \\otimes g_y \\otimes g_z`:

.. math::

    h = f * g .

Rotation invariance (optional): the response is computed for the kernel turned by each of
the 24 right-angle rotations of the cube (3D; the 4 quarter turns in the slice for 2D) and
pooled voxel by voxel (``max``, ``mean`` or ``min``). A rotation permutes the three 1D
kernels among the axes and reverses some of them. Kernels that coincide after a rotation
are computed once: each distinct kernel occurs equally often among the 24 (they form an
orbit of the rotation group), so max, min and mean are unchanged.
Kernels are compared as full (outer product) kernels: negating two odd 1D factors gives the
same filter.

Energy map (optional): the texture energy is the mean of the absolute response over the
cube (or square) of :math:`2\\delta + 1` voxels per side (IBSI 2: :math:`\\delta = 7`),

.. math::

    e(\\mathbf{k}) = \\frac{1}{(2\\delta+1)^{D}} \\sum_{\\mathbf{j} \\in [-\\delta,
        \\delta]^{D}} |h(\\mathbf{k} + \\mathbf{j})|,

where the response map beyond the image is extended by the boundary condition (as IBSI 2
does: the reference maps of tests 3A3, 3B3 and 3C3 are reproduced this way).

References
----------
Laws KI. Rapid texture identification. Proc SPIE 1980;0238:376-381.
Depeursinge A, Andrearczyk V, Whybra P, et al. Standardised convolutional filtering for
radiomics (IBSI 2 reference manual), arXiv:2006.05470, section "Laws kernels".
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from radiomix.errors import ConfigError
from radiomix.filters._boundary import canonical_boundary
from radiomix.filters._common import check_pooling, pool
from radiomix.filters._engine import FilterPlan, Stage, filter_array
from radiomix.filters._valid import correlate_axis, crop_centre, uniform_axis

__all__ = [
    "LAWS_KERNELS",
    "laws_filter",
    "laws_kernel_set",
    "laws_plan",
    "parse_laws_kernel",
    "rotations",
]

#: the 1D Laws kernels before normalisation
LAWS_KERNELS: dict[str, tuple[float, ...]] = {
    "L3": (1.0, 2.0, 1.0),
    "E3": (-1.0, 0.0, 1.0),
    "S3": (-1.0, 2.0, -1.0),
    "L5": (1.0, 4.0, 6.0, 4.0, 1.0),
    "E5": (-1.0, -2.0, 0.0, 2.0, 1.0),
    "S5": (-1.0, 0.0, 2.0, 0.0, -1.0),
    "W5": (-1.0, 2.0, 0.0, -2.0, 1.0),
    "R5": (1.0, -4.0, 6.0, -4.0, 1.0),
}


def parse_laws_kernel(name: str) -> list[str]:
    """Split a kernel combination into its 1D kernel names, in (x, y, z) order.

    >>> parse_laws_kernel("e5l5s5")
    ['E5', 'L5', 'S5']
    """
    text = str(name).strip().upper()
    parts = [text[i : i + 2] for i in range(0, len(text), 2)]
    if len(text) % 2 or len(parts) not in (2, 3) or any(p not in LAWS_KERNELS for p in parts):
        raise ConfigError(
            f"Laws kernel {name!r} must combine two (2D) or three (3D) of "
            f"{', '.join(LAWS_KERNELS)}, in x, y(, z) order, e.g. 'L5E5E5' or 'L5S5'"
        )
    return parts


def rotations(ndim: int) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """The right-angle rotations of the square (``ndim=2``, 4) or cube (``ndim=3``, 24).

    Each is ``(perm, signs)``: the signed permutation matrix :math:`M` with
    :math:`M_{a, perm[a]} = signs[a]` and determinant +1 (proper rotations, no mirroring).
    """
    out = []
    for perm in itertools.permutations(range(ndim)):
        for signs in itertools.product((1, -1), repeat=ndim):
            m = np.zeros((ndim, ndim))
            for a in range(ndim):
                m[a, perm[a]] = signs[a]
            if round(float(np.linalg.det(m))) == 1:
                out.append((perm, signs))
    return out


def laws_kernel_set(name: str, rotation_invariant: bool = False) -> list[list[np.ndarray]]:
    """The separable convolution kernels to apply, as 1D kernels per array axis (z, y, x).

    For a 2D combination the z entry is a single tap of 1. With rotation invariance, one
    entry per distinct rotated kernel.
    """
    parts = parse_laws_kernel(name)
    k1d = []
    for p in parts:
        k = np.asarray(LAWS_KERNELS[p], dtype=np.float64)
        k1d.append(k / math.sqrt(float(np.sum(k * k))))
    # (x, y, z) names -> array axes (2, 1, 0)
    axes = [2, 1, 0][: len(parts)]
    base = dict(zip(axes, k1d, strict=True))
    used = sorted(base)  # array axes filtered
    if not rotation_invariant:
        variants = [dict(base)]
    else:
        variants = []
        for perm, signs in rotations(len(used)):
            kernel = {}
            for i, ax in enumerate(used):
                src = base[used[perm[i]]]
                kernel[ax] = src[::-1] if signs[i] < 0 else src
            variants.append(kernel)
    out: list[list[np.ndarray]] = []
    seen: list[np.ndarray] = []
    for v in variants:
        ks = [v.get(ax, np.ones(1)) for ax in range(3)]
        # two separable kernels are the same filter when their outer products are equal
        # (e.g. both odd factors negated)
        full = np.einsum("i,j,k->ijk", *ks)
        if not any(
            f.shape == full.shape and np.allclose(f, full, rtol=0, atol=1e-12) for f in seen
        ):
            seen.append(full)
            out.append(ks)
    return out


def laws_plan(
    kernel: str,
    *,
    rotation_invariant: bool = False,
    pooling: str = "max",
    energy: bool = False,
    delta: int = 7,
    boundary: str = "reflect",
) -> FilterPlan:
    """A Laws filter as a :class:`~radiomix.filters._engine.FilterPlan`.

    Parameters
    ----------
    kernel : str
        1D kernel names in (x, y, z) order (``"E5L5S5"``; two names for a 2D filter).
    rotation_invariant : bool
        Pool the responses of the 24 (3D) or 4 (2D) rotated kernels.
    pooling : {"max", "mean", "min"}
    energy : bool
        Return the energy map of the (pooled) response.
    delta : int
        Energy window half-width :math:`\\delta` in voxels.
    boundary : str
        Boundary condition, for the image and for the response map (energy).
    """
    pooling = check_pooling(pooling)
    if int(delta) != delta or delta < 0:
        raise ConfigError(f"Laws energy delta must be a non-negative integer, got {delta}")
    bc = canonical_boundary(boundary)
    kernels = laws_kernel_set(kernel, rotation_invariant)
    two_d = len(parse_laws_kernel(kernel)) == 2
    radius = tuple(max(k[a].size // 2 for k in kernels) for a in range(3))

    def response(window: np.ndarray) -> np.ndarray:
        def one(ks: list[np.ndarray]) -> np.ndarray:
            out = window
            # convolution = correlation with the reversed kernel
            for a in (2, 1, 0):
                if ks[a].size > 1:
                    out = correlate_axis(out, ks[a][::-1], a)
            return crop_centre(out, [radius[a] - ks[a].size // 2 for a in range(3)])

        return pool((one(ks) for ks in kernels), pooling)

    stages = [Stage(radius, bc, response)]  # type: ignore[arg-type]
    if energy:
        d = int(delta)
        size = 2 * d + 1
        e_axes = (1, 2) if two_d else (0, 1, 2)

        def energy_map(window: np.ndarray) -> np.ndarray:
            out = np.abs(window)
            for a in e_axes:
                out = uniform_axis(out, size, a)
            return out

        e_radius = (0, d, d) if two_d else (d, d, d)
        stages.append(Stage(e_radius, bc, energy_map))
    return FilterPlan(tuple(stages))


def laws_filter(
    image: np.ndarray,
    *,
    kernel: str,
    rotation_invariant: bool = False,
    pooling: str = "max",
    energy: bool = False,
    delta: int = 7,
    boundary: str = "reflect",
) -> np.ndarray:
    """Laws filter response (or energy map) of a whole (z, y, x) image.

    Parameters
    ----------
    image : ndarray (z, y, x)
    kernel : str
        1D kernel names in (x, y, z) order, e.g. ``"L5E5E5"`` (3D) or ``"L5S5"`` (2D).
    rotation_invariant : bool
        Pool over the right-angle rotations of the kernel.
    pooling : {"max", "mean", "min"}
    energy : bool
        Compute the texture energy map (mean absolute response over a
        :math:`(2\\delta+1)` window).
    delta : int
        Energy window half-width in voxels (IBSI 2: 7).
    boundary : str
        ``constant``, ``nearest``, ``wrap`` or ``reflect`` (IBSI 2 "mirror").

    Returns
    -------
    ndarray of float64
    """
    plan = laws_plan(
        kernel,
        rotation_invariant=rotation_invariant,
        pooling=pooling,
        energy=energy,
        delta=delta,
        boundary=boundary,
    )
    return filter_array(plan, image)
