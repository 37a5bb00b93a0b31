"""Readable feature names from the registry (``radiomix.features.names``)."""

from __future__ import annotations

import pytest

from radiomix.features import all_features
from radiomix.features._base import FeatureValue
from radiomix.features._texture import DIRECTIONAL_AGGREGATIONS, ZONE_AGGREGATIONS
from radiomix.features.names import describe_column, readable_name

_DIRECTIONAL = {"glcm", "glrlm"}
_ZONE = {"glszm", "gldzm", "ngtdm", "ngldm"}


def _columns(image: str = "original", qualifier: str = "") -> list[tuple[str, object, str]]:
    """Every registered feature under every aggregation its family has, as a column name."""
    out = []
    for spec in all_features():
        if spec.family in _DIRECTIONAL:
            aggs = [a for pair in DIRECTIONAL_AGGREGATIONS.values() for a in pair]
        elif spec.family in _ZONE:
            aggs = list(ZONE_AGGREGATIONS.values())
        else:
            aggs = [None]
        for agg in aggs:
            value = FeatureValue(spec, 0.0, agg, qualifier if agg else "")
            out.append((f"{image}_{spec.family}_{value.feature_name}", spec, agg))
    return out


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("original_glcm_joint_max_3d_comb", "GLCM joint maximum (3D, merged)"),
        ("original_glcm_energy_2d_avg", "GLCM angular second moment (2D, averaged)"),
        (
            "original_glrlm_glnu_norm_2_5d_comb",
            "GLRLM grey level non-uniformity normalised (2.5D, merged)",
        ),
        ("original_morphology_2d_concavity_max_depth", "2D shape: max concavity depth"),
        ("original_morphology_vol_dens_aabb", "Shape: volume density AABB"),
        ("original_morphology_moran_i", "Shape: Moran's I"),
        ("original_statistics_p10", "Intensity percentile 10"),
        ("original_statistics_range", "Intensity range"),
        (
            "original_ngldm_lde_3d_d2_a1",
            "NGLDM low dependence emphasis (3D, distance 2, coarseness 1)",
        ),
        (
            "peritumoral10px_ngtdm_coarseness_2d",
            "NGTDM coarseness (2D), 10 px peritumoral ring",
        ),
        ("log_s1.5mm_statistics_mean", "Intensity mean, log_s1.5mm image"),
    ],
)
def test_readable_names(column, expected):
    assert readable_name(column) == expected


@pytest.mark.parametrize(
    "column",
    [
        "case_id",
        "outcome",
        "diagnostics_img_dim_x_init_img",
        "original_glcm_Contrast",
        "original_glcm_joint_max_4d",
    ],
)
def test_other_columns_are_returned_unchanged(column):
    assert describe_column(column) is None
    assert readable_name(column) == column


@pytest.mark.parametrize(
    ("image", "qualifier"), [("original", ""), ("wavelet_db3_llh_level1", "d2")]
)
def test_every_registered_feature_is_taken_apart_exactly(image, qualifier):
    columns = _columns(image, qualifier)
    assert len(columns) > 400
    names = set()
    for column, spec, agg in columns:
        desc = describe_column(column)
        assert desc is not None, column
        assert desc.spec is spec, column  # the registry record, with its IBSI code
        assert desc.image_type == image
        assert desc.aggregation == (agg.lower() if agg else None)
        assert desc.qualifier == (qualifier if agg else "")
        names.add(desc.readable)
        # words only: no column tags or underscores left in the readable name
        assert "_" not in desc.readable.replace(image, ""), desc.readable
    # two different features never read the same
    assert len(names) == len(columns)
