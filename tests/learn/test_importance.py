"""Permutation importance on the outer folds, SHAP values, ModelBundle.explain, the report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from radiomix.errors import ConfigError, DataError
from radiomix.learn.bundle import ModelBundle
from radiomix.learn.config import load_study
from radiomix.learn.explain import (
    SCALE_OVR,
    SCALE_SOFTMAX,
    ClassShapExplanation,
    ShapExplanation,
    contributions,
    shap_explanation,
)
from radiomix.learn.importance import aggregate, fold_importance, permuted_columns
from radiomix.learn.metrics import roc_auc
from radiomix.learn.models import get_model
from radiomix.learn.study import run_study
from radiomix.learn.validation import nested_cv
from tests.learn.runs import synthetic


def _proba(pipe, X):
    return pipe.predict_proba(X)[:, 1]


@pytest.fixture(scope="module")
def two_signals():
    """240 cases, 20 features of which exactly 2 carry the signal."""
    synth = synthetic(
        3, n_cases=240, n_features=20, n_informative=2, n_shape_informative=0, effect=1.5
    )
    t = synth.table
    feats = [c for c in t.columns if c.startswith("original_")]
    y = (t["diagnosis"] == "malignant").to_numpy().astype(int)
    return t, t[feats], y, sorted(synth.informative)


# ------------------------------------------------------------- permutation importance


def test_fold_importance_by_hand():
    """A fixed logistic model on 3 columns, the third with coefficient 0: its importance is
    exactly 0; the others' is the AUC drop that sklearn's shuffles give, recomputed here."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + 0.3 * X[:, 1] + 0.5 * rng.normal(size=200) > 0).astype(int)
    clf = LogisticRegression().fit(X[:, :2], y)
    lr = LogisticRegression()
    lr.classes_ = np.array([0, 1])
    lr.coef_ = np.array([[clf.coef_[0, 0], clf.coef_[0, 1], 0.0]])
    lr.intercept_ = clf.intercept_
    res = fold_importance(
        lr, X, y, ["a", "b", "c"], output=_proba, score=roc_auc, n_repeats=7, random_state=5
    )
    base = roc_auc(y, lr.predict_proba(X)[:, 1])
    assert res.baseline == pytest.approx(base)
    assert res.mean["c"] == 0.0 and res.sd["c"] == 0.0
    # recompute with the same random stream as sklearn's permutation_importance
    rs = np.random.RandomState(5)
    drops = {0: [], 1: [], 2: []}
    seed = rs.randint(np.iinfo(np.int32).max + 1)
    for j in range(3):
        r = np.random.RandomState(seed)
        idx = np.arange(200)
        Xp = X.copy()
        for _ in range(7):  # each shuffle applies to the column shuffled before
            r.shuffle(idx)
            Xp[:, j] = Xp[idx, j]
            drops[j].append(base - roc_auc(y, lr.predict_proba(Xp)[:, 1]))
    assert res.mean["a"] == pytest.approx(np.mean(drops[0]), abs=1e-12)
    assert res.mean["b"] == pytest.approx(np.mean(drops[1]), abs=1e-12)
    assert res.sd["a"] == pytest.approx(np.std(drops[0]), abs=1e-12)
    assert res.mean["a"] > res.mean["b"] > 0.005


def test_columns_not_reaching_the_model_are_exactly_zero_and_not_shuffled(two_signals):
    _, X, y, _ = two_signals
    pipe = get_model("lr_l2_mrmr").build().set_params(select__k=4).fit(X, y)
    cols = list(X.columns)
    shuffle, inert = permuted_columns(pipe, cols, X.to_numpy(), _proba(pipe, X), 30)
    assert len(shuffle) == 4 and len(inert) == len(cols) - 4
    res = fold_importance(pipe, X, y, cols, output=_proba, score=roc_auc, n_repeats=3)
    assert res.n_permuted == 4
    assert all(res.mean[cols[j]] == 0.0 for j in inert)
    # at most max_features of those reaching a forest: the ones following its output
    rf = (
        get_model("random_forest")
        .build()
        .set_params(clf__n_estimators=30, clf__random_state=0)
        .fit(X, y)
    )
    shuffle, inert = permuted_columns(rf, cols, X.to_numpy(), _proba(rf, X), 5)
    assert len(shuffle) == 5 and inert == []


def test_outer_fold_importance_ranks_the_two_signals_first(two_signals):
    _, X, y, informative = two_signals
    for name, grid in (
        ("lr_l2_mrmr", {"select__k": [4], "clf__C": [1.0]}),
        ("random_forest", {"clf__n_estimators": [60]}),
    ):
        cv = nested_cv(
            get_model(name).build,
            grid,
            X,
            y,
            outer_folds=3,
            inner_folds=3,
            repeats=1,
            n_jobs=1,
            importance={"n_repeats": 3, "max_features": 8},
        )
        table = aggregate(cv.folds, cv.features, model=name)
        assert sorted(table["feature"].head(2)) == informative, name
        top = table.head(2)
        assert (top["mean_importance"] > 0.05).all()
        assert (top["n_folds_measured"] == 3).all() and (top["n_folds"] == 3).all()
        rest = table.iloc[2:]["mean_importance"].dropna()
        assert rest.max() < top["mean_importance"].min() / 3
    # the linear model's selection frequency comes from the folds' selected features
    assert (table.head(2)["selection_frequency"] > 0).all()


def test_no_importance_unless_asked(two_signals):
    _, X, y, _ = two_signals
    cv = nested_cv(
        get_model("lr_l2_mrmr").build,
        {"select__k": [4]},
        X,
        y,
        outer_folds=3,
        inner_folds=3,
        repeats=1,
        n_jobs=1,
    )
    assert all(f.permutation is None for f in cv.folds)


# ----------------------------------------------------------------------------- SHAP


def test_linear_shap_is_coefficient_times_centred_input(two_signals):
    _, X, y, _ = two_signals
    pipe = get_model("lr_l2_mrmr").build().set_params(select__k=5).fit(X, y)
    bg = X.iloc[:150]
    exp = shap_explanation(pipe, X.iloc[150:], background=bg)
    Z = pipe[:-1].transform(X.iloc[150:])
    Zbg = pipe[:-1].transform(bg)
    coef = pipe[-1].coef_[0]
    np.testing.assert_allclose(exp.values.to_numpy(), coef * (Z - Zbg.mean(axis=0)), atol=1e-10)
    assert list(exp.values.columns) == list(pipe[:-1].get_feature_names_out())
    assert exp.scale == "log-odds"
    assert exp.base_value == pytest.approx(pipe[-1].intercept_[0] + coef @ Zbg.mean(axis=0))
    logit = pipe.decision_function(X.iloc[150:])
    np.testing.assert_allclose(exp.values.sum(axis=1) + exp.base_value, logit, atol=1e-10)
    np.testing.assert_allclose(exp.prediction, logit, atol=1e-12)


def test_tree_and_model_agnostic_shap_add_up_and_find_the_signals(two_signals):
    _, X, y, informative = two_signals
    rf = (
        get_model("random_forest")
        .build()
        .set_params(clf__n_estimators=80, clf__random_state=0)
        .fit(X, y)
    )
    exp = shap_explanation(rf, X)
    assert exp.scale == "probability"
    np.testing.assert_allclose(
        exp.values.sum(axis=1) + exp.base_value, rf.predict_proba(X)[:, 1], atol=1e-9
    )
    top = exp.values.abs().mean().sort_values(ascending=False).index[:2]
    assert sorted(top) == informative
    gb = get_model("gradient_boosting").build().fit(X, y)
    exp = shap_explanation(gb, X.iloc[:40])
    assert exp.scale == "log-odds"
    np.testing.assert_allclose(
        exp.values.sum(axis=1) + exp.base_value, gb.decision_function(X.iloc[:40]), atol=1e-8
    )
    svm = get_model("svm_rbf").build().fit(X, y)
    with pytest.raises(ValueError, match="background"):
        shap_explanation(svm, X.iloc[:5])
    exp = shap_explanation(svm, X.iloc[:12], background=X, max_background=20)
    assert exp.scale == "probability"
    np.testing.assert_allclose(
        exp.values.sum(axis=1) + exp.base_value, svm.predict_proba(X.iloc[:12])[:, 1], atol=1e-9
    )
    # the base value is the mean prediction over the 20 background cases
    idx = np.linspace(0, len(X) - 1, 20).round().astype(int)
    Zbg = svm[:-1].transform(X.iloc[idx])
    assert exp.base_value == pytest.approx(svm[-1].predict_proba(Zbg)[:, 1].mean())


@pytest.fixture(scope="module")
def three_classes():
    """240 cases, 20 features, 3 classes; informative feature k shifts class k."""
    from radiomix.learn.synthetic import make_multiclass_table

    mc = make_multiclass_table(240, 20, 3, 3, effect=1.5, random_state=1)
    feats = [c for c in mc.table.columns if c.startswith("original_")]
    y = np.array([int(g[1:]) - 1 for g in mc.table["grade"]])
    return mc, mc.table[feats], y


def _multiclass_pipeline(name, X, y):
    from radiomix.learn.models import MULTICLASS_MODELS

    pipe = MULTICLASS_MODELS[name].build()
    if name.startswith("lr_"):
        pipe.set_params(select__k=4)
    if name in ("random_forest", "extra_trees"):
        pipe.set_params(clf__n_estimators=60, clf__random_state=0)
    return pipe.fit(X, y)


@pytest.mark.parametrize(
    ("name", "scale"),
    [
        ("lr_l2_mrmr", SCALE_SOFTMAX),
        ("lr_ovr_mrmr", SCALE_OVR),
        ("random_forest", "probability"),
        ("gradient_boosting", SCALE_SOFTMAX),
        ("svm_rbf", "probability"),
    ],
)
def test_multiclass_shap_adds_up_per_class_and_finds_each_class_signal(three_classes, name, scale):
    mc, X, y = three_classes
    pipe = _multiclass_pipeline(name, X, y)
    cases = X.iloc[:30] if name == "svm_rbf" else X
    exp = shap_explanation(
        pipe, cases, background=X, max_background=30, class_names=["g1", "g2", "g3"]
    )
    assert isinstance(exp, ClassShapExplanation) and exp.classes == ["g1", "g2", "g3"]
    assert exp.scale == scale
    if scale == "probability":
        output = pipe.predict_proba(cases)
    else:
        output = pipe.decision_function(cases)
    np.testing.assert_allclose(exp.prediction.to_numpy(), output, atol=1e-12)
    for k, c in enumerate(exp.classes):
        one = exp.for_class(c)
        assert isinstance(one, ShapExplanation) and list(one.values.index) == list(cases.index)
        np.testing.assert_allclose(one.values.sum(axis=1) + one.base_value, output[:, k], atol=1e-8)
    if scale == "probability":  # the probabilities sum to 1: the values to 0 over classes
        total = sum(exp.values[c].to_numpy() for c in exp.classes)
        np.testing.assert_allclose(total, 0.0, atol=1e-8)
    long = exp.long()
    assert long.index.names == ["case", "class"]  # the cases' index has no name
    assert len(long) == 3 * len(cases)
    inputs = list(exp.inputs.columns)
    np.testing.assert_allclose(
        long[inputs].sum(axis=1) + long["base_value"], long["prediction"], atol=1e-8
    )
    if name == "svm_rbf":  # 30 cases of a permutation explainer: additivity is the test
        return
    mean_abs = pd.DataFrame({c: exp.values[c].abs().mean() for c in exp.classes})
    assert sorted(mean_abs.sum(axis=1).sort_values(ascending=False).index[:3]) == sorted(
        mc.informative
    )
    for k, c in enumerate(exp.classes):  # informative feature k shifts class k
        assert mean_abs[c].idxmax() == mc.informative[k], (c, mean_abs[c])


def test_multinomial_shap_is_coefficient_times_centred_input(three_classes):
    import shap as shap_library

    _, X, y = three_classes
    pipe = _multiclass_pipeline("lr_l2_mrmr", X, y)
    bg = X.iloc[:150]
    exp = shap_explanation(pipe, X.iloc[150:], background=bg)
    assert exp.classes == ["0", "1", "2"]  # no names: the class codes
    Z, Zbg = pipe[:-1].transform(X.iloc[150:]), pipe[:-1].transform(bg)
    coef, icpt = pipe[-1].coef_, pipe[-1].intercept_
    for k, c in enumerate(exp.classes):
        np.testing.assert_allclose(
            exp.values[c].to_numpy(), coef[k] * (Z - Zbg.mean(axis=0)), atol=1e-12
        )
        assert exp.base_value[c] == pytest.approx(icpt[k] + coef[k] @ Zbg.mean(axis=0))
    # the class logits before the softmax: the softmax of the predictions is predict_proba
    f = exp.prediction.to_numpy()
    soft = np.exp(f) / np.exp(f).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(soft, pipe.predict_proba(X.iloc[150:]), atol=1e-12)
    # and shap's own LinearExplainer gives the same numbers
    masker = shap_library.maskers.Independent(Zbg, max_samples=len(Zbg))
    ref = np.asarray(shap_library.LinearExplainer(pipe[-1], masker).shap_values(Z))
    for k, c in enumerate(exp.classes):
        np.testing.assert_allclose(exp.values[c].to_numpy(), ref[:, :, k], atol=1e-10)
    # without background the reference is the zero input: the base value is the intercept
    exp0 = shap_explanation(pipe, X.iloc[:5])
    np.testing.assert_allclose(list(exp0.base_value.values()), icpt, atol=1e-12)


def test_two_class_shap_is_still_one_explanation(two_signals):
    _, X, y, _ = two_signals
    pipe = get_model("lr_l2_mrmr").build().set_params(select__k=5).fit(X, y)
    exp = shap_explanation(pipe, X.iloc[:10], class_names=["benign", "malignant"])
    assert isinstance(exp, ShapExplanation) and isinstance(exp.base_value, float)
    assert exp.scale == "log-odds"


def test_bundle_explain_several_classes(three_classes):
    mc, X, y = three_classes
    pipe = _multiclass_pipeline("lr_l2_mrmr", X, y)
    b = _bundle(pipe, X, task="multiclass")
    b.label = {"column": "grade", "classes": ["g1", "g2", "g3"], "rule": "sorted values"}
    table = mc.table.iloc[:4]
    out = b.explain(table)
    assert out.index.names == ["case_id", "class"]
    assert list(out.index) == [(c, g) for c in table["case_id"] for g in ["g1", "g2", "g3"]]
    names = list(pipe[:-1].get_feature_names_out())
    assert list(out.columns) == [*names, "base_value", "prediction"]
    assert out.attrs["scale"] == SCALE_SOFTMAX and out.attrs["classes"] == ["g1", "g2", "g3"]
    assert "linear SHAP per class" in out.attrs["method"]
    np.testing.assert_allclose(
        out[names].sum(axis=1) + out["base_value"], out["prediction"], atol=1e-10
    )
    np.testing.assert_allclose(
        out.xs("g2", level="class")["base_value"], pipe[-1].intercept_[1], atol=1e-12
    )
    logits = out["prediction"].to_numpy().reshape(4, 3)
    np.testing.assert_allclose(logits, pipe.decision_function(X.iloc[:4]), atol=1e-12)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probs, b.predict_values(table), atol=1e-9)
    assert out.loc[table["case_id"].iloc[0]].shape == (3, len(names) + 2)


# --------------------------------------------------------------- ModelBundle.explain


def _bundle(pipe, X, task="binary"):
    return ModelBundle(
        name="m",
        pipeline=pipe,
        features=list(X.columns),
        label={"column": "diagnosis", "negative": "benign", "positive": "malignant"},
        threshold=0.5,
        threshold_rule="fixed:0.5",
        column_rules={"id_columns": ["case_id"], "label": "diagnosis"},
        task=task,
    )


def test_bundle_explain_matches_the_app_contributions(two_signals):
    t, X, y, _ = two_signals
    pipe = get_model("lr_l2_mrmr").build().set_params(select__k=5).fit(X, y)
    b = _bundle(pipe, X)
    table = t.iloc[:6]
    out = b.explain(table)
    assert list(out.index) == list(table["case_id"]) and out.index.name == "case_id"
    names = list(pipe[:-1].get_feature_names_out())
    assert list(out.columns) == [*names, "base_value", "prediction"]
    assert out.attrs["scale"] == "log-odds"
    np.testing.assert_allclose(out["base_value"], pipe[-1].intercept_[0])
    np.testing.assert_allclose(
        out[names].sum(axis=1) + out["base_value"], out["prediction"], atol=1e-10
    )
    p = pipe.predict_proba(X.iloc[:6])[:, 1]
    np.testing.assert_allclose(out["prediction"], np.log(p / (1 - p)), atol=1e-9)
    # the web app's per-case contributions (learn/explain.contributions): the same numbers
    for i in range(3):
        contrib, _info = contributions(pipe, X.iloc[[i]])
        got = out.iloc[i][list(contrib["feature"])].to_numpy(dtype=float)
        np.testing.assert_allclose(got, contrib["contribution"].to_numpy(), atol=1e-10)


def test_bundle_explain_errors(two_signals):
    t, X, y, _ = two_signals
    svm = get_model("svm_rbf").build().fit(X, y)
    b = _bundle(svm, X)
    with pytest.raises(DataError, match="background"):
        b.explain(t.iloc[:2])
    out = b.explain(t.iloc[:2], background=t, max_background=10)
    assert out.attrs["scale"] == "probability"
    np.testing.assert_allclose(out["prediction"], svm.predict_proba(X.iloc[:2])[:, 1])
    with pytest.raises(DataError, match="lacks 1 of the 20 features"):
        b.explain(t.drop(columns=[X.columns[0]]))
    three = np.arange(len(X)) % 3
    multi = _bundle(
        Pipeline([("s", StandardScaler()), ("clf", LogisticRegression())]).fit(X, three),
        X,
        task="multiclass",
    )
    multi.label = {"column": "grade", "classes": ["a", "b"]}  # one class short
    with pytest.raises(DataError, match="2 class names for a model of 3 classes"):
        multi.explain(t.iloc[:2])


# -------------------------------------------------------------------- a whole study


def test_study_writes_importance_shap_and_the_report_shows_them(small_run):
    from radiomix.report.html import build_report

    res, synth, run = small_run
    m = json.loads((run / "metrics.json").read_text())
    ex = m["explanations"]
    assert ex["model"] == "lr_l2_mrmr"
    pi = ex["permutation_importance"]
    assert pi["score"] == "ROC AUC" and pi["n_repeats"] == 5 and pi["n_folds"] == 6
    imp = pd.read_csv(run / "importance.csv")
    assert set(imp["feature"]) == set(res.runs["lr_l2_mrmr"].features)
    top = set(imp["feature"].head(4))
    assert len(top & set(synth.informative)) >= 3
    shap = pd.read_csv(run / "shap.csv")
    final = res.runs["lr_l2_mrmr"].final
    assert set(shap["feature"]) == set(final.pipeline[:-1].get_feature_names_out())
    assert ex["shap"]["scale"] == "log-odds" and ex["shap"]["n_cases"] == 120
    values = pd.read_csv(run / "shap_values.csv")
    assert len(values) == 120 * len(shap)
    # two classes keep their files as they were: no class column, the same columns
    ids = list(res.data.ids.columns)
    assert list(shap.columns) == [
        "model", "feature", "mean_abs_shap", "mean_shap", "sd_shap", "rank"
    ]  # fmt: skip
    assert list(values.columns) == ["model", *ids, "feature", "shap_value", "model_input"]
    assert list(shap["rank"]) == list(range(1, len(shap) + 1))
    assert shap["mean_abs_shap"].is_monotonic_decreasing
    assert isinstance(ex["shap"]["base_value"], float) and "classes" not in ex["shap"]
    per_case = values.groupby("case_id")["shap_value"].sum()
    X = res.data.X[res.runs["lr_l2_mrmr"].features]
    logit = pd.Series(final.pipeline.decision_function(X), index=res.data.ids["case_id"])
    np.testing.assert_allclose(
        per_case + ex["shap"]["base_value"], logit[per_case.index], atol=1e-8
    )
    html = build_report(run).read_text()
    assert "id='explanations'" in html and "Permutation importance on the outer" in html
    assert (run / "figures" / "importance.png").is_file()
    assert (run / "figures" / "shap.png").is_file()
    assert "one set per class" not in html and "right each case" in html


def test_explain_settings():
    s = load_study({"explain": {"importance_repeats": 3, "shap": False}})
    assert s.explain.importance_repeats == 3 and not s.explain.shap
    with pytest.raises(ConfigError, match="importance_repeats must be at least 1"):
        load_study({"explain": {"importance_repeats": 0}})
    with pytest.raises(ConfigError, match="importance_max_features"):
        load_study({"explain": {"importance_max_feature": 3}})


# ------------------------------------------------------------------- the other tasks

_FAST = {
    "outer_folds": 3,
    "inner_folds": 3,
    "repeats": 1,
    "permutations": 0,
    "bootstrap": 200,
    "n_jobs": 1,
}


def test_regression_study_ranks_the_two_signals_first(tmp_path):
    from radiomix.learn.synthetic import make_regression_table

    reg = make_regression_table(200, 20, 2, random_state=1)
    study = {
        "task": "regression",
        "primary": "ridge_mrmr",
        "comparators": [],
        "validation": _FAST,
        "models": [{"name": "ridge_mrmr", "grid": {"select__k": [4], "clf__alpha": [1.0]}}],
    }
    res = run_study(reg.table, study, label="volume_change", out=tmp_path / "run")
    ex = res.metrics["explanations"]
    assert ex["permutation_importance"]["score"] == "R² (out of fold)"
    imp = pd.read_csv(tmp_path / "run" / "importance.csv")
    assert sorted(imp["feature"].head(2)) == sorted(reg.informative)
    assert (imp["mean_importance"].head(2) > 0.2).all()  # R² falls by more than 0.2
    shap = pd.read_csv(tmp_path / "run" / "shap.csv")
    assert sorted(shap["feature"].head(2)) == sorted(reg.informative)
    assert ex["shap"]["scale"] == "outcome units"
    b = res.runs["ridge_mrmr"].bundle
    out = b.explain(reg.table.iloc[:5])
    np.testing.assert_allclose(out["prediction"], b.predict_values(reg.table.iloc[:5]))
    feats = [c for c in out.columns if c not in ("base_value", "prediction")]
    np.testing.assert_allclose(out[feats].sum(axis=1) + out["base_value"], out["prediction"])


def test_multiclass_and_survival_studies(tmp_path):
    from radiomix.learn.survival import make_survival_table
    from radiomix.learn.synthetic import make_multiclass_table

    mc = make_multiclass_table(240, 20, 3, 3, effect=1.5, random_state=1)
    study = {
        "primary": "lr_l2_mrmr",
        "comparators": [],
        "validation": _FAST,
        "models": [{"name": "lr_l2_mrmr", "grid": {"select__k": [4], "clf__C": [1.0]}}],
    }
    res = run_study(mc.table, study, label="grade", out=tmp_path / "mc")
    ex = res.metrics["explanations"]
    assert ex["permutation_importance"]["score"] == "macro ROC AUC (one vs rest)"
    imp = pd.read_csv(tmp_path / "mc" / "importance.csv")
    assert sorted(imp["feature"].head(3)) == sorted(mc.informative)
    # SHAP per class: the class-summed ranking puts the three informative features first,
    # and each class's own informative feature leads that class
    assert ex["shap"]["scale"] == SCALE_SOFTMAX and ex["shap"]["classes"] == ["g1", "g2", "g3"]
    shap = pd.read_csv(tmp_path / "mc" / "shap.csv")
    assert list(shap.columns) == [
        "model", "class", "feature", "mean_abs_shap", "mean_shap", "sd_shap", "rank",
        "mean_abs_shap_all_classes", "rank_all_classes",
    ]  # fmt: skip
    assert len(shap) == 3 * 4 and list(shap["class"].head(3)) == ["g1", "g2", "g3"]
    top = shap.drop_duplicates("feature").head(3)
    assert sorted(top["feature"]) == sorted(mc.informative)
    assert list(top["rank_all_classes"]) == [1, 2, 3]
    for k, c in enumerate(["g1", "g2", "g3"]):  # feature k shifts class k (synthetic.py)
        assert (
            shap[(shap["class"] == c) & (shap["rank"] == 1)]["feature"].item()
            == (mc.informative[k])
        )
    summed = shap.groupby("feature")["mean_abs_shap"].sum()
    np.testing.assert_allclose(
        shap["mean_abs_shap_all_classes"], shap["feature"].map(summed), rtol=1e-12
    )
    values = pd.read_csv(tmp_path / "mc" / "shap_values.csv")
    ids = list(res.data.ids.columns)
    assert list(values.columns) == [
        "model", *ids, "class", "feature", "shap_value", "model_input"
    ]  # fmt: skip
    assert len(values) == 240 * 3 * 4
    final = res.runs["lr_l2_mrmr"].final.pipeline
    X = res.data.X[res.runs["lr_l2_mrmr"].features]
    logits = pd.DataFrame(
        final.decision_function(X), index=res.data.ids["case_id"], columns=["g1", "g2", "g3"]
    )
    sums = values.groupby(["case_id", "class"])["shap_value"].sum().unstack("class")
    base = pd.Series(ex["shap"]["base_value"])
    np.testing.assert_allclose(sums + base, logits.loc[sums.index, sums.columns], atol=1e-8)
    from radiomix.report.html import build_report

    html = build_report(tmp_path / "mc").read_text()
    assert "one set per class" in html and "id='fig-shap'" in html
    assert "mean |SHAP|, all classes" in html and "No SHAP values" not in html
    assert (tmp_path / "mc" / "figures" / "shap.png").is_file()

    sv = make_survival_table(200, 20, 2, effect=1.0, random_state=1)
    study = {
        "task": "survival",
        "data": {"time": "time", "event": "event"},
        "comparators": [],
        "validation": _FAST,
        "models": [{"name": "coxnet", "grid": {"select__k": [5], "clf__l1_ratio": [0.9]}}],
    }
    res = run_study(sv, study, out=tmp_path / "sv")
    ex = res.metrics["explanations"]
    assert ex["permutation_importance"]["score"] == "Harrell's C"
    imp = pd.read_csv(tmp_path / "sv" / "importance.csv")
    assert sorted(imp["feature"].head(2)) == ["f000", "f001"]  # the two with an effect
    assert ex["shap"]["scale"] == "risk score (log relative hazard)"
    b = res.runs["coxnet"].bundle
    out = b.explain(sv.iloc[:4], background=sv)
    pipe = b.pipeline
    Z = pipe[:-1].transform(b.check_features(sv.iloc[:4]))
    Zbg = pipe[:-1].transform(b.check_features(sv))
    feats = list(pipe[:-1].get_feature_names_out())
    np.testing.assert_allclose(
        out[feats].to_numpy(), pipe[-1].coef_ * (Z - Zbg.mean(axis=0)), atol=1e-10
    )
    np.testing.assert_allclose(out["prediction"], pipe.predict(b.check_features(sv.iloc[:4])))
