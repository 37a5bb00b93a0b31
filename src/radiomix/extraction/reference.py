"""IBSI reference value tables and the tolerance rule used to compare against them.

A table is ``;``-separated with header ``reference value;tolerance;tag`` (the layout of
the IBSI 1 reference values as published with MIRP's test data). Rows with an empty
reference value list quantities without a consensus value; they are kept with
``value=None`` so that reports can say so.
"""

from __future__ import annotations

import csv
import math
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ReferenceValue", "load_reference_table", "significant_digits", "within_tolerance"]


@dataclass(frozen=True)
class ReferenceValue:
    tag: str
    value: float | None
    tolerance: float
    text: str  # the reference value exactly as printed in the table


def significant_digits(text: str) -> int:
    """Significant digits of a number as printed (``"0.0455"`` -> 3, ``"-1000"`` -> 1)."""
    t = text.strip().lower().lstrip("+-")
    mantissa = t.split("e")[0]
    digits = mantissa.replace(".", "").lstrip("0")
    if "." not in mantissa:
        digits = digits.rstrip("0")
    return max(len(digits), 1)


def _round_sig(x: float, digits: int) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - math.floor(math.log10(abs(x))) - 1)


def within_tolerance(value: float, reference: ReferenceValue) -> bool:
    """True when ``value`` matches the reference within its tolerance.

    The rule of the IBSI tables: ``|value - reference| <= tolerance`` (up to machine
    epsilon), the computed value taken as it is. Only where the tolerance is 0 (values IBSI
    prints to a few digits, such as a mean of -266 HU or a spacing of 0.977 mm) is ``value``
    first rounded to the digits of the printed reference (at least 3 significant digits).
    """
    if reference.value is None:
        raise ValueError(f"{reference.tag} has no reference value")
    if value is None or not math.isfinite(value):
        return False
    x = float(value)
    if reference.tolerance == 0:
        x = _round_sig(x, max(3, significant_digits(reference.text)))
    return abs(x - reference.value) - reference.tolerance <= 1e3 * sys.float_info.epsilon * max(
        1.0, abs(reference.value)
    )


def load_reference_table(path: str | Path) -> list[ReferenceValue]:
    """Read an IBSI reference table (``reference value;tolerance;tag``)."""
    out: list[ReferenceValue] = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter=";")
        header = next(reader)
        if [h.strip() for h in header[:3]] != ["reference value", "tolerance", "tag"]:
            raise ValueError(f"{path}: not an IBSI reference table (header {header!r})")
        for row in reader:
            if len(row) < 3 or not row[2].strip():
                continue
            text, tol, tag = row[0].strip(), row[1].strip(), row[2].strip()
            out.append(
                ReferenceValue(
                    tag=tag,
                    value=float(text) if text else None,
                    tolerance=float(tol) if tol else 0.0,
                    text=text,
                )
            )
    return out
