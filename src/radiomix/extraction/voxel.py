"""Voxel-based feature maps: the engine's formulas on the kernel around every ROI voxel, one
loop for both profiles.

The *kernel* of a ROI voxel :math:`\\mathbf{c}` is the box :math:`[\\mathbf{c} - R,
\\mathbf{c} + R]` clipped to the array (one voxel thick along a ``plane`` axis,
PyRadiomics' force2D); its voxels with a grey level in the :class:`KernelGrid` take part.
:func:`kernel_maps` maps one family over every kernel: centres in chunks sized for memory
(and PyRadiomics' batches within), each chunk's boxes (``_kernels_numpy.kernel_boxes``) or
texture matrices (:mod:`radiomix.features._kernels_voxel`, numba, loaded on first use; small
maps' GLCMs with NumPy, ``_kernels_numpy.kernel_cooccurrence_entries``, so that such a
process never loads numba), the family's formulas on the chunk as a batch
(``IntensitySample``, ``GreyLevelHistogram``, ``CooccurrenceMatrix``, ``ZoneMatrix``,
``NGTDMatrix``, as for a ROI, a batch of one), the values filled into one array per map.
Where the profiles differ, :class:`MapSwitches` names the switch (the ROI path's, table in
docs/pyradiomics-profile.md); :class:`BatchFormula` lets a formula read a whole batch
(PyRadiomics' JointAverage and MCC, :mod:`radiomix.features.pyradiomics_voxel`).

The ``ibsi`` profile's maps (:func:`voxel_maps`): the case goes through the IBSI image
processing chain once (:func:`pipeline.prepare_roi`), the kernels' voxels are those of the
intensity mask, the rows the grey levels 1..N_g, so a map's value at a voxel equals the ROI
feature of that kernel. Families with maps: ``statistics``, ``histogram``, ``glcm`` and
``glrlm`` (``*_avg`` and ``*_comb``), ``glszm``, ``ngtdm`` and ``ngldm`` (distances and
NGLDM coarseness from ``texture``), per aggregation of ``texture.spatial``: a 3D kernel is
the box around the voxel, a 2D or 2.5D one the in-plane square of its slice (axis 0, as
segment mode slices) with in-plane neighbours; a kernel has one slice, so its 2.5D maps
(slices merged) equal its 2D ones. Statistics and histogram kernels are boxes, or squares
where ``texture.spatial`` has no 3D. The configuration's ``filters`` run on the image as in
segment mode (:mod:`radiomix.extraction.filtered`) and each response map gets the maps of
``response_maps.families`` (its own discretisation), named ``<image type>_<family>_...``.
Morphology and the GLDZM describe the ROI's shape, local intensity is a neighbourhood
feature already, and the IVH needs the ROI's whole histogram: none has a per-kernel
meaning. A map is a :class:`~radiomix.io.Volume` on the prepared ROI's grid (cropped to the
ROI box plus margin), NaN outside the intensity mask. The ``pyradiomics`` profile's:
:mod:`radiomix.extraction.profile_pyradiomics_voxel`.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

from radiomix._lazy import lazy_module
from radiomix.errors import ConfigError
from radiomix.extraction.records import PreparedRoi
from radiomix.extraction.settings import ExtractionSettings, FeatureSettings
from radiomix.features import family_module, glcm, histogram, ngtdm, statistics
from radiomix.features._base import FeatureSpec, FeatureValue
from radiomix.features._kernels_numpy import kernel_boxes, kernel_cooccurrence_entries
from radiomix.features._texture import (
    DIRECTIONAL_AGGREGATIONS,
    SPATIAL_METHODS,
    ZONE_AGGREGATIONS,
    angle_weights,
    nanmean_last,
    neighbour_offsets,
)
from radiomix.features._zone_matrix import ZoneMatrix
from radiomix.io import Volume

__all__ = [
    "VOXEL_FAMILIES",
    "BatchFormula",
    "KernelGrid",
    "MapKey",
    "MapSwitches",
    "kernel_maps",
    "kernel_offsets",
    "map_keys",
    "map_names",
    "voxel_case",
    "voxel_maps",
    "voxel_settings",
]

#: the engine families with a per-kernel meaning (module notes)
VOXEL_FAMILIES = ("statistics", "histogram", "glcm", "glrlm", "glszm", "ngtdm", "ngldm")

#: work chunk: about this many float64 elements per kernel matrix stack
_CHUNK_ELEMENTS = 4_000_000

#: voxel GLCMs of at most this many kernel pair memberships (kernels x box voxels x
#: directions) are counted with NumPy where no dense matrix is needed: below it, loading
#: numba's kernel costs more than the NumPy counting (brain1 with exampleVoxel.yaml: 0.4
#: million)
GLCM_NUMPY_UP_TO = 2_000_000

_kernels = lazy_module("radiomix.features._kernels_voxel")  # numba: ~0.5 s to load


# --------------------------------------------------------------------------- the loop's inputs


@dataclasses.dataclass(frozen=True)
class KernelGrid:
    """The arrays the kernels read (a ROI's crop after discretisation): ``values``
    intensities (z, y, x), NaN where a voxel takes no part; ``levels`` their grey levels,
    0 there; ``rows`` the sorted grey levels that are the matrices' rows (IBSI 1..N_g,
    PyRadiomics the levels present); ``n_levels`` :math:`N_g` of the formulas (IBSI the
    discretisation's, PyRadiomics the highest present); ``radius`` :math:`R`; ``plane`` the
    axis along which the kernels are one voxel thick, or -1; ``spacing`` (z, y, x) mm."""

    values: np.ndarray
    levels: np.ndarray
    rows: np.ndarray
    n_levels: int
    radius: int
    plane: int = -1
    spacing: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def remap(self) -> np.ndarray:
        """Matrix row of each grey level (``remap[level]``)."""
        out = np.zeros(int(self.rows.max()) + 1, dtype=np.int64)
        out[self.rows] = np.arange(len(self.rows))
        return out

    @property
    def box_voxels(self) -> int:
        return (2 * self.radius + 1) ** (2 if self.plane >= 0 else 3)


@dataclasses.dataclass(frozen=True)
class MapSwitches:
    """How the kernels' matrices are counted and the maps formed: the ROI path's switches,
    per kernel. Defaults are the ``ibsi`` profile's, PyRadiomics' in brackets.

    - ``distances``: of the GLCM, NGTDM, NGLDM neighbours [``distances``];
    - ``every_offset``: False, one matrix set per distance :math:`\\delta` (maps named
      ``d2``, ...), GLCM offsets :math:`\\delta \\mathbf{u}`, NGTDM / NGLDM neighbours
      the Chebyshev ball of radius :math:`\\delta`; [True: PyRadiomics' angles, one set
      of every offset whose Chebyshev norm is a distance, none as long as the array];
    - ``symmetric`` [``symmetricalGLCM``], ``glcm_conventions`` [``glcm.PYRADIOMICS``];
    - ``combined``: GLCM / GLRLM ``3D_comb`` maps beside ``3D_avg`` [False];
    - ``weighting_norm``: [``weightingNorm``: a kernel's directional matrices summed with
      :func:`~radiomix.features._texture.angle_weights`];
    - ``empty_single_voxel_lines`` (GLRLM) [True], ``count_isolated``,
      ``coarseness_floor`` (NGTDM) [True, 0], ``log_epsilon`` (zone matrices' entropy),
      ``histogram_epsilon`` [``np.spacing(1)`` both], ``ngldm_alpha`` [``gldm_a``],
      ``shift`` [``voxelArrayShift``], ``excess_kurtosis`` [False];
    - ``batch``: kernels evaluated together, -1 all; only a :class:`BatchFormula` sees it
      [``voxelBatch``];
    - ``init_value``: where no kernel was evaluated (outside the ROI; a batch where a
      :class:`BatchFormula` fails) [``initValue``].
    """

    distances: tuple[int, ...] = (1,)
    every_offset: bool = False
    symmetric: bool = True
    glcm_conventions: glcm.GlcmConventions = glcm.IBSI
    combined: bool = True
    weighting_norm: str | None = None
    empty_single_voxel_lines: bool = False
    count_isolated: bool = False
    coarseness_floor: float = 1.0 / ngtdm.COARSENESS_CAP
    log_epsilon: float = 0.0
    ngldm_alpha: float = 0.0
    shift: float = 0.0
    excess_kurtosis: bool = True
    histogram_epsilon: float = 0.0
    batch: int = -1
    init_value: float = float("nan")


@runtime_checkable
class BatchFormula(Protocol):
    """A GLCM formula whose value at a kernel depends on the other kernels of its batch
    (``MapSwitches.batch``): :meth:`pieces` of each chunk's per-direction matrices (``m``
    a batch of A x n matrices, direction-major; ``dense`` their dense counts (A * n, G, G)
    where ``needs_dense``, else None), :meth:`finish` of a batch's pieces, in order: its
    values, or None where the formula fails for the batch (its voxels keep
    ``init_value``)."""

    needs_dense: bool

    def pieces(self, m: glcm.CooccurrenceMatrix, dense: np.ndarray | None, n: int) -> Any: ...

    def finish(self, pieces: list[Any]) -> np.ndarray | None: ...


Formula = Callable[[Any], np.ndarray] | BatchFormula


class MapKey(NamedTuple):
    """One map of a family: ``feature`` (the formula's name in the caller's table),
    ``combined`` (``3D_comb``: the directions' matrices merged; else per direction and
    averaged, or non-directional), ``distance`` (the distance of a per-distance matrix set;
    None: one set for every distance, or no neighbours)."""

    feature: str
    combined: bool = False
    distance: int | None = None


# --------------------------------------------------------------------------- neighbours


def kernel_offsets(
    family: str, shape: Sequence[int], plane: int, switches: MapSwitches
) -> list[tuple[int | None, np.ndarray]]:
    """The neighbour offsets of ``family`` on an array of ``shape``: ``(distance, offsets)``
    per matrix set (:class:`MapSwitches`: ``every_offset``, ``distances``); none along
    ``plane``. GLCM and GLRLM take one of each opposite pair (a matrix per direction), the
    others both signs (a voxel's neighbours)."""
    ds = tuple(int(d) for d in switches.distances)
    if family in ("statistics", "histogram"):
        return []
    sets: list[tuple[int | None, np.ndarray]]
    if family in ("glrlm", "glszm"):
        sets = [(None, neighbour_offsets((1,), False))]
    elif switches.every_offset:
        sets = [(None, neighbour_offsets(ds, False, every_offset=True))]
    elif family == "glcm":
        sets = [(d, neighbour_offsets((d,), False)) for d in ds]
    else:  # NGTDM, NGLDM: the Chebyshev ball of radius d
        sets = [(d, neighbour_offsets(range(1, d + 1), False, every_offset=True)) for d in ds]
    out: list[tuple[int | None, np.ndarray]] = []
    for d, off in sets:
        if plane >= 0:
            off = off[off[:, plane] == 0]
        if switches.every_offset:  # PyRadiomics' angles: none longer than the array
            off = off[np.all(np.abs(off) < np.asarray(shape), axis=1)]
        out.append((d, off if family in ("glcm", "glrlm") else np.concatenate([off, -off])))
    return out


def map_keys(family: str, names: Sequence[str], switches: MapSwitches) -> list[MapKey]:
    """The maps :func:`kernel_maps` gives for ``family`` and the formulas ``names``, in
    order: per distance set (GLCM, NGTDM, NGLDM without ``every_offset``), per aggregation
    (``3D_avg`` then ``3D_comb`` for GLCM and GLRLM with ``combined``), per formula."""
    per_distance = family in ("glcm", "ngtdm", "ngldm") and not switches.every_offset
    sets: Sequence[int | None] = switches.distances if per_distance else (None,)
    merged = (False, True) if family in ("glcm", "glrlm") and switches.combined else (False,)
    return [MapKey(n, c, d) for d in sets for c in merged for n in names]


# --------------------------------------------------------------------------- the loop


class _Formulas(NamedTuple):
    """A family's formulas: per kernel, and those reading a whole batch."""

    plain: dict[str, Callable[[Any], np.ndarray]]
    batch: dict[str, BatchFormula]


def _chunk(family: str, grid: KernelGrid, n_offsets: int) -> int:
    """Kernels per work chunk: about :data:`_CHUNK_ELEMENTS` matrix elements."""
    g, k = len(grid.rows), grid.box_voxels
    per = {
        "glcm": g * g * max(n_offsets, 1),
        "glrlm": g * (2 * grid.radius + 1) * 13,
        "statistics": k,
        "histogram": k + g,
    }.get(family, g * max(k, 27))
    return max(1, _CHUNK_ELEMENTS // max(per, 1))


def _sparse_glcm(
    grid: KernelGrid,
    n_kernels: int,
    n_offsets: int,
    formulas: Mapping[str, Formula],
    sw: MapSwitches,
) -> bool:
    """Whether the GLCM counts take the NumPy counter: small work, and no dense matrices
    needed (no ``weighting_norm``, no ``combined``, no batch formula that needs them)."""
    if sw.weighting_norm is not None or sw.combined:
        return False
    if any(isinstance(f, BatchFormula) and f.needs_dense for f in formulas.values()):
        return False
    return n_kernels * grid.box_voxels * max(n_offsets, 1) <= GLCM_NUMPY_UP_TO


def kernel_maps(
    family: str,
    grid: KernelGrid,
    centres: np.ndarray,
    formulas: Mapping[str, Formula],
    switches: MapSwitches,
) -> dict[MapKey, np.ndarray]:
    """Maps of one of :data:`VOXEL_FAMILIES` over the kernels around ``centres`` (n, 3):
    ``{key: array of the grid's shape}`` (keys as :func:`map_keys`), the value of each
    formula of ``formulas`` (map feature name -> the engine formula on the family's matrix
    object, or a :class:`BatchFormula`) at the centres, ``switches.init_value`` elsewhere;
    none without centres."""
    if family not in VOXEL_FAMILIES:
        raise ValueError(f"{family!r} has no voxel maps; families: {', '.join(VOXEL_FAMILIES)}")
    shape = grid.levels.shape
    sets = kernel_offsets(family, shape, grid.plane, switches)
    n_c, n_off = len(centres), max((len(o) for _, o in sets), default=0)
    step = _chunk(family, grid, n_off)
    size = n_c if switches.batch < 0 else int(switches.batch)
    fs = _Formulas({}, {})
    for name, f in formulas.items():  # (a protocol's isinstance is slow: once here)
        if isinstance(f, BatchFormula):
            fs.batch[name] = f
        else:
            fs.plain[name] = f
    if fs.batch and family != "glcm":
        raise ValueError(f"batch formulas are GLCM ones, not {family}'s: {sorted(fs.batch)}")
    sparse = family == "glcm" and _sparse_glcm(grid, n_c, n_off, formulas, switches)
    remap = grid.remap()
    hold: list[Any] = []
    maps: dict[MapKey, np.ndarray] = {}
    with np.errstate(all="ignore"), warnings.catch_warnings():  # NaN, as the ROI formulas
        warnings.simplefilter("ignore", RuntimeWarning)
        for b0 in range(0, n_c, max(size, 1)):
            bc = centres[b0 : b0 + size]
            parts: dict[MapKey, list[Any]] = {}
            for c0 in range(0, len(bc), step):
                cc = bc[c0 : c0 + step]
                for key, v in _evaluate(family, grid, cc, remap, fs, switches, sets, sparse, hold):
                    parts.setdefault(key, []).append(v)
            idx = (bc[:, 0], bc[:, 1], bc[:, 2])
            for key, vs in parts.items():
                batch = fs.batch.get(key.feature)
                values = np.concatenate(vs) if batch is None else batch.finish(vs)
                if values is None:
                    continue  # failed for this batch: its voxels keep init_value
                if key not in maps:
                    maps[key] = np.full(shape, float(switches.init_value))
                maps[key][idx] = values
    return maps


def _plain(fs: _Formulas, m: object, distance: int | None = None) -> Iterator[tuple[MapKey, Any]]:
    for name, f in fs.plain.items():
        yield MapKey(name, False, distance), np.asarray(f(m), dtype=np.float64)


def _directional(
    fs: _Formulas,
    build: Callable[[np.ndarray], Any],
    by_angle: np.ndarray,
    distance: int | None,
    combined: bool,
) -> Iterator[tuple[MapKey, Any]]:
    """Maps of per-direction matrices (A, n, ...) of n kernels: per direction, averaged
    over the non-empty ones (``3D_avg``), and with ``combined`` of the directions merged
    (``3D_comb``)."""
    n_a, n = by_angle.shape[:2]
    dense = by_angle.reshape(n_a * n, *by_angle.shape[2:])  # matrix a * n + v
    yield from _per_direction(fs, build(dense), dense, n, distance)
    if combined:
        m = build(by_angle.sum(axis=0))
        for name, f in fs.plain.items():
            yield MapKey(name, True, distance), np.asarray(f(m), dtype=np.float64)


def _per_direction(
    fs: _Formulas,
    m: Any,
    dense: np.ndarray | None,
    n: int,
    distance: int | None,
) -> Iterator[tuple[MapKey, Any]]:
    for name, f in fs.plain.items():
        per_direction = np.asarray(f(m), dtype=np.float64).reshape(-1, n).T
        yield MapKey(name, False, distance), nanmean_last(per_direction)
    for name, b in fs.batch.items():
        yield MapKey(name, False, distance), b.pieces(m, dense, n)


def _weighted(
    by_angle: np.ndarray, offsets: np.ndarray, grid: KernelGrid, sw: MapSwitches, cooc: bool
) -> np.ndarray:
    """Per-direction matrices (A, n, ...), or with ``weighting_norm`` their weighted sum
    (1, n, ...), summed as one dot product per element over its A directions (a
    direction-innermost copy: the summation order the profile's values have always had)."""
    if sw.weighting_norm is None:
        return by_angle
    w = angle_weights(offsets, grid.spacing, sw.weighting_norm, glcm=cooc)
    per_element = np.asfortranarray(by_angle.reshape(len(w), -1))  # (A, elements)
    return np.dot(w.reshape(1, -1), per_element).reshape(1, *by_angle.shape[1:])


def _held(hold: list[Any], counts: np.ndarray) -> np.ndarray:
    """``counts``, kept in ``hold`` until the next chunk's are counted. Freed before those
    are allocated, a chunk's arrays go back to the system and the next chunk's fault their
    pages in again (glibc's malloc: 2-4x the page faults, about 5 % more CPU time on
    lung2's texture maps)."""
    hold[:] = [counts]
    return counts


def _evaluate(
    family: str,
    grid: KernelGrid,
    cc: np.ndarray,
    remap: np.ndarray,
    fs: _Formulas,
    sw: MapSwitches,
    sets: list[tuple[int | None, np.ndarray]],
    sparse: bool,
    hold: list[Any],
) -> Iterator[tuple[MapKey, Any]]:
    """(map key, values or a batch formula's pieces) of one family for one chunk of kernels
    (``hold``: :func:`_held`)."""
    n, g, r, plane = len(cc), len(grid.rows), grid.radius, grid.plane
    kv = _kernels
    if family == "statistics":
        x = _held(hold, kernel_boxes(grid.values, cc, r, plane, np.nan))
        volume = float(np.prod(grid.spacing))
        sample = statistics.IntensitySample(
            x, shift=sw.shift, voxel_volume=volume, excess_kurtosis=sw.excess_kurtosis
        )
        yield from _plain(fs, sample)
    elif family == "histogram":
        lv = _held(hold, kernel_boxes(grid.levels, cc, r, plane, 0))
        rows = np.repeat(np.arange(n), lv.shape[1])
        flat = lv.ravel()
        keep = flat > 0
        per_level = np.bincount(rows[keep] * g + remap[flat[keep]], minlength=n * g)
        hist = histogram.GreyLevelHistogram(
            per_level.reshape(n, g).astype(np.float64), epsilon=sw.histogram_epsilon
        )
        yield from _plain(fs, hist)
    elif family == "glcm":
        for d, offs in sets:
            if sparse:
                b, i, j, cnt = kernel_cooccurrence_entries(
                    grid.levels, remap, cc, r, plane, offs, g, symmetric=sw.symmetric
                )
                lv_f = grid.rows.astype(np.float64)
                m = glcm.CooccurrenceMatrix(
                    b, lv_f[i], lv_f[j], cnt, grid.n_levels, len(offs) * n, sw.glcm_conventions
                )
                yield from _per_direction(fs, m, None, n, d)
                continue
            counts = kv.kernel_glcm(
                grid.levels, remap, cc, r, plane, offs, g, symmetric=sw.symmetric
            )  # (A, n, G, G)
            by_angle = _weighted(_held(hold, counts), offs, grid, sw, True)

            def build(c: np.ndarray) -> glcm.CooccurrenceMatrix:
                return glcm.CooccurrenceMatrix.from_dense(
                    c, grid.rows, grid.n_levels, sw.glcm_conventions
                )

            yield from _directional(fs, build, by_angle, d, sw.combined)
    elif family == "glrlm":
        (_, offs) = sets[0]
        counts = kv.kernel_glrlm(
            grid.levels, remap, cc, r, plane, offs, g, empty_single=sw.empty_single_voxel_lines
        )  # (A, n, G, Nr)
        by_angle = _weighted(_held(hold, counts), offs, grid, sw, False)
        lengths = np.arange(1, counts.shape[3] + 1, dtype=np.float64)

        def build_runs(c: np.ndarray) -> ZoneMatrix:
            return ZoneMatrix.from_dense(
                c, grid.rows, lengths, c.sum(axis=1) @ lengths, log_epsilon=sw.log_epsilon
            )

        yield from _directional(fs, build_runs, by_angle, None, sw.combined)
    elif family == "glszm":
        counts = _held(hold, kv.kernel_glszm(grid.levels, remap, cc, r, plane, sets[0][1], g))
        sizes = np.arange(1, counts.shape[2] + 1, dtype=np.float64)
        zones = ZoneMatrix.from_dense(
            counts, grid.rows, sizes, counts.sum(axis=1) @ sizes, log_epsilon=sw.log_epsilon
        )
        yield from _plain(fs, zones)
    else:
        for d, offs in sets:
            if family == "ngtdm":
                nt = _held(
                    hold,
                    kv.kernel_ngtdm(
                        grid.levels, remap, cc, r, plane, offs, g, count_isolated=sw.count_isolated
                    ),
                )
                m_t = ngtdm.NGTDMatrix.from_dense(
                    nt[:, :, 0], nt[:, :, 1], grid.rows, coarseness_floor=sw.coarseness_floor
                )
                yield from _plain(fs, m_t, d)
            else:  # ngldm
                dep = _held(
                    hold, kv.kernel_gldm(grid.levels, remap, cc, r, plane, offs, sw.ngldm_alpha, g)
                )
                deps = np.arange(1, dep.shape[2] + 1, dtype=np.float64)
                m_z = ZoneMatrix.from_dense(
                    dep, grid.rows, deps, dep.sum(axis=(1, 2)), log_epsilon=sw.log_epsilon
                )
                yield from _plain(fs, m_z, d)


# --------------------------------------------------------------------------- the ibsi profile

#: the kernel's plane per IBSI spatial method (:class:`KernelGrid`): 2D and 2.5D kernels
#: are the in-plane square of the voxel's slice (axis 0, the slices of segment mode's 2D
#: and 2.5D matrices), 3D ones the box
_PLANES = {"2D": 0, "2.5D": 0, "3D": -1}


class _MapName(NamedTuple):
    """One map of the ``ibsi`` profile: its name (a wide-table column), the feature, its
    key in :func:`kernel_maps`' answer and the plane of its kernels."""

    name: str
    spec: FeatureSpec
    key: MapKey
    plane: int


def _mapped(families: Sequence[str]) -> list[str]:
    return [f for f in families if f in VOXEL_FAMILIES]


def voxel_settings(
    settings: ExtractionSettings, families: Sequence[str] | None
) -> ExtractionSettings:
    """``settings`` with the families of the maps: ``families`` for the original image
    (where ``features.original``) and every response map of ``filters``; by default those
    of ``features`` and of ``response_maps`` that have maps. An error for a family without
    maps, no family at all, or another profile."""
    if settings.profile != "ibsi":
        raise ConfigError(
            "voxel maps of the ibsi profile need profile: ibsi; the pyradiomics profile's "
            "maps come from its parameter file (radiomix extract --params P.yaml --mode voxel)"
        )
    if families:
        wrong = [f for f in families if f not in VOXEL_FAMILIES]
        if wrong:
            raise ConfigError(
                f"family {wrong[0]!r} has no voxel maps (a ROI-level feature); families with "
                f"maps: {', '.join(VOXEL_FAMILIES)}"
            )
        original, response = list(families), list(families)
    else:
        original = _mapped(settings.features.families)
        response = _mapped(settings.response_maps.families)
    if not settings.features.original:
        original = []
    if not settings.filters:
        response = []
    if not original and not response:
        where = "features.families" + (" or response_maps.families" if settings.filters else "")
        off = "" if settings.features.original else " (features.original is false)"
        raise ConfigError(
            f"no family with voxel maps is configured{off}: name one of "
            f"{', '.join(VOXEL_FAMILIES)} in {where}"
        )
    return dataclasses.replace(
        settings,
        features=FeatureSettings(tuple(original), bool(original)),
        response_maps=dataclasses.replace(settings.response_maps, families=tuple(response)),
    )


def _switches(settings: ExtractionSettings) -> MapSwitches:
    tx = settings.texture
    return MapSwitches(
        distances=tuple(int(d) for d in tx.distance), ngldm_alpha=float(tx.ngldm_coarseness)
    )


def _intensity_plane(settings: ExtractionSettings) -> int:
    """The plane of the statistics and histogram kernels: the box where the texture has a
    3D aggregation, else the in-plane square (a 2D study's kernels stay in their slice)."""
    return -1 if "3D" in settings.texture.spatial else 0


def _named(family: str, settings: ExtractionSettings, image_type: str) -> list[_MapName]:
    """Every map of ``family`` on the image ``image_type`` (``original`` or a filter's),
    named and ordered as segment mode's columns (``original_glcm_joint_max_3d_avg``): per
    distance, per spatial method (2D, 2.5D, 3D of ``texture.spatial``), average before
    combined, per feature."""
    specs = {s.name: s for s in family_module(family).FEATURES}
    keys = map_keys(family, list(specs), _switches(settings))

    def name(key: MapKey, aggregation: str | None) -> str:
        q = [f"d{key.distance}"] if key.distance not in (None, 1) else []
        if family == "ngldm" and settings.texture.ngldm_coarseness:
            q.append(f"a{settings.texture.ngldm_coarseness}")
        value = FeatureValue(specs[key.feature], 0.0, aggregation, "_".join(q))
        return f"{image_type}_{family}_{value.feature_name}"

    if family in ("statistics", "histogram"):
        plane = _intensity_plane(settings)
        return [_MapName(name(k, None), specs[k.feature], k, plane) for k in keys]
    out: list[_MapName] = []
    methods = [m for m in SPATIAL_METHODS if m in settings.texture.spatial]
    for d in dict.fromkeys(k.distance for k in keys):
        for method in methods:
            for k in keys:
                if k.distance != d:
                    continue
                if family in ("glcm", "glrlm"):
                    aggregation = DIRECTIONAL_AGGREGATIONS[method][int(k.combined)]
                else:
                    aggregation = ZONE_AGGREGATIONS[method]
                out.append(_MapName(name(k, aggregation), specs[k.feature], k, _PLANES[method]))
    return out


def _images(settings: ExtractionSettings) -> list[tuple[str, tuple[str, ...]]]:
    """(image type, families) of the maps of ``settings`` (as :func:`voxel_settings`
    leaves them): the original image's, then each response map's in configuration order."""
    out: list[tuple[str, tuple[str, ...]]] = []
    if settings.features.original:
        out.append(("original", settings.features.families))
    if settings.filters and settings.response_maps.families:
        from radiomix.extraction.filtered import configured_filters

        out += [
            (rf.image_type, settings.response_maps.families) for rf in configured_filters(settings)
        ]
    return out


def map_names(settings: ExtractionSettings) -> list[str]:
    """The names of the maps :func:`voxel_maps` writes for ``settings`` (its families, as
    :func:`voxel_settings` leaves them), in order."""
    return [
        m.name
        for image_type, fams in _images(settings)
        for fam in fams
        for m in _named(fam, settings, image_type)
    ]


def voxel_maps(
    image: Volume,
    mask: Volume,
    settings: ExtractionSettings,
    *,
    radius: int = 1,
    families: Sequence[str] | None = None,
) -> dict[str, Volume]:
    """Feature maps of one ROI (``mask`` boolean, on the image grid) with the ``ibsi``
    profile's settings: ``{map name: Volume}``, names as the wide table's columns
    (``original_glcm_joint_max_3d_avg``, ``log_s1_glcm_joint_max_3d_avg``), the original
    image's maps first, then each response map's (``filters``, computed on the whole image
    as in segment mode; families ``response_maps.families``).

    Parameters
    ----------
    radius : int
        Kernel radius :math:`R` in voxels (of the interpolated grid): the kernel of a voxel
        is the box of :math:`(2R + 1)^3` voxels around it, for the 2D and 2.5D
        aggregations (``texture.spatial``) the square of :math:`(2R + 1)^2` voxels around
        it in its slice.
    families : sequence of str, optional
        Families to map, on the original image and every response map (default: those of
        ``features`` and ``response_maps`` that have maps).
    """
    from radiomix.extraction.pipeline import prepare_roi

    if isinstance(radius, bool) or int(radius) != radius or radius < 1:
        raise ConfigError(f"the kernel radius must be a positive integer, got {radius!r}")
    s = voxel_settings(settings, families)
    p = prepare_roi(image, mask, s, {})
    centres = np.argwhere(p.int_mask)
    direction = p.direction if p.direction is not None else np.eye(3)
    out: dict[str, Volume] = {}

    def add(image_type: str, q: PreparedRoi, fams: Sequence[str]) -> None:
        for fam in fams:
            named = _named(fam, s, image_type)
            formulas = {m.key.feature: m.spec.compute for m in named}
            per_plane = {
                plane: kernel_maps(
                    fam, _grid(q, int(radius), plane), centres, formulas, _switches(s)
                )
                for plane in dict.fromkeys(m.plane for m in named)
            }
            for m in named:
                arr = per_plane[m.plane].get(m.key)
                if arr is None:
                    arr = np.full(p.int_mask.shape, np.nan)
                out[m.name] = Volume(arr, spacing=p.spacing, origin=p.origin, direction=direction)

    if s.features.original:
        add("original", p, s.features.families)
    if s.filters and s.response_maps.families:
        from radiomix.extraction.filtered import response_maps, response_roi

        fams = s.response_maps.families
        for image_type, response in response_maps(p, s):
            add(image_type, response_roi(p, image_type, response, s, fams), fams)
    return out


def _grid(p: PreparedRoi, radius: int, plane: int = -1) -> KernelGrid:
    """The IBSI kernels' grid: the intensity mask's voxels, rows 1..N_g."""
    if p.levels is None:  # statistics only: no discretisation
        levels, g = p.int_mask.astype(np.int64), 1
    else:
        levels, g = np.where(p.int_mask, p.levels, 0).astype(np.int64), int(p.n_levels)
    return KernelGrid(
        values=np.where(p.int_mask, p.image, np.nan),
        levels=levels,
        rows=np.arange(1, g + 1),
        n_levels=g,
        radius=radius,
        plane=plane,
        spacing=p.spacing,
    )


def voxel_case(
    settings: ExtractionSettings,
    radius: int,
    image: str,
    mask: str,
    label: str | None,
) -> tuple[int, dict[str, Any]]:
    """One case of ``radiomix extract --mode voxel`` with the ``ibsi`` profile (a
    :data:`radiomix.extraction.batch.VoxelCompute` once ``settings`` and ``radius`` are
    bound): the label mapped (``label``; without one, the mask's only label) and its maps as
    SimpleITK images, named as the wide table's columns."""
    from radiomix.features._warmup import warm_up_voxel_kernels
    from radiomix.io import (
        check_geometry,
        mask_labels,
        read_image,
        read_mask,
        select_label,
        to_sitk,
    )

    s = voxel_settings(settings, None)
    warm_up_voxel_kernels(
        list(dict.fromkeys(f for _, fams in _images(s) for f in fams))
    )  # while reading
    img = read_image(image)
    msk = read_mask(mask, reference=img)
    check_geometry(img, msk)
    if label is None or str(label).strip() == "":
        present = list(mask_labels(msk))
        if len(present) != 1:
            raise ConfigError(
                f"the mask holds labels {present}: voxel mode maps one label per case; give "
                "--label (or a label column in the manifest)"
            )
        lab = int(present[0])
    else:
        try:
            lab = int(str(label).strip())
        except ValueError:
            raise ConfigError(
                f"voxel mode maps one integer label per case, got {label!r}"
            ) from None
    if lab == 0:
        raise ConfigError("label 0 is the background of a label map, not a region of interest")
    roi = select_label(msk, lab, strict=True)
    maps = voxel_maps(img, roi, settings, radius=radius)
    # each map's array is let go once converted: the two copies of every map are not held
    # at once (a filtered configuration has hundreds of maps)
    return lab, {name: to_sitk(maps.pop(name)) for name in list(maps)}
