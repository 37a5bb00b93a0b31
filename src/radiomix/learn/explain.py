"""Per-case explanations, training statistics and uncertainty for a fitted model.

What a single prediction rests on, computed from the fitted pipeline of a
:class:`~radiomix.learn.bundle.ModelBundle` and (where needed) the training feature table:

- :func:`contributions`: per-feature contributions to one case's prediction. For a pipeline
  ending in a logistic regression they are **exact**: coefficient x the value the classifier
  sees (after imputation, scaling and selection), in log-odds, and they add up with the
  intercept to the case's logit. For a tree ensemble of two classes (random forest, extra
  trees, a decision tree, gradient boosting, histogram gradient boosting) they are **exact
  tree SHAP values** of the classifier's inputs (``shap.TreeExplainer``, path-dependent: no
  background cases), in probability for forests and single trees and in log-odds for
  gradient boosting; with the base value they add up to the case's probability (log-odds).
  For any other classifier they are **occlusion** attributions: the drop of the predicted
  probability when one feature at a time is replaced by the values of background (training)
  cases, averaged over them -- an interventional one-feature-out attribution,
  model-agnostic.
- :func:`explanation_name`: which of the three a pipeline gets, in a few words (the web
  app's model card).
- :func:`training_statistics` and :func:`compare_to_training`: per-feature percentiles of the
  training cases, where a new case's values fall among them, and a Mahalanobis distance of
  the classifier's inputs (Ledoit-Wolf shrunk covariance) against the training cases'
  own distances: how far the case lies from what the model was trained on.
- :func:`shap_explanation`: SHAP values (the ``shap`` library) of many cases on the model's
  own inputs (after the pipeline's imputation, scaling and selection), named by the selected
  features: exact linear SHAP for linear models (coefficient x (value - background mean):
  log-odds for a logistic regression, the outcome's units for a linear regression, the log
  relative hazard for a penalised Cox model), tree
  SHAP for forests and gradient boosting (path-dependent, no background needed; probability
  for forests of classifiers, log-odds for gradient boosting classifiers), and the
  permutation explainer with a background sample of training cases otherwise (probability,
  or the model's output). Each case's values add up, with the base value, to its prediction
  on that scale. :meth:`radiomix.learn.bundle.ModelBundle.explain` gives them per case.
  A classifier of several classes gets a :class:`ClassShapExplanation`: one set of values
  per class, each adding up with its class's base value to the model's output for that
  class (see :func:`shap_explanation` for the scales).
- :func:`calibration_interval`: an uncertainty interval for a probability from the run's
  out-of-fold predictions: the positive rate among the training cases whose out-of-fold
  probabilities lie nearest (logit scale), with its Wilson interval.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "PERCENTILES",
    "SCALE_OVR",
    "SCALE_SOFTMAX",
    "ClassShapExplanation",
    "ShapExplanation",
    "TrainingStatistics",
    "calibration_interval",
    "compare_to_training",
    "contributions",
    "explanation_name",
    "is_linear",
    "shap_explanation",
    "training_statistics",
]

#: the percentiles stored per feature (0, 1, ..., 100)
PERCENTILES = np.arange(101, dtype=float)


def _split(pipeline: Any) -> tuple[Any | None, Any]:
    """(the steps before the classifier or None, the classifier)."""
    steps = getattr(pipeline, "steps", None)
    if not steps:
        return None, pipeline
    if len(steps) == 1:
        return None, steps[-1][1]
    return pipeline[:-1], steps[-1][1]


def is_linear(pipeline: Any) -> bool:
    """True when the classifier is a binary linear model with ``coef_`` (logistic regression):
    its contributions are exact."""
    _, clf = _split(pipeline)
    coef = getattr(clf, "coef_", None)
    return coef is not None and np.ndim(coef) == 2 and np.shape(coef)[0] == 1


def _classifier_inputs(pipeline: Any, X: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """The values the classifier sees for rows ``X`` and the names of its input features."""
    pre, _ = _split(pipeline)
    if pre is None:
        return np.asarray(X, dtype=np.float64), [str(c) for c in X.columns]
    Z = np.asarray(pre.transform(X), dtype=np.float64)
    try:
        names = [str(n) for n in pre.get_feature_names_out()]
    except (AttributeError, ValueError, TypeError):
        names = [f"input_{i}" for i in range(Z.shape[1])]
    return Z, names


#: two-class tree classifiers whose per-case contributions are exact tree SHAP values, and the
#: scale of those values (the trees' own output: a forest averages probabilities, gradient
#: boosting sums log-odds)
_TREE_CLASSIFIER_SCALE = {
    "RandomForestClassifier": "probability",
    "ExtraTreesClassifier": "probability",
    "DecisionTreeClassifier": "probability",
    "GradientBoostingClassifier": "log-odds",
    "HistGradientBoostingClassifier": "log-odds",
}

#: how far the tree SHAP values plus the base value may lie from the model's output before
#: :func:`contributions` distrusts them and explains the case by occlusion instead
_ADDITIVITY_TOLERANCE = 1e-6


def _tree_scale(pipeline: Any) -> str | None:
    """``probability`` or ``log-odds`` when the classifier is a two-class tree model that
    ``shap.TreeExplainer`` explains exactly; None otherwise."""
    _, clf = _split(pipeline)
    scale = _TREE_CLASSIFIER_SCALE.get(type(clf).__name__)
    if scale is None or len(getattr(clf, "classes_", ())) != 2:
        return None
    return scale


def explanation_name(pipeline: Any) -> str:
    """What :func:`contributions` gives for this pipeline, in a few words with the units:
    ``exact linear contributions (log-odds)``, ``exact tree SHAP values (probability)``
    (forests; ``log-odds`` for gradient boosting) or ``occlusion attribution against training
    cases (probability)``.

    A tree model whose SHAP values do not add up to its output (an unusual gradient boosting
    initialisation, say) is explained by occlusion at prediction time; the method returned
    with each case's contributions is the one used."""
    if is_linear(pipeline):
        return "exact linear contributions (log-odds)"
    scale = _tree_scale(pipeline)
    if scale is not None:
        return f"exact tree SHAP values ({scale})"
    return "occlusion attribution against training cases (probability)"


def _tree_shap(clf: Any, Z: np.ndarray) -> tuple[np.ndarray, float]:
    """Path-dependent tree SHAP values (n, p) of the inputs ``Z`` of a tree model and its base
    value; for a classifier with one output per class, those of the positive (last) class."""
    import shap

    explainer = shap.TreeExplainer(clf)
    raw = np.asarray(explainer.shap_values(Z, check_additivity=False), dtype=np.float64)
    expected = np.ravel(explainer.expected_value)
    if raw.ndim == 3:  # (n, p, classes): the positive class
        raw, expected = raw[:, :, 1], expected[-1:]
    return raw.reshape(Z.shape), float(expected[-1])


def _tree_contributions(
    pipeline: Any, X: pd.DataFrame, scale: str
) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    """Tree SHAP contributions of the one case in ``X`` (see :func:`contributions`), or None
    when shap cannot convert the trees or its values do not add up to the model's output."""
    _, clf = _split(pipeline)
    Z, names = _classifier_inputs(pipeline, X)
    with warnings.catch_warnings():
        # shap's import warns about matplotlib's colour maps; a model without transforms
        # fitted on a DataFrame warns that the array it is explained on has no names
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        try:
            values, base = _tree_shap(clf, Z)
        except Exception:  # noqa: BLE001 - trees shap cannot read: occlusion explains them
            return None
    if scale == "probability":
        output = float(pipeline.predict_proba(X)[0, 1])
    else:
        output = float(np.ravel(pipeline.decision_function(X))[0])
    if not abs(base + float(values[0].sum()) - output) <= _ADDITIVITY_TOLERANCE:
        return None
    raw = X.iloc[0]
    table = pd.DataFrame(
        {
            "feature": names,
            "value": [float(raw[n]) if n in raw.index else float("nan") for n in names],
            "model_input": Z[0],
            "contribution": values[0],
        }
    )
    info = {
        "explanation_method": (
            f"exact tree SHAP values ({scale}): shap.TreeExplainer, path-dependent (the "
            f"trees' own training cases are the reference); the contributions plus the base "
            f"value give the case's {scale}"
        ),
        "explanation_scale": scale,
        "base_value": base,
    }
    return table, info


def _occlusion(
    pipeline: Any, X: pd.DataFrame, background: pd.DataFrame | None, max_background: int
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The occlusion attribution of the one case in ``X`` (see :func:`contributions`)."""
    if background is None or len(background) == 0:
        raise ValueError(
            "a model that is neither linear nor a tree ensemble needs background cases "
            "for its attribution"
        )
    bg = background[list(X.columns)]
    if len(bg) > max_background:
        idx = np.linspace(0, len(bg) - 1, max_background).round().astype(int)
        bg = bg.iloc[idx]
    base = float(pipeline.predict_proba(X)[0, 1])
    p, nb = X.shape[1], len(bg)
    case = np.asarray(X, dtype=np.float64)[0]
    ref = np.asarray(bg, dtype=np.float64)
    grid = np.tile(case, (p * nb, 1))
    for j in range(p):
        grid[j * nb : (j + 1) * nb, j] = ref[:, j]
    probs = pipeline.predict_proba(pd.DataFrame(grid, columns=X.columns))[:, 1]
    contrib = base - probs.reshape(p, nb).mean(axis=1)
    table = pd.DataFrame(
        {
            "feature": [str(c) for c in X.columns],
            "value": case,
            "model_input": case,
            "contribution": contrib,
        }
    )
    info = {
        "explanation_method": (
            f"occlusion: the drop of the probability when the feature is replaced by "
            f"its value in each of {nb} training cases, averaged"
        ),
        "explanation_scale": "probability",
    }
    return table, info


def contributions(
    pipeline: Any,
    X: pd.DataFrame,
    *,
    background: pd.DataFrame | None = None,
    max_background: int = 50,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per-feature contributions to the prediction of the one case in ``X``.

    Parameters
    ----------
    pipeline : fitted scikit-learn Pipeline (or classifier)
        ``predict_proba(X)[:, 1]`` is the positive class.
    X : DataFrame, one row
        The case's features, in the columns the pipeline was fitted on.
    background : DataFrame, optional
        Reference cases (training features) for the occlusion attribution of models that
        are neither linear nor tree ensembles; at most ``max_background`` rows are used
        (evenly spaced). Linear and tree models do not use it.
    max_background : int

    Returns
    -------
    table : DataFrame
        ``feature``, ``value`` (the case's raw value), ``model_input`` (the value the
        classifier sees: standardised for the linear models), ``contribution``; sorted by
        decreasing absolute contribution. Linear and tree models: one row per input of the
        classifier (the selected features); occlusion: one per column of ``X``.
    info : dict
        ``explanation_method``, ``explanation_scale`` (``log-odds`` or ``probability``);
        for the exact methods ``base_value`` (the contributions plus it give the model's
        output on that scale: the logit, or the forest's probability) and for linear models
        ``intercept`` (the same number).

    Raises
    ------
    ValueError
        A model explained by occlusion and no background cases.
    """
    if len(X) != 1:
        raise ValueError(f"contributions explain one case, got {len(X)} rows")
    raw = X.iloc[0]
    info: dict[str, Any]
    if is_linear(pipeline):
        Z, names = _classifier_inputs(pipeline, X)
        _, clf = _split(pipeline)
        coef = np.asarray(clf.coef_, dtype=np.float64)[0]
        contrib = coef * Z[0]
        values = [float(raw[n]) if n in raw.index else float("nan") for n in names]
        table = pd.DataFrame(
            {"feature": names, "value": values, "model_input": Z[0], "contribution": contrib}
        )
        intercept = float(np.asarray(clf.intercept_).ravel()[0])
        info = {
            "explanation_method": (
                "exact: coefficient x the standardised value the logistic regression sees; "
                "the contributions plus the intercept give the case's log-odds"
            ),
            "explanation_scale": "log-odds",
            "intercept": intercept,
            "base_value": intercept,
        }
    elif (scale := _tree_scale(pipeline)) is not None and (
        tree := _tree_contributions(pipeline, X, scale)
    ) is not None:
        table, info = tree
    else:
        table, info = _occlusion(pipeline, X, background, max_background)
    order = np.argsort(-np.abs(table["contribution"].to_numpy()), kind="stable")
    return table.iloc[order].reset_index(drop=True), info


_TREE_CLASSIFIERS_LOGIT = ("HistGradientBoostingClassifier", "GradientBoostingClassifier")
_TREES = (
    "RandomForestClassifier",
    "RandomForestRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
)


@dataclass
class ShapExplanation:
    """SHAP values of several cases (see :func:`shap_explanation`).

    Attributes
    ----------
    values : DataFrame (cases x model inputs)
        Per case and input of the model (the selected features, named).
    inputs : DataFrame (cases x model inputs)
        The values the model sees (standardised for the linear models).
    base_value : float
        The expected model output over the reference (background mean, or the trees' own
        training distribution); ``values`` of a case plus it give ``prediction``.
    prediction : ndarray
        The model's output of each case on ``scale``.
    method, scale : str
        The explainer and the units (``log-odds``, ``probability``, ``outcome units``,
        ``risk score``).
    """

    values: pd.DataFrame
    inputs: pd.DataFrame
    base_value: float
    prediction: np.ndarray
    method: str
    scale: str


#: the scale of the SHAP values of a multinomial model of several classes (multinomial
#: logistic regression, histogram gradient boosting): each class's linear predictor, the
#: logit before the softmax (class k's probability is exp(f_k) / sum_j exp(f_j))
SCALE_SOFTMAX = "class logit (before the softmax)"
#: the scale of one-vs-rest logistic regressions: each class's own binary log-odds, before
#: the probabilities are normalised to sum to 1
SCALE_OVR = "log-odds (one vs rest)"


@dataclass
class ClassShapExplanation:
    """SHAP values of several cases for a classifier of several classes: one set of values
    per class (see :func:`shap_explanation`).

    Attributes
    ----------
    classes : list of str
        The class names, in the model's output order.
    values : dict of str -> DataFrame (cases x model inputs)
        Per class, as :attr:`ShapExplanation.values` for two classes.
    inputs : DataFrame (cases x model inputs)
        The values the model sees (standardised for the linear models).
    base_value : dict of str -> float
        Per class, the expected model output for the class over the reference; a case's
        values of the class plus it give the case's ``prediction`` of the class.
    prediction : DataFrame (cases x classes)
        The model's output for each case and class, on ``scale``.
    method, scale : str
        ``scale`` is :data:`SCALE_SOFTMAX` (multinomial logistic regression, histogram
        gradient boosting), :data:`SCALE_OVR` (one-vs-rest logistic regressions) or
        ``probability`` (forests, the model-agnostic explainer).
    """

    classes: list[str]
    values: dict[str, pd.DataFrame]
    inputs: pd.DataFrame
    base_value: dict[str, float]
    prediction: pd.DataFrame
    method: str
    scale: str

    def for_class(self, name: str) -> ShapExplanation:
        """The values of one class as a :class:`ShapExplanation` (as for two classes)."""
        if name not in self.values:
            raise KeyError(f"no class {name!r}; the classes are {', '.join(self.classes)}")
        return ShapExplanation(
            values=self.values[name],
            inputs=self.inputs,
            base_value=self.base_value[name],
            prediction=self.prediction[name].to_numpy(dtype=np.float64),
            method=self.method,
            scale=self.scale,
        )

    def long(self) -> pd.DataFrame:
        """One row per (case, class), indexed by the cases' index and ``class``, cases first
        and the classes in order within a case: the model inputs' SHAP values, then
        ``base_value`` and ``prediction`` (in every row the values plus ``base_value`` give
        ``prediction``)."""
        n, k = len(self.inputs), len(self.classes)
        names = list(self.inputs.columns)
        stack = np.stack([self.values[c].to_numpy(dtype=np.float64) for c in self.classes], 1)
        out = pd.DataFrame(stack.reshape(n * k, len(names)), columns=names)
        out["base_value"] = np.tile([self.base_value[c] for c in self.classes], n)
        out["prediction"] = self.prediction[self.classes].to_numpy(dtype=np.float64).ravel()
        case_name = self.inputs.index.name or "case"
        out.index = pd.MultiIndex.from_arrays(
            [np.repeat(self.inputs.index.to_numpy(), k), np.tile(self.classes, n)],
            names=[case_name, "class"],
        )
        return out


def _is_classifier(clf: Any) -> bool:
    return hasattr(clf, "predict_proba") and hasattr(clf, "classes_")


def _linear_kind(clf: Any) -> str | None:
    """``classifier`` (binary, one coefficient row), ``regressor``, ``cox`` (a penalised
    Cox model: its risk score is the inputs times ``coef_``) or None."""
    coef = getattr(clf, "coef_", None)
    if type(clf).__name__ == "CoxElasticNet" and coef is not None and np.ndim(coef) == 1:
        return "cox"
    if coef is None or not hasattr(clf, "intercept_") or hasattr(clf, "estimators_"):
        return None
    if _is_classifier(clf):
        return "classifier" if np.ndim(coef) == 2 and np.shape(coef)[0] == 1 else None
    return "regressor" if np.ndim(coef) == 1 else None


#: tree models that ``shap.TreeExplainer`` explains for two classes only
_TREES_TWO_CLASSES_ONLY = ("GradientBoostingClassifier",)


def _several_classes(clf: Any) -> bool:
    return _is_classifier(clf) and len(getattr(clf, "classes_", ())) > 2


def _multiclass_linear(clf: Any) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """(coefficients (K, p), intercepts (K,), one vs rest) of a linear classifier of K > 2
    classes: a logistic regression with one coefficient row per class, or a
    ``OneVsRestClassifier`` of binary linear classifiers; None for any other model."""
    n = len(getattr(clf, "classes_", ()))
    estimators = getattr(clf, "estimators_", None)
    if type(clf).__name__ == "OneVsRestClassifier":
        if estimators is None or len(estimators) != n:
            return None
        if any(_linear_kind(e) != "classifier" for e in estimators):
            return None  # a class the training cases lacked gets a constant predictor
        rows = np.stack([np.asarray(e.coef_, dtype=np.float64)[0] for e in estimators])
        icpt = np.array([float(np.ravel(e.intercept_)[0]) for e in estimators])
        return rows, icpt, True
    raw = getattr(clf, "coef_", None)
    if raw is None or not hasattr(clf, "intercept_") or estimators is not None:
        return None
    coef = np.asarray(raw, dtype=np.float64)
    if coef.ndim != 2 or coef.shape[0] != n:
        return None
    return coef, np.asarray(clf.intercept_, dtype=np.float64).ravel(), False


def model_agnostic(pipeline: Any) -> bool:
    """Whether :func:`shap_explanation` explains the pipeline's last step with the
    model-agnostic permutation explainer (neither linear nor a tree model): slower, and it
    needs background cases."""
    _, clf = _split(pipeline)
    kind = type(clf).__name__
    if _several_classes(clf):
        trees = kind in _TREES and kind not in _TREES_TWO_CLASSES_ONLY
        return _multiclass_linear(clf) is None and not trees
    return _linear_kind(clf) is None and kind not in _TREES


def shap_explanation(
    pipeline: Any,
    X: pd.DataFrame,
    *,
    background: pd.DataFrame | None = None,
    max_background: int = 50,
    random_state: int = 0,
    class_names: Sequence[Any] | None = None,
) -> ShapExplanation | ClassShapExplanation:
    """SHAP values of the cases in ``X`` on the inputs of the pipeline's last step.

    A classifier of several classes gets a :class:`ClassShapExplanation`: per class, SHAP
    values of the model's output for that class, which add up with the class's base value
    to that output for every case:

    - multinomial logistic regression: the class's linear predictor ``f_k = intercept_k +
      coef_k . z`` (the logit before the softmax, :data:`SCALE_SOFTMAX`; class k's
      probability is ``exp(f_k) / sum_j exp(f_j)``, and ``f_k - f_j`` is the log-odds of
      class k against class j). Exact linear SHAP: ``coef_k x (z - reference mean)``, base
      value ``intercept_k + coef_k . reference mean``;
    - one-vs-rest logistic regressions (``lr_ovr_mrmr``): the same with each class's own
      binary model, in its one-vs-rest log-odds (:data:`SCALE_OVR`);
    - random forests, extra trees, single trees: tree SHAP of the class's probability;
      histogram gradient boosting: tree SHAP of the class's raw score (the logit before the
      softmax, :data:`SCALE_SOFTMAX`);
    - anything else (SVM, scikit-learn's ``GradientBoostingClassifier``, which shap's tree
      explainer reads for two classes only): the permutation explainer on the class
      probabilities, against ``background``.

    Summed over the classes, a case's values are 0 for the probabilities (they sum to 1)
    and for a multinomial logistic regression whose coefficients sum to 0 over the classes
    (scikit-learn's penalised fit).

    Parameters
    ----------
    pipeline : fitted Pipeline (or estimator)
        A two-class classifier (the positive class is explained), a classifier of several
        classes (every class is explained), a regressor or a survival model with
        ``predict`` (its risk score is explained).
    X : DataFrame
        The cases, in the columns the pipeline was fitted on.
    background : DataFrame, optional
        Reference cases (the training cases). Linear models: their mean input is the
        reference (all rows are used; without background the reference is the zero input,
        which is the training mean when the pipeline standardises its inputs, as every
        built-in linear model does). The model-agnostic explainer needs it (at most
        ``max_background`` rows, evenly spaced); tree models do not use it.
    max_background, random_state : int
    class_names : sequence, optional
        Several classes: the names of the classes, indexed by the model's class codes
        (``classes_`` 0, 1, 2, ... as a study encodes them) or in the order of
        ``classes_``; default the codes as text.

    Returns
    -------
    ShapExplanation, or ClassShapExplanation for several classes

    Raises
    ------
    ValueError
        A classifier of one class, ``class_names`` that do not fit the classes, or a
        model-agnostic case without background cases.
    """
    with warnings.catch_warnings():
        # shap's import warns about matplotlib's colour maps; a model without transforms
        # fitted on a DataFrame warns that the array it is explained on has no names
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        return _shap_explanation(pipeline, X, background, max_background, random_state, class_names)


def _background(Zbg: np.ndarray, max_background: int) -> np.ndarray:
    """At most ``max_background`` evenly spaced background inputs, NaN as the column mean."""
    bg = np.where(np.isfinite(Zbg), Zbg, np.nanmean(Zbg, axis=0))
    if len(bg) > max_background:
        idx = np.linspace(0, len(bg) - 1, max_background).round().astype(int)
        bg = bg[idx]
    return bg


def _class_labels(clf: Any, class_names: Sequence[Any] | None) -> list[str]:
    """The names of the classifier's classes, in its output order."""
    codes = list(clf.classes_)
    if class_names is None:
        return [str(c) for c in codes]
    names = [str(c) for c in class_names]
    try:
        index = [int(c) for c in codes]
    except (TypeError, ValueError):
        index = []
    if index and all(i == c and 0 <= i < len(names) for i, c in zip(index, codes, strict=True)):
        return [names[i] for i in index]
    if len(names) == len(codes):
        return names
    raise ValueError(f"{len(names)} class names for a model of {len(codes)} classes")


def _class_shap(
    clf: Any,
    Z: np.ndarray,
    names: list[str],
    Zbg: np.ndarray | None,
    index: pd.Index,
    class_names: Sequence[Any] | None,
    max_background: int,
    random_state: int,
) -> ClassShapExplanation:
    """The SHAP values of every class of a classifier of several classes (see
    :func:`shap_explanation`): values (n, p, K), base values (K,), outputs (n, K)."""
    import shap

    labels = _class_labels(clf, class_names)
    n, k = len(Z), len(labels)
    kind = type(clf).__name__
    linear = _multiclass_linear(clf)
    if linear is not None:
        coef, intercept, ovr = linear
        if Zbg is None:
            ref = np.zeros(Z.shape[1])
            where = "the zero input (the training mean of standardised inputs)"
        else:
            ref = np.nanmean(np.where(np.isfinite(Zbg), Zbg, np.nan), axis=0)
            where = f"the mean input of {len(Zbg)} background cases"
        values = (Z - ref)[:, :, None] * coef.T[None, :, :]
        base = intercept + coef @ ref
        pred = np.asarray(clf.decision_function(Z), dtype=np.float64).reshape(n, k)
        if ovr:
            scale = SCALE_OVR
        else:  # a logistic regression: multinomial when its probabilities are the softmax
            proba = np.asarray(clf.predict_proba(Z), dtype=np.float64)
            soft = np.exp(pred - pred.max(axis=1, keepdims=True)) if n else pred
            soft = soft / soft.sum(axis=1, keepdims=True) if n else soft
            scale = SCALE_SOFTMAX if np.allclose(soft, proba, atol=1e-8) else SCALE_OVR
        output = "one-vs-rest log-odds" if scale == SCALE_OVR else "logit before the softmax"
        method = (
            f"linear SHAP per class: the class's coefficient x (value - reference), the "
            f"reference being {where}; with the class's base value (intercept + "
            f"coefficients x reference) they give the class's {output}"
        )
    elif kind in _TREES and kind not in _TREES_TWO_CLASSES_ONLY:
        explainer = shap.TreeExplainer(clf)
        values = np.asarray(explainer.shap_values(Z, check_additivity=False), dtype=np.float64)
        base = np.ravel(explainer.expected_value).astype(np.float64)
        if values.shape != (n, Z.shape[1], k) or base.shape != (k,):
            raise ValueError(f"shap gave values of shape {values.shape} for {k} classes")
        if kind in _TREE_CLASSIFIERS_LOGIT:
            pred = np.asarray(clf.decision_function(Z), dtype=np.float64).reshape(n, k)
            scale = SCALE_SOFTMAX
        else:
            pred = np.asarray(clf.predict_proba(Z), dtype=np.float64)
            scale = "probability"
        method = (
            "tree SHAP per class (shap.TreeExplainer, path-dependent: the trees' own "
            f"training cover), in each class's {scale}"
        )
    else:
        if Zbg is None:
            raise ValueError(
                f"a {kind} model needs background cases (training features) for its SHAP "
                "values (model-agnostic permutation explainer)"
            )
        bg = _background(Zbg, max_background)

        def f(A: np.ndarray) -> np.ndarray:
            return np.asarray(clf.predict_proba(A), dtype=np.float64)

        masker = shap.maskers.Independent(bg, max_samples=len(bg))
        explainer = shap.PermutationExplainer(f, masker, seed=random_state)
        evals = 4 * (2 * Z.shape[1] + 1)  # two forward-and-back permutations per case
        result = explainer(Z, max_evals=evals, silent=True)
        values = np.asarray(result.values, dtype=np.float64).reshape(n, Z.shape[1], k)
        base = np.asarray(result.base_values, dtype=np.float64).reshape(n, k)[0]
        pred = f(Z)
        scale = "probability"
        method = (
            f"permutation SHAP per class (shap.PermutationExplainer) of the class "
            f"probabilities against {len(bg)} background training cases"
        )
    return ClassShapExplanation(
        classes=labels,
        values={
            c: pd.DataFrame(values[:, :, j], columns=names, index=index)
            for j, c in enumerate(labels)
        },
        inputs=pd.DataFrame(Z, columns=names, index=index),
        base_value={c: float(base[j]) for j, c in enumerate(labels)},
        prediction=pd.DataFrame(pred, columns=labels, index=index),
        method=method,
        scale=scale,
    )


def _shap_explanation(
    pipeline: Any,
    X: pd.DataFrame,
    background: pd.DataFrame | None,
    max_background: int,
    random_state: int,
    class_names: Sequence[Any] | None = None,
) -> ShapExplanation | ClassShapExplanation:
    import shap

    _, clf = _split(pipeline)
    Z, names = _classifier_inputs(pipeline, X)
    Zbg = _classifier_inputs(pipeline, background)[0] if background is not None else None
    if Zbg is not None and len(Zbg) == 0:
        Zbg = None
    classifier = _is_classifier(clf)
    if _several_classes(clf):
        return _class_shap(clf, Z, names, Zbg, X.index, class_names, max_background, random_state)
    if classifier and len(getattr(clf, "classes_", ())) != 2:
        raise ValueError(
            f"SHAP values need at least two classes; the model has {len(clf.classes_)}"
        )
    linear = _linear_kind(clf)
    kind = type(clf).__name__
    if linear is not None:
        if Zbg is None:
            ref = np.zeros((1, Z.shape[1]))
            where = "the zero input (the training mean of standardised inputs)"
        else:
            ref = np.where(np.isfinite(Zbg), Zbg, np.nan)
            ref = np.where(np.isnan(ref), np.nanmean(ref, axis=0), ref)
            where = f"the mean input of {len(ref)} background cases"
        model = (np.asarray(clf.coef_, dtype=np.float64), 0.0) if linear == "cox" else clf
        masker = shap.maskers.Independent(ref, max_samples=len(ref))
        explainer = shap.LinearExplainer(model, masker)
        values = np.asarray(explainer.shap_values(Z), dtype=np.float64).reshape(Z.shape)
        base = float(np.ravel(explainer.expected_value)[0])
        if linear == "classifier":
            pred = np.asarray(clf.decision_function(Z), dtype=np.float64).ravel()
            scale = "log-odds"
        elif linear == "cox":
            pred = np.asarray(clf.predict(Z), dtype=np.float64).ravel()
            scale = "risk score (log relative hazard)"
        else:
            pred = np.asarray(clf.predict(Z), dtype=np.float64).ravel()
            scale = "outcome units"
        method = (
            f"linear SHAP (shap.LinearExplainer): coefficient x (value - reference), the "
            f"reference being {where}"
        )
    elif kind in _TREES:
        values, base = _tree_shap(clf, Z)
        if classifier and kind in _TREE_CLASSIFIERS_LOGIT:
            pred = np.asarray(clf.decision_function(Z), dtype=np.float64).ravel()
            scale = "log-odds"
        elif classifier:
            pred = np.asarray(clf.predict_proba(Z)[:, 1], dtype=np.float64)
            scale = "probability"
        else:
            pred = np.asarray(clf.predict(Z), dtype=np.float64).ravel()
            scale = "outcome units"
        method = "tree SHAP (shap.TreeExplainer, path-dependent: the trees' own training cover)"
    else:
        if Zbg is None:
            raise ValueError(
                f"a {kind} model needs background cases (training features) for its SHAP "
                "values (model-agnostic permutation explainer)"
            )
        bg = _background(Zbg, max_background)
        if classifier:

            def f(A: np.ndarray) -> np.ndarray:
                return np.asarray(clf.predict_proba(A)[:, 1], dtype=np.float64)

            scale = "probability"
        else:

            def f(A: np.ndarray) -> np.ndarray:
                return np.asarray(clf.predict(A), dtype=np.float64).ravel()

            scale = "risk score" if hasattr(clf, "predict_survival_function") else "outcome units"
        masker = shap.maskers.Independent(bg, max_samples=len(bg))
        explainer = shap.PermutationExplainer(f, masker, seed=random_state)
        evals = 4 * (2 * Z.shape[1] + 1)  # two forward-and-back permutations per case
        result = explainer(Z, max_evals=evals, silent=True)
        values = np.asarray(result.values, dtype=np.float64).reshape(Z.shape)
        base = float(np.ravel(result.base_values)[0])
        pred = f(Z)
        method = (
            f"permutation SHAP (shap.PermutationExplainer) against {len(bg)} background "
            "training cases"
        )
    index = X.index
    return ShapExplanation(
        values=pd.DataFrame(values, columns=names, index=index),
        inputs=pd.DataFrame(Z, columns=names, index=index),
        base_value=base,
        prediction=pred,
        method=method,
        scale=scale,
    )


@dataclass
class TrainingStatistics:
    """What a model's training cases looked like (JSON-ready with :meth:`to_dict`).

    Attributes
    ----------
    features : list of str
    percentiles : ndarray, shape (n_features, 101)
        The 0th..100th percentiles of each feature over the training cases (NaN ignored).
    n_cases : int
    input_names : list of str
        The classifier's inputs (after the pipeline's selection).
    input_mean : ndarray
    input_precision : ndarray
        Inverse of the Ledoit-Wolf covariance of the classifier's inputs.
    train_distances : ndarray
        Squared Mahalanobis distances of the training cases themselves, sorted.
    extra : dict
        Anything else the caller stores (image sizes, ROI sizes, ...).
    """

    features: list[str]
    percentiles: np.ndarray
    n_cases: int
    input_names: list[str]
    input_mean: np.ndarray
    input_precision: np.ndarray
    train_distances: np.ndarray
    extra: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": self.features,
            "percentiles": self.percentiles.tolist(),
            "n_cases": self.n_cases,
            "input_names": self.input_names,
            "input_mean": self.input_mean.tolist(),
            "input_precision": self.input_precision.tolist(),
            "train_distances": self.train_distances.tolist(),
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainingStatistics:
        return cls(
            features=list(d["features"]),
            percentiles=np.asarray(d["percentiles"], dtype=np.float64),
            n_cases=int(d["n_cases"]),
            input_names=list(d["input_names"]),
            input_mean=np.asarray(d["input_mean"], dtype=np.float64),
            input_precision=np.asarray(d["input_precision"], dtype=np.float64),
            train_distances=np.asarray(d["train_distances"], dtype=np.float64),
            extra=dict(d.get("extra", {})),
        )


def training_statistics(
    pipeline: Any, X: pd.DataFrame, extra: dict[str, Any] | None = None
) -> TrainingStatistics:
    """Percentiles of every feature and the Mahalanobis reference of the classifier's inputs.

    Parameters
    ----------
    pipeline : fitted Pipeline
    X : DataFrame
        The training cases' features, in the pipeline's columns.
    extra : dict, optional
        Stored as is.
    """
    from sklearn.covariance import LedoitWolf

    values = np.asarray(X, dtype=np.float64)
    values = np.where(np.isfinite(values), values, np.nan)
    with np.errstate(all="ignore"):
        pct = np.nanpercentile(values, PERCENTILES, axis=0).T if len(values) else None
    if pct is None:
        raise ValueError("no training cases")
    Z, names = _classifier_inputs(pipeline, X)
    Z = np.where(np.isfinite(Z), Z, np.nan)
    mean = np.nanmean(Z, axis=0)
    Zc = np.where(np.isnan(Z), mean, Z)
    cov = LedoitWolf().fit(Zc).covariance_
    precision = np.linalg.pinv(cov)
    d = Zc - mean
    d2 = np.einsum("ij,jk,ik->i", d, precision, d)
    return TrainingStatistics(
        features=[str(c) for c in X.columns],
        percentiles=np.asarray(pct, dtype=np.float64),
        n_cases=len(values),
        input_names=names,
        input_mean=mean,
        input_precision=precision,
        train_distances=np.sort(d2),
        extra=dict(extra or {}),
    )


def percentile_of(value: float, percentiles: np.ndarray) -> float | None:
    """Where ``value`` falls among a feature's training percentiles (0..100), or None."""
    if not np.isfinite(value) or not np.all(np.isfinite(percentiles)):
        return None
    if value < percentiles[0]:
        return 0.0
    if value > percentiles[-1]:
        return 100.0
    lo = np.searchsorted(percentiles, value, side="left")
    hi = np.searchsorted(percentiles, value, side="right")
    return float((lo + hi - 1) / 2.0) if hi > lo else float(lo)


def compare_to_training(
    stats: TrainingStatistics, pipeline: Any, X: pd.DataFrame
) -> dict[str, Any]:
    """Where the one case of ``X`` lies against the training cases.

    Returns
    -------
    dict
        ``features``: {name: {``percentile``, ``min``, ``median``, ``max``, ``outside``}}
        (``outside`` is ``"below"``, ``"above"`` or None: beyond the training range);
        ``n_outside`` (features beyond their training range); ``mahalanobis_d2`` (squared
        distance of the classifier's inputs), ``mahalanobis_train_max`` and
        ``mahalanobis_percentile`` (the share of training cases nearer the centre, in %),
        ``mahalanobis_method``.
    """
    row = X.iloc[0]
    out: dict[str, dict[str, Any]] = {}
    n_outside = 0
    for j, name in enumerate(stats.features):
        p = stats.percentiles[j]
        v = float(row[name]) if name in row.index else float("nan")
        outside = None
        if np.isfinite(v) and np.isfinite(p[0]) and np.isfinite(p[-1]):
            if v < p[0]:
                outside = "below"
            elif v > p[-1]:
                outside = "above"
        n_outside += outside is not None
        out[name] = {
            "percentile": percentile_of(v, p),
            "min": float(p[0]),
            "median": float(p[50]),
            "max": float(p[-1]),
            "outside": outside,
        }
    Z, _ = _classifier_inputs(pipeline, X)
    z = np.where(np.isfinite(Z[0]), Z[0], stats.input_mean)
    d = z - stats.input_mean
    d2 = float(d @ stats.input_precision @ d)
    ref = stats.train_distances
    share = float(np.searchsorted(ref, d2, side="right") / len(ref) * 100) if len(ref) else None
    return {
        "features": out,
        "n_outside": int(n_outside),
        "mahalanobis_d2": d2,
        "mahalanobis_train_max": float(ref[-1]) if len(ref) else None,
        "mahalanobis_percentile": share,
        "mahalanobis_method": (
            "squared Mahalanobis distance of the classifier's inputs from the training "
            f"cases' mean (Ledoit-Wolf covariance, {len(stats.input_names)} inputs), against "
            "the training cases' own distances"
        ),
    }


def _wilson(k: int, n: int, confidence: float) -> tuple[float, float]:
    from scipy.stats import norm

    if n == 0:
        return 0.0, 1.0
    z = float(norm.ppf(0.5 + confidence / 2))
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def calibration_interval(
    probability: float,
    oof_probability: Sequence[float] | np.ndarray,
    oof_label: Sequence[int] | np.ndarray,
    *,
    k: int | None = None,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Uncertainty of a probability from out-of-fold predictions of the training cases.

    The ``k`` training cases whose out-of-fold probabilities are nearest ``probability`` on
    the logit scale are taken (default ``max(10, n / 5)``); their observed positive rate and
    its Wilson interval say what such a probability has meant on cases the model had not
    seen. A wide interval means few comparable cases; an interval away from the probability
    means the model is miscalibrated there.

    Parameters
    ----------
    probability : float
    oof_probability, oof_label : arrays, one value per training case
        Out-of-fold probability (e.g. the median over repeats) and label (1 = positive).
    k : int, optional
    confidence : float

    Returns
    -------
    dict
        ``interval`` [low, high], ``observed_rate``, ``k``, ``interval_method``.
    """
    p = np.clip(np.asarray(oof_probability, dtype=np.float64), 1e-6, 1 - 1e-6)
    y = np.asarray(oof_label, dtype=np.int64)
    n = len(p)
    if n == 0:
        raise ValueError("no out-of-fold predictions")
    kk = min(n, k if k is not None else max(10, round(n / 5)))
    q = float(np.clip(probability, 1e-6, 1 - 1e-6))
    dist = np.abs(np.log(p / (1 - p)) - np.log(q / (1 - q)))
    near = np.argsort(dist, kind="stable")[:kk]
    pos = int(y[near].sum())
    lo, hi = _wilson(pos, kk, confidence)
    return {
        "interval": [lo, hi],
        "observed_rate": pos / kk,
        "k": int(kk),
        "interval_method": (
            f"local calibration: Wilson {confidence:.0%} interval of the positive rate among "
            f"the {kk} training cases whose out-of-fold probabilities (nested CV, median over "
            "repeats) are nearest this one on the logit scale"
        ),
    }
