"""The default model ``auto``: a choice among families made inside every training fold."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from radiomix.learn.config import load_study, resolve_model
from radiomix.learn.models import AUTO_FAMILIES, DEFAULT_MODEL, MODELS, get_model
from radiomix.learn.study import run_study
from radiomix.learn.synthetic import make_feature_table, make_nonlinear_table
from radiomix.learn.table import prepare
from radiomix.learn.validation import fit_final, nested_cv

AUTO = MODELS["auto"]
FAST = {"outer_folds": 3, "inner_folds": 3, "repeats": 1, "n_jobs": 1}


def _cv(grid, data, families=()):
    return nested_cv(AUTO.build, grid, data.X, data.y, data.groups, families=families, **FAST)


def _auc(cv) -> float:
    return float(np.median(cv.repeat_auc()))


@pytest.fixture(scope="module")
def nonlinear():
    # two informative features among 20; the label depends on |x| > 1 (either side), so
    # every feature's correlation with it is zero: the Bayes optimum 0.851 is out of reach
    # of a linear model, a forest finds much of it
    synth = make_nonlinear_table(
        "threshold", n_cases=240, n_features=20, n_informative=2, effect=3.0, random_state=1
    )
    return synth, prepare(synth.table, synth.label, positive="malignant")


@pytest.fixture(scope="module")
def nonlinear_auto(nonlinear):
    """auto's nested CV on the non-linear table (shared by two tests: it is the slow part)."""
    return _cv(AUTO.grid, nonlinear[1], AUTO.families)


@pytest.fixture(scope="module")
def linear():
    synth = make_feature_table(
        n_cases=240, n_features=40, n_informative=4, effect=0.8, random_state=0
    )
    return synth, prepare(synth.table, synth.label, positive="malignant")


def test_auto_is_the_default_and_its_families_are_named():
    assert DEFAULT_MODEL == "auto"
    assert load_study({}).primary == "auto"
    assert AUTO.families == ("lr_l2", "lr_l2_mrmr", "random_forest")
    assert len(AUTO.grid) == 3  # one sub-grid per family
    assert "lr_l2_mrmr" in MODELS and get_model("lr_l2_mrmr").families == ()
    # overriding auto's grid leaves one grid of its pipeline: no family to choose
    s = load_study({"models": [{"name": "auto", "grid": {"select__k": [5]}}]})
    spec = resolve_model(s, "auto")
    assert spec.families == () and spec.grid == {"select__k": [5]}
    assert resolve_model(load_study({}), "auto").families == AUTO.families


def test_auto_picks_the_forest_on_a_nonlinear_table(nonlinear, nonlinear_auto):
    synth, data = nonlinear
    assert synth.optimal_auc == pytest.approx(0.851, abs=0.002)
    auto = nonlinear_auto
    forest = _cv(AUTO_FAMILIES["random_forest"], data)
    plain = _cv(AUTO_FAMILIES["lr_l2"], data)
    print(f"nonlinear: auto {_auc(auto):.3f}, forest {_auc(forest):.3f}, LR {_auc(plain):.3f}")
    assert [f.family for f in auto.folds] == ["random_forest"] * 3
    for f in auto.folds:  # the forest's inner AUC beat both linear families'
        assert f.family_scores["random_forest"] == max(f.family_scores.values())
        assert f.inner_score == f.family_scores["random_forest"]
    # the same splits and seeds: auto's folds are the forest's folds
    np.testing.assert_allclose(auto.probability, forest.probability)
    assert _auc(auto) >= 0.75 and _auc(plain) <= 0.6  # measured 0.800 and 0.480
    final = fit_final(AUTO.build, AUTO.grid, data.X, data.y, inner_folds=3, families=AUTO.families)
    assert final.family == "random_forest"
    assert isinstance(final.pipeline.steps[-1][1], RandomForestClassifier)
    # the forest in the grid is a template: never fitted, never seeded by a fit
    template = AUTO_FAMILIES["random_forest"]["clf"][0]
    assert not hasattr(template, "estimators_") and template.random_state is None


def test_auto_picks_a_linear_model_on_a_linear_table(linear):
    synth, data = linear
    auto = _cv(AUTO.grid, data, AUTO.families)
    single = {name: _auc(_cv(AUTO_FAMILIES[name], data)) for name in ("lr_l2", "lr_l2_mrmr")}
    print(f"linear: auto {_auc(auto):.3f}, linear families {single}")
    assert {f.family for f in auto.folds} <= {"lr_l2", "lr_l2_mrmr"}
    assert _auc(auto) >= max(single.values()) - 0.03
    assert _auc(auto) >= synth.optimal_auc - 0.1
    final = fit_final(AUTO.build, AUTO.grid, data.X, data.y, inner_folds=3, families=AUTO.families)
    assert final.family in ("lr_l2", "lr_l2_mrmr")
    assert isinstance(final.pipeline.steps[-1][1], LogisticRegression)


def test_the_choice_never_sees_the_outer_test_fold(nonlinear, nonlinear_auto):
    # Replace the features of one outer test fold by a strong linear signal: that fold's
    # choice (family, hyper-parameters, inner scores, threshold) must not move, since it is
    # made on the training part alone; only its test predictions change. The splits depend
    # on the labels only, so they are the same in both runs.
    _, data = nonlinear
    before = nonlinear_auto
    test = before.folds[0].test_index
    X = data.X.copy()
    rng = np.random.default_rng(0)
    X.iloc[test, :5] = rng.normal(size=(test.size, 5)) + 4.0 * data.y[test, None]
    after = nested_cv(AUTO.build, AUTO.grid, X, data.y, families=AUTO.families, **FAST)
    a, b = before.folds[0], after.folds[0]
    np.testing.assert_array_equal(a.test_index, b.test_index)
    assert (a.family, a.family_scores, a.threshold) == (b.family, b.family_scores, b.threshold)
    assert json.dumps(a.best_params, default=repr) == json.dumps(b.best_params, default=repr)
    assert not np.allclose(a.probability, b.probability)
    # the folds that trained on the changed cases did see them (the change is not a no-op)
    assert any(
        f1.family_scores != f2.family_scores
        for f1, f2 in zip(before.folds[1:], after.folds[1:], strict=True)
    )


def test_the_choice_per_fold_is_in_the_study_output(nonlinear, tmp_path):
    synth, _ = nonlinear
    config = {
        "comparators": ["shape_only_lr"],
        "models": [{"name": "shape_only_lr", "grid": {"clf__C": [1.0]}}],
        "validation": {**FAST, "bootstrap": 100, "permutations": 0},
    }
    res = run_study(synth.table, config, label=synth.label, out=tmp_path / "run")
    m = res.metrics["models"]["auto"]
    assert res.metrics["primary"]["model"] == "auto"
    assert m["family_counts"] == {"random_forest": 3}
    assert m["final"]["family"] == "random_forest"
    assert set(m["final"]["family_inner_auc"]) == set(AUTO.families)
    folds = pd.read_csv(tmp_path / "run" / "folds.csv")
    auto = folds[folds["model"] == "auto"]
    assert list(auto["family"]) == ["random_forest"] * 3
    scores = [json.loads(s) for s in auto["family_inner_auc"]]
    assert all(set(s) == set(AUTO.families) for s in scores)
    np.testing.assert_allclose([s["random_forest"] for s in scores], auto["inner_auc"])
    assert folds.loc[folds["model"] == "shape_only_lr", "family"].isna().all()
    assert "family_counts" not in res.metrics["models"]["shape_only_lr"]
