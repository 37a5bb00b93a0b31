"""Permutation importance on the outer test folds of a nested cross-validation.

For every outer fold the pipeline fitted on the fold's training part predicts the fold's test
cases; one input column at a time is shuffled among those test cases and the drop of the
task's main score is the column's importance in that fold (the ``permutation_importance`` of
scikit-learn, with the fold's fitted pipeline and a fixed seed per fold). The score is the
one the nested CV reports: ROC AUC (two classes), macro AUC (several classes), R²
(regression), Harrell's C (survival). A drop of 0.05 means the fold's AUC fell by 0.05 when
the column carried no information for those cases.

The columns are the **input** columns (the feature table's), so that a feature keeps its
name whatever the pipeline selects. Which ones are shuffled, to keep the cost bounded:

- when every step before the model works column by column (imputation, variance and
  correlation filters, scaling, mRMR selection), a column that does not reach the model
  cannot change its output: its importance in that fold is exactly 0 and it is not
  shuffled;
- of the columns that reach the model (all of them for the tree models), at most
  ``max_features`` are shuffled: those whose values follow the fold's predictions most
  closely (absolute Spearman correlation on the test cases, no labels used); the others
  are "not measured" in that fold.

:func:`aggregate` gathers the folds per feature: the mean and SD of the fold importances
(over the folds where the feature was measured, zeros included), how often it was measured
and how often the fitted model used it (the selection frequency of ``selection.csv``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from radiomix.learn.clinical import input_column

__all__ = [
    "MAX_AGNOSTIC_CASES",
    "FoldImportance",
    "aggregate",
    "explain_final",
    "fold_importance",
    "importance_info",
    "permuted_columns",
]

#: cases explained at most by the model-agnostic (permutation) SHAP explainer
MAX_AGNOSTIC_CASES = 100

Output = Callable[[Any, Any], np.ndarray]
Score = Callable[[np.ndarray, np.ndarray], float]


@dataclass
class FoldImportance:
    """Permutation importance of one outer fold.

    Attributes
    ----------
    mean, sd : dict of str -> float
        Per measured input column: mean and SD over the shuffles of the score drop (baseline
        minus shuffled score). Columns proven not to reach the model are included with 0.
    baseline : float
        The fold's test score without shuffling.
    n_permuted : int
        Columns actually shuffled.
    seconds : float
    """

    mean: dict[str, float] = field(default_factory=dict)
    sd: dict[str, float] = field(default_factory=dict)
    baseline: float = float("nan")
    n_permuted: int = 0
    seconds: float = 0.0


def _column_wise(pipe: Any) -> bool:
    """Whether every step before the model transforms column by column (a column left out
    of its output cannot affect the model)."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

    from radiomix.learn.selectors import MRMR, CorrelationFilter, NearZeroVariance
    from radiomix.learn.survival import CoxScoreFilter

    kinds = (
        CoxScoreFilter,
        SimpleImputer,
        StandardScaler,
        RobustScaler,
        MinMaxScaler,
        NearZeroVariance,
        CorrelationFilter,
        MRMR,
    )
    steps = getattr(pipe, "steps", None)
    if steps is None:
        return True
    return all(
        step is None or step == "passthrough" or isinstance(step, kinds) for _, step in steps[:-1]
    )


def permuted_columns(
    pipe: Any,
    columns: Sequence[str],
    X_test: pd.DataFrame | np.ndarray,
    output: np.ndarray,
    max_features: int,
) -> tuple[list[int], list[int]]:
    """Which input columns to shuffle and which have importance exactly 0 (see the module
    notes): (indices to shuffle, indices proven inert)."""
    from radiomix.learn.task_cv import fitted_features

    cols = [str(c) for c in columns]
    reach: list[int] = list(range(len(cols)))
    inert: list[int] = []
    if _column_wise(pipe) and hasattr(pipe, "steps"):
        try:
            names = set(fitted_features(pipe, cols))
        except (AttributeError, ValueError, TypeError):
            names = set(cols)
        if names <= set(cols):
            reach = [j for j, c in enumerate(cols) if c in names]
            inert = [j for j, c in enumerate(cols) if c not in names]
    if len(reach) > max_features:
        values = np.asarray(X_test, dtype=np.float64)[:, reach]
        out = np.asarray(output, dtype=np.float64)
        out = out if out.ndim == 1 else out.reshape(len(out), -1)[:, 0]
        r_out = rankdata(out)
        strength = np.zeros(len(reach))
        for k in range(len(reach)):
            v = values[:, k]
            ok = np.isfinite(v)
            if ok.sum() > 2 and np.ptp(v[ok]) > 0:
                c = np.corrcoef(rankdata(v[ok]), r_out[ok])[0, 1]
                strength[k] = abs(c) if np.isfinite(c) else 0.0
        order = np.argsort(-strength, kind="stable")[:max_features]
        reach = sorted(reach[k] for k in order)
    return reach, inert


def fold_importance(
    pipe: Any,
    X_test: pd.DataFrame | np.ndarray,
    y_test: np.ndarray,
    columns: Sequence[str],
    *,
    output: Output,
    score: Score,
    n_repeats: int = 5,
    max_features: int = 30,
    random_state: int = 0,
) -> FoldImportance:
    """Permutation importance of a fitted pipeline on one outer test fold.

    Parameters
    ----------
    pipe : fitted Pipeline
    X_test : DataFrame or ndarray
        The fold's test cases, in the columns ``pipe`` was fitted on (``columns``).
    y_test : ndarray
        Their outcome, in the form ``score`` takes.
    output : callable (pipe, X) -> ndarray
        What the pipeline predicts (probability of the positive class, ...).
    score : callable (y, output) -> float
        Higher is better.
    n_repeats, max_features, random_state : int

    Returns
    -------
    FoldImportance
        Empty (NaN baseline) when the fold cannot be scored (one class only, ...).
    """
    from sklearn.inspection import permutation_importance

    t0 = time.perf_counter()
    cols = [str(c) for c in columns]
    base_out = output(pipe, X_test)
    try:
        baseline = float(score(y_test, base_out))
    except (ValueError, ZeroDivisionError):
        baseline = float("nan")
    if not np.isfinite(baseline):
        return FoldImportance(seconds=time.perf_counter() - t0)
    shuffle, inert = permuted_columns(pipe, cols, X_test, base_out, max_features)
    res = FoldImportance(baseline=baseline, n_permuted=len(shuffle))
    for j in inert:
        res.mean[cols[j]] = 0.0
        res.sd[cols[j]] = 0.0
    if shuffle:
        frame = isinstance(X_test, pd.DataFrame)
        full: Any = X_test.copy() if frame else np.array(X_test, dtype=np.float64, copy=True)
        part = full.iloc[:, shuffle] if frame else full[:, shuffle]

        def scorer(est: Any, Xs: Any, y: np.ndarray) -> float:
            X: Any = full.copy()
            if frame:
                X.iloc[:, shuffle] = np.asarray(Xs)
            else:
                X[:, shuffle] = np.asarray(Xs)
            try:
                return float(score(y, output(est, X)))
            except (ValueError, ZeroDivisionError):
                return float("nan")

        pi = permutation_importance(
            pipe,
            part,
            y_test,
            scoring=scorer,
            n_repeats=n_repeats,
            random_state=random_state,
            n_jobs=1,
        )
        for k, j in enumerate(shuffle):
            res.mean[cols[j]] = float(pi.importances_mean[k])
            res.sd[cols[j]] = float(pi.importances_std[k])
    res.seconds = time.perf_counter() - t0
    return res


def aggregate(
    folds: Sequence[Any],
    columns: Sequence[str],
    *,
    model: str = "",
    categorical: Sequence[str] = (),
) -> pd.DataFrame:
    """Per input feature over the outer folds (each with ``permutation``, a
    :class:`FoldImportance` or None, and ``selected``, the features its model used; a
    ``categorical`` column counts as used when one of its encoded columns, ``stage=T2``,
    is).

    Returns
    -------
    DataFrame
        ``model``, ``feature``, ``mean_importance`` (mean over the folds where it was
        measured), ``sd_importance`` (SD of the fold means), ``n_folds_measured``,
        ``n_folds``, ``selection_frequency`` (share of folds whose model used it), sorted
        by decreasing mean importance (not measured: last).
    """
    cols = [str(c) for c in columns]
    scored = [f for f in folds if getattr(f, "permutation", None) is not None]
    scored = [f for f in scored if np.isfinite(f.permutation.baseline)]
    n = len(scored)
    values = np.full((n, len(cols)), np.nan)
    index = {c: j for j, c in enumerate(cols)}
    for i, f in enumerate(scored):
        for name, v in f.permutation.mean.items():
            j = index.get(name)
            if j is not None:
                values[i, j] = v
    counts = np.isfinite(values).sum(axis=0)
    with np.errstate(all="ignore"):
        total = np.where(np.isfinite(values), values, 0.0).sum(axis=0)
        mean = np.where(counts > 0, total / np.maximum(counts, 1), np.nan)
        sq = np.where(np.isfinite(values), (values - mean) ** 2, 0.0).sum(axis=0)
        sd = np.where(counts > 1, np.sqrt(sq / np.maximum(counts - 1, 1)), np.nan)
    n_all = len(folds)
    used = np.zeros(len(cols))
    cat = set(categorical)
    for f in folds:
        names = {input_column(str(name), cat) for name in getattr(f, "selected", []) or []}
        for name in names:
            j = index.get(name)
            if j is not None:
                used[j] += 1
    table = pd.DataFrame(
        {
            "model": model,
            "feature": cols,
            "mean_importance": mean,
            "sd_importance": sd,
            "n_folds_measured": counts.astype(np.int64),
            "n_folds": n,
            "selection_frequency": used / n_all if n_all else np.nan,
        }
    )
    key = np.where(np.isfinite(mean), -mean, np.inf)
    order = np.lexsort((-table["selection_frequency"].to_numpy(), key))
    return table.iloc[order].reset_index(drop=True)


def explain_final(
    pipeline: Any,
    X: pd.DataFrame,
    ids: pd.DataFrame | None,
    *,
    max_cases: int = 300,
    max_background: int = 50,
    random_state: int = 0,
    class_names: Sequence[Any] | None = None,
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """SHAP values of the final model on its training cases, summarised for the report.

    Parameters
    ----------
    pipeline : fitted Pipeline
    X : DataFrame
        All training cases (the background); at most ``max_cases`` of them, evenly spaced,
        are explained (at most :data:`MAX_AGNOSTIC_CASES` with the model-agnostic
        explainer).
    ids : DataFrame or None
        Case ids of the rows of ``X`` (``case_id``, ``roi``), carried into the long table.
    class_names : sequence, optional
        Several classes: the classes' names by class code (the label coding's
        ``classes``).

    Returns
    -------
    info : dict
        ``method``, ``scale``, ``base_value``, ``n_cases``, ``n_features``, ``seconds``;
        several classes: ``base_value`` is ``{class: value}`` and ``classes`` lists them.
    summary : DataFrame
        ``feature``, ``mean_abs_shap``, ``mean_shap``, ``sd_shap``, ``rank`` (1 = largest
        mean |SHAP|). Several classes: one row per feature and class, ``class`` first, with
        ``rank`` within the class, ``mean_abs_shap_all_classes`` (the feature's mean
        |SHAP| summed over the classes) and ``rank_all_classes`` (its rank by that sum);
        sorted by ``rank_all_classes``, then the classes in order.
    values : DataFrame
        One row per (case, feature): the ids, ``feature``, ``shap_value``, ``model_input``;
        several classes: per (case, class, feature), with ``class`` before ``feature``.
    """
    from radiomix.learn.explain import ClassShapExplanation, model_agnostic, shap_explanation

    t0 = time.perf_counter()
    if model_agnostic(pipeline):  # about 4 (2 p + 1) x background predictions per case
        max_cases = min(max_cases, MAX_AGNOSTIC_CASES)
    rows = np.arange(len(X))
    if len(rows) > max_cases:
        rows = np.unique(np.linspace(0, len(X) - 1, max_cases).round().astype(int))
    exp = shap_explanation(
        pipeline,
        X.iloc[rows],
        background=X,
        max_background=max_background,
        random_state=random_state,
        class_names=class_names,
    )
    base = (
        ids.iloc[rows].reset_index(drop=True)
        if ids is not None and len(ids.columns)
        else pd.DataFrame({"row": rows})
    )
    if isinstance(exp, ClassShapExplanation):
        summary, long = _class_tables(exp, base)
        base_value: Any = exp.base_value
        p = exp.inputs.shape[1]
    else:
        vals = exp.values.to_numpy()
        summary = _shap_summary(exp.values)
        p = vals.shape[1]
        long = base.loc[base.index.repeat(p)].reset_index(drop=True)
        long["feature"] = np.tile(np.asarray(exp.values.columns, dtype=object), len(rows))
        long["shap_value"] = vals.ravel()
        long["model_input"] = exp.inputs.to_numpy().ravel()
        base_value = exp.base_value
    info = {
        "method": exp.method,
        "scale": exp.scale,
        "base_value": base_value,
        "n_cases": len(rows),
        "n_features": p,
        "seconds": time.perf_counter() - t0,
    }
    if isinstance(exp, ClassShapExplanation):
        info["classes"] = list(exp.classes)
    return info, summary, long


def _shap_summary(values: pd.DataFrame) -> pd.DataFrame:
    """``feature``, ``mean_abs_shap``, ``mean_shap``, ``sd_shap``, ``rank`` of SHAP values
    (cases x features), by decreasing mean |SHAP|."""
    vals = values.to_numpy()
    summary = pd.DataFrame(
        {
            "feature": list(values.columns),
            "mean_abs_shap": np.abs(vals).mean(axis=0),
            "mean_shap": vals.mean(axis=0),
            "sd_shap": vals.std(axis=0, ddof=1) if len(vals) > 1 else np.nan,
        }
    )
    summary = summary.sort_values("mean_abs_shap", ascending=False, kind="stable")
    summary["rank"] = np.arange(1, len(summary) + 1)
    return summary.reset_index(drop=True)


def _class_tables(exp: Any, ids: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``shap.csv`` and ``shap_values.csv`` of a model of several classes (see
    :func:`explain_final`)."""
    parts = []
    for c in exp.classes:
        part = _shap_summary(exp.values[c])
        part.insert(0, "class", c)
        parts.append(part)
    summary = pd.concat(parts, ignore_index=True)
    total = summary.groupby("feature", sort=False)["mean_abs_shap"].sum()
    total = total.sort_values(ascending=False, kind="stable")
    overall = pd.Series(np.arange(1, len(total) + 1), index=total.index)
    summary["mean_abs_shap_all_classes"] = summary["feature"].map(total).to_numpy()
    summary["rank_all_classes"] = summary["feature"].map(overall).to_numpy()
    order = {c: j for j, c in enumerate(exp.classes)}
    summary = summary.assign(_order=summary["class"].map(order))
    summary = summary.sort_values(["rank_all_classes", "_order"], kind="stable")
    summary = summary.drop(columns="_order").reset_index(drop=True)

    names = np.asarray(exp.inputs.columns, dtype=object)
    n, p, k = len(exp.inputs), len(names), len(exp.classes)
    stack = np.stack([exp.values[c].to_numpy(dtype=np.float64) for c in exp.classes], 1)
    long = ids.loc[ids.index.repeat(k * p)].reset_index(drop=True)
    long["class"] = np.tile(np.repeat(np.asarray(exp.classes, dtype=object), p), n)
    long["feature"] = np.tile(names, n * k)
    long["shap_value"] = stack.ravel()
    long["model_input"] = np.repeat(exp.inputs.to_numpy()[:, None, :], k, axis=1).ravel()
    return summary, long


def importance_info(folds: Sequence[Any], score: str, n_repeats: int, max_features: int) -> dict:
    """What ``metrics.json`` records about the permutation importance of a model."""
    measured = [f.permutation for f in folds if getattr(f, "permutation", None) is not None]
    return {
        "score": score,
        "n_repeats": n_repeats,
        "max_features": max_features,
        "n_folds": len(measured),
        "n_folds_scored": sum(np.isfinite(m.baseline) for m in measured),
        "mean_permuted_per_fold": float(np.mean([m.n_permuted for m in measured]))
        if measured
        else 0.0,
        "seconds": float(sum(m.seconds for m in measured)),
    }
