"""Pieces both study engines write with (the two-class :mod:`~radiomix.learn.study` and the
task engine's :mod:`~radiomix.learn.task_study`): a model's columns, Holm's adjustment,
the rows of ``selection.csv``. Here so that neither study module imports the other for them.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from radiomix.errors import DataError
from radiomix.learn.table import filter_columns

if TYPE_CHECKING:
    from radiomix.learn.config import DataSettings
    from radiomix.learn.models import ModelSpec
    from radiomix.learn.table import Dataset

__all__ = ["holm", "model_columns", "selection_rows", "site_and_clinical_rules"]


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjustment of p-values (NaN stays NaN)."""
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full(p.size, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if ok.size == 0:
        return out.tolist()
    order = ok[np.argsort(p[ok])]
    m = ok.size
    running = 0.0
    for rank, idx in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[idx]))
        out[idx] = running
    return out.tolist()


def model_columns(data: Dataset, spec: ModelSpec) -> list[str]:
    """The model's columns: its radiomic features (include / exclude patterns), then the
    site and clinical columns its pipeline needs (``spec.columns_added``)."""
    removed = set(spec.columns_removed) | set(spec.columns_added)
    rad = [f for f in data.features if f not in removed]
    cols = filter_columns(rad, spec.include, spec.exclude) if spec.radiomics else []
    if spec.radiomics and not cols:
        return []
    missing = [c for c in spec.columns_added if c not in data.features]
    if missing:
        raise DataError(
            f"columns {missing} are not numeric columns of the prepared table (check "
            "data.include / data.exclude / id_columns)"
        )
    return cols + [c for c in spec.columns_added if c not in cols]


def site_and_clinical_rules(data: DataSettings, spec: ModelSpec) -> dict[str, Any]:
    """The bundle's column rules of the site, its covariates and the clinical columns;
    ``radiomics`` is False for a model of the clinical columns alone (a table's radiomic
    features are then not extra columns)."""
    return {
        "harmonise": data.harmonise,
        "harmonise_covariates": list(data.harmonise_covariates),
        "clinical": list(data.clinical),
        "clinical_categorical": list(data.clinical_categorical),
        "radiomics": spec.radiomics,
    }


def _row_names(run: Any) -> list[str]:
    """The names of ``selection.csv``: the model's input columns, a categorical clinical
    column replaced by the encoded columns its fits used (``stage=T1``, ``stage=T2``, in
    the encoder's order)."""
    from radiomix.learn.clinical import coded_columns, encoders, input_column

    categorical = set(coded_columns(run.bundle.pipeline)) if run.bundle is not None else set()
    encoded: dict[str, list[str]] = {}
    for sel in [*(f.selected for f in run.cv.folds), run.final.selected]:
        for name in sel:
            col = input_column(str(name), categorical)
            if col != name:
                names = encoded.setdefault(col, [])
                if name not in names:
                    names.append(str(name))
    order: dict[str, int] = {}
    if encoded:
        for enc in encoders(run.bundle.pipeline):
            for name in enc.get_feature_names_out():
                order.setdefault(str(name), len(order))
    rows: list[str] = []
    for col in run.features:
        found = encoded.get(col)
        rows.extend(sorted(found, key=lambda n: order.get(n, len(order))) if found else [col])
    return rows


def selection_rows(run: Any) -> list[dict[str, Any]]:
    """Rows of ``selection.csv`` for a :class:`ModelRun` (or a task study's run)."""
    n_fits = len(run.cv.folds)
    count: Counter[str] = Counter()
    values: dict[str, list[float]] = {}
    for f in run.cv.folds:
        count.update(f.selected)
        if f.importance is not None and f.importance.size == len(f.selected):
            for name, v in zip(f.selected, f.importance, strict=True):
                values.setdefault(name, []).append(float(v))
    final_imp: dict[str, float] = {}
    fin = run.final
    if fin.importance is not None and fin.importance.size == len(fin.selected):
        final_imp = {n: float(v) for n, v in zip(fin.selected, fin.importance, strict=True)}
    final_sel = set(fin.selected)
    rows: list[dict[str, Any]] = []
    for name in _row_names(run):
        vals = np.asarray(values.get(name, []), dtype=np.float64)
        rows.append(
            {
                "model": run.spec.name,
                "feature": name,
                "n_fits": n_fits,
                "n_selected": int(count.get(name, 0)),
                "frequency": count.get(name, 0) / n_fits if n_fits else math.nan,
                "importance_kind": run.cv.folds[0].importance_kind if run.cv.folds else "none",
                "mean_importance": float(vals.mean()) if vals.size else math.nan,
                "sd_importance": float(vals.std(ddof=1)) if vals.size > 1 else math.nan,
                "mean_abs_importance": float(np.abs(vals).mean()) if vals.size else math.nan,
                "final_selected": name in final_sel,
                "final_importance": final_imp.get(name, math.nan),
            }
        )
    rows.sort(
        key=lambda r: (-float(r["frequency"]), -float(np.nan_to_num(r["mean_abs_importance"])))
    )
    return rows
