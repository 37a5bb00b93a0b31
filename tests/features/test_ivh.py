"""Intensity-volume histogram features: IBSI references, hand cases, brute force, degenerate.

This module also holds :func:`ct_config_roi`, the CT phantom ROI intensities prepared for
IBSI configurations A-E with a small self-contained SimpleITK pipeline (used by the
statistics and histogram tests as well).
"""

from __future__ import annotations

import math
import warnings
from functools import cache

import numpy as np
import pytest
import SimpleITK as sitk

from radiomix.extraction.reference import ReferenceValue, load_reference_table, within_tolerance
from radiomix.features import ivh
from tests.conftest import digital_phantom_tags, require_shared

IVH_TAGS = [s.ibsi_tag for s in ivh.FEATURES]

# IBSI 1 CT configurations: resampled spacing (x, y, z) or None, interpolator, range, outlier
_CT_CONFIGS = {
    "a": (None, None, (-500.0, 400.0), False),
    "b": ((2.0, 2.0, 3.0), sitk.sitkLinear, (-500.0, 400.0), False),
    "c": ((2.0, 2.0, 2.0), sitk.sitkLinear, (-1000.0, 400.0), False),
    "d": ((2.0, 2.0, 2.0), sitk.sitkLinear, None, True),
    "e": ((2.0, 2.0, 2.0), sitk.sitkBSpline, (-1000.0, 400.0), True),
}

#: what the pipeline passes to ``ivh.compute`` per configuration (besides the intensities)
IVH_ARGS = {
    "a": {"method": "none", "step": 1.0, "value_range": (-500.0, 400.0)},
    "b": {"method": "none", "step": 1.0, "value_range": (-500.0, 400.0)},
    "c": {"method": "fixed_bin_size", "bin_width": 2.5, "value_range": (-1000.0, 400.0)},
    "d": {"method": "none", "step": 1.0},
    "e": {"method": "fixed_bin_number", "n_bins": 1000},
}


def _resample(img: sitk.Image, spacing, interpolator, default: float) -> np.ndarray:
    """Resample onto a grid with the same centre (IBSI grid alignment), as a (z, y, x) array."""
    sp = np.array(img.GetSpacing())
    size = np.array(img.GetSize())
    new_sp = np.array(spacing, dtype=float)
    new_size = np.ceil(size * sp / new_sp).astype(int)
    direction = np.array(img.GetDirection()).reshape(3, 3)
    shift = (sp * (size - 1) - new_sp * (new_size - 1)) / 2.0
    origin = np.array(img.GetOrigin()) + direction @ shift
    f = sitk.ResampleImageFilter()
    f.SetOutputSpacing(new_sp.tolist())
    f.SetSize([int(s) for s in new_size])
    f.SetOutputOrigin(origin.tolist())
    f.SetOutputDirection(img.GetDirection())
    f.SetInterpolator(interpolator)
    f.SetDefaultPixelValue(default)
    return sitk.GetArrayFromImage(f.Execute(img))


@cache
def ct_config_roi(config: str) -> tuple[np.ndarray, tuple[float, float] | None]:
    """CT phantom intensities of the ROI after IBSI configuration ``config``'s processing.

    Returns the intensities (1D, HU) and the re-segmentation range (None for D). Skips when
    the shared data are absent.
    """
    base = require_shared("ibsi", "ibsi_1_ct_radiomics_phantom", "nifti")
    image = sitk.ReadImage(str(base / "image" / "phantom.nii.gz"), sitk.sitkFloat64)
    mask = sitk.Cast(sitk.ReadImage(str(base / "mask" / "mask.nii.gz")), sitk.sitkFloat64)
    spacing, interpolator, rng, outlier = _CT_CONFIGS[config]
    if spacing is None:
        arr = sitk.GetArrayFromImage(image)
        roi = sitk.GetArrayFromImage(mask) > 0
    else:
        arr = np.round(_resample(image, spacing, interpolator, -1000.0))
        roi = _resample(mask, spacing, sitk.sitkLinear, 0.0) >= 0.5
    x = arr[roi]
    if rng is not None:
        x = x[(x >= rng[0]) & (x <= rng[1])]
    if outlier:
        mu, sd = x.mean(), x.std()
        x = x[(x >= mu - 3 * sd) & (x <= mu + 3 * sd)]
    return x, rng


@cache
def ct_reference(config: str) -> dict[str, ReferenceValue]:
    path = require_shared("ibsi", "ibsi_1_reference_values", f"ibsi_1_chest_config_{config}.csv")
    return {r.tag: r for r in load_reference_table(path)}


def ct_cases(prefix: str, configs: str = "abcde"):
    """(config, tag) parameters for every family tag with an IBSI value in every config."""
    cases = []
    for c in configs:
        marks = [] if c == "a" else [pytest.mark.slow]
        cases += [pytest.param(c, t, id=f"{c}-{t}", marks=marks) for t in _tags(prefix)]
    return cases


def _tags(prefix: str) -> list[str]:
    if prefix == "ivh_":
        return [t for t in IVH_TAGS if t != "ivh_auc"]
    from radiomix.features import histogram, statistics

    specs = statistics.FEATURES if prefix == "stat_" else histogram.FEATURES
    return [s.ibsi_tag for s in specs]


def by_tag(values) -> dict[str, float]:
    return {v.ibsi_tag: v.value for v in values}


# --------------------------------------------------------------------------- references


@pytest.mark.parametrize("tag", digital_phantom_tags("ivh_"))
def test_digital_phantom(tag, digital_phantom, digital_phantom_reference):
    x = digital_phantom.image[digital_phantom.mask]
    got = by_tag(ivh.compute(x, method="none", step=1.0))
    assert within_tolerance(got[tag], digital_phantom_reference[tag]), got[tag]


@pytest.mark.parametrize(("config", "tag"), ct_cases("ivh_"))
def test_ct_phantom_configurations(config, tag):
    x, _ = ct_config_roi(config)
    ref = ct_reference(config)[tag]
    got = by_tag(ivh.compute(x, **IVH_ARGS[config]))
    assert within_tolerance(got[tag], ref), (got[tag], ref.value, ref.tolerance)


def test_configuration_d_is_not_fixed_bin_size():
    """D's I10 (87 HU +- 0.1) is a whole HU, no 2.5 HU bin centre: D uses discrete HU."""
    x, _ = ct_config_roi("d")
    ref = ct_reference("d")["ivh_i10"]
    fbs = by_tag(ivh.compute(x, method="fixed_bin_size", bin_width=2.5))["ivh_i10"]
    assert not within_tolerance(fbs, ref)


# --------------------------------------------------------------------------- hand cases


def test_hand_computed_discrete():
    got = by_tag(ivh.compute(np.array([1.0, 2.0, 3.0, 4.0])))
    # grid 1..4, nu = 1, .75, .5, .25, gamma = 0, 1/3, 2/3, 1
    assert got["ivh_v10"] == 0.75
    assert got["ivh_v90"] == 0.25
    assert got["ivh_i10"] == 5.0  # no grid point has nu <= 0.1: one step above the maximum
    assert got["ivh_i90"] == 2.0
    assert got["ivh_diff_v10_v90"] == 0.5
    assert got["ivh_diff_i10_i90"] == 3.0
    assert got["ivh_auc"] == pytest.approx(0.625)


def test_value_range_sets_fractional_intensity():
    x = np.array([0.0] * 5 + [10.0] * 5)
    got = by_tag(ivh.compute(x, value_range=(0.0, 100.0)))
    assert got["ivh_v10"] == 0.5  # gamma = 0.1 at 10
    assert got["ivh_v90"] == 0.0  # nothing >= 90
    assert got["ivh_i10"] == 11.0
    got = by_tag(ivh.compute(x))  # ROI range 0..10: gamma = 0.1 at 1
    assert got["ivh_v10"] == 0.5
    assert got["ivh_v90"] == 0.5


def test_fixed_bin_size_uses_bin_centres():
    x = np.array([-1000.0, -999.0, -997.5, 0.0, 400.0])
    got = by_tag(ivh.compute(x, method="fixed_bin_size", bin_width=2.5, value_range=(-1000, 400)))
    # centres: -998.75, -998.75, -996.25, 1.25, 401.25; grid -998.75 .. 401.25 by 2.5
    assert got["ivh_i90"] == -996.25  # nu(-996.25) = 3/5 <= 0.9
    assert got["ivh_i10"] == 401.25 + 2.5  # nu(401.25) = 1/5 > 0.1
    # gamma = 0.1 at -998.75 + 140 = -858.75 -> nu = 2/5
    assert got["ivh_v10"] == pytest.approx(0.4)


def test_fixed_bin_number_reports_bin_numbers():
    x = np.arange(10, dtype=float)  # FBN 10 bins: levels 1..10
    got = by_tag(ivh.compute(x, method="fixed_bin_number", n_bins=10, value_range=(-5, 50)))
    assert got["ivh_i90"] == 2.0
    assert got["ivh_i10"] == 10.0
    assert got["ivh_v10"] == pytest.approx(0.9)  # gamma = (i - 1) / 9 >= 0.1 at i = 2


# --------------------------------------------------------------------------- brute force


def _reference_ivh(x: np.ndarray, step: float, lo: float, hi: float) -> dict[str, float]:
    """Direct definitions, one grid intensity at a time."""
    grid = [lo + k * step for k in range(round((hi - lo) / step) + 1)]
    nu = [float(np.mean(x >= i)) for i in grid]
    gamma = [(i - lo) / (hi - lo) for i in grid]

    def v_at(p):
        return max(n for n, g in zip(nu, gamma, strict=True) if g >= p)

    def i_at(p):
        cand = [i for i, n in zip(grid, nu, strict=True) if n <= p]
        return min(cand) if cand else grid[-1] + step

    return {
        "ivh_v10": v_at(0.1),
        "ivh_v90": v_at(0.9),
        "ivh_i10": i_at(0.1),
        "ivh_i90": i_at(0.9),
        "ivh_auc": float(np.trapezoid(nu, gamma)),
    }


@pytest.mark.parametrize("seed", range(5))
def test_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(20, 15, size=rng.integers(1, 400)))
    lo, hi = float(x.min()) - rng.integers(0, 5), float(x.max()) + rng.integers(0, 5)
    if hi == lo:
        hi += 1
    expected = _reference_ivh(x, 1.0, lo, hi)
    got = by_tag(ivh.compute(x, value_range=(lo, hi)))
    for tag, value in expected.items():
        assert got[tag] == pytest.approx(value, abs=1e-12), tag


# --------------------------------------------------------------------------- degenerate


def test_empty_gives_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ivh.compute(np.array([]))
    assert len(out) == len(ivh.FEATURES)
    assert all(math.isnan(v.value) for v in out)


def test_constant_roi():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = by_tag(ivh.compute(np.full(7, 3.0)))
    assert math.isnan(got["ivh_v10"]) and math.isnan(got["ivh_auc"])
    assert got["ivh_i10"] == 4.0 and got["ivh_i90"] == 4.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "bins"}, "unknown IVH method"),
        ({"step": 0.0}, "step"),
        ({"method": "fixed_bin_size"}, "bin_width"),
        ({"method": "fixed_bin_number"}, "n_bins"),
        ({"value_range": (5.0, 10.0)}, "outside value_range"),
        ({"value_range": (3.0, 1.0)}, "lower <= upper"),
        ({"step": 1e-7, "value_range": (0.0, 10.0)}, "more than"),
    ],
)
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ivh.compute(np.array([1.0, 2.0, 3.0]), **kwargs)


def test_rejects_nan():
    with pytest.raises(ValueError, match="NaN"):
        ivh.compute(np.array([1.0, np.nan]))


def test_registry():
    assert [s.ibsi_tag for s in ivh.FEATURES] == [
        "ivh_v10",
        "ivh_v90",
        "ivh_i10",
        "ivh_i90",
        "ivh_diff_v10_v90",
        "ivh_diff_i10_i90",
        "ivh_auc",
    ]
    for spec in ivh.FEATURES:
        assert spec.family == "ivh"
        assert spec.ibsi_code and spec.ibsi_code in spec.doc
        assert ".. math::" in spec.doc
