"""A study of several classes or of a numeric outcome, and its run directory.

:func:`radiomix.learn.study.run_study` hands a study here when its task is not ``binary``
(see :mod:`radiomix.learn.tasks`). Everything is fitted inside the training folds as for two
classes, by :mod:`radiomix.learn.task_cv`; the run directory has the same files, with the
task's columns:

==================  ============================================================================
``metrics.json``    ``task``, ``primary``, ``models``, ``permutation``, ``comparison``, ``skipped``,
                    ``study`` (as for two classes; the metrics are the task's:
                    :mod:`radiomix.learn.task_metrics`); for ``auto`` a model's
                    ``family_counts`` and ``final.family`` / ``final.family_inner_<headline>``
``predictions.csv`` out-of-fold output of every case, per model and repeat: several classes
                    ``probability_<class>`` per class, ``predicted`` (class index) and
                    ``predicted_label``; regression ``predicted`` and ``residual``
``selection.csv``   as for two classes
``folds.csv``       per model, repeat and outer fold: sizes, chosen hyper-parameters, inner
                    score, test score (``test_<headline>``); ``family`` (the family a model
                    choosing among families, ``auto``, chose) and ``family_inner_<headline>``
                    (every family's best mean inner score, JSON), empty for other models
``comparison.csv``  primary vs comparator, the headline per repeat and its difference
``permutation.csv`` the headline of every label permutation
``importance.csv``  the primary model's permutation importance on the outer test folds (drop of
                    the headline score), ``shap.csv`` / ``shap_values.csv`` the SHAP values of
                    its final model, as for two classes (:mod:`radiomix.learn.importance`);
                    several classes: per class (a ``class`` column; ``shap.csv`` adds
                    ``mean_abs_shap_all_classes`` and ``rank_all_classes``, the features
                    ranked by their mean |SHAP| summed over the classes)
``config.yaml``     the resolved settings (with ``task``)
``model.joblib``    the final primary model (bundle format 2, with ``task``); ``models/``
==================  ============================================================================

With ``validation.scheme: leave-one-group-out`` (``--validation leave-one-group-out``, needs
``--group``) each group (a site) in turn is the test set, one repeat; every model's summary
gains ``per_group``: each group's cases, its headline (macro AUC, R², Harrell's C) and a
``note`` where the group cannot be scored, or only in part (one class, no event, too few
cases); ``folds.csv`` names each fold's ``test_group``. The intervals then resample cases, not
groups (a cluster bootstrap of a few sites says little). ComBat (``--harmonise``) stays the
first step of every pipeline, fitted on the training groups only.

``--compare clinical,radiomics,combined`` of a survival study adds ``compare`` to
``metrics.json`` and ``compare.csv``: per pair, Harrell's C of both models (pooled
out-of-fold risk scores, median over repeats), their difference and its paired bootstrap
interval over cases, and the Kaplan-Meier weighted continuous NRI at the middle horizon with
its interval from the same resamples (:func:`radiomix.learn.compare.survival_compare_block`).

Comparisons with the comparators use the median difference of the headline over repeats
and the Nadeau-Bengio corrected resampled t-test over the outer folds (Holm-adjusted); the
permutation check reruns the whole nested CV on shuffled labels (shuffled outcomes for a
regression): the median null macro AUC must be about 0.5, the null R² at most about 0.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiomix._outputs import jsonable
from radiomix.errors import DataError
from radiomix.learn._study_parts import (
    check_columns,
    comparisons,
    corrected_t,
    final_summary,
    fit_summary,
    fold_head,
    fold_score_summary,
    fold_tail,
    model_bundle,
    model_columns,
    permutation_check,
    prediction_frames,
    selection_table,
    study_provenance,
    subset_score,
    table_provenance,
    write_run_files,
)
from radiomix.learn.bundle import ModelBundle
from radiomix.learn.config import StudySettings, resolve_model, study_to_yaml
from radiomix.learn.models import ModelSpec
from radiomix.learn.table import Dataset, prepare
from radiomix.learn.task_cv import (
    TaskCVResult,
    TaskFitted,
    fit_final_task,
    nested_cv_task,
    seed_for,
)
from radiomix.learn.tasks import Task, get_task

LOGO = "leave-one-group-out"

__all__ = [
    "TaskModelRun",
    "TaskStudyResult",
    "per_group_rows",
    "run_task_study",
    "summarise_task_cv",
]


@dataclass
class TaskModelRun:
    """Everything computed for one model of a task study."""

    spec: ModelSpec
    features: list[str]
    cv: TaskCVResult
    summary: dict[str, Any]
    final: TaskFitted
    bundle: ModelBundle


@dataclass
class TaskStudyResult:
    """The outcome of a task study (the fields of :class:`~radiomix.learn.study.StudyResult`)."""

    settings: StudySettings
    data: Dataset
    runs: dict[str, TaskModelRun]
    metrics: dict[str, Any]
    out: Path | None
    task: str = ""
    task_spec: Task | None = None


def summarise_task_cv(
    task: Task,
    cv: TaskCVResult,
    coding: dict[str, Any],
    *,
    n_boot: int,
    level: float,
    random_state: int,
    use_groups: bool,
) -> dict[str, Any]:
    """The task's metrics with CIs, plus the fold statistics (as for two classes)."""

    out = task.summarise(
        cv.y,
        cv.output,
        cv.groups if use_groups else None,
        coding,
        n_boot=n_boot,
        level=level,
        random_state=random_state,
        cutoffs=cv.extra.get("cutoff"),
    )
    return out | fold_score_summary(cv.fold_scores(), task.headline) | fit_summary(cv)


def per_group_rows(
    task: Task, cv: TaskCVResult, coding: dict[str, Any], groups: np.ndarray
) -> list[dict[str, Any]]:
    """The headline of each group's out-of-fold outputs (median over repeats), its cases,
    and a ``note`` where the group cannot be scored or only in part (one class, no event,
    too few cases): under leave-one-group-out, how a model does on a site it never saw."""
    h = task.headline
    g = np.asarray(groups)
    rows = []
    for u in np.unique(g):
        idx = np.flatnonzero(g == u)
        yg = cv.y[idx]
        note = task.group_note(yg, coding)
        value = subset_score(task, cv, idx)
        if value is None and note is None:
            note = f"no {task.headline_label} could be computed"
        row: dict[str, Any] = {"group": str(u), "n_cases": int(idx.size)}
        if "classes" in coding:
            row["class_counts"] = {
                str(c): int((yg == k).sum()) for k, c in enumerate(coding["classes"])
            }
        elif "event" in coding:
            row["n_events"] = int(np.asarray(yg["event"], dtype=bool).sum())
        else:
            row["outcome_mean"] = float(np.mean(yg))
            errors = [float(np.mean(yg - cv.output[r][idx])) for r in range(cv.repeats)]
            row["mean_error"] = float(np.median(errors))
        row[h] = value
        row["note"] = note
        rows.append(row)
    return rows


def _comparison(
    task: Task, primary: TaskModelRun, other: TaskModelRun
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    h = task.headline
    a = primary.cv.repeat_scores()
    b = other.cv.repeat_scores()
    rows = [
        {
            "model_a": primary.spec.name,
            "model_b": other.spec.name,
            "repeat": r,
            f"{h}_a": float(a[r]),
            f"{h}_b": float(b[r]),
            f"delta_{h}": float(a[r] - b[r]),
        }
        for r in range(min(a.size, b.size))
    ]
    t_stat, t_p = corrected_t(primary, other)
    deltas = np.array([r[f"delta_{h}"] for r in rows])
    summary = {
        "model_a": primary.spec.name,
        "model_b": other.spec.name,
        f"delta_{h}": float(np.median(deltas)),
        f"delta_{h}_repeats": deltas.tolist(),
        "corrected_t": t_stat,
        "corrected_t_p": t_p,
    }
    return summary, rows


def _importance_settings(settings: StudySettings, name: str) -> dict[str, int] | None:
    """The permutation importance of the primary model's outer folds (``explain``)."""
    ex = settings.explain
    if not ex.importance or name != settings.primary:
        return None
    return {"n_repeats": ex.importance_repeats, "max_features": ex.importance_max_features}


def run_task_study(
    settings: StudySettings,
    frame: pd.DataFrame,
    *,
    table_path: Path | None,
    extraction: dict[str, Any] | None,
    out_dir: Path | None,
    say: Callable[[str], None],
    t_start: float,
    category_names: Mapping[str, list[str]] | None = None,
    group_given: str | None = None,
) -> TaskStudyResult:
    """The study of :func:`radiomix.learn.study.run_study` for a task other than binary
    (``category_names``: the texts of the categorical clinical columns, which name their
    encoded columns; ``group_given``: the group column as given, when ``data.group`` is
    its internal copy, the site as the group)."""

    assert settings.task is not None
    task = get_task(settings.task)
    d, v = settings.data, settings.validation
    assert d.label is not None
    group_name = d.group if group_given is None else group_given
    reading = task.reader(frame, settings)
    id_columns = (*d.id_columns, *reading.not_features)
    data = prepare(
        reading.frame,
        reading.label,
        positive=d.positive,
        group=d.group,
        id_columns=id_columns,
        include=d.include,
        exclude=d.exclude,
        encode=reading.encode,
    )
    coding: dict[str, Any] = data.coding
    task = task.configure(coding)
    groups_all = data.groups if data.groups is not None else np.arange(data.y.size)
    logo = v.scheme == LOGO
    repeats = 1 if logo else v.repeats
    inner_final = v.inner_folds
    if logo:
        if data.groups is None:
            raise DataError("leave-one-group-out needs a group column (--group COLUMN)")
        task.check_logo(data.y, data.groups, v.inner_folds, coding)
        inner_final = min(v.inner_folds, int(np.unique(data.groups).size))
    else:
        task.check_folds(data.y, groups_all, v.outer_folds, v.inner_folds, coding)
    if "classes" in coding:
        what = f"{len(coding['classes'])} classes"
    elif "event" in coding:
        what = f"time {coding['time']!r}, event {coding['event']!r} ({coding['n_events']} events)"
    else:
        what = f"outcome {d.label!r}"
    say(
        f"{task.name}: {len(data.y)} cases, {what}, {len(data.features)} features"
        + (f", {np.unique(data.groups).size} groups" if data.groups is not None else "")
    )
    if logo:
        assert data.groups is not None
        say(
            f"leave-one-group-out: each of {np.unique(data.groups).size} groups of "
            f"{group_name!r} in turn is the test set (one repeat)"
        )
    h = task.headline
    runs: dict[str, TaskModelRun] = {}
    skipped: dict[str, str] = {}
    for name in settings.model_names:
        spec = resolve_model(settings, name, category_names=category_names)
        cols = model_columns(data, spec)
        why = check_columns(name, cols, spec, settings.primary, say)
        if why is not None:
            skipped[name] = why
            continue
        outer = "leave-one-group-out" if logo else f"{v.repeats} x {v.outer_folds} outer"
        say(f"{name}: nested CV, {outer} x {v.inner_folds} inner folds, {len(cols)} features")
        X = data.X[cols]
        cv = nested_cv_task(
            task,
            spec.build,
            spec.grid,
            X,
            data.y,
            data.groups,
            outer_folds=v.outer_folds,
            inner_folds=v.inner_folds,
            repeats=repeats,
            random_state=v.random_state,
            n_jobs=v.n_jobs,
            scheme=v.scheme,
            importance=_importance_settings(settings, name),
            families=spec.families,
        )
        summary: dict[str, Any] = {
            "model": name,
            "description": spec.description,
            "n_features": len(cols),
        }
        summary |= summarise_task_cv(
            task,
            cv,
            coding,
            n_boot=v.bootstrap,
            level=v.confidence,
            random_state=seed_for(v.random_state, 99),
            # leave-one-group-out: the groups are a few sites, the fixed test sets; the
            # intervals resample cases (a cluster bootstrap of 3 to 10 sites says little)
            use_groups=data.groups is not None and not logo,
        )
        if logo:
            assert data.groups is not None
            summary["per_group"] = per_group_rows(task, cv, coding, data.groups)
            say(
                f"{name}: per group "
                + ", ".join(
                    f"{r['group']} "
                    + ("-" if r[h] is None else f"{r[h]:.3f}")
                    + (f" ({r['note']})" if r["note"] else "")
                    for r in summary["per_group"]
                )
            )
        ci = summary[f"{h}_ci"]
        say(
            f"{name}: {task.headline_label} {summary[h]:.3f} [{ci[0]:.3f}, {ci[1]:.3f}] in "
            f"{cv.seconds:.0f} s"
        )
        final = fit_final_task(
            task,
            spec.build,
            spec.grid,
            X,
            data.y,
            data.groups,
            inner_folds=inner_final,
            random_state=v.random_state,
            families=spec.families,
        )
        summary["final"] = final_summary(name, final, h, summary, say)
        cut = task.cutoff(final.pipeline, X)
        if math.isfinite(cut):
            summary["final"]["risk_cutoff"] = cut
        bundle = model_bundle(
            name,
            final,
            cols,
            spec,
            d,
            label=jsonable(coding if not math.isfinite(cut) else {**coding, "risk_cutoff": cut}),
            threshold=math.nan,
            threshold_rule="none",
            id_columns=id_columns,
            group=group_name,
            extraction=extraction,
            table_path=table_path,
            training={"n_cases": int(data.y.size)},
            task=task.name,
        )
        runs[name] = TaskModelRun(spec, cols, cv, summary, final, bundle)

    primary = runs[settings.primary]
    from radiomix.learn.study import _explanations, write_explanations

    explanations, explain_tables = _explanations(
        primary, data.X, data.ids, settings, say, score=task.headline_label
    )
    comparison, comparison_rows = comparisons(
        runs, settings.primary, lambda a, b: _comparison(task, a, b)
    )
    compare: dict[str, Any] | None = None
    if settings.compare and task.name == "survival":
        from radiomix.learn.compare import survival_compare_block

        compare = survival_compare_block(
            runs,
            data.y,
            None if logo else data.groups,
            level=v.confidence,
            n_boot=min(v.bootstrap, 1000),
            random_state=seed_for(v.random_state, 77),
            horizons=coding.get("horizons", ()),
        )
        for key, c in compare.items():
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
    permutation: dict[str, Any] | None = None
    perm_rows: list[dict[str, Any]] = []
    if v.permutations > 0:
        say(f"{settings.primary}: label-permutation check, {v.permutations} permutations")
        permutation, perm_rows = permutation_check(
            task,
            primary.spec,
            data.X[primary.features],
            data.y,
            data.groups,
            settings,
            primary.summary[h],
            say,
            label=task.headline_label,
        )
    metrics: dict[str, Any] = {
        "task": task.name,
        "primary": primary.summary,
        "models": {name: run.summary for name, run in runs.items()},
        "permutation": permutation,
        "comparison": comparison,
        "compare": compare,
        "skipped": skipped,
        "explanations": explanations,
        "study": {
            "name": settings.name,
            "task": task.name,
            "validation_scheme": v.scheme,
            "headline": h,
            **table_provenance(table_path),
            "n_rows_dropped_missing_label": data.n_dropped + reading.n_dropped,
            "n_infinite_values": data.n_infinite,
            "non_numeric_columns": data.non_numeric,
            "label": coding,
            "group": group_name,
            "n_groups": int(np.unique(data.groups).size) if data.groups is not None else None,
            "n_cases": int(data.y.size),
            "n_features": len(data.features),
            "outer_folds": v.outer_folds,
            "inner_folds": v.inner_folds,
            "repeats": repeats,
            **study_provenance(settings, extraction, time.perf_counter() - t_start),
        },
    }
    metrics = jsonable(metrics)
    result = TaskStudyResult(settings, data, runs, metrics, out_dir, task.name, task)
    if out_dir is not None:
        write_task_run(result, out_dir, comparison_rows, perm_rows)
        write_explanations(out_dir, explain_tables)
        say(f"run written to {out_dir}")
    return result


def _prediction_rows(task: Task, run: TaskModelRun, data: Dataset) -> pd.DataFrame:
    cv = run.cv
    coding = data.coding
    cutoffs = cv.extra.get("cutoff")

    def columns(r: int) -> dict[str, Any]:
        out = cv.output[r]
        own = task.prediction_columns(out, coding, None if cutoffs is None else cutoffs[r])
        if own is not None:
            return own
        if out.ndim == 2:
            cols = {f"probability_{c}": out[:, k] for k, c in enumerate(coding["classes"])}
            pred = np.argmax(out, axis=1)
            return {**cols, "predicted": pred, "predicted_label": task.decode(coding, pred)}
        return {"predicted": out, "residual": cv.y - out}

    return prediction_frames(run, data, task.target_columns(cv.y), columns)


def _fold_rows(task: Task, run: TaskModelRun) -> list[dict[str, Any]]:
    h = task.headline
    logo = run.cv.extra.get("scheme") == LOGO
    rows = []
    for f, s in zip(run.cv.folds, run.cv.fold_scores(), strict=True):
        test_groups = run.cv.groups[f.test_index]
        rows.append(
            {
                **fold_head(run, f),
                "n_test": int(f.test_index.size),
                "n_groups_test": int(np.unique(test_groups).size),
                **({"test_group": str(test_groups[0])} if logo else {}),
                f"inner_{h}": f.inner_score,
                f"test_{h}": s,
                **fold_tail(f, h),
            }
        )
    return rows


def write_task_run(
    result: TaskStudyResult,
    out: Path,
    comparison_rows: list[dict[str, Any]],
    permutation_rows: list[dict[str, Any]],
) -> None:
    """Write the run directory of a task study (see the module notes)."""
    task = result.task_spec or get_task(result.task)
    h = task.headline
    runs = result.runs
    preds = [_prediction_rows(task, r, result.data) for r in runs.values()]
    comp_cols = ["model_a", "model_b", "repeat", f"{h}_a", f"{h}_b", f"delta_{h}"]
    tables = [
        ("predictions.csv", pd.concat(preds, ignore_index=True)),
        ("selection.csv", selection_table(runs)),
        ("folds.csv", pd.DataFrame([row for r in runs.values() for row in _fold_rows(task, r)])),
        ("comparison.csv", pd.DataFrame(comparison_rows, columns=comp_cols)),
        ("permutation.csv", pd.DataFrame(permutation_rows, columns=["permutation", h])),
    ]
    compare = result.metrics.get("compare")
    if compare:
        from radiomix.learn.compare import SURVIVAL_COMPARE_COLUMNS

        rows = [{k: c.get(k) for k in SURVIVAL_COMPARE_COLUMNS} for c in compare.values()]
        for row, c in zip(rows, compare.values(), strict=True):
            row["delta_c_ci_low"], row["delta_c_ci_high"] = c["delta_c_ci"]
            row["nri_ci_low"], row["nri_ci_high"] = c.get("nri_ci", (None, None))
        tables.append(("compare.csv", pd.DataFrame(rows)))
    write_run_files(out, result, tables, study_to_yaml(result.settings))
