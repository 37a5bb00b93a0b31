"""GLCM family: IBSI digital phantom, hand-computed cases, builder vs reference, edge cases."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radiomix.extraction.reference import within_tolerance
from radiomix.features import glcm
from radiomix.features._texture import directions, neighbour_offsets
from tests.conftest import digital_phantom_tags

ALL = ("2D", "2.5D", "3D")
AGGS = ("2d_avg", "2d_comb", "2_5d_avg", "2_5d_comb", "3d_avg", "3d_comb")


def _values(levels: np.ndarray, n_levels: int, **kw) -> dict[str, float]:
    return {v.feature_name: v.value for v in glcm.compute(levels, n_levels, **kw)}


def _no_warnings(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kw)


# --------------------------------------------------------------------------- IBSI phantom


@pytest.fixture(scope="module")
def phantom_values(digital_phantom) -> dict[str, float]:
    levels = np.where(digital_phantom.mask, digital_phantom.image, 0).astype(np.int64)
    return {v.ibsi_tag: v.value for v in glcm.compute(levels, 6, spatial=ALL)}


@pytest.mark.parametrize("tag", digital_phantom_tags("cm_"))
def test_digital_phantom(tag, phantom_values, digital_phantom_reference):
    ref = digital_phantom_reference[tag]
    assert within_tolerance(phantom_values[tag], ref), (tag, phantom_values[tag], ref.value)


def test_digital_phantom_covers_every_tag(phantom_values):
    tags = digital_phantom_tags("cm_")
    assert len(tags) == 25 * 6
    assert set(tags) == set(phantom_values)


# --------------------------------------------------------------------------- hand-computed


def test_hand_computed_row():
    # one row 1-2-2: pairs (1,2), (2,2) along x, counted both ways:
    # m12 = m21 = 1, m22 = 2  ->  p12 = p21 = 1/4, p22 = 1/2
    levels = np.array([[[1, 2, 2]]])
    (m,) = glcm.build_matrices(levels, np.array([[0, 0, 1]]), 2)
    np.testing.assert_array_equal(m.to_dense(), [[0, 1], [1, 2]])
    hx = -(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75))
    hxy = 1.5
    hxy1 = -(0.5 * math.log2(0.25 * 0.75) + 0.5 * math.log2(0.75 * 0.75))
    expected = {
        "joint_max": 0.5,
        "joint_avg": 1.75,
        "joint_var": 0.1875,
        "joint_entr": hxy,
        "diff_avg": 0.5,
        "diff_var": 0.25,
        "diff_entr": 1.0,
        "sum_avg": 3.5,
        "sum_var": 0.25,
        "sum_entr": 1.0,
        "energy": 0.375,
        "contrast": 0.5,
        "dissimilarity": 0.5,
        "inv_diff": 0.75,
        "inv_diff_norm": 0.5 + 0.5 / 1.5,
        "inv_diff_mom": 0.75,
        "inv_diff_mom_norm": 0.5 + 0.5 / 1.25,
        "inv_var": 0.5,
        "corr": -1 / 3,  # cov -1/16 over var 3/16
        "auto_corr": 3.0,
        "clust_tend": 0.25,
        "clust_shade": 0.0,
        "clust_prom": 0.0625,
        "info_corr1": (hxy - hxy1) / hx,
        "info_corr2": math.sqrt(1 - math.exp(-2 * (2 * hx - hxy))),
    }
    assert set(expected) == {s.name for s in glcm.FEATURES}
    assert glcm.evaluate(m) == pytest.approx(expected)
    # the only pairs lie along x: every aggregation sees this one matrix
    got = _values(levels, 2, spatial=ALL)
    for agg in AGGS:
        for name, value in expected.items():
            assert got[f"{name}_{agg}"] == pytest.approx(value), (agg, name)


def test_hand_computed_matrix_5x5():
    # the 5x5 worked example of the PyRadiomics GLCM documentation: horizontal neighbours
    # (0 degrees), symmetric counts
    image = np.array(
        [
            [1, 2, 5, 2, 3],
            [3, 2, 1, 3, 1],
            [1, 3, 5, 5, 2],
            [1, 1, 1, 1, 2],
            [1, 2, 4, 3, 5],
        ]
    )
    expected = np.array(
        [
            [6, 4, 3, 0, 0],
            [4, 0, 2, 1, 3],
            [3, 2, 0, 1, 2],
            [0, 1, 1, 0, 0],
            [0, 3, 2, 0, 2],
        ]
    )
    (m,) = glcm.build_matrices(image[None], np.array([[0, 0, 1]]), 5)
    np.testing.assert_array_equal(m.to_dense(), expected)


def test_pairs_need_both_voxels_in_roi_and_distance():
    # 1 _ 2 with the middle outside the ROI: no pair at distance 1, one at distance 2
    levels = np.array([[[1, 0, 2]]])
    d1 = _no_warnings(_values, levels, 2)
    assert all(np.isnan(v) for v in d1.values())
    d2 = _values(levels, 2, distance=2)
    assert set(d2) == {f"{s.name}_3d_{a}_d2" for s in glcm.FEATURES for a in ("avg", "comb")}
    assert d2["joint_max_3d_comb_d2"] == pytest.approx(0.5)
    assert d2["contrast_3d_comb_d2"] == pytest.approx(1.0)
    assert d2["corr_3d_comb_d2"] == pytest.approx(-1.0)


def test_distance_uses_chebyshev_offsets():
    # diagonal neighbours two voxels apart along both axes are at Chebyshev distance 2
    levels = np.zeros((1, 3, 3), dtype=np.int64)
    levels[0, 0, 0] = 1
    levels[0, 2, 2] = 3
    got = _values(levels, 3, spatial=("2D",), distance=2)
    assert got["joint_avg_2d_comb_d2"] == pytest.approx(2.0)
    assert got["contrast_2d_comb_d2"] == pytest.approx(4.0)


def test_2d_ignores_pairs_across_slices():
    levels = np.array([[[1]], [[2]]])
    got = _no_warnings(_values, levels, 2, spatial=ALL)
    for agg in ("2d_avg", "2d_comb", "2_5d_avg", "2_5d_comb"):
        assert np.isnan(got[f"contrast_{agg}"])
    assert got["contrast_3d_comb"] == pytest.approx(1.0)
    assert got["contrast_3d_avg"] == pytest.approx(1.0)


def test_merged_adds_counts():
    rng = np.random.default_rng(7)
    levels = rng.integers(0, 5, size=(3, 6, 6))
    ms = glcm.build_matrices(levels, directions(two_d=False), 4)
    merged = glcm.CooccurrenceMatrix.merged(ms)
    np.testing.assert_array_equal(merged.to_dense(), sum(m.to_dense() for m in ms))


# --------------------------------------------------------------------------- vs reference


def _reference_glcm(levels: np.ndarray, offset, n_levels: int) -> np.ndarray:
    """Voxel loop: the plain definition, counting each pair both ways."""
    out = np.zeros((n_levels, n_levels))
    shape = levels.shape
    for p in np.ndindex(shape):
        q = tuple(int(c + o) for c, o in zip(p, offset, strict=True))
        if not all(0 <= c < n for c, n in zip(q, shape, strict=True)):
            continue
        a, b = levels[p], levels[q]
        if a > 0 and b > 0:
            out[a - 1, b - 1] += 1
            out[b - 1, a - 1] += 1
    return out


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("distance", [1, 2, 3])
def test_builder_matches_reference(seed, distance):
    rng = np.random.default_rng(seed)
    levels = rng.integers(1, 6, size=(4, 6, 7)) * (rng.random((4, 6, 7)) < 0.7)
    offs = directions(two_d=False)
    ms = glcm.build_matrices(levels, offs, 5, distance)
    for off, m in zip(offs, ms, strict=True):
        ref = _reference_glcm(levels, distance * off, 5)
        np.testing.assert_array_equal(m.to_dense(), ref)


def test_sparse_counting_matches_dense():
    # many grey levels, few pairs: counted by sorting instead of a dense table
    rng = np.random.default_rng(3)
    n_levels = 3000
    levels = rng.integers(1, n_levels + 1, size=(2, 4, 5))
    (m,) = glcm.build_matrices(levels, np.array([[0, 1, 1]]), n_levels)
    ref = _reference_glcm(levels, (0, 1, 1), n_levels)
    np.testing.assert_array_equal(m.to_dense(), ref)


@pytest.mark.parametrize("numba", [False, True], ids=["numpy", "numba"])
@pytest.mark.parametrize("every_offset", [False, True], ids=["ibsi", "every-offset"])
def test_cooccurrence_matrices_match_reference(numba, every_offset):
    """Both backends, both offset sets (distances 1 and 2), symmetric and one-way."""
    rng = np.random.default_rng(11)
    levels = rng.choice([0, 2, 5, 9], size=(5, 7, 6), p=[0.3, 0.3, 0.2, 0.2])
    offs = neighbour_offsets((1, 2), False, every_offset=every_offset)
    assert len(offs) == (62 if every_offset else 26)
    batch = glcm.cooccurrence_matrices(levels, offs, 9, numba=numba)
    one_way = glcm.cooccurrence_matrices(levels, offs, 9, symmetric=False, numba=numba)
    assert batch.n_batch == one_way.n_batch == len(offs)
    for off, m, o in zip(offs, batch.split(), one_way.split(), strict=True):
        ref = _reference_glcm(levels, off, 9)
        np.testing.assert_array_equal(m.to_dense(), ref)
        np.testing.assert_array_equal(o.to_dense() + o.to_dense().T, ref)


def test_one_way_cooccurrence_of_a_small_plane():
    """Hand-counted pairs along x (+1): (1,2) (2,2) (3,1) (2,3) (3,3); (1, 0) leaves the ROI."""
    levels = np.array([[[1, 2, 2], [3, 1, 0], [2, 3, 3]]], dtype=np.int64)
    want = np.zeros((3, 3))
    for i, j in [(1, 2), (2, 2), (3, 1), (2, 3), (3, 3)]:
        want[i - 1, j - 1] += 1
    for numba in (False, True):
        m = glcm.cooccurrence_matrices(levels, [[0, 0, 1]], 3, symmetric=False, numba=numba)
        np.testing.assert_array_equal(m.to_dense(), want)


def test_neighbour_offsets_switch():
    """Distance 1: both switches give IBSI's 13 (4 in-plane) directions in the same order;
    beyond, PyRadiomics' every offset of the norm."""
    for two_d in (False, True):
        unit = directions(two_d)
        np.testing.assert_array_equal(neighbour_offsets((1,), two_d), unit)
        np.testing.assert_array_equal(neighbour_offsets((1,), two_d, every_offset=True), unit)
    np.testing.assert_array_equal(neighbour_offsets((2,), False), 2 * directions(False))
    shell = neighbour_offsets((2,), False, every_offset=True)
    assert len(shell) == (125 - 27) // 2 and (np.abs(shell).max(axis=1) == 2).all()
    assert len(neighbour_offsets((2,), True, every_offset=True)) == (25 - 9) // 2


def test_weighted_sums_the_batch():
    rng = np.random.default_rng(5)
    levels = rng.integers(0, 5, size=(3, 6, 6))
    batch = glcm.cooccurrence_matrices(levels, directions(False), 4)
    w = rng.random(batch.n_batch)
    want = np.tensordot(w, batch.to_dense(), axes=(0, 0))
    np.testing.assert_allclose(batch.weighted(w).to_dense(), want, rtol=1e-15)


def _dense_features(p: np.ndarray) -> dict[str, float]:
    """Textbook formulas on a dense normalised matrix."""
    ng = p.shape[0]
    i, j = np.meshgrid(np.arange(1, ng + 1), np.arange(1, ng + 1), indexing="ij")
    px = p.sum(axis=1)
    mu = float((i * p).sum())
    var = float(((i - mu) ** 2 * p).sum())
    k_d = np.arange(ng)
    pd = np.array([p[np.abs(i - j) == k].sum() for k in k_d])
    k_s = np.arange(2, 2 * ng + 1)
    ps = np.array([p[(i + j) == k].sum() for k in k_s])

    def entr(q):
        q = q[q > 0]
        return float(-(q * np.log2(q)).sum())

    hx = entr(px)
    hxy = entr(p.ravel())
    outer = np.outer(px, px)
    nz = p > 0
    hxy1 = float(-(p[nz] * np.log2(outer[nz])).sum())
    hxy2 = entr(outer.ravel())
    dm = float((k_d * pd).sum())
    sm = float((k_s * ps).sum())
    return {
        "joint_max": float(p.max()),
        "joint_avg": mu,
        "joint_var": var,
        "joint_entr": hxy,
        "diff_avg": dm,
        "diff_var": float(((k_d - dm) ** 2 * pd).sum()),
        "diff_entr": entr(pd),
        "sum_avg": sm,
        "sum_var": float(((k_s - sm) ** 2 * ps).sum()),
        "sum_entr": entr(ps),
        "energy": float((p**2).sum()),
        "contrast": float(((i - j) ** 2 * p).sum()),
        "dissimilarity": float((np.abs(i - j) * p).sum()),
        "inv_diff": float((p / (1 + np.abs(i - j))).sum()),
        "inv_diff_norm": float((p / (1 + np.abs(i - j) / ng)).sum()),
        "inv_diff_mom": float((p / (1 + (i - j) ** 2)).sum()),
        "inv_diff_mom_norm": float((p / (1 + (i - j) ** 2 / ng**2)).sum()),
        "inv_var": float((p[i != j] / ((i - j)[i != j] ** 2)).sum()),
        "corr": float(((i * j * p).sum() - mu * mu) / var),
        "auto_corr": float((i * j * p).sum()),
        "clust_tend": float(((i + j - 2 * mu) ** 2 * p).sum()),
        "clust_shade": float(((i + j - 2 * mu) ** 3 * p).sum()),
        "clust_prom": float(((i + j - 2 * mu) ** 4 * p).sum()),
        "info_corr1": (hxy - hxy1) / hx,
        "info_corr2": math.sqrt(1 - math.exp(-2 * (hxy2 - hxy))),
    }


@pytest.mark.parametrize("seed", range(4))
def test_formulas_match_dense_textbook(seed):
    rng = np.random.default_rng(seed)
    levels = rng.integers(1, 8, size=(3, 6, 6)) * (rng.random((3, 6, 6)) < 0.8)
    m = glcm.CooccurrenceMatrix.merged(glcm.build_matrices(levels, directions(False), 8))
    dense = m.to_dense()
    assert glcm.evaluate(m) == pytest.approx(_dense_features(dense / dense.sum()))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(0, 3))
def test_rotation_and_flip_invariance(seed, k):
    rng = np.random.default_rng(seed)
    levels = rng.integers(1, 5, size=(3, 5, 5)) * (rng.random((3, 5, 5)) < 0.8)
    base = _no_warnings(_values, levels, 4, spatial=ALL)
    turned = _no_warnings(_values, np.rot90(levels, k, axes=(1, 2)), 4, spatial=ALL)
    flipped = _no_warnings(_values, levels[::-1, :, ::-1], 4, spatial=ALL)
    for other in (turned, flipped):
        for name, value in base.items():
            assert other[name] == pytest.approx(value, nan_ok=True), name


# --------------------------------------------------------------------------- degenerate


def test_empty_roi_gives_nan():
    out = _no_warnings(glcm.compute, np.zeros((2, 3, 3), dtype=np.int64), 4, spatial=ALL)
    assert len(out) == 6 * len(glcm.FEATURES)
    assert all(np.isnan(v.value) for v in out)


def test_single_voxel_gives_nan():
    levels = np.zeros((3, 3, 3), dtype=np.int64)
    levels[1, 1, 1] = 2
    out = _no_warnings(glcm.compute, levels, 4, spatial=ALL)
    assert all(np.isnan(v.value) for v in out)


def test_single_grey_level():
    got = _no_warnings(_values, np.full((3, 4, 4), 3), 5, spatial=ALL)
    for agg in AGGS:
        assert np.isnan(got[f"corr_{agg}"])
        assert np.isnan(got[f"info_corr1_{agg}"])
        assert got[f"info_corr2_{agg}"] == 0.0
        assert got[f"joint_max_{agg}"] == 1.0
        assert got[f"joint_avg_{agg}"] == 3.0
        assert got[f"contrast_{agg}"] == 0.0
        assert got[f"inv_var_{agg}"] == 0.0
        assert got[f"joint_entr_{agg}"] == 0.0


# --------------------------------------------------------------------------- API


def test_registry():
    assert len(glcm.FEATURES) == 25
    names = [s.name for s in glcm.FEATURES]
    assert len(set(names)) == len(names)
    for spec in glcm.FEATURES:
        assert spec.family == "glcm"
        assert spec.ibsi_tag == f"cm_{spec.name}"
        assert spec.ibsi_code is not None and len(spec.ibsi_code) == 4
        assert spec.ibsi_code in spec.doc
        assert ".. math::" in spec.doc


def test_output_order_and_qualifier():
    levels = np.array([[[1, 2], [2, 1]]])
    out = glcm.compute(levels, 2, spatial=("3D", "2D"))
    aggs = [v.aggregation for v in out]
    assert aggs == ["2D_avg"] * 25 + ["2D_comb"] * 25 + ["3D_avg"] * 25 + ["3D_comb"] * 25
    assert [v.spec for v in out[:25]] == list(glcm.FEATURES)
    assert all(v.qualifier == "" for v in out)
    assert all(v.qualifier == "d3" for v in glcm.compute(levels, 2, distance=3))


@pytest.mark.parametrize(
    ("args", "kw", "match"),
    [
        ((np.ones((3, 3)), 2), {}, "3D"),
        ((np.ones((1, 3, 3)), 2), {}, "integer"),
        ((np.full((1, 3, 3), 3), 2), {}, "0..n_levels"),
        ((np.ones((1, 3, 3), dtype=int), 0), {}, "n_levels"),
        ((np.ones((1, 3, 3), dtype=int), 2), {"spatial": ("4D",)}, "spatial"),
        ((np.ones((1, 3, 3), dtype=int), 2), {"spatial": "3D"}, "spatial"),
        ((np.ones((1, 3, 3), dtype=int), 2), {"distance": 0}, "distance"),
        ((np.ones((1, 3, 3), dtype=int), 2), {"distance": 1.5}, "distance"),
        ((np.ones((1, 3, 3), dtype=int), 2), {"distance": True}, "distance"),
    ],
)
def test_invalid_input(args, kw, match):
    with pytest.raises(ValueError, match=match):
        glcm.compute(*args, **kw)
