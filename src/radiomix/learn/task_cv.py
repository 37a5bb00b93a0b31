"""Repeated nested cross-validation for any task of :mod:`radiomix.learn.tasks`.

The same design as the two-class engine (:mod:`radiomix.learn.validation`), with the
task deciding what is predicted and how a candidate is scored. For every repeat ``r`` and
outer fold ``f``:

1. the outer split is ``StratifiedGroupKFold(outer_folds, shuffle=True)`` on the task's
   strata (the classes; for a numeric outcome its quantile bins; for a time to an event
   the event indicator), seeded by
   ``(random_state, r)``; a group never straddles training and test
   (``StratifiedKFold`` without groups);
2. on the outer-training part only, every grid candidate is cross-validated in an inner
   ``StratifiedGroupKFold(inner_folds)`` on the same kind of strata, computed from the
   training part's labels; the best mean inner score wins (macro AUC, R², Harrell's C of
   the risk score; ties: the first
   in grid order). The inner search shares the lean step cache of the two-class engine;
3. the winner is refitted on the whole outer-training part and predicts the outer test
   fold.

A grid may be a list of sub-grids, one per model *family* (``families`` names them; the
``auto`` model of each task): step 2 scores every family's candidates on the same inner
splits, so the family is chosen inside each outer training part, and every
:class:`TaskFold` records the family it chose and each family's best inner score, as the
two-class engine does. An estimator that a grid puts in the pipeline (``auto``'s forests)
is a template: each search works on a private copy whose unset ``random_state`` values
(nested ones included) are set from the run's seed, exactly as the pipeline's own steps
are, and the refit takes a copy of the winner; the template is never fitted. The outer
folds of such a model give their outputs on one scale (:meth:`Task.family_output`: for a
time to an event, the cumulative hazard summed over the grid times instead of each family's
own risk score), since the pooled metrics compare cases of different folds.

With ``scheme="leave-one-group-out"`` the outer loop is one repeat in which each group (a
site) in turn is the test set (:func:`radiomix.learn.validation.logo_splits`); the inner
loop stays group k-fold on the training part's groups (at most their number of folds).

There is no decision threshold: several classes are called by their largest probability,
and a regression predicts a value. Work is spread over (repeat, outer fold) tasks with
joblib; results depend only on ``random_state``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from radiomix.errors import DataError
from radiomix.learn.tasks import Task
from radiomix.learn.validation import (
    Grid,
    _best_per_part,
    _candidates_by_part,
    _family_names,
    _inner_predictions,
    _needs_names,
    _seed_candidates,
    _seed_pipeline,
    _with_params,
    logo_splits,
    seed_for,
    used_features,
)

__all__ = ["TaskCVResult", "TaskFitted", "TaskFold", "fit_final_task", "nested_cv_task"]


def task_splits(
    task: Task, y: np.ndarray, groups: np.ndarray | None, n_splits: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified (group) k-fold splits on the task's strata."""
    strata = task.strata(y)
    cv: StratifiedGroupKFold | StratifiedKFold
    if groups is None:
        cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    else:
        cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        splits = [(tr, te) for tr, te in cv.split(np.zeros(strata.size), strata, groups)]
    if groups is not None:
        for tr, te in splits:  # the guarantee the whole design rests on
            if np.intersect1d(groups[tr], groups[te]).size:
                raise AssertionError("a group straddles a training and a test fold")
    return splits


def _mean_scores(
    task: Task, oof: np.ndarray, y: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]]
) -> np.ndarray:
    scores = np.full((oof.shape[0], len(splits)), np.nan)
    for s, (_, te) in enumerate(splits):
        for c in range(oof.shape[0]):
            scores[c, s] = task.score(y[te], oof[c, te])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(scores, axis=1)


@dataclass
class _Search:
    best_params: dict[str, Any]
    best_score: float
    n_convergence_warnings: int
    family_index: int = 0
    family_scores: list[float] = field(default_factory=list)


def _search(
    task: Task,
    pipe: Pipeline,
    grid: Grid | None,
    X: pd.DataFrame | np.ndarray,
    y: np.ndarray,
    groups: np.ndarray | None,
    inner_folds: int,
    seed: int,
    n_out: int,
) -> _Search:
    candidates, part_of = _candidates_by_part(grid)
    candidates = _seed_candidates(candidates, seed)
    splits = task_splits(task, y, groups, inner_folds, seed)
    counter = {"convergence": 0}
    oof = _inner_predictions(
        pipe,
        candidates,
        X,
        y,
        splits,
        counter,
        output=lambda est, Xt: task.search_output(est, Xt, n_out),
        width=task.search_width(n_out),
    )
    scores = _mean_scores(task, oof, y, splits)
    best = int(np.nanargmax(scores)) if np.isfinite(scores).any() else 0
    return _Search(
        candidates[best],
        float(scores[best]),
        counter["convergence"],
        family_index=part_of[best],
        family_scores=_best_per_part(scores, part_of),
    )


@dataclass
class TaskFold:
    """One outer fold of one repeat: its test cases' outputs and what the model used.

    ``family``: the model family the inner loop chose (a grid of named families, ``auto``;
    else ''), ``family_scores``: the best mean inner score of every family (the task's
    score: macro AUC, R², Harrell's C)."""

    repeat: int
    fold: int
    test_index: np.ndarray
    output: np.ndarray
    best_params: dict[str, Any]
    inner_score: float
    n_train: int
    selected: list[str]
    importance: np.ndarray | None
    importance_kind: str
    n_convergence_warnings: int
    seconds: float
    cpu_seconds: float = 0.0
    cutoff: float = float("nan")
    permutation: Any = None  # FoldImportance (radiomix.learn.importance) or None
    family: str = ""
    family_scores: dict[str, float] = field(default_factory=dict)


def _fit_fold(
    task: Task,
    build: Callable[[], Pipeline],
    grid: Grid | None,
    X: np.ndarray,
    columns: list[str],
    y: np.ndarray,
    groups: np.ndarray | None,
    train: np.ndarray,
    test: np.ndarray,
    repeat: int,
    fold: int,
    inner_folds: int,
    random_state: int,
    n_out: int,
    importance: Mapping[str, int] | None = None,
    families: Sequence[str] = (),
) -> TaskFold:
    with threadpool_limits(limits=1):
        t0 = time.perf_counter()
        c0 = time.process_time()
        pipe = _seed_pipeline(build(), seed_for(random_state, repeat, fold, 2))
        Xtr: pd.DataFrame | np.ndarray = X[train]
        Xte: pd.DataFrame | np.ndarray = X[test]
        if _needs_names(pipe):
            Xtr = pd.DataFrame(Xtr, columns=columns)
            Xte = pd.DataFrame(Xte, columns=columns)
        search = _search(
            task,
            pipe,
            grid,
            Xtr,
            y[train],
            None if groups is None else groups[train],
            inner_folds,
            seed_for(random_state, repeat, fold, 1),
            n_out,
        )
        final = _with_params(pipe, search.best_params)
        family, family_scores = _family_names(families, search.family_index, search.family_scores)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            final.fit(Xtr, y[train])
        n_conv = search.n_convergence_warnings + sum(
            issubclass(w.category, ConvergenceWarning) for w in caught
        )
        if families:  # pooled over folds that may have chosen other families: one scale
            out = task.family_output(final, Xte, n_out)
            cutoff = task.family_cutoff(final, Xtr)
        else:
            out = task.output(final, Xte, n_out)
            cutoff = task.cutoff(final, Xtr)
        selected, weights, kind = used_features(final, columns)
        perm = None
        if importance is not None:  # the task's main score on the test fold
            from radiomix.learn.importance import fold_importance

            perm = fold_importance(
                final,
                Xte,
                y[test],
                columns,
                output=lambda est, A: task.output(est, A, n_out),
                score=task.score,
                n_repeats=int(importance["n_repeats"]),
                max_features=int(importance["max_features"]),
                random_state=seed_for(random_state, repeat, fold, 3),
            )
        return TaskFold(
            repeat=repeat,
            fold=fold,
            test_index=test,
            output=out,
            best_params=search.best_params,
            inner_score=search.best_score,
            n_train=int(train.size),
            selected=selected,
            importance=weights,
            importance_kind=kind,
            n_convergence_warnings=n_conv,
            seconds=time.perf_counter() - t0,
            cpu_seconds=time.process_time() - c0,
            cutoff=cutoff,
            permutation=perm,
            family=family,
            family_scores=family_scores,
        )


@dataclass
class TaskCVResult:
    """Out-of-fold outputs of a repeated nested cross-validation of one task.

    Attributes
    ----------
    task : Task
    output : ndarray, shape (repeats, n) or (repeats, n, K)
        Predicted values (regression) or class probabilities (several classes).
    fold : ndarray of int, shape (repeats, n)
    folds : list of TaskFold
    features : list of str
    y : ndarray
    groups : ndarray
    extra : dict
        ``cutoff`` (repeats, n): the cut fitted on the training part of the fold that
        predicted each case (:meth:`Task.cutoff`; survival: the median training risk).
    """

    task: Task
    output: np.ndarray
    fold: np.ndarray
    folds: list[TaskFold]
    features: list[str]
    y: np.ndarray
    groups: np.ndarray
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def repeats(self) -> int:
        return int(self.output.shape[0])

    def repeat_scores(self) -> np.ndarray:
        """The task's score (macro AUC, R²) of the pooled out-of-fold outputs of each repeat."""
        return np.array([self.task.score(self.y, o) for o in self.output])

    def fold_scores(self) -> np.ndarray:
        """The task's score on each outer test fold."""
        return np.array([self.task.score(self.y[f.test_index], f.output) for f in self.folds])


def _groups_or_cases(groups: np.ndarray | Sequence[Any] | None, n: int) -> np.ndarray:
    if groups is None:
        return np.arange(n)
    g = np.asarray(groups)
    if g.shape != (n,):
        raise DataError(f"groups must have one value per case ({n}), got shape {g.shape}")
    return g


def nested_cv_task(
    task: Task,
    build: Callable[[], Pipeline],
    grid: Grid | None,
    X: pd.DataFrame,
    y: np.ndarray,
    groups: np.ndarray | Sequence[Any] | None = None,
    *,
    outer_folds: int = 5,
    inner_folds: int = 5,
    repeats: int = 10,
    random_state: int = 0,
    n_jobs: int | None = -1,
    label_seed: int | None = None,
    scheme: str = "kfold",
    importance: Mapping[str, int] | None = None,
    families: Sequence[str] = (),
) -> TaskCVResult:
    """Repeated nested cross-validation of an unfitted pipeline for ``task`` (module notes).

    ``y`` is the task's target (:meth:`Task.encode`); the fold and group checks are the
    caller's (:meth:`Task.check_folds`, :meth:`Task.check_logo`, which name the label's
    values). ``label_seed`` gives the permutation check splits of its own. ``scheme``:
    ``kfold`` or ``leave-one-group-out`` (needs ``groups``; one repeat, ``outer_folds``
    ignored, at most the training part's groups as inner folds).
    ``importance`` (``n_repeats``, ``max_features``): the permutation importance of every
    outer test fold with the task's score (:mod:`radiomix.learn.importance`), in
    ``TaskFold.permutation``. ``families``: the names of the sub-grids when ``grid`` is a
    list of model families (``auto``): each fold records the family it chose.
    """
    t0 = time.perf_counter()
    yy = np.asarray(y)
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(np.asarray(X))
    n = yy.size
    if len(X) != n:
        raise DataError(f"X has {len(X)} rows but y has {n} labels")
    g = _groups_or_cases(groups, n)
    split_groups = None if groups is None else g
    logo = scheme == "leave-one-group-out"
    if logo:
        if groups is None:
            raise DataError("leave-one-group-out needs a group column (--group COLUMN)")
        repeats = 1
        inner_folds = max(2, min(inner_folds, np.unique(g).size - 1))
    elif scheme != "kfold":
        raise DataError(f"unknown validation scheme {scheme!r} (kfold, leave-one-group-out)")
    n_out = task.n_outputs(yy)
    columns = [str(c) for c in X.columns]
    Xa = X.to_numpy(dtype=np.float64)
    base = [random_state] if label_seed is None else [random_state, 7919, label_seed]
    jobs_list = []
    for r in range(repeats):
        if logo:
            splits = logo_splits(g)
        else:
            splits = task_splits(task, yy, split_groups, outer_folds, seed_for(*base, r))
        for f, (tr, te) in enumerate(splits):
            jobs_list.append((r, f, tr, te))
    results: list[TaskFold] = Parallel(n_jobs=None if n_jobs is None else int(n_jobs))(
        delayed(_fit_fold)(
            task,
            build,
            grid,
            Xa,
            columns,
            yy,
            split_groups,
            tr,
            te,
            r,
            f,
            inner_folds,
            seed_for(*base, r),
            n_out,
            importance,
            tuple(families),
        )
        for r, f, tr, te in jobs_list
    )
    shape = (repeats, n, n_out) if n_out else (repeats, n)
    out = np.full(shape, np.nan)
    fold = np.full((repeats, n), -1, dtype=np.int64)
    cutoff = np.full((repeats, n), np.nan)
    for res in results:
        out[res.repeat, res.test_index] = res.output
        fold[res.repeat, res.test_index] = res.fold
        cutoff[res.repeat, res.test_index] = res.cutoff
    if (fold < 0).any():  # pragma: no cover - every case is in exactly one test fold
        raise AssertionError("a case received no out-of-fold prediction")
    return TaskCVResult(
        task,
        out,
        fold,
        results,
        columns,
        yy,
        g,
        time.perf_counter() - t0,
        extra={"cutoff": cutoff, "scheme": scheme},
    )


@dataclass
class TaskFitted:
    """The final model of a task: tuned on all cases by the inner loop, refitted on all
    (``family`` and ``family_scores`` as in :class:`TaskFold`)."""

    pipeline: Pipeline
    best_params: dict[str, Any]
    inner_score: float
    selected: list[str]
    importance: np.ndarray | None
    importance_kind: str
    family: str = ""
    family_scores: dict[str, float] = field(default_factory=dict)


def fit_final_task(
    task: Task,
    build: Callable[[], Pipeline],
    grid: Grid | None,
    X: pd.DataFrame,
    y: np.ndarray,
    groups: np.ndarray | Sequence[Any] | None = None,
    *,
    inner_folds: int = 5,
    random_state: int = 0,
    families: Sequence[str] = (),
) -> TaskFitted:
    """The model to keep: hyper-parameters by cross-validation on all cases, then one fit
    on all of them (its performance is the nested-CV estimate, not the inner score)."""
    pipe = _seed_pipeline(clone(build()), seed_for(random_state, 10**6, 2))
    yy = np.asarray(y)
    g = None if groups is None else _groups_or_cases(groups, yy.size)
    with threadpool_limits(limits=1):
        search = _search(
            task,
            pipe,
            grid,
            X,
            yy,
            g,
            inner_folds,
            seed_for(random_state, 10**6, 1),
            task.n_outputs(yy),
        )
    final = _with_params(pipe, search.best_params)
    family, family_scores = _family_names(families, search.family_index, search.family_scores)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        final.fit(X, yy)
    selected, importance, kind = used_features(final, [str(c) for c in X.columns])
    return TaskFitted(
        final,
        search.best_params,
        search.best_score,
        selected,
        importance,
        kind,
        family=family,
        family_scores=family_scores,
    )
