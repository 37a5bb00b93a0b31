"""The NumPy texture kernels (:mod:`radiomix.features._kernels_numpy`) against the numba ones
(or, for the neighbour statistics, references): bit for bit the same arrays (dtype, shape,
values); importing them (or the zone kernel, which has no numba twin) does not import numba."""

from __future__ import annotations

import itertools
import subprocess
import sys
import zlib

import numpy as np
import pytest

from radiomix.features import _kernels_glcm, _kernels_glrlm, _kernels_numpy
from radiomix.features.pyradiomics_profile import texture_offsets

SHAPES = [(1, 7, 9), (5, 1, 6), (4, 6, 1), (8, 9, 10), (6, 17, 23)]
LEVEL_COUNTS = [1, 2, 5, 12]
#: random levels 1..k, or the same upsampled by 2 (long runs, large zones)
PATTERNS = ["random", "blocky"]

OFFSET_SETS = {
    "3d-d1": texture_offsets((1,), False),
    "3d-d2": texture_offsets((2,), False),
    "3d-d12": texture_offsets((1, 2), False),
    "2d-d1": texture_offsets((1,), True),
    "2d-d12": texture_offsets((1, 2), True),
}
UNIT_DIRECTIONS = np.array(
    [d for d in itertools.product((-1, 0, 1), repeat=3) if any(d)], dtype=np.int64
)
DIRECTION_SETS = {
    "3d": texture_offsets((1,), False),
    "2d": texture_offsets((1,), True),
    "3d-negated": -texture_offsets((1,), False),
    "all-26": UNIT_DIRECTIONS,
}


def _levels(shape: tuple[int, ...], k: int, pattern: str) -> np.ndarray:
    """Levels 1..k, some 0 (outside the ROI), seeded by the case."""
    rng = np.random.default_rng(zlib.crc32(repr((shape, k, pattern)).encode()))
    if pattern == "blocky":
        small = rng.integers(1, k + 1, size=tuple((n + 1) // 2 for n in shape))
        lv = np.repeat(np.repeat(np.repeat(small, 2, 0), 2, 1), 2, 2)
        lv = lv[: shape[0], : shape[1], : shape[2]].copy()
    else:
        lv = rng.integers(1, k + 1, size=shape)
    lv[rng.random(shape) < rng.uniform(0.05, 0.5)] = 0
    return lv.astype(np.int64)


def _assert_identical(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    assert np.array_equal(got, want)


def _neighbour_stats(
    levels: np.ndarray, offsets: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_kernels_numpy.neighbour_stats_roi` in arrays the shape of ``levels``
    (int64 counts, float64 sums, 0 outside the ROI), as the references give them."""
    lv = np.asarray(levels)
    roi = lv.ravel() > 0
    out = []
    for part, dtype in zip(
        _kernels_numpy.neighbour_stats_roi(lv, offsets, alpha),
        (np.int64, np.int64, np.float64),
        strict=True,
    ):
        full = np.zeros(lv.size, dtype=dtype)
        full[roi] = part
        out.append(full.reshape(lv.shape))
    return out[0], out[1], out[2]


def _reference_neighbour_stats(
    levels: np.ndarray, offsets: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shifted copies, one per offset: dependent and ROI neighbours, their level sum."""
    lv = levels.astype(np.int64)
    roi = lv > 0
    pad = int(np.abs(offsets).max()) if len(offsets) else 0
    padded = np.pad(lv, pad)
    dep = np.zeros(lv.shape, dtype=np.int64)
    cnt = np.zeros(lv.shape, dtype=np.int64)
    tot = np.zeros(lv.shape, dtype=np.float64)
    for off in np.asarray(offsets).reshape(-1, 3):
        h = padded[tuple(slice(pad + o, pad + o + n) for o, n in zip(off, lv.shape, strict=True))]
        near = roi & (h > 0)
        cnt += near
        tot += np.where(near, h, 0)
        dep += near & (np.abs(lv - h) <= alpha)
    return dep, cnt, tot


def _plain_loop_neighbour_stats(levels: np.ndarray, offsets: np.ndarray, alpha: float):
    dep = np.zeros(levels.shape, dtype=np.int64)
    cnt = np.zeros(levels.shape, dtype=np.int64)
    tot = np.zeros(levels.shape, dtype=np.float64)
    for p in itertools.product(*(range(n) for n in levels.shape)):
        g = levels[p]
        if g <= 0:
            continue
        for off in offsets:
            q = tuple(int(a + b) for a, b in zip(p, off, strict=True))
            if any(c < 0 or c >= n for c, n in zip(q, levels.shape, strict=True)):
                continue
            h = levels[q]
            if h <= 0:
                continue
            cnt[p] += 1
            tot[p] += h
            dep[p] += abs(g - h) <= alpha
    return dep, cnt, tot


@pytest.mark.parametrize("alpha", [0, 2, 0.5])
@pytest.mark.parametrize("distance", [1, 2])
def test_neighbour_stats_match_a_plain_loop(alpha: float, distance: int) -> None:
    rng = np.random.default_rng(distance)
    levels = rng.integers(1, 6, size=(5, 7, 6))
    levels[rng.random(levels.shape) < 0.3] = 0
    rngs = range(-distance, distance + 1)
    offsets = np.array(
        [o for o in itertools.product(rngs, rngs, rngs) if max(map(abs, o)) == distance]
    )
    got = _neighbour_stats(levels, offsets, alpha)
    ref = _plain_loop_neighbour_stats(levels, offsets, alpha)
    for a, b in zip(got, ref, strict=True):
        np.testing.assert_array_equal(a, b)
    assert (got[0] <= got[1]).all() and (got[0] < got[1]).any()
    # a voxel of level 3 in the middle of a block of 3s has all 26 neighbours (distance 1)
    block = np.full((3, 3, 3), 3)
    d, c, t = _neighbour_stats(block, offsets if distance == 1 else offsets[:0], alpha)
    assert c[1, 1, 1] == (26 if distance == 1 else 0) and t[1, 1, 1] == 3 * c[1, 1, 1]
    assert d[1, 1, 1] == c[1, 1, 1]


def _level_cases() -> list:
    return [
        pytest.param(shape, k, pattern, id=f"{'x'.join(map(str, shape))}-k{k}-{pattern}")
        for shape in SHAPES
        for k in LEVEL_COUNTS
        for pattern in PATTERNS
    ]


@pytest.mark.parametrize("symmetric", [True, False], ids=["sym", "asym"])
@pytest.mark.parametrize("offsets_name", list(OFFSET_SETS))
@pytest.mark.parametrize(("shape", "k", "pattern"), _level_cases())
def test_cooccurrence_entries_match_numba(
    shape: tuple[int, ...], k: int, pattern: str, offsets_name: str, symmetric: bool
) -> None:
    levels = _levels(shape, k, pattern)
    offsets = OFFSET_SETS[offsets_name]
    present = np.unique(levels[levels > 0])
    _assert_same_entries(
        _kernels_numpy.cooccurrence_entries(levels, offsets, symmetric),
        _kernels_glcm.cooccurrence_counts(levels, offsets, present, symmetric),
        present,
    )


def _assert_same_entries(got: tuple, dense: np.ndarray, present: np.ndarray) -> None:
    """The NumPy kernel's entries are the numba kernel's non-zero counts, in the same order."""
    b, i, j = np.nonzero(dense)
    for g, w in zip(got, (b, present[i], present[j], dense[b, i, j]), strict=True):
        _assert_identical(g, w)


@pytest.mark.parametrize("alpha", [0, 1, 0.5, 2.5], ids=lambda a: f"alpha{a}")
@pytest.mark.parametrize("offsets_name", list(OFFSET_SETS))
@pytest.mark.parametrize(("shape", "k", "pattern"), _level_cases())
def test_neighbour_stats_match_a_reference(
    shape: tuple[int, ...], k: int, pattern: str, offsets_name: str, alpha: float
) -> None:
    levels = _levels(shape, k, pattern)
    off = OFFSET_SETS[offsets_name]
    both = np.concatenate([off, -off])  # as the profile counts both neighbours
    got = _neighbour_stats(levels, both, alpha)
    want = _reference_neighbour_stats(levels, both, alpha)
    assert len(got) == len(want) == 3
    for g, w in zip(got, want, strict=True):
        _assert_identical(g, w)


@pytest.mark.parametrize("alpha", [-1.0, float("nan"), float("inf"), 1e300, 3.0])
def test_neighbour_stats_extreme_alphas_match_a_reference(alpha: float) -> None:
    levels = _levels((6, 17, 23), 5, "blocky")
    off = OFFSET_SETS["3d-d12"]
    both = np.concatenate([off, -off])
    got = _neighbour_stats(levels, both, alpha)
    want = _reference_neighbour_stats(levels, both, alpha)
    for g, w in zip(got, want, strict=True):
        _assert_identical(g, w)


@pytest.mark.parametrize("directions_name", list(DIRECTION_SETS))
@pytest.mark.parametrize(("shape", "k", "pattern"), _level_cases())
def test_run_length_counts_match_numba(
    shape: tuple[int, ...], k: int, pattern: str, directions_name: str
) -> None:
    levels = _levels(shape, k, pattern)
    offsets = DIRECTION_SETS[directions_name]
    for n_levels in (k, k + 3):
        got = _kernels_numpy.run_length_counts(levels, offsets, n_levels)
        want = _kernels_glrlm.run_length_counts(levels, offsets, n_levels)
        _assert_identical(got, want)


def test_run_length_counts_match_numba_with_wide_line_keys() -> None:
    """A box whose diagonal lines need more than 16 bits of line key (two-pass sort)."""
    levels = _levels((3, 260, 262), 3, "blocky")
    got = _kernels_numpy.run_length_counts(levels, UNIT_DIRECTIONS, 3)
    want = _kernels_glrlm.run_length_counts(levels, UNIT_DIRECTIONS, 3)
    _assert_identical(got, want)


def test_run_length_counts_match_a_plain_walk() -> None:
    levels = _levels((4, 5, 6), 3, "blocky")
    got = _kernels_numpy.run_length_counts(levels, UNIT_DIRECTIONS, 3)
    _assert_identical(got, _kernels_glrlm._reference_run_counts(levels, UNIT_DIRECTIONS, 3))


@pytest.mark.parametrize(
    ("levels", "offsets", "n_levels"),
    [
        (np.ones((3, 3), dtype=np.int64), np.array([[0, 0, 1]]), 1),
        (np.ones((3, 3, 3)), np.array([[0, 0, 1]]), 1),
        (np.ones((3, 3, 3), dtype=np.int64), np.array([0, 0, 1]), 1),
        (np.ones((3, 3, 3), dtype=np.int64), np.array([[0, 0, 2]]), 1),
        (np.ones((3, 3, 3), dtype=np.int64), np.array([[0, 0, 0]]), 1),
        (np.full((3, 3, 3), 4, dtype=np.int64), np.array([[0, 0, 1]]), 3),
        (np.full((3, 3, 3), -1, dtype=np.int64), np.array([[0, 0, 1]]), 3),
    ],
    ids=["2d", "float", "1d-offsets", "step-2", "zero-offset", "level-too-high", "negative"],
)
def test_run_length_counts_refuse_what_numba_refuses(
    levels: np.ndarray, offsets: np.ndarray, n_levels: int
) -> None:
    with pytest.raises(ValueError) as want:
        _kernels_glrlm.run_length_counts(levels, offsets, n_levels)
    with pytest.raises(ValueError) as got:
        _kernels_numpy.run_length_counts(levels, offsets, n_levels)
    assert str(got.value) == str(want.value)


def test_max_run_length_matches_numba_module() -> None:
    for shape in SHAPES:
        for offsets in DIRECTION_SETS.values():
            assert _kernels_numpy.max_run_length(shape, offsets) == (
                _kernels_glrlm.max_run_length(shape, offsets)
            )


def test_empty_roi_matches_numba() -> None:
    levels = np.zeros((3, 4, 5), dtype=np.int64)
    off = OFFSET_SETS["3d-d1"]
    present = np.zeros(0, dtype=np.int64)
    _assert_same_entries(
        _kernels_numpy.cooccurrence_entries(levels, off),
        _kernels_glcm.cooccurrence_counts(levels, off, present),
        present,
    )
    both = np.concatenate([off, -off])
    for g, w in zip(
        _neighbour_stats(levels, both, 0),
        _reference_neighbour_stats(levels, both, 0),
        strict=True,
    ):
        _assert_identical(g, w)
    _assert_identical(
        _kernels_numpy.run_length_counts(levels, off, 4),
        _kernels_glrlm.run_length_counts(levels, off, 4),
    )


def test_neighbour_kernels_refuse_a_2d_array() -> None:
    flat = np.ones((3, 3), dtype=np.int64)
    off = np.zeros((1, 3), dtype=np.int64)
    with pytest.raises(ValueError, match="3D"):
        _neighbour_stats(flat, off, 0)
    with pytest.raises(ValueError, match="3D"):
        _kernels_numpy.cooccurrence_entries(flat, off)


def test_import_does_not_import_numba() -> None:
    code = (
        "import sys\n"
        "import radiomix.features._kernels_numpy as k\n"
        "from radiomix.features._kernels_zones import edge_distance, zone_table\n"
        "import numpy as np\n"
        "lv = np.arange(60).reshape(3, 4, 5) % 4\n"
        "off = np.array([[0, 0, 1], [1, 1, 1]])\n"
        "k.cooccurrence_entries(lv, off)\n"
        "k.neighbour_stats_roi(lv, np.concatenate([off, -off]), 0)\n"
        "k.run_length_counts(lv, off, 3)\n"
        "zone_table(lv, False, edge_distance(lv > 0, False))\n"
        "zone_table(lv, True)\n"
        "sys.exit(1 if 'numba' in sys.modules else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr or "numba was imported"


def test_numba_only_where_the_work_pays() -> None:
    from radiomix.extraction.profile_pyradiomics import _map_count
    from radiomix.features import pyradiomics_profile as prof

    assert not prof.use_numba_kernels(635_000)  # an 8 cm lesion's box, Original only
    assert prof.use_numba_kernels(635_000, 14)  # ... with LoG x 5 and 8 wavelet bands
    assert not prof.use_numba_kernels(34_000, 14)  # a 3 cm lesion's box
    assert prof.use_numba_kernels(prof.NUMBA_MIN_VOXELS + 1)
    types = [("Original", {}), ("LoG", {"sigma": [1.0, 2.0, 3.0]}), ("Wavelet", {})]
    assert _map_count(types, {}) == 1 + 3 + 8
    assert _map_count([("Wavelet", {})], {"level": 2}) == 15
    assert _map_count([("LBP3D", {})], {}) == 3
    assert _map_count([], {}) == 1


def test_neighbour_stats_roi_compact_types() -> None:
    rng = np.random.default_rng(5)
    levels = rng.integers(0, 7, size=(5, 6, 7))
    off = texture_offsets([1], False)
    roi = _kernels_numpy.neighbour_stats_roi(levels, np.concatenate([off, -off]), 1.5)
    assert roi[0].dtype == roi[1].dtype == np.uint8 and roi[2].dtype == np.int32
    assert all(r.shape == (np.count_nonzero(levels),) for r in roi)


@pytest.mark.parametrize("alpha", [None, 0, 1.5, -1.0, float("nan"), float("inf")])
@pytest.mark.parametrize("norms", [(1,), (2,), (1, 2), (1, 3), (2, 3)], ids=str)
@pytest.mark.parametrize("two_d", [False, True], ids=["3d", "2d"])
def test_neighbour_counts_backends_agree(two_d: bool, norms: tuple, alpha: float | None) -> None:
    """Box sums + the numba dependence kernel and the NumPy pass: the same counts, at the
    ROI voxels, for any set of Chebyshev norms (IBSI's 1..delta, PyRadiomics' distances)."""
    from radiomix.features._texture import neighbour_counts, neighbour_offsets

    levels = _levels((6, 9, 8), 4, "blocky")
    roi = levels > 0
    boxed = neighbour_counts(levels, norms, two_d, alpha)
    passed = neighbour_counts(levels, norms, two_d, alpha, numba=False, roi_only=True)
    off = neighbour_offsets(norms, two_d, every_offset=True)
    want = _reference_neighbour_stats(
        levels, np.concatenate([off, -off]), -1 if alpha is None else alpha
    )
    for k, (b, p) in enumerate(zip(boxed, passed, strict=True)):
        if k == 2 and alpha is None:
            assert b is None and p is None
            continue
        ref = want[(1, 2, 0)[k]][roi]
        np.testing.assert_array_equal(b[roi], ref)
        np.testing.assert_array_equal(p, ref)
