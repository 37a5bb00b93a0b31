"""ComBat harmonisation (radiomix.learn.harmonise): numbers, behaviour, and the leak."""

from __future__ import annotations

import contextlib
import functools
import io
import pickle
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_checks

from radiomix.learn.harmonise import ComBat, UnseenBatchWarning

SITES = ("s1", "s2", "s3", "s4")


# ----------------------------------------------------------------------- synthetic tables


def four_sites(
    seed: int = 0,
    n_per_site: int = 80,
    p: int = 40,
    n_signal: int = 8,
    signal: float = 0.7,
    shift: float = 2.0,
    scale: tuple[float, float] = (0.4, 2.5),
    effects: bool = True,
    prevalence: tuple[float, ...] = (0.5, 0.5, 0.5, 0.5),
) -> tuple[pd.DataFrame, np.ndarray]:
    """Four sites, labels positive with probability ``prevalence`` (per site); the first ``n_signal`` features move
    with the label by ``signal`` SDs; each site shifts every feature by N(0, ``shift``) SDs
    and multiplies its deviations by U(``scale``) (additive + multiplicative scanner
    effects). ``effects=False`` gives the same cases without the site effects."""
    rng = np.random.default_rng(seed)
    site = np.repeat(SITES, n_per_site)
    n = site.size
    y = (rng.random(n) < np.repeat(prevalence, n_per_site)).astype(int)
    base = rng.normal(size=(n, p))
    base[:, :n_signal] += signal * y[:, None]
    centre = rng.normal(0.0, 3.0, p)
    spread = rng.uniform(0.5, 2.0, p)
    X = base.copy()
    if effects:
        for s in SITES:
            rows = site == s
            mult = rng.uniform(*scale, p)
            add = rng.normal(0.0, shift, p)
            X[rows] = (X[rows] - base.mean(axis=0)) * mult + base.mean(axis=0) + add
    X = centre + spread * X
    df = pd.DataFrame(X, columns=[f"f{j:02d}" for j in range(p)])
    df["site"] = site
    return df, y


def confounded_sites(
    seed: int = 0, n: int = 200, p: int = 300, share: float = 0.9
) -> tuple[pd.DataFrame, np.ndarray]:
    """Two sites, A about ``share`` malignant and B about ``1 - share``; the features carry
    additive and multiplicative site effects and no signal at all."""
    rng = np.random.default_rng(seed)
    site = np.repeat(["A", "B"], n // 2)
    y = np.where(site == "A", rng.random(n) < share, rng.random(n) < 1 - share).astype(int)
    X = rng.normal(size=(n, p))
    for s in ("A", "B"):
        rows = site == s
        X[rows] = X[rows] * rng.uniform(0.5, 2.0, p) + rng.normal(0.0, 1.0, p)
    df = pd.DataFrame(X, columns=[f"f{j:03d}" for j in range(p)])
    df["site"] = site
    return df, y


def _lr() -> LogisticRegression:
    return LogisticRegression(C=1.0, max_iter=5000)


def pooled_auc(model, X, y, cv, groups=None) -> float:
    """ROC AUC of the pooled out-of-fold probabilities."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnseenBatchWarning)
        prob = cross_val_predict(model, X, y, cv=cv, groups=groups, method="predict_proba")
    return float(roc_auc_score(y, prob[:, 1]))


def loso_aucs(
    seed: int = 0, prevalence: tuple[float, ...] = (0.5, 0.5, 0.5, 0.5)
) -> dict[str, float]:
    """Leave-one-site-out pooled AUC: no site effects / effects / ComBat inside the folds."""
    clean, y = four_sites(seed, effects=False, prevalence=prevalence)
    shifted, _ = four_sites(seed, effects=True, prevalence=prevalence)
    groups = shifted["site"].to_numpy()
    logo = LeaveOneGroupOut()
    plain = make_pipeline(StandardScaler(), _lr())
    combat = make_pipeline(ComBat(batch="site"), StandardScaler(), _lr())
    return {
        "no site effects": pooled_auc(plain, clean.drop(columns="site"), y, logo, groups),
        "site effects": pooled_auc(plain, shifted.drop(columns="site"), y, logo, groups),
        "site effects + ComBat in folds": pooled_auc(combat, shifted, y, logo, groups),
    }


def prevalence_aucs(seed: int = 0) -> dict[str, float]:
    """5-fold CV AUC on four sites whose label mix differs (20 / 40 / 60 / 80 % positive):
    no site effects / effects / ComBat in folds / ComBat in folds protecting the label."""
    prevalence = (0.2, 0.4, 0.6, 0.8)
    clean, y = four_sites(seed, effects=False, prevalence=prevalence)
    shifted, _ = four_sites(seed, effects=True, prevalence=prevalence)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    plain = make_pipeline(StandardScaler(), _lr())
    return {
        "no site effects": pooled_auc(plain, clean.drop(columns="site"), y, cv),
        "site effects": pooled_auc(plain, shifted.drop(columns="site"), y, cv),
        "ComBat in folds": pooled_auc(
            make_pipeline(ComBat(batch="site"), StandardScaler(), _lr()), shifted, y, cv
        ),
        "ComBat in folds, label protected": pooled_auc(
            make_pipeline(ComBat(batch="site", protect_label=True), StandardScaler(), _lr()),
            shifted,
            y,
            cv,
        ),
    }


def leak_aucs(seed: int = 0) -> dict[str, float]:
    """5-fold CV AUC on the confounded table: ComBat on all data (label protected, as
    neuroCombat is usually run) vs ComBat inside the folds (plain, and label protected)."""
    df, y = confounded_sites(seed)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    everything = ComBat(batch="site", covariates=("label",)).set_output(transform="pandas")
    leaked = everything.fit_transform(df.assign(label=y)).drop(columns="label")
    return {
        "no harmonisation": pooled_auc(
            make_pipeline(StandardScaler(), _lr()), df.drop(columns="site"), y, cv
        ),
        "ComBat on all data, label protected": pooled_auc(
            make_pipeline(StandardScaler(), _lr()), leaked, y, cv
        ),
        "ComBat on all data, no label": pooled_auc(
            make_pipeline(StandardScaler(), _lr()), ComBat(batch="site").fit_transform(df), y, cv
        ),
        "ComBat in folds": pooled_auc(
            make_pipeline(ComBat(batch="site"), StandardScaler(), _lr()), df, y, cv
        ),
        "ComBat in folds, label protected": pooled_auc(
            make_pipeline(ComBat(batch="site", protect_label=True), StandardScaler(), _lr()),
            df,
            y,
            cv,
        ),
    }


def _variance_ratio(values: np.ndarray, site: np.ndarray) -> np.ndarray:
    """Per feature: largest / smallest within-site variance."""
    var = np.array([values[site == s].var(axis=0, ddof=1) for s in np.unique(site)])
    return var.max(axis=0) / var.min(axis=0)


def _site_share(values: np.ndarray, site: np.ndarray) -> np.ndarray:
    """Per feature: between-site sum of squares / total sum of squares (eta squared)."""
    grand = values.mean(axis=0)
    between = sum(
        (site == s).sum() * (values[site == s].mean(axis=0) - grand) ** 2 for s in np.unique(site)
    )
    return between / ((values - grand) ** 2).sum(axis=0)


# ------------------------------------------------------------ agreement with neuroCombat


def _neurocombat(Y, covars, eb, mean_only, conv=None, **kw):
    pytest.importorskip(
        "neuroCombat", reason="neuroCombat (the reference implementation) is not installed"
    )
    import neuroCombat  # noqa: F401  (loads the module patched below)

    module = sys.modules["neuroCombat.neuroCombat"]
    original = module.it_sol
    if conv is not None:
        module.it_sol = functools.partial(original, conv=conv)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            out = module.neuroCombat(
                dat=Y.T, covars=covars, batch_col="batch", eb=eb, mean_only=mean_only, **kw
            )
    finally:
        module.it_sol = original
    return out["data"].T


def _reference_table(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    site = np.repeat(SITES, [15, 20, 25, 20])
    n, p = site.size, 12
    # neuroCombat casts continuous covariates to float32: use values float32 holds exactly
    age = rng.normal(60.0, 10.0, n).astype(np.float32).astype(np.float64)
    sex = (rng.random(n) < 0.5).astype(float)
    Y = (
        rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, p)
        + 0.03 * age[:, None]
        + 0.5 * sex[:, None]
    )
    for s in SITES:
        rows = site == s
        Y[rows] = Y[rows] * rng.uniform(0.6, 1.6, p) + rng.normal(0.0, 1.0, p)
    df = pd.DataFrame(Y, columns=[f"f{j}" for j in range(p)])
    return df.assign(site=site, age=age, sex=sex)


@pytest.mark.parametrize(
    ("eb", "mean_only"), [(True, False), (False, False), (False, True)], ids=["eb", "ls", "mean"]
)
def test_agrees_with_neurocombat(eb, mean_only):
    df = _reference_table()
    feats = [c for c in df.columns if c.startswith("f")]
    covars = pd.DataFrame({"batch": df["site"], "age": df["age"], "sex": df["sex"]})
    # both iterated to the fixed point (neuroCombat's criterion is 1e-4, ours 1e-6)
    ref = _neurocombat(
        df[feats].to_numpy(),
        covars,
        eb,
        mean_only,
        conv=1e-12,
        continuous_cols=["age"],
        categorical_cols=["sex"],
    )
    model = ComBat(
        batch="site", covariates=("age", "sex"), empirical_bayes=eb, mean_only=mean_only, tol=1e-12
    )
    out = model.set_output(transform="pandas").fit_transform(df)
    diff = np.abs(out[feats].to_numpy() - ref).max()
    print(f"max |radiomix - neuroCombat| (eb={eb}, mean_only={mean_only}): {diff:.2e}")
    assert diff < 1e-9
    # covariates pass through unchanged, the batch column is dropped
    assert list(out.columns) == [*feats, "age", "sex"]
    np.testing.assert_array_equal(out["age"], df["age"])


def test_agrees_with_neurocombat_at_default_tolerances():
    df = _reference_table()
    feats = [c for c in df.columns if c.startswith("f")]
    covars = pd.DataFrame({"batch": df["site"], "age": df["age"]})
    ref = _neurocombat(df[feats].to_numpy(), covars, True, False, continuous_cols=["age"])
    out = ComBat(batch="site", covariates=("age",)).fit_transform(df.drop(columns="sex"))
    diff = np.abs(out[:, : len(feats)] - ref).max()
    print(f"max |radiomix - neuroCombat| at default tolerances: {diff:.2e}")
    assert diff < 1e-6


def test_mean_only_empirical_bayes_shrinks_with_the_batch_size():
    """Mean-only EB: posterior mean with the batch's own count (neuroCombat and sva use 1)."""
    df = _reference_table().drop(columns=["age", "sex"])
    model = ComBat(batch="site", mean_only=True).fit(df)
    raw = ComBat(batch="site", mean_only=True, empirical_bayes=False).fit(df)
    np.testing.assert_allclose(model.gamma_hat_, raw.gamma_)
    for b, n in enumerate(model.batch_counts_):
        g = model.gamma_hat_[b]
        g_bar, t2 = g.mean(), g.var(ddof=1)
        expected = (t2 * n * g + g_bar) / (t2 * n + 1.0)
        np.testing.assert_allclose(model.gamma_[b], expected, rtol=1e-12)
    np.testing.assert_array_equal(model.delta2_, 1.0)


# ------------------------------------------------------------------ removing site effects


def test_four_sites_means_and_variances_equalised():
    df, _ = four_sites(seed=3, signal=0.0)
    site = df["site"].to_numpy()
    feats = df.drop(columns="site").to_numpy()
    before = _site_share(feats, site)

    exact = ComBat(batch="site", empirical_bayes=False).fit_transform(df)
    for s in SITES:  # no shrinkage: equal to rounding
        np.testing.assert_allclose(exact[site == s].mean(axis=0), feats.mean(axis=0), atol=1e-9)
    sds = np.array([exact[site == s].std(axis=0, ddof=1) for s in SITES])
    np.testing.assert_allclose(sds, np.broadcast_to(sds[0], sds.shape), rtol=1e-9)

    out = ComBat(batch="site").fit_transform(df)
    pooled_sd = out.std(axis=0)
    means = np.array([out[site == s].mean(axis=0) for s in SITES])
    assert np.max(np.ptp(means, axis=0) / pooled_sd) < 0.1
    # with shrinkage, a very small site variance is pulled towards the prior (as in
    # neuroCombat): the largest / smallest site variance goes from up to 44 to about 2.5
    ratio_before, ratio_after = _variance_ratio(feats, site), _variance_ratio(out, site)
    print(
        f"site variance ratio, median (max): {np.median(ratio_before):.2f} "
        f"({ratio_before.max():.1f}) -> {np.median(ratio_after):.2f} ({ratio_after.max():.2f})"
    )
    assert np.median(ratio_after) < 1.3
    assert ratio_after.max() < 0.1 * ratio_before.max()
    after = _site_share(out, site)
    print(f"site share of variance: mean {before.mean():.3f} -> {after.mean():.4f}")
    assert before.mean() > 0.2
    assert after.max() < 0.01


def test_the_leak_combat_on_all_data_inflates_the_estimate():
    aucs = leak_aucs(seed=0)
    print("\nconfounded sites (A 90 % malignant, B 10 %), features = site effects only:")
    for name, auc in aucs.items():
        print(f"  {name:38s} AUC {auc:.3f}")
    assert aucs["ComBat on all data, label protected"] > 0.8
    assert 0.4 < aucs["ComBat in folds"] < 0.62
    assert aucs["ComBat on all data, label protected"] - aucs["ComBat in folds"] > 0.25
    # Protecting a label confounded with the site keeps part of the site difference as
    # "label effect": not a leak of test labels, but ComBat cannot remove the site there.
    assert aucs["ComBat in folds, label protected"] > 0.7
    # Fitted on all cases without the label, ComBat removes each site's mean including the
    # test cases': the estimate is biased the other way (below 0.5) on this table.
    assert aucs["ComBat on all data, no label"] < 0.4


def test_sites_with_different_label_mix():
    """Plain ComBat removes a site's label mix with its site effect (some true signal);
    protecting the label keeps it (and, with it, what the site says about the label)."""
    aucs = prevalence_aucs(seed=0)
    print("\nfour sites 20/40/60/80 % positive, 5-fold CV AUC:")
    for name, auc in aucs.items():
        print(f"  {name:34s} {auc:.3f}")
    assert aucs["ComBat in folds"] < aucs["no site effects"] - 0.03
    assert aucs["ComBat in folds, label protected"] > aucs["ComBat in folds"] + 0.03


def test_leave_one_site_out_combat_recovers_what_site_effects_cost():
    aucs = loso_aucs(seed=1)
    print("\nleave-one-site-out, four sites, pooled out-of-site AUC:")
    for name, auc in aucs.items():
        print(f"  {name:32s} {auc:.3f}")
    clean = aucs["no site effects"]
    hurt = aucs["site effects"]
    fixed = aucs["site effects + ComBat in folds"]
    assert clean - hurt > 0.1
    assert clean > fixed > hurt
    assert (fixed - hurt) / (clean - hurt) > 0.6


# --------------------------------------------------------------- unseen batches and edges


def test_unseen_site_at_transform_is_estimated_from_its_own_rows():
    df, _ = four_sites(seed=1, signal=0.0)
    train, test = df[df.site != "s4"], df[df.site == "s4"]
    model = ComBat(batch="site", empirical_bayes=False).fit(train)
    assert model.unseen_batches_ == []
    with pytest.warns(UnseenBatchWarning, match="s4"):
        out = model.transform(test)
    assert model.unseen_batches_ == ["s4"]
    assert model.unseen_params_["s4"]["n"] == len(test)
    np.testing.assert_allclose(out.mean(axis=0), model.grand_mean_, atol=1e-9)
    np.testing.assert_allclose(out.var(axis=0, ddof=1), model.var_pooled_, rtol=1e-9)
    # seen batches only: nothing recorded, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnseenBatchWarning)
        model.transform(train)
    assert model.unseen_batches_ == []


def test_unseen_site_with_one_row():
    df, _ = four_sites(seed=1, signal=0.0)
    train, one = df[df.site != "s4"], df[df.site == "s4"].iloc[:1]
    with pytest.raises(ValueError, match="'s4' was not in the training data and has 1 row"):
        ComBat(batch="site").fit(train).transform(one)
    with pytest.warns(UnseenBatchWarning):
        ComBat(batch="site", mean_only=True).fit(train).transform(one)


def test_batch_with_one_training_sample():
    df, _ = four_sites(seed=1, n_per_site=10, signal=0.0)
    df = df[(df.site != "s4") | (df.index == df.index[-1])]
    with pytest.raises(ValueError, match="single training sample: 's4'"):
        ComBat(batch="site").fit(df)
    ComBat(batch="site", mean_only=True).fit(df)


def test_missing_values_pass_through_and_are_left_out_of_the_estimates():
    df, _ = four_sites(seed=2, n_per_site=20, p=5, signal=0.0)
    holes = df.copy()
    holes.loc[[0, 25, 50], "f01"] = np.nan
    holes.loc[7, "f03"] = np.inf
    out = ComBat(batch="site", empirical_bayes=False).fit_transform(holes)
    assert np.isnan(out[[0, 25, 50], 1]).all()
    assert np.isnan(out[7, 3])
    assert np.isfinite(np.delete(out, [0, 25, 50], axis=0)[:, 1]).all()
    # without shrinkage every feature is fitted alone: same as dropping its missing rows
    kept = holes[["f01", "site"]].dropna()
    alone = ComBat(batch="site", empirical_bayes=False).fit_transform(kept)
    np.testing.assert_allclose(out[kept.index.to_numpy(), 1], alone[:, 0], rtol=1e-12)
    # and with shrinkage the missing entries still pass through
    assert np.isnan(ComBat(batch="site").fit_transform(holes)[[0, 25, 50], 1]).all()


def test_constant_features_pass_through():
    df, _ = four_sites(seed=2, n_per_site=20, p=5, signal=0.0)
    df["flat"] = 3.0
    df["by_site"] = df["site"].map({"s1": 1.0, "s2": 2.0, "s3": 3.0, "s4": 4.0})
    model = ComBat(batch="site").set_output(transform="pandas")
    out = model.fit_transform(df)
    assert model.passthrough_features_ == ["flat", "by_site"]
    np.testing.assert_array_equal(out["flat"], 3.0)
    np.testing.assert_array_equal(out["by_site"], df["by_site"])
    assert np.isfinite(out.to_numpy()).all()


def test_excluded_features_pass_through():
    df, _ = four_sites(seed=2, n_per_site=20, p=4, signal=0.0)
    df = df.rename(columns={"f00": "original_shape_Volume", "f01": "x_morphology_volume"})
    model = ComBat(batch="site", exclude=("*_shape_*", "*_morphology_*"))
    out = model.set_output(transform="pandas").fit_transform(df)
    assert model.excluded_features_ == ["original_shape_Volume", "x_morphology_volume"]
    assert model.passthrough_features_ == []
    np.testing.assert_array_equal(out["original_shape_Volume"], df["original_shape_Volume"])
    np.testing.assert_array_equal(out["x_morphology_volume"], df["x_morphology_volume"])
    # the other features are harmonised as without the excluded ones
    alone = ComBat(batch="site").fit_transform(df[["f02", "f03", "site"]])
    np.testing.assert_allclose(out[["f02", "f03"]].to_numpy(), alone, rtol=1e-12)


def test_tiny_and_empty_features():
    df, _ = four_sites(seed=2, n_per_site=20, p=4, signal=0.0)
    df["tiny"] = df["f00"] * 1e-9  # small units are not "constant"
    df["empty"] = np.nan
    model = ComBat(batch="site").set_output(transform="pandas")
    out = model.fit_transform(df)
    assert model.passthrough_features_ == ["empty"]
    assert out["empty"].isna().all()
    np.testing.assert_allclose(out["tiny"] * 1e9, out["f00"], rtol=1e-6)


def test_pickle_round_trip():
    df, _ = four_sites(seed=2, n_per_site=20, p=4, signal=0.0)
    model = ComBat(batch="site").fit(df)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.transform(df), model.transform(df))


def test_bad_inputs_are_named():
    df, _ = four_sites(seed=2, n_per_site=20, p=3, signal=0.0)
    with pytest.raises(TypeError, match="pandas DataFrame"):
        ComBat().fit(df.drop(columns="site").to_numpy())
    with pytest.raises(ValueError, match="no batch column 'scanner'"):
        ComBat(batch="scanner").fit(df)
    with pytest.raises(ValueError, match="no covariate column 'age'"):
        ComBat(covariates=("age",)).fit(df)
    with pytest.raises(ValueError, match="covariate columns with missing values: 'age'"):
        ComBat(covariates=("age",)).fit(df.assign(age=np.r_[np.nan, np.ones(len(df) - 1)]))
    with pytest.raises(ValueError, match="non-numeric feature columns: 'note'"):
        ComBat().fit(df.assign(note="x"))
    with pytest.raises(ValueError, match="missing values; every row needs its batch"):
        ComBat().fit(df.assign(site=df["site"].where(df.index > 0)))
    with pytest.raises(ValueError, match="at least two batches"):
        ComBat().fit(df.assign(site="s1"))
    with pytest.raises(ValueError, match="protect_label=True needs y"):
        ComBat(protect_label=True).fit(df)
    confounded = df.assign(sex=(df["site"] == "s1").astype(float))
    with pytest.raises(ValueError, match="confounded with the batch"):
        ComBat(covariates=("sex",)).fit(confounded)
    model = ComBat().fit(df)
    with pytest.raises(ValueError, match="missing 'f02'"):
        model.transform(df.drop(columns="f02"))
    # columns in another order are matched by name
    np.testing.assert_array_equal(model.transform(df[df.columns[::-1]]), model.transform(df))


# ------------------------------------------------------------- scikit-learn conventions

# ComBat needs a DataFrame with a batch column, which scikit-learn's generic checks (random
# arrays) do not provide; the checks that need no data run here, the rest is tested below.
DATA_FREE_CHECKS = [
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimator_repr",
    "check_valid_tag_types",
    "check_do_not_raise_errors_in_init_or_set_params",
]


@pytest.mark.parametrize("check", DATA_FREE_CHECKS)
def test_sklearn_data_free_checks(check):
    getattr(estimator_checks, check)("ComBat", ComBat(covariates=("age",), protect_label=True))


def test_sklearn_conventions():
    df, y = four_sites(seed=4, n_per_site=20, p=4)
    est = ComBat(batch="site", covariates=(), protect_label=True, mean_only=True)
    params = est.get_params()
    assert params == {
        "batch": "site",
        "covariates": (),
        "protect_label": True,
        "empirical_bayes": True,
        "mean_only": True,
        "tol": 1e-6,
        "max_iter": 1000,
        "exclude": (),
        "warn_unseen": True,
        "categorical_covariates": (),
        "impute_covariates": False,
        "passthrough": (),
        "drop_covariates": False,
    }
    twin = clone(est)
    assert twin is not est and twin.get_params() == params
    assert est.set_params(mean_only=False) is est and est.mean_only is False
    with pytest.raises(NotFittedError):
        est.transform(df)
    with pytest.raises(NotFittedError):
        est.get_feature_names_out()
    assert est.fit(df, y) is est
    assert list(est.get_feature_names_out()) == [f"f{j:02d}" for j in range(4)]
    np.testing.assert_array_equal(est.fit_transform(df, y), est.transform(df))
    assert not hasattr(clone(est), "gamma_")
    with pytest.raises(ValueError, match="tol"):
        ComBat(tol=-1.0).fit(df)


def test_protected_label_changes_the_estimates_not_the_interface():
    df, y = four_sites(seed=5, n_per_site=30, p=6, signal=1.0)
    plain = ComBat(batch="site").fit(df)
    protected = ComBat(batch="site", protect_label=True).fit(df, y)
    assert protected.coef_.shape == (1, 6)
    assert protected.coef_[0, :3].min() > 0.3 * df.iloc[:, :3].std().min()  # label effect kept
    assert not np.allclose(plain.var_pooled_, protected.var_pooled_)
    # transform never sees labels: the label term is set to its training mean
    np.testing.assert_allclose(protected.design_mean_, [y.mean()])
    labels = ComBat(batch="site", protect_label=True).fit(df, np.where(y == 1, "mal", "ben"))
    np.testing.assert_array_equal(labels.classes_, ["ben", "mal"])
    np.testing.assert_allclose(labels.transform(df), protected.transform(df))
