"""ComBat harmonisation of multi-site feature tables, as a scikit-learn transformer.

Radiomic features shift and stretch from one scanner, protocol or site to the next. ComBat
(Johnson et al. 2007, brought to imaging by Fortin et al. 2017, 2018) removes a per-site
location and scale from every feature while keeping the effects of chosen covariates.

For feature :math:`j`, case :math:`i` of batch (site) :math:`b` and covariates :math:`x_i`,
the model is

.. math::

    y_{ij} = \\alpha_j + x_i^\\top \\beta_j + \\gamma_{bj} + \\delta_{bj}\\,\\varepsilon_{ij},
    \\qquad \\varepsilon_{ij} \\sim N(0, \\sigma_j^2).

1. **Standardise.** A least-squares fit of each feature on the batch indicators and the
   covariates gives :math:`\\hat\\alpha_j` (the batch coefficients averaged with the batch
   sizes as weights), :math:`\\hat\\beta_j` and the pooled residual variance
   :math:`\\hat\\sigma_j^2`; :math:`z_{ij} = (y_{ij} - \\hat\\alpha_j - x_i^\\top
   \\hat\\beta_j) / \\hat\\sigma_j`.
2. **Estimate** the batch location :math:`\\hat\\gamma_{bj}` (mean of :math:`z` in the
   batch) and scale :math:`\\hat\\delta^2_{bj}` (its variance, ``ddof=1``).
3. **Shrink** (empirical Bayes, parametric): across the features of one batch,
   :math:`\\gamma_{bj} \\sim N(\\bar\\gamma_b, \\tau_b^2)` and :math:`\\delta^2_{bj} \\sim
   \\mathrm{InvGamma}(a_b, b_b)`, with hyper-parameters from the moments of the estimates;
   the posterior means :math:`\\gamma^*_{bj}, \\delta^{2*}_{bj}` are found by iterating the
   two conditional updates until their largest relative change is below ``tol``.
4. **Adjust**: :math:`y^*_{ij} = \\hat\\sigma_j (z_{ij} - \\gamma^*_{bj}) / \\delta^*_{bj} +
   \\hat\\alpha_j + x_i^\\top \\hat\\beta_j`.

``empirical_bayes=False`` skips step 3 (the raw estimates are used), ``mean_only=True``
removes the location only (:math:`\\delta = 1`).

Fitted inside the training folds
--------------------------------
:class:`ComBat` learns every number above in :meth:`~ComBat.fit` and applies them in
:meth:`~ComBat.transform`, so it belongs inside a :class:`~sklearn.pipeline.Pipeline` as the
first step: cross-validation then refits it on each training fold. Fitted on all cases
before cross-validation, ComBat has seen the test cases: on a table where label and site are
confounded and the features carry no signal, ComBat on all cases with the label protected
gave a CV AUC of 0.91, ComBat inside the folds 0.51, and ComBat on all cases without the
label 0.13 (biased the other way); ``tests/learn/test_harmonise.py`` and
docs/harmonisation.md.

The label can still be protected inside the folds: with ``protect_label=True``, ``fit`` uses
``y`` to estimate the site effects net of each site's label mix, and ``transform`` (which
never sees labels) puts the label's term at its training mean. That is exact for the
location (the term cancels) and, for the scale, shrinks the label's effect by the site's
:math:`1/\\delta^*` in training and test rows alike. Where label and site are confounded,
the regression cannot tell a site effect from a label effect, and protecting the label keeps
part of the site difference.

Sites never seen in fit
-----------------------
A batch first met in :meth:`~ComBat.transform` (leave-one-site-out, an external site) is
standardised with the fitted :math:`\\hat\\alpha, \\hat\\beta, \\hat\\sigma` and its own
location and scale are estimated from its rows in that call (features only, no labels), with
the same shrinkage. This needs its rows together in one call (at least two of them unless
``mean_only``); the batch names are kept in ``unseen_batches_`` and an
:class:`UnseenBatchWarning` is issued so that a report can say so. The site's label mix is
then part of what is removed: if the new site has far more (or fewer) positives than the
training sites, its harmonised features are biased.

Covariates
----------
``covariates`` name columns whose effects are kept (:math:`x_i` above: age, sex, stage, ...).
A numeric covariate enters the design as it is; one named in ``categorical_covariates`` is
one-hot encoded over the categories of the training data, sorted (numbers by value, text
alphabetically), the first dropped as the reference level (as neuroCombat does; the
adjusted features do not depend on which level is the reference). At transform time a site
seen in fit is standardised with the case's own covariates and adjusted with the site's
fitted location and scale; a category never seen in fit has no coefficient, so its
indicator columns get their training means (the training mix of categories, the neutral
choice that the protected label gets too) and the category is listed in
``unseen_categories_``. Missing covariate values are an error unless ``impute_covariates``:
then they get the training median (numeric) or most frequent category, as the clinical
columns beside the features do (:class:`~radiomix.learn.clinical.ClinicalEncoder`), so that
a case with one missing value can still be harmonised and predicted.

Missing values and constant features
------------------------------------
Missing (NaN) and infinite feature values are left out of every estimate, feature by
feature, and stay missing in the output (impute after harmonising). A feature without
within-batch variation on the training data (constant, constant within every batch, or
observed fewer than two times) cannot be standardised: it passes through unchanged and is
listed in ``passthrough_features_``. The batch column must be complete.

References
----------
Johnson, Li & Rabinovic, "Adjusting batch effects in microarray expression data using
empirical Bayes methods", Biostatistics 8 (2007) 118-127.
Fortin et al., "Harmonization of multi-site diffusion tensor imaging data", NeuroImage 161
(2017) 149-170; "Harmonization of cortical thickness measurements across scanners and
sites", NeuroImage 167 (2018) 104-120.
Orlhac et al., "A guide to ComBat harmonization of imaging biomarkers in multicenter
studies", J Nucl Med 63 (2022) 172-179.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from radiomix.learn.table import category_key

__all__ = ["ComBat", "HarmoniseError", "UnseenBatchWarning"]


class UnseenBatchWarning(UserWarning):
    """A batch (site) met at transform time was not in the training data."""


class HarmoniseError(ValueError):
    """The data cannot be harmonised as given (a ValueError, as scikit-learn expects; the
    study code turns it into a :class:`~radiomix.errors.DataError`)."""


@dataclass(frozen=True)
class _BatchFit:
    """Location and scale of one batch, shrunk or not."""

    gamma_hat: np.ndarray
    delta2_hat: np.ndarray
    gamma: np.ndarray
    delta2: np.ndarray
    n_iter: int


def _prior_moments(values: np.ndarray) -> tuple[float, float]:
    """Mean and ``ddof=1`` variance of the finite entries."""
    v = values[np.isfinite(values)]
    if v.size < 2:
        return float(v.mean()) if v.size else 0.0, 0.0
    return float(v.mean()), float(v.var(ddof=1))


def _fit_batch(
    z: np.ndarray,
    *,
    empirical_bayes: bool,
    mean_only: bool,
    tol: float,
    max_iter: int,
) -> _BatchFit:
    """Location and scale of one batch from its standardised rows ``z`` (n_b, p).

    NaN entries are ignored feature by feature. Features observed in no row get the prior
    (empirical Bayes) or no adjustment.
    """
    obs = np.isfinite(z)
    n = obs.sum(axis=0).astype(np.float64)
    zf = np.where(obs, z, 0.0)
    gamma_hat = np.divide(zf.sum(axis=0), n, out=np.zeros(z.shape[1]), where=n > 0)
    if mean_only:
        delta2_hat = np.ones(z.shape[1])
    else:
        dev = np.where(obs, z - gamma_hat, 0.0)
        delta2_hat = np.divide(
            (dev * dev).sum(axis=0), n - 1, out=np.full(z.shape[1], np.nan), where=n > 1
        )
        # a feature constant within the batch: no scale information (as in sva / neuroCombat)
        delta2_hat[delta2_hat == 0] = 1.0
    if not empirical_bayes:
        return _BatchFit(
            gamma_hat, delta2_hat, gamma_hat.copy(), np.nan_to_num(delta2_hat, nan=1.0), 0
        )

    seen = n > 0
    g_bar, t2 = _prior_moments(gamma_hat[seen])
    if mean_only:
        # Posterior mean of the location with the within-batch variance of the standardised
        # data (1 by construction) and the batch's own count of observations.
        gamma = (t2 * n * gamma_hat + g_bar) / (t2 * n + 1.0)
        gamma[~seen] = g_bar
        return _BatchFit(gamma_hat, delta2_hat, gamma, np.ones(z.shape[1]), 0)

    m, s2 = _prior_moments(delta2_hat)
    if s2 <= 0:
        # identical scale estimates for every feature: the inverse-gamma prior is a point mass
        gamma = (t2 * n * gamma_hat + m * g_bar) / (t2 * n + m)
        gamma[~seen] = g_bar
        return _BatchFit(gamma_hat, delta2_hat, gamma, np.full(z.shape[1], m), 0)
    a = (2.0 * s2 + m * m) / s2
    b = (m * s2 + m**3) / s2
    g_old = np.where(seen, gamma_hat, g_bar)
    d_old = np.where(np.isfinite(delta2_hat), delta2_hat, b / (a - 1.0))
    g_new, d_new = g_old, d_old
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (the count is kept)
        g_new = (t2 * n * gamma_hat + d_old * g_bar) / (t2 * n + d_old)
        dev = np.where(obs, z - g_new, 0.0)
        sum2 = (dev * dev).sum(axis=0)
        d_new = (0.5 * sum2 + b) / (n / 2.0 + a - 1.0)
        change = max(
            float(np.max(np.abs(g_new - g_old) / np.maximum(np.abs(g_old), 1e-300))),
            float(np.max(np.abs(d_new - d_old) / d_old)),
        )
        g_old, d_old = g_new, d_new
        if change < tol:
            break
    else:
        warnings.warn(
            f"ComBat's empirical Bayes iteration did not reach a relative change below "
            f"{tol:g} in {max_iter} iterations",
            ConvergenceWarning,
            stacklevel=3,
        )
    return _BatchFit(gamma_hat, delta2_hat, g_new, d_new, n_iter)


def _label_design(y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Design columns of the label: itself when continuous, else one indicator per class
    but the first. Returns (columns (n, q), class labels or empty)."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise HarmoniseError(f"protect_label needs a one-dimensional y, got shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise HarmoniseError("protect_label needs a y without missing values")
    if arr.dtype.kind == "f" and np.any(arr != np.round(arr)):
        return arr.astype(np.float64)[:, None], np.array([])
    classes, codes = np.unique(arr, return_inverse=True)
    if classes.size < 2:
        raise HarmoniseError("protect_label needs at least two classes (or values) in y, got 1")
    cols = (codes[:, None] == np.arange(1, classes.size)[None, :]).astype(np.float64)
    return cols, classes


def _names(columns: Sequence[Hashable], limit: int = 10) -> str:
    shown = ", ".join(repr(c) for c in list(columns)[:limit])
    return shown + (f" and {len(columns) - limit} more" if len(columns) > limit else "")


def sorted_levels(values: Any) -> list[Any]:
    """The distinct non-missing values of a categorical column, sorted (numbers by value,
    then text)."""
    s = pd.Series(values, dtype=object)
    return sorted(pd.unique(s[s.notna()]), key=category_key)


@dataclass(frozen=True)
class _Covariate:
    """How one covariate enters the design: its levels (categorical; the first is the
    reference), the value a missing entry gets, and the training means of its columns."""

    name: str
    levels: tuple[Any, ...] | None
    fill: Any
    means: np.ndarray

    @property
    def columns(self) -> list[str]:
        if self.levels is None:
            return [self.name]
        return [f"{self.name}={v}" for v in self.levels[1:]]


class ComBat(TransformerMixin, BaseEstimator):
    """ComBat harmonisation of features across batches (sites, scanners, protocols).

    X is a pandas DataFrame that holds the feature columns, the batch column named by
    ``batch`` and any ``covariates``. The output has every column but the batch column, in
    the input order: the features harmonised, the covariates and the ``passthrough``
    columns unchanged (the covariates left out with ``drop_covariates``). So the step can
    sit first in a :class:`~sklearn.pipeline.Pipeline` and be refitted in every training
    fold (see the module documentation for the model and the formulas).

    Parameters
    ----------
    batch : str, default="site"
        Name of the batch column of X (any values; missing values are an error).
    covariates : sequence of str, default=()
        Columns of X whose effects are kept (e.g. age, stage): numeric ones enter the
        design as they are, those also named in ``categorical_covariates`` one-hot encoded.
        Do not put the label here when X is later cross-validated: use ``protect_label``.
    categorical_covariates : sequence of str, default=()
        The covariates that are categories (any values, text or numbers): one indicator
        column per training category but the first (the reference level).
    impute_covariates : bool, default=False
        Fill missing covariate values with the training median (numeric) or most frequent
        category; False makes them an error (in fit and in transform).
    protect_label : bool, default=False
        Use ``y`` in :meth:`fit` as a protected covariate (one indicator per class but the
        first, or the value itself when ``y`` is continuous), so that a site's label mix is
        not removed as a site effect. :meth:`transform` sees no labels and sets the label's
        term to its training mean.
    empirical_bayes : bool, default=True
        Shrink the per-batch location and scale towards their across-feature priors (normal
        for the location, inverse gamma for the scale); False uses the raw estimates.
    mean_only : bool, default=False
        Remove the location only (no scale adjustment). With ``empirical_bayes``, a batch's
        location is shrunk with the batch's own count of cases (neuroCombat and R's sva use
        a count of 1 here, which shrinks large batches far more).
    tol : float, default=1e-6
        The empirical Bayes iteration stops when the largest relative change of the
        location and scale estimates is below ``tol`` (sva and neuroCombat use 1e-4).
    max_iter : int, default=1000
        Iteration limit (a :class:`~sklearn.exceptions.ConvergenceWarning` when reached).
    exclude : sequence of str, default=()
        fnmatch patterns of feature columns left as they are (e.g. ``"*_morphology_*"``:
        shape features do not depend on the scanner the way intensity and texture do; WORC
        leaves them out of ComBat by default).
    warn_unseen : bool, default=True
        Issue an :class:`UnseenBatchWarning` when :meth:`transform` meets a batch not seen in
        fit, and an :class:`~radiomix.learn.clinical.UnseenCategoryWarning` for a covariate
        category not seen in fit (``unseen_batches_`` and ``unseen_categories_`` record
        them either way; the study code reports them itself).
    passthrough : sequence of str, default=()
        Columns carried to the output unchanged, neither harmonised nor part of the model
        (e.g. clinical columns that later steps encode); any dtype.
    drop_covariates : bool, default=False
        Leave the covariate columns out of the output (they were needed for the
        harmonisation only).

    Attributes
    ----------
    batches_ : ndarray
        The batches of the training data, sorted.
    batch_counts_ : ndarray of int
        Training rows per batch.
    features_ : list of str
        The harmonised columns (every column but the batch, the covariates and the
        pass-through columns).
    passthrough_features_ : list of str
        Features without within-batch variation on the training data, left unchanged.
    excluded_features_ : list of str
        Features matched by ``exclude``, left unchanged.
    grand_mean_ : ndarray, shape (n_features,)
        :math:`\\hat\\alpha` (NaN for pass-through features).
    coef_ : ndarray, shape (n_covariate_columns, n_features)
        :math:`\\hat\\beta`: the covariates' design columns first (``covariate_columns_``),
        then the label's columns.
    covariate_columns_ : list of str
        Names of the covariates' design columns: a numeric covariate by its name, a
        categorical one as ``name=category`` per category but the reference.
    covariate_levels_ : dict
        Per categorical covariate: its training categories, sorted (the first is the
        reference level).
    covariate_fill_ : dict
        Per covariate: the value a missing entry gets (``impute_covariates``).
    design_mean_ : ndarray, shape (n_covariate_columns,)
        Training mean of each design column (the label's term at transform time, and the
        columns of a category not seen in fit).
    var_pooled_ : ndarray, shape (n_features,)
        :math:`\\hat\\sigma^2`.
    gamma_hat_, delta2_hat_ : ndarray, shape (n_batches, n_features)
        Raw location and scale estimates (standardised units).
    gamma_, delta2_ : ndarray, shape (n_batches, n_features)
        The location and scale applied (after shrinkage when ``empirical_bayes``).
    n_iter_ : ndarray of int, shape (n_batches,)
        Empirical Bayes iterations per batch.
    classes_ : ndarray
        Classes of ``y`` when ``protect_label`` and y is categorical, else empty.
    unseen_batches_ : list
        Batches of the last :meth:`transform` call that were not in the training data
        (their location and scale were estimated from their own rows). Empty after fit.
    unseen_params_ : dict
        For each of those batches: ``{"n": rows, "gamma": ..., "delta2": ...}``.
    unseen_categories_ : dict
        Per categorical covariate: the categories of the last :meth:`transform` call not
        seen in fit (their design columns got the training means). Empty after fit.
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> site = np.repeat(["a", "b"], 20)
    >>> X = pd.DataFrame({"f1": rng.normal(size=40) + (site == "b") * 3.0,
    ...                   "f2": rng.normal(size=40), "site": site})
    >>> out = ComBat(batch="site").set_output(transform="pandas").fit_transform(X)
    >>> list(out.columns)
    ['f1', 'f2']
    >>> bool(abs(out.f1[site == "a"].mean() - out.f1[site == "b"].mean()) < 0.5)
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "batch": [Hashable],
        "covariates": [list, tuple],
        "categorical_covariates": [list, tuple],
        "impute_covariates": ["boolean"],
        "protect_label": ["boolean"],
        "empirical_bayes": ["boolean"],
        "mean_only": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "exclude": [list, tuple],
        "warn_unseen": ["boolean"],
        "passthrough": [list, tuple],
        "drop_covariates": ["boolean"],
    }

    def __init__(
        self,
        batch: Hashable = "site",
        covariates: Sequence[str] = (),
        protect_label: bool = False,
        empirical_bayes: bool = True,
        mean_only: bool = False,
        tol: float = 1e-6,
        max_iter: int = 1000,
        exclude: Sequence[str] = (),
        warn_unseen: bool = True,
        categorical_covariates: Sequence[str] = (),
        impute_covariates: bool = False,
        passthrough: Sequence[str] = (),
        drop_covariates: bool = False,
    ) -> None:
        self.batch = batch
        self.covariates = covariates
        self.protect_label = protect_label
        self.empirical_bayes = empirical_bayes
        self.mean_only = mean_only
        self.tol = tol
        self.max_iter = max_iter
        self.exclude = exclude
        self.warn_unseen = warn_unseen
        self.categorical_covariates = categorical_covariates
        self.impute_covariates = impute_covariates
        self.passthrough = passthrough
        self.drop_covariates = drop_covariates

    # ------------------------------------------------------------------ input checks

    def _frame(self, X: Any) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(
                f"ComBat needs a pandas DataFrame with the batch column {self.batch!r}, got "
                f"{type(X).__name__}"
            )
        if self.batch not in X.columns:
            raise HarmoniseError(f"X has no batch column {self.batch!r}")
        missing = [c for c in self.covariates if c not in X.columns]
        if missing:
            raise HarmoniseError(f"X has no covariate column {_names(missing)}")
        odd = [c for c in self.categorical_covariates if c not in self.covariates]
        if odd:
            raise HarmoniseError(
                f"categorical_covariates {_names(odd)} are not in covariates (name them there too)"
            )
        if self.batch in self.covariates:
            raise HarmoniseError(f"the batch column {self.batch!r} cannot also be a covariate")
        lost = [c for c in self.passthrough if c not in X.columns]
        if lost:
            raise HarmoniseError(f"X has no pass-through column {_names(lost)}")
        both = [c for c in self.passthrough if c == self.batch or c in self.covariates]
        if both:
            raise HarmoniseError(
                f"pass-through columns {_names(both)} are also the batch or a covariate"
            )
        if X.columns.has_duplicates:
            dup = X.columns[X.columns.duplicated()].unique()
            raise HarmoniseError(f"X has duplicated column names: {_names(list(dup))}")
        return X

    def _batch_values(self, X: pd.DataFrame) -> np.ndarray:
        values = X[self.batch]
        if values.isna().any():
            raise HarmoniseError(
                f"the batch column {self.batch!r} has {int(values.isna().sum())} missing "
                "values; every row needs its batch"
            )
        return values.to_numpy()

    def _matrix(self, X: pd.DataFrame, columns: Sequence[Hashable]) -> np.ndarray:
        """The feature columns as float64 (NaN for missing and infinite values)."""
        if not columns:
            return np.zeros((len(X), 0))
        sub = X[list(columns)]
        bad = [c for c in columns if not pd.api.types.is_numeric_dtype(sub[c])]
        if bad:
            raise HarmoniseError(f"non-numeric feature columns: {_names(bad)}")
        arr = np.array(sub.to_numpy(dtype=np.float64, na_value=np.nan), copy=True)
        arr[~np.isfinite(arr)] = np.nan
        return arr

    def _fit_covariates(self, X: pd.DataFrame) -> list[_Covariate]:
        """How each covariate enters the design, from the training rows."""
        categorical = set(self.categorical_covariates)
        out = []
        for c in self.covariates:
            col = X[c]
            if c in categorical:
                levels = sorted_levels(col)
                if not levels:
                    raise HarmoniseError(
                        f"covariate column {c!r} has no value in the training data"
                    )
                counts = pd.Series(col, dtype=object).value_counts()
                fill = max(levels, key=lambda v: (counts.get(v, 0), -levels.index(v)))
                out.append(_Covariate(str(c), tuple(levels), fill, np.zeros(0)))
                continue
            if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
                raise HarmoniseError(
                    f"non-numeric covariate columns: {c!r} (name it in categorical_covariates "
                    "to one-hot encode it)"
                )
            v = col.to_numpy(dtype=np.float64, na_value=np.nan)
            ok = np.isfinite(v)
            if not ok.any():
                raise HarmoniseError(f"covariate column {c!r} has no value in the training data")
            out.append(_Covariate(str(c), None, float(np.median(v[ok])), np.zeros(0)))
        return out

    def _design(
        self, X: pd.DataFrame, specs: Sequence[_Covariate]
    ) -> tuple[np.ndarray, dict[str, list[Any]]]:
        """The covariates' design columns (n, q) and, per categorical covariate, the
        categories not in its training levels (their columns get ``means``)."""
        parts: list[np.ndarray] = []
        unseen: dict[str, list[Any]] = {}
        incomplete: list[str] = []
        for spec in specs:
            col = X[spec.name]
            missing = col.isna().to_numpy()
            if spec.levels is None:
                if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
                    raise HarmoniseError(
                        f"non-numeric covariate columns: {spec.name!r} (it was numeric in fit)"
                    )
                v = col.to_numpy(dtype=np.float64, na_value=np.nan)
                missing = ~np.isfinite(v)
                if missing.any():
                    if not self.impute_covariates:
                        incomplete.append(spec.name)
                        continue
                    v = np.where(missing, spec.fill, v)
                parts.append(v[:, None])
                continue
            values = col.to_numpy(dtype=object).copy()
            if missing.any():
                if not self.impute_covariates:
                    incomplete.append(spec.name)
                    continue
                values[missing] = spec.fill
            idx = pd.Index(list(spec.levels), dtype=object).get_indexer(values)
            cols = (idx[:, None] == np.arange(1, len(spec.levels))[None, :]).astype(np.float64)
            new = idx < 0
            if new.any():
                if spec.means.size == cols.shape[1]:
                    cols[new] = spec.means
                unseen[spec.name] = sorted(pd.unique(values[new]), key=category_key)
            parts.append(cols)
        if incomplete:
            raise HarmoniseError(
                f"covariate columns with missing values: {_names(incomplete)} (fill them in, "
                "or use impute_covariates=True)"
            )
        if not parts:
            return np.zeros((len(X), 0)), unseen
        return np.hstack(parts), unseen

    # ------------------------------------------------------------------------- fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> ComBat:
        """Estimate the ComBat model on X (and y when ``protect_label``).

        Parameters
        ----------
        X : DataFrame, shape (n_samples, n_columns)
            Features, the batch column, the covariates and the pass-through columns.
        y : array-like of shape (n_samples,), optional
            The label; used only when ``protect_label``.

        Returns
        -------
        self
        """
        X = self._frame(X)
        n = len(X)
        batch = self._batch_values(X)
        covariates = list(self.covariates)
        skip = {self.batch, *covariates, *self.passthrough}
        features = [c for c in X.columns if c not in skip]
        if not features:
            raise HarmoniseError(
                "X has no feature column besides the batch, the covariates and the "
                "pass-through columns"
            )
        Y = self._matrix(X, features)
        specs = self._fit_covariates(X)
        C, _ = self._design(X, specs)
        # the training means of the design columns: what a category never seen in fit gets
        at = 0
        fitted: list[_Covariate] = []
        for spec in specs:
            q = len(spec.columns)
            fitted.append(dataclasses.replace(spec, means=C[:, at : at + q].mean(axis=0)))
            at += q
        n_cov_cols = C.shape[1]
        classes = np.array([])
        if self.protect_label:
            if y is None:
                raise HarmoniseError("protect_label=True needs y in fit")
            L, classes = _label_design(y)
            if L.shape[0] != n:
                raise HarmoniseError(f"y has {L.shape[0]} values for {n} rows of X")
            C = np.hstack([C, L])

        batches, codes, counts = np.unique(batch, return_inverse=True, return_counts=True)
        k = batches.size
        if k < 2:
            raise HarmoniseError(
                f"ComBat needs at least two batches in the training data, got {k} "
                f"({_names(list(batches))})"
            )
        if not self.mean_only and np.any(counts < 2):
            lone = [b for b, c in zip(batches, counts, strict=True) if c < 2]
            raise HarmoniseError(
                f"batches with a single training sample: {_names(lone)}; ComBat cannot "
                "estimate their scale (merge them, drop them, or use mean_only=True)"
            )
        B = (codes[:, None] == np.arange(k)[None, :]).astype(np.float64)
        D = np.hstack([B, C])
        if np.linalg.matrix_rank(D) < D.shape[1]:
            raise HarmoniseError(
                "the covariates (or the protected label) are confounded with the batch: the "
                "design matrix [batch indicators, covariates] is rank deficient, so site and "
                "covariate effects cannot be told apart; ComBat should not be used here"
            )

        p = Y.shape[1]
        obs = np.isfinite(Y)
        coef = np.full((D.shape[1], p), np.nan)
        full = obs.all(axis=0)
        if full.any():
            coef[:, full] = np.linalg.lstsq(D, Y[:, full], rcond=None)[0]
        for j in np.flatnonzero(~full):
            rows = obs[:, j]
            if rows.sum() > 0:
                coef[:, j] = np.linalg.lstsq(D[rows], Y[rows, j], rcond=None)[0]
        n_obs = B.T @ obs.astype(np.float64)  # (k, p)
        tot = n_obs.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            grand = np.nansum(np.where(n_obs > 0, n_obs * coef[:k], 0.0), axis=0) / tot
            resid = np.where(obs, Y - D @ np.nan_to_num(coef), 0.0)
            var = (resid * resid).sum(axis=0) / tot
        # relative to the feature's magnitude: radiomic features range from 1e-6 to 1e9
        magnitude = np.where(obs, np.abs(Y), 0.0).max(axis=0)
        excluded = np.array(
            [any(fnmatch.fnmatchcase(str(c), pat) for pat in self.exclude) for c in features]
        )
        varies = (tot >= 2) & (var > 0) & (var > (1e-12 * magnitude) ** 2)
        active = varies & ~excluded
        beta = coef[k:]

        Z = self._standardise(Y[:, active], C, grand[active], beta[:, active], var[active])
        gh = np.zeros((k, p))
        dh = np.ones((k, p))
        g = np.zeros((k, p))
        d = np.ones((k, p))
        n_iter = np.zeros(k, dtype=np.int64)
        for b in range(k):
            fb = _fit_batch(
                Z[codes == b],
                empirical_bayes=self.empirical_bayes,
                mean_only=self.mean_only,
                tol=self.tol,
                max_iter=self.max_iter,
            )
            gh[b, active], dh[b, active] = fb.gamma_hat, fb.delta2_hat
            g[b, active], d[b, active] = fb.gamma, fb.delta2
            n_iter[b] = fb.n_iter

        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        self.batches_ = batches
        self.batch_counts_ = counts
        self.features_ = [str(c) for c in features]
        self.passthrough_features_ = [
            str(c) for c, v, e in zip(features, varies, excluded, strict=True) if not (v or e)
        ]
        self.excluded_features_ = [str(c) for c, e in zip(features, excluded, strict=True) if e]
        self._active = active
        self._columns = list(X.columns)
        self._features = features
        self._covariate_specs = fitted
        self.covariate_columns_ = [name for spec in fitted for name in spec.columns]
        self.covariate_levels_ = {s.name: list(s.levels) for s in fitted if s.levels is not None}
        self.covariate_fill_ = {s.name: s.fill for s in fitted}
        self.grand_mean_ = np.where(active, grand, np.nan)
        self.coef_ = np.where(active[None, :], beta, np.nan)
        self.design_mean_ = C.mean(axis=0)
        self._n_label_cols = C.shape[1] - n_cov_cols
        self.var_pooled_ = var
        self.gamma_hat_, self.delta2_hat_ = gh, dh
        self.gamma_, self.delta2_ = g, d
        self.n_iter_ = n_iter
        self.classes_ = classes
        self.unseen_batches_: list[Any] = []
        self.unseen_params_: dict[Any, dict[str, Any]] = {}
        self.unseen_categories_: dict[str, list[Any]] = {}
        return self

    @staticmethod
    def _standardise(
        Y: np.ndarray, C: np.ndarray, grand: np.ndarray, beta: np.ndarray, var: np.ndarray
    ) -> np.ndarray:
        return (Y - grand - C @ beta) / np.sqrt(var)

    # ------------------------------------------------------------------- transform

    def _output_columns(self) -> list[Any]:
        drop = {self.batch, *(self.covariates if self.drop_covariates else ())}
        return [c for c in self._columns if c not in drop]

    def transform(self, X: Any) -> np.ndarray | pd.DataFrame:
        """Harmonise X with the fitted model.

        Rows of a batch not seen in fit are harmonised with a location and scale estimated
        from those rows (no labels), recorded in ``unseen_batches_`` with an
        :class:`UnseenBatchWarning`; categories of a categorical covariate not seen in fit
        are recorded in ``unseen_categories_``.

        Parameters
        ----------
        X : DataFrame
            The columns of the training X (any order).

        Returns
        -------
        ndarray or DataFrame, shape (n_samples, n_output_columns)
            Every column but the batch column (and the covariates with
            ``drop_covariates``), in the training order: a float64 array, or a DataFrame
            (each column its own dtype) when a covariate or pass-through column holds text.
        """
        check_is_fitted(self)
        X = self._frame(X)
        want, have = set(self._columns), set(X.columns)
        if want != have:
            parts = []
            if want - have:
                parts.append(f"missing {_names([c for c in self._columns if c not in have])}")
            if have - want:
                parts.append(f"unexpected {_names([c for c in X.columns if c not in want])}")
            raise HarmoniseError(
                f"X does not have the columns ComBat was fitted on: {'; '.join(parts)}"
            )
        batch = self._batch_values(X)
        Y = self._matrix(X, self._features)
        C, new_categories = self._design(X, self._covariate_specs)
        if self._n_label_cols:
            C = np.hstack([C, np.tile(self.design_mean_[C.shape[1] :], (len(X), 1))])
        act = self._active
        grand, beta = self.grand_mean_[act], self.coef_[:, act]
        var = self.var_pooled_[act]
        Z = self._standardise(Y[:, act], C, grand, beta, var)

        codes = pd.Index(self.batches_).get_indexer(pd.Index(batch))
        gamma = np.zeros_like(Z)
        delta2 = np.ones_like(Z)
        seen = codes >= 0
        gamma[seen] = self.gamma_[codes[seen]][:, act]
        delta2[seen] = self.delta2_[codes[seen]][:, act]
        unseen: list[Any] = []
        params: dict[Any, dict[str, Any]] = {}
        if not seen.all():
            new_batches = pd.unique(batch[~seen])
            for u in new_batches:
                rows = batch == u
                m = int(rows.sum())
                if m < 2 and not self.mean_only:
                    raise HarmoniseError(
                        f"batch {u!r} was not in the training data and has {m} row here: "
                        "ComBat estimates a new batch's scale from its own rows, which needs "
                        "at least two (transform its rows together, or use mean_only=True)"
                    )
                fb = _fit_batch(
                    Z[rows],
                    empirical_bayes=self.empirical_bayes,
                    mean_only=self.mean_only,
                    tol=self.tol,
                    max_iter=self.max_iter,
                )
                gamma[rows], delta2[rows] = fb.gamma, fb.delta2
                g_full = np.zeros(act.size)
                d_full = np.ones(act.size)
                g_full[act], d_full[act] = fb.gamma, fb.delta2
                unseen.append(u)
                params[u] = {"n": m, "gamma": g_full, "delta2": d_full}
            if self.warn_unseen:
                warnings.warn(
                    f"ComBat: {len(unseen)} batch(es) not seen in fit ({_names(unseen)}); "
                    "their location and scale were estimated from their own rows at "
                    "transform time",
                    UnseenBatchWarning,
                    stacklevel=2,
                )
        if new_categories and self.warn_unseen:
            from radiomix.learn.clinical import UnseenCategoryWarning

            listed = "; ".join(f"{c}: {_names(v)}" for c, v in new_categories.items())
            warnings.warn(
                f"ComBat: covariate categories not seen in fit ({listed}); their design "
                "columns got the training means",
                UnseenCategoryWarning,
                stacklevel=2,
            )
        self.unseen_batches_ = unseen
        self.unseen_params_ = params
        self.unseen_categories_ = new_categories

        adj = (Z - gamma) / np.sqrt(delta2) * np.sqrt(var) + grand + C @ beta
        Yout = Y.copy()
        Yout[:, act] = adj
        harmonised = dict(zip(self._features, Yout.T, strict=True))
        columns = self._output_columns()
        kept = [X[c] for c in columns if c not in harmonised]
        numeric = all(
            pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s) for s in kept
        )
        if not numeric:  # text kept as it is, each column with its own dtype
            return pd.DataFrame(
                {c: harmonised[c] if c in harmonised else X[c].to_numpy() for c in columns},
                index=X.index,
            )
        out = np.empty((len(X), len(columns)))
        for j, c in enumerate(columns):
            if c in harmonised:
                out[:, j] = harmonised[c]
            else:
                out[:, j] = X[c].to_numpy(dtype=np.float64, na_value=np.nan)
        return out

    def __setstate__(self, state: dict[str, Any]) -> None:
        # a ComBat pickled (in a model bundle) before categorical covariates and
        # pass-through columns existed: their defaults, its numeric covariates as specs
        for key, value in (
            ("categorical_covariates", ()),
            ("impute_covariates", False),
            ("passthrough", ()),
            ("drop_covariates", False),
        ):
            state.setdefault(key, value)
        if "batches_" in state and "_covariate_specs" not in state:
            covs = [str(c) for c in state.get("covariates", ())]
            state["_covariate_specs"] = [_Covariate(c, None, np.nan, np.zeros(0)) for c in covs]
            state.setdefault("covariate_columns_", covs)
            state.setdefault("covariate_levels_", {})
            state.setdefault("covariate_fill_", dict.fromkeys(covs, np.nan))
            state.setdefault("unseen_categories_", {})
        super().__setstate__(state)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Every input column but the batch column (and the covariates with
        ``drop_covariates``), in the training order."""
        check_is_fitted(self)
        return np.asarray([str(c) for c in self._output_columns()], dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.target_tags.required = bool(self.protect_label)
        return tags
