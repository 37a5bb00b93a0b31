"""The model zoo: named, unfitted pipelines with their hyper-parameter grids.

Every entry is a scikit-learn :class:`~sklearn.pipeline.Pipeline` whose data-dependent steps
(imputation, filters, selection, scaling, calibration) are refitted in every training fold,
plus the grid searched in the inner loop of nested cross-validation. Grids are kept small on
purpose: on a few hundred cases, large searches mostly fit noise (and cost time).

===================  ==========================================================================
name                 pipeline (grid)
===================  ==========================================================================
auto                 chooses among three families by inner-CV AUC inside every training fold:
                     ``lr_l2`` (impute, NZV, scale, L2 logistic regression on all features, C
                     in 10^-3..10^2), ``lr_l2_mrmr`` (below) and ``random_forest`` (impute,
                     200 trees, max_features sqrt, min_samples_leaf 1/5); **the default**
lr_l2_mrmr           impute, near-zero variance, scale, Spearman filter 0.9, mRMR k, L2 logistic
                     regression (k in 5/10/20, C in 10^-3..10^2, 11 values); the default
                     before ``auto``
lr_l2                impute, NZV, scale, L2 logistic regression on every feature (C grid): the
                     plain recipe
shape_only_lr        same without mRMR, on shape (morphology) features only (C grid): the
                     interpretable baseline a radiomics signature has to beat
lr_l1                impute, NZV, scale, Spearman filter, L1 logistic regression (C in 10^-2..10)
lr_elasticnet        impute, NZV, scale, Spearman filter, elastic-net logistic regression
                     (C in 0.01/0.1/1, l1_ratio in 0.2/0.5/0.8)
random_forest        impute, random forest of 300 trees (max_features sqrt/log2,
                     min_samples_leaf 1/5)
extra_trees          impute, extremely randomised trees, same grid
svm_rbf              impute, NZV, scale, Spearman filter, RBF support vector machine with Platt
                     (sigmoid) probabilities calibrated by 3-fold CV inside the training fold
                     (C in 0.1/1/10)
gradient_boosting    scikit-learn's histogram gradient boosting (native missing values;
                     100 iterations at learning rate 0.1, max_leaf_nodes 7/15)
===================  ==========================================================================

The same names serve several classes (``--task multiclass``): logistic regression is then
multinomial, and ``lr_ovr_mrmr`` fits one binary logistic regression per class (one vs rest);
``auto`` chooses among the same three families by inner-CV macro AUC (**the default** of
several classes). :data:`MULTICLASS_MODELS` lists them; :data:`REGRESSION_MODELS` holds the
models of a numeric outcome (``--task regression``):

===================  ==========================================================================
name                 pipeline (grid)
===================  ==========================================================================
auto                 chooses among three families by inner-CV R² inside every training fold
                     (:data:`REGRESSION_AUTO_FAMILIES`): ``ridge`` (impute, NZV, scale, ridge
                     on every feature, alpha in 10^-2..10^4), ``ridge_mrmr`` (below) and
                     ``random_forest`` (200 regression trees, max_features sqrt,
                     min_samples_leaf 1/5); **the default**
ridge_mrmr           impute, NZV, scale, Spearman filter (keeps the feature more correlated
                     with the outcome), mRMR k (relevance: absolute Pearson r with the outcome),
                     ridge regression (k in 5/10/20, alpha in 10^-2..10^4, 7 values); the
                     default before ``auto``
shape_only_ridge     same without mRMR, shape features only (alpha grid): the baseline
elastic_net          impute, NZV, scale, Spearman filter, elastic net (alpha in
                     0.01/0.1/1 x l1_ratio in 0.2/0.5/0.8)
random_forest        impute, random forest of 300 regression trees (max_features 1/3 or sqrt,
                     min_samples_leaf 1/5)
gradient_boosting    histogram gradient boosting regression (max_leaf_nodes 7/15)
===================  ==========================================================================

``auto`` is one pipeline whose grid is a list of sub-grids, one per family (:data:`AUTO_FAMILIES`):
the RF and plain-LR sub-grids replace the correlation filter and the mRMR step by
``passthrough`` (and the classifier by a forest), so the inner loop of
:func:`~radiomix.learn.validation.nested_cv` scores every candidate of every family on the same
inner splits and keeps the best mean inner AUC (several classes: macro AUC, in
:func:`~radiomix.learn.task_cv.nested_cv_task`; a numeric outcome: R²; a time to an event:
Harrell's C, with the families of :data:`radiomix.learn.survival.SURVIVAL_AUTO_FAMILIES`). The family is thus chosen inside every outer
training fold, and the outer folds evaluate the whole choose-then-fit procedure; each fold
records the family it chose (``folds.csv``: ``family``), and the final model says what the
choice on all cases picked. Families share the fitted imputer, variance filter and scaler of
each inner split (the lean search caches them), so ``auto`` costs about the sum of its
families. The best score of a family with a larger grid is a little optimistic (a maximum
over more candidates); that tilts the choice, never the outer estimate. The forest in a
sub-grid is a template: both engines give every inner search a private copy seeded from the
run's ``random_state`` (every unset ``random_state`` inside it, nested ones included), so a
run is reproduced bit for bit by its seed, and the template itself is never fitted.

The calibration folds of ``svm_rbf`` ignore groups (scikit-learn does not route them there
without metadata routing); near-duplicates in one training fold can make its Platt scaling a
little optimistic, never the outer estimate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import (
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from radiomix.learn.selectors import MRMR, CorrelationFilter, NearZeroVariance

__all__ = [
    "AUTO_FAMILIES",
    "DEFAULT_MODEL",
    "DEFAULT_REGRESSION_MODEL",
    "MODELS",
    "MULTICLASS_MODELS",
    "REGRESSION_AUTO_FAMILIES",
    "REGRESSION_MODELS",
    "SHAPE_PATTERNS",
    "ModelSpec",
    "get_model",
    "grid_parts",
    "model_names",
]

DEFAULT_MODEL = "auto"
DEFAULT_REGRESSION_MODEL = "auto"

SHAPE_PATTERNS = ("*_morphology_*", "*_shape_*", "*_shape2D_*", "*_shape2d_*")
"""Column patterns of shape features: radiomix (``morphology``) and PyRadiomics names."""

_C_GRID = [float(c) for c in np.logspace(-3, 2, 11)]

GridSpec: TypeAlias = Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Sequence[Any]]]
"""A grid: one mapping ``step__param`` -> values, or a list of them (searched one after the
other, as scikit-learn's ``ParameterGrid`` does)."""


def grid_parts(grid: GridSpec | None) -> list[dict[str, list[Any]]]:
    """The sub-grids of a grid (one for a mapping, none for an empty one)."""
    if not grid:
        return []
    if isinstance(grid, Mapping):
        return [{k: list(v) for k, v in grid.items()}]
    return [{k: list(v) for k, v in part.items()} for part in grid]


@dataclass(frozen=True)
class ModelSpec:
    """A named model: how to build its unfitted pipeline and which grid to search.

    Attributes
    ----------
    name : str
    description : str
    build : callable returning a new unfitted Pipeline
    grid : mapping of ``step__param`` -> list of values, or a list of such mappings
    families : tuple of str
        Names of the sub-grids when ``grid`` is a list of model families (``auto``): the
        inner loop's choice among them is recorded per fold under these names.
    include, exclude : tuple of str
        fnmatch patterns restricting the feature columns the model sees (e.g. shape only).
    columns_removed, columns_added : tuple of str
        Columns that are not radiomic features (a site column, clinical columns): removed
        before ``include`` / ``exclude`` apply, then those the pipeline needs added back
        (:mod:`radiomix.learn.config` sets them for ``--harmonise`` and ``--clinical``).
    radiomics : bool
        False for a model of the clinical columns alone (no radiomic feature).
    """

    name: str
    description: str
    build: Callable[[], Pipeline]
    grid: GridSpec = field(default_factory=dict)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    columns_removed: tuple[str, ...] = ()
    columns_added: tuple[str, ...] = ()
    radiomics: bool = True
    families: tuple[str, ...] = ()


def _prep(decorrelate: bool = True) -> list[tuple[str, Any]]:
    steps: list[tuple[str, Any]] = [
        ("impute", SimpleImputer(strategy="median")),
        ("nzv", NearZeroVariance()),
        ("scale", StandardScaler()),
    ]
    if decorrelate:
        steps.append(("decorr", CorrelationFilter(threshold=0.9, method="spearman", keep="auc")))
    return steps


def _lr(**kw: Any) -> LogisticRegression:
    return LogisticRegression(max_iter=5000, **kw)


def _lr_l2_mrmr() -> Pipeline:
    return Pipeline([*_prep(), ("select", MRMR(k=10)), ("clf", _lr(C=1.0))])


def _lr_l2() -> Pipeline:
    return Pipeline([*_prep(decorrelate=False), ("clf", _lr(C=1.0))])


_AUTO_TREES = 200


def _auto() -> Pipeline:
    """lr_l2_mrmr's pipeline; the sub-grids of :data:`AUTO_FAMILIES` switch steps off."""
    return _lr_l2_mrmr()


def _auto_forest() -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=_AUTO_TREES, max_features="sqrt", n_jobs=1)


_OFF = ["passthrough"]

AUTO_FAMILIES: dict[str, dict[str, list[Any]]] = {
    "lr_l2": {"decorr": _OFF, "select": _OFF, "clf__C": _C_GRID},
    "lr_l2_mrmr": {"select__k": [5, 10, 20], "clf__C": _C_GRID},
    "random_forest": {
        "decorr": _OFF,
        "select": _OFF,
        "clf": [_auto_forest()],
        "clf__min_samples_leaf": [1, 5],
    },
}
"""The families ``auto`` chooses among: sub-grids of one pipeline (see the module notes).
The forest's scaler and variance filter change none of its splits (a monotone map per
feature); they are kept so that the forest shares them with the plain LR's cache."""


def _shape_only_lr() -> Pipeline:
    return Pipeline([*_prep(), ("clf", _lr(C=1.0))])


def _lr_l1() -> Pipeline:
    return Pipeline([*_prep(), ("clf", _lr(C=1.0, l1_ratio=1.0, solver="liblinear"))])


def _lr_elasticnet() -> Pipeline:
    return Pipeline([*_prep(), ("clf", _lr(C=0.1, l1_ratio=0.5, solver="saga", tol=1e-3))])


def _random_forest() -> Pipeline:
    forest = RandomForestClassifier(n_estimators=300, max_features="sqrt", n_jobs=1)
    return Pipeline([("impute", SimpleImputer(strategy="median")), ("clf", forest)])


def _extra_trees() -> Pipeline:
    forest = ExtraTreesClassifier(n_estimators=300, max_features="sqrt", n_jobs=1)
    return Pipeline([("impute", SimpleImputer(strategy="median")), ("clf", forest)])


def _svm_rbf() -> Pipeline:
    svm = CalibratedClassifierCV(SVC(kernel="rbf", C=1.0), method="sigmoid", cv=3)
    return Pipeline([*_prep(), ("clf", svm)])


def _gradient_boosting() -> Pipeline:
    gb = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, early_stopping=False)
    return Pipeline([("clf", gb)])


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "auto",
            "the best of three families by inner-CV AUC, chosen inside every training fold: "
            "L2 logistic regression on all features, the same on mRMR features, a random "
            f"forest of {_AUTO_TREES} trees (the default)",
            _auto,
            list(AUTO_FAMILIES.values()),
            families=tuple(AUTO_FAMILIES),
        ),
        ModelSpec(
            "lr_l2_mrmr",
            "L2 logistic regression on the top-k mRMR features after a Spearman |rho| > 0.9 filter",
            _lr_l2_mrmr,
            {"select__k": [5, 10, 20], "clf__C": _C_GRID},
        ),
        ModelSpec(
            "lr_l2",
            "L2 logistic regression on every feature (imputed, scaled; C tuned inside)",
            _lr_l2,
            {"clf__C": _C_GRID},
        ),
        ModelSpec(
            "shape_only_lr",
            "L2 logistic regression on shape (morphology) features only: the baseline",
            _shape_only_lr,
            {"clf__C": _C_GRID},
            include=SHAPE_PATTERNS,
        ),
        ModelSpec(
            "lr_l1",
            "L1 (lasso) logistic regression after the Spearman filter",
            _lr_l1,
            {"clf__C": [float(c) for c in np.logspace(-2, 1, 7)]},
        ),
        ModelSpec(
            "lr_elasticnet",
            "elastic-net logistic regression after the Spearman filter",
            _lr_elasticnet,
            {"clf__C": [0.01, 0.1, 1.0], "clf__l1_ratio": [0.2, 0.5, 0.8]},
        ),
        ModelSpec(
            "random_forest",
            "random forest, 300 trees",
            _random_forest,
            {"clf__max_features": ["sqrt", "log2"], "clf__min_samples_leaf": [1, 5]},
        ),
        ModelSpec(
            "extra_trees",
            "extremely randomised trees, 300 trees",
            _extra_trees,
            {"clf__max_features": ["sqrt", "log2"], "clf__min_samples_leaf": [1, 5]},
        ),
        ModelSpec(
            "svm_rbf",
            "RBF support vector machine, sigmoid-calibrated inside the training fold",
            _svm_rbf,
            {"clf__estimator__C": [0.1, 1.0, 10.0]},
        ),
        ModelSpec(
            "gradient_boosting",
            "histogram gradient boosting (scikit-learn)",
            _gradient_boosting,
            {"clf__max_leaf_nodes": [7, 15]},
        ),
    )
}
"""The built-in models by name."""


def _lr_ovr_mrmr() -> Pipeline:
    ovr = OneVsRestClassifier(_lr(C=1.0))
    return Pipeline([*_prep(), ("select", MRMR(k=10)), ("clf", ovr)])


MULTICLASS_MODELS: dict[str, ModelSpec] = {
    "auto": ModelSpec(
        "auto",
        "the best of three families by inner-CV macro AUC, chosen inside every training fold: "
        "multinomial L2 logistic regression on all features, the same on mRMR features, a "
        f"random forest of {_AUTO_TREES} trees (the default)",
        _auto,
        list(AUTO_FAMILIES.values()),
        families=tuple(AUTO_FAMILIES),
    ),
    **{
        name: MODELS[name]
        for name in (
            "lr_l2_mrmr",
            "shape_only_lr",
            "lr_elasticnet",
            "random_forest",
            "extra_trees",
            "svm_rbf",
            "gradient_boosting",
        )
    },
    "lr_ovr_mrmr": ModelSpec(
        "lr_ovr_mrmr",
        "one-vs-rest L2 logistic regressions (one per class) on the top-k mRMR features",
        _lr_ovr_mrmr,
        {"select__k": [5, 10, 20], "clf__estimator__C": _C_GRID},
    ),
}
"""Models of several classes (``--task multiclass``). Logistic regression is multinomial
(one softmax over the classes) except in ``lr_ovr_mrmr``; ``lr_l1`` is left out (its
liblinear solver fits two classes only). ``auto`` is the two-class pipeline and families
(:data:`AUTO_FAMILIES`), scored by macro AUC."""


def _reg_prep() -> list[tuple[str, Any]]:
    return [
        ("impute", SimpleImputer(strategy="median")),
        ("nzv", NearZeroVariance()),
        ("scale", StandardScaler()),
        ("decorr", CorrelationFilter(threshold=0.9, method="spearman", keep="r")),
    ]


def _ridge_mrmr() -> Pipeline:
    return Pipeline([*_reg_prep(), ("select", MRMR(k=10, relevance="r")), ("clf", Ridge())])


def _shape_only_ridge() -> Pipeline:
    return Pipeline([*_reg_prep(), ("clf", Ridge())])


def _elastic_net() -> Pipeline:
    net = ElasticNet(alpha=0.1, l1_ratio=0.5, max_iter=10000)
    return Pipeline([*_reg_prep(), ("clf", net)])


def _random_forest_reg() -> Pipeline:
    forest = RandomForestRegressor(n_estimators=300, max_features=1.0 / 3.0, n_jobs=1)
    return Pipeline([("impute", SimpleImputer(strategy="median")), ("clf", forest)])


def _gradient_boosting_reg() -> Pipeline:
    gb = HistGradientBoostingRegressor(max_iter=100, learning_rate=0.1, early_stopping=False)
    return Pipeline([("clf", gb)])


_ALPHA_GRID = [float(a) for a in np.logspace(-2, 4, 7)]


def _auto_forest_reg() -> RandomForestRegressor:
    # sqrt, not the 1/3 that random_forest also tries: one 200-tree fit on 800 x 1,000 takes
    # 1.7 s against 12.9 s, so auto's forest costs what the two-class one's does
    return RandomForestRegressor(n_estimators=_AUTO_TREES, max_features="sqrt", n_jobs=1)


REGRESSION_AUTO_FAMILIES: dict[str, dict[str, list[Any]]] = {
    "ridge": {"decorr": _OFF, "select": _OFF, "clf__alpha": _ALPHA_GRID},
    "ridge_mrmr": {"select__k": [5, 10, 20], "clf__alpha": _ALPHA_GRID},
    "random_forest": {
        "decorr": _OFF,
        "select": _OFF,
        "clf": [_auto_forest_reg()],
        "clf__min_samples_leaf": [1, 5],
    },
}
"""The families ``auto`` chooses among for a numeric outcome: sub-grids of ``ridge_mrmr``'s
pipeline (ridge on every feature, ridge on the mRMR features, a forest of regression
trees), as :data:`AUTO_FAMILIES` are of ``lr_l2_mrmr``'s."""

REGRESSION_MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "auto",
            "the best of three families by inner-CV R², chosen inside every training fold: "
            "ridge regression on all features, the same on mRMR features, a random forest "
            f"of {_AUTO_TREES} regression trees (the default)",
            _ridge_mrmr,
            list(REGRESSION_AUTO_FAMILIES.values()),
            families=tuple(REGRESSION_AUTO_FAMILIES),
        ),
        ModelSpec(
            "ridge_mrmr",
            "ridge regression on the top-k mRMR features after a Spearman |rho| > 0.9 filter "
            "(the default before auto)",
            _ridge_mrmr,
            {"select__k": [5, 10, 20], "clf__alpha": _ALPHA_GRID},
        ),
        ModelSpec(
            "shape_only_ridge",
            "ridge regression on shape (morphology) features only: the baseline",
            _shape_only_ridge,
            {"clf__alpha": _ALPHA_GRID},
            include=SHAPE_PATTERNS,
        ),
        ModelSpec(
            "elastic_net",
            "elastic-net linear regression after the Spearman filter",
            _elastic_net,
            {"clf__alpha": [0.01, 0.1, 1.0], "clf__l1_ratio": [0.2, 0.5, 0.8]},
        ),
        ModelSpec(
            "random_forest",
            "random forest of regression trees, 300 trees",
            _random_forest_reg,
            {"clf__max_features": [1.0 / 3.0, "sqrt"], "clf__min_samples_leaf": [1, 5]},
        ),
        ModelSpec(
            "gradient_boosting",
            "histogram gradient boosting regression (scikit-learn)",
            _gradient_boosting_reg,
            {"clf__max_leaf_nodes": [7, 15]},
        ),
    )
}
"""Models of a numeric outcome (``--task regression``)."""


def model_names() -> list[str]:
    """Names of the built-in models."""
    return list(MODELS)


def get_model(name: str) -> ModelSpec:
    """The built-in model ``name``; ``KeyError`` naming the valid ones otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; built-in models: {', '.join(MODELS)}") from None
