"""The batch runner: rows per (case, ROI), errors beside, cache, provenance, executors."""

from __future__ import annotations

import hashlib
import os
import sys

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radiomix import __version__
from radiomix.extraction import api
from radiomix.extraction.api import extract
from radiomix.extraction.batch import ERROR_COLUMNS, LogProgress, run_batch
from radiomix.extraction.cache import InputHasher, ResultCache
from radiomix.extraction.executors import InProcessExecutor, LocalProcessExecutor
from radiomix.extraction.manifest import read_manifest
from radiomix.extraction.settings import load_config, settings_hash
from tests.batch._workers import crash_on_two, lost
from tests.batch.conftest import (
    LABEL1_VOXELS,
    LABEL2_VOXELS,
    assert_tables_identical,
    write_cohort,
    write_volume,
)

SETTINGS = load_config("default")


def _sha256(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_rows_per_case_and_roi_with_carried_and_provenance_columns(cohort):
    man = read_manifest(cohort.manifest)
    res = run_batch(man, SETTINGS)
    t = res.table
    # cases 0 and 2: one ROI (the union of the labels); cases 1 and 3: labels 1 and 2
    assert list(zip(t["case_id"], t["roi"], strict=True)) == [
        ("case00", "union"),
        ("case01", "1"),
        ("case01", "2"),
        ("case02", "union"),
        ("case03", "1"),
        ("case03", "2"),
    ]
    assert t["diagnostics_int_mask_vox_count_init_roi"].tolist() == [
        LABEL1_VOXELS + LABEL2_VOXELS,
        LABEL1_VOXELS,
        LABEL2_VOXELS,
        LABEL1_VOXELS + LABEL2_VOXELS,
        LABEL1_VOXELS,
        LABEL2_VOXELS,
    ]
    assert t["diagnostics_img_dim_x_init_img"].tolist() == [24] * 6
    assert t["diagnostics_vox_dim_z_init_img"].tolist() == [2.0] * 6
    assert t["diagnostics_int_mask_bb_dim_z_init_roi"].tolist()[1:3] == [6, 4]
    assert t["age"].tolist() == [40, 41, 41, 42, 43, 43]
    assert t["site"].tolist() == ["A", "A", "A", "B", "B", "B"]
    assert list(t.columns[:4]) == ["case_id", "roi", "age", "site"]
    # provenance: real content hashes, settings hash, versions of this process
    first = t.iloc[0]
    img = cohort.folder / "data" / "case00_image.nii.gz"
    assert first["provenance_image"] == "data/case00_image.nii.gz"
    assert first["provenance_image_sha256"] == _sha256(img)
    assert first["provenance_mask_sha256"] == _sha256(cohort.folder / "data/case00_mask.nii.gz")
    assert first["provenance_settings_hash"] == settings_hash(SETTINGS)
    assert first["provenance_radiomix_version"] == __version__
    assert first["provenance_numpy_version"] == np.__version__
    assert first["provenance_simpleitk_version"] == sitk.__version__
    assert first["provenance_python_version"] == ".".join(map(str, sys.version_info[:3]))
    assert res.errors.empty and res.n_failed == 0 and res.n_computed == 4


def test_batch_row_equals_single_case_table(cohort):
    """Same feature and diagnostics columns and values as ``radiomix.extract`` on the case."""
    res = run_batch(read_manifest(cohort.manifest), SETTINGS)
    single = extract(
        cohort.folder / "data/case01_image.nii.gz",
        cohort.folder / "data/case01_mask.nii.gz",
        SETTINGS,
        label=[1, 2],
        case_id="case01",
    )
    batch = res.table[res.table["case_id"] == "case01"].reset_index(drop=True)
    extra = [c for c in batch.columns if c.startswith("provenance_") or c in ("age", "site")]
    assert_tables_identical(batch.drop(columns=extra), single)


def test_a_bad_case_is_recorded_and_the_others_go_on(tmp_path, monkeypatch):
    co = write_cohort(tmp_path, 4, bad=True)
    # case03 asks for a label absent from its mask; case02 has an empty mask
    df = pd.read_csv(co.manifest, keep_default_na=False, dtype=str)
    df.loc[3, "label"] = "7"
    empty = write_volume(np.zeros((12, 24, 24), np.uint8), tmp_path / "data" / "empty.nii.gz")
    df.loc[2, "mask"] = empty.relative_to(tmp_path).as_posix()
    df.to_csv(co.manifest, index=False)
    # and an unexpected (non-radiomix) exception inside case00
    real = api.extract_results

    def flaky(image, *args, **kwargs):
        if "case00" in str(image):
            raise ZeroDivisionError("simulated bug")
        return real(image, *args, **kwargs)

    monkeypatch.setattr(api, "extract_results", flaky)
    res = run_batch(read_manifest(co.manifest), SETTINGS, executor=InProcessExecutor())
    assert res.table["case_id"].tolist() == ["case01", "case01"]
    err = res.errors.set_index("case_id")
    assert list(res.errors.columns) == ERROR_COLUMNS
    assert err.loc["case00", "error_type"] == "ZeroDivisionError"
    assert err.loc["case00", "message"] == "simulated bug"
    assert "flaky" in err.loc["case00", "traceback"]  # traceback summary: file:line in func
    assert err.loc["case02", "error_type"] == "EmptyMaskError"
    assert err.loc["case03", "error_type"] == "LabelNotFoundError"
    assert "7" in err.loc["case03", "message"]
    assert err.loc["missing", "error_type"] == "ImageReadError"
    assert "nothing_here.nii.gz does not exist" in err.loc["missing", "message"]
    assert res.n_failed == 4


def test_cache_resumes_and_returns_identical_table(cohort, tmp_path):
    man = read_manifest(cohort.manifest)
    cache = ResultCache(tmp_path / "cache")
    first = run_batch(man, SETTINGS, cache=cache)
    assert (first.n_cached, first.n_computed, len(cache)) == (0, 4, 4)
    again = run_batch(man, SETTINGS, cache=cache)
    assert (again.n_cached, again.n_computed) == (4, 0)
    assert_tables_identical(first.table, again.table)
    # other settings: another key, everything recomputed
    other = load_config({"discretisation": {"method": "fixed_bin_number", "bin_count": 16}})
    assert run_batch(man, other, cache=cache).n_computed == 4
    # one changed image: only that case is recomputed
    img = cohort.folder / "data" / "case02_image.nii.gz"
    rng = np.random.default_rng(99)
    write_volume(rng.normal(0, 1, (12, 24, 24)).astype(np.float32), img)
    res = run_batch(man, SETTINGS, cache=cache)
    assert (res.n_cached, res.n_computed) == (3, 1)
    # damaged entries are recomputed, not trusted
    for entry in (tmp_path / "cache").glob("??/*.json"):
        entry.write_text("{not json")
    assert run_batch(man, SETTINGS, cache=cache).n_computed == 4


def test_cached_rows_take_ids_and_paths_from_the_current_manifest(cohort, tmp_path):
    cache = ResultCache(tmp_path / "cache")
    run_batch(read_manifest(cohort.manifest), SETTINGS, cache=cache)
    df = pd.read_csv(cohort.manifest, keep_default_na=False, dtype=str)
    df["case_id"] = "P" + df["case_id"]
    df.to_csv(cohort.manifest, index=False)
    res = run_batch(read_manifest(cohort.manifest), SETTINGS, cache=cache)
    assert res.n_cached == 4
    assert res.table["case_id"].iloc[0] == "Pcase00"


def test_folder_hash_covers_every_file(tmp_path):
    d = tmp_path / "series"
    d.mkdir()
    (d / "a.dcm").write_bytes(b"one")
    (d / "b.dcm").write_bytes(b"two")
    hasher = InputHasher()
    h1 = hasher.path_hash(d)
    (d / "b.dcm").write_bytes(b"TWO")
    os.utime(d / "b.dcm", ns=(1, 1))  # new mtime: the remembered hash is not reused
    assert hasher.path_hash(d) != h1
    assert hasher.file_hash(d / "a.dcm") == hashlib.sha256(b"one").hexdigest()


def test_input_hashes_are_remembered_between_runs(tmp_path):
    f = tmp_path / "x.bin"
    f.write_bytes(b"x" * 5000)
    store = tmp_path / "hashes.json"
    h = InputHasher(store)
    digest = h.path_hash(f)
    h.save()
    again = InputHasher(store)
    assert again.path_hash(f) == digest
    assert again.bytes_read == 0  # from the store, not read


def test_log_progress_lines(cohort):
    import io

    buf = io.StringIO()
    run_batch(read_manifest(cohort.manifest), SETTINGS, progress=LogProgress(buf))
    lines = buf.getvalue().splitlines()
    assert lines[0] == "radiomix: 4 case(s) to compute on in-process (0 from cache)"
    assert lines[-1].startswith("radiomix: [4/4] case03: ok")
    assert "0 failed" in lines[-1] and "cases/min" in lines[-1] and "ETA" in lines[-1]


def test_local_processes_give_the_in_process_table_bit_for_bit(cohort):
    man = read_manifest(cohort.manifest)
    inproc = run_batch(man, SETTINGS, executor=InProcessExecutor())
    procs = run_batch(man, SETTINGS, executor=LocalProcessExecutor(2))
    assert_tables_identical(inproc.table, procs.table)


def test_a_case_that_kills_its_worker_is_given_up_and_the_rest_go_on():
    ex = LocalProcessExecutor(2)
    out = sorted(ex.map_unordered(crash_on_two, [0, 1, 2, 3, 4, 5], lost))
    # case 2 killed its worker twice (with case 1 beside it, then alone): given up; case 1,
    # a bystander in the first crash, reran alone and succeeded
    assert out == [-2, 0, 10, 30, 40, 50]


def test_rich_progress_bar_renders_counts(cohort):
    import io

    from radiomix.extraction.batch import RichProgress

    buf = io.StringIO()
    res = run_batch(read_manifest(cohort.manifest), SETTINGS, progress=RichProgress(buf))
    assert res.n_failed == 0
    text = buf.getvalue()
    assert "4/4" in text and "0 failed" in text and "cases/min" in text


def test_make_executor_choices():
    from radiomix.errors import ExecutorError
    from radiomix.extraction.executors import DaskExecutor, default_jobs, make_executor

    assert isinstance(make_executor(jobs=1), InProcessExecutor)
    ex = make_executor(jobs=3)
    assert isinstance(ex, LocalProcessExecutor) and ex.jobs == 3
    assert ex.start_method in ("forkserver", "spawn")
    default = make_executor()
    expected = InProcessExecutor if default_jobs() == 1 else LocalProcessExecutor
    assert isinstance(default, expected)
    assert isinstance(make_executor(scheduler="tcp://127.0.0.1:8786"), DaskExecutor)
    with pytest.raises(ExecutorError, match="either --jobs"):
        make_executor(jobs=2, scheduler="tcp://127.0.0.1:8786")


def test_extract_batch_python_api(cohort, tmp_path):
    from radiomix.extraction.batch import extract_batch

    cases = pd.read_csv(cohort.manifest, dtype=str, keep_default_na=False)
    cases.loc[cases["label"] == "union", "label"] = ""  # cases 0 and 2 give no label
    manifest = cohort.folder / "no-label.csv"
    cases.to_csv(manifest, index=False)
    res = extract_batch(manifest, "default", cache_dir=tmp_path / "c", label="union")
    # rows without a label take the default given here: the union for cases 0 and 2
    assert res.n_failed == 0
    assert list(res.table["roi"]) == ["union", "1", "2", "union", "1", "2"]
    assert extract_batch(manifest, "default", cache_dir=tmp_path / "c", label="union").n_cached == 4
    # without a default, a label map's labels are each their own ROI
    res = extract_batch(manifest, "default")
    assert list(res.table["roi"]) == ["1", "2"] * 4
