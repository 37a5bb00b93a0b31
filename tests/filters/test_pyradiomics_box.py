"""PyRadiomics image types on the ROI box only equal the whole image's maps there.

The pyradiomics profile asks ``pyradiomics_images(..., box=)`` for the ROI's bounding box
instead of filtering the whole image as PyRadiomics does. These tests hold that to the
whole-image result: LoG (ITK's recursive Gaussian passes, run on the box plus 20 sigma and cut
after each pass) equal to the bit except a few voxels one float32 step apart; Wavelet (a
fixed window per output) equal to the bit where the margin does not wrap around the image
edge, within rounding where it does; Gradient and the other types equal to the bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from radiomix.errors import ConfigError
from radiomix.filters.pyradiomics import (
    gradient_image,
    log_images,
    pyradiomics_images,
    wavelet_images,
)


def _ct_like(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """int16 CT-like image: air (-1000) around a textured body, a bright insert."""
    rng = np.random.default_rng(seed)
    img = rng.normal(40, 25, shape)
    grids = np.ogrid[tuple(slice(0, n) for n in shape)]
    r2 = sum(((g - n / 2) / (0.42 * n)) ** 2 for g, n in zip(grids, shape, strict=True))
    img[r2 > 1] = -1000 + rng.normal(0, 5, shape)[r2 > 1]
    img[r2 < 0.05] += 600
    return np.round(img).astype(np.int16)


BOXES_3D = [
    (slice(8, 14), slice(20, 31), slice(18, 27)),  # middle
    (slice(0, 3), slice(0, 9), slice(40, 47)),  # touching three faces
    (slice(17, 22), slice(44, 50), slice(0, 47)),  # the whole x axis
    (slice(10, 11), slice(25, 26), slice(23, 24)),  # one voxel
]


@pytest.mark.parametrize("box", BOXES_3D)
@pytest.mark.parametrize("sigma", [0.8, 2.5])
def test_log_box_equals_whole_image(box: tuple[slice, ...], sigma: float) -> None:
    img = _ct_like((22, 50, 47))
    sp = (2.5, 0.7, 0.8)
    whole = log_images(img, sp, [sigma])
    part = log_images(img, sp, [sigma], box)
    assert list(part) == list(whole) == [f"log-sigma-{sigma}-mm-3D".replace(".", "-", 1)]
    a, b = part[next(iter(part))], whole[next(iter(whole))][box]
    assert a.dtype == np.float32 and a.shape == b.shape
    assert np.mean(a == b) > 0.999
    np.testing.assert_allclose(a, b, rtol=0, atol=2e-7 * float(np.abs(b).max()) + 1e-30)


def test_log_box_far_from_edges_differs_from_a_plain_crop() -> None:
    """The margin matters: filtering the box alone (ITK's edge start) changes the values."""
    img = _ct_like((22, 50, 47))
    sp = (2.5, 0.7, 0.8)
    box = (slice(8, 14), slice(20, 31), slice(18, 27))
    whole = log_images(img, sp, [2.5])["log-sigma-2-5-mm-3D"][box]
    crop = log_images(img[box], sp, [2.5])["log-sigma-2-5-mm-3D"]
    part = log_images(img, sp, [2.5], box)["log-sigma-2-5-mm-3D"]
    assert np.abs(crop - whole).max() > 1.0
    assert np.abs(part - whole).max() <= 2e-7 * np.abs(whole).max()


def test_log_box_2d_image() -> None:
    img = _ct_like((60, 57))
    box = (slice(0, 12), slice(30, 41))
    whole = log_images(img, (0.5, 0.6), [1.0, 3.0])
    part = log_images(img, (0.5, 0.6), [1.0, 3.0], box)
    for k in whole:
        np.testing.assert_allclose(part[k], whole[k][box], rtol=0, atol=1e-5)


def test_log_box_keeps_the_whole_image_fit_rule() -> None:
    """Whether a sigma fits is decided on the whole image, as PyRadiomics does."""
    img = _ct_like((6, 40, 40))
    box = (slice(2, 4), slice(10, 20), slice(10, 20))
    # 6 slices of 2.5 mm: sigma 20 mm needs ceil(20 / 2.5) + 1 = 9 slices -> skipped
    assert list(log_images(img, (2.5, 1.0, 1.0), [1.0, 20.0], box)) == ["log-sigma-1-0-mm-3D"]


WAVELET_CASES = [
    {"wavelet": "coif1"},
    {"wavelet": "haar", "level": 2},
    {"wavelet": "db3", "start_level": 1, "force2d": True},
    {"wavelet": "sym4", "level": 2, "start_level": 1},
]


@pytest.mark.parametrize("opts", WAVELET_CASES)
@pytest.mark.parametrize("shape", [(24, 64, 61), (25, 63, 64)])
def test_wavelet_box_equals_whole_image(opts: dict, shape: tuple[int, ...]) -> None:
    img = _ct_like(shape, seed=3)
    whole = wavelet_images(img, **opts)
    interior = (slice(9, 15), slice(28, 37), slice(26, 35))
    edges = [
        (slice(0, 4), slice(2, 20), slice(50, shape[2])),
        (slice(shape[0] - 3, shape[0]), slice(shape[1] - 7, shape[1]), slice(0, 5)),
        (slice(0, shape[0]), slice(30, 34), slice(30, 34)),
    ]
    part = wavelet_images(img, **opts, box=interior)
    assert list(part) == list(whole)
    for k in whole:
        np.testing.assert_array_equal(part[k], whole[k][interior])
    for box in edges:  # the margin wraps around the edge: PyWavelets sums in another order
        part = wavelet_images(img, **opts, box=box)
        for k in whole:
            ref = whole[k][box]
            np.testing.assert_allclose(part[k], ref, rtol=0, atol=1e-12 * np.abs(whole[k]).max())


def test_gradient_box_equals_whole_image() -> None:
    img = _ct_like((22, 50, 47))
    for box in BOXES_3D:
        whole = gradient_image(img, (2.5, 0.7, 0.8))[box]
        np.testing.assert_array_equal(gradient_image(img, (2.5, 0.7, 0.8), box=box), whole)


@pytest.mark.parametrize(
    "image_type", ["Square", "SquareRoot", "Logarithm", "Exponential", "LBP2D", "Gradient"]
)
def test_pyradiomics_images_box_is_the_whole_domain_cut(image_type: str) -> None:
    img = _ct_like((12, 30, 28)).astype(np.float64) / 10
    box = (slice(0, 5), slice(7, 19), slice(20, 28))
    whole = pyradiomics_images(image_type, img, (2.0, 1.0, 1.0))
    part = pyradiomics_images(image_type, img, (2.0, 1.0, 1.0), box=box)
    assert list(part) == list(whole)
    for k in whole:
        np.testing.assert_array_equal(part[k], whole[k][box])


def test_box_must_be_a_region_of_the_image() -> None:
    img = _ct_like((12, 30, 28))
    with pytest.raises(ConfigError, match="one slice per axis"):
        log_images(img, (1.0, 1.0, 1.0), [1.0], (slice(0, 3), slice(0, 3)))
    with pytest.raises(ConfigError, match="non-empty region"):
        wavelet_images(img, box=(slice(5, 5), slice(0, 3), slice(0, 3)))
