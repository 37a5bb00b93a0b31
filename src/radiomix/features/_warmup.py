"""Load the numba kernels in a background thread while a case's files are read.

The first call of a numba kernel in a process costs a few tenths of a second, even from the
on-disk cache: numba sets up its compiler context (it imports some 70 modules) and loads
the machine code. Reading the image and mask takes about as long and runs in SimpleITK's C++
code without Python's global lock. :func:`warm_up_kernels` therefore starts, once per
process, a thread that calls the kernels on tiny inputs (and imports ``scipy.spatial``, which
the shape diameters need), so that both happen at once. The
kernels' results do not depend on it; a failure there is left for the real call to report.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection

import numpy as np

__all__ = ["warm_up_kernels", "warm_up_pyradiomics_kernels", "warm_up_voxel_kernels"]

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_started: set[str] = set()


_LEVELS = np.ones((2, 2, 2), dtype=np.int64)  # tiny inputs, one signature each
_OFFSETS = np.array([[0, 0, 1]], dtype=np.int64)


def _load_pyradiomics() -> None:
    from radiomix.features._kernels_glcm import cooccurrence_counts
    from radiomix.features._kernels_glrlm import run_length_counts

    run_length_counts(_LEVELS, _OFFSETS, 1)
    cooccurrence_counts(_LEVELS, _OFFSETS, np.array([1]))


def _load() -> None:
    import scipy.spatial  # noqa: F401 - the shape diameters' convex hulls (~0.07 s to import)

    from radiomix.features._kernels_neighbourhood import dependence_counts

    _load_pyradiomics()
    dependence_counts(_LEVELS, 1, 0, False)


#: the engine families of voxel maps that have a numba kernel (:mod:`._kernels_voxel`)
_VOXEL_KERNELS = ("glcm", "glrlm", "glszm", "ngldm", "ngtdm")


def _load_voxel(families: Collection[str] = _VOXEL_KERNELS) -> None:
    from radiomix.features import _kernels_voxel as kv

    levels = np.ones((3, 3, 3), dtype=np.int64)
    remap = np.zeros(2, dtype=np.int64)
    centres = np.array([[1, 1, 1]], dtype=np.int64)
    offsets = np.array([[0, 0, 1]], dtype=np.int64)
    for fam in families:
        if fam == "ngldm":
            kv.kernel_gldm(levels, remap, centres, 1, -1, offsets, 0.0, 1)
        elif fam in _VOXEL_KERNELS:
            getattr(kv, f"kernel_{fam}")(levels, remap, centres, 1, -1, offsets, 1)


def _run(load: Callable[[], None]) -> None:
    try:
        load()
    except Exception:  # pragma: no cover - the real call raises it again, with context
        logger.debug("kernel warm-up failed", exc_info=True)


def _start(
    kind: str, load: Callable[[], None], also: Collection[str] = ()
) -> threading.Thread | None:
    with _lock:
        if kind in _started:
            return None
        _started.add(kind)
        _started.update(also)
    thread = threading.Thread(
        target=_run, args=(load,), name=f"radiomix-{kind}-warm-up", daemon=True
    )
    thread.start()
    return thread


def warm_up_kernels() -> threading.Thread | None:
    """Start loading the numba kernels of segment-based extraction in a daemon thread, once
    per process.

    Returns the thread when this call started it, None when a previous call did.
    """
    return _start("kernel", _load)


def warm_up_pyradiomics_kernels() -> threading.Thread | None:
    """The same for the numba kernels the ``pyradiomics`` profile takes on large ROI boxes
    (GLCM and GLRLM counts, see :func:`radiomix.features._texture.use_numba_kernels`)."""
    return _start("pyradiomics-kernel", _load_pyradiomics)


def warm_up_voxel_kernels(families: Collection[str] | None = None) -> threading.Thread | None:
    """The same for the kernels of voxel maps (:mod:`radiomix.features._kernels_voxel`):
    those of the engine ``families`` (default: every texture family; the others
    need none), each loaded once per process (a kernel costs about 0.1 s to load)."""
    wanted = [f for f in (_VOXEL_KERNELS if families is None else families) if f in _VOXEL_KERNELS]
    with _lock:
        todo = tuple(c for c in wanted if f"voxel-{c}" not in _started)
    if not todo:
        return None
    return _start(
        "voxel-" + "-".join(todo), lambda: _load_voxel(todo), also=[f"voxel-{c}" for c in todo]
    )
