"""The reporting-standards checklist of a report: TRIPOD+AI and CLEAR, filled from the run.

Two published item lists are covered:

- **TRIPOD+AI** (Collins et al., BMJ 2024;385:e078378): reporting of clinical prediction
  models built with regression or machine learning; the items of a development study with
  internal validation (the items of an evaluation study apply when the run holds an
  ``evaluate --external`` result);
- **CLEAR** (Kocak et al., Insights into Imaging 2023;14:75, CheckList for EvaluAtion of
  Radiomics research): 58 items for radiomics studies.

The topics in :data:`ITEMS` are short paraphrases written for this module, not the published
wording; the item numbers are the published ones, so a reader can map every row to the
official checklist. Each row gets a status filled from the run directory
(``metrics.json``, ``config.yaml``, ``model.json``, the external evaluations) and from the
anchors of the report page it is rendered into:

- ``answered``: the report answers it; ``where`` is the section's anchor;
- ``not applicable``: the run's design makes the item void (e.g. class imbalance for a
  numeric outcome, model updating when nothing was updated);
- ``not done``: the software did not do it or cannot know it (ethics approval, how the
  outcome was assessed, data sharing): the paper has to state it.

:func:`checklist_section` returns the HTML section and writes ``checklist.csv`` beside the
report (item id, standard, number, topic, status, where, note).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from radiomix._outputs import atomic_write_text

if TYPE_CHECKING:
    from radiomix.report.html import RunData

__all__ = [
    "ANSWERED",
    "ITEMS",
    "NOT_APPLICABLE",
    "NOT_DONE",
    "STANDARDS",
    "ChecklistRow",
    "Item",
    "build_checklist",
    "checklist_section",
    "page_anchors",
    "write_checklist_csv",
]

ANSWERED = "answered"
NOT_APPLICABLE = "not applicable"
NOT_DONE = "not done"

STANDARDS = {
    "TRIPOD+AI": "Collins et al., BMJ 2024;385:e078378",
    "CLEAR": "Kocak et al., Insights into Imaging 2023;14:75",
}

#: readable names of the report's section anchors, for the links
SECTIONS = {
    "provenance": "report header",
    "findings": "What this study found",
    "task": "What this study found: task",
    "data": "What this study found: data",
    "cohort-flow": "What this study found: cohort",
    "extraction": "What this study found: features",
    "conclusion": "What this study found: conclusion",
    "small-cohort": "small-cohort warning",
    "design": "Cohort and design",
    "performance": "Primary model",
    "per-class": "Primary model: per class",
    "sites": "Sites",
    "calibration": "Calibration and clinical usefulness",
    "task-figures": "figures of the task",
    "selection": "Feature selection",
    "explanations": "What the model relies on",
    "comparison": "Model comparison",
    "compare": "Added value of the image",
    "permutation": "Label-permutation check",
    "external": "External validation",
    "settings": "Settings",
    "checklist": "this checklist",
}

PAPER = "not known to the software; state it in the paper"


@dataclass(frozen=True)
class Fill:
    """A row's status, the anchor that answers it ("" when none) and a note (HTML-safe)."""

    status: str
    where: str = ""
    note: str = ""


@dataclass
class Facts:
    """What a checklist row may look at."""

    run: RunData
    task: str
    study: Mapping[str, Any]
    pm: Mapping[str, Any]
    config: Mapping[str, Any]
    steps: list[str]
    anchors: Collection[str]

    @property
    def metrics(self) -> Mapping[str, Any]:
        return self.run.metrics

    def first(self, *names: str) -> str:
        """The first of ``names`` that is an anchor of the page ("" if none)."""
        return next((n for n in names if n in self.anchors), "")

    @property
    def data_cfg(self) -> Mapping[str, Any]:
        return self.config.get("data") or {}

    @property
    def harmonised(self) -> str | None:
        h = self.data_cfg.get("harmonise") or (self.study.get("harmonise") or {}).get("column")
        return str(h) if h else None

    @property
    def clinical(self) -> list[str]:
        return [str(c) for c in self.data_cfg.get("clinical") or []]


@dataclass(frozen=True)
class Item:
    """One item of a published checklist: its number, a paraphrased topic, and how it is
    filled from a run (None: the software cannot know it)."""

    standard: str
    number: str
    topic: str
    fill: Callable[[Facts], Fill] | None = None

    @property
    def id(self) -> str:
        return f"{'TRIPOD-AI' if self.standard == 'TRIPOD+AI' else self.standard}-{self.number}"


@dataclass(frozen=True)
class ChecklistRow:
    """A filled item."""

    id: str
    standard: str
    number: str
    topic: str
    status: str
    where: str
    note: str


# ------------------------------------------------------------------ fills


def _e(v: Any) -> str:
    return html.escape(str(v))


def _paper(f: Facts) -> Fill:
    return Fill(NOT_DONE, "", PAPER)


def _ask(note: str) -> Callable[[Facts], Fill]:
    def fill(f: Facts) -> Fill:
        return Fill(NOT_DONE, "", note)

    return fill


def _counts(f: Facts) -> str:
    """The sample size with the outcome counts of the task."""
    s, pm = f.study, f.pm
    n = s.get("n_cases")
    label = s.get("label") or {}
    if f.task == "binary":
        pos = int(s.get("n_positive") or 0)
        return (
            f"{n} cases: {pos} {_e(label.get('positive', 'positive'))}, "
            f"{int(n or 0) - pos} {_e(label.get('negative', 'negative'))}"
        )
    if f.task == "multiclass":
        per = ", ".join(
            f"{c}: {k}"
            for c, k in zip(label.get("classes") or [], pm.get("class_counts") or [], strict=False)
        )
        return f"{n} cases ({_e(per)})"
    if f.task == "survival":
        return f"{n} cases, {label.get('n_events')} events, {label.get('n_censored')} censored"
    return f"{n} cases with a numeric outcome"


def _scheme(f: Facts) -> str:
    s = f.study
    cfg_v = f.config.get("validation") or {}
    scheme = s.get("validation_scheme") or cfg_v.get("scheme") or "kfold"
    group = s.get("group")
    if scheme == "leave-one-group-out":
        text = (
            f"leave-one-group-out: each of {s.get('n_groups')} groups of {_e(group)} in turn "
            f"is the test set, {s.get('inner_folds')} inner folds for tuning"
        )
    else:
        text = (
            f"nested cross-validation, {s.get('repeats')} repeats x {s.get('outer_folds')} "
            f"outer x {s.get('inner_folds')} inner folds"
            + (f", groups of {_e(group)} kept within one fold" if group else "")
        )
    if f.run.external:
        text += f"; {len(f.run.external)} external evaluation(s) of the frozen model"
    return text


def _sample_size(f: Facts) -> Fill:
    note = _counts(f) + "; no sample-size calculation by the software: justify it in the paper"
    if "small-cohort" in f.anchors:
        note += " (the report warns that the cohort is small)"
    return Fill(ANSWERED, "design", note)


def _power(f: Facts) -> Fill:
    return Fill(NOT_DONE, "", _counts(f) + "; no sample-size or power calculation by the software")


def _missing(f: Facts) -> Fill:
    s = f.study
    n_inf = s.get("n_infinite_values") or 0
    dropped = s.get("n_rows_dropped_missing_label") or 0
    if "impute" in f.steps:
        how = "median imputation fitted inside every training fold (never on a test fold)"
    elif f.steps:
        how = "missing feature values handled by the model itself (no imputation step)"
    else:
        how = "missing feature values imputed inside the folds (see the model description)"
    note = (
        f"{how}; {n_inf} infinite values counted as missing; {dropped} rows without outcome dropped"
    )
    if f.clinical:
        note += "; clinical columns imputed inside the folds"
    return Fill(ANSWERED, "design", note)


def _partition(f: Facts) -> Fill:
    return Fill(ANSWERED, "design", _scheme(f))


def _testing(f: Facts) -> Fill:
    note = "internal: " + _scheme(f)
    if f.run.external:
        return Fill(ANSWERED, f.first("external", "design"), note)
    return Fill(ANSWERED, "design", note + "; no external test set (radiomix evaluate --external)")


def _scaling(f: Facts) -> Fill:
    if "scale" in f.steps:
        return Fill(ANSWERED, "performance", "standard scaling fitted inside every training fold")
    if f.steps:
        return Fill(ANSWERED, "performance", "no scaling: the primary model does not need it")
    return Fill(ANSWERED, "performance", "see the primary model's description")


def _model(f: Facts) -> Fill:
    return Fill(ANSWERED, "performance", _e(f.pm.get("description") or f.pm.get("model")))


def _tuning(f: Facts) -> Fill:
    models = {m.get("name"): m for m in f.config.get("models") or [] if isinstance(m, dict)}
    grid = (models.get(f.pm.get("model")) or {}).get("grid") or {}
    size = 1
    for values in grid.values():
        size *= len(values) if isinstance(values, list) else 1
    tuned = ", ".join(_e(k) for k in grid) or "the model's default grid"
    return Fill(
        ANSWERED,
        "performance",
        f"hyper-parameters ({tuned}; {size} candidates) chosen in the inner loop of the nested "
        "cross-validation; the final hyper-parameters are in the table",
    )


def _selection(f: Facts) -> Fill:
    names = {
        "nzv": "near-zero-variance filter",
        "decorr": "correlation filter",
        "select": "top-k selection",
    }
    used = [names[s] for s in f.steps if s in names]
    if not used:
        return Fill(
            ANSWERED,
            "selection",
            "no feature selection step: the model weighs every feature; how often each "
            "feature was used is shown",
        )
    return Fill(
        ANSWERED,
        "selection",
        f"{', '.join(used)} fitted inside every training fold; selection frequency over the "
        "outer fits shown",
    )


def _imbalance(f: Facts) -> Fill:
    if f.task == "binary":
        return Fill(
            ANSWERED,
            "design",
            "stratified folds and a decision threshold chosen inside the training folds "
            f"({_e(f.study.get('threshold_rule'))}); no resampling",
        )
    if f.task == "multiclass":
        return Fill(ANSWERED, "design", "folds stratified by class; no resampling")
    return Fill(NOT_APPLICABLE, "", f"no classes: {f.task} outcome")


def _output(f: Facts) -> Fill:
    text = {
        "binary": "a probability of the positive class, and a class at the threshold chosen "
        "inside the training folds",
        "multiclass": "a probability per class; the class called is the most probable",
        "regression": "a predicted value of the outcome",
        "survival": "a risk score and event-free probabilities at the horizons",
    }.get(f.task, "see the primary model")
    return Fill(ANSWERED, "performance", text)


def _measures(f: Facts) -> Fill:
    n_ci = sum(1 for k, v in f.pm.items() if k.endswith("_ci") and v and v[0] is not None)
    boot = f.study.get("bootstrap") or 0
    conf = f.study.get("confidence") or 0.95
    if not boot:
        return Fill(ANSWERED, "performance", "no bootstrap intervals (validation.bootstrap: 0)")
    cal = _calibration(f)
    return Fill(
        ANSWERED,
        "performance",
        f"{n_ci} measures with {float(conf):.0%} bootstrap intervals ({boot} resamples); "
        f"calibration: {cal.note} ({SECTIONS.get(cal.where, cal.where)})",
    )


def _uncertainty(f: Facts) -> Fill:
    boot = f.study.get("bootstrap") or 0
    if not boot:
        return Fill(NOT_DONE, "", "validation.bootstrap was 0: no confidence intervals")
    return _measures(f)


def _calibration(f: Facts) -> Fill:
    where = {"binary": "calibration", "regression": "task-figures", "survival": "task-figures"}
    anchor = f.first(where.get(f.task, ""), "performance")
    note = {
        "binary": "calibration intercept and slope with intervals, calibration curve, decision "
        "curve",
        "regression": "calibration intercept and slope, observed against predicted",
        "survival": "calibration at a horizon (predicted against Kaplan-Meier), integrated "
        "Brier score",
        "multiclass": "Brier score and log loss; no calibration plot for several classes",
    }.get(f.task, "")
    return Fill(ANSWERED, anchor, note)


def _clusters(f: Facts) -> Fill:
    if f.pm.get("per_group"):  # leave-one-group-out of a task study
        return Fill(ANSWERED, f.first("groups", "settings"), "performance per held-out group")
    if f.pm.get("per_site"):
        return Fill(ANSWERED, f.first("sites", "settings"), "performance per site")
    if f.study.get("group"):
        return Fill(
            NOT_DONE,
            "",
            f"groups of {_e(f.study.get('group'))} kept within folds, but no per-site "
            "performance (give the site with --harmonise or leave-one-group-out)",
        )
    return Fill(NOT_DONE, "", "no site or cluster column given")


def _harmonise(f: Facts) -> Fill:
    site = f.harmonised
    covs = f.data_cfg.get("harmonise_covariates") or []
    if site:
        return Fill(
            ANSWERED,
            f.first("sites", "harmonise", "settings"),
            f"ComBat harmonisation across the sites of {_e(site)}, fitted inside the training "
            "folds only"
            + (f", covariates {_e(', '.join(map(str, covs)))} protected" if covs else ""),
        )
    return Fill(NOT_DONE, "", "no harmonisation or confounder adjustment (--harmonise COLUMN)")


def _preparation(f: Facts) -> Fill:
    s = f.study
    note = (
        f"{len(s.get('non_numeric_columns') or [])} text columns skipped, infinite values "
        "counted as missing"
    )
    if f.harmonised:
        note += f"; ComBat across the sites of {_e(f.harmonised)} inside the training folds"
    if "extraction" in f.anchors:
        return Fill(ANSWERED, "extraction", note)
    return Fill(ANSWERED, "design", note)


def _extraction(what: str) -> Callable[[Facts], Fill]:
    def fill(f: Facts) -> Fill:
        if "extraction" in f.anchors:
            return Fill(ANSWERED, "extraction", f"{what}: the extraction settings")
        return Fill(
            NOT_DONE,
            "",
            f"{what}: the run started from a feature table without its extraction settings "
            "(radiomix extract writes settings.yaml)",
        )

    return fill


def _objectives(f: Facts) -> Fill:
    return Fill(ANSWERED, "task", "the outcome predicted; development with internal validation")


def _outcome(f: Facts) -> Fill:
    note = "the label column and its coding; how the outcome was established: state it"
    if f.task == "survival":
        hs = (f.study.get("label") or {}).get("horizons") or []
        note = "time and event columns, horizons " + ", ".join(_e(h) for h in hs)
    return Fill(ANSWERED, "task", note)


def _data_source(f: Facts) -> Fill:
    if "data" in f.anchors:
        return Fill(ANSWERED, "data", "the data set or feature table used")
    return Fill(
        NOT_DONE,
        "",
        f"feature table {_e(f.study.get('table'))}; where the images come from: state it",
    )


def _eligibility(f: Facts) -> Fill:
    anchor = f.first("cohort-flow", "design")
    return Fill(ANSWERED, anchor, "rows dropped and why; inclusion criteria: state them")


def _flow(f: Facts) -> Fill:
    return Fill(ANSWERED, f.first("cohort-flow", "design"), _counts(f))


def _per_analysis(f: Facts) -> Fill:
    note = _counts(f) + "; cases per outer test fold"
    if f.run.external:
        note += "; cases of each external evaluation"
    return Fill(ANSWERED, "design", note)


def _predictors(f: Facts) -> Fill:
    d = f.data_cfg
    rules = []
    if d.get("include"):
        rules.append("include " + ", ".join(map(str, d["include"])))
    if d.get("exclude"):
        rules.append("exclude " + ", ".join(map(str, d["exclude"])))
    if f.study.get("robustness_table"):
        rules.append("robustness (ICC) filter")
    note = f"{f.study.get('n_features')} feature columns" + (
        f" ({_e('; '.join(rules))})" if rules else ", no pre-selection outside the folds"
    )
    if f.clinical:
        note += f"; clinical: {_e(', '.join(f.clinical))}"
    return Fill(ANSWERED, "design", note)


def _predictor_defs(f: Facts) -> Fill:
    if "extraction" in f.anchors:
        return Fill(ANSWERED, "extraction", "extraction settings; feature names and IBSI codes")
    return Fill(ANSWERED, "selection", "feature names (and IBSI codes where known)")


def _clinical_defs(f: Facts) -> Fill:
    if not f.clinical:
        return Fill(NOT_APPLICABLE, "", "no clinical variables (--clinical)")
    return Fill(
        ANSWERED,
        f.first("compare", "settings"),
        f"clinical columns {_e(', '.join(f.clinical))}, encoded inside the folds; their "
        "definitions: state them",
    )


def _robustness(f: Facts) -> Fill:
    if f.study.get("robustness_table"):
        return Fill(ANSWERED, "design", "features filtered by an ICC table")
    return Fill(NOT_DONE, "", "no segmentation-robustness (ICC) table given")


def _model_selection(f: Facts) -> Fill:
    others = [k for k in (f.metrics.get("models") or {}) if k != f.pm.get("model")]
    note = "the primary model is fixed in the settings, not picked by its score"
    if others:
        note += f"; {len(others)} comparators on the same splits ({_e(', '.join(others))})"
    return Fill(ANSWERED, "comparison", note)


def _stat_compare(f: Facts) -> Fill:
    comp = f.metrics.get("comparison") or {}
    if not comp:
        return Fill(NOT_DONE, "", "no comparator model")
    test = (
        "DeLong and corrected resampled t-test"
        if f.task == "binary"
        else "corrected resampled t-test"
    )
    return Fill(ANSWERED, "comparison", f"{test} against {_e(', '.join(comp))} (Holm-adjusted)")


def _non_radiomic(f: Facts) -> Fill:
    if f.metrics.get("compare"):
        return Fill(
            ANSWERED, f.first("compare"), "clinical, radiomics and combined models compared"
        )
    simple = [k for k in (f.metrics.get("models") or {}) if "shape_only" in k]
    note = "no clinical model (--compare clinical,radiomics,combined)"
    if simple:
        note += f"; the simple model {_e(', '.join(simple))} is in the model comparison"
    return Fill(NOT_DONE, "", note)


def _utility(f: Facts) -> Fill:
    if f.metrics.get("compare"):
        return _non_radiomic(f)
    if "calibration" in f.anchors and f.task == "binary":
        return Fill(ANSWERED, "calibration", "decision curve (net benefit)")
    return _non_radiomic(f)


def _explain(f: Facts) -> Fill:
    if "explanations" in f.anchors:
        return Fill(
            ANSWERED,
            "explanations",
            "permutation importance on the outer folds, SHAP values of the final model; "
            "selection frequency of the features",
        )
    return Fill(ANSWERED, "selection", "selection frequency and importance of the features")


def _performance(f: Facts) -> Fill:
    note = "median over repeats with intervals"
    if "per-class" in f.anchors:
        note += "; per class"
    return Fill(ANSWERED, "performance", note)


def _performance_clusters(f: Facts) -> Fill:
    if f.pm.get("per_group") and "groups" in f.anchors:
        return Fill(ANSWERED, "groups", "performance per held-out group")
    if f.pm.get("per_site") and "sites" in f.anchors:
        return Fill(ANSWERED, "sites", "performance per site")
    if f.pm.get("per_site"):
        return Fill(NOT_DONE, "", "per-site scores are in metrics.json, not in this report")
    return Fill(NOT_DONE, "", "no site or cluster column given")


def _full_model(f: Facts) -> Fill:
    return Fill(
        ANSWERED,
        "performance",
        "final hyper-parameters and number of features; the fitted model is model.joblib "
        "(model.json) in the run directory",
    )


def _centres(f: Facts) -> Fill:
    sites = (f.study.get("harmonise") or {}).get("sites") or {}
    if f.pm.get("per_site") and "sites" in f.anchors:
        n = len(sites) or len(f.pm["per_site"])
        return Fill(ANSWERED, "sites", f"{n} sites; the setting and location: state them")
    return Fill(NOT_DONE, "", PAPER)


def _eval_only(what: str) -> Callable[[Facts], Fill]:
    def fill(f: Facts) -> Fill:
        if f.run.external and "external" in f.anchors:
            return Fill(ANSWERED, "external", what)
        return Fill(NOT_APPLICABLE, "", "no external evaluation in this run")

    return fill


def _updating(f: Facts) -> Fill:
    return Fill(NOT_APPLICABLE, "", "the model was not updated or recalibrated")


def _fairness(f: Facts) -> Fill:
    return Fill(NOT_DONE, "", "no performance by demographic subgroup from the software")


def _characteristics(f: Facts) -> Fill:
    note = "demographic and clinical characteristics are not in the feature table"
    if f.clinical:
        note = f"clinical columns {_e(', '.join(f.clinical))} used but not summarised"
    return Fill(NOT_DONE, "", note + "; tabulate them in the paper")


def _fingerprint(f: Facts) -> str:
    sha = f.study.get("table_sha256")
    note = f"feature table SHA-256 {_e(str(sha)[:16])}... recorded in metrics.json" if sha else ""
    if (f.run.path / "run.json").is_file():
        note += ("; " if note else "") + "the tracked run record run.json"
    return note


def _data_sharing(f: Facts) -> Fill:
    fp = _fingerprint(f)
    return Fill(NOT_DONE, "", "sharing is the authors' decision" + (f"; {fp}" if fp else ""))


def _code(f: Facts) -> Fill:
    v = f.study.get("versions") or {}
    text = ", ".join(f"{_e(k)} {_e(val)}" for k, val in v.items())
    return Fill(
        ANSWERED,
        "provenance",
        f"open-source radiomix; versions: {text}; the settings to rerun it below",
    )


def _settings_shared(f: Facts) -> Fill:
    note = "config.yaml of the run (shown in full)"
    if "extraction" in f.anchors:
        note += "; the extraction settings"
    fp = _fingerprint(f)
    return Fill(ANSWERED, "settings", note + (f"; {fp}" if fp else ""))


def _model_files(f: Facts) -> Fill:
    return Fill(NOT_DONE, "", "model.joblib and model.json are in the run directory: publish them")


def _system(f: Facts) -> Fill:
    return Fill(
        NOT_DONE, "", "radiomix predict and radiomix app can serve the bundle; publishing is yours"
    )


def _conclusion(f: Facts) -> Fill:
    return Fill(ANSWERED, "conclusion", "the report's conclusion; interpret it in the paper")


def _limitations(f: Facts) -> Fill:
    note = "state them in the paper"
    if "small-cohort" in f.anchors:
        note += "; the report warns that the cohort is small"
    return Fill(NOT_DONE, "", note)


def _inputs(f: Facts) -> Fill:
    return Fill(
        NOT_DONE,
        "",
        "radiomix predict refuses tables with missing or unexpected feature columns; how users "
        "handle poor inputs: state it",
    )


def _abstract(f: Facts) -> Fill:
    return Fill(NOT_DONE, "", "write it in the paper; the report's findings give the numbers")


def _guidelines(f: Facts) -> Fill:
    return Fill(ANSWERED, "checklist", "this checklist, also written as checklist.csv")


def _permutation_note(f: Facts) -> str:
    return " (label-permutation check shown)" if "permutation" in f.anchors else ""


def _internal(f: Facts) -> Fill:
    fill = _partition(f)
    return Fill(fill.status, fill.where, fill.note + _permutation_note(f))


T, C = "TRIPOD+AI", "CLEAR"

ITEMS: tuple[Item, ...] = (
    # TRIPOD+AI: title and abstract, introduction
    Item(T, "1", "title names a prediction model study, its population and outcome", _paper),
    Item(T, "2", "structured abstract", _abstract),
    Item(T, "3a", "clinical context and why the model is needed", _paper),
    Item(T, "3b", "intended population, users and place in the care pathway", _paper),
    Item(T, "3c", "known inequalities between groups of patients", _paper),
    Item(T, "4", "objectives: development, evaluation or both", _objectives),
    # methods
    Item(T, "5a", "data sources and their representativeness", _data_source),
    Item(T, "5b", "dates of accrual and follow-up", _paper),
    Item(T, "6a", "setting, number and location of centres", _centres),
    Item(T, "6b", "inclusion and exclusion criteria", _eligibility),
    Item(T, "6c", "treatments received", _paper),
    Item(T, "7", "data preparation and quality checks", _preparation),
    Item(T, "8a", "outcome definition (and time horizon)", _outcome),
    Item(T, "8b", "who assessed the outcome and their expertise", _paper),
    Item(T, "8c", "blinding of outcome assessment", _paper),
    Item(T, "9a", "initial predictors and any pre-selection", _predictors),
    Item(T, "9b", "predictor definitions and measurement", _predictor_defs),
    Item(T, "9c", "who measured the predictors (segmentation)", _paper),
    Item(T, "10", "sample size and outcome counts", _sample_size),
    Item(T, "11", "handling of missing data", _missing),
    Item(T, "12a", "how the data were used and partitioned", _internal),
    Item(T, "12b", "predictor handling: scaling, transformations", _scaling),
    Item(T, "12c", "model type, building steps and hyper-parameter tuning", _tuning),
    Item(T, "12d", "heterogeneity across centres or clusters", _clusters),
    Item(T, "12e", "performance measures, discrimination and calibration", _measures),
    Item(T, "12f", "model updating after evaluation", _updating),
    Item(T, "12g", "evaluation: how predictions were computed", _eval_only("frozen final model")),
    Item(T, "13", "class imbalance", _imbalance),
    Item(T, "14", "fairness across groups", _fairness),
    Item(T, "15", "model output and thresholds", _output),
    Item(T, "16", "differences between development and evaluation data", _eval_only("case counts")),
    Item(T, "17", "ethics approval and consent", _paper),
    Item(T, "18a", "funding", _paper),
    Item(T, "18b", "conflicts of interest", _paper),
    Item(T, "18c", "protocol", _paper),
    Item(T, "18d", "registration", _paper),
    Item(T, "18e", "data availability", _data_sharing),
    Item(T, "18f", "code availability", _code),
    Item(T, "19", "patient and public involvement", _paper),
    # results
    Item(T, "20a", "participant flow and outcome counts", _flow),
    Item(T, "20b", "participant characteristics", _characteristics),
    Item(T, "20c", "evaluation data compared with development data", _eval_only("case counts")),
    Item(T, "21", "participants and events in each analysis", _per_analysis),
    Item(T, "22", "full model specification", _full_model),
    Item(T, "23a", "performance with confidence intervals", _performance),
    Item(T, "23b", "performance across centres or clusters", _performance_clusters),
    Item(T, "24", "results of model updating", _updating),
    # discussion
    Item(T, "25", "interpretation of the results", _conclusion),
    Item(T, "26", "limitations", _limitations),
    Item(T, "27a", "handling of poor or missing inputs in use", _inputs),
    Item(T, "27b", "user interaction and expertise needed", _paper),
    Item(T, "27c", "future research", _paper),
    # CLEAR: title, abstract, keywords, introduction
    Item(C, "1", "title states the radiomics approach", _paper),
    Item(C, "2", "structured abstract", _abstract),
    Item(C, "3", "keywords", _paper),
    Item(C, "4", "scientific and clinical background", _paper),
    Item(C, "5", "why radiomics", _paper),
    Item(C, "6", "objectives", _objectives),
    # study design
    Item(C, "7", "reporting guideline followed", _guidelines),
    Item(C, "8", "ethics, consent, data protection", _paper),
    Item(C, "9", "sample size or power calculation", _power),
    Item(C, "10", "retrospective or prospective", _paper),
    Item(C, "11", "eligibility criteria", _eligibility),
    Item(C, "12", "flowchart of the technical pipeline", _ask("draw it in the paper")),
    # data
    Item(C, "13", "data source", _data_source),
    Item(C, "14", "overlap with data of other studies", _paper),
    Item(C, "15", "how the data were split", _internal),
    Item(C, "16", "imaging protocol", _paper),
    Item(C, "17", "non-radiomic predictors", _clinical_defs),
    Item(C, "18", "reference standard (outcome)", _outcome),
    # segmentation
    Item(C, "19", "segmentation method", _paper),
    Item(C, "20", "who segmented", _paper),
    # pre-processing
    Item(C, "21", "image pre-processing", _extraction("pre-processing")),
    Item(C, "22", "resampling", _extraction("resampling")),
    Item(C, "23", "discretisation", _extraction("discretisation")),
    Item(C, "24", "image types (original, filtered)", _extraction("image types")),
    # feature extraction
    Item(C, "25", "extraction software and method", _extraction("extraction software")),
    Item(C, "26", "feature classes", _extraction("feature classes")),
    Item(C, "27", "number of features", _predictors),
    Item(C, "28", "parameters left at their defaults", _extraction("default parameters")),
    # data preparation
    Item(C, "29", "handling of missing data", _missing),
    Item(C, "30", "class imbalance", _imbalance),
    Item(C, "31", "segmentation reliability of the features", _robustness),
    Item(C, "32", "feature scaling", _scaling),
    Item(C, "33", "dimension reduction", _selection),
    # modelling
    Item(C, "34", "algorithm", _model),
    Item(C, "35", "training and tuning", _tuning),
    Item(C, "36", "confounders (site, scanner harmonisation)", _harmonise),
    Item(C, "37", "how the model was chosen", _model_selection),
    # evaluation
    Item(C, "38", "testing: internal, external", _testing),
    Item(C, "39", "performance measures", _measures),
    Item(C, "40", "uncertainty of the estimates", _uncertainty),
    Item(C, "41", "statistical comparison of models", _stat_compare),
    Item(C, "42", "comparison with a non-radiomic model or clinical value", _utility),
    Item(C, "43", "interpretability", _explain),
    # results
    Item(C, "44", "baseline characteristics", _characteristics),
    Item(C, "45", "eligibility flow", _flow),
    Item(C, "46", "feature statistics (robustness, selection)", _selection),
    Item(C, "47", "model performance", _performance),
    Item(C, "48", "comparison with the non-radiomic model", _non_radiomic),
    # discussion
    Item(C, "49", "main findings", _conclusion),
    Item(C, "50", "previous work", _paper),
    Item(C, "51", "practical implications", _paper),
    Item(C, "52", "strengths and limitations", _limitations),
    # open science
    Item(C, "53", "images and segmentations shared", _data_sharing),
    Item(C, "54", "feature data shared", _data_sharing),
    Item(C, "55", "pre-processing settings shared", _settings_shared),
    Item(C, "56", "modelling code shared", _code),
    Item(C, "57", "final model shared", _model_files),
    Item(C, "58", "ready-to-use system shared", _system),
)
"""The items, in the published order (topics paraphrased)."""


# ------------------------------------------------------------------ building


def page_anchors(page: str) -> set[str]:
    """The ``id`` attributes of an HTML page (or of its parts joined)."""
    return set(re.findall(r"\bid=['\"]([^'\"]+)['\"]", page))


def _pipeline_steps(path: Path) -> list[str]:
    """Step names of the primary model's pipeline, read from ``model.json``."""
    try:
        meta = json.loads((path / "model.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return re.findall(r"\('([A-Za-z_][\w]*)',", str(meta.get("pipeline", "")))


def build_checklist(run: RunData, anchors: Collection[str]) -> list[ChecklistRow]:
    """Fill every item of :data:`ITEMS` from a run and the anchors of its report page.

    An answered item whose anchor is not on the page becomes ``not done`` (the report does
    not show it), so every link of the checklist lands on a section."""
    try:
        config = yaml.safe_load(run.config_text) if run.config_text else {}
    except yaml.YAMLError:
        config = {}
    m = run.metrics
    facts = Facts(
        run=run,
        task=str(m.get("task", "binary")),
        study=m.get("study") or {},
        pm=(m.get("models") or {}).get(m["primary"]["model"], m["primary"]),
        config=config if isinstance(config, dict) else {},
        steps=_pipeline_steps(run.path),
        anchors=set(anchors) | {"checklist"},
    )
    rows = []
    for item in ITEMS:
        fill = item.fill(facts) if item.fill is not None else _paper(facts)
        if fill.status == ANSWERED and fill.where not in facts.anchors:
            fill = Fill(NOT_DONE, "", fill.note + " (not shown in this report)")
        rows.append(
            ChecklistRow(
                id=item.id,
                standard=item.standard,
                number=item.number,
                topic=item.topic,
                status=fill.status,
                where=fill.where if fill.status == ANSWERED else "",
                note=fill.note,
            )
        )
    return rows


def write_checklist_csv(rows: list[ChecklistRow], path: Path, report_name: str) -> Path:
    """Write ``checklist.csv``: item id, standard, number, topic, status, where (the report
    file and anchor), note (plain text)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["item", "standard", "number", "topic", "status", "where", "note"])
    for r in rows:
        w.writerow(
            [
                r.id,
                r.standard,
                r.number,
                r.topic,
                r.status,
                f"{report_name}#{r.where}" if r.where else "",
                html.unescape(re.sub(r"<[^>]+>", "", r.note)),
            ]
        )
    atomic_write_text(path, buf.getvalue())
    return path


def checklist_section(run: RunData, parts: list[str], out_path: Path) -> str:
    """The checklist section of a report whose other sections are ``parts``; writes
    ``checklist.csv`` beside ``out_path`` (the report)."""
    rows = build_checklist(run, page_anchors("".join(parts)))
    write_checklist_csv(rows, out_path.parent / "checklist.csv", out_path.name)
    counts = []
    for std, ref in STANDARDS.items():
        mine = [r for r in rows if r.standard == std]
        n = {s: sum(1 for r in mine if r.status == s) for s in (ANSWERED, NOT_APPLICABLE, NOT_DONE)}
        counts.append(
            f"{std} ({ref}): {len(mine)} items, {n[ANSWERED]} answered in this report, "
            f"{n[NOT_APPLICABLE]} not applicable, {n[NOT_DONE]} not done"
        )
    body = []
    for r in rows:
        where = (
            f"<a href='#{r.where}'>{html.escape(SECTIONS.get(r.where, r.where))}</a>"
            if r.where
            else ""
        )
        body.append(
            f"<tr class='ck-{r.status.replace(' ', '-')}' id='ck-{r.id}'>"
            f"<td>{html.escape(r.standard)} {html.escape(r.number)}</td>"
            f"<td>{html.escape(r.topic)}</td><td>{html.escape(r.status)}</td>"
            f"<td>{where}</td><td>{r.note}</td></tr>"
        )
    return (
        "<h2 id='checklist'>Reporting checklist (TRIPOD+AI, CLEAR)</h2>"
        "<p>Each item of the two checklists, filled from this run: where the report answers "
        "it, or why it is not applicable or not done by the software (the paper then has to "
        "state it). Topics are paraphrased; the numbers are those of the published "
        "checklists. " + "; ".join(counts) + ". Also written as <code>checklist.csv</code>.</p>"
        "<table class='checklist'><thead><tr><th>item</th><th>topic</th><th>status</th>"
        "<th>where</th><th>note</th></tr></thead><tbody>" + "".join(body) + "</tbody></table>"
    )
