"""Task functions for executor tests, in a module light enough for worker processes to import."""

from __future__ import annotations

import os


def crash_on_two(task: int) -> int:
    """Return ``10 * task``; task 2 kills its worker process (like a segfault)."""
    if task == 2:
        os._exit(13)
    return task * 10


def lost(task: int, exc: BaseException) -> int:
    """Negative task number, so that a test sees which tasks were given up."""
    return -task if type(exc).__name__ == "WorkerLostError" else -1000 - task
