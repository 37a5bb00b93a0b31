"""``radiomix register`` / ``propagate`` / ``resample``: registration and carrying between grids.

``register FIXED MOVING --out T.tfm`` writes an ITK transform (FIXED points -> MOVING points)
and ``T.json`` beside it (the quality record); ``propagate MASK --from FIXED --to MOVING
--transform T.tfm --out MASK2`` carries a mask drawn on FIXED onto MOVING's grid (the
transform is inverted); ``resample IMAGE --to REFERENCE --transform T.tfm --out OUT`` brings
the moving image onto the fixed grid (the transform is used as it is).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from radiomix.cli._checks import check_volume_out, ensure_writable, sibling
from radiomix.errors import ConfigError

METHODS = ("rigid", "affine", "bspline")
METRICS = ("mi", "ncc", "ms")
INITS = ("geometry", "moments")
TRANSFORM_SUFFIXES = (".tfm", ".txt", ".h5")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "register",
        help="register MOVING onto FIXED (rigid, affine, B-spline); write an ITK transform",
        description=(
            "Multi-resolution SimpleITK registration. The transform written maps points of "
            "FIXED's space to MOVING's space (ITK's convention; readable by SimpleITK and 3D "
            "Slicer); the quality record (final metric, iterations per level, stop condition, "
            "seconds, parameters, body-outline Dice) goes to the .json beside it."
        ),
    )
    p.add_argument("fixed", help="fixed image (the one masks are drawn on)")
    p.add_argument("moving", help="moving image")
    p.add_argument("--out", required=True, help="transform file (.tfm, .txt or .h5)")
    p.add_argument("--method", default="rigid", help="rigid (default), affine or bspline")
    p.add_argument("--metric", default="mi", help="mi (default; mutual information), ncc or ms")
    p.add_argument("--fixed-mask", help="only this region of FIXED drives the metric")
    p.add_argument("--init", default="geometry", help="geometry (default) or moments")
    p.add_argument("--qc", help="checkerboard / overlay picture of the result (.png)")
    p.set_defaults(func=run_register)

    p = sub.add_parser(
        "propagate",
        help="carry a mask drawn on FIXED onto MOVING's grid (with a registration transform)",
        description=(
            "Carry MASK (drawn on the --from image) onto the --to image's grid. With "
            "--transform (from 'radiomix register FROM TO'), the transform is inverted "
            "(exactly for rigid/affine, iteratively for B-spline); without, the images' "
            "geometry alone places the mask. Prints the fraction of the carried mask inside "
            "the --to image's body outline."
        ),
    )
    p.add_argument("mask", help="mask or label map on the --from image's grid")
    p.add_argument("--from", dest="from_image", required=True, help="the image MASK belongs to")
    p.add_argument("--to", dest="to_image", required=True, help="the image to carry it onto")
    p.add_argument("--transform", help="transform file written by 'radiomix register'")
    p.add_argument("--out", required=True, help="output mask (.nii.gz, .nii, .nrrd, .mha)")
    p.add_argument("--qc", help="picture of the carried mask outlined on the --to image (.png)")
    p.add_argument(
        "--interpolation", default="nearest", help="nearest (default) or linear (+ threshold 0.5)"
    )
    p.set_defaults(func=run_propagate)

    p = sub.add_parser(
        "resample",
        help="resample IMAGE onto REFERENCE's grid (optionally through a transform)",
        description=(
            "Resample IMAGE (the MOVING image of 'radiomix register REFERENCE IMAGE') onto "
            "REFERENCE's grid; the transform is used as it is. Outside IMAGE: its minimum."
        ),
    )
    p.add_argument("image", help="image to resample")
    p.add_argument("--to", dest="reference", required=True, help="image whose grid to take")
    p.add_argument("--transform", help="transform file written by 'radiomix register'")
    p.add_argument("--out", required=True, help="output image (.nii.gz, .nii, .nrrd, .mha)")
    p.add_argument("--interpolation", default="linear", help="linear (default), nearest, bspline")
    p.set_defaults(func=run_resample)


def _choice(value: str, choices: tuple[str, ...], what: str) -> None:
    if value not in choices:
        raise ConfigError(f"{what} {value!r}: use one of {', '.join(choices)}")


def _check_transform_in(path: str | None) -> None:
    if path is not None and not Path(path).is_file():
        raise ConfigError(f"--transform {path!r} does not exist")


def run_register(args: argparse.Namespace) -> int:
    _choice(args.method, METHODS, "--method")
    _choice(args.metric, METRICS, "--metric")
    _choice(args.init, INITS, "--init")
    if not str(args.out).lower().endswith(TRANSFORM_SUFFIXES):
        raise ConfigError(f"--out {args.out!r}: use one of {', '.join(TRANSFORM_SUFFIXES)}")
    ensure_writable(args.out, "--out")
    report = sibling(args.out, ".json")
    ensure_writable(report, "the quality record")
    _check_qc(args.qc)
    import SimpleITK as sitk

    from radiomix._outputs import atomic_write, atomic_write_text
    from radiomix.register import body_overlap, qc_figure, register
    from radiomix.register._common import as_sitk_image

    fixed = as_sitk_image(args.fixed, "fixed image")
    moving = as_sitk_image(args.moving, "moving image")
    result = register(
        fixed,
        moving,
        method=args.method,
        metric=args.metric,
        fixed_mask=args.fixed_mask,
        init=args.init,
    )
    quality = dict(result.quality)
    quality.update(fixed=str(args.fixed), moving=str(args.moving), transform_file=str(args.out))
    quality["qc"] = body_overlap(fixed, moving, result.transform)
    atomic_write(args.out, lambda tmp: sitk.WriteTransform(result.transform, tmp))
    atomic_write_text(report, json.dumps(quality, indent=2) + "\n")
    if args.qc is not None:
        qc_figure(fixed, moving, result.transform, args.qc, mask=args.fixed_mask)
    value = quality["final_metric_value"]
    shown = "n/a" if value is None else f"{value:.4g}"
    print(
        f"{args.method} registration: metric {args.metric} {shown}, body outline Dice "
        f"{quality['qc']['body_dice']:.3f}, {quality['seconds']:.1f} s -> {args.out}"
    )
    return 0


def _check_qc(path: str | None) -> None:
    """The --qc picture's name, checked before any work."""
    if path is None:
        return
    if not str(path).lower().endswith(".png"):
        raise ConfigError(f"--qc {path!r}: use a .png name")
    ensure_writable(path, "--qc")


def run_propagate(args: argparse.Namespace) -> int:
    _choice(args.interpolation, ("nearest", "linear"), "--interpolation")
    _check_transform_in(args.transform)
    check_volume_out(args.out)
    _check_qc(args.qc)
    import sys

    from radiomix.io import write_volume
    from radiomix.register import body_overlap, mask_figure, propagate, read_transform
    from radiomix.register._common import as_sitk_image

    transform = read_transform(args.transform)
    fixed = as_sitk_image(args.from_image, "--from image")
    moving = as_sitk_image(args.to_image, "--to image")
    carried = propagate(args.mask, fixed, moving, transform, interpolation=args.interpolation)
    if not carried.array.any():
        print("radiomix: warning: the carried mask is empty on the --to grid", file=sys.stderr)
    qc = body_overlap(fixed, moving, transform, propagated=carried)
    write_volume(carried, args.out)
    if args.qc is not None:
        mask_figure(moving, carried, args.qc)
    print(
        f"mask carried: {int((carried.array > 0).sum())} voxels, "
        f"{100 * qc['mask_inside_body']:.1f}% inside the --to image's body outline -> {args.out}"
    )
    return 0


def run_resample(args: argparse.Namespace) -> int:
    _choice(args.interpolation, ("linear", "nearest", "bspline"), "--interpolation")
    _check_transform_in(args.transform)
    check_volume_out(args.out)
    from radiomix.io import write_volume
    from radiomix.register import resample_image

    out = resample_image(args.image, args.reference, args.transform, args.interpolation)
    write_volume(out, args.out)
    return 0
