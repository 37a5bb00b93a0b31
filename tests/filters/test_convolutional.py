"""Mean, Laplacian of Gaussian, Laws and Gabor filters: hand-computed values, independent
whole-image implementations (SciPy / NumPy padding), and invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage, signal

from radiomix.errors import ConfigError
from radiomix.filters._boundary import BOUNDARY_MODES
from radiomix.filters.gabor import gabor_filter, gabor_kernel, gabor_orientations
from radiomix.filters.laws import LAWS_KERNELS, laws_filter, laws_kernel_set, rotations
from radiomix.filters.log import log_filter
from radiomix.filters.mean import mean_filter

_NUMPY = {"constant": "constant", "nearest": "edge", "wrap": "wrap", "reflect": "symmetric"}


def _image(shape=(9, 11, 12), seed=7):
    return np.random.default_rng(seed).uniform(-50.0, 200.0, shape)


# -- mean -----------------------------------------------------------------------------------


def test_mean_hand_computed():
    x = np.zeros((1, 1, 5))
    x[0, 0] = [0.0, 1.0, 2.0, 3.0, 4.0]
    # 2D, support 3: the 3x3 average of one row (two zero rows from the constant boundary)
    got = mean_filter(x, support=3, spatial="2D", boundary="constant")[0, 0]
    np.testing.assert_allclose(got, np.array([1.0, 3.0, 6.0, 9.0, 7.0]) / 9.0)
    got = mean_filter(x, support=3, spatial="2D", boundary="nearest")[0, 0]
    np.testing.assert_allclose(got, [1.0 / 3.0, 1.0, 2.0, 3.0, 11.0 / 3.0])


@pytest.mark.parametrize("mode", BOUNDARY_MODES)
@pytest.mark.parametrize("spatial", ["3D", "2D"])
def test_mean_equals_scipy(mode, spatial):
    x = _image()
    size = (1, 5, 5) if spatial == "2D" else 5
    expected = ndimage.uniform_filter(x, size, mode=mode)
    np.testing.assert_allclose(mean_filter(x, support=5, boundary=mode, spatial=spatial), expected)


def test_mean_rejects_even_support():
    with pytest.raises(ConfigError, match="odd"):
        mean_filter(_image(), support=4)


# -- Laplacian of Gaussian ----------------------------------------------------------------


def _ibsi_log_kernel(sigma_vox: float, d: int, truncate: float = 4.0) -> np.ndarray:
    """The IBSI 2 LoG kernel written out in d dimensions (not separated)."""
    r = math.floor(truncate * sigma_vox + 0.5)
    grid = np.mgrid[tuple(slice(-r, r + 1) for _ in range(d))].astype(float)
    n2 = (grid**2).sum(axis=0)
    s2 = sigma_vox**2
    return (
        -1.0
        / s2
        * (1.0 / math.sqrt(2.0 * math.pi * s2)) ** d
        * (d - n2 / s2)
        * np.exp(-n2 / (2.0 * s2))
    )


@pytest.mark.parametrize("mode", BOUNDARY_MODES)
def test_log_equals_full_kernel_convolution(mode):
    x = _image()
    k = _ibsi_log_kernel(1.5 / 1.25, 3)
    expected = ndimage.convolve(x, k, mode=mode)
    np.testing.assert_allclose(log_filter(x, (1.25,) * 3, sigma=1.5, boundary=mode), expected)


def test_log_2d_equals_slicewise_kernel():
    x = _image()
    k = _ibsi_log_kernel(2.0, 2)[np.newaxis]
    expected = ndimage.convolve(x, k, mode="reflect")
    np.testing.assert_allclose(log_filter(x, (3.0, 1.0, 1.0), sigma=2.0, spatial="2D"), expected)


def test_log_of_quadratic_is_its_laplacian():
    # f = a z^2 + b y^2 + c x^2 (voxel units) has Laplacian 2(a+b+c); with the kernel
    # truncated at 8 sigma (sigma = 3 voxels) the sampled kernel keeps the zeroth and second
    # moments of the continuous one to ~1e-10, so the response is that Laplacian. (At the
    # IBSI truncation of 4 sigma the second moment is 0.5 % short, as IBSI 2 defines it.)
    z, y, x = np.mgrid[:61, :61, :61].astype(float) - 30.0
    f = 0.5 * z**2 + 1.5 * y**2 - 0.25 * x**2
    out = log_filter(f, (1.0, 1.0, 1.0), sigma=3.0, truncate=8.0)
    np.testing.assert_allclose(out[24:-24, 24:-24, 24:-24], 2.0 * (0.5 + 1.5 - 0.25), rtol=1e-7)


def test_log_anisotropic_is_physical_laplacian_scaled():
    # on a grid of spacing (s_z, s_y, s_x), f = x_mm^2 has Laplacian 2 mm^-2; the response
    # is that times the squared geometric-mean voxel size
    sp = (2.0, 1.0, 0.5)
    z, _y, x = np.mgrid[:27, :51, :99].astype(float)
    f = ((x - 49.0) * sp[2]) ** 2 + 3.0 * ((z - 13.0) * sp[0]) ** 2
    out = log_filter(f, sp, sigma=3.0, truncate=8.0)  # sigma 1.5, 3 and 6 voxels
    s_bar2 = (sp[0] * sp[1] * sp[2]) ** (2.0 / 3.0)
    inner = out[12:-12, 24:-24, 48:-48]
    np.testing.assert_allclose(inner, (2.0 + 6.0) * s_bar2, rtol=1e-7)


# -- Laws -----------------------------------------------------------------------------------


def test_laws_kernels_are_unit_norm_and_named_in_xyz_order():
    (kset,) = laws_kernel_set("E5L5S5")
    z, y, x = kset
    np.testing.assert_allclose([np.sum(k * k) for k in kset], 1.0)
    np.testing.assert_allclose(x, np.array(LAWS_KERNELS["E5"]) / math.sqrt(10.0))
    np.testing.assert_allclose(y, np.array(LAWS_KERNELS["L5"]) / math.sqrt(70.0))
    np.testing.assert_allclose(z, np.array(LAWS_KERNELS["S5"]) / math.sqrt(6.0))


def _cube_rotations(k: np.ndarray) -> list[np.ndarray]:
    """The 24 right-angle rotations of a 3D array, by composing np.rot90 (independent of
    the signed-permutation construction in radiomix.filters.laws)."""
    out: list[np.ndarray] = []
    frontier = [k]
    while frontier:
        a = frontier.pop()
        if any(a.shape == b.shape and np.allclose(a, b, rtol=0, atol=1e-12) for b in out):
            continue
        out.append(a)
        frontier += [np.rot90(a, 1, axes) for axes in ((0, 1), (0, 2), (1, 2))]
    return out


@pytest.mark.parametrize("name", ["E5L5S5", "E5W5E3", "L5L5L5", "R5E3S5"])
def test_rotated_kernels_are_the_24_cube_rotations(name):
    def full(ks):
        return np.einsum("i,j,k->ijk", *ks)

    ours = [full(ks) for ks in laws_kernel_set(name, rotation_invariant=True)]
    (base,) = laws_kernel_set(name)
    theirs = _cube_rotations(full(base))
    assert len(ours) == len(theirs)
    for t in theirs:
        assert any(o.shape == t.shape and np.allclose(o, t) for o in ours)


def test_rotation_groups():
    assert len(rotations(3)) == 24
    assert len(rotations(2)) == 4
    # E5 is odd, L5 and S5 even: the half turn about x keeps the kernel, so 12 distinct
    assert len(laws_kernel_set("E5L5S5", rotation_invariant=True)) == 12
    assert len(laws_kernel_set("L5L5L5", rotation_invariant=True)) == 1


def test_laws_e5_on_a_ramp():
    # convolution (IBSI 2; not correlation) of x[n] = n with E5 = (-1,-2,0,2,1)/sqrt(10):
    # y[n] = sum_i k_i x[n + 2 - i] = -sum_i k_i (i - 2) = -8/sqrt(10); L3 along y on one
    # row with nearest padding multiplies by sum(L3) = 4/sqrt(6)
    x = np.arange(12.0)[np.newaxis, np.newaxis, :]
    out = laws_filter(x, kernel="E5L3", boundary="nearest")
    expected = -8.0 / math.sqrt(10.0) * 4.0 / math.sqrt(6.0)
    np.testing.assert_allclose(out[0, 0, 2:-2], expected)


@pytest.mark.parametrize("mode", BOUNDARY_MODES)
def test_laws_equals_scipy_convolutions(mode):
    x = _image()
    kx, ky, kz = (np.array(LAWS_KERNELS[n]) for n in ("E3", "W5", "R5"))
    kx, ky, kz = (k / np.linalg.norm(k) for k in (kx, ky, kz))
    r = ndimage.convolve1d(x, kx, axis=2, mode=mode)
    r = ndimage.convolve1d(r, ky, axis=1, mode=mode)
    r = ndimage.convolve1d(r, kz, axis=0, mode=mode)
    np.testing.assert_allclose(laws_filter(x, kernel="E3W5R5", boundary=mode), r)
    energy = ndimage.uniform_filter(np.abs(r), 5, mode=mode)
    got = laws_filter(x, kernel="E3W5R5", energy=True, delta=2, boundary=mode)
    np.testing.assert_allclose(got, energy)


def test_laws_rotation_invariance_commutes_with_right_angle_rotations():
    # the pooled response of a rotated image is the rotated pooled response (wrap: the
    # periodic extension turns with the image)
    x = _image((10, 10, 10))
    out = laws_filter(x, kernel="E5W5S3", rotation_invariant=True, boundary="wrap")
    turned = np.rot90(x, k=1, axes=(0, 2))
    out_turned = laws_filter(turned, kernel="E5W5S3", rotation_invariant=True, boundary="wrap")
    np.testing.assert_allclose(out_turned, np.rot90(out, k=1, axes=(0, 2)), atol=1e-9)


def test_laws_bad_kernel():
    with pytest.raises(ConfigError, match="Laws kernel 'L5X5'"):
        laws_filter(_image(), kernel="L5X5")


# -- Gabor ----------------------------------------------------------------------------------


def test_gabor_impulse_modulus_is_the_envelope():
    x = np.zeros((1, 31, 31))
    x[0, 15, 15] = 1.0
    out = gabor_filter(x, (1.0, 1.0, 1.0), sigma=3.0, lambda_=4.0, gamma=0.5, theta=30.0,
                       radius=15, boundary="constant")  # fmt: skip
    y, xx = np.mgrid[-15:16, -15:16].astype(float)
    t = math.radians(30.0)
    xr = xx * math.cos(t) + y * math.sin(t)
    yr = -xx * math.sin(t) + y * math.cos(t)
    envelope = np.exp(-(xr**2 + 0.25 * yr**2) / 18.0)
    np.testing.assert_allclose(out[0], envelope, atol=1e-12)


@pytest.mark.parametrize("mode", BOUNDARY_MODES)
def test_gabor_equals_padded_fft_convolution(mode):
    x = _image()
    sp = (3.0, 0.8, 1.1)
    out = gabor_filter(x, sp, sigma=2.0, lambda_=3.0, gamma=1.3, theta=40.0, radius=4,
                       boundary=mode)  # fmt: skip
    k = gabor_kernel(2.0, 3.0, 1.3, 40.0, (4, 4), (0.8, 1.1))
    padded = np.pad(x, ((0, 0), (4, 4), (4, 4)), mode=_NUMPY[mode])
    expected = np.abs(signal.fftconvolve(padded, k[np.newaxis], mode="valid", axes=(1, 2)))
    np.testing.assert_allclose(out, expected, atol=1e-9)


def test_gabor_orthogonal_planes_pool_the_three_directions():
    x = _image((9, 9, 9))
    kw = {"sigma": 1.5, "lambda_": 2.5, "gamma": 0.8, "theta": 0.0, "radius": 3}
    axial = gabor_filter(x, (1, 1, 1), **kw)
    coronal = np.moveaxis(gabor_filter(np.moveaxis(x, 1, 0), (1, 1, 1), **kw), 0, 1)
    sagittal = np.moveaxis(gabor_filter(np.moveaxis(x, 2, 0), (1, 1, 1), **kw), 0, 2)
    pooled = gabor_filter(x, (1, 1, 1), planes="orthogonal", **kw)
    np.testing.assert_allclose(pooled, (axial + coronal + sagittal) / 3.0, atol=1e-9)


def test_gabor_orientations_and_errors():
    assert gabor_orientations(10.0, 90.0) == [10.0, 100.0, 190.0, 280.0]
    assert gabor_orientations(60.0, None) == [60.0]
    with pytest.raises(ConfigError, match="divide 360"):
        gabor_orientations(0.0, 50.0)
    with pytest.raises(ConfigError, match="spatial 3D"):
        gabor_filter(_image(), (1, 1, 1), sigma=1.0, lambda_=2.0, planes="orthogonal",
                     spatial="2D")  # fmt: skip
