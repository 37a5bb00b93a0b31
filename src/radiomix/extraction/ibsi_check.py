"""Run the IBSI 1 and IBSI 2 reference cases and compare every value with its reference.

The data folder is laid out like the project's ``shared/ibsi``::

    ibsi_1_digital_phantom/nifti/{image/phantom,mask/mask}.nii.gz
    ibsi_1_ct_radiomics_phantom/nifti/{image/phantom,mask/mask}.nii.gz
    ibsi_1_reference_values/ibsi_1_dig_phantom.csv, ibsi_1_chest_config_{a..e}.csv
    ibsi_2_digital_phantom/<phantom>/image/<phantom>.nii.gz
    ibsi_2_reference_response_maps/id_<n>_<phantom>_CT_<test>_<filter>.nii.gz
    ibsi_2_phase2_reference_values.csv

IBSI 2 phase 1 compares response maps voxel by voxel (0.001 absolute, the tolerance
IBSI 2 compliant implementations use); phase 2 compares intensity statistics of response
maps of the CT phantom with the consensus values and their tolerances.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radiomix.errors import ImageReadError
from radiomix.extraction.reference import ReferenceValue, load_reference_table, within_tolerance

__all__ = [
    "IBSI1_CASES",
    "IBSI2_MAP_TOLERANCE",
    "IBSI2_PHASE1_TESTS",
    "IBSI2_PHASE2_CASES",
    "CheckResult",
    "Mismatch",
    "family_of_tag",
    "ibsi2_phase1_paths",
    "load_phase2_table",
    "run_ibsi1_case",
    "run_ibsi2_phase1",
    "run_ibsi2_phase2_case",
]

_DIGITAL = (
    "ibsi_1_digital_phantom/nifti/image/phantom.nii.gz",
    "ibsi_1_digital_phantom/nifti/mask/mask.nii.gz",
)
_CT = (
    "ibsi_1_ct_radiomics_phantom/nifti/image/phantom.nii.gz",
    "ibsi_1_ct_radiomics_phantom/nifti/mask/mask.nii.gz",
)

#: preset name -> (image, mask, reference table), paths relative to the data folder
IBSI1_CASES: dict[str, tuple[str, str, str]] = {
    "ibsi1-phantom": (*_DIGITAL, "ibsi_1_reference_values/ibsi_1_dig_phantom.csv"),
    **{
        f"ibsi1-{c.upper()}": (*_CT, f"ibsi_1_reference_values/ibsi_1_chest_config_{c}.csv")
        for c in "abcde"
    },
}

_PREFIX_FAMILY = {
    "morph": "morphology",
    "loc": "local_intensity",
    "stat": "statistics",
    "ih": "histogram",
    "ivh": "ivh",
    "cm": "glcm",
    "rlm": "glrlm",
    "szm": "glszm",
    "dzm": "gldzm",
    "ngt": "ngtdm",
    "ngl": "ngldm",
}


def family_of_tag(tag: str) -> str:
    """Feature family of an IBSI reference tag (``"diagnostics"`` for processing tags)."""
    prefix = tag.split("_", 1)[0]
    if prefix == "morph" and "_mask_" in tag:
        return "diagnostics"
    return _PREFIX_FAMILY.get(prefix, "diagnostics")


@dataclass(frozen=True)
class Mismatch:
    tag: str
    family: str
    value: float | None
    reference: float
    tolerance: float


@dataclass
class CheckResult:
    config: str
    counts: dict[str, list[int]] = field(default_factory=dict)  # family -> [matched, total]
    mismatches: list[Mismatch] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.mismatches

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "ok": self.ok,
            "error": self.error,
            "families": {f: {"matched": m, "total": t} for f, (m, t) in self.counts.items()},
            "mismatches": [m.__dict__ for m in self.mismatches],
        }


def compare_with_references(
    config: str, refs: Iterable[ReferenceValue], computed: Mapping[str, float]
) -> CheckResult:
    """Count, per family, the reference values that ``computed`` (tag -> value) matches."""
    result = CheckResult(config)
    for ref in refs:
        if ref.value is None:
            continue
        fam = family_of_tag(ref.tag)
        counts = result.counts.setdefault(fam, [0, 0])
        counts[1] += 1
        value = computed.get(ref.tag)
        if value is not None and within_tolerance(float(value), ref):
            counts[0] += 1
        else:
            result.mismatches.append(
                Mismatch(
                    ref.tag, fam, None if value is None else float(value), ref.value, ref.tolerance
                )
            )
    return result


def run_ibsi1_case(data_dir: str | Path, config: str) -> CheckResult:
    """Extract one IBSI 1 reference case with its preset and compare with the table."""
    from radiomix.extraction.api import extract  # imported here: the case lists stay light

    root = Path(data_dir)
    image, mask, table = (root / p for p in IBSI1_CASES[config])
    for p in (image, mask, table):
        if not p.exists():
            raise ImageReadError(f"IBSI data file missing: {p} (is --data the IBSI folder?)")
    refs = load_reference_table(table)
    long = extract(image, mask, config=config, format="long", case_id=config)
    computed = dict(zip(long["ibsi_tag"], long["value"], strict=True))
    return compare_with_references(config, refs, computed)


# -- IBSI 2 ---------------------------------------------------------------------------------

#: IBSI 2 phase 1 test id -> digital phantom (ibsi_2_digital_phantom/<phantom>/image/...)
IBSI2_PHASE1_TESTS: dict[str, str] = {
    **dict.fromkeys(("1A1", "1A2", "1A3", "1A4", "2B", "2C"), "checkerboard"),
    **dict.fromkeys(("1B1", "2A", "3A1", "3A2", "3A3", "4A1", "4A2", "5A1", "5A2"), "impulse"),
    **dict.fromkeys(("3B1", "3B2", "3B3", "3C1", "3C2", "3C3"), "checkerboard"),
    **dict.fromkeys(("4B1", "4B2", "6A1", "6A2"), "sphere"),
    **dict.fromkeys(("7A1", "7A2", "8A1", "8A2", "8A3"), "checkerboard"),
}
#: tolerance of IBSI 2 phase 1 response maps, per voxel (absolute)
IBSI2_MAP_TOLERANCE = 0.001
#: IBSI 2 phase 2 configurations (``1.A`` ... ``9.B``) -> preset
IBSI2_PHASE2_CASES: dict[str, str] = {
    f"{c}.{v}": f"ibsi2-phase2-{c}{v}" for c in range(1, 10) for v in "AB"
}
_PHASE2_TABLE = "ibsi_2_phase2_reference_values.csv"
_MAPS = "ibsi_2_reference_response_maps"


def ibsi2_phase1_paths(data_dir: str | Path, test: str) -> tuple[Path, Path]:
    """Phantom image and reference response map of an IBSI 2 phase 1 test (e.g. ``"2B"``)."""
    root = Path(data_dir)
    phantom = IBSI2_PHASE1_TESTS[test]
    image = root / "ibsi_2_digital_phantom" / phantom / "image" / f"{phantom}.nii.gz"
    maps = sorted((root / _MAPS).glob(f"id_*_{phantom}_CT_{test}_*.nii.gz"))
    if not image.exists() or len(maps) != 1:
        raise ImageReadError(
            f"IBSI 2 data for test {test} missing under {root} (phantom {image.name}, "
            f"reference map {_MAPS}/id_*_{phantom}_CT_{test}_*.nii.gz): is --data the IBSI folder?"
        )
    return image, maps[0]


def run_ibsi2_phase1(data_dir: str | Path, test: str) -> CheckResult:
    """Filter an IBSI 2 phantom with preset ``ibsi2-<test>`` and compare every voxel with
    the reference response map (:data:`IBSI2_MAP_TOLERANCE` absolute)."""
    import numpy as np

    from radiomix.extraction.filtered import filter_image
    from radiomix.extraction.settings import load_config
    from radiomix.io import read_image

    image_path, map_path = ibsi2_phase1_paths(data_dir, test)
    config = f"ibsi2-{test}"
    result = CheckResult(config)
    _, response = filter_image(read_image(image_path), load_config(config))
    reference = read_image(map_path)
    if reference.shape != response.shape:
        result.error = f"response map shape {response.shape} differs from {reference.shape}"
        return result
    diff = np.abs(response.array - reference.array.astype(np.float64))
    within = int(np.count_nonzero(diff <= IBSI2_MAP_TOLERANCE))
    result.counts["response_map"] = [within, int(diff.size)]
    if within < diff.size:
        from radiomix.io._readers import voxel_index_text  # io loads on use: lean --help

        worst = np.unravel_index(int(np.argmax(diff)), diff.shape)
        result.mismatches.append(
            Mismatch(
                voxel_index_text(worst),
                "response_map",
                float(response.array[worst]),
                float(reference.array[worst]),
                IBSI2_MAP_TOLERANCE,
            )
        )
    return result


def load_phase2_table(path: str | Path) -> dict[str, list[ReferenceValue]]:
    """IBSI 2 phase 2 reference values by configuration (``configuration;tag;reference
    value;tolerance``)."""
    import csv

    out: dict[str, list[ReferenceValue]] = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            text = row["reference value"].strip()
            if not text:
                continue
            out.setdefault(row["configuration"].strip(), []).append(
                ReferenceValue(
                    tag=row["tag"].strip(),
                    value=float(text),
                    tolerance=float(row["tolerance"] or 0.0),
                    text=text,
                )
            )
    return out


def run_ibsi2_phase2_case(data_dir: str | Path, configuration: str) -> CheckResult:
    """Extract the IBSI 1 CT phantom with an IBSI 2 phase 2 preset and compare the
    statistics of its response map (or of the image, configuration 1) with the table."""
    from radiomix.extraction.api import extract

    root = Path(data_dir)
    image, mask = (root / p for p in _CT)
    table = root / _PHASE2_TABLE
    for p in (image, mask, table):
        if not p.exists():
            raise ImageReadError(f"IBSI data file missing: {p} (is --data the IBSI folder?)")
    config = IBSI2_PHASE2_CASES[configuration]
    refs = load_phase2_table(table).get(configuration, [])
    long = extract(image, mask, config=config, format="long", case_id=config)
    stats = long[long["family"] == "statistics"]
    computed = dict(zip(stats["ibsi_tag"], stats["value"], strict=True))
    return compare_with_references(config, refs, computed)
