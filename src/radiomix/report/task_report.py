"""The report of a multiclass, regression or survival run (``radiomix report`` on such a
run).

:func:`radiomix.report.html.build_report` hands a run here when ``metrics.json`` names a
task other than ``binary``. Same principles as the two-class report: one self-contained
HTML file with the figures embedded (and written to ``figures/``), what the study found in
sentences first, every number out of fold. Sections: what the study found; cohort and
design; the primary model's metrics with 95% CIs (several classes: also sensitivity and
one-vs-rest AUC per class); figures (several classes: the confusion matrix and the
one-vs-rest ROC curves; regression: the calibration plot, observed against predicted, with
the residuals; survival: Kaplan-Meier curves of the risk groups split at the training median
risk with the log-rank test, the calibration at a horizon with its slope and observed /
expected events, and the time-dependent AUC);
feature selection; each group of a leave-one-group-out run (the group's headline, or a note
where it cannot be scored); the model comparison; the added value of the image of a
survival ``--compare`` run (the C-index difference with its paired bootstrap interval and
the Kaplan-Meier weighted continuous NRI at the middle horizon); the
permutation check; external evaluations; the TRIPOD+AI / CLEAR checklist (:mod:`radiomix.report.checklist`); the settings.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from radiomix.errors import ModelBundleError
from radiomix.learn.tasks import get_task
from radiomix.report import plots, sites, task_plots
from radiomix.report._page import ci as _ci
from radiomix.report._page import (
    external_section,
    final_model_rows,
    permutation_section,
    write_page,
)
from radiomix.report._page import fmt as _f
from radiomix.report._page import img as _img
from radiomix.report._page import table as _table

if TYPE_CHECKING:
    from radiomix.report.html import RunData

__all__ = ["METRIC_LABELS", "VIEWS", "TaskView", "build_task_report", "task_findings"]

METRIC_LABELS = {
    "multiclass": (
        ("macro_auc", "macro ROC AUC (one vs rest, mean over classes)"),
        ("micro_auc", "micro ROC AUC (all one-vs-rest decisions pooled)"),
        ("accuracy", "accuracy"),
        ("balanced_accuracy", "balanced accuracy (mean sensitivity)"),
        ("macro_f1", "macro F1"),
        ("brier", "Brier score (sum over classes)"),
        ("log_loss", "log loss"),
    ),
    "regression": (
        ("r2", "R² (out of fold)"),
        ("mae", "mean absolute error"),
        ("rmse", "root mean squared error"),
        ("pearson_r", "Pearson r (observed, predicted)"),
        ("mean_error", "mean error (observed - predicted)"),
        ("calibration_intercept", "calibration intercept"),
        ("calibration_slope", "calibration slope"),
    ),
    "survival": (
        ("harrell_c", "Harrell's C"),
        ("uno_c", "Uno's C (truncated at the last horizon)"),
        ("mean_auc", "time-dependent AUC, mean over the horizons"),
        ("ibs", "integrated Brier score"),
    ),
}


@dataclass(frozen=True)
class TaskView:
    """How the report shows one task: its metrics table, figures and sentences.

    A new task (survival) adds one entry to :data:`VIEWS`.
    """

    metrics: tuple[tuple[str, str], ...]
    figures: Callable[[pd.DataFrame, str, list[Any], Mapping[str, Any]], list[tuple[str, Any, str]]]
    section: str
    stratified: str
    leak_level: float
    describe: Callable[[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]], str]
    warn: Callable[[Mapping[str, Any]], str | None] = lambda pm: None
    rows: Callable[[Mapping[str, Any]], list[tuple[str, str]]] = lambda pm: []
    """Further metric rows (key, label) that depend on the run (survival: per horizon)."""
    cells: Callable[[Mapping[str, Any]], list[list[str]]] = lambda pm: []
    """Further rows of the metric table, already formatted (survival: the calibration)."""


def _regression_figures(
    med: pd.DataFrame, name: str, classes: list[Any], pm: Mapping[str, Any]
) -> list[Any]:
    return [
        (
            "calibration",
            task_plots.plot_regression_calibration(med, name),
            (
                "Calibration of the out-of-fold predictions (median repeat): observed against "
                "predicted, with the means of ten quantile bins of the prediction and their "
                "95% intervals, the least-squares recalibration line (ideal: intercept 0, "
                "slope 1, the dotted diagonal) and, below, the residuals."
            ),
        )
    ]


def _multiclass_figures(
    med: pd.DataFrame, name: str, classes: list[Any], pm: Mapping[str, Any]
) -> list[Any]:
    return [
        (
            "confusion",
            task_plots.plot_confusion_multiclass(med, name, classes),
            (
                "Confusion matrix of the median repeat (each case called as its most "
                "probable class; counts and row percentages: the diagonal is each class's "
                "sensitivity)."
            ),
        ),
        (
            "roc",
            task_plots.plot_ovr_roc(med, name, classes),
            "One-vs-rest ROC curve of every class (median repeat, out-of-fold probabilities).",
        ),
    ]


def _describe_multiclass(
    label: Mapping[str, Any], pm: Mapping[str, Any], study: Mapping[str, Any]
) -> str:
    classes = ", ".join(html.escape(str(c)) for c in label.get("classes", []))
    counts = ", ".join(str(c) for c in pm.get("class_counts") or [])
    return (
        f"Task: predict the class of <code>{html.escape(str(label.get('column')))}</code> "
        f"among {len(label.get('classes', []))} classes ({classes}; {counts} cases) from "
        f"{study.get('n_features')} features."
    )


def _describe_regression(
    label: Mapping[str, Any], pm: Mapping[str, Any], study: Mapping[str, Any]
) -> str:
    return (
        f"Task: predict the number <code>{html.escape(str(label.get('column')))}</code> "
        f"(mean {_f(label.get('mean'), 3)}, SD {_f(label.get('sd'), 3)}, range "
        f"{_f(label.get('min'), 3)} to {_f(label.get('max'), 3)}) from "
        f"{study.get('n_features')} features, {study.get('n_cases')} cases."
    )


def _survival_figures(
    med: pd.DataFrame, name: str, classes: list[Any], pm: Mapping[str, Any]
) -> list[Any]:
    out: list[Any] = []
    rg = pm.get("risk_groups") or {}
    if "risk_group" in med.columns:
        out.append(
            (
                "km_risk_groups",
                task_plots.plot_km_risk_groups(med, name, rg.get("logrank_p")),
                (
                    "Kaplan-Meier curves of the low- and high-risk groups (median repeat): each "
                    "case is called high risk when its out-of-fold risk is above the median "
                    "risk of its fold's training cases; 95% log-log bands and the log-rank "
                    "test."
                ),
            )
        )
    cal = pm.get("calibration") or {}
    if cal.get("groups"):
        out.append(
            (
                "calibration",
                task_plots.plot_survival_calibration(
                    cal["groups"], float(cal["horizon"]), name, summary=cal
                ),
                (
                    f"Calibration at {_f(cal.get('horizon'), 4)}: mean predicted event-free "
                    "probability against the Kaplan-Meier estimate in five quantile groups of "
                    "the prediction (median repeat), with the Kaplan-Meier 95% (log-log) "
                    "intervals; the dotted diagonal is ideal. The box gives the calibration "
                    "slope and observed / expected events with their bootstrap intervals."
                ),
            )
        )
    out.append(
        (
            "td_auc",
            task_plots.plot_td_auc(med, name, pm.get("horizons") or []),
            (
                "Cumulative/dynamic AUC of the out-of-fold risk score over time (median "
                "repeat); the dashed lines are the horizons."
            ),
        )
    )
    return out


def _survival_rows(pm: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for i, h in enumerate(pm.get("horizons") or []):
        rows.append((f"auc_t{i + 1}", f"time-dependent AUC at {_f(h, 4)}"))
    for i, h in enumerate(pm.get("horizons") or []):
        rows.append((f"brier_t{i + 1}", f"Brier score at {_f(h, 4)}"))
    return rows


def _survival_calibration_cells(pm: Mapping[str, Any]) -> list[list[str]]:
    """The calibration at the middle horizon as rows of the metric table."""
    cal = pm.get("calibration") or {}
    if not cal:
        return []
    at = f"at {_f(cal.get('horizon'), 4)}"
    rows = [
        ("observed_survival", f"observed event-free probability {at} (Kaplan-Meier)"),
        ("predicted_survival", f"mean predicted event-free probability {at}"),
        ("in_the_large", f"calibration in the large {at} (observed - predicted)"),
        ("observed_expected", f"observed / expected events {at}"),
        ("slope", f"calibration slope {at} (Cox model on log(-log predicted))"),
        ("error", f"mean absolute calibration error {at} (five groups, median repeat)"),
    ]
    return [[label, _ci(dict(cal), key)] for key, label in rows if key in cal]


def _describe_survival(
    label: Mapping[str, Any], pm: Mapping[str, Any], study: Mapping[str, Any]
) -> str:
    hs = ", ".join(_f(h, 4) for h in label.get("horizons") or [])
    rg = pm.get("risk_groups") or {}
    cal = pm.get("calibration") or {}
    text = (
        f"Task: predict the time to the event <code>{html.escape(str(label.get('event')))}"
        f"</code> (time <code>{html.escape(str(label.get('time')))}</code>; "
        f"{_f(label.get('n_events'))} events, {_f(label.get('n_censored'))} censored, median "
        f"event time {_f(label.get('median_event_time'), 4)}) from {study.get('n_features')} "
        f"features, {study.get('n_cases')} cases; horizons {hs} "
        f"({html.escape(str(label.get('horizons_rule')))})."
    )
    if rg:
        text += (
            f" Split at the training median risk, the high-risk group had "
            f"{_f(rg.get('events_high'))} events in {_f(rg.get('n_high'))} cases, the low-risk "
            f"group {_f(rg.get('events_low'))} in {_f(rg.get('n_low'))} (log-rank p "
            f"{_p(rg.get('logrank_p'))}, median repeat)."
        )
    if cal:
        text += (
            f" At {_f(cal.get('horizon'), 4)}, observed minus mean predicted event-free "
            f"probability {_ci(dict(cal), 'in_the_large')}, mean absolute calibration error "
            f"over five groups {_ci(dict(cal), 'error')}"
        )
        if "slope" in cal:
            text += (
                f", calibration slope {_ci(dict(cal), 'slope', 2)}, observed / expected "
                f"events {_ci(dict(cal), 'observed_expected', 2)}"
            )
        text += "."
    return text


def _warn_survival(pm: Mapping[str, Any]) -> str | None:
    cal = pm.get("calibration") or {}
    err = cal.get("error")
    if err is not None and isinstance(err, float) and err > 0.1:
        return (
            f"Calibration at {_f(cal.get('horizon'), 4)}: predicted and observed event-free "
            f"probabilities differ by {_f(err)} on average; read the risk score as a ranking "
            "rather than as probabilities."
        )
    return None


def _warn_regression(pm: Mapping[str, Any]) -> str | None:
    slope = pm.get("calibration_slope")
    if slope is not None and slope < 0.8:
        return (
            "Calibration slope below 0.8: the predictions are too spread (overfitting); "
            "shrink them before reading them as values."
        )
    return None


def _p(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return "&lt; 0.001" if v < 0.001 else f"= {v:.3f}"


VIEWS: dict[str, TaskView] = {
    "multiclass": TaskView(
        metrics=METRIC_LABELS["multiclass"],
        figures=_multiclass_figures,
        section="Classes",
        stratified="by class",
        leak_level=0.6,
        describe=_describe_multiclass,
    ),
    "regression": TaskView(
        metrics=METRIC_LABELS["regression"],
        figures=_regression_figures,
        section="Calibration",
        stratified="by quantile bins of the outcome",
        leak_level=0.1,
        describe=_describe_regression,
        warn=_warn_regression,
    ),
    "survival": TaskView(
        metrics=METRIC_LABELS["survival"],
        figures=_survival_figures,
        section="Risk groups, calibration and discrimination over time",
        stratified="by the event indicator",
        leak_level=0.6,
        describe=_describe_survival,
        warn=_warn_survival,
        rows=_survival_rows,
        cells=_survival_calibration_cells,
    ),
}
"""The report's view of each task other than binary."""


def task_findings(metrics: dict[str, Any]) -> list[str]:
    """What a multiclass or regression run found, in sentences (HTML)."""
    task = get_task(metrics["task"])
    h = task.headline
    study = metrics.get("study", {})
    label = study.get("label", {})
    pm = metrics["primary"]
    name = html.escape(str(pm.get("model")))
    view = VIEWS[task.name]
    out = [view.describe(label, pm, study)]
    ci = pm.get(f"{h}_ci") or [None, None]
    logo = study.get("validation_scheme") == "leave-one-group-out"
    how = (
        f"leave-one-group-out over the {study.get('n_groups')} groups of "
        f"{html.escape(str(study.get('group')))}, all groups' out-of-group predictions pooled"
        if logo
        else f"median over {study.get('repeats')} repeats of {study.get('outer_folds')}-fold "
        "nested cross-validation"
    )
    out.append(
        f"The primary model <b>{name}</b>: {task.headline_label} "
        f"<b>{_f(pm.get(h))}</b> (95% CI {_f(ci[0])} to {_f(ci[1])}; {how})."
    )
    scored = [r for r in pm.get("per_group") or [] if r.get(h) is not None]
    if logo and scored:
        worst = min(scored, key=lambda r: r[h])
        best = max(scored, key=lambda r: r[h])
        out.append(
            f"On a group it never saw the model scored from {_f(worst[h])} "
            f"({html.escape(str(worst['group']))}) to {_f(best[h])} "
            f"({html.escape(str(best['group']))})."
        )
    perm = metrics.get("permutation")
    better = ci[0] is not None and ci[0] > task.chance
    if perm:
        beaten = perm.get(f"{h}s") or []
        reached = sum(1 for v in beaten if v >= (pm.get(h) or math.inf))
        out.append(
            f"With shuffled labels the same procedure gives a median {task.headline_label} of "
            f"{_f(perm.get(h))} ({len(beaten)} permutations, p {_p(perm.get('p_value'))})."
        )
        better = better and reached == 0
        if (perm.get(h) or task.chance) > view.leak_level:
            out.append(
                f"<b>Warning:</b> the shuffled-label {task.headline_label} is above "
                f"{view.leak_level:g}: something outside the folds looks at the labels "
                "(leakage)."
            )
    out.append(
        "The model predicts better than chance: its interval excludes "
        f"{task.chance:g} and no permuted run reached it."
        if better
        else f"This does not show that the model predicts better than chance ({task.chance:g})."
    )
    main = (metrics.get("compare") or {}).get("combined_vs_clinical")
    if main:
        lo, hi = main.get("delta_c_ci") or [None, None]
        adds = lo is not None and math.isfinite(lo) and lo > 0
        out.append(
            f"Adding the image to the clinical variables changed Harrell's C from "
            f"{_f(main.get('c_old'))} to {_f(main.get('c_new'))}: difference "
            f"<b>{_f(main.get('delta_c'))}</b> (95% paired bootstrap CI {_f(lo)} to "
            f"{_f(hi)}); "
            + (
                "the image adds discrimination beyond the clinical variables."
                if adds
                else "this does not show that the image adds to the clinical variables."
            )
        )
        if "nri_horizon" in main:
            nlo, nhi = main.get("nri_ci") or [None, None]
            out.append(
                f"Continuous NRI at {_f(main.get('nri_horizon'), 4)} (Kaplan-Meier weighted): "
                f"<b>{_f(main.get('nri'), 2)}</b> (95% paired bootstrap CI {_f(nlo, 2)} to "
                f"{_f(nhi, 2)}; events {_f(main.get('nri_events'), 2)}, non-events "
                f"{_f(main.get('nri_nonevents'), 2)})."
            )
    for other, c in (metrics.get("comparison") or {}).items():
        out.append(
            f"Against <b>{html.escape(other)}</b>: difference {_f(c.get(f'delta_{h}'))} "
            f"(median over repeats; corrected resampled t-test p "
            f"{_p(c.get('corrected_t_p_holm'))}, Holm-adjusted)."
        )
    return out


def build_task_report(run: RunData, out_path: Path, fig_dir: Path) -> Path:
    """Write the report of a multiclass, regression or survival run (see the module
    notes)."""
    m = run.metrics
    task = get_task(m["task"])
    h = task.headline
    study = m.get("study", {})
    label = study.get("label", {})
    classes = list(label.get("classes", []))
    primary = m["primary"]["model"]
    models: dict[str, dict[str, Any]] = m.get("models", {})
    pm = models.get(primary, m["primary"])
    pred = run.predictions
    pp = pred[pred["model"] == primary]
    if pp.empty:
        raise ModelBundleError(f"predictions.csv of {run.path} has no rows for {primary!r}")
    med = task_plots.median_repeat_task(pp, task.name, classes)
    images: dict[str, tuple[bytes, str]] = {}

    def add(name: str, fig: Any, caption: str) -> None:
        images[name] = (plots.save_png(fig, fig_dir / f"{name}.png"), caption)

    view = VIEWS[task.name]
    figure_names = []
    for fig_name, fig, caption in view.figures(med, primary, classes, pm):
        add(fig_name, fig, caption)
        figure_names.append(fig_name)
    add(
        "selection",
        plots.plot_selection(run.selection, primary),
        "How often each feature reached the model across all outer fits, and its mean "
        "importance when selected.",
    )
    add(
        "model_comparison",
        plots.plot_forest(models, primary, h, task.headline_label, task.chance),
        f"{task.headline_label} of every model in the same nested cross-validation.",
    )
    from radiomix.report.html import explanation_images, explanations_section

    explanation_images(run, m.get("explanations") or {}, add, task.headline_label)
    perm = m.get("permutation")
    if perm and len(run.permutation) and h in run.permutation.columns:
        add(
            "permutation",
            plots.plot_null(
                run.permutation[h].tolist(),
                float(perm.get(f"observed_{h}", pm.get(h, task.chance))),
                perm.get("p_value"),
                task.headline_label,
                task.chance,
            ),
            "Nested CV of the primary model with randomly permuted labels; the observed value "
            "should lie far to the right.",
        )
    parts: list[str] = []
    title = html.escape(str(study.get("name", "study")))
    versions = study.get("versions", {})
    parts.append(f"<h1>radiomix study report: {title}</h1>")
    parts.append(
        f"<p class='muted' id='provenance'>Task: <b>{task.name}</b>. Created {_f(study.get('created'))} by "
        f"radiomix {_f(versions.get('radiomix'))} (scikit-learn "
        f"{_f(versions.get('scikit-learn'))}). Every number is out-of-fold: features, "
        "selection and tuning were fitted inside the training folds of a repeated nested "
        "cross-validation.</p>"
    )
    parts.append(
        "<h2 id='findings'>What this study found</h2><div class='found' id='conclusion'>"
        + "".join(
            f"<p id='task'>{t}</p>" if i == 0 else f"<p>{t}</p>"
            for i, t in enumerate(task_findings(m))
        )
        + "</div>"
    )
    cohort = [
        ("task", task.name),
        ("cases", _f(study.get("n_cases"))),
        ("label column", _f(label.get("column"))),
        (
            "group column (kept within one fold)",
            _f(study.get("group"))
            + (f" ({study.get('n_groups')} groups)" if study.get("group") else ""),
        ),
        ("feature columns", _f(study.get("n_features"))),
        ("rows dropped (missing label)", _f(study.get("n_rows_dropped_missing_label"))),
        (
            "validation",
            f"leave-one-group-out: each of {_f(study.get('n_groups'))} groups of "
            f"{_f(study.get('group'))} in turn is the test set (one repeat) x "
            f"{_f(study.get('inner_folds'))} inner folds at most, stratified " + view.stratified
            if study.get("validation_scheme") == "leave-one-group-out"
            else f"{_f(study.get('repeats'))} repeats x {_f(study.get('outer_folds'))} outer "
            f"folds x {_f(study.get('inner_folds'))} inner folds, stratified " + view.stratified,
        ),
        (
            "confidence intervals",
            f"{_f(study.get('confidence'), 2)}, {_f(study.get('bootstrap'))} bootstrap resamples",
        ),
        ("random state", _f(study.get("random_state"))),
    ]
    if classes:
        cohort.insert(
            3,
            (
                "classes (cases)",
                ", ".join(
                    f"{html.escape(str(c))} ({n})"
                    for c, n in zip(classes, pm.get("class_counts") or [], strict=False)
                ),
            ),
        )
    parts.append("<h2 id='design'>Cohort and design</h2>" + _table(["", ""], cohort))
    rows = [[lab, _ci(pm, key)] for key, lab in (*view.metrics, *view.rows(pm))]
    rows.extend(view.cells(pm))
    rows.append(
        [
            f"{task.headline_label} per outer fold, mean (SD)",
            f"{_f(pm.get(f'{h}_fold_mean'))} ({_f(pm.get(f'{h}_fold_sd'))})",
        ]
    )
    rows.extend(final_model_rows(pm))
    parts.append(
        f"<h2 id='performance'>Primary model: {html.escape(primary)}</h2>"
        f"<p>{html.escape(str(pm.get('description', '')))}</p>"
        + _table(["metric", "median over repeats [95% CI]"], rows)
    )
    if classes:
        crow = [
            [
                html.escape(str(c)),
                _f(v.get("n_cases")),
                _ci(v, "sensitivity"),
                _ci(v, "auc"),
            ]
            for c, v in (pm.get("per_class") or {}).items()
        ]
        parts.append(
            "<h3 id='per-class'>Per class</h3>"
            + _table(["class", "cases", "sensitivity [95% CI]", "one-vs-rest AUC [95% CI]"], crow)
        )
    warning = view.warn(pm)
    if warning:
        parts.append(f"<p class='warn'>{warning}</p>")
    parts.append(
        f"<h2 id='task-figures'>{view.section}</h2><div class='figs'>"
        + "".join(_img(k, *images[k]) for k in figure_names)
        + "</div>"
    )
    harm = (m.get("study") or {}).get("harmonise")
    if harm:
        parts.append("<h2 id='sites-harmonised'>Sites</h2>" + sites.harmonise_paragraph(harm))
    parts.append(_groups_section(pm, h, task.headline_label))
    parts.append(_survival_compare_section(m))
    parts.append(
        "<h2 id='selection'>Feature selection</h2><div class='figs'>"
        + _img("selection", *images["selection"])
        + "</div>"
    )
    parts.append(explanations_section(run, m.get("explanations") or {}, images))
    comp = m.get("comparison", {})
    keys = [k for k, _ in view.metrics][:4]
    labels = dict(view.metrics)
    mrow = []
    for name, mm in models.items():
        c = comp.get(name, {})
        mrow.append(
            [html.escape(name) + (" (primary)" if name == primary else "")]
            + [_ci(mm, k) for k in keys]
            + [
                ""
                if name == primary
                else f"{_f(c.get(f'delta_{h}'))} (corrected t p {_p(c.get('corrected_t_p_holm'))})"
            ]
        )
    parts.append(
        "<h2 id='comparison'>Model comparison</h2>"
        + _table(
            [
                "model",
                *[labels[k] for k in keys],
                f"primary minus model: {task.headline_label} (p)",
            ],
            mrow,
        )
        + "<div class='figs'>"
        + _img("model_comparison", *images["model_comparison"])
        + "</div>"
    )
    if "permutation" in images and perm:
        parts.append(permutation_section(perm, h, task.headline_label, images["permutation"]))
    if run.external:
        parts.append(
            external_section(
                run.external,
                ["cases", *[labels[k] for k in keys]],
                lambda p_m: [_f(p_m.get("n_cases")), *[_ci(p_m, k) for k in keys]],
            )
        )
    parts.append("<h2 id='settings'>Settings</h2><pre>" + html.escape(run.config_text) + "</pre>")
    return write_page(run, parts, title, out_path)


def _groups_section(pm: Mapping[str, Any], h: str, label: str) -> str:
    """Each group of a leave-one-group-out run: its cases, headline and note; else the
    per-site scores of a harmonised k-fold run ("" if neither)."""
    rows_in = pm.get("per_group") or []
    site_rows = pm.get("per_site") or []
    if not rows_in and site_rows:
        srows = [[_f(r.get("site")), _f(r.get("n_cases")), _f(r.get(h))] for r in site_rows]
        return (
            "<h2 id='sites'>Per site</h2><p>Out-of-fold predictions of each site's cases "
            f"(median over repeats; ComBat fitted on the training folds): {html.escape(label)}."
            "</p>" + _table(["site", "cases", html.escape(label)], srows, "per-site")
        )
    if not rows_in:
        return ""
    rows = []
    for r in rows_in:
        if "n_events" in r:
            what = f"{_f(r.get('n_events'))} events"
        elif "class_counts" in r:
            what = ", ".join(
                f"{html.escape(str(c))} {n}" for c, n in (r.get("class_counts") or {}).items()
            )
        else:
            what = (
                f"mean {_f(r.get('outcome_mean'), 3)}, mean error (observed - predicted) "
                f"{_f(r.get('mean_error'), 3)}"
            )
        rows.append(
            [_f(r.get("group")), _f(r.get("n_cases")), what, _f(r.get(h)), _f(r.get("note"))]
        )
    return (
        "<h2 id='groups'>Per group (leave-one-group-out)</h2><p>Each group was predicted by "
        f"a model trained on the other groups only (its ComBat too, with --harmonise): "
        f"{html.escape(label)} of each group's cases. A group with one class, no event or "
        "too few cases cannot be scored, or only in part: the note says so.</p>"
        + _table(["group", "cases", "outcome", html.escape(label), "note"], rows, "per-group")
    )


def _survival_compare_section(m: Mapping[str, Any]) -> str:
    """The added value of the image in a survival --compare run ("" if none)."""
    comp = m.get("compare")
    if not comp or m.get("task") != "survival":
        return ""
    rows = []
    with_nri = any("nri_horizon" in c for c in comp.values())
    horizon = next((c["nri_horizon"] for c in comp.values() if "nri_horizon" in c), None)
    for c in comp.values():
        lo, hi = c.get("delta_c_ci") or [None, None]
        pb = c.get("p_bootstrap")
        row = [
            f"{html.escape(str(c['new']))} vs {html.escape(str(c['old']))}",
            _f(c.get("c_new")),
            _f(c.get("c_old")),
            f"{_f(c.get('delta_c'))} [{_f(lo)}, {_f(hi)}]",
            "-" if pb is None else _p(pb).removeprefix("= "),
        ]
        if with_nri:
            nlo, nhi = c.get("nri_ci") or [None, None]
            row += [
                f"{_f(c.get('nri'), 2)} [{_f(nlo, 2)}, {_f(nhi, 2)}]",
                f"{_f(c.get('nri_events'), 2)} / {_f(c.get('nri_nonevents'), 2)}",
            ]
        rows.append(row)
    head = [
        "models",
        "Harrell's C (first)",
        "Harrell's C (second)",
        "difference [95% paired bootstrap CI]",
        "bootstrap p",
    ]
    if with_nri:
        head += [
            f"continuous NRI at {_f(horizon, 4)} [95% CI]",
            "NRI events / non-events",
        ]
    nri_note = (
        " NRI: the continuous net reclassification improvement at the middle horizon from "
        "the predicted event-free probabilities (a case moves up when the first model "
        "gives it more risk of the event by then), the event and non-event shares "
        "Kaplan-Meier weighted (Pencina et al. 2011); median over repeats, interval from "
        "the same resamples. It counts only the direction of each change, so read it beside "
        "the C difference."
        if with_nri
        else ""
    )
    return (
        "<h2 id='compare'>Added value of the image</h2>"
        + _table(head, rows, "compare")
        + "<p class='muted'>The three models (clinical columns alone, radiomic features "
        "alone, both) were trained on the same outer splits. Harrell's C of the pooled "
        "out-of-fold risk scores, median over repeats; the interval resamples the cases "
        "(stratified by the event), the same resamples scoring both models, so it is paired. "
        "It holds the fitted models fixed: it does not cover the variation of training."
        + nri_note
        + "</p>"
    )
