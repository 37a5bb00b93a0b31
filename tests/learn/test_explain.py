"""Per-case contributions, training statistics and the calibration interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline

from radiomix.learn import explain
from radiomix.learn.explain import (
    calibration_interval,
    compare_to_training,
    contributions,
    explanation_name,
    is_linear,
    percentile_of,
    shap_explanation,
    training_statistics,
)
from radiomix.learn.models import AUTO_FAMILIES, get_model
from radiomix.learn.synthetic import make_feature_table
from tests.learn.runs import synthetic


@pytest.fixture(scope="module")
def data():
    synth = synthetic(0, n_cases=80)
    table = synth.table
    feats = [c for c in table.columns if c.startswith("original_")]
    return table[feats], table["diagnosis"].to_numpy()


def test_linear_contributions_add_up_to_the_log_odds(data):
    X, y = data
    pipe = get_model("lr_l2_mrmr").build().set_params(select__k=4)
    pipe.fit(X, y)
    assert is_linear(pipe)
    case = X.iloc[[7]]
    table, info = contributions(pipe, case)
    assert len(table) == 4 and info["explanation_scale"] == "log-odds"
    p = pipe.predict_proba(case)[0, 1]
    assert info["intercept"] + table["contribution"].sum() == pytest.approx(
        np.log(p / (1 - p)), abs=1e-10
    )
    assert info["base_value"] == info["intercept"]
    assert explanation_name(pipe) == "exact linear contributions (log-odds)"
    # the raw value is the case's own, the model input its standardised value
    for row in table.itertuples():
        assert row.value == case.iloc[0][row.feature]
    order = np.abs(table["contribution"].to_numpy())
    assert np.all(order[:-1] >= order[1:])


def test_occlusion_gives_nothing_to_a_feature_the_model_cannot_use(data):
    X, y = data
    X = X.copy()
    X["constant"] = 1.0
    pipe = get_model("svm_rbf").build().fit(X, y)
    assert not is_linear(pipe)
    assert explanation_name(pipe) == "occlusion attribution against training cases (probability)"
    table, info = contributions(pipe, X.iloc[[3]], background=X, max_background=20)
    assert info["explanation_scale"] == "probability" and "occlusion" in info["explanation_method"]
    assert "base_value" not in info and len(table) == X.shape[1]
    by = table.set_index("feature")["contribution"]
    assert by["constant"] == 0.0
    assert np.abs(by).max() > 0
    with pytest.raises(ValueError, match="background"):
        contributions(pipe, X.iloc[[3]])


# ------------------------------------------------------------------- tree SHAP, one case


@pytest.fixture(scope="module")
def one_driver():
    """A table where one feature (of 30) drives the outcome, and a constant column."""
    synth = make_feature_table(
        n_cases=160, n_features=30, n_informative=1, n_shape=3, effect=3.0, random_state=4
    )
    feats = [c for c in synth.table.columns if c.startswith("original_")]
    X = synth.table[feats].copy()
    X["constant"] = 1.0
    y = (synth.table[synth.label] == "malignant").to_numpy(np.int64)
    return X, y, synth.informative[0]


def _auto_forest():
    """The forest family of the default ``auto`` model (its scaler and filters, 60 trees)."""
    return (
        get_model("auto")
        .build()
        .set_params(
            decorr="passthrough",
            select="passthrough",
            clf=clone(AUTO_FAMILIES["random_forest"]["clf"][0]),  # never the shared template
            clf__n_estimators=60,
            clf__random_state=0,
        )
    )


def _tree_pipelines():
    forest = get_model("random_forest").build().set_params(clf__n_estimators=60)
    extra = get_model("extra_trees").build().set_params(clf__n_estimators=60)
    gb = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("clf", GradientBoostingClassifier(n_estimators=60, max_depth=2, random_state=0)),
        ]
    )
    return {
        "random_forest": (forest.set_params(clf__random_state=0), "probability"),
        "auto_forest": (_auto_forest(), "probability"),
        "extra_trees": (extra.set_params(clf__random_state=0), "probability"),
        "gradient_boosting": (get_model("gradient_boosting").build(), "log-odds"),
        "sklearn_gradient_boosting": (gb, "log-odds"),
    }


@pytest.mark.parametrize("name", list(_tree_pipelines()))
def test_tree_shap_contributions_add_up_and_name_the_driver(one_driver, name):
    X, y, driver = one_driver
    pipe, scale = _tree_pipelines()[name]
    pipe.fit(X, y)
    assert not is_linear(pipe)
    assert explanation_name(pipe) == f"exact tree SHAP values ({scale})"
    model_inputs = list(pipe[:-1].get_feature_names_out()) if len(pipe) > 1 else list(X.columns)
    # the case whose driving feature lies farthest from the training median
    case = X.iloc[[int(np.argmax(np.abs(X[driver] - X[driver].median())))]]
    table, info = contributions(pipe, case)  # no background needed
    assert info["explanation_scale"] == scale
    assert info["explanation_method"].startswith(f"exact tree SHAP values ({scale})")
    assert sorted(table["feature"]) == sorted(model_inputs)
    if scale == "probability":
        output = pipe.predict_proba(case)[0, 1]
    else:
        output = pipe.decision_function(case)[0]
    assert info["base_value"] + table["contribution"].sum() == pytest.approx(output, abs=1e-8)
    assert table["feature"].iloc[0] == driver
    by = table.set_index("feature")
    assert by.loc[driver, "value"] == case.iloc[0][driver]
    if "constant" in by.index:  # never split on: nothing (the auto forest filters it out)
        assert by.loc["constant", "contribution"] == 0.0
    sizes = np.abs(table["contribution"].to_numpy())
    assert np.all(sizes[:-1] >= sizes[1:])
    # the same numbers as the many-case SHAP values of ModelBundle.explain
    many = shap_explanation(pipe, case)
    assert many.scale == scale and many.base_value == pytest.approx(info["base_value"])
    np.testing.assert_allclose(
        many.values.iloc[0][list(table["feature"])].to_numpy(),
        table["contribution"].to_numpy(),
        atol=1e-12,
    )


def test_tree_shap_that_does_not_add_up_falls_back_to_occlusion(one_driver, monkeypatch):
    X, y, _ = one_driver
    forest = RandomForestClassifier(n_estimators=20, random_state=0)
    pipe = Pipeline([("impute", SimpleImputer(strategy="median")), ("clf", forest)]).fit(X, y)

    def off_by_a_bit(clf, Z):
        values, base = explain_tree_shap(clf, Z)
        return values, base + 1e-3

    explain_tree_shap = explain._tree_shap
    monkeypatch.setattr(explain, "_tree_shap", off_by_a_bit)
    table, info = contributions(pipe, X.iloc[[0]], background=X, max_background=10)
    assert info["explanation_method"].startswith("occlusion") and "base_value" not in info
    assert len(table) == X.shape[1]

    def unreadable(clf, Z):
        raise TypeError("a tree shap cannot read")

    monkeypatch.setattr(explain, "_tree_shap", unreadable)
    _, info = contributions(pipe, X.iloc[[0]], background=X, max_background=10)
    assert info["explanation_method"].startswith("occlusion")


def test_training_statistics_place_a_case_among_the_training_cases(data):
    X, y = data
    pipe = get_model("lr_l2_mrmr").build().set_params(select__k=4).fit(X, y)
    stats = training_statistics(pipe, X)
    assert stats.percentiles.shape == (X.shape[1], 101) and stats.n_cases == len(X)
    case = X.iloc[[0]].copy()
    first = X.columns[0]
    case[first] = X[first].max() + 10
    out = compare_to_training(stats, pipe, case)
    assert out["features"][first]["outside"] == "above"
    assert out["features"][first]["percentile"] == 100.0
    assert out["n_outside"] >= 1 and out["mahalanobis_d2"] >= 0
    # a training case is nowhere beyond the range, and the median sits at the 50th percentile
    inside = compare_to_training(stats, pipe, X.iloc[[5]])
    assert all(v["outside"] is None for v in inside["features"].values())
    assert percentile_of(float(np.median(np.arange(101.0))), np.arange(101.0)) == 50.0
    # round trip through JSON-ready data
    again = type(stats).from_dict(stats.to_dict())
    assert np.array_equal(again.percentiles, stats.percentiles)


def test_calibration_interval_uses_the_nearest_out_of_fold_cases():
    p = np.r_[np.full(20, 0.1), np.full(20, 0.9)]
    y = np.r_[np.zeros(18, int), np.ones(2, int), np.ones(20, int)]
    near_high = calibration_interval(0.85, p, y, k=20)
    assert near_high["observed_rate"] == 1.0 and near_high["k"] == 20
    lo, hi = near_high["interval"]
    assert 0.8 < lo < hi == 1.0
    near_low = calibration_interval(0.05, p, y, k=20)
    assert near_low["observed_rate"] == pytest.approx(0.1)
    assert near_low["interval"][0] < 0.1 < near_low["interval"][1]
    assert "Wilson" in near_low["interval_method"]
    assert calibration_interval(0.5, p, y)["k"] == 10  # max(10, n / 5)


def test_frames_of_one_row_only():
    X = pd.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(ValueError, match="one case"):
        contributions(None, X)
