"""What a run found, in sentences: the task, the data, the cohort flow and the conclusion.

The HTML report (:mod:`radiomix.report.html`) opens with these paragraphs, so that a reader
learns from the first screen what was predicted, on which images, how many were left out and
why, how the features were computed, how good the primary model is (one headline AUC with
its interval), whether it beats the shape-only baseline, whether it beats chance, and what
all that allows one to claim. Everything is read from the run directory:

- ``metrics.json``, ``predictions.csv``, ``folds.csv`` (any ``radiomix train`` run);
- ``settings.yaml`` (or the extraction settings stored in ``model.json``): preset and bins;
- for a BUSI study (``radiomix study busi``): ``study.json`` (data source, task, the
  small-cohort settings applied) and ``cohort/cohort_summary.json`` (images read, exclusions,
  merged masks, duplicate clusters), ``cohort/manifest.csv`` (images and masks of the cases).

Two judgements are made here and nowhere else:

- :func:`failed_models`: a model whose out-of-fold predictions are constant within most
  outer test folds, or that puts every case into one class, did not learn; it is flagged,
  not listed as a result;
- :data:`~radiomix.learn.study.SMALL_COHORT_CASES`: with fewer cases than this in the
  smaller class the report says that the cohort cannot estimate performance.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from radiomix.learn.study import SMALL_COHORT_CASES

__all__ = [
    "BASELINE",
    "StudyContext",
    "conclusion",
    "example_cases",
    "failed_models",
    "headline_note",
    "load_context",
    "small_cohort_note",
]

#: the comparator every conclusion is measured against
BASELINE = "shape_only_lr"


@dataclass
class StudyContext:
    """What the run directory says about the study beyond the metrics."""

    positive_name: str
    negative_name: str
    task: str
    data: str
    cohort_flow: list[str] = field(default_factory=list)
    extraction: str | None = None
    adjustments: list[str] = field(default_factory=list)
    manifest: pd.DataFrame | None = None


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _bundled_sample() -> Path:
    from importlib import resources

    return Path(str(resources.files("radiomix") / "data" / "busi_sample"))


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _extraction_settings(path: Path) -> dict[str, Any] | None:
    for cand in (path / "settings.yaml",):
        if cand.is_file():
            try:
                data = yaml.safe_load(cand.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError):
                return None
            return data if isinstance(data, dict) else None
    model = _read_json(path / "model.json")
    settings = (model or {}).get("extraction_settings")
    return settings if isinstance(settings, dict) else None


def _describe_extraction(settings: Mapping[str, Any], n_features: Any) -> str:
    name = settings.get("name") or "custom settings"
    disc = settings.get("discretisation") or {}
    method = disc.get("method")
    if method == "fixed_bin_number":
        bins = f"a fixed number of {disc.get('bin_count')} grey-level bins over each ROI's range"
    elif method == "fixed_bin_size":
        bins = f"fixed bins {disc.get('bin_width')} grey levels wide"
        if disc.get("lower_bound") is not None:
            bins += f" from {disc.get('lower_bound')}"
    else:
        bins = f"discretisation {method}"
    families = (settings.get("features") or {}).get("families") or []
    spatial = (settings.get("texture") or {}).get("spatial") or []
    filters = settings.get("filters") or []
    text = f"Features: the <b>{html.escape(str(name))}</b> extraction preset, {html.escape(bins)}"
    if spatial:
        text += f", texture computed in {html.escape('/'.join(str(s) for s in spatial))}"
    if families:
        text += f"; families {html.escape(', '.join(str(f) for f in families))}"
    if filters:
        text += f"; {_plural(len(filters), 'filter')} applied"
    if n_features is not None:
        text += f"; {n_features} feature columns entered the models"
    return text + "."


def _cohort_flow(summary: Mapping[str, Any], n_cases: int, pos: str, neg: str) -> list[str]:
    found = summary.get("images_found") or {}
    total = int(sum(found.values()))
    per_class = ", ".join(f"{n} {html.escape(str(c))}" for c, n in found.items())
    lines = [f"{_plural(total, 'image')} read ({per_class})."]
    masks = summary.get("masks") or {}
    if masks.get("images_with_several_masks"):
        lines.append(
            f"{_plural(int(masks['images_with_several_masks']), 'image')} had several masks "
            f"({masks.get('masks_combined')} masks), combined by the "
            f"'{html.escape(str(summary.get('mask_policy', 'merge')))}' policy."
        )
    excl = summary.get("exclusion_counts") or {}
    if excl:
        reasons = "; ".join(f"{html.escape(str(r))}: {n}" for r, n in sorted(excl.items()))
        lines.append(f"Excluded {int(sum(excl.values()))} ({reasons}).")
    else:
        lines.append("No image was excluded.")
    dup = summary.get("duplicates") or {}
    n_clusters = int(dup.get("n_clusters") or 0)
    conflicting = summary.get("conflicting_clusters_dropped") or []
    if n_clusters:
        lines.append(
            f"Duplicate audit (pixel hash, and perceptual hash within "
            f"{dup.get('phash_threshold')} bits): {_plural(int(dup.get('n_pairs') or 0), 'pair')} "
            f"of copies, joined into {_plural(n_clusters, 'cluster')} holding "
            f"{dup.get('n_cases_in_clusters')} images; each cluster became one group, kept "
            f"whole on one side of every split; {_plural(len(conflicting), 'cluster')} whose "
            f"copies carry both labels {'was' if len(conflicting) == 1 else 'were'} dropped."
        )
    else:
        lines.append(
            "Duplicate audit (pixel hash, and perceptual hash within "
            f"{dup.get('phash_threshold')} bits): no copies found, so every image is a group "
            "of its own."
        )
    lines.append(
        f"<b>{n_cases} images</b> ({summary.get('included', {}).get(pos, '?')} "
        f"{html.escape(pos)}, {summary.get('included', {}).get(neg, '?')} {html.escape(neg)}) "
        f"in {summary.get('n_groups')} groups entered the study."
    )
    return lines


def load_context(path: Path, metrics: Mapping[str, Any]) -> StudyContext:
    """Read the study's context from a run directory (see the module notes)."""
    study = metrics.get("study", {})
    label = study.get("label", {})
    summary = _read_json(path / "cohort" / "cohort_summary.json")
    record = _read_json(path / "study.json") or {}
    n_cases = int(study.get("n_cases") or 0)
    n_pos = int(study.get("n_positive") or 0)
    if summary is not None:
        task = summary.get("task", {})
        pos, neg = str(task.get("positive", "1")), str(task.get("negative", "0"))
        what = record.get("task") or f"{pos} vs {neg}"
        task_text = (
            f"Task: <b>{html.escape(what)}</b>, told apart from the image and the lesion "
            f"outline (label column '{html.escape(str(label.get('column')))}': 1 = "
            f"{html.escape(pos)}, 0 = {html.escape(neg)}). Evaluation is per image: the data "
            "carry no patient identifier."
        )
        data_path = Path(str(summary.get("data", "")))
        try:
            bundled = data_path.resolve() == _bundled_sample().resolve()
        except OSError:
            bundled = False
        if bundled:
            data_text = (
                "Data: the small sample of the BUSI data set (Al-Dhabyani et al. 2020) bundled "
                f"with radiomix ({html.escape(str(data_path))}), chosen for size, not to be "
                "representative; run the study on the whole data set (BUSI_DIR=...) for an "
                "estimate."
            )
        else:
            data_text = f"Data: the folder {html.escape(str(data_path))}."
        flow = _cohort_flow(summary, n_cases, pos, neg)
    else:
        pos = str(label.get("positive", "1"))
        neg = str(label.get("negative", "0"))
        task_text = (
            f"Task: tell <b>{html.escape(pos)} from {html.escape(neg)}</b> (label column "
            f"'{html.escape(str(label.get('column')))}'; the positive class was chosen by the "
            f"rule '{html.escape(str(label.get('rule')))}')."
        )
        data_text = f"Data: the feature table {html.escape(str(study.get('table')))}."
        flow = []
        dropped = int(study.get("n_rows_dropped_missing_label") or 0)
        if dropped:
            flow.append(f"{_plural(dropped, 'row')} without a label dropped.")
        groups = study.get("group")
        flow.append(
            f"<b>{n_cases} cases</b> ({n_pos} {html.escape(pos)}, {n_cases - n_pos} "
            f"{html.escape(neg)})"
            + (
                f" in {study.get('n_groups')} groups (column '{html.escape(str(groups))}', "
                "kept whole on one side of every split)"
                if groups
                else ", each its own group"
            )
            + " entered the study."
        )
    settings = _extraction_settings(path)
    extraction = (
        _describe_extraction(settings, study.get("n_features")) if settings is not None else None
    )
    manifest = None
    mpath = path / "cohort" / "manifest.csv"
    if mpath.is_file():
        try:
            manifest = pd.read_csv(mpath, dtype={"case_id": str})
        except (OSError, ValueError):
            manifest = None
    return StudyContext(
        positive_name=pos,
        negative_name=neg,
        task=task_text,
        data=data_text,
        cohort_flow=flow,
        extraction=extraction,
        adjustments=[str(a) for a in record.get("small_cohort_settings") or []],
        manifest=manifest,
    )


# ----------------------------------------------------------------- failed models


def failed_models(predictions: pd.DataFrame, min_share: float = 0.5) -> dict[str, str]:
    """Models whose out-of-fold predictions show that they did not learn, with the reason.

    A model fails when its probabilities are (nearly) constant, spanning less than 1e-4
    within an outer test fold, in at least
    ``min_share`` of the outer test folds, or when its decisions put every case of every
    repeat into one class. Its AUC then measures nothing but differences between the folds'
    constants (or the tie-breaking of a constant), so it must not be read as a result.

    Parameters
    ----------
    predictions : DataFrame
        ``predictions.csv`` of a run: ``model``, ``repeat``, ``fold``, ``probability``,
        ``predicted``.
    min_share : float
        Share of constant test folds from which a model counts as failed.

    Returns
    -------
    dict
        Model name -> one sentence saying what went wrong.
    """
    out: dict[str, str] = {}
    for name, frame in predictions.groupby("model", sort=False):
        p = frame["probability"].astype(float)
        spread = p.groupby([frame["repeat"], frame["fold"]]).agg(lambda s: s.max() - s.min())
        n_const = int((spread < 1e-4).sum())
        if spread.size and n_const >= min_share * spread.size:
            out[str(name)] = (
                f"its predicted probability was the same for every case in {n_const} of "
                f"{spread.size} outer test folds: it learned nothing from the training folds "
                "(too few cases for its settings, e.g. a minimum leaf size larger than a "
                "training fold allows)"
            )
            continue
        one_class = [
            int(g["predicted"].nunique()) == 1 for _, g in frame.groupby("repeat", sort=False)
        ]
        if one_class and all(one_class):
            called = "positive" if int(frame["predicted"].iloc[0]) == 1 else "negative"
            out[str(name)] = f"it called every case {called} in every repeat"
    return out


# ----------------------------------------------------------------- headline and conclusion


def _f(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{float(v):.{digits}f}"


def _p(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    v = float(v)
    return "< 0.001" if v < 0.001 else f"= {v:.3f}" if v < 0.1 else f"= {v:.2f}"


def headline_note(pm: Mapping[str, Any], folds: pd.DataFrame, n_cases: int) -> str:
    """The headline AUC and why the mean of per-fold AUCs differs from it (HTML)."""
    auc, ci = pm.get("auc"), pm.get("auc_ci") or [None, None]
    fm = pm.get("auc_fold_mean")
    text = (
        f"<b>Headline: ROC AUC {_f(auc)} (95% CI {_f(ci[0])} to {_f(ci[1])})</b>, the AUC "
        f"of the out-of-fold predictions of all {n_cases} cases pooled, median over the "
        f"repeats. "
    )
    if fm is None or len(folds) == 0:
        return text
    sizes = folds["n_test"].astype(int)
    posn = folds["n_positive_test"].astype(int)
    text += (
        f"The mean of the per-fold AUCs, {_f(fm)}, is another number: each of those ranks "
        f"only the {sizes.min()} to {sizes.max()} cases of one outer test fold "
        f"({posn.min()} to {posn.max()} positive) with that fold's own model, while the pooled "
        "AUC ranks all cases together, across the models of a repeat. "
    )
    if auc is not None and fm - float(auc) > 0.05:
        text += (
            "Here it is clearly higher: the models of the different folds put their "
            "probabilities on different scales (they chose different features and penalties), "
            "so within a fold the ranking is good but a probability from one fold's model is "
            "not comparable with one from another's. One frozen model has to rank all cases on "
            "one scale, which is what the pooled AUC measures; it is the headline, and the gap "
            "is itself a sign that the model is unstable on this cohort."
        )
    else:
        text += (
            "The two agree here; the pooled AUC is the headline because it carries the "
            "bootstrap interval and is what the model comparisons use."
        )
    return text


def conclusion(
    metrics: Mapping[str, Any],
    failed: Mapping[str, str],
    positive: str,
    negative: str,
) -> list[str]:
    """The conclusion in plain sentences (HTML paragraphs' content), primary model first."""
    primary = metrics["primary"]["model"]
    models: Mapping[str, Mapping[str, Any]] = metrics.get("models", {})
    pm = models.get(primary, metrics["primary"])
    study = metrics.get("study", {})
    ci = pm.get("auc_ci") or [None, None]
    auc = pm.get("auc")
    unit = "groups" if study.get("group") else "cases"
    out = []
    if primary in failed:
        out.append(
            f"The primary model <b>{html.escape(primary)}</b> failed: "
            f"{html.escape(failed[primary])}. Its numbers below are not a result."
        )
        return out
    out.append(
        f"The primary model <b>{html.escape(primary)}</b> reaches a pooled out-of-fold ROC "
        f"AUC of <b>{_f(auc)}</b> (95% CI {_f(ci[0])} to {_f(ci[1])}, bootstrap over "
        f"{unit})."
    )
    base_verdict = None
    comp = (metrics.get("comparison") or {}).get(BASELINE)
    bm = models.get(BASELINE)
    if primary == BASELINE:
        pass
    elif BASELINE in failed:
        out.append(
            f"The shape-only baseline failed ({html.escape(failed[BASELINE])}), so the "
            "primary model could not be compared with it."
        )
    elif comp and bm:
        bci = bm.get("auc_ci") or [None, None]
        delta, p = comp.get("delta_auc"), comp.get("delong_p_median")
        tp = comp.get("corrected_t_p_holm", comp.get("corrected_t_p"))
        out.append(
            f"The shape-only baseline ({BASELINE}: the lesion outline alone) reaches "
            f"{_f(bm.get('auc'))} ({_f(bci[0])} to {_f(bci[1])}). Primary minus baseline: "
            f"{float(delta):+.3f}; paired DeLong test on the pooled out-of-fold predictions "
            f"p {_p(p)} (median over {study.get('repeats', '?')} repeats), corrected resampled "
            f"t-test over the outer folds p {_p(tp)}."
        )
        if p is not None and float(p) < 0.05 and float(delta) > 0:
            base_verdict = "better"
            out.append("The primary model is better than the shape-only baseline.")
        elif p is not None and float(p) < 0.05:
            base_verdict = "worse"
            out.append(
                "The shape-only baseline is better than the primary model: here the intensity "
                "and texture features add noise, not information."
            )
        else:
            base_verdict = "same"
            out.append(
                "The data do not show a difference between the primary model and the "
                "shape-only baseline."
            )
    perm = metrics.get("permutation") or {}
    above_chance = ci[0] is not None and float(ci[0]) > 0.5
    if perm:
        n = int(perm.get("n_permutations") or 0)
        p_perm = perm.get("p_value")
        out.append(
            f"With the labels permuted at random, the same procedure reaches a median AUC of "
            f"{_f(perm.get('auc'))} (highest {_f(perm.get('auc_max'))}, {n} permutations); "
            f"permutation p {_p(p_perm)} (the smallest p that {n} permutations can give is "
            f"{1 / (n + 1):.3f})."
        )
        smallest = 1 / (n + 1) if n else 1.0
        if perm.get("auc") is not None and float(perm["auc"]) > 0.6:
            above_chance = False
            out.append(
                "The permuted labels reach a median AUC well above 0.5: something other than "
                "the label carries the outcome (information leaking into the features or the "
                "groups); no result of this run can be trusted until that is found."
            )
        elif p_perm is not None and float(p_perm) > 0.05:
            if float(p_perm) <= smallest + 1e-12:
                out.append(
                    f"Every permuted run stayed below the observed AUC; {n} permutations "
                    f"cannot give a p below {smallest:.3f}, so for a formal test at the 5% "
                    "level raise validation.permutations (--permutations 19 or more)."
                )
            elif above_chance:
                above_chance = False
                out.append(
                    "Permuted labels reach AUCs as high as the observed one: the data do not "
                    "show that the model is better than chance, whatever the bootstrap "
                    "interval says."
                )
    claim = "<b>What this allows one to claim:</b> "
    if above_chance:
        claim += (
            f"in this cohort the model tells {html.escape(positive)} from "
            f"{html.escape(negative)} better than chance, with an AUC plausibly between "
            f"{_f(ci[0])} and {_f(ci[1])}"
        )
        if base_verdict == "same":
            claim += ", but not better than the lesion outline's shape alone"
        elif base_verdict == "worse":
            claim += ", but worse than the lesion outline's shape alone"
        elif base_verdict == "better":
            claim += ", and better than the lesion outline's shape alone"
        claim += (
            ". These are internal, cross-validated estimates on one data set; they do not "
            "show how the model does on other scanners, centres or automatic outlines."
        )
    else:
        claim += (
            "nothing about performance: the data do not show that the model is better than chance."
        )
    out.append(claim)
    return out


def small_cohort_note(metrics: Mapping[str, Any], adjustments: list[str]) -> str | None:
    """The warning that a cohort is too small to estimate performance (HTML), or None."""
    study = metrics.get("study", {})
    n, n_pos = int(study.get("n_cases") or 0), int(study.get("n_positive") or 0)
    smaller = min(n_pos, n - n_pos)
    if smaller >= SMALL_COHORT_CASES:
        return None
    ci = metrics["primary"].get("auc_ci") or [None, None]
    width = (
        f" (the 95% CI of the AUC is {float(ci[1]) - float(ci[0]):.2f} wide)"
        if ci[0] is not None and ci[1] is not None
        else ""
    )
    text = (
        f"<b>A cohort this small cannot estimate performance.</b> The smaller class has "
        f"only {smaller} cases{width}: different splits or a "
        "few more images move the AUC by a tenth or more, and models that need more data "
        "(feature selection over many features, trees, kernels) cannot be judged. Read this "
        "report as a demonstration that the whole pipeline runs, not as a result."
    )
    if adjustments:
        text += " Settings adapted to the small cohort: " + "; ".join(
            html.escape(a) for a in adjustments
        )
        text += "."
    return text


# ----------------------------------------------------------------- example images


def example_cases(
    primary: pd.DataFrame,
    manifest: pd.DataFrame,
    positive: str,
    negative: str,
    *,
    n_errors: int = 8,
    n_correct: int = 4,
) -> list[dict[str, Any]]:
    """Cases to show as images: the most confident errors first, then correct calls.

    From the median repeat of the primary model (the one the confusion matrix shows): the
    wrongly classified cases ordered by how far their probability lay on the wrong side of
    the threshold of their fold (the most confident error first), then the most confidently
    right positives and negatives, alternating.

    Parameters
    ----------
    primary : DataFrame
        The primary model's rows of ``predictions.csv``.
    manifest : DataFrame
        ``case_id``, ``image``, ``mask`` of the cases (the study's ``cohort/manifest.csv``).
    positive, negative : str
        Names of the classes (titles).
    n_errors, n_correct : int
        At most this many errors and correct calls.

    Returns
    -------
    list of dict
        ``case_id``, ``image``, ``mask``, ``y``, ``probability``, ``threshold``,
        ``correct`` and ``title`` of each case to show, in order.
    """
    from radiomix.report.plots import median_repeat

    med = median_repeat(primary).copy()
    med["case_id"] = med["case_id"].astype(str)
    paths = manifest.assign(case_id=manifest["case_id"].astype(str))[["case_id", "image", "mask"]]
    med = med.merge(paths.drop_duplicates("case_id"), on="case_id", how="inner")
    y = med["y"].astype(int)
    # signed margin from the fold's threshold towards the true class: errors are negative
    margin = (2 * y - 1) * (med["probability"].astype(float) - med["threshold"].astype(float))
    med["margin"] = margin.astype(float)
    med["correct"] = med["predicted"].astype(int) == y
    errors = med[~med["correct"]].sort_values("margin", kind="stable")
    right = med[med["correct"]].sort_values("margin", ascending=False, kind="stable")
    right_pos, right_neg = right[right["y"] == 1], right[right["y"] == 0]
    picked_right = []
    for i in range(n_correct):
        src = right_pos if i % 2 == 0 else right_neg
        k = i // 2
        if k < len(src):
            picked_right.append(src.iloc[k])
    rows = [r for _, r in errors.head(n_errors).iterrows()] + picked_right
    out = []
    for r in rows:
        truth = positive if int(r["y"]) == 1 else negative
        call = positive if int(r["predicted"]) == 1 else negative
        verdict = "right" if bool(r["correct"]) else "WRONG"
        out.append(
            {
                "case_id": str(r["case_id"]),
                "image": str(r["image"]),
                "mask": str(r["mask"]),
                "y": int(r["y"]),
                "probability": float(r["probability"]),
                "threshold": float(r["threshold"]),
                "correct": bool(r["correct"]),
                "title": f"{r['case_id']}\n{truth}, p = {float(r['probability']):.2f} "
                f"(t = {float(r['threshold']):.2f})\ncalled {call}: {verdict}",
            }
        )
    return out
