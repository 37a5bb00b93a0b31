"""Voxel-based extraction (``execute(..., voxelBased=True)``) against PyRadiomics 3.0.1.

Fixtures: ``tests/data/pyradiomics_compat/expected_voxel.{json,npz}``, made by
``benchmarks/make_pyradiomics_voxel_fixtures.py`` in the PyRadiomics environment: every
feature map of a few parameter sets on small ROIs, at the ROI's voxels, with the maps'
geometry. Also the kernels of ``features/_kernels_voxel.py`` (with PyRadiomics' angles)
against plain NumPy references (one kernel box at a time), and the error handling.
"""

from __future__ import annotations

import collections
import json
import math
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

from radiomix.compat.featureextractor import RadiomicsFeatureExtractor
from radiomix.errors import ConfigError
from radiomix.extraction.profile_pyradiomics_voxel import VoxelSettings, map_switches
from radiomix.extraction.voxel import KernelGrid, MapKey, kernel_maps, kernel_offsets
from radiomix.features import _kernels_voxel as kv
from radiomix.features import pyradiomics_profile as prof
from radiomix.features import pyradiomics_voxel as pv

DATA = Path(__file__).resolve().parents[1] / "data" / "pyradiomics_compat"
META = json.loads((DATA / "expected_voxel.json").read_text())
VALUES = np.load(DATA / "expected_voxel.npz")
CASES = {
    "ct_c": ("ct_c_image.nrrd", "ct_c_label.nrrd"),
    "mr_b": ("mr_b_image.nrrd", "mr_b_label.nrrd"),
    "ct_a": ("ct_a_image.nrrd", "ct_a_label.nrrd"),
    "planes": ("planes_image.nrrd", "planes_label.nrrd"),
    "us2d": ("us2d_image.nrrd", "us2d_label.nrrd"),
    "spur": ("voxel_spur_image.nrrd", "voxel_spur_label.nrrd"),
}
RUNS = {k: v for k, v in META["runs"].items() if "error" not in v}
ERROR_RUNS = {k: v for k, v in META["runs"].items() if "error" in v}
REL, ABS = 1e-6, 1e-9


def _execute(run: dict) -> collections.OrderedDict:
    image, label_map = CASES[run["case"]]
    ext = RadiomicsFeatureExtractor(META["configs"][run["config"]])
    return ext.execute(
        str(DATA / image), str(DATA / label_map), label=run["label"], voxelBased=True
    )


@pytest.fixture(scope="module")
def results() -> dict[str, collections.OrderedDict]:
    return {name: _execute(run) for name, run in RUNS.items()}


def test_fixture_is_small_and_covers_many_values() -> None:
    assert (DATA / "expected_voxel.npz").stat().st_size < 1_000_000
    assert sum(VALUES[k].size for k in VALUES.files) > 50_000


@pytest.mark.parametrize("name", sorted(RUNS))
def test_feature_maps_equal_pyradiomics(name: str, results: dict) -> None:
    run = RUNS[name]
    res = results[name]
    keys = [k for k in res if not k.startswith("diagnostics_")]
    assert keys == run["keys"]
    init = float(META["configs"][run["config"]].get("voxelSetting", {}).get("initValue", 0))
    bad = []
    for key in run["keys"]:
        img = res[key]
        assert isinstance(img, sitk.Image)
        assert img.GetPixelID() == sitk.sitkFloat64
        assert list(img.GetSize()) == run["size"], key
        np.testing.assert_allclose(img.GetOrigin(), run["origin"], rtol=0, atol=1e-9)
        np.testing.assert_allclose(img.GetSpacing(), run["spacing"], rtol=0, atol=1e-12)
        arr = sitk.GetArrayFromImage(img).ravel()
        mine = arr[run["roi_index"]]
        ref = VALUES[f"{name}/{key}"]
        same_nan = np.isnan(mine) == np.isnan(ref)
        close = np.abs(mine - ref) <= np.maximum(REL * np.abs(ref), ABS)
        if not np.all(same_nan & (close | np.isnan(ref))):
            bad.append(key)
        outside = np.ones(arr.size, dtype=bool)
        outside[run["roi_index"]] = False
        is_init = np.isnan(arr[outside]).all() if math.isnan(init) else (arr[outside] == init).all()
        assert bool(is_init) == run["outside_is_init"][key], key
    assert not bad, f"{len(bad)} maps differ from PyRadiomics: {bad[:10]}"


@pytest.mark.parametrize("name", sorted(RUNS))
def test_configuration_diagnostic_says_voxel_based(name: str, results: dict) -> None:
    res = results[name]
    assert res["diagnostics_Configuration_Settings"] == RUNS[name]["configuration"]
    assert "'voxelBased': True" in res["diagnostics_Configuration_Settings"]


def test_return_is_pyradiomics_ordered_dict(results: dict) -> None:
    res = results["default_r1/ct_c"]
    assert isinstance(res, collections.OrderedDict)
    keys = list(res)
    first_feature = next(i for i, k in enumerate(keys) if not k.startswith("diagnostics_"))
    assert all(k.startswith("diagnostics_") for k in keys[:first_feature])
    assert all(not k.startswith("diagnostics_") for k in keys[first_feature:])
    assert "diagnostics_Mask-original_VoxelNum" in res
    assert "original_glcm_Contrast" in res
    assert not any("_shape_" in k for k in keys)  # no shape voxel by voxel


def test_shape_only_gives_diagnostics_only() -> None:
    res = _execute(RUNS["shape_only/ct_c"])
    assert res and all(k.startswith("diagnostics_") for k in res)


def test_batch_sensitive_glcm_features_are_reproduced() -> None:
    # the fixture holds the cases where PyRadiomics' batch matters: MCC failing for a whole
    # batch (initValue) and JointAverage NaN for kernels that miss a direction
    full = VALUES["default_r1/spur/original_glcm_MCC"]
    batched = VALUES["spur_batches/spur/original_glcm_MCC"]
    assert np.all(full == 0) and np.any(batched != 0)
    assert np.isnan(VALUES["default_r1/spur/original_glcm_JointAverage"]).any()


@pytest.mark.parametrize("name", sorted(ERROR_RUNS))
def test_pyradiomics_execute_errors_are_config_errors(name: str) -> None:
    with pytest.raises(ConfigError, match="2D image"):
        _execute(ERROR_RUNS[name])


@pytest.mark.parametrize("name", sorted(META["errors"]))
def test_invalid_voxel_settings_are_refused_as_by_pyradiomics(name: str) -> None:
    params, error = META["errors"][name]
    assert error is not None  # PyRadiomics refuses each of them
    with pytest.raises(ConfigError, match="voxelSetting"):
        RadiomicsFeatureExtractor(params)


def test_voxel_settings_as_keyword_arguments() -> None:
    image, label_map = CASES["ct_c"]
    ext = RadiomicsFeatureExtractor(binWidth=20, kernelRadius=2, initValue=-7.5)
    ext.disableAllFeatures()
    ext.enableFeaturesByName(firstorder=["Mean"])
    res = ext.execute(str(DATA / image), str(DATA / label_map), label=2, voxelBased=True)
    ref = VALUES["r2_masked_init/ct_c/original_firstorder_Mean"]
    arr = sitk.GetArrayFromImage(res["original_firstorder_Mean"]).ravel()
    run = RUNS["r2_masked_init/ct_c"]
    np.testing.assert_allclose(arr[run["roi_index"]], ref, rtol=REL, atol=ABS)
    assert list(res["original_firstorder_Mean"].GetSize()) == run["size"]
    with pytest.raises(ConfigError, match="kernelRadius"):
        RadiomicsFeatureExtractor(kernelRadius=0)


def class_maps(
    cls: str,
    grid: KernelGrid,
    centres: np.ndarray,
    names: list[str],
    *,
    batch: int = -1,
    options: prof.PyradiomicsTextureOptions | None = None,
) -> dict[str, np.ndarray]:
    """The maps of PyRadiomics' class ``cls``, as its voxel mode makes them."""
    opts = options or prof.PyradiomicsTextureOptions()
    switches = map_switches(opts, VoxelSettings(voxel_batch=batch))
    out: dict[MapKey, np.ndarray] = {}
    for family, formulas in pv.class_formulas(cls, names):
        out.update(kernel_maps(family, grid, centres, formulas, switches))
    return {n: out[MapKey(n)] for n in names}


def pyradiomics_angles(
    distances: tuple[int, ...], plane: int, shape: tuple[int, ...], family: str
) -> np.ndarray:
    """PyRadiomics' angles of ``family`` (one of each pair for GLCM / GLRLM, both signs
    for GLSZM / GLDM / NGTDM)."""
    switches = map_switches(prof.PyradiomicsTextureOptions(distances=distances), VoxelSettings())
    return kernel_offsets(family, shape, plane, switches)[0][1]


def test_voxel_batch_does_not_change_firstorder_or_texture_sums() -> None:
    rng = np.random.default_rng(3)
    levels = rng.integers(1, 4, size=(5, 6, 7))
    levels[rng.random(levels.shape) < 0.3] = 0
    rows = np.unique(levels[levels > 0])
    grid = KernelGrid(
        values=np.where(levels > 0, levels * 1.5, np.nan),
        levels=levels,
        rows=rows,
        n_levels=int(rows.max()),
        radius=1,
    )
    centres = np.argwhere(levels > 0)
    for cls in ("firstorder", "glszm", "ngtdm"):
        names = list(prof.default_features(cls))
        a = class_maps(cls, grid, centres, names, batch=-1)
        b = class_maps(cls, grid, centres, names, batch=4)
        for n in names:
            np.testing.assert_allclose(a[n], b[n], rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------- kernels


def _box(levels: np.ndarray, c: np.ndarray, r: int, plane: int) -> np.ndarray:
    sl = tuple(
        slice(int(c[d]), int(c[d]) + 1)
        if d == plane
        else slice(max(int(c[d]) - r, 0), int(c[d]) + r + 1)
        for d in range(3)
    )
    return levels[sl]


def _ref_glcm(box: np.ndarray, offsets: np.ndarray, ng: int) -> np.ndarray:
    out = np.zeros((ng, ng, len(offsets)))
    for a, off in enumerate(offsets):
        for p in np.argwhere(box > 0):
            q = p + off
            if np.all(q >= 0) and np.all(q < box.shape) and box[tuple(q)] > 0:
                out[box[tuple(p)] - 1, box[tuple(q)] - 1, a] += 1
    return out


def _ref_glszm(box: np.ndarray, plane: int, ng: int) -> np.ndarray:
    struct = np.ones((3, 3, 3), dtype=bool)
    if plane >= 0:
        idx = [slice(None)] * 3
        idx[plane] = slice(0, 1)
        struct[tuple(idx)] = False
        idx[plane] = slice(2, 3)
        struct[tuple(idx)] = False
    out = np.zeros((ng, box.size))
    for g in range(1, ng + 1):
        lab, n = ndimage.label(box == g, structure=struct)
        for z in range(1, n + 1):
            out[g - 1, int((lab == z).sum()) - 1] += 1
    return out


def _ref_neighbours(box: np.ndarray, offsets: np.ndarray, alpha: float, ng: int) -> tuple:
    dep = np.zeros((ng, len(offsets) + 1))
    ngt = np.zeros((ng, 2))
    for z, y, x in np.argwhere(box > 0):
        g = box[z, y, x]
        nbr = []
        for off in offsets:
            q = np.array([z, y, x]) + off
            if np.all(q >= 0) and np.all(q < box.shape) and box[tuple(q)] > 0:
                nbr.append(box[tuple(q)])
        nbr_a = np.array(nbr, dtype=np.float64)
        dep[g - 1, int(np.sum(np.abs(nbr_a - g) <= alpha))] += 1
        ngt[g - 1, 0] += 1
        ngt[g - 1, 1] += abs(g - nbr_a.mean()) if len(nbr_a) else 0.0
    return dep, ngt


def _ref_glrlm(box: np.ndarray, offsets: np.ndarray, ng: int, nr: int) -> np.ndarray:
    out = np.zeros((ng, nr, len(offsets)))
    shape = np.array(box.shape)
    for a, off in enumerate(offsets):
        multi = False
        for start in np.argwhere(np.ones(box.shape, dtype=bool)):
            prev = start - off
            if np.all(prev >= 0) and np.all(prev < shape):
                continue  # not the first voxel of its line
            line = []
            p = start.copy()
            while np.all(p >= 0) and np.all(p < shape):
                line.append(box[tuple(p)])
                p = p + off
            multi |= sum(v > 0 for v in line) > 1
            run_g, run_n = 0, 0
            for v in [*line, 0]:
                if v == run_g and v > 0:
                    run_n += 1
                    continue
                if run_g > 0:
                    out[run_g - 1, run_n - 1, a] += 1
                run_g, run_n = v, 1
        if not multi:
            out[:, 0, a] = 0
    return out


@pytest.mark.parametrize("seed", range(6))
def test_kernels_equal_numpy_references(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in rng.integers(2, 7, 3))
    ng = int(rng.integers(1, 4))
    levels = rng.integers(1, ng + 1, shape)
    levels[rng.random(shape) < 0.35] = 0
    levels.flat[0] = 1
    ng = int(levels.max())
    r = 1 + seed % 2
    plane = -1 if seed % 3 else seed % 3 + (seed // 3)
    remap = np.maximum(np.arange(ng + 1) - 1, 0)
    centres = np.argwhere(levels > 0)
    dist = (1, 2) if seed % 2 else (1,)
    mono = pyradiomics_angles(dist, plane, shape, "glcm")
    both = pyradiomics_angles(dist, plane, shape, "ngtdm")
    runs = pyradiomics_angles((1,), plane, shape, "glrlm")
    nb = pyradiomics_angles((1,), plane, shape, "glszm")
    glcm = kv.kernel_glcm(levels, remap, centres, r, plane, mono, ng)
    both_orders = kv.kernel_glcm(levels, remap, centres, r, plane, mono, ng, symmetric=True)
    np.testing.assert_array_equal(both_orders, glcm + np.swapaxes(glcm, 2, 3))
    glrlm = kv.kernel_glrlm(levels, remap, centres, r, plane, runs, ng)
    glszm = kv.kernel_glszm(levels, remap, centres, r, plane, nb, ng)
    gldm = kv.kernel_gldm(levels, remap, centres, r, plane, both, 0.0, ng)
    ngtdm = kv.kernel_ngtdm(levels, remap, centres, r, plane, both, ng)
    for v, c in enumerate(centres):
        box = _box(levels, c, r, plane)
        np.testing.assert_array_equal(np.moveaxis(glcm[:, v], 0, -1), _ref_glcm(box, mono, ng))
        np.testing.assert_array_equal(
            np.moveaxis(glrlm[:, v], 0, -1), _ref_glrlm(box, runs, ng, 2 * r + 1)
        )
        zones = _ref_glszm(box, plane, ng)
        width = max(zones.shape[1], glszm.shape[2])
        np.testing.assert_array_equal(
            np.pad(glszm[v], ((0, 0), (0, width - glszm.shape[2]))),
            np.pad(zones, ((0, 0), (0, width - zones.shape[1]))),
        )
        dep, ngt = _ref_neighbours(box, both, 0.0, ng)
        np.testing.assert_array_equal(gldm[v], dep)
        np.testing.assert_allclose(ngtdm[v], ngt, rtol=1e-12, atol=1e-12)


def test_kernels_check_their_input() -> None:
    levels = np.ones((3, 3, 3), dtype=np.int64)
    off = np.array([[0, 0, 1]])
    with pytest.raises(ValueError, match="remap"):
        kv.kernel_glcm(levels * 3, np.zeros(2, dtype=np.int64), np.zeros((1, 3)), 1, -1, off, 1)
    with pytest.raises(ValueError, match="centres"):
        kv.kernel_glcm(levels, np.zeros(2, dtype=np.int64), np.array([[3, 0, 0]]), 1, -1, off, 1)
