"""Study settings: frozen dataclasses built from YAML, every key checked.

A study configuration (``radiomix train --config STUDY.yaml``) has these sections::

    name: busi-benign-malignant
    task: binary                        # binary | multiclass | regression | survival (--task);
                                        # default: read from the label column
    primary: auto                       # the pre-registered model (default: auto)
    comparators: [shape_only_lr, random_forest]
    data:
      label: diagnosis                  # --label overrides
      positive: malignant               # default: see radiomix.learn.table
      group: family                     # --group overrides
      time: null                        # survival: time and event (0/1) columns
      event: null                       #   (--time, --event; time is then the label;
                                        #   both given imply task: survival)
      id_columns: [case_id, roi]
      include: []                       # fnmatch patterns of feature columns to use
      exclude: ["*_ivh_*"]
      harmonise: site                   # ComBat on this column inside the folds (--harmonise)
      harmonise_protect_label: false    # --harmonise-protect-label (see docs/harmonisation.md)
      harmonise_mean_only: false        # location only (sites with one case)
      harmonise_covariates: []          # columns whose effects ComBat keeps
                                        # (--harmonise-covariates age,stage)
      clinical: [age, stage]            # clinical columns beside the image (--clinical)
      clinical_categorical: []          # numeric clinical columns (or covariates) to treat
                                        # as categories (text ones are; --clinical-categorical)
    compare: [clinical, radiomics, combined]   # --compare: the added value of the image
    validation:
      scheme: kfold                     # or leave-one-group-out (--validation; needs group)
      outer_folds: 5
      inner_folds: 5
      repeats: 10
      threshold: youden                 # or sens@0.95, spec@0.9, fixed:0.5
      bootstrap: 2000
      permutations: 10
      permutation_repeats: 1
      confidence: 0.95
      random_state: 0
      n_jobs: -1                        # all cores
    explain:                            # explanations of the primary model (docs/learn.md)
      importance: true                  # permutation importance on the outer test folds
      importance_repeats: 5             # shuffles per feature and fold
      importance_max_features: 30       # features permuted per fold (the rest: see docs)
      shap: true                        # SHAP values of the final model
      shap_cases: 300                   # training cases explained (evenly spaced)
      shap_background: 50               # background cases of the model-agnostic explainer
    robustness:
      icc_table: ICC.csv                # relative to this file
      threshold: 0.75
      missing: keep                     # keep | drop | error
    models:                             # new models, or overrides of built-in ones
      - name: rf_small
        base: random_forest
        grid: {clf__max_features: [sqrt], clf__min_samples_leaf: [3]}
        params: {clf__n_estimators: 200}

An unknown key is a :class:`~radiomix.errors.ConfigError` naming the closest valid key (the
same machinery as the extraction settings). :func:`study_to_dict` gives the resolved
settings back as plain data; ``radiomix train`` writes them to ``config.yaml``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from radiomix._config import build, deep_merge, did_you_mean, fail
from radiomix.learn.metrics import parse_threshold_rule
from radiomix.learn.models import DEFAULT_MODEL, MODELS, ModelSpec, grid_parts
from radiomix.learn.selectors import RobustnessFilter

__all__ = [
    "DataSettings",
    "ExplainSettings",
    "ModelSettings",
    "RobustnessSettings",
    "StudySettings",
    "ValidationSettings",
    "load_study",
    "resolve_model",
    "study_from_dict",
    "study_to_dict",
    "study_to_yaml",
    "task_models",
]


SCHEMES = ("kfold", "leave-one-group-out")
"""Outer validation schemes (``validation.scheme``, ``--validation``)."""

COMPARE_MODELS = ("clinical", "radiomics", "combined")
"""The models of ``compare`` (``--compare``): the clinical columns alone, the radiomic
features alone, both (the primary model's recipe for the radiomic part)."""


@dataclass(frozen=True)
class DataSettings:
    """Which columns are the label, the groups, the ids and the features.

    Parameters
    ----------
    label : str or None
        Label column (``--label`` overrides).
    positive : str, number, bool or None
        The positive class; None applies the rule of :mod:`radiomix.learn.table`.
    group : str or None
        Group column: cases with the same value stay in the same fold (patients,
        near-duplicate clusters).
    id_columns : list of str
        Columns never used as features.
    include, exclude : list of str
        fnmatch patterns: use only matching feature columns / drop matching ones.
    time, event : str or None
        A survival study's time and event (0/1) columns (``--time``, ``--event``); the
        time column is then the label column.
    harmonise : str or None
        Site (scanner, batch) column: ComBat harmonises the radiomic features per site, as
        the first step of every pipeline (fitted inside the training folds).
    harmonise_protect_label : bool
        Protect the label in ComBat (off by default: with a label confounded with the site
        it keeps site effects as signal; docs/harmonisation.md).
    harmonise_mean_only : bool
        Remove each site's location only (accepts sites with one training case).
    harmonise_covariates : list of str
        Columns whose effects ComBat keeps (its protected covariates, e.g. age and stage):
        numeric ones as they are, categorical ones (text, or named in
        ``clinical_categorical``) one-hot with the first category as the reference; missing
        values imputed inside the folds (training median / most frequent category). They
        reach the model only when they are also ``clinical`` columns.
    clinical : list of str
        Clinical columns passed beside the radiomic features (never through the radiomic
        selection): numeric ones imputed and scaled, text ones one-hot encoded, inside the
        folds.
    clinical_categorical : list of str
        Numeric clinical columns (or ComBat covariates) to treat as categories (e.g. a
        stage coded 1-4).
    """

    label: str | None = None
    positive: str | int | float | bool | None = None
    group: str | None = None
    id_columns: tuple[str, ...] = ("case_id", "roi")
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    time: str | None = None
    event: str | None = None
    harmonise: str | None = None
    harmonise_protect_label: bool = False
    harmonise_mean_only: bool = False
    clinical: tuple[str, ...] = ()
    clinical_categorical: tuple[str, ...] = ()
    harmonise_covariates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        clin = list(self.clinical)
        if len(set(clin)) != len(clin):
            fail(f"data.clinical: names must be unique, got {clin}")
        covs = list(self.harmonise_covariates)
        if len(set(covs)) != len(covs):
            fail(f"data.harmonise_covariates: names must be unique, got {covs}")
        if covs and self.harmonise is None:
            fail(
                "data.harmonise_covariates needs the site column: --harmonise COLUMN "
                "(or data.harmonise)"
            )
        odd = [c for c in self.clinical_categorical if c not in clin and c not in covs]
        if odd:
            fail(
                "data.clinical_categorical names columns in neither data.clinical nor "
                f"data.harmonise_covariates: {odd}"
            )
        roles = {"label": self.label, "group": self.group, "harmonise": self.harmonise}
        for c in clin:
            for role, col in roles.items():
                if col is not None and c == col:
                    fail(f"data.clinical: {c!r} is also the {role} column")
        roles = {"label": self.label, "group": self.group, "event": self.event}
        for c in covs:
            if c == self.harmonise:
                fail(f"data.harmonise_covariates: {c!r} is the site column itself")
            for role, col in roles.items():
                if col is not None and c == col:
                    hint = " (use --harmonise-protect-label)" if role == "label" else ""
                    fail(f"data.harmonise_covariates: {c!r} is the {role} column{hint}")
        if self.harmonise is not None and self.harmonise == self.label:
            fail(f"data.harmonise: {self.harmonise!r} is the label column")


@dataclass(frozen=True)
class ValidationSettings:
    """Repeated nested cross-validation, thresholds, intervals and the permutation check.

    Parameters
    ----------
    outer_folds, inner_folds : int
        Folds of the outer (performance) and inner (tuning and threshold) loops.
    repeats : int
        Repeats of the outer loop with different splits.
    threshold : str
        Threshold rule on inner out-of-fold probabilities: ``youden``, ``sens@X``,
        ``spec@X`` or ``fixed:X``.
    bootstrap : int
        Bootstrap resamples for the confidence intervals (0: none).
    permutations : int
        Label permutations of the primary model's nested CV (0: none).
    permutation_repeats : int
        Repeats of the outer loop per permutation.
    confidence : float
        Confidence level of the intervals.
    random_state : int
        Seed of every split, resample and randomised model.
    n_jobs : int
        Parallel processes; -1 = all cores.
    horizons : list of float
        Survival: the times at which the time-dependent AUC, the Brier score and the
        calibration are read (``--horizons``; default: quartiles of the event times).
    scheme : str
        ``kfold`` (repeated stratified group k-fold outer loop) or ``leave-one-group-out``
        (each group, e.g. a site, in turn is the outer test set; one repeat; the inner loop
        stays group k-fold).
    """

    outer_folds: int = 5
    inner_folds: int = 5
    repeats: int = 10
    threshold: str = "youden"
    bootstrap: int = 2000
    permutations: int = 10
    permutation_repeats: int = 1
    confidence: float = 0.95
    random_state: int = 0
    n_jobs: int = -1
    horizons: tuple[float, ...] = ()
    scheme: str = "kfold"

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            fail(
                f"validation.scheme must be one of {', '.join(SCHEMES)}, got {self.scheme!r}"
                f"{did_you_mean(str(self.scheme), list(SCHEMES))}"
            )
        for key in ("outer_folds", "inner_folds"):
            if getattr(self, key) < 2:
                fail(f"validation.{key} must be at least 2, got {getattr(self, key)}")
        if self.repeats < 1 or self.permutation_repeats < 1:
            fail("validation.repeats and validation.permutation_repeats must be at least 1")
        if self.bootstrap < 0 or self.permutations < 0:
            fail("validation.bootstrap and validation.permutations must be 0 or more")
        if 0 < self.bootstrap < 100:
            fail(f"validation.bootstrap needs at least 100 resamples (or 0), got {self.bootstrap}")
        if not 0.5 <= self.confidence < 1.0:
            fail(f"validation.confidence must be in [0.5, 1), got {self.confidence}")
        if self.n_jobs == 0:
            fail("validation.n_jobs must be a positive number of processes or -1 (all cores)")
        if self.random_state < 0:
            fail("validation.random_state must be a non-negative integer")
        try:
            parse_threshold_rule(self.threshold)
        except ValueError as exc:
            fail(f"validation.threshold: {exc}")


@dataclass(frozen=True)
class ExplainSettings:
    """Explanations of the primary model (:mod:`radiomix.learn.importance`).

    Parameters
    ----------
    importance : bool
        Permutation importance of the input features on every outer test fold, with the
        fold's fitted pipeline and the task's main score.
    importance_repeats : int
        Shuffles per feature and fold.
    importance_max_features : int
        Features permuted per fold at most: those that reach the model (the rest cannot
        change its output, importance exactly 0); when more reach it, the ones whose values
        follow the fold's predictions most closely (absolute Spearman correlation, no labels).
    shap : bool
        SHAP values of the final model on its training cases.
    shap_cases : int
        Training cases explained (evenly spaced) at most.
    shap_background : int
        Background cases of the model-agnostic explainer (and of the linear one's mean).
    """

    importance: bool = True
    importance_repeats: int = 5
    importance_max_features: int = 30
    shap: bool = True
    shap_cases: int = 300
    shap_background: int = 50

    def __post_init__(self) -> None:
        for key in ("importance_repeats", "importance_max_features", "shap_cases"):
            if getattr(self, key) < 1:
                fail(f"explain.{key} must be at least 1, got {getattr(self, key)}")
        if self.shap_background < 2:
            fail(f"explain.shap_background must be at least 2, got {self.shap_background}")


@dataclass(frozen=True)
class RobustnessSettings:
    """The label-free robustness filter (ICC table from ``radiomix robustness``).

    Parameters
    ----------
    icc_table : path or None
        ICC table (CSV or Parquet); None switches the filter off. Relative paths are taken
        from the folder of the study file.
    threshold : float
        Keep features with ICC >= threshold.
    missing : {"keep", "drop", "error"}
        Fate of features absent from the table.
    """

    icc_table: str | None = None
    threshold: float = 0.75
    missing: str = "keep"

    def __post_init__(self) -> None:
        if self.missing not in ("keep", "drop", "error"):
            fail(f"robustness.missing must be keep, drop or error, got {self.missing!r}")
        if not self.threshold <= 1.0:
            fail(f"robustness.threshold must be at most 1, got {self.threshold}")


def _pairs(value: Any, where: str, lists: bool) -> tuple[tuple[str, Any], ...]:
    if value is None:
        return ()
    if isinstance(value, tuple):  # already converted
        return value
    if not isinstance(value, Mapping):
        fail(f"{where} must be a mapping of step__parameter to values, got {value!r}")
    out = []
    for k, v in value.items():
        if not isinstance(k, str) or not k:
            fail(f"{where}: keys are step__parameter names, got {k!r}")
        if lists:
            vals = tuple(v) if isinstance(v, list | tuple) else (v,)
            if not vals:
                fail(f"{where}.{k} needs at least one value")
            out.append((k, vals))
        else:
            out.append((k, v))
    return tuple(out)


@dataclass(frozen=True)
class ModelSettings:
    """A model of the study: a built-in model (``base``) with optional overrides.

    Parameters
    ----------
    name : str
        Name used in outputs; naming a built-in model without ``base`` overrides it.
    base : str or None
        Built-in model to start from (default: ``name``).
    grid : mapping of ``step__param`` -> list, optional
        Replaces the built-in grid (an empty mapping means no search).
    params : mapping of ``step__param`` -> value, optional
        Fixed parameters set on the pipeline.
    include, exclude : list of str or None
        Feature-column patterns (None: those of the base model).
    """

    name: str = ""
    base: str | None = None
    grid: Any = None
    params: Any = None
    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.name:
            fail("every entry of models needs a name")
        base = self.base or self.name
        known = _all_models()
        if base not in known:
            fail(f"models.{self.name}: unknown base model {base!r}{did_you_mean(base, known)}")
        object.__setattr__(self, "base", base)
        if self.grid is not None:
            object.__setattr__(self, "grid", _pairs(self.grid, f"models.{self.name}.grid", True))
        object.__setattr__(self, "params", _pairs(self.params, f"models.{self.name}.params", False))


def _all_models() -> list[str]:
    from radiomix.learn.tasks import TASKS

    return list(dict.fromkeys(n for t in TASKS.values() for n in t.models))


def task_models(task: str | None) -> dict[str, ModelSpec]:
    """The built-in models of a task (``None``: two classes)."""
    if task is None:
        return MODELS
    from radiomix.learn.tasks import get_task

    return dict(get_task(task).models)


@dataclass(frozen=True)
class StudySettings:
    """The complete, resolved settings of a study.

    ``task`` is None when the label column decides (two values: binary, as always); the
    models are then checked against every task's, and against the task's own once it is
    known (:func:`radiomix.learn.study.run_study`).
    """

    name: str = "study"
    description: str = ""
    task: str | None = None
    primary: str = DEFAULT_MODEL
    comparators: tuple[str, ...] = ("shape_only_lr",)
    models: tuple[ModelSettings, ...] = ()
    data: DataSettings = field(default_factory=DataSettings)
    validation: ValidationSettings = field(default_factory=ValidationSettings)
    robustness: RobustnessSettings = field(default_factory=RobustnessSettings)
    explain: ExplainSettings = field(default_factory=ExplainSettings)
    compare: tuple[str, ...] = ()
    compare_model: str | None = None

    def __post_init__(self) -> None:
        if self.task is not None:
            from radiomix.learn.tasks import get_task

            get_task(self.task)  # a ConfigError naming the tasks
        custom = [m.name for m in self.models]
        if len(set(custom)) != len(custom):
            fail(f"models: names must be unique, got {custom}")
        builtin = _all_models() if self.task is None else list(task_models(self.task))
        if self.compare:
            bad = [c for c in self.compare if c not in COMPARE_MODELS]
            if bad or len(set(self.compare)) < 2:
                fail(
                    "compare takes two or three of clinical, radiomics, combined"
                    + (
                        f"; unknown: {bad}{did_you_mean(bad[0], list(COMPARE_MODELS))}"
                        if bad
                        else ""
                    )
                )
            if (
                "clinical" in self.compare or "combined" in self.compare
            ) and not self.data.clinical:
                fail("compare needs clinical columns: --clinical COL,COL (or data.clinical)")
            clash = [c for c in custom if c in COMPARE_MODELS]
            if clash:
                fail(f"models: {clash} are the names of the compare models; rename them")
            if self.compare_model is None:
                fail("compare_model: the model whose recipe the compare models use is missing")
            known0 = list(dict.fromkeys([*builtin, *custom]))
            if self.compare_model not in known0:
                fail(
                    f"unknown compare_model {self.compare_model!r}{did_you_mean(self.compare_model, known0)}"
                )
            builtin = [*builtin, *COMPARE_MODELS]
        known = list(dict.fromkeys([*builtin, *custom]))
        where = "" if self.task is None else f" for task {self.task!r}"
        for name in (self.primary, *self.comparators):
            if name not in known:
                fail(f"unknown model {name!r}{where}{did_you_mean(name, known)}")
        if self.task is not None:
            table = task_models(self.task)
            for m in self.models:
                if m.base not in table:
                    fail(
                        f"models.{m.name}: base model {m.base!r} is not a {self.task} model "
                        f"({', '.join(table)})"
                    )
        comps = tuple(dict.fromkeys(c for c in self.comparators if c != self.primary))
        object.__setattr__(self, "comparators", comps)
        for m in self.models:  # check parameter names now, not after an hour of training
            resolve_model(self, m.name, any_task=self.task is None)

    @property
    def model_names(self) -> list[str]:
        """The primary model, then the comparators."""
        return [self.primary, *self.comparators]


def _check_keys(pipe: Pipeline, keys: list[str], where: str) -> None:
    valid = sorted(pipe.get_params(deep=True))
    for key in keys:
        if key not in valid:
            fail(f"{where}: {key!r} is not a parameter of the pipeline{did_you_mean(key, valid)}")


def resolve_model(
    settings: StudySettings,
    name: str,
    *,
    any_task: bool = False,
    category_names: Mapping[str, list[str]] | None = None,
) -> ModelSpec:
    """The model ``name`` of a study: its built-in spec with the study's overrides applied.

    The built-in models are those of the study's task (two classes when it has none; with
    ``any_task``, the first task that has the base model: for checking settings before the
    task is known). Also adds the robustness filter in front of the pipeline when the
    study has an ICC table. ``category_names`` (per categorical clinical column, the texts
    of its categories) names the encoded clinical columns (``stage=T2``).
    """
    if settings.compare and name in COMPARE_MODELS:
        return _compare_model(settings, name, any_task=any_task, category_names=category_names)
    spec = _resolve(settings, name, any_task=any_task)
    d = settings.data
    if d.clinical:
        return _with_clinical(spec, d, name, radiomics=True, category_names=category_names)
    if d.harmonise is not None:
        return _with_harmonise(spec, d)
    return spec


def _combat(d: DataSettings, *, passthrough: tuple[str, ...] = (), drop: bool = True) -> Any:
    """The study's ComBat step: the site column, the protected covariates (categorical ones
    one-hot, missing values imputed inside the fold), ``passthrough`` columns carried
    unchanged; ``drop``: the covariates leave the step (they reach the model only as
    clinical columns)."""
    from radiomix.learn.harmonise import ComBat

    assert d.harmonise is not None
    covariates = tuple(d.harmonise_covariates)
    return ComBat(
        batch=d.harmonise,
        covariates=covariates,
        categorical_covariates=tuple(c for c in covariates if c in d.clinical_categorical),
        impute_covariates=True,
        protect_label=d.harmonise_protect_label,
        mean_only=d.harmonise_mean_only,
        warn_unseen=False,  # the study reports unseen sites and categories itself
        passthrough=passthrough,
        drop_covariates=drop,
    ).set_output(transform="pandas")


def _with_harmonise(spec: ModelSpec, d: DataSettings) -> ModelSpec:
    """ComBat first in line (before the imputer); the grid keys are unchanged."""
    inner = spec.build

    def build() -> Pipeline:
        pipe = inner()
        return Pipeline([("harmonise", _combat(d)), *pipe.steps])

    site = (str(d.harmonise), *d.harmonise_covariates)
    return dataclasses.replace(spec, build=build, columns_removed=site, columns_added=site)


def _with_clinical(
    spec: ModelSpec,
    d: DataSettings,
    name: str,
    *,
    radiomics: bool,
    category_names: Mapping[str, list[str]] | None = None,
) -> ModelSpec:
    """The clinical columns beside the radiomic pipeline (``radiomics=True``: combined) or
    alone: a column transformer encodes them inside the folds (never selected); the
    radiomic steps take the other columns. When harmonising, ComBat comes first: it
    harmonises the radiomic features with its covariates protected and passes the clinical
    columns through unchanged; covariates that are not clinical columns are dropped after
    it."""
    from sklearn.compose import ColumnTransformer

    from radiomix.learn.clinical import ClinicalEncoder

    inner = spec.build
    clinical = list(d.clinical)
    categorical = tuple(c for c in d.clinical_categorical if c in clinical)
    names = {c: list(v) for c, v in (category_names or {}).items() if c in categorical}
    harmonise = d.harmonise if radiomics else None
    covariates = list(d.harmonise_covariates) if harmonise is not None else []
    only_combat = [c for c in covariates if c not in clinical]

    def build() -> Pipeline:
        pipe = inner()
        *prep, last = pipe.steps
        enc = ClinicalEncoder(categorical=categorical, category_names=names, warn_unseen=False)
        if not radiomics:
            return Pipeline([("clinical", enc), last])
        remainder: Any = Pipeline(list(prep)) if prep else "passthrough"
        parts: list[Any] = [("clinical", enc, clinical)]
        if only_combat:
            parts.append(("covariates", "drop", only_combat))
        ct = ColumnTransformer(parts, remainder=remainder, verbose_feature_names_out=False)
        if harmonise is None:
            return Pipeline([("features", ct), last])
        keep = tuple(c for c in clinical if c not in covariates)
        combat = _combat(d, passthrough=keep, drop=False)
        return Pipeline([("harmonise", combat), ("features", ct), last])

    last_name = spec.build().steps[-1][0]
    parts = []
    for part in grid_parts(spec.grid):
        if radiomics:
            parts.append(
                {
                    (k if k.partition("__")[0] == last_name else f"features__remainder__{k}"): v
                    for k, v in part.items()
                }
            )
        else:
            parts.append({k: v for k, v in part.items() if k.partition("__")[0] == last_name})
    grid: Any = parts[0] if len(parts) == 1 else parts
    site = (str(d.harmonise), *d.harmonise_covariates) if d.harmonise is not None else ()
    removed = (*clinical, *site)
    added = (*((str(harmonise), *only_combat) if harmonise is not None else ()), *clinical)
    what = "radiomic features and clinical columns" if radiomics else "clinical columns only"
    return dataclasses.replace(
        spec,
        name=name,
        description=f"{spec.description}; {what} ({', '.join(clinical)})",
        build=build,
        grid=grid,
        columns_removed=removed,
        columns_added=added,
        radiomics=radiomics,
    )


def _compare_model(
    settings: StudySettings,
    name: str,
    *,
    any_task: bool,
    category_names: Mapping[str, list[str]] | None = None,
) -> ModelSpec:
    """``clinical``, ``radiomics`` or ``combined``: the compare model's recipe (the
    radiomics model harmonises with the same covariates, which then leave it)."""
    assert settings.compare_model is not None
    spec = _resolve(settings, settings.compare_model, any_task=any_task)
    d = settings.data
    if name == "radiomics":
        spec = _with_harmonise(spec, d) if d.harmonise is not None else spec
        site = (str(d.harmonise), *d.harmonise_covariates) if d.harmonise is not None else ()
        removed = (*d.clinical, *site)
        return dataclasses.replace(
            spec,
            name=name,
            description=f"{spec.description}; radiomic features only",
            columns_removed=removed,
        )
    return _with_clinical(
        spec, d, name, radiomics=name == "combined", category_names=category_names
    )


def _resolve(settings: StudySettings, name: str, *, any_task: bool = False) -> ModelSpec:
    """The built-in spec of ``name`` with the study's overrides and robustness filter."""
    override = next((m for m in settings.models if m.name == name), None)
    table = task_models(settings.task)
    key = override.base if override is not None and override.base else name
    if any_task and key not in table:
        from radiomix.learn.tasks import TASKS

        table = next((dict(t.models) for t in TASKS.values() if key in t.models), table)
    if key not in table:
        fail(
            f"model {key!r} is not a {settings.task or 'binary'} model; "
            f"{settings.task or 'binary'} models: {', '.join(table)}"
        )
    base = table[key]
    parts = grid_parts(base.grid)
    families = base.families
    params: dict[str, Any] = {}
    include, exclude = base.include, base.exclude
    if override is not None:
        if override.grid is not None:  # one grid of the base pipeline: no family to choose
            parts = [{k: list(v) for k, v in override.grid}]
            families = ()
        params = dict(override.params)
        if override.include is not None:
            include = tuple(override.include)
        if override.exclude is not None:
            exclude = tuple(override.exclude)
    probe = base.build()
    _check_keys(probe, list(params), f"models.{name}.params")
    for part in parts:  # each sub-grid on the pipeline as its step replacements make it
        steps = {k: v[0] for k, v in part.items() if "__" not in k and v}
        shaped = clone(probe).set_params(**clone(steps, safe=False)) if steps else probe
        _check_keys(shaped, list(part), f"models.{name}.grid")
    grid: Any = (parts[0] if parts else {}) if len(parts) <= 1 else parts
    rob = settings.robustness

    def build() -> Pipeline:
        pipe = base.build()
        if params:
            pipe.set_params(**params)
        if rob.icc_table is not None:
            filt = RobustnessFilter(
                icc_table=rob.icc_table, threshold=rob.threshold, missing=rob.missing
            )
            pipe = Pipeline([("robust", filt), *((n, clone(s)) for n, s in pipe.steps)])
        return pipe

    return ModelSpec(
        name=name,
        description=base.description if override is None else f"{base.description} ({name})",
        build=build,
        grid=grid,
        include=tuple(include),
        exclude=tuple(exclude),
        families=families,
    )


def study_from_dict(data: Mapping[str, Any] | None, base_dir: Path | None = None) -> StudySettings:
    """Build validated study settings from a plain mapping (parsed YAML).

    A task other than binary without ``primary`` / ``comparators`` gets its own defaults
    (for regression: ``ridge_mrmr`` and ``shape_only_ridge``). ``data.time`` with
    ``data.event`` and no ``task`` is a survival study.
    """
    data = dict(data or {})
    section = data.get("data")
    if isinstance(section, Mapping) and section.get("time") is not None:
        data["data"] = {**section, "label": section["time"]}  # survival: time is the label
        if section.get("event") is not None and data.get("task") is None:
            data["task"] = "survival"  # a time and an event say it (as --time/--event do)
    task = data.get("task")
    if isinstance(task, str) and task != "binary":
        from radiomix.learn.tasks import TASKS

        if task in TASKS:
            data.setdefault("primary", TASKS[task].default_primary)
            data.setdefault("comparators", list(TASKS[task].default_comparators))
    compare = data.get("compare")
    if isinstance(compare, str):
        compare = [c.strip() for c in compare.split(",") if c.strip()]
        data["compare"] = compare
    if compare and isinstance(compare, list | tuple):
        # the compare models replace primary and comparators: combined (else radiomics)
        # against the others, all with the recipe of compare_model (default: the primary)
        primary = data.get("primary", DEFAULT_MODEL)
        if data.get("compare_model") is None:
            data["compare_model"] = primary if primary not in COMPARE_MODELS else DEFAULT_MODEL
        order = [c for c in ("combined", "radiomics", "clinical") if c in compare]
        if order:
            data["primary"] = order[0]
            data["comparators"] = order[1:]
    settings: StudySettings = build(StudySettings, data, "")
    icc = settings.robustness.icc_table
    if icc is not None and base_dir is not None and not Path(icc).is_absolute():
        rob = dataclasses.replace(settings.robustness, icc_table=str((base_dir / icc).resolve()))
        settings = dataclasses.replace(settings, robustness=rob)
    return settings


def load_study(
    config: str | Path | Mapping[str, Any] | StudySettings | None,
    overrides: Mapping[str, Any] | None = None,
) -> StudySettings:
    """Resolve study settings from a YAML path, a mapping, settings, or None (defaults).

    ``overrides`` (a nested mapping, e.g. ``{"data": {"label": "y"}}``) is merged on top, the
    way command-line options override the file.
    """
    base_dir: Path | None = None
    if isinstance(config, StudySettings):
        data = study_to_dict(config)
    elif config is None:
        data = {}
    elif isinstance(config, Mapping):
        data = dict(config)
    else:
        path = Path(config)
        if not path.is_file():
            fail(f"study config {path} does not exist")
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            fail(f"cannot read study config {path}: {exc}")
        if loaded is not None and not isinstance(loaded, Mapping):
            fail(f"study config {path} must be a YAML mapping")
        data = dict(loaded or {})
        base_dir = path.resolve().parent
    if overrides:
        data = deep_merge(data, overrides)
    return study_from_dict(data, base_dir)


def _plain(v: Any) -> Any:
    if isinstance(v, tuple | list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, float) and math.isinf(v):
        return str(v)
    return v


def study_to_dict(settings: StudySettings) -> dict[str, Any]:
    """Plain-data form of study settings (YAML/JSON ready); round-trips through
    :func:`study_from_dict`."""
    out: dict[str, Any] = {
        "name": settings.name,
        "description": settings.description,
    }
    if settings.task is not None:  # absent when the label decides (as before tasks existed)
        out["task"] = settings.task
    out |= {
        "primary": settings.primary,
        "comparators": list(settings.comparators),
        "data": _plain(dataclasses.asdict(settings.data)),
        "validation": _plain(dataclasses.asdict(settings.validation)),
        "robustness": _plain(dataclasses.asdict(settings.robustness)),
        "explain": _plain(dataclasses.asdict(settings.explain)),
        "models": [],
    }
    if settings.compare:  # absent otherwise (as before compare existed)
        out["compare"] = list(settings.compare)
        out["compare_model"] = settings.compare_model
    for m in settings.models:
        entry: dict[str, Any] = {"name": m.name, "base": m.base}
        if m.grid is not None:
            entry["grid"] = {k: _plain(list(v)) for k, v in m.grid}
        if m.params:
            entry["params"] = {k: _plain(v) for k, v in m.params}
        if m.include is not None:
            entry["include"] = list(m.include)
        if m.exclude is not None:
            entry["exclude"] = list(m.exclude)
        out["models"].append(entry)
    return out


def study_to_yaml(settings: StudySettings) -> str:
    return yaml.safe_dump(study_to_dict(settings), sort_keys=False, default_flow_style=None)
