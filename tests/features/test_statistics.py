"""Intensity-based statistical features: IBSI references, hand cases, SciPy, degenerate."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats as sps

from radiomix.extraction.reference import within_tolerance
from radiomix.features import statistics
from tests.conftest import digital_phantom_tags
from tests.features.test_ivh import by_tag, ct_cases, ct_config_roi, ct_reference


@pytest.mark.parametrize("tag", digital_phantom_tags("stat_"))
def test_digital_phantom(tag, digital_phantom, digital_phantom_reference):
    got = by_tag(statistics.compute(digital_phantom.image[digital_phantom.mask]))
    assert within_tolerance(got[tag], digital_phantom_reference[tag]), got[tag]


@pytest.mark.parametrize(("config", "tag"), ct_cases("stat_"))
def test_ct_phantom_configurations(config, tag):
    x, _ = ct_config_roi(config)
    ref = ct_reference(config)[tag]
    got = by_tag(statistics.compute(x))
    assert within_tolerance(got[tag], ref), (got[tag], ref.value, ref.tolerance)


def test_hand_computed():
    got = by_tag(statistics.compute(np.array([1.0, 2.0, 3.0, 4.0])))
    assert got["stat_mean"] == 2.5
    assert got["stat_var"] == 1.25
    assert got["stat_skew"] == 0.0
    assert got["stat_kurt"] == pytest.approx(2.5625 / 1.5625 - 3)
    assert got["stat_median"] == 2.5
    assert got["stat_min"] == 1.0 and got["stat_max"] == 4.0
    assert got["stat_p10"] == pytest.approx(1.3)  # linear: 1 + 0.3 * (2 - 1)
    assert got["stat_p90"] == pytest.approx(3.7)
    assert got["stat_iqr"] == pytest.approx(1.5)  # 3.25 - 1.75
    assert got["stat_range"] == 3.0
    assert got["stat_mad"] == 1.0
    assert got["stat_rmad"] == 0.5  # {2, 3} lie within [1.3, 3.7]
    assert got["stat_medad"] == 1.0
    assert got["stat_cov"] == pytest.approx(math.sqrt(1.25) / 2.5)
    assert got["stat_qcod"] == pytest.approx(1.5 / 5.0)
    assert got["stat_energy"] == 30.0
    assert got["stat_rms"] == pytest.approx(math.sqrt(7.5))


@pytest.mark.parametrize("seed", range(3))
def test_matches_scipy_and_numpy(seed):
    x = np.random.default_rng(seed).gamma(2.0, 30.0, size=5000) - 40.0
    got = by_tag(statistics.compute(x))
    assert got["stat_mean"] == pytest.approx(np.mean(x))
    assert got["stat_var"] == pytest.approx(np.var(x))
    assert got["stat_skew"] == pytest.approx(sps.skew(x, bias=True))
    assert got["stat_kurt"] == pytest.approx(sps.kurtosis(x, fisher=True, bias=True))
    assert got["stat_p10"] == pytest.approx(np.percentile(x, 10))
    assert got["stat_iqr"] == pytest.approx(sps.iqr(x))
    assert got["stat_rms"] == pytest.approx(np.sqrt(np.mean(x**2)))


def test_input_shape_and_dtype():
    a = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    assert by_tag(statistics.compute(a)) == by_tag(statistics.compute(a.ravel().astype(float)))


def test_empty_gives_nan():
    out = statistics.compute(np.array([]))
    assert len(out) == 18
    assert all(math.isnan(v.value) for v in out)


def test_single_voxel_and_constant():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = by_tag(statistics.compute(np.array([5.0])))
        zero = by_tag(statistics.compute(np.zeros(4)))
        sym = by_tag(statistics.compute(np.array([-1.0, 1.0])))
    assert got["stat_var"] == 0.0 and got["stat_skew"] == 0.0 and got["stat_kurt"] == 0.0
    assert got["stat_cov"] == 0.0 and got["stat_rmad"] == 0.0 and got["stat_p90"] == 5.0
    assert math.isnan(zero["stat_cov"]) and math.isnan(zero["stat_qcod"])
    assert math.isnan(sym["stat_qcod"])  # P75 + P25 = 0
    assert math.isnan(sym["stat_rmad"])  # no voxel within [P10, P90] = [-0.8, 0.8]


@pytest.mark.parametrize("bad", [np.array([1.0, np.nan]), np.array([np.inf]), np.array(["a"])])
def test_rejects_invalid(bad):
    with pytest.raises(ValueError):
        statistics.compute(bad)


def test_registry():
    assert len(statistics.FEATURES) == 18
    assert len({s.name for s in statistics.FEATURES}) == 18
    assert statistics.FEATURES[0].ibsi_tag == "stat_mean"
    for spec in statistics.FEATURES:
        assert spec.family == "statistics" and spec.ibsi_tag.startswith("stat_")
        assert spec.ibsi_code and spec.ibsi_code in spec.doc
        assert "math::" in spec.doc or ":math:" in spec.doc


def test_batch_with_gaps_equals_numpy_nan_functions() -> None:
    # rows of different lengths (NaN = no voxel), as the kernels of a voxel map
    rng = np.random.default_rng(5)
    x = np.round(rng.normal(0, 50, (300, 27)))
    x[rng.random(x.shape) < 0.4] = np.nan
    x[0] = np.nan  # an empty row
    x[1, 1:] = np.nan  # one value
    x[2, 2:] = np.nan  # two values
    sample = statistics.IntensitySample(x)
    with warnings.catch_warnings():  # NumPy warns on the empty row
        warnings.simplefilter("ignore", RuntimeWarning)
        want = {q: np.nanpercentile(x, q, axis=1) for q in (10, 25, 75, 90)}
        want[50] = np.nanmedian(x, axis=1)
        mean = np.nanmean(x, axis=1)
    for q, w in want.items():
        np.testing.assert_array_equal(sample.percentiles[q], w)
    np.testing.assert_array_equal(statistics.mean(sample), mean)
    # each row alone, as a ROI, gives the same values
    for row in (1, 2, 7, 150):
        one = statistics.IntensitySample.of(x[row][~np.isnan(x[row])])
        for spec in statistics.FEATURES:
            got, alone = spec.compute(sample)[row], spec.compute(one)[0]
            assert got == pytest.approx(alone, rel=1e-12, nan_ok=True), spec.name
