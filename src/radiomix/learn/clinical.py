"""Clinical columns beside the image: encoded inside the training folds.

``data.clinical: [age, stage, ...]`` (``radiomix train --clinical age,stage``) passes clinical
columns to every model beside the radiomic features. They never go through the radiomic
steps (variance and correlation filters, mRMR): a column transformer
(:mod:`radiomix.learn.config`) sends them to :class:`ClinicalEncoder`, which is fitted on
the training folds only:

- a **numeric** column is imputed with its training median and standardised with its
  training mean and SD (after imputation);
- a **categorical** column (text, or named in ``data.clinical_categorical``) is imputed with
  its most frequent training category and one-hot encoded over the categories seen in
  training (every category its own column; a category first met at prediction time gets
  zeros in all of them).

Cross-validation works on float arrays, so text categories travel as stable numeric codes
(:func:`radiomix.learn.table.category_codes`, a hash of the text): the same text gives the
same code in training and at prediction time, and the encoder only compares codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

__all__ = ["ClinicalEncoder"]


class ClinicalEncoder(TransformerMixin, BaseEstimator):
    """Impute and scale numeric clinical columns, one-hot encode categorical ones.

    Parameters
    ----------
    categorical : sequence of str
        Columns of X holding category codes; every other column is numeric.

    Attributes
    ----------
    columns_ : list of str
        The input columns, in order.
    medians_, means_, scales_ : dict
        Per numeric column: training median (the imputed value), mean and SD.
    categories_ : dict
        Per categorical column: the sorted category codes seen in training.
    modes_ : dict
        Per categorical column: the most frequent training category (the imputed value).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {"categorical": [list, tuple]}

    def __init__(self, categorical: Sequence[str] = ()) -> None:
        self.categorical = categorical

    def _frame(self, X: Any) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            return X
        arr = np.asarray(X, dtype=np.float64)
        return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])

    def fit(self, X: Any, y: Any = None) -> ClinicalEncoder:
        X = self._frame(X)
        cat = set(self.categorical)
        self.columns_ = [str(c) for c in X.columns]
        self.medians_: dict[str, float] = {}
        self.means_: dict[str, float] = {}
        self.scales_: dict[str, float] = {}
        self.categories_: dict[str, np.ndarray] = {}
        self.modes_: dict[str, float] = {}
        for c in self.columns_:
            v = pd.to_numeric(X[c], errors="coerce").to_numpy(dtype=np.float64)
            ok = np.isfinite(v)
            if c in cat:
                vals, counts = np.unique(v[ok], return_counts=True)
                self.categories_[c] = vals
                self.modes_[c] = float(vals[np.argmax(counts)]) if vals.size else np.nan
            else:
                med = float(np.median(v[ok])) if ok.any() else 0.0
                filled = np.where(ok, v, med)
                sd = float(filled.std())
                self.medians_[c] = med
                self.means_[c] = float(filled.mean())
                self.scales_[c] = sd if sd > 0 else 1.0
        self.n_features_in_ = len(self.columns_)
        self.feature_names_in_ = np.asarray(self.columns_, dtype=object)
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "columns_")
        X = self._frame(X)
        parts: list[np.ndarray] = []
        for c in self.columns_:
            v = pd.to_numeric(X[c], errors="coerce").to_numpy(dtype=np.float64)
            ok = np.isfinite(v)
            if c in self.categories_:
                v = np.where(ok, v, self.modes_[c])
                cats = self.categories_[c]
                parts.append((v[:, None] == cats[None, :]).astype(np.float64))
            else:
                v = np.where(ok, v, self.medians_[c])
                parts.append(((v - self.means_[c]) / self.scales_[c])[:, None])
        if not parts:
            return np.zeros((len(X), 0))
        return np.hstack(parts)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Numeric columns by name; categories as ``column=<k>`` (k: the sorted code's
        index among the training categories)."""
        check_is_fitted(self, "columns_")
        names: list[str] = []
        for c in self.columns_:
            if c in self.categories_:
                names.extend(f"{c}={k}" for k in range(self.categories_[c].size))
            else:
                names.append(c)
        return np.asarray(names, dtype=object)


def coded_columns(pipe: Any) -> list[str]:
    """Columns a fitted or unfitted pipeline reads as category codes: ComBat's site column
    and the clinical encoder's categorical columns (searched in nested pipelines and column
    transformers)."""
    from radiomix.learn.harmonise import ComBat

    found: list[str] = []

    def visit(est: Any) -> None:
        if isinstance(est, ComBat):
            found.append(str(est.batch))
        elif isinstance(est, ClinicalEncoder):
            found.extend(str(c) for c in est.categorical)
        for _, step in getattr(est, "steps", []):
            visit(step)
        for item in getattr(est, "transformers", []):
            visit(item[1])
        rem = getattr(est, "remainder", None)
        if rem is not None and not isinstance(rem, str):
            visit(rem)
        for item in getattr(est, "transformers_", []):
            visit(item[1])

    visit(pipe)
    return list(dict.fromkeys(found))
