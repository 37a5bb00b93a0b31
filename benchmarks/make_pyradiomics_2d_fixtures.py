"""Make the 2D / force2Ddimension fixtures of tests/compat (tests/data/pyradiomics_compat).

Writes two small synthetic cases and PyRadiomics parameter files, and the feature vectors
PyRadiomics 3.0.1 computes for them (``expected_2d.json``), by running PyRadiomics in its own
environment (benchmarks/.venv-pyradiomics, see setup_pyradiomics.sh):

    .venv/bin/python benchmarks/make_pyradiomics_2d_fixtures.py [OUT_DIR]

- ``us2d``: a real 2D image (a PNG-like uint8 ultrasound-style picture, written as a 2D
  NRRD with anisotropic pixel spacing) and its 2D label map (label 1: a lesion with a
  notch; label 2: a smaller blob).
- ``us2d_slice``: the same picture and labels as a 3D image of one slice (which PyRadiomics,
  unlike a 2D image, extracts in 3D).
- ``planes``: a 3D int16 CT-like volume with a label map holding a thick ROI (label 1) and
  three ROIs one voxel thick: axial (label 2, one z plane), coronal (label 3, one y row of
  planes) and sagittal (label 4, one x column), each over several voxels in its other axes.

Deterministic: the cases come from fixed random seeds. ``expected_2d.json`` maps
``{params: {"<case>/<label>": PyRadiomics' execute() output}}``; the cases each parameter
file runs on are listed in :data:`RUNS`.
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

_TEXTURE = {"firstorder": None, "glcm": None, "glrlm": None, "glszm": None, "gldm": None}

#: parameter files: name -> content (PyRadiomics' format)
PARAMS: dict[str, dict] = {
    # a 2D image, every class (shape is skipped, shape2D computed) and the 2D image types
    "d2_all": {
        "imageType": {
            "Original": {},
            "LoG": {"sigma": [1.0, 2.5]},
            "Wavelet": {},
            "LBP2D": {},
            "Gradient": {},
            "Square": {},
        },
        "setting": {"binWidth": 8},
    },
    # a 2D image with force2D: PyRadiomics then drops the image's axis 0 (rows) from the
    # texture angles and from the wavelet, so only the column direction is left
    "d2_force2d": {
        "imageType": {"Original": {}, "Wavelet": {"wavelet": "haar"}},
        "setting": {"binCount": 16, "force2D": True, "weightingNorm": "euclidean"},
        "featureClass": {
            "shape2D": ["MeshSurface", "Perimeter", "SphericalDisproportion"],
            "glcm": None,
            "glrlm": None,
            "glszm": None,
            "ngtdm": None,
        },
    },
    # force2D on one-voxel-thick ROIs, every class (shape2D where PyRadiomics computes it)
    "shape2d_dim0": {"setting": {"binWidth": 20, "force2D": True, "force2Ddimension": 0}},
    "shape2d_dim1": {"setting": {"binWidth": 20, "force2D": True, "force2Ddimension": 1}},
    "shape2d_dim2": {"setting": {"binWidth": 20, "force2D": True, "force2Ddimension": 2}},
    # force2Ddimension 1 and 2 on a thick ROI: texture, wavelet, LBP2D, weighting, distances
    "dim1_texture": {
        "imageType": {"Original": {}, "Wavelet": {"wavelet": "haar"}, "LBP2D": {}},
        "setting": {
            "binWidth": 20,
            "force2D": True,
            "force2Ddimension": 1,
            "weightingNorm": "manhattan",
        },
        "featureClass": {**_TEXTURE, "ngtdm": None, "shape": None},
    },
    "dim2_texture": {
        "imageType": {"Original": {}, "Wavelet": {"wavelet": "haar"}, "LBP2D": {}},
        "setting": {"binWidth": 20, "force2D": True, "force2Ddimension": 2, "distances": [1, 2]},
        "featureClass": {**_TEXTURE, "ngtdm": None},
    },
    # one-voxel-thick ROIs without force2D: PyRadiomics' angles skip the ROI's flat axis
    # (GLRLM would otherwise count runs of 1 across it); shape2D is skipped
    "planar_no_force2d": {
        "setting": {"binWidth": 20, "weightingNorm": "infinity"},
        "featureClass": {"glrlm": None, "glcm": None, "glszm": None, "shape2D": None},
    },
    # LBP2D slices along force2Ddimension even without force2D
    "dim2_lbp_no_force2d": {
        "imageType": {"LBP2D": {}},
        "setting": {"binWidth": 1, "force2Ddimension": 2},
        "featureClass": {"firstorder": None, "glcm": None},
    },
}

#: the (case, label) pairs each parameter file runs on
RUNS: dict[str, list[tuple[str, int]]] = {
    "d2_all": [("us2d", 1), ("us2d", 2), ("us2d_slice", 1)],
    "d2_force2d": [("us2d", 1)],
    "shape2d_dim0": [("planes", 2), ("planes", 4)],
    "shape2d_dim1": [("planes", 3)],
    "shape2d_dim2": [("planes", 4), ("planes", 2)],
    "dim1_texture": [("planes", 1)],
    "dim2_texture": [("planes", 1)],
    "planar_no_force2d": [("planes", 2), ("planes", 3)],
    "dim2_lbp_no_force2d": [("planes", 1)],
}


def _us2d() -> tuple[sitk.Image, sitk.Image]:
    rng = np.random.default_rng(11)
    y, x = np.mgrid[:72, :90].astype(np.float64)
    speckle = rng.gamma(2.0, 18.0, (72, 90))
    img = 60 + speckle + 25 * np.sin(x / 5.0) * np.cos(y / 7.0)
    lesion = ((y - 34) / 17) ** 2 + ((x - 40) / 24) ** 2 < 1
    lesion &= ~(((y - 20) / 6) ** 2 + ((x - 44) / 5) ** 2 < 1)  # a notch
    img[lesion] *= 0.45
    blob = ((y - 58) / 5) ** 2 + ((x - 76) / 7) ** 2 < 1
    img[blob] += 60
    arr = np.clip(np.round(img), 0, 255).astype(np.uint8)
    lab = np.zeros(arr.shape, dtype=np.uint8)
    lab[lesion] = 1
    lab[blob] = 2
    im = sitk.GetImageFromArray(arr)
    im.SetSpacing((0.5, 0.35))  # (x, y) mm
    im.SetOrigin((3.0, -7.5))
    m = sitk.GetImageFromArray(lab)
    m.CopyInformation(im)
    return im, m


def _us2d_slice() -> tuple[sitk.Image, sitk.Image]:
    """``us2d`` as a 3D image of one slice (3 mm thick): PyRadiomics treats it as 3D."""
    im, m = _us2d()
    im3, m3 = sitk.JoinSeries(im), sitk.JoinSeries(m)
    for img in (im3, m3):
        img.SetSpacing((*im.GetSpacing(), 3.0))
        img.SetOrigin((*im.GetOrigin(), 12.0))
    return im3, m3


def _planes() -> tuple[sitk.Image, sitk.Image]:
    rng = np.random.default_rng(12)
    shape = (14, 40, 46)
    z, y, x = np.mgrid[: shape[0], : shape[1], : shape[2]].astype(np.float64)
    img = rng.normal(30, 45, shape) + 40 * np.sin(x / 3.5) + 25 * np.cos(y / 4.0 + z / 3.0)
    arr = np.round(img).astype(np.int16)
    lab = np.zeros(shape, dtype=np.uint8)
    thick = ((z - 7) / 5) ** 2 + ((y - 12) / 9) ** 2 + ((x - 14) / 11) ** 2 < 1
    lab[thick] = 1
    yy, xx = np.mgrid[: shape[1], : shape[2]]
    axial = ((yy - 30) / 7) ** 2 + ((xx - 12) / 9) ** 2 < 1
    lab[3][axial & (lab[3] == 0)] = 2
    zz, xc = np.mgrid[: shape[0], : shape[2]]
    coronal = ((zz - 7) / 5) ** 2 + ((xc - 34) / 9) ** 2 < 1
    lab[:, 26][coronal] = 3
    zs, ys = np.mgrid[: shape[0], : shape[1]]
    sagittal = ((zs - 6) / 5) ** 2 + ((ys - 12) / 8) ** 2 < 1
    lab[:, :, 40][sagittal] = 4
    im = sitk.GetImageFromArray(arr)
    im.SetSpacing((0.8, 0.7, 2.0))
    im.SetOrigin((-20.0, 14.5, 3.25))
    m = sitk.GetImageFromArray(lab)
    m.CopyInformation(im)
    return im, m


CASES = {"us2d": _us2d, "us2d_slice": _us2d_slice, "planes": _planes}


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "data" / "pyradiomics_compat"
    out.mkdir(parents=True, exist_ok=True)
    for name, make in CASES.items():
        im, m = make()
        sitk.WriteImage(im, str(out / f"{name}_image.nrrd"), useCompression=True)
        sitk.WriteImage(m, str(out / f"{name}_label.nrrd"), useCompression=True)
    expected: dict[str, dict[str, dict]] = {}
    for pname, params in PARAMS.items():
        ppath = out / f"params_{pname}.yaml"
        ppath.write_text(yaml.safe_dump(params, sort_keys=False))
        args = [str(PYRADIOMICS), str(RUNNER), str(ppath)]
        for case, label in RUNS[pname]:
            args += [str(out / f"{case}_image.nrrd"), str(out / f"{case}_label.nrrd"), str(label)]
        lines = subprocess.run(args, check=True, capture_output=True, text=True).stdout.splitlines()
        expected[pname] = {
            f"{case}/{label}": json.loads(line)["features"]
            for (case, label), line in zip(RUNS[pname], lines, strict=True)
        }
    (out / "expected_2d.json").write_text(json.dumps(expected, indent=1, sort_keys=False))
    print(f"wrote {len(CASES)} cases x {len(PARAMS)} parameter files to {out}")


if __name__ == "__main__":
    main()
