"""Wavelet filters: IBSI 2 reference maps, hand cases, energy, rotations, crops, validation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import pywt
import SimpleITK as sitk
from scipy import ndimage as ndi

from radiomix.errors import ConfigError, InvalidImageError
from radiomix.filters.wavelet import (
    simoncelli_margin,
    simoncelli_response,
    wavelet_margin,
    wavelet_response,
)
from tests.conftest import require_shared

BOUNDARIES = ("constant", "nearest", "wrap", "reflect")
SQRT2 = np.sqrt(2.0)


def _read(*parts: str) -> np.ndarray:
    path = require_shared("ibsi", *parts)
    return sitk.GetArrayFromImage(sitk.ReadImage(str(path))).astype(np.float64)


def _phantom(name: str) -> np.ndarray:
    return _read("ibsi_2_digital_phantom", name, "image", f"{name}.nii.gz")


# --------------------------------------------------------------------------- IBSI 2 references

# test id -> (phantom, response map file, wavelet_response keywords); parameters from the
# IBSI 2 manual (and ../shared/ibsi/README.md).
SEPARABLE_CASES = {
    "5A1": (
        "impulse",
        "id_5_impulse_CT_5A1_wavelet_db2_LHL_level_1.nii.gz",
        {"wavelet": "db2", "subband": "LHL", "level": 1, "boundary": "constant"},
    ),
    "5A2": (
        "impulse",
        "id_5_impulse_CT_5A2_wavelet_db2_LHL_invar_level_1.nii.gz",
        {
            "wavelet": "db2",
            "subband": "LHL",
            "level": 1,
            "boundary": "constant",
            "rotation_invariant": True,
            "pooling": "mean",
        },
    ),
    "6A1": (
        "sphere",
        "id_6_sphere_CT_6A1_wavelet_coif1_HHL_level_1.nii.gz",
        {"wavelet": "coif1", "subband": "HHL", "level": 1, "boundary": "wrap"},
    ),
    "6A2": (
        "sphere",
        "id_6_sphere_CT_6A2_wavelet_coif1_HHL_invar_level_1.nii.gz",
        {
            "wavelet": "coif1",
            "subband": "HHL",
            "level": 1,
            "boundary": "wrap",
            "rotation_invariant": True,
            "pooling": "mean",
        },
    ),
    "7A1": (
        "checkerboard",
        "id_7_checkerboard_CT_7A1_wavelet_haar_LLL_invar_level_2.nii.gz",
        {
            "wavelet": "haar",
            "subband": "LLL",
            "level": 2,
            "boundary": "mirror",
            "rotation_invariant": True,
            "pooling": "mean",
        },
    ),
    "7A2": (
        "checkerboard",
        "id_7_checkerboard_CT_7A2_wavelet_haar_HHH_invar_level_2.nii.gz",
        {
            "wavelet": "haar",
            "subband": "HHH",
            "level": 2,
            "boundary": "mirror",
            "rotation_invariant": True,
            "pooling": "mean",
        },
    ),
}


@pytest.mark.parametrize("test_id", sorted(SEPARABLE_CASES))
def test_ibsi2_separable_reference_maps(test_id):
    phantom, map_file, kwargs = SEPARABLE_CASES[test_id]
    expected = _read("ibsi_2_reference_response_maps", map_file)
    got = wavelet_response(_phantom(phantom), **kwargs)
    assert got.shape == expected.shape
    assert np.max(np.abs(got - expected)) <= 1e-3


def test_ibsi2_sub_band_letters_run_x_y_z():
    """6A1 is HHL on the sphere: low-pass along z; the letters read backwards would fail."""
    expected = _read(
        "ibsi_2_reference_response_maps", "id_6_sphere_CT_6A1_wavelet_coif1_HHL_level_1.nii.gz"
    )
    swapped = wavelet_response(_phantom("sphere"), wavelet="coif1", subband="LHH", boundary="wrap")
    assert np.max(np.abs(swapped - expected)) > 100


@pytest.mark.parametrize("level", [1, 2, 3])
@pytest.mark.parametrize("kernel_size", [None, 64])
def test_ibsi2_simoncelli_reference_maps(level, kernel_size):
    expected = _read(
        "ibsi_2_reference_response_maps",
        f"id_8_checkerboard_CT_8A{level}_wavelet_simoncelli_B_level_{level}.nii.gz",
    )
    got = simoncelli_response(
        _phantom("checkerboard"), level=level, boundary="wrap", kernel_size=kernel_size
    )
    assert np.max(np.abs(got - expected)) <= 1e-3


# IBSI 2 phase 2 (statistics of filtered CT phantom images, wavelet configurations 6-9 included)
# is checked through the whole pipeline in tests/filters/test_ibsi2_reference.py.


# --------------------------------------------------------------------------- hand-checked cases


def test_haar_level_1_by_hand():
    # x varies along x only; L along a constant axis multiplies by h0 + h1 = sqrt(2), and the
    # Haar high-pass along x is (x[n] - x[n+1]) / sqrt(2) (nearest: x[4] = x[3]).
    x = np.broadcast_to(np.array([1.0, 3.0, 6.0, 10.0]), (2, 2, 4))
    got = wavelet_response(x, wavelet="haar", subband="HLL", boundary="nearest")
    expected = SQRT2 * np.array([-2.0, -3.0, -4.0, 0.0])
    np.testing.assert_allclose(got, np.broadcast_to(expected, (2, 2, 4)), atol=1e-12)
    # the letters are x, y, z: high-pass along the constant z axis gives zero
    zero = wavelet_response(x, wavelet="haar", subband="LLH", boundary="nearest")
    np.testing.assert_allclose(zero, 0.0, atol=1e-12)


def test_haar_level_2_by_hand():
    # Level 1 approximation along x: A[n] = (x[n] + x[n+1]) / sqrt(2); level 2 high-pass with
    # the dilated filter: (A[n] - A[n+2]) / sqrt(2); the constant y axis gives sqrt(2) twice.
    # So HL = S[n] - S[n+2] with S[n] = x[n] + x[n+1], nearest extension at each stage.
    x = np.array([[1.0, 3.0, 6.0, 10.0, 15.0]] * 3)
    got = wavelet_response(
        x, wavelet="haar", subband="HL", level=2, spatial="2D", boundary="nearest"
    )
    expected = np.array([4 - 16, 9 - 25, 16 - 30, 25 - 30, 30 - 30], dtype=float)
    np.testing.assert_allclose(got, np.broadcast_to(expected, (3, 5)), atol=1e-12)


def test_constant_image():
    # low-pass of a constant is c * sqrt(2) per axis and level (7A1's maximum 2040 = 255 * 8);
    # every high-pass sub-band of a constant is zero except near a zero-padded edge
    x = np.full((6, 7, 8), 255.0)
    lll = wavelet_response(x, wavelet="haar", subband="LLL", level=2, boundary="reflect")
    np.testing.assert_allclose(lll, 2040.0)
    for band in ("HLL", "LHL", "HHH"):
        r = wavelet_response(x, wavelet="db3", subband=band, level=2, boundary="wrap")
        np.testing.assert_allclose(r, 0.0, atol=1e-9)


# --------------------------------------------------------------------------- 2D vs 3D


def test_2d_is_slice_by_slice():
    rng = np.random.default_rng(20240611)
    x = rng.normal(size=(4, 9, 11))
    stack = wavelet_response(x, wavelet="db2", subband="LH", level=2, spatial="2D")
    for z in range(x.shape[0]):
        one = wavelet_response(x[z], wavelet="db2", subband="LH", level=2, spatial="2D")
        assert one.shape == x.shape[1:]
        np.testing.assert_allclose(stack[z], one, atol=1e-12)


@pytest.mark.parametrize("boundary", ["nearest", "wrap", "reflect"])
def test_2d_matches_3d_on_an_image_constant_along_z(boundary):
    # low-pass along a constant z axis only multiplies by sqrt(2) per level
    rng = np.random.default_rng(7)
    x = np.broadcast_to(rng.normal(size=(10, 12)), (5, 10, 12))
    for band in ("LH", "HL", "HH"):
        two = wavelet_response(
            x, wavelet="sym3", subband=band, level=2, spatial="2D", boundary=boundary
        )
        three = wavelet_response(x, wavelet="sym3", subband=band + "L", level=2, boundary=boundary)
        np.testing.assert_allclose(three, 2.0 * two, atol=1e-10)


# --------------------------------------------------------------------------- energy, reconstruction


@pytest.mark.parametrize("wavelet", ["haar", "db2", "coif1", "sym4"])
@pytest.mark.parametrize("spatial", ["2D", "3D"])
def test_energy_is_conserved_for_orthogonal_wavelets(wavelet, spatial):
    # orthonormal filters: |H_L|^2 + |H_H|^2 = 2 at every frequency, so with the periodic
    # boundary the sub-bands of one level hold 2**d times the energy of their input
    rng = np.random.default_rng(3)
    d = int(spatial[0])
    x = rng.normal(size=(16, 16, 16))
    bands = ["".join(p) for p in itertools.product("LH", repeat=d)]
    level1 = sum(
        np.sum(
            wavelet_response(x, wavelet=wavelet, subband=b, boundary="wrap", spatial=spatial) ** 2
        )
        for b in bands
    )
    np.testing.assert_allclose(level1, 2**d * np.sum(x**2), rtol=1e-10)
    approx = wavelet_response(x, wavelet=wavelet, subband="L" * d, boundary="wrap", spatial=spatial)
    level2 = sum(
        np.sum(
            wavelet_response(
                x, wavelet=wavelet, subband=b, level=2, boundary="wrap", spatial=spatial
            )
            ** 2
        )
        for b in bands
    )
    np.testing.assert_allclose(level2, 2**d * np.sum(approx**2), rtol=1e-10)


@pytest.mark.parametrize("level", [1, 2])
def test_periodic_transform_reconstructs_the_image(level):
    # x = 2**-3 * sum_b IFFT(FFT(W_b) * conj(K_b)) with K_b the transfer function of sub-band
    # b (read from its response to a periodic impulse) and the level's input as x
    rng = np.random.default_rng(11)
    x = rng.normal(size=(16, 16, 16))
    delta = np.zeros_like(x)
    delta[0, 0, 0] = 1.0
    source = x
    if level > 1:
        source = wavelet_response(x, wavelet="db2", subband="LLL", level=level - 1, boundary="wrap")
    total = np.zeros(x.shape, dtype=complex)
    for band in ("".join(p) for p in itertools.product("LH", repeat=3)):
        w = wavelet_response(x, wavelet="db2", subband=band, level=level, boundary="wrap")
        dilated = _dilated_impulse(band, level)
        total += np.fft.fftn(w) * np.conj(np.fft.fftn(dilated))
    np.testing.assert_allclose(np.fft.ifftn(total).real / 8.0, source, atol=1e-10)


def _dilated_impulse(band: str, level: int) -> np.ndarray:
    """Response of the level-``level`` filters alone (no approximation) to a periodic impulse."""
    w = pywt.Wavelet("db2")
    out = np.zeros((16, 16, 16))
    out[0, 0, 0] = 1.0
    for axis, letter in zip((2, 1, 0), band, strict=True):
        h = np.asarray(w.dec_lo if letter == "L" else w.dec_hi)
        k = np.zeros(h.size * 2 ** (level - 1))
        k[:: 2 ** (level - 1)] = h
        out = ndi.convolve1d(out, k, axis=axis, mode="wrap")
    return out


# --------------------------------------------------------------------------- rotation invariance


def _proper_rotations(axes: tuple[int, ...]):
    """(permutation, flips) of the given axes with determinant +1."""
    n = len(axes)
    for perm in itertools.permutations(range(n)):
        sign = round(np.linalg.det(np.eye(n)[list(perm)]))
        for flips in itertools.product((False, True), repeat=n):
            if sign * (-1) ** sum(flips) == 1:
                yield perm, flips


def _rotate(x: np.ndarray, axes, perm, flips) -> np.ndarray:
    order = list(range(x.ndim))
    for a, p in zip(axes, perm, strict=True):
        order[a] = axes[p]
    y = np.transpose(x, order)
    for a, f in zip(axes, flips, strict=True):
        if f:
            y = np.flip(y, a)
    return y


def _unrotate(y: np.ndarray, axes, perm, flips) -> np.ndarray:
    for a, f in zip(axes, flips, strict=True):
        if f:
            y = np.flip(y, a)
    order = list(range(y.ndim))
    for a, p in zip(axes, perm, strict=True):
        order[axes[p]] = a
    return np.transpose(y, order)


def _pooled_by_rotating_the_image(x, spatial, pooling, **kwargs):
    """Plain reference: rotate the image, filter, rotate back, pool."""
    axes = (1, 2) if spatial == "2D" else (0, 1, 2)
    maps = [
        _unrotate(wavelet_response(_rotate(x, axes, p, f), spatial=spatial, **kwargs), axes, p, f)
        for p, f in _proper_rotations(axes)
    ]
    assert len(maps) == (4 if spatial == "2D" else 24)
    return np.mean(maps, axis=0) if pooling == "mean" else np.max(maps, axis=0)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize(
    ("spatial", "subband", "pooling", "level"),
    [
        ("3D", "LHL", "mean", 1),
        ("3D", "HHL", "max", 2),
        ("2D", "LH", "mean", 2),
        ("2D", "HH", "max", 1),
    ],
)
def test_rotation_invariant_equals_rotating_the_image(boundary, spatial, subband, pooling, level):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(9, 10, 11))
    kwargs = {"wavelet": "db2", "subband": subband, "level": level, "boundary": boundary}
    got = wavelet_response(x, spatial=spatial, rotation_invariant=True, pooling=pooling, **kwargs)
    expected = _pooled_by_rotating_the_image(x, spatial, pooling, **kwargs)
    np.testing.assert_allclose(got, expected, atol=1e-10)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("pooling", ["mean", "max"])
def test_pooled_response_commutes_with_rotations(boundary, pooling):
    rng = np.random.default_rng(17)
    x = rng.normal(size=(10, 10, 10))
    kwargs = {
        "wavelet": "coif1",
        "subband": "HLH",
        "level": 2,
        "boundary": boundary,
        "rotation_invariant": True,
        "pooling": pooling,
    }
    base = wavelet_response(x, **kwargs)
    for perm, flips in [
        ((1, 0, 2), (True, False, False)),
        ((2, 0, 1), (False, True, True)),
        ((0, 1, 2), (True, True, False)),
    ]:
        rotated = wavelet_response(_rotate(x, (0, 1, 2), perm, flips), **kwargs)
        np.testing.assert_allclose(rotated, _rotate(base, (0, 1, 2), perm, flips), atol=1e-10)
    # not so without pooling: the plain sub-band is oriented
    plain = {k: v for k, v in kwargs.items() if k not in ("rotation_invariant", "pooling")}
    turned = wavelet_response(np.rot90(x, axes=(1, 2)).copy(), **plain)
    assert not np.allclose(turned, np.rot90(wavelet_response(x, **plain), axes=(1, 2)))


# --------------------------------------------------------------------------- margins and crops


def test_wavelet_margin_values():
    assert wavelet_margin("haar", 1) == 1
    assert wavelet_margin("haar", 2) == 3
    assert wavelet_margin("db2", 1) == 2
    assert wavelet_margin("coif1", 3) == 21  # L = 6: 3 * (2**3 - 1)
    assert wavelet_margin("db3", 2) == 9


def _crop_matches(response, x, region, margin, **kwargs) -> bool:
    whole = response(x, **kwargs)
    lo = [max(a - margin, 0) for a, _ in region]
    hi = [min(b + margin, n) for (_, b), n in zip(region, x.shape, strict=True)]
    crop = x[tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))]
    part = response(crop, **kwargs)
    inner = tuple(slice(a - c, b - c) for (a, b), c in zip(region, lo, strict=True))
    outer = tuple(slice(a, b) for a, b in region)
    return bool(np.allclose(part[inner], whole[outer], atol=1e-10, rtol=0))


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize(("wavelet", "level"), [("haar", 3), ("db2", 2), ("coif1", 1)])
def test_crop_with_margin_gives_the_whole_image_answer(boundary, wavelet, level):
    rng = np.random.default_rng(23)
    x = rng.normal(size=(40, 42, 44))
    margin = wavelet_margin(wavelet, level)
    kwargs = {
        "wavelet": wavelet,
        "subband": "HLH",
        "level": level,
        "boundary": boundary,
        "rotation_invariant": True,
    }
    interior = [(margin + 2, margin + 6), (margin + 1, margin + 7), (margin + 3, margin + 5)]
    assert _crop_matches(wavelet_response, x, interior, margin, **kwargs)
    # one voxel less is not enough (the margin is tight)
    assert not _crop_matches(wavelet_response, x, interior, margin - 1, **kwargs)
    if boundary != "wrap":  # a crop cut at the image edge keeps the same edge rule
        edge = [(0, 5), (30, 42), (3, 9)]
        assert _crop_matches(wavelet_response, x, edge, margin, **kwargs)


@pytest.mark.parametrize("spatial", ["2D", "3D"])
def test_crop_in_2d_needs_no_margin_along_z(spatial):
    rng = np.random.default_rng(29)
    x = rng.normal(size=(12, 30, 30))
    margin = wavelet_margin("db2", 2)
    kwargs = {
        "wavelet": "db2",
        "subband": "HL" if spatial == "2D" else "HLL",
        "level": 2,
        "spatial": spatial,
        "boundary": "reflect",
    }
    whole = wavelet_response(x, **kwargs)
    crop = x[5:7, 10 - margin : 14 + margin, 10 - margin : 14 + margin]
    part = wavelet_response(crop, **kwargs)[:, margin:-margin, margin:-margin]
    if spatial == "2D":
        np.testing.assert_allclose(part, whole[5:7, 10:14, 10:14], atol=1e-12)
    else:
        assert not np.allclose(part, whole[5:7, 10:14, 10:14])


# --------------------------------------------------------------------------- Simoncelli


def test_simoncelli_peak_frequency_by_hand():
    # Odd axis of 33 voxels: DFT bin k sits at nu = 2k / 32 exactly. k = 4 -> nu = 1/4:
    # level 1: cos(pi/2 log2(1/2)) = 0, level 2: cos(0) = 1, level 3: cos(pi/2) = 0.
    n = np.arange(33)
    x = np.cos(2 * np.pi * 4 * n / 33)[np.newaxis, np.newaxis]
    np.testing.assert_allclose(simoncelli_response(x, level=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(simoncelli_response(x, level=2), x, atol=1e-12)
    np.testing.assert_allclose(simoncelli_response(x, level=3), 0.0, atol=1e-12)
    # k = 3 -> nu = 3/16: level 2 passes cos(pi/2 log2(3/4)), level 3 cos(pi/2 log2(3/2))
    y = np.cos(2 * np.pi * 3 * n / 33 + 0.4)[np.newaxis, np.newaxis]
    g2 = np.cos(np.pi / 2 * np.log2(0.75))
    g3 = np.cos(np.pi / 2 * np.log2(1.5))
    np.testing.assert_allclose(simoncelli_response(y, level=2), g2 * y, atol=1e-12)
    np.testing.assert_allclose(simoncelli_response(y, level=3), g3 * y, atol=1e-12)
    np.testing.assert_allclose(g2**2 + g3**2, 1.0)  # consecutive levels tile the band


def test_simoncelli_levels_partition_the_energy():
    # sum_j psi_j^2 = 1 on [nu_max,3 / 2, nu_max,1 / 2] = [1/8, 1/2]: with odd sizes the
    # filter is real-symmetric, so the energies of levels 1-3 add up to the input's when the
    # input only holds such frequencies
    rng = np.random.default_rng(31)
    n = 33
    spectrum = np.zeros((n, n, n), dtype=complex)
    u = np.fft.fftfreq(n) * n * 2 / (n - 1)
    nu = np.sqrt(u[:, None, None] ** 2 + u[None, :, None] ** 2 + u[None, None, :] ** 2)
    band = (nu >= 0.13) & (nu <= 0.49)
    spectrum[band] = rng.normal(size=band.sum()) + 1j * rng.normal(size=band.sum())
    x = np.fft.ifftn(spectrum).real
    energy = sum(np.sum(simoncelli_response(x, level=j) ** 2) for j in (1, 2, 3))
    np.testing.assert_allclose(energy, np.sum(x**2), rtol=1e-10)


def test_simoncelli_is_zero_mean_and_symmetric():
    x = np.zeros((20, 20, 20))
    x[10, 10, 10] = 1.0
    for level in (1, 2):
        r = simoncelli_response(x, level=level)
        assert abs(r.sum()) < 1e-12  # no DC
        # impulse response: even and the same along every axis
        centred = np.roll(r, (-10, -10, -10), axis=(0, 1, 2))
        np.testing.assert_allclose(
            centred, np.roll(np.flip(centred), 1, axis=(0, 1, 2)), atol=1e-14
        )
        np.testing.assert_allclose(r, np.transpose(r, (2, 0, 1)), atol=1e-14)


@pytest.mark.parametrize("size", [16, 15])
@pytest.mark.parametrize("level", [1, 2])
def test_simoncelli_image_sized_kernel_equals_fft(size, level):
    # a finite kernel sampled on the image's own grid, applied with the periodic boundary, is
    # the image-sized FFT filter (even sizes: the halved end taps meet the same voxel)
    rng = np.random.default_rng(37)
    x = rng.normal(size=(size, size, size))
    fft = simoncelli_response(x, level=level)
    spatial = simoncelli_response(x, level=level, kernel_size=size, boundary="wrap")
    np.testing.assert_allclose(spatial, fft, atol=1e-10)
    smaller = simoncelli_response(x, level=level, kernel_size=size - 4, boundary="wrap")
    assert not np.allclose(smaller, fft, atol=1e-3)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("spatial", ["2D", "3D"])
def test_simoncelli_finite_kernel_crop(boundary, spatial):
    rng = np.random.default_rng(41)
    x = rng.normal(size=(24, 26, 28))
    margin = simoncelli_margin(1, kernel_size=8)
    assert margin == 4
    kwargs = {"level": 1, "kernel_size": 8, "boundary": boundary, "spatial": spatial}
    region = [(8, 12), (9, 15), (10, 13)]
    assert _crop_matches(simoncelli_response, x, region, margin, **kwargs)
    if boundary != "wrap":
        assert _crop_matches(simoncelli_response, x, [(0, 4), (20, 26), (3, 7)], margin, **kwargs)


def test_simoncelli_2d_is_slice_by_slice():
    rng = np.random.default_rng(43)
    x = rng.normal(size=(3, 14, 17))
    stack = simoncelli_response(x, level=2, spatial="2D")
    for z in range(3):
        np.testing.assert_allclose(
            stack[z], simoncelli_response(x[z], level=2, spatial="2D"), atol=1e-12
        )


def test_simoncelli_margin():
    assert simoncelli_margin(1) is None
    assert simoncelli_margin(3, kernel_size=64) == 32
    assert simoncelli_margin(2, kernel_size=9) == 4


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"wavelet": "db99", "subband": "LLL"}, "families haar, db, sym, coif"),
        ({"wavelet": "morl", "subband": "LLL"}, "unknown discrete wavelet"),
        ({"wavelet": "db2", "subband": "LH"}, "3 letters"),
        ({"wavelet": "db2", "subband": "LXL"}, "L \\(low-pass\\) or H"),
        ({"wavelet": "db2", "subband": "LHL", "spatial": "2D"}, "2 letters"),
        ({"wavelet": "db2", "subband": "LHL", "level": 0}, "level must be an integer >= 1"),
        ({"wavelet": "db2", "subband": "LHL", "level": True}, "level must be an integer"),
        ({"wavelet": "db2", "subband": "LHL", "level": 1.5}, "level must be an integer"),
        ({"wavelet": "db2", "subband": "LHL", "boundary": "edge"}, "unknown boundary"),
        ({"wavelet": "db2", "subband": "LHL", "pooling": "median"}, "pooling must be"),
        ({"wavelet": "db2", "subband": "LHL", "spatial": "2.5D"}, "spatial must be"),
    ],
)
def test_wavelet_bad_settings(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        wavelet_response(np.zeros((4, 4, 4)), **kwargs)


def test_wavelet_accepts_aliases():
    x = np.random.default_rng(47).normal(size=(6, 6, 6))
    a = wavelet_response(x, wavelet="DB2", subband="lhl", boundary="mirror", spatial="3d")
    b = wavelet_response(x, wavelet="db2", subband="LHL", boundary="reflect")
    np.testing.assert_array_equal(a, b)
    c = wavelet_response(x, wavelet="db2", subband="LHL", boundary="periodic")
    np.testing.assert_array_equal(
        c, wavelet_response(x, wavelet="db2", subband="LHL", boundary="wrap")
    )


@pytest.mark.parametrize(
    ("image", "spatial", "message"),
    [
        (np.zeros((4, 4)), "3D", "\\(z, y, x\\) array"),
        (np.zeros((2, 4, 4, 4)), "2D", "got 4 dimensions"),
        (np.full((3, 3, 3), np.nan), "3D", "NaN"),
        (np.zeros((3, 3, 3), dtype=complex), "3D", "real numbers"),
        (np.zeros((0, 3, 3)), "3D", "empty"),
    ],
)
def test_bad_images(image, spatial, message):
    band = "LL" if spatial == "2D" else "LLL"
    with pytest.raises(InvalidImageError, match=message):
        wavelet_response(image, wavelet="haar", subband=band, spatial=spatial)
    with pytest.raises(InvalidImageError, match=message):
        simoncelli_response(image, spatial=spatial)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"boundary": "reflect"}, "periodic by construction"),
        ({"kernel_size": 1}, "kernel_size must be an integer >= 2"),
        ({"kernel_size": 8.0}, "kernel_size must be an integer"),
        ({"level": 0}, "level must be an integer >= 1"),
        ({"spatial": "4D"}, "spatial must be"),
    ],
)
def test_simoncelli_bad_settings(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        simoncelli_response(np.zeros((4, 4, 4)), **kwargs)
    if "kernel_size" in kwargs:
        with pytest.raises(ConfigError, match=message):
            simoncelli_margin(1, kernel_size=kwargs["kernel_size"])
