"""``radiomics.imageoperations`` (PyRadiomics 3.0.1) on radiomix's engine.

The same functions with PyRadiomics' signatures, arguments and results (SimpleITK images
in; SimpleITK images, arrays and tuples out), so that a script ports by changing its import
(``from radiomix.compat import imageoperations``). Each function only translates: the work
is done by the functions the extractor runs (the image types of
:mod:`radiomix.filters.pyradiomics`, the preprocessing of
:mod:`radiomix.extraction.profile_pyradiomics`, PyRadiomics' bin edges of
:mod:`radiomix.preprocess.discretisation`); where PyRadiomics raises ``ValueError``, so do
these. What is not provided: docs/pyradiomics-profile.md, "API surface". SimpleITK, SciPy
and numba are imported inside the functions, not with this module.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from radiomix.errors import RadiomixError

if TYPE_CHECKING:
    import SimpleITK

    from radiomix.extraction.settings import ExtractionSettings
    from radiomix.io import Volume

__all__ = [
    "binImage",
    "checkMask",
    "cropToTumorMask",
    "getBinEdges",
    "getExponentialImage",
    "getGradientImage",
    "getLBP2DImage",
    "getLBP3DImage",
    "getLoGImage",
    "getLogarithmImage",
    "getMask",
    "getOriginalImage",
    "getSquareImage",
    "getSquareRootImage",
    "getWaveletImage",
    "logger",
    "normalizeImage",
    "resampleImage",
    "resegmentMask",
]

#: the module's logger (PyRadiomics': ``radiomics.imageoperations``)
logger = logging.getLogger("radiomix.compat.imageoperations")

#: the engine's ``interpolator`` setting when ``resampleImage`` gets none (PyRadiomics'
#: default ``sitk.sitkBSpline``)
_DEFAULT_INTERPOLATOR = "sitkBSpline"

ImageResult = Iterator[tuple["SimpleITK.Image", str, dict[str, Any]]]


# ---------------------------------------------------------------------------------------
# translation helpers
# ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def _value_errors() -> Iterator[None]:
    """radiomix's typed errors as the ``ValueError`` PyRadiomics raises."""
    try:
        yield
    except RadiomixError as exc:
        raise ValueError(str(exc)) from exc


def _settings(kwargs: Mapping[str, Any], **given: Any) -> ExtractionSettings:
    """The engine's settings from PyRadiomics' keyword settings: the keys in ``given``
    (name -> PyRadiomics' default for this function, or None: only when given)."""
    from radiomix.compat.params import load_params, params_to_settings

    setting: dict[str, Any] = {}
    for key, default in given.items():
        value = kwargs.get(key, default)
        if isinstance(value, tuple | np.ndarray):
            value = [v.item() if isinstance(v, np.generic) else v for v in value]
        elif isinstance(value, np.generic):
            value = value.item()
        if value is not None:
            setting[key] = value
    return params_to_settings(load_params({"setting": setting}))


def _volume(image: SimpleITK.Image, *, for_mask: bool = False) -> Volume:
    """A SimpleITK image as a volume that records its dimensionality (2D images are one
    plane: :func:`radiomix.extraction.profile_pyradiomics.input_ndim`)."""
    from radiomix.extraction.profile_pyradiomics import with_ndim
    from radiomix.io import from_sitk

    return with_ndim(from_sitk(image, for_mask=for_mask), min(image.GetDimension(), 3))


def _image(volume: Volume, ndim: int) -> SimpleITK.Image:
    from radiomix.io import to_sitk, to_sitk_2d

    return to_sitk_2d(volume) if ndim == 2 else to_sitk(volume)


def _roi(mask: SimpleITK.Image, label: Any) -> np.ndarray:
    """The voxels of ``label`` in a label map, as a (z, y, x) boolean array (one plane for
    a 2D mask)."""
    import SimpleITK as sitk

    roi = sitk.GetArrayFromImage(mask) == label
    return roi[np.newaxis] if roi.ndim == 2 else roi


def _like(array: np.ndarray, reference: SimpleITK.Image) -> SimpleITK.Image:
    """An array as a SimpleITK image with the geometry of ``reference``."""
    import SimpleITK as sitk

    image = sitk.GetImageFromArray(array)
    image.CopyInformation(reference)
    return image


def _spacing(image: SimpleITK.Image) -> tuple[float, ...]:
    """The spacing in the array's (z, y, x) order."""
    return tuple(float(s) for s in reversed(image.GetSpacing()))


# ---------------------------------------------------------------------------------------
# masks, binning
# ---------------------------------------------------------------------------------------


def getMask(mask: SimpleITK.Image, **kwargs: Any) -> SimpleITK.Image:
    """The label map as PyRadiomics uses it: component ``label_channel`` (default 0) of a
    vector (segmentation) mask, cast to UInt32.

    Raises ``ValueError`` where the mask holds no label at all or not ``label`` (default
    1), and ``AssertionError`` where a vector mask has no component ``label_channel``, as
    PyRadiomics does.
    """
    import SimpleITK as sitk

    from radiomix.errors import ConfigError
    from radiomix.extraction.profile_pyradiomics import mask_channel

    label = kwargs.get("label", 1)
    if "vector" in mask.GetPixelIDTypeAsString().lower():
        try:
            mask = mask_channel(mask, int(kwargs.get("label_channel", 0)), mask)
        except ConfigError as exc:
            raise AssertionError(str(exc)) from None
    mask = sitk.Cast(mask, sitk.sitkUInt32)
    labels = np.unique(sitk.GetArrayFromImage(mask))
    if len(labels) == 1:
        raise ValueError("No labels found in this mask (i.e. nothing is segmented)!")
    if label not in labels:
        raise ValueError(
            f"Label ({label:g}) not present in mask. Choose from {labels[labels != 0]}"
        )
    return mask


def getBinEdges(parameterValues: Any, **kwargs: Any) -> np.ndarray:
    """PyRadiomics' bin edges of the ROI intensities ``parameterValues``: ``binCount``
    bins when given, else ``binWidth`` (default 25) wide bins on multiples of the width
    (:func:`radiomix.preprocess.discretisation.bin_edges_pyradiomics`). The values are
    binned in float64, as the engine bins them (PyRadiomics keeps a float32 map's type)."""
    from radiomix.preprocess.discretisation import bin_edges_pyradiomics

    values = np.asarray(parameterValues, dtype=np.float64).ravel()
    bin_count = kwargs.get("binCount")
    return bin_edges_pyradiomics(
        values, kwargs.get("binWidth", 25), None if bin_count is None else int(bin_count)
    )


def binImage(
    parameterMatrix: np.ndarray, parameterMatrixCoordinates: Any = None, **kwargs: Any
) -> tuple[np.ndarray, np.ndarray]:
    """``(grey levels, bin edges)``: the voxels at ``parameterMatrixCoordinates`` (a
    boolean mask or index arrays; None: every voxel) discretised with
    :func:`getBinEdges` of their values; other voxels 0 (integer array)."""
    from radiomix.preprocess.discretisation import discretise

    matrix = np.asarray(parameterMatrix)
    where = (...,) if parameterMatrixCoordinates is None else parameterMatrixCoordinates
    values = np.asarray(matrix[where], dtype=np.float64)
    edges = getBinEdges(values, **kwargs)
    bin_count = kwargs.get("binCount")
    levels, _ = discretise(
        values,
        "fixed_bin_size" if bin_count is None else "fixed_bin_number",
        bin_width=kwargs.get("binWidth", 25),
        bin_count=None if bin_count is None else int(bin_count),
        edges="pyradiomics",
    )
    out = np.zeros(matrix.shape, dtype=int)
    out[where] = levels
    return out, edges


# ---------------------------------------------------------------------------------------
# mask checks, cropping, resampling, normalisation, re-segmentation
# ---------------------------------------------------------------------------------------


def checkMask(
    imageNode: SimpleITK.Image, maskNode: SimpleITK.Image, **kwargs: Any
) -> tuple[np.ndarray, SimpleITK.Image | None]:
    """``(bounding box, corrected mask)``: PyRadiomics' checks of the ROI ``label``.

    The mask must lie on the image grid (within SimpleITK's global coordinate tolerance,
    which PyRadiomics' extractor sets from ``geometryTolerance``) or, with ``correctMask``,
    is resampled onto it by nearest neighbour (the corrected mask; None otherwise); then
    the ROI must extend over ``minimumROIDimensions`` axes (default 2 here, as in
    PyRadiomics' function) and hold more than ``minimumROISize`` voxels. The bounding box
    is ``numpy.array([L_x, U_x, L_y, U_y(, L_z, U_z)])`` (first and last index per axis).
    Raises ``ValueError`` where a check fails.
    """
    import SimpleITK as sitk

    from radiomix.extraction.profile_pyradiomics import (
        check_roi,
        on_image_grid,
        resample_nearest,
    )
    from radiomix.filters.pyradiomics import pyradiomics_crop

    label = kwargs.get("label", 1)
    roi = _roi(maskNode, label)
    if not roi.any():
        raise ValueError(f"Label ({label:g}) not present in mask")
    tolerance = sitk.ProcessObject.GetGlobalDefaultCoordinateTolerance()
    with _value_errors():
        settings = _settings(
            {**kwargs, "geometryTolerance": tolerance},
            label=1,
            minimumROIDimensions=2,
            minimumROISize=None,
            correctMask=None,
            geometryTolerance=None,
        )
        mask = _volume(maskNode, for_mask=True)
        grid_roi, corrected = on_image_grid(_volume(imageNode), mask.with_array(roi), settings)
        check_roi(grid_roi, settings)
    ndim = imageNode.GetDimension()
    box = pyradiomics_crop(grid_roi, 0)[::-1][:ndim]  # x, y(, z)
    bounds = np.array([v for b in box for v in (b.start, b.stop - 1)])
    return bounds, (resample_nearest(imageNode, maskNode) if corrected else None)


def cropToTumorMask(
    imageNode: SimpleITK.Image, maskNode: SimpleITK.Image, boundingBox: Any, **kwargs: Any
) -> tuple[SimpleITK.Image, SimpleITK.Image]:
    """Image and mask cropped to ``boundingBox`` (as :func:`checkMask` returns it) plus
    ``padDistance`` voxels per side (default 0 here, as in PyRadiomics' function), clipped
    to the mask's extent."""
    import SimpleITK as sitk

    pad = int(kwargs.get("padDistance", 0))
    bounds = np.asarray(boundingBox, dtype=np.int64)
    size = np.array(maskNode.GetSize(), dtype=np.int64)
    lower = np.maximum(bounds[0::2] - pad, 0)
    upper = np.maximum(size - bounds[1::2] - pad - 1, 0)
    lo, up = [int(v) for v in lower], [int(v) for v in upper]
    return sitk.Crop(imageNode, lo, up), sitk.Crop(maskNode, lo, up)


def resampleImage(
    imageNode: SimpleITK.Image, maskNode: SimpleITK.Image, **kwargs: Any
) -> tuple[SimpleITK.Image, SimpleITK.Image]:
    """Image and mask on PyRadiomics' resampled grid
    (:func:`radiomix.extraction.profile_pyradiomics.resample_image`): spacing
    ``resampledPixelSpacing`` (required; x, y(, z); 0 keeps an axis), ``interpolator``
    (default sitkBSpline, also in place of a name SimpleITK does not have, with a warning;
    the mask by nearest neighbour, keeping its labels and pixel type), the ROI ``label``'s bounding box plus ``padDistance`` (default 5) voxels. Where
    the new spacing is the image's, image and mask are only cropped, with ``padDistance``
    defaulting to 0 there, as in PyRadiomics.
    """
    import SimpleITK as sitk

    from radiomix.extraction.profile_pyradiomics import resample_image, resample_nearest

    if imageNode is None or maskNode is None:
        raise ValueError("Requires both image and mask to resample")
    spacing = kwargs["resampledPixelSpacing"]
    ndim = maskNode.GetDimension()
    if len(spacing) != ndim:
        raise AssertionError(
            f"Wrong dimensionality ({len(spacing)}-D) of resampledPixelSpacing!, {ndim}-D required"
        )
    label = kwargs.get("label", 1)
    roi = _roi(maskNode, label)
    if not roi.any():
        raise ValueError(f"Label ({label:g}) not present in mask")
    image = _volume(imageNode)
    mask = _volume(maskNode, for_mask=True).with_array(roi)
    options = {"interpolator": _DEFAULT_INTERPOLATOR, **kwargs}
    name = options["interpolator"]
    if isinstance(name, str) and not hasattr(sitk, name):
        logger.warning('interpolator "%s" not recognized, using sitkBSpline', name)
        options["interpolator"] = _DEFAULT_INTERPOLATOR
    with _value_errors():
        keys = {"resampledPixelSpacing": None, "interpolator": None, "padDistance": 5}
        out, _ = resample_image(image, mask, _settings(options, **keys))
        if "padDistance" not in kwargs and out.spacing == image.spacing:
            # only cropped: PyRadiomics crops with cropToTumorMask's default, no padding
            out, _ = resample_image(image, mask, _settings({**options, "padDistance": 0}, **keys))
    out_image = _image(out, ndim)
    return out_image, resample_nearest(out_image, maskNode)


def normalizeImage(image: SimpleITK.Image, **kwargs: Any) -> SimpleITK.Image:
    """The whole image z-scored (SimpleITK's ``Normalize``, 64-bit float), clipped to
    ``removeOutliers`` standard deviations when given, times ``normalizeScale`` (default
    1): :func:`radiomix.preprocess.normalise` (what the profile's ``normalize`` runs)."""
    from radiomix.extraction.profile_pyradiomics import normalize_image

    with _value_errors():
        settings = _settings(
            {**kwargs, "normalize": True},
            normalize=None,
            normalizeScale=1,
            removeOutliers=None,
        )
        out = normalize_image(_volume(image), settings)
    return _image(out, image.GetDimension())


def resegmentMask(
    imageNode: SimpleITK.Image, maskNode: SimpleITK.Image, **kwargs: Any
) -> SimpleITK.Image:
    """The mask of the ROI ``label`` voxels within ``resegmentRange`` (required: 1 or 2
    thresholds) in ``resegmentMode`` ``absolute`` (default), ``relative`` or ``sigma``
    (:func:`radiomix.extraction.profile_pyradiomics.resegment_roi`), as an integer label
    map with the mask's geometry. ``ValueError`` where the range or mode is invalid, or one
    voxel or none is left."""
    import SimpleITK as sitk

    from radiomix.extraction.profile_pyradiomics import resegment_roi

    resegment_range = kwargs["resegmentRange"]
    if resegment_range is None:
        raise ValueError("resegmentRange is None.")
    if len(resegment_range) not in (1, 2):
        raise ValueError(f"Length {len(resegment_range)} is not allowed for resegmentRange")
    label = kwargs.get("label", 1)
    roi = _roi(maskNode, label)
    with _value_errors():
        settings = _settings(kwargs, resegmentRange=None, resegmentMode="absolute", label=1)
        kept = resegment_roi(_volume(imageNode), roi, settings)
    out = np.zeros(kept.shape, dtype=int)
    out[kept] = label
    return _like(out.reshape(sitk.GetArrayViewFromImage(maskNode).shape), maskNode)


# ---------------------------------------------------------------------------------------
# image types (generators of (image, name, kwargs))
# ---------------------------------------------------------------------------------------


def getOriginalImage(
    inputImage: SimpleITK.Image, inputMask: SimpleITK.Image, **kwargs: Any
) -> ImageResult:
    """Yields the image itself, ``'original'`` and ``kwargs``."""
    yield inputImage, "original", kwargs


def getLoGImage(
    inputImage: SimpleITK.Image, inputMask: SimpleITK.Image, **kwargs: Any
) -> ImageResult:
    """Yields, per ``sigma`` (mm) in the order given, the Laplacian of Gaussian
    (:func:`radiomix.filters.pyradiomics.log_image`, float32), its name
    ``log-sigma-<sigma>-mm-3D`` and ``kwargs``. A sigma not > 0, or too large for the image
    (:func:`~radiomix.filters.pyradiomics.log_sigma_fits`), is skipped with a warning; an
    image with an axis under 4 voxels yields nothing, as in PyRadiomics."""
    import SimpleITK as sitk

    from radiomix.filters.pyradiomics import log_image, log_image_name, log_sigma_fits

    arr = sitk.GetArrayFromImage(inputImage)
    spacing = _spacing(inputImage)
    if min(arr.shape) < 4:
        logger.warning("Image too small to apply LoG filter, size: %s", inputImage.GetSize())
        return
    for sigma in kwargs.get("sigma", []):
        if not sigma > 0.0:
            logger.warning("applyLoG: sigma must be greater than 0.0: %g", sigma)
        elif not log_sigma_fits(arr.shape, spacing, sigma):
            logger.warning(
                "applyLoG: sigma(%g)/spacing(%s) + 1 must be greater than the size(%s) of "
                "the inputImage",
                sigma,
                inputImage.GetSpacing(),
                inputImage.GetSize(),
            )
        else:
            with _value_errors():
                mapped = log_image(arr, spacing, sigma)
            yield _like(mapped, inputImage), log_image_name(sigma), kwargs


def getWaveletImage(
    inputImage: SimpleITK.Image, inputMask: SimpleITK.Image, **kwargs: Any
) -> ImageResult:
    """Yields the undecimated wavelet bands (:func:`radiomix.filters.pyradiomics.wavelet_images`:
    ``wavelet`` (default coif1), ``level`` (1), ``start_level`` (0), every axis but
    ``force2Ddimension`` with ``force2D``) in PyRadiomics' order, each with its name
    (``wavelet-LLH``, ..., ``wavelet<level>-...``; the approximation last) and ``kwargs``."""
    import SimpleITK as sitk

    from radiomix.filters.pyradiomics import wavelet_images

    with _value_errors():
        maps = wavelet_images(
            sitk.GetArrayFromImage(inputImage),
            wavelet=kwargs.get("wavelet", "coif1"),
            level=kwargs.get("level", 1),
            start_level=kwargs.get("start_level", 0),
            force2d=kwargs.get("force2D", False),
            force2d_dimension=kwargs.get("force2Ddimension", 0),
        )
    for name, mapped in maps.items():
        yield _like(mapped, inputImage), name, kwargs


def _pointwise(inputImage: SimpleITK.Image, name: str, kwargs: dict[str, Any]) -> ImageResult:
    """One of PyRadiomics' point-wise image types (``square``, ``squareroot``,
    ``logarithm``, ``exponential``) by the filter module's function of that name."""
    import SimpleITK as sitk

    from radiomix.filters import pyradiomics as filters

    with _value_errors():
        mapped = getattr(filters, f"{name}_image")(sitk.GetArrayFromImage(inputImage))
    yield _like(mapped, inputImage), name, kwargs


def _pointwise_getter(name: str, public: str) -> Callable[..., ImageResult]:
    def getter(
        inputImage: SimpleITK.Image, inputMask: SimpleITK.Image, **kwargs: Any
    ) -> ImageResult:
        yield from _pointwise(inputImage, name, kwargs)

    getter.__name__ = getter.__qualname__ = public
    getter.__doc__ = (
        f"Yields :func:`radiomix.filters.pyradiomics.{name}_image` (float64), ``'{name}'`` "
        "and ``kwargs``."
    )
    return getter


getSquareImage = _pointwise_getter("square", "getSquareImage")
getSquareRootImage = _pointwise_getter("squareroot", "getSquareRootImage")
getLogarithmImage = _pointwise_getter("logarithm", "getLogarithmImage")
getExponentialImage = _pointwise_getter("exponential", "getExponentialImage")


def getGradientImage(
    inputImage: SimpleITK.Image, inputMask: SimpleITK.Image, **kwargs: Any
) -> ImageResult:
    """Yields the gradient magnitude (:func:`radiomix.filters.pyradiomics.gradient_image`,
    float32; in mm unless ``gradientUseSpacing`` is false), ``'gradient'`` and ``kwargs``."""
    import SimpleITK as sitk

    from radiomix.filters.pyradiomics import gradient_image

    with _value_errors():
        mapped = gradient_image(
            sitk.GetArrayFromImage(inputImage),
            _spacing(inputImage),
            kwargs.get("gradientUseSpacing", True),
        )
    yield _like(mapped, inputImage), "gradient", kwargs


def getLBP2DImage(
    inputImage: SimpleITK.Image, inputMask: SimpleITK.Image, **kwargs: Any
) -> ImageResult:
    """Yields the 2D local binary pattern by slice across ``force2Ddimension``
    (:func:`radiomix.filters.pyradiomics.lbp2d_images`: ``lbp2DRadius`` 1, ``lbp2DSamples``
    8, ``lbp2DMethod`` uniform), ``'lbp-2D'`` and ``kwargs``; a warning on a 3D image
    without ``force2D``."""
    import SimpleITK as sitk

    from radiomix.filters.pyradiomics import lbp2d_images

    ndim = inputImage.GetDimension()
    if ndim not in (2, 3):
        logger.warning("LBP 2D is only available for 2D or 3D with forced 2D extraction")
        return
    if ndim == 3 and not kwargs.get("force2D", False):
        logger.warning(
            "Calculating Local Binary Pattern in 2D, but extracting features in 3D. "
            "Use with caution!"
        )
    with _value_errors():
        maps = lbp2d_images(
            sitk.GetArrayFromImage(inputImage),
            radius=kwargs.get("lbp2DRadius", 1),
            samples=kwargs.get("lbp2DSamples", 8),
            method=kwargs.get("lbp2DMethod", "uniform"),
            force2d_dimension=kwargs.get("force2Ddimension", 0),
        )
    yield _like(maps["lbp-2D"], inputImage), "lbp-2D", kwargs


def getLBP3DImage(
    inputImage: SimpleITK.Image, inputMask: SimpleITK.Image, **kwargs: Any
) -> ImageResult:
    """Yields the 3D local binary pattern maps of the ROI ``label``'s voxels
    (:func:`radiomix.filters.pyradiomics.lbp3d_images`: ``lbp3DLevels`` 2,
    ``lbp3DIcosphereRadius`` 1, ``lbp3DIcosphereSubdivision`` 1): ``lbp-3D-m1`` ...
    ``lbp-3D-m<levels>`` then the kurtosis ``lbp-3D-k``, each with ``kwargs``. Voxels
    outside the ROI are 0 (PyRadiomics leaves them uninitialised). Nothing for a 2D image,
    with a warning, as in PyRadiomics."""
    import SimpleITK as sitk

    from radiomix.filters.pyradiomics import lbp3d_images

    if inputImage.GetDimension() != 3:
        logger.warning(
            "LBP 3D only available for 3 dimensional images, found %i dimensions",
            inputImage.GetDimension(),
        )
        return
    if kwargs.get("force2D", False):
        logger.warning(
            "Calculating Local Binary Pattern in 3D, but extracting features in 2D. "
            "Use with caution!"
        )
    with _value_errors():
        maps = lbp3d_images(
            sitk.GetArrayFromImage(inputImage),
            sitk.GetArrayFromImage(inputMask) == kwargs.get("label", 1),
            levels=kwargs.get("lbp3DLevels", 2),
            icosphere_radius=kwargs.get("lbp3DIcosphereRadius", 1),
            icosphere_subdivision=kwargs.get("lbp3DIcosphereSubdivision", 1),
        )
    for name, mapped in maps.items():
        yield _like(mapped, inputImage), name, kwargs
