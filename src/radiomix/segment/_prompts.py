"""Segmentation prompts: seed points and boxes given as voxel indices in (x, y[, z]) order.

Users read coordinates off a viewer as column (x), row (y) and slice (z); arrays in radiomix
are (z, y, x). The conversion happens here, once, with the checks that give a clear
:class:`~radiomix.errors.PromptError` for a prompt that cannot be used.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from radiomix.errors import PromptError

__all__ = ["Box", "parse_coordinates", "to_box", "to_seeds"]

log = logging.getLogger(__name__)

#: A box as inclusive voxel index ranges in (z, y, x) order: ((z0, z1), (y0, y1), (x0, x1)).
Box = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]


def parse_coordinates(text: str, what: str) -> tuple[float, ...]:
    """Numbers of a comma-separated prompt such as ``"120,88"`` (command line form)."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        return tuple(float(p) for p in parts)
    except ValueError:
        raise PromptError(
            f"{what} {text!r}: give comma-separated voxel indices such as 120,88 or 120,88,14"
        ) from None


def _as_index(value: float, what: str) -> int:
    if not np.isfinite(value) or float(value) != round(float(value)):
        raise PromptError(f"{what}: voxel indices are whole numbers, got {value!r}")
    return round(float(value))


def to_seeds(
    seeds: Sequence[Sequence[float]] | Sequence[float], shape: Sequence[int]
) -> np.ndarray:
    """Seed points (x, y[, z]) as an (n, 3) array of (z, y, x) voxel indices.

    Parameters
    ----------
    seeds : sequence of (x, y) or (x, y, z), or one such point
        Voxel indices as read in a viewer: column, row (and slice). For a one-slice (2D)
        image z may be left out.
    shape : (z, y, x)
        Shape of the image.

    Raises
    ------
    PromptError
        No seed, a seed with the wrong number of coordinates, or a seed outside the image.
    """
    pts: list[Sequence[float]] = list(seeds)  # type: ignore[arg-type]
    if pts and np.isscalar(pts[0]):
        pts = [list(seeds)]  # type: ignore[arg-type]
    if not pts:
        raise PromptError("no seed point given: pass at least one (x, y[, z]) voxel index")
    nz, ny, nx = (int(s) for s in shape)
    out = []
    for p in pts:
        c = [_as_index(v, f"seed {tuple(p)}") for v in p]
        if len(c) == 2:
            if nz != 1:
                raise PromptError(
                    f"seed {tuple(c)} has no z: the image has {nz} slices, give x,y,z"
                )
            c.append(0)
        if len(c) != 3:
            raise PromptError(f"seed {tuple(p)}: give 2 (x, y) or 3 (x, y, z) voxel indices")
        x, y, z = c
        if not (0 <= x < nx and 0 <= y < ny and 0 <= z < nz):
            raise PromptError(
                f"seed (x, y, z) = ({x}, {y}, {z}) lies outside the image, whose voxel indices "
                f"run over x 0..{nx - 1}, y 0..{ny - 1}, z 0..{nz - 1}"
            )
        out.append((z, y, x))
    return np.asarray(out, dtype=np.int64)


def to_box(box: Sequence[float], shape: Sequence[int]) -> Box:
    """A box ``(x0, y0, x1, y1)`` or ``(x0, y0, z0, x1, y1, z1)`` as (z, y, x) index ranges.

    Corners are inclusive voxel indices, in either order. A box that reaches past the
    image is clipped to it (logged); a box entirely outside, or one that is flat in x or y
    (zero size), is an error. In z a single slice (z0 == z1) is allowed: the outline is
    then drawn on that slice.

    Raises
    ------
    PromptError
        Wrong number of values, zero size, or no overlap with the image.
    """
    vals = [_as_index(v, f"box {tuple(box)}") for v in box]
    nz, ny, nx = (int(s) for s in shape)
    if len(vals) == 4:
        if nz != 1:
            raise PromptError(
                f"box {tuple(vals)} has no z range: the image has {nz} slices, give "
                "x0,y0,z0,x1,y1,z1"
            )
        x0, y0, x1, y1 = vals
        z0 = z1 = 0
    elif len(vals) == 6:
        x0, y0, z0, x1, y1, z1 = vals
    else:
        raise PromptError(
            f"box {tuple(vals)}: give 4 values x0,y0,x1,y1 (2D) or 6 values x0,y0,z0,x1,y1,z1"
        )
    (x0, x1), (y0, y1), (z0, z1) = sorted((x0, x1)), sorted((y0, y1)), sorted((z0, z1))
    if x0 == x1 or y0 == y1:
        raise PromptError(
            f"box x {x0}..{x1}, y {y0}..{y1} has zero size: its corners must differ in x and y"
        )
    ranges = []
    for lo, hi, n, ax in ((z0, z1, nz, "z"), (y0, y1, ny, "y"), (x0, x1, nx, "x")):
        if hi < 0 or lo > n - 1:
            raise PromptError(
                f"box {ax} range {lo}..{hi} lies outside the image ({ax} runs 0..{n - 1})"
            )
        clo, chi = max(lo, 0), min(hi, n - 1)
        if (clo, chi) != (lo, hi):
            log.warning("box %s range %d..%d clipped to the image: %d..%d", ax, lo, hi, clo, chi)
        ranges.append((clo, chi))
    if ranges[1][0] == ranges[1][1] or ranges[2][0] == ranges[2][1]:
        raise PromptError("the box keeps zero size in x or y once clipped to the image")
    return (ranges[0], ranges[1], ranges[2])
