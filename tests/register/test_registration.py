"""Registration with known transforms: recovered transforms, propagated masks, directions.

The moved images are the analytic phantom of :mod:`tests.register._phantom` sampled at
``to_fixed(y)``, so the true registration transform (FIXED -> MOVING) is ``to_fixed``'s
inverse and ``to_fixed(T(x)) == x`` for a perfect ``T``. Figures are printed (``-s``).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import SimpleITK as sitk

from radiomix.errors import ConfigError, InvalidImageError
from radiomix.io import from_sitk
from radiomix.register import (
    body_overlap,
    dice,
    inverse_transform,
    propagate,
    register,
    resample_image,
)
from tests.conftest import require_shared
from tests.register._phantom import (
    LESION_RADIUS,
    affine_truth,
    bspline_truth,
    centre_mm,
    make_case,
    map_points,
    probe_points,
    rigid_truth,
)

TRUTHS = {"rigid": rigid_truth, "affine": affine_truth, "bspline": bspline_truth}
#: (mean, max) point error in mm, minimum Dice, maximum lesion centre error in mm
LIMITS = {
    "rigid": (0.3, 0.6, 0.9, 0.5),
    "affine": (0.4, 0.8, 0.9, 0.5),
    "bspline": (0.8, 1.6, 0.85, 1.0),
}


@pytest.fixture(scope="module")
def fixed_case() -> tuple[sitk.Image, sitk.Image]:
    return make_case()


@pytest.fixture(scope="module")
def moved() -> dict[str, tuple[sitk.Transform, sitk.Image, sitk.Image]]:
    """Per method: (to_fixed, moving image, true lesion mask on the moving grid)."""
    out = {}
    for name, truth in TRUTHS.items():
        to_fixed = truth()
        out[name] = (to_fixed, *make_case(to_fixed))
    return out


@pytest.fixture(scope="module")
def results(fixed_case, moved):
    fixed, _ = fixed_case
    return {name: register(fixed, moved[name][1], method=name) for name in TRUTHS}


def _point_errors(to_fixed: sitk.Transform, transform: sitk.Transform) -> np.ndarray:
    pts = probe_points()
    return np.linalg.norm(map_points(to_fixed, map_points(transform, pts)) - pts, axis=1)


@pytest.mark.parametrize("method", list(TRUTHS))
def test_recovers_known_transform(method, fixed_case, moved, results):
    fixed, fmask = fixed_case
    to_fixed, moving, true_mask = moved[method]
    result = results[method]
    err = _point_errors(to_fixed, result.transform)
    carried = propagate(fmask, fixed, moving, result.transform)
    truth = sitk.GetArrayViewFromImage(true_mask) > 0
    d = dice(carried.array > 0, truth)
    carried_img = sitk.GetImageFromArray(carried.array)
    carried_img.CopyInformation(moving)
    centre_err = float(np.linalg.norm(centre_mm(carried_img) - centre_mm(true_mask)))
    print(
        f"\n{method}: point error mean {err.mean():.3f} mm, max {err.max():.3f} mm; "
        f"Dice {d:.3f}; lesion centre error {centre_err:.3f} mm; "
        f"{result.quality['seconds']:.1f} s"
    )
    mean_lim, max_lim, dice_lim, centre_lim = LIMITS[method]
    assert err.mean() <= mean_lim and err.max() <= max_lim
    assert d >= dice_lim
    assert centre_err <= centre_lim
    assert carried.shape == tuple(moving.GetSize()[::-1])


def test_quality_record_is_json(results):
    q = json.loads(json.dumps(results["bspline"].quality))
    assert q["method"] == "bspline" and q["final_metric_value"] is not None
    assert [s["stage"] for s in q["stages"]] == ["rigid", "bspline"]
    for stage in q["stages"]:
        assert stage["iterations_per_level"] and all(n > 0 for n in stage["iterations_per_level"])
        assert stage["stop_condition"] and stage["seconds"] >= 0
    assert [t["name"] for t in q["transform"]] == ["Euler3DTransform", "BSplineTransform"]
    rigid = results["rigid"].quality["transform"][0]
    assert len(rigid["parameters"]) == 6 and len(rigid["matrix"]) == 9


def test_direction_of_the_transform(fixed_case, moved):
    """The true FIXED -> MOVING transform carries the mask right; its inverse (the wrong way
    round) misses the lesion; resampling MOVING onto FIXED uses the transform as it is."""
    fixed, fmask = fixed_case
    to_fixed, moving, true_mask = moved["rigid"]
    right = to_fixed.GetInverse()  # FIXED -> MOVING
    truth = sitk.GetArrayViewFromImage(true_mask) > 0
    good = dice(propagate(fmask, fixed, moving, right).array > 0, truth)
    wrong = dice(propagate(fmask, fixed, moving, to_fixed).array > 0, truth)
    print(f"\ndirection: Dice right way {good:.3f}, wrong way {wrong:.3f}")
    assert good >= 0.9 and wrong < 0.3
    f = sitk.GetArrayViewFromImage(fixed)
    body = f > -900
    back = resample_image(moving, fixed, right).array
    back_wrong = resample_image(moving, fixed, to_fixed).array
    assert np.abs(back - f)[body].mean() < 0.2 * np.abs(back_wrong - f)[body].mean()


def test_inverse_of_a_bspline_composite(fixed_case):
    fixed, _ = fixed_case
    t = bspline_truth()
    inv = inverse_transform(t, fixed)
    pts = probe_points()
    err = np.linalg.norm(map_points(inv, map_points(t, pts)) - pts, axis=1)
    print(f"\nB-spline inverse: round trip error mean {err.mean():.3f} mm, max {err.max():.3f}")
    assert err.max() < 0.3


def test_linear_propagation_and_labels(fixed_case, moved):
    fixed, fmask = fixed_case
    to_fixed, moving, true_mask = moved["rigid"]
    right = to_fixed.GetInverse()
    truth = sitk.GetArrayViewFromImage(true_mask) > 0
    smooth = propagate(fmask, fixed, moving, right, interpolation="linear")
    assert dice(smooth.array > 0, truth) >= 0.9
    labels = sitk.GetArrayFromImage(fmask).astype(np.uint8)
    labels[:, :, :40][labels[:, :, :40] > 0] = 2  # the lesion's left half: label 2
    lab = sitk.GetImageFromArray(labels)
    lab.CopyInformation(fixed)
    for how in ("nearest", "linear"):
        out = propagate(lab, fixed, moving, right, interpolation=how).array
        assert set(np.unique(out)) == {0, 1, 2}
        assert dice(out > 0, truth) >= 0.9


def test_volumes_and_geometry_only(fixed_case):
    """Volumes in, a Volume out; no transform: the images' geometry alone (same grid: same
    mask)."""
    fixed, fmask = fixed_case
    vol, mvol = from_sitk(fixed), from_sitk(fmask)
    out = propagate(mvol, vol, vol)
    assert np.array_equal(out.array > 0, mvol.array > 0)
    assert out.spacing == vol.spacing


def test_body_overlap(fixed_case, moved, results):
    fixed, fmask = fixed_case
    moving = moved["rigid"][1]
    t = results["rigid"].transform
    carried = propagate(fmask, fixed, moving, t)
    qc = body_overlap(fixed, moving, t, propagated=carried)
    untouched = body_overlap(fixed, moving)
    print(
        f"\nbody outline Dice registered {qc['body_dice']:.3f}, unregistered "
        f"{untouched['body_dice']:.3f}"
    )
    assert qc["body_dice"] >= 0.97 and qc["mask_inside_body"] == 1.0
    assert qc["body_dice"] > untouched["body_dice"]


@pytest.mark.parametrize("metric", ["ncc", "ms"])
def test_other_metrics_and_options(metric, fixed_case, moved):
    fixed, _ = fixed_case
    to_fixed, moving, _ = moved["rigid"]
    body = sitk.Cast(fixed > -500, sitk.sitkUInt8)
    res = register(fixed, moving, metric=metric, init="moments", fixed_mask=body)
    err = _point_errors(to_fixed, res.transform)
    assert err.max() < 0.6, err.max()
    assert res.quality["fixed_mask"] and res.quality["init"] == "moments"


def test_bad_arguments(fixed_case):
    fixed, _ = fixed_case
    with pytest.raises(ConfigError, match="method"):
        register(fixed, fixed, method="demons")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="metric"):
        register(fixed, fixed, metric="cc")  # type: ignore[arg-type]
    with pytest.raises(InvalidImageError, match="empty"):
        register(fixed, fixed, fixed_mask=sitk.Cast(fixed > 1e9, sitk.sitkUInt8))
    small = sitk.Image([8, 8, 8], sitk.sitkUInt8)
    with pytest.raises(InvalidImageError, match="grid"):
        propagate(small, fixed, fixed)


def test_ibsi_ct_phantom_rigid():
    """The IBSI 1 CT phantom moved by a known rigid transform (3 degrees, a few mm)."""
    root = require_shared("ibsi", "ibsi_1_ct_radiomics_phantom", "nifti")
    fixed = sitk.ReadImage(str(root / "image" / "phantom.nii.gz"), sitk.sitkFloat32)
    mask = sitk.ReadImage(str(root / "mask" / "mask.nii.gz"), sitk.sitkUInt8)
    centre = fixed.TransformContinuousIndexToPhysicalPoint([(n - 1) / 2 for n in fixed.GetSize()])
    to_fixed = sitk.Euler3DTransform()
    to_fixed.SetCenter(centre)
    to_fixed.SetRotation(0.0, 0.0, float(np.deg2rad(3.0)))
    to_fixed.SetTranslation((4.0, -3.0, 2.0))
    moving = sitk.Resample(fixed, fixed, to_fixed, sitk.sitkLinear, -1000.0)
    true_mask = sitk.Resample(mask, fixed, to_fixed, sitk.sitkNearestNeighbor, 0)
    res = register(fixed, moving, method="rigid")
    roi = np.argwhere(sitk.GetArrayViewFromImage(mask) > 0)[:, ::-1]
    pts = np.array([fixed.TransformIndexToPhysicalPoint([int(v) for v in q]) for q in roi[::50]])
    err = np.linalg.norm(map_points(to_fixed, map_points(res.transform, pts)) - pts, axis=1)
    carried = propagate(mask, fixed, moving, res.transform)
    d = dice(carried.array > 0, sitk.GetArrayViewFromImage(true_mask) > 0)
    img = sitk.GetImageFromArray(carried.array)
    img.CopyInformation(moving)
    centre_err = float(np.linalg.norm(centre_mm(img) - centre_mm(true_mask)))
    print(
        f"\nIBSI CT phantom rigid: ROI point error mean {err.mean():.3f} mm, max "
        f"{err.max():.3f} mm; Dice {d:.3f}; centre error {centre_err:.3f} mm; "
        f"{res.quality['seconds']:.1f} s"
    )
    assert err.max() < 1.0 and d >= 0.9 and centre_err < 0.5
    assert LESION_RADIUS > 0
