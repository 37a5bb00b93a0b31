"""Fixtures of the web app's tests: a small trained run directory and a real app process.

``app_run_dir`` trains a fast BUSI study on the bundled sample once per session (about 8 s
on 2 cores). ``app_server`` starts ``radiomix app`` on it (no token) on a free port and
stops it at the end of the session; ``app_server_token`` is the same with a token and
``app_server_forest`` serves the run's random forest comparator. They
yield an :class:`AppServer`: ``.url`` opens the page (with ``?token=`` when there is one),
``.base`` is the address without it, ``.headers`` authorise API calls, ``.run_dir`` is the
run directory. The page's browser tests use them too.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the web app needs the [app] extra")

#: small folds and resamples: these tests need a real model, not a good estimate (the
#: forest gives the app a non-linear comparator to explain)
FAST_STUDY = """\
comparators: [shape_only_lr, random_forest]
models:
  - {name: lr_l2_mrmr, grid: {select__k: [5], clf__C: [1.0]}}
  - {name: shape_only_lr, grid: {clf__C: [1.0]}}
  - {name: random_forest, grid: {clf__min_samples_leaf: [3]}, params: {clf__n_estimators: 30}}
validation: {outer_folds: 3, inner_folds: 3, repeats: 1, bootstrap: 200, permutations: 1}
"""

#: the bundled BUSI sample the run is trained on (images and masks)
SAMPLE = Path(__file__).resolve().parents[2] / "src" / "radiomix" / "data" / "busi_sample"
TOKEN = "test-token-0123456789"


@dataclass
class AppServer:
    """A running ``radiomix app`` process."""

    base: str
    token: str | None
    run_dir: Path
    process: subprocess.Popen[bytes]
    log: Path
    audit_log: Path
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """Where a browser opens the page (``/?token=TOKEN`` when there is a token)."""
        return self.base + "/" + (f"?token={self.token}" if self.token else "")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def start_app(
    run_dir: Path, folder: Path, *, token: str | None = None, args: tuple[str, ...] = ()
) -> Iterator[AppServer]:
    """Start ``radiomix app RUN_DIR`` on a free port, wait until it answers, stop it after."""
    port = free_port()
    log = folder / f"app-{port}.log"
    audit = folder / f"audit-{port}.jsonl"
    cmd = [sys.executable, "-m", "radiomix.cli.main", "app", str(run_dir), "--port", str(port)]
    cmd += ["--audit-log", str(audit), *args]
    if token:
        cmd += ["--token", token]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    server = AppServer(f"http://127.0.0.1:{port}", token, run_dir, proc, log, audit, headers)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"radiomix app exited ({proc.returncode}): {log.read_text()}")
            try:
                req = urllib.request.Request(server.base + "/api/health", headers=headers)
                with urllib.request.urlopen(req, timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"radiomix app did not answer in 90 s: {log.read_text()}")
            time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def app_run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A BUSI run directory (bundled sample, fast study settings), trained once."""
    from radiomix.cli.main import main

    folder = tmp_path_factory.mktemp("app-run")
    cfg = folder / "fast.yaml"
    cfg.write_text(FAST_STUDY)
    run = folder / "run"
    mp = pytest.MonkeyPatch()
    mp.delenv("BUSI_DIR", raising=False)
    try:
        args = ["study", "busi", "--out", str(run), "--study", str(cfg), "--jobs", "2", "--quiet"]
        assert main(args) == 0
    finally:
        mp.undo()
    return run


@pytest.fixture(scope="session")
def app_server(app_run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """``radiomix app`` on :func:`app_run_dir`, no token (loopback only)."""
    with start_app(app_run_dir, tmp_path_factory.mktemp("app-server")) as server:
        yield server


@pytest.fixture(scope="session")
def app_server_token(
    app_run_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServer]:
    """``radiomix app`` on :func:`app_run_dir` with ``--token`` (and a 2 MB upload limit)."""
    folder = tmp_path_factory.mktemp("app-token")
    args = ("--max-upload-mb", "2")
    with start_app(app_run_dir, folder, token=TOKEN, args=args) as server:
        yield server


@pytest.fixture(scope="session")
def app_server_forest(
    app_run_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServer]:
    """``radiomix app --model random_forest`` on :func:`app_run_dir` (the run's forest
    comparator, explained by tree SHAP values), no token."""
    folder = tmp_path_factory.mktemp("app-forest")
    with start_app(app_run_dir, folder, args=("--model", "random_forest")) as server:
        yield server


@pytest.fixture(scope="session")
def busi_case() -> tuple[Path, Path]:
    """A malignant sample image and its mask."""
    image = SAMPLE / "malignant" / "malignant (11).png"
    return image, image.with_name("malignant (11)_mask.png")


# ----------------------------------------------------------------- the browser (page tests)

#: the window of the page tests (and of the README screenshot)
VIEWPORT = {"width": 1280, "height": 860}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh browser context and page; any JavaScript error in it fails the test."""
    context = chromium.new_context(viewport=VIEWPORT, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield pg
    finally:
        context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def choose_by_keyboard(page: Any, files: Any) -> None:
    """Open the focused file input's chooser with the Space key and pick ``files``.

    A keypress can be lost while the machine is busy (Chromium then never asks for a file):
    Space is pressed again once before the test fails.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(2):
        try:
            with page.expect_file_chooser(timeout=15_000 * (attempt + 1)) as chooser:
                page.keyboard.press("Space")
        except PlaywrightTimeout:
            if attempt:
                raise
            continue
        chooser.value.set_files(files)
        return


def write_dicom(path: Path, pixels: np.ndarray, *, geometry: bool = True, bits: int = 16) -> Path:
    """One single-frame DICOM image file: a CT with plane geometry, or an ultrasound image
    without (as BUSI), its pixels stored in ``bits`` (8 or 16) unsigned bits."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    sop_class = CTImageStorage if geometry else "1.2.840.10008.5.1.4.1.1.6.1"
    sop = generate_uid()
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = sop
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.PatientName, ds.PatientID, ds.PatientBirthDate, ds.PatientSex = "Ph^R", "P", "", "O"
    ds.StudyInstanceUID, ds.StudyDate, ds.StudyTime = generate_uid(), "20260101", "120000"
    ds.ReferringPhysicianName, ds.AccessionNumber, ds.StudyID = "", "A1", "1"
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop
    ds.SeriesInstanceUID, ds.SeriesNumber, ds.InstanceNumber = generate_uid(), 1, 1
    ds.Modality = "CT" if geometry else "US"
    ds.Manufacturer = "radiomix tests"
    if geometry:
        ds.FrameOfReferenceUID, ds.PositionReferenceIndicator = generate_uid(), ""
        ds.ImagePositionPatient = [-10.0, 5.0, 20.0]
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        ds.PixelSpacing, ds.SliceThickness = [0.7, 0.6], 2.0
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.RescaleSlope, ds.RescaleIntercept = 1, 0
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = bits, bits, bits - 1, 0
    ds.PixelData = pixels.astype(np.uint8 if bits == 8 else np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path
