"""ICC(1,1) against published and hand-computed tables; perturbations; robustness tables."""

from __future__ import annotations

import numpy as np
import pytest

from radiomix.errors import ConfigError, EmptyMaskError
from radiomix.io import Volume
from radiomix.segment.perturb import (
    PerturbationSettings,
    estimate_noise,
    grow_shrink,
    perturb,
    perturbation_plan,
    perturbation_settings,
    randomise_contour,
    rotate_translate,
)
from radiomix.segment.robustness import (
    ICC_COLUMNS,
    RobustnessCase,
    icc_1_1,
    load_robustness_config,
    robustness_table,
)

# Shrout & Fleiss (1979), table 2: 6 targets rated by 4 judges
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    dtype=float,
)


def test_icc_shrout_fleiss_table() -> None:
    res = icc_1_1(SHROUT_FLEISS)
    # published: BMS = 11.24, WMS = 6.26, ICC(1,1) = .17 (Shrout & Fleiss 1979, tables 3-4)
    assert res.ms_between == pytest.approx(11.24, abs=0.005)
    assert res.ms_within == pytest.approx(6.26, abs=0.005)
    assert res.icc == pytest.approx(0.17, abs=0.005)
    # F-based 95 % CI; the R package psych reports [-0.13, 0.72] for ICC1 on this table
    assert res.ci_low == pytest.approx(-0.13, abs=0.005)
    assert res.ci_high == pytest.approx(0.72, abs=0.005)


def test_icc_hand_computed_small_table() -> None:
    # rows (1, 2), (3, 4), (5, 7): grand mean 11/3; row means 1.5, 3.5, 6
    # MS_B = 2 x (4.6944 + 0.0278 + 5.4444) / 2 = 10.1667; MS_W = (0.5 + 0.5 + 2) / 3 = 1
    # ICC = (10.1667 - 1) / (10.1667 + 1) = 0.82090
    res = icc_1_1(np.array([[1, 2], [3, 4], [5, 7]], float))
    assert res.ms_between == pytest.approx(61 / 6)
    assert res.ms_within == pytest.approx(1.0)
    assert res.icc == pytest.approx((61 / 6 - 1) / (61 / 6 + 1))
    assert res.ci_low < res.icc < res.ci_high


def test_icc_degenerate_tables() -> None:
    assert np.isnan(icc_1_1(np.ones((1, 5))).icc)  # one case: no between-case variance
    assert np.isnan(icc_1_1(np.ones((4, 3))).icc)  # constant feature
    perfect = icc_1_1(np.array([[1.0, 1.0], [2.0, 2.0], [5.0, 5.0]]))
    assert perfect.icc == 1.0 and perfect.ci_low == 1.0
    with pytest.raises(ValueError):
        icc_1_1(np.ones((3, 1)))


def _disc(shape: tuple[int, int], centre: tuple[float, float], radius: float) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius**2


def test_grow_shrink_by_physical_distance() -> None:
    disc = Volume(_disc((80, 80), (40, 40), 15)[np.newaxis], spacing=(1.0, 0.5, 0.5))
    grown = grow_shrink(disc, 2.0)  # 2 mm = 4 px at 0.5 mm
    shrunk = grow_shrink(disc, -2.0)
    assert grown.array.sum() == pytest.approx(np.pi * 19**2, rel=0.03)
    assert shrunk.array.sum() == pytest.approx(np.pi * 11**2, rel=0.05)
    assert np.array_equal(grow_shrink(disc, 0.0).array, disc.array)


def test_contour_randomisation_moves_the_boundary_locally() -> None:
    disc = Volume(_disc((100, 100), (50, 50), 25)[np.newaxis])
    a = randomise_contour(disc, 2.0, 5.0, np.random.default_rng(1)).array
    b = randomise_contour(disc, 2.0, 5.0, np.random.default_rng(1)).array
    c = randomise_contour(disc, 2.0, 5.0, np.random.default_rng(2)).array
    assert np.array_equal(a, b) and not np.array_equal(a, c)  # deterministic with the seed
    changed = a ^ disc.array
    assert changed.any()
    # changes stay in a band around the boundary (amplitude 2: a few px)
    yy, xx = np.nonzero(changed[0])
    r = np.hypot(yy - 50, xx - 50)
    assert np.all(np.abs(r - 25) < 10)


def test_rotation_translation_keep_a_centred_disc() -> None:
    img = Volume(_disc((60, 60), (30, 30), 12)[np.newaxis].astype(float) * 100)
    mask = img.with_array(img.array > 50)
    r_img, r_mask = rotate_translate(img, mask, 30.0, (0.0, 0.0, 0.0))
    assert abs(float(r_img.array.sum()) - float(img.array.sum())) < 0.02 * float(img.array.sum())
    assert abs(int(r_mask.array.sum()) - int(mask.array.sum())) <= 4  # a disc about its centre
    _, t_mask = rotate_translate(img, mask, 0.0, (0.0, 0.0, 3.0))  # 3 voxels along x
    assert np.array_equal(t_mask.array, np.roll(mask.array, 3, axis=2))


def test_noise_estimate_and_plan() -> None:
    rng = np.random.default_rng(0)
    img = Volume(rng.normal(100, 5.0, (1, 128, 128)))
    assert estimate_noise(img) == pytest.approx(5.0, rel=0.1)
    s = PerturbationSettings(n_perturbations=6, seed=3)
    p1 = perturbation_plan(s, planar=True, case_index=2)
    assert p1 == perturbation_plan(s, planar=True, case_index=2)
    assert p1 != perturbation_plan(s, planar=True, case_index=3)
    assert all(p.translation[0] == 0.0 for p in p1)  # no z shift for a 2D image
    assert all(p.rotation_deg in s.rotation_deg and p.grow_mm in s.grow_mm for p in p1)


def test_perturbation_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="did you mean 'n_perturbations'"):
        perturbation_settings({"n_perturbation": 3})
    with pytest.raises(ConfigError, match=">= 2"):
        perturbation_settings({"n_perturbations": 1})
    with pytest.raises(ConfigError):
        load_robustness_config({"perturbation": {"grow_mm": []}})
    settings, pert = load_robustness_config(
        {
            "discretisation": {"method": "fixed_bin_number", "bin_count": 8},
            "perturbation": {"seed": 4},
        }
    )
    assert settings.discretisation.bin_count == 8 and pert.seed == 4


CONFIG = {
    "discretisation": {"method": "fixed_bin_number", "bin_count": 16},
    "texture": {"spatial": ["2D"]},
    "features": {"families": ["statistics", "morphology_2d", "glcm"]},
    "perturbation": {"n_perturbations": 4, "seed": 1, "grow_mm": [-1, 0, 1]},
}


def _cases(n: int) -> list[RobustnessCase]:
    rng = np.random.default_rng(11)
    cases = []
    for i in range(n):
        radius = 8 + 4 * i  # sizes differ a lot between cases
        obj = _disc((64, 64), (32, 32), radius)
        img = np.where(obj, 80.0 + 15 * i, 150.0) + rng.normal(0, 6, obj.shape)
        cases.append(RobustnessCase(f"c{i}", Volume(img[np.newaxis]), Volume(obj[np.newaxis])))
    return cases


def test_robustness_table_on_synthetic_cases() -> None:
    table = robustness_table(_cases(5), CONFIG, n_jobs=1)
    assert list(table.columns) == ICC_COLUMNS
    assert (table["n_perturbations"] == 4).all() and (table["n_cases"] == 5).all()
    by_name = table.set_index("feature")
    # the area differs between cases far more than a 1-px growth moves it
    assert by_name.loc["original_morphology_2d_area_pix", "icc"] > 0.95
    assert by_name.loc["original_statistics_mean", "icc"] > 0.9
    assert set(table["family"]) == {"statistics", "morphology_2d", "glcm"}
    assert table["feature"].str.startswith("original_").all()
    # deterministic: the same seed gives the same table
    again = robustness_table(_cases(5), CONFIG, n_jobs=1)
    assert np.allclose(table["icc"].to_numpy(), again["icc"].to_numpy(), equal_nan=True)


def test_single_case_gives_cv_but_no_icc() -> None:
    table = robustness_table(_cases(1), CONFIG, n_jobs=1)
    assert table["icc"].isna().all()
    area = table.set_index("feature").loc["original_morphology_2d_area_pix"]
    assert 0 < area["cv"] < 0.5  # 1-px growth/shrinkage of a radius-8 disc


def test_failed_cases_are_reported() -> None:
    tiny = RobustnessCase(
        "tiny", Volume(np.ones((1, 9, 9))), Volume(np.eye(9, dtype=bool)[np.newaxis] & False)
    )
    table = robustness_table([*_cases(2), tiny], CONFIG, n_jobs=1)
    assert "tiny" in table.attrs["errors"]
    with pytest.raises(EmptyMaskError, match="no case could be processed"):
        robustness_table([tiny], CONFIG, n_jobs=1)


def test_perturb_yields_planned_copies() -> None:
    (case,) = _cases(1)
    out = list(perturb(case.image, case.mask, PerturbationSettings(n_perturbations=3)))
    assert [p.index for p, _, _ in out] == [0, 1, 2]
    assert all(m.array.dtype == bool and m.shape == case.mask.shape for _, _, m in out)
