"""Filtering a crop gives exactly the whole image's response, for every filter and boundary.

For each registered IBSI 2 filter (several parameter sets) and each boundary condition, the
response on a box is computed from a source array cropped to exactly the region the filter
reads (:func:`~radiomix.filters._engine.source_region`) and compared with the whole
image's response, for boxes in the middle of the image, touching each of its six faces,
in a corner, and covering it all.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from radiomix.filters._boundary import BOUNDARY_MODES
from radiomix.filters._engine import run_plan, source_region
from radiomix.filters.registry import expand_filter, parse_filter

SHAPE = (13, 16, 18)
SPACING = (2.0, 0.7, 0.9)

CASES = [
    ("mean", {"support": 5}),
    ("mean", {"support": 3, "spatial": "2D"}),
    ("log", {"sigma": 1.2}),
    ("log", {"sigma": 1.5, "spatial": "2D"}),
    ("laws", {"kernel": "E5L5S5"}),
    ("laws", {"kernel": "E3W5R5", "rotation_invariant": True, "energy": True, "delta": 2}),
    ("laws", {"kernel": "L5S5", "rotation_invariant": True, "pooling": "mean", "energy": True,
              "delta": 3}),
    ("gabor", {"sigma": 1.5, "lambda": 2.0, "gamma": 0.7, "theta": 30.0, "truncate": 2.0}),
    ("gabor", {"sigma": 1.5, "lambda": 2.0, "gamma": 1.5, "theta_step": 90.0,
               "planes": "orthogonal", "truncate": 2.0}),
    ("wavelet", {"wavelet": "db2", "subband": "LHL"}),
    ("wavelet", {"wavelet": "haar", "subband": "HHH", "level": 2, "rotation_invariant": True}),
    ("wavelet", {"wavelet": "coif1", "subband": "LH"}),
    ("simoncelli", {"level": 1, "kernel_size": 6}),
]  # fmt: skip


def _boxes() -> dict[str, tuple[tuple[int, int], ...]]:
    mid = ((5, 8), (6, 10), (7, 11))
    out = {"middle": mid, "corner": ((0, 3), (0, 4), (0, 5)), "whole": tuple((0, n) for n in SHAPE)}
    for a, n in enumerate(SHAPE):
        lo = list(mid)
        lo[a] = (0, 2)
        hi = list(mid)
        hi[a] = (n - 3, n)
        out[f"axis{a}-start"] = tuple(lo)
        out[f"axis{a}-end"] = tuple(hi)
    return out


@cache
def _image() -> np.ndarray:
    rng = np.random.default_rng(20240611)  # any image: the identity must hold for all
    return rng.normal(100.0, 30.0, SHAPE)


def _ids() -> list:
    params = []
    for name, prm in CASES:
        tag = "-".join(f"{k}{v}" for k, v in prm.items())
        for bc in BOUNDARY_MODES:
            params.append(pytest.param(name, prm, bc, id=f"{name}-{tag}-{bc}"))
    params.append(pytest.param("simoncelli", {"level": 2}, "wrap", id="simoncelli-image-wrap"))
    return params


@pytest.mark.parametrize(("name", "params", "boundary"), _ids())
def test_crop_equals_whole_image(name, params, boundary):
    fname, prm = parse_filter({"filter": name, **params, "boundary": boundary})
    (resolved,) = expand_filter(fname, prm)
    plan = resolved.plan(SPACING)
    image = _image()
    whole = run_plan(plan, image)
    assert whole.shape == SHAPE
    for label, box in _boxes().items():
        region = source_region(plan, box, SHAPE)
        source = image[tuple(slice(lo, hi) for lo, hi in region)]
        got = run_plan(plan, source, box, offset=tuple(lo for lo, _ in region), full_shape=SHAPE)
        expected = whole[tuple(slice(lo, hi) for lo, hi in box)]
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9, err_msg=label)
        if label == "middle" and plan.margin is not None:
            # the filter reads the box and its margin only, never the whole image
            assert source.size < image.size


def test_source_too_small_is_refused():
    fname, prm = parse_filter({"filter": "mean", "support": 5})
    plan = expand_filter(fname, prm)[0].plan(SPACING)
    box = ((5, 8), (6, 10), (7, 11))
    with pytest.raises(ValueError, match="does not cover the filter window"):
        run_plan(plan, _image()[5:8, 6:10, 7:11], box, offset=(5, 6, 7), full_shape=SHAPE)
