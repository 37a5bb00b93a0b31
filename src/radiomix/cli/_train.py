"""``radiomix train FEATURES --label COLUMN --out RUN_DIR``: a validated study."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from radiomix.cli._checks import ensure_writable_dir
from radiomix.errors import ConfigError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="nested cross-validation study on a feature table; writes a run directory",
        description=(
            "Run a study on a feature table: repeated nested cross-validation (stratified, "
            "group-aware; selection, tuning and the threshold inside the training folds) of "
            "the primary model and the comparators, metrics with 95% CIs, a label-permutation "
            "check, and the final model bundles. Writes RUN_DIR with metrics.json, "
            "predictions.csv, selection.csv, folds.csv, config.yaml and model.joblib."
        ),
    )
    p.add_argument(
        "features",
        metavar="FEATURES",
        help="feature table (CSV or Parquet) as radiomix extract writes it",
    )
    p.add_argument(
        "--label",
        metavar="COLUMN",
        help="label column: two values (binary), classes (multiclass) or a number (regression)",
    )
    p.add_argument(
        "--task",
        metavar="TASK",
        help="binary, multiclass, regression or survival (default: binary for a label with two "
        "values, multiclass for 3 or more values of a text or integer column; a numeric outcome "
        "needs --task regression; --time and --event mean survival)",
    )
    p.add_argument(
        "--time",
        metavar="COLUMN",
        help="survival: the time to the event or to censoring (replaces --label)",
    )
    p.add_argument(
        "--event",
        metavar="COLUMN",
        help="survival: the event indicator, 1 (or true) when the event happened, 0 if censored",
    )
    p.add_argument(
        "--horizons",
        metavar="T[,T...]",
        help="survival: times of the time-dependent AUC, Brier score and calibration "
        "(default: the quartiles of the event times)",
    )
    p.add_argument(
        "--group", metavar="COLUMN", help="group column: cases with equal values stay in one fold"
    )
    p.add_argument(
        "--positive",
        metavar="VALUE",
        help="positive class value (default: 1, else 'malignant'-like, else the minority)",
    )
    p.add_argument(
        "--harmonise",
        metavar="COLUMN",
        help="site (scanner) column: ComBat harmonises the radiomic features per site, "
        "fitted inside the training folds (data.harmonise)",
    )
    p.add_argument(
        "--harmonise-protect-label",
        action="store_true",
        help="protect the label in ComBat (inflates the AUC where label and site are "
        "confounded; see docs/harmonisation.md)",
    )
    p.add_argument(
        "--harmonise-mean-only",
        action="store_true",
        help="ComBat removes each site's location only (accepts sites with one case)",
    )
    p.add_argument(
        "--harmonise-covariates",
        metavar="COL,COL",
        help="columns whose effects ComBat keeps, e.g. age,stage (data.harmonise_covariates; "
        "text columns one-hot encoded, missing values imputed inside the folds)",
    )
    p.add_argument(
        "--validation",
        metavar="SCHEME",
        help="kfold (default) or leave-one-group-out (each --group value, e.g. a site, in "
        "turn is the test set; every task)",
    )
    p.add_argument(
        "--clinical",
        metavar="COL,COL",
        help="clinical columns passed beside the radiomic features (data.clinical; text "
        "columns one-hot encoded, numbers imputed and scaled, inside the folds)",
    )
    p.add_argument(
        "--clinical-categorical",
        metavar="COL,COL",
        help="numeric clinical columns (or ComBat covariates) that hold categories, e.g. a "
        "stage coded 1-4 (data.clinical_categorical; text columns are categories anyway)",
    )
    p.add_argument(
        "--compare",
        metavar="MODELS",
        help="clinical,radiomics,combined: train these models on the same splits and report "
        "the added value of the image (DeLong, NRI; survival: the C-index difference with a "
        "paired bootstrap CI and the NRI at the middle horizon)",
    )
    p.add_argument("--config", metavar="STUDY.yaml", help="study settings; see docs/learn.md")
    p.add_argument(
        "--extraction-config",
        metavar="CONFIG",
        help="extraction preset or YAML the table was made with (default: the "
        "<table>.settings.yaml or settings.yaml beside the table); stored in the model so "
        "that predict re-extracts identically",
    )
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="run directory to write")
    p.add_argument("--repeats", type=int, metavar="N", help="override validation.repeats")
    p.add_argument("--permutations", type=int, metavar="N", help="override validation.permutations")
    p.add_argument("--seed", type=int, metavar="N", help="override validation.random_state")
    p.add_argument("--n-jobs", type=int, metavar="N", help="processes (default: all cores)")
    p.add_argument("--force", action="store_true", help="overwrite a run in RUN_DIR")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.add_argument(
        "--mlflow",
        metavar="URI",
        help="also log the run to this MLflow tracking store (a folder or file:, sqlite:, "
        "http(s): URI; needs pip install 'radiomix[mlflow]')",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ensure_writable_dir(args.out)  # before the study: not after minutes of work
    from radiomix.learn.config import load_study, study_to_dict
    from radiomix.learn.study import run_study

    overrides: dict[str, Any] = {"validation": {}}
    for opt, key in (
        ("repeats", "repeats"),
        ("permutations", "permutations"),
        ("seed", "random_state"),
        ("n_jobs", "n_jobs"),
    ):
        value = getattr(args, opt)
        if value is not None:
            overrides["validation"][key] = value
    if args.task is not None:
        from radiomix.learn.tasks import get_task

        get_task(args.task)  # an unknown task: one line, before anything is read
        overrides["task"] = args.task
    _site_and_clinical(args, overrides)
    _survival_overrides(args, overrides)
    settings = load_study(args.config, overrides)
    if args.label is None and settings.data.label is None:
        if settings.task == "survival":
            raise ConfigError(
                "--task survival needs the time and the event columns: --time COLUMN "
                "--event COLUMN (data.time and data.event in --config)"
            )
        raise ConfigError("give the label column: --label COLUMN (or data.label in --config)")

    def progress(msg: str) -> None:
        if not args.quiet:
            print(f"radiomix train: {msg}", file=sys.stderr, flush=True)

    result = run_study(
        args.features,
        study_to_dict(settings),
        out=args.out,
        label=args.label,
        group=args.group,
        positive=args.positive,
        extraction_settings=args.extraction_config,
        overwrite=args.force,
        progress=progress,
    )
    if result.metrics.get("task", "binary") != "binary":
        _print_task(result.metrics, args.out)
        return 0
    m = result.metrics["primary"]
    ci = m["auc_ci"]
    print(
        f"{m['model']}: AUC {m['auc']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}], balanced accuracy "
        f"{m['balanced_accuracy']:.3f}, sensitivity {m['sensitivity']:.3f}, specificity "
        f"{m['specificity']:.3f} ({m['n_cases']} cases, {m['n_positive']} positive)"
    )
    for name, s in result.metrics["models"].items():
        if name != m["model"]:
            c = s["auc_ci"]
            print(f"{name}: AUC {s['auc']:.3f} [{c[0]:.3f}, {c[1]:.3f}]")
    sites = m.get("per_site")
    if sites:
        print(
            "per site: "
            + ", ".join(
                f"{r['site']} {'-' if r['auc'] is None else format(r['auc'], '.3f')} "
                f"({r['n_cases']})"
                for r in sites
            )
        )
    _print_compare(result.metrics)
    perm = result.metrics.get("permutation")
    if perm:
        print(f"permutation check: null AUC {perm['auc']:.3f}, p = {perm['p_value']:.3g}")
    print(f"run directory: {args.out} (radiomix report {args.out} writes the HTML report)")
    return 0


def _site_and_clinical(args: argparse.Namespace, overrides: dict[str, Any]) -> None:
    """--harmonise (and its options), --validation, --clinical, --clinical-categorical and
    --compare as config overrides."""
    data: dict[str, Any] = overrides.setdefault("data", {})
    if args.harmonise is not None:
        data["harmonise"] = args.harmonise
    if args.harmonise_protect_label:
        data["harmonise_protect_label"] = True
    if args.harmonise_mean_only:
        data["harmonise_mean_only"] = True
    if args.harmonise_covariates is not None:
        data["harmonise_covariates"] = _names(args.harmonise_covariates)
    if args.clinical is not None:
        data["clinical"] = _names(args.clinical)
    if args.clinical_categorical is not None:
        data["clinical_categorical"] = _names(args.clinical_categorical)
    if args.validation is not None:
        overrides["validation"]["scheme"] = args.validation
    if args.compare is not None:
        overrides["compare"] = [c.strip() for c in args.compare.split(",") if c.strip()]


def _names(text: str) -> list[str]:
    """COL,COL as a list of column names."""
    return [c.strip() for c in text.split(",") if c.strip()]


def _print_compare(metrics: dict[str, Any]) -> None:
    """The added value of the image (--compare)."""

    def f(x: Any, spec: str) -> str:
        return "-" if x is None else format(x, spec)

    for c in (metrics.get("compare") or {}).values():
        lo, hi = c.get("nri_ci") or (None, None)
        print(
            f"{c['new']} vs {c['old']}: AUC {f(c['auc_new'], '.3f')} vs "
            f"{f(c['auc_old'], '.3f')}, difference {f(c['delta_auc'], '+.3f')} (DeLong p = "
            f"{f(c['delong_p'], '.3g')}), NRI {f(c['nri'], '+.2f')} [{f(lo, '+.2f')}, "
            f"{f(hi, '+.2f')}]"
        )


def _survival_overrides(args: argparse.Namespace, overrides: dict[str, Any]) -> None:
    """--time, --event and --horizons (they imply --task survival)."""
    if args.time is None and args.event is None and args.horizons is None:
        return
    data = overrides.setdefault("data", {})
    if args.time is not None:
        data["time"] = args.time
    if args.event is not None:
        data["event"] = args.event
    if args.horizons is not None:
        try:
            hs = [float(h) for h in str(args.horizons).split(",") if h.strip()]
        except ValueError:
            raise ConfigError(
                f"--horizons takes times separated by commas (e.g. 365,730), got {args.horizons!r}"
            ) from None
        if not hs or any(not h > 0 for h in hs):
            raise ConfigError(f"--horizons must be positive times, got {args.horizons!r}")
        overrides["validation"]["horizons"] = hs
    if args.task is None:
        overrides["task"] = "survival"


def _signed(x: Any, spec: str) -> str:
    """A number in ``spec``, "-" when missing or not finite."""
    if x is None or not math.isfinite(float(x)):
        return "-"
    return format(x, spec)


def _print_task(metrics: dict[str, Any], out: str) -> None:
    """The summary lines of a multiclass or regression run."""
    from radiomix.learn.tasks import get_task

    task = get_task(metrics["task"])
    h = task.headline

    def fmt(m: dict[str, Any]) -> str:
        ci = m.get(f"{h}_ci") or [None, None]
        v, lo, hi = (f"{x:.3f}" if x is not None else "-" for x in (m.get(h), *ci))
        return f"{m['model']}: {task.headline_label} {v} [{lo}, {hi}]"

    m = metrics["primary"]
    print(fmt(m) + task.details(m))
    for name, s in metrics["models"].items():
        if name != m["model"]:
            print(fmt(s))
    groups = m.get("per_group")
    if groups:
        print(
            "per group: "
            + ", ".join(
                f"{r['group']} {'-' if r[h] is None else format(r[h], '.3f')} ({r['n_cases']})"
                + (f" [{r['note']}]" if r.get("note") else "")
                for r in groups
            )
        )
    for c in (metrics.get("compare") or {}).values():
        lo, hi = c.get("delta_c_ci") or (None, None)
        nri = ""
        if "nri_horizon" in c:
            nlo, nhi = c.get("nri_ci") or (None, None)
            nri = (
                f"; NRI at {c['nri_horizon']:g} {_signed(c.get('nri'), '+.2f')} "
                f"[{_signed(nlo, '+.2f')}, {_signed(nhi, '+.2f')}] (events "
                f"{_signed(c.get('nri_events'), '+.2f')}, non-events "
                f"{_signed(c.get('nri_nonevents'), '+.2f')})"
            )
        print(
            f"{c['new']} vs {c['old']}: Harrell's C {c['c_new']:.3f} vs {c['c_old']:.3f}, "
            f"difference {c['delta_c']:+.3f} [{'-' if lo is None else format(lo, '+.3f')}, "
            f"{'-' if hi is None else format(hi, '+.3f')}] (paired bootstrap over cases)" + nri
        )
    perm = metrics.get("permutation")
    if perm:
        null = "-" if perm.get(h) is None else f"{perm[h]:.3f}"
        print(f"permutation check: null {task.headline_label} {null}, p = {perm['p_value']:.3g}")
    print(f"run directory: {out} (radiomix report {out} writes the HTML report)")
