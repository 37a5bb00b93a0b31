from __future__ import annotations

import pytest

from radiomix.errors import ConfigError
from radiomix.extraction.settings import (
    ExtractionSettings,
    load_config,
    preset_names,
    settings_from_dict,
    settings_hash,
    settings_to_dict,
    settings_to_yaml,
)


def test_default_is_documented_general_purpose():
    s = load_config(None)
    assert s.resample.spacing is None
    assert s.discretisation.method == "fixed_bin_size"
    assert s.discretisation.bin_width == 25
    assert s.texture.spatial == ("3D",)
    assert len(s.features.families) == 11


def test_every_preset_loads_and_round_trips():
    names = preset_names()
    for expected in (
        "default",
        "ibsi1-phantom",
        "ibsi1-A",
        "ibsi1-B",
        "ibsi1-C",
        "ibsi1-D",
        "ibsi1-E",
    ):
        assert expected in names
    for name in names:
        s = load_config(name)
        assert s.name == name
        assert settings_from_dict(settings_to_dict(s)) == s


def test_ibsi_b_resamples_in_plane_only():
    s = load_config("ibsi1-B")
    assert s.resample.spacing == (None, 2.0, 2.0)
    assert s.resample.rounding == 1.0
    assert s.discretisation.bin_count == 32


@pytest.mark.parametrize(
    ("data", "closest"),
    [
        ({"resample": {"spacnig": [1, 1, 1]}}, "spacing"),
        ({"discretisaton": {}}, "discretisation"),
        ({"texture": {"distances": [1]}}, "distance"),
    ],
)
def test_unknown_key_names_closest(data, closest):
    with pytest.raises(ConfigError, match=f"did you mean '{closest}'"):
        settings_from_dict(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"resample": {"spacing": [1, 1]}}, "3 values"),
        ({"resample": {"interpolation": "quintic"}}, "interpolation"),
        ({"resegment": {"range": [400, -1000]}}, "above upper"),
        ({"discretisation": {"bin_count": 0}}, "bin_count"),
        ({"discretisation": {"bin_width": "wide"}}, "number"),
        ({"texture": {"spatial": ["4D"]}}, "spatial"),
        ({"features": {"families": ["glcmm"]}}, "did you mean 'glcm'"),
    ],
)
def test_bad_values_are_config_errors(data, message):
    with pytest.raises(ConfigError, match=message):
        settings_from_dict(data)


def test_unknown_preset_suggests(tmp_path):
    with pytest.raises(ConfigError, match="ibsi1-A"):
        load_config("ibsi1-a")


def test_yaml_file_with_extends(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("extends: ibsi1-C\ndiscretisation: {bin_width: 10}\n")
    s = load_config(cfg)
    assert s.resample.spacing == (2.0, 2.0, 2.0)
    assert s.discretisation.bin_width == 10.0
    assert settings_hash(s) != settings_hash(load_config("ibsi1-C"))


def test_yaml_output_parses_back(tmp_path):
    import yaml

    s = load_config("ibsi1-E")
    assert settings_from_dict(yaml.safe_load(settings_to_yaml(s))) == s


def test_settings_are_frozen():
    s = ExtractionSettings()
    with pytest.raises(AttributeError):
        s.name = "x"  # type: ignore[misc]
