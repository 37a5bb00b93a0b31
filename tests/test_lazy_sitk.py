"""``is_sitk_image`` while another thread is still importing SimpleITK.

The mask is read in a second thread (SimpleITK for NIfTI); meanwhile the main thread asks
whether the image argument is a SimpleITK image. A module being imported is already in
``sys.modules`` without its attributes: the check must answer False then, not raise
``AttributeError: partially initialized module 'SimpleITK' has no attribute 'Image'``.
"""

from __future__ import annotations

import sys
import types

import pytest

from radiomix._lazy import is_sitk_image


def test_partially_imported_simpleitk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "SimpleITK", types.ModuleType("SimpleITK"))
    assert is_sitk_image("image.nii.gz") is False


def test_simpleitk_image() -> None:
    import numpy as np
    import SimpleITK as sitk

    assert is_sitk_image(sitk.GetImageFromArray(np.zeros((2, 2, 2))))
    assert not is_sitk_image(np.zeros((2, 2, 2)))
