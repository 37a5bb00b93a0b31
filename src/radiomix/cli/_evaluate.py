"""``radiomix evaluate RUN_DIR --external FEATURES --label COLUMN``: external validation."""

from __future__ import annotations

import argparse
from pathlib import Path

from radiomix.cli._checks import ensure_writable_dir
from radiomix.errors import ModelBundleError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="apply a run's frozen models to another cohort (external validation)",
        description=(
            "Apply the frozen models of RUN_DIR (pipeline, threshold, label mapping) to an "
            "external feature table and write metrics.json and predictions.csv with the same "
            "metrics as training (default folder: RUN_DIR/external-<table name>)."
        ),
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory written by radiomix train")
    p.add_argument(
        "--external",
        required=True,
        metavar="FEATURES",
        help="external feature table (CSV or Parquet)",
    )
    p.add_argument("--label", metavar="COLUMN", help="label column of the external table")
    p.add_argument("--time", metavar="COLUMN", help="survival: time column of the external table")
    p.add_argument(
        "--event",
        metavar="COLUMN",
        help="survival: event column of the external table (default: the training name)",
    )
    p.add_argument(
        "--positive",
        metavar="VALUE",
        help="positive value, when the labels are spelled differently (two classes only)",
    )
    p.add_argument("--group", metavar="COLUMN", help="group column (cluster bootstrap)")
    p.add_argument(
        "--out", metavar="DIR", help="folder to write (default: RUN_DIR/external-<table name>)"
    )
    p.add_argument(
        "--allow-extra", action="store_true", help="ignore feature columns the model does not use"
    )
    p.add_argument(
        "--mlflow",
        metavar="URI",
        help="also log the run to this MLflow tracking store (a folder or file:, sqlite:, "
        "http(s): URI; needs pip install 'radiomix[mlflow]')",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    label = args.time or args.label
    if label is None:
        from radiomix.errors import ConfigError

        raise ConfigError(
            "give the label column: --label COLUMN (survival: --time COLUMN --event COLUMN)"
        )
    run_dir = Path(args.run_dir)
    if not (run_dir / "model.joblib").is_file():
        raise ModelBundleError(
            f"{run_dir} holds no model bundle (model.joblib); give the run directory of "
            "radiomix train"
        )
    out = Path(args.out) if args.out else run_dir / f"external-{Path(args.external).stem}"
    ensure_writable_dir(out, "--out" if args.out else "the output folder")
    from radiomix.cli._predict import site_warnings
    from radiomix.learn.external import evaluate_external

    with site_warnings("evaluate"):  # sites a harmonised model never saw: one line each
        m = evaluate_external(
            args.run_dir,
            args.external,
            label,
            positive=args.positive,
            group=args.group,
            out=args.out,
            allow_extra=args.allow_extra,
            event=args.event,
        )
    if m.get("task", "binary") != "binary":
        from radiomix.learn.tasks import get_task

        task = get_task(m["task"])
        h = task.headline
        for name, s in m["models"].items():
            v, lo, hi = (
                "-" if x is None else f"{x:.3f}"
                for x in (s.get(h), *(s.get(f"{h}_ci") or [None, None]))
            )
            print(f"{name}: {task.headline_label} {v} [{lo}, {hi}]{task.details(s)}")
        print(f"written to {m.get('written_to')}")
        return 0
    for name, s in m["models"].items():
        ci = s["auc_ci"]
        print(
            f"{name}: AUC {s['auc']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}], sensitivity "
            f"{s['sensitivity']:.3f}, specificity {s['specificity']:.3f}, calibration slope "
            f"{s['calibration_slope']:.2f} ({s['n_cases']} cases, {s['n_positive']} positive)"
            if s["calibration_slope"] is not None
            else f"{name}: AUC {s['auc']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"
        )
    print(f"written to {m.get('written_to')}")
    return 0
