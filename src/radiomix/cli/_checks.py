"""Up-front checks of a command's outputs, run before any input is read or anything computed.

An output that cannot be written (a parent that is a file, a read-only folder, a name
radiomix does not write) is one line and exit status 2 at once, not a traceback after the
work (see :mod:`radiomix._outputs`).
"""

from __future__ import annotations

from pathlib import Path

from radiomix._outputs import check_table_path, ensure_writable, ensure_writable_dir
from radiomix.errors import ConfigError

__all__ = [
    "VOLUME_SUFFIXES",
    "check_table_out",
    "check_volume_out",
    "ensure_writable",
    "ensure_writable_dir",
    "errors_table_path",
]

#: file name endings of the volumes radiomix writes (``radiomix.io.write_volume``)
VOLUME_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd")


def check_volume_out(path: str | Path, what: str = "--out", also: tuple[str, ...] = ()) -> str:
    """The suffix of volume output ``path`` (one of :data:`VOLUME_SUFFIXES` or ``also``),
    checked to be writable; :class:`ConfigError` for another name, OutputError when it
    cannot be written."""
    low = str(path).lower()
    suffix = next((s for s in (*VOLUME_SUFFIXES, *also) if low.endswith(s)), None)
    if suffix is None:
        raise ConfigError(f"{what} {str(path)!r}: use one of {', '.join(VOLUME_SUFFIXES + also)}")
    ensure_writable(path, what)
    return suffix


def check_table_out(path: str | Path, what: str = "--out") -> str | None:
    """The format of table output ``path`` (None for ``-``, standard output), checked to be
    a name radiomix writes (.csv, .parquet, .json) in a place it can write."""
    if str(path) == "-":
        return None
    fmt = check_table_path(path, what)
    ensure_writable(path, what)
    return fmt


def errors_table_path(out: str | Path) -> Path:
    """``icc.csv`` -> ``icc.errors.csv``: the failed cases of a batch, beside its table."""
    p = Path(out)
    return p.with_name(p.stem + ".errors.csv")
