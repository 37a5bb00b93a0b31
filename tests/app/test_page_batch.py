"""The batch page (``/static/batch.html``) and the main page's mask exports, in headless
Chromium (Playwright, Debian's chromium) against a real ``radiomix app`` process.

A batch of BUSI sample images with masks (matched by name) and a box from a CSV, and a
broken file: the progress reaches n of n, each row holds the API's answer for the same
inputs, the broken file's row its error, and the CSV download the same values at full
precision. The page works from the keyboard. The export buttons are tested when the server
answers ``POST /api/export/mask``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.app.conftest import SAMPLE, choose_by_keyboard, write_dicom
from tests.app.test_page import (
    bounds,
    drag,
    open_image,
    open_page,
    png_mask,
    wait_mask,
    write_nifti,
)
from tests.conftest import CHROMIUM

pytest.importorskip("playwright.sync_api", reason="the page tests need playwright")

MASKED = [SAMPLE / "malignant" / "malignant (11).png", SAMPLE / "benign" / "benign (111).png"]
BOXED = SAMPLE / "benign" / "benign (179).png"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
)


def mask_of(image: Path) -> Path:
    return image.with_name(image.stem + "_mask.png")


def box_of(image: Path) -> str:
    ref = np.asarray(Image.open(mask_of(image)).convert("L")) > 0
    x0, y0, x1, y1 = bounds(ref)
    return f"{x0 - 2},{y0 - 2},{x1 + 2},{y1 + 2}"


def api_predict(server: Any, image: Path, **outline: Any) -> dict[str, Any]:
    files = {"image": ("upload", image.read_bytes())}
    data = {}
    for k, v in outline.items():
        if isinstance(v, Path):
            files[k] = (k, v.read_bytes())
        else:
            data[k] = v
    r = httpx.post(
        server.base + "/api/predict", files=files, data=data, headers=server.headers, timeout=60
    )
    return {"status": r.status_code, **r.json()}


def open_batch(page: Any, server: Any) -> None:
    page.goto(server.url)  # sets the token cookie where there is one
    page.click("#batch-link")
    page.wait_for_selector("#model-line:not(:empty)")


def wait_done(page: Any, n: int) -> dict[str, Any]:
    page.wait_for_function(
        f"(() => {{ const s = window.radiomixBatch.state(); return !s.running && s.done === {n}; }})()"
    )
    return page.evaluate("window.radiomixBatch.state()")


def download_csv(page: Any, folder: Path) -> list[dict[str, str]]:
    with page.expect_download() as dl:
        page.click("#download")
    path = folder / "table.csv"
    dl.value.save_as(path)
    assert dl.value.suggested_filename.endswith(".csv")
    return list(csv.DictReader(io.StringIO(path.read_text())))


def test_batch_masks_csv_box_and_a_broken_file(page, app_server, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 20)
    prompts = tmp_path / "boxes.csv"
    prompts.write_text(f'image,box\n{BOXED.name},"{box_of(BOXED)}"\nbroken.png,"1,1,5,5"\n')
    images = [*MASKED, BOXED, broken]

    open_batch(page, app_server)
    assert "Research use only" in page.inner_text("header")
    page.set_input_files("#images", [str(p) for p in images])
    page.set_input_files("#masks", [str(mask_of(p)) for p in MASKED])
    page.set_input_files("#csv", str(prompts))
    page.wait_for_function("window.radiomixBatch.state().csv !== null")
    assert "2 with a mask, 2 with a CSV outline" in page.inner_text("#plan")
    page.click("#run")
    st = wait_done(page, len(images))
    assert page.evaluate("document.getElementById('progress').value") == len(images)
    assert page.evaluate("document.getElementById('progress').max") == len(images)
    assert page.inner_text("#progress-text").startswith(f"{len(images)} of {len(images)}")

    expected = [api_predict(app_server, p, mask=mask_of(p)) for p in MASKED]
    expected.append(api_predict(app_server, BOXED, box=box_of(BOXED)))
    expected.append(api_predict(app_server, broken, box="1,1,5,5"))
    rows = page.locator("#results tbody tr")
    assert rows.count() == len(images)
    for i, (row, answer) in enumerate(zip(st["rows"], expected, strict=True)):
        tr = rows.nth(i)
        assert tr.locator("th").inner_text() == images[i].name
        if answer["status"] == 200:
            assert row["probability"] == answer["probability"]
            assert row["error"] == ""
            cell = tr.locator("td").nth(1)
            assert cell.get_attribute("data-value") == repr(answer["probability"])
            assert cell.inner_text() == f"{answer['probability']:.6f}"
            assert tr.locator("td").nth(2).inner_text() == answer["decision"]
            assert tr.locator("td").nth(4).inner_text() == str(len(answer["warnings"]))
            assert [row["interval_low"], row["interval_high"]] == answer["interval"]
        else:
            assert answer["status"] == 400
            error = tr.locator("td").nth(5).inner_text()
            assert answer["error"].rstrip(".").lower() in error.lower()
            assert row["probability"] == ""

    table = download_csv(page, tmp_path)
    assert [r["image"] for r in table] == [p.name for p in images]
    for r, answer in zip(table, expected, strict=True):
        if answer["status"] == 200:
            assert float(r["probability"]) == answer["probability"]  # full precision
            assert float(r["interval_low"]) == answer["interval"][0]
            assert float(r["interval_high"]) == answer["interval"][1]
            assert r["decision"] == answer["decision"]
            assert int(r["warnings"]) == len(answer["warnings"])
            assert r["model_id"] == answer["model_id"]
            assert r["error"] == ""
        else:
            assert r["probability"] == "" and r["error"]


def test_batch_keyboard_and_missing_outline(page, app_server, tmp_path):
    """Tab to each control, open the file choosers with Space, run with Enter, download with
    Enter; an image without a mask or CSV row shows why in its row (not sent)."""
    lone = tmp_path / "lone.png"
    lone.write_bytes(BOXED.read_bytes())
    open_batch(page, app_server)

    def tab_to(element_id: str) -> None:
        for _ in range(20):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == element_id:
                return
        raise AssertionError(f"Tab never reached #{element_id}")

    page.evaluate("document.activeElement.blur()")
    tab_to("images")
    # images and masks chosen together: the masks are recognised by their names
    choose_by_keyboard(page, [str(MASKED[0]), str(mask_of(MASKED[0])), str(lone)])
    assert "1 with a mask" in page.inner_text("#plan")
    tab_to("run")
    page.keyboard.press("Enter")
    st = wait_done(page, 2)
    assert isinstance(st["rows"][0]["probability"], float)
    assert "lone_mask.png" in st["rows"][1]["error"]
    assert "lone_mask.png" in page.locator("#results tbody tr").nth(1).inner_text()
    page.focus("#run")
    tab_to("download")
    with page.expect_download() as dl:
        page.keyboard.press("Enter")
    path = tmp_path / "k.csv"
    dl.value.save_as(path)
    table = list(csv.DictReader(io.StringIO(path.read_text())))
    assert float(table[0]["probability"]) == st["rows"][0]["probability"]


def test_batch_with_a_token(page, app_server_token):
    """Opened from the token URL's page, the batch page's requests carry the cookie."""
    open_batch(page, app_server_token)
    page.set_input_files("#images", [str(MASKED[1]), str(mask_of(MASKED[1]))])
    page.click("#run")
    st = wait_done(page, 1)
    answer = api_predict(app_server_token, MASKED[1], mask=mask_of(MASKED[1]))
    assert st["rows"][0]["error"] == ""
    assert st["rows"][0]["probability"] == answer["probability"]


def export_endpoint(server: Any) -> bool:
    r = httpx.post(server.base + "/api/export/mask", files={"x": ("x", b"")}, timeout=30)
    return r.status_code not in (404, 405)


def test_export_mask_nifti(page, app_server, tmp_path):
    """'Mask as NIfTI' sends the image and the outline; the file saved holds the outline."""
    if not export_endpoint(app_server):
        pytest.skip("the server has no POST /api/export/mask yet (the button is there)")
    sitk = pytest.importorskip("SimpleITK")
    image = MASKED[0]
    ref = np.asarray(Image.open(mask_of(image)).convert("L")) > 0
    open_page(page, app_server)
    open_image(page, image)
    assert page.is_disabled("#export-seg")  # a PNG image: no DICOM SEG
    x0, y0, x1, y1 = bounds(ref)
    drag(page, [(x0 - 1.5, y0 - 1.5), (x1 + 2.5, y1 + 2.5)])
    wait_mask(page)
    with page.expect_download() as dl:
        page.click("#mask-download")
    outline = tmp_path / "outline.png"
    dl.value.save_as(outline)
    with page.expect_download() as dl:
        page.click("#export-nifti")
    name = dl.value.suggested_filename
    assert name.endswith((".nii", ".nii.gz")), name
    path = tmp_path / name
    dl.value.save_as(path)
    arr = sitk.GetArrayFromImage(sitk.ReadImage(str(path)))
    assert np.array_equal(np.squeeze(arr) > 0, png_mask(outline.read_bytes()))


def test_export_dicom_seg_and_its_error(page, app_server, tmp_path):
    """A DICOM image: 'DICOM SEG' saves a SEG whose segment is the outline shown; a failed
    export shows the server's sentence."""
    if not export_endpoint(app_server):
        pytest.skip("the server has no POST /api/export/mask yet (the button is there)")
    pydicom = pytest.importorskip("pydicom")
    pytest.importorskip("highdicom")
    from radiomix.io import read_image, read_rois

    image = MASKED[0]
    grey = np.asarray(Image.open(image).convert("L"))
    source = write_dicom(tmp_path / "case.dcm", grey, geometry=False, bits=8)
    ref = np.asarray(Image.open(mask_of(image)).convert("L")) > 0
    open_page(page, app_server)
    open_image(page, source)
    assert "DICOM" in page.evaluate("window.radiomixApp.state().format")
    x0, y0, x1, y1 = bounds(ref)
    drag(page, [(x0 - 1.5, y0 - 1.5), (x1 + 2.5, y1 + 2.5)])
    wait_mask(page)
    assert page.is_enabled("#export-seg")
    with page.expect_download() as dl:
        page.click("#mask-download")
    outline = tmp_path / "outline.png"
    dl.value.save_as(outline)
    page.focus("#export-seg")
    with page.expect_download() as dl:
        page.keyboard.press("Enter")
    seg_path = tmp_path / dl.value.suggested_filename
    assert seg_path.suffix == ".dcm"
    dl.value.save_as(seg_path)
    assert pydicom.dcmread(seg_path).Modality == "SEG"
    rois = read_rois(seg_path, read_image(source))
    (roi,) = rois.values()
    assert np.array_equal(np.asarray(roi.array)[0], png_mask(outline.read_bytes()))

    # the server's error sentence, shown as it comes
    page.route(
        "**/api/export/mask",
        lambda route: route.fulfill(
            status=400,
            content_type="application/json",
            body='{"error": "the mask is empty; outline the lesion"}',
        ),
    )
    page.click("#export-nifti")
    page.wait_for_function("document.getElementById('message').textContent.length > 0")
    assert page.inner_text("#message") == "The mask is empty; outline the lesion."


def test_export_nifti_of_a_slice_of_a_volume(page, app_server, tmp_path):
    """A 3D image: the outline of one slice is exported as a volume mask with that slice."""
    if not export_endpoint(app_server):
        pytest.skip("the server has no POST /api/export/mask yet (the button is there)")
    sitk = pytest.importorskip("SimpleITK")
    image = MASKED[0]
    grey = np.asarray(Image.open(image).convert("L")).astype(np.float32)
    volume = np.stack([grey, grey[:, ::-1], np.flipud(grey)])
    nii = write_nifti(volume, tmp_path / "volume.nii.gz")
    ref = np.asarray(Image.open(mask_of(image)).convert("L")) > 0
    open_page(page, app_server)
    open_image(page, nii)
    page.locator("#view").focus()
    page.keyboard.press("PageDown")  # slice 0
    page.wait_for_function(
        "window.radiomixApp.state().slice === 0 && !document.body.classList.contains('busy')"
    )
    x0, y0, x1, y1 = bounds(ref)
    drag(page, [(x0 - 1.5, y0 - 1.5), (x1 + 2.5, y1 + 2.5)])
    wait_mask(page)
    with page.expect_download() as dl:
        page.click("#mask-download")
    outline = tmp_path / "outline.png"
    dl.value.save_as(outline)
    with page.expect_download() as dl:
        page.click("#export-nifti")
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    arr = sitk.GetArrayFromImage(sitk.ReadImage(str(path)))
    assert arr.shape == volume.shape
    assert np.array_equal(arr[0] > 0, png_mask(outline.read_bytes()))
    assert not arr[1:].any()


def test_batch_csv_forms(page, app_server, tmp_path):
    """Quoted and unquoted boxes, seeds with a slice, paths matched by file name; a CSV
    without the columns shows why."""
    open_batch(page, app_server)
    cases = [
        ('image,box\n"a.png","1,2,30,40"\n', {"a.png": {"box": "1,2,30,40"}}),
        ("image,box\r\nsub/a.png,1,2,30,40\r\n", {"sub/a.png": {"box": "1,2,30,40"}}),
        ('image,seed,slice\na.png,"5,6",2\n', {"a.png": {"seed": "5,6", "slice": "2"}}),
    ]
    for i, (text, expected) in enumerate(cases):
        path = tmp_path / f"p{i}.csv"
        path.write_text(text)
        page.set_input_files("#csv", str(path))
        page.wait_for_function(
            "(e) => JSON.stringify(window.radiomixBatch.state().csv) === e",
            arg=page.evaluate("(o) => JSON.stringify(o)", expected),
        )
    bad = tmp_path / "bad.csv"
    bad.write_text("file,outline\na.png,1\n")
    page.set_input_files("#csv", str(bad))
    page.wait_for_function("document.getElementById('message').textContent.length > 0")
    assert "columns image and box" in page.inner_text("#message")
    assert page.evaluate("window.radiomixBatch.state().csv") is None


def test_batch_stop(page, app_server):
    """Stop: the cases in flight and those not yet sent end with a sentence saying so."""
    open_batch(page, app_server)
    held: list[Any] = []
    page.route("**/api/predict", lambda route: held.append(route))  # answers never come
    images = [*MASKED, MASKED[0]]
    page.set_input_files("#images", [str(p) for p in images])
    page.set_input_files("#masks", [str(mask_of(p)) for p in MASKED])
    page.click("#run")
    page.wait_for_function("document.querySelectorAll('#results tr.running').length === 2")
    assert page.is_enabled("#stop") and page.is_disabled("#run")
    page.click("#stop")
    st = wait_done(page, 3)
    errors = [r["error"] for r in st["rows"]]
    assert errors == ["Stopped before an answer."] * 2 + ["Stopped before it was sent."]
    assert page.is_enabled("#run") and page.is_enabled("#download")
