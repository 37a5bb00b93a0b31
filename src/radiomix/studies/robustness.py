"""Feature robustness under image and mask perturbation: ICC(1,1) tables.

For every case the image and mask are perturbed ``k`` times (:mod:`radiomix.segment.perturb`),
features are extracted from every copy with the normal pipeline
(:func:`radiomix.extraction.api.extract_results`), and for every feature the agreement
between copies is summarised over the ``n`` cases by the intraclass correlation ICC(1,1).

ICC(1,1) -- one-way random effects, absolute agreement, single measurement (Shrout & Fleiss
1979, case 1; McGraw & Wong 1996, ICC(1)). It fits a perturbation study: the copies of a
case are exchangeable, not the same fixed "raters" across cases, so there is no column
effect to model; MIRP and Zwanenburg et al. (2019) use it for this purpose. With the
between-case mean square :math:`MS_B` (df :math:`n - 1`) and the within-case mean square
:math:`MS_W` (df :math:`n (k - 1)`),

.. math:: ICC(1,1) = \\frac{MS_B - MS_W}{MS_B + (k - 1) MS_W}.

Its 95 % confidence interval is the exact one from the F distribution (Shrout & Fleiss
1979; McGraw & Wong 1996, table 7): with :math:`F = MS_B / MS_W`,
:math:`F_L = F / F_{0.975}(n - 1, n(k - 1))`, :math:`F_U = F \\cdot F_{0.975}(n(k - 1), n - 1)`,

.. math:: \\left[\\frac{F_L - 1}{F_L + k - 1}, \\frac{F_U - 1}{F_U + k - 1}\\right].

ICC(1,1) is the share of the total variance that lies between cases: a feature is robust
when perturbing the outline moves it little compared with how much it differs between
cases. With one case there is no between-case variance and the ICC is undefined (NaN);
the table then carries, for every feature, the coefficient of variation over the copies
(column ``cv``, SD / |mean|; with several cases, the median over cases) -- read it as "how
far does the feature move when the outline moves", without the yardstick of the
between-case spread. The manifest form (many cases) is the meaningful one.

References
----------
Shrout PE, Fleiss JL. Intraclass correlations: uses in assessing rater reliability.
Psychol Bull 86 (1979) 420-428. doi:10.1037/0033-2909.86.2.420
McGraw KO, Wong SP. Forming inferences about some intraclass correlation coefficients.
Psychol Methods 1 (1996) 30-46. doi:10.1037/1082-989X.1.1.30
Koo TK, Li MY. A guideline of selecting and reporting intraclass correlation coefficients
for reliability research. J Chiropr Med 15 (2016) 155-163 (0.75: "good" reliability).
Zwanenburg A, et al. Assessing robustness of radiomic features by image perturbation.
Sci Rep 9 (2019) 614. doi:10.1038/s41598-018-36938-4
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from radiomix.errors import ConfigError, EmptyMaskError, ManifestError, RadiomixError
from radiomix.extraction.api import extract_results
from radiomix.extraction.settings import ExtractionSettings, load_config, settings_from_dict
from radiomix.io import check_geometry, check_roi, read_image, read_mask, select_label
from radiomix.segment.perturb import PerturbationSettings, perturb, perturbation_settings

__all__ = [
    "ICC_COLUMNS",
    "IccResult",
    "RobustnessCase",
    "icc_1_1",
    "load_robustness_config",
    "read_robustness_manifest",
    "robustness_table",
]

log = logging.getLogger(__name__)

ICC_COLUMNS = [
    "feature",
    "family",
    "icc",
    "icc_ci_low",
    "icc_ci_high",
    "n_perturbations",
    "n_cases",
    "cv",
]


@dataclass(frozen=True)
class IccResult:
    """ICC(1,1) with its 95 % CI and the mean squares it came from."""

    icc: float
    ci_low: float
    ci_high: float
    ms_between: float
    ms_within: float
    n: int
    k: int


def icc_1_1(values: np.ndarray, *, alpha: float = 0.05) -> IccResult:
    """ICC(1,1) of an ``(n cases, k measurements)`` table, with its exact F-based CI.

    Parameters
    ----------
    values : ndarray, shape (n, k)
        One row per case (subject), one column per perturbed copy; no NaN.
    alpha : float
        1 - confidence level.

    Returns
    -------
    IccResult
        NaN ICC (and CI) when ``n < 2`` or both mean squares are 0 (a constant feature);
        ICC 1 with CI [1, 1] when only the within-case mean square is 0.

    Examples
    --------
    Shrout & Fleiss (1979), table 2 (6 targets, 4 judges): ICC(1,1) = 0.17.

    >>> x = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...               [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)
    >>> round(icc_1_1(x).icc, 2)
    0.17
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"values must be a 2D (cases, measurements) table, got {x.shape}")
    n, k = x.shape
    if k < 2:
        raise ValueError("the ICC needs at least 2 measurements per case")
    nan = float("nan")
    if n < 2:
        return IccResult(nan, nan, nan, nan, nan, n, k)
    grand = x.mean()
    row_means = x.mean(axis=1)
    ms_b = k * float(((row_means - grand) ** 2).sum()) / (n - 1)
    ms_w = float(((x - row_means[:, None]) ** 2).sum()) / (n * (k - 1))
    scale = max(1.0, float(np.abs(x).max()) ** 2)
    if ms_w <= 1e-14 * scale:
        if ms_b <= 1e-14 * scale:
            return IccResult(nan, nan, nan, ms_b, ms_w, n, k)
        return IccResult(1.0, 1.0, 1.0, ms_b, ms_w, n, k)
    icc = (ms_b - ms_w) / (ms_b + (k - 1) * ms_w)
    f = ms_b / ms_w
    df1, df2 = n - 1, n * (k - 1)
    f_low = f / stats.f.ppf(1 - alpha / 2, df1, df2)
    f_high = f * stats.f.ppf(1 - alpha / 2, df2, df1)
    return IccResult(
        float(icc),
        float((f_low - 1) / (f_low + k - 1)),
        float((f_high - 1) / (f_high + k - 1)),
        ms_b,
        ms_w,
        n,
        k,
    )


@dataclass(frozen=True)
class RobustnessCase:
    """One case of a robustness study: an image, its mask and the label to use."""

    case_id: str
    image: Any
    mask: Any
    label: int | None = None


def read_robustness_manifest(path: str | Path) -> list[RobustnessCase]:
    """Cases from a CSV with columns ``case_id,image,mask[,label]``.

    Relative paths are taken against the manifest's folder.

    Raises
    ------
    ManifestError
        Unreadable file, missing column, duplicate case ids, no rows.
    """
    p = Path(path)
    try:
        table = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read the manifest {p}: {exc}") from None
    missing = [c for c in ("case_id", "image", "mask") if c not in table.columns]
    if missing:
        raise ManifestError(
            f"manifest {p} lacks column(s) {', '.join(missing)}; it needs case_id,image,mask"
            " and optionally label"
        )
    if table.empty:
        raise ManifestError(f"manifest {p} has no cases")
    dup = table["case_id"][table["case_id"].duplicated()].tolist()
    if dup:
        raise ManifestError(f"manifest {p}: duplicate case_id(s) {dup[:5]}")
    cases = []
    for row in table.itertuples(index=False):
        label: int | None = None
        raw = str(getattr(row, "label", "") or "").strip()
        if raw:
            try:
                label = int(float(raw))
            except ValueError:
                raise ManifestError(
                    f"manifest {p}: case {row.case_id}: label must be an integer, got {raw!r}"
                ) from None
        image = Path(str(row.image))
        mask = Path(str(row.mask))
        cases.append(
            RobustnessCase(
                str(row.case_id),
                image if image.is_absolute() else p.parent / image,
                mask if mask.is_absolute() else p.parent / mask,
                label,
            )
        )
    return cases


def load_robustness_config(
    config: str | Path | Mapping[str, Any] | ExtractionSettings | None,
) -> tuple[ExtractionSettings, PerturbationSettings]:
    """Extraction settings plus the optional ``perturbation:`` section of the same YAML.

    A robustness configuration is an extraction configuration (preset name, YAML file or
    mapping) that may carry one more section::

        extends: default
        discretisation: {method: fixed_bin_number, bin_count: 32}
        perturbation: {n_perturbations: 12, seed: 0, grow_mm: [-1, 0, 1]}
    """
    if isinstance(config, ExtractionSettings):
        return config, PerturbationSettings()
    data: Mapping[str, Any] | None = None
    if isinstance(config, Mapping):
        data = dict(config)
    elif isinstance(config, str | Path) and Path(config).suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(Path(config).read_text()) or {}
        except OSError as exc:
            raise ConfigError(f"cannot read the configuration {config}: {exc}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"configuration {config} is not valid YAML: {exc}") from None
        if not isinstance(data, Mapping):
            raise ConfigError(f"configuration {config} must be a mapping of settings")
    if data is None:
        return load_config(config), PerturbationSettings()  # type: ignore[arg-type]
    data = dict(data)
    pert = perturbation_settings(data.pop("perturbation", None))
    return settings_from_dict(data), pert


def _one_case(
    args: tuple[int, RobustnessCase, ExtractionSettings, PerturbationSettings],
) -> tuple[str, dict[str, str], list[dict[str, float]], str | None]:
    """Features of every perturbed copy of one case: (case_id, family by column, rows, error)."""
    index, case, settings, pert = args
    try:
        image = read_image(case.image)
        mask = read_mask(case.mask, reference=image)
        check_geometry(image, mask)
        roi = select_label(mask, case.label)
        check_roi(roi, min_voxels=2)
        families: dict[str, str] = {}
        rows: list[dict[str, float]] = []
        for p, img, msk in perturb(image, roi, pert, case_index=index):
            if int(msk.array.sum()) < 2:
                raise EmptyMaskError(
                    f"perturbation {p.index} ({p.describe()}) leaves fewer than 2 voxels in the ROI"
                )
            (res,) = extract_results(img, msk, settings, case_id=case.case_id)
            row = {}
            for rec in res.features:
                col = f"{rec.image_type}_{rec.family}_{rec.value.feature_name}"
                families[col] = rec.family
                row[col] = float(rec.value.value)
            rows.append(row)
        return case.case_id, families, rows, None
    except RadiomixError as exc:
        return case.case_id, {}, [], f"{type(exc).__name__}: {exc}"


def robustness_table(
    cases: Sequence[RobustnessCase],
    config: str | Path | Mapping[str, Any] | ExtractionSettings | None = None,
    *,
    perturbation: PerturbationSettings | Mapping[str, Any] | None = None,
    n_jobs: int | None = 1,
) -> pd.DataFrame:
    """ICC(1,1) (and CV) of every feature under image and mask perturbation.

    Parameters
    ----------
    cases : sequence of RobustnessCase
        Images and masks (paths, Volumes, arrays); one case gives CVs but NaN ICCs.
    config : preset, YAML path, mapping or ExtractionSettings
        Extraction settings, optionally with a ``perturbation:`` section
        (:func:`load_robustness_config`).
    perturbation : PerturbationSettings or mapping, optional
        Overrides the configuration's ``perturbation:`` section.
    n_jobs : int or None
        Processes over cases (None: all cores; 1: in this process).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ICC_COLUMNS`: ``feature`` (the wide-table column name that
        ``radiomix extract`` writes), ``family``, ``icc``, ``icc_ci_low``, ``icc_ci_high``
        (95 %), ``n_perturbations`` (copies per case), ``n_cases`` (cases with the
        feature defined in every copy), ``cv`` (median over cases of SD / |mean| over
        copies). ``attrs["errors"]`` maps failed case ids to their error.

    Raises
    ------
    EmptyMaskError
        No case could be processed (the message gives the first error).
    """
    settings, pert = load_robustness_config(config)
    if perturbation is not None:
        pert = perturbation_settings(perturbation)
    jobs = [(i, c, settings, pert) for i, c in enumerate(cases)]
    workers = (os.cpu_count() or 1) if n_jobs is None else max(1, int(n_jobs))
    if workers == 1 or len(jobs) == 1:
        results = [_one_case(j) for j in jobs]
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            results = list(pool.map(_one_case, jobs))
    errors = {cid: err for cid, _, _, err in results if err is not None}
    for cid, err in errors.items():
        log.warning("robustness: case %s left out: %s", cid, err)
    good = [(cid, fam, rows) for cid, fam, rows, err in results if err is None]
    if not good:
        first = next(iter(errors.items())) if errors else ("-", "no cases given")
        raise EmptyMaskError(f"no case could be processed; case {first[0]}: {first[1]}")
    families: dict[str, str] = {}
    for _, fam, _ in good:
        for col, f in fam.items():
            families.setdefault(col, f)
    k = pert.n_perturbations
    out = []
    for col, family in families.items():
        table = np.array([[r.get(col, np.nan) for r in rows] for _, _, rows in good], dtype=float)
        table = table[np.isfinite(table).all(axis=1)]
        if table.shape[0] == 0:
            out.append((col, family, np.nan, np.nan, np.nan, k, 0, np.nan))
            continue
        res = icc_1_1(table)
        mean = table.mean(axis=1)
        sd = table.std(axis=1, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            cv = np.where(sd == 0, 0.0, sd / np.abs(mean))
        out.append(
            (col, family, res.icc, res.ci_low, res.ci_high, k, table.shape[0], float(np.median(cv)))
        )
    frame = pd.DataFrame(out, columns=ICC_COLUMNS)
    frame.attrs["errors"] = errors
    return frame
