"""Category names in clinical columns, end to end: every task, ``--compare``, the outputs
(selection, importance, SHAP), prediction, external evaluation and the report.

A text stage (``T1``-``T3``), a text sex and a grade coded 1 / 2 / 10 declared categorical:
the encoded columns carry the category's text (``stage=T2``, ``grade=10`` after
``grade=2``), a categorical column counts as selected when its encoded columns are, and a
category never met in training (``T4``) is encoded as zeros, warned about and recorded.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from radiomix.learn.clinical import UnseenCategoryWarning
from radiomix.learn.external import evaluate_external
from radiomix.learn.study import run_study

CLINICAL = ["age", "stage", "sex", "grade"]

BASE: dict[str, Any] = {
    "comparators": [],
    "validation": {
        "outer_folds": 3,
        "inner_folds": 3,
        "repeats": 1,
        "permutations": 0,
        "bootstrap": 200,
        "n_jobs": 1,
    },
    "explain": {"importance_repeats": 2},
    "compare": ["clinical", "radiomics", "combined"],
}


def table(seed: int = 0, n: int = 150, p: int = 8) -> pd.DataFrame:
    """Stage, grade and age carry signal for every outcome; sex none."""
    rng = np.random.default_rng(seed)
    stage = rng.choice(["T1", "T2", "T3"], n)
    grade = rng.choice([1, 2, 10], n)
    rad = rng.normal(size=(n, p))
    age = rng.normal(60, 10, n)
    lin = (
        pd.Series(stage).map({"T1": -1.0, "T2": 0.0, "T3": 1.0}).to_numpy()
        + 0.5 * (grade == 10)
        + 0.05 * (age - 60)
        + 0.7 * rad[:, 0]
    )
    df = pd.DataFrame(rad, columns=[f"original_firstorder_f{i}" for i in range(p)])
    df.insert(0, "case_id", [f"c{i}" for i in range(n)])
    df["age"] = age
    df.loc[:3, "age"] = np.nan
    df["stage"] = stage
    df["sex"] = rng.choice(["F", "M"], n)
    df["grade"] = grade
    df["label"] = (rng.random(n) < 1 / (1 + np.exp(-2 * lin))).astype(int)
    df["cls"] = np.digitize(lin + rng.normal(0, 0.5, n), [-0.7, 0.7])
    df["outcome"] = lin + rng.normal(0, 0.5, n)
    df["time"] = rng.exponential(np.exp(-lin) * 5) + 0.1
    df["event"] = (rng.random(n) < 0.8).astype(int)
    return df


OUTCOMES = ["label", "cls", "outcome", "time", "event"]


def config(label: str, **extra: Any) -> dict[str, Any]:
    data = {
        "label": label,
        "clinical": CLINICAL,
        "clinical_categorical": ["grade"],
        "exclude": [c for c in OUTCOMES if c != label],
    }
    return {**BASE, **extra, "data": data}


def external(seed: int = 9) -> pd.DataFrame:
    ext = table(seed=seed, n=60)
    ext.loc[:2, "stage"] = "T4"  # a stage the models never saw
    return ext


@pytest.fixture(scope="module")
def binary_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("clin") / "run"
    cfg = config("label", primary="lr_l2_mrmr")
    cfg["models"] = [{"name": "lr_l2_mrmr", "grid": {"select__k": [4], "clf__C": [0.1, 1.0]}}]
    return run_study(table(), cfg, out=out), out


def test_encoded_columns_carry_the_category_names(binary_run):
    result, out = binary_run
    assert result.metrics["study"]["clinical"] == {
        "columns": CLINICAL,
        "categorical": ["stage", "sex", "grade"],
        "numeric": ["age"],
    }
    sel = pd.read_csv(out / "selection.csv")
    for model in ("combined", "clinical"):
        rows = sel[sel.model == model].set_index("feature")
        # every fit used every category column (clinical columns skip the selection)
        for name in ("stage=T1", "stage=T2", "stage=T3", "sex=F", "sex=M"):
            assert rows.loc[name, "frequency"] == 1.0
            assert np.isfinite(rows.loc[name, "mean_importance"])
        assert not {"stage", "sex", "grade"} & set(rows.index)
        grades = [f for f in rows.index if f.startswith("grade=")]
        assert sorted(grades, key=lambda f: int(f[6:])) == ["grade=1", "grade=2", "grade=10"]
    imp = pd.read_csv(out / "importance.csv").set_index("feature")
    # permutation importance is per input column: used in every fold
    assert imp.loc["stage", "selection_frequency"] == 1.0
    assert imp.loc["grade", "selection_frequency"] == 1.0
    shap = pd.read_csv(out / "shap.csv")
    assert {"stage=T1", "stage=T2", "stage=T3", "grade=10", "sex=M"} <= set(shap["feature"])
    order = list(result.runs["combined"].bundle.pipeline[:-1].get_feature_names_out())
    assert order[:9] == [  # the clinical columns first, then the radiomic features
        "age",
        "stage=T1",
        "stage=T2",
        "stage=T3",
        "sex=F",
        "sex=M",
        "grade=1",
        "grade=2",
        "grade=10",
    ]
    explained = result.runs["combined"].bundle.explain(table(seed=3, n=5))
    assert "stage=T2" in explained.columns


def test_external_table_with_a_category_never_seen(binary_run, tmp_path):
    from radiomix.report.html import build_report

    _, out = binary_run
    ext = external()
    with pytest.warns(UnseenCategoryWarning, match=r"stage=T4 \(3 cases\)"):
        m = evaluate_external(out, ext, "label", out=tmp_path / "ext")
    for model in ("combined", "clinical"):
        u = m["models"][model]["unseen_categories"]
        assert u["categories"] == {"stage=T4": 3} and u["n_cases"] == 3
    assert "unseen_categories" not in m["models"]["radiomics"]
    pred = pd.read_csv(tmp_path / "ext" / "predictions.csv", keep_default_na=False)
    comb = pred[pred.model == "combined"]
    assert comb["unseen_category"].tolist() == ["stage=T4"] * 3 + [""] * 57
    # the report of the run lists them under its external evaluations
    evaluate_ext = out / "external-t4"
    with pytest.warns(UnseenCategoryWarning):
        evaluate_external(out, ext, "label", out=evaluate_ext)
    text = build_report(out).read_text()
    assert "3 cases hold categories the model never saw in training: stage=T4 (3)" in text


@pytest.mark.parametrize(
    ("label", "extra", "headline"),
    [
        ("cls", {"task": "multiclass"}, "macro_auc"),
        ("outcome", {"task": "regression"}, "r2"),
        ("time", {"task": "survival"}, "harrell_c"),
    ],
    ids=["multiclass", "regression", "survival"],
)
def test_every_task_names_the_categories_and_predicts_new_ones(label, extra, headline, tmp_path):
    cfg = config(label, **extra)
    if label == "time":
        cfg["data"]["event"] = "event"
        cfg["data"]["exclude"].remove("event")
    result = run_study(table(), cfg, out=tmp_path / "run")
    m = result.metrics
    assert m["study"]["clinical"]["categorical"] == ["stage", "sex", "grade"]
    assert m["models"]["combined"][headline] > m["models"]["radiomics"][headline]
    sel = pd.read_csv(tmp_path / "run" / "selection.csv")
    rows = sel[sel.model == "combined"].set_index("feature")
    assert rows.loc["stage=T3", "frequency"] == 1.0 and "stage" not in rows.index
    shap = pd.read_csv(tmp_path / "run" / "shap.csv")
    assert "stage=T3" in set(shap["feature"])
    rules = result.runs["radiomics"].bundle.column_rules
    assert rules["clinical"] == CLINICAL and rules["radiomics"] is True
    assert result.runs["clinical"].bundle.column_rules["radiomics"] is False
    ext = external().drop(columns=[c for c in OUTCOMES if c not in (label, "event")])
    # the radiomics model ignores the clinical columns; the clinical one the features
    assert "unseen_category" not in result.runs["radiomics"].bundle.predict_table(ext)
    with pytest.warns(UnseenCategoryWarning, match="stage=T4"):
        pred = result.runs["clinical"].bundle.predict_table(ext)
    assert (pred["unseen_category"] == "stage=T4").sum() == 3
    kw = {"event": "event"} if label == "time" else {}
    with pytest.warns(UnseenCategoryWarning):
        em = evaluate_external(tmp_path / "run", ext, label, out=tmp_path / "ext", **kw)
    assert em["models"]["combined"]["unseen_categories"]["categories"] == {"stage=T4": 3}
    written = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert written["study"]["clinical"]["numeric"] == ["age"]


def test_command_line_declares_numeric_categories(tmp_path, capsys):
    import yaml

    from radiomix.cli.main import main
    from radiomix.learn.config import load_study

    df = table(n=120)
    df.to_csv(tmp_path / "t.csv", index=False)
    ext = external()
    ext.to_csv(tmp_path / "ext.csv", index=False)
    cfg = {k: v for k, v in BASE.items() if k != "compare"}
    cfg["primary"] = "lr_l2_mrmr"
    cfg["models"] = [{"name": "lr_l2_mrmr", "grid": {"select__k": [4], "clf__C": [1.0]}}]
    cfg["data"] = {"exclude": OUTCOMES[1:]}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(cfg))
    run = tmp_path / "run"
    argv = ["train", str(tmp_path / "t.csv"), "--label", "label", "--quiet"]
    argv += ["--config", str(tmp_path / "s.yaml"), "--clinical", "age,stage,grade"]
    argv += ["--clinical-categorical", "grade", "--out", str(run)]
    assert main(argv) == 0
    again = load_study(run / "config.yaml")
    assert again.data.clinical_categorical == ("stage", "grade")
    shap = pd.read_csv(run / "shap.csv")
    assert {"grade=1", "grade=2", "grade=10"} <= set(shap["feature"])
    capsys.readouterr()
    pred = tmp_path / "p.csv"
    argv = ["predict", str(run), "--table", str(tmp_path / "ext.csv"), "--out", str(pred)]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert err.count("radiomix predict: warning: categories not in the training data") == 1
    assert "stage=T4 (3 cases)" in err
    assert (pd.read_csv(pred)["unseen_category"] == "stage=T4").sum() == 3
