"""Cohort throughput and memory: cases per minute for 1 and 2 local workers (and Dask).

The cohort: ``--cases`` CT-sized synthetic cases from ``bench_families.make_case`` (512 x 512
x 60 voxels of 0.7 x 0.7 x 2.5 mm, float32, soft tissue with noise and three irregular
lesions of about 1, 3 and 8 cm), written as ``.nii.gz`` with a label map (lesions 1, 2, 3)
and a manifest asking for ``all`` labels: three ROIs, three output rows per case. Default
settings (3D, fixed bin size 25, every family).

For each worker count the batch runs from an empty cache through
:class:`~radiomix.extraction.executors.LocalProcessExecutor` (the ``--jobs N`` path: worker
start-up and numba cache loading included), and the table prints wall time, cases per
minute, seconds per case inside the workers, and the peak resident memory (RSS high-water
mark, ``VmHWM``) of each worker process, with the CPU time per case (which, unlike wall time,
does not depend on what else the machine runs). Last lines: the content hashing of the
inputs, a rerun served entirely from the cache, and the RSS of a worker that only imported
radiomix and ran a tiny case (the baseline inside every worker's peak). ``--dask`` adds a run on a
``distributed.LocalCluster`` with the same number of worker processes.

    nice .venv/bin/python benchmarks/bench_batch.py [--cases 8] [--workers 1,2] [--dask]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk

from radiomix.extraction.batch import BatchResult, run_batch
from radiomix.extraction.cache import InputHasher, ResultCache
from radiomix.extraction.executors import DaskExecutor, LocalProcessExecutor
from radiomix.extraction.manifest import read_manifest
from radiomix.extraction.settings import load_config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_families import SHAPE, make_case


def _write(arr: np.ndarray, spacing: tuple[float, ...], path: Path) -> None:
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(tuple(float(s) for s in reversed(spacing)))
    sitk.WriteImage(img, str(path), useCompression=True)


def write_cohort(folder: Path, n: int) -> Path:
    rows = []
    for i in range(n):
        image, masks = make_case(seed=i)
        labels = np.zeros(image.shape, np.uint8)
        for value, cm in enumerate(sorted(masks), start=1):
            labels[masks[cm]] = value
        _write(image.array, image.spacing, folder / f"ct{i:02d}.nii.gz")
        _write(labels, image.spacing, folder / f"ct{i:02d}_lesions.nii.gz")
        rows.append((f"ct{i:02d}", f"ct{i:02d}.nii.gz", f"ct{i:02d}_lesions.nii.gz", "all"))
        print(f"  wrote case {i + 1}/{n}", file=sys.stderr, flush=True)
    manifest = folder / "cases.csv"
    pd.DataFrame(rows, columns=["case_id", "image", "mask", "label"]).to_csv(manifest, index=False)
    return manifest


def summarise(label: str, res: BatchResult, workers: int) -> dict[str, object]:
    per_worker: dict[str, float] = defaultdict(float)
    for o in res.outcomes:
        per_worker[o.worker] = max(per_worker[o.worker], o.peak_rss_mib)
    rss = sorted(per_worker.values())
    secs = [o.seconds for o in res.outcomes]
    cpu = [o.cpu_seconds for o in res.outcomes]
    return {
        "executor": label,
        "workers": workers,
        "cases": res.n_cases,
        "rows": len(res.table),
        "failed": res.n_failed,
        "wall s": round(res.seconds, 1),
        "cases/min": round(res.n_cases / res.seconds * 60, 1),
        "wall s/case in worker": round(float(np.mean(secs)), 2),
        "CPU s/case": round(float(np.mean(cpu)), 2),
        "peak RSS/worker MiB": " ".join(f"{r:.0f}" for r in rss),
    }


def baseline_rss() -> float:
    """Peak RSS (MiB) of a fresh process that imports radiomix and extracts a tiny case."""
    code = (
        "import numpy as np,radiomix;from radiomix.extraction.batch import _peak_rss_mib;"
        "a=np.random.default_rng(0).normal(size=(8,20,20));m=np.zeros(a.shape,np.uint8);"
        "m[2:6,5:15,5:15]=1;radiomix.extract(a,m,spacing=(1,1,1));print(_peak_rss_mib())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cases", type=int, default=8)
    ap.add_argument("--workers", default="1,2", help="worker counts to run, e.g. 1,2")
    ap.add_argument("--dask", action="store_true", help="also run on a Dask LocalCluster")
    ap.add_argument(
        "--keep", help="write the cohort here and keep it, or reuse it (default: a temp dir)"
    )
    args = ap.parse_args()
    settings = load_config("default")
    counts = [int(x) for x in args.workers.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "cases.csv"
        if args.keep and path.exists() and len(read_manifest(path)) == args.cases:
            print(f"reusing the cohort in {folder}")
        else:
            print(f"writing {args.cases} cases of {SHAPE[::-1]} voxels (x, y, z) to {folder}")
            path = write_cohort(folder, args.cases)
        manifest = read_manifest(path)
        size = sum(os.path.getsize(c.image) + os.path.getsize(c.mask) for c in manifest.cases)

        t0 = time.perf_counter()
        hasher = InputHasher()
        hasher.hash_many([p for c in manifest.cases for p in (c.image, c.mask)])
        t_hash = time.perf_counter() - t0

        rows = []
        for n in counts:
            res = run_batch(manifest, settings, executor=LocalProcessExecutor(n))
            rows.append(summarise("local processes", res, n))
            print(f"  {n} worker(s): {res.seconds:.1f} s", file=sys.stderr, flush=True)
        if args.dask:
            from distributed import LocalCluster

            for n in counts:
                with LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
                ) as cluster:
                    res = run_batch(
                        manifest, settings, executor=DaskExecutor(cluster.scheduler_address)
                    )
                rows.append(summarise("dask LocalCluster", res, n))
        cache = ResultCache(Path(tmp) / "cache")
        run_batch(manifest, settings, executor=LocalProcessExecutor(max(counts)), cache=cache)
        rerun = run_batch(manifest, settings, cache=cache)

    print()
    print(pd.DataFrame(rows).to_string(index=False))
    print()
    print(
        f"inputs: {size / 2**20:.0f} MiB compressed; content hashing (4 threads, cold): "
        f"{t_hash:.2f} s ({size / 2**20 / t_hash:.0f} MiB/s)"
    )
    print(
        f"rerun from the cache: {rerun.n_cached}/{rerun.n_cases} cases in {rerun.seconds:.2f} s "
        "(hashes remembered by path, size and mtime)"
    )
    print(f"worker baseline (imports + one tiny case): {baseline_rss():.0f} MiB RSS")
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} logical CPU(s); load average now {load[0]:.1f}")


if __name__ == "__main__":
    main()
