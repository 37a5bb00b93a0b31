"""What a PyRadiomics user waits for: each tool's command, one whole process per case.

``pyradiomics`` (PyRadiomics 3.0.1 in benchmarks/.venv-pyradiomics, made by
setup_pyradiomics.sh) and ``radiomix pyradiomics`` take the same command line; each cell of
the tables is one process of each, started as a user starts it (interpreter start, imports,
reading the files, the features, writing the CSV), timed from outside. Bytecode is compiled
for both (``pip install`` compiles it; ``PYTHONDONTWRITEBYTECODE`` is cleared), and the
numba kernels are cached as after the first run (the ``first run`` table shows that run).
Peak memory is the process's own high-water mark (``VmHWM``, read from /proc while it runs).

Tables (all by default; pick with the flags):

- ``--examples``: PyRadiomics' example parameter files (Params, exampleCT, exampleMR_3mm,
  exampleMR_5mm, exampleMR_NoResampling, example_allShape) on its five test cases
  (../shared/data), the fastest of ``--repeat`` runs per tool and cell, and the ratio over
  the whole table (the sum of PyRadiomics' times over the sum of radiomix's);
- ``--voxel``: exampleVoxel.yaml in voxel mode (``--mode voxel``) on brain1 and lung2;
- ``--cohort N``: N small CT nodule VOIs (60 x 60 x 10 voxels of 0.7 x 0.7 x 2.5 mm, a
  nodule of 5-15 mm, PyRadiomics' default settings: the Original image, 107 features) as
  one batch CSV with ``-j 2`` (two worker processes each): cases per second;
- ``--first-run``: a fresh copy of radiomix (bytecode compiled as pip does, no numba cache)
  runs Params, exampleCT and exampleVoxel on brain1 twice: the first run after install
  beside the next one.

    .venv/bin/python benchmarks/compare_pyradiomics_cli.py [--examples] [--voxel]
        [--cohort 1000] [--first-run] [--repeat 2]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PYRADIOMICS = ROOT / "benchmarks" / ".venv-pyradiomics" / "bin" / "pyradiomics"
RADIOMIX = Path(sys.executable).with_name("radiomix")
SHARED = ROOT.parent / "shared" / "data"
CASES = SHARED / "pyradiomics-cases"
SETTINGS = SHARED / "pyradiomics-examples" / "exampleSettings"
NAMES = ("brain1", "brain2", "breast1", "lung1", "lung2")
EXAMPLES = (
    "Params",
    "exampleCT",
    "exampleMR_3mm",
    "exampleMR_5mm",
    "exampleMR_NoResampling",
    "example_allShape",
)


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **(extra or {})}


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB of the process itself, exit status) of one command."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env or _env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    status = Path(f"/proc/{proc.pid}/status")
    peak = 0
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (OSError, ValueError, IndexError):
            pass
        time.sleep(0.005)
    wall = time.perf_counter() - t0
    proc.stderr.read() if proc.stderr else None
    return wall, peak / 1024, proc.returncode


def best(
    cmd: list[str], repeat: int, env: dict[str, str] | None = None
) -> tuple[float, float, int]:
    runs = [run(cmd, env) for _ in range(max(repeat, 1))]
    return min(runs, key=lambda r: r[0])


def _cmds(params: Path, image: Path, mask: Path, out: Path, *extra: str) -> tuple[list, list]:
    tail = [str(image), str(mask), "-p", str(params), "-f", "csv", *extra]
    return (
        [str(PYRADIOMICS), *tail, "-o", str(out.with_suffix(".pyradiomics.csv"))],
        [str(RADIOMIX), "pyradiomics", *tail, "-o", str(out.with_suffix(".radiomix.csv"))],
    )


def _row(label: str, ref: tuple[float, float, int], ours: tuple[float, float, int]) -> str:
    def cell(r: tuple[float, float, int]) -> str:
        return f"{r[0]:7.2f} {r[1]:7.0f}" if r[2] == 0 else f"{'exit ' + str(r[2]):>15s}"

    ratio = f"{ref[0] / ours[0]:6.1f}x" if ref[2] == 0 == ours[2] else f"{'':>7s}"
    return f"{label:36s} {cell(ref)} {cell(ours)} {ratio}"


HEAD = (
    f"{'':36s} {'PyRadiomics':>15s} {'radiomix':>15s}\n"
    f"{'params / case':36s} {'s':>7s} {'MiB':>7s} {'s':>7s} {'MiB':>7s} {'ratio':>7s}"
)


def examples_table(folder: Path, repeat: int) -> None:
    print("\nPyRadiomics' example parameter files x its test cases (whole processes)\n" + HEAD)
    total_ref = total_ours = 0.0
    for name in EXAMPLES:
        for case in NAMES:
            ref_cmd, our_cmd = _cmds(
                SETTINGS / f"{name}.yaml",
                CASES / f"{case}_image.nrrd",
                CASES / f"{case}_label.nrrd",
                folder / f"{name}_{case}",
            )
            ref, ours = best(ref_cmd, repeat), best(our_cmd, repeat)
            print(_row(f"{name} / {case}", ref, ours), flush=True)
            if ref[2] == 0 == ours[2]:
                total_ref, total_ours = total_ref + ref[0], total_ours + ours[0]
    print(
        f"{'whole table':36s} {total_ref:7.2f} {'':7s} {total_ours:7.2f} {'':7s} "
        f"{total_ref / max(total_ours, 1e-9):6.1f}x"
    )


def voxel_table(folder: Path, repeat: int) -> None:
    print("\nexampleVoxel.yaml in voxel mode (whole processes; maps written)\n" + HEAD)
    for case in ("brain1", "lung2"):
        out = folder / f"voxel_{case}"
        out.mkdir()
        ref_cmd, our_cmd = _cmds(
            SETTINGS / "exampleVoxel.yaml",
            CASES / f"{case}_image.nrrd",
            CASES / f"{case}_label.nrrd",
            out / "table",
            "--mode",
            "voxel",
            "-od",
            str(out),
        )
        print(
            _row(f"exampleVoxel / {case}", best(ref_cmd, repeat), best(our_cmd, repeat)), flush=True
        )


def make_cohort(folder: Path, n: int, seed: int = 11) -> Path:
    """``n`` CT nodule VOIs of 60 x 60 x 10 voxels and the batch CSV naming them."""
    import SimpleITK as sitk
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    z, y, x = np.ogrid[:10, :60, :60]
    rows = []
    for i in range(n):
        img = rng.normal(-750, 60, (10, 60, 60))
        r_mm = rng.uniform(2.5, 7.5)
        cz, cy, cx = rng.uniform(4, 6), rng.uniform(24, 36), rng.uniform(24, 36)
        d = np.sqrt(((z - cz) * 2.5) ** 2 + ((y - cy) * 0.7) ** 2 + ((x - cx) * 0.7) ** 2)
        nodule = d <= r_mm * (1 + 0.15 * rng.standard_normal((10, 60, 60)))
        img[nodule] = rng.normal(20, 40, int(nodule.sum()))
        img = ndimage.gaussian_filter(img, 0.7).astype(np.int16)
        lab = ndimage.binary_opening(nodule).astype(np.uint8)
        if lab.sum() < 8:
            lab = (d <= r_mm).astype(np.uint8)
        paths = []
        for arr, kind in ((img, "image"), (lab, "label")):
            im = sitk.GetImageFromArray(arr)
            im.SetSpacing((0.7, 0.7, 2.5))
            path = folder / f"voi{i:04d}_{kind}.nrrd"
            sitk.WriteImage(im, str(path), True)
            paths.append(path)
        rows.append({"Image": str(paths[0]), "Mask": str(paths[1])})
    batch = folder / "batch.csv"
    with batch.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["Image", "Mask"])
        w.writeheader()
        w.writerows(rows)
    return batch


def cohort_table(folder: Path, n: int) -> None:
    vois = folder / "cohort"
    vois.mkdir()
    batch = make_cohort(vois, n)
    print(f"\n{n} CT nodule VOIs (60 x 60 x 10), default settings, -j 2 (one batch process)")
    print(f"{'tool':12s} {'s':>8s} {'cases/s':>8s} {'rows':>6s}")
    results = {}
    for tool, cmd in (
        ("PyRadiomics", [str(PYRADIOMICS), str(batch), "-j", "2", "-f", "csv"]),
        ("radiomix", [str(RADIOMIX), "pyradiomics", str(batch), "-j", "2", "-f", "csv"]),
    ):
        out = vois / f"{tool}.csv"
        wall, _, rc = run([*cmd, "-o", str(out)])
        with out.open(newline="") as fh:
            rows = sum(1 for _ in csv.DictReader(fh))
        results[tool] = wall
        print(
            f"{tool:12s} {wall:8.1f} {n / wall:8.1f} {rows:6d}" + ("" if rc == 0 else f" exit {rc}")
        )
    print(f"{'ratio':12s} {results['PyRadiomics'] / results['radiomix']:7.1f}x")


def first_run_table(folder: Path) -> None:
    fresh = folder / "fresh"
    shutil.copytree(
        ROOT / "src" / "radiomix",
        fresh / "radiomix",
        ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"),
    )
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(fresh)], check=True)
    env = _env({"PYTHONPATH": str(fresh)})
    print(
        "\nradiomix right after install (bytecode compiled, no numba cache): first run, then next"
    )
    print(f"{'params / case':36s} {'first s':>8s} {'next s':>8s} {'first/next':>10s}")
    for name, extra in (("Params", ()), ("exampleCT", ()), ("exampleVoxel", ("--mode", "voxel"))):
        out = folder / f"first_{name}"
        out.mkdir()
        cmd = [
            sys.executable, "-m", "radiomix.cli.main", "pyradiomics",
            str(CASES / "brain1_image.nrrd"), str(CASES / "brain1_label.nrrd"),
            "-p", str(SETTINGS / f"{name}.yaml"), "-f", "csv", "-o", str(out / "t.csv"),
            *extra, *(("-od", str(out)) if extra else ()),
        ]  # fmt: skip
        first, _, rc1 = run(cmd, env)
        nxt, _, rc2 = run(cmd, env)
        flag = "" if rc1 == rc2 == 0 else f" exit {rc1}/{rc2}"
        print(f"{name + ' / brain1':36s} {first:8.2f} {nxt:8.2f} {first / nxt:9.1f}x{flag}")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--examples", action="store_true")
    ap.add_argument("--voxel", action="store_true")
    ap.add_argument("--cohort", type=int, default=0, metavar="N")
    ap.add_argument("--first-run", action="store_true")
    ap.add_argument("--repeat", type=int, default=2, help="runs per tool and cell; fastest shown")
    args = ap.parse_args()
    if not PYRADIOMICS.exists():
        sys.exit(f"needs {PYRADIOMICS}: run benchmarks/setup_pyradiomics.sh first")
    if not (CASES / "brain1_image.nrrd").exists() or not SETTINGS.exists():
        sys.exit(f"needs PyRadiomics' cases and example settings in {SHARED}")
    everything = not (args.examples or args.voxel or args.cohort or args.first_run)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if everything or args.first_run:
            first_run_table(folder)
        if everything or args.examples:
            examples_table(folder, args.repeat)
        if everything or args.voxel:
            voxel_table(folder, args.repeat)
        if everything or args.cohort:
            cohort_table(folder, args.cohort or 1000)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
