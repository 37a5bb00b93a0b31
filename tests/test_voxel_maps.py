"""Voxel maps of the ibsi profile: a map's value at a voxel is the family's ROI feature of
the kernel around it (the same formulas, the ROI restricted to the kernel)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from radiomix.errors import ConfigError
from radiomix.extraction.pipeline import prepare_roi
from radiomix.extraction.settings import settings_from_dict
from radiomix.extraction.voxel import VOXEL_FAMILIES, map_names, voxel_maps, voxel_settings
from radiomix.features import family_module
from radiomix.io import Volume

SETTINGS = {
    "discretisation": {"method": "fixed_bin_number", "bin_count": 6},
    "texture": {"distance": [1]},
}


def _case(seed: int = 3) -> tuple[Volume, Volume]:
    rng = np.random.default_rng(seed)
    image = np.round(ndimage.gaussian_filter(rng.normal(50, 30, (9, 11, 12)), 0.7) * 4)
    z, y, x = np.ogrid[:9, :11, :12]
    mask = ((z - 4) ** 2 / 9 + (y - 5) ** 2 / 16 + (x - 6) ** 2 / 20) <= 1.0
    sp = (2.0, 0.8, 0.7)
    return Volume(image, spacing=sp, origin=(5.0, -3.0, 1.0)), Volume(
        mask, spacing=sp, origin=(5.0, -3.0, 1.0)
    )


def _kernel_value(family: str, name: str, p, settings, centre: np.ndarray, radius: int) -> float:
    """The ROI feature ``name`` of the kernel around ``centre``, by the family's compute."""
    box = np.zeros(p.int_mask.shape, bool)
    lo = np.maximum(centre - radius, 0)
    box[
        lo[0] : centre[0] + radius + 1,
        lo[1] : centre[1] + radius + 1,
        lo[2] : centre[2] + radius + 1,
    ] = True
    sub = p.int_mask & box
    mod = family_module(family)
    if family == "statistics":
        values = mod.compute(p.image[sub])
    elif family == "histogram":
        values = mod.compute(p.levels[sub], p.n_levels)
    else:
        levels = np.where(sub, p.levels, 0)
        spatial = ("3D",)
        if family == "ngldm":
            values = mod.compute(levels, p.n_levels, spatial=spatial, distance=1, coarseness=0)
        elif family in ("glcm", "ngtdm"):
            values = mod.compute(levels, p.n_levels, spatial=spatial, distance=1)
        else:
            values = mod.compute(levels, p.n_levels, spatial=spatial)
    got = {f"original_{family}_{v.feature_name}": v.value for v in values}
    return got[name]


@pytest.mark.parametrize("family", VOXEL_FAMILIES)
def test_map_value_is_the_kernels_roi_feature(family: str) -> None:
    image, mask = _case()
    settings = settings_from_dict(SETTINGS)
    maps = voxel_maps(image, mask, settings, radius=1, families=[family])
    s = voxel_settings(settings, [family])
    assert list(maps) == map_names(s)
    p = prepare_roi(image, mask, s, {})
    rng = np.random.default_rng(0)
    inside = np.argwhere(p.int_mask)
    picks = inside[rng.choice(len(inside), 6, replace=False)]
    edge = inside[np.argmin(inside.sum(axis=1))]  # a kernel clipped by the ROI's border
    for centre in [*picks, edge]:
        for name, vol in maps.items():
            want = _kernel_value(family, name, p, s, centre, 1)
            got = vol.array[tuple(centre)]
            assert got == pytest.approx(want, rel=1e-9, abs=1e-12, nan_ok=True), (name, centre)


def test_maps_lie_on_the_prepared_grid_with_nan_outside_the_roi() -> None:
    image, mask = _case()
    settings = settings_from_dict(SETTINGS)
    maps = voxel_maps(image, mask, settings, radius=1, families=["statistics"])
    p = prepare_roi(image, mask, voxel_settings(settings, ["statistics"]), {})
    mean = maps["original_statistics_mean"]
    assert mean.shape == p.int_mask.shape
    assert mean.spacing == p.spacing and mean.origin == p.origin
    assert np.all(np.isnan(mean.array[~p.int_mask]))
    assert np.all(np.isfinite(mean.array[p.int_mask]))
    # the map's mean at a voxel lies between the kernel's extremes
    lo, hi = maps["original_statistics_min"].array, maps["original_statistics_max"].array
    assert np.all(
        (lo[p.int_mask] <= mean.array[p.int_mask]) & (mean.array[p.int_mask] <= hi[p.int_mask])
    )


def test_larger_radius_smooths_the_mean_map() -> None:
    image, mask = _case()
    settings = settings_from_dict(SETTINGS)
    r1 = voxel_maps(image, mask, settings, radius=1, families=["statistics"])
    r2 = voxel_maps(image, mask, settings, radius=2, families=["statistics"])
    roi = ~np.isnan(r1["original_statistics_mean"].array)
    assert np.std(r2["original_statistics_mean"].array[roi]) < np.std(
        r1["original_statistics_mean"].array[roi]
    )


@pytest.mark.parametrize(
    ("kwargs", "settings", "message"),
    [
        ({"families": ["morphology"]}, SETTINGS, "has no voxel maps"),
        ({"radius": 0}, SETTINGS, "kernel radius"),
        (
            {},
            {**SETTINGS, "features": {"families": ["morphology", "ivh"]}},
            "no family with voxel maps",
        ),
    ],
)
def test_bad_requests_say_what_to_do(kwargs: dict, settings: dict, message: str) -> None:
    image, mask = _case()
    with pytest.raises(ConfigError, match=message):
        voxel_maps(image, mask, settings_from_dict(settings), **kwargs)


def test_pyradiomics_profile_is_pointed_to_its_parameter_file() -> None:
    image, mask = _case()
    s = settings_from_dict({"profile": "pyradiomics"})
    with pytest.raises(ConfigError, match="--params"):
        voxel_maps(image, mask, s)


def test_command_writes_the_maps_and_a_manifest_goes_on_past_a_bad_case(tmp_path) -> None:
    import pandas as pd
    import SimpleITK as sitk

    from radiomix.cli.main import main
    from radiomix.io import write_volume

    image, mask = _case()
    write_volume(image, tmp_path / "img.nrrd")
    write_volume(mask.with_array(mask.array.astype(np.uint8)), tmp_path / "msk.nrrd")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "discretisation: {method: fixed_bin_number, bin_count: 6}\n"
        "features: {families: [statistics, glszm]}\n"
    )
    out = tmp_path / "maps.csv"
    argv = ["extract", str(tmp_path / "img.nrrd"), str(tmp_path / "msk.nrrd")]
    assert main([*argv, "--mode", "voxel", "--config", str(cfg), "--out", str(out)]) == 0
    row = pd.read_csv(out).iloc[0]
    want = voxel_maps(image, mask, settings_from_dict(SETTINGS), families=["glszm"])
    name = "original_glszm_sze_3d"
    got = sitk.GetArrayFromImage(sitk.ReadImage(row[name]))
    np.testing.assert_allclose(got, want[name].array, rtol=1e-12, equal_nan=True)
    assert list(row.index[:2]) == ["case_id", "roi"] and row["roi"] == 1

    manifest = tmp_path / "cases.csv"
    manifest.write_text(
        "case_id,image,mask\n"
        f"a,{tmp_path / 'img.nrrd'},{tmp_path / 'msk.nrrd'}\n"
        f"b,{tmp_path / 'missing.nrrd'},{tmp_path / 'msk.nrrd'}\n"
    )
    out2 = tmp_path / "batch.csv"
    run = ["extract", "--manifest", str(manifest), "--mode", "voxel", "--config", str(cfg)]
    code = main([*run, "--out", str(out2), "--jobs", "1"])
    assert code == 3
    assert list(pd.read_csv(out2)["case_id"]) == ["a"]
    errors = pd.read_csv(tmp_path / "batch.errors.csv")
    assert list(errors["case_id"]) == ["b"]
