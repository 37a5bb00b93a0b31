"""Image and mask interpolation onto a new voxel grid (IBSI 1, "Interpolation").

Grid alignment: IBSI "align grid centres". Along each axis an image of :math:`n_a` voxels of
spacing :math:`s_a` is sampled on a new grid of spacing :math:`s_b` with

.. math::

    n_b = \\left\\lceil n_a \\frac{s_a}{s_b} \\right\\rceil

voxels whose centre coincides with the centre of the original grid. In index coordinates of
the original grid (voxel :math:`i` sits at :math:`i`), new voxel :math:`j` sits at

.. math::

    u_j = \\frac{n_a - 1}{2} + \\left(j - \\frac{n_b - 1}{2}\\right) \\frac{s_b}{s_a}.

Interpolation is separable (the tensor product of 1D interpolations), so it is done one
axis at a time with 1D index arithmetic: no coordinate arrays of the size of the output are
built. ``"nearest"`` takes voxel :math:`\\lfloor u + 1/2 \\rfloor`; ``"linear"`` is
(bi/tri)linear interpolation; ``"cubic"`` is cubic B-spline interpolation (with the spline
prefilter, as ``scipy.ndimage.map_coordinates(order=3)``). Positions outside the original
grid (at most half a voxel out, at the grid edges) take the value of the nearest edge voxel,
as ``mode="nearest"`` does in SciPy and MIRP; for the cubic spline the prefilter sees the
image padded with its edge values, which is what SciPy does for that mode.

Grid alignment, the other rule (``align="corner"`` of :func:`resampled_grid`): PyRadiomics'
grid, whose first voxel's corner is the original first voxel's corner, laid over the ROI's
bounding box plus a margin of new voxels and clipped to the image; :func:`resample_onto`
interpolates onto any grid with SimpleITK's interpolators (``sitkBSpline`` etc.), as
PyRadiomics does, handing SimpleITK only the part of the image a B-spline reads (the grid's
footprint plus 68 voxels: the whole image's values to the bit, at the cost of that part).

Crops keep the full image's grid. The pipeline crops the image to the ROI (+ margin) before
interpolating, and the new grid must then be the one the *whole* image would get. Pass the
whole image (or its :class:`Grid`) as ``grid_reference``: the new grid is laid out on it with
the rule above, and the part of it that falls inside the crop is returned. A new voxel
belongs to the crop when its centre lies within the crop's footprint
:math:`[a - 1/2, b - 1/2)` (crop covering original voxels :math:`a \\ldots b - 1`); so crops
that tile an image give new grids that tile its resampled grid. Values match those of the
resampled whole image wherever the interpolation support lies inside the crop: one voxel
from the crop edge for linear interpolation; for the cubic spline the prefilter reaches
further (its influence decays by a factor 0.27 per voxel, below 1e-6 of the intensity scale
after 11 voxels), so give cubic crops a margin of a dozen voxels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from radiomix.io import Volume

__all__ = [
    "GRID_ALIGNMENTS",
    "INTERPOLATION_ORDERS",
    "Grid",
    "resample_image",
    "resample_mask",
    "resample_onto",
    "resampled_grid",
]

#: :func:`resampled_grid`'s rules: IBSI's grid centres, PyRadiomics' corners over a ROI box
GRID_ALIGNMENTS = ("centre", "corner")

#: interpolation names and their spline orders
INTERPOLATION_ORDERS: dict[str, int] = {"nearest": 0, "linear": 1, "cubic": 3}

# SciPy pads by this many edge voxels before the spline prefilter in mode "nearest"
_SPLINE_PAD = 12
# tolerance on grid arithmetic (in voxels) so that exact ratios are not spoiled by round-off
_EPS = 1e-9
# interpolated mask values are rounded to this many decimals before the threshold (as MIRP)
_MASK_DECIMALS = 6


@dataclass(frozen=True)
class Grid:
    """A voxel grid: the geometry of a :class:`Volume` without its array.

    Parameters
    ----------
    shape : (z, y, x) int
        Number of voxels along each array axis.
    spacing : (z, y, x) float
        Voxel size in mm.
    origin : (z, y, x) float
        Physical position of the centre of voxel (0, 0, 0).
    direction : ndarray
        3x3 direction cosines (column ``k`` = physical direction of array axis ``k``).
    """

    shape: tuple[int, int, int]
    spacing: tuple[float, float, float]
    origin: tuple[float, float, float]
    direction: np.ndarray

    @classmethod
    def of(cls, volume: Volume | Grid) -> Grid:
        """The grid of a volume (a grid is returned as it is)."""
        if isinstance(volume, Grid):
            return volume
        return cls(
            shape=tuple(int(n) for n in volume.shape),  # type: ignore[arg-type]
            spacing=tuple(volume.spacing),  # type: ignore[arg-type]
            origin=tuple(volume.origin),  # type: ignore[arg-type]
            direction=np.asarray(volume.direction, dtype=float),
        )


def _order_of(order: str) -> int:
    if order not in INTERPOLATION_ORDERS:
        raise ValueError(
            f"interpolation must be one of {sorted(INTERPOLATION_ORDERS)}, got {order!r}"
        )
    return INTERPOLATION_ORDERS[order]


def _check_spacing(
    new_spacing: Sequence[float | None], old: tuple[float, float, float]
) -> tuple[float, float, float]:
    sp = tuple(new_spacing)
    if len(sp) != 3:
        raise ValueError(f"new_spacing needs 3 values (z, y, x) in mm, got {sp!r}")
    out = []
    for s, o in zip(sp, old, strict=True):
        if s is None:
            out.append(o)
            continue
        s = float(s)
        if not math.isfinite(s) or s <= 0:
            raise ValueError(
                f"new_spacing values must be positive (or None to keep an axis), got {sp!r}"
            )
        out.append(s)
    return tuple(out)  # type: ignore[return-value]


def _same_spacing(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)


def _new_size(n_old: int, s_old: float, s_new: float) -> int:
    if _same_spacing(s_old, s_new):
        return n_old
    return max(1, math.ceil(n_old * s_old / s_new - _EPS))


def resampled_grid(
    reference: Volume | Grid,
    new_spacing: Sequence[float | None],
    *,
    align: str = "centre",
    box: Sequence[slice] | None = None,
    pad: int = 0,
) -> Grid:
    """The grid that :func:`resample_image` gives ``reference`` (``align="centre"``, IBSI),
    or PyRadiomics' grid over a ROI box (``align="corner"``).

    Parameters
    ----------
    reference : Volume or Grid
        The original (whole) image or its grid.
    new_spacing : (z, y, x) float or None
        New voxel size in mm; ``None`` keeps an axis as it is.
    align : {"centre", "corner"}
        ``"centre"``: the new grid's centre on the original grid's centre, covering the
        whole image. ``"corner"`` (PyRadiomics' ``resampleImage``): the new grid's voxel
        corners on the original first voxel's corner (origin moved by half the spacing
        difference), covering ``box`` plus ``pad`` new voxels per side, i.e. new indices
        :math:`\\lfloor (l - 1/2) r - p \\rfloor` to :math:`\\lceil (l + n - 1/2) r + p \\rceil`
        (:math:`r` = old / new spacing), clipped to the image (:math:`\\lceil N r \\rceil`
        voxels); an axis where the box is one voxel thick keeps its spacing.
    box : sequence of slice, optional
        The ROI's bounding box on ``reference`` (z, y, x); required with ``"corner"``.
    pad : int
        PyRadiomics' ``padDistance``, in new voxels (``"corner"`` only).

    Returns
    -------
    Grid
        ``"centre"``: shape :math:`\\lceil n s_a / s_b \\rceil` per axis and the origin that
        centres it. ``"corner"``: the box's grid; its origin is the physical point of its
        first voxel computed as ITK does (so that SimpleITK resamples on the same points).
    """
    if align not in GRID_ALIGNMENTS:
        raise ValueError(f"align must be one of {GRID_ALIGNMENTS}, got {align!r}")
    if align == "corner":
        if box is None:
            raise ValueError('align="corner" needs the ROI box it covers')
        return _corner_grid(Grid.of(reference), new_spacing, box, int(pad))
    ref = Grid.of(reference)
    spacing = _check_spacing(new_spacing, ref.spacing)
    shape = tuple(
        _new_size(n, s, t) for n, s, t in zip(ref.shape, ref.spacing, spacing, strict=True)
    )
    # position of new voxel 0 in original index units, then in mm along each array axis
    start = np.array(
        [
            (n - 1) / 2.0 - (m - 1) / 2.0 * t / s
            for n, m, s, t in zip(ref.shape, shape, ref.spacing, spacing, strict=True)
        ]
    )
    origin = np.asarray(ref.origin) + ref.direction @ (start * np.asarray(ref.spacing))
    return Grid(shape, spacing, tuple(float(o) for o in origin), ref.direction)  # type: ignore[arg-type]


def _corner_grid(
    ref: Grid, new_spacing: Sequence[float | None], box: Sequence[slice], pad: int
) -> Grid:
    """PyRadiomics' resampled grid (see :func:`resampled_grid`), computed in ITK's (x, y, z)
    index order and arithmetic."""
    lo = np.array([b.start for b in box][::-1], dtype=np.float64)  # x, y, z
    size = np.array([b.stop - b.start for b in box][::-1], dtype=np.float64)
    old = np.array(ref.spacing[::-1], dtype=np.float64)
    new = np.array(_check_spacing(new_spacing, ref.spacing)[::-1], dtype=np.float64)
    new = np.where(size != 1, new, old)  # one voxel thick: the axis keeps its spacing
    ratio = old / new
    lower = np.floor((lo - 0.5) * ratio - pad)
    upper = np.ceil((lo + size - 0.5) * ratio + pad)
    top = np.ceil(np.array(ref.shape[::-1], dtype=np.float64) * ratio) - 1
    lower = np.where(lower < 0, 0, lower)
    upper = np.where(upper > top, top, upper)
    shape = [int(v) for v in upper - lower + 1]
    index = 0.5 * (new - old) / old + lower / ratio  # continuous index of the new voxel 0
    # ITK's TransformContinuousIndexToPhysicalPoint: origin + (direction * spacing) @ index,
    # summed in index order (x first)
    direction = np.asarray(ref.direction, dtype=np.float64)[::-1, ::-1]  # (x, y, z) axes
    origin_xyz = np.asarray(ref.origin, dtype=np.float64)[::-1]
    point = []
    for r in range(3):
        acc = 0.0
        for c in range(3):
            acc += float(direction[r, c] * old[c]) * float(index[c])
        point.append(acc + float(origin_xyz[r]))
    return Grid(
        tuple(shape[::-1]),  # type: ignore[arg-type]
        tuple(float(v) for v in new[::-1]),  # type: ignore[arg-type]
        tuple(point[::-1]),  # type: ignore[arg-type]
        np.asarray(ref.direction, dtype=np.float64),
    )


def resample_onto(
    volume: Volume,
    grid: Grid,
    interpolator: str,
    *,
    planar: bool = False,
    voxelwise: Callable[[Volume], Volume] | None = None,
) -> Volume:
    """``volume`` interpolated onto ``grid`` by SimpleITK's ``ResampleImageFilter`` with the
    interpolator named as SimpleITK names it (``sitkBSpline``, ``sitkLinear``,
    ``sitkNearestNeighbor``, ...), into the volume's own pixel type (no rounding step of
    its own), 0 outside the volume: PyRadiomics' resampling. Only the part of the volume
    the interpolator reads is handed to SimpleITK (:func:`_reach_of`).

    ``planar``: the volume is one plane (z) resampled in 2D, as PyRadiomics resamples a 2D
    image; the plane keeps its z spacing and origin. ``voxelwise``: a voxel-wise map (such
    as :func:`~radiomix.preprocess.normalise` with the whole image's statistics) applied
    to that part before the interpolation, as if applied to the whole volume first.
    """
    import SimpleITK as sitk

    from radiomix.io import from_sitk, to_sitk, to_sitk_2d

    volume = _reach_of(volume, grid, interpolator, planar)
    if voxelwise is not None:
        volume = voxelwise(volume)
    image = to_sitk_2d(volume) if planar else to_sitk(volume)
    nd = 2 if planar else 3
    rif = sitk.ResampleImageFilter()
    rif.SetOutputSpacing([float(v) for v in grid.spacing[::-1][:nd]])
    itk_direction = np.asarray(grid.direction, dtype=np.float64)[::-1, ::-1][:nd, :nd]
    rif.SetOutputDirection([float(v) for v in itk_direction.ravel()])
    rif.SetSize([int(v) for v in grid.shape[::-1][:nd]])
    rif.SetOutputOrigin([float(v) for v in grid.origin[::-1][:nd]])
    rif.SetOutputPixelType(image.GetPixelID())
    rif.SetInterpolator(int(getattr(sitk, interpolator)))
    out = from_sitk(rif.Execute(image))
    if planar:  # back to one plane with the volume's z spacing and origin
        out = out.with_array(
            out.array,
            spacing=(volume.spacing[0], *out.spacing[1:]),
            origin=(volume.origin[0], *out.origin[1:]),
        )
    return out


#: voxels of the source that :func:`resample_onto` keeps around the output grid's footprint,
#: per SimpleITK interpolator; the others read the whole source. B-splines prefilter every
#: line of the source recursively (the whole image's cost, whatever the output's size;
#: poles of modulus <= 0.43 up to order 5): 64 voxels away a line's ends weigh less than
#: 0.43**64 ~ 4e-24 of its values, below double rounding. Equal to the whole image's
#: result to the bit on PyRadiomics' test cases (int16 and float32, 1-3 mm, kept axes);
#: linear and nearest neighbour are cheap on the whole image and are not cut (a cut moves
#: the origin by a rounding, which can flip an integer output at a voxel centre).
_REACH = dict.fromkeys(("sitkBSpline", *(f"sitkBSpline{o}" for o in range(1, 6))), 68)


def _reach_of(volume: Volume, grid: Grid, interpolator: str, planar: bool) -> Volume:
    """The part of ``volume`` the interpolation onto ``grid`` reads: its voxels within
    :data:`_REACH` of the footprint of ``grid`` (a cut of the array, the origin moved to
    its first voxel; the whole volume where the cut would keep it whole or the interpolator
    is not listed). Resampling a ROI's neighbourhood then costs the neighbourhood, not the
    whole image (a B-spline's prefilter otherwise runs over every voxel of the source)."""
    reach = _REACH.get(interpolator)
    if reach is None:
        return volume
    src = Grid.of(volume)
    n = np.array(grid.shape, dtype=np.float64)
    corners = np.array(
        [(z, y, x) for z in (0, n[0] - 1) for y in (0, n[1] - 1) for x in (0, n[2] - 1)]
    )
    out_m = np.asarray(grid.direction, dtype=np.float64) * np.asarray(grid.spacing)[None, :]
    phys = np.asarray(grid.origin)[None, :] + corners @ out_m.T
    src_m = np.asarray(src.direction, dtype=np.float64) * np.asarray(src.spacing)[None, :]
    idx = np.linalg.solve(src_m, (phys - np.asarray(src.origin)[None, :]).T).T
    lo = np.floor(idx.min(axis=0)).astype(np.int64) - reach
    hi = np.ceil(idx.max(axis=0)).astype(np.int64) + reach + 1
    if planar:  # one plane, resampled in-plane only
        lo[0], hi[0] = 0, src.shape[0]
    size = np.array(src.shape, dtype=np.int64)
    first = np.clip(lo, 0, size - 1)  # at least one voxel, inside the source
    stop = np.maximum(np.minimum(hi, size), first + 1)
    cut = tuple(slice(int(a), int(b)) for a, b in zip(first, stop, strict=True))
    if not first.any() and np.array_equal(stop, size):
        return volume
    origin = volume.index_to_physical(first.astype(np.float64))
    return volume.with_array(np.asarray(volume.array)[cut], origin=tuple(float(v) for v in origin))


def _index_offset(grid: Grid, origin: Sequence[float], direction: np.ndarray) -> np.ndarray:
    """Position of ``grid``'s voxel 0 in index units of a grid with ``origin``/``direction``."""
    if not np.allclose(grid.direction, direction, atol=1e-6):
        raise ValueError(
            "the grids have different directions (orientation): resampling between rotated "
            f"grids is not supported (got\n{grid.direction}\nand\n{direction})"
        )
    return direction.T @ (np.asarray(grid.origin) - np.asarray(origin))


# -- separable 1D interpolation -----------------------------------------------------------


def _bspline3_weights(t: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cubic B-spline weights of the taps at offsets -1, 0, 1, 2 for fraction ``t`` in [0, 1)."""
    t2 = t * t
    t3 = t2 * t
    w0 = (1.0 - t) ** 3 / 6.0
    w1 = (4.0 - 6.0 * t2 + 3.0 * t3) / 6.0
    w2 = (1.0 + 3.0 * t + 3.0 * t2 - 3.0 * t3) / 6.0
    w3 = t3 / 6.0
    return w0, w1, w2, w3


def _weights_shape(ndim: int, axis: int, n: int) -> tuple[int, ...]:
    shape = [1] * ndim
    shape[axis] = n
    return tuple(shape)


def _interp_axis(arr: np.ndarray, axis: int, u: np.ndarray, order: int) -> np.ndarray:
    """Sample ``arr`` along ``axis`` at index positions ``u`` (1D), edge values outside."""
    n = arr.shape[axis]
    dtype = arr.dtype
    if order == 3:
        return _interp_axis_cubic(arr, axis, u)
    # positions beyond the edge voxels take the edge value (mode "nearest")
    u = np.clip(u, 0.0, n - 1.0)
    if order == 0:
        # halfway positions go to the upper voxel, also when round-off puts them just below
        idx = np.minimum(np.floor(u + (0.5 + _EPS)).astype(np.intp), n - 1)
        return np.take(arr, idx, axis=axis)
    i0 = np.floor(u).astype(np.intp)
    t = u - i0
    wshape = _weights_shape(arr.ndim, axis, u.size)
    if order == 1:
        i1 = np.minimum(i0 + 1, n - 1)
        if axis == 0:
            return _lerp_planes(arr, i0, i1, t.astype(dtype))
        w = t.astype(dtype).reshape(wshape)
        lo = np.take(arr, i0, axis=axis)
        hi = np.take(arr, i1, axis=axis)
        hi -= lo
        hi *= w
        lo += hi
        return lo
    raise ValueError(f"unsupported spline order {order}")


def _lerp_planes(arr: np.ndarray, i0: np.ndarray, i1: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Linear interpolation along axis 0 plane by plane (one output allocation, no
    output-sized temporaries: this pass is usually the one that enlarges the array)."""
    out = np.empty((i0.size, *arr.shape[1:]), dtype=arr.dtype)
    for j in range(i0.size):
        plane = out[j]
        np.subtract(arr[i1[j]], arr[i0[j]], out=plane)
        plane *= w[j]
        plane += arr[i0[j]]
    return out


def _interp_axis_cubic(arr: np.ndarray, axis: int, u: np.ndarray) -> np.ndarray:
    """Cubic B-spline along ``axis``: prefilter the line padded with its edge values, then
    evaluate four taps (SciPy's ``map_coordinates(order=3, mode="nearest")`` does the same)."""
    n = arr.shape[axis]
    dtype = arr.dtype
    pad = [(0, 0)] * arr.ndim
    pad[axis] = (_SPLINE_PAD, _SPLINE_PAD)
    coef = np.pad(arr, pad, mode="edge")
    from scipy import ndimage  # imported on use: ~26 MiB, not needed to read or extract

    coef = ndimage.spline_filter1d(coef, order=3, axis=axis, output=dtype, mode="mirror")
    # keep the four taps inside the padded line (far beyond the image: edge value)
    u = np.clip(u, 1.0 - _SPLINE_PAD, n - 2.0 + _SPLINE_PAD)
    i0 = np.floor(u).astype(np.intp)
    t = u - i0
    base = i0 + _SPLINE_PAD
    weights = [w.astype(dtype) for w in _bspline3_weights(t)]
    if axis == 0:
        out = np.empty((u.size, *arr.shape[1:]), dtype=dtype)
        for j in range(u.size):
            plane = out[j]
            np.multiply(coef[base[j] - 1], weights[0][j], out=plane)
            for k in (0, 1, 2):
                plane += coef[base[j] + k] * weights[k + 1][j]
        return out
    wshape = _weights_shape(arr.ndim, axis, u.size)
    total: np.ndarray | None = None
    for k, w in zip((-1, 0, 1, 2), weights, strict=True):
        term = np.take(coef, base + k, axis=axis)
        term *= w.reshape(wshape)
        if total is None:
            total = term
        else:
            total += term
    assert total is not None
    return total


def _sample(arr: np.ndarray, positions: list[np.ndarray | None], order: int) -> np.ndarray:
    """Separable interpolation: ``positions[k]`` are the index positions along axis ``k``
    (``None``: keep that axis). Axes that shrink most are done first (less work after)."""
    todo = [k for k in range(arr.ndim) if positions[k] is not None]
    todo.sort(key=lambda k: positions[k].size / arr.shape[k])  # type: ignore[union-attr]
    out = arr
    for k in todo:
        out = _interp_axis(out, k, positions[k], order)  # type: ignore[arg-type]
    return out


def _work_dtype(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)


def _positions(
    target: Grid,
    source_shape: tuple[int, ...],
    source_spacing: tuple[float, ...],
    offset: np.ndarray,
) -> list[np.ndarray | None]:
    """Index positions (in the source array) of the target grid's voxels along each axis;
    ``None`` where the target axis coincides with the source axis voxel for voxel."""
    out: list[np.ndarray | None] = []
    for k in range(3):
        step = target.spacing[k] / source_spacing[k]
        start = offset[k] / source_spacing[k]
        m = target.shape[k]
        if _same_spacing(step, 1.0) and abs(start - round(start)) < 1e-6:
            s0 = round(start)
            if s0 == 0 and m == source_shape[k]:
                out.append(None)
                continue
        out.append(start + step * np.arange(m, dtype=np.float64))
    return out


def resample_image(
    image: Volume,
    new_spacing: Sequence[float | None],
    *,
    order: str = "linear",
    rounding: float | None = None,
    grid_reference: Volume | Grid | None = None,
) -> Volume:
    """Interpolate an image onto a grid of new voxel size (IBSI 1 interpolation).

    Parameters
    ----------
    image : Volume
        The image, or a crop of it (see ``grid_reference``).
    new_spacing : (z, y, x) float or None
        New voxel size in mm; ``None`` keeps that axis unchanged (``(None, 2, 2)``
        resamples in-plane only, as the IBSI 2D configurations do).
    order : {"nearest", "linear", "cubic"}
        Interpolation: nearest neighbour, (tri)linear, or cubic B-spline.
    rounding : float, optional
        Round the interpolated intensities to the nearest multiple of this value (IBSI
        intensity rounding; 1 for CT Hounsfield units). Ties go to the even multiple.
    grid_reference : Volume or Grid, optional
        The whole image that ``image`` was cropped from (same spacing and direction). The
        new grid is the one the whole image gets (centres aligned on the whole image), and
        the part of it whose voxel centres lie within the crop's footprint is returned. By
        default ``image`` is its own reference.

    Returns
    -------
    Volume
        The interpolated image (float64 for float64 input, float32 otherwise) with its new
        spacing and origin; direction and metadata are kept.
    """
    spline = _order_of(order)
    if rounding is not None and not (math.isfinite(rounding) and rounding > 0):
        raise ValueError(f"rounding must be a positive number or None, got {rounding!r}")
    ref = Grid.of(grid_reference) if grid_reference is not None else Grid.of(image)
    if not all(_same_spacing(a, b) for a, b in zip(ref.spacing, image.spacing, strict=True)):
        raise ValueError(
            f"grid_reference spacing {ref.spacing} differs from the image spacing {image.spacing}: "
            "it must be the grid the image was cropped from"
        )
    full = resampled_grid(ref, new_spacing)
    # the crop's voxel 0 in index units of the whole image
    crop_off = _index_offset(Grid.of(image), ref.origin, ref.direction) / np.asarray(ref.spacing)
    lo, hi = [], []
    for k in range(3):
        ratio = full.spacing[k] / ref.spacing[k]
        centre_shift = (ref.shape[k] - 1) / 2.0
        half_new = (full.shape[k] - 1) / 2.0
        # new voxel j sits at centre_shift + (j - half_new) * ratio (whole-image index units)
        a = crop_off[k] - 0.5
        b = crop_off[k] + image.shape[k] - 0.5
        j_lo = math.ceil((a - centre_shift) / ratio + half_new - _EPS)
        j_hi = math.ceil((b - centre_shift) / ratio + half_new - _EPS)
        lo.append(min(max(j_lo, 0), full.shape[k]))
        hi.append(min(max(j_hi, 0), full.shape[k]))
    shape = tuple(h - lo_ for lo_, h in zip(lo, hi, strict=True))
    if min(shape) <= 0:
        raise ValueError(
            f"the crop (shape {image.shape}) holds no voxel centre of the new grid; is "
            "grid_reference the image it was cropped from?"
        )
    start = np.array(lo, dtype=float)
    origin = np.asarray(full.origin) + full.direction @ (start * np.asarray(full.spacing))
    target = Grid(shape, full.spacing, tuple(float(o) for o in origin), full.direction)  # type: ignore[arg-type]

    arr = np.asarray(image.array)
    work = arr.astype(_work_dtype(arr.dtype), copy=False)
    offset = _index_offset(target, image.origin, image.direction)
    positions = _positions(target, arr.shape, image.spacing, offset)
    out = _sample(work, positions, spline)
    if out is work:
        out = work.copy()
    if rounding is not None:
        if rounding == 1:
            np.round(out, out=out)
        else:
            out = np.round(out / rounding) * rounding
    return image.with_array(out, spacing=target.spacing, origin=target.origin)


def resample_mask(
    mask: Volume,
    reference: Volume | Grid,
    *,
    order: str = "linear",
    threshold: float = 0.5,
) -> Volume:
    """Interpolate a ROI mask onto another grid and apply the partial-volume threshold.

    IBSI 1: the mask is interpolated as a 0/1 image (float) with the given interpolation,
    then voxels whose interpolated value is at least ``threshold`` (after rounding to six
    decimals, so that 0.4999999 from round-off counts as 0.5) belong to the ROI.

    Parameters
    ----------
    mask : Volume
        Boolean (or 0/1) mask on its own grid, typically the image's (cropped) grid.
    reference : Volume or Grid
        The target grid, typically the interpolated image returned by :func:`resample_image`.
        It must have the same direction as ``mask``.
    order : {"nearest", "linear", "cubic"}
        Interpolation of the mask (IBSI configurations use linear).
    threshold : float
        Partial-volume threshold in (0, 1].

    Returns
    -------
    Volume
        Boolean mask on the reference grid.
    """
    spline = _order_of(order)
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"the partial-volume threshold must be in (0, 1], got {threshold}")
    target = Grid.of(reference)
    arr = np.asarray(mask.array)
    if arr.dtype != np.float64:
        arr = arr.astype(np.float32)
    offset = _index_offset(target, mask.origin, mask.direction)
    positions = _positions(target, arr.shape, mask.spacing, offset)
    values = _sample(arr, positions, spline)
    inside = np.round(values, _MASK_DECIMALS) >= threshold
    return Volume(
        inside,
        spacing=target.spacing,
        origin=target.origin,
        direction=target.direction,
        metadata=dict(mask.metadata),
    )
