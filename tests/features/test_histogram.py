"""Intensity histogram features: IBSI references, hand cases, cross-checks, degenerate."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from radiomix.extraction.reference import within_tolerance
from radiomix.features import histogram, statistics
from radiomix.preprocess.discretisation import (
    discretise_fixed_bin_number,
    discretise_fixed_bin_size,
)
from tests.conftest import digital_phantom_tags
from tests.features.test_ivh import by_tag, ct_cases, ct_config_roi, ct_reference


@pytest.mark.parametrize("tag", digital_phantom_tags("ih_"))
def test_digital_phantom(tag, digital_phantom, digital_phantom_reference):
    levels = digital_phantom.image[digital_phantom.mask].astype(np.int32)
    got = by_tag(histogram.compute(levels, 6))
    assert within_tolerance(got[tag], digital_phantom_reference[tag]), got[tag]


def _ct_levels(config: str) -> tuple[np.ndarray, int]:
    """IBSI texture/IH discretisation of each CT configuration: FBS 25 HU (A, C), FBN 32."""
    x, rng = ct_config_roi(config)
    if config in "ac":
        assert rng is not None
        top = int(discretise_fixed_bin_size(np.array([rng[1]]), 25.0, rng[0])[0])
        return discretise_fixed_bin_size(x, 25.0, rng[0]), top
    return discretise_fixed_bin_number(x, 32), 32


@pytest.mark.parametrize(("config", "tag"), ct_cases("ih_"))
def test_ct_phantom_configurations(config, tag):
    levels, n_levels = _ct_levels(config)
    ref = ct_reference(config)[tag]
    got = by_tag(histogram.compute(levels, n_levels))
    assert within_tolerance(got[tag], ref), (got[tag], ref.value, ref.tolerance)


def test_hand_computed():
    # counts over 1..4: [2, 1, 3, 0]
    got = by_tag(histogram.compute(np.array([1, 1, 2, 3, 3, 3]), 4))
    assert got["ih_mean"] == pytest.approx(13 / 6)
    assert got["ih_mode"] == 3.0
    assert got["ih_min"] == 1.0 and got["ih_max"] == 3.0 and got["ih_range"] == 2.0
    assert got["ih_median"] == 2.5
    assert got["ih_uniformity"] == pytest.approx((4 + 1 + 9) / 36)
    p = np.array([2, 1, 3]) / 6
    assert got["ih_entropy"] == pytest.approx(-np.sum(p * np.log2(p)))
    # gradient: [1 - 2, (3 - 2) / 2, (0 - 1) / 2, 0 - 3] = [-1, 0.5, -0.5, -3]
    assert got["ih_max_grad"] == 0.5 and got["ih_max_grad_g"] == 2.0
    assert got["ih_min_grad"] == -3.0 and got["ih_min_grad_g"] == 4.0


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([1, 1, 3, 3], 1.0),  # mean 2: both modes equally close, the lower one
        ([1, 1, 2, 4, 4], 1.0),  # mean 2.4: 1 is 1.4 away, 4 is 1.6
        ([1, 1, 1, 3, 4, 4, 4], 4.0),  # mean 18/7: 1 is 1.57 away, 4 is 1.43
        ([2, 5, 5, 5, 1], 5.0),  # a single mode
    ],
)
def test_mode_ties_closest_to_mean(levels, expected):
    assert by_tag(histogram.compute(np.array(levels), 5))["ih_mode"] == expected


SHARED = [
    "mean", "var", "skew", "kurt", "median", "min", "p10", "p90", "max", "iqr", "range",
    "mad", "rmad", "medad", "cov", "qcod",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(5))
def test_first_order_features_match_statistics(seed):
    """On discretised levels, the shared features equal the intensity statistics."""
    rng = np.random.default_rng(seed)
    n_levels = int(rng.integers(2, 40))
    levels = rng.integers(1, n_levels + 1, size=int(rng.integers(1, 3000)))
    ih = by_tag(histogram.compute(levels, n_levels))
    st = by_tag(statistics.compute(levels.astype(float)))
    for name in SHARED:
        a, b = ih[f"ih_{name}"], st[f"stat_{name}"]
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, abs=1e-9), name


def test_gradient_matches_definition():
    rng = np.random.default_rng(7)
    levels = rng.integers(1, 13, size=500)
    counts = np.bincount(levels, minlength=13)[1:].astype(float)
    grad = np.empty_like(counts)
    grad[0] = counts[1] - counts[0]
    grad[-1] = counts[-1] - counts[-2]
    grad[1:-1] = (counts[2:] - counts[:-2]) / 2
    got = by_tag(histogram.compute(levels, 12))
    assert got["ih_max_grad"] == grad.max() and got["ih_max_grad_g"] == np.argmax(grad) + 1
    assert got["ih_min_grad"] == grad.min() and got["ih_min_grad_g"] == np.argmin(grad) + 1


def test_empty_gives_nan():
    out = histogram.compute(np.array([], dtype=int), 8)
    assert len(out) == 23
    assert all(math.isnan(v.value) for v in out)


def test_single_level():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = by_tag(histogram.compute(np.ones(5, dtype=int), 1))
        two = by_tag(histogram.compute(np.array([3]), 4))
    assert got["ih_mean"] == 1.0 and got["ih_var"] == 0.0 and got["ih_skew"] == 0.0
    assert got["ih_entropy"] == 0.0 and got["ih_uniformity"] == 1.0 and got["ih_mode"] == 1.0
    assert all(math.isnan(got[t]) for t in ("ih_max_grad", "ih_max_grad_g", "ih_min_grad"))
    # counts [0, 0, 1, 0]: gradient [0, 0.5, 0, -1]
    assert two["ih_max_grad"] == 0.5 and two["ih_min_grad"] == -1.0
    assert two["ih_max_grad_g"] == 2.0 and two["ih_min_grad_g"] == 4.0


@pytest.mark.parametrize(
    ("levels", "n_levels", "match"),
    [
        ([0, 1], 3, "1..n_levels"),
        ([1, 4], 3, "1..n_levels"),
        ([1.5], 3, "integer"),
        (["a"], 3, "integer"),
        ([1], 0, "n_levels"),
    ],
)
def test_rejects_invalid(levels, n_levels, match):
    with pytest.raises(ValueError, match=match):
        histogram.compute(np.array(levels), n_levels)


def test_accepts_integral_floats():
    a = by_tag(histogram.compute(np.array([1.0, 2.0, 2.0]), 3))
    b = by_tag(histogram.compute(np.array([1, 2, 2]), 3))
    assert a == b


def test_registry():
    assert len(histogram.FEATURES) == 23
    assert len({s.name for s in histogram.FEATURES}) == 23
    for spec in histogram.FEATURES:
        assert spec.family == "histogram" and spec.ibsi_tag.startswith("ih_")
        assert spec.ibsi_code and spec.ibsi_code in spec.doc
        assert "math::" in spec.doc or ":math:" in spec.doc
