"""Features of filtered images through the extraction pipeline, and ``radiomix filter``.

The pipeline filters only the ROI's bounding box plus what the kernels reach; every test
here recomputes the expected values from the *whole* (interpolated) image filtered with the
public filter functions, so the crop logic is checked end to end, including ROIs at the
image border, periodic boundaries and filters that need the whole image.
"""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from radiomix.cli.main import main
from radiomix.errors import ConfigError
from radiomix.extraction.api import extract
from radiomix.extraction.settings import settings_from_dict
from radiomix.filters.laws import laws_filter
from radiomix.filters.log import log_filter
from radiomix.filters.mean import mean_filter
from radiomix.filters.wavelet import simoncelli_response, wavelet_response
from radiomix.io import Volume
from radiomix.preprocess import discretise_fixed_bin_number, resample_image, resample_mask

SPACING = (2.0, 0.8, 0.8)


def _case(border: bool = False):
    rng = np.random.default_rng(5)  # any image will do
    image = rng.normal(40.0, 25.0, (16, 40, 44)).round()
    mask = np.zeros(image.shape, dtype=bool)
    if border:  # touches the first z slice and the last x column
        mask[0:5, 10:22, 30:44] = True
    else:
        mask[6:11, 14:26, 15:29] = True
    return image, mask


def _stat(table, image_type: str, feature: str = "mean") -> float:
    return float(table[f"{image_type}_statistics_{feature}"].iloc[0])


@pytest.mark.parametrize("border", [False, True])
@pytest.mark.parametrize(
    ("entry", "whole"),
    [
        ({"filter": "log", "sigma": 1.6, "boundary": "wrap"},
         lambda x: log_filter(x, SPACING, sigma=1.6, boundary="wrap")),
        ({"filter": "mean", "support": 5, "spatial": "2D", "boundary": "nearest"},
         lambda x: mean_filter(x, support=5, spatial="2D", boundary="nearest")),
        ({"filter": "laws", "kernel": "E5L5S5", "rotation_invariant": True, "energy": True,
          "delta": 3, "boundary": "wrap"},
         lambda x: laws_filter(x, kernel="E5L5S5", rotation_invariant=True, energy=True,
                               delta=3, boundary="wrap")),
        ({"filter": "wavelet", "wavelet": "db2", "subband": "LHH", "level": 2},
         lambda x: wavelet_response(x, wavelet="db2", subband="LHH", level=2)),
        ({"filter": "simoncelli", "level": 2},
         lambda x: simoncelli_response(x, level=2)),
    ],
)  # fmt: skip
def test_response_statistics_equal_whole_image_filtering(entry, whole, border):
    image, mask = _case(border)
    config = {
        "resegment": {"range": [0, 90]},  # on the original intensities (IBSI 2)
        "features": {"original": False},
        "filters": [entry],
        "response_maps": {"families": ["statistics"]},
    }
    table = extract(image, mask, config=config, spacing=SPACING)
    roi = mask & (image >= 0) & (image <= 90)
    expected = whole(image)[roi]
    (image_type,) = {c.split("_statistics_")[0] for c in table.columns if "_statistics_" in c}
    assert _stat(table, image_type, "mean") == pytest.approx(expected.mean(), rel=1e-10)
    assert _stat(table, image_type, "max") == pytest.approx(expected.max(), rel=1e-10)
    assert not any(c.startswith("original_") for c in table.columns)


def test_filter_window_covers_the_final_crop_of_an_anisotropic_grid():
    """Thick slices (6.5 mm, 0.78 mm in-plane, as MR brain series): the final crop's
    margin (local intensity plus the coarsest voxel) reaches further in-plane than the
    interpolation margin; the filters' window still covers it."""
    sp = (6.5, 0.78, 0.78)
    image = np.random.default_rng(5).normal(40.0, 25.0, (12, 90, 90)).round()
    mask = np.zeros(image.shape, dtype=bool)
    mask[4:8, 35:55, 38:52] = True
    config = {
        "features": {"original": False},
        "filters": [{"filter": "log", "sigma": 3.0}],
        "response_maps": {"families": ["statistics"]},
    }
    table = extract(image, mask, config=config, spacing=sp)
    expected = log_filter(image, sp, sigma=3.0)[mask]
    assert _stat(table, "log_s3mm") == pytest.approx(expected.mean(), rel=1e-10)
    assert _stat(table, "log_s3mm", "min") == pytest.approx(expected.min(), rel=1e-10)


def test_filtering_after_interpolation_uses_the_whole_interpolated_image():
    image, mask = _case(border=True)
    config = {
        "resample": {"spacing": [1.5, 1.5, 1.5], "interpolation": "linear"},
        "filters": [{"filter": "log", "sigma": 2.0}],
        "features": {"families": ["statistics"]},
    }
    table = extract(image, mask, config=config, spacing=SPACING)
    vol = Volume(image, spacing=SPACING)
    interp = resample_image(vol, (1.5, 1.5, 1.5), order="linear")
    roi = resample_mask(vol.with_array(mask.astype(np.float32)), interp, order="linear").array
    expected = log_filter(interp.array, interp.spacing, sigma=2.0)[roi]
    assert _stat(table, "log_s2mm") == pytest.approx(expected.mean(), rel=1e-9)
    # the original image's features are still there
    assert _stat(table, "original") == pytest.approx(interp.array[roi].mean(), rel=1e-9)


def test_texture_of_response_maps_uses_fixed_bin_number():
    image, mask = _case()
    config = {
        "features": {"families": ["statistics"]},
        "filters": [{"filter": "mean", "support": 3}],
        "response_maps": {
            "families": ["statistics", "histogram", "glcm"],
            "discretisation": {"method": "fixed_bin_number", "bin_count": 16},
        },
    }
    long = extract(image, mask, config=config, spacing=SPACING, format="long")
    assert set(long["image_type"]) == {"original", "mean_d3"}
    rows = long[long["image_type"] == "mean_d3"]
    assert set(rows["family"]) == {"statistics", "histogram", "glcm"}
    values = mean_filter(image, support=3)[mask]
    levels = discretise_fixed_bin_number(values, 16)
    ih_mean = rows[rows["ibsi_tag"] == "ih_mean"]["value"].iloc[0]
    assert ih_mean == pytest.approx(levels.mean(), rel=1e-12)
    assert rows[rows["ibsi_tag"] == "ih_max"]["value"].iloc[0] == 16
    wide = extract(image, mask, config=config, spacing=SPACING)
    assert "mean_d3_glcm_joint_max_3d_comb" in wide.columns


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"response_maps": {"families": ["morphology"]}}, "original image only"),
        ({"response_maps": {"discretisation": {"method": "fixed_bin_size"}}}, "bin_width"),
        ({"filters": [{"filter": "log"}]}, "'sigma' is required"),
        ({"filters": [{"filter": "log", "sigma": 1}, {"filter": "log", "sigma": 1.0}]},
         "configured twice"),
    ],
)  # fmt: skip
def test_bad_filter_settings(data, message):
    with pytest.raises(ConfigError, match=message):
        settings_from_dict(data)


# -- radiomix filter ------------------------------------------------------------------------


def _write(array: np.ndarray, path, spacing=(3.0, 0.7, 0.9), origin=(-5.0, 12.0, 30.0)):
    img = sitk.GetImageFromArray(array)
    img.SetSpacing(tuple(reversed(spacing)))
    img.SetOrigin(tuple(reversed(origin)))
    sitk.WriteImage(img, str(path))
    return str(path)


def test_filter_command_keeps_the_geometry(tmp_path):
    image, _ = _case()
    src = _write(image, tmp_path / "img.nii.gz")
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("filters:\n  - {filter: log, sigma: 2.5, spatial: 2D}\n")
    out = tmp_path / "log.nrrd"
    assert main(["filter", src, "--config", str(cfg), "--out", str(out), "--dtype", "float32"]) == 0
    got = sitk.ReadImage(str(out))
    ref = sitk.ReadImage(src)
    assert got.GetSize() == ref.GetSize()
    assert got.GetSpacing() == pytest.approx(ref.GetSpacing())
    assert got.GetOrigin() == pytest.approx(ref.GetOrigin())
    assert got.GetPixelID() == sitk.sitkFloat32
    expected = log_filter(image, (3.0, 0.7, 0.9), sigma=2.5, spatial="2D")
    np.testing.assert_allclose(sitk.GetArrayFromImage(got), expected, rtol=1e-6, atol=1e-4)


def test_filter_command_needs_exactly_one_map(tmp_path, capsys):
    image, _ = _case()
    src = _write(image, tmp_path / "img.nii.gz")
    out = tmp_path / "m.nii.gz"
    assert main(["filter", src, "--config", "default", "--out", str(out)]) == 2
    assert "has no filter" in capsys.readouterr().err
    cfg = tmp_path / "two.yaml"
    cfg.write_text("filters:\n  - {filter: log, sigma: [1, 2]}\n  - {filter: mean, support: 3}\n")
    assert main(["filter", src, "--config", str(cfg), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "3 response maps (log_s1mm, log_s2mm, mean_d3)" in err
    assert main(["filter", src, "--config", str(cfg), "--out", str(out), "--filter", "log"]) == 2
    assert main(["filter", src, "--config", str(cfg), "--out", str(out), "--filter", "mean"]) == 0
    np.testing.assert_allclose(
        sitk.GetArrayFromImage(sitk.ReadImage(str(out))), mean_filter(image, support=3)
    )
    assert (
        main(["filter", src, "--config", str(cfg), "--out", str(out), "--filter", "log_s2mm"]) == 0
    )


def test_filter_list(capsys):
    assert main(["filter", "--list"]) == 0
    out = capsys.readouterr().out
    assert "laws\tLaws kernels (IBSI 2 JTXT" in out
    assert "pyradiomics_wavelet" in out


def test_pyradiomics_types_work_on_their_domain():
    # PyRadiomics filters the ROI's bounding box + padDistance (5) voxels, clipped
    from radiomix.filters.pyradiomics import pyradiomics_crop, square_image, wavelet_images

    image, mask = _case(border=True)
    config = {
        "features": {"original": False},
        "filters": [
            {"filter": "pyradiomics_wavelet", "subband": ["LLH", "HHH"]},
            {"filter": "pyradiomics_square"},
        ],
    }
    table = extract(image, mask, config=config, spacing=SPACING)
    domain = pyradiomics_crop(mask, 5)
    bands = wavelet_images(image[domain])
    for band in ("LLH", "HHH"):
        expected = bands[f"wavelet-{band}"][mask[domain]]
        got = _stat(table, f"pyradiomics_wavelet_coif1_{band.lower()}")
        assert got == pytest.approx(expected.mean(), rel=1e-10)
    expected = square_image(image[domain])[mask[domain]]
    assert _stat(table, "pyradiomics_square") == pytest.approx(expected.mean(), rel=1e-10)
