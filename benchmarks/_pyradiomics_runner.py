"""Run PyRadiomics one feature class at a time and print seconds and peak memory as JSON.

Runs inside the PyRadiomics environment (benchmarks/.venv-pyradiomics), called by
bench_families.py:  python _pyradiomics_runner.py IMAGE MASK BIN_WIDTH [RESAMPLE_MM]
"""

import json
import logging
import sys
import time
import tracemalloc

import SimpleITK as sitk
from radiomics import featureextractor

logging.getLogger("radiomics").setLevel(logging.ERROR)

CLASSES = ["shape", "firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"]


def main() -> None:
    image, mask, bin_width = sys.argv[1], sys.argv[2], float(sys.argv[3])
    resample = float(sys.argv[4]) if len(sys.argv) > 4 else None
    img, msk = sitk.ReadImage(image), sitk.ReadImage(mask)
    out = {}
    for cls in ["baseline", *CLASSES]:
        settings = {"binWidth": bin_width, "label": 1}
        if resample:
            settings["resampledPixelSpacing"] = [resample] * 3
            settings["interpolator"] = "sitkLinear"
        ext = featureextractor.RadiomicsFeatureExtractor(**settings)
        ext.disableAllFeatures()
        if cls != "baseline":  # baseline: loading checks and cropping, no feature
            ext.enableFeatureClassByName(cls)
        tracemalloc.start()
        t0 = time.perf_counter()
        ext.execute(img, msk)
        out[cls] = [time.perf_counter() - t0, tracemalloc.get_traced_memory()[1] / 2**20]
        tracemalloc.stop()
    ext = featureextractor.RadiomicsFeatureExtractor(**settings)
    ext.disableAllFeatures()
    for cls in CLASSES:
        ext.enableFeatureClassByName(cls)
    tracemalloc.start()
    t0 = time.perf_counter()
    ext.execute(img, msk)
    out["all"] = [time.perf_counter() - t0, tracemalloc.get_traced_memory()[1] / 2**20]
    tracemalloc.stop()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
