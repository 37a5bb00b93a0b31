"""PyRadiomics parameter files -> radiomix settings with the ``pyradiomics`` profile.

A PyRadiomics parameter file (YAML or JSON) has up to four sections, as PyRadiomics 3.0.1
documents them (``radiomics/schemas/paramSchema.yaml``)::

    imageType:    {Original: {}}
    featureClass: {shape: null, firstorder: [Mean, Median], glcm: []}
    setting:      {binWidth: 25, label: 1, voxelArrayShift: 1000}
    voxelSetting: {kernelRadius: 1}

:func:`settings_from_params` checks every key and value. A setting that radiomix does not
support yet in the given combination is a :class:`~radiomix.errors.ConfigError` naming it:
nothing is silently ignored. Settings that have no effect in PyRadiomics itself for the
given combination (``interpolator`` without resampling, ``voxelSetting`` in a segment-based
extraction, filter parameters without that filter, ...) are accepted, as PyRadiomics
accepts them; the table in ``docs/pyradiomics-profile.md`` lists each setting's status.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from radiomix._config import did_you_mean, fail
from radiomix.errors import ConfigError
from radiomix.extraction import settings as _settings
from radiomix.extraction.settings import (
    RESEGMENT_MODES,
    DiscretisationSettings,
    ExtractionSettings,
    PyradiomicsSettings,
)
from radiomix.features import pyradiomics_profile as prof

__all__ = [
    "DEFAULT_SETTINGS",
    "IMAGE_TYPES",
    "VOXEL_SETTINGS",
    "PyradiomicsParams",
    "load_params",
    "params_to_settings",
    "settings_from_params",
]

SECTIONS = ("imageType", "featureClass", "setting", "voxelSetting")

#: PyRadiomics' defaults (``RadiomicsFeatureExtractor._getDefaultSettings``), in its order
DEFAULT_SETTINGS: dict[str, Any] = {
    "minimumROIDimensions": 2,
    "minimumROISize": None,
    "normalize": False,
    "normalizeScale": 1,
    "removeOutliers": None,
    "resampledPixelSpacing": None,
    "interpolator": "sitkBSpline",
    "preCrop": False,
    "padDistance": 5,
    "distances": [1],
    "force2D": False,
    "force2Ddimension": 0,
    "resegmentRange": None,
    "label": 1,
    "additionalInfo": True,
}

#: PyRadiomics image types (the engine's list: each maps to a ``pyradiomics_*`` filter)
IMAGE_TYPES = _settings.PYRADIOMICS_IMAGE_TYPES
SUPPORTED_IMAGE_TYPES = IMAGE_TYPES
#: settings the filters read (from ``setting`` or an image type's custom settings)
FILTER_SETTINGS = (
    "sigma",
    "wavelet",
    "level",
    "start_level",
    "gradientUseSpacing",
    "lbp2DRadius",
    "lbp2DSamples",
    "lbp2DMethod",
    "lbp3DLevels",
    "lbp3DIcosphereRadius",
    "lbp3DIcosphereSubdivision",
)

# setting -> what it is for; the keys are every setting PyRadiomics' schema knows
_INTERPOLATOR_NAMES = (
    "sitkNearestNeighbor",
    "sitkLinear",
    "sitkBSpline",
    "sitkGaussian",
    "sitkLabelGaussian",
    "sitkHammingWindowedSinc",
    "sitkCosineWindowedSinc",
    "sitkWelchWindowedSinc",
    "sitkLanczosWindowedSinc",
    "sitkBlackmanWindowedSinc",
)
_SUPPORTED = {
    "minimumROIDimensions",
    "minimumROISize",
    "additionalInfo",
    "label",
    "binWidth",
    "binCount",
    "voxelArrayShift",
    "weightingNorm",
    "gldm_a",
    "distances",
    "force2D",
    "force2Ddimension",
    "symmetricalGLCM",
    "normalize",
    "removeOutliers",
    "resampledPixelSpacing",
    "resegmentRange",
    "correctMask",
    "geometryTolerance",
    "label_channel",
    "padDistance",
    "preCrop",
    "interpolator",
    *FILTER_SETTINGS,
}
# no effect in PyRadiomics unless another setting enables what they tune
_NO_EFFECT_HERE = {
    "normalizeScale": "normalize: true",
    "resegmentMode": "resegmentRange",
    "resegmentShape": "resegmentRange",
}
#: accepted with no effect: radiomix has no separate pure-Python implementation to switch to
_ACCEPTED_NO_EFFECT = ("enableCExtensions",)
#: settings an image type's custom settings may change for that type's features, as
#: PyRadiomics passes them to the feature classes (binning, texture options; see
#: ``radiomix.extraction.profile_pyradiomics.image_type_options``)
FEATURE_OVERRIDES = (
    "binWidth",
    "binCount",
    "voxelArrayShift",
    "symmetricalGLCM",
    "weightingNorm",
    "distances",
    "gldm_a",
    "force2D",
    "force2Ddimension",
)
#: SimpleITK interpolator numbers PyRadiomics' schema accepts (1-10) -> names; 3 was
#: sitkBSpline before SimpleITK 2 and is no interpolator any more
_INTERPOLATOR_NUMBERS = {
    1: "sitkNearestNeighbor",
    2: "sitkLinear",
    4: "sitkGaussian",
    5: "sitkLabelGaussian",
    6: "sitkHammingWindowedSinc",
    7: "sitkCosineWindowedSinc",
    8: "sitkWelchWindowedSinc",
    9: "sitkLanczosWindowedSinc",
    10: "sitkBlackmanWindowedSinc",
}
#: SimpleITK 2.x's other interpolator numbers (``sitk.sitkBSpline`` is 23 there), which
#: PyRadiomics passes on to SimpleITK when given in Python (``interpolator=sitk.sitkBSpline``)
_SITK2_INTERPOLATORS = {
    11: "sitkBSplineResampler",
    12: "sitkBSplineResamplerOrder1",
    13: "sitkBSplineResamplerOrder2",
    14: "sitkBSplineResamplerOrder4",
    15: "sitkBSplineResamplerOrder5",
    21: "sitkBSpline1",
    22: "sitkBSpline2",
    23: "sitkBSpline",
    24: "sitkBSpline4",
    25: "sitkBSpline5",
    26: "sitkLabelLinear",
}
_ALL_SETTINGS = sorted(_SUPPORTED | set(_NO_EFFECT_HERE) | set(_ACCEPTED_NO_EFFECT))
_VOXEL_SETTINGS = ("kernelRadius", "maskedKernel", "initValue", "voxelBatch")
#: the ``voxelSetting`` section's keys (voxel-based extraction)
VOXEL_SETTINGS = _VOXEL_SETTINGS
_WEIGHTING = ("manhattan", "euclidean", "infinity", "no_weighting")

#: PyRadiomics logs through its own loggers; the drop-in through this one
logger = logging.getLogger("radiomix.compat")


def _closest(key: str, valid: Any) -> str:
    """PyRadiomics' names: a suggestion only (its lists are too long to print)."""
    return did_you_mean(key, valid, list_valid=False, cutoff=0.5)


@dataclasses.dataclass(frozen=True)
class PyradiomicsParams:
    """A parsed PyRadiomics parameter file (sections as PyRadiomics names them)."""

    image_types: dict[str, dict[str, Any]]
    feature_classes: dict[str, list[str] | None]
    setting: dict[str, Any]
    voxel_setting: dict[str, Any]

    @property
    def effective_settings(self) -> dict[str, Any]:
        """PyRadiomics' settings dictionary: its defaults updated with ``setting`` and
        ``voxelSetting`` (what ``diagnostics_Configuration_Settings`` prints)."""
        out = dict(DEFAULT_SETTINGS)
        out.update(self.setting)
        out.update(self.voxel_setting)
        return out


def load_params(source: str | Path | Mapping[str, Any]) -> PyradiomicsParams:
    """Read a PyRadiomics parameter file (YAML or JSON path) or mapping and check its
    structure (sections, image type names, feature classes and names, setting names)."""
    if isinstance(source, Mapping):
        data: Any = dict(source)
        where = "parameters"
    else:
        path = Path(source)
        where = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            fail(f"cannot read the PyRadiomics parameter file {path}: {exc}")
        try:
            data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            fail(
                f"{path} is not a valid {'JSON' if path.suffix == '.json' else 'YAML'} file: {exc}"
            )
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        fail(f"{where}: a PyRadiomics parameter file is a mapping with sections {SECTIONS}")
    for key in data:
        if key not in SECTIONS:
            fail(
                f"{where}: unknown section {key!r}{_closest(key, SECTIONS)} (PyRadiomics "
                f"parameter files have {', '.join(SECTIONS)})"
            )
    image_types = _image_types(data.get("imageType"), where)
    classes = _feature_classes(data.get("featureClass"), where)
    setting = _mapping(data.get("setting"), f"{where}: setting")
    for key in setting:
        if key not in _ALL_SETTINGS:
            fail(f"{where}: unknown PyRadiomics setting {key!r}{_closest(key, _ALL_SETTINGS)}")
    voxel = _mapping(data.get("voxelSetting"), f"{where}: voxelSetting")
    for key in voxel:
        if key not in _VOXEL_SETTINGS:
            fail(
                f"{where}: unknown voxelSetting {key!r}{_closest(key, _VOXEL_SETTINGS)} "
                f"(valid: {', '.join(_VOXEL_SETTINGS)})"
            )
    _check_voxel_values(voxel, where)
    return PyradiomicsParams(image_types, classes, setting, voxel)


def _check_voxel_values(voxel: Mapping[str, Any], where: str) -> None:
    """PyRadiomics' schema for ``voxelSetting``: kernelRadius and voxelBatch integers > 0,
    maskedKernel a boolean, initValue a number."""
    for key in ("kernelRadius", "voxelBatch"):
        v = voxel.get(key)
        if key in voxel and (isinstance(v, bool) or not isinstance(v, int) or v <= 0):
            fail(f"{where}: voxelSetting {key} must be an integer > 0, got {v!r}")
    if "maskedKernel" in voxel and not isinstance(voxel["maskedKernel"], bool):
        got = voxel["maskedKernel"]
        fail(f"{where}: voxelSetting maskedKernel must be true or false, got {got!r}")
    v = voxel.get("initValue")
    if "initValue" in voxel and (isinstance(v, bool) or not _reads_as_float(v)):
        fail(f"{where}: voxelSetting initValue must be a number (or nan), got {v!r}")


def _reads_as_float(value: Any) -> bool:
    """A number, or text NumPy reads as one (PyRadiomics' exampleVoxel.yaml has
    ``initValue: nan``, which YAML gives as the text 'nan' and PyRadiomics fills as NaN)."""
    if isinstance(value, int | float):
        return True
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        fail(f"{where} must be a mapping, got {value!r}")
    return dict(value)


def _image_types(value: Any, where: str) -> dict[str, dict[str, Any]]:
    types = _mapping(value, f"{where}: imageType")
    out: dict[str, dict[str, Any]] = {}
    for name, custom in types.items():
        if name not in IMAGE_TYPES:
            fail(
                f"{where}: unknown imageType {name!r}{_closest(name, IMAGE_TYPES)} "
                f"(PyRadiomics image types: {', '.join(IMAGE_TYPES)})"
            )
        out[name] = _mapping(custom, f"{where}: imageType {name}")
    return out or {"Original": {}}


def _feature_classes(value: Any, where: str) -> dict[str, list[str] | None]:
    classes = _mapping(value, f"{where}: featureClass")
    known = prof.CLASSES
    out: dict[str, list[str] | None] = {}
    for cls, names in classes.items():
        if cls not in known:
            fail(
                f"{where}: unknown featureClass {cls!r}{_closest(cls, known)} "
                f"(PyRadiomics classes: {', '.join(known)})"
            )
        if names is None or names == []:
            out[cls] = None
            continue
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list):
            fail(f"{where}: featureClass {cls} must list feature names, got {names!r}")
        if cls in prof.FEATURES:
            valid = prof.class_features(cls)
            omitted = prof.OMITTED.get(cls, ())
            for n in names:
                if n in omitted or n in prof.DEPRECATED.get(cls, ()):
                    # as PyRadiomics: a warning; the omitted ones then give no value there
                    logger.warning("Feature %s is deprecated, use with caution!", n)
                elif n not in valid:
                    fail(f"{where}: unknown {cls} feature {n!r}{_closest(n, valid + omitted)}")
            names = [n for n in names if n not in omitted]
            if not names:  # every name omitted: PyRadiomics computes nothing of the class
                continue
        out[cls] = [str(n) for n in names]
    return out


def _number(settings: Mapping[str, Any], key: str, *, integer: bool, positive: bool) -> Any:
    v = settings[key]
    ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))
    if ok and integer:
        ok = float(v) == int(v)
    if ok and positive:
        ok = v > 0
    if not ok:
        kind = "integer" if integer else "number"
        fail(f"setting {key}: expected a {'positive ' if positive else ''}{kind}, got {v!r}")
    return int(v) if integer else float(v)


def _bool(settings: Mapping[str, Any], key: str) -> bool:
    v = settings[key]
    if not isinstance(v, bool):
        fail(f"setting {key}: expected true or false, got {v!r}")
    return bool(v)


def _interpolator(value: Any, *, resampling: bool) -> str | None:
    """PyRadiomics' ``interpolator``: a SimpleITK interpolator name or its enum number."""
    if value is None or value in _INTERPOLATOR_NAMES:
        return value  # type: ignore[no-any-return]
    if isinstance(value, int) and not isinstance(value, bool) and value in _SITK2_INTERPOLATORS:
        return _SITK2_INTERPOLATORS[value]
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 10:
        if value in _INTERPOLATOR_NUMBERS:
            return _INTERPOLATOR_NUMBERS[value]
        if resampling:  # PyRadiomics 3.0.1 fails in SimpleITK's resampling
            fail(
                "setting interpolator 3 is no SimpleITK interpolator (it was sitkBSpline before "
                "SimpleITK 2; PyRadiomics 3.0.1 fails on it): give 'sitkBSpline'"
            )
        return None  # without resampling the interpolator is never used
    numbers = ", ".join(
        f"{k} {v}" for k, v in {**_INTERPOLATOR_NUMBERS, **_SITK2_INTERPOLATORS}.items()
    )
    fail(
        f"setting interpolator {value!r} is not supported: give a SimpleITK interpolator name "
        f"({', '.join(_INTERPOLATOR_NAMES)}) or its number ({numbers})"
    )
    return None


def _check_custom(image_type: str, custom: Mapping[str, Any], general: Mapping[str, Any]) -> None:
    """Check an image type's custom settings: its filter's settings, and the settings
    PyRadiomics' feature classes read (:data:`FEATURE_OVERRIDES`), with valid values."""
    from radiomix.filters.pyradiomics import PYRADIOMICS_IMAGE_TYPES

    params = set(PYRADIOMICS_IMAGE_TYPES[image_type].parameters)
    valid = params | set(FEATURE_OVERRIDES)
    for key in custom:
        if key not in _ALL_SETTINGS:
            fail(
                f"imageType {image_type}: unknown PyRadiomics setting {key!r}"
                f"{_closest(key, _ALL_SETTINGS)}"
            )
    extra = sorted(set(custom) - valid)
    if extra:
        fail(
            f"imageType {image_type}: custom setting(s) {', '.join(extra)} are not supported "
            "per image type (most apply to the whole extraction in PyRadiomics): set them in "
            "the setting section. An image type may set its filter's settings and "
            f"{', '.join(FEATURE_OVERRIDES)}"
        )
    merged = dict(general)
    merged.update(custom)
    for key in FEATURE_OVERRIDES:
        if key in custom and custom[key] is None and key != "weightingNorm":
            fail(f"imageType {image_type}: custom setting {key} must not be null")
    try:
        _check_feature_values(merged)
    except ConfigError as exc:
        raise ConfigError(f"imageType {image_type}: {exc}") from None


def _preprocessing(s: Mapping[str, Any]) -> dict[str, Any]:
    """:class:`PyradiomicsSettings` fields of normalisation, re-segmentation, mask
    correction, geometry tolerance and GLCM symmetry, checked as PyRadiomics' schema does."""
    out: dict[str, Any] = {
        "normalize": _bool(s, "normalize"),
        "normalize_scale": _number(s, "normalizeScale", integer=False, positive=True),
        "symmetrical_glcm": _bool(s, "symmetricalGLCM") if "symmetricalGLCM" in s else True,
        "correct_mask": _bool(s, "correctMask") if "correctMask" in s else False,
    }
    if s.get("removeOutliers") is not None:
        out["remove_outliers"] = _number(s, "removeOutliers", integer=False, positive=True)
    if s.get("geometryTolerance") is not None:
        out["geometry_tolerance"] = _number(s, "geometryTolerance", integer=False, positive=True)
    rr = s.get("resegmentRange")
    if rr is not None:
        if (
            not isinstance(rr, list)
            or len(rr) not in (1, 2)
            or any(isinstance(v, bool) or not isinstance(v, int | float) for v in rr)
        ):
            fail(
                "setting resegmentRange must list 1 threshold (keep voxels >= it) or 2 "
                f"(keep voxels within them), got {rr!r}"
            )
        out["resegment_range"] = tuple(float(v) for v in rr)
    mode = s.get("resegmentMode", "absolute")
    if mode not in RESEGMENT_MODES:
        fail(f"setting resegmentMode must be one of {RESEGMENT_MODES}, got {mode!r}")
    out["resegment_mode"] = mode
    if "resegmentShape" in s:
        out["resegment_shape"] = _bool(s, "resegmentShape")
    return out


def _check_feature_values(s: Mapping[str, Any]) -> None:
    """Check the values of the settings PyRadiomics' feature classes read."""
    if s.get("binCount") is not None:
        _number(s, "binCount", integer=True, positive=True)
    if "binWidth" in s:
        _number(s, "binWidth", integer=False, positive=True)
    if "voxelArrayShift" in s:
        _number(s, "voxelArrayShift", integer=False, positive=False)
    if "gldm_a" in s and _number(s, "gldm_a", integer=False, positive=False) < 0:
        fail(f"setting gldm_a must be a non-negative number, got {s['gldm_a']!r}")
    for key in ("symmetricalGLCM", "force2D"):
        if key in s:
            _bool(s, key)
    if s.get("force2Ddimension", 0) not in (0, 1, 2):
        fail(f"setting force2Ddimension must be 0, 1 or 2, got {s['force2Ddimension']!r}")
    wn = s.get("weightingNorm")
    if wn is not None and wn not in _WEIGHTING:
        fail(f"setting weightingNorm must be one of {_WEIGHTING} or null, got {wn!r}")
    distances = s.get("distances", [1])
    if (
        not isinstance(distances, list)
        or not distances
        or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in distances)
    ):
        fail(f"setting distances must be a list of positive integers, got {distances!r}")


def params_to_settings(params: PyradiomicsParams, name: str = "pyradiomics") -> ExtractionSettings:
    """Map parsed parameters onto :class:`ExtractionSettings` with ``profile: pyradiomics``.

    Raises
    ------
    ConfigError
        For every image type, feature class or setting value that radiomix does not support
        yet, naming it.
    """
    s = params.effective_settings
    for it, custom in params.image_types.items():
        _check_custom(it, custom, s)  # checks the feature settings' values, merged with s
    if not params.image_types:
        _check_feature_values(s)
    rps = s.get("resampledPixelSpacing")
    if rps is not None and (
        not isinstance(rps, list)
        or len(rps) not in (2, 3)
        or any(isinstance(v, bool) or not isinstance(v, int | float) or v < 0 for v in rps)
    ):
        fail(
            "setting resampledPixelSpacing must be non-negative numbers, one per dimension of "
            f"the mask: 3 (x, y, z) for a 3D image, 2 (x, y) for a 2D one; got {rps!r}"
        )
    interp = _interpolator(s.get("interpolator"), resampling=rps is not None)
    channel = s.get("label_channel", 0)
    if isinstance(channel, bool) or not isinstance(channel, int) or channel < 0:
        # PyRadiomics' parameter schema: an integer >= 0
        fail(
            "setting label_channel must be a non-negative integer (the component of a "
            f"multi-component mask that holds the label map), got {channel!r}"
        )
    force2d = _bool(s, "force2D")
    # PyRadiomics counts force2Ddimension in NumPy's (z, y, x) order: 0 axial, 1 coronal,
    # 2 sagittal planes (LBP2D slices along it even without force2D)
    force2d_dim = _number(s, "force2Ddimension", integer=True, positive=False)
    if "binCount" in s and s["binCount"] is not None:
        disc = DiscretisationSettings(
            method="fixed_bin_number",
            bin_count=_number(s, "binCount", integer=True, positive=True),
        )
    else:
        width = _number(s, "binWidth", integer=False, positive=True) if "binWidth" in s else 25.0
        disc = DiscretisationSettings(method="fixed_bin_size", bin_width=width)
    wn = s.get("weightingNorm")
    distances = s.get("distances", [1])
    label = _number(s, "label", integer=True, positive=True)
    shift = (
        _number(s, "voxelArrayShift", integer=False, positive=False)
        if "voxelArrayShift" in s
        else 0.0
    )
    gldm_a = _number(s, "gldm_a", integer=False, positive=False) if "gldm_a" in s else 0.0
    min_size = s.get("minimumROISize")
    classes: list[tuple[str, tuple[str, ...]]] = [
        (cls, tuple(names or ())) for cls, names in params.feature_classes.items()
    ]
    image_types = tuple(
        (it, tuple((k, v) for k, v in custom.items())) for it, custom in params.image_types.items()
    )
    filter_settings = tuple(
        (k, s[k]) for k in (*FILTER_SETTINGS, "padDistance", "preCrop") if k in s
    )
    py = PyradiomicsSettings(
        resampled_spacing=None if rps is None else tuple(float(v) for v in rps),
        interpolator=interp,
        feature_classes=tuple(classes),
        image_types=image_types,
        filter_settings=filter_settings,
        label=label,
        label_channel=channel,
        voxel_array_shift=shift,
        weighting_norm=wn,
        gldm_a=gldm_a,
        distances=tuple(distances),
        force2d=force2d,
        force2d_dimension=force2d_dim,
        minimum_roi_dimensions=_number(s, "minimumROIDimensions", integer=True, positive=True),
        minimum_roi_size=None
        if min_size is None
        else _number(s, "minimumROISize", integer=True, positive=True),
        additional_info=_bool(s, "additionalInfo"),
        configuration=repr(s),
        **_preprocessing(s),
    )
    return ExtractionSettings(
        name=name,
        description="PyRadiomics parameter file, pyradiomics profile",
        discretisation=disc,
        profile="pyradiomics",
        pyradiomics=py,
    )


def settings_from_params(
    source: str | Path | Mapping[str, Any], **overrides: Any
) -> ExtractionSettings:
    """Settings from a PyRadiomics parameter file, dict, or (with no file) PyRadiomics'
    defaults; keyword arguments override ``setting`` entries, as in PyRadiomics'
    ``RadiomicsFeatureExtractor(params, **kwargs)``."""
    params = load_params(source)
    if overrides:
        for key in overrides:
            if key not in _ALL_SETTINGS and key not in _VOXEL_SETTINGS:
                fail(f"unknown PyRadiomics setting {key!r}{_closest(key, _ALL_SETTINGS)}")
        params = dataclasses.replace(params, setting={**params.setting, **overrides})
    name = "pyradiomics" if isinstance(source, Mapping) else Path(source).stem
    return params_to_settings(params, name=name)
