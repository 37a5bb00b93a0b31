"""The drop-in's extras: the long table, ``radiomix features --profile pyradiomics`` and
``diagnostics_Mask-original_Hash``.

Reference values are PyRadiomics 3.0.1's own: ``expected.json`` of the committed fixtures
(its ``execute()`` output, text diagnostics included), the real cases' baseline files
(``diagnostics_Mask-original_Hash``), and SimpleITK's ``Hash`` of the UInt32 label map,
which is what PyRadiomics writes (``generalinfo.addMaskElements`` after
``imageoperations.getMask``).
"""

from __future__ import annotations

import csv
import json
import math
import re
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radiomix.cli.main import main
from radiomix.compat import featureextractor
from radiomix.compat.params import settings_from_params
from radiomix.extraction.api import (
    LONG_COLUMNS,
    PYRADIOMICS_LONG_COLUMNS,
    extract,
    extract_results,
    results_to_long,
)
from radiomix.extraction.profile_pyradiomics import label_map_hash
from radiomix.features.pyradiomics_profile import FEATURES
from tests.conftest import SHARED, require_shared

DATA = Path(__file__).resolve().parents[1] / "data" / "pyradiomics_compat"
EXPECTED: dict[str, dict[str, dict[str, Any]]] = json.loads(
    (DATA / "expected.json").read_text(encoding="utf-8")
)
REL, ABS = 1e-6, 1e-9
#: PyRadiomics' version diagnostics: radiomix writes its own versions instead
VERSIONS = "diagnostics_Versions_"


def _case(case: str) -> tuple[str, str]:
    return str(DATA / f"{case}_image.nrrd"), str(DATA / f"{case}_label.nrrd")


def _close(got: float, want: float) -> bool:
    if math.isnan(want):
        return math.isnan(got)
    return abs(got - want) <= max(REL * abs(want), ABS)


def _check_long_against_pyradiomics(long: pd.DataFrame, want: dict[str, Any]) -> None:
    """Every entry of PyRadiomics' result is one row of ``long``, in PyRadiomics' order:
    numbers in ``value`` (``text`` empty), text in ``text`` (``value`` NaN)."""
    mine = long[~long["feature"].str.startswith(VERSIONS)]
    keys = [k for k in want if not k.startswith(VERSIONS)]
    assert list(mine["feature"]) == keys
    for row in mine.itertuples(index=False):
        ref = want[row.feature]
        if isinstance(ref, str):
            assert row.text == ref, row.feature
            assert math.isnan(row.value), row.feature
        else:
            assert _close(float(row.value), float(ref)), (row.feature, row.value, ref)
            assert pd.isna(row.text), row.feature


# -- diagnostics_Mask-original_Hash --------------------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "values"),
    [
        (np.uint8, (0, 1, 2, 255)),
        (np.int16, (0, 1, 7, 300)),
        (np.int32, (0, 1, 2, 70000)),
        (np.uint32, (0, 5, 2**32 - 1)),
        (np.int8, (-1, 0, 3)),  # negative labels wrap as in SimpleITK's cast
        (np.bool_, (False, True)),
    ],
)
def test_label_map_hash_is_simpleitk_hash_of_the_uint32_map(
    dtype: type, values: tuple[int, ...]
) -> None:
    rng = np.random.default_rng(4)
    arr = rng.choice(np.array(values, dtype=dtype), size=(7, 9, 11))
    src = arr.astype(np.uint8) if arr.dtype == np.bool_ else arr  # SimpleITK has no bool
    image = sitk.Cast(sitk.GetImageFromArray(src), sitk.sitkUInt32)  # PyRadiomics' getMask
    assert label_map_hash(arr) == sitk.Hash(image)
    # a non-contiguous view hashes its values in (z, y, x) C order
    view = np.asfortranarray(src)[:, ::-1]
    assert label_map_hash(view) == sitk.Hash(
        sitk.Cast(sitk.GetImageFromArray(np.ascontiguousarray(view)), sitk.sitkUInt32)
    )


def test_mask_hash_is_the_whole_label_map_whatever_the_label() -> None:
    image, mask = _case("ct_a")
    want = EXPECTED["force2d_manhattan"]["ct_a"]["diagnostics_Mask-original_Hash"]
    assert want == EXPECTED["default"]["ct_a"]["diagnostics_Mask-original_Hash"]
    for label in (1, 2):
        ext = featureextractor.RadiomicsFeatureExtractor(
            {"setting": {"label": label}, "featureClass": {"firstorder": ["Mean"]}}
        )
        res = ext.execute(image, mask)
        assert res["diagnostics_Mask-original_Hash"] == want
        keys = list(res)
        # PyRadiomics' place: after the image elements, before the mask's
        at = keys.index("diagnostics_Mask-original_Hash")
        assert keys[at - 1] == "diagnostics_Image-original_Maximum"
        assert keys[at + 1] == "diagnostics_Mask-original_Spacing"


def test_no_diagnostics_without_additional_info() -> None:
    ext = featureextractor.RadiomicsFeatureExtractor(
        {"setting": {"additionalInfo": False}, "featureClass": {"firstorder": ["Mean"]}}
    )
    assert list(ext.execute(*_case("ct_a"))) == ["original_firstorder_Mean"]


REAL_CASES = ("brain1", "brain2", "breast1", "lung1", "lung2")


@cache
def _baseline_mask_hashes() -> dict[str, set[str]]:
    with open(SHARED / "data/pyradiomics-cases/baseline/baseline_firstorder.csv") as fh:
        rows = list(csv.reader(fh))
    columns = rows[0][1:]
    values = next(r[1:] for r in rows if r[0] == "diagnostics_Mask-original_Hash")
    out: dict[str, set[str]] = {}
    for col, v in zip(columns, values, strict=True):
        out.setdefault(col.split("_")[0], set()).add(v)
    return out


@pytest.mark.parametrize("case", REAL_CASES)
def test_mask_hash_of_real_cases_equals_pyradiomics_baseline(case: str) -> None:
    folder = require_shared("data", "pyradiomics-cases", "baseline")
    (want,) = _baseline_mask_hashes()[case]  # one hash per case across the columns
    ext = featureextractor.RadiomicsFeatureExtractor({"featureClass": {"firstorder": ["Mean"]}})
    res = ext.execute(
        str(folder.parent / f"{case}_image.nrrd"), str(folder.parent / f"{case}_label.nrrd")
    )
    assert res["diagnostics_Mask-original_Hash"] == want


# -- the long table -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "case"), [("default", "ct_a"), ("image_types_precrop_2d", "mr_b")]
)
def test_long_table_holds_pyradiomics_result(params: str, case: str) -> None:
    settings = settings_from_params(DATA / f"params_{params}.yaml")
    long = extract(*_case(case), config=settings, label=settings.pyradiomics.label, format="long")
    assert list(long.columns) == PYRADIOMICS_LONG_COLUMNS
    assert long["value"].dtype == np.float64
    assert set(long["case_id"]) == {f"{case}_image"} and set(long["roi"]) == {"1"}
    _check_long_against_pyradiomics(long, EXPECTED[params][case])


def test_long_table_columns_name_pyradiomics_parts() -> None:
    settings = settings_from_params(DATA / "params_image_types_precrop_2d.yaml")
    long = extract(*_case("ct_a"), config=settings, label=1, format="long").set_index("feature")
    row = long.loc["wavelet-LH_glcm_Idm"]  # force2D: 2D wavelet bands
    assert (row["image_type"], row["family"], row["ibsi_code"]) == ("wavelet-LH", "glcm", "WF0Z")
    row = long.loc["log-sigma-1-5-mm-3D_firstorder_Kurtosis"]  # PyRadiomics' kurtosis: no code
    assert (row["image_type"], row["family"], row["ibsi_code"]) == (
        "log-sigma-1-5-mm-3D",
        "firstorder",
        "",
    )
    row = long.loc["original_shape_MeshVolume"]
    assert (row["image_type"], row["family"], row["ibsi_code"]) == ("original", "shape", "RNU0")
    row = long.loc["diagnostics_Mask-original_BoundingBox"]
    assert (row["image_type"], row["family"]) == ("original", "diagnostics")
    assert set(long["ibsi_tag"]) == {""}


def test_results_to_long_recognises_the_profile() -> None:
    settings = settings_from_params(DATA / "params_default.yaml")
    results = extract_results(*_case("ct_c"), settings, label=1)
    long = results_to_long(results)
    assert list(long.columns) == PYRADIOMICS_LONG_COLUMNS
    _check_long_against_pyradiomics(long, EXPECTED["default"]["ct_c"])


def test_ibsi_profile_long_table_keeps_its_layout() -> None:
    config = {"features": {"families": ["statistics"]}}
    long = extract(*_case("ct_a"), config=config, label=1, format="long")
    assert list(long.columns) == LONG_COLUMNS
    row = long.set_index("ibsi_tag").loc["stat_mean"]
    assert (row["family"], row["feature"], row["ibsi_code"]) == ("statistics", "mean", "Q4LE")
    # the IBSI mean and PyRadiomics' Mean are the same number on the same voxels
    assert _close(float(row["value"]), EXPECTED["default"]["ct_a"]["original_firstorder_Mean"])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_cli_single_case_long(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"long{suffix}"
    args = ["extract", *_case("ct_c"), "--params", str(DATA / "params_bincount_weighted.yaml")]
    assert main([*args, "--format", "long", "--out", str(out)]) == 0
    long = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert list(long.columns) == PYRADIOMICS_LONG_COLUMNS
    # CSV keeps 10 significant digits, within the 1e-6 tolerance; text survives quoting
    _check_long_against_pyradiomics(long, EXPECTED["bincount_weighted"]["ct_c"])


def test_cli_manifest_long(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "batch.csv"
    lines = ["Image,Mask,Label,site"]
    lines += [f"{DATA / 'ct_a_image.nrrd'},{DATA / 'ct_a_label.nrrd'},1,A"]
    lines += [f"{DATA / 'mr_b_image.nrrd'},{DATA / 'mr_b_label.nrrd'},1,B"]
    lines += [f"{DATA / 'ct_c_image.nrrd'},{tmp_path / 'missing.nrrd'},1,C"]
    manifest.write_text("\n".join(lines) + "\n")
    out = tmp_path / "cohort.parquet"
    rc = main(
        [
            "extract",
            "--manifest",
            str(manifest),
            "--params",
            str(DATA / "params_shift_gldm_distances.yaml"),
            "--format",
            "long",
            "--out",
            str(out),
            "--jobs",
            "1",
            "--no-cache",
            "--quiet",
        ]
    )
    assert rc == 3  # the third case has no mask
    long = pd.read_parquet(out)
    assert list(long.columns) == ["case_id", "roi", "site", *PYRADIOMICS_LONG_COLUMNS[2:]]
    assert f"{len(long)} row(s)" in capsys.readouterr().err
    for case, site in (("ct_a", "A"), ("mr_b", "B")):
        part = long[long["case_id"] == f"{case}_image"]
        assert set(part["site"]) == {site}
        prov = part[part["family"] == "provenance"]
        assert prov["feature"].iloc[0] == "provenance_image"
        assert prov["text"].iloc[0] == str(DATA / f"{case}_image.nrrd")
        _check_long_against_pyradiomics(
            part[part["family"] != "provenance"], EXPECTED["shift_gldm_distances"][case]
        )
    assert "ct_c_image" not in set(long["case_id"])


def test_cli_manifest_long_refuses_clashing_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "batch.csv"
    manifest.write_text(
        f"Image,Mask,value\n{DATA / 'ct_a_image.nrrd'},{DATA / 'ct_a_label.nrrd'},3\n"
    )
    args = ["extract", "--manifest", str(manifest), "--params", str(DATA / "params_default.yaml")]
    rc = main([*args, "--format", "long", "--out", str(tmp_path / "o.csv"), "--quiet"])
    assert rc == 2
    assert "['value'] clash" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


# -- radiomix features --profile pyradiomics ----------------------------------------------


def _feature_lines(text: str) -> list[list[str]]:
    """``[code, name, column, ...]`` of each feature line (two spaces in; docs are deeper)."""
    return [line.split() for line in text.splitlines() if re.match(r"  \S", line)]


def test_features_lists_the_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["features", "--profile", "pyradiomics"]) == 0
    lines = _feature_lines(capsys.readouterr().out)
    assert len(lines) == sum(len(specs) for specs in FEATURES.values())
    columns = [parts[2] for parts in lines if "[deprecated" not in " ".join(parts)]
    by_name = {parts[2]: parts for parts in lines}
    assert "[deprecated" in " ".join(by_name["original_shape_Compactness1"])
    assert by_name["original_firstorder_Mean"][:2] == ["Q4LE", "Mean"]
    assert by_name["original_glcm_Idmn"][:2] == ["----", "Idmn"]
    # PyRadiomics 3.0.1 computes exactly these columns for the Original image, class by
    # class in this order (the fixtures' default run enables every 3D class)
    want = [k for k in EXPECTED["default"]["ct_a"] if k.startswith("original_")]
    for cls in ("firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm", "shape"):
        assert [c for c in columns if c.split("_")[1] == cls] == [
            k for k in want if k.split("_")[1] == cls
        ], cls


def test_features_profile_family_and_doc(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["features", "--profile", "pyradiomics", "--family", "ngtdm", "--doc"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("ngtdm  (PyRadiomics 3.0.1 class")
    assert [p[1] for p in _feature_lines(out)] == [
        "Busyness",
        "Coarseness",
        "Complexity",
        "Contrast",
        "Strength",
    ]
    # each feature's one-engine formula, with the profile's convention (a flat ROI)
    assert "radiomix.features.ngtdm.coarseness" in out
    assert "its coarseness is 1e6 when the sum is 0" in out


def test_features_default_listing_is_the_engine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["features", "--family", "statistics"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "statistics  (radiomix.features.statistics)"
    assert "original_" not in out


def test_features_class_without_profile_says_what_to_do(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["features", "--family", "firstorder"]) == 2
    assert "--profile pyradiomics" in capsys.readouterr().err
    assert main(["features", "--profile", "pyradiomics", "--family", "ivh"]) == 2
    assert "classes: firstorder" in capsys.readouterr().err


def test_binary_255_mask_needs_its_label_as_in_pyradiomics() -> None:
    """PyRadiomics 3.0.1: ``ValueError: Label (1) not present in mask. Choose from [255]``;
    the ibsi profile's 0/255 fallback does not apply to the drop-in."""
    from radiomix.errors import LabelNotFoundError

    rng = np.random.default_rng(0)
    img = sitk.GetImageFromArray(rng.integers(0, 100, (8, 20, 20)).astype(np.int16))
    arr = np.zeros((8, 20, 20), dtype=np.uint8)
    arr[2:6, 5:15, 5:15] = 255
    msk = sitk.GetImageFromArray(arr)
    ext = featureextractor.RadiomicsFeatureExtractor()
    with pytest.raises(LabelNotFoundError, match=r"labels present: \[255\].*label: 255"):
        ext.execute(img, msk)
    out = ext.execute(img, msk, label=255)
    assert out["diagnostics_Mask-original_VoxelNum"] == 400
