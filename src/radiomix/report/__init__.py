"""Figures and the HTML report of a study run directory (``radiomix report``)."""

from __future__ import annotations

from radiomix.report.html import RunData, build_report, load_run

__all__ = ["RunData", "build_report", "load_run"]
