"""Wall time of a study on a 650-case, 1,000-feature table (the issue's target: minutes).

The table is synthetic (:func:`radiomix.learn.synthetic.make_feature_table`): 650 cases,
32% positive, 1,000 features of which 8 informative (2 of them among the 20 shape features),
the rest noise correlated in blocks of 10 on radiomics-like scales. Its Bayes-optimal AUC is
printed next to the estimates.

Stages timed (default study settings unless an option narrows them):

- nested CV of each model: 5 outer x 5 inner folds x 10 repeats, default grid;
- the label-permutation check of the primary model (10 permutations, 1 repeat each);
- statistics (2,000 bootstrap resamples x 10 repeats), final refits, writing the run dir.

    .venv/bin/python benchmarks/bench_learn.py [--cases 650] [--features 1000]
        [--models lr_l2_mrmr,shape_only_lr] [--repeats 10] [--permutations 10] [--jobs -1]

Prints a table of seconds per stage and the AUCs, the CPU seconds of the worker processes
(measured inside every fold) and of the main process, and the machine's load average: on a
shared machine the wall time says little, and the CPU seconds give the time the same run
takes on 2 idle cores (fold CPU / 2 + main process CPU).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from radiomix.learn.study import run_study
from radiomix.learn.synthetic import make_feature_table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=650)
    ap.add_argument("--features", type=int, default=1000)
    ap.add_argument("--models", default="lr_l2_mrmr,shape_only_lr")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--permutations", type=int, default=10)
    ap.add_argument("--bootstrap", type=int, default=2000)
    ap.add_argument("--jobs", type=int, default=-1)
    args = ap.parse_args()

    synth = make_feature_table(
        n_cases=args.cases,
        n_features=args.features,
        n_informative=8,
        n_shape=20,
        n_shape_informative=2,
        effect=0.45,
        prevalence=0.32,
        random_state=0,
    )
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    config = {
        "primary": models[0],
        "comparators": models[1:],
        "validation": {
            "repeats": args.repeats,
            "permutations": args.permutations,
            "bootstrap": args.bootstrap,
            "n_jobs": args.jobs,
        },
    }
    stamps: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    cpu0 = time.process_time()

    def progress(msg: str) -> None:
        stamps.append((msg, time.perf_counter() - t0))
        print(f"[{time.perf_counter() - t0:7.1f} s] {msg}", flush=True)

    print(f"cpus: {os.cpu_count()}, load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        res = run_study(
            synth.table, config, label=synth.label, out=Path(tmp) / "run", progress=progress
        )
    total = time.perf_counter() - t0
    m = res.metrics
    print()
    print(
        f"table: {args.cases} cases x {args.features} features; optimal AUC {synth.optimal_auc:.3f}"
    )
    print(f"{'stage':<34} {'AUC':>6} {'95% CI':>16} {'wall s':>8} {'fold CPU s':>11}")
    cpu_total = 0.0
    for name, s in m["models"].items():
        ci = s["auc_ci"]
        cpu_total += s["cpu_seconds_folds"]
        print(
            f"{'nested CV ' + name:<34} {s['auc']:6.3f} [{ci[0]:.3f}, {ci[1]:.3f}] "
            f"{s['seconds']:8.1f} {s['cpu_seconds_folds']:11.1f}"
        )
    perm = m.get("permutation")
    if perm:
        cpu_total += perm["cpu_seconds_folds"]
        print(
            f"{'permutation check (' + str(perm['n_permutations']) + ')':<34} {perm['auc']:6.3f} "
            f"{'(p = ' + format(perm['p_value'], '.3f') + ')':>16} {perm['seconds']:8.1f} "
            f"{perm['cpu_seconds_folds']:11.1f}"
        )
    parent = time.process_time() - cpu0
    print(
        f"CPU seconds: cross-validation folds (worker processes) {cpu_total:.0f}, main process "
        f"{parent:.0f} (statistics, final fits, files; mostly serial)"
    )
    print(
        "estimated wall time on 2 otherwise idle cores: "
        f"{(cpu_total / 2 + parent) / 60:.1f} min (folds / 2 + main process)"
    )
    sel = res.runs[models[0]]
    top = sorted(((f, n) for f, n in _selection(sel).items()), key=lambda t: -t[1])[:10]
    hits = sum(f in synth.informative for f, _ in top[: len(synth.informative)])
    print(f"informative features among the {len(synth.informative)} most selected: {hits}")
    print(
        f"total wall time: {total:.1f} s ({total / 60:.1f} min), load average after: {os.getloadavg()}"
    )


def _selection(run: object) -> dict[str, float]:
    counts: dict[str, float] = {}
    folds = run.cv.folds  # type: ignore[attr-defined]
    for f in folds:
        for name in f.selected:
            counts[name] = counts.get(name, 0.0) + 1.0 / len(folds)
    return counts


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
