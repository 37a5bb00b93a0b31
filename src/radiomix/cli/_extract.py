"""``radiomix extract IMAGE MASK``: features of one case into a CSV table."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

from radiomix.extraction.api import extract


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "extract",
        help="extract features of an image and its mask",
        description="Extract IBSI features of IMAGE inside MASK and write a CSV table.",
    )
    p.add_argument("image", help="image file or DICOM series folder")
    p.add_argument("mask", help="mask file (binary or label map) on the image grid")
    p.add_argument("--config", help="preset name or YAML file (default: the 'default' preset)")
    p.add_argument(
        "--label",
        action="append",
        help="ROI label value; repeat (or give 1,2) for one row per label; 'all' for every label",
    )
    p.add_argument("--out", required=True, help="output CSV file ('-' for standard output)")
    p.add_argument("--format", choices=("wide", "long"), default="wide", help="table layout")
    p.add_argument("--case-id", help="case identifier (default: the image file name)")
    p.set_defaults(func=run)


def _parse_labels(values: list[str] | None) -> list[int] | str | None:
    if not values:
        return None
    if values == ["all"]:
        return "all"
    out = []
    for v in values:
        for part in v.split(","):
            part = part.strip()
            if not part:
                continue
            try:
                out.append(int(part))
            except ValueError:
                from radiomix.errors import ConfigError

                raise ConfigError(f"--label takes integers or 'all', got {part!r}") from None
    return out


def write_table_atomic(table: pd.DataFrame, out: str) -> None:
    """Write a CSV so that the file is either complete or absent (temp file + rename)."""
    if out == "-":
        table.to_csv(sys.stdout, index=False)
        return
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            table.to_csv(fh, index=False, float_format="%.10g")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace) -> int:
    table = extract(
        args.image,
        args.mask,
        config=args.config,
        label=_parse_labels(args.label),
        case_id=args.case_id,
        format=args.format,
    )
    write_table_atomic(table, args.out)
    return 0
