"""``radiomix extract ... --params P.yaml --mode voxel``: PyRadiomics' voxel mode on the
command line (feature maps as NRRD files, their paths in the table), against the voxel
fixtures made by PyRadiomics 3.0.1 (``expected_voxel.{json,npz}``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
import yaml

from radiomix.cli.main import main

DATA = Path(__file__).resolve().parents[1] / "data" / "pyradiomics_compat"
META = json.loads((DATA / "expected_voxel.json").read_text())
VALUES = np.load(DATA / "expected_voxel.npz")
RUN = "default_r1/ct_c"


def _params(tmp_path: Path) -> Path:
    path = tmp_path / "voxel.yaml"
    path.write_text(yaml.safe_dump(META["configs"]["default_r1"]))
    return path


def _check_maps(row: pd.Series) -> None:
    run = META["runs"][RUN]
    keys = [k for k in row.index if str(k).startswith("original_")]
    assert keys == run["keys"]
    for key in keys:
        img = sitk.ReadImage(str(row[key]))
        assert list(img.GetSize()) == run["size"]
        values = sitk.GetArrayFromImage(img).ravel()[run["roi_index"]]
        np.testing.assert_allclose(values, VALUES[f"{RUN}/{key}"], rtol=1e-6, atol=1e-9)


def test_single_case_writes_maps_and_their_paths(tmp_path: Path) -> None:
    out = tmp_path / "maps.csv"
    args = ["extract", str(DATA / "ct_c_image.nrrd"), str(DATA / "ct_c_label.nrrd")]
    opts = ["--params", str(_params(tmp_path)), "--label", "2", "--mode", "voxel"]
    rc = main([*args, *opts, "--out", str(out)])
    assert rc == 0
    table = pd.read_csv(out)
    assert len(table) == 1 and table.loc[0, "roi"] == 2
    assert "diagnostics_Mask-original_BoundingBox" in table.columns
    assert Path(table.loc[0, "original_glcm_Contrast"]) == (
        tmp_path / "maps.maps" / "Case-1_original_glcm_Contrast.nrrd"
    )
    _check_maps(table.iloc[0])


@pytest.mark.parametrize(
    "jobs", [["--jobs", "1"], ["--jobs", "2"]], ids=["in-process", "processes"]
)
def test_manifest_records_a_bad_case_and_goes_on(tmp_path: Path, jobs: list[str]) -> None:
    manifest = tmp_path / "batch.csv"
    manifest.write_text(
        "Image,Mask,Label,site\n"
        f"{DATA / 'ct_c_image.nrrd'},{DATA / 'ct_c_label.nrrd'},2,a\n"
        f"{DATA / 'ct_c_image.nrrd'},{tmp_path / 'missing.nrrd'},2,b\n"
        f"{DATA / 'ct_c_image.nrrd'},{DATA / 'ct_c_label.nrrd'},2,c\n"
    )
    out = tmp_path / "run" / "maps.parquet"
    run = ["extract", "--manifest", str(manifest), "--params", str(_params(tmp_path))]
    rc = main(
        [*run, *jobs, "--mode", "voxel", "--out", str(out), "--out-dir", str(tmp_path / "fm")]
    )
    assert rc == 3
    table = pd.read_parquet(out)
    assert list(table["site"]) == ["a", "c"]
    assert list(table.columns[:3]) == ["case_id", "roi", "site"]
    assert Path(table["original_firstorder_Mean"].iloc[1]).name == (
        "Case-3_original_firstorder_Mean.nrrd"
    )
    for _, row in table.iterrows():
        _check_maps(row)
    errors = pd.read_csv(tmp_path / "run" / "maps.errors.csv")
    assert len(errors) == 1 and "missing.nrrd" in errors.loc[0, "message"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--mode", "voxel", "--kernel-radius", "0"], "positive integer"),
        (["--params", "P", "--mode", "voxel", "--jobs", "2"], "--jobs applies to --manifest"),
        (["--params", "P", "--mode", "voxel", "--no-cache"], "keeps no cache"),
        (["--params", "P", "--mode", "voxel", "--format", "long"], "drop --format long"),
        (["--params", "P", "--mode", "voxel", "--label", "1,2"], "one label"),
        (["--params", "P", "--out-dir", "D"], "--out-dir applies to --mode voxel"),
    ],
)
def test_voxel_mode_refuses_what_it_does_not_do(
    tmp_path: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    params = _params(tmp_path)
    extra = [str(params) if a == "P" else a for a in extra]
    args = ["extract", str(DATA / "ct_c_image.nrrd"), str(DATA / "ct_c_label.nrrd")]
    rc = main([*args, *extra, "--out", str(tmp_path / "o.csv")])
    assert rc == 2
    assert message in capsys.readouterr().err
