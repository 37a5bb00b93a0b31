"""Interpolation onto a new grid: hand-computed grids and values, SciPy reference, crops."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import ndimage

from radiomix.io import Volume
from radiomix.preprocess.resample import (
    Grid,
    _sample,
    resample_image,
    resample_mask,
    resampled_grid,
)

ORDERS = ["nearest", "linear", "cubic"]


def _line(values, spacing=1.0, origin=0.0) -> Volume:
    """A 1D profile along x as a (1, 1, n) volume."""
    arr = np.asarray(values, dtype=np.float64)[None, None, :]
    return Volume(arr, spacing=(1.0, 1.0, spacing), origin=(0.0, 0.0, origin))


# -- grid alignment ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "s_old", "s_new", "n_new", "first"),
    [
        (5, 1.0, 2.0, 3, 0.0),  # centres at 0, 2, 4: the middle voxel stays put
        (4, 1.0, 1.5, 3, 0.0),  # ceil(4 / 1.5) = 3, centres at 0, 1.5, 3
        (3, 3.0, 2.0, 5, -1.0),  # ceil(4.5) = 5, centres at -1, 1, 3, 5, 7 mm
        (10, 1.0, 2.0, 5, 0.5),  # centres at 0.5, 2.5, ... 8.5
        (201, 0.977, 2.0, 99, (200 * 0.977 - 98 * 2.0) / 2),  # CT phantom y axis
    ],
)
def test_grid_centres_aligned(n, s_old, s_new, n_new, first):
    grid = resampled_grid(_line(np.zeros(n), s_old), (None, None, s_new))
    assert grid.shape == (1, 1, n_new)
    assert grid.spacing == (1.0, 1.0, s_new)
    assert grid.origin[2] == pytest.approx(first)
    # centre of the new grid == centre of the old grid
    assert grid.origin[2] + (n_new - 1) * s_new / 2 == pytest.approx((n - 1) * s_old / 2)


def test_grid_hand_example_values_linear():
    # 3 voxels of 3 mm -> 2 mm: positions -1/3, 1/3, 1, 5/3, 7/3 (index units)
    out = resample_image(_line([0.0, 3.0, 9.0], 3.0), (None, None, 2.0), order="linear")
    np.testing.assert_allclose(out.array[0, 0], [0.0, 1.0, 3.0, 7.0, 9.0])
    assert out.origin == pytest.approx((0.0, 0.0, -1.0))


def test_ramp_linear_is_exact():
    # f(x) = 2 x + 5 on 20 voxels of 0.7 mm, resampled to 0.45 mm: linear interpolation of a
    # linear function is exact wherever the new centre lies between old centres
    x = np.arange(20) * 0.7
    img = _line(2 * x + 5, 0.7)
    out = resample_image(img, (None, None, 0.45), order="linear")
    xs = out.origin[2] + np.arange(out.shape[2]) * 0.45
    inside = (xs >= 0) & (xs <= x[-1])
    np.testing.assert_allclose(out.array[0, 0, inside], 2 * xs[inside] + 5, rtol=1e-12)
    # beyond the edge centres the edge value is kept (nearest extrapolation)
    np.testing.assert_allclose(out.array[0, 0, xs < 0], 5.0)
    np.testing.assert_allclose(out.array[0, 0, xs > x[-1]], 2 * x[-1] + 5)


def test_ramp_3d_linear_is_exact():
    z, y, x = np.meshgrid(np.arange(6) * 3.0, np.arange(7) * 0.8, np.arange(9) * 0.8, indexing="ij")
    img = Volume(1.5 * x - 2.0 * y + 0.25 * z, spacing=(3.0, 0.8, 0.8))
    out = resample_image(img, (2.0, 1.1, 1.3), order="linear")
    g = [out.origin[k] + np.arange(out.shape[k]) * out.spacing[k] for k in range(3)]
    zz, yy, xx = np.meshgrid(*g, indexing="ij")
    inside = (zz >= 0) & (zz <= 15) & (yy >= 0) & (yy <= 4.8) & (xx >= 0) & (xx <= 6.4)
    expected = 1.5 * xx - 2.0 * yy + 0.25 * zz
    np.testing.assert_allclose(out.array[inside], expected[inside], atol=1e-12)


@pytest.mark.parametrize("order", ORDERS)
def test_constant_image_stays_constant(order):
    img = Volume(np.full((4, 5, 6), -123.0), spacing=(3.0, 0.9, 0.9))
    out = resample_image(img, (1.7, 2.0, 0.6), order=order)
    np.testing.assert_allclose(out.array, -123.0, rtol=1e-12)


@pytest.mark.parametrize("order", ORDERS)
def test_same_spacing_is_identity(order):
    rng = np.random.default_rng(1)
    img = Volume(rng.normal(size=(4, 5, 6)), spacing=(3.0, 0.9, 0.9), origin=(1.0, 2.0, 3.0))
    out = resample_image(img, (3.0, 0.9, 0.9), order=order)
    assert out.shape == img.shape
    assert out.origin == img.origin
    np.testing.assert_allclose(out.array, img.array, atol=1e-12)
    assert out.array is not img.array


def test_none_axis_keeps_slices():
    rng = np.random.default_rng(2)
    img = Volume(rng.normal(size=(5, 8, 8)), spacing=(3.0, 1.0, 1.0))
    out = resample_image(img, (None, 2.0, 2.0), order="cubic")
    assert out.shape == (5, 4, 4)
    assert out.spacing == (3.0, 2.0, 2.0)
    assert out.origin[0] == 0.0
    # each slice is resampled on its own: same as resampling that slice alone
    one = resample_image(img.with_array(img.array[2:3]), (None, 2.0, 2.0), order="cubic")
    np.testing.assert_allclose(out.array[2], one.array[0], atol=1e-12)


def test_nearest_picks_voxels():
    out = resample_image(_line([10.0, 20.0, 30.0, 40.0]), (None, None, 2.0), order="nearest")
    # positions 0.5 and 2.5 round half up: voxels 1 and 3
    np.testing.assert_array_equal(out.array[0, 0], [20.0, 40.0])


def test_rounding():
    img = _line([0.0, 1.0, 2.0, 3.0, 4.0])
    out = resample_image(img, (None, None, 0.7), order="linear", rounding=1)
    np.testing.assert_array_equal(out.array, np.round(out.array))
    half = resample_image(img, (None, None, 0.7), order="linear", rounding=0.5)
    np.testing.assert_allclose(half.array * 2, np.round(half.array * 2))
    raw = resample_image(img, (None, None, 0.7), order="linear")
    assert np.abs(half.array - raw.array).max() <= 0.25 + 1e-12


def test_output_dtype():
    img = Volume(np.zeros((2, 3, 4), dtype=np.int16))
    assert resample_image(img, (1.0, 0.5, 0.5)).array.dtype == np.float32
    img64 = Volume(np.zeros((2, 3, 4)))
    assert resample_image(img64, (1.0, 0.5, 0.5)).array.dtype == np.float64


def test_direction_is_respected():
    # axes flipped: a physical ramp along the array's x axis, which points to -x
    direction = np.diag([1.0, 1.0, -1.0])
    img = Volume(np.arange(8.0)[None, None, :], spacing=(1, 1, 1), direction=direction)
    out = resample_image(img, (None, None, 2.0))
    assert out.origin[2] == pytest.approx(-0.5)
    np.testing.assert_allclose(out.array[0, 0], [0.5, 2.5, 4.5, 6.5])
    assert np.array_equal(out.direction, direction)


# -- separable sampling vs SciPy --------------------------------------------------------


@pytest.mark.parametrize(("order", "spline"), [("nearest", 0), ("linear", 1), ("cubic", 3)])
def test_separable_sampling_matches_scipy(order, spline):
    rng = np.random.default_rng(3)
    arr = rng.normal(size=(7, 9, 11))
    pos = [
        np.sort(rng.uniform(-0.5, n - 0.5, size=m))
        for n, m in zip(arr.shape, (6, 8, 13), strict=True)
    ]
    pos[0][0], pos[2][-1] = -0.5, 10.5  # half a voxel outside the grid
    ours = _sample(arr, [p.copy() for p in pos], spline)
    coords = np.meshgrid(*pos, indexing="ij")
    ref = ndimage.map_coordinates(arr, coords, order=spline, mode="nearest")
    np.testing.assert_allclose(ours, ref, atol=1e-12)


def test_resample_image_matches_scipy_map_coordinates():
    rng = np.random.default_rng(4)
    arr = rng.normal(size=(6, 10, 12))
    img = Volume(arr, spacing=(3.0, 0.977, 0.977))
    out = resample_image(img, (2.0, 2.0, 2.0), order="cubic")
    idx = [
        (out.origin[k] - img.origin[k] + np.arange(out.shape[k]) * 2.0) / img.spacing[k]
        for k in range(3)
    ]
    ref = ndimage.map_coordinates(arr, np.meshgrid(*idx, indexing="ij"), order=3, mode="nearest")
    np.testing.assert_allclose(out.array, ref, atol=1e-10)


# -- crops keep the whole image's grid ---------------------------------------------------


def _smooth_image(shape, spacing, seed=5) -> Volume:
    rng = np.random.default_rng(seed)
    arr = ndimage.gaussian_filter(rng.normal(size=shape), 1.5) * 500
    return Volume(arr, spacing=spacing, origin=(-40.0, 12.5, 7.25))


def _region(crop: Volume, whole: Volume) -> tuple[slice, ...]:
    start = (np.asarray(crop.origin) - np.asarray(whole.origin)) / np.asarray(whole.spacing)
    assert np.allclose(start, np.round(start), atol=1e-9), "crop is off the whole image's grid"
    s = np.round(start).astype(int)
    assert (s >= 0).all()
    return tuple(slice(a, a + n) for a, n in zip(s, crop.shape, strict=True))


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("new_spacing", [(2.0, 2.0, 2.0), (None, 1.3, 0.7), (1.0, 1.0, 1.0)])
def test_crop_matches_whole_image(order, new_spacing):
    img = _smooth_image((40, 60, 64), (3.0, 0.977, 0.977))
    whole = resample_image(img, new_spacing, order=order, rounding=None)
    box = (slice(5, 35), slice(8, 52), slice(10, 56))
    crop = img.with_array(
        img.array[box],
        origin=tuple(img.index_to_physical(np.array([b.start for b in box]))),
    )
    part = resample_image(crop, new_spacing, order=order, grid_reference=img)
    region = _region(part, whole)
    ref = whole.array[region]
    # compare away from the cut edges (interpolation support inside the crop)
    margin = 12 if order == "cubic" else 1
    inner = []
    for k in range(3):
        ratio = part.spacing[k] / img.spacing[k]
        pos = (part.origin[k] - crop.origin[k]) / img.spacing[k] + ratio * np.arange(part.shape[k])
        inner.append((pos >= margin) & (pos <= crop.shape[k] - 1 - margin))
    keep = np.ix_(*inner)
    tol = 1e-4 if order == "cubic" else 1e-9
    assert part.array[keep].size > 0
    np.testing.assert_allclose(part.array[keep], ref[keep], atol=tol)


def test_crops_tile_the_resampled_grid():
    img = _smooth_image((6, 20, 31), (3.0, 0.977, 0.977))
    whole = resample_image(img, (2.0, 2.0, 2.0))
    sizes = []
    stops = []
    for lo, hi in [(0, 9), (9, 17), (17, 31)]:
        crop = img.with_array(
            img.array[:, :, lo:hi], origin=tuple(img.index_to_physical(np.array([0, 0, lo])))
        )
        part = resample_image(crop, (2.0, 2.0, 2.0), grid_reference=img)
        region = _region(part, whole)
        stops.append((region[2].start, region[2].stop))
        sizes.append(part.shape[2])
    assert stops[0][0] == 0 and stops[-1][1] == whole.shape[2]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(stops))
    assert sum(sizes) == whole.shape[2]


def test_grid_reference_is_checked():
    img = _smooth_image((6, 10, 10), (3.0, 1.0, 1.0))
    other = Volume(np.zeros((6, 10, 10)), spacing=(2.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="spacing"):
        resample_image(img, (2.0, 2.0, 2.0), grid_reference=other)
    far = Grid((6, 10, 10), (3.0, 1.0, 1.0), (1000.0, 0.0, 0.0), np.eye(3))
    with pytest.raises(ValueError, match="no voxel centre"):
        resample_image(img, (2.0, 2.0, 2.0), grid_reference=far)


# -- masks ------------------------------------------------------------------------------


def test_mask_partial_volume_threshold():
    # positions 0.5 and 2.5: the first new voxel covers half of an ROI voxel -> 0.5 >= 0.5
    mask = _line([0, 1, 0, 0]).with_array(np.array([[[False, True, False, False]]]))
    img = resample_image(_line(np.zeros(4)), (None, None, 2.0))
    assert resample_mask(mask, img, threshold=0.5).array.tolist() == [[[True, False]]]
    assert resample_mask(mask, img, threshold=0.6).array.tolist() == [[[False, False]]]


def test_mask_on_own_grid_is_unchanged():
    rng = np.random.default_rng(6)
    m = Volume(rng.random((4, 6, 7)) > 0.5, spacing=(3.0, 1.0, 1.0), origin=(1.0, 2.0, 3.0))
    for order in ORDERS:
        out = resample_mask(m, m, order=order)
        assert out.array.dtype == bool
        np.testing.assert_array_equal(out.array, m.array)


def test_mask_follows_image_grid():
    img = _smooth_image((8, 20, 20), (3.0, 0.977, 0.977))
    mask_arr = np.zeros(img.shape, dtype=bool)
    mask_arr[2:6, 5:15, 4:16] = True
    out_img = resample_image(img, (2.0, 2.0, 2.0))
    out = resample_mask(img.with_array(mask_arr), out_img)
    assert out.shape == out_img.shape
    assert out.origin == out_img.origin
    # volume is preserved up to the boundary partial voxels
    vol_old = mask_arr.sum() * np.prod(img.spacing)
    vol_new = out.array.sum() * 8.0
    assert abs(vol_new - vol_old) / vol_old < 0.25


# -- validation -------------------------------------------------------------------------


def test_invalid_arguments():
    img = _line(np.zeros(4))
    with pytest.raises(ValueError, match="interpolation"):
        resample_image(img, (1, 1, 1), order="quadratic")
    with pytest.raises(ValueError, match="positive"):
        resample_image(img, (1, 0, 1))
    with pytest.raises(ValueError, match="3 values"):
        resample_image(img, (1, 1))
    with pytest.raises(ValueError, match="rounding"):
        resample_image(img, (1, 1, 1), rounding=0)
    with pytest.raises(ValueError, match="threshold"):
        resample_mask(img, img, threshold=0)
    rotated = Volume(np.zeros((1, 1, 4)), direction=np.diag([1.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match="direction"):
        resample_mask(img, rotated)


# -- PyRadiomics' corner-aligned grid ----------------------------------------------------


def test_corner_grid_covers_the_box_plus_pad_from_the_first_corner():
    from radiomix.preprocess.resample import Grid, resampled_grid

    ref = Grid((4, 10, 10), (3.0, 1.0, 1.0), (0.0, 0.0, 0.0), np.eye(3))
    box = (slice(1, 2), slice(3, 6), slice(3, 6))  # one plane thick along z
    g = resampled_grid(ref, (2.0, 2.0, 2.0), align="corner", box=box, pad=1)
    # x, y: floor((3 - 0.5) / 2 - 1) = 0 to ceil((6 - 0.5) / 2 + 1) = 4 (top: 10 / 2 - 1)
    # z keeps its spacing (the box is one voxel thick): floor(0.5 - 1) -> 0 to ceil(2.5) = 3
    assert g.shape == (4, 5, 5)
    assert g.spacing == (3.0, 2.0, 2.0)
    # new voxel 0 at index 0.5 * (2 - 1) / 1 = 0.5: its corner on the original corner
    assert g.origin == (0.0, 0.5, 0.5)
    with pytest.raises(ValueError, match="needs the ROI box"):
        resampled_grid(ref, (2.0, 2.0, 2.0), align="corner")
    with pytest.raises(ValueError, match="align must be one of"):
        resampled_grid(ref, (2.0, 2.0, 2.0), align="edge")


def test_corner_grid_origin_is_itk_s_physical_point():

    from radiomix.io import Volume, to_sitk
    from radiomix.preprocess.resample import Grid, resampled_grid

    c, s = np.cos(0.3), np.sin(0.3)
    direction = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])  # (z, y, x), oblique
    vol = Volume(np.zeros((8, 30, 40)), (2.5, 0.7, 0.8), (-12.3, 45.6, -7.8), direction)
    box = (slice(2, 6), slice(5, 21), slice(7, 33))
    g = resampled_grid(Grid.of(vol), (1.0, 1.1, 0.9), align="corner", box=box, pad=5)
    image = to_sitk(vol)
    ratio = np.array(vol.spacing[::-1]) / np.array([0.9, 1.1, 1.0])
    lower = np.maximum(np.floor((np.array([7, 5, 2]) - 0.5) * ratio - 5), 0)
    index = 0.5 * (np.array([0.9, 1.1, 1.0]) - vol.spacing[::-1]) / vol.spacing[::-1]
    index = index + lower / ratio
    want = image.TransformContinuousIndexToPhysicalPoint([float(v) for v in index])
    assert g.origin == tuple(want[::-1])  # to the last bit
