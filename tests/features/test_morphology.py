"""Morphological features: IBSI digital phantom, hand-computed cases, kernels, edge cases."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from radiomix.extraction.reference import within_tolerance
from radiomix.features import morphology as morph
from radiomix.features._kernels_morphology import (
    _reference_khachiyan_weights,
    _reference_max_pairwise_distance,
    _reference_pairwise_autocorrelation_sums,
    khachiyan_weights,
    max_pairwise_distance,
    pairwise_autocorrelation_sums,
)
from tests.conftest import digital_phantom_tags


def _by_tag(values):
    return {fv.ibsi_tag: fv.value for fv in values}


@pytest.fixture(scope="module")
def phantom_values(digital_phantom):
    p = digital_phantom
    return _by_tag(morph.compute(p.image, p.mask, p.mask, p.spacing))


# --- (1) IBSI digital phantom ---------------------------------------------------------


@pytest.mark.parametrize("tag", digital_phantom_tags("morph_"))
def test_digital_phantom(tag, phantom_values, digital_phantom_reference):
    ref = digital_phantom_reference[tag]
    assert tag in phantom_values, f"{tag} not computed"
    assert within_tolerance(phantom_values[tag], ref), (phantom_values[tag], ref.value)


def test_registry_covers_ibsi_table(digital_phantom_reference):
    tags = {s.ibsi_tag for s in morph.FEATURES}
    table = {t for t in digital_phantom_reference if t.startswith("morph_")}
    assert tags == table
    assert len(morph.FEATURES) == 29
    assert len({s.name for s in morph.FEATURES}) == 29


@pytest.mark.parametrize("spec", morph.FEATURES, ids=lambda s: s.name)
def test_features_documented(spec):
    assert spec.family == "morphology"
    assert re.fullmatch(r"[0-9A-Z]{4}", spec.ibsi_code)
    assert spec.ibsi_code in spec.doc
    assert ".. math::" in spec.doc


def test_values_in_registry_order(digital_phantom):
    p = digital_phantom
    out = morph.compute(p.image, p.mask, p.mask, p.spacing)
    assert [fv.spec for fv in out] == list(morph.FEATURES)


# --- (2) hand-computed cases ----------------------------------------------------------


def test_single_voxel_octahedron():
    mask = np.zeros((3, 3, 3), bool)
    mask[1, 1, 1] = True
    image = np.full(mask.shape, 5.0)
    v = _by_tag(morph.compute(image, mask, mask, (2.0, 2.0, 2.0)))
    # marching cubes turns one voxel into an octahedron with half-diagonals of 1 mm
    assert v["morph_volume"] == pytest.approx(4.0 / 3.0)
    assert v["morph_area_mesh"] == pytest.approx(4.0 * math.sqrt(3.0))
    assert v["morph_vol_approx"] == pytest.approx(8.0)
    assert v["morph_diam"] == pytest.approx(2.0)
    assert v["morph_com"] == pytest.approx(0.0)
    assert v["morph_integ_int"] == pytest.approx(5.0 * 4.0 / 3.0)
    for tag in ("morph_pca_maj_axis", "morph_pca_elongation", "morph_moran_i", "morph_geary_c"):
        assert math.isnan(v[tag]), tag


def test_box_bounding_boxes_and_pca():
    mask = np.zeros((5, 6, 7), bool)
    mask[1:4, 1:5, 1:6] = True  # 3 x 4 x 5 voxels
    sp = (2.0, 1.0, 0.5)
    m = morph.build_morphology(np.ones(mask.shape), mask, mask, sp)
    np.testing.assert_allclose(m.aabb_dims, [6.0, 4.0, 2.5])
    # the box is its own oriented minimum bounding box
    np.testing.assert_allclose(np.sort(m.ombb_dims), np.sort(m.aabb_dims), rtol=1e-6)
    # PCA: independent uniform grids, variance (n^2 - 1)/12 * s^2 (sample covariance)
    var = [(n * n - 1) / 12.0 * s * s for n, s in zip((3, 4, 5), sp, strict=True)]
    var = [v * (60 / 59) for v in var]  # np.cov uses N - 1
    np.testing.assert_allclose(np.sort(m.pca_eigenvalues), np.sort(var))


def test_centre_of_mass_shift_two_voxels():
    mask = np.zeros((1, 1, 2), bool)
    mask[...] = True
    image = np.array([[[1.0, 3.0]]])
    v = _by_tag(morph.compute(image, mask, mask, (1.0, 1.0, 2.0)))
    # geometric centre at x = 1 mm, intensity-weighted centre at (1*0 + 3*2)/4 = 1.5 mm
    assert v["morph_com"] == pytest.approx(0.5)


def test_centre_of_mass_shift_uses_both_masks():
    morph_mask = np.zeros((1, 1, 3), bool)
    morph_mask[...] = True
    int_mask = morph_mask.copy()
    int_mask[0, 0, 2] = False  # re-segmentation dropped a voxel
    image = np.array([[[2.0, 2.0, 100.0]]])
    v = _by_tag(morph.compute(image, int_mask, morph_mask, (1.0, 1.0, 1.0)))
    # geometric centre of the morphological mask: x = 1; intensity centre: x = 0.5
    assert v["morph_com"] == pytest.approx(0.5)
    assert v["morph_vol_approx"] == pytest.approx(3.0)
    assert v["morph_integ_int"] == pytest.approx(v["morph_volume"] * 2.0)


def test_moran_geary_two_voxels():
    mask = np.ones((1, 1, 2), bool)
    image = np.array([[[1.0, 4.0]]])
    v = _by_tag(morph.compute(image, mask, mask, (1.0, 1.0, 3.0)))
    # two voxels with opposite deviations: perfect negative autocorrelation
    assert v["morph_moran_i"] == pytest.approx(-1.0)
    assert v["morph_geary_c"] == pytest.approx(1.0)


def test_shape_ratios_consistent(phantom_values):
    v = phantom_values
    assert v["morph_sphericity"] * v["morph_sph_dispr"] == pytest.approx(1.0)
    assert v["morph_asphericity"] == pytest.approx(v["morph_sph_dispr"] - 1.0)
    assert v["morph_comp_2"] == pytest.approx(v["morph_sphericity"] ** 3)


def _ibsi_series(a, b, c):
    from numpy.polynomial.legendre import legval

    al, be = math.sqrt(1 - b * b / (a * a)), math.sqrt(1 - c * c / (a * a))
    nu = np.arange(21)
    x = (al * al + be * be) / (2 * al * be)
    return 4 * math.pi * a * b * legval(x, (al * be) ** nu / (1 - 4 * nu**2))


def test_ellipsoid_surface_area():
    assert morph.ellipsoid_surface_area(2.0, 2.0, 2.0) == pytest.approx(16.0 * math.pi)
    # the IBSI Legendre series, written out with numpy's Legendre evaluation
    for axes in [(3.0, 2.5, 1.0), (5.7, 4.65, 4.27), (3.0, 2.0, 1.5)]:
        assert morph.ellipsoid_surface_area(*axes) == pytest.approx(_ibsi_series(*axes), rel=1e-12)
    # spheroids are the continuous limit of the series (no special case)
    assert morph.ellipsoid_surface_area(3.0, 2.0, 2.0) == pytest.approx(
        _ibsi_series(3.0, 2.0, 2.0 - 1e-7), rel=1e-6
    )
    assert math.isnan(morph.ellipsoid_surface_area(1.0, 1.0, 0.0))


def test_oriented_box_of_rotated_box():
    rng = np.random.default_rng(3)
    corners = np.array([[x, y, z] for x in (0, 3) for y in (0, 2) for z in (0, 1)], float)
    inner = rng.uniform([0, 0, 0], [3, 2, 1], size=(200, 3))
    pts = np.vstack([corners, inner]) @ Rotation.random(random_state=4).as_matrix().T
    np.testing.assert_allclose(morph.oriented_minimum_bounding_box(pts), [3, 2, 1], rtol=1e-6)


def test_mvee_of_rotated_ellipsoid():
    rng = np.random.default_rng(5)
    d = rng.normal(size=(400, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    pts = d * [3.0, 2.0, 1.0]
    inside = pts * rng.uniform(0, 1, size=(400, 1))
    rot = Rotation.random(random_state=6).as_matrix()
    cloud = np.vstack([pts, inside]) @ rot.T + [10.0, -5.0, 2.0]
    axes = morph.minimum_volume_enclosing_ellipsoid(cloud)
    np.testing.assert_allclose(axes, [3.0, 2.0, 1.0], rtol=1e-4)


# --- (3) kernels vs references, FFT vs direct -----------------------------------------


def test_pairwise_sums_kernel_matches_reference():
    rng = np.random.default_rng(0)
    pos = rng.permutation(np.argwhere(np.ones((4, 5, 6), bool)))[:80] * [3.0, 0.8, 0.8]
    dev = rng.normal(size=len(pos))
    np.testing.assert_allclose(
        pairwise_autocorrelation_sums(pos, dev),
        _reference_pairwise_autocorrelation_sums(pos, dev),
        rtol=1e-12,
    )


@pytest.mark.parametrize("seed", range(4))
def test_fft_autocorrelation_matches_direct(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(3, 12, size=3))
    mask = rng.random(shape) < 0.6
    mask[0, 0, 0] = mask[-1, -1, -1] = True
    image = rng.normal(50.0, 20.0, size=shape)
    spacing = tuple(rng.uniform(0.5, 3.0, size=3))
    fft = morph.spatial_autocorrelation_sums(image, mask, spacing)
    pos = np.argwhere(mask) * np.asarray(spacing)
    dev = image[mask] - image[mask].mean()
    direct = pairwise_autocorrelation_sums(pos, dev)
    np.testing.assert_allclose(fft, direct, rtol=1e-9, atol=1e-9 * abs(direct[0]))


def test_large_roi_uses_fft_and_matches_direct(monkeypatch):
    rng = np.random.default_rng(11)
    mask = np.zeros((8, 14, 14), bool)
    mask[1:7, 2:12, 2:13] = rng.random((6, 10, 11)) < 0.8
    image = rng.normal(size=mask.shape)
    sp = (2.5, 0.7, 0.7)
    assert mask.sum() > morph.DIRECT_PAIRWISE_MAX_VOXELS / 2
    monkeypatch.setattr(morph, "DIRECT_PAIRWISE_MAX_VOXELS", 10)
    fft = _by_tag(morph.compute(image, mask, mask, sp))
    monkeypatch.setattr(morph, "DIRECT_PAIRWISE_MAX_VOXELS", 10**9)
    direct = _by_tag(morph.compute(image, mask, mask, sp))
    for tag in ("morph_moran_i", "morph_geary_c"):
        assert fft[tag] == pytest.approx(direct[tag], rel=1e-9, abs=1e-12)


def test_max_distance_kernel_matches_reference():
    pts = np.random.default_rng(1).normal(size=(300, 3))
    assert max_pairwise_distance(pts) == pytest.approx(_reference_max_pairwise_distance(pts))
    assert max_pairwise_distance(pts[:1]) == 0.0


def test_diameter_over_hull_equals_all_vertices(digital_phantom):
    p = digital_phantom
    m = morph.build_morphology(p.image, p.mask, p.mask, p.spacing)
    assert morph.maximum_3d_diameter(m) == pytest.approx(
        _reference_max_pairwise_distance(m.mesh[0])
    )


def test_khachiyan_kernel_matches_reference():
    pts = np.random.default_rng(2).normal(size=(60, 3)) * [1.0, 0.6, 0.3]
    np.testing.assert_allclose(
        khachiyan_weights(pts, tol=1e-8),
        _reference_khachiyan_weights(pts, tol=1e-8),
        atol=1e-6,
    )


# --- (4) degenerate inputs and validation ---------------------------------------------


def test_empty_morph_mask_gives_nan():
    mask = np.zeros((3, 3, 3), bool)
    out = morph.compute(np.ones(mask.shape), mask, mask, (1.0, 1.0, 1.0))
    assert len(out) == len(morph.FEATURES)
    assert all(math.isnan(fv.value) for fv in out)


def test_empty_intensity_mask():
    morph_mask = np.zeros((4, 4, 4), bool)
    morph_mask[1:3, 1:3, 1:3] = True
    v = _by_tag(
        morph.compute(np.ones(morph_mask.shape), np.zeros_like(morph_mask), morph_mask, (1, 1, 1))
    )
    assert v["morph_volume"] > 0
    for tag in ("morph_com", "morph_integ_int", "morph_moran_i", "morph_geary_c"):
        assert math.isnan(v[tag]), tag


def test_single_intensity_and_flat_roi():
    mask = np.zeros((3, 6, 6), bool)
    mask[1, 1:5, 1:5] = True  # one slice
    v = _by_tag(morph.compute(np.full(mask.shape, 7.0), mask, mask, (3.0, 1.0, 1.0)))
    assert math.isnan(v["morph_moran_i"]) and math.isnan(v["morph_geary_c"])
    assert v["morph_volume"] > 0 and v["morph_pca_flatness"] == 0.0
    assert math.isnan(v["morph_vol_dens_aee"])  # least axis of length zero
    assert np.isfinite(v["morph_vol_dens_mvee"]) and np.isfinite(v["morph_vol_dens_ombb"])


def test_zero_intensity_sum_gives_nan_com():
    mask = np.ones((1, 1, 2), bool)
    v = _by_tag(morph.compute(np.array([[[-1.0, 1.0]]]), mask, mask, (1, 1, 1)))
    assert math.isnan(v["morph_com"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"image": np.ones((3, 3))}, "3D"),
        ({"int_mask": np.ones((3, 3, 2), bool)}, "int_mask has shape"),
        ({"morph_mask": np.full((3, 3, 3), 2)}, "boolean"),
        ({"spacing": (1.0, 0.0, 1.0)}, "spacing"),
        ({"spacing": (1.0, 1.0)}, "spacing"),
    ],
)
def test_validation(kwargs, match):
    args = {
        "image": np.ones((3, 3, 3)),
        "int_mask": np.ones((3, 3, 3), bool),
        "morph_mask": np.ones((3, 3, 3), bool),
        "spacing": (1.0, 1.0, 1.0),
    } | kwargs
    with pytest.raises(ValueError, match=match):
        morph.compute(**args)


def test_integer_masks_accepted():
    mask = np.zeros((3, 3, 3), np.uint8)
    mask[1, 1, 1] = 1
    out = _by_tag(morph.compute(np.ones(mask.shape), mask, mask, (1, 1, 1)))
    assert out["morph_vol_approx"] == 1.0
