"""Per-case contributions, training statistics and the calibration interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline

from radiomix.learn.explain import (
    calibration_interval,
    compare_to_training,
    contributions,
    is_linear,
    percentile_of,
    training_statistics,
)
from radiomix.learn.models import get_model
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
    # the raw value is the case's own, the model input its standardised value
    for row in table.itertuples():
        assert row.value == case.iloc[0][row.feature]
    order = np.abs(table["contribution"].to_numpy())
    assert np.all(order[:-1] >= order[1:])


def test_occlusion_gives_nothing_to_a_feature_the_model_cannot_use(data):
    X, y = data
    X = X.copy()
    X["constant"] = 1.0
    forest = RandomForestClassifier(n_estimators=30, random_state=0)
    pipe = Pipeline([("impute", SimpleImputer(strategy="median")), ("clf", forest)]).fit(X, y)
    assert not is_linear(pipe)
    table, info = contributions(pipe, X.iloc[[3]], background=X, max_background=20)
    assert info["explanation_scale"] == "probability" and "occlusion" in info["explanation_method"]
    by = table.set_index("feature")["contribution"]
    assert by["constant"] == 0.0
    assert np.abs(by).max() > 0
    with pytest.raises(ValueError, match="background"):
        contributions(pipe, X.iloc[[3]])


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
