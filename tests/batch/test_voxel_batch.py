"""The voxel-mode batch: maps written per case, their paths in the table, a bad case in the
errors table while the others go on, on any executor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from radiomix.extraction.batch import ERROR_COLUMNS, run_voxel_batch
from radiomix.extraction.executors import InProcessExecutor, LocalProcessExecutor
from radiomix.extraction.manifest import read_manifest
from tests.batch._workers import fake_voxel_case


@pytest.mark.parametrize("jobs", [1, 2], ids=["in-process", "processes"])
def test_maps_per_case_and_a_bad_case_recorded(tmp_path: Path, jobs: int) -> None:
    manifest = tmp_path / "cases.csv"
    manifest.write_text(
        "case_id,image,mask,label,site\na,a.nrrd,m.nrrd,2,x\nb,bad.nrrd,m.nrrd,,y\nc,c.nrrd,m.nrrd,,z\n"
    )
    executor = InProcessExecutor() if jobs == 1 else LocalProcessExecutor(jobs)
    res = run_voxel_batch(
        read_manifest(manifest), fake_voxel_case, tmp_path / "maps", executor=executor
    )
    assert res.n_cases == 3 and res.n_failed == 1
    assert list(res.table.columns) == [
        "case_id",
        "roi",
        "site",
        "diagnostics_Mask",
        "original_firstorder_Mean",
    ]
    assert list(res.table["case_id"]) == ["a", "c"] and list(res.table["roi"]) == ["2", "1"]
    paths = [Path(p) for p in res.table["original_firstorder_Mean"]]
    assert [p.name for p in paths] == [
        "Case-1_original_firstorder_Mean.nrrd",
        "Case-3_original_firstorder_Mean.nrrd",
    ]
    for path, lab in zip(paths, (2.0, 1.0), strict=True):
        assert path.parent == (tmp_path / "maps").resolve()
        np.testing.assert_array_equal(sitk.GetArrayFromImage(sitk.ReadImage(str(path))), lab)
    assert list(res.errors.columns) == ERROR_COLUMNS
    assert list(res.errors["case_id"]) == ["b"]
    assert res.errors.loc[0, "error_type"] == "ValueError"
    assert "bad.nrrd" in res.errors.loc[0, "message"]
