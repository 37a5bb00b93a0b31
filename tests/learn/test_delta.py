"""Delta radiomics: known answers on a small table, and extract -> delta -> train end to end."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radiomix.cli.main import main
from radiomix.errors import DataError
from radiomix.learn.delta import delta_features
from radiomix.learn.table import prepare


def _table() -> pd.DataFrame:
    """Patients at t0/t1 (p3 also t2, p4 only t1, p5 only t0), one or two ROIs; a 0/1 label."""
    rows = []
    values = {
        # (patient, time, roi): (f_a, f_b)
        ("p1", "t0", "1"): (10.0, 100.0),
        ("p1", "t1", "1"): (15.0, 50.0),
        ("p1", "t0", "2"): (4.0, 0.0),  # f_b exactly zero at baseline
        ("p1", "t1", "2"): (2.0, 3.0),
        ("p2", "t0", "1"): (20.0, 200.0),
        ("p2", "t1", "1"): (10.0, 260.0),
        ("p2", "t0", "2"): (8.0, 0.5),  # f_b near zero: 0.5 <= 0.01 * median |f_b(t0)| = 0.5
        ("p2", "t1", "2"): (8.0, 1.5),
        ("p3", "t0", "1"): (-5.0, 50.0),
        ("p3", "t1", "1"): (-10.0, 25.0),
        ("p3", "t2", "1"): (0.0, 75.0),
        ("p4", "t1", "1"): (1.0, 1.0),  # no baseline
        ("p5", "t0", "1"): (7.0, 60.0),  # baseline only
    }
    for (pat, t, roi), (a, b) in values.items():
        rows.append(
            {
                "case_id": f"{pat}_{t}",
                "roi": roi,
                "patient": pat,
                "timepoint": t,
                "diagnostics_voxels": 100,
                "provenance_version": "x",
                "site": "A" if pat != "p2" else "B",
                "response": 1 if pat in ("p1", "p3") else 0,
                "f_a": a,
                "f_b": b,
            }
        )
    return pd.DataFrame(rows)


def test_known_answers_near_zero_missing_baseline_rois_and_label() -> None:
    res = delta_features(
        _table(), case_col="patient", time_col="timepoint", carry=["response"], eps=0.01
    )
    out = res.table
    assert res.baseline == "t0"
    assert res.features == ["f_a", "f_b"]
    assert res.missing_baseline == ["p4/1 at t1"]
    assert res.baseline_only == ["p5/1"]
    assert list(out.columns[:4]) == ["patient", "roi", "timepoint_baseline", "timepoint"]
    assert {"site", "response"} <= set(out.columns)
    assert not any(c.startswith(("diagnostics_", "provenance_")) for c in out.columns)
    assert "delta_abs_response" not in out.columns and "case_id" not in out.columns
    assert len(out) == 6  # p1 x2 ROIs, p2 x2 ROIs, p3 at t1 and t2
    row = out.set_index(["patient", "roi", "timepoint"])
    assert row.loc[("p1", "1", "t1"), "delta_abs_f_a"] == 5.0
    assert row.loc[("p1", "1", "t1"), "delta_rel_f_a"] == 0.5
    assert row.loc[("p1", "1", "t1"), "delta_rel_f_b"] == -0.5
    assert row.loc[("p1", "2", "t1"), "delta_abs_f_b"] == 3.0
    assert math.isnan(row.loc[("p1", "2", "t1"), "delta_rel_f_b"])  # baseline 0
    # median |f_b(t0)| over the 6 baseline rows (100, 0, 200, 0.5, 50, 60) = 55; 0.5 <= 0.55
    assert res.scale["f_b"] == 55.0
    assert row.loc[("p2", "2", "t1"), "delta_abs_f_b"] == 1.0
    assert math.isnan(row.loc[("p2", "2", "t1"), "delta_rel_f_b"])
    assert res.n_near_zero == 2 and res.near_zero == {"f_b": 2}
    # negative baseline: divided by |t0|
    assert row.loc[("p3", "1", "t1"), "delta_rel_f_a"] == -1.0
    assert row.loc[("p3", "1", "t2"), "delta_rel_f_a"] == 1.0
    assert row.loc[("p3", "1", "t2"), "response"] == 1
    assert np.isfinite(
        out.filter(like="delta_").to_numpy(dtype=float)[
            ~out.filter(like="delta_").isna().to_numpy()
        ]
    ).all()
    # a larger eps sets more; eps 0 only the exact zero
    assert delta_features(_table(), case_col="patient", carry=["response"], eps=0).n_near_zero == 1


def test_baseline_named_and_errors() -> None:
    t = _table()
    res = delta_features(t, case_col="patient", baseline="t1", carry=["response"])
    assert res.baseline == "t1"
    assert set(res.table["timepoint"]) == {"t0", "t2"}
    with pytest.raises(DataError, match="baseline 'T9' is not a value"):
        delta_features(t, case_col="patient", baseline="T9")
    with pytest.raises(DataError, match="share their case, timepoint and ROI"):
        delta_features(pd.concat([t, t.iloc[:1]]), case_col="patient")
    with pytest.raises(DataError, match="case column 'nope'"):
        delta_features(t, case_col="nope")
    with pytest.raises(DataError, match="only the timepoint"):
        delta_features(t[t.timepoint == "t0"], case_col="patient")
    # without the roi column, rows of one patient and time are duplicates
    with pytest.raises(DataError, match=r"\(patient, timepoint\) must be one row"):
        delta_features(t.drop(columns="roi"), case_col="patient")


def test_numeric_timepoints_sort_by_value() -> None:
    t = pd.DataFrame({"case_id": ["a", "a", "a"], "timepoint": [10, 2, 0], "f": [3.0, 2.0, 1.0]})
    res = delta_features(t, roi_col="roi")
    assert res.baseline == 0
    assert res.table["timepoint"].tolist() == [2, 10]
    assert res.table["delta_rel_f"].tolist() == [1.0, 2.0]


def test_cli_delta_writes_empty_cells_and_reports(tmp_path: Path, capsys) -> None:
    src = tmp_path / "f.csv"
    _table().to_csv(src, index=False)
    out = tmp_path / "d.csv"
    argv = ["delta", str(src), "--case-col", "patient", "--carry", "response", "--out", str(out)]
    assert main(argv) == 0
    cap = capsys.readouterr()
    assert "p4/1 at t1" in cap.err and "only the baseline: p5/1" in cap.err
    assert "2 of 12 relative changes left empty" in cap.out
    text = out.read_text()
    assert "inf" not in text.lower()
    back = pd.read_csv(out)
    assert back["delta_rel_f_b"].isna().sum() == 2
    # bad input: one line, exit 2
    assert main(["delta", str(src), "--case-col", "nope", "--out", str(out)]) == 2
    assert main(["delta", str(src), "--out", str(tmp_path / "d.txt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(e.startswith("radiomix: error:") for e in err)


STUDY_YAML = """\
name: delta-test
primary: lr_l2_mrmr
comparators: []
validation: {outer_folds: 2, inner_folds: 2, repeats: 1, permutations: 0, bootstrap: 100, n_jobs: 1}
models:
  - {name: lr_l2_mrmr, grid: {select__k: [3], clf__C: [1.0]}}
"""


def test_extract_delta_train_round_trip(tmp_path: Path) -> None:
    """A manifest of 8 patients at two timepoints -> extract -> delta -> train."""
    import SimpleITK as sitk

    data = tmp_path / "data"
    data.mkdir()
    rows = []
    rng = np.random.default_rng(0)
    for p in range(8):
        responder = p % 2
        for t, tp in enumerate(("t0", "t1")):
            # responders' lesions get darker at t1, others brighter
            shift = (-25.0 if responder else 25.0) * t
            img = rng.normal(100 + shift + 3 * p, 10, (6, 16, 16)).astype(np.float32)
            mask = np.zeros((6, 16, 16), np.uint8)
            mask[1:5, 4:12, 4:12] = 1
            paths = []
            for arr, kind in ((img, "image"), (mask, "mask")):
                im = sitk.GetImageFromArray(arr)
                im.SetSpacing((1.0, 1.0, 2.0))
                path = data / f"p{p}_{tp}_{kind}.nii.gz"
                sitk.WriteImage(im, str(path))
                paths.append(path.relative_to(tmp_path).as_posix())
            rows.append(
                {
                    "case_id": f"p{p}_{tp}",
                    "image": paths[0],
                    "mask": paths[1],
                    "patient": f"p{p}",
                    "timepoint": tp,
                    "response": "yes" if responder else "no",
                }
            )
    manifest = tmp_path / "cases.csv"
    pd.DataFrame(rows).to_csv(manifest, index=False)
    cfg = tmp_path / "stats.yaml"
    cfg.write_text("features: {families: [statistics]}\n")
    feats = tmp_path / "features.csv"
    argv = ["extract", "--manifest", str(manifest), "--config", str(cfg), "--out", str(feats)]
    assert main([*argv, "--jobs", "1"]) == 0
    delta = tmp_path / "delta.csv"
    argv = ["delta", str(feats), "--case-col", "patient", "--out", str(delta)]
    assert main(argv) == 0
    table = pd.read_csv(delta)
    assert len(table) == 8 and set(table["response"]) == {"yes", "no"}
    ds = prepare(table, "response", group="patient")
    assert ds.features and all(f.startswith("delta_") for f in ds.features)
    mean = table.set_index("patient")["delta_abs_original_statistics_mean"]
    assert (mean[["p1", "p3", "p5", "p7"]] < 0).all() and (mean[["p0", "p2", "p4", "p6"]] > 0).all()
    study = tmp_path / "study.yaml"
    study.write_text(STUDY_YAML)
    run = tmp_path / "run"
    argv = ["train", str(delta), "--label", "response", "--group", "patient"]
    assert main([*argv, "--config", str(study), "--out", str(run), "--quiet"]) == 0
    assert (run / "metrics.json").is_file()
