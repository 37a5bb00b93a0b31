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


def fake_voxel_case(image: str, mask: str, label: str | None) -> tuple[int, dict[str, object]]:
    """A voxel-mode case without the engine: one diagnostic and a 2 x 3 map whose voxels
    hold the label; an image named ``bad.nrrd`` fails."""
    import numpy as np
    import SimpleITK as sitk

    if image.endswith("bad.nrrd"):
        raise ValueError(f"cannot read {image}")
    lab = int(label) if label else 1
    feature_map = sitk.GetImageFromArray(np.full((2, 3), float(lab)))
    return lab, {"diagnostics_Mask": mask, "original_firstorder_Mean": feature_map}
