"""PyRadiomics' feature classes (``RadiomicsGLCM(image, mask, **settings)`` ...) over the
engine's formulas.

A feature class of PyRadiomics 3.0.1 takes a SimpleITK image and mask (usually cropped by
``imageoperations.cropToTumorMask``) and the extractor's settings as keyword arguments;
``enableFeatureByName`` / ``enableAllFeatures`` choose features (deprecated ones only by
name, with PyRadiomics' warning), ``execute()`` returns ``{name: value}`` (0-d NumPy
arrays), and ``get<Name>FeatureValue()`` computes one feature. Here each class translates
its inputs (label, binning, texture options) to the ``pyradiomics`` profile and calls
:func:`radiomix.features.pyradiomics_profile.compute_class`, the engine's formulas: no maths
of its own.

Voxel-based calculation through a feature class (``voxelBased=True``) is not provided: the
extractor's ``execute(image, mask, voxelBased=True)`` gives the maps.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from radiomix.errors import ConfigError
from radiomix.features import pyradiomics_profile as prof

__all__ = ["RadiomicsFeaturesBase", "feature_class"]

#: module names PyRadiomics gives its classes (``radiomics.glcm.RadiomicsGLCM``)
CLASS_NAMES = {
    "firstorder": "RadiomicsFirstOrder",
    "glcm": "RadiomicsGLCM",
    "gldm": "RadiomicsGLDM",
    "glrlm": "RadiomicsGLRLM",
    "glszm": "RadiomicsGLSZM",
    "ngtdm": "RadiomicsNGTDM",
    "shape": "RadiomicsShape",
    "shape2D": "RadiomicsShape2D",
}


def _settings(kwargs: dict[str, Any]) -> Any:
    """The profile's settings from a feature class's keyword arguments (the extractor's
    settings; other keys are ignored, as PyRadiomics' classes ignore what they do not read)."""
    from radiomix.compat.params import _ALL_SETTINGS, settings_from_params

    known = {k: v for k, v in kwargs.items() if k in _ALL_SETTINGS}
    return settings_from_params({"setting": known})


class RadiomicsFeaturesBase:
    """One PyRadiomics feature class on one image and mask (see the module notes)."""

    _cls = ""

    def __init__(self, inputImage: Any, inputMask: Any, **kwargs: Any) -> None:
        import SimpleITK as sitk

        self.logger = logging.getLogger(f"radiomix.compat.{self._cls}")
        if inputImage is None or inputMask is None:
            raise ValueError("Missing input image or mask")
        if kwargs.get("voxelBased", False):
            raise ConfigError(
                "voxel-based calculation through a feature class is not provided; use "
                "RadiomicsFeatureExtractor(...).execute(image, mask, voxelBased=True)"
            )
        self.settings = kwargs
        self.label = kwargs.get("label", 1)
        self.voxelBased = False
        self.coefficients: dict[str, Any] = {}
        self.enabledFeatures: dict[str, bool] = {}
        self.featureValues: dict[str, Any] = {}
        self.featureNames = self.getFeatureNames()
        self.inputImage = inputImage
        self.inputMask = inputMask
        self.imageArray = sitk.GetArrayFromImage(inputImage)
        self.maskArray = sitk.GetArrayFromImage(inputMask) == self.label
        self._profile = _settings(kwargs)
        self._shared: dict[Any, Any] = {}  # counts kept across features of this instance

    # ------------------------------------------------------------------ PyRadiomics' API

    @classmethod
    def getFeatureNames(cls) -> dict[str, bool]:
        """``{feature name: deprecated}`` of the class, from its ``get<Name>FeatureValue``
        methods in name order (as PyRadiomics enumerates them)."""
        return {
            attr[3:-12]: getattr(getattr(cls, attr), "_is_deprecated", False)
            for attr in sorted(dir(cls))
            if attr.startswith("get") and attr.endswith("FeatureValue")
        }

    def enableFeatureByName(self, featureName: str, enable: bool = True) -> None:
        if featureName not in self.featureNames:
            raise LookupError("Feature not found: " + featureName)
        if self.featureNames[featureName]:
            self.logger.warning("Feature %s is deprecated, use with caution!", featureName)
        self.enabledFeatures[featureName] = enable

    def enableAllFeatures(self) -> None:
        for name, deprecated in self.featureNames.items():
            if not deprecated:
                self.enableFeatureByName(name, True)

    def disableAllFeatures(self) -> None:
        self.enabledFeatures = {}
        self.featureValues = {}

    def execute(self) -> dict[str, Any]:
        """Every enabled feature (all non-deprecated ones when none is enabled):
        ``{name: value}``; deprecated features PyRadiomics cannot compute are left out."""
        if not self.enabledFeatures:
            self.enableAllFeatures()
        omitted = prof.OMITTED.get(self._cls, ())
        names = [n for n, on in self.enabledFeatures.items() if on and n not in omitted]
        for name, value in self._compute(names).items():
            self.featureValues[name] = np.squeeze(np.asarray(value))
        return self.featureValues

    # ------------------------------------------------------------------ the engine

    def _compute(self, names: list[str]) -> dict[str, float]:
        from radiomix.extraction.profile_pyradiomics import (
            image_type_options,
            pyradiomics_levels,
            shape2d_plane,
        )

        if not names:
            return {}
        image = np.asarray(self.imageArray, dtype=np.float64)
        roi = np.asarray(self.maskArray, dtype=bool)
        ndim = image.ndim
        if ndim == 2:
            image, roi = image[np.newaxis], roi[np.newaxis]
        sp = tuple(float(s) for s in self.inputImage.GetSpacing()[::-1])
        spacing = sp if ndim == 3 else (1.0, *sp)
        if not roi.any():
            raise ValueError(f"label {self.label} is not present in the mask")
        hit = np.argwhere(roi)
        box = tuple(slice(int(a), int(b) + 1) for a, b in zip(hit.min(0), hit.max(0), strict=True))
        image, roi = image[box], roi[box]
        bin_width, bin_count, opts = image_type_options(self._profile, {}, ndim)
        if self._cls == "shape2D":
            planar = shape2d_plane(roi, spacing, self._profile, ndim)
            if planar is None:
                raise ValueError(
                    "shape2D needs a 2D image, or force2D with a mask one voxel thick along "
                    "force2Ddimension"
                )
            mask2d, sp2d = planar
            values = prof.compute_class(
                "shape2D", values=image[roi], levels=None, mask=mask2d, spacing=sp2d,
                options=opts, names=names,
            )  # fmt: skip
            return {v.spec.name: v.value for v in values}
        levels = None
        if self._cls != "shape":
            levels = np.zeros(roi.shape, dtype=np.int64)
            levels[roi] = pyradiomics_levels(image[roi], bin_width, bin_count)
            self.coefficients["grayLevels"] = np.unique(levels[roi])
            self.coefficients["Ng"] = int(levels.max())
        values = prof.compute_class(
            self._cls,
            values=image[roi],
            levels=levels,
            mask=roi,
            spacing=spacing,
            options=opts,
            names=names,
            shared=self._shared,
        )
        return {v.spec.name: v.value for v in values}


def _getter(cls: str, name: str) -> Any:
    """PyRadiomics' ``get<Name>FeatureValue`` of one feature: its value (an array of one
    for the texture and first order classes, a float for shape, as PyRadiomics returns),
    documented by the engine formula it calls."""
    if name in prof.OMITTED.get(cls, ()):

        def omitted(self: RadiomicsFeaturesBase) -> Any:
            raise DeprecationWarning(
                f"{cls} - {name} is deprecated in PyRadiomics (it duplicates another feature) "
                "and has no value"
            )

        omitted._is_deprecated = True  # type: ignore[attr-defined]
        return omitted

    def getter(self: RadiomicsFeaturesBase) -> Any:
        value = self._compute([name])[name]
        return value if cls in ("shape", "shape2D") else np.array([value])

    spec = next(s for s in prof.FEATURES[cls] if s.name == name)
    getter.__doc__ = spec.doc
    if name not in prof.default_features(cls):
        getter._is_deprecated = True  # type: ignore[attr-defined]
    return getter


def feature_class(cls: str) -> type[RadiomicsFeaturesBase]:
    """PyRadiomics' feature class ``cls`` (``"glcm"`` -> ``RadiomicsGLCM``), with a
    ``get<Name>FeatureValue`` method per feature."""
    names = [s.name for s in prof.FEATURES[cls]] + list(prof.OMITTED.get(cls, ()))
    methods: dict[str, Any] = {"_cls": cls, "__module__": f"radiomix.compat.{cls}"}
    for name in names:
        fn = _getter(cls, name)
        fn.__name__ = fn.__qualname__ = f"get{name}FeatureValue"
        methods[fn.__name__] = fn
    return type(CLASS_NAMES[cls], (RadiomicsFeaturesBase,), methods)
