"""The HTML report: content, figures, and rendering in a real browser (headless Chromium)."""

from __future__ import annotations

import base64
import io
import re

import pytest
from PIL import Image

from radiomix.errors import ModelBundleError
from radiomix.report import build_report
from radiomix.report.html import FIGURES
from tests.report.conftest import render_in_chromium


@pytest.fixture(scope="module")
def report(small_run):
    _, _, run = small_run
    return build_report(run)


def test_report_is_self_contained_with_every_figure(report, small_run):
    _, _, run = small_run
    html = report.read_text(encoding="utf-8")
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", html)
    assert len(images) == len(FIGURES) == 10  # 8 + permutation importance and SHAP
    for b64 in images:
        img = Image.open(io.BytesIO(base64.b64decode(b64)))
        assert img.format == "PNG" and img.width > 200 and img.height > 150
    # nothing is fetched from elsewhere: no external scripts, styles or images
    assert not re.search(r"(src|href)=['\"](?!data:|#)", html)
    for section in (
        "Cohort and design",
        "Primary model: lr_l2_mrmr",
        "Calibration",
        "Feature selection",
        "Model comparison",
        "Label-permutation check",
        "What the model relies on",
        "Settings",
    ):
        assert section in html, section
    for name in FIGURES:
        png = run / "figures" / f"{name}.png"
        assert png.is_file() and png.stat().st_size > 5000, name
    assert "shape_only_lr" in html and "random_forest" in html


def test_report_needs_a_run_directory(tmp_path):
    with pytest.raises(ModelBundleError, match="not a run directory"):
        build_report(tmp_path)


def test_report_renders_every_image_in_chromium(report):
    seen = render_in_chromium(report)
    state = seen["images"]
    assert len(state) == 8
    assert all(s["complete"] and s["width"] > 0 and s["height"] > 0 for s in state), state
    assert seen["title"].startswith("radiomix report")
    assert "Model comparison" in seen["headings"]
