"""``radiomix robustness`` end to end on small synthetic files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radiomix.cli.main import main
from radiomix.studies.robustness import ICC_COLUMNS


def _disc(shape: tuple[int, int], centre: tuple[float, float], radius: float) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius**2


def _write(
    array: np.ndarray, path: Path, spacing: tuple[float, ...], origin: tuple[float, ...]
) -> None:
    img = sitk.GetImageFromArray(array)
    img.SetSpacing(spacing)
    img.SetOrigin(origin)
    sitk.WriteImage(img, str(path))


CONFIG_YAML = """\
discretisation: {method: fixed_bin_number, bin_count: 16}
texture: {spatial: [2D]}
features: {families: [statistics, morphology_2d]}
perturbation: {n_perturbations: 3, seed: 5, grow_mm: [-0.5, 0, 0.5], contour_amplitude_mm: 0.5}
"""


def _cases(folder: Path, n: int) -> Path:
    """n synthetic 2D cases (NIfTI) and a manifest with relative paths."""
    rng = np.random.default_rng(3)
    rows = []
    (folder / "cases").mkdir()
    for i in range(n):
        obj = _disc((48, 48), (24, 24), 6 + 4 * i)
        img = np.where(obj, 60.0 + 20 * i, 150.0) + rng.normal(0, 5, obj.shape)
        _write(
            img.astype(np.float32)[np.newaxis],
            folder / "cases" / f"img{i}.nii.gz",
            (0.5, 0.5, 1.0),
            (0, 0, 0),
        )
        _write(
            obj.astype(np.uint8)[np.newaxis] * 2,
            folder / "cases" / f"msk{i}.nii.gz",
            (0.5, 0.5, 1.0),
            (0, 0, 0),
        )
        rows.append((f"case{i}", f"cases/img{i}.nii.gz", f"cases/msk{i}.nii.gz", 2))
    manifest = folder / "cases.csv"
    pd.DataFrame(rows, columns=["case_id", "image", "mask", "label"]).to_csv(manifest, index=False)
    return manifest


def test_robustness_manifest_end_to_end(tmp_path: Path) -> None:
    manifest = _cases(tmp_path, 4)
    config = tmp_path / "robust.yaml"
    config.write_text(CONFIG_YAML)
    out = tmp_path / "out" / "icc.csv"
    args = [
        "robustness",
        "--manifest",
        str(manifest),
        "--config",
        str(config),
        "--out",
        str(out),
        "--jobs",
        "2",
    ]
    assert main(args) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ICC_COLUMNS
    assert (table["n_perturbations"] == 3).all() and (table["n_cases"] == 4).all()
    area = table.set_index("feature").loc["original_morphology_2d_area_pix"]
    assert area["family"] == "morphology_2d" and area["icc"] > 0.9
    assert area["icc_ci_low"] <= area["icc"] <= area["icc_ci_high"]


def test_robustness_single_case_and_overrides(tmp_path: Path) -> None:
    manifest = _cases(tmp_path, 1)
    config = tmp_path / "robust.yaml"
    config.write_text(CONFIG_YAML)
    out = tmp_path / "icc.csv"
    img, msk = tmp_path / "cases" / "img0.nii.gz", tmp_path / "cases" / "msk0.nii.gz"
    args = ["robustness", str(img), str(msk), "--label", "2", "--config", str(config)]
    assert (
        main([*args, "--n-perturbations", "2", "--seed", "1", "--jobs", "1", "--out", str(out)])
        == 0
    )
    table = pd.read_csv(out)
    assert table["icc"].isna().all() and table["cv"].notna().all()
    assert (table["n_perturbations"] == 2).all()
    assert manifest.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "give IMAGE MASK"),
        (["--manifest", "missing.csv"], "cannot read the manifest"),
        (["--manifest", "bad.csv"], "lacks column"),
        (["--manifest", "cases.csv", "--config", "nope.yaml"], "cannot read the configuration"),
        (["--manifest", "cases.csv", "--n-perturbations", "1"], ">= 2"),
    ],
)
def test_robustness_bad_input_exits_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    extra: list[str],
    message: str,
) -> None:
    _cases(tmp_path, 1)
    (tmp_path / "bad.csv").write_text("case_id,image\nx,y\n")
    monkeypatch.chdir(tmp_path)
    assert main(["robustness", *extra, "--out", "icc.csv", "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert message in err and not (tmp_path / "icc.csv").exists()
