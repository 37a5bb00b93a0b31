"""Tracked runs: run.json of train and evaluate, ``radiomix runs list`` and ``runs compare``."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from radiomix.cli.main import main
from radiomix.learn import runs as runs_mod
from radiomix.learn.runs import (
    config_differences,
    find_runs,
    flatten_config,
    load_run,
)
from tests.learn.runs import synthetic

#: the quickest study: one model, 2 x 2 folds, one repeat, no permutation
TINY = """\
name: tiny
primary: lr_l2_mrmr
comparators: []
validation: {outer_folds: %d, inner_folds: 2, repeats: 1, permutations: 0, bootstrap: 100, n_jobs: 1}
models:
  - {name: lr_l2_mrmr, grid: {select__k: [2], clf__C: [1.0]}}
"""


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    """Runs of train: r1 (table a, 2 outer folds), r2 (table a, 3 outer folds), r3 (table b,
    2 outer folds); and an evaluation of r1 on table b."""
    root = tmp_path_factory.mktemp("tracked")
    synthetic(0, n_cases=48, n_features=10).table.to_csv(root / "a.csv", index=False)
    synthetic(1, n_cases=48, n_features=10).table.to_csv(root / "b.csv", index=False)
    (root / "two.yaml").write_text(TINY % 2)
    (root / "three.yaml").write_text(TINY % 3)
    for name, table, cfg in (("r1", "a", "two"), ("r2", "a", "three"), ("r3", "b", "two")):
        argv = ["train", str(root / f"{table}.csv"), "--label", "diagnosis"]
        argv += ["--config", str(root / f"{cfg}.yaml"), "--out", str(root / "runs" / name)]
        assert main([*argv, "--quiet"]) == 0
    ev = ["evaluate", str(root / "runs" / "r1"), "--external", str(root / "b.csv")]
    assert main([*ev, "--label", "diagnosis"]) == 0
    return root


def test_run_json_holds_the_record(three_runs: Path) -> None:
    run = three_runs / "runs" / "r1"
    rec = json.loads((run / "run.json").read_text())
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{6}", rec["id"])
    assert rec["kind"] == "train" and rec["task"] == "binary"
    assert rec["command"].startswith("radiomix train ") and rec["argv"][0] == "train"
    assert rec["arguments"]["label"] == "diagnosis"
    assert rec["seconds"] >= 0 and rec["started"] <= rec["finished"]
    assert rec["config"]["validation"]["outer_folds"] == 2
    table = three_runs / "a.csv"
    assert rec["data"]["sha256"] == hashlib.sha256(table.read_bytes()).hexdigest()
    assert (rec["data"]["rows"], rec["data"]["columns"]) == pd.read_csv(table).shape
    assert rec["code"]["radiomix"]
    assert {"python", "numpy", "scikit-learn", "scikit-survival", "pandas"} <= set(rec["versions"])
    metrics = json.loads((run / "metrics.json").read_text())
    h = rec["headline"]
    assert (h["model"], h["metric"], h["label"]) == ("lr_l2_mrmr", "auc", "ROC AUC")
    assert h["value"] == metrics["primary"]["auc"] and h["ci"] == metrics["primary"]["auc_ci"]
    # the run directory keeps its files: run.json is added
    for name in ("metrics.json", "predictions.csv", "config.yaml", "model.joblib"):
        assert (run / name).is_file()


def test_evaluate_records_the_evaluated_run(three_runs: Path) -> None:
    ev = three_runs / "runs" / "r1" / "external-b"
    rec = json.loads((ev / "run.json").read_text())
    r1 = json.loads((three_runs / "runs" / "r1" / "run.json").read_text())
    assert rec["kind"] == "evaluate"
    assert rec["evaluated_run"]["id"] == r1["id"]
    assert rec["config"] == r1["config"]  # the settings of the model it evaluated
    assert rec["data"]["sha256"] == hashlib.sha256((three_runs / "b.csv").read_bytes()).hexdigest()


def test_code_version_without_git(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_git(*a, **k):
        raise FileNotFoundError("git")

    monkeypatch.setattr(subprocess, "run", no_git)
    code = runs_mod.code_version()
    assert code["git_commit"] is None and code["radiomix"]


def test_runs_list(three_runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    found = find_runs(three_runs)
    assert [Path(r["path"]).name for r in found] == ["r1", "r2", "r3", "external-b"]
    assert main(["runs", "list", str(three_runs), "--out", str(three_runs / "list.csv")]) == 0
    out = capsys.readouterr().out
    assert out.count("lr_l2_mrmr") == 4 and "ROC AUC" in out
    table = pd.read_csv(three_runs / "list.csv")
    assert list(table["kind"]) == ["train", "train", "train", "evaluate"]
    assert table["started"].is_monotonic_increasing


def test_flatten_config() -> None:
    flat = flatten_config(
        {"validation": {"outer_folds": 5}, "models": [{"name": "m", "grid": {"C": [1]}}]}
    )
    assert flat == {"validation.outer_folds": 5, "models.m.grid.C": "[1]"}


def test_compare_same_data(three_runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r1, r2 = (str(three_runs / "runs" / n) for n in ("r1", "r2"))
    diffs = config_differences([load_run(r1), load_run(r2)])
    assert diffs == [("validation.outer_folds", [2, 3])]
    page = three_runs / "same.html"
    assert main(["runs", "compare", r1, r2, "--html", str(page)]) == 0
    out = capsys.readouterr().out
    assert "validation.outer_folds" in out and "different data" not in out
    assert re.search(r"same data\s+yes\s+yes", out)
    text = page.read_text()
    assert "different data" not in text
    assert "<tr class='diff'><td>validation.outer_folds</td>" in text


def test_compare_different_data_html(three_runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r1, r3 = (str(three_runs / "runs" / n) for n in ("r1", "r3"))
    page = three_runs / "cmp.html"
    assert main(["runs", "compare", r1, r3, "--html", str(page)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("WARNING: these runs were trained on different data")
    assert "config differences: none" in out
    text = page.read_text()
    assert "class='warn' id='different-data'>these runs were trained on different data" in text
    # self-contained: no script, no link, no fetched resource; the ROC figure embedded
    low = re.sub(r"data:image/png;base64,[a-z0-9+/=]*", "", text.lower())
    assert "<script" not in low and "<link" not in low and "http" not in low
    assert "@import" not in low and "url(" not in low
    imgs = re.findall(r"<img [^>]*src='([^']*)'", text)
    assert len(imgs) == 1 and imgs[0].startswith("data:image/png;base64,")
    assert "ROC curves" in text


def test_run_without_run_json_is_read_from_metrics(three_runs: Path, tmp_path: Path) -> None:
    import shutil

    old = tmp_path / "old"
    shutil.copytree(three_runs / "runs" / "r2", old, ignore=shutil.ignore_patterns("external-*"))
    (old / "run.json").unlink()
    rec = load_run(old)
    assert rec["recorded"] is False and rec["kind"] == "train" and rec["id"] == "-"
    new = load_run(three_runs / "runs" / "r2")
    assert rec["data"]["sha256"] == new["data"]["sha256"]
    assert rec["headline"] == new["headline"]


def test_kaplan_meier_by_hand() -> None:
    from radiomix.report.runs_page import kaplan_meier

    t, s = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])
    assert list(t) == [0, 1, 2, 3]
    assert s == pytest.approx([1.0, 0.8, 0.6, 0.3])


def test_study_records_its_run(tmp_path: Path) -> None:
    """``radiomix study busi`` on the bundled sample (no report, one repeat)."""
    run = tmp_path / "busi"
    argv = ["study", "busi", "--out", str(run), "--repeats", "1", "--permutations", "0"]
    assert main([*argv, "--no-report", "--jobs", "1", "--quiet"]) == 0
    rec = load_run(run)
    assert rec["kind"] == "study" and rec["task"] == "binary"
    features = run / "features.csv"
    assert rec["data"]["sha256"] == hashlib.sha256(features.read_bytes()).hexdigest()
    assert rec["data"]["rows"] == len(pd.read_csv(features))
    assert rec["extraction_config"]["name"] == "ultrasound-2d"
    assert (
        rec["headline"]["value"] == json.loads((run / "metrics.json").read_text())["primary"]["auc"]
    )


def test_mlflow_logs_the_run_to_a_local_store(tmp_path: Path, capsys) -> None:
    """train --mlflow: one MLflow run in the study's experiment with the config as params,
    metrics.json's numbers as metrics, the run folder as artifacts; run.json names it."""
    pytest.importorskip("mlflow", reason="needs radiomix[mlflow] (mlflow-skinny)")
    from mlflow.tracking import MlflowClient

    synthetic(0, n_cases=48, n_features=10).table.to_csv(tmp_path / "a.csv", index=False)
    (tmp_path / "two.yaml").write_text(TINY % 2)
    store = tmp_path / "mlruns"
    argv = ["train", str(tmp_path / "a.csv"), "--label", "diagnosis", "--quiet"]
    argv += ["--config", str(tmp_path / "two.yaml"), "--out", str(tmp_path / "run")]
    assert main([*argv, "--mlflow", store.as_uri()]) == 0
    record = load_run(tmp_path / "run")
    logged = record["mlflow"]
    assert logged["uri"] == store.as_uri()
    assert f"MLflow run {logged['run_id']}" in capsys.readouterr().err
    client = MlflowClient(tracking_uri=store.as_uri())
    run = client.get_run(logged["run_id"])
    assert run.info.status == "FINISHED"
    assert client.get_experiment(run.info.experiment_id).name == "tiny"
    assert run.data.params["validation.outer_folds"] == "2"
    assert run.data.params["kind"] == "train" and run.data.params["task"] == "binary"
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert run.data.metrics["primary.auc"] == pytest.approx(metrics["primary"]["auc"])
    lo, hi = metrics["primary"]["auc_ci"]
    assert run.data.metrics["primary.auc_ci_low"] == pytest.approx(lo)
    assert run.data.metrics["primary.auc_ci_high"] == pytest.approx(hi)
    assert run.data.tags["radiomix.id"] == record["id"]
    assert run.data.tags["radiomix.data_sha256"] == record["data"]["sha256"]
    artifacts = {a.path for a in client.list_artifacts(logged["run_id"])}
    assert {"metrics.json", "config.yaml", "model.joblib", "predictions.csv"} <= artifacts
    # a second run of the same study goes to the same experiment
    assert main([*argv[:-2], "--out", str(tmp_path / "run2"), "--mlflow", str(store)]) == 0
    second = load_run(tmp_path / "run2")["mlflow"]
    assert second["experiment_id"] == logged["experiment_id"]
    assert second["run_id"] != logged["run_id"]


def test_mlflow_missing_is_a_clear_error(tmp_path: Path, monkeypatch, capsys) -> None:
    import builtins

    real_import = builtins.__import__

    def no_mlflow(name, *args, **kwargs):
        if name == "mlflow" or name.startswith("mlflow."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    synthetic(0, n_cases=48, n_features=10).table.to_csv(tmp_path / "a.csv", index=False)
    (tmp_path / "two.yaml").write_text(TINY % 2)
    monkeypatch.setattr(builtins, "__import__", no_mlflow)
    argv = ["train", str(tmp_path / "a.csv"), "--label", "diagnosis", "--quiet"]
    argv += ["--config", str(tmp_path / "two.yaml"), "--out", str(tmp_path / "run")]
    assert main([*argv, "--mlflow", str(tmp_path / "mlruns")]) == 2
    err = capsys.readouterr().err
    assert "pip install 'radiomix[mlflow]'" in err and "the run itself is complete" in err
    assert (tmp_path / "run" / "run.json").is_file()  # the run is kept
