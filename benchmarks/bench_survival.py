"""The survival task on a real data set and the time of a survival study on a wide table.

Part 1, scikit-survival's ``load_breast_cancer`` (198 patients, 76 gene expression values
and 4 clinical covariates, 51 distant metastases): repeated nested CV (5 outer x 5 inner
folds, stratified on the event) of radiomix's penalised Cox (``coxnet``, its default grid)
with Harrell's C and its bootstrap 95% CI, Uno's C, the integrated Brier score, the
calibration at the middle horizon (slope, observed / expected events) with its CIs; the same
model done by hand with scikit-survival on the same outer splits (scale, elastic-net Cox
with l1_ratio 0.9, alpha chosen by a 5-fold grid search over the training fold's own path);
and the whole nested CV on shuffled outcomes (Harrell's C should be about 0.5).

Part 2, the wall time of ``run_study`` (primary ``coxnet`` with its default grid, optionally
comparators such as ``random_survival_forest``, and the label-permutation check) on a
synthetic table of 1,000 cases x 1,000 features (4 informative, about 30% censored), with the
C-indices found.

    .venv/bin/python benchmarks/bench_survival.py [--repeats 5] [--permutations 5]
        [--cases 1000] [--features 1000] [--jobs 2] [--wide-repeats 1]
        [--wide-permutations 1] [--comparators random_survival_forest] [--skip-real]
        [--skip-wide]

Prints the figures docs/learn.md quotes, the CPU seconds of the fold workers and the load
average (the wall time on a shared machine says little on its own).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd


def _breast_cancer() -> tuple[pd.DataFrame, np.ndarray]:
    from sksurv.column import encode_categorical
    from sksurv.datasets import load_breast_cancer

    from radiomix.learn.survival import structured

    X, y = load_breast_cancer()
    return encode_categorical(X).astype(np.float64), structured(y["e.tdm"], y["t.tdm"])


def _by_hand(X: pd.DataFrame, y: np.ndarray, splits: list, seed: int) -> float:
    from sklearn.exceptions import FitFailedWarning
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sksurv.linear_model import CoxnetSurvivalAnalysis
    from sksurv.metrics import concordance_index_censored

    risk = np.zeros(y.size)
    for f, (tr, te) in enumerate(splits):
        path = make_pipeline(
            StandardScaler(), CoxnetSurvivalAnalysis(l1_ratio=0.9, alpha_min_ratio=0.01)
        ).fit(X.iloc[tr], y[tr])
        alphas = path.named_steps["coxnetsurvivalanalysis"].alphas_
        search = GridSearchCV(
            make_pipeline(StandardScaler(), CoxnetSurvivalAnalysis(l1_ratio=0.9)),
            {"coxnetsurvivalanalysis__alphas": [[a] for a in alphas[::3]]},
            cv=KFold(5, shuffle=True, random_state=seed + f),
            error_score=0.5,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (FitFailedWarning, UserWarning))
            search.fit(X.iloc[tr], y[tr])
        risk[te] = search.predict(X.iloc[te])
    return float(concordance_index_censored(y["event"], y["time"], risk)[0])


def real(repeats: int, permutations: int, jobs: int) -> None:
    from radiomix.learn.task_cv import nested_cv_task, task_splits
    from radiomix.learn.task_study import summarise_task_cv
    from radiomix.learn.tasks import get_task
    from radiomix.learn.validation import seed_for

    X, y = _breast_cancer()
    task = get_task("survival")
    _, coding = task.encode_survival(
        pd.Series(y["time"]), pd.Series(y["event"].astype(int)), "time", "event"
    )
    task = task.configure(coding)
    spec = task.models["coxnet"]
    t0 = time.perf_counter()
    cv = nested_cv_task(
        task,
        spec.build,
        spec.grid,
        X,
        y,
        outer_folds=5,
        inner_folds=5,
        repeats=repeats,
        n_jobs=jobs,
    )
    seconds = time.perf_counter() - t0
    s = summarise_task_cv(
        task, cv, coding, n_boot=2000, level=0.95, random_state=99, use_groups=False
    )
    ours = cv.repeat_scores()
    hand = np.array(
        [
            _by_hand(X, y, task_splits(task, y, None, 5, seed_for(0, r)), 1000 * r)
            for r in range(repeats)
        ]
    )
    rng = np.random.default_rng(seed_for(0, 4242))
    null = []
    for i in range(permutations):
        cvp = nested_cv_task(
            task,
            spec.build,
            spec.grid,
            X,
            rng.permutation(y),
            outer_folds=5,
            inner_folds=5,
            repeats=1,
            n_jobs=jobs,
            label_seed=i,
        )
        null.append(float(cvp.repeat_scores()[0]))
    print(
        f"load_breast_cancer: {y.size} patients, {int(y['event'].sum())} events, "
        f"{X.shape[1]} columns; {repeats} repeats of 5 x 5 nested CV in {seconds:.0f} s"
    )
    c, ci = s["harrell_c"], s["harrell_c_ci"]
    print(
        f"  radiomix coxnet: Harrell's C {c:.3f} [{ci[0]:.3f}, {ci[1]:.3f}] (median over "
        f"repeats, bootstrap 95% CI); per repeat {np.round(ours, 3).tolist()}"
    )
    u, uci = s["uno_c"], s["uno_c_ci"]
    print(
        f"  Uno's C {u:.3f} [{uci[0]:.3f}, {uci[1]:.3f}], integrated Brier score "
        f"{s['ibs']:.3f} [{s['ibs_ci'][0]:.3f}, {s['ibs_ci'][1]:.3f}], mean time-dependent "
        f"AUC {s['mean_auc']:.3f}"
    )
    cal = s.get("calibration") or {}
    if cal:
        print(
            f"  calibration at {cal['horizon']:g}: slope {_ci_text(cal, 'slope')}, observed / "
            f"expected events {_ci_text(cal, 'observed_expected')}, observed - predicted "
            f"{_ci_text(cal, 'in_the_large')}, mean absolute error (five groups) "
            f"{_ci_text(cal, 'error')}"
        )
    print(
        f"  by hand (scikit-survival, same outer splits): Harrell's C median "
        f"{np.median(hand):.3f}; per repeat {np.round(hand, 3).tolist()}"
    )
    d = ours - hand
    print(
        f"  radiomix minus by hand: median {np.median(d):+.3f}, mean {d.mean():+.3f} "
        f"(SD {d.std(ddof=1) if d.size > 1 else float('nan'):.3f})"
    )
    print(
        f"  shuffled outcomes ({permutations} permutations): Harrell's C median "
        f"{np.median(null):.3f}, range {min(null):.3f} to {max(null):.3f}"
    )


def _ci_text(m: dict, key: str) -> str:
    lo, hi = m.get(f"{key}_ci") or (float("nan"), float("nan"))
    return f"{m[key]:.3f} [{lo:.3f}, {hi:.3f}]"


def wide(
    cases: int, features: int, repeats: int, permutations: int, jobs: int, comparators: list[str]
) -> None:
    from radiomix.learn.study import run_study
    from radiomix.learn.survival import make_survival_table

    table = make_survival_table(cases, features, 4, effect=0.5, random_state=0)
    cfg = {
        "task": "survival",
        "data": {"time": "time", "event": "event"},
        "comparators": comparators,
        "validation": {"repeats": repeats, "permutations": permutations, "n_jobs": jobs},
    }
    t0 = time.perf_counter()
    c0 = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        res = run_study(table, cfg, out=Path(tmp) / "run", progress=lambda m: print("  ..", m))
    wall = time.perf_counter() - t0
    main_cpu = time.process_time() - c0
    fold_cpu = sum(r.summary.get("cpu_seconds_folds", 0.0) for r in res.runs.values()) + float(
        (res.metrics.get("permutation") or {}).get("cpu_seconds_folds", 0.0)
    )
    print(
        f"synthetic {cases} x {features} (4 informative, {int(table['event'].sum())} events): "
        f"survival study ({repeats} repeats of 5 x 5 nested CV, coxnet "
        f"{'and ' + ', '.join(comparators) if comparators else 'alone'}, {permutations} "
        f"permutations) in {wall:.0f} s wall on "
        f"{jobs} processes; fold CPU {fold_cpu:.0f} s, main process CPU {main_cpu:.0f} s, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    for name, m in res.metrics["models"].items():
        ci = m["harrell_c_ci"]
        print(
            f"  {name}: Harrell's C {m['harrell_c']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}], "
            f"{m['seconds']:.0f} s"
        )
    perm = res.metrics.get("permutation") or {}
    if perm:
        print(f"  permutation check: null Harrell's C {perm['harrell_c']:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--permutations", type=int, default=5)
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--features", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--wide-repeats", type=int, default=1)
    ap.add_argument("--wide-permutations", type=int, default=1)
    ap.add_argument("--comparators", default="", help="e.g. random_survival_forest")
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--skip-wide", action="store_true")
    a = ap.parse_args()
    if not a.skip_real:
        real(a.repeats, a.permutations, a.jobs)
    if not a.skip_wide:
        comps = [c for c in a.comparators.split(",") if c]
        wide(a.cases, a.features, a.wide_repeats, a.wide_permutations, a.jobs, comps)


if __name__ == "__main__":
    main()
