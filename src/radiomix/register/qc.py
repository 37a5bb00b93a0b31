"""Quality checks of a registration: body-outline overlap and a checkerboard picture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import SimpleITK as sitk

from radiomix._outputs import atomic_write
from radiomix.register._common import as_sitk_image, as_sitk_mask
from radiomix.register.propagate import read_transform

__all__ = ["body_mask", "body_overlap", "dice", "qc_figure"]


def body_mask(image: Any) -> np.ndarray:
    """The body outline of an image as a boolean (z, y, x) array.

    Voxels above Otsu's threshold of the image, the largest connected component (26
    neighbours) of them, its holes filled (3D). Good for CT and most MR; an image without a
    clear body/background contrast gives a meaningless outline.
    """
    img = as_sitk_image(image, "image")
    fg = sitk.OtsuThreshold(img, 0, 1)
    cc = sitk.ConnectedComponent(fg, True)
    largest = sitk.RelabelComponent(cc, sortByObjectSize=True) == 1
    filled = sitk.BinaryFillhole(largest, fullyConnected=False, foregroundValue=1)
    return sitk.GetArrayFromImage(filled).astype(bool)


def dice(a: np.ndarray, b: np.ndarray) -> float:
    """Dice coefficient ``2|A and B| / (|A| + |B|)`` of two boolean arrays (1 when both are empty)."""
    a = np.asarray(a, dtype=bool)
    b = np.asarray(b, dtype=bool)
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * int((a & b).sum()) / total


def body_overlap(
    fixed: Any, moving: Any, transform: Any = None, propagated: Any = None
) -> dict[str, float]:
    """How well the registered images' body outlines agree (:func:`body_mask` of each).

    Parameters
    ----------
    fixed, moving : str, Path, Volume or SimpleITK.Image
        The registered images.
    transform : SimpleITK.Transform, str or Path, optional
        FIXED -> MOVING points, as :func:`radiomix.register.register` returns it (none: the
        images' own geometry).
    propagated : Volume, ndarray or SimpleITK.Image, optional
        A mask already carried onto MOVING's grid (:func:`~radiomix.register.propagate`).

    Returns
    -------
    dict
        ``body_dice``: Dice of the fixed image's body outline against the moving image's
        outline resampled onto the fixed grid with ``transform`` (nearest neighbour); with
        ``propagated``, ``mask_inside_body``: the fraction of its voxels inside the moving
        image's own body outline (below 1: part of the carried ROI landed outside the body).
    """
    fixed_img = as_sitk_image(fixed, "fixed image")
    moving_img = as_sitk_image(moving, "moving image")
    tx = read_transform(transform) or sitk.Transform(3, sitk.sitkIdentity)
    body_m = body_mask(moving_img)
    body_m_img = sitk.GetImageFromArray(body_m.astype(np.uint8))
    body_m_img.CopyInformation(moving_img)
    warped = sitk.Resample(body_m_img, fixed_img, tx, sitk.sitkNearestNeighbor, 0)
    body_dice = dice(body_mask(fixed_img), sitk.GetArrayViewFromImage(warped) > 0)
    out = {"body_dice": round(body_dice, 4)}
    if propagated is not None:
        if isinstance(propagated, sitk.Image):
            arr = sitk.GetArrayFromImage(propagated)
        else:
            arr = np.asarray(getattr(propagated, "array", propagated))
        prop = arr > 0
        n = int(prop.sum())
        out["mask_inside_body"] = round(float((prop & body_m).sum()) / n, 4) if n else 0.0
    return out


def _window(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip((a - lo) / (hi - lo if hi > lo else 1.0), 0.0, 1.0)


def _three_planes(
    image: Any, roi: np.ndarray | None, first: np.ndarray, second: np.ndarray
) -> list[tuple[str, np.ndarray, np.ndarray, float]]:
    """(name, plane of ``first``, plane of ``second``, aspect) of the axial, coronal and
    sagittal planes through the centre of ``roi`` (the array's centre without one),
    displayed head up, for arrays on ``image``'s grid."""
    if roi is not None and roi.any():
        centre = np.round(np.argwhere(roi).mean(axis=0)).astype(int)
    else:
        centre = np.array(first.shape) // 2
    sz, sy, sx = image.GetSpacing()[::-1]
    z, y, x = (int(c) for c in centre)
    return [
        ("axial", first[z], second[z], sy / sx),
        ("coronal", first[:, y][::-1], second[:, y][::-1], sz / sx),
        ("sagittal", first[:, :, x][::-1], second[:, :, x][::-1], sz / sy),
    ]


def qc_figure(
    fixed: Any, moving: Any, transform: Any, path: str | Path, *, mask: Any = None, tiles: int = 8
) -> None:
    """Write a PNG: checkerboards and a colour overlay of FIXED and registered MOVING.

    Three planes (axial, coronal, sagittal) through the centre of ``mask`` (on FIXED) or of
    the image; top row checkerboard (``tiles`` squares across), bottom row overlay (fixed in
    green, registered moving in magenta: grey where they agree). Both images share the fixed
    image's 1st-99th percentile window.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fixed_img = as_sitk_image(fixed, "fixed image")
    moving_img = as_sitk_image(moving, "moving image")
    tx = read_transform(transform) or sitk.Transform(3, sitk.sitkIdentity)
    lo_m = float(np.min(sitk.GetArrayViewFromImage(moving_img)))
    warped = sitk.Resample(moving_img, fixed_img, tx, sitk.sitkLinear, lo_m)
    f = sitk.GetArrayFromImage(fixed_img)
    m = sitk.GetArrayFromImage(warped)
    lo, hi = np.percentile(f, [1, 99])
    f, m = _window(f, lo, hi), _window(m, lo, hi)
    roi = None
    if mask is not None:
        roi = sitk.GetArrayViewFromImage(as_sitk_mask(mask, reference=fixed_img)) > 0
    planes = _three_planes(fixed_img, roi, f, m)
    fig, axes = plt.subplots(2, 3, figsize=(12, 8))
    for col, (name, a, b, aspect) in enumerate(planes):
        rows, cols = a.shape
        step = max(1, max(rows, cols) // tiles)
        yy, xx = np.indices(a.shape)
        board = np.where(((yy // step) + (xx // step)) % 2 == 0, a, b)
        axes[0, col].imshow(board, cmap="gray", aspect=aspect, vmin=0, vmax=1)
        axes[0, col].set_title(f"{name}: checkerboard fixed / moving")
        overlay = np.stack([b, a, b], axis=-1)
        axes[1, col].imshow(overlay, aspect=aspect)
        axes[1, col].set_title(f"{name}: fixed green, moving magenta")
        for ax in axes[:, col]:
            ax.axis("off")
    fig.tight_layout()
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=80))
    finally:
        plt.close(fig)


def mask_figure(image: Any, mask: Any, path: str | Path) -> None:
    """Write a PNG: a mask carried onto ``image`` (on its grid), outlined in red on the
    image in the three planes through the mask's centre (the image's 1st-99th percentile
    window), for a quick look at where ``radiomix propagate`` put it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    img = as_sitk_image(image, "image")
    a = _window(sitk.GetArrayFromImage(img).astype(np.float64), *np.percentile(
        sitk.GetArrayViewFromImage(img), [1, 99]
    ))  # fmt: skip
    roi = sitk.GetArrayViewFromImage(as_sitk_mask(mask, reference=img)) > 0
    planes = _three_planes(img, roi, a, roi)
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.5))
    for ax, (name, plane, inside, aspect) in zip(axes, planes, strict=True):
        ax.imshow(plane, cmap="gray", aspect=aspect, vmin=0, vmax=1)
        if inside.any():
            ax.contour(inside.astype(float), levels=[0.5], colors="red", linewidths=1.0)
        ax.set_title(f"{name}: carried mask ({int(inside.sum())} voxels here)")
        ax.axis("off")
    fig.tight_layout()
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=80))
    finally:
        plt.close(fig)
