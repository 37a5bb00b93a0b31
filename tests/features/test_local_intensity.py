"""Local intensity features: IBSI digital phantom, hand cases, FFT vs direct, edge cases."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from radiomix.extraction.reference import within_tolerance
from radiomix.features import local_intensity as loc
from tests.conftest import digital_phantom_tags


def _by_tag(values):
    return {fv.ibsi_tag: fv.value for fv in values}


def _reference_local_mean(image, spacing, radius=loc.PEAK_RADIUS_MM):
    """Direct mean over the existing voxels whose centres are within ``radius`` mm."""
    pos = np.argwhere(np.ones(image.shape, bool)) * np.asarray(spacing)
    flat = image.ravel()
    out = np.empty(flat.size)
    for i, p in enumerate(pos):
        near = ((pos - p) ** 2).sum(axis=1) <= radius * radius
        out[i] = flat[near].mean()
    return out.reshape(image.shape)


@pytest.mark.parametrize("tag", digital_phantom_tags("loc_"))
def test_digital_phantom(tag, digital_phantom, digital_phantom_reference):
    p = digital_phantom
    values = _by_tag(loc.compute(p.image, p.mask, p.spacing))
    assert within_tolerance(values[tag], digital_phantom_reference[tag]), values[tag]


def test_registry():
    assert [s.ibsi_tag for s in loc.FEATURES] == ["loc_peak_loc", "loc_peak_glob"]
    for spec in loc.FEATURES:
        assert spec.family == "local_intensity"
        assert re.fullmatch(r"[0-9A-Z]{4}", spec.ibsi_code)
        assert spec.ibsi_code in spec.doc and ".. math::" in spec.doc


def test_radius_is_one_cubic_centimetre():
    assert 4.0 / 3.0 * math.pi * loc.PEAK_RADIUS_MM**3 == pytest.approx(1000.0)


def test_sphere_kernel_counts():
    # 2 mm voxels: offsets with i^2 + j^2 + k^2 <= (6.2035 / 2)^2 = 9.62
    k = loc.sphere_kernel((2.0, 2.0, 2.0))
    g = np.arange(-3, 4)
    brute = (g[:, None, None] ** 2 + g[None, :, None] ** 2 + g[None, None, :] ** 2) <= 9.62
    np.testing.assert_array_equal(k, brute)
    assert k.sum() == 123


@pytest.mark.parametrize("spacing", [(2.0, 2.0, 2.0), (3.0, 0.977, 0.977), (2.5, 0.7, 1.3)])
def test_local_mean_matches_direct(spacing):
    image = np.random.default_rng(0).normal(100.0, 30.0, size=(6, 9, 8))
    np.testing.assert_allclose(
        loc.local_mean(image, spacing), _reference_local_mean(image, spacing), rtol=1e-10
    )


def test_constant_image():
    image = np.full((5, 12, 12), -350.0)
    mask = np.zeros(image.shape, bool)
    mask[2, 3:9, 3:9] = True
    v = _by_tag(loc.compute(image, mask, (3.0, 1.0, 1.0)))
    assert v["loc_peak_loc"] == pytest.approx(-350.0)
    assert v["loc_peak_glob"] == pytest.approx(-350.0)


def test_tied_maxima_take_highest_local_mean():
    image = np.zeros((1, 1, 30))
    image[0, 0, 2] = 10.0  # isolated maximum
    image[0, 0, 15] = 10.0  # maximum among bright neighbours
    image[0, 0, 14] = image[0, 0, 16] = 5.0
    mask = np.ones(image.shape, bool)
    v = _by_tag(loc.compute(image, mask, (1.0, 1.0, 1.0)))
    # 1 mm voxels on a line: the sphere holds offsets -6..6, 13 voxels (9 at voxel 2)
    assert v["loc_peak_loc"] == pytest.approx(20.0 / 13.0)
    assert v["loc_peak_glob"] == pytest.approx(20.0 / 13.0)


def test_neighbours_outside_roi_count():
    image = np.zeros((1, 1, 9))
    image[0, 0, 0] = 9.0  # outside the ROI, within the sphere of voxel 4 (spacing 1.5)
    mask = np.zeros(image.shape, bool)
    mask[0, 0, 4] = True
    v = _by_tag(loc.compute(image, mask, (1.0, 1.0, 1.5)))
    # offsets within 6.2035 mm at 1.5 mm: -4..4, all 9 voxels exist
    assert v["loc_peak_loc"] == pytest.approx(1.0)


def test_empty_mask_gives_nan():
    out = loc.compute(np.ones((3, 3, 3)), np.zeros((3, 3, 3), bool), (1.0, 1.0, 1.0))
    assert len(out) == 2 and all(math.isnan(fv.value) for fv in out)


@pytest.mark.parametrize(
    ("image", "mask", "spacing", "match"),
    [
        (np.ones((3, 3)), np.ones((3, 3), bool), (1, 1, 1), "3D"),
        (np.ones((3, 3, 3)), np.ones((3, 3, 2), bool), (1, 1, 1), "shape"),
        (np.ones((3, 3, 3)), np.full((3, 3, 3), 3), (1, 1, 1), "boolean"),
        (np.ones((3, 3, 3)), np.ones((3, 3, 3), bool), (1, -1, 1), "spacing"),
        (np.full((3, 3, 3), np.nan), np.ones((3, 3, 3), bool), (1, 1, 1), "non-finite"),
    ],
)
def test_validation(image, mask, spacing, match):
    with pytest.raises(ValueError, match=match):
        loc.compute(image, mask, spacing)
