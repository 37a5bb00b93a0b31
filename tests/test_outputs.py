"""The one output module: atomic files with the umask's permissions, exact tables, up-front checks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radiomix._outputs import (
    atomic_write,
    atomic_write_text,
    check_table_path,
    ensure_writable,
    ensure_writable_dir,
    write_table,
)
from radiomix.errors import ConfigError, OutputError


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_atomic_files_get_the_permissions_of_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        atomic_write_text(tmp_path / "a" / "b.txt", "x")
        write_table(pd.DataFrame({"v": [1.5]}), tmp_path / "t.csv")
    finally:
        os.umask(old)
    for name in ("a/b.txt", "t.csv"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "keep.csv"
    target.write_text("old")

    def fail(tmp: str) -> None:
        Path(tmp).write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv"]


def _awkward() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "case_id": ["a", "b", "c"],
            "tiny": rng.random(3) * 1e-300,
            "plain": [0.1 + 0.2, 1 / 3, 2.0**0.5],
            "huge": rng.random(3) * 1e300,
            "gap": [1.0, np.nan, -np.inf],
            "count": np.array([1, 2, 3], dtype=np.int64),
        }
    )


@pytest.mark.parametrize("ext", [".csv", ".parquet", ".pq", ".json"])
def test_tables_read_back_bit_for_bit(tmp_path: Path, ext: str) -> None:
    table = _awkward()
    path = tmp_path / f"t{ext}"
    write_table(table, path)
    if ext == ".csv":
        back = pd.read_csv(path)
    elif ext == ".json":
        back = pd.DataFrame(json.loads(path.read_text()))
    else:
        back = pd.read_parquet(path)
    for col in ("tiny", "plain", "huge", "gap"):
        got = back[col].to_numpy(dtype=float)
        assert np.array_equal(got, table[col].to_numpy(), equal_nan=True), col
    assert back["count"].tolist() == [1, 2, 3]


def test_json_tables_are_a_list_of_rows_with_null_for_nan(tmp_path: Path) -> None:
    write_table(_awkward(), tmp_path / "t.json")
    rows = json.loads((tmp_path / "t.json").read_text())
    assert [r["case_id"] for r in rows] == ["a", "b", "c"]
    assert rows[1]["gap"] is None and rows[0]["count"] == 1


@pytest.mark.parametrize("name", ["t.xlsx", "t", "t.txt", "t.tsv"])
def test_a_table_name_radiomix_does_not_write_is_refused_before_writing(
    tmp_path: Path, name: str
) -> None:
    with pytest.raises(ConfigError, match=r"\.csv, \.parquet \(\.pq\) or \.json"):
        write_table(_awkward(), tmp_path / name)
    with pytest.raises(ConfigError):
        check_table_path(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_ensure_writable_finds_what_cannot_be_written_and_creates_nothing(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        ensure_writable(tmp_path / "file" / "out.csv")
    with pytest.raises(OutputError, match="is a folder"):
        ensure_writable(tmp_path)
    with pytest.raises(OutputError, match="is a file, not a folder"):
        ensure_writable_dir(tmp_path / "file" / "cache", "--cache-dir")
    with pytest.raises(OutputError, match="cannot write in /proc"):
        ensure_writable("/proc/radiomix-test/out.csv")
    ensure_writable(tmp_path / "new" / "deeper" / "out.csv")
    ensure_writable_dir(tmp_path / "new" / "cache")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]  # nothing was made
