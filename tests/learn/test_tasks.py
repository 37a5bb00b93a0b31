"""Several classes and numeric outcomes: the task table, metrics, nested CV, runs, bundles,
external evaluation, report and command line (``radiomix train --task``)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_error, r2_score, roc_auc_score
from sklearn.preprocessing import label_binarize

from radiomix.cli.main import main
from radiomix.errors import ConfigError, DataError
from radiomix.learn.bundle import ModelBundle
from radiomix.learn.config import load_study, study_to_dict
from radiomix.learn.external import evaluate_external
from radiomix.learn.study import run_study
from radiomix.learn.synthetic import make_multiclass_table, make_regression_table
from radiomix.learn.task_cv import task_splits
from radiomix.learn.task_metrics import (
    macro_auc,
    multiclass_metrics,
    regression_metrics,
    stratified_weights,
)
from radiomix.learn.tasks import TASKS, get_task, infer_task
from radiomix.report import build_report

#: fast settings: 3 x 3 folds, 2 repeats, 3 permutations, 300 bootstrap resamples
FAST = {"outer_folds": 3, "inner_folds": 3, "repeats": 2, "permutations": 3, "bootstrap": 300}

REG_STUDY = {
    "name": "regression-test",
    "task": "regression",
    "primary": "ridge_mrmr",  # the engine's tests pin one model (auto: test_auto_tasks.py)
    "comparators": ["shape_only_ridge", "random_forest"],
    "validation": {**FAST, "n_jobs": 1},
    "models": [
        {"name": "ridge_mrmr", "grid": {"select__k": [4, 8], "clf__alpha": [1.0, 100.0]}},
        {"name": "shape_only_ridge", "grid": {"clf__alpha": [1.0]}},
        {
            "name": "random_forest",
            "grid": {"clf__min_samples_leaf": [3]},
            "params": {"clf__n_estimators": 40},
        },
    ],
}

MC_STUDY = {
    "name": "multiclass-test",
    "primary": "lr_l2_mrmr",
    "comparators": ["lr_ovr_mrmr", "shape_only_lr"],
    "validation": {**FAST, "n_jobs": 1},
    "models": [
        {"name": "lr_l2_mrmr", "grid": {"select__k": [4, 8], "clf__C": [0.1, 1.0]}},
        {"name": "lr_ovr_mrmr", "grid": {"select__k": [4], "clf__estimator__C": [1.0]}},
        {"name": "shape_only_lr", "grid": {"clf__C": [1.0]}},
    ],
}


# ------------------------------------------------------------------ the task table


def test_the_label_column_decides_the_task():
    assert infer_task(pd.Series(["benign", "malignant", "benign"]), "d") == "binary"
    assert infer_task(pd.Series([0.0, 1.0, None]), "d") == "binary"
    assert infer_task(pd.Series(["a", "b", "c", "a"]), "d") == "multiclass"
    assert infer_task(pd.Series([1, 2, 3, 3]), "d") == "multiclass"
    with pytest.raises(DataError, match="--task regression"):
        infer_task(pd.Series([0.5, 1.5, 2.25]), "volume")
    with pytest.raises(DataError, match=r"--task multiclass .* or --task regression"):
        infer_task(pd.Series(range(30)), "age")
    with pytest.raises(ConfigError, match="did you mean 'regression'"):
        get_task("regresion")
    assert set(TASKS) == {"binary", "multiclass", "regression", "survival"}


def test_label_coding_of_each_task():
    mc = get_task("multiclass")
    y, coding = mc.encode(pd.Series(["g2", "g1", "g3", "g1"]), "grade")
    assert y.tolist() == [1, 0, 2, 0] and coding["classes"] == ["g1", "g2", "g3"]
    assert mc.decode(coding, np.array([2, 0])).tolist() == ["g3", "g1"]
    with pytest.raises(DataError, match="--task binary"):
        mc.encode(pd.Series(["a", "b", "a"]), "d")
    with pytest.raises(ConfigError, match="positive"):
        mc.encode(pd.Series(["a", "b", "c"]), "d", positive="a")
    reg = get_task("regression")
    y, coding = reg.encode(pd.Series([1, 2, 4]), "v")
    assert y.dtype == np.float64 and coding["mean"] == pytest.approx(7 / 3)
    with pytest.raises(DataError, match="holds text \\('benign'"):
        reg.encode(pd.Series(["benign", "malignant", "benign"]), "diagnosis")
    with pytest.raises(DataError, match="constant"):
        reg.encode(pd.Series([2.0, 2.0, 2.0]), "v")
    # quantile strata: five bins of equal size (ties broken by order)
    strata = reg.strata(np.arange(100.0)[::-1])
    assert np.bincount(strata).tolist() == [20] * 5 and strata[0] == 4


def test_study_settings_know_the_task():
    s = load_study({"task": "regression"})
    assert s.primary == "auto" and s.comparators == ("shape_only_ridge",)
    assert load_study(study_to_dict(s)) == s
    assert "task" not in study_to_dict(load_study({}))  # two classes: config.yaml as before
    with pytest.raises(ConfigError, match="unknown task 'survivl'"):
        load_study({"task": "survivl"})
    with pytest.raises(ConfigError, match="unknown model 'lr_l2_mrmr' for task 'regression'"):
        load_study({"task": "regression", "primary": "lr_l2_mrmr"})
    with pytest.raises(ConfigError, match="not a regression model"):
        load_study({"task": "regression", "models": [{"name": "m", "base": "svm_rbf"}]})
    with pytest.raises(ConfigError, match="did you mean 'clf__estimator__C'"):
        load_study({"models": [{"name": "lr_ovr_mrmr", "grid": {"clf__estimator__c": [1]}}]})


def test_selectors_for_a_numeric_target():
    from radiomix.learn.selectors import MRMR, CorrelationFilter

    rng = np.random.default_rng(0)
    n = 200
    a, b = rng.normal(size=n), rng.normal(size=n)
    y = 2 * a + b + 0.1 * rng.normal(size=n)
    copy_a = a + 0.01 * rng.normal(size=n)  # a near-copy of the most relevant feature
    X = np.column_stack([rng.normal(size=n), copy_a, a, b, rng.normal(size=n)])
    m = MRMR(k=2, relevance="r").fit(X, y)
    # relevance |r|: a (0.89) first; its near-copy then scores about 0 and b wins
    assert m.relevance_[2] == pytest.approx(abs(np.corrcoef(a, y)[0, 1]))
    assert m.ranking_[0] in (1, 2) and m.ranking_[1] == 3  # b, not the near-copy
    f = CorrelationFilter(threshold=0.9, keep="r").fit(X, y)
    kept = np.flatnonzero(f.get_support()).tolist()
    assert 3 in kept and len({1, 2} & set(kept)) == 1  # one of the pair, the more relevant
    assert f.relevance_[{1, 2}.intersection(kept).pop()] == f.relevance_[[1, 2]].max()


# ------------------------------------------------------------------ metrics


def test_regression_metrics_by_hand_and_against_scikit_learn():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    p = np.array([1.5, 2.0, 2.5, 5.0])
    m = {k: float(v[0]) for k, v in regression_metrics(np.ones((1, 4)), y, p).items()}
    # SSE = 0.25 + 0 + 0.25 + 1 = 1.5; SST = 5
    assert m["r2"] == pytest.approx(1 - 1.5 / 5) == pytest.approx(r2_score(y, p))
    assert m["mae"] == pytest.approx(0.5) == pytest.approx(mean_absolute_error(y, p))
    assert m["rmse"] == pytest.approx(math.sqrt(1.5 / 4))
    assert m["mean_error"] == pytest.approx(-0.25)
    b, a = np.polyfit(p, y, 1)
    assert m["calibration_slope"] == pytest.approx(b) and m["calibration_intercept"] == (
        pytest.approx(a)
    )
    # integer weights are repeated cases
    w = np.array([[2.0, 1.0, 0.0, 3.0]])
    rep = np.repeat(np.arange(4), [2, 1, 0, 3])
    mw = regression_metrics(w, y, p)
    assert mw["r2"][0] == pytest.approx(r2_score(y[rep], p[rep]))
    assert mw["rmse"][0] == pytest.approx(math.sqrt(np.mean((y[rep] - p[rep]) ** 2)))


def test_multiclass_metrics_against_scikit_learn():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 60)
    P = rng.dirichlet([1, 1, 1], 60)
    P[np.arange(60), y] += 0.3
    P /= P.sum(1, keepdims=True)
    over, per = multiclass_metrics(np.ones((1, 60)), y, P)
    assert over["macro_auc"][0] == pytest.approx(
        roc_auc_score(y, P, multi_class="ovr", average="macro")
    )
    onehot = label_binarize(y, classes=[0, 1, 2])
    assert over["micro_auc"][0] == pytest.approx(roc_auc_score(onehot.ravel(), P.ravel()))
    pred = P.argmax(1)
    assert over["accuracy"][0] == pytest.approx(np.mean(pred == y))
    sens = [np.mean(pred[y == k] == k) for k in range(3)]
    assert per["sensitivity"][0] == pytest.approx(sens)
    assert over["balanced_accuracy"][0] == pytest.approx(np.mean(sens))
    assert macro_auc(y, P) == pytest.approx(over["macro_auc"][0])
    # the bootstrap keeps each class's size (stratified) and moves groups together
    groups = np.repeat(np.arange(30), 2)
    yy = np.repeat(np.arange(3), 20)
    W = stratified_weights(yy, groups, 50, 0)
    assert W.shape == (50, 60)
    assert np.all(W[:, ::2] == W[:, 1::2])
    assert np.allclose([W[:, yy == k].sum(1) for k in range(3)], 20)


def test_group_aware_stratified_splits():
    task = get_task("multiclass")
    y = np.repeat([0, 1, 2], 40)
    groups = np.repeat(np.arange(60), 2)
    for tr, te in task_splits(task, y, groups, 5, 3):
        assert not np.intersect1d(groups[tr], groups[te]).size
        assert np.all(np.bincount(y[te], minlength=3) >= 6)  # each class in each test fold
    reg = get_task("regression")
    yr = np.linspace(0.0, 1.0, 100)
    for _, te in task_splits(reg, yr, None, 5, 0):
        assert np.bincount(reg.strata(yr)[te], minlength=5).tolist() == [4] * 5


# ------------------------------------------------------------------ whole studies


@pytest.fixture(scope="module")
def reg_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("reg")
    synth = make_regression_table(n_cases=150, n_features=40, n_informative=4, random_state=3)
    synth.table.to_csv(root / "reg.csv", index=False)
    res = run_study(root / "reg.csv", REG_STUDY, label="volume_change", out=root / "run")
    return res, synth, root


@pytest.fixture(scope="module")
def mc_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("mc")
    synth = make_multiclass_table(n_cases=180, n_informative=6, effect=1.2, random_state=4)
    t = synth.table.copy()
    # near-duplicate pairs share a group: the folds must keep them together
    t["family"] = [f"f{i // 2}" for i in range(len(t))]
    t.to_csv(root / "mc.csv", index=False)
    res = run_study(root / "mc.csv", MC_STUDY, label="grade", group="family", out=root / "run")
    return res, synth, root


def test_regression_signal(reg_run):
    res, synth, root = reg_run
    m = res.metrics
    assert m["task"] == "regression" and synth.optimal == pytest.approx(0.8)
    p = m["primary"]
    assert p["model"] == "ridge_mrmr"
    assert 0.72 < p["r2"] < 0.88  # the population optimum is 0.8 (measured: 0.797)
    assert p["r2_ci"][0] > 0.65 and p["r2_ci"][0] < p["r2"] < p["r2_ci"][1]
    assert 0.8 < p["calibration_slope"] < 1.2
    assert p["mae"] < p["rmse"] < 3.0 * p["rmse"]
    # shape-only ridge sees no informative feature here (they are drawn among all columns)
    shape_inf = [c for c in synth.informative if "morphology" in c]
    if not shape_inf:
        assert m["models"]["shape_only_ridge"]["r2"] < 0.1
    perm = m["permutation"]
    assert perm["n_permutations"] == 3 and max(perm["r2s"]) < 0.1
    assert perm["p_value"] == pytest.approx(1 / 4)
    assert set(m["comparison"]) == {"shape_only_ridge", "random_forest"}
    # the run directory
    pred = pd.read_csv(root / "run" / "predictions.csv")
    assert {"predicted", "residual", "fold", "repeat", "y"} <= set(pred.columns)
    one = pred[(pred["model"] == "ridge_mrmr") & (pred["repeat"] == 0)]
    assert len(one) == 150
    assert r2_score(one["y"], one["predicted"]) == pytest.approx(p["r2_repeats"][0])
    folds = pd.read_csv(root / "run" / "folds.csv")
    assert {"inner_r2", "test_r2"} <= set(folds.columns) and len(folds) == 3 * 2 * 3
    sel = pd.read_csv(root / "run" / "selection.csv")
    top = sel[sel["model"] == "ridge_mrmr"].head(4)
    assert set(top["feature"]) == set(synth.informative)


def test_regression_noise_gives_r2_at_most_zero(tmp_path):
    synth = make_regression_table(n_cases=150, n_informative=0, random_state=5)
    table = synth.table.assign(patient=[f"p{i // 3}" for i in range(150)])  # 3 lesions each
    study = {**REG_STUDY, "comparators": [], "validation": {**FAST, "permutations": 0}}
    res = run_study(table, study, label="volume_change", group="patient", out=tmp_path / "r")
    p = res.metrics["primary"]
    assert synth.optimal == 0.0
    assert p["r2"] <= 0.0 and p["r2_ci"][0] < 0.0
    assert all(r <= 0.0 for r in p["r2_repeats"])
    assert res.metrics["study"]["n_groups"] == 50
    pred = pd.read_csv(tmp_path / "r" / "predictions.csv")
    for _, g in pred.groupby("repeat"):
        assert (g.groupby("group")["fold"].nunique() == 1).all()  # a patient in one fold


def test_multiclass_signal_and_groups(mc_run):
    res, _, root = mc_run
    m = res.metrics
    assert m["task"] == "multiclass"
    p = m["primary"]
    assert p["macro_auc"] > 0.82 and p["macro_auc_ci"][0] > 0.75  # measured: 0.872
    assert p["micro_auc"] > 0.8
    assert set(p["per_class"]) == {"g1", "g2", "g3"}
    for v in p["per_class"].values():
        assert v["n_cases"] == 60 and 0.4 < v["sensitivity"] < 1.0 and v["auc"] > 0.7
    cm = np.array(p["confusion_matrix"])
    assert cm.shape == (3, 3) and cm.sum() == 180 and cm.sum(1).tolist() == [60, 60, 60]
    assert np.trace(cm) / 180 == pytest.approx(p["accuracy"], abs=0.05)
    assert m["models"]["lr_ovr_mrmr"]["macro_auc"] > 0.75
    assert max(m["permutation"]["macro_aucs"]) < 0.65
    pred = pd.read_csv(root / "run" / "predictions.csv")
    prob = pred[["probability_g1", "probability_g2", "probability_g3"]].to_numpy()
    assert np.allclose(prob.sum(1), 1.0)
    for _, g in pred[pred["model"] == "lr_l2_mrmr"].groupby("repeat"):
        assert (g.groupby("group")["fold"].nunique() == 1).all()  # groups never split
    sel = pd.read_csv(root / "run" / "selection.csv")
    kinds = set(sel.loc[sel["model"] == "lr_l2_mrmr", "importance_kind"])
    assert kinds == {"mean |coefficient| over classes"}


def test_multiclass_noise_gives_macro_auc_about_one_half():
    synth = make_multiclass_table(n_cases=180, n_informative=0, random_state=6)
    study = {**MC_STUDY, "comparators": [], "validation": {**FAST, "permutations": 0}}
    res = run_study(synth.table, study, label="grade")
    p = res.metrics["primary"]
    assert 0.38 < p["macro_auc"] < 0.6
    assert p["macro_auc_ci"][0] < 0.5 < p["macro_auc_ci"][1] + 0.02


def test_selection_outside_the_folds_would_leak():
    """On pure noise, features chosen on all cases before cross-validation give a clearly
    positive R²; the nested CV, where selection is refitted in every training fold, gives
    none."""
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import cross_val_predict

    from radiomix.learn.selectors import target_correlation
    from radiomix.learn.task_cv import nested_cv_task

    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(100, 500)), columns=[f"f{j}" for j in range(500)])
    y = rng.normal(size=100)
    top = np.argsort(-target_correlation(X.to_numpy(), y))[:10]
    leaky = cross_val_predict(Ridge(alpha=1.0), X.iloc[:, top], y, cv=5)
    assert r2_score(y, leaky) > 0.2
    task = get_task("regression")
    spec = task.models["ridge_mrmr"]
    grid = {"select__k": [10], "clf__alpha": [1.0]}
    cv = nested_cv_task(task, spec.build, grid, X, y, outer_folds=5, inner_folds=3, repeats=1)
    assert cv.repeat_scores()[0] < 0.0


def test_multiclass_refuses_a_class_of_one_case():
    t = make_multiclass_table(n_cases=90, random_state=0).table
    t.loc[0, "grade"] = "g9"
    with pytest.raises(DataError, match=r"class 'g9' .* has only 1 cases"):
        run_study(t, MC_STUDY, label="grade")


# ------------------------------------------------------------------ bundles, external, report


def test_bundles_round_trip(reg_run, mc_run, tmp_path):
    res, synth, root = reg_run
    b = ModelBundle.load(root / "run" / "model.joblib")
    assert b.task == "regression" and b.name == "ridge_mrmr" and math.isnan(b.threshold)
    meta = json.loads((root / "run" / "model.json").read_text())
    assert meta["format_version"] == 2 and meta["task"] == "regression"
    assert meta["threshold"] is None
    out = b.predict_table(synth.table)
    fitted = res.runs["ridge_mrmr"].final.pipeline
    assert np.allclose(out["predicted"], fitted.predict(synth.table[b.features]))
    with pytest.raises(DataError, match="regression"):
        b.predict_proba(synth.table)
    _, synth_mc, root_mc = mc_run
    bm = ModelBundle.load(root_mc / "run" / "model.joblib")
    assert bm.task == "multiclass" and bm.label["classes"] == ["g1", "g2", "g3"]
    pt = bm.predict_table(synth_mc.table)
    assert list(pt.columns[-5:]) == [
        "probability_g1",
        "probability_g2",
        "probability_g3",
        "predicted",
        "predicted_label",
    ]
    assert np.allclose(pt.filter(like="probability_").sum(axis=1), 1.0)
    assert (pt["predicted_label"] == np.array(["g1", "g2", "g3"])[pt["predicted"]]).all()


def test_external_evaluation(reg_run, mc_run, tmp_path):
    _, _, root = reg_run
    ext = make_regression_table(n_cases=120, n_informative=4, random_state=3, case_seed=11)
    m = evaluate_external(root / "run", ext.table, "volume_change", n_boot=200, out=tmp_path / "e")
    assert m["task"] == "regression" and 0.6 < m["primary"]["r2"] < 0.95
    assert m["permutation"]["p_value"] < 0.01 and m["permutation"]["r2"] < 0
    assert (tmp_path / "e" / "predictions.csv").is_file()
    _, _, root_mc = mc_run
    ext = make_multiclass_table(
        n_cases=90, n_informative=6, effect=1.2, random_state=4, case_seed=9
    )
    mm = evaluate_external(root_mc / "run", ext.table, "grade", n_boot=200)
    assert mm["primary"]["macro_auc"] > 0.75 and mm["permutation"]["p_value"] < 0.01
    bad = ext.table.assign(grade="g7")
    with pytest.raises(DataError, match="not training classes"):
        evaluate_external(root_mc / "run", bad, "grade", n_boot=0)
    with pytest.raises(ConfigError, match="two classes"):
        evaluate_external(root_mc / "run", ext.table, "grade", positive="g1", n_boot=0)


def test_reports(reg_run, mc_run):
    for (_, _, root), figs, words in (
        (reg_run, ("calibration", "selection", "model_comparison", "permutation"), "R²"),
        (mc_run, ("confusion", "roc", "selection", "model_comparison"), "macro ROC AUC"),
    ):
        path = build_report(root / "run")
        text = path.read_text()
        for f in figs:
            assert f"id='fig-{f}'" in text and (root / "run" / "figures" / f"{f}.png").is_file()
        assert words in text and "better than chance" in text
    assert "id='per-class'" in (mc_run[2] / "run" / "report.html").read_text()


def test_reports_render_in_chromium(reg_run, mc_run):
    from tests.report.conftest import render_in_chromium

    for (_, _, root), n_images, section in ((reg_run, 6, "Calibration"), (mc_run, 7, "Classes")):
        seen = render_in_chromium(build_report(root / "run"))
        state = seen["images"]
        # + permutation importance and SHAP; several classes also have a confusion matrix,
        # and their SHAP figure (mean |SHAP| per class) makes 7
        assert len(state) == n_images
        assert all(s["complete"] and s["width"] > 0 and s["height"] > 0 for s in state), state
        assert {section, "Model comparison", "Label-permutation check"} <= set(seen["headings"])
        assert seen["task"].startswith("Task: predict the")


def test_command_line(tmp_path, capsys):
    synth = make_regression_table(n_cases=120, random_state=2)
    table = tmp_path / "reg.csv"
    synth.table.to_csv(table, index=False)
    cfg = tmp_path / "study.yaml"
    cfg.write_text(
        "validation: {outer_folds: 3, inner_folds: 3, repeats: 1, permutations: 1, "
        "bootstrap: 100, n_jobs: 1}\n"
        "primary: ridge_mrmr\n"
        "models:\n  - {name: ridge_mrmr, grid: {select__k: [4], clf__alpha: [1.0]}}\n"
        "comparators: []\n"
    )
    run = tmp_path / "run"
    args = ["train", str(table), "--label", "volume_change", "--config", str(cfg)]
    assert main([*args, "--out", str(run), "--quiet"]) == 2  # a number: say which task
    assert "--task regression" in capsys.readouterr().err
    assert main([*args, "--task", "regression", "--out", str(run), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "ridge_mrmr: R² (out of fold) 0." in out and "MAE" in out
    assert "task: regression" in (run / "config.yaml").read_text()
    pred = tmp_path / "p.csv"
    assert main(["predict", str(run), "--table", str(table), "--out", str(pred)]) == 0
    assert list(pd.read_csv(pred).columns) == ["case_id", "roi", "model", "predicted"]
    ev = ["evaluate", str(run), "--external", str(table), "--label", "volume_change"]
    assert main(ev) == 0 and "R²" in capsys.readouterr().out
    assert main(["report", str(run)]) == 0


def test_fold_checks_name_the_first_class_short_of_groups():
    """Each class needs enough groups for the folds (5 outer x 3 inner: 5) and, leaving a
    group out, at least 2 in the training part; the messages name the first class short."""
    from radiomix.learn.tasks import BinaryTask

    y = np.array([0] * 6 + [1] * 4 + [2] * 6)
    groups = np.arange(y.size)
    coding = {"classes": ["a", "b", "c"], "column": "grade"}
    with pytest.raises(DataError, match=r"class 'b' of label column 'grade' has only 4 cases"):
        get_task("multiclass").check_folds(y, groups, 5, 3, coding)
    get_task("multiclass").check_folds(y, groups, 3, 2, coding)  # 3 groups each suffice
    one_c = np.where(y == 2, 99, groups)  # class c in a single group
    assert (
        get_task("multiclass").logo_training_problem(y, one_c, coding)
        == "class 'c' in fewer than 2 groups"
    )
    assert get_task("multiclass").logo_training_problem(y, groups, coding) is None

    yb = np.array([0] * 3 + [1] * 8)
    with pytest.raises(DataError, match=r"only 3 negative cases .* at least 5"):
        BinaryTask().check_folds(yb, np.arange(yb.size), 5, 3, {})
    single_pos = np.where(yb == 1, 7, np.arange(yb.size))
    assert BinaryTask().logo_training_problem(yb, single_pos, {}) == (
        "positive cases in fewer than 2 groups"
    )
