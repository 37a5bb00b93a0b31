"""Live side-by-side run against PyRadiomics 3.0.1 itself (its own environment).

Runs only where benchmarks/.venv-pyradiomics exists (benchmarks/setup_pyradiomics.sh; CI
may create it); skips with the reason otherwise. A CT-sized synthetic case (512 x 512 x 60
voxels) with a 3 cm and an 8 cm lesion, PyRadiomics' default parameters plus a second file
with fixed bin count, weighting and force2D: every feature within 1e-6 relative (1e-9
absolute near zero).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from radiomix.compat import featureextractor

ROOT = Path(__file__).resolve().parents[2]
PYRADIOMICS = ROOT / "benchmarks" / ".venv-pyradiomics" / "bin" / "python"
RUNNER = ROOT / "benchmarks" / "pyradiomics_reference.py"

PARAMS = {
    "default": "imageType:\n  Original: {}\nsetting:\n  binWidth: 25\n",
    # featureClass named: without it PyRadiomics also enables shape2D, which it cannot
    # compute on a 3D mask with force2D (it raises)
    "fbn_2d": "setting:\n  binCount: 32\n  force2D: true\n  weightingNorm: infinity\n"
    "  voxelArrayShift: 1000\nfeatureClass:\n  firstorder:\n  glcm:\n  glrlm:\n  glszm:\n"
    "  gldm:\n  ngtdm:\n  shape:\n",
}


@pytest.mark.slow
@pytest.mark.parametrize("params_name", sorted(PARAMS))
def test_ct_sized_case_matches_live_pyradiomics(tmp_path: Path, params_name: str) -> None:
    if not PYRADIOMICS.exists():
        pytest.skip(f"needs PyRadiomics 3.0.1 in {PYRADIOMICS} (benchmarks/setup_pyradiomics.sh)")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from compare_pyradiomics import make_ct_case, max_rel_diff
    finally:
        sys.path.pop(0)
    img, msk = make_ct_case(tmp_path)
    params = tmp_path / "params.yaml"
    params.write_text(PARAMS[params_name])
    out = subprocess.run(
        [
            str(PYRADIOMICS),
            str(RUNNER),
            str(params),
            str(img),
            str(msk),
            "1",
            str(img),
            str(msk),
            "2",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    ext = featureextractor.RadiomicsFeatureExtractor(str(params))
    for label, line in zip((1, 2), out, strict=True):
        ref = {k: v for k, v in json.loads(line)["features"].items() if k.startswith("original_")}
        ours = ext.execute(str(img), str(msk), label=label)
        got = {k: v for k, v in ours.items() if k.startswith("original_")}
        assert list(got) == list(ref)
        assert max_rel_diff(got, ref) <= 1e-6
