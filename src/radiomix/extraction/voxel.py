"""Voxel-based feature maps of the ``ibsi`` profile: the engine's formulas on the kernel
around every ROI voxel.

The case goes through the IBSI image processing chain once (:func:`pipeline.prepare_roi`:
interpolation, re-segmentation, discretisation over the whole ROI); then, for every voxel
of the intensity mask, the *kernel* is the box of Chebyshev radius :math:`R` around it,
clipped to the array, and the voxels of the kernel that take part are those of the
intensity mask. Each family's matrices are counted per kernel
(:mod:`radiomix.features._kernels_voxel`, with IBSI's switches: every run counts, a voxel
without neighbours stays out of the NGTDM) and evaluated by the family's own formulas on the
batch of kernels, so a map's value at a voxel equals the ROI feature of that kernel.

Families with maps: ``statistics``, ``histogram`` (grey levels of the whole ROI's
discretisation, :math:`N_g` as for the ROI), ``glcm`` and ``glrlm`` (``3D_avg`` and
``3D_comb``), ``glszm``, ``ngtdm`` and ``ngldm`` (``3D``; distances and NGLDM coarseness
from ``texture``). Morphology and the GLDZM describe the ROI's shape, local intensity is a
neighbourhood feature already, and the IVH needs the ROI's whole histogram: none has a
per-kernel meaning here.

A map is a :class:`~radiomix.io.Volume` on the prepared ROI's grid (after interpolation,
cropped to the ROI box plus margin), NaN outside the intensity mask.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from radiomix.errors import ConfigError
from radiomix.extraction.records import PreparedRoi
from radiomix.extraction.settings import ExtractionSettings, FeatureSettings
from radiomix.features import (
    family_module,
    glcm,
    glrlm,
    glszm,
    histogram,
    ngldm,
    ngtdm,
    statistics,
)
from radiomix.features._base import FeatureSpec, FeatureValue
from radiomix.features._texture import directions, nanmean_last
from radiomix.features._zone_matrix import ZoneMatrix
from radiomix.io import Volume

__all__ = ["VOXEL_FAMILIES", "map_names", "voxel_case", "voxel_maps", "voxel_settings"]

#: the families of the ``ibsi`` profile with voxel maps (module notes)
VOXEL_FAMILIES = ("statistics", "histogram", "glcm", "glrlm", "glszm", "ngtdm", "ngldm")

#: work chunk: about this many float64 elements per kernel matrix stack
_CHUNK_ELEMENTS = 4_000_000


def _chebyshev_ball(distance: int) -> np.ndarray:
    """Every (z, y, x) offset of Chebyshev norm 1..``distance`` (both signs)."""
    r = np.arange(-distance, distance + 1)
    grid = np.stack(np.meshgrid(r, r, r, indexing="ij"), -1).reshape(-1, 3)
    return grid[np.abs(grid).max(axis=1) > 0].astype(np.int64)


def _name(family: str, v: FeatureValue) -> str:
    return f"original_{family}_{v.feature_name}"


def _values(
    specs: Sequence[FeatureSpec], results: dict[str, np.ndarray], aggregation: str | None, q: str
) -> Iterator[tuple[str, np.ndarray]]:
    for spec in specs:
        yield _name(spec.family, FeatureValue(spec, 0.0, aggregation, q)), results[spec.name]


def _evaluate(specs: Sequence[FeatureSpec], m: object) -> dict[str, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {s.name: np.asarray(s.compute(m), dtype=np.float64) for s in specs}


def _directional(
    specs: Sequence[FeatureSpec],
    build: Callable[[np.ndarray], object],
    per_angle: np.ndarray,
    q: str,
) -> Iterator[tuple[str, np.ndarray]]:
    """``3D_avg`` (features per direction, averaged) and ``3D_comb`` (directions merged)
    of per-kernel, per-direction matrices (n, ..., A)."""
    n, n_a = per_angle.shape[0], per_angle.shape[-1]
    by_angle = np.moveaxis(per_angle, -1, 0)  # (A, n, ...)
    avg = _evaluate(specs, build(by_angle.reshape(n_a * n, *by_angle.shape[2:])))
    yield from _values(
        specs, {k: nanmean_last(v.reshape(n_a, n).T) for k, v in avg.items()}, "3D_avg", q
    )
    yield from _values(specs, _evaluate(specs, build(by_angle.sum(axis=0))), "3D_comb", q)


def _family_maps(
    family: str,
    p: PreparedRoi,
    s: ExtractionSettings,
    centres: np.ndarray,
    radius: int,
) -> Iterator[tuple[str, np.ndarray]]:
    """(map name, values at ``centres``) of one family for one chunk of kernels."""
    from radiomix.features import _kernels_voxel as kv

    if p.levels is None:  # statistics only: no discretisation
        lv = p.int_mask.astype(np.int64)
        g = 1
    else:
        lv = np.where(p.int_mask, p.levels, 0).astype(np.int64)
        g = int(p.n_levels)
    remap = np.arange(-1, g, dtype=np.int64)  # grey level k -> matrix row k - 1
    levels = np.arange(1, g + 1)
    tx = s.texture
    if family in ("statistics", "histogram"):
        x, box_levels = kv.kernel_boxes(
            np.where(p.int_mask, p.image, np.nan), lv, centres, radius, -1
        )
        if family == "statistics":
            sample = statistics.IntensitySample(x)
            yield from _values(
                statistics.FEATURES, _evaluate(statistics.FEATURES, sample), None, ""
            )
        else:
            rows = np.repeat(np.arange(len(centres)), box_levels.shape[1])
            flat = box_levels.ravel()
            keep = flat > 0
            per_level = np.bincount(
                rows[keep] * g + flat[keep] - 1, minlength=len(centres) * g
            ).reshape(len(centres), g)
            hist = histogram.GreyLevelHistogram(per_level.astype(np.float64))
            yield from _values(histogram.FEATURES, _evaluate(histogram.FEATURES, hist), None, "")
        return
    if family == "glcm":
        for d in tx.distance:
            q = f"d{d}" if d != 1 else ""
            counts = kv.kernel_glcm(lv, remap, centres, radius, -1, directions(False) * d, g)
            sym = counts + np.transpose(counts, (0, 2, 1, 3))

            def build(c: np.ndarray) -> object:
                return glcm.CooccurrenceMatrix.from_dense(c, levels, g)

            yield from _directional(glcm.FEATURES, build, sym, q)
        return
    if family == "glrlm":
        counts = kv.kernel_glrlm(
            lv, remap, centres, radius, -1, directions(False), g, empty_single=False
        )
        lengths = np.arange(1, counts.shape[2] + 1)

        def build_runs(c: np.ndarray) -> object:
            return ZoneMatrix.from_dense(c, levels, lengths, c.sum(axis=1) @ lengths)

        yield from _directional(glrlm.FEATURES, build_runs, counts, "")
        return
    if family == "glszm":
        both = np.concatenate([directions(False), -directions(False)])
        counts = kv.kernel_glszm(lv, remap, centres, radius, -1, both, g)
        sizes = np.arange(1, counts.shape[2] + 1)
        m = ZoneMatrix.from_dense(counts, levels, sizes, counts.sum(axis=1) @ sizes)
        yield from _values(glszm.FEATURES, _evaluate(glszm.FEATURES, m), "3D", "")
        return
    for d in tx.distance:
        ball = _chebyshev_ball(d)
        if family == "ngtdm":
            q = f"d{d}" if d != 1 else ""
            counts = kv.kernel_ngtdm(lv, remap, centres, radius, -1, ball, g, count_isolated=False)
            m_t = ngtdm.NGTDMatrix.from_dense(counts[:, :, 0], counts[:, :, 1], levels)
            yield from _values(ngtdm.FEATURES, _evaluate(ngtdm.FEATURES, m_t), "3D", q)
        else:  # ngldm
            a = tx.ngldm_coarseness
            parts = [f"d{d}"] if d != 1 else []
            if a:
                parts.append(f"a{a}")
            counts = kv.kernel_gldm(lv, remap, centres, radius, -1, ball, float(a), g)
            deps = np.arange(1, counts.shape[2] + 1)
            m_z = ZoneMatrix.from_dense(counts, levels, deps, counts.sum(axis=(1, 2)))
            yield from _values(
                ngldm.FEATURES, _evaluate(ngldm.FEATURES, m_z), "3D", "_".join(parts)
            )


def _chunk(family: str, g: int, radius: int) -> int:
    k = (2 * radius + 1) ** 3
    per = {
        "glcm": g * g * 13,
        "glrlm": g * (2 * radius + 1) * 13,
        "statistics": k,
        "histogram": k + g,
    }.get(family, g * max(k, 27))
    return max(1, _CHUNK_ELEMENTS // max(per, 1))


def voxel_settings(
    settings: ExtractionSettings, families: Sequence[str] | None
) -> ExtractionSettings:
    """``settings`` with the families of the maps (default: those of ``features`` that
    have maps); an error for a family without maps or another profile."""
    if settings.profile != "ibsi":
        raise ConfigError(
            "voxel maps of the ibsi profile need profile: ibsi; the pyradiomics profile's "
            "maps come from its parameter file (radiomix extract --params P.yaml --mode voxel)"
        )
    fams = (
        list(families)
        if families
        else [f for f in settings.features.families if f in VOXEL_FAMILIES]
    )
    wrong = [f for f in fams if f not in VOXEL_FAMILIES]
    if wrong:
        raise ConfigError(
            f"family {wrong[0]!r} has no voxel maps (a ROI-level feature); families with "
            f"maps: {', '.join(VOXEL_FAMILIES)}"
        )
    if not fams:
        raise ConfigError(f"no family with voxel maps is configured; choose among {VOXEL_FAMILIES}")
    return dataclasses.replace(settings, features=FeatureSettings(tuple(fams), True), filters=())


def map_names(settings: ExtractionSettings) -> list[str]:
    """The names of the maps :func:`voxel_maps` writes for ``settings`` (its families, as
    :func:`voxel_settings` leaves them), in order."""
    return [
        n
        for fam in settings.features.families
        for n in _names_of(fam, family_module(fam).FEATURES, settings)
    ]


def _names_of(family: str, specs: Sequence[FeatureSpec], s: ExtractionSettings) -> list[str]:
    tx = s.texture
    if family in ("statistics", "histogram"):
        return [_name(family, FeatureValue(sp, 0.0)) for sp in specs]
    if family == "glrlm":
        return [
            _name(family, FeatureValue(sp, 0.0, agg))
            for agg in ("3D_avg", "3D_comb")
            for sp in specs
        ]
    if family == "glszm":
        return [_name(family, FeatureValue(sp, 0.0, "3D")) for sp in specs]
    out = []
    for d in tx.distance:
        q = [f"d{d}"] if d != 1 else []
        if family == "glcm":
            out += [
                _name(family, FeatureValue(sp, 0.0, agg, "_".join(q)))
                for agg in ("3D_avg", "3D_comb")
                for sp in specs
            ]
        else:
            if family == "ngldm" and tx.ngldm_coarseness:
                q.append(f"a{tx.ngldm_coarseness}")
            out += [_name(family, FeatureValue(sp, 0.0, "3D", "_".join(q))) for sp in specs]
    return out


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
    (``original_glcm_joint_max_3d_avg``).

    Parameters
    ----------
    radius : int
        Kernel radius :math:`R` in voxels (of the interpolated grid): the kernel of a voxel
        is the box of :math:`(2R + 1)^3` voxels around it.
    families : sequence of str, optional
        Families to map (default: those of ``settings.features`` that have maps).
    """
    from radiomix.extraction.pipeline import prepare_roi

    if isinstance(radius, bool) or int(radius) != radius or radius < 1:
        raise ConfigError(f"the kernel radius must be a positive integer, got {radius!r}")
    s = voxel_settings(settings, families)
    p = prepare_roi(image, mask, s, {})
    centres = np.argwhere(p.int_mask)
    shape = p.int_mask.shape
    maps: dict[str, np.ndarray] = {}
    for fam in s.features.families:
        step = _chunk(fam, int(p.n_levels), int(radius))
        for c0 in range(0, len(centres), step):
            cc = centres[c0 : c0 + step]
            idx = (cc[:, 0], cc[:, 1], cc[:, 2])
            for name, values in _family_maps(fam, p, s, cc, int(radius)):
                if name not in maps:
                    maps[name] = np.full(shape, np.nan)
                maps[name][idx] = values
    direction = p.direction if p.direction is not None else np.eye(3)
    return {
        name: Volume(arr, spacing=p.spacing, origin=p.origin, direction=direction)
        for name, arr in maps.items()
    }


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
    from radiomix.io import (
        check_geometry,
        mask_labels,
        read_image,
        read_mask,
        select_label,
        to_sitk,
    )

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
    return lab, {name: to_sitk(vol) for name, vol in maps.items()}
