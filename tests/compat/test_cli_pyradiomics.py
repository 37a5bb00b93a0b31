"""``radiomix pyradiomics``: PyRadiomics 3.0.1's command line and outputs.

Always run: the small fixtures (ct_a, mr_b) against the text PyRadiomics 3.0.1 itself wrote
for them (tests/data/pyradiomics_compat/cli/expected_*: ``pyradiomics ... --format-path
basename``, see the README there), and every flag. Live (slow, where
benchmarks/.venv-pyradiomics and ../shared/data/pyradiomics-cases exist): the real
``pyradiomics`` command side by side with ``radiomix pyradiomics`` on brain1 and a two-case
batch, in the three formats.

"Same layout" means the same text once every number is replaced by ``#`` and the version
entries are blanked (radiomix writes ``diagnostics_Versions_radiomix`` where PyRadiomics
writes ``diagnostics_Versions_PyRadiomics``); the values then agree within 1e-6.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from radiomix.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "pyradiomics_compat"
CLI = DATA / "cli"
PYRADIOMICS = ROOT / "benchmarks" / ".venv-pyradiomics" / "bin" / "pyradiomics"
CASES = ROOT.parent / "shared" / "data" / "pyradiomics-cases"
TOL = 1e-6

_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_VERSION_TXT = re.compile(r"^(Case-\d+_diagnostics_Versions_)(\w+): .*$", re.MULTILINE)
_VERSION_JSON = re.compile(r'"diagnostics_Versions_(\w+)": "[^"]*"')


# -- comparison helpers ----------------------------------------------------------------


def _key(key: str) -> str:
    return key.replace("diagnostics_Versions_radiomix", "diagnostics_Versions_PyRadiomics")


def _layout(text: str, fmt: str) -> str:
    """``text`` with the versions blanked and every number replaced by ``#``."""
    text = text.replace("diagnostics_Versions_radiomix", "diagnostics_Versions_PyRadiomics")
    if fmt == "txt":
        text = _VERSION_TXT.sub(r"\1\2: V", text)
    elif fmt == "json":
        text = _VERSION_JSON.sub(r'"diagnostics_Versions_\1": "V"', text)
    else:
        rows = list(csv.reader(io.StringIO(text)))
        header = rows[0]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for row in rows:
            if row and row[0] == header[0]:  # a header (written again on append)
                header = row
                writer.writerow(row)
                continue
            writer.writerow(
                [
                    "V" if i < len(header) and header[i].startswith("diagnostics_Versions_") else v
                    for i, v in enumerate(row)
                ]
            )
        assert out.getvalue().count("\n") == text.count("\n")
        text = out.getvalue()
    return _NUMBER.sub("#", text)


def _close(a: Any, b: Any) -> bool:
    """Equal, or numbers (or tuples / lists / dicts of them) within the tolerance."""
    if isinstance(a, str) and isinstance(b, str):
        if a == b:
            return True
        for parse in (float, ast.literal_eval):
            try:
                return _close(parse(a), parse(b))
            except (ValueError, SyntaxError, TypeError):
                continue
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=TOL, abs_tol=TOL)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_close(a[k], b[k]) for k in a)
    return bool(a == b)


def _diff(a: Any, b: Any) -> float:
    try:
        x, y = float(a), float(b)
    except (TypeError, ValueError):
        return 0.0
    if math.isnan(x) or math.isnan(y):
        return 0.0
    return abs(x - y) / max(1.0, abs(x))


def _pairs(text: str, fmt: str) -> list[tuple[str, Any]]:
    """``(key, value)`` of every entry of an output, in order (case by case)."""
    if fmt == "txt":
        return [
            (_key(k), v) for k, v in (line.split(": ", 1) for line in text.splitlines() if line)
        ]
    if fmt == "json":
        doc = json.loads(text)
        return [(_key(k), v) for case in doc for k, v in case.items()]
    rows = list(csv.reader(io.StringIO(text)))
    return [(_key(k), v) for row in rows[1:] for k, v in zip(rows[0], row, strict=True)]


def assert_same_output(ours: str, theirs: str, fmt: str) -> float:
    """Same layout, same keys in the same order, values within 1e-6; the largest relative
    difference."""
    assert _layout(ours, fmt) == _layout(theirs, fmt)
    a, b = _pairs(ours, fmt), _pairs(theirs, fmt)
    assert [k for k, _ in a] == [k for k, _ in b]
    worst = 0.0
    for (key, va), (_, vb) in zip(a, b, strict=True):
        if "diagnostics_Versions_" in key:
            continue
        assert _close(va, vb), (key, va, vb)
        worst = max(worst, _diff(va, vb))
    return worst


# -- running the command ---------------------------------------------------------------


def run_cli(
    args: list[str], capsys: pytest.CaptureFixture[str], cwd: Path | None = None
) -> tuple[int, str, str]:
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        code = main(["pyradiomics", *args])
    finally:
        os.chdir(old)
    out = capsys.readouterr()
    return code, out.out, out.err


def _expected(name: str) -> str:
    return (CLI / name).read_text()


# -- layouts on the fixtures, against PyRadiomics' own text ------------------------------

CT_A = [str(DATA / "ct_a_image.nrrd"), str(DATA / "ct_a_label.nrrd")]


@pytest.mark.parametrize("fmt", ["txt", "csv", "json"])
def test_single_case_layout(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli([*CT_A, "-f", fmt, "--format-path", "basename"], capsys)
    assert code == 0
    assert_same_output(out, _expected(f"expected_single.{fmt}"), fmt)


@pytest.mark.parametrize("fmt", ["txt", "csv", "json"])
def test_batch_layout(fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / f"out.{fmt}"
    code, stdout, _ = run_cli(
        [str(CLI / "batch.csv"), "-f", fmt, "--format-path", "basename", "-o", str(out_file)],
        capsys,
    )
    assert code == 0 and stdout == ""
    text = out_file.read_text()
    assert_same_output(text, _expected(f"expected_batch.{fmt}"), fmt)
    if fmt == "csv":  # the batch's columns first
        assert text.splitlines()[0].startswith("Patient,Image,Mask,Label,diagnostics_")
    if fmt == "json":
        assert not text.endswith("\n")  # json.dump(..., indent=2), no newline after
        assert text.startswith('[\n  {\n    "Patient": "A",\n')


def test_txt_lines(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli([*CT_A], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"Case-1_Image: {os.path.abspath(CT_A[0])}"
    assert lines[1] == f"Case-1_Mask: {os.path.abspath(CT_A[1])}"
    assert lines[2].startswith("Case-1_diagnostics_Versions_radiomix: ")
    assert all(re.fullmatch(r"Case-1_\S+: .*", line) for line in lines)


def test_floats_are_shortest_repr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli([*CT_A, "-f", "csv"], capsys)
    assert code == 0
    header, row = list(csv.reader(io.StringIO(out)))
    from radiomix.compat.featureextractor import RadiomicsFeatureExtractor

    values = RadiomicsFeatureExtractor().execute(CT_A[0], CT_A[1])
    for key, text in zip(header, row, strict=True):
        if isinstance(values.get(key), float):
            assert text == repr(values[key]) and float(text) == values[key], key


def test_voxel_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "voxel.csv"
    code, _, _ = run_cli(
        [
            str(CLI / "batch.csv"),
            *("-m", "voxel", "-p", str(CLI / "voxel.yaml"), "-od", "maps", "-f", "csv"),
            *("--format-path", "basename", "-o", str(out_file)),
        ],
        capsys,
        cwd=tmp_path,
    )
    assert code == 0
    text = out_file.read_text()
    assert_same_output(text, _expected("expected_voxel.csv"), "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["original_glcm_JointEntropy"] == "maps/Case-1_original_glcm_JointEntropy.nrrd"
    names = sorted(p.name for p in (tmp_path / "maps").iterdir())
    assert names == sorted(
        f"Case-{n}_original_{f}.nrrd"
        for n in (1, 2)
        for f in ("firstorder_Mean", "firstorder_Energy", "glcm_JointEntropy")
    )


def test_voxel_mode_default_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        [*CT_A, "-m", "voxel", "-p", str(CLI / "voxel.yaml"), "-f", "json"], capsys, cwd=tmp_path
    )
    assert code == 0
    (case,) = json.loads(out)
    assert case["original_firstorder_Mean"] == "./Case-1_original_firstorder_Mean.nrrd"
    assert (tmp_path / "Case-1_original_firstorder_Mean.nrrd").is_file()


# -- every flag --------------------------------------------------------------------------


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_param_and_settings(capsys: pytest.CaptureFixture[str]) -> None:
    args = [*CT_A, "-f", "json", "-p", str(DATA / "params_default.yaml")]
    code, out, err = run_cli(
        [*args, "-s", "binWidth:10", "-s", "distances:1,2", "-s", "preCrop:true"], capsys
    )
    assert code == 0, err
    (case,) = json.loads(out)
    settings = case["diagnostics_Configuration_Settings"]
    assert settings["binWidth"] == 10.0 and settings["distances"] == [1, 2]
    assert settings["preCrop"] is True
    assert "original_glcm_Contrast" in case


def test_bad_settings_are_skipped_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        [*CT_A, "-f", "json", "-s", "noColon", "-s", "bogus:1", "-s", "binCount:x"], capsys
    )
    assert code == 0
    assert 'missing ":"' in err and 'Did not recognize override "bogus"' in err
    assert 'Could not parse value "x" for setting "binCount"' in err
    (case,) = json.loads(out)
    assert "binCount" not in case["diagnostics_Configuration_Settings"]


def test_deprecated_label(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli([*CT_A, "-f", "json", "-l", "1"], capsys)
    assert code == 0
    assert 'Argument "label" is deprecated' in err
    assert json.loads(out)[0]["diagnostics_Configuration_Settings"]["label"] == 1


def test_jobs_gives_the_same_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = [str(CLI / "batch.csv"), "-f", "csv"]
    c1, serial, _ = run_cli(base, capsys)
    c2, parallel, _ = run_cli([*base, "-j", "2"], capsys)
    assert c1 == c2 == 0
    assert parallel == serial


def test_jobs_beyond_the_cores_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["pyradiomics", *CT_A, "-j", str((os.cpu_count() or 1) + 1)])
    assert exc.value.code == 2


def test_validate_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    batch = tmp_path / "b.csv"
    batch.write_text(f"Image,Mask\n{CT_A[0]},{CT_A[1]}\nmissing.nrrd,{CT_A[1]}\n")
    out_file = tmp_path / "o.csv"
    code, out, err = run_cli(
        [str(batch), "--validate", "-v", "4", "-o", str(out_file), "-p", "nope.yaml"], capsys
    )
    assert code == 0 and out == "" and not out_file.exists()
    assert "Image path for case (2/2) does not exist!" in err
    assert "Path for specified parameter file does not exist!" in err
    assert "errors found in 1 case(s)" in err


def test_out_appends(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "o.csv"
    for _ in range(2):
        assert run_cli([*CT_A, "-f", "csv", "-o", str(out_file)], capsys)[0] == 0
    lines = out_file.read_text().splitlines()
    assert len(lines) == 4 and lines[0] == lines[2]  # PyRadiomics writes the header again


def test_out_dir_keeps_and_reuses_case_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    od = tmp_path / "cases"
    code, first, _ = run_cli([*CT_A, "-f", "csv", "-od", str(od)], capsys)
    assert code == 0
    kept = od / "features_1.csv"
    assert kept.read_text() == first.replace(os.path.abspath(CT_A[0]), CT_A[0]).replace(
        os.path.abspath(CT_A[1]), CT_A[1]
    )
    # a rerun reads the case back instead of computing it (PyRadiomics' resume)
    kept.write_text(kept.read_text().replace("original_firstorder_Mean", "original_X"))
    code, second, _ = run_cli([*CT_A, "-f", "json", "-od", str(od)], capsys)
    (case,) = json.loads(second)
    assert "original_X" in case and isinstance(case["original_X"], str)


def test_skip_nans_keeps_feature_values() -> None:
    import argparse

    from radiomix.cli._pyradiomics import _Outcome, _render

    args = argparse.Namespace(skip_nans=True, format="csv", format_path="basename", unix_path=False)
    vector = {
        "Image": "/a/i.nrrd",
        "Mask": "/a/m.nrrd",
        "diagnostics_Image-original_Mean": float("nan"),
        "original_firstorder_Mean": float("nan"),
    }
    text = _render(args, [_Outcome(1, dict(vector))], "/a")
    # PyRadiomics 3.0.1 drops NaN Python floats (diagnostics); its feature values are
    # NumPy 0-d arrays, which it keeps: "nan"
    assert text == (
        "Image,Mask,diagnostics_Image-original_Mean,original_firstorder_Mean\ni.nrrd,m.nrrd,,nan\n"
    )
    args.skip_nans = False
    assert _render(args, [_Outcome(1, dict(vector))], "/a").endswith("i.nrrd,m.nrrd,nan,nan\n")


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("absolute", str(DATA / "ct_a_image.nrrd")),
        ("relative", "../ct_a_image.nrrd"),
        ("basename", "ct_a_image.nrrd"),
    ],
)
def test_format_path(how: str, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        [str(CLI / "batch.csv"), "-f", "csv", "--format-path", how, "-up"], capsys
    )
    assert code == 0
    assert _csv_rows(out)[0]["Image"] == expected


def test_relative_single_is_relative_to_the_current_folder(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_cli(
        ["ct_a_image.nrrd", "ct_a_label.nrrd", "-f", "csv", "--format-path", "relative"],
        capsys,
        cwd=DATA,
    )
    assert code == 0 and _csv_rows(out)[0]["Mask"] == "ct_a_label.nrrd"


def test_logging_and_log_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "run.log"
    code, _, err = run_cli(
        [*CT_A, "-o", str(tmp_path / "o.txt"), "--log-file", str(log), "--logging-level", "INFO"],
        capsys,
    )
    assert code == 0 and err == ""  # verbosity 3: warnings only on stderr
    text = log.read_text()
    stamp = r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] I: radiomix.pyradiomics: "
    assert re.search(stamp, text, re.MULTILINE)
    code, _, err = run_cli([*CT_A, "-o", str(tmp_path / "o.txt"), "-v"], capsys)
    assert "I: radiomix.pyradiomics: Finished segment-based extraction successfully" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from radiomix import __version__

    with pytest.raises(SystemExit) as exc:
        main(["pyradiomics", "--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"radiomix pyradiomics {__version__}"


def test_defaults() -> None:
    from radiomix.cli.main import build_parser

    args = build_parser().parse_args(["pyradiomics", "x.csv"])
    assert (args.mask, args.param, args.setting, args.jobs, args.out, args.out_dir) == (
        None,
        None,
        [],
        1,
        None,
        None,
    )
    assert (args.mode, args.format, args.format_path, args.verbosity) == (
        "segment",
        "txt",
        "absolute",
        3,
    )
    assert (args.skip_nans, args.unix_path, args.validate, args.label) == (
        False,
        False,
        False,
        None,
    )
    assert (args.logging_level, args.log_file) == ("WARNING", None)
    assert build_parser().parse_args(["pyradiomics", "x.csv", "-v"]).verbosity == 4


def test_failed_case_keeps_its_input_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "b.csv"
    batch.write_text(
        f"Id,Image,Mask\nbad,{tmp_path / 'missing.nrrd'},{CT_A[1]}\nok,{CT_A[0]},{CT_A[1]}\n"
    )
    code, out, err = run_cli([str(batch), "-f", "csv", "--format-path", "basename"], capsys)
    assert code == 0  # as PyRadiomics: the case is logged, the run succeeds
    assert "Case 1: feature extraction failed!" in err
    rows = list(csv.reader(io.StringIO(out)))
    # the first case's keys first (only its input columns), the others' after, sorted
    assert rows[0][:3] == ["Id", "Image", "Mask"]
    assert rows[0][3:] == sorted(rows[0][3:])
    assert rows[1][:3] == ["bad", "missing.nrrd", "ct_a_label.nrrd"]
    assert set(rows[1][3:]) == {""}
    assert rows[2][0] == "ok" and rows[2][3]


# -- live: the real pyradiomics command, side by side --------------------------------------


def _live_ready() -> None:
    if not PYRADIOMICS.is_file():
        pytest.skip(f"PyRadiomics 3.0.1 is not installed at {PYRADIOMICS} (benchmarks/setup)")
    if not (CASES / "brain1_image.nrrd").is_file():
        pytest.skip(f"PyRadiomics' test cases are not in {CASES}")


#: PyRadiomics 3.0.1's command with its ``-s`` parsing working: it reads its schema with
#: ``yaml.safe_load`` from pykwalify.compat, which ruamel.yaml >= 0.18 removed (every ``-s``
#: then fails with exit status 3); this gives it ruamel's safe loader under that name
_PYRADIOMICS_WITH_SETTINGS = """
import sys, types
import radiomics.scripts as S
from ruamel.yaml import YAML
S.yaml = types.SimpleNamespace(safe_load=lambda f: YAML(typ="safe", pure=True).load(f))
sys.argv = ["pyradiomics", *sys.argv[1:]]
sys.exit(S.parse_args())
"""


def _both(
    args: list[str], cwd: Path, their_cwd: Path | None = None, settings: bool = False
) -> tuple[str, str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    command = [str(PYRADIOMICS)]
    if settings:
        command = [str(PYRADIOMICS.with_name("python")), "-c", _PYRADIOMICS_WITH_SETTINGS]
    theirs = subprocess.run(
        [*command, *args],
        cwd=their_cwd or cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert theirs.returncode == 0, theirs.stderr[-2000:]
    ours = subprocess.run(
        [sys.executable, "-m", "radiomix.cli.main", "pyradiomics", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert ours.returncode == 0, ours.stderr[-2000:]
    return ours.stdout, theirs.stdout


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["txt", "csv", "json"])
def test_live_brain1(fmt: str, tmp_path: Path) -> None:
    _live_ready()
    ours, theirs = _both(
        [str(CASES / "brain1_image.nrrd"), str(CASES / "brain1_label.nrrd"), "-f", fmt], tmp_path
    )
    worst = assert_same_output(ours, theirs, fmt)
    print(f"brain1 {fmt}: largest relative difference {worst:.3g}")


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["txt", "csv", "json"])
def test_live_batch(fmt: str, tmp_path: Path) -> None:
    _live_ready()
    batch = tmp_path / "batch.csv"
    batch.write_text(
        "Patient,Image,Mask,Label\n"
        f"b1,{CASES / 'brain1_image.nrrd'},{CASES / 'brain1_label.nrrd'},1\n"
        f"b2,{CASES / 'brain2_image.nrrd'},{CASES / 'brain2_label.nrrd'},1\n"
    )
    shutil.copy(DATA / "params_default.yaml", tmp_path / "params.yaml")
    ours, theirs = _both(
        [str(batch), "-f", fmt, "-p", "params.yaml", "-j", "2", "--format-path", "relative"],
        tmp_path,
    )
    worst = assert_same_output(ours, theirs, fmt)
    print(f"batch {fmt}: largest relative difference {worst:.3g}")


@pytest.mark.slow
def test_live_settings(tmp_path: Path) -> None:
    _live_ready()
    ours, theirs = _both(
        [
            *(str(CASES / "brain1_image.nrrd"), str(CASES / "brain1_label.nrrd"), "-f", "json"),
            *("-s", "binWidth:10", "-s", "distances:1,2", "-s", "bogus:3", "-s", "force2D:1"),
        ],
        tmp_path,
        settings=True,
    )
    worst = assert_same_output(ours, theirs, "json")
    settings = json.loads(ours)[0]["diagnostics_Configuration_Settings"]
    assert (settings["binWidth"], settings["distances"], settings["force2D"]) == (
        10.0,
        [1, 2],
        True,
    )
    print(f"brain1 -s: largest relative difference {worst:.3g}")


@pytest.mark.slow
def test_live_voxel(tmp_path: Path) -> None:
    _live_ready()
    import numpy as np
    import SimpleITK as sitk

    params = tmp_path / "voxel.yaml"
    params.write_text(
        "imageType: {Original: {}}\nfeatureClass: {firstorder: [Mean, Energy]}\n"
        "setting: {binWidth: 25}\nvoxelSetting: {kernelRadius: 1}\n"
    )
    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    ours, theirs = _both(
        [
            *(str(CASES / "brain1_image.nrrd"), str(CASES / "brain1_label.nrrd")),
            *("-m", "voxel", "-p", str(params), "-od", "maps", "-f", "csv"),
        ],
        tmp_path / "ours",
        their_cwd=tmp_path / "theirs",
    )
    assert_same_output(ours, theirs, "csv")
    worst = 0.0
    maps = [p for p in _csv_rows(ours)[0].values() if p.startswith("maps/")]
    assert sorted(maps) == [
        "maps/Case-1_original_firstorder_Energy.nrrd",
        "maps/Case-1_original_firstorder_Mean.nrrd",
    ]
    for path in maps:
        a = sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "ours" / path)))
        b = sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "theirs" / path)))
        assert a.shape == b.shape and a.dtype == b.dtype, path
        np.testing.assert_allclose(a, b, rtol=TOL, atol=TOL, err_msg=path)
        worst = max(worst, float(np.nanmax(np.abs(a - b) / np.maximum(1.0, np.abs(b)))))
    print(f"brain1 voxel maps: largest relative difference {worst:.3g}")


def test_out_dir_keeps_a_failed_case_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "b.csv"
    batch.write_text(f"Image,Mask\n{tmp_path / 'missing.nrrd'},{CT_A[1]}\n")
    od = tmp_path / "od"
    code, _, err = run_cli([str(batch), "-f", "csv", "-od", str(od)], capsys)
    assert code == 0 and "feature extraction failed" in err
    assert (od / "features_1.csv").read_text() == (
        f"Image,Mask\n{tmp_path / 'missing.nrrd'},{CT_A[1]}\n"
    )
    # as PyRadiomics, a rerun reads the kept row back: the case is not tried again
    code, out, err = run_cli([str(batch), "-f", "csv", "-od", str(od)], capsys)
    assert code == 0 and "failed" not in err
    assert out.splitlines()[0] == "Image,Mask"


EXAMPLES = ROOT.parent / "shared" / "data" / "pyradiomics-examples" / "exampleSettings"
EXAMPLE_FILES = [
    "Params",
    "exampleCT",
    "exampleMR_3mm",
    "exampleMR_5mm",
    "exampleMR_NoResampling",
    "example_allShape",
    "MR_2D_extraction",  # every case fails in both (shape2D on 3D masks): input columns only
]


@pytest.mark.slow
@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_live_example_parameter_files(name: str, tmp_path: Path) -> None:
    """PyRadiomics' example parameter files on its five test cases, as one batch."""
    _live_ready()
    params = EXAMPLES / f"{name}.yaml"
    if not params.is_file():
        pytest.skip(f"PyRadiomics' example parameter files are not in {EXAMPLES}")
    batch = tmp_path / "five.csv"
    batch.write_text(
        "Case,Image,Mask\n"
        + "".join(
            f"{c},{CASES / f'{c}_image.nrrd'},{CASES / f'{c}_label.nrrd'}\n"
            for c in ("brain1", "brain2", "breast1", "lung1", "lung2")
        )
    )
    ours, theirs = _both([str(batch), "-p", str(params), "-f", "csv", "-j", "2"], tmp_path)
    worst = assert_same_output(ours, theirs, "csv")
    print(f"{name} x 5 cases: largest relative difference {worst:.3g}")


def test_short_batch_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A row shorter than the header: the missing Label is None (the parameters' label),
    written as PyRadiomics writes None: empty in csv, ``None`` in txt, null in json."""
    batch = tmp_path / "b.csv"
    batch.write_text(f"Image,Mask,Label\n{CT_A[0]},{CT_A[1]}\n")
    outputs = {}
    for fmt in ("csv", "txt", "json"):
        code, outputs[fmt], _ = run_cli([str(batch), "-f", fmt], capsys)
        assert code == 0
    assert _csv_rows(outputs["csv"])[0]["Label"] == ""
    assert "Case-1_Label: None\n" in outputs["txt"]
    assert json.loads(outputs["json"])[0]["Label"] is None
    assert "original_firstorder_Mean" in _csv_rows(outputs["csv"])[0]


def _same_maps(ours: Path, theirs: Path, table: str) -> float:
    """Every map the table names: equal shape and type, values within 1e-6 (NaN where
    PyRadiomics has NaN); the largest relative difference."""
    import numpy as np
    import SimpleITK as sitk

    worst = 0.0
    paths = [p for row in _csv_rows(table) for p in row.values() if p.endswith(".nrrd")]
    assert paths
    for path in paths:
        a = sitk.GetArrayFromImage(sitk.ReadImage(str(ours / path)))
        b = sitk.GetArrayFromImage(sitk.ReadImage(str(theirs / path)))
        assert a.shape == b.shape and a.dtype == b.dtype, path
        np.testing.assert_allclose(a, b, rtol=TOL, atol=TOL, err_msg=path)
        if np.isfinite(b).any():
            worst = max(worst, float(np.nanmax(np.abs(a - b) / np.maximum(1.0, np.abs(b)))))
    return worst


@pytest.mark.slow
def test_live_example_voxel(tmp_path: Path) -> None:
    """exampleVoxel.yaml on the five test cases, as one batch: the tables and the maps."""
    _live_ready()
    params = EXAMPLES / "exampleVoxel.yaml"
    if not params.is_file():
        pytest.skip(f"PyRadiomics' example parameter files are not in {EXAMPLES}")
    batch = tmp_path / "five.csv"
    batch.write_text(
        "Case,Image,Mask\n"
        + "".join(
            f"{c},{CASES / f'{c}_image.nrrd'},{CASES / f'{c}_label.nrrd'}\n"
            for c in ("brain1", "brain2", "breast1", "lung1", "lung2")
        )
    )
    for who in ("ours", "theirs"):
        (tmp_path / who).mkdir()
    args = [str(batch), "-m", "voxel", "-p", str(params), "-od", "maps", "-f", "csv", "-j", "2"]
    ours, theirs = _both(args, tmp_path / "ours", their_cwd=tmp_path / "theirs")
    assert_same_output(ours, theirs, "csv")
    worst = _same_maps(tmp_path / "ours", tmp_path / "theirs", ours)
    print(f"exampleVoxel x 5 cases: largest relative difference of the maps {worst:.3g}")


def test_unix_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """``-up`` turns the platform's separator into ``/`` (a no-op where it is ``/``)."""
    import argparse

    from radiomix.cli._pyradiomics import _Outcome, _render

    monkeypatch.setattr(os.path, "sep", "\\")  # as on Windows, for the replacement only
    vector = {"Image": "/d/sub\\i.nrrd", "Mask": "/d/sub\\m.nrrd", "x": 1.5}
    args = argparse.Namespace(skip_nans=False, format="txt", format_path="basename")
    args.unix_path = True
    text = _render(args, [_Outcome(1, dict(vector))], "/d")
    assert text == "Case-1_Image: sub/i.nrrd\nCase-1_Mask: sub/m.nrrd\nCase-1_x: 1.5\n"
    args.unix_path = False
    assert "Case-1_Image: sub\\i.nrrd\n" in _render(args, [_Outcome(1, dict(vector))], "/d")


def test_any_error_of_the_run_is_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A kept row without the Image column (edited by hand): one line, exit status 3, as
    PyRadiomics' "Error extracting features!"."""
    od = tmp_path / "od"
    od.mkdir()
    (od / "features_1.csv").write_text("Mask,x\nm.nrrd,1\n")
    code, out, err = run_cli([*CT_A, "-f", "csv", "-od", str(od)], capsys)
    assert code == 3 and out == ""
    assert err.splitlines() == ["radiomix: error: KeyError: 'Image'"]
