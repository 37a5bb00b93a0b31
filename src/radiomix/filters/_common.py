"""Small pieces shared by the IBSI 2 filters: parameter checks and response pooling."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from radiomix.errors import ConfigError

__all__ = ["POOLINGS", "SPATIAL", "canonical_spatial", "check_pooling", "pool", "spacing3"]

SPATIAL: tuple[str, ...] = ("2D", "3D")
POOLINGS: tuple[str, ...] = ("max", "mean", "min")


def canonical_spatial(value: str) -> str:
    """``"2D"`` (slice by slice) or ``"3D"`` (volumetric), case-insensitive."""
    v = str(value).strip().upper()
    if v not in SPATIAL:
        raise ConfigError(f"spatial must be 2D (slice by slice) or 3D, got {value!r}")
    return v


def check_pooling(value: str) -> str:
    v = str(value).strip().lower()
    if v not in POOLINGS:
        raise ConfigError(f"pooling must be one of {', '.join(POOLINGS)}, got {value!r}")
    return v


def spacing3(spacing: Iterable[float]) -> tuple[float, float, float]:
    """Validated voxel spacing (z, y, x) in mm."""
    sp = tuple(float(s) for s in spacing)
    if len(sp) != 3 or not all(math.isfinite(s) and s > 0 for s in sp):
        raise ValueError(f"spacing must be three positive numbers (z, y, x) in mm, got {sp}")
    return sp  # type: ignore[return-value]


def pool(maps: Iterable[np.ndarray], method: str) -> np.ndarray:
    """Voxel-wise max, min or mean of response maps, accumulated one map at a time.

    IBSI 2 pools the responses of rotated (or re-oriented) kernels into one rotation
    invariant map this way.
    """
    acc: np.ndarray | None = None
    count = 0
    for m in maps:
        count += 1
        if acc is None:
            acc = np.array(m, dtype=np.float64, copy=True)
        elif method == "max":
            np.maximum(acc, m, out=acc)
        elif method == "min":
            np.minimum(acc, m, out=acc)
        elif method == "mean":
            acc += m
        else:  # pragma: no cover - checked by check_pooling
            raise ValueError(f"unknown pooling {method!r}")
    if acc is None:
        raise ValueError("nothing to pool")
    if method == "mean" and count > 1:
        acc /= count
    return acc
