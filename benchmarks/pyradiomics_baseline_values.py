"""PyRadiomics 3.0.1's own values for the baseline columns of ../shared/data/pyradiomics-cases.

Runs inside the PyRadiomics environment (benchmarks/.venv-pyradiomics):

    benchmarks/.venv-pyradiomics/bin/python benchmarks/pyradiomics_baseline_values.py OUT.json

For every column of baseline/baseline_<class>.csv whose settings (row
``diagnostics_Configuration_Settings``) radiomix's pyradiomics profile supports, it runs
PyRadiomics 3.0.1 with exactly those settings on that case and writes
``{"<class>/<column>/<feature>": value}``. tests/compat/test_pyradiomics_baselines.py reads it
to know where PyRadiomics 3.0.1 itself reproduces the (older) baseline values, and to check
radiomix against 3.0.1 on the real cases without PyRadiomics installed.
"""

import ast
import csv
import json
import logging
import sys
from pathlib import Path

from radiomics import featureextractor

logging.getLogger("radiomics").setLevel(logging.ERROR)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "pyradiomics-cases"
CLASSES = ["firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm", "shape"]
#: column suffixes of configurations radiomix does not support yet (see
#: docs/dev/issue-4-pyradiomics.md); every baseline configuration is supported now
#: (normalization, resegmentation and flatRegion since normalize / resegmentRange)
UNSUPPORTED: tuple[str, ...] = ()


def main() -> None:
    out = {}
    for cls in CLASSES:
        with open(DATA / "baseline" / f"baseline_{cls}.csv", newline="") as fh:
            rows = list(csv.reader(fh))
        header = rows[0]
        table = {r[0]: r[1:] for r in rows[1:]}
        for k, col in enumerate(header[1:]):
            if any(col.endswith("_" + u) for u in UNSUPPORTED):
                continue
            case = col.split("_")[0]
            settings = ast.literal_eval(table["diagnostics_Configuration_Settings"][k])
            ext = featureextractor.RadiomicsFeatureExtractor({"setting": settings})
            ext.disableAllFeatures()
            ext.enableFeatureClassByName(cls)
            res = ext.execute(str(DATA / f"{case}_image.nrrd"), str(DATA / f"{case}_label.nrrd"))
            for key, v in res.items():
                if key.startswith("original_"):
                    out[f"{cls}/{col}/{key.split('_', 2)[2]}"] = float(v)
    Path(sys.argv[1]).write_text(json.dumps(out, indent=0, sort_keys=True))
    print(f"{len(out)} values")


if __name__ == "__main__":
    main()
