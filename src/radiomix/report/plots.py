"""Figures of a study run (matplotlib's object API: no pyplot, no display, no global state).

Every function takes plain arrays or tables read from a run directory and returns a
:class:`matplotlib.figure.Figure`; :func:`save_png` writes one and returns its bytes.

The primary model's curves use the repeat whose pooled out-of-fold AUC is the median over
repeats (the "median repeat"); the ROC band is a pointwise percentile band of the true
positive rate at fixed false positive rates over stratified bootstrap resamples of that
repeat's cases (vertical averaging, Fawcett 2006).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from radiomix._outputs import atomic_write_bytes
from radiomix.learn.metrics import (
    bootstrap_weights,
    logistic_recalibration,
    net_benefit,
    roc_auc,
)

__all__ = [
    "median_repeat",
    "operating_point",
    "plot_calibration",
    "plot_confusion",
    "plot_decision_curve",
    "plot_examples",
    "plot_importance",
    "plot_model_comparison",
    "plot_permutation",
    "plot_pr",
    "plot_roc",
    "plot_selection",
    "plot_shap",
    "plot_shap_classes",
    "roc_points",
    "save_png",
]

PRIMARY_COLOR = "#1f5fa8"
OTHER_COLORS = ("#d9731a", "#2a9d55", "#b33a3a", "#7a4fb0", "#8c6d31", "#4aa3b5", "#c2469a")


def _subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], **kw: Any) -> Any:
    """A new figure and its axes (like ``pyplot.subplots``, without pyplot's global state)."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, **kw)


def save_png(fig: Figure, path: str | Path | None = None, dpi: int = 110) -> bytes:
    """Render a figure to PNG bytes (and write them to ``path`` when given)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    data = buf.getvalue()
    if path is not None:
        atomic_write_bytes(path, data)
    return data


def median_repeat(pred: pd.DataFrame) -> pd.DataFrame:
    """Rows of the repeat whose pooled AUC is closest to the median over repeats."""
    aucs = {
        int(r): roc_auc(g["y"].to_numpy(), g["probability"].to_numpy())
        for r, g in pred.groupby("repeat")
    }
    med = float(np.median(list(aucs.values())))
    best = min(aucs, key=lambda r: (abs(aucs[r] - med), r))
    return pred[pred["repeat"] == best]


def roc_points(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False and true positive rates at every distinct threshold (from (0, 0) to (1, 1))."""
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    ends = np.r_[ps[1:] != ps[:-1], True]
    tp = np.cumsum(ys)[ends]
    fp = np.cumsum(1 - ys)[ends]
    n1, n0 = max(int(y.sum()), 1), max(int((1 - y).sum()), 1)
    return np.r_[0.0, fp / n0], np.r_[0.0, tp / n1]


def operating_point(
    frame: pd.DataFrame,
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """The operating point of the median repeat and the ROC curve it lies on.

    Every case was called positive when its probability reached the threshold of the fold
    that predicted it (chosen inside that fold's training part), so the operating point
    (false and true positive rate of those calls) need not lie on the ROC curve of the pooled
    probabilities: the folds' thresholds differ. It lies on the ROC curve of the scores
    ``probability - threshold of its fold``: the curve traced when every fold's threshold is
    moved by the same amount. That curve is returned with the point (it coincides with the
    pooled curve when all folds chose the same threshold).

    Returns
    -------
    fpr, tpr : float
        The operating point.
    curve_fpr, curve_tpr : ndarray
        Vertices of the ROC curve of the threshold-relative scores (the point is one of them).
    """
    med = median_repeat(frame)
    y = med["y"].to_numpy().astype(np.int64)
    called = med["predicted"].to_numpy().astype(np.int64)
    score = med["probability"].to_numpy(dtype=float) - med["threshold"].to_numpy(dtype=float)
    # the recorded calls decide the side of zero (no rounding can move a case across)
    score = np.where(called == 1, np.maximum(score, 0.0), np.minimum(score, -np.finfo(float).tiny))
    n1, n0 = max(int(y.sum()), 1), max(int((1 - y).sum()), 1)
    fpr = float(called[y == 0].sum()) / n0
    tpr = float(called[y == 1].sum()) / n1
    curve_fpr, curve_tpr = roc_points(y, score)
    return fpr, tpr, curve_fpr, curve_tpr


def _pr_points(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    ends = np.r_[ps[1:] != ps[:-1], True]
    tp = np.cumsum(ys)[ends]
    called = (np.arange(1, y.size + 1))[ends]
    recall = tp / max(int(y.sum()), 1)
    precision = tp / called
    return np.r_[0.0, recall], np.r_[precision[0] if precision.size else 1.0, precision]


def _label(name: str, m: Mapping[str, Any] | None) -> str:
    if not m or m.get("auc") is None:
        return name
    ci = m.get("auc_ci") or [None, None]
    if ci[0] is None:
        return f"{name} (AUC {m['auc']:.3f})"
    return f"{name} (AUC {m['auc']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}])"


def plot_roc(
    primary: pd.DataFrame,
    primary_name: str,
    metrics: Mapping[str, Mapping[str, Any]],
    others: Mapping[str, pd.DataFrame] | None = None,
    n_boot: int = 200,
    random_state: int = 0,
) -> Figure:
    """ROC: thin per-repeat curves, the median repeat with a bootstrap band, the operating
    point at the fold thresholds, and comparators' median repeats (dashed)."""
    fig, ax = _subplots(figsize=(5.6, 5.2))
    for _, g in primary.groupby("repeat"):
        fpr, tpr = roc_points(g["y"].to_numpy(), g["probability"].to_numpy())
        ax.step(fpr, tpr, where="post", color=PRIMARY_COLOR, alpha=0.15, lw=0.8)
    med = median_repeat(primary)
    y, p = med["y"].to_numpy(), med["probability"].to_numpy()
    grid = np.linspace(0, 1, 101)
    if n_boot > 0 and 0 < y.sum() < y.size:
        W = bootstrap_weights(y, None, n_boot, random_state).astype(np.int64)
        curves = []
        for w in W:
            idx = np.repeat(np.arange(y.size), w)
            fpr_b, tpr_b = roc_points(y[idx], p[idx])
            curves.append(_step_interp(grid, fpr_b, tpr_b))
        lo, hi = np.percentile(np.vstack(curves), [2.5, 97.5], axis=0)
        ax.fill_between(
            grid,
            lo,
            hi,
            color=PRIMARY_COLOR,
            alpha=0.18,
            step="post",
            lw=0,
            label="95% bootstrap band",
        )
    fpr, tpr = roc_points(y, p)
    ax.step(
        fpr,
        tpr,
        where="post",
        color=PRIMARY_COLOR,
        lw=2.2,
        label=_label(primary_name, metrics.get(primary_name)),
    )
    for i, (name, frame) in enumerate((others or {}).items()):
        om = median_repeat(frame)
        f2, t2 = roc_points(om["y"].to_numpy(), om["probability"].to_numpy())
        ax.step(
            f2,
            t2,
            where="post",
            ls="--",
            lw=1.4,
            color=OTHER_COLORS[i % len(OTHER_COLORS)],
            label=_label(name, metrics.get(name)),
        )
    if "threshold" in primary.columns and "predicted" in primary.columns:
        op_fpr, op_tpr, c_fpr, c_tpr = operating_point(primary)
        ax.step(
            c_fpr,
            c_tpr,
            where="post",
            color="black",
            lw=0.9,
            ls=":",
            gid="operating-curve",
            label="median repeat, every fold's threshold moved together",
        )
        ax.plot(
            [op_fpr],
            [op_tpr],
            "o",
            ms=9,
            mfc="white",
            mec="black",
            mew=1.8,
            zorder=5,
            gid="operating-point",
            label=f"operating point of the median repeat (sens {op_tpr:.2f}, "
            f"spec {1 - op_fpr:.2f})",
        )
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
    ax.set(
        xlim=(-0.01, 1.01),
        ylim=(-0.01, 1.01),
        xlabel="1 - specificity (false positive rate)",
        ylabel="sensitivity (true positive rate)",
        title="ROC, out-of-fold",
    )
    ax.legend(loc="lower right", fontsize=7.5, frameon=True)
    ax.set_aspect("equal")
    return fig


def _step_interp(grid: np.ndarray, fpr: np.ndarray, tpr: np.ndarray) -> np.ndarray:
    """TPR of a step ROC curve at the given FPRs (the highest TPR reached at that FPR)."""
    idx = np.searchsorted(fpr, grid, side="right") - 1
    return tpr[np.clip(idx, 0, tpr.size - 1)]


def plot_pr(
    primary: pd.DataFrame,
    primary_name: str,
    metrics: Mapping[str, Mapping[str, Any]],
    others: Mapping[str, pd.DataFrame] | None = None,
) -> Figure:
    """Precision-recall curves of the median repeats, with the prevalence as reference."""
    fig, ax = _subplots(figsize=(5.6, 5.2))
    series = [(primary_name, primary, PRIMARY_COLOR, "-")] + [
        (n, f, OTHER_COLORS[i % len(OTHER_COLORS)], "--")
        for i, (n, f) in enumerate((others or {}).items())
    ]
    prevalence = math.nan
    for name, frame, color, ls in series:
        med = median_repeat(frame)
        y = med["y"].to_numpy()
        prevalence = float(y.mean())
        rec, prec = _pr_points(y, med["probability"].to_numpy())
        m = metrics.get(name, {})
        lab = f"{name} (PR AUC {m['pr_auc']:.3f})" if m.get("pr_auc") is not None else name
        ax.step(
            rec, prec, where="post", color=color, ls=ls, lw=2.0 if ls == "-" else 1.4, label=lab
        )
    ax.axhline(prevalence, color="grey", lw=0.8, ls=":", label=f"prevalence {prevalence:.2f}")
    ax.set(
        xlim=(-0.01, 1.01),
        ylim=(0, 1.02),
        xlabel="recall (sensitivity)",
        ylabel="precision (PPV)",
        title="Precision-recall, out-of-fold",
    )
    ax.legend(loc="lower left", fontsize=7.5)
    return fig


def plot_calibration(
    frame: pd.DataFrame, name: str, m: Mapping[str, Any], n_bins: int = 10
) -> Figure:
    """Calibration: observed fraction vs mean predicted probability in quantile bins (with
    Wilson 95% intervals), the logistic recalibration curve, and the distribution of
    predictions by class."""
    med = median_repeat(frame)
    y, p = med["y"].to_numpy(), med["probability"].to_numpy()
    fig, (ax, axh) = _subplots(
        2, 1, figsize=(5.6, 6.2), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    bins = max(2, min(n_bins, y.size // 10))
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(edges.size - 2, 0))
    xs, obs, lo, hi = [], [], [], []
    for b in np.unique(which):
        sel = which == b
        k, n = float(y[sel].sum()), float(sel.sum())
        xs.append(p[sel].mean())
        ph = k / n
        z = 1.959964
        centre = (ph + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        obs.append(ph)
        lo.append(ph - (centre - half))
        hi.append((centre + half) - ph)
    ax.errorbar(
        xs,
        obs,
        yerr=[np.maximum(lo, 0), np.maximum(hi, 0)],
        fmt="o",
        color=PRIMARY_COLOR,
        capsize=3,
        label="observed (quantile bins, Wilson 95% CI)",
    )
    a2, b2 = logistic_recalibration(y, p)
    if np.isfinite(a2) and np.isfinite(b2):
        grid = np.linspace(max(p.min(), 1e-4), min(p.max(), 1 - 1e-4), 200)
        lg = np.log(grid / (1 - grid))
        ax.plot(
            grid,
            1 / (1 + np.exp(-(a2 + b2 * lg))),
            color=PRIMARY_COLOR,
            lw=1.5,
            label="logistic recalibration",
        )
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=0.9, label="ideal")
    txt = []
    if m.get("calibration_intercept") is not None:
        txt.append(f"intercept {m['calibration_intercept']:.2f}")
    if m.get("calibration_slope") is not None:
        txt.append(f"slope {m['calibration_slope']:.2f}")
    if m.get("brier") is not None:
        txt.append(f"Brier {m['brier']:.3f}")
    ax.text(
        0.03,
        0.97,
        "\n".join(txt),
        transform=ax.transAxes,
        va="top",
        fontsize=8.5,
        bbox={"boxstyle": "round", "fc": "white", "ec": "0.7"},
    )
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1),
        ylabel="observed fraction positive",
        title=f"Calibration, {name}, out-of-fold",
    )
    ax.legend(loc="lower right", fontsize=7.5)
    hb = np.linspace(0, 1, 26)
    axh.hist(p[y == 0], bins=hb, color="0.55", alpha=0.7, label="negative")
    axh.hist(p[y == 1], bins=hb, color=PRIMARY_COLOR, alpha=0.6, label="positive")
    axh.set(xlabel="predicted probability", ylabel="cases")
    axh.legend(fontsize=7.5)
    return fig


def plot_confusion(frame: pd.DataFrame, name: str, negative: str, positive: str) -> Figure:
    """Confusion matrix of the median repeat at the fold thresholds: counts and row %."""
    med = median_repeat(frame)
    y = med["y"].to_numpy()
    pred = med["predicted"].to_numpy()
    cm = np.array([[np.sum((y == a) & (pred == b)) for b in (0, 1)] for a in (0, 1)])
    rows = cm.sum(axis=1, keepdims=True)
    frac = np.divide(cm, rows, out=np.zeros_like(cm, dtype=float), where=rows > 0)
    fig, ax = _subplots(figsize=(4.8, 4.2))
    ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
    for i in range(2):
        for j in range(2):
            ax.text(
                j,
                i,
                f"{cm[i, j]}\n{100 * frac[i, j]:.1f}%",
                ha="center",
                va="center",
                fontsize=12,
                color="white" if frac[i, j] > 0.6 else "black",
            )
    ticks = [f"{negative}\n(negative)", f"{positive}\n(positive)"]
    ax.set_xticks([0, 1], ticks, fontsize=8.5)
    ax.set_yticks([0, 1], ticks, fontsize=8.5)
    ax.set(xlabel="predicted", ylabel="reference", title=f"Confusion matrix, {name}")
    return fig


def plot_decision_curve(
    primary: pd.DataFrame, primary_name: str, others: Mapping[str, pd.DataFrame] | None = None
) -> Figure:
    """Decision curve (net benefit over threshold probabilities; Vickers & Elkin 2006)."""
    t = np.linspace(0.01, 0.8, 80)
    fig, ax = _subplots(figsize=(5.8, 4.6))
    series = [(primary_name, primary, PRIMARY_COLOR, "-")] + [
        (n, f, OTHER_COLORS[i % len(OTHER_COLORS)], "--")
        for i, (n, f) in enumerate((others or {}).items())
    ]
    prev = 0.0
    for name, frame, color, ls in series:
        med = median_repeat(frame)
        y, p = med["y"].to_numpy(), med["probability"].to_numpy()
        nb, nb_all = net_benefit(y, p, t)
        prev = float(y.mean())
        ax.plot(t, nb, color=color, ls=ls, lw=2.0 if ls == "-" else 1.4, label=name)
    ax.plot(t, nb_all, color="0.4", lw=1.0, label="treat all")
    ax.axhline(0, color="black", lw=1.0, label="treat none")
    ax.set(
        xlim=(0, 0.8),
        ylim=(-0.05, max(prev, 0.05) * 1.15),
        xlabel="threshold probability",
        ylabel="net benefit",
        title="Decision curve, out-of-fold",
    )
    ax.legend(fontsize=7.5)
    return fig


def plot_selection(selection: pd.DataFrame, name: str, top: int = 20) -> Figure:
    """Selection frequency across outer fits and mean importance of the top features."""
    sel = selection[selection["model"] == name].copy()
    sel = sel.sort_values(["frequency", "mean_abs_importance"], ascending=[False, False]).head(top)
    sel = sel.iloc[::-1]
    kind = str(sel["importance_kind"].iloc[0]) if len(sel) else "none"
    has_imp = kind != "none" and np.isfinite(sel["mean_importance"].to_numpy(dtype=float)).any()
    fig, axes = _subplots(
        1,
        2 if has_imp else 1,
        figsize=(10.5 if has_imp else 6.5, 0.32 * max(len(sel), 4) + 1.4),
        sharey=True,
        squeeze=False,
    )
    from radiomix.features.names import readable_name

    labels = [readable_name(str(f)) for f in sel["feature"]]
    pos = np.arange(len(sel))
    ax = axes[0, 0]
    ax.barh(pos, sel["frequency"], color=PRIMARY_COLOR)
    ax.set_yticks(pos, labels, fontsize=7.5)
    ax.set(
        xlim=(0, 1.0),
        xlabel="selection frequency (outer fits)",
        title=f"Top {len(sel)} features, {name}",
    )
    if has_imp:
        ax2 = axes[0, 1]
        mean = sel["mean_importance"].to_numpy(dtype=float)
        sd = np.nan_to_num(sel["sd_importance"].to_numpy(dtype=float))
        colors = [PRIMARY_COLOR if v >= 0 else OTHER_COLORS[0] for v in np.nan_to_num(mean)]
        ax2.barh(pos, np.nan_to_num(mean), xerr=sd, color=colors, capsize=2)
        ax2.axvline(0, color="black", lw=0.8)
        unit = " (standardised)" if kind == "coefficient" else ""
        ax2.set(xlabel=f"mean {kind}{unit} when selected, +- SD", title="Importance")
    return fig


def plot_importance(importance: pd.DataFrame, name: str, score: str, top: int = 15) -> Figure:
    """Permutation importance on the outer test folds: mean score drop +- SD across folds
    of the top features, with how often each was selected."""
    mean_all = importance["mean_importance"].to_numpy(dtype=float)
    # features never selected and never moving the score say nothing: left out
    keep = np.isfinite(mean_all) & (
        (mean_all != 0) | (importance["selection_frequency"].to_numpy(dtype=float) > 0)
    )
    imp = importance[keep].head(top).iloc[::-1]
    from radiomix.features.names import readable_name

    fig, ax = _subplots(figsize=(7.5, 0.32 * max(len(imp), 4) + 1.4))
    pos = np.arange(len(imp))
    mean = imp["mean_importance"].to_numpy(dtype=float)
    sd = np.nan_to_num(imp["sd_importance"].to_numpy(dtype=float))
    colors = [PRIMARY_COLOR if v >= 0 else OTHER_COLORS[0] for v in mean]
    ax.barh(pos, mean, xerr=sd, color=colors, capsize=2)
    ax.axvline(0, color="black", lw=0.8)
    labels = [
        f"{readable_name(str(f))} ({freq:.0%})"
        for f, freq in zip(imp["feature"], imp["selection_frequency"], strict=True)
    ]
    ax.set_yticks(pos, labels, fontsize=7.5)
    ax.set(
        xlabel=f"drop of the {score} when the feature is shuffled (mean over outer folds, +- SD)",
        title=f"Permutation importance, {name} (selected in % of the folds)",
    )
    return fig


def plot_shap(values: pd.DataFrame, summary: pd.DataFrame, scale: str, top: int = 15) -> Figure:
    """SHAP values of the final model: mean |SHAP| per feature (left) and every case's
    value as a dot coloured by the feature's value among the cases (right, a beeswarm)."""
    feats = [str(f) for f in summary["feature"].head(top)][::-1]
    from radiomix.features.names import readable_name

    fig, (ax1, ax2) = _subplots(1, 2, figsize=(11.0, 0.34 * max(len(feats), 4) + 1.4), sharey=True)
    pos = np.arange(len(feats))
    mean_abs = summary.set_index("feature").loc[feats, "mean_abs_shap"].to_numpy(dtype=float)
    ax1.barh(pos, mean_abs, color=PRIMARY_COLOR)
    ax1.set_yticks(pos, [readable_name(f) for f in feats], fontsize=7.5)
    ax1.set(xlabel=f"mean |SHAP| ({scale})", title="Final model: feature contributions")
    rng = np.random.default_rng(0)
    groups = dict(iter(values.groupby("feature", sort=False)))
    sc = None
    for k, f in enumerate(feats):
        g = groups.get(f)
        if g is None or not len(g):
            continue
        v = g["shap_value"].to_numpy(dtype=float)
        x = g["model_input"].to_numpy(dtype=float)
        lo, hi = np.nanpercentile(x, [5, 95]) if np.isfinite(x).any() else (0.0, 1.0)
        colour = np.clip((x - lo) / (hi - lo), 0, 1) if hi > lo else np.full(x.shape, 0.5)
        # jitter grows where the values crowd (a cheap beeswarm)
        hist, edges = np.histogram(v, bins=40)
        dens = hist[np.clip(np.digitize(v, edges[1:-1]), 0, 39)] / max(hist.max(), 1)
        jitter = rng.uniform(-0.35, 0.35, v.size) * dens
        sc = ax2.scatter(v, k + jitter, c=colour, cmap="coolwarm", s=7, alpha=0.8, lw=0)
    ax2.axvline(0, color="black", lw=0.8)
    ax2.set(xlabel=f"SHAP value ({scale}) per case", title="Per case (colour: feature value)")
    if sc is not None:
        cb = fig.colorbar(sc, ax=ax2, fraction=0.04, pad=0.02, ticks=[0, 1])
        cb.ax.set_yticklabels(["low", "high"], fontsize=7.5)
    return fig


def plot_shap_classes(
    values: pd.DataFrame, summary: pd.DataFrame, scale: str, top: int = 15
) -> Figure:
    """SHAP values of a final model of several classes: per feature, the mean |SHAP| of
    each class stacked (left; the bar's length is the sum over the classes, the ranking of
    ``rank_all_classes``), and in which direction the feature moves each class (right: the
    correlation of the value the model sees with the feature's SHAP value for the class over
    the cases, +1 red: a higher value raises the class's output, -1 blue: lowers it)."""
    from radiomix.features.names import readable_name

    order = summary.sort_values("rank_all_classes", kind="stable")
    feats = list(dict.fromkeys(str(f) for f in order["feature"]))[:top][::-1]
    classes = list(dict.fromkeys(str(c) for c in summary["class"]))
    table = summary.assign(feature=summary["feature"].astype(str), cls=summary["class"].astype(str))
    mean_abs = table.pivot_table(index="feature", columns="cls", values="mean_abs_shap")
    mean_abs = mean_abs.reindex(index=feats, columns=classes).fillna(0.0)
    width = max(4.0, 0.55 * len(classes) + 1.0)
    fig, (ax1, ax2) = _subplots(
        1,
        2,
        figsize=(7.0 + width, 0.34 * max(len(feats), 4) + 1.6),
        sharey=True,
        gridspec_kw={"width_ratios": [7.0, width]},
    )
    pos = np.arange(len(feats))
    left = np.zeros(len(feats))
    colors = (PRIMARY_COLOR, *OTHER_COLORS)
    for k, c in enumerate(classes):
        part = mean_abs[c].to_numpy(dtype=float)
        ax1.barh(pos, part, left=left, color=colors[k % len(colors)], label=c)
        left += part
    ax1.set_yticks(pos, [readable_name(f) for f in feats], fontsize=7.5)
    ax1.set(
        xlabel=f"mean |SHAP| ({scale}), stacked over the classes",
        title="Final model: feature contributions per class",
    )
    ax1.legend(title="class", fontsize=7.5, title_fontsize=7.5, loc="upper right")
    direction = np.full((len(feats), len(classes)), np.nan)
    v = values.assign(feature=values["feature"].astype(str), cls=values["class"].astype(str))
    for (f, c), g in v[v["feature"].isin(feats)].groupby(["feature", "cls"], sort=False):
        if c not in classes:
            continue
        x = g["model_input"].to_numpy(dtype=float)
        s = g["shap_value"].to_numpy(dtype=float)
        ok = np.isfinite(x) & np.isfinite(s)
        if ok.sum() > 2 and np.ptp(x[ok]) > 0 and np.ptp(s[ok]) > 0:
            direction[feats.index(f), classes.index(c)] = np.corrcoef(x[ok], s[ok])[0, 1]
    im = ax2.imshow(
        direction, aspect="auto", cmap="coolwarm", vmin=-1, vmax=1, interpolation="nearest"
    )
    ax2.set_xticks(np.arange(len(classes)), classes, fontsize=7.5, rotation=30)
    ax2.set(xlabel="class", title="Direction (corr. value, SHAP)")
    cb = fig.colorbar(im, ax=ax2, fraction=0.08, pad=0.03, ticks=[-1, 0, 1])
    cb.ax.tick_params(labelsize=7.5)
    return fig


def plot_forest(
    metrics: Mapping[str, Mapping[str, Any]], primary: str, key: str, label: str, chance: float
) -> Figure:
    """Forest plot of every model's headline (``key``, named ``label``) with its bootstrap
    95% CI; dotted: ``chance``."""
    names = [primary] + [n for n in metrics if n != primary]
    fig, ax = _subplots(figsize=(6.2, 0.5 * len(names) + 1.4))
    for i, n in enumerate(names[::-1]):
        m = metrics[n]
        v = m.get(key)
        ci = m.get(f"{key}_ci") or [None, None]
        color = PRIMARY_COLOR if n == primary else "0.35"
        if v is None:
            continue
        if ci[0] is not None:
            ax.plot(ci, [i, i], color=color, lw=2)
        ax.plot([v], [i], "s", color=color, ms=8)
    ax.axvline(chance, color="grey", ls=":", lw=0.9)
    ax.set_yticks(range(len(names)), names[::-1])
    ax.set(xlabel=f"{label} (median over repeats, bootstrap 95% CI)", title="Model comparison")
    return fig


def plot_model_comparison(metrics: Mapping[str, Mapping[str, Any]], primary: str) -> Figure:
    """Forest plot of every model's AUC with its bootstrap 95% CI."""
    fig = plot_forest(metrics, primary, "auc", "ROC AUC", 0.5)
    lows = [
        metrics[n]["auc_ci"][0]
        for n in metrics
        if (metrics[n].get("auc_ci") or [None])[0] is not None
    ]
    fig.axes[0].set_xlim(min([0.45, *lows]) - 0.02, 1.0)
    return fig


def plot_null(
    values: Sequence[float],
    observed: float,
    p_value: float | None,
    label: str,
    chance: float,
    short: str = "",
) -> Figure:
    """The permutation check: the headline (``label``; ``short`` in the legend) reached with
    shuffled labels, and the observed one."""
    fig, ax = _subplots(figsize=(5.6, 3.8))
    arr = np.asarray(values, dtype=float)
    ax.hist(
        arr,
        bins=max(5, min(30, arr.size)),
        color="0.6",
        edgecolor="white",
        label=f"permuted labels (n = {arr.size})",
    )
    observed_label = f"observed {short} {observed:.3f}" if short else f"observed {observed:.3f}"
    ax.axvline(observed, color=PRIMARY_COLOR, lw=2.2, label=observed_label)
    ax.axvline(chance, color="black", ls=":", lw=0.9)
    title = "Label-permutation check" + (f" (p = {p_value:.3g})" if p_value is not None else "")
    ax.set(xlabel=f"nested-CV {label}", ylabel="permutations", title=title)
    ax.legend(fontsize=7.5)
    return fig


def plot_permutation(null_aucs: Sequence[float], observed: float, p_value: float | None) -> Figure:
    """Label-permutation check: null AUC distribution and the observed AUC."""
    fig = plot_null(null_aucs, observed, p_value, "ROC AUC", 0.5, short="AUC")
    arr = np.asarray(null_aucs, dtype=float)
    fig.axes[0].set_xlim(min(0.3, arr.min(initial=0.5) - 0.05), 1.0)
    return fig


def plot_examples(cases: Sequence[Mapping[str, Any]], columns: int = 4) -> Figure:
    """Thumbnails of cases with the lesion outline, titled with the outcome of the model.

    Parameters
    ----------
    cases : sequence of mapping
        Each with ``image`` and ``mask`` (paths of 2D images readable by
        :func:`radiomix.io.read_image`), ``title`` (text above the thumbnail) and
        ``correct`` (bool: green outline and title when right, red when wrong).
    columns : int
        Thumbnails per row.
    """
    from radiomix.io import read_image

    n = max(len(cases), 1)
    rows = math.ceil(n / columns)
    fig, axes = _subplots(rows, columns, figsize=(2.7 * columns, 2.9 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, case in zip(axes.ravel(), cases, strict=False):
        image = np.asarray(read_image(str(case["image"])).array, dtype=float)
        mask = np.asarray(read_image(str(case["mask"])).array) > 0
        image, mask = image.reshape(image.shape[-2:]), mask.reshape(mask.shape[-2:])
        color = "#2a9d55" if case.get("correct") else "#c0392b"
        ax.imshow(image, cmap="gray", interpolation="antialiased")
        if mask.any() and mask.shape == image.shape:
            ax.contour(mask.astype(float), levels=[0.5], colors=[color], linewidths=1.4)
        ax.set_title(str(case.get("title", "")), fontsize=7.5, color=color)
    fig.subplots_adjust(wspace=0.05, hspace=0.3)
    return fig
