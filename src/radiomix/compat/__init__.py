"""PyRadiomics compatibility: one import switches a PyRadiomics script to radiomix.

::

    import radiomix.compat as radiomics                     # was: import radiomics
    from radiomix.compat import featureextractor, glcm      # was: from radiomics import ...

    extractor = featureextractor.RadiomicsFeatureExtractor("params.yaml")
    result = extractor.execute("image.nrrd", "mask.nrrd")  # OrderedDict, PyRadiomics' keys

This package only translates: PyRadiomics parameter files become radiomix settings with the
``pyradiomics`` profile (:mod:`radiomix.compat.params`), the extractor and the feature
classes (``glcm.RadiomicsGLCM``, ...: :mod:`radiomix.compat._classes`) call the engine and
give results PyRadiomics' names. The numbers come from the engine's formulas
(:mod:`radiomix.features`, with the profile's switches) and the profile's preprocessing
(:mod:`radiomix.extraction.profile_pyradiomics`).

Module functions as PyRadiomics 3.0.1's: :func:`getTestCase` (local files only: radiomix
never downloads), :func:`setVerbosity`, :data:`logger`, :func:`getFeatureClasses`,
:func:`getImageTypes`, :func:`getProgressReporter` (with :data:`progressReporter`),
:func:`deprecated`. Submodules load on first use, so ``import radiomix.compat`` loads no
SimpleITK, SciPy or numba.
"""

from __future__ import annotations

import importlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Self

from radiomix import __version__
from radiomix.compat.params import load_params, settings_from_params
from radiomix.extraction.settings import PYRADIOMICS_CLASSES

__all__ = [
    "__version__",
    "debugging",
    "deprecated",
    "formatter",
    "getFeatureClasses",
    "getImageTypes",
    "getProgressReporter",
    "getTestCase",
    "handler",
    "load_params",
    "logger",
    "progressReporter",
    "setVerbosity",
    "settings_from_params",
    "testCases",
]

#: the drop-in's logger (PyRadiomics': ``radiomics``): level INFO, and a stderr handler at
#: WARNING printing the bare message, as PyRadiomics sets up its own
logger = logging.getLogger("radiomix.compat")
logger.setLevel(logging.INFO)
handler = logging.StreamHandler()
formatter = logging.Formatter("%(message)s")
handler.setFormatter(formatter)
handler.setLevel(logging.WARNING)
logger.addHandler(handler)

#: PyRadiomics' flag of the same name (True in 3.0.1; nothing reads it)
debugging = True

#: PyRadiomics' test cases (``<case>_image.nrrd``, ``<case>_label.nrrd``)
testCases = (
    "brain1",
    "brain2",
    "breast1",
    "lung1",
    "lung2",
    "test_wavelet_64x64x64",
    "test_wavelet_37x37x37",
)

#: where :func:`getTestCase` looks when no ``dataDirectory`` is given (before PyRadiomics'
#: own download folder, ``<TEMPDIR>/pyradiomics/data``)
TEST_DATA_ENV = "RADIOMIX_PYRADIOMICS_DATA"

#: a progress bar class (``tqdm.tqdm`` fits) used where PyRadiomics reports progress, when
#: the handler's level is INFO or DEBUG; None: no progress bars
progressReporter: Callable[..., Any] | None = None

_SUBMODULES = ("base", "featureextractor", "imageoperations", *PYRADIOMICS_CLASSES)


def __getattr__(name: str) -> Any:
    # ``radiomics.featureextractor`` etc. without importing them all at ``import``
    if name in _SUBMODULES:
        return importlib.import_module(f"radiomix.compat.{name}")
    raise AttributeError(f"module 'radiomix.compat' has no attribute {name!r}")


def deprecated(func: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a feature getter deprecated (not enabled by ``enableAllFeatures``)."""
    func._is_deprecated = True  # type: ignore[attr-defined]
    return func


def setVerbosity(level: int) -> None:
    """What the drop-in prints to stderr: a logging level, 10 (DEBUG, everything) to 60
    (quiet); the logger itself is lowered too when the level goes below it."""
    level = min(max(int(level), 10), 60)
    handler.setLevel(level)
    if handler.level < logger.level:
        logger.setLevel(level)


def getFeatureClasses() -> dict[str, type]:
    """``{class module name: feature class}``, as PyRadiomics lists them."""
    from radiomix.compat._classes import CLASS_NAMES

    return {cls: getattr(importlib.import_module(f"radiomix.compat.{cls}"), name)
            for cls, name in CLASS_NAMES.items()}  # fmt: skip


def getImageTypes() -> list[str]:
    """The image types (``Original`` and the filters) a parameter file may enable."""
    from radiomix.filters.pyradiomics import PYRADIOMICS_IMAGE_TYPES

    return sorted(PYRADIOMICS_IMAGE_TYPES)


def getTestCase(testCase: str, dataDirectory: str | Path | None = None) -> tuple[Any, Any]:
    """(image path, mask path) of one of PyRadiomics' test cases (:data:`testCases`; append
    ``_2D`` for the single-slice label), from ``dataDirectory``, else the folder named by the
    environment variable ``RADIOMIX_PYRADIOMICS_DATA``, else PyRadiomics' download folder
    ``<TEMPDIR>/pyradiomics/data``.

    radiomix never downloads: where a file is missing the error is logged and ``(None,
    None)`` returned, as PyRadiomics does when it cannot get the case.
    """
    case = testCase.lower()
    label_2d = case.endswith("_2d")
    if label_2d:
        case = case[:-3]
    if case not in testCases:
        raise ValueError(f'Testcase "{case}" not recognized!')
    if dataDirectory is not None:
        folders = [Path(dataDirectory)]
    else:
        env = os.environ.get(TEST_DATA_ENV)
        folders = [Path(env)] if env else []
        folders.append(Path(tempfile.gettempdir()) / "pyradiomics" / "data")
    names = (f"{case}_image.nrrd", f"{case}_label{'_2D' if label_2d else ''}.nrrd")
    for folder in folders:
        paths = [folder / n for n in names]
        if all(p.is_file() for p in paths):
            return str(paths[0]), str(paths[1])
    logger.error(
        "Test case %s not found in %s; radiomix does not download: put PyRadiomics' test "
        "case files there, or give dataDirectory (or set %s)",
        testCase,
        ", ".join(str(f) for f in folders),
        TEST_DATA_ENV,
    )
    return None, None


class _NoProgress:
    """The progress reporter used when none is set or the handler's level is above INFO:
    iterates over what it is given and reports nothing."""

    def __init__(self, iterable: Iterable[Any] | None = None, desc: str = "", total: Any = None):
        self.desc = desc
        self.iterable = iterable

    def __iter__(self) -> Any:
        return iter(self.iterable if self.iterable is not None else ())

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        return None


def getProgressReporter(*args: Any, **kwargs: Any) -> Any:
    """An instance of :data:`progressReporter` when one is set and the handler's level is
    INFO or DEBUG; else a reporter that reports nothing."""
    if progressReporter is not None and logging.NOTSET < handler.level <= logging.INFO:
        return progressReporter(*args, **kwargs)
    return _NoProgress(*args, **kwargs)
