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


def _case_files(tmp_path, config: str):
    """The test case as NRRD files in ``tmp_path`` and a configuration file: (image, mask,
    configuration path)."""
    from radiomix.io import write_volume

    image, mask = _case()
    write_volume(image, tmp_path / "img.nrrd")
    write_volume(mask.with_array(mask.array.astype(np.uint8)), tmp_path / "msk.nrrd")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(config)
    return image, mask, cfg


def test_command_writes_the_maps_and_a_manifest_goes_on_past_a_bad_case(tmp_path) -> None:
    import pandas as pd
    import SimpleITK as sitk

    from radiomix.cli.main import main

    image, mask, cfg = _case_files(
        tmp_path,
        "discretisation: {method: fixed_bin_number, bin_count: 6}\n"
        "features: {families: [statistics, glszm]}\n",
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


# --------------------------------------------------------------------------- 2D, 2.5D, filters


def _segment_columns(settings, image, mask) -> list[str]:
    """Segment mode's columns of the families with maps, in its order."""
    from radiomix.extraction.pipeline import extract_roi

    res = extract_roi(image, mask, settings)
    return [
        f"{r.image_type}_{r.family}_{r.value.feature_name}"
        for r in res.features
        if r.family in VOXEL_FAMILIES
    ]


def _restricted(p, sub: np.ndarray):
    """The prepared ROI ``p`` restricted to the voxels ``sub`` (grey levels as the whole
    ROI's discretisation gave them)."""
    from dataclasses import replace

    levels = None if p.levels is None else np.where(sub, p.levels, 0)
    return replace(p, int_mask=sub, morph_mask=sub, levels=levels)


def _kernel(shape, centre: np.ndarray, radius: int, in_plane: bool) -> np.ndarray:
    box = np.zeros(shape, bool)
    lo = np.maximum(centre - radius, 0)
    hi = centre + radius + 1
    if in_plane:
        lo[0], hi[0] = centre[0], centre[0] + 1
    box[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]] = True
    return box


def _check_kernels(maps, p, s, image_type: str, families, radius: int, in_plane) -> int:
    """Every map of ``image_type`` at a few voxels (a clipped kernel among them) against
    segment mode's family on the ROI restricted to the kernel; ``in_plane(name)``: whether
    the map's kernel is the voxel's in-plane square. Returns the number of maps checked."""
    from radiomix.extraction.families import run_family

    rng = np.random.default_rng(1)
    inside = np.argwhere(p.int_mask)
    picks = inside[rng.choice(len(inside), 4, replace=False)]
    edge = inside[np.argmin(inside.sum(axis=1))]
    names = [n for n in maps if n.startswith(f"{image_type}_")]
    for centre in [*picks, edge]:
        want: dict[str, float] = {}
        for flat in (False, True):
            q = _restricted(p, p.int_mask & _kernel(p.int_mask.shape, centre, radius, flat))
            for fam in families:
                for v in run_family(fam, q, s):
                    want.setdefault(f"{fam}_{v.feature_name}_{flat}", v.value)
        for name in names:
            rest = name[len(image_type) + 1 :]
            expected = want[f"{rest}_{in_plane(name)}"]
            got = maps[name].array[tuple(centre)]
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-12, nan_ok=True), (name, centre)
    return len(names)


def _is_2d(name: str) -> bool:
    return "_2d" in name or "_2_5d" in name


@pytest.mark.parametrize("family", VOXEL_FAMILIES)
def test_2d_and_2_5d_maps_are_the_slice_squares_roi_features(family: str) -> None:
    image, mask = _case()
    settings = settings_from_dict(
        {**SETTINGS, "texture": {"spatial": ["2.5D", "2D"], "distance": [1, 2]}}
    )
    maps = voxel_maps(image, mask, settings, radius=1, families=[family])
    s = voxel_settings(settings, [family])
    assert list(maps) == map_names(s) == _segment_columns(s, image, mask)
    if family not in ("statistics", "histogram"):
        assert all(_is_2d(n) for n in maps) and any("_2_5d" in n for n in maps)
    p = prepare_roi(image, mask, s, {})
    # no 3D aggregation: every kernel, statistics' and histogram's too, stays in its slice
    assert _check_kernels(maps, p, s, "original", [family], 1, lambda n: True) == len(maps)
    # a kernel has one slice: its 2.5D maps (slices merged) are its 2D maps
    for name in maps:
        if "_2_5d" in name:
            twin = maps[name.replace("_2_5d", "_2d")].array
            np.testing.assert_array_equal(maps[name].array, twin)


def test_2d_and_3d_maps_side_by_side() -> None:
    image, mask = _case()
    settings = settings_from_dict(
        {
            **SETTINGS,
            "texture": {"spatial": ["3D", "2D"], "distance": [1]},
            "features": {"families": ["statistics", "glcm", "ngtdm"]},
        }
    )
    maps = voxel_maps(image, mask, settings, radius=1)
    s = voxel_settings(settings, None)
    assert list(maps) == _segment_columns(s, image, mask)
    assert len(maps) == 18 + 25 * 4 + 5 * 2
    p = prepare_roi(image, mask, s, {})
    fams = list(s.features.families)
    # with a 3D aggregation configured the statistics' kernels are boxes
    assert _check_kernels(maps, p, s, "original", fams, 1, _is_2d) == len(maps)
    joint_max = maps["original_glcm_joint_max_2d_avg"].array
    assert not np.allclose(joint_max, maps["original_glcm_joint_max_3d_avg"].array, equal_nan=True)


FILTERED = {
    "discretisation": {"method": "fixed_bin_number", "bin_count": 6},
    "features": {"families": ["statistics", "glcm"]},
    "filters": [{"filter": "mean", "support": 3}, {"filter": "log", "sigma": [1.0]}],
    "response_maps": {
        "families": ["statistics", "histogram", "glrlm", "glszm", "gldzm"],
        "discretisation": {"method": "fixed_bin_number", "bin_count": 5},
    },
}


def test_response_maps_are_the_filtered_images_kernel_features() -> None:
    from radiomix.extraction.filtered import filter_image
    from radiomix.preprocess import discretise

    image, mask = _case()
    settings = settings_from_dict(FILTERED)
    maps = voxel_maps(image, mask, settings, radius=1)
    s = voxel_settings(settings, None)
    assert s.response_maps.families == ("statistics", "histogram", "glrlm", "glszm")
    assert list(maps) == map_names(s) == _segment_columns(s, image, mask)
    assert [n.split("_glrlm")[0] for n in maps if "_glrlm_sre_3d_avg" in n] == [
        "mean_d3",
        "log_s1mm",
    ]
    p = prepare_roi(image, mask, s, {})
    assert p.filter_box is not None
    box = tuple(slice(a, b) for a, b in p.filter_box)
    fams = list(s.response_maps.families)
    for image_type in ("mean_d3", "log_s1mm"):
        # the response of the whole image (radiomix filter), on the prepared crop
        _, whole = filter_image(image, settings, image_type)
        response = whole.array[box]
        lv, n_levels = discretise(response[p.int_mask], "fixed_bin_number", bin_count=5)
        levels = np.zeros(response.shape, dtype=np.int32)
        levels[p.int_mask] = lv
        from dataclasses import replace

        q = replace(p, image=response, levels=levels, n_levels=n_levels)
        checked = _check_kernels(maps, q, s, image_type, fams, 1, lambda n: False)
        assert checked == 18 + 23 + 32 + 16


def test_response_statistics_map_is_segment_mode_on_the_kernel_mask() -> None:
    """End to end: the filtered mean map at a voxel is ``extract_roi``'s filtered mean of
    the ROI cut to that voxel's kernel (the filter run on the whole image, as segment mode
    runs it)."""
    from radiomix.extraction.pipeline import extract_roi

    image, mask = _case()
    settings = settings_from_dict(
        {
            "features": {"original": False},
            "filters": [{"filter": "log", "sigma": [1.0]}],
            "texture": {"spatial": ["2D"]},
        }
    )
    maps = voxel_maps(image, mask, settings, radius=1)
    assert list(maps)[:2] == ["log_s1mm_statistics_mean", "log_s1mm_statistics_var"]
    assert not any(n.startswith("original_") for n in maps)
    p = prepare_roi(image, mask, voxel_settings(settings, None), {})
    assert p.filter_box is not None
    start = np.array([a for a, _ in p.filter_box])
    roi = np.asarray(mask.array, bool)
    for centre in np.argwhere(p.int_mask)[::17]:
        kernel = _kernel(roi.shape, centre + start, 1, True) & roi
        if kernel.sum() < 2:
            continue
        res = extract_roi(image, mask.with_array(kernel), settings)
        got = {
            f"{r.image_type}_{r.family}_{r.value.feature_name}": r.value.value for r in res.features
        }
        for name in ("log_s1mm_statistics_mean", "log_s1mm_statistics_range"):
            assert maps[name].array[tuple(centre)] == pytest.approx(got[name], rel=1e-9, abs=1e-9)


def test_no_family_with_maps_for_the_response_maps_says_where_to_name_one() -> None:
    image, mask = _case()
    s = settings_from_dict(
        {
            "features": {"original": False},
            "filters": [{"filter": "mean", "support": 3}],
            "response_maps": {"families": ["gldzm"]},
        }
    )
    with pytest.raises(ConfigError, match=r"response_maps\.families"):
        voxel_maps(image, mask, s)


def test_command_maps_a_2d_filtered_configuration(tmp_path) -> None:
    import pandas as pd
    import SimpleITK as sitk

    from radiomix.cli.main import main

    image, mask, cfg = _case_files(
        tmp_path,
        "discretisation: {method: fixed_bin_number, bin_count: 6}\n"
        "texture: {spatial: [2D]}\n"
        "features: {families: [glszm]}\n"
        "filters: [{filter: mean, support: 3}]\n"
        "response_maps: {families: [statistics, glszm]}\n",
    )
    out = tmp_path / "maps.csv"
    argv = ["extract", str(tmp_path / "img.nrrd"), str(tmp_path / "msk.nrrd"), "--mode", "voxel"]
    assert main([*argv, "--config", str(cfg), "--out", str(out), "--kernel-radius", "2"]) == 0
    row = pd.read_csv(out).iloc[0]
    settings = settings_from_dict(
        {
            "discretisation": {"method": "fixed_bin_number", "bin_count": 6},
            "texture": {"spatial": ["2D"]},
            "features": {"families": ["glszm"]},
            "filters": [{"filter": "mean", "support": 3}],
            "response_maps": {"families": ["statistics", "glszm"]},
        }
    )
    want = voxel_maps(image, mask, settings, radius=2)
    assert list(row.index[2:]) == list(want) == map_names(voxel_settings(settings, None))
    assert len(want) == 16 + 18 + 16
    for name in ("original_glszm_sze_2d", "mean_d3_statistics_mean", "mean_d3_glszm_sze_2d"):
        got = sitk.GetArrayFromImage(sitk.ReadImage(row[name]))
        np.testing.assert_allclose(got, want[name].array, rtol=1e-12, equal_nan=True)
