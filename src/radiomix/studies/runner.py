"""The BUSI study from one call: cohort, extraction, validated models, report.

:func:`run_busi_study` is what ``radiomix study busi`` runs::

    RUN_DIR/cohort/        manifest.csv, cohort_summary.json/.md, masks/ (merged masks, rings)
    RUN_DIR/features.csv   one row per case: manifest columns, provenance, diagnostics, features
    RUN_DIR/settings.yaml  the extraction settings (read back by ``radiomix predict``)
    RUN_DIR/extraction_errors.csv   cases whose extraction failed (recorded, the study goes on)
    RUN_DIR/metrics.json, predictions.csv, ... model.joblib   the learning run (radiomix train)
    RUN_DIR/report.html    the HTML report (figures in RUN_DIR/figures)
    RUN_DIR/study.json     data source, task, counts, small-cohort settings, timings (written
                           before the report, which reads it, and again with the timings)

Stages: :func:`radiomix.studies.busi.prepare_cohort` (reading, mask merging, duplicate audit,
groups), :func:`radiomix.extraction.batch.extract_batch` (the ``ultrasound-2d`` preset over
local processes, all cores by default), :func:`radiomix.learn.study.run_study` (repeated
nested group-aware cross-validation of the default model and its comparators, with the
duplicate clusters as groups) and :func:`radiomix.report.build_report`. A cohort whose
smaller class has fewer than :data:`~radiomix.learn.study.SMALL_COHORT_CASES` images gets
:data:`SMALL_COHORT_STUDY` under the user's settings (a simpler primary model, lr_l2_mrmr
instead of auto, the shape-only baseline only, 3 inner folds), and the report says what that changed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from radiomix._config import deep_merge
from radiomix._outputs import atomic_write_text, write_table
from radiomix.errors import ConfigError
from radiomix.studies.busi import PHASH_THRESHOLD, prepare_cohort, write_summary

__all__ = ["BUSI_STUDY_DEFAULTS", "SMALL_COHORT_STUDY", "bundled_sample", "run_busi_study"]

#: study settings of the BUSI study (radiomix.learn.config keys); a user file is merged on top
BUSI_STUDY_DEFAULTS: dict[str, Any] = {
    "name": "busi",
    "description": "BUSI breast ultrasound, malignant (1) vs benign (0); groups = duplicate "
    "clusters; image-level evaluation (no patient id)",
    "data": {
        "label": "outcome",
        "positive": 1,
        "group": "group",
        # carried manifest columns that are bookkeeping, not image features
        "id_columns": ["case_id", "roi", "n_masks"],
    },
    # comparators in the same harness: the interpretable shape-only baseline, a kernel model
    # and a tree ensemble (gradient boosting: 2 min on the full set; random_forest, about
    # twice that, and the others are opt-in through --study)
    "comparators": ["shape_only_lr", "svm_rbf", "gradient_boosting"],
    # 19 label permutations: the smallest p they can give is 1/20 = 0.05, so "better than
    # chance" can be claimed at the usual level (10 could not go below 0.091)
    "validation": {"repeats": 5, "permutations": 19},
}


#: settings merged over :data:`BUSI_STUDY_DEFAULTS` when the smaller class has fewer than
#: :data:`~radiomix.learn.study.SMALL_COHORT_CASES` images (the bundled sample: 12 malignant):
#: a simpler primary model and the shape-only baseline only; a user's ``--study`` file and
#: ``--repeats``/``--permutations`` still come on top
SMALL_COHORT_STUDY: dict[str, Any] = {
    "primary": "lr_l2_mrmr",
    "comparators": ["shape_only_lr"],
    "models": [{"name": "lr_l2_mrmr", "grid": {"select__k": [3, 5]}}],
    "validation": {"inner_folds": 3, "repeats": 10, "permutations": 19},
}


def _small_cohort_notes(cfg: Mapping[str, Any]) -> list[str]:
    """What the small-cohort settings changed, as far as the final settings still hold them."""
    notes = []
    val = cfg.get("validation", {})
    if cfg.get("primary") == "lr_l2_mrmr":
        notes.append(
            "the primary model is lr_l2_mrmr, not the default auto: too few cases to choose "
            "among model families inside the training folds (or to grow a forest on them)"
        )
    if val.get("inner_folds") == 3:
        notes.append("3 inner folds, so that each inner test fold holds a few cases of each class")
    models = {m.get("name"): m for m in cfg.get("models", []) if isinstance(m, Mapping)}
    if models.get("lr_l2_mrmr", {}).get("grid") == {"select__k": [3, 5]}:
        notes.append(
            "the primary model picks 3 or 5 features by mRMR with a fixed L2 penalty (C = 1): "
            "too few cases to tune the penalty or to choose among 20 features"
        )
    if list(cfg.get("comparators", [])) == ["shape_only_lr"]:
        notes.append(
            "only the shape-only baseline as comparator (gradient boosting cannot split "
            "training folds smaller than twice its minimum leaf of 20 cases, and the SVM's "
            "inner calibration folds would hold two or three malignant cases)"
        )
    if val.get("repeats") == 10 and val.get("permutations") == 19:
        notes.append(
            "10 repeats and 19 label permutations (cheap on so few cases; 19 permutations can "
            "reach p = 0.05)"
        )
    return notes


def bundled_sample() -> Path:
    """Folder of the BUSI sample shipped with radiomix (34 images, see its README)."""
    from importlib import resources

    return Path(str(resources.files("radiomix") / "data" / "busi_sample"))


def _ring_features(
    manifest: pd.DataFrame, run: Path, config: Any, jobs: int | None, width: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Features of the peritumoral rings, columns renamed ``peritumoral<w>px_*``.

    Shape columns of the ring are dropped: the ring's shape is the lesion's, dilated, and
    would otherwise also enter shape-only models. The ring contributes intensity and texture.
    """
    from radiomix.extraction.batch import extract_batch

    ring = manifest[["case_id", "image", "peritumoral_mask"]].rename(
        columns={"peritumoral_mask": "mask"}
    )
    path = run / "cohort" / f"manifest_peritumoral_{width}px.csv"
    write_table(ring, path)
    res = extract_batch(path, config, jobs=jobs)
    feats = [
        c
        for c in res.table.columns
        if c.startswith("original_") and not c.startswith("original_morphology")
    ]
    table = res.table[["case_id", *feats]].rename(
        columns={c: f"peritumoral{width}px_" + c[len("original_") :] for c in feats}
    )
    return table, res.errors


def run_busi_study(
    data: str | Path,
    out: str | Path,
    *,
    config: str | Path | Mapping[str, Any] = "ultrasound-2d",
    study: str | Path | Mapping[str, Any] | None = None,
    jobs: int | None = None,
    positive: str = "malignant",
    negative: str = "benign",
    mask_policy: str = "merge",
    phash_threshold: int = PHASH_THRESHOLD,
    peritumoral_px: int | None = None,
    repeats: int | None = None,
    permutations: int | None = None,
    report: bool = True,
    overwrite: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the whole BUSI study on a BUSI-like folder and write its run directory.

    Parameters
    ----------
    data : path
        Folder with ``benign/`` and ``malignant/`` (``normal/`` and other classes are left
        out), laid out as BUSI (see :mod:`radiomix.studies.busi`).
    out : path
        Run directory (see the module notes).
    config : preset name, YAML path or mapping
        Extraction settings (default: the ``ultrasound-2d`` preset).
    study : YAML path or mapping, optional
        Study settings merged over :data:`BUSI_STUDY_DEFAULTS` (models, folds, repeats, ...).
    jobs : int or None
        Extraction processes; None uses every core.
    positive, negative : str
        Class folders of outcome 1 and outcome 0.
    mask_policy, phash_threshold, peritumoral_px
        Passed to :func:`~radiomix.studies.busi.prepare_cohort`; with ``peritumoral_px`` the
        ring is extracted as a second ROI and its features join the table as
        ``peritumoral<w>px_<family>_<feature>`` columns.
    repeats, permutations : int, optional
        Override ``validation.repeats`` / ``validation.permutations``.
    report : bool
        Write ``report.html``.
    overwrite : bool
        Allow a run directory that already holds a run.
    progress : callable, optional
        Receives one-line progress messages.

    Returns
    -------
    dict
        What ``study.json`` holds: data source, cohort counts, metrics summary, timings and
        output paths.
    """
    from radiomix.extraction.batch import extract_batch
    from radiomix.extraction.settings import load_config, settings_to_yaml
    from radiomix.learn.study import SMALL_COHORT_CASES, run_study

    say = progress or (lambda msg: None)
    run = Path(out)
    if (run / "metrics.json").exists() and not overwrite:
        raise ConfigError(
            f"{run} already holds a study (metrics.json); choose another --out or --force"
        )
    settings = load_config(config if not isinstance(config, Mapping) else dict(config))
    if isinstance(study, str | Path):
        path = Path(study)
        if not path.is_file():
            raise ConfigError(f"study config {path} does not exist")
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, Mapping):
            raise ConfigError(f"study config {path} must be a YAML mapping")
        study = loaded
    timings: dict[str, float] = {}
    t_all = time.perf_counter()

    t0 = time.perf_counter()
    say(f"cohort: reading {data}")
    summary = prepare_cohort(
        data,
        run / "cohort",
        positive=positive,
        negative=negative,
        mask_policy=mask_policy,
        phash_threshold=phash_threshold,
        peritumoral_px=peritumoral_px,
    )
    timings["prepare"] = time.perf_counter() - t0
    smaller = min(summary["included"].values(), default=0)
    small = smaller < SMALL_COHORT_CASES
    cfg = deep_merge(BUSI_STUDY_DEFAULTS, SMALL_COHORT_STUDY) if small else BUSI_STUDY_DEFAULTS
    cfg = deep_merge(cfg, study or {})
    over: dict[str, Any] = {}
    if repeats is not None:
        over["repeats"] = repeats
    if permutations is not None:
        over["permutations"] = permutations
    if over:
        cfg = deep_merge(cfg, {"validation": over})
    notes = _small_cohort_notes(cfg) if small else []
    if small:
        say(
            f"cohort: the smaller class has {smaller} images (< {SMALL_COHORT_CASES}): "
            "small-cohort settings (the report says what they change)"
        )
    say(
        f"cohort: {summary['n_included']} images included {summary['included']}, "
        f"{summary['n_groups']} groups, {len(summary['exclusions'])} excluded "
        f"({summary['exclusion_counts']})"
    )

    t0 = time.perf_counter()
    say(f"extraction: {summary['n_included']} cases, preset {settings.name}")
    res = extract_batch(run / "cohort" / "manifest.csv", settings, jobs=jobs)
    table, errors = res.table, res.errors
    if peritumoral_px:
        manifest = pd.read_csv(run / "cohort" / "manifest.csv", dtype={"case_id": str})
        ring, ring_errors = _ring_features(manifest, run, settings, jobs, peritumoral_px)
        table = table.drop(columns=["peritumoral_mask"], errors="ignore").merge(
            ring, on="case_id", how="left"
        )
        errors = pd.concat([errors, ring_errors.assign(roi=f"peritumoral_{peritumoral_px}px")])
    timings["extraction"] = time.perf_counter() - t0
    if len(errors):
        failed = errors.drop_duplicates("case_id")
        summary["exclusions"] += [
            {
                "case_id": str(r.case_id),
                "class_name": "",
                "reason": "extraction failed",
                "detail": f"{r.error_type}: {r.message}",
            }
            for r in failed.itertuples()
        ]
        summary["exclusion_counts"]["extraction failed"] = len(failed)
        write_summary(summary, run / "cohort")
    write_table(errors, run / "extraction_errors.csv")
    write_table(table, run / "features.csv")
    atomic_write_text(run / "settings.yaml", settings_to_yaml(settings))
    say(f"extraction: {len(table)} rows in {timings['extraction']:.0f} s, {len(errors)} failed")

    t0 = time.perf_counter()
    result = run_study(
        run / "features.csv",
        cfg,
        out=run,
        extraction_settings=run / "settings.yaml",
        overwrite=overwrite,
        progress=say,
    )
    timings["learning"] = time.perf_counter() - t0

    from radiomix.report.findings import failed_models

    m = result.metrics
    failed = failed_models(pd.read_csv(run / "predictions.csv", dtype={"case_id": str}))
    try:
        bundled = Path(summary["data"]).resolve() == bundled_sample().resolve()
    except OSError:
        bundled = False
    record: dict[str, Any] = {
        "data": summary["data"],
        "data_source": "bundled sample" if bundled else "folder",
        "task": f"{positive} vs {negative} breast ultrasound lesions",
        "small_cohort": small,
        "small_cohort_settings": notes,
        "cohort": {
            k: summary[k]
            for k in ("images_found", "included", "n_included", "n_groups", "exclusion_counts")
        },
        "n_duplicate_clusters": summary["duplicates"]["n_clusters"],
        "n_conflicting_clusters_dropped": len(summary["conflicting_clusters_dropped"]),
        "extraction_config": settings.name,
        "n_features": int(sum(c.startswith(("original_", "peritumoral")) for c in table.columns)),
        "primary": {k: m["primary"].get(k) for k in ("model", "auc", "auc_ci")},
        "models": {
            n: {"auc": s.get("auc"), "auc_ci": s.get("auc_ci")} for n, s in m["models"].items()
        },
        "permutation_auc": (m.get("permutation") or {}).get("auc"),
        "permutation_p": (m.get("permutation") or {}).get("p_value"),
        # models that learned nothing (constant or one-class predictions): not results
        "failed_models": failed,
        "run_dir": str(run.resolve()),
    }
    # written before the report, which reads the data source, task and settings from it
    atomic_write_text(run / "study.json", json.dumps(record, indent=2, default=str) + "\n")
    report_path = None
    if report:
        from radiomix.report import build_report

        t0 = time.perf_counter()
        report_path = build_report(run)
        timings["report"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_all
    record["timings_s"] = {k: round(v, 2) for k, v in timings.items()}
    record["report"] = str(report_path) if report_path else None
    atomic_write_text(run / "study.json", json.dumps(record, indent=2, default=str) + "\n")
    return record
