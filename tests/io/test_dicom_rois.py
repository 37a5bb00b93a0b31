"""RTSTRUCT and SEG masks on DICOM CT series, all written here from a phantom with a known mask.

The phantom: a CT series of 20 slices of 64 x 64 voxels (2 mm slices, 0.9 x 0.8 mm pixels,
stored values with RescaleIntercept -1024) holding two ROIs whose voxel sets are known:

- ``GTV``: a square ring (a square with a square hole) on slices 5-12, with a 2 x 2 island
  inside the hole on slice 8;
- ``Node``: a digital ball (voxel centres within 5.2 voxels of a centre, in index units).

The RTSTRUCT contours pass through voxel centres: the outer square through the centres of the
ring's corner voxels, the inner square through the centres of the hole's corner voxels, the
ball's contour per slice through the convex hull of that slice's voxel centres (a digital disc is
digitally convex, so the hull contains exactly its voxel centres). Under the documented rule
(centre inside or on the polygon, even-odd combination) the rasterised masks must equal the
phantom exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import highdicom as hd
import numpy as np
import pandas as pd
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.sr.codedict import codes
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid
from scipy.spatial import ConvexHull

from radiomix.cli.main import main
from radiomix.errors import EmptyMaskError, GeometryMismatchError, LabelNotFoundError
from radiomix.extraction.api import extract
from radiomix.io import (
    RoiConversionWarning,
    Volume,
    read_image,
    read_rois,
    read_rtstruct,
    read_seg,
    rtstruct_roi_names,
    seg_segment_labels,
)

NZ, NY, NX = 20, 64, 64
DZ, DY, DX = 2.0, 0.9, 0.8
ORIGIN_XYZ = (-25.6, -30.0, -100.0)
RTSTRUCT_UID = "1.2.840.10008.5.1.4.1.1.481.3"

OUTER = (20, 40, 15, 35)  # rows y0..y1, columns x0..x1 (inclusive voxel indices)
HOLE = (26, 33, 22, 29)
ISLAND = (29, 30, 25, 26)
GTV_SLICES = range(5, 13)
ISLAND_SLICE = 8
BALL_CENTRE = (10.0, 45.0, 46.0)  # (z, y, x) index units
BALL_RADIUS = 5.2


# --------------------------------------------------------------------------- phantom


def _box(shape: tuple[int, int], box: tuple[int, int, int, int]) -> np.ndarray:
    out = np.zeros(shape, dtype=bool)
    out[box[0] : box[1] + 1, box[2] : box[3] + 1] = True
    return out


def truth_gtv() -> np.ndarray:
    mask = np.zeros((NZ, NY, NX), dtype=bool)
    ring = _box((NY, NX), OUTER) & ~_box((NY, NX), HOLE)
    for k in GTV_SLICES:
        mask[k] = ring
    mask[ISLAND_SLICE] |= _box((NY, NX), ISLAND)
    return mask


def truth_node() -> np.ndarray:
    z, y, x = np.indices((NZ, NY, NX))
    cz, cy, cx = BALL_CENTRE
    return (z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2 <= BALL_RADIUS**2


def phantom_hu() -> np.ndarray:
    rng = np.random.default_rng(5)
    hu = rng.integers(-20, 21, size=(NZ, NY, NX)).astype(np.int32)
    hu[truth_gtv()] += 60
    hu[truth_node()] += 150
    return hu


def _physical(z: float, rows: np.ndarray, cols: np.ndarray, grid: dict) -> np.ndarray:
    """(x, y, z) patient coordinates of voxel centres (axial, identity orientation)."""
    ox, oy, oz = grid["origin"]
    return np.column_stack(
        [ox + cols * grid["dx"], oy + rows * grid["dy"], np.full(len(rows), oz + z * grid["dz"])]
    )


GRID = {"origin": ORIGIN_XYZ, "dx": DX, "dy": DY, "dz": DZ}


def _rect_contour(k: int, box: tuple[int, int, int, int], grid: dict = GRID) -> np.ndarray:
    y0, y1, x0, x1 = box
    rows = np.array([y0, y0, y1, y1], dtype=float)
    cols = np.array([x0, x1, x1, x0], dtype=float)
    return _physical(k, rows, cols, grid)


def phantom_contours() -> dict[str, list[np.ndarray]]:
    """Contours (x, y, z points) of both ROIs, through voxel centres of the phantom grid."""
    gtv = []
    for k in GTV_SLICES:
        gtv.append(_rect_contour(k, OUTER))
        gtv.append(_rect_contour(k, HOLE))
        if k == ISLAND_SLICE:
            gtv.append(_rect_contour(k, ISLAND))
    node = []
    ball = truth_node()
    for k in range(NZ):
        rows, cols = np.nonzero(ball[k])
        if rows.size < 3 or np.ptp(rows) == 0 or np.ptp(cols) == 0:
            assert rows.size <= 1, "the ball test assumes no degenerate (line) slices"
            if rows.size == 1:  # a single voxel: a degenerate polygon on its centre
                node.append(_physical(k, rows.astype(float), cols.astype(float), GRID))
            continue
        pts = np.column_stack([rows, cols]).astype(float)
        hull = ConvexHull(pts)
        ring = pts[hull.vertices]
        node.append(_physical(k, ring[:, 0], ring[:, 1], GRID))
    return {"GTV": gtv, "Node": node}


# --------------------------------------------------------------------------- DICOM writers


def _file_meta(sop_class: str, sop_uid: str) -> FileMetaDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return meta


def _patient_study(ds: Dataset, study_uid: str) -> None:
    ds.PatientName = "Phantom^Radiomix"
    ds.PatientID = "PHANTOM"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.StudyInstanceUID = study_uid
    ds.StudyDate = "20260101"
    ds.StudyTime = "120000"
    ds.ReferringPhysicianName = ""
    ds.AccessionNumber = "A1"
    ds.StudyID = "1"


def write_ct(
    folder: Path,
    hu: np.ndarray,
    *,
    frame_uid: str,
    study_uid: str,
    origin_xyz: Sequence[float] = ORIGIN_XYZ,
    spacing_zyx: Sequence[float] = (DZ, DY, DX),
    z_positions: Sequence[float] | None = None,
    series_uid: str | None = None,
    modality: str = "CT",
    description: str = "phantom CT",
    prefix: str = "ct",
    orientation: Sequence[float] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0),
) -> list[Dataset]:
    """One file per slice, files named in reverse slice order; returns the datasets."""
    folder.mkdir(parents=True, exist_ok=True)
    series_uid = series_uid or generate_uid()
    dz, dy, dx = spacing_zyx
    nz = hu.shape[0]
    zs = (
        list(z_positions)
        if z_positions is not None
        else [origin_xyz[2] + dz * k for k in range(nz)]
    )
    out = []
    for k in range(nz):
        sop_uid = generate_uid()
        ds = Dataset()
        ds.file_meta = _file_meta(CTImageStorage, sop_uid)
        _patient_study(ds, study_uid)
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = sop_uid
        ds.SeriesInstanceUID = series_uid
        ds.SeriesNumber = 1
        ds.SeriesDescription = description
        ds.FrameOfReferenceUID = frame_uid
        ds.PositionReferenceIndicator = ""
        ds.Modality = modality
        ds.Manufacturer = "radiomix tests"
        ds.InstanceNumber = k + 1
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.ImagePositionPatient = [float(origin_xyz[0]), float(origin_xyz[1]), float(zs[k])]
        ds.ImageOrientationPatient = [float(v) for v in orientation]
        ds.PixelSpacing = [dy, dx]
        ds.SliceThickness = dz
        ds.Rows, ds.Columns = hu.shape[1:]
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
        ds.PixelRepresentation = 0
        ds.RescaleSlope = 1
        ds.RescaleIntercept = -1024
        ds.RescaleType = "HU"
        ds.PixelData = (hu[k] + 1024).astype(np.uint16).tobytes()
        ds.save_as(folder / f"{prefix}{nz - k:03d}.dcm", enforce_file_format=True)
        out.append(ds)
    return out


def write_rtstruct(
    path: Path,
    contours: dict[str, list[np.ndarray]],
    *,
    frame_uid: str,
    study_uid: str,
    kinds: dict[str, str] | None = None,
) -> Path:
    """An RT Structure Set with one ROI per entry (ROI numbers from 1, in order)."""
    sop_uid = generate_uid()
    ds = Dataset()
    ds.file_meta = _file_meta(RTSTRUCT_UID, sop_uid)
    _patient_study(ds, study_uid)
    ds.SOPClassUID = RTSTRUCT_UID
    ds.SOPInstanceUID = sop_uid
    ds.Modality = "RTSTRUCT"
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = 2
    ds.Manufacturer = "radiomix tests"
    ds.StructureSetLabel = "phantom"
    ds.StructureSetDate = "20260101"
    ds.StructureSetTime = "120000"
    frame = Dataset()
    frame.FrameOfReferenceUID = frame_uid
    ds.ReferencedFrameOfReferenceSequence = DicomSequence([frame])
    rois, roi_contours, observations = [], [], []
    for number, (name, polys) in enumerate(contours.items(), start=1):
        roi = Dataset()
        roi.ROINumber = number
        roi.ReferencedFrameOfReferenceUID = frame_uid
        roi.ROIName = name
        roi.ROIGenerationAlgorithm = "MANUAL"
        rois.append(roi)
        items = []
        for poly in polys:
            c = Dataset()
            c.ContourGeometricType = (kinds or {}).get(name, "CLOSED_PLANAR")
            c.NumberOfContourPoints = len(poly)
            c.ContourData = [f"{v:.6f}" for v in np.asarray(poly).ravel()]
            items.append(c)
        rc = Dataset()
        rc.ReferencedROINumber = number
        rc.ROIDisplayColor = [255, 0, 0]
        rc.ContourSequence = DicomSequence(items)
        roi_contours.append(rc)
        obs = Dataset()
        obs.ObservationNumber = number
        obs.ReferencedROINumber = number
        obs.RTROIInterpretedType = "GTV"
        obs.ROIInterpreter = ""
        observations.append(obs)
    ds.StructureSetROISequence = DicomSequence(rois)
    ds.ROIContourSequence = DicomSequence(roi_contours)
    ds.RTROIObservationsSequence = DicomSequence(observations)
    ds.save_as(path, enforce_file_format=True)
    return path


def write_seg(
    path: Path,
    sources: list[Dataset],
    segments: dict[str, np.ndarray],
    *,
    fractional: bool = False,
) -> Path:
    """A highdicom SEG of ``segments`` (label -> (z, y, x) array, bool or fractions)."""
    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=i,
            segment_label=label,
            segmented_property_category=codes.SCT.Tissue,
            segmented_property_type=codes.SCT.Tissue,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        )
        for i, label in enumerate(segments, start=1)
    ]
    stack = np.stack(list(segments.values()), axis=-1)
    seg = hd.seg.Segmentation(
        source_images=sources,
        pixel_array=stack.astype(np.float32) if fractional else stack.astype(np.uint8),
        segmentation_type=(
            hd.seg.SegmentationTypeValues.FRACTIONAL
            if fractional
            else hd.seg.SegmentationTypeValues.BINARY
        ),
        segment_descriptions=descriptions,
        series_instance_uid=generate_uid(),
        series_number=3,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="radiomix tests",
        manufacturer_model_name="phantom",
        software_versions="1",
        device_serial_number="1",
        max_fractional_value=255,
    )
    seg.save_as(path)
    return path


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("dicom_case")
    frame_uid, study_uid = generate_uid(), generate_uid()
    sources = write_ct(root / "CT", phantom_hu(), frame_uid=frame_uid, study_uid=study_uid)
    rs = write_rtstruct(
        root / "RS.dcm", phantom_contours(), frame_uid=frame_uid, study_uid=study_uid
    )
    seg = write_seg(root / "SEG.dcm", sources, {"GTV": truth_gtv(), "Node": truth_node()})
    return {
        "root": root,
        "ct": root / "CT",
        "rs": rs,
        "seg": seg,
        "frame_uid": frame_uid,
        "study_uid": study_uid,
        "sources": sources,
        "image": read_image(root / "CT"),
    }


# --------------------------------------------------------------------------- CT series


def test_ct_series_geometry_and_hounsfield_units(case: dict) -> None:
    image = case["image"]
    assert image.shape == (NZ, NY, NX)
    np.testing.assert_array_equal(image.array, phantom_hu())
    assert image.spacing == pytest.approx((DZ, DY, DX))
    assert image.origin == pytest.approx(ORIGIN_XYZ[::-1])
    assert image.metadata["frame_of_reference_uid"] == case["frame_uid"]
    assert len(image.metadata["sop_instance_uids"]) == NZ
    assert image.metadata["sop_instance_uids"][3] == case["sources"][3].SOPInstanceUID
    assert image.metadata["diagnostics"]["dicom_slice_spacing_uniform"] == 1.0
    assert image.metadata["diagnostics"]["dicom_slice_gap_max"] == pytest.approx(DZ)


# --------------------------------------------------------------------------- RTSTRUCT


def test_rtstruct_masks_equal_the_phantom(case: dict) -> None:
    assert rtstruct_roi_names(case["rs"]) == ["GTV", "Node"]
    rois = read_rtstruct(case["rs"], case["image"])
    assert list(rois) == ["GTV", "Node"]
    gtv, node = rois["GTV"], rois["Node"]
    assert gtv.array.dtype == np.bool_
    np.testing.assert_array_equal(gtv.array, truth_gtv())  # ring, hole and island exact
    np.testing.assert_array_equal(node.array, truth_node())
    assert int(gtv.array.sum()) == 8 * (21 * 21 - 8 * 8) + 4
    assert not gtv.array[7, 29, 25]  # inside the hole
    assert gtv.array[ISLAND_SLICE, 29, 25]  # the island in the hole
    assert gtv.spacing == case["image"].spacing
    assert gtv.metadata["roi_name"] == "GTV"
    assert gtv.metadata["roi_number"] == 1


def test_rtstruct_selection(case: dict) -> None:
    image = case["image"]
    assert list(read_rtstruct(case["rs"], image, "Node")) == ["Node"]
    assert list(read_rtstruct(case["rs"], image, ["node", "gtv"])) == ["Node", "GTV"]
    assert list(read_rtstruct(case["rs"], image, 2)) == ["Node"]  # ROI number
    with pytest.raises(LabelNotFoundError, match=r"'PTV' is not in .*'GTV' \(number 1\)"):
        read_rtstruct(case["rs"], image, "PTV")


def test_rtstruct_contours_from_another_grid(case: dict, tmp_path: Path) -> None:
    """Contours drawn on the phantom grid, read onto a finer, shifted grid (same frame)."""
    fine_spacing = (DZ / 2, DY / 2, DX / 2)
    fine_origin = (ORIGIN_XYZ[0] - 3 * DX / 2, ORIGIN_XYZ[1] - 5 * DY / 2, ORIGIN_XYZ[2] - 2.0)
    fine_shape = (2 * NZ + 2, 2 * NY + 6, 2 * NX + 4)
    hu = np.zeros(fine_shape, dtype=np.int32)
    write_ct(
        tmp_path / "fine",
        hu,
        frame_uid=case["frame_uid"],
        study_uid=case["study_uid"],
        origin_xyz=fine_origin,
        spacing_zyx=fine_spacing,
    )
    fine = read_image(tmp_path / "fine")
    rois = read_rtstruct(case["rs"], fine)
    # analytic truth of the ring from the physical positions of the fine voxel centres
    k, j, i = np.indices(fine_shape)
    z = fine_origin[2] + k * fine_spacing[0]
    y = fine_origin[1] + j * fine_spacing[1]
    x = fine_origin[0] + i * fine_spacing[2]

    def inside(box: tuple[int, int, int, int]) -> np.ndarray:
        y0, y1, x0, x1 = box
        return (
            (y >= ORIGIN_XYZ[1] + y0 * DY - 1e-6)
            & (y <= ORIGIN_XYZ[1] + y1 * DY + 1e-6)
            & (x >= ORIGIN_XYZ[0] + x0 * DX - 1e-6)
            & (x <= ORIGIN_XYZ[0] + x1 * DX + 1e-6)
        )

    # planes every 2 mm extruded +-1 mm (ties go to the upper plane): slices 5..12 -> z range
    z_lo = ORIGIN_XYZ[2] + GTV_SLICES[0] * DZ - DZ / 2
    z_hi = ORIGIN_XYZ[2] + GTV_SLICES[-1] * DZ + DZ / 2
    in_slab = (z >= z_lo - 1e-6) & (z <= z_hi + 1e-6)
    island_z = ORIGIN_XYZ[2] + ISLAND_SLICE * DZ
    # slice 8's contours cover [z8 - 1, z8 + 1): the tie at z8 + 1 belongs to slice 9
    island_slab = (z >= island_z - DZ / 2 - 1e-6) & (z < island_z + DZ / 2 - 1e-6)
    expected = in_slab & inside(OUTER) & ~inside(HOLE)
    expected |= island_slab & inside(ISLAND)
    np.testing.assert_array_equal(rois["GTV"].array, expected)
    # the fine voxels at the phantom's voxel centres reproduce the phantom exactly
    at_centres = rois["Node"].array[2 : 2 * NZ + 2 : 2, 5 : 5 + 2 * NY : 2, 3 : 3 + 2 * NX : 2]
    np.testing.assert_array_equal(at_centres, truth_node())
    np.testing.assert_array_equal(
        rois["GTV"].array[2 : 2 * NZ + 2 : 2, 5 : 5 + 2 * NY : 2, 3 : 3 + 2 * NX : 2], truth_gtv()
    )


def test_rtstruct_contours_between_image_slices(case: dict, tmp_path: Path) -> None:
    """An image whose slices sit 0.6 mm off the contour planes takes the nearest plane."""
    shifted = (ORIGIN_XYZ[0], ORIGIN_XYZ[1], ORIGIN_XYZ[2] + 0.6)
    write_ct(
        tmp_path / "shifted",
        phantom_hu(),
        frame_uid=case["frame_uid"],
        study_uid=case["study_uid"],
        origin_xyz=shifted,
    )
    rois = read_rtstruct(case["rs"], read_image(tmp_path / "shifted"))
    np.testing.assert_array_equal(rois["GTV"].array, truth_gtv())


def test_rtstruct_wrong_frame_of_reference(case: dict, tmp_path: Path) -> None:
    other = write_rtstruct(
        tmp_path / "other.dcm",
        phantom_contours(),
        frame_uid=generate_uid(),
        study_uid=case["study_uid"],
    )
    with pytest.raises(GeometryMismatchError, match="frame of reference"):
        read_rtstruct(other, case["image"])
    with pytest.raises(GeometryMismatchError, match="frame of reference"):
        read_rois(other, case["image"], select="GTV")


def test_rtstruct_empty_and_open_contours(case: dict, tmp_path: Path) -> None:
    far = [_rect_contour(k, OUTER) + np.array([0.0, 0.0, 500.0]) for k in range(3)]
    marker = [_physical(4, np.array([10.0]), np.array([10.0]), GRID)]
    path = write_rtstruct(
        tmp_path / "rs.dcm",
        {"GTV": phantom_contours()["GTV"], "Far": far, "Marker": marker},
        frame_uid=case["frame_uid"],
        study_uid=case["study_uid"],
        kinds={"Marker": "POINT"},
    )
    with pytest.raises(EmptyMaskError, match=r"'Far'.*none covers a voxel centre"):
        read_rtstruct(path, case["image"], "Far")
    with pytest.warns(RoiConversionWarning) as record:
        rois = read_rtstruct(path, case["image"])
    messages = [str(w.message) for w in record]
    assert any("POINT contours enclose no area" in m for m in messages)
    assert any("skipped 2 ROI(s): 'Far'" in m and "'Marker'" in m for m in messages)
    assert list(rois) == ["GTV"]


def test_rtstruct_contour_not_parallel_to_slices(case: dict, tmp_path: Path) -> None:
    tilted = _rect_contour(6, OUTER)
    tilted[:, 2] += np.array([0.0, 0.0, 3.0, 3.0])
    path = write_rtstruct(
        tmp_path / "tilted.dcm",
        {"Tilted": [tilted]},
        frame_uid=case["frame_uid"],
        study_uid=case["study_uid"],
    )
    with pytest.raises(GeometryMismatchError, match="not parallel to the image slices"):
        read_rtstruct(path, case["image"])


# --------------------------------------------------------------------------- SEG


def test_seg_masks_equal_the_phantom(case: dict) -> None:
    assert seg_segment_labels(case["seg"]) == {1: "GTV", 2: "Node"}
    rois = read_seg(case["seg"], case["image"])
    assert list(rois) == ["GTV", "Node"]
    np.testing.assert_array_equal(rois["GTV"].array, truth_gtv())
    np.testing.assert_array_equal(rois["Node"].array, truth_node())
    assert list(read_seg(case["seg"], case["image"], 2)) == ["Node"]
    assert list(read_seg(case["seg"], case["image"], "gtv")) == ["GTV"]
    with pytest.raises(LabelNotFoundError, match=r"1: 'GTV', 2: 'Node'"):
        read_seg(case["seg"], case["image"], 3)


def test_seg_fractional_threshold(case: dict, tmp_path: Path) -> None:
    fractions = np.zeros((NZ, NY, NX), dtype=np.float32)
    fractions[truth_gtv()] = 0.6
    fractions[truth_node()] = 1.0
    fractions[2, 5:9, 5:9] = 0.4  # below 0.5: outside
    path = write_seg(tmp_path / "frac.dcm", case["sources"], {"Soft": fractions}, fractional=True)
    rois = read_seg(path, case["image"])
    np.testing.assert_array_equal(rois["Soft"].array, truth_gtv() | truth_node())


def test_seg_on_another_grid_and_by_source_uid(case: dict, tmp_path: Path) -> None:
    # the SEG lies on the phantom grid; read it onto the finer, shifted grid
    fine_spacing = (DZ / 2, DY / 2, DX / 2)
    fine_origin = (ORIGIN_XYZ[0] - 3 * DX / 2, ORIGIN_XYZ[1] - 5 * DY / 2, ORIGIN_XYZ[2] - 2.0)
    write_ct(
        tmp_path / "fine",
        np.zeros((2 * NZ + 2, 2 * NY + 6, 2 * NX + 4), dtype=np.int32),
        frame_uid=case["frame_uid"],
        study_uid=case["study_uid"],
        origin_xyz=fine_origin,
        spacing_zyx=fine_spacing,
    )
    fine = read_rois(case["seg"], read_image(tmp_path / "fine"))
    sample = fine["Node"].array[2 : 2 * NZ + 2 : 2, 5 : 5 + 2 * NY : 2, 3 : 3 + 2 * NX : 2]
    np.testing.assert_array_equal(sample, truth_node())
    # nearest SEG pixel: the fine voxel half a coarse pixel right of a centre goes to the right
    assert int(fine["GTV"].array.sum()) > 8 * int(truth_gtv().sum()) * 0.9
    # frames without plane positions are placed through their referenced source images
    import pydicom

    ds = pydicom.dcmread(case["seg"])
    for group in ds.PerFrameFunctionalGroupsSequence:
        del group.PlanePositionSequence
    stripped = tmp_path / "stripped.dcm"
    ds.save_as(stripped)
    rois = read_seg(stripped, case["image"])
    np.testing.assert_array_equal(rois["GTV"].array, truth_gtv())
    np.testing.assert_array_equal(rois["Node"].array, truth_node())


def test_seg_wrong_frame_of_reference(case: dict, tmp_path: Path) -> None:
    write_ct(
        tmp_path / "other",
        phantom_hu(),
        frame_uid=generate_uid(),
        study_uid=case["study_uid"],
    )
    with pytest.raises(GeometryMismatchError, match="frame of reference"):
        read_seg(case["seg"], read_image(tmp_path / "other"))


# --------------------------------------------------------------------------- read_rois, extract


def test_read_rois_dispatch(case: dict, tmp_path: Path) -> None:
    image = case["image"]
    by_rt = read_rois(case["rs"], image)
    by_seg = read_rois(case["seg"], image, select=["Node"])
    assert list(by_rt) == ["GTV", "Node"]
    np.testing.assert_array_equal(by_seg["Node"].array, by_rt["Node"].array)
    # a folder holding one RTSTRUCT
    folder = tmp_path / "rtonly"
    folder.mkdir()
    (folder / "structures").write_bytes(case["rs"].read_bytes())
    assert list(read_rois(folder, image, select="GTV")) == ["GTV"]
    # a plain label map keeps working: one mask per label value
    labels = truth_gtv().astype(np.uint8) + 2 * truth_node().astype(np.uint8)
    label_map = Volume(labels, spacing=image.spacing, origin=image.origin)
    rois = read_rois(label_map, image)
    assert list(rois) == ["1", "2"]
    np.testing.assert_array_equal(rois["2"].array, truth_node())
    with pytest.raises(LabelNotFoundError, match="ROI names need an RTSTRUCT or SEG"):
        read_rois(label_map, image, select="GTV")


def test_extract_rows_per_roi(case: dict) -> None:
    table = extract(case["ct"], case["rs"], label=None, case_id="p1")
    assert list(table["roi"]) == ["GTV", "Node"]
    counts = table["diagnostics_int_mask_vox_count_init_roi"].tolist()
    assert counts == [int(truth_gtv().sum()), int(truth_node().sum())]
    assert (table["diagnostics_dicom_slice_spacing_uniform"] == 1.0).all()
    seg_table = extract(case["ct"], case["seg"], label=[2], case_id="p1")
    assert list(seg_table["roi"]) == ["Node"]
    feature = "original_statistics_mean"
    columns = [c for c in table.columns if c.endswith(feature)]
    assert columns, "expected the intensity mean among the features"
    assert seg_table[columns[0]].iloc[0] == pytest.approx(table[columns[0]].iloc[1])
    hu = phantom_hu()
    assert table[columns[0]].iloc[1] == pytest.approx(hu[truth_node()].mean())


def test_cli_extract_with_rtstruct(case: dict, tmp_path: Path) -> None:
    out = tmp_path / "features.csv"
    code = main(["extract", str(case["ct"]), str(case["rs"]), "--label", "GTV", "--out", str(out)])
    assert code == 0
    table = pd.read_csv(out)
    assert list(table["roi"]) == ["GTV"]
    assert table["diagnostics_int_mask_vox_count_init_roi"].iloc[0] == int(truth_gtv().sum())
    both = tmp_path / "both.csv"
    assert (
        main(
            ["extract", str(case["ct"]), str(case["rs"]), "--label", "GTV,Node", "--out", str(both)]
        )
        == 0
    )
    assert list(pd.read_csv(both)["roi"]) == ["GTV", "Node"]


def test_fill_polygon_matches_skimage_on_simple_polygons() -> None:
    """The scanline fill against ``skimage.draw.polygon`` (centre inside or on the boundary)."""
    from skimage.draw import polygon

    from radiomix.io._rtstruct import fill_polygon

    rng = np.random.default_rng(11)
    for trial in range(400):
        n = int(rng.integers(3, 12))
        shape = (int(rng.integers(5, 25)), int(rng.integers(5, 25)))
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))  # star-shaped: a simple polygon
        radii = rng.uniform(1, 12, n)
        pts = rng.uniform(0, 20, 2) + np.column_stack(
            [radii * np.sin(angles), radii * np.cos(angles)]
        )
        if trial % 2 == 0:  # vertices on voxel centres: many boundary cases
            pts = np.rint(pts)
            if len(np.unique(pts, axis=0)) < len(pts):
                continue
        expected = np.zeros(shape, dtype=bool)
        rr, cc = polygon(pts[:, 0], pts[:, 1], shape)
        expected[rr, cc] = True
        np.testing.assert_array_equal(fill_polygon(pts, shape), expected, err_msg=str(pts))


def test_manifest_rows_with_dicom_folders(case: dict, tmp_path: Path) -> None:
    """A manifest row points at a DICOM folder and an RTSTRUCT/SEG file; ROIs become rows."""
    manifest = tmp_path / "cases.csv"
    manifest.write_text(
        "case_id,image,mask,label\n"
        f"p1,{case['ct']},{case['rs']},GTV;Node\n"
        f"p2,{case['ct']},{case['seg']},2\n"
    )
    out = tmp_path / "features.csv"
    assert main(["extract", "--manifest", str(manifest), "--out", str(out), "--jobs", "1"]) == 0
    table = pd.read_csv(out)
    assert list(zip(table["case_id"], table["roi"], strict=True)) == [
        ("p1", "GTV"),
        ("p1", "Node"),
        ("p2", "Node"),
    ]
    counts = table["diagnostics_int_mask_vox_count_init_roi"].tolist()
    assert counts == [int(truth_gtv().sum()), int(truth_node().sum()), int(truth_node().sum())]


def test_seg_labelmap(case: dict, tmp_path: Path) -> None:
    path = tmp_path / "labelmap.dcm"
    labels = truth_gtv().astype(np.uint8) + 2 * truth_node().astype(np.uint8)
    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=i,
            segment_label=label,
            segmented_property_category=codes.SCT.Tissue,
            segmented_property_type=codes.SCT.Tissue,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        )
        for i, label in enumerate(["GTV", "Node"], start=1)
    ]
    hd.seg.Segmentation(
        source_images=case["sources"],
        pixel_array=labels,
        segmentation_type=hd.seg.SegmentationTypeValues.LABELMAP,
        segment_descriptions=descriptions,
        series_instance_uid=generate_uid(),
        series_number=4,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="radiomix tests",
        manufacturer_model_name="phantom",
        software_versions="1",
        device_serial_number="1",
    ).save_as(path)
    rois = read_seg(path, case["image"])
    np.testing.assert_array_equal(rois["GTV"].array, truth_gtv())
    np.testing.assert_array_equal(rois["Node"].array, truth_node())


def test_rtstruct_on_flipped_orientation(case: dict, tmp_path: Path) -> None:
    """Rows and columns running along -y and -x (feet-first prone): contours still land."""
    write_ct(
        tmp_path / "prone",
        phantom_hu(),
        frame_uid=case["frame_uid"],
        study_uid=case["study_uid"],
        orientation=(-1.0, 0.0, 0.0, 0.0, -1.0, 0.0),
    )
    image = read_image(tmp_path / "prone")
    np.testing.assert_allclose(np.diag(image.direction), [1.0, -1.0, -1.0])
    flipped = {
        name: [
            np.column_stack(
                [2 * ORIGIN_XYZ[0] - poly[:, 0], 2 * ORIGIN_XYZ[1] - poly[:, 1], poly[:, 2]]
            )
            for poly in polys
        ]
        for name, polys in phantom_contours().items()
    }
    path = write_rtstruct(
        tmp_path / "rs.dcm", flipped, frame_uid=case["frame_uid"], study_uid=case["study_uid"]
    )
    rois = read_rtstruct(path, image)
    np.testing.assert_array_equal(rois["GTV"].array, truth_gtv())
    np.testing.assert_array_equal(rois["Node"].array, truth_node())
    # the unflipped contours are mirrored through the origin: they miss the image entirely
    with pytest.raises(EmptyMaskError, match="none covers a voxel centre"):
        read_rtstruct(case["rs"], image, "GTV")
