"""The drop-in's feature classes and module functions: ``import radiomix.compat as
radiomics`` and ``from radiomix.compat import glcm`` give PyRadiomics 3.0.1's API over the
engine. Values are PyRadiomics' own (the fixtures of ``tests/data/pyradiomics_compat``,
made with PyRadiomics 3.0.1's extractor on the same files and settings)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any, Self

import numpy as np
import pytest
import SimpleITK as sitk

import radiomix.compat as radiomics
from radiomix.compat import firstorder, glcm, gldm, glrlm, glszm, ngtdm, shape
from radiomix.errors import ConfigError

DATA = Path(__file__).resolve().parents[1] / "data" / "pyradiomics_compat"
EXPECTED: dict[str, dict[str, dict[str, Any]]] = json.loads(
    (DATA / "expected.json").read_text(encoding="utf-8")
)
CLASSES = {
    "firstorder": firstorder.RadiomicsFirstOrder,
    "glcm": glcm.RadiomicsGLCM,
    "gldm": gldm.RadiomicsGLDM,
    "glrlm": glrlm.RadiomicsGLRLM,
    "glszm": glszm.RadiomicsGLSZM,
    "ngtdm": ngtdm.RadiomicsNGTDM,
    "shape": shape.RadiomicsShape,
}


def _close(got: float, want: float) -> bool:
    return abs(got - want) <= max(1e-9, 1e-6 * abs(want))


def _case(case: str) -> tuple[sitk.Image, sitk.Image]:
    return (
        sitk.ReadImage(str(DATA / f"{case}_image.nrrd")),
        sitk.ReadImage(str(DATA / f"{case}_label.nrrd")),
    )


@pytest.mark.parametrize("case", ["ct_a", "mr_b", "ct_c"])
@pytest.mark.parametrize(
    ("column", "settings"),
    [
        ("default", {"binWidth": 25, "label": 1}),
        ("bincount_weighted", {"binCount": 16, "weightingNorm": "euclidean", "label": 1}),
    ],
)
def test_feature_classes_give_pyradiomics_values(case: str, column: str, settings: dict) -> None:
    image, mask = _case(case)
    want = EXPECTED[column][case]
    checked = 0
    for cls, klass in CLASSES.items():
        keys = [k for k in want if k.startswith(f"original_{cls}_")]
        if not keys:
            continue
        features = klass(image, mask, **settings)
        features.enableAllFeatures()
        got = features.execute()
        assert [f"original_{cls}_{k}" for k in got] == keys
        for k in keys:
            value = got[k.split("_", 2)[2]]
            assert isinstance(value, np.ndarray) and value.shape == ()
            assert _close(float(value), float(want[k])), (k, float(value), want[k])
            checked += 1
    assert checked >= 50


def test_one_feature_by_its_getter_and_by_name() -> None:
    image, mask = _case("ct_a")
    want = EXPECTED["default"]["ct_a"]
    fo = firstorder.RadiomicsFirstOrder(image, mask, binWidth=25)
    mean = fo.getMeanFeatureValue()
    assert mean.shape == (1,) and _close(float(mean[0]), want["original_firstorder_Mean"])
    g = glcm.RadiomicsGLCM(image, mask, binWidth=25)
    g.enableFeatureByName("Contrast")
    assert list(g.execute()) == ["Contrast"]
    assert _close(float(g.featureValues["Contrast"]), want["original_glcm_Contrast"])
    assert g.coefficients["Ng"] >= 1
    assert shape.RadiomicsShape(image, mask).getMeshVolumeFeatureValue() == pytest.approx(
        want["original_shape_MeshVolume"], rel=1e-6
    )


def test_feature_names_and_deprecated_features(caplog: pytest.LogCaptureFixture) -> None:
    names = glcm.RadiomicsGLCM.getFeatureNames()
    assert names["SumVariance"] is True and names["Contrast"] is False
    assert list(names) == sorted(names, key=lambda n: f"get{n}FeatureValue")
    image, mask = _case("ct_a")
    g = glcm.RadiomicsGLCM(image, mask)
    with caplog.at_level(logging.WARNING, logger="radiomix.compat"):
        g.enableFeatureByName("SumVariance")
    assert "Feature SumVariance is deprecated, use with caution!" in caplog.text
    assert g.execute() == {}  # PyRadiomics' getter raises: no value
    with pytest.raises(DeprecationWarning):
        g.getSumVarianceFeatureValue()
    with pytest.raises(LookupError, match="Feature not found: Contrst"):
        g.enableFeatureByName("Contrst")
    s = shape.RadiomicsShape(image, mask)
    s.enableFeatureByName("Compactness1")  # computed, as PyRadiomics computes it
    assert float(s.execute()["Compactness1"]) > 0
    with pytest.raises(AttributeError):
        g.getNoSuchFeatureValue()
    with pytest.raises(ConfigError, match="voxelBased=True"):
        glcm.RadiomicsGLCM(image, mask, voxelBased=True)
    with pytest.raises(ValueError, match="Missing input image or mask"):
        glcm.RadiomicsGLCM(None, mask)


def test_module_functions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    classes = radiomics.getFeatureClasses()
    assert list(classes) == [
        "firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm", "shape", "shape2D",
    ]  # fmt: skip
    assert classes["glcm"] is glcm.RadiomicsGLCM
    assert classes["shape2D"].__name__ == "RadiomicsShape2D"
    assert radiomics.getImageTypes() == [
        "Exponential", "Gradient", "LBP2D", "LBP3D", "LoG", "Logarithm", "Original", "Square",
        "SquareRoot", "Wavelet",
    ]  # fmt: skip
    assert radiomics.featureextractor.RadiomicsFeatureExtractor is not None
    # test cases from a local folder only
    for name in ("brain1_image.nrrd", "brain1_label.nrrd", "brain1_label_2D.nrrd"):
        (tmp_path / name).write_bytes(b"")
    assert radiomics.getTestCase("brain1", str(tmp_path)) == (
        str(tmp_path / "brain1_image.nrrd"),
        str(tmp_path / "brain1_label.nrrd"),
    )
    assert radiomics.getTestCase("brain1_2D", tmp_path)[1] == str(tmp_path / "brain1_label_2D.nrrd")
    monkeypatch.setenv(radiomics.TEST_DATA_ENV, str(tmp_path))
    assert radiomics.getTestCase("brain1")[0] == str(tmp_path / "brain1_image.nrrd")
    assert radiomics.getTestCase("lung2", tmp_path / "nowhere") == (None, None)
    with pytest.raises(ValueError, match="not recognized"):
        radiomics.getTestCase("brain9")


def test_verbosity_and_progress_reporter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(radiomics.handler, "level", radiomics.handler.level)
    monkeypatch.setattr(radiomics.logger, "level", radiomics.logger.level)
    radiomics.setVerbosity(60)
    assert radiomics.handler.level == 60
    with radiomics.getProgressReporter([1, 2, 3], desc="x") as bar:
        assert list(bar) == [1, 2, 3]  # no reporter set: iterates, reports nothing
    seen: list[str] = []

    class Bar:
        def __init__(self, iterable: Any = None, desc: str = "", total: Any = None) -> None:
            seen.append(desc)
            self.iterable = iterable

        def __iter__(self) -> Any:
            return iter(self.iterable)

        def __enter__(self) -> Self:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(radiomics, "progressReporter", Bar)
    radiomics.getProgressReporter([1], desc="quiet")  # handler above INFO: no bar
    radiomics.setVerbosity(20)
    assert radiomics.logger.level <= 20
    radiomics.getProgressReporter([1], desc="shown")
    assert seen == ["shown"]
    radiomics.setVerbosity(5)  # below DEBUG: clamped
    assert radiomics.handler.level == 10


def test_importing_the_drop_in_loads_no_simpleitk_scipy_or_numba() -> None:
    code = (
        "import sys\n"
        "import radiomix.compat as radiomics\n"
        "from radiomix.compat import glcm, shape, firstorder\n"
        "radiomics.getFeatureClasses()\n"
        "print(sorted(m for m in ('SimpleITK', 'scipy', 'numba') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_extractor_steps_give_its_execute_values() -> None:
    # PyRadiomics' execute() in steps, as scripts call them: loadImage, checkMask,
    # computeShape on the bounding box, computeFeatures on the image
    from radiomix.compat import featureextractor, imageoperations

    ext = featureextractor.RadiomicsFeatureExtractor(binWidth=25, label=1)
    image, mask = ext.loadImage(
        str(DATA / "ct_a_image.nrrd"), str(DATA / "ct_a_label.nrrd"), None, **ext.settings
    )
    assert isinstance(image, sitk.Image) and isinstance(mask, sitk.Image)
    box, corrected = imageoperations.checkMask(image, mask, **ext.settings)
    assert box is not None and corrected is None
    got = {
        **ext.computeShape(image, mask, box, **ext.settings),
        **ext.computeFeatures(image, mask, "original", **ext.settings),
    }
    want = {k: v for k, v in EXPECTED["default"]["ct_a"].items() if not k.startswith("diag")}
    assert sorted(got) == sorted(want)
    for k, v in want.items():
        assert _close(float(got[k]), float(v)), (k, float(got[k]), v)
    executed = ext.execute(str(DATA / "ct_a_image.nrrd"), str(DATA / "ct_a_label.nrrd"))
    for k in want:
        assert float(executed[k]) == pytest.approx(float(got[k]), rel=1e-12, abs=1e-12)


def test_extractor_steps_honour_the_enabled_features() -> None:
    from radiomix.compat import featureextractor, imageoperations

    ext = featureextractor.RadiomicsFeatureExtractor()
    ext.disableAllFeatures()
    ext.enableFeaturesByName(firstorder=["Mean"], shape=["VoxelVolume"], shape2D=[])
    image, mask = _case("ct_a")
    box, _ = imageoperations.checkMask(image, mask)
    assert list(ext.computeFeatures(image, mask, "original")) == ["original_firstorder_Mean"]
    # shape2D on a 3D mask wants force2D, as in PyRadiomics
    assert list(ext.computeShape(image, mask, box)) == ["original_shape_VoxelVolume"]
    with pytest.raises(ValueError, match="Error reading image"):
        ext.loadImage("no/such/file.nrrd", str(DATA / "ct_a_label.nrrd"))
