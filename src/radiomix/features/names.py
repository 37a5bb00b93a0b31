"""Readable names of feature columns, built from the feature registry.

A wide feature table names its columns ``<image>_<family>_<feature>[_<aggregation>][_<qualifier>]``
(``original_glcm_joint_max_3d_comb``, ``original_morphology_2d_concavity_max_depth``,
``log_s1.5mm_statistics_mean``, ``peritumoral10px_ngtdm_coarseness_2d_d2``); the feature
part is the registered :attr:`~radiomix.features.FeatureSpec.column_name`. A reader wants
"GLCM joint maximum (3D, merged)". :func:`describe_column` takes a column apart against the
registry (family, the feature's record with its IBSI code, aggregation, qualifier, image) and
:func:`readable_name` turns it into words: the family's display name, the name of the
feature's formula in words (``joint_maximum`` -> "joint maximum"), then the aggregation in
IBSI's terms (``2D_avg``: features per slice, averaged; ``2D_comb``: matrices merged per
slice first), the parameters and the image it was computed on. There is no hand-written list
of names: a feature added to a family's table gets a readable name by its formula's name.

Examples
--------
>>> readable_name("original_glcm_joint_max_3d_comb")
'GLCM joint maximum (3D, merged)'
>>> readable_name("original_morphology_2d_concavity_max_depth")
'2D shape: max concavity depth'
>>> readable_name("peritumoral10px_ngtdm_coarseness_2d_d2")
'NGTDM coarseness (2D, distance 2), 10 px peritumoral ring'
>>> readable_name("case_id")   # not a feature column: returned as it is
'case_id'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from radiomix.features import FAMILIES, FeatureSpec

__all__ = ["ColumnDescription", "describe_column", "readable_name"]

#: how a family is called in front of a feature's name
FAMILY_NAMES: dict[str, str] = {
    "morphology": "Shape:",
    "morphology_2d": "2D shape:",
    "local_intensity": "Local intensity:",
    "statistics": "Intensity",
    "histogram": "Intensity histogram",
    "ivh": "Intensity-volume histogram:",
    "glcm": "GLCM",
    "glrlm": "GLRLM",
    "glszm": "GLSZM",
    "gldzm": "GLDZM",
    "ngtdm": "NGTDM",
    "ngldm": "NGLDM",
}

#: the aggregation suffix of a column (lower case) -> words (IBSI 1, section 3.1)
AGGREGATIONS: dict[str, str] = {
    "2d_avg": "2D, averaged",
    "2d_comb": "2D, merged",
    "2_5d_avg": "2.5D, averaged",
    "2_5d_comb": "2.5D, merged",
    "3d_avg": "3D, averaged",
    "3d_comb": "3D, merged",
    "2d": "2D",
    "2_5d": "2.5D",
    "3d": "3D",
}

# words of formula names written differently in prose
_WORDS = {
    "3d": "3D",
    "aabb": "AABB",
    "ombb": "OMBB",
    "aee": "AEE",
    "mvee": "MVEE",
    "norm": "normalised",
    "morans": "Moran's",
    "gearys": "Geary's",
    "i": "I",
    "c": "C",
    "sd": "SD",
}
_QUALIFIER = re.compile(r"^(?P<kind>[da])(?P<value>\d+)$")
_RING = re.compile(r"^peritumoral(?P<width>\d+)px$")


@dataclass(frozen=True)
class ColumnDescription:
    """A feature column taken apart.

    Attributes
    ----------
    column : str
        The column name.
    image_type : str
        ``original``, a filter's response (``log_s1.5mm``) or a second ROI
        (``peritumoral10px``).
    family : str
        Feature family (``glcm``).
    spec : FeatureSpec
        The registered feature (its ``ibsi_code``, ``ibsi_tag``, formula).
    aggregation : str or None
        Aggregation suffix as in the column (``3d_comb``), None for non-texture features.
    qualifier : str
        Parameters beyond the defaults (``d2``: distance 2; ``a1``: coarseness 1).
    """

    column: str
    image_type: str
    family: str
    spec: FeatureSpec
    aggregation: str | None
    qualifier: str

    @property
    def feature_words(self) -> str:
        """The formula's name in words (``joint_maximum`` -> ``joint maximum``)."""
        words = self.spec.compute.__name__.strip("_").split("_")
        text = " ".join(_WORDS.get(w, w) for w in words if w)
        return text.replace("non uniformity", "non-uniformity")

    @property
    def readable(self) -> str:
        """The whole readable name (see :func:`readable_name`)."""
        fam = FAMILY_NAMES.get(self.family, self.family)
        name = f"{fam} {self.feature_words}"
        details = []
        if self.aggregation:
            details.append(AGGREGATIONS.get(self.aggregation, self.aggregation))
        for part in self.qualifier.split("_") if self.qualifier else ():
            m = _QUALIFIER.match(part)
            if m is None:
                details.append(part)
            else:
                kind = "distance" if m["kind"] == "d" else "coarseness"
                details.append(f"{kind} {m['value']}")
        if details:
            name += f" ({', '.join(details)})"
        if self.image_type != "original":
            ring = _RING.match(self.image_type)
            where = f"{ring['width']} px peritumoral ring" if ring else f"{self.image_type} image"
            name += f", {where}"
        return name


@lru_cache(maxsize=1)
def _registry() -> dict[str, list[FeatureSpec]]:
    """Per family, its features with the longest column names first (for prefix matching)."""
    from radiomix.features import family_module

    out: dict[str, list[FeatureSpec]] = {}
    for fam in FAMILIES:
        specs = list(family_module(fam).FEATURES)
        out[fam] = sorted(specs, key=lambda s: -len(s.column_name))
    return out


@lru_cache(maxsize=4096)
def describe_column(column: str) -> ColumnDescription | None:
    """Take a feature column apart against the registry; None when it is not one.

    Parameters
    ----------
    column : str
        A column of a wide feature table (``original_glcm_joint_max_3d_comb``).

    Returns
    -------
    ColumnDescription or None
        None for columns that are not radiomix features (ids, diagnostics, clinical
        columns, PyRadiomics-named columns).
    """
    registry = _registry()
    # the longest family name first, so that "morphology_2d" wins over "morphology"
    for fam in sorted(FAMILIES, key=len, reverse=True):
        marker = f"_{fam}_"
        at = column.find(marker)
        while at > 0:
            image_type, rest = column[:at], column[at + len(marker) :]
            found = _match_feature(fam, rest, registry[fam])
            if found is not None:
                spec, aggregation, qualifier = found
                return ColumnDescription(column, image_type, fam, spec, aggregation, qualifier)
            at = column.find(marker, at + 1)
    return None


def _match_feature(
    family: str, rest: str, specs: list[FeatureSpec]
) -> tuple[FeatureSpec, str | None, str] | None:
    for spec in specs:
        name = spec.column_name
        if rest == name:
            return spec, None, ""
        if not rest.startswith(name + "_"):
            continue
        tail = rest[len(name) + 1 :]
        # the aggregation (longest first: "2d_avg" before "2d"), then the qualifier parts
        for agg in sorted(AGGREGATIONS, key=len, reverse=True):
            if tail == agg or tail.startswith(agg + "_"):
                qual = tail[len(agg) + 1 :]
                if all(_QUALIFIER.match(p) for p in qual.split("_") if qual):
                    return spec, agg, qual
        if all(_QUALIFIER.match(p) for p in tail.split("_")):
            return spec, None, tail
    return None


def readable_name(column: str) -> str:
    """A feature column's name in words; any other column is returned unchanged.

    ``original_glcm_joint_max_3d_comb`` -> ``"GLCM joint maximum (3D, merged)"``,
    ``original_statistics_p10`` -> ``"Intensity percentile 10"``,
    ``original_morphology_2d_solidity`` -> ``"2D shape: solidity"``. The words come from the
    feature registry (the name of each feature's formula); see the module notes.
    """
    desc = describe_column(column)
    return column if desc is None else desc.readable
