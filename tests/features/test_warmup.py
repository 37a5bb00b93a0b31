"""The background kernel warm-up starts once per process and loads the kernels."""

from __future__ import annotations

import subprocess
import sys


def test_warm_up_starts_once_and_loads_the_kernels() -> None:
    code = (
        "from radiomix.features._warmup import warm_up_kernels\n"
        "from radiomix.features._kernels_neighbourhood import _dependence_counts_kernel\n"
        "t = warm_up_kernels()\n"
        "assert t is not None and warm_up_kernels() is None\n"
        "t.join(120)\n"
        "assert not t.is_alive()\n"
        "print(len(_dependence_counts_kernel.signatures))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


def test_voxel_warm_up_compiles_the_signatures_a_real_extraction_uses() -> None:
    code = (
        "import numpy as np\n"
        "from radiomix.features._warmup import warm_up_voxel_kernels\n"
        "from radiomix.features import _kernels_voxel as kv\n"
        "from radiomix.compat.featureextractor import RadiomicsFeatureExtractor\n"
        "t = warm_up_voxel_kernels()\n"
        "assert t is not None and warm_up_voxel_kernels() is None\n"
        "t.join(120)\n"
        "ks = [kv._glcm_kernel, kv._glrlm_kernel, kv._glszm_kernel, kv._gldm_kernel,"
        " kv._ngtdm_kernel]\n"
        "print([len(k.signatures) for k in ks])\n"
        "rng = np.random.default_rng(0)\n"
        "img = rng.integers(0, 100, (6, 7, 8)).astype(np.float64)\n"
        "mask = np.zeros(img.shape, np.uint8); mask[2:4, 2:5, 3:6] = 1\n"
        "RadiomicsFeatureExtractor(binWidth=20).execute(img, mask, voxelBased=True)\n"
        "print([len(k.signatures) for k in ks])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[1, 1, 1, 1, 1]", "[1, 1, 1, 1, 1]"]


def test_voxel_warm_up_loads_only_the_kernels_of_the_enabled_classes() -> None:
    code = (
        "from radiomix.features._warmup import warm_up_voxel_kernels\n"
        "from radiomix.features import _kernels_voxel as kv\n"
        "t = warm_up_voxel_kernels(['firstorder', 'glcm'])\n"
        "t.join(120)\n"
        "assert warm_up_voxel_kernels(['glcm']) is None\n"  # loaded already
        "ks = [kv._glcm_kernel, kv._glrlm_kernel, kv._glszm_kernel, kv._gldm_kernel,"
        " kv._ngtdm_kernel]\n"
        "print([len(k.signatures) for k in ks])\n"
        "t = warm_up_voxel_kernels(['glcm', 'ngtdm'])\n"  # only ngtdm is new
        "t.join(120)\n"
        "print([len(k.signatures) for k in ks])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[1, 0, 0, 0, 0]", "[1, 0, 0, 0, 1]"]
