"""Every public name of PyRadiomics 3.0.1's modules is in ``radiomix.compat``, or listed in
docs/pyradiomics-profile.md with the reason it is not.

The lists below are PyRadiomics 3.0.1's public names (standard-library and third-party
modules it imports left out); where PyRadiomics' environment exists
(benchmarks/.venv-pyradiomics, as in CI) the test reads them from PyRadiomics itself too, so
the lists cannot drift. ``imageoperations`` has its own signature test
(tests/compat/test_imageoperations.py).
"""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
from pathlib import Path

import pytest

import radiomix.compat as radiomics

ROOT = Path(__file__).resolve().parents[2]
PYRADIOMICS_PYTHON = ROOT / "benchmarks" / ".venv-pyradiomics" / "bin" / "python"
DOCS = ROOT / "docs" / "pyradiomics-profile.md"

PACKAGE = [
    "base",
    "cMatrices",
    "cShape",
    "debugging",
    "deprecated",
    "featureextractor",
    "firstorder",
    "formatter",
    "generalinfo",
    "getFeatureClasses",
    "getImageTypes",
    "getParameterValidationFiles",
    "getProgressReporter",
    "getTestCase",
    "glcm",
    "gldm",
    "glrlm",
    "glszm",
    "handler",
    "imageoperations",
    "logger",
    "ngtdm",
    "progressReporter",
    "scripts",
    "setVerbosity",
    "shape",
    "shape2D",
    "testCases",
]
EXTRACTOR_MODULE = [
    "RadiomicsFeatureExtractor",
    "geometryTolerance",
    "getFeatureClasses",
    "getImageTypes",
    "imageoperations",
    "logger",
]
EXTRACTOR = [
    "addProvenance",
    "computeFeatures",
    "computeShape",
    "disableAllFeatures",
    "disableAllImageTypes",
    "enableAllFeatures",
    "enableAllImageTypes",
    "enableFeatureClassByName",
    "enableFeaturesByName",
    "enableImageTypeByName",
    "enableImageTypes",
    "execute",
    "loadImage",
    "loadJSONParams",
    "loadParams",
]
FEATURE_CLASS = [
    "disableAllFeatures",
    "enableAllFeatures",
    "enableFeatureByName",
    "execute",
    "getFeatureNames",
]
CLASSES = {
    "firstorder": "RadiomicsFirstOrder",
    "glcm": "RadiomicsGLCM",
    "gldm": "RadiomicsGLDM",
    "glrlm": "RadiomicsGLRLM",
    "glszm": "RadiomicsGLSZM",
    "ngtdm": "RadiomicsNGTDM",
    "shape": "RadiomicsShape",
    "shape2D": "RadiomicsShape2D",
}
#: names left out on purpose; each is named in the docs with the reason
NOT_PROVIDED = {"cMatrices", "cShape", "generalinfo", "getParameterValidationFiles", "scripts"}


def test_every_public_name_is_there_or_documented_as_left_out() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for name in PACKAGE:
        if name in NOT_PROVIDED:
            assert not hasattr(radiomics, name)
            assert f"`{name}`" in docs, f"{name}: left out, but the docs do not say why"
        else:
            assert hasattr(radiomics, name), name
    fe = importlib.import_module("radiomix.compat.featureextractor")
    for name in EXTRACTOR_MODULE:
        assert hasattr(fe, name), name
    for name in EXTRACTOR:
        assert callable(getattr(fe.RadiomicsFeatureExtractor, name)), name
    base = importlib.import_module("radiomix.compat.base")
    for module, cls in CLASSES.items():
        klass = getattr(importlib.import_module(f"radiomix.compat.{module}"), cls)
        assert issubclass(klass, base.RadiomicsFeaturesBase)
        for name in FEATURE_CLASS:
            assert callable(getattr(klass, name)), (cls, name)
        assert list(inspect.signature(klass).parameters) == ["inputImage", "inputMask", "kwargs"]


def test_module_state_as_pyradiomics_sets_it() -> None:
    assert radiomics.debugging is True
    assert radiomics.handler.formatter is radiomics.formatter
    assert radiomics.formatter._fmt == "%(message)s"
    fe = importlib.import_module("radiomix.compat.featureextractor")
    assert fe.getFeatureClasses is radiomics.getFeatureClasses
    fe.RadiomicsFeatureExtractor(geometryTolerance=1e-4)
    assert fe.geometryTolerance == 1e-4
    import SimpleITK as sitk

    try:
        assert sitk.ProcessObject.GetGlobalDefaultCoordinateTolerance() == 1e-4
    finally:
        sitk.ProcessObject.SetGlobalDefaultCoordinateTolerance(1e-6)
        sitk.ProcessObject.SetGlobalDefaultDirectionTolerance(1e-6)


_DUMP = """
import inspect, json, types, radiomics
from radiomics import featureextractor, base
def public(obj):
    return sorted(n for n, v in vars(obj).items() if not n.startswith("_")
                  and not (isinstance(v, types.ModuleType) and not v.__name__.startswith("radiomics")))
mods = {m: __import__("radiomics." + m, fromlist=["x"]) for m in %r}
print(json.dumps({
    "package": [n for n in public(radiomics) if n not in ("numpy",)],
    "extractor_module": public(featureextractor),
    "extractor": sorted(n for n in dir(featureextractor.RadiomicsFeatureExtractor) if not n.startswith("_")),
    "feature_class": sorted(n for n in dir(base.RadiomicsFeaturesBase) if not n.startswith("_")),
    "classes": {m: [n for n in dir(mod) if n.startswith("Radiomics")] for m, mod in mods.items()},
}))
"""


@pytest.mark.skipif(not PYRADIOMICS_PYTHON.exists(), reason="needs benchmarks/.venv-pyradiomics")
def test_the_lists_are_pyradiomics_own() -> None:
    out = subprocess.run(
        [str(PYRADIOMICS_PYTHON), "-c", _DUMP % list(CLASSES)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    # PyRadiomics' own package names, less what it imports from elsewhere
    assert set(PACKAGE) <= set(got["package"])
    extra = set(got["package"]) - set(PACKAGE)
    assert extra <= {
        "collections",
        "inspect",
        "logging",
        "os",
        "pkgutil",
        "sys",
        "tempfile",
        "urllib",
    }
    assert set(EXTRACTOR_MODULE) <= set(got["extractor_module"])
    assert sorted(EXTRACTOR) == got["extractor"]
    assert sorted(FEATURE_CLASS) == got["feature_class"]
    for module, cls in CLASSES.items():
        assert cls in got["classes"][module]
