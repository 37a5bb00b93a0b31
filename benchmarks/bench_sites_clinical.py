"""Multi-site and clinical studies through ``radiomix train``'s engine (run_study).

1. Leave-one-site-out on four synthetic sites with scanner effects (80 cases each, 40
   features of which 8 carry a 0.7 SD signal; tests/learn/test_harmonise.py::four_sites):
   pooled out-of-site AUC of the default model (lr_l2_mrmr, its full grid) without site
   effects, with them, and with ``--harmonise site`` (ComBat inside the folds).
2. ``--clinical age,stage --compare clinical,radiomics,combined`` on a table where age and
   a text stage carry most of the signal and two of 20 radiomic features a weaker one
   (tests/learn/test_clinical.py::clinical_table, 240 cases), 5 x 5 nested CV, 3 repeats.
3. ``--harmonise-covariates``: three sites whose patients differ in age (means 45, 60, 72)
   and stage mix, the label following age, six of 12 features rising with age plus scanner
   effects (tests/learn/test_harmonise_covariates.py::aged_sites, 210 cases); radiomic
   features only, 3 x 3 nested CV, 5 repeats: no ComBat / ComBat / ComBat protecting age
   and stage / protecting age.

Run: ``python benchmarks/bench_sites_clinical.py [--seeds 5] [--parts sites,compare,covariates]``
(from the repository root).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.learn.test_clinical import clinical_table
from tests.learn.test_harmonise import four_sites
from tests.learn.test_harmonise_covariates import FAST, aged_sites

from radiomix.learn.study import run_study


def site_table(effects: bool, seed: int):
    df, y = four_sites(seed, effects=effects)
    df = df.copy()
    df["label"] = y
    df.insert(0, "case_id", [f"c{i}" for i in range(len(df))])
    return df


BASE = {
    "primary": "lr_l2_mrmr",
    "comparators": [],
    "validation": {"inner_folds": 3, "permutations": 0, "bootstrap": 0, "n_jobs": 2},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--parts", default="sites,compare,covariates")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    if "sites" in parts:
        sites(args.seeds)
    if "compare" in parts:
        compare(args.seeds)
    if "covariates" in parts:
        covariates(args.seeds)


def sites(seeds: int) -> None:
    rows: dict[str, list[float]] = {}
    secs: dict[str, list[float]] = {}
    for seed in range(seeds):
        for name, effects, harm in (
            ("no site effects", False, None),
            ("site effects", True, None),
            ("site effects + --harmonise site", True, "site"),
        ):
            cfg = {
                **BASE,
                "validation": {**BASE["validation"], "scheme": "leave-one-group-out"},
                "data": {
                    "label": "label",
                    "group": "site",
                    **({"harmonise": harm} if harm else {}),
                },
            }
            t0 = time.perf_counter()
            r = run_study(site_table(effects, seed), cfg)
            secs.setdefault(name, []).append(time.perf_counter() - t0)
            rows.setdefault(name, []).append(r.metrics["primary"]["auc"])
    print(f"Leave-one-site-out, pooled AUC over seeds 0..{seeds - 1}")
    for k, v in rows.items():
        a = np.asarray(v)
        print(
            f"  {k:34s} mean {a.mean():.3f} ({a.min():.3f}-{a.max():.3f})  "
            + " ".join(f"{x:.3f}" for x in a)
            + f"   {np.mean(secs[k]):.1f} s per study"
        )
    cost = np.asarray(rows["no site effects"]) - np.asarray(rows["site effects"])
    back = np.asarray(rows["site effects + --harmonise site"]) - np.asarray(rows["site effects"])
    print(f"  share recovered: {np.round(back / cost, 2).tolist()}")


def compare(seeds: int) -> None:
    comp: dict[str, list[float]] = {}
    t_all = []
    for seed in range(seeds):
        cfg = {
            **BASE,
            "validation": {**BASE["validation"], "outer_folds": 5, "repeats": 3, "bootstrap": 500},
            "data": {"label": "label", "clinical": ["age", "stage"]},
            "compare": ["clinical", "radiomics", "combined"],
        }
        t0 = time.perf_counter()
        r = run_study(clinical_table(seed), cfg)
        t_all.append(time.perf_counter() - t0)
        for k, m in r.metrics["models"].items():
            comp.setdefault(f"AUC {k}", []).append(m["auc"])
        for k, c in r.metrics["compare"].items():
            comp.setdefault(f"{k}: delta AUC", []).append(c["delta_auc"])
            comp.setdefault(f"{k}: DeLong p", []).append(c["delong_p"])
            comp.setdefault(f"{k}: NRI", []).append(c["nri"])
    print(f"\n--compare clinical,radiomics,combined over seeds 0..{seeds - 1}")
    for k, v in comp.items():
        a = np.asarray(v)
        print(f"  {k:38s} mean {a.mean():.3g}  " + " ".join(f"{x:.3g}" for x in a))
    print(f"  {np.mean(t_all):.1f} s per study (three models, 3 x 5 x 3 folds)")


def covariates(seeds: int) -> None:
    variants = {
        "no ComBat": {"exclude": ["age", "stage"]},
        "--harmonise site": {"harmonise": "site", "exclude": ["age", "stage"]},
        "+ --harmonise-covariates age,stage": {
            "harmonise": "site",
            "harmonise_covariates": ["age", "stage"],
        },
        "+ --harmonise-covariates age": {"harmonise": "site", "harmonise_covariates": ["age"]},
    }
    rows: dict[str, list[float]] = {}
    secs: list[float] = []
    for seed in range(seeds):
        df = aged_sites(seed=seed)
        for name, data in variants.items():
            cfg = {
                **FAST,
                "validation": {**FAST["validation"], "repeats": 5},
                "data": {"label": "label", **data},
            }
            t0 = time.perf_counter()
            r = run_study(df, cfg)
            secs.append(time.perf_counter() - t0)
            rows.setdefault(name, []).append(r.metrics["primary"]["auc"])
    print(f"\nComBat covariates (radiomic features only), AUC over seeds 0..{seeds - 1}")
    for k, v in rows.items():
        a = np.asarray(v)
        print(
            f"  {k:36s} mean {a.mean():.3f} ({a.min():.3f}-{a.max():.3f})  "
            + " ".join(f"{x:.3f}" for x in a)
        )
    print(f"  {np.mean(secs):.1f} s per study")


if __name__ == "__main__":
    main()
