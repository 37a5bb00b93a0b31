"""``--compare clinical,radiomics,combined`` for a time to an event: Harrell's C of the
three models on the same splits, the C difference with a paired bootstrap interval over
cases (out-of-fold risk scores), and the Kaplan-Meier weighted continuous NRI at the middle
horizon (by hand, against the two-class NRI without censoring, signal and noise).

Synthetic tables where age and a text stage carry part of the hazard and two radiomic
features add to it (the interval of combined minus clinical lies above 0), or add nothing.
"""

from __future__ import annotations

import json
import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sksurv", reason="the survival task needs scikit-survival")

from sksurv.metrics import concordance_index_censored

from radiomix.learn.compare import continuous_nri, survival_compare_block, survival_nri
from radiomix.learn.metrics import percentile_ci
from radiomix.learn.study import run_study
from radiomix.learn.survival import structured
from radiomix.learn.task_metrics import stratified_weights

GRID = {"select__k": [2, 5], "clf__alpha_ratio": [0.3, 0.1], "clf__l1_ratio": [0.9]}

STUDY: dict[str, Any] = {
    "task": "survival",
    "primary": "coxnet",
    "comparators": [],
    "models": [{"name": "coxnet", "grid": GRID}],
    "validation": {
        "outer_folds": 5,
        "inner_folds": 3,
        "repeats": 2,
        "permutations": 0,
        "bootstrap": 500,
        "n_jobs": 1,
    },
    "data": {"time": "time", "event": "event", "clinical": ["age", "stage"]},
    "compare": ["clinical", "radiomics", "combined"],
}


def clinical_survival(seed: int = 0, n: int = 240, p: int = 20, rad: float = 0.6) -> pd.DataFrame:
    """Hazard exp(0.6 (age - 60) / 10 + 0.6 stage + rad (f00 + f01)), stage I/II/III as
    -1/0/1; exponential censoring (about a third of the cases)."""
    rng = np.random.default_rng(seed)
    age = rng.normal(60, 10, n)
    stage = rng.choice(["I", "II", "III"], n)
    X = rng.normal(size=(n, p))
    st = pd.Series(stage).map({"I": -1.0, "II": 0.0, "III": 1.0}).to_numpy()
    eta = 0.6 * (age - 60) / 10 + 0.6 * st + rad * (X[:, 0] + X[:, 1])
    t_event = rng.exponential(1.0, n) / np.exp(eta)
    t_cens = rng.exponential(2.0 * float(np.median(t_event)), n)
    df = pd.DataFrame(X, columns=[f"original_firstorder_f{i:02d}" for i in range(p)])
    df.insert(0, "case_id", [f"c{i}" for i in range(n)])
    df["age"] = age
    df["stage"] = stage
    df["time"] = np.round(np.minimum(t_event, t_cens) * 365 + 0.1, 1)
    df["event"] = (t_event <= t_cens).astype(int)
    return df


def _run(output: np.ndarray) -> Any:
    return SimpleNamespace(cv=SimpleNamespace(output=output))


def test_the_block_by_hand():
    """C of each model as scikit-survival computes it; equal risks differ by exactly 0."""
    rng = np.random.default_rng(0)
    n = 120
    t = rng.exponential(10, n).round(1) + 0.1
    e = rng.random(n) < 0.7
    good = -t + rng.normal(0, 4, n)  # larger risk, earlier event
    poor = rng.normal(size=n)
    y = structured(e, t)
    runs = {
        "combined": _run(np.vstack([good, good + 0.01 * rng.normal(size=n)])),
        "clinical": _run(np.vstack([poor, poor])),
        "radiomics": _run(np.vstack([poor, poor])),
    }
    block = survival_compare_block(runs, y, None, n_boot=400, random_state=1)
    assert list(block) == ["combined_vs_clinical", "radiomics_vs_clinical", "combined_vs_radiomics"]
    c = block["combined_vs_clinical"]
    c_good = [concordance_index_censored(e, t, r)[0] for r in runs["combined"].cv.output]
    c_poor = concordance_index_censored(e, t, poor)[0]
    assert c["c_new"] == pytest.approx(np.median(c_good), abs=1e-12)
    assert c["c_old"] == pytest.approx(c_poor, abs=1e-12)
    assert c["delta_c_repeats"] == pytest.approx([x - c_poor for x in c_good], abs=1e-12)
    assert c["delta_c_ci"][0] > 0.2 and c["p_bootstrap"] < 0.01
    same = block["radiomics_vs_clinical"]
    assert same["delta_c"] == 0 and same["delta_c_ci"] == [0.0, 0.0]
    assert same["p_bootstrap"] == 1.0
    # outputs with survival columns: the risk is the first
    wide = {k: _run(np.dstack([r.cv.output, np.zeros((2, n, 3))])) for k, r in runs.items()}
    again = survival_compare_block(wide, y, None, n_boot=400, random_state=1)
    assert again["combined_vs_clinical"] == c


def test_survival_nri_by_hand():
    """Eight cases, horizon 5: times 1, 2+, 3, 4, 6, 7+, 8+, 9 (+ censored); the new model
    moves cases 1, 2, 4, 6 up, 3, 5, 7 down, case 8 not at all.

    Kaplan-Meier at 5: all 7/8 x 5/6 x 4/5 = 7/12; up (1, 2+, 4, 6) 3/4 x 1/2 = 3/8; down
    (3, 6, 8+) 2/3. P(up) = 1/2, P(down) = 3/8. Events: P(up) = (5/8)(1/2)/(5/12) = 3/4,
    P(down) = (1/3)(3/8)/(5/12) = 3/10, NRI 0.45; non-events: P(up) = (3/8)(1/2)/(7/12) =
    9/28, P(down) = (2/3)(3/8)/(7/12) = 3/7, NRI 3/28."""
    t = np.array([1.0, 2, 3, 4, 6, 7, 8, 9])
    e = np.array([1, 0, 1, 1, 1, 0, 0, 1], dtype=bool)
    old = np.full(8, 0.5)
    new = np.array([0.4, 0.4, 0.6, 0.4, 0.6, 0.4, 0.6, 0.5])
    nri, ev, ne = (v[0] for v in survival_nri(np.ones((1, 8)), e, t, new, old, 5.0))
    assert ev == pytest.approx(3 / 4 - 3 / 10, abs=1e-14)
    assert ne == pytest.approx(3 / 7 - 9 / 28, abs=1e-14)
    assert nri == pytest.approx(0.45 + 3 / 28, abs=1e-14)
    # the same models swapped: every sign turns
    back = [v[0] for v in survival_nri(np.ones((1, 8)), e, t, old, new, 5.0)]
    assert back == pytest.approx([-nri, -ev, -ne], abs=1e-14)
    # a case counted twice is the case repeated
    w = np.ones(8)
    w[0] = 2.0
    rep = np.r_[0, np.arange(8)]
    assert [v[0] for v in survival_nri(w[None], e, t, new, old, 5.0)] == pytest.approx(
        [v[0] for v in survival_nri(np.ones((1, 9)), e[rep], t[rep], new[rep], old[rep], 5.0)],
        abs=1e-14,
    )
    # no event by the horizon, or a missing prediction: not defined
    assert np.isnan(survival_nri(np.ones((1, 8)), e, t, new, old, 0.5)[0][0])
    gap = new.copy()
    gap[2] = np.nan
    assert np.isnan(survival_nri(np.ones((1, 8)), e, t, gap, old, 5.0)[0][0])


def test_survival_nri_without_censoring_before_the_horizon_is_the_two_class_nri():
    """Censoring only after the horizon: the NRI of the class "event by the horizon" with
    the predicted event probabilities 1 - S."""
    rng = np.random.default_rng(3)
    n, h = 300, 8.0
    t = rng.exponential(10, n).round(1) + 0.1
    e = (t <= h) | (rng.random(n) < 0.5)  # censored cases all after the horizon
    new, old = rng.random(n), rng.random(n)
    old[:20] = new[:20]  # ties: neither up nor down
    ours = [v[0] for v in survival_nri(np.ones((1, n)), e, t, new, old, h)]
    assert ours == pytest.approx(list(continuous_nri(t <= h, 1 - new, 1 - old)), abs=1e-12)


def _cloglog_survival(lp: np.ndarray, h: float) -> np.ndarray:
    return np.exp(-h * np.exp(lp))


def test_survival_nri_signal_and_noise():
    """400 cases, hazard exp(a + b): the model on a alone against a + b (signal), and
    against a plus independent noise of the size of b (noise); 1,000 stratified resamples,
    about 12 % censored before the horizon. Signal: NRI 0.90 [0.71, 1.08]; noise: -0.03
    [-0.24, 0.19] (covers 0). Seeds 11 to 15: signal 0.45 to 0.90, every interval above 0;
    noise -0.03 to +0.14, every interval covers 0."""
    rng = np.random.default_rng(11)
    n, h = 400, 0.7
    a, b = rng.normal(size=n), rng.normal(size=n)
    t_event = rng.exponential(1.0, n) / np.exp(a + b)
    t_cens = rng.exponential(3.0, n)
    t, e = np.minimum(t_event, t_cens), t_event <= t_cens
    W = stratified_weights(e.astype(np.int8), None, 1000, 5)
    old = _cloglog_survival(a, h)
    signal = survival_nri(W, e, t, _cloglog_survival(a + b, h), old, h)[0]
    lo, hi = percentile_ci(signal, 0.95)
    assert lo > 0.6 and hi < 1.2
    noise_lp = a + rng.normal(size=n)
    est = survival_nri(np.ones((1, n)), e, t, _cloglog_survival(noise_lp, h), old, h)[0][0]
    noise = survival_nri(W, e, t, _cloglog_survival(noise_lp, h), old, h)[0]
    lo_n, hi_n = percentile_ci(noise, 0.95)
    assert lo_n < 0 < hi_n < 0.3 and abs(est) < 0.05


def test_the_block_adds_the_nri_at_the_middle_horizon():
    """With the horizons, each pair gains the NRI of the middle horizon's survival column
    (median over repeats) and its interval from the resamples of the C difference."""
    rng = np.random.default_rng(2)
    n = 150
    a, b = rng.normal(size=n), rng.normal(size=n)
    t = (rng.exponential(10, n) / np.exp(a + b)).round(1) + 0.1
    e = rng.random(n) < 0.7
    y = structured(e, t)
    hs = [3.0, 6.0, 12.0]

    def outputs(lp: np.ndarray) -> np.ndarray:
        reps = []
        for _ in range(2):  # two repeats: the fitted models differ a little
            lp_r = lp + rng.normal(0, 0.1, n)
            reps.append(np.column_stack([lp_r, *[_cloglog_survival(lp_r - 2, h) for h in hs]]))
        return np.stack(reps)

    runs = {"combined": _run(outputs(a + b)), "clinical": _run(outputs(a))}
    block = survival_compare_block(runs, y, None, n_boot=300, random_state=4, horizons=hs)
    c = block["combined_vs_clinical"]
    assert c["nri_horizon"] == 6.0
    ones = np.ones((1, n))
    on, oo = runs["combined"].cv.output, runs["clinical"].cv.output
    each = [survival_nri(ones, e, t, on[r, :, 2], oo[r, :, 2], 6.0) for r in range(2)]
    assert c["nri"] == pytest.approx(np.median([x[0][0] for x in each]), abs=1e-14)
    assert c["nri_events"] == pytest.approx(np.median([x[1][0] for x in each]), abs=1e-14)
    assert c["nri_nonevents"] == pytest.approx(np.median([x[2][0] for x in each]), abs=1e-14)
    W = stratified_weights(e.astype(np.int8), None, 300, 4)
    boot = np.median(
        np.vstack([survival_nri(W, e, t, on[r, :, 2], oo[r, :, 2], 6.0)[0] for r in range(2)]),
        axis=0,
    )
    assert c["nri_ci"] == pytest.approx(list(percentile_ci(boot, 0.95)), abs=1e-14)
    assert c["nri_ci"][0] > 0.2
    assert c["nri_events_ci"][0] < c["nri_events"] < c["nri_events_ci"][1]
    # risk scores only (no survival columns): the NRI is not defined
    bare = {k: _run(r.cv.output[:, :, 0]) for k, r in runs.items()}
    d = survival_compare_block(bare, y, None, n_boot=50, horizons=hs)["combined_vs_clinical"]
    assert math.isnan(d["nri"]) and math.isnan(d["nri_ci"][0])
    # without horizons the block is as before
    plain = survival_compare_block(runs, y, None, n_boot=300, random_state=4)
    assert "nri" not in plain["combined_vs_clinical"]


def test_radiomics_adding_to_clinical(tmp_path, capsys):
    """Seed 0, 240 cases: C combined 0.786 vs clinical 0.700, difference +0.085
    [0.042, 0.127] (paired bootstrap, 500 resamples); through the command line."""
    import yaml

    from radiomix.cli.main import main
    from radiomix.report.html import build_report

    clinical_survival(0).to_csv(tmp_path / "t.csv", index=False)
    cfg = {k: v for k, v in STUDY.items() if k not in ("data", "compare", "task")}
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(cfg))
    argv = ["train", str(tmp_path / "t.csv"), "--time", "time", "--event", "event"]
    argv += ["--clinical", "age,stage", "--compare", "clinical,radiomics,combined"]
    argv += ["--config", str(tmp_path / "study.yaml"), "--quiet", "--out", str(tmp_path / "run")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "combined vs clinical: Harrell's C 0.786 vs 0.700, difference +0.085" in out
    assert "(paired bootstrap over cases); NRI at 114 +0.61 [+0.35, +0.89]" in out
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    c = m["compare"]["combined_vs_clinical"]
    assert c["delta_c"] == pytest.approx(0.085, abs=0.005)
    assert c["delta_c_ci"][0] > 0.02 and c["p_bootstrap"] < 0.01
    assert c["n_repeats"] == 2 and c["n_boot"] == 500
    # the NRI at the middle horizon (the median event time): both parts gain
    assert c["nri_horizon"] == m["primary"]["calibration"]["horizon"] == 114.0
    assert c["nri"] == pytest.approx(0.61, abs=0.01) and c["nri_ci"][0] > 0.3
    assert c["nri"] == pytest.approx(c["nri_events"] + c["nri_nonevents"], abs=0.02)
    assert c["nri_events_ci"][0] > 0 and c["nri_nonevents_ci"][0] > 0
    # the radiomic features alone are no better than the clinical columns
    r = m["compare"]["radiomics_vs_clinical"]
    assert r["delta_c_ci"][0] < 0 < r["delta_c_ci"][1]
    table = pd.read_csv(tmp_path / "run" / "compare.csv")
    assert list(table["new"]) == ["combined", "radiomics", "combined"]
    row = table.iloc[0]
    assert row["delta_c_ci_low"] == pytest.approx(c["delta_c_ci"][0])
    assert row["delta_c"] == pytest.approx(c["delta_c"])
    assert list(table.columns[-6:]) == [
        "nri_horizon",
        "nri",
        "nri_ci_low",
        "nri_ci_high",
        "nri_events",
        "nri_nonevents",
    ]
    assert row["nri"] == pytest.approx(c["nri"])
    assert row["nri_ci_high"] == pytest.approx(c["nri_ci"][1])
    text = build_report(tmp_path / "run").read_text()
    assert "id='compare'" in text and "paired bootstrap" in text
    assert "the image adds discrimination beyond the clinical variables" in text
    assert "continuous NRI at 114.0000 [95% CI]" in text and "Kaplan-Meier weighted" in text


def test_radiomics_adding_nothing():
    """Pure-noise radiomic features (seeds 0 to 3): combined minus clinical -0.016
    [-0.027, -0.007], +0.005 [-0.013, 0.025], -0.017 [-0.032, -0.004], -0.036 [-0.054,
    -0.021]: the interval never lies above 0; where it excludes 0 it lies below (noise
    features cost the combined model some C).

    The NRI at the middle horizon: seed 0 -0.23 [-0.42, -0.03] (below 0), seed 1 +0.35
    [+0.11, +0.60]: above 0 while the C difference covers 0. The continuous NRI counts only
    the direction of each change: on seed 1 the combined model's predictions are more spread
    (SD of log(-log S) 0.77 against 0.68) around nearly the same ranking, which moves
    high-risk cases up and low-risk cases down; mapped linearly onto the clinical model's
    scale the combined predictions give -0.16 and +0.00 in the two repeats."""
    c1 = run_study(clinical_survival(1, rad=0.0), STUDY).metrics["compare"]
    lo, hi = c1["combined_vs_clinical"]["delta_c_ci"]
    assert lo < 0 < hi
    assert c1["combined_vs_clinical"]["delta_c"] == pytest.approx(0.005, abs=0.005)
    assert c1["combined_vs_clinical"]["p_bootstrap"] > 0.3
    assert c1["radiomics_vs_clinical"]["c_new"] < 0.55  # noise alone: about one half
    assert c1["combined_vs_clinical"]["nri"] == pytest.approx(0.35, abs=0.01)
    assert c1["combined_vs_clinical"]["nri_ci"][0] > 0.05
    c0 = run_study(clinical_survival(0, rad=0.0), STUDY).metrics["compare"]
    assert c0["combined_vs_clinical"]["delta_c_ci"][1] < 0
    assert c0["combined_vs_clinical"]["nri"] == pytest.approx(-0.23, abs=0.01)
    assert c0["combined_vs_clinical"]["nri_ci"][1] < 0
