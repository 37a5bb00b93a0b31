"""A whole study: run directory contract, bundles, external validation, tables, settings."""

from __future__ import annotations

import json
import math

import joblib
import numpy as np
import pandas as pd
import pytest

from radiomix.errors import ConfigError, DataError, ModelBundleError
from radiomix.learn.bundle import BundleVersionWarning, ModelBundle
from radiomix.learn.config import load_study, study_from_dict, study_to_dict
from radiomix.learn.external import evaluate_external, permutation_auc
from radiomix.learn.metrics import roc_auc
from radiomix.learn.study import run_study
from radiomix.learn.table import encode_labels, feature_columns, prepare
from tests.learn.runs import FAST_STUDY, synthetic

CONTRACT_KEYS = (
    "model",
    "auc",
    "auc_ci",
    "balanced_accuracy",
    "sensitivity",
    "specificity",
    "n_cases",
    "n_positive",
)


def test_metrics_json_contract(small_run):
    _res, synth, run = small_run
    m = json.loads((run / "metrics.json").read_text())
    for key in CONTRACT_KEYS:
        assert key in m["primary"], key
    assert m["primary"]["model"] == "lr_l2_mrmr"
    assert set(m["models"]) == {"lr_l2_mrmr", "shape_only_lr", "random_forest"}
    for name, mm in m["models"].items():
        for key in CONTRACT_KEYS:
            assert key in mm, (name, key)
        lo, hi = mm["auc_ci"]
        assert lo <= mm["auc"] <= hi
        assert mm["n_cases"] == 120 and mm["n_positive"] == 48
    assert 0.3 <= m["permutation"]["auc"] <= 0.7
    assert m["permutation"]["n_permutations"] == 3
    assert m["study"]["label"] == {
        "column": "diagnosis",
        "negative": "benign",
        "positive": "malignant",
        "rule": "positive word",
    }
    # a signal is found, near the Bayes optimum (0.921), and beats the shape-only baseline
    assert m["primary"]["auc"] >= synth.optimal_auc - 0.1
    assert m["primary"]["auc"] > m["models"]["shape_only_lr"]["auc"]
    assert set(m["comparison"]) == {"shape_only_lr", "random_forest"}
    c = m["comparison"]["shape_only_lr"]
    assert c["delta_auc"] == pytest.approx(
        np.median(
            np.array(m["models"]["lr_l2_mrmr"]["auc_repeats"])
            - np.array(m["models"]["shape_only_lr"]["auc_repeats"])
        )
    )


def test_run_directory_files(small_run):
    res, synth, run = small_run
    for name in (
        "metrics.json",
        "predictions.csv",
        "selection.csv",
        "folds.csv",
        "config.yaml",
        "model.joblib",
        "model.json",
        "comparison.csv",
        "permutation.csv",
    ):
        assert (run / name).is_file(), name
    assert (run / "models" / "shape_only_lr.joblib").is_file()
    pred = pd.read_csv(run / "predictions.csv")
    prim = pred[pred["model"] == "lr_l2_mrmr"]
    # every case has one out-of-fold prediction per repeat
    assert prim.groupby("case_id")["repeat"].nunique().eq(2).all()
    assert len(prim) == 2 * 120
    # the pooled AUC of each repeat is the one reported
    aucs = [
        roc_auc(g["y"].to_numpy(), g["probability"].to_numpy()) for _, g in prim.groupby("repeat")
    ]
    m = json.loads((run / "metrics.json").read_text())
    np.testing.assert_allclose(aucs, m["primary"]["auc_repeats"], atol=1e-8)
    assert (prim["predicted"] == (prim["probability"] >= prim["threshold"]).astype(int)).all()
    sel = pd.read_csv(run / "selection.csv")
    s = sel[sel["model"] == "lr_l2_mrmr"].set_index("feature")
    assert s["frequency"].between(0, 1).all()
    top = s.sort_values("frequency", ascending=False).index[:4]
    assert len(set(top) & set(synth.informative)) >= 3
    folds = pd.read_csv(run / "folds.csv")
    assert len(folds[folds["model"] == "lr_l2_mrmr"]) == 2 * 3
    # the resolved settings written with the run rebuild the same settings
    cfg = study_from_dict(__import__("yaml").safe_load((run / "config.yaml").read_text()))
    assert cfg == res.settings


def test_bundle_round_trip_and_schema_checks(small_run, tmp_path):
    res, synth, run = small_run
    bundle = ModelBundle.load(run / "model.joblib")
    assert bundle.name == "lr_l2_mrmr"
    assert bundle.label["positive"] == "malignant"
    assert bundle.features == [c for c in synth.table.columns if c.startswith("original_")]
    assert bundle.versions["scikit-learn"]
    table = synth.table
    out = bundle.predict_table(table)
    np.testing.assert_allclose(
        out["probability"],
        res.runs["lr_l2_mrmr"].final.pipeline.predict_proba(table[bundle.features])[:, 1],
    )
    assert set(out["predicted_label"]) <= {"benign", "malignant"}
    # missing features are named
    with pytest.raises(DataError, match=r"lacks 2 of the 40 features.*original_morphology_shape0"):
        bundle.predict_table(
            table.drop(columns=["original_morphology_shape0", "original_glcm_feature2"])
        )
    # an unexpected feature column is named, unless allowed
    extra = table.assign(original_glcm_surprise=1.0)
    with pytest.raises(DataError, match="original_glcm_surprise"):
        bundle.predict_table(extra)
    assert len(bundle.predict_table(extra, allow_extra=True)) == len(table)
    # the shape-only bundle expects only shape features
    shape = ModelBundle.load(run / "models" / "shape_only_lr.joblib")
    assert all("_morphology_" in f for f in shape.features)
    assert len(shape.predict_table(table)) == len(table)
    # another version warns
    payload = joblib.load(run / "model.joblib")
    payload["metadata"]["versions"]["scikit-learn"] = "0.0.1"
    joblib.dump(payload, tmp_path / "old.joblib")
    with pytest.warns(BundleVersionWarning, match="scikit-learn 0.0.1"):
        ModelBundle.load(tmp_path / "old.joblib")
    (tmp_path / "junk.joblib").write_bytes(b"not a bundle")
    with pytest.raises(ModelBundleError, match="cannot read"):
        ModelBundle.load(tmp_path / "junk.joblib")


def test_external_validation(small_run, tmp_path):
    _res, _synth, run = small_run
    ext = synthetic(seed=0, case_seed=99).table  # the same population, other cases
    path = tmp_path / "external.csv"
    ext.to_csv(path, index=False)
    m = evaluate_external(run, path, "diagnosis", out=tmp_path / "ext")
    for key in CONTRACT_KEYS:
        assert key in m["primary"]
    assert set(m["models"]) == {"lr_l2_mrmr", "shape_only_lr", "random_forest"}
    assert m["primary"]["n_cases"] == 120
    assert m["primary"]["auc"] > 0.8
    assert m["permutation"]["p_value"] < 0.01
    assert m["permutation"]["observed_auc"] == m["primary"]["auc"]  # ranks = weighted sums
    written = json.loads((tmp_path / "ext" / "metrics.json").read_text())
    assert written["primary"]["auc"] == pytest.approx(m["primary"]["auc"])
    pred = pd.read_csv(tmp_path / "ext" / "predictions.csv")
    prim = pred[pred["model"] == "lr_l2_mrmr"]
    assert roc_auc(prim["y"].to_numpy(), prim["probability"].to_numpy()) == pytest.approx(
        m["primary"]["auc"]
    )
    # the frozen threshold is applied, not a new one
    bundle = ModelBundle.load(run / "model.joblib")
    np.testing.assert_allclose(prim["threshold"], bundle.threshold, rtol=1e-9)
    recoded = ext.assign(diagnosis=np.where(ext["diagnosis"] == "malignant", 1, 0))
    with pytest.raises(DataError, match="--positive"):
        evaluate_external(run, recoded, "diagnosis")
    m2 = evaluate_external(run, recoded, "diagnosis", positive=1, n_boot=0)
    assert m2["primary"]["auc"] == pytest.approx(m["primary"]["auc"])
    # a label column of another name is the outcome, not a feature the model never saw
    renamed = recoded.rename(columns={"diagnosis": "malignant"})
    m3 = evaluate_external(run, renamed, "malignant", positive=1, n_boot=0)
    assert m3["primary"]["auc"] == m2["primary"]["auc"]
    assert m3["study"]["label"] == {
        "column": "malignant",
        "negative": "benign",
        "positive": "malignant",
    }
    with pytest.raises(ConfigError, match="--event applies to survival; this run's task is binary"):
        evaluate_external(run, ext, "diagnosis", event="diagnosis", n_boot=0)


def test_permutation_auc_null():
    y = np.r_[np.zeros(50), np.ones(50)].astype(int)
    p = np.linspace(0, 1, 100)  # a perfect ranking
    null, p_value = permutation_auc(y, p, 999, 0)
    assert abs(np.median(null) - 0.5) < 0.03
    assert p_value == pytest.approx(1 / 1000)


def test_labels_and_feature_columns():
    def codes(values, positive=None):
        y, c = encode_labels(pd.Series(values), "lab", positive)
        return y.tolist(), c.positive, c.rule

    assert codes([0, 1, 1, 0]) == ([0, 1, 1, 0], 1, "one")
    assert codes([True, False]) == ([1, 0], True, "one")
    assert codes(["benign", "Malignant", "benign"]) == ([0, 1, 0], "Malignant", "positive word")
    assert codes(["a", "b", "b"]) == ([1, 0, 0], "a", "minority")
    assert codes(["a", "b", "b"], positive="b") == ([0, 1, 1], "b", "given")
    assert codes([2, 5, 5], positive=5) == ([0, 1, 1], 5, "given")
    with pytest.raises(DataError, match="equally frequent"):
        codes(["a", "b"])
    with pytest.raises(DataError, match="exactly two values"):
        codes(["a", "b", "c"])
    with pytest.raises(DataError, match="not a value"):
        codes(["a", "b", "b"], positive="c")
    t = pd.DataFrame(
        {
            "case_id": ["x", "y", "z"],
            "roi": ["1", "1", "1"],
            "diagnostics_vox": [1, 2, 3],
            "provenance_image_sha256": ["a", "b", "c"],
            "original_glcm_a": [1.0, np.inf, 3.0],
            "original_morphology_b": [1, 2, 3],
            "site": ["A", "B", "A"],
            "label": [0, 1, None],
        }
    )
    feats, text = feature_columns(t, label="label")
    assert feats == ["original_glcm_a", "original_morphology_b"] and text == ["site"]
    assert feature_columns(t, label="label", include=["*_morphology_*"])[0] == [
        "original_morphology_b"
    ]
    data = prepare(t, "label")
    assert data.n_dropped == 1 and data.n_infinite == 1 and math.isnan(data.X.iloc[1, 0])
    with pytest.raises(DataError, match="'lab' is not in"):
        prepare(t, "lab")


def test_study_settings_are_checked():
    with pytest.raises(ConfigError, match="did you mean 'repeats'"):
        load_study({"validation": {"repeets": 3}})
    with pytest.raises(ConfigError, match="did you mean 'random_forest'"):
        load_study({"comparators": ["random_forst"]})
    with pytest.raises(ConfigError, match="did you mean 'clf__max_features'"):
        load_study(
            {"models": [{"name": "rf", "base": "random_forest", "grid": {"clf__max_feature": [1]}}]}
        )
    with pytest.raises(ConfigError, match="threshold"):
        load_study({"validation": {"threshold": "best"}})
    s = load_study(FAST_STUDY)
    assert load_study(study_to_dict(s)) == s
    assert s.model_names == ["lr_l2_mrmr", "shape_only_lr", "random_forest"]


def test_run_refuses_bad_input(tmp_path):
    t = synthetic(0, n_cases=40).table
    with pytest.raises(ConfigError, match="--label"):
        run_study(t, FAST_STUDY)
    with pytest.raises(DataError, match="'nope' is not in"):
        run_study(t, FAST_STUDY, label="nope")
    one = t.assign(diagnosis="benign")
    with pytest.raises(DataError, match="exactly two values"):
        run_study(one, FAST_STUDY, label="diagnosis")
    few = t.iloc[:8]
    with pytest.raises(DataError, match="cases \\(or groups\\)"):
        run_study(few, FAST_STUDY, label="diagnosis")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "metrics.json").write_text("{}")
    with pytest.raises(DataError, match="already holds a run"):
        run_study(t, FAST_STUDY, label="diagnosis", out=tmp_path / "run")


def test_robustness_table_in_the_study(tmp_path):
    synth = synthetic(3, n_cases=90)
    feats = [c for c in synth.table.columns if c.startswith("original_")]
    icc = pd.DataFrame({"feature": feats, "icc": 0.9})
    unstable = [f for f in feats if f not in synth.informative][:10]
    icc.loc[icc["feature"].isin(unstable), "icc"] = 0.3
    icc.to_csv(tmp_path / "ICC.csv", index=False)
    (tmp_path / "study.yaml").write_text(
        "primary: lr_l2_mrmr\ncomparators: []\nvalidation: {outer_folds: 3, inner_folds: 3, repeats: 1, "
        "permutations: 0, bootstrap: 0, n_jobs: 1}\nrobustness: {icc_table: ICC.csv}\n"
        "models: [{name: lr_l2_mrmr, grid: {select__k: [4]}}]\n"
    )
    res = run_study(synth.table, tmp_path / "study.yaml", label="diagnosis")
    assert res.settings.robustness.icc_table == str((tmp_path / "ICC.csv").resolve())
    run = res.runs["lr_l2_mrmr"]
    assert run.final.pipeline.steps[0][0] == "robust"
    used = {f for fold in run.cv.folds for f in fold.selected}
    assert not used & set(unstable)  # unstable features never reach the classifier


def test_grouped_study_from_parquet(tmp_path):
    # near-duplicate cases share a group: folds and the bootstrap keep them together
    synth = synthetic(6, n_cases=80, duplicates=30)
    path = tmp_path / "features.parquet"
    synth.table.to_parquet(path)
    cfg = {
        "primary": "lr_l2_mrmr",
        "comparators": [],
        "validation": {
            "outer_folds": 3,
            "inner_folds": 3,
            "repeats": 2,
            "permutations": 0,
            "bootstrap": 200,
            "n_jobs": 1,
        },
        "models": [{"name": "lr_l2_mrmr", "grid": {"select__k": [4]}, "params": {"clf__C": 1.0}}],
    }
    res = run_study(path, cfg, label="diagnosis", group="family", out=tmp_path / "run")
    m = res.metrics
    assert m["study"]["group"] == "family" and m["study"]["n_groups"] == 80
    assert m["primary"]["n_cases"] == 110
    lo, hi = m["primary"]["auc_ci"]
    assert lo < m["primary"]["auc"] < hi
    pred = pd.read_csv(tmp_path / "run" / "predictions.csv")
    assert pred.groupby(["repeat", "group"])["fold"].nunique().eq(1).all()
    folds = pd.read_csv(tmp_path / "run" / "folds.csv")
    assert folds["n_groups_test"].sum() == 2 * 80
