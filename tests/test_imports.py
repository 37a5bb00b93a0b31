"""Lean imports: the entry points load no heavy library that their import does not need.

Each check runs in a fresh interpreter (this test process has imported everything already)
and reads ``sys.modules`` there. pandas, DICOM, plotting, machine learning, cluster and
console libraries are loaded by the functions that use them, not by ``import radiomix``,
the PyRadiomics-compatible extractor, the extraction API or ``radiomix --help``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: loaded only by the functions that need them (tables, DICOM, plots, models, clusters)
HEAVY = (
    "pandas",
    "pyarrow",
    "scipy.spatial",
    "pydicom",
    "highdicom",
    "matplotlib",
    "sklearn",
    "dask",
    "distributed",
    "rich",
    "PIL",
)
#: ``--help`` builds an argparse parser: none of the numerical stack is needed either
NUMERICAL = ("numpy", "scipy", "SimpleITK", "numba", "skimage", "pywt", "joblib")

SUBCOMMANDS = (
    "extract",
    "pyradiomics",
    "config",
    "features",
    "filter",
    "ibsi-check",
    "demo",
    "segment",
    "robustness",
    "train",
    "evaluate",
    "predict",
    "report",
    "study",
    "register",
    "propagate",
    "resample",
    "delta",
    "audit",
    "runs",
    "app",
)


def _python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter of this environment."""
    return subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120
    )


def _loaded_after(code: str, names: tuple[str, ...]) -> dict[str, object]:
    """Run ``code``, then report which of ``names`` are in ``sys.modules`` (and its output)."""
    probe = (
        "import contextlib, io, json, sys\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + f"names = {names!r}\n"
        "print(json.dumps({'loaded': [n for n in names if n in sys.modules], "
        "'stdout': out.getvalue()}))\n"
    )
    proc = _python(probe)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    "code",
    [
        "import radiomix",
        "from radiomix.compat import featureextractor",
        "from radiomix.extraction.api import extract_results",
        "import radiomix.io",
        "import radiomix.segment",
    ],
)
def test_entry_point_imports_no_heavy_library(code: str) -> None:
    loaded = _loaded_after(code, HEAVY)["loaded"]
    assert loaded == [], f"`{code}` imports {loaded}: import them inside the functions using them"


def test_extract_still_loads_pandas_when_it_returns_a_table() -> None:
    """The probe sees real imports: extract() returning a DataFrame does load pandas."""
    code = (
        "import numpy as np\n"
        "from radiomix.extraction.api import extract\n"
        "img = np.arange(1, 65, dtype=float).reshape(4, 4, 4)\n"
        "table = extract(img, np.ones((4, 4, 4), bool), config='ibsi1-phantom')\n"
        "assert type(table).__module__.startswith('pandas'), type(table)\n"
        "assert len(table) == 1\n"
    )
    assert _loaded_after(code, ("pandas",))["loaded"] == ["pandas"]


def test_radiomix_help_needs_only_argparse() -> None:
    code = (
        "from radiomix.cli.main import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
    )
    result = _loaded_after(code, HEAVY + NUMERICAL)
    assert result["loaded"] == []
    stdout = str(result["stdout"])
    assert stdout.startswith("usage: radiomix")
    for sub in SUBCOMMANDS:
        assert sub in stdout


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_subcommand_help_needs_only_argparse(sub: str) -> None:
    code = (
        "from radiomix.cli.main import main\n"
        "try:\n"
        f"    main([{sub!r}, '--help'])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
    )
    result = _loaded_after(code, HEAVY + NUMERICAL)
    assert result["loaded"] == []
    assert str(result["stdout"]).startswith(f"usage: radiomix {sub}")


def test_console_script_help() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "radiomix.cli.main", "--help"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage: radiomix" in proc.stdout
    assert proc.stderr == ""


def test_segment_names_are_importable_lazily() -> None:
    """``radiomix.segment`` loads its modules on first use; every public name still resolves."""
    code = (
        "import radiomix.segment as seg\n"
        "from radiomix.segment import *\n"
        "missing = [n for n in seg.__all__ if n not in globals()]\n"
        "assert missing == [], missing\n"
        "assert seg.SEED_METHODS == ('rays', 'confidence', 'connected', 'neighborhood')\n"
        "from radiomix.segment.semiauto import SEED_METHODS\n"
        "from radiomix.segment.region_growing import PREFILTERS\n"
        "assert SEED_METHODS is seg.SEED_METHODS and PREFILTERS is seg.PREFILTERS\n"
        "assert seg.metrics.dice is seg.dice\n"
        "assert set(seg.__all__) <= set(dir(seg))\n"
        "try:\n"
        "    seg.no_such_name\n"
        "except AttributeError:\n"
        "    pass\n"
        "else:\n"
        "    raise AssertionError('no AttributeError')\n"
    )
    # the probe itself reports scipy.spatial: the segmentation code really needs it
    assert _loaded_after(code, ("scipy.spatial",))["loaded"] == ["scipy.spatial"]


#: what the PyRadiomics drop-in loads only when the case needs it (issue 4's light start):
#: numpy.ma (~10 ms) comes with np.unique / np.percentile, the DICOM readers with DICOM
ON_USE = (
    "SimpleITK",
    "scipy",
    "numba",
    "skimage.feature",
    "pandas",
    "numpy.ma",
    "radiomix.io._dicom",
    "radiomix.io._rtstruct",
    "radiomix.io._seg",
)


@pytest.mark.parametrize("module", ["featureextractor", "imageoperations"])
def test_compat_import_loads_no_simpleitk_scipy_or_numba(module: str) -> None:
    loaded = _loaded_after(f"from radiomix.compat import {module}", ON_USE)["loaded"]
    assert loaded == [], f"the drop-in's import loads {loaded}"


def test_original_extraction_of_nrrd_files_needs_no_simpleitk_scipy_or_numba(tmp_path) -> None:
    """A CT-like NRRD pair, all seven classes on the Original image (PyRadiomics' default
    settings): radiomix's own NRRD reader and NumPy kernels do it all."""
    import numpy as np
    import SimpleITK as sitk

    rng = np.random.default_rng(3)
    image = sitk.GetImageFromArray(rng.integers(-100, 200, (12, 40, 40)).astype(np.int16))
    image.SetSpacing((0.7, 0.7, 2.5))
    lab = np.zeros((12, 40, 40), np.uint8)
    lab[3:9, 10:30, 12:28] = 1
    mask = sitk.GetImageFromArray(lab)
    mask.CopyInformation(image)
    sitk.WriteImage(image, str(tmp_path / "ct.nrrd"), useCompression=True)
    sitk.WriteImage(mask, str(tmp_path / "label.nrrd"), useCompression=True)
    code = (
        "from radiomix.compat import featureextractor\n"
        "ext = featureextractor.RadiomicsFeatureExtractor()\n"
        f"res = ext.execute({str(tmp_path / 'ct.nrrd')!r}, {str(tmp_path / 'label.nrrd')!r})\n"
        "print(len([k for k in res if not k.startswith('diagnostics_')]))\n"
        "print(res['diagnostics_Versions_SimpleITK'])\n"
    )
    result = _loaded_after(code, ON_USE)
    assert result["loaded"] == [], f"the extraction loads {result['loaded']}"
    count, sitk_version = str(result["stdout"]).split()
    assert int(count) == 107  # PyRadiomics' default: every class but shape2D
    assert sitk_version == sitk.Version_VersionString()


def test_each_command_is_registered_by_the_module_named_for_it() -> None:
    import argparse
    import importlib

    from radiomix.cli import main as cli

    assert tuple(cli._COMMANDS) == SUBCOMMANDS
    for module in dict.fromkeys(cli._COMMANDS.values()):
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"radiomix.cli.{module}").add_parser(sub)
        assert sorted(sub.choices) == sorted(c for c, m in cli._COMMANDS.items() if m == module)


def test_a_command_loads_only_its_own_module() -> None:
    # `radiomix -v pyradiomics --help` parses with the pyradiomics command's parser only
    code = (
        "from radiomix.cli.main import main\n"
        "try:\n"
        "    main(['-v', 'pyradiomics', '--help'])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
    )
    others = tuple(f"radiomix.cli.{m}" for m in ("_train", "_study", "_audit", "_extract", "_app"))
    result = _loaded_after(code, (*others, "radiomix.cli._pyradiomics", "radiomix.learn"))
    assert result["loaded"] == ["radiomix.cli._pyradiomics"]
