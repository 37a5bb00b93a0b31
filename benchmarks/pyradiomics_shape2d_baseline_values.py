"""PyRadiomics 3.0.1's own shape2D values for the baseline_shape2D.csv columns.

Runs inside the PyRadiomics environment (benchmarks/.venv-pyradiomics):

    benchmarks/.venv-pyradiomics/bin/python benchmarks/pyradiomics_shape2d_baseline_values.py OUT.json

Each column ``<case>_shape2D`` of ../shared/data/pyradiomics-cases/baseline/baseline_shape2D.csv
was made from ``<case>_image.nrrd`` and the one-slice label ``derived_label_2D/<case>_label_2D.nrrd``
with the settings of its ``diagnostics_Configuration_Settings`` row (force2D, correctMask). This
runs PyRadiomics 3.0.1 with exactly those settings and the shape2D class only, and writes
``{"shape2D/<column>/<feature>": value}`` (tests/compat/test_pyradiomics_shape2d.py reads it, as
tests/data/pyradiomics_compat/pyradiomics301_shape2d_values.json).
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


def main() -> None:
    with open(DATA / "baseline" / "baseline_shape2D.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    table = {r[0]: r[1:] for r in rows[1:]}
    out = {}
    for k, col in enumerate(rows[0][1:]):
        case = col.split("_")[0]
        settings = ast.literal_eval(table["diagnostics_Configuration_Settings"][k])
        ext = featureextractor.RadiomicsFeatureExtractor({"setting": settings})
        ext.disableAllFeatures()
        ext.enableFeatureClassByName("shape2D")
        res = ext.execute(
            str(DATA / f"{case}_image.nrrd"),
            str(DATA / "derived_label_2D" / f"{case}_label_2D.nrrd"),
        )
        for key, v in res.items():
            if key.startswith("original_"):
                out[f"shape2D/{col}/{key.split('_', 2)[2]}"] = float(v)
    Path(sys.argv[1]).write_text(json.dumps(out, indent=0, sort_keys=True))
    print(f"{len(out)} values")


if __name__ == "__main__":
    main()
