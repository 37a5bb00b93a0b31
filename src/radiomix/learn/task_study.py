"""The one study loop of every task, and its run directory.

:func:`radiomix.learn.study.run_study` reads the settings and the table and hands the study
to :func:`run_task_study`, whatever its task (see :mod:`radiomix.learn.tasks`): the nested
CV of :mod:`radiomix.learn.task_cv` of the primary model and the comparators, their
summaries, the comparisons, the label-permutation check, the final fits and bundles, the
explanations and the run directory. What differs by task comes from the task
(:class:`~radiomix.learn.tasks.Task`: its summary, the columns of ``folds.csv``,
``predictions.csv`` and ``comparison.csv``, each site's row, the ``compare`` block). Two
classes keep their first layout (``Task.run_format`` 1; the files of
:mod:`radiomix.learn.study`'s notes); the other tasks write the same files, with the task's
columns:

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

import dataclasses
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from radiomix._outputs import jsonable, write_table
from radiomix.errors import DataError
from radiomix.learn._study_parts import (
    check_columns,
    comparisons,
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

if TYPE_CHECKING:
    from radiomix.learn.study import StudyColumns

LOGO = "leave-one-group-out"

__all__ = [
    "ModelRun",
    "StudyResult",
    "TaskModelRun",
    "TaskStudyResult",
    "per_group_rows",
    "run_task_study",
    "site_rows",
    "summarise_task_cv",
    "write_explanations",
    "write_run",
]


@dataclass
class ModelRun:
    """Everything computed for one model of a study (``cv``: two classes'
    :class:`~radiomix.learn.validation.CVResult`, the others' :class:`TaskCVResult`)."""

    spec: ModelSpec
    features: list[str]
    cv: TaskCVResult
    summary: dict[str, Any]
    final: TaskFitted
    bundle: ModelBundle


@dataclass
class StudyResult:
    """The outcome of a study (:func:`radiomix.learn.study.run_study`): its settings (the
    group column as given), the prepared data, every model's run, ``metrics.json``, the run
    directory, the task's name and the task."""

    settings: StudySettings
    data: Dataset
    runs: dict[str, ModelRun]
    metrics: dict[str, Any]
    out: Path | None
    task: str = "binary"
    task_spec: Task | None = None


#: other names of a model's run and a study's result (the same classes)
TaskModelRun = ModelRun
TaskStudyResult = StudyResult


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
    """The task's metrics with CIs (:meth:`Task.summarise`), the fold statistics, what the
    task adds from its folds (two classes: the threshold) and what the fits chose."""

    out = task.summarise(
        cv.y,
        cv.output,
        cv.groups if use_groups else None,
        coding,
        n_boot=n_boot,
        level=level,
        random_state=random_state,
        cutoffs=cv.extra.get("cutoff"),
        thresholds=cv.extra.get("threshold"),
    )
    out |= fold_score_summary(cv.fold_scores(), task.headline)
    return out | task.cv_summary(cv) | fit_summary(cv)


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


def site_rows(
    task: Task, cv: TaskCVResult, sites: np.ndarray, names: Callable[[Any], str]
) -> list[dict[str, Any]]:
    """Each site's name, cases and :meth:`Task.site_row` (its score, median over repeats;
    two classes: its positive cases and AUC), by name."""
    rows = []
    for code in pd.unique(sites):
        idx = np.flatnonzero(sites == code)
        rows.append({"site": names(code), "n_cases": int(idx.size), **task.site_row(cv, idx)})
    rows.sort(key=lambda row: str(row["site"]))
    return rows


def _unseen(
    cv: TaskCVResult, sites: np.ndarray, names: Callable[[Any], str], combat: bool
) -> list[dict[str, Any]]:
    """The test sites of each outer fold that its training part lacked (``combat``: those
    its ComBat had not seen, ``TaskFold.unseen``)."""
    out = []
    for f in cv.folds:
        if combat:
            new = list(f.unseen)
        else:
            train = np.ones(sites.size, dtype=bool)
            train[f.test_index] = False
            new = sorted(set(sites[f.test_index].tolist()) - set(sites[train].tolist()))
        if new:
            out.append({"repeat": f.repeat, "fold": f.fold, "sites": [names(u) for u in new]})
    return out


def _by_site_and_group(
    task: Task,
    cv: TaskCVResult,
    coding: dict[str, Any],
    data: Dataset,
    columns: StudyColumns | None,
    logo: bool,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A model's ``per_group`` (leave-one-group-out), ``per_site`` and ``unseen_sites``
    (harmonised): the keys before its ``final`` block and those after it (``run_format``)."""
    site, name = (columns.site, columns.site_name) if columns is not None else (None, str)
    if task.run_format == 1:  # per_site by site, else by left-out group; before final
        if site is not None:
            codes = data.X[site].to_numpy()
            rows = site_rows(task, cv, codes, name)
        elif logo:
            assert data.groups is not None
            codes = data.groups
            rows = site_rows(task, cv, codes, str)
        else:
            return {}, {}
        return {"per_site": rows, "unseen_sites": _unseen(cv, codes, name, combat=True)}, {}
    before: dict[str, Any] = {}
    if logo:
        assert data.groups is not None
        before["per_group"] = per_group_rows(task, cv, coding, data.groups)
    if site is None:
        return before, {}
    sites = data.X[site].to_numpy()
    after = {
        "per_site": site_rows(task, cv, sites, name),
        "unseen_sites": _unseen(cv, sites, name, combat=False),
    }
    return before, after


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
    columns: StudyColumns | None = None,
) -> StudyResult:
    """The study of :func:`radiomix.learn.study.run_study` (``settings.task``; None: two
    classes) on a table whose site and clinical columns are coded (``columns``:
    :func:`radiomix.learn.study.study_columns`; ``category_names``: the texts of the
    categorical clinical columns, which name their encoded columns; ``group_given``: the
    group column as given, when ``data.group`` is its internal copy, the site as the
    group)."""

    task = get_task(settings.task or "binary").for_study(settings)
    d, v = settings.data, settings.validation
    assert d.label is not None
    group_name = d.group if group_given is None else group_given
    given = settings
    if d.group != group_name:  # the settings to write: the group column as given
        given = dataclasses.replace(settings, data=dataclasses.replace(d, group=group_name))
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
    say(
        f"{task.describe(data.y, coding, d.label)}, {len(data.features)} features"
        + (f", {np.unique(data.groups).size} groups" if data.groups is not None else "")
    )
    if logo:
        assert data.groups is not None
        say(
            f"leave-one-group-out: each of {np.unique(data.groups).size} groups of "
            f"{group_name!r} in turn is the test set (one repeat)"
        )
    first = task.run_format == 1
    # what the intervals resample: the groups, but under leave-one-group-out the cases (the
    # groups are a few sites, the fixed test sets: a cluster bootstrap of 3 to 10 sites says
    # little), save in the first layout
    boot_groups = data.groups if first or not logo else None
    training: dict[str, Any] = {"n_cases": int(data.y.size), **task.case_counts(data.y)}
    if first and columns is not None and columns.site is not None:
        training["sites"] = dict(columns.site_counts)  # the bundles' training counts
    h = task.headline
    runs: dict[str, ModelRun] = {}
    skipped: dict[str, str] = {}
    for name in settings.model_names:
        spec = resolve_model(settings, name, category_names=category_names)
        cols = model_columns(data, spec)
        why = check_columns(name, cols, spec, settings.primary, say)
        if why is not None:
            skipped[name] = why
            continue
        outer = "leave-one-group-out" if logo else f"{v.repeats} x {v.outer_folds} outer"
        say(f"{name}: nested CV, {outer} x {v.inner_folds} inner folds, {len(cols)} columns")
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
        cv = task.view(cv)
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
            use_groups=boot_groups is not None,
        )
        before_final, after_final = _by_site_and_group(task, cv, coding, data, columns, logo)
        summary |= before_final
        if "per_group" in summary:
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
        threshold = final.threshold if task.threshold_rule != "none" else None
        summary["final"] = final_summary(name, final, h, summary, say, threshold)
        cut = task.cutoff(final.pipeline, X)
        if math.isfinite(cut):
            summary["final"]["risk_cutoff"] = cut
        summary |= after_final
        bundle = model_bundle(
            name,
            final,
            cols,
            spec,
            d,
            label=jsonable(coding if not math.isfinite(cut) else {**coding, "risk_cutoff": cut}),
            threshold=final.threshold,
            threshold_rule=task.threshold_rule,
            id_columns=id_columns,
            group=group_name,
            extraction=extraction,
            table_path=table_path,
            training=training,
            task=task.name,
        )
        runs[name] = ModelRun(spec, cols, cv, summary, final, bundle)

    primary = runs[settings.primary]
    explanations, explain_tables = _explanations(
        primary, data.X, data.ids, settings, say, score=task.headline_label
    )
    comparison, comparison_rows = comparisons(runs, settings.primary, task, v.confidence)
    compare: dict[str, Any] | None = None
    if settings.compare:
        compare = task.compare(
            runs,
            data.y,
            boot_groups,
            coding,
            say,
            level=v.confidence,
            n_boot=min(v.bootstrap, 1000),
            random_state=seed_for(v.random_state, 77),
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
            coding={} if task.check_permuted else None,
        )
    site_and_clinical = columns.to_dict(settings) if columns is not None else {}
    study: dict[str, Any] = {
        "name": settings.name,
        **({} if first else {"task": task.name}),
        "validation_scheme": v.scheme,
        **(site_and_clinical if first else {"headline": h}),
        **table_provenance(table_path),
        "n_rows_dropped_missing_label": data.n_dropped + reading.n_dropped,
        "n_infinite_values": data.n_infinite,
        "non_numeric_columns": data.non_numeric,
        "label": coding,
        "group": group_name,
        "n_groups": int(np.unique(data.groups).size) if data.groups is not None else None,
        "n_cases": int(data.y.size),
        **task.case_counts(data.y),
        "n_features": len(data.features),
        "outer_folds": v.outer_folds,
        "inner_folds": v.inner_folds,
        "repeats": repeats,
        **({"threshold_rule": task.threshold_rule} if first else {}),
        **study_provenance(settings, extraction, time.perf_counter() - t_start),
        **({} if first else site_and_clinical),
    }
    metrics: dict[str, Any] = {
        **({} if first else {"task": task.name}),
        "primary": primary.summary,
        "models": {name: run.summary for name, run in runs.items()},
        "permutation": permutation,
        "comparison": comparison,
        "compare": compare,
        "skipped": skipped,
        "explanations": explanations,
        "study": study,
    }
    metrics = jsonable(metrics)
    result = StudyResult(given, data, runs, metrics, out_dir, task.name, task)
    if out_dir is not None:
        write_run(result, out_dir, comparison_rows, perm_rows)
        write_explanations(out_dir, explain_tables)
        say(f"run written to {out_dir}")
    return result


def _explanations(
    run: ModelRun,
    X_all: pd.DataFrame,
    ids: pd.DataFrame | None,
    settings: StudySettings,
    say: Callable[[str], None],
    score: str = "ROC AUC",
) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """Permutation importance of the primary model's outer folds and SHAP values of its
    final fit (``settings.explain``): the ``explanations`` block of ``metrics.json`` and
    the tables :func:`write_explanations` writes. A failing SHAP explainer is reported, not
    raised: the study's numbers do not depend on it."""
    from radiomix.learn.importance import aggregate, explain_final, importance_info

    ex = settings.explain
    info: dict[str, Any] = {"model": run.spec.name}
    tables: dict[str, pd.DataFrame] = {}
    if ex.importance:
        tables["importance.csv"] = aggregate(
            run.cv.folds,
            run.features,
            model=run.spec.name,
            categorical=settings.data.clinical_categorical,
        )
        info["permutation_importance"] = importance_info(
            run.cv.folds, score, ex.importance_repeats, ex.importance_max_features
        )
        top = tables["importance.csv"].head(3)
        say(
            f"{run.spec.name}: permutation importance on the outer folds in "
            f"{info['permutation_importance']['seconds']:.1f} s (summed over the folds); top: "
            + ", ".join(f"{r.feature} {r.mean_importance:.3f}" for r in top.itertuples())
        )
    if ex.shap:
        X = X_all[run.features]
        try:
            shap_info, summary, values = explain_final(
                run.bundle.pipeline,
                X,
                ids,
                max_cases=ex.shap_cases,
                max_background=ex.shap_background,
                random_state=settings.validation.random_state,
                class_names=(run.bundle.label or {}).get("classes"),
            )
        except Exception as exc:  # noqa: BLE001 - an explainer failing must not lose the study
            info["shap"] = {"error": f"{type(exc).__name__}: {exc}"}
            say(f"{run.spec.name}: no SHAP values ({exc})")
        else:
            summary.insert(0, "model", run.spec.name)
            values.insert(0, "model", run.spec.name)
            tables["shap.csv"] = summary
            tables["shap_values.csv"] = values
            info["shap"] = shap_info
            say(
                f"{run.spec.name}: SHAP values of the final model ({shap_info['scale']}, "
                f"{shap_info['n_cases']} cases) in {shap_info['seconds']:.1f} s"
            )
    return info, tables


def write_explanations(out: Path, tables: Mapping[str, pd.DataFrame]) -> None:
    """Write the tables of :func:`_explanations` into a run directory."""
    for name, frame in tables.items():
        write_table(frame, out / name)


def _prediction_rows(task: Task, run: ModelRun, data: Dataset) -> pd.DataFrame:
    cv = run.cv
    coding = data.coding
    cutoffs = cv.extra.get("cutoff")
    thresholds = cv.extra.get("threshold")

    def columns(r: int) -> dict[str, Any]:
        out = cv.output[r]
        own = task.prediction_columns(
            out,
            coding,
            None if cutoffs is None else cutoffs[r],
            None if thresholds is None else thresholds[r],
        )
        if own is not None:
            return own
        if out.ndim == 2:
            cols = {f"probability_{c}": out[:, k] for k, c in enumerate(coding["classes"])}
            pred = np.argmax(out, axis=1)
            return {**cols, "predicted": pred, "predicted_label": task.decode(coding, pred)}
        return {"predicted": out, "residual": cv.y - out}

    return prediction_frames(run, data, task.target_columns(cv.y), columns)


def _fold_rows(task: Task, run: ModelRun) -> list[dict[str, Any]]:
    return [
        {**fold_head(run, f), **task.fold_columns(run.cv, f, s), **fold_tail(f, task.headline)}
        for f, s in zip(run.cv.folds, run.cv.fold_scores(), strict=True)
    ]


def write_run(
    result: StudyResult,
    out: Path,
    comparison_rows: list[dict[str, Any]],
    permutation_rows: list[dict[str, Any]],
) -> None:
    """Write the run directory of a study (see the module notes)."""
    task = result.task_spec or get_task(result.task)
    runs = result.runs
    preds = [_prediction_rows(task, r, result.data) for r in runs.values()]
    folds = [row for r in runs.values() for row in _fold_rows(task, r)]
    comparison_columns = ["model_a", "model_b", "repeat", *task.comparison_columns()]
    tables = [
        ("predictions.csv", pd.concat(preds, ignore_index=True)),
        ("selection.csv", selection_table(runs)),
        ("folds.csv", pd.DataFrame(folds)),
        ("comparison.csv", pd.DataFrame(comparison_rows, columns=comparison_columns)),
        ("permutation.csv", pd.DataFrame(permutation_rows, columns=["permutation", task.headline])),
    ]
    compare = result.metrics.get("compare")
    table = task.compare_table(compare) if compare else None
    if table is not None:
        tables.append(("compare.csv", table))
    write_run_files(out, result, tables, study_to_yaml(result.settings))
