"""The JSON API against a real ``radiomix app`` process: answers, one code path, bad input."""

from __future__ import annotations

import base64
import io
import json
import math
import struct
import zlib
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from radiomix.cli.main import main
from tests.app.conftest import write_dicom


@pytest.fixture(scope="module")
def client(app_server):
    with httpx.Client(base_url=app_server.base, timeout=60) as c:
        yield c


def _png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def _image_bytes(busi_case) -> bytes:
    return Path(busi_case[0]).read_bytes()


def _box(busi_case) -> str:
    """A box 10% larger than the reference mask's bounding box (as radiomix segment's docs)."""
    m = np.asarray(Image.open(busi_case[1])) > 0
    ys, xs = np.nonzero(m)
    h, w = m.shape
    dx, dy = round(0.05 * (xs.max() - xs.min())), round(0.05 * (ys.max() - ys.min()))
    x0, y0 = max(0, xs.min() - dx), max(0, ys.min() - dy)
    x1, y1 = min(w - 1, xs.max() + dx), min(h - 1, ys.max() + dy)
    return f"{x0},{y0},{x1},{y1}"


def _cli_probability(run_dir: Path, image: Path, mask: Path, tmp_path: Path) -> float:
    out = tmp_path / "pred.csv"
    assert main(["predict", str(run_dir), str(image), str(mask), "--out", str(out)]) == 0
    return float(pd.read_csv(out)["probability"].iloc[0])


# ------------------------------------------------------------------------- answers


def test_health(client):
    r = client.get("/api/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_model_card(client, app_server):
    card = client.get("/api/model").json()
    assert card["positive_class"] == "malignant"
    assert card["classes"] == {"negative": "benign", "positive": "malignant"}
    assert 0 < card["threshold"] < 1
    assert 0 <= card["metrics"]["auc"] <= 1 and len(card["metrics"]["auc_ci"]) == 2
    assert card["training_cohort"]["n_cases"] == 32
    assert card["training_cohort"]["n_positive"] == 12
    assert "research" in card["intended_use"] and "BUSI" in card["intended_use"]
    assert card["task"] == "malignant vs benign breast ultrasound lesions"
    model = json.loads((app_server.run_dir / "model.json").read_text())
    assert card["model"] == model["name"] and card["model_id"].startswith(model["name"])
    assert len(card["settings_hash"]) == 16
    assert card["explanation"] == "exact linear contributions (log-odds)"


def test_segment_box_is_radiomix_segment(client, busi_case, tmp_path):
    box = _box(busi_case)
    r = client.post("/api/segment", files={"image": _image_bytes(busi_case)}, data={"box": box})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    mask = np.asarray(Image.open(io.BytesIO(r.content)))
    image = np.asarray(Image.open(busi_case[0]))
    assert mask.shape == image.shape[:2] and set(np.unique(mask)) == {0, 255}
    out = tmp_path / "cli.png"
    args = ["segment", str(busi_case[0]), "--box", box, "--out", str(out)]
    assert main(args) == 0
    assert np.array_equal(mask, np.asarray(Image.open(out)))
    ref = np.asarray(Image.open(busi_case[1])) > 0
    dice = 2 * np.sum(ref & (mask > 0)) / (ref.sum() + (mask > 0).sum())
    assert dice > 0.6  # a sanity check: the Dice over BUSI is measured in benchmarks


def test_segment_seed_is_radiomix_segment(client, busi_case, tmp_path):
    m = np.asarray(Image.open(busi_case[1])) > 0
    ys, xs = np.nonzero(m)
    seed = f"{int(np.median(xs))},{int(np.median(ys))}"
    r = client.post("/api/segment", files={"image": _image_bytes(busi_case)}, data={"seed": seed})
    assert r.status_code == 200
    out = tmp_path / "cli.png"
    assert main(["segment", str(busi_case[0]), "--seed", seed, "--out", str(out)]) == 0
    assert np.array_equal(
        np.asarray(Image.open(io.BytesIO(r.content))), np.asarray(Image.open(out))
    )


def test_predict_with_mask_equals_radiomix_predict(client, app_server, busi_case, tmp_path):
    files = {"image": _image_bytes(busi_case), "mask": Path(busi_case[1]).read_bytes()}
    r = client.post("/api/predict", files=files)
    assert r.status_code == 200, r.text
    answer = r.json()
    for key in (
        "probability",
        "decision",
        "threshold",
        "interval",
        "contributions",
        "warnings",
        "mask_png",
        "model",
        "settings_hash",
    ):
        assert key in answer, key
    cli = _cli_probability(app_server.run_dir, busi_case[0], busi_case[1], tmp_path)
    assert abs(answer["probability"] - cli) <= 1e-9
    assert answer["decision"] == ("malignant" if cli >= answer["threshold"] else "benign")
    lo, hi = answer["interval"]
    assert 0 <= lo <= hi <= 1 and answer["interval_method"].startswith("local calibration")
    # exact linear contributions: intercept + contributions = the case's log-odds
    logit = math.log(answer["probability"] / (1 - answer["probability"]))
    total = answer["intercept"] + sum(c["contribution"] for c in answer["contributions"])
    assert abs(total - logit) < 1e-9
    assert answer["base_value"] == answer["intercept"]
    assert answer["explanation_method"].startswith("exact")
    assert answer["explanation_scale"] == "log-odds"
    for c in answer["contributions"]:
        assert {"feature", "name", "value", "contribution"} <= set(c)
        assert c["training"] is not None and 0 <= c["training"]["percentile"] <= 100
    ref = np.asarray(Image.open(busi_case[1])) > 0
    used = np.asarray(Image.open(io.BytesIO(base64.b64decode(answer["mask_png"])))) > 0
    assert np.array_equal(used, ref)


@pytest.mark.parametrize("prompt", ["box", "seed"])
def test_predict_with_a_prompt_equals_radiomix_predict_on_its_outline(
    client, app_server, busi_case, tmp_path, prompt
):
    m = np.asarray(Image.open(busi_case[1])) > 0
    ys, xs = np.nonzero(m)
    value = _box(busi_case) if prompt == "box" else f"{int(np.median(xs))},{int(np.median(ys))}"
    image = _image_bytes(busi_case)
    r = client.post("/api/predict", files={"image": image}, data={prompt: value})
    assert r.status_code == 200, r.text
    answer = r.json()
    outline = client.post("/api/segment", files={"image": image}, data={prompt: value}).content
    assert base64.b64decode(answer["mask_png"]) == outline
    mask = tmp_path / "outline.png"
    mask.write_bytes(outline)
    cli = _cli_probability(app_server.run_dir, busi_case[0], mask, tmp_path)
    assert abs(answer["probability"] - cli) <= 1e-9


def test_warnings_border_small_colour_and_bit_depth(client, busi_case):
    image = np.asarray(Image.open(busi_case[0]).convert("L"))
    h, w = image.shape
    edge = np.zeros((h, w), np.uint8)
    edge[: h // 3, : w // 3] = 255  # touches the border, larger than the training ROIs?
    r = client.post("/api/predict", files={"image": _png(image), "mask": _png(edge)})
    codes = {d["code"] for d in r.json()["warning_details"]}
    assert "outline_touches_border" in codes
    tiny = np.zeros((h, w), np.uint8)
    tiny[h // 2 : h // 2 + 5, w // 2 : w // 2 + 5] = 255
    r = client.post("/api/predict", files={"image": _png(image), "mask": _png(tiny)})
    assert r.status_code == 200, r.text
    assert "roi_small" in {d["code"] for d in r.json()["warning_details"]}
    colour = np.stack([image, image // 2, image // 3], axis=-1).astype(np.uint8)
    mask = Path(busi_case[1]).read_bytes()
    r = client.post("/api/predict", files={"image": _png(colour), "mask": mask})
    assert "colour" in {d["code"] for d in r.json()["warning_details"]}
    deep = image.astype(np.uint16) * 257
    r = client.post("/api/predict", files={"image": _png(deep), "mask": mask})
    answer = r.json()
    assert "bit_depth" in {d["code"] for d in answer["warning_details"]}
    assert all(isinstance(w, str) for w in answer["warnings"])


# ----------------------------------------------------------------------- bad input


def _bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A small PNG whose header announces ``width`` x ``height`` pixels (10 gigapixels)."""
    raw = zlib.compress(b"\x00" * 1024)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def _bad_requests(busi_case):
    img = _image_bytes(busi_case)
    mask = Path(busi_case[1]).read_bytes()
    gif = b"GIF89a" + b"\x00" * 100
    wrong_size = _png(np.full((20, 30), 255, np.uint8))
    empty_mask = _png(np.zeros(np.asarray(Image.open(busi_case[0])).shape[:2], np.uint8))
    return {
        "not an image": (
            "/api/predict",
            {"image": b"hello, this is text"},
            {"box": "1,1,9,9"},
            400,
        ),
        "empty file": ("/api/predict", {"image": b""}, {"box": "1,1,9,9"}, 400),
        "truncated png": ("/api/predict", {"image": img[:200]}, {"box": "1,1,9,9"}, 400),
        "malformed box": ("/api/predict", {"image": img}, {"box": "1,2,3"}, 400),
        "box with text": ("/api/segment", {"image": img}, {"box": "a,b,c,d"}, 400),
        "box outside": ("/api/segment", {"image": img}, {"box": "10,10,5000,20"}, 400),
        "negative seed": ("/api/predict", {"image": img}, {"seed": "-1,5"}, 400),
        "seed outside": ("/api/segment", {"image": img}, {"seed": "5,99999"}, 400),
        "fractional seed": ("/api/segment", {"image": img}, {"seed": "5.5,9"}, 400),
        "no outline": ("/api/predict", {"image": img}, {}, 400),
        "no prompt": ("/api/segment", {"image": img}, {}, 400),
        "two outlines": ("/api/predict", {"image": img, "mask": mask}, {"box": "1,1,9,9"}, 400),
        "box and seed": ("/api/predict", {"image": img}, {"box": "1,1,9,9", "seed": "3,3"}, 400),
        "no image": ("/api/predict", {"mask": mask}, {}, 400),
        "mask of another size": ("/api/predict", {"image": img, "mask": wrong_size}, {}, 400),
        "empty mask": ("/api/predict", {"image": img, "mask": empty_mask}, {}, 400),
        "unknown field": ("/api/segment", {"image": img}, {"box": "1,1,9,9", "x": "1"}, 400),
        "decompression bomb": ("/api/segment", {"image": _bomb_png()}, {"seed": "1,1"}, 413),
        "unsupported type": ("/api/predict", {"image": gif}, {"box": "1,1,9,9"}, 415),
        "unsupported mask type": ("/api/predict", {"image": img, "mask": gif}, {}, 415),
    }


BAD = [
    "not an image",
    "empty file",
    "truncated png",
    "malformed box",
    "box with text",
    "box outside",
    "negative seed",
    "seed outside",
    "fractional seed",
    "no outline",
    "no prompt",
    "two outlines",
    "box and seed",
    "no image",
    "mask of another size",
    "empty mask",
    "unknown field",
    "decompression bomb",
    "unsupported type",
    "unsupported mask type",
]


def _check_error(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in body["error"] and "\n" not in body["error"]
    assert "/tmp" not in body["error"] and "radiomix-app-" not in body["error"]
    return body["error"]


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_a_4xx_with_one_sentence(client, busi_case, case):
    url, files, data, status = _bad_requests(busi_case)[case]
    r = client.post(url, files=files, data=data)
    _check_error(r, status)


def test_bad_requests_keep_the_server_up(client, app_server):
    assert _check_error(client.post("/api/predict", json={"image": "x"}), 415)
    assert _check_error(client.get("/api/predict"), 405)
    assert _check_error(client.get("/api/nothing"), 404)
    assert client.get("/api/health").json() == {"status": "ok"}
    assert app_server.process.poll() is None
    log = app_server.log.read_text()
    assert "Traceback" not in log


def test_client_file_names_never_reach_the_disk(client, app_server, busi_case, tmp_path):
    target = tmp_path / "planted.png"
    name = f"../../../../../..{target}"
    files = {"image": (name, _image_bytes(busi_case), "image/png")}
    r = client.post("/api/segment", files=files, data={"seed": "200,150"})
    assert r.status_code == 200
    assert not target.exists()
    assert "planted" not in app_server.audit_log.read_text()


def test_audit_log_records_hashes_and_answers(client, app_server, busi_case):
    import hashlib

    img = _image_bytes(busi_case)
    r = client.post("/api/predict", files={"image": img}, data={"box": _box(busi_case)})
    assert r.status_code == 200
    lines = [json.loads(x) for x in app_server.audit_log.read_text().splitlines()]
    last = [x for x in lines if x["endpoint"] == "predict" and x["status"] == 200][-1]
    assert last["inputs"]["image_sha256"] == hashlib.sha256(img).hexdigest()
    assert last["answer"]["probability"] == r.json()["probability"]
    assert last["model_id"] == r.json()["model_id"] and last["time"]
    assert max(len(x) for x in app_server.audit_log.read_text().splitlines()) < 4000
    assert any(x["status"] >= 400 for x in lines) or True  # errors are audited too


def test_foreign_host_header_is_refused(client):
    r = client.get("/api/health", headers={"Host": "evil.example"})
    _check_error(r, 400)


# ------------------------------------------------------------------ preview and 3D


def _nifti_3d(tmp_path: Path) -> bytes:
    import SimpleITK as sitk

    z, y, x = np.mgrid[:5, :64, :64]
    vol = (100 + 900 * (((y - 32) ** 2 + (x - 30) ** 2) < 12**2) * (z >= 1) * (z <= 3)).astype(
        np.int16
    )
    vol += np.random.default_rng(0).integers(0, 40, vol.shape).astype(np.int16)
    path = tmp_path / "v.nii.gz"
    sitk.WriteImage(sitk.GetImageFromArray(vol), str(path))
    return path.read_bytes()


def test_a_box_or_seed_on_a_3d_volume_needs_its_slice(client, tmp_path):
    data = _nifti_3d(tmp_path)
    r = client.post(
        "/api/segment", files={"image": data}, data={"box": "16,18,44,46", "slice": "2"}
    )
    assert r.status_code == 200, r.text
    mask = np.asarray(Image.open(io.BytesIO(r.content))) > 0
    yy, xx = np.mgrid[:64, :64]
    disc = ((yy - 32) ** 2 + (xx - 30) ** 2) < 12**2
    assert 2 * np.sum(mask & disc) / (mask.sum() + disc.sum()) > 0.8
    msg = _check_error(
        client.post("/api/segment", files={"image": data}, data={"seed": "30,32"}), 400
    )
    assert "slice" in msg
    _check_error(
        client.post("/api/segment", files={"image": data}, data={"seed": "30,32", "slice": "9"}),
        400,
    )


def test_preview_of_a_3d_volume_and_of_an_8_bit_image(client, busi_case, tmp_path):
    data = _nifti_3d(tmp_path)
    r = client.post("/api/preview", files={"image": data}, data={"slice": "2"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["width"], body["height"], body["slices"], body["slice"]) == (64, 64, 5, 2)
    grey = np.asarray(Image.open(io.BytesIO(base64.b64decode(body["png"]))))
    assert grey.shape == (64, 64) and grey.dtype == np.uint8 and grey.max() > 200
    assert client.post("/api/preview", files={"image": data}).json()["slice"] == 2  # middle
    for bad in ("9", "x"):
        r = client.post("/api/preview", files={"image": data}, data={"slice": bad})
        assert "slice" in _check_error(r, 400)
    body = client.post("/api/preview", files={"image": _image_bytes(busi_case)}).json()
    grey = np.asarray(Image.open(io.BytesIO(base64.b64decode(body["png"]))))
    assert np.array_equal(grey, np.asarray(Image.open(busi_case[0]).convert("L")))
    assert body["scaling"] == {"low": 0.0, "high": 255.0} and body["slices"] == 1
    _check_error(client.post("/api/preview", files={"image": b"GIF89a" + bytes(50)}), 415)


def test_a_tiff_of_many_pages_is_measured_before_decoding(monkeypatch):
    """Many small compressed pages can expand to gigavoxels: the pages' headers are counted."""
    import tifffile

    from radiomix.app import service
    from radiomix.errors import RequestError

    buf = io.BytesIO()
    tifffile.imwrite(buf, np.zeros((5, 20, 20), np.uint8), compression="zlib")
    monkeypatch.setattr(service, "MAX_VOXELS", 1999)
    with pytest.raises(RequestError, match="2,000 values") as info:
        service._check_tiff_pages(buf.getvalue(), "image")
    assert info.value.status == 413
    monkeypatch.setattr(service, "MAX_VOXELS", 2000)
    service._check_tiff_pages(buf.getvalue(), "image")


def test_a_forest_is_explained_by_tree_shap(app_server_forest, busi_case, tmp_path):
    """``radiomix app --model random_forest``: the model card names tree SHAP; /api/predict
    sends the exact tree SHAP value of every input of the forest, which with the base value
    add up to the probability; the probability is ``radiomix predict --model
    random_forest``'s."""
    from radiomix.learn.bundle import ModelBundle

    run_dir = app_server_forest.run_dir
    with httpx.Client(base_url=app_server_forest.base, timeout=60) as c:
        card = c.get("/api/model").json()
        image, mask = busi_case
        r = c.post("/api/predict", files={"image": image.read_bytes(), "mask": mask.read_bytes()})
    assert card["model"] == "random_forest"
    assert card["explanation"] == "exact tree SHAP values (probability)"
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["explanation_method"].startswith("exact tree SHAP values (probability)")
    assert answer["explanation_scale"] == "probability" and answer["intercept"] is None
    forest = ModelBundle.load(run_dir / "models" / "random_forest.joblib").pipeline
    inputs = forest[:-1].get_feature_names_out()
    assert {c["feature"] for c in answer["contributions"]} == set(inputs)
    total = answer["base_value"] + sum(c["contribution"] for c in answer["contributions"])
    assert abs(total - answer["probability"]) <= 1e-8
    sizes = [abs(c["contribution"]) for c in answer["contributions"]]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 0
    for c in answer["contributions"]:
        assert {"feature", "name", "value", "contribution", "model_input", "training"} <= set(c)
    out = tmp_path / "p.csv"
    args = ["predict", str(run_dir), str(image), str(mask), "--model", "random_forest"]
    assert main([*args, "--out", str(out)]) == 0
    assert abs(answer["probability"] - float(pd.read_csv(out)["probability"].iloc[0])) <= 1e-9


def test_a_model_without_tree_shap_is_explained_by_occlusion(app_run_dir, busi_case, monkeypatch):
    """A non-linear model that tree SHAP cannot explain (here: the forest with the tree path
    switched off) gets the occlusion attribution: its 15 largest, no base value."""
    from radiomix.app.service import AppService, Upload
    from radiomix.learn import explain

    monkeypatch.setattr(explain, "_tree_scale", lambda pipeline: None)
    service = AppService(app_run_dir, model="random_forest", cache=False)
    card = service.model_card()
    assert card["explanation"] == "occlusion attribution against training cases (probability)"
    image, mask = busi_case
    answer = service.predict(Upload(image.read_bytes()), mask=Upload(mask.read_bytes()))
    assert answer["explanation_method"].startswith("occlusion")
    assert answer["explanation_scale"] == "probability" and answer["base_value"] is None
    assert len(answer["contributions"]) == 15
    sizes = [abs(c["contribution"]) for c in answer["contributions"]]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 0


def test_the_app_prints_its_url(app_server, app_server_token):
    assert f"open {app_server.base}/ " in app_server.log.read_text()
    assert f"open {app_server_token.url} " in app_server_token.log.read_text()


# ------------------------------------------------------------- export and one-slice masks


def _nifti_3d_geometry(tmp_path: Path) -> tuple[bytes, np.ndarray]:
    """A 5-slice NIfTI volume with non-trivial spacing, origin and direction, and its disc."""
    import SimpleITK as sitk

    z, y, x = np.mgrid[:5, :64, :64]
    disc = ((y - 32) ** 2 + (x - 30) ** 2) < 12**2
    vol = (100 + 900 * disc * (z >= 1) * (z <= 3)).astype(np.int16)
    vol += np.random.default_rng(1).integers(0, 40, vol.shape).astype(np.int16)
    image = sitk.GetImageFromArray(vol)
    image.SetSpacing((0.7, 0.8, 2.5))
    image.SetOrigin((-12.0, 30.5, 7.0))
    image.SetDirection((0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0))
    path = tmp_path / "g.nii.gz"
    sitk.WriteImage(image, str(path))
    return path.read_bytes(), disc[0]


def _download_name(r: httpx.Response) -> str:
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    return disposition.split("filename=", 1)[1].strip('"')


@pytest.mark.parametrize(("fmt", "name"), [("nifti", "outline.nii.gz"), ("nrrd", "outline.nrrd")])
def test_export_a_slice_mask_of_a_volume_keeps_its_geometry(client, tmp_path, fmt, name):
    from radiomix.io import read_image, read_mask

    data, disc = _nifti_3d_geometry(tmp_path)
    files = {"image": ("../../x/evil name.nii.gz", data), "mask": _png(disc.astype(np.uint8) * 255)}
    r = client.post("/api/export/mask", files=files, data={"format": fmt, "slice": "2"})
    assert r.status_code == 200, r.text
    assert _download_name(r) == name and "evil" not in r.headers["content-disposition"]
    out = tmp_path / name
    out.write_bytes(r.content)
    (tmp_path / "g.nii.gz").write_bytes(data)
    image = read_image(tmp_path / "g.nii.gz")
    mask = read_mask(out, reference=image)  # raises when the geometry differs
    m = read_image(out)
    assert np.allclose(m.spacing, image.spacing) and np.allclose(m.origin, image.origin)
    assert np.allclose(m.direction, image.direction)
    expected = np.zeros(image.shape, bool)
    expected[2] = disc
    assert np.array_equal(np.asarray(mask.array) != 0, expected)


def test_export_png_of_a_2d_image_and_of_one_slice(client, busi_case, tmp_path):
    mask = Path(busi_case[1]).read_bytes()
    r = client.post(
        "/api/export/mask",
        files={"image": _image_bytes(busi_case), "mask": mask},
        data={"format": "png"},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png" and _download_name(r) == "outline.png"
    got = np.asarray(Image.open(io.BytesIO(r.content)))
    assert np.array_equal(got > 0, np.asarray(Image.open(busi_case[1])) > 0)
    assert set(np.unique(got)) == {0, 255}
    data, disc = _nifti_3d_geometry(tmp_path)
    files = {"image": data, "mask": _png(disc.astype(np.uint8) * 255)}
    r = client.post("/api/export/mask", files=files, data={"format": "png", "slice": "3"})
    assert r.status_code == 200, r.text
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(r.content))) > 0, disc)


@pytest.mark.parametrize("geometry", [True, False], ids=["ct", "ultrasound"])
def test_export_dicom_seg_reads_back_onto_the_image(client, app_server, tmp_path, geometry):
    import hashlib

    import pydicom

    from radiomix.io import read_image, read_rois

    yy, xx = np.mgrid[:40, :50]
    disc = ((yy - 20) ** 2 + (xx - 24) ** 2) < 64
    source = write_dicom(tmp_path / "im.dcm", 100 + 500 * disc, geometry=geometry)
    files = {"image": source.read_bytes(), "mask": _png(disc.astype(np.uint8) * 255)}
    r = client.post("/api/export/mask", files=files, data={"format": "dicom-seg"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/dicom"
    assert _download_name(r) == "outline-seg.dcm"
    seg_path = tmp_path / "seg.dcm"
    seg_path.write_bytes(r.content)
    seg = pydicom.dcmread(seg_path)
    assert seg.Modality == "SEG" and seg.SegmentationType == "BINARY"
    segment = seg.SegmentSequence[0]
    assert segment.SegmentLabel == "Lesion" and segment.SegmentAlgorithmType == "SEMIAUTOMATIC"
    assert segment.SegmentedPropertyTypeCodeSequence[0].CodeMeaning == "Lesion"
    src = pydicom.dcmread(source)
    refs = seg.ReferencedSeriesSequence[0].ReferencedInstanceSequence
    assert refs[0].ReferencedSOPInstanceUID == src.SOPInstanceUID
    assert seg.StudyInstanceUID == src.StudyInstanceUID
    rois = read_rois(seg_path, read_image(source))
    assert list(rois) == ["Lesion"]
    assert np.array_equal(np.asarray(rois["Lesion"].array)[0], disc)
    lines = [json.loads(x) for x in app_server.audit_log.read_text().splitlines()]
    last = [x for x in lines if x["endpoint"] == "export_mask" and x["status"] == 200][-1]
    assert last["answer"]["sha256"] == hashlib.sha256(r.content).hexdigest()
    assert last["inputs"]["format"] == "dicom-seg"


def test_export_bad_input_is_a_4xx_with_one_sentence(client, busi_case, tmp_path):
    img, mask = _image_bytes(busi_case), Path(busi_case[1]).read_bytes()
    vol, disc = _nifti_3d_geometry(tmp_path)
    disc_png = _png(disc.astype(np.uint8) * 255)
    url = "/api/export/mask"
    msg = _check_error(
        client.post(url, files={"image": img, "mask": mask}, data={"format": "dicom-seg"}), 415
    )
    assert "DICOM" in msg
    msg = _check_error(
        client.post(url, files={"image": img, "mask": mask}, data={"format": "jpeg"}), 400
    )
    assert "nifti" in msg
    msg = _check_error(client.post(url, files={"image": img, "mask": mask}), 400)
    assert msg.startswith("no format: give format=nifti")
    _check_error(client.post(url, files={"image": img}, data={"format": "png"}), 400)
    _check_error(client.post(url, files={"mask": mask}, data={"format": "png"}), 400)
    _check_error(
        client.post(url, files={"image": img, "mask": mask}, data={"format": "png", "x": "1"}),
        400,
    )
    r = client.post(url, files={"image": vol, "mask": disc_png}, data={"format": "nifti"})
    assert "slice" in _check_error(r, 400)
    r = client.post(url, files={"image": vol, "mask": disc_png}, data={"format": "png"})
    assert "slice" in _check_error(r, 400)
    r = client.post(
        url, files={"image": vol, "mask": disc_png}, data={"format": "nifti", "slice": "7"}
    )
    assert "slice" in _check_error(r, 400)
    r = client.post(url, files={"image": vol, "mask": vol}, data={"format": "png", "slice": "1"})
    _check_error(r, 400)  # a 3D mask with slice=K
    empty = _png(np.zeros((64, 64), np.uint8))
    r = client.post(
        url, files={"image": vol, "mask": empty}, data={"format": "nifti", "slice": "1"}
    )
    assert "empty" in _check_error(r, 400)


def test_predict_with_a_2d_mask_on_one_slice_of_a_volume(client, tmp_path):
    """A drawn 2D outline with slice=K is the 3D mask holding it on slice K and nothing else."""
    import SimpleITK as sitk

    data, disc = _nifti_3d_geometry(tmp_path)
    r = client.post(
        "/api/predict",
        files={"image": data, "mask": _png(disc.astype(np.uint8) * 255)},
        data={"slice": "2"},
    )
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["outline"]["pixels"] == int(disc.sum())
    assert "one slice" in answer["outline"]["source"]
    used = np.asarray(Image.open(io.BytesIO(base64.b64decode(answer["mask_png"])))) > 0
    assert np.array_equal(used, disc)
    (tmp_path / "g.nii.gz").write_bytes(data)
    image = sitk.ReadImage(str(tmp_path / "g.nii.gz"))
    full = np.zeros((5, 64, 64), np.uint8)
    full[2] = disc
    mask = sitk.GetImageFromArray(full)
    mask.CopyInformation(image)
    sitk.WriteImage(mask, str(tmp_path / "m.nii.gz"))
    r3 = client.post(
        "/api/predict", files={"image": data, "mask": (tmp_path / "m.nii.gz").read_bytes()}
    )
    assert r3.status_code == 200, r3.text
    assert abs(r3.json()["probability"] - answer["probability"]) <= 1e-9
    msg = _check_error(
        client.post(
            "/api/predict", files={"image": data, "mask": _png(disc.astype(np.uint8) * 255)}
        ),
        400,
    )
    assert "slice" in msg


def test_preview_with_an_intensity_window(client, tmp_path):
    """``window=lo,hi`` in the image's units: lo -> 0, hi -> 255, clipped beyond."""
    import SimpleITK as sitk

    vol = np.zeros((3, 8, 10), np.int16)
    vol[1] = np.linspace(-1000, 1000, 80).reshape(8, 10).round().astype(np.int16)
    path = tmp_path / "ct.nii.gz"
    sitk.WriteImage(sitk.GetImageFromArray(vol), str(path))
    data = path.read_bytes()
    r = client.post(
        "/api/preview", files={"image": data}, data={"slice": "1", "window": "-100,300"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["scaling"] == {"low": -100.0, "high": 300.0}
    grey = np.asarray(Image.open(io.BytesIO(base64.b64decode(body["png"])))).astype(float)
    plane = vol[1].astype(float)
    expected = np.clip(np.round((plane - -100) / 400 * 255), 0, 255)
    assert np.array_equal(grey, expected)
    default = client.post("/api/preview", files={"image": data}, data={"slice": "1"}).json()
    assert default["scaling"] == {"low": -1000.0, "high": 1000.0}  # unchanged without window
    for bad in ("300,-100", "1", "a,b", "0,inf", "5,5"):
        r = client.post("/api/preview", files={"image": data}, data={"window": bad})
        assert "window" in _check_error(r, 400)


def test_a_one_slice_mask_with_two_labels_is_refused_by_predict(client, tmp_path):
    data, disc = _nifti_3d_geometry(tmp_path)
    two = disc.astype(np.uint8)
    two[:, :30] *= 2
    r = client.post("/api/predict", files={"image": data, "mask": _png(two)}, data={"slice": "2"})
    assert "regions" in _check_error(r, 400)
