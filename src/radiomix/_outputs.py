"""Writing outputs: one atomic writer, the table formats, and the up-front writability check.

Every file radiomix writes goes through :func:`atomic_write`: the content is written to a
temporary file beside the target and renamed into place, so a reader (or a rerun after a
crash) sees the whole file or none, and the file gets the permissions a plain ``open``
would give under the process umask (``tempfile.mkstemp`` alone gives 0600).

Tables are written by :func:`write_table`, in the format the file name says (CSV,
Parquet or JSON) and with every float as it reads back (shortest round-trip text in CSV
and JSON, binary in Parquet): a table never holds a rounded value. A name radiomix does not
write is refused before any work starts (:func:`check_table_path`), as is an output that
cannot be written (:func:`ensure_writable`): the user learns it in one line, not after
the computation.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radiomix.errors import ConfigError, OutputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "TABLE_FORMATS",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_table_path",
    "ensure_writable",
    "ensure_writable_dir",
    "file_mode",
    "jsonable",
    "table_format",
    "write_table",
]

#: file name endings of the tables radiomix writes, and their format
TABLE_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".json": "json"}


def file_mode() -> int:
    """Permissions of a new regular file under the current umask (0644 under 022)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: str | Path, write: Callable[[str], Any]) -> None:
    """Write ``path`` so that it is either complete or absent.

    ``write(tmp)`` writes the content to the temporary file name ``tmp`` (in the same
    folder, so the final rename is atomic; hidden, and ending in ``path``'s own name, so
    writers that choose the format by extension work); the file then gets :func:`file_mode` and
    replaces ``path``. On any error the temporary file is removed and ``path`` is left
    as it was. Missing parent folders are created.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=f"-{target.name}", dir=target.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, file_mode())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """:func:`atomic_write` of UTF-8 text (written as given: no newline translation)."""

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)

    atomic_write(path, write)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """:func:`atomic_write` of bytes."""
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def table_format(path: str | Path) -> str | None:
    """``"csv"``, ``"parquet"`` or ``"json"`` for a table file name, None for another name."""
    return TABLE_FORMATS.get(Path(path).suffix.lower())


def check_table_path(path: str | Path, what: str = "--out") -> str:
    """The format of table output ``path``; :class:`ConfigError` for a name radiomix does
    not write (e.g. ``x.xlsx``, or no extension)."""
    fmt = table_format(path)
    if fmt is None:
        suffix = Path(path).suffix or "(no extension)"
        raise ConfigError(
            f"{what} {path}: radiomix writes tables as .csv, .parquet (.pq) or .json, "
            f"not {suffix}; choose one of these extensions"
        )
    return fmt


def _first_existing(path: Path) -> Path:
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _probe_dir(folder: Path, what: str, target: Path) -> None:
    """Raise :class:`OutputError` unless a file can be created in existing ``folder``."""
    if not folder.is_dir():
        raise OutputError(
            f"{what} {target}: cannot be written, {folder} is a file, not a folder; "
            "choose another path"
        )
    try:
        fd, probe = tempfile.mkstemp(prefix=".radiomix-probe-", dir=folder)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise OutputError(
            f"{what} {target}: cannot write in {folder} ({reason}); choose a folder you "
            "can write to"
        ) from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def ensure_writable(path: str | Path, what: str = "--out") -> None:
    """Check, before any work, that file ``path`` can be written (created or replaced).

    Nothing is created: a missing parent folder passes when its nearest existing ancestor
    is a folder radiomix can write in (the folders are made when the file is written).

    Raises
    ------
    OutputError
        ``path`` is a folder, a parent is a file, or the folder is not writable (missing
        permission, read-only file system).
    """
    target = Path(path).expanduser()
    if target.is_dir():
        raise OutputError(f"{what} {target} is a folder; give a file name")
    _probe_dir(_first_existing(target.parent), what, target)


def ensure_writable_dir(path: str | Path, what: str = "--out") -> None:
    """Check, before any work, that folder ``path`` can be written in (or created).

    Raises
    ------
    OutputError
        ``path`` (or a parent) is a file, or the folder is not writable.
    """
    target = Path(path).expanduser()
    _probe_dir(_first_existing(target), what, target)


def _json_value(v: Any) -> Any:
    """A cell as JSON: NaN and missing values as null, NumPy scalars as Python numbers."""
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        v = v.item()  # NumPy scalar -> Python scalar (floats keep every bit)
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else v  # +-inf stays (JSON: Infinity), NaN is null
    if not isinstance(v, bool | int | float | str):
        import pandas as pd

        return None if pd.isna(v) else str(v)
    return v


def _write_json(table: pd.DataFrame, tmp: str) -> None:
    columns = [str(c) for c in table.columns]
    records = [
        {c: _json_value(v) for c, v in zip(columns, row, strict=True)}
        for row in table.itertuples(index=False, name=None)
    ]
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(records, fh, indent=1, allow_nan=True)
        fh.write("\n")


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """Write ``table`` atomically in the format its name says, every value exact.

    ``.csv``: floats as the shortest text that reads back to the same double;
    ``.parquet``/``.pq``: Parquet; ``.json``: a list of row objects (NaN as null, floats
    exact); ``-``: CSV on standard output. Another name raises :class:`ConfigError`.
    """
    if str(path) == "-":
        table.to_csv(sys.stdout, index=False)
        return
    fmt = check_table_path(path)
    if fmt == "parquet":
        atomic_write(path, lambda tmp: table.to_parquet(tmp, index=False))
    elif fmt == "json":
        atomic_write(path, lambda tmp: _write_json(table, tmp))
    else:
        atomic_write(path, lambda tmp: table.to_csv(tmp, index=False, lineterminator="\n"))


def jsonable(v: Any) -> Any:
    """``v`` as JSON can hold it: dicts (keys as text), lists (tuples and NumPy arrays too),
    numbers (NumPy scalars as Python's; NaN and infinities as None), text, booleans, None;
    anything else by its ``repr``."""
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    if hasattr(v, "tolist") and type(v).__module__ == "numpy":  # arrays and NumPy scalars
        v = v.tolist()
        if isinstance(v, list):
            return [jsonable(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, str | int | float | bool) or v is None:
        return v
    return repr(v)
