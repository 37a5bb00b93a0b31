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
    "EXIT_SOME_FAILED",
    "VOLUME_SUFFIXES",
    "check_outputs",
    "check_table_out",
    "check_volume_out",
    "ensure_writable",
    "ensure_writable_dir",
    "errors_table_path",
    "parse_labels",
    "sibling",
]

#: exit status of a batch in which some cases failed (their errors are in a table beside)
EXIT_SOME_FAILED = 3

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


def check_outputs(out: str | Path, *, folders: dict[str, Path | None] | None = None) -> None:
    """:func:`check_table_out` of ``out``, and each named folder (``--cache-dir``,
    ``--out-dir``) checked to be one radiomix can make or write in."""
    check_table_out(out)
    for what, folder in (folders or {}).items():
        if folder is not None:
            ensure_writable_dir(folder, what)


def sibling(out: str | Path, suffix: str) -> Path:
    """``features.parquet`` -> ``features<suffix>`` in the same folder."""
    p = Path(out)
    return p.with_name(p.stem + suffix)


def errors_table_path(out: str | Path) -> Path:
    """``icc.csv`` -> ``icc.errors.csv``: the failed cases of a batch, beside its table."""
    return sibling(out, ".errors.csv")


def parse_labels(
    values: list[str] | None, allow_background: bool = False
) -> list[int | str] | str | None:
    """``--label`` values as the ``label`` argument of the extraction; label 0 is refused
    here, before anything is read, unless ``--allow-background`` says it is meant."""
    if not values:
        return None
    if [v.strip().lower() for v in values] in (["all"], ["union"]):
        return values[0].strip().lower()
    out: list[int | str] = []
    for v in values:
        for part in v.split(","):
            part = part.strip()
            if not part:
                continue
            try:
                out.append(int(part))
            except ValueError:
                out.append(part)  # an RTSTRUCT ROI name or a SEG segment label
    if 0 in out and not allow_background:
        raise ConfigError(
            "--label 0 is the background of a label map, not a region of interest: give the "
            "lesion's label, or add --allow-background if the background is meant"
        )
    return out
