"""The TRIPOD+AI / CLEAR checklist of the reports: every item filled from the run, links that
land on the page's sections, items that follow the options, checklist.csv beside the report."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from radiomix.learn.external import evaluate_external
from radiomix.learn.study import run_study
from radiomix.learn.synthetic import make_regression_table
from radiomix.report import build_report
from radiomix.report.checklist import (
    ANSWERED,
    ITEMS,
    NOT_APPLICABLE,
    NOT_DONE,
    page_anchors,
)
from tests.learn.runs import synthetic

STATUSES = {ANSWERED, NOT_APPLICABLE, NOT_DONE}

#: tiny studies: one repeat of 3 x 3 folds, no permutations, 100 bootstrap resamples
TINY: dict[str, Any] = {"outer_folds": 3, "inner_folds": 3, "repeats": 1, "permutations": 0}
TINY["bootstrap"] = 100
TINY["n_jobs"] = 1

BINARY = {
    "name": "checklist-binary",
    "primary": "lr_l2_mrmr",
    "comparators": ["shape_only_lr"],
    "validation": TINY,
    "models": [
        {"name": "lr_l2_mrmr", "grid": {"select__k": [3], "clf__C": [1.0]}},
        {"name": "shape_only_lr", "grid": {"clf__C": [1.0]}},
    ],
}

REGRESSION = {
    "name": "checklist-regression",
    "task": "regression",
    "primary": "ridge_mrmr",
    "comparators": [],
    "validation": TINY,
    "models": [{"name": "ridge_mrmr", "grid": {"select__k": [3], "clf__alpha": [1.0]}}],
}


def checklist_rows(page: str) -> dict[str, tuple[str, str]]:
    """item -> (status, link target or "") read from the checklist table of a page."""
    section = page.split("<h2 id='checklist'>", 1)[1].split("</table>", 1)[0]
    rows = {}
    for tr in re.findall(r"<tr class='ck-[^']*' id='ck-([^']+)'>(.*?)</tr>", section):
        cells = re.findall(r"<td>(.*?)</td>", tr[1])
        link = re.search(r"href='#([^']+)'", cells[3])
        rows[tr[0]] = (cells[2], link.group(1) if link else "")
    return rows


def check_report(report: Path) -> tuple[dict[str, tuple[str, str]], pd.DataFrame]:
    """The checklist section is there, every item has a status, every link lands on an
    anchor of the page, and checklist.csv beside the report says the same."""
    page = report.read_text(encoding="utf-8")
    assert "<h2 id='checklist'>Reporting checklist (TRIPOD+AI, CLEAR)</h2>" in page
    # near the end: after the model comparison, before the settings
    assert (
        page.index("id='comparison'") < page.index("id='checklist'") < page.index("id='settings'")
    )
    rows = checklist_rows(page)
    assert list(rows) == [i.id for i in ITEMS]
    anchors = page_anchors(page)
    for item, (status, target) in rows.items():
        assert status in STATUSES, item
        assert (status == ANSWERED) == bool(target), item
        if target:
            assert target in anchors, (item, target)
    csv = pd.read_csv(report.parent / "checklist.csv", keep_default_na=False)
    assert list(csv.columns) == ["item", "standard", "number", "topic", "status", "where", "note"]
    assert csv["item"].tolist() == list(rows)
    assert csv["status"].tolist() == [s for s, _ in rows.values()]
    assert csv["where"].tolist() == [f"{report.name}#{t}" if t else "" for _, t in rows.values()]
    assert (csv["note"] != "").all()
    assert not csv["note"].str.contains("<").any()  # plain text, not HTML
    return rows, csv


def status(rows: dict[str, tuple[str, str]], item: str) -> str:
    return rows[item][0]


def test_the_item_tables():
    by_std = Counter(i.standard for i in ITEMS)
    assert by_std["CLEAR"] == 58
    assert [i.number for i in ITEMS if i.standard == "CLEAR"] == [str(n) for n in range(1, 59)]
    tripod = [i.number for i in ITEMS if i.standard == "TRIPOD+AI"]
    assert {re.match(r"\d+", n).group() for n in tripod} == {str(n) for n in range(1, 28)}  # type: ignore[union-attr]
    assert len({i.id for i in ITEMS}) == len(ITEMS)


@pytest.fixture(scope="module")
def binary_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("checklist-binary")
    synth = synthetic(0, n_cases=60)
    synth.table.to_csv(root / "table.csv", index=False)
    run_study(root / "table.csv", BINARY, label="diagnosis", out=root / "run")
    return root


def test_two_class_report(binary_run):
    rows, csv = check_report(build_report(binary_run / "run"))
    assert status(rows, "TRIPOD-AI-11") == ANSWERED  # missing data: imputation inside folds
    note = csv.set_index("item")["note"]
    assert "median imputation fitted inside every training fold" in note["TRIPOD-AI-11"]
    assert "60 cases: 24 malignant, 36 benign" in note["TRIPOD-AI-10"]
    assert "top-k selection fitted inside every training fold" in note["CLEAR-33"]
    assert "inner loop of the nested cross-validation" in note["TRIPOD-AI-12c"]
    assert "1 repeats x 3 outer x 3 inner folds" in note["TRIPOD-AI-12a"]
    assert "DeLong" in note["CLEAR-41"] and "shape_only_lr" in note["CLEAR-41"]
    assert "scikit-learn" in note["TRIPOD-AI-18f"]
    assert "SHA-256" in note["CLEAR-54"]  # the data fingerprint of metrics.json
    assert rows["TRIPOD-AI-12e"][1] == "performance" and "calibration" in note["TRIPOD-AI-12e"]
    # options that were not used
    assert status(rows, "CLEAR-36") == NOT_DONE and "--harmonise" in note["CLEAR-36"]
    assert status(rows, "TRIPOD-AI-12g") == NOT_APPLICABLE  # no external evaluation
    assert status(rows, "CLEAR-17") == NOT_APPLICABLE  # no clinical variables
    assert status(rows, "TRIPOD-AI-17") == NOT_DONE  # ethics: the paper says it
    assert status(rows, "TRIPOD-AI-13") == ANSWERED  # class imbalance


def test_an_external_evaluation_answers_the_evaluation_items(binary_run, tmp_path):
    run = shutil.copytree(binary_run / "run", tmp_path / "run")
    ext = synthetic(1, n_cases=40)
    evaluate_external(run, ext.table, "diagnosis", n_boot=100, out=run / "external-b")
    rows, _ = check_report(build_report(run, tmp_path / "out" / "report.html"))
    assert (tmp_path / "out" / "checklist.csv").is_file()
    for item in ("TRIPOD-AI-12g", "TRIPOD-AI-16", "TRIPOD-AI-20c"):
        assert rows[item] == (ANSWERED, "external"), item
    assert rows["CLEAR-38"] == (ANSWERED, "external")


def test_harmonisation_and_leave_one_site_out(tmp_path):
    from tests.learn.test_harmonise_wiring import config, site_table

    cfg = config(group="site", harmonise="site", logo=True)
    cfg["validation"]["bootstrap"] = 100
    run_study(site_table(True, n_per_site=20), cfg, out=tmp_path / "run")
    rows, csv = check_report(build_report(tmp_path / "run"))
    assert (
        "leave-one-group-out: each of 4 groups of site"
        in csv.set_index("item").at["TRIPOD-AI-12a", "note"]
    )
    assert rows["CLEAR-36"] == (ANSWERED, "sites")
    note = csv.set_index("item")["note"]
    assert "ComBat" in note["CLEAR-36"] and "training folds" in note["CLEAR-36"]
    assert rows["TRIPOD-AI-23b"] == (ANSWERED, "sites")  # per-site performance
    assert rows["TRIPOD-AI-6a"] == (ANSWERED, "sites") and "4 sites" in note["TRIPOD-AI-6a"]


def test_regression_report(tmp_path):
    synth = make_regression_table(n_cases=60, n_features=20, n_informative=3, random_state=1)
    synth.table.to_csv(tmp_path / "reg.csv", index=False)
    run_study(tmp_path / "reg.csv", REGRESSION, label="volume_change", out=tmp_path / "run")
    rows, csv = check_report(build_report(tmp_path / "run"))
    note = csv.set_index("item")["note"]
    assert status(rows, "TRIPOD-AI-13") == NOT_APPLICABLE  # no classes
    assert rows["TRIPOD-AI-11"] == (ANSWERED, "design")
    assert "60 cases with a numeric outcome" in note["TRIPOD-AI-10"]
    assert rows["CLEAR-41"][0] == NOT_DONE  # no comparator
    assert "task-figures" in page_anchors((tmp_path / "run" / "report.html").read_text())
    assert "observed against predicted" in note["TRIPOD-AI-12e"]


def test_survival_report(tmp_path):
    from radiomix.learn.survival import make_survival_table

    synth = make_survival_table(90, 10, 2, effect=1.0, random_state=1)
    synth.to_csv(tmp_path / "surv.csv", index=False)
    study = {
        "name": "checklist-survival",
        "task": "survival",
        "data": {"time": "time", "event": "event"},
        "primary": "coxnet",
        "comparators": [],
        "validation": TINY,
        "models": [{"name": "coxnet", "grid": {"select__k": [5], "clf__alpha_ratio": [0.1]}}],
    }
    run_study(tmp_path / "surv.csv", study, out=tmp_path / "run")
    rows, csv = check_report(build_report(tmp_path / "run"))
    note = csv.set_index("item")["note"]
    assert re.search(r"90 cases, \d+ events, \d+ censored", note["TRIPOD-AI-10"])
    assert "horizons" in note["TRIPOD-AI-8a"]
    assert rows["TRIPOD-AI-12e"][0] == ANSWERED and "Kaplan-Meier" in note["TRIPOD-AI-12e"]
    assert status(rows, "TRIPOD-AI-13") == NOT_APPLICABLE


def test_multiclass_report(tmp_path):
    from radiomix.learn.synthetic import make_multiclass_table

    synth = make_multiclass_table(n_cases=90, n_informative=4, effect=1.2, random_state=4)
    synth.table.to_csv(tmp_path / "mc.csv", index=False)
    study = {
        "name": "checklist-multiclass",
        "primary": "lr_l2_mrmr",
        "comparators": [],
        "validation": TINY,
        "models": [{"name": "lr_l2_mrmr", "grid": {"select__k": [4], "clf__C": [1.0]}}],
    }
    run_study(tmp_path / "mc.csv", study, label="grade", out=tmp_path / "run")
    rows, csv = check_report(build_report(tmp_path / "run"))
    note = csv.set_index("item")["note"]
    assert rows["TRIPOD-AI-13"] == (ANSWERED, "design") and "by class" in note["TRIPOD-AI-13"]
    assert re.search(r"90 cases \(.+: \d+, .+: \d+", note["TRIPOD-AI-10"])
    assert "per class" in note["TRIPOD-AI-23a"]
