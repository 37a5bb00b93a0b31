"""``radiomix extract``: features of one case (IMAGE MASK) or of a cohort (--manifest).

Exit status of a manifest run: 0 when every case succeeded, 3 when some failed (their
errors are in ``<out stem>.errors.csv``), 2 for bad command-line input or an unreadable
manifest, 130 when interrupted (rerun the same command to resume).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radiomix._outputs import atomic_write_text, write_table
from radiomix.cli._checks import (
    EXIT_SOME_FAILED,
    check_outputs,
    errors_table_path,
    parse_labels,
    sibling,
)
from radiomix.errors import ConfigError
from radiomix.extraction.provenance import PROVENANCE_PREFIX
from radiomix.extraction.settings import ExtractionSettings, load_config

if TYPE_CHECKING:
    import pandas as pd

    from radiomix.extraction.batch import BatchResult
    from radiomix.extraction.manifest import Manifest

# the extraction machinery (numpy, pandas, SimpleITK, numba, ...) is imported inside the
# functions that run a command: `radiomix --help` and the other commands start fast


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "extract",
        help="extract features of an image and its mask, or of every case of a manifest",
        description=(
            "Extract IBSI features of IMAGE inside MASK, or of every case listed in a "
            "manifest (--manifest CASES.csv), and write a table (CSV, or Parquet for a "
            ".parquet output). Exit status: 0 all cases succeeded, 3 some cases failed "
            "(see <out stem>.errors.csv), 2 bad input."
        ),
    )
    p.add_argument("image", nargs="?", help="image file or DICOM series folder")
    p.add_argument("mask", nargs="?", help="mask file (binary or label map) on the image grid")
    p.add_argument(
        "--manifest",
        metavar="CASES.csv",
        help="CSV of cases: case_id,image,mask[,label] (or PyRadiomics' Image,Mask[,Label]); "
        "other columns are carried into the output; relative paths are relative to the CSV. "
        "Several images per case: image_<modality> columns (or a modality column, one row "
        "per case and modality), the mask on one of them (mask_on), transform_<modality> "
        "optional; features per modality, named <modality>_<feature>",
    )
    src = p.add_argument_group("configuration (one source)")
    cfg = src.add_mutually_exclusive_group()
    cfg.add_argument("--config", help="preset name or YAML file (default: the 'default' preset)")
    cfg.add_argument(
        "--params",
        metavar="PARAMS.yaml",
        help="a PyRadiomics parameter file (YAML or JSON): PyRadiomics' definitions (the "
        "'pyradiomics' profile) and column names; its 'label' setting is the default label",
    )
    p.add_argument(
        "--label",
        action="append",
        help="ROI label value; repeat (or give 1,2) for one row per label; without it (or "
        "with 'all') every non-zero label of a label map is its own ROI (the roi column "
        "holds the label); 'union' takes every non-zero voxel as one ROI (with --manifest: "
        "the label of rows that give none)",
    )
    p.add_argument(
        "--allow-background",
        action="store_true",
        help="accept label 0 (the background) as an ROI; without it --label 0 is an error",
    )
    p.add_argument(
        "--out",
        required=True,
        help="output table: .csv, .parquet or .json (with IMAGE MASK also '-' for standard output)",
    )
    p.add_argument(
        "--format",
        choices=("wide", "long"),
        default="wide",
        help="table layout: wide (one row per ROI) or long (one row per feature; with "
        "--manifest only for --params)",
    )
    p.add_argument("--case-id", help="case identifier (default: the image file name)")
    p.add_argument(
        "--mode",
        choices=("segment", "voxel"),
        default="segment",
        help="segment (one value per feature and ROI, the default) or voxel (a feature map "
        "per feature: one value per ROI voxel from the kernel around it, written as NRRD "
        "files; the table holds their paths); with --params PyRadiomics' maps",
    )
    p.add_argument(
        "--kernel-radius",
        type=int,
        metavar="R",
        help=(
            "--mode voxel with --config: kernel radius in voxels (default 1: 3x3x3 kernels, "
            "3x3 in the slice for the 2D and 2.5D aggregations)"
        ),
    )
    p.add_argument(
        "--out-dir",
        metavar="DIR",
        help="--mode voxel: folder of the feature maps (default: <out stem>.maps beside --out)",
    )
    multi = p.add_argument_group("several images per case (a multi-image --manifest)")
    multi.add_argument(
        "--modality-config",
        action="append",
        metavar="MODALITY=CONFIG",
        help="settings of one modality (preset name or YAML file), e.g. pet=pet.yaml; "
        "repeat per modality; the others use --config / --params",
    )
    multi.add_argument(
        "--mask-interpolation",
        choices=("nearest", "linear"),
        help="how the mask is carried onto the other images' grids: nearest (default) or "
        "linear (each label's indicator interpolated, kept where >= 0.5)",
    )
    batch = p.add_argument_group("cohort runs (with --manifest)")
    where = batch.add_mutually_exclusive_group()
    where.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="local worker processes (default: all cores; 1 runs in this process)",
    )
    where.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run the cases on an existing Dask cluster (needs radiomix[dask])",
    )
    batch.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="cache of finished cases, for resuming (default: <out stem>.cache beside the output)",
    )
    batch.add_argument(
        "--no-cache", action="store_true", help="compute every case; read and write no cache"
    )
    batch.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar or per-case lines: only failures and the final summary",
    )
    p.set_defaults(func=run)


def _settings(args: argparse.Namespace) -> ExtractionSettings:
    """The resolved settings of ``--config`` or ``--params``."""
    if getattr(args, "params", None) is not None:
        from radiomix.compat.params import settings_from_params

        return settings_from_params(args.params)
    return load_config(args.config)


def _default_labels(
    labels: list[int | str] | str | None, settings: ExtractionSettings
) -> list[int | str] | str | None:
    """Without --label, a PyRadiomics parameter file's ``label`` (default 1) applies."""
    if labels is None and settings.profile == "pyradiomics":
        return [settings.pyradiomics.label]
    return labels


def _manifest_long(manifest: Manifest, result: BatchResult) -> pd.DataFrame:
    """The long table of a ``pyradiomics``-profile batch: ``case_id, roi``, the carried
    manifest columns, then :func:`~radiomix.extraction.api.pyradiomics_long`'s columns;
    the ``provenance_*`` values are rows of family ``provenance``."""
    import numpy as np
    import pandas as pd

    from radiomix.extraction.api import pyradiomics_long

    rows: list[tuple[str, str, dict[str, Any]]] = []
    source: list[int] = []
    for o in result.outcomes:
        case = manifest.cases[o.index]
        for r in o.rows:
            paths = {
                PROVENANCE_PREFIX + "image": case.image_text,
                PROVENANCE_PREFIX + "mask": case.mask_text,
            }
            rest = {k: v for k, v in r.items() if k != "roi"}
            rows.append((case.case_id, str(r["roi"]), {**paths, **rest}))
            source.append(o.index)
    long = pyradiomics_long(rows)
    counts = [len(row) for _, _, row in rows]
    at = np.repeat(np.asarray(source, dtype=np.intp), counts)
    carried = manifest.carried.iloc[at].reset_index(drop=True)
    return pd.concat([long[["case_id", "roi"]], carried, long.iloc[:, 2:]], axis=1)


def _modality_configs(args: argparse.Namespace) -> dict[str, ExtractionSettings]:
    """``--modality-config MOD=CONFIG`` (repeated) resolved: ``{modality: settings}``."""
    out: dict[str, ExtractionSettings] = {}
    for item in args.modality_config or []:
        mod, sep, source = item.partition("=")
        if not sep or not mod.strip() or not source.strip():
            raise ConfigError(
                f"--modality-config {item!r}: give MODALITY=CONFIG (e.g. pet=pet.yaml)"
            )
        if mod.strip() in out:
            raise ConfigError(f"--modality-config: {mod.strip()} is given twice")
        out[mod.strip()] = load_config(source.strip())
    return out


def _multi_long(manifest: Manifest, result: BatchResult) -> pd.DataFrame:
    """The long table of a multi-image batch (``pyradiomics`` profile): as
    :func:`_manifest_long` with a ``modality`` column after ``roi`` (empty for the
    ``provenance_*`` rows, which belong to the case); ``feature`` holds the column name
    without the modality."""
    import numpy as np
    import pandas as pd

    from radiomix.extraction.api import pyradiomics_long
    from radiomix.extraction.batch import case_path_columns

    rows: list[tuple[str, str, dict[str, Any]]] = []
    modality: list[str] = []
    source: list[int] = []
    for o in result.outcomes:
        case = manifest.cases[o.index]
        for r in o.rows:
            roi = str(r["roi"])
            parts: dict[str, dict[str, Any]] = {"": dict(case_path_columns(case))}
            parts.update({m: {} for m in manifest.modalities})
            for key, value in r.items():
                if key == "roi":
                    continue
                if key.startswith(PROVENANCE_PREFIX):
                    parts[""][key] = value
                elif key.startswith("diagnostics_"):
                    mod, _, tag = key[len("diagnostics_") :].partition("_")
                    parts[mod]["diagnostics_" + tag] = value
                else:
                    mod, _, name = key.partition("_")
                    parts[mod][name] = value
            for mod, part in parts.items():
                rows.append((case.case_id, roi, part))
                modality.append(mod)
                source.append(o.index)
    long = pyradiomics_long(rows)
    counts = [len(row) for _, _, row in rows]
    at = np.repeat(np.asarray(source, dtype=np.intp), counts)
    carried = manifest.carried.iloc[at].reset_index(drop=True)
    mods = pd.Series(np.repeat(np.asarray(modality, dtype=object), counts), name="modality")
    return pd.concat([long[["case_id", "roi"]], mods, carried, long.iloc[:, 2:]], axis=1)


def run_manifest(args: argparse.Namespace) -> int:
    """``radiomix extract --manifest``: the cohort, its errors table and settings file."""
    from radiomix.extraction.api import PYRADIOMICS_LONG_COLUMNS
    from radiomix.extraction.batch import (
        LogProgress,
        ProgressReporter,
        RichProgress,
        run_batch,
    )
    from radiomix.extraction.cache import ResultCache
    from radiomix.extraction.executors import make_executor
    from radiomix.extraction.manifest import read_manifest
    from radiomix.extraction.settings import settings_to_yaml

    if args.image is not None or args.mask is not None:
        raise ConfigError("give either IMAGE MASK or --manifest, not both")
    if args.out == "-":
        raise ConfigError(
            "--manifest needs a file for --out (the errors and settings go beside it)"
        )
    if args.case_id is not None:
        raise ConfigError("--case-id applies to IMAGE MASK; a manifest gives its own case ids")
    if args.no_cache and args.cache_dir is not None:
        raise ConfigError("give either --cache-dir or --no-cache")
    settings = _settings(args)
    if args.format != "wide" and settings.profile != "pyradiomics":
        raise ConfigError(
            "--manifest writes the wide table only (the long table needs --params); drop "
            "--format long"
        )
    labels = _default_labels(parse_labels(args.label, args.allow_background), settings)
    default_label = (
        None
        if labels is None
        else labels
        if isinstance(labels, str)
        else ",".join(str(v) for v in labels)
    )
    out = Path(args.out)
    cache_dir = None if args.no_cache else Path(args.cache_dir or sibling(out, ".cache"))
    check_outputs(out, folders={"--cache-dir": cache_dir})
    manifest = read_manifest(args.manifest, default_label=default_label, multi_image=True)
    modality_settings = _modality_configs(args)
    if not manifest.multi_image and (modality_settings or args.mask_interpolation):
        raise ConfigError(
            "--modality-config and --mask-interpolation need a manifest with several images "
            "per case (image_<modality> columns or a modality column)"
        )
    if args.format == "long":
        clash = sorted(set(manifest.carried_columns) & set(PYRADIOMICS_LONG_COLUMNS))
        if clash:
            raise ConfigError(
                f"manifest column(s) {clash} clash with the long table's columns: rename "
                "them, or drop --format long"
            )
    executor = make_executor(jobs=args.jobs, scheduler=args.scheduler)
    cache = ResultCache(cache_dir) if cache_dir is not None else None

    progress: ProgressReporter
    if args.quiet:
        progress = LogProgress(sys.stderr, every_case=False)
    elif sys.stderr.isatty():
        progress = RichProgress(sys.stderr)
    else:
        progress = LogProgress(sys.stderr, every_case=True)

    result = run_batch(
        manifest,
        settings,
        executor=executor,
        cache=cache,
        progress=progress,
        allow_background=args.allow_background,
        modality_settings=modality_settings,
        mask_interpolation=args.mask_interpolation or "nearest",
    )

    atomic_write_text(sibling(out, ".settings.yaml"), settings_to_yaml(settings))
    for mod, mod_settings in modality_settings.items():
        atomic_write_text(sibling(out, f".settings.{mod}.yaml"), settings_to_yaml(mod_settings))
    if args.format == "long":
        long = _multi_long if manifest.multi_image else _manifest_long
        table = long(manifest, result)
    else:
        table = result.table
    write_table(table, out)
    errors_path = errors_table_path(out)
    if result.n_failed:
        write_table(result.errors, errors_path)
    else:
        errors_path.unlink(missing_ok=True)  # a stale table from an earlier run would mislead
    print(
        f"radiomix: {result.n_cases} case(s): {result.n_cached} from cache, "
        f"{result.n_computed} computed, {result.n_failed} failed; {len(table)} row(s) "
        f"in {out} ({result.seconds:.1f} s)"
        + (f"; errors in {errors_path}" if result.n_failed else ""),
        file=sys.stderr,
    )
    return EXIT_SOME_FAILED if result.n_failed else 0


def run(args: argparse.Namespace) -> int:
    if args.mode == "voxel" and (args.modality_config or args.mask_interpolation):
        raise ConfigError("--modality-config and --mask-interpolation apply to --mode segment")
    if args.kernel_radius is not None and args.mode != "voxel":
        raise ConfigError("--kernel-radius applies to --mode voxel")
    if args.kernel_radius is not None and args.kernel_radius < 1:
        raise ConfigError(f"--kernel-radius must be a positive integer, got {args.kernel_radius}")
    if args.mode == "voxel":
        from radiomix.cli._voxel import run_voxel

        return run_voxel(args)
    if args.out_dir is not None:
        raise ConfigError("--out-dir applies to --mode voxel (feature maps)")
    if args.manifest is not None:
        return run_manifest(args)
    from radiomix.extraction.api import extract

    if args.image is None or args.mask is None:
        raise ConfigError("give IMAGE and MASK, or --manifest CASES.csv")
    for opt in ("jobs", "scheduler", "cache_dir", "modality_config", "mask_interpolation"):
        if getattr(args, opt) is not None:
            raise ConfigError(f"--{opt.replace('_', '-')} applies to --manifest runs only")
    labels = parse_labels(args.label, args.allow_background)
    check_outputs(args.out)
    settings = _settings(args)
    table = extract(
        args.image,
        args.mask,
        config=settings,
        label=_default_labels(labels, settings),
        case_id=args.case_id,
        format=args.format,
        allow_background=args.allow_background,
    )
    write_table(table, args.out)
    return 0
