"""A whole study: nested CV of the primary model and comparators, statistics, run directory.

:func:`run_study` is what ``radiomix train`` runs: it reads the settings and the table,
codes the site and clinical columns (:func:`study_columns`), reads the task from the label
and hands the study to the one loop of every task,
:func:`radiomix.learn.task_study.run_task_study`. Two classes write this run directory
(the other tasks the same files with their own columns; see that module):

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
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiomix.errors import ConfigError, DataError
from radiomix.learn._study_parts import holm
from radiomix.learn.config import StudySettings, load_study, task_models
from radiomix.learn.models import DEFAULT_MODEL
from radiomix.learn.table import given_table
from radiomix.learn.task_study import (
    ModelRun,
    StudyResult,
    run_task_study,
    summarise_task_cv,
    write_run,
)
from radiomix.learn.tasks import BinaryTask, binary_summary, get_task, infer_task
from radiomix.learn.validation import CVResult

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
    "write_run",
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
    weights = BinaryTask().bootstrap(y, groups, n_boot, random_state)
    return binary_summary(y, np.atleast_2d(probability), np.atleast_2d(predicted), weights, level)


def summarise_cv(
    cv: CVResult,
    *,
    n_boot: int,
    level: float,
    random_state: int,
    use_groups: bool,
) -> dict[str, Any]:
    """Every summary statistic of a nested CV (see the module notes;
    :func:`radiomix.learn.task_study.summarise_task_cv` of its task)."""
    return summarise_task_cv(
        cv.task,
        cv,
        {},
        n_boot=n_boot,
        level=level,
        random_state=random_state,
        use_groups=use_groups,
    )


# ----------------------------------------------------------------------- the study


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
        default: read from the label column (:func:`radiomix.learn.tasks.infer_task`).
        Every task runs :func:`radiomix.learn.task_study.run_task_study`; the result of a
        task other than binary has the same fields and the task's metrics.

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
    frame, table_path = given_table(table)
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
    task_name = settings.task
    if task_name is None and d.label in frame.columns:
        task_name = infer_task(frame[d.label], d.label)
    if task_name is not None and task_name != "binary" and settings.task != task_name:
        changes: dict[str, Any] = {"task": task_name}
        if settings.primary == DEFAULT_MODEL and DEFAULT_MODEL not in task_models(task_name):
            # a task without the two-class default model: the task's own default
            changes["primary"] = get_task(task_name).default_primary
            say(f"primary model: {changes['primary']} ({DEFAULT_MODEL} is not a {task_name} model)")
        settings = dataclasses.replace(settings, **changes)
        say(f"task: {task_name} (read from the label column; --task sets it)")
    from radiomix.learn.harmonise import HarmoniseError

    try:
        return run_task_study(
            settings,
            frame,
            table_path=table_path,
            extraction=extraction,
            out_dir=out_dir,
            say=say,
            t_start=t_start,
            category_names=columns_info.category_names,
            group_given=group_given,
            columns=columns_info,
        )
    except HarmoniseError as exc:
        raise _harmonise_error(exc, d.harmonise, columns_info.site_codes) from exc
