"""Make the PyRadiomics fixtures of tests/compat (tests/data/pyradiomics_compat).

Writes small synthetic CT/MR-like cases (NRRD), PyRadiomics parameter files, and the
feature vectors PyRadiomics 3.0.1 computes for every (case, parameter file) pair, by running
PyRadiomics in its own environment (benchmarks/.venv-pyradiomics, see setup_pyradiomics.sh):

    .venv/bin/python benchmarks/make_pyradiomics_fixtures.py [OUT_DIR]

Deterministic: the cases come from fixed random seeds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import SimpleITK as sitk
import yaml

ROOT = Path(__file__).resolve().parents[1]
PYRADIOMICS = ROOT / "benchmarks" / ".venv-pyradiomics" / "bin" / "python"
RUNNER = ROOT / "benchmarks" / "pyradiomics_reference.py"

#: parameter files: name -> content (PyRadiomics' format)
PARAMS: dict[str, dict] = {
    "default": {"setting": {"binWidth": 25, "label": 1}, "imageType": {"Original": {}}},
    "bincount_weighted": {
        "setting": {"binCount": 16, "weightingNorm": "euclidean", "label": 1},
        "featureClass": {"glcm": None, "glrlm": None, "firstorder": None},
    },
    "shift_gldm_distances": {
        "setting": {"binWidth": 10, "voxelArrayShift": 1000, "gldm_a": 2, "distances": [1, 2]},
        "featureClass": {
            "firstorder": ["Energy", "TotalEnergy", "RootMeanSquared", "Kurtosis"],
            "gldm": [],
            "ngtdm": [],
            "glcm": ["Contrast", "Idmn", "MCC"],
        },
    },
    "all_image_types": {
        "imageType": {
            "Original": {},
            "LoG": {"sigma": [1.0, 2.0]},
            "Wavelet": {},
            "Square": {},
            "SquareRoot": {},
            "Logarithm": {},
            "Exponential": {},
            "Gradient": {},
            "LBP2D": {},
            "LBP3D": {},
        },
        "setting": {"binWidth": 10},
    },
    "image_types_precrop_2d": {
        "imageType": {"Wavelet": {"level": 1}, "LoG": {"sigma": [1.5]}, "Square": {}},
        "setting": {
            "binCount": 24,
            "preCrop": True,
            "padDistance": 3,
            "force2D": True,
            "wavelet": "haar",
        },
        "featureClass": {"firstorder": None, "glcm": None, "glszm": None, "shape": None},
    },
    "resampled_bspline_log": {
        "imageType": {"Original": {}, "LoG": {"sigma": [1.0]}, "Square": {}},
        "setting": {
            "resampledPixelSpacing": [1.0, 1.0, 2.0],
            "interpolator": "sitkBSpline",
            "padDistance": 3,
            "binWidth": 10,
        },
    },
    "resampled_linear_same_z": {
        "setting": {"resampledPixelSpacing": [0.5, 0, 0], "interpolator": "sitkLinear"},
        "featureClass": {"shape": None, "firstorder": None, "glcm": None},
    },
    "force2d_manhattan": {
        "setting": {"binWidth": 15, "force2D": True, "weightingNorm": "manhattan", "label": 2},
        "featureClass": {"glszm": None, "glrlm": None, "glcm": None, "shape": None},
    },
}


def _case(
    seed: int,
    shape: tuple[int, int, int],
    spacing: tuple[float, float, float],
    *,
    floats: bool,
    two_labels: bool,
) -> tuple[sitk.Image, sitk.Image]:
    rng = np.random.default_rng(seed)
    z, y, x = np.mgrid[: shape[0], : shape[1], : shape[2]].astype(np.float64)
    img = rng.normal(40, 55, shape) + 35 * np.sin(x / 4.0) + 20 * np.cos(y / 3.0)
    c = np.array(shape) / 2
    r = ((z - c[0]) / (0.35 * shape[0])) ** 2 + ((y - c[1]) / (0.3 * shape[1])) ** 2
    r += ((x - c[2]) / (0.25 * shape[2])) ** 2
    lab = (r < 1).astype(np.uint8)
    lab[int(c[0]), int(c[1]) : int(c[1]) + 5, int(c[2]) : shape[2] - 2] = 1  # a thin spur
    lab[int(c[0]) - 1 : int(c[0]) + 2, 1:4, 1:4] = 1  # a second component
    if two_labels:
        lab[(r < 0.3) & (z % 2 == 0)] = 2
    arr = img.astype(np.float32) / 7.3 if floats else np.round(img).astype(np.int16)
    im = sitk.GetImageFromArray(arr)
    im.SetSpacing(spacing[::-1])
    im.SetOrigin((-12.5, 30.0, 7.25))
    m = sitk.GetImageFromArray(lab)
    m.CopyInformation(im)
    return im, m


CASES = {
    "ct_a": {
        "seed": 1,
        "shape": (14, 30, 32),
        "spacing": (2.5, 0.7, 0.7),
        "floats": False,
        "two_labels": True,
    },
    "mr_b": {
        "seed": 2,
        "shape": (12, 26, 22),
        "spacing": (3.0, 0.9, 1.1),
        "floats": True,
        "two_labels": True,
    },
    "ct_c": {
        "seed": 3,
        "shape": (10, 18, 20),
        "spacing": (1.0, 1.0, 1.0),
        "floats": False,
        "two_labels": True,
    },
}


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "data" / "pyradiomics_compat"
    out.mkdir(parents=True, exist_ok=True)
    for name, kw in CASES.items():
        im, m = _case(**kw)  # type: ignore[arg-type]
        sitk.WriteImage(im, str(out / f"{name}_image.nrrd"), useCompression=True)
        sitk.WriteImage(m, str(out / f"{name}_label.nrrd"), useCompression=True)
    expected: dict[str, dict[str, dict]] = {}
    for pname, params in PARAMS.items():
        ppath = out / f"params_{pname}.yaml"
        ppath.write_text(yaml.safe_dump(params, sort_keys=False))
        args = [str(PYRADIOMICS), str(RUNNER), str(ppath)]
        for name in CASES:
            args += [str(out / f"{name}_image.nrrd"), str(out / f"{name}_label.nrrd")]
        lines = subprocess.run(args, check=True, capture_output=True, text=True).stdout.splitlines()
        expected[pname] = {
            name: json.loads(line)["features"] for name, line in zip(CASES, lines, strict=True)
        }
    (out / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=False))
    print(f"wrote {len(CASES)} cases x {len(PARAMS)} parameter files to {out}")


if __name__ == "__main__":
    main()
