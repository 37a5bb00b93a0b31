"""NGLDM family: IBSI digital phantom, hand-computed cases, kernel vs reference, edge cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radiomix.extraction.reference import within_tolerance
from radiomix.features import ngldm
from radiomix.features._kernels_neighbourhood import (
    _reference_dependence_counts,
    dependence_counts,
    neighbourhood_size,
)
from tests.conftest import digital_phantom_tags

ALL = ("2D", "2.5D", "3D")
ABBREV = {s.name: s.ibsi_tag.removeprefix("ngl_") for s in ngldm.FEATURES}


def _values(levels: np.ndarray, n_levels: int, **kw) -> dict[str, float]:
    """{short name + suffix: value}, e.g. ``lde_3d``."""
    out = {}
    for v in ngldm.compute(levels, n_levels, **kw):
        key = v.feature_name.replace(v.spec.name, ABBREV[v.spec.name], 1)
        out[key] = v.value
    return out


def _matrix(levels, n_levels, distance=1, coarseness=0, two_d=False):
    dep = dependence_counts(levels, distance, coarseness, two_d)
    return ngldm.build_matrix(levels, dep, n_levels, neighbourhood_size(distance, two_d) + 1)


# --------------------------------------------------------------------------- IBSI phantom


@pytest.fixture(scope="module")
def phantom_values(digital_phantom) -> dict[str, float]:
    levels = np.where(digital_phantom.mask, digital_phantom.image, 0).astype(np.int64)
    return {v.ibsi_tag: v.value for v in ngldm.compute(levels, 6, spatial=ALL)}


@pytest.mark.parametrize("tag", digital_phantom_tags("ngl_"))
def test_digital_phantom(tag, phantom_values, digital_phantom_reference):
    ref = digital_phantom_reference[tag]
    assert within_tolerance(phantom_values[tag], ref), (tag, phantom_values[tag], ref.value)


def test_digital_phantom_covers_every_tag(phantom_values):
    assert set(digital_phantom_tags("ngl_")) <= set(phantom_values)


# --------------------------------------------------------------------------- hand-computed

PLANE = np.array([[[1, 1, 2], [1, 2, 2]]])


def test_hand_computed_alpha_0():
    # every voxel has exactly 2 neighbours of its own level: j = 3 for all six voxels
    m = _matrix(PLANE, 2, two_d=True)
    expected = np.zeros((2, 9))
    expected[:, 2] = 3
    np.testing.assert_array_equal(m.counts[0], expected)
    got = _values(PLANE, 2, spatial=("2D",))
    assert got["lde_2d"] == pytest.approx(1 / 9)
    assert got["hde_2d"] == pytest.approx(9)
    assert got["lgce_2d"] == pytest.approx(0.5 + 0.5 / 4)
    assert got["hgce_2d"] == pytest.approx(0.5 + 0.5 * 4)
    assert got["glnu_2d"] == pytest.approx((9 + 9) / 6)
    assert got["glnu_norm_2d"] == pytest.approx(0.5)
    assert got["dcnu_2d"] == pytest.approx(36 / 6)
    assert got["dcnu_norm_2d"] == pytest.approx(1.0)
    assert got["dc_perc_2d"] == pytest.approx(1.0)
    assert got["gl_var_2d"] == pytest.approx(0.25)
    assert got["dc_var_2d"] == pytest.approx(0.0)
    assert got["dc_entr_2d"] == pytest.approx(1.0)
    assert got["dc_energy_2d"] == pytest.approx(0.5)


def test_hand_computed_alpha_1():
    # every ROI neighbour is dependent: corners have 3 neighbours (j = 4), middles 5 (j = 6)
    m = _matrix(PLANE, 2, coarseness=1, two_d=True)
    expected = np.zeros((2, 9))
    expected[:, 3] = 2
    expected[:, 5] = 1
    np.testing.assert_array_equal(m.counts[0], expected)
    got = _values(PLANE, 2, spatial=("2.5D",), coarseness=1)
    s = "2_5d_a1"
    assert got[f"lde_{s}"] == pytest.approx((2 / 16 + 1 / 36) * 2 / 6)
    assert got[f"hde_{s}"] == pytest.approx((2 * 16 + 36) * 2 / 6)
    assert got[f"ldlge_{s}"] == pytest.approx((2 / 16 + 1 / 36) * (1 + 1 / 4) / 6)
    assert got[f"ldhge_{s}"] == pytest.approx((2 / 16 + 1 / 36) * (1 + 4) / 6)
    assert got[f"hdlge_{s}"] == pytest.approx((2 * 16 + 36) * (1 + 1 / 4) / 6)
    assert got[f"hdhge_{s}"] == pytest.approx((2 * 16 + 36) * (1 + 4) / 6)
    assert got[f"dcnu_{s}"] == pytest.approx((16 + 4) / 6)
    assert got[f"dc_var_{s}"] == pytest.approx(8 / 9)
    p = np.array([1 / 3, 1 / 6, 1 / 3, 1 / 6])
    assert got[f"dc_entr_{s}"] == pytest.approx(-np.sum(p * np.log2(p)))
    assert got[f"dc_energy_{s}"] == pytest.approx(np.sum(p**2))


def test_homogeneous_cube_3d():
    levels = np.full((3, 3, 3), 2)
    m = _matrix(levels, 2)
    assert m.counts[0].shape == (2, 27)
    # 8 corners (7 neighbours), 12 edges (11), 6 faces (17), 1 centre (26); j = count + 1
    assert m.counts[0][1, 7] == 8
    assert m.counts[0][1, 11] == 12
    assert m.counts[0][1, 17] == 6
    assert m.counts[0][1, 26] == 1
    assert m.counts[0].sum() == 27


def test_neighbours_outside_roi_do_not_count():
    levels = np.array([[[1, 0, 1]]])
    assert dependence_counts(levels, 1, 0, False).tolist() == [[[0, 0, 0]]]
    assert dependence_counts(levels, 2, 0, False).tolist() == [[[1, 0, 1]]]
    got = _values(levels, 1, distance=2)
    assert got["lde_3d_d2"] == pytest.approx(1 / 4)
    assert got["dc_perc_3d_d2"] == 1.0


# --------------------------------------------------------------------------- kernel vs reference


def _loop_dependence_counts(levels, distance, coarseness, two_d):
    nz, ny, nx = levels.shape
    dz = 0 if two_d else distance
    out = np.zeros(levels.shape, dtype=np.int32)
    for z, y, x in zip(*np.nonzero(levels), strict=True):
        g = levels[z, y, x]
        c = 0
        for kz in range(max(0, z - dz), min(nz, z + dz + 1)):
            for ky in range(max(0, y - distance), min(ny, y + distance + 1)):
                for kx in range(max(0, x - distance), min(nx, x + distance + 1)):
                    h = levels[kz, ky, kx]
                    if (kz, ky, kx) != (z, y, x) and h > 0 and abs(h - g) <= coarseness:
                        c += 1
        out[z, y, x] = c
    return out


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("distance", "coarseness"), [(1, 0), (1, 1), (2, 0), (2, 2)])
@pytest.mark.parametrize("two_d", [True, False])
def test_kernel_matches_reference(seed, distance, coarseness, two_d):
    rng = np.random.default_rng(seed)
    levels = rng.integers(1, 6, size=(5, 8, 7)) * (rng.random((5, 8, 7)) < 0.75)
    got = dependence_counts(levels, distance, coarseness, two_d)
    np.testing.assert_array_equal(
        got, _reference_dependence_counts(levels, distance, coarseness, two_d)
    )
    if seed == 0:
        np.testing.assert_array_equal(
            got, _loop_dependence_counts(levels, distance, coarseness, two_d)
        )


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(0, 3), alpha=st.integers(0, 2))
def test_rotation_invariance_and_voxel_count(seed, k, alpha):
    rng = np.random.default_rng(seed)
    levels = rng.integers(1, 5, size=(3, 5, 5)) * (rng.random((3, 5, 5)) < 0.8)
    base = _values(levels, 4, spatial=ALL, coarseness=alpha)
    turned = _values(np.rot90(levels, k, axes=(1, 2)), 4, spatial=ALL, coarseness=alpha)
    for name, value in base.items():
        assert turned[name] == pytest.approx(value, nan_ok=True), name
    if levels.any():
        assert _matrix(levels, 4, coarseness=alpha).counts[0].sum() == np.count_nonzero(levels)


# --------------------------------------------------------------------------- degenerate


def _no_warnings(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kw)


def test_empty_roi_gives_nan():
    out = _no_warnings(ngldm.compute, np.zeros((2, 3, 3), dtype=np.int64), 4, spatial=ALL)
    assert len(out) == 3 * len(ngldm.FEATURES)
    assert all(np.isnan(v.value) for v in out)


def test_single_voxel():
    levels = np.zeros((3, 3, 3), dtype=np.int64)
    levels[1, 1, 1] = 2
    got = _no_warnings(_values, levels, 4, spatial=ALL)
    for s in ("2d", "2_5d", "3d"):
        assert got[f"lde_{s}"] == 1.0
        assert got[f"hde_{s}"] == 1.0
        assert got[f"lgce_{s}"] == 0.25
        assert got[f"dc_perc_{s}"] == 1.0
        assert got[f"gl_var_{s}"] == 0.0
        assert got[f"dc_var_{s}"] == 0.0
        assert got[f"dc_entr_{s}"] == 0.0
        assert got[f"dc_energy_{s}"] == 1.0


def test_single_grey_level():
    got = _no_warnings(_values, np.full((2, 3, 3), 1), 3, spatial=ALL)
    assert all(np.isfinite(v) for v in got.values())
    assert got["gl_var_3d"] == 0.0
    assert got["glnu_norm_3d"] == 1.0


# --------------------------------------------------------------------------- API


def test_output_order_and_names():
    out = ngldm.compute(PLANE, 2, spatial=("3D", "2.5D", "2D"))
    n = len(ngldm.FEATURES)
    assert [v.aggregation for v in out] == ["2D"] * n + ["2_5D"] * n + ["3D"] * n
    assert [v.spec.name for v in out[:n]] == [s.name for s in ngldm.FEATURES]
    assert out[0].ibsi_tag == "ngl_lde_2D"
    assert ngldm.compute(PLANE, 2, distance=2)[0].qualifier == "d2"
    assert ngldm.compute(PLANE, 2, coarseness=1)[0].qualifier == "a1"
    assert ngldm.compute(PLANE, 2, distance=2, coarseness=1)[0].qualifier == "d2_a1"


def test_registry():
    assert [s.ibsi_tag for s in ngldm.FEATURES] == [
        f"ngl_{t}"
        for t in (
            "lde",
            "hde",
            "lgce",
            "hgce",
            "ldlge",
            "ldhge",
            "hdlge",
            "hdhge",
            "glnu",
            "glnu_norm",
            "dcnu",
            "dcnu_norm",
            "dc_perc",
            "gl_var",
            "dc_var",
            "dc_entr",
            "dc_energy",
        )
    ]
    codes = [s.ibsi_code for s in ngldm.FEATURES]
    assert len(set(codes)) == len(codes) == 17
    for spec in ngldm.FEATURES:
        assert spec.family == "ngldm"
        assert spec.ibsi_code in spec.doc
        assert ".. math::" in spec.doc


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"levels": np.ones((3, 3), dtype=int)}, "3D"),
        ({"levels": np.ones((1, 3, 3))}, "integer"),
        ({"levels": np.full((1, 3, 3), 9)}, "0..n_levels"),
        ({"n_levels": -2}, "n_levels"),
        ({"distance": 0}, "distance"),
        ({"coarseness": -1}, "coarseness"),
        ({"coarseness": 0.5}, "coarseness"),
        ({"spatial": ("2D", "xD")}, "spatial"),
    ],
)
def test_validation(kwargs, match):
    args = {"levels": np.ones((1, 3, 3), dtype=int), "n_levels": 6}
    args.update(kwargs)
    levels, n_levels = args.pop("levels"), args.pop("n_levels")
    with pytest.raises(ValueError, match=match):
        ngldm.compute(levels, n_levels, **args)


def test_kernel_wrapper_validation():
    with pytest.raises(ValueError, match="3D"):
        dependence_counts(np.ones((3, 3), dtype=int), 1, 0, False)
    with pytest.raises(ValueError, match="integer"):
        dependence_counts(np.ones((1, 3, 3)), 1, 0, False)
    with pytest.raises(ValueError, match="distance"):
        dependence_counts(np.ones((1, 3, 3), dtype=int), 0, 0, False)
    with pytest.raises(ValueError, match="coarseness"):
        dependence_counts(np.ones((1, 3, 3), dtype=int), 1, -1, False)
