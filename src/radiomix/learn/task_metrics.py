"""Metrics of several classes and of a numeric outcome, vectorised over bootstrap weights.

Like :func:`radiomix.learn.metrics.weighted_metrics` for two classes, each function takes
case weights ``w`` of shape (B, n): a row of ones is the ordinary estimate, a row of
bootstrap multiplicities one replicate, so the estimate and every replicate come from the
same code.

Several classes (codes :math:`0..K-1`, probabilities :math:`P_{ik}`, predicted class
:math:`\\hat k_i = \\arg\\max_k P_{ik}`):

- ``macro_auc``: the mean over classes of the one-vs-rest ROC AUC of :math:`P_{\\cdot k}`
  (Mann-Whitney form, ties one half; a class absent from a resample is skipped);
- ``micro_auc``: the ROC AUC of all :math:`n K` one-vs-rest decisions pooled (indicator
  :math:`[y_i = k]` against :math:`P_{ik}`);
- ``accuracy``, ``balanced_accuracy`` (the mean per-class sensitivity), ``macro_f1``;
- per class: ``sensitivity`` (recall) and the one-vs-rest ``auc``;
- ``brier``: :math:`\\frac1n \\sum_i \\sum_k (P_{ik} - [y_i = k])^2`, and ``log_loss``
  :math:`-\\frac1n\\sum_i \\log P_{i y_i}` (probabilities clipped at :math:`10^{-15}`).

A numeric outcome (observed :math:`y_i`, predicted :math:`\\hat y_i`, weighted means
:math:`\\bar y`):

- ``r2`` :math:`= 1 - \\sum w (y - \\hat y)^2 / \\sum w (y - \\bar y)^2` (out of fold it is
  below 0 when the model predicts worse than the mean of the cases it is scored on);
- ``mae``, ``rmse``, ``pearson_r``;
- ``mean_error`` :math:`\\overline{y - \\hat y}` (calibration in the large; ideal 0);
- ``calibration_intercept`` and ``calibration_slope``: least squares of
  :math:`y = a + b\\,\\hat y` (ideal 0 and 1; a slope below 1 means predictions too spread,
  the regression analogue of overfitting).
"""

from __future__ import annotations

import numpy as np

from radiomix.learn.metrics import stratified_weights

__all__ = [
    "MULTICLASS_METRICS",
    "REGRESSION_METRICS",
    "confusion_matrix",
    "macro_auc",
    "multiclass_metrics",
    "r2_score",
    "regression_metrics",
    "stratified_weights",
    "weighted_auc",
]

MULTICLASS_METRICS = (
    "macro_auc",
    "micro_auc",
    "accuracy",
    "balanced_accuracy",
    "macro_f1",
    "brier",
    "log_loss",
)
"""Whole-sample metrics of :func:`multiclass_metrics`, in the order they are reported."""

REGRESSION_METRICS = (
    "r2",
    "mae",
    "rmse",
    "pearson_r",
    "mean_error",
    "calibration_intercept",
    "calibration_slope",
)
"""Metrics of :func:`regression_metrics`, in the order they are reported."""


def weighted_auc(w: np.ndarray, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """ROC AUC of scores ``p`` for the 0/1 labels ``y`` under each row of case weights.

    Parameters
    ----------
    w : ndarray, shape (B, n)
    y : ndarray of {0, 1}, shape (n,)
    p : ndarray, shape (n,)

    Returns
    -------
    ndarray, shape (B,)
        NaN in a row where one class has no weight.
    """
    w = np.atleast_2d(np.asarray(w, dtype=np.float64))
    yy = np.asarray(y, dtype=np.float64)
    pp = np.asarray(p, dtype=np.float64)
    wpos = w * yy
    wneg = w - wpos
    n1 = wpos.sum(1)
    n0 = wneg.sum(1)
    order = np.argsort(pp, kind="stable")
    ps = pp[order]
    starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])
    pos_u = np.add.reduceat(wpos[:, order], starts, axis=1)
    neg_u = np.add.reduceat(wneg[:, order], starts, axis=1)
    neg_below = np.cumsum(neg_u, axis=1) - neg_u
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (pos_u * (neg_below + 0.5 * neg_u)).sum(1) / (n1 * n0)
    return np.where((n1 > 0) & (n0 > 0), auc, np.nan)


def macro_auc(y: np.ndarray, P: np.ndarray) -> float:
    """Mean one-vs-rest ROC AUC over the classes present with both sides (NaN if none)."""
    yy = np.asarray(y)
    aucs = [
        float(weighted_auc(np.ones((1, yy.size)), (yy == k).astype(np.int8), P[:, k])[0])
        for k in range(P.shape[1])
    ]
    finite = [a for a in aucs if np.isfinite(a)]
    return float(np.mean(finite)) if finite else float("nan")


def confusion_matrix(y: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts: rows the true class, columns the predicted class."""
    out = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(out, (np.asarray(y, dtype=np.intp), np.asarray(pred, dtype=np.intp)), 1)
    return out


def multiclass_metrics(
    w: np.ndarray, y: np.ndarray, P: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every multiclass metric for each row of case weights.

    Parameters
    ----------
    w : ndarray, shape (B, n)
    y : ndarray of int, shape (n,)
        Class codes 0 .. K-1.
    P : ndarray, shape (n, K)
        Predicted class probabilities (rows sum to 1).

    Returns
    -------
    overall : dict
        :data:`MULTICLASS_METRICS` -> ndarray (B,).
    per_class : dict
        ``sensitivity`` and ``auc`` -> ndarray (B, K).
    """
    w = np.atleast_2d(np.asarray(w, dtype=np.float64))
    yy = np.asarray(y, dtype=np.intp)
    P = np.asarray(P, dtype=np.float64)
    n, K = P.shape
    pred = np.argmax(P, axis=1)
    onehot = np.zeros((n, K))
    onehot[np.arange(n), yy] = 1.0
    tot = w.sum(1)
    auc = np.column_stack([weighted_auc(w, onehot[:, k], P[:, k]) for k in range(K)])
    sens = np.empty((w.shape[0], K))
    prec = np.empty((w.shape[0], K))
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(K):
            tp = (w * ((yy == k) & (pred == k))).sum(1)
            n_true = (w * (yy == k)).sum(1)
            n_called = (w * (pred == k)).sum(1)
            sens[:, k] = np.where(n_true > 0, tp / n_true, np.nan)
            prec[:, k] = np.where(n_called > 0, tp / np.where(n_called > 0, n_called, 1), 0.0)
        f1 = np.where(prec + sens > 0, 2 * prec * sens / (prec + sens), 0.0)
        f1 = np.where(np.isfinite(sens), f1, np.nan)
        # micro AUC: the n K one-vs-rest decisions pooled
        micro = weighted_auc(np.repeat(w, K, axis=1), onehot.ravel(), P.ravel())
        p_true = np.clip(P[np.arange(n), yy], 1e-15, 1.0)
        out = {
            "macro_auc": _nanmean_rows(auc),
            "micro_auc": micro,
            "accuracy": (w * (pred == yy)).sum(1) / tot,
            "balanced_accuracy": _nanmean_rows(sens),
            "macro_f1": _nanmean_rows(f1),
            "brier": (w * ((P - onehot) ** 2).sum(1)).sum(1) / tot,
            "log_loss": (w * -np.log(p_true)).sum(1) / tot,
        }
    return out, {"sensitivity": sens, "auc": auc}


def _nanmean_rows(a: np.ndarray) -> np.ndarray:
    ok = np.isfinite(a)
    cnt = ok.sum(1)
    s = np.where(ok, a, 0.0).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(cnt > 0, s / cnt, np.nan)


def regression_metrics(w: np.ndarray, y: np.ndarray, yhat: np.ndarray) -> dict[str, np.ndarray]:
    """Every metric of :data:`REGRESSION_METRICS` for each row of case weights.

    Parameters
    ----------
    w : ndarray, shape (B, n)
    y, yhat : ndarray, shape (n,)
        Observed and predicted values.

    Returns
    -------
    dict
        Metric name -> ndarray (B,); NaN where undefined (a constant outcome or prediction).
    """
    w = np.atleast_2d(np.asarray(w, dtype=np.float64))
    yy = np.asarray(y, dtype=np.float64)
    yh = np.asarray(yhat, dtype=np.float64)
    tot = w.sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        my = (w * yy).sum(1) / tot
        mh = (w * yh).sum(1) / tot
        dy = yy[None, :] - my[:, None]
        dh = yh[None, :] - mh[:, None]
        sst = (w * dy**2).sum(1)
        shh = (w * dh**2).sum(1)
        sxy = (w * dy * dh).sum(1)
        res = yy - yh
        sse = (w * res**2).sum(1)
        slope = np.where(shh > 0, sxy / shh, np.nan)
        out = {
            "r2": np.where(sst > 0, 1.0 - sse / sst, np.nan),
            "mae": (w * np.abs(res)).sum(1) / tot,
            "rmse": np.sqrt(sse / tot),
            "pearson_r": np.where((sst > 0) & (shh > 0), sxy / np.sqrt(sst * shh), np.nan),
            "mean_error": (w * res).sum(1) / tot,
            "calibration_intercept": my - slope * mh,
            "calibration_slope": slope,
        }
    return {k: out[k] for k in REGRESSION_METRICS}


def r2_score(y: np.ndarray, yhat: np.ndarray) -> float:
    """Coefficient of determination :math:`1 - SSE/SST` (NaN for a constant outcome)."""
    yy = np.asarray(y, dtype=np.float64)
    return float(regression_metrics(np.ones((1, yy.size)), yy, yhat)["r2"][0])
