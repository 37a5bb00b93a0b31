"""Filtering primitives in "valid" mode: outputs only where the kernel lies inside the window.

Every function takes a window that already holds the neighbours the kernel needs (gathered
under the boundary rule by :mod:`radiomix.filters._engine`) and returns the smaller array
of positions whose whole kernel support lies inside it; none of them pads.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from radiomix._lazy import lazy_module

# scipy (~26 MiB) imported on first use: importing the filters costs nothing then
sp_fft = lazy_module("scipy.fft")
ndimage = lazy_module("scipy.ndimage")

__all__ = [
    "convolve_planes",
    "correlate_axis",
    "correlate_separable",
    "crop_centre",
    "uniform_axis",
]


def _take_valid(arr: np.ndarray, axis: int, r: int) -> np.ndarray:
    if r == 0:
        return arr
    sl: list[slice] = [slice(None)] * arr.ndim
    sl[axis] = slice(r, arr.shape[axis] - r)
    return arr[tuple(sl)]


def correlate_axis(window: np.ndarray, weights: np.ndarray, axis: int) -> np.ndarray:
    """Valid 1D correlation along ``axis``: :math:`y_i = \\sum_{j} w_j x_{i + j}` for an
    odd kernel of :math:`2r + 1` taps (output shorter by :math:`2r`).

    A convolution is a correlation with the reversed kernel.
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.size % 2 != 1:
        raise ValueError(f"1D kernels need an odd number of taps, got {w.size}")
    r = w.size // 2
    if window.shape[axis] < w.size:
        raise ValueError(f"window of {window.shape[axis]} voxels is shorter than the kernel")
    if w.size == 1:
        return window * w[0]
    # the valid part never reads the (irrelevant) mode's padding
    out = ndimage.correlate1d(window, w, axis=axis, mode="constant", cval=0.0)
    return _take_valid(out, axis, r)


def correlate_separable(window: np.ndarray, kernels: Sequence[np.ndarray | None]) -> np.ndarray:
    """Valid correlation with a separable kernel: ``kernels[a]`` along axis ``a`` (None:
    not filtered along that axis)."""
    out = np.asarray(window, dtype=np.float64)
    for a, k in enumerate(kernels):
        if k is not None:
            out = correlate_axis(out, k, a)
    return out


def uniform_axis(window: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Valid moving average of ``size`` (odd) voxels along ``axis``."""
    if size % 2 != 1:
        raise ValueError(f"moving averages need an odd size, got {size}")
    if size == 1:
        return np.asarray(window, dtype=np.float64)
    out = ndimage.uniform_filter1d(
        np.asarray(window, dtype=np.float64), size, axis=axis, mode="constant"
    )
    return _take_valid(out, axis, size // 2)


def crop_centre(arr: np.ndarray, margins: Sequence[int]) -> np.ndarray:
    """Remove ``margins[a]`` voxels from both ends of every axis ``a``."""
    sl = tuple(slice(m, n - m) for m, n in zip(margins, arr.shape, strict=True))
    return arr[sl]


def convolve_planes(
    window: np.ndarray,
    kernels: Sequence[np.ndarray],
    stack_axis: int = 0,
    *,
    max_bytes: int = 64 * 2**20,
) -> Iterator[tuple[slice, Iterator[np.ndarray]]]:
    """Valid 2D convolutions of every plane orthogonal to ``stack_axis`` (FFT).

    The planes are transformed once and multiplied by every kernel's transform; the
    transform length is the window's (next fast length), since the valid part of a circular
    convolution of that length never wraps around. Planes are processed in chunks so that
    the complex buffers stay under ``max_bytes``.

    Parameters
    ----------
    window : ndarray (z, y, x), real
    kernels : sequence of ndarray (rows, cols)
        Real or complex, all of the same odd shape. Rows run along the lower-numbered
        in-plane axis, columns along the other one.
    stack_axis : int
        The axis along which planes are stacked (0: axial planes (y, x); 1: (z, x);
        2: (z, y)).

    Yields
    ------
    chunk : slice
        The planes (along ``stack_axis``) of this chunk.
    outputs : iterator of ndarray
        One per kernel, computed as it is consumed (consume them before the next chunk),
        shaped like the chunk of ``window`` less ``kernel.shape - 1`` along the in-plane
        axes (complex for complex kernels); ``stack_axis`` first.
    """
    ks = [np.asarray(k) for k in kernels]
    if not ks:
        return
    kr, kc = ks[0].shape
    if any(k.shape != (kr, kc) for k in ks) or kr % 2 != 1 or kc % 2 != 1:
        raise ValueError("plane kernels must share one 2D shape with odd sizes")
    moved = np.moveaxis(np.asarray(window, dtype=np.float64), stack_axis, 0)
    n_planes, rows, cols = moved.shape
    if rows < kr or cols < kc:
        raise ValueError(f"planes of {rows}x{cols} voxels are smaller than the {kr}x{kc} kernel")
    shape = (sp_fft.next_fast_len(rows), sp_fft.next_fast_len(cols))
    spectra = [sp_fft.fft2(k, s=shape) for k in ks]
    per_plane = shape[0] * shape[1] * 16 * 2
    step = max(1, int(max_bytes // per_plane))
    for start in range(0, n_planes, step):
        chunk = slice(start, min(start + step, n_planes))
        planes = sp_fft.fft2(moved[chunk], s=shape, axes=(1, 2))

        def outputs(planes: np.ndarray = planes) -> Iterator[np.ndarray]:
            for spec, k in zip(spectra, ks, strict=True):
                full = sp_fft.ifft2(planes * spec, axes=(1, 2))
                valid = full[:, kr - 1 : rows, kc - 1 : cols]
                yield valid if np.iscomplexobj(k) else valid.real

        yield chunk, outputs()
