"""ComBat harmonisation: the leak, leave-one-site-out recovery, and fit/transform time.

Uses the synthetic tables of ``tests/learn/test_harmonise.py``, over several seeds:

- **leak**: two sites, A about 90 % malignant and B about 10 %, 200 cases, 300 features
  carrying additive and multiplicative site effects and no signal; 5-fold CV AUC of scaling +
  L2 logistic regression after (a) no harmonisation, (b) ComBat fitted on all cases with the
  label as a protected covariate (as neuroCombat is usually run before modelling), (c) ComBat
  fitted on all cases without the label, (d) ComBat inside the folds, (e) ComBat inside the
  folds protecting the label;
- **leave-one-site-out**: four sites of 80 cases (about 50 % positive each), 40 features of
  which 8 carry a 0.7 SD signal; each site shifts every feature by N(0, 2) SDs and scales its
  spread by U(0.4, 2.5); pooled out-of-site AUC with no site effects / with them / with ComBat
  inside the folds (the held-out site estimated from its own rows);
- **leave-one-site-out, label mix**: the same with sites 20 / 40 / 60 / 80 % positive (the
  held-out site's label mix is removed with its site effect);
- **label mix**: the same four sites, 20 / 40 / 60 / 80 % positive, 5-fold CV AUC with no
  site effects / with them / ComBat in the folds / ComBat in the folds protecting the label;
- **time**: ComBat fit and transform on a 1,000-case x 1,000-feature table of 4 sites.

    .venv/bin/python benchmarks/bench_harmonise.py [--seeds 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.learn.test_harmonise import four_sites, leak_aucs, loso_aucs, prevalence_aucs

from radiomix.learn.harmonise import ComBat


def _table(rows: dict[str, list[float]]) -> None:
    width = max(len(k) for k in rows)
    for name, values in rows.items():
        v = np.asarray(values)
        print(
            f"  {name:{width}s}  mean {v.mean():.3f}  (min {v.min():.3f}, max {v.max():.3f})  "
            + " ".join(f"{x:.3f}" for x in v)
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    seeds = range(args.seeds)

    leak: dict[str, list[float]] = {}
    for seed in seeds:
        for k, v in leak_aucs(seed).items():
            leak.setdefault(k, []).append(v)
    print(f"The leak: confounded sites, no signal, 5-fold CV AUC over seeds {list(seeds)}")
    _table(leak)

    loso: dict[str, list[float]] = {}
    for seed in seeds:
        for k, v in loso_aucs(seed).items():
            loso.setdefault(k, []).append(v)
    print(f"\nLeave-one-site-out, four sites, pooled AUC over seeds {list(seeds)}")
    _table(loso)
    cost = np.asarray(loso["no site effects"]) - np.asarray(loso["site effects"])
    back = np.asarray(loso["site effects + ComBat in folds"]) - np.asarray(loso["site effects"])
    print(f"  share of the cost recovered by ComBat: {np.round(back / cost, 2).tolist()}")

    loso_mix: dict[str, list[float]] = {}
    for seed in seeds:
        for k, v in loso_aucs(seed, prevalence=(0.2, 0.4, 0.6, 0.8)).items():
            loso_mix.setdefault(k, []).append(v)
    print(f"\nLeave-one-site-out, sites 20/40/60/80 % positive, over seeds {list(seeds)}")
    _table(loso_mix)

    mix: dict[str, list[float]] = {}
    for seed in seeds:
        for k, v in prevalence_aucs(seed).items():
            mix.setdefault(k, []).append(v)
    print(f"\nFour sites 20/40/60/80 % positive, 5-fold CV AUC over seeds {list(seeds)}")
    _table(mix)

    df, _ = four_sites(0, n_per_site=250, p=1000)
    train, test = df[df.site != "s4"], df[df.site == "s4"]
    model = ComBat(batch="site")
    t0 = time.perf_counter()
    model.fit(df)
    t1 = time.perf_counter()
    model.transform(df)
    t2 = time.perf_counter()
    model.fit(train)
    t3 = time.perf_counter()
    model.transform(test)  # an unseen site: estimated at transform time
    t4 = time.perf_counter()
    print(
        f"\nTime, 1,000 cases x 1,000 features, 4 sites: fit {t1 - t0:.2f} s, "
        f"transform {t2 - t1:.2f} s; fit on 3 sites {t3 - t2:.2f} s, "
        f"transform of the unseen 4th {t4 - t3:.2f} s"
    )


if __name__ == "__main__":
    import warnings

    from radiomix.learn.harmonise import UnseenBatchWarning

    warnings.simplefilter("ignore", UnseenBatchWarning)
    main()
