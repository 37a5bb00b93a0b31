"""Run PyRadiomics 3.0.1 on cases and print its feature vectors as JSON (one line per case).

Runs inside the PyRadiomics environment (benchmarks/.venv-pyradiomics, see
setup_pyradiomics.sh); used by make_pyradiomics_fixtures.py, compare_pyradiomics.py and
the live test in tests/compat. Usage:

    python pyradiomics_reference.py PARAMS.yaml IMAGE MASK [LABEL] [IMAGE MASK [LABEL] ...]

Values are floats where PyRadiomics gives numbers, text otherwise (diagnostics).
"""

import json
import logging
import sys
import time

import numpy as np
from radiomics import featureextractor

logging.getLogger("radiomics").setLevel(logging.ERROR)


def _plain(v):
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
    if isinstance(v, (np.floating, np.integer)):
        v = v.item()
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    return str(v)


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (VmHWM; Linux), in MiB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def rss_mib() -> float:
    """Resident memory of this process now (VmRSS; Linux), in MiB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    import_rss = rss_mib()
    params, rest = sys.argv[1], sys.argv[2:]
    cases = []
    k = 0
    while k < len(rest):
        image, mask = rest[k], rest[k + 1]
        k += 2
        label = None
        if k < len(rest) and rest[k].isdigit():
            label = int(rest[k])
            k += 1
        cases.append((image, mask, label))
    ext = featureextractor.RadiomicsFeatureExtractor(params)
    for image, mask, label in cases:
        # timed as radiomix's runner is: no tracemalloc (it slows allocation-heavy code
        # about twice), the peak is the process's own high-water mark
        t0 = time.perf_counter()
        res = ext.execute(image, mask, label=label)
        wall = time.perf_counter() - t0
        out = {
            "features": {k: _plain(v) for k, v in res.items()},
            "seconds": wall,
            "peak_rss_mib": peak_rss_mib(),
            "import_rss_mib": import_rss,
        }
        print(json.dumps(out))


if __name__ == "__main__":
    main()
