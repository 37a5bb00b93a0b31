"""The ``radiomix`` command line: one console script with subcommands."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from radiomix import __version__
from radiomix.errors import RadiomixError

__all__ = ["build_parser", "error_line", "main"]

#: each command and the module of radiomix.cli that defines it (its ``add_parser``), in
#: the order ``radiomix --help`` lists them; a command's module is imported only when that
#: command runs (or for the full help), so ``radiomix pyradiomics`` does not load the
#: learning, segmentation or registration code
_COMMANDS: dict[str, str] = {
    "extract": "_extract",
    "pyradiomics": "_pyradiomics",
    "config": "_config",
    "features": "_features",
    "filter": "_filter",
    "ibsi-check": "_ibsi",
    "demo": "_demo",
    "segment": "_segment",
    "robustness": "_robustness",
    "train": "_train",
    "evaluate": "_evaluate",
    "predict": "_predict",
    "report": "_report",
    "study": "_study",
    "register": "_register",
    "propagate": "_register",
    "resample": "_register",
    "delta": "_delta",
    "audit": "_audit",
    "runs": "_runs",
    "app": "_app",
}


#: commands whose run directory gets a run.json (radiomix.learn.runs)
_RECORDED = ("train", "evaluate", "study")

#: commands that extract: their parallelism is over ROIs, image types and cases (the
#: extraction threads, ``-j`` workers), and the few matrix products of a feature are small,
#: so BLAS runs one thread in them unless the user says otherwise (OpenBLAS' own threads
#: oversubscribe the cores: the CT case's 8 cm lesion took 15 % longer as a process)
_ONE_BLAS_THREAD = ("extract", "pyradiomics", "filter", "ibsi-check", "robustness")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser: every command, or only ``command``'s (what
    :func:`main` parses with once it knows the command)."""
    parser = argparse.ArgumentParser(
        prog="radiomix",
        description="Radiomics: IBSI-compliant features, filters, segmentation and models.",
    )
    parser.add_argument("--version", action="version", version=f"radiomix {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = [_COMMANDS[command]] if command in _COMMANDS else dict.fromkeys(_COMMANDS.values())
    for name in modules:
        importlib.import_module(f"radiomix.cli.{name}").add_parser(sub)
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """The command named on the command line: the first word that is not one of the
    top-level options (none of which takes a value)."""
    for word in argv:
        if not word.startswith("-"):
            return word
        if word in ("-h", "--help", "--version"):
            return None
    return None


def _yaml_problem(err: BaseException) -> str | None:
    """A YAML parser error in one line (``problem (line L, column C)``), None for another error.

    PyYAML's own message spans several lines (the context, the offending line, a caret).
    """
    if not type(err).__module__.startswith("yaml"):
        return None
    parts = [p for p in (getattr(err, "context", None), getattr(err, "problem", None)) if p]
    if not parts:
        return None
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return ": ".join(parts) + where


def error_line(exc: BaseException) -> str:
    """The message of ``exc`` as one line: ``radiomix: error: ...`` never spans lines.

    A YAML syntax error quoted in the message is shortened to its problem and position;
    any other line break becomes a space.
    """
    msg = str(exc)
    seen: set[int] = set()
    cause = exc.__cause__ or exc.__context__
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        short = _yaml_problem(cause)
        if short is not None and str(cause) in msg:
            msg = msg.replace(str(cause), short)
        cause = cause.__cause__ or cause.__context__
    return " ".join(line.strip() for line in msg.splitlines() if line.strip())


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command = _command(words)
    if command in _ONE_BLAS_THREAD and "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    parser = build_parser(command)
    args = parser.parse_args(words)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="radiomix: %(levelname)s: %(message)s",
    )
    started = datetime.now(UTC)
    try:
        code = int(args.func(args) or 0)
        if code == 0 and args.command in _RECORDED:
            from radiomix.learn.runs import record_cli_run

            argv_list = list(sys.argv[1:] if argv is None else argv)
            record = record_cli_run(args, argv_list, started)  # run.json in the run directory
            if record is not None and getattr(args, "mlflow", None):
                from radiomix.learn.runs import log_mlflow, run_dir_of

                run_dir = run_dir_of(args.command, args)
                assert run_dir is not None
                logged = log_mlflow(run_dir, args.mlflow)
                print(f"radiomix: MLflow run {logged['run_id']} in {args.mlflow}", file=sys.stderr)
        return code
    except RadiomixError as exc:
        print(f"radiomix: error: {error_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # disk full, permissions changed mid-run: the system's words
        where = f": {exc.filename}" if exc.filename else ""
        what = exc.strerror or error_line(exc)
        print(f"radiomix: error: {what}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("radiomix: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
