"""``--validation leave-one-group-out`` for multiclass, regression and survival studies.

Synthetic four-site tables: a regression whose fourth site has another outcome relation
(it scores worst on that site), pure noise (R² at most 0, C about one half), survival with a
per-site Harrell's C, a site without events or without a class (a note, not a crash), site
scanner effects removed by ComBat fitted on the training sites only, and the checks that
stop a design which cannot run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from radiomix.errors import DataError
from radiomix.learn.study import run_study
from radiomix.learn.synthetic import make_multiclass_table

SITES = ["s1", "s2", "s3", "s4"]

LOGO: dict[str, Any] = {
    "scheme": "leave-one-group-out",
    "inner_folds": 3,
    "outer_folds": 3,
    "repeats": 1,
    "permutations": 0,
    "bootstrap": 200,
    "n_jobs": 1,
}

RIDGE: dict[str, Any] = {
    "task": "regression",
    "primary": "ridge_mrmr",
    "comparators": [],
    "models": [{"name": "ridge_mrmr", "grid": {"select__k": [5], "clf__alpha": [1.0, 10.0]}}],
    "validation": LOGO,
    "data": {"label": "outcome", "group": "site"},
}

COXNET: dict[str, Any] = {
    "task": "survival",
    "primary": "coxnet",
    "comparators": [],
    "models": [
        {
            "name": "coxnet",
            "grid": {"select__k": [5], "clf__alpha_ratio": [0.1], "clf__l1_ratio": [0.9]},
        }
    ],
    "validation": LOGO,
    "data": {"time": "time", "event": "event", "group": "site"},
}


def regression_sites(
    seed: int = 0,
    n_per_site: int = 50,
    p: int = 20,
    *,
    noise: bool = False,
    shifted: str | None = "s4",
    effects: bool = False,
) -> pd.DataFrame:
    """Outcome = 10 + 3 (f00 + f01 + f02 + 0.5 e) at every site but ``shifted``, where it is
    10 + 3 (-f00 + f01 + 0.5 e); ``noise``: the outcome ignores the features. ``effects``:
    each site shifts every feature by N(0, 2) and scales it by U(0.4, 2.5) (a scanner)."""
    rng = np.random.default_rng(seed)
    frames = []
    for s in SITES:
        X = rng.normal(size=(n_per_site, p))
        beta = np.zeros(p)
        beta[:3] = [-1.0, 1.0, 0.0] if s == shifted else [1.0, 1.0, 1.0]
        y = rng.normal(size=n_per_site) if noise else X @ beta + 0.5 * rng.normal(size=n_per_site)
        if effects:
            X = X * rng.uniform(0.4, 2.5, p) + rng.normal(0.0, 2.0, p)
        df = pd.DataFrame(X, columns=[f"f{j:02d}" for j in range(p)])
        df.insert(0, "site", s)
        df["outcome"] = 10.0 + 3.0 * y
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "case_id", [f"c{i}" for i in range(len(out))])
    return out


def survival_sites(seed: int = 3, effect: float = 1.0, n_per_site: int = 60) -> pd.DataFrame:
    from radiomix.learn.survival import make_survival_table

    df = make_survival_table(
        4 * n_per_site, 20, 2 if effect else 0, effect=effect, random_state=seed
    )
    df.insert(1, "site", np.repeat(SITES, n_per_site))
    return df


def by_group(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return {r["group"]: r[key] for r in rows}


# ------------------------------------------------------------------ regression


def test_regression_scores_worst_on_the_site_with_another_relation(tmp_path):
    """Seed 0, 4 x 50 cases: R² per site 0.896 / 0.789 / 0.759 / -0.464 (s4 shifted),
    pooled 0.597."""
    result = run_study(regression_sites(), RIDGE, out=tmp_path / "run")
    m = result.metrics
    pm = m["primary"]
    assert m["study"]["validation_scheme"] == "leave-one-group-out"
    assert m["study"]["repeats"] == 1 and m["study"]["n_groups"] == 4
    r2 = by_group(pm["per_group"], "r2")
    assert list(r2) == SITES
    assert r2["s4"] == pytest.approx(-0.464, abs=0.01)
    assert min(r2["s1"], r2["s2"], r2["s3"]) > 0.7
    assert pm["r2"] == pytest.approx(0.597, abs=0.01)
    assert pm["r2_ci"][0] < pm["r2"] < pm["r2_ci"][1]
    assert all(r["note"] is None and r["n_cases"] == 50 for r in pm["per_group"])
    # the folds are the sites, each predicted by a model that never saw it
    folds = pd.read_csv(tmp_path / "run" / "folds.csv")
    assert list(folds["test_group"]) == SITES
    assert (folds["n_test"] == 50).all() and (folds["n_train"] == 150).all()
    np.testing.assert_allclose(folds["test_r2"], [r2[s] for s in SITES])
    pred = pd.read_csv(tmp_path / "run" / "predictions.csv")
    assert len(pred) == 200 and (pred["repeat"] == 0).all()


def test_regression_on_noise_has_no_skill_on_any_site():
    """Seed 0: pooled R² -0.093; per site -0.108 / -0.026 / -0.001 / -0.264."""
    pm = run_study(regression_sites(noise=True), RIDGE).metrics["primary"]
    assert pm["r2"] <= 0
    assert all(v <= 0.02 for v in by_group(pm["per_group"], "r2").values())


def test_regression_combat_inside_the_training_sites():
    """Scanner effects per site: leave-one-site-out R² 0.120 without ComBat (s3 -1.54) /
    0.862 with ComBat fitted on the three training sites (seed 1; same relation
    everywhere)."""
    df = regression_sites(1, shifted=None, effects=True)
    raw = run_study(df, RIDGE).metrics["primary"]
    cfg = {**RIDGE, "data": {**RIDGE["data"], "harmonise": "site"}}
    result = run_study(df, cfg)
    harm = result.metrics["primary"]
    assert raw["r2"] == pytest.approx(0.120, abs=0.01)
    assert harm["r2"] == pytest.approx(0.862, abs=0.01)
    assert min(by_group(harm["per_group"], "r2").values()) > 0.6
    # every held-out site was harmonised on its own (never in a training fold)
    assert [u["sites"] for u in harm["unseen_sites"]] == [[s] for s in SITES]


def test_the_site_as_group_is_named_as_given(tmp_path):
    """The site as the group: metrics.json, the bundle and config.yaml name the column as
    given ('site'), never its internal copy."""
    import json

    cfg = {**RIDGE, "data": {**RIDGE["data"], "harmonise": "site"}}
    result = run_study(regression_sites(1, shifted=None, effects=True), cfg, out=tmp_path / "r")
    written = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert written["study"]["group"] == result.metrics["study"]["group"] == "site"
    assert result.runs["ridge_mrmr"].bundle.column_rules["group"] == "site"
    assert "group: site\n" in (tmp_path / "r" / "config.yaml").read_text()


def test_regression_permutation_check_under_leave_one_group_out():
    cfg = {**RIDGE, "validation": {**LOGO, "permutations": 3}}
    m = run_study(regression_sites(), cfg).metrics
    perm = m["permutation"]
    assert perm["n_permutations"] == 3 and perm["r2_max"] < 0.05
    assert perm["p_value"] == pytest.approx(0.25)


# ------------------------------------------------------------------ survival


def test_survival_leave_one_site_out_reports_each_site():
    """Seed 3, 4 x 60 cases, two informative features: pooled C 0.772, per site
    0.790 / 0.703 / 0.781 / 0.791."""
    pm = run_study(survival_sites(), COXNET).metrics["primary"]
    c = by_group(pm["per_group"], "harrell_c")
    assert list(c) == SITES
    assert all(v > 0.65 for v in c.values())
    assert pm["harrell_c"] == pytest.approx(0.772, abs=0.01)
    assert pm["harrell_c_ci"][0] > 0.7
    assert sum(r["n_events"] for r in pm["per_group"]) == pm["n_events"]


def test_survival_leave_one_site_out_on_noise_gives_one_half():
    """Seed 3, no informative feature: pooled C 0.490, per site 0.43 to 0.54."""
    pm = run_study(survival_sites(effect=0.0), COXNET).metrics["primary"]
    assert abs(pm["harrell_c"] - 0.5) < 0.05
    assert all(abs(v - 0.5) < 0.1 for v in by_group(pm["per_group"], "harrell_c").values())


def test_a_site_without_events_gets_a_note():
    df = survival_sites()
    df.loc[df["site"] == "s2", "event"] = 0
    pm = run_study(df, COXNET).metrics["primary"]
    rows = {r["group"]: r for r in pm["per_group"]}
    assert rows["s2"]["harrell_c"] is None and rows["s2"]["n_events"] == 0
    assert rows["s2"]["note"] == "no event: no C-index"
    assert all(rows[s]["harrell_c"] > 0.65 for s in ("s1", "s3", "s4"))


def test_events_in_one_training_site_only_stop_the_run():
    df = survival_sites()
    df.loc[df["site"].isin(["s2", "s3"]), "event"] = 0
    with pytest.raises(DataError, match=r"leaving out group 's1' leaves events of 'event' in "):
        run_study(df, COXNET)


# ------------------------------------------------------------------ several classes


def multiclass_sites() -> pd.DataFrame:
    df = make_multiclass_table(240, 20, 3, 4, effect=1.5, random_state=0).table.copy()
    df.insert(0, "site", np.repeat(SITES, 60))
    return df


MULTI: dict[str, Any] = {
    "task": "multiclass",
    "primary": "lr_l2_mrmr",
    "comparators": [],
    "validation": LOGO,
    "data": {"label": "grade", "group": "site"},
}


def test_multiclass_site_without_a_class_gets_a_note(tmp_path):
    """Site s4 without grade g3: macro AUC over g1 and g2 there, with a note."""
    df = multiclass_sites()
    df = df[~((df["site"] == "s4") & (df["grade"] == "g3"))].reset_index(drop=True)
    pm = run_study(df, MULTI, out=tmp_path / "run").metrics["primary"]
    rows = {r["group"]: r for r in pm["per_group"]}
    assert rows["s4"]["class_counts"]["g3"] == 0
    assert rows["s4"]["note"] == "no case of 'g3': macro AUC over the 2 classes present"
    assert all(r["macro_auc"] > 0.85 for r in rows.values())
    assert all(rows[s]["note"] is None for s in ("s1", "s2", "s3"))
    assert pm["macro_auc"] > 0.9


def test_multiclass_on_noise_gives_about_one_half():
    """Seed 0, no informative feature: pooled macro AUC 0.479, per site 0.505 / 0.469 /
    0.439 / 0.557 (seeds 1, 2: 0.444, 0.463; pooled out-of-fold AUCs of noise fall a little
    below one half)."""
    df = make_multiclass_table(240, 20, 3, 0, random_state=0).table.copy()
    df.insert(0, "site", np.repeat(SITES, 60))
    pm = run_study(df, MULTI).metrics["primary"]
    assert pm["macro_auc"] == pytest.approx(0.479, abs=0.005)
    assert all(abs(v - 0.5) < 0.07 for v in by_group(pm["per_group"], "macro_auc").values())


def test_multiclass_class_in_too_few_sites_stops_the_run():
    df = multiclass_sites()
    df = df[~((df["site"] != "s1") & (df["grade"] == "g3"))].reset_index(drop=True)
    with pytest.raises(
        DataError, match=r"leaving out group 's1' leaves class 'g3' in fewer than 2 groups"
    ):
        run_study(df, MULTI)


def test_too_few_groups():
    df = regression_sites()
    df["site"] = np.where(df["site"].isin(["s1", "s2"]), "a", "b")
    with pytest.raises(DataError, match="needs at least 3 groups, the group column has 2"):
        run_study(df, RIDGE)


# ------------------------------------------------------------------ report, command line


def test_report_and_command_line(tmp_path, capsys):
    import yaml

    from radiomix.cli.main import main
    from radiomix.report.html import build_report

    df = regression_sites()
    df.to_csv(tmp_path / "t.csv", index=False)
    cfg = {k: v for k, v in RIDGE.items() if k not in ("data", "validation")}
    cfg["validation"] = {k: v for k, v in LOGO.items() if k != "scheme"}
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(cfg))
    argv = ["train", str(tmp_path / "t.csv"), "--label", "outcome", "--group", "site"]
    argv += ["--validation", "leave-one-group-out", "--config", str(tmp_path / "study.yaml")]
    assert main([*argv, "--quiet", "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "per group: s1 0.896 (50), s2 0.789 (50), s3 0.759 (50), s4 -0.464 (50)" in out
    text = build_report(tmp_path / "run").read_text()
    assert "id='groups'" in text and "class='per-group'" in text
    assert "leave-one-group-out: each of 4 groups of site" in text
    assert "from -0.464 (s4) to 0.896 (s1)" in text
    from tests.report.test_checklist import check_report

    rows, _ = check_report(tmp_path / "run" / "report.html")
    assert rows["TRIPOD-AI-23b"] == ("answered", "groups")  # per held-out group
    assert rows["TRIPOD-AI-12d"] == ("answered", "groups")


def test_report_of_a_harmonised_k_fold_task_run_shows_each_site(tmp_path):
    from radiomix.report.html import build_report
    from tests.report.test_checklist import check_report

    cfg = {
        **RIDGE,
        "validation": {**LOGO, "scheme": "kfold"},
        "data": {"label": "outcome", "harmonise": "site"},
    }
    run_study(regression_sites(1, shifted=None, effects=True), cfg, out=tmp_path / "run")
    text = build_report(tmp_path / "run").read_text()
    assert "id='sites'" in text and "class='per-site'" in text and "id='groups'" not in text
    rows, _ = check_report(tmp_path / "run" / "report.html")
    assert rows["TRIPOD-AI-23b"] == ("answered", "sites")
