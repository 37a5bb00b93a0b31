"""The neighbour kernels of PyRadiomics' GLDM, NGTDM (against a plain loop) and GLCM (against
hand counts and the engine's GLCM builder)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from radiomix.features._kernels_pyradiomics import cooccurrence_counts, neighbour_stats
from radiomix.features.glcm import build_matrices


def _reference(levels: np.ndarray, offsets: np.ndarray, alpha: float):
    dep = np.zeros(levels.shape, dtype=np.int64)
    cnt = np.zeros(levels.shape, dtype=np.int64)
    tot = np.zeros(levels.shape, dtype=np.float64)
    for p in itertools.product(*(range(n) for n in levels.shape)):
        g = levels[p]
        if g <= 0:
            continue
        for off in offsets:
            q = tuple(int(a + b) for a, b in zip(p, off, strict=True))
            if any(c < 0 or c >= n for c, n in zip(q, levels.shape, strict=True)):
                continue
            h = levels[q]
            if h <= 0:
                continue
            cnt[p] += 1
            tot[p] += h
            dep[p] += abs(g - h) <= alpha
    return dep, cnt, tot


@pytest.mark.parametrize("alpha", [0, 2, 0.5])
@pytest.mark.parametrize("distance", [1, 2])
def test_neighbour_stats_match_a_plain_loop(alpha: float, distance: int) -> None:
    rng = np.random.default_rng(distance)
    levels = rng.integers(1, 6, size=(5, 7, 6))
    levels[rng.random(levels.shape) < 0.3] = 0
    rngs = range(-distance, distance + 1)
    offsets = np.array(
        [o for o in itertools.product(rngs, rngs, rngs) if max(map(abs, o)) == distance]
    )
    got = neighbour_stats(levels, offsets, alpha)
    ref = _reference(levels, offsets, alpha)
    for a, b in zip(got, ref, strict=True):
        np.testing.assert_array_equal(a, b)
    assert (got[0] <= got[1]).all() and (got[0] < got[1]).any()
    # a voxel of level 3 in the middle of a block of 3s has all 26 neighbours (distance 1)
    block = np.full((3, 3, 3), 3)
    d, c, t = neighbour_stats(block, offsets if distance == 1 else offsets[:0], alpha)
    assert c[1, 1, 1] == (26 if distance == 1 else 0) and t[1, 1, 1] == 3 * c[1, 1, 1]
    assert d[1, 1, 1] == c[1, 1, 1]


def test_neighbour_stats_refuse_a_2d_array() -> None:
    with pytest.raises(ValueError, match="3D"):
        neighbour_stats(np.ones((3, 3), dtype=np.int64), np.zeros((1, 3), dtype=np.int64), 0)


def test_one_way_cooccurrence_of_a_small_plane() -> None:
    """Hand-counted pairs along x (+1): (1,2) (2,2) (3,1) (2,3) (3,3); (1, 0) leaves the ROI."""
    levels = np.array([[[1, 2, 2], [3, 1, 0], [2, 3, 3]]], dtype=np.int64)
    offsets = np.array([[0, 0, 1], [0, 1, 0], [0, 1, 1]])
    one_way = cooccurrence_counts(levels, offsets, np.array([1, 2, 3]), symmetric=False)
    want = np.zeros((3, 3))
    for i, j in [(1, 2), (2, 2), (3, 1), (2, 3), (3, 3)]:
        want[i - 1, j - 1] += 1
    np.testing.assert_array_equal(one_way[:, :, 0], want)
    both = cooccurrence_counts(levels, offsets, np.array([1, 2, 3]))
    for a, m in enumerate(build_matrices(levels, offsets, 3)):
        np.testing.assert_array_equal(one_way[:, :, a] + one_way[:, :, a].T, both[:, :, a])
        np.testing.assert_array_equal(both[:, :, a], m.to_dense())


@pytest.mark.parametrize("distance", [1, 2])
def test_cooccurrence_equals_the_engine_glcm_on_the_levels_present(distance: int) -> None:
    rng = np.random.default_rng(10 + distance)
    levels = rng.choice([0, 2, 5, 9], size=(6, 8, 7), p=[0.3, 0.3, 0.2, 0.2])
    rngs = range(-distance, distance + 1)
    offsets = np.array(
        [o for o in itertools.product(rngs, rngs, rngs) if max(map(abs, o)) == distance]
    )[:13]
    present = np.array([2, 5, 9])
    got = cooccurrence_counts(levels, offsets, present)
    assert got.shape == (3, 3, 13) and got.sum() > 0
    idx = present - 1
    for a, m in enumerate(build_matrices(levels, offsets, 9)):
        np.testing.assert_array_equal(got[:, :, a], m.to_dense()[np.ix_(idx, idx)])
