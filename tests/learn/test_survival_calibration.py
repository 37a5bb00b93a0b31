"""Calibration of a survival model at a horizon, with bootstrap intervals: the weighted
Kaplan-Meier estimate, the calibration slope (a Cox model on the complementary log-log of
the predictions), calibration in the large, observed / expected events and the groups'
error; against scikit-survival, by hand, and on tables whose true calibration is known."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("sksurv", reason="the survival task needs scikit-survival")

from sksurv.linear_model import CoxPHSurvivalAnalysis
from sksurv.nonparametric import kaplan_meier_estimator

from radiomix.learn import survival as sv
from radiomix.learn.survival import (
    calibration_at,
    calibration_error,
    calibration_groups,
    calibration_parts,
    cox_calibration_slope,
    km_at,
    km_weighted,
    structured,
)
from radiomix.learn.task_metrics import stratified_weights
from radiomix.learn.tasks import SurvivalTask


def _toy(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rounded times (ties), 60 % events, a prediction related to the time."""
    rng = np.random.default_rng(seed)
    t = np.round(rng.exponential(10, n)) + 1.0
    e = rng.random(n) < 0.6
    eta = rng.normal(size=n) - 0.05 * np.minimum(t, 20.0)
    return e, t, np.exp(-0.08 * np.exp(-eta))


def _true_model(
    n: int, seed: int, spread: float = 1.0, hazard: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Exponential times with hazard exp(eta), eta ~ N(0, 1), independent exponential
    censoring (about 30 %); returns event, time, the true event-free probability at the
    horizon 0.5, the prediction of a model with the linear predictor times ``spread`` and
    the hazard times ``hazard``, and the horizon."""
    rng = np.random.default_rng(seed)
    eta = rng.normal(size=n)
    t_event = rng.exponential(1.0, n) / np.exp(eta)
    t_cens = rng.exponential(3.0, n)
    t = np.minimum(t_event, t_cens)
    e = t_event <= t_cens
    h = 0.5
    true = np.exp(-h * np.exp(eta))
    pred = np.exp(-h * hazard * np.exp(spread * eta))
    return e, t, true, pred, h


def test_weighted_kaplan_meier_is_scikit_survivals():
    e, t, _ = _toy()
    x, s = kaplan_meier_estimator(e, t)
    ones = np.ones((1, t.size))
    for h in (0.5, 1.0, 3.0, 7.5, 12.0, 40.0, 1e6):
        assert km_weighted(ones, e, t, h)[0] == pytest.approx(km_at(x, s, h), abs=1e-14)
    # a case counted k times is the case repeated k times; weight 0 drops it
    rng = np.random.default_rng(1)
    w = rng.integers(0, 4, t.size).astype(float)
    idx = np.repeat(np.arange(t.size), w.astype(int))
    x, s = kaplan_meier_estimator(e[idx], t[idx])
    assert km_weighted(w[None], e, t, 9.0)[0] == pytest.approx(km_at(x, s, 9.0), abs=1e-14)
    # several rows at once, in row blocks or not
    W = rng.integers(0, 3, (7, t.size)).astype(float)
    whole = km_weighted(W, e, t, 9.0)
    each = [km_weighted(W[b : b + 1], e, t, 9.0)[0] for b in range(7)]
    np.testing.assert_allclose(whole, each, rtol=0, atol=1e-15)


def test_weighted_kaplan_meier_in_row_blocks(monkeypatch):
    e, t, p = _toy()
    W = stratified_weights(e.astype(np.int8), None, 50, 3)
    whole = km_weighted(W, e, t, 8.0)
    slope = cox_calibration_slope(W, e, t, p, 8.0)
    monkeypatch.setattr(sv, "_PAIR_BLOCK", 3 * t.size)  # 3 rows a block, 17 blocks
    np.testing.assert_array_equal(km_weighted(W, e, t, 8.0), whole)
    np.testing.assert_allclose(cox_calibration_slope(W, e, t, p, 8.0), slope, atol=1e-12)


def test_kaplan_meier_by_hand():
    """Times 1, 2+, 3, 4, 6, 7+ (+ censored): at 5, 5/6 x 3/4 x 2/3 = 5/12 ... by hand."""
    t = np.array([1.0, 2, 3, 4, 6, 7])
    e = np.array([1, 0, 1, 1, 1, 0], dtype=bool)
    ones = np.ones((1, 6))
    # at 1: 6 at risk, 1 event; 2 censored; at 3: 4 at risk; at 4: 3 at risk
    assert km_weighted(ones, e, t, 5.0)[0] == pytest.approx(5 / 6 * 3 / 4 * 2 / 3)
    assert km_weighted(ones, e, t, 0.5)[0] == 1.0
    # at 6: 2 at risk, 1 event
    assert km_weighted(ones, e, t, 6.0)[0] == pytest.approx(5 / 12 * 1 / 2)
    # calibration against predictions 0.6 everywhere: in the large 5/12 - 0.6, O/E
    # (7/12) / 0.4
    cal = calibration_at(ones, e, t, np.full(6, 0.6), 5.0)
    assert cal["observed_survival"][0] == pytest.approx(5 / 12)
    assert cal["predicted_survival"][0] == pytest.approx(0.6)
    assert cal["in_the_large"][0] == pytest.approx(5 / 12 - 0.6)
    assert cal["observed_expected"][0] == pytest.approx((7 / 12) / 0.4)
    assert math.isnan(cal["slope"][0])  # one prediction for everyone: no slope


def test_calibration_slope_is_a_cox_model_on_the_cloglog():
    """The slope equals scikit-survival's Cox model (Breslow ties) of the follow-up
    censored at the horizon on log(-log S); weights are repeated cases."""
    e, t, p = _toy(300, seed=4)
    h = 9.0
    x = np.log(-np.log(p))
    d = e & (t <= h)
    y_h = structured(d, np.minimum(t, h))
    ref = CoxPHSurvivalAnalysis(ties="breslow").fit(x[:, None], y_h).coef_[0]
    ones = np.ones((1, t.size))
    assert cox_calibration_slope(ones, e, t, p, h)[0] == pytest.approx(ref, abs=1e-7)
    rng = np.random.default_rng(2)
    w = rng.integers(0, 4, t.size).astype(float)
    idx = np.repeat(np.arange(t.size), w.astype(int))
    ref_w = CoxPHSurvivalAnalysis(ties="breslow").fit(x[idx, None], y_h[idx]).coef_[0]
    assert cox_calibration_slope(w[None], e, t, p, h)[0] == pytest.approx(ref_w, abs=1e-7)
    # no event by the horizon: no slope
    assert math.isnan(cox_calibration_slope(ones, e, t, p, 0.5)[0])


def test_true_model_is_calibrated_and_miscalibration_is_measured():
    """4,000 cases from a known model: the true probabilities give slope 1.03, O/E 1.01
    and in the large -0.004; a linear predictor twice too spread gives slope 0.52; a hazard
    twice too high gives O/E 0.715 where true / predicted events are 0.708."""
    e, t, true, _, h = _true_model(4000, seed=0)
    ones = np.ones((1, t.size))
    cal = calibration_at(ones, e, t, true, h)
    assert cal["slope"][0] == pytest.approx(1.0, abs=0.06)
    assert cal["observed_expected"][0] == pytest.approx(1.0, abs=0.04)
    assert cal["in_the_large"][0] == pytest.approx(0.0, abs=0.015)
    _, _, _, spread, _ = _true_model(4000, seed=0, spread=2.0)
    assert calibration_at(ones, e, t, spread, h)["slope"][0] == pytest.approx(0.5, abs=0.03)
    _, _, _, high, _ = _true_model(4000, seed=0, hazard=2.0)
    cal = calibration_at(ones, e, t, high, h)
    expected = (1 - true).mean() / (1 - high).mean()
    assert cal["observed_expected"][0] == pytest.approx(expected, abs=0.04)
    assert cal["observed_expected"][0] < 0.75
    assert cal["slope"][0] == pytest.approx(1.0, abs=0.06)  # a shift keeps the slope


def test_bootstrap_interval_of_the_slope_matches_its_standard_error():
    """400 cases: the percentile interval of 2,000 stratified resamples is about
    +-1.96 / sqrt(Fisher information) around the slope (information at the estimate):
    slope 1.00 [0.86, 1.18], width 0.325 against 2 x 1.96 x 0.084 = 0.329."""
    e, t, true, _, h = _true_model(400, seed=3)
    ones = np.ones((1, t.size))
    slope = cox_calibration_slope(ones, e, t, true, h)[0]
    x = np.log(-np.log(true))
    d = e & (t <= h)
    y_h = structured(d, np.minimum(t, h))
    # observed information: the second derivative of the partial likelihood, numerically

    def loglik(b: float) -> float:
        order = np.argsort(-np.minimum(t, h), kind="stable")
        th, xs, ds = np.minimum(t, h)[order], x[order], d[order]
        risk = np.cumsum(np.exp(b * xs))
        last = np.searchsorted(-th, -th, side="right") - 1
        return float((ds * (b * xs - np.log(risk[last]))).sum())

    eps = 1e-4
    info = -(loglik(slope + eps) - 2 * loglik(slope) + loglik(slope - eps)) / eps**2
    se = 1 / math.sqrt(info)
    ref = CoxPHSurvivalAnalysis(ties="breslow").fit(x[:, None], y_h).coef_[0]
    assert ref == pytest.approx(slope, abs=1e-7)
    W = stratified_weights(e.astype(np.int8), None, 2000, 7)
    lo, hi = np.percentile(cox_calibration_slope(W, e, t, true, h), [2.5, 97.5])
    assert (hi - lo) / (2 * 1.96 * se) == pytest.approx(1.0, abs=0.1)
    assert lo < 1.0 < hi


def test_calibration_error_is_the_groups_error():
    """With weights one, the groups' error is the size-weighted mean |predicted -
    observed| of :func:`calibration_groups`."""
    e, t, p = _toy(300, seed=5)
    groups = calibration_groups(e, t, p, 8.0)
    sizes = np.array([g["n_cases"] for g in groups], dtype=float)
    diffs = np.array([abs(g["predicted"] - g["observed"]) for g in groups])
    parts = calibration_parts(p)
    assert [len(q) for q in parts] == [60] * 5
    err = calibration_error(np.ones((1, t.size)), e, t, p, 8.0, parts)[0]
    assert err == pytest.approx((sizes * diffs).sum() / sizes.sum(), abs=1e-14)


def _outputs(R: int, e: np.ndarray, t: np.ndarray, hs: list[float], grid: list[float], seed=0):
    """(R, n, 1 + H + grid) outputs of a model predicting exp(-h exp(eta + noise))."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(R):
        eta = np.log(np.maximum(1e-9, 1.0 / t)) + rng.normal(0, 1.0, t.size)
        times = np.array([*hs, *grid])
        S = np.exp(-np.outer(np.exp(eta), times) * 0.3)
        out.append(np.column_stack([eta, S]))
    return np.stack(out)


def test_summary_adds_the_intervals_and_keeps_the_estimates():
    e, t, _, _, _ = _true_model(300, seed=1)
    hs = [0.2, 0.5, 1.0]
    grid = list(np.linspace(0.1, 1.0, 5))
    y = structured(e, t)
    coding = {"horizons": hs, "grid": grid, "event": "event"}
    outs = _outputs(2, e, t, hs, grid)
    task = SurvivalTask(tuple(hs), tuple(grid))
    m = task.summarise(y, outs, None, coding, n_boot=300, level=0.95, random_state=0)
    cal = m["calibration"]
    assert cal["horizon"] == 0.5
    # the estimate's fields as they were
    x, s = sv.kaplan_meier(e, t)
    observed = km_at(x, s, 0.5)
    assert cal["observed_survival"] == observed
    assert cal["in_the_large"] == pytest.approx(
        np.median([observed - outs[r, :, 2].mean() for r in range(2)]), abs=1e-15
    )
    # the new ones, by the functions above
    ones = np.ones((1, t.size))
    each = [calibration_at(ones, e, t, outs[r, :, 2], 0.5) for r in range(2)]
    assert cal["slope"] == pytest.approx(np.median([c["slope"][0] for c in each]))
    assert cal["slope_repeats"] == pytest.approx([c["slope"][0] for c in each])
    assert cal["observed_expected"] == pytest.approx(
        np.median([c["observed_expected"][0] for c in each])
    )
    assert cal["predicted_survival"] == pytest.approx(np.mean(outs[:, :, 2].mean(axis=1)))
    for key in (
        "observed_survival",
        "predicted_survival",
        "in_the_large",
        "observed_expected",
        "slope",
        "error",
    ):
        lo, hi = cal[f"{key}_ci"]
        assert lo < cal[key] < hi, key
    # the intervals are those of the task's resamples (the same weights as Harrell's C)
    W = stratified_weights(e.astype(np.int8), None, 300, 0)
    boot = np.median(
        np.vstack([calibration_at(W, e, t, outs[r, :, 2], 0.5)["slope"] for r in range(2)]),
        axis=0,
    )
    assert cal["slope_ci"] == pytest.approx(list(np.percentile(boot, [2.5, 97.5])))
    # no bootstrap: intervals NaN, estimates kept
    m0 = task.summarise(y, outs, None, coding, n_boot=0, level=0.95, random_state=0)
    assert m0["calibration"]["slope"] == cal["slope"]
    assert all(math.isnan(v) for v in m0["calibration"]["slope_ci"])
    assert all(math.isnan(v) for v in m0["calibration"]["error_ci"])
