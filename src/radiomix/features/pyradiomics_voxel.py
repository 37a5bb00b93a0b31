"""PyRadiomics' voxel-based features: one value per ROI voxel, from the kernel around it.

PyRadiomics 3.0.1 (``execute(..., voxelBased=True)``) computes the first order and texture
classes once per ROI voxel :math:`\\mathbf{c}` on its *kernel*: the box
:math:`[\\mathbf{c} - R, \\mathbf{c} + R]` (``kernelRadius`` :math:`R`) clipped to the
cropped image, one plane thick along the ``force2D`` axis. The voxels of the kernel that take
part are those of the ROI (``maskedKernel: true``) or all of them (``false``); grey levels
are binned once, on the ROI (or on the whole cropped image), before the kernels. The
matrices of each kernel come from :mod:`radiomix.features._kernels_voxel` (with PyRadiomics'
switches); the values from the engine's formulas, which take the kernels as a batch (the
profile's ``*_FORMULAS``, as for a ROI), with PyRadiomics' handling of grey levels, sizes and
directions absent from a kernel:

- the matrices keep every grey level of the binned region (rows of zeros where a kernel lacks
  a level), so :math:`N_g` (Idmn, Idn) is the highest level of the region, not of the kernel;
- a direction with no pair (GLCM) or no run longer than one voxel along any line of the
  kernel (GLRLM) is NaN for that kernel and left out of its mean over directions;
- PyRadiomics processes the voxels in batches (``voxelBatch``, default: all at once) and
  drops a direction only where it is empty for every kernel of the batch. Two GLCM features
  see the difference: JointAverage (a plain mean over the directions kept) is NaN for a
  kernel that lacks one of them, and MCC (eigenvalues of matrices holding NaN) fails for the
  whole batch, whose voxels then keep ``initValue``. Both are reproduced here.

A feature that PyRadiomics cannot compute for a batch is returned as None for it (its voxels
keep ``initValue``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from radiomix._lazy import lazy_module
from radiomix.features import glcm, ngtdm
from radiomix.features import pyradiomics_profile as prof
from radiomix.features._kernels_voxel_numpy import glcm_pair_counts, kernel_boxes
from radiomix.features._texture import nanmean_last
from radiomix.features._zone_matrix import ZoneMatrix

__all__ = [
    "VOXEL_CLASSES",
    "KernelGrid",
    "angles",
    "class_maps",
    "firstorder_batch",
    "glcm_batch",
    "gldm_batch",
    "glrlm_batch",
    "glszm_batch",
    "ngtdm_batch",
]

EPS = prof.EPS

#: the classes PyRadiomics computes voxel by voxel (shape and shape2D are segment-based only)
VOXEL_CLASSES = ("firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm")

#: work chunk: about this many float64 elements per per-kernel matrix stack
_CHUNK_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class KernelGrid:
    """The binned crop the kernels read.

    Parameters
    ----------
    values : ndarray of float (z, y, x)
        Intensities; NaN where a voxel takes no part in the kernels.
    levels : ndarray of int (z, y, x)
        PyRadiomics' grey levels (1-based) of the voxels that take part, 0 elsewhere.
    gray_levels : ndarray of int
        The sorted levels present in ``levels`` (the matrices' rows).
    radius : int
        ``kernelRadius``.
    plane : int
        The ``force2D`` axis (kernels one voxel thick along it), or -1.
    spacing : (z, y, x) mm
    """

    values: np.ndarray
    levels: np.ndarray
    gray_levels: np.ndarray
    radius: int
    plane: int
    spacing: tuple[float, float, float]

    @property
    def remap(self) -> np.ndarray:
        out = np.zeros(int(self.gray_levels.max()) + 1, dtype=np.int64)
        out[self.gray_levels] = np.arange(len(self.gray_levels))
        return out


def angles(
    distances: Sequence[int], plane: int, shape: Sequence[int], *, bidirectional: bool
) -> np.ndarray:
    """PyRadiomics' angles (``cMatrices.generate_angles``) for an array of ``shape``: the
    offsets whose Chebyshev norm is one of ``distances``, none along ``plane``, none longer
    than the array; one of each opposite pair unless ``bidirectional``."""
    off = prof.texture_offsets(tuple(int(d) for d in distances), False)
    if plane >= 0:
        off = off[off[:, plane] == 0]
    off = off[np.all(np.abs(off) < np.asarray(shape), axis=1)]
    return np.concatenate([off, -off]) if bidirectional else off


def _kernel_box(grid: KernelGrid, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values (NaN outside) and levels (0 outside) of each kernel's box: shape (n, K)."""
    return kernel_boxes(grid.values, grid.levels, centres, grid.radius, grid.plane)


# --------------------------------------------------------------------------- firstorder


def firstorder_batch(
    x: np.ndarray,
    lv: np.ndarray,
    gray_levels: np.ndarray,
    spacing: Sequence[float],
    shift: float,
    names: Sequence[str],
) -> dict[str, np.ndarray | None]:
    """PyRadiomics' first order features of kernels: ``x`` (n, K) intensities (NaN = not in
    the kernel), ``lv`` (n, K) their grey levels (0 = not in it); the histogram
    :math:`p_i` runs over ``gray_levels``. The profile's formulas
    (:data:`pyradiomics_profile.FIRSTORDER_FORMULAS`) on each kernel."""
    counts = np.stack([np.sum(lv == g, axis=1) for g in gray_levels], axis=1)
    res = prof.firstorder_features(x, counts.astype(np.float64), spacing, shift, names)
    return dict(res)


# --------------------------------------------------------------------------- glcm


@dataclass
class _GlcmExtras:
    """Per-kernel pieces of the two batch-sensitive GLCM features (see the module notes)."""

    nonempty: np.ndarray  # (n, A) direction has pairs in the kernel
    ux: np.ndarray  # (n, A) mu_x per direction (NaN where empty)
    eig: np.ndarray | None  # (n, A, G) eigenvalues of Q (complex; NaN where empty)
    eig_complex: bool


def glcm_batch(
    counts: np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    gray_levels: np.ndarray,
    offsets: np.ndarray,
    spacing: Sequence[float],
    *,
    symmetrical: bool,
    weighting_norm: str | None,
    names: Sequence[str],
    n_kernels: int = 0,
) -> tuple[dict[str, np.ndarray], _GlcmExtras]:
    """GLCM features of kernels from one-way counts ``counts`` (n, G, G, A) over
    ``gray_levels``: the profile's formulas (:data:`pyradiomics_profile.GLCM_FORMULAS`) on
    every (kernel, direction) matrix, NaN where a direction is empty, averaged over the
    directions with ``nanmean``. JointAverage and MCC come back as their per-kernel pieces
    (:func:`_glcm_finish` completes them over PyRadiomics' batch).

    ``counts`` may also be the sparse, already symmetrised counts of
    :func:`radiomix.features._kernels_voxel_numpy.glcm_pair_counts` for ``n_kernels``
    kernels (no ``weighting_norm``, no MCC: those take the dense counts)."""
    flat: np.ndarray | None = None
    if isinstance(counts, tuple):  # sparse (b, i, j, count) of glcm_pair_counts
        b, i, j, cnt = counts
        n_a, n, g = len(offsets), n_kernels, len(gray_levels)
        lv = np.asarray(gray_levels, dtype=np.float64)
        m = glcm.CooccurrenceMatrix(
            b, lv[i], lv[j], cnt, int(gray_levels.max()), n_a * n, glcm.PYRADIOMICS
        )
    else:
        p = counts + np.transpose(counts, (0, 2, 1, 3)) if symmetrical else counts
        by_angle = np.moveaxis(p.astype(np.float64, copy=False), 3, 0)  # (A, n, G, G)
        if weighting_norm is not None:
            w = prof.angle_weights(offsets, spacing, weighting_norm, glcm=True)
            by_angle = np.tensordot(w, by_angle, axes=(0, 0))[None]
        n_a, n, g, _ = by_angle.shape
        flat = by_angle.reshape(n_a * n, g, g)  # matrix k: direction k // n, kernel k % n
        m = glcm.CooccurrenceMatrix.from_dense(
            flat, gray_levels, int(gray_levels.max()), glcm.PYRADIOMICS
        )

    def per_kernel(v: np.ndarray) -> np.ndarray:
        return v.reshape(n_a, n).T  # (n, A)

    plain = [x for x in names if x not in ("JointAverage", "MCC")]  # batch-sensitive
    out = {k: nanmean_last(per_kernel(v)) for k, v in prof.glcm_features(m, plain).items()}
    nonempty = per_kernel(~m.is_empty)
    ux = np.where(nonempty, per_kernel(m.mu), np.nan)
    eig = None
    eig_complex = False
    if "MCC" in names and g >= 2:
        if flat is None:
            raise ValueError("MCC needs the dense counts (glcm_pair_counts gives no MCC)")
        eig, eig_complex = _q_eigenvalues(flat, ~m.is_empty, n)
    return out, _GlcmExtras(nonempty, ux, eig, eig_complex)


def _q_eigenvalues(flat: np.ndarray, nonempty: np.ndarray, n: int) -> tuple[np.ndarray, bool]:
    """Eigenvalues of MCC's :math:`Q` (:func:`radiomix.features.glcm.q_eigenvalues`) of the
    (direction, kernel) matrices ``flat`` (A * n, G, G), as (n, A, G) complex (NaN where the
    direction is empty), and whether NumPy returns them as complex numbers (some
    eigenvalue of the batch not real)."""
    g = flat.shape[1]
    eig = np.full((len(flat), g), np.nan, dtype=np.complex128)
    is_complex = False
    if nonempty.any():
        sel = flat[nonempty]
        w = glcm.q_eigenvalues(sel / sel.sum(axis=(1, 2))[:, None, None], EPS)
        is_complex = bool(np.iscomplexobj(w))
        eig[nonempty] = w
    return eig.reshape(-1, n, g).transpose(1, 0, 2), is_complex


def _glcm_finish(
    parts: Sequence[_GlcmExtras], names: Sequence[str]
) -> dict[str, np.ndarray | None]:
    """JointAverage and MCC of one PyRadiomics batch (its kernels' pieces, in order)."""
    out: dict[str, np.ndarray | None] = {}
    nonempty = np.concatenate([pt.nonempty for pt in parts])
    n_a = nonempty.shape[1]
    keep = nonempty.any(axis=0) if n_a > 1 else np.ones(n_a, dtype=bool)  # PyRadiomics' deletion
    if "JointAverage" in names:
        ux = np.concatenate([pt.ux for pt in parts])[:, keep]
        with np.errstate(invalid="ignore"):
            out["JointAverage"] = ux.mean(axis=1) if ux.shape[1] else np.full(len(ux), np.nan)
    if "MCC" in names:
        if parts[0].eig is None:  # one grey level: PyRadiomics returns 1
            out["MCC"] = np.ones(len(nonempty))
        elif not np.all(nonempty[:, keep]):
            out["MCC"] = None  # NaN in a matrix: numpy's eigvals raises, the batch fails
        else:
            eig = np.concatenate([pt.eig for pt in parts if pt.eig is not None])[:, keep]
            if any(pt.eig_complex for pt in parts):
                ev = np.sort(eig, axis=2)
                with np.errstate(invalid="ignore"):
                    mcc = np.sqrt(ev[:, :, -2])
                    out["MCC"] = np.nanmean(mcc, axis=1).real if mcc.shape[1] else mcc.real[:, 0]
            else:
                ev = np.sort(eig.real, axis=2)
                with np.errstate(invalid="ignore"):
                    mcc = np.sqrt(ev[:, :, -2])
                out["MCC"] = nanmean_last(mcc)
    return out


# --------------------------------------------------------------------------- run / zone classes


def _zone_batch(
    cls: str, counts: np.ndarray, gray_levels: np.ndarray, names: Sequence[str]
) -> dict[str, np.ndarray]:
    """Features of PyRadiomics' class ``cls`` on kernels' matrices (n, G, J), column k for
    the value :math:`k + 1`; :math:`N_p` of each matrix is :math:`\\sum_j j\\, s_{.j}`."""
    j = np.arange(1, counts.shape[2] + 1, dtype=np.float64)
    m = ZoneMatrix.from_dense(counts, gray_levels, j, counts.sum(axis=1) @ j, log_epsilon=EPS)
    return prof.zone_features(cls, m, names)


def glrlm_batch(
    counts: np.ndarray,
    gray_levels: np.ndarray,
    offsets: np.ndarray,
    spacing: Sequence[float],
    *,
    weighting_norm: str | None,
    names: Sequence[str],
) -> dict[str, np.ndarray]:
    """GLRLM features of kernels from run counts (n, G, Nr, A); per direction, averaged with
    ``nanmean`` over the directions that have runs in the kernel."""
    n, g, nr, _ = counts.shape
    by_angle = np.moveaxis(counts, 3, 0)  # (A, n, G, Nr)
    if weighting_norm is not None:
        w = prof.angle_weights(offsets, spacing, weighting_norm, glcm=False)
        by_angle = np.tensordot(w, by_angle, axes=(0, 0))[None]
    res = _zone_batch("glrlm", by_angle.reshape(-1, g, nr), gray_levels, names)
    return {k: nanmean_last(v.reshape(-1, n).T) for k, v in res.items()}


def glszm_batch(
    counts: np.ndarray, gray_levels: np.ndarray, names: Sequence[str]
) -> dict[str, np.ndarray]:
    """GLSZM features of kernels from zone counts (n, G, S); ZonePercentage
    :math:`N_z / N_p`."""
    return _zone_batch("glszm", counts, gray_levels, names)


def gldm_batch(
    counts: np.ndarray, gray_levels: np.ndarray, names: Sequence[str]
) -> dict[str, np.ndarray]:
    """GLDM features of kernels from dependence counts (n, G, D), column k = dependence
    :math:`k + 1`; normalised by the kernel's voxel count."""
    return _zone_batch("gldm", counts, gray_levels, names)


def ngtdm_batch(
    counts: np.ndarray, gray_levels: np.ndarray, names: Sequence[str]
) -> dict[str, np.ndarray]:
    """NGTDM features of kernels from (n, G, 2) = (:math:`n_i`, :math:`s_i`): the profile's
    formulas on each kernel's matrix (grey levels absent from a kernel left out of its
    pairs, as PyRadiomics' ``p_zero`` does)."""
    m = ngtdm.NGTDMatrix.from_dense(
        counts[:, :, 0], counts[:, :, 1], gray_levels, coarseness_floor=0.0
    )
    return prof.ngtdm_features(m, names)


#: voxel GLCMs of at most this many kernel pair memberships (kernels x box voxels x
#: directions) are counted with NumPy (:mod:`._kernels_voxel_numpy`): below it, loading
#: numba's kernel costs more than the NumPy counting (brain1 with exampleVoxel.yaml: 0.4
#: million)
GLCM_NUMPY_UP_TO = 2_000_000


def glcm_numpy_counts(
    grid: KernelGrid,
    n_centres: int,
    n_angles: int,
    options: prof.PyradiomicsTextureOptions,
    names: Sequence[str],
) -> bool:
    """Whether the voxel GLCM counts of ``n_centres`` kernels take the NumPy counter
    (sparse; small work, no ``weightingNorm``, no MCC) rather than the numba kernel."""
    if options.weighting_norm is not None or "MCC" in names:
        return False
    box = (2 * grid.radius + 1) ** (2 if grid.plane >= 0 else 3)
    return n_centres * box * max(n_angles, 1) <= GLCM_NUMPY_UP_TO


# --------------------------------------------------------------------------- one class, all kernels


def class_maps(
    cls: str,
    grid: KernelGrid,
    centres: np.ndarray,
    options: prof.PyradiomicsTextureOptions,
    names: Sequence[str],
    *,
    batch: int = -1,
    init_value: float = 0.0,
) -> dict[str, np.ndarray]:
    """Feature maps of one class: for each name, an array of the crop's shape holding the
    feature of the kernel around each of ``centres`` (n, 3) and ``init_value`` elsewhere (and
    wherever PyRadiomics' computation fails for a batch).

    ``batch`` is PyRadiomics' ``voxelBatch`` (-1: all centres at once); it matters only to
    the GLCM's JointAverage and MCC (module notes). The work itself runs in chunks small
    enough for memory, whatever the batch.
    """
    if cls not in VOXEL_CLASSES:
        raise ValueError(f"{cls!r} is not computed voxel by voxel; classes: {VOXEL_CLASSES}")
    shape = grid.levels.shape
    maps = {n: np.full(shape, float(init_value)) for n in names}
    n_c = len(centres)
    if n_c == 0 or not names:
        return maps
    size = n_c if batch is None or batch < 0 else int(batch)
    g = len(grid.gray_levels)
    k = (2 * grid.radius + 1) ** (2 if grid.plane >= 0 else 3)
    mono = angles(options.distances, grid.plane, shape, bidirectional=False)
    if cls == "glcm":
        per = g * g * max(len(mono), 1)
    elif cls == "glrlm":
        per = g * (2 * grid.radius + 1) * 13
    else:
        per = g * max(k, 27)
    chunk = max(1, _CHUNK_ELEMENTS // max(per, 1))
    with warnings.catch_warnings():  # NumPy's empty-slice warnings: NaN, as in PyRadiomics
        warnings.simplefilter("ignore", RuntimeWarning)
        _fill(cls, grid, centres, options, names, maps, size, chunk, mono)
    return maps


def _fill(
    cls: str,
    grid: KernelGrid,
    centres: np.ndarray,
    options: prof.PyradiomicsTextureOptions,
    names: Sequence[str],
    maps: dict[str, np.ndarray],
    size: int,
    chunk: int,
    mono: np.ndarray,
) -> None:
    """:func:`class_maps`' loop over PyRadiomics' batches and the work chunks in them."""
    # numba's kernels (loading numba costs ~0.5 s): only for what the NumPy paths leave
    kv = lazy_module("radiomix.features._kernels_voxel")
    n_c = len(centres)
    sparse_glcm = cls == "glcm" and glcm_numpy_counts(grid, n_c, len(mono), options, names)
    shape = grid.levels.shape
    g = len(grid.gray_levels)
    remap = grid.remap
    for b0 in range(0, n_c, size):
        bc = centres[b0 : b0 + size]
        values: dict[str, list[np.ndarray | None]] = {n: [] for n in names}
        extras: list[_GlcmExtras] = []
        for c0 in range(0, len(bc), chunk):
            cc = bc[c0 : c0 + chunk]
            res: dict[str, np.ndarray | None]
            if cls == "firstorder":
                x, lv = _kernel_box(grid, cc)
                res = firstorder_batch(
                    x, lv, grid.gray_levels, grid.spacing, options.voxel_array_shift, names
                )
            elif cls == "glcm":
                glcm_counts: np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
                if sparse_glcm:
                    glcm_counts = glcm_pair_counts(
                        grid.levels,
                        remap,
                        cc,
                        grid.radius,
                        grid.plane,
                        mono,
                        g,
                        symmetric=options.symmetrical_glcm,
                    )
                else:
                    glcm_counts = kv.kernel_glcm(
                        grid.levels, remap, cc, grid.radius, grid.plane, mono, g
                    )
                r_glcm, ex = glcm_batch(
                    glcm_counts,
                    grid.gray_levels,
                    mono,
                    grid.spacing,
                    symmetrical=options.symmetrical_glcm,
                    weighting_norm=options.weighting_norm,
                    names=names,
                    n_kernels=len(cc),
                )
                res = dict(r_glcm)
                extras.append(ex)
            elif cls == "glrlm":
                runs = angles((1,), grid.plane, shape, bidirectional=False)
                counts = kv.kernel_glrlm(grid.levels, remap, cc, grid.radius, grid.plane, runs, g)
                res = dict(
                    glrlm_batch(
                        counts,
                        grid.gray_levels,
                        runs,
                        grid.spacing,
                        weighting_norm=options.weighting_norm,
                        names=names,
                    )
                )
            elif cls == "glszm":
                nb = angles((1,), grid.plane, shape, bidirectional=True)
                counts = kv.kernel_glszm(grid.levels, remap, cc, grid.radius, grid.plane, nb, g)
                res = dict(glszm_batch(counts, grid.gray_levels, names))
            elif cls == "gldm":
                both = angles(options.distances, grid.plane, shape, bidirectional=True)
                counts = kv.kernel_gldm(
                    grid.levels, remap, cc, grid.radius, grid.plane, both, options.gldm_a, g
                )
                res = dict(gldm_batch(counts, grid.gray_levels, names))
            else:
                both = angles(options.distances, grid.plane, shape, bidirectional=True)
                counts = kv.kernel_ngtdm(grid.levels, remap, cc, grid.radius, grid.plane, both, g)
                res = dict(ngtdm_batch(counts, grid.gray_levels, names))
            for n in names:
                if n in res:
                    values[n].append(res[n])
        if cls == "glcm":
            for n, v in _glcm_finish(extras, names).items():
                values[n] = [v]
        idx = (bc[:, 0], bc[:, 1], bc[:, 2])
        for n in names:
            parts = values[n]
            if not parts or any(p is None for p in parts):
                continue  # failed for this batch: the voxels keep init_value
            maps[n][idx] = np.concatenate([p for p in parts if p is not None])
