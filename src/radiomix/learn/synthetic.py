"""Synthetic feature tables with a known answer, for tests, benchmarks and demonstrations.

:func:`make_feature_table` draws a wide table shaped like ``radiomix extract`` output
(``case_id``, ``roi``, ``diagnostics_*``, feature columns, plus a label and optionally a group
column). A few *informative* features are Gaussian with a class-dependent mean,

.. math:: x_{\\text{inf}} \\mid y \\sim \\mathcal N(y\\,\\delta, I),

and the others are pure noise that is correlated in blocks (a shared latent factor per block
with loading :math:`\\rho`, like families of redundant texture features) and on wildly
different scales. The noise is independent of the label and of the informative features, so
the best achievable ROC AUC is that of the Bayes rule on the informative features alone:

.. math:: \\mathrm{AUC}^{*} = \\Phi\\left(\\frac{\\lVert\\delta\\rVert}{\\sqrt 2}\\right).

With ``n_informative=0`` the table is pure noise: every honest estimate of the AUC must be
close to 0.5.

:func:`make_nonlinear_table` draws a two-class table whose signal no linear model can see:
products of pairs of features (``interaction``) or whether a feature is far from its mean
in either direction (``threshold``); a tree ensemble finds it. :func:`make_regression_table`,
:func:`make_multiclass_table` and :func:`radiomix.learn.survival.make_survival_table` take
``signal="threshold"`` for the same kind of signal in the other tasks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "SIGNALS",
    "SyntheticOutcome",
    "SyntheticTable",
    "make_feature_table",
    "make_multiclass_table",
    "make_nonlinear_table",
    "make_regression_table",
    "threshold_signal",
]

#: the kinds of signal of the regression, multiclass and survival tables
SIGNALS = ("linear", "threshold")

#: P(|z| > 1) of a standard normal
_P_BEYOND = 2.0 * float(stats.norm.sf(1.0))


def _check_signal(signal: str) -> None:
    if signal not in SIGNALS:
        raise ValueError(f"unknown signal {signal!r} ({', '.join(SIGNALS)})")


def threshold_signal(Z: np.ndarray) -> np.ndarray:
    """Per row of standard normal columns ``Z``: :math:`\\sum_j (1[|z_j| > 1] - p) /
    \\sqrt{p (1 - p)}` with :math:`p = P(|z| > 1)`. Mean 0 and variance ``m`` (as the sum
    of ``m`` standard normals), and uncorrelated with every column: a linear model sees
    nothing of it, a tree finds it."""
    hit = (np.abs(np.asarray(Z, dtype=np.float64)) > 1.0).astype(np.float64)
    return (hit - _P_BEYOND).sum(axis=1) / math.sqrt(_P_BEYOND * (1.0 - _P_BEYOND))


_FAMILIES = ("statistics", "histogram", "glcm", "glrlm", "glszm", "gldzm", "ngtdm", "ngldm")


@dataclass(frozen=True)
class SyntheticTable:
    """A synthetic feature table and its ground truth.

    Attributes
    ----------
    table : DataFrame
    informative : list of str
        Columns that carry the signal.
    optimal_auc : float
        Bayes-optimal ROC AUC (0.5 for pure noise).
    label : str
        Name of the label column (values ``benign`` / ``malignant``).
    group : str or None
        Name of the group column, when near-duplicates were added.
    """

    table: pd.DataFrame
    informative: list[str]
    optimal_auc: float
    label: str = "diagnosis"
    group: str | None = None


def make_feature_table(
    n_cases: int = 200,
    n_features: int = 100,
    n_informative: int = 5,
    effect: float = 0.8,
    prevalence: float = 0.35,
    n_shape: int = 10,
    n_shape_informative: int = 0,
    block_size: int = 10,
    block_correlation: float = 0.8,
    duplicates: int = 0,
    random_state: int | None = 0,
    case_seed: int | None = None,
) -> SyntheticTable:
    """Draw a synthetic radiomics feature table with a known optimal AUC.

    Parameters
    ----------
    n_cases : int
        Cases before near-duplicates are added.
    n_features : int
        Feature columns.
    n_informative : int
        Informative features in total (shape ones included), each with mean shift
        ``effect`` (in SD units) between the classes.
    effect : float
    prevalence : float
        Fraction of positive (``malignant``) cases.
    n_shape : int
        Columns named as shape features (``original_morphology_*``).
    n_shape_informative : int
        How many of the informative features are shape features.
    block_size, block_correlation : int, float
        Noise features come in blocks sharing a latent factor (pairwise correlation
        ``block_correlation`` within a block).
    duplicates : int
        Near-duplicate copies (tiny noise added) of randomly chosen cases; each copy shares
        the ``family`` group of its original, as near-duplicate images in BUSI do.
    random_state : int or None
        Seed of the table's layout (which features are informative, their scales) and, unless
        ``case_seed`` is given, of the cases.
    case_seed : int, optional
        Seed of the cases alone: tables with the same ``random_state`` and different
        ``case_seed`` are two cohorts from one population (e.g. an external validation set).

    Returns
    -------
    SyntheticTable
    """
    if not 0 <= n_shape_informative <= min(n_shape, n_informative):
        raise ValueError("n_shape_informative must be between 0 and min(n_shape, n_informative)")
    if n_informative > n_features or n_shape > n_features:
        raise ValueError("more informative or shape features than features")
    layout = np.random.default_rng(random_state)
    names = [f"original_morphology_shape{j}" for j in range(n_shape)]
    names += [
        f"original_{_FAMILIES[j % len(_FAMILIES)]}_feature{j}" for j in range(n_features - n_shape)
    ]
    shape_idx = np.arange(n_shape)
    other_idx = np.arange(n_shape, n_features)
    inf_idx = np.concatenate(
        [
            layout.choice(shape_idx, n_shape_informative, replace=False),
            layout.choice(other_idx, n_informative - n_shape_informative, replace=False),
        ]
    ).astype(np.intp)
    noise_idx = np.setdiff1d(np.arange(n_features), inf_idx)
    skewed = noise_idx[layout.random(noise_idx.size) < 0.3]
    scales = 10.0 ** layout.uniform(-3, 5, size=n_features)
    # the cases come from their own stream, drawn after the layout
    rng = np.random.default_rng(case_seed if case_seed is not None else layout.integers(2**32))
    n_pos = round(prevalence * n_cases)
    y = np.zeros(n_cases, dtype=np.int8)
    y[rng.choice(n_cases, n_pos, replace=False)] = 1
    X = np.empty((n_cases, n_features))
    # noise: blocks sharing a latent factor
    for start in range(0, noise_idx.size, max(block_size, 1)):
        cols = noise_idx[start : start + block_size]
        factor = rng.normal(size=(n_cases, 1))
        X[:, cols] = math.sqrt(block_correlation) * factor + math.sqrt(
            1.0 - block_correlation
        ) * rng.normal(size=(n_cases, cols.size))
    X[:, inf_idx] = rng.normal(size=(n_cases, inf_idx.size)) + effect * y[:, None]
    # radiomics-like scales: every column gets its own unit; some noise is skewed
    X[:, skewed] = np.exp(X[:, skewed])
    X *= scales
    ids = [f"case{i:04d}" for i in range(n_cases)]
    groups = [f"g{i:04d}" for i in range(n_cases)]
    if duplicates:
        src = rng.choice(n_cases, duplicates, replace=True)
        Xd = X[src] * (1.0 + 0.01 * rng.normal(size=(duplicates, n_features)))
        X = np.vstack([X, Xd])
        y = np.concatenate([y, y[src]])
        ids += [f"case{s:04d}_dup{k}" for k, s in enumerate(src)]
        groups += [groups[s] for s in src]
    table = pd.DataFrame(X, columns=names)
    table.insert(0, "case_id", ids)
    table.insert(1, "roi", "1")
    table.insert(2, "diagnostics_int_mask_vox_count_init_roi", rng.integers(50, 5000, len(ids)))
    table["diagnosis"] = np.where(y == 1, "malignant", "benign")
    group_col = None
    if duplicates:
        table["family"] = groups
        group_col = "family"
    optimal = float(stats.norm.cdf(effect * math.sqrt(n_informative) / math.sqrt(2.0)))
    if n_informative == 0:
        optimal = 0.5
    return SyntheticTable(
        table=table,
        informative=[names[i] for i in inf_idx],
        optimal_auc=optimal,
        group=group_col,
    )


@dataclass(frozen=True)
class SyntheticOutcome:
    """A synthetic table for the other tasks, with its ground truth.

    Attributes
    ----------
    table : DataFrame
    informative : list of str
    label : str
        ``grade`` (several classes, values ``g1``, ``g2``, ...) or ``volume_change``
        (a number).
    optimal : float
        Several classes: the effect size (mean shift in SD units; the Bayes-optimal macro
        AUC has no closed form). Regression: the population R² of the best predictor,
        :math:`\\mathrm{Var}(X\\beta) / (\\mathrm{Var}(X\\beta) + \\sigma^2)` (0 for noise).
    """

    table: pd.DataFrame
    informative: list[str]
    label: str
    optimal: float


def _layout(
    n_cases: int,
    n_features: int,
    n_informative: int,
    random_state: int | None,
    case_seed: int | None,
) -> Any:
    """Names, informative columns and scales from ``random_state``; the cases (block-
    correlated noise) from their own stream, so that ``case_seed`` draws another cohort of
    the same population."""
    layout = np.random.default_rng(random_state)
    names = [f"original_morphology_shape{j}" for j in range(min(6, n_features))]
    names += [
        f"original_{_FAMILIES[j % len(_FAMILIES)]}_feature{j}"
        for j in range(n_features - len(names))
    ]
    inf_idx = layout.choice(n_features, n_informative, replace=False)
    scales = 10.0 ** layout.uniform(-2, 3, size=n_features)
    rng = np.random.default_rng(case_seed if case_seed is not None else layout.integers(2**32))
    X = rng.normal(size=(n_cases, n_features))
    for start in range(0, n_features, 10):  # blocks of correlated noise
        X[:, start : start + 10] = 0.7 * X[:, start : start + 10] + 0.7 * rng.normal(
            size=(n_cases, 1)
        )
    return rng, names, inf_idx, X, scales


def _frame(X: np.ndarray, names: list[str], scales: np.ndarray) -> pd.DataFrame:
    table = pd.DataFrame(X * scales, columns=names)
    table.insert(0, "case_id", [f"case{i:04d}" for i in range(len(X))])
    table.insert(1, "roi", "1")
    return table


def make_regression_table(
    n_cases: int = 200,
    n_features: int = 40,
    n_informative: int = 4,
    noise_sd: float = 1.0,
    random_state: int | None = 0,
    case_seed: int | None = None,
    signal: str = "linear",
) -> SyntheticOutcome:
    """Draw a table whose ``volume_change`` is linear in a few features plus Gaussian noise.

    The informative features are independent standard normals (the noise features are
    correlated in blocks); :math:`y = 10 + 3 (\\sum_j x_j + \\varepsilon)`,
    :math:`\\varepsilon \\sim \\mathcal N(0, \\sigma^2)`, so the best achievable R² is
    :math:`m / (m + \\sigma^2)` for ``m`` informative features (0 with none: pure noise).
    ``case_seed`` draws another cohort of the same population (external validation).
    ``signal="threshold"`` puts :func:`threshold_signal` of the informative features in
    place of their sum (the same variance, so the same best R²; a linear model's is 0).
    """
    _check_signal(signal)
    rng, names, inf_idx, X, scales = _layout(
        n_cases, n_features, n_informative, random_state, case_seed
    )
    X[:, inf_idx] = rng.normal(size=(n_cases, n_informative))
    Z = X[:, inf_idx]
    truth = Z.sum(axis=1) if signal == "linear" else threshold_signal(Z)
    y = truth + noise_sd * rng.normal(size=n_cases)
    table = _frame(X, names, scales)
    table["volume_change"] = 10.0 + 3.0 * y
    optimal = n_informative / (n_informative + noise_sd**2) if n_informative else 0.0
    return SyntheticOutcome(table, [names[i] for i in inf_idx], "volume_change", optimal)


def make_multiclass_table(
    n_cases: int = 240,
    n_features: int = 40,
    n_classes: int = 3,
    n_informative: int = 4,
    effect: float = 1.0,
    random_state: int | None = 0,
    case_seed: int | None = None,
    signal: str = "linear",
) -> SyntheticOutcome:
    """Draw a table of ``n_classes`` equally frequent classes (``grade``: ``g1``, ``g2``, ...).

    Class ``k`` shifts the mean of informative feature ``j`` by ``effect`` when
    ``j % n_classes == k`` (each class has its own informative features); with
    ``n_informative=0`` the table is pure noise and every honest macro AUC is about 0.5.
    ``case_seed`` draws another cohort of the same population. ``signal="threshold"``
    widens instead of shifting: feature ``j`` has SD ``1 + effect`` in its class and 1 in
    the others, mean 0 in every class, so a (multinomial) linear model sees nothing and a
    tree finds the class by ``|x_j|``.
    """
    _check_signal(signal)
    rng, names, inf_idx, X, scales = _layout(
        n_cases, n_features, n_informative, random_state, case_seed
    )
    y = np.arange(n_cases) % n_classes
    rng.shuffle(y)
    X[:, inf_idx] = rng.normal(size=(n_cases, n_informative))
    for j, col in enumerate(inf_idx):
        if signal == "linear":
            X[:, col] += effect * (y == j % n_classes)
        else:
            X[:, col] *= np.where(y == j % n_classes, 1.0 + effect, 1.0)
    table = _frame(X, names, scales)
    table["grade"] = [f"g{k + 1}" for k in y]
    return SyntheticOutcome(table, [names[i] for i in inf_idx], "grade", effect)


def _nonlinear_score(kind: str, Z: np.ndarray) -> np.ndarray:
    """The signal of :func:`make_nonlinear_table` from its informative columns ``Z``."""
    if kind == "interaction":  # x0 x1 + x2 x3 + ...: zero mean, no linear trend
        m = Z.shape[1] // 2 * 2
        return (Z[:, 0:m:2] * Z[:, 1:m:2]).sum(axis=1)
    if kind == "threshold":  # how many features lie beyond +-1 SD, less its expectation
        return (np.abs(Z) > 1.0).sum(axis=1) - Z.shape[1] * 2.0 * stats.norm.sf(1.0)
    raise ValueError(f"unknown kind {kind!r} (interaction, threshold)")


def make_nonlinear_table(
    kind: str = "interaction",
    n_cases: int = 400,
    n_features: int = 100,
    n_informative: int = 4,
    effect: float = 2.0,
    random_state: int | None = 0,
    case_seed: int | None = None,
) -> SyntheticTable:
    """Draw a two-class table whose signal is invisible to a linear model.

    The informative features are independent standard normals (the others block-correlated
    noise on radiomics-like scales, as in :func:`make_regression_table`); the label is
    Bernoulli with :math:`P(y = 1) = \\sigma(\\text{effect} \\cdot s(x))`, where

    - ``interaction``: :math:`s = x_1 x_2 + x_3 x_4 + \\dots` (pairs of informative
      features; the sign of a product, an XOR);
    - ``threshold``: :math:`s = \\#\\{j : |x_j| > 1\\} - 2 m\\,\\Phi(-1)`, the number of
      informative features beyond one SD either way, centred.

    Both are symmetric in every feature, so every feature's correlation with the label is
    zero and a linear model's AUC is about 0.5. ``optimal_auc`` is the AUC of the true
    probability, by Monte Carlo on 200,000 draws (seeded: the same every call).
    """
    rng, names, inf_idx, X, scales = _layout(
        n_cases, n_features, n_informative, random_state, case_seed
    )
    X[:, inf_idx] = rng.normal(size=(n_cases, n_informative))
    p = 1.0 / (1.0 + np.exp(-effect * _nonlinear_score(kind, X[:, inf_idx])))
    y = (rng.random(n_cases) < p).astype(np.int8)
    table = _frame(X, names, scales)
    table["diagnosis"] = np.where(y == 1, "malignant", "benign")
    mc = np.random.default_rng(12345)
    Z = mc.normal(size=(200_000, n_informative))
    pm = 1.0 / (1.0 + np.exp(-effect * _nonlinear_score(kind, Z)))
    ym = mc.random(pm.size) < pm
    ranks = stats.rankdata(pm)
    n1 = int(ym.sum())
    optimal = float((ranks[ym].sum() - n1 * (n1 + 1) / 2) / (n1 * (pm.size - n1)))
    return SyntheticTable(table=table, informative=[names[i] for i in inf_idx], optimal_auc=optimal)
