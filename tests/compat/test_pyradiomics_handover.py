"""The pyradiomics profile frees a case's whole image once it is no longer needed.

``extract_results`` hands the last ROI's image and mask over to the profile
(``profile_pyradiomics.Handover``): once the ROI's box is cut and every image type's maps
are made, nothing refers to the whole image, so the texture classes run without it (the
memory a large CT keeps at the peak). Earlier ROIs of a label list still see the image,
and every ROI's values are those of a run of that label alone.
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from radiomix.compat.params import load_params, params_to_settings
from radiomix.extraction import api
from radiomix.extraction.profile_pyradiomics import THREADS_ENV, Handover
from radiomix.features import pyradiomics_profile as prof
from radiomix.io import Volume

DATA = Path(__file__).resolve().parents[1] / "data" / "pyradiomics_compat"
IMAGE = str(DATA / "ct_a_image.nrrd")
MASK = str(DATA / "ct_a_label.nrrd")


def _settings(**image_types: dict[str, Any]) -> Any:
    params = {"imageType": image_types, "setting": {"binWidth": 25}}
    return params_to_settings(load_params(params))


def _watch(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """(class, whether the image read by ``extract_results`` was still alive) per class."""
    refs: list[weakref.ref[np.ndarray]] = []
    seen: list[tuple[str, bool]] = []
    read = api.read_image
    compute = prof.compute_class

    def read_image(*args: Any, **kwargs: Any) -> Volume:
        vol = read(*args, **kwargs)
        refs.append(weakref.ref(vol.array))
        return vol

    def compute_class(cls: str, **kwargs: Any) -> Any:
        seen.append((cls, refs[0]() is not None))
        return compute(cls, **kwargs)

    monkeypatch.setattr(api, "read_image", read_image)
    monkeypatch.setattr(prof, "compute_class", compute_class)
    return seen


@pytest.mark.parametrize(
    "image_types",
    [{"Original": {}}, {"Original": {}, "LoG": {"sigma": [1.0, 2.0]}}],
    ids=["original", "original+log"],
)
def test_whole_image_is_freed_before_the_texture_classes(
    image_types: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(THREADS_ENV, "1")  # in order: shape, maps, then the classes
    seen = _watch(monkeypatch)
    (result,) = api.extract_results(IMAGE, MASK, _settings(**image_types), label=1)
    textures = [alive for cls, alive in seen if not cls.startswith("shape")]
    assert len(textures) == 6 * (1 + len(image_types.get("LoG", {}).get("sigma", [])))
    assert not any(textures)  # the whole image was gone for every texture class
    assert result.diagnostics["Image-original_Hash"]  # diagnostics saw the whole image
    assert any(rec.family == "glcm" for rec in result.features)


def test_label_list_keeps_the_image_for_earlier_rois_and_values_agree(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(THREADS_ENV, "1")
    settings = _settings(Original={}, LoG={"sigma": [1.0]})
    both = api.extract_results(IMAGE, MASK, settings, label=[1, 2])
    assert [r.roi for r in both] == ["1", "2"]
    for r in both:
        (alone,) = api.extract_results(IMAGE, MASK, settings, label=int(r.roi))
        got = {(f.image_type, f.family, f.value.feature_name): f.value.value for f in r.features}
        ref = {
            (f.image_type, f.family, f.value.feature_name): f.value.value for f in alone.features
        }
        assert got.keys() == ref.keys()
        for key, value in ref.items():
            assert got[key] == value or (np.isnan(got[key]) and np.isnan(value)), key
    # (label 2's ROI is another ROI: its values differ from label 1's)
    assert both[0].features[0].value.value != both[1].features[0].value.value


def test_handover_gives_its_arrays_once() -> None:
    vol = Volume(np.zeros((2, 2, 2), dtype=np.int16), spacing=(1.0, 1.0, 1.0))
    case = Handover(vol, vol)
    assert case.take() == (vol, vol)
    assert case.image is None and case.mask is None
    with pytest.raises(RuntimeError, match="taken already"):
        case.take()
