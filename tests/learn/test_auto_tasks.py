"""``auto`` for several classes, a numeric outcome and a time to an event: the family is
chosen by the task's inner score inside every outer training fold, recorded per fold, and a
run is reproduced bit for bit by its seed."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import BaggingRegressor, RandomForestRegressor
from sklearn.tree import ExtraTreeRegressor

from radiomix.learn.config import load_study, resolve_model
from radiomix.learn.models import (
    AUTO_FAMILIES,
    DEFAULT_MODEL,
    MULTICLASS_MODELS,
    REGRESSION_AUTO_FAMILIES,
    REGRESSION_MODELS,
)
from radiomix.learn.study import run_study
from radiomix.learn.survival import (
    SURVIVAL_AUTO_FAMILIES,
    SURVIVAL_MODELS,
    harrell_c,
    make_survival_table,
)
from radiomix.learn.synthetic import (
    make_multiclass_table,
    make_regression_table,
    threshold_signal,
)
from radiomix.learn.task_cv import fit_final_task, nested_cv_task
from radiomix.learn.tasks import Task, get_task

FAST = {"outer_folds": 3, "inner_folds": 3, "repeats": 1, "n_jobs": 1}
LINEAR = {
    "multiclass": {"lr_l2", "lr_l2_mrmr"},
    "regression": {"ridge", "ridge_mrmr"},
    "survival": {"coxnet"},
}
TREES = {
    "multiclass": {"random_forest"},
    "regression": {"random_forest"},
    "survival": {"random_survival_forest", "gradient_boosting_survival"},
}
FAMILIES = {
    "multiclass": AUTO_FAMILIES,
    "regression": REGRESSION_AUTO_FAMILIES,
    "survival": SURVIVAL_AUTO_FAMILIES,
}


def table(task_name: str, signal: str, random_state: int = 1) -> tuple[pd.DataFrame, Any, Task]:
    """Features, target and configured task of a small synthetic table: 3 informative
    features among 20, their signal linear or beyond one SD either way (``threshold``)."""
    task = get_task(task_name)
    if task_name == "multiclass":
        effect = 1.0 if signal == "linear" else 1.5
        s = make_multiclass_table(
            n_cases=240, n_features=20, n_informative=3, effect=effect,
            random_state=random_state, signal=signal,
        )  # fmt: skip
        y, coding = task.encode(s.table[s.label], s.label)
        X = s.table.drop(columns=["case_id", "roi", s.label])
    elif task_name == "regression":
        s = make_regression_table(
            n_cases=200, n_features=20, n_informative=3, random_state=random_state, signal=signal
        )
        y, coding = task.encode(s.table[s.label], s.label)
        X = s.table.drop(columns=["case_id", "roi", s.label])
    else:
        effect = 0.6 if signal == "linear" else 0.8
        f = make_survival_table(200, 20, 3, effect=effect, random_state=random_state, signal=signal)
        y, coding = task.encode_survival(f["time"], f["event"], "time", "event")
        X = f.drop(columns=["case_id", "time", "event"])
    return X, y, task.configure(coding)


def auto_cv(task: Task, X: pd.DataFrame, y: Any, **kw: Any) -> Any:
    auto = task.models["auto"]
    return nested_cv_task(
        task, auto.build, auto.grid, X, y, families=auto.families, **{**FAST, **kw}
    )


def pooled(cv: Any) -> float:
    return float(np.median(cv.repeat_scores()))


_RUNS: dict[tuple[str, str], tuple[Any, ...]] = {}


def run(task_name: str, signal: str) -> tuple[Any, ...]:
    """(X, y, task, auto's nested CV) of a table, computed once per module."""
    key = (task_name, signal)
    if key not in _RUNS:
        X, y, task = table(task_name, signal)
        _RUNS[key] = (X, y, task, auto_cv(task, X, y))
    return _RUNS[key]


# ------------------------------------------------------------------ the models


def test_every_task_has_auto_with_named_families():
    assert MULTICLASS_MODELS["auto"].families == ("lr_l2", "lr_l2_mrmr", "random_forest")
    assert REGRESSION_MODELS["auto"].families == ("ridge", "ridge_mrmr", "random_forest")
    assert SURVIVAL_MODELS["auto"].families == (
        "coxnet",
        "random_survival_forest",
        "gradient_boosting_survival",
    )
    for name in ("multiclass", "regression", "survival"):
        spec = get_task(name).models["auto"]
        assert len(spec.grid) == len(spec.families) == len(FAMILIES[name])
        probe = spec.build()  # every sub-grid's keys name steps of the one pipeline
        steps = {n for n, _ in probe.steps}
        for part in spec.grid:
            assert {k.partition("__")[0] for k in part} <= steps
    # the defaults: auto for several classes and a number, coxnet for a time to an event
    assert load_study({"task": "multiclass"}).primary == DEFAULT_MODEL == "auto"
    assert load_study({"task": "regression"}).primary == "auto"
    assert load_study({"task": "survival", "data": {"time": "t", "event": "e"}}).primary == (
        "coxnet"
    )
    s = load_study({"task": "survival", "primary": "auto", "data": {"time": "t", "event": "e"}})
    assert resolve_model(s, "auto").families == SURVIVAL_MODELS["auto"].families
    # the survival forest's sub-grid is random_survival_forest's model and grid
    rsf = SURVIVAL_AUTO_FAMILIES["random_survival_forest"]
    assert rsf["select__k"] == [100] and rsf["clf__min_samples_leaf"] == [3, 10]
    assert SURVIVAL_MODELS["coxnet"].grid == SURVIVAL_AUTO_FAMILIES["coxnet"]


def test_threshold_signal_is_invisible_to_a_linear_model():
    Z = np.random.default_rng(0).normal(size=(200_000, 3))
    s = threshold_signal(Z)
    assert abs(s.mean()) < 0.01 and s.var() == pytest.approx(3.0, rel=0.02)
    assert np.abs([np.corrcoef(s, Z[:, j])[0, 1] for j in range(3)]).max() < 0.01
    with pytest.raises(ValueError, match="unknown signal"):
        make_regression_table(signal="quadratic")
    # the linear tables are those drawn before the signal keyword existed
    a = make_regression_table(n_cases=50, random_state=2)
    b = make_regression_table(n_cases=50, random_state=2, signal="linear")
    pd.testing.assert_frame_equal(a.table, b.table)


# ------------------------------------------------------------------ the choice


@pytest.mark.parametrize("task_name", ["multiclass", "regression", "survival"])
def test_a_linear_family_wins_on_a_linear_table(task_name):
    cv = run(task_name, "linear")[3]
    chosen = [f.family for f in cv.folds]
    print(task_name, "linear:", chosen, f"{pooled(cv):.3f}")
    assert set(chosen) <= LINEAR[task_name]
    for f in cv.folds:  # the winner's inner score is its family's best, and the best of all
        assert f.inner_score == f.family_scores[f.family] == max(f.family_scores.values())
    # measured: multiclass 0.703, regression 0.701, survival 0.680
    floor = {"multiclass": 0.65, "regression": 0.6, "survival": 0.63}[task_name]
    assert pooled(cv) > floor


@pytest.mark.parametrize("task_name", ["multiclass", "regression", "survival"])
def test_a_tree_family_wins_on_a_threshold_table(task_name):
    X, y, task, cv = run(task_name, "threshold")
    chosen = [f.family for f in cv.folds]
    assert set(chosen) <= TREES[task_name]
    for f in cv.folds:
        best_linear = max(f.family_scores[k] for k in LINEAR[task_name])
        assert f.family_scores[f.family] > best_linear + 0.05
    # every linear family alone is near chance on this table; auto is well above it
    lin = {
        name: pooled(nested_cv_task(task, task.models["auto"].build, FAMILIES[task_name][name],
                                    X, y, **FAST))
        for name in LINEAR[task_name]
    }  # fmt: skip
    print(task_name, "threshold:", chosen, f"auto {pooled(cv):.3f}", lin)
    chance = task.chance
    # measured: multiclass 0.766 vs LR 0.58; regression 0.272 vs ridge <= -0.07;
    # survival 0.707 vs coxnet 0.56
    margin = {"multiclass": 0.1, "regression": 0.15, "survival": 0.1}[task_name]
    assert pooled(cv) > chance + margin
    assert pooled(cv) > max(lin.values()) + margin


def test_auto_equals_its_family_alone_when_every_fold_chose_it():
    """Same splits, same seeds: the forest's outputs, fold by fold (several classes and a
    number; a time to an event in the next test)."""
    for task_name in ("multiclass", "regression"):
        X, y, task, cv = run(task_name, "threshold")
        assert {f.family for f in cv.folds} == {"random_forest"}
        alone = nested_cv_task(
            task, task.models["auto"].build, FAMILIES[task_name]["random_forest"], X, y, **FAST
        )
        np.testing.assert_array_equal(cv.output, alone.output)
        assert [f.best_params["clf__min_samples_leaf"] for f in cv.folds] == [
            f.best_params["clf__min_samples_leaf"] for f in alone.folds
        ]


def test_survival_folds_share_one_risk_scale():
    """Folds that chose different families pool their risks: each fold's risk is the
    cumulative hazard summed over the grid times, the Cox models' ranking unchanged."""
    X, y, task, cv = run("survival", "threshold")
    ev, t = np.asarray(y["event"]), np.asarray(y["time"])
    H = len(task.horizons)
    out = cv.output[0]
    hazard = -np.log(out[:, 1 + H :]).sum(axis=1)
    np.testing.assert_allclose(out[:, 0], hazard, rtol=1e-12)
    # the fold's native risk ranks its cases the same way (Cox-type) or nearly (the forest)
    auto = task.models["auto"]
    for f in cv.folds:
        i = f.test_index
        native = nested_cv_task(
            task, auto.build, FAMILIES["survival"][f.family], X, y, **FAST
        ).output[0][i, 0]
        one = np.ones((1, i.size))
        c_native = harrell_c(one, ev[i], t[i], native)[0]
        c_auto = harrell_c(one, ev[i], t[i], out[i, 0])[0]
        tol = 1e-12 if f.family != "random_survival_forest" else 0.02
        assert c_auto == pytest.approx(c_native, abs=tol)
    # measured: 0.707 pooled; each family's own risk, pooled over mixed folds, gave 0.620
    assert pooled(cv) > 0.66


@pytest.mark.parametrize("task_name", ["multiclass", "regression", "survival"])
def test_the_choice_never_sees_the_outer_test_fold(task_name):
    # Replace the features of one outer test fold: that fold's choice (family,
    # hyper-parameters, inner scores) must not move, only its test outputs; the folds that
    # trained on the changed cases see them. The splits depend on the target only.
    X, y, task, before = run(task_name, "threshold")
    test = before.folds[0].test_index
    X2 = X.copy()
    X2.iloc[test] = np.random.default_rng(0).normal(size=(test.size, X.shape[1]))
    after = auto_cv(task, X2, y)
    a, b = before.folds[0], after.folds[0]
    np.testing.assert_array_equal(a.test_index, b.test_index)
    assert (a.family, a.family_scores, a.inner_score) == (b.family, b.family_scores, b.inner_score)
    assert json.dumps(a.best_params, default=repr) == json.dumps(b.best_params, default=repr)
    assert not np.allclose(a.output, b.output)
    assert any(
        f1.family_scores != f2.family_scores
        for f1, f2 in zip(before.folds[1:], after.folds[1:], strict=True)
    )


# ------------------------------------------------------------------ seeds


@pytest.mark.parametrize("task_name", ["regression", "survival"])
def test_the_seed_reproduces_a_run_bit_for_bit(task_name):
    """The forests (and the boosting's subsamples) that a grid puts in the pipeline get the
    run's seed: the same seed gives the same numbers, another seed other numbers."""
    X, y, task, cv = run(task_name, "threshold")
    again = auto_cv(task, X, y)
    np.testing.assert_array_equal(cv.output, again.output)
    assert [f.family_scores for f in cv.folds] == [f.family_scores for f in again.folds]
    other = auto_cv(task, X, y, random_state=1)
    assert not np.array_equal(cv.output, other.output)
    auto = task.models["auto"]
    fits = [
        fit_final_task(task, auto.build, auto.grid, X, y, inner_folds=3, families=auto.families)
        for _ in range(2)
    ]
    assert fits[0].family == fits[1].family and fits[0].family in TREES[task_name]
    assert fits[0].family_scores == fits[1].family_scores
    np.testing.assert_array_equal(
        task.output(fits[0].pipeline, X, 0), task.output(fits[1].pipeline, X, 0)
    )
    last = fits[0].pipeline.steps[-1][1]
    assert isinstance(last.random_state, int)
    # the templates in the grid are never fitted nor seeded
    for part in auto.grid:
        for value in part.get("clf", []):
            if hasattr(value, "get_params"):
                assert value.random_state is None and not hasattr(value, "estimators_")


def test_nested_estimators_in_a_grid_are_seeded_too():
    """A grid value holding estimators inside estimators (bagged randomised trees): every
    unset random_state inside it gets the run's seed, and a second run is identical; the
    number of processes changes nothing."""
    X, y, task = table("regression", "threshold")
    grid = {
        "decorr": ["passthrough"],
        "select": ["passthrough"],
        "clf": [BaggingRegressor(ExtraTreeRegressor(), n_estimators=8, max_samples=0.7)],
    }
    build = REGRESSION_MODELS["auto"].build
    runs = [nested_cv_task(task, build, grid, X, y, **{**FAST, "n_jobs": n}) for n in (1, 1, 2)]
    np.testing.assert_array_equal(runs[0].output, runs[1].output)
    np.testing.assert_array_equal(runs[0].output, runs[2].output)
    final = fit_final_task(task, build, grid, X, y, inner_folds=3)
    bag = final.pipeline.steps[-1][1]
    assert isinstance(bag.random_state, int) and isinstance(bag.estimator.random_state, int)
    assert grid["clf"][0].random_state is None and grid["clf"][0].estimator.random_state is None
    again = fit_final_task(task, build, grid, X, y, inner_folds=3)
    np.testing.assert_array_equal(final.pipeline.predict(X), again.pipeline.predict(X))
    # a forest placed by the grid is seeded in the fold and in the final fit alike
    forest = {**grid, "clf": [RandomForestRegressor(n_estimators=10)]}
    a, b = (nested_cv_task(task, build, forest, X, y, **FAST) for _ in range(2))
    np.testing.assert_array_equal(a.output, b.output)


# ------------------------------------------------------------------ the run directory


def test_the_choice_per_fold_is_in_the_study_output(tmp_path):
    s = make_regression_table(
        n_cases=200, n_features=20, n_informative=3, random_state=1, signal="threshold"
    )
    config = {
        "task": "regression",
        "comparators": ["ridge_mrmr"],
        "models": [{"name": "ridge_mrmr", "grid": {"select__k": [5], "clf__alpha": [1.0]}}],
        "validation": {**FAST, "bootstrap": 100, "permutations": 0},
    }
    res = run_study(s.table, config, label=s.label, out=tmp_path / "run")
    m = res.metrics["models"]["auto"]
    assert res.metrics["primary"]["model"] == "auto"  # the default of a numeric outcome
    assert m["family_counts"] == {"random_forest": 3}
    assert m["final"]["family"] == "random_forest"
    assert set(m["final"]["family_inner_r2"]) == set(REGRESSION_AUTO_FAMILIES)
    folds = pd.read_csv(tmp_path / "run" / "folds.csv")
    auto = folds[folds["model"] == "auto"]
    assert list(auto["family"]) == ["random_forest"] * 3
    scores = [json.loads(s) for s in auto["family_inner_r2"]]
    np.testing.assert_allclose([s["random_forest"] for s in scores], auto["inner_r2"])
    assert folds.loc[folds["model"] == "ridge_mrmr", "family"].isna().all()
    assert "family_counts" not in res.metrics["models"]["ridge_mrmr"]
    bundle = res.runs["auto"].bundle
    assert isinstance(bundle.pipeline.steps[-1][1], RandomForestRegressor)
    # the explanations read the chosen family's pipeline: tree SHAP of the forest, whose
    # three most important features are the three informative ones
    shap = pd.read_csv(tmp_path / "run" / "shap.csv")
    assert sorted(shap["feature"].head(3)) == sorted(s.informative)
    imp = pd.read_csv(tmp_path / "run" / "importance.csv")
    assert sorted(imp["feature"].head(3)) == sorted(s.informative)
    from radiomix.report import build_report

    page = build_report(tmp_path / "run").read_text()
    assert "family chosen by the outer folds&#x27; inner loops" in page or (
        "family chosen by the outer folds' inner loops" in page
    )
    assert "random_forest 3x" in page


def test_auto_by_name_in_a_survival_study_and_by_default_for_several_classes(tmp_path):
    X, y, _ = table("survival", "threshold")
    frame = X.assign(time=y["time"], event=y["event"].astype(int))
    config = {
        "primary": "auto",
        "comparators": [],
        "data": {"time": "time", "event": "event"},
        "validation": {**FAST, "bootstrap": 100, "permutations": 0},
        "explain": {"importance": False, "shap": False},
    }
    res = run_study(frame, config, out=tmp_path / "surv")
    m = res.metrics["primary"]
    assert m["model"] == "auto" and res.metrics["task"] == "survival"
    assert set(m["family_counts"]) <= TREES["survival"] and sum(m["family_counts"].values()) == 3
    assert m["final"]["family"] in TREES["survival"]
    assert set(m["final"]["family_inner_harrell_c"]) == set(SURVIVAL_AUTO_FAMILIES)
    folds = pd.read_csv(tmp_path / "surv" / "folds.csv")
    assert {"family", "family_inner_harrell_c"} <= set(folds.columns)
    pred = pd.read_csv(tmp_path / "surv" / "predictions.csv")
    # risk groups cut each fold at its training median on the same (shared) scale
    for _, g in pred.groupby("fold"):
        assert ((g["risk"] > g["risk_cutoff"]) == (g["risk_group"] == "high")).all()
        assert 0.25 < (g["risk_group"] == "high").mean() < 0.75
    # several classes, no task given: the label decides, and auto is the primary model
    Xm, ym, _ = table("multiclass", "threshold")
    grades = np.array(["g1", "g2", "g3"])[ym]
    cfg = {
        "comparators": [],
        "validation": {**FAST, "bootstrap": 100, "permutations": 0},
        "explain": {"importance": False, "shap": False},
    }
    said: list[str] = []
    rm = run_study(Xm.assign(grade=grades), cfg, label="grade", progress=said.append)
    assert rm.metrics["task"] == "multiclass" and rm.metrics["primary"]["model"] == "auto"
    assert rm.metrics["primary"]["family_counts"] == {"random_forest": 3}
    assert any("outer folds chose random_forest 3x" in s for s in said)
