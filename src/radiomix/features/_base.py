"""Records shared by every feature family: what a feature is, and one computed value."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["FeatureSpec", "FeatureValue", "values_from"]


@dataclass(frozen=True)
class FeatureSpec:
    """One feature of one family, as registered in that family's explicit table.

    Parameters
    ----------
    name : str
        Registry key within the family, snake_case and descriptive (``"joint_max"``,
        ``"surface_to_volume_ratio"``). Output tables use :attr:`column_name` instead.
    family : str
        Family name (``"morphology"``, ``"local_intensity"``, ``"statistics"``,
        ``"histogram"``, ``"ivh"``, ``"glcm"``, ``"glrlm"``, ``"glszm"``, ``"gldzm"``,
        ``"ngtdm"``, ``"ngldm"``).
    ibsi_code : str or None
        The 4-letter IBSI identifier; None only with a ``note`` saying why.
    ibsi_tag : str
        Tag used by the IBSI reference tables, without aggregation suffix (``"cm_joint_max"``).
    compute : callable
        The formula. Its numpydoc docstring holds the definition and the IBSI code.
    ibsi_compliant : bool
        False for features IBSI does not standardise (e.g. approximations).
    note : str
        Why a feature has no IBSI code, or other remarks.
    """

    name: str
    family: str
    ibsi_code: str | None
    ibsi_tag: str
    compute: Callable[..., Any]
    ibsi_compliant: bool = True
    note: str = ""

    @property
    def column_name(self) -> str:
        """Name in output tables: the IBSI tag without its family prefix (``"joint_max"``,
        ``"av"`` for ``morph_av``, ``"p10"`` for ``stat_p10``), so that every column maps to
        the IBSI reference tables at a glance."""
        return self.ibsi_tag.split("_", 1)[1]

    @property
    def doc(self) -> str:
        """The formula's docstring (empty string when undocumented)."""
        return inspect.getdoc(self.compute) or ""


@dataclass(frozen=True)
class FeatureValue:
    """One computed value of one feature.

    ``aggregation`` is the IBSI aggregation suffix of texture features (``"2D_avg"``,
    ``"2D_comb"``, ``"2_5D_avg"``, ``"2_5D_comb"``, ``"3D_avg"``, ``"3D_comb"`` for
    GLCM/GLRLM; ``"2D"``, ``"2_5D"``, ``"3D"`` for the other texture families) and None
    otherwise. ``qualifier`` holds parameters that change the value beyond the defaults
    (``"d2"`` for a distance of 2), so that every name is unique.
    """

    spec: FeatureSpec
    value: float
    aggregation: str | None = None
    qualifier: str = ""

    @property
    def ibsi_tag(self) -> str:
        tag = self.spec.ibsi_tag
        if self.aggregation:
            tag = f"{tag}_{self.aggregation}"
        return tag

    @property
    def feature_name(self) -> str:
        """Column name within the family, with aggregation and qualifier (``joint_max_3d_comb``)."""
        parts = [self.spec.column_name]
        if self.aggregation:
            parts.append(self.aggregation.lower())
        if self.qualifier:
            parts.append(self.qualifier)
        return "_".join(parts)


def values_from(
    specs: tuple[FeatureSpec, ...],
    values: dict[str, float],
    aggregation: str | None = None,
    qualifier: str = "",
) -> list[FeatureValue]:
    """Wrap ``{name: value}`` into :class:`FeatureValue` records in registry order."""
    return [
        FeatureValue(spec, float(values[spec.name]), aggregation, qualifier)
        for spec in specs
        if spec.name in values
    ]
