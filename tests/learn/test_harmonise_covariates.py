"""ComBat's protected covariates: numeric and categorical (one-hot, reference level dropped),
against neuroCombat, on a table where a covariate is confounded with the site, and wired
through the study (``--harmonise-covariates``), the bundle and the report.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from radiomix.errors import ConfigError, DataError
from radiomix.learn.clinical import UnseenCategoryWarning
from radiomix.learn.harmonise import ComBat, HarmoniseError
from radiomix.learn.study import run_study
from tests.learn.test_harmonise import _neurocombat, _reference_table


def staged_reference(seed: int = 7) -> pd.DataFrame:
    """The neuroCombat reference table (four sites, age, sex) with a text stage of three
    levels that moves every feature."""
    df = _reference_table().drop(columns="sex")
    rng = np.random.default_rng(seed)
    stage = rng.choice(["T1", "T2", "T3"], len(df), p=[0.4, 0.35, 0.25])
    feats = [c for c in df.columns if c.startswith("f")]
    effect = pd.Series(stage).map({"T1": 0.0, "T2": 0.5, "T3": 1.2}).to_numpy()
    df[feats] = df[feats].to_numpy() + effect[:, None] * rng.uniform(0.5, 1.5, len(feats))
    return df.assign(stage=stage)


@pytest.mark.parametrize(
    ("eb", "mean_only"), [(True, False), (False, False), (False, True)], ids=["eb", "ls", "mean"]
)
def test_categorical_covariate_agrees_with_neurocombat(eb, mean_only):
    """A text covariate of three levels one-hot encoded with the first level dropped, beside
    a numeric one, as neuroCombat's categorical_cols / continuous_cols: measured
    3.9e-14 (eb), 2.8e-14 (ls), 1.5e-14 (mean)."""
    df = staged_reference()
    feats = [c for c in df.columns if c.startswith("f")]
    covars = pd.DataFrame({"batch": df["site"], "age": df["age"], "stage": df["stage"]})
    ref = _neurocombat(
        df[feats].to_numpy(),
        covars,
        eb,
        mean_only,
        conv=1e-12,
        continuous_cols=["age"],
        categorical_cols=["stage"],
    )
    model = ComBat(
        batch="site",
        covariates=("age", "stage"),
        categorical_covariates=("stage",),
        empirical_bayes=eb,
        mean_only=mean_only,
        tol=1e-12,
    ).set_output(transform="pandas")
    out = model.fit_transform(df)
    diff = np.abs(out[feats].to_numpy() - ref).max()
    print(f"max |radiomix - neuroCombat| with a categorical covariate: {diff:.2e}")
    assert diff < 1e-10
    assert model.covariate_columns_ == ["age", "stage=T2", "stage=T3"]
    assert model.covariate_levels_ == {"stage": ["T1", "T2", "T3"]}
    # the covariates pass through unchanged, text kept as text
    assert list(out.columns) == [*feats, "age", "stage"]
    assert out["stage"].tolist() == df["stage"].tolist()
    assert out[feats].dtypes.eq(np.float64).all()


def confounded_age(seed: int = 0, n_per_site: int = 60, p: int = 6) -> pd.DataFrame:
    """Three sites whose patients differ in age (means 45, 60, 72 years) and stage mix;
    every feature rises with age (0.05 per year) and with the stage, and carries additive
    and multiplicative site effects."""
    rng = np.random.default_rng(seed)
    site = np.repeat(["A", "B", "C"], n_per_site)
    age = np.concatenate([rng.normal(m, 6.0, n_per_site) for m in (45.0, 60.0, 72.0)])
    late = rng.random(site.size) < np.repeat([0.6, 0.3, 0.1], n_per_site)
    stage = np.where(late, "T3", rng.choice(["T1", "T2"], site.size))
    Y = rng.normal(size=(site.size, p)) + 0.05 * (age[:, None] - 60.0)
    Y += (stage == "T3")[:, None] * 0.8 + (stage == "T2")[:, None] * 0.3
    for s in ("A", "B", "C"):
        rows = site == s
        Y[rows] = Y[rows] * rng.uniform(0.6, 1.6, p) + rng.normal(0.0, 1.5, p)
    df = pd.DataFrame(Y, columns=[f"f{j}" for j in range(p)])
    return df.assign(site=site, age=age, stage=stage)


def _ols(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(X, Y, rcond=None)[0]


def test_protecting_a_covariate_confounded_with_the_site_keeps_its_signal():
    """Location-only ComBat without shrinkage, by hand. With age protected, the harmonised
    features are ``y - (c_site - alpha)`` (c: the site coefficients of the regression on
    [site indicators, age]), so their slope on age is that regression's age coefficient
    exactly. Without it, ComBat removes each site's mean: the slope keeps only the
    within-site part, the coefficient times the within-site share of the age variance
    (0.226 here)."""
    df = confounded_age()
    feats = [c for c in df.columns if c.startswith("f")]
    Y = df[feats].to_numpy()
    site, age = df["site"].to_numpy(), df["age"].to_numpy()
    B = (site[:, None] == np.array(["A", "B", "C"])[None, :]).astype(float)
    beta = _ols(np.column_stack([B, age]), Y)[3]
    within = sum(((age[site == s] - age[site == s].mean()) ** 2).sum() for s in "ABC")
    share = within / ((age - age.mean()) ** 2).sum()
    assert share == pytest.approx(0.226, abs=5e-4)

    def slope(out: pd.DataFrame) -> np.ndarray:
        return _ols(np.column_stack([np.ones(len(df)), age]), out[feats].to_numpy())[1]

    kw = {"batch": "site", "mean_only": True, "empirical_bayes": False}
    data = df.drop(columns="stage")
    kept = ComBat(covariates=("age",), **kw).set_output(transform="pandas").fit_transform(data)
    lost = ComBat(**kw).set_output(transform="pandas").fit_transform(data.drop(columns="age"))
    np.testing.assert_allclose(slope(kept), beta, rtol=1e-10)
    np.testing.assert_allclose(slope(lost), beta * share, rtol=1e-10)
    # the same holds for a categorical covariate beside it: the harmonised features'
    # regression on [1, age, stage=T2, stage=T3] gives the joint coefficients exactly
    design = np.column_stack([B, age, df["stage"] == "T2", df["stage"] == "T3"]).astype(float)
    both = ComBat(covariates=("age", "stage"), categorical_covariates=("stage",), **kw)
    out = both.set_output(transform="pandas").fit_transform(df)
    coef = _ols(np.column_stack([np.ones(len(df)), design[:, 3:]]), out[feats].to_numpy())
    np.testing.assert_allclose(coef[1:], _ols(design, Y)[3:], rtol=1e-9, atol=1e-12)
    # default ComBat (empirical Bayes, location and scale): measured slope / coefficient
    # 0.96-1.05 protected, 0.20-0.29 not
    full = ComBat(batch="site", covariates=("age",)).set_output(transform="pandas")
    ratio = slope(full.fit_transform(data)) / beta
    plain = ComBat(batch="site").set_output(transform="pandas")
    ratio_lost = slope(plain.fit_transform(data.drop(columns="age"))) / beta
    print(f"slope / coefficient: protected {np.round(ratio, 3)}, not {np.round(ratio_lost, 3)}")
    assert np.all(np.abs(ratio - 1.0) < 0.06)
    assert np.all(ratio_lost < 0.35)


def test_covariates_at_transform_missing_values_and_new_categories():
    df = confounded_age(seed=1, n_per_site=30, p=4)
    feats = [c for c in df.columns if c.startswith("f")]
    model = ComBat(
        batch="site",
        covariates=("age", "stage"),
        categorical_covariates=("stage",),
        impute_covariates=True,
        warn_unseen=True,
    ).fit(df)
    assert model.covariate_fill_["age"] == pytest.approx(float(np.median(df["age"])))
    new = df.iloc[:6].copy()
    new.loc[new.index[0], "age"] = np.nan
    new.loc[new.index[1], "stage"] = None
    new.loc[new.index[2], "stage"] = "T4"
    with pytest.warns(UnseenCategoryWarning, match="stage: 'T4'"):
        out = model.transform(new)[feats].to_numpy()  # a DataFrame: stage is text
    assert model.unseen_categories_ == {"stage": ["T4"]}
    # a missing age gets the training median, a missing stage the most frequent one
    filled = new.copy()
    filled.loc[filled.index[0], "age"] = model.covariate_fill_["age"]
    filled.loc[filled.index[1], "stage"] = model.covariate_fill_["stage"]
    ref = model.transform(filled.iloc[:2])[feats].to_numpy()
    np.testing.assert_allclose(out[:2], ref, rtol=1e-12)
    # a new category: its indicator columns get their training means (the training mix)
    row = new.iloc[2]
    c = np.array([row["age"], *model.design_mean_[1:]])
    act = ~np.isnan(model.grand_mean_)
    b = int(np.flatnonzero(model.batches_ == row["site"])[0])
    y = row[feats].to_numpy(dtype=float)
    fit = model.grand_mean_ + c @ model.coef_
    z = (y - fit) / np.sqrt(model.var_pooled_)
    expected = (z - model.gamma_[b]) / np.sqrt(model.delta2_[b]) * np.sqrt(model.var_pooled_) + fit
    np.testing.assert_allclose(out[2][act], expected[act], rtol=1e-12)
    # without imputation a missing covariate is an error that says what to do
    strict = ComBat(batch="site", covariates=("age",)).fit(df.drop(columns="stage"))
    with pytest.raises(HarmoniseError, match=r"missing values: 'age' .*impute_covariates=True"):
        strict.transform(new.drop(columns="stage"))
    with pytest.raises(HarmoniseError, match="non-numeric covariate columns: 'stage'"):
        ComBat(batch="site", covariates=("stage",)).fit(df)
    with pytest.raises(HarmoniseError, match="categorical_covariates 'sex' are not in covariates"):
        ComBat(batch="site", covariates=("age",), categorical_covariates=("sex",)).fit(df)


def test_passthrough_and_dropped_covariates():
    df = confounded_age(seed=2, n_per_site=20, p=3).assign(note=lambda d: d["age"] > 60)
    model = ComBat(
        batch="site",
        covariates=("age", "stage"),
        categorical_covariates=("stage",),
        passthrough=("note",),
        drop_covariates=True,
    ).set_output(transform="pandas")
    out = model.fit_transform(df)
    assert list(out.columns) == ["f0", "f1", "f2", "note"]
    assert model.features_ == ["f0", "f1", "f2"]
    np.testing.assert_array_equal(out["note"], df["note"].astype(float))
    kept = ComBat(batch="site", covariates=("age", "stage"), categorical_covariates=("stage",))
    np.testing.assert_allclose(
        out[["f0", "f1", "f2"]].to_numpy(),
        kept.set_output(transform="pandas").fit_transform(df.drop(columns="note"))[
            ["f0", "f1", "f2"]
        ],
        rtol=1e-12,
    )


# ------------------------------------------------------------------------- the study

FAST: dict[str, Any] = {
    "primary": "lr_l2_mrmr",
    "comparators": [],
    "models": [{"name": "lr_l2_mrmr", "grid": {"select__k": [6], "clf__C": [1.0]}}],
    "validation": {
        "inner_folds": 3,
        "outer_folds": 3,
        "repeats": 2,
        "permutations": 0,
        "bootstrap": 100,
        "n_jobs": 1,
    },
}


def aged_sites(seed: int = 0, n_per_site: int = 70, p: int = 12) -> pd.DataFrame:
    """Older patients are positive more often; the first six features rise with age; the
    sites differ in age (means 48, 60, 70) and carry scanner effects."""
    df = confounded_age(seed=seed, n_per_site=n_per_site, p=p)
    rng = np.random.default_rng(seed + 100)
    df.iloc[:, 6:p] = rng.normal(size=(len(df), p - 6))
    df["label"] = (rng.random(len(df)) < 1 / (1 + np.exp(-(df["age"] - 60) / 6))).astype(int)
    df.insert(0, "case_id", [f"c{i}" for i in range(len(df))])
    return df


def test_study_protects_clinical_covariates_and_keeps_their_signal():
    """Radiomic features only (age and stage reach ComBat, not the model); the label
    follows age, which the sites differ in. Removing each site's mean removes most of the
    age signal of the features; protecting age keeps it. Seed 0: AUC 0.573 without, 0.752
    with the covariates."""
    df = aged_sites()
    without = run_study(
        df, {**FAST, "data": {"label": "label", "harmonise": "site", "exclude": ["age", "stage"]}}
    )
    with_cov = run_study(
        df,
        {
            **FAST,
            "data": {
                "label": "label",
                "harmonise": "site",
                "harmonise_covariates": ["age", "stage"],
            },
        },
    )
    a0, a1 = without.metrics["primary"]["auc"], with_cov.metrics["primary"]["auc"]
    print(f"AUC without covariates {a0:.3f}, with {a1:.3f}")
    assert a1 - a0 > 0.1
    bundle = with_cov.runs["lr_l2_mrmr"].bundle
    combat = bundle.pipeline.steps[0][1]
    assert combat.covariates == ("age", "stage") and combat.categorical_covariates == ("stage",)
    assert combat.impute_covariates and combat.drop_covariates
    assert bundle.features[-3:] == ["site", "age", "stage"]
    assert bundle.column_rules["harmonise_covariates"] == ["age", "stage"]
    harm = with_cov.metrics["study"]["harmonise"]
    assert harm["covariates"] == ["age", "stage"] and harm["categorical_covariates"] == ["stage"]
    # the final ComBat is ComBat fitted by hand on the same cases (text stage: the same
    # harmonised features, whichever level is the reference)
    feats = [f"f{j}" for j in range(12)]
    hand = ComBat(batch="site", covariates=("age", "stage"), categorical_covariates=("stage",))
    expected = hand.set_output(transform="pandas").fit_transform(
        df[[*feats, "site", "age", "stage"]]
    )
    X = bundle.check_features(df)
    got = combat.transform(X)
    np.testing.assert_allclose(got[feats].to_numpy(), expected[feats].to_numpy(), rtol=1e-9)
    assert list(got.columns) == feats
    # a seen site with a stage never met in training: the training mix, warned, recorded
    new = df.iloc[:5].assign(stage=["T4", "T1", "T2", "T3", "T4"])
    with pytest.warns(UnseenCategoryWarning, match=r"stage=T4 \(2 cases\)"):
        pred = bundle.predict_table(new)
    assert pred["unseen_category"].tolist() == ["stage=T4", "", "", "", "stage=T4"]
    assert not pred["new_site"].any()


def test_covariates_beside_the_clinical_columns_in_the_compare_models(tmp_path):
    """Age is a clinical column and a covariate (ComBat keeps it for the encoder), stage a
    covariate only (dropped after ComBat), sex a clinical column only (passed through)."""
    from radiomix.learn.clinical import ClinicalEncoder
    from radiomix.report.html import build_report

    df = aged_sites(seed=1, n_per_site=50)
    df["sex"] = np.random.default_rng(5).choice(["F", "M"], len(df))
    cfg = {
        **FAST,
        "validation": {**FAST["validation"], "repeats": 1},
        "compare": ["clinical", "radiomics", "combined"],
        "data": {
            "label": "label",
            "harmonise": "site",
            "harmonise_covariates": ["age", "stage"],
            "clinical": ["age", "sex"],
        },
    }
    r = run_study(df, cfg, out=tmp_path / "run")
    comb = r.runs["combined"].bundle.pipeline
    combat = comb.named_steps["harmonise"]
    assert combat.passthrough == ("sex",) and not combat.drop_covariates
    ct = comb.named_steps["features"]
    parts = {n: (t, cols) for n, t, cols in ct.transformers_}
    assert isinstance(parts["clinical"][0], ClinicalEncoder)
    assert parts["clinical"][1] == ["age", "sex"] and parts["covariates"] == ("drop", ["stage"])
    assert r.runs["combined"].bundle.features[-4:] == ["site", "stage", "age", "sex"]
    radiomics = r.runs["radiomics"].bundle.pipeline.steps[0][1]
    assert radiomics.covariates == ("age", "stage") and radiomics.drop_covariates
    assert not any(isinstance(s, ComBat) for _, s in r.runs["clinical"].bundle.pipeline.steps)
    names = list(comb[:-1].get_feature_names_out())
    assert "stage" not in names and {"age", "sex=F", "sex=M"} <= set(names)
    text = build_report(tmp_path / "run").read_text()
    assert "ComBat kept the effects of the covariates age, stage (categorical" in text
    assert "covariates age, stage protected" in text  # the checklist


def test_covariates_in_the_task_engine_and_on_the_command_line(tmp_path, capsys):
    import yaml

    from radiomix.cli.main import main
    from radiomix.learn.config import load_study

    df = aged_sites(seed=2, n_per_site=40)
    df["outcome"] = df["age"] / 10 + df["f0"]
    df.drop(columns="label").to_csv(tmp_path / "t.csv", index=False)
    cfg = {k: v for k, v in FAST.items() if k not in ("primary", "models")}
    cfg["validation"] = {**FAST["validation"], "repeats": 1}
    cfg["primary"] = "ridge_mrmr"
    cfg["models"] = [{"name": "ridge_mrmr", "grid": {"select__k": [5], "clf__alpha": [1.0]}}]
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(cfg))
    argv = ["train", str(tmp_path / "t.csv"), "--label", "outcome", "--task", "regression"]
    argv += ["--config", str(tmp_path / "s.yaml"), "--quiet", "--harmonise", "site"]
    argv += ["--harmonise-covariates", "age,stage", "--out", str(tmp_path / "run")]
    assert main(argv) == 0
    again = load_study(tmp_path / "run" / "config.yaml")
    assert again.data.harmonise_covariates == ("age", "stage")
    assert again.data.clinical_categorical == ("stage",)
    import json

    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["study"]["harmonise"]["covariates"] == ["age", "stage"]
    assert m["primary"]["r2"] > 0.5
    from radiomix.report.html import build_report

    text = build_report(tmp_path / "run").read_text()
    assert "ComBat kept the effects of the covariates age, stage" in text


def test_bad_covariate_settings_are_named():
    df = aged_sites(seed=3, n_per_site=20)
    base = {**FAST, "data": {"label": "label"}}
    with pytest.raises(ConfigError, match="harmonise_covariates needs the site column"):
        run_study(df, {**base, "data": {"label": "label", "harmonise_covariates": ["age"]}})
    with pytest.raises(ConfigError, match=r"'label' is the label column .*protect-label"):
        run_study(
            df,
            {
                **base,
                "data": {"label": "label", "harmonise": "site", "harmonise_covariates": ["label"]},
            },
        )
    with pytest.raises(ConfigError, match="'site' is the site column itself"):
        run_study(
            df,
            {
                **base,
                "data": {"label": "label", "harmonise": "site", "harmonise_covariates": ["site"]},
            },
        )
    with pytest.raises(
        ConfigError, match=r"in neither data\.clinical nor data\.harmonise_covariates"
    ):
        run_study(df, {**base, "data": {"label": "label", "clinical_categorical": ["stage"]}})
    with pytest.raises(DataError, match=r"--harmonise-covariates: column\(s\) 'bmi' not in"):
        run_study(
            df,
            {
                **base,
                "data": {"label": "label", "harmonise": "site", "harmonise_covariates": ["bmi"]},
            },
        )
    # a covariate the same as the site (every site one value): named, not a traceback
    df["centre_age"] = df["site"].map({"A": 40.0, "B": 50.0, "C": 60.0})
    with pytest.raises(DataError, match="confounded with the site"):
        run_study(
            df,
            {
                **base,
                "data": {
                    "label": "label",
                    "harmonise": "site",
                    "harmonise_covariates": ["centre_age"],
                },
            },
        )


def test_estimators_pickled_before_covariates_and_names_still_work():
    """A model bundle saved before categorical covariates and category names holds a ComBat
    and a clinical encoder without the new parameters and attributes: they load with the
    old behaviour (numeric covariates, no pass-through; categories named by position)."""
    import pickle

    from radiomix.learn.clinical import ClinicalEncoder

    df = confounded_age(seed=4, n_per_site=20, p=3).drop(columns="stage")
    model = ComBat(batch="site", covariates=("age",)).fit(df)
    expected = model.transform(df)
    for key in ("categorical_covariates", "impute_covariates", "passthrough", "drop_covariates"):
        del model.__dict__[key]
    for key in ("_covariate_specs", "covariate_columns_", "covariate_levels_", "covariate_fill_"):
        del model.__dict__[key]
    old = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(old.transform(df), expected)
    assert old.get_params()["drop_covariates"] is False
    enc = ClinicalEncoder(categorical=("stage",)).fit(pd.DataFrame({"stage": ["a", "b", "a"]}))
    for key in ("category_names", "warn_unseen", "category_labels_", "_known"):
        del enc.__dict__[key]
    old_enc = pickle.loads(pickle.dumps(enc))
    assert list(old_enc.get_feature_names_out()) == ["stage=0", "stage=1"]
    np.testing.assert_array_equal(
        old_enc.transform(pd.DataFrame({"stage": ["b", "c"]})), [[0.0, 1.0], [0.0, 0.0]]
    )


def test_combat_and_the_clinical_encoder_order_levels_alike():
    """Numeric-looking text ("9", "10") is ordered by its number in both ComBat's covariate
    levels (the first is the reference) and the clinical encoder's columns, so the two name
    the same levels the same way; text follows, alphabetically."""
    from radiomix.learn.clinical import ClinicalEncoder

    df = staged_reference().drop(columns="stage")
    grade = np.array(["10", "9", "12"])[np.arange(len(df)) % 3]
    df = df.assign(grade=grade)
    model = ComBat(batch="site", covariates=("grade",), categorical_covariates=("grade",))
    model.fit(df)
    assert model.covariate_levels_ == {"grade": ["9", "10", "12"]}
    assert model.covariate_columns_ == ["grade=10", "grade=12"]
    enc = ClinicalEncoder(categorical=("grade",)).fit(df[["grade"]])
    assert list(enc.get_feature_names_out()) == ["grade=9", "grade=10", "grade=12"]
