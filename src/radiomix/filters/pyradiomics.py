"""PyRadiomics 3.0.1 image types, computed as PyRadiomics computes them.

The functions reproduce PyRadiomics' ``get<Type>Image`` generators
(``radiomics/imageoperations.py``) on NumPy arrays in (z, y, x) order, to floating-point
rounding. :data:`PYRADIOMICS_IMAGE_TYPES` is the one table of them; :func:`pyradiomics_images`
runs one by its PyRadiomics name and settings (the ``pyradiomics`` profile), and the filter
registry builds its ``pyradiomics_<type>`` filters from the same rows. The functions, their
output names and dtypes, and the domain each must see (PyRadiomics' crop, pad and boundary
rules): docs/pyradiomics-profile.md, "Image types: functions, dtypes and domains".
"""

from __future__ import annotations

import difflib
import itertools
import logging
import math
import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from radiomix._lazy import lazy_module
from radiomix.errors import (
    ConfigError,
    EmptyMaskError,
    GeometryMismatchError,
    InvalidImageError,
)
from radiomix.filters._pyradiomics_lbp3d import lbp3d_roi_values

sitk = lazy_module("SimpleITK")  # imported on first use (see radiomix._lazy)
pywt = lazy_module("pywt")  # (wavelet image types only)

if TYPE_CHECKING:
    import SimpleITK
    from pywt import Wavelet

__all__ = [
    "LBP2D_METHODS",
    "PYRADIOMICS_IMAGE_TYPES",
    "FilterOption",
    "PyRadiomicsImageType",
    "exponential_image",
    "gradient_image",
    "lbp2d_images",
    "lbp3d_images",
    "log_image",
    "log_image_name",
    "log_images",
    "log_sigma_fits",
    "logarithm_image",
    "original_image",
    "pyradiomics_crop",
    "pyradiomics_images",
    "pyradiomics_margin",
    "square_image",
    "squareroot_image",
    "wavelet_images",
]

logger = logging.getLogger(__name__)

#: LBP2D methods PyRadiomics' parameter schema accepts (``lbp2DMethod``).
LBP2D_METHODS = ("default", "ror", "uniform", "var")

_DTYPES = frozenset(
    np.dtype(t)
    for t in (
        np.int8,
        np.uint8,
        np.int16,
        np.uint16,
        np.int32,
        np.uint32,
        np.int64,
        np.uint64,
        np.float32,
        np.float64,
    )
)


# ---------------------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------------------


def _check_image(image: np.ndarray, ndims: tuple[int, ...] = (2, 3)) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim not in ndims:
        shapes = " or ".join({2: "2D (y, x)", 3: "3D (z, y, x)"}[n] for n in ndims)
        raise InvalidImageError(f"expected a {shapes} image array, got shape {arr.shape}")
    if arr.dtype not in _DTYPES:
        raise InvalidImageError(
            f"image dtype {arr.dtype} is not supported; convert it to an integer type, "
            "float32 or float64 (the pixel types SimpleITK and PyRadiomics work in)"
        )
    if arr.size == 0:
        raise InvalidImageError(f"the image is empty (shape {arr.shape})")
    return arr


def _check_spacing(spacing: Sequence[float], ndim: int) -> tuple[float, ...]:
    try:
        values = tuple(float(s) for s in spacing)
    except (TypeError, ValueError):
        raise ConfigError(f"spacing must be {ndim} numbers in mm, got {spacing!r}") from None
    if len(values) != ndim or not all(math.isfinite(s) and s > 0 for s in values):
        raise ConfigError(
            f"spacing must be {ndim} positive numbers in mm (one per array axis), got {spacing!r}"
        )
    return values


def _positive_number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name} must be a number > 0, got {value!r}")
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        raise ConfigError(f"{name} must be a finite number > 0, got {value!r}")
    return number


def _integer(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    return bool(value)


def _to_sitk(image: np.ndarray, spacing: Sequence[float]) -> SimpleITK.Image:
    img = sitk.GetImageFromArray(np.ascontiguousarray(image))
    img.SetSpacing([float(s) for s in reversed(spacing)])
    return img


# ---------------------------------------------------------------------------------------
# Original, Square, SquareRoot, Logarithm, Exponential
# ---------------------------------------------------------------------------------------


def original_image(image: np.ndarray) -> np.ndarray:
    """PyRadiomics' ``Original`` image type: the image itself (a copy), name ``original``."""
    return _check_image(image).copy()


def _float_copy(image: np.ndarray) -> np.ndarray:
    return _check_image(image).astype(np.float64)


def square_image(image: np.ndarray) -> np.ndarray:
    """PyRadiomics' ``Square`` image type (name ``square``).

    .. math:: f(x) = (c\\,x)^2, \\qquad c = \\frac{1}{\\sqrt{\\max |x|}}

    with the maximum over the whole array, so :math:`\\max f = \\max |x|`. Computed in
    float64. An all-zero image gives NaN everywhere, as in PyRadiomics.
    """
    im = _float_copy(image)
    with np.errstate(divide="ignore", invalid="ignore"):
        coeff = 1.0 / np.sqrt(np.max(np.abs(im)))
        return np.asarray((coeff * im) ** 2)


def squareroot_image(image: np.ndarray) -> np.ndarray:
    """PyRadiomics' ``SquareRoot`` image type (name ``squareroot``).

    .. math::

        f(x) = \\begin{cases} \\sqrt{c\\,x} & x > 0 \\\\ 0 & x = 0 \\\\
        -\\sqrt{-c\\,x} & x < 0 \\end{cases}, \\qquad c = \\max |x|

    Computed in float64; the sign of :math:`x` is kept and :math:`\\max |f| = \\max |x|`.
    """
    im = _float_copy(image)
    coeff = np.max(np.abs(im))
    pos, neg = im > 0, im < 0
    im[pos] = np.sqrt(im[pos] * coeff)
    im[neg] = -np.sqrt(-im[neg] * coeff)
    return im


def logarithm_image(image: np.ndarray) -> np.ndarray:
    """PyRadiomics' ``Logarithm`` image type (name ``logarithm``).

    .. math::

        g(x) = \\operatorname{sgn}(x) \\log(|x| + 1), \\qquad
        f(x) = g(x) \\frac{\\max |x|}{\\max |g|}

    Computed in float64 (:math:`\\max |f| = \\max |x|`). An all-zero image gives NaN
    everywhere, as in PyRadiomics.
    """
    im = _float_copy(image)
    im_max = np.max(np.abs(im))
    pos, neg = im > 0, im < 0
    im[pos] = np.log(im[pos] + 1)
    im[neg] = -np.log(-(im[neg] - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(im * (im_max / np.max(np.abs(im))))


def exponential_image(image: np.ndarray) -> np.ndarray:
    """PyRadiomics' ``Exponential`` image type (name ``exponential``).

    .. math:: f(x) = e^{c\\,x}, \\qquad c = \\frac{\\log \\max |x|}{\\max |x|}

    so that :math:`f = \\max |x|` where :math:`x = \\max |x|`. Computed in float64. An image
    with :math:`\\max |x| = 1` gives 1 everywhere; an all-zero image gives NaN everywhere,
    as in PyRadiomics.
    """
    im = _float_copy(image)
    im_max = np.max(np.abs(im))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        coeff = np.log(im_max) / im_max
        return np.asarray(np.exp(coeff * im))


# ---------------------------------------------------------------------------------------
# LoG and Gradient (SimpleITK)
# ---------------------------------------------------------------------------------------


def log_image_name(sigma: float) -> str:
    """PyRadiomics' name of a LoG image: ``log-sigma-<sigma>-mm-3D``, dots as dashes.

    The name follows Python's ``str`` of the value as given: ``1`` gives ``log-sigma-1-mm-3D``
    and ``1.0`` gives ``log-sigma-1-0-mm-3D`` (the suffix is ``3D`` also for a 2D image).
    """
    return "log-sigma-{}-mm-3D".format(str(sigma).replace(".", "-"))


def log_sigma_fits(shape: Sequence[int], spacing: Sequence[float], sigma: float) -> bool:
    """Whether PyRadiomics applies LoG with ``sigma`` (mm) to an image of this size.

    PyRadiomics requires every axis to have at least 4 voxels, and at least
    :math:`\\lceil \\sigma / s \\rceil + 1` voxels along an axis of spacing :math:`s`;
    otherwise it logs a warning and yields no image for that sigma.
    """
    size = np.asarray(shape)
    if size.min() < 4:
        return False
    return bool(np.all(size >= np.ceil(float(sigma) / np.asarray(spacing, dtype=float)) + 1))


def log_image(image: np.ndarray, spacing: Sequence[float], sigma: float) -> np.ndarray:
    """Laplacian of Gaussian as PyRadiomics' ``LoG`` image type (one ``sigma`` in mm).

    SimpleITK's ``LaplacianRecursiveGaussianImageFilter`` with the image's spacing and
    ``NormalizeAcrossScale`` on: :math:`\\sigma^2 \\nabla^2 (G_\\sigma * I)` by Deriche's
    recursive Gaussian (R. Deriche, INRIA RR-1893, 1993). A 2D array is filtered in 2D;
    ``force2D`` does not change LoG in PyRadiomics. Returns float32 (SimpleITK's type).

    Raises ``ConfigError`` for a bad ``sigma`` or ``spacing``, ``InvalidImageError`` where the
    image is too small for ``sigma`` (:func:`log_sigma_fits`; PyRadiomics skips that sigma, as
    :func:`log_images` does).
    """
    arr = _check_image(image)
    sp = _check_spacing(spacing, arr.ndim)
    s = _positive_number(sigma, "LoG sigma")
    if not log_sigma_fits(arr.shape, sp, s):
        raise InvalidImageError(
            f"image of shape {arr.shape} (spacing {sp} mm) is too small for LoG sigma {sigma} mm: "
            "PyRadiomics needs >= 4 voxels per axis and >= ceil(sigma/spacing) + 1; "
            "use a smaller sigma or a larger crop"
        )
    return _log(arr, sp, s)


def _log(arr: np.ndarray, spacing: Sequence[float], sigma: float) -> np.ndarray:
    lrg = sitk.LaplacianRecursiveGaussianImageFilter()
    lrg.SetNormalizeAcrossScale(True)
    lrg.SetSigma(sigma)
    return sitk.GetArrayFromImage(lrg.Execute(_to_sitk(arr, spacing)))


#: Margin, in Gaussian widths, that :func:`_log_box` reads around the box along an axis.
#: The recursive filters start each line from a constant extension of its first (last)
#: sample; the error that makes decays like exp(-1.72 d / sigma) (the slowest pole of
#: Deriche's filter), about 1e-15 of the edge step at 20 sigma, far below float32 rounding.
LOG_MARGIN_SIGMAS = 20.0


def _check_box(box: Sequence[slice], shape: tuple[int, ...]) -> tuple[slice, ...]:
    if len(box) != len(shape):
        raise ConfigError(f"box must have one slice per axis of {shape}, got {len(box)}")
    out = []
    for b, n in zip(box, shape, strict=True):
        lo, hi, step = b.indices(n)
        if step != 1 or hi <= lo:
            raise ConfigError(f"box {tuple(box)} is not a non-empty region of shape {shape}")
        out.append(slice(lo, hi))
    return tuple(out)


def _recursive_gaussian(
    image: SimpleITK.Image, sigma: float, direction: int, second_order: bool
) -> SimpleITK.Image:
    f = sitk.RecursiveGaussianImageFilter()
    f.SetSigma(sigma)
    f.SetDirection(direction)
    f.SetOrder(
        sitk.RecursiveGaussianImageFilter.SecondOrder
        if second_order
        else sitk.RecursiveGaussianImageFilter.ZeroOrder
    )
    f.SetNormalizeAcrossScale(True)
    return f.Execute(image)


def _log_box(
    arr: np.ndarray, spacing: tuple[float, ...], sigma: float, box: tuple[slice, ...]
) -> np.ndarray:
    """The whole image's LoG (:func:`_log`) on ``box`` only, without filtering the whole image.

    ITK's ``LaplacianRecursiveGaussianImageFilter`` sums, over each axis ``d`` (x first), the
    second-order recursive Gaussian along ``d`` followed by zero-order ones along the other
    axes in increasing order, each pass rounded to float32, the sum accumulated in float32
    as ``a + b / spacing_d**2``. The same passes are run here, in the same order, with two
    savings that leave every value inside the box as it is:

    - each pass filters whole lines along its own axis, so after it the result is cut to the
      box along that axis (later passes never mix values across it);
    - the image is first cut to the box plus :data:`LOG_MARGIN_SIGMAS` widths per axis
      (clipped to the image, where the cut then changes nothing): a recursive line started
      that far away has forgotten its start to far below float32 precision.

    Tests compare with whole-image runs: equal to the bit on all but a handful of voxels,
    which differ by one float32 unit in the last place.
    """
    nd = arr.ndim
    domain = []
    for b, s, n in zip(box, spacing, arr.shape, strict=True):
        m = max(math.ceil(LOG_MARGIN_SIGMAS * sigma / s), 3)
        domain.append(slice(max(b.start - m, 0), min(b.stop + m, n)))
    local = [(b.start - d.start, b.stop - d.start) for b, d in zip(box, domain, strict=True)]
    src = _to_sitk(arr[tuple(domain)], spacing)
    itk_spacing = spacing[::-1]

    def cut(image: SimpleITK.Image, itk_axis: int) -> SimpleITK.Image:
        lo, hi = local[nd - 1 - itk_axis]
        index = [0] * nd
        size = list(image.GetSize())
        index[itk_axis], size[itk_axis] = lo, hi - lo
        return sitk.RegionOfInterest(image, size, index)

    acc: np.ndarray | None = None
    for d in range(nd):
        x = cut(_recursive_gaussian(src, sigma, d, True), d)
        for o in range(nd):
            if o != d:
                x = cut(_recursive_gaussian(x, sigma, o, False), o)
        term = sitk.GetArrayViewFromImage(x).astype(np.float64) * (1.0 / (itk_spacing[d] ** 2))
        acc = term.astype(np.float32) if acc is None else (acc + term).astype(np.float32)
    assert acc is not None
    return acc


def log_images(
    image: np.ndarray,
    spacing: Sequence[float],
    sigmas: Sequence[float],
    box: Sequence[slice] | None = None,
) -> dict[str, np.ndarray]:
    """PyRadiomics' ``LoG`` image type for several sigmas: ``{log-sigma-...: map}``.

    Sigmas the image is too small for (:func:`log_sigma_fits`) are skipped with a logged
    warning, as PyRadiomics does; an image with an axis under 4 voxels gets no sigma. The order
    is that of ``sigmas``; an empty ``sigmas`` gives an empty dict. With ``box`` (one slice per
    axis) the maps cover that region only and equal the whole image's maps there
    (:func:`_log_box`). A sigma that is not a positive number is a ``ConfigError`` (PyRadiomics'
    parameter schema rejects it).
    """
    arr = _check_image(image)
    sp = _check_spacing(spacing, arr.ndim)
    if isinstance(sigmas, str | bytes) or not isinstance(sigmas, Sequence | np.ndarray):
        raise ConfigError(f"LoG sigma must be a list of numbers > 0 (mm), got {sigmas!r}")
    values = [_positive_number(s, "LoG sigma") for s in sigmas]
    out: dict[str, np.ndarray] = {}
    if min(arr.shape) < 4:
        logger.warning("image too small to apply LoG (shape %s); no LoG image", arr.shape)
        return out
    region = None if box is None else _check_box(box, arr.shape)
    for given, s in zip(sigmas, values, strict=True):
        if log_sigma_fits(arr.shape, sp, s):
            out[log_image_name(given)] = (
                _log(arr, sp, s) if region is None else _log_box(arr, sp, s, region)
            )
        else:
            logger.warning("LoG sigma %g mm skipped: image %s too small", s, arr.shape)
    return out


def gradient_image(
    image: np.ndarray,
    spacing: Sequence[float],
    use_spacing: bool = True,
    box: Sequence[slice] | None = None,
) -> np.ndarray:
    """PyRadiomics' ``Gradient`` image type (name ``gradient``).

    SimpleITK's ``GradientMagnitudeImageFilter``: :math:`\\lVert \\nabla I \\rVert` with
    central differences :math:`(I_{i+1} - I_{i-1}) / (2 s)` along every axis (:math:`s` the
    spacing in mm when ``use_spacing``, PyRadiomics' ``gradientUseSpacing``, else 1) and
    zero-flux Neumann boundaries. Returns float32 (SimpleITK's output type). With ``box``
    (one slice per axis) only that region is returned, computed from the box plus a margin
    of two voxels (clipped to the image), which gives the whole image's values there.
    """
    arr = _check_image(image)
    sp = _check_spacing(spacing, arr.ndim)
    inner: tuple[slice, ...] = ()
    if box is not None:
        region = _check_box(box, arr.shape)
        domain = tuple(
            slice(max(b.start - 2, 0), min(b.stop + 2, n))
            for b, n in zip(region, arr.shape, strict=True)
        )
        inner = tuple(
            slice(b.start - d.start, b.stop - d.start) for b, d in zip(region, domain, strict=True)
        )
        arr = arr[domain]
    gm = sitk.GradientMagnitudeImageFilter()
    gm.SetUseImageSpacing(_boolean(use_spacing, "gradientUseSpacing"))
    out = sitk.GetArrayFromImage(gm.Execute(_to_sitk(arr, sp)))
    return np.ascontiguousarray(out[inner]) if inner else out


# ---------------------------------------------------------------------------------------
# Wavelet (PyWavelets)
# ---------------------------------------------------------------------------------------


def _wavelet(value: Any) -> Wavelet:
    if isinstance(value, pywt.Wavelet):
        return value
    valid = pywt.wavelist(kind="discrete")
    if not isinstance(value, str) or value not in valid:
        close = difflib.get_close_matches(str(value), valid, n=3)
        hint = f" (closest: {', '.join(close)})" if close else ""
        raise ConfigError(
            f"unknown wavelet {value!r}{hint}; use a discrete PyWavelets wavelet such as "
            "haar, db1-db38, sym2-sym20, coif1-coif17, bior*, rbio*, dmey"
        )
    return pywt.Wavelet(value)


def wavelet_images(
    image: np.ndarray,
    *,
    wavelet: str | Wavelet = "coif1",
    level: int = 1,
    start_level: int = 0,
    force2d: bool = False,
    force2d_dimension: int = 0,
    box: Sequence[slice] | None = None,
) -> dict[str, np.ndarray]:
    """PyRadiomics' ``Wavelet`` image type: undecimated wavelet sub-bands.

    Every array axis (every axis but ``force2d_dimension`` with ``force2d``) gets one level of
    PyWavelets' stationary transform ``swtn`` (periodic), after an axis of odd length is
    extended by a copy of its first voxel (``wrap``); outputs are cropped back. ``start_level``
    times the approximation replaces the image first; then, ``level`` times, one more level-1
    ``swtn`` of the previous approximation yields the detail bands (PyRadiomics repeats the
    level-1 filters, it does not dilate them as a true multi-level SWT would).

    Names: one letter per transformed axis, x first (``L`` low-pass, ``H`` high-pass), prefix
    ``wavelet-`` (``wavelet<i>-`` for level i >= 2); per level LLH, LHL, LHH, HLL, HLH, HHL, HHH,
    then the final approximation (``wavelet-LLL``) last. A 2D image, or ``force2d``, gives two
    letters. ``wavelet`` is a discrete PyWavelets wavelet (default coif1); ``force2d_dimension``
    an array axis (0 = z). Returns float64 maps (float32 for a float32 image).

    ``box`` (one slice per axis): the maps cover that region only and equal the whole image's
    there bit for bit. Each output is a fixed sum over ``dec_len`` samples per level applied, so
    the transform runs on the box plus that margin, of even length, read from the periodic
    signal PyRadiomics transforms (a box at an edge takes its margin from the opposite edge);
    the whole axis is used where the margin would span it.
    """
    arr = _check_image(image)
    w = _wavelet(wavelet)
    n_levels = _integer(level, "wavelet level", 1)
    first = _integer(start_level, "wavelet start_level", 0)
    axes = list(range(arr.ndim - 1, -1, -1))
    if _boolean(force2d, "force2D"):
        dim = _integer(force2d_dimension, "force2Ddimension", 0)
        if dim not in axes:
            raise ConfigError(
                f"force2Ddimension must be an axis of the {arr.ndim}D image "
                f"(0 to {arr.ndim - 1}), got {force2d_dimension!r}"
            )
        axes.remove(dim)
    if box is not None:
        region = _check_box(box, arr.shape)
        margin = w.dec_len * (first + n_levels) + 1
        sub, inner = arr, []
        for axis, (b, n) in enumerate(zip(region, arr.shape, strict=True)):
            period = n + n % 2  # PyRadiomics wraps an odd axis by one voxel first
            lo, hi = b.start - margin, b.stop + margin + (2 * margin + b.stop - b.start) % 2
            if axis not in axes:  # untransformed (force2D): no mixing along it
                lo, hi = b.start, b.stop
            elif hi - lo >= period:
                lo, hi = 0, n
            else:  # the periodic signal PyRadiomics transforms, read from lo to hi
                index = np.arange(lo, hi) % period
                index[index == n] = 0
                sub = np.take(sub, index, axis=axis)
                inner.append(slice(b.start - lo, b.stop - lo))
                continue
            sub = sub[(slice(None),) * axis + (slice(lo, hi),)]
            inner.append(slice(b.start - lo, b.stop - lo))
        maps = wavelet_images(
            sub,
            wavelet=w,
            level=n_levels,
            start_level=first,
            force2d=force2d,
            force2d_dimension=force2d_dimension,
        )
        return {k: np.ascontiguousarray(v[tuple(inner)]) for k, v in maps.items()}
    approx_key = "a" * len(axes)
    data = np.pad(arr, [(0, n % 2) for n in arr.shape], mode="wrap")
    keep = tuple(slice(0, n) for n in arr.shape)

    def one_level(x: np.ndarray) -> dict[str, np.ndarray]:
        bands: dict[str, np.ndarray] = pywt.swtn(x, w, level=1, start_level=0, axes=axes)[0]
        return bands

    for _ in range(first):
        data = one_level(data)[approx_key]
    out: dict[str, np.ndarray] = {}
    for i in range(1, n_levels + 1):
        bands = one_level(data)
        data = bands[approx_key]
        prefix = "wavelet-" if i == 1 else f"wavelet{i}-"
        for key, band in bands.items():
            if key != approx_key:
                name = prefix + key.replace("a", "L").replace("d", "H")
                out[name] = np.ascontiguousarray(band[keep])
    prefix = "wavelet-" if n_levels == 1 else f"wavelet{n_levels}-"
    out[prefix + "L" * len(axes)] = np.ascontiguousarray(data[keep])
    return out


# ---------------------------------------------------------------------------------------
# Local binary patterns
# ---------------------------------------------------------------------------------------


def lbp2d_images(
    image: np.ndarray,
    *,
    radius: float = 1,
    samples: int = 8,
    method: str = "uniform",
    force2d_dimension: int = 0,
) -> dict[str, np.ndarray]:
    """PyRadiomics' ``LBP2D`` image type (name ``lbp-2D``): scikit-image's 2D LBP by slice.

    :func:`skimage.feature.local_binary_pattern` with ``P = samples`` neighbours on a circle
    of ``radius`` pixels (bilinear interpolation, zero outside the slice), applied to every
    slice of a 3D image across the axis ``force2d_dimension`` (PyRadiomics' ``force2Ddimension``;
    slices are taken as ``swapaxes(0, d)[i]``, so for d = 2 a slice is (y, z), not (z, y)).
    The float64 result of each slice is written back into a copy of the image, so a 3D
    result has the image's dtype (an integer image truncates ``var`` values); a 2D image
    gives float64. Defaults are PyRadiomics' (its documentation says 9 samples, its code uses
    8). ``method`` is one of :data:`LBP2D_METHODS`.

    References
    ----------
    T. Ojala, M. Pietikäinen, T. Mäenpää, "Multiresolution gray-scale and rotation invariant
    texture classification with local binary patterns", IEEE TPAMI 24(7), 2002.
    """
    from skimage.feature import local_binary_pattern  # (skimage.feature: heavy import)

    arr = _check_image(image)
    r = _positive_number(radius, "lbp2DRadius")
    p = _integer(samples, "lbp2DSamples", 1)
    if method not in LBP2D_METHODS:
        raise ConfigError(f"lbp2DMethod must be one of {', '.join(LBP2D_METHODS)}; got {method!r}")

    def lbp(plane: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings():
            # scikit-image warns about floating-point input; PyRadiomics applies it anyway
            warnings.simplefilter("ignore", UserWarning)
            result: np.ndarray = local_binary_pattern(plane, P=p, R=r, method=method)
            return result

    if arr.ndim == 2:
        return {"lbp-2D": lbp(arr)}
    dim = _integer(force2d_dimension, "force2Ddimension", 0)
    if dim > 2:
        raise ConfigError(f"force2Ddimension must be 0, 1 or 2, got {force2d_dimension!r}")
    out = arr.copy()
    view = np.swapaxes(out, 0, dim)
    for i in range(view.shape[0]):
        with np.errstate(invalid="ignore"):  # NaN ("var" of a flat patch) into an integer type
            view[i] = lbp(view[i])
    return {"lbp-2D": out}


def lbp3d_images(
    image: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    levels: int = 2,
    icosphere_radius: float = 1,
    icosphere_subdivision: int = 1,
) -> dict[str, np.ndarray]:
    """PyRadiomics' ``LBP3D`` image type: rotation-invariant LBP with spherical harmonics.

    For each ROI voxel the image is sampled by cubic B-spline at the vertices of an icosphere of
    radius ``icosphere_radius`` *voxels* (spacing ignored, as in PyRadiomics) with
    ``icosphere_subdivision`` subdivisions (42 vertices by default), in the image's dtype (an
    integer image gives rounded samples); the samples, thresholded at the centre value, are
    expanded in spherical harmonics up to degree ``levels - 1``: the L2 norm of degree n is map
    ``lbp-3D-m<n+1>``, the samples' kurtosis ``lbp-3D-k`` (NaN where all are equal). Formulas:
    :func:`radiomix.filters._pyradiomics_lbp3d.lbp3d_roi_values` (J. Banerjee et al., ACCV 2012
    Workshops, LNCS 7728, 2013). ``mask``: the ROI (None: every voxel); PyRadiomics leaves the
    other voxels uninitialised, here 0. ``levels`` >= 2 (PyRadiomics 3.0.1 fails with 1).
    Returns float64 maps of a 3D image (PyRadiomics has no LBP3D for 2D).
    """
    arr = _check_image(image, ndims=(3,))
    n_levels = _integer(levels, "lbp3DLevels", 1)
    if n_levels < 2:
        raise ConfigError(
            "lbp3DLevels must be >= 2: PyRadiomics 3.0.1 accepts 1 in its schema but then fails "
            "(IndexError in getLBP3DImage), so there is no PyRadiomics result to reproduce"
        )
    radius = _positive_number(icosphere_radius, "lbp3DIcosphereRadius")
    subdivisions = _integer(icosphere_subdivision, "lbp3DIcosphereSubdivision", 0)
    if mask is None:
        roi = np.ones(arr.shape, dtype=bool)
    else:
        roi = np.asarray(mask)
        if roi.shape != arr.shape:
            raise GeometryMismatchError(
                f"mask shape {roi.shape} differs from image shape {arr.shape}; "
                "pass the mask on the image's grid"
            )
        roi = roi != 0
    where = np.nonzero(roi)
    lbp, kurt = lbp3d_roi_values(
        arr, where, levels=n_levels, radius=radius, subdivisions=subdivisions
    )
    out: dict[str, np.ndarray] = {}
    for n in range(n_levels):
        m = np.zeros(arr.shape, dtype=np.float64)
        m[where] = lbp[:, n]
        out[f"lbp-3D-m{n + 1}"] = m
    k = np.zeros(arr.shape, dtype=np.float64)
    k[where] = kurt
    out["lbp-3D-k"] = k
    return out


# ---------------------------------------------------------------------------------------
# the table of image types, and PyRadiomics-style entry points
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterOption:
    """A key of the IBSI pipeline's ``filters:`` entry ``pyradiomics_<type>``: a snake_case
    name for one PyRadiomics setting (``setting``), or, with ``setting`` None, the choice of the
    type's output map (``all``: every map). ``kind``: float, int, bool or str; ``doc``: one line
    for ``radiomix filter --list``; ``listed``: the PyRadiomics setting is a list of such values
    (LoG's ``sigma``); ``required``, ``choices``, ``expand``, ``normalise``: as
    :class:`radiomix.filters.registry.Param`.
    """

    key: str
    kind: str
    default: Any
    doc: str
    setting: str | None = None
    listed: bool = False
    required: bool = False
    choices: tuple[str, ...] = ()
    expand: bool = True
    normalise: Callable[[Any], Any] | None = None


Settings = Mapping[str, Any]


@dataclass(frozen=True)
class PyRadiomicsImageType:
    """One PyRadiomics image type, read by the ``pyradiomics`` profile
    (:func:`pyradiomics_images`) and the filter registry (``pyradiomics_<type>`` filters).

    ``name``: PyRadiomics' ``imageType`` name; ``parameters``: the PyRadiomics settings it reads
    with their defaults (LoG's ``sigma`` has none); ``outputs``: its maps' names;
    ``uses_spacing`` / ``uses_mask``: whether spacing or ROI matter; ``compute(image, spacing,
    mask, settings) -> {name: map}`` with every key of ``parameters`` (and ``box`` where
    ``box_aware``: it then reads only a neighbourhood of the box); ``check(image, settings)``:
    PyRadiomics' own checks and warnings (``force2D`` with LBP). For the registry: ``title``
    (None: not a filter, ``Original``), ``options``, ``label(options)`` (the resolved filter's
    name without the domain suffix), ``output(options)`` (the map it gives; None: the only map)
    and ``every_output(options)`` (the map option's values for ``all``, in PyRadiomics'
    order).
    """

    name: str
    parameters: Settings
    outputs: str
    uses_spacing: bool
    uses_mask: bool
    compute: Callable[
        [np.ndarray, tuple[float, ...], np.ndarray | None, Settings], dict[str, np.ndarray]
    ] = field(repr=False)
    box_aware: bool = False
    check: Callable[[np.ndarray, Settings], None] | None = field(default=None, repr=False)
    title: str | None = None
    options: tuple[FilterOption, ...] = ()
    label: Callable[[Settings], str] | None = field(default=None, repr=False)
    output: Callable[[Settings], str] | None = field(default=None, repr=False)
    every_output: Callable[[Settings], tuple[str, ...]] | None = field(default=None, repr=False)

    @property
    def filter_name(self) -> str:
        """The registry's name of the type (``pyradiomics_wavelet``)."""
        return f"pyradiomics_{self.name.lower()}"

    def settings_of(self, options: Settings) -> dict[str, Any]:
        """PyRadiomics' settings (every key of ``parameters``) of a resolved filter's options."""
        out = dict(self.parameters)
        for o in self.options:
            if o.setting is not None:
                out[o.setting] = [options[o.key]] if o.listed else options[o.key]
        return out


def _num(x: float) -> str:
    """Number format of the registry's names: 1.5 -> "1.5", 2.0 -> "2"."""
    return format(float(x), "g")


def _run_log(img: np.ndarray, sp: tuple[float, ...], _m: Any, s: Settings) -> dict:
    return log_images(img, sp, s["sigma"], s.get("box"))


def _run_wavelet(img: np.ndarray, _sp: Any, _m: Any, s: Settings) -> dict:
    return wavelet_images(
        img,
        wavelet=s["wavelet"],
        level=s["level"],
        start_level=s["start_level"],
        force2d=s["force2D"],
        force2d_dimension=s["force2Ddimension"],
        box=s.get("box"),
    )


def _run_gradient(img: np.ndarray, sp: tuple[float, ...], _m: Any, s: Settings) -> dict:
    return {"gradient": gradient_image(img, sp, s["gradientUseSpacing"], s.get("box"))}


def _check_lbp2d(img: np.ndarray, s: Settings) -> None:
    _boolean(s["force2D"], "force2D")
    if img.ndim == 3 and not s["force2D"]:
        logger.warning("LBP2D is computed by slice but features are extracted in 3D")


def _run_lbp2d(img: np.ndarray, _sp: Any, _m: Any, s: Settings) -> dict:
    return lbp2d_images(
        img,
        radius=s["lbp2DRadius"],
        samples=s["lbp2DSamples"],
        method=s["lbp2DMethod"],
        force2d_dimension=s["force2Ddimension"],
    )


def _check_lbp3d(_img: np.ndarray, s: Settings) -> None:
    if _boolean(s["force2D"], "force2D"):
        logger.warning("LBP3D is computed in 3D but features are extracted in 2D")


def _run_lbp3d(img: np.ndarray, _sp: Any, mask: np.ndarray | None, s: Settings) -> dict:
    return lbp3d_images(
        img,
        mask,
        levels=s["lbp3DLevels"],
        icosphere_radius=s["lbp3DIcosphereRadius"],
        icosphere_subdivision=s["lbp3DIcosphereSubdivision"],
    )


def _wavelet_subband(value: str) -> str:
    v = value.strip().upper()
    if v != "ALL" and (len(v) not in (2, 3) or set(v) - {"L", "H"}):
        raise ConfigError(f"sub-band must be L/H letters (x first) or 'all', got {value!r}")
    return v


def _wavelet_subbands(p: Settings) -> tuple[str, ...]:
    bands = ["".join(b) for b in itertools.product("LH", repeat=2 if p["force2d"] else 3)]
    return (*(b for b in bands if set(b) != {"L"}), bands[0])


def _wavelet_label(p: Settings) -> str:
    return (
        f"pyradiomics_wavelet_{p['wavelet']}_{p['subband'].lower()}"
        + (f"_level{p['level']}" if p["level"] != 1 else "")
        + (f"_start{p['start_level']}" if p["start_level"] else "")
    )


def _wavelet_output(p: Settings) -> str:
    return ("wavelet-" if p["level"] == 1 else f"wavelet{p['level']}-") + p["subband"]


def _pointwise(name: str, fn: Callable[[np.ndarray], np.ndarray]) -> PyRadiomicsImageType:
    key = name.lower()
    return PyRadiomicsImageType(
        name=name,
        parameters={},
        outputs=key,
        uses_spacing=False,
        uses_mask=False,
        compute=lambda img, _sp, _m, _s: {key: fn(img)},
        title=f"PyRadiomics {name}",
        label=lambda _p: f"pyradiomics_{key}",
    )


#: The PyRadiomics 3.0.1 image types by PyRadiomics name, in PyRadiomics' alphabetical order.
PYRADIOMICS_IMAGE_TYPES: Mapping[str, PyRadiomicsImageType] = {
    t.name: t
    for t in (
        _pointwise("Exponential", exponential_image),
        PyRadiomicsImageType(
            "Gradient",
            {"gradientUseSpacing": True},
            "gradient",
            uses_spacing=True,
            uses_mask=False,
            compute=_run_gradient,
            box_aware=True,
            title="PyRadiomics Gradient magnitude",
            options=(
                FilterOption(
                    "use_spacing",
                    "bool",
                    True,
                    "differences per mm (else per voxel)",
                    "gradientUseSpacing",
                ),
            ),
            label=lambda p: "pyradiomics_gradient" + ("" if p["use_spacing"] else "_voxels"),
        ),
        PyRadiomicsImageType(
            "LBP2D",
            {
                "lbp2DRadius": 1,
                "lbp2DSamples": 8,
                "lbp2DMethod": "uniform",
                "force2D": False,
                "force2Ddimension": 0,
            },
            "lbp-2D",
            uses_spacing=False,
            uses_mask=False,
            compute=_run_lbp2d,
            check=_check_lbp2d,
            title="PyRadiomics LBP2D (scikit-image, by slice)",
            options=(
                FilterOption("radius", "float", 1.0, "circle radius in pixels", "lbp2DRadius"),
                FilterOption("samples", "int", 8, "points on the circle", "lbp2DSamples"),
                FilterOption(
                    "method", "str", "uniform", "LBP variant", "lbp2DMethod", choices=LBP2D_METHODS
                ),
            ),
            label=lambda p: f"pyradiomics_lbp2d_r{_num(p['radius'])}_p{p['samples']}_{p['method']}",
        ),
        PyRadiomicsImageType(
            "LBP3D",
            {
                "lbp3DLevels": 2,
                "lbp3DIcosphereRadius": 1,
                "lbp3DIcosphereSubdivision": 1,
                "force2D": False,
            },
            "lbp-3D-m1 ... lbp-3D-m<lbp3DLevels>, lbp-3D-k",
            uses_spacing=False,
            uses_mask=True,
            compute=_run_lbp3d,
            check=_check_lbp3d,
            title="PyRadiomics LBP3D (spherical harmonics on an icosphere)",
            options=(
                FilterOption(
                    "levels", "int", 2, "spherical harmonic levels", "lbp3DLevels", expand=False
                ),
                FilterOption(
                    "icosphere_radius",
                    "float",
                    1.0,
                    "sampling radius in voxels",
                    "lbp3DIcosphereRadius",
                ),
                FilterOption(
                    "icosphere_subdivision",
                    "int",
                    1,
                    "icosphere subdivisions",
                    "lbp3DIcosphereSubdivision",
                ),
                FilterOption("output", "str", "all", "m1 ... m<levels>, k (kurtosis), or all"),
            ),
            label=lambda p: f"pyradiomics_lbp3d_{p['output']}",
            output=lambda p: f"lbp-3D-{p['output']}",
            every_output=lambda p: (*(f"m{i + 1}" for i in range(p["levels"])), "k"),
        ),
        PyRadiomicsImageType(
            "LoG",
            {"sigma": ()},
            "log-sigma-<sigma>-mm-3D per sigma",
            uses_spacing=True,
            uses_mask=False,
            compute=_run_log,
            box_aware=True,
            title="PyRadiomics LoG (SimpleITK recursive Gaussian, scale-normalised)",
            options=(
                FilterOption(
                    "sigma", "float", None, "sigma in mm", "sigma", listed=True, required=True
                ),
            ),
            label=lambda p: f"pyradiomics_log_s{_num(p['sigma'])}mm",
            output=lambda p: log_image_name(p["sigma"]),
        ),
        _pointwise("Logarithm", logarithm_image),
        PyRadiomicsImageType(
            "Original",
            {},
            "original",
            uses_spacing=False,
            uses_mask=False,
            compute=lambda img, _sp, _m, _s: {"original": original_image(img)},
        ),
        _pointwise("Square", square_image),
        _pointwise("SquareRoot", squareroot_image),
        PyRadiomicsImageType(
            "Wavelet",
            {
                "wavelet": "coif1",
                "level": 1,
                "start_level": 0,
                "force2D": False,
                "force2Ddimension": 0,
            },
            "wavelet[<level>]-<L|H per axis, x first>",
            uses_spacing=False,
            uses_mask=False,
            compute=_run_wavelet,
            box_aware=True,
            title="PyRadiomics Wavelet (PyWavelets swtn, periodic)",
            options=(
                FilterOption("wavelet", "str", "coif1", "PyWavelets name", "wavelet"),
                FilterOption(
                    "subband",
                    "str",
                    "all",
                    "L/H per axis, x first; all: every band",
                    normalise=_wavelet_subband,
                ),
                FilterOption(
                    "level",
                    "int",
                    1,
                    "the level whose bands are output (PyRadiomics level)",
                    "level",
                ),
                FilterOption("start_level", "int", 0, "levels skipped first", "start_level"),
                FilterOption(
                    "force2d", "bool", False, "transform in-plane only", "force2D", expand=False
                ),
            ),
            label=_wavelet_label,
            output=_wavelet_output,
            every_output=_wavelet_subbands,
        ),
    )
}


def _image_type(name: str) -> PyRadiomicsImageType:
    try:
        return PYRADIOMICS_IMAGE_TYPES[name]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(name), list(PYRADIOMICS_IMAGE_TYPES), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"unknown PyRadiomics image type {name!r}{hint}; "
            f"valid: {', '.join(PYRADIOMICS_IMAGE_TYPES)}"
        ) from None


def pyradiomics_images(
    image_type: str,
    image: np.ndarray,
    spacing: Sequence[float],
    mask: np.ndarray | None = None,
    settings: Mapping[str, Any] | None = None,
    box: Sequence[slice] | None = None,
) -> dict[str, np.ndarray]:
    """Run one PyRadiomics image type (a key of :data:`PYRADIOMICS_IMAGE_TYPES`) with
    PyRadiomics-named settings: ``{PyRadiomics image name: map}`` in PyRadiomics' order (empty
    for LoG when no sigma fits the image, as in PyRadiomics).

    ``image`` is the domain PyRadiomics would filter (docs/pyradiomics-profile.md, "Image
    types"), ``spacing`` in the array's axis order, ``mask`` the ROI LBP3D computes (None: every
    voxel); ``settings`` among the type's ``parameters`` (missing ones take PyRadiomics'
    defaults). With ``box`` (one slice per axis) the maps cover the box only, with the whole
    domain's values there: LoG, Wavelet and Gradient read a neighbourhood of it, the other types
    filter the domain and are cut. An unknown type or setting, or an invalid value, is a
    ``ConfigError``.
    """
    spec = _image_type(image_type)
    given = dict(settings or {})
    unknown = sorted(set(given) - set(spec.parameters))
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(spec.parameters), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        valid = ", ".join(spec.parameters) or "none"
        raise ConfigError(
            f"{spec.name} does not take the setting(s) {', '.join(unknown)}{hint}; valid: {valid}"
        )
    arr = _check_image(image)
    sp = _check_spacing(spacing, arr.ndim)
    if spec.name == "LBP3D" and arr.ndim != 3:
        raise InvalidImageError("LBP3D needs a 3D image; PyRadiomics yields nothing for 2D")
    options = {**spec.parameters, **given}
    if spec.check is not None:
        spec.check(arr, options)
    if box is None:
        return spec.compute(arr, sp, mask, options)
    region = _check_box(box, arr.shape)
    if spec.box_aware:
        return spec.compute(arr, sp, mask, {**options, "box": region})
    return {
        k: np.ascontiguousarray(v[region]) for k, v in spec.compute(arr, sp, mask, options).items()
    }


def pyradiomics_margin(image_type: str, settings: Mapping[str, Any] | None = None) -> int | None:
    """Voxels PyRadiomics keeps around the ROI's bounding box before applying a type:
    ``padDistance`` (default 5) where it crops first (``preCrop``, or resampling:
    ``interpolator`` and ``resampledPixelSpacing`` both set), None where it filters the whole
    image, 0 for ``Original`` (the identity). Every other type depends on its whole domain, so
    crop with :func:`pyradiomics_crop` (or PyRadiomics' resampled grid), not a margin of one's
    own. Other keys of ``settings`` are ignored.
    """
    spec = _image_type(image_type)
    s = dict(settings or {})
    pad = _integer(s.get("padDistance", 5), "padDistance", 0)
    if spec.name == "Original":
        return 0
    resampled = s.get("interpolator") is not None and s.get("resampledPixelSpacing") is not None
    if resampled or _boolean(s.get("preCrop", False), "preCrop"):
        return pad
    return None


def pyradiomics_crop(mask: np.ndarray, pad_distance: int = 5) -> tuple[slice, ...]:
    """The region PyRadiomics' ``cropToTumorMask`` keeps: per axis ``max(lo - pad, 0)`` to
    ``min(hi + pad, n - 1)`` inclusive, ``lo`` / ``hi`` the first / last ROI index (non-zero
    voxels of ``mask``). An empty mask is an ``EmptyMaskError``.
    """
    roi = np.asarray(mask) != 0
    pad = _integer(pad_distance, "padDistance", 0)
    if not roi.any():
        raise EmptyMaskError("the mask holds no ROI voxel; nothing to crop to")
    out = []
    for axis in range(roi.ndim):
        other = tuple(a for a in range(roi.ndim) if a != axis)
        hit = np.flatnonzero(roi.any(axis=other))
        out.append(slice(max(int(hit[0]) - pad, 0), min(int(hit[-1]) + pad + 1, roi.shape[axis])))
    return tuple(out)
