"""Tracked runs: ``run.json`` in every run directory, and finding and comparing runs.

``radiomix train``, ``radiomix evaluate`` and ``radiomix study`` write ``run.json`` into the
folder they wrote (beside ``metrics.json``; nothing else in the folder changes):

==================  ===========================================================================
``format``          1
``id``              ``YYYYMMDD-HHMMSS-xxxxxx`` (UTC start time and 6 random hex digits)
``kind``            ``train``, ``evaluate`` or ``study``
``command``         the command line as typed (``radiomix train t.csv --label y ...``);
                    ``argv`` the same as a list, ``arguments`` every option as parsed
``cwd``             the folder it ran in (relative paths of ``arguments`` are relative to it)
``started``         UTC start time (ISO 8601, milliseconds); ``finished``; ``seconds`` the duration
``task``            ``binary``, ``multiclass``, ``regression`` or ``survival``
``config``          the resolved study settings (``config.yaml``; an evaluation records the
                    evaluated run's); ``extraction_config``: the extraction settings when the
                    run folder holds them (``settings.yaml``, a study), else null
``data``            fingerprint of the input table: ``table`` (path), ``sha256`` of its bytes,
                    ``rows`` and ``columns`` of the file, ``n_cases`` used
``code``            ``radiomix`` version; ``git_commit`` and ``git_dirty`` when radiomix runs
                    from a git checkout (else null)
``versions``        python, numpy, scikit-learn, scikit-survival (null when absent), pandas,
                    scipy
``headline``        the primary model's main metric: ``model``, ``metric`` (key in
                    ``metrics.json``), ``label``, ``value``, ``ci``, ``confidence``
``models``          every model's main metric and CI (``{name: {value, ci}}``)
``evaluated_run``   an evaluation: the folder of the run it evaluated and that run's ``id``
==================  ===========================================================================

A run directory written before run.json existed is still found and compared: its record is
read from ``metrics.json`` (id ``-``, ``recorded: false``; no shape or git commit).
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import secrets
import shlex
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from radiomix._outputs import atomic_write_text, jsonable
from radiomix.errors import ConfigError

__all__ = [
    "RUN_RECORD",
    "code_version",
    "config_differences",
    "data_fingerprint",
    "find_runs",
    "flatten_config",
    "headline_of",
    "library_versions",
    "load_run",
    "log_mlflow",
    "record_cli_run",
    "run_dir_of",
    "runs_table",
    "write_run_record",
]

RUN_RECORD = "run.json"
FORMAT = 1

#: libraries whose versions a run records (distribution names)
LIBRARIES = ("numpy", "scikit-learn", "scikit-survival", "pandas", "scipy")

#: folders never searched for runs
_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", "figures", "models", "cohort"}


# ------------------------------------------------------------------ what a run records


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(t: datetime) -> str:
    """UTC time as ``2026-01-31T12:00:00.123Z`` (milliseconds: runs started in one second
    still sort in order)."""
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def library_versions() -> dict[str, str | None]:
    """Versions of python and the numerical libraries (None for one not installed)."""
    from importlib import metadata

    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _git(args: Sequence[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # no git, or it hangs
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_version() -> dict[str, Any]:
    """radiomix's version, and its git commit when it runs from a checkout (never fails).

    The commit is recorded only when the checkout is radiomix's own (its
    ``src/radiomix/__init__.py`` is the module that runs), not a repository that happens to
    hold an installed copy.
    """
    import radiomix

    out: dict[str, Any] = {"radiomix": radiomix.__version__, "git_commit": None, "git_dirty": None}
    here = Path(radiomix.__file__).resolve().parent
    top = _git(["rev-parse", "--show-toplevel"], here)
    if not top:
        return out
    try:
        own = (Path(top) / "src" / "radiomix" / "__init__.py").resolve() == (
            here / "__init__.py"
        ).resolve()
    except OSError:
        own = False
    if not own:
        return out
    out["git_commit"] = _git(["rev-parse", "HEAD"], here)
    status = _git(["status", "--porcelain", "--untracked-files=no"], here)
    out["git_dirty"] = None if status is None else bool(status)
    return out


def data_fingerprint(table: str | Path | None, n_cases: int | None = None) -> dict[str, Any]:
    """SHA-256 of a table file's bytes, its rows and columns (nulls when there is no file)."""
    out: dict[str, Any] = {
        "table": None if table is None else str(table),
        "sha256": None,
        "rows": None,
        "columns": None,
        "n_cases": n_cases,
    }
    if table is None:
        return out
    path = Path(table)
    if not path.is_file():
        return out
    from radiomix.learn.table import file_sha256

    out["sha256"] = file_sha256(path)
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            meta = pq.ParquetFile(path).metadata
            out["rows"], out["columns"] = int(meta.num_rows), int(meta.num_columns)
        else:
            import pandas as pd

            frame = pd.read_csv(path, low_memory=False)
            out["rows"], out["columns"] = int(frame.shape[0]), int(frame.shape[1])
    except (OSError, ValueError) as exc:  # the run read it: this is unlikely
        out["shape_error"] = str(exc)
    return out


def _finite(v: Any) -> float | None:
    if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
        return float(v)
    return None


def headline_of(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The primary model's main metric of a ``metrics.json`` (the task's headline)."""
    task = str(metrics.get("task") or metrics.get("study", {}).get("task") or "binary")
    key = metrics.get("study", {}).get("headline")
    label = None
    from radiomix.learn.tasks import TASKS

    t = TASKS.get(task)  # None: a task of a newer radiomix (its key is enough)
    if t is not None:
        key = key or t.headline
        label = t.headline_label
    key = str(key or "auc")
    primary = metrics.get("primary") or {}
    ci = primary.get(f"{key}_ci") or [None, None]
    return {
        "model": primary.get("model"),
        "metric": key,
        "label": label or key,
        "value": _finite(primary.get(key)),
        "ci": [_finite(ci[0]), _finite(ci[1])],
        "confidence": metrics.get("study", {}).get("confidence"),
    }


def _model_headlines(metrics: Mapping[str, Any], key: str) -> dict[str, Any]:
    out = {}
    for name, s in (metrics.get("models") or {}).items():
        ci = s.get(f"{key}_ci") or [None, None]
        out[str(name)] = {"value": _finite(s.get(key)), "ci": [_finite(ci[0]), _finite(ci[1])]}
    return out


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _read_yaml(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def write_run_record(
    run_dir: str | Path,
    *,
    kind: str,
    argv: Sequence[str] = (),
    arguments: Mapping[str, Any] | None = None,
    started: datetime | None = None,
    finished: datetime | None = None,
) -> dict[str, Any]:
    """Write ``run.json`` into ``run_dir`` (a folder holding ``metrics.json``); returns it.

    ``kind`` is ``train``, ``evaluate`` or ``study``; ``argv`` the arguments after
    ``radiomix``; ``started`` / ``finished`` the run's UTC times (default: now).
    """
    run = Path(run_dir)
    metrics = _read_json(run / "metrics.json")
    if not metrics:
        raise ConfigError(f"{run} holds no metrics.json: nothing to record")
    finished = finished or _now()
    started = started or finished
    study = metrics.get("study") or {}
    head = headline_of(metrics)
    config = _read_yaml(run / "config.yaml")
    evaluated: dict[str, Any] | None = None
    if kind == "evaluate" and study.get("run"):
        src = Path(study["run"])
        config = _read_yaml(src / "config.yaml")
        evaluated = {"path": str(src), "id": _read_json(src / RUN_RECORD).get("id")}
    table = study.get("table")
    record: dict[str, Any] = {
        "format": FORMAT,
        "id": f"{started.astimezone(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}",
        "kind": kind,
        "command": shlex.join(["radiomix", *argv]),
        "argv": list(argv),
        "arguments": jsonable(dict(arguments or {})),
        "cwd": os.getcwd(),
        "started": _iso(started),
        "finished": _iso(finished),
        "seconds": round((finished - started).total_seconds(), 3),
        "task": str(metrics.get("task") or study.get("task") or "binary"),
        "config": jsonable(config),
        "extraction_config": jsonable(_read_yaml(run / "settings.yaml")),
        "data": data_fingerprint(table, study.get("n_cases")),
        "code": code_version(),
        "versions": library_versions(),
        "headline": head,
        "models": _model_headlines(metrics, head["metric"]),
    }
    if evaluated is not None:
        record["evaluated_run"] = evaluated
    atomic_write_text(run / RUN_RECORD, json.dumps(record, indent=2) + "\n")
    return record


def run_dir_of(kind: str, args: Any) -> Path | None:
    """The folder a ``train`` / ``evaluate`` / ``study`` command wrote (None: unknown)."""
    if kind == "evaluate":
        if getattr(args, "out", None):
            return Path(args.out)
        return Path(args.run_dir) / f"external-{Path(args.external).stem}"
    out = getattr(args, "out", None)
    return Path(out) if out else None


def record_cli_run(args: Any, argv: Sequence[str], started: datetime) -> dict[str, Any] | None:
    """``run.json`` of a finished ``train`` / ``evaluate`` / ``study`` command (the command
    line calls it after the command succeeded); None for another command."""
    kind = getattr(args, "command", None)
    if kind not in ("train", "evaluate", "study"):
        return None
    run = run_dir_of(kind, args)
    if run is None or not (run / "metrics.json").is_file():
        return None
    arguments = {k: v for k, v in vars(args).items() if k not in ("func",) and not callable(v)}
    return write_run_record(run, kind=kind, argv=argv, arguments=arguments, started=started)


# ------------------------------------------------------------------ MLflow

#: the MLflow client radiomix logs with (an optional extra: ``pip install 'radiomix[mlflow]'``)
MLFLOW_PACKAGE = "mlflow-skinny"


def _mlflow_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The finite numbers of ``metrics.json`` as MLflow metrics: ``primary.auc``,
    ``primary.auc_ci_low`` / ``_high``, ``models.<name>.<metric>``, ``permutation.p_value``,
    ... (lists of two numbers are confidence intervals; other lists are left out)."""
    out: dict[str, float] = {}

    def put(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                put(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, bool):
            return
        elif isinstance(value, int | float):
            f = _finite(value)
            if f is not None:
                out[prefix] = f
        elif (
            isinstance(value, list | tuple)
            and len(value) == 2
            and prefix.endswith("_ci")
            and all(isinstance(v, int | float) for v in value)
        ):
            for side, v in zip(("low", "high"), value, strict=True):
                f = _finite(v)
                if f is not None:
                    out[f"{prefix}_{side}"] = f

    for section in ("primary", "models", "permutation", "comparisons"):
        if section in metrics:
            put(section, metrics[section])
    return {re.sub(r"[^A-Za-z0-9_./-]", "_", k): v for k, v in out.items()}


def log_mlflow(run_dir: str | Path, uri: str) -> dict[str, Any]:
    """Log a recorded run (its ``run.json``, ``metrics.json`` and the whole folder) to the
    MLflow tracking store at ``uri`` and note the MLflow run in ``run.json``.

    One MLflow run per radiomix run, in the experiment named by the study (``config.name``;
    ``radiomix`` without one), named by the run's id. Params: the study config flattened
    (:func:`flatten_config`: ``validation.outer_folds``, ``models.lr_l2_mrmr.grid.clf__C``,
    ...), plus ``kind``, ``task`` and ``command``. Metrics: every finite number of
    ``metrics.json``'s ``primary``, ``models``, ``permutation`` and ``comparisons``
    (:func:`_mlflow_metrics`). Tags: the data fingerprint, the code version and the radiomix
    id. Artifacts: the run folder. A ``file:`` store (or a plain folder) is MLflow's own
    file store, which MLflow 3 only opens with ``MLFLOW_ALLOW_FILE_STORE`` set: radiomix
    sets it for such a URI, which is what the user asked for.

    Returns ``{"uri", "experiment_id", "run_id"}`` (also written to ``run.json`` as
    ``mlflow``).

    Raises
    ------
    ConfigError
        MLflow is not installed, or the run folder holds no ``run.json``.
    """
    run = Path(run_dir)
    record = _read_json(run / RUN_RECORD)
    if not record:
        raise ConfigError(f"{run} holds no {RUN_RECORD}: nothing to log to MLflow")
    try:
        from mlflow.entities import Metric, Param
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise ConfigError(
            f"--mlflow needs MLflow's client: pip install 'radiomix[mlflow]' (or "
            f"{MLFLOW_PACKAGE}); the run itself is complete in {run}"
        ) from None
    if uri.startswith("file:") or "://" not in uri:  # a folder: MLflow's file store
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    metrics = _read_json(run / "metrics.json")
    client = MlflowClient(tracking_uri=uri)
    config = record.get("config") or {}
    name = str(config.get("name") or "radiomix")
    experiment = client.get_experiment_by_name(name)
    experiment_id = (
        experiment.experiment_id if experiment is not None else client.create_experiment(name)
    )
    data = record.get("data") or {}
    code = record.get("code") or {}
    tags = {
        "mlflow.runName": str(record.get("id")),
        "radiomix.id": str(record.get("id")),
        "radiomix.kind": str(record.get("kind")),
        "radiomix.task": str(record.get("task")),
        "radiomix.data_sha256": str(data.get("sha256")),
        "radiomix.version": str(code.get("radiomix")),
        "radiomix.git_commit": str(code.get("git_commit")),
    }
    mlrun = client.create_run(experiment_id, tags=tags)
    run_id = mlrun.info.run_id
    try:
        params = dict(flatten_config(config))
        params.update(
            {
                "kind": record.get("kind"),
                "task": record.get("task"),
                "command": record.get("command"),
            }
        )
        now = int(datetime.now(UTC).timestamp() * 1000)
        client.log_batch(
            run_id,
            params=[Param(str(k), str(v)[:6000]) for k, v in params.items()],
            metrics=[Metric(k, v, now, 0) for k, v in _mlflow_metrics(metrics).items()],
        )
        client.log_artifacts(run_id, str(run))
    except Exception:
        client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id, status="FINISHED")
    logged = {"uri": uri, "experiment_id": str(experiment_id), "run_id": str(run_id)}
    record["mlflow"] = logged
    atomic_write_text(run / RUN_RECORD, json.dumps(record, indent=2) + "\n")
    return logged


# ------------------------------------------------------------------ reading runs back


def _legacy_record(run: Path, metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The record of a run directory written before run.json (from metrics.json)."""
    study = metrics.get("study") or {}
    kind = (
        "evaluate" if study.get("run") else "study" if (run / "study.json").is_file() else "train"
    )
    head = headline_of(metrics)
    config = _read_yaml(run / "config.yaml")
    if kind == "evaluate":
        # the evaluated run's folder as given then (relative to that command's folder), or
        # the folder above (evaluate's default: RUN_DIR/external-<table>)
        src = Path(study["run"])
        config = _read_yaml(src / "config.yaml") or _read_yaml(run.parent / "config.yaml")
    created = study.get("created")
    return {
        "format": FORMAT,
        "id": "-",
        "recorded": False,
        "kind": kind,
        "command": None,
        "started": created,
        "seconds": study.get("seconds"),
        "task": str(metrics.get("task") or study.get("task") or "binary"),
        "config": config,
        "extraction_config": _read_yaml(run / "settings.yaml"),
        "data": {
            "table": study.get("table"),
            "sha256": study.get("table_sha256"),
            "rows": None,
            "columns": None,
            "n_cases": study.get("n_cases"),
        },
        "code": {"radiomix": (study.get("versions") or {}).get("radiomix"), "git_commit": None},
        "versions": study.get("versions") or {},
        "headline": head,
        "models": _model_headlines(metrics, head["metric"]),
    }


def is_run_dir(path: str | Path) -> bool:
    """A folder written by train, evaluate or study (run.json, or a metrics.json of a run)."""
    p = Path(path)
    if (p / RUN_RECORD).is_file():
        return True
    m = p / "metrics.json"
    if not m.is_file():
        return False
    metrics = _read_json(m)
    return "primary" in metrics and "study" in metrics


def load_run(path: str | Path) -> dict[str, Any]:
    """The record of a run directory (its run.json, or one read from metrics.json), with
    ``path`` added. :class:`ConfigError` when the folder is missing or not a run."""
    run = Path(path)
    if not run.exists():
        raise ConfigError(f"run directory {run} does not exist")
    if not run.is_dir():
        raise ConfigError(f"{run} is a file, not a run directory")
    if (run / RUN_RECORD).is_file():
        record = _read_json(run / RUN_RECORD)
        if not record:
            raise ConfigError(f"{run / RUN_RECORD} is not a run record (not JSON)")
        record.setdefault("recorded", True)
    elif is_run_dir(run):
        record = _legacy_record(run, _read_json(run / "metrics.json"))
    else:
        raise ConfigError(
            f"{run} is not a run directory (no run.json or metrics.json of radiomix train, "
            "evaluate or study)"
        )
    record["path"] = str(run)
    return record


def find_runs(root: str | Path = ".") -> list[dict[str, Any]]:
    """Every run directory under ``root`` (itself included), sorted by start time."""
    base = Path(root)
    if not base.exists():
        raise ConfigError(f"folder {base} does not exist")
    if not base.is_dir():
        raise ConfigError(f"{base} is a file, not a folder")
    found: list[dict[str, Any]] = []
    for here, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        if (RUN_RECORD in files or "metrics.json" in files) and is_run_dir(here):
            found.append(load_run(here))
    found.sort(key=lambda r: (str(r.get("started") or ""), r["path"]))
    return found


# ------------------------------------------------------------------ tables and differences


def _short(sha: Any, n: int = 12) -> str:
    return str(sha)[:n] if sha else "-"


def fmt_value(v: Any, ci: Sequence[Any] | None = None, digits: int = 3) -> str:
    """``0.812 [0.741, 0.874]`` (``-`` for a missing number)."""
    if v is None or not isinstance(v, int | float) or not math.isfinite(v):
        return "-"
    text = f"{v:.{digits}f}"
    if ci and len(ci) == 2 and all(isinstance(c, int | float) for c in ci):
        text += f" [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"
    return text


def _when(started: Any) -> str:
    s = str(started or "-")
    return s.replace("T", " ").replace("Z", "")[:19]


def runs_table(records: Iterable[Mapping[str, Any]]) -> Any:
    """One row per run: id, kind, task, started, seconds, data fingerprint, model, metric."""
    import pandas as pd

    rows = []
    for r in records:
        h = r.get("headline") or {}
        d = r.get("data") or {}
        ci = h.get("ci") or [None, None]
        rows.append(
            {
                "id": r.get("id"),
                "kind": r.get("kind"),
                "task": r.get("task"),
                "started": r.get("started"),
                "seconds": r.get("seconds"),
                "data_sha256": d.get("sha256"),
                "rows": d.get("rows"),
                "columns": d.get("columns"),
                "model": h.get("model"),
                "metric": h.get("label") or h.get("metric"),
                "value": h.get("value"),
                "ci_low": ci[0],
                "ci_high": ci[1],
                "path": r.get("path"),
            }
        )
    cols = [
        "id",
        "kind",
        "task",
        "started",
        "seconds",
        "data_sha256",
        "rows",
        "columns",
        "model",
        "metric",
        "value",
        "ci_low",
        "ci_high",
        "path",
    ]
    return pd.DataFrame(rows, columns=cols)


def _scalar(v: Any) -> Any:
    if isinstance(v, list | tuple):
        return json.dumps(list(v))
    return v


def flatten_config(cfg: Mapping[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    """Nested settings as ``{"validation.outer_folds": 5, ...}``; a list of mappings with a
    ``name`` (the models) is keyed by the names (``models.lr_l2_mrmr.grid.clf__C``); other
    lists are values (JSON text)."""
    out: dict[str, Any] = {}
    if not cfg:
        return out
    for k, v in cfg.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            sub = flatten_config(v, key + ".")
            out.update(sub if sub else {key: "{}"})
        elif (
            isinstance(v, list)
            and v
            and all(isinstance(x, Mapping) and "name" in x for x in v)
            and len({str(x["name"]) for x in v}) == len(v)
        ):
            for x in v:
                rest = {a: b for a, b in x.items() if a != "name"}
                sub = flatten_config(rest, f"{key}.{x['name']}.")
                out.update(sub if sub else {f"{key}.{x['name']}": "{}"})
        else:
            out[key] = _scalar(v)
    return out


def run_settings(record: Mapping[str, Any]) -> dict[str, Any]:
    """The flattened settings of a run: its config, and ``extraction.*`` when recorded."""
    flat = flatten_config(record.get("config"))
    flat.update(flatten_config(record.get("extraction_config"), "extraction."))
    return flat


_MISSING = object()


def config_differences(records: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[Any]]]:
    """The settings keys whose values differ between runs, with each run's value (None
    where a run lacks the key), in key order."""
    flats = [run_settings(r) for r in records]
    keys = sorted(set().union(*flats)) if flats else []
    diffs = []
    for k in keys:
        values = [f.get(k, _MISSING) for f in flats]
        if any(v != values[0] for v in values[1:]):
            diffs.append((k, [None if v is _MISSING else v for v in values]))
    return diffs


def same_data(records: Sequence[Mapping[str, Any]]) -> bool | None:
    """True when every run's data fingerprint is the same, None when one is unknown."""
    shas = [(r.get("data") or {}).get("sha256") for r in records]
    if any(s is None for s in shas):
        return None
    return len(set(shas)) == 1


def different_data_message(records: Sequence[Mapping[str, Any]]) -> str | None:
    """The warning when the runs' data fingerprints differ (None when they agree)."""
    if same_data(records) is not False:
        return None
    shown = ", ".join(
        f"{_label(r, i)}: {_short((r.get('data') or {}).get('sha256'))}"
        for i, r in enumerate(records)
    )
    return (
        f"these runs were trained on different data (the data fingerprints differ: {shown}); "
        "a difference in their metrics is not a difference of method alone"
    )


def _label(r: Mapping[str, Any], i: int) -> str:
    rid = r.get("id")
    return f"run {i + 1}" + (f" ({rid})" if rid and rid != "-" else "")


def comparison_rows(records: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[str]]]:
    """The rows of the side-by-side table (label, one cell per run)."""

    def row(label: str, f: Any) -> tuple[str, list[str]]:
        return label, [str(f(r)) for r in records]

    def data_cell(r: Mapping[str, Any]) -> str:
        d = r.get("data") or {}
        shape = f" ({d['rows']} x {d['columns']})" if d.get("rows") is not None else ""
        return _short(d.get("sha256")) + shape

    rows = [
        row("path", lambda r: r.get("path", "-")),
        row("id", lambda r: r.get("id", "-")),
        row("kind", lambda r: r.get("kind", "-")),
        row("task", lambda r: r.get("task", "-")),
        row("started", lambda r: _when(r.get("started"))),
        row("seconds", lambda r: fmt_value(r.get("seconds"), digits=1)),
        row("data", data_cell),
        row("cases", lambda r: (r.get("data") or {}).get("n_cases", "-")),
        row("radiomix", lambda r: _code(r)),
    ]
    same = same_data(records)
    rows.append(
        (
            "same data",
            ["yes" if same else "unknown" if same is None else "NO"] * len(records),
        )
    )
    heads = [r.get("headline") or {} for r in records]
    labels = {h.get("label") or h.get("metric") for h in heads}
    one = len(labels) == 1 and None not in labels
    label = str(next(iter(labels))) if one else "headline"

    def head_cell(r: Mapping[str, Any]) -> str:
        h = r.get("headline") or {}
        value = fmt_value(h.get("value"), h.get("ci"))
        return value if one else f"{h.get('label') or h.get('metric') or '-'} {value}"

    rows.append(row("primary model", lambda r: (r.get("headline") or {}).get("model", "-")))
    rows.append(row(f"{label} (primary)", head_cell))
    names: list[str] = []
    for r in records:
        for n in r.get("models") or {}:
            if n not in names:
                names.append(n)
    if all(len(r.get("models") or {}) <= 1 for r in records):
        names = []  # one model per run: the primary row says it all
    for n in names:

        def cell(r: Mapping[str, Any], n: str = n) -> str:
            m = (r.get("models") or {}).get(n)
            return fmt_value(m.get("value"), m.get("ci")) if m else "-"

        rows.append(row(f"{label}: {n}", cell))
    return rows


def _code(r: Mapping[str, Any]) -> str:
    c = r.get("code") or {}
    text = str(c.get("radiomix") or "-")
    if c.get("git_commit"):
        text += f" @ {str(c['git_commit'])[:10]}" + ("+" if c.get("git_dirty") else "")
    return text


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain text table, columns padded to their widest cell."""
    all_rows = [list(header), *[list(r) for r in rows]]
    widths = [max(len(str(r[i])) for r in all_rows) for i in range(len(header))]
    lines = []
    for j, r in enumerate(all_rows):
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def compare_text(records: Sequence[Mapping[str, Any]]) -> str:
    """The terminal comparison: warning, side-by-side table, the config differences."""
    header = ["", *[f"run {i + 1}" for i in range(len(records))]]
    parts = []
    warn = different_data_message(records)
    if warn:
        parts.append(f"WARNING: {warn}\n")
    parts.append(text_table(header, [[k, *v] for k, v in comparison_rows(records)]))
    diffs = config_differences(records)
    if diffs:
        parts.append("\nconfig differences (only the keys that differ):")
        parts.append(
            text_table(
                ["key", *header[1:]],
                [[k, *("-" if v is None else str(v) for v in vals)] for k, vals in diffs],
            )
        )
    else:
        parts.append("\nconfig differences: none (same settings)")
    return "\n".join(parts) + "\n"
