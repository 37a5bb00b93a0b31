"""The app's page in headless Chromium (Playwright, Debian's chromium) against a real
``radiomix app`` process (the ``app_server`` fixtures of ``tests/app/conftest.py``).

A user's paths end to end: open a BUSI image, outline it by a dragged box, a clicked seed, a
freehand or clicked polygon corrected with the brush, or an uploaded mask; ask for the
prediction and read it in the page; the probability shown is the API's, and the API's is
``radiomix predict``'s for the mask the page sent. Bad uploads and API errors show their
sentence in the page; everything works from the keyboard.

``RADIOMIX_APP_SCREENSHOT=1`` makes the screenshot test write ``docs/app-screenshot.png``
(the README's picture: the malignant sample whose box outline best matches its reference
mask); otherwise its screenshot goes to a temporary folder.
"""

from __future__ import annotations

import base64
import csv
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.app.conftest import SAMPLE, choose_by_keyboard
from tests.conftest import CHROMIUM

pytest.importorskip("playwright.sync_api", reason="the page tests need playwright")

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "app-screenshot.png"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
)


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def reference(busi_case: tuple[Path, Path]) -> np.ndarray:
    """The sample's reference mask as a boolean (rows, columns) array."""
    return np.asarray(Image.open(busi_case[1]).convert("L")) > 0


# ------------------------------------------------------------------------------- helpers


def open_page(page: Any, server: Any) -> None:
    page.goto(server.url)
    page.wait_for_selector("#model-body dl")


def state(page: Any) -> dict[str, Any]:
    return page.evaluate("window.radiomixApp.state()")


def wait_idle(page: Any) -> None:
    page.wait_for_function("window.radiomixApp.state().busy === 0")


def open_image(page: Any, image: Path) -> None:
    page.set_input_files("#image-input", str(image))
    page.wait_for_function("window.radiomixApp.state().width > 0")
    wait_idle(page)


def screen(page: Any, x: float, y: float) -> tuple[float, float]:
    """Page coordinates of the continuous image point (x, y) (column, row)."""
    box = page.locator("#view").bounding_box()
    sx, sy = page.evaluate("([x, y]) => window.radiomixApp.toScreen(x, y)", [x, y])
    return box["x"] + sx, box["y"] + sy


def drag(page: Any, points: list[tuple[float, float]], steps: int = 4) -> None:
    """Press the mouse at the first image point, move through the others, release."""
    page.locator("#view").scroll_into_view_if_needed()
    page.mouse.move(*screen(page, *points[0]))
    page.mouse.down()
    for p in points[1:]:
        page.mouse.move(*screen(page, *p), steps=steps)
    page.mouse.up()


def wait_mask(page: Any) -> dict[str, Any]:
    page.wait_for_function(
        "(() => { const s = window.radiomixApp.state(); return s.busy === 0 && s.maskArea > 0; })()"
    )
    return state(page)


def predict(page: Any) -> dict[str, Any]:
    """Press Predict; the API's answer once the page shows it."""
    with page.expect_response("**/api/predict") as resp:
        page.click("#predict")
    answer = resp.value.json()
    assert resp.value.status == 200, answer
    page.wait_for_selector("#result:not([hidden])")
    wait_idle(page)
    return answer


def shown_probability(page: Any) -> str:
    return page.inner_text("#probability").strip()


def download_mask(page: Any, folder: Path, name: str = "page_mask.png") -> Path:
    with page.expect_download() as dl:
        page.click("#mask-download")
    path = folder / name
    dl.value.save_as(path)
    return path


def png_mask(data: bytes) -> np.ndarray:
    im = Image.open(io.BytesIO(data))
    assert im.mode == "L", im.mode  # 8-bit grey, 0/255, as /api/segment returns
    arr = np.asarray(im)
    assert set(np.unique(arr).tolist()) <= {0, 255}
    return arr > 0


def cli_probability(run_dir: Path, image: Path, mask: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-m", "radiomix.cli.main", "predict", str(run_dir), str(image), str(mask)],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(rows) == 1, out.stdout
    return float(rows[0]["probability"])


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * float((a & b).sum()) / float(a.sum() + b.sum())


def bounds(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(mask)
    return int(cols.min()), int(rows.min()), int(cols.max()), int(rows.max())


def check_answer_shown(page: Any, answer: dict[str, Any]) -> None:
    """What the answer panel shows is the API's answer."""
    assert shown_probability(page) == f"{answer['probability']:.6f}"
    assert answer["decision"] in page.inner_text("#decision")
    interval = page.inner_text("#interval")
    if answer.get("interval"):
        assert answer["interval_method"] in interval
    rows = page.locator("#contributions tbody tr")
    assert rows.count() == len(answer["contributions"])
    first = max(answer["contributions"], key=lambda c: abs(c["contribution"]))
    assert page.inner_text("#contributions tbody tr:first-child th") == first.get(
        "name", first["feature"]
    )
    warnings = page.inner_text("#warnings")
    for w in answer["warnings"]:
        assert w in warnings
    assert answer["settings_hash"] in page.inner_text("#settings-hash")


# --------------------------------------------------------------------------------- tests


def test_box_outline_prediction_matches_cli(page, app_server, busi_case, reference, tmp_path):
    """Drag a box, see the outline, predict: the probability shown is the API's, and the
    API's is ``radiomix predict``'s on the mask the page used (downloaded from the page)."""
    image, _ = busi_case
    open_page(page, app_server)
    assert "Research use only" in page.inner_text("header")
    assert "AUC" in page.inner_text("#model-body")
    open_image(page, image)
    x0, y0, x1, y1 = bounds(reference)
    drag(page, [(x0 - 1.5, y0 - 1.5), ((x0 + x1) / 2, (y0 + y1) / 2), (x1 + 2.5, y1 + 2.5)])
    st = wait_mask(page)
    assert st["maskOrigin"] == "box"
    # the outline is drawn over the image: its colour is on the canvas
    outline_pixels = page.evaluate(
        """() => { const c = document.getElementById('view');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < d.length; i += 4)
          if (d[i] === 255 && d[i + 1] === 214 && d[i + 2] === 0) n++;
        return n; }"""
    )
    assert outline_pixels > 200
    used = png_mask(download_mask(page, tmp_path).read_bytes())
    assert used.shape == reference.shape and used.sum() == st["maskArea"]
    assert dice(used, reference) > 0.6  # graph cut on this case: 0.73 from its exact box

    answer = predict(page)
    check_answer_shown(page, answer)
    assert np.array_equal(png_mask(base64.b64decode(answer["mask_png"])), used)
    cli = cli_probability(app_server.run_dir, image, tmp_path / "page_mask.png")
    assert abs(answer["probability"] - cli) <= 1e-9
    assert abs(float(shown_probability(page)) - cli) <= 5e-7

    # the case report, built in the page
    with page.expect_download() as dl:
        page.click("#report-download")
    report = tmp_path / "report.html"
    dl.value.save_as(report)
    html = report.read_text()
    for text in (
        "Research use only",
        f"{answer['probability']:.6f}",
        answer["model_id"],
        answer["settings_hash"],
        answer["contributions"][0]["feature"],
        "data:image/png;base64,",
    ):
        assert text in html
    with page.context.expect_page() as popup:
        page.click("#report-open")
    popup.value.wait_for_load_state()
    assert popup.value.inner_text("#report-probability") == f"{answer['probability']:.6f}"
    popup.value.close()


def screenshot_case(server: Any) -> tuple[Path, np.ndarray, float]:
    """The sample for the README's picture, chosen by the Dice of its box outline
    (``/api/segment`` on the box the test drags) against its reference mask: the best
    malignant case the model calls malignant with that box, else the best benign case it
    calls benign, else the best of all. Returns the image, its reference mask and the Dice."""
    scored = []
    for image in sorted(SAMPLE.glob("*/*.png")):
        masks = sorted(image.parent.glob(f"{image.stem}_mask*.png"))
        if "_mask" in image.stem or len(masks) != 1:
            continue  # a mask, or an image with several lesions
        ref = np.asarray(Image.open(masks[0]).convert("L")) > 0
        if not ref.any():
            continue  # a normal case
        x0, y0, x1, y1 = bounds(ref)
        h, w = ref.shape
        if min(x0, y0) < 2 or x1 > w - 3 or y1 > h - 3:
            continue  # the dragged box would leave the image
        files = {"image": ("upload", image.read_bytes())}
        data = {"box": f"{x0 - 2},{y0 - 2},{x1 + 2},{y1 + 2}"}
        r = httpx.post(server.base + "/api/segment", files=files, data=data, timeout=60)
        assert r.status_code == 200, r.text
        scored.append((dice(png_mask(r.content), ref), image, ref, data))
    scored.sort(key=lambda t: -t[0])
    for label in ("malignant", "benign"):
        for d, image, ref, data in [t for t in scored if t[1].parent.name == label][:6]:
            files = {"image": ("upload", image.read_bytes())}
            r = httpx.post(server.base + "/api/predict", files=files, data=data, timeout=60)
            if r.status_code == 200 and r.json()["decision_positive"] == (label == "malignant"):
                return image, ref, d
    return scored[0][1], scored[0][2], scored[0][0]


def test_screenshot(page, app_server, tmp_path):
    """The README's picture: a box on the sample whose box outline matches its reference
    mask best, predicted; under 300 KB."""
    image, ref, best = screenshot_case(app_server)
    print(f"screenshot of {image.name}: box outline Dice {best:.3f}")
    assert best > 0.85, (image.name, best)
    page.set_viewport_size({"width": 1280, "height": 1000})
    open_page(page, app_server)
    open_image(page, image)
    x0, y0, x1, y1 = bounds(ref)
    drag(page, [(x0 - 1.5, y0 - 1.5), ((x0 + x1) / 2, (y0 + y1) / 2), (x1 + 2.5, y1 + 2.5)])
    wait_mask(page)
    used = png_mask(download_mask(page, tmp_path).read_bytes())
    assert dice(used, ref) > 0.85
    answer = predict(page)
    check_answer_shown(page, answer)
    page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
    shot = SCREENSHOT if os.environ.get("RADIOMIX_APP_SCREENSHOT") else tmp_path / "shot.png"
    img = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(shot, optimize=True)
    assert shot.stat().st_size < 300_000


def test_seed_outline_and_prediction(page, app_server, busi_case, reference):
    """Click a seed inside the lesion: the outline around it, then the prediction."""
    image, _ = busi_case
    open_page(page, app_server)
    open_image(page, image)
    rows, cols = np.nonzero(reference)
    cx, cy = int(np.median(cols)), int(np.median(rows))
    assert reference[cy, cx]
    # zoom in with the wheel, move the image (Move tool), change window/level by a right drag
    before = state(page)["view"]
    page.mouse.move(*screen(page, cx, cy))
    page.mouse.wheel(0, -240)
    page.wait_for_function(f"window.radiomixApp.state().view.scale > {before['scale'] * 1.1}")
    page.click("label:has(input[value=pan])")
    view = state(page)["view"]
    drag(page, [(cx, cy), (cx - 20, cy - 10)])
    moved = state(page)["view"]
    assert moved["ox"] < view["ox"] and moved["oy"] < view["oy"]
    x, y = screen(page, cx, cy)
    page.mouse.move(x, y)
    page.mouse.down(button="right")
    page.mouse.move(x - 40, y + 20, steps=3)
    page.mouse.up(button="right")
    assert float(page.input_value("#window")) < 255
    page.click("label:has(input[value=seed])")
    assert state(page)["mode"] == "seed"
    page.mouse.click(*screen(page, cx + 0.5, cy + 0.5))
    st = wait_mask(page)
    assert st["maskOrigin"] == "seed"
    x0, y0, x1, y1 = st["maskBounds"]
    assert x0 <= cx <= x1 and y0 <= cy <= y1
    answer = predict(page)
    check_answer_shown(page, answer)
    assert answer["outline"]["pixels"] == st["maskArea"]


def test_polygon_freehand_clicked_and_brush(page, app_server, busi_case, reference, tmp_path):
    """A freehand polygon closes when the button is released; a clicked one when its first
    point is clicked again, rasterised in the page by pixel centres (as matplotlib's
    ``Path.contains_points`` decides); the brush adds and erases; Undo goes back; the mask
    predicted is the one shown."""
    from matplotlib.path import Path as MplPath

    image, _ = busi_case
    open_page(page, app_server)
    open_image(page, image)
    page.keyboard.press("p")
    assert state(page)["mode"] == "polygon"
    x0, y0, x1, y1 = bounds(reference)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    rx, ry = (x1 - x0) / 2, (y1 - y0) / 2

    # freehand: a closed stroke
    t = np.linspace(0, 2 * np.pi, 25)[:-1]
    drag(page, [(cx + 0.6 * rx * np.cos(a), cy + 0.6 * ry * np.sin(a)) for a in t], steps=2)
    st = wait_mask(page)
    assert st["maskOrigin"] == "polygon"
    ellipse = np.pi * 0.6 * rx * 0.6 * ry
    assert 0.85 * ellipse < st["maskArea"] < 1.1 * ellipse

    # clicked: eight corners, closed on the first
    page.click("#clear-mask")
    assert state(page)["maskArea"] == 0
    corners = [
        (cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 9)[:-1]
    ]
    for x, y in [*corners, corners[0]]:
        page.mouse.click(*screen(page, x, y))
    st = wait_mask(page)
    poly = np.array(st["lastPolygon"])
    assert len(poly) == 8
    h, w = reference.shape
    yy, xx = np.mgrid[0:h, 0:w]
    centres = np.column_stack([xx.ravel() + 0.5, yy.ravel() + 0.5])
    expected = MplPath(poly).contains_points(centres).reshape(h, w)
    drawn = png_mask(download_mask(page, tmp_path).read_bytes())
    assert np.sum(drawn != expected) <= 2  # only centres on an edge may differ

    # move a corner outwards: the outline follows
    first = st["editPolygon"][0]
    drag(page, [tuple(first), (first[0] + 15, first[1])])
    st = wait_mask(page)
    poly = np.array(st["editPolygon"])
    assert poly[0][0] == pytest.approx(first[0] + 15, abs=1)
    expected = MplPath(poly).contains_points(centres).reshape(h, w)
    moved = png_mask(download_mask(page, tmp_path, "moved.png").read_bytes())
    assert moved.sum() > drawn.sum()
    assert np.sum(moved != expected) <= 2
    area = int(moved.sum())

    # brush: add outside the polygon, erase inside, undo
    page.keyboard.press("a")
    drag(page, [(x1 + 20, cy - 10), (x1 + 20, cy + 10)])
    wait_idle(page)
    added = state(page)["maskArea"]
    assert added > area
    page.keyboard.press("e")
    drag(page, [(cx - 10, cy), (cx + 10, cy)])
    erased = state(page)["maskArea"]
    assert erased < added
    page.click("#undo")
    assert state(page)["maskArea"] == added
    assert state(page)["maskOrigin"].endswith("(edited)")

    answer = predict(page)
    check_answer_shown(page, answer)
    sent = png_mask(download_mask(page, tmp_path, "sent.png").read_bytes())
    assert int(sent.sum()) == added
    assert np.array_equal(png_mask(base64.b64decode(answer["mask_png"])), sent)
    # an edit after the answer marks it as stale
    drag(page, [(cx - 5, cy), (cx + 5, cy)])
    assert page.is_visible("#stale")


def test_mask_upload_matches_cli(page, app_server, busi_case, reference, tmp_path):
    """The sample's own mask file: the probability shown is ``radiomix predict``'s on the
    original files; a mask of another size and an unreadable mask file show their errors."""
    image, mask = busi_case
    open_page(page, app_server)
    open_image(page, image)
    page.set_input_files("#mask-input", str(mask))
    st = wait_mask(page)
    assert st["maskArea"] == int(reference.sum())
    answer = predict(page)
    check_answer_shown(page, answer)
    cli = cli_probability(app_server.run_dir, image, mask)
    assert abs(answer["probability"] - cli) <= 1e-9
    assert abs(float(shown_probability(page)) - cli) <= 5e-7

    # a 16-bit mask of 0/1 (all zero once the browser scales it to 8 bits) goes as it is
    mask16 = tmp_path / "mask16.png"
    Image.fromarray(reference.astype(np.uint16)).save(mask16)
    page.set_input_files("#mask-input", str(mask16))
    page.wait_for_function("document.getElementById('status').textContent.includes('as it is')")
    assert predict(page)["probability"] == pytest.approx(cli, abs=1e-9)

    # a mask of another size: refused in the page
    small = tmp_path / "small.png"
    Image.fromarray(np.full((10, 12), 255, np.uint8)).save(small)
    page.set_input_files("#mask-input", str(small))
    page.wait_for_function("document.getElementById('message').textContent.includes('12 × 10')")
    assert state(page)["maskArea"] == int(reference.sum())  # the outline is unchanged

    # a file the page cannot read is sent as it is: the server's sentence is shown
    junk = tmp_path / "mask.nii.gz"
    junk.write_text("this is not a mask\n")
    page.set_input_files("#mask-input", str(junk))
    with page.expect_response("**/api/predict") as resp:
        page.click("#predict")
    assert 400 <= resp.value.status < 500
    error = resp.value.json()["error"]
    page.wait_for_function("document.getElementById('message').textContent.length > 0")
    shown = page.inner_text("#message")
    assert error.rstrip(".").lower() in shown.lower()
    assert page.get_attribute("#message", "aria-live") == "assertive"


def test_explanation_names_its_method_and_units(page, app_server, app_server_forest, busi_case):
    """The logistic model's contributions read in log-odds, the forest's tree SHAP values on
    the probability scale; both say what they add up to (base value + contributions)."""
    image, mask = busi_case
    for server, scale in ((app_server, "log-odds"), (app_server_forest, "probability")):
        open_page(page, server)
        card = page.inner_text("#model-body")
        open_image(page, image)
        page.set_input_files("#mask-input", str(mask))
        wait_mask(page)
        answer = predict(page)
        check_answer_shown(page, answer)
        assert answer["explanation_scale"] == scale
        text = page.inner_text("#explanation-method")
        assert answer["explanation_method"] in text
        assert page.inner_text("#contrib-unit") == f"({scale})"
        n = len(answer["contributions"])
        assert f"Base value {answer['base_value']:.4g} + the {n} contributions = " in text
        if scale == "probability":
            assert "exact tree SHAP values (probability)" in card
            assert "on the probability scale" in text and text.endswith(", the probability.")
        else:
            assert "exact linear contributions (log-odds)" in card
            assert "in log-odds of malignant" in text and "probability" in text


def test_bad_upload_shows_its_message(page, app_server, busi_case, tmp_path):
    """A text file named x.png: a sentence in the page's live region, nothing to predict,
    and the page still works afterwards."""
    bad = tmp_path / "x.png"
    bad.write_text("hello, I am not an image\n")
    open_page(page, app_server)
    with page.expect_response("**/api/preview") as resp:  # the browser failed: the server says why
        page.set_input_files("#image-input", str(bad))
    assert resp.value.status in (400, 415)
    error = resp.value.json()["error"]
    page.wait_for_function("document.getElementById('message').textContent.length > 0")
    message = page.inner_text("#message")
    assert "x.png" in message and error.rstrip(".").lower() in message.lower()
    assert page.get_attribute("#message", "role") == "alert"
    assert state(page)["width"] == 0
    assert page.is_disabled("#predict")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    page.set_input_files("#image-input", str(empty))
    page.wait_for_function("document.getElementById('message').textContent.includes('empty')")
    open_image(page, busi_case[0])
    assert page.inner_text("#message") == ""


def test_keyboard_only(page, app_server, busi_case, reference, tmp_path):
    """Open the image, choose the tool, place a seed, predict and save the mask without the
    mouse; focus is visible on the way."""
    image, _ = busi_case
    open_page(page, app_server)

    def tab_to(element_id: str, limit: int = 25) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == element_id:
                return
        raise AssertionError(f"Tab never reached #{element_id}")

    def focus_ring(selector: str) -> str:
        return page.evaluate(f"getComputedStyle(document.querySelector({selector!r})).outlineStyle")

    tab_to("image-input")
    assert focus_ring("#image-button") != "none"
    choose_by_keyboard(page, str(image))
    page.wait_for_function("window.radiomixApp.state().width > 0")

    # the tool: arrow keys in the radio group, and the letter keys
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "mode":
            break
    assert page.evaluate("document.activeElement.value") == "box"
    page.keyboard.press("ArrowRight")
    assert state(page)["mode"] == "seed"
    page.keyboard.press("p")
    assert state(page)["mode"] == "polygon"
    page.keyboard.press("s")
    assert state(page)["mode"] == "seed"

    # the cursor on the image: arrows (Shift for 10 pixels), Enter places the seed
    tab_to("view")
    assert focus_ring("#view") != "none"

    def move_cursor(tx: int, ty: int) -> None:
        cur = state(page)["cursor"]
        for delta, plus, minus in (
            (tx - cur["x"], "ArrowRight", "ArrowLeft"),
            (ty - cur["y"], "ArrowDown", "ArrowUp"),
        ):
            key = plus if delta > 0 else minus
            for _ in range(abs(delta) // 10):
                page.keyboard.press("Shift+" + key)
            for _ in range(abs(delta) % 10):
                page.keyboard.press(key)
        assert state(page)["cursor"] == {"x": tx, "y": ty}

    rows, cols = np.nonzero(reference)
    move_cursor(int(np.median(cols)), int(np.median(rows)))
    page.keyboard.press("Enter")
    st = wait_mask(page)
    assert st["maskOrigin"] == "seed"

    # a box: Enter at one corner, Enter at the other
    page.keyboard.press("b")
    x0, y0, x1, y1 = bounds(reference)
    move_cursor(x0 - 2, y0 - 2)
    page.keyboard.press("Enter")
    move_cursor(x1 + 2, y1 + 2)
    with page.expect_response("**/api/segment"):
        page.keyboard.press("Enter")
    st = wait_mask(page)
    assert st["maskOrigin"] == "box"
    bx0, by0, bx1, by1 = st["maskBounds"]
    assert x0 - 2 <= bx0 and by0 >= y0 - 2 and bx1 <= x1 + 2 and by1 <= y1 + 2

    # window/level sliders with the arrow keys
    page.focus("#window")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("PageDown")
    assert float(page.input_value("#window")) < 255
    page.focus("#view")

    # a polygon: Enter at each corner, C closes it
    page.keyboard.press("p")
    for tx, ty in ((x0, y0), (x1, y0), (x1, y1), (x0, y1)):
        move_cursor(tx, ty)
        page.keyboard.press("Enter")
    page.keyboard.press("c")
    st = wait_mask(page)
    assert st["maskOrigin"] == "polygon"
    # corners at pixel centres; a centre on the right or bottom edge is outside (half-open)
    assert st["maskBounds"] == [x0, y0, x1 - 1, y1 - 1]
    page.keyboard.press("b")

    # zoom from the keyboard
    scale = state(page)["view"]["scale"]
    page.keyboard.press("+")
    assert state(page)["view"]["scale"] > scale
    page.keyboard.press("0")

    tab_to("predict")
    assert focus_ring("#predict") != "none"
    with page.expect_response("**/api/predict") as resp:
        page.keyboard.press("Enter")
    answer = resp.value.json()
    page.wait_for_selector("#result:not([hidden])")
    wait_idle(page)
    assert shown_probability(page) == f"{answer['probability']:.6f}"

    tab_to("mask-download", 40)
    with page.expect_download() as dl:
        page.keyboard.press("Space")
    dl.value.save_as(tmp_path / "kb.png")
    assert png_mask((tmp_path / "kb.png").read_bytes()).sum() == st["maskArea"]


def test_token_page(page, app_server_token, busi_case, reference):
    """Opened without its token the server says how to open it; with ``/?token=`` the
    cookie lets the page's API calls through."""
    resp = page.goto(app_server_token.base + "/")
    assert resp.status == 401
    assert "token" in page.inner_text("body").lower()
    open_page(page, app_server_token)
    assert "AUC" in page.inner_text("#model-body")
    assert "token" not in page.url
    assert page.inner_text("#message") == ""
    # the page's uploads go through with the cookie too
    open_image(page, busi_case[0])
    page.keyboard.press("s")
    rows, cols = np.nonzero(reference)
    page.mouse.click(*screen(page, float(np.median(cols)) + 0.5, float(np.median(rows)) + 0.5))
    wait_mask(page)
    assert page.inner_text("#message") == ""


def write_nifti(array: np.ndarray, path: Path) -> Path:
    import SimpleITK as sitk

    sitk.WriteImage(sitk.GetImageFromArray(array), str(path))
    return path


def test_nifti_2d_previewed_outlined_and_predicted(page, app_server, busi_case, tmp_path):
    """A 2D NIfTI image: the server renders it, the page outlines it like a PNG and sends its
    own PNG mask; the answer is ``radiomix predict``'s on the NIfTI image and that mask."""
    image, mask = busi_case
    grey = np.asarray(Image.open(image).convert("L"))
    nii = write_nifti(grey[None].astype(np.float32), tmp_path / "case.nii.gz")
    open_page(page, app_server)
    open_image(page, nii)
    st = state(page)
    assert (st["width"], st["height"], st["slices"]) == (grey.shape[1], grey.shape[0], 1)
    assert page.is_hidden("#slice-bar")
    reference = np.asarray(Image.open(mask).convert("L")) > 0
    x0, y0, x1, y1 = bounds(reference)
    drag(page, [(x0 - 1.5, y0 - 1.5), (x1 + 2.5, y1 + 2.5)])
    wait_mask(page)
    answer = predict(page)
    check_answer_shown(page, answer)
    used = download_mask(page, tmp_path)
    cli = cli_probability(app_server.run_dir, nii, used)
    assert abs(answer["probability"] - cli) <= 1e-9


def test_nifti_3d_slices(page, app_server, busi_case, tmp_path):
    """A 3D NIfTI image: a slice slider (mouse and PageUp/PageDown), a box on one slice
    outlined by the server on that slice, the prediction from the same box and slice equal
    to ``radiomix predict`` with that outline as a volume; a mask volume is sent as it is."""
    image, mask = busi_case
    grey = np.asarray(Image.open(image).convert("L")).astype(np.float32)
    volume = np.stack([np.flipud(grey), grey, grey[:, ::-1]])
    nii = write_nifti(volume, tmp_path / "volume.nii.gz")
    open_page(page, app_server)
    page.keyboard.press("p")
    open_image(page, nii)
    st = state(page)
    assert (st["slices"], st["slice"]) == (3, 1)  # the middle slice first
    assert st["mode"] == "box"  # drawn outlines are 2D: the tool fell back to the box
    assert page.is_disabled("input[value=polygon]") and page.is_disabled("input[value=add]")
    assert "of 3" in page.inner_text("#slice-bar")
    page.focus("#slice")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "window.radiomixApp.state().slice === 2 && !document.body.classList.contains('busy')"
    )
    page.locator("#view").focus()
    page.keyboard.press("PageDown")
    page.keyboard.press("PageDown")
    page.wait_for_function(
        "window.radiomixApp.state().slice === 0 && !document.body.classList.contains('busy')"
    )
    # the slice shown is the volume's slice 0 (flipped upside down)
    for x, y in ((10, 20), (200, 100), (400, 350)):
        assert page.evaluate(f"window.radiomixApp.pixel({x}, {y})") == volume[0, y, x]
    reference = np.flipud(np.asarray(Image.open(mask).convert("L")) > 0)
    x0, y0, x1, y1 = bounds(reference)
    # (the server refuses a box on a volume without its slice: this one is sent with it)
    drag(page, [(x0 - 1.5, y0 - 1.5), (x1 + 2.5, y1 + 2.5)])
    st = wait_mask(page)
    assert st["maskSlice"] == 0 and st["prompt"]["slice"] == 0
    outline = png_mask(download_mask(page, tmp_path).read_bytes())
    assert dice(outline, reference) > 0.6
    answer = predict(page)
    check_answer_shown(page, answer)
    # the same outline as a volume, given to radiomix predict
    vol_mask = np.zeros(volume.shape, np.uint8)
    vol_mask[0] = outline
    cli = cli_probability(app_server.run_dir, nii, write_nifti(vol_mask, tmp_path / "m.nii.gz"))
    assert abs(answer["probability"] - cli) <= 1e-9
    # another slice: the outline is not drawn there
    page.keyboard.press("PageUp")
    page.wait_for_function(
        "window.radiomixApp.state().slice === 1 && !document.body.classList.contains('busy')"
    )
    # a mask volume goes as it is
    page.set_input_files("#mask-input", str(tmp_path / "m.nii.gz"))
    answer2 = predict(page)
    assert answer2["probability"] == pytest.approx(cli, abs=1e-9)
    assert shown_probability(page) == f"{cli:.6f}"
