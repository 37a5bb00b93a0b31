"""The added value of the image: clinical, radiomics and combined models on the same splits.

``radiomix train --clinical age,stage --compare clinical,radiomics,combined`` runs the three
models of :mod:`radiomix.learn.config` (the clinical columns alone, the radiomic features
alone, both) through the same nested cross-validation: the outer splits depend only on the
seed, the labels and the groups, so every case is predicted by the three models from the same
training folds. For two classes each pair is compared on the pooled out-of-fold
probabilities of every repeat:

- the **paired DeLong test** of the two AUCs (:func:`radiomix.learn.metrics.delong_test`;
  the median difference and p-value over repeats are reported, with every repeat's);
- the **continuous net reclassification improvement** (Pencina et al. 2011): among events,
  the share whose probability goes up with the new model minus the share whose goes down;
  among non-events, down minus up; NRI is their sum (range -2 to 2, 0 = no net
  reclassification). Its interval is a case (cluster) bootstrap of the median over repeats.

For a time to an event (``--task survival``) each pair is compared on the pooled
out-of-fold risk scores of every repeat (:func:`survival_compare_block`):

- **Harrell's C** of each model (median over repeats) and their **difference**;
- its **paired bootstrap interval over cases**: the same resamples of the cases (stratified
  by the event indicator; whole groups with a group column) score both models, the
  difference of each resample is the median over repeats, and the interval is the
  percentile interval of those differences; ``p_bootstrap`` is the two-sided share of
  resamples on the other side of 0;
- the **continuous NRI at a horizon** :math:`t` (the middle horizon of the survival
  metrics, where the calibration is measured; :func:`survival_nri`), from the predicted
  event-free probabilities :math:`\\hat S(t)` of the two models: a case moves *up* when the
  new model gives it a higher probability of the event by :math:`t`. Whether a censored
  case had the event by :math:`t` is unknown, so the event and non-event shares are
  Kaplan-Meier weighted (Pencina, Steyerberg & D'Agostino, Stat Med 2011):
  :math:`P(\\mathrm{up} \\mid \\mathrm{event}) = (1 - S_\\mathrm{up}(t)) P(\\mathrm{up}) /
  (1 - S(t))` and :math:`P(\\mathrm{up} \\mid \\mathrm{non\text{-}event}) =
  S_\\mathrm{up}(t) P(\\mathrm{up}) / S(t)` (likewise down), with :math:`S` the
  Kaplan-Meier estimate of all cases and :math:`S_\\mathrm{up}` of the cases moving up.
  ``nri_events`` = up - down among events, ``nri_nonevents`` = down - up among
  non-events, ``nri`` their sum; without censoring before :math:`t` it is the continuous
  NRI of the two-class compare with "event by :math:`t`" as the class. Median over
  repeats; the intervals come from the same paired resamples as the C difference.

Multiclass and regression compare the models with the corrected resampled t-test of the
task study.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from radiomix.learn.metrics import bootstrap_weights, delong_test, percentile_ci

__all__ = [
    "COMPARE_PAIRS",
    "SURVIVAL_COMPARE_COLUMNS",
    "compare_block",
    "continuous_nri",
    "survival_compare_block",
    "survival_nri",
]

#: (new, old) pairs: what the first model adds over the second
COMPARE_PAIRS = (("combined", "clinical"), ("radiomics", "clinical"), ("combined", "radiomics"))


def continuous_nri(
    y: np.ndarray, p_new: np.ndarray, p_old: np.ndarray
) -> tuple[float, float, float]:
    """Continuous (category-free) NRI of ``p_new`` over ``p_old``.

    Returns
    -------
    nri, nri_events, nri_nonevents : float
        ``nri_events`` = P(up | event) - P(down | event), ``nri_nonevents`` =
        P(down | non-event) - P(up | non-event); ties count as neither.
    """
    yy = np.asarray(y).astype(bool)
    diff = np.asarray(p_new, dtype=np.float64) - np.asarray(p_old, dtype=np.float64)
    up, down = diff > 0, diff < 0
    if yy.all() or not yy.any():
        return math.nan, math.nan, math.nan
    ev = float(up[yy].mean() - down[yy].mean())
    ne = float(down[~yy].mean() - up[~yy].mean())
    return ev + ne, ev, ne


def _nri_boot(y: np.ndarray, P_new: np.ndarray, P_old: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Median-over-repeats NRI of every bootstrap resample (weights ``W``, (B, n))."""
    e = np.asarray(y).astype(np.float64)
    ne = 1.0 - e
    out = []
    for r in range(P_new.shape[0]):
        d = P_new[r] - P_old[r]
        s = (d > 0).astype(np.float64) - (d < 0).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            nri_e = (W @ (e * s)) / (W @ e)
            nri_n = -(W @ (ne * s)) / (W @ ne)
        out.append(nri_e + nri_n)
    return np.median(np.vstack(out), axis=0)


def compare_block(
    runs: dict[str, Any],
    y: np.ndarray,
    groups: np.ndarray | None,
    *,
    level: float = 0.95,
    n_boot: int = 1000,
    random_state: int = 0,
) -> dict[str, Any]:
    """DeLong and NRI for each pair of :data:`COMPARE_PAIRS` present in ``runs`` (two
    classes: each run's ``cv.probability`` is (repeats, n) on the same cases)."""
    out: dict[str, Any] = {}
    W = bootstrap_weights(y, groups, n_boot, random_state) if n_boot > 0 else None
    for new, old in COMPARE_PAIRS:
        if new not in runs or old not in runs:
            continue
        Pn = np.atleast_2d(runs[new].cv.probability)
        Po = np.atleast_2d(runs[old].cv.probability)
        R = min(Pn.shape[0], Po.shape[0])
        tests = [delong_test(y, Pn[r], Po[r], level) for r in range(R)]
        nris = [continuous_nri(y, Pn[r], Po[r]) for r in range(R)]
        mid = int(np.argsort([t.delta for t in tests])[R // 2])
        entry: dict[str, Any] = {
            "new": new,
            "old": old,
            "auc_new": float(np.median([t.auc1 for t in tests])),
            "auc_old": float(np.median([t.auc2 for t in tests])),
            "delta_auc": float(np.median([t.delta for t in tests])),
            "delta_auc_ci_delong": [tests[mid].ci_low, tests[mid].ci_high],
            "delong_z": tests[mid].z,
            "delong_p": float(np.median([t.p_value for t in tests])),
            "delong_p_repeats": [t.p_value for t in tests],
            "nri": float(np.median([n[0] for n in nris])),
            "nri_events": float(np.median([n[1] for n in nris])),
            "nri_nonevents": float(np.median([n[2] for n in nris])),
            "n_repeats": R,
        }
        if W is not None:
            entry["nri_ci"] = list(percentile_ci(_nri_boot(y, Pn[:R], Po[:R], W), level))
        else:
            entry["nri_ci"] = [math.nan, math.nan]
        out[f"{new}_vs_{old}"] = entry
    return out


#: the columns of ``compare.csv`` of a survival study
SURVIVAL_COMPARE_COLUMNS = (
    "new",
    "old",
    "c_new",
    "c_old",
    "delta_c",
    "delta_c_ci_low",
    "delta_c_ci_high",
    "p_bootstrap",
    "n_repeats",
    "n_boot",
    "nri_horizon",
    "nri",
    "nri_ci_low",
    "nri_ci_high",
    "nri_events",
    "nri_nonevents",
)


def survival_nri(
    w: np.ndarray,
    event: np.ndarray,
    time: np.ndarray,
    surv_new: np.ndarray,
    surv_old: np.ndarray,
    horizon: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Continuous NRI at ``horizon`` for a time to an event, Kaplan-Meier weighted (see the
    module notes), under each row of case weights ``w`` (B, n).

    ``surv_new``, ``surv_old`` (n,): each model's predicted probability of being event-free
    at ``horizon``; a case moves up when the new model's is lower (more risk), ties count as
    neither.

    Returns
    -------
    nri, nri_events, nri_nonevents : ndarray, shape (B,)
        NaN where the Kaplan-Meier estimate at ``horizon`` is 0 or 1 (no non-events or no
        events) or a prediction is missing.
    """
    from radiomix.learn.survival import km_weighted

    w = np.atleast_2d(np.asarray(w, dtype=np.float64))
    ev = np.asarray(event, dtype=bool)
    t = np.asarray(time, dtype=np.float64)
    s_new = np.asarray(surv_new, dtype=np.float64)
    s_old = np.asarray(surv_old, dtype=np.float64)
    nan = np.full(w.shape[0], np.nan)
    if not (np.isfinite(s_new).all() and np.isfinite(s_old).all()):
        return nan, nan.copy(), nan.copy()
    up = (s_new < s_old).astype(np.float64)
    down = (s_new > s_old).astype(np.float64)
    total = w.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_up = (w @ up) / total
        p_down = (w @ down) / total
        S = km_weighted(w, ev, t, horizon)
        S_up = km_weighted(w * up, ev, t, horizon)
        S_down = km_weighted(w * down, ev, t, horizon)
        ok = (S > 0) & (S < 1)
        events = ((1.0 - S_up) * p_up - (1.0 - S_down) * p_down) / (1.0 - S)
        nonevents = (S_down * p_down - S_up * p_up) / S
    events = np.where(ok, events, np.nan)
    nonevents = np.where(ok, nonevents, np.nan)
    return events + nonevents, events, nonevents


def _risks(output: np.ndarray) -> np.ndarray:
    """The risk scores (repeats, n) of a survival run's outputs (repeats, n[, 1 + ...])."""
    o = np.asarray(output, dtype=np.float64)
    return o[:, :, 0] if o.ndim == 3 else np.atleast_2d(o)


def survival_compare_block(
    runs: dict[str, Any],
    y: np.ndarray,
    groups: np.ndarray | None,
    *,
    level: float = 0.95,
    n_boot: int = 1000,
    random_state: int = 0,
    horizons: Sequence[float] = (),
) -> dict[str, Any]:
    """Harrell's C difference, with a paired case bootstrap interval, for each pair of
    :data:`COMPARE_PAIRS` present in ``runs`` (survival: each run's ``cv.output`` holds the
    out-of-fold risk scores of the same cases; ``y`` the structured (event, time) target).

    With ``horizons`` (those of the outputs' survival columns: ``cv.output`` (repeats, n,
    1 + ...) holds the probability of being event-free at horizon ``i`` in column
    ``1 + i``), also the continuous NRI at the middle horizon (:func:`survival_nri`) with
    its interval from the same resamples: ``nri``, ``nri_events``, ``nri_nonevents``,
    ``nri_ci``, ``nri_events_ci``, ``nri_nonevents_ci``, ``nri_horizon`` (NaN where a model
    gives no survival probabilities)."""
    from radiomix.learn.survival import harrell_c
    from radiomix.learn.task_metrics import stratified_weights

    ev = np.asarray(y["event"], dtype=bool)
    t = np.asarray(y["time"], dtype=np.float64)
    hs = [float(h) for h in horizons]
    ones = np.ones((1, ev.size))
    W = stratified_weights(ev.astype(np.int8), groups, n_boot, random_state) if n_boot > 0 else None
    out: dict[str, Any] = {}
    for new, old in COMPARE_PAIRS:
        if new not in runs or old not in runs:
            continue
        Rn = _risks(runs[new].cv.output)
        Ro = _risks(runs[old].cv.output)
        R = min(Rn.shape[0], Ro.shape[0])
        cn = np.array([harrell_c(ones, ev, t, Rn[r])[0] for r in range(R)])
        co = np.array([harrell_c(ones, ev, t, Ro[r])[0] for r in range(R)])
        entry: dict[str, Any] = {
            "new": new,
            "old": old,
            "c_new": float(np.median(cn)),
            "c_old": float(np.median(co)),
            "delta_c": float(np.median(cn - co)),
            "delta_c_repeats": (cn - co).tolist(),
            "n_repeats": R,
            "n_boot": int(n_boot),
        }
        if W is not None:
            d = np.median(
                np.vstack(
                    [harrell_c(W, ev, t, Rn[r]) - harrell_c(W, ev, t, Ro[r]) for r in range(R)]
                ),
                axis=0,
            )
            d = d[np.isfinite(d)]
            entry["delta_c_ci"] = list(percentile_ci(d, level))
            below = (1.0 + float((d <= 0).sum())) / (1.0 + d.size)
            above = (1.0 + float((d >= 0).sum())) / (1.0 + d.size)
            entry["p_bootstrap"] = min(1.0, 2.0 * min(below, above))
        else:
            entry["delta_c_ci"] = [math.nan, math.nan]
            entry["p_bootstrap"] = math.nan
        if hs:
            entry |= _survival_nri_entry(
                runs[new].cv.output, runs[old].cv.output, R, ev, t, hs, W, level
            )
        out[f"{new}_vs_{old}"] = entry
    return out


def _survival_nri_entry(
    out_new: np.ndarray,
    out_old: np.ndarray,
    R: int,
    ev: np.ndarray,
    t: np.ndarray,
    horizons: list[float],
    W: np.ndarray | None,
    level: float,
) -> dict[str, Any]:
    """The NRI fields of one pair at the middle horizon (median over repeats, intervals of
    the per-resample medians)."""
    k = len(horizons) // 2
    h = horizons[k]
    on = np.asarray(out_new, dtype=np.float64)
    oo = np.asarray(out_old, dtype=np.float64)
    entry: dict[str, Any] = {"nri_horizon": h}
    names = ("nri", "nri_events", "nri_nonevents")
    if on.ndim != 3 or oo.ndim != 3 or min(on.shape[2], oo.shape[2]) <= 1 + k:
        for name in names:
            entry[name] = math.nan
            entry[f"{name}_ci"] = [math.nan, math.nan]
        return entry
    ones = np.ones((1, ev.size))
    est = [survival_nri(ones, ev, t, on[r, :, 1 + k], oo[r, :, 1 + k], h) for r in range(R)]
    for i, name in enumerate(names):
        v = np.array([e[i][0] for e in est])
        entry[name] = float(np.median(v)) if np.isfinite(v).all() else math.nan
    if W is None:
        for name in names:
            entry[f"{name}_ci"] = [math.nan, math.nan]
        return entry
    boot = [survival_nri(W, ev, t, on[r, :, 1 + k], oo[r, :, 1 + k], h) for r in range(R)]
    for i, name in enumerate(names):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(np.vstack([b[i] for b in boot]), axis=0)
        entry[f"{name}_ci"] = list(percentile_ci(med, level))
    return entry
