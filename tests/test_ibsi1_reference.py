"""IBSI 1 reference values through the whole pipeline: one test per (configuration, tag).

The digital phantom is committed under tests/data; the CT phantom and its tables come from
../shared/ibsi and the tests skip when that folder is absent.
"""

from __future__ import annotations

from functools import cache

import pytest

from radiomix.extraction.api import extract
from radiomix.extraction.ibsi_check import IBSI1_CASES
from radiomix.extraction.reference import load_reference_table, within_tolerance
from tests.conftest import DATA, IBSI_DIR


def _cases() -> list:
    params = []
    table = DATA / "ibsi1_digital_phantom" / "reference_values.csv"
    for ref in load_reference_table(table):
        if ref.value is not None:
            params.append(pytest.param("ibsi1-phantom", ref, id=f"ibsi1-phantom-{ref.tag}"))
    for config, (_, _, table_rel) in IBSI1_CASES.items():
        if config == "ibsi1-phantom":
            continue
        path = IBSI_DIR / table_rel
        if not path.exists():
            reason = f"needs {path} (the project's shared IBSI folder)"
            params.append(
                pytest.param(
                    config, None, id=f"{config}-absent", marks=pytest.mark.skip(reason=reason)
                )
            )
            continue
        for ref in load_reference_table(path):
            if ref.value is not None:
                params.append(pytest.param(config, ref, id=f"{config}-{ref.tag}"))
    return params


@cache
def _computed(config: str) -> dict[str, float]:
    image, mask, _ = IBSI1_CASES[config]
    if config == "ibsi1-phantom":
        image_path = DATA / "ibsi1_digital_phantom" / "image.nii.gz"
        mask_path = DATA / "ibsi1_digital_phantom" / "mask.nii.gz"
    else:
        image_path, mask_path = IBSI_DIR / image, IBSI_DIR / mask
    long = extract(image_path, mask_path, config=config, format="long")
    return dict(zip(long["ibsi_tag"], long["value"], strict=True))


@pytest.mark.parametrize(("config", "ref"), _cases())
def test_ibsi1_reference_value(config, ref):
    values = _computed(config)
    assert ref.tag in values, f"{ref.tag} not computed"
    assert within_tolerance(values[ref.tag], ref), (
        f"{ref.tag} = {values[ref.tag]!r}, reference {ref.value} +- {ref.tolerance}"
    )
