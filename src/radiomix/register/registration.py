"""Image registration with SimpleITK: rigid, affine and B-spline, multi-resolution.

The transform found maps points of the FIXED image's physical space to the MOVING image's
physical space (ITK's convention). Resampling MOVING onto FIXED's grid uses it as it is;
carrying something drawn on FIXED onto MOVING's grid needs its inverse
(:mod:`radiomix.register.propagate`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import SimpleITK as sitk

from radiomix.errors import ConfigError, InvalidImageError
from radiomix.register._common import as_sitk_image, as_sitk_mask

__all__ = ["METHODS", "METRICS", "RegistrationResult", "register", "transform_parameters"]

Method = Literal["rigid", "affine", "bspline"]
Metric = Literal["mi", "ncc", "ms"]

METHODS = ("rigid", "affine", "bspline")
METRICS = ("mi", "ncc", "ms")
INITS = ("geometry", "moments")

#: multi-resolution schedule per stage: shrink factors and smoothing sigmas (in mm)
_SCHEDULE: dict[str, tuple[list[int], list[float]]] = {
    "rigid": ([4, 2, 1], [2.0, 1.0, 0.0]),
    "affine": ([4, 2, 1], [2.0, 1.0, 0.0]),
    "bspline": ([2, 1], [1.0, 0.0]),
}
#: iterations per resolution level per stage
_ITERATIONS = {"rigid": 200, "affine": 150, "bspline": 30}


@dataclass
class RegistrationResult:
    """The outcome of :func:`register`.

    Attributes
    ----------
    transform : SimpleITK.Transform
        Maps points of the fixed image's space to the moving image's space; for affine and
        B-spline a composite transform whose first stage is the rigid one.
    quality : dict
        JSON-able record: method, metric, final metric value per stage, iterations per
        resolution level, the optimiser's stop condition, seconds, the parameters.
    """

    transform: sitk.Transform
    quality: dict[str, Any] = field(default_factory=dict)


def _check_choice(value: str, choices: tuple[str, ...], what: str) -> None:
    if value not in choices:
        raise ConfigError(f"{what} {value!r}: use one of {', '.join(choices)}")


def _set_metric(reg: sitk.ImageRegistrationMethod, metric: str) -> None:
    if metric == "mi":
        reg.SetMetricAsMattesMutualInformation(numberOfHistogramBins=50)
    elif metric == "ncc":
        reg.SetMetricAsCorrelation()
    else:
        reg.SetMetricAsMeanSquares()


def _run_stage(
    fixed: sitk.Image,
    moving: sitk.Image,
    *,
    stage: str,
    metric: str,
    initial: sitk.Transform,
    moving_initial: sitk.Transform | None,
    fixed_mask: sitk.Image | None,
    sampling: float,
    max_samples: int,
    seed: int,
    iterations: int | None,
) -> tuple[sitk.Transform, dict[str, Any]]:
    """One multi-resolution optimisation; returns the optimised transform and its record."""
    reg = sitk.ImageRegistrationMethod()
    _set_metric(reg, metric)
    reg.SetInterpolator(sitk.sitkLinear)
    if fixed_mask is not None:
        reg.SetMetricFixedMask(fixed_mask)
    shrink, sigmas = _SCHEDULE[stage]
    # the fraction ``sampling`` of each level's voxels, at most ``max_samples`` of them
    voxels = [math.prod(math.ceil(n / f) for n in fixed.GetSize()) for f in shrink]
    reg.SetMetricSamplingStrategy(reg.RANDOM)
    reg.SetMetricSamplingPercentagePerLevel([min(sampling, max_samples / v) for v in voxels], seed)
    reg.SetShrinkFactorsPerLevel(shrink)
    reg.SetSmoothingSigmasPerLevel(sigmas)
    reg.SmoothingSigmasAreSpecifiedInPhysicalUnitsOn()
    n_iter = iterations or _ITERATIONS[stage]
    if stage == "bspline":
        reg.SetOptimizerAsLBFGSB(
            gradientConvergenceTolerance=1e-5,
            numberOfIterations=n_iter,
            maximumNumberOfCorrections=5,
            maximumNumberOfFunctionEvaluations=2 * n_iter,
            costFunctionConvergenceFactor=1e7,
        )
    else:
        reg.SetOptimizerAsRegularStepGradientDescent(
            learningRate=2.0 * min(fixed.GetSpacing()),
            minStep=1e-4,
            numberOfIterations=n_iter,
            relaxationFactor=0.6,
            gradientMagnitudeTolerance=1e-8,
        )
        reg.SetOptimizerScalesFromPhysicalShift()
    if moving_initial is not None:
        reg.SetMovingInitialTransform(moving_initial)
    reg.SetInitialTransform(initial, inPlace=False)

    counts: list[int] = []

    def on_level() -> None:
        counts.append(0)

    def on_iteration() -> None:
        if counts:
            counts[-1] += 1

    reg.AddCommand(sitk.sitkMultiResolutionIterationEvent, on_level)
    reg.AddCommand(sitk.sitkIterationEvent, on_iteration)
    start = time.perf_counter()
    out = reg.Execute(fixed, moving)
    seconds = time.perf_counter() - start
    value = float(reg.GetMetricValue())
    record = {
        "stage": stage,
        "metric_value": value if math.isfinite(value) else None,
        "iterations_per_level": counts,
        "shrink_factors": shrink,
        "smoothing_sigmas_mm": sigmas,
        "stop_condition": reg.GetOptimizerStopConditionDescription(),
        "seconds": round(seconds, 3),
    }
    return out, record


def _flat(transform: sitk.Transform) -> sitk.Transform:
    """The innermost transform of a one-element composite (what ``Execute`` returns)."""
    if transform.GetName() == "CompositeTransform":
        comp = sitk.CompositeTransform(transform)
        if comp.GetNumberOfTransforms() == 1:
            return comp.GetNthTransform(0).Downcast()
    return transform.Downcast()


def transform_parameters(transform: sitk.Transform) -> list[dict[str, Any]]:
    """The stages of ``transform`` as JSON-able records (name, parameters, fixed parameters).

    B-spline coefficients are summarised (count, largest displacement coefficient in mm)
    rather than listed.
    """
    if transform.GetName() == "CompositeTransform":
        comp = sitk.CompositeTransform(transform)
        parts = [comp.GetNthTransform(i) for i in range(comp.GetNumberOfTransforms())]
    else:
        parts = [transform]
    records = []
    for part in parts:
        t = part.Downcast()
        name = t.GetName()
        params = list(t.GetParameters())
        rec: dict[str, Any] = {"name": name}
        if name.startswith("BSpline"):
            rec["number_of_parameters"] = len(params)
            rec["max_abs_coefficient_mm"] = max((abs(p) for p in params), default=0.0)
            rec["mesh_size"] = list(t.GetTransformDomainMeshSize())
        else:
            rec["parameters"] = params
            rec["fixed_parameters"] = list(t.GetFixedParameters())
            if hasattr(t, "GetMatrix"):
                rec["matrix"] = list(t.GetMatrix())
                rec["translation_mm"] = list(t.GetTranslation())
                rec["center_mm"] = list(t.GetCenter())
        records.append(rec)
    return records


def register(
    fixed: Any,
    moving: Any,
    *,
    method: Method = "rigid",
    metric: Metric = "mi",
    fixed_mask: Any = None,
    init: Literal["geometry", "moments"] = "geometry",
    iterations: int | None = None,
    sampling: float = 0.25,
    max_samples: int = 100_000,
    bspline_grid_mm: float = 40.0,
    seed: int = 1,
) -> RegistrationResult:
    """Register ``moving`` onto ``fixed``.

    Parameters
    ----------
    fixed, moving : str, Path, Volume or SimpleITK.Image
        The two images (anything :func:`radiomix.io.read_image` reads).
    method : {"rigid", "affine", "bspline"}
        Rigid (rotation + translation, ``Euler3DTransform``); affine (a rigid stage, then a
        12-parameter affine started from it); B-spline (a rigid stage, then a cubic B-spline
        free-form deformation with control points about ``bspline_grid_mm`` apart on the
        fixed image, composed after the rigid one).
    metric : {"mi", "ncc", "ms"}
        Mattes mutual information (50 bins; works across modalities), normalised
        cross-correlation, or mean squares (same modality, same intensity scale).
    fixed_mask : str, Path, Volume or SimpleITK.Image, optional
        Only fixed-image voxels inside this mask (non-zero) drive the metric.
    init : {"geometry", "moments"}
        Start by aligning the images' geometric centres or their centres of mass.
    iterations : int, optional
        Iterations per resolution level (default 200 rigid, 150 affine, 60 B-spline).
    sampling : float
        Fraction of each resolution level's fixed voxels sampled (at random, with ``seed``)
        for the metric.
    max_samples : int
        At most this many samples per level: on large images the metric's cost per
        iteration stays bounded (100,000 samples are plenty for rigid and affine fits).
    bspline_grid_mm : float
        Control point spacing of the B-spline stage, in mm.
    seed : int
        Seed of the metric's random sampling (the result is repeatable).

    Returns
    -------
    RegistrationResult
        ``transform`` maps FIXED points to MOVING points; ``quality`` is JSON-able.

    Notes
    -----
    Each stage is multi-resolution: rigid at shrink factors 4, 2, 1 (smoothing 2, 1, 0 mm),
    affine and B-spline at 2, 1 (1, 0 mm). Rigid and affine use gradient descent whose
    learning rate is re-estimated at every iteration and whose parameter scales come from the
    physical shift each parameter causes (``SetOptimizerScalesFromPhysicalShift``), with steps
    of at most twice the smallest voxel size; B-spline uses L-BFGS-B.
    """
    _check_choice(method, METHODS, "method")
    _check_choice(metric, METRICS, "metric")
    _check_choice(init, INITS, "init")
    if not 0.0 < sampling <= 1.0:
        raise ConfigError(f"sampling {sampling}: use a fraction in (0, 1]")
    if max_samples < 1000:
        raise ConfigError(f"max_samples {max_samples}: use at least 1000")
    fixed_img = as_sitk_image(fixed, "fixed image")
    moving_img = as_sitk_image(moving, "moving image")
    for img, what in ((fixed_img, "fixed"), (moving_img, "moving")):
        if img.GetDimension() != 3 or min(img.GetSize()) < 4:
            raise InvalidImageError(
                f"the {what} image is {img.GetSize()} voxels: registration needs a 3D image "
                "at least 4 voxels along each axis"
            )
    mask_img = None
    if fixed_mask is not None:
        mask_img = as_sitk_mask(fixed_mask, reference=fixed_img)
        mask_img = sitk.Cast(mask_img > 0, sitk.sitkUInt8)
        if not any(sitk.GetArrayViewFromImage(mask_img).ravel()):
            raise InvalidImageError("the fixed mask is empty: it would leave no voxel to compare")

    start = time.perf_counter()
    mode = (
        sitk.CenteredTransformInitializerFilter.GEOMETRY
        if init == "geometry"
        else sitk.CenteredTransformInitializerFilter.MOMENTS
    )
    rigid0 = sitk.CenteredTransformInitializer(fixed_img, moving_img, sitk.Euler3DTransform(), mode)
    common: dict[str, Any] = {
        "metric": metric,
        "fixed_mask": mask_img,
        "sampling": sampling,
        "max_samples": max_samples,
        "seed": seed,
    }
    rigid_out, rigid_rec = _run_stage(
        fixed_img,
        moving_img,
        stage="rigid",
        initial=rigid0,
        moving_initial=None,
        iterations=iterations,
        **common,
    )
    rigid = sitk.Euler3DTransform(_flat(rigid_out))
    stages = [rigid_rec]
    transform: sitk.Transform = rigid
    if method == "affine":
        affine0 = sitk.AffineTransform(3)
        affine0.SetCenter(rigid.GetCenter())
        affine0.SetMatrix(rigid.GetMatrix())
        affine0.SetTranslation(rigid.GetTranslation())
        affine_out, rec = _run_stage(
            fixed_img,
            moving_img,
            stage="affine",
            initial=affine0,
            moving_initial=None,
            iterations=iterations,
            **common,
        )
        stages.append(rec)
        # the affine stage starts from the rigid result and refines it into one affine map
        transform = sitk.AffineTransform(_flat(affine_out))
    elif method == "bspline":
        size = fixed_img.GetSize()
        spacing = fixed_img.GetSpacing()
        mesh = [max(1, round(n * s / bspline_grid_mm)) for n, s in zip(size, spacing, strict=True)]
        bspline0 = sitk.BSplineTransformInitializer(fixed_img, mesh, order=3)
        bspline_out, rec = _run_stage(
            fixed_img,
            moving_img,
            stage="bspline",
            initial=bspline0,
            moving_initial=rigid,
            iterations=iterations,
            **common,
        )
        stages.append(rec)
        rec["mesh_size"] = mesh
        # ITK's composite applies its last transform first: a fixed point goes through the
        # B-spline deformation, then the rigid transform, into the moving image
        transform = sitk.CompositeTransform([rigid, _flat(bspline_out)])
    quality = {
        "method": method,
        "metric": metric,
        "init": init,
        "fixed_mask": fixed_mask is not None,
        "sampling": sampling,
        "max_samples": max_samples,
        "seed": seed,
        "final_metric_value": stages[-1]["metric_value"],
        "stages": stages,
        "seconds": round(time.perf_counter() - start, 3),
        "transform": transform_parameters(transform),
        "direction": "maps points of the fixed image's space to the moving image's space",
    }
    return RegistrationResult(transform=transform, quality=quality)
