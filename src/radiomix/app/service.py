"""What the web app does, without the web: load a run once, outline, predict, explain, warn.

:class:`AppService` is created once when ``radiomix app`` starts: it loads the model bundle
of the run directory, its extraction settings, the model card, the training statistics
(from the run's feature table, cached in ``RUN_DIR/.app-cache/``) and the out-of-fold
predictions. Each request hands it the uploaded bytes; they are checked (type by content,
size from the header before decoding), written to a private temporary folder under fixed
names (a client's file name never reaches the file system), read by :mod:`radiomix.io`
exactly as ``radiomix predict`` reads files, and the folder is removed.

The maths lives in the library: outlines in :func:`radiomix.segment.segment_prompt`, the
per-case prediction in :func:`radiomix.learn.apply.predict_case` (the path of ``radiomix
predict``), contributions, training statistics and the interval in
:mod:`radiomix.learn.explain`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import logging
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from radiomix.errors import ModelBundleError, RadiomixError, RequestError

if TYPE_CHECKING:
    import pandas as pd

    from radiomix.io import Volume
    from radiomix.learn.bundle import ModelBundle
    from radiomix.learn.explain import TrainingStatistics

__all__ = ["AppService", "Upload", "sniff_format"]

log = logging.getLogger(__name__)

#: the largest image the app decodes, in pixels (voxels for 3D): Pillow's bomb limit
MAX_PIXELS = 89_478_485
#: a 3D volume may hold more voxels than a 2D image pixels
MAX_VOXELS = 512 * 1024 * 1024
#: formats read, by content: suffix used for the temporary file -> name
FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".dcm": "DICOM",
    ".nii": "NIfTI",
    ".nii.gz": "NIfTI (gzip)",
    ".nrrd": "NRRD",
    ".mha": "MetaImage",
}
_PLANAR = (".png", ".jpg", ".bmp", ".tif")
#: recognised but not read: magic bytes -> name (answered with 415)
_OTHER_TYPES = {
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
    b"%PDF": "PDF",
    b"PK\x03\x04": "ZIP",
    b"RIFF": "RIFF (WebP or other)",
    b"\x00\x00\x00\x0cjP": "JPEG 2000",
}
#: diagnostics columns of the training table used to describe the training images
_IMAGE_COLUMNS = {
    "width": "diagnostics_img_dim_x_init_img",
    "height": "diagnostics_img_dim_y_init_img",
    "slices": "diagnostics_img_dim_z_init_img",
    "max_intensity": "diagnostics_max_int_init_img",
    "roi_pixels": "diagnostics_int_mask_vox_count_init_roi",
}
_SUMMARY_PCT = (0, 1, 5, 50, 95, 99, 100)
#: ROI size limits (share of the image) beyond which a warning is given
SMALL_ROI_PIXELS = 30
LARGE_ROI_SHARE = 0.5
#: ``/api/export/mask`` formats: name -> (file name of the download, media type)
EXPORT_FORMATS = {
    "nifti": ("outline.nii.gz", "application/gzip"),
    "nrrd": ("outline.nrrd", "application/octet-stream"),
    "png": ("outline.png", "image/png"),
    "dicom-seg": ("outline-seg.dcm", "application/dicom"),
}


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its bytes and the content type the client declared."""

    data: bytes
    content_type: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _nifti_header_size(head: bytes) -> bool:
    if len(head) < 4:
        return False
    return int.from_bytes(head[:4], "little") in (348, 540) or int.from_bytes(head[:4], "big") in (
        348,
        540,
    )


def sniff_format(data: bytes, what: str = "image") -> str:
    """The suffix (a key of :data:`FORMATS`) of an upload, from its content.

    Raises
    ------
    RequestError
        An empty file (400), a known format the app does not read (415), or content that is
        no image at all (400).
    """
    if not data:
        raise RequestError(f"the {what} file is empty")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if data.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if data.startswith(b"BM") and len(data) > 26:
        return ".bmp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return ".tif"
    if data[128:132] == b"DICM":
        return ".dcm"
    if data.startswith(b"NRRD"):
        return ".nrrd"
    if data.lstrip().startswith((b"ObjectType", b"NDims")):
        return ".mha"
    if data.startswith(b"\x1f\x8b"):
        import zlib

        try:
            head = zlib.decompressobj(wbits=31).decompress(data[:4096], 352)
        except zlib.error:
            head = b""
        if _nifti_header_size(head):
            return ".nii.gz"
        raise RequestError(
            f"the {what} is a gzip file that holds no NIfTI image; the app reads " + _READABLE,
            status=415,
        )
    if len(data) >= 352 and _nifti_header_size(data) and data[344:348] in (b"n+1\x00", b"ni1\x00"):
        return ".nii"
    if len(data) >= 544 and _nifti_header_size(data) and data[4:8] in (b"n+2\x00", b"ni2\x00"):
        return ".nii"
    for magic, name in _OTHER_TYPES.items():
        if data.startswith(magic):
            raise RequestError(
                f"the {what} is a {name} file, a type the app does not read; give " + _READABLE,
                status=415,
            )
    raise RequestError(f"the {what} file is not an image the app can read; give " + _READABLE)


_READABLE = "PNG, JPEG, BMP, TIFF, DICOM, NIfTI, NRRD or MetaImage"


def _check_planar_size(data: bytes, fmt: str, what: str) -> None:
    """Refuse a raster whose header announces more than :data:`MAX_PIXELS`, before decoding."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:  # reads the header only
                width, height = im.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise RequestError(
            f"the {what} is too large to decode ({exc}); the app reads images up to "
            f"{MAX_PIXELS:,} pixels",
            status=413,
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise RequestError(f"the {what} could not be read as {fmt}: {exc}") from None
    if width * height > MAX_PIXELS:
        raise RequestError(
            f"the {what} is {width} x {height} pixels, more than the {MAX_PIXELS:,} the app "
            "decodes",
            status=413,
        )


def _check_tiff_pages(data: bytes, what: str) -> None:
    """Refuse a TIFF whose pages hold more than :data:`MAX_VOXELS` in all (read from the
    headers: many small compressed pages can expand to gigavoxels)."""
    import tifffile

    try:
        with tifffile.TiffFile(io.BytesIO(data)) as tif:
            shape = tif.series[0].shape
    except (tifffile.TiffFileError, OSError, ValueError, IndexError) as exc:
        raise RequestError(f"the {what} could not be read as TIFF: {exc}") from None
    n = int(np.prod([int(s) for s in shape], dtype=np.float64))
    if n > MAX_VOXELS:
        raise RequestError(
            f"the {what} holds {n:,} values, more than the {MAX_VOXELS:,} the app decodes",
            status=413,
        )


def _check_volume_size(path: Path, fmt: str, what: str) -> None:
    """Refuse a NIfTI / NRRD / MetaImage / DICOM file whose header announces too many voxels."""
    import SimpleITK as sitk

    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
    except RuntimeError:
        raise RequestError(
            f"the {what} could not be read as {fmt}: its header is invalid"
        ) from None
    n = int(np.prod([int(s) for s in reader.GetSize()], dtype=np.float64))
    n *= max(1, int(reader.GetNumberOfComponents()))
    if n > MAX_VOXELS:
        raise RequestError(
            f"the {what} holds {n:,} voxels, more than the {MAX_VOXELS:,} the app decodes",
            status=413,
        )


@contextlib.contextmanager
def private_folder() -> Iterator[Path]:
    """A temporary folder only this user can read (mode 0700), removed on exit."""
    with tempfile.TemporaryDirectory(prefix="radiomix-app-") as tmp:
        yield Path(tmp)


def _parse_prompt(text: str | None, what: str, n: int) -> tuple[float, ...] | None:
    if text is None:
        return None
    parts = [p.strip() for p in str(text).split(",")]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != n or not all(np.isfinite(values)):
        form = "x0,y0,x1,y1" if what == "box" else "x,y"
        raise RequestError(
            f"{what} {text!r} is malformed: give {form} as {n} whole-number pixel indices "
            "(column then row)"
        )
    if any(v != round(v) for v in values):
        raise RequestError(f"{what} {text!r}: pixel indices are whole numbers")
    return values


def _check_in_image(values: tuple[float, ...], what: str, shape: tuple[int, int, int]) -> None:
    _, ny, nx = shape
    pts = [values[i : i + 2] for i in range(0, len(values), 2)]
    for x, y in pts:
        if not (0 <= x < nx and 0 <= y < ny):
            raise RequestError(
                f"{what} point ({int(x)}, {int(y)}) lies outside the image, whose pixel "
                f"indices run from (0, 0) to ({nx - 1}, {ny - 1}) (column, row)"
            )


def _png_bytes(array: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def mask_png(mask: np.ndarray) -> bytes:
    """A 2D boolean mask as a PNG with 0 and 255."""
    return _png_bytes((np.asarray(mask) > 0).astype(np.uint8) * 255)


def _slice_of(text: str | None, n: int) -> int:
    """The slice index of a ``slice`` field (0-based), checked against ``n`` slices."""
    try:
        k = int(str(text).strip())
    except ValueError:
        raise RequestError(f"slice {text!r}: give a whole number from 0 to {n - 1}") from None
    if not 0 <= k < n:
        raise RequestError(f"slice {k} is outside the image, whose slices run from 0 to {n - 1}")
    return k


def _parse_window(text: str | None) -> tuple[float, float] | None:
    """The intensity window ``lo,hi`` of a ``window`` field (``lo < hi``, finite), or None."""
    if text is None:
        return None
    parts = [p.strip() for p in str(text).split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 2 or not all(np.isfinite(values)) or values[0] >= values[1]:
        raise RequestError(
            f"window {str(text)[:40]!r} is malformed: give lo,hi in the image's units with "
            "lo < hi (e.g. window=-160,240)"
        )
    return values[0], values[1]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class AppService:
    """The model of one run directory, loaded once, and what the app does with it.

    Parameters
    ----------
    run_dir : path
        A run directory written by ``radiomix train`` or ``radiomix study``.
    model : str, optional
        A comparator's name instead of the primary model.
    cache : bool
        Store the training statistics in ``RUN_DIR/.app-cache/`` (when writable).

    Raises
    ------
    ModelBundleError
        No usable model in ``run_dir``, or one without extraction settings.
    """

    def __init__(self, run_dir: str | Path, *, model: str | None = None, cache: bool = True):
        from radiomix.extraction.settings import settings_hash
        from radiomix.learn.apply import bundle_settings, load_run_bundle

        self.run_dir = Path(run_dir)
        self.bundle: ModelBundle = load_run_bundle(self.run_dir, model)
        if self.bundle.task != "binary":  # the page shows one probability and a threshold
            raise ModelBundleError(
                f"the web app serves two-class models; {self.run_dir} holds a "
                f"{self.bundle.task} model ({self.bundle.name!r}): use radiomix predict instead"
            )
        self.settings = bundle_settings(self.bundle)
        self.settings_hash = settings_hash(self.settings)
        bundle_path = (
            self.run_dir / "model.joblib"
            if model is None or self.bundle.name == self._primary_name()
            else self.run_dir / "models" / f"{model}.joblib"
        )
        self.model_sha256 = _sha256_file(bundle_path)
        self.model_id = f"{self.bundle.name}-{self.model_sha256[:12]}"
        self._study = self._read_json("study.json")
        self._metrics = self._read_json("metrics.json")
        self._cohort = self._read_json("cohort/cohort_summary.json")
        self.training_note = ""
        self._background: pd.DataFrame | None = None
        self.stats: TrainingStatistics | None = self._training_statistics(cache)
        self._oof = self._out_of_fold()

    # ------------------------------------------------------------------ start-up

    def _primary_name(self) -> str | None:
        meta = self._read_json("model.json")
        return meta.get("name") if meta else None

    def _read_json(self, name: str) -> dict[str, Any]:
        path = self.run_dir / name
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _training_table(self) -> tuple[pd.DataFrame | None, str]:
        """The training feature table when a copy with the recorded SHA-256 is at hand."""
        from radiomix.learn.table import read_table

        want = self.bundle.training.get("table_sha256")
        candidates = [self.run_dir / "features.csv", self.run_dir / "features.parquet"]
        recorded = self.bundle.training.get("table")
        if recorded:
            candidates += [Path(recorded), self.run_dir / Path(recorded).name]
        for path in candidates:
            if path.is_file() and (want is None or _sha256_file(path) == want):
                try:
                    inside = path.parent.resolve() == self.run_dir.resolve()
                    shown = f"{path.name} of the run directory" if inside else path.name
                    return read_table(path), shown
                except (RadiomixError, OSError, ValueError):
                    continue
        return None, (
            "the training feature table (SHA-256 "
            f"{str(want)[:12]}...) is not in the run directory: the case cannot be compared "
            "with the training distribution"
        )

    def _training_statistics(self, cache: bool) -> TrainingStatistics | None:
        from radiomix.learn.explain import TrainingStatistics, training_statistics

        table, where = self._training_table()
        if table is None:
            self.training_note = where
            return None
        try:
            X = self.bundle.check_features(table, allow_extra=True)
        except RadiomixError as exc:
            self.training_note = f"the training table does not fit the model: {exc}"
            return None
        self._background = X
        self.training_note = f"training distribution from {where} ({len(X)} cases)"
        key = hashlib.sha256(
            f"{self.model_sha256}|{self.bundle.training.get('table_sha256')}|v1".encode()
        ).hexdigest()[:16]
        cache_file = self.run_dir / ".app-cache" / f"training-stats-{key}.json"
        if cache_file.is_file():
            try:
                return TrainingStatistics.from_dict(json.loads(cache_file.read_text()))
            except (OSError, ValueError, KeyError):
                pass
        extra: dict[str, Any] = {}
        for name, col in _IMAGE_COLUMNS.items():
            if col in table.columns:
                v = np.asarray(table[col], dtype=np.float64)
                v = v[np.isfinite(v)]
                if len(v):
                    pct = np.percentile(v, _SUMMARY_PCT)
                    extra[name] = dict(
                        zip([f"p{q}" for q in _SUMMARY_PCT], pct.tolist(), strict=True)
                    )
        stats = training_statistics(self.bundle.pipeline, X, extra=extra)
        if cache:
            from radiomix._outputs import atomic_write_text

            try:
                cache_file.parent.mkdir(mode=0o700, exist_ok=True)
                atomic_write_text(cache_file, json.dumps(_jsonable(stats.to_dict())))
            except (OSError, RadiomixError) as exc:  # a read-only run: kept in memory only
                log.info("training statistics not cached: %s", exc)
        return stats

    def _out_of_fold(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Per training case: the median out-of-fold probability over repeats and the label."""
        import pandas as pd

        path = self.run_dir / "predictions.csv"
        if not path.is_file():
            return None
        try:
            oof = pd.read_csv(path)
        except (OSError, ValueError):
            return None
        if not {"model", "probability", "y"} <= set(oof.columns):
            return None
        oof = oof[oof["model"] == self.bundle.name]
        if not len(oof):
            return None
        keys = [c for c in ("case_id", "roi") if c in oof.columns] or ["y"]
        per = oof.groupby(keys, sort=False).agg(p=("probability", "median"), y=("y", "first"))
        return per["p"].to_numpy(np.float64), per["y"].to_numpy(np.int64)

    def warm_up(self) -> None:
        """Outline and predict a small synthetic image once, so that the first request does
        not pay for loading the segmentation, feature and explanation code (about 0.4 s)."""
        yy, xx = np.mgrid[:64, :64]
        disc = ((yy - 32) ** 2 + (xx - 30) ** 2) < 14**2
        rng = np.random.default_rng(0)
        image = (60 + 120 * disc + rng.integers(0, 30, disc.shape)).astype(np.uint8)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.predict(Upload(_png_bytes(image)), box="12,14,50,50")
        except Exception as exc:  # noqa: BLE001 - a warm-up may fail on odd settings: harmless
            log.info("warm-up skipped: %s", exc)

    # ----------------------------------------------------------------- model card

    def classes(self) -> dict[str, str]:
        """Names of the negative and positive classes."""
        label = self.bundle.label
        task = self._cohort.get("task", {}) if self._cohort else {}
        neg = task.get("negative") or str(label.get("negative"))
        pos = task.get("positive") or str(label.get("positive"))
        return {"negative": str(neg), "positive": str(pos)}

    def is_busi(self) -> bool:
        cfg_name = str(self._metrics.get("study", {}).get("name", ""))
        return cfg_name == "busi" or "busi" in str(self._study.get("data", "")).lower()

    def model_card(self) -> dict[str, Any]:
        """The model card served at ``/api/model``."""
        b = self.bundle
        classes = self.classes()
        metrics = self._metrics.get("models", {}).get(b.name) or (
            self._metrics.get("primary", {})
            if self._metrics.get("primary", {}).get("model") == b.name
            else {}
        )
        keep = (
            "auc",
            "auc_ci",
            "auc_ci_delong",
            "pr_auc",
            "pr_auc_ci",
            "sensitivity",
            "sensitivity_ci",
            "specificity",
            "specificity_ci",
            "balanced_accuracy",
            "balanced_accuracy_ci",
            "brier",
            "brier_ci",
            "calibration_slope",
            "calibration_intercept",
            "n_repeats",
        )
        study = self._metrics.get("study", {})
        n_cases = b.training.get("n_cases", study.get("n_cases"))
        n_pos = b.training.get("n_positive", study.get("n_positive"))
        task = self._study.get("task") or (
            f"{b.label.get('column')}: {classes['positive']} vs {classes['negative']}"
        )
        intended = "research use only; not a medical device and not for clinical decisions"
        if self.is_busi():
            intended += (
                "; BUSI-like breast ultrasound: 2D grayscale B-mode images with one lesion outlined"
            )
        oof_note = (
            "local calibration interval from the run's out-of-fold predictions"
            if self._oof is not None
            else "no interval: the run directory holds no out-of-fold predictions"
        )
        return _jsonable(
            {
                "model": b.name,
                "model_id": self.model_id,
                "model_sha256": self.model_sha256,
                "settings_hash": self.settings_hash,
                "extraction": {
                    "name": self.settings.name,
                    "description": self.settings.description,
                },
                "task": task,
                "label_column": b.label.get("column"),
                "classes": classes,
                "positive_class": classes["positive"],
                "threshold": float(b.threshold),
                "threshold_rule": b.threshold_rule,
                "metrics": {k: metrics[k] for k in keep if k in metrics},
                "metrics_source": "nested cross-validation (metrics.json of the run)"
                if metrics
                else "metrics.json is missing from the run directory",
                "training_cohort": {
                    "n_cases": n_cases,
                    "n_positive": n_pos,
                    "n_negative": None if n_cases is None or n_pos is None else n_cases - n_pos,
                    "data": _data_name(self._study, b.training),
                },
                "n_features": len(b.features),
                "best_params": b.best_params,
                "intended_use": intended,
                "explanation": self._explanation(),
                "interval": oof_note,
                "training_distribution": self.training_note,
                "versions": b.versions,
            }
        )

    def _explanation(self) -> str:
        """How each prediction is explained, with its units (the model card)."""
        from radiomix.learn.explain import explanation_name

        return explanation_name(self.bundle.pipeline)

    # ------------------------------------------------------------------ inputs

    def _write(self, folder: Path, upload: Upload, stem: str, what: str) -> tuple[Path, str]:
        suffix = sniff_format(upload.data, what)
        fmt = FORMATS[suffix]
        if suffix in _PLANAR:
            _check_planar_size(upload.data, fmt, what)
        if suffix == ".tif":
            _check_tiff_pages(upload.data, what)
        path = folder / f"{stem}{suffix}"  # fixed names: nothing of the client's
        path.write_bytes(upload.data)
        if suffix not in _PLANAR:
            _check_volume_size(path, fmt, what)
        return path, fmt

    def _read_image(self, path: Path, fmt: str) -> tuple[Volume, list[str]]:
        from radiomix.io import read_image

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                image = read_image(path)
            except RadiomixError as exc:
                raise RequestError(
                    f"the image could not be read as {fmt}: {_clean(exc, path)}"
                ) from None
            except Exception as exc:  # noqa: BLE001 - decoders fail in many ways: all mean unreadable
                raise RequestError(
                    f"the image could not be read as {fmt} ({type(exc).__name__})"
                ) from None
        notes = [str(w.message).replace(str(path), "the image") for w in caught]
        return image, notes

    # ---------------------------------------------------------------- endpoints

    def segment(
        self,
        image: Upload,
        *,
        box: str | None = None,
        seed: str | None = None,
        slice_index: str | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """The outline of one prompt: (2D boolean mask of the image or its slice, information)."""
        if (box is None) == (seed is None):
            raise RequestError("give exactly one prompt: box=x0,y0,x1,y1 or seed=x,y")
        with private_folder() as folder:
            path, fmt = self._write(folder, image, "image", "image")
            vol, _ = self._read_image(path, fmt)
        mask = self._outline(vol, box=box, seed=seed, slice_index=slice_index)
        k = _slice_of(slice_index, vol.shape[0]) if vol.shape[0] > 1 else 0
        return np.asarray(mask.array[k]), {"format": fmt, "slice": k, "slices": vol.shape[0]}

    def preview(
        self, image: Upload, *, slice_index: str | None = None, window: str | None = None
    ) -> dict[str, Any]:
        """One slice of an image as an 8-bit grey PNG, for a page that cannot decode it.

        8-bit data is shown as it is; other data is mapped linearly from the volume's
        minimum to its maximum (``scaling`` gives both). ``window="lo,hi"`` (in the image's
        own units, e.g. Hounsfield units after rescaling) maps ``lo`` to 0 and ``hi`` to 255
        instead, values beyond clipped.
        """
        win = _parse_window(window)
        with private_folder() as folder:
            path, fmt = self._write(folder, image, "image", "image")
            vol, notes = self._read_image(path, fmt)
        nz, ny, nx = vol.shape
        k = _slice_of(slice_index, nz) if slice_index is not None else nz // 2
        arr = np.asarray(vol.array, dtype=np.float64)
        finite = arr[np.isfinite(arr)]
        lo = float(finite.min()) if finite.size else 0.0
        hi = float(finite.max()) if finite.size else 0.0
        if win is not None:
            low, high = win
        elif vol.array.dtype == np.uint8 or (
            lo >= 0 and hi <= 255 and np.all(finite == np.round(finite))
        ):
            low, high = 0.0, 255.0
        else:
            low, high = lo, hi if hi > lo else lo + 1.0
        plane = np.nan_to_num(arr[k], nan=low, posinf=high, neginf=low)
        grey = np.clip(np.round((plane - low) / (high - low) * 255), 0, 255).astype(np.uint8)
        return {
            "png": base64.b64encode(_png_bytes(grey)).decode("ascii"),
            "width": nx,
            "height": ny,
            "slices": nz,
            "slice": k,
            "format": fmt,
            "scaling": {"low": low, "high": high},
            "warnings": notes,
        }

    def _outline(
        self,
        image: Volume,
        *,
        box: str | None,
        seed: str | None,
        slice_index: str | None = None,
    ) -> Volume:
        from radiomix.segment import segment_prompt

        b = _parse_prompt(box, "box", 4)
        s = _parse_prompt(seed, "seed", 2)
        for values, what in ((b, "box"), (s, "seed")):
            if values is not None:
                _check_in_image(values, what, image.shape)
        if image.shape[0] > 1:  # a 3D image: the prompt lies on one slice
            if slice_index is None:
                raise RequestError(
                    f"the image has {image.shape[0]} slices: send slice=K with the box or seed"
                )
            k = float(_slice_of(slice_index, image.shape[0]))
            if b is not None:
                b = (b[0], b[1], k, b[2], b[3], k)
            if s is not None:
                s = (s[0], s[1], k)
        try:
            mask = segment_prompt(image, seeds=[s] if s is not None else None, box=b)
        except RadiomixError as exc:
            raise RequestError(f"no outline: {exc}") from None
        if not np.any(mask.array):
            raise RequestError("the outline came out empty: draw the box around the lesion")
        return mask

    def predict(
        self,
        image: Upload,
        *,
        mask: Upload | None = None,
        box: str | None = None,
        seed: str | None = None,
        slice_index: str | None = None,
    ) -> dict[str, Any]:
        """The answer of ``/api/predict`` for one image and one outline."""
        from radiomix.learn.apply import predict_case

        given = [n for n, v in (("mask", mask), ("box", box), ("seed", seed)) if v is not None]
        if len(given) != 1:
            raise RequestError(
                "give exactly one outline: a mask file, box=x0,y0,x1,y1 or seed=x,y"
                + (f" (got {' and '.join(given)})" if given else " (got none)")
            )
        with private_folder() as folder:
            image_path, fmt = self._write(folder, image, "image", "image")
            vol, notes = self._read_image(image_path, fmt)
            if mask is not None:
                mask_path, mfmt = self._write(folder, mask, "mask", "mask")
                roi, placed = self._read_mask(mask_path, mfmt, vol, slice_index, one_label=True)
                source = "uploaded mask" + (" (one slice)" if placed else "")
                img_in: Any = image_path  # the files, read as radiomix predict reads them
                mask_in: Any = mask_path
                if placed:  # a 2D mask on slice K of a volume: the ROI is that one slice
                    img_in, mask_in = vol, vol.with_array(roi.astype(np.uint8))
            else:
                outline = self._outline(vol, box=box, seed=seed, slice_index=slice_index)
                roi = np.asarray(outline.array, bool)
                source = "box (graph cut)" if box is not None else "seed (rays)"
                img_in, mask_in = vol, outline.with_array(roi.astype(np.uint8))
            try:
                features, pred = predict_case(
                    self.bundle, img_in, mask_in, settings=self.settings, case_id="upload"
                )
            except RadiomixError as exc:
                raise RequestError(
                    f"the features could not be computed: {_clean(exc, folder)}"
                ) from None
        if len(pred) != 1:
            raise RequestError(
                f"the mask holds {len(pred)} regions (labels); upload a mask with one region"
            )
        return self._answer(vol, roi, features, pred, notes, source)

    def export_mask(
        self,
        image: Upload,
        mask: Upload,
        *,
        fmt: str | None,
        slice_index: str | None = None,
    ) -> tuple[bytes, str, str]:
        """The outline of ``/api/export/mask`` as a file: (content, file name, media type).

        Parameters
        ----------
        image, mask : Upload
            The image and its mask (as for :meth:`predict`; on a 3D image a 2D mask with
            ``slice_index`` lies on that slice).
        fmt : str
            ``nifti`` and ``nrrd`` (the mask with the image's spacing, origin and direction),
            ``png`` (0/255; one slice of a 3D image, ``slice_index``) or ``dicom-seg`` (a
            binary DICOM SEG with one segment "Lesion" referencing the DICOM image).

        Raises
        ------
        RequestError
            An unknown format, a DICOM SEG for an image that is not DICOM, and the mask errors
            of :meth:`predict`.
        """
        from radiomix.io import write_volume

        kind = (fmt or "").strip().lower()
        if kind not in EXPORT_FORMATS:
            what = "no format" if fmt is None else f"format {fmt[:40]!r} is not offered"
            raise RequestError(f"{what}: give format=" + ", ".join(EXPORT_FORMATS))
        with private_folder() as folder:
            image_path, ifmt = self._write(folder, image, "image", "image")
            vol, _ = self._read_image(image_path, ifmt)
            mask_path, mfmt = self._write(folder, mask, "mask", "mask")
            roi, _ = self._read_mask(mask_path, mfmt, vol, slice_index)
            name, media = EXPORT_FORMATS[kind]
            if kind == "png":
                if vol.shape[0] > 1 and slice_index is None:
                    raise RequestError(
                        f"a PNG holds one slice and the image has {vol.shape[0]}: send "
                        "slice=K, or ask for format=nifti"
                    )
                k = _slice_of(slice_index, vol.shape[0]) if slice_index is not None else 0
                return mask_png(roi[k]), name, media
            if kind == "dicom-seg":
                if ifmt != "DICOM":
                    raise RequestError(
                        f"a DICOM SEG is made for a DICOM image only, and this image is "
                        f"{ifmt}: ask for format=nifti, nrrd or png",
                        status=415,
                    )
                return self._dicom_seg(image_path, vol, roi, folder), name, media
            out = folder / "export" / name
            try:
                write_volume(vol.with_array(roi.astype(np.uint8)), out)
            except (OSError, ValueError) as exc:
                raise RequestError(
                    f"the mask could not be written: {_clean(exc, folder)}"
                ) from None
            return out.read_bytes(), name, media

    def _dicom_seg(self, image_path: Path, image: Volume, roi: np.ndarray, folder: Path) -> bytes:
        """A binary DICOM SEG (highdicom) of ``roi`` on the DICOM image of ``image_path``.

        The SEG is read back with :func:`radiomix.io.read_rois` onto ``image`` before it is
        returned: a SEG that radiomix would not place exactly on the image is refused.
        """
        import highdicom as hd
        import pydicom
        from pydicom.sr.codedict import codes

        import radiomix
        from radiomix.io import read_rois

        try:
            source = pydicom.dcmread(image_path)
            frames = int(source.get("NumberOfFrames", 1) or 1)
        except Exception as exc:  # noqa: BLE001 - read by SimpleITK, refused by pydicom
            raise RequestError(
                f"the DICOM image could not be read for a SEG ({type(exc).__name__})"
            ) from None
        if roi.shape[0] != frames or roi.shape[1:] != (int(source.Rows), int(source.Columns)):
            raise RequestError(
                f"the DICOM image has {frames} frame(s) of {source.Columns} x {source.Rows} "
                f"pixels and the mask {roi.shape[0]} x {roi.shape[2]} x {roi.shape[1]}: a SEG "
                "cannot be made"
            )
        description = hd.seg.SegmentDescription(
            segment_number=1,
            segment_label="Lesion",
            segmented_property_category=codes.SCT.MorphologicallyAbnormalStructure,
            segmented_property_type=codes.SCT.Lesion,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.SEMIAUTOMATIC,
            algorithm_identification=hd.AlgorithmIdentificationSequence(
                name="radiomix app outline",
                family=codes.DCM.ImageProcessing,
                version=str(radiomix.__version__),
            ),
        )
        try:
            seg = hd.seg.Segmentation(
                source_images=[source],
                pixel_array=roi.astype(np.uint8),
                segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
                segment_descriptions=[description],
                series_instance_uid=hd.UID(),
                series_number=9001,
                sop_instance_uid=hd.UID(),
                instance_number=1,
                manufacturer="radiomix",
                manufacturer_model_name="radiomix app",
                software_versions=str(radiomix.__version__),
                device_serial_number=self.model_id[:64],
                series_description="radiomix outline",
                omit_empty_frames=False,
            )
        except Exception as exc:  # noqa: BLE001 - highdicom checks the source in many ways
            raise RequestError(
                f"a DICOM SEG could not be made for this DICOM image: {_clean(exc, image_path)}"
            ) from None
        path = folder / "outline-seg.dcm"
        seg.save_as(path)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                back = read_rois(path, image)
            same = len(back) == 1 and np.array_equal(next(iter(back.values())).array, roi)
        except RadiomixError:
            same = False
        if not same:
            raise RequestError(
                "a DICOM SEG of this DICOM image would not place the mask exactly on its "
                "frames (a multi-frame image without plane positions?): ask for format=nifti"
            )
        return path.read_bytes()

    def _read_mask(
        self,
        path: Path,
        fmt: str,
        image: Volume,
        slice_index: str | None = None,
        *,
        one_label: bool = False,
    ) -> tuple[np.ndarray, bool]:
        """The uploaded mask as a boolean array of the image's shape.

        On a 3D image, ``slice_index`` places a 2D mask (a drawn outline) on that slice of an
        otherwise empty volume mask: the ROI is then that one slice.

        Returns
        -------
        (ndarray, bool)
            The mask (z, y, x) and whether it was placed on one slice.

        Raises
        ------
        RequestError
            An unreadable, empty or misfitting mask; with ``one_label``, a mask placed on one
            slice that holds several labels (as ``radiomix predict`` refuses them).
        """
        from radiomix.io import read_mask

        nz = image.shape[0]
        k = _slice_of(slice_index, nz) if slice_index is not None else None
        placed = k is not None and nz > 1
        reference = image
        if placed:
            assert k is not None
            origin = image.index_to_physical(np.array([float(k), 0.0, 0.0]))
            reference = image.with_array(image.array[k : k + 1], origin=tuple(origin))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if nz > 1:  # a 2D mask needs slice=K; slice=K needs a 2D mask
                    planes = read_mask(path).shape[0]
                    if planes == 1 and not placed:
                        raise RequestError(
                            f"the mask is 2D and the image has {nz} slices: send slice=K "
                            "(0-based) to place the mask on slice K"
                        )
                    if planes != 1 and placed:
                        raise RequestError(
                            f"slice={k} places a 2D mask on one slice, but the mask has "
                            f"{planes} slices: send a 2D mask, or the 3D mask without slice"
                        )
                m = read_mask(path, reference=reference)
        except RequestError:
            raise
        except RadiomixError as exc:
            raise RequestError(f"the mask could not be used: {_clean(exc, path)}") from None
        except Exception as exc:  # noqa: BLE001 - as for the image
            raise RequestError(
                f"the mask could not be read as {fmt} ({type(exc).__name__})"
            ) from None
        if m.shape != reference.shape:
            raise RequestError(
                f"the mask is {m.shape[2]} x {m.shape[1]} pixels, the image "
                f"{image.shape[2]} x {image.shape[1]}: they must match"
            )
        roi = np.asarray(m.array) != 0
        if not roi.any():
            raise RequestError("the mask is empty: it outlines no pixel")
        labels = np.unique(np.asarray(m.array)[roi])
        if one_label and placed and len(labels) > 1:
            raise RequestError(
                f"the mask holds {len(labels)} regions (labels); upload a mask with one region"
            )
        if placed:
            assert k is not None
            full = np.zeros(image.shape, dtype=bool)
            full[k] = roi[0]
            roi = full
        return roi, placed

    # ------------------------------------------------------------------- answer

    def _answer(
        self,
        image: Volume,
        roi: np.ndarray,
        features: pd.DataFrame,
        pred: pd.DataFrame,
        notes: list[str],
        source: str,
    ) -> dict[str, Any]:
        from radiomix.features.names import readable_name
        from radiomix.learn.explain import calibration_interval, compare_to_training, contributions

        b = self.bundle
        prob = float(pred["probability"].iloc[0])
        positive = prob >= b.threshold
        classes = self.classes()
        X = b.check_features(features, allow_extra=True)
        try:
            table, info = contributions(b.pipeline, X, background=self._background)
        except ValueError as exc:
            table, info = None, {"explanation_method": f"none: {exc}"}
        compared = (
            compare_to_training(self.stats, b.pipeline, X) if self.stats is not None else None
        )
        contribs = []
        if table is not None:
            # the exact methods (linear, tree SHAP) send every input: with the base value
            # they add up to the model's output; occlusion sends its 15 largest
            top = table if info.get("base_value") is not None else table.head(15)
            for row in top.itertuples(index=False):
                item: dict[str, Any] = {
                    "feature": row.feature,
                    "name": readable_name(str(row.feature)),
                    "value": float(row.value),
                    "contribution": float(row.contribution),
                    "model_input": float(row.model_input),
                }
                if compared is not None and row.feature in compared["features"]:
                    c = compared["features"][row.feature]
                    item["training"] = {
                        "percentile": c["percentile"],
                        "min": c["min"],
                        "median": c["median"],
                        "max": c["max"],
                        "outside": c["outside"],
                    }
                else:
                    item["training"] = None
                contribs.append(item)
        interval: dict[str, Any]
        if self._oof is not None:
            interval = calibration_interval(prob, *self._oof)
        else:
            interval = {
                "interval": None,
                "interval_method": "none: the run directory holds no out-of-fold predictions "
                "(predictions.csv)",
            }
        warns = self._warnings(image, roi, contribs, compared, notes, features)
        area = int(roi.sum())
        plane = roi[0] if roi.ndim == 3 and roi.shape[0] == 1 else None
        if plane is None and roi.ndim == 3:  # a 3D mask: its fullest slice
            k = int(np.argmax(roi.reshape(roi.shape[0], -1).sum(axis=1)))
            plane = roi[k]
        return _jsonable(
            {
                "probability": prob,
                "decision": classes["positive"] if positive else classes["negative"],
                "decision_positive": bool(positive),
                "threshold": float(b.threshold),
                "positive_class": classes["positive"],
                "interval": interval.get("interval"),
                "interval_method": interval.get("interval_method"),
                "interval_observed_rate": interval.get("observed_rate"),
                "contributions": contribs,
                "explanation_method": info.get("explanation_method"),
                "explanation_scale": info.get("explanation_scale"),
                "intercept": info.get("intercept"),
                "base_value": info.get("base_value"),
                "training_distribution": self.training_note
                if compared is not None
                else f"not available: {self.training_note}",
                "mahalanobis": None
                if compared is None
                else {
                    k: compared[k]
                    for k in (
                        "mahalanobis_d2",
                        "mahalanobis_train_max",
                        "mahalanobis_percentile",
                        "mahalanobis_method",
                    )
                },
                "warnings": [w["message"] for w in warns],
                "warning_details": warns,
                "outline": {"source": source, "pixels": area, "shape": list(roi.shape[-2:])},
                "mask_png": base64.b64encode(mask_png(np.asarray(plane))).decode("ascii"),
                "model": b.name,
                "model_id": self.model_id,
                "settings_hash": self.settings_hash,
            }
        )

    def _warnings(
        self,
        image: Volume,
        roi: np.ndarray,
        contribs: list[dict[str, Any]],
        compared: dict[str, Any] | None,
        notes: list[str],
        features: pd.DataFrame,
    ) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []

        def add(code: str, message: str) -> None:
            out.append({"code": code, "message": message})

        extra = self.stats.extra if self.stats is not None else {}
        # features beyond the training range
        if compared is not None:
            for c in contribs:
                t = c.get("training")
                if t and t["outside"]:
                    side = "above the largest" if t["outside"] == "above" else "below the smallest"
                    add(
                        "feature_out_of_range",
                        f"{c['name']} = {c['value']:.4g} is {side} value of the training cases "
                        f"({t['min']:.4g} to {t['max']:.4g}): the model has not seen such cases",
                    )
            n_out, n = compared["n_outside"], len(compared["features"])
            if n and n_out / n > 0.1:
                add(
                    "features_out_of_range",
                    f"{n_out} of the model's {n} features lie outside the training range",
                )
            d2, dmax = compared["mahalanobis_d2"], compared["mahalanobis_train_max"]
            if dmax is not None and d2 > dmax:
                add(
                    "unlike_training_cases",
                    f"the case's features are farther from the training cases' centre than any "
                    f"training case (squared Mahalanobis distance {d2:.3g}, training maximum "
                    f"{dmax:.3g})",
                )
        else:
            add(
                "no_training_distribution",
                f"not checked against the training cases: {self.training_note}",
            )
        # the outline
        plane = np.asarray(roi.reshape(-1, *roi.shape[-2:]).any(axis=0))
        if plane[0, :].any() or plane[-1, :].any() or plane[:, 0].any() or plane[:, -1].any():
            add(
                "outline_touches_border",
                "the outline touches the image border: the lesion may be cut off and its shape "
                "features wrong",
            )
        area = int(roi.sum())
        share = area / roi.size
        roi_stats = extra.get("roi_pixels")
        if area < SMALL_ROI_PIXELS or (roi_stats and area < roi_stats["p0"]):
            add(
                "roi_small",
                f"the outline is very small ({area} pixels"
                + (
                    f"; the smallest training outline had {roi_stats['p0']:.0f}"
                    if roi_stats
                    else ""
                )
                + "): texture features are unreliable",
            )
        if share > LARGE_ROI_SHARE or (roi_stats and area > roi_stats["p100"]):
            add(
                "roi_large",
                f"the outline is very large ({area} pixels, {share:.0%} of the image"
                + (
                    f"; the largest training outline had {roi_stats['p100']:.0f}"
                    if roi_stats
                    else ""
                )
                + ")",
            )
        # the image
        nz, ny, nx = image.shape
        for name, size in (("width", nx), ("height", ny)):
            s = extra.get(name)
            if s and not (s["p0"] <= size <= s["p100"]):
                add(
                    "image_size",
                    f"the image {name} ({size} pixels) is outside that of the training images "
                    f"({s['p0']:.0f} to {s['p100']:.0f})",
                )
        s = extra.get("slices")
        if s and s["p100"] <= 1 and nz > 1:
            add("image_dimension", f"the image has {nz} slices; the model was trained on 2D images")
        s = extra.get("max_intensity")
        top = float(np.nanmax(image.array)) if image.array.size else 0.0
        if s and s["p100"] <= 255 and top > 255:
            add(
                "bit_depth",
                f"the image holds values up to {top:.6g}; the training images were 8-bit (0-255)",
            )
        for note in notes:
            if "colour" in note:
                colour_share = (
                    len(self._cohort.get("colour_converted", [])) if self._cohort else None
                )
                add(
                    "colour",
                    "the image is in colour and was converted to grey"
                    + ("; the training images were grayscale" if colour_share == 0 else ""),
                )
            else:
                add("image_read", note)
        return out


def _data_name(study: dict[str, Any], training: dict[str, Any]) -> str | None:
    """The training data in words, without the server's paths."""
    source = study.get("data_source")
    folder = study.get("data")
    if folder:
        name = Path(str(folder)).name
        return f"{name} ({source})" if source else name
    table = training.get("table")
    return Path(str(table)).name if table else None


def _clean(exc: BaseException, path: Path) -> str:
    """An error's message without the temporary folder's paths."""
    msg = " ".join(str(exc).split())
    folder = str(path if path.is_dir() else path.parent)
    return msg.replace(folder + "/", "").replace(folder, "")
