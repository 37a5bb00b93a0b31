"""The BUSI study with semi-automatic masks (box prompt) next to the reference masks.

Every reference mask of every benign and malignant image is replaced by the graph-cut outline
(``radiomix.segment.segment_from_box``, its default method) drawn from that mask's bounding
box enlarged by 10 % -- the box a reader would draw around the lesion -- and the whole study
(``radiomix.studies.run_busi_study``: cohort audit, extraction with the ``ultrasound-2d``
preset, repeated nested group-aware cross-validation) runs on both mask sets with the same
settings. The table gives the pooled out-of-fold AUC of each model with its 95 % CI, and the
Dice of the semi-automatic masks against the reference.

    .venv/bin/python benchmarks/bench_busi_semiauto_study.py [--data ../shared/data/busi]
        [--work /tmp/busi-semiauto] [--repeats 5] [--reference-run RUN_DIR]

``--reference-run`` reuses a finished reference-mask run directory (its metrics.json) instead
of running the reference study again.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from radiomix.io import read_image
from radiomix.segment import segment_from_box, segmentation_metrics
from radiomix.studies.runner import run_busi_study

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_segment_busi import enlarged_box, lesions  # noqa: E402


def _outline(args: tuple[Path, list[Path], Path]) -> list[float]:
    """Write the semi-automatic masks of one image; the Dice of each against its reference."""
    image_path, mask_paths, out_dir = args
    image = read_image(image_path)
    dices = []
    for mask_path in mask_paths:
        ref = np.asarray(Image.open(mask_path).convert("L")) > 0
        if not ref.any():  # an empty reference: keep it empty, the study records it
            seg = ref
        else:
            seg = segment_from_box(image, enlarged_box(ref, 0.10)).array[0].astype(bool)
            dices.append(float(segmentation_metrics(seg, ref)["dice"]))
        Image.fromarray(np.where(seg, 255, 0).astype(np.uint8)).save(out_dir / mask_path.name)
    return dices


def build_semiauto_cohort(data: Path, work: Path, jobs: int) -> list[float]:
    """A BUSI-like folder under ``work`` with the images linked and the masks re-drawn."""
    tasks = []
    for _, cls, _, image_path, mask_paths in lesions(data):
        out_dir = work / cls
        out_dir.mkdir(parents=True, exist_ok=True)
        link = out_dir / image_path.name
        if not link.exists():
            os.symlink(image_path.resolve(), link)
        tasks.append((image_path, mask_paths, out_dir))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return [d for dices in pool.map(_outline, tasks, chunksize=8) for d in dices]


def _models(metrics: dict) -> dict[str, tuple[float, float, float]]:
    return {
        name: (m["auc"], m["auc_ci"][0], m["auc_ci"][1]) for name, m in metrics["models"].items()
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data" / "busi"))
    ap.add_argument("--work", default="/tmp/busi-semiauto")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--permutations", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--reference-run", help="finished reference-mask run directory to reuse")
    args = ap.parse_args()
    data, work = Path(args.data), Path(args.work)

    t0 = time.perf_counter()
    dices = build_semiauto_cohort(data, work / "data", args.jobs)
    t_seg = time.perf_counter() - t0
    print(
        f"semi-automatic masks: {len(dices)} lesions in {t_seg:.0f} s, Dice median "
        f"{np.median(dices):.3f} [IQR {np.percentile(dices, 25):.3f}, "
        f"{np.percentile(dices, 75):.3f}]",
        flush=True,
    )

    common = {
        "repeats": args.repeats,
        "permutations": args.permutations,
        "jobs": args.jobs,
        "report": False,
        "overwrite": True,
    }
    runs = {}
    t0 = time.perf_counter()
    run_busi_study(work / "data", work / "run-semiauto", **common)
    runs["semi-automatic (box +10 %)"] = json.loads(
        (work / "run-semiauto" / "metrics.json").read_text()
    )
    print(f"semi-automatic study: {time.perf_counter() - t0:.0f} s", flush=True)
    ref_dir = Path(args.reference_run) if args.reference_run else work / "run-reference"
    if not args.reference_run:
        t0 = time.perf_counter()
        run_busi_study(data, ref_dir, **common)
        print(f"reference study: {time.perf_counter() - t0:.0f} s", flush=True)
    runs["reference masks"] = json.loads((ref_dir / "metrics.json").read_text())

    print(f"\n{'masks':<28} {'model':<18} {'AUC':>6}  95% CI")
    for label, metrics in runs.items():
        for name, (auc, lo, hi) in _models(metrics).items():
            print(f"{label:<28} {name:<18} {auc:6.3f}  [{lo:.3f}, {hi:.3f}]")
        print(f"{label:<28} {'permutation':<18} {metrics['permutation']['auc']:6.3f}")


if __name__ == "__main__":
    main()
