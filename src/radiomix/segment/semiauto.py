"""Semi-automatic lesion outlines from a bounding box or from one seed point.

Box: graph cut with an elliptical shape prior (``method="graphcut"``, default)
-------------------------------------------------------------------------------
A GrabCut-like energy (Rother et al. 2004) on a speckle-reduced crop of the box:

- pre-filter: median (5 voxels in-plane) then Gaussian (1 voxel); the crop is resampled so
  that its longest side has at most ``max_side`` voxels (speed);
- data term: log-likelihood ratio of two grey-level histograms (64 bins, smoothed) of a
  further Gaussian-smoothed (2 voxels) image -- "lesion" from the ellipse (ellipsoid in 3D)
  inscribed in the box and shrunk by ``fill``, "background" from the rest of the crop;
- shape prior: ``shape_weight x clip(4 (1 - r), -4, 4)`` added to the log-odds, where ``r``
  is the normalised elliptical radius of the shrunk inscribed ellipse (``r = 1`` on it);
- smoothness: ``lam x exp(-beta (I_p - I_q)^2)`` between face neighbours, with
  ``beta = 1 / (2 <(I_p - I_q)^2>)`` (Rother et al.);
- hard constraint: every voxel outside the box is background.

The exact minimum is found by a graph cut (:func:`radiomix.segment._graphcut.graph_cut`);
the result is smoothed (Gaussian of 2 voxels, thresholded at 0.5), holes are filled and the
largest component is kept. ``fill`` (default 0.91) states how much of the box the lesion
spans in each direction: a box drawn 5 % of its size away from the lesion on every side
(10 % larger than the lesion) gives 1 / 1.1 = 0.91. Baselines: ``method="ellipse"`` (the
ellipse inscribed in the box) and ``method="box"`` (the box itself).

Seed: star-shaped ray casting (``method="rays"``, default)
----------------------------------------------------------
From the seed, the image (median 5 + Gaussian 2 voxels) is sampled along 72 rays (2D) or
~400 directions (3D). The threshold between lesion and surroundings is adapted iteratively:
in a window of half-size ``R`` (start 60 voxels) around the seed, Otsu's threshold ``T_o``
is computed, and the boundary threshold is ``T = m + 0.8 (T_o - m)`` with ``m`` the mean
around the seed; each ray stops at its first crossing of ``T`` (moving away from the seed's
grey level, so bright and dark lesions both work); the radii are median-filtered across
neighbouring rays (9) and the window becomes ``R = max(15, 2 x median radius)``; three
rounds. The final radii are smoothed and the star-shaped polygon is the outline. The
region-growing methods of :func:`radiomix.segment.region_grow` are available too
(``confidence``, ``connected``, ``neighborhood``).

These methods and their parameters were chosen on every 5th BUSI lesion (see
docs/segmentation.md and benchmarks/bench_segment_busi.py for the figures on all lesions).

References
----------
Rother C, Kolmogorov V, Blake A. "GrabCut": interactive foreground extraction using iterated
graph cuts. ACM Trans Graph 23 (2004) 309-314. doi:10.1145/1015706.1015720
Boykov Y, Jolly MP. Interactive graph cuts for optimal boundary & region segmentation of
objects in N-D images. ICCV 2001. doi:10.1109/ICCV.2001.937505
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage as ndi
from scipy.spatial import cKDTree
from skimage.filters import threshold_otsu

from radiomix.errors import EmptyMaskError, PromptError
from radiomix.io import Volume, check_finite
from radiomix.segment._graphcut import graph_cut
from radiomix.segment._methods import BOX_METHODS, SEED_METHODS
from radiomix.segment._prompts import Box, to_box, to_seeds
from radiomix.segment.cleanup import keep_largest_component
from radiomix.segment.region_growing import region_grow

__all__ = [
    "BOX_METHODS",
    "SEED_METHODS",
    "segment_from_box",
    "segment_from_seed",
    "segment_prompt",
]


# --------------------------------------------------------------------------- box methods


def _box_arrays(shape: Sequence[int], box: Box) -> tuple[np.ndarray, np.ndarray]:
    """Normalised elliptical radius (1 on the inscribed ellipse) and the in-box mask."""
    grids = np.meshgrid(*[np.arange(n, dtype=float) for n in shape], indexing="ij")
    r2 = np.zeros(tuple(shape))
    inside = np.ones(tuple(shape), bool)
    for g, (lo, hi) in zip(grids, box, strict=True):
        inside &= (g >= lo - 0.5) & (g <= hi + 0.5)
        if hi > lo:
            r2 += ((g - (lo + hi) / 2) / ((hi - lo + 1) / 2)) ** 2
    return np.sqrt(r2), inside


def _hist_loglik(values_fg: np.ndarray, values_bg: np.ndarray, img: np.ndarray) -> np.ndarray:
    lo, hi = np.percentile(img, [0.5, 99.5])
    hi = max(hi, lo + 1e-6)
    edges = np.linspace(lo, hi, 65)

    def density(v: np.ndarray) -> np.ndarray:
        counts, _ = np.histogram(np.clip(v, lo, hi), edges)
        c = ndi.gaussian_filter1d(counts.astype(float), 1.5) + 1e-3
        return c / c.sum()

    bins = np.clip(np.digitize(img, edges) - 1, 0, 63)
    return np.asarray(np.log(density(values_fg)[bins]) - np.log(density(values_bg)[bins]))


def _graphcut_box(
    arr: np.ndarray,
    box: Box,
    spacing: Sequence[float],
    *,
    fill: float,
    shape_weight: float,
    lam: float,
    max_side: int,
    crop_margin: float,
) -> np.ndarray:
    planar = box[0][0] == box[0][1]  # one slice: a 2D problem
    lo = []
    hi = []
    for axis, (a, b) in enumerate(box):
        m = 0 if (planar and axis == 0) else int(np.ceil(crop_margin * (b - a + 1)))
        lo.append(max(0, a - m))
        hi.append(min(arr.shape[axis], b + m + 1))
    crop = arr[tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))].astype(float)
    if planar:
        crop = crop[0]
        local_box = tuple((a - o, b - o) for (a, b), o in zip(box[1:], lo[1:], strict=True))
        sp: tuple[float, ...] = tuple(spacing[1:])
        med: tuple[int, ...] = (5, 5)
    else:
        local_box = tuple((a - o, b - o) for (a, b), o in zip(box, lo, strict=True))
        sp = tuple(spacing)
        med = (3, 5, 5)
    smooth = ndi.gaussian_filter(ndi.median_filter(crop, size=med), 1.0)
    factor = min(1.0, max_side / max(crop.shape))
    if factor < 1.0:
        smooth = ndi.zoom(smooth, factor, order=1)
    zoom = [s / c for s, c in zip(smooth.shape, crop.shape, strict=True)]
    sbox = tuple(
        ((a + 0.5) * f - 0.5, (b + 0.5) * f - 0.5)
        for (a, b), f in zip(local_box, zoom, strict=True)
    )
    r, inside = _box_arrays(smooth.shape, sbox)  # type: ignore[arg-type]
    r = r / fill
    prior = r <= 1.0
    unary_img = ndi.gaussian_filter(smooth, 2.0)
    log_odds = _hist_loglik(unary_img[prior], unary_img[~prior], unary_img)
    log_odds = log_odds + shape_weight * np.clip(4.0 * (1.0 - r), -4.0, 4.0)
    diffs = [np.diff(smooth, axis=k) for k in range(smooth.ndim)]
    beta = 1.0 / (2.0 * np.mean(np.concatenate([d.ravel() ** 2 for d in diffs])) + 1e-12)
    min_sp = min(sp)
    pairwise = [lam * (min_sp / s) * np.exp(-beta * d**2) for d, s in zip(diffs, sp, strict=True)]
    source = np.where(inside, np.maximum(log_odds, 0.0), 0.0)
    hard = 2 * smooth.ndim * lam + float(np.abs(log_odds).max()) + 1.0
    sink = np.where(inside, np.maximum(-log_odds, 0.0), hard)
    seg = graph_cut(source, sink, pairwise)
    seg = keep_largest_component(seg)
    if factor < 1.0:
        seg_f = ndi.zoom(
            seg.astype(float), [c / s for c, s in zip(crop.shape, seg.shape, strict=True)], order=1
        )
        seg_f = seg_f[tuple(slice(0, n) for n in crop.shape)]
        pad = [(0, c - s) for c, s in zip(crop.shape, seg_f.shape, strict=True)]
        seg_f = np.pad(seg_f, pad, mode="edge")
        post = 2.0 / factor
    else:
        seg_f = seg.astype(float)
        post = 2.0
    seg_b = ndi.gaussian_filter(seg_f, post) > 0.5
    seg_b = keep_largest_component(ndi.binary_fill_holes(seg_b))
    out = np.zeros(arr.shape, bool)
    if planar:
        out[box[0][0], lo[1] : hi[1], lo[2] : hi[2]] = seg_b
    else:
        out[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]] = seg_b
    return out


def segment_from_box(
    image: Volume,
    box: Sequence[float],
    method: str = "graphcut",
    *,
    fill: float = 0.91,
    shape_weight: float = 3.0,
    lam: float = 5.0,
    max_side: int = 160,
    crop_margin: float = 0.15,
) -> Volume:
    """Outline the object inside a bounding box.

    Parameters
    ----------
    image : Volume
        The image (2D images are one-slice volumes).
    box : (x0, y0, x1, y1) or (x0, y0, z0, x1, y1, z1)
        Inclusive corner voxel indices as read in a viewer (column, row, slice), in either
        order -- the same numbers as ``radiomix segment --box``. A 3D box with z0 == z1
        outlines that one slice.
    method : {"graphcut", "ellipse", "box"}
        Graph cut with an elliptical shape prior (module notes), or the baselines: the
        ellipse (ellipsoid) inscribed in the box, the box itself.
    fill : float in (0, 1]
        Expected extent of the object relative to the box in each direction (0.91: the box
        is 10 % larger than the object).
    shape_weight : float
        Weight of the elliptical shape prior (0: none).
    lam : float
        Weight of the boundary (smoothness) term.
    max_side : int
        The crop is resampled to at most this many voxels along its longest side.
    crop_margin : float
        Margin around the box, as a fraction of its size, taken as background evidence.

    Returns
    -------
    Volume
        Boolean mask on the image grid; ``metadata["method"]`` names the method.

    Raises
    ------
    PromptError
        Box of zero size, outside the image, wrong number of values; unknown method.
    EmptyMaskError
        The outline came out empty.
    """
    if method not in BOX_METHODS:
        raise PromptError(f"unknown box method {method!r}; choose one of {', '.join(BOX_METHODS)}")
    if not 0 < fill <= 1:
        raise PromptError(f"fill must be in (0, 1], got {fill}")
    ranges = to_box(box, image.shape)
    arr = np.asarray(image.array, dtype=float)
    if method == "box":
        mask = np.zeros(arr.shape, bool)
        mask[tuple(slice(a, b + 1) for a, b in ranges)] = True
    elif method == "ellipse":
        r, inside = _box_arrays(arr.shape, ranges)
        mask = (r <= 1.0) & inside
    else:
        check_finite(arr[tuple(slice(a, b + 1) for a, b in ranges)], what="image inside the box")
        mask = _graphcut_box(
            arr,
            ranges,
            image.spacing,
            fill=fill,
            shape_weight=shape_weight,
            lam=lam,
            max_side=max_side,
            crop_margin=crop_margin,
        )
    if not mask.any():
        raise EmptyMaskError(
            f"the {method} outline inside the box is empty; draw the box around the object "
            "or try method='ellipse'"
        )
    meta = dict(image.metadata)
    meta["method"] = method
    return image.with_array(mask, metadata=meta)


# -------------------------------------------------------------------------- seed methods


def _directions(ndim: int) -> np.ndarray:
    if ndim == 2:
        th = np.linspace(0.0, 2 * np.pi, 72, endpoint=False)
        return np.stack([np.sin(th), np.cos(th)], axis=1)  # (y, x)
    n = 400  # Fibonacci sphere: near-uniform directions
    k = np.arange(n) + 0.5
    phi = np.arccos(1 - 2 * k / n)
    th = np.asarray(np.pi * (1 + 5**0.5) * k)
    return np.stack([np.cos(phi), np.sin(phi) * np.sin(th), np.sin(phi) * np.cos(th)], axis=1)


def _median_radii(radii: np.ndarray, dirs: np.ndarray, size: int) -> np.ndarray:
    """Median of each ray's radius and its neighbours' (circular in 2D, nearest on the sphere)."""
    if dirs.shape[1] == 2:
        return np.asarray(ndi.median_filter(radii, size=size, mode="wrap"))
    _, nn = cKDTree(dirs).query(dirs, k=size)
    return np.asarray(np.median(radii[nn], axis=1))


def _rays_seed(arr: np.ndarray, seed: np.ndarray, spacing: Sequence[float]) -> np.ndarray:
    planar = arr.shape[0] == 1
    img = arr[0] if planar else arr
    sp = np.asarray(spacing[1:] if planar else spacing, float)
    pt = np.asarray(seed[1:] if planar else seed, float)
    step = float(sp.min())
    # window around the seed, then speckle reduction (median 5 + Gaussian 2 voxels)
    half = np.ceil((400 if planar else 96) * step / sp).astype(int)
    lo = np.maximum(pt.astype(int) - half, 0)
    hi = np.minimum(pt.astype(int) + half + 1, img.shape)
    crop = img[tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))].astype(float)
    med = (5, 5) if planar else (3, 5, 5)
    sm = ndi.gaussian_filter(ndi.median_filter(crop, size=med), 2.0)
    c = pt - lo
    around = sm[tuple(slice(max(0, int(v) - 3), int(v) + 4) for v in c)]
    m = float(around.mean())
    dirs = _directions(sm.ndim)
    radius = 60.0 * step
    radii = np.zeros(len(dirs))
    for _ in range(3):
        win = sm[
            tuple(
                slice(max(0, int(v - radius / s)), int(v + radius / s) + 1)
                for v, s in zip(c, sp, strict=True)
            )
        ]
        t_otsu = float(threshold_otsu(win)) if np.ptp(win) > 0 else m
        t = m + 0.8 * (t_otsu - m)
        dark = m < t_otsu
        rr = np.arange(0.0, 1.5 * radius, step)
        coords = c[:, None, None] + (dirs.T[:, :, None] * rr[None, None, :]) / sp[:, None, None]
        inside = np.ones(coords.shape[1:], bool)
        for k in range(sm.ndim):
            inside &= (coords[k] >= 0) & (coords[k] <= sm.shape[k] - 1)
        prof = ndi.map_coordinates(sm, coords, order=1, mode="nearest")
        stop = ((prof > t) if dark else (prof < t)) | ~inside
        stop[:, -1] = True
        radii = rr[np.argmax(stop, axis=1)]
        radii = _median_radii(radii, dirs, 9)
        radius = max(15.0 * step, 2.0 * float(np.median(radii)))
    if sm.ndim == 2:
        radii = ndi.gaussian_filter1d(radii, 2.0, mode="wrap")
    else:
        _, nn = cKDTree(dirs).query(dirs, k=9)
        radii = radii[nn].mean(axis=1)
    # star-shaped polygon (polyhedron) from the radii, drawn in its bounding region
    reach = np.ceil(float(radii.max()) / sp).astype(int) + 1
    blo = np.maximum(np.floor(c).astype(int) - reach, 0)
    bhi = np.minimum(np.floor(c).astype(int) + reach + 1, sm.shape)
    grids = np.meshgrid(
        *[np.arange(a, b, dtype=float) for a, b in zip(blo, bhi, strict=True)], indexing="ij"
    )
    d = np.stack([(g - v) * s for g, v, s in zip(grids, c, sp, strict=True)], axis=-1)
    dist = np.linalg.norm(d, axis=-1)
    if sm.ndim == 2:
        ang = np.mod(np.arctan2(d[..., 0], d[..., 1]), 2 * np.pi)
        th = np.linspace(0.0, 2 * np.pi, len(dirs) + 1)
        limit = np.interp(ang, th, np.append(radii, radii[0]))
    else:
        unit = d / np.maximum(dist[..., None], 1e-12)
        _, nearest = cKDTree(dirs).query(unit.reshape(-1, 3))
        limit = radii[nearest].reshape(dist.shape)
    seg = dist <= np.maximum(limit, 0.5 * step)
    seg = keep_largest_component(ndi.binary_fill_holes(seg))
    out = np.zeros(img.shape, bool)
    out[tuple(slice(a + u, a + v) for a, u, v in zip(lo, blo, bhi, strict=True))] = seg
    return out[np.newaxis] if planar else out


def segment_from_seed(
    image: Volume,
    seeds: Sequence[Sequence[float]] | Sequence[float],
    method: str = "rays",
    **options: float | str,
) -> Volume:
    """Outline the object around one or more seed points.

    Parameters
    ----------
    image : Volume
        The image (2D images are one-slice volumes).
    seeds : (x, y[, z]) or a sequence of them
        Voxel indices as read in a viewer (column, row, slice), the same numbers as
        ``radiomix segment --seed``. With ``rays`` each seed gives one outline and the
        outlines are merged; region growing grows from all seeds together.
    method : {"rays", "confidence", "connected", "neighborhood"}
        Star-shaped ray casting with an adaptive threshold (module notes), or region
        growing (:func:`radiomix.segment.region_grow`, which takes ``options``).

    Returns
    -------
    Volume
        Boolean mask on the image grid; ``metadata["method"]`` names the method.

    Raises
    ------
    PromptError
        A seed outside the image, wrong number of coordinates, unknown method.
    EmptyMaskError
        The outline came out empty.
    """
    if method not in SEED_METHODS:
        raise PromptError(
            f"unknown seed method {method!r}; choose one of {', '.join(SEED_METHODS)}"
        )
    pts = to_seeds(seeds, image.shape)
    if method != "rays":
        out = region_grow(image, seeds, method, **options)  # type: ignore[arg-type]
    else:
        if options:
            raise PromptError(f"method 'rays' takes no options, got {sorted(options)}")
        arr = np.asarray(image.array, dtype=float)
        check_finite(arr, what="image")
        mask = np.zeros(arr.shape, bool)
        for p in pts:
            mask |= _rays_seed(arr, p, image.spacing)
        if not mask.any():
            raise EmptyMaskError("the outline around the seed is empty")
        out = image.with_array(mask)
    meta = dict(out.metadata)
    meta["method"] = method
    return out.with_array(out.array, metadata=meta)


def segment_prompt(
    image: Volume,
    *,
    seeds: Sequence[Sequence[float]] | None = None,
    box: Sequence[float] | None = None,
    method: str | None = None,
    fill: float = 0.91,
    prefilter: str | None = None,
) -> Volume:
    """Outline from one prompt, seed points or a box, with the defaults of ``radiomix segment``.

    The one code path behind ``radiomix segment --seed/--box`` and the web app's
    ``/api/segment``: seeds use ``rays`` unless ``method`` names a region-growing criterion;
    a box uses the ``graphcut`` method with ``fill`` unless ``method`` names a baseline.

    Parameters
    ----------
    image : Volume
    seeds : sequence of (x, y[, z]), optional
        Voxel indices (column, row[, slice]).
    box : (x0, y0, x1, y1) or (x0, y0, z0, x1, y1, z1), optional
        Inclusive corner voxel indices.
    method : str, optional
        A name of :data:`SEED_METHODS` or :data:`BOX_METHODS`.
    fill : float
        Box graph cut: expected object size relative to the box.
    prefilter : str, optional
        Region growing only: the noise pre-filter.

    Returns
    -------
    Volume
        Boolean mask on the image grid.

    Raises
    ------
    PromptError
        Neither or both prompts, a prompt outside the image, a pre-filter for ``rays``.
    """
    if (seeds is None) == (box is None):
        raise PromptError("give exactly one prompt: seed points or a box")
    if seeds is not None:
        name = method or "rays"
        options: dict[str, float | str] = {}
        if prefilter:
            if name == "rays":
                raise PromptError("--prefilter applies to region growing, not to method rays")
            options["prefilter_method"] = prefilter
        return segment_from_seed(image, seeds, method=name, **options)
    assert box is not None
    return segment_from_box(image, box, method=method or "graphcut", fill=fill)
