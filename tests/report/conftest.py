"""Fixtures of the report tests."""

from __future__ import annotations

import pytest

from tests.learn.runs import make_run


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """(StudyResult, SyntheticTable, run directory) of the fast synthetic study."""
    return make_run(tmp_path_factory.mktemp("report-run"))
