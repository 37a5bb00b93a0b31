"""Pieces of the study loop (:func:`radiomix.learn.task_study.run_task_study`) and of the
tasks' study hooks (:mod:`radiomix.learn.tasks`): a model's columns, Holm's adjustment, the
fold statistics of a summary, the corrected resampled t-test of two models, the
label-permutation check, the rows of ``selection.csv`` and ``folds.csv``, the frames of
``predictions.csv`` and the files of a run directory. Here so that the tasks reach them
without the loop.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from radiomix._outputs import atomic_write_text, jsonable, write_table
from radiomix.errors import DataError
from radiomix.learn.metrics import corrected_resampled_ttest
from radiomix.learn.table import filter_columns

if TYPE_CHECKING:
    from radiomix.learn.bundle import ModelBundle
    from radiomix.learn.config import DataSettings, StudySettings
    from radiomix.learn.models import ModelSpec
    from radiomix.learn.table import Dataset
    from radiomix.learn.tasks import Task

__all__ = [
    "check_columns",
    "comparison",
    "comparisons",
    "corrected_t",
    "final_summary",
    "fit_summary",
    "fold_head",
    "fold_score_summary",
    "fold_tail",
    "holm",
    "model_bundle",
    "model_columns",
    "permutation_check",
    "prediction_frames",
    "selection_rows",
    "selection_table",
    "site_and_clinical_rules",
    "study_provenance",
    "subset_score",
    "table_provenance",
    "write_run_files",
]


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjustment of p-values (NaN stays NaN)."""
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full(p.size, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if ok.size == 0:
        return out.tolist()
    order = ok[np.argsort(p[ok])]
    m = ok.size
    running = 0.0
    for rank, idx in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[idx]))
        out[idx] = running
    return out.tolist()


def model_columns(data: Dataset, spec: ModelSpec) -> list[str]:
    """The model's columns: its radiomic features (include / exclude patterns), then the
    site and clinical columns its pipeline needs (``spec.columns_added``)."""
    removed = set(spec.columns_removed) | set(spec.columns_added)
    rad = [f for f in data.features if f not in removed]
    cols = filter_columns(rad, spec.include, spec.exclude) if spec.radiomics else []
    if spec.radiomics and not cols:
        return []
    missing = [c for c in spec.columns_added if c not in data.features]
    if missing:
        raise DataError(
            f"columns {missing} are not numeric columns of the prepared table (check "
            "data.include / data.exclude / id_columns)"
        )
    return cols + [c for c in spec.columns_added if c not in cols]


def site_and_clinical_rules(data: DataSettings, spec: ModelSpec) -> dict[str, Any]:
    """The bundle's column rules of the site, its covariates and the clinical columns;
    ``radiomics`` is False for a model of the clinical columns alone (a table's radiomic
    features are then not extra columns)."""
    return {
        "harmonise": data.harmonise,
        "harmonise_covariates": list(data.harmonise_covariates),
        "clinical": list(data.clinical),
        "clinical_categorical": list(data.clinical_categorical),
        "radiomics": spec.radiomics,
    }


def _row_names(run: Any) -> list[str]:
    """The names of ``selection.csv``: the model's input columns, a categorical clinical
    column replaced by the encoded columns its fits used (``stage=T1``, ``stage=T2``, in
    the encoder's order)."""
    from radiomix.learn.clinical import coded_columns, encoders, input_column

    categorical = set(coded_columns(run.bundle.pipeline)) if run.bundle is not None else set()
    encoded: dict[str, list[str]] = {}
    for sel in [*(f.selected for f in run.cv.folds), run.final.selected]:
        for name in sel:
            col = input_column(str(name), categorical)
            if col != name:
                names = encoded.setdefault(col, [])
                if name not in names:
                    names.append(str(name))
    order: dict[str, int] = {}
    if encoded:
        for enc in encoders(run.bundle.pipeline):
            for name in enc.get_feature_names_out():
                order.setdefault(str(name), len(order))
    rows: list[str] = []
    for col in run.features:
        found = encoded.get(col)
        rows.extend(sorted(found, key=lambda n: order.get(n, len(order))) if found else [col])
    return rows


def selection_rows(run: Any) -> list[dict[str, Any]]:
    """Rows of ``selection.csv`` for a :class:`ModelRun` (or a task study's run)."""
    n_fits = len(run.cv.folds)
    count: Counter[str] = Counter()
    values: dict[str, list[float]] = {}
    for f in run.cv.folds:
        count.update(f.selected)
        if f.importance is not None and f.importance.size == len(f.selected):
            for name, v in zip(f.selected, f.importance, strict=True):
                values.setdefault(name, []).append(float(v))
    final_imp: dict[str, float] = {}
    fin = run.final
    if fin.importance is not None and fin.importance.size == len(fin.selected):
        final_imp = {n: float(v) for n, v in zip(fin.selected, fin.importance, strict=True)}
    final_sel = set(fin.selected)
    rows: list[dict[str, Any]] = []
    for name in _row_names(run):
        vals = np.asarray(values.get(name, []), dtype=np.float64)
        rows.append(
            {
                "model": run.spec.name,
                "feature": name,
                "n_fits": n_fits,
                "n_selected": int(count.get(name, 0)),
                "frequency": count.get(name, 0) / n_fits if n_fits else math.nan,
                "importance_kind": run.cv.folds[0].importance_kind if run.cv.folds else "none",
                "mean_importance": float(vals.mean()) if vals.size else math.nan,
                "sd_importance": float(vals.std(ddof=1)) if vals.size > 1 else math.nan,
                "mean_abs_importance": float(np.abs(vals).mean()) if vals.size else math.nan,
                "final_selected": name in final_sel,
                "final_importance": final_imp.get(name, math.nan),
            }
        )
    rows.sort(
        key=lambda r: (-float(r["frequency"]), -float(np.nan_to_num(r["mean_abs_importance"])))
    )
    return rows


def fold_score_summary(scores: np.ndarray, headline: str) -> dict[str, float]:
    """Mean and SD of the outer folds' scores (the SD of fold scores is not a standard
    error: folds overlap in training data)."""
    finite = scores[np.isfinite(scores)]
    return {
        f"{headline}_fold_mean": float(finite.mean()) if finite.size else math.nan,
        f"{headline}_fold_sd": float(finite.std(ddof=1)) if finite.size > 1 else math.nan,
    }


def fit_summary(cv: Any) -> dict[str, Any]:
    """What the outer fits chose and cost: hyper-parameters (and families, ``auto``) by how
    often, the repeats and fits, convergence warnings, seconds."""
    out: dict[str, Any] = {}
    params = Counter(json.dumps(jsonable(f.best_params), sort_keys=True) for f in cv.folds)
    out["best_params_counts"] = dict(params.most_common())
    families = Counter(f.family for f in cv.folds if f.family)
    if families:  # a model choosing among families (auto): how often each was chosen
        out["family_counts"] = dict(families.most_common())
    out["n_repeats"] = cv.repeats
    out["n_outer_fits"] = len(cv.folds)
    out["n_convergence_warnings"] = int(sum(f.n_convergence_warnings for f in cv.folds))
    out["seconds"] = cv.seconds
    out["cpu_seconds_folds"] = float(sum(f.cpu_seconds for f in cv.folds))
    return out


def corrected_t(primary: Any, other: Any) -> tuple[float, float]:
    """Nadeau and Bengio's corrected resampled t-test of the outer folds' score differences
    of two models run on the same splits (its statistic and p-value)."""
    fa = primary.cv.fold_scores()
    fb = other.cv.fold_scores()
    m = min(fa.size, fb.size)
    n_test = float(np.mean([f.test_index.size for f in primary.cv.folds]))
    n_train = float(np.mean([f.n_train for f in primary.cv.folds]))
    return corrected_resampled_ttest(fa[:m] - fb[:m], int(n_train), int(n_test))


def permutation_check(
    task: Task,
    spec: ModelSpec,
    X: pd.DataFrame,
    y: np.ndarray,
    groups: np.ndarray | None,
    settings: StudySettings,
    observed: float,
    progress: Callable[[str], None],
    *,
    label: str,
    coding: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The label-permutation check: the whole nested CV rerun on shuffled labels
    (``validation.permutations`` times, ``permutation_repeats`` repeats each, splits of
    their own), the headline of each (median over repeats) and the p-value of the observed
    one; ``label`` names the headline in the progress lines, ``coding`` as in
    :func:`~radiomix.learn.task_cv.nested_cv_task`. Returns the ``permutation`` block of
    ``metrics.json`` and the rows of ``permutation.csv``."""
    from radiomix.learn.task_cv import nested_cv_task, seed_for

    v = settings.validation
    h = task.headline
    rng = np.random.default_rng(seed_for(v.random_state, 4242))
    scores = []
    cpu = 0.0
    t0 = time.perf_counter()
    for i in range(v.permutations):
        cv = nested_cv_task(
            task,
            spec.build,
            spec.grid,
            X,
            rng.permutation(y),
            groups,
            outer_folds=v.outer_folds,
            inner_folds=v.inner_folds,
            repeats=v.permutation_repeats,
            random_state=v.random_state,
            n_jobs=v.n_jobs,
            label_seed=i,
            scheme=v.scheme,
            families=spec.families,
            coding=coding,
        )
        scores.append(float(np.median(cv.repeat_scores())))
        cpu += sum(f.cpu_seconds for f in cv.folds)
        progress(f"permutation {i + 1}/{v.permutations}: {label} {scores[-1]:.3f}")
    arr = np.asarray(scores)
    summary = {
        "model": spec.name,
        h: float(np.median(arr)),
        f"{h}_mean": float(arr.mean()),
        f"{h}_max": float(arr.max()),
        f"{h}s": arr.tolist(),
        f"observed_{h}": observed,
        "p_value": (1.0 + float((arr >= observed).sum())) / (1.0 + arr.size),
        "n_permutations": int(arr.size),
        "repeats_per_permutation": v.permutation_repeats,
        "seconds": time.perf_counter() - t0,
        "cpu_seconds_folds": cpu,
    }
    return summary, [{"permutation": i, h: s} for i, s in enumerate(scores)]


def check_columns(
    name: str, cols: list[str], spec: ModelSpec, primary: str, say: Callable[[str], None]
) -> str | None:
    """Why a model is skipped (None: it runs): a comparator whose include / exclude patterns
    match no feature column; a DataError for the primary model."""
    if cols:
        return None
    if name == primary:
        raise DataError(
            f"the primary model {name!r} matches no feature column "
            f"(include={list(spec.include)}, exclude={list(spec.exclude)})"
        )
    why = f"no feature column matches include={list(spec.include)} exclude={list(spec.exclude)}"
    say(f"{name}: skipped ({why})")
    return why


def final_summary(
    name: str,
    final: Any,
    headline: str,
    summary: Mapping[str, Any],
    say: Callable[[str], None],
    threshold: float | None = None,
) -> dict[str, Any]:
    """The ``final`` block of a model's summary: the final model's hyper-parameters (its
    threshold, two classes), inner score and features used, and for a model choosing among
    families (``auto``) the family it chose and every family's inner score."""
    out: dict[str, Any] = {"best_params": jsonable(final.best_params)}
    if threshold is not None:
        out["threshold"] = threshold
    out[f"inner_{headline}"] = final.inner_score
    out["n_features_used"] = len(final.selected)
    if final.family:
        out["family"] = final.family
        out[f"family_inner_{headline}"] = final.family_scores
        counts = summary.get("family_counts", {})
        say(
            f"{name}: outer folds chose "
            + ", ".join(f"{k} {n}x" for k, n in counts.items())
            + f"; the final model: {final.family}"
        )
    return out


def fold_head(run: Any, f: Any) -> dict[str, Any]:
    """The first columns of a ``folds.csv`` row: the model, repeat, fold, training size."""
    return {"model": run.spec.name, "repeat": f.repeat, "fold": f.fold, "n_train": f.n_train}


def fold_tail(f: Any, headline: str) -> dict[str, Any]:
    """The last columns of a ``folds.csv`` row: features selected, the chosen
    hyper-parameters and family, convergence warnings, seconds."""
    return {
        "n_selected": len(f.selected),
        "best_params": json.dumps(jsonable(f.best_params), sort_keys=True),
        "family": f.family,
        f"family_inner_{headline}": json.dumps(jsonable(f.family_scores)) if f.family else "",
        "convergence_warnings": f.n_convergence_warnings,
        "seconds": round(f.seconds, 3),
        "cpu_seconds": round(f.cpu_seconds, 3),
    }


def prediction_frames(
    run: Any,
    data: Dataset,
    target: Mapping[str, Any],
    columns: Callable[[int], Mapping[str, Any]],
) -> pd.DataFrame:
    """The rows of ``predictions.csv`` of one model: per repeat every case's ids, group,
    label and ``target`` columns, the model, repeat and fold, then ``columns(repeat)``."""
    base = data.ids.copy()
    if data.groups is not None:
        base["group"] = data.groups
    base["label"] = data.label_values
    for key, col in target.items():
        base[key] = col
    frames = []
    for r in range(run.cv.repeats):
        f = base.copy()
        f["model"] = run.spec.name
        f["repeat"] = r
        f["fold"] = run.cv.fold[r]
        for key, col in columns(r).items():
            f[key] = col
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def write_run_files(
    out: Path,
    result: Any,
    tables: Iterable[tuple[str, pd.DataFrame]],
    config_text: str,
) -> None:
    """Write a run directory: its tables (``predictions.csv``, ``selection.csv``,
    ``folds.csv``, ...), ``config.yaml``, every model's bundle (the primary one as
    ``model.joblib``, the others in ``models/``) and ``metrics.json``."""
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables:
        write_table(frame, out / name)
    atomic_write_text(out / "config.yaml", config_text)
    for name, run in result.runs.items():
        primary = name == result.settings.primary
        run.bundle.save(out / "model.joblib" if primary else out / "models" / f"{name}.joblib")
    atomic_write_text(out / "metrics.json", json.dumps(result.metrics, indent=2) + "\n")


def selection_table(runs: Mapping[str, Any]) -> pd.DataFrame:
    """``selection.csv`` of every model."""
    return pd.DataFrame([row for r in runs.values() for row in selection_rows(r)])


def model_bundle(
    name: str,
    final: Any,
    cols: list[str],
    spec: ModelSpec,
    data: DataSettings,
    *,
    label: dict[str, Any],
    threshold: float,
    threshold_rule: str,
    id_columns: Iterable[str],
    group: str | None,
    extraction: dict[str, Any] | None,
    table_path: Path | None,
    training: Mapping[str, Any],
    task: str,
) -> ModelBundle:
    """The bundle of a model's final fit: its columns' rules (the study's and the model's
    patterns, the site and clinical columns) and the training table's provenance
    (``training``: the cases and what else the task counts)."""
    from radiomix.learn.bundle import ModelBundle, created_now, current_versions

    return ModelBundle(
        name=name,
        pipeline=final.pipeline,
        features=cols,
        label=label,
        threshold=threshold,
        threshold_rule=threshold_rule,
        best_params=final.best_params,
        column_rules={
            "id_columns": list(id_columns),
            "include": list(data.include),
            "exclude": list(data.exclude),
            "model_include": list(spec.include),
            "model_exclude": list(spec.exclude),
            "label": data.label,
            "group": group,
            **site_and_clinical_rules(data, spec),
        },
        extraction_settings=extraction,
        versions=current_versions(),
        training={**table_provenance(table_path), **training, "created": created_now()},
        task=task,
    )


def comparison(
    task: Task, primary: Any, other: Any, level: float
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The primary model's run against another's: per repeat a row of ``comparison.csv``
    (:meth:`Task.comparison_row`; two classes: the paired DeLong test), and the summary (the
    headline's median difference over repeats, what the task adds, the corrected resampled
    t-test over the outer folds)."""
    h = task.headline
    a, b = primary.spec.name, other.spec.name
    rows = [
        {
            "model_a": a,
            "model_b": b,
            "repeat": r,
            **task.comparison_row(primary.cv, other.cv, r, level),
        }
        for r in range(min(primary.cv.repeats, other.cv.repeats))
    ]
    t_stat, t_p = corrected_t(primary, other)
    deltas = np.array([r[f"delta_{h}"] for r in rows])
    summary = {
        "model_a": a,
        "model_b": b,
        f"delta_{h}": float(np.median(deltas)),
        f"delta_{h}_repeats": deltas.tolist(),
        **task.comparison_summary(rows),
        "corrected_t": t_stat,
        "corrected_t_p": t_p,
    }
    return summary, rows


def comparisons(
    runs: Mapping[str, Any], primary: str, task: Task, level: float
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The primary model against every other (:func:`comparison`: the summaries and the
    rows of ``comparison.csv``), the corrected t-test's p-values Holm-adjusted over the
    comparators (``corrected_t_p_holm``)."""
    summaries: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    for name, run in runs.items():
        if name != primary:
            summaries[name], part = comparison(task, runs[primary], run, level)
            rows.extend(part)
    adjusted = holm([c["corrected_t_p"] for c in summaries.values()])
    for c, p_adj in zip(summaries.values(), adjusted, strict=True):
        c["corrected_t_p_holm"] = p_adj
    return summaries, rows


def subset_score(task: Task, cv: Any, idx: np.ndarray) -> float | None:
    """The median over repeats of the task's score of the out-of-fold outputs of the cases
    ``idx`` (a site, a left-out group); None where no repeat gives a finite one (one
    class, no event, too few cases)."""
    scores = []
    for r in range(cv.repeats):
        try:
            scores.append(float(task.score(cv.y[idx], cv.output[r][idx])))
        except (ValueError, ZeroDivisionError, IndexError):  # a part too small to score
            scores.append(math.nan)
    finite = [s for s in scores if math.isfinite(s)]
    return float(np.median(finite)) if finite else None


def table_provenance(table_path: Path | None) -> dict[str, Any]:
    """The training table's path and SHA-256 (None for a table given in memory)."""
    from radiomix.learn.table import file_sha256

    return {
        "table": str(table_path) if table_path else None,
        "table_sha256": file_sha256(table_path) if table_path else None,
    }


def study_provenance(
    settings: StudySettings, extraction: dict[str, Any] | None, seconds: float
) -> dict[str, Any]:
    """The last keys of the ``study`` block of ``metrics.json``: the intervals' settings,
    the seed, the extraction settings' presence, the robustness table, versions, seconds
    and the date."""
    from radiomix.learn.bundle import created_now, current_versions

    v = settings.validation
    return {
        "bootstrap": v.bootstrap,
        "confidence": v.confidence,
        "random_state": v.random_state,
        "extraction_settings": extraction is not None,
        "robustness_table": settings.robustness.icc_table,
        "versions": current_versions(),
        "seconds": seconds,
        "created": created_now(),
    }
