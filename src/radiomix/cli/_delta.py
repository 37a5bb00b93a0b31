"""``radiomix delta FEATURES --case-col C --time-col T --out DELTA.csv``: delta radiomics."""

from __future__ import annotations

import argparse
import sys

from radiomix.cli._checks import check_table_out


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "delta",
        help="changes of every feature from a baseline timepoint (delta radiomics)",
        description=(
            "Pair each case's (and ROI's) later rows of a longitudinal feature table with its "
            "baseline row and write the absolute change delta_abs_<feature> = f(t) - f(t0) "
            "and the relative change delta_rel_<feature> = (f(t) - f(t0)) / |f(t0)|. The "
            "relative change is left empty where |f(t0)| <= EPS x the median |f(t0)| of the "
            "cohort (or f(t0) = 0); how many were set so is printed. Cases without the "
            "baseline are listed and left out. Non-numeric columns and --carry columns are "
            "carried from the later row, so the table feeds radiomix train."
        ),
    )
    p.add_argument(
        "features", metavar="FEATURES", help="feature table (CSV or Parquet), one row per scan"
    )
    p.add_argument("--case-col", default="case_id", metavar="COLUMN", help="case (patient) column")
    p.add_argument("--time-col", default="timepoint", metavar="COLUMN", help="timepoint column")
    p.add_argument(
        "--baseline", metavar="VALUE", help="baseline timepoint (default: the first, sorted)"
    )
    p.add_argument(
        "--roi-col", default="roi", metavar="COLUMN", help="pair rows by this column too"
    )
    p.add_argument(
        "--carry",
        action="append",
        default=[],
        metavar="COLUMN",
        help="numeric column carried unchanged, not differenced (e.g. a 0/1 label); repeatable",
    )
    p.add_argument(
        "--eps",
        type=float,
        default=0.01,
        metavar="X",
        help="near-zero threshold, relative to the cohort's median |baseline| (default 0.01)",
    )
    p.add_argument("--out", required=True, metavar="DELTA", help="output table (.csv, .parquet)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_table_out(args.out)
    from radiomix._outputs import write_table
    from radiomix.learn.delta import delta_features
    from radiomix.learn.table import read_table

    carry = [c.strip() for v in args.carry for c in v.split(",") if c.strip()]
    result = delta_features(
        read_table(args.features),
        case_col=args.case_col,
        time_col=args.time_col,
        baseline=args.baseline,
        roi_col=args.roi_col,
        carry=carry,
        eps=args.eps,
    )
    write_table(result.table, args.out)
    err = sys.stderr
    if result.missing_baseline:
        shown = ", ".join(result.missing_baseline[:10])
        more = " ..." if len(result.missing_baseline) > 10 else ""
        print(
            f"radiomix delta: {len(result.missing_baseline)} later row(s) without the "
            f"baseline {result.baseline!r}, left out: {shown}{more}",
            file=err,
        )
    if result.baseline_only:
        print(
            f"radiomix delta: {len(result.baseline_only)} case(s) with only the baseline: "
            + ", ".join(result.baseline_only[:10]),
            file=err,
        )
    n_rel = len(result.table) * len(result.features)
    print(
        f"{len(result.table)} row(s), {len(result.features)} features, baseline "
        f"{result.baseline!r}; {result.n_near_zero} of {n_rel} relative changes left empty "
        f"(baseline within {result.eps:g} x the cohort's median |baseline|): {args.out}",
        file=err if str(args.out) == "-" else sys.stdout,
    )
    return 0
