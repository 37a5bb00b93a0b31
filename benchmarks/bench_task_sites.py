"""Leave-one-group-out and ``--compare`` beyond two classes, over several seeds.

1. Regression, four sites of 50 cases, 20 features: outcome 10 + 3 (f00 + f01 + f02 + 0.5 e)
   except at site s4 (10 + 3 (-f00 + f01 + 0.5 e)); leave-one-site-out R² pooled, of s4 and
   of the other sites; the same on pure noise (tests/learn/test_task_logo.py).
2. Regression with scanner effects (every site the same relation): leave-one-site-out R²
   without and with ``--harmonise site``.
3. Survival, four sites of 60 cases, two informative features of 20 (and none): pooled and
   per-site Harrell's C, leave-one-site-out.
4. Survival ``--clinical age,stage --compare clinical,radiomics,combined`` on 240 cases
   (tests/learn/test_survival_compare.py): C difference combined - clinical and its paired
   bootstrap interval, and the continuous NRI at the middle horizon with its interval,
   where two radiomic features add to the hazard and where none does.

Run: ``python benchmarks/bench_task_sites.py [--seeds 5] [--parts 1,2,3,4]`` (from the
repository root).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.learn.test_survival_compare import STUDY, clinical_survival
from tests.learn.test_task_logo import COXNET, RIDGE, regression_sites, survival_sites

from radiomix.learn.study import run_study


def _span(values: list[float]) -> str:
    a = np.asarray(values, dtype=float)
    return f"{a.mean():.3f} ({a.min():.3f} to {a.max():.3f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--parts", default="1,2,3,4", help="which parts to run (default: all)")
    args = ap.parse_args()
    seeds = range(args.seeds)
    parts = {int(p) for p in args.parts.split(",") if p.strip()}
    t0 = time.perf_counter()
    if 1 in parts:
        _regression_sites(seeds)
    if 2 in parts:
        _scanner_effects(seeds)
    if 3 in parts:
        _survival_sites(seeds)
    if 4 in parts:
        _survival_compare(seeds)
    print(f"{time.perf_counter() - t0:.0f} s")


def _regression_sites(seeds: range) -> None:

    pooled, s4, others, noise, noise_max = [], [], [], [], []
    for s in seeds:
        pm = run_study(regression_sites(s), RIDGE).metrics["primary"]
        r2 = {r["group"]: r["r2"] for r in pm["per_group"]}
        pooled.append(pm["r2"])
        s4.append(r2["s4"])
        others.append(float(np.mean([r2[k] for k in ("s1", "s2", "s3")])))
        pn = run_study(regression_sites(s, noise=True), RIDGE).metrics["primary"]
        noise.append(pn["r2"])
        noise_max.append(max(r["r2"] for r in pn["per_group"]))
    print("1. regression, leave-one-site-out, mean (range) over seeds")
    print(f"   pooled R² {_span(pooled)}; s4 (other relation) {_span(s4)}; s1-s3 {_span(others)}")
    print(f"   noise: pooled R² {_span(noise)}; best site {_span(noise_max)}")


def _scanner_effects(seeds: range) -> None:
    raw, harm = [], []
    for s in seeds:
        df = regression_sites(s, shifted=None, effects=True)
        raw.append(run_study(df, RIDGE).metrics["primary"]["r2"])
        cfg = {**RIDGE, "data": {**RIDGE["data"], "harmonise": "site"}}
        harm.append(run_study(df, cfg).metrics["primary"]["r2"])
    print(f"2. scanner effects: R² {_span(raw)} without ComBat, {_span(harm)} with")


def _survival_sites(seeds: range) -> None:
    for effect in (1.0, 0.0):
        cs, lo, hi = [], [], []
        for s in seeds:
            pm = run_study(survival_sites(seed=s, effect=effect), COXNET).metrics["primary"]
            per = [r["harrell_c"] for r in pm["per_group"]]
            cs.append(pm["harrell_c"])
            lo.append(min(per))
            hi.append(max(per))
        what = "signal" if effect else "noise"
        print(
            f"3. survival {what}: pooled C {_span(cs)}; worst site {_span(lo)}; best site "
            f"{_span(hi)}"
        )


def _where(lo: np.ndarray, hi: np.ndarray) -> str:
    above, below = int((lo > 0).sum()), int((hi < 0).sum())
    return f"CI above 0 in {above}, below 0 in {below}, covering 0 in {lo.size - above - below}"


def _survival_compare(seeds: range) -> None:
    for rad in (0.6, 0.0):
        rows = []
        for s in seeds:
            c = run_study(clinical_survival(s, rad=rad), STUDY).metrics["compare"]
            m = c["combined_vs_clinical"]
            rows.append(
                (
                    m["delta_c"],
                    *m["delta_c_ci"],
                    m["nri"],
                    *m["nri_ci"],
                    m["nri_events"],
                    m["nri_nonevents"],
                )
            )
        a = np.asarray(rows)
        print(
            f"4. compare, radiomic effect {rad} (of {len(rows)}): combined - clinical C "
            f"{_span(list(a[:, 0]))}, {_where(a[:, 1], a[:, 2])}; NRI {_span(list(a[:, 3]))}, "
            f"{_where(a[:, 4], a[:, 5])}"
        )
        for d, lo_, hi_, nri, nlo, nhi, ne, nn in rows:
            print(
                f"   C {d:+.3f} [{lo_:+.3f}, {hi_:+.3f}]; NRI {nri:+.2f} [{nlo:+.2f}, "
                f"{nhi:+.2f}] (events {ne:+.2f}, non-events {nn:+.2f})"
            )


if __name__ == "__main__":
    main()
