"""``radiomix extract ... --params P.yaml --mode voxel``: PyRadiomics' voxel mode.

As PyRadiomics' command line (``pyradiomics IMAGE MASK --mode voxel --out-dir DIR``) does,
each case's feature maps (:meth:`RadiomicsFeatureExtractor.execute` with
``voxelBased=True``) are written as compressed NRRD files named
``Case-<row>_<feature>.nrrd`` in the maps folder (``<row>``: the manifest's 1-based data row,
1 for IMAGE MASK), and the table (``--out``) holds one row per case: ``case_id``, ``roi``,
the manifest's carried columns, the ``diagnostics_*`` values, then one column per feature
holding the path of its map. A manifest's cases run on the executor of segment-based runs
(``--jobs`` local worker processes, all cores by default, one thread each; ``--jobs 1`` in
this process with the extraction threads; ``--scheduler`` a Dask cluster, whose workers
must see the maps folder); a failed case is recorded in ``<out stem>.errors.csv`` and the
others go on.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from radiomix._outputs import atomic_write, write_table
from radiomix.cli._checks import (
    EXIT_SOME_FAILED,
    check_outputs,
    errors_table_path,
    parse_labels,
)
from radiomix.errors import ConfigError

__all__ = ["VoxelOutcome", "VoxelTask", "run_voxel", "run_voxel_task"]


def _maps_dir(args: argparse.Namespace, out: Path) -> Path:
    return Path(args.out_dir) if args.out_dir else out.with_name(out.stem + ".maps")


def _one_label(label: str | int | None, default: int) -> int:
    """The single integer label of a voxel-mode case (PyRadiomics reads one per row)."""
    if label is None or str(label).strip() == "":
        return default
    try:
        return int(str(label).strip())
    except ValueError:
        raise ConfigError(
            f"voxel mode extracts one integer label per case, got {label!r}: give one "
            "label per manifest row (repeat the row for another label)"
        ) from None


def _case(
    extractor: Any, image: str, mask: str, label: int, row: int, maps: Path
) -> dict[str, Any]:
    """Diagnostics and map paths of one case; the maps are written to ``maps``."""
    import SimpleITK as sitk

    result = extractor.execute(image, mask, label=label, voxelBased=True)
    out: dict[str, Any] = {}
    maps.mkdir(parents=True, exist_ok=True)
    for key, value in result.items():
        if isinstance(value, sitk.Image):
            target = maps / f"Case-{row}_{key}.nrrd"
            atomic_write(target, partial(_write_map, value))
            out[key] = str(target)
        else:
            out[key] = value
    return out


def _write_map(image: Any, path: str) -> None:
    import SimpleITK as sitk

    sitk.WriteImage(image, path, True)


@dataclass(frozen=True)
class VoxelTask:
    """One manifest case of a voxel-mode run (picklable: sent to worker processes)."""

    index: int
    params: dict[str, Any]
    image: str
    mask: str
    label: str | None
    row: int
    maps: str


@dataclass(frozen=True)
class VoxelOutcome:
    """A case's values (``diagnostics_*`` and map paths), or its error."""

    index: int
    label: int | None = None
    values: dict[str, Any] | None = None
    error_type: str = ""
    message: str = ""
    traceback: str = ""


def run_voxel_task(task: VoxelTask) -> VoxelOutcome:
    """Run one case; any error is returned, not raised (the batch goes on)."""
    from radiomix.compat.featureextractor import RadiomicsFeatureExtractor

    try:
        extractor = RadiomicsFeatureExtractor(task.params)
        label = _one_label(task.label, int(extractor.settings.get("label", 1)))
        values = _case(extractor, task.image, task.mask, label, task.row, Path(task.maps))
    except Exception as exc:  # noqa: BLE001 - recorded per case, the others go on
        return VoxelOutcome(
            task.index,
            error_type=type(exc).__name__,
            message=str(exc),
            traceback=traceback.format_exc(),
        )
    return VoxelOutcome(task.index, label=label, values=values)


def _lost(task: VoxelTask, exc: BaseException) -> VoxelOutcome:
    """The outcome of a case whose worker process died."""
    return VoxelOutcome(task.index, error_type=type(exc).__name__, message=str(exc))


def run_voxel(args: argparse.Namespace) -> int:
    """Voxel mode for IMAGE MASK or --manifest (see the module notes)."""
    import pandas as pd

    from radiomix.compat.featureextractor import RadiomicsFeatureExtractor
    from radiomix.extraction.batch import ERROR_COLUMNS

    if args.params is None:
        raise ConfigError("--mode voxel needs a PyRadiomics parameter file (--params)")
    if args.cache_dir is not None or args.no_cache:
        raise ConfigError(
            "--mode voxel keeps no cache (the maps are files): drop --cache-dir / --no-cache"
        )
    if args.format != "wide":
        raise ConfigError("--mode voxel writes the wide table (map paths); drop --format long")
    if args.out == "-":
        raise ConfigError("--mode voxel needs a file for --out (the maps go beside it)")
    out = Path(args.out)
    maps = _maps_dir(args, out)
    check_outputs(out, folders={"--out-dir": maps})
    parse_labels(args.label, args.allow_background)  # label 0 needs --allow-background
    extractor = RadiomicsFeatureExtractor(args.params)
    default = int(extractor.settings.get("label", 1))
    labels = args.label or []
    if len(labels) > 1 or (labels and "," in labels[0]):
        raise ConfigError("--mode voxel extracts one label: give --label once")

    if args.manifest is None:
        if args.image is None or args.mask is None:
            raise ConfigError("give IMAGE and MASK, or --manifest CASES.csv")
        for opt in ("jobs", "scheduler"):
            if getattr(args, opt) is not None:
                raise ConfigError(f"--{opt} applies to --manifest runs only")
        label = _one_label(labels[0] if labels else None, default)
        case_id = args.case_id or Path(args.image).name
        row = {"case_id": case_id, "roi": str(label)}
        row.update(_case(extractor, args.image, args.mask, label, 1, maps))
        write_table(pd.DataFrame([row]), out)
        print(f"radiomix: maps in {maps}, table in {out}", file=sys.stderr)
        return 0

    from radiomix.extraction.executors import make_executor
    from radiomix.extraction.manifest import read_manifest

    if args.image is not None or args.mask is not None:
        raise ConfigError("give either IMAGE MASK or --manifest, not both")
    if args.case_id is not None:
        raise ConfigError("--case-id applies to IMAGE MASK; a manifest gives its own case ids")
    manifest = read_manifest(args.manifest, default_label=labels[0] if labels else None)
    executor = make_executor(jobs=args.jobs, scheduler=args.scheduler)
    params = extractor._params()
    tasks = [
        VoxelTask(k, params, c.image, c.mask, c.label, c.row, str(maps.resolve()))
        for k, c in enumerate(manifest.cases)
    ]
    outcomes: dict[int, VoxelOutcome] = {}
    for outcome in executor.map_unordered(run_voxel_task, tasks, _lost):
        outcomes[outcome.index] = outcome
        case = manifest.cases[outcome.index]
        if outcome.values is None:
            print(f"radiomix: case {case.case_id} failed: {outcome.message}", file=sys.stderr)
        elif not args.quiet:
            print(f"radiomix: case {case.case_id} done", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    errors: list[tuple[Any, ...]] = []
    for k, case in enumerate(manifest.cases):
        o = outcomes[k]
        if o.values is None:
            errors.append(
                (
                    case.case_id,
                    case.label or "",
                    case.image_text,
                    case.mask_text,
                    o.error_type,
                    o.message,
                    o.traceback,
                )
            )
            continue
        carried = manifest.carried.iloc[k].to_dict() if manifest.carried_columns else {}
        rows.append({"case_id": case.case_id, "roi": str(o.label), **carried, **o.values})
    table = pd.DataFrame(rows)
    write_table(table, out)
    errors_path = errors_table_path(out)
    if errors:
        write_table(pd.DataFrame(errors, columns=ERROR_COLUMNS), str(errors_path))
    else:
        errors_path.unlink(missing_ok=True)
    print(
        f"radiomix: {len(manifest)} case(s), {len(errors)} failed; maps in {maps}, table in {out}"
        + (f"; errors in {errors_path}" if errors else ""),
        file=sys.stderr,
    )
    return EXIT_SOME_FAILED if errors else 0
