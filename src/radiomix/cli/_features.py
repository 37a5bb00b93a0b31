"""``radiomix features``: list every registered feature with its IBSI code and tag.

``--profile pyradiomics`` lists the ``pyradiomics`` profile's features instead
(:data:`radiomix.features.pyradiomics_profile.FEATURES`): PyRadiomics' class, feature
name and output column, with the IBSI code where PyRadiomics' definition is the IBSI one.
"""

from __future__ import annotations

import argparse

from radiomix.errors import ConfigError
from radiomix.extraction.settings import PROFILES, PYRADIOMICS_CLASSES
from radiomix.features import FAMILIES, family_module

#: ``--family`` values: the engine's families, then PyRadiomics' classes it does not share
_CHOICES = (*FAMILIES, *(c for c in PYRADIOMICS_CLASSES if c not in FAMILIES))


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "features",
        help="list the features radiomix computes, with IBSI codes and reference tags",
    )
    p.add_argument(
        "--family",
        choices=_CHOICES,
        action="append",
        help="only this family (with --profile pyradiomics: this PyRadiomics class)",
    )
    p.add_argument(
        "--profile",
        choices=PROFILES,
        default="ibsi",
        help="whose definitions: ibsi (default) or pyradiomics (PyRadiomics 3.0.1's classes, "
        "feature names and column names)",
    )
    p.add_argument("--doc", action="store_true", help="print each feature's definition too")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.profile == "pyradiomics":
        return _run_pyradiomics(args)
    wrong = [f for f in args.family or () if f not in FAMILIES]
    if wrong:
        raise ConfigError(
            f"--family {wrong[0]}: a PyRadiomics class, not a family of the ibsi profile; add "
            f"--profile pyradiomics, or choose among {', '.join(FAMILIES)}"
        )
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


def _run_pyradiomics(args: argparse.Namespace) -> int:
    """The profile's classes: ``CODE  Feature  original_<class>_<Feature>`` per feature.

    The column shown is the ``Original`` image's; a filtered image type replaces
    ``original`` by its prefix (``log-sigma-1-0-mm-3D``, ``wavelet-LLH``, ...). ``----``:
    no IBSI code (PyRadiomics' definition differs from IBSI's, or IBSI has no such
    feature; ``--doc`` says which).
    """
    from radiomix.features import pyradiomics_profile as prof

    classes = args.family or list(prof.FEATURES)
    wrong = [c for c in classes if c not in prof.FEATURES]
    if wrong:
        raise ConfigError(
            f"--family {wrong[0]} is not a PyRadiomics class of the pyradiomics profile; "
            f"classes: {', '.join(prof.FEATURES)}"
        )
    for cls in classes:
        print(f"{cls}  (PyRadiomics 3.0.1 class; {prof.__name__})")
        specs = prof.FEATURES[cls]
        # the classes folded into the engine name one formula per feature; the others
        # (shape, shape2D) one function for the class
        per_feature = len({s.compute for s in specs}) > 1
        if args.doc and specs and not per_feature:
            for line in specs[0].doc.splitlines():
                print(f"        {line}")
        for spec in specs:
            code = spec.ibsi_code or "----"
            flag = "" if spec.ibsi_code else "  [not in IBSI as defined]"
            if spec.name not in prof.default_features(cls):
                flag += "  [deprecated in PyRadiomics: computed only when named]"
            print(f"  {code}  {spec.name:<36} original_{cls}_{spec.name}{flag}")
            if args.doc and per_feature:
                fn = spec.compute
                print(f"        {fn.__module__}.{fn.__name__}")
                for line in spec.doc.splitlines():
                    print(f"        {line}")
            if args.doc and spec.note:
                print(f"        {spec.note}")
    return 0
