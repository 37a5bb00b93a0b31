"""Repeated nested cross-validation of two classes, with a decision threshold.

:func:`nested_cv` and :func:`fit_final` run the one engine of :mod:`radiomix.learn.task_cv`
(its design, the inner search and the seeds are described there) for
:class:`~radiomix.learn.tasks.BinaryTask`, whose threshold rule picks the decision
threshold on the pooled inner out-of-fold probabilities of the winning candidate; they
return its results under the names the two-class tools read (:class:`CVResult`:
``probability``, ``threshold``, ``predicted``; :class:`FoldResult`: ``probability``,
``n_positive_train``).

Every case therefore receives one out-of-fold probability per repeat, made by a model that
never saw it, with a threshold chosen without it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from radiomix.learn.task_cv import (
    Grid,
    TaskCVResult,
    TaskFitted,
    TaskFold,
    fit_final_task,
    fitted_features,
    logo_splits,
    nested_cv_task,
    seed_for,
    unseen_sites,
    used_features,
)
from radiomix.learn.tasks import BinaryTask

__all__ = [
    "CVResult",
    "FittedModel",
    "FoldResult",
    "Grid",
    "binary_view",
    "check_folds_possible",
    "check_logo_possible",
    "fit_final",
    "fitted_features",
    "logo_splits",
    "nested_cv",
    "seed_for",
    "unseen_sites",
    "used_features",
]


@dataclass
class FoldResult(TaskFold):
    """One outer fold of one repeat of two classes (:class:`TaskFold`; its ``output`` is
    the probability of the positive class), with the positive cases of its training part."""

    n_positive_train: int = 0

    @property
    def probability(self) -> np.ndarray:
        """Out-of-fold probability of the positive class of the test cases."""
        return self.output


@dataclass
class CVResult(TaskCVResult):
    """Out-of-fold predictions of a repeated nested cross-validation of two classes.

    Attributes (besides :class:`TaskCVResult`'s)
    ----------
    probability : ndarray, shape (repeats, n)
        Out-of-fold probability of the positive class of every case in every repeat.
    threshold : ndarray, shape (repeats, n)
        Threshold of the fold that predicted the case (chosen on that fold's training data).
    """

    folds: list[FoldResult]  # type: ignore[assignment]

    @property
    def probability(self) -> np.ndarray:
        return self.output

    @property
    def threshold(self) -> np.ndarray:
        return np.asarray(self.extra["threshold"])

    @property
    def predicted(self) -> np.ndarray:
        """Predicted class (1 = positive) of every case in every repeat."""
        return (self.probability >= self.threshold).astype(np.int8)

    def repeat_auc(self) -> np.ndarray:
        """ROC AUC of the pooled out-of-fold predictions of each repeat."""
        return self.repeat_scores()

    def fold_auc(self) -> np.ndarray:
        """ROC AUC of each outer test fold (NaN where a fold holds one class)."""
        return self.fold_scores()


FittedModel = TaskFitted
"""The final model of two classes (``threshold``: chosen by the inner loop on all cases)."""


def check_folds_possible(y: np.ndarray, groups: np.ndarray, outer: int, inner: int) -> None:
    """Raise a DataError when the classes or groups are too few for the requested folds."""
    BinaryTask().check_folds(y, groups, outer, inner, {})


def check_logo_possible(y: np.ndarray, groups: np.ndarray, inner: int) -> int:
    """Raise a DataError when leave-one-group-out cannot run; return the inner folds to use
    (at most the groups of a training part: the inner loop is group k-fold too)."""
    return BinaryTask().check_logo(y, groups, inner, {})


def _builder(build: Callable[[], Pipeline] | Pipeline) -> Callable[[], Pipeline]:
    if isinstance(build, Pipeline):
        template = build
        return lambda: clone(template)
    return build


def nested_cv(
    build: Callable[[], Pipeline] | Pipeline,
    grid: Grid | None,
    X: pd.DataFrame,
    y: np.ndarray | Sequence[int],
    groups: np.ndarray | Sequence[Any] | None = None,
    *,
    outer_folds: int = 5,
    inner_folds: int = 5,
    repeats: int = 10,
    threshold_rule: str = "youden",
    random_state: int = 0,
    n_jobs: int | None = -1,
    label_seed: int | None = None,
    scheme: str = "kfold",
    importance: Mapping[str, int] | None = None,
    families: Sequence[str] = (),
) -> CVResult:
    """Repeated nested cross-validation of an unfitted pipeline of two classes.

    Parameters
    ----------
    build : Pipeline or callable returning a new unfitted Pipeline
        The last step must be a classifier with ``predict_proba``.
    grid : mapping or list of mappings of ``step__param`` -> values, or None
        Searched in the inner loop (None or empty: no search, the inner loop still sets the
        threshold).
    X : DataFrame
        Feature columns only (see :func:`radiomix.learn.table.prepare`).
    y : array of {0, 1}
    groups : array, optional
        Cases with equal group value stay on the same side of every split.
    outer_folds, inner_folds, repeats : int
    threshold_rule : str
        ``youden``, ``sens@X``, ``spec@X`` or ``fixed:X``.
    random_state : int
    n_jobs : int or None
        Processes for the (repeat, fold) tasks; -1 = all cores.
    label_seed : int, optional
        Extra seed component, used by the permutation check so that its splits differ from
        those of the real labels' run.
    scheme : {"kfold", "leave-one-group-out"}
        Outer loop: stratified group k-fold, or each group in turn as the test set (needs
        ``groups``; one repeat, ``outer_folds`` ignored; the inner loop uses at most the
        training part's number of groups as folds).
    importance : mapping, optional
        ``n_repeats`` and ``max_features``: the permutation importance of every outer test
        fold (ROC AUC drop; :mod:`radiomix.learn.importance`), in ``FoldResult.permutation``.
    families : sequence of str, optional
        Names of the sub-grids when ``grid`` is a list of model families: each fold then
        records the family its inner loop chose (:attr:`FoldResult.family`).

    Returns
    -------
    CVResult
    """
    yy = np.asarray(y).astype(np.int8)
    cv = nested_cv_task(
        BinaryTask(threshold_rule),
        _builder(build),
        grid,
        X,
        yy,
        groups,
        outer_folds=outer_folds,
        inner_folds=inner_folds,
        repeats=repeats,
        random_state=random_state,
        n_jobs=n_jobs,
        label_seed=label_seed,
        scheme=scheme,
        importance=importance,
        families=families,
        coding={},  # the two-class checks name no label value
    )
    return binary_view(cv)


def binary_view(cv: TaskCVResult) -> CVResult:
    """A two-class nested CV's result under the two-class names (:class:`CVResult`, its
    folds :class:`FoldResult` with their training parts' positive cases)."""
    n_positive = int(cv.y.sum())
    folds = [
        FoldResult(
            **{f.name: getattr(fold, f.name) for f in dataclasses.fields(fold)},
            # the outer training part is every case outside the test fold
            n_positive_train=n_positive - int(cv.y[fold.test_index].sum()),
        )
        for fold in cv.folds
    ]
    fields = {f.name: getattr(cv, f.name) for f in dataclasses.fields(cv)}
    return CVResult(**{**fields, "folds": folds})


def fit_final(
    build: Callable[[], Pipeline] | Pipeline,
    grid: Grid | None,
    X: pd.DataFrame,
    y: np.ndarray | Sequence[int],
    groups: np.ndarray | Sequence[Any] | None = None,
    *,
    inner_folds: int = 5,
    threshold_rule: str = "youden",
    random_state: int = 0,
    families: Sequence[str] = (),
) -> FittedModel:
    """Fit the model to keep: hyper-parameters and threshold by cross-validation on all
    cases, then one fit on all of them. Its performance is the nested-CV estimate, not the
    inner score."""
    return fit_final_task(
        BinaryTask(threshold_rule),
        _builder(build),
        grid,
        X,
        np.asarray(y).astype(np.int8),
        groups,
        inner_folds=inner_folds,
        random_state=random_state,
        families=families,
    )
