"""``radiomix ibsi-check --data DIR``: verify this installation against IBSI reference values."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from functools import partial

from radiomix.extraction.ibsi_check import (
    IBSI1_CASES,
    IBSI2_PHASE1_TESTS,
    IBSI2_PHASE2_CASES,
    CheckResult,
    run_ibsi1_case,
    run_ibsi2_phase1,
    run_ibsi2_phase2_case,
)

_SUITES = ("all", "ibsi1", "ibsi2", "ibsi2-phase1", "ibsi2-phase2")


def _cases() -> dict[str, tuple[str, Callable[[str], CheckResult]]]:
    """Configuration name -> (suite, runner taking the data folder)."""
    out: dict[str, tuple[str, Callable[[str], CheckResult]]] = {}
    for c in IBSI1_CASES:
        out[c] = ("ibsi1", partial(run_ibsi1_case, config=c))
    for t in IBSI2_PHASE1_TESTS:
        out[f"ibsi2-{t}"] = ("ibsi2-phase1", partial(run_ibsi2_phase1, test=t))
    for conf, preset in IBSI2_PHASE2_CASES.items():
        out[preset] = ("ibsi2-phase2", partial(run_ibsi2_phase2_case, configuration=conf))
    return out


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ibsi-check",
        help="compare features and filters with the IBSI 1 and IBSI 2 reference values",
        description=(
            "Runs the IBSI reference cases from DIR (laid out like the IBSI data folder): "
            "IBSI 1 (digital phantom, CT phantom configurations A-E), IBSI 2 phase 1 (30 "
            "response maps of the digital phantoms, 0.001 per voxel) and IBSI 2 phase 2 "
            "(intensity statistics of filtered CT phantom images, configurations 1.A-9.B). "
            "Prints, per configuration and family, how many values match the reference "
            "within tolerance. Exit status 1 on any mismatch."
        ),
    )
    p.add_argument("--data", required=True, help="folder holding the IBSI phantoms and tables")
    p.add_argument(
        "--suite",
        choices=_SUITES,
        default="all",
        help="which reference cases to run (default: all)",
    )
    p.add_argument(
        "--config",
        action="append",
        choices=list(_cases()),
        metavar="CONFIG",
        help="run only this configuration (repeatable): ibsi1-phantom, ibsi1-A ... ibsi1-E, "
        "ibsi2-1A1 ... ibsi2-8A3, ibsi2-phase2-1A ... ibsi2-phase2-9B",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cases = _cases()
    if args.config:
        names = list(args.config)
    else:
        names = [
            n
            for n, (suite, _) in cases.items()
            if args.suite == "all" or suite == args.suite or suite.startswith(args.suite + "-")
        ]
    results = [cases[n][1](args.data) for n in names]
    ok = all(r.ok for r in results)
    if args.json:
        print(json.dumps({"ok": ok, "results": [r.to_dict() for r in results]}, indent=2))
        return 0 if ok else 1
    for r in results:
        matched = sum(m for m, _ in r.counts.values())
        total = sum(t for _, t in r.counts.values())
        unit = "voxels" if "response_map" in r.counts else "values"
        print(f"{r.config}: {matched}/{total} {unit} match")
        if r.error:
            print(f"    ERROR {r.error}")
        for fam, (m, t) in r.counts.items():
            flag = "" if m == t else "   <-- mismatches"
            print(f"  {fam:<16} {m:>4}/{t:<4}{flag}")
        for mm in r.mismatches:
            got = "not computed" if mm.value is None else f"{mm.value:.6g}"
            print(f"    MISMATCH {mm.tag}: {got} (reference {mm.reference:g} +- {mm.tolerance:g})")
    print("all values match" if ok else "some values do not match the IBSI reference")
    return 0 if ok else 1
