"""From a feature table to a validated model: leakage-safe selection, models, nested CV.

Every data-dependent step (imputation, filters, selection, scaling, tuning, the decision
threshold) is fitted inside the training folds of a repeated, stratified, group-aware nested
cross-validation; performance comes with confidence intervals; the final model is saved with
its feature schema, label mapping, threshold and extraction settings.

>>> from radiomix.learn import run_study
>>> result = run_study("features.csv", label="diagnosis", out="run")  # doctest: +SKIP
>>> result.metrics["primary"]["auc"], result.metrics["primary"]["auc_ci"]  # doctest: +SKIP

Modules: :mod:`~radiomix.learn.selectors` (scikit-learn selectors),
:mod:`~radiomix.learn.models` (named pipelines and grids), :mod:`~radiomix.learn.task_cv`
(nested CV of every task; :mod:`~radiomix.learn.validation` its two-class view),
:mod:`~radiomix.learn.metrics` (metrics, DeLong, bootstrap),
:mod:`~radiomix.learn.study` (a whole study: settings, table, site and clinical columns),
:mod:`~radiomix.learn.external` (external validation), :mod:`~radiomix.learn.bundle`
(saved models), :mod:`~radiomix.learn.config` (study settings),
:mod:`~radiomix.learn.table` (feature tables), :mod:`~radiomix.learn.synthetic` (tables
with a known answer), :mod:`~radiomix.learn.tasks` (the tasks: binary, multiclass,
regression, survival), :mod:`~radiomix.learn.task_metrics` and
:mod:`~radiomix.learn.task_study` (the one study loop of every task and its run
directory).
"""

from __future__ import annotations

from radiomix.learn.bundle import BundleVersionWarning, ModelBundle
from radiomix.learn.config import StudySettings, load_study
from radiomix.learn.external import evaluate_external
from radiomix.learn.metrics import delong_ci, delong_test, roc_auc
from radiomix.learn.models import MODELS, get_model
from radiomix.learn.selectors import (
    MRMR,
    BorutaSelector,
    CorrelationFilter,
    NearZeroVariance,
    RobustnessFilter,
    UnivariateFilter,
    l1_selector,
    rfe_selector,
)
from radiomix.learn.study import StudyResult, run_study
from radiomix.learn.table import prepare, read_table
from radiomix.learn.task_cv import nested_cv_task
from radiomix.learn.tasks import TASKS, get_task
from radiomix.learn.validation import CVResult, fit_final, nested_cv

__all__ = [
    "MODELS",
    "MRMR",
    "TASKS",
    "BorutaSelector",
    "BundleVersionWarning",
    "CVResult",
    "CorrelationFilter",
    "ModelBundle",
    "NearZeroVariance",
    "RobustnessFilter",
    "StudyResult",
    "StudySettings",
    "UnivariateFilter",
    "delong_ci",
    "delong_test",
    "evaluate_external",
    "fit_final",
    "get_model",
    "get_task",
    "l1_selector",
    "load_study",
    "nested_cv",
    "nested_cv_task",
    "prepare",
    "read_table",
    "rfe_selector",
    "roc_auc",
    "run_study",
]
