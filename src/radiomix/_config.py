"""Frozen settings from plain mappings (parsed YAML): the builder every room's settings use.

Extraction settings (:mod:`radiomix.extraction.settings`), study settings
(:mod:`radiomix.learn.config`), filter entries and PyRadiomics parameter files all turn a
mapping into frozen dataclasses with the same rules: an unknown key is a
:class:`~radiomix.errors.ConfigError` that names the closest valid key, a value of the wrong
type names its path (``texture.distance``) and what was expected, and a user file is merged
over defaults key by key (:func:`deep_merge`).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from radiomix.errors import ConfigError

__all__ = ["build", "deep_merge", "did_you_mean", "fail"]

#: parsers of types that need more than the generic rules: ``{type: parse(value, where)}``
Parsers = Mapping[type, Callable[[Any, str], Any]]


def fail(msg: str) -> typing.NoReturn:
    """Raise :class:`ConfigError` (usable where an expression is needed)."""
    raise ConfigError(msg)


def did_you_mean(
    key: str, valid: Iterable[str], *, list_valid: bool = True, cutoff: float = 0.4
) -> str:
    """The end of an unknown-key message: ``; did you mean 'x'?``, else the valid keys
    (``list_valid``) or nothing."""
    names = [str(v) for v in valid]
    close = difflib.get_close_matches(str(key), names, n=1, cutoff=cutoff)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f" (valid keys: {', '.join(names)})" if list_valid else ""


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` merged into a copy of ``base``: mappings key by key, anything else replaced."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def build(cls: type, data: Any, where: str = "", parsers: Parsers | None = None) -> Any:
    """An instance of dataclass ``cls`` from mapping ``data``, every field converted to its
    annotated type (nested dataclasses, optional values, tuples, numbers, text).

    Parameters
    ----------
    cls : dataclass type
    data : mapping or None
        None gives the defaults.
    where : str
        The path of ``data`` in the whole configuration, for messages (``"texture"``).
    parsers : mapping of type to callable, optional
        Types converted by their own ``parse(value, where)`` instead of the generic rules.

    Raises
    ------
    ConfigError
        Not a mapping, an unknown key (naming the closest valid one), a wrong type, or a
        value the dataclass refuses.
    """
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        fail(f"{where or 'config'}: expected a mapping of settings, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in data.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in names:
            fail(f"unknown config key {path!r}{did_you_mean(str(key), names)}")
        kwargs[key] = _convert(value, hints[key], path, parsers or {})
    try:
        return cls(**kwargs)
    except TypeError as exc:  # pragma: no cover - guarded by the key check above
        fail(f"{where or 'config'}: {exc}")


def _convert(value: Any, tp: Any, where: str, parsers: Parsers) -> Any:
    origin = typing.get_origin(tp)
    if tp in parsers:
        return parsers[tp](value, where)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return build(tp, value, where, parsers)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors: list[ConfigError] = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _convert(value, a, where, parsers)
            except ConfigError as exc:
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        fail(f"{where}: value {value!r} has the wrong type")
    if origin is tuple:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list | tuple):
            fail(f"{where}: expected a list, got {value!r}")
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(v, args[0], where, parsers) for v in value)
        if len(value) != len(args):
            fail(f"{where}: expected {len(args)} values, got {list(value)}")
        return tuple(_convert(v, a, where, parsers) for v, a in zip(value, args, strict=True))
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            fail(f"{where}: expected a number, got {value!r}")
        if not math.isfinite(float(value)):
            fail(f"{where}: expected a finite number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
            fail(f"{where}: expected an integer, got {value!r}")
        return int(value)
    if tp is bool:
        if not isinstance(value, bool):
            fail(f"{where}: expected true or false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            fail(f"{where}: expected text, got {value!r}")
        return value
    return value
