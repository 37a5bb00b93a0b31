"""``auto`` beyond two classes: each family alone, and ``auto``, per task and kind of signal.

``auto`` chooses among model families by the task's inner score (macro AUC, R², Harrell's C)
inside every outer training fold (:mod:`radiomix.learn.models`,
:mod:`radiomix.learn.survival`). This benchmark runs each family alone (exactly the sub-grid
``auto`` searches for it, on ``auto``'s pipeline) and ``auto`` itself in the same repeated
nested cross-validation (same splits, same seeds) of
:func:`~radiomix.learn.task_cv.nested_cv_task`, and prints per task, table and model the
pooled out-of-fold headline (median over repeats) with its bootstrap 95% interval, the
families ``auto``'s outer folds chose, and the time (wall seconds and the CPU seconds of the
folds: on a shared machine the CPU seconds are the steadier figure).

Tables (``--signals``): ``linear`` and ``threshold`` versions of the synthetic table of each
task (:func:`~radiomix.learn.synthetic.make_multiclass_table`,
:func:`~radiomix.learn.synthetic.make_regression_table`,
:func:`~radiomix.learn.survival.make_survival_table`; ``signal="threshold"``: a signal no
linear model sees, see their notes), ``--cases`` x ``--features`` with 4 informative
features (6 for three classes: two per class).

    .venv/bin/python benchmarks/bench_auto_tasks.py [--tasks multiclass,regression,survival]
        [--signals linear,threshold] [--repeats 5] [--cases 300] [--features 100]
        [--jobs -1] [--bootstrap 1000]
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from typing import Any

import pandas as pd

from radiomix.learn.models import AUTO_FAMILIES, REGRESSION_AUTO_FAMILIES, ModelSpec
from radiomix.learn.survival import SURVIVAL_AUTO_FAMILIES, make_survival_table
from radiomix.learn.synthetic import make_multiclass_table, make_regression_table
from radiomix.learn.task_cv import nested_cv_task
from radiomix.learn.task_study import summarise_task_cv
from radiomix.learn.tasks import Task, get_task

TASK_NAMES = ("multiclass", "regression", "survival")
FAMILIES = {
    "multiclass": AUTO_FAMILIES,
    "regression": REGRESSION_AUTO_FAMILIES,
    "survival": SURVIVAL_AUTO_FAMILIES,
}


def _table(
    task_name: str, signal: str, n: int, p: int
) -> tuple[pd.DataFrame, Any, Task, dict[str, Any], str]:
    """(features, target, configured task, label coding, note) of one synthetic table."""
    task = get_task(task_name)
    if task_name == "multiclass":
        effect = 1.0
        s = make_multiclass_table(
            n_cases=n, n_features=p, n_informative=6, effect=effect, random_state=3, signal=signal
        )
        y, coding = task.encode(s.table[s.label], s.label)
        X = s.table.drop(columns=["case_id", "roi", s.label])
        note = f"3 classes, 6 informative, effect {effect}"
    elif task_name == "regression":
        s = make_regression_table(
            n_cases=n, n_features=p, n_informative=4, noise_sd=2.0, random_state=3, signal=signal
        )
        y, coding = task.encode(s.table[s.label], s.label)
        X = s.table.drop(columns=["case_id", "roi", s.label])
        note = f"4 informative, population-optimal R² {s.optimal:.2f}"
    else:
        frame = make_survival_table(n, p, 4, effect=0.5, random_state=3, signal=signal)
        y, coding = task.encode_survival(frame["time"], frame["event"], "time", "event")
        X = frame.drop(columns=["case_id", "time", "event"])
        note = f"4 informative, log-hazard SD 1, {int(frame['event'].sum())} events"
    return X, y, task.configure(coding), coding, note


def _specs(task: Task, wanted: list[str]) -> list[ModelSpec]:
    auto = task.models["auto"]
    specs = [
        ModelSpec(name, f"auto's {name} family alone", auto.build, grid)
        for name, grid in FAMILIES[task.name].items()
    ]
    specs.append(auto)
    return [s for s in specs if not wanted or s.name in wanted]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default=",".join(TASK_NAMES))
    ap.add_argument("--signals", default="linear,threshold")
    ap.add_argument("--models", default="", help="subset of the families, auto, ...")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--outer", type=int, default=5)
    ap.add_argument("--inner", type=int, default=5)
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--features", type=int, default=100)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=-1)
    args = ap.parse_args()
    wanted = [m for m in args.models.split(",") if m]
    print(f"cpus: {os.cpu_count()}, load average before: {os.getloadavg()}", flush=True)
    rows = []
    for task_name in [t for t in args.tasks.split(",") if t]:
        for signal in [s for s in args.signals.split(",") if s]:
            X, y, task, coding, note = _table(task_name, signal, args.cases, args.features)
            print(f"\n{task_name} / {signal}: {len(X)} cases, {X.shape[1]} features; {note}")
            h = task.headline
            for spec in _specs(task, wanted):
                t0 = time.perf_counter()
                cv = nested_cv_task(
                    task,
                    spec.build,
                    spec.grid,
                    X,
                    y,
                    outer_folds=args.outer,
                    inner_folds=args.inner,
                    repeats=args.repeats,
                    n_jobs=args.jobs,
                    families=spec.families,
                )
                wall = time.perf_counter() - t0
                s = summarise_task_cv(
                    task,
                    cv,
                    coding,
                    n_boot=args.bootstrap,
                    level=0.95,
                    random_state=99,
                    use_groups=False,
                )
                chosen = Counter(f.family for f in cv.folds if f.family)
                row = {
                    "task": task_name,
                    "signal": signal,
                    "model": spec.name,
                    "headline": h,
                    "value": s[h],
                    "ci": s[f"{h}_ci"],
                    "chosen": ", ".join(f"{k} {v}" for k, v in chosen.most_common()),
                    "wall_s": wall,
                    "cpu_s": s["cpu_seconds_folds"],
                }
                rows.append(row)
                print(
                    f"  {spec.name:26s} {h} {row['value']:.3f} [{row['ci'][0]:.3f}, "
                    f"{row['ci'][1]:.3f}]  {wall:6.0f} s wall  {row['cpu_s']:6.0f} s CPU  "
                    f"{row['chosen']}",
                    flush=True,
                )
    print(
        f"\n{args.repeats} repeats x {args.outer} outer x {args.inner} inner folds; "
        f"load average after: {os.getloadavg()}"
    )
    print("| task | table | model | headline [95% CI] | folds chose | wall s | CPU s (folds) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['task']} | {r['signal']} | {r['model']} | {r['headline']} "
            f"{r['value']:.3f} [{r['ci'][0]:.3f}, {r['ci'][1]:.3f}] | {r['chosen'] or '-'} | "
            f"{r['wall_s']:.0f} | {r['cpu_s']:.0f} |"
        )
    if not rows:
        return
    table = pd.DataFrame(rows)
    cost = table.pivot_table(index=["task", "signal"], columns="model", values="cpu_s")
    print("\nCPU s (folds) per model:\n" + cost.round(0).to_string())


if __name__ == "__main__":
    main()
