"""The pyradiomics profile's threads: one ROI's image types and maps run on a pool of
``RADIOMIX_THREADS`` threads (default: the usable CPUs); the result does not depend on it.

The reference is PyRadiomics 3.0.1's own output for the same parameter file
(``expected.json`` of the committed fixtures: the ``all_image_types`` runs), so the threaded
run is checked against the values and against PyRadiomics' key order.
"""

from __future__ import annotations

import json
import math
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from radiomix.compat import featureextractor
from radiomix.errors import ConfigError
from radiomix.extraction import executors
from radiomix.extraction.profile_pyradiomics import THREADS_ENV, extraction_threads

DATA = Path(__file__).resolve().parents[1] / "data" / "pyradiomics_compat"
PARAMS = DATA / "params_all_image_types.yaml"


@cache
def _expected() -> dict[str, Any]:
    runs: dict[str, Any] = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
    return runs["all_image_types"]


def _run(threads: str, case: str) -> dict[str, Any]:
    old = os.environ.get(THREADS_ENV)
    os.environ[THREADS_ENV] = threads
    try:
        ext = featureextractor.RadiomicsFeatureExtractor(str(PARAMS))
        return dict(ext.execute(str(DATA / f"{case}_image.nrrd"), str(DATA / f"{case}_label.nrrd")))
    finally:
        if old is None:
            del os.environ[THREADS_ENV]
        else:
            os.environ[THREADS_ENV] = old


@pytest.mark.parametrize("case", ["ct_a", "mr_b"])
def test_threads_give_pyradiomics_values_in_its_order(case: str) -> None:
    expected = _expected()[case]
    one = _run("1", case)
    three = _run("3", case)
    assert list(one) == list(three)  # same keys, same (PyRadiomics') order
    feats = [k for k in expected if not k.startswith("diagnostics_")]
    assert len(feats) > 500  # every image type of the file: the pool really had work
    assert [k for k in three if not k.startswith("diagnostics_")] == feats
    for k in feats:
        a, b, ref = float(one[k]), float(three[k]), float(expected[k])
        assert a == b or (math.isnan(a) and math.isnan(b)), k  # bit for bit
        assert math.isclose(b, ref, rel_tol=1e-6, abs_tol=1e-9) or (
            math.isnan(b) and math.isnan(ref)
        ), k


@pytest.mark.parametrize("case", ["ct_a", "mr_b"])
def test_one_map_split_over_threads_keeps_values_and_order(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Original image alone is one map: its run lengths run beside the other classes
    (two jobs), and the features come back in PyRadiomics' order, bit for bit."""
    from radiomix.extraction import profile_pyradiomics as pp

    classes = [(c, ()) for c in ("firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm")]
    monkeypatch.setenv(THREADS_ENV, "2")
    assert pp._class_groups(classes, 1) == [[classes[3]], classes[:3] + classes[4:]]
    assert pp._class_groups(classes, 2) == [classes]  # several maps: one job per map
    assert pp._class_groups(classes[:2], 1) == [classes[:2]]  # no run lengths: one job
    monkeypatch.setenv(THREADS_ENV, "1")
    assert pp._class_groups(classes, 1) == [classes]

    expected = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))["default"][case]
    runs = {}
    for threads in ("1", "2"):
        monkeypatch.setenv(THREADS_ENV, threads)
        ext = featureextractor.RadiomicsFeatureExtractor(str(DATA / "params_default.yaml"))
        runs[threads] = dict(
            ext.execute(str(DATA / f"{case}_image.nrrd"), str(DATA / f"{case}_label.nrrd"))
        )
    feats = [k for k in expected if not k.startswith("diagnostics_")]
    assert [k for k in runs["2"] if not k.startswith("diagnostics_")] == feats
    for k in feats:
        assert runs["1"][k] == runs["2"][k] or math.isnan(float(runs["1"][k])), k


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_bad_thread_count_is_an_error_naming_the_variable(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(THREADS_ENV, value)
    with pytest.raises(ConfigError, match=THREADS_ENV):
        extraction_threads()


def test_thread_count_default_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert extraction_threads() == len(os.sched_getaffinity(0))
    monkeypatch.setenv(THREADS_ENV, "5")
    assert extraction_threads() == 5


def test_batch_workers_use_one_thread_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes share the CPUs: their extractions run on one thread each."""
    monkeypatch.delenv(THREADS_ENV, raising=False)
    executors._one_thread_per_case()
    assert os.environ[THREADS_ENV] == "1"
    monkeypatch.setenv(THREADS_ENV, "4")
    executors._one_thread_per_case()
    assert os.environ[THREADS_ENV] == "4"
