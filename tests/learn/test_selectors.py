"""Selectors on hand-built data: which features each keeps, and why."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from radiomix.learn.selectors import (
    MRMR,
    BorutaSelector,
    CorrelationFilter,
    NearZeroVariance,
    RobustnessFilter,
    UnivariateFilter,
    benjamini_hochberg,
    l1_selector,
    relevance_scores,
    rfe_selector,
)


def test_near_zero_variance_rule():
    n = 40
    X = np.c_[
        np.arange(n, dtype=float),  # all distinct: kept
        np.ones(n),  # constant: removed
        np.r_[np.zeros(n - 1), 1.0],  # 39:1 and 2/40 distinct: near-zero, removed
        np.r_[np.zeros(n // 2), np.ones(n // 2)],  # balanced binary: ratio 1, kept
        np.r_[np.zeros(36), np.ones(4)],  # 36:4 = 9 <= 19: kept
    ]
    nzv = NearZeroVariance().fit(X)
    np.testing.assert_array_equal(nzv.get_support(), [True, False, False, True, True])
    np.testing.assert_allclose(nzv.freq_ratio_, [1.0, np.inf, 39.0, 1.0, 9.0])
    np.testing.assert_allclose(nzv.unique_fraction_, [1.0, 1 / 40, 2 / 40, 2 / 40, 2 / 40])
    assert NearZeroVariance(freq_cut=5).fit(X).get_support()[4] == np.False_
    with pytest.raises(ValueError, match="constant"):
        NearZeroVariance().fit(np.ones((5, 3)))


def test_correlation_filter_keeps_the_more_relevant_of_a_pair():
    y = np.r_[np.zeros(10), np.ones(10)].astype(int)
    a = np.arange(20, dtype=float)  # separates the classes perfectly (AUC 1)
    b = a.copy()
    b[[8, 11]] = b[[11, 8]]  # almost the same ranks (rho 0.96), AUC 0.98
    c = np.random.default_rng(0).normal(size=20)  # unrelated
    X = np.c_[b, a, c]
    f = CorrelationFilter(threshold=0.9).fit(X, y)
    np.testing.assert_array_equal(f.get_support(), [False, True, True])
    np.testing.assert_array_equal(f.replaced_by_, [1, -1, -1])
    assert stats.spearmanr(a, b).statistic > 0.9
    # label-free: in column order the first of the pair stays
    g = CorrelationFilter(threshold=0.9, keep="first").fit(X)
    np.testing.assert_array_equal(g.get_support(), [True, False, True])
    # nothing is removed when the bound is above every correlation
    assert CorrelationFilter(threshold=0.999).fit(X, y).get_support().all()


def test_relevance_auc_is_distance_from_half():
    y = np.r_[np.zeros(10), np.ones(10)].astype(int)
    X = np.c_[np.arange(20.0), -np.arange(20.0), np.tile([0.0, 1.0], 10)]
    np.testing.assert_allclose(relevance_scores(X, y, "auc"), [0.5, 0.5, 0.0])


def test_univariate_filter_pvalues_and_fdr():
    rng = np.random.default_rng(1)
    y = np.r_[np.zeros(30), np.ones(30)].astype(int)
    X = rng.normal(size=(60, 8))
    X[:, 0] += 1.5 * y
    X[:, 3] += 1.0 * y
    f = UnivariateFilter().fit(X, y)
    ref = stats.mannwhitneyu(X[y == 0], X[y == 1], axis=0, method="asymptotic").pvalue
    np.testing.assert_allclose(f.pvalues_, ref)
    np.testing.assert_allclose(f.pvalues_adjusted_, benjamini_hochberg(ref))
    assert set(np.flatnonzero(f.get_support())) == {0, 3}
    # nothing significant: the min_features smallest p-values are kept
    g = UnivariateFilter(alpha=1e-12, min_features=2).fit(X, y)
    assert set(np.flatnonzero(g.get_support())) == {0, 3}
    h = UnivariateFilter(test="anova", correction="none", alpha=1.0, max_features=1).fit(X, y)
    assert np.flatnonzero(h.get_support()).tolist() == [0]


def test_benjamini_hochberg_hand_computed():
    # sorted p 0.01, 0.02, 0.03, 0.5 with m = 4: 0.04, 0.04, 0.04, 0.5
    np.testing.assert_allclose(
        benjamini_hochberg(np.array([0.03, 0.5, 0.01, 0.02])), [0.04, 0.5, 0.04, 0.04]
    )


@pytest.mark.parametrize("seed", range(5))
def test_mrmr_skips_a_redundant_copy(seed):
    rng = np.random.default_rng(seed)
    n = 200
    y = (rng.random(n) < 0.5).astype(int)
    strong = y + 0.6 * rng.normal(size=n)
    copy = strong + 0.05 * rng.normal(size=n)  # as relevant, fully redundant
    weak = y + 1.0 * rng.normal(size=n)  # less relevant, new information
    X = np.c_[strong, copy, weak, rng.normal(size=(n, 5))]
    m = MRMR(k=2).fit(X, y)
    assert m.ranking_[0] in (0, 1) and m.ranking_[1] == 2
    # the correlation ratio of a two-class problem is the point-biserial |r|
    assert m.relevance_[2] == pytest.approx(abs(np.corrcoef(weak, y)[0, 1]), rel=1e-10)
    # a ranking by relevance alone would have taken both copies
    rel = relevance_scores(X, y, "f")
    assert set(np.argsort(-rel)[:2]) == {0, 1}
    assert MRMR(k=50).fit(X, y).k_ == X.shape[1]


def test_mrmr_quotient_is_ding_and_peng_fcq():
    rng = np.random.default_rng(0)
    y = (rng.random(100) < 0.5).astype(int)
    X = rng.normal(size=(100, 6)) + 0.8 * y[:, None] * np.array([1, 0.8, 0.6, 0, 0, 0])
    m = MRMR(k=3, relevance="f", scheme="quotient").fit(X, y)
    F = relevance_scores(X, y, "f")
    Z = (X - X.mean(0)) / X.std(0)
    R = np.abs(Z.T @ Z) / 100
    first = int(np.argmax(F))
    score = F / R[:, first]
    score[first] = -np.inf
    assert m.ranking_[:2].tolist() == [first, int(np.argmax(score))]


def test_boruta_confirms_informative_features():
    rng = np.random.default_rng(3)
    n = 200
    y = (rng.random(n) < 0.5).astype(int)
    X = rng.normal(size=(n, 12))
    X[:, 2] += 1.5 * y
    X[:, 7] -= 1.5 * y
    b = BorutaSelector(n_estimators=60, max_iter=25, random_state=0).fit(X, y)
    assert b.status_[2] == 1 and b.status_[7] == 1
    assert {2, 7} <= set(np.flatnonzero(b.get_support()))
    # most noise is rejected. Boruta judges relevance on the training sample: a noise column
    # with a chance association there (here column 1, point-biserial r = -0.19, Mann-Whitney
    # p = 0.016) beats its shadow, whose association the permutation destroyed.
    assert (b.status_ == -1).sum() >= 6
    assert set(np.argsort(-b.importance_)[:2]) == {2, 7}


def test_robustness_filter_reads_the_icc_table(tmp_path):
    X = pd.DataFrame(np.random.default_rng(4).normal(size=(10, 4)), columns=["a", "b", "c", "d"])
    table = pd.DataFrame(
        {
            "feature": ["a", "b", "c", "c"],
            "family": ["glcm"] * 4,
            "icc": [0.9, 0.5, 0.95, 0.7],  # c twice: its lowest ICC counts
            "icc_ci_low": [0.8, 0.3, 0.9, 0.6],
            "icc_ci_high": [0.95, 0.7, 0.99, 0.8],
            "n_perturbations": [8] * 4,
        }
    )
    path = tmp_path / "ICC.csv"
    table.to_csv(path, index=False)
    keep = RobustnessFilter(icc_table=path).fit(X)
    np.testing.assert_array_equal(keep.get_support(), [True, False, False, True])
    assert keep.missing_features_ == ["d"]
    np.testing.assert_allclose(keep.icc_[:3], [0.9, 0.5, 0.7])
    drop = RobustnessFilter(icc_table=table, missing="drop", threshold=0.5).fit(X)
    np.testing.assert_array_equal(drop.get_support(), [True, True, True, False])
    assert list(drop.get_feature_names_out()) == ["a", "b", "c"]
    with pytest.raises(ValueError, match=r"1 features have no ICC.*d"):
        RobustnessFilter(icc_table=table, missing="error").fit(X)
    with pytest.raises(ValueError, match="needs columns 'feature' and 'icc'"):
        RobustnessFilter(icc_table=table.drop(columns="icc")).fit(X)
    # inside a pipeline the names survive the later steps
    pipe = Pipeline([("robust", RobustnessFilter(icc_table=path)), ("scale", StandardScaler())])
    pipe.fit(X)
    assert list(pipe.get_feature_names_out()) == ["a", "d"]


def test_l1_and_rfe_selectors_find_the_signal():
    rng = np.random.default_rng(5)
    n = 300
    y = (rng.random(n) < 0.5).astype(int)
    X = rng.normal(size=(n, 10))
    X[:, 4] += 2.0 * y
    Xs = StandardScaler().fit_transform(X)
    l1 = l1_selector(C=0.05, random_state=0).fit(Xs, y)
    assert 4 in np.flatnonzero(l1.get_support())
    assert l1.get_support().sum() <= 4
    rfe = rfe_selector(n_features=1).fit(Xs, y)
    assert np.flatnonzero(rfe.get_support()).tolist() == [4]
