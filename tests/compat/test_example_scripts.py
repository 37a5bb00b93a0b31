"""PyRadiomics 3.0.1's example scripts with only their import lines changed.

The scripts are PyRadiomics' (``../shared/data/pyradiomics-examples``, BSD-3-Clause); they
are read from there at test time, never copied into the project. Each runs in a folder laid
out as in PyRadiomics' repository (``examples/`` beside ``data/``), with ``import radiomics``
turned into ``import radiomix.compat as radiomics`` and ``from radiomics...`` into
``from radiomix.compat...``; ``getTestCase`` finds the cases in PyRadiomics' download folder
(``<TEMPDIR>/pyradiomics/data``), which the test fills with links to
``../shared/data/pyradiomics-cases`` (nothing is downloaded).

What is checked: the scripts that run on PyRadiomics 3.0.1 run with radiomix, print or write
the same keys, and where PyRadiomics' environment exists (benchmarks/.venv-pyradiomics, as in
CI) the original scripts run there too and every number agrees within 1e-6 relative. The
three scripts that fail on PyRadiomics 3.0.1 itself (a misspelt setting, a Windows path,
``pandas.Series.append``) fail with radiomix for the same reason.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT.parent / "shared" / "data" / "pyradiomics-examples"
CASES = ROOT.parent / "shared" / "data" / "pyradiomics-cases"
PYRADIOMICS_PYTHON = ROOT / "benchmarks" / ".venv-pyradiomics" / "bin" / "python"
NAMES = ("brain1", "brain2", "breast1", "lung1", "lung2")

pytestmark = pytest.mark.skipif(
    not (EXAMPLES / "helloRadiomics.py").is_file() or not (CASES / "brain1_image.nrrd").is_file(),
    reason="PyRadiomics' examples or test cases are not in ../shared/data",
)

_IMPORTS = (
    (re.compile(r"^import radiomics$"), "import radiomix.compat as radiomics"),
    (re.compile(r"^from radiomics\.(\w+) import "), r"from radiomix.compat.\1 import "),
    (re.compile(r"^from radiomics import "), "from radiomix.compat import "),
)


def _ported(text: str) -> str:
    """The script with its ``radiomics`` import lines pointed at ``radiomix.compat``."""
    lines = []
    for line in text.splitlines():
        for pattern, repl in _IMPORTS:
            if pattern.match(line):
                line = pattern.sub(repl, line)
                break
        lines.append(line)
    return "\n".join(lines) + "\n"


def _layout(folder: Path, port: bool) -> Path:
    """``folder/examples`` (scripts, testCases.csv, exampleSettings), ``folder/data`` and
    ``folder/tmp/pyradiomics/data`` (getTestCase's download folder) with the cases."""
    examples = folder / "examples"
    (examples / "exampleSettings").mkdir(parents=True)
    for script in EXAMPLES.glob("*.py"):
        text = script.read_text(encoding="utf-8")
        (examples / script.name).write_text(_ported(text) if port else text, encoding="utf-8")
    (examples / "testCases.csv").write_text(
        (EXAMPLES / "testCases.csv").read_text(encoding="utf-8"), encoding="utf-8"
    )
    for yaml in (EXAMPLES / "exampleSettings").glob("*.yaml"):
        (examples / "exampleSettings" / yaml.name).write_bytes(yaml.read_bytes())
    # helloVoxel.py looks for its case in the folder above the scripts
    for data in (folder / "data", folder / "tmp" / "pyradiomics" / "data", folder):
        data.mkdir(parents=True, exist_ok=True)
        for name in NAMES:
            for part in ("image", "label"):
                (data / f"{name}_{part}.nrrd").symlink_to(CASES / f"{name}_{part}.nrrd")
    return examples


def _run(
    python: Path | str, folder: Path, script: str, port: bool, *args: str
) -> tuple[int, str, Path]:
    examples = _layout(folder, port)
    env = {**os.environ, "TMPDIR": str(folder / "tmp"), "MPLBACKEND": "Agg"}
    env.pop("RADIOMIX_PYRADIOMICS_DATA", None)
    proc = subprocess.run(
        [str(python), script, *args],
        check=False,
        cwd=examples,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return proc.returncode, proc.stdout + proc.stderr, examples


_COMPUTED = re.compile(r"^Computed (\S+): (.*)$")
_CLASS_VALUE = re.compile(r"^\s+(\w+) : (.*)$")


def _printed(output: str) -> dict[str, str]:
    """``{name: printed value}`` of the lines a hello script prints per feature."""
    out: dict[str, str] = {}
    section = ""
    for line in output.splitlines():
        if line.startswith("Calculated ") and line.endswith("features: "):
            section = line.split()[1]
        m = _COMPUTED.match(line)
        if m:
            out[m.group(1)] = m.group(2)
            continue
        m = _CLASS_VALUE.match(line)
        if m and section:
            out[f"{section}:{m.group(1)}"] = m.group(2)
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _agree(ours: dict[str, str], theirs: dict[str, str]) -> None:
    # the same keys in the same order; the tool's own version key is named after the tool
    # (diagnostics_Versions_radiomix where PyRadiomics has diagnostics_Versions_PyRadiomics)
    def keys(d: dict[str, str]) -> list[str]:
        return [
            k
            for k in d
            if k not in ("diagnostics_Versions_PyRadiomics", "diagnostics_Versions_radiomix")
        ]

    assert keys(ours) == keys(theirs)
    numbers = 0
    for key, want in theirs.items():
        if key.startswith(("diagnostics_Versions", "diagnostics_Configuration")):
            continue
        if _is_number(want) and _is_number(ours[key]):
            got, ref = float(ours[key]), float(want)
            assert abs(got - ref) <= max(1e-9, 1e-6 * abs(ref)), (key, got, ref)
            numbers += 1
    assert numbers > 0


def _columns(row: dict[str, str]) -> list[str]:
    skip = ("diagnostics_Versions_PyRadiomics", "diagnostics_Versions_radiomix")
    return [c for c in row if c not in skip]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


HELLO = {
    # script -> the features it prints (PyRadiomics 3.0.1 on brain1)
    "helloRadiomics.py": 2,  # firstorder Mean and Skewness
    "helloRadiomicsWithSettings.py": 100,  # Params.yaml: six classes, GLCM without SumAverage
    # firstorder Mean, then all of shape (14), glcm (24), glrlm (16), glszm (16)
    "helloFeatureClass.py": 1 + 14 + 24 + 16 + 16,
}


@pytest.mark.parametrize("script", list(HELLO))
def test_hello_scripts_run_and_print_pyradiomics_values(script: str, tmp_path: Path) -> None:
    rc, output, _ = _run(sys.executable, tmp_path / "radiomix", script, port=True)
    assert rc == 0, output[-3000:]
    ours = _printed(output)
    features = [k for k in ours if not k.startswith("diagnostics_")]
    assert len(features) >= HELLO[script], output[-3000:]
    if PYRADIOMICS_PYTHON.exists():
        rc, ref_output, _ = _run(PYRADIOMICS_PYTHON, tmp_path / "pyradiomics", script, port=False)
        assert rc == 0, ref_output[-3000:]
        _agree(ours, _printed(ref_output))


@pytest.mark.parametrize(
    ("script", "table"),
    [
        ("batchprocessing.py", "radiomics_features.csv"),
        ("batchprocessing_parallel.py", "results.csv"),
    ],
)
def test_batch_scripts_write_pyradiomics_tables(script: str, table: str, tmp_path: Path) -> None:
    rc, output, examples = _run(sys.executable, tmp_path / "radiomix", script, port=True)
    assert rc == 0, output[-3000:]
    rows = _csv_rows(examples / table)
    assert sorted(r["ID"] for r in rows) == sorted(NAMES)
    # Params.yaml: shape 14, firstorder 18, glcm 22 (no SumAverage), glrlm 16, glszm 16, gldm 14
    assert sum(c.startswith("original_") for c in rows[0]) == 100
    if PYRADIOMICS_PYTHON.exists():
        rc, ref_output, ref_examples = _run(
            PYRADIOMICS_PYTHON, tmp_path / "pyradiomics", script, port=False
        )
        assert rc == 0, ref_output[-3000:]
        ref_rows = _csv_rows(ref_examples / table)
        assert _columns(rows[0]) == _columns(ref_rows[0])
        by_id = {r["ID"]: r for r in ref_rows}
        for row in rows:
            _agree(
                {k: v for k, v in row.items() if k.startswith("original_")},
                {k: v for k, v in by_id[row["ID"]].items() if k.startswith("original_")},
            )


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        # the script misspells resampledImageSpaceing, then reads resampledPixelSpacing
        ("helloResampling.py", "KeyError: 'resampledPixelSpacing'"),
        # a Windows path separator: exampleSettings\\exampleVoxel.yaml is no file on Linux
        ("helloVoxel.py", "exampleVoxel.yaml"),
    ],
)
def test_scripts_that_fail_on_pyradiomics_fail_alike(
    script: str, reason: str, tmp_path: Path
) -> None:
    args = [str(CASES / "brain1_image.nrrd"), str(CASES / "brain1_label.nrrd")]
    rc, output, _ = _run(sys.executable, tmp_path / "radiomix", script, True, *args)
    assert rc != 0 and reason in output, output[-3000:]
    if PYRADIOMICS_PYTHON.exists():
        rc, ref_output, _ = _run(PYRADIOMICS_PYTHON, tmp_path / "pyradiomics", script, False, *args)
        assert rc != 0 and reason in ref_output, ref_output[-3000:]


def test_pandas_script_loses_its_features_alike(tmp_path: Path) -> None:
    # batchProcessingWithPandas.py calls pandas.Series.append (removed in pandas 2): the
    # script catches the error per case and writes a table without features, on both tools
    script = "batchProcessingWithPandas.py"
    rc, output, examples = _run(sys.executable, tmp_path / "radiomix", script, port=True)
    assert rc == 0, output[-3000:]
    log = (examples / "pyrad_log.txt").read_text(encoding="utf-8")
    assert log.count("FEATURE EXTRACTION FAILED") == len(NAMES)
    assert "has no attribute 'append'" in log
    rows = _csv_rows(examples / "radiomics_features.csv")
    assert len(rows) == len(NAMES) and not any(c.startswith("original_") for c in rows[0])
    if PYRADIOMICS_PYTHON.exists():
        rc, ref_output, ref_examples = _run(
            PYRADIOMICS_PYTHON, tmp_path / "pyradiomics", script, port=False
        )
        if "No module named 'pandas'" in ref_output:
            return  # PyRadiomics' environment has no pandas (not a PyRadiomics dependency)
        assert rc == 0, ref_output[-3000:]
        ref_log = (ref_examples / "pyrad_log.txt").read_text(encoding="utf-8")
        assert ref_log.count("FEATURE EXTRACTION FAILED") == len(NAMES)
        assert list(_csv_rows(ref_examples / "radiomics_features.csv")[0]) == list(rows[0])
