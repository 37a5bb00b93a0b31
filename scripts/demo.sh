#!/usr/bin/env bash
# Set everything up and run the main job: the BUSI breast-ultrasound study (benign vs
# malignant), on the folder named by $BUSI_DIR when it is set, else on the bundled sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/radiomix study busi --out out/busi-study --force
echo "open the model in the browser (outline a lesion, get its prediction):"
echo "  .venv/bin/radiomix app out/busi-study"
