"""Synthetic CT-like volumes moved by known transforms, for the registration tests.

The phantom is analytic (a function of physical position), so a moved image is the phantom
sampled at moved points, with no interpolation of a grid; the lesion truth on the moved grid
is analytic too.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

SHAPE = (48, 64, 64)  # (z, y, x)
SPACING = (2.0, 1.5, 1.5)  # (z, y, x) mm
LESION_CENTRE = np.array([12.0, 8.0, 10.0])  # (x, y, z) mm
LESION_RADIUS = 8.0


def _edge(d: np.ndarray, width: float = 1.0) -> np.ndarray:
    """1 inside (d < 0), 0 outside, a smooth step about ``width`` mm wide."""
    return 1.0 / (1.0 + np.exp(np.clip(d / width, -50, 50)))


def phantom_at(p: np.ndarray) -> np.ndarray:
    """CT-like values (HU) at physical points ``p`` (..., 3) in (x, y, z) mm."""
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    body = _edge(np.sqrt((x / 42) ** 2 + (y / 32) ** 2 + (z / 44) ** 2) * 36 - 36)
    lung_l = _edge(np.sqrt(((x + 19) / 14) ** 2 + ((y - 4) / 16) ** 2 + (z / 30) ** 2) * 14 - 14)
    lung_r = _edge(np.sqrt(((x - 18) / 11) ** 2 + ((y - 6) / 13) ** 2 + (z / 24) ** 2) * 11 - 11)
    spine = _edge(np.sqrt(x**2 + (y + 20) ** 2) - 6) * body
    marker = _edge(np.sqrt((x + 24) ** 2 + (y + 12) ** 2 + (z - 24) ** 2) - 4)
    lesion = _edge(np.linalg.norm(p - LESION_CENTRE, axis=-1) - LESION_RADIUS)
    hu = -1000 + 1040 * body - 820 * (lung_l + lung_r) * body + 600 * spine + 500 * marker
    return hu + 860 * lesion * (lung_r * body)


def grid(shape=SHAPE, spacing=SPACING) -> sitk.Image:
    """An empty float32 image centred on the physical origin."""
    img = sitk.Image(list(shape[::-1]), sitk.sitkFloat32)
    img.SetSpacing(list(spacing[::-1]))
    img.SetOrigin([-(n - 1) / 2 * s for n, s in zip(shape[::-1], spacing[::-1], strict=True)])
    return img


def points(ref: sitk.Image, through: sitk.Transform | None = None) -> np.ndarray:
    """Physical (x, y, z) points of every voxel of ``ref`` (z, y, x, 3), optionally mapped."""
    tx = through or sitk.Transform(3, sitk.sitkIdentity)
    field = sitk.TransformToDisplacementField(
        tx,
        sitk.sitkVectorFloat64,
        ref.GetSize(),
        ref.GetOrigin(),
        ref.GetSpacing(),
        ref.GetDirection(),
    )
    disp = sitk.GetArrayFromImage(field)
    idx = np.indices(ref.GetSize()[::-1]).transpose(1, 2, 3, 0)[..., ::-1]  # (x, y, z) indices
    pos = np.asarray(ref.GetOrigin()) + idx * np.asarray(ref.GetSpacing())
    return pos + disp


def image_from(values: np.ndarray, ref: sitk.Image) -> sitk.Image:
    img = sitk.GetImageFromArray(values.astype(np.float32))
    img.CopyInformation(ref)
    return img


def make_case(to_fixed: sitk.Transform | None = None, ref: sitk.Image | None = None):
    """(image, lesion mask) of the phantom sampled at ``to_fixed(y)`` for each voxel ``y``.

    ``to_fixed`` maps the moved image's points back to the phantom's (fixed) space, so the
    true registration transform (FIXED -> MOVING) is its inverse.
    """
    ref = ref or grid()
    p = points(ref, to_fixed)
    image = image_from(phantom_at(p), ref)
    inside = np.linalg.norm(p - LESION_CENTRE, axis=-1) <= LESION_RADIUS
    mask = sitk.GetImageFromArray(inside.astype(np.uint8))
    mask.CopyInformation(ref)
    return image, mask


def rigid_truth() -> sitk.Euler3DTransform:
    """Moved -> fixed: rotations of 6, -4, 8 degrees about x, y, z and (5, -4, 3) mm."""
    t = sitk.Euler3DTransform()
    t.SetRotation(*np.deg2rad([6.0, -4.0, 8.0]))
    t.SetTranslation((5.0, -4.0, 3.0))
    return t


def affine_truth() -> sitk.AffineTransform:
    """Moved -> fixed: a rotation, anisotropic scaling (0.93-1.06) and a shear, plus a shift."""
    t = sitk.AffineTransform(3)
    rot = sitk.Euler3DTransform()
    rot.SetRotation(*np.deg2rad([3.0, 0.0, -5.0]))
    m = np.asarray(rot.GetMatrix()).reshape(3, 3) @ np.array(
        [[1.06, 0.04, 0.0], [0.0, 0.95, 0.0], [0.0, 0.03, 1.02]]
    )
    t.SetMatrix(m.ravel().tolist())
    t.SetTranslation((-3.0, 4.0, 2.0))
    return t


def bspline_truth(ref: sitk.Image | None = None) -> sitk.Transform:
    """Moved -> fixed: a smooth B-spline deformation (up to about 4 mm) after a small shift."""
    ref = ref or grid()
    b = sitk.BSplineTransformInitializer(ref, [3, 3, 3], order=3)
    n = len(b.GetParameters()) // 3
    rng = np.random.default_rng(7)
    params = rng.uniform(-3.0, 3.0, size=3 * n)
    b.SetParameters(params.tolist())
    shift = sitk.TranslationTransform(3, (2.0, -1.5, 1.0))
    return sitk.CompositeTransform([shift, b])


def map_points(t: sitk.Transform, pts: np.ndarray) -> np.ndarray:
    return np.array([t.TransformPoint([float(v) for v in q]) for q in pts])


def probe_points(n: int = 60, seed: int = 3) -> np.ndarray:
    """Points inside the body (x, y, z) mm where the error of a transform is measured."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform(-1.0, 1.0, size=(n * 4, 3)) * np.array([34.0, 26.0, 36.0])
    inside = (pts[:, 0] / 34) ** 2 + (pts[:, 1] / 26) ** 2 + (pts[:, 2] / 36) ** 2 <= 1
    return pts[inside][:n]


def centre_mm(mask: sitk.Image) -> np.ndarray:
    """Physical centre (x, y, z) of a mask's voxels."""
    idx = np.argwhere(sitk.GetArrayViewFromImage(mask) > 0)[:, ::-1].mean(axis=0)
    return np.asarray(mask.TransformContinuousIndexToPhysicalPoint(idx.tolist()))
