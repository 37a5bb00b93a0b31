"""NGTDM family: IBSI digital phantom, hand-computed cases, box sums vs reference, edge cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from radiomix.extraction.reference import within_tolerance
from radiomix.features import ngtdm
from radiomix.features._kernels_neighbourhood import box_sum
from tests.conftest import digital_phantom_tags

ALL = ("2D", "2.5D", "3D")


def _values(levels: np.ndarray, n_levels: int, **kw) -> dict[str, float]:
    return {v.feature_name: v.value for v in ngtdm.compute(levels, n_levels, **kw)}


# --------------------------------------------------------------------------- IBSI phantom


@pytest.fixture(scope="module")
def phantom_values(digital_phantom) -> dict[str, float]:
    levels = np.where(digital_phantom.mask, digital_phantom.image, 0).astype(np.int64)
    return {v.ibsi_tag: v.value for v in ngtdm.compute(levels, 6, spatial=ALL)}


@pytest.mark.parametrize("tag", digital_phantom_tags("ngt_"))
def test_digital_phantom(tag, phantom_values, digital_phantom_reference):
    ref = digital_phantom_reference[tag]
    assert within_tolerance(phantom_values[tag], ref), (tag, phantom_values[tag], ref.value)


def test_digital_phantom_covers_every_tag(phantom_values):
    assert set(digital_phantom_tags("ngt_")) <= set(phantom_values)


# --------------------------------------------------------------------------- hand-computed


def test_hand_computed_checkerboard():
    # 2x2 plane [[1, 2], [2, 1]]: every voxel has 3 neighbours whose mean differs by 2/3
    levels = np.array([[[1, 2], [2, 1]]])
    valid, delta = ngtdm.neighbourhood_differences(levels, 1, two_d=True)
    m = ngtdm.build_matrix(levels, valid, delta, 2)
    np.testing.assert_allclose(m.n[0], [2, 2])
    np.testing.assert_allclose(m.s[0], [4 / 3, 4 / 3])
    expected = {
        "coarseness": 0.75,  # 1 / (0.5 * 4/3 + 0.5 * 4/3)
        "contrast": 1 / 6,  # 1/(2*1) * (2 * 0.25 * 1) * (8/3) / 4
        "busyness": 4 / 3,  # (4/3) / (2 * |0.5 - 1.0|)
        "complexity": 2 / 3,  # 1/4 * 2 * 1 * (2/3 + 2/3) / 1
        "strength": 0.75,  # 2 * 1 * 1 / (8/3)
    }
    for spatial, suffix in (("2D", "2d"), ("2.5D", "2_5d"), ("3D", "3d")):
        got = _values(levels, 2, spatial=(spatial,))
        for name, value in expected.items():
            assert got[f"{name}_{suffix}"] == pytest.approx(value), (spatial, name)


def test_neighbours_outside_roi_do_not_count():
    # 1 - 3 - 2 in a row, the middle voxel outside the ROI: with distance 1 nobody has a
    # neighbour; with distance 2 the two ends see each other.
    levels = np.array([[[1, 0, 2]]])
    d1 = _values(levels, 2)
    assert all(np.isnan(v) for v in d1.values())
    d2 = _values(levels, 2, distance=2)
    assert set(d2) == {f"{s.name}_3d_d2" for s in ngtdm.FEATURES}
    # n = [1, 1], s = [1, 1], p = [0.5, 0.5]
    assert d2["coarseness_3d_d2"] == pytest.approx(1.0)
    assert d2["strength_3d_d2"] == pytest.approx(1.0)  # 2 * 1 * 1 / 2
    assert d2["busyness_3d_d2"] == pytest.approx(1.0)  # 1 / (2 * 0.5)


def test_partial_neighbourhood_mean():
    # each voxel has two ROI neighbours and one outside the ROI: 1 sees (3, 5) -> |1 - 4|,
    # 3 sees (1, 5) -> |3 - 3|, 5 sees (1, 3) -> |5 - 2|
    levels = np.array([[[1, 3], [5, 0]]])
    valid, delta = ngtdm.neighbourhood_differences(levels, 1, two_d=True)
    assert valid.tolist() == [[[True, True], [True, False]]]
    np.testing.assert_allclose(delta[0], [[3.0, 0.0], [3.0, 0.0]])


def test_in_plane_neighbourhood_for_2d():
    # two stacked voxels: neighbours in 3D, none in-plane
    levels = np.array([[[1]], [[2]]])
    got = _values(levels, 2, spatial=ALL)
    assert np.isnan(got["coarseness_2d"])
    assert np.isnan(got["coarseness_2_5d"])
    assert got["coarseness_3d"] == pytest.approx(1.0)


# --------------------------------------------------------------------------- vs reference


def _reference_differences(levels, distance, two_d):
    """Per-voxel loop: the plain definition."""
    nz, ny, nx = levels.shape
    dz = 0 if two_d else distance
    valid = np.zeros(levels.shape, bool)
    delta = np.zeros(levels.shape)
    for z, y, x in zip(*np.nonzero(levels), strict=True):
        nbrs = []
        for kz in range(max(0, z - dz), min(nz, z + dz + 1)):
            for ky in range(max(0, y - distance), min(ny, y + distance + 1)):
                for kx in range(max(0, x - distance), min(nx, x + distance + 1)):
                    if (kz, ky, kx) != (z, y, x) and levels[kz, ky, kx] > 0:
                        nbrs.append(levels[kz, ky, kx])
        if nbrs:
            valid[z, y, x] = True
            delta[z, y, x] = abs(levels[z, y, x] - np.mean(nbrs))
    return valid, delta


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("distance", [1, 2])
@pytest.mark.parametrize("two_d", [True, False])
def test_differences_match_reference(seed, distance, two_d):
    rng = np.random.default_rng(seed)
    levels = rng.integers(1, 6, size=(4, 7, 6)) * (rng.random((4, 7, 6)) < 0.7)
    valid, delta = ngtdm.neighbourhood_differences(levels, distance, two_d)
    ref_valid, ref_delta = _reference_differences(levels, distance, two_d)
    np.testing.assert_array_equal(valid, ref_valid)
    np.testing.assert_allclose(delta, ref_delta, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("radius", [0, 1, 3])
def test_box_sum_matches_correlate(seed, radius):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 50, size=(5, 9, 8))
    for axes, shape in (((0, 1, 2), (1, 1, 1)), ((1, 2), (0, 1, 1))):
        size = tuple(2 * radius * s + 1 for s in shape)
        ref = ndimage.correlate(a, np.ones(size, dtype=np.int64), mode="constant", cval=0)
        np.testing.assert_array_equal(box_sum(a, radius, axes), ref)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(0, 3))
def test_rotation_and_flip_invariance(seed, k):
    rng = np.random.default_rng(seed)
    levels = rng.integers(1, 5, size=(3, 5, 5)) * (rng.random((3, 5, 5)) < 0.8)
    base = _values(levels, 4, spatial=ALL)
    turned = _values(np.rot90(levels, k, axes=(1, 2)), 4, spatial=ALL)
    flipped = _values(levels[::-1, :, ::-1], 4, spatial=ALL)
    for other in (turned, flipped):
        for name, value in base.items():
            assert other[name] == pytest.approx(value, nan_ok=True), name


# --------------------------------------------------------------------------- degenerate


def _no_warnings(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kw)


def test_empty_roi_gives_nan():
    out = _no_warnings(ngtdm.compute, np.zeros((2, 3, 3), dtype=np.int64), 4, spatial=ALL)
    assert len(out) == 3 * len(ngtdm.FEATURES)
    assert all(np.isnan(v.value) for v in out)


def test_single_voxel_gives_nan():
    levels = np.zeros((3, 3, 3), dtype=np.int64)
    levels[1, 1, 1] = 2
    out = _no_warnings(ngtdm.compute, levels, 4, spatial=ALL)
    assert all(np.isnan(v.value) for v in out)


def test_single_grey_level_ibsi_conventions():
    got = _no_warnings(_values, np.full((3, 4, 4), 3), 5, spatial=ALL)
    for suffix in ("2d", "2_5d", "3d"):
        assert got[f"coarseness_{suffix}"] == ngtdm.COARSENESS_CAP
        for name in ("contrast", "busyness", "complexity", "strength"):
            assert got[f"{name}_{suffix}"] == 0.0


def test_no_grey_tone_difference_with_two_levels():
    # two separated homogeneous blobs: s = 0 everywhere but two grey levels present
    levels = np.zeros((1, 3, 7), dtype=np.int64)
    levels[0, :, :3] = 1
    levels[0, :, 4:] = 2
    got = _no_warnings(_values, levels, 2)
    assert got["coarseness_3d"] == ngtdm.COARSENESS_CAP
    assert got["contrast_3d"] == 0.0
    assert got["strength_3d"] == 0.0
    assert got["busyness_3d"] == 0.0


# --------------------------------------------------------------------------- API


def test_output_order_and_names():
    levels = np.array([[[1, 2], [2, 1]]])
    out = ngtdm.compute(levels, 2, spatial=("3D", "2D"))
    assert [v.aggregation for v in out] == ["2D"] * 5 + ["3D"] * 5
    assert [v.spec.name for v in out[:5]] == [s.name for s in ngtdm.FEATURES]
    assert out[0].ibsi_tag == "ngt_coarseness_2D"
    assert all(v.qualifier == "" for v in out)
    assert ngtdm.compute(levels, 2, distance=3)[0].qualifier == "d3"
    assert ngtdm.compute(levels, 2, spatial=()) == []
    assert ngtdm.compute(levels, 2, spatial="2D") == ngtdm.compute(levels, 2, spatial=("2D",))
    assert ngtdm.compute(levels.tolist(), 2) == ngtdm.compute(levels, 2)


def test_registry():
    tags = [s.ibsi_tag for s in ngtdm.FEATURES]
    assert tags == [
        "ngt_coarseness",
        "ngt_contrast",
        "ngt_busyness",
        "ngt_complexity",
        "ngt_strength",
    ]
    for spec in ngtdm.FEATURES:
        assert spec.family == "ngtdm"
        assert spec.ibsi_code and len(spec.ibsi_code) == 4
        assert spec.ibsi_code in spec.doc
        assert ".. math::" in spec.doc


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"levels": np.ones((3, 3), dtype=int)}, "3D"),
        ({"levels": np.ones((1, 3, 3))}, "integer"),
        ({"levels": np.full((1, 3, 3), 7)}, "0..n_levels"),
        ({"levels": np.full((1, 3, 3), -1)}, "0..n_levels"),
        ({"n_levels": 0}, "n_levels"),
        ({"distance": 0}, "distance"),
        ({"distance": 1.5}, "distance"),
        ({"spatial": ("4D",)}, "spatial"),
    ],
)
def test_validation(kwargs, match):
    args = {"levels": np.ones((1, 3, 3), dtype=int), "n_levels": 6}
    args.update(kwargs)
    levels, n_levels = args.pop("levels"), args.pop("n_levels")
    with pytest.raises(ValueError, match=match):
        ngtdm.compute(levels, n_levels, **args)


def test_count_isolated_switch():
    """A voxel without ROI neighbours: left out of n_i (IBSI), counted with s_i unchanged
    (PyRadiomics)."""
    levels = np.zeros((1, 3, 5), dtype=np.int64)
    levels[0, :, :2] = [[1, 2], [2, 1], [1, 1]]
    levels[0, 1, 4] = 2  # isolated
    valid, delta = ngtdm.neighbourhood_differences(levels, 1, False)
    ibsi = ngtdm.build_matrix(levels, valid, delta, 2)
    pyrad = ngtdm.build_matrix(levels, valid, delta, 2, count_isolated=True)
    np.testing.assert_array_equal(ibsi.n, [[4.0, 2.0]])
    np.testing.assert_array_equal(pyrad.n, [[4.0, 3.0]])
    np.testing.assert_array_equal(pyrad.s, ibsi.s)
