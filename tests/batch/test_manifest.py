"""Manifest parsing: both layouts, relative paths, carried columns, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from radiomix.errors import ManifestError
from radiomix.extraction.batch import label_argument
from radiomix.extraction.manifest import read_manifest


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_radiomix_layout_resolves_relative_paths_and_carries_columns(tmp_path):
    sub = tmp_path / "study"
    sub.mkdir()
    m = _write(
        sub / "cases.csv",
        "case_id,image,mask,label,age,code\n"
        "007,ct/a.nii.gz,seg/a.nii.gz,,61,x1\n"
        'p2,/abs/b.nrrd,b_mask.nrrd,"1,2",70,x2\n',
    )
    man = read_manifest(m)
    assert man.layout == "radiomix"
    assert [c.case_id for c in man.cases] == ["007", "p2"]  # text: leading zeros kept
    assert man.cases[0].image == str(sub / "ct" / "a.nii.gz")
    assert man.cases[0].mask == str(sub / "seg" / "a.nii.gz")
    assert man.cases[1].image == "/abs/b.nrrd"
    assert man.cases[0].image_text == "ct/a.nii.gz"
    assert [c.label for c in man.cases] == [None, "1,2"]
    assert man.carried_columns == ("age", "code")
    assert man.carried["age"].tolist() == [61, 70]
    assert str(man.carried["age"].dtype) == "int64"
    assert man.carried["code"].tolist() == ["x1", "x2"]


def test_default_label_fills_empty_cells(tmp_path):
    m = _write(tmp_path / "c.csv", "case_id,image,mask,label\na,i.nii,m.nii,\nb,j.nii,n.nii,3\n")
    man = read_manifest(m, default_label="all")
    assert [c.label for c in man.cases] == ["all", "3"]


def test_pyradiomics_layout_with_id_column(tmp_path):
    m = _write(tmp_path / "b.csv", "ID,Image,Mask,Label,outcome\nbrain1,x/i1.nrrd,x/m1.nrrd,2,0\n")
    man = read_manifest(m)
    assert man.layout == "pyradiomics"
    c = man.cases[0]
    assert (c.case_id, c.label) == ("brain1", "2")
    assert c.image == str(tmp_path / "x" / "i1.nrrd")
    assert man.carried_columns == ("outcome",)


def test_pyradiomics_layout_ids_from_image_names_or_row_numbers(tmp_path):
    m = _write(tmp_path / "b.csv", "Image,Mask\nct/lung1.nii.gz,l1.nrrd\nct/lung2.nrrd,l2.nrrd\n")
    assert [c.case_id for c in read_manifest(m).cases] == ["lung1", "lung2"]
    # the same file name in two folders: names are not unique, row numbers are
    m2 = _write(tmp_path / "b2.csv", "Image,Mask\np1/ct.nrrd,p1/m.nrrd\np2/ct.nrrd,p2/m.nrrd\n")
    assert [c.case_id for c in read_manifest(m2).cases] == ["row1", "row2"]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("case_id,image\na,i.nii\n", r"lacks the column\(s\) \['mask'\]"),
        ("patient,scan,seg\na,i,m\n", "expected case_id,image,mask"),
        ("case_id,image,mask\n", "lists no case"),
        ("case_id,image,mask\na,,m.nii\n", "row 1: the image and mask cells must be set"),
        ("case_id,image,mask,roi\na,i,m,3\n", "clash with output columns"),
        ("case_id,image,mask\na,i,m\na,j,n\n", "rows 1 and 2 both ask for case 'a'"),
        ("ID,Image,Mask\n,i,m\n", "empty case id"),
        ("", "cannot read manifest"),
    ],
)
def test_bad_manifests_raise_clear_errors(tmp_path, text, match):
    m = _write(tmp_path / "bad.csv", text)
    with pytest.raises(ManifestError, match=match):
        read_manifest(m)


def test_missing_manifest(tmp_path):
    with pytest.raises(ManifestError, match="does not exist"):
        read_manifest(tmp_path / "nope.csv")


def test_same_case_with_two_labels_is_allowed(tmp_path):
    m = _write(tmp_path / "c.csv", "case_id,image,mask,label\na,i,m,1\na,i,m,2\n")
    assert [c.label for c in read_manifest(m).cases] == ["1", "2"]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (None, None),
        ("", None),
        ("all", "all"),
        ("ALL", "all"),
        ("Union", "union"),
        ("2", [2]),
        ("1,2", [1, 2]),
        ("1; 3", [1, 3]),
        ("GTV", "GTV"),  # ROI names are passed on to the mask reader
        ("1.5", "1.5"),
    ],
)
def test_label_argument(cell, expected):
    assert label_argument(cell) == expected


def test_pyradiomics_label_channel_column_is_refused_not_ignored(tmp_path):
    """PyRadiomics' batch CLI reads a Label_channel column; radiomix does not, so it says so."""
    m = _write(tmp_path / "b.csv", "Image,Mask,Label_channel\ni.nrrd,m.nrrd,1\nj.nrrd,n.nrrd,\n")
    with pytest.raises(ManifestError, match=r"Label_channel column \(1\).*label_channel"):
        read_manifest(m)
    empty = _write(tmp_path / "c.csv", "Image,Mask,Label_channel\ni.nrrd,m.nrrd,\n")
    assert read_manifest(empty).carried_columns == ("Label_channel",)
