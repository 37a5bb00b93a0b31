"""GLSZM family: IBSI digital phantom, hand-computed cases, zone kernel vs reference, edges."""

from __future__ import annotations

import math

import numpy as np
import pytest
import SimpleITK as sitk
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from radiomix.extraction.reference import load_reference_table, within_tolerance
from radiomix.features import glszm
from radiomix.features._kernels_zones import _reference_zone_table, edge_distance, zone_table
from tests.conftest import digital_phantom_tags, require_shared

ALL = ("2D", "2.5D", "3D")


def _values(levels: np.ndarray, n_levels: int, spatial=("3D",)) -> dict[str, float]:
    return {v.ibsi_tag: v.value for v in glszm.compute(levels, n_levels, spatial=spatial)}


# --------------------------------------------------------------------------- IBSI phantom


@pytest.fixture(scope="module")
def phantom_values(digital_phantom) -> dict[str, float]:
    levels = np.where(digital_phantom.mask, digital_phantom.image, 0).astype(np.int64)
    return _values(levels, 6, ALL)


@pytest.mark.parametrize("tag", digital_phantom_tags("szm_"))
def test_digital_phantom(tag, phantom_values, digital_phantom_reference):
    ref = digital_phantom_reference[tag]
    assert tag in phantom_values, f"{tag} not computed"
    assert within_tolerance(phantom_values[tag], ref), (phantom_values[tag], ref.value)


def test_every_phantom_tag_is_produced(phantom_values):
    assert set(digital_phantom_tags("szm_")) <= set(phantom_values)


# --------------------------------------------------------------------------- IBSI CT phantom


@pytest.fixture(scope="module")
def ct_config_a() -> tuple[dict[str, float], dict]:
    """IBSI 1 CT phantom, configuration A: no resampling, re-segmentation to [-500, 400] HU
    (intensity mask only; the morphological mask stays the ROI), FBS 25 HU from -500 HU,
    2D and 2.5D aggregation."""
    base = require_shared("ibsi", "ibsi_1_ct_radiomics_phantom", "nifti")
    table = require_shared("ibsi", "ibsi_1_reference_values", "ibsi_1_chest_config_a.csv")
    image = sitk.GetArrayFromImage(sitk.ReadImage(str(base / "image" / "phantom.nii.gz")))
    mask = sitk.GetArrayFromImage(sitk.ReadImage(str(base / "mask" / "mask.nii.gz"))) > 0
    image = image.astype(np.float64)
    roi = mask & (image >= -500) & (image <= 400)
    levels = np.where(roi, np.floor((image + 500) / 25).astype(np.int64) + 1, 0)
    out = glszm.compute(levels, int(levels.max()), spatial=("2D", "2.5D"))
    return {v.ibsi_tag: v.value for v in out}, {r.tag: r for r in load_reference_table(table)}


@pytest.mark.parametrize("agg", ["2D", "2_5D"])
@pytest.mark.parametrize("name", [s.name for s in glszm.FEATURES])
def test_ct_phantom_config_a(name, agg, ct_config_a):
    values, refs = ct_config_a
    tag = f"szm_{name}_{agg}"
    ref = refs[tag]
    assert within_tolerance(values[tag], ref), (values[tag], ref.value, ref.tolerance)


# --------------------------------------------------------------------------- registry


def test_registry():
    names = [s.name for s in glszm.FEATURES]
    assert len(names) == 16 == len(set(names))
    for spec in glszm.FEATURES:
        assert spec.family == "glszm"
        assert spec.ibsi_tag == f"szm_{spec.name}"
        assert spec.ibsi_code and len(spec.ibsi_code) == 4
        assert spec.ibsi_code in spec.doc and ".. math::" in spec.doc


# --------------------------------------------------------------------------- hand-computed


def test_three_zones_of_three():
    # one zone of each grey level, each of 3 voxels; 8-connectivity in-plane
    lv = np.array([[[1, 1, 2], [1, 2, 2], [3, 3, 3]]])
    v = _values(lv, 3, ("2D", "3D"))
    for agg in ("2D", "3D"):
        assert v[f"szm_sze_{agg}"] == pytest.approx(1 / 9)
        assert v[f"szm_lze_{agg}"] == pytest.approx(9)
        assert v[f"szm_lgze_{agg}"] == pytest.approx((1 + 1 / 4 + 1 / 9) / 3)
        assert v[f"szm_hgze_{agg}"] == pytest.approx(14 / 3)
        assert v[f"szm_szlge_{agg}"] == pytest.approx((1 + 1 / 4 + 1 / 9) / 27)
        assert v[f"szm_lzhge_{agg}"] == pytest.approx(14 * 9 / 3)
        assert v[f"szm_glnu_{agg}"] == pytest.approx(1)
        assert v[f"szm_glnu_norm_{agg}"] == pytest.approx(1 / 3)
        assert v[f"szm_zsnu_{agg}"] == pytest.approx(3)
        assert v[f"szm_zsnu_norm_{agg}"] == pytest.approx(1)
        assert v[f"szm_z_perc_{agg}"] == pytest.approx(1 / 3)
        assert v[f"szm_gl_var_{agg}"] == pytest.approx(2 / 3)
        assert v[f"szm_zs_var_{agg}"] == pytest.approx(0)
        assert v[f"szm_zs_entr_{agg}"] == pytest.approx(math.log2(3))


def test_diagonal_neighbours_connect_in_plane():
    # a checkerboard 2x2: two zones of 2 voxels (8-connectivity), not four of 1
    lv = np.array([[[1, 2], [2, 1]]])
    v = _values(lv, 2, ("2D",))
    assert v["szm_sze_2D"] == pytest.approx(1 / 4)
    assert v["szm_z_perc_2D"] == pytest.approx(2 / 4)


def test_diagonal_neighbours_connect_across_slices_in_3d_only():
    lv = np.array([[[1, 2]], [[2, 1]]])  # (2, 1, 2)
    v = _values(lv, 2, ALL)
    # 3D: 26-connectivity joins the 1s and the 2s -> two zones of size 2
    assert v["szm_z_perc_3D"] == pytest.approx(2 / 4)
    assert v["szm_lze_3D"] == pytest.approx(4)
    # 2D and 2.5D: four single-voxel zones
    assert v["szm_z_perc_2D"] == pytest.approx(1)
    assert v["szm_z_perc_2_5D"] == pytest.approx(1)
    assert v["szm_lze_2_5D"] == pytest.approx(1)


def test_2_5d_merges_slice_matrices():
    lv = np.zeros((3, 3, 3), dtype=np.int64)
    lv[0, :2, :2] = 1  # slice 0: one zone of 4
    lv[2, 0, 0] = 2  # slice 2: one zone of 1; slice 1 has no ROI voxel
    v = _values(lv, 2, ALL)
    assert v["szm_sze_2D"] == pytest.approx((1 / 16 + 1) / 2)  # averaged over 2 slices
    assert v["szm_sze_2_5D"] == pytest.approx((1 / 16 + 1) / 2)  # 2 zones merged
    assert v["szm_z_perc_2_5D"] == pytest.approx(2 / 5)
    assert v["szm_lze_2_5D"] == pytest.approx((16 + 1) / 2)


def _dense_features(levels: np.ndarray, n_levels: int, two_d: bool) -> dict[str, float]:
    """Independent dense-matrix evaluation of the 16 features (3D only or a single plane)."""
    zones = _reference_zone_table(levels, two_d)
    s = np.zeros((n_levels, int(zones.size.max())))
    for g, size in zip(zones.level, zones.size, strict=True):
        s[g - 1, size - 1] += 1
    i = np.arange(1, n_levels + 1, dtype=float)[:, None]
    j = np.arange(1, s.shape[1] + 1, dtype=float)[None, :]
    ns, nv = s.sum(), np.count_nonzero(levels)
    p = s / ns
    si, sj = s.sum(axis=1), s.sum(axis=0)
    mu_i, mu_j = (i * p).sum(), (j * p).sum()
    nz = p[p > 0]
    return {
        "sze": (sj / j[0] ** 2).sum() / ns,
        "lze": (sj * j[0] ** 2).sum() / ns,
        "lgze": (si / i[:, 0] ** 2).sum() / ns,
        "hgze": (si * i[:, 0] ** 2).sum() / ns,
        "szlge": (s / (i**2 * j**2)).sum() / ns,
        "szhge": (s * i**2 / j**2).sum() / ns,
        "lzlge": (s * j**2 / i**2).sum() / ns,
        "lzhge": (s * i**2 * j**2).sum() / ns,
        "glnu": (si**2).sum() / ns,
        "glnu_norm": (si**2).sum() / ns**2,
        "zsnu": (sj**2).sum() / ns,
        "zsnu_norm": (sj**2).sum() / ns**2,
        "z_perc": ns / nv,
        "gl_var": ((i - mu_i) ** 2 * p).sum(),
        "zs_var": ((j - mu_j) ** 2 * p).sum(),
        "zs_entr": -(nz * np.log2(nz)).sum(),
    }


@pytest.mark.parametrize("seed", range(3))
def test_sparse_matrix_features_match_dense_formulas(seed):
    rng = np.random.default_rng(seed)
    lv = rng.integers(0, 5, size=(4, 7, 8))
    lv[lv == 0] = rng.integers(0, 2, size=int((lv == 0).sum()))  # some holes stay
    expected = _dense_features(lv, 4, two_d=False)
    got = {v.spec.name: v.value for v in glszm.compute(lv, 4, spatial=("3D",))}
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=1e-12), name


# --------------------------------------------------------------------------- kernel vs reference


def _sorted_rows(t) -> np.ndarray:
    rows = np.stack([t.plane, t.level, t.size, t.distance], axis=1)
    return rows[np.lexsort(rows.T[::-1])]


@pytest.mark.parametrize("two_d", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_zone_kernel_matches_reference(seed, two_d):
    rng = np.random.default_rng(seed)
    lv = rng.integers(0, 4, size=(5, 9, 11))
    dist = rng.integers(1, 6, size=lv.shape)
    got = zone_table(lv, two_d, dist)
    ref = _reference_zone_table(lv, two_d, dist)
    np.testing.assert_array_equal(_sorted_rows(got), _sorted_rows(ref))
    if two_d:  # rows come ordered by plane, as in_plane relies on
        assert np.all(np.diff(got.plane) >= 0)


def test_zone_kernel_many_levels():
    rng = np.random.default_rng(7)
    lv = rng.integers(0, 150, size=(6, 20, 20))
    got = zone_table(lv, False)
    ref = _reference_zone_table(lv, False)
    np.testing.assert_array_equal(_sorted_rows(got), _sorted_rows(ref))


@pytest.mark.parametrize("two_d", [False, True])
@pytest.mark.parametrize("shape", [(1, 7, 9), (5, 1, 6), (4, 6, 1), (6, 17, 23)])
def test_zone_kernel_flat_boxes_and_blocks(shape, two_d):
    """Boxes one voxel thick along an axis, and blocky levels (large zones across planes)."""
    rng = np.random.default_rng(sum(shape))
    small = rng.integers(1, 4, size=tuple((n + 1) // 2 for n in shape))
    lv = np.repeat(np.repeat(np.repeat(small, 2, 0), 2, 1), 2, 2)[
        : shape[0], : shape[1], : shape[2]
    ]
    lv = np.where(rng.random(shape) < 0.2, 0, lv)
    dist = edge_distance(lv > 0, two_d)
    got = zone_table(lv, two_d, dist)
    ref = _reference_zone_table(lv, two_d, dist)
    np.testing.assert_array_equal(_sorted_rows(got), _sorted_rows(ref))
    assert all(a.dtype == np.int64 for a in (got.level, got.size, got.distance, got.plane))


@pytest.mark.parametrize("two_d", [False, True])
def test_zone_kernel_levels_beyond_two_bytes_and_negative(two_d):
    """Grey levels >= 2**16 are not folded onto smaller ones; levels < 0 are outside."""
    lv = np.array([[[70_000, 70_000, 4_464], [-3, 4_464, 4_464], [-3, -3, 70_000]]])
    lv = np.concatenate([lv, lv[:, ::-1]])
    got = zone_table(lv, two_d)
    ref = _reference_zone_table(lv, two_d)
    np.testing.assert_array_equal(_sorted_rows(got), _sorted_rows(ref))
    assert sorted(got.level.tolist()) == (
        [4_464, 4_464, 70_000, 70_000, 70_000, 70_000] if two_d else [4_464, 70_000, 70_000]
    )


def test_zone_kernel_empty_roi_and_bad_input():
    t = zone_table(np.zeros((2, 3, 4), dtype=np.int64), True)
    assert t.n_zones == 0 and t.in_plane(0).n_zones == 0
    assert zone_table(np.zeros((0, 3, 4), dtype=np.int64), False).n_zones == 0
    with pytest.raises(ValueError, match="3D"):
        zone_table(np.ones((3, 3), dtype=np.int64), False)
    with pytest.raises(ValueError, match="integer"):
        zone_table(np.ones((1, 3, 3)), False)
    with pytest.raises(ValueError, match="distance map shape"):
        zone_table(np.ones((1, 3, 3), dtype=np.int64), False, np.ones((1, 3, 4), dtype=np.int64))


def test_zone_kernel_in_plane_rows():
    """In-plane zones, plane by plane; a zone 8-connected across planes in 3D splits."""
    lv = np.zeros((3, 3, 3), dtype=np.int64)
    lv[0, 0, 0] = lv[2, 1, 1] = lv[2, 2, 2] = 1  # plane 2: one zone through the corner
    lv[2, 0, 2] = 2
    lv[1, 1, 1] = 1  # joins planes 0 and 2 in 3D
    t3, t2 = zone_table(lv, False), zone_table(lv, True)
    assert sorted(zip(t3.level.tolist(), t3.size.tolist(), strict=True)) == [(1, 4), (2, 1)]
    assert t3.plane.tolist() == [-1, -1]
    assert t2.plane.tolist() == [0, 1, 2, 2]
    plane2 = t2.in_plane(2)
    assert sorted(zip(plane2.level.tolist(), plane2.size.tolist(), strict=True)) == [(1, 2), (2, 1)]
    assert t2.in_plane(1).size.tolist() == [1]


@settings(max_examples=40, deadline=None)
@given(arrays(np.int64, st.tuples(*(st.integers(1, 5),) * 3), elements=st.integers(0, 3)))
def test_zone_sizes_add_up(lv):
    n_roi = int(np.count_nonzero(lv))
    t3, t2 = zone_table(lv, False), zone_table(lv, True)
    assert int(t3.size.sum()) == n_roi == int(t2.size.sum())
    assert t2.n_zones >= t3.n_zones  # in-plane zones split 3D zones, never join them


# --------------------------------------------------------------------------- degenerate input


def test_empty_roi_gives_nan():
    out = glszm.compute(np.zeros((2, 3, 3), dtype=np.int64), 4, spatial=ALL)
    assert len(out) == 3 * 16
    assert all(math.isnan(v.value) for v in out)


def test_zero_size_array_gives_nan():
    out = glszm.compute(np.zeros((0, 0, 0), dtype=np.int64), 4)
    assert len(out) == 16 and all(math.isnan(v.value) for v in out)


def test_single_voxel():
    lv = np.zeros((3, 3, 3), dtype=np.int64)
    lv[1, 1, 1] = 2
    v = _values(lv, 2, ALL)
    for agg in ("2D", "2_5D", "3D"):
        assert v[f"szm_sze_{agg}"] == 1.0
        assert v[f"szm_z_perc_{agg}"] == 1.0
        assert v[f"szm_hgze_{agg}"] == 4.0
        assert v[f"szm_gl_var_{agg}"] == 0.0
        assert v[f"szm_zs_var_{agg}"] == 0.0
        assert v[f"szm_zs_entr_{agg}"] == 0.0


def test_single_grey_level_block():
    lv = np.ones((2, 3, 4), dtype=np.int64)
    v = _values(lv, 1, ALL)
    assert v["szm_lze_3D"] == 24**2
    assert v["szm_lze_2D"] == 12**2
    assert v["szm_lze_2_5D"] == 12**2
    assert v["szm_z_perc_3D"] == pytest.approx(1 / 24)


def test_order_and_aggregation_labels():
    lv = np.ones((2, 2, 2), dtype=np.int64)
    out = glszm.compute(lv, 1, spatial=("3D", "2D"))
    assert [v.aggregation for v in out] == ["2D"] * 16 + ["3D"] * 16
    assert [v.spec.name for v in out[:16]] == [s.name for s in glszm.FEATURES]


@pytest.mark.parametrize(
    ("levels", "n_levels", "spatial", "match"),
    [
        (np.ones((3, 3)), 1, ("3D",), "3D"),
        (np.ones((1, 3, 3)), 1, ("3D",), "integer"),
        (np.full((1, 3, 3), 5), 4, ("3D",), "0..n_levels"),
        (np.full((1, 3, 3), -1), 4, ("3D",), "0..n_levels"),
        (np.ones((1, 3, 3), dtype=int), 0, ("3D",), "n_levels"),
        (np.ones((1, 3, 3), dtype=int), 1, ("4D",), "spatial"),
        (np.ones((1, 3, 3), dtype=int), 1, "3D", "spatial"),
        ([[[1]]], 1, ("3D",), "NumPy"),
    ],
)
def test_invalid_input(levels, n_levels, spatial, match):
    with pytest.raises(ValueError, match=match):
        glszm.compute(levels, n_levels, spatial=spatial)
