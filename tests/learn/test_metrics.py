"""Metrics, DeLong, thresholds, decision curves, bootstrap: hand-computed and reference values."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import optimize, stats
from sklearn import metrics as skm

from radiomix.learn.metrics import (
    METRIC_NAMES,
    bootstrap_weights,
    calibration_intercept_slope,
    choose_threshold,
    corrected_resampled_ttest,
    delong_ci,
    delong_covariance,
    delong_test,
    logistic_recalibration,
    net_benefit,
    parse_threshold_rule,
    percentile_ci,
    roc_auc,
    stratified_weights,
    weighted_metrics,
)
from radiomix.learn.study import holm


def _random_scores(n: int = 150, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(np.int8)
    # rounded so that ties occur, as they do with few distinct feature values
    p = np.clip(np.round(rng.normal(0.4 + 0.25 * y, 0.2), 2), 0.01, 0.99)
    q = np.clip(np.round(p + rng.normal(0, 0.15, n), 2), 0.01, 0.99)
    return y, p, q


def _delong_by_definition(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong, DeLong & Clarke-Pearson (1988) from the O(m n) kernel psi, for reference."""
    scores = np.atleast_2d(scores)
    pos, neg = scores[:, y == 1], scores[:, y == 0]
    m, n = pos.shape[1], neg.shape[1]
    psi = (pos[:, :, None] > neg[:, None, :]) + 0.5 * (pos[:, :, None] == neg[:, None, :])
    v10 = psi.mean(axis=2)
    v01 = psi.mean(axis=1)
    return v10.mean(axis=1), np.atleast_2d(np.cov(v10)) / m + np.atleast_2d(np.cov(v01)) / n


def test_auc_tiny_example():
    # pairs (pos, neg): 0.35>0.1 yes, 0.35>0.4 no, 0.8>0.1 yes, 0.8>0.4 yes -> 3/4
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert roc_auc([0, 1], [0.5, 0.5]) == 0.5  # a tie counts one half
    assert math.isnan(roc_auc([1, 1], [0.1, 0.2]))


def test_auc_is_the_mann_whitney_u_statistic():
    y, p, _ = _random_scores()
    u = stats.mannwhitneyu(p[y == 1], p[y == 0]).statistic
    assert roc_auc(y, p) == pytest.approx(u / ((y == 1).sum() * (y == 0).sum()), abs=1e-12)
    assert roc_auc(y, p) == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)


def test_delong_hand_computed():
    # positives 0.9, 0.8, 0.4; negatives 0.5, 0.1
    # V10 = [1, 1, 1/2], V01 = [2/3, 1]; AUC = 5/6
    # S10 = var(V10) = 1/12, S01 = var(V01) = 1/18, Var = S10/3 + S01/2 = 1/36 + 1/36 = 1/18
    aucs, cov = delong_covariance([1, 1, 1, 0, 0], [0.9, 0.8, 0.4, 0.5, 0.1])
    assert aucs[0] == pytest.approx(5 / 6, abs=1e-15)
    assert cov[0, 0] == pytest.approx(1 / 18, abs=1e-15)
    _auc, lo, hi, se = delong_ci([1, 1, 1, 0, 0], [0.9, 0.8, 0.4, 0.5, 0.1])
    assert se == pytest.approx(math.sqrt(1 / 18), abs=1e-15)
    assert lo == pytest.approx(5 / 6 - 1.959963984540054 * math.sqrt(1 / 18), abs=1e-12)
    assert hi == 1.0  # clipped


def test_fast_delong_matches_the_definition_with_ties():
    y, p, q = _random_scores(n=120, seed=3)
    aucs, cov = delong_covariance(y, np.vstack([p, q]))
    ref_aucs, ref_cov = _delong_by_definition(y, np.vstack([p, q]))
    np.testing.assert_allclose(aucs, ref_aucs, atol=1e-12)
    np.testing.assert_allclose(cov, ref_cov, atol=1e-14)
    assert aucs[0] == pytest.approx(roc_auc(y, p), abs=1e-12)


def test_paired_delong_test():
    y, p, q = _random_scores(n=200, seed=5)
    t = delong_test(y, p, q)
    aucs, cov = _delong_by_definition(y, np.vstack([p, q]))
    z = (aucs[0] - aucs[1]) / math.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    assert t.delta == pytest.approx(aucs[0] - aucs[1], abs=1e-12)
    assert t.z == pytest.approx(z, rel=1e-10)
    assert t.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-10)
    flipped = delong_test(y, q, p)
    assert flipped.z == pytest.approx(-t.z) and flipped.p_value == pytest.approx(t.p_value)
    same = delong_test(y, p, p)
    assert same.delta == 0 and same.p_value == 1.0


@pytest.mark.parametrize("seed", [0, 1])
def test_weighted_metrics_match_scikit_learn(seed):
    y, p, _ = _random_scores(n=180, seed=seed)
    pred = (p >= 0.45).astype(np.int8)
    m = {k: float(v[0]) for k, v in weighted_metrics(np.ones((1, y.size)), y, p, pred).items()}
    assert list(m) == list(METRIC_NAMES)
    assert m["auc"] == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
    assert m["pr_auc"] == pytest.approx(skm.average_precision_score(y, p), abs=1e-12)
    assert m["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, pred))
    assert m["sensitivity"] == pytest.approx(skm.recall_score(y, pred))
    assert m["specificity"] == pytest.approx(skm.recall_score(1 - y, 1 - pred))
    assert m["ppv"] == pytest.approx(skm.precision_score(y, pred))
    assert m["npv"] == pytest.approx(skm.precision_score(1 - y, 1 - pred))
    assert m["f1"] == pytest.approx(skm.f1_score(y, pred))
    assert m["mcc"] == pytest.approx(skm.matthews_corrcoef(y, pred))
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert m["brier"] == pytest.approx(skm.brier_score_loss(y, p))
    # case weights (bootstrap multiplicities) equal repeated cases
    w = np.random.default_rng(seed).integers(0, 4, y.size).astype(float)
    mw = weighted_metrics(w[None, :], y, p, pred)
    idx = np.repeat(np.arange(y.size), w.astype(int))
    mr = weighted_metrics(np.ones((1, idx.size)), y[idx], p[idx], pred[idx])
    for name in METRIC_NAMES:
        assert mw[name][0] == pytest.approx(mr[name][0], rel=1e-9, abs=1e-12), name
    assert mw["auc"][0] == pytest.approx(skm.roc_auc_score(y, p, sample_weight=w), abs=1e-12)


def test_calibration_against_direct_likelihood_maximisation():
    y, p, _ = _random_scores(n=300, seed=7)
    x = np.log(p / (1 - p))

    def nll(beta, offset_only):
        eta = beta[0] + (x if offset_only else beta[1] * x)
        return np.sum(np.logaddexp(0, eta) - y * eta)

    a_ref = optimize.minimize(lambda b: nll(b, True), [0.0], method="BFGS", tol=1e-12).x[0]
    ab_ref = optimize.minimize(lambda b: nll(b, False), [0.0, 1.0], method="BFGS", tol=1e-12).x
    a, b = calibration_intercept_slope(y, p)
    assert a == pytest.approx(a_ref, abs=1e-5)
    assert b == pytest.approx(ab_ref[1], abs=1e-5)
    a2, b2 = logistic_recalibration(y, p)
    assert (a2, b2) == pytest.approx((ab_ref[0], ab_ref[1]), abs=1e-5)


def test_calibration_of_perfectly_calibrated_probabilities():
    # in every group of 20 cases with probability k/20 exactly k are positive: the maximum
    # likelihood recalibration is the identity
    p = np.repeat(np.arange(1, 20) / 20, 20)
    y = np.concatenate([np.r_[np.ones(k), np.zeros(20 - k)] for k in range(1, 20)]).astype(int)
    a, b = calibration_intercept_slope(y, p)
    assert a == pytest.approx(0.0, abs=1e-9) and b == pytest.approx(1.0, abs=1e-9)


def test_calibration_slope_undefined_under_separation():
    a, b = calibration_intercept_slope([0, 0, 0, 1, 1, 1], [0.1, 0.2, 0.3, 0.6, 0.7, 0.8])
    assert math.isfinite(a) and math.isnan(b)


def test_thresholds_hand_computed():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8])
    # thresholds 0.8 / 0.4 / 0.35 / 0.1 give (sens, spec) (.5, 1) (.5, .5) (1, .5) (1, 0):
    # Youden J = .5, 0, .5, 0; the tie goes to the higher threshold
    assert choose_threshold(y, p, "youden") == 0.8
    assert choose_threshold(y, p, "sens@0.95") == 0.35
    assert choose_threshold(y, p, "spec@0.9") == 0.8
    assert choose_threshold(y, p, "fixed:0.3") == 0.3
    # on random scores: the threshold of scikit-learn's ROC curve with the largest J
    yr, pr, _ = _random_scores(n=200, seed=4)
    fpr, tpr, thr = skm.roc_curve(yr, pr, drop_intermediate=False)
    assert choose_threshold(yr, pr, "youden") == thr[np.argmax(tpr - fpr)]
    assert parse_threshold_rule("SENS@0.9") == ("sens", 0.9)
    with pytest.raises(ValueError, match="sens@X"):
        parse_threshold_rule("sensitivity")


def test_net_benefit_hand_computed():
    y = np.array([1, 1, 0, 0])
    p = np.array([0.9, 0.3, 0.6, 0.1])
    nb, nb_all = net_benefit(y, p, [0.5, 0.2])
    # t=0.5: TP 1, FP 1 -> 1/4 - 1/4 * 1 = 0; treat all: 0.5 - 0.5 * 1 = 0
    # t=0.2: TP 2, FP 1 -> 2/4 - 1/4 * 0.25 = 0.4375; treat all: 0.5 - 0.5 * 0.25 = 0.375
    np.testing.assert_allclose(nb, [0.0, 0.4375])
    np.testing.assert_allclose(nb_all, [0.0, 0.375])
    with pytest.raises(ValueError):
        net_benefit(y, p, [0.0])


def test_bootstrap_weights_stratified_and_clustered():
    y = np.r_[np.zeros(30), np.ones(12)].astype(int)
    W = bootstrap_weights(y, None, 500, random_state=0)
    assert W.shape == (500, 42)
    np.testing.assert_array_equal((W * y).sum(1), 12)  # class sizes kept
    np.testing.assert_array_equal(W.sum(1), 42)
    groups = np.repeat(np.arange(21), 2)  # pairs of cases
    y2 = np.repeat(np.r_[np.zeros(15), np.ones(6)], 2).astype(int)
    Wg = bootstrap_weights(y2, groups, 300, random_state=1)
    np.testing.assert_array_equal(Wg[:, ::2], Wg[:, 1::2])  # a pair is drawn together
    np.testing.assert_array_equal((Wg * y2).sum(1), 12)
    # the bootstrap SE of the AUC is close to DeLong's on a sizeable sample
    yy, p, _ = _random_scores(n=400, seed=11)
    Wb = bootstrap_weights(yy, None, 2000, random_state=2)
    boot = weighted_metrics(Wb, yy, p, (p > 0.5).astype(int))["auc"]
    assert boot.std(ddof=1) == pytest.approx(delong_ci(yy, p)[3], rel=0.12)
    lo, hi = percentile_ci(boot)
    assert lo < roc_auc(yy, p) < hi


def test_a_group_of_tied_classes_is_drawn_with_the_positive_groups():
    # groups: P (positive), T (one positive, one negative), N1, N2 (negative)
    y = np.array([1, 1, 0, 0, 0])
    groups = np.array(["P", "T", "T", "N1", "N2"])
    W = bootstrap_weights(y, groups, 200, random_state=4)
    np.testing.assert_array_equal(W, stratified_weights(y, groups, 200, 4, ties="last"))
    np.testing.assert_array_equal(W[:, 1], W[:, 2])  # T is drawn whole
    np.testing.assert_array_equal(W[:, 0] + W[:, 1], 2)  # two draws among {P, T}
    np.testing.assert_array_equal(W[:, 3] + W[:, 4], 2)  # two among {N1, N2}
    # ties="first" puts T with the negative groups: P alone in its stratum
    F = stratified_weights(y, groups, 200, 4, ties="first")
    np.testing.assert_array_equal(F[:, 0], 1)
    np.testing.assert_array_equal(F[:, 1] + F[:, 3] + F[:, 4], 3)
    with pytest.raises(ValueError, match="ties must be"):
        stratified_weights(y, groups, 10, 0, ties="middle")


def test_corrected_resampled_ttest_hand_computed():
    # mean 0.2, variance 0.01, J = 3, n_test/n_train = 0.25: t = 0.2 / sqrt((1/3 + 0.25) 0.01)
    t, p = corrected_resampled_ttest([0.1, 0.2, 0.3], n_train=80, n_test=20)
    expected = 0.2 / math.sqrt((1 / 3 + 0.25) * 0.01)
    assert t == pytest.approx(expected)
    assert p == pytest.approx(2 * stats.t.sf(expected, df=2))


def test_holm():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    out = holm([float("nan"), 0.02])
    assert math.isnan(out[0]) and out[1] == pytest.approx(0.02)


def test_metrics_reject_bad_input():
    with pytest.raises(ValueError, match="0 \\(negative\\) or 1"):
        roc_auc([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="NaN"):
        roc_auc([0, 1], [0.1, float("nan")])
    with pytest.raises(ValueError, match="two positive"):
        delong_covariance([0, 1, 1], [0.1, 0.2, 0.3])


def test_every_pair_counted_once():
    # exhaustive check of the tie-aware AUC on all 0/1 labelings of a small score vector
    p = np.array([0.1, 0.2, 0.2, 0.5, 0.7])
    for bits in itertools.product([0, 1], repeat=5):
        y = np.array(bits)
        if 0 < y.sum() < 5:
            assert roc_auc(y, p) == pytest.approx(skm.roc_auc_score(y, p))
