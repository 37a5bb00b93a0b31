"""The filter registry: every filter by its configuration name, with its IBSI 2 identifier.

A configuration names a filter and its parameters::

    filters:
      - {filter: log, sigma: [1, 2, 3]}          # three images: sigma 1, 2 and 3 mm
      - {filter: laws, kernel: L5E5E5, energy: true, rotation_invariant: true}

:func:`parse_filter` checks such an entry against the filter's parameter table (an unknown
key is an error naming the closest valid one; missing parameters take their documented
defaults) and :func:`expand_filter` turns list-valued parameters into one
:class:`ResolvedFilter` per combination. A resolved filter knows its ``image_type``, the
stable name its features carry in output tables (``log_s1.5mm``,
``laws_l5e5e5_energy_d7_invariant_max``), and builds the
:class:`~radiomix.filters._engine.FilterPlan` that computes it for a voxel spacing.

Image-type names are ``_``-separated tokens: the filter name, then its parameters as
``<letter><value>`` tokens (``s1.5mm``: sigma 1.5 mm; ``d5``: support or delta of 5 voxels;
``g0.5``: gamma; ``l4mm``: lambda; ``t60deg``: theta) and flag words (``energy``,
``invariant`` followed by the pooling, ``orthogonal``, ``2d`` for slice-by-slice filters).
The boundary condition is named when it is not the default ``reflect`` (``constant``,
``nearest``, ``wrap``); parameters at their default are otherwise left out.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from radiomix._config import fail
from radiomix._pyradiomics_names import PYRADIOMICS_IMAGE_TYPE_ORDER
from radiomix.errors import ConfigError, InvalidImageError
from radiomix.filters._boundary import canonical_boundary
from radiomix.filters._common import POOLINGS, canonical_spatial, spacing3
from radiomix.filters._engine import DomainMemo, DomainStage, FilterPlan, WholeArrayStage
from radiomix.filters.gabor import GABOR_PLANES, GABOR_RESPONSES, gabor_plan
from radiomix.filters.laws import laws_plan, parse_laws_kernel
from radiomix.filters.log import log_plan
from radiomix.filters.mean import mean_plan
from radiomix.filters.pyradiomics import (
    PYRADIOMICS_IMAGE_TYPES,
    FilterOption,
    PyRadiomicsImageType,
)

__all__ = [
    "FILTERS",
    "FilterDefinition",
    "Param",
    "ResolvedFilter",
    "expand_filter",
    "filter_names",
    "get_filter",
    "parse_filter",
    "resolve_filters",
]


class _Required:
    def __repr__(self) -> str:
        return "required"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Param:
    """One parameter of a filter.

    Parameters
    ----------
    name : str
        Key in the configuration.
    kind : {"float", "int", "bool", "str"}
    default : any
        Value when the key is absent; :data:`REQUIRED` when it must be given.
    doc : str
        One line for ``radiomix filter --list`` and the documentation.
    choices : tuple of str
        Allowed values of a ``str`` parameter.
    nullable : bool
        Whether ``null`` is allowed.
    expand : bool
        Whether a list of values expands to one image per value.
    normalise : callable, optional
        Canonicalises a value (e.g. boundary aliases); may raise ConfigError.
    """

    name: str
    kind: str
    default: Any = REQUIRED
    doc: str = ""
    choices: tuple[str, ...] = ()
    nullable: bool = False
    expand: bool = True
    normalise: Callable[[Any], Any] | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class FilterDefinition:
    """A registered filter.

    Parameters
    ----------
    name : str
        Configuration name (``filter: <name>``).
    title : str
        Human-readable name.
    ibsi_id : str or None
        IBSI 2 identifier of the filter (None for filters IBSI 2 does not define).
    params : tuple of Param
    build : callable
        ``build(params, spacing) -> FilterPlan`` for scalar parameters.
    label : callable
        ``label(params) -> image_type`` name.
    module : str
        Module holding the implementation and its documentation.
    ibsi_compliant : bool
        Whether the filter follows IBSI 2 (PyRadiomics' image types do not).
    """

    name: str
    title: str
    ibsi_id: str | None
    params: tuple[Param, ...]
    build: Callable[[Mapping[str, Any], tuple[float, float, float]], FilterPlan] = field(repr=False)
    label: Callable[[Mapping[str, Any]], str] = field(repr=False)
    module: str = ""
    ibsi_compliant: bool = True
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = field(default=None, repr=False)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)


@dataclass(frozen=True)
class ResolvedFilter:
    """One filter with scalar parameters: one response map, one ``image_type``."""

    definition: FilterDefinition
    params: Mapping[str, Any]
    image_type: str

    @property
    def name(self) -> str:
        return self.definition.name

    def plan(self, spacing: Sequence[float]) -> FilterPlan:
        """The stages computing this filter on a grid of the given voxel size (z, y, x)."""
        return self.definition.build(self.params, spacing3(spacing))


# -- value checks -------------------------------------------------------------------------


def _scalar(p: Param, value: Any, where: str) -> Any:
    if value is None:
        if p.nullable:
            return None
        return fail(f"{where}: {p.name} cannot be null")
    if p.kind == "bool":
        if not isinstance(value, bool | np.bool_):
            return fail(f"{where}: {p.name} must be true or false, got {value!r}")
        out: Any = bool(value)
    elif p.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer):
            return fail(f"{where}: {p.name} must be an integer, got {value!r}")
        if int(value) != value:
            return fail(f"{where}: {p.name} must be an integer, got {value!r}")
        out = int(value)
    elif p.kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            return fail(f"{where}: {p.name} must be a number, got {value!r}")
        if not math.isfinite(float(value)):
            return fail(f"{where}: {p.name} must be a finite number, got {value!r}")
        out = float(value)
    else:
        if not isinstance(value, str):
            return fail(f"{where}: {p.name} must be text, got {value!r}")
        out = value.strip()
        if p.choices:
            low = out.lower()
            match = [c for c in p.choices if c.lower() == low]
            if not match:
                close = difflib.get_close_matches(low, list(p.choices), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                return fail(
                    f"{where}: {p.name} must be one of {', '.join(p.choices)}, got {value!r}{hint}"
                )
            out = match[0]
    if p.normalise is not None:
        try:
            out = p.normalise(out)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    return out


def _value(p: Param, value: Any, where: str) -> Any:
    if isinstance(value, list | tuple):
        if not p.expand:
            return fail(f"{where}: {p.name} takes a single value, got the list {list(value)}")
        if not value:
            return fail(f"{where}: {p.name} is an empty list")
        vals = tuple(_scalar(p, v, where) for v in value)
        return vals[0] if len(vals) == 1 else vals
    return _scalar(p, value, where)


# -- parsing and expansion ----------------------------------------------------------------


def filter_names() -> list[str]:
    """Names of the registered filters, in registry order."""
    return list(FILTERS)


def get_filter(name: str) -> FilterDefinition:
    """The definition of a registered filter.

    Raises
    ------
    ConfigError
        Unknown name (the message names the closest registered one).
    """
    key = str(name).strip().lower()
    if key in FILTERS:
        return FILTERS[key]
    close = difflib.get_close_matches(key, list(FILTERS), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return fail(f"unknown filter {name!r}{hint} (filters: {', '.join(FILTERS)})")  # type: ignore[no-any-return]


def parse_filter(entry: Mapping[str, Any], where: str = "filters") -> tuple[str, dict[str, Any]]:
    """Validate one ``filters`` entry: ``{filter: NAME, <param>: <value or list>, ...}``.

    Returns the filter name and every parameter (defaults filled in; lists as tuples).

    Raises
    ------
    ConfigError
        Not a mapping, no or unknown ``filter``, unknown parameter (with the closest valid
        key), missing required parameter, or a bad value.
    """
    if not isinstance(entry, Mapping):
        return fail(
            f"{where}: each filter is a mapping like {{filter: log, sigma: 1.5}}, got {entry!r}"
        )  # type: ignore[no-any-return]
    if "filter" not in entry:
        return fail(f"{where}: missing 'filter' (the filter's name: {', '.join(FILTERS)})")  # type: ignore[no-any-return]
    defn = get_filter(entry["filter"])
    here = f"{where} ({defn.name})"
    names = [p.name for p in defn.params]
    for key in entry:
        if key != "filter" and key not in names:
            close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.4)
            hint = f"; did you mean {close[0]!r}?" if close else f" (valid: {', '.join(names)})"
            fail(f"{here}: unknown parameter {key!r}{hint}")
    params: dict[str, Any] = {}
    for p in defn.params:
        if p.name in entry:
            params[p.name] = _value(p, entry[p.name], here)
        elif p.required:
            fail(f"{here}: parameter {p.name!r} is required ({p.doc})")
        else:
            params[p.name] = p.default
    return defn.name, params


def expand_filter(name: str, params: Mapping[str, Any]) -> list[ResolvedFilter]:
    """One :class:`ResolvedFilter` per combination of list-valued parameters.

    The parameters are checked by building each filter's plan for a unit grid, so that a
    configuration error surfaces when the configuration is read.
    """
    defn = get_filter(name)
    keys = [p.name for p in defn.params]
    if defn.prepare is not None:
        params = defn.prepare(dict(params))
    choices = [params[k] if isinstance(params.get(k), tuple) else (params.get(k),) for k in keys]
    out = []
    for combo in itertools.product(*choices):
        scalar = dict(zip(keys, combo, strict=True))
        try:
            defn.build(scalar, (1.0, 1.0, 1.0))  # validates the combination
        except ConfigError as exc:
            raise ConfigError(f"filters ({defn.name}): {exc}") from None
        out.append(ResolvedFilter(defn, scalar, defn.label(scalar)))
    return out


def resolve_filters(entries: Sequence[tuple[str, Mapping[str, Any]]]) -> list[ResolvedFilter]:
    """Expand every ``(name, params)`` entry; two images with one name are an error."""
    out: list[ResolvedFilter] = []
    seen: set[str] = set()
    for name, params in entries:
        for rf in expand_filter(name, params):
            if rf.image_type in seen:
                fail(f"filters: the image {rf.image_type!r} is configured twice")
            seen.add(rf.image_type)
            out.append(rf)
    return out


# -- labels -------------------------------------------------------------------------------


def _num(x: float) -> str:
    """Compact, stable number format for names: 1.5 -> "1.5", 2.0 -> "2"."""
    return format(float(x), "g")


def _tail(
    params: Mapping[str, Any], spatial: str | None = None, bc_default: str = "reflect"
) -> str:
    parts = []
    if spatial == "2D":
        parts.append("2d")
    bc = params.get("boundary")
    if bc is not None and bc != bc_default:
        parts.append(str(bc))
    return "".join(f"_{p}" for p in parts)


# -- IBSI 2 filters -----------------------------------------------------------------------

_BOUNDARY = Param(
    "boundary",
    "str",
    "reflect",
    "boundary condition: reflect (IBSI 'mirror'), constant (zero), nearest, wrap (periodic)",
    normalise=canonical_boundary,
)
_SPATIAL = Param(
    "spatial",
    "str",
    "3D",
    "3D (volumetric) or 2D (slice by slice)",
    normalise=canonical_spatial,
    expand=False,
)


def _mean_build(p: Mapping[str, Any], sp: tuple[float, float, float]) -> FilterPlan:
    return mean_plan(p["support"], boundary=p["boundary"], spatial=p["spatial"])


def _mean_label(p: Mapping[str, Any]) -> str:
    return f"mean_d{p['support']}" + _tail(p, p["spatial"])


def _log_build(p: Mapping[str, Any], sp: tuple[float, float, float]) -> FilterPlan:
    return log_plan(
        p["sigma"], sp, truncate=p["truncate"], boundary=p["boundary"], spatial=p["spatial"]
    )


def _log_label(p: Mapping[str, Any]) -> str:
    name = f"log_s{_num(p['sigma'])}mm"
    if p["truncate"] != 4.0:
        name += f"_t{_num(p['truncate'])}"
    return name + _tail(p, p["spatial"])


def _laws_norm(value: str) -> str:
    return "".join(parse_laws_kernel(value))


def _laws_build(p: Mapping[str, Any], sp: tuple[float, float, float]) -> FilterPlan:
    return laws_plan(
        p["kernel"],
        rotation_invariant=p["rotation_invariant"],
        pooling=p["pooling"],
        energy=p["energy"],
        delta=p["delta"],
        boundary=p["boundary"],
    )


def _laws_label(p: Mapping[str, Any]) -> str:
    name = f"laws_{p['kernel'].lower()}"
    if p["energy"]:
        name += f"_energy_d{p['delta']}"
    if p["rotation_invariant"]:
        name += f"_invariant_{p['pooling']}"
    return name + _tail(p)


def _gabor_build(p: Mapping[str, Any], sp: tuple[float, float, float]) -> FilterPlan:
    return gabor_plan(
        p["sigma"],
        p["lambda"],
        sp,
        gamma=p["gamma"],
        theta=p["theta"],
        theta_step=p["theta_step"],
        pooling=p["pooling"],
        planes=p["planes"],
        response=p["response"],
        truncate=p["truncate"],
        radius=p["radius"],
        boundary=p["boundary"],
        spatial=p["spatial"],
    )


def _gabor_label(p: Mapping[str, Any]) -> str:
    name = f"gabor_s{_num(p['sigma'])}mm_g{_num(p['gamma'])}_l{_num(p['lambda'])}mm"
    step = p["theta_step"]
    if step:
        if p["theta"]:
            name += f"_t{_num(p['theta'])}deg"
        name += f"_invariant_{p['pooling']}_step{_num(step)}deg"
    else:
        name += f"_t{_num(p['theta'])}deg"
    if p["planes"] == "orthogonal":
        name += "_orthogonal" if step else f"_orthogonal_{p['pooling']}"
    if p["response"] != "modulus":
        name += f"_{p['response']}"
    if p["radius"] is not None:
        name += f"_r{p['radius']}"
    elif p["truncate"] != 4.0:
        name += f"_tr{_num(p['truncate'])}"
    return name + _tail(p, p["spatial"])


# -- IBSI 2 wavelets (radiomix.filters.wavelet) --------------------------------------------


def _wavelet_spatial(p: Mapping[str, Any]) -> str:
    if p.get("spatial") is not None:
        return str(p["spatial"])
    return "2D" if len(p["subband"]) == 2 else "3D"


def _subband_norm(value: str) -> str:
    v = value.upper()
    if len(v) not in (2, 3) or set(v) - {"L", "H"}:
        raise ConfigError(
            f"a wavelet sub-band is one letter L or H per axis in x, y(, z) order, e.g. 'LHL' "
            f"(3D) or 'LH' (2D), got {value!r}"
        )
    return v


def _wavelet_build(p: Mapping[str, Any], sp: tuple[float, float, float]) -> FilterPlan:
    from radiomix.filters import wavelet as w

    spatial = _wavelet_spatial(p)
    if (spatial == "2D") != (len(p["subband"]) == 2):
        raise ConfigError(
            f"wavelet sub-band {p['subband']!r} has {len(p['subband'])} letters but spatial is "
            f"{spatial}: use two letters for 2D, three for 3D"
        )
    # validates the wavelet name and level
    m = int(w.wavelet_margin(p["wavelet"], p["level"]))
    kwargs = {
        "wavelet": p["wavelet"],
        "subband": p["subband"],
        "level": p["level"],
        "rotation_invariant": p["rotation_invariant"],
        "pooling": p["pooling"],
        "boundary": p["boundary"],
        "spatial": spatial,
    }

    def apply(arr: np.ndarray) -> np.ndarray:
        return np.asarray(w.wavelet_response(arr, **kwargs), dtype=np.float64)

    radius = (0, m, m) if spatial == "2D" else (m, m, m)
    return FilterPlan((WholeArrayStage(radius, p["boundary"], apply),))


def _wavelet_label(p: Mapping[str, Any]) -> str:
    name = f"wavelet_{p['wavelet']}_{p['subband'].lower()}_level{p['level']}"
    if p["rotation_invariant"]:
        name += f"_invariant_{p['pooling']}"
    return name + _tail(p)


def _simoncelli_build(p: Mapping[str, Any], sp: tuple[float, float, float]) -> FilterPlan:
    from radiomix.filters import wavelet as w

    spatial = p["spatial"]
    m = w.simoncelli_margin(p["level"], p["kernel_size"])
    kwargs = {
        "level": p["level"],
        "boundary": p["boundary"],
        "spatial": spatial,
        "kernel_size": p["kernel_size"],
    }
    if p["kernel_size"] is None and p["boundary"] != "wrap":
        raise ConfigError(
            "simoncelli: the image-sized filter (kernel_size null, IBSI 2) is periodic; set "
            "boundary: wrap, or give kernel_size for a finite kernel"
        )

    def apply(arr: np.ndarray) -> np.ndarray:
        return np.asarray(w.simoncelli_response(arr, **kwargs), dtype=np.float64)

    radius = None if m is None else ((0, m, m) if spatial == "2D" else (m, m, m))
    return FilterPlan((WholeArrayStage(radius, p["boundary"], apply),))


def _simoncelli_label(p: Mapping[str, Any]) -> str:
    name = f"simoncelli_level{p['level']}"
    if p["kernel_size"] is not None:
        name += f"_k{p['kernel_size']}"
    return name + _tail(p, p["spatial"], bc_default="wrap")


# -- PyRadiomics image types (radiomix.filters.pyradiomics) ---------------------------------
# Each is a row of PYRADIOMICS_IMAGE_TYPES, the table the pyradiomics profile reads too:
# its options become this filter's parameters, its compute call the filter.

_PAD = Param(
    "pad_distance",
    "int",
    5,
    "domain: ROI bounding box + this many voxels (PyRadiomics preCrop); null: whole image",
    nullable=True,
    expand=False,
)


def _pyr_label(t: PyRadiomicsImageType, p: Mapping[str, Any]) -> str:
    assert t.label is not None
    base, pad = t.label(p), p["pad_distance"]
    if pad is None:
        return base + "_image"
    return base if pad == 5 else f"{base}_pad{pad}"


def _pyr_prepare(t: PyRadiomicsImageType) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """``all`` of the option that picks the map: every map of the type, in PyRadiomics' order."""
    pick = [o.key for o in t.options if o.setting is None]
    if not pick or t.every_output is None:
        return None
    every = t.every_output

    def prepare(p: dict[str, Any]) -> dict[str, Any]:
        if str(p.get(pick[0])).lower() == "all":
            p[pick[0]] = every(p)
        return p

    return prepare


def _pyr_build(
    t: PyRadiomicsImageType,
) -> Callable[[Mapping[str, Any], tuple[float, float, float]], FilterPlan]:
    """The plan of ``pyradiomics_<type>``: the type's compute call on PyRadiomics' domain
    with the options' settings, then its map (one of several kept in the caller's memo, so
    that the other maps of that call, e.g. the wavelet sub-bands, reuse it)."""

    def build(p: Mapping[str, Any], sp: tuple[float, float, float]) -> FilterPlan:
        settings = t.settings_of(p)
        wanted = None if t.output is None else t.output(p)
        key = (t.name, repr(sorted(settings.items())), p["pad_distance"])

        def apply(arr: np.ndarray, mask: np.ndarray, memo: DomainMemo) -> np.ndarray:
            def run() -> dict[str, np.ndarray]:
                return t.compute(arr, sp, mask if t.uses_mask else None, settings)

            maps = memo.get((*key, arr.shape), run) if t.every_output else run()
            if not maps:
                raise InvalidImageError(
                    f"{t.filter_name}: a domain of shape {arr.shape} (spacing {sp} mm) is too "
                    f"small for PyRadiomics' {t.name} with {settings}, and PyRadiomics yields "
                    "no image here: use a larger pad_distance (or null) or a smaller scale"
                )
            name = next(iter(maps)) if wanted is None else wanted
            if name not in maps:
                raise ConfigError(
                    f"{t.filter_name}: PyRadiomics' {t.name} gives no map {name!r} with these "
                    f"settings (its maps: {', '.join(maps)})"
                )
            return np.asarray(maps[name], dtype=np.float64)

        return FilterPlan((DomainStage(p["pad_distance"], apply),))

    return build


def _pyr_param(o: FilterOption) -> Param:
    default = REQUIRED if o.required else o.default
    return Param(o.key, o.kind, default, o.doc, o.choices, expand=o.expand, normalise=o.normalise)


def _pyradiomics_filter(t: PyRadiomicsImageType) -> FilterDefinition:
    assert t.title is not None
    return FilterDefinition(
        t.filter_name,
        t.title,
        None,
        (*(_pyr_param(o) for o in t.options), _PAD),
        _pyr_build(t),
        functools.partial(_pyr_label, t),
        "radiomix.filters.pyradiomics",
        ibsi_compliant=False,
        prepare=_pyr_prepare(t),
    )


_POOLING = Param("pooling", "str", "max", "pooling of rotated responses", POOLINGS, expand=False)

FILTERS: dict[str, FilterDefinition] = {
    d.name: d
    for d in (
        FilterDefinition(
            "mean",
            "Mean filter",
            "S60F",
            (
                Param("support", "int", REQUIRED, "side of the averaging window in voxels (odd)"),
                _SPATIAL,
                _BOUNDARY,
            ),
            _mean_build,
            _mean_label,
            "radiomix.filters.mean",
        ),
        FilterDefinition(
            "log",
            "Laplacian of Gaussian",
            "L6PA",
            (
                Param("sigma", "float", REQUIRED, "scale sigma in mm"),
                Param("truncate", "float", 4.0, "kernel half-width in multiples of sigma"),
                _SPATIAL,
                _BOUNDARY,
            ),
            _log_build,
            _log_label,
            "radiomix.filters.log",
        ),
        FilterDefinition(
            "laws",
            "Laws kernels",
            "JTXT",
            (
                Param(
                    "kernel",
                    "str",
                    REQUIRED,
                    "1D kernels in x, y(, z) order, e.g. L5E5E5 (3D) or L5S5 (2D)",
                    normalise=_laws_norm,
                ),
                Param("energy", "bool", False, "compute the texture energy map"),
                Param("delta", "int", 7, "energy window half-width in voxels"),
                Param("rotation_invariant", "bool", False, "pool the right-angle rotations"),
                _POOLING,
                _BOUNDARY,
            ),
            _laws_build,
            _laws_label,
            "radiomix.filters.laws",
        ),
        FilterDefinition(
            "gabor",
            "Gabor filter",
            "Q88H",
            (
                Param("sigma", "float", REQUIRED, "scale of the Gaussian envelope in mm"),
                Param("lambda", "float", REQUIRED, "wavelength in mm"),
                Param("gamma", "float", 1.0, "spatial aspect ratio of the envelope"),
                Param("theta", "float", 0.0, "orientation in degrees"),
                Param(
                    "theta_step",
                    "float",
                    None,
                    "step between pooled orientations in degrees (null: one orientation)",
                    nullable=True,
                ),
                Param("pooling", "str", "mean", "pooling of orientations and planes", POOLINGS),
                Param(
                    "planes",
                    "str",
                    "axial",
                    "axial, or orthogonal (pool the three plane directions)",
                    GABOR_PLANES,
                ),
                Param("response", "str", "modulus", "complex to real", GABOR_RESPONSES),
                Param("truncate", "float", 4.0, "kernel half-size in envelope sigmas"),
                Param(
                    "radius",
                    "int",
                    None,
                    "kernel half-size in voxels (overrides truncate)",
                    nullable=True,
                ),
                _SPATIAL,
                _BOUNDARY,
            ),
            _gabor_build,
            _gabor_label,
            "radiomix.filters.gabor",
        ),
        FilterDefinition(
            "wavelet",
            "Separable undecimated wavelet",
            "25BO",
            (
                Param("wavelet", "str", REQUIRED, "PyWavelets name: haar, db2, coif1, ..."),
                Param(
                    "subband",
                    "str",
                    REQUIRED,
                    "L/H per axis in x, y(, z) order, e.g. LHL (3D) or LH (2D)",
                    normalise=_subband_norm,
                ),
                Param("level", "int", 1, "decomposition level"),
                Param("rotation_invariant", "bool", False, "pool the right-angle rotations"),
                Param("pooling", "str", "mean", "pooling of rotated responses", ("mean", "max")),
                Param(
                    "spatial",
                    "str",
                    None,
                    "2D or 3D (default: from the number of sub-band letters)",
                    nullable=True,
                    expand=False,
                    normalise=canonical_spatial,
                ),
                _BOUNDARY,
            ),
            _wavelet_build,
            _wavelet_label,
            "radiomix.filters.wavelet",
        ),
        FilterDefinition(
            "simoncelli",
            "Simoncelli non-separable wavelet",
            "LODD",
            (
                Param("level", "int", 1, "decomposition level"),
                Param(
                    "kernel_size",
                    "int",
                    None,
                    "null: image-sized periodic filter (IBSI 2); K: finite K-voxel kernel",
                    nullable=True,
                ),
                _SPATIAL,
                Param(
                    "boundary",
                    "str",
                    "wrap",
                    "wrap for the image-sized filter; any rule with kernel_size",
                    normalise=canonical_boundary,
                ),
            ),
            _simoncelli_build,
            _simoncelli_label,
            "radiomix.filters.wavelet",
        ),
        *(
            _pyradiomics_filter(PYRADIOMICS_IMAGE_TYPES[n])
            for n in PYRADIOMICS_IMAGE_TYPE_ORDER[1:]
        ),
    )
}
