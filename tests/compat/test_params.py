"""PyRadiomics parameter files -> settings: mapping, PyRadiomics' conventions, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from radiomix.compat import featureextractor
from radiomix.compat.params import load_params, settings_from_params
from radiomix.errors import ConfigError
from radiomix.extraction.settings import (
    ExtractionSettings,
    load_config,
    settings_hash,
    settings_to_dict,
)
from radiomix.features import all_features
from radiomix.features import pyradiomics_profile as prof
from radiomix.preprocess import bin_edges_pyradiomics, discretise


def test_yaml_file_maps_onto_the_profile(tmp_path: Path) -> None:
    p = tmp_path / "params.yaml"
    p.write_text(
        "setting:\n  binWidth: 10\n  voxelArrayShift: 1000\n  weightingNorm: manhattan\n"
        "  label: 3\n  distances: [1, 2]\n  force2D: true\n"
        "featureClass:\n  glcm: [Contrast, MCC]\n  shape:\n"
    )
    s = settings_from_params(p)
    assert s.profile == "pyradiomics"
    assert s.discretisation.method == "fixed_bin_size"
    assert s.discretisation.bin_width == 10.0
    py = s.pyradiomics
    assert py.voxel_array_shift == 1000.0
    assert py.weighting_norm == "manhattan"
    assert py.label == 3
    assert py.distances == (1, 2)
    assert py.force2d is True
    assert py.feature_classes == (("glcm", ("Contrast", "MCC")), ("shape", ()))
    # PyRadiomics' printed settings: its defaults, then the file's settings
    assert py.configuration.startswith("{'minimumROIDimensions': 2, 'minimumROISize': None")
    assert py.configuration.endswith("'voxelArrayShift': 1000, 'weightingNorm': 'manhattan'}")


def test_json_file_and_bincount(tmp_path: Path) -> None:
    p = tmp_path / "params.json"
    p.write_text(json.dumps({"setting": {"binCount": 32}}))
    s = settings_from_params(p)
    assert (s.discretisation.method, s.discretisation.bin_count) == ("fixed_bin_number", 32)


def test_profile_settings_round_trip_through_yaml_form() -> None:
    s = settings_from_params({"setting": {"binWidth": 5, "gldm_a": 1}})
    assert load_config(settings_to_dict(s)) == s


def test_ibsi_settings_form_and_hash_unchanged_by_profiles() -> None:
    d = settings_to_dict(ExtractionSettings())
    assert "profile" not in d and "pyradiomics" not in d
    assert settings_hash(ExtractionSettings()) == settings_hash(load_config(d))


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"setting": {"binWidht": 25}}, "binWidth"),  # typo -> closest valid name
        ({"settings": {}}, "setting"),
        ({"imageType": {"LoG": {"padDistance": 2}}}, "padDistance"),
        ({"imageType": {"Original": {"binWidth": -5}}}, "binWidth"),
        ({"imageType": {"Wavelet": {"force2D": "yes"}}}, "force2D"),
        ({"imageType": {"Wavelt": {}}}, "Wavelet"),
        ({"featureClass": {"glmc": None}}, "glcm"),
        ({"featureClass": {"glcm": ["Contrst"]}}, "Contrast"),
        ({"featureClass": {"glcm": ["SumVarianse"]}}, "SumVariance"),
        ({"featureClass": {"shape2D": ["Perimiter"]}}, "Perimeter"),
        ({"setting": {"resampledPixelSpacing": [2]}}, "resampledPixelSpacing"),
        ({"setting": {"interpolator": "sitkCubic"}}, "interpolator"),
        ({"setting": {"interpolator": 99}}, "interpolator"),
        ({"setting": {"interpolator": 3, "resampledPixelSpacing": [1, 1, 1]}}, "interpolator 3"),
        ({"setting": {"normalize": "yes"}}, "normalize"),
        ({"setting": {"normalizeScale": 0}}, "normalizeScale"),
        ({"setting": {"resegmentRange": [-3, 0, 3]}}, "resegmentRange"),
        ({"setting": {"resegmentRange": [1], "resegmentMode": "percent"}}, "resegmentMode"),
        ({"setting": {"removeOutliers": -3}}, "removeOutliers"),
        ({"setting": {"correctMask": 1}}, "correctMask"),
        ({"setting": {"symmetricalGLCM": "no"}}, "symmetricalGLCM"),
        ({"setting": {"geometryTolerance": 0}}, "geometryTolerance"),
        ({"setting": {"force2D": True, "force2Ddimension": 3}}, "force2Ddimension"),
        ({"setting": {"weightingNorm": "chebyshev"}}, "weightingNorm"),
        ({"setting": {"binWidth": -1}}, "binWidth"),
        ({"setting": {"distances": [0]}}, "distances"),
        ({"voxelSetting": {"kernelRadus": 1}}, "kernelRadius"),
    ],
)
def test_unsupported_or_invalid_is_an_error_naming_it(params: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        settings_from_params(params)


def test_settings_without_effect_are_accepted_as_in_pyradiomics() -> None:
    s = settings_from_params(
        {
            "setting": {"interpolator": "sitkBSpline", "padDistance": 10, "sigma": [1, 2]},
            "voxelSetting": {"kernelRadius": 2},
        }
    )
    assert s.profile == "pyradiomics"


def test_bin_edges_start_at_a_multiple_of_the_bin_width() -> None:
    # PyRadiomics: edges from min - (min mod w); IBSI would start at the minimum (-7)
    x = np.array([-7.0, 3.0, 18.0])
    edges = bin_edges_pyradiomics(x, 5.0, None)
    np.testing.assert_array_equal(edges, [-10, -5, 0, 5, 10, 15, 20, 25])
    levels, n_levels = discretise(x, "fixed_bin_size", bin_width=5.0, edges="pyradiomics")
    np.testing.assert_array_equal(levels, [1, 3, 6])
    assert n_levels == 6
    # the same intensities with IBSI's edges: bins from the minimum
    np.testing.assert_array_equal(discretise(x, "fixed_bin_size", bin_width=5.0)[0], [1, 3, 6])
    np.testing.assert_array_equal(
        discretise(np.array([-7.0, -3.0, 1.0]), "fixed_bin_size", bin_width=5.0)[0], [1, 1, 2]
    )
    np.testing.assert_array_equal(
        discretise(
            np.array([-7.0, -3.0, 1.0]), "fixed_bin_size", bin_width=5.0, edges="pyradiomics"
        )[0],
        [1, 2, 3],
    )
    flat = bin_edges_pyradiomics(np.array([4.0, 4.0]), 25.0, None)
    np.testing.assert_array_equal(flat, [0.0, 25.0, 50.0])
    # fixed bin count: numpy.histogram's edges, the last raised by 1 so the maximum is in
    np.testing.assert_array_equal(bin_edges_pyradiomics(np.array([0.0, 10.0]), None, 2), [0, 5, 11])
    # an intensity on an edge up to round-off: exact comparison with the edges (PyRadiomics)
    # against IBSI's edges up to round-off
    tenths = np.array([0.0, 0.3])
    assert discretise(tenths, "fixed_bin_size", bin_width=0.1, edges="pyradiomics")[0][1] == 3
    assert discretise(tenths, "fixed_bin_size", bin_width=0.1)[0][1] == 4


def test_kurtosis_is_not_excess_kurtosis() -> None:
    x = np.array([1.0] * 9 + [10.0])
    lv, _ = discretise(x, "fixed_bin_size", bin_width=1.0, edges="pyradiomics")
    res = prof._firstorder(x, lv, (1.0, 1.0, 1.0), 0.0, ["Kurtosis"])
    d = x - x.mean()
    assert res["Kurtosis"] == pytest.approx(np.mean(d**4) / np.mean(d**2) ** 2, rel=1e-12)
    assert res["Kurtosis"] > 3.0  # excess kurtosis would be this minus 3


def test_ibsi_codes_name_the_matching_engine_feature() -> None:
    engine = {s.ibsi_code: s for s in all_features()}
    for cls, specs in prof.FEATURES.items():
        for spec in specs:
            if spec.ibsi_code is None:
                assert spec.note, f"{cls} {spec.name} needs a note saying why it has no code"
            else:
                assert spec.ibsi_code in engine, (cls, spec.name, spec.ibsi_code)
            assert spec.doc, f"{cls} {spec.name} is undocumented"


def test_pyradiomics_feature_count_and_order() -> None:
    # 107 features of the seven 3D classes by default (+ 4 deprecated ones computed when
    # named); shape2D: 9 by default + SphericalDisproportion
    assert sum(len(prof.default_features(c)) for c in prof.FEATURES if c != "shape2D") == 107
    assert sum(len(prof.class_features(c)) for c in prof.FEATURES if c != "shape2D") == 111
    assert len(prof.default_features("shape2D")) == 9
    assert len(prof.class_features("shape2D")) == 10
    names = prof.default_features("firstorder")
    # inspect.getmembers order: getMeanAbsoluteDeviation... sorts before getMean...
    assert names.index("MeanAbsoluteDeviation") < names.index("Mean")


def test_extractor_api_mirrors_pyradiomics(tmp_path: Path) -> None:
    ext = featureextractor.RadiomicsFeatureExtractor(binWidth=10)
    # PyRadiomics' defaults filled in, the keyword arguments over them
    assert ext.settings["binWidth"] == 10
    assert ext.settings["interpolator"] == "sitkBSpline"
    assert ext.settings["padDistance"] == 5 and ext.settings["distances"] == [1]
    assert ext.settings["minimumROISize"] is None and ext.settings["label"] == 1
    assert len(ext.settings) == 16
    assert ext.featureClassNames[:2] == ["firstorder", "glcm"]
    ext.disableAllFeatures()
    ext.enableFeaturesByName(firstorder=["Mean", "Median"])
    with pytest.raises(ConfigError, match="LoG"):
        ext.enableImageTypeByName("LoG", customArgs={"label": 2})
    assert list(ext.enabledImagetypes) == ["Original"]
    ext.enableAllImageTypes()
    assert list(ext.enabledImagetypes)[:3] == ["Original", "LoG", "Wavelet"]
    ext.disableAllImageTypes()
    ext.enableImageTypeByName("Original")
    img = np.arange(4 * 5 * 6, dtype=np.float64).reshape(4, 5, 6)
    mask = np.zeros(img.shape, dtype=np.uint8)
    mask[1:3, 1:4, 2:5] = 1
    ext.addProvenance(False)
    res = ext.execute(img, mask)
    assert list(res) == ["original_firstorder_Mean", "original_firstorder_Median"]
    assert res["original_firstorder_Mean"] == pytest.approx(float(img[mask == 1].mean()))
    vox = ext.execute(img, mask, voxelBased=True)  # maps on the ROI box + kernelRadius 1
    assert list(vox) == ["original_firstorder_Mean", "original_firstorder_Median"]
    mean_map = sitk.GetArrayFromImage(vox["original_firstorder_Mean"])
    assert mean_map.shape == (4, 5, 5)
    assert mean_map[1, 2, 2] == pytest.approx(float(img[1:3, 1:4, 2:5].mean()))
    assert mean_map[0, 0, 0] == 0.0  # initValue outside the ROI
    assert load_params({}).image_types == {"Original": {}}


def test_what_pyradiomics_accepts_is_accepted(caplog: pytest.LogCaptureFixture) -> None:
    # initValue as YAML gives 'nan' (PyRadiomics' exampleVoxel.yaml), SimpleITK 2's number of
    # sitkBSpline (interpolator=sitk.sitkBSpline in Python), enableCExtensions (no effect)
    s = settings_from_params(
        {
            "setting": {
                "interpolator": 23,
                "resampledPixelSpacing": [2, 2, 2],
                "enableCExtensions": False,
            },
            "voxelSetting": {"initValue": "nan"},
        }
    )
    assert s.pyradiomics.interpolator == "sitkBSpline"
    with caplog.at_level("WARNING", logger="radiomix.compat"):
        p = load_params(
            {
                "featureClass": {
                    "shape": ["Compactness1", "Sphericity"],
                    "glcm": ["SumVariance", "Contrast"],
                    "gldm": ["DependencePercentage"],
                }
            }
        )
    # computed when named (PyRadiomics' getters return them), or left out (its getters
    # raise), each with PyRadiomics' warning
    assert p.feature_classes == {"shape": ["Compactness1", "Sphericity"], "glcm": ["Contrast"]}
    assert [r.getMessage() for r in caplog.records] == [
        f"Feature {n} is deprecated, use with caution!"
        for n in ("Compactness1", "SumVariance", "DependencePercentage")
    ]


def test_deprecated_shape_features_are_the_engine_formulas() -> None:
    mask = np.zeros((6, 7, 8), bool)
    mask[1:5, 2:6, 2:7] = True
    res = {
        v.spec.name: v.value
        for v in prof.compute_class(
            "shape",
            values=np.ones(int(mask.sum())),
            levels=None,
            mask=mask,
            spacing=(2.0, 0.7, 0.7),
            options=prof.PyradiomicsTextureOptions(),
            names=["Compactness1", "Compactness2", "SphericalDisproportion", "MeshVolume"],
        )
    }
    v = res["MeshVolume"]
    area = (36 * np.pi * v**2) ** (1 / 3) * res["SphericalDisproportion"]
    assert res["Compactness1"] == pytest.approx(v / (np.sqrt(np.pi) * area**1.5), rel=1e-12)
    assert res["Compactness2"] == pytest.approx(36 * np.pi * v**2 / area**3, rel=1e-12)
    assert "Compactness1" not in prof.default_features("shape")
