"""``radiomix pyradiomics``: PyRadiomics 3.0.1's command line on radiomix's engine.

The arguments, defaults, output layouts (txt, csv, json; ``-o`` appends, ``-od`` keeps each
case's row or holds the voxel maps) and exit statuses are those of PyRadiomics 3.0.1's
``pyradiomics`` command, so that a script calling ``pyradiomics ARGS`` runs unchanged as
``radiomix pyradiomics ARGS``; a failed case is logged and keeps only its input columns.
The values are the ``pyradiomics`` profile's, written as their shortest repr. Details and
the differences that remain: docs/pyradiomics-profile.md, "radiomix pyradiomics".
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import math
import os
import sys
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from radiomix import __version__

__all__ = ["add_parser", "run"]

#: the logger of the command's own events (PyRadiomics: ``radiomics.script``)
_LOG = logging.getLogger("radiomix.pyradiomics")

#: PyRadiomics' log line format (with the worker name when ``--jobs`` > 1)
_FMT = "[%(asctime)s] %(levelname)-.1s: %(name)s: %(message)s"
_FMT_JOBS = "[%(asctime)s] %(levelname)-.1s: (%(threadName)s) %(name)s: %(message)s"
_DATEFMT = "%Y-%m-%d %H:%M:%S"

#: exit statuses, as PyRadiomics 3.0.1's command returns them
EXIT_NO_INPUT = 1  # neither a batch with Image and Mask nor an image with a mask
EXIT_ERROR = 3  # the extraction could not start
EXIT_SETUP = 4  # the command could not be set up (the log file)
EXIT_INTERRUPTED = 255  # PyRadiomics returns -1

#: the ``setting`` entries ``-s NAME:VALUE`` accepts, with the type of the value (of each
#: comma-separated element for a list): PyRadiomics 3.0.1's parameter schema
_SETTING_TYPES: dict[str, tuple[str, bool]] = {
    "minimumROIDimensions": ("int", False),
    "minimumROISize": ("int", False),
    "geometryTolerance": ("float", False),
    "correctMask": ("bool", False),
    "additionalInfo": ("bool", False),
    "label": ("int", False),
    "label_channel": ("int", False),
    "binWidth": ("float", False),
    "binCount": ("int", False),
    "normalize": ("bool", False),
    "normalizeScale": ("float", False),
    "removeOutliers": ("float", False),
    "resampledPixelSpacing": ("float", True),
    "interpolator": ("str", False),
    "padDistance": ("int", False),
    "distances": ("int", True),
    "force2D": ("bool", False),
    "force2Ddimension": ("int", False),
    "resegmentRange": ("float", True),
    "resegmentMode": ("str", False),
    "resegmentShape": ("bool", False),
    "preCrop": ("bool", False),
    "sigma": ("float", True),
    "start_level": ("int", False),
    "level": ("int", False),
    "wavelet": ("str", False),
    "gradientUseSpacing": ("bool", False),
    "lbp2DRadius": ("float", False),
    "lbp2DSamples": ("int", False),
    "lbp2DMethod": ("str", False),
    "lbp3DLevels": ("int", False),
    "lbp3DIcosphereRadius": ("float", False),
    "lbp3DIcosphereSubdivision": ("int", False),
    "voxelArrayShift": ("int", False),
    "symmetricalGLCM": ("bool", False),
    "weightingNorm": ("str", False),
    "gldm_a": ("int", False),
}


class _Stop(Exception):
    """Ends the command with one error line and an exit status."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "pyradiomics",
        help="PyRadiomics 3.0.1's command line (pyradiomics IMAGE MASK / BATCH.csv) and outputs",
        usage="%(prog)s image|batch [mask] [Options]",
        formatter_class=argparse.RawTextHelpFormatter,
        description=(
            "Runs PyRadiomics' command line on radiomix's engine: the same arguments,\n"
            "defaults and output layouts as `pyradiomics` of PyRadiomics 3.0.1, values\n"
            "equal to PyRadiomics' within 1e-6. Exit status 0 (failed cases are logged),\n"
            "1 no usable input, 2 bad arguments, 3 the extraction could not start."
        ),
    )
    inp = p.add_argument_group(
        title="Input",
        description="The cases (an image and its mask, or a batch CSV), the parameter file,\n"
        "settings overriding it, and the workers of a batch.",
    )
    inp.add_argument(
        "input",
        metavar="{Image,Batch}FILE",
        help="an image (with MaskFILE), or a CSV (*.csv) with Image and Mask columns\n"
        "(Label, Label_channel optional; all columns are carried to the output)",
    )
    inp.add_argument(
        "mask", nargs="?", metavar="MaskFILE", default=None, help="the mask (single image only)"
    )
    inp.add_argument(
        "--param", "-p", metavar="FILE", default=None, help="PyRadiomics parameter file (YAML/JSON)"
    )
    inp.add_argument(
        "--setting",
        "-s",
        metavar='"SETTING_NAME:VALUE"',
        action="append",
        default=[],
        type=str,
        help="a `setting` entry overriding the parameter file's (repeatable);\n"
        "lists as comma-separated values, e.g. -s binWidth:10 -s distances:1,2",
    )
    inp.add_argument(
        "--jobs",
        "-j",
        metavar="N",
        type=int,
        default=1,
        choices=range(1, (os.cpu_count() or 1) + 1),
        help="worker processes of a batch, one case each (at most one per core)",
    )
    inp.add_argument(
        "--validate",
        action="store_true",
        help="check the parameter file and that every image and mask exists; extract nothing",
    )
    out = p.add_argument_group(title="Output", description="Where and how the results go.")
    out.add_argument(
        "--out",
        "-o",
        metavar="FILE",
        default=None,
        help="file to append the output to (default: standard output)",
    )
    out.add_argument(
        "--out-dir",
        "-od",
        type=str,
        default=None,
        help="segment mode: keep each case's row as features_<N>.csv (reused on a rerun);\n"
        "voxel mode: the folder of the feature maps (default: the current folder)",
    )
    out.add_argument(
        "--mode", "-m", choices=["segment", "voxel"], default="segment", help="extraction mode"
    )
    out.add_argument(
        "--skip-nans",
        action="store_true",
        help="leave out NaN values (as PyRadiomics 3.0.1: NaN diagnostics; feature\n"
        "values are kept, see docs/pyradiomics-profile.md)",
    )
    out.add_argument(
        "--format",
        "-f",
        choices=["csv", "json", "txt"],
        default="txt",
        help='"txt" (default): "Case-N_name: value" lines; "json": a list of one object\n'
        'per case; "csv": a header and one row per case',
    )
    out.add_argument(
        "--format-path",
        choices=["absolute", "relative", "basename"],
        default="absolute",
        help="how the Image and Mask paths are written (relative: to the current folder,\n"
        "or to the batch CSV's folder)",
    )
    out.add_argument(
        "--unix-path",
        "-up",
        action="store_true",
        help='write the paths with "/" separators',
    )
    logs = p.add_argument_group(
        title="Logging", description="Messages on stderr and in a log file."
    )
    logs.add_argument(
        "--logging-level",
        metavar="LEVEL",
        choices=["NOTSET", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
        default="WARNING",
        help="level of the log file's messages",
    )
    logs.add_argument("--log-file", metavar="FILE", default=None, help="file to append the log to")
    logs.add_argument(
        "--verbosity",
        "-v",
        action="store",
        nargs="?",
        default=3,
        const=4,
        type=int,
        choices=[1, 2, 3, 4, 5],
        help="stderr messages: 3 (default) WARNING and up, 4 (-v alone) INFO, 5 DEBUG",
    )
    p.add_argument(
        "--label",
        "-l",
        metavar="N",
        default=None,
        type=int,
        help="(deprecated, as in PyRadiomics) the mask label; use -s label:N",
    )
    p.add_argument(
        "--version",
        action="version",
        help="print the version and exit",
        version=f"%(prog)s {__version__}",
    )
    p.set_defaults(func=run)


# -- logging ---------------------------------------------------------------------------


def _configure_logging(args: argparse.Namespace) -> Callable[[], None]:
    """PyRadiomics' logging: stderr at ``(6 - verbosity) * 10``, the log file (appended) at
    ``--logging-level``; gives the function that undoes it."""
    from radiomix import compat

    console_level = (6 - args.verbosity) * 10
    file_level = getattr(logging, args.logging_level)
    fmt = logging.Formatter(_FMT_JOBS if args.jobs > 1 else _FMT, datefmt=_DATEFMT)
    root = logging.getLogger("radiomix")
    handlers: list[logging.Handler] = []
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(console_level)
    console.setFormatter(fmt)
    handlers.append(console)
    if args.log_file is not None:
        logfile = logging.FileHandler(args.log_file, mode="a")
        logfile.setLevel(file_level)
        logfile.setFormatter(fmt)
        handlers.append(logfile)
    saved = (root.level, root.propagate, compat.logger.level)
    compat.logger.removeHandler(compat.handler)  # the drop-in's bare stderr lines
    compat.logger.setLevel(logging.NOTSET)
    root.setLevel(min(console_level, file_level))
    root.propagate = False
    for h in handlers:
        root.addHandler(h)

    def undo() -> None:
        for h in handlers:
            root.removeHandler(h)
            h.close()
        root.setLevel(saved[0])
        root.propagate = saved[1]
        compat.logger.setLevel(saved[2])
        compat.logger.addHandler(compat.handler)

    return undo


# -- input -----------------------------------------------------------------------------


def _read_input(args: argparse.Namespace) -> tuple[list[tuple[int, dict[str, Any]]], str]:
    """The cases ``(N, row)`` and the folder relative paths start from."""
    if args.input.endswith(".csv"):
        start = os.path.dirname(args.input)
        try:
            with open(args.input, newline="") as fh:
                reader = csv.DictReader(fh, lineterminator="\n")
                fields = reader.fieldnames or []
                for col in ("Image", "Mask"):
                    if col not in fields:
                        raise _Stop(
                            f'required column "{col}" not present in {args.input}, unable '
                            "to extract features",
                            EXIT_NO_INPUT,
                        )
                cases: list[dict[str, Any]] = []
                for line, row in enumerate(reader, start=2):
                    if row["Image"] is None or row["Mask"] is None:
                        _LOG.warning(
                            "Batch L%d: Missing required Image or Mask, skipping this case...",
                            line,
                        )
                        continue
                    for col in ("Image", "Mask"):
                        if not os.path.isabs(row[col]):
                            row[col] = os.path.abspath(os.path.join(start, row[col]))
                    cases.append(dict(row))
        except OSError as exc:
            raise _Stop(f"cannot read {args.input}: {exc.strerror or exc}", EXIT_ERROR) from None
        except csv.Error as exc:
            raise _Stop(f"cannot read {args.input}: {exc}", EXIT_ERROR) from None
        return list(enumerate(cases, start=1)), start
    if args.mask is None:
        raise _Stop(
            "input is not recognized as a batch (*.csv) and no mask is given: give IMAGE MASK "
            "or a batch CSV",
            EXIT_NO_INPUT,
        )
    return [(1, {"Image": args.input, "Mask": args.mask})], os.getcwd()


def _parse_value(value: str, kind: str) -> Any:
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        return value == "1" or value.lower() == "true"
    return value


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The ``-s NAME:VALUE`` settings (and ``-l``), typed as PyRadiomics' schema says;
    a malformed or unknown one is skipped with a warning, as PyRadiomics does."""
    out: dict[str, Any] = {}
    for setting in args.setting:
        if ":" not in setting:
            _LOG.warning('Incorrect format for override setting "%s", missing ":"', setting)
            continue
        key, value = setting.split(":", 1)
        if key not in _SETTING_TYPES:
            _LOG.warning('Did not recognize override "%s", skipping...', key)
            continue
        kind, is_list = _SETTING_TYPES[key]
        try:
            out[key] = (
                [_parse_value(v, kind) for v in value.split(",")]
                if is_list
                else _parse_value(value, kind)
            )
        except ValueError:
            _LOG.warning('Could not parse value "%s" for setting "%s", skipping...', value, key)
    if args.label is not None:
        _LOG.warning(
            'Argument "label" is deprecated. To specify a custom label, use argument "setting" '
            'as follows: "--setting=label:N", where N is the a label value.'
        )
        out["label"] = args.label
    return out


def _extractor(param: str | None, overrides: dict[str, Any]) -> Any:
    from radiomix.compat.featureextractor import RadiomicsFeatureExtractor

    if param is None:
        return RadiomicsFeatureExtractor(**overrides)
    return RadiomicsFeatureExtractor(param, **overrides)


# -- one case (runs in a worker process with --jobs > 1) --------------------------------


@dataclass(frozen=True)
class _Task:
    index: int
    case: dict[str, Any]
    extractor: Any
    mode: str
    out_dir: str | None
    unix_path: bool


@dataclass
class _Outcome:
    index: int
    vector: dict[str, Any]
    error: str | None = None
    detail: str = ""
    from_file: bool = False  # read back from --out-dir's features_<N>.csv: all text


def _int_or_none(value: Any) -> int | None:
    if value is None:
        return None
    return int(value)


def _case_csv(vector: dict[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(vector), lineterminator="\n")
    writer.writeheader()
    writer.writerow({k: _csv_text(v) for k, v in vector.items()})
    return buf.getvalue()


def _segment(task: _Task) -> _Outcome:
    vector: dict[str, Any] = OrderedDict(task.case)
    target = None
    if task.out_dir is not None:
        target = os.path.join(task.out_dir, f"features_{task.index}.csv")
        if os.path.isfile(target):  # done before (failed or not): read back, as PyRadiomics
            try:
                with open(target, newline="") as fh:
                    rows = list(csv.reader(fh))
                kept = OrderedDict(zip(rows[0], rows[1], strict=True))
            except (OSError, csv.Error, IndexError, ValueError) as exc:
                return _Outcome(task.index, vector, f"cannot read {target}: {exc}")
            _LOG.info("Patient %s already processed, reading results...", task.index)
            return _Outcome(task.index, kept, from_file=True)
    outcome = _Outcome(task.index, vector)
    try:
        label = _int_or_none(task.case.get("Label"))
        channel = _int_or_none(task.case.get("Label_channel"))
        vector.update(task.extractor.execute(task.case["Image"], task.case["Mask"], label, channel))
    except Exception as exc:  # noqa: BLE001 - logged, the case keeps its input columns
        outcome = _Outcome(
            task.index, vector, f"{type(exc).__name__}: {exc}", traceback.format_exc()
        )
    if target is not None:  # a failed case too: PyRadiomics does not retry it on a rerun
        from radiomix._outputs import atomic_write_text

        atomic_write_text(target, _case_csv(vector))
    return outcome


def _voxel(task: _Task) -> _Outcome:
    vector: dict[str, Any] = OrderedDict(task.case)
    try:
        import SimpleITK as sitk

        out_dir = "." if task.out_dir is None else task.out_dir
        os.makedirs(out_dir, exist_ok=True)
        label = _int_or_none(task.case.get("Label"))
        # PyRadiomics 3.0.1's voxel mode reads the channel from the Label column
        channel = label if task.case.get("Label_channel") is not None else None
        result = task.extractor.execute(
            task.case["Image"], task.case["Mask"], label, channel, voxelBased=True
        )
        for key, value in result.items():
            if isinstance(value, sitk.Image):
                target = os.path.join(out_dir, f"Case-{task.index}_{key}.nrrd")
                sitk.WriteImage(value, target, True)
                if task.unix_path and os.path.sep != "/":
                    target = target.replace(os.path.sep, "/")
                vector[key] = target
            else:
                vector[key] = value
    except Exception as exc:  # noqa: BLE001 - logged, the case keeps its input columns
        return _Outcome(task.index, vector, f"{type(exc).__name__}: {exc}", traceback.format_exc())
    return _Outcome(task.index, vector)


def _run_case(task: _Task) -> _Outcome:
    return _voxel(task) if task.mode == "voxel" else _segment(task)


def _lost(task: _Task, exc: BaseException) -> _Outcome:
    return _Outcome(task.index, OrderedDict(task.case), f"{type(exc).__name__}: {exc}")


# -- output ----------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A value as PyRadiomics' txt and csv write it: a float as its shortest repr."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return str(value)
    try:
        import numpy as np

        if isinstance(value, np.generic | np.ndarray) and np.ndim(value) == 0:
            value = value.item()
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _csv_text(value: Any) -> str | None:
    """A value as PyRadiomics' csv writes it: as in txt, but None (a batch row shorter than
    its header) as an empty field."""
    return None if value is None else _text(value)


def _json_value(key: str, value: Any, raw: bool) -> Any:
    """A value as PyRadiomics' JSON holds it: radiomix keeps tuple and dict diagnostics as
    their text, PyRadiomics as the objects (lists and objects in JSON)."""
    if raw or not key.startswith("diagnostics_") or not isinstance(value, str):
        return value
    if value[:1] in ("(", "{", "["):
        import ast

        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
    return value


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _render(args: argparse.Namespace, outcomes: list[_Outcome], start: str) -> str:
    """The whole output text of the run."""
    import json

    vectors = [o.vector for o in outcomes]
    first = set(vectors[0])
    extra: set[str] = set()
    for v in vectors[1:]:
        extra.update(v)
        extra -= first
    headers = list(vectors[0]) + sorted(extra)
    formatter: Callable[[str], str]
    if args.format_path == "relative":
        formatter = lambda p: os.path.relpath(p, start=start)  # noqa: E731
    elif args.format_path == "basename":
        formatter = os.path.basename
    else:
        formatter = os.path.abspath
    buf = io.StringIO()
    for n, case in enumerate(vectors, start=1):
        if args.skip_nans:
            # PyRadiomics 3.0.1 drops NaN floats only: its feature values are 0-d arrays,
            # kept; radiomix's floats that stand for those are kept too
            for key in list(case):
                value = case[key]
                if (
                    key.startswith("diagnostics_")
                    and isinstance(value, float)
                    and math.isnan(value)
                ):
                    _LOG.debug("Case %d, feature %s computed NaN, removing from results", n, key)
                    del case[key]
        for col in ("Image", "Mask"):
            case[col] = formatter(case[col])
            if args.unix_path and os.path.sep != "/":
                case[col] = case[col].replace(os.path.sep, "/")
        if args.format == "csv":
            writer = csv.DictWriter(buf, headers, lineterminator="\n", extrasaction="ignore")
            if n == 1:
                writer.writeheader()
            writer.writerow({k: _csv_text(v) for k, v in case.items()})
        elif args.format == "txt":
            for key, value in case.items():
                buf.write(f"Case-{n}_{key}: {_text(value)}\n")
    if args.format == "json":
        doc = [
            {k: _json_value(k, v, o.from_file) for k, v in c.items()}
            for o, c in zip(outcomes, vectors, strict=True)
        ]
        json.dump(doc, buf, default=_json_default, indent=2)
    return buf.getvalue()


def _check_out(path: str | None) -> None:
    """``--out`` opened for appending, as PyRadiomics opens it before anything else (here
    without creating it: nothing is written when the run fails)."""
    if path is None or path == "-":
        return
    if os.path.isdir(path):
        raise _Stop(f"can't open '{path}': it is a folder", 2)
    parent = os.path.dirname(path) or "."
    if os.path.exists(path):
        if not os.access(path, os.W_OK):
            raise _Stop(f"can't open '{path}': permission denied", 2)
    elif not os.path.isdir(parent):
        raise _Stop(f"can't open '{path}': no such folder {parent}", 2)
    elif not os.access(parent, os.W_OK):
        raise _Stop(f"can't open '{path}': permission denied", 2)


def _check_out_dir(path: str | None) -> None:
    if path is None:
        return
    from radiomix._outputs import ensure_writable_dir
    from radiomix.errors import RadiomixError

    try:
        ensure_writable_dir(path, "--out-dir")
    except RadiomixError as exc:
        raise _Stop(str(exc), 2) from None


# -- the command -----------------------------------------------------------------------


def _validate(args: argparse.Namespace, cases: list[tuple[int, dict[str, Any]]]) -> None:
    _LOG.info("Validating input for %i cases", len(cases))
    if args.param is not None:
        if not os.path.isfile(args.param):
            _LOG.error("Path for specified parameter file does not exist!")
        else:
            try:
                _extractor(args.param, {})
            except Exception as exc:  # noqa: BLE001 - reported, validation goes on
                _LOG.error("Parameter validation failed! %s", exc)
    errored = 0
    for index, case in cases:
        bad = False
        for col in ("Image", "Mask"):
            if not os.path.isfile(case[col]):
                bad = True
                _LOG.error("%s path for case (%i/%i) does not exist!", col, index, len(cases))
        errored += bad
    _LOG.info("Validation complete, errors found in %i case(s)", errored)


def _extract(
    args: argparse.Namespace, cases: list[tuple[int, dict[str, Any]]], extractor: Any
) -> list[_Outcome]:
    from radiomix.extraction.executors import InProcessExecutor, LocalProcessExecutor

    workers = min(len(cases), args.jobs)
    executor: Any
    if workers > 1:
        _LOG.info(
            "Input valid, starting parallel extraction from %d cases with %d workers...",
            len(cases),
            workers,
        )
        executor = LocalProcessExecutor(workers)
    else:
        _LOG.info("Input valid, starting sequential extraction from %d case(s)...", len(cases))
        executor = InProcessExecutor()
    tasks = [
        _Task(index, case, extractor, args.mode, args.out_dir, args.unix_path)
        for index, case in cases
    ]
    outcomes: dict[int, _Outcome] = {}
    for outcome in executor.map_unordered(_run_case, tasks, _lost):
        outcomes[outcome.index] = outcome
        if outcome.error is not None:
            _LOG.error("Case %d: feature extraction failed! %s", outcome.index, outcome.error)
            if outcome.detail:
                _LOG.debug("%s", outcome.detail.rstrip())
        else:
            _LOG.info("Case %d processed", outcome.index)
    return [outcomes[index] for index, _ in cases]


def _write(path: str | None, text: str) -> None:
    if path is None or path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    with open(path, "a") as fh:
        fh.write(text)


def _main(args: argparse.Namespace) -> int:
    from radiomix.errors import RadiomixError

    _LOG.info("Starting radiomix pyradiomics (radiomix %s)", __version__)
    _check_out(args.out)
    cases, start = _read_input(args)
    if args.validate:
        _validate(args, cases)
        return 0
    overrides = _overrides(args)
    try:
        extractor = _extractor(args.param, overrides)
    except (RadiomixError, OSError, ValueError, TypeError) as exc:
        raise _Stop(str(exc), EXIT_ERROR) from None
    if not cases:
        raise _Stop(f"no cases to process in {args.input}", EXIT_ERROR)
    _check_out_dir(args.out_dir)
    if args.out_dir is not None:
        os.makedirs(args.out_dir, exist_ok=True)
    outcomes = _extract(args, cases, extractor)
    _LOG.info("Processing results...")
    _write(args.out, _render(args, outcomes, start))
    _LOG.info("Finished %s-based extraction successfully...", args.mode)
    return 0


def run(args: argparse.Namespace) -> int:
    """``radiomix pyradiomics``: see the module notes."""
    from radiomix.cli.main import error_line
    from radiomix.errors import RadiomixError

    try:
        undo = _configure_logging(args)
    except OSError as exc:  # the log file: PyRadiomics fails setting up its command line
        where = f": {exc.filename}" if exc.filename else ""
        print(f"radiomix: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_SETUP
    try:
        return _main(args)
    except _Stop as stop:
        print(f"radiomix: error: {error_line(stop)}", file=sys.stderr)
        return stop.code
    except (RadiomixError, OSError) as exc:  # PyRadiomics: "Error extracting features!"
        where = f": {exc.filename}" if isinstance(exc, OSError) and exc.filename else ""
        what = exc.strerror if isinstance(exc, OSError) and exc.strerror else error_line(exc)
        print(f"radiomix: error: {what}{where}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("radiomix: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - PyRadiomics: any error of the run exits 3
        _LOG.debug("the run failed", exc_info=True)  # the traceback with -v 5
        print(f"radiomix: error: {type(exc).__name__}: {error_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        undo()
