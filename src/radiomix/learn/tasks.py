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
survival      a time and an event indicator; a risk score and survival probabilities  Harrell's C
============  =====================================================================  =========

Every task runs the nested cross-validation of :mod:`radiomix.learn.task_cv` (two classes
through :func:`radiomix.learn.validation.nested_cv`, which adds the names the two-class
tools read; :class:`BinaryTask` carries the threshold rule, :meth:`Task.threshold`), and
every study the one loop of :func:`radiomix.learn.task_study.run_task_study`; what a task's
run directory holds comes from the task's study hooks (:meth:`Task.summary`,
:meth:`Task.fold_columns`, :meth:`Task.comparison_row`, :meth:`Task.site_row`,
:meth:`Task.compare`, ...; two classes: the decision threshold, DeLong's tests, each site's
AUC and positives, in the first layout of ``Task.run_format``). A new task is a new
:class:`Task` subclass registered in :data:`TASKS`.

``survival`` (:class:`SurvivalTask`, models and metrics in :mod:`radiomix.learn.survival`)
reads two columns: the time (``--time``, ``data.time``; it is the study's label column)
and the event indicator (``--event``, ``data.event``: 0/1 or booleans; never a feature).
Its target is scikit-survival's structured ``(event, time)`` array, the folds are stratified
on the event indicator, the inner loop scores Harrell's C of the risk score, and one output
row holds the risk score and the predicted probabilities of being event-free at the
horizons (``--horizons``; default: the 25/50/75 % quantiles of the event times) and on a
grid of 15 times (for the integrated Brier score). Each outer fold also keeps the median
risk of its training cases: the cut between the low- and high-risk groups of that fold.

Without ``--task`` the label decides: two values are ``binary`` (as always), three to
:data:`MAX_INFERRED_CLASSES` distinct values of a column that is not of a floating-point
type are ``multiclass``; anything else is an error that says which ``--task`` to pass.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from radiomix.errors import ConfigError, DataError
from radiomix.learn.metrics import (
    METRIC_NAMES,
    delong_ci,
    delong_test,
    median_ci,
    median_of,
    stratified_weights,
    summarise_repeats,
    weighted_metrics,
)
from radiomix.learn.models import (
    DEFAULT_MODEL,
    DEFAULT_REGRESSION_MODEL,
    MODELS,
    MULTICLASS_MODELS,
    REGRESSION_MODELS,
    ModelSpec,
)
from radiomix.learn.survival import DEFAULT_SURVIVAL_MODEL, SURVIVAL_MODELS
from radiomix.learn.task_metrics import (
    MULTICLASS_METRICS,
    REGRESSION_METRICS,
    confusion_matrix,
    macro_auc,
    multiclass_metrics,
    r2_score,
    regression_metrics,
)

__all__ = [
    "MAX_INFERRED_CLASSES",
    "TASKS",
    "BinaryTask",
    "MulticlassTask",
    "RegressionTask",
    "SurvivalTask",
    "Task",
    "TaskInput",
    "binary_summary",
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


def _no_positive(positive: Any, task: str, why: str = "") -> None:
    """The refusal of ``--positive`` by a task that has no positive class."""
    if positive is not None:
        raise ConfigError(
            "--positive (data.positive) names the positive one of two classes; a "
            f"{task} task has none{why}"
        )


def _external_option(option: str, what: str, value: Any, task: str) -> None:
    """The refusal of an option of ``radiomix evaluate`` that a task does not read."""
    if value is not None:
        raise ConfigError(f"{option} applies to {what}; this run's task is {task}")


def _numbers(values: pd.Series, what: str, hint: str) -> np.ndarray:
    """A numeric column as floats; a DataError naming its text or infinite values
    (``what``: the column, ``hint``: what the task needs)."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        text = [v for v in pd.unique(values) if not _is_number(v)]
        raise DataError(f"{what} holds text ({_shown(text or pd.unique(values))}); {hint}")
    v = values.to_numpy(dtype=np.float64)
    if not np.isfinite(v).all():
        raise DataError(f"{what} holds infinite values")
    return v


def _needed_groups(outer: int, inner: int) -> int:
    """Groups a stratum needs: one per outer test fold, and enough in every outer training
    part for the inner folds (n (outer - 1) / outer >= inner)."""
    return max(outer, math.ceil(inner * outer / (outer - 1)))


#: the two classes' names in the two-class messages, by code
_BINARY_NAMES = ("negative", "positive")


def _thin_class(
    y: np.ndarray, groups: np.ndarray, n_classes: int, needed: int
) -> tuple[int, int] | None:
    """The first class (code 0..n_classes - 1) whose cases fall in fewer than ``needed``
    groups, and its number of groups; None when every class has enough."""
    for k in range(n_classes):
        n_groups = np.unique(groups[y == k]).size
        if n_groups < needed:
            return k, n_groups
    return None


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
    threshold_rule : str
        How the decision threshold is chosen in the inner loop (two classes); ``none``.
    run_format : int
        The layout of the run directory. 2: ``task`` and ``headline`` in ``metrics.json``,
        the site and clinical blocks last in its ``study`` block, ``per_group`` (leave one
        group out) before a model's ``final`` block and ``per_site`` / ``unseen_sites``
        (the sites a fold's training part lacked) after it, intervals that resample cases
        under leave-one-group-out. 1, two classes' first layout, which the two-class tools
        read: no ``task``; the site and clinical blocks after ``validation_scheme`` and
        ``threshold_rule`` in the ``study`` block; ``per_site`` (by site, else by left-out
        group) and ``unseen_sites`` (the sites a fold's ComBat had not seen) before
        ``final``; the sites' counts in the bundles; whole groups resampled under
        leave-one-group-out too.
    check_permuted : bool
        Whether the label-permutation check reruns the fold checks on each permutation's
        labels (two classes: a permutation may leave a class in too few groups).
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
    threshold_rule: str = "none"
    run_format: ClassVar[int] = 2
    check_permuted: ClassVar[bool] = False

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

    def bootstrap(
        self, y: np.ndarray, groups: np.ndarray | None, n_boot: int, random_state: int
    ) -> np.ndarray | None:
        """The case multiplicities of ``n_boot`` resamples stratified by :meth:`strata`
        (whole groups with ``groups``); None without resamples."""
        if n_boot <= 0:
            return None
        return stratified_weights(self.strata(y), groups, n_boot, random_state)

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

    def check_logo(
        self, y: np.ndarray, groups: np.ndarray, inner: int, coding: Mapping[str, Any]
    ) -> int:
        """Raise a DataError when leave-one-group-out cannot run; return the inner folds to
        use (at most the groups of a training part: the inner loop is group k-fold too).

        Every training part (all groups but one) must let the inner loop tune: what it
        needs is :meth:`logo_training_problem`'s."""
        g = np.asarray(groups)
        names = np.unique(g)
        if names.size < 3:
            raise DataError(
                f"leave-one-group-out needs at least 3 groups, the group column has {names.size}"
            )
        for u in names:
            tr = g != u
            problem = self.logo_training_problem(y[tr], g[tr], coding)
            if problem:
                raise DataError(
                    f"leaving out group {_plain(u)!r} leaves {problem}: the inner loop cannot "
                    "tune (merge small groups, or use --validation kfold)"
                )
        return max(2, min(inner, names.size - 1))

    def logo_training_problem(
        self, y: np.ndarray, groups: np.ndarray, coding: Mapping[str, Any]
    ) -> str | None:
        """Why the training part of one leave-one-group-out fold cannot be tuned (None:
        it can)."""
        return None

    def group_note(self, y: np.ndarray, coding: Mapping[str, Any]) -> str | None:
        """Why the headline of one group's cases is missing or partial (None: it is not)."""
        return None

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
        cutoffs: np.ndarray | None = None,
        thresholds: np.ndarray | None = None,
    ) -> dict[str, Any]:
        """Metrics (median over repeats) with bootstrap CIs of ``outputs`` (R, n[, K]).

        ``cutoffs`` (R, n): the cut of the fold that predicted each case (survival: the
        median training risk; see :meth:`cutoff`); ``thresholds`` (R, n): that fold's
        decision threshold (two classes)."""
        weights = self.bootstrap(y, groups, n_boot, random_state)
        return self.summary(Scored(y, outputs, coding, weights, level, cutoffs, thresholds))

    def summary(self, s: Scored) -> dict[str, Any]:
        """The task's metrics of :meth:`summarise` (median over repeats, intervals from
        ``s.weights``: :func:`radiomix.learn.metrics.summarise_repeats`)."""
        raise NotImplementedError

    def details(self, summary: Mapping[str, Any]) -> str:
        """What the command line adds after the headline of a summary (one line)."""
        return f" ({summary.get('n_cases')} cases)"

    # ------------------------------------------------------------------ task hooks

    def reader(self, frame: pd.DataFrame, settings: Any) -> TaskInput:
        """The rows and columns a study of this task reads (``settings``: StudySettings)."""
        return TaskInput(frame, str(settings.data.label), self.encode)

    def configure(self, coding: Mapping[str, Any]) -> Task:
        """The task set up for one data set's coding (survival: its horizons)."""
        return self

    def search_width(self, n_outputs: int) -> int:
        """Columns of :meth:`search_output` (0: one value per case)."""
        return n_outputs

    def search_output(self, estimator: Any, X: Any, n_outputs: int) -> np.ndarray:
        """What the inner loop scores (default: :meth:`output`)."""
        return self.output(estimator, X, n_outputs)

    def cutoff(self, estimator: Any, X_train: Any) -> float:
        """A cut fitted on a fold's training cases (survival: their median risk); NaN."""
        return math.nan

    def threshold(self, y: np.ndarray, inner_output: np.ndarray) -> float:
        """The decision threshold chosen on the inner loop's pooled out-of-fold outputs of
        the winning candidate (two classes: the threshold rule); NaN: none."""
        return math.nan

    def family_output(self, estimator: Any, X: Any, n_outputs: int) -> np.ndarray:
        """:meth:`output` of an outer fold whose model family was chosen inside it
        (``auto``): the outer folds' outputs are pooled, so they must share one scale
        whichever family each fold chose (default: :meth:`output`, whose probabilities and
        values already do)."""
        return self.output(estimator, X, n_outputs)

    def family_cutoff(self, estimator: Any, X_train: Any) -> float:
        """:meth:`cutoff` on the scale of :meth:`family_output`."""
        return self.cutoff(estimator, X_train)

    def target_columns(self, y: np.ndarray) -> dict[str, np.ndarray]:
        """Columns of a predictions table that hold the target."""
        return {"y": np.asarray(y)}

    def prediction_columns(
        self,
        out: np.ndarray,
        coding: Mapping[str, Any],
        cutoff: np.ndarray | float | None = None,
        threshold: np.ndarray | None = None,
    ) -> dict[str, Any] | None:
        """Columns of a predictions table made from outputs (None: the caller's own);
        ``threshold``: each case's decision threshold (two classes)."""
        return None

    # ------------------------------------------------------------------ an external table

    def external_target(
        self,
        frame: pd.DataFrame,
        column: str,
        coding: Mapping[str, Any],
        event: str | None = None,
        positive: Any = None,
    ) -> np.ndarray:
        """The target of an external table in the training coding (``column``: its label
        column, survival's time; ``event``: survival's event column; ``positive``: the
        positive one of two classes spelled otherwise than in training; the tasks without
        them refuse them)."""
        _external_option("--positive", "two classes", positive, self.name)
        _external_option("--event", "survival", event, self.name)
        y, _ = self.encode(frame[column], column)
        return y

    def decision_rule(self, bundle: Any) -> dict[str, Any]:
        """What a frozen model's external summary names after the model (``bundle``:
        ``ModelBundle``; two classes: its threshold and the threshold's rule)."""
        return {}

    def permutation_null(
        self, y: np.ndarray, out: np.ndarray, n_permutations: int, random_state: int
    ) -> np.ndarray:
        """The headline of fixed outputs against ``n_permutations`` permutations of the
        targets: the null of an external evaluation's label-permutation test."""
        rng = np.random.default_rng(random_state)
        return np.array([self.score(rng.permutation(y), out) for _ in range(n_permutations)])

    # ------------------------------------------------------------------ the study

    def for_study(self, settings: Any) -> Task:
        """The task set up for a study's settings (``StudySettings``; two classes: its
        threshold rule)."""
        return self

    def describe(self, y: np.ndarray, coding: Mapping[str, Any], label: str) -> str:
        """The start of the progress line that says what a study learns from."""
        if "classes" in coding:
            what = f"{len(coding['classes'])} classes"
        elif "event" in coding:
            what = (
                f"time {coding['time']!r}, event {coding['event']!r} ({coding['n_events']} events)"
            )
        else:
            what = f"outcome {label!r}"
        return f"{self.name}: {y.size} cases, {what}"

    def case_counts(self, y: np.ndarray) -> dict[str, int]:
        """Counts of the cases beside ``n_cases`` in the ``study`` block and the bundles."""
        return {}

    def view(self, cv: Any) -> Any:
        """A nested CV's result (``TaskCVResult``) under the names the task's tools read."""
        return cv

    def cv_summary(self, cv: Any) -> dict[str, Any]:
        """What a model's summary adds from its outer folds (two classes: the threshold)."""
        return {}

    def fold_columns(self, cv: Any, fold: Any, score: float) -> dict[str, Any]:
        """The middle columns of a ``folds.csv`` row: the test part and the scores."""
        h = self.headline
        test_groups = cv.groups[fold.test_index]
        logo = cv.extra.get("scheme") == "leave-one-group-out"
        return {
            "n_test": int(fold.test_index.size),
            "n_groups_test": int(np.unique(test_groups).size),
            **({"test_group": str(test_groups[0])} if logo else {}),
            f"inner_{h}": fold.inner_score,
            f"test_{h}": score,
        }

    def site_row(self, cv: Any, idx: np.ndarray) -> dict[str, Any]:
        """A site's entry of ``per_site`` beside its name and cases: its score."""
        from radiomix.learn._study_parts import subset_score

        return {self.headline: subset_score(self, cv, idx)}

    def comparison_columns(self) -> list[str]:
        """The columns of ``comparison.csv`` after ``model_a``, ``model_b``, ``repeat``."""
        h = self.headline
        return [f"{h}_a", f"{h}_b", f"delta_{h}"]

    def comparison_row(self, a: Any, b: Any, r: int, level: float) -> dict[str, Any]:
        """Two models' repeat ``r`` in ``comparison.csv`` (``a``, ``b``: their nested CV
        results on the same cases; :meth:`comparison_columns`): the headline of each and
        their difference."""
        h = self.headline
        score_a, score_b = self.score(a.y, a.output[r]), self.score(b.y, b.output[r])
        return {
            f"{h}_a": float(score_a),
            f"{h}_b": float(score_b),
            f"delta_{h}": float(score_a - score_b),
        }

    def comparison_summary(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """What the comparison of two models adds from its rows (two classes: DeLong's
        p-values)."""
        return {}

    def compare(
        self,
        runs: Mapping[str, Any],
        y: np.ndarray,
        groups: np.ndarray | None,
        coding: Mapping[str, Any],
        say: Callable[[str], None],
        **boot: Any,
    ) -> dict[str, Any] | None:
        """The ``compare`` block of ``--compare clinical,radiomics,combined`` (what the image
        adds; ``boot``: ``level``, ``n_boot``, ``random_state`` of its intervals; None: the
        task has none)."""
        return None

    def compare_table(self, block: Mapping[str, Any]) -> pd.DataFrame | None:
        """``compare.csv`` of a ``compare`` block (None: none is written)."""
        return None


@dataclass(frozen=True)
class Scored:
    """What a task's summary reads: the targets, the out-of-fold outputs (R, n[, K]), the
    label's coding, the bootstrap's case multiplicities (B, n; None: no intervals), the
    interval's level, the folds' cuts (R, n; survival) and decision thresholds (R, n; two
    classes)."""

    y: np.ndarray
    outputs: np.ndarray
    coding: Mapping[str, Any]
    weights: np.ndarray | None
    level: float
    cutoffs: np.ndarray | None = None
    thresholds: np.ndarray | None = None


@dataclass(frozen=True)
class TaskInput:
    """What a study of a task reads: the table (rows it cannot use removed), the label
    column, the label reader, columns that are never features, rows dropped."""

    frame: pd.DataFrame
    label: str
    encode: Callable[[pd.Series, str, Any], tuple[np.ndarray, dict[str, Any]]]
    not_features: tuple[str, ...] = ()
    n_dropped: int = 0


class BinaryTask(Task):
    """Two classes: the probability of the positive class and the decision threshold that
    ``threshold_rule`` (``youden``, ``sens@X``, ``spec@X``, ``fixed:X``) picks in the inner
    loop. Its run directory keeps the first layout (``run_format`` 1), with DeLong's tests
    and each site's AUC and positive cases."""

    name = "binary"
    description = "two classes: probability of the positive class, tuned decision threshold"
    headline = "auc"
    headline_label = "ROC AUC"
    chance = 0.5
    models = MODELS
    default_primary = DEFAULT_MODEL
    default_comparators = ("shape_only_lr",)
    run_format = 1
    check_permuted = True

    def __init__(self, threshold_rule: str = "youden") -> None:
        self.threshold_rule = threshold_rule

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

    def bootstrap(
        self, y: np.ndarray, groups: np.ndarray | None, n_boot: int, random_state: int
    ) -> np.ndarray | None:
        """A group of tied classes counts as positive (:func:`bootstrap_weights`)."""
        from radiomix.learn.metrics import bootstrap_weights

        return bootstrap_weights(y, groups, n_boot, random_state) if n_boot > 0 else None

    def threshold(self, y: np.ndarray, inner_output: np.ndarray) -> float:
        from radiomix.learn.metrics import choose_threshold

        return choose_threshold(y, inner_output, self.threshold_rule)

    def check_folds(
        self,
        y: np.ndarray,
        groups: np.ndarray,
        outer: int,
        inner: int,
        coding: Mapping[str, Any],
    ) -> None:
        needed = _needed_groups(outer, inner)
        thin = _thin_class(y, groups, 2, needed)
        if thin is not None:
            k, n_groups = thin
            raise DataError(
                f"only {n_groups} {_BINARY_NAMES[k]} cases (or groups) for {outer} outer x "
                f"{inner} inner folds; each class needs at least {needed} (use fewer folds or "
                "more data)"
            )

    def logo_training_problem(
        self, y: np.ndarray, groups: np.ndarray, coding: Mapping[str, Any]
    ) -> str | None:
        thin = _thin_class(y, groups, 2, 2)
        return None if thin is None else f"{_BINARY_NAMES[thin[0]]} cases in fewer than 2 groups"

    def summary(self, s: Scored) -> dict[str, Any]:
        """:func:`binary_summary` of the probabilities, each case called by the threshold
        of the fold that predicted it (``s.thresholds``)."""
        assert s.thresholds is not None
        prob = np.atleast_2d(s.outputs)
        called = (prob >= s.thresholds).astype(np.int8)
        return binary_summary(s.y, prob, called, s.weights, s.level)

    def prediction_columns(
        self,
        out: np.ndarray,
        coding: Mapping[str, Any],
        cutoff: np.ndarray | float | None = None,
        threshold: np.ndarray | None = None,
    ) -> dict[str, Any] | None:
        assert threshold is not None
        pred = (out >= threshold).astype(np.int8)
        return {
            "probability": out,
            "threshold": threshold,
            "predicted": pred,
            "predicted_label": np.where(pred == 1, coding["positive"], coding["negative"]),
        }

    def external_target(
        self,
        frame: pd.DataFrame,
        column: str,
        coding: Mapping[str, Any],
        event: str | None = None,
        positive: Any = None,
    ) -> np.ndarray:
        """1 for the positive training value (compared as text), 0 for the negative one;
        with ``positive``, 1 for that value and 0 for the other one."""
        _external_option("--event", "survival", event, self.name)
        text = frame[column].astype(str)
        uniq = sorted(set(text))
        if positive is not None:
            pos = str(positive)
            if pos not in uniq:
                raise DataError(
                    f"positive class {pos!r} is not a value of the label column ({uniq})"
                )
            if len(uniq) > 2:
                raise DataError(f"the external label column has {len(uniq)} values: {uniq}")
        else:
            pos = str(coding.get("positive"))
            known = {pos, str(coding.get("negative"))}
            unknown = [u for u in uniq if u not in known]
            if unknown:
                raise DataError(
                    f"external label values {unknown} are not the training values "
                    f"{sorted(known)}; say which value is positive (--positive VALUE)"
                )
        y = (text == pos).to_numpy().astype(np.int8)
        if y.sum() == 0 or y.sum() == y.size:
            raise DataError(
                "the external table holds one class only; AUC and sensitivity/specificity need both"
            )
        return y

    def decision_rule(self, bundle: Any) -> dict[str, Any]:
        return {"threshold": bundle.threshold, "threshold_rule": bundle.threshold_rule}

    def permutation_null(
        self, y: np.ndarray, out: np.ndarray, n_permutations: int, random_state: int
    ) -> np.ndarray:
        """The AUCs of :func:`~radiomix.learn.metrics.permutation_auc` (every permutation
        at once, from the ranks)."""
        from radiomix.learn.metrics import permutation_auc

        return permutation_auc(y, out, n_permutations, random_state)[0]

    # ------------------------------------------------------------------ the study

    def for_study(self, settings: Any) -> Task:
        return BinaryTask(settings.validation.threshold)

    def describe(self, y: np.ndarray, coding: Mapping[str, Any], label: str) -> str:
        return f"{y.size} cases ({int(y.sum())} positive = {coding['positive']!r})"

    def case_counts(self, y: np.ndarray) -> dict[str, int]:
        return {"n_positive": int(y.sum())}

    def view(self, cv: Any) -> Any:
        """:class:`~radiomix.learn.validation.CVResult` (``probability``, ``threshold``,
        ``predicted``; its folds' ``n_positive_train``)."""
        from radiomix.learn.validation import binary_view

        return binary_view(cv)

    def cv_summary(self, cv: Any) -> dict[str, Any]:
        """The median and the range of the outer folds' thresholds."""
        thr = np.array([f.threshold for f in cv.folds])
        return {
            "threshold": float(np.median(thr)),
            "threshold_range": [float(thr.min()), float(thr.max())],
        }

    def fold_columns(self, cv: Any, fold: Any, score: float) -> dict[str, Any]:
        yt = cv.y[fold.test_index]
        return {
            "n_positive_train": fold.n_positive_train,
            "n_test": int(yt.size),
            "n_positive_test": int(yt.sum()),
            "n_groups_test": int(np.unique(cv.groups[fold.test_index]).size),
            "inner_auc": fold.inner_score,
            "threshold": fold.threshold,
            "test_auc": score,
        }

    def site_row(self, cv: Any, idx: np.ndarray) -> dict[str, Any]:
        from radiomix.learn._study_parts import subset_score

        auc = subset_score(self, cv, idx)
        return {"n_positive": int(cv.y[idx].sum()), "auc": math.nan if auc is None else auc}

    def comparison_columns(self) -> list[str]:
        return ["auc_a", "auc_b", "delta_auc", "delta_ci_low", "delta_ci_high", "z", "p_value"]

    def comparison_row(self, a: Any, b: Any, r: int, level: float) -> dict[str, Any]:
        """The paired DeLong test of the two models' probabilities."""
        t = delong_test(a.y, a.output[r], b.output[r], level)
        return {
            "auc_a": t.auc1,
            "auc_b": t.auc2,
            "delta_auc": t.delta,
            "delta_ci_low": t.ci_low,
            "delta_ci_high": t.ci_high,
            "z": t.z,
            "p_value": t.p_value,
        }

    def comparison_summary(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """The median and the first repeat's DeLong p-value."""
        p = np.array([r["p_value"] for r in rows])
        return {"delong_p_median": float(np.median(p)), "delong_p_first_repeat": float(p[0])}

    def compare(
        self,
        runs: Mapping[str, Any],
        y: np.ndarray,
        groups: np.ndarray | None,
        coding: Mapping[str, Any],
        say: Callable[[str], None],
        **boot: Any,
    ) -> dict[str, Any] | None:
        """DeLong's test and the continuous NRI of each pair
        (:func:`radiomix.learn.compare.compare_block`)."""
        from radiomix.learn.compare import compare_block

        block = compare_block(dict(runs), y, groups, **boot)
        for key, c in block.items():
            say(
                f"{key}: AUC {c['auc_new']:.3f} vs {c['auc_old']:.3f} (DeLong p = "
                f"{c['delong_p']:.3g}), NRI {c['nri']:.2f}"
            )
        return block


def binary_summary(
    y: np.ndarray,
    P: np.ndarray,
    D: np.ndarray,
    weights: np.ndarray | None,
    level: float,
) -> dict[str, Any]:
    """The two-class metrics of probabilities ``P`` and predicted classes ``D`` (R, n):
    every metric of :data:`~radiomix.learn.metrics.METRIC_NAMES` (median over repeats, its
    interval from the bootstrap's ``weights``), ``auc_repeats``, DeLong's interval
    (``auc_ci_delong``, ``auc_se_delong``) on the repeat whose AUC is closest to the
    median, ``n_cases``, ``n_positive``."""
    out, _, _ = summarise_repeats(
        lambda w, r: weighted_metrics(w, y, P[r], D[r]),
        P.shape[0],
        y.size,
        METRIC_NAMES,
        "auc",
        weights,
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


class MulticlassTask(Task):
    """Three or more classes: a probability per class; the call is the most probable one."""

    name = "multiclass"
    description = "several classes: a probability per class, the most probable is the call"
    headline = "macro_auc"
    headline_label = "macro ROC AUC (one vs rest)"
    chance = 0.5
    metric_names = MULTICLASS_METRICS
    models = MULTICLASS_MODELS
    default_primary = DEFAULT_MODEL  # auto: its families scored by macro AUC
    default_comparators = ("shape_only_lr",)

    def encode(
        self, values: pd.Series, column: str, positive: Any = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        _no_positive(positive, "multiclass")
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

    def external_target(
        self,
        frame: pd.DataFrame,
        column: str,
        coding: Mapping[str, Any],
        event: str | None = None,
        positive: Any = None,
    ) -> np.ndarray:
        """The index of each case's training class (compared as text)."""
        _external_option("--positive", "two classes", positive, self.name)
        _external_option("--event", "survival", event, self.name)
        classes = [str(c) for c in coding["classes"]]
        text = frame[column].astype(str)
        unknown = sorted(set(text) - set(classes))
        if unknown:
            raise DataError(
                f"external label values {unknown} are not training classes {classes}; rename "
                "them to the training values"
            )
        y = text.map({c: i for i, c in enumerate(classes)}).to_numpy().astype(np.int64)
        if np.unique(y).size < 2:
            raise DataError(
                "the external table holds one class only; the one-vs-rest AUCs need at least two"
            )
        return y

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
        thin = _thin_class(y, groups, len(classes), needed)
        if thin is not None:
            k, n_groups = thin
            raise DataError(
                f"class {classes[k]!r} of label column {coding['column']!r} has only "
                f"{n_groups} cases (or groups) for {outer} outer x {inner} inner folds; "
                f"each class needs at least {needed} (merge or drop rare classes, use "
                "fewer folds, or more data)"
            )

    def logo_training_problem(
        self, y: np.ndarray, groups: np.ndarray, coding: Mapping[str, Any]
    ) -> str | None:
        classes = coding["classes"]
        thin = _thin_class(y, groups, len(classes), 2)
        return None if thin is None else f"class {classes[thin[0]]!r} in fewer than 2 groups"

    def group_note(self, y: np.ndarray, coding: Mapping[str, Any]) -> str | None:
        classes = list(coding["classes"])
        present = [c for k, c in enumerate(classes) if (np.asarray(y) == k).any()]
        if len(present) < 2:
            return f"one class only ({_shown(present)}): no one-vs-rest AUC"
        if len(present) < len(classes):
            absent = [c for c in classes if c not in present]
            return f"no case of {_shown(absent)}: macro AUC over the {len(present)} classes present"
        return None

    def summary(self, s: Scored) -> dict[str, Any]:
        y, coding, level = s.y, s.coding, s.level
        P = s.outputs if s.outputs.ndim == 3 else s.outputs[None]
        R, n, K = P.shape

        def metrics(w: np.ndarray, r: int) -> dict[str, np.ndarray]:
            overall, classes = multiclass_metrics(w, y, P[r])
            return {**overall, **classes}  # per class: sensitivity, auc (B, K)

        out, per, boot = summarise_repeats(
            metrics, R, n, MULTICLASS_METRICS, self.headline, s.weights, level
        )
        aucs = np.asarray(out["macro_auc_repeats"])
        sens = np.array([m["sensitivity"][0] for m in per])  # (R, K)
        cauc = np.array([m["auc"][0] for m in per])
        per_class: dict[str, Any] = {}
        for k, value in enumerate(coding["classes"]):
            entry: dict[str, Any] = {
                "n_cases": int((y == k).sum()),
                "sensitivity": median_of(sens[:, k]),
                "auc": median_of(cauc[:, k]),
            }
            for key in ("sensitivity", "auc"):
                entry[f"{key}_ci"] = (
                    median_ci(np.vstack([b[key][:, k] for b in boot]), level)
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
        _no_positive(positive, "regression")
        y = _numbers(
            values,
            f"label column {column!r}",
            "--task regression needs a numeric outcome (use --task binary or multiclass for "
            "classes)",
        )
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

    def logo_training_problem(
        self, y: np.ndarray, groups: np.ndarray, coding: Mapping[str, Any]
    ) -> str | None:
        if np.asarray(y).size < 4:
            return f"{np.asarray(y).size} cases"
        return None

    def group_note(self, y: np.ndarray, coding: Mapping[str, Any]) -> str | None:
        yy = np.asarray(y, dtype=np.float64)
        if yy.size < 3:
            return f"{yy.size} case(s): too few for an R²"
        if np.ptp(yy) == 0:
            return "a constant outcome: no R²"
        return None

    def summary(self, s: Scored) -> dict[str, Any]:
        y = s.y
        Yh = np.atleast_2d(s.outputs)
        R, n = Yh.shape
        out, _, _ = summarise_repeats(
            lambda w, r: regression_metrics(w, y, Yh[r]),
            R,
            n,
            REGRESSION_METRICS,
            self.headline,
            s.weights,
            s.level,
        )
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


def _time_name(t: float) -> str:
    """A horizon as it appears in column and metric names (``survival_at_365``)."""
    return format(float(t), "g")


def _round_sig(v: float, digits: int = 3) -> float:
    if v == 0 or not math.isfinite(v):
        return float(v)
    return float(round(v, digits - 1 - math.floor(math.log10(abs(v)))))


class SurvivalTask(Task):
    """A time to an event with censoring: a risk score (larger: earlier event) and the
    probabilities of being event-free at the horizons (see the module notes)."""

    name = "survival"
    description = "time to an event: a risk score and the survival probabilities at horizons"
    headline = "harrell_c"
    headline_label = "Harrell's C"
    chance = 0.5
    metric_names = ("harrell_c", "uno_c", "mean_auc", "ibs")
    models = SURVIVAL_MODELS
    default_primary = DEFAULT_SURVIVAL_MODEL
    default_comparators = ("shape_only_cox",)

    #: times of the integrated Brier score's grid (between the 10 % and 90 % quantiles of
    #: the event times)
    grid_size: ClassVar[int] = 15

    def __init__(self, horizons: tuple[float, ...] = (), grid: tuple[float, ...] = ()) -> None:
        self.horizons = tuple(float(h) for h in horizons)
        self.grid = tuple(float(g) for g in grid)

    # ------------------------------------------------------------------ the outcome

    def reader(self, frame: pd.DataFrame, settings: Any) -> TaskInput:
        d = settings.data
        time_col = getattr(d, "time", None) or d.label
        event_col = getattr(d, "event", None)
        if time_col is None or event_col is None:
            raise ConfigError(
                "--task survival needs the time and the event columns: --time COLUMN "
                "--event COLUMN (data.time and data.event in --config)"
            )
        if time_col == event_col:
            raise ConfigError(f"the time and the event column are both {time_col!r}")
        for col, what in ((time_col, "time"), (event_col, "event")):
            if col not in frame.columns:
                raise DataError(
                    f"{what} column {col!r} is not in the feature table (columns include: "
                    f"{', '.join(map(str, frame.columns[:8]))} ...)"
                )
        keep = (frame[time_col].notna() & frame[event_col].notna()).to_numpy()
        kept = frame.loc[keep].reset_index(drop=True)
        events = kept[event_col]
        horizons = tuple(getattr(settings.validation, "horizons", ()) or ())

        def encode(values: pd.Series, column: str, positive: Any = None) -> Any:
            _no_positive(positive, "survival", " (the event column says who had the event)")
            return self.encode_survival(values, events, column, str(event_col), horizons)

        return TaskInput(kept, str(time_col), encode, (str(event_col),), int((~keep).sum()))

    def encode(
        self, values: pd.Series, column: str, positive: Any = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        raise ConfigError(
            "a survival outcome is two columns: give --time COLUMN --event COLUMN "
            "(data.time, data.event)"
        )

    def encode_survival(
        self,
        time: pd.Series,
        event: pd.Series,
        time_col: str,
        event_col: str,
        horizons: tuple[float, ...] = (),
        *,
        check_horizons: bool = True,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """The structured ``(event, time)`` target and its coding (horizons, grid)."""
        from radiomix.learn.survival import structured

        if len(time) != len(event):  # pragma: no cover - read together
            raise DataError("the time and event columns differ in length")
        t = _numbers(
            time,
            f"time column {time_col!r}",
            "--task survival needs numeric times (days, months, ...)",
        )
        if (t < 0).any():
            raise DataError(
                f"time column {time_col!r} holds negative times ({_shown(t[t < 0])}); times "
                "are durations from a common start, 0 or more"
            )
        ev = _event_indicator(event, event_col)
        n_events = int(ev.sum())
        if n_events == 0:
            raise DataError(
                f"event column {event_col!r} has no events (every case censored): there is "
                "nothing to learn"
            )
        t_max = float(t.max())
        te = t[ev]
        if horizons:
            hs = sorted({float(h) for h in horizons})
            if check_horizons:
                bad = [h for h in hs if not 0 < h < t_max]
                if bad:
                    raise ConfigError(
                        f"horizons {_shown(bad)} are outside the follow-up (0 to {t_max:g}); "
                        "give times between the first and the last time of the table"
                    )
            rule = "given"
        else:
            qs = np.quantile(te, [0.25, 0.5, 0.75])
            hs = sorted({_round_sig(float(q)) for q in qs if 0 < q < t_max})
            if not hs:
                hs = [float(np.median(t))]
            rule = "quartiles of the event times"
        lo, hi = np.quantile(te, [0.1, 0.9])
        hi = min(float(hi), float(np.quantile(t, 0.95)))
        grid = np.unique(np.linspace(float(lo), max(float(lo), hi), self.grid_size))
        return structured(ev, t), {
            "column": time_col,
            "time": time_col,
            "event": event_col,
            "kind": "survival",
            "n_events": n_events,
            "n_censored": int(ev.size - n_events),
            "max_time": t_max,
            "median_event_time": float(np.median(te)),
            "horizons": [float(h) for h in hs],
            "horizons_rule": rule,
            "grid": [float(g) for g in grid],
        }

    def configure(self, coding: Mapping[str, Any]) -> Task:
        return SurvivalTask(tuple(coding.get("horizons", ())), tuple(coding.get("grid", ())))

    def external_target(
        self,
        frame: pd.DataFrame,
        column: str,
        coding: Mapping[str, Any],
        event: str | None = None,
        positive: Any = None,
    ) -> np.ndarray:
        """The structured ``(event, time)`` target of the time column ``column`` and the
        event column ``event`` (default: the training one's name)."""
        _external_option("--positive", "two classes", positive, self.name)
        event_col = event or coding.get("event")
        if not event_col or event_col not in frame.columns:
            raise DataError(
                f"event column {event_col!r} is not in the external table (give --event COLUMN)"
            )
        if frame[event_col].isna().any():
            raise DataError(f"event column {event_col!r} has missing values")
        y, _ = self.encode_survival(
            frame[column],
            frame[event_col],
            column,
            str(event_col),
            tuple(coding.get("horizons", ())),
            check_horizons=False,
        )
        return y

    # ------------------------------------------------------------------ the model

    def n_outputs(self, y: np.ndarray) -> int:
        return 1 + len(self.horizons) + len(self.grid) if self.horizons else 0

    def output(self, estimator: Any, X: Any, n_outputs: int) -> np.ndarray:
        from radiomix.learn.survival import risk_scores, survival_at

        risk = risk_scores(estimator, X)
        if not n_outputs:
            return risk
        surv = survival_at(estimator, X, [*self.horizons, *self.grid])
        return np.column_stack([risk, surv])

    def search_width(self, n_outputs: int) -> int:
        return 0

    def search_output(self, estimator: Any, X: Any, n_outputs: int) -> np.ndarray:
        from radiomix.learn.survival import risk_scores

        return risk_scores(estimator, X)

    def score(self, y: np.ndarray, out: np.ndarray) -> float:
        from radiomix.learn.survival import harrell_c

        o = np.asarray(out, dtype=np.float64)
        risk = o[:, 0] if o.ndim == 2 else o
        ev = np.asarray(y["event"], dtype=bool)
        if not ev.any():
            return math.nan
        return float(harrell_c(np.ones((1, ev.size)), ev, y["time"], risk)[0])

    def strata(self, y: np.ndarray) -> np.ndarray:
        return np.asarray(y["event"], dtype=np.int8)

    def cutoff(self, estimator: Any, X_train: Any) -> float:
        from radiomix.learn.survival import risk_scores

        return float(np.median(risk_scores(estimator, X_train)))

    def _grid_hazard(self, surv: np.ndarray) -> np.ndarray | None:
        """The cumulative hazard summed over the grid times, ``-sum log S(t)``, per row of
        survival probabilities at :attr:`grid`; None when there is no grid or a model gives
        no survival function."""
        if not self.grid or surv.shape[1] != len(self.grid) or not np.isfinite(surv).all():
            return None
        return -np.log(np.clip(surv, 1e-300, 1.0)).sum(axis=1)

    def family_output(self, estimator: Any, X: Any, n_outputs: int) -> np.ndarray:
        """The risk of a fold that chose its family (``auto``) is the predicted cumulative
        hazard summed over the grid's times: each family's own risk score has a scale of
        its own (a Cox model's linear predictor, a survival forest's expected number of
        events), which pooling across folds would mix. For a Cox-type model (the elastic-net
        and the gradient-boosted Cox model) it is monotone in the linear predictor, so the
        ranking within a fold is the model's own; the survival probabilities are
        unchanged."""
        out = self.output(estimator, X, n_outputs)
        if out.ndim != 2:
            return out
        hazard = self._grid_hazard(out[:, 1 + len(self.horizons) :])
        if hazard is not None:
            out[:, 0] = hazard
        return out

    def family_cutoff(self, estimator: Any, X_train: Any) -> float:
        from radiomix.learn.survival import survival_at

        hazard = self._grid_hazard(survival_at(estimator, X_train, self.grid))
        if hazard is None:
            return self.cutoff(estimator, X_train)
        return float(np.median(hazard))

    def check_folds(
        self,
        y: np.ndarray,
        groups: np.ndarray,
        outer: int,
        inner: int,
        coding: Mapping[str, Any],
    ) -> None:
        needed = _needed_groups(outer, inner)
        ev = np.asarray(y["event"], dtype=bool)
        with_event = np.unique(groups[ev]).size
        if with_event < needed:
            raise DataError(
                f"only {with_event} cases (or groups) with an event in {coding['event']!r} for "
                f"{outer} outer x {inner} inner folds; at least {needed} are needed (use "
                "fewer folds, or more data)"
            )
        n_groups = np.unique(groups).size
        if n_groups < 2 * needed:
            raise DataError(
                f"only {n_groups} cases (or groups) for {outer} outer x {inner} inner folds; "
                f"a survival study needs at least {2 * needed} (use fewer folds or more data)"
            )

    def logo_training_problem(
        self, y: np.ndarray, groups: np.ndarray, coding: Mapping[str, Any]
    ) -> str | None:
        ev = np.asarray(y["event"], dtype=bool)
        if np.unique(groups[ev]).size < 2:
            return f"events of {coding.get('event')!r} in fewer than 2 groups"
        return None

    def group_note(self, y: np.ndarray, coding: Mapping[str, Any]) -> str | None:
        from radiomix.learn.survival import has_comparable_pair

        ev = np.asarray(y["event"], dtype=bool)
        if not ev.any():
            return "no event: no C-index"
        if not has_comparable_pair(ev, np.asarray(y["time"], dtype=np.float64)):
            return "no comparable pair of cases: no C-index"
        return None

    def target_columns(self, y: np.ndarray) -> dict[str, np.ndarray]:
        return {"time": np.asarray(y["time"]), "event": np.asarray(y["event"], dtype=np.int8)}

    def prediction_columns(
        self,
        out: np.ndarray,
        coding: Mapping[str, Any],
        cutoff: np.ndarray | float | None = None,
        threshold: np.ndarray | None = None,
    ) -> dict[str, Any] | None:
        o = np.asarray(out, dtype=np.float64)
        risk = o[:, 0] if o.ndim == 2 else o
        cols: dict[str, Any] = {"risk": risk}
        if cutoff is not None and np.all(np.isfinite(cutoff)):
            cols["risk_cutoff"] = np.broadcast_to(np.asarray(cutoff, dtype=float), risk.shape)
            cols["risk_group"] = np.where(risk > cutoff, "high", "low")
        if o.ndim == 2:
            for i, h in enumerate(coding.get("horizons", ())):
                cols[f"survival_at_{_time_name(h)}"] = o[:, 1 + i]
        return cols

    # ------------------------------------------------------------------ the numbers

    def summary(self, s: Scored) -> dict[str, Any]:
        from radiomix.learn import survival as sv

        coding, level, cutoffs, W = s.coding, s.level, s.cutoffs, s.weights
        ev = np.asarray(s.y["event"], dtype=bool)
        t = np.asarray(s.y["time"], dtype=np.float64)
        outs = np.asarray(s.outputs, dtype=np.float64)
        if outs.ndim == 2 and not len(coding.get("horizons", ())):
            outs = outs[:, :, None]
        elif outs.ndim == 2:
            outs = outs[None]
        R, n, _ = outs.shape
        hs = [float(h) for h in coding.get("horizons", ())]
        grid = [float(g) for g in coding.get("grid", ())]
        H = len(hs)
        G = sv.censoring_survival(ev, t)
        tau = max(hs) if hs else float(np.max(t))

        def metrics(W: np.ndarray, o: np.ndarray) -> dict[str, np.ndarray]:
            risk = o[:, 0]
            m = {
                "harrell_c": sv.harrell_c(W, ev, t, risk),
                "uno_c": sv.uno_c(W, ev, t, risk, tau, G),
            }
            aucs = [sv.td_auc(W, ev, t, risk, h, G) for h in hs]
            for i, a in enumerate(aucs):
                m[f"auc_t{i + 1}"] = a
            nan = np.full(W.shape[0], np.nan)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                m["mean_auc"] = np.nanmean(np.vstack(aucs), axis=0) if aucs else nan
            surv = o.shape[1] > 1 and np.isfinite(o[:, 1:]).all()
            bh = sv.brier_scores(W, ev, t, o[:, 1 : 1 + H], hs, G) if surv and H else None
            for i in range(H):
                m[f"brier_t{i + 1}"] = bh[:, i] if bh is not None else nan
            if surv and len(grid) > 1:
                bg = sv.brier_scores(W, ev, t, o[:, 1 + H : 1 + H + len(grid)], grid, G)
                m["ibs"] = sv.integrated(bg, grid)
            else:
                m["ibs"] = nan
            return m

        out, _, _ = summarise_repeats(
            lambda w, r: metrics(w, outs[r]), R, n, None, self.headline, W, level
        )
        cs = np.asarray(out["harrell_c_repeats"])
        out["horizons"] = hs
        out["horizons_rule"] = coding.get("horizons_rule")
        out["tau"] = tau
        mid = int(np.nanargmin(np.abs(cs - np.nanmedian(cs)))) if np.isfinite(cs).any() else 0
        out["median_repeat"] = mid
        # calibration at the middle horizon (median repeat)
        if H and outs.shape[2] > 1 and np.isfinite(outs[:, :, 1 : 1 + H]).all():
            k = H // 2
            h = hs[k]
            km_t, km_s = sv.kaplan_meier(ev, t)
            observed = sv.km_at(km_t, km_s, h)
            citl = [observed - float(np.mean(outs[r, :, 1 + k])) for r in range(R)]
            groups_h = sv.calibration_groups(ev, t, outs[mid, :, 1 + k], h)
            sizes = np.array([g["n_cases"] for g in groups_h], dtype=float)
            diffs = np.array([abs(g["predicted"] - g["observed"]) for g in groups_h])
            out["calibration"] = {
                "horizon": h,
                "observed_survival": observed,
                "in_the_large": median_of(np.array(citl)),
                "error": float((sizes * diffs).sum() / sizes.sum()) if sizes.size else math.nan,
                "groups": groups_h,
                "repeat": mid,
            }
            out["calibration"] |= _calibration_cis(ev, t, outs[:, :, 1 + k], h, mid, W, level)
        else:
            out["calibration"] = None
        # risk groups at each fold's training median risk
        cut = None
        if cutoffs is not None:
            cut = np.atleast_2d(np.asarray(cutoffs, dtype=np.float64))
        elif coding.get("risk_cutoff") is not None:
            cut = np.full((R, n), float(coding["risk_cutoff"]))
        if cut is not None and np.isfinite(cut).all():
            ps = []
            for r in range(R):
                ps.append(sv.logrank(ev, t, outs[r, :, 0] > cut[min(r, len(cut) - 1)])[1])
            high = outs[mid, :, 0] > cut[min(mid, len(cut) - 1)]
            chi2, p = sv.logrank(ev, t, high)
            out["risk_groups"] = {
                "repeat": mid,
                "cut": "median risk of the training cases of each outer fold"
                if cutoffs is not None
                else "median risk of the training cases (frozen in the model)",
                "n_high": int(high.sum()),
                "n_low": int((~high).sum()),
                "events_high": int(ev[high].sum()),
                "events_low": int(ev[~high].sum()),
                "logrank_chi2": chi2,
                "logrank_p": p,
                "logrank_p_repeats": ps,
                "logrank_p_median": median_of(np.array(ps)),
            }
        else:
            out["risk_groups"] = None
        out["n_cases"] = int(n)
        out["n_events"] = int(ev.sum())
        return out

    def compare(
        self,
        runs: Mapping[str, Any],
        y: np.ndarray,
        groups: np.ndarray | None,
        coding: Mapping[str, Any],
        say: Callable[[str], None],
        **boot: Any,
    ) -> dict[str, Any] | None:
        """Harrell's C difference with its paired bootstrap interval and the NRI at the
        middle horizon of each pair (:func:`radiomix.learn.compare.survival_compare_block`)."""
        from radiomix.learn.compare import survival_compare_block

        horizons = coding.get("horizons", ())
        block = survival_compare_block(dict(runs), y, groups, horizons=horizons, **boot)
        for key, c in block.items():
            lo, hi = c["delta_c_ci"]
            nlo, nhi = c.get("nri_ci", (math.nan, math.nan))
            say(
                f"{key}: Harrell's C {c['c_new']:.3f} vs {c['c_old']:.3f}, difference "
                f"{c['delta_c']:+.3f} [{lo:+.3f}, {hi:+.3f}] (paired bootstrap)"
                + (
                    f"; NRI at {c['nri_horizon']:g} {c['nri']:+.2f} [{nlo:+.2f}, {nhi:+.2f}]"
                    if "nri_horizon" in c
                    else ""
                )
            )
        return block

    def compare_table(self, block: Mapping[str, Any]) -> pd.DataFrame | None:
        """One row a pair (:data:`radiomix.learn.compare.SURVIVAL_COMPARE_COLUMNS`)."""
        from radiomix.learn.compare import SURVIVAL_COMPARE_COLUMNS

        rows = [{k: c.get(k) for k in SURVIVAL_COMPARE_COLUMNS} for c in block.values()]
        for row, c in zip(rows, block.values(), strict=True):
            row["delta_c_ci_low"], row["delta_c_ci_high"] = c["delta_c_ci"]
            row["nri_ci_low"], row["nri_ci_high"] = c.get("nri_ci", (None, None))
        return pd.DataFrame(rows)

    def details(self, summary: Mapping[str, Any]) -> str:
        hs = summary.get("horizons") or []
        aucs = ", ".join(
            f"{_time_name(h)} {_num(summary.get(f'auc_t{i + 1}'), '.3f')}" for i, h in enumerate(hs)
        )
        rg = summary.get("risk_groups") or {}
        return (
            f", Uno's C {_num(summary.get('uno_c'), '.3f')}, time-dependent AUC at {aucs}, "
            f"integrated Brier score {_num(summary.get('ibs'), '.3f')}, log-rank p "
            f"{_num(rg.get('logrank_p'), '.2g')} ({summary.get('n_cases')} cases, "
            f"{summary.get('n_events')} events)"
        )


def _calibration_cis(
    event: np.ndarray,
    time: np.ndarray,
    surv_h: np.ndarray,
    horizon: float,
    mid: int,
    W: np.ndarray | None,
    level: float,
) -> dict[str, Any]:
    """The calibration at a horizon beside the estimate's fields: observed and mean
    predicted event-free probability, observed / expected events and the calibration slope
    (median over repeats), with the bootstrap intervals of these, of ``in_the_large`` and of
    the quantile groups' ``error`` (median repeat; groups as in the estimate). ``surv_h``
    (R, n): each repeat's predictions at ``horizon``; ``W`` the task's bootstrap weights
    (None: no bootstrap)."""
    from radiomix.learn import survival as sv

    R, n = surv_h.shape
    ones = np.ones((1, n))
    est = [sv.calibration_at(ones, event, time, surv_h[r], horizon) for r in range(R)]
    out: dict[str, Any] = {
        name: median_of(np.array([e[name][0] for e in est]))
        for name in ("predicted_survival", "observed_expected", "slope")
    }
    out["slope_repeats"] = [float(e["slope"][0]) for e in est]
    names = ("observed_survival", "predicted_survival", "in_the_large", "observed_expected")
    if W is None:
        for name in (*names, "slope", "error"):
            out[f"{name}_ci"] = [math.nan, math.nan]
        return out
    boot = [sv.calibration_at(W, event, time, surv_h[r], horizon) for r in range(R)]
    for name in (*names, "slope"):
        out[f"{name}_ci"] = median_ci(np.vstack([b[name] for b in boot]), level)
    parts = sv.calibration_parts(surv_h[mid])
    err = sv.calibration_error(W, event, time, surv_h[mid], horizon, parts)
    out["error_ci"] = median_ci(err[None], level)
    return out


def _event_indicator(event: pd.Series, column: str) -> np.ndarray:
    """0/1, False/True (or their text) as booleans; anything else is a DataError."""
    if event.isna().any():
        raise DataError(f"event column {column!r} has missing values")
    dtype = event.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return event.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(dtype):
        v = event.to_numpy(dtype=np.float64)
        if np.isin(v, (0.0, 1.0)).all():
            return v == 1.0
    else:
        text = event.astype(str).str.strip().str.lower()
        if text.isin(("0", "1", "false", "true")).all():
            return text.isin(("1", "true")).to_numpy()
    bad = [
        v
        for v in pd.unique(event)
        if str(v).strip().lower() not in ("0", "1", "0.0", "1.0", "true", "false")
    ]
    raise DataError(
        f"event column {column!r} must hold 0/1 or false/true (1: the event happened, 0: "
        f"censored); it holds {_shown(bad)}"
    )


TASKS: dict[str, Task] = {
    t.name: t for t in (BinaryTask(), MulticlassTask(), RegressionTask(), SurvivalTask())
}
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
