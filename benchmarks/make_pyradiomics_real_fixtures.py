"""Make ``tests/data/pyradiomics_compat/expected_real.json``: PyRadiomics 3.0.1 on the real
cases of ../shared/data/pyradiomics-cases with every image type, in 3D and with force2D.

PyRadiomics runs in its own environment (benchmarks/.venv-pyradiomics, made by
setup_pyradiomics.sh) through ``pyradiomics_reference.py``; the parameter sets are
:data:`PARAMS`. The fixture holds, per parameter set, the parameters, the feature keys in
PyRadiomics' order (diagnostics left out: the baseline tests check those) and each case's
values in that order. Run from the repository root:

    .venv/bin/python benchmarks/make_pyradiomics_real_fixtures.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PYRADIOMICS = ROOT / "benchmarks" / ".venv-pyradiomics" / "bin" / "python"
RUNNER = ROOT / "benchmarks" / "pyradiomics_reference.py"
REAL = ROOT.parent / "shared" / "data" / "pyradiomics-cases"
OUT = ROOT / "tests" / "data" / "pyradiomics_compat" / "expected_real.json"
CASES = ("brain1", "brain2", "breast1", "lung1", "lung2")

_ALL_TYPES = {
    "Original": {},
    "LoG": {"sigma": [1.0, 3.0]},
    "Wavelet": {},
    "Square": {},
    "SquareRoot": {},
    "Logarithm": {},
    "Exponential": {},
    "Gradient": {},
    "LBP2D": {},
    "LBP3D": {},
}
#: the seven 3D classes named (with force2D PyRadiomics would fail on shape2D of a 3D ROI)
_CLASSES = dict.fromkeys(("shape", "firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"))

PARAMS: dict[str, dict] = {
    "all_types_3d": {"imageType": _ALL_TYPES, "setting": {"binWidth": 25, "label": 1}},
    "all_types_force2d": {
        "imageType": _ALL_TYPES,
        "featureClass": _CLASSES,
        "setting": {"binCount": 32, "force2D": True, "force2Ddimension": 0, "label": 1},
    },
}


def main() -> None:
    if not PYRADIOMICS.exists():
        sys.exit(f"needs {PYRADIOMICS}: run benchmarks/setup_pyradiomics.sh first")
    if not REAL.is_dir():
        sys.exit(f"needs the real cases in {REAL}")
    fixture: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, params in PARAMS.items():
            path = Path(tmp) / f"{name}.yaml"
            path.write_text(yaml.safe_dump(params, sort_keys=False))
            cmd = [str(PYRADIOMICS), str(RUNNER), str(path)]
            for case in CASES:
                cmd += [str(REAL / f"{case}_image.nrrd"), str(REAL / f"{case}_label.nrrd"), "1"]
            lines = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            vectors = [json.loads(line)["features"] for line in lines.strip().splitlines()]
            keys = [k for k in vectors[0] if not k.startswith("diagnostics_")]
            cases = {}
            for case, vec in zip(CASES, vectors, strict=True):
                assert [k for k in vec if not k.startswith("diagnostics_")] == keys, case
                cases[case] = [vec[k] for k in keys]
            fixture[name] = {"params": params, "keys": keys, "cases": cases}
            print(f"{name}: {len(keys)} features x {len(CASES)} cases")
    OUT.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
