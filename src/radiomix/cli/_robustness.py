"""``radiomix robustness``: ICC(1,1) of every feature under image and mask perturbation."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radiomix._outputs import write_table
from radiomix.cli._checks import EXIT_SOME_FAILED, check_table_out, errors_table_path
from radiomix.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "robustness",
        help="feature robustness (ICC) under mask and image perturbation",
        description=(
            "Perturb each case (rotation, sub-voxel shift, mask growth/shrinkage, contour "
            "randomisation, noise), extract features from every copy and write, per feature, "
            "the ICC(1,1) over cases with its 95%% CI and the coefficient of variation. Give "
            "IMAGE MASK for one case (ICC undefined: read the cv column) or --manifest "
            "CASES.csv (columns case_id,image,mask[,label]; paths relative to its folder). "
            "The config is an extraction config with an optional 'perturbation:' section. "
            "Exit status: 0 every case used, 3 some cases failed (see <out stem>.errors.csv), "
            "2 bad input."
        ),
    )
    p.add_argument("image", nargs="?", help="image file (single-case form)")
    p.add_argument("mask", nargs="?", help="mask file (single-case form)")
    p.add_argument("--manifest", help="CSV of cases: case_id,image,mask[,label]")
    p.add_argument("--label", type=int, help="ROI label (single-case form)")
    p.add_argument("--config", help="preset name or YAML file (default: the 'default' preset)")
    p.add_argument("--n-perturbations", type=int, help="copies per case (overrides the config)")
    p.add_argument("--seed", type=int, help="random seed (overrides the config)")
    p.add_argument("--jobs", type=int, default=None, help="processes (default: all cores)")
    p.add_argument("--out", required=True, help="output table (ICC): .csv, .parquet or .json")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from radiomix.studies.robustness import (
        RobustnessCase,
        load_robustness_config,
        read_robustness_manifest,
        robustness_table,
    )

    to_file = check_table_out(args.out) is not None  # "-": standard output
    if args.manifest:
        if args.image or args.mask:
            raise ConfigError("give either IMAGE MASK or --manifest, not both")
        cases = read_robustness_manifest(args.manifest)
    elif args.image and args.mask:
        cases = [RobustnessCase(Path(args.image).name, args.image, args.mask, args.label)]
    else:
        raise ConfigError("give IMAGE MASK (one case) or --manifest CASES.csv")
    settings, pert = load_robustness_config(args.config)
    changes = {}
    if args.n_perturbations is not None:
        changes["n_perturbations"] = args.n_perturbations
    if args.seed is not None:
        changes["seed"] = args.seed
    if changes:
        from dataclasses import asdict

        from radiomix.segment.perturb import perturbation_settings

        pert = perturbation_settings({**asdict(pert), **changes})
    table = robustness_table(cases, settings, perturbation=pert, n_jobs=args.jobs)
    errors = table.attrs.get("errors", {})
    write_table(table, args.out)
    errors_path = errors_table_path(args.out) if to_file else None
    if errors_path is not None and errors:
        write_table(_errors_table(cases, errors), errors_path)
    elif errors_path is not None:
        errors_path.unlink(missing_ok=True)  # a stale table from an earlier run would mislead
    robust = int((table["icc"] >= 0.75).sum())
    print(
        f"radiomix: wrote {args.out}: {len(table)} features, {len(cases) - len(errors)} case(s), "
        f"{pert.n_perturbations} perturbations each; ICC >= 0.75: {robust}"
        + (f"; {len(errors)} case(s) left out (see {errors_path or 'the log'})" if errors else "")
    )
    return EXIT_SOME_FAILED if errors else 0


def _errors_table(cases: list[Any], errors: dict[str, str]) -> pd.DataFrame:
    """The failed cases as ``radiomix extract --manifest`` lists them (``ERROR_COLUMNS``)."""
    import pandas as pd

    from radiomix.extraction.batch import ERROR_COLUMNS

    rows = []
    for case in cases:
        if case.case_id in errors:
            kind, _, message = errors[case.case_id].partition(": ")
            rows.append(
                {
                    "case_id": case.case_id,
                    "label": "" if case.label is None else str(case.label),
                    "image": str(case.image),
                    "mask": str(case.mask),
                    "error_type": kind,
                    "message": message,
                    "traceback": "",
                }
            )
    return pd.DataFrame(rows, columns=ERROR_COLUMNS)
