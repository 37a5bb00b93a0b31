"""The :class:`Volume` type: a voxel array in (z, y, x) order with its geometry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Volume"]


@dataclass(frozen=True, eq=False)
class Volume:
    """A 3D image (or mask) on a physical grid.

    Parameters
    ----------
    array : ndarray
        Voxel values, shape (z, y, x) -- plane, row, column. 2D images have one plane.
    spacing : tuple of float
        Voxel size in mm, (z, y, x).
    origin : tuple of float
        Physical position of the centre of voxel (0, 0, 0), (z, y, x).
    direction : ndarray
        3x3 direction cosines; column ``k`` is the physical direction of array axis ``k``,
        both axes and physical components in (z, y, x) order.
    metadata : dict
        Free-form information from the reader (modality, source path, ...).
    """

    array: np.ndarray
    spacing: tuple[float, float, float] = (1.0, 1.0, 1.0)
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)
    direction: np.ndarray = field(default_factory=lambda: np.eye(3))
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        arr = np.asarray(self.array)
        if arr.ndim == 2:
            arr = arr[np.newaxis]
        if arr.ndim != 3:
            raise ValueError(f"a Volume holds a 2D or 3D array, got {arr.ndim} dimensions")
        object.__setattr__(self, "array", arr)
        object.__setattr__(self, "spacing", tuple(float(s) for s in self.spacing))
        object.__setattr__(self, "origin", tuple(float(o) for o in self.origin))
        object.__setattr__(self, "direction", np.asarray(self.direction, dtype=float).reshape(3, 3))
        if len(self.spacing) != 3 or len(self.origin) != 3:
            raise ValueError("spacing and origin must have three values in (z, y, x) order")
        if any(s <= 0 for s in self.spacing):
            raise ValueError(f"voxel spacing must be positive, got {self.spacing}")

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.array.shape)  # type: ignore[return-value]

    @property
    def is_2d(self) -> bool:
        """True when the volume has a single plane (a 2D image)."""
        return self.array.shape[0] == 1

    def with_array(self, array: np.ndarray, **changes: Any) -> Volume:
        """A new volume with another array (and optionally other geometry)."""
        params: dict[str, Any] = {
            "spacing": self.spacing,
            "origin": self.origin,
            "direction": self.direction,
            "metadata": dict(self.metadata),
        }
        params.update(changes)
        return Volume(array, **params)

    def index_to_physical(self, index: np.ndarray) -> np.ndarray:
        """Physical (z, y, x) positions of voxel indices (..., 3) in (z, y, x) order."""
        idx = np.asarray(index, dtype=float)
        return np.asarray(self.origin) + (idx * np.asarray(self.spacing)) @ self.direction.T
