"""The acquisition audit: DICOM series with varied headers, and a manifest of NIfTI images."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radiomix.cli.main import main
from radiomix.studies.audit import AUDIT_COLUMNS, audit

AXIAL = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
SAGITTAL = [0.0, 1.0, 0.0, 0.0, 0.0, -1.0]


def _dcm(path: Path, series: str, modality: str, **attrs: object) -> None:
    """One single-frame DICOM file of a series with the given header attributes."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    sop_class = {
        "CT": "1.2.840.10008.5.1.4.1.1.2",
        "MR": "1.2.840.10008.5.1.4.1.1.4",
        "US": "1.2.840.10008.5.1.4.1.1.6.1",
        "RTSTRUCT": "1.2.840.10008.5.1.4.1.1.481.3",
    }[modality]
    sop = generate_uid()
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = sop
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop
    ds.PatientID, ds.StudyInstanceUID = "P", "1.2.3"
    ds.SeriesInstanceUID, ds.Modality = series, modality
    for key, value in attrs.items():
        setattr(ds, key, value)
    if modality != "RTSTRUCT":
        ds.Rows, ds.Columns = 8, 8
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.HighBit, ds.PixelRepresentation = 16, 15, 0
        ds.setdefault("BitsStored", 16)
        ds.PixelData = np.zeros((8, 8), np.uint16).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def _ct(root: Path, name: str, *, z=(0.0, 2.0, 4.0), ps=0.7, **over: object) -> None:
    attrs: dict[str, object] = {
        "SeriesDescription": name,
        "Manufacturer": "SIEMENS",
        "ManufacturerModelName": "Force",
        "KVP": 120,
        "XRayTubeCurrent": 200,
        "Exposure": 150,
        "ConvolutionKernel": "B30f",
        "SliceThickness": 2.0,
        "PixelSpacing": [ps, ps],
        "ContrastBolusAgent": "Iohexol",
        "BitsStored": 12,
        "ImageOrientationPatient": AXIAL,
    }
    attrs.update(over)
    attrs = {k: v for k, v in attrs.items() if v is not None}
    for i, zi in enumerate(z):
        _dcm(
            root / name / f"{i}.dcm",
            f"1.2.826.0.1.{int.from_bytes(name.encode(), 'big')}",
            "CT",
            ImagePositionPatient=[0.0, 0.0, zi],
            InstanceNumber=i + 1,
            **attrs,
        )


@pytest.fixture
def dicom_root(tmp_path: Path) -> Path:
    root = tmp_path / "dicom"
    _ct(root, "ct1")
    _ct(root, "ct2", ps=0.72, XRayTubeCurrent=210)
    _ct(root, "ct3", ps=0.68)
    # the odd one: a sharp kernel, 5 mm slices, no contrast
    _ct(
        root,
        "ct4",
        z=(0.0, 5.0, 10.0),
        ConvolutionKernel="B70f",
        SliceThickness=5.0,
        ContrastBolusAgent=None,
    )
    _ct(root, "ct5", z=(0.0, 2.0, 6.0))  # a missing slice: gaps 2 and 4 mm
    for i in range(2):
        _dcm(
            root / "mr" / f"{i}.dcm",
            "1.2.826.0.2",
            "MR",
            SeriesDescription="t1 sag",
            Manufacturer="GE",
            ManufacturerModelName="Signa",
            MagneticFieldStrength=1.5,
            EchoTime=10.0,
            RepetitionTime=500.0,
            FlipAngle=90.0,
            SliceThickness=3.0,
            PixelSpacing=[0.9, 0.9],
            ImageOrientationPatient=SAGITTAL,
            ImagePositionPatient=[3.0 * i, 0.0, 0.0],
        )
    from pydicom.dataset import Dataset

    region = Dataset()
    region.PhysicalDeltaX, region.PhysicalDeltaY = 0.01, 0.012
    region.PhysicalUnitsXDirection = region.PhysicalUnitsYDirection = 3
    _dcm(
        root / "us" / "0.dcm",
        "1.2.826.0.3",
        "US",
        SeriesDescription="breast",
        Manufacturer="Acme",
        TransducerData=["L12-5", "", ""],
        SequenceOfUltrasoundRegions=[region],
        BitsStored=8,
    )
    _dcm(root / "rt" / "0.dcm", "1.2.826.0.4", "RTSTRUCT", SeriesDescription="contours")
    return root


def test_dicom_fields_outliers_clusters_and_grid(dicom_root: Path) -> None:
    res = audit(dicom_root)
    t = res.table.set_index("series_description")
    assert list(res.table.columns[: len(AUDIT_COLUMNS)]) == list(AUDIT_COLUMNS)
    assert len(t) == 7 and "contours" not in t.index
    assert len(res.skipped) == 1 and "RTSTRUCT" in res.skipped[0]
    ct1 = t.loc["ct1"]
    expected = {
        "format": "dicom",
        "modality": "CT",
        "manufacturer": "SIEMENS",
        "model": "Force",
        "kvp": 120.0,
        "tube_current_ma": 200.0,
        "exposure_mas": 150.0,
        "kernel": "B30f",
        "slice_thickness_mm": 2.0,
        "slice_spacing_mm": 2.0,
        "slice_spacing_uniform": True,
        "pixel_spacing_row_mm": 0.7,
        "pixel_spacing_col_mm": 0.7,
        "rows": 8.0,
        "columns": 8.0,
        "n_slices": 3.0,
        "orientation": "axial",
        "contrast_agent": "Iohexol",
        "bits_stored": 12.0,
    }
    assert {k: ct1[k] for k in expected} == expected
    assert ct1["source"] == str(dicom_root) and ct1["series_uid"].startswith("1.2.826.0.1.")
    mr = t.loc["t1 sag"]
    assert (mr["modality"], mr["manufacturer"], mr["model"]) == ("MR", "GE", "Signa")
    assert (mr["field_strength_t"], mr["echo_time_ms"], mr["repetition_time_ms"]) == (
        1.5,
        10.0,
        500.0,
    )
    assert mr["flip_angle_deg"] == 90.0 and mr["orientation"] == "sagittal"
    assert mr["slice_spacing_mm"] == 3.0 and mr["n_slices"] == 2.0
    us = t.loc["breast"]
    assert us["transducer"] == "L12-5//" and us["bits_stored"] == 8.0
    assert us["pixel_spacing_col_mm"] == pytest.approx(0.1)
    assert us["pixel_spacing_row_mm"] == pytest.approx(0.12)
    assert us["n_slices"] == 1.0 and math.isnan(us["slice_spacing_mm"])
    # outliers: the odd CT, and the one with a missing slice
    flagged = set(t.index[t["outlier"]])
    assert flagged == {"ct4", "ct5"}
    reasons = t.loc["ct4", "outlier_reasons"]
    assert "kernel B70f (in 1 of 5" in reasons and "slice_thickness_mm 5" in reasons
    assert "non-uniform slice spacing" in t.loc["ct5", "outlier_reasons"]
    assert not t.loc["ct5", "slice_spacing_uniform"]
    # clusters: the four soft-kernel 2 mm contrast CTs together
    assert t.loc[["ct1", "ct2", "ct3", "ct5"], "cluster"].tolist() == ["c1"] * 4
    assert t.loc["ct1", "cluster_key"] == "CT | SIEMENS | B30f | contrast | 2 mm"
    assert t.loc["ct4", "cluster_key"] == "CT | SIEMENS | B70f | 5 mm"
    assert t.loc["t1 sag", "cluster_key"] == "MR | GE | 1.5 T | 3 mm"
    assert len(res.clusters) == 4 and res.clusters[0] == {
        "cluster": "c1",
        "key": "CT | SIEMENS | B30f | contrast | 2 mm",
        "n_series": 4,
    }
    grid = {g["modality"]: g for g in res.grid}
    assert grid["CT"]["spacing_mm"] == [2.0, 0.7, 0.7] and grid["CT"]["n_series"] == 3
    assert "2 flagged series left out" in grid["CT"]["why"]
    assert grid["US"]["spacing_mm"][0] is None
    assert grid["MR"]["spacing_mm"] == [3.0, 0.9, 0.9]


def test_manifest_of_nifti_images(tmp_path: Path) -> None:
    rows = []
    for i, (xy, z) in enumerate([(0.75, 2.0), (0.75, 2.0), (0.8125, 2.0), (0.5, 5.0)]):
        img = sitk.Image(10, 12, 4, sitk.sitkInt16)
        img.SetSpacing((xy, xy, z))
        path = tmp_path / f"c{i}.nii.gz"
        sitk.WriteImage(img, str(path))
        rows.append({"case_id": f"c{i}", "image": path.name, "mask": path.name})
    manifest = tmp_path / "cases.csv"
    pd.DataFrame(rows).to_csv(manifest, index=False)
    res = audit(manifest)
    t = res.table.set_index("case_id")
    assert t.loc["c0", "format"] == "nifti" and t.loc["c0", "source"] == "c0.nii.gz"
    assert (t.loc["c0", "columns"], t.loc["c0", "rows"], t.loc["c0", "n_slices"]) == (10, 12, 4)
    assert t.loc["c0", "pixel_spacing_col_mm"] == 0.75 and t.loc["c0", "slice_spacing_mm"] == 2.0
    assert t.loc["c0", "orientation"] == "axial" and t.loc["c0", "bits_stored"] == 16
    assert list(t.index[t["outlier"]]) == ["c3"]
    assert "slice_spacing_mm 5" in t.loc["c3", "outlier_reasons"]
    assert t["cluster"].tolist() == ["c1", "c1", "c1", "c2"]
    assert res.grid == [
        {
            "modality": "nifti",
            "n_series": 3,
            "spacing_mm": [2.0, 0.75, 0.75],
            "why": res.grid[0]["why"],
        }
    ]


def test_cli_audit_writes_table_grid_and_html(dicom_root: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "audit.csv"
    html = tmp_path / "audit.html"
    assert main(["audit", str(dicom_root), "--out", str(out), "--html", str(html)]) == 0
    cap = capsys.readouterr()
    assert "7 series, 2 flagged, 4 acquisition cluster(s)" in cap.out
    assert "grid for CT: spacing [z, y, x] = [2.0, 0.7, 0.7] mm" in cap.out
    back = pd.read_csv(out)
    assert len(back) == 7 and back["outlier"].sum() == 2
    summary = json.loads((tmp_path / "audit.grid.json").read_text())
    assert {g["modality"] for g in summary["grid"]} == {"CT", "MR", "US"}
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>") and "B70f" in page
    assert "<script" not in page and "http" not in page.lower().replace("<!doctype html>", "")
    # bad input: one line, exit 2, nothing written
    empty = tmp_path / "empty"
    empty.mkdir()
    for argv in (
        ["audit", str(empty), "--out", str(tmp_path / "a.csv")],
        ["audit", str(tmp_path / "nope"), "--out", str(tmp_path / "a.csv")],
        ["audit", str(dicom_root), "--out", str(tmp_path / "a.txt")],
    ):
        assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(e.startswith("radiomix: error:") for e in err), err
    assert not (tmp_path / "a.csv").exists()


def test_two_volumes_in_one_series_are_flagged(tmp_path: Path) -> None:
    root = tmp_path / "dicom"
    for name in ("a", "b", "c"):
        _ct(root, name)
    for i, zi in enumerate((0.0, 2.0, 4.0)):  # a second volume stored under series "a"
        _dcm(
            root / "a2" / f"{i}.dcm",
            f"1.2.826.0.1.{int.from_bytes(b'a', 'big')}",
            "CT",
            SeriesDescription="a",
            ImageOrientationPatient=AXIAL,
            ImagePositionPatient=[0.0, 0.0, zi],
        )
    t = audit(root).table.set_index("series_description")
    assert t.loc["a", "n_slices"] == 6.0
    assert t.loc["a", "outlier_reasons"].startswith("3 slice(s) at the same position")
    assert not t.loc[["b", "c"], "outlier"].any()


def test_the_dicom_fixtures_of_the_io_tests(tmp_path: Path) -> None:
    """The phantom CT, a 5 mm series with a missing slice, an OT, RTSTRUCT and SEG (tests/io)."""
    from pydicom.uid import generate_uid

    from tests.io.test_dicom_rois import (
        NX,
        NY,
        NZ,
        phantom_contours,
        truth_gtv,
        write_ct,
        write_rtstruct,
        write_seg,
    )

    uids = {"frame_uid": generate_uid(), "study_uid": generate_uid()}
    folder = tmp_path / "case"
    hu = np.zeros((NZ, NY, NX), np.int32)
    sources = write_ct(folder / "ct", hu, description="CT", **uids)
    write_ct(folder / "ct5", hu[:4], spacing_zyx=(5.0, 0.9, 0.8), description="CT 5mm", **uids)
    write_ct(
        folder / "gap",
        hu[:4],
        z_positions=[0.0, 2.0, 6.0, 8.0],
        description="CT gap",
        **uids,
    )
    write_ct(folder / "sc", hu[:1], modality="OT", description="screen capture", **uids)
    write_rtstruct(folder / "rs.dcm", phantom_contours(), **uids)
    write_seg(folder / "seg.dcm", sources, {"GTV": truth_gtv()})
    res = audit(folder)
    t = res.table.set_index("series_description")
    assert sorted(t.index) == ["CT", "CT 5mm", "CT gap", "screen capture"]
    assert sorted(s.split(" ")[0] for s in res.skipped) == ["RTSTRUCT", "SEG"]
    ct = t.loc["CT"]
    assert (ct["slice_thickness_mm"], ct["slice_spacing_mm"], ct["n_slices"]) == (2.0, 2.0, NZ)
    assert (ct["pixel_spacing_row_mm"], ct["pixel_spacing_col_mm"]) == (0.9, 0.8)
    assert (ct["rows"], ct["columns"], ct["bits_stored"]) == (NY, NX, 16)
    assert ct["manufacturer"] == "radiomix tests" and ct["orientation"] == "axial"
    assert t.loc["CT 5mm", "slice_spacing_mm"] == 5.0
    assert t.loc["CT gap", "outlier_reasons"] == "non-uniform slice spacing"
    assert "slice_thickness_mm 5" in t.loc["CT 5mm", "outlier_reasons"]
    assert not t.loc["CT", "outlier"]
    assert {g["modality"]: g["spacing_mm"] for g in res.grid}["CT"] == [2.0, 0.85, 0.85]
