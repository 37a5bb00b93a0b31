"""Make the fixtures of tests/compat/test_pyradiomics_resample2d_channels.py.

PyRadiomics 3.0.1's outputs for two parts of the ``pyradiomics`` profile: resampling a 2D
image (``resampledPixelSpacing`` with two values, (x, y); the errors for three values on a
2D image and two on a 3D one) and ``label_channel`` (the component of a multi-component,
i.e. vector, mask that holds the label map; out-of-range channels; a channel on a scalar
mask). Writes only files of its own into tests/data/pyradiomics_compat:

- ``channels_us2d_label.nrrd``: a 2D vector mask (3 components) on the grid of
  ``us2d_image.nrrd``: component 0 is ``us2d_label.nrrd`` (labels 1, 2), component 1 a
  disc overlapping the lesion (label 3) and the blob (label 2), component 2 the lesion's
  lower half (label 1);
- ``channels_ct_c_label.nrrd``: a 3D vector mask (2 components) on the grid of
  ``ct_c_image.nrrd``: component 0 is ``ct_c_label.nrrd``, component 1 a box overlapping it
  (label 4);
- ``channels_us2d_image.png`` / ``channels_us2d_label.png``: ``us2d``'s picture as a
  grey PNG and an RGB PNG mask whose red channel holds label 1 (the lesion), green
  label 1 on the blob and blue 255 on both (PyRadiomics reads the PNG mask as a
  3-component vector image);
- ``expected_resample2d.json``: ``{config: {"params": {...}, "cases": {run: result}}}``
  where a run names an image, a mask, a label and an optional ``execute`` label_channel
  (``RUNS``) and a result is PyRadiomics' ``execute()`` output (``{"features": {...}}``) or
  the error it raised (``{"error": "AssertionError: ..."}``).

Runs PyRadiomics in its own environment (benchmarks/.venv-pyradiomics, see
setup_pyradiomics.sh); run from the repository root with radiomix's environment:

    .venv/bin/python benchmarks/make_pyradiomics_resample2d_fixtures.py

Deterministic: the masks are geometric shapes on the existing fixtures' grids.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import SimpleITK as sitk
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
PYRADIOMICS = ROOT / "benchmarks" / ".venv-pyradiomics" / "bin" / "python"
DATA = ROOT / "tests" / "data" / "pyradiomics_compat"
OUT = DATA / "expected_resample2d.json"

#: run name -> (image file, mask file, label, label_channel given to execute or None)
RUNS: dict[str, tuple[str, str, int, int | None]] = {
    "us2d/1": ("us2d_image.nrrd", "us2d_label.nrrd", 1, None),
    "us2d/2": ("us2d_image.nrrd", "us2d_label.nrrd", 2, None),
    "us2d_slice/1": ("us2d_slice_image.nrrd", "us2d_slice_label.nrrd", 1, None),
    "ct_c/1": ("ct_c_image.nrrd", "ct_c_label.nrrd", 1, None),
    "mixed_2d_image/1": ("us2d_image.nrrd", "us2d_slice_label.nrrd", 1, None),
    "mixed_3d_image/1": ("us2d_slice_image.nrrd", "us2d_label.nrrd", 1, None),
    "vec2d/1": ("us2d_image.nrrd", "channels_us2d_label.nrrd", 1, None),
    "vec2d/2": ("us2d_image.nrrd", "channels_us2d_label.nrrd", 2, None),
    "vec2d/3": ("us2d_image.nrrd", "channels_us2d_label.nrrd", 3, None),
    "vec2d/ch1/3": ("us2d_image.nrrd", "channels_us2d_label.nrrd", 3, 1),
    "vec2d/ch1/2": ("us2d_image.nrrd", "channels_us2d_label.nrrd", 2, 1),
    "vec2d/ch2/1": ("us2d_image.nrrd", "channels_us2d_label.nrrd", 1, 2),
    "vec2d/ch3/1": ("us2d_image.nrrd", "channels_us2d_label.nrrd", 1, 3),
    "us2d/ch2/1": ("us2d_image.nrrd", "us2d_label.nrrd", 1, 2),
    "vec3d/1": ("ct_c_image.nrrd", "channels_ct_c_label.nrrd", 1, None),
    "vec3d/4": ("ct_c_image.nrrd", "channels_ct_c_label.nrrd", 4, None),
    "png/1": ("channels_us2d_image.png", "channels_us2d_label.png", 1, None),
    "png/255": ("channels_us2d_image.png", "channels_us2d_label.png", 255, None),
}

_SMALL = {"firstorder": None, "glcm": None, "shape2D": None}
_SMALL3D = {"firstorder": None, "glszm": None, "shape": None}

#: configuration -> (PyRadiomics parameters, runs)
CONFIGS: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    # 1. a 2D image resampled in 2D: B-spline (the default), every class, LoG on the grid
    "d2_bspline_all": (
        {
            "imageType": {"Original": {}, "LoG": {"sigma": [1.5]}},
            "setting": {"resampledPixelSpacing": [0.4, 0.4], "binWidth": 8},
        },
        ("us2d/1", "us2d/2"),
    ),
    # 2. linear, an axis given as 0 (keeps its spacing), small padDistance, Wavelet, Square
    "d2_linear_zero_axis": (
        {
            "imageType": {"Original": {}, "Wavelet": {"wavelet": "haar"}, "Square": {}},
            "setting": {
                "resampledPixelSpacing": [0.3, 0],
                "interpolator": "sitkLinear",
                "padDistance": 2,
                "binWidth": 10,
            },
            "featureClass": {"firstorder": None, "glrlm": None, "shape2D": None},
        },
        ("us2d/1",),
    ),
    # 3. coarser grid, nearest neighbour, normalisation first, re-segmentation after
    "d2_nearest_normalize_reseg": (
        {
            "setting": {
                "resampledPixelSpacing": [0.7, 0.6],
                "interpolator": "sitkNearestNeighbor",
                "normalize": True,
                "normalizeScale": 100,
                "resegmentRange": [-150, 400],
                "binWidth": 15,
            },
            "featureClass": {**_SMALL, "gldm": None, "ngtdm": None, "glszm": None},
        },
        ("us2d/1", "us2d/2"),
    ),
    # 4. the image's own spacing: PyRadiomics only crops (ROI box + padDistance)
    "d2_same_spacing": (
        {
            "setting": {"resampledPixelSpacing": [0.5, 0.35], "padDistance": 3, "binWidth": 8},
            "featureClass": _SMALL,
        },
        ("us2d/1",),
    ),
    # 5. force2D and LBP2D on the resampled 2D grid
    "d2_force2d_lbp": (
        {
            "imageType": {"Original": {}, "LBP2D": {}},
            "setting": {
                "resampledPixelSpacing": [0.45, 0.3],
                "interpolator": "sitkLanczosWindowedSinc",
                "force2D": True,
                "binCount": 12,
            },
            "featureClass": {"firstorder": None, "glcm": None, "gldm": None},
        },
        ("us2d/1",),
    ),
    # 6. three values on a 2D image, two on a 3D one: PyRadiomics' assertion (it counts the
    # mask's dimensions); a 2D image with a 3D mask or the reverse fails in SimpleITK
    "spacing_3_values": (
        {
            "setting": {"resampledPixelSpacing": [0.4, 0.4, 1.0], "binWidth": 8},
            "featureClass": _SMALL,
        },
        ("us2d/1", "us2d_slice/1", "mixed_3d_image/1", "mixed_2d_image/1"),
    ),
    "spacing_2_values": (
        {
            "setting": {"resampledPixelSpacing": [0.4, 0.4], "binWidth": 8},
            "featureClass": _SMALL,
        },
        ("us2d_slice/1", "ct_c/1", "mixed_2d_image/1", "mixed_3d_image/1"),
    ),
    # 7. label_channel: default 0, given to execute, out of range, on a scalar mask
    "channels_2d": (
        {"setting": {"binWidth": 8}, "featureClass": {**_SMALL, "glrlm": None}},
        (
            "vec2d/1",
            "vec2d/2",
            "vec2d/3",
            "vec2d/ch1/3",
            "vec2d/ch1/2",
            "vec2d/ch2/1",
            "vec2d/ch3/1",
            "us2d/ch2/1",
        ),
    ),
    # 8. label_channel as a setting, with 2D resampling
    "channels_2d_setting_resampled": (
        {
            "setting": {
                "label_channel": 1,
                "label": 3,
                "resampledPixelSpacing": [0.4, 0.4],
                "binWidth": 8,
            },
            "featureClass": _SMALL,
        },
        ("vec2d/3", "us2d/1"),
    ),
    # 9. a 3D vector mask: channel 0 and channel 1 (setting), resampled in 3D
    "channels_3d": (
        {"setting": {"binWidth": 20}, "featureClass": _SMALL3D},
        ("vec3d/1",),
    ),
    "channels_3d_setting_resampled": (
        {
            "setting": {
                "label_channel": 1,
                "label": 4,
                "resampledPixelSpacing": [0.8, 0.8, 1.5],
                "binWidth": 20,
            },
            "featureClass": _SMALL3D,
        },
        ("vec3d/4",),
    ),
    "channels_3d_out_of_range": (
        {"setting": {"label_channel": 2, "binWidth": 20}, "featureClass": _SMALL3D},
        ("vec3d/1",),
    ),
    # 10. a colour PNG mask: a vector image for PyRadiomics (channels 0 and 2, 2D resampling)
    "png_channels": (
        {"setting": {"binWidth": 8}, "featureClass": _SMALL},
        ("png/1",),
    ),
    "png_channel2_resampled": (
        {
            "setting": {"label_channel": 2, "resampledPixelSpacing": [0.8, 0.8], "binWidth": 8},
            "featureClass": _SMALL,
        },
        ("png/255",),
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
    try:
        ext = featureextractor.RadiomicsFeatureExtractor(job["params"])
        res = ext.execute(
            job["image"], job["mask"], label=job["label"], label_channel=job["label_channel"]
        )
        out.append({"features": {k: plain(v) for k, v in res.items()}})
    except Exception as exc:
        out.append({"error": "%s: %s" % (type(exc).__name__, exc)})
json.dump(out, open(sys.argv[2], "w"))
"""


def _masks() -> None:
    """The vector masks and the PNG pair (deterministic shapes on existing grids)."""
    lab = sitk.ReadImage(str(DATA / "us2d_label.nrrd"))
    a = sitk.GetArrayFromImage(lab)  # (y, x), labels 1 (lesion) and 2 (blob)
    y, x = np.mgrid[: a.shape[0], : a.shape[1]]
    c1 = np.zeros_like(a)
    c1[((y - 40) / 12) ** 2 + ((x - 52) / 14) ** 2 < 1] = 3  # overlaps the lesion
    c1[a == 2] = 2
    c2 = np.where((a == 1) & (y >= 34), 1, 0).astype(a.dtype)
    vec = sitk.GetImageFromArray(np.stack([a, c1, c2], axis=-1), isVector=True)
    vec.CopyInformation(lab)
    sitk.WriteImage(vec, str(DATA / "channels_us2d_label.nrrd"), useCompression=True)

    lab3 = sitk.ReadImage(str(DATA / "ct_c_label.nrrd"))
    b = sitk.GetArrayFromImage(lab3)  # (z, y, x)
    box = np.zeros_like(b)
    nz = np.argwhere(b > 0)
    lo, hi = nz.min(axis=0), nz.max(axis=0)
    mid = (lo + hi) // 2
    box[lo[0] : hi[0] + 1, mid[1] : hi[1] + 2, lo[2] : mid[2] + 2] = 4
    vec3 = sitk.GetImageFromArray(np.stack([b, box], axis=-1), isVector=True)
    vec3.CopyInformation(lab3)
    sitk.WriteImage(vec3, str(DATA / "channels_ct_c_label.nrrd"), useCompression=True)

    img = sitk.GetArrayFromImage(sitk.ReadImage(str(DATA / "us2d_image.nrrd")))
    Image.fromarray(img.astype(np.uint8), mode="L").save(DATA / "channels_us2d_image.png")
    rgb = np.zeros((*a.shape, 3), dtype=np.uint8)
    rgb[..., 0] = (a == 1).astype(np.uint8)
    rgb[..., 1] = (a == 2).astype(np.uint8)
    rgb[..., 2] = np.where(a > 0, 255, 0).astype(np.uint8)
    Image.fromarray(rgb, mode="RGB").save(DATA / "channels_us2d_label.png")


def main() -> None:
    _masks()
    jobs = []
    for config, (params, runs) in CONFIGS.items():
        for run in runs:
            image, mask, label, channel = RUNS[run]
            jobs.append(
                {
                    "config": config,
                    "run": run,
                    "params": params,
                    "image": str(DATA / image),
                    "mask": str(DATA / mask),
                    "label": label,
                    "label_channel": channel,
                }
            )
    with tempfile.TemporaryDirectory() as tmp:
        job_file, out_file = Path(tmp) / "jobs.json", Path(tmp) / "out.json"
        job_file.write_text(json.dumps(jobs))
        subprocess.run([str(PYRADIOMICS), "-c", RUNNER, str(job_file), str(out_file)], check=True)
        results = json.loads(out_file.read_text())
    expected: dict[str, dict[str, Any]] = {}
    for job, res in zip(jobs, results, strict=True):
        entry = expected.setdefault(job["config"], {"params": job["params"], "cases": {}})
        entry["cases"][job["run"]] = res
    OUT.write_text(json.dumps(expected, indent=1, sort_keys=False) + "\n")
    n_values = sum(
        len(r.get("features", {})) for c in expected.values() for r in c["cases"].values()
    )
    n_errors = sum("error" in r for c in expected.values() for r in c["cases"].values())
    print(f"wrote {OUT}: {len(jobs)} runs, {n_values} values, {n_errors} errors", file=sys.stderr)


if __name__ == "__main__":
    main()
