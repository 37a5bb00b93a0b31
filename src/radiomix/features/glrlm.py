"""Grey level run length matrix (GLRLM) features (IBSI 1, matrix code TP0I).

A run is a maximal sequence of ROI voxels with the same grey level, consecutive along one
direction (one of the 13 unique 3D directions, or the 4 in-plane ones for 2D and 2.5D).
The GLRLM element :math:`r_{ij}` counts the runs of grey level :math:`i` and length
:math:`j` along the direction. With :math:`N_s = \\sum_{ij} r_{ij}` runs, the marginals
:math:`r_{i.} = \\sum_j r_{ij}` and :math:`r_{.j} = \\sum_i r_{ij}`,
:math:`p_{ij} = r_{ij} / N_s`, and :math:`N_v` the number of ROI voxels, the 16 features
follow. When matrices are merged (``*_comb``, ``2_5D_*``), :math:`N_v` is the sum of the
voxel counts of the merged matrices, as IBSI 1 specifies for the run percentage.

The matrix is the zone families' :class:`radiomix.features._zone_matrix.ZoneMatrix`, with
run length as column and runs as zones. Runs are counted by a numba kernel
(:func:`radiomix.features._kernels_glrlm.run_length_counts`) or its NumPy twin
(:func:`radiomix.features._kernels_numpy.run_length_counts`): :func:`run_matrices`.

Aggregation (see :mod:`radiomix.features._texture`): ``2D_avg``, ``2D_comb``, ``2_5D_avg``,
``2_5D_comb``, ``3D_avg``, ``3D_comb``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from radiomix.features._base import FeatureSpec, FeatureValue, values_from
from radiomix.features._texture import (
    DIRECTIONAL_AGGREGATIONS,
    SPATIAL_METHODS,
    aggregate_directional,
    lattice_lines,
    unique_integers,
    use_numba_kernels,
)
from radiomix.features._zone_matrix import ZoneMatrix
from radiomix.features.glszm import check_inputs, crop_box

__all__ = [
    "FEATURES",
    "build_matrices",
    "compute",
    "directions_with_lines",
    "evaluate",
    "run_matrices",
]

RunMatrix = ZoneMatrix  # rows: grey level i, columns: run length j, n_zones: runs N_s


def run_matrices(
    levels: np.ndarray,
    offsets: np.ndarray,
    n_levels: int,
    *,
    empty_single_voxel_lines: bool = False,
    numba: bool | None = None,
    log_epsilon: float = 0.0,
) -> RunMatrix:
    """The GLRLMs of a ROI, one per direction: a batch of ``len(offsets)`` matrices.

    Parameters
    ----------
    levels : ndarray of int, (z, y, x)
        Grey levels 1..``n_levels`` inside the ROI, 0 outside.
    offsets : ndarray of int, (A, 3)
        Unit directions in (z, y, x).
    n_levels : int
        Number of grey levels.
    empty_single_voxel_lines : bool
        False (IBSI): every run counts. True (PyRadiomics 3.0.1's C code): a direction
        along which no line holds two ROI voxels (:func:`directions_with_lines`) is emptied
        (no runs, :math:`N_v = 0`), so that it drops out of an average and adds nothing to
        a weighted sum.
    numba : bool or None
        Count with the numba kernel (:mod:`._kernels_glrlm`) or the NumPy one; the same
        counts, bit for bit, only the time differs. None: by the box size
        (:func:`radiomix.features._texture.use_numba_kernels`).
    log_epsilon : float
        The matrices' entropy epsilon (:class:`ZoneMatrix`).

    Returns
    -------
    ZoneMatrix
        Rows: the grey levels with runs, columns: the run lengths that occur; each matrix
        carries the ROI voxel count :math:`N_v` of ``levels``.
    """
    if use_numba_kernels(levels.size) if numba is None else numba:
        # the numba kernels load on first use: importing the formulas starts no compiler
        from radiomix.features._kernels_glrlm import run_length_counts
    else:
        from radiomix.features._kernels_numpy import run_length_counts
    counts = run_length_counts(levels, offsets, n_levels)  # (direction, level, length)
    n_voxels = np.full(len(counts), float(np.count_nonzero(levels > 0)))
    if empty_single_voxel_lines:
        longer = np.asarray(counts[:, :, 2:].any(axis=(1, 2)))  # a run of two: a line of two
        empty = ~directions_with_lines(levels > 0, offsets, known=longer)
        counts[empty] = 0
        n_voxels[empty] = 0.0
    return ZoneMatrix.from_dense(
        counts[:, 1:, 1:],
        np.arange(1, counts.shape[1]),
        np.arange(1, counts.shape[2]),
        n_voxels,
        log_epsilon=log_epsilon,
    )


def build_matrices(levels: np.ndarray, offsets: np.ndarray, n_levels: int) -> list[RunMatrix]:
    """One GLRLM per direction of ``offsets`` (IBSI): :func:`run_matrices` (numba kernel)
    as a list of matrices of one."""
    return run_matrices(levels, offsets, n_levels, numba=True).split()


def directions_with_lines(
    roi: np.ndarray, offsets: np.ndarray, known: np.ndarray | None = None
) -> np.ndarray:
    """Whether some lattice line along each direction of ``offsets`` holds two ROI voxels
    (not necessarily adjacent): (n_offsets,) bool.

    PyRadiomics 3.0.1 empties a direction without such a line (its C code takes the ROI as
    flat along it and drops the direction from the average): the ``pyradiomics`` profile's
    switch ``empty_single_voxel_lines``. IBSI counts the runs of length 1 there too.
    ``known`` marks directions already known to have one (a run longer than one voxel):
    only the others are searched.
    """
    out = np.zeros(len(offsets), dtype=bool) if known is None else np.asarray(known, bool).copy()
    if out.all():
        return out
    pts = np.argwhere(roi)
    if len(pts) < 2:
        return out
    for k, off in enumerate(np.asarray(offsets, dtype=np.int64)):
        if out[k]:
            continue
        key, _ = lattice_lines(pts, off)
        out[k] = len(unique_integers(key)) < len(key)
    return out


# --------------------------------------------------------------------------- formulas


def short_runs_emphasis(m: RunMatrix) -> np.ndarray:
    """Short runs emphasis (IBSI 22OV).

    .. math::

        F_{rlm.sre} = \\frac{1}{N_s} \\sum_{j=1}^{N_r} \\frac{r_{.j}}{j^2}
    """
    return m.emphasis(0, -2)


def long_runs_emphasis(m: RunMatrix) -> np.ndarray:
    """Long runs emphasis (IBSI W4KF).

    .. math::

        F_{rlm.lre} = \\frac{1}{N_s} \\sum_{j=1}^{N_r} j^2 r_{.j}
    """
    return m.emphasis(0, 2)


def low_grey_level_run_emphasis(m: RunMatrix) -> np.ndarray:
    """Low grey level run emphasis (IBSI V3SW).

    .. math::

        F_{rlm.lgre} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} \\frac{r_{i.}}{i^2}
    """
    return m.emphasis(-2, 0)


def high_grey_level_run_emphasis(m: RunMatrix) -> np.ndarray:
    """High grey level run emphasis (IBSI G3QZ).

    .. math::

        F_{rlm.hgre} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} i^2 r_{i.}
    """
    return m.emphasis(2, 0)


def short_run_low_grey_level_emphasis(m: RunMatrix) -> np.ndarray:
    """Short run low grey level emphasis (IBSI HTZT).

    .. math::

        F_{rlm.srlge} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_r}
        \\frac{r_{ij}}{i^2 j^2}
    """
    return m.emphasis(-2, -2)


def short_run_high_grey_level_emphasis(m: RunMatrix) -> np.ndarray:
    """Short run high grey level emphasis (IBSI GD3A).

    .. math::

        F_{rlm.srhge} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_r}
        \\frac{i^2 r_{ij}}{j^2}
    """
    return m.emphasis(2, -2)


def long_run_low_grey_level_emphasis(m: RunMatrix) -> np.ndarray:
    """Long run low grey level emphasis (IBSI IVPO).

    .. math::

        F_{rlm.lrlge} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_r}
        \\frac{j^2 r_{ij}}{i^2}
    """
    return m.emphasis(-2, 2)


def long_run_high_grey_level_emphasis(m: RunMatrix) -> np.ndarray:
    """Long run high grey level emphasis (IBSI 3KUM).

    .. math::

        F_{rlm.lrhge} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_r} i^2 j^2 r_{ij}
    """
    return m.emphasis(2, 2)


def grey_level_non_uniformity(m: RunMatrix) -> np.ndarray:
    """Grey level non-uniformity (IBSI R5YN).

    .. math::

        F_{rlm.glnu} = \\frac{1}{N_s} \\sum_{i=1}^{N_g} r_{i.}^2
    """
    return m.row_non_uniformity(normalised=False)


def grey_level_non_uniformity_norm(m: RunMatrix) -> np.ndarray:
    """Normalised grey level non-uniformity (IBSI OVBL).

    .. math::

        F_{rlm.glnu.norm} = \\frac{1}{N_s^2} \\sum_{i=1}^{N_g} r_{i.}^2
    """
    return m.row_non_uniformity(normalised=True)


def run_length_non_uniformity(m: RunMatrix) -> np.ndarray:
    """Run length non-uniformity (IBSI W92Y).

    .. math::

        F_{rlm.rlnu} = \\frac{1}{N_s} \\sum_{j=1}^{N_r} r_{.j}^2
    """
    return m.col_non_uniformity(normalised=False)


def run_length_non_uniformity_norm(m: RunMatrix) -> np.ndarray:
    """Normalised run length non-uniformity (IBSI IC23).

    .. math::

        F_{rlm.rlnu.norm} = \\frac{1}{N_s^2} \\sum_{j=1}^{N_r} r_{.j}^2
    """
    return m.col_non_uniformity(normalised=True)


def run_percentage(m: RunMatrix) -> np.ndarray:
    """Run percentage (IBSI 9ZK5).

    .. math::

        F_{rlm.r.perc} = \\frac{N_s}{N_v}

    For merged matrices :math:`N_v` is the sum of the voxel counts of the merged matrices.
    """
    return m.zone_percentage()


def grey_level_variance(m: RunMatrix) -> np.ndarray:
    """Grey level variance (IBSI 8CE5).

    .. math::

        F_{rlm.gl.var} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_r} (i - \\mu)^2 p_{ij},
        \\quad \\mu = \\sum_{i}\\sum_{j} i\\, p_{ij}
    """
    return m.row_variance()


def run_length_variance(m: RunMatrix) -> np.ndarray:
    """Run length variance (IBSI SXLW).

    .. math::

        F_{rlm.rl.var} = \\sum_{i=1}^{N_g} \\sum_{j=1}^{N_r} (j - \\mu)^2 p_{ij},
        \\quad \\mu = \\sum_{i}\\sum_{j} j\\, p_{ij}
    """
    return m.col_variance()


def run_entropy(m: RunMatrix) -> np.ndarray:
    """Run entropy (IBSI HJ9O).

    .. math::

        F_{rlm.rl.entr} = -\\sum_{i=1}^{N_g} \\sum_{j=1}^{N_r} p_{ij} \\log_2 p_{ij}
    """
    return m.entropy()


def _spec(name: str, code: str, fn: Callable[[RunMatrix], np.ndarray]) -> FeatureSpec:
    return FeatureSpec(
        name=name, family="glrlm", ibsi_code=code, ibsi_tag=f"rlm_{name}", compute=fn
    )


FEATURES: tuple[FeatureSpec, ...] = (
    _spec("sre", "22OV", short_runs_emphasis),
    _spec("lre", "W4KF", long_runs_emphasis),
    _spec("lgre", "V3SW", low_grey_level_run_emphasis),
    _spec("hgre", "G3QZ", high_grey_level_run_emphasis),
    _spec("srlge", "HTZT", short_run_low_grey_level_emphasis),
    _spec("srhge", "GD3A", short_run_high_grey_level_emphasis),
    _spec("lrlge", "IVPO", long_run_low_grey_level_emphasis),
    _spec("lrhge", "3KUM", long_run_high_grey_level_emphasis),
    _spec("glnu", "R5YN", grey_level_non_uniformity),
    _spec("glnu_norm", "OVBL", grey_level_non_uniformity_norm),
    _spec("rlnu", "W92Y", run_length_non_uniformity),
    _spec("rlnu_norm", "IC23", run_length_non_uniformity_norm),
    _spec("r_perc", "9ZK5", run_percentage),
    _spec("gl_var", "8CE5", grey_level_variance),
    _spec("rl_var", "SXLW", run_length_variance),
    _spec("rl_entr", "HJ9O", run_entropy),
)


def evaluate(m: RunMatrix) -> dict[str, float]:
    """All features of a batch of one matrix, by name (NaN for an empty matrix)."""
    return {spec.name: float(spec.compute(m)[0]) for spec in FEATURES}


# --------------------------------------------------------------------------- entry point


def compute(
    levels: np.ndarray, n_levels: int, *, spatial: Sequence[str] = ("3D",)
) -> list[FeatureValue]:
    """GLRLM features of a discretised ROI.

    Parameters
    ----------
    levels : ndarray of int, (z, y, x)
        Grey levels 1..``n_levels`` inside the ROI, 0 outside.
    n_levels : int
        Number of grey levels.
    spatial : sequence of {"2D", "2.5D", "3D"}
        Aggregations to compute: ``2D_avg``/``2D_comb``, ``2_5D_avg``/``2_5D_comb``,
        ``3D_avg``/``3D_comb``.

    Returns
    -------
    list of FeatureValue
        Per requested aggregation (in the order 2D, 2.5D, 3D; average before combined), the
        features in registry order. NaN for an empty ROI.
    """
    check_inputs(levels, n_levels, spatial)
    n_levels = int(n_levels)
    box = crop_box(levels > 0)
    lv = (
        np.ascontiguousarray(levels[box], dtype=np.int64)
        if box is not None
        else np.zeros((0, 0, 0), dtype=np.int64)
    )

    def build(part: np.ndarray, offsets: np.ndarray) -> list[RunMatrix]:
        return build_matrices(part, offsets, n_levels)

    results = (
        aggregate_directional(lv, tuple(spatial), build, ZoneMatrix.merged, evaluate)
        if lv.size
        else {}
    )
    nan = evaluate(ZoneMatrix.empty())
    out: list[FeatureValue] = []
    for method in SPATIAL_METHODS:
        if method in spatial:
            for agg in DIRECTIONAL_AGGREGATIONS[method]:
                out += values_from(FEATURES, results.get(agg) or nan, agg)
    return out
