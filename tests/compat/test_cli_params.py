"""``radiomix extract ... --params PARAMS.yaml``: single cases and PyRadiomics batch files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from radiomix.cli.main import main

DATA = Path(__file__).resolve().parents[1] / "data" / "pyradiomics_compat"
EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))


def _features(row: pd.Series) -> dict[str, float]:
    return {k: float(v) for k, v in row.items() if str(k).startswith("original_")}


def _check(got: dict[str, float], want: dict[str, object]) -> None:
    want_f = {k: float(v) for k, v in want.items() if k.startswith("original_")}  # type: ignore[arg-type]
    assert list(got) == list(want_f)
    for k, v in want_f.items():
        # the CSV keeps 10 significant digits
        assert got[k] == pytest.approx(v, rel=1e-9, abs=1e-12), k


def test_single_case_writes_pyradiomics_columns(tmp_path: Path) -> None:
    out = tmp_path / "features.csv"
    rc = main(
        [
            "extract",
            str(DATA / "ct_a_image.nrrd"),
            str(DATA / "ct_a_label.nrrd"),
            "--params",
            str(DATA / "params_default.yaml"),
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    table = pd.read_csv(out)
    assert len(table) == 1
    assert "diagnostics_Mask-original_BoundingBox" in table.columns
    _check(_features(table.iloc[0]), EXPECTED["default"]["ct_a"])


def test_label_setting_of_the_file_is_the_default_label(tmp_path: Path) -> None:
    out = tmp_path / "features.parquet"
    args = ["extract", str(DATA / "mr_b_image.nrrd"), str(DATA / "mr_b_label.nrrd")]
    assert (
        main([*args, "--params", str(DATA / "params_force2d_manhattan.yaml"), "--out", str(out)])
        == 0
    )
    _check(_features(pd.read_parquet(out).iloc[0]), EXPECTED["force2d_manhattan"]["mr_b"])


def test_manifest_in_pyradiomics_format(tmp_path: Path) -> None:
    manifest = tmp_path / "batch.csv"
    rows = ["Image,Mask,Reader"] + [
        f"{DATA / (c + '_image.nrrd')},{DATA / (c + '_label.nrrd')},R{k}"
        for k, c in enumerate(["ct_a", "mr_b", "ct_c"])
    ]
    manifest.write_text("\n".join(rows) + "\n")
    out = tmp_path / "cohort.csv"
    rc = main(
        [
            "extract",
            "--manifest",
            str(manifest),
            "--params",
            str(DATA / "params_shift_gldm_distances.yaml"),
            "--out",
            str(out),
            "--jobs",
            "1",
            "--no-cache",
            "--quiet",
        ]
    )
    assert rc == 0
    table = pd.read_csv(out)
    assert list(table["Reader"]) == ["R0", "R1", "R2"]  # extra columns carried through
    for k, case in enumerate(["ct_a", "mr_b", "ct_c"]):
        _check(_features(table.iloc[k]), EXPECTED["shift_gldm_distances"][case])


def test_unknown_setting_exits_2_naming_the_valid_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params = tmp_path / "p.yaml"
    params.write_text("setting:\n  enableCExtension: true\n")
    rc = main(
        [
            "extract",
            str(DATA / "ct_a_image.nrrd"),
            str(DATA / "ct_a_label.nrrd"),
            "--params",
            str(params),
            "--out",
            str(tmp_path / "o.csv"),
        ]
    )
    assert rc == 2
    assert "enableCExtensions" in capsys.readouterr().err


def test_params_and_config_are_exclusive(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(
            [
                "extract",
                "a.nrrd",
                "b.nrrd",
                "--config",
                "default",
                "--params",
                str(DATA / "params_default.yaml"),
                "--out",
                str(tmp_path / "o.csv"),
            ]
        )
