"""Time per registration method on a 512 x 512 x 60 CT-like volume (synthetic).

The volume is the analytic phantom of the registration tests (tests/register/_phantom.py)
stretched to a body of about 380 x 290 x 180 mm on a 0.8 x 0.8 x 3 mm grid; the moving image
is the same phantom moved by each method's known transform (rigid: 6/-4/8 degrees and a few
mm; affine: plus scaling and shear; B-spline: a smooth deformation of up to a few mm after a
shift). Prints, per method, the seconds of ``register`` (default settings), of
``propagate`` (the lesion mask onto the moving grid, through the inverse transform) and the
error of the recovered transform at points inside the body, as JSON lines.

Run (nice: the machine is shared)::

    nice .venv/bin/python benchmarks/bench_register.py [--methods rigid,affine,bspline]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.register import _phantom as ph

from radiomix.register import dice, propagate, register

SHAPE = (60, 512, 512)
SPACING = (3.0, 0.8, 0.8)
STRETCH = np.array([4.5, 4.5, 2.0])  # physical (x, y, z) mm per phantom mm


def _case(ref: sitk.Image, to_fixed: sitk.Transform | None) -> tuple[sitk.Image, sitk.Image]:
    """Phantom (stretched) and lesion mask sampled at ``to_fixed`` of each voxel, by slab."""
    values = np.empty(SHAPE, np.float32)
    lesion = np.empty(SHAPE, np.uint8)
    for z0 in range(0, SHAPE[0], 10):
        slab = sitk.RegionOfInterest(ref, [SHAPE[2], SHAPE[1], min(10, SHAPE[0] - z0)], [0, 0, z0])
        p = ph.points(slab, to_fixed) / STRETCH
        values[z0 : z0 + slab.GetSize()[2]] = ph.phantom_at(p)
        d = np.linalg.norm(p - ph.LESION_CENTRE, axis=-1)
        lesion[z0 : z0 + slab.GetSize()[2]] = d <= ph.LESION_RADIUS
    return ph.image_from(values, ref), sitk.Cast(ph.image_from(lesion, ref), sitk.sitkUInt8)


def _truth(method: str, ref: sitk.Image) -> sitk.Transform:
    if method == "bspline":
        return ph.bspline_truth(ref)
    return ph.rigid_truth() if method == "rigid" else ph.affine_truth()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default="rigid,affine,bspline")
    ap.add_argument("--max-samples", type=int, default=100_000, help="metric samples per level")
    args = ap.parse_args()
    ref = ph.grid(SHAPE, SPACING)
    fixed, fmask = _case(ref, None)
    print(
        json.dumps(
            {
                "shape_zyx": SHAPE,
                "spacing_zyx": SPACING,
                "cpus": os.cpu_count(),
                "sitk_threads": sitk.ProcessObject.GetGlobalDefaultNumberOfThreads(),
            }
        )
    )
    pts = ph.probe_points() * STRETCH
    for method in args.methods.split(","):
        to_fixed = _truth(method, ref)
        moving, mmask = _case(ref, to_fixed)
        t0 = time.perf_counter()
        result = register(fixed, moving, method=method, max_samples=args.max_samples)  # type: ignore[arg-type]
        t_reg = time.perf_counter() - t0
        t0 = time.perf_counter()
        carried = propagate(fmask, fixed, moving, result.transform)
        t_prop = time.perf_counter() - t0
        err = np.linalg.norm(
            ph.map_points(to_fixed, ph.map_points(result.transform, pts)) - pts, axis=1
        )
        print(
            json.dumps(
                {
                    "method": method,
                    "max_samples": args.max_samples,
                    "register_s": round(t_reg, 1),
                    "stages_s": [s["seconds"] for s in result.quality["stages"]],
                    "propagate_s": round(t_prop, 1),
                    "point_error_mean_mm": round(float(err.mean()), 3),
                    "point_error_max_mm": round(float(err.max()), 3),
                    "dice": round(
                        dice(carried.array > 0, sitk.GetArrayViewFromImage(mmask) > 0), 3
                    ),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
