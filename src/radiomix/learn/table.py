"""Feature tables in, model-ready arrays out: feature columns, labels and groups.

A feature table is what ``radiomix extract`` writes (wide layout): ``case_id``, ``roi``,
``diagnostics_*`` columns, then one column per feature; any other columns (clinical labels,
patient ids) may be added. :func:`prepare` picks

- the **features**: numeric columns that are not id columns (``case_id``, ``roi`` and any
  configured), not ``diagnostics_*`` or ``provenance_*``, not the label or group column (so
  a numeric clinical column carried from a manifest *is* a feature unless it is listed in
  ``id_columns`` or matched by ``exclude``), optionally restricted by
  ``include`` / narrowed by ``exclude`` fnmatch patterns (e.g. ``*_morphology_*`` for a
  shape-only model). Infinite values become missing (NaN); the pipeline's imputer fills them
  inside each training fold;
- the **label**: a column with exactly two distinct values (rows with a missing label are
  dropped and counted). The positive class (coded 1) is, in this order:

  1. the value given as ``positive`` (compared as text, so ``1`` matches 1 and "1");
  2. 1 when the values are 0 and 1 (or False/True);
  3. the one value that reads as positive: ``malignant``, ``positive``, ``pos``, ``yes``,
     ``true``, ``case``, ``disease``, ``abnormal``, ``cancer``, ``tumour``/``tumor``
     (case-insensitive);
  4. the minority class;
  5. otherwise (two classes of equal size) an error asking for ``positive``;
- the **groups** (optional): cases with equal group value stay in the same fold.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiomix.errors import DataError

__all__ = [
    "POSITIVE_WORDS",
    "Dataset",
    "LabelCoding",
    "category_codes",
    "category_key",
    "category_text",
    "code_columns",
    "encode_labels",
    "feature_columns",
    "file_sha256",
    "filter_columns",
    "given_table",
    "prepare",
    "read_table",
]

POSITIVE_WORDS = frozenset(
    {
        "malignant",
        "positive",
        "pos",
        "yes",
        "true",
        "case",
        "disease",
        "abnormal",
        "cancer",
        "tumour",
        "tumor",
    }
)

DEFAULT_ID_COLUMNS = ("case_id", "roi")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a feature table from CSV (any other suffix) or Parquet (``.parquet``, ``.pq``)."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"feature table {p} does not exist (give the CSV or Parquet file)")
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(p)
        return pd.read_csv(p, low_memory=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read feature table {p}: {exc}") from exc


def given_table(table: str | Path | pd.DataFrame) -> tuple[pd.DataFrame, Path | None]:
    """A feature table given as a path (read by :func:`read_table`) or in memory, and its
    path (None for a DataFrame)."""
    if isinstance(table, pd.DataFrame):
        return table, None
    path = Path(table)
    return read_table(path), path


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file (provenance of the training table)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def category_text(value: Any) -> str | None:
    """The text of a category value (None when missing; 2.0 reads as "2")."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        value = value.item()
    return str(value)


def category_key(value: Any) -> tuple[int, float, str]:
    """Sort key of a category, a value or its text: numbers by value first (numeric text,
    "10", as its number: "9" before "10"), then text alphabetically. The one order of the
    clinical encoder's levels and ComBat's covariate levels (the first is the reference)."""
    if isinstance(value, bool | np.bool_ | int | float | np.integer | np.floating):
        return (0, float(value), "")
    text = str(value)
    try:
        number = float(text)
    except ValueError:
        return (1, 0.0, text)
    return (0, number, "") if np.isfinite(number) else (1, 0.0, text)


def category_codes(values: pd.Series | Sequence[Any]) -> np.ndarray:
    """Stable numeric codes of category values (sites, clinical categories), as float64.

    Cross-validation works on float arrays; a site or category name travels as a 48-bit
    hash of its text (exact in float64), the same in training and at prediction time, so
    no mapping needs storing, and a name never met in training gets a code of its own.
    Missing values stay NaN.
    """
    out = np.full(len(values), np.nan)
    for i, v in enumerate(pd.Series(values, dtype=object).to_numpy()):
        t = category_text(v)
        if t is not None:
            digest = hashlib.blake2b(t.encode("utf-8"), digest_size=6).digest()
            out[i] = float(int.from_bytes(digest, "big"))
    return out


def code_columns(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """A copy of ``table`` with ``columns`` (those present) replaced by their category codes."""
    cols = [c for c in columns if c in table.columns]
    if not cols:
        return table
    out = table.copy()
    for c in cols:
        out[c] = category_codes(out[c])
    return out


def _match(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pat) for pat in patterns)


def filter_columns(
    columns: Sequence[str], include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> list[str]:
    """Columns matching any ``include`` pattern (all when empty) and no ``exclude`` pattern."""
    return [
        c
        for c in columns
        if (not include or _match(c, include)) and not (exclude and _match(c, exclude))
    ]


def feature_columns(
    table: pd.DataFrame,
    *,
    label: str | None = None,
    group: str | None = None,
    id_columns: Sequence[str] = DEFAULT_ID_COLUMNS,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> tuple[list[str], list[str]]:
    """Feature columns of a table, and the columns ignored as non-numeric.

    Returns
    -------
    features : list of str
        In table order.
    non_numeric : list of str
        Columns that would be features but hold text (reported, not used).
    """
    skip = set(id_columns) | {c for c in (label, group) if c}
    features: list[str] = []
    non_numeric: list[str] = []
    for col in table.columns:
        name = str(col)
        if name in skip or name.startswith(("diagnostics_", "provenance_")):
            continue
        if include and not _match(name, include):
            continue
        if exclude and _match(name, exclude):
            continue
        dtype = table[col].dtype
        if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
            features.append(name)
        else:
            non_numeric.append(name)
    return features, non_numeric


@dataclass(frozen=True)
class LabelCoding:
    """How the label column maps to 0/1, and the rule that chose the positive class."""

    column: str
    negative: Any
    positive: Any
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "negative": _plain(self.negative),
            "positive": _plain(self.positive),
            "rule": self.rule,
        }


def _plain(v: Any) -> Any:
    """A JSON-ready Python scalar from a NumPy/pandas scalar."""
    if isinstance(v, np.generic):
        return v.item()
    return v


def encode_labels(
    values: pd.Series, column: str, positive: Any = None
) -> tuple[np.ndarray, LabelCoding]:
    """Encode a two-valued label column as 0/1 (see the module notes for the rule).

    Parameters
    ----------
    values : Series without missing values
    column : str
        Column name (for messages).
    positive : scalar or None
        The positive class, compared as text.

    Returns
    -------
    y : ndarray of int8
    coding : LabelCoding
    """
    uniq = pd.unique(values)
    if len(uniq) != 2:
        shown = ", ".join(repr(_plain(u)) for u in uniq[:6])
        raise DataError(
            f"label column {column!r} must have exactly two values, it has {len(uniq)}: {shown}"
            + (" ..." if len(uniq) > 6 else "")
        )
    text = [str(_plain(u)) for u in uniq]
    if positive is not None:
        want = str(positive)
        matches = [i for i, t in enumerate(text) if t == want]
        if not matches:
            raise DataError(
                f"positive class {want!r} is not a value of label column {column!r} "
                f"(values: {', '.join(text)})"
            )
        pos_i, rule = matches[0], "given"
    elif set(text) in ({"0", "1"}, {"0.0", "1.0"}, {"False", "True"}):
        pos_i = next(i for i, t in enumerate(text) if t in ("1", "1.0", "True"))
        rule = "one"
    else:
        words = [t.strip().lower() in POSITIVE_WORDS for t in text]
        if sum(words) == 1:
            pos_i, rule = words.index(True), "positive word"
        else:
            counts = [int((values == u).sum()) for u in uniq]
            if counts[0] == counts[1]:
                raise DataError(
                    f"cannot tell the positive class of label column {column!r}: its values "
                    f"{text[0]!r} and {text[1]!r} are equally frequent; give it "
                    "(--positive VALUE, or data.positive in the study config)"
                )
            pos_i, rule = int(np.argmin(counts)), "minority"
    pos_value = uniq[pos_i]
    neg_value = uniq[1 - pos_i]
    y = (values.to_numpy() == pos_value).astype(np.int8)
    return y, LabelCoding(column, _plain(neg_value), _plain(pos_value), rule)


@dataclass(frozen=True)
class Dataset:
    """A feature table prepared for learning.

    Attributes
    ----------
    X : DataFrame
        Feature columns only, float64, infinite values replaced by NaN.
    y : ndarray of int8
        1 = positive class.
    coding : LabelCoding or dict
        :class:`LabelCoding` (two classes read by :func:`encode_labels`), or the coding of
        the ``encode`` that read the label (a study's task: a dict, two classes too).
    groups : ndarray or None
    ids : DataFrame
        ``case_id`` (and ``roi`` when present) of every row, for predictions.
    label_values : ndarray
        The original label of every row.
    non_numeric : list of str
        Candidate feature columns skipped because they hold text.
    n_dropped : int
        Rows dropped for a missing label.
    n_infinite : int
        Infinite values turned into missing values.
    """

    X: pd.DataFrame
    y: np.ndarray
    coding: Any  # LabelCoding for two classes; the task's coding dict otherwise
    groups: np.ndarray | None
    ids: pd.DataFrame
    label_values: np.ndarray
    non_numeric: list[str] = field(default_factory=list)
    n_dropped: int = 0
    n_infinite: int = 0

    @property
    def features(self) -> list[str]:
        return [str(c) for c in self.X.columns]


def features_frame(table: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """The given columns as float64 with infinities as NaN; also the count of infinities."""
    X = table.loc[:, list(columns)].astype(np.float64)
    arr = X.to_numpy()
    inf = np.isinf(arr)
    n_inf = int(inf.sum())
    if n_inf:
        arr = np.where(inf, np.nan, arr)
        X = pd.DataFrame(arr, columns=X.columns, index=X.index)
    return X.reset_index(drop=True), n_inf


def prepare(
    table: pd.DataFrame,
    label: str,
    *,
    positive: Any = None,
    group: str | None = None,
    id_columns: Sequence[str] = DEFAULT_ID_COLUMNS,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    encode: Callable[[pd.Series, str, Any], tuple[np.ndarray, Any]] | None = None,
) -> Dataset:
    """Pick features, label and groups from a feature table (see the module notes).

    ``encode(values, column, positive)`` reads the label for a task other than two classes
    (:meth:`radiomix.learn.tasks.Task.encode`); its coding then replaces the
    :class:`LabelCoding`.

    Raises
    ------
    DataError
        Missing label/group column, not two label values, no feature column, duplicated
        column names.
    """
    dup = table.columns[table.columns.duplicated()].tolist()
    if dup:
        raise DataError(f"the feature table has duplicated column names: {dup[:5]}")
    if label not in table.columns:
        raise DataError(
            f"label column {label!r} is not in the feature table "
            f"(columns include: {', '.join(map(str, table.columns[:8]))} ...)"
        )
    if group is not None and group not in table.columns:
        raise DataError(f"group column {group!r} is not in the feature table")
    keep = table[label].notna().to_numpy()
    n_dropped = int((~keep).sum())
    data = table.loc[keep].reset_index(drop=True)
    features, non_numeric = feature_columns(
        data, label=label, group=group, id_columns=id_columns, include=include, exclude=exclude
    )
    if not features:
        raise DataError(
            "no numeric feature column left in the table after removing id, diagnostics, "
            f"label and group columns and applying include={list(include)} "
            f"exclude={list(exclude)}"
        )
    y, coding = (encode or encode_labels)(data[label], label, positive)
    X, n_inf = features_frame(data, features)
    groups = None
    if group is not None:
        g = data[group]
        if g.isna().any():
            raise DataError(
                f"group column {group!r} has {int(g.isna().sum())} missing values; every case "
                "needs a group (use the case id for a case without relatives)"
            )
        groups = g.astype(str).to_numpy()
    id_cols = [c for c in ("case_id", "roi") if c in data.columns]
    ids = data[id_cols].copy() if id_cols else pd.DataFrame(index=data.index)
    if "case_id" not in ids.columns:
        ids.insert(0, "case_id", [f"row{i}" for i in range(len(data))])
    return Dataset(
        X=X,
        y=y,
        coding=coding,
        groups=groups,
        ids=ids.reset_index(drop=True),
        label_values=data[label].to_numpy(),
        non_numeric=non_numeric,
        n_dropped=n_dropped,
        n_infinite=n_inf,
    )
