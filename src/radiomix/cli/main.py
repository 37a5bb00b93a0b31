"""The ``radiomix`` command line: one console script with subcommands."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from radiomix import __version__
from radiomix.cli import (
    _config,
    _demo,
    _evaluate,
    _extract,
    _features,
    _filter,
    _ibsi,
    _predict,
    _report,
    _robustness,
    _segment,
    _study,
    _train,
)
from radiomix.errors import RadiomixError

__all__ = ["build_parser", "main"]

_COMMANDS = (
    _extract,
    _config,
    _features,
    _filter,
    _ibsi,
    _demo,
    _segment,
    _robustness,
    _train,
    _evaluate,
    _predict,
    _report,
    _study,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="radiomix",
        description="Radiomics: IBSI-compliant features, filters, segmentation and models.",
    )
    parser.add_argument("--version", action="version", version=f"radiomix {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for cmd in _COMMANDS:
        cmd.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="radiomix: %(levelname)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except RadiomixError as exc:
        print(f"radiomix: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # disk full, permissions changed mid-run: the system's words
        where = f": {exc.filename}" if exc.filename else ""
        print(f"radiomix: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("radiomix: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
