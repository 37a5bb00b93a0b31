"""``radiomix ibsi-check --data DIR``: verify this installation against IBSI reference values."""

from __future__ import annotations

import argparse
import json

from radiomix.extraction.ibsi_check import IBSI1_CASES, run_ibsi1_case


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ibsi-check",
        help="compare features of the IBSI reference phantoms with the published values",
        description=(
            "Runs the IBSI 1 digital phantom and the CT phantom configurations A-E from DIR "
            "(laid out like the IBSI data folder) and prints, per configuration and family, "
            "how many values match the reference within tolerance. Exit status 1 on any "
            "mismatch."
        ),
    )
    p.add_argument("--data", required=True, help="folder holding the IBSI phantoms and tables")
    p.add_argument(
        "--config",
        action="append",
        choices=sorted(IBSI1_CASES),
        help="run only this configuration (repeatable)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    configs = args.config or list(IBSI1_CASES)
    results = [run_ibsi1_case(args.data, c) for c in configs]
    ok = all(r.ok for r in results)
    if args.json:
        print(json.dumps({"ok": ok, "results": [r.to_dict() for r in results]}, indent=2))
        return 0 if ok else 1
    for r in results:
        matched = sum(m for m, _ in r.counts.values())
        total = sum(t for _, t in r.counts.values())
        print(f"{r.config}: {matched}/{total} values match")
        for fam, (m, t) in r.counts.items():
            flag = "" if m == t else "   <-- mismatches"
            print(f"  {fam:<16} {m:>4}/{t:<4}{flag}")
        for mm in r.mismatches:
            got = "not computed" if mm.value is None else f"{mm.value:.6g}"
            print(f"    MISMATCH {mm.tag}: {got} (reference {mm.reference:g} +- {mm.tolerance:g})")
    print("all values match" if ok else "some values do not match the IBSI reference")
    return 0 if ok else 1
