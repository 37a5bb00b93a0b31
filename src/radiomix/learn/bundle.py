"""Model bundles: a fitted final pipeline with everything needed to use it again.

A bundle holds

- the fitted scikit-learn pipeline (persisted with joblib, scikit-learn's recommended
  format for its estimators; loading one runs code from the file, so load only bundles you
  trust);
- the feature schema: the names and order of the feature columns it was trained on, and the
  column rules (id columns, include/exclude patterns) that picked them;
- the label mapping (column, negative and positive value) and the frozen decision
  threshold with its rule;
- the extraction settings of the training table when known, so that ``radiomix predict``
  can re-extract features identically from images;
- provenance: radiomix, scikit-learn, NumPy and Python versions, the training table's
  SHA-256 and size, the creation time.

``model.joblib`` is the bundle; ``model.json`` beside it repeats the metadata as plain JSON
for people and tools that should not unpickle anything. Loading a bundle made with another
radiomix or scikit-learn version emits a :class:`BundleVersionWarning`.
"""

from __future__ import annotations

import json
import platform
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn

import radiomix
from radiomix._outputs import atomic_write, atomic_write_text
from radiomix.errors import DataError, ModelBundleError
from radiomix.learn.table import (
    category_codes,
    code_columns,
    feature_columns,
    features_frame,
    filter_columns,
)

__all__ = ["BUNDLE_FORMAT", "BundleVersionWarning", "ModelBundle", "current_versions"]

BUNDLE_FORMAT = "radiomix-model-bundle"
BUNDLE_VERSION = 2
"""The newest bundle format this radiomix reads. Two-class bundles are still written as
format 1 (unchanged); format 2 adds ``task`` (``multiclass``, ``regression``), so that a
radiomix that knows only two classes refuses such a bundle instead of misreading it."""


class BundleVersionWarning(UserWarning):
    """A bundle was saved by another radiomix or scikit-learn version than the running one."""


def current_versions() -> dict[str, str]:
    """Versions recorded in a bundle."""
    return {
        "radiomix": radiomix.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
    }


def _names(items: list[str], limit: int = 10) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


@dataclass
class ModelBundle:
    """A fitted model ready for prediction (see the module notes).

    Attributes
    ----------
    name : str
        Model name in the study (``lr_l2_mrmr``, ...).
    pipeline : sklearn Pipeline
        Fitted; ``predict_proba(X)[:, 1]`` is the probability of the positive class.
    features : list of str
        Feature columns, in the order the pipeline expects them.
    label : dict
        ``column``, ``negative``, ``positive`` and the ``rule`` that chose the positive class.
    threshold : float
        A case is called positive when its probability is at least this.
    threshold_rule : str
    best_params : dict
        Hyper-parameters chosen by the inner cross-validation on all training cases.
    column_rules : dict
        ``id_columns``, ``label``, ``group``, ``include``, ``exclude`` (the study's column
        patterns) and ``model_include``, ``model_exclude`` (the model's): how features were
        picked from the training table (used to spot extra features in a new table).
    extraction_settings : dict or None
        Resolved extraction settings of the training table.
    versions : dict
    training : dict
        Provenance of the training data (table path and SHA-256, cases, positives, created).
    task : str
        ``binary`` (the label dict has ``negative`` / ``positive`` and the threshold is
        used), ``multiclass`` (the label dict has ``classes``; ``predict_proba`` gives one
        column per class), ``regression`` (``predict`` gives the value; no threshold) or
        ``survival`` (``predict`` gives the risk score; the label dict has the time and
        event columns, the horizons and ``risk_cutoff``, the median training risk that
        splits the low- and high-risk groups).
    """

    name: str
    pipeline: Any
    features: list[str]
    label: dict[str, Any]
    threshold: float
    threshold_rule: str
    best_params: dict[str, Any] = field(default_factory=dict)
    column_rules: dict[str, Any] = field(default_factory=dict)
    extraction_settings: dict[str, Any] | None = None
    versions: dict[str, str] = field(default_factory=current_versions)
    training: dict[str, Any] = field(default_factory=dict)
    task: str = "binary"

    # ----------------------------------------------------------------- persistence

    def metadata(self) -> dict[str, Any]:
        """Everything but the pipeline, as plain JSON-ready data."""
        binary = self.task == "binary"
        meta: dict[str, Any] = {
            "format": BUNDLE_FORMAT,
            "format_version": 1 if binary else BUNDLE_VERSION,
            "name": self.name,
        }
        if not binary:
            meta["task"] = self.task
        return meta | {
            "features": list(self.features),
            "label": dict(self.label),
            "threshold": float(self.threshold) if binary else None,
            "threshold_rule": self.threshold_rule,
            "best_params": {k: _jsonable(v) for k, v in self.best_params.items()},
            "column_rules": dict(self.column_rules),
            "extraction_settings": self.extraction_settings,
            "versions": dict(self.versions),
            "training": dict(self.training),
            "pipeline": repr(self.pipeline),
        }

    def save(self, path: str | Path) -> Path:
        """Write ``path`` (joblib) and the metadata as JSON beside it (``.json``)."""
        p = Path(path)
        payload = {"metadata": self.metadata(), "pipeline": self.pipeline}
        atomic_write(p, lambda tmp: joblib.dump(payload, tmp, compress=3))
        text = json.dumps(self.metadata(), indent=2, default=str)
        atomic_write_text(p.with_suffix(".json"), text + "\n")
        return p

    @classmethod
    def load(cls, path: str | Path) -> ModelBundle:
        """Read a bundle written by :meth:`save`; warns when versions differ."""
        p = Path(path)
        if not p.is_file():
            raise ModelBundleError(f"model bundle {p} does not exist")
        try:
            payload = joblib.load(p)
        except Exception as exc:  # unpickling can fail in many ways; all mean "unusable"
            raise ModelBundleError(f"cannot read model bundle {p}: {exc}") from exc
        meta = payload.get("metadata") if isinstance(payload, dict) else None
        if not isinstance(meta, dict) or meta.get("format") != BUNDLE_FORMAT:
            raise ModelBundleError(f"{p} is not a radiomix model bundle")
        if int(meta.get("format_version", 0)) > BUNDLE_VERSION:
            raise ModelBundleError(
                f"{p} was written by a newer radiomix (bundle format "
                f"{meta.get('format_version')}); upgrade radiomix to read it"
            )
        saved = meta.get("versions", {})
        now = current_versions()
        differ = [
            f"{k} {saved.get(k)} (running {now[k]})"
            for k in ("radiomix", "scikit-learn")
            if saved.get(k) != now[k]
        ]
        if differ:
            warnings.warn(
                f"model bundle {p.name} was saved with {', '.join(differ)}; predictions may "
                "differ or fail. Retrain with the running versions to be sure.",
                BundleVersionWarning,
                stacklevel=2,
            )
        return cls(
            name=meta["name"],
            pipeline=payload["pipeline"],
            features=list(meta["features"]),
            label=dict(meta["label"]),
            threshold=float(meta["threshold"]) if meta.get("threshold") is not None else np.nan,
            threshold_rule=str(meta["threshold_rule"]),
            best_params=dict(meta.get("best_params", {})),
            column_rules=dict(meta.get("column_rules", {})),
            extraction_settings=meta.get("extraction_settings"),
            versions=dict(saved),
            training=dict(meta.get("training", {})),
            task=str(meta.get("task", "binary")),
        )

    # ------------------------------------------------------------------- prediction

    def check_features(self, table: pd.DataFrame, allow_extra: bool = False) -> pd.DataFrame:
        """The schema's feature columns of ``table`` in training order, as float64.

        Raises
        ------
        DataError
            When features of the schema are missing or hold text, or (unless
            ``allow_extra``) when the table has feature columns the model was not trained on;
            the message names them.
        """
        missing = [f for f in self.features if f not in table.columns]
        if missing:
            raise DataError(
                f"the table lacks {len(missing)} of the {len(self.features)} features the "
                f"model {self.name!r} was trained on: {_names(missing)}. Extract them with "
                "the model's extraction settings (radiomix predict RUN_DIR IMAGE MASK does)"
            )
        rules = self.column_rules
        from radiomix.learn.clinical import coded_columns

        coded = coded_columns(self.pipeline)  # site and clinical categories: codes
        table = code_columns(table, coded)
        not_features = [*rules.get("clinical", ()), *coded]
        candidates, _ = feature_columns(
            table,
            label=rules.get("label"),
            group=rules.get("group"),
            id_columns=[*rules.get("id_columns", ("case_id", "roi")), *not_features],
            include=rules.get("include", ()),
            exclude=rules.get("exclude", ()),
        )
        candidates = filter_columns(
            candidates, rules.get("model_include", ()), rules.get("model_exclude", ())
        )
        known = set(self.features)
        extra = [c for c in candidates if c not in known]
        if rules.get("radiomics") is False:  # clinical columns alone: features are not extra
            extra = []
        if extra and not allow_extra:
            raise DataError(
                f"the table has {len(extra)} feature columns the model {self.name!r} was not "
                f"trained on: {_names(extra)}; they suggest other extraction settings. Drop "
                "them, or allow extra columns (--allow-extra) if you are sure"
            )
        bad = [
            f
            for f in self.features
            if not pd.api.types.is_numeric_dtype(table[f].dtype)
            and not pd.api.types.is_bool_dtype(table[f].dtype)
        ]
        if bad:
            raise DataError(f"feature columns hold text instead of numbers: {_names(bad)}")
        X, _ = features_frame(table, self.features)
        return X

    def predict_proba(self, table: pd.DataFrame, allow_extra: bool = False) -> np.ndarray:
        """Probability of the positive class for every row of a feature table (several
        classes: one column per class, in the order of ``label["classes"]``)."""
        if self.task == "survival":
            raise DataError(
                f"the model {self.name!r} predicts a risk score (survival), not probabilities"
            )
        if self.task == "regression":
            raise DataError(
                f"the model {self.name!r} predicts a number (regression), not probabilities"
            )
        X = self.check_features(table, allow_extra=allow_extra)
        with _harmonise_errors():
            if self.task == "multiclass":
                from radiomix.learn.tasks import get_task

                return get_task(self.task).output(self.pipeline, X, len(self.label["classes"]))
            return np.asarray(self.pipeline.predict_proba(X)[:, 1], dtype=np.float64)

    def predict_values(self, table: pd.DataFrame, allow_extra: bool = False) -> np.ndarray:
        """What the model outputs for every row: the probability of the positive class
        (binary), the class probabilities (n, K) (multiclass) or the value (regression)."""
        if self.task == "survival":
            return self._survival_values(table, allow_extra)
        if self.task != "regression":
            return self.predict_proba(table, allow_extra=allow_extra)
        X = self.check_features(table, allow_extra=allow_extra)
        with _harmonise_errors():
            return np.asarray(self.pipeline.predict(X), dtype=np.float64).ravel()

    def new_sites(self, table: pd.DataFrame) -> np.ndarray | None:
        """After a prediction of ``table``: which rows come from a site the model's ComBat
        never saw in training (harmonised from their own features, without labels; an
        :class:`~radiomix.learn.harmonise.UnseenBatchWarning` names them). None when the
        model does not harmonise."""
        from radiomix.learn.harmonise import UnseenBatchWarning
        from radiomix.learn.task_cv import _combat_step

        combat = _combat_step(self.pipeline)
        if combat is None or combat.batch not in table.columns:
            return None
        unseen = np.asarray(getattr(combat, "unseen_batches_", []), dtype=np.float64)
        mask = np.isin(category_codes(table[combat.batch]), unseen)
        if mask.any():
            names = sorted({str(v) for v in table[combat.batch].to_numpy()[mask]})
            warnings.warn(
                f"site(s) {', '.join(names)} of column {combat.batch!r} were not in the "
                f"training data of model {self.name!r}: ComBat estimated their location and "
                "scale from their own features (without labels)",
                UnseenBatchWarning,
                stacklevel=2,
            )
        return mask

    def new_categories(self, table: pd.DataFrame) -> np.ndarray | None:
        """Which rows of ``table`` hold a category of a clinical column (or of a ComBat
        covariate) that the model never saw in training: per row the categories as
        ``column=category`` (``"stage=T4"``, several joined by ``"; "``), "" for the other
        rows; an :class:`~radiomix.learn.clinical.UnseenCategoryWarning` names them. The
        model encodes such a category as zeros in every one of the column's category
        columns (ComBat: the training mix of categories). None when the model has no
        categorical column."""
        from radiomix.learn.clinical import (
            UnseenCategoryWarning,
            coded_columns,
            unseen_categories,
        )

        categorical = [c for c in coded_columns(self.pipeline) if c in table.columns]
        if not categorical:
            return None
        X = code_columns(table[categorical], categorical)
        found = unseen_categories(self.pipeline, X, table)
        out = np.full(len(table), "", dtype=object)
        listed = []
        for column, cats in found.items():
            for text, mask in cats.items():
                tag = f"{column}={text}"
                out[mask] = [f"{o}; {tag}" if o else tag for o in out[mask]]
                listed.append(f"{tag} ({int(mask.sum())} case{'s' if mask.sum() > 1 else ''})")
        if listed:
            warnings.warn(
                f"categories not in the training data of model {self.name!r}: "
                f"{', '.join(listed)}; they match no training category (a clinical column "
                "gets zeros in all its category columns, a ComBat covariate the training mix)",
                UnseenCategoryWarning,
                stacklevel=2,
            )
        return out

    def predict_table(self, table: pd.DataFrame, allow_extra: bool = False) -> pd.DataFrame:
        """Predictions for a feature table: ids, probability, threshold, predicted class.

        Columns: ``case_id`` and ``roi`` (when present), ``probability`` (of the positive
        class), ``threshold``, ``predicted`` (1 = positive) and ``predicted_label`` (the
        label value), plus ``model``; ``new_site`` for a harmonised model and
        ``unseen_category`` for a model with categorical clinical columns
        (:meth:`new_categories`).
        """
        ids = [c for c in ("case_id", "roi") if c in table.columns]
        if self.task != "binary":
            return self._predict_task_table(table, ids, allow_extra)
        prob = self.predict_proba(table, allow_extra=allow_extra)
        out = (
            table[ids].reset_index(drop=True).copy()
            if ids
            else pd.DataFrame(index=range(len(table)))
        )
        out["model"] = self.name
        out["probability"] = prob
        out["threshold"] = self.threshold
        out["predicted"] = (prob >= self.threshold).astype(np.int8)
        pos, neg = self.label.get("positive"), self.label.get("negative")
        out["predicted_label"] = np.where(out["predicted"] == 1, pos, neg)
        new = self.new_sites(table)
        if new is not None:
            out["new_site"] = new
        cats = self.new_categories(table)
        if cats is not None:
            out["unseen_category"] = cats
        return out

    def explain(
        self,
        table: pd.DataFrame,
        *,
        background: pd.DataFrame | None = None,
        allow_extra: bool = False,
        max_background: int = 50,
        random_state: int = 0,
    ) -> pd.DataFrame:
        """Per-case contributions of the model's input features (SHAP values).

        Rows: the cases of ``table`` (indexed by ``case_id`` when the table has it);
        columns: the features that reach the model (after its selection), then
        ``base_value`` and ``prediction``. In every row the contributions plus
        ``base_value`` equal ``prediction`` (up to rounding). The units are in
        ``result.attrs["scale"]`` and the method in ``result.attrs["method"]``:

        - logistic regression: **log-odds**, exact: coefficient x the standardised value
          the model sees (its reference is the training mean, the zero input, so the base
          value is the intercept; the same numbers as the web app's contributions); with
          ``background`` the reference is the background's mean input instead;
        - linear regression: the outcome's units, the same way;
        - forests: probability of the positive class (regression: outcome units); gradient
          boosting classifiers: log-odds (tree SHAP, no background needed; for two classes
          the same numbers as the web app's contributions);
        - any other model (SVM, ...): probability (survival: the risk score) by the
          permutation explainer against ``background``, which is then required (the
          training feature table; at most ``max_background`` rows, evenly spaced).

        A model of several classes (``task == "multiclass"``) gives one row per case and
        class: the index has two levels, the case (``case_id``) and ``class`` (the class
        names, in the label's order within each case), and the columns are the same (the
        features, ``base_value``, ``prediction``), each row adding up for its class.
        ``result.xs("g2", level="class")`` is the table of one class, in the form of two
        classes; ``result.loc["case-7"]`` one case's classes. The units
        (``result.attrs["scale"]``): a multinomial logistic regression's ``class logit
        (before the softmax)``, each class's linear predictor ``intercept_k + coef_k . z``
        (class k's probability is ``exp(f_k) / sum_j exp(f_j)``; the base value is the
        class's intercept); ``log-odds (one vs rest)`` for ``lr_ovr_mrmr``; the class
        probability for forests and the model-agnostic explainer; the class logit for
        histogram gradient boosting. ``result.attrs["classes"]`` lists the classes.

        Parameters
        ----------
        table : DataFrame
            Feature table of the cases (the model's feature columns, as for prediction).
        background : DataFrame, optional
            Training cases' features.
        allow_extra : bool
        max_background, random_state : int

        Raises
        ------
        DataError
            Missing or text features, or a model that needs background cases and got
            none.
        """
        from radiomix.learn.explain import ClassShapExplanation, shap_explanation

        X = self.check_features(table, allow_extra=allow_extra)
        bg = None
        if background is not None:
            bg = self.check_features(background, allow_extra=True)
        classes = self.label.get("classes") if self.task == "multiclass" else None
        with _harmonise_errors():
            try:
                exp = shap_explanation(
                    self.pipeline,
                    X,
                    background=bg,
                    max_background=max_background,
                    random_state=random_state,
                    class_names=classes,
                )
            except ValueError as exc:
                raise DataError(f"cannot explain model {self.name!r}: {exc}") from exc
        if isinstance(exp, ClassShapExplanation):
            per_class = exp.long()
            k = len(exp.classes)
            cases = table["case_id"].to_numpy() if "case_id" in table.columns else table.index
            per_class.index = pd.MultiIndex.from_arrays(
                [np.repeat(np.asarray(cases), k), per_class.index.get_level_values("class")],
                names=["case_id" if "case_id" in table.columns else table.index.name, "class"],
            )
            per_class.attrs["scale"] = exp.scale
            per_class.attrs["method"] = exp.method
            per_class.attrs["classes"] = list(exp.classes)
            return per_class
        out = exp.values.copy()
        out["base_value"] = exp.base_value
        out["prediction"] = exp.prediction
        if "case_id" in table.columns:
            out.index = pd.Index(table["case_id"].to_numpy(), name="case_id")
        else:
            out.index = table.index
        out.attrs["scale"] = exp.scale
        out.attrs["method"] = exp.method
        return out

    def _survival_values(self, table: pd.DataFrame, allow_extra: bool) -> np.ndarray:
        """Survival: the risk score, then the probabilities of being event-free at the
        horizons and on the Brier grid of ``label`` (n, 1 + H + G)."""
        from radiomix.learn.tasks import get_task

        X = self.check_features(table, allow_extra=allow_extra)
        task = get_task(self.task).configure(self.label)
        return task.output(self.pipeline, X, task.n_outputs(np.empty(0)))

    def _predict_task_table(
        self, table: pd.DataFrame, ids: list[str], allow_extra: bool
    ) -> pd.DataFrame:
        """Several classes: ``probability_<class>`` per class, ``predicted`` (the class
        index) and ``predicted_label`` (the most probable class); regression:
        ``predicted`` (the value)."""
        values = self.predict_values(table, allow_extra=allow_extra)
        out = (
            table[ids].reset_index(drop=True).copy()
            if ids
            else pd.DataFrame(index=range(len(table)))
        )
        out["model"] = self.name
        new = self.new_sites(table)
        if new is not None:
            out["new_site"] = new
        cats = self.new_categories(table)
        if cats is not None:
            out["unseen_category"] = cats
        if self.task == "survival":
            from radiomix.learn.tasks import get_task

            cols = get_task(self.task).prediction_columns(
                values, self.label, self.label.get("risk_cutoff")
            )
            for key, col in (cols or {}).items():
                out[key] = col
            return out
        if self.task == "regression":
            out["predicted"] = values
            return out
        classes = list(self.label["classes"])
        for k, c in enumerate(classes):
            out[f"probability_{c}"] = values[:, k]
        pred = np.argmax(values, axis=1)
        out["predicted"] = pred
        out["predicted_label"] = np.asarray(classes, dtype=object)[pred]
        return out


@contextmanager
def _harmonise_errors() -> Iterator[None]:
    """ComBat's input errors (one new case from a new site, ...) as DataError."""
    from radiomix.learn.harmonise import HarmoniseError

    try:
        yield
    except HarmoniseError as exc:
        raise DataError(f"harmonising the sites (ComBat): {exc}") from exc


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, str | int | float | bool) or v is None:
        return v
    return repr(v)


def created_now() -> str:
    """Creation time stamp (UTC, ISO 8601)."""
    return datetime.now(UTC).isoformat(timespec="seconds")
