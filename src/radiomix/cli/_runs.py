"""``radiomix runs list [DIR]`` and ``radiomix runs compare RUN RUN ...``: tracked runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from radiomix.cli._checks import ensure_writable
from radiomix.errors import ConfigError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "runs",
        help="list and compare the runs of train, evaluate and study (their run.json)",
        description=(
            "Every radiomix train, evaluate and study run writes run.json into its folder: "
            "command, times, resolved settings, data fingerprint, code and library versions, "
            "headline metric. 'runs list' finds the runs under a folder; 'runs compare' shows "
            "runs side by side (see docs/learn.md, 'Tracked runs')."
        ),
    )
    cmds = p.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    ls = cmds.add_parser(
        "list",
        help="one row per run found under DIR (recursive), oldest first",
        description="Find the run folders under DIR (default: the current folder) and list "
        "them: id, kind, task, start time, duration, data fingerprint, model, headline metric.",
    )
    ls.add_argument("dir", nargs="?", default=".", metavar="DIR", help="folder to search")
    ls.add_argument("--out", metavar="TABLE", help="also write the table (.csv, .parquet, .json)")
    ls.set_defaults(func=run_list)
    cp = cmds.add_parser(
        "compare",
        help="runs side by side: metrics with CIs, data fingerprints, config differences",
        description="Compare two or more run folders: the metrics with CIs, whether they "
        "used the same data, and the settings that differ; --html writes one page with the "
        "curves overlaid (ROC; Kaplan-Meier of the risk groups; regression calibration).",
    )
    cp.add_argument("runs", nargs="+", metavar="RUN", help="run folders (two or more)")
    cp.add_argument("--html", metavar="OUT.html", help="write a self-contained HTML page")
    cp.set_defaults(func=run_compare)


def run_list(args: argparse.Namespace) -> int:
    if args.out:
        from radiomix._outputs import check_table_path

        check_table_path(args.out)
        ensure_writable(args.out)
    from radiomix.learn.runs import _short, _when, find_runs, fmt_value, runs_table, text_table

    records = find_runs(args.dir)
    if args.out:
        from radiomix._outputs import write_table

        write_table(runs_table(records), args.out)
    if not records:
        print(f"no runs under {args.dir}")
        return 0
    rows = []
    for r in records:
        h = r.get("headline") or {}
        rows.append(
            [
                str(r.get("id") or "-"),
                str(r.get("kind") or "-"),
                str(r.get("task") or "-"),
                _when(r.get("started")),
                fmt_value(r.get("seconds"), digits=1),
                _short((r.get("data") or {}).get("sha256")),
                str(h.get("model") or "-"),
                f"{h.get('label') or h.get('metric') or ''} {fmt_value(h.get('value'), h.get('ci'))}",
                str(r.get("path")),
            ]
        )
    header = ["id", "kind", "task", "started (UTC)", "seconds", "data", "model", "headline", "path"]
    print(text_table(header, rows))
    return 0


def run_compare(args: argparse.Namespace) -> int:
    if len(args.runs) < 2:
        raise ConfigError(
            f"runs compare needs two or more run folders, got one ({args.runs[0]}); "
            "radiomix runs list shows the runs"
        )
    if args.html:
        if Path(args.html).suffix.lower() not in (".html", ".htm"):
            raise ConfigError(f"--html {args.html}: give a file name ending in .html")
        ensure_writable(args.html, "--html")
    from radiomix.learn.runs import compare_text, load_run

    records = [load_run(r) for r in args.runs]
    print(compare_text(records), end="")
    if args.html:
        from radiomix.report.runs_page import write_compare_html

        path = write_compare_html(records, args.html)
        print(f"page written to {path}")
    return 0
