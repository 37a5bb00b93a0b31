"""Binary classification metrics, their confidence intervals, and model comparison.

Notation: :math:`y_i \\in \\{0, 1\\}` is the reference label of case :math:`i` (1 = the
positive class), :math:`p_i` the predicted probability of the positive class, :math:`t` a
decision threshold (a case is called positive when :math:`p_i \\ge t`), :math:`n_1` and
:math:`n_0` the numbers of positive and negative cases.

Every threshold-free and threshold-based metric is computed by one vectorised routine,
:func:`weighted_metrics`, from case weights :math:`w_{bi}`: the point estimate is the row
of all-ones weights, and a bootstrap resample is a row of multiplicities (how often each case,
or each case's group, was drawn). The same code therefore yields the estimate and every
bootstrap replicate, and a cluster bootstrap costs no more than a plain one.

Metrics (all weighted sums reduce to the usual definitions when :math:`w_i = 1`):

- ROC AUC, the Mann-Whitney form with ties counted one half
  :math:`\\mathrm{AUC} = \\frac{1}{n_1 n_0}\\sum_{i: y_i=1}\\sum_{j: y_j=0}
  \\left([p_i > p_j] + \\tfrac12 [p_i = p_j]\\right)`;
- PR AUC as average precision over the distinct scores
  :math:`\\mathrm{AP} = \\sum_k (R_k - R_{k-1}) P_k` (scikit-learn's definition; no
  interpolation);
- at threshold :math:`t`: sensitivity TP/(TP+FN), specificity TN/(TN+FP), PPV TP/(TP+FP),
  NPV TN/(TN+FN), balanced accuracy (sens + spec)/2, accuracy, F1 2TP/(2TP+FP+FN), and
  Matthews' correlation coefficient
  :math:`\\mathrm{MCC} = \\frac{TP\\,TN - FP\\,FN}{\\sqrt{(TP+FP)(TP+FN)(TN+FP)(TN+FN)}}`
  (0 when a margin is empty, as scikit-learn does);
- Brier score :math:`\\frac1n\\sum_i (p_i - y_i)^2`;
- calibration intercept (calibration-in-the-large) :math:`a` in
  :math:`\\mathrm{logit}\\,P(y=1) = a + \\mathrm{logit}(p)` (offset fixed), and calibration
  slope :math:`b` in :math:`\\mathrm{logit}\\,P(y=1) = a' + b\\,\\mathrm{logit}(p)`, both by
  Newton's method on the logistic likelihood (Van Calster et al., "Calibration: the Achilles
  heel of predictive analytics", BMC Med 2019; ideal values 0 and 1).

DeLong's variance of the AUC and the paired test of two AUCs use the fast algorithm of
Sun & Xu (IEEE Signal Process. Lett. 21(11), 2014), O(n log n) by midranks.

References
----------
DeLong, DeLong & Clarke-Pearson, Biometrics 44 (1988) 837-845.
Sun & Xu, IEEE Signal Processing Letters 21 (2014) 1389-1393.
Vickers & Elkin, Med Decis Making 26 (2006) 565-574 (decision curves).
Nadeau & Bengio, Machine Learning 52 (2003) 239-281 (corrected resampled t-test).
Youden, Cancer 3 (1950) 32-35.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

__all__ = [
    "METRIC_NAMES",
    "DeLongTest",
    "bootstrap_weights",
    "calibration_intercept_slope",
    "choose_threshold",
    "corrected_resampled_ttest",
    "delong_ci",
    "delong_covariance",
    "delong_test",
    "logistic_recalibration",
    "net_benefit",
    "parse_threshold_rule",
    "percentile_ci",
    "permutation_auc",
    "roc_auc",
    "stratified_weights",
    "summarise_repeats",
    "weighted_metrics",
]

METRIC_NAMES = (
    "auc",
    "pr_auc",
    "balanced_accuracy",
    "sensitivity",
    "specificity",
    "ppv",
    "npv",
    "accuracy",
    "f1",
    "mcc",
    "brier",
    "calibration_intercept",
    "calibration_slope",
)
"""Metrics computed by :func:`weighted_metrics`, in the order they are reported."""

_EPS = 1e-12


def _binary(y: np.ndarray | Sequence[int]) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {arr.shape}")
    values = np.unique(arr)
    if not np.all(np.isin(values, (0, 1))):
        raise ValueError(f"labels must be 0 (negative) or 1 (positive), got values {values[:5]}")
    return arr.astype(np.int8)


def _scores(p: np.ndarray | Sequence[float], n: int) -> np.ndarray:
    arr = np.asarray(p, dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(f"scores must have shape ({n},), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("scores contain NaN or infinite values")
    return arr


def roc_auc(y: np.ndarray | Sequence[int], p: np.ndarray | Sequence[float]) -> float:
    """Area under the ROC curve by the Mann-Whitney identity (ties count one half).

    .. math::

        \\mathrm{AUC} = \\frac{R_1 - n_1 (n_1 + 1) / 2}{n_1 n_0}

    with :math:`R_1` the sum of the mid-ranks of the positive cases among all scores.

    Parameters
    ----------
    y : array of {0, 1}
        Reference labels (1 = positive).
    p : array of float
        Scores (higher = more likely positive).

    Returns
    -------
    float
        The AUC; NaN when one class is absent.

    Examples
    --------
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    yy = _binary(y)
    pp = _scores(p, yy.size)
    n1 = int(yy.sum())
    n0 = yy.size - n1
    if n1 == 0 or n0 == 0:
        return math.nan
    r1 = float(stats.rankdata(pp)[yy == 1].sum())
    return (r1 - n1 * (n1 + 1) / 2.0) / (n1 * n0)


def permutation_auc(
    y: np.ndarray, p: np.ndarray, n_permutations: int = 2000, random_state: int = 0
) -> tuple[np.ndarray, float]:
    """Null AUCs of fixed scores against permuted labels, and the one-sided p-value
    :math:`(1 + \\#\\{\\mathrm{AUC}_\\pi \\ge \\mathrm{AUC}\\}) / (1 + B)`."""
    rng = np.random.default_rng(random_state)
    ranks = stats.rankdata(p)
    n1 = int(y.sum())
    n0 = y.size - n1
    Y = rng.permuted(np.tile(y.astype(bool), (n_permutations, 1)), axis=1)
    null = ((Y * ranks).sum(axis=1) - n1 * (n1 + 1) / 2.0) / (n1 * n0)
    observed = roc_auc(y, p)
    p_value = (1.0 + float((null >= observed - 1e-12).sum())) / (1.0 + n_permutations)
    return null, p_value


# --------------------------------------------------------------------------- DeLong


def delong_covariance(
    y: np.ndarray | Sequence[int], scores: np.ndarray | Sequence[Sequence[float]]
) -> tuple[np.ndarray, np.ndarray]:
    """AUCs of one or more score vectors and DeLong's covariance matrix of them.

    Fast DeLong (Sun & Xu 2014): with :math:`T_X`, :math:`T_Y`, :math:`T_Z` the mid-ranks of
    a positive case among the positives, of a negative case among the negatives and of any
    case among all cases, the structural components are

    .. math::

        V_{10}(i) = \\frac{T_Z(i) - T_X(i)}{n_0}, \\qquad
        V_{01}(j) = 1 - \\frac{T_Z(j) - T_Y(j)}{n_1},

    the AUC is the mean of :math:`V_{10}` (equally of :math:`V_{01}`) and its covariance
    :math:`S = S_{10}/n_1 + S_{01}/n_0` with :math:`S_{10}`, :math:`S_{01}` the sample
    covariance matrices (denominator :math:`n - 1`) of the components over the classifiers.

    Parameters
    ----------
    y : array of {0, 1}, shape (n,)
    scores : array, shape (n,) or (k, n)
        One row of scores per classifier, on the same cases.

    Returns
    -------
    aucs : ndarray, shape (k,)
    cov : ndarray, shape (k, k)
    """
    yy = _binary(y)
    s = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    if s.shape[1] != yy.size:
        raise ValueError(f"scores must have {yy.size} columns (one per case), got {s.shape}")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores contain NaN or infinite values")
    pos = s[:, yy == 1]
    neg = s[:, yy == 0]
    m, n = pos.shape[1], neg.shape[1]
    if m < 2 or n < 2:
        raise ValueError("DeLong's variance needs at least two positive and two negative cases")
    tx = stats.rankdata(pos, axis=1)
    ty = stats.rankdata(neg, axis=1)
    tz = stats.rankdata(np.concatenate([pos, neg], axis=1), axis=1)
    v10 = (tz[:, :m] - tx) / n
    v01 = 1.0 - (tz[:, m:] - ty) / m
    aucs = v10.mean(axis=1)
    s10 = np.atleast_2d(np.cov(v10))
    s01 = np.atleast_2d(np.cov(v01))
    return aucs, s10 / m + s01 / n


def delong_ci(
    y: np.ndarray | Sequence[int], p: np.ndarray | Sequence[float], level: float = 0.95
) -> tuple[float, float, float, float]:
    """AUC with DeLong's standard error and a Wald confidence interval.

    .. math:: \\mathrm{AUC} \\pm z_{1-\\alpha/2}\\,\\widehat{\\mathrm{SE}}_{\\mathrm{DeLong}}

    clipped to [0, 1] (pROC's ``ci.auc(method="delong")`` convention).

    Returns
    -------
    auc, low, high, se : float
    """
    aucs, cov = delong_covariance(y, np.asarray(p, dtype=np.float64)[None, :])
    auc = float(aucs[0])
    se = math.sqrt(max(float(cov[0, 0]), 0.0))
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    return auc, max(0.0, auc - z * se), min(1.0, auc + z * se), se


@dataclass(frozen=True)
class DeLongTest:
    """Result of the paired DeLong test of two correlated AUCs (``auc1 - auc2``)."""

    auc1: float
    auc2: float
    delta: float
    se: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float


def delong_test(
    y: np.ndarray | Sequence[int],
    p1: np.ndarray | Sequence[float],
    p2: np.ndarray | Sequence[float],
    level: float = 0.95,
) -> DeLongTest:
    """Paired two-sided DeLong test of :math:`H_0: \\mathrm{AUC}_1 = \\mathrm{AUC}_2`.

    .. math::

        z = \\frac{\\mathrm{AUC}_1 - \\mathrm{AUC}_2}
                 {\\sqrt{S_{11} + S_{22} - 2 S_{12}}}

    with :math:`S` the DeLong covariance of :func:`delong_covariance`; the p-value is
    :math:`2\\,\\Phi(-|z|)`. Both score vectors must be on the same cases.
    """
    aucs, cov = delong_covariance(y, np.vstack([np.asarray(p1, float), np.asarray(p2, float)]))
    delta = float(aucs[0] - aucs[1])
    var = float(cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1])
    se = math.sqrt(max(var, 0.0))
    zq = float(stats.norm.ppf(0.5 + level / 2.0))
    if se == 0.0:
        z = 0.0 if delta == 0.0 else math.copysign(math.inf, delta)
        p = 1.0 if delta == 0.0 else 0.0
    else:
        z = delta / se
        p = float(2.0 * stats.norm.sf(abs(z)))
    return DeLongTest(
        float(aucs[0]), float(aucs[1]), delta, se, z, p, delta - zq * se, delta + zq * se
    )


# ------------------------------------------------------------------ weighted metrics


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, _EPS, 1.0 - _EPS)
    return np.log(q) - np.log1p(-q)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _loglik(w: np.ndarray, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """Weighted Bernoulli log-likelihood per row, ``sum w [y eta - log(1 + e^eta)]``."""
    return (w * (y[None, :] * eta - np.logaddexp(0.0, eta))).sum(axis=1)


def _newton_step(
    w: np.ndarray, y: np.ndarray, x: np.ndarray, eta: np.ndarray, free_slope: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Newton direction of the recalibration likelihood per row, and where it is defined."""
    mu = _sigmoid(eta)
    r = w * (y[None, :] - mu)
    v = w * mu * (1.0 - mu)
    g0, h00 = r.sum(1), v.sum(1)
    if not free_slope:
        good = h00 > 1e-300
        s0 = np.where(good, g0 / np.where(good, h00, 1.0), 0.0)
        return np.stack([s0, np.zeros_like(s0)], axis=1), good
    g1, h01, h11 = (r * x).sum(1), (v * x).sum(1), (v * x * x).sum(1)
    det = h00 * h11 - h01 * h01
    good = det > 1e-300
    safe = np.where(good, det, 1.0)
    s0 = np.where(good, (h11 * g0 - h01 * g1) / safe, 0.0)
    s1 = np.where(good, (h00 * g1 - h01 * g0) / safe, 0.0)
    return np.stack([s0, s1], axis=1), good


def _calibration(
    w: np.ndarray,
    y: np.ndarray,
    x: np.ndarray,
    start: tuple[float, float, float] = (0.0, 0.0, 1.0),
    max_iter: int = 100,
    tol: float = 1e-9,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted logistic recalibration on ``x = logit(p)``, vectorised over weight rows.

    Newton's method with step halving (the log-likelihood never decreases; near the optimum,
    where every step is small, the full Newton step is taken without a line search), started
    from ``start`` = (intercept, intercept of the slope fit, slope). The default is the
    perfectly calibrated model; bootstrap replicates start from the full-sample estimate.

    Returns (intercept with the slope fixed at 1, slope of the two-parameter fit); NaN where
    the fit does not converge (complete separation in a resample, or a degenerate one).
    """
    nb = w.shape[0]
    results = []
    for free_slope in (False, True):
        beta = np.empty((nb, 2))
        beta[:, 0] = start[1] if free_slope else start[0]
        beta[:, 1] = start[2] if free_slope else 1.0
        beta[~np.isfinite(beta)] = 0.0
        done = np.zeros(nb, dtype=bool)
        eta = beta[:, :1] + beta[:, 1:] * x[None, :]
        for _iteration in range(max_iter):
            active = np.flatnonzero(~done)
            direction = np.zeros((nb, 2))
            good = np.zeros(nb, dtype=bool)
            direction[active], good[active] = _newton_step(w[active], y, x, eta[active], free_slope)
            new_beta = beta + direction
            # near the optimum (small step) Newton's step is safe; elsewhere halve the step
            # until the log-likelihood does not decrease (line search on those rows only)
            rows = np.flatnonzero(np.abs(direction).sum(1) >= 0.1)
            if rows.size:
                wr, br, dr = w[rows], beta[rows], direction[rows]
                ll = _loglik(wr, y, eta[rows])
                accepted = np.zeros(rows.size, dtype=bool)
                step = 1.0
                for _halving in range(40):
                    trial = br + step * dr
                    trial_ll = _loglik(wr, y, trial[:, :1] + trial[:, 1:] * x[None, :])
                    ok = ~accepted & (trial_ll >= ll - 1e-12 * np.abs(ll))
                    new_beta[rows[ok]] = trial[ok]
                    accepted |= ok
                    if accepted.all():
                        break
                    step *= 0.5
                new_beta[rows[~accepted]] = br[~accepted]
                done[rows[~accepted]] = True  # no ascent possible: stop (checked below)
            moved = np.abs(new_beta - beta).sum(1)
            beta = new_beta
            eta = beta[:, :1] + beta[:, 1:] * x[None, :]
            done |= good & (moved < tol * (1.0 + np.abs(beta).sum(1)))
            if done.all():
                break
        # converged: a stationary point of the likelihood with a finite estimate
        ll = _loglik(w, y, eta)
        mu = _sigmoid(eta)
        r = w * (y[None, :] - mu)
        scale = np.maximum(w.sum(1), 1.0)
        grad = np.abs(r.sum(1)) + (np.abs((r * x).sum(1)) if free_slope else 0.0)
        ok = np.isfinite(beta).all(1) & (grad < 1e-6 * scale) & (np.abs(beta).max(1) < 1e4)
        ok &= -ll > 1e-6 * scale  # a likelihood of 1 means separation: no finite estimate
        results.append(np.where(ok, beta[:, 1] if free_slope else beta[:, 0], np.nan))
    return results[0], results[1]


def weighted_metrics(
    w: np.ndarray, y: np.ndarray, p: np.ndarray, pred: np.ndarray
) -> dict[str, np.ndarray]:
    """Every metric of :data:`METRIC_NAMES` for each row of case weights.

    Parameters
    ----------
    w : ndarray, shape (B, n)
        Non-negative case weights; a row of ones gives the ordinary estimate, a row of
        bootstrap multiplicities one bootstrap replicate.
    y : ndarray of {0, 1}, shape (n,)
    p : ndarray of float, shape (n,)
        Predicted probabilities of the positive class.
    pred : ndarray of {0, 1}, shape (n,)
        Predicted class at the decision threshold (per-case thresholds are allowed: the
        cross-validated predictions of each fold use that fold's threshold).

    Returns
    -------
    dict
        Metric name -> ndarray of shape (B,). A metric whose denominator is zero in a row
        (e.g. PPV with no positive call) is NaN there.
    """
    w = np.atleast_2d(np.asarray(w, dtype=np.float64))
    yy = _binary(y).astype(np.float64)
    pp = _scores(p, yy.size)
    pr = _binary(pred).astype(np.float64)
    if w.shape[1] != yy.size:
        raise ValueError(f"weights must have {yy.size} columns, got {w.shape}")
    out: dict[str, np.ndarray] = {}
    wpos = w * yy
    wneg = w - wpos
    n1 = wpos.sum(1)
    n0 = wneg.sum(1)
    tot = n1 + n0
    with np.errstate(divide="ignore", invalid="ignore"):
        # --- threshold-free: sort once, aggregate tied scores
        order = np.argsort(pp, kind="stable")
        ps = pp[order]
        starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])
        pos_u = np.add.reduceat(wpos[:, order], starts, axis=1)  # (B, U) ascending scores
        neg_u = np.add.reduceat(wneg[:, order], starts, axis=1)
        neg_below = np.cumsum(neg_u, axis=1) - neg_u
        out["auc"] = (pos_u * (neg_below + 0.5 * neg_u)).sum(1) / (n1 * n0)
        # average precision over thresholds from the highest score down
        pos_d = pos_u[:, ::-1]
        tot_d = pos_d + neg_u[:, ::-1]
        cum_tp = np.cumsum(pos_d, axis=1)
        cum_all = np.cumsum(tot_d, axis=1)
        precision = np.where(cum_all > 0, cum_tp / np.where(cum_all > 0, cum_all, 1.0), 0.0)
        out["pr_auc"] = (pos_d * precision).sum(1) / n1
        # --- at the threshold
        tp = (wpos * pr).sum(1)
        fn = n1 - tp
        fp = (wneg * pr).sum(1)
        tn = n0 - fp
        sens = tp / n1
        spec = tn / n0
        out["balanced_accuracy"] = 0.5 * (sens + spec)
        out["sensitivity"] = sens
        out["specificity"] = spec
        out["ppv"] = tp / (tp + fp)
        out["npv"] = tn / (tn + fn)
        out["accuracy"] = (tp + tn) / tot
        out["f1"] = 2 * tp / (2 * tp + fp + fn)
        den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
        out["mcc"] = np.where(den > 0, (tp * tn - fp * fn) / np.where(den > 0, den, 1.0), 0.0)
        # --- probabilities
        out["brier"] = (w * (pp - yy) ** 2).sum(1) / tot
    x = _logit(pp)
    if w.shape[0] > 1:  # start the replicates from the unweighted estimate: fewer iterations
        a1, b1 = _calibration(np.ones((1, yy.size)), yy, x)
        start = (float(a1[0]), 0.0, float(b1[0]))
        if np.isfinite(start).all():
            a_fit = _fit_intercept_with_slope(yy, x, start[2])
            start = (start[0], a_fit, start[2])
        out["calibration_intercept"], out["calibration_slope"] = _calibration(w, yy, x, start)
    else:
        out["calibration_intercept"], out["calibration_slope"] = _calibration(w, yy, x)
    return {k: out[k] for k in METRIC_NAMES}


def _fit_intercept_with_slope(y: np.ndarray, x: np.ndarray, slope: float) -> float:
    """Intercept of the two-parameter recalibration fit, given its slope (one Newton solve)."""
    a = np.zeros(1)
    for _ in range(100):
        mu = _sigmoid(a + slope * x)
        h = float((mu * (1 - mu)).sum())
        if h <= 0:
            break
        step = float((y - mu).sum()) / h
        a = a + np.clip(step, -5.0, 5.0)
        if abs(step) < 1e-12:
            break
    return float(a[0])


def bootstrap_weights(
    y: np.ndarray,
    groups: np.ndarray | None = None,
    n_boot: int = 2000,
    random_state: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Case multiplicities of a stratified (cluster) bootstrap, one row per resample.

    Cases are resampled with replacement within each class, keeping the class sizes; with
    ``groups``, whole groups are resampled (a cluster bootstrap) within strata defined by the
    group's majority label, so near-duplicates or a patient's images move together.

    Parameters
    ----------
    y : array of {0, 1}, shape (n,)
    groups : array, shape (n,), optional
    n_boot : int
        Number of resamples.
    random_state : int, Generator or None

    Returns
    -------
    ndarray of float, shape (n_boot, n)
        How often each case was drawn in each resample.
    """
    return stratified_weights(_binary(y), groups, n_boot, random_state, ties="last")


def stratified_weights(
    strata: np.ndarray,
    groups: np.ndarray | None = None,
    n_boot: int = 2000,
    random_state: int | np.random.Generator | None = None,
    *,
    ties: str = "first",
) -> np.ndarray:
    """Case multiplicities of a bootstrap stratified by ``strata`` (cluster bootstrap with
    ``groups``: whole groups are drawn, within strata of the group's most frequent stratum;
    ``ties``: ``first`` gives a tied group the smallest such stratum, ``last`` the largest,
    as :func:`bootstrap_weights` gives it the positive class).

    For two or several classes the strata are the classes; for a numeric outcome its
    quantile bins; for a time to an event the event indicator. Returns an array of shape
    (n_boot, n).
    """
    s = np.asarray(strata)
    rng = np.random.default_rng(random_state)
    if groups is None:
        gid = np.arange(s.size)
    else:
        _, gid = np.unique(np.asarray(groups), return_inverse=True)
    n_groups = int(gid.max()) + 1
    _, scode = np.unique(s, return_inverse=True)
    counts_gs = np.zeros((n_groups, int(scode.max()) + 1))
    np.add.at(counts_gs, (gid, scode), 1)
    if ties == "last":
        group_stratum = counts_gs.shape[1] - 1 - np.argmax(counts_gs[:, ::-1], axis=1)
    elif ties == "first":
        group_stratum = np.argmax(counts_gs, axis=1)
    else:
        raise ValueError(f"ties must be 'first' or 'last', got {ties!r}")
    counts = np.zeros((n_boot, n_groups))
    for st in np.unique(group_stratum):
        members = np.flatnonzero(group_stratum == st)
        draws = rng.multinomial(members.size, np.full(members.size, 1.0 / members.size), n_boot)
        counts[:, members] = draws
    return counts[:, gid]


def percentile_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of bootstrap replicates (NaN replicates ignored)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan
    lo, hi = np.percentile(v, [50.0 * (1.0 - level), 50.0 * (1.0 + level)])
    return float(lo), float(hi)


def median_of(values: np.ndarray) -> float:
    """The median of the finite values (NaN when there is none)."""
    v = np.asarray(values, dtype=np.float64)
    return float(np.nanmedian(v)) if np.isfinite(v).any() else math.nan


def median_ci(stack: np.ndarray, level: float) -> list[float]:
    """Percentile interval of the per-resample medians over repeats; ``stack`` (R, B)."""
    with warnings.catch_warnings():  # all-NaN columns (degenerate resamples)
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(stack, axis=0)
    return list(percentile_ci(med, level))


def summarise_repeats(
    metrics: Callable[[np.ndarray, int], Mapping[str, np.ndarray]],
    repeats: int,
    n: int,
    names: Sequence[str] | None,
    headline: str,
    weights: np.ndarray | None,
    level: float,
) -> tuple[dict[str, Any], list[Mapping[str, np.ndarray]], list[Mapping[str, np.ndarray]] | None]:
    """The summary every task reports: each metric's median over repeats (``name``), the
    headline of every repeat (``<headline>_repeats``) and each metric's interval
    (``name_ci``): the percentile interval, over the bootstrap resamples, of the median over
    repeats, so that it covers the sampling of cases, not only the choice of splits.

    ``metrics(w, r)``: the metrics of repeat ``r`` under the case weights ``w`` (B, n), each
    an array (B,); ``names``: those summarised (None: every key, in order); ``weights``:
    the bootstrap's case multiplicities (None: no bootstrap, NaN intervals). Returns the
    summary and the metrics of every repeat, unweighted and under ``weights`` (or None).
    """
    per = [metrics(np.ones((1, n)), r) for r in range(repeats)]
    keys = list(per[0]) if names is None else list(names)
    out: dict[str, Any] = {k: median_of(np.array([m[k][0] for m in per])) for k in keys}
    out[f"{headline}_repeats"] = np.array([m[headline][0] for m in per]).tolist()
    boot = None if weights is None else [metrics(weights, r) for r in range(repeats)]
    for k in keys:
        out[f"{k}_ci"] = (
            median_ci(np.vstack([b[k] for b in boot]), level)
            if boot is not None
            else [math.nan, math.nan]
        )
    return out, per, boot


# ------------------------------------------------------------------------ thresholds


def parse_threshold_rule(rule: str) -> tuple[str, float]:
    """Parse a threshold rule: ``youden``, ``sens@0.95``, ``spec@0.9`` or ``fixed:0.5``.

    Returns
    -------
    (kind, value)
        ``("youden", nan)``, ``("sens", 0.95)``, ``("spec", 0.9)`` or ``("fixed", 0.5)``.
    """
    text = str(rule).strip().lower()
    if text == "youden":
        return "youden", math.nan
    for kind, sep in (("sens", "sens@"), ("spec", "spec@"), ("fixed", "fixed:")):
        if text.startswith(sep):
            try:
                value = float(text[len(sep) :])
            except ValueError:
                break
            if 0.0 <= value <= 1.0:
                return kind, value
            break
    raise ValueError(
        f"threshold rule {rule!r} is not one of 'youden', 'sens@X', 'spec@X', 'fixed:X' "
        "with X between 0 and 1 (e.g. 'sens@0.95')"
    )


def choose_threshold(y: np.ndarray, p: np.ndarray, rule: str = "youden") -> float:
    """Decision threshold chosen on (training) scores by a rule; positive when ``p >= t``.

    Rules:

    - ``youden``: maximise :math:`J = \\mathrm{sens} + \\mathrm{spec} - 1` (Youden 1950)
      over the observed scores; among equal :math:`J` the higher threshold is taken;
    - ``sens@X``: the highest threshold whose sensitivity is at least X (the best
      specificity at that sensitivity);
    - ``spec@X``: the lowest threshold whose specificity is at least X;
    - ``fixed:X``: X itself.

    Use it on out-of-fold scores of the training data only; choosing a threshold on the
    scores it is then evaluated on is optimistic.
    """
    kind, value = parse_threshold_rule(rule)
    if kind == "fixed":
        return value
    yy = _binary(y)
    pp = _scores(p, yy.size)
    n1 = int(yy.sum())
    n0 = yy.size - n1
    if n1 == 0 or n0 == 0:
        return 0.5
    cand = np.unique(pp)[::-1]  # descending candidate thresholds
    order = np.argsort(-pp, kind="stable")
    ps, ys = pp[order], yy[order]
    ends = np.r_[ps[1:] != ps[:-1], True]
    tp = np.cumsum(ys)[ends]
    fp = np.cumsum(1 - ys)[ends]
    sens = tp / n1
    spec = 1.0 - fp / n0
    if kind == "youden":
        return float(cand[int(np.argmax(sens + spec - 1.0))])
    if kind == "sens":
        idx = np.flatnonzero(sens >= value - 1e-12)
        return float(cand[idx[0]]) if idx.size else float(cand[-1])
    idx = np.flatnonzero(spec >= value - 1e-12)
    return float(cand[idx[-1]]) if idx.size else float(cand[0])


def net_benefit(
    y: np.ndarray, p: np.ndarray, thresholds: np.ndarray | Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """Net benefit of the model and of treating everyone (Vickers & Elkin 2006).

    .. math::

        \\mathrm{NB}(p_t) = \\frac{TP}{n} - \\frac{FP}{n}\\,\\frac{p_t}{1 - p_t}, \\qquad
        \\mathrm{NB}_{\\text{all}}(p_t) = \\pi - (1 - \\pi)\\,\\frac{p_t}{1 - p_t}

    with :math:`\\pi` the prevalence; treating no one has net benefit 0.

    Returns
    -------
    model, treat_all : ndarray, same shape as ``thresholds``
    """
    yy = _binary(y)
    pp = _scores(p, yy.size)
    t = np.asarray(thresholds, dtype=np.float64)
    if np.any((t <= 0) | (t >= 1)):
        raise ValueError("decision-curve thresholds must lie strictly between 0 and 1")
    n = yy.size
    calls = pp[None, :] >= t[:, None]
    tp = (calls & (yy[None, :] == 1)).sum(1) / n
    fp = (calls & (yy[None, :] == 0)).sum(1) / n
    odds = t / (1.0 - t)
    prev = yy.mean()
    return tp - fp * odds, prev - (1.0 - prev) * odds


def calibration_intercept_slope(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """Calibration intercept (slope fixed at 1) and calibration slope of probabilities.

    See the module notes; ideal values are 0 and 1. NaN when the fit does not converge.
    """
    yy = _binary(y).astype(np.float64)
    pp = _scores(p, yy.size)
    a, b = _calibration(np.ones((1, yy.size)), yy, _logit(pp))
    return float(a[0]), float(b[0])


def logistic_recalibration(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    r"""Intercept and slope of the two-parameter recalibration fit
    :math:`\mathrm{logit}\,P(y=1) = a' + b\,\mathrm{logit}(p)` (for calibration curves).

    NaN when the fit does not converge.
    """
    yy = _binary(y).astype(np.float64)
    pp = _scores(p, yy.size)
    x = _logit(pp)
    _, b = _calibration(np.ones((1, yy.size)), yy, x)
    if not np.isfinite(b[0]):
        return math.nan, math.nan
    return _fit_intercept_with_slope(yy, x, float(b[0])), float(b[0])


def corrected_resampled_ttest(
    differences: np.ndarray | Sequence[float], n_train: int, n_test: int
) -> tuple[float, float]:
    """Nadeau-Bengio corrected resampled t-test on per-split score differences.

    .. math::

        t = \\frac{\\bar d}{\\sqrt{\\left(\\frac1J + \\frac{n_{test}}{n_{train}}\\right) s_d^2}}

    over :math:`J` splits (all outer folds of all repeats), with :math:`J - 1` degrees of
    freedom; the naive variance :math:`s_d^2/J` ignores the overlap of training sets and is
    too small.

    Returns
    -------
    t, p_value : float
        Two-sided; ``(nan, nan)`` with fewer than two splits, ``(0, 1)`` or ``(inf, 0)`` when
        every difference is equal.
    """
    d = np.asarray(differences, dtype=np.float64)
    d = d[np.isfinite(d)]
    j = d.size
    if j < 2:
        return math.nan, math.nan
    mean = float(d.mean())
    var = float(d.var(ddof=1))
    if var == 0.0:
        return (0.0, 1.0) if mean == 0.0 else (math.copysign(math.inf, mean), 0.0)
    t = mean / math.sqrt((1.0 / j + n_test / n_train) * var)
    return t, float(2.0 * stats.t.sf(abs(t), df=j - 1))
