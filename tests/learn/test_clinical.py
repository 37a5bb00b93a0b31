"""Clinical columns beside the image, and ``--compare clinical,radiomics,combined``.

The clinical columns are encoded inside the folds (one-hot, imputation, scaling) and never
pass through the radiomic selection; the three compare models share their outer splits; the
added value of the image is tested with DeLong (checked by hand and against a paired
bootstrap) and the continuous NRI (by hand).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from radiomix.errors import DataError
from radiomix.learn.clinical import ClinicalEncoder, UnseenCategoryWarning, coded_columns
from radiomix.learn.compare import continuous_nri
from radiomix.learn.metrics import delong_ci, delong_test, roc_auc
from radiomix.learn.study import run_study
from radiomix.learn.table import category_codes

COMPARE: dict[str, Any] = {
    "primary": "lr_l2_mrmr",
    "comparators": [],
    "models": [{"name": "lr_l2_mrmr", "grid": {"select__k": [5], "clf__C": [0.1, 1.0]}}],
    "validation": {
        "outer_folds": 5,
        "inner_folds": 3,
        "repeats": 2,
        "permutations": 0,
        "bootstrap": 200,
        "n_jobs": 1,
    },
    "data": {"label": "label", "clinical": ["age", "stage"]},
    "compare": ["clinical", "radiomics", "combined"],
}


def clinical_table(seed: int = 0, n: int = 240, p: int = 20) -> pd.DataFrame:
    """Age and a text stage carry most of the signal, two radiomic features a weaker one;
    some ages are missing."""
    rng = np.random.default_rng(seed)
    age = rng.normal(60, 10, n)
    stage = rng.choice(["I", "II", "III"], n)
    rad = rng.normal(size=(n, p))
    stage_effect = pd.Series(stage).map({"I": -1.0, "II": 0.0, "III": 1.0}).to_numpy()
    logit = 1.2 * (age - 60) / 10 + 1.2 * stage_effect + 0.6 * rad[:, 0] + 0.6 * rad[:, 1]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    df = pd.DataFrame(rad, columns=[f"original_firstorder_f{i:02d}" for i in range(p)])
    df.insert(0, "case_id", [f"c{i}" for i in range(n)])
    df["age"] = age
    df.loc[rng.choice(n, 10, replace=False), "age"] = np.nan
    df["stage"] = stage
    df["label"] = y
    return df


# ------------------------------------------------------------------------ the encoder


def test_clinical_encoder_imputes_scales_and_one_hot_encodes():
    X = pd.DataFrame(
        {
            "age": [50.0, 60.0, np.nan, 70.0, 60.0, 40.0],
            "stage": ["II", "I", "III", "II", None, "IV"],
        }
    )
    enc = ClinicalEncoder(categorical=("stage",)).fit(X.iloc[:5])
    with pytest.warns(UnseenCategoryWarning, match="stage: IV"):
        out = enc.transform(X)
    assert enc.unseen_ == {"stage": ["IV"]}
    assert list(enc.get_feature_names_out()) == ["age", "stage=I", "stage=II", "stage=III"]
    # age: median 60 imputed, then standardised with the training mean / SD
    filled = np.array([50.0, 60.0, 60.0, 70.0, 60.0])
    assert out[2, 0] == pytest.approx((60.0 - filled.mean()) / filled.std())
    # the missing stage gets the most frequent training stage (II); IV (unseen) zeros
    np.testing.assert_array_equal(
        out[:, 1:], [[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 0], [0, 0, 0]]
    )
    assert enc.modes_["stage"] == category_codes(["II"])[0]


def test_clinical_encoder_names_codes_by_their_text_and_orders_numbers_by_value():
    """The study passes codes (a hash of the text) with the texts; numbers declared
    categorical sort by value (2 before 10), text alphabetically; a code without a text
    is named by its number."""
    grade = pd.Series([1, 10, 2, 2, 10, 1, 2], dtype=float)
    stage = pd.Series(["T2", "T1", "T3", "T1", "T2", "T2", "T1"])
    coded = pd.DataFrame({"grade": grade, "stage": category_codes(stage)})
    names = {"stage": ["T1", "T2", "T3", "T4"], "grade": ["1", "2", "10"]}
    enc = ClinicalEncoder(categorical=("stage", "grade"), category_names=names)
    enc.set_params(warn_unseen=False).fit(coded.assign(grade=category_codes(grade)))
    assert list(enc.get_feature_names_out()) == [
        "grade=1",
        "grade=2",
        "grade=10",
        "stage=T1",
        "stage=T2",
        "stage=T3",
    ]
    # ties (T1 and T2 three times each): the first in order is the mode
    assert enc.modes_["stage"] == category_codes(["T1"])[0]
    # the same names from the text itself, and numbers taken as they are
    direct = ClinicalEncoder(categorical=("stage", "grade")).fit(
        pd.DataFrame({"grade": grade, "stage": stage})
    )
    assert list(direct.get_feature_names_out()) == list(enc.get_feature_names_out())
    unnamed = ClinicalEncoder(categorical=("stage",)).fit(coded[["stage"]])
    code = int(category_codes(["T1"])[0])
    assert f"stage={code}" in list(unnamed.get_feature_names_out())


def test_category_codes_are_stable_and_read_numbers_as_text():
    a = category_codes(["site A", 2, 2.0, "2", True])
    assert a[1] == a[2] == a[3]
    assert a[0] != a[1]
    assert (a == np.floor(a)).all() and (a < 2**48).all()


# ------------------------------------------------------------------ DeLong and the NRI


def test_delong_on_a_hand_case():
    """Two scores on 3 positives and 3 negatives, every number by hand.

    Score A ranks positives (0.9, 0.8, 0.4) against negatives (0.5, 0.3, 0.1): 8 of the 9
    pairs right, AUC 8/9. Score B: positives (0.7, 0.6, 0.2), negatives (0.8, 0.3, 0.1): 5 of
    9, AUC 5/9. Structural components (DeLong 1988): for A, V10 = (1, 1, 2/3), V01 =
    (2/3, 1, 1); for B, V10 = (2/3, 2/3, 1/3), V01 = (0, 2/3, 1). S10 and S01 are the
    covariance matrices (ddof 1) of the components; var(A - B) = (S10_AA + S10_BB -
    2 S10_AB) / 3 + (S01_AA + S01_BB - 2 S01_AB) / 3.
    """
    y = np.array([1, 1, 1, 0, 0, 0])
    a = np.array([0.9, 0.8, 0.4, 0.5, 0.3, 0.1])
    b = np.array([0.7, 0.6, 0.2, 0.8, 0.3, 0.1])
    v10 = np.array([[1, 1, 2 / 3], [2 / 3, 2 / 3, 1 / 3]])
    v01 = np.array([[2 / 3, 1, 1], [0, 2 / 3, 1]])
    s10, s01 = np.cov(v10), np.cov(v01)
    var = (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / 3 + (s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]) / 3
    t = delong_test(y, a, b)
    assert t.auc1 == pytest.approx(8 / 9) and t.auc2 == pytest.approx(5 / 9)
    assert t.delta == pytest.approx(1 / 3)
    assert t.se == pytest.approx(np.sqrt(var))
    assert t.z == pytest.approx((1 / 3) / np.sqrt(var))


def test_delong_on_hanley_and_mcneil_published_ratings():
    """Hanley & McNeil, Radiology 143 (1982) 29, Table 1: 109 CT images rated 1-5 by a
    radiologist (58 normal, 51 abnormal); published AUC 0.893, SE 0.032 (their
    exponential approximation). DeLong's SE on the same ratings: 0.0307."""
    neg = np.repeat([1, 2, 3, 4, 5], [33, 6, 6, 11, 2])
    pos = np.repeat([1, 2, 3, 4, 5], [3, 2, 2, 11, 33])
    y = np.r_[np.zeros(58), np.ones(51)].astype(int)
    auc, lo, hi, se = delong_ci(y, np.r_[neg, pos].astype(float))
    assert round(auc, 3) == 0.893
    assert se == pytest.approx(0.032, rel=0.1)
    assert se == pytest.approx(0.0307, abs=5e-4)
    assert lo < auc < hi


def test_delong_standard_error_matches_a_paired_bootstrap():
    """On 300 cases the DeLong SE of an AUC difference is within 10 % of the SD of 4,000
    paired bootstrap differences (stratified); measured 0.0334 vs 0.0341."""
    rng = np.random.default_rng(1)
    y = (rng.random(300) < 0.4).astype(int)
    common = rng.normal(size=300)
    a = 1.0 * y + common + rng.normal(size=300)
    b = 0.6 * y + common + rng.normal(size=300)
    t = delong_test(y, a, b)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    diffs = []
    for _ in range(4000):
        idx = np.concatenate([rng.choice(pos, pos.size), rng.choice(neg, neg.size)])
        diffs.append(roc_auc(y[idx], a[idx]) - roc_auc(y[idx], b[idx]))
    assert t.se == pytest.approx(np.std(diffs, ddof=1), rel=0.10)
    assert t.delta == pytest.approx(roc_auc(y, a) - roc_auc(y, b))


def test_continuous_nri_by_hand():
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    old = np.full(8, 0.5)
    new = np.array([0.6, 0.7, 0.4, 0.5, 0.4, 0.3, 0.6, 0.5])
    nri, ev, ne = continuous_nri(y, new, old)
    # events: 2 up, 1 down, 1 tie -> 1/4; non-events: 2 down, 1 up -> 1/4
    assert ev == pytest.approx(0.25) and ne == pytest.approx(0.25) and nri == pytest.approx(0.5)
    assert continuous_nri(y, old, old) == (0.0, 0.0, 0.0)


# -------------------------------------------------------------------- the comparison


@pytest.fixture(scope="module")
def compare_run():
    return run_study(clinical_table(), COMPARE)


def test_compare_clinical_radiomics_combined(compare_run):
    """Clinical signal table (seed 0): clinical 0.813, radiomics 0.655, combined 0.846."""
    r = compare_run
    m = r.metrics
    auc = {k: v["auc"] for k, v in m["models"].items()}
    assert set(auc) == {"clinical", "radiomics", "combined"}
    assert auc["clinical"] >= auc["radiomics"]
    assert auc["combined"] >= auc["clinical"]
    assert m["primary"]["model"] == "combined"
    # the same outer splits for the three models
    folds = [r.runs[k].cv.fold for k in ("clinical", "radiomics", "combined")]
    assert (folds[0] == folds[1]).all() and (folds[0] == folds[2]).all()
    c = m["compare"]["combined_vs_clinical"]
    assert c["delta_auc"] == pytest.approx(auc["combined"] - auc["clinical"], abs=0.02)
    assert 0.0 <= c["delong_p"] <= 1.0 and c["nri"] > 0
    assert c["nri_ci"][0] <= c["nri"] <= c["nri_ci"][1]
    assert m["compare"]["radiomics_vs_clinical"]["delta_auc"] < 0
    assert m["study"]["clinical"] == {
        "columns": ["age", "stage"],
        "categorical": ["stage"],
        "numeric": ["age"],
    }


def test_clinical_columns_are_always_kept(compare_run):
    """The clinical columns skip the radiomic selection: every outer fit uses them."""
    comb = compare_run.runs["combined"]
    for f in comb.cv.folds:
        assert "age" in f.selected
        assert sum(s.startswith("stage=") for s in f.selected) == 3
        assert sum(s.startswith("original_") for s in f.selected) == 5  # mRMR k = 5
    clin = compare_run.runs["clinical"]
    assert clin.bundle.features == ["age", "stage"]
    assert not any(c in compare_run.runs["radiomics"].bundle.features for c in ("age", "stage"))
    assert coded_columns(comb.bundle.pipeline) == ["stage"]


def test_predict_with_clinical_columns(compare_run):
    """A stage never seen in training (IV) is encoded as zeros in every stage column, with
    a warning and the ``unseen_category`` column; the prediction is the model's on those
    zeros."""
    bundle = compare_run.runs["combined"].bundle
    new = clinical_table(seed=5, n=20).drop(columns="label")
    new.loc[0, "stage"] = "IV"
    new.loc[1, "age"] = np.nan
    with pytest.warns(UnseenCategoryWarning, match=r"'combined': stage=IV \(1 case\)"):
        pred = bundle.predict_table(new)
    assert np.isfinite(pred["probability"]).all()
    assert pred["unseen_category"].tolist() == ["stage=IV"] + [""] * 19
    # by hand: the encoded inputs of the row with stage II, its stage columns set to 0
    pipe = bundle.pipeline
    X = bundle.check_features(new.assign(stage=new["stage"].replace("IV", "II")))
    Z = pipe[:-1].transform(X.iloc[:1])
    names = list(pipe[:-1].get_feature_names_out())
    assert [n for n in names if n.startswith("stage=")] == ["stage=I", "stage=II", "stage=III"]
    Z[:, [names.index(n) for n in names if n.startswith("stage=")]] = 0.0
    assert pred["probability"].iloc[0] == pytest.approx(pipe[-1].predict_proba(Z)[0, 1], abs=1e-12)
    radiomics = compare_run.runs["radiomics"].bundle
    assert np.isfinite(radiomics.predict_table(new)["probability"]).all()  # age: not extra
    assert "unseen_category" not in radiomics.predict_table(new).columns
    # the clinical model takes a table with the radiomic features (not extra columns)
    clinical = compare_run.runs["clinical"].bundle
    with pytest.warns(UnseenCategoryWarning, match="stage=IV"):
        clin = clinical.predict_table(new)
    assert clin["unseen_category"].iloc[0] == "stage=IV"
    with pytest.raises(DataError, match="stage"):
        bundle.predict_table(new.drop(columns="stage"))


def test_clinical_beside_every_model_and_in_the_task_engine():
    df = clinical_table(n=150)
    cfg = {**COMPARE, "compare": [], "validation": {**COMPARE["validation"], "repeats": 1}}
    r = run_study(df, cfg)
    assert list(r.runs) == ["lr_l2_mrmr"]
    assert r.runs["lr_l2_mrmr"].bundle.features[-2:] == ["age", "stage"]
    # regression with compare: the task study's corrected resampled t-test
    reg = df.assign(outcome=df["age"].fillna(60) + 5 * df["original_firstorder_f00"])
    reg_cfg = {
        **cfg,
        "task": "regression",
        "primary": "ridge_mrmr",
        "models": [{"name": "ridge_mrmr", "grid": {"select__k": [5], "clf__alpha": [1.0]}}],
        "data": {"label": "outcome", "clinical": ["age", "stage"]},
        "compare": ["clinical", "radiomics", "combined"],
    }
    rr = run_study(reg.drop(columns="label"), reg_cfg)
    assert set(rr.metrics["comparison"]) == {"radiomics", "clinical"}
    assert "corrected_t_p" in rr.metrics["comparison"]["clinical"]
    assert rr.metrics["models"]["combined"]["r2"] > rr.metrics["models"]["clinical"]["r2"]


def test_report_of_a_compare_run(tmp_path):
    from radiomix.report.html import build_report

    cfg = {**COMPARE, "validation": {**COMPARE["validation"], "repeats": 1}}
    run_study(clinical_table(n=150), cfg, out=tmp_path / "run")
    text = build_report(tmp_path / "run").read_text()
    assert "Added value of the image" in text and "id='added-value'" in text
    assert "combined vs clinical" in text


def test_clinical_with_harmonised_sites_and_a_new_site():
    """--clinical with --harmonise: ComBat first in the radiomic branch only (the clinical
    columns are not harmonised); a new site at prediction is harmonised on its own."""
    from radiomix.learn.harmonise import ComBat, UnseenBatchWarning
    from tests.learn.test_harmonise_wiring import site_table

    df = site_table(True, n_per_site=40)
    rng = np.random.default_rng(3)
    df["age"] = rng.normal(60, 10, len(df)) + 8 * df["label"]
    df["stage"] = rng.choice(["I", "II"], len(df))
    cfg = {
        **COMPARE,
        "models": [{"name": "lr_l2_mrmr", "grid": {"select__k": [8], "clf__C": [1.0]}}],
        "validation": {**COMPARE["validation"], "repeats": 1, "outer_folds": 3},
        "data": {"label": "label", "clinical": ["age", "stage"], "harmonise": "site"},
    }
    train = df[df.site != "s4"]
    r = run_study(train, cfg)
    comb = r.runs["combined"].bundle
    combat = comb.pipeline.named_steps["harmonise"]
    assert isinstance(combat, ComBat) and comb.pipeline.steps[0][0] == "harmonise"
    # ComBat first: the clinical columns pass through it unchanged to their encoder
    assert combat.passthrough == ("age", "stage") and combat.covariates == ()
    assert combat.features_ == [f"f{j:02d}" for j in range(30)]
    ct = comb.pipeline.named_steps["features"]
    assert [n for n, _, _ in ct.transformers_][:1] == ["clinical"]
    assert comb.features[-3:] == ["site", "age", "stage"]
    assert "site" not in r.runs["clinical"].bundle.features
    assert isinstance(r.runs["radiomics"].bundle.pipeline.steps[0][1], ComBat)
    auc = {k: v["auc"] for k, v in r.metrics["models"].items()}
    assert auc["combined"] > auc["clinical"] and auc["combined"] > auc["radiomics"]
    with pytest.warns(UnseenBatchWarning, match="s4"):
        pred = comb.predict_table(df[df.site == "s4"].drop(columns="label"))
    assert pred["new_site"].all() and np.isfinite(pred["probability"]).all()


def test_command_line_compare(tmp_path, capsys):
    import yaml

    from radiomix.cli.main import main
    from radiomix.learn.config import load_study

    clinical_table(n=150).to_csv(tmp_path / "t.csv", index=False)
    cfg = {k: v for k, v in COMPARE.items() if k not in ("data", "compare")}
    cfg["validation"] = {**COMPARE["validation"], "repeats": 1}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(cfg))
    argv = ["train", str(tmp_path / "t.csv"), "--label", "label", "--quiet"]
    argv += ["--config", str(tmp_path / "s.yaml"), "--clinical", "age,stage"]
    argv += ["--compare", "clinical,radiomics,combined", "--out", str(tmp_path / "run")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "combined vs clinical: AUC" in out and "NRI" in out
    again = load_study(tmp_path / "run" / "config.yaml")
    assert again.compare == ("clinical", "radiomics", "combined")
    assert again.primary == "combined" and again.compare_model == "lr_l2_mrmr"
    assert again.data.clinical_categorical == ("stage",)
