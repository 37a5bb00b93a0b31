"""PyRadiomics 3.0.1 image types (radiomix.filters.pyradiomics).

Three layers: hand-computed values on tiny arrays; committed reference fixtures made with
PyRadiomics itself (tests/data/pyradiomics_maps, see its README), one test id per
(case, run); and, marked slow, PyRadiomics run live in benchmarks/.venv-pyradiomics on
larger cases, every map compared in full.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import kurtosis
from skimage.feature import local_binary_pattern

from radiomix.errors import ConfigError, EmptyMaskError, GeometryMismatchError, InvalidImageError
from radiomix.filters._pyradiomics_lbp3d import (
    harmonic_basis,
    icosphere_vertices,
    spherical_harmonic,
)
from radiomix.filters.pyradiomics import (
    PYRADIOMICS_IMAGE_TYPES,
    exponential_image,
    gradient_image,
    lbp2d_images,
    lbp3d_images,
    log_image,
    log_image_name,
    log_images,
    log_sigma_fits,
    logarithm_image,
    pyradiomics_crop,
    pyradiomics_images,
    pyradiomics_margin,
    square_image,
    squareroot_image,
    wavelet_images,
)
from tests.conftest import DATA

FIXTURES = DATA / "pyradiomics_maps"
ROOT = Path(__file__).resolve().parents[2]
PYRAD_PYTHON = ROOT / "benchmarks" / ".venv-pyradiomics" / "bin" / "python"
MAPS_SCRIPT = ROOT / "benchmarks" / "pyradiomics_maps.py"

# Agreement with PyRadiomics: |ours - ref| <= ATOL + RTOL |ref|. Most maps agree to the bit
# (same SimpleITK, PyWavelets and scikit-image calls); Logarithm and Exponential differ by an
# ulp (NumPy 2's log/exp vs NumPy 1.26's); LBP3D by a few ulps (harmonics from lpmv instead
# of SciPy's removed sph_harm, summation order), whose kurtosis map nears 0 by cancellation,
# hence the absolute term.
RTOL, ATOL = 1e-9, 1e-12


def _grid(shape: tuple[int, ...], spacing: tuple[float, ...]) -> list[np.ndarray]:
    """Voxel-centre coordinates in mm, one array per axis."""
    axes = [np.arange(n) * s for n, s in zip(shape, spacing, strict=True)]
    return np.meshgrid(*axes, indexing="ij")


def _rng_image(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(50.0, 20.0, size=shape)


# ---------------------------------------------------------------------------------------
# hand-computed values
# ---------------------------------------------------------------------------------------


def test_square_scales_by_absolute_maximum() -> None:
    x = np.array([[[-4.0, 1.0, 2.0, 0.0]]])
    # c = 1 / sqrt(4): (x / 2)^2
    np.testing.assert_array_equal(square_image(x), [[[4.0, 0.25, 1.0, 0.0]]])


def test_squareroot_keeps_sign() -> None:
    x = np.array([[[-4, 1, 0, 2]]], dtype=np.int16)
    out = squareroot_image(x)  # c = 4
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, [[[-4.0, 2.0, 0.0, math.sqrt(8.0)]]], rtol=1e-15)


def test_logarithm_rescaled_to_range() -> None:
    x = np.array([[[-3.0, 0.0, 1.0, 3.0]]])
    # sgn(x) log(|x| + 1) scaled by 3 / log(4)
    np.testing.assert_allclose(logarithm_image(x), [[[-3.0, 0.0, 1.5, 3.0]]], rtol=1e-15)


def test_exponential_maps_maximum_to_itself() -> None:
    x = np.array([[[-2.0, 0.0, 1.0, 2.0]]])
    # c = log(2) / 2: exp(c x) = 2^(x / 2)
    np.testing.assert_allclose(
        exponential_image(x), [[[0.5, 1.0, math.sqrt(2.0), 2.0]]], rtol=1e-15
    )


def test_pointwise_types_of_an_all_zero_image_follow_pyradiomics() -> None:
    zero = np.zeros((2, 3, 3))
    assert np.isnan(square_image(zero)).all()
    assert np.isnan(logarithm_image(zero)).all()
    assert np.isnan(exponential_image(zero)).all()
    np.testing.assert_array_equal(squareroot_image(zero), zero)


def test_log_name_follows_the_given_value() -> None:
    assert log_image_name(1) == "log-sigma-1-mm-3D"
    assert log_image_name(1.0) == "log-sigma-1-0-mm-3D"
    assert log_image_name(2.5) == "log-sigma-2-5-mm-3D"


def test_log_size_checks() -> None:
    assert log_sigma_fits((10, 10, 10), (1.0, 1.0, 1.0), 5.0)
    assert not log_sigma_fits((10, 10, 10), (1.0, 1.0, 1.0), 9.5)  # needs ceil(9.5) + 1 = 11
    assert log_sigma_fits((10, 10, 10), (2.0, 1.0, 1.0), 9.0)
    assert not log_sigma_fits((3, 40, 40), (1.0, 1.0, 1.0), 0.5)  # an axis under 4 voxels
    img = _rng_image((3, 12, 12))
    assert log_images(img, (1.0, 1.0, 1.0), [0.5, 1.0]) == {}
    with pytest.raises(InvalidImageError, match="too small"):
        log_image(img, (1.0, 1.0, 1.0), 1.0)
    out = log_images(_rng_image((8, 8, 8)), (1.0, 1.0, 1.0), [1, 30.0, 2.0])
    assert list(out) == ["log-sigma-1-mm-3D", "log-sigma-2-0-mm-3D"]


def test_log_of_a_quadratic_is_its_scaled_laplacian() -> None:
    # f = x^2 + 2 y^2 (mm): sigma^2 * laplacian = 6 sigma^2 away from the borders
    spacing = (1.5, 0.8, 0.6)
    _, y, x = _grid((30, 60, 80), spacing)
    sigma = 1.2
    out = log_image(x**2 + 2.0 * y**2, spacing, sigma)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[15, 25:35, 35:45], 6.0 * sigma**2, rtol=5e-3)


def test_gradient_of_a_linear_ramp() -> None:
    spacing = (2.0, 0.5, 0.7)
    z, _, x = _grid((6, 7, 8), spacing)
    ramp = 3.0 * x + 2.0 * z
    inner = (slice(1, -1),) * 3
    out = gradient_image(ramp, spacing)
    np.testing.assert_allclose(out[inner], math.sqrt(13.0), rtol=1e-6)  # float32 output
    out = gradient_image(ramp, spacing, use_spacing=False)  # per-voxel differences
    np.testing.assert_allclose(out[inner], math.hypot(3.0 * 0.7, 2.0 * 2.0), rtol=1e-6)


def test_wavelet_names_and_order() -> None:
    img = _rng_image((6, 7, 9))
    out = wavelet_images(img)
    assert list(out) == [
        "wavelet-LLH",
        "wavelet-LHL",
        "wavelet-LHH",
        "wavelet-HLL",
        "wavelet-HLH",
        "wavelet-HHL",
        "wavelet-HHH",
        "wavelet-LLL",
    ]
    assert all(v.shape == img.shape and v.dtype == np.float64 for v in out.values())
    two = wavelet_images(img, level=2, force2d=True, force2d_dimension=1)
    assert list(two) == [
        *(f"wavelet-{k}" for k in ("LH", "HL", "HH")),
        *(f"wavelet2-{k}" for k in ("LH", "HL", "HH")),
        "wavelet2-LL",
    ]
    assert list(wavelet_images(img[0].astype(np.float32))) == [
        "wavelet-LH",
        "wavelet-HL",
        "wavelet-HH",
        "wavelet-LL",
    ]
    assert wavelet_images(img[0].astype(np.float32))["wavelet-LL"].dtype == np.float32


def test_wavelet_haar_of_a_constant() -> None:
    # each axis' undecimated Haar low-pass multiplies a constant by sqrt(2), high-pass gives 0
    out = wavelet_images(np.full((4, 5, 6), 3.0), wavelet="haar")
    np.testing.assert_allclose(out["wavelet-LLL"], 3.0 * 2.0**1.5, rtol=1e-15)
    for name in ("wavelet-LLH", "wavelet-HHH", "wavelet-HLL"):
        np.testing.assert_allclose(out[name], 0.0, atol=1e-14)


def test_wavelet_high_pass_axis_letter_order() -> None:
    # a pattern varying along z only: just bands with H in the z (last) letter respond
    z = np.arange(8.0)[:, None, None] * np.ones((1, 6, 6))
    out = wavelet_images((-1.0) ** z, wavelet="haar")
    assert np.abs(out["wavelet-LLH"]).max() > 1.0
    for name in ("wavelet-LHL", "wavelet-HLL", "wavelet-HHL", "wavelet-LLL"):
        np.testing.assert_allclose(out[name], 0.0, atol=1e-12)


def test_wavelet_start_level_uses_the_previous_approximation() -> None:
    img = _rng_image((6, 8, 10))  # even sizes: no wrap-padding in between
    skipped = wavelet_images(img, wavelet="db2", start_level=1)
    twice = wavelet_images(wavelet_images(img, wavelet="db2")["wavelet-LLL"], wavelet="db2")
    for name in skipped:
        np.testing.assert_array_equal(skipped[name], twice[name])


def test_lbp2d_slices_along_force2d_dimension() -> None:
    img = np.random.default_rng(1).integers(0, 50, size=(4, 6, 7)).astype(np.int16)
    out = lbp2d_images(img, force2d_dimension=2)["lbp-2D"]
    assert out.dtype == np.int16
    for i in range(img.shape[2]):  # slices are swapaxes(0, 2)[i] = image[:, :, i].T
        expected = local_binary_pattern(img[:, :, i].T, P=8, R=1, method="uniform").T
        np.testing.assert_array_equal(out[:, :, i], expected)
    flat = lbp2d_images(img[0].astype(np.float64), samples=9, radius=1.5, method="default")
    assert flat["lbp-2D"].dtype == np.float64


def test_icosphere_vertices() -> None:
    for sub, count in ((0, 12), (1, 42), (2, 162)):
        v = icosphere_vertices(sub, 1.5)
        assert v.shape == (count, 3)
        np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.5, rtol=1e-15)
        assert len(np.unique(np.round(v, 9), axis=0)) == count
    # trimesh's order (it decides how float32 sums over the vertices round): the twelve
    # icosahedron vertices, then edge midpoints sorted by (larger, smaller) vertex index
    t = (1 + math.sqrt(5)) / 2
    base = np.array([[-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t], [0, 1, t]])
    v0, v1 = icosphere_vertices(0, 1.0), icosphere_vertices(1, 1.0)
    np.testing.assert_allclose(v0[:6], base / math.sqrt(1 + t * t), rtol=1e-15)
    first_edges = [(0, 1), (2, 3), (2, 4), (3, 4), (0, 5), (1, 5), (4, 5), (2, 6)]
    for k, (i, j) in enumerate(first_edges):
        mid = (v0[i] + v0[j]) / np.linalg.norm(v0[i] + v0[j])
        np.testing.assert_allclose(v1[12 + k], mid, atol=1e-15)


def test_spherical_harmonic_matches_scipy() -> None:
    sph_harm_y = pytest.importorskip("scipy.special").__dict__.get("sph_harm_y")
    if sph_harm_y is None:
        pytest.skip("scipy.special.sph_harm_y needs SciPy >= 1.15")
    rng = np.random.default_rng(2)
    polar, azimuth = rng.uniform(0, np.pi, 50), rng.uniform(-np.pi, np.pi, 50)
    for n in range(4):
        for m in range(-n, n + 1):
            np.testing.assert_allclose(
                spherical_harmonic(m, n, azimuth, polar),
                sph_harm_y(n, m, polar, azimuth),
                rtol=1e-12,
                atol=1e-14,
            )


def test_lbp3d_of_an_oblique_ramp() -> None:
    # f = w . (z, y, x): far from the borders (whose effect on the B-spline coefficients
    # decays as 0.268^distance) the cubic spline reproduces it: samples = f(x) + w . v_j
    w = np.array([1.0, 0.3, 0.1])
    grid = np.meshgrid(*[np.arange(40.0)] * 3, indexing="ij")
    ramp = sum(c * g for c, g in zip(w, grid, strict=True))
    mask = np.zeros(ramp.shape, bool)
    mask[19:21, 19:21, 19:21] = True
    out = lbp3d_images(ramp, mask)
    assert list(out) == ["lbp-3D-m1", "lbp-3D-m2", "lbp-3D-k"]
    v = icosphere_vertices(1, 1.0)
    n_up = int((v @ w > 0).sum())
    # degree 0: c00 = N_up Y00, g = c00 Y00 at each of the 42 vertices
    np.testing.assert_allclose(out["lbp-3D-m1"][mask], math.sqrt(42) * n_up / (4 * math.pi))
    np.testing.assert_allclose(out["lbp-3D-k"][mask], kurtosis(v @ w), rtol=1e-7)
    assert (out["lbp-3D-m1"][~mask] == 0).all()
    basis, degree = harmonic_basis(v, 1.0, 3)
    assert basis.shape == (42, 9) and list(degree) == [0, 1, 1, 1, 2, 2, 2, 2, 2]


def test_lbp3d_rejects_bad_input() -> None:
    img = _rng_image((6, 6, 6))
    with pytest.raises(GeometryMismatchError):
        lbp3d_images(img, np.ones((6, 6, 5), bool))
    with pytest.raises(InvalidImageError, match="3D"):
        lbp3d_images(img[0])
    with pytest.raises(ConfigError, match="lbp3DLevels"):
        lbp3d_images(img, levels=1)


# ---------------------------------------------------------------------------------------
# registry, settings, margins
# ---------------------------------------------------------------------------------------


def test_registry_lists_pyradiomics_types() -> None:
    # PyRadiomics 3.0.1 getImageTypes(): every get<Type>Image of imageoperations
    assert sorted(PYRADIOMICS_IMAGE_TYPES) == [
        "Exponential",
        "Gradient",
        "LBP2D",
        "LBP3D",
        "LoG",
        "Logarithm",
        "Original",
        "Square",
        "SquareRoot",
        "Wavelet",
    ]
    assert PYRADIOMICS_IMAGE_TYPES["LBP2D"].parameters["lbp2DSamples"] == 8
    assert PYRADIOMICS_IMAGE_TYPES["Wavelet"].parameters["wavelet"] == "coif1"
    assert PYRADIOMICS_IMAGE_TYPES["LBP3D"].uses_mask


@pytest.mark.parametrize(
    ("image_type", "settings", "match"),
    [
        ("Wavelets", {}, "did you mean 'Wavelet'"),
        ("LoG", {"sigmas": [1.0]}, "did you mean 'sigma'"),
        ("LoG", {"sigma": [1.0, -2.0]}, "sigma"),
        ("LoG", {"sigma": 1.0}, "list"),
        ("Wavelet", {"wavelet": "coif99"}, "unknown wavelet"),
        ("Wavelet", {"wavelet": "morl"}, "unknown wavelet"),
        ("Wavelet", {"level": 0}, "level"),
        ("Wavelet", {"start_level": -1}, "start_level"),
        ("Wavelet", {"force2D": True, "force2Ddimension": 3}, "force2Ddimension"),
        ("Gradient", {"gradientUseSpacing": "yes"}, "gradientUseSpacing"),
        ("LBP2D", {"lbp2DMethod": "nri_uniform"}, "lbp2DMethod"),
        ("LBP2D", {"lbp2DSamples": 0}, "lbp2DSamples"),
        ("LBP2D", {"lbp2DRadius": 0}, "lbp2DRadius"),
        ("LBP3D", {"lbp3DIcosphereSubdivision": -1}, "lbp3DIcosphereSubdivision"),
        ("Square", {"sigma": [1.0]}, "valid: none"),
    ],
)
def test_invalid_settings_raise_config_error(image_type: str, settings: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        pyradiomics_images(image_type, _rng_image((5, 6, 7)), (1.0, 1.0, 1.0), None, settings)


def test_bad_image_or_spacing() -> None:
    with pytest.raises(InvalidImageError, match="dtype"):
        square_image(np.zeros((2, 2, 2), dtype=np.float16))
    with pytest.raises(InvalidImageError, match="3D"):
        square_image(np.zeros((2, 2, 2, 2)))
    with pytest.raises(ConfigError, match="spacing"):
        gradient_image(np.zeros((4, 4, 4)), (1.0, 1.0))
    with pytest.raises(ConfigError, match="spacing"):
        log_image(np.zeros((4, 4, 4)), (1.0, 0.0, 1.0), 1.0)


def test_margin_and_crop() -> None:
    assert pyradiomics_margin("LoG") is None  # no resampling, no preCrop: whole image
    assert pyradiomics_margin("LoG", {"preCrop": True}) == 5
    resample = {"resampledPixelSpacing": [1, 1, 1], "interpolator": "sitkBSpline"}
    assert pyradiomics_margin("Wavelet", {**resample, "padDistance": 8}) == 8
    assert pyradiomics_margin("Original", {"preCrop": True}) == 0
    with pytest.raises(ConfigError):
        pyradiomics_margin("Sobel")
    mask = np.zeros((10, 12, 14), bool)
    mask[2, 5:7, 10:13] = True
    assert pyradiomics_crop(mask, 3) == (slice(0, 6), slice(2, 10), slice(7, 14))
    with pytest.raises(EmptyMaskError):
        pyradiomics_crop(np.zeros((3, 3, 3), bool))


# ---------------------------------------------------------------------------------------
# committed PyRadiomics fixtures
# ---------------------------------------------------------------------------------------


def _fixture_runs() -> list[tuple[str, dict]]:
    if not FIXTURES.exists():
        return []
    out = []
    for path in sorted(FIXTURES.glob("*.npz")):
        with np.load(path) as data:
            manifest = json.loads(str(data["manifest"]))
        out += [(path.stem, run) for run in manifest["runs"]]
    return out


_FIXTURE_CACHE: dict[str, dict[str, np.ndarray]] = {}


def _fixture(case: str) -> dict[str, np.ndarray]:
    if case not in _FIXTURE_CACHE:
        with np.load(FIXTURES / f"{case}.npz") as data:
            _FIXTURE_CACHE[case] = {k: data[k] for k in data.files}
    return _FIXTURE_CACHE[case]


@pytest.mark.parametrize(
    ("case", "run"), _fixture_runs(), ids=[f"{c}-{r['id']}" for c, r in _fixture_runs()]
)
def test_matches_pyradiomics_fixture(case: str, run: dict) -> None:
    data = _fixture(case)
    image, mask = data["image"], data["mask"]
    names = run["names"]
    if names is None:
        pytest.skip("PyRadiomics could not run this type when the fixture was made")
    if isinstance(names, dict):  # PyRadiomics itself failed: radiomix refuses the settings
        with pytest.raises(ConfigError):
            pyradiomics_images(run["type"], image, data["spacing"], mask, run["settings"])
        return
    ours = pyradiomics_images(run["type"], image, tuple(data["spacing"]), mask, run["settings"])
    assert list(ours) == names
    lbp3d = run["type"] == "LBP3D"
    index = tuple(data["roi_sample_index" if lbp3d else "sample_index"].T)
    for name in names:
        key = "{}/{}".format(run["id"], name)
        got = ours[name]
        assert str(got.dtype) == run["dtypes"][name], name
        np.testing.assert_allclose(
            got[index], data["values/" + key], rtol=RTOL, atol=ATOL, err_msg=name
        )
        v = (got[mask] if lbp3d else got.ravel()).astype(np.float64)
        finite = v[np.isfinite(v)]
        total, total_abs, total_sq, lo, hi, n_nan = data["stats/" + key]
        assert v.size - finite.size == n_nan, name
        assert abs(finite.sum() - total) <= RTOL * total_abs + ATOL * v.size, name
        assert math.isclose((finite * finite).sum(), total_sq, rel_tol=RTOL, abs_tol=ATOL), name
        assert math.isclose(finite.min(), lo, rel_tol=RTOL, abs_tol=ATOL), name
        assert math.isclose(finite.max(), hi, rel_tol=RTOL, abs_tol=ATOL), name


def test_crop_matches_pyradiomics_crop_to_tumor_mask() -> None:
    data = _fixture("smooth_f64_3d")
    pads = [int(k.split("/")[1]) for k in data if k.startswith("crop/")]
    assert pads
    for pad in pads:
        lo, hi = data[f"crop/{pad}"]
        expected = tuple(slice(int(a), int(b) + 1) for a, b in zip(lo, hi, strict=True))
        assert pyradiomics_crop(data["mask"], pad) == expected


# ---------------------------------------------------------------------------------------
# PyRadiomics live (slow)
# ---------------------------------------------------------------------------------------


def _pyradiomics_available() -> bool:
    if not PYRAD_PYTHON.exists():
        return False
    probe = subprocess.run(
        [str(PYRAD_PYTHON), "-c", "import radiomics"], capture_output=True, check=False
    )
    return probe.returncode == 0


@pytest.mark.slow
def test_live_against_pyradiomics(tmp_path: Path) -> None:
    if not _pyradiomics_available():
        pytest.skip(f"needs PyRadiomics 3.0.1 in {PYRAD_PYTHON} (benchmarks/setup_pyradiomics.sh)")
    sys.path.insert(0, str(MAPS_SCRIPT.parent))
    try:
        import pyradiomics_maps as pm  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(MAPS_SCRIPT.parent))
    cases = {
        "smooth": pm.make_case("smooth", (28, 33, 37), seed=21),
        "ct": pm.make_case("ct", (25, 30, 31), seed=22),
        "plane": pm.make_case("plane", (61, 54), seed=23),
        "slab": pm.make_case("slab", (5, 31, 29), seed=24),
    }
    if pm.SHARED_CASES.exists():  # a real MR case, cropped as PyRadiomics' preCrop does
        cases.update(pm.shared_cases(("breast1",)))
    compared = skipped = 0
    for label, case in cases.items():
        runs = pm.default_runs(case["image"].ndim, case["image"].shape[0])
        ref, order = pm.run_pyradiomics(case, runs, tmp_path)
        ours, errors = pm.radiomix_maps(case, runs)
        for run in runs:
            names = order[run["id"]]
            if names is None:
                skipped += 1  # PyRadiomics lacks scikit-image or trimesh in its venv
                continue
            if isinstance(names, dict):
                assert run["id"] in errors, (label, run, names)
                continue
            assert [k.split("/", 1)[1] for k in ours if k.startswith(run["id"] + "/")] == names
            for name in names:
                key = "{}/{}".format(run["id"], name)
                where = case["mask"] if run["type"] == "LBP3D" else slice(None)
                np.testing.assert_allclose(
                    ours[key][where], ref[key][where], rtol=RTOL, atol=ATOL, err_msg=key
                )
                assert ours[key].dtype == ref[key].dtype, key
                compared += 1
    assert compared > 100
    if skipped:
        pytest.skip(f"compared {compared} maps; {skipped} runs unavailable in PyRadiomics' venv")
