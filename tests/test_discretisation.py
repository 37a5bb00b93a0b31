"""IBSI fixed bin number and fixed bin size discretisation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from radiomix.preprocess.discretisation import (
    discretise_fixed_bin_number,
    discretise_fixed_bin_size,
)


def _reference_fbn(x: np.ndarray, n: int) -> np.ndarray:
    """The IBSI formula written out voxel by voxel."""
    lo, hi = x.min(), x.max()
    out = []
    for v in x.ravel():
        out.append(n if v == hi else int(np.floor(n * (v - lo) / (hi - lo))) + 1)
    return np.array(out).reshape(x.shape)


def test_fbn_hand_computed():
    x = np.array([0.0, 0.9, 1.0, 2.5, 3.0])  # n = 3: edges at 1 and 2
    np.testing.assert_array_equal(discretise_fixed_bin_number(x, 3), [1, 1, 2, 3, 3])


def test_fbn_digital_phantom_levels_are_kept(digital_phantom):
    x = digital_phantom.image[digital_phantom.mask]
    np.testing.assert_array_equal(discretise_fixed_bin_number(x, 6), x.astype(int))


@pytest.mark.parametrize("seed", range(5))
def test_fbn_matches_reference(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 100, size=(7, 11, 5))
    n = int(rng.integers(1, 64))
    got = discretise_fixed_bin_number(x, n)
    assert got.dtype == np.int32 and got.shape == x.shape
    np.testing.assert_array_equal(got, _reference_fbn(x, n))
    assert got.min() == 1 and got.max() == n


def test_fbn_constant_and_empty():
    np.testing.assert_array_equal(discretise_fixed_bin_number(np.full(4, 7.0), 32), 1)
    assert discretise_fixed_bin_number(np.array([]), 8).shape == (0,)


@given(
    arrays(np.float64, st.integers(1, 60), elements=st.floats(-1e4, 1e4)),
    st.integers(1, 100),
)
def test_fbn_properties(x, n):
    got = discretise_fixed_bin_number(x, n)
    assert got.min() >= 1 and got.max() <= n
    order = np.argsort(x, kind="stable")
    assert np.all(np.diff(got[order]) >= 0)  # monotone in the intensity
    if x.max() > x.min():
        assert got[np.argmax(x)] == n and got[np.argmin(x)] == 1


def test_fbs_edges_go_to_the_upper_bin():
    x = np.array([-500.0, -475.0001, -475.0, -450.0, 0.0, 400.0])
    np.testing.assert_array_equal(discretise_fixed_bin_size(x, 25.0, -500.0), [1, 1, 2, 3, 21, 37])


def test_fbs_edges_up_to_round_off():
    x = np.array([0.3, 0.7, 1.0])  # 0.3 / 0.1 == 2.9999999999999996 in binary
    np.testing.assert_array_equal(discretise_fixed_bin_size(x, 0.1, 0.0), [4, 8, 11])


@pytest.mark.parametrize("seed", range(3))
def test_fbs_matches_formula(seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1000, 400, size=(4, 9, 9))
    got = discretise_fixed_bin_size(x, 2.5, -1000.0)
    assert got.dtype == np.int32 and got.shape == x.shape
    np.testing.assert_array_equal(got, np.floor((x + 1000.0) / 2.5).astype(int) + 1)


def test_fbs_errors():
    with pytest.raises(ValueError, match="below the lower bound"):
        discretise_fixed_bin_size(np.array([-501.0]), 25.0, -500.0)
    with pytest.raises(ValueError, match="bin_width"):
        discretise_fixed_bin_size(np.array([1.0]), 0.0, 0.0)
    with pytest.raises(ValueError, match="NaN"):
        discretise_fixed_bin_size(np.array([np.nan]), 1.0, 0.0)
    with pytest.raises(ValueError, match="n_bins"):
        discretise_fixed_bin_number(np.array([1.0]), 0)
    assert discretise_fixed_bin_size(np.array([]), 1.0, 0.0).shape == (0,)


def test_fixed_bin_size_grey_level_count_follows_the_resegmentation_range():
    """IBSI: a range of [-500, 400] HU in bins of 25 HU has ceil(900 / 25) = 36 grey levels
    (the normalised GLCM features divide by it; 37 missed IBSI configuration A's inverse
    difference normalised by 0.001); a voxel exactly at 400 HU opens level 37 itself."""
    from radiomix.extraction.pipeline import _discretise
    from radiomix.extraction.settings import load_config

    settings = load_config("ibsi1-A")
    levels, n_levels = _discretise(np.array([-500.0, -12.0, 399.0]), settings, (-500.0, 400.0))
    assert levels.tolist() == [1, 20, 36] and n_levels == 36
    levels, n_levels = _discretise(np.array([-500.0, 400.0]), settings, (-500.0, 400.0))
    assert levels.tolist() == [1, 37] and n_levels == 37
    _, n_levels = _discretise(np.array([-480.0, 0.0]), settings, (-500.0, 390.0))
    assert n_levels == 36  # ceil(890 / 25): the level holding 390 HU
