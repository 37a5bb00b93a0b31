"""A real dask.distributed cluster on 127.0.0.1: a scheduler and two worker processes.

The cluster is started with the ``dask scheduler`` / ``dask worker`` command lines of this
environment (separate processes, no nanny) and stopped by the fixtures' finalizers.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from radiomix.cli.main import main
from radiomix.errors import ExecutorError
from radiomix.extraction.batch import CaseOutcome, run_batch
from radiomix.extraction.executors import DaskExecutor, InProcessExecutor
from radiomix.extraction.manifest import read_manifest
from radiomix.extraction.settings import load_config
from tests.batch.conftest import assert_tables_identical, start_dask_cluster, write_cohort

pytest.importorskip("distributed", reason="needs dask.distributed (radiomix[dask])")

SETTINGS = load_config("default")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    yield from start_dask_cluster(2, tmp_path_factory.mktemp("dask-logs"))


@pytest.fixture
def fresh_cluster(tmp_path):
    yield from start_dask_cluster(2, tmp_path / "dask-logs")


def test_dask_cluster_gives_the_local_table_bit_for_bit(cluster, tmp_path):
    co = write_cohort(tmp_path, 4, bad=True)
    # through the command line, as a user would run it
    out = tmp_path / "dask.parquet"
    rc = main(
        [
            "extract",
            "--manifest",
            str(co.manifest),
            "--scheduler",
            cluster.address,
            "--out",
            str(out),
            "--no-cache",
            "--quiet",
            "--config",
            "default",
        ]
    )
    assert rc == 3  # the missing case failed, the others are there
    import pandas as pd

    dask_table = pd.read_parquet(out)
    local = run_batch(read_manifest(co.manifest), SETTINGS, executor=InProcessExecutor())
    assert_tables_identical(dask_table, local.table)
    errors = pd.read_csv(tmp_path / "dask.errors.csv")
    assert errors["case_id"].tolist() == ["missing"]


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    with pytest.raises(ExecutorError, match="cannot reach the Dask scheduler"):
        DaskExecutor("tcp://127.0.0.1:9", timeout=2)._client()


class _KillOneWorker:
    """Progress receiver that SIGKILLs a busy worker when the first case comes back."""

    def __init__(self, cluster) -> None:
        self.cluster = cluster
        self.killed_pid: int | None = None
        self.killed_running: list[str] = []
        self.outcomes: list[CaseOutcome] = []

    def start(self, total: int, cached: int, description: str) -> None:
        return None

    def advance(self, outcome: CaseOutcome) -> None:
        self.outcomes.append(outcome)
        if self.killed_pid is not None:
            return
        from distributed import Client

        with Client(self.cluster.address, timeout=10, set_as_default=False) as client:
            pids = client.run(os.getpid)  # worker address -> pid
            processing = client.processing()
        busy = [(addr, keys) for addr, keys in processing.items() if keys]
        assert busy, "no worker is busy: the cohort is too small for this test"
        addr, keys = busy[0]
        self.killed_pid = pids[addr]
        self.killed_running = list(keys)
        os.kill(self.killed_pid, signal.SIGKILL)

    def close(self) -> None:
        return None


def test_a_worker_killed_mid_run_loses_no_case(fresh_cluster, tmp_path):
    # 10 cases big enough (~0.5 s each) that both workers are busy when one is killed
    co = write_cohort(tmp_path, 10, shape=(24, 64, 64))
    man = read_manifest(co.manifest)
    killer = _KillOneWorker(fresh_cluster)
    res = run_batch(man, SETTINGS, executor=DaskExecutor(fresh_cluster.address), progress=killer)
    assert killer.killed_pid is not None and killer.killed_running
    victim = next(w for w in fresh_cluster.workers if w.pid == killer.killed_pid)
    deadline = time.monotonic() + 10
    while victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert victim.poll() == -signal.SIGKILL  # the worker really died
    assert res.n_failed == 0
    assert sorted(o.case_id for o in res.outcomes) == [f"case{i:02d}" for i in range(10)]
    local = run_batch(man, SETTINGS, executor=InProcessExecutor())
    assert_tables_identical(res.table, local.table)


def test_voxel_mode_runs_on_the_cluster(cluster, tmp_path):
    """``--mode voxel`` sends its cases to the Dask workers, which write the maps."""
    import pandas as pd
    import SimpleITK as sitk

    from tests.compat.test_cli_voxel import DATA, _check_maps, _params

    manifest = tmp_path / "batch.csv"
    manifest.write_text(
        "Image,Mask,Label\n"
        f"{DATA / 'ct_c_image.nrrd'},{DATA / 'ct_c_label.nrrd'},2\n"
        f"{DATA / 'ct_c_image.nrrd'},{tmp_path / 'missing.nrrd'},2\n"
    )
    out = tmp_path / "maps.csv"
    args = ["extract", "--manifest", str(manifest), "--params", str(_params(tmp_path))]
    rc = main([*args, "--mode", "voxel", "--scheduler", cluster.address, "--out", str(out)])
    assert rc == 3
    table = pd.read_csv(out)
    assert len(table) == 1
    _check_maps(table.iloc[0])
    assert sitk.ReadImage(table.loc[0, "original_glcm_Contrast"]).GetPixelID() == sitk.sitkFloat64
    assert pd.read_csv(tmp_path / "maps.errors.csv")["image"].tolist() == [
        str(DATA / "ct_c_image.nrrd")
    ]
