"""The Python entry point: inputs of every kind, labels, and invariances of the pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

import radiomix
from radiomix.errors import LabelNotFoundError, RoiTooSmallError


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
