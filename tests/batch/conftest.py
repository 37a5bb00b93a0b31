"""Small synthetic cohorts written to disk, and a real Dask cluster on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

#: ROI voxel counts of the two labels every synthetic case holds (see write_case)
LABEL1_VOXELS = 6 * 10 * 10
LABEL2_VOXELS = 4 * 6 * 6
SPACING = (2.0, 0.8, 0.8)  # (z, y, x) mm


def write_volume(arr: np.ndarray, path: Path, spacing=SPACING) -> Path:
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(tuple(float(s) for s in reversed(spacing)))
    sitk.WriteImage(img, str(path))
    return path


def write_case(folder: Path, name: str, seed: int, shape=(12, 24, 24)) -> tuple[Path, Path]:
    """An image with noise and a label map with label 1 (600 voxels) and 2 (144 voxels)."""
    rng = np.random.default_rng(seed)
    image = rng.normal(100, 20, shape).astype(np.float32)
    mask = np.zeros(shape, np.uint8)
    mask[3:9, 5:15, 5:15] = 1
    mask[4:8, 16:22, 14:20] = 2
    if shape != (12, 24, 24):  # bigger cases (slower): scale the ROIs with the grid
        mask[:] = 0
        z, y, x = shape
        mask[z // 4 : 3 * z // 4, y // 5 : 3 * y // 5, x // 5 : 3 * x // 5] = 1
        mask[z // 4 : 3 * z // 4, 2 * y // 3 : 5 * y // 6, 2 * x // 3 : 5 * x // 6] = 2
    folder.mkdir(parents=True, exist_ok=True)
    return (
        write_volume(image, folder / f"{name}_image.nii.gz"),
        write_volume(mask, folder / f"{name}_mask.nii.gz"),
    )


@dataclass(frozen=True)
class Cohort:
    manifest: Path
    folder: Path
    n: int


def write_cohort(
    folder: Path,
    n: int = 4,
    *,
    bad: bool = False,
    shape: tuple[int, int, int] = (12, 24, 24),
    subfolder: str = "data",
) -> Cohort:
    """``n`` cases in ``folder/data`` and ``folder/cases.csv`` with relative paths.

    Odd cases ask for labels 1 and 2 (two rows), even ones for the union of the labels; an
    ``age`` column (integers) and a ``site`` column (text) are carried. With ``bad``, a
    last case points at a missing image.
    """
    rows = []
    for i in range(n):
        img, msk = write_case(folder / subfolder, f"case{i:02d}", seed=i, shape=shape)
        label = "1,2" if i % 2 else "union"
        rows.append(
            {
                "case_id": f"case{i:02d}",
                "image": img.relative_to(folder).as_posix(),
                "mask": msk.relative_to(folder).as_posix(),
                "label": label,
                "age": 40 + i,
                "site": "A" if i < n // 2 else "B",
            }
        )
    if bad:
        rows.append(
            {
                "case_id": "missing",
                "image": f"{subfolder}/nothing_here.nii.gz",
                "mask": rows[0]["mask"],
                "label": "",
                "age": 99,
                "site": "C",
            }
        )
    manifest = folder / "cases.csv"
    pd.DataFrame(rows).to_csv(manifest, index=False)
    return Cohort(manifest, folder, n)


@pytest.fixture
def cohort(tmp_path: Path) -> Cohort:
    return write_cohort(tmp_path, 4)


def assert_tables_identical(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same columns, dtypes and values; float columns compared bit for bit."""
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    for col in a.columns:
        if a[col].dtype == np.float64:
            bits_a = a[col].to_numpy().view(np.int64)
            bits_b = b[col].to_numpy().view(np.int64)
            assert np.array_equal(bits_a, bits_b), col


# -- a real dask.distributed cluster: scheduler + workers as separate processes ---------------

DASK = Path(sys.executable).with_name("dask")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class DaskCluster:
    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def start_dask_cluster(n_workers: int, log_dir: Path) -> Iterator[DaskCluster]:
    """Start ``dask scheduler`` and ``n_workers`` ``dask worker`` processes (no nanny, so
    a killed worker stays dead), yield the cluster, and stop every process afterwards."""
    pytest.importorskip("distributed", reason="needs dask.distributed (radiomix[dask])")
    if not DASK.exists():
        pytest.skip(f"needs the dask command line beside {sys.executable}")
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    procs: list[subprocess.Popen] = []
    log_dir.mkdir(parents=True, exist_ok=True)

    def spawn(args: list[str], log: str) -> subprocess.Popen:
        fh = (log_dir / log).open("w")
        p = subprocess.Popen(args, stdout=fh, stderr=subprocess.STDOUT, env=env)
        fh.close()
        procs.append(p)
        return p

    try:
        sched = spawn(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            "scheduler.log",
        )
        workers = [
            spawn(
                [
                    str(DASK),
                    "worker",
                    address,
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--memory-limit",
                    "0",
                    "--name",
                    f"w{i}",
                ],
                f"worker{i}.log",
            )
            for i in range(n_workers)
        ]
        deadline = time.monotonic() + 90
        client = None
        while client is None:
            try:
                client = Client(address, timeout=5, set_as_default=False)
            except OSError:
                if time.monotonic() > deadline or sched.poll() is not None:
                    raise
                time.sleep(0.5)
        try:
            client.wait_for_workers(n_workers, timeout=90)
        finally:
            client.close()
        yield DaskCluster(address, sched, workers)
    finally:
        for p in reversed(procs):
            _stop(p)
