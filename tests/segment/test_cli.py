"""``radiomix segment`` end to end on small synthetic files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from radiomix.cli.main import main
from radiomix.io import read_image, read_mask
from radiomix.segment import dice


def _disc(shape: tuple[int, int], centre: tuple[float, float], radius: float) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius**2


def _write(
    array: np.ndarray, path: Path, spacing: tuple[float, ...], origin: tuple[float, ...]
) -> None:
    img = sitk.GetImageFromArray(array)
    img.SetSpacing(spacing)
    img.SetOrigin(origin)
    sitk.WriteImage(img, str(path))


@pytest.fixture()
def lesion(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """A dark speckled disc (radius 14 px, centre x=40, y=30) in a 2D NRRD with geometry."""
    obj = _disc((64, 80), (30, 40), 14)
    rng = np.random.default_rng(2)
    img = np.where(obj, 40.0, 140.0) * rng.rayleigh(1.0, obj.shape) / np.sqrt(np.pi / 2)
    path = tmp_path / "lesion.nrrd"
    _write(img.astype(np.float32)[np.newaxis], path, (0.5, 0.5, 2.0), (10.0, -5.0, 3.0))
    return path, obj


def test_segment_box_writes_mask_on_image_geometry(
    lesion: tuple[Path, np.ndarray], tmp_path: Path
) -> None:
    path, obj = lesion
    out = tmp_path / "mask.nii.gz"
    assert (
        main(["segment", str(path), "--box", "25,15,55,45", "--fill", "0.93", "--out", str(out)])
        == 0
    )
    image = read_image(path)
    mask = read_mask(out, reference=image)  # raises unless the geometry matches
    assert mask.spacing == image.spacing and mask.origin == image.origin
    assert dice(mask.array > 0, obj[np.newaxis]) > 0.9


@pytest.mark.parametrize(
    "prompt",
    [
        ["--seed", "40,30"],
        ["--seed", "40,30", "--method", "confidence"],
        ["--seed", "40,30", "--method", "connected", "--prefilter", "median"],
    ],
)
def test_segment_seed(lesion: tuple[Path, np.ndarray], tmp_path: Path, prompt: list[str]) -> None:
    path, obj = lesion
    out = tmp_path / "mask.png"
    assert main(["segment", str(path), *prompt, "--out", str(out)]) == 0
    mask = read_mask(out).array[0] > 0
    assert dice(mask, obj) > 0.8


def test_segment_threshold(tmp_path: Path) -> None:
    obj = _disc((64, 80), (30, 40), 14)
    img = np.where(obj, 40.0, 140.0) + np.random.default_rng(4).normal(0, 10, obj.shape)
    path = tmp_path / "img.nii.gz"
    _write(img.astype(np.float32)[np.newaxis], path, (0.5, 0.5, 2.0), (0.0, 0.0, 0.0))
    out = tmp_path / "mask.nrrd"
    args = ["segment", str(path), "--threshold", "otsu", "--below", "--largest", "--out", str(out)]
    assert main(args) == 0
    assert dice(read_mask(out).array[0] > 0, obj) > 0.97
    assert main(["segment", str(path), "--threshold", "90", "--below", "--out", str(out)]) == 0
    assert dice(read_mask(out).array[0] > 0, obj) > 0.97


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seed", "500,30"], "outside the image"),
        (["--seed", "40"], "give 2"),
        (["--seed", "a,b"], "comma-separated"),
        (["--box", "25,15,25,45"], "zero size"),
        (["--box", "200,200,300,300"], "outside the image"),
        (["--threshold", "1e9"], "no voxel"),
        (["--threshold", "otsu", "--method", "rays"], "--method applies"),
        (["--box", "25,15,55,45", "--method", "snake"], "unknown box method"),
        (["--box", "25,15,55,45", "--fill", "1.5"], "fill must be in"),
    ],
)
def test_segment_bad_input_exits_2(
    lesion: tuple[Path, np.ndarray],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    path, _ = lesion
    out = tmp_path / "mask.nii.gz"
    assert main(["segment", str(path), *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("radiomix: error:") and message in err and err.count("\n") == 1
    assert not out.exists()


def test_segment_bad_output_extension(lesion: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    path, _ = lesion
    assert main(["segment", str(path), "--seed", "40,30", "--out", str(tmp_path / "m.bmp")]) == 2
