"""Delta radiomics: how each feature of a case changes between a baseline and later scans.

A longitudinal feature table holds one row per case, timepoint (and ROI): what
``radiomix extract --manifest`` writes for a manifest with a case column (e.g. ``patient``)
and a ``timepoint`` column. :func:`delta_features` pairs every later row with the same case's
(and ROI's) baseline row and writes, per feature ``f``,

- ``delta_abs_<f> = f(t) - f(t0)``;
- ``delta_rel_<f> = (f(t) - f(t0)) / |f(t0)|``, except near zero.

The features are the columns :func:`radiomix.learn.table.feature_columns` picks (numeric, not
an id, ``diagnostics_*`` or ``provenance_*`` column), less the case, time and ROI columns and
the columns named in ``carry``.

Near-zero rule
    A relative change divides by ``|f(t0)|``; a baseline close to zero makes it explode (or
    infinite). For each feature the *cohort scale* ``s_f`` is the median of ``|f(t0)|`` over
    all baseline rows (finite values). The relative change is missing (NaN: an empty CSV
    cell, JSON null; never infinite) when ``|f(t0)| <= eps * s_f`` or ``f(t0) == 0``
    (``eps`` = 0.01 by default: a baseline smaller than 1 % of the feature's typical
    baseline size). How many values were set so is counted (:attr:`DeltaResult.n_near_zero`,
    and per feature). Missing inputs give missing outputs and are not counted.

Baseline
    ``baseline`` names it; by default it is the first timepoint in sorted order (numbers by
    value, text as text: give ``baseline`` when text does not sort in time, e.g. ``t10``
    before ``t2``). A case (and ROI) with later rows but no baseline row is left out and
    listed in :attr:`DeltaResult.missing_baseline`, never dropped silently. Two rows with the
    same case, timepoint and ROI are an error.

Other columns
    The output starts with the case column, the ROI column (when the table has one), the
    baseline timepoint (``<time>_baseline``) and the later timepoint (``<time>``); then the
    carried columns (every non-numeric column that is not ``diagnostics_*`` /
    ``provenance_*``, and the columns named in ``carry``, e.g. a numeric label) with their
    values at the later timepoint; then the ``delta_abs_*`` and ``delta_rel_*`` columns. So
    the table feeds ``radiomix train --label LABEL --group <case column>`` like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from radiomix.errors import DataError
from radiomix.learn.table import feature_columns

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_EPS", "DeltaResult", "delta_features"]

#: relative change is missing when |f(t0)| <= DEFAULT_EPS * median |f(t0)| over the cohort
DEFAULT_EPS = 0.01


@dataclass(frozen=True)
class DeltaResult:
    """The delta table and what was done to make it.

    Attributes
    ----------
    table : DataFrame
        One row per case (and ROI) and later timepoint.
    baseline : Any
        The baseline timepoint.
    features : list of str
        The features differenced.
    missing_baseline : list of str
        Cases (``case`` or ``case/roi``) with later rows but no baseline row: left out.
    baseline_only : list of str
        Cases (and ROIs) with a baseline row but no later row (nothing to compare).
    n_near_zero : int
        Relative changes set missing by the near-zero rule.
    near_zero : dict of str to int
        The same count per feature (features with none are absent).
    scale : dict of str to float
        The cohort scale ``s_f`` (median ``|f(t0)|``) per feature.
    eps : float
    """

    table: pd.DataFrame
    baseline: Any
    features: list[str]
    missing_baseline: list[str] = field(default_factory=list)
    baseline_only: list[str] = field(default_factory=list)
    n_near_zero: int = 0
    near_zero: dict[str, int] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    eps: float = DEFAULT_EPS


def _sorted_times(values: Sequence[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def _key_text(key: Any) -> str:
    return "/".join(map(str, key)) if isinstance(key, tuple) else str(key)


def delta_features(
    table: pd.DataFrame,
    *,
    case_col: str = "case_id",
    time_col: str = "timepoint",
    baseline: Any = None,
    roi_col: str = "roi",
    carry: Sequence[str] = (),
    eps: float = DEFAULT_EPS,
) -> DeltaResult:
    """Absolute and relative change of every feature from the baseline (see the module notes).

    Parameters
    ----------
    table : DataFrame
        Wide feature table with a case and a time column.
    case_col, time_col : str
        The columns naming the case (patient) and the timepoint.
    baseline : scalar, optional
        The baseline timepoint (compared as text with the time column's values); default the
        first in sorted order.
    roi_col : str
        Rows are paired by this column too when the table has it.
    carry : sequence of str
        Numeric columns to carry unchanged (from the later row) instead of differencing, e.g.
        a 0/1 label or an age.
    eps : float
        Near-zero threshold relative to the cohort scale (>= 0).

    Returns
    -------
    DeltaResult

    Raises
    ------
    DataError
        A missing column, an unknown baseline, duplicated (case, timepoint, ROI) rows, no
        feature column, or no later timepoint.
    """
    import pandas as pd

    if not (eps >= 0 and np.isfinite(eps)):
        raise DataError(f"eps must be a finite number >= 0, not {eps!r}")
    dup_cols = table.columns[table.columns.duplicated()].tolist()
    if dup_cols:
        raise DataError(f"the feature table has duplicated column names: {dup_cols[:5]}")
    for what, col in (("case", case_col), ("time", time_col)):
        if col not in table.columns:
            raise DataError(
                f"{what} column {col!r} is not in the feature table "
                f"(columns include: {', '.join(map(str, table.columns[:8]))} ...)"
            )
    absent = [c for c in carry if c not in table.columns]
    if absent:
        raise DataError(f"carried column(s) not in the feature table: {', '.join(absent)}")
    if table[case_col].isna().any() or table[time_col].isna().any():
        raise DataError(
            f"{int(table[case_col].isna().sum())} row(s) lack a case ({case_col!r}) and "
            f"{int(table[time_col].isna().sum())} a timepoint ({time_col!r}); fill them in"
        )
    has_roi = roi_col in table.columns
    keys = [case_col, roi_col] if has_roi else [case_col]
    dup = table.duplicated([*keys, time_col], keep=False)
    if dup.any():
        first = table.loc[dup, [*keys, time_col]].iloc[0].tolist()
        raise DataError(
            f"{int(dup.sum())} rows share their case, timepoint"
            + (" and ROI" if has_roi else "")
            + f" (e.g. {', '.join(map(str, first))}); each "
            f"({', '.join([*keys, time_col])}) must be one row"
        )
    id_cols = {case_col, time_col, roi_col, "case_id", "roi", *carry}
    features, non_numeric = feature_columns(table, id_columns=tuple(id_cols))
    if not features:
        raise DataError("no numeric feature column in the table to compute changes of")
    times = _sorted_times(list(pd.unique(table[time_col])))
    if baseline is None:
        t0 = times[0]
    else:
        match = [t for t in times if str(t) == str(baseline)]
        if not match:
            raise DataError(
                f"baseline {baseline!r} is not a value of {time_col!r} "
                f"(values: {', '.join(map(str, times[:10]))})"
            )
        t0 = match[0]
    later = [t for t in times if t != t0]
    if not later:
        raise DataError(f"the table holds only the timepoint {t0!r}: nothing to compare")

    base = table.loc[table[time_col] == t0].set_index(keys)
    base_x = base[features].astype(np.float64)
    absx = base_x.abs().to_numpy()
    with np.errstate(all="ignore"):
        scale = np.array(
            [
                float(np.median(col[np.isfinite(col)])) if np.isfinite(col).any() else np.nan
                for col in absx.T
            ]
        )
    carried = [
        c
        for c in table.columns
        if c not in {case_col, time_col, roi_col}
        and not str(c).startswith(("diagnostics_", "provenance_"))
        and (c in carry or c in non_numeric)
    ]
    pieces = []
    missing: list[str] = []
    seen_later: set[Any] = set()
    n_zero = np.zeros(len(features), dtype=np.int64)
    for t in later:
        fol = table.loc[table[time_col] == t].set_index(keys)
        seen_later.update(fol.index)
        have = fol.index.isin(base.index)
        missing.extend(f"{_key_text(k)} at {t}" for k in fol.index[~have])
        fol = fol.loc[have]
        if fol.empty:
            continue
        b = base_x.loc[fol.index].to_numpy()
        x = fol[features].astype(np.float64).to_numpy()
        with np.errstate(all="ignore"):
            d_abs = x - b
            near = np.isfinite(b) & ((np.abs(b) <= eps * scale) | (b == 0))
            d_rel = np.where(near, np.nan, d_abs / np.abs(b))
        d_rel[~np.isfinite(d_rel)] = np.nan  # inf from inf inputs: missing, never inf
        n_zero += near.sum(axis=0)
        ids = fol.index.to_frame(index=False)
        ids.insert(len(keys), f"{time_col}_baseline", t0)
        ids.insert(len(keys) + 1, time_col, t)
        extra = fol[carried].reset_index(drop=True)
        abs_df = pd.DataFrame(d_abs, columns=[f"delta_abs_{f}" for f in features])
        rel_df = pd.DataFrame(d_rel, columns=[f"delta_rel_{f}" for f in features])
        pieces.append(pd.concat([ids, extra, abs_df, rel_df], axis=1))
    if not pieces:
        raise DataError(
            f"no case has both the baseline {t0!r} and a later timepoint; "
            f"missing baselines: {', '.join(missing[:10])}"
        )
    out = pd.concat(pieces, ignore_index=True)
    baseline_only = [_key_text(k) for k in base.index if k not in seen_later]
    near_zero = {f: int(n) for f, n in zip(features, n_zero, strict=True) if n}
    return DeltaResult(
        table=out,
        baseline=t0,
        features=features,
        missing_baseline=missing,
        baseline_only=baseline_only,
        n_near_zero=int(n_zero.sum()),
        near_zero=near_zero,
        scale={f: float(s) for f, s in zip(features, scale, strict=True)},
        eps=float(eps),
    )
