"""The study report: one self-contained HTML file (and the PNGs) from a run directory.

:func:`build_report` reads what ``radiomix train`` wrote (``metrics.json``,
``predictions.csv``, ``selection.csv``, ``folds.csv``, ``permutation.csv``, ``config.yaml``
and any ``external-*/`` evaluations) and writes ``report.html`` with every figure embedded as
a base64 PNG (no file beside it is needed to view it, nothing is fetched from the network),
plus the same figures as PNG files in ``figures/``. It never trains anything.

Sections: what the study found (task, data, cohort flow, extraction preset and bins, the
conclusion in sentences: :mod:`radiomix.report.findings`); cohort and design; the primary
model's metrics with 95% CIs and its headline AUC explained; ROC with its bootstrap band and
the operating point on the curve it lies on; precision-recall; calibration; confusion matrix;
decision curve; for a BUSI study, example images with their outlines (the most confident
errors first); selection frequency and importance of the top features under readable names;
model comparison table and plot (a comparator that failed is flagged, not listed as a
result); the label-permutation check; external validations; the TRIPOD+AI / CLEAR
checklist (:mod:`radiomix.report.checklist`, also ``checklist.csv``); the resolved settings.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from radiomix.errors import ModelBundleError
from radiomix.report import findings, plots, sites
from radiomix.report._page import ci as _ci
from radiomix.report._page import (
    external_section,
    final_model_rows,
    permutation_section,
    write_page,
)
from radiomix.report._page import fmt as _fmt
from radiomix.report._page import img as _img
from radiomix.report._page import table as _table

__all__ = ["RunData", "build_report", "load_run"]

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


METRIC_LABELS = (
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
)


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
    run = load_run(run_dir)
    out_path = Path(out) if out is not None else run.path / "report.html"
    fig_dir = out_path.parent / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    m = run.metrics
    if m.get("task", "binary") != "binary":  # several classes or a number
        from radiomix.report.task_report import build_task_report

        return build_task_report(run, out_path, fig_dir)
    study = m.get("study", {})
    primary = m["primary"]["model"]
    models: dict[str, dict[str, Any]] = m.get("models", {})
    pred = run.predictions
    by_model = dict(iter(pred.groupby("model", sort=False)))
    if primary not in by_model:
        raise ModelBundleError(f"predictions.csv of {run.path} has no rows for {primary!r}")
    failed = findings.failed_models(pred)
    # a comparator that failed is flagged in the text, not drawn as a result
    others = {n: g for n, g in by_model.items() if n != primary and n not in failed}
    label = study.get("label", {})
    context = findings.load_context(run.path, m)
    neg, pos = context.negative_name, context.positive_name

    images: dict[str, tuple[bytes, str]] = {}

    def add(name: str, fig: Any, caption: str) -> None:
        images[name] = (plots.save_png(fig, fig_dir / f"{name}.png"), caption)

    pm = models.get(primary, m["primary"])
    add(
        "roc",
        plots.plot_roc(by_model[primary], primary, models, others),
        "ROC of pooled out-of-fold predictions: thin lines one per repeat, bold the median "
        "repeat (its AUC is the headline, median over repeats) with its 95% bootstrap band; "
        "dashed: comparators. Circle: the operating point of the median repeat, each case "
        "called at the threshold chosen inside the training part of its fold. As the folds' "
        "thresholds differ, the point lies on the dotted curve (the same predictions as every "
        "fold's threshold is moved by the same amount), which coincides with the bold one "
        "when all folds chose the same threshold. The metrics table gives the median over "
        "repeats instead of this one repeat.",
    )
    add(
        "pr",
        plots.plot_pr(by_model[primary], primary, models, others),
        "Precision-recall of the median repeat; dotted: prevalence (a random model).",
    )
    add(
        "calibration",
        plots.plot_calibration(by_model[primary], primary, pm),
        "Calibration of the out-of-fold probabilities (median repeat): ideal is the diagonal, "
        "intercept 0 and slope 1; bottom: predicted probabilities by class.",
    )
    add(
        "confusion",
        plots.plot_confusion(by_model[primary], primary, neg, pos),
        "Confusion matrix of the median repeat at the thresholds chosen inside the training folds "
        "(counts and row percentages).",
    )
    add(
        "decision_curve",
        plots.plot_decision_curve(by_model[primary], primary, others),
        "Decision curve: net benefit of acting on the model's prediction at each threshold "
        "probability, against acting for all or for none.",
    )
    add(
        "selection",
        plots.plot_selection(run.selection, primary),
        "How often each feature reached the classifier across all outer fits (selection is "
        "refitted in every training fold), and its mean importance when selected.",
    )
    add(
        "model_comparison",
        plots.plot_model_comparison(
            {n: mm for n, mm in models.items() if n not in failed or n == primary}, primary
        ),
        "ROC AUC of every model in the same nested cross-validation (same splits).",
    )
    perm = m.get("permutation")
    if perm and len(run.permutation):
        add(
            "permutation",
            plots.plot_permutation(
                run.permutation["auc"].tolist(),
                float(perm.get("observed_auc", pm.get("auc", 0.5))),
                perm.get("p_value"),
            ),
            "Nested CV of the primary model with randomly permuted labels: the AUCs an "
            "unrelated label reaches; the observed AUC should lie far to the right.",
        )
    explanation_images(run, m.get("explanations") or {}, add, "ROC AUC")
    examples: list[dict[str, Any]] = []
    if context.manifest is not None and {"image", "mask"} <= set(context.manifest.columns):
        examples = findings.example_cases(by_model[primary], context.manifest, pos, neg)
        examples = [e for e in examples if Path(e["image"]).is_file() and Path(e["mask"]).is_file()]
    if examples:
        add(
            "examples",
            plots.plot_examples(examples),
            "Cases of the median repeat with their lesion outlines: the most confident errors "
            "first (red; probability furthest on the wrong side of its fold's threshold), "
            "then the most confident correct calls (green). p: out-of-fold "
            "probability of the positive class; t: the threshold of the fold that predicted it.",
        )

    parts: list[str] = []
    title = html.escape(str(study.get("name", "study")))
    parts.append(f"<h1>radiomix study report: {title}</h1>")
    versions = study.get("versions", {})
    parts.append(
        "<p class='muted' id='provenance'>Created "
        + _fmt(study.get("created"))
        + " by radiomix "
        + _fmt(versions.get("radiomix"))
        + " (scikit-learn "
        + _fmt(versions.get("scikit-learn"))
        + "). Every number is out-of-fold: features, selection, tuning and the decision "
        "threshold were fitted inside the training folds of a repeated nested cross-validation.</p>"
    )
    # what the study found, in sentences
    found = [
        f"<p id='task'>{context.task}</p>",
        f"<p id='data'>{context.data}</p>",
        "<p id='cohort-flow'>Cohort: " + " ".join(context.cohort_flow) + "</p>",
    ]
    if context.extraction:
        found.append(f"<p id='extraction'>{context.extraction}</p>")
    found.append(
        "<div id='conclusion'>"
        + "".join(f"<p>{t}</p>" for t in findings.conclusion(m, failed, pos, neg))
        + "</div>"
    )
    found.append(
        f"<p id='headline'>{findings.headline_note(pm, run.folds[run.folds['model'] == primary], int(study.get('n_cases') or 0))}</p>"
    )
    parts.append(
        "<h2 id='findings'>What this study found</h2><div class='found'>"
        + "".join(found)
        + "</div>"
    )
    small = findings.small_cohort_note(m, context.adjustments)
    if small:
        parts.append(f"<p class='warn' id='small-cohort'>{small}</p>")
    for name, why in failed.items():
        parts.append(
            f"<p class='warn failed-model'>{html.escape(name)} failed: {html.escape(why)}. It "
            "is left out of the figures, and its numbers in the comparison table are not a "
            "result.</p>"
        )
    # cohort
    folds = run.folds[run.folds["model"] == primary]
    cohort = [
        ("cases", _fmt(study.get("n_cases"))),
        (f"positive ({html.escape(pos)})", _fmt(study.get("n_positive"))),
        (
            f"negative ({html.escape(neg)})",
            _fmt((study.get("n_cases") or 0) - (study.get("n_positive") or 0)),
        ),
        ("positive class chosen by", _fmt(label.get("rule"))),
        ("label column", _fmt(label.get("column"))),
        (
            "group column (kept within one fold)",
            _fmt(study.get("group"))
            + (f" ({study.get('n_groups')} groups)" if study.get("group") else ""),
        ),
        ("feature columns", _fmt(study.get("n_features"))),
        ("rows dropped (missing label)", _fmt(study.get("n_rows_dropped_missing_label"))),
        ("infinite values (treated as missing)", _fmt(study.get("n_infinite_values"))),
        (
            "validation",
            f"{_fmt(study.get('repeats'))} repeats x {_fmt(study.get('outer_folds'))} outer folds x {_fmt(study.get('inner_folds'))} inner folds",
        ),
        ("threshold rule", _fmt(study.get("threshold_rule"))),
        (
            "confidence intervals",
            f"{_fmt(study.get('confidence'), 2)}, {_fmt(study.get('bootstrap'))} bootstrap resamples",
        ),
        ("robustness (ICC) table", _fmt(study.get("robustness_table"))),
        ("random state", _fmt(study.get("random_state"))),
    ]
    if len(folds):
        cohort.append(
            (
                "positives per outer test fold",
                f"{folds['n_positive_test'].min()} to {folds['n_positive_test'].max()} (of {folds['n_test'].min()} to {folds['n_test'].max()} cases)",
            )
        )
    logo = sites.validation_text(study)
    if logo:
        cohort = [(k, logo if k == "validation" else v) for k, v in cohort]
    parts.append("<h2 id='design'>Cohort and design</h2>" + _table(["", ""], cohort))
    # primary metrics
    rows = [[lab, _ci(pm, key)] for key, lab in METRIC_LABELS]
    rows.insert(
        1,
        [
            "ROC AUC, DeLong 95% CI (median repeat)",
            f"[{_fmt((pm.get('auc_ci_delong') or [None])[0])}, {_fmt((pm.get('auc_ci_delong') or [None, None])[1])}]",
        ],
    )
    rows.insert(
        2,
        [
            "ROC AUC per outer fold, mean (SD): not the headline (see the summary)",
            f"{_fmt(pm.get('auc_fold_mean'))} ({_fmt(pm.get('auc_fold_sd'))})",
        ],
    )
    rows.append(
        [
            "decision threshold, median over folds (range)",
            f"{_fmt(pm.get('threshold'))} ({_fmt((pm.get('threshold_range') or [None])[0])} to {_fmt((pm.get('threshold_range') or [None, None])[1])})",
        ]
    )
    rows.extend(final_model_rows(pm))
    parts.append(
        f"<h2 id='performance'>Primary model: {html.escape(primary)}</h2><p>{html.escape(str(pm.get('description', '')))}</p>"
    )
    parts.append(_table(["metric", "median over repeats [95% CI]"], rows))
    parts.append(sites.sites_section(m))
    slope = pm.get("calibration_slope")
    if slope is not None and slope < 0.8:
        parts.append(
            "<p class='warn'>Calibration slope below 0.8: the predicted probabilities are too "
            "extreme (overfitting); recalibrate before using them as risks.</p>"
        )
    elif slope is not None and slope > 1.25:
        parts.append(
            "<p class='warn'>Calibration slope above 1.25: the predicted probabilities are too "
            "moderate (strong regularisation); the ranking (AUC) is unaffected, but recalibrate "
            "before using them as risks.</p>"
        )
    parts.append(
        "<div class='figs'>"
        + "".join(_img(k, *images[k]) for k in ("roc", "pr") if k in images)
        + "</div>"
    )
    parts.append(
        "<h2 id='calibration'>Calibration and clinical usefulness</h2><div class='figs'>"
        + "".join(
            _img(k, *images[k])
            for k in ("calibration", "decision_curve", "confusion")
            if k in images
        )
        + "</div>"
    )
    if "examples" in images:
        parts.append(
            "<h2>Example images</h2><div class='figs'>"
            + _img("examples", *images["examples"])
            + "</div>"
        )
    # selection
    sel = run.selection[run.selection["model"] == primary].head(15)
    from radiomix.features.names import describe_column

    srows = []
    for r in sel.itertuples():
        desc = describe_column(str(r.feature))
        srows.append(
            [
                html.escape(desc.readable if desc else str(r.feature)),
                f"<code>{html.escape(str(r.feature))}</code>",
                html.escape((desc.spec.ibsi_code or "not in IBSI") if desc else "-"),
                _fmt(r.frequency, 2),
                _fmt(r.mean_importance),
                _fmt(r.sd_importance),
                "yes" if bool(r.final_selected) else "",
            ]
        )
    parts.append(
        "<h2 id='selection'>Feature selection</h2>"
        + "<div class='figs'>"
        + _img("selection", *images["selection"])
        + "</div>"
    )
    parts.append(
        _table(
            [
                "feature",
                "column",
                "IBSI code",
                "selection frequency",
                "mean importance",
                "SD",
                "in final model",
            ],
            srows,
        )
    )
    parts.append(explanations_section(run, m.get("explanations") or {}, images))
    # comparison
    comp = m.get("comparison", {})
    crow = []
    for name, mm in models.items():
        c = comp.get(name, {})
        if name in failed:
            crow.append(
                [
                    html.escape(name) + (" (primary)" if name == primary else ""),
                    f"<span class='failed'>failed: {html.escape(failed[name])}</span>",
                    *([""] * 7),
                ]
            )
            continue
        crow.append(
            [
                html.escape(name) + (" (primary)" if name == primary else ""),
                _ci(mm, "auc"),
                _ci(mm, "pr_auc"),
                _ci(mm, "balanced_accuracy"),
                _ci(mm, "sensitivity"),
                _ci(mm, "specificity"),
                _ci(mm, "brier"),
                _fmt(mm.get("calibration_slope"), 2),
                ""
                if name == primary
                else f"{_fmt(c.get('delta_auc'))} (DeLong p {_fmt(c.get('delong_p_median'), 3)}; corrected t p {_fmt(c.get('corrected_t_p_holm'), 3)})",
            ]
        )
    parts.append(
        "<h2 id='comparison'>Model comparison</h2>"
        + _table(
            [
                "model",
                "ROC AUC",
                "PR AUC",
                "balanced accuracy",
                "sensitivity",
                "specificity",
                "Brier",
                "cal. slope",
                "primary minus model: AUC (p)",
            ],
            crow,
        )
    )
    parts.append(
        "<p class='muted'>DeLong p: median over repeats of the paired DeLong test on pooled out-of-fold predictions; corrected t p: Nadeau-Bengio corrected resampled t-test over the outer folds, Holm-adjusted over comparators. Choosing the best of several models by these numbers is itself optimistic; the primary model is the pre-registered one.</p>"
    )
    parts.append(
        "<div class='figs'>" + _img("model_comparison", *images["model_comparison"]) + "</div>"
    )
    parts.append(sites.compare_section(m))
    skipped = m.get("skipped") or {}
    if skipped:
        parts.append(
            "<p>Skipped: "
            + "; ".join(f"{html.escape(k)}: {html.escape(str(v))}" for k, v in skipped.items())
            + "</p>"
        )
    # permutation
    if "permutation" in images and perm:
        parts.append(permutation_section(perm, "auc", "AUC", images["permutation"]))
    # external
    if run.external:
        parts.append(
            external_section(
                run.external,
                [
                    "cases",
                    "positive",
                    "ROC AUC",
                    "sensitivity",
                    "specificity",
                    "cal. intercept",
                    "cal. slope",
                ],
                lambda p_m: [
                    _fmt(p_m.get("n_cases")),
                    _fmt(p_m.get("n_positive")),
                    _ci(p_m, "auc"),
                    _ci(p_m, "sensitivity"),
                    _ci(p_m, "specificity"),
                    _fmt(p_m.get("calibration_intercept"), 2),
                    _fmt(p_m.get("calibration_slope"), 2),
                ],
            )
        )
    parts.append("<h2 id='settings'>Settings</h2><pre>" + html.escape(run.config_text) + "</pre>")
    return write_page(run, parts, title, out_path)
