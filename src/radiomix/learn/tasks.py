"""The kinds of question a study answers (``radiomix train --task``), in one table.

Each task says, in one place, how its label column is read, which models it offers, what
one fitted model outputs for a case, how the inner loop scores a candidate, how the folds
are stratified, which cases and groups it needs, and how its out-of-fold outputs become
metrics with confidence intervals:

============  =====================================================================  =========
task          label / output                                                           headline
============  =====================================================================  =========
binary        two values; probability of the positive class and a tuned threshold     ROC AUC
multiclass    three or more classes; a probability per class (argmax is the call)     macro AUC
regression    a number; the predicted value                                           R²
============  =====================================================================  =========

``binary`` keeps its own engine (:mod:`radiomix.learn.validation` and
:mod:`radiomix.learn.study`: the decision threshold, DeLong's tests, the run directory
format every tool reads); the other tasks run the task-generic nested cross-validation of
:mod:`radiomix.learn.task_cv` and write their run directory with
:mod:`radiomix.learn.task_study`. A new task (e.g. survival: time and event columns, a risk
score, Harrell's C) is a new :class:`Task` subclass registered in :data:`TASKS`; nothing else
branches on the task's name.

Adding survival: a ``SurvivalTask`` whose ``encode`` returns scikit-survival's structured
(event, time) array (the time column as ``data.label``, the event column from its own
setting), ``strata`` the event indicator, ``output`` the model's risk score,
``score`` Harrell's C, ``summarise`` the C-indices, time-dependent AUCs and Brier scores
with their CIs, ``models`` penalised Cox, random survival forest and gradient-boosted
survival; a view in :data:`radiomix.report.task_report.VIEWS` draws its figures.

Without ``--task`` the label decides: two values are ``binary`` (as always), three to
:data:`MAX_INFERRED_CLASSES` distinct values of a column that is not of a floating-point
type are ``multiclass``; anything else is an error that says which ``--task`` to pass.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from radiomix.errors import ConfigError, DataError
from radiomix.learn.models import (
    DEFAULT_MODEL,
    DEFAULT_REGRESSION_MODEL,
    MODELS,
    MULTICLASS_MODELS,
    REGRESSION_MODELS,
    ModelSpec,
)
from radiomix.learn.task_metrics import (
    MULTICLASS_METRICS,
    REGRESSION_METRICS,
    confusion_matrix,
    macro_auc,
    multiclass_metrics,
    r2_score,
    regression_metrics,
    stratified_weights,
)

__all__ = [
    "MAX_INFERRED_CLASSES",
    "TASKS",
    "BinaryTask",
    "MulticlassTask",
    "RegressionTask",
    "Task",
    "get_task",
    "infer_task",
    "task_names",
]

#: the most distinct values of a label column read as classes without ``--task multiclass``
MAX_INFERRED_CLASSES = 20


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _shown(values: Any, limit: int = 6) -> str:
    vals = list(values)
    text = ", ".join(repr(_plain(v)) for v in vals[:limit])
    return text + (" ..." if len(vals) > limit else "")


def _needed_groups(outer: int, inner: int) -> int:
    """Groups a stratum needs: one per outer test fold, and enough in every outer training
    part for the inner folds (n (outer - 1) / outer >= inner)."""
    return max(outer, math.ceil(inner * outer / (outer - 1)))


def _median(values: np.ndarray) -> float:
    v = np.asarray(values, dtype=np.float64)
    return float(np.nanmedian(v)) if np.isfinite(v).any() else math.nan


def _ci_of(stack: np.ndarray, level: float) -> list[float]:
    """Percentile interval of the per-resample medians over repeats; stack (R, B)."""
    from radiomix.learn.metrics import percentile_ci

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(stack, axis=0)
    return list(percentile_ci(med, level))


class Task:
    """What a kind of study needs (see the module notes); subclasses fill it in.

    Attributes
    ----------
    name : str
    description : str
    headline : str
        Key of the headline metric in ``metrics.json`` (``auc``, ``macro_auc``, ``r2``).
    headline_label : str
    chance : float
        The headline value of a model that learned nothing (0.5 for an AUC, 0 for R²).
    metric_names : tuple of str
        Whole-sample metrics reported with CIs.
    models : mapping of name -> ModelSpec
    default_primary : str
    default_comparators : tuple of str
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    headline: ClassVar[str] = ""
    headline_label: ClassVar[str] = ""
    chance: ClassVar[float] = math.nan
    metric_names: ClassVar[tuple[str, ...]] = ()
    models: ClassVar[Mapping[str, ModelSpec]] = {}
    default_primary: ClassVar[str] = ""
    default_comparators: ClassVar[tuple[str, ...]] = ()

    # ------------------------------------------------------------------ the label

    def encode(
        self, values: pd.Series, column: str, positive: Any = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """The model's target from the label column (no missing values), and its coding
        (JSON-ready: stored in ``metrics.json`` and the bundles)."""
        raise NotImplementedError

    def decode(self, coding: Mapping[str, Any], y: np.ndarray) -> np.ndarray:
        """The label values of targets (inverse of :meth:`encode`)."""
        return np.asarray(y)

    # ------------------------------------------------------------------ the model

    def output(self, estimator: Any, X: Any, n_outputs: int) -> np.ndarray:
        """What a fitted estimator (a pipeline or its last step) says about the rows of X."""
        raise NotImplementedError

    def n_outputs(self, y: np.ndarray) -> int:
        """Columns of :meth:`output` (0: one value per case)."""
        return 0

    def score(self, y: np.ndarray, out: np.ndarray) -> float:
        """The inner loop's score of a candidate on one test split (higher is better)."""
        raise NotImplementedError

    def strata(self, y: np.ndarray) -> np.ndarray:
        """What the folds and the bootstrap keep balanced."""
        return np.asarray(y)

    def check_folds(
        self,
        y: np.ndarray,
        groups: np.ndarray,
        outer: int,
        inner: int,
        coding: Mapping[str, Any],
    ) -> None:
        """Raise a DataError when the cases or groups are too few for the folds."""
        raise NotImplementedError

    # ------------------------------------------------------------------ the numbers

    def summarise(
        self,
        y: np.ndarray,
        outputs: np.ndarray,
        groups: np.ndarray | None,
        coding: Mapping[str, Any],
        *,
        n_boot: int,
        level: float,
        random_state: int,
    ) -> dict[str, Any]:
        """Metrics (median over repeats) with bootstrap CIs of ``outputs`` (R, n[, K])."""
        raise NotImplementedError

    def details(self, summary: Mapping[str, Any]) -> str:
        """What the command line adds after the headline of a summary (one line)."""
        return f" ({summary.get('n_cases')} cases)"


class BinaryTask(Task):
    """Two classes: the original radiomix task (its engine is :mod:`~radiomix.learn.study`)."""

    name = "binary"
    description = "two classes: probability of the positive class, tuned decision threshold"
    headline = "auc"
    headline_label = "ROC AUC"
    chance = 0.5
    models = MODELS
    default_primary = DEFAULT_MODEL
    default_comparators = ("shape_only_lr",)

    def encode(
        self, values: pd.Series, column: str, positive: Any = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        from radiomix.learn.table import encode_labels

        y, coding = encode_labels(values, column, positive)
        return y, coding.to_dict()

    def output(self, estimator: Any, X: Any, n_outputs: int) -> np.ndarray:
        return np.asarray(estimator.predict_proba(X)[:, 1], dtype=np.float64)

    def score(self, y: np.ndarray, out: np.ndarray) -> float:
        from radiomix.learn.metrics import roc_auc

        return roc_auc(y, out) if np.unique(y).size == 2 else math.nan


class MulticlassTask(Task):
    """Three or more classes: a probability per class; the call is the most probable one."""

    name = "multiclass"
    description = "several classes: a probability per class, the most probable is the call"
    headline = "macro_auc"
    headline_label = "macro ROC AUC (one vs rest)"
    chance = 0.5
    metric_names = MULTICLASS_METRICS
    models = MULTICLASS_MODELS
    default_primary = DEFAULT_MODEL
    default_comparators = ("shape_only_lr",)

    def encode(
        self, values: pd.Series, column: str, positive: Any = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if positive is not None:
            raise ConfigError(
                "--positive (data.positive) names the positive one of two classes; a "
                "multiclass task has none"
            )
        uniq = pd.unique(values)
        if len(uniq) < 3:
            raise DataError(
                f"label column {column!r} has {len(uniq)} values ({_shown(uniq)}); a "
                "multiclass task needs at least three (use --task binary for two)"
            )
        try:
            classes = sorted(uniq)
        except TypeError:  # mixed types: order by their text
            classes = sorted(uniq, key=str)
        index = {c: i for i, c in enumerate(classes)}
        y = np.array([index[v] for v in values.to_numpy()], dtype=np.int64)
        return y, {
            "column": column,
            "classes": [_plain(c) for c in classes],
            "rule": "sorted values",
        }

    def decode(self, coding: Mapping[str, Any], y: np.ndarray) -> np.ndarray:
        classes = np.asarray(coding["classes"], dtype=object)
        return classes[np.asarray(y, dtype=np.intp)]

    def n_outputs(self, y: np.ndarray) -> int:
        return int(np.max(y)) + 1

    def details(self, summary: Mapping[str, Any]) -> str:
        return _multiclass_details(summary)

    def output(self, estimator: Any, X: Any, n_outputs: int) -> np.ndarray:
        proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
        cols = np.asarray(estimator.classes_, dtype=np.intp)
        out = np.zeros((proba.shape[0], n_outputs))
        out[:, cols] = proba  # a class missing from a training split gets probability 0
        return out

    def score(self, y: np.ndarray, out: np.ndarray) -> float:
        return macro_auc(y, out)

    def check_folds(
        self,
        y: np.ndarray,
        groups: np.ndarray,
        outer: int,
        inner: int,
        coding: Mapping[str, Any],
    ) -> None:
        needed = _needed_groups(outer, inner)
        classes = coding["classes"]
        for k, value in enumerate(classes):
            n_groups = np.unique(groups[y == k]).size
            if n_groups < needed:
                raise DataError(
                    f"class {value!r} of label column {coding['column']!r} has only "
                    f"{n_groups} cases (or groups) for {outer} outer x {inner} inner folds; "
                    f"each class needs at least {needed} (merge or drop rare classes, use "
                    "fewer folds, or more data)"
                )

    def summarise(
        self,
        y: np.ndarray,
        outputs: np.ndarray,
        groups: np.ndarray | None,
        coding: Mapping[str, Any],
        *,
        n_boot: int,
        level: float,
        random_state: int,
    ) -> dict[str, Any]:
        P = outputs if outputs.ndim == 3 else outputs[None]
        R, n, K = P.shape
        ones = np.ones((1, n))
        per = [multiclass_metrics(ones, y, P[r]) for r in range(R)]
        out: dict[str, Any] = {}
        for name in MULTICLASS_METRICS:
            out[name] = _median(np.array([m[0][name][0] for m in per]))
        aucs = np.array([m[0]["macro_auc"][0] for m in per])
        out["macro_auc_repeats"] = aucs.tolist()
        sens = np.array([m[1]["sensitivity"][0] for m in per])  # (R, K)
        cauc = np.array([m[1]["auc"][0] for m in per])
        boot = None
        if n_boot > 0:
            W = stratified_weights(y, groups, n_boot, random_state)
            boot = [multiclass_metrics(W, y, P[r]) for r in range(R)]
            for name in MULTICLASS_METRICS:
                out[f"{name}_ci"] = _ci_of(np.vstack([b[0][name] for b in boot]), level)
        else:
            for name in MULTICLASS_METRICS:
                out[f"{name}_ci"] = [math.nan, math.nan]
        per_class: dict[str, Any] = {}
        for k, value in enumerate(coding["classes"]):
            entry: dict[str, Any] = {
                "n_cases": int((y == k).sum()),
                "sensitivity": _median(sens[:, k]),
                "auc": _median(cauc[:, k]),
            }
            for key in ("sensitivity", "auc"):
                entry[f"{key}_ci"] = (
                    _ci_of(np.vstack([b[1][key][:, k] for b in boot]), level)
                    if boot is not None
                    else [math.nan, math.nan]
                )
            per_class[str(value)] = entry
        out["per_class"] = per_class
        mid = int(np.argmin(np.abs(aucs - np.median(aucs))))
        out["confusion_matrix"] = confusion_matrix(y, np.argmax(P[mid], axis=1), K).tolist()
        out["confusion_matrix_repeat"] = mid
        out["classes"] = list(coding["classes"])
        out["n_cases"] = int(n)
        out["class_counts"] = [int((y == k).sum()) for k in range(K)]
        return out


def _num(v: Any, spec: str) -> str:
    """A number for a message ('-' for a missing or undefined one)."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return format(v, spec)


def _multiclass_details(summary: Mapping[str, Any]) -> str:
    sens = ", ".join(
        f"{c} {_num(v.get('sensitivity'), '.2f')}"
        for c, v in (summary.get("per_class") or {}).items()
    )
    return (
        f", micro AUC {_num(summary.get('micro_auc'), '.3f')}, accuracy "
        f"{_num(summary.get('accuracy'), '.3f')}, sensitivity per class: {sens} "
        f"({summary.get('n_cases')} cases)"
    )


class RegressionTask(Task):
    """A numeric outcome: the predicted value."""

    name = "regression"
    description = "a numeric outcome: the predicted value"
    headline = "r2"
    headline_label = "R² (out of fold)"
    chance = 0.0
    metric_names = REGRESSION_METRICS
    models = REGRESSION_MODELS
    default_primary = DEFAULT_REGRESSION_MODEL
    default_comparators = ("shape_only_ridge",)

    #: quantile bins of the outcome that the folds and the bootstrap keep balanced
    bins: ClassVar[int] = 5

    def encode(
        self, values: pd.Series, column: str, positive: Any = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if positive is not None:
            raise ConfigError(
                "--positive (data.positive) names the positive one of two classes; a "
                "regression task has none"
            )
        dtype = values.dtype
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            text = [v for v in pd.unique(values) if not _is_number(v)]
            raise DataError(
                f"label column {column!r} holds text ({_shown(text or pd.unique(values))}); "
                "--task regression needs a numeric outcome (use --task binary or multiclass "
                "for classes)"
            )
        y = values.to_numpy(dtype=np.float64)
        if not np.isfinite(y).all():
            raise DataError(f"label column {column!r} holds infinite values")
        if np.unique(y).size < 2:
            raise DataError(f"label column {column!r} is constant: there is nothing to predict")
        return y, {
            "column": column,
            "kind": "numeric",
            "mean": float(y.mean()),
            "sd": float(y.std(ddof=1)),
            "min": float(y.min()),
            "max": float(y.max()),
        }

    def output(self, estimator: Any, X: Any, n_outputs: int) -> np.ndarray:
        return np.asarray(estimator.predict(X), dtype=np.float64).ravel()

    def score(self, y: np.ndarray, out: np.ndarray) -> float:
        return r2_score(y, out)

    def details(self, summary: Mapping[str, Any]) -> str:
        return (
            f", MAE {_num(summary.get('mae'), '.3g')}, RMSE {_num(summary.get('rmse'), '.3g')}, "
            f"calibration slope {_num(summary.get('calibration_slope'), '.2f')} "
            f"({summary.get('n_cases')} cases)"
        )

    def strata(self, y: np.ndarray) -> np.ndarray:
        """Quantile bins of the outcome (ranks, so ties and skew do no harm)."""
        yy = np.asarray(y, dtype=np.float64)
        n_bins = max(1, min(self.bins, yy.size // 10))
        ranks = pd.Series(yy).rank(method="first").to_numpy()
        return np.minimum((ranks - 1) * n_bins // yy.size, n_bins - 1).astype(np.int64)

    def check_folds(
        self,
        y: np.ndarray,
        groups: np.ndarray,
        outer: int,
        inner: int,
        coding: Mapping[str, Any],
    ) -> None:
        needed = 2 * _needed_groups(outer, inner)
        n_groups = np.unique(groups).size
        if n_groups < needed:
            raise DataError(
                f"only {n_groups} cases (or groups) for {outer} outer x {inner} inner folds; "
                f"a regression needs at least {needed} (use fewer folds or more data)"
            )

    def summarise(
        self,
        y: np.ndarray,
        outputs: np.ndarray,
        groups: np.ndarray | None,
        coding: Mapping[str, Any],
        *,
        n_boot: int,
        level: float,
        random_state: int,
    ) -> dict[str, Any]:
        Yh = np.atleast_2d(outputs)
        R, n = Yh.shape
        ones = np.ones((1, n))
        per = [regression_metrics(ones, y, Yh[r]) for r in range(R)]
        out: dict[str, Any] = {}
        for name in REGRESSION_METRICS:
            out[name] = _median(np.array([m[name][0] for m in per]))
        r2 = np.array([m["r2"][0] for m in per])
        out["r2_repeats"] = r2.tolist()
        if n_boot > 0:
            W = stratified_weights(self.strata(y), groups, n_boot, random_state)
            boot = [regression_metrics(W, y, Yh[r]) for r in range(R)]
            for name in REGRESSION_METRICS:
                out[f"{name}_ci"] = _ci_of(np.vstack([b[name] for b in boot]), level)
        else:
            for name in REGRESSION_METRICS:
                out[f"{name}_ci"] = [math.nan, math.nan]
        out["n_cases"] = int(n)
        out["outcome_mean"] = float(np.mean(y))
        out["outcome_sd"] = float(np.std(y, ddof=1)) if n > 1 else math.nan
        return out


def _is_number(v: Any) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


TASKS: dict[str, Task] = {t.name: t for t in (BinaryTask(), MulticlassTask(), RegressionTask())}
"""The tasks by name."""


def task_names() -> list[str]:
    return list(TASKS)


def get_task(name: str) -> Task:
    """The task ``name``; a ConfigError naming the valid ones otherwise."""
    try:
        return TASKS[name]
    except KeyError:
        from radiomix._config import did_you_mean

        hint = did_you_mean(str(name), list(TASKS), list_valid=False)
        raise ConfigError(f"unknown task {name!r} (tasks: {', '.join(TASKS)}){hint}") from None


def infer_task(values: pd.Series, column: str) -> str:
    """The task a label column asks for when none is given (see the module notes).

    Raises
    ------
    DataError
        When the column is not plainly classes: say which ``--task`` to pass.
    """
    v = values.dropna()
    n_values = int(v.nunique())
    if n_values <= 2:
        return "binary"  # one value: the binary reader says "exactly two values"
    dtype = v.dtype
    if pd.api.types.is_float_dtype(dtype):
        raise DataError(
            f"label column {column!r} holds {n_values} different numbers; pass --task "
            "regression for a numeric outcome (or --task multiclass if they are class codes)"
        )
    if n_values > MAX_INFERRED_CLASSES:
        raise DataError(
            f"label column {column!r} has {n_values} different values, too many to read as "
            "classes without being told; pass --task multiclass (classes) or --task "
            "regression (a numeric outcome)"
        )
    return "multiclass"
