"""What the report says: task, data, cohort flow, conclusion, operating point, failed models,
example images and readable feature names (read from the HTML's text, not its markup)."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from radiomix.report import build_report, plots
from radiomix.report.findings import failed_models


class _Text(HTMLParser):
    """Text content of an HTML document, and of every element that has an id."""

    VOID = frozenset({"img", "br", "meta", "link", "hr", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str | None] = []
        self.by_id: dict[str, list[str]] = {}
        self.all: list[str] = []
        self.skip = 0

    #: elements whose boundaries separate words (table cells, paragraphs, headings)
    BLOCK = frozenset({"td", "th", "tr", "p", "div", "h1", "h2", "li", "figcaption", "pre"})

    def _gap(self, tag):
        if tag in self.BLOCK:
            self.handle_data(" ")

    def handle_starttag(self, tag, attrs):
        self._gap(tag)
        if tag in self.VOID:
            return
        if tag in ("style", "script"):
            self.skip += 1
        self.stack.append(dict(attrs).get("id"))

    def handle_endtag(self, tag):
        self._gap(tag)
        if tag in self.VOID:
            return
        if tag in ("style", "script"):
            self.skip -= 1
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self.skip:
            return
        self.all.append(data)
        for ident in self.stack:
            if ident:
                self.by_id.setdefault(ident, []).append(data)


def _text(path: Path) -> tuple[str, dict[str, str]]:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    squash = lambda parts: re.sub(r"\s+", " ", "".join(parts)).strip()  # noqa: E731
    return squash(parser.all), {k: squash(v) for k, v in parser.by_id.items()}


# ------------------------------------------------------------------ a generic train run


@pytest.fixture(scope="module")
def generic(small_run, tmp_path_factory):
    _, _, run = small_run
    copy = tmp_path_factory.mktemp("generic") / "run"
    shutil.copytree(run, copy)
    return copy, build_report(copy)


def test_generic_report_states_task_data_flow_and_conclusion(generic):
    run, report = generic
    metrics = json.loads((run / "metrics.json").read_text())
    study, primary = metrics["study"], metrics["primary"]
    _, parts = _text(report)
    pos, neg = str(study["label"]["positive"]), str(study["label"]["negative"])
    assert f"Task: {pos} from {neg}" in parts["task"].replace("tell ", "")
    assert "label column 'diagnosis'" in parts["task"]
    assert str(study["table"]) in parts["data"]
    assert f"{study['n_cases']} cases ({study['n_positive']} {pos}" in parts["cohort-flow"]
    concl = parts["conclusion"]
    ci = primary["auc_ci"]
    assert f"ROC AUC of {primary['auc']:.3f} (95% CI {ci[0]:.3f} to {ci[1]:.3f}" in concl
    comp = metrics["comparison"]["shape_only_lr"]
    assert f"Primary minus baseline: {comp['delta_auc']:+.3f}" in concl
    assert "paired DeLong test" in concl
    perm = metrics["permutation"]
    assert f"median AUC of {perm['auc']:.3f}" in concl
    assert "What this allows one to claim:" in concl
    # the headline is the pooled AUC; the per-fold mean is named and explained
    head = parts["headline"]
    assert f"Headline: ROC AUC {primary['auc']:.3f}" in head
    assert f"mean of the per-fold AUCs, {primary['auc_fold_mean']:.3f}" in head
    # 120 cases, 48 positive: small; the report says so
    assert "cannot estimate performance" in parts["small-cohort"]


def test_selection_table_has_readable_names_beside_columns(small_run, tmp_path):
    from radiomix.features.names import readable_name

    _, _, run = small_run
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    # the synthetic table's columns are placeholders: give them radiomix feature names
    real = [
        "original_glcm_joint_max_2d_comb",
        "original_morphology_2d_concavity_max_depth",
        "original_statistics_p10",
        "original_ngtdm_coarseness_2d",
    ]
    sel = pd.read_csv(copy / "selection.csv")
    rows = sel.index[sel["model"] == "lr_l2_mrmr"][: len(real)]
    sel.loc[rows, "feature"] = real
    sel.to_csv(copy / "selection.csv", index=False)
    text, _ = _text(build_report(copy))
    assert "GLCM joint maximum (2D, merged) original_glcm_joint_max_2d_comb GYBY" in text
    assert (
        "2D shape: max concavity depth original_morphology_2d_concavity_max_depth not in IBSI"
        in text
    )
    assert "Intensity percentile 10 original_statistics_p10 QG58" in text
    assert f"{readable_name(real[3])} {real[3]} QCDE" in text
    # a column that is no radiomix feature keeps its name, without an IBSI code
    other = str(sel.loc[sel.index[sel["model"] == "lr_l2_mrmr"][len(real)], "feature"])
    assert f"{other} {other} -" in text


# ------------------------------------------------------------------ the operating point


def _on_curve(x: float, y: float, fpr: np.ndarray, tpr: np.ndarray) -> bool:
    return bool(np.any(np.isclose(fpr, x, atol=1e-12) & np.isclose(tpr, y, atol=1e-12)))


def _fold_threshold_frame() -> pd.DataFrame:
    """Two folds whose thresholds differ: the calls are not one threshold on the pooled scores."""
    rng = np.random.default_rng(3)
    rows = []
    for fold, (shift, t) in enumerate([(0.0, 0.5), (0.3, 0.75)]):
        y = np.r_[np.ones(15), np.zeros(15)].astype(int)
        p = np.clip(0.35 + 0.3 * y + shift + rng.normal(0, 0.12, y.size), 0.01, 0.99)
        rows.append(
            pd.DataFrame(
                {
                    "y": y,
                    "probability": p,
                    "threshold": t,
                    "predicted": (p >= t).astype(int),
                    "repeat": 0,
                    "fold": fold,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_operating_point_lies_on_the_plotted_curve():
    frame = _fold_threshold_frame()
    fig = plots.plot_roc(frame, "m", {"m": {"auc": 0.8}}, n_boot=0)
    ax = fig.axes[0]
    point = next(line for line in ax.get_lines() if line.get_gid() == "operating-point")
    curve = next(line for line in ax.get_lines() if line.get_gid() == "operating-curve")
    (x,), (y,) = point.get_xdata(), point.get_ydata()
    assert _on_curve(x, y, np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata()))
    # it is the point of the recorded calls (what the confusion matrix counts)
    d, t = frame["predicted"].to_numpy(), frame["y"].to_numpy()
    assert x == pytest.approx(d[t == 0].mean()) and y == pytest.approx(d[t == 1].mean())
    # and here, with the folds' thresholds apart, it is off the pooled probability curve:
    # plotting it there (as before) would have put it beside the curve it belongs to
    fpr, tpr = plots.roc_points(t, frame["probability"].to_numpy())
    assert not _on_curve(x, y, fpr, tpr)


def test_operating_point_is_on_the_pooled_curve_when_folds_agree(small_run):
    _, _, run = small_run
    pred = pd.read_csv(run / "predictions.csv")
    frame = pred[pred["model"] == "lr_l2_mrmr"].copy()
    frame["threshold"] = 0.4
    frame["predicted"] = (frame["probability"] >= 0.4).astype(int)
    x, y, cf, ct = plots.operating_point(frame)
    med = plots.median_repeat(frame)
    fpr, tpr = plots.roc_points(med["y"].to_numpy(), med["probability"].to_numpy())
    assert _on_curve(x, y, fpr, tpr) and _on_curve(x, y, cf, ct)


# ------------------------------------------------------------------ a comparator that fails


def test_failed_models_flags_constant_predictions_and_one_class_calls():
    rng = np.random.default_rng(0)
    n = 40
    base = pd.DataFrame(
        {
            "repeat": np.repeat([0, 1], n),
            "fold": np.tile(np.arange(n) % 4, 2),
            "y": np.tile(np.arange(n) % 2, 2),
        }
    )
    good = base.assign(model="good", probability=rng.uniform(size=2 * n))
    good["predicted"] = (good["probability"] > 0.5).astype(int)
    constant = base.assign(model="constant", probability=0.3 + 0.01 * base["fold"], predicted=1)
    # near-constant: a spread of 1e-5 within each fold is no ranking either
    jitter = rng.uniform(0, 1e-5, size=2 * n)
    nearly = base.assign(model="nearly", probability=0.3 + 0.01 * base["fold"] + jitter)
    nearly["predicted"] = (nearly["probability"] > 0.315).astype(int)
    one_class = base.assign(model="one_class", probability=rng.uniform(size=2 * n), predicted=0)
    out = failed_models(pd.concat([good, constant, nearly, one_class], ignore_index=True))
    assert set(out) == {"constant", "nearly", "one_class"}
    assert "8 of 8 outer test folds" in out["constant"]
    assert "called every case negative" in out["one_class"]


def test_report_flags_a_failed_comparator_instead_of_listing_it(small_run, tmp_path):
    _, _, run = small_run
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    pred = pd.read_csv(copy / "predictions.csv")
    rf = pred["model"] == "random_forest"
    # what gradient boosting does on a tiny cohort: one constant per fold
    pred.loc[rf, "probability"] = 0.4 + 0.01 * pred.loc[rf, "fold"]
    pred.to_csv(copy / "predictions.csv", index=False)
    text, _ = _text(build_report(copy))
    assert "random_forest failed: its predicted probability was the same for every case" in text
    html = (copy / "report.html").read_text()
    row = re.search(r"<tr><td>random_forest</td>(.*?)</tr>", html)
    assert row is not None and "failed:" in row.group(1) and "[" not in row.group(1)
    # the healthy comparator is still reported
    assert re.search(r"<tr><td>shape_only_lr</td><td>0\.\d{3} <span", html)


# ------------------------------------------------------------------ a BUSI-like run


@pytest.fixture(scope="module")
def busi_like(small_run, tmp_path_factory):
    """The synthetic run dressed as a BUSI study: cohort summary, manifest with images."""
    from radiomix.extraction.settings import load_config, settings_to_yaml

    _, _, run = small_run
    root = tmp_path_factory.mktemp("busi-like")
    copy = root / "run"
    shutil.copytree(run, copy)
    metrics = json.loads((copy / "metrics.json").read_text())
    pred = pd.read_csv(copy / "predictions.csv")
    cases = pred.drop_duplicates("case_id")[["case_id", "y"]]
    (copy / "cohort").mkdir()
    images = root / "images"
    images.mkdir()
    rows = []
    yy, xx = np.mgrid[:60, :80]
    for i, r in enumerate(cases.itertuples()):
        img = ((xx * 3 + yy * 2 + i) % 255).astype(np.uint8)
        mask = (((xx - 40) / (12 + i % 7)) ** 2 + ((yy - 30) / 10) ** 2 <= 1).astype(np.uint8)
        Image.fromarray(img).save(images / f"{r.case_id}.png")
        Image.fromarray(mask * 255).save(images / f"{r.case_id}_mask.png")
        rows.append(
            {
                "case_id": r.case_id,
                "image": str(images / f"{r.case_id}.png"),
                "mask": str(images / f"{r.case_id}_mask.png"),
                "outcome": r.y,
            }
        )
    pd.DataFrame(rows).to_csv(copy / "cohort" / "manifest.csv", index=False)
    n, n_pos = metrics["study"]["n_cases"], metrics["study"]["n_positive"]
    summary = {
        "data": str(root / "busi"),
        "task": {"positive": "malignant", "negative": "benign"},
        "mask_policy": "merge",
        "images_found": {"benign": n - n_pos + 3, "malignant": n_pos, "normal": 5},
        "included": {"malignant": n_pos, "benign": n - n_pos},
        "n_included": n,
        "n_groups": metrics["study"]["n_groups"] or n,
        "masks": {"images_with_several_masks": 2, "masks_combined": 5},
        "exclusion_counts": {"class outside the task": 5, "conflicting duplicate cluster": 3},
        "duplicates": {
            "phash_threshold": 10,
            "n_pairs": 9,
            "n_clusters": 4,
            "n_cases_in_clusters": 11,
        },
        "conflicting_clusters_dropped": [{"group": "g9", "members": ["a", "b", "c"]}],
    }
    (copy / "cohort" / "cohort_summary.json").write_text(json.dumps(summary))
    (copy / "study.json").write_text(
        json.dumps(
            {
                "task": "malignant vs benign breast ultrasound lesions",
                "small_cohort_settings": [
                    "3 inner folds, so that each inner test fold holds a few cases"
                ],
            }
        )
    )
    (copy / "settings.yaml").write_text(settings_to_yaml(load_config("ultrasound-2d")))
    return copy, build_report(copy)


def test_busi_report_states_task_data_cohort_flow_and_extraction(busi_like):
    run, report = busi_like
    metrics = json.loads((run / "metrics.json").read_text())
    n = metrics["study"]["n_cases"]
    _, parts = _text(report)
    assert parts["task"].startswith("Task: malignant vs benign breast ultrasound lesions")
    assert "1 = malignant, 0 = benign" in parts["task"]
    assert str(run.parent / "busi") in parts["data"]
    flow = parts["cohort-flow"]
    total = n + 3 + 5
    assert f"{total} images read ({n - metrics['study']['n_positive'] + 3} benign" in flow
    assert "2 images had several masks (5 masks)" in flow
    assert "Excluded 8 (class outside the task: 5; conflicting duplicate cluster: 3)" in flow
    assert "9 pairs of copies, joined into 4 clusters holding 11 images" in flow
    assert (
        "each cluster became one group" in flow
        and "1 cluster whose copies carry both labels was dropped" in flow
    )
    assert f"{n} images" in flow and "entered the study" in flow
    ext = parts["extraction"]
    assert "ultrasound-2d extraction preset" in ext and "32 grey-level bins" in ext
    assert "Settings adapted to the small cohort: 3 inner folds" in parts["small-cohort"]


def test_busi_report_shows_example_images_most_confident_errors_first(busi_like):
    run, report = busi_like
    html = report.read_text()
    assert "id='fig-examples'" in html and "Example images" in html
    assert (run / "figures" / "examples.png").stat().st_size > 5000
    from radiomix.report.findings import example_cases

    pred = pd.read_csv(run / "predictions.csv")
    manifest = pd.read_csv(run / "cohort" / "manifest.csv")
    cases = example_cases(pred[pred["model"] == "lr_l2_mrmr"], manifest, "malignant", "benign")
    wrong = [c for c in cases if not c["correct"]]
    right = [c for c in cases if c["correct"]]
    assert wrong and right and cases[: len(wrong)] == wrong  # errors first
    margin = [(2 * c["y"] - 1) * (c["probability"] - c["threshold"]) for c in wrong]
    assert margin == sorted(margin) and all(m < 0 for m in margin)  # most confident first
    assert all(c["title"].splitlines()[-1].endswith("WRONG") for c in wrong)
    # the confusion matrix's median repeat: every error of it is a candidate
    med = plots.median_repeat(pred[pred["model"] == "lr_l2_mrmr"])
    n_err = int((med["predicted"] != med["y"]).sum())
    assert len(wrong) == min(8, n_err)


# ------------------------------------------------------------------ the conclusion's logic


def _metrics(auc_ci, perm_auc, perm_p, delta, delong_p, n_perm=10):
    return {
        "primary": {"model": "lr_l2_mrmr"},
        "models": {
            "lr_l2_mrmr": {"auc": sum(auc_ci) / 2, "auc_ci": list(auc_ci)},
            "shape_only_lr": {"auc": sum(auc_ci) / 2 - delta, "auc_ci": list(auc_ci)},
        },
        "comparison": {
            "shape_only_lr": {
                "delta_auc": delta,
                "delong_p_median": delong_p,
                "corrected_t_p_holm": 0.5,
            }
        },
        "permutation": {
            "auc": perm_auc,
            "auc_max": perm_auc + 0.05,
            "p_value": perm_p,
            "n_permutations": n_perm,
        },
        "study": {"group": "group", "repeats": 5},
    }


def _claim(metrics, failed=None):
    from radiomix.report.findings import conclusion

    return " ".join(conclusion(metrics, failed or {}, "malignant", "benign"))


def test_conclusion_claims_what_the_numbers_allow():
    # the full BUSI set: narrow interval far above 0.5, no permuted run reaches it (10 of them)
    text = _claim(_metrics((0.964, 0.989), 0.49, 1 / 11, -0.009, 0.14))
    assert "better than chance, with an AUC plausibly between 0.964 and 0.989" in text
    assert "but not better than the lesion outline's shape alone" in text
    assert "cannot give a p below 0.091" in text
    # the permuted labels reach the observed AUC: no claim, whatever the interval
    text = _claim(_metrics((0.6, 0.8), 0.5, 0.3, 0.0, 0.9))
    assert "nothing about performance" in text and "as high as the observed one" in text
    # permuted labels far above 0.5: leakage, no claim
    text = _claim(_metrics((0.9, 0.99), 0.72, 1 / 11, 0.0, 0.9))
    assert "leaking" in text and "nothing about performance" in text
    # a significant paired difference either way is said in words
    assert "The primary model is better than the shape-only baseline." in _claim(
        _metrics((0.9, 0.99), 0.5, 0.01, 0.05, 0.01, n_perm=99)
    )
    text = _claim(_metrics((0.7, 0.8), 0.5, 0.01, -0.1, 0.001, n_perm=99))
    assert "The shape-only baseline is better than the primary model" in text
    assert "but worse than the lesion outline's shape alone" in text
    # an interval that reaches 0.5
    assert "nothing about performance" in _claim(_metrics((0.45, 0.75), 0.5, 0.2, 0.0, 0.9))
    # a failed primary model is not a result at all
    text = _claim(
        _metrics((0.9, 0.99), 0.5, 0.01, 0.0, 0.9), {"lr_l2_mrmr": "it called every case negative"}
    )
    assert "failed: it called every case negative" in text and "plausibly" not in text
    # a failed baseline cannot be compared with
    text = _claim(_metrics((0.9, 0.99), 0.5, 0.01, 0.0, 0.9), {"shape_only_lr": "constant"})
    assert "could not be compared" in text and "Primary minus baseline" not in text


@pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium at /usr/bin/chromium"
)
def test_busi_report_renders_with_its_example_images_in_chromium(busi_like):
    from tests.report.conftest import render_in_chromium

    _, report = busi_like
    seen = render_in_chromium(report)
    state = seen["images"]
    assert len(state) == 11 and all(  # 8 study figures, 2 explanations, 1 example sheet
        s["complete"] and s["width"] > 0 for s in state
    ), state
    assert seen["headings"][0] == "What this study found"
    assert seen["task"].startswith("Task: malignant vs benign breast ultrasound lesions")
