"""Shared fixtures: the IBSI 1 digital phantom (committed) and the ../shared data (optional)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from radiomix.extraction.reference import ReferenceValue, load_reference_table

#: Debian's Chromium, driven by Playwright in the browser tests (the report, the app's page)
CHROMIUM = Path("/usr/bin/chromium")
#: its headless flags on a machine without a network (no background connections)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
SHARED = TESTS.parent.parent / "shared"
IBSI_DIR = SHARED / "ibsi"


@dataclass(frozen=True)
class Phantom:
    """Image (float64) and mask (bool) in (z, y, x), spacing (z, y, x) in mm."""

    image: np.ndarray
    mask: np.ndarray
    spacing: tuple[float, float, float]


def _read(path: Path) -> tuple[np.ndarray, tuple[float, float, float]]:
    img = sitk.ReadImage(str(path))
    return sitk.GetArrayFromImage(img), tuple(reversed(img.GetSpacing()))  # type: ignore[return-value]


@pytest.fixture(scope="session")
def digital_phantom() -> Phantom:
    """The IBSI 1 digital phantom: 5x4x4 voxels of 2 mm, grey levels 1-6 inside the ROI."""
    image, spacing = _read(DATA / "ibsi1_digital_phantom" / "image.nii.gz")
    mask, _ = _read(DATA / "ibsi1_digital_phantom" / "mask.nii.gz")
    return Phantom(image.astype(np.float64), mask > 0, spacing)


@pytest.fixture(scope="session")
def digital_phantom_reference() -> dict[str, ReferenceValue]:
    """IBSI 1 reference values for the digital phantom, by tag (``cm_joint_max_3D_comb``)."""
    table = load_reference_table(DATA / "ibsi1_digital_phantom" / "reference_values.csv")
    return {r.tag: r for r in table}


def digital_phantom_tags(prefix: str) -> list[str]:
    """Tags of the digital phantom table that start with ``prefix`` and have a value.

    Use it to parametrise one test per (feature, aggregation).
    """
    table = load_reference_table(DATA / "ibsi1_digital_phantom" / "reference_values.csv")
    return [r.tag for r in table if r.tag.startswith(prefix) and r.value is not None]


def require_shared(*parts: str) -> Path:
    """Path under ../shared; skips the test with a clear reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path} (the project's shared data folder beside the checkout)")
    return path
