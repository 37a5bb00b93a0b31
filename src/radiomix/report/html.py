"""The study report: one self-contained HTML file (and the PNGs) from a run directory.

:func:`build_report` reads what ``radiomix train`` wrote (``metrics.json``,
``predictions.csv``, ``selection.csv``, ``folds.csv``, ``permutation.csv``, ``config.yaml``
and any ``external-*/`` evaluations) and writes ``report.html`` with every figure embedded as
a base64 PNG (no file beside it is needed to view it, nothing is fetched from the network),
plus the same figures as PNG files in ``figures/``. It never trains anything.

One page for every task: :func:`build_report` lays out the sections in one order and the
task's view (:data:`radiomix.report.task_report.VIEWS`) fills what differs by task. The
sections: what the study found, in sentences (:mod:`radiomix.report.findings` for two
classes); cohort and design; the primary model's metrics with 95% CIs; the task's figures
(two classes: ROC, precision-recall, calibration, decision curve, confusion matrix and, for
a BUSI study, example images), with the sites, groups and added value of the image where
the run has them; feature selection under readable names; permutation importance and SHAP
values; the model comparison table and plot (a comparator that failed is flagged, not
listed as a result); the label-permutation check; external validations; the TRIPOD+AI /
CLEAR checklist (:mod:`radiomix.report.checklist`, also ``checklist.csv``); the resolved
settings.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from radiomix.errors import ModelBundleError
from radiomix.report import plots
from radiomix.report._page import (
    external_section,
    final_model_rows,
    permutation_section,
    write_page,
)
from radiomix.report._page import fmt as _fmt
from radiomix.report._page import img as _img
from radiomix.report._page import table as _table

if TYPE_CHECKING:
    from radiomix.learn.tasks import Task
    from radiomix.report.findings import StudyContext

__all__ = ["Page", "RunData", "build_report", "load_run"]

FIGURES = (
    "roc",
    "pr",
    "calibration",
    "confusion",
    "decision_curve",
    "selection",
    "model_comparison",
    "permutation",
    "importance",
    "shap",
)


@dataclass
class RunData:
    """The files of a run directory, read."""

    path: Path
    metrics: dict[str, Any]
    predictions: pd.DataFrame
    selection: pd.DataFrame
    folds: pd.DataFrame
    permutation: pd.DataFrame
    config_text: str
    external: dict[str, dict[str, Any]]
    importance: pd.DataFrame | None = None
    shap: pd.DataFrame | None = None
    shap_values: pd.DataFrame | None = None


def load_run(run_dir: str | Path) -> RunData:
    """Read a run directory written by ``radiomix train``."""
    path = Path(run_dir)
    if not (path / "metrics.json").is_file():
        raise ModelBundleError(
            f"{path} is not a run directory (no metrics.json); run radiomix train first"
        )
    need = ("predictions.csv", "selection.csv", "folds.csv")
    missing = [n for n in need if not (path / n).is_file()]
    if missing:
        raise ModelBundleError(f"run directory {path} is incomplete: missing {', '.join(missing)}")
    metrics = json.loads((path / "metrics.json").read_text(encoding="utf-8"))
    perm = path / "permutation.csv"
    permutation = (
        pd.read_csv(perm) if perm.is_file() and perm.stat().st_size > 0 else pd.DataFrame()
    )
    external = {}
    for sub in sorted(path.glob("external*/metrics.json")):
        external[sub.parent.name] = json.loads(sub.read_text(encoding="utf-8"))
    cfg = path / "config.yaml"

    def optional(name: str) -> pd.DataFrame | None:
        f = path / name
        return pd.read_csv(f) if f.is_file() and f.stat().st_size > 0 else None

    return RunData(
        path=path,
        metrics=metrics,
        predictions=pd.read_csv(path / "predictions.csv", low_memory=False),
        selection=pd.read_csv(path / "selection.csv"),
        folds=pd.read_csv(path / "folds.csv"),
        permutation=permutation,
        config_text=cfg.read_text(encoding="utf-8") if cfg.is_file() else "",
        external=external,
        importance=optional("importance.csv"),
        shap=optional("shap.csv"),
        shap_values=optional("shap_values.csv"),
    )


class Page:
    """One run's report in the making: what every section reads (the task, the primary
    model, its summary and out-of-fold predictions) and the figures drawn so far.

    Parameters
    ----------
    run : RunData
        The run directory, read.
    fig_dir : Path
        Folder of the figures' PNG files.
    """

    def __init__(self, run: RunData, fig_dir: Path) -> None:
        from radiomix.learn.tasks import get_task

        m = run.metrics
        self.run = run
        self.fig_dir = fig_dir
        self.metrics = m
        self.task: Task = get_task(str(m.get("task", "binary")))
        self.study: dict[str, Any] = m.get("study", {})
        self.label: dict[str, Any] = self.study.get("label", {})
        self.primary: str = m["primary"]["model"]
        self.models: dict[str, dict[str, Any]] = m.get("models", {})
        self.pm: dict[str, Any] = self.models.get(self.primary, m["primary"])
        pred = run.predictions
        self.pred = pred[pred["model"] == self.primary]
        if self.pred.empty:
            raise ModelBundleError(
                f"predictions.csv of {run.path} has no rows for {self.primary!r}"
            )
        self.images: dict[str, tuple[bytes, str]] = {}
        #: the view's own figures, in the order drawn
        self.own: list[str] = []

    def add(self, name: str, fig: Any, caption: str) -> None:
        """Draw a figure: its PNG in ``figures/`` and, with its caption, on the page."""
        self.images[name] = (plots.save_png(fig, self.fig_dir / f"{name}.png"), caption)

    def img(self, name: str) -> str:
        """The figure ``name`` as HTML (embedded PNG and caption)."""
        return _img(name, *self.images[name])

    @cached_property
    def context(self) -> StudyContext:
        """The two-class study's context: class names, cohort flow, extraction, the cohort
        manifest (:func:`radiomix.report.findings.load_context`)."""
        from radiomix.report import findings

        return findings.load_context(self.run.path, self.metrics)

    @cached_property
    def failed(self) -> dict[str, str]:
        """The two-class models that did not learn, with the reason
        (:func:`radiomix.report.findings.failed_models`)."""
        from radiomix.report import findings

        return findings.failed_models(self.run.predictions)


def explanation_images(run: Any, ex: Mapping[str, Any], add: Any, score: str) -> None:
    """The permutation importance and SHAP figures of a run (when it has them)."""
    model = str(ex.get("model", ""))
    if run.importance is not None and len(run.importance):
        pi = ex.get("permutation_importance") or {}
        add(
            "importance",
            plots.plot_importance(run.importance, model, str(pi.get("score", score))),
            "Permutation importance on the outer test folds: each fold's fitted pipeline "
            "predicts its test cases with one input feature shuffled among them "
            f"({_fmt(pi.get('n_repeats'))} shuffles); the bar is the drop of the "
            f"{html.escape(str(pi.get('score', score)))}, averaged over the folds (error "
            "bar: SD across folds); in brackets how often the feature was selected.",
        )
    shap_info = ex.get("shap") or {}
    several = run.shap is not None and "class" in run.shap.columns
    if several and run.shap_values is not None and len(run.shap):
        scale = str(shap_info.get("scale", ""))
        add(
            "shap",
            plots.plot_shap_classes(run.shap_values, run.shap, scale),
            f"SHAP values of the final model per class ({shap_info.get('method', '')}), on "
            f"{shap_info.get('n_cases', '-')} training cases, in {scale}: left "
            "the mean absolute value per feature, one colour per class (the bar is the sum "
            "over the classes; the 15 largest), right the direction: the correlation of the "
            "feature's value with its SHAP value for the class (red: a higher value raises "
            "the class, blue: lowers it).",
        )
    elif run.shap is not None and run.shap_values is not None and len(run.shap):
        scale = str(shap_info.get("scale", ""))
        add(
            "shap",
            plots.plot_shap(run.shap_values, run.shap, scale),
            f"SHAP values of the final model ({shap_info.get('method', '')}"  # img() escapes
            f"), on {_fmt(shap_info.get('n_cases'))} training cases, in "
            f"{scale}: left the mean absolute value per feature, right each "
            "case's value (red: high feature value, blue: low).",
        )


#: what the SHAP values of a model of several classes add up to, by their scale
_CLASS_SCALE_TEXT = {
    "class logit (before the softmax)": (
        "each class's logit before the softmax (its linear predictor f<sub>k</sub>; the "
        "class's probability is exp(f<sub>k</sub>) / &Sigma;<sub>j</sub> exp(f<sub>j</sub>), "
        "and f<sub>k</sub> &minus; f<sub>j</sub> is the log-odds of class k against class j)"
    ),
    "log-odds (one vs rest)": (
        "each class's one-vs-rest log-odds (its own binary model, before the probabilities "
        "are normalised to sum to 1)"
    ),
    "probability": "each class's probability",
}


def _class_shap_section(
    summary: pd.DataFrame, info: Mapping[str, Any], image: tuple[bytes, str]
) -> str:
    """The SHAP part of the explanations section for a model of several classes: the text,
    the figure and the top 10 features by mean |SHAP| summed over the classes."""
    from radiomix.features.names import readable_name

    classes = list(dict.fromkeys(str(c) for c in summary["class"]))
    table = summary.assign(cls=summary["class"].astype(str))
    wide = table.pivot_table(index="feature", columns="cls", values="mean_abs_shap")
    firsts = table.sort_values("rank_all_classes", kind="stable").drop_duplicates("feature")
    rows = [
        [
            html.escape(readable_name(str(r.feature))),
            f"<code>{html.escape(str(r.feature))}</code>",
            _fmt(r.mean_abs_shap_all_classes),
            *(_fmt(wide.loc[r.feature].get(c)) for c in classes),
        ]
        for r in firsts.head(10).itertuples()
    ]
    scale = str(info.get("scale", ""))
    what = _CLASS_SCALE_TEXT.get(scale, html.escape(scale))
    base = info.get("base_value")
    base = base if isinstance(base, dict) else {}
    bases = ", ".join(f"{html.escape(str(c))} {_fmt(v)}" for c, v in base.items())
    return (
        "<p>SHAP values of the final model (fitted on all cases) on its own inputs, one set "
        f"per class, in {html.escape(scale)}: {what}. For each case and class, the values "
        f"plus the class's base value ({bases}) give the model's output for that class. "
        "The table ranks the features by their mean |SHAP| summed over the classes. They "
        "describe the model, not the outcome, and are computed on the cases it was fitted "
        "on.</p>"
        + "<div class='figs'>"
        + _img("shap", *image)
        + "</div>"
        + _table(
            [
                "feature",
                "column",
                "mean |SHAP|, all classes",
                *(f"class {html.escape(c)}" for c in classes),
            ],
            rows,
        )
    )


def explanations_section(
    run: Any, ex: Mapping[str, Any], images: Mapping[str, tuple[bytes, str]]
) -> str:
    """The report's section on permutation importance and SHAP values ('' without them)."""
    if "importance" not in images and "shap" not in images and not ex.get("shap"):
        return ""
    from radiomix.features.names import readable_name

    out = ["<h2 id='explanations'>What the model relies on</h2>"]
    pi = ex.get("permutation_importance") or {}
    if "importance" in images and run.importance is not None:
        imp = run.importance
        imp = imp[imp["mean_importance"].notna()].head(10)
        rows = [
            [
                html.escape(readable_name(str(r.feature))),
                f"<code>{html.escape(str(r.feature))}</code>",
                _fmt(r.mean_importance),
                _fmt(r.sd_importance),
                f"{int(r.n_folds_measured)} / {int(r.n_folds)}",
                _fmt(r.selection_frequency, 2),
            ]
            for r in imp.itertuples()
        ]
        out.append(
            "<p>Permutation importance on the outer test folds: how much the "
            f"{html.escape(str(pi.get('score', '')))} of each fold falls when one feature is "
            "shuffled among its test cases, with the model fitted on that fold's training "
            "part. A feature the fold's model did not receive counts 0; of those it "
            f"received, at most {_fmt(pi.get('max_features'))} per fold were shuffled "
            f"({_fmt(pi.get('mean_permuted_per_fold'), 1)} on average; "
            f"{_fmt(pi.get('seconds'), 1)} s summed over the folds). Correlated features share "
            "their importance: shuffling one leaves the other to carry the signal.</p>"
            + "<div class='figs'>"
            + _img("importance", *images["importance"])
            + "</div>"
            + _table(
                ["feature", "column", "mean drop", "SD", "folds measured", "selected"],
                rows,
            )
        )
    shap_info = ex.get("shap") or {}
    if "shap" in images and run.shap is not None and "class" in run.shap.columns:
        out.append(_class_shap_section(run.shap, shap_info, images["shap"]))
    elif "shap" in images and run.shap is not None:
        rows = [
            [
                html.escape(readable_name(str(r.feature))),
                f"<code>{html.escape(str(r.feature))}</code>",
                _fmt(r.mean_abs_shap),
                _fmt(r.mean_shap),
            ]
            for r in run.shap.head(10).itertuples()
        ]
        out.append(
            "<p>SHAP values of the final model (fitted on all cases) on its own inputs, "
            f"in {html.escape(str(shap_info.get('scale', '')))}: for each case, the values "
            "plus the base value "
            f"({_fmt(shap_info.get('base_value'))}) give the model's output. They describe "
            "the model, not the outcome, and are computed on the cases it was fitted on.</p>"
            + "<div class='figs'>"
            + _img("shap", *images["shap"])
            + "</div>"
            + _table(["feature", "column", "mean |SHAP|", "mean SHAP"], rows)
        )
    elif shap_info.get("error"):
        out.append(f"<p class='muted'>No SHAP values: {html.escape(str(shap_info['error']))}</p>")
    return "".join(out)


def build_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write ``report.html`` (self-contained) and ``figures/*.png`` for a run directory.

    The one page of every task: the sections in order, each filled by the task's view
    (:data:`radiomix.report.task_report.VIEWS`).

    Parameters
    ----------
    run_dir : path
        Run directory of ``radiomix train``.
    out : path, optional
        HTML file to write (default: ``RUN_DIR/report.html``); the PNGs go to a
        ``figures`` folder beside it.

    Returns
    -------
    Path
        The HTML file.
    """
    from radiomix.report.task_report import VIEWS

    run = load_run(run_dir)
    out_path = Path(out) if out is not None else run.path / "report.html"
    fig_dir = out_path.parent / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    page = Page(run, fig_dir)
    view = VIEWS[page.task.name]
    m, study, task, primary, pm = page.metrics, page.study, page.task, page.primary, page.pm
    h = task.headline
    for name, fig, caption in view.images(page):
        page.add(name, fig, caption)
        page.own.append(name)
    page.add("selection", plots.plot_selection(run.selection, primary), view.selection_caption)
    page.add("model_comparison", *view.comparison_figure(page))
    perm = m.get("permutation")
    if perm and len(run.permutation) and h in run.permutation.columns:
        page.add("permutation", *view.permutation_figure(page, perm))
    explanation_images(run, m.get("explanations") or {}, page.add, task.headline_label)

    def section(*blocks: str) -> list[str]:
        """A section's blocks: each on a line of its own, or one line (``view.lines``)."""
        shown = [b for b in blocks if b]
        return shown if view.lines else ["".join(shown)]

    title = html.escape(str(study.get("name", "study")))
    versions = study.get("versions", {})
    parts = [
        f"<h1>radiomix study report: {title}</h1>",
        (
            f"<p class='muted' id='provenance'>{view.lead(page)}Created "
            f"{_fmt(study.get('created'))} by radiomix {_fmt(versions.get('radiomix'))} "
            f"(scikit-learn {_fmt(versions.get('scikit-learn'))}). Every number is out-of-fold: "
            f"{view.fitted} were fitted inside the training folds of a repeated nested "
            "cross-validation.</p>"
        ),
        "<h2 id='findings'>What this study found</h2>" + view.findings(page),
        *view.notes(page),
        "<h2 id='design'>Cohort and design</h2>" + _table(["", ""], view.cohort(page)),
        *section(
            f"<h2 id='performance'>Primary model: {html.escape(primary)}</h2>"
            f"<p>{html.escape(str(pm.get('description', '')))}</p>",
            _table(
                ["metric", "median over repeats [95% CI]"],
                [*view.metric_rows(page), *final_model_rows(pm)],
            ),
        ),
        *view.after_metrics(page),
    ]
    warning = view.warn(pm)
    if warning:
        parts.append(f"<p class='warn'>{warning}</p>")
    for head, names in view.figure_groups(page):
        shown = [n for n in names if n in page.images]
        if shown:
            parts.append(f"{head}<div class='figs'>{''.join(map(page.img, shown))}</div>")
    parts.extend(view.after_figures(page))
    parts.extend(
        section(
            "<h2 id='selection'>Feature selection</h2><div class='figs'>"
            + page.img("selection")
            + "</div>",
            view.selection_table(page),
        )
    )
    parts.append(explanations_section(run, m.get("explanations") or {}, page.images))
    parts.extend(
        section(
            "<h2 id='comparison'>Model comparison</h2>" + _table(*view.comparison_table(page)),
            view.comparison_note,
            "<div class='figs'>" + page.img("model_comparison") + "</div>",
        )
    )
    parts.extend(view.after_comparison(page))
    if "permutation" in page.images and perm:
        parts.append(
            permutation_section(perm, h, view.null_label(page), page.images["permutation"])
        )
    if run.external:
        parts.append(external_section(run.external, *view.external_columns(page)))
    parts.append("<h2 id='settings'>Settings</h2><pre>" + html.escape(run.config_text) + "</pre>")
    return write_page(run, parts, title, out_path)
