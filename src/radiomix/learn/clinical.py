"""Clinical columns beside the image: encoded inside the training folds.

``data.clinical: [age, stage, ...]`` (``radiomix train --clinical age,stage``) passes clinical
columns to every model beside the radiomic features. They never go through the radiomic
steps (variance and correlation filters, mRMR): a column transformer
(:mod:`radiomix.learn.config`) sends them to :class:`ClinicalEncoder`, which is fitted on
the training folds only:

- a **numeric** column is imputed with its training median and standardised with its
  training mean and SD (after imputation);
- a **categorical** column (text, or named in ``data.clinical_categorical``: a stage coded
  1-4) is imputed with its most frequent training category and one-hot encoded over the
  categories seen in training: every category its own column, named ``column=category``
  (``stage=T2``), in the order of the categories (numbers by value, then text
  alphabetically). A category first met at prediction time (an external site's ``T4``)
  gets zeros in all of them: the model's prediction is then that of a case whose category
  adds nothing to its score, which is all a model can say about a category it never saw.
  The study's models report such cases (:func:`unseen_categories`: a warning and the
  ``unseen_category`` column of the predictions) rather than the encoder itself.

Cross-validation works on float arrays, so text categories travel as stable numeric codes
(:func:`radiomix.learn.table.category_codes`, a hash of the text): the same text gives the
same code in training and at prediction time, and the encoder only compares codes. The
texts behind the codes (``category_names``) only name the encoded columns.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from radiomix.learn.table import category_codes, category_key, category_text

__all__ = [
    "ClinicalEncoder",
    "UnseenCategoryWarning",
    "coded_columns",
    "encoders",
    "input_column",
    "unseen_categories",
]


class UnseenCategoryWarning(UserWarning):
    """A category of a clinical column (or a ComBat covariate) met at prediction time was
    not in the training data."""


def _as_codes(values: pd.Series) -> tuple[np.ndarray, dict[float, str]]:
    """Codes of a categorical column and the text of each code it holds: text values are
    coded here (:func:`~radiomix.learn.table.category_codes`), numbers are taken as the codes
    (the study codes its columns before cross-validation)."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        codes = values.to_numpy(dtype=np.float64, na_value=np.nan)
        return codes, {}
    codes = category_codes(values)
    texts: dict[float, str] = {}
    for code, v in zip(codes, values.to_numpy(dtype=object), strict=True):
        if np.isfinite(code) and code not in texts:
            texts[float(code)] = category_text(v) or ""
    return codes, texts


class ClinicalEncoder(TransformerMixin, BaseEstimator):
    """Impute and scale numeric clinical columns, one-hot encode categorical ones.

    Parameters
    ----------
    categorical : sequence of str
        Columns of X holding categories (text, or the codes of
        :func:`~radiomix.learn.table.category_codes`); every other column is numeric.
    category_names : mapping of str to sequence of str, optional
        Per categorical column, the texts of its categories (e.g. every value of the
        column in the study's table): they name the encoded columns when X holds codes.
        A code without a text is named by its number.
    warn_unseen : bool, default=True
        Issue an :class:`UnseenCategoryWarning` when :meth:`transform` meets a category not
        seen in fit (``unseen_`` records it either way; the study's models report it
        themselves).

    Attributes
    ----------
    columns_ : list of str
        The input columns, in order.
    medians_, means_, scales_ : dict
        Per numeric column: training median (the imputed value), mean and SD.
    categories_ : dict
        Per categorical column: the category codes seen in training, in the order of their
        texts (numbers by value, then text alphabetically).
    category_labels_ : dict
        Per categorical column: the texts of ``categories_`` (the encoded columns are
        ``column=text``).
    modes_ : dict
        Per categorical column: the most frequent training category (the imputed value;
        ties go to the first in order).
    unseen_ : dict
        Per categorical column: the texts of the categories of the last :meth:`transform`
        call that were not seen in fit (encoded as zeros). Empty after fit.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "categorical": [list, tuple],
        "category_names": [dict, None],
        "warn_unseen": ["boolean"],
    }

    def __init__(
        self,
        categorical: Sequence[str] = (),
        category_names: Mapping[str, Sequence[str]] | None = None,
        warn_unseen: bool = True,
    ) -> None:
        self.categorical = categorical
        self.category_names = category_names
        self.warn_unseen = warn_unseen

    def _frame(self, X: Any) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            return X
        arr = np.asarray(X, dtype=np.float64)
        return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])

    def _text(self, column: str, code: float, seen: Mapping[float, str]) -> str:
        if code in seen:
            return seen[code]
        known = getattr(self, "_known", {})  # absent in encoders pickled before names
        return known.get(column, {}).get(code, category_text(code) or "")

    def fit(self, X: Any, y: Any = None) -> ClinicalEncoder:
        X = self._frame(X)
        cat = set(self.categorical)
        self._known: dict[str, dict[float, str]] = {}
        for c, texts in (self.category_names or {}).items():
            codes = category_codes(list(texts))
            self._known[str(c)] = {
                float(k): category_text(t) or "" for k, t in zip(codes, texts, strict=True)
            }
        self.columns_ = [str(c) for c in X.columns]
        self.medians_: dict[str, float] = {}
        self.means_: dict[str, float] = {}
        self.scales_: dict[str, float] = {}
        self.categories_: dict[str, np.ndarray] = {}
        self.category_labels_: dict[str, list[str]] = {}
        self.modes_: dict[str, float] = {}
        for c in self.columns_:
            if c in cat:
                v, seen = _as_codes(X[c])
                ok = np.isfinite(v)
                vals, counts = np.unique(v[ok], return_counts=True)
                texts = [self._text(c, float(k), seen) for k in vals]
                order = sorted(range(vals.size), key=lambda i: category_key(texts[i]))
                self.categories_[c] = vals[order]
                self.category_labels_[c] = [texts[i] for i in order]
                ordered = counts[order]
                self.modes_[c] = float(vals[order][np.argmax(ordered)]) if vals.size else np.nan
            else:
                v = pd.to_numeric(X[c], errors="coerce").to_numpy(dtype=np.float64)
                ok = np.isfinite(v)
                med = float(np.median(v[ok])) if ok.any() else 0.0
                filled = np.where(ok, v, med)
                sd = float(filled.std())
                self.medians_[c] = med
                self.means_[c] = float(filled.mean())
                self.scales_[c] = sd if sd > 0 else 1.0
        self.n_features_in_ = len(self.columns_)
        self.feature_names_in_ = np.asarray(self.columns_, dtype=object)
        self.unseen_: dict[str, list[str]] = {}
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "columns_")
        X = self._frame(X)
        parts: list[np.ndarray] = []
        unseen: dict[str, list[str]] = {}
        for c in self.columns_:
            if c in self.categories_:
                v, seen = _as_codes(X[c])
                ok = np.isfinite(v)
                cats = self.categories_[c]
                new = ok & ~np.isin(v, cats)
                if new.any():
                    texts = {self._text(c, float(k), seen) for k in np.unique(v[new])}
                    unseen[c] = sorted(texts, key=category_key)
                v = np.where(ok, v, self.modes_[c])
                parts.append((v[:, None] == cats[None, :]).astype(np.float64))
            else:
                v = pd.to_numeric(X[c], errors="coerce").to_numpy(dtype=np.float64)
                v = np.where(np.isfinite(v), v, self.medians_[c])
                parts.append(((v - self.means_[c]) / self.scales_[c])[:, None])
        self.unseen_ = unseen
        if unseen and self.warn_unseen:
            listed = "; ".join(f"{c}: {', '.join(v)}" for c, v in unseen.items())
            warnings.warn(
                f"categories not seen in training ({listed}) were encoded as zeros in every "
                "category column",
                UnseenCategoryWarning,
                stacklevel=2,
            )
        if not parts:
            return np.zeros((len(X), 0))
        return np.hstack(parts)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # an encoder pickled (in a model bundle) before category names: silent as it was
        state.setdefault("category_names", None)
        state.setdefault("warn_unseen", False)
        super().__setstate__(state)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Numeric columns by name; categories as ``column=category`` (``stage=T2``)."""
        check_is_fitted(self, "columns_")
        labels = getattr(self, "category_labels_", None)  # absent when pickled before names
        names: list[str] = []
        for c in self.columns_:
            if c in self.categories_:
                if labels is None:
                    names.extend(f"{c}={k}" for k in range(self.categories_[c].size))
                else:
                    names.extend(f"{c}={t}" for t in labels[c])
            else:
                names.append(c)
        return np.asarray(names, dtype=object)


def _visit(pipe: Any, found: list[Any]) -> None:
    """The ComBat steps and clinical encoders of a pipeline, nested pipelines and column
    transformers searched (fitted or not)."""
    from radiomix.learn.harmonise import ComBat

    if isinstance(pipe, ComBat | ClinicalEncoder):
        found.append(pipe)
    for _, step in getattr(pipe, "steps", []):
        _visit(step, found)
    fitted = getattr(pipe, "transformers_", None)
    for item in fitted if fitted is not None else getattr(pipe, "transformers", []):
        _visit(item[1], found)
    rem = getattr(pipe, "remainder", None)
    if fitted is None and rem is not None and not isinstance(rem, str):
        _visit(rem, found)


def encoders(pipe: Any) -> list[ClinicalEncoder]:
    """The clinical encoders of a pipeline (nested pipelines and column transformers
    searched)."""
    found: list[Any] = []
    _visit(pipe, found)
    return [e for e in found if isinstance(e, ClinicalEncoder)]


def coded_columns(pipe: Any) -> list[str]:
    """Columns a fitted or unfitted pipeline reads as category codes: ComBat's site column
    and categorical covariates, and the clinical encoder's categorical columns (searched in
    nested pipelines and column transformers)."""
    from radiomix.learn.harmonise import ComBat

    found: list[Any] = []
    _visit(pipe, found)
    names: list[str] = []
    for est in found:
        if isinstance(est, ComBat):
            names.append(str(est.batch))
            names.extend(str(c) for c in est.categorical_covariates)
        else:
            names.extend(str(c) for c in est.categorical)
    return list(dict.fromkeys(names))


def input_column(name: str, categorical: Collection[str]) -> str:
    """The input column of a model feature: ``stage`` for ``stage=T2`` when ``stage`` is a
    categorical column, else the name itself."""
    head, sep, _ = name.partition("=")
    return head if sep and head in categorical else name


def unseen_categories(
    pipe: Any, X: pd.DataFrame, names: pd.DataFrame | None = None
) -> dict[str, dict[str, np.ndarray]]:
    """Categories that a fitted pipeline never saw in training, by the rows they are in.

    ``X`` is what the pipeline is given (categories as codes, as the study's models take
    them), ``names`` the table they came from (the texts; default ``X``). Per categorical
    column of the pipeline's clinical encoder and per categorical covariate of its ComBat
    step: ``{category text: boolean mask of the rows}``; missing values are not unseen (they
    get the training mode). Empty when every category was seen.
    """
    from radiomix.learn.harmonise import ComBat

    names = X if names is None else names
    found: list[Any] = []
    _visit(pipe, found)
    new: dict[str, np.ndarray] = {}
    for est in found:
        if isinstance(est, ClinicalEncoder) and hasattr(est, "categories_"):
            for c, cats in est.categories_.items():
                if c in X.columns:
                    v, _ = _as_codes(X[c])
                    mask = np.isfinite(v) & ~np.isin(v, cats)
                    new[c] = new[c] | mask if c in new else mask
        elif isinstance(est, ComBat) and hasattr(est, "covariate_levels_"):
            for c, levels in est.covariate_levels_.items():
                if c in X.columns:
                    values = X[c].to_numpy(dtype=object)
                    idx = pd.Index(list(levels), dtype=object).get_indexer(values)
                    mask = (idx < 0) & X[c].notna().to_numpy()
                    new[c] = new[c] | mask if c in new else mask
    out: dict[str, dict[str, np.ndarray]] = {}
    for c, mask in new.items():
        if not mask.any():
            continue
        col = names[c] if c in names.columns else X[c]
        texts = np.array([category_text(v) or "" for v in col.to_numpy(dtype=object)], dtype=object)
        out[c] = {t: mask & (texts == t) for t in sorted(set(texts[mask]), key=category_key)}
    return out
