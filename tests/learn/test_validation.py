"""Nested cross-validation: no leakage on noise, recovery of a known signal, exact search."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from radiomix.errors import DataError
from radiomix.learn.metrics import roc_auc
from radiomix.learn.selectors import MRMR, CorrelationFilter, NearZeroVariance
from radiomix.learn.synthetic import make_feature_table
from radiomix.learn.task_cv import _search, seed_for, task_splits
from radiomix.learn.tasks import BinaryTask
from radiomix.learn.validation import fit_final, nested_cv


def quick_pipeline() -> Pipeline:
    """Scale, keep the k best features by ANOVA F, L2 logistic regression."""
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("select", SelectKBest(f_classif, k=10)),
            ("clf", LogisticRegression(C=1.0, max_iter=2000)),
        ]
    )


QUICK_GRID = {"select__k": [5, 20], "clf__C": [0.1, 1.0]}


def selected_on_all_data_first(X: np.ndarray, y: np.ndarray, k: int, repeats: int) -> float:
    """THE MISTAKE, for demonstration only: pick the k best features on every case, then
    cross-validate the classifier on them. Returns the median pooled out-of-fold AUC."""
    keep = SelectKBest(f_classif, k=k).fit(X, y).get_support()
    Xk = X[:, keep]
    aucs = []
    for r in range(repeats):
        prob = np.empty(y.size)
        for tr, te in task_splits(BinaryTask(), y, None, 5, seed_for(0, r)):
            clf = Pipeline(
                [("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=2000))]
            )
            prob[te] = clf.fit(Xk[tr], y[tr]).predict_proba(Xk[te])[:, 1]
        aucs.append(roc_auc(y, prob))
    return float(np.median(aucs))


def test_no_leakage_on_pure_noise():
    # 120 cases, 1,000 features of pure noise: nothing can be learned, the AUC must be ~0.5.
    # One noise table's AUC scatters around 0.5 with SD ~0.05 (n = 120), so the estimate is
    # averaged over four independent tables (SD of the mean ~0.025).
    nested, leaky = [], []
    for seed in range(4):
        synth = make_feature_table(
            n_cases=120,
            n_features=1000,
            n_informative=0,
            prevalence=0.5,
            block_correlation=0.0,
            random_state=seed,
        )
        feats = [c for c in synth.table.columns if c.startswith("original_")]
        X = synth.table[feats]
        y = (synth.table["diagnosis"] == "malignant").to_numpy().astype(int)
        cv = nested_cv(
            quick_pipeline(), QUICK_GRID, X, y, outer_folds=5, inner_folds=3, repeats=2, n_jobs=1
        )
        nested.append(float(np.median(cv.repeat_auc())))
        leaky.append(selected_on_all_data_first(X.to_numpy(), y, k=10, repeats=2))
    print(f"pure noise: nested CV AUC {np.round(nested, 3)}, selected first {np.round(leaky, 3)}")
    assert abs(np.mean(nested) - 0.5) <= 0.07, nested
    assert max(abs(a - 0.5) for a in nested) <= 0.15, nested
    assert np.mean(leaky) >= 0.75, leaky
    assert min(leaky) - max(nested) >= 0.1


def test_recovers_a_known_signal_and_its_features():
    # 4 informative features among 200 (noise correlated in blocks, wild scales): the Bayes
    # optimum is Phi(1.0 * sqrt(4) / sqrt(2)) = 0.921
    synth = make_feature_table(
        n_cases=300, n_features=200, n_informative=4, effect=1.0, prevalence=0.4, random_state=5
    )
    assert synth.optimal_auc == pytest.approx(0.9214, abs=1e-4)
    feats = [c for c in synth.table.columns if c.startswith("original_")]
    y = (synth.table["diagnosis"] == "malignant").to_numpy().astype(int)
    pipe = Pipeline(
        [
            ("nzv", NearZeroVariance()),
            ("scale", StandardScaler()),
            ("decorr", CorrelationFilter(threshold=0.9)),
            ("select", MRMR(k=4)),
            ("clf", LogisticRegression(max_iter=2000)),
        ]
    )
    cv = nested_cv(
        pipe,
        {"select__k": [4, 8], "clf__C": [0.1, 1.0]},
        synth.table[feats],
        y,
        outer_folds=5,
        inner_folds=3,
        repeats=2,
        n_jobs=1,
    )
    auc = float(np.median(cv.repeat_auc()))
    print(f"signal: nested CV AUC {auc:.3f}, optimum {synth.optimal_auc:.3f}")
    assert synth.optimal_auc - 0.05 <= auc <= synth.optimal_auc + 0.03, auc
    counts = pd.Series([f for fold in cv.folds for f in fold.selected]).value_counts()
    assert set(counts.index[:4]) == set(synth.informative)
    assert (counts[synth.informative] == len(cv.folds)).all()  # picked in every outer fit


def test_every_case_predicted_once_per_repeat_and_groups_stay_together():
    synth = make_feature_table(
        n_cases=80, n_features=20, n_informative=3, duplicates=30, random_state=2
    )
    t = synth.table
    feats = [c for c in t.columns if c.startswith("original_")]
    y = (t["diagnosis"] == "malignant").to_numpy().astype(int)
    groups = t["family"].to_numpy()
    cv = nested_cv(
        quick_pipeline(),
        {"select__k": [5]},
        t[feats],
        y,
        groups,
        outer_folds=4,
        inner_folds=3,
        repeats=3,
        n_jobs=1,
    )
    assert cv.probability.shape == (3, len(t)) and np.isfinite(cv.probability).all()
    assert (cv.fold >= 0).all()
    for r in range(3):
        per_group = pd.Series(cv.fold[r]).groupby(groups).nunique()
        assert (per_group == 1).all()  # a near-duplicate never sits on both sides
        counts = np.bincount(cv.fold[r])
        assert counts.min() > 0
    # the threshold applied to a case is the one of the fold that predicted it
    for f in cv.folds:
        np.testing.assert_array_equal(cv.threshold[f.repeat, f.test_index], f.threshold)


def test_results_do_not_depend_on_the_number_of_processes():
    synth = make_feature_table(n_cases=90, n_features=30, n_informative=3, random_state=4)
    t = synth.table
    feats = [c for c in t.columns if c.startswith("original_")]
    y = (t["diagnosis"] == "malignant").to_numpy().astype(int)
    kw = {"outer_folds": 3, "inner_folds": 3, "repeats": 2, "random_state": 7}
    a = nested_cv(quick_pipeline(), QUICK_GRID, t[feats], y, n_jobs=1, **kw)
    b = nested_cv(quick_pipeline(), QUICK_GRID, t[feats], y, n_jobs=2, **kw)
    np.testing.assert_array_equal(a.probability, b.probability)
    np.testing.assert_array_equal(a.threshold, b.threshold)
    c = nested_cv(quick_pipeline(), QUICK_GRID, t[feats], y, n_jobs=1, **{**kw, "random_state": 8})
    assert not np.array_equal(a.fold, c.fold)


def test_lean_search_equals_grid_search_cv():
    synth = make_feature_table(n_cases=120, n_features=40, n_informative=4, random_state=9)
    t = synth.table
    X = t[[c for c in t.columns if c.startswith("original_")]]
    y = (t["diagnosis"] == "malignant").to_numpy().astype(np.int8)
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("decorr", CorrelationFilter(threshold=0.8)),
            ("select", MRMR(k=5)),
            ("clf", LogisticRegression(max_iter=2000)),
        ]
    )
    grid = {"select__k": [3, 6, 12], "clf__C": [0.01, 0.3, 10.0]}
    res = _search(BinaryTask(), pipe, grid, X, y, None, inner_folds=4, seed=3, n_out=0)
    splits = list(StratifiedKFold(4, shuffle=True, random_state=3).split(X, y))
    gs = GridSearchCV(pipe, grid, scoring="roc_auc", cv=splits).fit(X, y)
    np.testing.assert_allclose(res.scores, gs.cv_results_["mean_test_score"], atol=1e-12)
    assert res.best_params == gs.best_params_


def test_final_model_threshold_comes_from_inner_out_of_fold_predictions():
    synth = make_feature_table(n_cases=100, n_features=15, n_informative=3, random_state=1)
    t = synth.table
    X = t[[c for c in t.columns if c.startswith("original_")]]
    y = (t["diagnosis"] == "malignant").to_numpy().astype(int)
    fit = fit_final(
        quick_pipeline(), {"select__k": [5]}, X, y, inner_folds=4, threshold_rule="fixed:0.3"
    )
    assert fit.threshold == 0.3
    fit2 = fit_final(quick_pipeline(), {"select__k": [5]}, X, y, inner_folds=4)
    # Youden on the training data itself would be at least as good in-sample; the inner
    # threshold is a different, honest number chosen without the final fit
    assert 0.0 < fit2.threshold < 1.0
    assert len(fit2.selected) == 5 and set(fit2.selected) <= set(X.columns)


def test_two_class_leave_one_group_out_names_the_group_and_the_class():
    # positives only in groups A and B: leaving A out leaves them in B alone
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(8, 2)))
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0])
    groups = np.array(["A", "A", "B", "B", "C", "C", "D", "D"])
    with pytest.raises(
        DataError,
        match=r"leaving out group 'A' leaves positive cases in fewer than 2 groups: the "
        r"inner loop cannot tune \(merge small groups, or use --validation kfold\)",
    ):
        nested_cv(quick_pipeline(), None, X, y, groups, scheme="leave-one-group-out")


def test_too_few_cases_for_the_folds_is_a_clear_error():
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 3)))
    y = np.r_[np.ones(4), np.zeros(16)].astype(int)
    with pytest.raises(DataError, match="only 4 positive cases"):
        nested_cv(quick_pipeline(), None, X, y, outer_folds=5, inner_folds=5, repeats=1)
