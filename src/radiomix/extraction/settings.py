"""Extraction settings: one frozen dataclass per processing stage, built from YAML or dicts.

A configuration is a YAML mapping with one section per stage::

    resample:        {spacing: [2, 2, 2], interpolation: linear, rounding: 1}
    resegment:       {range: [-1000, 400], outlier_sigma: 3}
    discretisation:  {method: fixed_bin_size, bin_width: 25}
    ivh:             {method: none}
    texture:         {spatial: [3D], distance: [1]}
    features:        {families: [morphology, statistics, glcm]}

Every key is checked: an unknown key is a :class:`~radiomix.errors.ConfigError` that names
the closest valid key. Values are validated when the dataclass is built, so a settings
object that exists is a settings object that works. :func:`settings_to_dict` gives the
resolved settings back as plain data (written with every output for provenance).
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from radiomix._config import build, deep_merge, fail
from radiomix._pyradiomics_names import PYRADIOMICS_IMAGE_TYPE_ORDER
from radiomix.features import FAMILIES

__all__ = [
    "ALL_FAMILIES",
    "DEFAULT_FAMILIES",
    "DiagnosticsSettings",
    "DiscretisationSettings",
    "ExtractionSettings",
    "FeatureSettings",
    "FilterSettings",
    "IvhSettings",
    "PyradiomicsSettings",
    "ResampleSettings",
    "ResegmentSettings",
    "ResponseDiscretisationSettings",
    "ResponseMapSettings",
    "TextureSettings",
    "load_config",
    "preset_names",
    "settings_from_dict",
    "settings_hash",
    "settings_to_dict",
    "settings_to_yaml",
]

#: every feature family of the engine, in output order (the family table of
#: :mod:`radiomix.features`)
ALL_FAMILIES = FAMILIES
#: families computed when a configuration names none: every IBSI 1 family. The 2D shape
#: family (``morphology_2d``, planar ROIs only) is opt-in, e.g. in the ``ultrasound-2d`` preset.
DEFAULT_FAMILIES = tuple(f for f in ALL_FAMILIES if f != "morphology_2d")
INTERPOLATIONS = ("nearest", "linear", "cubic")
DISCRETISATIONS = ("fixed_bin_size", "fixed_bin_number", "none")
IVH_METHODS = ("none", "fixed_bin_size", "fixed_bin_number")
SPATIAL = ("2D", "2.5D", "3D")

PRESET_DIR = Path(__file__).with_name("presets")


@dataclass(frozen=True)
class ResampleSettings:
    """Interpolation to a new voxel grid (IBSI 1, "interpolation"; grid centres aligned).

    Parameters
    ----------
    spacing : (z, y, x) mm or None
        New voxel size; None switches resampling off. An axis given as None keeps its
        spacing (``[null, 2, 2]`` resamples in-plane only, as IBSI 2D configurations do).
    interpolation : {"nearest", "linear", "cubic"}
        Image interpolation (cubic = cubic B-spline).
    mask_interpolation : {"nearest", "linear", "cubic"}
        Mask interpolation before the partial-volume threshold.
    mask_threshold : float
        Partial-volume threshold: interpolated mask values >= threshold are in the ROI.
    rounding : float or None
        Round interpolated intensities to multiples of this (1 for CT Hounsfield units).
    """

    spacing: tuple[float | None, float | None, float | None] | None = None
    interpolation: str = "linear"
    mask_interpolation: str = "linear"
    mask_threshold: float = 0.5
    rounding: float | None = None

    def __post_init__(self) -> None:
        if self.spacing is not None:
            sp = tuple(self.spacing)
            if len(sp) != 3:
                fail(f"resample.spacing needs 3 values (z, y, x) in mm, got {list(sp)}")
            for s in sp:
                if s is not None and (not isinstance(s, int | float) or s <= 0):
                    fail(f"resample.spacing values must be positive numbers or null, got {s!r}")
            object.__setattr__(self, "spacing", tuple(None if s is None else float(s) for s in sp))
        for key in ("interpolation", "mask_interpolation"):
            if getattr(self, key) not in INTERPOLATIONS:
                fail(f"resample.{key} must be one of {INTERPOLATIONS}, got {getattr(self, key)!r}")
        if not 0.0 < self.mask_threshold <= 1.0:
            fail(f"resample.mask_threshold must be in (0, 1], got {self.mask_threshold}")
        if self.rounding is not None and self.rounding <= 0:
            fail(f"resample.rounding must be positive or null, got {self.rounding}")

    @property
    def enabled(self) -> bool:
        return self.spacing is not None and any(s is not None for s in self.spacing)


@dataclass(frozen=True)
class ResegmentSettings:
    """Re-segmentation of the intensity mask (IBSI 1, "re-segmentation").

    Parameters
    ----------
    range : [lower, upper] or None
        Keep ROI voxels with lower <= intensity <= upper (either bound may be null).
    outlier_sigma : float or None
        Outlier filtering: keep ROI voxels within mean +- outlier_sigma x SD.
    """

    range: tuple[float | None, float | None] | None = None
    outlier_sigma: float | None = None

    def __post_init__(self) -> None:
        if self.range is not None:
            r = tuple(self.range)
            if len(r) != 2:
                fail(f"resegment.range needs [lower, upper], got {list(r)}")
            lo, hi = (None if v is None else float(v) for v in r)
            if lo is not None and hi is not None and lo > hi:
                fail(f"resegment.range lower bound {lo} is above upper bound {hi}")
            object.__setattr__(self, "range", (lo, hi))
        if self.outlier_sigma is not None and self.outlier_sigma <= 0:
            fail(f"resegment.outlier_sigma must be positive or null, got {self.outlier_sigma}")


@dataclass(frozen=True)
class DiscretisationSettings:
    """Grey-level discretisation for the intensity histogram and texture families.

    Parameters
    ----------
    method : {"fixed_bin_size", "fixed_bin_number", "none"}
        ``none`` uses the intensities as grey levels (they must be positive integers, as
        in the IBSI digital phantom).
    bin_width : float
        Bin width for fixed bin size, in intensity units.
    bin_count : int
        Number of bins for fixed bin number.
    lower_bound : float or None
        Lower edge of the first bin for fixed bin size; default: the re-segmentation
        range's lower bound, else the ROI minimum (IBSI).
    """

    method: str = "fixed_bin_size"
    bin_width: float = 25.0
    bin_count: int = 32
    lower_bound: float | None = None

    def __post_init__(self) -> None:
        if self.method not in DISCRETISATIONS:
            fail(f"discretisation.method must be one of {DISCRETISATIONS}, got {self.method!r}")
        if not self.bin_width > 0:
            fail(f"discretisation.bin_width must be positive, got {self.bin_width}")
        if int(self.bin_count) != self.bin_count or self.bin_count < 1:
            fail(f"discretisation.bin_count must be a positive integer, got {self.bin_count}")
        object.__setattr__(self, "bin_count", int(self.bin_count))


@dataclass(frozen=True)
class IvhSettings:
    """Discretisation used by the intensity-volume histogram (IBSI 1, "IVH").

    Parameters
    ----------
    method : {"none", "fixed_bin_size", "fixed_bin_number"}
        ``none``: intensities taken as they are, on a grid of ``step`` (CT HU: 1).
    step : float
        Intensity step of the IVH grid for ``none``.
    bin_width : float
        Bin width for fixed bin size (bin centres are used as intensities).
    bin_count : int
        Number of bins for fixed bin number (bin numbers are used as intensities).
    """

    method: str = "none"
    step: float = 1.0
    bin_width: float = 2.5
    bin_count: int = 1000

    def __post_init__(self) -> None:
        if self.method not in IVH_METHODS:
            fail(f"ivh.method must be one of {IVH_METHODS}, got {self.method!r}")
        if not self.step > 0 or not self.bin_width > 0:
            fail("ivh.step and ivh.bin_width must be positive")
        if int(self.bin_count) != self.bin_count or self.bin_count < 1:
            fail(f"ivh.bin_count must be a positive integer, got {self.bin_count}")
        object.__setattr__(self, "bin_count", int(self.bin_count))


@dataclass(frozen=True)
class TextureSettings:
    """Texture matrices: spatial aggregation and neighbourhood distances.

    Parameters
    ----------
    spatial : list of {"2D", "2.5D", "3D"}
        2D: per slice; 2.5D: slices merged; 3D: volume. GLCM/GLRLM report both the
        averaged and the merged variant of each (IBSI aggregation methods).
    distance : list of int
        Chebyshev distances for GLCM, NGTDM and NGLDM.
    ngldm_coarseness : int
        NGLDM coarseness parameter alpha (grey levels within alpha are dependent).
    """

    spatial: tuple[str, ...] = ("3D",)
    distance: tuple[int, ...] = (1,)
    ngldm_coarseness: int = 0

    def __post_init__(self) -> None:
        sp = tuple(str(s).upper() if str(s).lower() != "2.5d" else "2.5D" for s in self.spatial)
        for s in sp:
            if s not in SPATIAL:
                fail(f"texture.spatial values must be among {SPATIAL}, got {s!r}")
        if not sp:
            fail("texture.spatial must name at least one of 2D, 2.5D, 3D")
        object.__setattr__(self, "spatial", sp)
        ds = tuple(self.distance)
        for d in ds:
            if int(d) != d or d < 1:
                fail(f"texture.distance values must be positive integers, got {d!r}")
        object.__setattr__(self, "distance", tuple(int(d) for d in ds))
        if int(self.ngldm_coarseness) != self.ngldm_coarseness or self.ngldm_coarseness < 0:
            fail(
                f"texture.ngldm_coarseness must be a non-negative integer, got {self.ngldm_coarseness}"
            )


@dataclass(frozen=True)
class FeatureSettings:
    """Which feature families to compute (default: every IBSI 1 family).

    ``morphology_2d`` (2D shape) is computed only when named, and needs a planar ROI (all
    voxels in one slice); on a ROI spanning several slices it is an error for that case.
    ``original: false`` computes no feature of the original (unfiltered) image, only those
    of the filter response maps (``filters`` and ``response_maps`` sections).
    """

    families: tuple[str, ...] = DEFAULT_FAMILIES
    original: bool = True

    def __post_init__(self) -> None:
        fams = tuple(self.families)
        for f in fams:
            if f not in ALL_FAMILIES:
                close = difflib.get_close_matches(str(f), ALL_FAMILIES, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                fail(f"unknown feature family {f!r}{hint} (families: {', '.join(ALL_FAMILIES)})")
        object.__setattr__(self, "families", fams)


@dataclass(frozen=True)
class DiagnosticsSettings:
    """Processing diagnostics.

    Parameters
    ----------
    full_image : bool
        Also resample the whole image to report the ``*_interp_img`` statistics IBSI
        tabulates. Off by default: the pipeline otherwise crops to the ROI first, which is
        much faster on large images.
    """

    full_image: bool = False


#: families that can be computed on filter response maps (IBSI 2): morphology, local
#: intensity and the IVH describe the ROI and the original intensities only
RESPONSE_MAP_FAMILIES = (
    "statistics",
    "histogram",
    "glcm",
    "glrlm",
    "glszm",
    "gldzm",
    "ngtdm",
    "ngldm",
)


@dataclass(frozen=True)
class FilterSettings:
    """One entry of the ``filters`` section: a registered filter and its parameters.

    In YAML an entry is a flat mapping, ``{filter: log, sigma: [1, 2, 3]}``; the parameters
    are checked against the filter's table in :mod:`radiomix.filters.registry` (unknown key
    -> closest valid key; defaults filled in). A list value expands to one response map per
    value (several lists: every combination).

    Parameters
    ----------
    filter : str
        Registry name (``mean``, ``log``, ``laws``, ``gabor``, ``wavelet``, ``simoncelli``,
        ...; ``radiomix filter --list`` shows them all).
    params : tuple of (name, value)
        Every parameter of the filter, lists as tuples.
    """

    filter: str
    params: tuple[tuple[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The flat YAML form, ``{"filter": name, <param>: <value>, ...}``."""
        out: dict[str, Any] = {"filter": self.filter}
        for k, v in self.params:
            out[k] = list(v) if isinstance(v, tuple) else v
        return out


@dataclass(frozen=True)
class ResponseDiscretisationSettings:
    """Discretisation of response maps for the intensity histogram and texture families.

    Parameters
    ----------
    method : {"fixed_bin_number", "fixed_bin_size"}
        Fixed bin number (default, IBSI 2's advice: response maps have no physical unit);
        fixed bin size needs an explicit ``bin_width`` in response units.
    bin_count : int
        Number of bins for fixed bin number.
    bin_width : float or None
        Bin width for fixed bin size.
    lower_bound : float or None
        Lower edge of the first bin for fixed bin size (default: the ROI minimum of the map).
    """

    method: str = "fixed_bin_number"
    bin_count: int = 32
    bin_width: float | None = None
    lower_bound: float | None = None

    def __post_init__(self) -> None:
        methods = ("fixed_bin_number", "fixed_bin_size")
        if self.method not in methods:
            fail(
                f"response_maps.discretisation.method must be one of {methods}, got {self.method!r}"
            )
        if int(self.bin_count) != self.bin_count or self.bin_count < 1:
            fail(
                f"response_maps.discretisation.bin_count must be a positive integer, got {self.bin_count}"
            )
        object.__setattr__(self, "bin_count", int(self.bin_count))
        if self.method == "fixed_bin_size" and (self.bin_width is None or not self.bin_width > 0):
            fail(
                "response_maps.discretisation: fixed_bin_size needs a positive bin_width in "
                "the response map's units (or use fixed_bin_number)"
            )


@dataclass(frozen=True)
class ResponseMapSettings:
    """Features of filter response maps (IBSI 2 rules).

    Parameters
    ----------
    families : list of str
        Families computed on every response map (default: intensity statistics). Allowed:
        statistics, histogram and the texture families; morphology, local intensity and the
        intensity-volume histogram are computed on the original image only.
    discretisation : ResponseDiscretisationSettings
        Grey levels of response maps for the histogram and texture families.
    """

    families: tuple[str, ...] = ("statistics",)
    discretisation: ResponseDiscretisationSettings = field(
        default_factory=ResponseDiscretisationSettings
    )

    def __post_init__(self) -> None:
        fams = tuple(self.families)
        for f in fams:
            if f not in RESPONSE_MAP_FAMILIES:
                hint = (
                    " (it describes the ROI or the original intensities: IBSI 2 computes it on "
                    "the original image only)"
                    if f in ALL_FAMILIES
                    else ""
                )
                fail(
                    f"response_maps.families: {f!r} cannot be computed on response maps{hint}; "
                    f"choose among {', '.join(RESPONSE_MAP_FAMILIES)}"
                )
        object.__setattr__(self, "families", fams)


#: engine profiles: ``ibsi`` (default) and ``pyradiomics`` (PyRadiomics 3.0.1's conventions,
#: see docs/pyradiomics-profile.md)
PROFILES = ("ibsi", "pyradiomics")
PYRADIOMICS_CLASSES = (
    "firstorder",
    "glcm",
    "gldm",
    "glrlm",
    "glszm",
    "ngtdm",
    "shape",
    "shape2D",
)
PYRADIOMICS_IMAGE_TYPES = PYRADIOMICS_IMAGE_TYPE_ORDER
WEIGHTING_NORMS = ("manhattan", "euclidean", "infinity", "no_weighting")
RESEGMENT_MODES = ("absolute", "relative", "sigma")


@dataclass(frozen=True)
class PyradiomicsSettings:
    """Settings of the ``pyradiomics`` profile that the shared sections do not hold.

    Used only with ``profile: pyradiomics``; the grey levels come from the shared
    ``discretisation`` section (``fixed_bin_size`` = PyRadiomics' ``binWidth``,
    ``fixed_bin_number`` = ``binCount``) with PyRadiomics' bin edges. Usually built from a
    PyRadiomics parameter file by :mod:`radiomix.compat.params`.

    Parameters
    ----------
    feature_classes : list of [class, [feature, ...]]
        Feature classes in output order, each with the features wanted (empty list: every
        non-deprecated feature of the class). Empty: every class (PyRadiomics' default).
    image_types : list of [image type, [[setting, value], ...]]
        PyRadiomics image types in output order (``Original``, ``LoG``, ``Wavelet``, ...),
        each with its custom filter settings (``imageType: {LoG: {sigma: [1, 2]}}``).
    filter_settings : list of [setting, value]
        The filters' settings from the ``setting`` section (``sigma``, ``wavelet``,
        ``padDistance``, ``preCrop``, ...).
    resampled_spacing : [x, y, z] or [x, y] mm, or None
        ``resampledPixelSpacing`` (PyRadiomics' x, y, z order; 0 keeps an axis' spacing):
        one value per dimension of the mask as PyRadiomics reads it, (x, y) for a 2D one.
    interpolator : str or None
        ``interpolator``: a SimpleITK interpolator name (``sitkBSpline``, ``sitkLinear``,
        ...); resampling needs both this and ``resampled_spacing``, as in PyRadiomics.
    label : int
        Label value of the ROI in the mask (``label``).
    label_channel : int
        ``label_channel``: the component of a multi-component (vector) mask that holds the
        label map; ignored for a scalar mask, as in PyRadiomics.
    voxel_array_shift : float
        ``voxelArrayShift``: added to intensities in Energy, TotalEnergy, RootMeanSquared.
    weighting_norm : str or None
        ``weightingNorm`` of GLCM/GLRLM: manhattan, euclidean, infinity, no_weighting.
    gldm_a : float
        ``gldm_a``: GLDM coarseness.
    distances : list of int
        ``distances``: Chebyshev distances of the texture neighbours.
    force2d : bool
        ``force2D``: in-plane texture (planes across the axis ``force2d_dimension``).
    force2d_dimension : int
        ``force2Ddimension``: 0, 1 or 2, an axis in NumPy's (z, y, x) order as PyRadiomics
        counts it (0: axial planes, 1: coronal, 2: sagittal); also the slicing axis of
        LBP2D and, with ``force2d``, the axis a ``shape2D`` mask must be one voxel thick on.
    minimum_roi_dimensions : int
        ``minimumROIDimensions``: the ROI must extend over this many axes (1..3).
    minimum_roi_size : int or None
        ``minimumROISize``: least number of ROI voxels.
    additional_info : bool
        ``additionalInfo``: write the ``diagnostics_*`` columns.
    configuration : str
        PyRadiomics' settings as its ``diagnostics_Configuration_Settings`` prints them.
    normalize : bool
        ``normalize``: z-score the whole image before resampling,
        :math:`f(x) = s (x - \\mu) / \\sigma` (``sitk.Normalize``: sample standard deviation).
    normalize_scale : float
        ``normalizeScale``: :math:`s`.
    remove_outliers : float or None
        ``removeOutliers``: clip the z-scores to :math:`\\pm n` before scaling.
    resegment_range : list of 1 or 2 numbers, or None
        ``resegmentRange``: keep ROI voxels with :math:`T_1 \\le x` (and :math:`x \\le T_2`).
    resegment_mode : str
        ``resegmentMode``: ``absolute`` (thresholds are intensities), ``relative`` (times the
        ROI maximum) or ``sigma`` (:math:`\\mu + T \\sigma` of the ROI).
    resegment_shape : bool
        ``resegmentShape``: shape features on the re-segmented ROI too.
    correct_mask : bool
        ``correctMask``: a mask on another grid is resampled onto the image grid (nearest
        neighbour) instead of being an error.
    geometry_tolerance : float or None
        ``geometryTolerance``: tolerance of the image/mask geometry comparison (origin and
        spacing: this times the image's x spacing; direction cosines: this); None: 1e-6,
        SimpleITK's default, as in PyRadiomics.
    symmetrical_glcm : bool
        ``symmetricalGLCM``: count each GLCM pair in both directions.
    """

    feature_classes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    image_types: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = (("Original", ()),)
    filter_settings: tuple[tuple[str, Any], ...] = ()
    resampled_spacing: tuple[float, ...] | None = None
    interpolator: str | None = "sitkBSpline"
    label: int = 1
    label_channel: int = 0
    voxel_array_shift: float = 0.0
    weighting_norm: str | None = None
    gldm_a: float = 0.0
    distances: tuple[int, ...] = (1,)
    force2d: bool = False
    force2d_dimension: int = 0
    minimum_roi_dimensions: int = 2
    minimum_roi_size: int | None = None
    additional_info: bool = True
    configuration: str = ""
    normalize: bool = False
    normalize_scale: float = 1.0
    remove_outliers: float | None = None
    resegment_range: tuple[float, ...] | None = None
    resegment_mode: str = "absolute"
    resegment_shape: bool = False
    correct_mask: bool = False
    geometry_tolerance: float | None = None
    symmetrical_glcm: bool = True

    def __post_init__(self) -> None:
        if self.resampled_spacing is not None and len(self.resampled_spacing) not in (2, 3):
            fail(
                "pyradiomics.resampled_spacing must hold 3 (x, y, z) or, for 2D images, 2 "
                f"(x, y) spacings, got {list(self.resampled_spacing)}"
            )
        if self.label_channel < 0:
            fail(f"pyradiomics.label_channel must be non-negative, got {self.label_channel}")
        if self.resegment_range is not None and len(self.resegment_range) not in (1, 2):
            fail(
                "pyradiomics.resegment_range must hold 1 (lower) or 2 (lower, upper) "
                f"thresholds, got {list(self.resegment_range)}"
            )
        if self.resegment_mode not in RESEGMENT_MODES:
            fail(
                f"pyradiomics.resegment_mode must be one of {RESEGMENT_MODES}, got "
                f"{self.resegment_mode!r}"
            )
        for name in ("normalize_scale", "remove_outliers", "geometry_tolerance"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                fail(f"pyradiomics.{name} must be positive, got {value}")
        for entry in self.feature_classes:
            if len(entry) != 2 or entry[0] not in PYRADIOMICS_CLASSES:
                fail(
                    f"pyradiomics.feature_classes: {entry!r} is not [class, [features]] with a "
                    f"class among {', '.join(PYRADIOMICS_CLASSES)}"
                )
        for it_entry in self.image_types:
            if len(it_entry) != 2 or it_entry[0] not in PYRADIOMICS_IMAGE_TYPES:
                fail(
                    f"pyradiomics.image_types: {it_entry!r} is not [image type, [[setting, "
                    f"value], ...]] with a type among {', '.join(PYRADIOMICS_IMAGE_TYPES)}"
                )
        if self.weighting_norm is not None and self.weighting_norm not in WEIGHTING_NORMS:
            fail(
                f"pyradiomics.weighting_norm must be one of {WEIGHTING_NORMS} or null, "
                f"got {self.weighting_norm!r}"
            )
        if not self.distances or any(int(d) != d or d < 1 for d in self.distances):
            fail(f"pyradiomics.distances must be positive integers, got {list(self.distances)}")
        if self.force2d_dimension not in (0, 1, 2):
            fail(
                "pyradiomics.force2d_dimension must be 0, 1 or 2 (z, y, x), got "
                f"{self.force2d_dimension!r}"
            )
        if self.minimum_roi_dimensions not in (1, 2, 3):
            fail(
                "pyradiomics.minimum_roi_dimensions must be 1, 2 or 3, got "
                f"{self.minimum_roi_dimensions}"
            )
        if self.minimum_roi_size is not None and self.minimum_roi_size < 1:
            fail(f"pyradiomics.minimum_roi_size must be positive, got {self.minimum_roi_size}")
        if self.gldm_a < 0:
            fail(f"pyradiomics.gldm_a must be non-negative, got {self.gldm_a}")


@dataclass(frozen=True)
class ExtractionSettings:
    """The complete, resolved settings of one feature extraction."""

    name: str = "default"
    description: str = ""
    resample: ResampleSettings = field(default_factory=ResampleSettings)
    resegment: ResegmentSettings = field(default_factory=ResegmentSettings)
    discretisation: DiscretisationSettings = field(default_factory=DiscretisationSettings)
    ivh: IvhSettings = field(default_factory=IvhSettings)
    texture: TextureSettings = field(default_factory=TextureSettings)
    features: FeatureSettings = field(default_factory=FeatureSettings)
    diagnostics: DiagnosticsSettings = field(default_factory=DiagnosticsSettings)
    filters: tuple[FilterSettings, ...] = ()
    response_maps: ResponseMapSettings = field(default_factory=ResponseMapSettings)
    profile: str = "ibsi"
    pyradiomics: PyradiomicsSettings = field(default_factory=PyradiomicsSettings)

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            fail(f"profile must be one of {PROFILES}, got {self.profile!r}")
        if self.profile == "pyradiomics":
            if self.discretisation.method == "none":
                fail(
                    "profile pyradiomics: discretisation.method must be fixed_bin_size or "
                    "fixed_bin_number (PyRadiomics' binWidth / binCount)"
                )
            if self.filters:
                fail(
                    "profile pyradiomics: image types come from pyradiomics.image_types, not "
                    "from the filters section"
                )
        if self.filters:
            from radiomix.filters.registry import resolve_filters

            resolve_filters([(f.filter, dict(f.params)) for f in self.filters])


def _parse_filter_entry(value: Any, where: str) -> FilterSettings:
    from radiomix.filters.registry import expand_filter, parse_filter

    name, params = parse_filter(value, where)
    expand_filter(name, params)  # checks every combination of the parameters
    return FilterSettings(name, tuple(params.items()))


def settings_from_dict(data: Mapping[str, Any] | None) -> ExtractionSettings:
    """Build validated settings from a plain mapping (parsed YAML)."""
    data = dict(data or {})
    base = data.pop("extends", None)
    if base is not None:
        merged = deep_merge(settings_to_dict(load_config(str(base))), data)
        merged.pop("extends", None)
        data = merged
    return build(ExtractionSettings, data, "", {FilterSettings: _parse_filter_entry})


def preset_names() -> list[str]:
    """Names of the built-in presets."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def load_config(
    config: str | Path | Mapping[str, Any] | ExtractionSettings | None,
) -> ExtractionSettings:
    """Resolve a configuration: a preset name, a YAML path, a mapping, or settings.

    ``None`` gives the documented default (3D, no resampling, fixed bin width 25, all
    families).
    """
    if config is None:
        return ExtractionSettings()
    if isinstance(config, ExtractionSettings):
        return config
    if isinstance(config, Mapping):
        return settings_from_dict(config)
    text = str(config)
    path = Path(text)
    if text in preset_names():
        path = PRESET_DIR / f"{text}.yaml"
    elif not path.exists():
        names = preset_names()
        close = difflib.get_close_matches(text, names, n=1, cutoff=0.5)
        hint = f"; did you mean the preset {close[0]!r}?" if close else ""
        fail(
            f"config {text!r} is neither a YAML file nor a preset{hint} "
            f"(presets: {', '.join(names)})"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        fail(f"cannot read config {path}: {exc}")
    if data is not None and not isinstance(data, Mapping):
        fail(f"config {path} must be a YAML mapping of settings sections")
    settings = settings_from_dict(data)
    if settings.name == "default" and text in preset_names():
        settings = dataclasses.replace(settings, name=text)
    return settings


def settings_to_dict(settings: ExtractionSettings) -> dict[str, Any]:
    """Plain-data form of settings (lists instead of tuples), YAML/JSON ready."""

    def plain(v: Any) -> Any:
        if isinstance(v, tuple | list):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    out = plain(dataclasses.asdict(settings))
    out["filters"] = [f.to_dict() for f in settings.filters]
    if settings.profile == "ibsi":  # the ibsi profile's form (and hash) predate profiles
        del out["profile"], out["pyradiomics"]
    return out  # type: ignore[no-any-return]


def settings_to_yaml(settings: ExtractionSettings) -> str:
    return yaml.safe_dump(settings_to_dict(settings), sort_keys=False, default_flow_style=None)


def settings_hash(settings: ExtractionSettings) -> str:
    """Short stable hash of the resolved settings (for provenance and caching)."""
    blob = json.dumps(settings_to_dict(settings), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]
