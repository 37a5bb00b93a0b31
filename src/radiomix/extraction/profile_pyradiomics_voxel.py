"""Voxel-based extraction of the ``pyradiomics`` profile (PyRadiomics 3.0.1's
``execute(image, mask, voxelBased=True)``).

    PyRadiomics' preprocessing (:func:`profile_pyradiomics.prepare_roi`: label check,
    diagnostics, normalize, resampling / geometry check, ROI checks, re-segmentation)
        -> per image type (parameter file's order): filter on PyRadiomics' domain
           -> crop to the ROI box plus ``kernelRadius`` voxels per side (clipped to the image)
           -> PyRadiomics binning of the ROI (``maskedKernel: true``) or of the whole crop
           -> firstorder and texture classes, one kernel per ROI voxel: the engine's
              kernel loop (:func:`radiomix.extraction.voxel.kernel_maps`) with
              PyRadiomics' switches (:func:`map_switches`) and the classes' formulas
              (:func:`radiomix.features.pyradiomics_voxel.class_formulas`)

Each feature gives a map on the padded crop's grid: the feature of each ROI voxel's kernel,
``initValue`` at the other voxels (and where PyRadiomics fails for a batch). Shape and
shape2D are segment-based only: PyRadiomics computes no shape in voxel mode. The settings of
the ``voxelSetting`` section are :class:`VoxelSettings`. PyRadiomics' voxel-only rules live
here: ``maskedKernel`` (which voxels are binned and take part), ``initValue`` and
``voxelBatch`` (switches of the loop), the force2D axis as the kernels' plane, and the
refusal of first order on a 2D image (PyRadiomics fails there).
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import numpy as np

from radiomix.errors import ConfigError
from radiomix.extraction import profile_pyradiomics as pp
from radiomix.extraction.executors import thread_pool
from radiomix.extraction.settings import ExtractionSettings
from radiomix.extraction.voxel import KernelGrid, MapKey, MapSwitches, kernel_maps
from radiomix.features import glcm
from radiomix.features import pyradiomics_profile as prof
from radiomix.features import pyradiomics_voxel as pv
from radiomix.io import Volume
from radiomix.preprocess.crop import bounding_box

__all__ = [
    "VoxelResult",
    "VoxelSettings",
    "extract_voxel_pyradiomics",
    "extract_voxel_results",
    "map_switches",
]


@dataclass(frozen=True)
class VoxelSettings:
    """PyRadiomics' ``voxelSetting`` section.

    Parameters
    ----------
    kernel_radius : int
        ``kernelRadius`` (default 1): the kernel is the box of :math:`2R + 1` voxels a side.
    masked_kernel : bool
        ``maskedKernel`` (default True): only ROI voxels take part in a kernel, and the grey
        levels are binned on the ROI; False: every voxel of the crop, binned on the crop.
    init_value : float
        ``initValue`` (default 0): the maps' value outside the ROI.
    voxel_batch : int
        ``voxelBatch`` (default -1, all voxels at once): PyRadiomics' batch of kernels.
    """

    kernel_radius: int = 1
    masked_kernel: bool = True
    init_value: float = 0.0
    voxel_batch: int = -1

    @classmethod
    def from_mapping(cls, voxel: dict[str, Any]) -> VoxelSettings:
        """From PyRadiomics' names (values checked by :func:`radiomix.compat.params.load_params`)."""
        return cls(
            kernel_radius=int(voxel.get("kernelRadius", 1)),
            masked_kernel=bool(voxel.get("maskedKernel", True)),
            init_value=float(voxel.get("initValue", 0)),
            voxel_batch=int(voxel.get("voxelBatch", -1)),
        )


@dataclass(frozen=True)
class VoxelResult:
    """One ROI's voxel-based result: ``diagnostics`` (PyRadiomics' ``diagnostics_*`` values,
    without the prefix), ``maps`` (``<image type>_<class>_<Feature>`` -> map on the padded
    crop, a :class:`~radiomix.io.Volume` with its geometry), ``ndim`` (the image's
    dimensionality as PyRadiomics reads it: 2D images give 2D maps)."""

    diagnostics: dict[str, Any]
    maps: dict[str, Volume]
    ndim: int


def map_switches(options: prof.PyradiomicsTextureOptions, voxel: VoxelSettings) -> MapSwitches:
    """PyRadiomics' voxel mode as switches of the engine's kernel loop: its texture options
    (an image type's own), its conventions (those of its ROI path) and ``voxelBatch`` /
    ``initValue``."""
    return MapSwitches(
        distances=tuple(int(d) for d in options.distances),
        every_offset=True,
        symmetric=options.symmetrical_glcm,
        glcm_conventions=glcm.PYRADIOMICS,
        combined=False,
        weighting_norm=options.weighting_norm,
        empty_single_voxel_lines=True,
        count_isolated=True,
        coarseness_floor=0.0,
        log_epsilon=prof.EPS,
        ngldm_alpha=float(options.gldm_a),
        shift=float(options.voxel_array_shift),
        excess_kurtosis=False,
        histogram_epsilon=prof.EPS,
        batch=int(voxel.voxel_batch),
        init_value=float(voxel.init_value),
    )


def _configuration(settings: ExtractionSettings) -> str:
    """``Configuration_Settings`` as PyRadiomics prints it in voxel mode: its settings
    dictionary with ``'voxelBased': True`` added last."""
    conf = settings.pyradiomics.configuration
    if conf.endswith("}"):
        inner = conf[1:-1].strip()
        return "{" + (inner + ", " if inner else "") + "'voxelBased': True}"
    return conf


def extract_voxel_pyradiomics(
    image: Volume, mask: Volume, settings: ExtractionSettings, voxel: VoxelSettings
) -> VoxelResult:
    """Feature maps of one ROI the way PyRadiomics 3.0.1's voxel-based extraction makes them.

    ``image`` and ``mask`` (the boolean ROI, on the image grid or its own) as for
    :func:`profile_pyradiomics.extract_roi_pyradiomics`.
    """
    ps = settings.pyradiomics
    prep = pp.prepare_roi(image, mask, settings)
    img, roi_arr, final_roi, ndim = prep.image, prep.roi, prep.final_roi, prep.ndim
    diag = dict(prep.diagnostics)
    if "Configuration_Settings" in diag:
        diag["Configuration_Settings"] = _configuration(settings)
    r = int(voxel.kernel_radius)
    box = bounding_box(final_roi)
    lo = [max(b.start - r, 0) for b in box]
    hi = [min(b.stop + r, n) for b, n in zip(box, final_roi.shape, strict=True)]
    crop = (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))
    geometry, roi_crop = pp._crop_box(img, final_roi, r)
    classes = [e for e in pp.enabled_classes(settings) if e[0] in pv.VOXEL_CLASSES]
    if ndim == 2 and any(cls == "firstorder" for cls, _ in classes):
        raise ConfigError(
            "voxel-based firstorder on a 2D image: PyRadiomics 3.0.1 fails there (its kernel "
            "offsets are 3D; ValueError), so radiomix refuses it too. Remove firstorder from "
            "featureClass, or give the image as a 3D volume of one slice"
        )
    maps: dict[str, Volume] = {}
    if not classes:
        return VoxelResult(pp.resolve_diagnostics(diag), maps, ndim)
    centres = np.argwhere(roi_crop)
    # the families of every (filtered) image run in a thread pool (NumPy and the numba
    # kernels release the GIL; RADIOMIX_THREADS, 1 in batch workers); results kept in order
    jobs: list[tuple[str, str, list[str], list[Future[dict[MapKey, np.ndarray]]]]] = []
    with thread_pool() as pool:
        for image_type, custom in ps.image_types:
            if image_type == "Original":
                images = {"original": np.asarray(img.array)[crop]}
            else:
                filtered, sub = pp._filtered(img, roi_arr, crop, image_type, dict(custom), settings)
                images = {name: np.asarray(m)[sub] for name, m in filtered.items()}
            bin_width, bin_count, opts = pp.image_type_options(settings, dict(custom), ndim)
            switches = map_switches(opts, voxel)
            part = roi_crop if voxel.masked_kernel else np.ones(roi_crop.shape, dtype=bool)
            for name, mapped in images.items():
                values = np.asarray(mapped, dtype=np.float64)
                levels = np.zeros(part.shape, dtype=np.int64)
                levels[part] = pp.pyradiomics_levels(values[part], bin_width, bin_count)
                # PyRadiomics keeps the levels present (bincount: np.unique would import
                # numpy.ma, 15 ms, in a fresh process)
                rows = np.flatnonzero(np.bincount(levels[part]))
                grid = KernelGrid(
                    values=np.where(part, values, np.nan),
                    levels=levels,
                    rows=rows,
                    n_levels=int(rows.max()),
                    radius=r,
                    plane=opts.force2d_dimension if opts.force2d else -1,
                    spacing=tuple(float(s) for s in img.spacing),  # type: ignore[arg-type]
                )
                for cls, names in classes:
                    wanted = list(names) if names else list(prof.default_features(cls))
                    futures = [
                        pool.submit(kernel_maps, family, grid, centres, formulas, switches)
                        for family, formulas in pv.class_formulas(cls, wanted)
                        if formulas
                    ]
                    jobs.append((name, cls, wanted, futures))
        for name, cls, wanted, futures in jobs:
            out: dict[MapKey, np.ndarray] = {}
            for fut in futures:
                out.update(fut.result())
            for feature in wanted:
                arr = out.get(MapKey(feature))
                if arr is None:  # no kernel evaluated
                    arr = np.full(roi_crop.shape, float(voxel.init_value))
                maps[f"{name}_{cls}_{feature}"] = geometry.with_array(arr)
    return VoxelResult(pp.resolve_diagnostics(diag), maps, ndim)


def extract_voxel_results(
    image: Any, mask: Any, settings: ExtractionSettings, voxel: VoxelSettings, *, label: int
) -> VoxelResult:
    """Read ``image`` and ``mask`` (paths, SimpleITK images, volumes, arrays) as
    :func:`radiomix.extraction.api.extract_results` reads them for the ``pyradiomics``
    profile (mask on its own grid, PyRadiomics' label-map hash), select ``label`` and run
    :func:`extract_voxel_pyradiomics`.

    Raises
    ------
    ConfigError
        An RTSTRUCT / SEG mask: voxel-based extraction reads label maps, as PyRadiomics does.
    """
    from radiomix.extraction.api import _with_label_map_hash
    from radiomix.features._warmup import warm_up_voxel_kernels
    from radiomix.io import check_finite, dicom_roi_file, read_image, select_label

    # (not GLCM's: small ROIs count it with NumPy, and a process that needs no other
    # kernel then never loads numba; a large one loads it on first use)
    classes = [cls for cls, _ in pp.enabled_classes(settings) if cls in pv.CLASS_FAMILIES]
    warm_up_voxel_kernels([f for cls in classes for f in pv.CLASS_FAMILIES[cls] if f != "glcm"])
    img = read_image(image)
    if dicom_roi_file(mask) is not None:
        raise ConfigError(
            "voxel-based extraction reads label-map masks (as PyRadiomics does); convert the "
            "RTSTRUCT / SEG ROI to a label map first"
        )
    msk = pp.read_pyradiomics_mask(mask, img, label_channel=settings.pyradiomics.label_channel)
    if settings.pyradiomics.additional_info:
        msk = _with_label_map_hash(msk)
    roi = select_label(msk, label)
    if roi.array.shape == img.array.shape and np.issubdtype(img.array.dtype, np.inexact):
        # (integer images are finite; else checked once on the image grid)
        check_finite(img, what="image inside the ROI", within=np.asarray(roi.array, dtype=bool))
    result = extract_voxel_pyradiomics(img, roi, settings, voxel)
    result.diagnostics.update(img.metadata.get("diagnostics", {}))  # DICOM slice checks
    return result
