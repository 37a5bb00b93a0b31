"""Run the IBSI 1 reference cases and compare every value with its reference.

The data folder is laid out like the project's ``shared/ibsi``::

    ibsi_1_digital_phantom/nifti/{image/phantom,mask/mask}.nii.gz
    ibsi_1_ct_radiomics_phantom/nifti/{image/phantom,mask/mask}.nii.gz
    ibsi_1_reference_values/ibsi_1_dig_phantom.csv, ibsi_1_chest_config_{a..e}.csv
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radiomix.errors import ImageReadError
from radiomix.extraction.api import extract
from radiomix.extraction.reference import load_reference_table, within_tolerance

__all__ = ["IBSI1_CASES", "CheckResult", "Mismatch", "family_of_tag", "run_ibsi1_case"]

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


def run_ibsi1_case(data_dir: str | Path, config: str) -> CheckResult:
    """Extract one IBSI 1 reference case with its preset and compare with the table."""
    root = Path(data_dir)
    image, mask, table = (root / p for p in IBSI1_CASES[config])
    for p in (image, mask, table):
        if not p.exists():
            raise ImageReadError(f"IBSI data file missing: {p} (is --data the IBSI folder?)")
    refs = load_reference_table(table)
    long = extract(image, mask, config=config, format="long", case_id=config)
    computed = dict(zip(long["ibsi_tag"], long["value"], strict=True))
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
