"""End-to-end command line tests: extract, config, ibsi-check, demo, and bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radiomix.cli.main import main
from radiomix.extraction.api import LONG_COLUMNS
from tests.conftest import DATA, require_shared

PHANTOM = DATA / "ibsi1_digital_phantom"


def _write(arr: np.ndarray, path, spacing=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0)) -> str:
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(tuple(reversed(spacing)))
    img.SetOrigin(tuple(reversed(origin)))
    sitk.WriteImage(img, str(path))
    return str(path)


@pytest.fixture
def case(tmp_path):
    rng = np.random.default_rng(1)
    image = rng.normal(100, 20, (12, 24, 24)).astype(np.float32)
    mask = np.zeros(image.shape, np.uint8)
    mask[3:9, 5:15, 5:15] = 1
    mask[4:8, 16:22, 14:20] = 2
    return (
        _write(image, tmp_path / "img.nii.gz", (2.0, 0.8, 0.8)),
        _write(mask, tmp_path / "mask.nii.gz", (2.0, 0.8, 0.8)),
        tmp_path,
    )


def test_extract_wide_default(case, capsys):
    img, msk, tmp = case
    out = tmp / "f.csv"
    assert main(["extract", img, msk, "--out", str(out)]) == 0
    table = pd.read_csv(out, dtype={"roi": str})
    # a label map without --label: each label is its own ROI, never silently merged
    assert list(table["roi"]) == ["1", "2"]
    assert list(table["case_id"]) == ["img", "img"]
    assert "original_glcm_joint_max_3d_comb" in table.columns
    assert "original_morphology_volume" in table.columns
    counts = table["diagnostics_int_mask_vox_count_init_roi"].tolist()
    assert counts == [6 * 10 * 10, 4 * 6 * 6]


def test_extract_union_only_when_asked(case):
    img, msk, tmp = case
    out = tmp / "u.csv"
    assert main(["extract", img, msk, "--label", "union", "--out", str(out)]) == 0
    table = pd.read_csv(out, dtype={"roi": str})
    assert list(table["roi"]) == ["union"]
    assert table.loc[0, "diagnostics_int_mask_vox_count_init_roi"] == 6 * 10 * 10 + 4 * 6 * 6


def test_extract_label_0_needs_the_opt_in(case, capsys):
    img, msk, tmp = case
    out = tmp / "bg.csv"
    assert main(["extract", img, msk, "--label", "0", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--allow-background" in err[0]
    assert not out.exists()
    assert main(["extract", img, msk, "--label", "0", "--allow-background", "--out", str(out)]) == 0
    table = pd.read_csv(out, dtype={"roi": str})
    assert list(table["roi"]) == ["0"]
    n_background = 12 * 24 * 24 - 6 * 10 * 10 - 4 * 6 * 6
    assert table.loc[0, "diagnostics_int_mask_vox_count_init_roi"] == n_background


@pytest.mark.parametrize("ext", [".csv", ".json", ".parquet"])
def test_extract_writes_what_the_extension_says_with_exact_values(case, ext):
    """Every float reads back bit for bit, in each table format (no 10-digit rounding)."""
    from radiomix.extraction.api import extract

    img, msk, tmp = case
    out = tmp / f"f{ext}"
    assert main(["extract", img, msk, "--label", "1", "--out", str(out)]) == 0
    expected = extract(img, msk, label=1)
    if ext == ".csv":
        back = pd.read_csv(out, dtype={"roi": str})
    elif ext == ".json":
        back = pd.DataFrame(json.loads(out.read_text()))
        assert out.read_text().lstrip().startswith("[")
    else:
        back = pd.read_parquet(out)
    assert list(back.columns) == list(expected.columns)
    values = expected.select_dtypes("number").columns
    assert len(values) > 200
    got = back[values].to_numpy(dtype=float)
    want = expected[values].to_numpy(dtype=float)
    assert np.array_equal(got, want, equal_nan=True)  # exact, not approximately


@pytest.mark.parametrize("name", ["f.xlsx", "f", "f.txt"])
def test_extract_refuses_an_extension_it_does_not_write(case, capsys, name):
    img, msk, tmp = case
    assert main(["extract", img, msk, "--out", str(tmp / name)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ".csv, .parquet (.pq) or .json" in err[0]
    assert not (tmp / name).exists()


def test_extract_long_with_labels(case):
    img, msk, tmp = case
    out = tmp / "long.csv"
    assert (
        main(
            [
                "extract",
                img,
                msk,
                "--label",
                "1",
                "--label",
                "2",
                "--format",
                "long",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    table = pd.read_csv(out, keep_default_na=False)
    assert list(table.columns) == LONG_COLUMNS
    assert set(table["roi"].astype(str)) == {"1", "2"}
    row = table[(table["roi"].astype(str) == "1") & (table["ibsi_tag"] == "cm_joint_max_3D_comb")]
    assert len(row) == 1 and row.iloc[0]["ibsi_code"] == "GYBY"
    feats = table[table["family"] != "diagnostics"]
    assert (feats["ibsi_code"] != "").all(), feats[feats["ibsi_code"] == ""]["feature"].unique()
    vox = table[
        (table["roi"].astype(str) == "2") & (table["ibsi_tag"] == "int_mask_vox_count_init_roi")
    ]
    assert float(vox.iloc[0]["value"]) == 4 * 6 * 6


def test_extract_digital_phantom_matches_reference(tmp_path, digital_phantom_reference):
    out = tmp_path / "p.csv"
    rc = main(
        [
            "extract",
            str(PHANTOM / "image.nii.gz"),
            str(PHANTOM / "mask.nii.gz"),
            "--config",
            "ibsi1-phantom",
            "--format",
            "long",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    table = pd.read_csv(out)
    values = dict(zip(table["ibsi_tag"], table["value"], strict=True))
    from radiomix.extraction.reference import within_tolerance

    assert within_tolerance(values["morph_volume"], digital_phantom_reference["morph_volume"])
    assert within_tolerance(
        values["cm_joint_max_2D_avg"], digital_phantom_reference["cm_joint_max_2D_avg"]
    )


def test_config_show_prints_yaml(capsys):
    import yaml

    assert main(["config", "show", "ibsi1-C"]) == 0
    data = yaml.safe_load(capsys.readouterr().out)
    assert data["resample"]["spacing"] == [2.0, 2.0, 2.0]
    assert data["resegment"]["range"] == [-1000.0, 400.0]


def test_demo_runs(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    assert (tmp_path / "demo" / "features_wide.csv").exists()
    assert "feature values" in capsys.readouterr().out


def test_ibsi_check_digital_phantom_json(capsys):
    ibsi = require_shared("ibsi")
    rc = main(["ibsi-check", "--data", str(ibsi), "--config", "ibsi1-phantom", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["results"][0]["config"] == "ibsi1-phantom"
    assert rc == 0, report["results"][0]["mismatches"]


# -- bad input: each one a clear line on stderr and exit status 2 -----------------------------


def _run_error(args, capsys) -> str:
    rc = main(args)
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("radiomix: error: "), err
    return lines[0]


def test_empty_mask(case, capsys):
    img, _, tmp = case
    empty = _write(np.zeros((12, 24, 24), np.uint8), tmp / "empty.nii.gz", (2.0, 0.8, 0.8))
    msg = _run_error(["extract", img, empty, "--out", str(tmp / "x.csv")], capsys)
    assert "no ROI voxel" in msg or "empty" in msg.lower()
    assert not (tmp / "x.csv").exists()


def test_one_voxel_mask(case, capsys):
    img, _, tmp = case
    m = np.zeros((12, 24, 24), np.uint8)
    m[5, 5, 5] = 1
    one = _write(m, tmp / "one.nii.gz", (2.0, 0.8, 0.8))
    assert "single voxel" in _run_error(["extract", img, one, "--out", str(tmp / "x.csv")], capsys)


@pytest.mark.parametrize(
    ("shape", "spacing", "origin", "what"),
    [
        ((12, 24, 20), (2.0, 0.8, 0.8), (0, 0, 0), "size"),
        ((12, 24, 24), (2.5, 0.8, 0.8), (0, 0, 0), "spacing"),
        ((12, 24, 24), (2.0, 0.8, 0.8), (0, 5, 0), "origin"),
    ],
)
def test_mask_on_another_grid(case, capsys, shape, spacing, origin, what):
    img, _, tmp = case
    m = np.zeros(shape, np.uint8)
    m[3:6, 3:6, 3:6] = 1
    other = _write(m, tmp / "other.nii.gz", spacing, origin)
    assert what in _run_error(["extract", img, other, "--out", str(tmp / "x.csv")], capsys)


def test_mask_with_other_direction(case, capsys):
    img, _, tmp = case
    m = np.zeros((12, 24, 24), np.uint8)
    m[3:6, 3:6, 3:6] = 1
    im = sitk.GetImageFromArray(m)
    im.SetSpacing((0.8, 0.8, 2.0))
    im.SetDirection((0, 1, 0, 1, 0, 0, 0, 0, 1))
    sitk.WriteImage(im, str(tmp / "dir.nii.gz"))
    assert "direction" in _run_error(
        ["extract", img, str(tmp / "dir.nii.gz"), "--out", str(tmp / "x.csv")], capsys
    )


def test_nan_voxels(case, capsys):
    _, msk, tmp = case
    arr = np.full((12, 24, 24), 50.0, np.float32)
    arr[5, 8, 8] = np.nan
    bad = _write(arr, tmp / "nan.nrrd", (2.0, 0.8, 0.8))  # NIfTI I/O in ITK turns NaN into 0
    msg = _run_error(["extract", bad, msk, "--out", str(tmp / "x.csv")], capsys)
    assert "NaN" in msg or "non-finite" in msg


def test_absent_label(case, capsys):
    img, msk, tmp = case
    msg = _run_error(["extract", img, msk, "--label", "7", "--out", str(tmp / "x.csv")], capsys)
    assert "7" in msg and "1" in msg and "2" in msg


def test_unknown_config_key(case, capsys):
    img, msk, tmp = case
    cfg = tmp / "bad.yaml"
    cfg.write_text("texture: {spatail: [3D]}\n")
    msg = _run_error(
        ["extract", img, msk, "--config", str(cfg), "--out", str(tmp / "x.csv")], capsys
    )
    assert "spatail" in msg and "spatial" in msg


def test_truncated_file(case, capsys):
    img, msk, tmp = case
    data = Path(img).read_bytes()
    (tmp / "trunc.nii.gz").write_bytes(data[: len(data) // 2])
    msg = _run_error(
        ["extract", str(tmp / "trunc.nii.gz"), msk, "--out", str(tmp / "x.csv")], capsys
    )
    assert "trunc.nii.gz" in msg


def test_unreadable_file(case, capsys):
    _, msk, tmp = case
    (tmp / "junk.nii.gz").write_bytes(gzip.compress(b"not an image at all"))
    msg = _run_error(
        ["extract", str(tmp / "junk.nii.gz"), msk, "--out", str(tmp / "x.csv")], capsys
    )
    assert "junk.nii.gz" in msg


def test_missing_file(case, capsys):
    _, msk, tmp = case
    msg = _run_error(
        ["extract", str(tmp / "nope.nii.gz"), msk, "--out", str(tmp / "x.csv")], capsys
    )
    assert "nope.nii.gz" in msg


def test_2d_image_with_3d_mask(case, capsys):
    _, msk, tmp = case
    from PIL import Image

    Image.fromarray(np.full((24, 24), 120, np.uint8)).save(tmp / "img2d.png")
    msg = _run_error(["extract", str(tmp / "img2d.png"), msk, "--out", str(tmp / "x.csv")], capsys)
    assert "2D" in msg


@pytest.mark.parametrize(
    ("command", "given", "expected"),
    [
        ("pyradiomics", None, "1"),
        ("extract", None, "1"),
        ("extract", "3", "3"),
        ("train", None, ""),
    ],
)
def test_extraction_commands_run_one_blas_thread(command, given, expected):
    """The extraction commands keep BLAS to one thread (their parallelism is their own)
    unless the user set it; the learning commands leave it to BLAS."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    code = (
        "import os\nfrom radiomix.cli.main import main\n"
        f"try:\n    main([{command!r}, '--help'])\nexcept SystemExit:\n    pass\n"
        "import sys\nsys.stderr.write('BLAS=' + os.environ.get('OPENBLAS_NUM_THREADS', ''))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stderr.strip().endswith(f"BLAS={expected}")
