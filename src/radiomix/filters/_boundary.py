"""Boundary conditions of the IBSI 2 filters, as index maps.

A filter near the edge of an image needs intensities beyond it. IBSI 2 names four rules;
each extends an axis of :math:`n` voxels (indices :math:`0 \\ldots n-1`) to any integer
position :math:`p`:

============ ============================ =================== ============================
IBSI 2 name  radiomix name (aliases)      SciPy / NumPy mode  extension of ``a b c d``
============ ============================ =================== ============================
zero padding ``constant`` (``zero``)      constant (cval 0)   ``0 0 0 | a b c d | 0 0 0``
nearest      ``nearest``                  nearest / edge      ``a a a | a b c d | d d d``
periodic     ``wrap`` (``periodic``)      wrap                ``b c d | a b c d | a b c``
mirror       ``reflect`` (``mirror``)     reflect / symmetric ``c b a | a b c d | d c b``
============ ============================ =================== ============================

IBSI 2's "mirror" repeats the edge voxel (SciPy's ``reflect``, NumPy's ``symmetric``),
not SciPy's ``mirror`` (``d c b | a b c d``): the IBSI 2 reference response maps of tests
2B, 2C (Laplacian of Gaussian on the checkerboard) match only the former.

The rules are separable: the extended N-D image is the outer product of one index map per
axis, which is what :func:`boundary_index` computes. Filters never pad an array
themselves; :mod:`radiomix.filters._engine` gathers the window they need through these maps.
"""

from __future__ import annotations

import numpy as np

from radiomix.errors import ConfigError

__all__ = ["BOUNDARY_ALIASES", "BOUNDARY_MODES", "boundary_index", "canonical_boundary"]

#: canonical boundary names
BOUNDARY_MODES: tuple[str, ...] = ("constant", "nearest", "wrap", "reflect")

#: accepted spellings -> canonical name (IBSI 2 and SciPy vocabulary)
BOUNDARY_ALIASES: dict[str, str] = {
    "constant": "constant",
    "zero": "constant",
    "zero_padding": "constant",
    "nearest": "nearest",
    "wrap": "wrap",
    "periodic": "wrap",
    "reflect": "reflect",
    "mirror": "reflect",
    "symmetric": "reflect",
}


def canonical_boundary(name: str) -> str:
    """The canonical name of a boundary condition (``"mirror"`` -> ``"reflect"``).

    Raises
    ------
    ConfigError
        Unknown name.
    """
    key = str(name).strip().lower()
    if key not in BOUNDARY_ALIASES:
        raise ConfigError(
            f"unknown boundary condition {name!r}: use constant (zero padding), nearest, "
            "wrap (periodic) or reflect (IBSI 2 'mirror')"
        )
    return BOUNDARY_ALIASES[key]


def boundary_index(positions: np.ndarray, n: int, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Map positions along an axis of ``n`` voxels to voxel indices under a boundary rule.

    Parameters
    ----------
    positions : ndarray of int
        Positions on the infinitely extended axis (inside: ``0 <= p < n``).
    n : int
        Number of voxels along the axis (>= 1).
    mode : {"constant", "nearest", "wrap", "reflect"}
        Canonical boundary name (see :func:`canonical_boundary`).

    Returns
    -------
    index : ndarray of intp
        Voxel index in ``[0, n)`` for every position (0 where ``valid`` is False).
    valid : ndarray of bool
        False where the position takes the constant 0 (``constant`` outside the axis).

    Notes
    -----
    ``reflect`` is periodic with period :math:`2n`: position :math:`p` maps to
    :math:`q = p \\bmod 2n` if :math:`q < n`, else to :math:`2n - 1 - q`; so positions far
    outside the axis (beyond one reflection) are handled as NumPy's ``symmetric`` padding.
    """
    p = np.asarray(positions, dtype=np.intp)
    if n < 1:
        raise ValueError(f"an axis needs at least one voxel, got {n}")
    if mode == "constant":
        valid = (p >= 0) & (p < n)
        return np.where(valid, p, 0), valid
    valid = np.ones(p.shape, dtype=bool)
    if mode == "nearest":
        return np.clip(p, 0, n - 1), valid
    if mode == "wrap":
        return np.mod(p, n), valid
    if mode == "reflect":
        q = np.mod(p, 2 * n)
        return np.where(q < n, q, 2 * n - 1 - q), valid
    raise ValueError(f"unknown boundary mode {mode!r}; expected one of {BOUNDARY_MODES}")
