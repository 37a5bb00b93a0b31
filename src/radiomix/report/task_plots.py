"""Figures of a multiclass, regression or survival run (matplotlib's object API, like
:mod:`.plots`).

The primary model's figures use its median repeat: the repeat whose headline (macro AUC,
R², Harrell's C) of the pooled out-of-fold predictions is closest to the median over repeats.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from radiomix.learn.task_metrics import macro_auc, r2_score
from radiomix.report.plots import OTHER_COLORS, PRIMARY_COLOR, _subplots, roc_points

__all__ = [
    "class_probabilities",
    "median_repeat_task",
    "plot_confusion_multiclass",
    "plot_km_risk_groups",
    "plot_ovr_roc",
    "plot_regression_calibration",
    "plot_survival_calibration",
    "plot_td_auc",
]


def class_probabilities(frame: pd.DataFrame, classes: Sequence[Any]) -> np.ndarray:
    """The ``probability_<class>`` columns of a multiclass predictions table, (n, K)."""
    return frame[[f"probability_{c}" for c in classes]].to_numpy(dtype=np.float64)


def median_repeat_task(pred: pd.DataFrame, task: str, classes: Sequence[Any] = ()) -> pd.DataFrame:
    """Rows of the repeat whose headline is closest to the median over repeats."""
    scores: dict[int, float] = {}
    for r, g in pred.groupby("repeat"):
        y = g["y"].to_numpy() if "y" in g.columns else np.empty(0)
        if task == "survival":
            from radiomix.learn.survival import harrell_c

            ev = g["event"].to_numpy(dtype=bool)
            t = g["time"].to_numpy(dtype=np.float64)
            risk = g["risk"].to_numpy(dtype=np.float64)
            scores[int(r)] = float(harrell_c(np.ones((1, len(g))), ev, t, risk)[0])
        elif task == "regression":
            scores[int(r)] = r2_score(y, g["predicted"].to_numpy(dtype=np.float64))
        else:
            scores[int(r)] = macro_auc(y.astype(int), class_probabilities(g, classes))
    med = float(np.median(list(scores.values())))
    best = min(scores, key=lambda r: (abs(scores[r] - med), r))
    return pred[pred["repeat"] == best]


def plot_regression_calibration(frame: pd.DataFrame, name: str, bins: int = 10) -> Figure:
    """Observed against predicted (median repeat): every case, the means of quantile bins
    of the prediction with their 95% normal intervals, the least-squares recalibration line
    and the identity (ideal calibration); below, the residuals."""
    med = frame
    y = med["y"].to_numpy(dtype=np.float64)
    p = med["predicted"].to_numpy(dtype=np.float64)
    fig, (ax, ax2) = _subplots(
        2, 1, figsize=(5.6, 6.2), gridspec_kw={"height_ratios": [3, 1]}, sharex=True
    )
    ax.scatter(p, y, s=10, color="0.55", alpha=0.6, label="cases (out of fold)")
    order = np.argsort(p, kind="stable")
    parts = np.array_split(order, min(bins, max(1, p.size // 5)))
    mx = [float(p[i].mean()) for i in parts if i.size]
    my = [float(y[i].mean()) for i in parts if i.size]
    se = [float(y[i].std(ddof=1) / np.sqrt(i.size)) if i.size > 1 else 0.0 for i in parts]
    ax.errorbar(
        mx,
        my,
        yerr=1.96 * np.asarray(se),
        fmt="o",
        color=PRIMARY_COLOR,
        ms=5,
        label="bin means, 95% CI",
    )
    lo = float(min(p.min(), y.min()))
    hi = float(max(p.max(), y.max()))
    ax.plot([lo, hi], [lo, hi], color="black", ls=":", lw=1, label="ideal")
    if np.ptp(p) > 0:
        b, a = np.polyfit(p, y, 1)
        xs = np.array([p.min(), p.max()])
        ax.plot(
            xs,
            a + b * xs,
            color=PRIMARY_COLOR,
            lw=1.6,
            label=f"recalibration: {a:.3g} + {b:.2f} x predicted",
        )
    ax.set(ylabel="observed", title=f"Calibration, {name}")
    ax.legend(fontsize=7.5)
    ax2.scatter(p, y - p, s=8, color="0.45", alpha=0.6)
    ax2.axhline(0, color="black", ls=":", lw=1)
    ax2.set(xlabel="predicted (out of fold)", ylabel="residual")
    return fig


def plot_confusion_multiclass(frame: pd.DataFrame, name: str, classes: Sequence[Any]) -> Figure:
    """Confusion matrix of the median repeat (the most probable class is the call): counts
    and row percentages."""
    K = len(classes)
    y = frame["y"].to_numpy(dtype=np.intp)
    pred = frame["predicted"].to_numpy(dtype=np.intp)
    cm = np.zeros((K, K), dtype=np.int64)
    np.add.at(cm, (y, pred), 1)
    rows = cm.sum(axis=1, keepdims=True)
    frac = np.divide(cm, rows, out=np.zeros_like(cm, dtype=float), where=rows > 0)
    size = 2.2 + 1.0 * K
    fig, ax = _subplots(figsize=(size, size * 0.9))
    ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
    for i in range(K):
        for j in range(K):
            ax.text(
                j,
                i,
                f"{cm[i, j]}\n{100 * frac[i, j]:.0f}%",
                ha="center",
                va="center",
                fontsize=9 if K > 4 else 11,
                color="white" if frac[i, j] > 0.6 else "black",
            )
    labels = [str(c) for c in classes]
    ax.set_xticks(range(K), labels, fontsize=8.5)
    ax.set_yticks(range(K), labels, fontsize=8.5)
    ax.set(xlabel="predicted", ylabel="reference", title=f"Confusion matrix, {name}")
    return fig


def plot_ovr_roc(frame: pd.DataFrame, name: str, classes: Sequence[Any]) -> Figure:
    """One-vs-rest ROC curve of every class (median repeat)."""
    y = frame["y"].to_numpy(dtype=np.intp)
    P = class_probabilities(frame, classes)
    fig, ax = _subplots(figsize=(5.4, 5.0))
    colors = (PRIMARY_COLOR, *OTHER_COLORS)
    for k, c in enumerate(classes):
        yk = (y == k).astype(np.int8)
        if 0 < yk.sum() < yk.size:
            fpr, tpr = roc_points(yk, P[:, k])
            auc = macro_auc(yk, np.column_stack([1 - P[:, k], P[:, k]]))
            ax.plot(
                fpr,
                tpr,
                color=colors[k % len(colors)],
                lw=1.6,
                label=f"{c} vs rest (AUC {auc:.3f})",
            )
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=0.9)
    ax.set(
        xlabel="1 - specificity",
        ylabel="sensitivity",
        title=f"One-vs-rest ROC, {name}",
        xlim=(0, 1),
        ylim=(0, 1.01),
    )
    ax.legend(fontsize=7.5, loc="lower right")
    return fig


def plot_km_risk_groups(frame: pd.DataFrame, name: str, p_value: float | None = None) -> Figure:
    """Kaplan-Meier curves (95% log-log bands) of the low- and high-risk groups: each case
    called by the median risk of its fold's training cases (median repeat), with the
    log-rank p-value and the numbers at risk."""
    from radiomix.learn.survival import kaplan_meier, logrank

    ev = frame["event"].to_numpy(dtype=bool)
    t = frame["time"].to_numpy(dtype=np.float64)
    high = (frame["risk_group"] == "high").to_numpy()
    if p_value is None:
        p_value = logrank(ev, t, high)[1]
    fig, ax = _subplots(figsize=(6.0, 4.4))
    for mask, lab, color in ((~high, "low risk", "#2a9d55"), (high, "high risk", "#b33a3a")):
        if not mask.any():
            continue
        x, sv, lo, hi = kaplan_meier(ev[mask], t[mask], conf=True)
        xs = np.r_[0.0, x]
        ax.step(
            xs,
            np.r_[1.0, sv],
            where="post",
            color=color,
            lw=1.8,
            label=f"{lab} ({int(mask.sum())} cases, {int(ev[mask].sum())} events)",
        )
        ax.fill_between(xs, np.r_[1.0, lo], np.r_[1.0, hi], step="post", color=color, alpha=0.15)
    ptxt = "-" if p_value is None or not np.isfinite(p_value) else f"{p_value:.3g}"
    ax.set(
        xlabel="time",
        ylabel="event-free probability",
        ylim=(0, 1.02),
        title=f"Risk groups at the training median, {name} (log-rank p = {ptxt})",
    )
    ax.title.set_fontsize(9.5)
    ax.legend(fontsize=7.5, loc="lower left")
    return fig


def plot_survival_calibration(
    groups: Sequence[Mapping[str, Any]],
    horizon: float,
    name: str,
    summary: Mapping[str, Any] | None = None,
) -> Figure:
    """Calibration at a horizon: mean predicted against Kaplan-Meier observed event-free
    probability in quantile groups of the prediction (95% intervals); with ``summary``
    (the run's ``calibration``), a box with the calibration slope and observed / expected
    events and their intervals."""
    fig, ax = _subplots(figsize=(5.0, 4.8))
    lines = []
    for key, label in (
        ("slope", "calibration slope"),
        ("observed_expected", "observed / expected"),
    ):
        v = (summary or {}).get(key)
        if v is None or not np.isfinite(v):
            continue
        lo, hi = (summary or {}).get(f"{key}_ci") or [math.nan, math.nan]
        ci = f" [{lo:.2f}, {hi:.2f}]" if np.isfinite(lo) and np.isfinite(hi) else ""
        lines.append(f"{label} {v:.2f}{ci}")
    if lines:
        ax.text(
            0.97,
            0.03,
            "\n".join(lines),
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=7.5,
            bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.7"},
        )
    if groups:
        pr = np.array([g["predicted"] for g in groups], dtype=float)
        ob = np.array([g["observed"] for g in groups], dtype=float)
        lo = np.array([g["observed_low"] for g in groups], dtype=float)
        hi = np.array([g["observed_high"] for g in groups], dtype=float)
        ax.errorbar(
            pr,
            ob,
            yerr=np.vstack([np.maximum(ob - lo, 0), np.maximum(hi - ob, 0)]),
            fmt="o-",
            color=PRIMARY_COLOR,
            ms=5,
            label="quantile groups (Kaplan-Meier, 95% CI)",
        )
    ax.plot([0, 1], [0, 1], color="black", ls=":", lw=1, label="ideal")
    ax.set(
        xlabel=f"predicted event-free probability at {horizon:g}",
        ylabel="observed (Kaplan-Meier)",
        xlim=(0, 1),
        ylim=(0, 1.02),
        title=f"Calibration at {horizon:g}, {name}",
    )
    ax.legend(fontsize=7.5, loc="upper left")
    return fig


def plot_td_auc(frame: pd.DataFrame, name: str, horizons: Sequence[float] = ()) -> Figure:
    """Cumulative/dynamic AUC of the risk score over time (median repeat), the horizons
    marked."""
    from radiomix.learn.survival import censoring_survival, td_auc

    ev = frame["event"].to_numpy(dtype=bool)
    t = frame["time"].to_numpy(dtype=np.float64)
    risk = frame["risk"].to_numpy(dtype=np.float64)
    fig, ax = _subplots(figsize=(5.6, 3.8))
    te = t[ev]
    if te.size >= 2:
        grid = np.quantile(te, np.linspace(0.05, 0.9, 25))
        G = censoring_survival(ev, t)
        w = np.ones((1, t.size))
        auc = np.array([td_auc(w, ev, t, risk, h, G)[0] for h in grid])
        ax.plot(grid, auc, color=PRIMARY_COLOR, lw=1.8, label="AUC(t)")
        for h in horizons:
            ax.axvline(h, color="0.5", ls="--", lw=0.8)
    ax.axhline(0.5, color="grey", ls=":", lw=0.9)
    ax.set(
        xlabel="time",
        ylabel="cumulative/dynamic AUC",
        ylim=(0.3, 1.0),
        title=f"Time-dependent AUC, {name}",
    )
    ax.legend(fontsize=7.5)
    return fig
