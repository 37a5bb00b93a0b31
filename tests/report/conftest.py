"""Fixtures of the report tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.learn.runs import make_run


def render_in_chromium(report: Path) -> dict[str, Any]:
    """Open ``report`` in Debian's headless Chromium (Playwright) and read what a reader
    sees: every image's load state and size, the title, the section headings and the text
    of the task paragraph (``#task``, None when absent). Skips without Chromium."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(report.resolve().as_uri(), wait_until="load")
            return {
                "images": page.evaluate(
                    "() => Array.from(document.images).map(i => "
                    "({complete: i.complete, width: i.naturalWidth, height: i.naturalHeight}))"
                ),
                "title": page.title(),
                "headings": page.eval_on_selector_all("h2", "els => els.map(e => e.textContent)"),
                "task": page.evaluate(
                    "() => { const e = document.querySelector('#task'); "
                    "return e ? e.innerText : null; }"
                ),
            }
        finally:
            browser.close()


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """(StudyResult, SyntheticTable, run directory) of the fast synthetic study."""
    return make_run(tmp_path_factory.mktemp("report-run"))
