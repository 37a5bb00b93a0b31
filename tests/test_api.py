"""The Python entry point: inputs of every kind, labels, and invariances of the pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

import radiomix
from radiomix.errors import ConfigError, InvalidImageError, LabelNotFoundError, RoiTooSmallError


def _lesion(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    image = rng.normal(0, 30, (14, 40, 40)).cumsum(axis=2)
    zz, yy, xx = np.ogrid[:14, :40, :40]
    mask = ((zz - 7) / 4.5) ** 2 + ((yy - 20) / 9.0) ** 2 + ((xx - 19) / 8.0) ** 2 < 1
    return image, mask


def _features(table: pd.DataFrame) -> pd.Series:
    cols = [c for c in table.columns if c.startswith("original_")]
    return table.iloc[0][cols].astype(float)


def test_numpy_input_with_spacing_matches_sitk_input():
    image, mask = _lesion()
    a = radiomix.extract(image, mask, spacing=(2.0, 0.8, 0.7))
    img = sitk.GetImageFromArray(image)
    img.SetSpacing((0.7, 0.8, 2.0))
    msk = sitk.GetImageFromArray(mask.astype(np.uint8))
    msk.CopyInformation(img)
    b = radiomix.extract(img, msk)
    pd.testing.assert_series_equal(_features(a), _features(b))
    assert a.loc[0, "diagnostics_vox_dim_z_init_img"] == 2.0
    assert a.loc[0, "diagnostics_vox_dim_x_init_img"] == 0.7


def test_one_row_per_label_and_missing_label():
    image, mask = _lesion()
    labels = mask.astype(np.uint8)
    labels[:, :, 30:36] = 0
    labels[5:9, 5:10, 30:36] = 4
    table = radiomix.extract(image, labels, label=[1, 4])
    assert list(table["roi"]) == ["1", "4"]
    assert table.loc[1, "diagnostics_int_mask_vox_count_init_roi"] == 4 * 5 * 6
    with pytest.raises(LabelNotFoundError, match="3"):
        radiomix.extract(image, labels, label=3)


def test_a_label_map_without_a_label_is_never_merged():
    """No label: one row per distinct non-zero label (the roi column holds its value); the
    union only when asked; label 0 only with the opt-in."""
    image, mask = _lesion()
    labels = mask.astype(np.uint8) * 2
    labels[5:9, 5:10, 30:36] = 7
    n2, n7 = int(np.count_nonzero(labels == 2)), 4 * 5 * 6
    per_label = radiomix.extract(image, labels)
    assert list(per_label["roi"]) == ["2", "7"]
    assert per_label["diagnostics_int_mask_vox_count_init_roi"].tolist() == [n2, n7]
    pd.testing.assert_frame_equal(per_label, radiomix.extract(image, labels, label="all"))
    pd.testing.assert_series_equal(
        _features(per_label.iloc[[1]].reset_index(drop=True)),
        _features(radiomix.extract(image, labels, label=7)),
    )
    union = radiomix.extract(image, labels, label="union")
    assert list(union["roi"]) == ["union"]
    assert union.loc[0, "diagnostics_int_mask_vox_count_init_roi"] == n2 + n7
    with pytest.raises(ConfigError, match="background"):
        radiomix.extract(image, labels, label=0)
    with pytest.raises(ConfigError, match="allow_background"):
        radiomix.extract(image, labels, label=[2, 0])
    background = radiomix.extract(image, labels, label=0, allow_background=True)
    assert background.loc[0, "diagnostics_int_mask_vox_count_init_roi"] == labels.size - n2 - n7


def test_a_binary_mask_stored_as_255_is_one_roi_named_by_its_value():
    image, mask = _lesion()
    table = radiomix.extract(image, mask.astype(np.uint8) * 255)
    assert list(table["roi"]) == ["255"]
    by_one = radiomix.extract(image, mask.astype(np.uint8) * 255, label=1)  # binary fallback
    pd.testing.assert_series_equal(_features(table), _features(by_one))


def test_the_pyradiomics_profile_takes_its_label_setting_without_a_label():
    image, mask = _lesion()
    labels = mask.astype(np.uint8)
    labels[5:9, 5:10, 30:36] = 2
    from radiomix.compat.params import settings_from_params

    table = radiomix.extract(image, labels, config=settings_from_params({}))
    assert list(table["roi"]) == ["1"]  # PyRadiomics' default label, not the union
    table = radiomix.extract(image, labels, config=settings_from_params({}, label=2))
    assert list(table["roi"]) == ["2"]


def test_non_finite_voxels_inside_the_roi_are_refused_with_their_viewer_index(tmp_path):
    image, mask = _lesion()
    image = np.pad(image, ((0, 0), (0, 0), (0, 80)), mode="edge").astype(np.float32)
    mask = np.pad(mask, ((0, 0), (0, 0), (0, 80)))
    image[7, 20, 19] = np.nan  # inside the ROI; (x, y, z) = (19, 20, 7)
    image[0, 0, 119] = np.inf  # far outside it (and the filters' margin): allowed
    path = tmp_path / "nan.nii.gz"
    sitk.WriteImage(sitk.GetImageFromArray(image), str(path))
    msk = tmp_path / "m.nii.gz"
    sitk.WriteImage(sitk.GetImageFromArray(mask.astype(np.uint8)), str(msk))
    with pytest.raises(
        InvalidImageError, match=r"1 non-finite .*\(0-based, x, y, z\) = \(19, 20, 7\)"
    ):
        radiomix.extract(path, msk)
    image[7, 20, 19] = 5.0
    sitk.WriteImage(sitk.GetImageFromArray(image), str(path))
    assert len(radiomix.extract(path, msk)) == 1  # the infinite voxel far away is no obstacle


def test_one_voxel_roi_is_rejected():
    image, _ = _lesion()
    mask = np.zeros(image.shape, bool)
    mask[4, 4, 4] = True
    with pytest.raises(RoiTooSmallError):
        radiomix.extract(image, mask)


def test_features_do_not_depend_on_where_the_roi_sits():
    """Cropping and margins must not leak the ROI position into values (no resampling: an
    IBSI grid is aligned on the whole image, so padding legitimately moves a resampled grid)."""
    image, mask = _lesion()
    cfg = {"texture": {"spatial": ["2D", "2.5D", "3D"]}}
    full = radiomix.extract(image, mask, cfg, spacing=(1.5, 1.5, 1.5))
    # the same content, padded with a wide border of other tissue
    big = np.pad(image, ((6, 3), (10, 4), (2, 12)), mode="reflect")
    big_mask = np.pad(mask, ((6, 3), (10, 4), (2, 12)))
    shifted = radiomix.extract(big, big_mask, cfg, spacing=(1.5, 1.5, 1.5))
    a, b = _features(full), _features(shifted)
    # local intensity sees the image around the ROI, which the padding changed near edges
    keep = [c for c in a.index if "local_intensity" not in c]
    np.testing.assert_allclose(a[keep].to_numpy(), b[keep].to_numpy(), rtol=1e-9, atol=1e-12)


def test_crop_equals_whole_image_after_resampling():
    """The pipeline crops before resampling; the answer equals resampling everything."""
    from radiomix.extraction.pipeline import prepare_roi
    from radiomix.extraction.settings import settings_from_dict
    from radiomix.io import Volume
    from radiomix.preprocess import resample_image, resample_mask

    image, mask = _lesion(5)
    big = np.pad(image, 20, mode="reflect")
    big_mask = np.pad(mask, 20)
    vol = Volume(big, spacing=(2.0, 0.8, 0.8))
    for order in ("linear", "cubic"):
        s = settings_from_dict({"resample": {"spacing": [1, 1, 1], "interpolation": order}})
        prepared = prepare_roi(vol, vol.with_array(big_mask), s, {})
        whole = resample_image(vol, (1.0, 1.0, 1.0), order=order)
        whole_mask = resample_mask(vol.with_array(big_mask.astype(np.float32)), whole).array
        assert prepared.morph_mask.sum() == whole_mask.sum()
        np.testing.assert_allclose(
            np.sort(prepared.image[prepared.morph_mask]),
            np.sort(whole.array[whole_mask]),
            rtol=0,
            atol=1e-6,
        )


def test_long_format_has_ibsi_codes():
    image, mask = _lesion()
    long = radiomix.extract(image, mask, format="long")
    feats = long[long["family"] != "diagnostics"]
    assert (feats["ibsi_code"].str.len() == 4).all()
    assert set(feats["family"]) == {
        "morphology", "local_intensity", "statistics", "histogram", "ivh",
        "glcm", "glrlm", "glszm", "gldzm", "ngtdm", "ngldm",
    }  # fmt: skip
    with pytest.raises(ValueError, match="format"):
        radiomix.extract(image, mask, format="tall")


def test_diagnostics_give_the_roi_bounding_box_position_and_size():
    image = np.arange(8 * 20 * 30, dtype=float).reshape(8, 20, 30)
    mask = np.zeros(image.shape, dtype=np.uint8)
    mask[2:5, 7:11, 12:20] = 1  # z 2..4, y 7..10, x 12..19
    row = radiomix.extract(image, mask, config={"features": {"families": ["statistics"]}}).iloc[0]
    start = [row[f"diagnostics_mask_bb_start_{a}_init_roi"] for a in "xyz"]
    size = [row[f"diagnostics_int_mask_bb_dim_{a}_init_roi"] for a in "xyz"]
    assert start == [12, 7, 2]
    assert size == [8, 4, 3]
