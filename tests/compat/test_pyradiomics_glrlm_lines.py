"""PyRadiomics 3.0.1's GLRLM empties a direction along which no line holds two ROI voxels
(its C code takes the ROI as flat there and drops the direction from the average). The
``pyradiomics`` profile reproduces it (:func:`radiomix.features.glrlm.directions_with_lines`);
tiny or sparse ROIs (a small lesion resampled to 3 mm, a wavelet band's ROI) show it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from radiomix.features import glrlm
from radiomix.features import pyradiomics_profile as prof
from radiomix.features._kernels_numpy import run_length_counts

ROOT = Path(__file__).resolve().parents[2]
PYRADIOMICS = ROOT / "benchmarks" / ".venv-pyradiomics" / "bin" / "python"
SHARED = ROOT.parent / "shared" / "data" / "pyradiomics-cases"


def _brute(mask: np.ndarray, off: np.ndarray) -> bool:
    pts = {tuple(p) for p in np.argwhere(mask)}
    return any(
        tuple(np.asarray(p) + k * off) in pts for p in pts for k in range(1, max(mask.shape))
    )


def test_directions_with_lines_is_two_voxels_on_one_line() -> None:
    rng = np.random.default_rng(4)
    offsets = prof.texture_offsets((1,), False)
    for _ in range(60):
        shape = tuple(int(v) for v in rng.integers(1, 6, 3))
        mask = rng.random(shape) < rng.uniform(0.1, 0.6)
        got = glrlm.directions_with_lines(mask, offsets)
        want = [_brute(mask, off) for off in offsets]
        assert got.tolist() == want


def test_two_diagonal_voxels_keep_only_their_diagonal() -> None:
    # voxels (z, y, x) = (0, 0, 0) and (1, 1, 0), one grey level: along (1, 1, 0) one run of
    # length 2; along (1, 0, 0), (0, 1, 0) and (1, -1, 0) every line holds one voxel, so
    # PyRadiomics empties them (without that rule they would average in runs of length 1)
    mask = np.zeros((2, 2, 1), bool)
    mask[0, 0, 0] = mask[1, 1, 0] = True
    levels = mask.astype(np.int64)
    res = {
        v.spec.name: v.value
        for v in prof.compute_class(
            "glrlm",
            values=np.ones(2),
            levels=levels,
            mask=mask,
            spacing=(1.0, 1.0, 1.0),
            options=prof.PyradiomicsTextureOptions(),
            names=["ShortRunEmphasis", "LongRunEmphasis", "RunPercentage"],
        )
    }
    assert res == {"ShortRunEmphasis": 0.25, "LongRunEmphasis": 4.0, "RunPercentage": 0.5}


GENERATE = """
import json, sys
import numpy as np
from radiomics import cMatrices
rng = np.random.default_rng(int(sys.argv[1]))
out = []
while len(out) < 120:
    shape = tuple(int(v) for v in rng.integers(1, 6, 3))
    mask = rng.random(shape) < rng.uniform(0.15, 0.8)
    ng = int(rng.integers(1, 4))
    image = rng.integers(1, ng + 1, shape).astype(np.int32)
    try:
        p, angles = cMatrices.calculate_glrlm(image, mask, ng, int(max(shape)), False, 0)
    except RuntimeError:  # no angle (a one-voxel box)
        continue
    out.append({"image": image.tolist(), "mask": mask.tolist(), "p": p[0].tolist(),
                "angles": angles.tolist()})
print(json.dumps(out))
"""


@pytest.mark.slow
def test_run_counts_equal_pyradiomics_c_code_on_sparse_rois() -> None:
    if not PYRADIOMICS.exists():
        pytest.skip(f"needs PyRadiomics 3.0.1 in {PYRADIOMICS} (benchmarks/setup_pyradiomics.sh)")
    text = subprocess.run(
        [str(PYRADIOMICS), "-c", GENERATE, "11"], check=True, capture_output=True, text=True
    ).stdout
    emptied = 0
    for case in json.loads(text):
        image, mask = np.array(case["image"]), np.array(case["mask"], bool)
        ref, offsets = np.array(case["p"]), np.array(case["angles"], dtype=np.int64)
        ng, nr = ref.shape[0], ref.shape[1]
        counts = run_length_counts(np.where(mask, image, 0), offsets, ng).astype(float)
        lines = glrlm.directions_with_lines(mask, offsets)
        counts[~lines] = 0.0
        emptied += int((~lines).sum())
        got = np.zeros_like(ref)
        n = min(counts.shape[2] - 1, nr)
        got[:, :n, :] = np.transpose(counts[:, 1:, 1 : n + 1], (1, 2, 0))
        assert np.array_equal(got, ref)
    assert emptied > 0  # the cases do exercise the rule


@pytest.mark.slow
def test_example_mr_5mm_on_breast1_matches_pyradiomics(tmp_path: Path) -> None:
    """PyRadiomics' exampleMR_5mm.yaml (resampled to 3 mm, LoG and wavelets) on breast1:
    its small ROI made 32 GLRLM values differ (up to 46 %) before the rule."""
    if not PYRADIOMICS.exists():
        pytest.skip(f"needs PyRadiomics 3.0.1 in {PYRADIOMICS} (benchmarks/setup_pyradiomics.sh)")
    if not (SHARED / "breast1_image.nrrd").exists():
        pytest.skip(f"needs the pyradiomics cases in {SHARED}")
    from radiomix.compat import featureextractor

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from compare_pyradiomics import max_rel_diff
    finally:
        sys.path.pop(0)
    params = tmp_path / "mr5.yaml"
    params.write_text(
        "imageType:\n  Original: {}\n  LoG: {sigma: [3.0, 5.0]}\n  Wavelet: {}\n"
        "featureClass:\n  glrlm:\nsetting:\n  binWidth: 25\n  interpolator: sitkBSpline\n"
        "  resampledPixelSpacing: [3, 3, 3]\n  normalize: true\n"
    )
    img, msk = SHARED / "breast1_image.nrrd", SHARED / "breast1_label.nrrd"
    runner = ROOT / "benchmarks" / "pyradiomics_reference.py"
    line = subprocess.run(
        [str(PYRADIOMICS), str(runner), str(params), str(img), str(msk)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()[0]
    ref = {k: v for k, v in json.loads(line)["features"].items() if "_glrlm_" in k}
    got = featureextractor.RadiomicsFeatureExtractor(str(params)).execute(str(img), str(msk))
    assert len(ref) == 11 * 16
    assert max_rel_diff({k: got[k] for k in ref}, ref) <= 1e-6
