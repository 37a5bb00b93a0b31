"""Seconds and peak memory per filter on a CT-sized synthetic case: ROI crop vs whole image.

The case is the one of bench_families.py: 512 x 512 x 60 voxels at 0.7 x 0.7 x 2.5 mm
(x, y, z) with lesions of about 3 and 8 cm. For each filter the response is computed as the
extraction pipeline does, on the ROI's bounding box plus the local-intensity margin, reading
only the voxels the kernel reaches (``source_region``), and, for comparison, on the whole
image. Peak memory is the tracemalloc peak of the step (NumPy buffers included), in MiB.

    nice .venv/bin/python benchmarks/bench_filters.py [--lesions 3,8] [--no-whole]
        [--only log,laws]

The two ways give identical values (tests/filters/test_crop_equals_whole.py); the script
checks the crop against the whole image on the box once per filter and prints the largest
difference.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import tracemalloc
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_families import SHAPE, SPACING, make_case

from radiomix.filters._engine import run_plan, source_region
from radiomix.filters.registry import expand_filter, parse_filter
from radiomix.preprocess import bounding_box

#: (label, filters entry)
FILTERS = [
    ("mean d5 3D", {"filter": "mean", "support": 5}),
    ("LoG 1.5 mm 3D", {"filter": "log", "sigma": 1.5}),
    ("LoG 3 mm 3D", {"filter": "log", "sigma": 3.0}),
    ("LoG 3 mm 2D", {"filter": "log", "sigma": 3.0, "spatial": "2D"}),
    ("Laws L5E5E5 energy invariant", {"filter": "laws", "kernel": "L5E5E5", "energy": True,
                                      "rotation_invariant": True}),
    ("Laws L5E5 energy invariant 2D", {"filter": "laws", "kernel": "L5E5", "energy": True,
                                       "rotation_invariant": True}),
    ("Gabor 5/2 mm 16 orient. 2D", {"filter": "gabor", "sigma": 5.0, "lambda": 2.0,
                                    "gamma": 1.5, "theta_step": 22.5, "spatial": "2D"}),
    ("Gabor 5/2 mm 16 orient. 3 planes", {"filter": "gabor", "sigma": 5.0, "lambda": 2.0,
                                          "gamma": 1.5, "theta_step": 22.5,
                                          "planes": "orthogonal"}),
    ("wavelet db3 LLH L1 invariant", {"filter": "wavelet", "wavelet": "db3", "subband": "LLH",
                                      "rotation_invariant": True}),
    ("wavelet db3 HHH L2 invariant", {"filter": "wavelet", "wavelet": "db3", "subband": "HHH",
                                      "level": 2, "rotation_invariant": True}),
    ("Simoncelli level 1 (image-sized)", {"filter": "simoncelli", "level": 1}),
    ("PyRadiomics LoG 1.5 mm", {"filter": "pyradiomics_log", "sigma": 1.5}),
    ("PyRadiomics wavelet LLH", {"filter": "pyradiomics_wavelet", "subband": "LLH"}),
]  # fmt: skip

_PEAK_RADIUS_MM = 6.2035  # local intensity margin of the pipeline's final crop


def _timed(fn):  # type: ignore[no-untyped-def]
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, dt, peak


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--lesions", default="3,8", help="lesion diameters in cm")
    ap.add_argument("--no-whole", action="store_true", help="skip the whole-image runs")
    ap.add_argument("--only", help="comma-separated substrings of filter labels to run")
    args = ap.parse_args()
    image, masks = make_case()
    arr = np.asarray(image.array, dtype=np.float64)
    lesions = [int(x) for x in args.lesions.split(",")]
    chosen = FILTERS
    if args.only:
        keys = [k.strip().lower() for k in args.only.split(",")]
        chosen = [f for f in FILTERS if any(k in f[0].lower() for k in keys)]
    print(f"image {SHAPE[::-1]} voxels (x, y, z) at {SPACING[::-1]} mm; float64")
    header = f"  {'filter':<34} {'crop s':>8} {'crop MiB':>9} {'read vox':>10}"
    if not args.no_whole:
        header += f" {'whole s':>8} {'whole MiB':>9} {'max |diff|':>10}"
    for cm in lesions:
        mask = masks[cm]
        roi = bounding_box(mask)
        pad = [math.ceil((_PEAK_RADIUS_MM + max(SPACING)) / s) for s in SPACING]
        box = tuple(
            (max(s.start - p, 0), min(s.stop + p, n))
            for s, p, n in zip(roi, pad, SHAPE, strict=True)
        )
        roi_box = tuple((s.start, s.stop) for s in roi)
        n_box = int(np.prod([hi - lo for lo, hi in box]))
        print(f"\nlesion ~{cm} cm: {int(mask.sum())} ROI voxels, output box {n_box} voxels")
        print(header)
        for label, entry in chosen:
            name, prm = parse_filter(entry)
            (resolved,) = expand_filter(name, prm)
            plan = resolved.plan(SPACING)
            region = source_region(plan, box, SHAPE, roi_box=roi_box)
            src = arr[tuple(slice(lo, hi) for lo, hi in region)]
            off = tuple(lo for lo, _ in region)
            mask_box = mask[tuple(slice(lo, hi) for lo, hi in box)]
            crop, t_crop, m_crop = _timed(
                partial(
                    run_plan,
                    plan,
                    src,
                    box,
                    offset=off,
                    full_shape=SHAPE,
                    roi_box=roi_box,
                    roi_mask=mask_box,
                )
            )
            line = f"  {label:<34} {t_crop:8.2f} {m_crop:9.1f} {src.size:10d}"
            if not args.no_whole:
                if plan.domain is not None:
                    line += f" {'(defined on the ROI domain)':>30}"
                else:
                    whole, t_whole, m_whole = _timed(partial(run_plan, plan, arr))
                    diff = np.abs(whole[tuple(slice(lo, hi) for lo, hi in box)] - crop).max()
                    line += f" {t_whole:8.2f} {m_whole:9.1f} {diff:10.2e}"
                    del whole
            print(line, flush=True)


if __name__ == "__main__":
    main()
