"""The feature registry: every feature documented, coded, uniquely named."""

from __future__ import annotations

import re

import pytest

from radiomix.cli.main import main
from radiomix.features import FAMILIES, all_features, family_module

SPECS = all_features()


def test_every_family_registers_features():
    assert {s.family for s in SPECS} == set(FAMILIES)
    assert len(SPECS) == 29 + 19 + 2 + 18 + 23 + 7 + 25 + 16 + 16 + 16 + 5 + 17


def test_tags_and_column_names_are_unique():
    tags = [s.ibsi_tag for s in SPECS]
    assert len(set(tags)) == len(tags)
    for fam in FAMILIES:
        cols = [s.column_name for s in family_module(fam).FEATURES]
        assert len(set(cols)) == len(cols), fam
        for c in cols:
            assert re.fullmatch(r"[a-z0-9_]+", c), c


@pytest.mark.parametrize("spec", SPECS, ids=[s.ibsi_tag for s in SPECS])
def test_feature_is_documented_with_its_code(spec):
    assert spec.doc, f"{spec.ibsi_tag} has no docstring"
    if spec.ibsi_code is None:
        assert spec.note, f"{spec.ibsi_tag} has no IBSI code and no note saying why"
    else:
        assert re.fullmatch(r"[0-9A-Z]{4}", spec.ibsi_code), spec.ibsi_code
        assert spec.ibsi_code in spec.doc, (
            f"{spec.ibsi_tag}: docstring does not cite {spec.ibsi_code}"
        )


def test_features_command_lists_codes(capsys):
    assert main(["features", "--family", "glcm"]) == 0
    out = capsys.readouterr().out
    assert "GYBY" in out and "cm_joint_max" in out
