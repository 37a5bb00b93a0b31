"""Segmentation metrics: overlap (Dice, Jaccard) and surface distances (HD95, mean).

Surface distances are in physical units (mm) when the voxel spacing is known, in voxels
otherwise (e.g. BUSI: spacing 1, so pixels).

Definitions, for a segmentation :math:`A` and a reference :math:`B` (voxel sets):

- Dice: :math:`D = 2|A \\cap B| / (|A| + |B|)` (Dice 1945); two empty masks give 1.
- Jaccard: :math:`J = |A \\cap B| / |A \\cup B| = D / (2 - D)`; two empty masks give 1.
- Surfaces :math:`\\partial A`, :math:`\\partial B`: voxels of the mask with at least one
  face neighbour (4-neighbourhood in 2D, 6 in 3D) outside the mask or outside the image.
  Distances are measured between voxel centres, with the spacing, by a Euclidean distance
  transform; :math:`d(a, \\partial B) = \\min_{b \\in \\partial B} \\lVert a - b \\rVert`.
- Hausdorff 95 %: :math:`\\mathrm{HD95} = \\max(P_{95}\\{d(a, \\partial B)\\}_{a \\in \\partial A},
  P_{95}\\{d(b, \\partial A)\\}_{b \\in \\partial B})` -- the symmetric form of the directed
  95th percentiles (as MONAI computes it; linear interpolation between order statistics).
- Mean surface distance (average symmetric surface distance, ASSD):
  :math:`\\mathrm{MSD} = (\\sum_{a} d(a, \\partial B) + \\sum_{b} d(b, \\partial A)) /
  (|\\partial A| + |\\partial B|)`.

One-slice volumes are measured in 2D (in-plane neighbours only).

References
----------
Dice LR. Measures of the amount of ecologic association between species. Ecology 26 (1945).
Taha AA, Hanbury A. Metrics for evaluating 3D medical image segmentation: analysis,
selection, and tool. BMC Med Imaging 15 (2015) 29. doi:10.1186/s12880-015-0068-x
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage as ndi

from radiomix.errors import EmptyMaskError, GeometryMismatchError
from radiomix.io import Volume

__all__ = [
    "dice",
    "hausdorff_95",
    "jaccard",
    "mean_surface_distance",
    "segmentation_metrics",
    "surface_distances",
]

MaskLike = Volume | np.ndarray


def _pair(
    a: MaskLike, b: MaskLike, spacing: Sequence[float] | None
) -> tuple[np.ndarray, np.ndarray, tuple[float, ...]]:
    sp: tuple[float, ...] | None = None
    if isinstance(a, Volume):
        sp = a.spacing
    elif isinstance(b, Volume):
        sp = b.spacing
    aa = np.asarray(a.array if isinstance(a, Volume) else a).astype(bool)
    bb = np.asarray(b.array if isinstance(b, Volume) else b).astype(bool)
    if aa.shape != bb.shape:
        raise GeometryMismatchError(
            f"segmentation shape {aa.shape} differs from the reference's {bb.shape}; "
            "compare masks on the same grid"
        )
    if spacing is not None:
        sp = tuple(float(s) for s in spacing)
    if sp is None:
        sp = (1.0,) * aa.ndim
    if len(sp) != aa.ndim:
        if aa.ndim == 2 and len(sp) == 3:
            sp = sp[1:]
        else:
            raise ValueError(f"spacing {sp} does not match {aa.ndim} dimensions")
    if aa.ndim == 3 and aa.shape[0] == 1:  # a one-slice volume is a 2D image
        aa, bb, sp = aa[0], bb[0], tuple(sp[1:])
    return aa, bb, tuple(sp)


def dice(segmentation: MaskLike, reference: MaskLike) -> float:
    """Dice similarity coefficient :math:`2|A \\cap B| / (|A| + |B|)` (1 for two empty masks)."""
    a, b, _ = _pair(segmentation, reference, None)
    total = int(a.sum()) + int(b.sum())
    if total == 0:
        return 1.0
    return 2.0 * int(np.logical_and(a, b).sum()) / total


def jaccard(segmentation: MaskLike, reference: MaskLike) -> float:
    """Jaccard index :math:`|A \\cap B| / |A \\cup B|` (1 for two empty masks)."""
    a, b, _ = _pair(segmentation, reference, None)
    union = int(np.logical_or(a, b).sum())
    if union == 0:
        return 1.0
    return int(np.logical_and(a, b).sum()) / union


def _surface(mask: np.ndarray) -> np.ndarray:
    structure = ndi.generate_binary_structure(mask.ndim, 1)
    eroded = ndi.binary_erosion(mask, structure=structure, border_value=0)
    return mask & ~eroded


def surface_distances(
    segmentation: MaskLike, reference: MaskLike, *, spacing: Sequence[float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Distances from each surface voxel of one mask to the other mask's surface.

    Returns
    -------
    (d_seg_to_ref, d_ref_to_seg) : ndarray, ndarray
        In mm when the spacing is known (a Volume, or ``spacing``), else in voxels.

    Raises
    ------
    EmptyMaskError
        Either mask is empty (surface distances are undefined).
    """
    a, b, sp = _pair(segmentation, reference, spacing)
    if not a.any() or not b.any():
        which = "segmentation" if not a.any() else "reference"
        raise EmptyMaskError(f"the {which} mask is empty: surface distances are undefined")
    sa, sb = _surface(a), _surface(b)
    dist_to_b = ndi.distance_transform_edt(~sb, sampling=sp)
    dist_to_a = ndi.distance_transform_edt(~sa, sampling=sp)
    return np.asarray(dist_to_b[sa], dtype=float), np.asarray(dist_to_a[sb], dtype=float)


def hausdorff_95(
    segmentation: MaskLike, reference: MaskLike, *, spacing: Sequence[float] | None = None
) -> float:
    """Symmetric 95th-percentile Hausdorff distance (mm, or voxels without spacing)."""
    d_ab, d_ba = surface_distances(segmentation, reference, spacing=spacing)
    return float(max(np.percentile(d_ab, 95), np.percentile(d_ba, 95)))


def mean_surface_distance(
    segmentation: MaskLike, reference: MaskLike, *, spacing: Sequence[float] | None = None
) -> float:
    """Average symmetric surface distance (mm, or voxels without spacing)."""
    d_ab, d_ba = surface_distances(segmentation, reference, spacing=spacing)
    return float((d_ab.sum() + d_ba.sum()) / (d_ab.size + d_ba.size))


def segmentation_metrics(
    segmentation: MaskLike, reference: MaskLike, *, spacing: Sequence[float] | None = None
) -> dict[str, float]:
    """Dice, Jaccard, HD95 and mean surface distance in one dictionary.

    Surface distances are NaN when either mask is empty (Dice and Jaccard are still given).
    """
    out = {"dice": dice(segmentation, reference), "jaccard": jaccard(segmentation, reference)}
    try:
        d_ab, d_ba = surface_distances(segmentation, reference, spacing=spacing)
    except EmptyMaskError:
        out["hd95"] = out["msd"] = float("nan")
        return out
    out["hd95"] = float(max(np.percentile(d_ab, 95), np.percentile(d_ba, 95)))
    out["msd"] = float((d_ab.sum() + d_ba.sum()) / (d_ab.size + d_ba.size))
    return out
