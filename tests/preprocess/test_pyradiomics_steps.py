"""PyRadiomics' preprocessing steps as engine functions: ``normalise`` and ``resample_onto``
computed on the part of the image they need, equal to the whole image's result to the bit."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

from radiomix.io import Volume, read_image, to_sitk
from radiomix.preprocess import resample as rs
from radiomix.preprocess.normalise import normalise, normalise_statistics
from radiomix.preprocess.resample import resample_onto, resampled_grid
from tests.conftest import require_shared


def _ct(shape=(30, 260, 250), seed=3) -> Volume:
    rng = np.random.default_rng(seed)
    arr = ndimage.gaussian_filter(rng.normal(0, 200, shape), 1.5) + rng.normal(0, 20, shape)
    return Volume(
        np.round(arr).astype(np.int16),
        spacing=(2.5, 0.72, 0.72),
        origin=(-40.0, -101.3, 12.7),
        direction=np.eye(3),
    )


def _box_mask(image: Volume, box: tuple[slice, ...]) -> np.ndarray:
    roi = np.zeros(image.shape, dtype=bool)
    roi[box] = True
    return roi


@pytest.mark.parametrize("outliers", [None, 1.5])
def test_normalise_is_simpleitk_normalize_to_the_bit(outliers):
    image = _ct()
    z = sitk.GetArrayFromImage(sitk.Normalize(to_sitk(image)))
    if outliers is not None:
        z = np.clip(z, -outliers, outliers)
    expected = sitk.GetArrayFromImage(sitk.Multiply(sitk.GetImageFromArray(z), 100.0))
    got = normalise(image, 100.0, outliers)
    assert got.array.dtype == np.float64 and np.array_equal(got.array, expected)
    assert got.spacing == image.spacing and got.origin == image.origin


def test_normalise_of_a_crop_with_the_whole_image_statistics():
    image = _ct()
    crop = (slice(5, 20), slice(40, 90), slice(30, 100))
    part = image.with_array(np.asarray(image.array)[crop])
    whole = normalise(image, 100.0)
    got = normalise(part, 100.0, statistics=normalise_statistics(image))
    assert np.array_equal(got.array, np.asarray(whole.array)[crop])
    # the crop's own statistics differ: the whole image's are what PyRadiomics uses
    assert not np.array_equal(normalise(part, 100.0).array, got.array)


@pytest.mark.parametrize("interpolator", ["sitkBSpline", "sitkBSpline5", "sitkLinear"])
@pytest.mark.parametrize("spacing", [[1.0, 1.0, 1.0], [None, 0.5, 0.5], [2.0, 2.0, 2.0]])
def test_resample_onto_reads_the_roi_neighbourhood_only(interpolator, spacing, monkeypatch):
    image = _ct()
    roi = _box_mask(image, (slice(10, 18), slice(100, 125), slice(110, 130)))
    box = tuple(slice(int(i.min()), int(i.max()) + 1) for i in np.nonzero(roi))
    grid = resampled_grid(
        image.with_array(roi.astype(np.uint8)), spacing, align="corner", box=box, pad=5
    )
    seen: list[tuple[int, ...]] = []
    for dtype in (np.int16, np.float32):
        vol = image.with_array(np.asarray(image.array).astype(dtype))
        got = resample_onto(vol, grid, interpolator)
        seen.clear()
        monkeypatch.setattr(rs, "_REACH", {})  # the whole image, as PyRadiomics resamples
        monkeypatch.setattr(rs, "_reach_of", lambda v, *a: seen.append(v.shape) or v)
        whole = resample_onto(vol, grid, interpolator)
        monkeypatch.undo()
        assert seen == [image.shape]
        assert got.array.dtype == dtype and np.array_equal(got.array, whole.array)
        assert got.origin == whole.origin and got.spacing == whole.spacing
    cut = rs._reach_of(image, grid, interpolator, False)
    if interpolator.startswith("sitkBSpline"):  # 68 voxels around the box, in-plane
        assert cut.shape[1] < image.shape[1] and cut.shape[2] < image.shape[2]
    else:
        assert cut is image


def test_resample_onto_with_a_voxelwise_map_first():
    image = _ct()
    roi = _box_mask(image, (slice(10, 18), slice(60, 85), slice(70, 90)))
    box = tuple(slice(int(i.min()), int(i.max()) + 1) for i in np.nonzero(roi))
    grid = resampled_grid(
        image.with_array(roi.astype(np.uint8)), [1.0, 1.0, 1.0], align="corner", box=box, pad=5
    )
    stats = normalise_statistics(image)
    got = resample_onto(
        image, grid, "sitkBSpline", voxelwise=lambda v: normalise(v, 100.0, statistics=stats)
    )
    expected = resample_onto(normalise(image, 100.0), grid, "sitkBSpline")
    assert np.array_equal(got.array, expected.array)


@pytest.mark.parametrize("case", ["lung1", "brain1"])
def test_resample_onto_real_cases(case, monkeypatch):
    folder = require_shared("data", "pyradiomics-cases")
    image = read_image(folder / f"{case}_image.nrrd")
    roi = np.asarray(read_image(folder / f"{case}_label.nrrd").array) == 1
    box = tuple(slice(int(i.min()), int(i.max()) + 1) for i in np.nonzero(roi))
    grid = resampled_grid(
        image.with_array(roi.astype(np.uint8)), [1.0, 1.0, 1.0], align="corner", box=box, pad=5
    )
    got = resample_onto(image, grid, "sitkBSpline")
    monkeypatch.setattr(rs, "_REACH", {})
    assert np.array_equal(got.array, resample_onto(image, grid, "sitkBSpline").array)
