"""Make the PyRadiomics fixtures of tests/compat/test_pyradiomics_settings.py.

PyRadiomics 3.0.1's outputs for the settings the ``pyradiomics`` profile gained in issue 4's
settings increment: ``normalize`` / ``normalizeScale`` / ``removeOutliers``,
``resegmentRange`` / ``resegmentMode`` / ``resegmentShape``, ``correctMask`` /
``geometryTolerance`` (masks on other grids), ``interpolator`` given as a number, custom
settings per image type, ``symmetricalGLCM: false``, and the ROI checks around them
(``minimumROISize``, a re-segmentation that keeps too few voxels). Writes only files of its
own into tests/data/pyradiomics_compat:

- ``settings_ct_a_label_*.nrrd``: ct_a's label map on other grids (finer and shifted,
  rotated, nudged by 2e-5 mm), made deterministically from ``ct_a_label.nrrd``;
- ``expected_settings.json``: ``{config: {"params": {...}, "cases": {case: result}}}`` where
  a result is PyRadiomics' ``execute()`` output (``{"features": {...}}``) or the error it
  raised (``{"error": "ValueError: ..."}``).

Runs PyRadiomics in its own environment (benchmarks/.venv-pyradiomics, see
setup_pyradiomics.sh); run from the repository root with radiomix's environment:

    .venv/bin/python benchmarks/make_pyradiomics_settings_fixtures.py
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import SimpleITK as sitk

ROOT = Path(__file__).resolve().parents[1]
PYRADIOMICS = ROOT / "benchmarks" / ".venv-pyradiomics" / "bin" / "python"
DATA = ROOT / "tests" / "data" / "pyradiomics_compat"
OUT = DATA / "expected_settings.json"

#: case name -> (image file, mask file) in tests/data/pyradiomics_compat
CASES: dict[str, tuple[str, str]] = {
    "ct_a": ("ct_a_image.nrrd", "ct_a_label.nrrd"),
    "mr_b": ("mr_b_image.nrrd", "mr_b_label.nrrd"),
    "ct_c": ("ct_c_image.nrrd", "ct_c_label.nrrd"),
    "ct_a_finegrid": ("ct_a_image.nrrd", "settings_ct_a_label_finegrid.nrrd"),
    "ct_a_rotated": ("ct_a_image.nrrd", "settings_ct_a_label_rotated.nrrd"),
    "ct_a_nudged": ("ct_a_image.nrrd", "settings_ct_a_label_nudged.nrrd"),
}
SAME_GRID = ("ct_a", "mr_b", "ct_c")
OTHER_GRID = ("ct_a_finegrid", "ct_a_rotated", "ct_a_nudged")

_TEXTURE = {"firstorder": None, "glcm": None, "glrlm": None, "glszm": None, "gldm": None}

#: configuration -> (PyRadiomics parameters, cases)
CONFIGS: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    # 1. normalisation of the whole image, before resampling
    "normalize_outliers": (
        {
            "setting": {
                "normalize": True,
                "normalizeScale": 50,
                "removeOutliers": 1.5,
                "binWidth": 5,
            },
            "featureClass": {"firstorder": None, "glcm": None, "glszm": None, "shape": None},
        },
        SAME_GRID,
    ),
    "normalize_resampled_log": (
        {
            "imageType": {"Original": {}, "LoG": {"sigma": [1.0]}},
            "setting": {
                "normalize": True,
                "resampledPixelSpacing": [1.0, 1.0, 2.0],
                "interpolator": "sitkLinear",
                "padDistance": 2,
                "binWidth": 0.1,
            },
            "featureClass": {"firstorder": None, "glcm": None, "ngtdm": None},
        },
        SAME_GRID,
    ),
    # 2. re-segmentation: modes, shape, filters on the domain of the ROI before it
    "reseg_absolute_shape": (
        {
            "setting": {"resegmentRange": [-20, 60], "resegmentShape": True, "binWidth": 10},
            "featureClass": {"shape": None, "firstorder": None, "glcm": None, "gldm": None},
        },
        SAME_GRID,
    ),
    "reseg_relative_lower": (
        {
            "setting": {"resegmentRange": [0.1], "resegmentMode": "relative", "binWidth": 10},
            "featureClass": {"shape": None, "firstorder": None, "glrlm": None, "ngtdm": None},
        },
        SAME_GRID,
    ),
    "reseg_sigma_precrop_filters": (
        {
            "imageType": {"Original": {}, "LoG": {"sigma": [1.5]}, "Wavelet": {}},
            "setting": {
                "resegmentRange": [-1.5, 1],
                "resegmentMode": "sigma",
                "preCrop": True,
                "padDistance": 2,
                "binCount": 16,
            },
            "featureClass": {"firstorder": None, "glcm": None, "glszm": None},
        },
        SAME_GRID,
    ),
    "reseg_normalized_sigma": (
        {
            "setting": {
                "normalize": True,
                "normalizeScale": 100,
                "resegmentRange": [-2, 2],
                "resegmentMode": "sigma",
                "binWidth": 5,
            },
            "featureClass": {"shape": None, "firstorder": None, "glcm": None},
        },
        SAME_GRID,
    ),
    "reseg_resampled_shape_box": (  # shape of the ROI before re-segmentation, final box
        {
            "setting": {
                "resampledPixelSpacing": [1.0, 1.0, 2.0],
                "interpolator": "sitkLinear",
                "resegmentRange": [-50, 100],
                "binWidth": 10,
            },
            "featureClass": {"shape": None, "firstorder": None, "glszm": None},
        },
        SAME_GRID,
    ),
    "reseg_keeps_one_voxel": (  # ct_a's ROI maximum is 212, the next value 202
        {"setting": {"resegmentRange": [205, 300]}, "featureClass": {"firstorder": None}},
        ("ct_a",),
    ),
    "reseg_keeps_none": (
        {
            "setting": {"resegmentRange": [1.5], "resegmentMode": "relative"},
            "featureClass": {"firstorder": None},
        },
        ("ct_c",),
    ),
    "reseg_below_minimum_size": (
        {
            "setting": {"resegmentRange": [0, 40], "minimumROISize": 300},
            "featureClass": {"firstorder": None},
        },
        SAME_GRID,
    ),
    "minimum_size_equal": (
        {"setting": {"minimumROISize": 398}, "featureClass": {"firstorder": None}},
        ("ct_c", "mr_b"),
    ),
    # 3. masks on other grids
    "correct_mask": (
        {"setting": {"correctMask": True}, "featureClass": _TEXTURE | {"shape": None}},
        OTHER_GRID,
    ),
    "correct_mask_precrop_log": (
        {
            "imageType": {"Original": {}, "LoG": {"sigma": [1.0]}},
            "setting": {"correctMask": True, "preCrop": True, "padDistance": 3},
            "featureClass": {"firstorder": None, "glcm": None},
        },
        ("ct_a_finegrid",),
    ),
    "other_grid_without_correct_mask": (
        {"setting": {"binWidth": 25}, "featureClass": {"firstorder": None}},
        OTHER_GRID,
    ),
    "other_grid_resampled": (
        {
            "setting": {
                "resampledPixelSpacing": [1.0, 1.0, 2.0],
                "interpolator": "sitkBSpline",
            },
            "featureClass": {"shape": None, "firstorder": None, "glcm": None},
        },
        OTHER_GRID,
    ),
    "geometry_tolerance": (
        {
            "setting": {"geometryTolerance": 1e-4},
            "featureClass": {"firstorder": None, "glcm": None},
        },
        ("ct_a_nudged", "ct_a"),
    ),
    # 4. interpolator as a SimpleITK enum number
    "interpolator_numbers": (
        {
            "setting": {"resampledPixelSpacing": [1.0, 1.0, 1.5], "interpolator": 2},
            "featureClass": {"firstorder": None, "glcm": None},
        },
        SAME_GRID,
    ),
    "interpolator_three": (  # sitkBSpline before SimpleITK 2; no interpolator in 2.x
        {
            "setting": {"resampledPixelSpacing": [1.0, 1.0, 1.5], "interpolator": 3},
            "featureClass": {"firstorder": None},
        },
        ("ct_c",),
    ),
    "interpolator_number_sinc": (
        {
            "setting": {"resampledPixelSpacing": [0.8, 0.8, 2.0], "interpolator": 9},
            "featureClass": {"firstorder": None},
        },
        ("ct_a", "mr_b"),
    ),
    # 5. custom settings per image type
    "custom_per_image_type": (
        {
            "imageType": {
                "Original": {"binCount": 16, "symmetricalGLCM": False},
                "LoG": {
                    "sigma": [1.0, 2.0],
                    "binWidth": 5,
                    "distances": [1, 2],
                    "weightingNorm": "euclidean",
                    "gldm_a": 1,
                },
                "Square": {"voxelArrayShift": 100, "force2D": True, "binWidth": 200},
                "Wavelet": {"binCount": 8, "start_level": 0},
            },
            "setting": {"binWidth": 10, "voxelArrayShift": 5},
            "featureClass": _TEXTURE | {"ngtdm": None},
        },
        SAME_GRID,
    ),
    "custom_force2d_filters": (
        {
            "imageType": {
                "Original": {},
                "Wavelet": {"force2D": True},
                "LBP2D": {"force2D": True, "force2Ddimension": 1},
            },
            "setting": {"binWidth": 10},
            "featureClass": {"firstorder": None, "glcm": None, "glrlm": None},
        },
        SAME_GRID,
    ),
    "custom_bin_width_under_bin_count": (
        {
            "imageType": {"Original": {"binWidth": 3}, "Exponential": {"binCount": 12}},
            "setting": {"binCount": 20},
            "featureClass": {"firstorder": None, "glcm": None},
        },
        ("mr_b",),
    ),
    # 6. one-directional GLCMs
    "glcm_not_symmetrical": (
        {
            "setting": {"symmetricalGLCM": False, "distances": [1, 2], "binWidth": 15},
            "featureClass": {"glcm": None},
        },
        SAME_GRID,
    ),
    "glcm_not_symmetrical_weighted_2d": (
        {
            "setting": {
                "symmetricalGLCM": False,
                "force2D": True,
                "weightingNorm": "manhattan",
                "binCount": 12,
            },
            "featureClass": {"glcm": None},
        },
        SAME_GRID,
    ),
}

RUNNER = r"""
import json, logging, sys
import numpy as np
import SimpleITK as sitk
from radiomics import featureextractor

logging.getLogger("radiomics").setLevel(logging.CRITICAL)


def plain(v):
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
    if isinstance(v, (np.floating, np.integer)):
        v = v.item()
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    return str(v)


out = []
for job in json.load(open(sys.argv[1])):
    # as in a fresh process: PyRadiomics sets geometryTolerance globally and never resets it
    sitk.ProcessObject.SetGlobalDefaultCoordinateTolerance(1e-6)
    sitk.ProcessObject.SetGlobalDefaultDirectionTolerance(1e-6)
    try:
        ext = featureextractor.RadiomicsFeatureExtractor(job["params"])
        res = ext.execute(job["image"], job["mask"])
        out.append({"features": {k: plain(v) for k, v in res.items()}})
    except Exception as exc:
        out.append({"error": "%s: %s" % (type(exc).__name__, exc)})
json.dump(out, open(sys.argv[2], "w"))
"""


def _other_grid_masks() -> None:
    """ct_a's label map on three other grids (nearest neighbour, deterministic)."""
    mask = sitk.ReadImage(str(DATA / "ct_a_label.nrrd"))
    nn = sitk.sitkNearestNeighbor
    # finer and shifted: half the in-plane spacing, origin moved by a fraction of a voxel
    fine = sitk.Image([64, 61, 30], mask.GetPixelID())
    fine.SetSpacing((0.35, 0.35, 1.25))
    fine.SetOrigin(tuple(np.add(mask.GetOrigin(), (0.13, -0.21, 0.4))))
    fine = sitk.Resample(mask, fine, sitk.Transform(), nn, 0)
    # rotated by 3 degrees about z around the image centre
    rot = sitk.Image(mask.GetSize(), mask.GetPixelID())
    rot.SetSpacing(mask.GetSpacing())
    a = math.radians(3.0)
    rot.SetDirection((math.cos(a), -math.sin(a), 0.0, math.sin(a), math.cos(a), 0.0, 0, 0, 1))
    centre = mask.TransformContinuousIndexToPhysicalPoint([(n - 1) / 2 for n in mask.GetSize()])
    corner = np.array(centre) - np.array(rot.GetDirection()).reshape(3, 3) @ (
        np.array([(n - 1) / 2 for n in mask.GetSize()]) * np.array(mask.GetSpacing())
    )
    rot.SetOrigin(tuple(corner))
    rot = sitk.Resample(mask, rot, sitk.Transform(), nn, 0)
    # nudged: the same voxels with the origin moved by 2e-5 mm along x (SimpleITK's default
    # tolerance in PyRadiomics is 1e-6 times the 0.7 mm x spacing)
    nudged = sitk.Image(mask)
    nudged.SetOrigin(tuple(np.add(mask.GetOrigin(), (2e-5, 0.0, 0.0))))
    for name, img in (("finegrid", fine), ("rotated", rot), ("nudged", nudged)):
        sitk.WriteImage(img, str(DATA / f"settings_ct_a_label_{name}.nrrd"), useCompression=True)


def main() -> None:
    _other_grid_masks()
    jobs, where = [], []
    for config, (params, cases) in CONFIGS.items():
        for case in cases:
            image, mask = CASES[case]
            jobs.append({"params": params, "image": str(DATA / image), "mask": str(DATA / mask)})
            where.append((config, case))
    with tempfile.TemporaryDirectory() as tmp:
        job_file, out_file = Path(tmp) / "jobs.json", Path(tmp) / "out.json"
        job_file.write_text(json.dumps(jobs))
        subprocess.run([str(PYRADIOMICS), "-c", RUNNER, str(job_file), str(out_file)], check=True)
        results = json.loads(out_file.read_text())
    expected: dict[str, dict[str, Any]] = {
        config: {"params": params, "cases": {}} for config, (params, _) in CONFIGS.items()
    }
    for (config, case), res in zip(where, results, strict=True):
        expected[config]["cases"][case] = res
    OUT.write_text(json.dumps(expected, indent=1))
    n_values = sum(
        len(r.get("features", {})) for c in expected.values() for r in c["cases"].values()
    )
    n_errors = sum("error" in r for c in expected.values() for r in c["cases"].values())
    print(f"wrote {OUT}: {len(jobs)} runs, {n_values} values, {n_errors} errors", file=sys.stderr)


if __name__ == "__main__":
    main()
