"""Pieces of the report pages: the style sheet, tables and embedded figures (one place for
the two-class report, the task reports and the sites section)."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

__all__ = ["CSS", "img", "table"]


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
