"""``radiomix audit DICOM_ROOT|MANIFEST --out audit.csv [--html audit.html]``."""

from __future__ import annotations

import argparse
import json
import sys

from radiomix.cli._checks import check_table_out, ensure_writable, sibling


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "audit",
        help="acquisition audit of DICOM series or a manifest's images (headers only)",
        description=(
            "One row per series with what changes features (modality, manufacturer and "
            "model, kVp, tube current, kernel, slice thickness and spacing, pixel spacing, "
            "contrast, MR field strength and TE/TR/flip angle, ultrasound transducer, bits "
            "stored; the geometry of NIfTI/NRRD/MHA images), read from the headers only. "
            "Flags series whose values few others share, groups series into acquisition "
            "clusters (the cluster column: a harmonisation batch) and recommends a common "
            "resampling grid per modality (written to OUT's .grid.json). See "
            "docs/audit-and-delta.md for the rules."
        ),
    )
    p.add_argument(
        "source",
        metavar="DICOM_ROOT|MANIFEST",
        help="a folder of DICOM files (searched recursively) or a manifest CSV",
    )
    p.add_argument(
        "--out", required=True, metavar="AUDIT", help="audit table (.csv, .parquet, .json)"
    )
    p.add_argument("--html", metavar="AUDIT.html", help="also write a self-contained HTML page")
    p.add_argument(
        "--min-share",
        type=float,
        default=0.1,
        metavar="X",
        help="a value held by fewer than this share of a modality's series is odd (default 0.1)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    fmt = check_table_out(args.out)
    grid_path = None if fmt is None else sibling(args.out, ".grid.json")
    if grid_path is not None:
        ensure_writable(grid_path, "--out")
    if args.html:
        ensure_writable(args.html, "--html")
    from radiomix._outputs import atomic_write_text, write_table
    from radiomix.studies.audit import audit, audit_html

    result = audit(args.source, min_share=args.min_share)
    write_table(result.table, args.out)
    summary = {"clusters": result.clusters, "grid": result.grid, "skipped": result.skipped}
    if grid_path is not None:
        atomic_write_text(grid_path, json.dumps(summary, indent=1) + "\n")
    if args.html:
        atomic_write_text(args.html, audit_html(result))
    out = sys.stderr if fmt is None else sys.stdout
    n_odd = int(result.table["outlier"].sum())
    print(
        f"{len(result.table)} series, {n_odd} flagged, {len(result.clusters)} acquisition "
        f"cluster(s): {args.out}",
        file=out,
    )
    for _, row in result.table[result.table["outlier"]].iterrows():
        name = row["series_description"] or row["series_uid"] or row["source"]
        print(f"  flagged {name}: {row['outlier_reasons']}", file=out)
    for g in result.grid:
        print(
            f"  grid for {g['modality']}: spacing [z, y, x] = {g['spacing_mm']} mm ({g['why']})",
            file=out,
        )
    if result.skipped:
        print(
            f"radiomix audit: {len(result.skipped)} object(s) left out: "
            + "; ".join(result.skipped[:5]),
            file=sys.stderr,
        )
    return 0
