"""GLDZM family: IBSI digital phantom, hand-computed cases, distance map vs reference, edges."""

from __future__ import annotations

import math

import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

from radiomix.extraction.reference import load_reference_table, within_tolerance
from radiomix.features import gldzm
from radiomix.features._kernels_zones import (
    _reference_edge_distance,
    _reference_zone_table,
    edge_distance,
)
from tests.conftest import digital_phantom_tags, require_shared

ALL = ("2D", "2.5D", "3D")


def _values(levels, n_levels, spatial=("3D",), morph_mask=None) -> dict[str, float]:
    out = gldzm.compute(levels, n_levels, spatial=spatial, morph_mask=morph_mask)
    return {v.ibsi_tag: v.value for v in out}


# --------------------------------------------------------------------------- IBSI phantom


@pytest.fixture(scope="module")
def phantom_values(digital_phantom) -> dict[str, float]:
    levels = np.where(digital_phantom.mask, digital_phantom.image, 0).astype(np.int64)
    return _values(levels, 6, ALL, morph_mask=digital_phantom.mask)


@pytest.mark.parametrize("tag", digital_phantom_tags("dzm_"))
def test_digital_phantom(tag, phantom_values, digital_phantom_reference):
    ref = digital_phantom_reference[tag]
    assert tag in phantom_values, f"{tag} not computed"
    assert within_tolerance(phantom_values[tag], ref), (phantom_values[tag], ref.value)


def test_phantom_default_morph_mask_is_the_roi(digital_phantom):
    levels = np.where(digital_phantom.mask, digital_phantom.image, 0).astype(np.int64)
    a = _values(levels, 6, ALL)
    b = _values(levels, 6, ALL, morph_mask=digital_phantom.mask)
    assert a == b


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
    out = gldzm.compute(levels, int(levels.max()), spatial=("2D", "2.5D"), morph_mask=mask)
    return {v.ibsi_tag: v.value for v in out}, {r.tag: r for r in load_reference_table(table)}


@pytest.mark.parametrize("agg", ["2D", "2_5D"])
@pytest.mark.parametrize("name", [s.name for s in gldzm.FEATURES])
def test_ct_phantom_config_a(name, agg, ct_config_a):
    values, refs = ct_config_a
    tag = f"dzm_{name}_{agg}"
    ref = refs[tag]
    assert within_tolerance(values[tag], ref), (values[tag], ref.value, ref.tolerance)


# --------------------------------------------------------------------------- registry


def test_registry():
    names = [s.name for s in gldzm.FEATURES]
    assert len(names) == 16 == len(set(names))
    for spec in gldzm.FEATURES:
        assert spec.family == "gldzm"
        assert spec.ibsi_tag == f"dzm_{spec.name}"
        assert spec.ibsi_code and len(spec.ibsi_code) == 4
        assert spec.ibsi_code in spec.doc and ".. math::" in spec.doc


# --------------------------------------------------------------------------- hand-computed


def _plane_with_core() -> np.ndarray:
    """5x5 plane of grey level 1 with grey level 2 in its centre voxel."""
    lv = np.ones((1, 5, 5), dtype=np.int64)
    lv[0, 2, 2] = 2
    return lv


def test_in_plane_distance_of_the_centre():
    v = _values(_plane_with_core(), 2, ("2D",))
    # zones: level 1 (ring of 24) at distance 1, level 2 (centre) at distance 3
    assert v["dzm_sde_2D"] == pytest.approx((1 + 1 / 9) / 2)
    assert v["dzm_lde_2D"] == pytest.approx((1 + 9) / 2)
    assert v["dzm_sdhge_2D"] == pytest.approx((1 + 4 / 9) / 2)
    assert v["dzm_ldlge_2D"] == pytest.approx((1 + 9 / 4) / 2)
    assert v["dzm_ldhge_2D"] == pytest.approx((1 + 36) / 2)
    assert v["dzm_zdnu_2D"] == pytest.approx(1)
    assert v["dzm_zdnu_norm_2D"] == pytest.approx(1 / 2)
    assert v["dzm_z_perc_2D"] == pytest.approx(2 / 25)
    assert v["dzm_zd_var_2D"] == pytest.approx(1)
    assert v["dzm_zd_entr_2D"] == pytest.approx(1)


def test_single_plane_in_3d_is_all_edge():
    # in 3D the planes above and below are outside the ROI: every voxel is on the edge
    v = _values(_plane_with_core(), 2, ("3D",))
    assert v["dzm_sde_3D"] == 1.0
    assert v["dzm_lde_3D"] == 1.0
    assert v["dzm_zd_var_3D"] == 0.0


def test_cube_centre_distance_in_3d():
    lv = np.ones((5, 5, 5), dtype=np.int64)
    lv[2, 2, 2] = 2
    v = _values(lv, 2, ("3D", "2.5D"))
    assert v["dzm_lde_3D"] == pytest.approx((1 + 9) / 2)
    # in-plane: four planes of one level-1 zone each at distance 1; the centre plane holds a
    # level-1 ring at distance 1 and the centre at in-plane distance 3
    assert v["dzm_lde_2_5D"] == pytest.approx((5 * 1 + 9) / 6)


def test_distance_map_uses_the_morphological_mask():
    # 7x7 plane: level 1, a 3x3 core of level 2 whose centre was removed from the intensity
    # mask (re-segmentation). With the morphological mask (no hole) the core ring lies at
    # distance 3; measured on the intensity mask it would touch the hole (distance 1).
    lv = np.ones((1, 7, 7), dtype=np.int64)
    lv[0, 2:5, 2:5] = 2
    lv[0, 3, 3] = 0
    morph = np.ones(lv.shape, dtype=bool)
    with_morph = _values(lv, 2, ("2D",), morph_mask=morph)
    without = _values(lv, 2, ("2D",))
    assert with_morph["dzm_lde_2D"] == pytest.approx((1 + 9) / 2)
    assert without["dzm_lde_2D"] == pytest.approx(1)
    # grey level and zone count features do not depend on the distance map
    assert with_morph["dzm_glnu_2D"] == without["dzm_glnu_2D"]
    assert with_morph["dzm_z_perc_2D"] == pytest.approx(2 / 48)


def test_morph_mask_beyond_the_intensity_roi():
    # the intensity ROI is the centre voxel of a 5x5x5 morphological mask: distance 3 in 3D
    lv = np.zeros((5, 5, 5), dtype=np.int64)
    lv[2, 2, 2] = 1
    morph = np.ones(lv.shape, dtype=bool)
    v = _values(lv, 1, ALL, morph_mask=morph)
    assert v["dzm_lde_3D"] == 9.0
    assert v["dzm_lde_2D"] == 9.0  # in-plane distance of the centre of a 5x5 plane


def test_image_border_is_roi_edge():
    lv = np.ones((3, 3, 3), dtype=np.int64)
    lv[1, 1, 1] = 2
    v = _values(lv, 2, ("3D",))
    assert v["dzm_lde_3D"] == pytest.approx((1 + 4) / 2)  # centre at 2, rest at 1


@pytest.mark.parametrize("seed", range(3))
def test_matrix_matches_reference_zones(seed):
    rng = np.random.default_rng(seed)
    lv = rng.integers(0, 4, size=(4, 8, 9))
    dist = _reference_edge_distance(lv > 0, two_d=False)
    zones = _reference_zone_table(lv, False, dist)
    d = np.zeros((3, int(zones.distance.max())))
    for g, dd in zip(zones.level, zones.distance, strict=True):
        d[g - 1, dd - 1] += 1
    ns = d.sum()
    j = np.arange(1, d.shape[1] + 1, dtype=float)
    got = {v.spec.name: v.value for v in gldzm.compute(lv, 3)}
    assert got["sde"] == pytest.approx((d.sum(axis=0) / j**2).sum() / ns, rel=1e-12)
    assert got["lde"] == pytest.approx((d.sum(axis=0) * j**2).sum() / ns, rel=1e-12)
    assert got["zdnu"] == pytest.approx((d.sum(axis=0) ** 2).sum() / ns, rel=1e-12)
    p = d[d > 0] / ns
    assert got["zd_entr"] == pytest.approx(-(p * np.log2(p)).sum(), rel=1e-12)


# --------------------------------------------------------------------------- kernel vs reference


@pytest.mark.parametrize("two_d", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_edge_distance_matches_erosion_reference(seed, two_d):
    rng = np.random.default_rng(seed)
    mask = ndimage.gaussian_filter(rng.normal(size=(9, 14, 13)), 1.5) > -0.1
    np.testing.assert_array_equal(edge_distance(mask, two_d), _reference_edge_distance(mask, two_d))


def test_edge_distance_of_empty_mask():
    assert not edge_distance(np.zeros((2, 3, 4), dtype=bool), False).any()


# --------------------------------------------------------------------------- degenerate input


def test_empty_roi_gives_nan():
    out = gldzm.compute(np.zeros((2, 3, 3), dtype=np.int64), 4, spatial=ALL)
    assert len(out) == 3 * 16
    assert all(math.isnan(v.value) for v in out)


def test_single_voxel():
    lv = np.zeros((3, 3, 3), dtype=np.int64)
    lv[1, 1, 1] = 2
    v = _values(lv, 2, ALL)
    for agg in ("2D", "2_5D", "3D"):
        assert v[f"dzm_sde_{agg}"] == 1.0
        assert v[f"dzm_z_perc_{agg}"] == 1.0
        assert v[f"dzm_gl_var_{agg}"] == 0.0
        assert v[f"dzm_zd_var_{agg}"] == 0.0
        assert v[f"dzm_zd_entr_{agg}"] == 0.0


def test_invalid_input():
    lv = np.ones((1, 3, 3), dtype=np.int64)
    with pytest.raises(ValueError, match="morph_mask shape"):
        gldzm.compute(lv, 1, morph_mask=np.ones((1, 3, 4), dtype=bool))
    with pytest.raises(ValueError, match="integer"):
        gldzm.compute(lv.astype(float), 1)
    with pytest.raises(ValueError, match="spatial"):
        gldzm.compute(lv, 1, spatial=("2d",))
