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

import numpy as np

__all__ = ["warm_up_kernels"]

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_started = False


def _load() -> None:
    import scipy.spatial  # noqa: F401 - the shape diameters' convex hulls (~0.07 s to import)

    from radiomix.features._kernels_glrlm import run_length_counts
    from radiomix.features._kernels_pyradiomics import cooccurrence_counts, neighbour_stats
    from radiomix.features._kernels_zones import zone_table

    levels = np.ones((2, 2, 2), dtype=np.int64)
    offsets = np.array([[0, 0, 1]], dtype=np.int64)
    run_length_counts(levels, offsets, 1)
    zone_table(levels, False)
    neighbour_stats(levels, offsets, 0.0)
    cooccurrence_counts(levels, offsets, np.array([1]))


def _run() -> None:
    try:
        _load()
    except Exception:  # pragma: no cover - the real call raises it again, with context
        logger.debug("kernel warm-up failed", exc_info=True)


def warm_up_kernels() -> threading.Thread | None:
    """Start loading the numba kernels in a daemon thread, once per process.

    Returns the thread when this call started it, None when a previous call did.
    """
    global _started
    with _lock:
        if _started:
            return None
        _started = True
    thread = threading.Thread(target=_run, name="radiomix-kernel-warm-up", daemon=True)
    thread.start()
    return thread
