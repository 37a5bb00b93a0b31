"""External validation: apply the frozen models of a run to another cohort.

Nothing is refitted: the final pipelines, their thresholds and the label mapping come from
the model bundles of the run directory. The metrics are those of
:func:`radiomix.learn.study.summarise_predictions` (bootstrap CIs, cluster bootstrap with a
group column, DeLong CI), and ``permutation`` holds a label-permutation test of the external
AUC (is it better than chance?): the AUC of the frozen predictions against randomly permuted
labels, 2,000 times.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiomix._outputs import atomic_write_text, jsonable, write_table
from radiomix.errors import ConfigError, DataError, ModelBundleError
from radiomix.learn.bundle import ModelBundle, created_now, current_versions
from radiomix.learn.metrics import roc_auc
from radiomix.learn.study import summarise_predictions
from radiomix.learn.table import file_sha256, read_table

__all__ = ["evaluate_external", "load_bundles", "permutation_auc"]


def load_bundles(run_dir: str | Path) -> tuple[str, dict[str, ModelBundle]]:
    """The bundles of a run directory: (primary name, {name: bundle}), primary first."""
    run = Path(run_dir)
    main = run / "model.joblib"
    if not main.is_file():
        raise ModelBundleError(
            f"{run} holds no model bundle (model.joblib); give the run directory of radiomix train"
        )
    primary = ModelBundle.load(main)
    bundles = {primary.name: primary}
    for path in sorted((run / "models").glob("*.joblib")):
        b = ModelBundle.load(path)
        bundles[b.name] = b
    return primary.name, bundles


def permutation_auc(
    y: np.ndarray, p: np.ndarray, n_permutations: int = 2000, random_state: int = 0
) -> tuple[np.ndarray, float]:
    """Null AUCs of fixed scores against permuted labels, and the one-sided p-value
    :math:`(1 + \\#\\{\\mathrm{AUC}_\\pi \\ge \\mathrm{AUC}\\}) / (1 + B)`."""
    from scipy import stats

    rng = np.random.default_rng(random_state)
    ranks = stats.rankdata(p)
    n1 = int(y.sum())
    n0 = y.size - n1
    Y = rng.permuted(np.tile(y.astype(bool), (n_permutations, 1)), axis=1)
    null = ((Y * ranks).sum(axis=1) - n1 * (n1 + 1) / 2.0) / (n1 * n0)
    observed = roc_auc(y, p)
    p_value = (1.0 + float((null >= observed - 1e-12).sum())) / (1.0 + n_permutations)
    return null, p_value


def _encode(values: pd.Series, bundle: ModelBundle, positive: Any) -> np.ndarray:
    label = bundle.label
    text = values.astype(str)
    uniq = sorted(set(text))
    if positive is not None:
        pos = str(positive)
        if pos not in uniq:
            raise DataError(f"positive class {pos!r} is not a value of the label column ({uniq})")
        if len(uniq) > 2:
            raise DataError(f"the external label column has {len(uniq)} values: {uniq}")
        return (text == pos).to_numpy().astype(np.int8)
    known = {str(label.get("positive")), str(label.get("negative"))}
    unknown = [u for u in uniq if u not in known]
    if unknown:
        raise DataError(
            f"external label values {unknown} are not the training values "
            f"{sorted(known)}; say which value is positive (--positive VALUE)"
        )
    return (text == str(label.get("positive"))).to_numpy().astype(np.int8)


def evaluate_external(
    run_dir: str | Path,
    table: str | Path | pd.DataFrame,
    label: str,
    *,
    positive: Any = None,
    group: str | None = None,
    out: str | Path | None = None,
    allow_extra: bool = False,
    n_boot: int | None = None,
    n_permutations: int = 2000,
    random_state: int = 0,
    event: str | None = None,
) -> dict[str, Any]:
    """Apply a run's frozen models to an external feature table and compute the metrics.

    Parameters
    ----------
    run_dir : path
        Run directory of ``radiomix train``.
    table : path or DataFrame
        External feature table with the same feature columns.
    label : str
        Label column; its values must be the training values unless ``positive`` is given.
    positive : optional
        The positive value when the external labels are spelled differently.
    group : str, optional
        Group column for the cluster bootstrap.
    out : path, optional
        Folder to write ``metrics.json`` and ``predictions.csv`` to (default:
        ``RUN_DIR/external-<table name>``; not written for a DataFrame without ``out``).
    allow_extra : bool
        Accept feature columns the models were not trained on (they are ignored).
    n_boot : int, optional
        Bootstrap resamples (default: the run's setting).
    event : str, optional
        Survival: the event column (default: the training one's name); ``label`` is then
        the time column.

    Returns
    -------
    dict
        ``primary``, ``models``, ``permutation`` and ``study`` like the run's metrics.json.
    """
    t0 = time.perf_counter()
    run = Path(run_dir)
    primary, bundles = load_bundles(run)
    table_path: Path | None = None
    if isinstance(table, pd.DataFrame):
        frame = table
    else:
        table_path = Path(table)
        frame = read_table(table_path)
    if label not in frame.columns:
        raise DataError(f"label column {label!r} is not in the external table")
    if group is not None and group not in frame.columns:
        raise DataError(f"group column {group!r} is not in the external table")
    keep = frame[label].notna().to_numpy()
    frame = frame.loc[keep].reset_index(drop=True)
    if bundles[primary].task != "binary":
        return _evaluate_task(
            run,
            bundles,
            primary,
            frame,
            table_path,
            label,
            positive=positive,
            group=group,
            out=out,
            allow_extra=allow_extra,
            n_boot=n_boot,
            n_permutations=n_permutations,
            random_state=random_state,
            n_dropped=int((~keep).sum()),
            t0=t0,
            event=event,
        )
    if event is not None:
        raise ConfigError("--event applies to survival; this run's task is binary")
    y = _encode(frame[label], bundles[primary], positive)
    if y.sum() == 0 or y.sum() == y.size:
        raise DataError(
            "the external table holds one class only; AUC and sensitivity/specificity need both"
        )
    groups = frame[group].astype(str).to_numpy() if group is not None else None
    features = frame.drop(columns=[label])
    run_metrics: dict[str, Any] = {}
    if (run / "metrics.json").is_file():
        run_metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    boot = (
        n_boot if n_boot is not None else int(run_metrics.get("study", {}).get("bootstrap", 2000))
    )
    level = float(run_metrics.get("study", {}).get("confidence", 0.95))
    models: dict[str, Any] = {}
    frames = []
    perm: dict[str, Any] | None = None
    for name, bundle in bundles.items():
        pred = bundle.predict_table(features, allow_extra=allow_extra)
        prob = pred["probability"].to_numpy()
        summary = summarise_predictions(
            y,
            prob,
            pred["predicted"].to_numpy(),
            groups,
            n_boot=boot,
            level=level,
            random_state=random_state,
        )
        summary = {
            "model": name,
            "threshold": bundle.threshold,
            "threshold_rule": bundle.threshold_rule,
            **summary,
        }
        if "new_site" in pred.columns:  # harmonised model: sites it never saw in training
            summary["harmonise"] = _new_sites(bundle, features, pred["new_site"].to_numpy())
        if "unseen_category" in pred.columns:
            summary["unseen_categories"] = _unseen_categories(pred["unseen_category"])
        models[name] = summary
        pred["label"] = frame[label].to_numpy()
        pred["y"] = y
        if groups is not None:
            pred["group"] = groups
        ids = [c for c in ("case_id", "roi", "group") if c in pred.columns]
        rest = ["label", "y", "model", "probability", "threshold", "predicted", "predicted_label"]
        rest += [c for c in ("new_site", "unseen_category") if c in pred.columns]
        frames.append(pred[ids + rest])
        if name == primary:
            null, p_value = permutation_auc(y, prob, n_permutations, random_state)
            perm = {
                "model": name,
                "auc": float(np.median(null)),
                "observed_auc": summary["auc"],
                "p_value": p_value,
                "n_permutations": int(n_permutations),
                "kind": "labels permuted against the frozen model's predictions",
            }
    metrics = jsonable(
        {
            "primary": models[primary],
            "models": models,
            "permutation": perm,
            "study": {
                "run": str(run),
                "table": str(table_path) if table_path else None,
                "table_sha256": file_sha256(table_path) if table_path else None,
                "label": {
                    "column": label,
                    **{k: bundles[primary].label.get(k) for k in ("negative", "positive")},
                },
                "group": group,
                "n_cases": int(y.size),
                "n_positive": int(y.sum()),
                "n_rows_dropped_missing_label": int((~keep).sum()),
                "bootstrap": boot,
                "confidence": level,
                "versions": current_versions(),
                "seconds": time.perf_counter() - t0,
                "created": created_now(),
            },
        }
    )
    dest: Path | None = Path(out) if out is not None else None
    if dest is None and table_path is not None:
        dest = run / f"external-{table_path.stem}"
    if dest is not None:
        dest.mkdir(parents=True, exist_ok=True)
        allp = pd.concat(frames, ignore_index=True)
        write_table(allp, dest / "predictions.csv")
        atomic_write_text(dest / "metrics.json", json.dumps(metrics, indent=2) + "\n")
        metrics["written_to"] = str(dest)
    if not math.isfinite(models[primary]["auc"]):  # pragma: no cover - both classes checked
        raise DataError("the external AUC is undefined")
    return metrics


# ------------------------------------------------------------------ the other tasks


def _new_sites(bundle: ModelBundle, frame: pd.DataFrame, new: np.ndarray) -> dict[str, Any]:
    """The sites of an external table a harmonised model never saw in training: ComBat
    estimated their location and scale from their own features, without labels."""
    from radiomix.learn.task_cv import _combat_step

    column = str(_combat_step(bundle.pipeline).batch)
    names = frame[column].astype(str).to_numpy()
    return {
        "column": column,
        "new_sites": sorted(set(names[new])),
        "n_cases_new_site": int(np.sum(new)),
        "note": (
            "sites not in the training data were harmonised with a location and scale "
            "estimated from their own features, without labels"
        ),
    }


def _unseen_categories(tags: pd.Series) -> dict[str, Any]:
    """The clinical categories of an external table that a model never saw in training
    (the ``unseen_category`` column of its predictions): cases per ``column=category``."""
    counts: dict[str, int] = {}
    for tag in tags:
        for part in filter(None, str(tag).split("; ")):
            counts[part] = counts.get(part, 0) + 1
    return {
        "categories": dict(sorted(counts.items())),
        "n_cases": int((tags.astype(str) != "").sum()),
        "note": (
            "categories not in the training data match no training category: a clinical "
            "column gets zeros in all its category columns, a ComBat covariate the training "
            "mix of categories"
        ),
    }


def _encode_task(values: pd.Series, bundle: ModelBundle) -> np.ndarray:
    """External targets in the training coding: the training classes (compared as text)
    or a numeric outcome."""
    from radiomix.learn.tasks import get_task

    task = get_task(bundle.task)
    column = str(values.name)
    if "classes" not in bundle.label:
        y, _ = task.encode(values, column)
        return y
    classes = [str(c) for c in bundle.label["classes"]]
    text = values.astype(str)
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


def _evaluate_task(
    run: Path,
    bundles: dict[str, ModelBundle],
    primary: str,
    frame: pd.DataFrame,
    table_path: Path | None,
    label: str,
    *,
    positive: Any,
    group: str | None,
    out: str | Path | None,
    allow_extra: bool,
    n_boot: int | None,
    n_permutations: int,
    random_state: int,
    n_dropped: int,
    t0: float,
    event: str | None = None,
) -> dict[str, Any]:
    """:func:`evaluate_external` for several classes or a numeric outcome: the frozen
    models' outputs, the task's metrics with bootstrap CIs, and a permutation test of the
    headline (labels permuted against the frozen outputs)."""
    from radiomix.errors import ConfigError
    from radiomix.learn.tasks import get_task

    main = bundles[primary]
    task = get_task(main.task)
    if positive is not None:
        raise ConfigError(f"--positive applies to two classes; this run's task is {task.name}")
    y = task.external_target(frame, label, main.label, event)
    if y is None:
        if event is not None:
            raise ConfigError(f"--event applies to survival; this run's task is {task.name}")
        y = _encode_task(frame[label], main)
    groups = frame[group].astype(str).to_numpy() if group is not None else None
    outcome = [label, *([event or main.label.get("event")] if y.dtype.names else [])]
    features = frame.drop(columns=[c for c in outcome if c in frame.columns])
    run_metrics: dict[str, Any] = {}
    if (run / "metrics.json").is_file():
        run_metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    study = run_metrics.get("study", {})
    boot = n_boot if n_boot is not None else int(study.get("bootstrap", 2000))
    level = float(study.get("confidence", 0.95))
    h = task.headline
    models: dict[str, Any] = {}
    frames = []
    perm: dict[str, Any] | None = None
    for name, bundle in bundles.items():
        values = bundle.predict_values(features, allow_extra=allow_extra)
        summary: dict[str, Any] = {"model": name}
        summary |= task.summarise(
            y,
            values[None],
            groups,
            bundle.label,
            n_boot=boot,
            level=level,
            random_state=random_state,
        )
        pred = bundle.predict_table(features, allow_extra=allow_extra)
        if "new_site" in pred.columns:
            summary["harmonise"] = _new_sites(bundle, features, pred["new_site"].to_numpy())
        if "unseen_category" in pred.columns:
            summary["unseen_categories"] = _unseen_categories(pred["unseen_category"])
        models[name] = summary
        pred.insert(
            len([c for c in ("case_id", "roi") if c in pred.columns]),
            "label",
            frame[label].to_numpy(),
        )
        for k, (key, col) in enumerate(task.target_columns(y).items()):
            pred.insert(pred.columns.get_loc("label") + 1 + k, key, col)
        if groups is not None:
            pred.insert(pred.columns.get_loc("label"), "group", groups)
        frames.append(pred)
        if name == primary:
            rng = np.random.default_rng(random_state)
            null = np.array([task.score(rng.permutation(y), values) for _ in range(n_permutations)])
            observed = float(task.score(y, values))
            perm = {
                "model": name,
                h: float(np.median(null)),
                f"observed_{h}": observed,
                "p_value": (1.0 + float((null >= observed - 1e-12).sum())) / (1.0 + n_permutations),
                "n_permutations": int(n_permutations),
                "kind": "labels permuted against the frozen model's predictions",
            }
    metrics = jsonable(
        {
            "task": task.name,
            "primary": models[primary],
            "models": models,
            "permutation": perm,
            "study": {
                "run": str(run),
                "task": task.name,
                "headline": h,
                "table": str(table_path) if table_path else None,
                "table_sha256": file_sha256(table_path) if table_path else None,
                "label": {**main.label, "column": label},
                "group": group,
                "n_cases": int(y.size),
                "n_rows_dropped_missing_label": n_dropped,
                "bootstrap": boot,
                "confidence": level,
                "versions": current_versions(),
                "seconds": time.perf_counter() - t0,
                "created": created_now(),
            },
        }
    )
    dest: Path | None = Path(out) if out is not None else None
    if dest is None and table_path is not None:
        dest = run / f"external-{table_path.stem}"
    if dest is not None:
        dest.mkdir(parents=True, exist_ok=True)
        write_table(pd.concat(frames, ignore_index=True), dest / "predictions.csv")
        atomic_write_text(dest / "metrics.json", json.dumps(metrics, indent=2) + "\n")
        metrics["written_to"] = str(dest)
    return metrics
