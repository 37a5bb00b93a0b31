"""Cohort extraction: a manifest of cases through an executor, with cache, errors and provenance.

The flow of :func:`run_batch`::

    manifest rows -> content hashes (threads, remembered by path/size/mtime)
                  -> cache key per row -> cached rows are taken as they are
                  -> the rest: CaseTask -> executor (in-process / local processes / Dask)
                     -> run_case (pure) -> CaseOutcome -> cache (as each one completes)
                  -> table in manifest order (+ carried and provenance columns), errors table

:func:`run_case` is a pure function of its task: it reads the files, calls
:func:`radiomix.extraction.api.extract_results` and returns plain Python values (str, int,
float), never raising for a bad case (the error's type, message and a traceback summary go
into the outcome). The same task therefore gives the same row, bit for bit, whichever
executor ran it, and a row read back from the cache equals the one computed.

:func:`run_voxel_batch` runs voxel-based feature maps in the same shape (VoxelTask ->
executor -> :func:`run_voxel_case` -> CaseOutcome, a bad case into the errors table, the
others go on): the caller gives the per-case computation (:data:`VoxelCompute`; for
``radiomix extract --mode voxel`` the PyRadiomics face), each case's maps are written as
``Case-<row>_<feature>.nrrd`` where it ran, and the table holds their paths. It keeps no
cache (the maps are the files).

A manifest with several images per case (``image_<modality>`` columns, or a ``modality``
column: :mod:`radiomix.extraction.manifest`) runs :func:`run_multi_case` per case instead:
the mask carried onto each image's grid and features per modality
(:mod:`radiomix.extraction.multimodal`), the modality in front of every column.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TextIO

import numpy as np
import pandas as pd

from radiomix._outputs import atomic_write
from radiomix.errors import ConfigError, ImageReadError, RadiomixError
from radiomix.extraction.cache import InputHasher, ResultCache, case_key
from radiomix.extraction.executors import Executor, InProcessExecutor, make_executor
from radiomix.extraction.manifest import Case, Manifest, read_manifest
from radiomix.extraction.provenance import PROVENANCE_PREFIX, environment_versions
from radiomix.extraction.settings import (
    ExtractionSettings,
    load_config,
    settings_hash,
    settings_to_dict,
)

__all__ = [
    "ERROR_COLUMNS",
    "BatchResult",
    "CaseOutcome",
    "CaseTask",
    "LogProgress",
    "MultiCaseTask",
    "ProgressReporter",
    "RichProgress",
    "VoxelBatchResult",
    "VoxelCompute",
    "VoxelTask",
    "case_path_columns",
    "extract_batch",
    "label_argument",
    "run_batch",
    "run_case",
    "run_multi_case",
    "run_voxel_batch",
    "run_voxel_case",
    "write_voxel_maps",
]

log = logging.getLogger(__name__)

ERROR_COLUMNS = [
    "case_id",
    "label",
    "image",
    "mask",
    "error_type",
    "message",
    "traceback",
]


# -- the per-case function ------------------------------------------------------------------


@dataclass(frozen=True)
class CaseTask:
    """Everything one case needs: picklable, sent to any executor."""

    index: int
    case_id: str
    image: str
    mask: str
    label: str | None
    settings: ExtractionSettings
    provenance: tuple[tuple[str, str], ...]  # input hashes, settings hash
    allow_background: bool = False  # label 0 accepted as an ROI (see extract_results)


@dataclass(frozen=True)
class CaseOutcome:
    """The result of one case: per-ROI rows, or an error.

    ``rows`` hold ``roi``, the ``provenance_*`` columns, ``diagnostics_*`` and the features,
    as plain Python values (no ``case_id``: the manifest gives it). ``seconds`` (wall),
    ``cpu_seconds`` (CPU time of the process that ran the case), ``peak_rss_mib`` (the
    peak resident memory of that process so far) and ``worker`` (``host:pid``) describe the
    run and never enter the table.
    """

    index: int
    case_id: str
    rows: tuple[dict[str, Any], ...] = ()
    error_type: str = ""
    message: str = ""
    traceback: str = ""
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_rss_mib: float = 0.0
    worker: str = ""
    from_cache: bool = False

    @property
    def ok(self) -> bool:
        return not self.error_type


def label_argument(label: str | None) -> int | list[int] | str | None:
    """Turn a manifest label cell into the ``label`` argument of ``extract_results``.

    Empty -> None (every distinct non-zero label its own ROI); ``all`` (the same, said
    explicitly); ``union`` (every non-zero voxel as one ROI); integers separated by ``,`` or
    ``;`` -> a list; anything else is passed on as text (ROI names of RTSTRUCT/SEG masks).
    """
    if label is None or not label.strip():
        return None
    text = label.strip()
    if text.lower() in ("all", "union"):
        return text.lower()
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        values = [int(float(p)) if float(p).is_integer() else None for p in parts]
    except ValueError:
        return text
    if any(v is None for v in values):
        return text
    return [int(v) for v in values if v is not None]


def _plain(value: Any) -> Any:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value)
    if isinstance(value, str):
        return value
    return str(value)


def _peak_rss_mib() -> float:
    """Peak resident memory of this process (MiB).

    Linux: ``VmHWM`` of /proc/self/status, the high-water mark of this process's own memory
    map (``ru_maxrss`` would carry over the parent's peak through fork + exec, which
    inflates the figure of freshly started workers). Elsewhere ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return float("nan")
    # macOS reports ru_maxrss in bytes, Linux in KiB
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _traceback_summary(exc: BaseException, frames: int = 6) -> str:
    tb = traceback.extract_tb(exc.__traceback__)[-frames:]
    return " | ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in tb)


def _measured(
    index: int, case_id: str, compute: Callable[[], Sequence[dict[str, Any]]]
) -> CaseOutcome:
    """Run one case's ``compute`` (its table rows) and give its outcome: the rows, or the
    error's type, message and a traceback summary, with the wall and CPU time, the peak
    memory and the worker. Never raises for a failing case (the batch goes on)."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    rows: tuple[dict[str, Any], ...] = ()
    error_type = message = summary = ""
    try:
        rows = tuple(compute())
    except Exception as exc:  # noqa: BLE001 - any failure of a case is recorded, by design
        error_type, message, summary = (
            type(exc).__name__,
            str(exc) or repr(exc),
            _traceback_summary(exc),
        )
    return CaseOutcome(
        index,
        case_id,
        rows=rows,
        error_type=error_type,
        message=message,
        traceback=summary,
        seconds=time.perf_counter() - t0,
        cpu_seconds=time.process_time() - c0,
        peak_rss_mib=_peak_rss_mib(),
        worker=_worker_name(),
    )


def _table_rows(
    records: Sequence[Mapping[str, Any]], provenance: tuple[tuple[str, str], ...]
) -> list[dict[str, Any]]:
    """The output rows of one case's per-ROI records: ``roi``, the ``provenance_*`` columns
    (the task's input hashes and settings hash, then the library versions), then the
    record's columns as plain Python values (``case_id`` left out: the manifest gives it)."""
    prov = {PROVENANCE_PREFIX + k: v for k, v in provenance}
    prov.update({PROVENANCE_PREFIX + k: v for k, v in environment_versions().items()})
    rows = []
    for rec in records:
        row: dict[str, Any] = {"roi": str(rec["roi"]), **prov}
        row.update({str(k): _plain(v) for k, v in rec.items() if k not in ("roi", "case_id")})
        rows.append(row)
    return rows


def run_case(task: CaseTask) -> CaseOutcome:
    """Extract one manifest row: every ROI of its label selection, or an error record.

    Pure: depends only on the task (files, label, settings). Never raises for a bad case;
    any exception (a :class:`~radiomix.errors.RadiomixError` from bad input, or an
    unexpected one) is returned with its type, message and a traceback summary.
    """
    from radiomix.extraction.api import extract_results, results_to_wide

    def compute() -> list[dict[str, Any]]:
        results = extract_results(
            task.image,
            task.mask,
            task.settings,
            label=label_argument(task.label),
            case_id=task.case_id,
            allow_background=task.allow_background,
        )
        records = results_to_wide(results).to_dict(orient="records")
        return _table_rows(records, task.provenance)

    return _measured(task.index, task.case_id, compute)


@dataclass(frozen=True)
class MultiCaseTask:
    """One case of a multi-image manifest: picklable, sent to any executor.

    ``images``: ``(modality, image path, transform path or "")`` per modality, in output
    order; ``settings``: ``(modality, settings)`` per modality.
    """

    index: int
    case_id: str
    images: tuple[tuple[str, str, str], ...]
    mask: str
    mask_on: str
    label: str | None
    settings: tuple[tuple[str, ExtractionSettings], ...]
    provenance: tuple[tuple[str, str], ...]
    interpolation: str = "nearest"
    allow_background: bool = False


def run_multi_case(task: MultiCaseTask) -> CaseOutcome:
    """Extract one multi-image case: the mask carried onto each image's grid, the features
    of every modality in one row per ROI (see :mod:`radiomix.extraction.multimodal`), or an
    error record. Pure and never raising for a bad case, as :func:`run_case`."""
    from radiomix.extraction.multimodal import multimodal_rows

    def compute() -> list[dict[str, Any]]:
        settings = dict(task.settings)
        first = task.images[0][0]
        records = multimodal_rows(
            {m: path for m, path, _ in task.images},
            task.mask,
            task.mask_on,
            transforms={m: tf for m, _, tf in task.images if tf},
            settings=settings[first],
            modality_settings=settings,
            label=label_argument(task.label),
            case_id=task.case_id,
            interpolation=task.interpolation,
            allow_background=task.allow_background,
        )
        return _table_rows(records, task.provenance)

    return _measured(task.index, task.case_id, compute)


def _lost(task: CaseTask | MultiCaseTask | VoxelTask, exc: BaseException) -> CaseOutcome:
    return CaseOutcome(
        task.index,
        task.case_id,
        error_type=type(exc).__name__,
        message=str(exc) or repr(exc),
        traceback="(the worker running the case was lost)",
    )


# -- progress -------------------------------------------------------------------------------


class ProgressReporter(Protocol):
    """Receives the batch's progress: start, one call per finished case, close."""

    def start(self, total: int, cached: int, description: str) -> None: ...

    def advance(self, outcome: CaseOutcome) -> None: ...

    def close(self) -> None: ...


def _fmt_eta(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class LogProgress:
    """Plain progress lines on a stream (stderr that is not a terminal, or ``--quiet``).

    With ``every_case`` a line per finished case: position, status, case, time, failures,
    rate (cases per minute) and time left; otherwise only failures and the summary.
    """

    def __init__(self, stream: TextIO | None = None, every_case: bool = True) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.every_case = every_case
        self.total = self.done = self.failed = 0
        self.t0 = time.perf_counter()

    def _print(self, text: str) -> None:
        print(f"radiomix: {text}", file=self.stream, flush=True)

    def start(self, total: int, cached: int, description: str) -> None:
        self.total, self.done, self.failed = total, 0, 0
        self.t0 = time.perf_counter()
        if self.every_case:
            self._print(f"{total} case(s) to compute on {description} ({cached} from cache)")

    def advance(self, outcome: CaseOutcome) -> None:
        self.done += 1
        self.failed += not outcome.ok
        elapsed = time.perf_counter() - self.t0
        rate = self.done / elapsed * 60 if elapsed > 0 else float("nan")
        eta = (self.total - self.done) / (rate / 60) if rate > 0 else float("inf")
        status = "ok" if outcome.ok else f"FAILED {outcome.error_type}: {outcome.message}"
        if self.every_case or not outcome.ok:
            self._print(
                f"[{self.done}/{self.total}] {outcome.case_id}: {status} "
                f"({outcome.seconds:.1f} s) | {self.failed} failed | {rate:.1f} cases/min | "
                f"ETA {_fmt_eta(eta)}"
            )

    def close(self) -> None:
        return None


class RichProgress:
    """A ``rich`` progress bar on a terminal: done/total, failed, cases per minute, time left."""

    def __init__(self, stream: TextIO | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(file=stream if stream is not None else sys.stderr)
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[red]{task.fields[failed]} failed"),
            TextColumn("{task.fields[rate]} cases/min"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._task: Any = None
        self.failed = 0
        self.t0 = time.perf_counter()
        self.done = 0

    def start(self, total: int, cached: int, description: str) -> None:
        self._progress.start()
        self.t0 = time.perf_counter()
        self._task = self._progress.add_task(
            f"extracting ({cached} cached)", total=total, failed=0, rate="-"
        )

    def advance(self, outcome: CaseOutcome) -> None:
        self.done += 1
        self.failed += not outcome.ok
        elapsed = time.perf_counter() - self.t0
        rate = f"{self.done / elapsed * 60:.1f}" if elapsed > 0 else "-"
        if not outcome.ok:
            self._progress.console.print(
                f"[red]{outcome.case_id}: {outcome.error_type}: {outcome.message}"
            )
        self._progress.update(self._task, advance=1, failed=self.failed, rate=rate)

    def close(self) -> None:
        self._progress.stop()


class _NoProgress:
    def start(self, total: int, cached: int, description: str) -> None:
        return None

    def advance(self, outcome: CaseOutcome) -> None:
        return None

    def close(self) -> None:
        return None


# -- the batch ------------------------------------------------------------------------------


@dataclass
class BatchResult:
    """A finished batch: the feature table, the errors table and what happened."""

    table: pd.DataFrame
    errors: pd.DataFrame
    settings: ExtractionSettings
    outcomes: list[CaseOutcome] = field(default_factory=list)
    n_cached: int = 0
    n_computed: int = 0
    seconds: float = 0.0

    @property
    def n_failed(self) -> int:
        return sum(not o.ok for o in self.outcomes)

    @property
    def n_cases(self) -> int:
        return len(self.outcomes)


def _assemble(manifest: Manifest, outcomes: Sequence[CaseOutcome]) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    source: list[int] = []
    for o in sorted(outcomes, key=lambda o: o.index):
        for r in o.rows:
            case = manifest.cases[o.index]
            # paths come from this manifest, not the cache: a moved cohort keeps its hits
            head = {"case_id": case.case_id, "roi": r["roi"], **case_path_columns(case)}
            rows.append({**head, **r})
            source.append(o.index)
    if not rows:
        cols = ["case_id", "roi", *manifest.carried_columns]
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    feats = pd.DataFrame(rows)
    carried = manifest.carried.iloc[source].reset_index(drop=True)
    first = feats[["case_id", "roi"]]
    prov = [c for c in feats.columns if str(c).startswith(PROVENANCE_PREFIX)]
    rest = feats.drop(columns=["case_id", "roi", *prov])
    return pd.concat([first, carried, feats[prov], rest], axis=1)


def case_path_columns(case: Case) -> dict[str, str]:
    """The ``provenance_*`` path columns of a case, as its manifest wrote them."""
    if not case.images:
        return {
            PROVENANCE_PREFIX + "image": case.image_text,
            PROVENANCE_PREFIX + "mask": case.mask_text,
        }
    out = {PROVENANCE_PREFIX + f"image_{im.modality}": im.image_text for im in case.images}
    out.update(
        {
            PROVENANCE_PREFIX + f"transform_{im.modality}": im.transform_text
            for im in case.images
            if im.modality != case.mask_on
        }
    )
    out[PROVENANCE_PREFIX + "mask"] = case.mask_text
    out[PROVENANCE_PREFIX + "mask_on"] = case.mask_on
    return out


def _image_text(case: Case) -> str:
    """The image cell of the errors table: the path, or ``ct=a.nii.gz;pet=b.nii.gz``."""
    if not case.images:
        return case.image_text
    return ";".join(f"{im.modality}={im.image_text}" for im in case.images)


def _errors_table(manifest: Manifest, outcomes: Sequence[CaseOutcome]) -> pd.DataFrame:
    rows = []
    for o in sorted(outcomes, key=lambda o: o.index):
        if o.ok:
            continue
        c = manifest.cases[o.index]
        rows.append(
            (
                c.case_id,
                c.label or "",
                _image_text(c),
                c.mask_text,
                o.error_type,
                o.message,
                o.traceback,
            )
        )
    return pd.DataFrame(rows, columns=ERROR_COLUMNS)


def _input_error(case: Case, index: int, exc: RadiomixError) -> CaseOutcome:
    return CaseOutcome(
        index,
        case.case_id,
        error_type=type(exc).__name__,
        message=str(exc),
        traceback="(raised while hashing the inputs)",
    )


def _case_paths(case: Case) -> list[str]:
    """The files a case reads (hashed for the cache and the provenance columns)."""
    if not case.images:
        return [case.image, case.mask]
    out = [im.image for im in case.images if im.image_text]
    out += [im.transform for im in case.images if im.transform_text]
    return [*out, case.mask]


def _plain_settings(settings: ExtractionSettings) -> dict[str, Any]:
    # the name and description of a configuration label it; they change no value
    return {k: v for k, v in settings_to_dict(settings).items() if k not in ("name", "description")}


@dataclass
class _MultiPlan:
    """Cache keys, provenance and tasks of the cases of a multi-image manifest."""

    settings: dict[str, ExtractionSettings]
    interpolation: str
    allow_background: bool
    version: str

    def __post_init__(self) -> None:
        self.plain = {m: _plain_settings(s) for m, s in self.settings.items()}
        self.hashes = {m: settings_hash(s) for m, s in self.settings.items()}

    def plan(
        self,
        index: int,
        case: Case,
        hashes: Mapping[str, str | RadiomixError],
        cache: ResultCache | None,
        tasks: list[Any],
        keys: dict[int, str],
    ) -> CaseOutcome | None:
        """Queue the case's task (None), or give its outcome: from the cache, or an input
        error (a missing image, mask or transform: the case fails, the others go on)."""
        prov: list[tuple[str, str]] = []
        for im in case.images:
            if not im.image_text:
                err: RadiomixError = ImageReadError(
                    f"{im.modality}: no image (the manifest's image cell of {im.modality} is empty)"
                )
                return _input_error(case, index, err)
            for kind, path in (("image", im.image), ("transform", im.transform)):
                if not path:
                    continue
                h = hashes[path]
                if isinstance(h, RadiomixError):
                    return _input_error(case, index, type(h)(f"{im.modality} {kind}: {h}"))
                prov.append((f"{kind}_{im.modality}_sha256", h))
        h_msk = hashes[case.mask]
        if isinstance(h_msk, RadiomixError):
            return _input_error(case, index, type(h_msk)(f"mask: {h_msk}"))
        prov.append(("mask_sha256", h_msk))
        prov += [(f"settings_hash_{m}", self.hashes[m]) for m in self.settings]
        inputs = hashlib.sha256(json.dumps(prov, sort_keys=True).encode()).hexdigest()
        plan = {
            "modalities": self.plain,
            "mask_on": case.mask_on,
            "interpolation": self.interpolation,
        }
        key = case_key(inputs, h_msk, case.label, plan, self.version)
        keys[index] = key
        cached = cache.get(key) if cache is not None else None
        if cached is not None:
            return CaseOutcome(index, case.case_id, rows=tuple(cached), from_cache=True)
        tasks.append(
            MultiCaseTask(
                index,
                case.case_id,
                tuple((im.modality, im.image, im.transform) for im in case.images),
                case.mask,
                case.mask_on,
                case.label,
                tuple(self.settings.items()),
                tuple(prov),
                self.interpolation,
                self.allow_background,
            )
        )
        return None


def run_batch(
    manifest: Manifest,
    settings: ExtractionSettings,
    *,
    executor: Executor | None = None,
    cache: ResultCache | None = None,
    progress: ProgressReporter | None = None,
    hash_threads: int = 4,
    allow_background: bool = False,
    modality_settings: Mapping[str, ExtractionSettings] | None = None,
    mask_interpolation: str = "nearest",
) -> BatchResult:
    """Extract every case of a manifest; one bad case never stops the others.

    Parameters
    ----------
    manifest : Manifest
        The cases (see :func:`radiomix.extraction.manifest.read_manifest`).
    settings : ExtractionSettings
        Resolved settings, the same for every case.
    executor : Executor, optional
        Where the cases run (default: in this process).
    cache : ResultCache, optional
        Finished cases are read from and written to it; None computes everything.
    progress : ProgressReporter, optional
        Receives progress (default: none).
    hash_threads : int
        Threads that hash the input files.
    allow_background : bool
        Accept label 0 (the background) as an ROI; without it a row with label 0 fails.
    modality_settings : mapping of modality -> ExtractionSettings, optional
        A multi-image manifest: modalities with settings of their own (the others use
        ``settings``).
    mask_interpolation : {"nearest", "linear"}
        A multi-image manifest: how the mask is carried onto the other images' grids (see
        :mod:`radiomix.extraction.multimodal`).

    Returns
    -------
    BatchResult
        ``table``: one row per (case, ROI) in manifest order with ``case_id, roi``, the
        carried manifest columns, the ``provenance_*`` columns, then the columns of the
        single-case wide table (a multi-image manifest: of every modality, the modality in
        front of each column); ``errors``: one row per failed case (:data:`ERROR_COLUMNS`).
    """
    executor = executor if executor is not None else InProcessExecutor()
    progress = progress if progress is not None else _NoProgress()
    t_start = time.perf_counter()
    if manifest.multi_image:
        from radiomix.extraction.multimodal import MASK_INTERPOLATIONS

        if mask_interpolation not in MASK_INTERPOLATIONS:
            raise ConfigError(
                f"mask interpolation {mask_interpolation!r}: use one of "
                f"{', '.join(MASK_INTERPOLATIONS)}"
            )
        unknown = sorted(set(modality_settings or {}) - set(manifest.modalities))
        if unknown:
            raise ConfigError(
                f"settings given for modality {', '.join(unknown)}; the manifest's "
                f"modalities are {', '.join(manifest.modalities)}"
            )
    elif modality_settings:
        raise ConfigError(
            "settings per modality need a manifest with several images per case "
            "(image_<modality> columns or a modality column)"
        )
    store = cache.folder / "input-hashes.json" if cache is not None else None
    hasher = InputHasher(store)
    paths = [p for c in manifest.cases for p in _case_paths(c)]
    hashes = hasher.hash_many(paths, threads=hash_threads)
    if cache is not None:
        hasher.save()
    log.info("hashed %d input path(s), %.1f MiB read", len(set(paths)), hasher.bytes_read / 2**20)

    # the name and description of a configuration label it; they change no value
    plain_settings = {
        k: v for k, v in settings_to_dict(settings).items() if k not in ("name", "description")
    }
    version = environment_versions()["radiomix_version"]
    s_hash = settings_hash(settings)
    outcomes: list[CaseOutcome] = []
    tasks: list[Any] = []
    keys: dict[int, str] = {}
    if manifest.multi_image:
        per_mod = {m: (modality_settings or {}).get(m, settings) for m in manifest.modalities}
        multi = _MultiPlan(per_mod, mask_interpolation, allow_background, version)
    for i, case in enumerate(manifest.cases):
        if manifest.multi_image:
            done = multi.plan(i, case, hashes, cache, tasks, keys)
            if done is not None:
                outcomes.append(done)
            continue
        h_img, h_msk = hashes[case.image], hashes[case.mask]
        if isinstance(h_img, RadiomixError) or isinstance(h_msk, RadiomixError):
            err = h_img if isinstance(h_img, RadiomixError) else h_msk
            assert isinstance(err, RadiomixError)
            outcomes.append(_input_error(case, i, err))
            log.warning("case %s failed: %s: %s", case.case_id, type(err).__name__, err)
            continue
        key = case_key(h_img, h_msk, case.label, plain_settings, version)
        keys[i] = key
        cached = cache.get(key) if cache is not None else None
        if cached is not None:
            outcomes.append(CaseOutcome(i, case.case_id, rows=tuple(cached), from_cache=True))
            continue
        prov = (
            ("image_sha256", h_img),
            ("mask_sha256", h_msk),
            ("settings_hash", s_hash),
        )
        tasks.append(
            CaseTask(
                i,
                case.case_id,
                case.image,
                case.mask,
                case.label,
                settings,
                prov,
                allow_background,
            )
        )
    n_cached = sum(o.from_cache for o in outcomes)
    log.info("%d case(s): %d from cache, %d to compute", len(manifest), n_cached, len(tasks))

    progress.start(len(tasks), n_cached, executor.description)
    try:
        run: Callable[[Any], CaseOutcome] = run_multi_case if manifest.multi_image else run_case
        for outcome in executor.map_unordered(run, tasks, _lost):
            if outcome.ok and cache is not None:
                cache.put(keys[outcome.index], list(outcome.rows), outcome.case_id)
            outcomes.append(outcome)
            progress.advance(outcome)
    finally:
        progress.close()
    outcomes.sort(key=lambda o: o.index)
    return BatchResult(
        table=_assemble(manifest, outcomes),
        errors=_errors_table(manifest, outcomes),
        settings=settings,
        outcomes=outcomes,
        n_cached=n_cached,
        n_computed=len(tasks),
        seconds=time.perf_counter() - t_start,
    )


def extract_batch(
    manifest: str | Path | Manifest,
    config: str | Path | dict[str, Any] | ExtractionSettings | None = None,
    *,
    jobs: int | None = 1,
    scheduler: str | None = None,
    cache_dir: str | Path | None = None,
    label: str | None = None,
    progress: ProgressReporter | None = None,
    allow_background: bool = False,
    modality_config: Mapping[str, str | Path | dict[str, Any] | ExtractionSettings] | None = None,
    mask_interpolation: str = "nearest",
) -> BatchResult:
    """Extract the features of every case of a manifest (the Python face of
    ``radiomix extract --manifest``).

    Parameters
    ----------
    manifest : path or Manifest
        CSV with ``case_id,image,mask[,label]`` (or PyRadiomics' ``Image,Mask[,Label]``).
    config : preset name, YAML path, mapping or ExtractionSettings, optional
        Settings for every case (default: the ``default`` preset).
    jobs : int or None
        Local worker processes; 1 (default here) runs in this process, None uses all cores.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://HOST:PORT``); then ``jobs`` must be None.
    cache_dir : path, optional
        Cache of finished cases (resume); None computes everything.
    label : str, optional
        Label for rows without one (see :func:`label_argument`).
    progress : ProgressReporter, optional
        Progress receiver (default: none).
    allow_background : bool
        Accept label 0 (the background) as an ROI (see :func:`run_batch`).
    modality_config : mapping of modality -> settings source, optional
        Several images per case: modalities with settings of their own
        (``{"pet": "pet.yaml"}``); the others use ``config``.
    mask_interpolation : {"nearest", "linear"}
        Several images per case: how the mask is carried onto the other grids.

    Returns
    -------
    BatchResult

    Examples
    --------
    >>> from radiomix.extraction.batch import extract_batch
    >>> result = extract_batch("cases.csv", "default", jobs=None)  # doctest: +SKIP
    >>> result.table.to_parquet("features.parquet")  # doctest: +SKIP
    """
    settings = load_config(config)
    m = (
        manifest
        if isinstance(manifest, Manifest)
        else read_manifest(manifest, default_label=label, multi_image=True)
    )
    per_mod = {k: load_config(v) for k, v in (modality_config or {}).items()}
    executor = make_executor(jobs=jobs, scheduler=scheduler)
    cache = ResultCache(cache_dir) if cache_dir is not None else None
    return run_batch(
        m,
        settings,
        executor=executor,
        cache=cache,
        progress=progress,
        allow_background=allow_background,
        modality_settings=per_mod,
        mask_interpolation=mask_interpolation,
    )


# -- voxel maps -----------------------------------------------------------------------------

#: One case of a voxel-mode run: ``(image, mask, label cell of the manifest or None)`` ->
#: ``(the label extracted, the case's values)``; the values are ``diagnostics_*`` entries and
#: one feature map per feature as a SimpleITK image. It must pickle (a module-level function,
#: or a ``functools.partial`` of one) to reach worker processes.
VoxelCompute = Callable[[str, str, str | None], tuple[int, Mapping[str, Any]]]


@dataclass(frozen=True)
class VoxelTask:
    """One manifest case of a voxel-mode run: picklable, sent to any executor."""

    index: int
    case_id: str
    image: str
    mask: str
    label: str | None
    row: int  # the manifest's 1-based data row: the maps are Case-<row>_<feature>.nrrd
    maps: str
    compute: VoxelCompute


def _write_map(image: Any, path: str) -> None:
    import SimpleITK as sitk

    sitk.WriteImage(image, path, True)


def write_voxel_maps(values: Mapping[str, Any], row: int, maps: str | Path) -> dict[str, Any]:
    """Write every SimpleITK image of ``values`` as the compressed NRRD file
    ``<maps>/Case-<row>_<key>.nrrd`` (atomically) and give ``values`` with those images
    replaced by their paths, in the same order."""
    import SimpleITK as sitk

    folder = Path(maps)
    out: dict[str, Any] = {}
    folder.mkdir(parents=True, exist_ok=True)
    for key, value in values.items():
        if isinstance(value, sitk.Image):
            target = folder / f"Case-{row}_{key}.nrrd"
            atomic_write(target, partial(_write_map, value))
            out[key] = str(target)
        else:
            out[key] = value
    return out


def run_voxel_case(task: VoxelTask) -> CaseOutcome:
    """Compute one case's maps and write them; any error is returned, not raised (the
    batch goes on). The outcome's one row holds ``roi`` (the label), then the values with
    the maps' paths."""

    def compute() -> list[dict[str, Any]]:
        label, values = task.compute(task.image, task.mask, task.label)
        return [{"roi": str(label), **write_voxel_maps(values, task.row, task.maps)}]

    return _measured(task.index, task.case_id, compute)


@dataclass
class VoxelBatchResult:
    """A finished voxel-mode batch: the table of map paths, the errors table, the outcomes."""

    table: pd.DataFrame
    errors: pd.DataFrame
    outcomes: list[CaseOutcome] = field(default_factory=list)

    @property
    def n_failed(self) -> int:
        return sum(not o.ok for o in self.outcomes)

    @property
    def n_cases(self) -> int:
        return len(self.outcomes)


def _voxel_table(manifest: Manifest, outcomes: Sequence[CaseOutcome]) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for o in outcomes:
        if not o.ok:
            continue
        case = manifest.cases[o.index]
        carried = manifest.carried.iloc[o.index].to_dict() if manifest.carried_columns else {}
        (values,) = o.rows
        rows.append({"case_id": case.case_id, "roi": values["roi"], **carried, **values})
    return pd.DataFrame(rows)


def run_voxel_batch(
    manifest: Manifest,
    compute: VoxelCompute,
    maps: str | Path,
    *,
    executor: Executor | None = None,
    progress: ProgressReporter | None = None,
) -> VoxelBatchResult:
    """Voxel-based feature maps of every case of a manifest; one bad case never stops the
    others.

    Parameters
    ----------
    manifest : Manifest
        The cases (see :func:`radiomix.extraction.manifest.read_manifest`).
    compute : VoxelCompute
        One case's label and values (diagnostics and SimpleITK maps), see
        :data:`VoxelCompute`.
    maps : path
        Folder of the maps, ``Case-<row>_<feature>.nrrd`` (``<row>``: the manifest's 1-based
        data row); workers of a cluster must see it.
    executor : Executor, optional
        Where the cases run (default: in this process).
    progress : ProgressReporter, optional
        Receives progress (default: none).

    Returns
    -------
    VoxelBatchResult
        ``table``: one row per finished case in manifest order with ``case_id, roi``, the
        carried manifest columns, the ``diagnostics_*`` values, then one column per feature
        holding its map's path; ``errors``: one row per failed case (:data:`ERROR_COLUMNS`).
    """
    executor = executor if executor is not None else InProcessExecutor()
    progress = progress if progress is not None else _NoProgress()
    folder = str(Path(maps).resolve())
    tasks = [
        VoxelTask(k, c.case_id, c.image, c.mask, c.label, c.row, folder, compute)
        for k, c in enumerate(manifest.cases)
    ]
    outcomes: list[CaseOutcome] = []
    progress.start(len(tasks), 0, executor.description)
    try:
        for outcome in executor.map_unordered(run_voxel_case, tasks, _lost):
            outcomes.append(outcome)
            progress.advance(outcome)
    finally:
        progress.close()
    outcomes.sort(key=lambda o: o.index)
    return VoxelBatchResult(
        table=_voxel_table(manifest, outcomes),
        errors=_errors_table(manifest, outcomes),
        outcomes=outcomes,
    )
