"""``radiomix extract --manifest``: outputs beside the table, exit codes, resume after SIGKILL."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from radiomix.cli.main import main
from radiomix.extraction.cache import ResultCache
from radiomix.extraction.settings import load_config, settings_hash
from tests.batch.conftest import write_cohort

RADIOMIX = Path(sys.executable).with_name("radiomix")


def test_all_ok_exit_0_with_settings_beside_and_no_errors_file(cohort, tmp_path, capsys):
    out = tmp_path / "out" / "features.csv"
    stale = tmp_path / "out" / "features.errors.csv"
    stale.parent.mkdir()
    stale.write_text("case_id\nold\n")
    rc = main(["extract", "--manifest", str(cohort.manifest), "--out", str(out), "--jobs", "1"])
    assert rc == 0
    table = pd.read_csv(out)
    assert len(table) == 6 and table["age"].tolist() == [40, 41, 41, 42, 43, 43]
    assert not stale.exists()  # an errors table of an earlier run is removed
    written = load_config(str(tmp_path / "out" / "features.settings.yaml"))
    assert settings_hash(written) == table["provenance_settings_hash"].iloc[0]
    assert (tmp_path / "out" / "features.cache").is_dir()
    err = capsys.readouterr().err
    assert "4 case(s): 0 from cache, 4 computed, 0 failed" in err


def test_some_failed_exit_3_and_errors_table(tmp_path):
    co = write_cohort(tmp_path, 2, bad=True)
    out = tmp_path / "f.parquet"
    assert main(["extract", "--manifest", str(co.manifest), "--out", str(out), "--jobs", "1"]) == 3
    errors = pd.read_csv(tmp_path / "f.errors.csv")
    assert errors["case_id"].tolist() == ["missing"]
    assert errors["error_type"].tolist() == ["ImageReadError"]
    assert pd.read_parquet(out)["case_id"].tolist() == ["case00", "case01", "case01"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["img.nii", "mask.nii", "--manifest", "{m}"], "either IMAGE MASK or --manifest"),
        (["--manifest", "{m}", "--format", "long"], "wide table only"),
        (["--manifest", "{m}", "--case-id", "x"], "--case-id applies to IMAGE MASK"),
        (["--manifest", "{d}/none.csv"], "does not exist"),
        (["--manifest", "{m}", "--jobs", "0"], "--jobs must be at least 1"),
        (["--manifest", "{m}", "--cache-dir", "{d}/c", "--no-cache"], "--cache-dir or --no-cache"),
        (["img.nii"], "give IMAGE and MASK"),
        (["img.nii", "mask.nii", "--jobs", "2"], "--jobs applies to --manifest runs only"),
    ],
)
def test_bad_command_lines_exit_2(cohort, tmp_path, capsys, argv, message):
    argv = [a.format(m=cohort.manifest, d=tmp_path) for a in argv]
    assert main(["extract", *argv, "--out", str(tmp_path / "f.csv")]) == 2
    assert message in capsys.readouterr().err


def test_manifest_missing_column_exits_2(tmp_path, capsys):
    m = tmp_path / "m.csv"
    m.write_text("case_id,image\na,b\n")
    assert main(["extract", "--manifest", str(m), "--out", str(tmp_path / "f.csv")]) == 2
    assert "lacks the column(s) ['mask']" in capsys.readouterr().err


def test_output_to_stdout_is_refused_for_manifests(cohort, capsys):
    assert main(["extract", "--manifest", str(cohort.manifest), "--out", "-"]) == 2


def test_single_case_mode_unchanged(cohort, tmp_path):
    out = tmp_path / "one.csv"
    img = cohort.folder / "data/case00_image.nii.gz"
    msk = cohort.folder / "data/case00_mask.nii.gz"
    assert main(["extract", str(img), str(msk), "--out", str(out)]) == 0
    t = pd.read_csv(out)
    assert t.loc[0, "case_id"] == "case00_image"
    assert not any(c.startswith("provenance_") for c in t.columns)


def _summary(stderr: str) -> tuple[int, int, int]:
    m = re.search(r"(\d+) from cache, (\d+) computed, (\d+) failed", stderr)
    assert m, stderr
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def test_sigkill_mid_run_then_rerun_recomputes_only_the_missing_cases(tmp_path):
    n = 16
    co = write_cohort(tmp_path, n, shape=(16, 48, 48))
    out = tmp_path / "f.parquet"
    cache_dir = tmp_path / "cache"
    cmd = [
        str(RADIOMIX),
        "extract",
        "--manifest",
        str(co.manifest),
        "--out",
        str(out),
        "--cache-dir",
        str(cache_dir),
        "--jobs",
        "1",
    ]
    cache = ResultCache(cache_dir)
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while len(cache) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()  # killed before the end: no (half-written) table
    entries = sorted(cache_dir.glob("??/*.json"))
    done = len(entries)
    assert 3 <= done < n, done
    for e in entries:  # every entry complete (atomic writes)
        assert json.loads(e.read_text())["rows"]
    mtimes = {e: e.stat().st_mtime_ns for e in entries}

    rerun = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert _summary(rerun.stderr) == (done, n - done, 0)
    assert {e: e.stat().st_mtime_ns for e in entries} == mtimes  # finished cases not rewritten
    assert pd.read_parquet(out)["case_id"].nunique() == n
