"""PyRadiomics compatibility: parameter files, column names and the extractor API.

This package only translates: PyRadiomics parameter files become radiomix settings with the
``pyradiomics`` profile (:mod:`radiomix.compat.params`), and results get PyRadiomics' names
(:mod:`radiomix.compat.featureextractor`). The numbers come from the engine's profile
(:mod:`radiomix.features.pyradiomics_profile`, :mod:`radiomix.extraction.profile_pyradiomics`).

Port a PyRadiomics script by changing its import::

    from radiomix.compat import featureextractor

    extractor = featureextractor.RadiomicsFeatureExtractor("params.yaml")
    result = extractor.execute("image.nrrd", "mask.nrrd")  # OrderedDict, PyRadiomics' keys
"""

from radiomix.compat.params import load_params, settings_from_params

__all__ = ["load_params", "settings_from_params"]
