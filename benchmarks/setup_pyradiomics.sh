#!/usr/bin/env bash
# Create benchmarks/.venv-pyradiomics with PyRadiomics 3.0.1 (its last release that builds on
# Python 3.11; it needs numpy < 2 and a build without isolation) for side-by-side benchmarks.
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv-pyradiomics
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import radiomics" 2>/dev/null; then
    exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet "numpy<2" "setuptools<70" wheel versioneer SimpleITK PyWavelets pykwalify six scikit-build
"$VENV/bin/pip" install --quiet --no-build-isolation pyradiomics==3.0.1
"$VENV/bin/python" -c "import radiomics; print('PyRadiomics', radiomics.__version__)"
