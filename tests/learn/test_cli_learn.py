"""End-to-end command line: extract a cohort, train, evaluate, predict from images, report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radiomix.cli.main import main

STUDY_YAML = """\
name: cli-test
primary: lr_l2_mrmr
comparators: [shape_only_lr]
validation: {outer_folds: 3, inner_folds: 3, repeats: 2, permutations: 2, bootstrap: 200, n_jobs: 1}
models:
  - {name: lr_l2_mrmr, grid: {select__k: [3, 5], clf__C: [1.0]}}
  - {name: shape_only_lr, grid: {clf__C: [1.0]}}
"""


def _write(arr: np.ndarray, path: Path) -> None:
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing((1.0, 1.0, 2.0))
    sitk.WriteImage(img, str(path))


def _cohort(folder: Path, n: int, seed: int) -> Path:
    """Ellipsoid lesions: malignant ones are larger and brighter. Returns the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    zz, yy, xx = np.mgrid[:16, :20, :20]
    rows = []
    for i in range(n):
        malignant = i % 5 < 2
        r = rng.uniform(4.0, 6.0) if malignant else rng.uniform(3.0, 4.6)
        mask = (
            (zz - 8) ** 2 / (0.8 * r) ** 2 + (yy - 10) ** 2 / r**2 + (xx - 10) ** 2 / (1.1 * r) ** 2
        ) <= 1
        image = rng.normal(100 + (20 if malignant else 0), 15, mask.shape).astype(np.float32)
        _write(image, folder / f"img{i:02d}.nii.gz")
        _write(mask.astype(np.uint8), folder / f"mask{i:02d}.nii.gz")
        rows.append(
            {
                "case_id": f"s{seed}c{i:02d}",
                "image": f"img{i:02d}.nii.gz",
                "mask": f"mask{i:02d}.nii.gz",
                "diagnosis": "malignant" if malignant else "benign",
            }
        )
    pd.DataFrame(rows).to_csv(folder / "cases.csv", index=False)
    return folder / "cases.csv"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-learn")
    cfg = root / "extract.yaml"
    cfg.write_text("features: {families: [morphology, statistics]}\n")
    manifest = _cohort(root / "train", 35, seed=0)
    table = root / "features.csv"
    code = main(
        [
            "extract",
            "--manifest",
            str(manifest),
            "--config",
            str(cfg),
            "--out",
            str(table),
            "--jobs",
            "1",
            "--no-cache",
            "--quiet",
        ]
    )
    assert code == 0
    assert (root / "features.settings.yaml").is_file()  # found by train, stored in the model
    study = root / "study.yaml"
    study.write_text(STUDY_YAML)
    run = root / "run"
    assert (
        main(
            [
                "train",
                str(table),
                "--label",
                "diagnosis",
                "--config",
                str(study),
                "--out",
                str(run),
                "--quiet",
            ]
        )
        == 0
    )
    return root, table, run


def test_train_writes_the_run(trained, capsys):
    _root, _table, run = trained
    m = json.loads((run / "metrics.json").read_text())
    assert m["primary"]["model"] == "lr_l2_mrmr"
    assert m["primary"]["auc"] > 0.85  # size and brightness separate the classes
    assert set(m["models"]) == {"lr_l2_mrmr", "shape_only_lr"}
    assert m["study"]["extraction_settings"] is True
    bundle = json.loads((run / "model.json").read_text())
    assert bundle["extraction_settings"]["features"]["families"] == ["morphology", "statistics"]
    # provenance and diagnostics columns never become features
    assert not [f for f in bundle["features"] if f.startswith(("provenance_", "diagnostics_"))]


def test_predict_from_images_equals_predict_from_the_table(trained, tmp_path):
    root, _table, run = trained
    new = _cohort(tmp_path / "new", 6, seed=1)
    out_img = tmp_path / "pred_images.csv"
    assert main(["predict", str(run), "--manifest", str(new), "--out", str(out_img)]) == 0
    pred = pd.read_csv(out_img)
    assert len(pred) == 6 and pred["probability"].between(0, 1).all()
    assert set(pred["predicted_label"]) <= {"benign", "malignant"}
    # the same cases extracted by radiomix extract, then predicted from the table
    feats = tmp_path / "new_features.csv"
    cfg = root / "extract.yaml"
    assert (
        main(
            [
                "extract",
                "--manifest",
                str(new),
                "--config",
                str(cfg),
                "--out",
                str(feats),
                "--jobs",
                "1",
                "--no-cache",
                "--quiet",
            ]
        )
        == 0
    )
    out_tab = tmp_path / "pred_table.csv"
    assert main(["predict", str(run), "--table", str(feats), "--out", str(out_tab)]) == 0
    tab = pd.read_csv(out_tab)
    np.testing.assert_allclose(pred["probability"], tab["probability"], rtol=1e-6)
    # one image/mask pair on the command line
    one = tmp_path / "one.csv"
    assert (
        main(
            [
                "predict",
                str(run),
                str(tmp_path / "new" / "img00.nii.gz"),
                str(tmp_path / "new" / "mask00.nii.gz"),
                "--out",
                str(one),
            ]
        )
        == 0
    )
    assert pd.read_csv(one)["probability"].iloc[0] == pytest.approx(
        pred["probability"].iloc[0], rel=1e-9
    )


def test_predict_refuses_a_table_with_other_features(trained, tmp_path, capsys):
    _root, table, run = trained
    t = pd.read_csv(table)
    dropped = [c for c in t.columns if c.startswith("original_statistics_")][:2]
    bad = tmp_path / "bad.csv"
    t.drop(columns=dropped).to_csv(bad, index=False)
    assert main(["predict", str(run), "--table", str(bad), "--out", str(tmp_path / "p.csv")]) == 2
    err = capsys.readouterr().err
    assert "lacks 2 of the" in err and dropped[0] in err
    t = pd.concat(
        [t, pd.DataFrame({"original_glcm_joint_max_3d_comb": 1.0}, index=t.index)], axis=1
    )
    t.to_csv(bad, index=False)
    assert main(["predict", str(run), "--table", str(bad), "--out", str(tmp_path / "p.csv")]) == 2
    assert "original_glcm_joint_max_3d_comb" in capsys.readouterr().err
    assert (
        main(
            [
                "predict",
                str(run),
                "--table",
                str(bad),
                "--allow-extra",
                "--out",
                str(tmp_path / "p.csv"),
            ]
        )
        == 0
    )


def test_evaluate_external_cohort(trained, tmp_path):
    root, _table, run = trained
    ext = _cohort(tmp_path / "ext", 30, seed=2)
    feats = tmp_path / "ext_features.csv"
    assert (
        main(
            [
                "extract",
                "--manifest",
                str(ext),
                "--config",
                str(root / "extract.yaml"),
                "--out",
                str(feats),
                "--jobs",
                "1",
                "--no-cache",
                "--quiet",
            ]
        )
        == 0
    )
    out = tmp_path / "external"
    assert (
        main(
            [
                "evaluate",
                str(run),
                "--external",
                str(feats),
                "--label",
                "diagnosis",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    m = json.loads((out / "metrics.json").read_text())
    assert m["primary"]["n_cases"] == 30 and m["primary"]["n_positive"] == 12
    assert m["primary"]["auc"] > 0.8
    assert {"auc", "p_value"} <= set(m["permutation"])


def test_report_command(trained):
    _root, _table, run = trained
    assert main(["report", str(run)]) == 0
    html = (run / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 10  # with permutation importance, SHAP
    assert (run / "figures" / "roc.png").is_file()


def test_cli_errors_are_one_line(trained, tmp_path, capsys):
    _root, table, run = trained
    assert main(["train", str(table), "--label", "nope", "--out", str(tmp_path / "r")]) == 2
    assert "label column 'nope' is not in the feature table" in capsys.readouterr().err
    assert main(["train", str(table), "--out", str(tmp_path / "r")]) == 2
    assert "--label" in capsys.readouterr().err
    assert main(["report", str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err
    assert main(["predict", str(run)]) == 2
    assert "nothing to predict" in capsys.readouterr().err
