"""A manifest row pointing at a DICOM series folder and an RTSTRUCT / SEG file."""

from __future__ import annotations

import hashlib

import pytest

pytest.importorskip("highdicom", reason="needs highdicom to write the SEG fixture")

from pydicom.uid import generate_uid

from radiomix.extraction.batch import run_batch
from radiomix.extraction.cache import InputHasher
from radiomix.extraction.manifest import read_manifest
from radiomix.extraction.settings import load_config
from tests.io.test_dicom_rois import (
    phantom_contours,
    phantom_hu,
    truth_gtv,
    truth_node,
    write_ct,
    write_rtstruct,
    write_seg,
)


def test_dicom_folder_with_rtstruct_and_seg_rows(tmp_path):
    frame_uid, study_uid = generate_uid(), generate_uid()
    sources = write_ct(tmp_path / "CT", phantom_hu(), frame_uid=frame_uid, study_uid=study_uid)
    write_rtstruct(
        tmp_path / "RS.dcm", phantom_contours(), frame_uid=frame_uid, study_uid=study_uid
    )
    write_seg(tmp_path / "SEG.dcm", sources, {"GTV": truth_gtv(), "Node": truth_node()})
    manifest = tmp_path / "cases.csv"
    manifest.write_text(
        "case_id,image,mask,label\n"
        "p1,CT,RS.dcm,GTV;Node\n"  # two ROIs of one case by name: two rows
        "p1-seg,CT,SEG.dcm,2\n"  # a SEG segment by number
    )
    res = run_batch(read_manifest(manifest), load_config("default"))
    assert res.errors.empty, res.errors.to_dict("records")
    t = res.table
    assert list(zip(t["case_id"], t["roi"], strict=True)) == [
        ("p1", "GTV"),
        ("p1", "Node"),
        ("p1-seg", "Node"),
    ]
    counts = t["diagnostics_int_mask_vox_count_init_roi"].tolist()
    assert counts == [int(truth_gtv().sum()), int(truth_node().sum()), int(truth_node().sum())]
    # the image hash covers every file of the series folder, in name order
    files = sorted(p for p in (tmp_path / "CT").rglob("*") if p.is_file())
    h = hashlib.sha256(b"radiomix-folder\n")
    for f in files:
        digest = hashlib.sha256(f.read_bytes()).hexdigest()
        h.update(f"{f.relative_to(tmp_path / 'CT').as_posix()}\0{digest}\n".encode())
    assert t["provenance_image_sha256"].iloc[0] == h.hexdigest()
    assert InputHasher().path_hash(tmp_path / "CT") == h.hexdigest()
