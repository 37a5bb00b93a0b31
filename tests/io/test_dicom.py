"""DICOM series and single files, written synthetically with pydicom."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from radiomix.errors import ImageReadError
from radiomix.io import read_image, read_mask

ROWS, COLS = 4, 3


def _stored(k: int) -> np.ndarray:
    """Stored (raw) pixel values of slice k: 1000 + 100 k + running index."""
    return (np.arange(ROWS * COLS, dtype=np.uint16).reshape(ROWS, COLS) + 1000 + 100 * k).astype(
        np.uint16
    )


def write_series(
    folder: Path,
    positions: Sequence[Sequence[float]],
    *,
    orientation: Sequence[float] = (1, 0, 0, 0, 1, 0),
    slopes: Sequence[float] | float = 1.0,
    intercepts: Sequence[float] | float = -1024.0,
    series_uid: str | None = None,
    file_order: Sequence[int] | None = None,
    modality: str = "CT",
    prefix: str = "slice",
) -> str:
    """A CT series, one file per position; slice k holds ``_stored(k)``. Returns the UID."""
    folder.mkdir(parents=True, exist_ok=True)
    uid = series_uid or generate_uid()
    study = generate_uid()
    n = len(positions)
    slopes = [slopes] * n if isinstance(slopes, float | int) else list(slopes)
    intercepts = [intercepts] * n if isinstance(intercepts, float | int) else list(intercepts)
    order = list(file_order) if file_order is not None else list(range(n))
    for name_index, k in enumerate(order):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID = study
        ds.SeriesInstanceUID = uid
        ds.SeriesDescription = f"synthetic {prefix}"
        ds.Modality = modality
        ds.PatientID = "PHANTOM"
        ds.InstanceNumber = name_index + 1  # deliberately unrelated to the position
        ds.ImagePositionPatient = [float(v) for v in positions[k]]
        ds.ImageOrientationPatient = [float(v) for v in orientation]
        ds.PixelSpacing = [0.7, 0.8]  # row spacing (y), column spacing (x)
        ds.SliceThickness = 2.5
        ds.Rows, ds.Columns = ROWS, COLS
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
        ds.PixelRepresentation = 0
        ds.RescaleSlope = slopes[k]
        ds.RescaleIntercept = intercepts[k]
        ds.PixelData = _stored(k).tobytes()
        ds.save_as(folder / f"{prefix}{name_index:03d}.dcm", enforce_file_format=True)
    return uid


def _axial(n: int, step: float = 2.5, z0: float = 10.0) -> list[tuple[float, float, float]]:
    return [(-5.0, -6.0, z0 + step * k) for k in range(n)]


def test_series_order_and_hounsfield_units(tmp_path: Path) -> None:
    uid = write_series(tmp_path / "ct", _axial(5), file_order=[3, 0, 4, 1, 2])
    vol = read_image(tmp_path / "ct")
    assert vol.shape == (5, ROWS, COLS)
    expected = np.stack([_stored(k).astype(np.int64) - 1024 for k in range(5)])
    np.testing.assert_array_equal(vol.array, expected)
    assert vol.spacing == pytest.approx((2.5, 0.7, 0.8))
    assert vol.origin == pytest.approx((10.0, -6.0, -5.0))
    np.testing.assert_allclose(vol.direction, np.eye(3), atol=1e-12)
    assert vol.metadata["modality"] == "CT"
    assert vol.metadata["series_uid"] == uid
    assert vol.metadata["source"] == str(tmp_path / "ct")


def test_series_positions_agree_with_headers_for_oblique_sagittal(tmp_path: Path) -> None:
    # sagittal: rows along +y, columns along -z; slices stacked along -x, files reversed
    iop = (0, 1, 0, 0, 0, -1)
    positions = [(-2.0 * k, 3.0, 40.0) for k in range(4)]
    write_series(tmp_path / "sag", positions, orientation=iop, file_order=[3, 2, 1, 0])
    vol = read_image(tmp_path / "sag")
    # the slice normal is cross(row, col) = -x: positions along it grow with k
    for k, pos in enumerate(positions):
        np.testing.assert_allclose(vol.index_to_physical(np.array([k, 0, 0])), pos[::-1])
        np.testing.assert_array_equal(vol.array[k], _stored(k).astype(np.int64) - 1024)
    assert vol.spacing == pytest.approx((2.0, 0.7, 0.8))
    assert np.linalg.det(vol.direction) == pytest.approx(1.0)


def test_series_fractional_and_per_slice_rescale(tmp_path: Path) -> None:
    slopes = [0.5, 0.5, 2.0]
    intercepts = [-1024.0, -1000.5, 0.0]
    write_series(tmp_path / "pet", _axial(3), slopes=slopes, intercepts=intercepts)
    vol = read_image(tmp_path / "pet")
    for k in range(3):
        np.testing.assert_allclose(vol.array[k], _stored(k) * slopes[k] + intercepts[k])


def test_two_series_in_one_folder(tmp_path: Path) -> None:
    first = write_series(tmp_path / "mixed", _axial(3), prefix="a")
    second = write_series(tmp_path / "mixed", _axial(2, z0=100.0), prefix="b")
    with pytest.raises(ImageReadError, match="2 DICOM series") as info:
        read_image(tmp_path / "mixed")
    assert first in str(info.value)
    assert second in str(info.value)
    assert "series_uid" in str(info.value)
    chosen = read_image(tmp_path / "mixed", series_uid=second)
    assert chosen.shape == (2, ROWS, COLS)
    with pytest.raises(ImageReadError, match=r"1\.2\.3 is not in folder"):
        read_image(tmp_path / "mixed", series_uid="1.2.3")


def test_non_uniform_slice_spacing(tmp_path: Path) -> None:
    positions = [(0.0, 0.0, z) for z in (0.0, 2.5, 5.0, 10.0, 12.5)]  # one slice missing
    write_series(tmp_path / "gap", positions, file_order=[4, 2, 0, 3, 1])
    with pytest.raises(ImageReadError, match="non-uniform slice spacing") as info:
        read_image(tmp_path / "gap")
    message = str(info.value)
    assert "2.5 mm (x3)" in message
    assert "5 mm (x1)" in message
    assert "between slices 2 and 3" in message


def test_duplicate_slice_positions(tmp_path: Path) -> None:
    write_series(tmp_path / "dup", [(0.0, 0.0, 0.0), (0.0, 0.0, 2.5), (0.0, 0.0, 2.5)])
    with pytest.raises(ImageReadError, match="same position"):
        read_image(tmp_path / "dup")


def test_single_file_and_file_without_extension(tmp_path: Path) -> None:
    write_series(tmp_path / "one", _axial(1))
    path = next((tmp_path / "one").iterdir())
    vol = read_image(path)
    assert vol.shape == (1, ROWS, COLS)
    np.testing.assert_array_equal(vol.array[0], _stored(0).astype(np.int64) - 1024)
    assert vol.metadata["modality"] == "CT"
    bare = tmp_path / "IM0001"
    bare.write_bytes(path.read_bytes())
    assert read_image(bare).metadata["modality"] == "CT"
    # a folder with one file is a one-slice series
    assert read_image(tmp_path / "one").shape == (1, ROWS, COLS)


def test_folder_without_dicom(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("nothing here")
    with pytest.raises(ImageReadError, match=r"no DICOM image files found.*1 files"):
        read_image(tmp_path / "empty")


def test_folder_with_only_rtstruct(tmp_path: Path) -> None:
    folder = tmp_path / "rt"
    folder.mkdir()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.481.3"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "RTSTRUCT"
    ds.SeriesInstanceUID = generate_uid()
    ds.save_as(folder / "rs.dcm", enforce_file_format=True)
    with pytest.raises(ImageReadError, match=r"non-image DICOM objects: RTSTRUCT \(x1\)"):
        read_image(folder)
    with pytest.raises(ImageReadError, match="RTSTRUCT object, not an image"):
        read_image(folder / "rs.dcm")


def test_truncated_dicom_file(tmp_path: Path) -> None:
    write_series(tmp_path / "one", _axial(1))
    path = next((tmp_path / "one").iterdir())
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ImageReadError, match=r"cut\.dcm as DICOM: Cannot read"):
        read_image(cut)


def test_dicom_mask_series(tmp_path: Path) -> None:
    write_series(tmp_path / "ct", _axial(3), intercepts=0.0)
    mask = read_mask(tmp_path / "ct", reference=read_image(tmp_path / "ct"))
    assert np.issubdtype(mask.array.dtype, np.integer)
    assert mask.metadata["modality"] == "CT"
