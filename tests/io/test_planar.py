"""2D images: PNG, JPEG, TIFF, BMP; colour handling."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from radiomix.errors import ImageReadError
from radiomix.io import ImageConversionWarning, read_image, read_mask


@pytest.fixture
def gray() -> np.ndarray:
    return np.random.default_rng(3).integers(0, 256, size=(6, 9), dtype=np.uint8)


@pytest.mark.parametrize("ext", [".png", ".bmp", ".tif", ".tiff"])
def test_lossless_grayscale(tmp_path: Path, gray: np.ndarray, ext: str) -> None:
    path = tmp_path / f"g{ext}"
    Image.fromarray(gray).save(path)
    vol = read_image(path)
    assert vol.shape == (1, 6, 9)
    assert vol.is_2d
    np.testing.assert_array_equal(vol.array[0], gray)
    assert vol.spacing == (1.0, 1.0, 1.0)
    assert vol.origin == (0.0, 0.0, 0.0)
    assert vol.metadata["source"] == str(path)


def test_spacing_given_for_2d(tmp_path: Path, gray: np.ndarray) -> None:
    Image.fromarray(gray).save(tmp_path / "g.png")
    assert read_image(tmp_path / "g.png", spacing=(0.1, 0.2)).spacing == (1.0, 0.1, 0.2)
    assert read_image(tmp_path / "g.png", spacing=(3, 0.1, 0.2)).spacing == (3.0, 0.1, 0.2)


def test_sixteen_bit_png(tmp_path: Path) -> None:
    array = np.arange(0, 60000, 1000, dtype=np.uint16).reshape(6, 10)
    Image.fromarray(array).save(tmp_path / "deep.png")
    np.testing.assert_array_equal(read_image(tmp_path / "deep.png").array[0], array)


def test_rgb_with_equal_channels_is_taken_as_is(tmp_path: Path, gray: np.ndarray) -> None:
    Image.fromarray(np.stack([gray] * 3, axis=-1)).save(tmp_path / "rgb.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        vol = read_image(tmp_path / "rgb.png")
    assert vol.array.dtype == np.uint8
    np.testing.assert_array_equal(vol.array[0], gray)


def test_rgba_with_equal_channels(tmp_path: Path, gray: np.ndarray) -> None:
    alpha = np.full_like(gray, 255)
    Image.fromarray(np.stack([gray, gray, gray, alpha], axis=-1)).save(tmp_path / "rgba.png")
    np.testing.assert_array_equal(read_image(tmp_path / "rgba.png").array[0], gray)


def test_rgb_with_differing_channels_warns_and_uses_luma(tmp_path: Path) -> None:
    rgb = np.zeros((2, 3, 3), dtype=np.uint8)
    rgb[0, 0] = (255, 0, 0)
    rgb[0, 1] = (0, 255, 0)
    rgb[0, 2] = (0, 0, 255)
    rgb[1, :] = (10, 20, 30)
    Image.fromarray(rgb).save(tmp_path / "colour.png")
    with pytest.warns(ImageConversionWarning, match="ITU-R 601 luma"):
        vol = read_image(tmp_path / "colour.png")
    expected = np.array(
        [[0.299 * 255, 0.587 * 255, 0.114 * 255], [0.299 * 10 + 0.587 * 20 + 0.114 * 30] * 3]
    )
    np.testing.assert_allclose(vol.array[0], expected)


def test_jpeg(tmp_path: Path) -> None:
    smooth = np.add.outer(np.arange(16), np.arange(16)).astype(np.uint8) * 8
    Image.fromarray(smooth).save(tmp_path / "photo.jpg", quality=95)
    vol = read_image(tmp_path / "photo.jpg")
    assert vol.shape == (1, 16, 16)
    assert np.abs(vol.array[0].astype(int) - smooth).max() <= 8  # lossy
    assert vol.metadata["format"] == "jpeg"


def test_tiff_written_by_tifffile(tmp_path: Path) -> None:
    plane = np.arange(20, dtype=np.float32).reshape(4, 5)
    tifffile.imwrite(tmp_path / "plane.tif", plane)
    np.testing.assert_array_equal(read_image(tmp_path / "plane.tif").array[0], plane)
    rgb = np.stack([plane.astype(np.uint8)] * 3, axis=-1)
    tifffile.imwrite(tmp_path / "rgb.tif", rgb, photometric="rgb")
    np.testing.assert_array_equal(read_image(tmp_path / "rgb.tif").array[0], plane)
    stack = np.arange(60, dtype=np.uint16).reshape(3, 4, 5)
    tifffile.imwrite(tmp_path / "stack.tif", stack, photometric="minisblack")
    np.testing.assert_array_equal(read_image(tmp_path / "stack.tif").array, stack)


def test_corrupt_png_and_tiff(tmp_path: Path, gray: np.ndarray) -> None:
    Image.fromarray(gray).save(tmp_path / "g.png")
    (tmp_path / "cut.png").write_bytes((tmp_path / "g.png").read_bytes()[:60])
    with pytest.raises(ImageReadError, match=r"cut\.png as PNG"):
        read_image(tmp_path / "cut.png")
    (tmp_path / "junk.tif").write_bytes(b"not a tiff at all")
    with pytest.raises(ImageReadError, match=r"junk\.tif as TIFF"):
        read_image(tmp_path / "junk.tif")


def test_binary_mask_png_0_255_rgb(tmp_path: Path) -> None:
    mask = np.zeros((5, 6), dtype=np.uint8)
    mask[1:3, 2:5] = 255
    Image.fromarray(np.stack([mask] * 3, axis=-1)).save(tmp_path / "m_mask.png")
    vol = read_mask(tmp_path / "m_mask.png")
    assert vol.array.dtype == np.uint8
    np.testing.assert_array_equal(vol.array[0], mask)


def test_colour_mask_with_differing_channels(tmp_path: Path) -> None:
    rgb = np.zeros((3, 3, 3), dtype=np.uint8)
    rgb[1, 1] = (200, 0, 0)
    rgb[2, 2] = (0, 0, 90)
    Image.fromarray(rgb).save(tmp_path / "red.png")
    with pytest.warns(ImageConversionWarning, match="label 1"):
        vol = read_mask(tmp_path / "red.png")
    np.testing.assert_array_equal(np.argwhere(vol.array[0]), [[1, 1], [2, 2]])
    assert set(np.unique(vol.array)) == {0, 1}


def test_palette_mask_keeps_indices(tmp_path: Path) -> None:
    labels = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint8)
    pal = Image.new("P", (3, 2))
    pal.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0])
    pal.putdata(labels.ravel().tolist())
    pal.save(tmp_path / "pal.png")
    np.testing.assert_array_equal(read_mask(tmp_path / "pal.png").array[0], labels)
    # as an image, a palette PNG shows its colours (here red and green: luma, with a warning)
    with pytest.warns(ImageConversionWarning):
        image = read_image(tmp_path / "pal.png")
    np.testing.assert_allclose(image.array[0, 0], [0, 0.299 * 255, 0.587 * 255])
