"""``radiomix features``: list every registered feature with its IBSI code and tag."""

from __future__ import annotations

import argparse

from radiomix.features import FAMILIES, family_module


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "features",
        help="list the features radiomix computes, with IBSI codes and reference tags",
    )
    p.add_argument("--family", choices=FAMILIES, action="append", help="only this family")
    p.add_argument("--doc", action="store_true", help="print each feature's definition too")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for fam in args.family or FAMILIES:
        mod = family_module(fam)
        print(f"{fam}  ({mod.__name__})")
        for spec in mod.FEATURES:
            code = spec.ibsi_code or "----"
            flag = "" if spec.ibsi_compliant else "  [not IBSI-standardised]"
            print(f"  {code}  {spec.ibsi_tag:<26} {spec.compute.__name__}{flag}")
            if args.doc:
                for line in spec.doc.splitlines():
                    print(f"        {line}")
    return 0
