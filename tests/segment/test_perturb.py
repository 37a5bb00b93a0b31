"""Image and mask perturbations: growth, contour randomisation, rotation, noise, the plan."""

from __future__ import annotations

import numpy as np
import pytest

from radiomix.errors import ConfigError
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


def test_perturb_yields_planned_copies() -> None:
    obj = _disc((64, 64), (32, 32), 8)
    rng = np.random.default_rng(11)
    image = Volume((np.where(obj, 80.0, 150.0) + rng.normal(0, 6, obj.shape))[np.newaxis])
    mask = Volume(obj[np.newaxis])
    out = list(perturb(image, mask, PerturbationSettings(n_perturbations=3)))
    assert [p.index for p, _, _ in out] == [0, 1, 2]
    assert all(m.array.dtype == bool and m.shape == mask.shape for _, _, m in out)
