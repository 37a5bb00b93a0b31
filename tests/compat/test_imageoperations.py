"""``radiomix.compat.imageoperations``: PyRadiomics 3.0.1's ``imageoperations`` API.

Always: small synthetic SimpleITK images, with values computed by hand or by the engine's
own functions. Slow (live): the same calls on PyRadiomics' test cases brain1 and lung2 run
by PyRadiomics 3.0.1 in its own environment (benchmarks/.venv-pyradiomics) and by
radiomix, one script for both (:data:`OPS`), every image, array and geometry compared.
"""

from __future__ import annotations

import json
import logging
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import SimpleITK as sitk

from radiomix.compat import imageoperations as io
from tests.conftest import SHARED

ROOT = Path(__file__).resolve().parents[2]
PYRADIOMICS = ROOT / "benchmarks" / ".venv-pyradiomics" / "bin" / "python"
CASES = SHARED / "data" / "pyradiomics-cases"


def _image(arr: np.ndarray, spacing: tuple[float, ...] = (0.8, 0.7, 2.0)) -> sitk.Image:
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(spacing[: arr.ndim])
    img.SetOrigin((-10.0, 5.0, 3.0)[: arr.ndim])
    return img


def _case(seed: int = 0) -> tuple[sitk.Image, sitk.Image]:
    rng = np.random.default_rng(seed)
    arr = rng.integers(-200, 300, (10, 16, 18)).astype(np.int16)
    lab = np.zeros(arr.shape, np.uint8)
    lab[3:7, 4:11, 5:13] = 1
    lab[4:6, 6:9, 7:10] = 2
    return _image(arr), _image(lab)


def _same_geometry(a: sitk.Image, b: sitk.Image) -> None:
    assert a.GetSize() == b.GetSize()
    assert a.GetSpacing() == b.GetSpacing()
    assert a.GetOrigin() == b.GetOrigin()
    assert a.GetDirection() == b.GetDirection()


#: PyRadiomics 3.0.1's public functions of ``radiomics.imageoperations`` and their
#: parameters (``**kwargs`` as ``kwargs``)
PYRADIOMICS_SIGNATURES = {
    "getMask": ["mask", "kwargs"],
    "getBinEdges": ["parameterValues", "kwargs"],
    "binImage": ["parameterMatrix", "parameterMatrixCoordinates", "kwargs"],
    "checkMask": ["imageNode", "maskNode", "kwargs"],
    "cropToTumorMask": ["imageNode", "maskNode", "boundingBox", "kwargs"],
    "resampleImage": ["imageNode", "maskNode", "kwargs"],
    "normalizeImage": ["image", "kwargs"],
    "resegmentMask": ["imageNode", "maskNode", "kwargs"],
    **{
        f"get{t}Image": ["inputImage", "inputMask", "kwargs"]
        for t in (
            "Original",
            "LoG",
            "Wavelet",
            "Square",
            "SquareRoot",
            "Logarithm",
            "Exponential",
            "Gradient",
            "LBP2D",
            "LBP3D",
        )
    },
}


def test_every_public_function_of_pyradiomics_with_its_parameters() -> None:
    import inspect

    for name, params in PYRADIOMICS_SIGNATURES.items():
        assert list(inspect.signature(getattr(io, name)).parameters) == params, name
        assert name in io.__all__
    assert io.binImage.__defaults__ == (None,)
    assert isinstance(io.logger, logging.Logger)


# --------------------------------------------------------------------- masks, binning


def test_get_mask_casts_to_uint32_and_checks_the_label() -> None:
    _, mask = _case()
    out = io.getMask(mask)
    assert out.GetPixelID() == sitk.sitkUInt32
    assert np.array_equal(sitk.GetArrayFromImage(out), sitk.GetArrayFromImage(mask))
    io.getMask(mask, label=2)
    with pytest.raises(ValueError, match="Label \\(3\\) not present"):
        io.getMask(mask, label=3)
    with pytest.raises(ValueError, match="No labels found"):
        io.getMask(_image(np.zeros((4, 4, 4), np.uint8)))


def test_get_mask_takes_the_label_channel_of_a_vector_mask() -> None:
    lab = np.zeros((4, 5, 6, 2), np.uint8)
    lab[1:3, 1:4, 1:5, 0] = 1
    lab[0:2, 0:2, 0:2, 1] = 1
    vector = sitk.GetImageFromArray(lab, isVector=True)
    for channel in (0, 1):
        out = io.getMask(vector, label_channel=channel)
        assert out.GetPixelID() == sitk.sitkUInt32
        assert np.array_equal(sitk.GetArrayFromImage(out), lab[..., channel])
    with pytest.raises(AssertionError):
        io.getMask(vector, label_channel=2)


def test_bin_edges_as_pyradiomics_documents_them() -> None:
    values = np.array([54.0, 80.0, 166.0])
    # from the multiple of the width below the minimum to below max + 2 widths (PyRadiomics'
    # docstring example stops one edge early; its code gives this)
    assert list(io.getBinEdges(values)) == [50, 75, 100, 125, 150, 175, 200]
    assert list(io.getBinEdges(values, binWidth=50)) == [50, 100, 150, 200, 250]
    expected = np.histogram(values, 4)[1]
    expected[-1] += 1
    assert np.array_equal(io.getBinEdges(values, binCount=4), expected)
    assert list(io.getBinEdges(np.array([50.0, 50.0]))) == [50, 75]  # flat region: one bin


def test_bin_image_discretises_the_roi_only() -> None:
    rng = np.random.default_rng(1)
    matrix = rng.uniform(-40, 160, (5, 6, 7))
    roi = np.zeros(matrix.shape, bool)
    roi[1:4, 2:5, 1:6] = True
    levels, edges = io.binImage(matrix, roi, binWidth=10)
    x = matrix[roi]
    assert np.array_equal(levels[roi], np.floor(x / 10) - np.floor(x.min() / 10) + 1)
    assert np.all(levels[~roi] == 0) and levels.dtype == int
    assert np.array_equal(edges, io.getBinEdges(x, binWidth=10))
    by_index, _ = io.binImage(matrix, np.where(roi), binWidth=10)  # index arrays too
    assert np.array_equal(by_index, levels)
    whole, _ = io.binImage(matrix, binCount=8)
    assert whole.min() == 1 and whole.max() == 8


# ------------------------------------------------- checks, crop, resampling, normalising


def test_check_mask_bounding_box_and_size_checks() -> None:
    image, mask = _case()
    bb, corrected = io.checkMask(image, mask)
    assert corrected is None
    assert list(bb) == [5, 12, 4, 10, 3, 6]  # (L_x, U_x, L_y, U_y, L_z, U_z)
    assert list(io.checkMask(image, mask, label=2)[0]) == [7, 9, 6, 8, 4, 5]
    with pytest.raises(ValueError, match="minimumROISize"):
        io.checkMask(image, mask, minimumROISize=4 * 7 * 8)
    line = np.zeros((10, 16, 18), np.uint8)
    line[2, 3, 4:9] = 1
    with pytest.raises(ValueError, match="minimumROIDimensions"):
        io.checkMask(image, _image(line))  # PyRadiomics' function: 2 dimensions by default
    assert list(io.checkMask(image, _image(line), minimumROIDimensions=1)[0]) == [4, 8, 3, 3, 2, 2]
    with pytest.raises(ValueError, match="not present"):
        io.checkMask(image, mask, label=5)


def test_check_mask_geometry_and_correct_mask() -> None:
    image, mask = _case()
    moved = sitk.Image(mask)
    moved.SetOrigin((-10.0, 5.0, 3.5))
    with pytest.raises(ValueError):
        io.checkMask(image, moved)
    bb, corrected = io.checkMask(image, moved, correctMask=True)
    assert corrected is not None
    _same_geometry(corrected, image)
    assert corrected.GetPixelID() == mask.GetPixelID()
    rif = sitk.ResampleImageFilter()
    rif.SetReferenceImage(image)
    rif.SetInterpolator(sitk.sitkNearestNeighbor)
    expected = sitk.GetArrayFromImage(rif.Execute(moved))
    assert np.array_equal(sitk.GetArrayFromImage(corrected), expected)
    assert list(bb[4:]) == [
        int(np.flatnonzero((expected == 1).any(axis=(1, 2)))[i]) for i in (0, -1)
    ]


def test_crop_to_tumor_mask() -> None:
    image, mask = _case()
    bb, _ = io.checkMask(image, mask)
    img, msk = io.cropToTumorMask(image, mask, bb)
    assert img.GetSize() == (8, 7, 4)
    assert np.array_equal(
        sitk.GetArrayFromImage(img), sitk.GetArrayFromImage(image)[3:7, 4:11, 5:13]
    )
    assert img.GetOrigin() == image.TransformIndexToPhysicalPoint((5, 4, 3))
    _same_geometry(img, msk)
    padded, _ = io.cropToTumorMask(image, mask, bb, padDistance=4)
    assert padded.GetSize() == (16, 15, 10)  # clipped at the image's edges


def test_resample_image_is_the_engine_resampling_with_the_labels_kept() -> None:
    from radiomix.compat.params import load_params, params_to_settings
    from radiomix.extraction.profile_pyradiomics import resample_image
    from radiomix.io import from_sitk

    image, mask = _case()
    img, msk = io.resampleImage(
        image, mask, resampledPixelSpacing=[1.0, 1.0, 1.0], interpolator=sitk.sitkLinear
    )
    settings = params_to_settings(
        load_params({"setting": {"resampledPixelSpacing": [1, 1, 1], "interpolator": "sitkLinear"}})
    )
    vol = from_sitk(mask)
    ref, _ = resample_image(from_sitk(image), vol.with_array(vol.array == 1), settings)
    assert np.array_equal(sitk.GetArrayFromImage(img), ref.array)
    assert img.GetSpacing() == (1.0, 1.0, 1.0) and img.GetPixelID() == image.GetPixelID()
    _same_geometry(img, msk)
    assert msk.GetPixelID() == mask.GetPixelID()
    assert set(np.unique(sitk.GetArrayFromImage(msk))) == {0, 1, 2}
    with pytest.raises(AssertionError):
        io.resampleImage(image, mask, resampledPixelSpacing=[1.0, 1.0])


def test_resample_image_falls_back_to_bspline(caplog: pytest.LogCaptureFixture) -> None:
    image, mask = _case()
    spacing = {"resampledPixelSpacing": [1.0, 1.0, 1.0]}
    with caplog.at_level(logging.WARNING, logger="radiomix.compat.imageoperations"):
        img, _ = io.resampleImage(image, mask, interpolator="sitkCubic", **spacing)
    assert "not recognized" in caplog.text
    ref, _ = io.resampleImage(image, mask, **spacing)  # sitkBSpline by default
    assert np.array_equal(sitk.GetArrayFromImage(img), sitk.GetArrayFromImage(ref))
    linear, _ = io.resampleImage(image, mask, interpolator=sitk.sitkLinear, **spacing)
    assert not np.array_equal(sitk.GetArrayFromImage(linear), sitk.GetArrayFromImage(ref))


def test_resample_to_the_same_spacing_crops_without_padding_by_default() -> None:
    image, mask = _case()
    spacing = list(image.GetSpacing())
    img, _ = io.resampleImage(image, mask, resampledPixelSpacing=spacing)
    assert img.GetSize() == (8, 7, 4)
    assert np.array_equal(
        sitk.GetArrayFromImage(img), sitk.GetArrayFromImage(image)[3:7, 4:11, 5:13]
    )
    img, _ = io.resampleImage(image, mask, resampledPixelSpacing=spacing, padDistance=1)
    assert img.GetSize() == (10, 9, 6)


def test_normalize_image() -> None:
    image, _ = _case()
    x = sitk.GetArrayFromImage(image).astype(np.float64)
    z = (x - x.mean()) / x.std(ddof=1)
    out = io.normalizeImage(image, normalizeScale=100)
    assert out.GetPixelID() == sitk.sitkFloat64
    _same_geometry(out, image)
    assert np.allclose(sitk.GetArrayFromImage(out), 100 * z, rtol=1e-12, atol=1e-10)
    clipped = io.normalizeImage(image, removeOutliers=1.0)
    assert np.allclose(sitk.GetArrayFromImage(clipped), np.clip(z, -1, 1), atol=1e-12)


def test_resegment_mask() -> None:
    image, mask = _case()
    x = sitk.GetArrayFromImage(image)
    roi = sitk.GetArrayFromImage(mask) == 1
    out = io.resegmentMask(image, mask, resegmentRange=[-50, 100])
    _same_geometry(out, mask)
    assert np.array_equal(sitk.GetArrayFromImage(out), roi & (x >= -50) & (x <= 100))
    out = io.resegmentMask(image, mask, resegmentRange=[0], label=2)
    assert np.array_equal(
        sitk.GetArrayFromImage(out), 2 * ((sitk.GetArrayFromImage(mask) == 2) & (x >= 0))
    )
    with pytest.raises(ValueError, match="resegmentRange is None"):
        io.resegmentMask(image, mask, resegmentRange=None)
    with pytest.raises(ValueError, match="Length 3"):
        io.resegmentMask(image, mask, resegmentRange=[1, 2, 3])
    with pytest.raises(ValueError):
        io.resegmentMask(image, mask, resegmentRange=[0], resegmentMode="percent")
    with pytest.raises(ValueError):
        io.resegmentMask(image, mask, resegmentRange=[1000])


# --------------------------------------------------------------------------- image types


def test_original_and_pointwise_types() -> None:
    image, mask = _case()
    ((img, name, kw),) = io.getOriginalImage(image, mask, binWidth=5)
    assert img is image and name == "original" and kw == {"binWidth": 5}
    x = sitk.GetArrayFromImage(image).astype(np.float64)
    m = np.abs(x).max()
    expected = {
        "square": (x / np.sqrt(m)) ** 2,
        "squareroot": np.sign(x) * np.sqrt(np.abs(x) * m),
        "logarithm": np.sign(x) * np.log1p(np.abs(x)) * m / np.log1p(m),
        "exponential": np.exp(np.log(m) / m * x),
    }
    for fn in (
        io.getSquareImage,
        io.getSquareRootImage,
        io.getLogarithmImage,
        io.getExponentialImage,
    ):
        ((img, name, kw),) = fn(image, mask, label=1)
        assert kw == {"label": 1}
        _same_geometry(img, image)
        assert img.GetPixelID() == sitk.sitkFloat64
        assert np.allclose(sitk.GetArrayFromImage(img), expected[name], rtol=1e-12, atol=1e-9)


def test_log_images_skip_what_pyradiomics_skips(caplog: pytest.LogCaptureFixture) -> None:
    from radiomix.filters.pyradiomics import log_image

    image, mask = _case()
    with caplog.at_level(logging.WARNING, logger="radiomix.compat.imageoperations"):
        out = list(io.getLoGImage(image, mask, sigma=[1.0, 0, 2, 30.0]))
    assert [n for _, n, _ in out] == ["log-sigma-1-0-mm-3D", "log-sigma-2-mm-3D"]
    assert "greater than 0.0" in caplog.text and "must be greater than the size" in caplog.text
    arr = sitk.GetArrayFromImage(image)
    spacing = tuple(reversed(image.GetSpacing()))
    for (img, _, _), sigma in zip(out, (1.0, 2), strict=True):
        _same_geometry(img, image)
        assert img.GetPixelID() == sitk.sitkFloat32
        assert np.array_equal(sitk.GetArrayFromImage(img), log_image(arr, spacing, sigma))
    assert list(io.getLoGImage(_image(np.ones((3, 8, 8), np.int16)), None, sigma=[1.0])) == []
    assert list(io.getLoGImage(image, mask)) == []  # no sigma: nothing


def test_wavelet_images_in_pyradiomics_order() -> None:
    from radiomix.filters.pyradiomics import wavelet_images

    image, mask = _case()
    out = list(io.getWaveletImage(image, mask, level=2, wavelet="haar"))
    names = [n for _, n, _ in out]
    bands = ["LLH", "LHL", "LHH", "HLL", "HLH", "HHL", "HHH"]
    assert names == [f"wavelet-{b}" for b in bands] + [f"wavelet2-{b}" for b in bands] + [
        "wavelet2-LLL"
    ]
    ref = wavelet_images(sitk.GetArrayFromImage(image), wavelet="haar", level=2)
    for img, name, _ in out:
        _same_geometry(img, image)
        assert np.array_equal(sitk.GetArrayFromImage(img), ref[name])
    flat = [n for _, n, _ in io.getWaveletImage(image, mask, force2D=True, force2Ddimension=0)]
    assert flat == ["wavelet-LH", "wavelet-HL", "wavelet-HH", "wavelet-LL"]


def test_gradient_and_lbp_images() -> None:
    from radiomix.filters.pyradiomics import gradient_image, lbp2d_images, lbp3d_images

    image, mask = _case()
    arr = sitk.GetArrayFromImage(image)
    spacing = tuple(reversed(image.GetSpacing()))
    ((img, name, _),) = io.getGradientImage(image, mask, gradientUseSpacing=False)
    assert name == "gradient"
    assert np.array_equal(sitk.GetArrayFromImage(img), gradient_image(arr, spacing, False))
    ((img, name, _),) = io.getLBP2DImage(image, mask, force2D=True, force2Ddimension=1)
    assert name == "lbp-2D" and img.GetPixelID() == image.GetPixelID()
    ref = lbp2d_images(arr, force2d_dimension=1)["lbp-2D"]
    assert np.array_equal(sitk.GetArrayFromImage(img), ref)
    out = list(io.getLBP3DImage(image, mask, label=2))
    assert [n for _, n, _ in out] == ["lbp-3D-m1", "lbp-3D-m2", "lbp-3D-k"]
    ref3 = lbp3d_images(arr, sitk.GetArrayFromImage(mask) == 2)
    for img, name, _ in out:
        _same_geometry(img, image)
        assert np.array_equal(sitk.GetArrayFromImage(img), ref3[name], equal_nan=True)
    flat = _image(arr[0])
    assert list(io.getLBP3DImage(flat, _image(np.ones(arr.shape[1:], np.uint8)))) == []
    ((img2d, _, _),) = io.getLBP2DImage(flat, None)
    assert img2d.GetDimension() == 2 and img2d.GetPixelID() == sitk.sitkFloat64


def test_two_dimensional_images_stay_two_dimensional() -> None:
    rng = np.random.default_rng(4)
    arr = rng.integers(0, 255, (30, 40)).astype(np.uint8)
    lab = np.zeros(arr.shape, np.uint8)
    lab[8:20, 10:31] = 1
    image, mask = _image(arr, (0.5, 0.6)), _image(lab, (0.5, 0.6))
    bb, _ = io.checkMask(image, mask)
    assert list(bb) == [10, 30, 8, 19]
    img, msk = io.resampleImage(image, mask, resampledPixelSpacing=[1.0, 1.0])
    assert img.GetDimension() == msk.GetDimension() == 2 and img.GetSpacing() == (1.0, 1.0)
    assert io.normalizeImage(image).GetDimension() == 2
    out = io.resegmentMask(image, mask, resegmentRange=[100])
    assert out.GetDimension() == 2
    assert np.array_equal(sitk.GetArrayFromImage(out), (lab == 1) & (arr >= 100))
    names = [n for _, n, _ in io.getLoGImage(image, mask, sigma=[1.0])]
    assert names == ["log-sigma-1-0-mm-3D"]


# --------------------------------------------------------------------- live comparison

#: One script for both tools: ``run(io, image_path, mask_path)`` calls every function of
#: ``io`` (``radiomics.imageoperations`` or ``radiomix.compat.imageoperations``) and
#: returns ``{call: (array, geometry)}``
OPS = textwrap.dedent(
    """
    import numpy as np
    import SimpleITK as sitk

    FILTERS = [
        ("getOriginalImage", {}),
        ("getLoGImage", {"sigma": [1.0, 3.0]}),
        ("getWaveletImage", {}),
        ("getWaveletImage", {"wavelet": "haar", "level": 2, "force2D": True}),
        ("getSquareImage", {}),
        ("getSquareRootImage", {}),
        ("getLogarithmImage", {}),
        ("getExponentialImage", {}),
        ("getGradientImage", {}),
        ("getLBP2DImage", {"force2D": True}),
        ("getLBP3DImage", {}),
    ]

    def geometry(img):
        return [list(img.GetSize()), list(img.GetSpacing()), list(img.GetOrigin()),
                list(img.GetDirection()), img.GetPixelIDTypeAsString()]

    def run(io, image_path, mask_path):
        out = {}

        def put(key, img):
            out[key] = (sitk.GetArrayFromImage(img), geometry(img))

        image = sitk.ReadImage(image_path)
        mask = io.getMask(sitk.ReadImage(mask_path))
        put("getMask", mask)
        roi = sitk.GetArrayFromImage(mask) == 1
        bb, corrected = io.checkMask(image, mask, minimumROIDimensions=2, minimumROISize=10)
        out["checkMask"] = (np.asarray(bb), [corrected is None])
        for pad in (0, 5):
            img, msk = io.cropToTumorMask(image, mask, bb, padDistance=pad)
            put(f"cropToTumorMask-{pad}-image", img)
            put(f"cropToTumorMask-{pad}-mask", msk)
        for name, kw in [
            ("bspline-2mm", {"resampledPixelSpacing": [2, 2, 2], "interpolator": sitk.sitkBSpline}),
            ("linear-x1", {"resampledPixelSpacing": [1, 0, 0], "interpolator": "sitkLinear",
                           "padDistance": 3}),
            ("same", {"resampledPixelSpacing": list(image.GetSpacing())}),
        ]:
            img, msk = io.resampleImage(image, mask, **kw)
            put(f"resampleImage-{name}-image", img)
            put(f"resampleImage-{name}-mask", msk)
        put("normalizeImage", io.normalizeImage(image, normalizeScale=100, removeOutliers=3))
        put("resegmentMask-sigma",
            io.resegmentMask(image, mask, resegmentRange=[-1, 1.5], resegmentMode="sigma"))
        put("resegmentMask-relative",
            io.resegmentMask(image, mask, resegmentRange=[0.5], resegmentMode="relative"))
        values = sitk.GetArrayFromImage(image)[roi]
        out["getBinEdges-25"] = (np.asarray(io.getBinEdges(values)), [])
        out["getBinEdges-count"] = (np.asarray(io.getBinEdges(values, binCount=32)), [])
        levels, edges = io.binImage(sitk.GetArrayFromImage(image), roi, binWidth=10)
        out["binImage"] = (levels, [str(levels.dtype)])
        log = sitk.GetArrayFromImage(next(io.getLoGImage(image, mask, sigma=[2.0]))[0])
        out["getBinEdges-float32"] = (np.asarray(io.getBinEdges(log[roi], binWidth=5)), [])
        levels, _ = io.binImage(log, roi, binCount=16)
        out["binImage-float32"] = (levels, [str(levels.dtype)])
        for k, (name, kw) in enumerate(FILTERS):
            for img, type_name, got in getattr(io, name)(image, mask, **kw):
                assert got == kw
                arr = sitk.GetArrayFromImage(img)
                if type_name.startswith("lbp-3D"):  # PyRadiomics: only ROI voxels are set
                    arr = arr[roi]
                out[f"{k}-{name}:{type_name}"] = (arr, geometry(img))
        return out

    def save(out, path):
        np.savez(path + ".npz", **{k: a for k, (a, _) in out.items()})
        with open(path + ".json", "w") as fh:
            json.dump({k: g for k, (_, g) in out.items()}, fh)
    """
)

REFERENCE = (
    "import json, sys\nfrom radiomics import imageoperations\n"
    + OPS
    + "\nsave(run(imageoperations, sys.argv[1], sys.argv[2]), sys.argv[3])\n"
)


def _max_rel(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.size == 0:
        return 0.0
    both_nan = np.isnan(a) & np.isnan(b)
    diff = np.where(both_nan, 0.0, np.abs(a - b))
    scale = np.maximum(np.abs(b), 1e-9 * max(float(np.nanmax(np.abs(b))), 1e-300))
    return float(np.nanmax(np.where(both_nan, 0.0, diff / scale)))


def compare_with_pyradiomics(case: str, tmp_path: Path) -> dict[str, float]:
    """``{call: max relative difference}`` of every call of :data:`OPS` on ``case``;
    asserts equal shapes, dtypes and geometry."""
    image, mask = str(CASES / f"{case}_image.nrrd"), str(CASES / f"{case}_label.nrrd")
    ref_path = str(tmp_path / f"{case}_pyradiomics")
    script = tmp_path / "reference.py"
    script.write_text(REFERENCE)
    subprocess.run([str(PYRADIOMICS), str(script), image, mask, ref_path], check=True)
    ref_arrays = np.load(ref_path + ".npz")
    ref_geometry = json.loads(Path(ref_path + ".json").read_text())
    namespace: dict[str, Any] = {"json": json}
    exec(OPS, namespace)  # noqa: S102 - the script above, run here with radiomix's module
    ours = namespace["run"](io, image, mask)
    assert sorted(ours) == sorted(ref_geometry)
    diffs: dict[str, float] = {}
    for key, (arr, geom) in ours.items():
        ref = ref_arrays[key]
        assert json.loads(json.dumps(geom)) == ref_geometry[key], key
        assert arr.shape == ref.shape, key
        # the bin edges are float64 here; PyRadiomics' are integers for an integer image and
        # bin width (the same numbers)
        assert arr.dtype == ref.dtype or key.startswith("getBinEdges"), key
        diffs[key] = _max_rel(arr, ref)
    return diffs


@pytest.mark.slow
@pytest.mark.parametrize("case", ["brain1", "lung2"])
def test_every_function_matches_live_pyradiomics(case: str, tmp_path: Path) -> None:
    if not PYRADIOMICS.exists():
        pytest.skip(f"needs PyRadiomics 3.0.1 in {PYRADIOMICS} (benchmarks/setup_pyradiomics.sh)")
    if not (CASES / f"{case}_image.nrrd").exists():
        pytest.skip(f"needs PyRadiomics' test case {case} in {CASES} (the shared data folder)")
    diffs = compare_with_pyradiomics(case, tmp_path)
    print(json.dumps(diffs, indent=1))
    bad = {k: v for k, v in diffs.items() if not v <= 1e-6}
    assert not bad, f"differences above 1e-6 relative: {bad}"


@pytest.mark.slow
def test_the_signatures_are_pyradiomics_own() -> None:
    """Every public function PyRadiomics 3.0.1's module defines, with its parameters."""
    if not PYRADIOMICS.exists():
        pytest.skip(f"needs PyRadiomics 3.0.1 in {PYRADIOMICS} (benchmarks/setup_pyradiomics.sh)")
    code = (
        "import inspect, json\nfrom radiomics import imageoperations as m\n"
        "print(json.dumps({n: list(inspect.signature(f).parameters) for n, f in "
        "inspect.getmembers(m, inspect.isfunction) if not n.startswith('_') "
        "and f.__module__ == m.__name__}))"
    )
    out = subprocess.run([str(PYRADIOMICS), "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == PYRADIOMICS_SIGNATURES
