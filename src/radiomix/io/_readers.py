"""Reading images into :class:`Volume`; SimpleITK conversion; the finiteness check.

This module is the only place where ITK's (x, y, z) order meets radiomix's (z, y, x) order:
:func:`from_sitk`, :func:`to_sitk` and :func:`to_sitk_2d` reverse spacing and origin and convert
the direction matrix (``D_zyx[a, b] = D_xyz[2 - a, 2 - b]``).
"""

from __future__ import annotations

import gzip
import math
import re
import struct
import warnings
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from radiomix._lazy import is_sitk_image, lazy_module
from radiomix.errors import ImageReadError, InvalidImageError
from radiomix.io._nrrd import read_nrrd
from radiomix.io._volume import Volume

sitk = lazy_module("SimpleITK")  # imported on first use (see radiomix._lazy)

if TYPE_CHECKING:
    import SimpleITK

    from radiomix.io._dicom import NonUniformPolicy

__all__ = [
    "ImageConversionWarning",
    "check_finite",
    "from_sitk",
    "read_image",
    "read_source",
    "to_sitk",
    "to_sitk_2d",
    "voxel_index_text",
]

VOLUME_FORMATS = {
    ".nii.gz": "NIfTI",
    ".nii": "NIfTI",
    ".nrrd": "NRRD",
    ".nhdr": "NRRD",
    ".mha": "MetaImage",
    ".mhd": "MetaImage",
}
PLANAR_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
}
DICOM_SUFFIXES = (".dcm", ".dicom", ".ima")
_LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601

ImageSource = str | Path | Volume | np.ndarray | Any  # Any: a SimpleITK.Image


class ImageConversionWarning(UserWarning):
    """An image was changed on reading (e.g. colour converted to grayscale)."""


# --------------------------------------------------------------------------- SimpleITK


def _reverse_direction(direction: np.ndarray) -> np.ndarray:
    """Swap the (x, y, z) and (z, y, x) conventions of a direction matrix (both ways)."""
    return np.asarray(direction, dtype=float)[::-1, ::-1].copy()


def from_sitk(
    image: SimpleITK.Image, *, for_mask: bool = False, what: str = "SimpleITK image"
) -> Volume:
    """A :class:`Volume` from a SimpleITK image (2D or 3D; a 4D image with one volume).

    Spacing and origin are reversed to (z, y, x) and the direction matrix converted; a 2D
    image becomes one plane with spacing 1 mm and origin 0 along z. Multi-component
    (colour) pixels are collapsed to one channel as for 2D image files.
    """
    if not is_sitk_image(image):
        raise TypeError(f"expected a SimpleITK.Image, got {type(image).__name__}")
    dim = image.GetDimension()
    if dim == 4:
        size = image.GetSize()
        if size[3] != 1:
            raise InvalidImageError(
                f"{what} is 4D with {size[3]} volumes (e.g. time points); radiomix reads one 3D "
                "volume: extract the volume you want first"
            )
        image = sitk.Extract(image, [*size[:3], 0], [0, 0, 0, 0])
        dim = 3
    if dim not in (2, 3):
        raise InvalidImageError(f"{what} has {dim} dimensions; radiomix reads 2D and 3D images")
    array = sitk.GetArrayFromImage(image)
    if image.GetNumberOfComponentsPerPixel() > 1:
        array = collapse_channels(array, for_mask=for_mask, what=what)
    if dim == 2:
        spacing = (1.0, *reversed(image.GetSpacing()))
        origin = (0.0, *reversed(image.GetOrigin()))
        direction = np.eye(3)
        direction[1:, 1:] = np.asarray(image.GetDirection(), dtype=float).reshape(2, 2)[::-1, ::-1]
        array = array[np.newaxis]
    else:
        spacing = tuple(reversed(image.GetSpacing()))
        origin = tuple(reversed(image.GetOrigin()))
        direction = _reverse_direction(np.asarray(image.GetDirection()).reshape(3, 3))
    return Volume(array, spacing=spacing, origin=origin, direction=direction)  # type: ignore[arg-type]


def to_sitk(volume: Volume) -> SimpleITK.Image:
    """A 3D SimpleITK image from a :class:`Volume` (booleans become uint8)."""
    array = volume.array
    if array.dtype == np.bool_:
        array = array.astype(np.uint8)
    image = sitk.GetImageFromArray(np.ascontiguousarray(array))
    image.SetSpacing([float(s) for s in reversed(volume.spacing)])
    image.SetOrigin([float(o) for o in reversed(volume.origin)])
    image.SetDirection([float(d) for d in _reverse_direction(volume.direction).ravel()])
    return image


def to_sitk_2d(volume: Volume) -> SimpleITK.Image:
    """A 2D SimpleITK image of a one-plane :class:`Volume` (booleans become uint8), with its
    in-plane spacing, origin and direction: the image a reader of the 2D file would see."""
    array = np.asarray(volume.array)
    if array.dtype == np.bool_:
        array = array.astype(np.uint8)
    image = sitk.GetImageFromArray(np.ascontiguousarray(array[0]))
    image.SetSpacing([float(v) for v in volume.spacing[1:][::-1]])
    image.SetOrigin([float(v) for v in volume.origin[1:][::-1]])
    direction = np.asarray(volume.direction, dtype=np.float64)[1:, 1:][::-1, ::-1]
    image.SetDirection([float(v) for v in direction.ravel()])
    return image


# --------------------------------------------------------------------------- helpers


def collapse_channels(array: np.ndarray, *, for_mask: bool, what: str) -> np.ndarray:
    """One channel from (..., C) colour data: equal RGB channels kept, else luma (or any != 0).

    Images with differing channels become ITU-R 601 luma (float64); masks become 1 wherever
    any colour channel is non-zero. Both cases warn with :class:`ImageConversionWarning`.
    Grey + alpha keeps the grey channel; alpha is ignored.
    """
    channels = array.shape[-1]
    if channels == 1:
        return array[..., 0]
    if channels == 2:
        return array[..., 0]
    if channels not in (3, 4):
        raise InvalidImageError(
            f"{what} has {channels} channels per pixel; radiomix reads grayscale, RGB and RGBA"
        )
    rgb = array[..., :3]
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]):
        return rgb[..., 0]
    if for_mask:
        warnings.warn(
            f"{what} is a colour mask with differing channels; every pixel with a non-zero "
            "channel is taken as label 1",
            ImageConversionWarning,
            stacklevel=3,
        )
        return np.any(rgb != 0, axis=-1).astype(np.uint8)
    warnings.warn(
        f"{what} is a colour image with differing channels; converted to grayscale with "
        "ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B)",
        ImageConversionWarning,
        stacklevel=3,
    )
    return rgb.astype(np.float64) @ _LUMA


def _zyx(value: Any, name: str, fill: float, is_2d: bool) -> tuple[float, float, float]:
    """A (z, y, x) triple from a scalar, a (y, x) pair (2D images only) or a (z, y, x) triple."""
    values = np.atleast_1d(np.asarray(value, dtype=float)).ravel()
    if values.size == 1:
        values = np.repeat(values, 3)
    elif values.size == 2:
        if not is_2d:
            raise ValueError(f"{name} {value!r} has 2 values but the image is 3D: give (z, y, x)")
        values = np.array([fill, *values])
    if values.size != 3 or not np.all(np.isfinite(values)):
        raise ValueError(f"{name} needs 1, 2 (y, x) or 3 (z, y, x) finite values, got {value!r}")
    if name == "spacing" and np.any(values <= 0):
        raise ValueError(f"spacing must be positive, got {value!r}")
    return (float(values[0]), float(values[1]), float(values[2]))


def sitk_message(exc: Exception) -> str:
    """SimpleITK's error text without its source-file banner, on one line."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    keep = [
        re.sub(r"^(sitk::ERROR:|ITK ERROR: \w+\(0x[0-9a-fA-F]+\):)\s*", "", ln)
        for ln in lines
        if "Exception thrown" not in ln and not ln.startswith("Reason:")
    ]
    return " ".join(keep) or str(exc)


def is_dicom_file(path: Path) -> bool:
    """True when ``path`` carries the DICOM Part 10 preamble (``DICM`` at byte 128)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:132] == b"DICM"


def suffix_of(path: Path) -> str:
    """The lower-case format suffix, with ``.nii.gz`` as one suffix."""
    name = path.name.lower()
    if name.endswith(".nii.gz"):
        return ".nii.gz"
    return path.suffix.lower()


class _NiftiHeader(NamedTuple):
    """What the finiteness scan needs of a NIfTI header (see :func:`_check_nifti_complete`)."""

    endian: str
    shape: tuple[int, ...]  # (i, j, k, ...) as stored, i fastest
    datatype: int
    vox_offset: int
    slope: float
    inter: float


#: NIfTI datatype codes of floating-point voxels (float32, float64) and their dtypes
_NIFTI_FLOATS = {16: "f4", 64: "f8"}


def _check_nifti_complete(path: Path) -> _NiftiHeader:
    """Raise when a NIfTI file is shorter than its header says (ITK reads those silently);
    return the header fields the finiteness scan needs."""
    gz = path.name.lower().endswith(".gz")
    try:
        opener = gzip.open if gz else open
        with opener(path, "rb") as fh:
            head = fh.read(540)
    except EOFError as exc:
        raise ImageReadError(
            f"could not read {path} as NIfTI: the file is truncated (the compressed data "
            "ends before the header is complete)"
        ) from exc
    except (OSError, zlib.error) as exc:
        raise ImageReadError(f"could not read {path} as NIfTI: {exc}") from exc
    if len(head) < 348:
        raise ImageReadError(
            f"could not read {path} as NIfTI: the file is truncated "
            f"({len(head)} bytes, shorter than a NIfTI header)"
        )
    for endian in "<>":
        (sizeof_hdr,) = struct.unpack(endian + "i", head[:4])
        if sizeof_hdr == 348:
            dims = struct.unpack(endian + "8h", head[40:56])
            datatype, bitpix = struct.unpack(endian + "2h", head[70:74])
            vox_offset = int(struct.unpack(endian + "f", head[108:112])[0])
            slope, inter = struct.unpack(endian + "2f", head[112:120])
            break
        if sizeof_hdr == 540 and len(head) >= 540:
            dims = struct.unpack(endian + "8q", head[16:80])
            datatype, bitpix = struct.unpack(endian + "2h", head[12:16])
            vox_offset = struct.unpack(endian + "q", head[168:176])[0]
            slope, inter = struct.unpack(endian + "2d", head[176:192])
            break
    else:
        raise ImageReadError(f"could not read {path} as NIfTI: not a NIfTI header")
    ndim = max(0, min(int(dims[0]), 7))
    shape = tuple(max(int(d), 1) for d in dims[1 : ndim + 1])
    n_voxels = int(np.prod(shape, dtype=np.int64))
    expected = max(vox_offset, 348) + n_voxels * max(int(bitpix), 8) // 8
    if not gz:
        actual = path.stat().st_size
    else:
        actual = _gzip_size_hint(path)
        if actual % 2**32 != expected % 2**32:
            actual = _gzip_decompressed_size(path)
    if actual < expected:
        raise ImageReadError(
            f"could not read {path} as NIfTI: the file is truncated (the header announces "
            f"{expected} bytes of data, the file holds {actual})"
        )
    return _NiftiHeader(
        endian, shape, int(datatype), max(vox_offset, 348), float(slope), float(inter)
    )


def _nifti_nonfinite(path: Path, header: _NiftiHeader) -> tuple[np.ndarray, np.ndarray]:
    """Flat (storage-order) indices and values of the non-finite voxels of a float NIfTI.

    ITK's NIfTI reader turns NaN and infinite voxels into 0, which would make a wrong number
    out of a missing one; this reads the voxels as stored, in chunks (bounded memory), so the
    reader can put them back. Values are scaled by ``scl_slope`` / ``scl_inter`` as ITK does.
    """
    dtype = np.dtype(header.endian + _NIFTI_FLOATS[header.datatype])
    n_total = int(np.prod(header.shape, dtype=np.int64))
    chunk = (1 << 24) // dtype.itemsize
    idx: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    opener = _open_gzip if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as fh:
        fh.seek(header.vox_offset)
        done = 0
        while done < n_total:
            want = min(chunk, n_total - done)
            data = np.frombuffer(fh.read(want * dtype.itemsize), dtype=dtype)
            bad = np.flatnonzero(~np.isfinite(data))
            if bad.size:
                idx.append(bad + done)
                vals.append(data[bad].astype(np.float64))
            done += want
    if not idx:
        return np.empty(0, np.int64), np.empty(0)
    values = np.concatenate(vals)
    if header.slope != 0.0 and math.isfinite(header.slope):  # 0: no scaling (NIfTI rule)
        values = values * header.slope + header.inter
    return np.concatenate(idx), values


def _open_gzip(path: Path, mode: str) -> Any:
    try:
        from isal import igzip  # about twice as fast as the standard library

        return igzip.open(path, mode)
    except ImportError:  # pragma: no cover - isal is a dependency
        return gzip.open(path, mode)


def _restore_nonfinite(vol: Volume, path: Path, header: _NiftiHeader) -> Volume:
    """``vol`` (as ITK read it) with the stored non-finite voxels put back."""
    if header.datatype not in _NIFTI_FLOATS or not np.issubdtype(vol.array.dtype, np.inexact):
        return vol  # integer voxels are finite (a scaled integer image: ITK keeps them)
    # ITK writes 0 (scaled: scl_inter) where a voxel is not finite: without that value in the
    # image, nothing was replaced and the stored voxels need no second reading
    arr = vol.array
    if not (np.any(arr == 0) or np.any(arr == arr.dtype.type(header.inter))):
        return vol
    flat, values = _nifti_nonfinite(path, header)
    if flat.size == 0 or vol.array.size != int(np.prod(header.shape)):
        return vol
    array = np.array(vol.array, copy=True)
    array.reshape(-1)[flat] = values.astype(array.dtype)  # storage order = C order of (z, y, x)
    return vol.with_array(array)


def _gzip_size_hint(path: Path) -> int:
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        if fh.tell() < 18:
            return 0
        fh.seek(-4, 2)
        return struct.unpack("<I", fh.read(4))[0]


def _gzip_decompressed_size(path: Path) -> int:
    """Decompressed length of a gzip file; raises ImageReadError when it is corrupt or cut."""
    total = 0
    dec = zlib.decompressobj(wbits=47)
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 22):
                total += len(dec.decompress(chunk))
                while dec.eof and dec.unused_data:  # concatenated gzip members
                    rest = dec.unused_data
                    dec = zlib.decompressobj(wbits=47)
                    total += len(dec.decompress(rest))
            total += len(dec.flush())
    except zlib.error as exc:
        raise ImageReadError(f"could not read {path}: corrupt gzip data ({exc})") from exc
    if not dec.eof:
        raise ImageReadError(
            f"could not read {path}: the gzip stream is truncated "
            f"(it ends after {total} decompressed bytes)"
        )
    return total


# --------------------------------------------------------------------------- file readers


def _read_volume_file(path: Path, fmt: str, *, for_mask: bool) -> Volume:
    if fmt == "NRRD":
        # radiomix's own reader (no SimpleITK) for the common subset; None: use SimpleITK
        try:
            fast = read_nrrd(path)
        except OSError as exc:
            raise ImageReadError(f"could not read {path} as NRRD: {exc}") from exc
        if fast is not None:
            array, geometry = fast
            return Volume(
                array,
                spacing=geometry["spacing"],
                origin=geometry["origin"],
                direction=geometry["direction"],
                metadata={"file_ndim": geometry["ndim"]},
            )
    nifti = _check_nifti_complete(path) if fmt == "NIfTI" else None
    try:
        image = sitk.ReadImage(str(path))
    except RuntimeError as exc:
        raise ImageReadError(f"could not read {path} as {fmt}: {sitk_message(exc)}") from exc
    vol = from_sitk(image, for_mask=for_mask, what=str(path))
    if nifti is not None:
        vol = _restore_nonfinite(vol, path, nifti)
    if fmt == "NRRD":
        vol = vol.with_array(vol.array, metadata={"file_ndim": image.GetDimension()})
    return vol


def _read_pillow(path: Path, fmt: str, *, for_mask: bool) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            opened.load()
            img: Image.Image = opened
            mode = img.mode
            if mode == "P" and not for_mask:
                img = img.convert("RGBA" if "transparency" in img.info else "RGB")
            elif mode in ("CMYK", "YCbCr", "LAB", "HSV"):
                img = img.convert("RGB")
            array = np.array(img)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageReadError(f"could not read {path} as {fmt}: {exc}") from exc
    if array.dtype == np.bool_:  # mode "1"
        array = array.astype(np.uint8)
    if array.ndim == 3:
        array = collapse_channels(array, for_mask=for_mask, what=str(path))
    return array


def _read_tiff(path: Path, *, for_mask: bool) -> np.ndarray:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            axes = series.axes
            array = series.asarray()
    except (tifffile.TiffFileError, OSError, ValueError, IndexError) as exc:
        raise ImageReadError(f"could not read {path} as TIFF: {exc}") from exc
    if "S" in axes:  # samples per pixel (colour): move last, then collapse
        array = np.moveaxis(array, axes.index("S"), -1)
        array = collapse_channels(array, for_mask=for_mask, what=str(path))
    array = np.squeeze(array) if array.ndim > 3 else array
    if array.ndim not in (2, 3):
        raise InvalidImageError(
            f"{path} holds a {array.ndim}D TIFF series (axes {axes}); radiomix reads 2D images "
            "and 3D stacks"
        )
    return array


def _read_path(
    path: Path, *, for_mask: bool, series_uid: str | None, nonuniform: NonUniformPolicy = "error"
) -> Volume:
    if not path.exists():
        raise ImageReadError(f"no such file or folder: {path}")
    if path.is_dir():
        from radiomix.io._dicom import read_dicom_series  # DICOM only (its module ~4 ms)

        image, dicom_meta = read_dicom_series(path, series_uid, nonuniform=nonuniform)
        vol = from_sitk(image, for_mask=for_mask, what=str(path))
        return vol.with_array(vol.array, metadata=dicom_meta)
    suffix = suffix_of(path)
    meta: dict[str, Any] = {"source": str(path)}
    if suffix in VOLUME_FORMATS:
        fmt = VOLUME_FORMATS[suffix]
        vol = _read_volume_file(path, fmt, for_mask=for_mask)
        meta["format"] = fmt.lower()
        return vol.with_array(vol.array, metadata={**vol.metadata, **meta})
    if suffix in PLANAR_FORMATS:
        fmt = PLANAR_FORMATS[suffix]
        if fmt == "TIFF":
            array = _read_tiff(path, for_mask=for_mask)
        else:
            array = _read_pillow(path, fmt, for_mask=for_mask)
        meta["format"] = fmt.lower()
        return Volume(array, metadata=meta)
    if suffix in DICOM_SUFFIXES or is_dicom_file(path):
        from radiomix.io._dicom import read_dicom_file

        image, meta = read_dicom_file(path)
        vol = from_sitk(image, for_mask=for_mask, what=str(path))
        return vol.with_array(vol.array, metadata=meta)
    known = ", ".join([*VOLUME_FORMATS, *PLANAR_FORMATS, *DICOM_SUFFIXES])
    raise ImageReadError(
        f"cannot read {path}: unknown file type {suffix or '(no extension)'!r}; radiomix reads "
        f"{known}, DICOM files and DICOM series folders"
    )


def read_source(
    source: ImageSource,
    *,
    spacing: Sequence[float] | float | None,
    origin: Sequence[float] | float | None,
    for_mask: bool,
    series_uid: str | None = None,
    what: str = "image",
    nonuniform: NonUniformPolicy = "error",
) -> tuple[Volume, bool]:
    """The reader behind :func:`read_image` and :func:`~radiomix.io.read_mask`.

    Returns the volume and whether the source carried its own geometry (files such as NIfTI
    and DICOM, SimpleITK images, volumes) rather than the defaults (2D image files, arrays).
    """
    if isinstance(source, Volume):
        vol = source
        has_geometry = True
    elif is_sitk_image(source):
        vol = from_sitk(source, for_mask=for_mask, what=f"SimpleITK {what}")
        has_geometry = True
    elif isinstance(source, np.ndarray):
        if source.ndim not in (2, 3):
            raise InvalidImageError(
                f"a NumPy {what} must be 2D (y, x) or 3D (z, y, x), got shape {source.shape}"
            )
        if not (np.issubdtype(source.dtype, np.number) or source.dtype == np.bool_) or (
            np.issubdtype(source.dtype, np.complexfloating)
        ):
            raise InvalidImageError(f"a NumPy {what} must hold real numbers, got {source.dtype}")
        vol = Volume(source)
        has_geometry = False
    elif isinstance(source, str | Path):
        path = Path(source).expanduser()
        vol = _read_path(path, for_mask=for_mask, series_uid=series_uid, nonuniform=nonuniform)
        has_geometry = vol.metadata.get("format") not in {"png", "jpeg", "tiff", "bmp"}
    else:
        raise TypeError(
            f"cannot read a {what} from {type(source).__name__}: give a path, a Volume, "
            "a SimpleITK.Image or a NumPy array"
        )
    changes: dict[str, Any] = {}
    if spacing is not None:
        changes["spacing"] = _zyx(spacing, "spacing", vol.spacing[0], vol.is_2d)
    if origin is not None:
        changes["origin"] = _zyx(origin, "origin", vol.origin[0], vol.is_2d)
    if changes:
        vol = vol.with_array(vol.array, **changes)
    return vol, has_geometry


def read_image(
    source: ImageSource,
    *,
    spacing: Sequence[float] | float | None = None,
    origin: Sequence[float] | float | None = None,
    series_uid: str | None = None,
    nonuniform: NonUniformPolicy = "error",
) -> Volume:
    """Read an image into a :class:`Volume` with (z, y, x) array and geometry.

    Parameters
    ----------
    source : str, Path, Volume, SimpleITK.Image or ndarray
        A NIfTI (``.nii``, ``.nii.gz``), NRRD (``.nrrd``, ``.nhdr``) or MetaImage (``.mha``,
        ``.mhd``) file; a DICOM series folder (slices ordered along the slice normal,
        RescaleSlope/RescaleIntercept applied); a single DICOM file; a 2D PNG, JPEG, TIFF or
        BMP image (one plane; colour with differing channels becomes ITU-R 601 luma with an
        :class:`ImageConversionWarning`); a SimpleITK image; or a 2D (y, x) / 3D (z, y, x)
        NumPy array.
    spacing : float or sequence of float, optional
        Voxel size in mm: one value (isotropic), (y, x) for 2D data, or (z, y, x). Replaces
        the spacing read from the source; default 1 mm where the source has none.
    origin : float or sequence of float, optional
        Physical position of voxel (0, 0, 0), (z, y, x) or (y, x); replaces the source's.
    series_uid : str, optional
        The SeriesInstanceUID to read when a DICOM folder holds several series (without it,
        the only CT/MR/PT series is read when exactly one qualifies; otherwise the error
        lists the series).
    nonuniform : {"error", "resample"}
        A DICOM series with non-uniform slice spacing (missing slices, variable thickness) is
        refused by default; "resample" interpolates it linearly onto a uniform grid with a
        :class:`~radiomix.io.SliceSpacingWarning` (see ``radiomix.io._dicom``).

    Returns
    -------
    Volume
        ``metadata["source"]`` holds the path for files, ``metadata["format"]`` the format,
        and DICOM adds ``modality``, ``series_uid`` and ``series_description``.

    Raises
    ------
    ImageReadError
        Missing path, unknown extension, corrupt or truncated file, ambiguous DICOM folder,
        non-uniform slice spacing.
    InvalidImageError
        Data that is not a 2D/3D real-valued image (4D, complex, too many channels).

    Notes
    -----
    Non-finite voxels are kept; use :func:`check_finite` to reject them.
    """
    volume, _ = read_source(
        source,
        spacing=spacing,
        origin=origin,
        for_mask=False,
        series_uid=series_uid,
        nonuniform=nonuniform,
    )
    return volume


def voxel_index_text(zyx: Sequence[Any] | np.ndarray, *, plane: bool = False) -> str:
    """A (z, y, x) array index as users read it: ``voxel (0-based, x, y, z) = (4, 3, 5)``.

    Viewers (3D Slicer's IJK, ITK-SNAP) and ITK list the fastest axis first, so messages do
    too, and say which order they use; ``plane`` (a 2D image) gives ``(x, y)``.
    """
    index = [int(i) for i in zyx]
    if plane:
        index = index[-2:]
    axes = ("x", "y", "z")[: len(index)]
    return f"voxel (0-based, {', '.join(axes)}) = ({', '.join(str(i) for i in reversed(index))})"


def check_finite(
    volume: Volume | np.ndarray,
    what: str = "image",
    *,
    within: np.ndarray | None = None,
    offset: Sequence[int] | None = None,
    plane: bool | None = None,
) -> None:
    """Raise :class:`InvalidImageError` when ``volume`` holds NaN or infinite voxels.

    Parameters
    ----------
    volume : Volume or ndarray
        (z, y, x) or (y, x) voxels; integer data passes at once.
    what : str
        How the message names the data (``"image inside the ROI"``).
    within : bool ndarray, optional
        Only these voxels are checked (e.g. the ROI: NaN outside it is allowed).
    offset : (z, y, x) ints, optional
        Position of ``volume``'s first voxel in the image it was cut from, so that the
        message gives the index in the whole image.
    plane : bool, optional
        The image is 2D (the index is given as (x, y)); default: one slice or a 2D array.

    The message gives the number of non-finite voxels and the first one's index, fastest
    axis first as viewers show it (see :func:`voxel_index_text`).
    """
    array = volume.array if isinstance(volume, Volume) else np.asarray(volume)
    if not np.issubdtype(array.dtype, np.inexact):
        return
    values = array if within is None else array[within]
    if np.isfinite(values).all():
        return
    bad = ~np.isfinite(array)
    if within is not None:
        bad &= within
    count = int(np.count_nonzero(bad))
    first = np.argwhere(bad)[0]
    if offset is not None:
        first = first + np.asarray(offset, dtype=np.intp)[-first.size :]
    if plane is None:
        plane = array.ndim == 2 or array.shape[0] == 1
    where = voxel_index_text(first, plane=plane)
    raise InvalidImageError(
        f"{what} has {count} non-finite voxel(s) (NaN or infinite), the first at {where}; "
        "replace them (or leave them out of the mask) before extraction"
    )
