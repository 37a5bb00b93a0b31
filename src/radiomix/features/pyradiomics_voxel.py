"""PyRadiomics' voxel-based classes on the engine's kernel loop: the engine family and
formulas of each class, and the two GLCM features that read PyRadiomics' whole batch.

PyRadiomics 3.0.1 (``execute(..., voxelBased=True)``) computes the first order and texture
classes once per ROI voxel on its kernel; :func:`radiomix.extraction.voxel.kernel_maps`
does the same with PyRadiomics' switches
(:func:`radiomix.extraction.profile_pyradiomics_voxel.map_switches`) and the profile's
formulas (:mod:`radiomix.features.pyradiomics_profile`, as for a ROI): ``firstorder`` is
the ``statistics`` family plus, for Entropy and Uniformity, the ``histogram`` one; ``gldm``
is the ``ngldm`` family.

PyRadiomics processes the voxels in batches (``voxelBatch``, default: all at once) and drops
a GLCM direction only where it is empty for every kernel of the batch (elsewhere a
direction without pairs is NaN for the kernel and left out of its mean over directions, as
the engine does). Two features see the difference: JointAverage (a plain mean over the
directions kept) is NaN for a kernel that lacks one of them, and MCC (NumPy's eigenvalues
of matrices holding NaN) fails for the whole batch, whose voxels then keep ``initValue``.
Both are :class:`~radiomix.extraction.voxel.BatchFormula` objects here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from radiomix.features import glcm
from radiomix.features import pyradiomics_profile as prof
from radiomix.features._texture import nanmean_last

__all__ = ["CLASS_FAMILIES", "VOXEL_CLASSES", "class_formulas"]

#: the engine families of the classes PyRadiomics computes voxel by voxel (shape and shape2D
#: are segment-based only)
CLASS_FAMILIES: dict[str, tuple[str, ...]] = {
    "firstorder": ("statistics", "histogram"),
    "glcm": ("glcm",),
    "gldm": ("ngldm",),
    "glrlm": ("glrlm",),
    "glszm": ("glszm",),
    "ngtdm": ("ngtdm",),
}
VOXEL_CLASSES = tuple(CLASS_FAMILIES)


def _per_kernel(values: np.ndarray, n: int) -> np.ndarray:
    return values.reshape(-1, n).T  # (n, A): matrix a * n + v is direction a of kernel v


def _kept(nonempty: np.ndarray) -> np.ndarray:
    """PyRadiomics' deletion: the directions non-empty in some kernel of the batch."""
    n_a = nonempty.shape[1]
    return np.asarray(nonempty.any(axis=0)) if n_a > 1 else np.ones(n_a, dtype=bool)


class _JointAverage:
    """JointAverage over a batch: the plain mean of :math:`\\mu_x` over the directions
    kept (NaN for a kernel without pairs in one of them)."""

    needs_dense = False

    def pieces(self, m: glcm.CooccurrenceMatrix, dense: np.ndarray | None, n: int) -> Any:
        nonempty = _per_kernel(~m.is_empty, n)
        return nonempty, np.where(nonempty, _per_kernel(m.mu, n), np.nan)

    def finish(self, pieces: list[Any]) -> np.ndarray:
        nonempty = np.concatenate([p[0] for p in pieces])
        ux = np.concatenate([p[1] for p in pieces])[:, _kept(nonempty)]
        return ux.mean(axis=1) if ux.shape[1] else np.full(len(ux), np.nan)


class _MCC:
    """MCC over a batch: :math:`\\sqrt{\\lambda_2}` of :math:`Q` per direction kept
    (:func:`radiomix.features.glcm.q_eigenvalues`), averaged; None (the batch fails) where
    a kernel lacks a direction kept; 1 with one grey level."""

    needs_dense = True

    def pieces(self, m: glcm.CooccurrenceMatrix, dense: np.ndarray | None, n: int) -> Any:
        if dense is None:
            raise ValueError("MCC needs the dense counts")
        nonempty = _per_kernel(~m.is_empty, n)
        g = dense.shape[1]
        if g < 2:
            return nonempty, None, False
        eig = np.full((len(dense), g), np.nan, dtype=np.complex128)
        is_complex = False
        flat_ok = ~m.is_empty
        if flat_ok.any():
            sel = dense[flat_ok]
            w = glcm.q_eigenvalues(sel / sel.sum(axis=(1, 2))[:, None, None], prof.EPS)
            is_complex = bool(np.iscomplexobj(w))  # some eigenvalue of the batch not real
            eig[flat_ok] = w
        return nonempty, eig.reshape(-1, n, g).transpose(1, 0, 2), is_complex

    def finish(self, pieces: list[Any]) -> np.ndarray | None:
        nonempty = np.concatenate([p[0] for p in pieces])
        keep = _kept(nonempty)
        if pieces[0][1] is None:  # one grey level: PyRadiomics returns 1
            return np.ones(len(nonempty))
        if not np.all(nonempty[:, keep]):
            return None  # NaN in a matrix: numpy's eigvals raises, the batch fails
        eig = np.concatenate([p[1] for p in pieces])[:, keep]
        if any(p[2] for p in pieces):
            mcc = np.sqrt(np.sort(eig, axis=2)[:, :, -2])
            return np.nanmean(mcc, axis=1).real if mcc.shape[1] else mcc.real[:, 0]
        return nanmean_last(np.sqrt(np.sort(eig.real, axis=2)[:, :, -2]))


_BATCH = {("glcm", "JointAverage"): _JointAverage(), ("glcm", "MCC"): _MCC()}


def class_formulas(cls: str, names: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
    """The engine families of PyRadiomics' class ``cls`` and, for each, the formulas of the
    features ``names`` (PyRadiomics' names) for :func:`radiomix.extraction.voxel.kernel_maps`."""
    if cls not in CLASS_FAMILIES:
        raise ValueError(f"{cls!r} is not computed voxel by voxel; classes: {VOXEL_CLASSES}")
    if cls == "firstorder":
        f = prof.FIRSTORDER_FORMULAS
        hist = prof.HISTOGRAM_FEATURES
        return [
            ("statistics", {n: f[n] for n in names if n not in hist}),
            ("histogram", {n: f[n] for n in names if n in hist}),
        ]
    return [
        (CLASS_FAMILIES[cls][0], {n: _BATCH.get((cls, n), prof.FORMULAS[cls][n]) for n in names})
    ]
