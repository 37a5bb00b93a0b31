"""Several images per case: a CT-like and a PET-like volume on different grids, one mask.

The phantom is analytic: an ellipsoidal lesion defined in physical space (mm), sampled at the
voxel centres of each grid, so the lesion "drawn" on the PET grid is known without any
interpolation and the carried mask can be compared with it (Dice). A known rigid motion of
the PET scan (written as an ITK transform file with SimpleITK) checks the transform column.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radiomix.cli.main import main
from radiomix.compat.params import settings_from_params
from radiomix.errors import ConfigError, EmptyMaskError, ManifestError
from radiomix.extraction.api import extract
from radiomix.extraction.batch import extract_batch, run_batch
from radiomix.extraction.manifest import read_manifest
from radiomix.extraction.multimodal import carry_mask, extract_multimodal, prefixed
from radiomix.extraction.settings import load_config
from radiomix.io import read_image, read_mask
from radiomix.register import propagate
from tests.batch.conftest import assert_tables_identical

CT_SHAPE, CT_SPACING = (20, 40, 40), (2.0, 1.25, 1.25)  # (z, y, x), mm
PET_SHAPE, PET_SPACING = (14, 26, 26), (3.0, 2.0, 2.0)
PET_OFFSET = (0.7, -0.9, 1.1)  # (x, y, z) mm: the PET grid is not the CT grid shifted by voxels
CENTRE, AXES = np.array([3.0, -2.0, 1.0]), np.array([10.0, 7.0, 6.0])  # (x, y, z) mm

#: one cheap family each; the PET modality gets its own settings in some tests
CT_CFG = {"features": {"families": ["statistics", "glcm"]}}
PET_CFG = {"features": {"families": ["statistics"]}}

#: a rigid motion of the PET scan: rotations (rad) about x, y, z and a translation (mm)
ANGLES, SHIFT = (0.10, -0.06, 0.15), (4.0, -3.0, 2.0)


def _grid(shape, spacing, offset=(0.0, 0.0, 0.0)):
    size = np.array(shape[::-1])
    sp = np.array(spacing[::-1], float)
    origin = -(size - 1) * sp / 2 + np.asarray(offset)
    return size, sp, origin


def _points(size, sp, origin):
    """Physical (x, y, z) of every voxel centre, arrays in (z, y, x) order."""
    k, j, i = np.meshgrid(*[np.arange(n) for n in size[::-1]], indexing="ij")
    return origin[0] + sp[0] * i, origin[1] + sp[1] * j, origin[2] + sp[2] * k


def _r2(x, y, z):
    return sum(((c - m) / a) ** 2 for c, m, a in zip((x, y, z), CENTRE, AXES, strict=True))


def _write(arr, grid, path: Path) -> Path:
    _size, sp, origin = grid
    im = sitk.GetImageFromArray(arr)
    im.SetSpacing(sp.tolist())
    im.SetOrigin(origin.tolist())
    sitk.WriteImage(im, str(path))
    return path


def rigid() -> sitk.Euler3DTransform:
    """The CT -> PET transform (fixed = CT, moving = PET), as ``radiomix register`` writes it."""
    t = sitk.Euler3DTransform()
    t.SetRotation(*ANGLES)
    t.SetTranslation(SHIFT)
    return t


def write_case(
    folder: Path, name: str, seed: int = 0, *, moved: bool = False, bright: float = 0.0
) -> dict[str, Path]:
    """CT, PET, the CT mask (label 1: the lesion; label 2: a small box beside it) and the
    lesion drawn on the PET grid (the truth). ``moved``: the PET scan moved by
    :func:`rigid` (the PET voxel at ``y`` shows the CT-space point ``T^-1(y)``)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    ct_grid = _grid(CT_SHAPE, CT_SPACING)
    x, y, z = _points(*ct_grid)
    r2 = _r2(x, y, z)
    lesion = r2 <= 1
    ct = 40 + (30 + bright) * lesion + 2 * (x - CENTRE[0]) * lesion + rng.normal(0, 5, r2.shape)
    mask = lesion.astype(np.uint8)
    box = (np.abs(x + 14) <= 4) & (np.abs(y - 10) <= 4) & (np.abs(z) <= 6)
    mask[box] = 2
    ct[box] += 15
    pet_grid = _grid(PET_SHAPE, PET_SPACING, PET_OFFSET)
    x, y, z = _points(*pet_grid)
    if moved:
        inv = rigid().GetInverse()
        pts = np.stack([x.ravel(), y.ravel(), z.ravel()], axis=1)
        back = np.array([inv.TransformPoint(tuple(p)) for p in pts.tolist()])
        x, y, z = (back[:, k].reshape(x.shape) for k in range(3))
    r2 = _r2(x, y, z)
    pet = 1 + (6 + bright / 10) * np.clip(1 - r2, 0, None) + rng.normal(0, 0.2, r2.shape)
    return {
        "ct": _write(ct.astype(np.float32), ct_grid, folder / f"{name}_ct.nii.gz"),
        "pet": _write(pet.astype(np.float32), pet_grid, folder / f"{name}_pet.nii.gz"),
        "mask": _write(mask, ct_grid, folder / f"{name}_mask.nii.gz"),
        "truth": _write((r2 <= 1).astype(np.uint8), pet_grid, folder / f"{name}_truth.nii.gz"),
    }


def same(table: pd.DataFrame, single: pd.DataFrame, cols: list[str], mod: str = "") -> None:
    """``table``'s columns of ``mod`` equal ``single``'s ``cols`` exactly (NaN where NaN)."""
    got = table[[prefixed(c, mod) for c in cols] if mod else cols].reset_index(drop=True)
    want = single[cols].reset_index(drop=True)
    if mod:
        want.columns = got.columns
    pd.testing.assert_frame_equal(got, want, check_exact=True, check_dtype=False)


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return float(2 * np.sum(a & b) / (np.sum(a) + np.sum(b)))


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> dict[str, Path]:
    return write_case(tmp_path_factory.mktemp("mm"), "p0")


@pytest.fixture(scope="module")
def moved(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("mm_moved")
    files = write_case(folder, "p0", moved=True)
    sitk.WriteTransform(rigid(), str(folder / "ct2pet.tfm"))
    files["transform"] = folder / "ct2pet.tfm"
    return files


def _carried(files, transform=None, interpolation="nearest"):
    return carry_mask(
        read_mask(files["mask"]),
        read_image(files["ct"]),
        read_image(files["pet"]),
        transform,
        interpolation=interpolation,
    )


# -- the carried mask -------------------------------------------------------------------------


def test_mask_carried_by_geometry_matches_the_lesion_drawn_on_the_pet_grid(case) -> None:
    truth = read_mask(case["truth"]).array > 0
    pet = read_image(case["pet"])
    for interpolation, floor in (("nearest", 0.88), ("linear", 0.93)):
        carried = _carried(case, interpolation=interpolation)
        assert carried.array.shape == PET_SHAPE
        assert carried.spacing == pet.spacing and carried.origin == pet.origin
        assert sorted(np.unique(carried.array)) == [0, 1, 2]  # labels kept
        d = dice(carried.array == 1, truth)
        assert d >= floor, (interpolation, d)  # measured: 0.904 nearest, 0.950 linear
    # the same lesion on the CT grid, compared as drawn there: the mask itself
    assert dice(read_mask(case["mask"]).array == 1, read_mask(case["mask"]).array == 1) == 1.0


def test_rigid_transform_carries_the_mask_onto_the_moved_scan(moved) -> None:
    truth = read_mask(moved["truth"]).array > 0
    with_t = dice(_carried(moved, moved["transform"]).array == 1, truth)
    without = dice(_carried(moved).array == 1, truth)
    wrong_way = dice(_carried(moved, rigid().GetInverse()).array == 1, truth)
    assert with_t >= 0.9, with_t  # measured 0.928
    assert without < 0.6 and wrong_way < 0.3, (without, wrong_way)  # measured 0.51, 0.16


# -- features per modality ----------------------------------------------------------------------


def test_features_per_modality_equal_single_image_extraction(case) -> None:
    table = extract_multimodal(
        {"ct": case["ct"], "pet": case["pet"]},
        case["mask"],
        settings=CT_CFG,
        modality_settings={"pet": PET_CFG},
        case_id="p0",
    )
    assert table["roi"].tolist() == ["1", "2"]
    assert table["case_id"].tolist() == ["p0", "p0"]
    ct = extract(case["ct"], case["mask"], config=CT_CFG, case_id="p0")
    pet = extract(read_image(case["pet"]), _carried(case), config=PET_CFG, case_id="p0")
    for mod, single in (("ct", ct), ("pet", pet)):
        cols = [c for c in single.columns if c not in ("case_id", "roi")]
        assert cols
        same(table, single, cols, mod)
    names = [c for c in table.columns if not c.startswith("diagnostics_")]
    assert "ct_original_glcm_contrast" in names or any(
        c.startswith("ct_original_glcm_") for c in names
    )
    assert "pet_original_statistics_mean" in names
    assert not any(c.startswith("pet_original_glcm_") for c in names)  # PET: its own settings
    assert "diagnostics_pet_int_mask_vox_count_init_roi" in table.columns
    # PET lesion brighter than the box (label 2) on PET, as drawn
    mean = table.set_index("roi")["pet_original_statistics_mean"]
    assert mean["1"] > 3 * mean["2"] / 2


# -- manifests and batches ----------------------------------------------------------------------


def _wide_manifest(folder: Path, cases: dict[str, dict[str, Path]], **extra) -> Path:
    rows = []
    for cid, files in cases.items():
        row = {
            "case_id": cid,
            "image_ct": files["ct"].relative_to(folder).as_posix(),
            "image_pet": files["pet"].relative_to(folder).as_posix(),
            "mask": files["mask"].relative_to(folder).as_posix(),
        }
        if "transform" in files:
            row["transform_pet"] = files["transform"].relative_to(folder).as_posix()
        row.update({k: v[cid] for k, v in extra.items()})
        rows.append(row)
    path = folder / "cases.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _long(wide: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, r in wide.iterrows():
        for mod in ("ct", "pet"):
            row = {"case_id": r["case_id"], "modality": mod, "image": r[f"image_{mod}"]}
            row["mask"] = r["mask"] if mod == "ct" else ""
            if f"transform_{mod}" in r:
                row["transform"] = r[f"transform_{mod}"]
            row.update({k: r[k] for k in wide.columns if k in ("label", "site")})
            rows.append(row)
    return pd.DataFrame(rows)


def test_wide_and_long_manifests_give_the_same_table(tmp_path) -> None:
    folder = tmp_path
    cases = {"a": write_case(folder / "data", "a", 1), "b": write_case(folder / "data", "b", 2)}
    wide = _wide_manifest(folder, cases, label={"a": "1", "b": "1,2"}, site={"a": "X", "b": "Y"})
    long = folder / "long.csv"
    _long(pd.read_csv(wide, dtype=str)).to_csv(long, index=False)
    m_wide = read_manifest(wide, multi_image=True)
    m_long = read_manifest(long, multi_image=True)
    assert (m_wide.layout, m_long.layout) == ("multi-wide", "multi-long")
    assert m_wide.modalities == m_long.modalities == ("ct", "pet")
    assert [replace(c, row=0) for c in m_wide.cases] == [replace(c, row=0) for c in m_long.cases]
    assert [c.row for c in m_long.cases] == [1, 3]  # the first row of each case
    config = load_config(CT_CFG)
    pet = {"pet": load_config(PET_CFG)}
    r_wide = run_batch(m_wide, config, modality_settings=pet)
    r_long = run_batch(m_long, config, modality_settings=pet)
    assert r_wide.n_failed == 0, r_wide.errors
    pd.testing.assert_frame_equal(r_wide.table, r_long.table)
    t = r_wide.table
    assert t[["case_id", "roi"]].values.tolist() == [["a", "1"], ["b", "1"], ["b", "2"]]
    assert t.columns[:3].tolist() == ["case_id", "roi", "site"]
    for col in ("image_ct", "image_pet", "transform_pet", "mask", "mask_on"):
        assert f"provenance_{col}" in t.columns, col
    assert t["provenance_mask_on"].tolist() == ["ct"] * 3
    assert "provenance_settings_hash_pet" in t.columns
    # one case's values equal the single-case function's
    one = extract_multimodal(
        {"ct": cases["b"]["ct"], "pet": cases["b"]["pet"]},
        cases["b"]["mask"],
        settings=CT_CFG,
        modality_settings={"pet": PET_CFG},
        label=[1, 2],
        case_id="b",
    )
    cols = [c for c in one.columns if c not in ("case_id", "roi")]
    same(t.iloc[1:], one, cols)


def test_transform_column_and_mask_drawn_on_the_second_image(tmp_path, moved) -> None:
    folder = moved["ct"].parent
    manifest = _wide_manifest(folder, {"m": moved})
    result = extract_batch(manifest, CT_CFG, label="1")
    assert result.n_failed == 0, result.errors
    carried = propagate(moved["mask"], moved["ct"], moved["pet"], moved["transform"])
    pet = extract(read_image(moved["pet"]), carried, config=CT_CFG, label=1)
    cols = [c for c in pet.columns if c not in ("case_id", "roi")]
    same(result.table, pet, cols, "pet")
    assert result.table["provenance_transform_pet"].tolist() == ["ct2pet.tfm"]
    # the mask drawn on PET instead (mask_on = pet), carried onto the CT grid by geometry
    data = tmp_path / "data"
    files = write_case(data, "q")
    frame = pd.DataFrame(
        [
            {
                "case_id": "q",
                "image_ct": files["ct"].as_posix(),
                "image_pet": files["pet"].as_posix(),
                "mask": files["truth"].as_posix(),
                "mask_on": "pet",
            }
        ]
    )
    frame.to_csv(tmp_path / "on_pet.csv", index=False)
    r = extract_batch(tmp_path / "on_pet.csv", PET_CFG, mask_interpolation="linear")
    assert r.n_failed == 0, r.errors
    on_ct = carry_mask(
        read_mask(files["truth"]),
        read_image(files["pet"]),
        read_image(files["ct"]),
        interpolation="linear",
    )
    lesion_ct = read_mask(files["mask"]).array == 1
    assert dice(on_ct.array > 0, lesion_ct) >= 0.85  # PET (coarse) -> CT (fine)
    ct = extract(files["ct"], on_ct, config=PET_CFG)
    assert r.table["ct_original_statistics_mean"].iloc[0] == ct["original_statistics_mean"].iloc[0]


def test_worker_processes_give_the_same_table(tmp_path) -> None:
    """The multi-image task pickles: two local worker processes, the same table bit for bit."""
    cases = {f"w{i}": write_case(tmp_path / "data", f"w{i}", i) for i in range(2)}
    manifest = _wide_manifest(tmp_path, cases)
    one = extract_batch(manifest, PET_CFG, jobs=1)
    two = extract_batch(manifest, PET_CFG, jobs=2)
    assert one.n_failed == two.n_failed == 0
    assert_tables_identical(one.table, two.table)


def test_bad_cases_are_recorded_and_the_others_go_on(tmp_path) -> None:
    data = tmp_path / "data"
    good = write_case(data, "good", 1)
    rows = [
        {"case_id": "good", "image_ct": good["ct"], "image_pet": good["pet"], "mask": good["mask"]},
        # PET image missing
        {"case_id": "nopet", "image_ct": good["ct"], "image_pet": data / "x.nii.gz"},
        # PET cell empty
        {"case_id": "emptycell", "image_ct": good["ct"], "image_pet": ""},
        # PET file unreadable
        {"case_id": "corrupt", "image_ct": good["ct"], "image_pet": data / "bad.nii.gz"},
        # a PET scan far away from the CT: no overlap
        {"case_id": "far", "image_ct": good["ct"], "image_pet": data / "far.nii.gz"},
        # a transform file that is not one
        {
            "case_id": "badtfm",
            "image_ct": good["ct"],
            "image_pet": good["pet"],
            "transform_pet": data / "bad.tfm",
        },
    ]
    for r in rows[1:]:
        r["mask"] = good["mask"]
    (data / "bad.nii.gz").write_bytes(b"not an image at all")
    (data / "bad.tfm").write_text("#Insight Transform File V1.0\nTransform: Nonsense\n")
    far = sitk.ReadImage(str(good["pet"]))
    far.SetOrigin((500.0, 0.0, 0.0))
    sitk.WriteImage(far, str(data / "far.nii.gz"))
    pd.DataFrame(rows).to_csv(tmp_path / "cases.csv", index=False)
    result = extract_batch(tmp_path / "cases.csv", PET_CFG, label="1")
    assert result.table["case_id"].unique().tolist() == ["good"]
    errors = result.errors.set_index("case_id")
    assert errors.index.tolist() == ["nopet", "emptycell", "corrupt", "far", "badtfm"]
    msg = errors["message"]
    assert "pet image" in msg["nopet"] and "does not exist" in msg["nopet"]
    assert "pet: no image" in msg["emptycell"]
    assert msg["corrupt"].startswith("pet: ")
    assert errors.loc["far", "error_type"] == "EmptyMaskError"
    assert "case 'far'" in msg["far"] and "pet image's grid" in msg["far"]
    assert "not an ITK transform file" in msg["badtfm"] and msg["badtfm"].startswith("pet")
    assert errors.loc["good" if False else "nopet", "image"].startswith("ct=")
    with pytest.raises(EmptyMaskError, match="pet image's grid"):
        extract_multimodal(
            {"ct": good["ct"], "pet": data / "far.nii.gz"}, good["mask"], settings=PET_CFG
        )


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("case_id,image_ct,image_pet,mask,mask_on\na,c,p,m,mr\n", "mask_on 'mr' is not one"),
        ("case_id,image_ct,mask,transform_pet\na,c,m,t\n", "name no image column"),
        ("case_id,image_ct,image_pet,mask,transform_ct\na,c,p,m,t\n", "drawn on ct"),
        ("case_id,image_ct,image_p_t,mask\na,c,p,m\n", "letters, digits"),
        ("case_id,image_ct,image_pet\na,c,p\n", r"lacks the column\(s\) \['mask'\]"),
        ("case_id,modality,image,mask\na,ct,c,m\na,pet,p,m\n", "give a mask_on column"),
        ("case_id,modality,image,mask\na,ct,c,m\na,pet,p,n\n", "several masks"),
        ("case_id,modality,image,mask\na,ct,c,\na,pet,p,\n", "no mask"),
        ("case_id,modality,image,mask\na,ct,c,m\na,ct,p,\n", "'ct' appears twice"),
        ("case_id,modality,image,mask\na,ct,c,m\nb,pet,p,m\n", "no row for modality"),
        ("case_id,modality,image,mask,mask_on\na,ct,c,m,mr\na,pet,p,,mr\n", "mask_on 'mr'"),
        ("case_id,modality,image,mask,site\na,ct,c,m,X\na,pet,p,,Y\n", "'site' differs"),
    ],
)
def test_bad_multi_image_manifests(tmp_path, text, match) -> None:
    path = tmp_path / "m.csv"
    path.write_text(text)
    with pytest.raises(ManifestError, match=match):
        read_manifest(path, multi_image=True)


def test_single_image_readers_refuse_and_options_checked(tmp_path, case) -> None:
    path = tmp_path / "m.csv"
    path.write_text("case_id,image_ct,image_pet,mask\na,c,p,m\n")
    with pytest.raises(ManifestError, match="read by radiomix extract"):
        read_manifest(path)
    # a modality column in a one-image manifest is carried unless multi_image is asked for
    path.write_text("case_id,image,mask,modality\na,c,m,CT\n")
    assert read_manifest(path).carried_columns == ("modality",)
    path.write_text(
        f"case_id,image_ct,image_pet,mask\na,{case['ct']},{case['pet']},{case['mask']}\n"
    )
    with pytest.raises(ConfigError, match="modality mr"):
        extract_batch(path, PET_CFG, modality_config={"mr": PET_CFG})
    with pytest.raises(ConfigError, match="mask interpolation 'cubic'"):
        extract_batch(path, PET_CFG, mask_interpolation="cubic")


def test_long_table_has_a_modality_column(tmp_path, case) -> None:
    """The long table (``--params``, the ``pyradiomics`` profile) of a multi-image batch."""
    manifest = _wide_manifest(case["ct"].parent, {"p0": case})
    params = tmp_path / "p.yaml"
    params.write_text("featureClass:\n  firstorder:\n")
    out = tmp_path / "long.csv"
    argv = ["extract", "--manifest", str(manifest), "--params", str(params), "--format", "long"]
    assert main([*argv, "--out", str(out), "--jobs", "1", "--no-cache", "--quiet"]) == 0
    long = pd.read_csv(out, dtype={"roi": str})
    assert long.columns[:3].tolist() == ["case_id", "roi", "modality"]
    assert set(long["modality"].fillna("")) == {"", "ct", "pet"}
    assert (long.loc[long["modality"].isna(), "family"] == "provenance").all()
    mean = long.set_index(["modality", "feature"])["value"]
    settings = settings_from_params(params)
    wide = extract_multimodal(
        {"ct": case["ct"], "pet": case["pet"]}, case["mask"], settings=settings
    )
    for mod in ("ct", "pet"):
        key = (mod, "original_firstorder_Mean")
        assert mean[key] == wide[f"{mod}_original_firstorder_Mean"].iloc[0], mod


# -- the command line: extract -> delta -> train --------------------------------------------

STUDY_YAML = """\
name: multimodal-test
primary: lr_l2_mrmr
comparators: []
validation: {outer_folds: 2, inner_folds: 2, repeats: 1, permutations: 0, bootstrap: 100, n_jobs: 1}
models:
  - {name: lr_l2_mrmr, grid: {select__k: [3], clf__C: [1.0]}}
"""


def test_extract_delta_train_round_trip(tmp_path) -> None:
    """8 patients x 2 timepoints x (CT, PET): extract -> delta -> train on the command line."""
    data = tmp_path / "data"
    rows = []
    for p in range(8):
        responder = p % 2
        for t, tp in enumerate(("t0", "t1")):
            shift = (-20.0 if responder else 20.0) * t + 2 * p
            files = write_case(data, f"p{p}_{tp}", seed=10 * p + t, bright=shift)
            rows.append(
                {
                    "case_id": f"p{p}_{tp}",
                    "modality": "ct",
                    "image": files["ct"].relative_to(tmp_path).as_posix(),
                    "mask": files["mask"].relative_to(tmp_path).as_posix(),
                    "patient": f"p{p}",
                    "timepoint": tp,
                    "response": "yes" if responder else "no",
                }
            )
            rows.append({**rows[-1], "modality": "pet", "mask": ""})
            rows[-1]["image"] = files["pet"].relative_to(tmp_path).as_posix()
    manifest = tmp_path / "cases.csv"
    pd.DataFrame(rows).to_csv(manifest, index=False)
    (tmp_path / "ct.yaml").write_text("features: {families: [statistics]}\n")
    (tmp_path / "pet.yaml").write_text(  # SUV-like values: bins of 0.25
        "features: {families: [statistics, histogram]}\n"
        "discretisation: {method: fixed_bin_size, bin_width: 0.25}\n"
    )
    feats = tmp_path / "features.csv"
    argv = ["extract", "--manifest", str(manifest), "--config", str(tmp_path / "ct.yaml")]
    argv += ["--modality-config", f"pet={tmp_path / 'pet.yaml'}", "--label", "1"]
    assert main([*argv, "--out", str(feats), "--jobs", "1", "--quiet"]) == 0
    assert (tmp_path / "features.settings.pet.yaml").is_file()
    table = pd.read_csv(feats)
    assert len(table) == 16
    assert "ct_original_statistics_mean" in table.columns
    assert any(c.startswith("pet_original_histogram_") for c in table.columns)
    assert not any(c.startswith("ct_original_histogram_") for c in table.columns)
    # rerun: every case from the cache, the same table
    assert main([*argv, "--out", str(feats), "--jobs", "1", "--quiet"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(feats), table)
    delta = tmp_path / "delta.csv"
    assert main(["delta", str(feats), "--case-col", "patient", "--out", str(delta)]) == 0
    d = pd.read_csv(delta)
    assert len(d) == 8
    mean = d.set_index("patient")["delta_abs_pet_original_statistics_mean"]
    assert (mean[["p1", "p3", "p5", "p7"]] < 0).all() and (mean[["p0", "p2", "p4", "p6"]] > 0).all()
    study = tmp_path / "study.yaml"
    study.write_text(STUDY_YAML)
    run = tmp_path / "run"
    argv = ["train", str(delta), "--label", "response", "--group", "patient"]
    assert main([*argv, "--config", str(study), "--out", str(run), "--quiet"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["primary"]["n_cases"] == 8
    assert main(["report", str(run), "--out", str(tmp_path / "report.html")]) == 0
    assert "pet_original_statistics" in (run / "selection.csv").read_text()
