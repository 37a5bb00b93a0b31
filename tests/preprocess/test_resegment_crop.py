"""Re-segmentation (range, outliers) and cropping to the ROI."""

from __future__ import annotations

import numpy as np
import pytest

from radiomix.io import Volume
from radiomix.preprocess.crop import bounding_box, crop_to_roi
from radiomix.preprocess.resegment import outlier_bounds, resegment_outliers, resegment_range

# -- range ------------------------------------------------------------------------------


def test_range_is_inclusive():
    img = np.array([-1000.0, -500.0, -499.0, 0.0, 400.0, 401.0])
    roi = np.ones(6, dtype=bool)
    roi[3] = False
    out = resegment_range(img, roi, -500, 400)
    assert out.tolist() == [False, True, True, False, True, False]
    assert roi[3] == np.False_  # input untouched
    assert resegment_range(img, roi, None, 0).tolist() == [True, True, True, False, False, False]
    assert resegment_range(img, roi, -499, None).tolist() == [False, False, True, False, True, True]


def test_range_open_drops_nan():
    img = np.array([1.0, np.nan, 3.0])
    roi = np.ones(3, dtype=bool)
    assert resegment_range(img, roi, None, None).tolist() == [True, False, True]
    assert resegment_range(img, roi, 0, 10).tolist() == [True, False, True]


def test_range_errors():
    with pytest.raises(ValueError, match="above"):
        resegment_range(np.zeros(3), np.ones(3, bool), 5, 1)
    with pytest.raises(ValueError, match="shape"):
        resegment_range(np.zeros(3), np.ones(4, bool), 0, 1)


# -- outliers ---------------------------------------------------------------------------


def test_outlier_bounds_use_population_sd():
    # nine zeros and a ten: mean 1, population SD 3 -> window [-8, 10] with 3 SD
    values = np.array([0.0] * 9 + [10.0])
    assert outlier_bounds(values, 3.0) == pytest.approx((-8.0, 10.0))
    roi = np.ones(10, dtype=bool)
    # the ten sits on the upper bound: kept (inclusive)
    assert resegment_outliers(values, roi, 3.0).all()
    # a slightly narrower window drops it (a sample SD, 3.16, would still keep it)
    assert resegment_outliers(values, roi, 2.99).tolist() == [True] * 9 + [False]


def test_outliers_on_normal_distribution():
    rng = np.random.default_rng(7)
    img = rng.normal(50.0, 10.0, size=(40, 50, 50))
    roi = np.zeros(img.shape, dtype=bool)
    roi[5:35, 5:45, 5:45] = True
    img[roi.nonzero()[0][:5], roi.nonzero()[1][:5], roi.nonzero()[2][:5]] = (
        300.0  # 5 outliers (25 SD out)
    )
    out = resegment_outliers(img, roi, 3.0)
    assert not out[~roi].any()
    vals = img[roi]
    mu, sd = vals.mean(), vals.std()
    expected = roi & (img >= mu - 3 * sd) & (img <= mu + 3 * sd)
    np.testing.assert_array_equal(out, expected)
    assert not out[img == 300.0].any()
    # about 0.27 % of a normal sample lies beyond 3 SD
    assert 0.995 < out.sum() / roi.sum() < 0.999


def test_outliers_degenerate():
    img = np.full(5, 7.0)
    roi = np.array([True, True, False, True, True])
    np.testing.assert_array_equal(resegment_outliers(img, roi), roi)  # SD 0: all kept
    empty = np.zeros(5, dtype=bool)
    assert not resegment_outliers(img, empty).any()
    with pytest.raises(ValueError, match="n_sigma"):
        resegment_outliers(img, roi, 0)
    with pytest.raises(ValueError, match="NaN"):
        resegment_outliers(np.array([1.0, np.nan]), np.ones(2, bool))


def test_range_then_outliers():
    rng = np.random.default_rng(8)
    img = rng.normal(0, 300, size=2000)
    roi = np.ones(img.size, dtype=bool)
    ranged = resegment_range(img, roi, -1000, 400)
    both = resegment_outliers(img, ranged, 3.0)
    lo, hi = outlier_bounds(img[ranged], 3.0)
    np.testing.assert_array_equal(both, ranged & (img >= lo) & (img <= hi))


# -- cropping ---------------------------------------------------------------------------


def test_bounding_box():
    m = np.zeros((4, 5, 6), dtype=bool)
    m[1, 2, 3] = m[2, 4, 1] = True
    assert bounding_box(m) == (slice(1, 3), slice(2, 5), slice(1, 4))
    with pytest.raises(ValueError, match="empty"):
        bounding_box(np.zeros((2, 2, 2), dtype=bool))


def test_crop_to_roi_margin_and_origin():
    arr = np.arange(10 * 12 * 14, dtype=float).reshape(10, 12, 14)
    img = Volume(arr, spacing=(3.0, 1.0, 0.5), origin=(10.0, -5.0, 2.0))
    m = np.zeros(arr.shape, dtype=bool)
    m[4:6, 5:7, 6:9] = True
    # 3 mm -> 1 slice, 2 voxels in y, 4 voxels in x (rounded up: 1.8 mm / 0.5 -> 4)
    out, mc, sl = crop_to_roi(img, m, (3.0, 2.0, 1.8))
    assert sl == (slice(3, 7), slice(3, 9), slice(2, 13))
    np.testing.assert_array_equal(out.array, arr[sl])
    np.testing.assert_array_equal(mc, m[sl])
    assert out.origin == (10.0 + 9.0, -5.0 + 3.0, 2.0 + 1.0)
    assert out.spacing == img.spacing


def test_crop_to_roi_clips_at_edges_and_direction():
    direction = np.diag([1.0, -1.0, -1.0])
    img = Volume(
        np.zeros((5, 6, 7)), spacing=(2.0, 1.0, 1.0), origin=(0, 0, 0), direction=direction
    )
    m = np.zeros((5, 6, 7), dtype=bool)
    m[0, 1, 6] = True
    out, _, sl = crop_to_roi(img, m, 2.0)
    assert sl == (slice(0, 2), slice(0, 4), slice(4, 7))
    np.testing.assert_allclose(out.origin, img.index_to_physical(np.array([0, 0, 4])))


def test_crop_to_roi_errors():
    img = Volume(np.zeros((3, 3, 3)))
    with pytest.raises(ValueError, match="shape"):
        crop_to_roi(img, np.ones((3, 3, 2), dtype=bool))
    with pytest.raises(ValueError, match="empty"):
        crop_to_roi(img, np.zeros((3, 3, 3), dtype=bool))
    with pytest.raises(ValueError, match="non-negative"):
        crop_to_roi(img, np.ones((3, 3, 3), dtype=bool), -1.0)


def test_thresholds_in_each_mode():
    from radiomix.preprocess.resegment import resegment_thresholds

    v = np.array([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])  # mean 5, population SD 2
    assert resegment_thresholds(v, [300, -100]) == (-100.0, 300.0)  # sorted
    assert resegment_thresholds(v, [0.5], "relative") == (4.5, None)  # one: top open
    assert resegment_thresholds(v, [-1, 2], "sigma") == (3.0, 9.0)
    # IBSI's outlier filtering is the sigma mode with (-3, 3)
    assert outlier_bounds(v, 3.0) == resegment_thresholds(v, (-3, 3), "sigma") == (-1.0, 11.0)
    lo, hi = resegment_thresholds(np.array([]), (-3, 3), "sigma")
    assert np.isnan(lo) and np.isnan(hi)
    with pytest.raises(ValueError, match="unknown re-segmentation mode"):
        resegment_thresholds(v, [1], "percent")
    with pytest.raises(ValueError, match="one or two thresholds"):
        resegment_thresholds(v, [1, 2, 3])


def test_sigma_thresholds_in_the_values_own_precision():
    # PyRadiomics computes the ROI mean and SD in the image's type: float32 for a float32
    # image, which differs from the double-precision statistics IBSI uses
    from radiomix.preprocess.resegment import resegment_thresholds

    rng = np.random.default_rng(4)
    v = (rng.normal(1000.0, 50.0, 100_001)).astype(np.float32)
    native = resegment_thresholds(v, (-2, 2), "sigma", native_precision=True)
    double = resegment_thresholds(v, (-2, 2), "sigma")
    assert native == (
        float(np.mean(v)) + float(np.std(v)) * -2,
        float(np.mean(v)) + float(np.std(v)) * 2,
    )
    v64 = v.astype(np.float64)
    assert double[1] == pytest.approx(v64.mean() + 2 * v64.std(), rel=1e-15)
    assert native != double  # the precision switch changes the bounds
    assert native[0] == pytest.approx(double[0], rel=1e-6)
