"""Feature selectors for radiomics tables, as scikit-learn transformers.

Each selector is a :class:`~sklearn.feature_selection.SelectorMixin` estimator: it learns
which columns to keep in ``fit`` and keeps them in ``transform``. Put them in a
:class:`~sklearn.pipeline.Pipeline` so that cross-validation refits them inside every
training fold; selecting on all the data before cross-validation leaks the labels of the test
cases into the model and inflates every estimate (Demircioglu, Insights Imaging 2021).

==========================  =====================================================  ========
selector                    keeps                                                  uses y
==========================  =====================================================  ========
:class:`NearZeroVariance`   features that are not (near-)constant                  no
:class:`CorrelationFilter`  the most relevant feature of each correlated set       yes*
:class:`UnivariateFilter`   features with an FDR-adjusted test p-value <= alpha    yes
:class:`MRMR`               the top k by minimum-redundancy maximum-relevance       yes
:class:`BorutaSelector`     features more important than permuted copies           yes
:class:`RobustnessFilter`   features whose ICC in a perturbation table >= a bound  no
:func:`l1_selector`         non-zero coefficients of an L1 / elastic-net logistic  yes
:func:`rfe_selector`        recursive feature elimination with a linear model      yes
==========================  =====================================================  ========

(* label-free with ``keep="variance"`` or ``keep="first"``.)
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_selection import (
    RFE,
    SelectFromModel,
    SelectorMixin,
    f_classif,
    mutual_info_classif,
)
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = [
    "MRMR",
    "BorutaSelector",
    "CorrelationFilter",
    "NearZeroVariance",
    "RobustnessFilter",
    "UnivariateFilter",
    "benjamini_hochberg",
    "l1_selector",
    "relevance_scores",
    "rfe_selector",
]


# ----------------------------------------------------------------------------- helpers


def _classes(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Class labels and integer codes; at least two classes are required."""
    check_classification_targets(y)
    classes, codes = np.unique(y, return_inverse=True)
    if classes.size < 2:
        raise ValueError(
            "the selector needs at least two classes in y, got 1 class; a training fold with "
            "one class cannot rank features"
        )
    return classes, codes


def _ranks(X: np.ndarray) -> np.ndarray:
    """Column-wise mid-ranks (ties averaged)."""
    return stats.rankdata(X, axis=0)


def _standardise(X: np.ndarray) -> np.ndarray:
    """Columns centred and scaled to unit norm / sqrt(n); constant columns become zero."""
    Z = X - X.mean(axis=0)
    sd = np.sqrt((Z * Z).mean(axis=0))
    return np.divide(Z, sd, out=np.zeros_like(Z), where=sd > 1e-12 * (1.0 + np.abs(X).max(0)))


def _abs_corr(X: np.ndarray, method: str) -> np.ndarray:
    """Absolute Pearson or Spearman correlation matrix (constant columns: 0)."""
    Z = _standardise(_ranks(X) if method == "spearman" else X)
    C = np.abs(Z.T @ Z) / X.shape[0]
    return np.minimum(C, 1.0)


def relevance_scores(
    X: np.ndarray, codes: np.ndarray, kind: str, ranks: np.ndarray | None = None
) -> np.ndarray:
    """Univariate relevance of every column for class codes ``0 .. K-1``.

    Parameters
    ----------
    X : ndarray, shape (n, p)
    codes : ndarray of int, shape (n,)
    kind : {"auc", "f"}
        ``auc``: :math:`|\\mathrm{AUC} - 0.5|` of the feature as a score for the class (the
        mean over one-vs-rest splits when there are more than two classes), from mid-ranks;
        ``f``: the one-way ANOVA F statistic.

    ranks : ndarray, optional
        Column mid-ranks of X when already computed.

    Returns
    -------
    ndarray, shape (p,)
        Non-negative scores; 0 for constant columns.
    """
    if kind == "f":
        with np.errstate(divide="ignore", invalid="ignore"):
            f, _ = f_classif(X, codes)
        return np.nan_to_num(np.asarray(f, dtype=np.float64), nan=0.0, posinf=np.finfo(float).max)
    R = _ranks(X) if ranks is None else ranks
    n = X.shape[0]
    n_classes = int(codes.max()) + 1
    targets = [1] if n_classes == 2 else list(range(n_classes))
    total = np.zeros(X.shape[1])
    for k in targets:
        pos = codes == k
        n1 = int(pos.sum())
        n0 = n - n1
        auc = (R[pos].sum(axis=0) - n1 * (n1 + 1) / 2.0) / (n1 * n0)
        total += np.abs(auc - 0.5)
    return total / len(targets)


def target_correlation(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Absolute Pearson correlation of every column of X with a numeric target (0 for a
    constant column or target); on mid-ranks it is the absolute Spearman correlation."""
    Z = _standardise(X)
    t = _standardise(np.asarray(y, dtype=np.float64).reshape(-1, 1))[:, 0]
    return np.minimum(np.abs(Z.T @ t) / X.shape[0], 1.0)


def benjamini_hochberg(pvalues: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate).

    .. math:: \\tilde p_{(i)} = \\min_{j \\ge i} \\min\\left(1, \\frac{m}{j} p_{(j)}\\right)

    NaN p-values are treated as 1.
    """
    p = np.nan_to_num(np.asarray(pvalues, dtype=np.float64), nan=1.0)
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p)
    scaled = p[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


def _supervised_tags(tags: Any) -> Any:
    tags.target_tags.required = True
    return tags


# ---------------------------------------------------------------------------- selectors


class NearZeroVariance(SelectorMixin, BaseEstimator):
    """Remove constant and near-zero-variance features (Kuhn's ``nearZeroVar`` rule).

    A feature is removed when it takes a single value on the training data, or when both

    - the ratio of the frequency of its most common value to that of its second most common
      value exceeds ``freq_cut``, and
    - its number of distinct values divided by the number of samples is below ``unique_cut``.

    The rule is scale-free (a plain variance threshold is not: radiomic features range from
    1e-6 to 1e9). Label-free.

    Parameters
    ----------
    freq_cut : float, default=19.0
        Most-common / second-most-common frequency ratio above which a feature is suspect
        (95/5, caret's default).
    unique_cut : float, default=0.1
        Fraction of distinct values below which a suspect feature is removed.

    Attributes
    ----------
    freq_ratio_ : ndarray, shape (n_features,)
        Frequency ratio of each feature (inf for a constant feature).
    unique_fraction_ : ndarray, shape (n_features,)
        Distinct values / samples.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X had string column names.

    References
    ----------
    Kuhn, "Building predictive models in R using the caret package", J Stat Softw 28(5), 2008.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.c_[np.arange(40.0), np.ones(40), np.r_[np.zeros(39), 1.0]]
    >>> NearZeroVariance().fit(X).get_support()
    array([ True, False, False])
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "freq_cut": [Interval(Real, 1, None, closed="left")],
        "unique_cut": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, freq_cut: float = 19.0, unique_cut: float = 0.1) -> None:
        self.freq_cut = freq_cut
        self.unique_cut = unique_cut

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> NearZeroVariance:
        """Learn which features are (near-)constant on X; y is ignored."""
        X = validate_data(self, X, dtype=np.float64)
        n, p = X.shape
        S = np.sort(X, axis=0)
        starts = np.ones((n, p), dtype=bool)
        starts[1:] = S[1:] != S[:-1]
        n_unique = starts.sum(axis=0)
        # run lengths of equal values, column by column (column-major flattening)
        flat = np.flatnonzero(starts.T.ravel())
        lengths = np.diff(np.r_[flat, n * p])
        col = flat // n
        order = np.lexsort((-lengths, col))
        col_s, len_s = col[order], lengths[order]
        # every column has at least one run, so the first run of column j is entry j
        first = np.flatnonzero(np.r_[True, col_s[1:] != col_s[:-1]])
        top1 = len_s[first].astype(np.float64)
        has2 = n_unique > 1
        second = np.minimum(first + 1, len_s.size - 1)
        top2 = np.where(has2, len_s[second], 0).astype(np.float64)
        ratio = np.divide(top1, top2, out=np.full(p, np.inf), where=has2)
        self.freq_ratio_ = ratio
        self.unique_fraction_ = n_unique / n
        mask = self._get_support_mask()
        if not mask.any():
            extra = " (X contains only one sample)" if n == 1 else ""
            raise ValueError(f"every feature is constant or near-constant{extra}")
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self)
        constant = ~np.isfinite(self.freq_ratio_)
        near = (self.freq_ratio_ > self.freq_cut) & (self.unique_fraction_ < self.unique_cut)
        return ~(constant | near)


class CorrelationFilter(SelectorMixin, BaseEstimator):
    """Remove redundant features: of every pair correlated above a bound, keep one.

    Features are visited from the most to the least relevant (on the training data); a
    feature is kept when its absolute correlation with every feature already kept is at most
    ``threshold``, and it removes every remaining feature correlated with it above the bound.
    So of each correlated pair the more relevant member stays (a greedy cover, order
    dependent by design: it favours relevance over the original column order).

    Parameters
    ----------
    threshold : float, default=0.9
        Absolute correlation above which two features are redundant.
    method : {"spearman", "pearson"}, default="spearman"
        Spearman (rank) correlation is robust to the heavy tails of texture features.
    keep : {"auc", "f", "variance", "first"}, default="auc"
        Relevance order: ``auc`` = :math:`|\\mathrm{AUC} - 0.5|` of the feature on the
        training labels, ``f`` = ANOVA F, ``variance`` = variance (label-free), ``first`` =
        column order (label-free).

    Attributes
    ----------
    relevance_ : ndarray, shape (n_features,)
    replaced_by_ : ndarray of int, shape (n_features,)
        For a removed feature, the index of the kept feature that made it redundant; -1 for
        kept features.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "threshold": [Interval(Real, 0, 1, closed="both")],
        "method": [StrOptions({"spearman", "pearson"})],
        "keep": [StrOptions({"auc", "f", "r", "variance", "first"})],
    }

    def __init__(self, threshold: float = 0.9, method: str = "spearman", keep: str = "auc") -> None:
        self.threshold = threshold
        self.method = method
        self.keep = keep

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> CorrelationFilter:
        """Learn which features to keep from X (and y for ``keep="auc"``/``"f"``)."""
        supervised = self.keep in ("auc", "f")
        R = None
        if self.keep == "r":
            X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
            R = _ranks(X)
            relevance = target_correlation(R, stats.rankdata(y))
        elif supervised:
            X, y = validate_data(self, X, y, dtype=np.float64)
            _, codes = _classes(y)
            if self.method == "spearman" or self.keep == "auc":
                R = _ranks(X)
            relevance = relevance_scores(X, codes, self.keep, ranks=R)
        else:
            X = validate_data(self, X, dtype=np.float64)
            if self.keep == "variance":
                relevance = X.var(axis=0)
            else:
                relevance = -np.arange(X.shape[1], dtype=np.float64)
        if self.method == "spearman":
            Z = _standardise(R if R is not None else _ranks(X))
            C = np.minimum(np.abs(Z.T @ Z) / X.shape[0], 1.0)
        else:
            C = _abs_corr(X, "pearson")
        order = np.argsort(-relevance, kind="stable")
        replaced = np.full(X.shape[1], -1, dtype=np.intp)
        removed = np.zeros(X.shape[1], dtype=bool)
        for j in order:
            if removed[j]:
                continue
            hit = (C[j] > self.threshold) & ~removed
            hit[j] = False
            replaced[hit] = j
            removed |= hit
        self.relevance_ = relevance
        self.replaced_by_ = replaced
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self)
        return self.replaced_by_ < 0

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        if self.keep in ("auc", "f", "r"):
            _supervised_tags(tags)
        return tags


class UnivariateFilter(SelectorMixin, BaseEstimator):
    """Keep features that differ between classes by a univariate test, with FDR control.

    Two classes: the Mann-Whitney U test (normal approximation with tie correction) or
    one-way ANOVA (equivalent to the two-sample t-test); more classes: Kruskal-Wallis or
    ANOVA. p-values are adjusted by Benjamini-Hochberg (``correction="fdr_bh"``) or not at
    all, and features with adjusted p <= ``alpha`` are kept; at least ``min_features`` (the
    smallest p-values) and at most ``max_features`` are kept.

    Parameters
    ----------
    test : {"mannwhitney", "anova"}, default="mannwhitney"
    alpha : float, default=0.05
    correction : {"fdr_bh", "none"}, default="fdr_bh"
    min_features : int, default=1
    max_features : int or None, default=None

    Attributes
    ----------
    pvalues_ : ndarray, shape (n_features,)
    pvalues_adjusted_ : ndarray, shape (n_features,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    References
    ----------
    Benjamini & Hochberg, J R Stat Soc B 57 (1995) 289-300.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "test": [StrOptions({"mannwhitney", "anova"})],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "correction": [StrOptions({"fdr_bh", "none"})],
        "min_features": [Interval(Integral, 0, None, closed="left")],
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        test: str = "mannwhitney",
        alpha: float = 0.05,
        correction: str = "fdr_bh",
        min_features: int = 1,
        max_features: int | None = None,
    ) -> None:
        self.test = test
        self.alpha = alpha
        self.correction = correction
        self.min_features = min_features
        self.max_features = max_features

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> UnivariateFilter:
        """Test every feature of X against the classes of y."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        classes, codes = _classes(y)
        samples = [X[codes == k] for k in range(classes.size)]
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.test == "anova":
                _, p = f_classif(X, codes)
            elif classes.size == 2:
                p = stats.mannwhitneyu(
                    samples[0], samples[1], axis=0, method="asymptotic", use_continuity=True
                ).pvalue
            else:
                p = stats.kruskal(*samples, axis=0).pvalue
        p = np.nan_to_num(np.asarray(p, dtype=np.float64), nan=1.0)
        self.pvalues_ = p
        self.pvalues_adjusted_ = benjamini_hochberg(p) if self.correction == "fdr_bh" else p
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self)
        padj = self.pvalues_adjusted_
        order = np.argsort(padj, kind="stable")
        keep = padj <= self.alpha
        n_keep = int(keep.sum())
        n_keep = max(n_keep, min(self.min_features, padj.size))
        if self.max_features is not None:
            n_keep = min(n_keep, self.max_features)
        mask = np.zeros(padj.size, dtype=bool)
        mask[order[:n_keep]] = True
        return mask

    def __sklearn_tags__(self) -> Any:
        return _supervised_tags(super().__sklearn_tags__())


class MRMR(SelectorMixin, BaseEstimator):
    """Minimum-redundancy maximum-relevance selection of the top ``k`` features.

    Greedy forward selection (Peng, Long & Ding 2005). The first feature is the most
    relevant; each next one maximises, over the features not yet selected,

    .. math::

        \\text{difference:}\\quad R_j - \\frac{1}{|S|}\\sum_{s \\in S}|r_{js}|
        \\qquad\\text{or quotient:}\\quad
        \\frac{R_j}{\\max\\left(\\frac{1}{|S|}\\sum_{s \\in S}|r_{js}|,\\ 10^{-6}\\right)}

    with :math:`S` the features selected so far, :math:`r` the Pearson or Spearman
    correlation, and :math:`R_j` the relevance of feature :math:`j`. The default relevance is
    the correlation ratio

    .. math::

        \\eta_j = \\sqrt{\\frac{SS_{between}}{SS_{total}}}
                = \\sqrt{\\frac{F_j (K - 1)}{F_j (K - 1) + n - K}}

    (for two classes the absolute point-biserial correlation with the label), which lies in
    [0, 1] like :math:`|r|`, so the difference weighs relevance and redundancy in the same
    units: a near-copy of a selected feature scores about 0 and a less relevant feature with
    new information wins. This is the variant implemented and recommended here ("MID with the
    correlation ratio"). With ``relevance="f"`` (ANOVA F, Ding & Peng's FCD/FCQ) or
    ``"mi"`` (mutual information) the difference uses the relevance divided by its maximum.
    The quotient (FCQ with ``relevance="f"``, the ``mrmr-selection`` package's default)
    is offered for comparison; it can prefer an irrelevant feature that happens to be nearly
    uncorrelated with the selected ones (a small denominator), and it barely penalises a
    near-copy of a much more relevant feature.

    Each step costs one pass over the data (the running mean correlation is updated with the
    newly selected feature only), so selection is O(k n p).

    Parameters
    ----------
    k : int, default=10
        Number of features to select (all of them when fewer are present).
    relevance : {"eta", "f", "mi", "r"}, default="eta"
        Correlation ratio, ANOVA F statistic, mutual information (scikit-learn's
        nearest-neighbour estimator, which uses ``random_state``), or, for a numeric target
        (regression), the absolute Pearson correlation :math:`|r_{jy}|` with it (in [0, 1]
        like :math:`\\eta`, so the difference scheme weighs it as it weighs :math:`\\eta`).
    redundancy : {"pearson", "spearman"}, default="pearson"
    scheme : {"difference", "quotient"}, default="difference"
    random_state : int, RandomState or None, default=None
        Only used by ``relevance="mi"``.

    Attributes
    ----------
    ranking_ : ndarray of int, shape (k_,)
        Indices of the selected features in the order they were selected.
    relevance_ : ndarray, shape (n_features,)
    k_ : int
        Number of features actually selected.
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    References
    ----------
    Peng, Long & Ding, IEEE TPAMI 27 (2005) 1226-1238.
    Ding & Peng, J Bioinform Comput Biol 3 (2005) 185-205.
    Zhao, Anand & Wang, "Maximum relevance and minimum redundancy feature selection methods
    for a marketing machine learning platform", IEEE DSAA 2019.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "k": [Interval(Integral, 1, None, closed="left")],
        "relevance": [StrOptions({"eta", "f", "mi", "r"})],
        "redundancy": [StrOptions({"pearson", "spearman"})],
        "scheme": [StrOptions({"quotient", "difference"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        k: int = 10,
        relevance: str = "eta",
        redundancy: str = "pearson",
        scheme: str = "difference",
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.k = k
        self.relevance = relevance
        self.redundancy = redundancy
        self.scheme = scheme
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> MRMR:
        """Select ``k`` features of X for the classes (or, ``relevance="r"``, values) of y."""
        if self.relevance == "r":
            X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
            n, p = X.shape
            rel = target_correlation(X, np.asarray(y, dtype=np.float64))
        else:
            X, y = validate_data(self, X, y, dtype=np.float64)
            classes, codes = _classes(y)
            n, p = X.shape
            if self.relevance == "mi":
                rel = mutual_info_classif(X, codes, random_state=self.random_state)
            else:
                rel = relevance_scores(X, codes, "f")
                if self.relevance == "eta":
                    n_classes = classes.size
                    if n > n_classes:
                        between = rel * (n_classes - 1)
                        rel = np.sqrt(between / (between + n - n_classes))
                    else:  # no within-class degrees of freedom
                        rel = np.zeros(p)
        rel = np.nan_to_num(np.asarray(rel, dtype=np.float64), nan=0.0)
        Z = _standardise(_ranks(X) if self.redundancy == "spearman" else X)
        k = min(int(self.k), p)
        own_scale = self.relevance in ("eta", "r")
        scaled = rel if own_scale else rel / (rel.max() if rel.max() > 0 else 1.0)
        chosen = np.zeros(p, dtype=bool)
        red_sum = np.zeros(p)
        ranking = np.empty(k, dtype=np.intp)
        j = int(np.argmax(rel))
        for step in range(k):
            ranking[step] = j
            chosen[j] = True
            if step == k - 1:
                break
            red_sum += np.abs(Z.T @ Z[:, j]) / n
            red = red_sum / (step + 1)
            if self.scheme == "quotient":
                score = rel / np.maximum(red, 1e-6)
            else:
                score = scaled - red
            score[chosen] = -np.inf
            j = int(np.argmax(score))
        self.ranking_ = ranking
        self.relevance_ = rel
        self.k_ = k
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self)
        mask = np.zeros(self.n_features_in_, dtype=bool)
        mask[self.ranking_] = True
        return mask

    def __sklearn_tags__(self) -> Any:
        return _supervised_tags(super().__sklearn_tags__())


class BorutaSelector(SelectorMixin, BaseEstimator):
    """All-relevant selection with shadow features (Boruta; Kursa & Rudnicki 2010).

    Every iteration appends a permuted copy ("shadow") of each feature still in play (at least
    five shadows, repeating copies when fewer features remain, as Boruta does), fits a
    tree ensemble on real and shadow features, and scores a *hit* for every real feature whose
    impurity importance exceeds the ``perc`` percentile of the shadow importances. After
    :math:`t` iterations a feature with :math:`h` hits is confirmed when
    :math:`P(H \\ge h) < \\alpha'` and rejected when :math:`P(H \\le h) < \\alpha'` for
    :math:`H \\sim \\mathrm{Binomial}(t, 1/2)`, with :math:`\\alpha'` the Bonferroni-adjusted
    level (``alpha`` divided by the number of undecided features). Rejected features leave
    the game; the search ends when none is undecided or after ``max_iter`` iterations.
    Confirmed features are kept (and undecided ones with ``keep_tentative=True``); if none
    is, the feature with the most hits is kept so that a pipeline can go on.

    Parameters
    ----------
    estimator : classifier with ``feature_importances_`` or None, default=None
        None: ``RandomForestClassifier(n_estimators, max_depth=5)``.
    n_estimators : int, default=200
        Trees of the default forest.
    max_iter : int, default=50
    alpha : float, default=0.05
    perc : float, default=100
        Percentile of the shadow importances to beat (100 = the maximum, as in Boruta).
    keep_tentative : bool, default=False
    random_state : int, RandomState or None, default=None
    n_jobs : int or None, default=None
        Passed to the default forest.

    Attributes
    ----------
    hits_ : ndarray of int, shape (n_features,)
    status_ : ndarray of int, shape (n_features,)
        1 confirmed, 0 tentative, -1 rejected.
    importance_ : ndarray, shape (n_features,)
        Mean importance over the iterations in which the feature was in play.
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    References
    ----------
    Kursa & Rudnicki, "Feature selection with the Boruta package", J Stat Softw 36(11), 2010.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "estimator": [HasMethods(["fit"]), None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "perc": [Interval(Real, 0, 100, closed="right")],
        "keep_tentative": ["boolean"],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        estimator: Any = None,
        n_estimators: int = 200,
        max_iter: int = 50,
        alpha: float = 0.05,
        perc: float = 100,
        keep_tentative: bool = False,
        random_state: int | np.random.RandomState | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.max_iter = max_iter
        self.alpha = alpha
        self.perc = perc
        self.keep_tentative = keep_tentative
        self.random_state = random_state
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: Any, y: Any) -> BorutaSelector:
        """Run the Boruta iterations on X and y."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        _classes(y)
        rng = check_random_state(self.random_state)
        p = X.shape[1]
        if self.estimator is None:
            base = RandomForestClassifier(
                n_estimators=self.n_estimators, max_depth=5, n_jobs=self.n_jobs
            )
        else:
            base = clone(self.estimator)
        status = np.zeros(p, dtype=np.int8)
        hits = np.zeros(p, dtype=np.int64)
        imp_sum = np.zeros(p)
        imp_n = np.zeros(p)
        n_iter = 0
        for it in range(1, int(self.max_iter) + 1):
            n_iter = it
            live = np.flatnonzero(status >= 0)
            real = X[:, live]
            # at least 5 shadows, as in Boruta: fewer would make the bar too easy to beat
            source = np.tile(real, (1, -(-5 // live.size))) if live.size < 5 else real
            shuffle = np.argsort(rng.random_sample(source.shape), axis=0)
            shadow = np.take_along_axis(source, shuffle, axis=0)
            est = clone(base)
            if "random_state" in est.get_params():
                est.set_params(random_state=rng.randint(np.iinfo(np.int32).max))
            est.fit(np.hstack([real, shadow]), y)
            imp = np.asarray(getattr(est, "feature_importances_", None), dtype=np.float64)
            if imp.ndim != 1 or imp.size != live.size + shadow.shape[1]:
                raise ValueError("the estimator of BorutaSelector must set feature_importances_")
            imp_real, imp_shadow = imp[: live.size], imp[live.size :]
            bar = np.percentile(imp_shadow, self.perc)
            hits[live] += imp_real > bar
            imp_sum[live] += imp_real
            imp_n[live] += 1
            undecided = np.flatnonzero(status == 0)
            if undecided.size == 0:
                break
            level = self.alpha / undecided.size
            h = hits[undecided]
            p_confirm = stats.binom.sf(h - 1, it, 0.5)
            p_reject = stats.binom.cdf(h, it, 0.5)
            status[undecided[p_confirm < level]] = 1
            status[undecided[p_reject < level]] = -1
            if not np.any(status == 0):
                break
        self.hits_ = hits
        self.status_ = status
        self.importance_ = np.divide(imp_sum, imp_n, out=np.zeros(p), where=imp_n > 0)
        self.n_iter_ = n_iter
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self)
        mask = self.status_ == 1
        if self.keep_tentative:
            mask |= self.status_ == 0
        if not mask.any():
            mask = np.zeros_like(mask)
            mask[int(np.argmax(self.hits_ + self.importance_ / (1.0 + self.importance_.max())))] = (
                True
            )
        return mask

    def __sklearn_tags__(self) -> Any:
        return _supervised_tags(super().__sklearn_tags__())


class RobustnessFilter(SelectorMixin, BaseEstimator):
    """Keep features that are robust under image perturbations (ICC >= ``threshold``).

    Reads a feature-robustness table (``radiomix robustness`` writes it as ``ICC.csv`` with
    columns ``feature,family,icc,icc_ci_low,icc_ci_high,n_perturbations``; only ``feature``
    and the ``column`` named here are needed) and keeps the features whose intraclass
    correlation is at least ``threshold`` (0.75: "good" reliability by Koo & Li 2016, and
    WORC's default). The table is label-free, so this step leaks nothing; it still runs
    inside the pipeline so that the run records it.

    Features are matched by column name, so X should be a pandas DataFrame with the feature
    columns (put this step first in a pipeline); columns of an array are named ``x0, x1,
    ...`` as scikit-learn does. A feature listed more than once takes its lowest ICC.

    Parameters
    ----------
    icc_table : path, DataFrame or None, default=None
        CSV or Parquet file, or a DataFrame; None keeps every feature.
    threshold : float, default=0.75
    missing : {"keep", "drop", "error"}, default="keep"
        What happens to a feature absent from the table (or with a missing ICC): keep it
        (the default: absent means untested, not unstable, and the run records the names in
        ``missing_features_``), drop it, or raise an error.
    column : str, default="icc"
        Name of the ICC column.

    Attributes
    ----------
    icc_ : ndarray, shape (n_features,)
        ICC of each input feature (NaN when absent from the table).
    missing_features_ : list of str
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    References
    ----------
    Zwanenburg et al., "Assessing robustness of radiomic features by image perturbation",
    Sci Rep 9 (2019) 614. Koo & Li, J Chiropr Med 15 (2016) 155-163.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "icc_table": [str, Path, pd.DataFrame, None],
        "threshold": [Interval(Real, None, 1, closed="right")],
        "missing": [StrOptions({"keep", "drop", "error"})],
        "column": [str],
    }

    def __init__(
        self,
        icc_table: str | Path | pd.DataFrame | None = None,
        threshold: float = 0.75,
        missing: str = "keep",
        column: str = "icc",
    ) -> None:
        self.icc_table = icc_table
        self.threshold = threshold
        self.missing = missing
        self.column = column

    def _table(self) -> dict[str, float]:
        table = self.icc_table
        if isinstance(table, str | Path):
            path = Path(table)
            if not path.exists():
                raise ValueError(f"ICC table {path} does not exist")
            if path.suffix.lower() in (".parquet", ".pq"):
                table = pd.read_parquet(path)
            else:
                table = pd.read_csv(path)
        assert isinstance(table, pd.DataFrame)
        for col in ("feature", self.column):
            if col not in table.columns:
                raise ValueError(
                    f"the ICC table needs columns 'feature' and {self.column!r}; "
                    f"it has {list(table.columns)}"
                )
        icc = pd.to_numeric(table[self.column], errors="coerce")
        grouped = icc.groupby(table["feature"].astype(str)).min()
        return {str(k): float(v) for k, v in grouped.items()}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> RobustnessFilter:
        """Look up every feature of X (a DataFrame) in the ICC table; y is ignored."""
        validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan")
        p = self.n_features_in_
        if self.icc_table is None:
            self.icc_ = np.full(p, np.nan)
            self.missing_features_ = []
            return self
        names = getattr(self, "feature_names_in_", None)
        if names is None:  # scikit-learn's names for unnamed columns
            names = np.array([f"x{i}" for i in range(p)], dtype=object)
        lookup = self._table()
        icc = np.array([lookup.get(str(name), math.nan) for name in names], dtype=np.float64)
        missing = [str(nm) for nm, v in zip(names, icc, strict=True) if not np.isfinite(v)]
        if missing and self.missing == "error":
            shown = ", ".join(missing[:10]) + (
                f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            )
            raise ValueError(f"{len(missing)} features have no ICC in the table: {shown}")
        self.icc_ = icc
        self.missing_features_ = missing
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self)
        if self.icc_table is None:
            return np.ones(self.n_features_in_, dtype=bool)
        absent = ~np.isfinite(self.icc_)
        with np.errstate(invalid="ignore"):
            robust = self.icc_ >= self.threshold
        return robust | (absent & (self.missing == "keep"))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


# ------------------------------------------------------------- scikit-learn selectors


def l1_selector(
    C: float = 0.1,
    l1_ratio: float = 1.0,
    max_features: int | None = None,
    random_state: int | None = None,
) -> SelectFromModel:
    """Embedded selection by an L1 (lasso) or elastic-net logistic regression.

    Keeps the features whose coefficient is non-zero (:math:`|\\beta_j| > 10^{-5}`) in

    .. math::

        \\min_\\beta\\; C \\sum_i \\log\\left(1 + e^{-y_i x_i^\\top \\beta}\\right)
        + \\rho \\lVert\\beta\\rVert_1 + \\tfrac{1 - \\rho}{2} \\lVert\\beta\\rVert_2^2

    with :math:`\\rho` = ``l1_ratio``, solved by saga. Standardise
    the features first. A strong penalty (small ``C``) can remove every feature; tune ``C``
    (``select__estimator__C``) in the inner loop.

    Returns
    -------
    sklearn.feature_selection.SelectFromModel
    """
    model = LogisticRegression(
        C=C, l1_ratio=l1_ratio, solver="saga", max_iter=5000, random_state=random_state
    )
    return SelectFromModel(model, threshold=1e-5, max_features=max_features)


def rfe_selector(n_features: int = 10, step: float = 0.1, estimator: Any = None) -> RFE:
    """Recursive feature elimination (Guyon et al. 2002) with an L2 logistic regression.

    Repeatedly fits the model and drops the fraction ``step`` (or number, if >= 1) of the
    remaining features with the smallest absolute coefficients until ``n_features`` remain.
    Standardise the features first.

    Returns
    -------
    sklearn.feature_selection.RFE
    """
    est = estimator if estimator is not None else LogisticRegression(C=1.0, max_iter=5000)
    return RFE(est, n_features_to_select=n_features, step=step)
