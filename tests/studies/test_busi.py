"""BUSI cohort: loader and its bad-input paths, duplicate audit, ring, bundled sample."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy import ndimage

import radiomix
from radiomix.errors import ConfigError
from radiomix.studies.busi import (
    PHASH_THRESHOLD,
    audit_duplicates,
    merge_masks,
    peritumoral_ring,
    prepare_cohort,
    scan_cohort,
)
from tests.conftest import require_shared

SAMPLE = Path(str(resources.files("radiomix") / "data" / "busi_sample"))


def _scan_like(seed: int, shape: tuple[int, int] = (120, 160)) -> np.ndarray:
    """A smooth random 'scan' with a dark lesion: structure that perceptual hashes see."""
    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.normal(size=shape), 6)
    field = (field - field.min()) / (field.max() - field.min())
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    cy, cx = rng.integers(30, shape[0] - 30), rng.integers(30, shape[1] - 30)
    lesion = (yy - cy) ** 2 + (xx - cx) ** 2 < 18**2
    img = 40 + 180 * field
    img[lesion] *= 0.3
    return np.clip(img, 0, 255).astype(np.uint8)


def _disc(shape: tuple[int, int], cy: int, cx: int, r: int) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


def _png(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(path)


def _mask(path: Path, mask: np.ndarray) -> None:
    _png(path, mask.astype(np.uint8) * 255)


@pytest.fixture
def busi_like(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shp = (120, 160)
    for k in range(1, 7):  # benign (1)..(6): one good case each, overwritten below
        _png(root / "benign" / f"benign ({k}).png", _scan_like(k))
        _mask(root / "benign" / f"benign ({k})_mask.png", _disc(shp, 60, 80, 15))
    # (2): two masks -> merged by OR
    _mask(root / "benign" / "benign (2)_mask.png", _disc(shp, 40, 40, 10))
    _mask(root / "benign" / "benign (2)_mask_1.png", _disc(shp, 80, 120, 12))
    # (3): no mask
    (root / "benign" / "benign (3)_mask.png").unlink()
    # (4): mask of another size
    _mask(root / "benign" / "benign (4)_mask.png", _disc((100, 160), 50, 80, 15))
    # (5): corrupt PNG
    (root / "benign" / "benign (5).png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    # (6): empty mask
    _mask(root / "benign" / "benign (6)_mask.png", np.zeros(shp, bool))
    # an orphan mask
    _mask(root / "benign" / "benign (99)_mask.png", _disc(shp, 60, 80, 15))
    for k in range(1, 4):
        _png(root / "malignant" / f"malignant ({k}).png", _scan_like(100 + k))
        _mask(root / "malignant" / f"malignant ({k})_mask.png", _disc(shp, 60, 80, 20))
    # malignant (4) is benign (1) byte for byte: a conflicting cluster
    _png(root / "malignant" / "malignant (4).png", _scan_like(1))
    _mask(root / "malignant" / "malignant (4)_mask.png", _disc(shp, 60, 80, 15))
    # malignant (5) is malignant (1) with a little noise: a near duplicate, same label
    rng = np.random.default_rng(7)
    noisy = _scan_like(101).astype(float) + rng.normal(0, 3, shp)
    _png(root / "malignant" / "malignant (5).png", np.clip(noisy, 0, 255))
    _mask(root / "malignant" / "malignant (5)_mask.png", _disc(shp, 60, 80, 20))
    _png(root / "normal" / "normal (1).png", _scan_like(200))
    _mask(root / "normal" / "normal (1)_mask.png", np.zeros(shp, bool))
    return root


def test_scan_finds_cases_masks_and_orphans(busi_like: Path):
    cohort = scan_cohort(busi_like)
    ids = [c.case_id for c in cohort.cases]
    assert ids[:5] == ["benign (1)", "benign (2)", "benign (4)", "benign (5)", "benign (6)"]
    two = next(c for c in cohort.cases if c.case_id == "benign (2)")
    assert [p.name for p in two.masks] == ["benign (2)_mask.png", "benign (2)_mask_1.png"]
    reasons = {(e.case_id, e.reason) for e in cohort.exclusions}
    assert ("benign (3)", "no mask") in reasons
    assert ("benign (99)", "mask without an image") in reasons
    assert ("normal (1)", "class outside the task") in reasons
    assert cohort.class_counts == {"benign": 6, "malignant": 5, "normal": 1}


def test_prepare_cohort_records_bad_input_and_goes_on(busi_like: Path, tmp_path: Path):
    out = tmp_path / "run"
    summary = prepare_cohort(busi_like, out)
    by_case = {e["case_id"]: e["reason"] for e in summary["exclusions"]}
    assert by_case["benign (3)"] == "no mask"
    assert by_case["benign (4)"] == "mask size differs"
    assert by_case["benign (5)"] == "unreadable image"
    assert by_case["benign (6)"] == "empty mask"
    assert by_case["normal (1)"] == "class outside the task"
    # benign (1) and malignant (4) are one scan with two labels: both dropped
    assert by_case["benign (1)"] == "conflicting duplicate cluster"
    assert by_case["malignant (4)"] == "conflicting duplicate cluster"
    assert [c["members"] for c in summary["conflicting_clusters_dropped"]] == [
        ["benign (1)", "malignant (4)"]
    ]
    manifest = pd.read_csv(out / "manifest.csv")
    assert list(manifest.columns[:5]) == ["case_id", "image", "mask", "outcome", "group"]
    assert set(manifest.case_id) == {
        "benign (2)",
        "malignant (1)",
        "malignant (2)",
        "malignant (3)",
        "malignant (5)",
    }
    assert summary["included"] == {"malignant": 4, "benign": 1}
    # the near duplicate shares its group; the others have their own
    g = dict(zip(manifest.case_id, manifest.group, strict=True))
    assert g["malignant (1)"] == g["malignant (5)"]
    assert len({g["malignant (1)"], g["malignant (2)"], g["malignant (3)"], g["benign (2)"]}) == 4
    # the two masks of benign (2) were merged into a new file the manifest points to
    assert summary["masks"]["images_with_several_masks"] == 1
    assert summary["masks"]["masks_combined"] == 2
    row = manifest.set_index("case_id").loc["benign (2)"]
    merged = np.asarray(Image.open(row["mask"])) > 0
    want = _disc((120, 160), 40, 40, 10) | _disc((120, 160), 80, 120, 12)
    np.testing.assert_array_equal(merged, want)
    assert Path(row["mask"]).parent == out / "masks"
    assert row["outcome"] == 0 and row["n_masks"] == 2
    on_disk = json.loads((out / "cohort_summary.json").read_text())
    assert on_disk["exclusion_counts"]["conflicting duplicate cluster"] == 2
    md = (out / "cohort_summary.md").read_text()
    assert "mask size differs" in md and "yes (dropped)" in md


def test_prepare_cohort_rejects_a_folder_without_the_classes(tmp_path: Path):
    (tmp_path / "x").mkdir()
    with pytest.raises(ConfigError, match="no class folder"):
        prepare_cohort(tmp_path, tmp_path / "run")
    with pytest.raises(ConfigError, match="does not exist"):
        scan_cohort(tmp_path / "missing")


def test_merge_policies():
    a = _disc((50, 50), 15, 15, 8)
    b = _disc((50, 50), 35, 35, 4)
    np.testing.assert_array_equal(merge_masks([a, b], "merge"), a | b)
    np.testing.assert_array_equal(merge_masks([a, b], "largest"), a)
    np.testing.assert_array_equal(merge_masks([b, a], "first"), b)
    with pytest.raises(ConfigError):
        merge_masks([a], "union")


def test_audit_exact_near_and_distinct():
    base = _scan_like(1, (200, 260))
    h, w = base.shape
    rng = np.random.default_rng(3)
    crop = np.asarray(
        Image.fromarray(base[4 : h - 4, 5 : w - 5]).resize((w, h), Image.Resampling.BILINEAR)
    )
    images = {
        "a": base,
        "a_copy": base.copy(),
        "a_noise": np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8),
        "a_contrast": np.clip(0.8 * base.astype(float) + 20, 0, 255).astype(np.uint8),
        "a_crop": crop,
        "b": _scan_like(2, (200, 260)),
        "c": _scan_like(3, (200, 260)),
    }
    labels = dict.fromkeys(images, 0)
    audit = audit_duplicates(images, labels)
    kinds = {(p["a"], p["b"]): p["kind"] for p in audit.pairs}
    assert kinds[("a", "a_copy")] == "exact"
    assert kinds[("a", "a_noise")] == "near"
    for p in audit.pairs:
        assert p["phash_distance"] <= PHASH_THRESHOLD
    groups = audit.groups
    assert len({groups[k] for k in ("a", "a_copy", "a_noise", "a_contrast", "a_crop")}) == 1
    assert len({groups["a"], groups["b"], groups["c"]}) == 3
    assert [c["members"] for c in audit.clusters] == [
        ["a", "a_contrast", "a_copy", "a_crop", "a_noise"]
    ]
    assert audit.conflicting == []
    labels["a_noise"] = 1
    assert audit_duplicates(images, labels).conflicting[0]["labels"] == [0, 1]


def test_peritumoral_ring():
    m = _disc((101, 101), 50, 50, 20)
    ring = peritumoral_ring(m, 5)
    assert not (ring & m).any()
    dist = ndimage.distance_transform_edt(~m)
    np.testing.assert_array_equal(ring, (dist > 0) & (dist <= 5))
    assert ring.sum() == pytest.approx(np.pi * (25**2 - 20**2), rel=0.05)
    with pytest.raises(ConfigError):
        peritumoral_ring(m, 0)


def test_bundled_sample_cohort(tmp_path: Path):
    summary = prepare_cohort(SAMPLE, tmp_path / "run")
    assert summary["images_found"] == {"benign": 20, "malignant": 12, "normal": 2}
    assert summary["included"] == {"malignant": 12, "benign": 20}
    assert summary["exclusion_counts"] == {"class outside the task": 2}
    assert summary["masks"]["images_with_several_masks"] == 1
    assert summary["duplicates"]["n_pairs"] == 0
    assert (SAMPLE / "README.md").read_text().count("10.1016/j.dib.2019.104863") == 1


def test_bundled_sample_extracts_with_the_ultrasound_preset(tmp_path: Path):
    prepare_cohort(SAMPLE, tmp_path / "run")
    manifest = pd.read_csv(tmp_path / "run" / "manifest.csv")
    rows = []
    for r in manifest[manifest.case_id.isin(["benign (100)", "malignant (3)"])].itertuples():
        rows.append(radiomix.extract(r.image, r.mask, config="ultrasound-2d", case_id=r.case_id))
    table = pd.concat(rows, ignore_index=True)
    feats = [c for c in table.columns if c.startswith("original_")]
    assert len(feats) > 150
    assert not any(c.startswith("original_morphology_") and "_2d_" not in c for c in feats)
    assert not any("local_intensity" in c or "_ivh_" in c for c in feats)
    assert table.filter(like="original_morphology_2d").notna().all().all()
    # the merged mask of benign (100) holds both lesions (pixel-wise OR of its two masks)
    row = manifest.set_index("case_id").loc["benign (100)"]
    union = np.logical_or.reduce(
        [np.asarray(Image.open(p)) > 0 for p in (SAMPLE / "benign").glob("benign (100)_mask*.png")]
    )
    area = table.set_index("case_id").loc["benign (100)", "original_morphology_2d_area_pix"]
    assert area == union.sum()
    assert Path(row["mask"]).exists()


@pytest.mark.slow
def test_full_busi_cohort(tmp_path: Path):
    data = require_shared("data", "busi")
    summary = prepare_cohort(data, tmp_path / "run")
    assert summary["images_found"] == {"benign": 437, "malignant": 210, "normal": 133}
    assert summary["masks"]["images_with_several_masks"] == 17  # 16 benign + 1 malignant
    conflicting = [set(c["members"]) for c in summary["conflicting_clusters_dropped"]]
    assert {"benign (433)", "malignant (145)"} in conflicting
    exact = [(p["a"], p["b"]) for p in summary["duplicates"]["pairs"] if p["kind"] == "exact"]
    assert ("benign (433)", "malignant (145)") in exact
    # the 8 cross-class copies found by eye (docs/busi.md) are all caught, in 6 clusters
    assert len(conflicting) == 6
    assert summary["included"] == {"malignant": 204, "benign": 429}
