"""ICC(1,1) against published and hand-computed tables; robustness tables."""

from __future__ import annotations

import numpy as np
import pytest

from radiomix.errors import ConfigError, EmptyMaskError
from radiomix.io import Volume
from radiomix.studies.robustness import (
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


def test_robustness_config_holds_a_perturbation_section() -> None:
    with pytest.raises(ConfigError):
        load_robustness_config({"perturbation": {"grow_mm": []}})
    settings, pert = load_robustness_config(
        {
            "discretisation": {"method": "fixed_bin_number", "bin_count": 8},
            "perturbation": {"seed": 4},
        }
    )
    assert settings.discretisation.bin_count == 8 and pert.seed == 4


def _disc(shape: tuple[int, int], centre: tuple[float, float], radius: float) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius**2


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
