"""Applying a trained model to images: the one per-case prediction path.

``radiomix predict RUN_DIR IMAGE MASK`` and the web app (``radiomix app``) both predict a
case through these functions: the features are re-extracted with the extraction settings
stored in the model bundle (:func:`extract_case`), then the bundle's pipeline predicts them
(:meth:`~radiomix.learn.bundle.ModelBundle.predict_table`). The images are read by
:mod:`radiomix.extraction`; nothing here opens a file but the bundle.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from radiomix.errors import ModelBundleError

if TYPE_CHECKING:
    import pandas as pd

    from radiomix.extraction.settings import ExtractionSettings
    from radiomix.learn.bundle import ModelBundle

__all__ = ["bundle_settings", "extract_case", "load_run_bundle", "predict_case"]


def load_run_bundle(run_dir: str | Path, model: str | None = None) -> ModelBundle:
    """The primary model of a run directory, or the comparator named ``model``.

    Raises
    ------
    ModelBundleError
        No such bundle (the message lists the comparators), or an unreadable one.
    """
    from radiomix.learn.bundle import ModelBundle

    run = Path(run_dir)
    if model is None:
        return ModelBundle.load(run / "model.joblib")
    primary = run / "model.joblib"
    if primary.is_file():
        b = ModelBundle.load(primary)
        if b.name == model:
            return b
    path = run / "models" / f"{model}.joblib"
    if not path.is_file():
        names = sorted(q.stem for q in (run / "models").glob("*.joblib"))
        raise ModelBundleError(
            f"no model {model!r} in {run} (comparators: {', '.join(names) or 'none'})"
        )
    return ModelBundle.load(path)


def bundle_settings(bundle: ModelBundle) -> ExtractionSettings:
    """The extraction settings stored in ``bundle``, resolved.

    Raises
    ------
    ModelBundleError
        The bundle does not know how its features were extracted.
    """
    if bundle.extraction_settings is None:
        raise ModelBundleError(
            f"the model {bundle.name!r} does not know how its features were extracted (the "
            "training table had no settings file beside it and train got no "
            "--extraction-config); extract the features yourself and use --table, or retrain "
            "with --extraction-config"
        )
    from radiomix.extraction.settings import load_config

    return load_config(bundle.extraction_settings)


def extract_case(
    settings: ExtractionSettings,
    image: Any,
    mask: Any,
    *,
    label: int | None = None,
    case_id: str | None = None,
) -> pd.DataFrame:
    """The wide feature rows of one image and its mask, extracted with ``settings``.

    Parameters
    ----------
    settings : ExtractionSettings
        From :func:`bundle_settings`.
    image, mask : path or Volume
        As :func:`radiomix.extract` takes them.
    label : int, optional
        ROI label of the mask (None: each non-zero label its own ROI).
    case_id : str, optional
    """
    from radiomix.extraction.api import extract

    return extract(image, mask, config=settings, label=label, case_id=case_id)


def predict_case(
    bundle: ModelBundle,
    image: Any,
    mask: Any,
    *,
    settings: ExtractionSettings | None = None,
    label: int | None = None,
    case_id: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Features and prediction of one case, as ``radiomix predict RUN_DIR IMAGE MASK``.

    Parameters
    ----------
    bundle : ModelBundle
    image, mask : path or Volume
    settings : ExtractionSettings, optional
        The bundle's settings, resolved once by the caller (else resolved here).
    label : int, optional
    case_id : str, optional

    Returns
    -------
    features : DataFrame
        The extracted wide row(s), one per ROI.
    predictions : DataFrame
        :meth:`~radiomix.learn.bundle.ModelBundle.predict_table` of ``features``.
    """
    s = settings if settings is not None else bundle_settings(bundle)
    features = extract_case(s, image, mask, label=label, case_id=case_id)
    return features, bundle.predict_table(features, allow_extra=True)
