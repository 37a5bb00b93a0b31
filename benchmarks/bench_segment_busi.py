"""Semi-automatic segmentation and feature robustness on BUSI (breast ultrasound).

Data: Al-Dhabyani W et al., Dataset of breast ultrasound images, Data in Brief 28 (2020)
104863, doi:10.1016/j.dib.2019.104863 (in ../shared/data/busi; benign + malignant lesions,
several reference masks of one image merged by OR; no pixel spacing, so distances in px).

Part ``segmentation`` (default) prints, per class, median and IQR of Dice and HD95 for

- seed only: one seed at the reference mask's most interior pixel (maximum of its
  Euclidean distance transform), ``segment_from_seed(method="rays")``;
- box: the reference bounding box enlarged by 10 % (5 % of its height/width on each side,
  rounded outward to whole pixels, clipped to the image), ``segment_from_box``;
- baselines: the box itself, the ellipse inscribed in it, and SimpleITK region growing from
  the seed (confidence connected on a curvature-flow-smoothed image);

plus the time per image and, for the box, the share of lesions where the graph cut beats the
inscribed ellipse. The methods were tuned on every 5th lesion (index % 5 == 0 in the order
benign 1..437 then malignant 1..210); the tables also show the other 4/5 (held out) alone.
``--enlargements`` adds boxes enlarged by other amounts (sensitivity to ``fill``).

Part ``robustness`` perturbs every ``--robustness-every``-th lesion (reference mask) and
prints the share of features with ICC(1,1) >= 0.75 per family, with 2D settings for
ultrasound (fixed bin number 32, 2D texture, distance 1). ``--perturbation mild`` (default:
rotations up to 10 degrees, sub-pixel shifts, grow/shrink up to 2 px, contour randomisation
of 1.5 px, noise) or ``reader`` (grow/shrink up to 6 px, contour randomisation of 4 px with
20 px wide bumps: closer to the spread between readers' outlines).

Run (nice: the machine is shared)::

    nice .venv/bin/python benchmarks/bench_segment_busi.py --every 5          # development subset
    nice .venv/bin/python benchmarks/bench_segment_busi.py                    # all lesions
    nice .venv/bin/python benchmarks/bench_segment_busi.py --part robustness --robustness-every 5
    nice .venv/bin/python benchmarks/bench_segment_busi.py --part robustness --perturbation reader
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage as ndi

from radiomix.errors import RadiomixError
from radiomix.io import Volume, read_image, read_mask
from radiomix.segment import (
    region_grow,
    segment_from_box,
    segment_from_seed,
    segmentation_metrics,
)
from radiomix.studies.robustness import RobustnessCase, robustness_table

BUSI = Path(__file__).resolve().parents[2] / "shared" / "data" / "busi"

ROBUSTNESS_CONFIG = {
    "discretisation": {"method": "fixed_bin_number", "bin_count": 32},
    "texture": {"spatial": ["2D"], "distance": [1]},
    "features": {
        "families": [
            "morphology_2d",
            "statistics",
            "histogram",
            "glcm",
            "glrlm",
            "glszm",
            "gldzm",
            "ngtdm",
            "ngldm",
        ]
    },
    # BUSI has no pixel spacing: distances are in pixels
    "perturbation": {
        "n_perturbations": 10,
        "seed": 0,
        "rotation_deg": [-10, -5, 0, 5, 10],
        "translation": [0.0, 0.25, 0.5, 0.75],
        "grow_mm": [-2, -1, 0, 1, 2],
        "contour_amplitude_mm": 1.5,
        "contour_correlation_mm": 5.0,
        "noise_factor": 1.0,
    },
}
#: stronger mask perturbation, closer to the spread between readers of ultrasound outlines:
#: median Dice 0.92 between a perturbed and the reference mask (mild: 0.955), 10th pct 0.75
READER_PERTURBATION = {
    "grow_mm": [-6, -3, 0, 3, 6],
    "contour_amplitude_mm": 4.0,
    "contour_correlation_mm": 20.0,
}


def lesions(root: Path) -> list[tuple[int, str, str, Path, list[Path]]]:
    """(index, class, name, image, masks) for every benign and malignant image, in order."""
    out = []
    for cls in ("benign", "malignant"):
        images = [p for p in (root / cls).glob("*.png") if "_mask" not in p.name]
        images.sort(key=lambda p: int(re.search(r"\((\d+)\)", p.name).group(1)))  # type: ignore[union-attr]
        for p in images:
            stem = p.name[:-4]
            masks = sorted((root / cls).glob(f"{stem}_mask*.png"))
            out.append((len(out), cls, stem, p, masks))
    return out


def enlarged_box(mask: np.ndarray, frac: float) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): bounding box grown by frac/2 of its size on each side (outward)."""
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
    dy, dx = frac * (y1 - y0 + 1) / 2, frac * (x1 - x0 + 1) / 2
    h, w = mask.shape
    return (
        max(0, int(np.floor(x0 - dx))),
        max(0, int(np.floor(y0 - dy))),
        min(w - 1, int(np.ceil(x1 + dx))),
        min(h - 1, int(np.ceil(y1 + dy))),
    )


def _metrics(seg: np.ndarray | None, ref: np.ndarray) -> tuple[float, float]:
    if seg is None or not seg.any():
        return 0.0, float("nan")
    m = segmentation_metrics(seg, ref)
    return m["dice"], m["hd95"]


def one_lesion(args: tuple[int, str, str, Path, list[Path], tuple[float, ...]]) -> list[dict]:
    index, cls, name, image_path, mask_paths, enlargements = args
    image = read_image(image_path)
    ref = np.zeros(image.shape[1:], bool)
    for mp in mask_paths:
        ref |= read_mask(mp, reference=image).array[0] > 0
    dist = ndi.distance_transform_edt(ref)
    sy, sx = np.unravel_index(int(np.argmax(dist)), ref.shape)
    rows = []

    def record(method: str, fn: object) -> None:
        t = time.perf_counter()
        try:
            seg = fn().array[0]  # type: ignore[operator]
        except RadiomixError:
            seg = None
        dt = time.perf_counter() - t
        d, hd = _metrics(seg, ref)
        rows.append(
            {
                "index": index,
                "class": cls,
                "case": name,
                "dev": index % 5 == 0,
                "method": method,
                "dice": d,
                "hd95": hd,
                "seconds": dt,
            }
        )

    vol = Volume(image.array)
    record("seed: rays", lambda: segment_from_seed(vol, (sx, sy)))
    record("seed: region growing", lambda: region_grow(vol, (sx, sy), "confidence"))
    for frac in enlargements:
        box = enlarged_box(ref, frac)
        tag = f"box+{frac:.0%}"
        record(f"{tag}: graphcut", lambda b=box: segment_from_box(vol, b))  # type: ignore[misc]
        record(f"{tag}: ellipse", lambda b=box: segment_from_box(vol, b, "ellipse"))  # type: ignore[misc]
        record(f"{tag}: box", lambda b=box: segment_from_box(vol, b, "box"))  # type: ignore[misc]
    return rows


def _summary(frame: pd.DataFrame) -> pd.DataFrame:
    def q(s: pd.Series, p: float) -> float:
        return float(np.nanpercentile(s, p)) if s.notna().any() else float("nan")

    g = frame.groupby(["class", "method"], sort=False)
    return pd.DataFrame(
        {
            "n": g["dice"].size(),
            "dice_median": g["dice"].median(),
            "dice_q1": g["dice"].apply(lambda s: q(s, 25)),
            "dice_q3": g["dice"].apply(lambda s: q(s, 75)),
            "hd95_median": g["hd95"].median(),
            "hd95_q1": g["hd95"].apply(lambda s: q(s, 25)),
            "hd95_q3": g["hd95"].apply(lambda s: q(s, 75)),
            "failed": g["hd95"].apply(lambda s: int(s.isna().sum())),
            "s_per_image": g["seconds"].mean(),
        }
    )


def run_segmentation(args: argparse.Namespace) -> None:
    cases = [c for c in lesions(BUSI) if c[0] % args.every == 0]
    enlargements = tuple(float(v) for v in args.enlargements.split(","))
    jobs = [(*c, enlargements) for c in cases]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = [r for rs in pool.map(one_lesion, jobs, chunksize=4) for r in rs]
    wall = time.perf_counter() - t0
    frame = pd.DataFrame(rows)
    if args.out:
        frame.to_csv(args.out, index=False)
    both = pd.concat([frame, frame.assign(**{"class": "all"})])
    pd.set_option("display.width", 200)
    print(
        f"BUSI lesions: {len(cases)} (every {args.every}th), {args.jobs} processes, "
        f"wall {wall:.0f} s; Dice and HD95 (px): median [IQR]"
    )
    print(_summary(both).round(3).to_string())
    held = both[~both["dev"]]
    if args.every == 1:
        print("\nheld out (lesions not in the development subset, index % 5 != 0):")
        print(_summary(held).round(3).to_string())
    for frac in enlargements:
        tag = f"box+{frac:.0%}"
        gc = frame[frame["method"] == f"{tag}: graphcut"].set_index("index")["dice"]
        el = frame[frame["method"] == f"{tag}: ellipse"].set_index("index")["dice"]
        print(f"{tag}: graph cut above the inscribed ellipse on {np.mean(gc > el):.1%} of lesions")


def run_robustness(args: argparse.Namespace) -> None:
    cases = []
    for index, cls, name, image, masks in lesions(BUSI):
        if index % args.robustness_every or len(masks) != 1:
            continue  # one reference mask per image: no merging needed for the manifest form
        cases.append(RobustnessCase(f"{cls}:{name}", image, masks[0]))
    config = dict(ROBUSTNESS_CONFIG)
    if args.perturbation == "reader":
        config["perturbation"] = {**ROBUSTNESS_CONFIG["perturbation"], **READER_PERTURBATION}  # type: ignore[dict-item]
    t0 = time.perf_counter()
    table = robustness_table(cases, config, n_jobs=args.jobs)
    wall = time.perf_counter() - t0
    if args.out:
        table.to_csv(args.out, index=False)
    k = ROBUSTNESS_CONFIG["perturbation"]["n_perturbations"]  # type: ignore[index]
    print(
        f"robustness: {len(cases)} BUSI lesions (every {args.robustness_every}th with one mask), "
        f"{k} '{args.perturbation}' perturbations each ({config['perturbation']}), "
        f"wall {wall:.0f} s; errors: {len(table.attrs['errors'])}"
    )
    g = table.groupby("family", sort=False)
    summary = pd.DataFrame(
        {
            "features": g.size(),
            "icc>=0.75": g["icc"].apply(lambda s: float((s >= 0.75).mean())),
            "icc>=0.90": g["icc"].apply(lambda s: float((s >= 0.90).mean())),
            "median_icc": g["icc"].median(),
            "median_cv": g["cv"].median(),
        }
    )
    summary.loc["all"] = [
        len(table),
        float((table["icc"] >= 0.75).mean()),
        float((table["icc"] >= 0.90).mean()),
        table["icc"].median(),
        table["cv"].median(),
    ]
    print(summary.round(3).to_string())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", choices=("segmentation", "robustness"), default="segmentation")
    ap.add_argument("--every", type=int, default=1, help="use every Nth lesion (5: dev subset)")
    ap.add_argument("--enlargements", default="0.1", help="box enlargements, e.g. 0.1,0,0.2")
    ap.add_argument("--robustness-every", type=int, default=5)
    ap.add_argument(
        "--perturbation",
        choices=("mild", "reader"),
        default="mild",
        help="robustness: MIRP-like mild perturbation or a stronger, reader-like one",
    )
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", help="write the per-lesion (or per-feature) table as CSV")
    args = ap.parse_args()
    if not BUSI.exists():
        sys.exit(f"needs {BUSI} (the shared BUSI data beside the checkout)")
    if args.part == "segmentation":
        run_segmentation(args)
    else:
        run_robustness(args)


if __name__ == "__main__":
    main()
