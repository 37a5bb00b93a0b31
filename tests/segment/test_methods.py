"""Every segmentation method on synthetic images with a known object, and bad prompts.

Synthetic "ultrasound": a dark (hypoechoic) object on a brighter background, multiplied by
Rayleigh speckle (fully developed speckle has Rayleigh-distributed amplitude), fixed seeds.
"""

from __future__ import annotations

import numpy as np
import pytest

from radiomix.errors import EmptyMaskError, InvalidImageError, PromptError
from radiomix.io import Volume
from radiomix.segment import (
    clean_mask,
    dice,
    multi_otsu_labels,
    otsu_threshold,
    prefilter,
    region_grow,
    segment_from_box,
    segment_from_seed,
    threshold_segment,
    to_box,
    to_seeds,
)


def _speckle_image(obj: np.ndarray, seed: int, dark: float = 40.0, bright: float = 140.0) -> Volume:
    rng = np.random.default_rng(seed)
    base = np.where(obj, dark, bright)
    speckle = rng.rayleigh(scale=1.0, size=obj.shape) / np.sqrt(np.pi / 2)  # mean 1
    return Volume(
        (base * speckle).astype(np.float32)[np.newaxis] if obj.ndim == 2 else base * speckle
    )


def _rotated_ellipse(
    shape: tuple[int, int], centre: tuple[float, float], axes: tuple[float, float], angle_deg: float
) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]].astype(float)
    a = np.deg2rad(angle_deg)
    dy, dx = yy - centre[0], xx - centre[1]
    u = dx * np.cos(a) + dy * np.sin(a)
    v = -dx * np.sin(a) + dy * np.cos(a)
    return (u / axes[0]) ** 2 + (v / axes[1]) ** 2 <= 1.0


def _box_xy(obj: np.ndarray, frac: float = 0.1) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(obj)
    dy = frac * (ys.max() - ys.min() + 1) / 2
    dx = frac * (xs.max() - xs.min() + 1) / 2
    return (
        int(np.floor(xs.min() - dx)),
        int(np.floor(ys.min() - dy)),
        int(np.ceil(xs.max() + dx)),
        int(np.ceil(ys.max() + dy)),
    )


OBJ = _rotated_ellipse((160, 200), (80, 96), (55, 30), 30.0)
IMG = _speckle_image(OBJ, seed=1)


# ------------------------------------------------------------------------------ prompts


def test_prompts_convert_xyz_to_zyx() -> None:
    assert to_seeds((12, 7), (1, 20, 30)).tolist() == [[0, 7, 12]]
    assert to_seeds([(1, 2, 3), (4, 5, 6)], (10, 20, 30)).tolist() == [[3, 2, 1], [6, 5, 4]]
    assert to_box((30, 5, 10, 2), (1, 20, 40)) == ((0, 0), (2, 5), (10, 30))
    # partly outside: clipped to the image
    assert to_box((-5, 3, 50, 9), (1, 20, 40)) == ((0, 0), (3, 9), (0, 39))


@pytest.mark.parametrize(
    ("seed", "shape", "match"),
    [
        ((30, 5), (1, 20, 30), "outside the image"),
        ((-1, 5), (1, 20, 30), "outside the image"),
        ((3, 5), (4, 20, 30), "has no z"),
        ((3, 5, 9), (4, 20, 30), "outside the image"),
        ((3,), (1, 20, 30), "give 2"),
        ((3.5, 2), (1, 20, 30), "whole numbers"),
    ],
)
def test_bad_seeds(seed: tuple[float, ...], shape: tuple[int, int, int], match: str) -> None:
    with pytest.raises(PromptError, match=match):
        to_seeds(seed, shape)


@pytest.mark.parametrize(
    ("box", "match"),
    [
        ((5, 5, 5, 9), "zero size"),
        ((5, 5, 9, 5), "zero size"),
        ((100, 100, 120, 130), "outside the image"),
        ((-20, 2, -3, 9), "outside the image"),
        ((1, 2, 3), "give 4 values"),
    ],
)
def test_bad_boxes(box: tuple[int, ...], match: str) -> None:
    with pytest.raises(PromptError, match=match):
        to_box(box, (1, 20, 40))


def test_box_methods_reject_bad_boxes() -> None:
    with pytest.raises(PromptError, match="zero size"):
        segment_from_box(IMG, (10, 10, 10, 50))
    with pytest.raises(PromptError, match="outside the image"):
        segment_from_box(IMG, (500, 500, 600, 600))
    with pytest.raises(PromptError, match="outside the image"):
        segment_from_seed(IMG, (500, 3))
    with pytest.raises(PromptError, match="unknown box method"):
        segment_from_box(IMG, (10, 10, 50, 50), method="snake")


# --------------------------------------------------------------------- thresholds/clean-up


def test_otsu_threshold_finds_bright_disc() -> None:
    obj = _rotated_ellipse((64, 64), (32, 30), (15, 15), 0)
    rng = np.random.default_rng(3)
    img = Volume((np.where(obj, 200.0, 50.0) + rng.normal(0, 10, obj.shape))[np.newaxis])
    t = otsu_threshold(img)
    assert 80 < t < 170  # between the class means (50, 200), well away from both
    mask = threshold_segment(img, "otsu")
    assert dice(mask, obj[np.newaxis]) > 0.98
    assert mask.metadata["threshold"] == pytest.approx(t)
    below = threshold_segment(img, "otsu", side="below", fill_holes=False)
    assert dice(below, ~obj[np.newaxis]) > 0.98


def test_multi_otsu_separates_three_classes() -> None:
    labels = np.zeros((60, 90), int)
    labels[:, 30:60] = 1
    labels[:, 60:] = 2
    rng = np.random.default_rng(4)
    img = Volume(
        (np.array([20.0, 100.0, 200.0])[labels] + rng.normal(0, 8, labels.shape))[np.newaxis]
    )
    assert np.mean(multi_otsu_labels(img, 3).array[0] == labels) > 0.99
    top = threshold_segment(img, "multiotsu", classes=3)
    assert dice(top, (labels == 2)[np.newaxis]) > 0.99
    bottom = threshold_segment(img, "multiotsu", classes=3, side="below")
    assert dice(bottom, (labels == 0)[np.newaxis]) > 0.99
    with pytest.raises(PromptError):
        multi_otsu_labels(img, 1)


def test_threshold_empty_result_and_bad_values() -> None:
    with pytest.raises(EmptyMaskError, match="no voxel"):
        threshold_segment(IMG, 1e6)
    with pytest.raises(PromptError, match="give a number"):
        threshold_segment(IMG, "triangle")
    with pytest.raises(InvalidImageError, match="constant"):
        threshold_segment(Volume(np.ones((1, 8, 8))), "otsu")


def test_clean_mask_hand_cases() -> None:
    m = np.zeros((20, 20), bool)
    m[2:12, 2:12] = True
    m[5:8, 5:8] = False  # a hole
    m[16, 16] = True  # a speck
    m[15:18, 2:4] = True  # a small blob (6 px)
    out = clean_mask(m, fill_holes=True, min_size=2)
    assert out[6, 6] and not out[16, 16] and out[16, 3]
    assert clean_mask(m, largest_component=True)[15:18, 2:4].sum() == 0
    assert clean_mask(m, fill_holes=False)[6, 6] == 0
    line = np.zeros((20, 20), bool)
    line[10, 2:18] = True
    line[2:8, 2:8] = True
    opened = clean_mask(line, opening_mm=1.0, fill_holes=False)
    # the 1-px line goes; the square stays (less its corners: the 1 mm ball is a cross)
    assert not opened[10].any() and opened[3:7, 3:7].all() and opened[2:8, 2:8].sum() == 32
    # closing radius in mm with anisotropic spacing: columns are 2 mm apart, so a 1 mm ball
    # is a vertical 3x1 element that cannot bridge a one-column gap; a 2 mm ball reaches
    # across it (its centre row closes)
    gap = np.zeros((1, 9, 9), bool)
    gap[0, 2:7, 2:4] = gap[0, 2:7, 5:7] = True
    vol = Volume(gap, spacing=(1.0, 1.0, 2.0))
    assert not clean_mask(vol, closing_mm=1.0, fill_holes=False).array[0, :, 4].any()
    assert clean_mask(vol, closing_mm=2.0, fill_holes=False).array[0, 4, 2:7].all()


def test_clean_mask_2d_versus_3d() -> None:
    vol = np.zeros((3, 10, 10), bool)
    vol[0, 1:4, 1:4] = True  # 9 voxels in slice 0
    vol[1, 5:9, 5:9] = True  # 16 voxels in slice 1
    vol[2, 1:3, 1:3] = True  # 4 voxels in slice 2, touching slice 0? no: not adjacent slices
    per_slice = clean_mask(vol, largest_component=True, mode="2d")
    assert per_slice.sum() == 9 + 16 + 4  # every slice keeps its own largest component
    whole = clean_mask(vol, largest_component=True, mode="3d")
    assert whole.sum() == 16


# ------------------------------------------------------------------------ region growing


@pytest.mark.parametrize(
    ("method", "bound"),
    # neighborhood needs the whole 3x3 neighbourhood within bounds: it stops ~1 px early
    [("confidence", 0.9), ("connected", 0.9), ("neighborhood", 0.8)],
)
@pytest.mark.parametrize("pre", ["curvature_flow", "median"])
def test_region_growing_on_a_noisy_dark_disc(method: str, bound: float, pre: str) -> None:
    obj = _rotated_ellipse((80, 80), (40, 42), (20, 20), 0)
    rng = np.random.default_rng(5)
    img = Volume((np.where(obj, 60.0, 160.0) + rng.normal(0, 8, obj.shape))[np.newaxis])
    mask = region_grow(img, (42, 40), method, prefilter_method=pre)
    assert dice(mask, obj[np.newaxis]) > bound


def test_region_growing_3d_and_bounds() -> None:
    zz, yy, xx = np.mgrid[:30, :40, :40]
    obj = (zz - 15) ** 2 / 4 + (yy - 20) ** 2 + (xx - 20) ** 2 <= 100  # 2.0 mm slices
    rng = np.random.default_rng(6)
    img = Volume(np.where(obj, 50.0, 150.0) + rng.normal(0, 6, obj.shape), spacing=(2.0, 1.0, 1.0))
    mask = region_grow(img, (20, 20, 15), "connected", lower=0, upper=100)
    assert dice(mask, obj) > 0.95
    with pytest.raises(EmptyMaskError, match="empty"):
        region_grow(img, (20, 20, 15), "connected", lower=120, upper=200)
    with pytest.raises(PromptError, match="has no z"):
        region_grow(img, (20, 20), "confidence")
    with pytest.raises(PromptError, match="pre-filter"):
        prefilter(img, "wiener")


# ------------------------------------------------------------------------- semi-automatic


def test_box_graph_cut_beats_the_inscribed_ellipse() -> None:
    box = _box_xy(OBJ)
    gc = segment_from_box(IMG, box)
    ellipse = segment_from_box(IMG, box, method="ellipse")
    whole = segment_from_box(IMG, box, method="box")
    d_gc = dice(gc, OBJ[np.newaxis])
    assert d_gc > 0.9
    assert d_gc > dice(ellipse, OBJ[np.newaxis]) + 0.05
    assert dice(whole, OBJ[np.newaxis]) < 0.8
    assert gc.metadata["method"] == "graphcut"


def test_box_graph_cut_on_an_irregular_object_in_a_large_image() -> None:
    # two overlapping discs (a lobulated lesion) in an image large enough to be resampled
    obj = _rotated_ellipse((420, 520), (200, 220), (90, 60), 0) | _rotated_ellipse(
        (420, 520), (250, 320), (60, 60), 0
    )
    img = _speckle_image(obj, seed=7)
    mask = segment_from_box(img, _box_xy(obj))
    ellipse = segment_from_box(img, _box_xy(obj), method="ellipse")
    # the elliptical prior costs some Dice on a lobulated shape, yet it stays well above it
    assert dice(mask, obj[np.newaxis]) > 0.85
    assert dice(mask, obj[np.newaxis]) > dice(ellipse, obj[np.newaxis]) + 0.08


def test_box_graph_cut_3d() -> None:
    zz, yy, xx = np.mgrid[:24, :48, :48].astype(float)
    obj = ((zz - 12) / 8) ** 2 + ((yy - 24) / 14) ** 2 + ((xx - 22) / 10) ** 2 <= 1
    img = _speckle_image(obj, seed=8)
    zs, ys, xs = np.nonzero(obj)
    box = (xs.min() - 1, ys.min() - 1, zs.min() - 1, xs.max() + 1, ys.max() + 1, zs.max() + 1)
    assert dice(segment_from_box(img, box), obj) > 0.85
    # a box flat in z outlines one slice
    one = segment_from_box(img, (xs.min() - 1, ys.min() - 1, 12, xs.max() + 1, ys.max() + 1, 12))
    assert one.array[12].any() and one.array[:12].sum() == 0 and one.array[13:].sum() == 0
    assert dice(one.array[12], obj[12]) > 0.85


def test_seed_rays_outline() -> None:
    seed_xy = (96, 80)
    mask = segment_from_seed(IMG, seed_xy)
    assert dice(mask, OBJ[np.newaxis]) > 0.85
    # region growing through the same entry point
    grown = segment_from_seed(IMG, seed_xy, method="confidence", prefilter_method="median")
    assert grown.metadata["method"] == "confidence"
    with pytest.raises(PromptError, match="takes no options"):
        segment_from_seed(IMG, seed_xy, multiplier=2.0)


def test_seed_rays_bright_object_and_two_seeds() -> None:
    a = _rotated_ellipse((120, 200), (60, 50), (25, 20), 0)
    b = _rotated_ellipse((120, 200), (60, 150), (20, 30), 0)
    img = _speckle_image(a | b, seed=9, dark=160.0, bright=50.0)  # bright objects
    mask = segment_from_seed(img, [(50, 60), (150, 60)])
    assert dice(mask, (a | b)[np.newaxis]) > 0.85


def test_seed_rays_3d() -> None:
    zz, yy, xx = np.mgrid[:30, :50, :50].astype(float)
    obj = ((zz - 15) / 6) ** 2 + ((yy - 25) / 12) ** 2 + ((xx - 25) / 9) ** 2 <= 1
    img = _speckle_image(obj, seed=10)
    img = img.with_array(img.array, spacing=(2.0, 1.0, 1.0))
    obj2 = ((zz - 15) / 6) ** 2 + ((yy - 25) / 12) ** 2 + ((xx - 25) / 9) ** 2 <= 1
    assert dice(segment_from_seed(img, (25, 25, 15)), obj2) > 0.8
