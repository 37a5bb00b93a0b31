"""Pieces of the report pages: the style sheet, numbers, tables, embedded figures, the
sections every report has and the page itself (one place for the two-class report, the
task reports and the sites section)."""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from radiomix._outputs import atomic_write_text

__all__ = [
    "CSS",
    "ci",
    "external_section",
    "final_model_rows",
    "fmt",
    "img",
    "permutation_section",
    "table",
    "write_page",
]


CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;
color:#1d2733;line-height:1.45;padding:0 1em}
h1{font-size:1.6em;margin-bottom:0.2em} h2{border-bottom:2px solid #1f5fa8;padding-bottom:3px;margin-top:1.8em}
table{border-collapse:collapse;margin:0.6em 0;font-size:0.92em} th,td{border:1px solid #c9d1da;padding:4px 9px;text-align:left}
th{background:#eef3f8} .ci{color:#5a6775;font-size:0.9em} .muted{color:#5a6775}
.figs{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start} figure{margin:0;flex:1 1 460px;max-width:540px}
figure.wide{max-width:100%;flex-basis:100%} figure img{width:100%;height:auto;border:1px solid #e3e8ee}
figcaption{font-size:0.85em;color:#5a6775}
pre{background:#f5f7f9;padding:0.8em;overflow-x:auto;font-size:0.85em}
.warn{background:#fff4e5;border-left:4px solid #d9731a;padding:0.5em 0.8em}
.found{background:#f2f6fb;border-left:4px solid #1f5fa8;padding:0.3em 1em;margin:0.8em 0}
.found p{margin:0.45em 0} code{font-size:0.88em;color:#3a4654}
table.checklist td{vertical-align:top} table.checklist td:first-child{white-space:nowrap}
tr.ck-answered td:nth-child(3){color:#1d6b2f}
tr.ck-not-done td:nth-child(3){color:#a15c00} tr.ck-not-applicable td:nth-child(3){color:#5a6775}
"""


def table(header: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table class='{cls}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def img(name: str, data: bytes, caption: str) -> str:
    b64 = base64.b64encode(data).decode("ascii")
    wide = " class='wide'" if name in ("selection", "examples") else ""
    return (
        f"<figure id='fig-{name}'{wide}><img alt='{html.escape(caption)}' "
        f"src='data:image/png;base64,{b64}'><figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def fmt(v: Any, digits: int = 3) -> str:
    """A value as the report shows it: '-' for a missing or undefined number."""
    if v is None:
        return "-"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "-"
        return f"{v:.{digits}f}"
    return html.escape(str(v))


def ci(m: Mapping[str, Any], key: str, digits: int = 3) -> str:
    """A metric with its interval (``key`` and ``key_ci`` of a summary)."""
    bounds = m.get(f"{key}_ci")
    if not bounds or bounds[0] is None:
        return fmt(m.get(key), digits)
    return (
        f"{fmt(m.get(key), digits)} <span class='ci'>[{fmt(bounds[0], digits)}, "
        f"{fmt(bounds[1], digits)}]</span>"
    )


def final_model_rows(pm: Mapping[str, Any]) -> list[list[str]]:
    """The metric table's rows on the final model: the family the folds and the final fit
    chose (``auto``), its hyper-parameters and the features it uses."""
    final = pm.get("final") or {}
    rows = []
    if pm.get("family_counts"):  # a model choosing among families inside the folds (auto)
        chosen = ", ".join(f"{k} {n}x" for k, n in pm["family_counts"].items())
        rows.append(["family chosen by the outer folds' inner loops", html.escape(chosen)])
        rows.append(["final model: family", html.escape(str(final.get("family", "")))])
    rows.append(
        ["final model: hyper-parameters", html.escape(json.dumps(final.get("best_params", {})))]
    )
    rows.append(["final model: features used", fmt(final.get("n_features_used"))])
    return rows


def permutation_section(
    perm: Mapping[str, Any], key: str, label: str, image: tuple[bytes, str]
) -> str:
    """The label-permutation check: the median null headline (``key``, named ``label``),
    the permutations, the p-value and the figure."""
    return (
        f"<h2 id='permutation'>Label-permutation check</h2><p>Median null {label} "
        f"{fmt(perm.get(key))} over {fmt(perm.get('n_permutations'))} permutations "
        f"(p = {fmt(perm.get('p_value'), 3)}).</p><div class='figs'>"
        + img("permutation", *image)
        + "</div>"
    )


def external_section(
    external: Mapping[str, Mapping[str, Any]],
    header: Sequence[str],
    cells: Callable[[Mapping[str, Any]], list[str]],
) -> str:
    """The external validations of a run: per evaluation its name, table and ``cells`` of
    its primary model's summary (``header`` names them), with the sites' and categories'
    notes ('' without any)."""
    from radiomix.report import sites

    if not external:
        return ""
    rows = [
        [
            html.escape(name),
            html.escape(str(em.get("study", {}).get("table", ""))),
            *cells(em.get("primary", {})),
        ]
        for name, em in external.items()
    ]
    return (
        "<h2 id='external'>External validation (frozen model)</h2>"
        + table(["evaluation", "table", *header], rows)
        + "".join(sites.external_sites_note(em) for em in external.values())
        + "".join(sites.external_categories_note(em) for em in external.values())
    )


def write_page(run: Any, parts: list[str], title: str, out_path: Path) -> Path:
    """Write the report: its sections, the TRIPOD+AI / CLEAR checklist before the settings
    (the last section), one self-contained HTML file."""
    from radiomix.report import checklist

    parts.insert(-1, checklist.checklist_section(run, parts, out_path))
    doc = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>radiomix report: {title}</title><style>{CSS}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>\n"
    )
    atomic_write_text(out_path, doc)
    return out_path
