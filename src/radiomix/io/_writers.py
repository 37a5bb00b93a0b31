"""Writing volumes to NIfTI, NRRD and MetaImage, atomically."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from radiomix._lazy import lazy_module
from radiomix.io._readers import VOLUME_FORMATS, sitk_message, suffix_of, to_sitk
from radiomix.io._volume import Volume

sitk = lazy_module("SimpleITK")  # imported on first use (see radiomix._lazy)

__all__ = ["write_volume"]


def write_volume(volume: Volume, path: str | Path, *, compress: bool = True) -> None:
    """Write ``volume`` as NIfTI, NRRD or MetaImage, chosen by the extension of ``path``.

    The file (with its data file for ``.nhdr``/``.mhd``) is first written in a temporary
    folder beside ``path`` and then renamed into place, so a reader never sees a partial file.

    Parameters
    ----------
    volume : Volume
        Booleans are written as uint8.
    path : str or Path
        ``.nii``, ``.nii.gz``, ``.nrrd``, ``.nhdr``, ``.mha`` or ``.mhd``.
    compress : bool
        Compress the voxel data where the format allows (``.nii.gz`` is always compressed).

    Raises
    ------
    ValueError
        Unknown extension.
    OSError
        The file could not be written.
    """
    target = Path(path).expanduser()
    suffix = suffix_of(target)
    if suffix not in VOLUME_FORMATS:
        raise ValueError(
            f"cannot write {target}: unknown extension {suffix or '(none)'!r}; use one of "
            + ", ".join(VOLUME_FORMATS)
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    image = to_sitk(volume)
    tmp_dir = Path(tempfile.mkdtemp(prefix=".radiomix-write-", dir=target.parent))
    try:
        tmp = tmp_dir / target.name
        try:
            sitk.WriteImage(image, str(tmp), useCompression=compress)
        except RuntimeError as exc:
            raise OSError(f"could not write {target}: {sitk_message(exc)}") from exc
        # data files of detached headers first, the header (the file users open) last
        for part in sorted(tmp_dir.iterdir(), key=lambda p: p.name == target.name):
            os.replace(part, target.parent / part.name)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
