#!/usr/bin/env bash
# Set everything up and run the main job: feature extraction on the bundled example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/radiomix demo --out out/demo
