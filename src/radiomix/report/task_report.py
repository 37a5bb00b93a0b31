"""How the report shows each task: the views that fill the page's sections.

:func:`radiomix.report.html.build_report` lays out one page for every task; the task's
:class:`TaskView` in :data:`VIEWS` fills what differs. Two classes (:class:`BinaryView`):
the findings of :mod:`radiomix.report.findings` with the small-cohort and failed-model
warnings; the DeLong interval and the folds' thresholds; ROC with its bootstrap band and the
operating point, precision-recall, calibration, decision curve, confusion matrix and, for a
BUSI study, example images with their outlines (the most confident errors first); the sites
and per-site AUCs after the metrics; the paired DeLong test in the comparison and the added
value of the image after it. Several classes: also sensitivity and one-vs-rest AUC per
class; the confusion matrix and the one-vs-rest ROC curves. Regression: the calibration
plot, observed against predicted, with the residuals. Survival: Kaplan-Meier curves of the
risk groups split at the training median risk with the log-rank test, the calibration at a
horizon with its slope and observed / expected events, and the time-dependent AUC. For these
three, after the figures: the harmonised sites, each group of a leave-one-group-out run (the
group's headline, or a note where it cannot be scored) and the added value of the image of a
survival ``--compare`` run (the C-index difference with its paired bootstrap interval and the
Kaplan-Meier weighted continuous NRI at the middle horizon).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from radiomix.learn.tasks import get_task
from radiomix.report import findings, plots, sites, task_plots
from radiomix.report._page import ci as _ci
from radiomix.report._page import fmt as _f
from radiomix.report._page import table as _table

if TYPE_CHECKING:
    from radiomix.report.html import Page

__all__ = ["METRIC_LABELS", "VIEWS", "BinaryView", "TaskView", "task_findings"]

METRIC_LABELS = {
    "binary": (
        ("auc", "ROC AUC"),
        ("pr_auc", "PR AUC (average precision)"),
        ("balanced_accuracy", "balanced accuracy"),
        ("sensitivity", "sensitivity"),
        ("specificity", "specificity"),
        ("ppv", "PPV"),
        ("npv", "NPV"),
        ("accuracy", "accuracy"),
        ("f1", "F1"),
        ("mcc", "MCC"),
        ("brier", "Brier score"),
        ("calibration_intercept", "calibration intercept"),
        ("calibration_slope", "calibration slope"),
    ),
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


def _design_rows(study: Mapping[str, Any], stratified: str) -> dict[str, tuple[str, str]]:
    """The rows every task's cohort and design table has, in their order (``stratified``:
    how the folds are stratified, '' to leave it unsaid)."""
    group = study.get("group")
    validation = sites.validation_text(study) or (
        f"{_f(study.get('repeats'))} repeats x {_f(study.get('outer_folds'))} outer folds x "
        f"{_f(study.get('inner_folds'))} inner folds"
    )
    return {
        "cases": ("cases", _f(study.get("n_cases"))),
        "label": ("label column", _f((study.get("label") or {}).get("column"))),
        "group": (
            "group column (kept within one fold)",
            _f(group) + (f" ({study.get('n_groups')} groups)" if group else ""),
        ),
        "features": ("feature columns", _f(study.get("n_features"))),
        "dropped": ("rows dropped (missing label)", _f(study.get("n_rows_dropped_missing_label"))),
        "validation": (
            "validation",
            validation + (f", stratified {stratified}" if stratified else ""),
        ),
        "intervals": (
            "confidence intervals",
            f"{_f(study.get('confidence'), 2)}, {_f(study.get('bootstrap'))} bootstrap resamples",
        ),
        "random_state": ("random state", _f(study.get("random_state"))),
    }


def _no_figures(
    med: pd.DataFrame, name: str, classes: list[Any], pm: Mapping[str, Any]
) -> list[tuple[str, Any, str]]:
    return []


@dataclass(frozen=True)
class TaskView:
    """How the report shows one task: what fills each section of the page.

    :func:`radiomix.report.html.build_report` lays out the page, one order of sections for
    every task, and asks the view for what differs; the methods are these pieces in page
    order. Their defaults are the multiclass, regression and survival pages', read from the
    fields (a new task adds one entry to :data:`VIEWS`); :class:`BinaryView` overrides them
    for two classes and reads only ``metrics`` and ``warn`` of the fields.
    """

    metrics: tuple[tuple[str, str], ...]
    figures: Callable[
        [pd.DataFrame, str, list[Any], Mapping[str, Any]], list[tuple[str, Any, str]]
    ] = _no_figures
    """The task's own figures (name, figure, caption) from the median repeat."""
    section: str = ""
    stratified: str = ""
    leak_level: float = math.nan
    describe: Callable[[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]], str] = (
        lambda label, pm, study: ""
    )
    warn: Callable[[Mapping[str, Any]], str | None] = lambda pm: None
    """A warning under the metrics (None: none)."""
    rows: Callable[[Mapping[str, Any]], list[tuple[str, str]]] = lambda pm: []
    """Further metric rows (key, label) that depend on the run (survival: per horizon)."""
    cells: Callable[[Mapping[str, Any]], list[list[str]]] = lambda pm: []
    """Further rows of the metric table, already formatted (survival: the calibration)."""

    fitted: ClassVar[str] = "features, selection and tuning"
    """What the provenance line says was fitted inside the training folds."""
    lines: ClassVar[bool] = False
    """A section's heading and table, note and figure each on a line of its own in the HTML
    (the two-class page), not on one line."""
    selection_caption: ClassVar[str] = (
        "How often each feature reached the model across all outer fits, and its mean "
        "importance when selected."
    )
    comparison_note: ClassVar[str] = ""
    """A note under the model comparison table."""

    def lead(self, page: Page) -> str:
        """What the provenance line says before the date."""
        return f"Task: <b>{page.task.name}</b>. "

    def findings(self, page: Page) -> str:
        """The block of what the study found, in sentences."""
        return (
            "<div class='found' id='conclusion'>"
            + "".join(
                f"<p id='task'>{t}</p>" if i == 0 else f"<p>{t}</p>"
                for i, t in enumerate(task_findings(page.metrics))
            )
            + "</div>"
        )

    def notes(self, page: Page) -> list[str]:
        """Warnings under the findings."""
        return []

    def cohort(self, page: Page) -> list[tuple[str, str]]:
        """The rows of the cohort and design table."""
        rows = [("task", page.task.name), *_design_rows(page.study, self.stratified).values()]
        classes = list(page.label.get("classes", []))
        if classes:
            counts = page.pm.get("class_counts") or []
            rows.insert(
                3,
                (
                    "classes (cases)",
                    ", ".join(
                        f"{html.escape(str(c))} ({n})"
                        for c, n in zip(classes, counts, strict=False)
                    ),
                ),
            )
        return rows

    def metric_rows(self, page: Page) -> list[list[str]]:
        """The primary model's metric rows (the final model's follow)."""
        pm, h = page.pm, page.task.headline
        rows = [[lab, _ci(pm, key)] for key, lab in (*self.metrics, *self.rows(pm))]
        rows.extend(self.cells(pm))
        rows.append(
            [
                f"{page.task.headline_label} per outer fold, mean (SD)",
                f"{_f(pm.get(f'{h}_fold_mean'))} ({_f(pm.get(f'{h}_fold_sd'))})",
            ]
        )
        return rows

    def after_metrics(self, page: Page) -> list[str]:
        """Sections under the metric table (several classes: per class)."""
        if not page.label.get("classes"):
            return []
        crow = [
            [html.escape(str(c)), _f(v.get("n_cases")), _ci(v, "sensitivity"), _ci(v, "auc")]
            for c, v in (page.pm.get("per_class") or {}).items()
        ]
        return [
            "<h3 id='per-class'>Per class</h3>"
            + _table(["class", "cases", "sensitivity [95% CI]", "one-vs-rest AUC [95% CI]"], crow)
        ]

    def images(self, page: Page) -> Iterable[tuple[str, Any, str]]:
        """The task's own figures: name, figure, caption."""
        classes = list(page.label.get("classes", []))
        med = task_plots.median_repeat_task(page.pred, page.task.name, classes)
        return self.figures(med, page.primary, classes, page.pm)

    def figure_groups(self, page: Page) -> list[tuple[str, Sequence[str]]]:
        """The task's figures as the page shows them: a heading and the figures under it
        (a group none of whose figures was drawn is left out)."""
        return [(f"<h2 id='task-figures'>{self.section}</h2>", page.own)]

    def after_figures(self, page: Page) -> list[str]:
        """Sections under the figures: the harmonised sites, the groups of a
        leave-one-group-out run (or the sites' scores), the added value of the image."""
        out = []
        harm = page.study.get("harmonise")
        if harm:
            out.append("<h2 id='sites-harmonised'>Sites</h2>" + sites.harmonise_paragraph(harm))
        out.append(_groups_section(page.pm, page.task.headline, page.task.headline_label))
        out.append(_survival_compare_section(page.metrics))
        return out

    def selection_table(self, page: Page) -> str:
        """The table under the selection figure ('' for none)."""
        return ""

    def comparison_figure(self, page: Page) -> tuple[Any, str]:
        """Every model's headline with its interval, and the caption."""
        t = page.task
        return (
            plots.plot_forest(page.models, page.primary, t.headline, t.headline_label, t.chance),
            f"{t.headline_label} of every model in the same nested cross-validation.",
        )

    def permutation_figure(self, page: Page, perm: Mapping[str, Any]) -> tuple[Any, str]:
        """The headlines of the permuted-label runs against the observed one, and the
        caption."""
        t, h = page.task, page.task.headline
        return (
            plots.plot_null(
                page.run.permutation[h].tolist(),
                float(perm.get(f"observed_{h}", page.pm.get(h, t.chance))),
                perm.get("p_value"),
                t.headline_label,
                t.chance,
            ),
            (
                "Nested CV of the primary model with randomly permuted labels; the observed value "
                "should lie far to the right."
            ),
        )

    def comparison_table(self, page: Page) -> tuple[list[str], list[list[str]]]:
        """The model comparison table: header and rows."""
        h, label = page.task.headline, page.task.headline_label
        comp = page.metrics.get("comparison", {})
        shown = self.metrics[:4]
        rows = [
            [html.escape(name) + (" (primary)" if name == page.primary else "")]
            + [_ci(mm, k) for k, _ in shown]
            + [
                ""
                if name == page.primary
                else f"{_f(comp.get(name, {}).get(f'delta_{h}'))} (corrected t p "
                f"{_p(comp.get(name, {}).get('corrected_t_p_holm'))})"
            ]
            for name, mm in page.models.items()
        ]
        return ["model", *[lab for _, lab in shown], f"primary minus model: {label} (p)"], rows

    def after_comparison(self, page: Page) -> list[str]:
        """Sections under the model comparison."""
        return []

    def null_label(self, page: Page) -> str:
        """The headline's name in the permutation check's sentence."""
        return page.task.headline_label

    def external_columns(
        self, page: Page
    ) -> tuple[list[str], Callable[[Mapping[str, Any]], list[str]]]:
        """The external validation table's columns: their names and the cells of an
        evaluation's primary model."""
        shown = self.metrics[:4]
        return (
            ["cases", *[lab for _, lab in shown]],
            lambda p_m: [_f(p_m.get("n_cases")), *[_ci(p_m, k) for k, _ in shown]],
        )


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


def _ends(interval: Any) -> list[Any]:
    """An interval's two ends (None where missing)."""
    return [*(interval or []), None, None][:2]


def _warn_binary(pm: Mapping[str, Any]) -> str | None:
    slope = pm.get("calibration_slope")
    if slope is not None and slope < 0.8:
        return (
            "Calibration slope below 0.8: the predicted probabilities are too extreme "
            "(overfitting); recalibrate before using them as risks."
        )
    if slope is not None and slope > 1.25:
        return (
            "Calibration slope above 1.25: the predicted probabilities are too moderate "
            "(strong regularisation); the ranking (AUC) is unaffected, but recalibrate before "
            "using them as risks."
        )
    return None


@dataclass(frozen=True)
class BinaryView(TaskView):
    """How the report shows two classes (see the module notes)."""

    fitted: ClassVar[str] = "features, selection, tuning and the decision threshold"
    lines: ClassVar[bool] = True
    selection_caption: ClassVar[str] = (
        "How often each feature reached the classifier across all outer fits (selection is "
        "refitted in every training fold), and its mean importance when selected."
    )
    comparison_note: ClassVar[str] = (
        "<p class='muted'>DeLong p: median over repeats of the paired DeLong test on pooled "
        "out-of-fold predictions; corrected t p: Nadeau-Bengio corrected resampled t-test over "
        "the outer folds, Holm-adjusted over comparators. Choosing the best of several models "
        "by these numbers is itself optimistic; the primary model is the pre-registered "
        "one.</p>"
    )

    def lead(self, page: Page) -> str:
        return ""

    def findings(self, page: Page) -> str:
        context, m = page.context, page.metrics
        found = [
            f"<p id='task'>{context.task}</p>",
            f"<p id='data'>{context.data}</p>",
            "<p id='cohort-flow'>Cohort: " + " ".join(context.cohort_flow) + "</p>",
        ]
        if context.extraction:
            found.append(f"<p id='extraction'>{context.extraction}</p>")
        conclusion = findings.conclusion(
            m, page.failed, context.positive_name, context.negative_name
        )
        found.append(
            "<div id='conclusion'>" + "".join(f"<p>{t}</p>" for t in conclusion) + "</div>"
        )
        folds = page.run.folds[page.run.folds["model"] == page.primary]
        note = findings.headline_note(page.pm, folds, int(page.study.get("n_cases") or 0))
        found.append(f"<p id='headline'>{note}</p>")
        return "<div class='found'>" + "".join(found) + "</div>"

    def notes(self, page: Page) -> list[str]:
        out = []
        small = findings.small_cohort_note(page.metrics, page.context.adjustments)
        if small:
            out.append(f"<p class='warn' id='small-cohort'>{small}</p>")
        for name, why in page.failed.items():
            out.append(
                f"<p class='warn failed-model'>{html.escape(name)} failed: {html.escape(why)}. "
                "It is left out of the figures, and its numbers in the comparison table are not "
                "a result.</p>"
            )
        return out

    def cohort(self, page: Page) -> list[tuple[str, str]]:
        study = page.study
        pos, neg = page.context.positive_name, page.context.negative_name
        shared = _design_rows(study, "")
        rows = [
            shared["cases"],
            (f"positive ({html.escape(pos)})", _f(study.get("n_positive"))),
            (
                f"negative ({html.escape(neg)})",
                _f((study.get("n_cases") or 0) - (study.get("n_positive") or 0)),
            ),
            ("positive class chosen by", _f(page.label.get("rule"))),
            shared["label"],
            shared["group"],
            shared["features"],
            shared["dropped"],
            ("infinite values (treated as missing)", _f(study.get("n_infinite_values"))),
            shared["validation"],
            ("threshold rule", _f(study.get("threshold_rule"))),
            shared["intervals"],
            ("robustness (ICC) table", _f(study.get("robustness_table"))),
            shared["random_state"],
        ]
        folds = page.run.folds[page.run.folds["model"] == page.primary]
        if len(folds):
            tests, cases = folds["n_positive_test"], folds["n_test"]
            rows.append(
                (
                    "positives per outer test fold",
                    f"{tests.min()} to {tests.max()} (of {cases.min()} to {cases.max()} cases)",
                )
            )
        return rows

    def metric_rows(self, page: Page) -> list[list[str]]:
        pm = page.pm
        delong = _ends(pm.get("auc_ci_delong"))
        low, high = _ends(pm.get("threshold_range"))
        rows = [[lab, _ci(pm, key)] for key, lab in self.metrics]
        rows[1:1] = [
            [
                "ROC AUC, DeLong 95% CI (median repeat)",
                f"[{_f(delong[0])}, {_f(delong[1])}]",
            ],
            [
                "ROC AUC per outer fold, mean (SD): not the headline (see the summary)",
                f"{_f(pm.get('auc_fold_mean'))} ({_f(pm.get('auc_fold_sd'))})",
            ],
        ]
        rows.append(
            [
                "decision threshold, median over folds (range)",
                f"{_f(pm.get('threshold'))} ({_f(low)} to {_f(high)})",
            ]
        )
        return rows

    def after_metrics(self, page: Page) -> list[str]:
        return [sites.sites_section(page.metrics)]

    def images(self, page: Page) -> Iterator[tuple[str, Any, str]]:
        primary, models, pm, med = page.primary, page.models, page.pm, page.pred
        failed = page.failed
        # a comparator that failed is flagged in the text, not drawn as a result
        others = {
            n: g
            for n, g in page.run.predictions.groupby("model", sort=False)
            if n != primary and n not in failed
        }
        pos, neg = page.context.positive_name, page.context.negative_name
        yield (
            "roc",
            plots.plot_roc(med, primary, models, others),
            (
                "ROC of pooled out-of-fold predictions: thin lines one per repeat, bold the median "
                "repeat (its AUC is the headline, median over repeats) with its 95% bootstrap "
                "band; dashed: comparators. Circle: the operating point of the median repeat, each "
                "case called at the threshold chosen inside the training part of its fold. As the "
                "folds' thresholds differ, the point lies on the dotted curve (the same predictions "
                "as every fold's threshold is moved by the same amount), which coincides with the "
                "bold one when all folds chose the same threshold. The metrics table gives the "
                "median over repeats instead of this one repeat."
            ),
        )
        yield (
            "pr",
            plots.plot_pr(med, primary, models, others),
            "Precision-recall of the median repeat; dotted: prevalence (a random model).",
        )
        yield (
            "calibration",
            plots.plot_calibration(med, primary, pm),
            (
                "Calibration of the out-of-fold probabilities (median repeat): ideal is the "
                "diagonal, intercept 0 and slope 1; bottom: predicted probabilities by class."
            ),
        )
        yield (
            "confusion",
            plots.plot_confusion(med, primary, neg, pos),
            (
                "Confusion matrix of the median repeat at the thresholds chosen inside the training "
                "folds (counts and row percentages)."
            ),
        )
        yield (
            "decision_curve",
            plots.plot_decision_curve(med, primary, others),
            (
                "Decision curve: net benefit of acting on the model's prediction at each threshold "
                "probability, against acting for all or for none."
            ),
        )
        manifest = page.context.manifest
        if manifest is None or not {"image", "mask"} <= set(manifest.columns):
            return
        examples = [
            e
            for e in findings.example_cases(med, manifest, pos, neg)
            if Path(e["image"]).is_file() and Path(e["mask"]).is_file()
        ]
        if examples:
            yield (
                "examples",
                plots.plot_examples(examples),
                (
                    "Cases of the median repeat with their lesion outlines: the most confident "
                    "errors first (red; probability furthest on the wrong side of its fold's "
                    "threshold), then the most confident correct calls (green). p: out-of-fold "
                    "probability of the positive class; t: the threshold of the fold that predicted "
                    "it."
                ),
            )

    def figure_groups(self, page: Page) -> list[tuple[str, Sequence[str]]]:
        return [
            ("", ("roc", "pr")),
            (
                "<h2 id='calibration'>Calibration and clinical usefulness</h2>",
                ("calibration", "decision_curve", "confusion"),
            ),
            ("<h2>Example images</h2>", ("examples",)),
        ]

    def after_figures(self, page: Page) -> list[str]:
        return []

    def selection_table(self, page: Page) -> str:
        from radiomix.features.names import describe_column

        rows = []
        for r in (
            page.run.selection[page.run.selection["model"] == page.primary].head(15).itertuples()
        ):
            desc = describe_column(str(r.feature))
            rows.append(
                [
                    html.escape(desc.readable if desc else str(r.feature)),
                    f"<code>{html.escape(str(r.feature))}</code>",
                    html.escape((desc.spec.ibsi_code or "not in IBSI") if desc else "-"),
                    _f(r.frequency, 2),
                    _f(r.mean_importance),
                    _f(r.sd_importance),
                    "yes" if bool(r.final_selected) else "",
                ]
            )
        return _table(
            [
                "feature",
                "column",
                "IBSI code",
                "selection frequency",
                "mean importance",
                "SD",
                "in final model",
            ],
            rows,
        )

    def comparison_figure(self, page: Page) -> tuple[Any, str]:
        failed = page.failed
        shown = {n: mm for n, mm in page.models.items() if n not in failed or n == page.primary}
        return (
            plots.plot_model_comparison(shown, page.primary),
            "ROC AUC of every model in the same nested cross-validation (same splits).",
        )

    def permutation_figure(self, page: Page, perm: Mapping[str, Any]) -> tuple[Any, str]:
        return (
            plots.plot_permutation(
                page.run.permutation["auc"].tolist(),
                float(perm.get("observed_auc", page.pm.get("auc", 0.5))),
                perm.get("p_value"),
            ),
            (
                "Nested CV of the primary model with randomly permuted labels: the AUCs an "
                "unrelated label reaches; the observed AUC should lie far to the right."
            ),
        )

    def comparison_table(self, page: Page) -> tuple[list[str], list[list[str]]]:
        comp, failed, primary = page.metrics.get("comparison", {}), page.failed, page.primary
        rows = []
        for name, mm in page.models.items():
            shown = html.escape(name) + (" (primary)" if name == primary else "")
            if name in failed:
                why = f"<span class='failed'>failed: {html.escape(failed[name])}</span>"
                rows.append([shown, why, *([""] * 7)])
                continue
            c = comp.get(name, {})
            rows.append(
                [
                    shown,
                    *(_ci(mm, k) for k in ("auc", "pr_auc", "balanced_accuracy")),
                    *(_ci(mm, k) for k in ("sensitivity", "specificity", "brier")),
                    _f(mm.get("calibration_slope"), 2),
                    ""
                    if name == primary
                    else f"{_f(c.get('delta_auc'))} (DeLong p {_f(c.get('delong_p_median'), 3)}; "
                    f"corrected t p {_f(c.get('corrected_t_p_holm'), 3)})",
                ]
            )
        header = [
            "model",
            "ROC AUC",
            "PR AUC",
            "balanced accuracy",
            "sensitivity",
            "specificity",
            "Brier",
            "cal. slope",
            "primary minus model: AUC (p)",
        ]
        return header, rows

    def after_comparison(self, page: Page) -> list[str]:
        out = [sites.compare_section(page.metrics)]
        skipped = page.metrics.get("skipped") or {}
        if skipped:
            out.append(
                "<p>Skipped: "
                + "; ".join(f"{html.escape(k)}: {html.escape(str(v))}" for k, v in skipped.items())
                + "</p>"
            )
        return out

    def null_label(self, page: Page) -> str:
        return "AUC"

    def external_columns(
        self, page: Page
    ) -> tuple[list[str], Callable[[Mapping[str, Any]], list[str]]]:
        header = ["cases", "positive", "ROC AUC", "sensitivity", "specificity"]
        return (
            [*header, "cal. intercept", "cal. slope"],
            lambda p_m: [
                _f(p_m.get("n_cases")),
                _f(p_m.get("n_positive")),
                *(_ci(p_m, k) for k in ("auc", "sensitivity", "specificity")),
                _f(p_m.get("calibration_intercept"), 2),
                _f(p_m.get("calibration_slope"), 2),
            ],
        )


VIEWS: dict[str, TaskView] = {
    "binary": BinaryView(metrics=METRIC_LABELS["binary"], warn=_warn_binary),
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
"""The report's view of each task."""


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
