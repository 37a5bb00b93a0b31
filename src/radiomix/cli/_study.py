"""``radiomix study busi --out RUN_DIR``: the BUSI breast-ultrasound study from one command."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from radiomix.cli._checks import ensure_writable_dir
from radiomix.errors import ConfigError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "study",
        help="ready-made studies (busi: breast ultrasound, benign vs malignant)",
        description="Run a ready-made study end to end.",
    )
    studies = p.add_subparsers(dest="study", metavar="STUDY", required=True)
    b = studies.add_parser(
        "busi",
        help="BUSI breast ultrasound: cohort audit, extraction, validated models, report",
        description=(
            "Benign vs malignant on a BUSI-like folder (benign/, malignant/, normal/ with "
            "NAME.png and NAME_mask*.png): reads and audits the cohort (merged masks, "
            "duplicate clusters as groups, conflicting clusters dropped, bad input recorded), "
            "extracts 2D features with the ultrasound-2d preset on all cores, runs repeated "
            "nested group-aware cross-validation of the default model and its comparators, "
            "and writes metrics.json and report.html into RUN_DIR. Data: --data, else the "
            "BUSI_DIR environment variable, else the small sample bundled with radiomix."
        ),
    )
    b.add_argument("--data", help="BUSI-like folder (default: $BUSI_DIR, else the bundled sample)")
    b.add_argument("--out", required=True, help="run directory to write")
    b.add_argument("--config", default="ultrasound-2d", help="extraction preset or YAML")
    b.add_argument("--study", help="study settings YAML merged over the BUSI defaults")
    b.add_argument("--jobs", type=int, help="extraction processes (default: all cores)")
    b.add_argument("--positive", default="malignant", help="class folder of outcome 1")
    b.add_argument("--negative", default="benign", help="class folder of outcome 0")
    b.add_argument(
        "--mask-policy",
        choices=("merge", "largest", "first"),
        default="merge",
        help="several masks of one image: OR (default), largest component, or the first",
    )
    b.add_argument("--peritumoral-px", type=int, help="also extract a ring this wide (pixels)")
    b.add_argument("--repeats", type=int, help="repeats of the outer cross-validation")
    b.add_argument("--permutations", type=int, help="label permutations of the sanity check")
    b.add_argument("--no-report", action="store_true", help="skip report.html")
    b.add_argument("--force", action="store_true", help="overwrite a study in RUN_DIR")
    b.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    b.add_argument(
        "--mlflow",
        metavar="URI",
        help="also log the run to this MLflow tracking store (a folder or file:, sqlite:, "
        "http(s): URI; needs pip install 'radiomix[mlflow]')",
    )
    b.set_defaults(func=run_busi)


def _check_study_yaml(path: Path) -> None:
    """An unreadable ``--study`` file is one line before any work (a YAML syntax error
    names its line and column)."""
    import yaml

    if not path.is_file():
        raise ConfigError(f"study config {path} does not exist")
    try:
        yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read study config {path}: {exc}") from exc


def _check_data(root: Path, what: str, positive: str, negative: str) -> None:
    """The data folder exists and holds both class folders (checked before any work)."""
    if not root.is_dir():
        raise ConfigError(
            f"{what}: data folder {root} does not exist: give the folder that holds "
            f"'{negative}/' and '{positive}/'"
        )
    missing = [c for c in (positive, negative) if not (root / c).is_dir()]
    if missing:
        raise ConfigError(
            f"{what} {root} has no class folder {', '.join(repr(m) for m in missing)}; lay "
            "the data out as DATA/<class>/NAME.png with masks NAME_mask.png, or name the "
            "classes with --positive/--negative"
        )


def run_busi(args: argparse.Namespace) -> int:
    ensure_writable_dir(args.out)  # before the cohort is read: not after minutes of work
    if args.study:
        _check_study_yaml(Path(args.study))
    from radiomix.studies.runner import bundled_sample, run_busi_study

    data = args.data or os.environ.get("BUSI_DIR") or str(bundled_sample())
    source = "--data" if args.data else "BUSI_DIR" if os.environ.get("BUSI_DIR") else "sample"
    _check_data(Path(data), "--data" if args.data else source, args.positive, args.negative)

    def progress(msg: str) -> None:
        if not args.quiet:
            print(f"radiomix study: {msg}", file=sys.stderr, flush=True)

    if source == "sample":
        progress(f"no --data and no BUSI_DIR: using the bundled BUSI sample ({data})")
    rec = run_busi_study(
        data,
        args.out,
        config=args.config,
        study=args.study,
        jobs=args.jobs,
        positive=args.positive,
        negative=args.negative,
        mask_policy=args.mask_policy,
        peritumoral_px=args.peritumoral_px,
        repeats=args.repeats,
        permutations=args.permutations,
        report=not args.no_report,
        overwrite=args.force,
        progress=progress,
    )
    c = rec["cohort"]
    print(
        f"cohort: {c['n_included']} images {c['included']} in {c['n_groups']} groups; "
        f"{rec['n_duplicate_clusters']} duplicate clusters, "
        f"{rec['n_conflicting_clusters_dropped']} conflicting dropped; "
        f"excluded: {c['exclusion_counts']}"
    )
    failed = rec.get("failed_models") or {}
    for name, s in rec["models"].items():
        ci = s["auc_ci"] or [float("nan"), float("nan")]
        tag = " (primary)" if name == rec["primary"]["model"] else ""
        if name in failed:
            print(f"{name}{tag}: failed, not a result: {failed[name]}")
            continue
        print(f"{name}{tag}: AUC {s['auc']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]")
    if rec["permutation_auc"] is not None:
        p = rec.get("permutation_p")
        print(
            f"label permutation: AUC {rec['permutation_auc']:.3f}"
            + (f" (p = {p:.3f})" if p is not None else "")
        )
    if rec.get("small_cohort"):
        print(
            "note: a cohort this small cannot estimate performance (small-cohort settings "
            "used; the report says which)"
        )
    t = rec["timings_s"]
    print(
        f"time: preparation {t['prepare']:.0f} s, extraction {t['extraction']:.0f} s, "
        f"learning {t['learning']:.0f} s, total {t['total']:.0f} s"
    )
    where = rec["report"] or str(Path(rec["run_dir"]) / "metrics.json")
    print(f"report: {where}")
    return 0
