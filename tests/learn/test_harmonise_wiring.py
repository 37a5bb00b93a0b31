"""``--harmonise`` and ``--validation leave-one-group-out`` wired into studies and bundles.

A synthetic four-site table with scanner effects (additive and multiplicative, per site and
feature), validated leave-one-site-out: no effects / effects / ComBat inside the folds;
ComBat's fit never sees a test fold (a spy); a bundle predicts a site it never saw.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from radiomix.errors import ConfigError, DataError
from radiomix.learn.harmonise import ComBat, UnseenBatchWarning
from radiomix.learn.study import run_study
from radiomix.learn.validation import nested_cv
from tests.learn.test_harmonise import four_sites

FAST: dict[str, Any] = {
    "primary": "lr_l2_mrmr",
    "comparators": [],
    "models": [{"name": "lr_l2_mrmr", "grid": {"select__k": [8], "clf__C": [1.0]}}],
    "validation": {
        "inner_folds": 3,
        "outer_folds": 3,
        "repeats": 1,
        "permutations": 0,
        "bootstrap": 0,
        "n_jobs": 1,
    },
    "data": {"label": "label"},
}


def site_table(effects: bool = True, seed: int = 0, n_per_site: int = 60) -> pd.DataFrame:
    df, y = four_sites(seed, effects=effects, n_per_site=n_per_site, p=30)
    df = df.copy()
    df["label"] = y
    df.insert(0, "case_id", [f"c{i}" for i in range(len(df))])
    return df


def config(**data: Any) -> dict[str, Any]:
    validation = dict(FAST["validation"])
    if data.pop("logo", False):
        validation["scheme"] = "leave-one-group-out"
    return {**FAST, "validation": validation, "data": {**FAST["data"], **data}}


def test_leave_one_site_out_combat_recovers_the_site_effects():
    """Pooled out-of-site AUC: no effects / effects / ComBat inside the folds (seed 0:
    0.911 / 0.646 / 0.913; docs/learn.md)."""
    clean = run_study(site_table(False), config(group="site", logo=True))
    shifted = run_study(site_table(True), config(group="site", logo=True))
    combat = run_study(site_table(True), config(group="site", harmonise="site", logo=True))
    a0, a1, a2 = (r.metrics["primary"]["auc"] for r in (clean, shifted, combat))
    assert a0 - a1 > 0.15  # the scanner effects cost
    assert (a2 - a1) / (a0 - a1) > 0.8  # ComBat recovers most of it
    m = combat.metrics
    assert m["study"]["validation_scheme"] == "leave-one-group-out"
    assert m["study"]["repeats"] == 1
    assert m["study"]["harmonise"]["sites"] == {"s1": 60, "s2": 60, "s3": 60, "s4": 60}
    per_site = m["primary"]["per_site"]
    assert [r["site"] for r in per_site] == ["s1", "s2", "s3", "s4"]
    assert all(0.7 < r["auc"] <= 1.0 for r in per_site)
    # every held-out site was harmonised from its own features at test time
    unseen = m["primary"]["unseen_sites"]
    assert sorted(u["sites"][0] for u in unseen) == ["s1", "s2", "s3", "s4"]
    pipe = combat.runs["lr_l2_mrmr"].bundle.pipeline
    assert pipe.steps[0][0] == "harmonise" and pipe.steps[1][0] == "impute"


class SpyComBat(ComBat):
    """ComBat that records the rows (as tuples of values) of every fit."""

    fits: ClassVar[list[set[tuple[float, ...]]]] = []

    def fit(self, X: Any, y: Any = None) -> SpyComBat:
        SpyComBat.fits.append({tuple(r) for r in np.asarray(X, dtype=float)})
        return super().fit(X, y)


@pytest.mark.parametrize("scheme", ["kfold", "leave-one-group-out"])
def test_combat_is_fitted_on_training_folds_only(scheme):
    df = site_table(True, n_per_site=30)
    X = df.drop(columns=["case_id", "label"]).assign(
        site=lambda f: f.site.map({"s1": 1.0, "s2": 2.0, "s3": 3.0, "s4": 4.0})
    )
    y = df["label"].to_numpy()

    def build() -> Pipeline:
        return Pipeline(
            [
                ("harmonise", SpyComBat(batch="site", warn_unseen=False)),
                ("scale", StandardScaler()),
                ("clf", LogisticRegression()),
            ]
        )

    SpyComBat.fits.clear()
    cv = nested_cv(
        build,
        {"clf__C": [0.1, 1.0]},
        X,
        y,
        df["site"].to_numpy() if scheme != "kfold" else None,
        outer_folds=3,
        inner_folds=3,
        repeats=2,
        n_jobs=1,
        scheme=scheme,
    )
    rows = [tuple(r) for r in X.to_numpy(dtype=float)]
    tests = [{rows[i] for i in f.test_index} for f in cv.folds]
    assert SpyComBat.fits  # the spy ran
    for seen in SpyComBat.fits:
        # each fit (inner and outer) is inside the training part of some outer fold
        assert any(not (seen & t) for t in tests)
        assert len(seen) < len(rows)


def test_predict_with_an_unseen_site(tmp_path):
    df = site_table(True)
    train = df[df.site != "s4"]
    result = run_study(train, config(harmonise="site"), out=tmp_path / "run")
    bundle = result.runs["lr_l2_mrmr"].bundle
    new = df[df.site.isin(["s1", "s4"])].drop(columns="label")
    with pytest.warns(UnseenBatchWarning, match="s4"):
        pred = bundle.predict_table(new)
    assert pred["new_site"].tolist() == (new.site == "s4").tolist()
    assert np.isfinite(pred["probability"]).all()
    # seen sites only: no warning, no new site
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnseenBatchWarning)
        seen = bundle.predict_table(df[df.site == "s2"])
    assert not seen["new_site"].any()
    # one case of a new site cannot be harmonised: a one-line DataError
    with pytest.raises(DataError, match="at least two"):
        bundle.predict_table(df[df.site == "s4"].head(1))
    # the external evaluation names the new site
    from radiomix.learn.external import evaluate_external

    with pytest.warns(UnseenBatchWarning):
        ext = evaluate_external(
            tmp_path / "run",
            df[df.site == "s4"],
            label="label",
            n_boot=0,
            n_permutations=10,
        )
    h = ext["primary"]["harmonise"]
    assert h["new_sites"] == ["s4"] and h["n_cases_new_site"] == 60
    assert ext["primary"]["auc"] > 0.7


def test_harmonise_in_the_task_engine(tmp_path):
    df = site_table(True, n_per_site=40)
    df["outcome"] = df["f00"].rank().to_numpy() + np.random.default_rng(0).normal(0, 10, len(df))
    cfg = config(label="outcome", harmonise="site")
    cfg["task"] = "regression"
    cfg["primary"] = "ridge_mrmr"
    cfg["models"] = [{"name": "ridge_mrmr", "grid": {"select__k": [5], "clf__alpha": [1.0]}}]
    result = run_study(df.drop(columns="label"), cfg, out=tmp_path / "run")
    pipe = result.runs["ridge_mrmr"].bundle.pipeline
    assert isinstance(pipe.steps[0][1], ComBat)
    assert "site" in result.runs["ridge_mrmr"].bundle.features
    sites = result.metrics["primary"]["per_site"]
    assert [r["site"] for r in sites] == ["s1", "s2", "s3", "s4"] and "r2" in sites[0]
    assert result.metrics["primary"]["unseen_sites"] == []  # k-fold: every site in training
    pred = result.runs["ridge_mrmr"].bundle.predict_table(df.drop(columns="label"))
    assert not pred["new_site"].any()
    # the web app serves two-class models only: one clear line for the others
    from radiomix.app.service import AppService
    from radiomix.errors import ModelBundleError

    with pytest.raises(ModelBundleError, match=r"serves two-class models; .* regression model"):
        AppService(tmp_path / "run", cache=False)


def test_bad_site_columns():
    df = site_table(True, n_per_site=20)
    with pytest.raises(DataError, match="site column 'scanner' is not in the feature table"):
        run_study(df, config(harmonise="scanner"))
    holes = df.copy()
    holes.loc[3, "site"] = None
    with pytest.raises(DataError, match="has 1 missing values"):
        run_study(holes, config(harmonise="site"))
    lone = df.copy()
    lone.loc[0, "site"] = "s9"
    with pytest.raises(DataError, match="merge or drop the site, or use --harmonise-mean-only"):
        run_study(lone, config(harmonise="site"))
    with pytest.raises(ConfigError, match="needs the groups"):
        run_study(df, config(logo=True))


def test_report_of_a_leave_one_site_out_run(tmp_path):
    from radiomix.report.html import build_report

    cfg = config(group="site", harmonise="site", logo=True)
    cfg["validation"]["bootstrap"] = 100
    run_study(site_table(True, n_per_site=40), cfg, out=tmp_path / "run")
    text = build_report(tmp_path / "run").read_text()
    assert "id='sites'" in text and "class='per-site'" in text
    assert "without their labels" in text  # each held-out site harmonised on its own
    assert "leave-one-group-out: each of 4 groups" in text


def test_command_line_leave_one_site_out_then_a_new_site(tmp_path, capsys):
    import yaml

    from radiomix.cli.main import main

    df = site_table(True, n_per_site=40)
    df.to_csv(tmp_path / "all.csv", index=False)
    df[df.site != "s4"].to_csv(tmp_path / "train.csv", index=False)
    df[df.site.isin(["s1", "s4"])].to_csv(tmp_path / "new.csv", index=False)
    cfg = {k: v for k, v in FAST.items() if k != "data"}
    cfg["validation"] = {**FAST["validation"], "bootstrap": 100}
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(cfg))
    common = ["--label", "label", "--config", str(tmp_path / "study.yaml"), "--quiet"]
    logo = ["--group", "site", "--harmonise", "site", "--validation", "leave-one-group-out"]
    assert (
        main(["train", str(tmp_path / "all.csv"), *common, *logo, "--out", str(tmp_path / "r1")])
        == 0
    )
    out = capsys.readouterr().out
    assert "per site: s1 " in out and "s4 " in out
    run = tmp_path / "r2"
    assert (
        main(
            [
                "train",
                str(tmp_path / "train.csv"),
                *common,
                "--harmonise",
                "site",
                "--out",
                str(run),
            ]
        )
        == 0
    )
    pred = tmp_path / "p.csv"
    assert (
        main(["predict", str(run), "--table", str(tmp_path / "new.csv"), "--out", str(pred)]) == 0
    )
    err = capsys.readouterr().err
    assert err.count("radiomix predict: warning: site(s) s4 of column 'site'") == 1
    assert pd.read_csv(pred)["new_site"].sum() == 40


def test_the_written_config_runs_again(tmp_path):
    """config.yaml names the group as given (the site), with the harmonise settings."""
    from radiomix.learn.config import load_study

    cfg = config(group="site", harmonise="site", logo=True, harmonise_mean_only=True)
    r = run_study(site_table(True, n_per_site=30), cfg, out=tmp_path / "run")
    assert r.metrics["study"]["group"] == "site"
    again = load_study(tmp_path / "run" / "config.yaml")
    assert again.data.group == "site" and again.data.harmonise == "site"
    assert again.data.harmonise_mean_only and again.validation.scheme == "leave-one-group-out"
    assert r.runs["lr_l2_mrmr"].bundle.column_rules["group"] == "site"


def test_harmonise_with_several_classes():
    df = site_table(True, n_per_site=45)
    score = df["f00"].to_numpy() + df["f01"].to_numpy()
    cuts = np.quantile(score, [1 / 3, 2 / 3])
    df["grade"] = np.array(["low", "mid", "high"])[np.searchsorted(cuts, score)]
    cfg = config(label="grade", harmonise="site")
    cfg["task"] = "multiclass"
    result = run_study(df.drop(columns="label"), cfg)
    bundle = result.runs["lr_l2_mrmr"].bundle
    assert isinstance(bundle.pipeline.steps[0][1], ComBat)
    assert result.metrics["primary"]["macro_auc"] > 0.6
    assert len(result.metrics["primary"]["per_site"]) == 4
    with pytest.warns(UnseenBatchWarning, match="s9"):
        pred = bundle.predict_table(df.assign(site="s9").drop(columns=["label", "grade"]))
    assert pred["new_site"].all()


def test_protect_label_and_mean_only_reach_combat():
    df = site_table(True, n_per_site=30)
    lone = df.copy()
    lone.loc[0, "site"] = "s9"  # a site of one case: accepted by mean-only ComBat
    cfg = config(harmonise="site", harmonise_protect_label=True, harmonise_mean_only=True)
    r = run_study(lone, cfg)
    combat = r.runs["lr_l2_mrmr"].bundle.pipeline.steps[0][1]
    assert combat.protect_label and combat.mean_only
    assert r.metrics["study"]["harmonise"]["protect_label"] is True
    assert r.metrics["study"]["harmonise"]["sites"]["s9"] == 1
