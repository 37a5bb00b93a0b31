"""radiomix's own NRRD reader (radiomix.io._nrrd) against SimpleITK, bit for bit."""

from __future__ import annotations

import gzip
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

import radiomix.io._nrrd as nrrd_module
import radiomix.io._readers as readers
from radiomix.errors import ImageReadError
from radiomix.io import Volume, from_sitk, read_image
from radiomix.io._nrrd import nrrd_supported, read_nrrd
from radiomix.io._readers import ImageConversionWarning

TESTS = Path(__file__).resolve().parents[1]
CASES = TESTS.parent.parent / "shared" / "data" / "pyradiomics-cases"
REPO_FILES = sorted((TESTS / "data").rglob("*.nrrd"))
CASE_FILES = sorted(CASES.rglob("*.nrrd")) if CASES.is_dir() else []

PIXEL_TYPES = [
    np.int8,
    np.uint8,
    np.int16,
    np.uint16,
    np.int32,
    np.uint32,
    np.int64,
    np.uint64,
    np.float32,
    np.float64,
]


# --------------------------------------------------------------------------- helpers


def _bits(values: object) -> np.ndarray:
    """The bit patterns of geometry floats, with -0.0 read as 0.0: the reader gives +0.0
    for every zero, ITK's sign of a zero coordinate depends on its code path."""
    return np.ascontiguousarray(np.asarray(values, dtype=np.float64) + 0.0).view(np.uint64)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    unsigned = np.dtype(f"u{a.dtype.itemsize}")
    return np.array_equal(
        np.ascontiguousarray(a).view(unsigned), np.ascontiguousarray(b).view(unsigned)
    )


def _sitk_volume(path: Path) -> tuple[Volume, int]:
    image = sitk.ReadImage(str(path))
    return from_sitk(image), image.GetDimension()


def _assert_fast_equals_sitk(path: Path) -> None:
    fast = read_nrrd(path)
    assert fast is not None, f"{path.name} fell back to SimpleITK"
    array, geometry = fast
    ref, ndim = _sitk_volume(path)
    assert array.dtype == ref.array.dtype
    assert array.dtype.isnative
    assert array.shape == ref.array.shape
    assert array.flags.c_contiguous and array.flags.writeable
    assert np.array_equal(array, ref.array, equal_nan=True)
    assert _same_bits(array, ref.array)
    assert geometry["spacing"] == ref.spacing
    assert geometry["origin"] == ref.origin
    assert np.array_equal(geometry["direction"], ref.direction)
    assert np.array_equal(_bits(geometry["spacing"]), _bits(ref.spacing))
    assert np.array_equal(_bits(geometry["origin"]), _bits(ref.origin))
    assert np.array_equal(_bits(geometry["direction"]), _bits(ref.direction))
    assert all(type(v) is float for v in (*geometry["spacing"], *geometry["origin"]))
    assert geometry["direction"].shape == (3, 3)
    assert geometry["ndim"] == ndim


def _assert_falls_back(path: Path) -> None:
    """read_nrrd declines; read_image still gives exactly SimpleITK's result."""
    assert read_nrrd(path) is None
    vol = read_image(path)
    ref, ndim = _sitk_volume(path)
    assert _same_bits(vol.array, ref.array)
    assert vol.spacing == ref.spacing
    assert vol.origin == ref.origin
    assert np.array_equal(vol.direction, ref.direction)
    assert vol.metadata["file_ndim"] == ndim


def _header_kinds_are_scalar(path: Path) -> bool:
    head = path.read_bytes()[:4096].split(b"\n\n")[0].decode("latin-1")
    for line in head.splitlines():
        if line.lower().startswith("kinds: "):
            return all(k.lower() in ("domain", "space") for k in line[7:].split())
    return True


def _write(path: Path, lines: list[str], data: bytes, magic: str = "NRRD0004") -> Path:
    path.write_bytes(("\n".join([magic, *lines]) + "\n\n").encode() + data)
    return path


def _rotation(axis: np.ndarray, degrees: float) -> np.ndarray:
    axis = axis / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    t = np.radians(degrees)
    return np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * k @ k


def _random_array(dtype: type, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    dt = np.dtype(dtype)
    if dt.kind == "f":
        array = rng.normal(0, 1e3, size=shape).astype(dt)
        array.flat[:4] = [np.nan, np.inf, -np.inf, -0.0]
        return array
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True)


_SHORT_DATA = np.arange(24, dtype="<i2")
_BASE = ["type: short", "dimension: 3", "sizes: 4 3 2", "endian: little", "encoding: raw"]


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize("path", REPO_FILES, ids=lambda p: p.name)
def test_repository_files_match_simpleitk(path: Path) -> None:
    if _header_kinds_are_scalar(path):
        _assert_fast_equals_sitk(path)
    else:  # vector (multi-channel) files are SimpleITK's
        assert read_nrrd(path) is None
        with warnings.catch_warnings():  # colour -> grey conversion warnings: not the point
            warnings.simplefilter("ignore", ImageConversionWarning)
            assert read_image(path).array.size > 0


@pytest.mark.skipif(not CASE_FILES, reason=f"needs {CASES} (the shared data beside the checkout)")
@pytest.mark.parametrize(
    "path",
    CASE_FILES or [CASES / "missing.nrrd"],
    ids=[p.relative_to(CASES).as_posix() for p in CASE_FILES] or ["missing"],
)
def test_pyradiomics_cases_match_simpleitk(path: Path) -> None:
    _assert_fast_equals_sitk(path)


# --------------------------------------------------------------------------- written by SimpleITK


@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "raw"])
@pytest.mark.parametrize("dim", [2, 3])
@pytest.mark.parametrize("dtype", PIXEL_TYPES, ids=lambda t: np.dtype(t).name)
def test_simpleitk_written_files(tmp_path: Path, dtype: type, dim: int, compress: bool) -> None:
    rng = np.random.default_rng(dim * 100 + PIXEL_TYPES.index(dtype))
    shape = (5, 7, 9)[3 - dim :]
    image = sitk.GetImageFromArray(_random_array(dtype, shape, rng))
    if dim == 3:
        image.SetSpacing((0.7, 0.1 + 0.2, 2.5000000000000004))
        image.SetOrigin((-12.345678901234567, 1e-7, 3.0 / 7.0))
        image.SetDirection(_rotation(np.array([1.0, 2.0, 0.5]), 31.0).ravel().tolist())
    else:
        t = np.radians(23.0)
        image.SetSpacing((0.69999999999999996, 1.0 / 3.0))
        image.SetOrigin((-7.125, 1e-3 / 3.0))
        image.SetDirection([np.cos(t), -np.sin(t), np.sin(t), np.cos(t)])
    path = tmp_path / "written.nrrd"
    sitk.WriteImage(image, str(path), useCompression=compress)
    _assert_fast_equals_sitk(path)
    vol = read_image(path)
    assert vol.metadata["file_ndim"] == dim
    assert vol.metadata["format"] == "nrrd"
    assert vol.metadata["source"] == str(path)


def test_large_label_map_and_chunked_inflate_with_zlib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    labels = np.zeros((12, 200, 210), dtype=np.uint8)
    labels[3:9, 50:150, 40:170] = 1
    labels[5, 60:70, 60:65] = 7
    ct = np.rint(np.random.default_rng(5).normal(0, 300, size=labels.shape)).astype(np.int16)
    for name, array in (("label", labels), ("ct", ct)):
        sitk.WriteImage(sitk.GetImageFromArray(array), str(tmp_path / f"{name}.nrrd"), True)
    for module in (nrrd_module._inflate_module, zlib):
        for in_chunk, out_chunk in ((1 << 18, 1 << 20), (97, 1000), (1 << 20, 13)):
            monkeypatch.setattr(nrrd_module, "_inflate_module", module)
            monkeypatch.setattr(nrrd_module, "_IN_CHUNK", in_chunk)
            monkeypatch.setattr(nrrd_module, "_OUT_CHUNK", out_chunk)
            for name in ("label", "ct"):
                _assert_fast_equals_sitk(tmp_path / f"{name}.nrrd")


# --------------------------------------------------------------------------- hand-written headers


@pytest.mark.parametrize(
    "space", ["right-anterior-superior", "RAS", "left-anterior-superior", "LAS", "lps"]
)
def test_space_conversion_to_lps(tmp_path: Path, space: str) -> None:
    path = _write(
        tmp_path / "space.nrrd",
        [
            *_BASE,
            f"space: {space}",
            "space directions: (0.7,0.1,0.05) (-0.02,0.8,0) (0.01,0,2.5)",
            "space origin: (1.5,-2.25,3)",
        ],
        _SHORT_DATA.tobytes(),
    )
    _assert_fast_equals_sitk(path)


def test_oblique_non_orthogonal_directions_bitwise(tmp_path: Path) -> None:
    # ITK scales each direction by 1.0 / norm (not vector / norm): the last bits differ
    rng = np.random.default_rng(11)
    for i in range(40):
        vectors = rng.normal(size=(3, 3)) * rng.uniform(0.1, 5.0, size=(3, 1))
        text = " ".join("(" + ",".join(repr(float(c)) for c in v) + ")" for v in vectors)
        origin = ",".join(repr(float(c)) for c in rng.normal(0, 100, size=3))
        path = _write(
            tmp_path / f"oblique{i}.nrrd",
            [
                "type: uchar",
                "dimension: 3",
                "sizes: 2 2 2",
                "space: LPS",
                f"space directions: {text}",
                f"space origin: ({origin})",
                "encoding: raw",
            ],
            bytes(range(8)),
        )
        _assert_fast_equals_sitk(path)


def test_big_endian_raw_and_gzip(tmp_path: Path) -> None:
    # NRRD type names: "float"/"double" (ITK rejects "float32"), aliases for the integers
    for dtype, name in (
        ("int16", "int16"),
        ("uint32", "uint32"),
        ("float32", "float"),
        ("float64", "double"),
        ("int64", "int64"),
    ):
        data = (np.arange(24) * 37 - 100).astype(np.dtype(dtype).newbyteorder(">")).tobytes()
        for encoding, payload in (("raw", data), ("gzip", gzip.compress(data))):
            path = _write(
                tmp_path / f"big_{dtype}_{encoding}.nrrd",
                [
                    f"type: {name}",
                    "dimension: 3",
                    "sizes: 4 3 2",
                    "endian: big",
                    f"encoding: {encoding}",
                ],
                payload,
            )
            _assert_fast_equals_sitk(path)


def test_spacings_without_space(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "spacings.nrrd", [*_BASE, "spacings: 0.7 0.8 2.5"], _SHORT_DATA.tobytes()
    )
    _assert_fast_equals_sitk(path)
    path = _write(
        tmp_path / "spacings2d.nrrd",
        ["type: uchar", "dimension: 2", "sizes: 4 3", "spacings: 0.5 0.25", "encoding: raw"],
        bytes(range(12)),
    )
    _assert_fast_equals_sitk(path)
    path = _write(tmp_path / "nothing.nrrd", _BASE, _SHORT_DATA.tobytes())
    _assert_fast_equals_sitk(path)


@pytest.mark.parametrize(
    "lines",
    [
        # every type alias, case-insensitive identifiers and values, comments, key/values
        [
            "TYPE: Signed Short Int",
            "Dimension: 3",
            "sizes:  4\t3 2 ",
            "ENDIAN: LITTLE",
            "encoding: RAW",
            "# a comment",
            "my key:=a: value",
            "content: x: y",
        ],
        [
            "type: int16_t",
            "dimension: 3 ",
            "sizes: 4 3 2",
            "endian: little",
            "encoding: gz",
            "kinds: DOMAIN space domain",
            "thicknesses: 1 nan 2",
            "centerings: cell node ???",
        ],
        [
            "type: short int",
            "dimension: 3",
            "sizes: 4 3 2",
            "endian: little",
            "encoding: raw",
            'labels: "x" "y \\"q\\"" "z"',
            'units: "mm" "mm" "mm"',
            "old min: -1",
            "old max: 1e3",
            "number: 24",
            "min: 0",
            "max: 23",
            "sample units: HU",
            "byte skip: 0",
            "line skip: 0",
        ],
        # space dimension (no named space); origin "none"; space without directions
        [
            "type: short",
            "dimension: 3",
            "space dimension: 3",
            "sizes: 4 3 2",
            "space directions: ( 1 , 0 ,0)(0,1,0)\t(0,0,.5) ",
            "space origin: none",
            "endian: little",
            "encoding: raw",
        ],
        [
            "type: short",
            "dimension: 3",
            "space: scanner-xyz",
            "sizes: 4 3 2",
            "space origin: (1,2,3)",
            "endian: little",
            "encoding: raw",
            'space units: "mm" "mm" "mm"',
            "measurement frame: (1,0,0) (0,-1,0) (0,0,1)",
        ],
    ],
    ids=["aliases", "kinds-gz", "ignored-fields", "space-dimension", "space-no-directions"],
)
def test_header_variants(tmp_path: Path, lines: list[str]) -> None:
    data = _SHORT_DATA.tobytes()
    if "encoding: gz" in lines:
        data = gzip.compress(data)
    _assert_fast_equals_sitk(_write(tmp_path / "variant.nrrd", lines, data))


def test_two_d_space_dimension(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "two.nrrd",
        [
            "type: float",
            "dimension: 2",
            "space dimension: 2",
            "sizes: 4 3",
            "endian: little",
            "space directions: (0.5,0.1) (0,0.34999999999999998)",
            "space origin: (3,-7.5)",
            "encoding: raw",
        ],
        np.linspace(-1, 1, 12, dtype="<f4").tobytes(),
    )
    _assert_fast_equals_sitk(path)
    assert read_image(path).metadata["file_ndim"] == 2


@pytest.mark.parametrize("magic", ["NRRD0001", "NRRD0002", "NRRD0003", "NRRD0005"])
def test_magic_versions(tmp_path: Path, magic: str) -> None:
    _assert_fast_equals_sitk(_write(tmp_path / "m.nrrd", _BASE, _SHORT_DATA.tobytes(), magic))


def test_trailing_raw_bytes_and_gzip_members(tmp_path: Path) -> None:
    data = _SHORT_DATA.tobytes()
    gz_base = [*_BASE[:-1], "encoding: gzip"]
    for name, lines, payload in (
        ("extra_raw", _BASE, data + b"tail"),
        ("two_members", gz_base, gzip.compress(data[:20]) + gzip.compress(data[20:])),
        ("garbage_after", gz_base, gzip.compress(data) + b"\x00garbage"),
    ):
        _assert_fast_equals_sitk(_write(tmp_path / f"{name}.nrrd", lines, payload))


# --------------------------------------------------------------------------- fall back to SimpleITK


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        (
            "vector",
            [
                "type: short",
                "dimension: 4",
                "sizes: 2 4 3 1",
                "endian: little",
                "kinds: vector domain domain domain",
                "encoding: raw",
            ],
        ),
        (
            "vector3d",
            [
                "type: short",
                "dimension: 3",
                "sizes: 2 4 3",
                "endian: little",
                "kinds: vector domain domain",
                "encoding: raw",
            ],
        ),
        ("time", [*_BASE, "kinds: domain domain time"]),
        ("axis_mins", [*_BASE, "spacings: 0.7 0.8 2.5", "axis mins: 1 2 3"]),
        ("negative_spacing", [*_BASE, "spacings: 0.7 -0.8 2.5"]),
        ("hex_float", [*_BASE, "space: LPS", "space directions: (0x1p-1,0,0) (0,1,0) (0,0,1)"]),
        ("none_direction", [*_BASE, "space: LPS", "space directions: (0.7,0,0) none (0,0,2)"]),
        ("ascii", ["type: short", "dimension: 3", "sizes: 4 3 2", "encoding: ascii"]),
        ("byte_skip", [*_BASE, "byte skip: 2"]),
    ],
)
def test_unsupported_falls_back(tmp_path: Path, name: str, lines: list[str]) -> None:
    data = _SHORT_DATA.tobytes()
    if "encoding: ascii" in lines:
        data = " ".join(str(v) for v in _SHORT_DATA).encode()
    elif "byte skip: 2" in lines:
        data = b"xx" + data
    elif name == "vector3d":
        data = np.arange(24, dtype="<i2").tobytes()
    _assert_falls_back(_write(tmp_path / f"{name}.nrrd", lines, data))


def test_vector_image_falls_back_and_reads(tmp_path: Path) -> None:
    rgb = np.random.default_rng(2).integers(0, 255, size=(3, 4, 5, 3), dtype=np.uint8)
    rgb[..., 1] = rgb[..., 2] = rgb[..., 0]
    path = tmp_path / "rgb.nrrd"
    sitk.WriteImage(sitk.GetImageFromArray(rgb, isVector=True), str(path))
    assert "kinds: vector domain domain domain" in path.read_bytes()[:600].decode("latin-1")
    assert read_nrrd(path) is None
    vol = read_image(path)
    np.testing.assert_array_equal(vol.array, rgb[..., 0])
    assert vol.metadata["file_ndim"] == 3


def test_detached_header_falls_back(tmp_path: Path) -> None:
    image = sitk.GetImageFromArray(np.arange(60, dtype=np.int16).reshape(3, 4, 5))
    image.SetSpacing((0.5, 0.6, 2.0))
    path = tmp_path / "detached.nhdr"
    sitk.WriteImage(image, str(path))
    assert read_nrrd(path) is None
    # a .nrrd header that points at a data file is SimpleITK's too
    named = tmp_path / "pointer.nrrd"
    named.write_bytes(path.read_bytes())
    assert b"data file" in named.read_bytes()
    assert read_nrrd(named) is None
    for p in (path, named):
        vol = read_image(p)
        np.testing.assert_array_equal(vol.array, np.arange(60).reshape(3, 4, 5))
        assert vol.spacing == (2.0, 0.6, 0.5)
        assert vol.metadata["file_ndim"] == 3


def test_gzip_ends_that_simpleitk_decides(tmp_path: Path) -> None:
    data = _SHORT_DATA.tobytes()
    gz_base = [*_BASE[:-1], "encoding: gzip"]
    # no gzip magic (NrrdIO reads such bytes as they are) / only ISIZE missing (ITK reads it)
    _assert_falls_back(_write(tmp_path / "plain.nrrd", gz_base, data))
    _assert_falls_back(_write(tmp_path / "no_isize.nrrd", gz_base, gzip.compress(data)[:-4]))
    # more data than announced
    more = _write(tmp_path / "more.nrrd", gz_base, gzip.compress(data + data))
    _assert_falls_back(more)


# --------------------------------------------------------------------------- broken files


def test_truncated_gzip_raises(tmp_path: Path) -> None:
    image = sitk.GetImageFromArray(
        np.random.default_rng(0).integers(-1000, 1000, size=(6, 40, 50)).astype(np.int16)
    )
    good = tmp_path / "good.nrrd"
    sitk.WriteImage(image, str(good), useCompression=True)
    cut = tmp_path / "cut.nrrd"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ImageReadError, match=r"cut\.nrrd as NRRD: the gzip stream is truncated"):
        read_image(cut)
    with pytest.raises(ImageReadError, match=r"cut\.nrrd"):
        read_nrrd(cut)


def test_truncated_raw_raises(tmp_path: Path) -> None:
    image = sitk.GetImageFromArray(np.arange(120, dtype=np.float32).reshape(4, 5, 6))
    good = tmp_path / "good.nrrd"
    sitk.WriteImage(image, str(good), useCompression=False)
    cut = tmp_path / "cut.nrrd"
    cut.write_bytes(good.read_bytes()[:-10])
    with pytest.raises(ImageReadError, match=r"cut\.nrrd as NRRD: the file is truncated.*480"):
        read_image(cut)


def test_corrupt_gzip_raises(tmp_path: Path) -> None:
    data = np.random.default_rng(1).integers(0, 9, size=24000, dtype=np.uint8).astype("<i2")
    blob = bytearray(gzip.compress(data.tobytes()))
    blob[len(blob) // 2] ^= 0xFF
    path = _write(
        tmp_path / "corrupt.nrrd",
        ["type: short", "dimension: 3", "sizes: 40 30 20", "endian: little", "encoding: gzip"],
        bytes(blob),
    )
    with pytest.raises(ImageReadError, match=r"corrupt\.nrrd as NRRD: corrupt gzip data"):
        read_image(path)


def test_gzip_shorter_than_announced_raises(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "short.nrrd",
        ["type: short", "dimension: 3", "sizes: 4 3 3", "endian: little", "encoding: gzip"],
        gzip.compress(_SHORT_DATA.tobytes()),
    )
    with pytest.raises(ImageReadError, match=r"short\.nrrd as NRRD: the gzip data hold only 48"):
        read_image(path)
    huge = _write(
        tmp_path / "huge.nrrd",
        [
            "type: double",
            "dimension: 3",
            "sizes: 4000 4000 4000",
            "endian: little",
            "encoding: gzip",
        ],
        gzip.compress(b"\x00" * 100),
    )
    with pytest.raises(ImageReadError, match=r"huge\.nrrd.*truncated"):
        read_image(huge)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["type: char", *_BASE[1:]], r"unknown pixel type 'char'"),
        (["type: short ", *_BASE[1:]], r"unknown pixel type 'short '"),
        ([*_BASE, "type: short"], r"'type' is given twice"),
        ([*_BASE, "space origin:(1,2,3)"], r"malformed header line"),
        (
            ["type: short", "sizes: 4 3 2", "dimension: 3", "endian: little", "encoding: raw"],
            r"'sizes' comes before 'dimension'",
        ),
        (
            [*_BASE, "space directions: (1,0,0) (0,1,0) (0,0,1)", "space: LPS"],
            r"'space directions' comes before 'space'",
        ),
        (["type: short", "dimension: 3", "sizes: 4 3 2", "encoding: raw"], r"needs an 'endian'"),
        (["type: short", "dimension: 3", "sizes: 4 3 2", "endian: little"], r"lacks .*encoding"),
    ],
    ids=["char", "trailing-space", "twice", "malformed", "order", "space-order", "endian", "req"],
)
def test_headers_itk_rejects_raise(tmp_path: Path, lines: list[str], message: str) -> None:
    path = _write(tmp_path / "bad.nrrd", lines, _SHORT_DATA.tobytes())
    with pytest.raises(ImageReadError, match=rf"bad\.nrrd as NRRD: bad header: .*{message}"):
        read_image(path)
    with pytest.raises(RuntimeError):  # SimpleITK refuses these headers as well
        sitk.ReadImage(str(path))


def test_not_nrrd_is_simpleitks_error(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.nrrd"
    bad.write_bytes(b"this is not an image\x00\x01\x02")
    assert read_nrrd(bad) is None
    with pytest.raises(ImageReadError, match=r"garbage\.nrrd as NRRD"):
        read_image(bad)


# --------------------------------------------------------------------------- wiring


def test_read_image_fast_path_does_not_touch_simpleitk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class _NoSitk:
        def __getattr__(self, name: str) -> None:
            raise AssertionError(f"SimpleITK.{name} used on the NRRD fast path")

    image = sitk.GetImageFromArray(np.arange(60, dtype=np.uint16).reshape(3, 4, 5))
    image.SetSpacing((0.7, 0.8, 2.5))
    path = tmp_path / "fast.nrrd"
    sitk.WriteImage(image, str(path), useCompression=True)
    ref = from_sitk(sitk.ReadImage(str(path)))
    monkeypatch.setattr(readers, "sitk", _NoSitk())
    vol = read_image(path)
    assert _same_bits(vol.array, ref.array)
    assert vol.spacing == ref.spacing
    assert vol.metadata == {"file_ndim": 3, "source": str(path), "format": "nrrd"}


def test_module_does_not_import_simpleitk() -> None:
    code = (
        "import sys; from radiomix.io._nrrd import read_nrrd; "
        "assert 'SimpleITK' not in sys.modules, 'SimpleITK imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("space", ["space: RAS", "space: LAS", "space: LPS", "space dimension: 3"])
@pytest.mark.parametrize("origin", ["(0,0,3)", "(-0,-0,0)", "(-0,0,-0)"])
def test_zero_coordinates_are_positive_zeros(tmp_path: Path, space: str, origin: str) -> None:
    path = _write(
        tmp_path / "zeros.nrrd",
        [
            "type: uchar",
            "dimension: 3",
            "sizes: 2 1 1",
            space,
            "encoding: raw",
            "space directions: (1,0,0) (0,-0,1) (0,1,0)",
            f"space origin: {origin}",
        ],
        bytes([1, 2]),
    )
    _assert_fast_equals_sitk(path)
    fast = read_nrrd(path)
    assert fast is not None
    geometry = fast[1]
    assert not np.signbit(geometry["origin"]).any()
    assert not np.signbit(geometry["direction"][geometry["direction"] == 0]).any()


def test_nrrd_supported_matches_read_nrrd(tmp_path: Path) -> None:
    scalar = _write(tmp_path / "scalar.nrrd", _BASE, _SHORT_DATA.tobytes())
    vector = _write(
        tmp_path / "vector.nrrd",
        [
            "type: uchar",
            "dimension: 3",
            "sizes: 3 2 1",
            "kinds: RGB-color domain domain",
            "encoding: raw",
        ],
        bytes(range(6)),
    )
    assert nrrd_supported(scalar) and read_nrrd(scalar) is not None
    assert not nrrd_supported(vector) and read_nrrd(vector) is None
    assert not nrrd_supported(tmp_path / "missing.nrrd")
