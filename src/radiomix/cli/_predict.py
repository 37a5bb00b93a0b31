"""``radiomix predict RUN_DIR IMAGE MASK [...]``: apply a trained model to new cases.

Features are re-extracted with the extraction settings stored in the model bundle, so a
prediction sees exactly the features the model was trained on; ``--table`` predicts from an
already extracted table instead (its feature columns are checked against the model's schema).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from radiomix.cli._checks import check_table_out
from radiomix.errors import ConfigError, RadiomixError

#: exit status when some cases failed (they are rows with an ``error`` in the output)
EXIT_SOME_FAILED = 3


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "predict",
        help="predict new cases with a trained model (re-extracts features identically)",
        description=(
            "Predict with the final model of RUN_DIR. Give IMAGE MASK pairs, a --manifest "
            "CSV (as radiomix extract --manifest reads it: case_id,image,mask[,label], paths "
            "relative to the manifest), or an "
            "extracted feature --table. Images are re-extracted with the extraction settings "
            "stored in the model; a table must hold exactly the model's features. A case that "
            "cannot be extracted gets a row with its error. Output columns: probability, threshold, "
            "predicted (1 = positive) and predicted_label for two classes; probability_<class> "
            "per class, predicted and predicted_label for several classes; predicted (the "
            "value) for a regression; risk, risk_cutoff, risk_group (high: above the median "
            "training risk) and survival_at_<t> per horizon for survival. Exit status: 0 "
            "every case predicted, 3 some cases failed, 2 bad input or no case predicted."
        ),
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory written by radiomix train")
    p.add_argument("inputs", nargs="*", metavar="IMAGE MASK", help="image and mask pairs")
    p.add_argument(
        "--manifest",
        metavar="CASES.csv",
        help="cases CSV: case_id,image,mask[,label] (see radiomix extract)",
    )
    p.add_argument(
        "--table", metavar="FEATURES", help="feature table (CSV or Parquet) instead of images"
    )
    p.add_argument(
        "--label",
        type=int,
        metavar="N",
        help="ROI label value in the masks (default: each non-zero label its own ROI)",
    )
    p.add_argument(
        "--model", metavar="NAME", help="a comparator's name instead of the primary model"
    )
    p.add_argument(
        "--out",
        default="-",
        metavar="FILE",
        help="predictions table: .csv, .parquet or .json (default: CSV on standard output)",
    )
    p.add_argument(
        "--allow-extra",
        action="store_true",
        help="with --table: ignore feature columns the model was not trained on",
    )
    p.set_defaults(func=run)


def _bundle(run_dir: str, model: str | None) -> Any:
    from radiomix.learn.apply import load_run_bundle

    return load_run_bundle(run_dir, model)


def _pairs(args: argparse.Namespace) -> list[tuple[str, str]]:
    if len(args.inputs) % 2:
        raise ConfigError("give IMAGE MASK pairs: an even number of paths after RUN_DIR")
    return list(zip(args.inputs[::2], args.inputs[1::2], strict=True))


@contextmanager
def site_warnings(command: str) -> Iterator[None]:
    """Sites a harmonised model never saw and clinical categories a model never saw, as one
    line each on stderr (not a traceback)."""
    from radiomix.learn.clinical import UnseenCategoryWarning
    from radiomix.learn.harmonise import UnseenBatchWarning

    kinds = (UnseenBatchWarning, UnseenCategoryWarning)
    with warnings.catch_warnings(record=True) as caught:
        for kind in kinds:
            warnings.simplefilter("always", kind)
        yield
    for w in caught:
        if issubclass(w.category, kinds):
            print(f"radiomix {command}: warning: {w.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def run(args: argparse.Namespace) -> int:
    from radiomix._outputs import write_table

    check_table_out(args.out)  # before the model is loaded and the cases extracted
    bundle = _bundle(args.run_dir, args.model)
    if args.table:
        if args.inputs or args.manifest:
            raise ConfigError("give either --table or images (IMAGE MASK pairs / --manifest)")
        from radiomix.learn.table import read_table

        with site_warnings("predict"):
            out = bundle.predict_table(read_table(args.table), allow_extra=args.allow_extra)
        write_table(out, args.out)
        return 0
    pairs = _pairs(args)
    if not pairs and not args.manifest:
        raise ConfigError("nothing to predict: give IMAGE MASK pairs, --manifest or --table")
    import pandas as pd

    from radiomix.learn.apply import bundle_settings, extract_case

    settings = bundle_settings(bundle)
    manifest = None
    if args.manifest:  # read (and checked) before any case is extracted
        from radiomix.extraction.manifest import read_manifest

        manifest = read_manifest(
            args.manifest, default_label=None if args.label is None else str(args.label)
        )
    frames: list[pd.DataFrame] = []
    failed: list[dict[str, Any]] = []
    for image, mask in pairs:
        try:
            frames.append(extract_case(settings, image, mask, label=args.label))
        except RadiomixError as exc:  # one bad case is recorded; the others go on
            failed.append({"case_id": Path(image).name, "error": str(exc)})
    if manifest is not None:
        from radiomix.extraction.batch import run_batch

        batch = run_batch(manifest, settings)
        if len(batch.table):
            frames.append(batch.table)
        for row in batch.errors.to_dict("records"):
            msg = f"{row.get('error_type')}: {row.get('message')}"
            failed.append({"case_id": row.get("case_id"), "error": msg})
    if failed and not frames:  # nothing predicted: one line, exit status 2, nothing written
        first = failed[0]
        more = f" ({len(failed)} cases failed, the first shown)" if len(failed) > 1 else ""
        raise RadiomixError(
            f"no case could be predicted{more}: {first['case_id']}: {first['error']}"
        )
    for row in failed:
        print(f"radiomix predict: {row['case_id']}: {row['error']}", file=sys.stderr)
    parts = []
    if frames:
        features = pd.concat(frames, ignore_index=True)
        parts.append(bundle.predict_table(features, allow_extra=True))
    if failed:
        parts.append(pd.DataFrame(failed))
    out = pd.concat(parts, ignore_index=True)
    write_table(out, args.out)
    return EXIT_SOME_FAILED if failed else 0
