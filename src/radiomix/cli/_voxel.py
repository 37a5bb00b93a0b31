"""``radiomix extract ... --mode voxel``: feature maps, one value per ROI voxel.

With ``--params P.yaml`` PyRadiomics' voxel mode, with ``--config`` the ``ibsi`` profile's
maps (:mod:`radiomix.extraction.voxel`, ``--kernel-radius``). Each case's maps are written
as ``Case-<row>_<feature>.nrrd`` in the maps folder and the table holds one row per case
with their paths; a manifest runs through :func:`radiomix.extraction.batch.run_voxel_batch`
(docs/voxel-maps.md, docs/pyradiomics-profile.md "Voxel-based extraction"). This module
parses the options, checks the outputs, gives the per-case computation (:func:`voxel_case`)
and prints.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radiomix._outputs import write_table
from radiomix.cli._checks import (
    EXIT_SOME_FAILED,
    check_outputs,
    errors_table_path,
    parse_labels,
)
from radiomix.errors import ConfigError

if TYPE_CHECKING:
    from radiomix.compat.featureextractor import RadiomicsFeatureExtractor
    from radiomix.extraction.batch import CaseOutcome

__all__ = ["run_voxel", "voxel_case"]


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


def voxel_case(
    extractor: RadiomicsFeatureExtractor, image: str, mask: str, label: str | None
) -> tuple[int, Mapping[str, Any]]:
    """One case through the PyRadiomics face: the label extracted (``label``, else the
    parameters' own) and ``execute(..., voxelBased=True)``'s diagnostics and SimpleITK maps
    (a :data:`radiomix.extraction.batch.VoxelCompute` once ``extractor`` is bound; the
    extractor holds plain parameters, so it pickles to worker processes)."""
    lab = _one_label(label, int(extractor.settings.get("label", 1)))
    return lab, extractor.execute(image, mask, label=lab, voxelBased=True)


class _CaseLines:
    """Progress of a voxel-mode batch: a line per failed case, and per finished case unless
    ``--quiet``."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def start(self, total: int, cached: int, description: str) -> None:
        return None

    def advance(self, outcome: CaseOutcome) -> None:
        if not outcome.ok:
            print(f"radiomix: case {outcome.case_id} failed: {outcome.message}", file=sys.stderr)
        elif not self.quiet:
            print(f"radiomix: case {outcome.case_id} done", file=sys.stderr)

    def close(self) -> None:
        return None


def run_voxel(args: argparse.Namespace) -> int:
    """Voxel mode for IMAGE MASK or --manifest (see the module notes)."""
    import pandas as pd

    from radiomix.compat.featureextractor import RadiomicsFeatureExtractor
    from radiomix.extraction.batch import write_voxel_maps

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
    parse_labels(args.label, args.allow_background)  # label 0 needs --allow-background
    labels = args.label or []
    if len(labels) > 1 or (labels and "," in labels[0]):
        raise ConfigError("--mode voxel extracts one label: give --label once")
    compute: Any
    if args.params is None:  # the ibsi profile's maps (--config)
        from radiomix.extraction.settings import load_config
        from radiomix.extraction.voxel import voxel_case as ibsi_voxel_case
        from radiomix.extraction.voxel import voxel_settings

        settings = load_config(args.config)
        voxel_settings(settings, None)  # a profile or families without maps: say so now
        radius = 1 if args.kernel_radius is None else args.kernel_radius
        compute = partial(ibsi_voxel_case, settings, radius)
    else:
        if args.kernel_radius is not None:
            raise ConfigError(
                "--kernel-radius applies to the ibsi profile's maps; with --params the radius "
                "is the parameter file's kernelRadius (voxelSetting)"
            )
        from radiomix.compat.featureextractor import RadiomicsFeatureExtractor

        compute = partial(voxel_case, RadiomicsFeatureExtractor(args.params))
    check_outputs(out, folders={"--out-dir": maps})

    if args.manifest is None:
        if args.image is None or args.mask is None:
            raise ConfigError("give IMAGE and MASK, or --manifest CASES.csv")
        for opt in ("jobs", "scheduler"):
            if getattr(args, opt) is not None:
                raise ConfigError(f"--{opt} applies to --manifest runs only")
        case_id = args.case_id or Path(args.image).name
        label, values = compute(args.image, args.mask, labels[0] if labels else None)
        row = {"case_id": case_id, "roi": str(label)}
        row.update(write_voxel_maps(values, 1, maps))
        write_table(pd.DataFrame([row]), out)
        print(f"radiomix: maps in {maps}, table in {out}", file=sys.stderr)
        return 0

    from radiomix.extraction.batch import run_voxel_batch
    from radiomix.extraction.executors import make_executor
    from radiomix.extraction.manifest import read_manifest

    if args.image is not None or args.mask is not None:
        raise ConfigError("give either IMAGE MASK or --manifest, not both")
    if args.case_id is not None:
        raise ConfigError("--case-id applies to IMAGE MASK; a manifest gives its own case ids")
    manifest = read_manifest(args.manifest, default_label=labels[0] if labels else None)
    executor = make_executor(jobs=args.jobs, scheduler=args.scheduler)
    result = run_voxel_batch(
        manifest, compute, maps, executor=executor, progress=_CaseLines(args.quiet)
    )
    write_table(result.table, out)
    errors_path = errors_table_path(out)
    if result.n_failed:
        write_table(result.errors, str(errors_path))
    else:
        errors_path.unlink(missing_ok=True)
    print(
        f"radiomix: {len(manifest)} case(s), {result.n_failed} failed; maps in {maps}, "
        f"table in {out}" + (f"; errors in {errors_path}" if result.n_failed else ""),
        file=sys.stderr,
    )
    return EXIT_SOME_FAILED if result.n_failed else 0
