"""``radiomix robustness``: ICC(1,1) of every feature under image and mask perturbation."""

from __future__ import annotations

import argparse
from pathlib import Path

from radiomix._outputs import write_table
from radiomix.errors import ConfigError


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
            "The config is an extraction config with an optional 'perturbation:' section."
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
    p.add_argument("--out", required=True, help="output CSV (ICC table)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from radiomix.segment.robustness import (
        RobustnessCase,
        load_robustness_config,
        read_robustness_manifest,
        robustness_table,
    )

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
    write_table(table, args.out)
    errors = table.attrs.get("errors", {})
    robust = int((table["icc"] >= 0.75).sum())
    print(
        f"radiomix: wrote {args.out}: {len(table)} features, {len(cases) - len(errors)} case(s), "
        f"{pert.n_perturbations} perturbations each; ICC >= 0.75: {robust}"
        + (f"; {len(errors)} case(s) left out (see the log)" if errors else "")
    )
    return 0
