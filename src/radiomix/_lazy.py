"""Heavy optional-at-start-up modules imported on first use.

SimpleITK alone adds ~100 MiB of resident memory and ~45 ms to a process that imports it,
although a NRRD case read by radiomix's own reader never calls it. Modules that use it
everywhere hold ``sitk = lazy_module("SimpleITK")``: the real module is imported when an
attribute is first read (``sitk.ReadImage``), once, under Python's import lock. Checks
whether a value *is* a SimpleITK image go through :func:`is_sitk_image`, which does not
import SimpleITK when it has not been imported (then no value can be one).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Collection, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeGuard

if TYPE_CHECKING:
    import SimpleITK

__all__ = ["is_sitk_image", "lazy_module", "lazy_names"]


class _LazyModule:
    """Stands for a module; imports it when an attribute is first looked up."""

    def __init__(self, name: str) -> None:
        self._lazy_name = name

    def _load(self) -> ModuleType:
        return importlib.import_module(self._lazy_name)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):  # copy / pickle probes
            raise AttributeError(attr)
        return getattr(self._load(), attr)

    def __repr__(self) -> str:
        state = "imported" if self._lazy_name in sys.modules else "not imported yet"
        return f"<lazy module {self._lazy_name!r} ({state})>"


def lazy_module(name: str) -> Any:
    """A stand-in for module ``name`` that imports it on first attribute access."""
    return _LazyModule(name)


def lazy_names(
    package: str,
    homes: Mapping[str, str],
    namespace: dict[str, Any],
    submodules: Collection[str] = (),
) -> Callable[[str], Any]:
    """A package's module ``__getattr__`` that imports its names on first use: ``homes``
    maps each public name to the submodule defining it, ``submodules`` are submodules
    reachable as attributes without importing them first; what is found is kept in the
    package's ``namespace`` (its ``globals()``), so the lookup runs once per name."""

    def __getattr__(name: str) -> Any:
        if name in homes:
            value = getattr(importlib.import_module(f"{package}.{homes[name]}"), name)
        elif name in submodules:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value
        return value

    return __getattr__


def is_sitk_image(value: Any) -> TypeGuard[SimpleITK.Image]:
    """True for a ``SimpleITK.Image`` (without importing SimpleITK when it is not loaded)."""
    # while another thread (the mask reader) is still importing SimpleITK, the module is in
    # sys.modules without its attributes yet: no SimpleITK image can come from it then
    image_type = getattr(sys.modules.get("SimpleITK"), "Image", None)
    return image_type is not None and isinstance(value, image_type)
