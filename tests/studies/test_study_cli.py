"""``radiomix study busi`` end to end through the command line."""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from radiomix.cli.main import main
from tests.conftest import require_shared

# small folds and resamples: the point is the wiring and the outputs, not the estimate
_FAST_STUDY = """\
comparators: [shape_only_lr, gradient_boosting]
models:
  - {name: lr_l2_mrmr, grid: {select__k: [5], clf__C: [0.1, 1.0]}}
  - {name: shape_only_lr, grid: {clf__C: [1.0]}}
validation: {outer_folds: 3, inner_folds: 3, repeats: 1, bootstrap: 200, permutations: 1}
"""


def _report_text(path: Path) -> str:
    """The report's text: tags and embedded images stripped, whitespace squashed."""
    page = re.sub(r"<(style|script)>.*?</\1>", " ", path.read_text(), flags=re.DOTALL)
    page = re.sub(r"<img[^>]*>", " ", page)
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    return re.sub(r"\s+", " ", text)


def _check_run(run: Path, n_cases: int, primary: str = "lr_l2_mrmr") -> dict:
    for name in (
        "features.csv",
        "settings.yaml",
        "metrics.json",
        "predictions.csv",
        "model.joblib",
        "report.html",
        "study.json",
        "extraction_errors.csv",
        "cohort/manifest.csv",
        "cohort/cohort_summary.json",
        "cohort/cohort_summary.md",
    ):
        assert (run / name).is_file(), name
    features = pd.read_csv(run / "features.csv")
    assert len(features) == n_cases
    assert features["group"].notna().all() and set(features["outcome"]) == {0, 1}
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["primary"]["model"] == primary
    assert 0.0 <= metrics["primary"]["auc"] <= 1.0
    assert "shape_only_lr" in metrics["models"]
    study = json.loads((run / "study.json").read_text())
    assert set(study["timings_s"]) >= {"prepare", "extraction", "learning", "total"}
    html = (run / "report.html").read_text()
    assert "<html" in html.lower()
    return study


@pytest.mark.slow  # about 20-40 s: extraction of 32 cases and a small nested CV
def test_study_busi_on_the_bundled_sample(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.delenv("BUSI_DIR", raising=False)
    cfg = tmp_path / "fast.yaml"
    cfg.write_text(_FAST_STUDY)
    run = tmp_path / "run"
    args = ["study", "busi", "--out", str(run), "--study", str(cfg), "--jobs", "1", "--quiet"]
    assert main([*args, "--peritumoral-px", "5"]) == 0
    out = capsys.readouterr().out
    assert "cohort: 32 images" in out and f"report: {run.resolve() / 'report.html'}" in out
    study = _check_run(run, 32)
    assert study["cohort"]["exclusion_counts"] == {"class outside the task": 2}
    assert study["data"].endswith("busi_sample")
    # the 5 px ring outside each lesion is its own feature group
    features = pd.read_csv(run / "features.csv")
    ring = [c for c in features.columns if c.startswith("peritumoral5px_")]
    assert "peritumoral5px_statistics_mean" in ring and len(ring) > 100
    assert not any("morphology" in c for c in ring)
    assert not (
        features["peritumoral5px_statistics_mean"] == features["original_statistics_mean"]
    ).any()
    assert (run / "cohort" / "masks" / "malignant_(3)_peritumoral_5px.png").is_file()
    # the report says what was done and found, in words, from its first screen
    text = _report_text(run / "report.html")
    assert "Task: malignant vs benign breast ultrasound lesions" in text
    assert "the small sample of the BUSI data set (Al-Dhabyani et al. 2020) bundled" in text
    assert "Cohort: 34 images read (20 benign, 12 malignant, 2 normal)." in text
    assert "1 image had several masks (2 masks)" in text
    assert "Excluded 2 (class outside the task: 2)." in text
    assert "32 images (12 malignant, 20 benign) in 32 groups entered the study." in text
    assert "the ultrasound-2d extraction preset, a fixed number of 32 grey-level bins" in text
    auc = json.loads((run / "metrics.json").read_text())["primary"]["auc"]
    assert f"reaches a pooled out-of-fold ROC AUC of {auc:.3f}" in text
    assert "What this allows one to claim:" in text
    # gradient boosting's minimum leaf (20) exceeds a training fold of ~21 cases: it predicts
    # one constant per fold, and both the command and the report say it failed
    assert "gradient_boosting: failed, not a result: its predicted probability" in out
    assert "gradient_boosting failed: its predicted probability was the same" in text
    assert set(study["failed_models"]) == {"gradient_boosting"}
    assert "A cohort this small cannot estimate performance." in text
    assert "id='fig-examples'" in (run / "report.html").read_text()
    assert study["small_cohort"] and study["data_source"] == "bundled sample"
    # every file the study wrote has the permissions of the umask (0644 under 022), none the
    # 0600 of a bare temporary file: tables, cohort files, merged masks, model, report
    mask = os.umask(0)
    os.umask(mask)
    modes = {p.relative_to(run).as_posix(): p.stat().st_mode & 0o777 for p in run.rglob("*")}
    files = {k: m for k, m in modes.items() if (run / k).is_file()}
    assert {"features.csv", "extraction_errors.csv", "cohort/manifest.csv", "model.joblib"} <= set(
        files
    )
    assert any(k.startswith("cohort/masks/") for k in files)
    assert {k: m for k, m in files.items() if m != 0o666 & ~mask} == {}
    # a second run into the same folder needs --force
    assert main(["study", "busi", "--out", str(run), "--study", str(cfg), "--quiet"]) == 2


@pytest.mark.slow
def test_study_busi_on_the_full_set(tmp_path: Path, monkeypatch):
    data = require_shared("data", "busi")
    monkeypatch.setenv("BUSI_DIR", str(data))
    cfg = tmp_path / "study.yaml"
    cfg.write_text("validation: {repeats: 1, permutations: 1}\n")
    run = tmp_path / "run"
    assert main(["study", "busi", "--out", str(run), "--study", str(cfg), "--quiet"]) == 0
    study = _check_run(run, 633, primary="auto")  # the default (the sample: small-cohort)
    assert study["n_conflicting_clusters_dropped"] == 6
    # the target for the default model on BUSI (pooled out-of-fold AUC; auto measured
    # 0.991 with 1 repeat, choosing the forest: lr_l2_mrmr, the default before, gave 0.978)
    assert study["primary"]["auc"] >= 0.95
    m = json.loads((run / "metrics.json").read_text())["primary"]
    assert sum(m["family_counts"].values()) == 5 and m["final"]["family"] == "random_forest"


def test_study_busi_bad_data_folder_is_one_clear_error(tmp_path: Path, capsys):
    assert (
        main(["study", "busi", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "r")]) == 2
    )
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "benign").mkdir()
    assert main(["study", "busi", "--data", str(tmp_path), "--out", str(tmp_path / "r")]) == 2
    assert "no class folder 'malignant'" in capsys.readouterr().err
