"""The app on a ``radiomix train`` run of 3D images (not a BUSI study): same path, same card."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radiomix.cli.main import main

STUDY = """\
primary: lr_l2_mrmr
comparators: []
models:
  - {name: lr_l2_mrmr, grid: {select__k: [4], clf__C: [1.0]}}
validation: {outer_folds: 3, inner_folds: 3, repeats: 1, bootstrap: 100, permutations: 1}
"""


@pytest.fixture(scope="module")
def run3d(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 synthetic 3D NIfTI cases (the positives flatter and noisier), extracted and trained."""
    import SimpleITK as sitk

    folder = tmp_path_factory.mktemp("run3d")
    rng = np.random.default_rng(1)
    rows = []
    for i in range(24):
        y = i % 2
        z, yy, xx = np.mgrid[:12, :32, :32]
        r = 7 + 2 * rng.random()
        blob = ((z - 6) ** 2 * 2 + (yy - 16) ** 2 + (xx - 16) ** 2 * (1 + 0.8 * y)) < r**2
        img = (200 + 300 * blob + rng.normal(0, 40 + 30 * y, blob.shape)).astype(np.int16)
        for array, name in ((img, f"img{i}.nii.gz"), (blob.astype(np.uint8), f"mask{i}.nii.gz")):
            im = sitk.GetImageFromArray(array)
            im.SetSpacing((1.0, 1.0, 2.0))
            sitk.WriteImage(im, str(folder / name))
        rows.append(
            {"case_id": f"c{i}", "image": f"img{i}.nii.gz", "mask": f"mask{i}.nii.gz", "dx": y}
        )
    with (folder / "cases.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    (folder / "study.yaml").write_text(STUDY)
    table = str(folder / "features.csv")
    args = ["extract", "--manifest", str(folder / "cases.csv"), "--out", table, "--jobs", "1"]
    assert main([*args, "--config", "default"]) == 0
    run = folder / "run"
    args = ["train", table, "--label", "dx", "--config", str(folder / "study.yaml")]
    assert main([*args, "--out", str(run), "--n-jobs", "1"]) == 0
    return run


def test_a_3d_train_run_predicts_as_radiomix_predict(run3d, tmp_path):
    from radiomix.app.service import AppService, Upload

    service = AppService(run3d, cache=False)
    card = service.model_card()
    assert card["classes"] == {"negative": "0", "positive": "1"}
    assert card["training_cohort"]["n_cases"] == 24
    assert "research" in card["intended_use"] and "BUSI" not in card["intended_use"]
    assert "features.csv" in card["training_distribution"]
    image, mask = run3d.parent / "img3.nii.gz", run3d.parent / "mask3.nii.gz"
    answer = service.predict(Upload(image.read_bytes()), mask=Upload(mask.read_bytes()))
    out = tmp_path / "p.csv"
    assert main(["predict", str(run3d), str(image), str(mask), "--out", str(out)]) == 0
    assert abs(answer["probability"] - float(pd.read_csv(out)["probability"].iloc[0])) <= 1e-9
    assert answer["decision"] in ("0", "1") and answer["outline"]["source"] == "uploaded mask"
    # a box on one slice of a volume: outlined there; a flat ROI is unlike the training ones
    boxed = service.predict(Upload(image.read_bytes()), box="8,8,24,24", slice_index="6")
    codes = {w["code"] for w in boxed["warning_details"]}
    assert "feature_out_of_range" in codes
