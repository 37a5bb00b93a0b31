"""Segmentation metrics against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from radiomix.errors import EmptyMaskError, GeometryMismatchError
from radiomix.io import Volume
from radiomix.segment import (
    dice,
    hausdorff_95,
    jaccard,
    mean_surface_distance,
    segmentation_metrics,
    surface_distances,
)


def _squares() -> tuple[np.ndarray, np.ndarray]:
    """Two adjacent 3x3 squares in a 3x6 image: A in columns 0-2, B in columns 3-5.

    Surfaces (4-neighbourhood, image border counts as outside): the 8-pixel rings. Every
    row of A's column 2 and B's column 3 is on the surface, so the distance from a surface
    pixel in column c of A to B's surface is 3 - c: {3, 2, 1, 3, 1, 3, 2, 1}, and the same
    multiset from B to A. HD95 = percentile([1,1,1,2,2,3,3,3], 95) = 3, MSD = 16 / 8 = 2.
    """
    a = np.zeros((3, 6), bool)
    b = np.zeros((3, 6), bool)
    a[:, :3] = True
    b[:, 3:] = True
    return a, b


def test_dice_jaccard_hand_computed() -> None:
    a = np.zeros((10, 10), bool)
    b = np.zeros((10, 10), bool)
    a[0:4, 0:4] = True  # 16 pixels
    b[0:4, 2:6] = True  # 16 pixels, 8 shared
    assert dice(a, b) == pytest.approx(2 * 8 / 32)
    assert jaccard(a, b) == pytest.approx(8 / 24)
    assert dice(a, a) == 1.0
    assert jaccard(a, np.zeros_like(a)) == 0.0
    assert dice(np.zeros_like(a), np.zeros_like(a)) == 1.0  # two empty masks agree


def test_surface_distances_hand_computed() -> None:
    a, b = _squares()
    d_ab, d_ba = surface_distances(a, b)
    assert sorted(d_ab.tolist()) == [1, 1, 1, 2, 2, 3, 3, 3]
    assert sorted(d_ba.tolist()) == [1, 1, 1, 2, 2, 3, 3, 3]
    assert hausdorff_95(a, b) == pytest.approx(3.0)
    assert mean_surface_distance(a, b) == pytest.approx(2.0)
    assert dice(a, b) == 0.0


def test_surface_distances_use_spacing() -> None:
    a, b = _squares()
    # columns 2 mm apart, rows 1 mm: every distance (all along x) doubles
    assert hausdorff_95(a, b, spacing=(1.0, 2.0)) == pytest.approx(6.0)
    assert mean_surface_distance(a, b, spacing=(1.0, 2.0)) == pytest.approx(4.0)
    va = Volume(a[np.newaxis], spacing=(5.0, 1.0, 2.0))
    vb = Volume(b[np.newaxis], spacing=(5.0, 1.0, 2.0))
    m = segmentation_metrics(va, vb)  # one-slice volumes: 2D surfaces, in-plane spacing
    assert m["hd95"] == pytest.approx(6.0)
    assert m["msd"] == pytest.approx(4.0)
    assert m["dice"] == 0.0 and m["jaccard"] == 0.0


def test_hd95_interpolates_between_order_statistics() -> None:
    """A = 5x5 square; B = A plus a 1-pixel spur of 4 pixels from its middle row.

    A's surface: the 16-pixel ring; all are on B's surface except (2, 4), now inside B,
    1 px from it: d_AB = 15 x 0 and one 1; P95 (16 values, rank 14.25) = 0.25.
    B's surface: A's ring less (2, 4) (distance 0) and the spur at 1, 2, 3, 4 px from (2, 4):
    d_BA = 15 x 0, 1, 2, 3, 4; P95 (19 values, rank 17.1) = 3 + 0.1 = 3.1. HD95 = 3.1.
    """
    a = np.zeros((5, 12), bool)
    a[:, :5] = True
    b = a.copy()
    b[2, 5:9] = True
    d_ab, d_ba = surface_distances(a, b)
    assert sorted(d_ab.tolist()) == [0.0] * 15 + [1.0]
    assert sorted(d_ba.tolist()) == [0.0] * 15 + [1.0, 2.0, 3.0, 4.0]
    assert hausdorff_95(a, b) == pytest.approx(3.1)
    assert mean_surface_distance(a, b) == pytest.approx((1 + 1 + 2 + 3 + 4) / 35)


def test_3d_cubes_shifted_along_z() -> None:
    a = np.zeros((6, 5, 5), bool)
    a[1:4, 1:4, 1:4] = True
    b = np.roll(a, 1, axis=0)
    assert dice(a, b) == pytest.approx(2 * 18 / 54)
    # the 3x3 cube's surface is all but its centre (26 voxels); shifted by one slice of 2.5 mm
    d_ab, _ = surface_distances(a, b, spacing=(2.5, 1.0, 1.0))
    assert d_ab.size == 26
    assert d_ab.max() == pytest.approx(2.5)
    assert hausdorff_95(a, b, spacing=(2.5, 1.0, 1.0)) == pytest.approx(2.5)


def test_identical_masks() -> None:
    a, _ = _squares()
    m = segmentation_metrics(a, a)
    assert m == {"dice": 1.0, "jaccard": 1.0, "hd95": 0.0, "msd": 0.0}


def test_empty_and_mismatched_masks() -> None:
    a, _ = _squares()
    with pytest.raises(EmptyMaskError, match="segmentation mask is empty"):
        hausdorff_95(np.zeros_like(a), a)
    m = segmentation_metrics(np.zeros_like(a), a)
    assert m["dice"] == 0.0 and np.isnan(m["hd95"]) and np.isnan(m["msd"])
    with pytest.raises(GeometryMismatchError):
        dice(a, np.zeros((4, 4), bool))
