"""``radiomix report RUN_DIR``: the self-contained HTML report of a study."""

from __future__ import annotations

import argparse
from pathlib import Path

from radiomix.cli._checks import ensure_writable, ensure_writable_dir


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="HTML report (with PNG figures) of a run directory",
        description=(
            "Write RUN_DIR/report.html: one self-contained file (figures embedded) that opens "
            "with what the study found in sentences (task, data, cohort flow, features, the "
            "primary model's AUC against the shape-only baseline and chance, what that allows "
            "one to claim), then the cohort, metrics with CIs, ROC, PR, calibration, confusion matrix, decision curve, "
            "feature selection, model comparison and permutation check; the figures also as "
            "PNG files in RUN_DIR/figures."
        ),
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory written by radiomix train")
    p.add_argument(
        "--out", metavar="FILE", help="HTML file to write (default: RUN_DIR/report.html)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # before the figures are drawn: the report and the figures folder beside it
    out = Path(args.out) if args.out else Path(args.run_dir) / "report.html"
    what = "--out" if args.out else "the report"
    ensure_writable(out, what)
    ensure_writable_dir(out.parent / "figures", what)
    from radiomix.report import build_report

    path = build_report(args.run_dir, args.out)
    print(f"report: {path}")
    return 0
