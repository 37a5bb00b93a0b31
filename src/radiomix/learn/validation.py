"""Repeated nested cross-validation, stratified and group-aware, with a lean inner search.

The only way to estimate performance here is :func:`nested_cv`, which takes an *unfitted*
pipeline and a grid. For every repeat ``r`` and outer fold ``f``:

1. the outer split comes from ``StratifiedGroupKFold(outer_folds, shuffle=True)`` seeded by
   ``(random_state, r)``: the class balance is kept and a group (patient, near-duplicate
   cluster) never straddles training and test. Without groups every case is its own group
   and plain ``StratifiedKFold`` is used (the same thing, faster);
2. on the outer-training part only, every grid candidate is cross-validated with an inner
   ``StratifiedGroupKFold(inner_folds)`` (``StratifiedKFold`` without groups); the candidate
   with the best mean inner ROC AUC wins (ties: the first in grid order);
3. the decision threshold is chosen by the threshold rule (Youden by default) on the pooled
   inner out-of-fold probabilities of the winning candidate: the test fold never sees it;
4. the winning pipeline is refitted on the whole outer-training part and predicts the outer
   test fold.

Every case therefore receives one out-of-fold probability per repeat, made by a model that
never saw it, with a threshold chosen without it.

A grid may be a list of sub-grids, one per model *family* (``families`` names them; the
``auto`` model of :mod:`radiomix.learn.models`): step 2 then scores the candidates of every
family on the same inner splits, so the choice of family is made inside each outer training
part like any other hyper-parameter, and the outer folds evaluate the whole
choose-then-fit procedure. Each :class:`FoldResult` records the family it chose and the best
inner score of every family.

The inner search is a lean equivalent of ``GridSearchCV`` (same result, less work): the
steps of a pipeline are fitted once per inner split and per distinct setting of the steps
before them, so with the default grid (3 values of k x 11 values of C) the imputer, variance
filter, scaler and correlation filter run once per inner split instead of 33 times, and mRMR
three times. Work is spread over (repeat, outer fold) tasks with joblib; results depend only
on ``random_state``, not on the number of processes.
"""

from __future__ import annotations

import logging
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
from radiomix.learn.metrics import choose_threshold, roc_auc

__all__ = [
    "CVResult",
    "FittedModel",
    "FoldResult",
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

log = logging.getLogger(__name__)

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


def _candidates(grid: Grid | None) -> list[dict[str, Any]]:
    return _candidates_by_part(grid)[0]


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
    output: Callable[[Any, Any], np.ndarray] | None = None,
    width: int = 0,
) -> np.ndarray:
    """Out-of-fold probabilities of every candidate over the inner splits, (n_cand, n).

    ``output(fitted_last_step, X)`` replaces the probability of the positive class for the
    other tasks (:mod:`radiomix.learn.task_cv`); with ``width`` > 0 it gives that many
    values per case and the result is (n_cand, n, width).
    """
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
            if output is None:
                oof[ci, te] = clf.predict_proba(cur_te)[:, 1]
            else:
                oof[ci, te] = output(clf, cur_te)
    return oof


def _mean_fold_auc(
    oof: np.ndarray, y: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]]
) -> np.ndarray:
    scores = np.full((oof.shape[0], len(splits)), np.nan)
    for s, (_, te) in enumerate(splits):
        if np.unique(y[te]).size == 2:
            for c in range(oof.shape[0]):
                scores[c, s] = roc_auc(y[te], oof[c, te])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(scores, axis=1)


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


@dataclass
class SearchResult:
    """Outcome of the inner search on one training set."""

    best_params: dict[str, Any]
    best_score: float
    threshold: float
    scores: np.ndarray
    n_convergence_warnings: int
    family_index: int = 0
    family_scores: list[float] = field(default_factory=list)


def _search(
    pipe: Pipeline,
    grid: Grid | None,
    X: pd.DataFrame | np.ndarray,
    y: np.ndarray,
    groups: np.ndarray | None,
    inner_folds: int,
    seed: int,
    threshold_rule: str,
) -> SearchResult:
    candidates, part_of = _candidates_by_part(grid)
    candidates = _seed_candidates(candidates, seed)
    splits = _splits(y, groups, inner_folds, seed)
    counter = {"convergence": 0}
    oof = _inner_predictions(pipe, candidates, X, y, splits, counter)
    scores = _mean_fold_auc(oof, y, splits)
    best = int(np.nanargmax(scores)) if np.isfinite(scores).any() else 0
    threshold = choose_threshold(y, oof[best], threshold_rule)
    return SearchResult(
        candidates[best],
        float(scores[best]),
        threshold,
        scores,
        counter["convergence"],
        family_index=part_of[best],
        family_scores=_best_per_part(scores, part_of),
    )


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


@dataclass
class FoldResult:
    """One outer fold of one repeat.

    ``selected`` and ``importance``: the features the refitted model uses and their weights
    (see :func:`used_features`); ``threshold``: chosen on the inner out-of-fold
    probabilities; ``inner_score``: mean inner ROC AUC of the chosen candidate;
    ``family``: the model family it belongs to (a grid of named families, ``auto``; else
    ''), ``family_scores``: the best mean inner AUC of every family.
    """

    repeat: int
    fold: int
    test_index: np.ndarray
    probability: np.ndarray
    threshold: float
    best_params: dict[str, Any]
    inner_score: float
    n_train: int
    n_positive_train: int
    selected: list[str]
    importance: np.ndarray | None
    importance_kind: str
    n_convergence_warnings: int
    seconds: float
    cpu_seconds: float = 0.0
    unseen: list[Any] = field(default_factory=list)
    permutation: Any = None  # FoldImportance (radiomix.learn.importance) or None
    family: str = ""
    family_scores: dict[str, float] = field(default_factory=dict)


def _binary_output(pipe: Any, X: Any) -> np.ndarray:
    return np.asarray(pipe.predict_proba(X)[:, 1], dtype=np.float64)


def _fit_fold(
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
    threshold_rule: str,
    random_state: int,
    importance: Mapping[str, int] | None = None,
    families: Sequence[str] = (),
) -> FoldResult:
    """One outer fold: inner search, threshold, test predictions (BLAS on one thread:
    on these small problems its threads only spin and contend); with ``importance``
    (``n_repeats``, ``max_features``) the permutation importance of the test fold."""
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
            pipe,
            grid,
            Xtr,
            y[train],
            None if groups is None else groups[train],
            inner_folds,
            seed_for(random_state, repeat, fold, 1),
            threshold_rule,
        )
        final = _with_params(pipe, search.best_params)
        family, family_scores = _family_names(families, search.family_index, search.family_scores)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            final.fit(Xtr, y[train])
        n_conv = search.n_convergence_warnings + sum(
            issubclass(w.category, ConvergenceWarning) for w in caught
        )
        prob = final.predict_proba(Xte)[:, 1]
        unseen = unseen_sites(final)
        selected, weights, kind = used_features(final, columns)
        perm = None
        if importance is not None:
            from radiomix.learn.importance import fold_importance

            perm = fold_importance(
                final,
                Xte,
                y[test],
                columns,
                output=_binary_output,
                score=roc_auc,
                n_repeats=int(importance["n_repeats"]),
                max_features=int(importance["max_features"]),
                random_state=seed_for(random_state, repeat, fold, 3),
            )
        return FoldResult(
            repeat=repeat,
            fold=fold,
            test_index=test,
            probability=prob,
            threshold=search.threshold,
            best_params=search.best_params,
            inner_score=search.best_score,
            n_train=int(train.size),
            n_positive_train=int(y[train].sum()),
            selected=selected,
            importance=weights,
            importance_kind=kind,
            n_convergence_warnings=n_conv,
            seconds=time.perf_counter() - t0,
            cpu_seconds=time.process_time() - c0,
            unseen=unseen,
            permutation=perm,
            family=family,
            family_scores=family_scores,
        )


@dataclass
class CVResult:
    """Out-of-fold predictions of a repeated nested cross-validation.

    Attributes
    ----------
    probability : ndarray, shape (repeats, n)
        Out-of-fold probability of the positive class of every case in every repeat.
    threshold : ndarray, shape (repeats, n)
        Threshold of the fold that predicted the case (chosen on that fold's training data).
    fold : ndarray of int, shape (repeats, n)
    folds : list of FoldResult
    features : list of str
        Input feature columns.
    y : ndarray of int8
    groups : ndarray
    """

    probability: np.ndarray
    threshold: np.ndarray
    fold: np.ndarray
    folds: list[FoldResult]
    features: list[str]
    y: np.ndarray
    groups: np.ndarray
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def repeats(self) -> int:
        return int(self.probability.shape[0])

    @property
    def predicted(self) -> np.ndarray:
        """Predicted class (1 = positive) of every case in every repeat."""
        return (self.probability >= self.threshold).astype(np.int8)

    def repeat_auc(self) -> np.ndarray:
        """ROC AUC of the pooled out-of-fold predictions of each repeat."""
        return np.array([roc_auc(self.y, p) for p in self.probability])

    def fold_auc(self) -> np.ndarray:
        """ROC AUC of each outer test fold (NaN where a fold holds one class)."""
        out = []
        for f in self.folds:
            yt = self.y[f.test_index]
            out.append(roc_auc(yt, f.probability) if np.unique(yt).size == 2 else np.nan)
        return np.asarray(out)


def _groups_or_cases(groups: np.ndarray | Sequence[Any] | None, n: int) -> np.ndarray:
    if groups is None:
        return np.arange(n)
    g = np.asarray(groups)
    if g.shape != (n,):
        raise DataError(f"groups must have one value per case ({n}), got shape {g.shape}")
    return g


def check_folds_possible(y: np.ndarray, groups: np.ndarray, outer: int, inner: int) -> None:
    """Raise a DataError when the classes or groups are too few for the requested folds."""
    # each outer test fold should hold both classes, and each outer training part enough
    # groups of each class for the inner folds: n (outer - 1) / outer >= inner
    needed = max(outer, math.ceil(inner * outer / (outer - 1)))
    for cls in (0, 1):
        n_groups = np.unique(groups[y == cls]).size
        if n_groups < needed:
            name = "positive" if cls == 1 else "negative"
            raise DataError(
                f"only {n_groups} {name} cases (or groups) for {outer} outer x {inner} inner "
                f"folds; each class needs at least {needed} (use fewer folds or more data)"
            )


def _splits(
    y: np.ndarray, groups: np.ndarray | None, n_splits: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified (group) k-fold splits; one case per group is plain stratified k-fold."""
    cv: StratifiedGroupKFold | StratifiedKFold
    if groups is None:
        cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    else:
        cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        return [(tr, te) for tr, te in cv.split(np.zeros(y.size), y, groups)]


def logo_splits(groups: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Leave one group out: each group (a site) in turn is the test set, in sorted order."""
    g = np.asarray(groups)
    return [(np.flatnonzero(g != u), np.flatnonzero(g == u)) for u in np.unique(g)]


def check_logo_possible(y: np.ndarray, groups: np.ndarray, inner: int) -> int:
    """Raise a DataError when leave-one-group-out cannot run; return the inner folds to use
    (at most the groups of a training part: the inner loop is group k-fold too)."""
    n_groups = np.unique(groups).size
    if n_groups < 3:
        raise DataError(
            f"leave-one-group-out needs at least 3 groups, the group column has {n_groups}"
        )
    for u in np.unique(groups):
        tr = groups != u
        for cls in (0, 1):
            if np.unique(groups[tr & (y == cls)]).size < 2:
                name = "positive" if cls == 1 else "negative"
                raise DataError(
                    f"leaving out group {u!r} leaves {name} cases in fewer than 2 groups: "
                    "the inner loop cannot tune; leave-one-group-out needs each class in at "
                    "least 3 groups"
                )
    return max(2, min(inner, n_groups - 1))


def _outer_splits(
    y: np.ndarray, groups: np.ndarray | None, outer_folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    splits = _splits(y, groups, outer_folds, seed)
    if groups is None:
        return splits
    for tr, te in splits:  # the guarantee the whole design rests on
        if np.intersect1d(groups[tr], groups[te]).size:
            raise AssertionError("a group straddles an outer training and test fold")
    return splits


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
    """Repeated nested cross-validation of an unfitted pipeline (see the module notes).

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
    t0 = time.perf_counter()
    builder: Callable[[], Pipeline]
    if isinstance(build, Pipeline):
        template = build
        builder = lambda: clone(template)  # noqa: E731
    else:
        builder = build
    yy = np.asarray(y).astype(np.int8)
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
        inner_folds = check_logo_possible(yy, g, inner_folds)
        repeats = 1
    elif scheme != "kfold":
        raise DataError(f"unknown validation scheme {scheme!r} (kfold, leave-one-group-out)")
    else:
        check_folds_possible(yy, g, outer_folds, inner_folds)
    columns = [str(c) for c in X.columns]
    Xa = X.to_numpy(dtype=np.float64)
    base = [random_state] if label_seed is None else [random_state, 7919, label_seed]
    tasks = []
    for r in range(repeats):
        if logo:
            splits = logo_splits(g)
        else:
            splits = _outer_splits(yy, split_groups, outer_folds, seed_for(*base, r))
        for f, (tr, te) in enumerate(splits):
            tasks.append((r, f, tr, te))
    jobs = None if n_jobs is None else int(n_jobs)
    results: list[FoldResult] = Parallel(n_jobs=jobs)(
        delayed(_fit_fold)(
            builder,
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
            threshold_rule,
            seed_for(*base, r),
            importance,
            tuple(families),
        )
        for r, f, tr, te in tasks
    )
    prob = np.full((repeats, n), np.nan)
    thr = np.full((repeats, n), np.nan)
    fold = np.full((repeats, n), -1, dtype=np.int64)
    for res in results:
        prob[res.repeat, res.test_index] = res.probability
        thr[res.repeat, res.test_index] = res.threshold
        fold[res.repeat, res.test_index] = res.fold
    if np.isnan(prob).any():  # pragma: no cover - every case is in exactly one test fold
        raise AssertionError("a case received no out-of-fold prediction")
    return CVResult(prob, thr, fold, results, columns, yy, g, time.perf_counter() - t0)


@dataclass
class FittedModel:
    """The final model: tuned on all cases by the inner loop, then refitted on all of them.

    ``selected``, ``importance``, ``family`` and ``family_scores`` as in
    :class:`FoldResult`.
    """

    pipeline: Pipeline
    best_params: dict[str, Any]
    threshold: float
    inner_score: float
    selected: list[str]
    importance: np.ndarray | None
    importance_kind: str
    family: str = ""
    family_scores: dict[str, float] = field(default_factory=dict)


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
    pipe = build if isinstance(build, Pipeline) else build()
    pipe = _seed_pipeline(clone(pipe), seed_for(random_state, 10**6, 2))
    yy = np.asarray(y).astype(np.int8)
    g = None if groups is None else _groups_or_cases(groups, yy.size)
    with threadpool_limits(limits=1):
        search = _search(
            pipe, grid, X, yy, g, inner_folds, seed_for(random_state, 10**6, 1), threshold_rule
        )
    final = _with_params(pipe, search.best_params)
    family, family_scores = _family_names(families, search.family_index, search.family_scores)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        final.fit(X, yy)
    selected, importance, kind = used_features(final, [str(c) for c in X.columns])
    return FittedModel(
        pipeline=final,
        best_params=search.best_params,
        threshold=search.threshold,
        inner_score=search.best_score,
        selected=selected,
        importance=importance,
        importance_kind=kind,
        family=family,
        family_scores=family_scores,
    )
