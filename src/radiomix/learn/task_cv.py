"""Repeated nested cross-validation, stratified and group-aware, for every task of
:mod:`radiomix.learn.tasks`: the one engine of ``radiomix train``.

The only way to estimate performance here is :func:`nested_cv_task` (for two classes
:func:`radiomix.learn.validation.nested_cv`, its view with the names the two-class tools
read), which takes an *unfitted* pipeline and a grid. The task decides what is predicted,
how a candidate is scored and what the folds keep balanced. For every repeat ``r`` and
outer fold ``f``:

1. the outer split is ``StratifiedGroupKFold(outer_folds, shuffle=True)`` on the task's
   strata (the classes; for a numeric outcome its quantile bins; for a time to an event
   the event indicator), seeded by ``(random_state, r)``: a group (patient, near-duplicate
   cluster) never straddles training and test. Without groups every case is its own group
   and plain ``StratifiedKFold`` is used (the same thing, faster);
2. on the outer-training part only, every grid candidate is cross-validated in an inner
   ``StratifiedGroupKFold(inner_folds)`` on the same kind of strata, computed from the
   training part's labels; the best mean inner score wins (ROC AUC, macro AUC, R²,
   Harrell's C of the risk score; ties: the first in grid order);
3. two classes: the decision threshold is chosen by the threshold rule (Youden by default)
   on the pooled inner out-of-fold probabilities of the winning candidate
   (:meth:`Task.threshold`), so the test fold never sees it; the other tasks have none
   (several classes are called by their largest probability, a regression predicts a
   value);
4. the winner is refitted on the whole outer-training part and predicts the outer test
   fold.

Every case therefore receives one out-of-fold output per repeat, made by a model that never
saw it (with a threshold chosen without it).

A grid may be a list of sub-grids, one per model *family* (``families`` names them; the
``auto`` model of each task): step 2 scores every family's candidates on the same inner
splits, so the family is chosen inside each outer training part like any other
hyper-parameter, and every :class:`TaskFold` records the family it chose and each family's
best inner score. An estimator that a grid puts in the pipeline (``auto``'s forests) is a
template: each search works on a private copy whose unset ``random_state`` values (nested
ones included) are set from the run's seed, exactly as the pipeline's own steps are, and
the refit takes a copy of the winner; the template is never fitted. The outer folds of
such a model give their outputs on one scale (:meth:`Task.family_output`: for a time to an
event, the cumulative hazard summed over the grid times instead of each family's own risk
score), since the pooled metrics compare cases of different folds.

With ``scheme="leave-one-group-out"`` the outer loop is one repeat in which each group (a
site) in turn is the test set (:func:`logo_splits`); the inner loop stays group k-fold on
the training part's groups (at most their number of folds).

The inner search is a lean equivalent of ``GridSearchCV`` (same result, less work): the
steps of a pipeline are fitted once per inner split and per distinct setting of the steps
before them, so with the default grid (3 values of k x 11 values of C) the imputer, variance
filter, scaler and correlation filter run once per inner split instead of 33 times, and mRMR
three times. Work is spread over (repeat, outer fold) tasks with joblib; results depend only
on ``random_state``, not on the number of processes.
"""

from __future__ import annotations

import math
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
from sklearn.model_selection import ParameterGrid, StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from radiomix.errors import DataError
from radiomix.learn.tasks import Task

__all__ = [
    "Grid",
    "TaskCVResult",
    "TaskFitted",
    "TaskFold",
    "fit_final_task",
    "fitted_features",
    "logo_splits",
    "nested_cv_task",
    "seed_for",
    "task_splits",
    "unseen_sites",
    "used_features",
]

Grid = Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Sequence[Any]]]


def seed_for(*keys: int) -> int:
    """A 31-bit seed derived from integers (stable across platforms and NumPy versions)."""
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(1)[0] >> 1)


def _seed_pipeline(pipe: Pipeline, seed: int) -> Pipeline:
    """Give every unset ``random_state`` in the pipeline a fixed seed."""
    params = pipe.get_params(deep=True)
    fixed = {k: seed for k, v in params.items() if k.endswith("random_state") and v is None}
    if fixed:
        pipe.set_params(**fixed)
    return pipe


def _candidates_by_part(grid: Grid | None) -> tuple[list[dict[str, Any]], list[int]]:
    """The candidates of a grid, and for each the index of the sub-grid it comes from."""
    if not grid:
        return [{}], [0]
    parts = [grid] if isinstance(grid, Mapping) else list(grid)
    cands: list[dict[str, Any]] = []
    part_of: list[int] = []
    for i, part in enumerate(parts):
        for c in ParameterGrid(part):  # type: ignore[arg-type]
            cands.append(dict(c))
            part_of.append(i)
    return cands, part_of


def _is_estimator(value: Any) -> bool:
    return hasattr(value, "get_params") and not isinstance(value, type)


def _seed_candidates(candidates: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """Candidates whose estimator values (a step replaced by the grid: ``auto``'s forest) are
    private copies with every unset ``random_state`` seeded, as :func:`_seed_pipeline` does
    for the pipeline's own steps. One copy per distinct object, so that the inner search's
    cache still sees equal steps as equal."""
    memo: dict[int, Any] = {}

    def seeded(v: Any) -> Any:
        if not _is_estimator(v):
            return v
        if id(v) not in memo:
            est = clone(v)
            params = est.get_params(deep=True)
            fixed = {k: seed for k, x in params.items() if k.endswith("random_state") and x is None}
            memo[id(v)] = est.set_params(**fixed) if fixed else est
        return memo[id(v)]

    return [{k: seeded(v) for k, v in c.items()} for c in candidates]


def _with_params(pipe: Pipeline, params: Mapping[str, Any]) -> Pipeline:
    """A fresh copy of the pipeline with the chosen parameters; estimator values are copied
    too, so that fitting never changes the candidate they came from."""
    return clone(pipe).set_params(
        **{k: clone(v) if _is_estimator(v) else v for k, v in params.items()}
    )


def _key(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return (type(value).__name__, value)


def _split_params(pipe: Pipeline, cand: Mapping[str, Any]) -> list[dict[str, Any]]:
    names = [n for n, _ in pipe.steps]
    per_step: list[dict[str, Any]] = [{} for _ in names]
    for key, value in cand.items():
        step, _, sub = key.partition("__")
        if step not in names:
            raise ValueError(f"grid key {key!r} names no step of the pipeline ({names})")
        per_step[names.index(step)][sub] = value
    return per_step


def _configured(step: Any, params: Mapping[str, Any]) -> Any:
    """A fresh copy of a pipeline step with parameters (key '' replaces the step itself)."""
    if "" in params:
        step = params[""]
        params = {k: v for k, v in params.items() if k}
    if step is None or step == "passthrough":
        return None
    est = clone(step)
    if params:
        est.set_params(**params)
    return est


def _rows(X: pd.DataFrame | np.ndarray, idx: np.ndarray) -> Any:
    return X.iloc[idx] if isinstance(X, pd.DataFrame) else X[idx]


def _inner_predictions(
    pipe: Pipeline,
    candidates: list[dict[str, Any]],
    X: pd.DataFrame | np.ndarray,
    y: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    counter: dict[str, int],
    output: Callable[[Any, Any], np.ndarray],
    width: int = 0,
) -> np.ndarray:
    """Out-of-fold outputs of every candidate over the inner splits, (n_cand, n), or
    (n_cand, n, width) when ``output(fitted_last_step, X)`` gives ``width`` > 0 values per
    case (:meth:`Task.search_output`)."""
    shape = (len(candidates), y.size, width) if width else (len(candidates), y.size)
    oof = np.full(shape, np.nan)
    params = [_split_params(pipe, c) for c in candidates]
    steps = pipe.steps
    for tr, te in splits:
        cache: dict[tuple[Any, ...], tuple[Any, Any]] = {}
        X_tr, X_te, y_tr = _rows(X, tr), _rows(X, te), y[tr]
        for ci, per_step in enumerate(params):
            cur_tr, cur_te = X_tr, X_te
            key: tuple[Any, ...] = ()
            for si, (_, step) in enumerate(steps[:-1]):
                key = (*key, tuple(sorted((k, _key(v)) for k, v in per_step[si].items())))
                if key in cache:
                    cur_tr, cur_te = cache[key]
                    continue
                est = _configured(step, per_step[si])
                if est is not None:
                    cur_tr = est.fit_transform(cur_tr, y_tr)
                    cur_te = est.transform(cur_te)
                cache[key] = (cur_tr, cur_te)
            clf = _configured(steps[-1][1], per_step[-1])
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                clf.fit(cur_tr, y_tr)
            counter["convergence"] += sum(
                issubclass(w.category, ConvergenceWarning) for w in caught
            )
            oof[ci, te] = output(clf, cur_te)
    return oof


def _needs_names(pipe: Pipeline) -> bool:
    """Whether a step matches features by column name (the robustness filter, ComBat's site
    column, the clinical columns' transformer)."""
    from sklearn.compose import ColumnTransformer

    from radiomix.learn.clinical import ClinicalEncoder
    from radiomix.learn.harmonise import ComBat
    from radiomix.learn.selectors import RobustnessFilter

    kinds = (RobustnessFilter, ComBat, ColumnTransformer, ClinicalEncoder)
    return any(isinstance(step, kinds) for _, step in pipe.steps)


def _combat_step(pipe: Any) -> Any:
    """The ComBat step of a pipeline (first level or inside a column transformer's
    remainder), or None."""
    from radiomix.learn.harmonise import ComBat

    for _, step in getattr(pipe, "steps", []):
        if isinstance(step, ComBat):
            return step
        rem = getattr(step, "remainder_", None)
        if rem is None:
            rem = next(
                (t for n, t, _ in getattr(step, "transformers_", []) if n == "remainder"), None
            )
        if isinstance(rem, Pipeline):
            found = _combat_step(rem)
            if found is not None:
                return found
    return None


def unseen_sites(pipe: Any) -> list[Any]:
    """Sites of the last prediction that the pipeline's ComBat had not seen in training
    (harmonised from their own features, without labels); empty without ComBat."""
    combat = _combat_step(pipe)
    if combat is None:
        return []
    return list(getattr(combat, "unseen_batches_", []))


def fitted_features(pipe: Pipeline, input_features: Sequence[str]) -> list[str]:
    """Names of the features that reach the last step of a fitted pipeline."""
    names = np.asarray(list(input_features), dtype=object)
    for _, step in pipe.steps[:-1]:
        if step is None or step == "passthrough":
            continue
        names = step.get_feature_names_out(names)
    return [str(n) for n in names]


def used_features(
    pipe: Pipeline, input_features: Sequence[str]
) -> tuple[list[str], np.ndarray | None, str]:
    """Features the fitted model uses, their importance, and the kind of importance.

    The features that reach the last step, less those it gives no weight: a zero
    coefficient (L1 / elastic net) or a zero impurity importance (never split on). Models
    without coefficients or importances (SVM, gradient boosting) use every feature they get.
    """
    names = fitted_features(pipe, input_features)
    importance, kind = _importance(pipe)
    if importance is None or importance.size != len(names):
        return names, None, "none"
    keep = importance != 0
    return [n for n, k in zip(names, keep, strict=True) if k], importance[keep], kind


def _importance(pipe: Pipeline) -> tuple[np.ndarray | None, str]:
    """Per-feature importance of the last step: coefficients or impurity importances."""
    clf = pipe.steps[-1][1]
    coef = getattr(clf, "coef_", None)
    if coef is None and hasattr(clf, "estimators_") and not hasattr(clf, "feature_importances_"):
        # one vs rest: one binary model per class
        parts = [getattr(e, "coef_", None) for e in clf.estimators_]
        if parts and all(c is not None for c in parts):
            coef = np.vstack([np.asarray(c, dtype=np.float64).reshape(1, -1) for c in parts])
    if coef is not None:
        arr = np.asarray(coef, dtype=np.float64)
        if arr.ndim == 2 and arr.shape[0] > 1:  # several classes: one row per class
            return np.abs(arr).mean(axis=0), "mean |coefficient| over classes"
        return arr.ravel(), "coefficient"
    imp = getattr(clf, "feature_importances_", None)
    if imp is not None:
        return np.asarray(imp, dtype=np.float64).ravel(), "impurity importance"
    return None, "none"


def _best_per_part(scores: np.ndarray, part_of: Sequence[int]) -> list[float]:
    """The best mean inner score of each sub-grid (NaN where none is finite)."""
    parts = np.asarray(part_of)
    out = []
    for i in range(int(parts.max()) + 1):
        s = scores[parts == i]
        out.append(float(np.nanmax(s)) if np.isfinite(s).any() else math.nan)
    return out


def _family_names(
    families: Sequence[str], family_index: int, family_scores: Sequence[float]
) -> tuple[str, dict[str, float]]:
    """The chosen family and every family's best inner score, by name ('' and {} unnamed)."""
    if not families:
        return "", {}
    if len(families) != len(family_scores):
        raise ValueError(
            f"{len(families)} family names for a grid of {len(family_scores)} sub-grids"
        )
    return families[family_index], dict(zip(families, family_scores, strict=True))


def logo_splits(groups: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Leave one group out: each group (a site) in turn is the test set, in sorted order."""
    g = np.asarray(groups)
    return [(np.flatnonzero(g != u), np.flatnonzero(g == u)) for u in np.unique(g)]


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
    """Outcome of the inner search on one training set: the winner, its mean inner score,
    every candidate's (``scores``), the threshold of :meth:`Task.threshold` (NaN: none)."""

    best_params: dict[str, Any]
    best_score: float
    scores: np.ndarray
    threshold: float
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
        scores,
        task.threshold(y, oof[best]),
        counter["convergence"],
        family_index=part_of[best],
        family_scores=_best_per_part(scores, part_of),
    )


@dataclass
class TaskFold:
    """One outer fold of one repeat: its test cases' outputs and what the model used.

    ``selected`` and ``importance``: the features the refitted model uses and their weights
    (see :func:`used_features`); ``inner_score``: the mean inner score of the chosen
    candidate; ``threshold``: two classes, chosen on the inner out-of-fold probabilities
    (NaN for the other tasks); ``unseen``: the test fold's sites its ComBat had not seen;
    ``family``: the model family the inner loop chose (a grid of named families, ``auto``;
    else ''), ``family_scores``: the best mean inner score of every family (the task's
    score: ROC AUC, macro AUC, R², Harrell's C)."""

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
    threshold: float = float("nan")
    unseen: list[Any] = field(default_factory=list)


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
    """One outer fold: inner search, test outputs (BLAS on one thread: on these small
    problems its threads only spin and contend); with ``importance`` (``n_repeats``,
    ``max_features``) the permutation importance of the test fold."""
    with threadpool_limits(limits=1):
        t0 = time.perf_counter()
        c0 = time.process_time()
        pipe = _seed_pipeline(build(), seed_for(random_state, repeat, fold, 2))
        Xtr: pd.DataFrame | np.ndarray = X[train]
        Xte: pd.DataFrame | np.ndarray = X[test]
        if _needs_names(pipe):  # wide DataFrames cost validation time: only when names matter
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
            threshold=search.threshold,
            unseen=unseen_sites(final),
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
        predicted each case (:meth:`Task.cutoff`; survival: the median training risk);
        ``threshold`` (repeats, n): that fold's decision threshold (two classes);
        ``scheme``.
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
    coding: Mapping[str, Any] | None = None,
) -> TaskCVResult:
    """Repeated nested cross-validation of an unfitted pipeline for ``task`` (module notes).

    ``y`` is the task's target (:meth:`Task.encode`); with the label's ``coding`` the
    task's fold and group checks run first (:meth:`Task.check_folds`,
    :meth:`Task.check_logo`, which name the label's values), without it they are the
    caller's. ``label_seed`` gives the permutation check splits of its own. ``scheme``:
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
        if coding is not None:
            inner_folds = task.check_logo(yy, g, inner_folds, coding)
        else:
            inner_folds = max(2, min(inner_folds, np.unique(g).size - 1))
    elif scheme != "kfold":
        raise DataError(f"unknown validation scheme {scheme!r} (kfold, leave-one-group-out)")
    elif coding is not None:
        task.check_folds(yy, g, outer_folds, inner_folds, coding)
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
    threshold = np.full((repeats, n), np.nan)
    for res in results:
        out[res.repeat, res.test_index] = res.output
        fold[res.repeat, res.test_index] = res.fold
        cutoff[res.repeat, res.test_index] = res.cutoff
        threshold[res.repeat, res.test_index] = res.threshold
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
        extra={"cutoff": cutoff, "threshold": threshold, "scheme": scheme},
    )


@dataclass
class TaskFitted:
    """The final model of a task: tuned on all cases by the inner loop, refitted on all
    (``selected``, ``importance``, ``threshold``, ``family`` and ``family_scores`` as in
    :class:`TaskFold`)."""

    pipeline: Pipeline
    best_params: dict[str, Any]
    inner_score: float
    selected: list[str]
    importance: np.ndarray | None
    importance_kind: str
    family: str = ""
    family_scores: dict[str, float] = field(default_factory=dict)
    threshold: float = float("nan")


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
    """The model to keep: hyper-parameters (and the threshold of two classes) by
    cross-validation on all cases, then one fit on all of them (its performance is the
    nested-CV estimate, not the inner score)."""
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
        threshold=search.threshold,
    )
