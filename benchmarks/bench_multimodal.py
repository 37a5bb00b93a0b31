"""Time of one multi-image case (CT-like + PET-like on different grids) against its parts.

A CT-like volume of 512 x 512 x 60 voxels (0.8 x 0.8 x 3 mm) and a PET-like volume of
192 x 192 x 60 voxels (4 x 4 x 3 mm, origin shifted by a fraction of a voxel) hold an
ellipsoidal lesion of 30 x 22 x 18 mm semi-axes, defined in physical space; the mask is
drawn on the CT grid. Prints, as JSON lines, the seconds of

- ``ct``: ``extract`` of the CT alone (after a warm-up run),
- ``carry``: carrying the mask onto the PET grid (geometry, nearest and linear; and
  through a rigid transform),
- ``pet``: ``extract`` of the PET with the carried mask,
- ``multi``: ``extract_multimodal`` of both (read, carry, extract),

and the Dice of the carried mask against the lesion sampled on the PET grid.

Run (nice: the machine is shared)::

    nice .venv/bin/python benchmarks/bench_multimodal.py [--families statistics,glcm]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from radiomix.extraction.api import extract
from radiomix.extraction.multimodal import carry_mask, extract_multimodal
from radiomix.io import read_image, read_mask

CENTRE, AXES = np.array([12.0, -20.0, 6.0]), np.array([30.0, 22.0, 18.0])  # (x, y, z) mm


def _grid(shape, spacing, offset=(0.0, 0.0, 0.0)):
    size = np.array(shape[::-1])
    sp = np.array(spacing[::-1], float)
    return size, sp, -(size - 1) * sp / 2 + np.asarray(offset)


def _r2(size, sp, origin):
    k, j, i = np.meshgrid(*[np.arange(n, dtype=np.float32) for n in size[::-1]], indexing="ij")
    pts = (origin[0] + sp[0] * i, origin[1] + sp[1] * j, origin[2] + sp[2] * k)
    return sum(((c - m) / a) ** 2 for c, m, a in zip(pts, CENTRE, AXES, strict=True))


def _write(arr, grid, path: Path) -> Path:
    _, sp, origin = grid
    im = sitk.GetImageFromArray(arr)
    im.SetSpacing(sp.tolist())
    im.SetOrigin(origin.tolist())
    sitk.WriteImage(im, str(path))
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--families", default="", help="comma-separated (default: all)")
    args = ap.parse_args()
    config: dict = {}
    if args.families:
        config = {"features": {"families": args.families.split(",")}}
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ct_grid = _grid((60, 512, 512), (3.0, 0.8, 0.8))
        r2 = _r2(*ct_grid)
        ct = (40 + 30 * (r2 <= 1) + rng.normal(0, 10, r2.shape)).astype(np.float32)
        ct_path = _write(ct, ct_grid, folder / "ct.nii.gz")
        mask_path = _write((r2 <= 1).astype(np.uint8), ct_grid, folder / "mask.nii.gz")
        del ct, r2
        pet_grid = _grid((60, 192, 192), (3.0, 4.0, 4.0), (1.3, -0.7, 0.9))
        r2 = _r2(*pet_grid)
        pet = (1 + 6 * np.clip(1 - r2, 0, None) + rng.normal(0, 0.2, r2.shape)).astype(np.float32)
        pet_path = _write(pet, pet_grid, folder / "pet.nii.gz")
        truth = r2 <= 1
        del pet

        extract(ct_path, mask_path, config=config or None)  # warm-up: numba kernels loaded
        t = time.perf_counter()
        extract(ct_path, mask_path, config=config or None)
        print(json.dumps({"step": "ct", "seconds": round(time.perf_counter() - t, 2)}))
        mask, ct_img, pet_img = read_mask(mask_path), read_image(ct_path), read_image(pet_path)
        rigid = sitk.Euler3DTransform()  # the identity as a rigid transform: inverted, used
        rigid.SetTranslation((0.0, 0.0, 0.0))
        carried = None
        for name, kwargs in (
            ("nearest", {}),
            ("linear", {"interpolation": "linear"}),
            ("rigid", {"transform": rigid}),
        ):
            t = time.perf_counter()
            out = carry_mask(mask, ct_img, pet_img, **kwargs)  # type: ignore[arg-type]
            sec = time.perf_counter() - t
            a = out.array > 0
            d = 2 * np.sum(a & truth) / (a.sum() + truth.sum())
            print(
                json.dumps(
                    {"step": f"carry-{name}", "seconds": round(sec, 2), "dice": round(float(d), 4)}
                )
            )
            carried = carried if carried is not None else out
        t = time.perf_counter()
        extract(pet_img, carried, config=config or None)
        print(json.dumps({"step": "pet", "seconds": round(time.perf_counter() - t, 2)}))
        t = time.perf_counter()
        extract_multimodal({"ct": ct_path, "pet": pet_path}, mask_path, settings=config or None)
        print(json.dumps({"step": "multi", "seconds": round(time.perf_counter() - t, 2)}))


if __name__ == "__main__":
    main()
