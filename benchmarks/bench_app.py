"""The web app's speed: ``/api/predict`` with a box against one ``radiomix predict`` process.

Starts a real ``radiomix app RUN_DIR`` process on a free port, then measures on BUSI images
(``../shared/data/busi`` when present, else the sample bundled with radiomix):

- **app, box**: ``POST /api/predict`` with ``box=`` (the reference mask's bounding box
  enlarged by 10 %, as ``benchmarks/bench_segment_busi.py``): upload, graph-cut outline,
  features, model, explanation and warnings; one client, one request at a time: median and
  p95 latency, throughput;
- **CLI, mask**: ``radiomix predict RUN_DIR IMAGE MASK`` as a new process per case (the
  reference mask given, so no outline is computed): median and p95 wall time;
- **8 concurrent clients**, each sending its share of the cases: errors (must be 0), median
  and p95 latency, throughput;
- the Dice of the app's box outlines (``mask_png`` of the answers) against the reference
  masks (several masks of one image merged), median over the cases.

Run (nice: the machine is shared)::

    nice .venv/bin/python benchmarks/bench_app.py                         # out/busi-study
    nice .venv/bin/python benchmarks/bench_app.py --run RUN_DIR --cases 60 --cli-cases 10
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHARED_BUSI = ROOT.parent / "shared" / "data" / "busi"
SAMPLE = ROOT / "src" / "radiomix" / "data" / "busi_sample"
sys.path.insert(0, str(ROOT))

from tests.app.conftest import start_app  # noqa: E402 (a benchmark, run from the repository)


def busi_cases(root: Path) -> list[tuple[Path, list[Path]]]:
    """(image, masks) of every benign and malignant image, in the benchmark's usual order."""
    out = []
    for cls in ("benign", "malignant"):
        images = [p for p in (root / cls).glob("*.png") if "_mask" not in p.name]
        images.sort(key=lambda p: int(re.search(r"\((\d+)\)", p.name).group(1)))  # type: ignore[union-attr]
        for p in images:
            masks = sorted((root / cls).glob(f"{p.name[:-4]}_mask*.png"))
            if masks:
                out.append((p, masks))
    return out


def reference(masks: list[Path]) -> np.ndarray:
    ref = None
    for m in masks:
        a = np.asarray(Image.open(m).convert("L")) > 0
        ref = a if ref is None else ref | a
    assert ref is not None
    return ref


def enlarged_box(mask: np.ndarray, frac: float = 0.1) -> str:
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
    dy, dx = frac * (y1 - y0 + 1) / 2, frac * (x1 - x0 + 1) / 2
    h, w = mask.shape
    box = (
        max(0, int(np.floor(x0 - dx))),
        max(0, int(np.floor(y0 - dy))),
        min(w - 1, int(np.ceil(x1 + dx))),
        min(h - 1, int(np.ceil(y1 + dy))),
    )
    return ",".join(str(v) for v in box)


def summary(latencies: list[float], wall: float) -> dict[str, float]:
    a = np.asarray(latencies)
    return {
        "n": len(a),
        "median_s": float(np.median(a)),
        "p95_s": float(np.percentile(a, 95)),
        "throughput_per_s": len(a) / wall,
    }


def predict_box(client: httpx.Client, image: bytes, box: str) -> tuple[float, dict]:
    t = time.perf_counter()
    r = client.post("/api/predict", files={"image": image}, data={"box": box})
    dt = time.perf_counter() - t
    return dt, {"status": r.status_code, **(r.json() if r.status_code == 200 else {})}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, default=ROOT / "out" / "busi-study")
    ap.add_argument("--data", type=Path, default=None, help="BUSI folder (default: shared/sample)")
    ap.add_argument("--cases", type=int, default=40, help="images for the app (evenly spaced)")
    ap.add_argument("--cli-cases", type=int, default=8, help="images for radiomix predict")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--out", type=Path, help="write the figures as JSON here too")
    args = ap.parse_args()
    data = args.data or (SHARED_BUSI if (SHARED_BUSI / "malignant").is_dir() else SAMPLE)
    cases = busi_cases(data)
    idx = np.linspace(0, len(cases) - 1, min(args.cases, len(cases))).round().astype(int)
    chosen = [cases[i] for i in sorted(set(idx.tolist()))]
    inputs = []
    for image, masks in chosen:
        ref = reference(masks)
        inputs.append((image, masks, ref, image.read_bytes(), enlarged_box(ref)))
    figures: dict[str, object] = {
        "data": str(data),
        "run": str(args.run),
        "cpus": os.cpu_count(),
        "cases": len(inputs),
    }
    with tempfile.TemporaryDirectory() as tmp, start_app(args.run, Path(tmp)) as server:
        with httpx.Client(base_url=server.base, timeout=120) as client:
            predict_box(client, inputs[0][3], inputs[0][4])  # the first request, not timed
            lat, dice, errors = [], [], 0
            t0 = time.perf_counter()
            for _, _, ref, data_bytes, box in inputs:
                dt, ans = predict_box(client, data_bytes, box)
                lat.append(dt)
                if ans["status"] != 200:
                    errors += 1
                    continue
                seg = np.asarray(Image.open(io.BytesIO(base64.b64decode(ans["mask_png"])))) > 0
                dice.append(2 * np.sum(seg & ref) / (seg.sum() + ref.sum()))
            wall = time.perf_counter() - t0
            figures["app_box_sequential"] = {**summary(lat, wall), "errors": errors}
            figures["app_box_dice_median"] = float(np.median(dice))

            def client_share(k: int) -> tuple[list[float], int]:
                own, bad = [], 0
                with httpx.Client(base_url=server.base, timeout=300) as c:
                    for _, _, _, b, box in inputs[k :: args.clients]:
                        dt, ans = predict_box(c, b, box)
                        own.append(dt)
                        bad += ans["status"] != 200
                return own, bad

            t0 = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                parts = list(pool.map(client_share, range(args.clients)))
            wall = time.perf_counter() - t0
            conc = [x for own, _ in parts for x in own]
            figures["app_box_8_clients"] = {
                **summary(conc, wall),
                "clients": args.clients,
                "errors": sum(b for _, b in parts),
            }
        alive = server.process.poll() is None
        figures["server_alive_after"] = alive
    cli = []
    single = [c for c in inputs if len(c[1]) == 1][: args.cli_cases]
    with tempfile.TemporaryDirectory() as tmp:
        for image, masks, _, _, _ in single:
            out = Path(tmp) / "p.csv"
            cmd = [str(ROOT / ".venv" / "bin" / "radiomix"), "predict", str(args.run)]
            t = time.perf_counter()
            subprocess.run([*cmd, str(image), str(masks[0]), "--out", str(out)], check=True)
            cli.append(time.perf_counter() - t)
    figures["cli_predict_mask"] = {
        "n": len(cli),
        "median_s": statistics.median(cli),
        "p95_s": float(np.percentile(cli, 95)),
        "throughput_per_s": len(cli) / sum(cli),
    }
    app_med = figures["app_box_sequential"]["median_s"]  # type: ignore[index]
    figures["app_faster_per_case"] = app_med < figures["cli_predict_mask"]["median_s"]
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
