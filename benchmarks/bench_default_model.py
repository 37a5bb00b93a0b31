"""Does the default model travel? Each family of ``auto`` alone, and ``auto``, on several tables.

``auto`` (the default model, :mod:`radiomix.learn.models`) chooses among three families by
inner-CV AUC inside every outer training fold. This benchmark runs each family alone (exactly
the sub-grid ``auto`` searches for it) and ``auto`` itself in the same repeated nested
group-aware cross-validation (same splits, same seeds) and prints, per data set and model,
the pooled out-of-fold AUC (median over repeats) with its bootstrap 95% interval, the
families ``auto``'s outer folds chose, and the time (wall seconds and the CPU seconds of the
folds: on a shared machine the CPU seconds are the steadier figure).

Data sets (``--datasets``, comma-separated):

- ``busi``: the BUSI feature table (633 images, 196 features of the ``ultrasound-2d``
  preset, duplicate clusters as groups). ``--busi-table`` names a ``features.csv`` written by
  ``radiomix study busi``; without it the cohort is prepared and extracted from
  ``../shared/data/busi`` (or ``BUSI_DIR``) into a temporary folder (about a minute).
- ``busi_sample``: the 32-image BUSI sample bundled with radiomix (what the study tests run);
  3 inner folds, as the small-cohort settings use. The PyRadiomics example cases in
  ``../shared/data/pyradiomics-cases`` are five images without outcome labels: no table to
  classify, so this stands in for them.
- ``linear``: :func:`~radiomix.learn.synthetic.make_feature_table`, 400 cases, 200
  features, 6 informative (mean shift 0.5 SD), block-correlated noise.
- ``interaction`` and ``threshold``: :func:`~radiomix.learn.synthetic.make_nonlinear_table`,
  400 cases, 100 features, 4 informative whose signal no linear model sees.

    .venv/bin/python benchmarks/bench_default_model.py [--datasets busi,linear,...]
        [--repeats 5] [--jobs -1] [--bootstrap 1000] [--busi-table runs/busi/features.csv]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiomix.learn.models import AUTO_FAMILIES, MODELS, ModelSpec
from radiomix.learn.study import summarise_cv
from radiomix.learn.synthetic import make_feature_table, make_nonlinear_table
from radiomix.learn.table import prepare
from radiomix.learn.validation import nested_cv

DATASETS = ("busi", "busi_sample", "linear", "interaction", "threshold")
BUSI_ID_COLUMNS = ("case_id", "roi", "n_masks")


def _busi_features(folder: Path, work: Path) -> pd.DataFrame:
    """Prepare and extract a BUSI-like folder as ``radiomix study busi`` does."""
    from radiomix.extraction.batch import extract_batch
    from radiomix.studies.busi import prepare_cohort

    prepare_cohort(folder, work / "cohort")
    res = extract_batch(work / "cohort" / "manifest.csv", "ultrasound-2d", jobs=os.cpu_count() or 1)
    return res.table


def _load(name: str, args: argparse.Namespace, work: Path) -> tuple[Any, int, str]:
    """(Dataset, inner folds, note) of a data set."""
    if name in ("busi", "busi_sample"):
        if name == "busi" and args.busi_table:
            table = pd.read_csv(args.busi_table, dtype={"case_id": str})
        elif name == "busi":
            folder = Path(os.environ.get("BUSI_DIR", "../shared/data/busi"))
            table = _busi_features(folder, work / "busi")
        else:
            from radiomix.studies.runner import bundled_sample

            table = _busi_features(bundled_sample(), work / "sample")
        data = prepare(table, "outcome", positive=1, group="group", id_columns=BUSI_ID_COLUMNS)
        return data, 3 if name == "busi_sample" else 5, "groups: duplicate clusters"
    if name == "linear":
        synth = make_feature_table(
            n_cases=400, n_features=200, n_informative=6, effect=0.5, random_state=3
        )
    else:
        synth = make_nonlinear_table(name, n_cases=400, n_features=100, random_state=3)
    data = prepare(synth.table, synth.label, positive="malignant")
    return data, 5, f"Bayes-optimal AUC {synth.optimal_auc:.3f}"


def _specs() -> list[ModelSpec]:
    auto = MODELS["auto"]
    fam = [
        ModelSpec(name, f"auto's {name} family alone", auto.build, grid)
        for name, grid in AUTO_FAMILIES.items()
    ]
    return [*fam, auto]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--models", default="", help="subset of lr_l2,lr_l2_mrmr,random_forest,auto")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=-1)
    ap.add_argument("--busi-table", default=None)
    args = ap.parse_args()
    wanted = [m for m in args.models.split(",") if m]
    specs = [s for s in _specs() if not wanted or s.name in wanted]
    print(f"cpus: {os.cpu_count()}, load average before: {os.getloadavg()}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in [d for d in args.datasets.split(",") if d]:
            data, inner, note = _load(name, args, Path(tmp))
            n_groups = np.unique(data.groups).size if data.groups is not None else data.y.size
            print(
                f"\n{name}: {data.y.size} cases ({int(data.y.sum())} positive), "
                f"{len(data.features)} features, {n_groups} groups; {note}",
                flush=True,
            )
            for spec in specs:
                t0 = time.perf_counter()
                cv = nested_cv(
                    spec.build,
                    spec.grid,
                    data.X,
                    data.y,
                    data.groups,
                    inner_folds=inner,
                    repeats=args.repeats,
                    n_jobs=args.jobs,
                    families=spec.families,
                )
                wall = time.perf_counter() - t0
                s = summarise_cv(
                    cv,
                    n_boot=args.bootstrap,
                    level=0.95,
                    random_state=99,
                    use_groups=data.groups is not None,
                )
                chosen = Counter(f.family for f in cv.folds if f.family)
                row = {
                    "data": name,
                    "model": spec.name,
                    "auc": s["auc"],
                    "ci": s["auc_ci"],
                    "chosen": ", ".join(f"{k} {v}" for k, v in chosen.most_common()),
                    "wall_s": wall,
                    "cpu_s": s["cpu_seconds_folds"],
                }
                rows.append(row)
                print(
                    f"  {spec.name:14s} AUC {row['auc']:.3f} [{row['ci'][0]:.3f}, "
                    f"{row['ci'][1]:.3f}]  {wall:6.0f} s wall  {row['cpu_s']:6.0f} s CPU  "
                    f"{row['chosen']}",
                    flush=True,
                )
    print(f"\n{args.repeats} repeats x 5 outer folds; load average after: {os.getloadavg()}")
    print("| data | model | AUC [95% CI] | folds chose | wall s | CPU s (folds) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['data']} | {r['model']} | {r['auc']:.3f} [{r['ci'][0]:.3f}, {r['ci'][1]:.3f}]"
            f" | {r['chosen'] or '-'} | {r['wall_s']:.0f} | {r['cpu_s']:.0f} |"
        )


if __name__ == "__main__":
    main()
