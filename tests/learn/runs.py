"""Small study runs shared by the learn and report tests (built once per session)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from radiomix.learn.study import StudyResult, run_study
from radiomix.learn.synthetic import SyntheticTable, make_feature_table

#: a fast study: small grids, 3 x 3 folds, 2 repeats, 3 permutations, 300 bootstrap resamples
FAST_STUDY: dict[str, Any] = {
    "name": "synthetic-test",
    "primary": "lr_l2_mrmr",
    "comparators": ["shape_only_lr", "random_forest"],
    "validation": {
        "outer_folds": 3,
        "inner_folds": 3,
        "repeats": 2,
        "permutations": 3,
        "bootstrap": 300,
        "n_jobs": 1,
    },
    "models": [
        {"name": "lr_l2_mrmr", "grid": {"select__k": [3, 6], "clf__C": [0.1, 1.0]}},
        {"name": "shape_only_lr", "grid": {"clf__C": [1.0]}},
        {
            "name": "random_forest",
            "grid": {"clf__min_samples_leaf": [3]},
            "params": {"clf__n_estimators": 40},
        },
    ],
}


def synthetic(seed: int = 0, n_cases: int = 120, **kw: Any) -> SyntheticTable:
    """A table with 4 informative features (1 of them a shape feature) among 40."""
    args = {
        "n_cases": n_cases,
        "n_features": 40,
        "n_informative": 4,
        "n_shape": 6,
        "n_shape_informative": 1,
        "effect": 1.0,
        "prevalence": 0.4,
        "random_state": seed,
    }
    args.update(kw)
    return make_feature_table(**args)


def make_run(folder: Path) -> tuple[StudyResult, SyntheticTable, Path]:
    """Write the synthetic table (CSV) and run the fast study on it into ``folder/run``."""
    synth = synthetic(0)
    table = folder / "features.csv"
    synth.table.to_csv(table, index=False)
    res = run_study(table, FAST_STUDY, label="diagnosis", out=folder / "run")
    return res, synth, folder / "run"
