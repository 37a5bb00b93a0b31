"""Masks: label maps, label selection, ROI checks, geometry checks, BUSI masks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from radiomix.errors import (
    EmptyMaskError,
    GeometryMismatchError,
    InvalidImageError,
    LabelNotFoundError,
    RoiTooSmallError,
)
from radiomix.io import (
    Volume,
    check_geometry,
    check_roi,
    mask_labels,
    read_image,
    read_mask,
    select_label,
    write_volume,
)
from tests.conftest import require_shared


def _labels() -> Volume:
    array = np.zeros((2, 3, 4), dtype=np.uint8)
    array[0, 0, :2] = 1
    array[1, 2, 3] = 7
    array[1, 1, 1] = 7
    return Volume(array, spacing=(2.5, 0.98, 0.98), metadata={"source": "labels.nrrd"})


# ----------------------------------------------------------------------------- labels


def test_mask_labels() -> None:
    assert mask_labels(_labels()) == [1, 7]
    assert mask_labels(Volume(np.zeros((2, 2), dtype=np.uint8))) == []
    assert mask_labels(Volume(np.array([[0, -3], [1000, 0]], dtype=np.int32))) == [-3, 1000]
    assert mask_labels(Volume(np.array([[True, False]]))) == [1]


def test_select_label() -> None:
    mask = _labels()
    seven = select_label(mask, 7)
    assert seven.array.dtype == np.bool_
    assert int(seven.array.sum()) == 2
    assert seven.spacing == mask.spacing
    assert seven.metadata["label"] == 7
    everything = select_label(mask, None)
    assert int(everything.array.sum()) == 4


def test_select_absent_label_names_labels_present() -> None:
    with pytest.raises(LabelNotFoundError, match=r"label 3 .*labels\.nrrd.*\[1, 7\]"):
        select_label(_labels(), 3)
    with pytest.raises(LabelNotFoundError, match="empty"):
        select_label(Volume(np.zeros((2, 2), dtype=np.uint8)), 1)


def test_binary_255_mask_counts_as_label_1() -> None:
    mask = Volume(np.array([[0, 255], [255, 0]], dtype=np.uint8))
    assert int(select_label(mask, None).array.sum()) == 2
    one = select_label(mask, 1)
    assert int(one.array.sum()) == 2
    assert one.metadata["label"] == 255
    assert int(select_label(mask, 255).array.sum()) == 2
    with pytest.raises(LabelNotFoundError):
        select_label(mask, 2)


# ----------------------------------------------------------------------------- reading


def test_read_mask_float_labels_become_integers(tmp_path: Path) -> None:
    write_volume(Volume(np.array([[0.0, 1.0], [2.0, 0.0]], dtype=np.float32)), tmp_path / "m.nrrd")
    mask = read_mask(tmp_path / "m.nrrd")
    assert mask.array.dtype == np.uint8
    assert mask_labels(mask) == [1, 2]
    write_volume(Volume(np.array([[0.0, 0.5]], dtype=np.float32)), tmp_path / "soft.nrrd")
    with pytest.raises(InvalidImageError, match=r"soft\.nrrd holds 1 non-integer value.*0\.5"):
        read_mask(tmp_path / "soft.nrrd")
    with pytest.raises(InvalidImageError, match="non-finite"):
        read_mask(np.array([[0.0, np.nan]]))
    assert read_mask(np.array([[True, False]])).array.dtype == np.uint8


def test_read_mask_takes_reference_geometry_for_2d_files(tmp_path: Path) -> None:
    mask = np.zeros((4, 5), dtype=np.uint8)
    mask[1, 1] = 255
    Image.fromarray(mask).save(tmp_path / "m.png")
    reference = Volume(np.zeros((1, 4, 5)), spacing=(1.0, 0.3, 0.4), origin=(0.0, 1.0, 2.0))
    vol = read_mask(tmp_path / "m.png", reference=reference)
    assert vol.spacing == reference.spacing
    assert vol.origin == reference.origin
    with pytest.raises(GeometryMismatchError, match="size"):
        read_mask(tmp_path / "m.png", reference=Volume(np.zeros((1, 4, 6))))


def test_read_mask_checks_and_snaps_file_geometry(tmp_path: Path) -> None:
    image = Volume(np.zeros((2, 3, 4)), spacing=(2.5, 0.98, 0.98), origin=(1.0, 2.0, 3.0))
    near = image.with_array(np.ones((2, 3, 4), dtype=np.uint8), origin=(1.0, 2.0, 3.00002))
    write_volume(near, tmp_path / "near.nii.gz")
    mask = read_mask(tmp_path / "near.nii.gz", reference=image)
    assert mask.origin == image.origin  # within tolerance: the image's exact grid
    far = near.with_array(near.array, spacing=(3.0, 0.98, 0.98))
    write_volume(far, tmp_path / "far.nii.gz")
    with pytest.raises(GeometryMismatchError, match="spacing"):
        read_mask(tmp_path / "far.nii.gz", reference=image)


# ----------------------------------------------------------------------------- ROI size


def test_check_roi() -> None:
    with pytest.raises(EmptyMaskError, match="empty"):
        check_roi(np.zeros((2, 2, 2), dtype=bool))
    one = np.zeros((2, 2, 2), dtype=bool)
    one[1, 1, 1] = True
    check_roi(one)
    check_roi(Volume(one))
    with pytest.raises(RoiTooSmallError, match=r"1 voxel.*at least 2"):
        check_roi(one, min_voxels=2)


# ----------------------------------------------------------------------------- geometry


@pytest.fixture
def image() -> Volume:
    return Volume(np.zeros((3, 4, 5)), spacing=(2.5, 0.98, 0.98), origin=(-10.0, 5.0, 7.0))


def test_same_geometry_passes(image: Volume) -> None:
    check_geometry(image, image.with_array(np.ones((3, 4, 5), dtype=np.uint8)))
    # float32 round-off is within tolerance
    check_geometry(image, image.with_array(image.array, origin=(-10.00001, 5.0, 7.0)))


def test_size_mismatch(image: Volume) -> None:
    with pytest.raises(GeometryMismatchError) as info:
        check_geometry(image, image.with_array(np.zeros((3, 4, 6))))
    message = str(info.value)
    assert "(values in x, y, z order)" in message  # the one order of every geometry message
    assert "mask size (6, 4, 3) differs from image size (5, 4, 3)" in message


def test_spacing_mismatch(image: Volume) -> None:
    with pytest.raises(GeometryMismatchError) as info:
        check_geometry(image, image.with_array(image.array, spacing=(3.0, 0.98, 0.98)))
    message = str(info.value)
    assert "mask spacing (0.98, 0.98, 3) differs from image spacing (0.98, 0.98, 2.5) mm" in message
    assert "by (0, 0, 0.5) mm" in message
    assert "origin" not in message


def test_origin_mismatch(image: Volume) -> None:
    with pytest.raises(GeometryMismatchError) as info:
        check_geometry(image, image.with_array(image.array, origin=(-10.0, 8.0, 11.0)))
    message = str(info.value)
    assert "mask origin (11, 8, -10) differs from image origin (7, 5, -10) mm" in message
    assert "by (4, 3, 0) mm, 5 mm in all" in message


def test_direction_mismatch(image: Volume) -> None:
    flipped = np.diag([1.0, -1.0, 1.0])
    with pytest.raises(GeometryMismatchError) as info:
        check_geometry(image, image.with_array(image.array, direction=flipped))
    message = str(info.value)
    assert "mask direction" in message
    assert "largest cosine difference 2" in message
    assert "y 180°" in message


def test_several_differences_in_one_message(image: Volume) -> None:
    other = Volume(np.zeros((3, 4, 6)), spacing=(3.0, 0.98, 0.98), origin=(0.0, 0.0, 0.0))
    with pytest.raises(GeometryMismatchError, match=r"size .*; mask spacing .*; mask origin"):
        check_geometry(image, other)


def test_2d_image_with_3d_mask(image: Volume) -> None:
    flat = Volume(np.zeros((4, 5)))
    with pytest.raises(GeometryMismatchError, match=r"image is 2D .* mask is 3D"):
        check_geometry(flat, image)
    with pytest.raises(GeometryMismatchError, match=r"image is 3D .* mask is 2D"):
        check_geometry(image, flat)


# ----------------------------------------------------------------------------- BUSI


def test_busi_image_and_mask() -> None:
    folder = require_shared("data", "busi", "benign")
    image = read_image(folder / "benign (1).png")
    mask = read_mask(folder / "benign (1)_mask.png", reference=image)
    assert image.is_2d
    assert mask.shape == image.shape
    assert set(mask_labels(mask)) <= {1, 255}
    roi = select_label(mask, 1)
    check_roi(roi.array, min_voxels=10)
    check_geometry(image, roi)
