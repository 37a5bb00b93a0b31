"""GLRLM family: IBSI digital phantom, hand-computed cases, kernel vs reference, edge cases."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radiomix.extraction.reference import within_tolerance
from radiomix.features import glrlm
from radiomix.features._kernels_glrlm import (
    _reference_run_counts,
    max_run_length,
    run_length_counts,
)
from radiomix.features._texture import directions
from tests.conftest import digital_phantom_tags

ALL = ("2D", "2.5D", "3D")
AGGS = ("2d_avg", "2d_comb", "2_5d_avg", "2_5d_comb", "3d_avg", "3d_comb")


def _values(levels: np.ndarray, n_levels: int, **kw) -> dict[str, float]:
    return {v.feature_name: v.value for v in glrlm.compute(levels, n_levels, **kw)}


def _no_warnings(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kw)


# --------------------------------------------------------------------------- IBSI phantom


@pytest.fixture(scope="module")
def phantom_values(digital_phantom) -> dict[str, float]:
    levels = np.where(digital_phantom.mask, digital_phantom.image, 0).astype(np.int64)
    return {v.ibsi_tag: v.value for v in glrlm.compute(levels, 6, spatial=ALL)}


@pytest.mark.parametrize("tag", digital_phantom_tags("rlm_"))
def test_digital_phantom(tag, phantom_values, digital_phantom_reference):
    ref = digital_phantom_reference[tag]
    assert within_tolerance(phantom_values[tag], ref), (tag, phantom_values[tag], ref.value)


def test_digital_phantom_covers_every_tag(phantom_values):
    tags = digital_phantom_tags("rlm_")
    assert len(tags) == 16 * 6
    assert set(tags) == set(phantom_values)


# --------------------------------------------------------------------------- hand-computed


def test_hand_computed_row():
    # 1 1 2 1 along x: runs (level 1, length 2), (2, 1), (1, 1); N_s = 3, N_v = 4
    levels = np.array([[[1, 1, 2, 1]]])
    (m,) = glrlm.build_matrices(levels, np.array([[0, 0, 1]]), 2)
    assert sorted(zip(*m.entries(), strict=True)) == [(1, 1, 1), (1, 2, 1), (2, 1, 1)]
    assert m.n_voxels[0] == 4
    expected = {
        "sre": (1 + 1 / 4 + 1) / 3,
        "lre": (1 + 4 + 1) / 3,
        "lgre": (1 + 1 + 1 / 4) / 3,
        "hgre": (1 + 1 + 4) / 3,
        "srlge": (1 + 1 / 4 + 1 / 4) / 3,
        "srhge": (1 + 1 / 4 + 4) / 3,
        "lrlge": (1 + 4 + 1 / 4) / 3,
        "lrhge": (1 + 4 + 4) / 3,
        "glnu": (2**2 + 1**2) / 3,
        "glnu_norm": (2**2 + 1**2) / 9,
        "rlnu": (2**2 + 1**2) / 3,
        "rlnu_norm": (2**2 + 1**2) / 9,
        "r_perc": 3 / 4,
        "gl_var": 2 / 9,  # levels 1, 1, 2 around 4/3
        "rl_var": 2 / 9,  # lengths 2, 1, 1 around 4/3
        "rl_entr": math.log2(3),
    }
    assert set(expected) == {s.name for s in glrlm.FEATURES}
    assert glrlm.evaluate(m) == pytest.approx(expected)


def test_merged_run_percentage_sums_voxel_counts():
    # along x: 3 runs in 4 voxels; along each of the 12 other 3D directions every voxel is
    # a run of its own (4 runs). Merged: N_s = 3 + 12 * 4, N_v = 13 * 4 (IBSI 1: N_v of the
    # merged matrices added).
    levels = np.array([[[1, 1, 2, 1]]])
    got = _values(levels, 2)
    assert got["r_perc_3d_comb"] == pytest.approx(51 / 52)
    assert got["r_perc_3d_avg"] == pytest.approx((3 / 4 + 12) / 13)
    # in-plane: x plus 3 directions with single-voxel runs
    got2 = _values(levels, 2, spatial=("2D", "2.5D"))
    for agg in ("2d_comb", "2_5d_comb"):
        assert got2[f"r_perc_{agg}"] == pytest.approx(15 / 16)
    for agg in ("2d_avg", "2_5d_avg"):
        assert got2[f"r_perc_{agg}"] == pytest.approx((3 / 4 + 3) / 4)


def test_runs_stop_at_roi_border():
    # 2 2 _ 2 2: two runs of length 2 along x, not one of length 4
    levels = np.array([[[2, 2, 0, 2, 2]]])
    (m,) = glrlm.build_matrices(levels, np.array([[0, 0, 1]]), 2)
    assert list(zip(*m.entries(), strict=True)) == [(2, 2, 2)]
    assert m.n_voxels[0] == 4


def test_diagonal_and_vertical_runs():
    # a 3x3 plane with a diagonal of 1s in a field of 2s
    plane = np.array([[1, 2, 2], [2, 1, 2], [2, 2, 1]])
    offs = np.array([[0, 1, 1], [0, 1, -1], [0, 1, 0]])
    counts = run_length_counts(plane[None], offs, 2)
    # main diagonal: the 1s form one run of 3; the 2s two runs of 2 and two runs of 1
    assert counts[0, 1, 3] == 1 and counts[0, 2, 2] == 2 and counts[0, 2, 1] == 2
    assert counts[0].sum() == 5
    # anti-diagonal: 1s in runs of length 1, centre included in the long anti-diagonal
    assert counts[1, 1, 1] == 3 and counts[1, 2].sum() == 4
    # vertical: columns [1,2,2], [2,1,2], [2,2,1]
    assert counts[2, 1, 1] == 3 and counts[2, 2, 2] == 2 and counts[2, 2, 1] == 2


# --------------------------------------------------------------------------- vs reference


@pytest.mark.parametrize("seed", range(5))
def test_kernel_matches_reference(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in rng.integers(1, 7, size=3))
    n_levels = int(rng.integers(1, 4))
    levels = rng.integers(1, n_levels + 1, size=shape) * (rng.random(shape) < 0.8)
    for two_d in (True, False):
        offs = directions(two_d)
        np.testing.assert_array_equal(
            run_length_counts(levels, offs, n_levels),
            _reference_run_counts(levels, offs, n_levels),
        )


def test_kernel_accepts_negative_and_any_integer_dtype():
    rng = np.random.default_rng(11)
    levels = rng.integers(0, 4, size=(4, 5, 6)).astype(np.uint8)
    offs = -directions(two_d=False)
    np.testing.assert_array_equal(
        run_length_counts(levels, offs, 3), _reference_run_counts(levels, offs, 3)
    )


def test_every_voxel_in_one_run_per_direction():
    rng = np.random.default_rng(5)
    levels = rng.integers(1, 3, size=(5, 7, 6)) * (rng.random((5, 7, 6)) < 0.9)
    counts = run_length_counts(levels, directions(False), 2)
    lengths = np.arange(counts.shape[2])
    np.testing.assert_array_equal(
        (counts * lengths).sum(axis=(1, 2)), np.full(13, np.count_nonzero(levels))
    )


def test_max_run_length():
    assert max_run_length((3, 10, 7), directions(False)) == 10
    assert max_run_length((3, 10, 7), np.array([[1, 1, 1]])) == 3


@pytest.mark.parametrize(
    ("levels", "offsets", "n_levels", "match"),
    [
        (np.ones((3, 3)), [[0, 0, 1]], 1, "3D integer"),
        (np.ones((1, 3, 3)), [[0, 0, 1]], 1, "3D integer"),
        (np.ones((1, 3, 3), int), [[0, 1]], 1, "offsets"),
        (np.ones((1, 3, 3), int), [[0, 0, 2]], 1, "unit"),
        (np.ones((1, 3, 3), int), [[0, 0, 0]], 1, "unit"),
        (np.full((1, 3, 3), 4), [[0, 0, 1]], 3, "0..3"),
    ],
)
def test_kernel_wrapper_validates(levels, offsets, n_levels, match):
    with pytest.raises(ValueError, match=match):
        run_length_counts(levels, np.array(offsets), n_levels)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(0, 3))
def test_rotation_and_flip_invariance(seed, k):
    rng = np.random.default_rng(seed)
    levels = rng.integers(1, 4, size=(3, 5, 5)) * (rng.random((3, 5, 5)) < 0.8)
    base = _no_warnings(_values, levels, 3, spatial=ALL)
    turned = _no_warnings(_values, np.rot90(levels, k, axes=(1, 2)), 3, spatial=ALL)
    flipped = _no_warnings(_values, levels[::-1, :, ::-1], 3, spatial=ALL)
    for other in (turned, flipped):
        for name, value in base.items():
            assert other[name] == pytest.approx(value, nan_ok=True), name


# --------------------------------------------------------------------------- degenerate


def test_empty_roi_gives_nan():
    out = _no_warnings(glrlm.compute, np.zeros((2, 3, 3), dtype=np.int64), 4, spatial=ALL)
    assert len(out) == 6 * len(glrlm.FEATURES)
    assert all(np.isnan(v.value) for v in out)


def test_single_voxel():
    levels = np.zeros((3, 3, 3), dtype=np.int64)
    levels[1, 1, 1] = 2
    got = _no_warnings(_values, levels, 4, spatial=ALL)
    for agg in AGGS:
        assert got[f"sre_{agg}"] == 1.0
        assert got[f"lre_{agg}"] == 1.0
        assert got[f"hgre_{agg}"] == 4.0
        assert got[f"r_perc_{agg}"] == 1.0
        assert got[f"gl_var_{agg}"] == 0.0
        assert got[f"rl_entr_{agg}"] == 0.0


def test_single_grey_level_line():
    levels = np.full((1, 1, 5), 3)
    (m,) = glrlm.build_matrices(levels, np.array([[0, 0, 1]]), 3)
    got = glrlm.evaluate(m)
    assert got["lre"] == 25.0
    assert got["r_perc"] == pytest.approx(0.2)
    assert got["glnu_norm"] == 1.0
    assert got["rl_var"] == 0.0


# --------------------------------------------------------------------------- API


def test_registry():
    assert len(glrlm.FEATURES) == 16
    names = [s.name for s in glrlm.FEATURES]
    assert len(set(names)) == len(names)
    for spec in glrlm.FEATURES:
        assert spec.family == "glrlm"
        assert spec.ibsi_tag == f"rlm_{spec.name}"
        assert spec.ibsi_code is not None and len(spec.ibsi_code) == 4
        assert spec.ibsi_code in spec.doc
        assert ".. math::" in spec.doc


def test_output_order():
    levels = np.array([[[1, 2], [2, 1]]])
    out = glrlm.compute(levels, 2, spatial=("3D", "2.5D"))
    aggs = [v.aggregation for v in out]
    assert aggs == ["2_5D_avg"] * 16 + ["2_5D_comb"] * 16 + ["3D_avg"] * 16 + ["3D_comb"] * 16
    assert [v.spec for v in out[:16]] == list(glrlm.FEATURES)
    assert all(v.qualifier == "" for v in out)


@pytest.mark.parametrize(
    ("args", "kw", "match"),
    [
        ((np.ones((3, 3)), 2), {}, "3D"),
        ((np.ones((1, 3, 3)), 2), {}, "integer"),
        ((np.full((1, 3, 3), 3), 2), {}, "0..n_levels"),
        ((np.ones((1, 3, 3), dtype=int), 0), {}, "n_levels"),
        ((np.ones((1, 3, 3), dtype=int), 2), {"spatial": ("4D",)}, "spatial"),
    ],
)
def test_invalid_input(args, kw, match):
    with pytest.raises(ValueError, match=match):
        glrlm.compute(*args, **kw)
