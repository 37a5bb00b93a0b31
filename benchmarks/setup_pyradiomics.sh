#!/usr/bin/env bash
# Create benchmarks/.venv-pyradiomics with PyRadiomics 3.0.1 (its last release that builds on
# Python 3.11; it needs numpy < 2 and a build without isolation) for side-by-side benchmarks.
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv-pyradiomics
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import radiomics, skimage, trimesh" 2>/dev/null; then
    exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet "numpy<2" "setuptools<70" wheel versioneer SimpleITK PyWavelets pykwalify six scikit-build
"$VENV/bin/pip" install --quiet --no-build-isolation pyradiomics==3.0.1
# LBP2D/LBP3D need scikit-image and trimesh; LBP3D imports scipy.special.sph_harm (gone in 1.17)
"$VENV/bin/pip" install --quiet "scipy>=1.11,<1.17" scikit-image trimesh
"$VENV/bin/python" -c "import radiomics; print('PyRadiomics', radiomics.__version__)"
