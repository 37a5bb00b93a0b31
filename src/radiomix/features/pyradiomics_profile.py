"""PyRadiomics' feature classes over the engine's formulas: the feature side of the
``pyradiomics`` profile.

PyRadiomics 3.0.1 (van Griethuysen et al., Cancer Research 77(21), 2017) has the classes
``firstorder``, ``shape``, ``glcm``, ``glrlm``, ``glszm``, ``gldm``, ``ngtdm`` and, for
planar ROIs, ``shape2D``. Every feature is an engine formula: :data:`FORMULAS` names them
(PyRadiomics' name -> the engine family's function); each class's matrices come from the
engine's builders with PyRadiomics' conventions as the engine's named switches (the table
in docs/pyradiomics-profile.md, "The engine's switches"). Every function here receives
arrays; nothing reads files or settings trees.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from radiomix.features import (
    glcm,
    glrlm,
    glszm,
    histogram,
    morphology,
    morphology_2d,
    ngldm,
    ngtdm,
    statistics,
)
from radiomix.features._base import FeatureSpec, FeatureValue
from radiomix.features._kernels_zones import zone_table
from radiomix.features._texture import (  # noqa: F401 - NUMBA_MIN_*: the profile's names
    NUMBA_MIN_VOXELS,
    NUMBA_MIN_WORK,
    angle_weights,
    neighbour_counts,
    neighbour_offsets,
    use_numba_kernels,
)
from radiomix.features._zone_matrix import ZoneMatrix

__all__ = [
    "CLASSES",
    "FEATURES",
    "FORMULAS",
    "PyradiomicsTextureOptions",
    "class_features",
    "compute_class",
    "default_features",
    "shape2d_features",
    "texture_offsets",
]

EPS = float(np.spacing(1))

#: feature classes in PyRadiomics' order (``radiomics.getFeatureClasses()``: alphabetical);
#: ``shape2D`` needs a planar ROI
CLASSES = ("firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm", "shape", "shape2D")

#: deprecated PyRadiomics features: not computed by ``enableAllFeatures``; computed when
#: named, with PyRadiomics' warning (its getters return a value)
DEPRECATED: dict[str, tuple[str, ...]] = {
    "firstorder": ("StandardDeviation",),
    "shape": ("Compactness1", "Compactness2", "SphericalDisproportion"),
    "shape2D": ("SphericalDisproportion",),
}

#: deprecated features PyRadiomics accepts but never outputs (its getters raise a
#: DeprecationWarning, which it logs at debug level and skips): named, they are skipped too
OMITTED: dict[str, tuple[str, ...]] = {
    "glcm": ("Dissimilarity", "Homogeneity1", "Homogeneity2", "SumVariance"),
    "gldm": ("DependencePercentage", "GrayLevelNonUniformityNormalized"),
}

#: features IBSI lacks, or defines otherwise, and how
_NOTES: dict[tuple[str, str], str] = {
    ("firstorder", "TotalEnergy"): "not in IBSI: Energy times the voxel volume (mm^3)",
    ("firstorder", "StandardDeviation"): "not in IBSI: the square root of Variance "
    "(deprecated in PyRadiomics: computed only when named)",
    ("firstorder", "Kurtosis"): "IBSI IPH6 is excess kurtosis; PyRadiomics' is m4/m2^2 (3 more)",
    ("shape", "Maximum2DDiameterSlice"): "not in IBSI: largest vertex distance in an axial plane",
    ("shape", "Maximum2DDiameterColumn"): "not in IBSI: largest vertex distance in a coronal plane",
    ("shape", "Maximum2DDiameterRow"): "not in IBSI: largest vertex distance in a sagittal plane",
    ("glcm", "Idmn"): "IBSI 1QCO divides by N_g of the discretisation; PyRadiomics by the "
    "highest grey level present",
    ("glcm", "Idn"): "IBSI NDRX divides by N_g of the discretisation; PyRadiomics by the "
    "highest grey level present",
    ("glcm", "MCC"): "not in IBSI: maximal correlation coefficient (second largest eigenvalue)",
}
#: notes of every feature of a class
_CLASS_NOTES = {
    "shape2D": "not in IBSI: IBSI 1 defines morphology in 3D only (PyRadiomics' 2D shape of a "
    "planar ROI, marching-squares outline)",
    "gldm": "not in IBSI as such: the NGLDM feature with PyRadiomics' dependence count "
    "(centre voxel included, so j starts at 1) and its normalisation",
}


@dataclass(frozen=True)
class PyradiomicsTextureOptions:
    """Texture options of the ``pyradiomics`` profile (PyRadiomics setting names in brackets).

    Parameters
    ----------
    distances : tuple of int
        Chebyshev distances of the neighbours (``distances``).
    weighting_norm : str or None
        Directional weighting of GLCM/GLRLM (``weightingNorm``): ``manhattan``,
        ``euclidean``, ``infinity`` or ``no_weighting``; None averages features over
        directions.
    gldm_a : float
        GLDM coarseness :math:`\\alpha` (``gldm_a``).
    force2d : bool
        In-plane neighbours only (``force2D``): no offset along the axis
        ``force2d_dimension``, zones connected within its planes.
    voxel_array_shift : float
        Added to intensities in Energy, TotalEnergy, RootMeanSquared (``voxelArrayShift``).
    force2d_dimension : int
        The array axis (0 = z, 1 = y, 2 = x) across which the planes of ``force2d`` lie
        (PyRadiomics' ``force2Ddimension``, an index in NumPy's (z, y, x) order).
    symmetrical_glcm : bool
        GLCM pairs counted in both directions of each angle (``symmetricalGLCM``).
    numba_kernels : bool or None
        GLCM and GLRLM counts by the numba kernels (True) or the NumPy ones (False); both
        give the same counts bit for bit, only the time differs. None: by the ROI box's
        size (:func:`use_numba_kernels`).
    """

    distances: tuple[int, ...] = (1,)
    weighting_norm: str | None = None
    gldm_a: float = 0.0
    force2d: bool = False
    voxel_array_shift: float = 0.0
    force2d_dimension: int = 0
    symmetrical_glcm: bool = True
    numba_kernels: bool | None = None


def _sort_key(name: str) -> str:
    # PyRadiomics lists features in the order of inspect.getmembers: by method name
    return f"get{name}FeatureValue"


def _spec(cls: str, name: str, fn: Callable[..., Any]) -> FeatureSpec:
    # a feature without a note is defined as in IBSI (given the profile's grey levels): it
    # carries its engine formula's IBSI code; one with a note differs and carries none
    note = _NOTES.get((cls, name)) or _CLASS_NOTES.get(cls, "")
    code = None if note else _IBSI_CODES.get(fn)
    return FeatureSpec(
        name=name,
        family=f"pyradiomics_{cls}",
        ibsi_code=code,
        ibsi_tag=f"{cls}_{name}",
        compute=fn,
        ibsi_compliant=code is not None,
        note=note or ("" if code is not None else "not in IBSI"),
    )


# --------------------------------------------------------------------------- firstorder


#: PyRadiomics' first order features and the one-engine formula of each: the IBSI
#: intensity statistics (:mod:`radiomix.features.statistics`, with ``voxelArrayShift`` and
#: kurtosis not in excess) and, for Entropy and Uniformity, the intensity histogram of the
#: binned grey levels (:mod:`radiomix.features.histogram`, with PyRadiomics' epsilon)
FIRSTORDER_FORMULAS: dict[str, Callable[..., np.ndarray]] = {
    "10Percentile": statistics.percentile_10,
    "90Percentile": statistics.percentile_90,
    "Energy": statistics.energy,
    "Entropy": histogram.entropy,
    "InterquartileRange": statistics.interquartile_range,
    "Kurtosis": statistics.kurtosis,
    "Maximum": statistics.maximum,
    "Mean": statistics.mean,
    "MeanAbsoluteDeviation": statistics.mean_absolute_deviation,
    "Median": statistics.median,
    "Minimum": statistics.minimum,
    "Range": statistics.range_,
    "RobustMeanAbsoluteDeviation": statistics.robust_mean_absolute_deviation,
    "RootMeanSquared": statistics.root_mean_square,
    "Skewness": statistics.skewness,
    "StandardDeviation": statistics.standard_deviation,
    "TotalEnergy": statistics.total_energy,
    "Uniformity": histogram.uniformity,
    "Variance": statistics.variance,
}
HISTOGRAM_FEATURES = ("Entropy", "Uniformity")


def _firstorder(
    values: np.ndarray,
    levels: np.ndarray,
    spacing: Sequence[float],
    shift: float,
    names: Sequence[str],
) -> dict[str, float]:
    """PyRadiomics' first order features of one ROI: ``values`` its intensities, ``levels``
    their grey levels (PyRadiomics' binning), as a batch of one."""
    sample = statistics.IntensitySample(
        values.reshape(1, -1),
        shift=shift,
        voxel_volume=float(np.prod(spacing)),
        excess_kurtosis=False,
    )
    counts = np.bincount(levels.ravel()).astype(np.float64)[None, 1:]
    hist = histogram.GreyLevelHistogram(counts, epsilon=EPS)
    return {
        n: float(FIRSTORDER_FORMULAS[n](hist if n in HISTOGRAM_FEATURES else sample)[0])
        for n in names
    }


# --------------------------------------------------------------------------- shape


#: PyRadiomics' shape features and the one-engine formula of each
#: (:mod:`radiomix.features.morphology` with the classic marching cubes mesh and the
#: population covariance of the voxel centres)
SHAPE_FORMULAS: dict[str, Callable[[morphology.MorphologyData], float]] = {
    "Compactness1": morphology.compactness_1,
    "Compactness2": morphology.compactness_2,
    "Elongation": morphology.elongation,
    "Flatness": morphology.flatness,
    "LeastAxisLength": morphology.least_axis_length,
    "MajorAxisLength": morphology.major_axis_length,
    "Maximum2DDiameterColumn": morphology.maximum_2d_diameter_column,
    "Maximum2DDiameterRow": morphology.maximum_2d_diameter_row,
    "Maximum2DDiameterSlice": morphology.maximum_2d_diameter_slice,
    "Maximum3DDiameter": morphology.maximum_3d_diameter,
    "MeshVolume": morphology.volume,
    "MinorAxisLength": morphology.minor_axis_length,
    "SphericalDisproportion": morphology.spherical_disproportion,
    "Sphericity": morphology.sphericity,
    "SurfaceArea": morphology.surface_area,
    "SurfaceVolumeRatio": morphology.surface_to_volume_ratio,
    "VoxelVolume": morphology.approximate_volume,
}


def _shape(mask: np.ndarray, spacing: Sequence[float], names: Sequence[str]) -> dict[str, float]:
    """PyRadiomics' shape features of a 3D mask: the morphology family's formulas on the
    mesh of the classic marching cubes table (PyRadiomics' resolution of ambiguous cubes,
    vertices at edge mid-points) and the population covariance of the voxel centres."""
    m = morphology.MorphologyData(
        image=np.broadcast_to(0.0, mask.shape),  # shape reads no intensity
        int_mask=mask,
        morph_mask=mask,
        spacing=(float(spacing[0]), float(spacing[1]), float(spacing[2])),
        mesh_method="classic",
        covariance_ddof=0,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        return {n: float(SHAPE_FORMULAS[n](m)) for n in names}


#: PyRadiomics' shape2D features and the one-engine formula of each
#: (:mod:`radiomix.features.morphology_2d`: the same marching-squares outline; the
#: population covariance of the pixel centres, ``covariance_ddof`` 0)
SHAPE2D_FORMULAS: dict[str, Callable[[morphology_2d.Morphology2DData], float]] = {
    "Elongation": morphology_2d.elongation,
    "MajorAxisLength": morphology_2d.major_axis_length,
    "MaximumDiameter": morphology_2d.maximum_diameter,
    "MeshSurface": morphology_2d.area_mesh,
    "MinorAxisLength": morphology_2d.minor_axis_length,
    "Perimeter": morphology_2d.perimeter,
    "PerimeterSurfaceRatio": morphology_2d.perimeter_to_area_ratio,
    "PixelSurface": morphology_2d.area_pixels,
    "SphericalDisproportion": morphology_2d.spherical_disproportion,
    "Sphericity": morphology_2d.sphericity,
}


def shape2d_features(
    mask: np.ndarray, spacing: Sequence[float], names: Sequence[str] | None = None
) -> dict[str, float]:
    """PyRadiomics' ``shape2D`` features of a planar ROI: the 2D morphology family's
    formulas (:data:`SHAPE2D_FORMULAS`) with the population covariance of the pixel centres.

    Parameters
    ----------
    mask : ndarray of bool, shape (rows, cols)
        The planar ROI (any crop that holds it).
    spacing : (row, column) spacing in mm
    names : sequence of str or None
        Features wanted (default: all ten, SphericalDisproportion included).

    Raises
    ------
    ValueError
        ``mask`` is not 2D, holds no ROI pixel, or ``spacing`` is not two positive numbers.
    """
    roi = np.asarray(mask, dtype=bool)
    sp = np.asarray(spacing, dtype=np.float64)
    if roi.ndim != 2:
        raise ValueError(f"shape2D needs a 2D mask, got shape {roi.shape}")
    if sp.shape != (2,) or not np.all(sp > 0):
        raise ValueError(f"shape2D needs two positive spacings (row, column), got {spacing}")
    if not roi.any():
        raise ValueError("shape2D needs a non-empty mask")
    m = morphology_2d.build_morphology_2d(roi, (float(sp[0]), float(sp[1])), covariance_ddof=0)
    wanted = SHAPE2D_FORMULAS if names is None else names
    with np.errstate(divide="ignore", invalid="ignore"):
        return {n: float(SHAPE2D_FORMULAS[n](m)) for n in wanted}


# --------------------------------------------------------------------------- neighbours


def texture_offsets(distances: Sequence[int], force2d: bool) -> np.ndarray:
    """PyRadiomics' angles: every (z, y, x) offset whose Chebyshev norm is one of
    ``distances``, one of each opposite pair (in-plane only with ``force2d``): the engine's
    :func:`~radiomix.features._texture.neighbour_offsets` with ``every_offset``; a
    read-only array, made once per settings."""
    return _texture_offsets(tuple(int(d) for d in distances), bool(force2d))


@functools.lru_cache(maxsize=64)
def _texture_offsets(distances: tuple[int, ...], force2d: bool) -> np.ndarray:
    offsets = neighbour_offsets(distances, force2d, every_offset=True)
    offsets.flags.writeable = False
    return offsets


def _nanmean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else float("nan")


# --------------------------------------------------------------------------- glcm


#: PyRadiomics' GLCM features and the one-engine formula of each
#: (:mod:`radiomix.features.glcm`, with :data:`~radiomix.features.glcm.PYRADIOMICS`
#: conventions and :math:`N_g` the highest grey level present)
GLCM_FORMULAS: dict[str, Callable[[glcm.CooccurrenceMatrix], np.ndarray]] = {
    "Autocorrelation": glcm.autocorrelation,
    "ClusterProminence": glcm.cluster_prominence,
    "ClusterShade": glcm.cluster_shade,
    "ClusterTendency": glcm.cluster_tendency,
    "Contrast": glcm.contrast,
    "Correlation": glcm.correlation,
    "DifferenceAverage": glcm.difference_average,
    "DifferenceEntropy": glcm.difference_entropy,
    "DifferenceVariance": glcm.difference_variance,
    "Id": glcm.inverse_difference,
    "Idm": glcm.inverse_difference_moment,
    "Idmn": glcm.inverse_difference_moment_normalised,
    "Idn": glcm.inverse_difference_normalised,
    "Imc1": glcm.information_correlation_1,
    "Imc2": glcm.information_correlation_2,
    "InverseVariance": glcm.inverse_variance,
    "JointAverage": glcm.joint_average,
    "JointEnergy": glcm.angular_second_moment,
    "JointEntropy": glcm.joint_entropy,
    "MCC": glcm.maximal_correlation_coefficient,
    "MaximumProbability": glcm.joint_maximum,
    "SumAverage": glcm.sum_average,
    "SumEntropy": glcm.sum_entropy,
    "SumSquares": glcm.joint_variance,
}


def _glcm(
    levels: np.ndarray,
    present: np.ndarray,
    opts: PyradiomicsTextureOptions,
    spacing: Sequence[float],
    names: Sequence[str],
) -> dict[str, float]:
    """PyRadiomics' GLCM features: one matrix per direction (symmetric unless
    ``symmetrical_glcm`` is False, grey levels present only), features averaged over the
    non-empty directions (IBSI ``3D_avg``, ``2_5D_avg`` with force2D), :math:`N_g` the
    highest grey level present; ``weighting_norm`` sums the directions' matrices with
    their distance weights first.

    With ``symmetrical_glcm`` False each direction counts the pairs one way only:
    :math:`P_{\\mathbf{a}}(i, j)` = number of ROI voxels :math:`\\mathbf{x}` of grey level
    :math:`i` whose neighbour :math:`\\mathbf{x} + \\mathbf{a}` is in the ROI with grey
    level :math:`j` (:func:`radiomix.features.glcm.cooccurrence_matrices`).
    """
    offsets = texture_offsets(opts.distances, opts.force2d)
    m = glcm.cooccurrence_matrices(
        levels,
        offsets,
        int(present.max()),
        symmetric=opts.symmetrical_glcm,
        conventions=glcm.PYRADIOMICS,
        numba=opts.numba_kernels,
        present=present,
    )
    if opts.weighting_norm is not None:
        m = m.weighted(angle_weights(offsets, spacing, opts.weighting_norm, glcm=True))
    return {k: _nanmean(v) for k, v in _values("glcm", m, names).items()}


# --------------------------------------------------------------------------- run / zone matrices

#: PyRadiomics' GLRLM, GLSZM and GLDM features and the one-engine formula of each (the
#: feature's name in :mod:`~radiomix.features.glrlm`, :mod:`~radiomix.features.glszm` and
#: :mod:`~radiomix.features.ngldm`); they run on :class:`ZoneMatrix` with PyRadiomics'
#: entropy epsilon
ZONE_FORMULAS: dict[str, tuple[tuple[FeatureSpec, ...], dict[str, str]]] = {
    "glrlm": (
        glrlm.FEATURES,
        {
            "GrayLevelNonUniformity": "glnu",
            "GrayLevelNonUniformityNormalized": "glnu_norm",
            "GrayLevelVariance": "gl_var",
            "HighGrayLevelRunEmphasis": "hgre",
            "LongRunEmphasis": "lre",
            "LongRunHighGrayLevelEmphasis": "lrhge",
            "LongRunLowGrayLevelEmphasis": "lrlge",
            "LowGrayLevelRunEmphasis": "lgre",
            "RunEntropy": "rl_entr",
            "RunLengthNonUniformity": "rlnu",
            "RunLengthNonUniformityNormalized": "rlnu_norm",
            "RunPercentage": "r_perc",
            "RunVariance": "rl_var",
            "ShortRunEmphasis": "sre",
            "ShortRunHighGrayLevelEmphasis": "srhge",
            "ShortRunLowGrayLevelEmphasis": "srlge",
        },
    ),
    "glszm": (
        glszm.FEATURES,
        {
            "GrayLevelNonUniformity": "glnu",
            "GrayLevelNonUniformityNormalized": "glnu_norm",
            "GrayLevelVariance": "gl_var",
            "HighGrayLevelZoneEmphasis": "hgze",
            "LargeAreaEmphasis": "lze",
            "LargeAreaHighGrayLevelEmphasis": "lzhge",
            "LargeAreaLowGrayLevelEmphasis": "lzlge",
            "LowGrayLevelZoneEmphasis": "lgze",
            "SizeZoneNonUniformity": "zsnu",
            "SizeZoneNonUniformityNormalized": "zsnu_norm",
            "SmallAreaEmphasis": "sze",
            "SmallAreaHighGrayLevelEmphasis": "szhge",
            "SmallAreaLowGrayLevelEmphasis": "szlge",
            "ZoneEntropy": "zs_entr",
            "ZonePercentage": "z_perc",
            "ZoneVariance": "zs_var",
        },
    ),
    "gldm": (
        ngldm.FEATURES,
        {
            "DependenceEntropy": "dependence_count_entropy",
            "DependenceNonUniformity": "dependence_count_non_uniformity",
            "DependenceNonUniformityNormalized": "dependence_count_non_uniformity_normalised",
            "DependenceVariance": "dependence_count_variance",
            "GrayLevelNonUniformity": "grey_level_non_uniformity",
            "GrayLevelVariance": "grey_level_variance",
            "HighGrayLevelEmphasis": "high_grey_level_count_emphasis",
            "LargeDependenceEmphasis": "high_dependence_emphasis",
            "LargeDependenceHighGrayLevelEmphasis": "high_dependence_high_grey_level_emphasis",
            "LargeDependenceLowGrayLevelEmphasis": "high_dependence_low_grey_level_emphasis",
            "LowGrayLevelEmphasis": "low_grey_level_count_emphasis",
            "SmallDependenceEmphasis": "low_dependence_emphasis",
            "SmallDependenceHighGrayLevelEmphasis": "low_dependence_high_grey_level_emphasis",
            "SmallDependenceLowGrayLevelEmphasis": "low_dependence_low_grey_level_emphasis",
        },
    ),
}


def _values(cls: str, m: Any, names: Sequence[str]) -> dict[str, np.ndarray]:
    """PyRadiomics' ``names`` of class ``cls`` on a batch of matrices, one value each."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return {n: FORMULAS[cls][n](m) for n in names}


def _glrlm(
    levels: np.ndarray,
    present: np.ndarray,
    opts: PyradiomicsTextureOptions,
    spacing: Sequence[float],
    names: Sequence[str],
) -> dict[str, float]:
    """PyRadiomics' GLRLM features: one run length matrix per direction (grey levels present
    only), features per direction averaged (IBSI ``3D_avg``, or ``2_5D_avg`` with
    force2D); RunPercentage :math:`N_r / N_p` per direction. A direction along which no
    line holds two ROI voxels is empty, and left out of the average, as PyRadiomics 3.0.1's
    C code does (:func:`radiomix.features.glrlm.directions_with_lines`)."""
    # runs do not depend on the neighbour distance: opts.distances is not used here; a
    # direction across a flat axis of the box holds no line of two voxels: it is emptied
    offsets = texture_offsets((1,), opts.force2d)
    m = glrlm.run_matrices(
        levels,
        offsets,
        int(present.max()),
        empty_single_voxel_lines=True,
        numba=opts.numba_kernels,
        log_epsilon=EPS,
    )
    if opts.weighting_norm is not None:
        m = m.weighted(angle_weights(offsets, spacing, opts.weighting_norm, glcm=False))
    return {k: _nanmean(v) for k, v in _values("glrlm", m, names).items()}


def _glszm(
    levels: np.ndarray,
    present: np.ndarray,
    opts: PyradiomicsTextureOptions,
    names: Sequence[str],
) -> dict[str, float]:
    """PyRadiomics' GLSZM features: zones of equal grey level, 26-connected in 3D (8 with
    force2D, per plane); ZonePercentage :math:`N_z / N_p`."""
    zones = zone_table(levels, opts.force2d)
    m = glszm.build_matrix(zones.level, zones.size, float(np.sum(zones.size)), log_epsilon=EPS)
    return {k: float(v[0]) for k, v in _values("glszm", m, names).items()}


def _neighbour_sums(
    levels: np.ndarray,
    opts: PyradiomicsTextureOptions,
    alpha: float | None,
    shared: dict[Any, Any] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per ROI voxel (in the C order of ``levels > 0``): number of ROI neighbours (or, with
    ``alpha``, of dependent ones) and the sum of the ROI neighbours' grey levels; the
    neighbours at the Chebyshev norms of ``distances``
    (:func:`radiomix.features._texture.neighbour_counts`, its NumPy pass: both counts at
    once); ``shared``, the caller's per-image store (:func:`compute_class`), keeps the pass
    for the image's other class, so that GLDM and NGTDM of an image count once."""
    key = ("neighbour_counts", tuple(opts.distances), opts.force2d, float(opts.gldm_a))
    if shared is not None and key in shared:
        cnt, tot, dep = shared[key]
    else:
        lv = np.ascontiguousarray(levels, dtype=np.int64)
        cnt, tot, dep = neighbour_counts(
            lv, opts.distances, opts.force2d, float(opts.gldm_a), numba=False, roi_only=True
        )
        if shared is not None:
            shared[key] = (cnt, tot, dep)
    return (cnt if alpha is None else dep), tot


def _gldm(
    levels: np.ndarray,
    present: np.ndarray,
    opts: PyradiomicsTextureOptions,
    names: Sequence[str],
    shared: dict[Any, Any] | None = None,
) -> dict[str, float]:
    """PyRadiomics' GLDM features: the NGLDM (IBSI) of coarseness ``gldm_a`` over the
    neighbours at the ``distances``: :math:`P(i, j)` counts ROI voxels of grey level
    :math:`i` with :math:`j - 1` dependent ROI neighbours; normalised by :math:`N_z = N_p`."""
    dep, _ = _neighbour_sums(levels, opts, opts.gldm_a, shared)  # per ROI voxel
    n_dependence = 2 * len(texture_offsets(opts.distances, opts.force2d)) + 1  # j = 1..
    lv = levels[levels > 0]
    m = ngldm.build_matrix(lv, dep, int(present.max()), n_dependence, log_epsilon=EPS)
    return {k: float(v[0]) for k, v in _values("gldm", m, names).items()}


#: PyRadiomics' NGTDM features and the one-engine formula of each
#: (:mod:`radiomix.features.ngtdm`, coarseness capped only where :math:`\\sum p_i s_i = 0`)
NGTDM_FORMULAS: dict[str, Callable[[ngtdm.NGTDMatrix], np.ndarray]] = {
    "Busyness": ngtdm.busyness,
    "Coarseness": ngtdm.coarseness,
    "Complexity": ngtdm.complexity,
    "Contrast": ngtdm.contrast,
    "Strength": ngtdm.strength,
}


def _ngtdm(
    levels: np.ndarray,
    present: np.ndarray,
    opts: PyradiomicsTextureOptions,
    names: Sequence[str],
    shared: dict[Any, Any] | None = None,
) -> dict[str, float]:
    """PyRadiomics' NGTDM features: :math:`s_i = \\sum |i - \\bar{A}_i|` over the voxels of
    grey level :math:`i` that have ROI neighbours (:math:`\\bar{A}` their mean),
    :math:`p_i = n_i / N_{v,p}` over every ROI voxel; the IBSI formulas otherwise."""
    c, tot = _neighbour_sums(levels, opts, None, shared)  # per ROI voxel
    lv = levels[levels > 0]
    diff = np.where(c > 0, np.abs(lv - tot / np.maximum(c, 1)), 0.0)
    m = ngtdm.build_matrix(
        lv, c > 0, diff, int(present.max()), count_isolated=True, coarseness_floor=0.0
    )
    return {k: float(v[0]) for k, v in _values("ngtdm", m, names).items()}


# --------------------------------------------------------------------------- registry


#: the engine families' IBSI codes by formula function
_IBSI_CODES: dict[Callable[..., Any], str | None] = {
    spec.compute: spec.ibsi_code
    for family in (statistics, histogram, morphology, glcm, glrlm, glszm, ngldm, ngtdm)
    for spec in family.FEATURES
}


def _zone_formulas(cls: str) -> dict[str, Callable[[ZoneMatrix], np.ndarray]]:
    specs, names = ZONE_FORMULAS[cls]
    by_name = {s.name: s.compute for s in specs}
    return {n: by_name[key] for n, key in names.items()}


#: every class's features: PyRadiomics' name -> the one-engine formula
FORMULAS: dict[str, dict[str, Callable[..., Any]]] = {
    "firstorder": FIRSTORDER_FORMULAS,
    "glcm": GLCM_FORMULAS,
    **{cls: _zone_formulas(cls) for cls in ZONE_FORMULAS},
    "ngtdm": NGTDM_FORMULAS,
    "shape": SHAPE_FORMULAS,
    "shape2D": SHAPE2D_FORMULAS,
}

#: every PyRadiomics feature of the profile, class by class in PyRadiomics' order
FEATURES: dict[str, tuple[FeatureSpec, ...]] = {
    cls: tuple(_spec(cls, n, FORMULAS[cls][n]) for n in sorted(FORMULAS[cls], key=_sort_key))
    for cls in CLASSES
}


def default_features(cls: str) -> tuple[str, ...]:
    """Names PyRadiomics computes for a class when none is named (non-deprecated), in order."""
    return tuple(s.name for s in FEATURES[cls] if s.name not in DEPRECATED.get(cls, ()))


def class_features(cls: str) -> tuple[str, ...]:
    """Every feature name of a class that the profile computes (also those computed only
    when named, such as shape2D's SphericalDisproportion)."""
    return tuple(s.name for s in FEATURES[cls])


def compute_class(
    cls: str,
    *,
    values: np.ndarray,
    levels: np.ndarray | None,
    mask: np.ndarray,
    spacing: Sequence[float],
    options: PyradiomicsTextureOptions,
    names: Sequence[str] | None = None,
    shared: dict[Any, Any] | None = None,
) -> list[FeatureValue]:
    """Features of one PyRadiomics class on one (cropped) ROI.

    Parameters
    ----------
    cls : str
        One of :data:`CLASSES`.
    values : ndarray of float
        Intensities of the ROI voxels (firstorder).
    levels : ndarray of int (z, y, x) or None
        Grey levels (PyRadiomics' binning) inside ``mask``, 0 outside; None for shape.
    mask : ndarray of bool (z, y, x)
        The ROI, cropped to its bounding box; for ``shape2D`` the planar ROI (rows, cols).
    spacing : (z, y, x) mm; for ``shape2D`` (rows, cols)
    options : PyradiomicsTextureOptions
    names : sequence of str or None
        Features wanted, in output order (default: every feature of the class).
    shared : dict or None
        A store the caller keeps for one image (the same ``levels`` and ``options``) across
        its classes: GLDM and NGTDM then count the neighbours once. None: nothing kept.

    Returns
    -------
    list of FeatureValue
        In the order of ``names`` (PyRadiomics' order by default).
    """
    if cls not in FEATURES:
        raise ValueError(
            f"unknown PyRadiomics feature class {cls!r}; classes: {', '.join(CLASSES)}"
        )
    wanted = list(names) if names else list(default_features(cls))
    if cls == "shape":
        res = _shape(mask, spacing, wanted)
    elif cls == "shape2D":
        res = shape2d_features(mask, spacing, wanted)
    else:
        assert levels is not None
        d = options.force2d_dimension
        if options.force2d and d != 0 and cls != "firstorder":
            # the texture code takes force2D's planes across axis 0: move axis d there
            # (offsets, their weights and the in-plane zones map one to one)
            levels, mask = np.moveaxis(levels, d, 0), np.moveaxis(mask, d, 0)
            spacing = [spacing[d], *(s for k, s in enumerate(spacing) if k != d)]
        present = np.flatnonzero(np.bincount(levels[mask].ravel()))  # sorted levels
        if cls == "firstorder":
            res = _firstorder(values, levels[mask], spacing, options.voxel_array_shift, wanted)
        elif cls == "glcm":
            res = _glcm(levels, present, options, spacing, wanted)
        elif cls == "glrlm":
            res = _glrlm(levels, present, options, spacing, wanted)
        elif cls == "glszm":
            res = _glszm(levels, present, options, wanted)
        elif cls == "gldm":
            res = _gldm(levels, present, options, wanted, shared)
        else:
            res = _ngtdm(levels, present, options, wanted, shared)
    specs = {s.name: s for s in FEATURES[cls]}
    return [FeatureValue(specs[n], float(res[n])) for n in wanted]
