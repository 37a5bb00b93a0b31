"""DICOM folders with several series, slice spacing checks and the resampling policy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom.uid import generate_uid

from radiomix.errors import ImageReadError
from radiomix.io import (
    SliceSpacingWarning,
    dicom_roi_file,
    list_dicom_series,
    read_image,
    read_rois,
)
from tests.io.test_dicom_rois import (
    phantom_contours,
    truth_gtv,
    truth_node,
    write_ct,
    write_rtstruct,
    write_seg,
)


def _hu(nz: int, ny: int = 6, nx: int = 5) -> np.ndarray:
    """Slice k holds 10 k + running index: every slice differs, values are exact integers."""
    return (10 * np.arange(nz)[:, None, None] + np.arange(ny * nx).reshape(ny, nx)).astype(np.int32)


@pytest.fixture
def uids() -> dict[str, str]:
    return {"frame_uid": generate_uid(), "study_uid": generate_uid()}


def test_folder_with_two_ct_series_lists_them(tmp_path: Path, uids: dict[str, str]) -> None:
    folder = tmp_path / "study"
    first = generate_uid()
    second = generate_uid()
    write_ct(folder, _hu(4), series_uid=first, description="thorax 2mm", prefix="a", **uids)
    write_ct(folder, _hu(3), series_uid=second, description="thorax 5mm", prefix="b", **uids)
    with pytest.raises(ImageReadError, match="holds 2 DICOM series") as info:
        read_image(folder)
    message = str(info.value)
    assert f"{first} (CT, 'thorax 2mm', 4 slices)" in message
    assert f"{second} (CT, 'thorax 5mm', 3 slices)" in message
    chosen = read_image(folder, series_uid=second)
    assert chosen.shape == (3, 6, 5)
    np.testing.assert_array_equal(chosen.array, _hu(3))
    assert chosen.metadata["series_uid"] == second
    listed = list_dicom_series(folder)
    assert [(s.uid, s.modality, s.n_files, s.is_image) for s in listed] == sorted(
        [(first, "CT", 4, True), (second, "CT", 3, True)], key=lambda t: t[0]
    )


def test_only_ct_series_is_picked_beside_other_objects(
    tmp_path: Path, uids: dict[str, str]
) -> None:
    """CT + a secondary capture (OT) + RTSTRUCT + SEG in one folder: the CT is read."""
    folder = tmp_path / "case"
    sources = write_ct(folder / "ct", _hu(20, 64, 64), description="CT", **uids)
    write_ct(folder / "sc", _hu(1), modality="OT", description="screen capture", **uids)
    write_rtstruct(folder / "rs.dcm", phantom_contours(), **uids)
    image = read_image(folder)
    assert image.shape == (20, 64, 64)
    assert image.metadata["modality"] == "CT"
    assert "only CT/MR/PT series among 2 image series" in image.metadata["series_choice"]
    kinds = sorted((s.modality, s.is_image) for s in list_dicom_series(folder))
    assert kinds == [("CT", True), ("OT", True), ("RTSTRUCT", False)]
    # the case folder is also the mask: its one RTSTRUCT is found
    assert dicom_roi_file(folder) == (folder / "rs.dcm", "RTSTRUCT")
    np.testing.assert_array_equal(read_rois(folder, image)["Node"].array, truth_node())
    # a second ROI object makes the folder ambiguous as a mask
    write_seg(folder / "seg.dcm", sources, {"GTV": truth_gtv()})
    with pytest.raises(ImageReadError, match=r"holds 2 RTSTRUCT/SEG files: .*rs\.dcm"):
        read_rois(folder, image)


def test_two_non_primary_series_need_a_choice(tmp_path: Path, uids: dict[str, str]) -> None:
    folder = tmp_path / "two_ot"
    write_ct(folder, _hu(2), modality="OT", prefix="a", **uids)
    write_ct(folder, _hu(2), modality="OT", prefix="b", **uids)
    with pytest.raises(ImageReadError, match="holds 2 DICOM series"):
        read_image(folder)


def test_missing_slice_is_reported(tmp_path: Path, uids: dict[str, str]) -> None:
    zs = [0.0, 2.0, 4.0, 8.0, 10.0, 12.0]  # the slice at 6 mm is missing
    write_ct(tmp_path / "gap", _hu(6), z_positions=zs, **uids)
    with pytest.raises(ImageReadError, match="non-uniform slice spacing") as info:
        read_image(tmp_path / "gap")
    message = str(info.value)
    assert "2 mm (x4), 4 mm (x1)" in message
    assert "between slices 2 and 3 (at 4 and 8 mm)" in message
    assert "1 slice(s) appear to be missing" in message
    assert "nonuniform='resample'" in message


def test_missing_slice_resampled(tmp_path: Path, uids: dict[str, str]) -> None:
    zs = [0.0, 2.0, 4.0, 8.0, 10.0, 12.0]
    hu = _hu(6)
    write_ct(tmp_path / "gap", hu, z_positions=zs, **uids)
    with pytest.warns(SliceSpacingWarning, match=r"2 mm \(x4\), 4 mm \(x1\).*interpolated"):
        vol = read_image(tmp_path / "gap", nonuniform="resample")
    assert vol.shape == (7, 6, 5)
    assert vol.spacing == pytest.approx((2.0, 0.9, 0.8))
    assert vol.origin[0] == pytest.approx(0.0)
    expected = np.concatenate([hu[:3], (hu[2:3] + hu[3:4]) / 2.0, hu[3:]]).astype(float)
    np.testing.assert_allclose(vol.array, expected)
    diagnostics = vol.metadata["diagnostics"]
    assert diagnostics == {
        "dicom_slice_spacing_uniform": 0.0,
        "dicom_slice_gap_min": pytest.approx(2.0),
        "dicom_slice_gap_max": pytest.approx(4.0),
        "dicom_missing_slices": 1.0,
        "dicom_interpolated_slices": 1.0,
    }


def test_variable_thickness_resampled_onto_smallest_gap(
    tmp_path: Path, uids: dict[str, str]
) -> None:
    zs = [0.0, 2.0, 5.0, 8.0]  # gaps 2, 3, 3: no slice missing, variable thickness
    hu = _hu(4)
    write_ct(tmp_path / "var", hu, z_positions=zs, **uids)
    with pytest.raises(ImageReadError, match="non-uniform") as info:
        read_image(tmp_path / "var")
    assert "appear to be missing" not in str(info.value)
    with pytest.warns(SliceSpacingWarning):
        vol = read_image(tmp_path / "var", nonuniform="resample")
    # extent 8 mm with the smallest gap 2 mm: 5 slices at 0, 2, 4, 6, 8 mm
    assert vol.shape[0] == 5
    assert vol.spacing[0] == pytest.approx(2.0)
    # 4 mm lies 2/3 of the way from 2 to 5 mm; 6 mm lies 1/3 of the way from 5 to 8 mm
    np.testing.assert_allclose(vol.array[2], hu[1] + (hu[2] - hu[1]) * 2 / 3)
    np.testing.assert_allclose(vol.array[3], hu[2] + (hu[3] - hu[2]) / 3)
    np.testing.assert_allclose(vol.array[[0, 1, 4]], hu[[0, 1, 3]])
    assert vol.metadata["diagnostics"]["dicom_missing_slices"] == 0.0
    assert vol.metadata["diagnostics"]["dicom_interpolated_slices"] == 2.0


def test_bad_policy(tmp_path: Path, uids: dict[str, str]) -> None:
    write_ct(tmp_path / "ct", _hu(3), **uids)
    with pytest.raises(ValueError, match="nonuniform"):
        read_image(tmp_path / "ct", nonuniform="guess")  # type: ignore[arg-type]
