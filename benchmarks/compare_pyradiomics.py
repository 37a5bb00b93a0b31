"""radiomix's pyradiomics profile beside PyRadiomics 3.0.1: agreement, time and memory.

Both tools run the same PyRadiomics parameter file on the same case, each in a fresh
process of its own (PyRadiomics 3.0.1 in benchmarks/.venv-pyradiomics, made by
setup_pyradiomics.sh; radiomix through ``radiomix.compat.featureextractor``, the drop-in
import). Per case, parameter file and tool the table shows: the extraction time inside the
process (``execute``: reading the files, filtering and every feature), the whole process's
wall time (interpreter start and imports included), the peak resident memory of the process
(VmHWM) and the part of it the extraction added to the process after its imports
(``extract MiB`` = peak minus the resident memory right after ``import``), the number of
features, the largest relative difference over every feature (1e-9 absolute near zero, as
the tests use), and the speed-up and memory ratio PyRadiomics / radiomix.

Parameter files (both by default; ``--params`` runs one of yours instead):
- ``original``: all seven classes on the Original image, binWidth 25 (107 features);
- ``log+wavelet``: Original + LoG sigma 1, 2, 3, 4, 5 mm + the 8 wavelet sub-bands
  (coif1), all seven classes (1,316 features).

Cases: a synthetic CT-sized case (512 x 512 x 60 voxels, 0.7 x 0.7 x 2.5 mm) with lesions of
about 3 cm (label 1) and 8 cm (label 2), and with ``--real`` the real cases of
../shared/data/pyradiomics-cases (small ROIs, the original parameter file only).

    .venv/bin/python benchmarks/compare_pyradiomics.py [--params P.yaml] [--real] [--repeat N]

The numba kernels are compiled (cached) once before the table, so each radiomix process
loads them from the cache as an installed radiomix would.
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
def rss():
    return [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:")][0]
from radiomix.compat import featureextractor
import_rss = rss() / 1024
ext = featureextractor.RadiomicsFeatureExtractor(sys.argv[1])
t0 = time.perf_counter()
res = ext.execute(sys.argv[2], sys.argv[3], label=int(sys.argv[4]))
wall = time.perf_counter() - t0
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print(json.dumps({"features": {k: v for k, v in res.items() if not k.startswith("diagnostics_")},
                  "seconds": wall, "peak_rss_mib": int(hwm) / 1024, "import_rss_mib": import_rss}))
"""

PARAMS = {
    "original": "imageType:\n  Original: {}\nsetting:\n  binWidth: 25\n",
    "log+wavelet": (
        "imageType:\n  Original: {}\n  LoG:\n    sigma: [1.0, 2.0, 3.0, 4.0, 5.0]\n"
        "  Wavelet: {}\nsetting:\n  binWidth: 25\n"
    ),
}


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
    ap.add_argument("--params", help="one PyRadiomics parameter file instead of the two")
    ap.add_argument("--real", action="store_true", help="add the real pyradiomics-cases")
    ap.add_argument("--repeat", type=int, default=1, help="runs per tool; the fastest is shown")
    args = ap.parse_args()
    if not PYRADIOMICS.exists():
        sys.exit(f"needs {PYRADIOMICS}: run benchmarks/setup_pyradiomics.sh first")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.params:
            param_files = {Path(args.params).stem: Path(args.params)}
        else:
            param_files = {}
            for name, text in PARAMS.items():
                param_files[name] = folder / f"{name.replace('+', '_')}.yaml"
                param_files[name].write_text(text)
        img, msk = make_ct_case(folder)
        runs = [(p, "ct 3 cm", img, msk, 1) for p in param_files]
        runs += [(p, "ct 8 cm", img, msk, 2) for p in param_files]
        if REAL.exists() and args.real:
            first = next(iter(param_files))
            for name in ("brain1", "brain2", "breast1", "lung1", "lung2"):
                runs.append(
                    (first, name, REAL / f"{name}_image.nrrd", REAL / f"{name}_label.nrrd", 1)
                )
        for path in param_files.values():  # compile / cache the numba kernels once
            _run([sys.executable, "-c", RADIOMIX_RUNNER, str(path), str(img), str(msk), "1"])
        head = (
            f"{'params':12s} {'case':8s} {'tool':11s} {'execute s':>9s} {'process s':>9s} "
            f"{'peak MiB':>8s} {'extract MiB':>11s} {'features':>8s} {'max rel diff':>12s}"
        )
        print(head)
        print("-" * len(head))
        for pname, name, im, mk, label in runs:
            params = str(param_files[pname])
            ref_cmd = [str(PYRADIOMICS), str(RUNNER), params, str(im), str(mk), str(label)]
            our_cmd = [sys.executable, "-c", RADIOMIX_RUNNER, params, str(im), str(mk), str(label)]
            ref, ref_wall = _best(ref_cmd, args.repeat)
            ours, our_wall = _best(our_cmd, args.repeat)
            ref_f = {k: v for k, v in ref["features"].items() if not k.startswith("diagnostics_")}
            diff = max_rel_diff(ours["features"], ref_f)
            rows = (
                ("PyRadiomics", ref, ref_wall, ref_f, ""),
                ("radiomix", ours, our_wall, ours["features"], f"{diff:12.2e}"),
            )
            for tool, out, wall, feats, d in rows:
                extra = out["peak_rss_mib"] - out["import_rss_mib"]
                print(
                    f"{pname if tool == 'PyRadiomics' else '':12s} "
                    f"{name if tool == 'PyRadiomics' else '':8s} {tool:11s} "
                    f"{out['seconds']:9.2f} {wall:9.2f} {out['peak_rss_mib']:8.0f} "
                    f"{extra:11.0f} {len(feats):8d} {d:>12s}"
                )
            ratio_extra = (ref["peak_rss_mib"] - ref["import_rss_mib"]) / max(
                ours["peak_rss_mib"] - ours["import_rss_mib"], 1.0
            )
            print(
                f"{'':12s} {'':8s} {'ratio':11s} {ref['seconds'] / ours['seconds']:8.1f}x "
                f"{ref_wall / our_wall:8.1f}x {ref['peak_rss_mib'] / ours['peak_rss_mib']:7.1f}x "
                f"{ratio_extra:10.1f}x"
            )


def _best(cmd: list[str], repeat: int) -> tuple[dict, float]:
    """The run with the shortest ``execute`` time of ``repeat`` runs, and its process wall."""
    best: tuple[dict, float] | None = None
    for _ in range(max(repeat, 1)):
        out, wall, _peak = _run(cmd)
        if best is None or out["seconds"] < best[0]["seconds"]:
            best = (out, wall)
    assert best is not None
    return best


if __name__ == "__main__":
    main()
