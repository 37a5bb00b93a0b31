"""Time to an event (``radiomix train --task survival``): models, the univariate Cox filter
and the metrics, vectorised over bootstrap weights.

The estimators are scikit-survival's (imported on first use, so that importing radiomix
stays cheap); the outcome is its structured array of ``(event, time)``
(:func:`structured`).

Models (:data:`SURVIVAL_MODELS`)
--------------------------------
===========================  =====================================================================
name                         pipeline (grid)
===========================  =====================================================================
coxnet                       impute, near-zero variance, scale, univariate Cox filter (top k of
                             the features after a Spearman 0.9 redundancy cover; k in 10/100),
                             elastic-net Cox (:class:`CoxElasticNet`: alpha as a fraction of
                             the data's smallest all-zero alpha in 0.3/0.1/0.03, l1_ratio in
                             0.5/0.9); **the default**
shape_only_cox               impute, NZV, scale, ridge Cox (alpha in 1/10/100) on shape
                             features only: the baseline a radiomics signature has to beat
random_survival_forest       impute, NZV, scale, univariate Cox filter (k = 100), random survival
                             forest of 100 trees (max_features sqrt, min_samples_leaf 3/10; the
                             filter bounds its cost on wide tables: 100 trees on 640 x 1,000
                             take about a minute)
gradient_boosting_survival   impute, NZV, scale, univariate Cox filter (k = 30), gradient-boosted
                             Cox model of 100 trees of depth 2 (learning_rate 0.05/0.1)
===========================  =====================================================================

The feature selection is the **univariate Cox score test** (:func:`cox_score_z`): for each
feature the standardised score statistic of a one-covariate Cox model at beta = 0 (the
log-rank test of a continuous covariate; Breslow ties), computed for every column at once
in O(n p) after one sort by time. :class:`CoxScoreFilter` ranks features by ``|z|``, drops
any feature correlated (Spearman) above ``threshold`` with a better-ranked kept one, and
keeps the top ``k``; it is a pipeline step, so it is refitted in every training fold.

Metrics (each takes case weights ``w`` of shape (B, n): a row of ones is the estimate, a row
of bootstrap multiplicities one replicate):

- :func:`harrell_c`: Harrell's concordance (a pair is comparable when the shorter time is
  an event; a censored case tied with an event at the same time counts as later; tied risks
  count one half), as :func:`sksurv.metrics.concordance_index_censored`;
- :func:`uno_c`: Uno's C, the pairs of an event at :math:`t_i < \\tau` weighted by
  :math:`\\hat G(t_i)^{-2}` (inverse probability of censoring weights, the Kaplan-Meier of
  censoring on the evaluated cases), as :func:`sksurv.metrics.concordance_index_ipcw`;
- :func:`td_auc`: cumulative/dynamic time-dependent AUC at a horizon (cases: events by
  :math:`t`, weighted :math:`1/\\hat G(t_i)`; controls: still event-free after :math:`t`), as
  :func:`sksurv.metrics.cumulative_dynamic_auc`;
- :func:`brier_scores`: the IPCW Brier score of predicted survival probabilities at each
  time of a grid, and the integrated Brier score (trapezoidal, divided by the grid's span),
  as :func:`sksurv.metrics.brier_score` / ``integrated_brier_score``.
- :func:`km_weighted`: the Kaplan-Meier estimate of being event-free at a horizon, as
  :func:`sksurv.nonparametric.kaplan_meier_estimator` (a weight of 2 counts a case twice);
- :func:`calibration_at`: calibration at a horizon: the observed (Kaplan-Meier) and mean
  predicted event-free probability, their difference (calibration in the large), the ratio
  of observed to expected events :math:`(1 - \\hat S_{KM}(t)) / \\overline{1 - \\hat S(t)}`,
  and the calibration slope (:func:`cox_calibration_slope`);
- :func:`calibration_error`: the mean absolute difference of predicted and observed
  event-free probability over quantile groups of the prediction, weighted by group size.

The censoring distribution is estimated once on all evaluated cases (not per bootstrap
replicate): the intervals treat the weights as fixed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from radiomix.errors import ConfigError
from radiomix.learn.selectors import NearZeroVariance

__all__ = [
    "DEFAULT_SURVIVAL_MODEL",
    "SURVIVAL_MODELS",
    "CoxElasticNet",
    "CoxScoreFilter",
    "SurvivalForest",
    "brier_scores",
    "calibration_at",
    "calibration_error",
    "censoring_survival",
    "cox_calibration_slope",
    "cox_score_z",
    "harrell_c",
    "kaplan_meier",
    "km_weighted",
    "logrank",
    "make_survival_table",
    "require_sksurv",
    "risk_scores",
    "structured",
    "survival_at",
    "td_auc",
    "uno_c",
]

DEFAULT_SURVIVAL_MODEL = "coxnet"

SKSURV_HINT = (
    "the survival task needs scikit-survival: pip install 'scikit-survival>=0.28' "
    "(a dependency of radiomix; reinstall radiomix to get it)"
)


def require_sksurv() -> None:
    """Import scikit-survival, or a ConfigError saying how to install it."""
    try:
        import sksurv  # noqa: F401
    except ImportError as exc:  # pragma: no cover - a dependency
        raise ConfigError(SKSURV_HINT) from exc


def structured(event: Any, time: Any) -> np.ndarray:
    """scikit-survival's outcome: a structured array of ``(event: bool, time: float)``."""
    ev = np.asarray(event, dtype=bool)
    t = np.asarray(time, dtype=np.float64)
    y = np.empty(t.size, dtype=[("event", "?"), ("time", "<f8")])
    y["event"] = ev
    y["time"] = t
    return y


def _fields(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    names = y.dtype.names
    if names is None or len(names) != 2:
        raise ValueError("y must be a structured array of (event, time)")
    return np.asarray(y[names[0]], dtype=bool), np.asarray(y[names[1]], dtype=np.float64)


# ----------------------------------------------------------------------------- selection


def cox_score_z(X: np.ndarray, event: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Standardised score statistic of a univariate Cox model at beta = 0, for every column.

    :math:`U_j = \\sum_{i: d_i = 1} (x_{ij} - \\bar x_j(t_i))` and
    :math:`I_j = \\sum_{i: d_i = 1} \\mathrm{var}_j(t_i)`, with the mean and variance over the
    risk set :math:`\\{k: t_k \\ge t_i\\}` (Breslow ties); returns :math:`U / \\sqrt{I}` (0 for
    a column constant on every risk set). Positive: larger values, earlier events.
    """
    X = np.asarray(X, dtype=np.float64)
    ev = np.asarray(event, dtype=bool)
    t = np.asarray(time, dtype=np.float64)
    if not ev.any():
        return np.zeros(X.shape[1])
    order = np.argsort(-t, kind="stable")
    ts = t[order]
    Xs = X[order] - X.mean(axis=0)  # centred: no cancellation in the variances
    s0 = np.arange(1, t.size + 1, dtype=np.float64)
    s1 = np.cumsum(Xs, axis=0)
    s2 = np.cumsum(Xs * Xs, axis=0)
    # the risk set of a time is every case at that time or later: the end of its tie block
    last = np.searchsorted(-ts, -ts, side="right") - 1
    evs = ev[order]
    rows = last[evs]
    n_risk = s0[rows][:, None]
    mean = s1[rows] / n_risk
    var = np.maximum(s2[rows] / n_risk - mean * mean, 0.0)
    U = (Xs[evs] - mean).sum(axis=0)
    info = var.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(info > 1e-12, U / np.sqrt(info), 0.0)
    return z


class CoxScoreFilter(SelectorMixin, BaseEstimator):
    """Keep the ``k`` features with the largest univariate Cox score ``|z|``, one of every
    correlated set (see the module notes).

    Parameters
    ----------
    k : int or "all", default=20
        Features to keep (all of them when ``k`` is at least their number).
    threshold : float, default=0.9
        Absolute Spearman correlation above which a feature is redundant with a better
        ranked kept one (1.0: no redundancy check). Only the ``4 k`` best-ranked features
        (all with ``k="all"``) are compared, so wide tables stay cheap.

    Attributes
    ----------
    z_ : ndarray, shape (n_features,)
        Score statistics on the training data.
    support_ : ndarray of bool
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "k": [Interval(Integral, 1, None, closed="left"), StrOptions({"all"})],
        "threshold": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, k: int | str = 20, threshold: float = 0.9) -> None:
        self.k = k
        self.threshold = threshold

    def fit(self, X: Any, y: Any) -> CoxScoreFilter:
        self._validate_params()
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan")
        event, time = _fields(np.asarray(y))
        Xf = np.where(np.isfinite(X), X, np.nanmedian(X, axis=0))
        self.z_ = cox_score_z(Xf, event, time)
        p = X.shape[1]
        k = p if self.k == "all" else min(int(self.k), p)
        order = np.argsort(-np.abs(self.z_), kind="stable")
        pool = order if self.k == "all" else order[: min(p, 4 * k)]
        keep: list[int] = []
        if self.threshold < 1.0 and pool.size > 1:
            R = stats.rankdata(Xf[:, pool], axis=0)
            R = R - R.mean(axis=0)
            sd = np.sqrt((R * R).mean(axis=0))
            Z = np.divide(R, sd, out=np.zeros_like(R), where=sd > 0)
            C = np.abs(Z.T @ Z) / Xf.shape[0]
            removed = np.zeros(pool.size, dtype=bool)
            for a in range(pool.size):
                if removed[a]:
                    continue
                keep.append(int(pool[a]))
                if len(keep) == k:
                    break
                removed |= C[a] > self.threshold
        else:
            keep = [int(j) for j in pool[:k]]
        support = np.zeros(p, dtype=bool)
        support[keep] = True
        self.support_ = support
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self)
        return self.support_

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.allow_nan = True
        return tags


# ----------------------------------------------------------------------------- models


class CoxElasticNet(BaseEstimator):
    """Elastic-net Cox model (scikit-survival's ``CoxnetSurvivalAnalysis``) at one penalty.

    The penalty is ``alpha_ratio`` times the data's smallest penalty that sets every
    coefficient to zero, reached along a warm-started path of ``n_alphas`` values (the way
    glmnet fits), so the grid means the same on every table and training fold.

    Parameters
    ----------
    alpha_ratio : float, default=0.1
    l1_ratio : float, default=0.5
        1 is the lasso; small values approach ridge.
    n_alphas : int, default=20

    Attributes
    ----------
    coef_ : ndarray, shape (n_features,)
        Coefficients at the chosen penalty.
    alpha_ : float
    model_ : CoxnetSurvivalAnalysis
    """

    def __init__(self, alpha_ratio: float = 0.1, l1_ratio: float = 0.5, n_alphas: int = 20) -> None:
        self.alpha_ratio = alpha_ratio
        self.l1_ratio = l1_ratio
        self.n_alphas = n_alphas

    def fit(self, X: Any, y: Any) -> CoxElasticNet:
        require_sksurv()
        from sksurv.linear_model import CoxnetSurvivalAnalysis

        X = validate_data(self, X, dtype=np.float64)
        ratio = float(self.alpha_ratio)
        while True:
            model = CoxnetSurvivalAnalysis(
                l1_ratio=float(self.l1_ratio),
                alpha_min_ratio=ratio,
                n_alphas=int(self.n_alphas),
                fit_baseline_model=True,
            )
            try:
                model.fit(X, y)
                break
            except ArithmeticError:  # the weights diverge at small penalties: stop earlier
                if ratio >= 0.5:
                    raise
                ratio = min(0.5, ratio * 3.0)
        self.model_ = model
        self.alpha_ = float(model.alphas_[-1])
        self.coef_ = np.asarray(model.coef_[:, -1], dtype=np.float64)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Risk score (the linear predictor; larger: earlier event)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return np.asarray(X @ self.coef_, dtype=np.float64)

    def predict_survival_function(self, X: Any, return_array: bool = False) -> Any:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.model_.predict_survival_function(X, return_array=return_array)

    def score(self, X: Any, y: Any) -> float:
        event, time = _fields(np.asarray(y))
        return float(harrell_c(np.ones((1, event.size)), event, time, self.predict(X))[0])


try:  # a dependency; without it the survival task says how to install it
    from sksurv.ensemble import RandomSurvivalForest as _ForestBase
except ImportError:  # pragma: no cover
    _ForestBase = BaseEstimator


class SurvivalForest(_ForestBase):  # type: ignore[misc,valid-type]
    """scikit-survival's random survival forest, without the ``feature_importances_``
    that raises NotImplementedError (so the fold statistics see "no importance")."""

    @property
    def feature_importances_(self) -> np.ndarray:
        raise AttributeError("a random survival forest has no impurity importances")


def _prep() -> list[tuple[str, Any]]:
    return [
        ("impute", SimpleImputer(strategy="median")),
        ("nzv", NearZeroVariance()),
        ("scale", StandardScaler()),
    ]


def _coxnet() -> Pipeline:
    return Pipeline(
        [*_prep(), ("select", CoxScoreFilter(k=10)), ("clf", CoxElasticNet(alpha_ratio=0.1))]
    )


def _shape_only_cox() -> Pipeline:
    require_sksurv()
    from sksurv.linear_model import CoxPHSurvivalAnalysis

    return Pipeline([*_prep(), ("clf", CoxPHSurvivalAnalysis(alpha=10.0, ties="breslow"))])


def _random_survival_forest() -> Pipeline:
    require_sksurv()
    forest = SurvivalForest(n_estimators=100, max_features="sqrt", min_samples_leaf=3)
    return Pipeline([*_prep(), ("select", CoxScoreFilter(k=100)), ("clf", forest)])


def _gradient_boosting_survival() -> Pipeline:
    require_sksurv()
    from sksurv.ensemble import GradientBoostingSurvivalAnalysis

    gb = GradientBoostingSurvivalAnalysis(
        loss="coxph", n_estimators=100, learning_rate=0.1, max_depth=2, subsample=0.8
    )
    return Pipeline([*_prep(), ("select", CoxScoreFilter(k=30)), ("clf", gb)])


def _specs() -> dict[str, Any]:
    from radiomix.learn.models import SHAPE_PATTERNS, ModelSpec

    return {
        spec.name: spec
        for spec in (
            ModelSpec(
                "coxnet",
                "elastic-net Cox model on the top-k features of a univariate Cox filter "
                "(Spearman 0.9 redundancy cover), alpha and l1_ratio tuned inside (the default)",
                _coxnet,
                {
                    "select__k": [10, 100],
                    "clf__alpha_ratio": [0.3, 0.1, 0.03],
                    "clf__l1_ratio": [0.5, 0.9],
                },
            ),
            ModelSpec(
                "shape_only_cox",
                "ridge Cox model on shape (morphology) features only: the baseline",
                _shape_only_cox,
                {"clf__alpha": [1.0, 10.0, 100.0]},
                include=SHAPE_PATTERNS,
            ),
            ModelSpec(
                "random_survival_forest",
                "random survival forest (100 trees) on the top 100 features of the univariate "
                "Cox filter",
                _random_survival_forest,
                {"clf__min_samples_leaf": [3, 10]},
            ),
            ModelSpec(
                "gradient_boosting_survival",
                "gradient-boosted Cox model (100 trees of depth 2) on the top 30 features of "
                "the univariate Cox filter",
                _gradient_boosting_survival,
                {"clf__learning_rate": [0.05, 0.1]},
            ),
        )
    }


SURVIVAL_MODELS: dict[str, Any] = _specs()
"""Models of a time to an event (``--task survival``), by name."""


# ----------------------------------------------------------------------------- outputs


def _split_pipeline(est: Any, X: Any) -> tuple[Any, Any]:
    if isinstance(est, Pipeline):
        Xt = X
        for _, step in est.steps[:-1]:
            if step is not None and step != "passthrough":
                Xt = step.transform(Xt)
        return est.steps[-1][1], Xt
    return est, X


def risk_scores(est: Any, X: Any) -> np.ndarray:
    """The fitted model's risk score of every row (larger: earlier event)."""
    return np.asarray(est.predict(X), dtype=np.float64).ravel()


def survival_at(est: Any, X: Any, times: Sequence[float]) -> np.ndarray:
    """Predicted probability of being event-free at each time, (n, T); NaN when the model
    gives no survival function. Times past the training follow-up get the last value."""
    last, Xt = _split_pipeline(est, X)
    n = Xt.shape[0]
    tt = np.asarray(times, dtype=np.float64)
    if not hasattr(last, "predict_survival_function") or tt.size == 0:
        return np.full((n, tt.size), np.nan)
    fns = last.predict_survival_function(Xt)
    out = np.empty((n, tt.size))
    for i, f in enumerate(fns):
        out[i] = f(np.clip(tt, f.domain[0], f.x[-1]))
    return out


# ----------------------------------------------------------------------------- metrics


def _comparable(event: np.ndarray, time: np.ndarray, rows: slice = slice(None)) -> np.ndarray:
    """A[i, j] = 1 when case i's event is known to come before case j's time (rows ``rows``
    of the n x n matrix)."""
    ev = event.astype(bool)
    later = time[None, :] > time[rows, None]
    tied_censored = (time[None, :] == time[rows, None]) & ~ev[None, :]
    return (ev[rows, None] & (later | tied_censored)).astype(np.float64)


def _concordant(risk: np.ndarray, tol: float = 1e-8, rows: slice = slice(None)) -> np.ndarray:
    d = risk[rows, None] - risk[None, :]
    return np.where(np.abs(d) <= tol, 0.5, (d > 0).astype(np.float64))


def has_comparable_pair(event: np.ndarray, time: np.ndarray) -> bool:
    """Whether any pair is comparable (:func:`_comparable`), without the n x n matrix: an
    event before the latest time, or an event tied with a censored case at it."""
    ev = np.asarray(event, dtype=bool)
    t = np.asarray(time, dtype=np.float64)
    if not ev.any():
        return False
    latest = t.max()
    return bool((ev & (t < latest)).any() or (~ev & (t == latest)).any())


#: pairs (rows x cases) of the comparable / concordant matrices held at once by
#: :func:`_pair_ratio`: a block of rows at a time, so memory stays bounded (about 8 bytes x
#: this x a few temporaries) whatever the number of cases
_PAIR_BLOCK = 1 << 22


def _pair_ratio(
    w: np.ndarray, rowweight: np.ndarray, event: np.ndarray, time: np.ndarray, risk: np.ndarray
) -> np.ndarray:
    """sum_ij w_i w_j r_i A_ij K_ij / sum_ij w_i w_j r_i A_ij for each row of weights ``w``
    (B, n), with A :func:`_comparable`, K :func:`_concordant` and r ``rowweight``; the
    n x n matrices are formed a block of rows at a time."""
    n = time.size
    num = np.zeros(w.shape[0])
    den = np.zeros(w.shape[0])
    step = max(1, _PAIR_BLOCK // max(n, 1))
    for a in range(0, n, step):
        rows = slice(a, min(a + step, n))
        A = _comparable(event, time, rows)
        K = _concordant(risk, rows=rows)
        left = w[:, rows] * rowweight[rows]  # (B, rows)
        num += ((w @ (A * K).T) * left).sum(axis=1)
        den += ((w @ A.T) * left).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, np.nan)


def harrell_c(w: np.ndarray, event: np.ndarray, time: np.ndarray, risk: np.ndarray) -> np.ndarray:
    """Harrell's C of risk scores under each row of case weights, shape (B,)."""
    w = np.atleast_2d(np.asarray(w, dtype=np.float64))
    ev = np.asarray(event, dtype=bool)
    t = np.asarray(time, dtype=np.float64)
    return _pair_ratio(w, np.ones(t.size), ev, t, np.asarray(risk, dtype=np.float64))


def censoring_survival(event: np.ndarray, time: np.ndarray) -> Any:  # a callable time -> G(time)
    """The Kaplan-Meier estimate of the censoring distribution, as a function of time
    (scikit-survival's ``CensoringDistributionEstimator``; times past the last observed one
    get its value)."""
    require_sksurv()
    from sksurv.nonparametric import CensoringDistributionEstimator

    cens = CensoringDistributionEstimator().fit(structured(event, time))
    t_max = float(cens.unique_time_[-1])

    def G(times: Any) -> np.ndarray:
        tt = np.minimum(np.atleast_1d(np.asarray(times, dtype=np.float64)), t_max)
        return np.asarray(cens.predict_proba(tt), dtype=np.float64)

    return G


def _inverse(g: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.where(g > 0, 1.0 / np.where(g > 0, g, 1.0), 0.0)


def uno_c(
    w: np.ndarray,
    event: np.ndarray,
    time: np.ndarray,
    risk: np.ndarray,
    tau: float,
    G: Any = None,
) -> np.ndarray:
    """Uno's C truncated at ``tau`` under each row of case weights, shape (B,)."""
    w = np.atleast_2d(np.asarray(w, dtype=np.float64))
    ev = np.asarray(event, dtype=bool)
    t = np.asarray(time, dtype=np.float64)
    G = G or censoring_survival(ev, t)
    ipcw = np.where(ev & (t < tau), _inverse(G(t)), 0.0)
    return _pair_ratio(w, ipcw**2, ev, t, np.asarray(risk, dtype=np.float64))


def td_auc(
    w: np.ndarray,
    event: np.ndarray,
    time: np.ndarray,
    risk: np.ndarray,
    horizon: float,
    G: Any = None,
) -> np.ndarray:
    """Cumulative/dynamic AUC at ``horizon`` under each row of case weights, shape (B,)."""
    from radiomix.learn.task_metrics import weighted_auc

    w = np.atleast_2d(np.asarray(w, dtype=np.float64))
    ev = np.asarray(event, dtype=bool)
    t = np.asarray(time, dtype=np.float64)
    G = G or censoring_survival(ev, t)
    case = ev & (t <= horizon)
    control = t > horizon
    factor = np.where(case, _inverse(G(t)), 0.0) + control.astype(np.float64)
    return weighted_auc(w * factor, case.astype(np.int8), np.asarray(risk, dtype=np.float64))


def brier_scores(
    w: np.ndarray,
    event: np.ndarray,
    time: np.ndarray,
    surv: np.ndarray,
    times: Sequence[float],
    G: Any = None,
) -> np.ndarray:
    """IPCW Brier score at each time under each row of case weights, shape (B, T).

    ``surv`` (n, T): predicted probability of being event-free at each of ``times``.
    """
    w = np.atleast_2d(np.asarray(w, dtype=np.float64))
    ev = np.asarray(event, dtype=bool)
    t = np.asarray(time, dtype=np.float64)
    tt = np.asarray(times, dtype=np.float64)
    S = np.asarray(surv, dtype=np.float64)
    G = G or censoring_survival(ev, t)
    inv_i = _inverse(G(t))
    inv_t = _inverse(G(tt))
    case = (ev[:, None] & (t[:, None] <= tt[None, :])).astype(np.float64)
    control = (t[:, None] > tt[None, :]).astype(np.float64)
    contrib = S**2 * case * inv_i[:, None] + (1.0 - S) ** 2 * control * inv_t[None, :]
    return (w @ contrib) / w.sum(axis=1, keepdims=True)


def integrated(values: np.ndarray, times: Sequence[float]) -> np.ndarray:
    """Trapezoidal integral of (B, T) values over ``times``, divided by the span."""
    tt = np.asarray(times, dtype=np.float64)
    if tt.size < 2:
        return values[:, 0] if tt.size else np.full(values.shape[0], np.nan)
    return np.trapezoid(values, tt, axis=1) / (tt[-1] - tt[0])


def kaplan_meier(event: np.ndarray, time: np.ndarray, conf: bool = False) -> tuple[np.ndarray, ...]:
    """Kaplan-Meier curve: (times, survival[, lower, upper]) (log-log 95% interval)."""
    require_sksurv()
    from sksurv.nonparametric import kaplan_meier_estimator

    ev = np.asarray(event, dtype=bool)
    t = np.asarray(time, dtype=np.float64)
    if conf:
        x, s, ci = kaplan_meier_estimator(ev, t, conf_type="log-log")
        return x, s, ci[0], ci[1]
    x, s = kaplan_meier_estimator(ev, t)
    return x, s


def _row_blocks(w: np.ndarray) -> list[slice]:
    """Rows of weights (B, n) taken at a time so that a (rows, n) array holds about
    :data:`_PAIR_BLOCK` values (the bootstrap of a large table stays in bounded memory)."""
    B, n = w.shape
    step = max(1, _PAIR_BLOCK // max(n, 1))
    return [slice(a, min(a + step, B)) for a in range(0, B, step)]


def km_weighted(w: np.ndarray, event: np.ndarray, time: np.ndarray, horizon: float) -> np.ndarray:
    r"""Kaplan-Meier estimate of being event-free at ``horizon`` under each row of case
    weights ``w`` (B, n), shape (B,): :math:`\prod_{u \le t} (1 - d_u / n_u)` over the
    event times, with the events :math:`d_u` at ``u`` and the cases :math:`n_u` still
    followed at ``u`` summed with their weights (1 where no case of a row is at risk)."""
    w = np.atleast_2d(np.asarray(w, dtype=np.float64))
    rows = _row_blocks(w)
    if len(rows) > 1:
        return np.concatenate([km_weighted(w[r], event, time, horizon) for r in rows])
    ev = np.asarray(event, dtype=bool)
    t = np.asarray(time, dtype=np.float64)
    order = np.argsort(t, kind="stable")
    ts, es = t[order], ev[order]
    times = np.unique(ts[es & (ts <= horizon)])
    if times.size == 0:
        return np.ones(w.shape[0])
    ws = w[:, order]
    first = np.searchsorted(ts, times, side="left")
    last = np.searchsorted(ts, times, side="right")
    # cases at risk at u: every case from the first of u's tie block on
    at_risk = np.cumsum(ws[:, ::-1], axis=1)[:, ::-1][:, first]
    cum_events = np.concatenate([np.zeros((w.shape[0], 1)), np.cumsum(ws * es, axis=1)], axis=1)
    d = cum_events[:, last] - cum_events[:, first]
    safe = np.where(at_risk > 0, at_risk, 1.0)
    factor = np.where(at_risk > 0, 1.0 - d / safe, 1.0)
    return np.clip(factor, 0.0, 1.0).prod(axis=1)


def km_at(x: np.ndarray, s: np.ndarray, horizon: float) -> float:
    """A Kaplan-Meier curve's value at a time (1 before the first time)."""
    i = int(np.searchsorted(x, horizon, side="right")) - 1
    return 1.0 if i < 0 else float(s[i])


def logrank(event: np.ndarray, time: np.ndarray, group: np.ndarray) -> tuple[float, float]:
    """Log-rank test of equal survival across groups: (chi-square, p-value); NaN when
    there is one group only (scikit-survival's ``compare_survival``)."""
    require_sksurv()
    from sksurv.compare import compare_survival

    g = np.asarray(group)
    if np.unique(g).size < 2 or not np.asarray(event, dtype=bool).any():
        return math.nan, math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chi2, p = compare_survival(structured(event, time), g)
    return float(chi2), float(p)


def calibration_parts(surv_h: np.ndarray, bins: int = 5) -> list[np.ndarray]:
    """Quantile groups of the predicted event-free probability (case indices, lowest
    prediction first): ``bins`` groups of at least 10 cases where there are enough
    (cases with a non-finite prediction are left out)."""
    p = np.asarray(surv_h, dtype=np.float64)
    idx = np.flatnonzero(np.isfinite(p))
    if not idx.size:
        return []
    order = idx[np.argsort(p[idx], kind="stable")]
    parts = np.array_split(order, min(bins, max(1, order.size // 10)))
    return [part for part in parts if part.size]


def calibration_groups(
    event: np.ndarray, time: np.ndarray, surv_h: np.ndarray, horizon: float, bins: int = 5
) -> list[dict[str, float]]:
    """Predicted against observed (Kaplan-Meier) survival at ``horizon`` in quantile groups
    of the prediction (:func:`calibration_parts`): mean predicted, observed with its 95%
    (log-log) interval, cases."""
    p = np.asarray(surv_h, dtype=np.float64)
    out = []
    for part in calibration_parts(p, bins):
        x, s, lo, hi = kaplan_meier(event[part], time[part], conf=True)
        i = int(np.searchsorted(x, horizon, side="right")) - 1
        out.append(
            {
                "predicted": float(p[part].mean()),
                "observed": 1.0 if i < 0 else float(s[i]),
                "observed_low": 1.0 if i < 0 else float(lo[i]),
                "observed_high": 1.0 if i < 0 else float(hi[i]),
                "n_cases": int(part.size),
            }
        )
    return out


def calibration_error(
    w: np.ndarray,
    event: np.ndarray,
    time: np.ndarray,
    surv_h: np.ndarray,
    horizon: float,
    parts: Sequence[np.ndarray],
) -> np.ndarray:
    """Mean absolute difference of mean predicted and Kaplan-Meier event-free probability
    at ``horizon`` over the groups ``parts`` (:func:`calibration_parts`), weighted by the
    groups' case weights, under each row of ``w`` (B, n); shape (B,). The groups stay those
    of the estimate in every resample."""
    w = np.atleast_2d(np.asarray(w, dtype=np.float64))
    ev = np.asarray(event, dtype=bool)
    t = np.asarray(time, dtype=np.float64)
    p = np.asarray(surv_h, dtype=np.float64)
    if not parts:
        return np.full(w.shape[0], np.nan)
    num = np.zeros(w.shape[0])
    den = np.zeros(w.shape[0])
    for part in parts:
        wp = w[:, part]
        size = wp.sum(axis=1)
        safe = np.where(size > 0, size, 1.0)
        predicted = (wp @ p[part]) / safe
        observed = km_weighted(wp, ev[part], t[part], horizon)
        num += np.where(size > 0, size * np.abs(predicted - observed), 0.0)
        den += size
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, np.nan)


#: predicted event-free probabilities are kept below 1 - eps before the complementary
#: log-log transform of :func:`cox_calibration_slope` (a forest may predict exactly 1: no
#: event by the horizon in any of a case's leaves); at the other end only an exact 0 is
#: moved, to the smallest positive double
_CLOGLOG_EPS = 1e-6


def cox_calibration_slope(
    w: np.ndarray,
    event: np.ndarray,
    time: np.ndarray,
    surv_h: np.ndarray,
    horizon: float,
    *,
    max_iter: int = 50,
    tol: float = 1e-9,
) -> np.ndarray:
    r"""Calibration slope at ``horizon`` under each row of case weights ``w`` (B, n), shape
    (B,): the coefficient of a one-covariate Cox model (Breslow ties) of the follow-up
    censored at the horizon on :math:`x = \log(-\log \hat S(t))`, the complementary
    log-log of each case's predicted event probability by the horizon.

    A Cox model predicts :math:`\hat S(t) = S_0(t)^{\exp(\eta)}`, so :math:`x =
    \log H_0(t) + \eta` and the slope is the usual slope on the linear predictor; any model
    with predicted probabilities has one. Ideal 1; below 1 the predictions are too spread
    (overfitting), above 1 too narrow. Newton-Raphson from 0 with steps of at most 1 and
    step halving while the partial likelihood falls, all rows at once; NaN where a row has
    no event before the horizon, a constant prediction, or no convergence (a monotone
    likelihood). Predictions are kept :data:`_CLOGLOG_EPS` below 1 (and above 0).
    """
    w = np.atleast_2d(np.asarray(w, dtype=np.float64))
    rows = _row_blocks(w)
    if len(rows) > 1:
        return np.concatenate(
            [
                cox_calibration_slope(
                    w[r], event, time, surv_h, horizon, max_iter=max_iter, tol=tol
                )
                for r in rows
            ]
        )
    B = w.shape[0]
    ev = np.asarray(event, dtype=bool)
    t = np.asarray(time, dtype=np.float64)
    s = np.asarray(surv_h, dtype=np.float64)
    if not np.isfinite(s).all():
        return np.full(B, np.nan)
    x = np.log(-np.log(np.clip(s, np.finfo(np.float64).tiny, 1.0 - _CLOGLOG_EPS)))
    x = x - x.mean()
    d = ev & (t <= horizon)  # events after the horizon are censored at it
    th = np.minimum(t, horizon)
    order = np.argsort(-th, kind="stable")
    ts, xs, ds, ws = th[order], x[order], d[order], w[:, order]
    # the risk set of a time is every case at that time or later: the end of its tie block
    last = (np.searchsorted(-ts, -ts, side="right") - 1)[ds]
    xe = xs[ds]
    we = ws[:, ds]  # (B, events)

    def parts(beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        eta = beta[:, None] * xs[None, :]
        shift = eta.max(axis=1, keepdims=True)
        r = ws * np.exp(eta - shift)
        s0 = np.cumsum(r, axis=1)[:, last]
        s1 = np.cumsum(r * xs, axis=1)[:, last]
        s2 = np.cumsum(r * xs * xs, axis=1)[:, last]
        with np.errstate(divide="ignore", invalid="ignore"):
            m1 = s1 / s0
            var = np.maximum(s2 / s0 - m1 * m1, 0.0)
            loglik = (we * (beta[:, None] * xe[None, :] - shift - np.log(s0))).sum(axis=1)
        U = (we * (xe[None, :] - m1)).sum(axis=1)
        info = (we * var).sum(axis=1)
        return loglik, U, info

    beta = np.zeros(B)
    loglik, U, info = parts(beta)
    usable = (info > 1e-12) & np.isfinite(info)
    done = ~usable
    for _ in range(max_iter):
        if done.all():
            break
        step = np.where(done, 0.0, U / np.where(info > 1e-12, info, 1.0))
        step = np.clip(step, -1.0, 1.0)
        for _halving in range(30):
            trial = beta + step
            ll, Ut, It = parts(trial)
            worse = ~done & ~(ll >= loglik - 1e-12 * np.abs(loglik))
            if not worse.any():
                break
            step = np.where(worse, step / 2.0, step)
        moved = np.abs(step)
        beta = np.where(done, beta, trial)
        loglik = np.where(done, loglik, ll)
        U = np.where(done, U, Ut)
        info = np.where(done, info, It)
        done |= moved < tol
    converged = done & usable
    return np.where(converged, beta, np.nan)


def calibration_at(
    w: np.ndarray, event: np.ndarray, time: np.ndarray, surv_h: np.ndarray, horizon: float
) -> dict[str, np.ndarray]:
    """Calibration at ``horizon`` of predicted event-free probabilities ``surv_h`` (n,)
    under each row of case weights ``w`` (B, n); each value has shape (B,):

    - ``observed_survival``: the Kaplan-Meier estimate (:func:`km_weighted`);
    - ``predicted_survival``: the mean prediction;
    - ``in_the_large``: observed minus mean predicted (ideal 0; below 0: the model
      predicts too few events);
    - ``observed_expected``: observed over expected events, :math:`(1 - \\hat S_{KM}) /
      (1 - \bar{\\hat S})` (ideal 1);
    - ``slope``: :func:`cox_calibration_slope` (ideal 1).
    """
    w = np.atleast_2d(np.asarray(w, dtype=np.float64))
    p = np.asarray(surv_h, dtype=np.float64)
    observed = km_weighted(w, event, time, horizon)
    total = w.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        predicted = (w @ p) / total
        oe = np.where(predicted < 1.0, (1.0 - observed) / (1.0 - predicted), np.nan)
    return {
        "observed_survival": observed,
        "predicted_survival": predicted,
        "in_the_large": observed - predicted,
        "observed_expected": oe,
        "slope": cox_calibration_slope(w, event, time, p, horizon),
    }


def make_survival_table(
    n_cases: int = 200,
    n_features: int = 30,
    n_informative: int = 2,
    *,
    effect: float = 1.0,
    censoring: float = 0.3,
    random_state: int = 0,
) -> Any:
    """A synthetic survival table (for tests and benchmarks): standard normal features
    ``f000 ...``; exponential event times with hazard :math:`\\exp(\\beta \\sum_{j <
    m} x_j)` on the first ``n_informative`` features (``effect`` = beta; 0 informative:
    noise); independent exponential censoring times scaled to censor about ``censoring``
    of the cases. Columns ``case_id``, ``time``, ``event`` and the features."""
    import pandas as pd

    rng = np.random.default_rng(random_state)
    X = rng.standard_normal((n_cases, n_features))
    eta = effect * X[:, :n_informative].sum(axis=1)
    t_event = rng.exponential(1.0, n_cases) / np.exp(eta)
    if censoring > 0:
        # exponential censoring at rate r: P(C < T) ~ r / (r + hazard); solved on the mean
        rate = censoring / (1.0 - censoring) * float(np.median(np.exp(eta)))
        t_cens = rng.exponential(1.0 / rate, n_cases)
    else:
        t_cens = np.full(n_cases, np.inf)
    time = np.minimum(t_event, t_cens)
    event = (t_event <= t_cens).astype(np.int8)
    frame = pd.DataFrame(X, columns=[f"f{j:03d}" for j in range(n_features)])
    frame.insert(0, "event", event)
    frame.insert(0, "time", np.round(time * 365.0 + 0.1, 1))
    frame.insert(0, "case_id", [f"c{i:04d}" for i in range(n_cases)])
    return frame
