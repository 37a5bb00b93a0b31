"""The neighbour kernel of PyRadiomics' GLDM and NGTDM against a plain loop."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from radiomix.features._kernels_pyradiomics import neighbour_stats


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
