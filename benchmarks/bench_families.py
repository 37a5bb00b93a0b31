"""Seconds and peak memory per feature family on a CT-sized synthetic case.

The case: 512 x 512 x 60 voxels at 0.7 x 0.7 x 2.5 mm (x, y, z), a soft-tissue background
with noise, and three irregular lesions of about 1, 3 and 8 cm. Each lesion is extracted
with the default settings (3D, fixed bin size 25) and, separately, with 2x2x2 mm resampling
and 2D + 2.5D + 3D texture aggregation. Peak memory is the tracemalloc peak of the step
(NumPy buffers included), in MiB.

    .venv/bin/python benchmarks/bench_families.py [--lesions 1,3,8] [--no-cold-start]

PyRadiomics runs on the same case in the same run when benchmarks/.venv-pyradiomics exists
(create it with benchmarks/setup_pyradiomics.sh): one feature class at a time, then all
classes together, original image, bin width 25, with the matching radiomix family beside it.
Its per-class time is the class run minus a run with no feature enabled (PyRadiomics' own
mask checks and cropping); the "all" row compares whole extractions.

The first run in a fresh environment compiles the numba kernels and caches them on disk;
the "cold start" line runs one extraction in two fresh processes, one after the other, to
show that the second one does not pay the compilation again.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from scipy import ndimage

from radiomix.extraction.families import run_family
from radiomix.extraction.pipeline import prepare_roi
from radiomix.extraction.settings import load_config, settings_from_dict
from radiomix.io import Volume, write_volume

HERE = Path(__file__).resolve().parent
PYRAD_PYTHON = HERE / ".venv-pyradiomics" / "bin" / "python"
#: PyRadiomics feature class -> the radiomix families that compute the same quantities
PYRAD_CLASSES = {
    "shape": ("morphology",),
    "firstorder": ("statistics", "histogram"),
    "glcm": ("glcm",),
    "glrlm": ("glrlm",),
    "glszm": ("glszm",),
    "gldm": ("ngldm",),
    "ngtdm": ("ngtdm",),
}

SPACING = (2.5, 0.7, 0.7)  # (z, y, x) mm
SHAPE = (60, 512, 512)


def make_case(seed: int = 0) -> tuple[Volume, dict[int, np.ndarray]]:
    """CT-like image and one boolean mask per lesion diameter (cm)."""
    rng = np.random.default_rng(seed)
    img = rng.normal(40.0, 15.0, SHAPE).astype(np.float32)
    zz, yy, xx = np.ogrid[: SHAPE[0], : SHAPE[1], : SHAPE[2]]
    body = ((yy - 256) / 230.0) ** 2 + ((xx - 256) / 240.0) ** 2 < 1
    img[:, ~body[0]] = -1000 + rng.normal(0, 5, (~body[0]).sum())
    masks = {}
    centres = {1: (30, 150, 150), 3: (30, 330, 170), 8: (30, 260, 350)}
    for cm, (cz, cy, cx) in centres.items():
        r = cm * 10 / 2  # radius mm
        dist = np.sqrt(
            ((zz - cz) * SPACING[0]) ** 2
            + ((yy - cy) * SPACING[1]) ** 2
            + ((xx - cx) * SPACING[2]) ** 2
        )
        noise = ndimage.gaussian_filter(rng.normal(0, 1, SHAPE), sigma=(1, 8, 8))
        noise /= np.abs(noise).max()
        m = (dist / r + 0.35 * noise) < 1.0
        lab, n = ndimage.label(m)
        if n > 1:
            sizes = ndimage.sum(m, lab, range(1, n + 1))
            m = lab == (1 + int(np.argmax(sizes)))
        tex = ndimage.gaussian_filter(rng.normal(0, 1, SHAPE), 1.5) * 120
        img[m] = (60 + tex[m] + rng.normal(0, 10, int(m.sum()))).astype(np.float32)
        masks[cm] = m
    return Volume(img, spacing=SPACING), masks


def measure(
    image: Volume, mask: np.ndarray, settings
) -> tuple[dict[str, tuple[float, float]], int]:
    out = {}
    diags: dict[str, float] = {}
    tracemalloc.start()
    t0 = time.perf_counter()
    prepared = prepare_roi(image, image.with_array(mask), settings, diags)
    out["preprocess"] = (time.perf_counter() - t0, tracemalloc.get_traced_memory()[1] / 2**20)
    tracemalloc.stop()
    for fam in settings.features.families:
        tracemalloc.start()
        t0 = time.perf_counter()
        run_family(fam, prepared, settings)
        out[fam] = (time.perf_counter() - t0, tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    return out, int(prepared.int_mask.sum())


def cold_start() -> list[float]:
    code = (
        "import time,numpy as np;t=time.perf_counter();import radiomix;"
        "rng=np.random.default_rng(0);a=rng.normal(size=(8,20,20));m=np.zeros(a.shape,bool);"
        "m[2:6,5:15,5:15]=True;radiomix.extract(a,m,spacing=(1,1,1));"
        "print(time.perf_counter()-t)"
    )
    times = []
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)  # an empty numba cache for run 1
        for _ in range(2):
            res = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
            )
            times.append(float(res.stdout.strip().splitlines()[-1]))
    return times


def run_pyradiomics(image: Volume, mask: np.ndarray, tmp: Path) -> dict[str, list[float]] | None:
    if not PYRAD_PYTHON.exists():
        return None
    img_path, msk_path = tmp / "image.nii.gz", tmp / "mask.nii.gz"
    if not img_path.exists():
        write_volume(image, img_path)
    write_volume(image.with_array(mask.astype(np.uint8)), msk_path)
    res = subprocess.run(
        [
            str(PYRAD_PYTHON),
            str(HERE / "_pyradiomics_runner.py"),
            str(img_path),
            str(msk_path),
            "25",
        ],
        capture_output=True,
        check=False,
        text=True,
    )
    if res.returncode != 0:
        print(f"  (PyRadiomics failed: {res.stderr.strip().splitlines()[-1:]})")
        return None
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--lesions", default="1,3,8", help="lesion diameters in cm")
    ap.add_argument("--no-cold-start", action="store_true")
    ap.add_argument("--no-pyradiomics", action="store_true")
    args = ap.parse_args()
    image, masks = make_case()
    configs = {
        "default (3D, FBS 25)": load_config("default"),
        "2 mm, 2D+2.5D+3D": settings_from_dict(
            {
                "extends": "default",
                "resample": {"spacing": [2, 2, 2], "rounding": 1},
                "texture": {"spatial": ["2D", "2.5D", "3D"]},
            }
        ),
    }
    # warm-up (numba compilation / cache load) so that timings show steady state
    small = next(iter(masks.values()))
    measure(image, small, configs["default (3D, FBS 25)"])
    lesions = [int(x) for x in args.lesions.split(",")]
    with tempfile.TemporaryDirectory() as tmpdir:
        for label, settings in configs.items():
            for cm in lesions:
                res, nvox = measure(image, masks[cm], settings)
                total = sum(t for t, _ in res.values())
                print(
                    f"\nradiomix, {label}: lesion ~{cm} cm, {nvox} ROI voxels, total {total:.2f} s"
                )
                print(f"  {'step':<16} {'seconds':>8} {'peak MiB':>9}")
                for step, (t, mem) in res.items():
                    print(f"  {step:<16} {t:8.3f} {mem:9.1f}")
        if args.no_pyradiomics:
            pass
        elif not PYRAD_PYTHON.exists():
            print("\nPyRadiomics: not installed; run benchmarks/setup_pyradiomics.sh to compare.")
        else:
            settings = configs["default (3D, FBS 25)"]
            for cm in lesions:
                pr = run_pyradiomics(image, masks[cm], Path(tmpdir))
                if pr is None:
                    continue
                ours, _ = measure(image, masks[cm], settings)
                print(f"\nside by side, original image, 3D, bin width 25: lesion ~{cm} cm")
                print(
                    f"  {'PyRadiomics class':<18} {'s':>8} {'MiB':>8}   "
                    f"{'radiomix families':<22} {'s':>8} {'MiB':>8} {'speed-up':>9}"
                )
                for cls, fams in PYRAD_CLASSES.items():
                    t_ours = sum(ours[f][0] for f in fams)
                    m_ours = max(ours[f][1] for f in fams)
                    t_pr, m_pr = pr[cls]
                    t_pr = max(t_pr - pr["baseline"][0], 0.0)
                    print(
                        f"  {cls:<18} {t_pr:8.3f} {m_pr:8.1f}   {'+'.join(fams):<22} "
                        f"{t_ours:8.3f} {m_ours:8.1f} {t_pr / max(t_ours, 1e-9):8.1f}x"
                    )
                fams_all = [f for fs in PYRAD_CLASSES.values() for f in fs]
                t_all = ours["preprocess"][0] + sum(ours[f][0] for f in fams_all)
                m_all = max(ours[f][1] for f in ["preprocess", *fams_all])
                t_pr, m_pr = pr["all"]
                print(
                    f"  {'all 7 classes':<18} {t_pr:8.3f} {m_pr:8.1f}   {'preprocess + same':<22} "
                    f"{t_all:8.3f} {m_all:8.1f} {t_pr / max(t_all, 1e-9):8.1f}x"
                )
    if not args.no_cold_start:
        t1, t2 = cold_start()
        print(
            "\ncold start (fresh numba cache, import + one small extraction, fresh process): "
            f"run 1 {t1:.1f} s, run 2 {t2:.1f} s"
        )


if __name__ == "__main__":
    main()
