"""A whole study: nested CV of the primary model and comparators, statistics, run directory.

:func:`run_study` is what ``radiomix train`` runs. It writes a run directory:

==================  =============================================================================
``metrics.json``    ``primary`` (the pre-registered model), ``models`` (every model), ``permutation``
                    (label-permutation check of the primary model), ``comparison`` (primary vs
                    each comparator), ``study`` (data, settings, versions, timings)
``predictions.csv`` out-of-fold probability of every case, per model and repeat, with the fold,
                    its threshold and the predicted class
``selection.csv``   per model and input feature: how often the fitted model used it across the
                    outer fits (it reached the classifier with a non-zero coefficient or
                    impurity importance), its mean importance, and whether the final model
                    uses it
``folds.csv``       per model, repeat and outer fold: class counts, chosen hyper-parameters,
                    inner score, threshold, test AUC; for a model choosing among families
                    (``auto``) the family chosen and every family's best inner AUC
``comparison.csv``  paired DeLong test primary vs comparator, per repeat
``permutation.csv`` the null AUCs of the permutation check
``importance.csv``  primary model, per input feature: permutation importance on the outer test
                    folds (mean and SD of the AUC drop across folds, folds measured, selection
                    frequency; :mod:`radiomix.learn.importance`)
``shap.csv``        primary model's final fit, per feature it uses: mean |SHAP| and mean SHAP
                    over its training cases (``shap_values.csv``: per case and feature)
``config.yaml``     the resolved study settings
``model.joblib``    the final primary model bundle (``model.json``: its metadata)
``models/``         final bundles of the comparators
==================  =============================================================================

How the summary numbers are made (``metrics.json``, every model):

- each repeat pools its out-of-fold predictions; a metric is computed per repeat and the
  **median over repeats** is reported (``auc_repeats`` lists them all);
- its **confidence interval** is a percentile interval over bootstrap resamples of the cases
  (stratified by class; whole groups are resampled when a group column is given): each
  resample is applied to every repeat and the median over repeats taken, so the interval
  covers the sampling of cases, not only the choice of splits;
- ``auc_ci_delong`` is DeLong's interval on the repeat whose AUC is closest to the median;
- ``auc_fold_mean`` / ``auc_fold_sd`` summarise the per-fold AUCs (the SD of fold AUCs is
  not a standard error: folds overlap in training data);
- threshold-based metrics use, for every case, the threshold chosen in the training part of
  the fold that predicted it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiomix._outputs import atomic_write_text, jsonable, write_table
from radiomix.errors import ConfigError, DataError
from radiomix.learn._study_parts import (
    check_columns,
    comparisons,
    corrected_t,
    final_summary,
    fit_summary,
    fold_head,
    fold_score_summary,
    fold_tail,
    holm,
    model_bundle,
    model_columns,
    permutation_check,
    prediction_frames,
    selection_table,
    study_provenance,
    subset_score,
    table_provenance,
    write_run_files,
)
from radiomix.learn.bundle import ModelBundle
from radiomix.learn.config import (
    StudySettings,
    load_study,
    resolve_model,
    study_to_yaml,
    task_models,
)
from radiomix.learn.metrics import (
    METRIC_NAMES,
    delong_ci,
    delong_test,
    summarise_repeats,
    weighted_metrics,
)
from radiomix.learn.models import DEFAULT_MODEL, ModelSpec
from radiomix.learn.table import Dataset, prepare, read_table
from radiomix.learn.tasks import BinaryTask, infer_task
from radiomix.learn.validation import CVResult, fit_final, nested_cv, seed_for

LOGO = "leave-one-group-out"

__all__ = [
    "SMALL_COHORT_CASES",
    "ModelRun",
    "StudyResult",
    "find_extraction_settings",
    "holm",
    "run_study",
    "summarise_cv",
    "summarise_predictions",
]

log = logging.getLogger(__name__)

#: a cohort whose smaller class has fewer cases than this cannot estimate performance: the
#: AUC's 95% interval is then about 0.2 wide or more, and models that select among many
#: features or need many cases per leaf cannot be judged (the report says so; the BUSI study
#: switches to its small-cohort settings)
SMALL_COHORT_CASES = 50

RUN_FILES = (
    "metrics.json",
    "predictions.csv",
    "selection.csv",
    "folds.csv",
    "comparison.csv",
    "permutation.csv",
    "config.yaml",
    "model.joblib",
)


# ----------------------------------------------------------------------- summaries


def summarise_predictions(
    y: np.ndarray,
    probability: np.ndarray,
    predicted: np.ndarray,
    groups: np.ndarray | None,
    *,
    n_boot: int = 2000,
    level: float = 0.95,
    random_state: int = 0,
) -> dict[str, Any]:
    """Metrics with confidence intervals for one or more repeats of predictions.

    Parameters
    ----------
    y : ndarray of {0, 1}, shape (n,)
    probability, predicted : ndarray, shape (R, n) or (n,)
        R repeats of probabilities and predicted classes of the same cases.
    groups : ndarray or None
        Resampled as clusters by the bootstrap.

    Returns
    -------
    dict
        For every metric of :data:`~radiomix.learn.metrics.METRIC_NAMES`: the median over
        repeats (``name``) and its bootstrap interval (``name_ci``); ``auc_repeats``;
        ``auc_ci_delong``; ``n_cases``, ``n_positive``.
    """
    P = np.atleast_2d(probability)
    D = np.atleast_2d(predicted)
    out, _, _ = summarise_repeats(
        lambda w, r: weighted_metrics(w, y, P[r], D[r]),
        P.shape[0],
        y.size,
        METRIC_NAMES,
        "auc",
        BinaryTask().bootstrap(y, groups, n_boot, random_state),
        level,
    )
    aucs = np.asarray(out["auc_repeats"])
    mid = int(np.argmin(np.abs(aucs - np.median(aucs))))
    try:
        _, lo, hi, se = delong_ci(y, P[mid], level)
        out["auc_ci_delong"] = [lo, hi]
        out["auc_se_delong"] = se
    except ValueError:
        out["auc_ci_delong"] = [math.nan, math.nan]
        out["auc_se_delong"] = math.nan
    out["n_cases"] = int(y.size)
    out["n_positive"] = int(y.sum())
    return out


def summarise_cv(
    cv: CVResult,
    *,
    n_boot: int,
    level: float,
    random_state: int,
    use_groups: bool,
) -> dict[str, Any]:
    """Every summary statistic of a nested CV (see the module notes)."""
    out = summarise_predictions(
        cv.y,
        cv.probability,
        cv.predicted,
        cv.groups if use_groups else None,
        n_boot=n_boot,
        level=level,
        random_state=random_state,
    )
    out |= fold_score_summary(cv.fold_auc(), "auc")
    thr = np.array([f.threshold for f in cv.folds])
    out["threshold"] = float(np.median(thr))
    out["threshold_range"] = [float(thr.min()), float(thr.max())]
    return out | fit_summary(cv)


# ----------------------------------------------------------------------- the study


@dataclass
class ModelRun:
    """Everything computed for one model of a study."""

    spec: ModelSpec
    features: list[str]
    cv: CVResult
    summary: dict[str, Any]
    final: Any  # FittedModel
    bundle: ModelBundle


@dataclass
class StudyResult:
    """The outcome of :func:`run_study`."""

    settings: StudySettings
    data: Dataset
    runs: dict[str, ModelRun]
    metrics: dict[str, Any]
    out: Path | None


def find_extraction_settings(table_path: str | Path | None) -> dict[str, Any] | None:
    """Extraction settings written beside a feature table, resolved.

    Looks for ``<table stem>.settings.yaml`` (what ``radiomix extract --manifest`` writes
    beside ``<table stem>.csv``), then ``settings.yaml`` in the same folder. Returns None
    when there is none; a :class:`~radiomix.errors.ConfigError` when one exists but is
    invalid.
    """
    if table_path is None:
        return None
    path = Path(table_path).resolve()
    for cand in (path.with_name(path.stem + ".settings.yaml"), path.parent / "settings.yaml"):
        if cand.is_file():
            return load_extraction_settings(cand)
    return None


def load_extraction_settings(config: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """Validate extraction settings (preset, YAML or mapping) and return them as plain data."""
    from radiomix.extraction.settings import load_config, settings_to_dict

    return settings_to_dict(load_config(config if isinstance(config, Mapping) else str(config)))


@dataclass
class StudyColumns:
    """The site and clinical columns of a study, coded for cross-validation."""

    site: str | None = None
    site_codes: dict[float, str] = dataclasses.field(default_factory=dict)
    site_counts: dict[str, int] = dataclasses.field(default_factory=dict)
    clinical: list[str] = dataclasses.field(default_factory=list)
    categorical: list[str] = dataclasses.field(default_factory=list)
    covariates: list[str] = dataclasses.field(default_factory=list)
    categorical_covariates: list[str] = dataclasses.field(default_factory=list)
    category_names: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    def site_name(self, code: Any) -> str:
        return self.site_codes.get(float(code), str(code))

    def to_dict(self, settings: StudySettings) -> dict[str, Any]:
        d = settings.data
        out: dict[str, Any] = {}
        if self.site is not None:
            out["harmonise"] = {
                "column": self.site,
                "method": "ComBat (empirical Bayes), fitted inside the training folds",
                "protect_label": d.harmonise_protect_label,
                "mean_only": d.harmonise_mean_only,
                "sites": dict(self.site_counts),
                "covariates": list(self.covariates),
                "categorical_covariates": list(self.categorical_covariates),
            }
        if self.clinical:
            out["clinical"] = {
                "columns": list(self.clinical),
                "categorical": list(self.categorical),
                "numeric": [c for c in self.clinical if c not in self.categorical],
            }
        return out


def study_columns(
    frame: pd.DataFrame, settings: StudySettings
) -> tuple[pd.DataFrame, StudySettings, StudyColumns]:
    """Check and code the site (``data.harmonise``), its covariates
    (``data.harmonise_covariates``) and the clinical (``data.clinical``) columns.

    The site and the categorical clinical columns and covariates (text, or named in
    ``clinical_categorical``) become numeric codes
    (:func:`radiomix.learn.table.category_codes`) so that cross-validation can carry them
    as floats; text ones are added to ``clinical_categorical``. The texts of each
    categorical clinical column's values are kept (``category_names``) to name its encoded
    columns.

    Raises
    ------
    DataError
        A column is missing, the site column has missing values, or (without mean-only) a
        site has a single case.
    """
    from radiomix.learn.table import category_codes, category_key, category_text, code_columns

    d = settings.data
    info = StudyColumns()
    if d.harmonise is None and not d.clinical:
        return frame, settings, info
    covariates = list(d.harmonise_covariates)
    rows = frame[d.label].notna() if d.label in frame.columns else pd.Series(True, frame.index)
    if d.harmonise is not None:
        col = d.harmonise
        if col not in frame.columns:
            raise DataError(
                f"--harmonise: site column {col!r} is not in the feature table "
                f"(columns include: {', '.join(map(str, frame.columns[:8]))} ...)"
            )
        site = frame.loc[rows, col]
        n_na = int(site.isna().sum())
        if n_na:
            raise DataError(
                f"--harmonise: site column {col!r} has {n_na} missing values; every case "
                "needs its site (fill them in, or drop those cases)"
            )
        names = [category_text(v) or "" for v in site]
        counts = pd.Series(names).value_counts().sort_index()
        if counts.size < 2:
            raise DataError(
                f"--harmonise: site column {col!r} has one site ({counts.index[0]!r}); "
                "ComBat needs at least two"
            )
        lone = [str(k) for k, v in counts.items() if v < 2]
        if lone and not d.harmonise_mean_only:
            raise DataError(
                f"--harmonise: site(s) {', '.join(map(repr, lone))} of column {col!r} have a "
                "single case, whose scale ComBat cannot estimate; merge or drop the site, or "
                "use --harmonise-mean-only (location only)"
            )
        codes = category_codes(pd.Series(counts.index, dtype=object))
        info.site = col
        info.site_codes = {float(c): str(n) for c, n in zip(codes, counts.index, strict=True)}
        info.site_counts = {str(k): int(v) for k, v in counts.items()}
    missing = [c for c in d.clinical if c not in frame.columns]
    if missing:
        raise DataError(
            f"clinical column(s) {', '.join(map(repr, missing))} not in the feature table "
            f"(columns include: {', '.join(map(str, frame.columns[:8]))} ...)"
        )
    missing = [c for c in covariates if c not in frame.columns]
    if missing:
        raise DataError(
            f"--harmonise-covariates: column(s) {', '.join(map(repr, missing))} not in the "
            f"feature table (columns include: {', '.join(map(str, frame.columns[:8]))} ...)"
        )
    categorical = list(d.clinical_categorical)
    for c in [*d.clinical, *covariates]:
        dtype = frame[c].dtype
        numeric = pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        if not numeric and c not in categorical:
            categorical.append(c)
    for c in covariates:
        if frame.loc[rows, c].notna().sum() == 0:
            raise DataError(f"--harmonise-covariates: column {c!r} has no value")
    info.clinical = list(d.clinical)
    info.categorical = [c for c in d.clinical if c in categorical]
    info.covariates = covariates
    info.categorical_covariates = [c for c in covariates if c in categorical]
    info.category_names = {
        c: sorted({t for v in frame[c] if (t := category_text(v)) is not None}, key=category_key)
        for c in info.categorical
    }
    ordered = tuple(dict.fromkeys([*info.categorical, *info.categorical_covariates]))
    if ordered != tuple(d.clinical_categorical):
        settings = dataclasses.replace(
            settings, data=dataclasses.replace(d, clinical_categorical=ordered)
        )
    if d.group is not None and d.group == d.harmonise:
        # the site is also the group: group by a copy of the names (the site column
        # itself travels as codes in X, where ComBat reads it)
        copy = f"{d.group} (group)"
        while copy in frame.columns:
            copy += "_"
        frame = frame.assign(**{copy: frame[d.group]})
        settings = dataclasses.replace(
            settings, data=dataclasses.replace(settings.data, group=copy)
        )
    coded = [*([d.harmonise] if d.harmonise is not None else []), *ordered]
    return code_columns(frame, coded), settings, info


def _harmonise_error(
    exc: Exception, column: str | None, names: Mapping[float, str] | None = None
) -> DataError:
    """A ComBat error as a one-line DataError for the command line (site codes named)."""
    import re

    msg = str(exc).replace("use mean_only=True", "use --harmonise-mean-only")
    msg = msg.replace("batches", "sites").replace("batch", "site")

    def name(m: re.Match[str]) -> str:
        value = float(m.group(1))
        return repr(names[value]) if names and value in names else m.group(0)

    msg = re.sub(r"np\.float64\(([0-9.e+]+)\)", name, msg)
    msg = re.sub(r"(?<![\w.])([0-9]{6,}\.0)(?![\w.])", name, msg)
    if "at least two sites" in msg:
        msg += (
            "; a training fold (outer or inner) held one site: with the site as --group "
            "use more sites or fewer folds, or group by patient"
        )
    return DataError(f"--harmonise {column}: {msg}")


def _task_sites(result: Any, info: StudyColumns) -> None:
    """Per-site scores and unseen test sites of a task study (multiclass, regression),
    added to its ``metrics`` (``per_site``, ``unseen_sites`` of every model)."""
    assert info.site is not None
    sites = result.data.X[info.site].to_numpy()
    for name, run in result.runs.items():
        cv = run.cv
        rows = []
        for code in pd.unique(sites):
            idx = np.flatnonzero(sites == code)
            rows.append(
                {
                    "site": info.site_name(code),
                    "n_cases": int(idx.size),
                    cv.task.headline: subset_score(cv.task, cv, idx),
                }
            )
        rows.sort(key=lambda row: str(row["site"]))
        unseen = []
        for f in cv.folds:
            train = np.ones(sites.size, dtype=bool)
            train[f.test_index] = False
            new = sorted(set(sites[f.test_index].tolist()) - set(sites[train].tolist()))
            if new:
                names = [info.site_name(u) for u in new]
                unseen.append({"repeat": f.repeat, "fold": f.fold, "sites": names})
        for part in (result.metrics["models"].get(name), result.metrics["primary"]):
            if part is not None and part.get("model") == name:
                part["per_site"] = rows
                part["unseen_sites"] = unseen


def per_site_rows(
    cv: CVResult, sites: np.ndarray, names: Callable[[Any], str]
) -> list[dict[str, Any]]:
    """AUC of each site's out-of-fold predictions (median over repeats; NaN where a site
    holds one class), with its counts."""
    rows = []
    for code in pd.unique(sites):
        idx = np.flatnonzero(sites == code)
        auc = subset_score(cv.task, cv, idx)
        rows.append(
            {
                "site": names(code),
                "n_cases": int(idx.size),
                "n_positive": int(cv.y[idx].sum()),
                "auc": math.nan if auc is None else auc,
            }
        )
    rows.sort(key=lambda r: str(r["site"]))
    return rows


def _fold_rows(run: ModelRun) -> list[dict[str, Any]]:
    y = run.cv.y
    rows = []
    for f, auc in zip(run.cv.folds, run.cv.fold_auc(), strict=True):
        yt = y[f.test_index]
        rows.append(
            {
                **fold_head(run, f),
                "n_positive_train": f.n_positive_train,
                "n_test": int(yt.size),
                "n_positive_test": int(yt.sum()),
                "n_groups_test": int(np.unique(run.cv.groups[f.test_index]).size),
                "inner_auc": f.inner_score,
                "threshold": f.threshold,
                "test_auc": auc,
                **fold_tail(f, "auc"),
            }
        )
    return rows


def _prediction_rows(run: ModelRun, data: Dataset) -> pd.DataFrame:
    cv = run.cv
    pos, neg = data.coding.positive, data.coding.negative

    def columns(r: int) -> dict[str, Any]:
        pred = cv.predicted[r]
        return {
            "probability": cv.probability[r],
            "threshold": cv.threshold[r],
            "predicted": pred,
            "predicted_label": np.where(pred == 1, pos, neg),
        }

    return prediction_frames(run, data, {"y": cv.y}, columns)


def _comparison(
    primary: ModelRun, other: ModelRun, level: float
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    y = primary.cv.y
    rows = []
    for r in range(min(primary.cv.repeats, other.cv.repeats)):
        t = delong_test(y, primary.cv.probability[r], other.cv.probability[r], level)
        rows.append(
            {
                "model_a": primary.spec.name,
                "model_b": other.spec.name,
                "repeat": r,
                "auc_a": t.auc1,
                "auc_b": t.auc2,
                "delta_auc": t.delta,
                "delta_ci_low": t.ci_low,
                "delta_ci_high": t.ci_high,
                "z": t.z,
                "p_value": t.p_value,
            }
        )
    t_stat, t_p = corrected_t(primary, other)
    deltas = np.array([r["delta_auc"] for r in rows])
    pvals = np.array([r["p_value"] for r in rows])
    summary = {
        "model_a": primary.spec.name,
        "model_b": other.spec.name,
        "delta_auc": float(np.median(deltas)),
        "delta_auc_repeats": deltas.tolist(),
        "delong_p_median": float(np.median(pvals)),
        "delong_p_first_repeat": float(pvals[0]),
        "corrected_t": t_stat,
        "corrected_t_p": t_p,
    }
    return summary, rows


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    write_table(frame, path)


def _write_text(path: Path, text: str) -> None:
    atomic_write_text(path, text)


def run_study(
    table: str | Path | pd.DataFrame,
    config: str | Path | Mapping[str, Any] | StudySettings | None = None,
    *,
    out: str | Path | None = None,
    label: str | None = None,
    group: str | None = None,
    positive: Any = None,
    extraction_settings: str | Path | Mapping[str, Any] | None = None,
    overwrite: bool = False,
    progress: Callable[[str], None] | None = None,
    task: str | None = None,
) -> StudyResult:
    """Run a study on a feature table and (with ``out``) write its run directory.

    Parameters
    ----------
    table : path or DataFrame
        Feature table (CSV or Parquet), as ``radiomix extract`` writes it.
    config : study YAML path, mapping, StudySettings or None
        See :mod:`radiomix.learn.config`; None runs the defaults.
    out : path, optional
        Run directory to write (see the module notes).
    label, group, positive : optional
        Override ``data.label``, ``data.group`` and ``data.positive`` of the config.
    extraction_settings : preset, YAML path or mapping, optional
        Extraction settings of the table (stored in the bundles for ``radiomix predict``);
        default: ``settings.yaml`` beside the table, when present.
    overwrite : bool
        Allow writing into a run directory that already holds a run.
    progress : callable, optional
        Receives one-line progress messages (default: the module logger).
    task : str, optional
        ``binary``, ``multiclass`` or ``regression`` (overrides ``task`` of the config);
        default: read from the label column (:func:`radiomix.learn.tasks.infer_task`). A
        task other than binary runs :func:`radiomix.learn.task_study.run_task_study` and
        returns its result (same fields, the task's metrics).

    Returns
    -------
    StudyResult
    """
    t_start = time.perf_counter()
    say = progress or log.info
    overrides: dict[str, Any] = {"data": {}}
    if label is not None:
        overrides["data"]["label"] = label
    if group is not None:
        overrides["data"]["group"] = group
    if positive is not None:
        overrides["data"]["positive"] = positive
    if task is not None:
        overrides["task"] = task
    settings = load_study(config, overrides)
    d, v = settings.data, settings.validation
    if d.label is None:
        raise ConfigError("no label column: give --label COLUMN (or data.label in the config)")
    out_dir = Path(out) if out is not None else None
    if out_dir is not None and (out_dir / "metrics.json").exists() and not overwrite:
        raise DataError(
            f"{out_dir} already holds a run (metrics.json); choose another --out or --force"
        )
    table_path: Path | None = None
    if isinstance(table, pd.DataFrame):
        frame = table
    else:
        table_path = Path(table)
        frame = read_table(table_path)
    extraction: dict[str, Any] | None
    if extraction_settings is not None:
        extraction = load_extraction_settings(extraction_settings)
    else:
        extraction = find_extraction_settings(table_path)
    if v.scheme == LOGO and d.group is None:
        raise ConfigError(
            "--validation leave-one-group-out needs the groups: --group COLUMN (e.g. the site)"
        )
    group_given = d.group
    frame, settings, columns_info = study_columns(frame, settings)
    d = settings.data
    assert d.label is not None

    def as_given(s: StudySettings) -> StudySettings:
        """The settings to write: the group column as given (not its internal copy)."""
        if s.data.group == group_given:
            return s
        return dataclasses.replace(s, data=dataclasses.replace(s.data, group=group_given))

    task_name = settings.task
    if task_name is None and d.label in frame.columns:
        task_name = infer_task(frame[d.label], d.label)
    if task_name is not None and task_name != "binary":
        from radiomix.learn.harmonise import HarmoniseError
        from radiomix.learn.task_study import run_task_study

        if settings.task != task_name:
            changes: dict[str, Any] = {"task": task_name}
            if settings.primary == DEFAULT_MODEL and DEFAULT_MODEL not in task_models(task_name):
                # a task without the two-class default model: the task's own default
                from radiomix.learn.tasks import get_task

                changes["primary"] = get_task(task_name).default_primary
                say(
                    f"primary model: {changes['primary']} ({DEFAULT_MODEL} is not a "
                    f"{task_name} model)"
                )
            settings = dataclasses.replace(settings, **changes)
            say(f"task: {task_name} (read from the label column; --task sets it)")
        try:
            task_result = run_task_study(
                settings,
                frame,
                table_path=table_path,
                extraction=extraction,
                out_dir=out_dir,
                say=say,
                t_start=t_start,
                category_names=columns_info.category_names,
                group_given=group_given,
            )
        except HarmoniseError as exc:
            raise _harmonise_error(exc, d.harmonise, columns_info.site_codes) from exc
        extra = columns_info.to_dict(task_result.settings)
        if extra:
            task_result.metrics["study"].update(jsonable(extra))
        if columns_info.site is not None:
            _task_sites(task_result, columns_info)
        if extra and out_dir is not None:
            text = json.dumps(task_result.metrics, indent=2) + "\n"
            _write_text(out_dir / "metrics.json", text)
        if task_result.settings.data.group != group_given:  # the site is the group
            task_result.settings = as_given(task_result.settings)
            if out_dir is not None:
                _write_text(out_dir / "config.yaml", study_to_yaml(task_result.settings))
        return task_result  # type: ignore[return-value]
    data = prepare(
        frame,
        d.label,
        positive=d.positive,
        group=d.group,
        id_columns=d.id_columns,
        include=d.include,
        exclude=d.exclude,
    )
    from radiomix.learn.harmonise import HarmoniseError
    from radiomix.learn.validation import check_logo_possible

    logo = v.scheme == LOGO
    repeats = 1 if logo else v.repeats
    inner_final = v.inner_folds
    if logo:
        assert data.groups is not None
        inner_final = min(v.inner_folds, int(np.unique(data.groups).size))
        check_logo_possible(data.y, data.groups, v.inner_folds)
        say(
            f"leave-one-group-out: each of {np.unique(data.groups).size} groups of "
            f"{group_given!r} in turn is the test set (one repeat)"
        )
    say(
        f"{len(data.y)} cases ({int(data.y.sum())} positive = {data.coding.positive!r}), "
        f"{len(data.features)} features"
        + (f", {np.unique(data.groups).size} groups" if data.groups is not None else "")
    )
    runs: dict[str, ModelRun] = {}
    skipped: dict[str, str] = {}
    for name in settings.model_names:
        spec = resolve_model(settings, name, category_names=columns_info.category_names)
        cols = model_columns(data, spec)
        why = check_columns(name, cols, spec, settings.primary, say)
        if why is not None:
            skipped[name] = why
            continue
        ex = settings.explain
        importance = (
            {"n_repeats": ex.importance_repeats, "max_features": ex.importance_max_features}
            if ex.importance and name == settings.primary
            else None
        )
        outer = "leave-one-group-out" if logo else f"{v.repeats} x {v.outer_folds} outer"
        say(f"{name}: nested CV, {outer} x {v.inner_folds} inner folds, {len(cols)} columns")
        X = data.X[cols]
        try:
            cv = nested_cv(
                spec.build,
                spec.grid,
                X,
                data.y,
                data.groups,
                outer_folds=v.outer_folds,
                inner_folds=v.inner_folds,
                repeats=repeats,
                threshold_rule=v.threshold,
                random_state=v.random_state,
                n_jobs=v.n_jobs,
                scheme=v.scheme,
                importance=importance,
                families=spec.families,
            )
        except HarmoniseError as exc:
            raise _harmonise_error(exc, d.harmonise, columns_info.site_codes) from exc
        summary = summarise_cv(
            cv,
            n_boot=v.bootstrap,
            level=v.confidence,
            random_state=seed_for(v.random_state, 99),
            use_groups=data.groups is not None,
        )
        summary = {
            "model": name,
            "description": spec.description,
            "n_features": len(cols),
            **summary,
        }
        site_col = columns_info.site if columns_info.site is not None else None
        if site_col is not None or logo:
            if site_col is not None:
                sites = data.X[site_col].to_numpy()
                summary["per_site"] = per_site_rows(cv, sites, columns_info.site_name)
            else:
                assert data.groups is not None
                summary["per_site"] = per_site_rows(cv, data.groups, str)
            unseen = [
                {
                    "repeat": f.repeat,
                    "fold": f.fold,
                    "sites": [columns_info.site_name(u) for u in f.unseen],
                }
                for f in cv.folds
                if f.unseen
            ]
            summary["unseen_sites"] = unseen
        say(
            f"{name}: AUC {summary['auc']:.3f} [{summary['auc_ci'][0]:.3f}, "
            f"{summary['auc_ci'][1]:.3f}] in {cv.seconds:.0f} s"
        )
        try:
            final = fit_final(
                spec.build,
                spec.grid,
                X,
                data.y,
                data.groups,
                inner_folds=inner_final,
                threshold_rule=v.threshold,
                random_state=v.random_state,
                families=spec.families,
            )
        except HarmoniseError as exc:
            raise _harmonise_error(exc, d.harmonise, columns_info.site_codes) from exc
        summary["final"] = final_summary(name, final, "auc", summary, say, final.threshold)
        bundle = model_bundle(
            name,
            final,
            cols,
            spec,
            d,
            label=data.coding.to_dict(),
            threshold=final.threshold,
            threshold_rule=v.threshold,
            id_columns=d.id_columns,
            group=group_given,
            extraction=extraction,
            table_path=table_path,
            training={
                "n_cases": int(data.y.size),
                "n_positive": int(data.y.sum()),
                **(
                    {"sites": dict(columns_info.site_counts)}
                    if columns_info.site is not None
                    else {}
                ),
            },
            task="binary",
        )
        runs[name] = ModelRun(spec, cols, cv, summary, final, bundle)

    primary = runs[settings.primary]
    explanations, explain_tables = _explanations(primary, data.X, data.ids, settings, say)
    comparison, comparison_rows = comparisons(
        runs, settings.primary, lambda a, b: _comparison(a, b, v.confidence)
    )
    compare: dict[str, Any] | None = None
    if settings.compare:
        from radiomix.learn.compare import compare_block

        compare = compare_block(
            runs,
            data.y,
            data.groups,
            level=v.confidence,
            n_boot=min(v.bootstrap, 1000),
            random_state=seed_for(v.random_state, 77),
        )
        for key, c in compare.items():
            say(
                f"{key}: AUC {c['auc_new']:.3f} vs {c['auc_old']:.3f} (DeLong p = "
                f"{c['delong_p']:.3g}), NRI {c['nri']:.2f}"
            )

    permutation: dict[str, Any] | None = None
    perm_rows: list[dict[str, Any]] = []
    if v.permutations > 0:
        say(f"{settings.primary}: label-permutation check, {v.permutations} permutations")
        permutation, perm_rows = permutation_check(
            BinaryTask(v.threshold),
            primary.spec,
            data.X[primary.features],
            data.y,
            data.groups,
            settings,
            primary.summary["auc"],
            say,
            label="AUC",
            coding={},  # the two-class fold checks, as in nested_cv
        )

    metrics: dict[str, Any] = {
        "primary": primary.summary,
        "models": {name: run.summary for name, run in runs.items()},
        "permutation": permutation,
        "comparison": comparison,
        "compare": compare,
        "skipped": skipped,
        "explanations": explanations,
        "study": {
            "name": settings.name,
            "validation_scheme": v.scheme,
            **columns_info.to_dict(settings),
            **table_provenance(table_path),
            "n_rows_dropped_missing_label": data.n_dropped,
            "n_infinite_values": data.n_infinite,
            "non_numeric_columns": data.non_numeric,
            "label": data.coding.to_dict(),
            "group": group_given,
            "n_groups": int(np.unique(data.groups).size) if data.groups is not None else None,
            "n_cases": int(data.y.size),
            "n_positive": int(data.y.sum()),
            "n_features": len(data.features),
            "outer_folds": v.outer_folds,
            "inner_folds": v.inner_folds,
            "repeats": repeats,
            "threshold_rule": v.threshold,
            **study_provenance(settings, extraction, time.perf_counter() - t_start),
        },
    }
    metrics = jsonable(metrics)
    result = StudyResult(as_given(settings), data, runs, metrics, out_dir)
    if out_dir is not None:
        write_run(result, out_dir, comparison_rows, perm_rows)
        write_explanations(out_dir, explain_tables)
        say(f"run written to {out_dir}")
    return result


def _explanations(
    run: Any,
    X_all: pd.DataFrame,
    ids: pd.DataFrame | None,
    settings: StudySettings,
    say: Callable[[str], None],
    score: str = "ROC AUC",
) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """Permutation importance of the primary model's outer folds and SHAP values of its
    final fit (``settings.explain``): the ``explanations`` block of ``metrics.json`` and
    the tables :func:`write_explanations` writes. A failing SHAP explainer is reported, not
    raised: the study's numbers do not depend on it."""
    from radiomix.learn.importance import aggregate, explain_final, importance_info

    ex = settings.explain
    info: dict[str, Any] = {"model": run.spec.name}
    tables: dict[str, pd.DataFrame] = {}
    if ex.importance:
        tables["importance.csv"] = aggregate(
            run.cv.folds,
            run.features,
            model=run.spec.name,
            categorical=settings.data.clinical_categorical,
        )
        info["permutation_importance"] = importance_info(
            run.cv.folds, score, ex.importance_repeats, ex.importance_max_features
        )
        top = tables["importance.csv"].head(3)
        say(
            f"{run.spec.name}: permutation importance on the outer folds in "
            f"{info['permutation_importance']['seconds']:.1f} s (summed over the folds); top: "
            + ", ".join(f"{r.feature} {r.mean_importance:.3f}" for r in top.itertuples())
        )
    if ex.shap:
        X = X_all[run.features]
        try:
            shap_info, summary, values = explain_final(
                run.bundle.pipeline,
                X,
                ids,
                max_cases=ex.shap_cases,
                max_background=ex.shap_background,
                random_state=settings.validation.random_state,
                class_names=(run.bundle.label or {}).get("classes"),
            )
        except Exception as exc:  # noqa: BLE001 - an explainer failing must not lose the study
            info["shap"] = {"error": f"{type(exc).__name__}: {exc}"}
            say(f"{run.spec.name}: no SHAP values ({exc})")
        else:
            summary.insert(0, "model", run.spec.name)
            values.insert(0, "model", run.spec.name)
            tables["shap.csv"] = summary
            tables["shap_values.csv"] = values
            info["shap"] = shap_info
            say(
                f"{run.spec.name}: SHAP values of the final model ({shap_info['scale']}, "
                f"{shap_info['n_cases']} cases) in {shap_info['seconds']:.1f} s"
            )
    return info, tables


def write_explanations(out: Path, tables: Mapping[str, pd.DataFrame]) -> None:
    """Write the tables of :func:`_explanations` into a run directory."""
    for name, frame in tables.items():
        _write_csv(out / name, frame)


def write_run(
    result: StudyResult,
    out: Path,
    comparison_rows: list[dict[str, Any]],
    permutation_rows: list[dict[str, Any]],
) -> None:
    """Write the run directory of a study (see the module notes)."""
    runs = result.runs
    comp_cols = [
        "model_a",
        "model_b",
        "repeat",
        "auc_a",
        "auc_b",
        "delta_auc",
        "delta_ci_low",
        "delta_ci_high",
        "z",
        "p_value",
    ]
    tables = [
        (
            "predictions.csv",
            pd.concat([_prediction_rows(r, result.data) for r in runs.values()], ignore_index=True),
        ),
        ("selection.csv", selection_table(runs)),
        ("folds.csv", pd.DataFrame([row for r in runs.values() for row in _fold_rows(r)])),
        ("comparison.csv", pd.DataFrame(comparison_rows, columns=comp_cols)),
        ("permutation.csv", pd.DataFrame(permutation_rows, columns=["permutation", "auc"])),
    ]
    write_run_files(out, result, tables, study_to_yaml(result.settings))
