"""The NumPy voxel GLCM counter (small maps, ``_kernels_numpy.kernel_cooccurrence_entries``)
against the numba kernel, count for count, and the maps it gives against the numba path's."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from radiomix.extraction import voxel
from radiomix.extraction.profile_pyradiomics_voxel import VoxelSettings, map_switches
from radiomix.features import pyradiomics_profile as prof
from radiomix.features import pyradiomics_voxel as pv
from radiomix.features._kernels_numpy import kernel_cooccurrence_entries
from radiomix.features._kernels_voxel import kernel_glcm


def _case(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int, np.ndarray, int]:
    rng = np.random.default_rng(seed)
    shape = tuple(int(v) for v in rng.integers(3, 12, 3))
    mask = rng.random(shape) < rng.uniform(0.3, 1.0)
    mask[tuple(n // 2 for n in shape)] = True
    levels = np.where(mask, rng.integers(1, 7, shape), 0).astype(np.int64)
    present = np.unique(levels[levels > 0])
    remap = np.zeros(int(levels.max()) + 1, dtype=np.int64)
    remap[present] = np.arange(len(present))
    centres = np.argwhere(mask)
    if seed % 2:  # a chunk of the centres, as the batches pass them
        centres = centres[:: 1 + seed % 4]
    radius = 1 + seed % 2
    plane = (-1, 0, 1, 2)[seed % 4]
    options = prof.PyradiomicsTextureOptions(distances=(1,) if seed % 3 else (1, 2))
    switches = map_switches(options, VoxelSettings())
    offsets = voxel.kernel_offsets("glcm", shape, plane, switches)[0][1]
    return levels, remap, centres, radius, plane, offsets, len(present)


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("symmetric", [False, True])
def test_sparse_counts_equal_the_numba_kernel(seed: int, symmetric: bool) -> None:
    levels, remap, centres, radius, plane, offsets, g = _case(seed)
    dense = kernel_glcm(levels, remap, centres, radius, plane, offsets, g, symmetric=symmetric)
    flat = dense.reshape(-1, g, g)  # matrix a * n + v
    want = np.nonzero(flat)
    b, i, j, count = kernel_cooccurrence_entries(
        levels, remap, centres, radius, plane, offsets, g, symmetric=symmetric
    )
    assert np.array_equal(b, want[0]) and np.array_equal(i, want[1])
    assert np.array_equal(j, want[2])
    assert np.array_equal(count, flat[want])


def test_maps_equal_the_numba_path(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(100.0, 30.0, (6, 14, 15))
    roi = np.zeros(values.shape, dtype=bool)
    roi[1:5, 2:12, 3:13] = rng.random((4, 10, 10)) < 0.8
    levels = np.zeros(values.shape, dtype=np.int64)
    levels[roi] = (
        np.floor(values[roi] / 25).astype(np.int64) - int(np.floor(values[roi].min() / 25)) + 1
    )
    rows = np.unique(levels[roi])
    grid = voxel.KernelGrid(
        values=np.where(roi, values, np.nan),
        levels=levels,
        rows=rows,
        n_levels=int(rows.max()),
        radius=1,
        spacing=(2.0, 0.8, 0.8),
    )
    centres = np.argwhere(roi)
    options = prof.PyradiomicsTextureOptions(
        distances=(1,), weighting_norm=None, gldm_a=0.0, force2d=False,
        voxel_array_shift=0.0, force2d_dimension=0,
    )  # fmt: skip
    switches = map_switches(options, VoxelSettings(voxel_batch=50))
    names = [n for n in prof.default_features("glcm") if n != "MCC"]
    ((family, formulas),) = pv.class_formulas("glcm", names)

    def maps() -> dict[voxel.MapKey, np.ndarray]:
        return voxel.kernel_maps(family, grid, centres, formulas, switches)

    assert voxel._sparse_glcm(grid, len(centres), 13, formulas, switches)
    sparse = maps()
    monkeypatch.setattr(voxel, "GLCM_NUMPY_UP_TO", -1)
    assert not voxel._sparse_glcm(grid, len(centres), 13, formulas, switches)
    dense = maps()
    assert set(sparse) == set(dense) == {voxel.MapKey(n) for n in names}
    for key in sparse:
        np.testing.assert_array_equal(sparse[key], dense[key], err_msg=key.feature)
    # MCC and weightingNorm take the dense counts
    monkeypatch.setattr(voxel, "GLCM_NUMPY_UP_TO", 2_000_000)
    ((_, with_mcc),) = pv.class_formulas("glcm", ["MCC"])
    assert not voxel._sparse_glcm(grid, len(centres), 13, with_mcc, switches)
    weighted = map_switches(
        prof.PyradiomicsTextureOptions(weighting_norm="manhattan"), VoxelSettings()
    )
    assert not voxel._sparse_glcm(grid, len(centres), 13, formulas, weighted)


def test_a_small_voxel_glcm_case_loads_no_numba(tmp_path) -> None:
    code = (
        "import sys\n"
        "import numpy as np\n"
        "from radiomix.compat.featureextractor import RadiomicsFeatureExtractor\n"
        "rng = np.random.default_rng(0)\n"
        "img = rng.integers(0, 100, (6, 9, 9)).astype(np.float64)\n"
        "mask = np.zeros(img.shape, np.uint8); mask[2:4, 2:7, 2:7] = 1\n"
        "ext = RadiomicsFeatureExtractor(binWidth=20)\n"
        "ext.disableAllFeatures(); ext.enableFeaturesByName(glcm=['JointEntropy'])\n"
        "ext.execute(img, mask, voxelBased=True)\n"
        "print('numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
