"""Voxel-based extraction (``execute(..., voxelBased=True)``) beside PyRadiomics 3.0.1.

Both tools run the same parameter set on the same ROI, each in a fresh process of its own
(PyRadiomics 3.0.1 in benchmarks/.venv-pyradiomics, made by setup_pyradiomics.sh; radiomix
through ``radiomix.compat.featureextractor``). The table shows per case and tool the time of
``execute`` inside the process, the whole process's wall time, its peak resident memory
(VmHWM), the number of feature maps and the largest relative difference over every map at
every ROI voxel (1e-9 absolute near zero, NaN equal to NaN), with the ratios
PyRadiomics / radiomix.

Cases: a CT-like volume (160 x 160 x 40 voxels, 0.7 x 0.7 x 2.5 mm) with lesions of about
1, 2 and 3 cm; the parameter set is the default one (firstorder and the five texture
classes, 93 maps, binWidth 25) with kernelRadius 1, and with ``--radius 2`` a 5-voxel kernel.

    .venv/bin/python benchmarks/compare_pyradiomics_voxel.py [--radius R] [--repeat N]
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

#: the same script runs in both environments: only the import differs
RUNNER = """
import json, logging, sys, time
import numpy as np
import SimpleITK as sitk
if sys.argv[1] == "pyradiomics":
    from radiomics import featureextractor
    logging.getLogger("radiomics").setLevel(logging.ERROR)
else:
    from radiomix.compat import featureextractor
params = json.loads(sys.argv[2])
ext = featureextractor.RadiomicsFeatureExtractor(params)
t0 = time.perf_counter()
res = ext.execute(sys.argv[3], sys.argv[4], label=int(sys.argv[5]), voxelBased=True)
wall = time.perf_counter() - t0
roi = sitk.GetArrayFromImage(sitk.ReadImage(sys.argv[4])) == int(sys.argv[5])
maps = {}
for key, img in res.items():
    if key.startswith("diagnostics_"):
        continue
    arr = sitk.GetArrayFromImage(img)
    start = sitk.ReadImage(sys.argv[4]).TransformPhysicalPointToIndex(img.GetOrigin())[::-1]
    sub = roi[tuple(slice(s, s + n) for s, n in zip(start, arr.shape))]
    maps[key] = [None if v != v else float(v) for v in arr[sub]]
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print(json.dumps({"maps": maps, "seconds": wall, "peak_rss_mib": int(hwm) / 1024}))
"""


def make_case(folder: Path, seed: int = 11) -> tuple[Path, Path]:
    """160 x 160 x 40 CT-like volume with lesions of 1, 2 and 3 cm (labels 1, 2, 3)."""
    rng = np.random.default_rng(seed)
    shape = (40, 160, 160)
    sp = np.array([2.5, 0.7, 0.7])
    img = ndimage.gaussian_filter(rng.normal(40, 20, shape), 1.0) + rng.normal(0, 15, shape)
    z, y, x = np.ogrid[: shape[0], : shape[1], : shape[2]]
    lab = np.zeros(shape, dtype=np.uint8)
    lesions = ((1, (12, 50, 50), 10.0), (2, (25, 100, 105), 20.0), (3, (20, 112, 42), 30.0))
    for label, (cz, cy, cx), diam in lesions:
        d = ((z - cz) * sp[0]) ** 2 + ((y - cy) * sp[1]) ** 2 + ((x - cx) * sp[2]) ** 2
        inside = d < (diam / 2 * (1 + 0.15 * np.sin(x / 4.0) * np.cos(y / 3.0))) ** 2
        lab[inside] = label
        img[inside] += 60 + 25 * np.broadcast_to(np.sin(x / 3.0 + y / 4.0), shape)[inside]
    im = sitk.GetImageFromArray(np.round(img).astype(np.int16))
    im.SetSpacing(tuple(sp[::-1]))
    m = sitk.GetImageFromArray(lab)
    m.CopyInformation(im)
    paths = folder / "image.nrrd", folder / "label.nrrd"
    sitk.WriteImage(im, str(paths[0]), useCompression=True)
    sitk.WriteImage(m, str(paths[1]), useCompression=True)
    return paths


def _run(cmd: list[str], repeat: int) -> tuple[dict, float]:
    """The run with the shortest ``execute`` of ``repeat``, and its process wall seconds."""
    best: tuple[dict, float] | None = None
    for _ in range(max(repeat, 1)):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed: {proc.stderr[-2000:]}")
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        if best is None or out["seconds"] < best[0]["seconds"]:
            best = (out, wall)
    assert best is not None
    return best


def max_rel_diff(ours: dict[str, list], ref: dict[str, list]) -> float:
    """Largest relative difference over every map value of ``ref`` (inf: a map missing or
    NaN on one side only)."""
    worst = 0.0
    for key, rv in ref.items():
        if key not in ours or len(ours[key]) != len(rv):
            return float("inf")
        a = np.array([np.nan if v is None else v for v in ours[key]], dtype=np.float64)
        b = np.array([np.nan if v is None else v for v in rv], dtype=np.float64)
        if not np.array_equal(np.isnan(a), np.isnan(b)):
            return float("inf")
        ok = ~np.isnan(b) & (np.abs(a - b) > 1e-9)
        if ok.any():
            worst = max(worst, float(np.max(np.abs(a - b)[ok] / np.abs(b[ok]))))
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--radius", type=int, default=1, help="kernelRadius (default 1)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per tool; the fastest is shown")
    args = ap.parse_args()
    if not PYRADIOMICS.exists():
        sys.exit(f"needs {PYRADIOMICS}: run benchmarks/setup_pyradiomics.sh first")
    params = json.dumps(
        {"setting": {"binWidth": 25}, "voxelSetting": {"kernelRadius": args.radius}}
    )
    with tempfile.TemporaryDirectory() as tmp:
        img, msk = make_case(Path(tmp))
        lab = sitk.GetArrayFromImage(sitk.ReadImage(str(msk)))
        ours_cmd = [sys.executable, "-c", RUNNER, "radiomix", params, str(img), str(msk), "1"]
        _run(ours_cmd, 1)  # compile / cache the numba kernels once
        head = (
            f"{'case':18s} {'tool':11s} {'execute s':>9s} {'process s':>9s} {'peak MiB':>8s} "
            f"{'maps':>5s} {'max rel diff':>12s}"
        )
        print(f"voxel-based, kernelRadius {args.radius}, default classes")
        print(head)
        print("-" * len(head))
        for label, name in ((1, "1 cm"), (2, "2 cm"), (3, "3 cm")):
            case = f"{name} ({int((lab == label).sum())} vox)"
            tail = [str(img), str(msk), str(label)]
            ref, ref_wall = _run(
                [str(PYRADIOMICS), "-c", RUNNER, "pyradiomics", params, *tail], args.repeat
            )
            ours, our_wall = _run(
                [sys.executable, "-c", RUNNER, "radiomix", params, *tail], args.repeat
            )
            diff = max_rel_diff(ours["maps"], ref["maps"])
            for tool, out, wall, d in (
                ("PyRadiomics", ref, ref_wall, ""),
                ("radiomix", ours, our_wall, f"{diff:12.2e}"),
            ):
                print(
                    f"{case if tool == 'PyRadiomics' else '':18s} {tool:11s} "
                    f"{out['seconds']:9.2f} {wall:9.2f} {out['peak_rss_mib']:8.0f} "
                    f"{len(out['maps']):5d} {d:>12s}"
                )
            print(
                f"{'':18s} {'ratio':11s} {ref['seconds'] / ours['seconds']:8.1f}x "
                f"{ref_wall / our_wall:8.1f}x {ref['peak_rss_mib'] / ours['peak_rss_mib']:7.1f}x"
            )


if __name__ == "__main__":
    main()
