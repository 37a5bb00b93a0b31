"""Make the fixtures of tests/compat/test_pyradiomics_voxel.py (voxel-based extraction).

PyRadiomics 3.0.1's ``execute(image, mask, label=L, voxelBased=True)`` on small ROIs of the
compatibility cases, for a few parameter sets (kernelRadius 1 and 2, maskedKernel true /
false, force2D, filtered image types, a non-zero initValue, voxelBatch, weighting, binCount,
a 2D image, a one-voxel-thick ROI). Writes into tests/data/pyradiomics_compat:

- ``expected_voxel.json``: ``{run: {"config", "case", "label", "keys" (feature keys in
  PyRadiomics' order), "size", "origin", "spacing" (the maps' geometry, (x, y, z)),
  "roi_index" (flat C-order indices of the ROI voxels in the maps), "outside_is_init"
  ({key: whether every voxel outside the ROI holds initValue}), "configuration"
  (diagnostics_Configuration_Settings)}}``, ``"configs": {name: parameters}`` and
  ``"errors": {name: [parameters, error]}``;
- ``expected_voxel.npz``: ``"<run>/<key>"`` -> the map's values at ``roi_index`` (float64).

Run with the PyRadiomics environment's python from the repository root:

    benchmarks/.venv-pyradiomics/bin/python benchmarks/make_pyradiomics_voxel_fixtures.py
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import radiomics
import SimpleITK as sitk
from radiomics import featureextractor

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "pyradiomics_compat"

#: case -> (image, label map, label)
CASES: dict[str, tuple[str, str, int]] = {
    "ct_c": ("ct_c_image.nrrd", "ct_c_label.nrrd", 2),
    "mr_b": ("mr_b_image.nrrd", "mr_b_label.nrrd", 2),
    "ct_a": ("ct_a_image.nrrd", "ct_a_label.nrrd", 2),
    "planes": ("planes_image.nrrd", "planes_label.nrrd", 3),
    "us2d": ("us2d_image.nrrd", "us2d_label.nrrd", 2),
    "spur": ("voxel_spur_image.nrrd", "voxel_spur_label.nrrd", 1),
}


def make_spur_case() -> None:
    """A small synthetic case whose kernels miss directions: a 3 x 3 x 3 block, a line one
    voxel thin leaving it, a voxel touching it by a corner only, and a lone voxel (written as
    ``voxel_spur_*.nrrd``; integer CT-like values from a fixed seed)."""
    rng = np.random.default_rng(20240611)
    img = rng.integers(-60, 140, size=(8, 12, 14)).astype(np.int16)
    lab = np.zeros(img.shape, dtype=np.uint8)
    lab[2:5, 3:6, 3:6] = 1
    lab[3, 4, 6:11] = 1  # thin line along x
    lab[5, 6, 6] = 1  # corner contact with the block
    lab[6, 9, 12] = 1  # lone voxel
    for arr, name in ((img, "voxel_spur_image.nrrd"), (lab, "voxel_spur_label.nrrd")):
        im = sitk.GetImageFromArray(arr)
        im.SetSpacing((0.8, 0.8, 2.0))
        im.SetOrigin((-4.0, 10.0, 3.0))
        sitk.WriteImage(im, str(DATA / name), True)


_TEXTURE = {"glcm": None, "glrlm": None, "glszm": None, "gldm": None, "ngtdm": None}

#: configuration -> (parameters, cases)
CONFIGS: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "default_r1": ({"setting": {"binWidth": 25}}, ("ct_c", "spur")),
    # PyRadiomics drops a direction only where it is empty in every kernel of a batch
    "spur_batches": ({"setting": {"binWidth": 25}, "voxelSetting": {"voxelBatch": 9}}, ("spur",)),
    "r2_unmasked": (
        {
            "setting": {"binWidth": 20},
            "voxelSetting": {"kernelRadius": 2, "maskedKernel": False},
        },
        ("ct_c",),
    ),
    "r2_masked_init": (
        {
            "setting": {"binWidth": 20, "voxelArrayShift": 100},
            "voxelSetting": {"kernelRadius": 2, "initValue": -7.5},
        },
        ("ct_c",),
    ),
    "force2d_r2": (
        {
            "setting": {"binWidth": 25, "force2D": True, "force2Ddimension": 0},
            "voxelSetting": {"kernelRadius": 2, "initValue": 3},
            "featureClass": {"firstorder": None, **_TEXTURE},
        },
        ("ct_a",),
    ),
    "force2d_dim1_unmasked": (
        {
            "setting": {"binCount": 6, "force2D": True, "force2Ddimension": 1},
            "voxelSetting": {"maskedKernel": False},
            "featureClass": {"firstorder": ["Mean", "Entropy"], **_TEXTURE},
        },
        ("mr_b",),
    ),
    "log_square": (
        {
            "imageType": {"LoG": {"sigma": [1.0]}, "Square": {}},
            "setting": {"binWidth": 5},
            "featureClass": {"firstorder": None, "glcm": None, "glrlm": None, "ngtdm": None},
        },
        ("ct_c",),
    ),
    "batch_weighted": (
        {
            "setting": {
                "binCount": 8,
                "weightingNorm": "euclidean",
                "distances": [1, 2],
                "gldm_a": 1,
                "symmetricalGLCM": False,
            },
            "voxelSetting": {"kernelRadius": 2, "voxelBatch": 7},
        },
        ("ct_c",),
    ),
    "batched_planar": (
        {"setting": {"binWidth": 25}, "voxelSetting": {"voxelBatch": 20}},
        ("planes",),
    ),
    "planar_2d": (
        {
            "setting": {"binWidth": 10},
            "voxelSetting": {"kernelRadius": 2},
            "featureClass": dict(_TEXTURE),
        },
        ("us2d",),
    ),
    # PyRadiomics 3.0.1's voxel-based firstorder fails on a 2D image (3D kernel offsets)
    "planar_2d_firstorder": ({"featureClass": {"firstorder": ["Mean"]}}, ("us2d",)),
    "shape_only": ({"featureClass": {"shape": None}}, ("ct_c",)),
}

#: parameters PyRadiomics refuses (its parameter schema)
ERRORS: dict[str, dict[str, Any]] = {
    "kernel_radius_0": {"voxelSetting": {"kernelRadius": 0}},
    "kernel_radius_float": {"voxelSetting": {"kernelRadius": 1.5}},
    "masked_kernel_text": {"voxelSetting": {"maskedKernel": "yes"}},
    "init_value_text": {"voxelSetting": {"initValue": "a"}},
    "voxel_batch_negative": {"voxelSetting": {"voxelBatch": -1}},
    "unknown_key": {"voxelSetting": {"kernelRadiu": 1}},
}


def main() -> None:
    radiomics.setVerbosity(logging.CRITICAL)
    make_spur_case()
    meta: dict[str, Any] = {"configs": {k: v[0] for k, v in CONFIGS.items()}, "runs": {}}
    arrays: dict[str, np.ndarray] = {}
    for config, (params, cases) in CONFIGS.items():
        for case in cases:
            image, label_map, label = CASES[case]
            run = f"{config}/{case}"
            ext = featureextractor.RadiomicsFeatureExtractor(params)
            try:
                res = ext.execute(
                    str(DATA / image), str(DATA / label_map), label=label, voxelBased=True
                )
            except Exception as exc:  # noqa: BLE001 - the fixture records PyRadiomics' error
                meta["runs"][run] = {
                    "config": config,
                    "case": case,
                    "label": label,
                    "error": type(exc).__name__,
                }
                print(run, "error", type(exc).__name__, exc)
                continue
            mask = sitk.GetArrayFromImage(sitk.ReadImage(str(DATA / label_map))) == label
            keys = [k for k in res if not k.startswith("diagnostics_")]
            init = float(params.get("voxelSetting", {}).get("initValue", 0))
            entry: dict[str, Any] = {
                "config": config,
                "case": case,
                "label": label,
                "keys": keys,
                "configuration": str(res["diagnostics_Configuration_Settings"]),
                "outside_is_init": {},
            }
            for k in keys:
                img = res[k]
                arr = sitk.GetArrayFromImage(img).astype(np.float64)
                if "size" not in entry:
                    entry["size"] = list(img.GetSize())
                    entry["origin"] = list(img.GetOrigin())
                    entry["spacing"] = list(img.GetSpacing())
                    # the ROI inside the maps: the crop starts where the map's origin lies
                    ref = sitk.ReadImage(str(DATA / label_map))
                    start = ref.TransformPhysicalPointToIndex(img.GetOrigin())[::-1]
                    sub = mask[
                        tuple(slice(s, s + n) for s, n in zip(start, arr.shape, strict=True))
                    ]
                    roi_index = np.flatnonzero(sub.ravel())
                    entry["roi_index"] = [int(i) for i in roi_index]
                    outside = np.ones(arr.size, dtype=bool)
                    outside[roi_index] = False
                flat = arr.ravel()
                out = flat[outside]
                entry["outside_is_init"][k] = bool(
                    np.all(np.isnan(out)) if math.isnan(init) else np.all(out == init)
                )
                arrays[f"{run}/{k}"] = flat[roi_index]
            meta["runs"][run] = entry
            print(run, len(keys), "maps,", len(entry.get("roi_index", [])), "ROI voxels")
    errors: dict[str, Any] = {}
    for name, params in ERRORS.items():
        try:
            featureextractor.RadiomicsFeatureExtractor(params)
            errors[name] = [params, None]
        except Exception as exc:  # noqa: BLE001 - the fixture records PyRadiomics' error
            errors[name] = [params, f"{type(exc).__name__}"]
    meta["errors"] = errors
    (DATA / "expected_voxel.json").write_text(json.dumps(meta, indent=1, sort_keys=False) + "\n")
    np.savez_compressed(DATA / "expected_voxel.npz", **arrays)
    print("values:", sum(a.size for a in arrays.values()))


if __name__ == "__main__":
    main()
