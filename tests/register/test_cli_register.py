"""``radiomix register`` / ``propagate`` / ``resample`` round trips and bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from radiomix.cli.main import main
from radiomix.register import dice
from tests.register._phantom import make_case, rigid_truth


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reg")
    fixed, fmask = make_case()
    moving, mmask = make_case(rigid_truth())
    paths = {
        "fixed": root / "fixed.nii.gz",
        "fmask": root / "fixed_mask.nii.gz",
        "moving": root / "moving.nrrd",
        "mmask": root / "moving_truth.nii.gz",
    }
    sitk.WriteImage(sitk.Cast(fixed, sitk.sitkInt16), str(paths["fixed"]))
    sitk.WriteImage(fmask, str(paths["fmask"]))
    sitk.WriteImage(sitk.Cast(moving, sitk.sitkInt16), str(paths["moving"]))
    sitk.WriteImage(mmask, str(paths["mmask"]))
    return paths


def _err_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_round_trip(files, tmp_path, capsys):
    tfm = tmp_path / "out" / "T.tfm"
    qc = tmp_path / "qc.png"
    rc = main(
        ["register", str(files["fixed"]), str(files["moving"]), "--out", str(tfm), "--qc", str(qc)]
    )
    assert rc == 0
    assert "rigid registration" in capsys.readouterr().out
    transform = sitk.ReadTransform(str(tfm))
    record = json.loads((tmp_path / "out" / "T.json").read_text())
    assert record["method"] == "rigid" and record["qc"]["body_dice"] > 0.95
    assert record["stages"][0]["iterations_per_level"]
    assert qc.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    truth = rigid_truth()
    p = [10.0, -5.0, 7.0]
    assert np.linalg.norm(np.subtract(truth.TransformPoint(transform.TransformPoint(p)), p)) < 0.5

    carried = tmp_path / "carried.nii.gz"
    rc = main(
        [
            "propagate",
            str(files["fmask"]),
            "--from",
            str(files["fixed"]),
            "--to",
            str(files["moving"]),
            "--transform",
            str(tfm),
            "--out",
            str(carried),
            "--interpolation",
            "linear",
            "--qc",
            str(tmp_path / "carried.png"),
        ]
    )
    assert rc == 0
    assert "100.0% inside" in capsys.readouterr().out
    picture = tmp_path / "carried.png"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sitk.ReadImage(str(picture)).GetSize()[0] >= 900  # three planes side by side
    out = sitk.ReadImage(str(carried))
    truth_mask = sitk.ReadImage(str(files["mmask"]))
    assert out.GetSize() == truth_mask.GetSize()
    assert np.allclose(out.GetOrigin(), truth_mask.GetOrigin())
    d = dice(sitk.GetArrayViewFromImage(out) > 0, sitk.GetArrayViewFromImage(truth_mask) > 0)
    assert d >= 0.9

    back = tmp_path / "moving_on_fixed.mha"
    rc = main(
        [
            "resample",
            str(files["moving"]),
            "--to",
            str(files["fixed"]),
            "--transform",
            str(tfm),
            "--out",
            str(back),
        ]
    )
    assert rc == 0
    img = sitk.ReadImage(str(back))
    f = sitk.GetArrayFromImage(sitk.ReadImage(str(files["fixed"]))).astype(float)
    body = f > -900
    assert np.abs(sitk.GetArrayFromImage(img) - f)[body].mean() < 40.0


def test_bspline_writes_a_composite(files, tmp_path):
    """On half-resolution copies (the B-spline stage is the slow one)."""
    small = {}
    for key in ("fixed", "moving"):
        small[key] = tmp_path / f"{key}_small.nii.gz"
        sitk.WriteImage(sitk.Shrink(sitk.ReadImage(str(files[key])), [2, 2, 2]), str(small[key]))
    tfm = tmp_path / "B.tfm"
    argv = ["register", str(small["fixed"]), str(small["moving"]), "--out", str(tfm)]
    assert main([*argv, "--method", "bspline"]) == 0
    t = sitk.ReadTransform(str(tfm))
    assert t.GetName() == "CompositeTransform"
    record = json.loads((tmp_path / "B.json").read_text())
    assert [s["stage"] for s in record["stages"]] == ["rigid", "bspline"]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["register", "{missing}", "{fixed}", "--out", "{tmp}/T.tfm"], "missing"),
        (
            ["register", "{fixed}", "{moving}", "--out", "{tmp}/T.tfm", "--method", "demons"],
            "--method 'demons'",
        ),
        (["register", "{fixed}", "{moving}", "--out", "{tmp}/T.nii"], ".tfm"),
        (["register", "{fixed}", "{moving}", "--out", "{file}/T.tfm"], "--out"),
        (
            ["register", "{fixed}", "{moving}", "--out", "{tmp}/T.tfm", "--qc", "{tmp}/q.jpg"],
            "--qc",
        ),
        (
            [
                *("propagate", "{fmask}", "--from", "{fixed}", "--to", "{moving}"),
                *("--out", "{tmp}/m.nii.gz", "--qc", "{tmp}/q.jpg"),
            ],
            "--qc",
        ),
        (
            [
                "propagate",
                "{fmask}",
                "--from",
                "{fixed}",
                "--to",
                "{moving}",
                "--transform",
                "{tmp}/none.tfm",
                "--out",
                "{tmp}/m.nii.gz",
            ],
            "none.tfm",
        ),
        (
            [
                "propagate",
                "{fmask}",
                "--from",
                "{fixed}",
                "--to",
                "{moving}",
                "--out",
                "{file}/m.nii.gz",
            ],
            "--out",
        ),
        (
            [
                "propagate",
                "{fmask}",
                "--from",
                "{moving}",
                "--to",
                "{fixed}",
                "--out",
                "{tmp}/m.nii.gz",
                "--interpolation",
                "cubic",
            ],
            "--interpolation",
        ),
        (
            [
                "propagate",
                "{fmask}",
                "--from",
                "{fixed}",
                "--to",
                "{moving}",
                "--transform",
                "{file}",
                "--out",
                "{tmp}/m.nii.gz",
            ],
            "not an ITK transform",
        ),
        (["resample", "{moving}", "--to", "{fixed}", "--out", "{tmp}/o.csv"], "--out"),
        (["resample", "{missing}", "--to", "{fixed}", "--out", "{tmp}/o.nii.gz"], "missing"),
    ],
)
def test_bad_inputs(argv, words, files, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder\n")
    subs = {k: str(v) for k, v in files.items()}
    subs.update(missing=str(tmp_path / "missing.nii.gz"), tmp=str(tmp_path), file=str(blocker))
    rc = main([a.format(**subs) for a in argv])
    assert rc == 2
    line = _err_line(capsys)
    assert line.startswith("radiomix: error:") and words in line, line
    assert not list(tmp_path.glob("*.tfm")) and not list(tmp_path.glob("*.nii.gz"))
