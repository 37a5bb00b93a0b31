"""How long one case's explanation takes: :func:`radiomix.learn.explain.contributions`.

The web app explains every prediction with ``contributions``: exact tree SHAP values for a
forest or gradient boosting, occlusion against up to 50 training cases for other non-linear
models. This fits the forest family of the default ``auto`` model (its 200 trees,
``min_samples_leaf`` 1, on the standardised features) and the ``gradient_boosting`` model on
a BUSI-like table and times ``contributions`` for single cases, tree SHAP and (for the
forest, as a reference) the occlusion attribution the app used before.

Table: ``--busi-table`` names a ``features.csv`` written by ``radiomix study busi`` (633
images x 196 features); without it a synthetic table of 633 cases x 196 features
(:func:`~radiomix.learn.synthetic.make_feature_table`).

    .venv/bin/python benchmarks/bench_explain.py [--busi-table runs/busi/features.csv]
        [--cases 30]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import pandas as pd

from radiomix.learn.explain import _occlusion, contributions
from radiomix.learn.models import AUTO_FAMILIES, get_model
from radiomix.learn.synthetic import make_feature_table
from radiomix.learn.table import prepare


def _table(path: str | None) -> tuple[pd.DataFrame, np.ndarray, str]:
    if path:
        table = pd.read_csv(path, dtype={"case_id": str})
        data = prepare(
            table, "outcome", positive=1, group="group", id_columns=("case_id", "roi", "n_masks")
        )
        return data.X, data.y, f"BUSI ({path})"
    synth = make_feature_table(n_cases=633, n_features=196, n_informative=8, random_state=1)
    feats = [c for c in synth.table.columns if c.startswith("original_")]
    y = (synth.table[synth.label] == "malignant").to_numpy(np.int64)
    return synth.table[feats], y, "synthetic (make_feature_table)"


def _forest() -> Any:
    pipe = get_model("auto").build()
    fam = AUTO_FAMILIES["random_forest"]
    return pipe.set_params(
        decorr="passthrough",
        select="passthrough",
        clf=fam["clf"][0],
        clf__min_samples_leaf=1,
        clf__random_state=0,
    )


def _time(fn: Any, n: int) -> tuple[float, float]:
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e3), float(np.percentile(times, 95) * 1e3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--busi-table", default=None)
    ap.add_argument("--cases", type=int, default=30)
    args = ap.parse_args()
    X, y, name = _table(args.busi_table)
    print(f"table: {name}, {X.shape[0]} cases x {X.shape[1]} features")
    n = min(args.cases, len(X))
    for label, pipe in (("auto's forest (200 trees)", _forest()), ("gradient_boosting", None)):
        pipe = pipe if pipe is not None else get_model("gradient_boosting").build()
        t0 = time.perf_counter()
        pipe.fit(X, y)
        fit = time.perf_counter() - t0
        contributions(pipe, X.iloc[[0]], background=X)  # imports shap once

        def shap_case(i: int, pipe: Any = pipe) -> None:
            contributions(pipe, X.iloc[[i]], background=X)

        med, p95 = _time(shap_case, n)
        _, info = contributions(pipe, X.iloc[[0]], background=X)
        print(
            f"{label}: fit {fit:.1f} s; contributions ({info['explanation_scale']}, "
            f"{info['explanation_method'].split(':')[0]}): median {med:.1f} ms, p95 {p95:.1f} ms "
            f"over {n} cases"
        )
        if label.startswith("auto"):

            def occlusion_case(i: int, pipe: Any = pipe) -> None:
                _occlusion(pipe, X.iloc[[i]], X, 50)

            med, p95 = _time(occlusion_case, min(n, 10))
            print(
                f"  the occlusion attribution (50 training cases): median {med:.1f} ms, "
                f"p95 {p95:.1f} ms"
            )


if __name__ == "__main__":
    main()
