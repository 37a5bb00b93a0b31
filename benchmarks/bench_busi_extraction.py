"""Time the BUSI cohort preparation and the extraction of every benign/malignant image.

    nice .venv/bin/python benchmarks/bench_busi_extraction.py [--data ../shared/data/busi]
        [--config ultrasound-2d] [--jobs 2] [--limit N] [--out /tmp/busi_features.csv]

Steps, each timed: the cohort preparation (reading, mask merging, the duplicate audit,
manifest and summary, :func:`radiomix.studies.busi.prepare_cohort`), then the extraction of
every case of the manifest with :func:`radiomix.extraction.batch.extract_batch` over local
worker processes. Prints a table of seconds, and the per-family time summed over cases
(in-process, from the per-case timings of a second, serial run on ``--profile N`` cases).
The feature table (manifest columns carried) goes to ``--out`` (default under /tmp, never
into the repository) for trying the learning side.

Data: Al-Dhabyani W. et al., Data in Brief 28 (2020) 104863, doi:10.1016/j.dib.2019.104863.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import pandas as pd

from radiomix.extraction.api import extract_results
from radiomix.extraction.batch import extract_batch
from radiomix.studies.busi import prepare_cohort

SHARED_BUSI = Path(__file__).resolve().parents[2] / "shared" / "data" / "busi"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(SHARED_BUSI), help="BUSI-like folder")
    ap.add_argument("--config", default="ultrasound-2d", help="extraction preset or YAML")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    ap.add_argument("--limit", type=int, help="only the first N cases of the manifest")
    ap.add_argument("--profile", type=int, default=40, help="cases timed per family, serially")
    ap.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "busi_features.csv"))
    args = ap.parse_args()

    run = Path(tempfile.mkdtemp(prefix="busi-bench-"))
    t0 = time.perf_counter()
    summary = prepare_cohort(args.data, run)
    t_prepare = time.perf_counter() - t0
    manifest = pd.read_csv(run / "manifest.csv", dtype={"case_id": str})
    if args.limit:
        manifest = manifest.head(args.limit)
        manifest.to_csv(run / "manifest.csv", index=False)

    t0 = time.perf_counter()
    result = extract_batch(run / "manifest.csv", args.config, jobs=args.jobs)
    t_extract = time.perf_counter() - t0
    out = Path(args.out)
    if out.suffix == ".parquet":
        result.table.to_parquet(out, index=False)
    else:
        result.table.to_csv(out, index=False)

    n = len(manifest)
    features = [c for c in result.table.columns if c.startswith("original_")]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"config {args.config}; {args.jobs} worker process(es)"
    )
    print(
        f"cohort: {summary['n_included']} included ({summary['included']}), "
        f"{summary['n_groups']} groups, {len(summary['exclusions'])} exclusions"
    )
    print(f"{'step':<34}{'seconds':>10}")
    print(f"{'prepare cohort (read, audit)':<34}{t_prepare:>10.1f}")
    print(f"{'extract ' + str(n) + ' cases':<34}{t_extract:>10.1f}")
    print(f"{'  per case (wall / n)':<34}{t_extract / max(n, 1):>10.3f}")
    print(
        f"table: {len(result.table)} rows x {len(features)} features, {len(result.errors)} "
        f"failed case(s) -> {out}"
    )

    # where the time goes: per-family timings of a serial run on the first cases
    k = min(args.profile, n)
    totals: dict[str, float] = {}
    for row in manifest.head(k).itertuples():
        for r in extract_results(row.image, row.mask, args.config, case_id=str(row.case_id)):
            for fam, sec in r.timings.items():
                totals[fam] = totals.get(fam, 0.0) + sec
    print(f"\nper-family seconds per case (serial, mean of {k} cases):")
    for fam, sec in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {fam:<16}{sec / max(k, 1):>8.4f}")


if __name__ == "__main__":
    main()
