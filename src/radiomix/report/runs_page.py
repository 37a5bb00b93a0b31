"""``radiomix runs compare --html``: runs side by side on one self-contained page.

The page holds the comparison table (metrics with CIs, data fingerprints), the curves of the
runs overlaid (figures embedded as base64 PNG; no script, no link, nothing fetched) and every
setting of the runs with the ones that differ highlighted:

- two classes: the ROC curve of each run's primary model (training runs: the repeat whose
  pooled AUC is the median; evaluations: the frozen model's predictions);
- survival: Kaplan-Meier curves of each run's low- and high-risk groups (the out-of-fold
  risk groups of the first repeat) when ``predictions.csv`` holds them;
- regression: calibration (mean observed against mean predicted value per decile of the
  prediction);
- several classes: the metric table only.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from radiomix._outputs import atomic_write_text
from radiomix.learn.runs import (
    comparison_rows,
    config_differences,
    different_data_message,
    run_settings,
)
from radiomix.report.plots import OTHER_COLORS, PRIMARY_COLOR, median_repeat, roc_points, save_png

__all__ = ["compare_html", "kaplan_meier", "write_compare_html"]

COLORS = (PRIMARY_COLOR, *OTHER_COLORS)

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;
color:#1d2733;line-height:1.45;padding:0 1em}
h1{font-size:1.5em} h2{border-bottom:2px solid #1f5fa8;padding-bottom:3px;margin-top:1.6em}
table{border-collapse:collapse;margin:0.6em 0;font-size:0.9em} th,td{border:1px solid #c9d1da;
padding:4px 9px;text-align:left;vertical-align:top} th{background:#eef3f8}
tr.diff td{background:#fff1b8;font-weight:600} .muted{color:#5a6775}
.warn{background:#fde8e8;border-left:6px solid #b33a3a;padding:0.7em 1em;font-size:1.1em;font-weight:600}
figure{margin:0.6em 0;max-width:640px} figure img{width:100%;height:auto;border:1px solid #e3e8ee}
figcaption{font-size:0.85em;color:#5a6775} code{font-size:0.88em}
"""


def _primary_rows(pred: pd.DataFrame, model: str | None) -> pd.DataFrame:
    if model is not None and "model" in pred.columns:
        sub = pred[pred["model"].astype(str) == str(model)]
        if len(sub):
            return sub
    return pred


def _read_predictions(record: Mapping[str, Any]) -> pd.DataFrame | None:
    path = Path(str(record.get("path", ""))) / "predictions.csv"
    if not path.is_file():
        return None
    try:
        pred = pd.read_csv(path, low_memory=False)
    except (OSError, ValueError):
        return None
    model = (record.get("headline") or {}).get("model")
    return _primary_rows(pred, model)


def kaplan_meier(time: ArrayLike, event: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier estimate: the step times (from 0) and the survival after each step."""
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float) > 0
    times = np.unique(t[e])
    surv = []
    s = 1.0
    for u in times:
        at_risk = int((t >= u).sum())
        d = int(((t == u) & e).sum())
        if at_risk > 0:
            s *= 1.0 - d / at_risk
        surv.append(s)
    return np.r_[0.0, times], np.r_[1.0, np.asarray(surv, dtype=float)]


def _label(record: Mapping[str, Any], i: int) -> str:
    h = record.get("headline") or {}
    rid = record.get("id")
    name = f"run {i + 1}" + (f" {rid}" if rid and rid != "-" else "")
    return f"{name}: {h.get('model', '-')}"


def _roc_figure(records: Sequence[Mapping[str, Any]]) -> Figure | None:
    fig = Figure(figsize=(5.6, 5.2))
    ax = fig.subplots()
    drawn = 0
    for i, r in enumerate(records):
        if r.get("task") != "binary":
            continue
        pred = _read_predictions(r)
        if pred is None or not {"y", "probability"} <= set(pred.columns):
            continue
        if "repeat" in pred.columns and pred["repeat"].nunique() > 1:
            pred = median_repeat(pred)
        ok = pred["probability"].notna()
        y = pred.loc[ok, "y"].to_numpy(dtype=float)
        p = pred.loc[ok, "probability"].to_numpy(dtype=float)
        if y.size == 0 or y.min() == y.max():
            continue
        fpr, tpr = roc_points(y, p)
        h = r.get("headline") or {}
        auc = h.get("value")
        tag = f" (AUC {auc:.3f})" if isinstance(auc, float) else ""
        ax.plot(fpr, tpr, color=COLORS[i % len(COLORS)], lw=1.6, label=_label(r, i) + tag)
        drawn += 1
    if not drawn:
        return None
    ax.plot([0, 1], [0, 1], color="#999999", lw=0.8, ls=":")
    ax.set_xlabel("1 - specificity (false positive rate)")
    ax.set_ylabel("sensitivity (true positive rate)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("ROC curves of the primary models")
    return fig


def _km_figure(records: Sequence[Mapping[str, Any]]) -> Figure | None:
    fig = Figure(figsize=(6.4, 5.0))
    ax = fig.subplots()
    drawn = 0
    for i, r in enumerate(records):
        if r.get("task") != "survival":
            continue
        pred = _read_predictions(r)
        if pred is None or not {"time", "event", "risk_group"} <= set(pred.columns):
            continue
        if "repeat" in pred.columns:
            pred = pred[pred["repeat"] == pred["repeat"].min()]
        color = COLORS[i % len(COLORS)]
        for group, style in (("low", "-"), ("high", "--")):
            g = pred[pred["risk_group"] == group]
            if g.empty:
                continue
            t, s = kaplan_meier(g["time"].to_numpy(), g["event"].to_numpy())
            ax.step(
                t, s, where="post", color=color, ls=style, label=f"{_label(r, i)}, {group} risk"
            )
            drawn += 1
    if not drawn:
        return None
    ax.set_xlabel("time")
    ax.set_ylabel("event-free probability (Kaplan-Meier)")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    ax.set_title("Risk groups: low risk solid, high risk dashed")
    return fig


def _calibration_figure(records: Sequence[Mapping[str, Any]]) -> Figure | None:
    fig = Figure(figsize=(5.6, 5.2))
    ax = fig.subplots()
    drawn = 0
    lo, hi = np.inf, -np.inf
    for i, r in enumerate(records):
        if r.get("task") != "regression":
            continue
        pred = _read_predictions(r)
        if pred is None or not {"y", "predicted"} <= set(pred.columns):
            continue
        if "repeat" in pred.columns:
            pred = pred[pred["repeat"] == pred["repeat"].min()]
        pred = pred[["y", "predicted"]].astype(float).dropna()
        if len(pred) < 2:
            continue
        bins = min(10, len(pred))
        q = pd.qcut(pred["predicted"].rank(method="first"), bins, labels=False)
        means = pred.groupby(q).mean()
        ax.plot(
            means["predicted"],
            means["y"],
            "o-",
            color=COLORS[i % len(COLORS)],
            label=_label(r, i),
        )
        lo = min(lo, float(means.min().min()))
        hi = max(hi, float(means.max().max()))
        drawn += 1
    if not drawn:
        return None
    ax.plot([lo, hi], [lo, hi], color="#999999", lw=0.8, ls=":")
    ax.set_xlabel("mean predicted value (decile of the prediction)")
    ax.set_ylabel("mean observed value")
    ax.legend(fontsize=8)
    ax.set_title("Calibration of the primary models")
    return fig


def _img(fig: Figure, caption: str) -> str:
    b64 = base64.b64encode(save_png(fig)).decode("ascii")
    cap = html.escape(caption)
    return (
        f"<figure><img alt='{cap}' src='data:image/png;base64,{b64}'>"
        f"<figcaption>{cap}</figcaption></figure>"
    )


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], classes: Sequence[str]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        f"<tr class='{c}'>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in r) + "</tr>"
        for r, c in zip(rows, classes, strict=True)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def compare_html(records: Sequence[Mapping[str, Any]]) -> str:
    """The comparison page of ``records`` (:func:`radiomix.learn.runs.load_run`)."""
    header = ["", *[f"run {i + 1}" for i in range(len(records))]]
    parts = ["<h1>radiomix: runs compared</h1>"]
    warn = different_data_message(records)
    if warn:
        parts.append(f"<p class='warn' id='different-data'>{html.escape(warn)}</p>")
    rows = comparison_rows(records)
    parts.append("<h2>Runs and metrics</h2>")
    parts.append(
        _table(
            header,
            [[k, *v] for k, v in rows],
            ["diff" if k == "same data" and v and v[0] == "NO" else "" for k, v in rows],
        )
    )
    figs = [
        (_roc_figure(records), "ROC curves of the runs' primary models"),
        (_km_figure(records), "Kaplan-Meier curves of the risk groups"),
        (_calibration_figure(records), "Calibration of the regression runs"),
    ]
    shown = [_img(f, c) for f, c in figs if f is not None]
    parts.append("<h2>Curves</h2>")
    if shown:
        parts.extend(shown)
    else:
        parts.append(
            "<p class='muted'>No curve: these runs' tasks (or their run folders) have none to "
            "overlay; the metric table above compares them.</p>"
        )
    diffs = config_differences(records)
    parts.append("<h2>Config differences</h2>")
    if diffs:
        parts.append(
            "<p>Only the settings that differ (flattened keys such as "
            "<code>validation.outer_folds</code>):</p>"
        )
        parts.append(
            _table(
                ["key", *header[1:]],
                [[k, *("-" if v is None else v for v in vals)] for k, vals in diffs],
                ["diff"] * len(diffs),
            )
        )
    else:
        parts.append("<p>None: the runs have the same settings.</p>")
    flats = [run_settings(r) for r in records]
    keys = sorted(set().union(*flats)) if flats else []
    differing = {k for k, _ in diffs}
    parts.append("<h2>All settings</h2><p class='muted'>Differences highlighted.</p>")
    parts.append(
        _table(
            ["key", *header[1:]],
            [[k, *(f.get(k, "-") for f in flats)] for k in keys],
            ["diff" if k in differing else "" for k in keys],
        )
    )
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>radiomix: runs compared</title><style>{CSS}</style></head><body>\n"
        f"{body}\n</body></html>\n"
    )


def write_compare_html(records: Sequence[Mapping[str, Any]], out: str | Path) -> Path:
    """Write the comparison page to ``out`` (atomically); returns its path."""
    path = Path(out)
    atomic_write_text(path, compare_html(records))
    return path
