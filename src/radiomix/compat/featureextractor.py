"""``RadiomicsFeatureExtractor``: PyRadiomics' entry point on radiomix's engine.

Mirrors ``radiomics.featureextractor.RadiomicsFeatureExtractor`` (PyRadiomics 3.0.1) so that
scripts port by changing the import: the constructor takes a parameter file path, a dict,
or nothing (PyRadiomics' defaults), with keyword arguments overriding settings; ``execute``
returns an ``OrderedDict`` with PyRadiomics' keys (``diagnostics_*``, then
``original_shape_*``, then the other classes). What the ``pyradiomics`` profile does not
support yet raises :class:`~radiomix.errors.ConfigError` naming it (see
:mod:`radiomix.compat.params`).
"""

from __future__ import annotations

import collections
import copy
import json
import logging
from pathlib import Path
from typing import Any

from radiomix.compat import getFeatureClasses, getImageTypes, imageoperations
from radiomix.compat.params import (
    DEFAULT_SETTINGS,
    IMAGE_TYPES,
    VOXEL_SETTINGS,
    load_params,
    params_to_settings,
)
from radiomix.errors import ConfigError
from radiomix.extraction import profile_pyradiomics  # noqa: F401 - the engine, loaded once
from radiomix.extraction.api import ImageLike, extract_results
from radiomix.extraction.records import RoiResult
from radiomix.features import pyradiomics_profile as prof

__all__ = ["RadiomicsFeatureExtractor", "result_to_dict"]

logger = logging.getLogger("radiomix.compat")

#: the last extractor's ``geometryTolerance`` setting (PyRadiomics keeps it in this global
#: and sets SimpleITK's coordinate and direction tolerances from it)
geometryTolerance: float | None = None
# PyRadiomics' module exposes these names too
_MODULE_NAMES = (getFeatureClasses, getImageTypes, imageoperations)


def result_to_dict(result: RoiResult) -> collections.OrderedDict[str, Any]:
    """PyRadiomics' ordered mapping of one ROI's result (``diagnostics_*`` first)."""
    out: collections.OrderedDict[str, Any] = collections.OrderedDict()
    for tag, v in result.diagnostics.items():
        out[f"diagnostics_{tag}"] = v
    for rec in result.features:
        out[f"{rec.image_type}_{rec.family}_{rec.value.spec.name}"] = rec.value.value
    return out


def _with_ndim(source: ImageLike) -> ImageLike:
    """An in-memory image (SimpleITK image, array) read into a volume that records its
    dimensionality: radiomix holds a 2D image as one plane, PyRadiomics treats a 2D image
    and a 3D image of one slice differently (see ``profile_pyradiomics.input_ndim``)."""
    import numpy as np

    from radiomix._lazy import is_sitk_image
    from radiomix.extraction.profile_pyradiomics import with_ndim
    from radiomix.io import read_image

    if is_sitk_image(source):
        return with_ndim(read_image(source), min(source.GetDimension(), 3))
    if isinstance(source, np.ndarray):
        return with_ndim(read_image(source), min(source.ndim, 3))
    return source


class RadiomicsFeatureExtractor:
    """Feature extractor with PyRadiomics' interface.

    Parameters
    ----------
    *args : str, Path or dict, optional
        A PyRadiomics parameter file (YAML/JSON) or its content as a dict. Without one,
        PyRadiomics' defaults: the Original image and every feature class but shape2D.
    **kwargs
        Settings that override the file's ``setting`` section (``binWidth=10``, ...).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # PyRadiomics' settings dictionary: its defaults, then the file's setting and
        # voxelSetting sections, then the keyword arguments
        self.settings: dict[str, Any] = dict(DEFAULT_SETTINGS)
        self.featureClassNames = list(prof.CLASSES)
        self.enabledImagetypes: dict[str, dict[str, Any]] = {"Original": {}}
        # PyRadiomics' defaults leave shape2D out; a parameter file without featureClass and
        # enableAllFeatures() enable it
        self.enabledFeatures: dict[str, list[str] | None] = {
            c: None for c in prof.CLASSES if c != "shape2D"
        }
        if len(args) > 1:
            raise ConfigError("RadiomicsFeatureExtractor takes one parameter file or dict")
        if args:
            src = args[0]
            if isinstance(src, dict):
                self._apply(src)
            elif isinstance(src, str | Path):
                if not Path(src).is_file():
                    raise ConfigError(f"parameter file {src} does not exist")
                self._apply(src)
            else:
                raise ConfigError(
                    f"expected a parameter file path or dict, got {type(src).__name__}"
                )
        self.settings.update(kwargs)
        self._resolve()  # fail early on anything unsupported
        global geometryTolerance
        geometryTolerance = self.settings.get("geometryTolerance")
        if geometryTolerance is not None:  # as PyRadiomics, for imageoperations' checks
            import SimpleITK as sitk

            sitk.ProcessObject.SetGlobalDefaultCoordinateTolerance(geometryTolerance)
            sitk.ProcessObject.SetGlobalDefaultDirectionTolerance(geometryTolerance)

    # -- parameters ------------------------------------------------------------------

    def _apply(self, source: str | Path | dict[str, Any]) -> None:
        params = load_params(source)
        self.enabledImagetypes = dict(params.image_types)
        if params.feature_classes:
            self.enabledFeatures = dict(params.feature_classes)
        else:
            self.enabledFeatures = dict.fromkeys(prof.CLASSES)
        self.settings = {**DEFAULT_SETTINGS, **params.setting, **params.voxel_setting}

    def _params(self) -> dict[str, Any]:
        return {
            "imageType": copy.deepcopy(self.enabledImagetypes),
            "featureClass": copy.deepcopy(self.enabledFeatures),
            "setting": {k: v for k, v in self.settings.items() if k not in VOXEL_SETTINGS},
            "voxelSetting": {k: v for k, v in self.settings.items() if k in VOXEL_SETTINGS},
        }

    def _resolve(self) -> Any:
        if not self.enabledFeatures:
            raise ConfigError("no feature class is enabled: enable one (enableFeatureClassByName)")
        return params_to_settings(load_params(self._params()))

    def loadParams(self, paramsFile: str | Path) -> None:
        """Replace image types, feature classes and settings with a parameter file's."""
        self._apply(paramsFile)
        self._resolve()

    def loadJSONParams(self, JSON_configuration: str) -> None:
        """Like :meth:`loadParams`, from a JSON string."""
        try:
            data = json.loads(JSON_configuration)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"invalid JSON parameters: {exc}") from None
        self._apply(data)
        self._resolve()

    def addProvenance(self, provenance_on: bool = True) -> None:
        """Switch the ``diagnostics_*`` entries on or off (``additionalInfo``)."""
        self.settings["additionalInfo"] = bool(provenance_on)

    # -- image types -----------------------------------------------------------------

    def enableAllImageTypes(self) -> None:
        """Every PyRadiomics image type with no custom settings (LoG then needs ``sigma``
        in the settings to yield maps, as in PyRadiomics)."""
        self.enabledImagetypes = {t: {} for t in IMAGE_TYPES}

    def disableAllImageTypes(self) -> None:
        self.enabledImagetypes = {}

    def enableImageTypeByName(
        self,
        imageType: str,
        enabled: bool = True,
        customArgs: dict[str, Any] | None = None,
    ) -> None:
        """Enable or disable one image type, with its custom filter settings."""
        if imageType not in IMAGE_TYPES:
            raise ConfigError(
                f"unknown image type {imageType!r}; PyRadiomics' types: {IMAGE_TYPES}"
            )
        if not enabled:
            self.enabledImagetypes.pop(imageType, None)
            return
        self.enabledImagetypes[imageType] = dict(customArgs or {})
        try:
            self._resolve()
        except ConfigError:
            self.enabledImagetypes.pop(imageType, None)
            raise

    def enableImageTypes(self, **enabledImagetypes: dict[str, Any]) -> None:
        for name, custom in enabledImagetypes.items():
            self.enableImageTypeByName(name, True, custom)

    # -- features --------------------------------------------------------------------

    def enableAllFeatures(self) -> None:
        """Every feature class with all its features (shape2D included, as in PyRadiomics:
        it is computed on 2D images and, with force2D, on one-slice masks)."""
        self.enabledFeatures = dict.fromkeys(prof.CLASSES)

    def disableAllFeatures(self) -> None:
        self.enabledFeatures = {}

    def enableFeatureClassByName(self, featureClass: str, enabled: bool = True) -> None:
        if featureClass not in prof.CLASSES:
            raise ConfigError(
                f"feature class {featureClass!r} is not available; classes: {prof.CLASSES}"
            )
        if enabled:
            self.enabledFeatures[featureClass] = None
        else:
            self.enabledFeatures.pop(featureClass, None)

    def enableFeaturesByName(self, **enabledFeatures: list[str] | None) -> None:
        """Enable features per class, ``enableFeaturesByName(glcm=["Contrast"])``."""
        for cls, names in enabledFeatures.items():
            if cls not in prof.CLASSES:
                raise ConfigError(
                    f"feature class {cls!r} is not available; classes: {prof.CLASSES}"
                )
            self.enabledFeatures[cls] = list(names) if names else None
        self._resolve()

    # -- extraction ------------------------------------------------------------------

    def execute(
        self,
        imageFilepath: ImageLike,
        maskFilepath: ImageLike,
        label: int | None = None,
        label_channel: int | None = None,
        voxelBased: bool = False,
    ) -> collections.OrderedDict[str, Any]:
        """Features of one ROI as PyRadiomics' ``OrderedDict``.

        ``imageFilepath`` / ``maskFilepath``: file paths, SimpleITK images, radiomix
        volumes or arrays; ``label`` overrides the ``label`` setting (default 1),
        ``label_channel`` the ``label_channel`` setting (the component of a multi-component
        mask to read the label map from; default 0, ignored for a scalar mask).
        """
        settings = self._resolve()
        lab = settings.pyradiomics.label if label is None else int(label)
        if lab != settings.pyradiomics.label or label_channel is not None:
            params = self._params()  # PyRadiomics' settings then print this label / channel
            params["setting"]["label"] = lab
            if label_channel is not None:
                params["setting"]["label_channel"] = label_channel
            settings = params_to_settings(load_params(params))
        if voxelBased:
            return self._execute_voxel(imageFilepath, maskFilepath, settings, lab)
        (result,) = extract_results(_with_ndim(imageFilepath), maskFilepath, settings, label=lab)
        return result_to_dict(result)

    @staticmethod
    def loadImage(
        ImageFilePath: Any, MaskFilePath: Any, generalInfo: Any = None, **kwargs: Any
    ) -> tuple[Any, Any]:
        """PyRadiomics' preprocessing of an image and mask (paths or SimpleITK images):
        the mask as a label map, then ``normalize``, then resampling (``interpolator`` and
        ``resampledPixelSpacing``) or, with ``preCrop``, the crop to the ROI. Returns
        SimpleITK images. ``generalInfo`` (PyRadiomics' diagnostics collector) is not used:
        ``execute`` gives the diagnostics."""
        import SimpleITK as sitk

        from radiomix.compat import imageoperations

        def read(source: Any, what: str) -> Any:
            if isinstance(source, str | Path) and Path(source).is_file():
                return sitk.ReadImage(str(source))
            if isinstance(source, sitk.Image):
                return source
            raise ValueError(f"Error reading {what} Filepath or SimpleITK object")

        image = read(ImageFilePath, "image")
        mask = imageoperations.getMask(read(MaskFilePath, "mask"), **kwargs)
        if kwargs.get("normalize", False):
            image = imageoperations.normalizeImage(image, **kwargs)
        if kwargs.get("interpolator") is not None and kwargs.get("resampledPixelSpacing"):
            image, mask = imageoperations.resampleImage(image, mask, **kwargs)
        elif kwargs.get("preCrop", False):
            box, corrected = imageoperations.checkMask(image, mask, **kwargs)
            if corrected is not None:
                mask = corrected
            if box is None:
                raise ValueError("Mask checks failed during pre-crop")
            image, mask = imageoperations.cropToTumorMask(image, mask, box, **kwargs)
        return image, mask

    def computeFeatures(
        self, image: Any, mask: Any, imageTypeName: str, **kwargs: Any
    ) -> collections.OrderedDict[str, Any]:
        """The enabled classes but shape on one (already preprocessed, possibly filtered)
        image: ``{<imageTypeName>_<class>_<feature>: value}``, as PyRadiomics computes them
        with its feature classes (:mod:`radiomix.compat._classes`)."""
        out: collections.OrderedDict[str, Any] = collections.OrderedDict()
        for cls in self.enabledFeatures:
            if not cls.startswith("shape"):
                self._run_class(cls, image, mask, imageTypeName, kwargs, out)
        return out

    def _run_class(
        self, cls: str, image: Any, mask: Any, prefix: str, kwargs: Any, out: dict[str, Any]
    ) -> None:
        """One enabled class through its feature class, into ``out`` (``<prefix>_<cls>_*``)."""
        from radiomix.compat._classes import feature_class

        features = feature_class(cls)(image, mask, **kwargs)
        for name in self.enabledFeatures[cls] or ():
            features.enableFeatureByName(name)
        for name, value in features.execute().items():
            out[f"{prefix}_{cls}_{name}"] = value

    def computeShape(
        self, image: Any, mask: Any, boundingBox: Any, **kwargs: Any
    ) -> collections.OrderedDict[str, Any]:
        """The enabled shape classes on the image and mask cropped to ``boundingBox``
        (:func:`imageoperations.checkMask`'s): ``{original_shape_<feature>: value}``;
        shape on 3D masks, shape2D on 2D ones or with force2D, as PyRadiomics decides."""
        import numpy as np

        from radiomix.compat import imageoperations

        out: collections.OrderedDict[str, Any] = collections.OrderedDict()
        cropped_image, cropped_mask = imageoperations.cropToTumorMask(image, mask, boundingBox)
        nd = mask.GetDimension()
        wanted = []
        if "shape" in self.enabledFeatures:
            if nd == 3:
                wanted.append("shape")
            else:
                logger.warning(
                    "Shape features are only available 3D input (for 2D input, use shape2D)"
                )
        if "shape2D" in self.enabledFeatures:
            box = np.asarray(boundingBox)
            if nd == 2:
                wanted.append("shape2D")
            elif not kwargs.get("force2D", False):
                logger.warning("parameter force2D must be set to True to enable shape2D extraction")
            elif (box[1::2] - box[0::2] + 1)[int(kwargs.get("force2Ddimension", 0))] > 1:
                wanted.append("shape2D")
            else:
                logger.warning("shape2D skipped: the mask is one voxel wide there")
        for cls in wanted:
            self._run_class(cls, cropped_image, cropped_mask, "original", kwargs, out)
        return out

    def _execute_voxel(
        self, image: ImageLike, mask: ImageLike, settings: Any, label: int
    ) -> collections.OrderedDict[str, Any]:
        """``execute(..., voxelBased=True)``: diagnostics, then one SimpleITK image per
        feature (float64 maps on the ROI box padded by ``kernelRadius``; ``initValue``
        outside the ROI), as PyRadiomics returns them. No shape features (PyRadiomics
        computes none voxel by voxel)."""
        from radiomix.extraction.profile_pyradiomics_voxel import (
            VoxelSettings,
            extract_voxel_results,
        )
        from radiomix.io import to_sitk, to_sitk_2d

        voxel = VoxelSettings.from_mapping(self._params()["voxelSetting"])
        res = extract_voxel_results(_with_ndim(image), mask, settings, voxel, label=label)
        out: collections.OrderedDict[str, Any] = collections.OrderedDict()
        for tag, v in res.diagnostics.items():
            out[f"diagnostics_{tag}"] = v
        for key, vol in res.maps.items():
            out[key] = to_sitk_2d(vol) if res.ndim == 2 else to_sitk(vol)
        return out
