"""External validation: apply the frozen models of a run to another cohort.

Nothing is refitted: the final pipelines, their decision thresholds (two classes) and the
label coding come from the model bundles of the run directory, and one flow serves every
task (:mod:`radiomix.learn.tasks`): the task reads the external label column in the training
coding (:meth:`~radiomix.learn.tasks.Task.external_target`), summarises the frozen outputs
with the metrics and bootstrap intervals of the run (:meth:`~radiomix.learn.tasks.Task.summarise`;
a cluster bootstrap with a group column; two classes add DeLong's interval), and
``permutation`` holds a label-permutation test of the headline (is it better than chance?):
the headline of the frozen outputs against randomly permuted labels, 2,000 times
(:meth:`~radiomix.learn.tasks.Task.permutation_null`). ``metrics.json`` keeps the run's layout
(``Task.run_format``: no ``task`` key and the label's two values for two classes).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiomix._outputs import atomic_write_text, jsonable, write_table
from radiomix.errors import DataError, ModelBundleError
from radiomix.learn._study_parts import table_provenance
from radiomix.learn.bundle import ModelBundle, created_now, current_versions
from radiomix.learn.metrics import permutation_auc
from radiomix.learn.table import given_table
from radiomix.learn.tasks import get_task

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
        ``task`` (but for two classes), ``primary``, ``models``, ``permutation`` and
        ``study`` like the run's metrics.json; ``written_to``, the folder written.
    """
    t0 = time.perf_counter()
    run = Path(run_dir)
    primary, bundles = load_bundles(run)
    frame, table_path = given_table(table)
    if label not in frame.columns:
        raise DataError(f"label column {label!r} is not in the external table")
    if group is not None and group not in frame.columns:
        raise DataError(f"group column {group!r} is not in the external table")
    keep = frame[label].notna().to_numpy()
    frame = frame.loc[keep].reset_index(drop=True)
    main = bundles[primary]
    task = get_task(main.task)
    y = task.external_target(frame, label, main.label, event, positive)
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
        summary: dict[str, Any] = {"model": name, **task.decision_rule(bundle)}
        summary |= task.summarise(
            y,
            values[None],
            groups,
            bundle.label,
            n_boot=boot,
            level=level,
            random_state=random_state,
            thresholds=np.full((1, y.size), bundle.threshold),
        )
        pred = bundle.predict_table(features, allow_extra=allow_extra)
        if "new_site" in pred.columns:  # harmonised model: sites it never saw in training
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
            null = task.permutation_null(y, values, n_permutations, random_state)
            observed = float(task.score(y, values))
            perm = {
                "model": name,
                h: float(np.median(null)),
                f"observed_{h}": observed,
                "p_value": (1.0 + float((null >= observed - 1e-12).sum())) / (1.0 + n_permutations),
                "n_permutations": int(n_permutations),
                "kind": "labels permuted against the frozen model's predictions",
            }
    first = task.run_format == 1  # two classes: no task, the label's two values
    coding = main.label
    metrics = jsonable(
        {
            **({} if first else {"task": task.name}),
            "primary": models[primary],
            "models": models,
            "permutation": perm,
            "study": {
                "run": str(run),
                **({} if first else {"task": task.name, "headline": h}),
                **table_provenance(table_path),
                "label": {"column": label, **{k: coding.get(k) for k in ("negative", "positive")}}
                if first
                else {**coding, "column": label},
                "group": group,
                "n_cases": int(y.size),
                **task.case_counts(y),
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
        write_table(pd.concat(frames, ignore_index=True), dest / "predictions.csv")
        atomic_write_text(dest / "metrics.json", json.dumps(metrics, indent=2) + "\n")
        metrics["written_to"] = str(dest)
    return metrics


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
