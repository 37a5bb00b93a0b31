"""``radiomix segment IMAGE``: a mask from seed points, a box, or a global threshold."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from radiomix._outputs import atomic_write
from radiomix.cli._checks import check_volume_out
from radiomix.errors import ConfigError, PromptError
from radiomix.segment import BOX_METHODS, PREFILTERS, SEED_METHODS

if TYPE_CHECKING:
    from radiomix.io import Volume

_PLANAR_SUFFIXES = (".png",)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "segment",
        help="outline a region from seed points, a box, or a threshold",
        description=(
            "Write a binary mask of IMAGE. Coordinates are voxel indices in x,y(,z) order -- "
            "column, row (and slice) -- as read in a viewer, starting at 0. "
            "--seed: semi-automatic outline around the point (method rays, default) or region "
            "growing (confidence, connected, neighborhood). --box: inclusive corners; graph "
            "cut with an elliptical prior (graphcut, default) or the baselines ellipse, box. "
            "--threshold: otsu, multiotsu or a value, with clean-up."
        ),
    )
    p.add_argument("image", help="image file or DICOM series folder")
    prompt = p.add_mutually_exclusive_group(required=True)
    prompt.add_argument(
        "--seed", action="append", metavar="X,Y[,Z]", help="seed voxel; repeat for several"
    )
    prompt.add_argument("--box", metavar="X0,Y0[,Z0],X1,Y1[,Z1]", help="bounding box corners")
    prompt.add_argument("--threshold", metavar="otsu|multiotsu|VALUE", help="global threshold")
    p.add_argument(
        "--method",
        help=f"seed: {', '.join(SEED_METHODS)}; box: {', '.join(BOX_METHODS)}",
    )
    p.add_argument(
        "--fill",
        type=float,
        default=0.91,
        help="box graphcut: lesion size / box size per direction (default 0.91: box 10%% larger)",
    )
    p.add_argument(
        "--prefilter",
        choices=PREFILTERS,
        help="region growing: noise/speckle pre-filter (default curvature_flow)",
    )
    p.add_argument(
        "--below", action="store_true", help="threshold: keep voxels below it (default: above)"
    )
    p.add_argument("--classes", type=int, default=3, help="multi-Otsu classes (default 3)")
    p.add_argument(
        "--min-size", type=int, default=0, help="threshold: drop components below N voxels"
    )
    p.add_argument(
        "--largest", action="store_true", help="threshold: keep the largest component only"
    )
    p.add_argument(
        "--out",
        required=True,
        help="mask file: .nii.gz, .nii, .nrrd, .mha (image geometry kept) or .png (2D, 0/255)",
    )
    p.set_defaults(func=run)


def _write_png(mask: Volume, out: Path) -> None:
    import numpy as np
    from PIL import Image

    if mask.shape[0] != 1:
        raise ConfigError(
            f"--out {out}: a PNG holds one slice, the mask has {mask.shape[0]}; use .nii.gz"
        )
    image = Image.fromarray((mask.array[0] > 0).astype(np.uint8) * 255)
    atomic_write(out, lambda tmp: image.save(tmp, format="PNG"))


def run(args: argparse.Namespace) -> int:
    import numpy as np  # imported here (with the segmentation machinery): --help stays fast

    from radiomix.io import read_image, write_volume
    from radiomix.segment import (
        parse_coordinates,
        segment_prompt,
        threshold_segment,
    )

    suffix = check_volume_out(args.out, also=_PLANAR_SUFFIXES)
    # the prompt's syntax is checked before the image is read
    seeds = [parse_coordinates(s, "--seed") for s in args.seed or ()]
    box = parse_coordinates(args.box, "--box") if args.box else None
    image = read_image(args.image)
    if suffix in _PLANAR_SUFFIXES and image.shape[0] != 1:  # before the segmentation runs
        raise ConfigError(
            f"--out {args.out}: a PNG holds one slice, the image has {image.shape[0]}; use .nii.gz"
        )
    if seeds or box is not None:
        mask = segment_prompt(
            image,
            seeds=seeds or None,
            box=box,
            method=args.method,
            fill=args.fill,
            prefilter=args.prefilter,
        )
    else:
        if args.method:
            raise PromptError("--method applies to --seed and --box, not to --threshold")
        value: str | float = args.threshold
        if str(value).strip().lower() not in ("otsu", "multiotsu", "multi-otsu"):
            try:
                value = float(value)
            except ValueError:
                raise PromptError(
                    f"--threshold {args.threshold!r}: give otsu, multiotsu or a number"
                ) from None
        mask = threshold_segment(
            image,
            value,
            side="below" if args.below else "above",
            classes=args.classes,
            min_size=args.min_size,
            largest_component=args.largest,
        )
    out = Path(args.out)
    mask = mask.with_array(mask.array.astype(np.uint8))
    if suffix in _PLANAR_SUFFIXES:
        _write_png(mask, out)
    else:
        write_volume(mask, out)
    n = int(mask.array.sum())
    size = n * float(np.prod(mask.spacing[1:] if mask.shape[0] == 1 else mask.spacing))
    unit = "mm2" if mask.shape[0] == 1 else "mm3"
    print(f"radiomix: wrote {out}: {n} voxels ({size:.6g} {unit})")
    return 0
