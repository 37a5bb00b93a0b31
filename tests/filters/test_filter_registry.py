"""The filter registry: parameter checking, expansion, image-type names, IBSI 2 ids."""

from __future__ import annotations

import importlib
import inspect

import pytest

from radiomix.errors import ConfigError
from radiomix.filters.registry import FILTERS, expand_filter, parse_filter, resolve_filters


def _types(entry: dict) -> list[str]:
    name, params = parse_filter(entry)
    return [rf.image_type for rf in expand_filter(name, params)]


def test_ibsi2_filters_carry_their_identifiers():
    ids = {name: d.ibsi_id for name, d in FILTERS.items() if d.ibsi_compliant}
    assert ids == {
        "mean": "S60F",
        "log": "L6PA",
        "laws": "JTXT",
        "gabor": "Q88H",
        "wavelet": "25BO",
        "simoncelli": "LODD",
    }


def test_every_filter_is_documented():
    for d in FILTERS.values():
        module = importlib.import_module(d.module)
        assert len(inspect.getdoc(module) or "") > 200, d.module
        for p in d.params:
            assert p.doc, f"{d.name}.{p.name} has no description"


@pytest.mark.parametrize(
    ("entry", "names"),
    [
        ({"filter": "log", "sigma": [1, 1.5, 3]}, ["log_s1mm", "log_s1.5mm", "log_s3mm"]),
        ({"filter": "log", "sigma": 2, "spatial": "2d", "boundary": "zero"},
         ["log_s2mm_2d_constant"]),
        ({"filter": "mean", "support": 5, "boundary": "mirror"}, ["mean_d5"]),
        ({"filter": "laws", "kernel": "l5e5e5", "energy": True, "rotation_invariant": True},
         ["laws_l5e5e5_energy_d7_invariant_max"]),
        ({"filter": "laws", "kernel": ["L5S5", "E5E5"]}, ["laws_l5s5", "laws_e5e5"]),
        ({"filter": "gabor", "sigma": 5, "lambda": 2, "gamma": 1.5, "theta_step": 22.5,
          "planes": "orthogonal"},
         ["gabor_s5mm_g1.5_l2mm_invariant_mean_step22.5deg_orthogonal"]),
        ({"filter": "gabor", "sigma": 10, "lambda": 4, "gamma": 0.5, "theta": [0, 60]},
         ["gabor_s10mm_g0.5_l4mm_t0deg", "gabor_s10mm_g0.5_l4mm_t60deg"]),
        ({"filter": "wavelet", "wavelet": "db3", "subband": "llh", "rotation_invariant": True},
         ["wavelet_db3_llh_level1_invariant_mean"]),
        ({"filter": "simoncelli", "level": [1, 2]}, ["simoncelli_level1", "simoncelli_level2"]),
        ({"filter": "pyradiomics_log", "sigma": 1.0}, ["pyradiomics_log_s1mm"]),
        ({"filter": "pyradiomics_square", "pad_distance": None}, ["pyradiomics_square_image"]),
    ],
)  # fmt: skip
def test_expansion_and_names(entry, names):
    assert _types(entry) == names


def test_two_lists_expand_to_every_combination():
    names = _types({"filter": "gabor", "sigma": [2, 4], "lambda": [1, 3]})
    assert len(names) == 4 and len(set(names)) == 4


def test_pyradiomics_wavelet_all_subbands():
    assert [n.rsplit("_", 1)[1] for n in _types({"filter": "pyradiomics_wavelet"})] == [
        "llh", "lhl", "lhh", "hll", "hlh", "hhl", "hhh", "lll"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"filter": "gaborr", "sigma": 1}, "did you mean 'gabor'"),
        ({"filter": "log", "sigmma": 1}, "did you mean 'sigma'"),
        ({"filter": "log"}, "'sigma' is required"),
        ({"sigma": 1}, "missing 'filter'"),
        ({"filter": "log", "sigma": "wide"}, "must be a number"),
        ({"filter": "log", "sigma": -1}, "positive"),
        ({"filter": "mean", "support": 6}, "odd"),
        ({"filter": "mean", "support": 5, "spatial": ["2D", "3D"]}, "single value"),
        ({"filter": "laws", "kernel": "L5Q5"}, "Laws kernel"),
        ({"filter": "laws", "kernel": "L5E5", "pooling": "median"}, "pooling"),
        ({"filter": "gabor", "sigma": 1, "lambda": 1, "boundary": "mirrored"}, "boundary"),
        ({"filter": "wavelet", "wavelet": "db2", "subband": "LHX"}, "sub-band"),
        ({"filter": "wavelet", "wavelet": "db2", "subband": "LH", "spatial": "3D"}, "letters"),
        ({"filter": "simoncelli", "boundary": "reflect"}, "periodic"),
    ],
)
def test_bad_entries_are_config_errors(entry, message):
    with pytest.raises(ConfigError, match=message):
        name, params = parse_filter(entry)
        expand_filter(name, params)


def test_same_image_twice_is_an_error():
    entries = [
        parse_filter({"filter": "log", "sigma": 1}),
        parse_filter({"filter": "log", "sigma": 1.0}),
    ]
    with pytest.raises(ConfigError, match="configured twice"):
        resolve_filters(entries)


def test_pyradiomics_filters_are_the_table_rows():
    from radiomix.filters.pyradiomics import PYRADIOMICS_IMAGE_TYPES

    rows = {t.filter_name for t in PYRADIOMICS_IMAGE_TYPES.values() if t.title is not None}
    assert rows == {n for n in FILTERS if n.startswith("pyradiomics_")}
    assert len(rows) == len(PYRADIOMICS_IMAGE_TYPES) - 1  # every type but Original


def test_pyradiomics_image_type_order_covers_the_table():
    """The one ordered list of PyRadiomics' image types names every row of the filters'
    table, and ``filter --list`` shows the registry's ``pyradiomics_*`` filters in it."""
    from radiomix._pyradiomics_names import PYRADIOMICS_IMAGE_TYPE_ORDER
    from radiomix.filters.pyradiomics import PYRADIOMICS_IMAGE_TYPES

    assert PYRADIOMICS_IMAGE_TYPE_ORDER[0] == "Original"
    assert sorted(PYRADIOMICS_IMAGE_TYPE_ORDER) == sorted(PYRADIOMICS_IMAGE_TYPES)
    listed = [n for n in FILTERS if n.startswith("pyradiomics_")]
    assert listed == [
        PYRADIOMICS_IMAGE_TYPES[n].filter_name for n in PYRADIOMICS_IMAGE_TYPE_ORDER[1:]
    ]


def test_pyradiomics_wavelet_subbands_share_one_call_per_memo(monkeypatch):
    """The sub-bands of one ROI reuse one wavelet call through the caller's memo; another
    memo (another case, maybe in another thread) never sees it."""
    import numpy as np

    from radiomix.filters import pyradiomics as pr
    from radiomix.filters._engine import DomainMemo, run_plan

    calls = []
    real = pr.wavelet_images

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pr, "wavelet_images", counted)
    name, params = parse_filter({"filter": "pyradiomics_wavelet", "pad_distance": None})
    bands = expand_filter(name, params)
    rng = np.random.default_rng(3)
    images = [rng.normal(size=(6, 7, 8)), rng.normal(size=(6, 7, 8))]
    for image in images:
        memo = DomainMemo()
        got = [run_plan(rf.plan((1.0, 1.0, 1.0)), image, memo=memo) for rf in bands]
        expected = real(image)
        assert all(np.array_equal(g, e) for g, e in zip(got, expected.values(), strict=True))
    assert len(calls) == 2  # one call per image for its 8 sub-bands
