"""IBSI 2 reference data: every phase 1 response map through ``radiomix filter``, and every
phase 2 value (intensity statistics of filtered CT phantom images) through the pipeline.

Phase 1: the presets ``ibsi2-<test>`` run in-process through the command line on the IBSI 2
digital phantoms; each voxel must match the reference response map within 0.001. Phase 2:
one test per (configuration, tag), the presets ``ibsi2-phase2-<configuration>`` on the IBSI 1
CT phantom against the consensus values and tolerances. Both read ../shared/ibsi and skip
when it is absent.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
import SimpleITK as sitk

from radiomix.cli.main import main
from radiomix.extraction.api import extract
from radiomix.extraction.ibsi_check import (
    IBSI2_MAP_TOLERANCE,
    IBSI2_PHASE1_TESTS,
    IBSI2_PHASE2_CASES,
    ibsi2_phase1_paths,
    load_phase2_table,
)
from radiomix.extraction.reference import within_tolerance
from tests.conftest import DATA, IBSI_DIR, require_shared

#: committed copy of the phase 2 consensus values (source in its README)
_PHASE2 = DATA / "ibsi2_phase2" / "reference_values.csv"
_CT = IBSI_DIR / "ibsi_1_ct_radiomics_phantom" / "nifti"


@pytest.mark.parametrize("test", list(IBSI2_PHASE1_TESTS))
def test_phase1_response_map(test, tmp_path):
    require_shared("ibsi", "ibsi_2_reference_response_maps")
    image, reference = ibsi2_phase1_paths(IBSI_DIR, test)
    out = tmp_path / f"{test}.nii.gz"
    assert main(["filter", str(image), "--config", f"ibsi2-{test}", "--out", str(out)]) == 0
    got = sitk.ReadImage(str(out))
    ref = sitk.ReadImage(str(reference))
    assert got.GetSize() == ref.GetSize()
    assert got.GetSpacing() == pytest.approx(ref.GetSpacing())
    assert got.GetOrigin() == pytest.approx(ref.GetOrigin())
    diff = np.abs(sitk.GetArrayFromImage(got) - sitk.GetArrayFromImage(ref).astype(np.float64))
    assert diff.max() <= IBSI2_MAP_TOLERANCE, f"max |difference| {diff.max():.3g}"


def _phase2_cases() -> list:
    if not _CT.exists():
        reason = f"needs the IBSI 1 CT phantom in {_CT} (the project's shared IBSI folder)"
        return [pytest.param(None, None, id="phase2-absent", marks=pytest.mark.skip(reason=reason))]
    table = load_phase2_table(_PHASE2)
    return [
        pytest.param(conf, ref, id=f"{conf}-{ref.tag}")
        for conf in IBSI2_PHASE2_CASES
        for ref in table.get(conf, [])
    ]


@cache
def _phase2_values(configuration: str) -> dict[str, float]:
    long = extract(
        _CT / "image" / "phantom.nii.gz",
        _CT / "mask" / "mask.nii.gz",
        config=IBSI2_PHASE2_CASES[configuration],
        format="long",
    )
    stats = long[long["family"] == "statistics"]
    assert stats["image_type"].nunique() == 1
    return dict(zip(stats["ibsi_tag"], stats["value"], strict=True))


@pytest.mark.parametrize(("configuration", "ref"), _phase2_cases())
def test_phase2_reference_value(configuration, ref):
    values = _phase2_values(configuration)
    assert ref.tag in values, f"{ref.tag} not computed"
    assert within_tolerance(values[ref.tag], ref), (
        f"{configuration} {ref.tag} = {values[ref.tag]!r}, reference {ref.value} +- {ref.tolerance}"
    )


def test_phase2_table_is_complete():
    table = load_phase2_table(_PHASE2)
    assert sorted(table) == sorted(IBSI2_PHASE2_CASES)
    assert sum(len(v) for v in table.values()) == 323
    assert "stat_qcod" not in {r.tag for r in table["8.B"]}


def test_phase2_copy_equals_shared_table():
    shared = require_shared("ibsi", "ibsi_2_phase2_reference_values.csv")
    assert shared.read_bytes() == _PHASE2.read_bytes()


def test_ibsi_check_runs_ibsi2_cases(capsys):
    ibsi = require_shared("ibsi")
    args = ["ibsi-check", "--data", str(ibsi), "--config", "ibsi2-3C3"]
    assert main([*args, "--config", "ibsi2-phase2-2A", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"config": "ibsi2-3C3"' in out and '"matched": 262144' in out
    assert '"config": "ibsi2-phase2-2A"' in out and '"matched": 18' in out
