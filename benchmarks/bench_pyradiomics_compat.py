"""radiomix's pyradiomics profile beside PyRadiomics 3.0.1: agreement, time and memory.

For every case, both tools run the same PyRadiomics parameter file, each in a fresh process
of its own (PyRadiomics in benchmarks/.venv-pyradiomics, made by setup_pyradiomics.sh), and
the table shows per case and tool: the extraction time inside the process (``execute``),
the whole process's wall time (interpreter, imports and reading included), its peak
resident memory (``ru_maxrss``), the number of features, and the largest relative
difference over every feature (with 1e-9 absolute near zero, as the tests use).

Cases: a synthetic CT-sized case (512 x 512 x 60 voxels, 0.7 x 0.7 x 2.5 mm) with lesions of
about 3 cm (label 1) and 8 cm (label 2), and the real cases of
../shared/data/pyradiomics-cases when present. Parameter file: PyRadiomics' defaults for the
Original image (all seven classes, 107 features, binWidth 25) unless --params is given.

    .venv/bin/python benchmarks/bench_pyradiomics_compat.py [--params P.yaml] [--no-real]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
PYRADIOMICS = ROOT / "benchmarks" / ".venv-pyradiomics" / "bin" / "python"
RUNNER = ROOT / "benchmarks" / "pyradiomics_reference.py"
REAL = ROOT.parent / "shared" / "data" / "pyradiomics-cases"

RADIOMIX_RUNNER = """
import json, sys, time
from radiomix.compat import featureextractor
ext = featureextractor.RadiomicsFeatureExtractor(sys.argv[1])
t0 = time.perf_counter()
res = ext.execute(sys.argv[2], sys.argv[3], label=int(sys.argv[4]))
wall = time.perf_counter() - t0
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print(json.dumps({"features": {k: v for k, v in res.items() if not k.startswith("diagnostics_")},
                  "seconds": wall, "peak_rss_mib": int(hwm) / 1024}))
"""


def make_ct_case(folder: Path, seed: int = 7) -> tuple[Path, Path]:
    """512 x 512 x 60 CT-like volume (HU) with a 3 cm (label 1) and an 8 cm (label 2) lesion."""
    rng = np.random.default_rng(seed)
    shape = (60, 512, 512)
    sp = np.array([2.5, 0.7, 0.7])
    img = rng.normal(40, 20, shape)
    img = ndimage.gaussian_filter(img, 1.0) + rng.normal(0, 15, shape)
    z, y, x = np.ogrid[: shape[0], : shape[1], : shape[2]]
    lab = np.zeros(shape, dtype=np.uint8)
    for label, (cz, cy, cx), diam in ((1, (20, 160, 170), 30.0), (2, (32, 300, 320), 80.0)):
        r = diam / 2
        d = ((z - cz) * sp[0]) ** 2 + ((y - cy) * sp[1]) ** 2 + ((x - cx) * sp[2]) ** 2
        wobble = 1 + 0.15 * np.sin(x / 9.0) * np.cos(y / 7.0)
        inside = d < (r * wobble) ** 2
        lab[inside] = label
        texture = np.broadcast_to(np.sin(x / 5.0 + y / 6.0), shape)
        img[inside] += 60 + 25 * texture[inside]
    im = sitk.GetImageFromArray(np.round(img).astype(np.int16))
    im.SetSpacing(tuple(sp[::-1]))
    m = sitk.GetImageFromArray(lab)
    m.CopyInformation(im)
    paths = folder / "ct_image.nrrd", folder / "ct_label.nrrd"
    sitk.WriteImage(im, str(paths[0]), useCompression=True)
    sitk.WriteImage(m, str(paths[1]), useCompression=True)
    return paths


def _run(cmd: list[str]) -> tuple[dict, float, float]:
    """(JSON printed, process wall seconds, peak RSS MiB) of one child process.

    The peak is the child's own VmHWM (``ru_maxrss`` of a forked child would include the
    parent's memory at the fork)."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out, wall, float(out["peak_rss_mib"])


def max_rel_diff(a: dict[str, float], b: dict[str, float]) -> float:
    """Largest relative difference over the features of ``b`` (0 where both are within
    1e-9 absolute)."""
    worst = 0.0
    for k, vb in b.items():
        va = a.get(k)
        if va is None:
            return float("inf")
        va, vb = float(va), float(vb)
        if np.isnan(va) and np.isnan(vb):
            continue
        diff = abs(va - vb)
        if diff <= 1e-9:
            continue
        worst = max(worst, diff / max(abs(vb), 1e-300))
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--params", help="PyRadiomics parameter file (default: its defaults)")
    ap.add_argument("--no-real", action="store_true", help="skip the real cases")
    args = ap.parse_args()
    if not PYRADIOMICS.exists():
        sys.exit(f"needs {PYRADIOMICS}: run benchmarks/setup_pyradiomics.sh first")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        params = Path(args.params) if args.params else folder / "params.yaml"
        if not args.params:
            params.write_text("imageType:\n  Original: {}\nsetting:\n  binWidth: 25\n")
        img, msk = make_ct_case(folder)
        cases = [("ct 3 cm", img, msk, 1), ("ct 8 cm", img, msk, 2)]
        if REAL.exists() and not args.no_real:
            for name in ("brain1", "brain2", "breast1", "lung1", "lung2"):
                cases.append((name, REAL / f"{name}_image.nrrd", REAL / f"{name}_label.nrrd", 1))
        # warm the numba cache once so that the table shows steady-state runs
        _run([sys.executable, "-c", RADIOMIX_RUNNER, str(params), str(img), str(msk), "1"])
        head = (
            f"{'case':10s} {'tool':10s} {'execute s':>10s} {'process s':>10s} "
            f"{'peak MiB':>9s} {'features':>8s} {'max rel diff':>13s}"
        )
        print(head)
        print("-" * len(head))
        for name, im, mk, label in cases:
            ref, ref_wall, ref_mem = _run(
                [str(PYRADIOMICS), str(RUNNER), str(params), str(im), str(mk), str(label)]
            )
            ours, our_wall, our_mem = _run(
                [sys.executable, "-c", RADIOMIX_RUNNER, str(params), str(im), str(mk), str(label)]
            )
            ref_f = {k: v for k, v in ref["features"].items() if not k.startswith("diagnostics_")}
            diff = max_rel_diff(ours["features"], ref_f)
            print(
                f"{name:10s} {'PyRadiomics':10s} {ref['seconds']:10.2f} {ref_wall:10.2f} "
                f"{ref_mem:9.0f} {len(ref_f):8d} {'':>13s}"
            )
            print(
                f"{'':10s} {'radiomix':10s} {ours['seconds']:10.2f} {our_wall:10.2f} "
                f"{our_mem:9.0f} {len(ours['features']):8d} {diff:13.2e}"
            )
            print(
                f"{'':10s} {'speed-up':10s} {ref['seconds'] / ours['seconds']:9.1f}x "
                f"{ref_wall / our_wall:9.1f}x {ref_mem / our_mem:8.1f}x"
            )


if __name__ == "__main__":
    main()
