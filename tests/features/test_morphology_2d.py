"""2D shape family: hand-computed square, digital disc and ellipse, holes, lobes, spacing."""

from __future__ import annotations

import math

import numpy as np
import pytest

import radiomix
from radiomix.errors import InvalidImageError
from radiomix.features import morphology_2d


def _values(mask: np.ndarray, spacing: tuple[float, ...] = (1.0, 1.0)) -> dict[str, float]:
    return {v.spec.name: v.value for v in morphology_2d.compute(mask, spacing)}


def _square(n: int = 10) -> np.ndarray:
    m = np.zeros((n + 4, n + 4), dtype=bool)
    m[2 : 2 + n, 2 : 2 + n] = True
    return m


def _ellipse(a: float, b: float, size: int = 401) -> np.ndarray:
    # semi-axis a along x (columns), b along y (rows), centred on a pixel
    c = size // 2
    yy, xx = np.mgrid[:size, :size]
    return ((xx - c) / a) ** 2 + ((yy - c) / b) ** 2 <= 1.0


def test_square_hand_computed():
    # marching squares through pixel-edge midpoints cuts each corner by a right triangle
    # with legs 1/2: A = n^2 - 4/8, P = 4(n - 1) + 4 sqrt(1/2)
    v = _values(_square(10))
    area = 100.0 - 0.5
    perim = 36.0 + 2.0 * math.sqrt(2.0)
    assert v["area_mesh"] == pytest.approx(area, abs=1e-12)
    assert v["area_pixels"] == 100.0
    assert v["perimeter"] == pytest.approx(perim, abs=1e-12)
    assert v["perimeter_to_area_ratio"] == pytest.approx(perim / area)
    assert v["circularity"] == pytest.approx(4 * math.pi * area / perim**2)
    assert v["sphericity"] == pytest.approx(2 * math.sqrt(math.pi * area) / perim)
    assert v["spherical_disproportion"] == pytest.approx(perim / (2 * math.sqrt(math.pi * area)))
    # hull vertices (-1/2, 0) and (9 + 1/2, 9): sqrt(10^2 + 9^2)
    assert v["maximum_diameter"] == pytest.approx(math.sqrt(181.0))
    # pixel centres 0..9 on each axis: sample variance (100/99) * (10^2 - 1) / 12
    lam = (100.0 / 99.0) * 99.0 / 12.0
    assert v["major_axis_length"] == pytest.approx(4 * math.sqrt(lam))
    assert v["minor_axis_length"] == pytest.approx(4 * math.sqrt(lam))
    assert v["elongation"] == pytest.approx(1.0)
    assert v["eccentricity"] == pytest.approx(0.0, abs=1e-6)
    assert v["solidity"] == pytest.approx(1.0)
    assert v["convexity"] == pytest.approx(1.0)
    assert v["extent"] == pytest.approx(area / 100.0)  # minimum rectangle: the 10 x 10 box
    assert v["concavity_count"] == 0
    assert v["max_concavity_depth"] == 0.0


def test_digital_disc_against_the_continuous_disc():
    r = 150.0
    v = _values(_ellipse(r, r))
    assert v["area_mesh"] == pytest.approx(math.pi * r * r, rel=5e-4)
    assert v["area_pixels"] == pytest.approx(math.pi * r * r, rel=5e-4)
    # extreme contour points lie half a pixel beyond the extreme pixel centres
    assert v["maximum_diameter"] == pytest.approx(2 * r + 1, abs=1e-9)
    assert v["major_axis_length"] == pytest.approx(2 * r, rel=1e-3)
    assert v["minor_axis_length"] == pytest.approx(2 * r, rel=1e-3)
    assert v["elongation"] == pytest.approx(1.0, abs=1e-3)
    # the smallest rectangle of a digital disc is a square of side 2r .. 2r + 1
    assert math.pi * r * r / (2 * r + 1) ** 2 <= v["extent"] <= math.pi / 4
    assert v["solidity"] == pytest.approx(1.0, abs=5e-3)
    assert v["radial_length_mean"] == pytest.approx(1.0, abs=5e-3)
    assert v["radial_length_sd"] < 3e-3
    assert v["concavity_count"] == 0
    # the staircase of a digitised circle makes marching squares overestimate the
    # perimeter by about 5.5 % (documented convention, as PyRadiomics shape2D)
    ratio = v["perimeter"] / (2 * math.pi * r)
    assert 1.04 < ratio < 1.07
    assert v["circularity"] == pytest.approx(1.0 / ratio**2, rel=2e-3)


def test_ellipse_axes_and_eccentricity():
    a, b = 180.0, 90.0
    v = _values(_ellipse(a, b))
    assert v["area_mesh"] == pytest.approx(math.pi * a * b, rel=5e-4)
    assert v["major_axis_length"] == pytest.approx(2 * a, rel=1e-3)
    assert v["minor_axis_length"] == pytest.approx(2 * b, rel=1e-3)
    assert v["elongation"] == pytest.approx(b / a, rel=2e-3)
    assert v["eccentricity"] == pytest.approx(math.sqrt(1 - (b / a) ** 2), rel=2e-3)
    assert v["maximum_diameter"] == pytest.approx(2 * a + 1, abs=1e-9)
    # the contour reaches half a pixel beyond the extreme pixel centres on each side
    assert v["extent"] == pytest.approx(math.pi * a * b / ((2 * a + 1) * (2 * b + 1)), rel=2e-3)
    # Ramanujan's perimeter, times the same staircase bias as the disc
    ram = math.pi * (3 * (a + b) - math.sqrt((3 * a + b) * (a + 3 * b)))
    assert 1.03 < v["perimeter"] / ram < 1.07


def test_rotation_does_not_change_orientation_free_features():
    m = _ellipse(60, 25, size=161)
    yy, xx = np.mgrid[:161, :161]
    t = math.radians(30)
    u = (xx - 80) * math.cos(t) + (yy - 80) * math.sin(t)
    w = -(xx - 80) * math.sin(t) + (yy - 80) * math.cos(t)
    rot = (u / 60) ** 2 + (w / 25) ** 2 <= 1
    v0, v1 = _values(m), _values(rot)
    for name in ("area_mesh", "major_axis_length", "minor_axis_length", "elongation", "extent"):
        # within digitisation (an axis-aligned box would give 0.60 instead of 0.77)
        assert v1[name] == pytest.approx(v0[name], rel=2e-2), name


def test_hole_subtracts_area_and_adds_perimeter():
    m = _square(10)
    m[6, 6] = False  # one-pixel hole: a diamond of area 1/2 and perimeter 4 sqrt(1/2)
    v = _values(m)
    assert v["area_mesh"] == pytest.approx(99.5 - 0.5)
    assert v["perimeter"] == pytest.approx(36.0 + 2.0 * math.sqrt(2.0) + 2.0 * math.sqrt(2.0))
    assert v["area_pixels"] == 99.0


def test_lobulated_outline_counts_its_concavities():
    size = 321
    yy, xx = np.mgrid[:size, :size]
    th = np.arctan2(yy - 160, xx - 160)
    r = np.hypot(yy - 160, xx - 160)
    star = r <= 100 + 35 * np.cos(6 * th)
    v = _values(star)
    assert v["concavity_count"] == 6
    # pockets reach from the hull edge (near r = 135) to r = 65 between lobes
    assert 0.15 < v["max_concavity_depth"] < 0.3
    assert v["solidity"] < 0.8
    assert v["radial_length_sd"] > 0.1


def test_anisotropic_spacing_scales_lengths_and_areas():
    v = _values(_square(10), (2.0, 1.0))  # rows 2 mm apart, columns 1 mm
    assert v["area_pixels"] == 200.0
    assert v["area_mesh"] == pytest.approx(2 * 99.5)
    # edges: 2 x 9 x 2 + 2 x 9 x 1, corners cut 4 x |(1, 1/2)|
    assert v["perimeter"] == pytest.approx(54.0 + 4 * math.hypot(1.0, 0.5))


def test_planar_roi_in_a_volume_and_errors():
    plane = _square(6)
    vol = np.zeros((3, *plane.shape), dtype=bool)
    vol[1] = plane
    assert _values(vol, (5.0, 1.0, 1.0)) == _values(plane)
    vol[2] = plane
    with pytest.raises(InvalidImageError, match="spans 2 slices"):
        morphology_2d.compute(vol, (1.0, 1.0, 1.0))
    empty = _values(np.zeros((5, 5), dtype=bool))
    assert all(math.isnan(x) for x in empty.values())


def test_pipeline_computes_2d_shape_only_when_asked():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, size=(40, 50)).astype(np.float64)
    mask = _ellipse(12, 8, size=40)[:, :40]
    mask = np.pad(mask, ((0, 0), (0, 10)))
    table = radiomix.extract(image, mask, config="ultrasound-2d")
    assert table["original_morphology_2d_area_pix"].iloc[0] == mask.sum()
    assert not any(c.startswith("original_morphology_") and "2d" not in c for c in table.columns)
    default = radiomix.extract(image, mask)
    assert not any("morphology_2d" in c for c in default.columns)


def test_covariance_ddof_switch_sample_and_population_axes():
    # a 2 x 3 block, rows 0.5 mm and columns 1.5 mm apart: the pixel centres' population
    # variances are 0.5^2 / 4 = 1/16 (rows) and 1.5^2 * 2/3 = 3/2 (columns); the sample
    # variances are 6/5 of them
    mask = np.ones((2, 3), dtype=bool)
    ibsi = morphology_2d.build_morphology_2d(mask, (0.5, 1.5))
    pyrad = morphology_2d.build_morphology_2d(mask, (0.5, 1.5), covariance_ddof=0)
    assert ibsi.covariance_ddof == 1
    assert morphology_2d.major_axis_length(ibsi) == pytest.approx(4 * math.sqrt(1.8), rel=1e-14)
    assert morphology_2d.minor_axis_length(ibsi) == pytest.approx(4 * math.sqrt(0.075), rel=1e-14)
    assert morphology_2d.major_axis_length(pyrad) == pytest.approx(4 * math.sqrt(1.5), rel=1e-14)
    assert morphology_2d.minor_axis_length(pyrad) == pytest.approx(1.0, rel=1e-14)
    # the ratio of the axes does not depend on the switch, nor does any other feature
    assert morphology_2d.elongation(ibsi) == pytest.approx(morphology_2d.elongation(pyrad))
    for spec in morphology_2d.FEATURES:
        if spec.name not in ("major_axis_length", "minor_axis_length", "elongation"):
            assert spec.compute(ibsi) == spec.compute(pyrad), spec.name  # type: ignore[operator]
    # one pixel: the sample covariance is undefined, the population covariance is 0
    pixel = np.ones((1, 1), dtype=bool)
    one = morphology_2d.build_morphology_2d(pixel, (1.0, 1.0))
    assert math.isnan(morphology_2d.major_axis_length(one))
    one = morphology_2d.build_morphology_2d(pixel, (1.0, 1.0), covariance_ddof=0)
    assert morphology_2d.major_axis_length(one) == 0.0
    assert morphology_2d.minor_axis_length(one) == 0.0
    assert math.isnan(morphology_2d.elongation(one))
    with pytest.raises(ValueError, match="covariance_ddof"):
        morphology_2d.build_morphology_2d(mask, (1.0, 1.0), covariance_ddof=2)
