"""Volumetric formats: round trips, axis order, SimpleITK/array sources, bad files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from radiomix.errors import ImageReadError, InvalidImageError
from radiomix.io import (
    Volume,
    check_finite,
    from_sitk,
    read_image,
    to_sitk,
    to_sitk_2d,
    write_volume,
)

FORMATS = [".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd"]


def _rotation(axis: np.ndarray, degrees: float) -> np.ndarray:
    axis = axis / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    t = np.radians(degrees)
    return np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * k @ k


@pytest.fixture
def volume() -> Volume:
    rng = np.random.default_rng(7)
    array = rng.integers(-1000, 2000, size=(4, 6, 7)).astype(np.int16)
    return Volume(
        array,
        spacing=(2.5, 0.8, 0.6),
        origin=(-10.0, 20.5, 3.25),
        direction=_rotation(np.array([1.0, 2.0, 0.5]), 30.0),
    )


def _assert_same(a: Volume, b: Volume, atol: float = 1e-5) -> None:
    np.testing.assert_array_equal(a.array, b.array)
    np.testing.assert_allclose(a.spacing, b.spacing, atol=atol)
    np.testing.assert_allclose(a.origin, b.origin, atol=atol)
    np.testing.assert_allclose(a.direction, b.direction, atol=atol)


@pytest.mark.parametrize("ext", FORMATS)
def test_round_trip(tmp_path: Path, volume: Volume, ext: str) -> None:
    path = tmp_path / f"image{ext}"
    write_volume(volume, path)
    back = read_image(path)
    _assert_same(volume, back)
    assert back.array.dtype == volume.array.dtype
    assert back.metadata["source"] == str(path)
    # nothing but the output (and its data file) is left behind
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".radiomix")]


@pytest.mark.parametrize("ext", [".nii.gz", ".nrrd", ".mha"])
def test_round_trip_float_and_bool(tmp_path: Path, volume: Volume, ext: str) -> None:
    floats = volume.with_array(volume.array.astype(np.float64) / 7.0)
    write_volume(floats, tmp_path / f"f{ext}")
    _assert_same(floats, read_image(tmp_path / f"f{ext}"))
    mask = volume.with_array(volume.array > 0)
    write_volume(mask, tmp_path / f"m{ext}")
    back = read_image(tmp_path / f"m{ext}")
    assert back.array.dtype == np.uint8
    np.testing.assert_array_equal(back.array, mask.array)


def test_write_replaces_existing_file(tmp_path: Path, volume: Volume) -> None:
    path = tmp_path / "image.nrrd"
    write_volume(volume, path)
    write_volume(volume.with_array(volume.array + 1), path)
    np.testing.assert_array_equal(read_image(path).array, volume.array + 1)


def test_write_unknown_extension(tmp_path: Path, volume: Volume) -> None:
    with pytest.raises(ValueError, match=r"\.png"):
        write_volume(volume, tmp_path / "image.png")


def test_orientation_index_order(tmp_path: Path) -> None:
    # written from ITK's (x, y, z) perspective: size (x=5, y=4, z=3), voxel (x=3, y=2, z=1)
    image = sitk.Image([5, 4, 3], sitk.sitkFloat32)
    image.SetPixel([3, 2, 1], 7.0)
    image.SetSpacing([0.5, 0.7, 2.0])
    image.SetOrigin([1.0, 2.0, 3.0])
    direction = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # (x, y, z)
    image.SetDirection(direction.ravel().tolist())
    path = tmp_path / "oriented.nii.gz"
    sitk.WriteImage(image, str(path))

    vol = read_image(path)
    assert vol.shape == (3, 4, 5)
    assert vol.array[1, 2, 3] == 7.0
    assert np.count_nonzero(vol.array) == 1
    assert vol.spacing == pytest.approx((2.0, 0.7, 0.5))
    assert vol.origin == pytest.approx((3.0, 2.0, 1.0))
    # physical position of the marked voxel agrees with ITK's
    itk_point = np.array(image.TransformIndexToPhysicalPoint([3, 2, 1]))
    np.testing.assert_allclose(vol.index_to_physical(np.array([1, 2, 3])), itk_point[::-1])
    # and the conversion back gives the same ITK image geometry
    again = to_sitk(vol)
    assert again.GetSize() == (5, 4, 3)
    np.testing.assert_allclose(again.GetDirection(), direction.ravel())
    assert again.GetPixel([3, 2, 1]) == 7.0


def test_from_sitk_2d_image() -> None:
    image = sitk.GetImageFromArray(np.arange(12, dtype=np.uint8).reshape(3, 4))
    image.SetSpacing([0.4, 0.9])
    image.SetOrigin([5.0, 6.0])
    vol = from_sitk(image)
    assert vol.shape == (1, 3, 4)
    assert vol.is_2d
    assert vol.spacing == (1.0, 0.9, 0.4)
    assert vol.origin == (0.0, 6.0, 5.0)
    np.testing.assert_array_equal(vol.direction, np.eye(3))


def test_to_sitk_2d_is_the_inverse_of_from_sitk() -> None:
    image = sitk.GetImageFromArray(np.arange(12, dtype=np.uint8).reshape(3, 4))
    image.SetSpacing([0.4, 0.9])
    image.SetOrigin([5.0, 6.0])
    image.SetDirection([0.0, -1.0, 1.0, 0.0])
    again = to_sitk_2d(from_sitk(image))
    assert again.GetDimension() == 2 and again.GetSize() == (4, 3)
    assert again.GetSpacing() == (0.4, 0.9) and again.GetOrigin() == (5.0, 6.0)
    assert again.GetDirection() == (0.0, -1.0, 1.0, 0.0)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(again), sitk.GetArrayFromImage(image))
    mask = to_sitk_2d(Volume(np.ones((1, 2, 2), dtype=bool)))
    assert mask.GetPixelID() == sitk.sitkUInt8


def test_from_sitk_4d_single_volume_and_many() -> None:
    single = sitk.Image([4, 3, 2, 1], sitk.sitkInt16)
    assert from_sitk(single).shape == (2, 3, 4)
    many = sitk.Image([4, 3, 2, 5], sitk.sitkInt16)
    with pytest.raises(InvalidImageError, match="4D with 5 volumes"):
        from_sitk(many)


def test_read_sitk_image_and_volume(volume: Volume) -> None:
    _assert_same(volume, read_image(to_sitk(volume)))
    same = read_image(volume)
    _assert_same(volume, same)
    moved = read_image(volume, spacing=(1, 2, 3), origin=(4, 5, 6))
    assert moved.spacing == (1.0, 2.0, 3.0)
    assert moved.origin == (4.0, 5.0, 6.0)


def test_read_numpy_arrays() -> None:
    vol = read_image(np.zeros((3, 4, 5)), spacing=(2.0, 0.5, 0.5))
    assert vol.shape == (3, 4, 5)
    assert vol.spacing == (2.0, 0.5, 0.5)
    flat = read_image(np.zeros((4, 5)))
    assert flat.shape == (1, 4, 5)
    assert flat.spacing == (1.0, 1.0, 1.0)
    assert read_image(np.zeros((4, 5)), spacing=(0.3, 0.2)).spacing == (1.0, 0.3, 0.2)
    assert read_image(np.zeros((4, 5)), spacing=0.5).spacing == (0.5, 0.5, 0.5)
    with pytest.raises(InvalidImageError, match="2D"):
        read_image(np.zeros((2, 3, 4, 5)))
    with pytest.raises(InvalidImageError, match="real numbers"):
        read_image(np.zeros((3, 4), dtype=complex))
    with pytest.raises(ValueError, match="spacing"):
        read_image(np.zeros((3, 4)), spacing=(1.0, -1.0))
    with pytest.raises(ValueError, match=r"2 values but the image is 3D"):
        read_image(np.zeros((2, 3, 4)), spacing=(1.0, 1.0))
    with pytest.raises(TypeError, match="path"):
        read_image(12)  # type: ignore[arg-type]


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.nii.gz"
    with pytest.raises(ImageReadError, match=r"no such file.*nope\.nii\.gz"):
        read_image(missing)


def test_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(ImageReadError, match=r"notes\.txt.*unknown file type '\.txt'"):
        read_image(path)


@pytest.mark.parametrize("keep", [0.5, 0.05])
def test_truncated_nifti_gz(tmp_path: Path, keep: float) -> None:
    # large enough that the cut falls in the voxel data, after a complete header
    noise = np.random.default_rng(0).random((20, 30, 40), dtype=np.float32)
    good = tmp_path / "good.nii.gz"
    write_volume(Volume(noise), good)
    data = good.read_bytes()
    bad = tmp_path / "cut.nii.gz"
    bad.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ImageReadError, match=r"cut\.nii\.gz.*truncated"):
        read_image(bad)


def test_truncated_plain_nifti(tmp_path: Path, volume: Volume) -> None:
    good = tmp_path / "good.nii"
    write_volume(volume, good)
    bad = tmp_path / "cut.nii"
    bad.write_bytes(good.read_bytes()[:400])
    with pytest.raises(ImageReadError, match=r"cut\.nii.*truncated"):
        read_image(bad)


def test_corrupt_gzip_nifti(tmp_path: Path) -> None:
    bad = tmp_path / "junk.nii.gz"
    bad.write_bytes(gzip.compress(b"\x00" * 20)[:-6])
    with pytest.raises(ImageReadError, match=r"junk\.nii\.gz"):
        read_image(bad)


def test_garbage_nrrd(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.nrrd"
    bad.write_bytes(b"this is not an image\x00\x01\x02")
    with pytest.raises(ImageReadError, match=r"garbage\.nrrd as NRRD"):
        read_image(bad)


@pytest.mark.parametrize("ext", [".nrrd", ".mha"])
def test_truncated_nrrd_and_mha(tmp_path: Path, volume: Volume, ext: str) -> None:
    good = tmp_path / f"good{ext}"
    write_volume(volume, good)
    bad = tmp_path / f"cut{ext}"
    bad.write_bytes(good.read_bytes()[:-50])
    with pytest.raises(ImageReadError, match=rf"cut\{ext}"):
        read_image(bad)


def test_nan_is_not_a_read_error_but_check_finite_reports_it(tmp_path: Path) -> None:
    array = np.zeros((2, 3, 4), dtype=np.float32)
    array[1, 2, 0] = np.nan
    array[1, 2, 3] = np.inf
    write_volume(Volume(array), tmp_path / "nan.nrrd")
    vol = read_image(tmp_path / "nan.nrrd")
    assert np.isnan(vol.array[1, 2, 0])
    with pytest.raises(
        InvalidImageError, match=r"2 non-finite.*voxel \(0-based, x, y, z\) = \(0, 2, 1\)"
    ):
        check_finite(vol)
    roi = np.zeros(array.shape, dtype=bool)
    roi[1, 2, 3] = True  # the infinite voxel only: the NaN is outside the ROI
    with pytest.raises(
        InvalidImageError, match=r"^image inside the ROI has 1 non-finite.*= \(3, 2, 1\)"
    ):
        check_finite(vol, what="image inside the ROI", within=roi)
    check_finite(vol, within=np.zeros(array.shape, dtype=bool))  # no voxel checked
    with pytest.raises(InvalidImageError, match=r"voxel \(0-based, x, y, z\) = \(5, 4, 2\)"):
        check_finite(vol, offset=(1, 2, 5))  # a crop's index in the whole image
    plane = np.ones((1, 3, 4))
    plane[0, 1, 2] = -np.inf
    with pytest.raises(InvalidImageError, match=r"voxel \(0-based, x, y\) = \(2, 1\)"):
        check_finite(Volume(plane))
    check_finite(Volume(np.zeros((2, 2), dtype=np.int16)))
    check_finite(Volume(np.ones((2, 2))))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ext", [".nii", ".nii.gz", ".nrrd", ".mha"])
def test_non_finite_voxels_are_read_as_stored(tmp_path: Path, ext: str, dtype: type) -> None:
    """ITK's NIfTI reader turns NaN and infinite voxels into 0: every reader must keep them."""
    rng = np.random.default_rng(3)
    array = rng.normal(size=(4, 5, 6)).astype(dtype)
    array[3, 1, 2] = np.nan
    array[0, 4, 5] = np.inf
    array[2, 0, 0] = -np.inf
    path = tmp_path / f"img{ext}"
    write_volume(Volume(array, spacing=(2.0, 0.5, 0.7)), path)
    back = read_image(path).array
    assert back.dtype == dtype
    np.testing.assert_array_equal(back, array)  # NaN at the same places, infinities signed


def test_non_finite_nifti_with_scaling_and_big_endian(tmp_path: Path) -> None:
    """The scan reads the header's byte order and applies scl_slope / scl_inter as ITK does."""
    import struct

    array = np.arange(24, dtype=">f4").reshape(2, 3, 4)
    array[1, 2, 3] = np.nan
    array[0, 0, 1] = -np.inf
    header = bytearray(348)
    struct.pack_into(">i", header, 0, 348)
    struct.pack_into(">8h", header, 40, 3, 4, 3, 2, 1, 1, 1, 1)
    struct.pack_into(">2h", header, 70, 16, 32)  # float32, 32 bits
    struct.pack_into(">8f", header, 76, 1, 1, 1, 1, 1, 1, 1, 1)
    struct.pack_into(">f", header, 108, 352)  # vox_offset
    struct.pack_into(">2f", header, 112, -2.0, 1.0)  # scl_slope, scl_inter
    header[344:348] = b"n+1\0"
    path = tmp_path / "be.nii"
    path.write_bytes(bytes(header) + b"\0" * 4 + array.tobytes())
    back = read_image(path).array
    expected = array.astype(np.float64) * -2.0 + 1.0
    assert np.isnan(back[1, 2, 3])
    assert back[0, 0, 1] == np.inf  # -inf scaled by -2
    finite = np.isfinite(expected)
    np.testing.assert_allclose(back[finite], expected[finite])
