"""radiomix's own reader for the common kind of NRRD file, in pure NumPy.

Reading a 512x512x60 gzip NRRD CT through SimpleITK costs the ~100 MiB and ~45 ms of importing
SimpleITK plus its (single-threaded zlib) inflate. Most NRRD files radiomix sees are one simple
kind -- a scalar 2D or 3D image with attached raw or gzip data and an LPS/RAS/LAS geometry --
and :func:`read_nrrd` reads exactly that kind without SimpleITK, inflating with ISA-L
(``isal``, about twice as fast as zlib) when it is installed, else with the standard ``zlib``.
The result is bit for bit what ``radiomix.io.from_sitk(SimpleITK.ReadImage(path))`` gives
(array, dtype, spacing, origin, direction; a zero coordinate is always +0.0, where ITK
sometimes gives -0.0), because the header rules below follow ITK's
``NrrdImageIO`` and teem's NrrdIO parser (http://teem.sourceforge.net/nrrd/format.html):

* magic ``NRRD0001`` .. ``NRRD0005``; header lines end in ``\\n``; field identifiers and
  enumerated values (type, encoding, endian, space, kinds) are case-insensitive; ``#``
  comments and ``key:=value`` pairs are skipped;
* ``type``: every scalar integer and floating-point type name and alias (``short``,
  ``int16``, ``signed short``, ``uchar``, ``unsigned char``, ``uint8``, ``float``, ...);
  ``endian`` little or big (the array is returned in native byte order, as SimpleITK does);
* ``dimension`` 2 or 3 with ``sizes``; ``kinds``, when given, only ``domain``/``space``;
* ``encoding`` raw or gzip, data attached (no ``data file``), ``line skip``/``byte skip`` 0;
* geometry from ``space`` (or ``space dimension``) with ``space directions`` and ``space
  origin`` -- spacing is the Euclidean norm of each direction vector (``x*x + y*y + z*z``,
  then ``sqrt``) and the direction column is the vector times ``1.0 / norm``, as ITK computes
  them; RAS and LAS coordinates are converted to LPS as ITK does (RAS: x and y negated, LAS:
  y negated) -- or from ``spacings`` without any space information (origin 0, identity
  direction), as ITK does.

Anything else (other encodings, detached headers, vector/colour/time axes, ``axis mins``,
negative spacings, a singular direction matrix, unusual number syntax, CR line ends, ...)
makes :func:`read_nrrd` return ``None``: the caller then reads the file with SimpleITK, so an
unusual file is never guessed at. Data that are clearly broken -- a truncated or corrupt gzip
stream, fewer raw bytes than the header announces -- and headers that ITK rejects as well
(a line that is neither a field nor a key/value pair, an unknown type, a repeated field, a
missing required field) raise :class:`~radiomix.errors.ImageReadError` naming the file.

This module never imports SimpleITK.
"""

from __future__ import annotations

import math
import re
import zlib
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from radiomix.errors import ImageReadError

_inflate_module: ModuleType
try:  # ISA-L inflate: about twice as fast as zlib, same results, releases the GIL
    from isal import isal_zlib as _inflate_module
except ImportError:  # pragma: no cover - isal is a dependency, zlib the safety net
    _inflate_module = zlib

__all__ = ["nrrd_supported", "read_nrrd"]

_MAGICS = frozenset(f"NRRD000{v}" for v in "12345")
_HEADER_BLOCK = 1 << 16  # header read in 64 KiB steps ...
_HEADER_MAX = 1 << 24  # ... up to 16 MiB (DWI headers with many key/value pairs are long)
_IN_CHUNK = 1 << 15  # compressed bytes fed to the inflater at a time
_OUT_CHUNK = 1 << 16  # most decompressed bytes held outside the array at a time
_DEFLATE_MAX_RATIO = 1032  # deflate cannot expand data more than this (RFC 1951 limit)
_FIELD_SEP = " \t"

# NrrdIO's type names and aliases (enumsNrrd.c, case-insensitive) -> NumPy dtype
_TYPES: dict[str, str] = {}
for _dtype, _names in {
    "i1": ("signed char", "int8", "int8_t"),
    "u1": ("uchar", "unsigned char", "uint8", "uint8_t"),
    "i2": ("short", "short int", "signed short", "signed short int", "int16", "int16_t"),
    "u2": ("ushort", "unsigned short", "unsigned short int", "uint16", "uint16_t"),
    "i4": ("int", "signed int", "int32", "int32_t"),
    "u4": ("uint", "unsigned int", "uint32", "uint32_t"),
    "i8": (
        "longlong",
        "long long",
        "long long int",
        "signed long long",
        "signed long long int",
        "int64",
        "int64_t",
    ),
    "u8": (
        "ulonglong",
        "unsigned long long",
        "unsigned long long int",
        "uint64",
        "uint64_t",
    ),
    "f4": ("float",),
    "f8": ("double",),
}.items():
    _TYPES.update(dict.fromkeys(_names, _dtype))

# NrrdIO's field identifiers and aliases -> canonical name
_FIELDS: dict[str, str] = {
    "content": "content",
    "number": "number",
    "type": "type",
    "block size": "block size",
    "blocksize": "block size",
    "dimension": "dimension",
    "space": "space",
    "space dimension": "space dimension",
    "spacedimension": "space dimension",
    "sizes": "sizes",
    "spacings": "spacings",
    "thicknesses": "thicknesses",
    "axis mins": "axis mins",
    "axismins": "axis mins",
    "axis maxs": "axis maxs",
    "axismaxs": "axis maxs",
    "space directions": "space directions",
    "spacedirections": "space directions",
    "centers": "centers",
    "centerings": "centers",
    "kinds": "kinds",
    "labels": "labels",
    "units": "units",
    "min": "min",
    "max": "max",
    "old min": "old min",
    "oldmin": "old min",
    "old max": "old max",
    "oldmax": "old max",
    "endian": "endian",
    "encoding": "encoding",
    "line skip": "line skip",
    "lineskip": "line skip",
    "byte skip": "byte skip",
    "byteskip": "byte skip",
    "key/value": "key/value",
    "sample units": "sample units",
    "sampleunits": "sample units",
    "space units": "space units",
    "spaceunits": "space units",
    "space origin": "space origin",
    "spaceorigin": "space origin",
    "measurement frame": "measurement frame",
    "measurementframe": "measurement frame",
    "data file": "data file",
    "datafile": "data file",
}
_REQUIRED = ("type", "dimension", "sizes", "encoding")
_NEEDS_DIMENSION = frozenset(
    {
        "sizes",
        "spacings",
        "thicknesses",
        "axis mins",
        "axis maxs",
        "space directions",
        "centers",
        "kinds",
        "labels",
        "units",
    }
)
_NEEDS_SPACE = frozenset({"space directions", "space origin", "space units", "measurement frame"})
# fields that change how ITK reads the file in ways this reader does not reproduce
_UNSUPPORTED = frozenset({"block size", "axis mins", "axis maxs", "data file", "key/value"})

# 3D spaces (enumsNrrd.c aliases, lower case) -> which of x, y ITK negates to reach LPS
_SPACES: dict[str, tuple[bool, bool]] = {}
for _flip, _names in {
    (True, True): (
        "right-anterior-superior",
        "right anterior superior",
        "rightanteriorsuperior",
        "ras",
    ),
    (False, True): (  # ITK 5.4 negates y (A -> P) for LAS, whatever older comments say
        "left-anterior-superior",
        "left anterior superior",
        "leftanteriorsuperior",
        "las",
    ),
    (False, False): (
        "left-posterior-superior",
        "left posterior superior",
        "leftposteriorsuperior",
        "lps",
        "scanner-xyz",
        "3d-right-handed",
        "3d right handed",
        "3drighthanded",
        "3d-left-handed",
        "3d left handed",
        "3dlefthanded",
    ),
}.items():
    _SPACES.update(dict.fromkeys(_names, _flip))

# plain decimal numbers only: C's sscanf also takes hex floats, "nan", "1.5abc" -> fall back
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_UINT = re.compile(r"\d+")


class _Fallback(Exception):
    """The file uses something this reader does not support: let SimpleITK read it."""


def read_nrrd(path: Path) -> tuple[np.ndarray, dict[str, Any]] | None:
    """Read a scalar 2D/3D NRRD file with attached raw or gzip data, without SimpleITK.

    Parameters
    ----------
    path : Path
        A ``.nrrd`` file.

    Returns
    -------
    tuple of (ndarray, dict) or None
        The (z, y, x) C-order array (native byte order, the dtype SimpleITK gives; a 2D file
        becomes one plane) and its geometry: ``spacing`` and ``origin`` ((z, y, x) tuples of
        float), ``direction`` ((3, 3) ndarray in (z, y, x) order) and ``ndim`` (the file's
        dimension, 2 or 3) -- equal bit for bit to ``radiomix.io.from_sitk`` applied to
        ``SimpleITK.ReadImage(path)``. ``None`` when the file uses anything outside the
        supported subset (see the module docstring); read it with SimpleITK then.

    Raises
    ------
    ImageReadError
        Truncated or corrupt data, or a header that ITK rejects too (malformed line,
        unknown type, repeated or missing required field).
    OSError
        The file cannot be opened.
    """
    path = Path(path)
    if path.suffix.lower() != ".nrrd":  # .nhdr: detached data, read by SimpleITK
        return None
    try:
        with open(path, "rb") as fh:
            header = _header(fh, path)
            if header is None:
                return None
            spec, data_offset = header
            fh.seek(data_offset)
            file_size = path.stat().st_size
            array = _read_data(fh, spec, file_size - data_offset, path)
    except _Fallback:
        return None
    if array is None:
        return None
    return array, spec["geometry"]


def nrrd_supported(path: Path) -> bool:
    """Whether the header is one :func:`read_nrrd` reads itself -- hence a scalar image --
    judged from the header alone (the data are not checked: :func:`read_nrrd` may still
    hand unusual gzip data to SimpleITK); False for anything unreadable."""
    path = Path(path)
    if path.suffix.lower() != ".nrrd":
        return False
    try:
        with open(path, "rb") as fh:
            return _header(fh, path) is not None
    except (_Fallback, ImageReadError, OSError):
        return False


def _header(fh: Any, path: Path) -> tuple[dict[str, Any], int] | None:
    """The parsed header (:func:`_parse_header`) and the offset of the data, or None."""
    header = _read_header(fh)
    if header is None:
        return None
    lines, data_offset = header
    return _parse_header(lines, path), data_offset


# --------------------------------------------------------------------------- header


def _read_header(fh: Any) -> tuple[list[str], int] | None:
    """The header lines (without the magic) and the offset of the data, or None."""
    buf = fh.read(_HEADER_BLOCK)
    magic_end = buf.find(b"\n")
    if magic_end < 0 or buf[:magic_end].decode("latin-1") not in _MAGICS:
        return None
    search_from = magic_end
    while True:
        end = buf.find(b"\n\n", search_from)
        if end >= 0:
            break
        if len(buf) >= _HEADER_MAX:
            return None
        more = fh.read(_HEADER_BLOCK)
        if not more:  # no blank line: a detached header without "data file", or cut
            return None
        search_from = max(len(buf) - 1, 0)
        buf += more
    text = buf[magic_end + 1 : end].decode("latin-1")
    if "\r" in text or "\x00" in text:  # CR line ends / NUL: NrrdIO's C strings differ
        return None
    return text.split("\n"), end + 2


def _parse_header(lines: list[str], path: Path) -> dict[str, Any]:
    """Check the header against the supported subset; the data spec and geometry."""
    seen: dict[str, str] = {}
    for line in lines:
        if line.startswith("#"):
            continue
        colon = line.find(": ")
        field = _FIELDS.get(line[:colon].lower()) if colon >= 0 else None
        if field is None:
            if ":=" in line:  # key/value pair
                continue
            raise _header_error(
                path, f"malformed header line {line!r} (neither 'field: value' nor 'key:=value')"
            )
        if field in seen:
            raise _header_error(path, f"the field {field!r} is given twice")
        if field in _UNSUPPORTED:
            raise _Fallback
        if field in _NEEDS_DIMENSION and "dimension" not in seen:
            raise _header_error(path, f"the field {field!r} comes before 'dimension'")
        if field in _NEEDS_SPACE and "space" not in seen and "space dimension" not in seen:
            raise _header_error(path, f"the field {field!r} comes before 'space'")
        if field in ("space", "space dimension") and ("space" in seen or "space dimension" in seen):
            raise _header_error(path, "the header gives both 'space' and 'space dimension'")
        value = line[colon + 2 :].lstrip(_FIELD_SEP)
        seen[field] = value
        if field == "dimension":
            _dimension(value)  # later per-axis fields need it valid
    for field in _REQUIRED:
        if field not in seen:
            raise _header_error(path, f"the header lacks the required field {field!r}")

    ndim = _dimension(seen["dimension"])
    type_name = seen["type"].lower()
    if type_name not in _TYPES:
        if type_name == "block":
            raise _Fallback
        raise _header_error(path, f"unknown pixel type {seen['type']!r}")
    dtype = np.dtype(_TYPES[type_name])

    encoding = seen["encoding"].lower()
    if encoding == "raw":
        gzip = False
    elif encoding in ("gz", "gzip"):
        gzip = True
    else:  # ascii/text/txt, hex, bz2/bzip2, ... : SimpleITK reads those
        raise _Fallback
    for skip in ("line skip", "byte skip"):
        if skip in seen and seen[skip].strip(_FIELD_SEP) not in ("0", "+0", "-0"):
            raise _Fallback

    if "endian" in seen:
        endian = seen["endian"].lower()
        if endian not in ("little", "big"):
            raise _Fallback
        if dtype.itemsize > 1:
            dtype = dtype.newbyteorder("<" if endian == "little" else ">")
    elif dtype.itemsize > 1:
        raise _header_error(path, f"type {seen['type']!r} needs an 'endian' field")

    sizes = _split(seen["sizes"])
    if len(sizes) != ndim or not all(_UINT.fullmatch(s) for s in sizes):
        raise _Fallback
    shape_xyz = [int(s) for s in sizes]
    if min(shape_xyz) < 1:
        raise _Fallback
    if "kinds" in seen:
        kinds = _split(seen["kinds"])
        if len(kinds) != ndim or any(k.lower() not in ("domain", "space") for k in kinds):
            raise _Fallback  # vector / colour / list / time axes: SimpleITK's job

    _check_ignored_fields(seen, ndim)
    geometry = _geometry(seen, ndim)
    if len(shape_xyz) == 2:
        shape = (1, shape_xyz[1], shape_xyz[0])
    else:
        shape = (shape_xyz[2], shape_xyz[1], shape_xyz[0])
    return {"dtype": dtype, "shape": shape, "gzip": gzip, "geometry": geometry}


def _dimension(value: str) -> int:
    text = value.strip(_FIELD_SEP)
    if not _UINT.fullmatch(text) or int(text) not in (2, 3):
        raise _Fallback
    return int(text)


def _split(value: str) -> list[str]:
    return [t for t in re.split(r"[ \t]+", value) if t]


def _number(text: str) -> float:
    """A finite float from a plain decimal number; anything else falls back."""
    text = text.strip(_FIELD_SEP)
    if not _NUMBER.fullmatch(text):
        raise _Fallback
    number = float(text)
    if not math.isfinite(number):
        raise _Fallback
    return number


def _vectors(value: str, count: int, dim: int) -> list[list[float] | None]:
    """``count`` space vectors ``(a,b,c)`` or ``none`` as NrrdIO's _nrrdSpaceVectorParse."""
    out: list[list[float] | None] = []
    pos = 0
    for _ in range(count):
        while pos < len(value) and value[pos] in _FIELD_SEP:
            pos += 1
        if value.startswith("none", pos) and (
            pos + 4 == len(value) or value[pos + 4] in _FIELD_SEP
        ):
            out.append(None)
            pos += 4
            continue
        if not value.startswith("(", pos):
            raise _Fallback
        end = value.find(")", pos)
        if end < 0:
            raise _Fallback
        parts = value[pos + 1 : end].split(",")
        if len(parts) != dim:
            raise _Fallback
        out.append([_number(p) for p in parts])
        pos = end + 1
    if value[pos:].strip(_FIELD_SEP):
        raise _Fallback
    return out


def _quoted(value: str, count: int) -> None:
    """Check ``count`` double-quoted strings (``\\"`` escapes a quote) and nothing else."""
    pos = 0
    for _ in range(count):
        while pos < len(value) and value[pos] in _FIELD_SEP:
            pos += 1
        if not value.startswith('"', pos):
            raise _Fallback
        pos += 1
        while pos < len(value) and value[pos] != '"':
            pos += 2 if value.startswith('\\"', pos) else 1
        if pos >= len(value):
            raise _Fallback
        pos += 1
    if value[pos:].strip(_FIELD_SEP):
        raise _Fallback


def _space_dim(seen: dict[str, str]) -> tuple[int, tuple[bool, bool]]:
    """The space dimension (0: no space) and the x/y flips to LPS."""
    if "space" in seen:
        flip = _SPACES.get(seen["space"].lower())
        if flip is None:  # time spaces (4D), misspelt spaces
            raise _Fallback
        return 3, flip
    if "space dimension" in seen:
        return _dimension(seen["space dimension"]), (False, False)
    return 0, (False, False)


def _check_ignored_fields(seen: dict[str, str], ndim: int) -> None:
    """Fields that do not change the image: fall back when ITK might reject them."""
    space_dim, _ = _space_dim(seen)
    if "thicknesses" in seen:
        values = _split(seen["thicknesses"])
        if len(values) != ndim:
            raise _Fallback
        for v in values:
            if v.lower() != "nan":
                _number(v)
    if "centers" in seen:
        values = _split(seen["centers"])
        if len(values) != ndim or any(
            v.lower() not in ("cell", "node") and v not in ("???", "none") for v in values
        ):
            raise _Fallback
    if "labels" in seen:
        _quoted(seen["labels"], ndim)
    if "units" in seen:
        if "space directions" in seen:  # ITK: an axis with a direction can't have units
            raise _Fallback
        _quoted(seen["units"], ndim)
    if "space units" in seen:
        _quoted(seen["space units"], space_dim)
    if "measurement frame" in seen:
        frame = _vectors(seen["measurement frame"], space_dim, space_dim)
        if any(v is None for v in frame):
            raise _Fallback
    for field in ("old min", "old max"):
        if field in seen:
            _number(seen[field])


def _geometry(seen: dict[str, str], ndim: int) -> dict[str, Any]:
    """Spacing, origin and direction as ITK's NrrdImageIO sets them, in (z, y, x) order."""
    space_dim, (flip_x, flip_y) = _space_dim(seen)
    spacing = [1.0] * ndim
    origin = [0.0] * ndim
    columns = [[1.0 if i == k else 0.0 for i in range(ndim)] for k in range(ndim)]
    if space_dim:
        if space_dim != ndim or "spacings" in seen:  # ITK refuses both
            raise _Fallback
        if "space directions" in seen:
            for axis, vec in enumerate(_vectors(seen["space directions"], ndim, space_dim)):
                if vec is None:
                    raise _Fallback
                norm = 0.0
                for c in vec:  # nrrdSpaceVecNorm: the same sum, in the same order
                    norm += c * c
                norm = math.sqrt(norm)
                if not (norm > 0.0 and math.isfinite(norm)):
                    raise _Fallback
                scale = 1.0 / norm  # nrrdSpacingCalculate scales by 1/|v| (not v/|v|)
                spacing[axis] = norm
                columns[axis] = _to_lps([scale * c for c in vec], flip_x, flip_y)
        if "space origin" in seen:
            (vec,) = _vectors(seen["space origin"], 1, space_dim)
            if vec is not None:
                origin = _to_lps(vec, flip_x, flip_y)
    elif "spacings" in seen:
        values = _split(seen["spacings"])
        if len(values) != ndim:
            raise _Fallback
        spacing = [_number(v) for v in values]
        if min(spacing) <= 0.0:  # ITK flips the direction for negative spacings
            raise _Fallback
    # every zero as +0.0 (ITK's sign of a zero coordinate depends on its code path; the
    # sign changes nothing downstream)
    spacing = [c + 0.0 for c in spacing]
    origin = [c + 0.0 for c in origin]
    matrix = np.array(columns, dtype=float).T + 0.0  # column k: direction of axis k
    if not abs(float(np.linalg.det(matrix))) > 1e-10:  # ITK refuses singular matrices
        raise _Fallback
    if ndim == 3:
        return {
            "spacing": (spacing[2], spacing[1], spacing[0]),
            "origin": (origin[2], origin[1], origin[0]),
            "direction": matrix[::-1, ::-1].copy(),
            "ndim": 3,
        }
    direction = np.eye(3)
    direction[1:, 1:] = matrix[::-1, ::-1]
    return {
        "spacing": (1.0, spacing[1], spacing[0]),
        "origin": (0.0, origin[1], origin[0]),
        "direction": direction,
        "ndim": 2,
    }


def _to_lps(vec: list[float], flip_x: bool, flip_y: bool) -> list[float]:
    """``vec`` in LPS: x and / or y negated (RAS, LAS), as ITK converts them."""
    out = list(vec)
    if flip_x:
        out[0] = -out[0]
    if flip_y:
        out[1] = -out[1]
    return out


def _header_error(path: Path, what: str) -> ImageReadError:
    return ImageReadError(f"could not read {path} as NRRD: bad header: {what}")


# --------------------------------------------------------------------------- data


def _read_data(fh: Any, spec: dict[str, Any], available: int, path: Path) -> np.ndarray | None:
    """The voxel array (native byte order, (z, y, x)), or None to fall back."""
    dtype: np.dtype = spec["dtype"]
    shape: tuple[int, int, int] = spec["shape"]
    count = shape[0] * shape[1] * shape[2]
    nbytes = count * dtype.itemsize
    if spec["gzip"]:
        if nbytes > _DEFLATE_MAX_RATIO * max(available, 0) + 1024:
            raise ImageReadError(
                f"could not read {path} as NRRD: the header announces {nbytes} bytes of "
                f"voxel data ({' x '.join(map(str, shape[::-1]))} x {dtype.itemsize}), more "
                f"than the {available} bytes of gzip data can hold: the file is truncated"
            )
        array = np.empty(count, dtype=dtype)
        if not _inflate_into(fh, array.data.cast("B"), path):
            return None
    else:
        if available < nbytes:
            raise ImageReadError(
                f"could not read {path} as NRRD: the file is truncated (the header announces "
                f"{nbytes} bytes of raw voxel data, the file holds {max(available, 0)})"
            )
        array = np.empty(count, dtype=dtype)
        got = fh.readinto(array.data.cast("B"))
        if got != nbytes:
            raise ImageReadError(
                f"could not read {path} as NRRD: the file is truncated (read {got} of the "
                f"{nbytes} bytes of raw voxel data the header announces)"
            )
    if not dtype.isnative:
        array.byteswap(inplace=True)
        array = array.view(dtype.newbyteorder("="))
    return array.reshape(shape)


def _inflate_into(fh: Any, out: memoryview, path: Path) -> bool:
    """Inflate the gzip stream in ``fh`` into ``out``, which it must fill exactly.

    Returns False (fall back to SimpleITK) for gzip data ITK treats in its own way: no gzip
    magic (NrrdIO then reads the bytes as they are), more data than announced, an
    incomplete gzip trailer after complete data, a short member followed by other bytes.
    """
    lib: ModuleType = _inflate_module
    errors: tuple[type[BaseException], ...] = (zlib.error, lib.error)
    total = len(out)
    pos = 0
    carry = b""  # input left over after the end of a gzip member
    first = fh.read(_IN_CHUNK)
    if first[:2] != b"\x1f\x8b":
        return False
    dec = lib.decompressobj(wbits=31)
    pending: bytes = first
    try:
        while pos < total:
            if dec.eof:  # member ended before the array is full: another member?
                carry = dec.unused_data
                rest = carry or fh.read(_IN_CHUNK)
                if not rest:
                    raise ImageReadError(
                        f"could not read {path} as NRRD: the gzip data hold only {pos} bytes, "
                        f"the header announces {total}"
                    )
                if rest[:2] != b"\x1f\x8b":
                    return False
                dec = lib.decompressobj(wbits=31)
                pending = rest
            elif dec.unconsumed_tail:
                pending = dec.unconsumed_tail
            elif not pending:
                pending = fh.read(_IN_CHUNK)
                if not pending:  # input exhausted: drain what the inflater still holds
                    chunk = dec.decompress(b"", min(total - pos, _OUT_CHUNK))
                    if not chunk:
                        raise ImageReadError(
                            f"could not read {path} as NRRD: the gzip stream is truncated "
                            f"(it ends after {pos} of the {total} bytes the header announces)"
                        )
                    out[pos : pos + len(chunk)] = chunk
                    pos += len(chunk)
                    continue
            chunk = dec.decompress(pending, min(total - pos, _OUT_CHUNK))
            pending = b""
            out[pos : pos + len(chunk)] = chunk
            pos += len(chunk)
        # the array is full: the stream must end here (CRC checked by the inflater)
        while not dec.eof:
            pending = dec.unconsumed_tail or fh.read(_IN_CHUNK)
            extra = dec.decompress(pending, 1)
            if extra:  # more data than the header announces (ITK reads the first part)
                return False
            if not pending and not dec.unconsumed_tail:
                return False  # incomplete trailer: whether ITK reads it depends on the cut
    except errors as exc:
        raise ImageReadError(
            f"could not read {path} as NRRD: corrupt gzip data ({exc}; {pos} of the {total} "
            "voxel bytes were decompressed)"
        ) from exc
    return True
