"""``--compare clinical,radiomics,combined`` for a time to an event: Harrell's C of the
three models on the same splits, and the C difference with a paired bootstrap interval over
cases (out-of-fold risk scores).

Synthetic tables where age and a text stage carry part of the hazard and two radiomic
features add to it (the interval of combined minus clinical lies above 0), or add nothing.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sksurv", reason="the survival task needs scikit-survival")

from sksurv.metrics import concordance_index_censored

from radiomix.learn.compare import survival_compare_block
from radiomix.learn.study import run_study
from radiomix.learn.survival import structured

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
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    c = m["compare"]["combined_vs_clinical"]
    assert c["delta_c"] == pytest.approx(0.085, abs=0.005)
    assert c["delta_c_ci"][0] > 0.02 and c["p_bootstrap"] < 0.01
    assert c["n_repeats"] == 2 and c["n_boot"] == 500
    # the radiomic features alone are no better than the clinical columns
    r = m["compare"]["radiomics_vs_clinical"]
    assert r["delta_c_ci"][0] < 0 < r["delta_c_ci"][1]
    table = pd.read_csv(tmp_path / "run" / "compare.csv")
    assert list(table["new"]) == ["combined", "radiomics", "combined"]
    row = table.iloc[0]
    assert row["delta_c_ci_low"] == pytest.approx(c["delta_c_ci"][0])
    assert row["delta_c"] == pytest.approx(c["delta_c"])
    text = build_report(tmp_path / "run").read_text()
    assert "id='compare'" in text and "paired bootstrap" in text
    assert "the image adds discrimination beyond the clinical variables" in text


def test_radiomics_adding_nothing():
    """Pure-noise radiomic features (seeds 0 to 3): combined minus clinical -0.016
    [-0.027, -0.007], +0.005 [-0.013, 0.025], -0.017 [-0.032, -0.004], -0.036 [-0.054,
    -0.021]: the interval never lies above 0; where it excludes 0 it lies below (noise
    features cost the combined model some C)."""
    c1 = run_study(clinical_survival(1, rad=0.0), STUDY).metrics["compare"]
    lo, hi = c1["combined_vs_clinical"]["delta_c_ci"]
    assert lo < 0 < hi
    assert c1["combined_vs_clinical"]["delta_c"] == pytest.approx(0.005, abs=0.005)
    assert c1["combined_vs_clinical"]["p_bootstrap"] > 0.3
    assert c1["radiomics_vs_clinical"]["c_new"] < 0.55  # noise alone: about one half
    c0 = run_study(clinical_survival(0, rad=0.0), STUDY).metrics["compare"]
    assert c0["combined_vs_clinical"]["delta_c_ci"][1] < 0
