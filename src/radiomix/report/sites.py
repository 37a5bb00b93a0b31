"""Report sections of multi-site and clinical studies: harmonisation, leave-one-group-out,
per-site metrics, and the added value of the image (``--compare``)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from radiomix.report._page import fmt as _f
from radiomix.report._page import table as _table

__all__ = [
    "compare_section",
    "covariates_text",
    "external_categories_note",
    "external_sites_note",
    "harmonise_paragraph",
    "sites_section",
    "validation_text",
]


def _p(v: Any) -> str:
    if v is None:
        return "-"
    return "&lt; 0.001" if v < 0.001 else f"{v:.3f}"


def validation_text(study: Mapping[str, Any]) -> str | None:
    """The design row of a leave-one-group-out run (None for k-fold)."""
    if study.get("validation_scheme") != "leave-one-group-out":
        return None
    return (
        f"leave-one-group-out: each of {_f(study.get('n_groups'))} groups of "
        f"{_f(study.get('group'))} in turn is the test set (one repeat) x "
        f"{_f(study.get('inner_folds'))} inner folds at most"
    )


def sites_section(metrics: Mapping[str, Any]) -> str:
    """Harmonisation and per-site metrics of the primary model ("" when neither applies)."""
    study = metrics.get("study") or {}
    pm = metrics.get("primary") or {}
    harm = study.get("harmonise")
    per_site = pm.get("per_site")
    if not harm and not per_site:
        return ""
    parts = ["<h2 id='sites'>Sites</h2>"]
    if harm:
        parts.append(harmonise_paragraph(harm))
        unseen = pm.get("unseen_sites") or []
        if unseen:
            names = sorted({s for u in unseen for s in u.get("sites", [])})
            parts.append(
                f"<p class='warn' id='unseen-sites'>In {len(unseen)} of "
                f"{_f(pm.get('n_outer_fits'))} outer fits a test site had no case in the "
                f"training folds ({html.escape(', '.join(names))}): ComBat estimated that "
                "site's location and scale from its own test features, without their labels "
                "(as it would for a new site). A site whose label mix differs from the "
                "training sites' is then biased: its mix is removed with its site effect.</p>"
            )
    if per_site:
        rows = [
            [_f(r.get("site")), _f(r.get("n_cases")), _f(r.get("n_positive")), _f(r.get("auc"))]
            for r in per_site
        ]
        logo = study.get("validation_scheme") == "leave-one-group-out"
        what = (
            "each site predicted by a model that never saw it"
            if logo
            else "out-of-fold predictions of each site"
        )
        parts.append(
            f"<p>Primary model, {what}: pooled ROC AUC {_f(pm.get('auc'))} (all sites "
            "together, the headline), and per site (NaN where a site holds one class; median "
            "over repeats):</p>"
            + _table(["site", "cases", "positive", "ROC AUC"], rows, "per-site")
        )
    return "".join(parts)


def harmonise_paragraph(harm: Mapping[str, Any]) -> str:
    """How the radiomic features were harmonised (``metrics["study"]["harmonise"]``)."""
    sites = harm.get("sites") or {}
    label = (
        " The label was protected (kept as a covariate); where label and site are "
        "confounded this keeps site effects as signal and inflates the AUC."
        if harm.get("protect_label")
        else ""
    )
    return (
        f"<p id='harmonise'>The radiomic features were harmonised across the "
        f"{len(sites)} sites of column {_f(harm.get('column'))} with ComBat (empirical "
        "Bayes location and scale per site and feature"
        + (", location only" if harm.get("mean_only") else "")
        + "), the first step of every pipeline: it was fitted on the training folds "
        f"only, never on a test fold.{label}{covariates_text(harm)}</p>"
    )


def covariates_text(harm: Mapping[str, Any]) -> str:
    """The sentence on ComBat's protected covariates ("" without any)."""
    covs = [str(c) for c in harm.get("covariates") or []]
    if not covs:
        return ""
    cat = set(map(str, harm.get("categorical_covariates") or []))
    named = ", ".join(
        html.escape(c)
        + (" (categorical: one-hot, first category the reference)" if c in cat else "")
        for c in covs
    )
    return (
        f" ComBat kept the effects of the covariates {named}: the site effects were "
        "estimated net of them, so that a site's mix of these covariates is not removed as "
        "a site effect; their missing values were imputed inside the training folds "
        "(median, most frequent category)."
    )


def external_categories_note(metrics: Mapping[str, Any]) -> str:
    """An external evaluation's clinical categories the model never saw ("" if none)."""
    u = (metrics.get("primary") or {}).get("unseen_categories") or {}
    cats = u.get("categories") or {}
    if not cats:
        return ""
    listed = ", ".join(f"{html.escape(str(k))} ({_f(v)})" for k, v in cats.items())
    return (
        f"<p class='warn'>{_f(u.get('n_cases'))} cases hold categories the model never saw "
        f"in training: {listed}. They match no training category: a clinical column gets "
        "zeros in all its category columns, a ComBat covariate the training mix of "
        "categories.</p>"
    )


def compare_section(metrics: Mapping[str, Any]) -> str:
    """The added value of the image: DeLong and NRI per pair of compare models."""
    comp = metrics.get("compare")
    if not comp:
        return ""
    rows = []
    for c in comp.values():
        lo, hi = c.get("delta_auc_ci_delong") or [None, None]
        nlo, nhi = c.get("nri_ci") or [None, None]
        rows.append(
            [
                f"{html.escape(c['new'])} vs {html.escape(c['old'])}",
                _f(c.get("auc_new")),
                _f(c.get("auc_old")),
                f"{_f(c.get('delta_auc'))} [{_f(lo)}, {_f(hi)}]",
                _p(c.get("delong_p")),
                f"{_f(c.get('nri'), 2)} [{_f(nlo, 2)}, {_f(nhi, 2)}]",
                f"{_f(c.get('nri_events'), 2)} / {_f(c.get('nri_nonevents'), 2)}",
            ]
        )
    clin = (metrics.get("study") or {}).get("clinical") or {}
    cols = ", ".join(clin.get("columns", []))
    main = comp.get("combined_vs_clinical")
    lead = ""
    if main:
        lead = (
            f"<p id='added-value'>Adding the image to the clinical variables ({html.escape(cols)}) "
            f"changed the ROC AUC from {_f(main.get('auc_old'))} to {_f(main.get('auc_new'))} "
            f"(paired DeLong p {_p(main.get('delong_p'))}); continuous NRI "
            f"{_f(main.get('nri'), 2)}.</p>"
        )
    return (
        "<h2 id='compare'>Added value of the image</h2>"
        + lead
        + _table(
            [
                "models",
                "AUC (first)",
                "AUC (second)",
                "difference [DeLong 95% CI]",
                "DeLong p",
                "continuous NRI [95% CI]",
                "NRI events / non-events",
            ],
            rows,
            "compare",
        )
        + "<p class='muted'>The three models (clinical columns alone, radiomic features "
        "alone, both) were trained on the same outer splits; clinical columns were encoded "
        "inside the folds (one-hot, imputation, scaling) and kept beside the radiomic "
        "features, never through their selection. DeLong: paired test on the pooled "
        "out-of-fold probabilities (median over repeats; CI of the median repeat). NRI: "
        "continuous (category-free) net reclassification of the first model over the "
        "second, median over repeats, case bootstrap CI. The continuous NRI counts only the "
        "direction of each change and can be positive when the image adds nothing "
        "(pure-noise radiomic features gave +0.11 to +0.39 while the AUC fell by 0.02; "
        "docs/learn.md): judge the added value by the AUC difference.</p>"
    )


def external_sites_note(metrics: Mapping[str, Any]) -> str:
    """An external evaluation's sites that the harmonised model never saw ("" if none)."""
    h = (metrics.get("primary") or {}).get("harmonise") or {}
    if not h.get("new_sites"):
        return ""
    return (
        f"<p class='warn'>{_f(h.get('n_cases_new_site'))} cases from sites the model never saw "
        f"({html.escape(', '.join(map(str, h['new_sites'])))}): ComBat estimated these sites' "
        "location and scale from their own features, without labels.</p>"
    )
