"""Run length counting for the GLRLM: a numba kernel behind a validating wrapper.

A run is a maximal sequence of ROI voxels with the same grey level, consecutive along a
direction. Every voxel belongs to exactly one run per direction, so counting visits each
voxel a bounded number of times: linear in the volume size per direction.
"""

from __future__ import annotations

import itertools

import numpy as np
from numba import njit

from radiomix.features._kernels_numpy import max_run_length, run_length_arguments

__all__ = ["max_run_length", "run_length_counts"]


@njit(cache=True, nogil=True)
def _run_counts_kernel(
    flat: np.ndarray, steps: np.ndarray, n_levels: int, max_len: int
) -> np.ndarray:  # pragma: no cover - compiled; checked against _reference_run_counts
    """``flat``: the levels zero-padded by one voxel per side and raveled; ``steps``: the
    directions as steps in it. A step off the ROI's array lands in the padding (level 0),
    which ends every run: no bounds checks."""
    n_dir = steps.shape[0]
    out = np.zeros((n_dir, n_levels + 1, max_len + 1), dtype=np.int64)
    for d in range(n_dir):
        s = steps[d]
        for i in range(flat.shape[0]):
            g = flat[i]
            if g <= 0:
                continue
            # a run starts here unless the previous voxel along d has the same level
            if flat[i - s] == g:
                continue
            n = 1
            q = i + s
            while flat[q] == g:
                n += 1
                q += s
            out[d, g, n] += 1
    return out


def run_length_counts(levels: np.ndarray, offsets: np.ndarray, n_levels: int) -> np.ndarray:
    """Dense run length counts per direction.

    Parameters
    ----------
    levels : ndarray of int, (z, y, x)
        Grey levels 1..``n_levels`` inside the ROI, 0 outside.
    offsets : ndarray of int, (n, 3)
        Unit directions (components in {-1, 0, 1}, not all zero).
    n_levels : int
        Number of grey levels.

    Returns
    -------
    ndarray of int64, (n, n_levels + 1, L + 1)
        ``out[d, g, r]`` = number of runs of grey level ``g`` and length ``r`` along
        direction ``d``; ``L`` is :func:`max_run_length`. Row and column 0 stay zero.
    """
    levels, offs, n_levels = run_length_arguments(levels, offsets, n_levels)
    padded = np.zeros(tuple(n + 2 for n in levels.shape), dtype=np.int64)
    padded[1:-1, 1:-1, 1:-1] = levels
    strides = np.array([padded.shape[1] * padded.shape[2], padded.shape[2], 1], dtype=np.int64)
    steps = np.ascontiguousarray(offs @ strides)
    return _run_counts_kernel(padded.ravel(), steps, n_levels, max_run_length(levels.shape, offs))


def _reference_run_counts(levels: np.ndarray, offsets: np.ndarray, n_levels: int) -> np.ndarray:
    """Plain Python version of :func:`run_length_counts` (for tests): walks every line."""
    levels = np.asarray(levels)
    shape = levels.shape
    offs = np.asarray(offsets, dtype=np.int64)
    out = np.zeros((len(offs), n_levels + 1, max_run_length(shape, offs) + 1), dtype=np.int64)

    def inside(p: tuple[int, ...]) -> bool:
        return all(0 <= c < n for c, n in zip(p, shape, strict=True))

    for d, off in enumerate(offs):
        for start in itertools.product(*(range(n) for n in shape)):
            if inside(tuple(int(c - o) for c, o in zip(start, off, strict=True))):
                continue  # not the first voxel of its line
            line = []
            p = start
            while inside(p):
                line.append(int(levels[p]))
                p = tuple(int(c + o) for c, o in zip(p, off, strict=True))
            for g, grp in itertools.groupby(line):
                if g > 0:
                    out[d, g, len(list(grp))] += 1
    return out
