"""Probe of every subcommand with broken input: fails early and cleanly.

Each case runs ``radiomix`` as a subprocess in its own folder with one broken input (NaN or
infinite voxels, truncated files, broken YAML, odd manifests, unwritable or unknown outputs,
bad segmentation prompts, bad tables, a missing run directory) and checks what the user
sees: exit status 2 and exactly one line ``radiomix: error: ...`` on stderr (no traceback),
or 3 for a batch in which some cases failed, with the errors table written; and that
nothing is left behind (no output, no temporary file).

The subprocesses run concurrently (one fixture starts the selected cases at once), so the
whole probe takes about as long as its slowest few commands.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

#: a folder that cannot be created, even by root
PROC = "/proc/radiomix-out"

#: extraction settings of the probe: one cheap family
STATS_YAML = "features: {families: [statistics]}\n"

#: the quickest study: one model, 2 x 2 folds, one repeat, no permutation, no bootstrap
TINY_STUDY = """\
name: probe
primary: lr_l2_mrmr
comparators: []
validation: {outer_folds: 2, inner_folds: 2, repeats: 1, permutations: 0, bootstrap: 0, n_jobs: 1}
models:
  - {name: lr_l2_mrmr, grid: {select__k: [2], clf__C: [1.0]}}
"""

Setup = Callable[[Path, "Shared"], None]
Check = Callable[[Path], None]


@dataclass(frozen=True)
class Shared:
    """Inputs every case may use (outside the case folders)."""

    root: Path
    img: Path  # float image, (z, y, x) = (6, 10, 10)
    bin: Path  # binary mask
    lab: Path  # label map: labels 1 and 2
    stats: Path  # extraction settings (statistics only)
    table: Path  # feature table of 16 cases, label column 'diagnosis'
    run: Path  # run directory of radiomix train on that table

    def fmt(self, arg: str) -> str:
        return arg.format(
            img=self.img,
            bin=self.bin,
            lab=self.lab,
            stats=self.stats,
            table=self.table,
            run=self.run,
            proc=PROC,
        )


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    setup: Setup | None = None
    code: int = 2
    match: str = ""  # a piece of the error line
    outputs: tuple[str, ...] = ()  # files the command leaves in its folder (exit 0 or 3)
    check: Check | None = None  # more checks of the outputs


@dataclass
class Result:
    case: Case
    folder: Path
    before: set[str]
    proc: subprocess.CompletedProcess[str] | None = None
    after: set[str] = field(default_factory=set)


# -- broken inputs ------------------------------------------------------------------------


def _write(arr: np.ndarray, path: Path, compress: bool = True) -> None:
    sitk.WriteImage(sitk.GetImageFromArray(arr), str(path), useCompression=compress)


def _image(seed: int = 0, bright: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(100 + bright, 20, (6, 10, 10)).astype(np.float32)


def _masks() -> tuple[np.ndarray, np.ndarray]:
    lab = np.zeros((6, 10, 10), np.uint8)
    lab[1:5, 2:6, 2:6] = 1
    lab[1:5, 6:9, 6:9] = 2
    return (lab > 0).astype(np.uint8), lab


def nonfinite(value: float, name: str) -> Setup:
    """An image with one NaN or infinite voxel inside the ROI."""

    def setup(folder: Path, shared: Shared) -> None:
        arr = _image()
        arr[3, 3, 3] = value
        _write(arr, folder / name)

    return setup


def text(name: str, content: str) -> Setup:
    def setup(folder: Path, shared: Shared) -> None:
        (folder / name).write_text(content)

    return setup


def truncated(name: str) -> Setup:
    """Half of a valid image file (``.nrrd`` written raw, so the data is cut)."""

    def setup(folder: Path, shared: Shared) -> None:
        full = folder / f"full_{name}"
        _write(_image(), full, compress=not name.endswith(".nrrd"))
        data = full.read_bytes()
        (folder / name).write_bytes(data[: len(data) // 2])
        full.unlink()

    return setup


def table(name: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> Setup:
    """The shared feature table, changed."""

    def setup(folder: Path, shared: Shared) -> None:
        change(pd.read_csv(shared.table)).to_csv(folder / name, index=False)

    return setup


def manifest(*rows: str, header: str = "case_id,image,mask") -> Setup:
    """``cases.csv`` with ``{img}``-style paths filled in."""

    def setup(folder: Path, shared: Shared) -> None:
        lines = [header, *(shared.fmt(r) for r in rows)]
        (folder / "cases.csv").write_text("\n".join(lines) + "\n")

    return setup


def rows_of(name: str, n: int, *, errors: int | None = None, roi: list[str] | None = None) -> Check:
    """``name`` holds ``n`` rows (``errors``: how many have an error; ``roi``: the rois)."""

    def check(folder: Path) -> None:
        t = pd.read_csv(folder / name, dtype={"roi": str})
        assert len(t) == n, t
        if errors is not None:
            assert int(t["error"].notna().sum()) == errors, t
        if roi is not None:
            assert t["roi"].tolist() == roi, t["roi"].tolist()

    return check


# -- the cases ----------------------------------------------------------------------------

GOOD = "a,{img},{bin}"
MISSING = "b,nope.nii.gz,{bin}"

EXTRACT = [
    *(
        Case(
            f"extract-{kind}-{ext}",
            ("extract", f"bad.{ext}", "{bin}", "--out", "o.csv"),
            nonfinite(value, f"bad.{ext}"),
            match="non-finite",
        )
        for kind, value in (("nan", np.nan), ("inf", np.inf), ("-inf", -np.inf))
        for ext in ("nrrd", "mha")
    ),
    Case(
        "extract-truncated-nii.gz-image",
        ("extract", "t.nii.gz", "{bin}", "--out", "o.csv"),
        truncated("t.nii.gz"),
        match="truncated",
    ),
    Case(
        "extract-truncated-nii.gz-mask",
        ("extract", "{img}", "t.nii.gz", "--out", "o.csv"),
        truncated("t.nii.gz"),
        match="truncated",
    ),
    Case(
        "extract-truncated-nrrd-image",
        ("extract", "t.nrrd", "{bin}", "--out", "o.csv"),
        truncated("t.nrrd"),
        match="truncated",
    ),
    Case("extract-out-xlsx", ("extract", "{img}", "{bin}", "--out", "o.xlsx"), match=".xlsx"),
    Case("extract-out-no-extension", ("extract", "{img}", "{bin}", "--out", "o"), match="o"),
    Case(
        "extract-out-parent-is-file",
        ("extract", "{img}", "{bin}", "--out", "afile/o.csv"),
        match="afile",
    ),
    Case("extract-out-proc", ("extract", "{img}", "{bin}", "--out", f"{PROC}/o.csv")),
    Case(
        "extract-config-yaml-syntax",
        ("extract", "{img}", "{bin}", "--config", "bad.yaml", "--out", "o.csv"),
        text("bad.yaml", "features: {families: [statistics\n"),
        match="line",
    ),
    Case(
        "extract-config-unknown-key",
        ("extract", "{img}", "{bin}", "--config", "unk.yaml", "--out", "o.csv"),
        text("unk.yaml", "featurez: {families: [statistics]}\n"),
        match="featurez",
    ),
    Case(
        "extract-manifest-missing-column",
        ("extract", "--manifest", "cases.csv", "--out", "o.csv", "--jobs", "1", "--no-cache"),
        manifest("a,{img}", header="case_id,image"),
        match="mask",
    ),
    Case(
        "extract-manifest-empty-file",
        ("extract", "--manifest", "cases.csv", "--out", "o.csv", "--jobs", "1", "--no-cache"),
        text("cases.csv", ""),
        match="cases.csv",
    ),
    Case(
        "extract-manifest-duplicate-rows",
        ("extract", "--manifest", "cases.csv", "--out", "o.csv", "--jobs", "1", "--no-cache"),
        manifest(GOOD, GOOD),
        match="duplicate",
    ),
    Case(
        "extract-manifest-out-xlsx",
        ("extract", "--manifest", "cases.csv", "--out", "o.xlsx", "--jobs", "1", "--no-cache"),
        manifest(GOOD),
        match=".xlsx",
    ),
    Case(
        "extract-manifest-cache-dir-parent-is-file",
        ("extract", "--manifest", "cases.csv", "--out", "o.csv", "--cache-dir", "afile/c"),
        manifest(GOOD),
        match="afile",
    ),
    Case(
        "extract-manifest-missing-image-in-a-row",
        (
            "extract",
            "--manifest",
            "cases.csv",
            "--config",
            "{stats}",
            "--out",
            "o.csv",
            "--jobs",
            "1",
            "--no-cache",
        ),
        manifest(GOOD, MISSING),
        code=3,
        outputs=("o.csv", "o.errors.csv", "o.settings.yaml"),
        check=lambda folder: (rows_of("o.csv", 1)(folder), rows_of("o.errors.csv", 1)(folder)),
    ),
]

#: cases another change is finishing (label maps, the background label, NaN in NIfTI): the
#: extraction reads NIfTI's NaN as stored, gives one row per label of a label map, and
#: refuses label 0 unless --allow-background is given
EXTRACT_LABELS_AND_NIFTI_NAN = [
    *(
        Case(
            f"extract-{kind}-{ext}",
            ("extract", f"bad.{ext}", "{bin}", "--out", "o.csv"),
            nonfinite(value, f"bad.{ext}"),
            match="non-finite",
        )
        for kind, value in (("nan", np.nan), ("inf", np.inf))
        for ext in ("nii", "nii.gz")
    ),
    Case(
        "extract-label-map-without-label-gives-a-row-per-label",
        ("extract", "{img}", "{lab}", "--config", "{stats}", "--out", "o.csv"),
        code=0,
        outputs=("o.csv",),
        check=rows_of("o.csv", 2, roi=["1", "2"]),
    ),
    Case(
        "extract-label-0-refused",
        ("extract", "{img}", "{lab}", "--label", "0", "--out", "o.csv"),
        match="--allow-background",
    ),
    Case(
        "extract-label-0-with-allow-background",
        (
            "extract",
            "{img}",
            "{lab}",
            "--label",
            "0",
            "--allow-background",
            "--config",
            "{stats}",
            "--out",
            "o.csv",
        ),
        code=0,
        outputs=("o.csv",),
        check=rows_of("o.csv", 1, roi=["0"]),
    ),
]

#: several images per case: the shared image as ``ct``, a ``pet.nii.gz`` on another grid
MULTI_HEADER = "case_id,image_ct,image_pet,mask"
MULTI_GOOD = "a,{img},pet.nii.gz,{bin}"


def multi(*rows: str, header: str = MULTI_HEADER, far: bool = False) -> Setup:
    """``cases.csv`` of a multi-image manifest, ``pet.nii.gz`` (coarser grid, shifted origin;
    ``far``: 500 mm away, no overlap with the mask), ``far.nii.gz`` beside it, and
    ``bad.tfm`` (a transform file that is not one)."""

    def setup(folder: Path, shared: Shared) -> None:
        for name, x0 in (("pet.nii.gz", 500.0 if far else 0.3), ("far.nii.gz", 500.0)):
            pet = sitk.GetImageFromArray(_image(seed=3)[::2, ::2, ::2].copy())
            pet.SetSpacing((2.0, 2.0, 2.0))
            pet.SetOrigin((x0, 0.4, 0.2))
            sitk.WriteImage(pet, str(folder / name))
        (folder / "bad.tfm").write_text("#Insight Transform File V1.0\nTransform: Nonsense\n")
        manifest(*rows, header=header)(folder, shared)

    return setup


def error_says(*pieces: str) -> Check:
    """One row in ``o.csv``, one in ``o.errors.csv`` whose message holds ``pieces``."""

    def check(folder: Path) -> None:
        rows_of("o.csv", 1)(folder)
        errors = pd.read_csv(folder / "o.errors.csv")
        assert len(errors) == 1, errors
        for piece in pieces:
            assert piece in errors["message"].iloc[0], errors["message"].iloc[0]

    return check


MULTI_ARGV = ("extract", "--manifest", "cases.csv", "--config", "{stats}", "--out", "o.csv")
MULTI_RUN = ("--jobs", "1", "--no-cache")
MULTI_OUTPUTS = ("o.csv", "o.errors.csv", "o.settings.yaml")

EXTRACT_MULTI = [
    Case(
        "extract-multi-missing-pet-image",
        (*MULTI_ARGV, *MULTI_RUN),
        multi(MULTI_GOOD, "b,{img},nope.nii.gz,{bin}"),
        code=3,
        outputs=MULTI_OUTPUTS,
        check=error_says("pet image", "does not exist"),
    ),
    Case(
        "extract-multi-unreadable-pet-image",
        (*MULTI_ARGV, *MULTI_RUN),
        multi(MULTI_GOOD, "b,{img},bad.tfm,{bin}"),
        code=3,
        outputs=MULTI_OUTPUTS,
        check=error_says("pet: "),
    ),
    Case(
        "extract-multi-no-overlap",
        (*MULTI_ARGV, *MULTI_RUN),
        multi(MULTI_GOOD, "far,{img},far.nii.gz,{bin}"),
        code=3,
        outputs=MULTI_OUTPUTS,
        check=error_says("case 'far'", "pet image's grid", "no overlap"),
    ),
    Case(
        "extract-multi-unreadable-transform",
        (*MULTI_ARGV, *MULTI_RUN),
        multi(
            MULTI_GOOD, "b,{img},pet.nii.gz,{bin},bad.tfm", header=f"{MULTI_HEADER},transform_pet"
        ),
        code=3,
        outputs=MULTI_OUTPUTS,
        check=error_says("not an ITK transform file"),
    ),
    Case(
        "extract-multi-missing-transform",
        (*MULTI_ARGV, *MULTI_RUN),
        multi(
            MULTI_GOOD, "b,{img},pet.nii.gz,{bin},no.tfm", header=f"{MULTI_HEADER},transform_pet"
        ),
        code=3,
        outputs=MULTI_OUTPUTS,
        check=error_says("pet transform", "does not exist"),
    ),
    Case(
        "extract-multi-unknown-mask-on",
        (*MULTI_ARGV, *MULTI_RUN),
        multi("a,{img},pet.nii.gz,{bin},mr", header=f"{MULTI_HEADER},mask_on"),
        match="mask_on 'mr'",
    ),
    Case(
        "extract-multi-long-form",
        (*MULTI_ARGV, *MULTI_RUN),
        multi("a,ct,{img},{bin}", "a,pet,pet.nii.gz,", header="case_id,modality,image,mask"),
        code=0,
        outputs=("o.csv", "o.settings.yaml"),
        check=rows_of("o.csv", 1),
    ),
    Case(
        "extract-multi-modality-config-unknown-modality",
        (*MULTI_ARGV, *MULTI_RUN, "--modality-config", "mr={stats}"),
        multi(MULTI_GOOD),
        match="modality mr",
    ),
    Case(
        "extract-multi-modality-config-without-equals",
        (*MULTI_ARGV, *MULTI_RUN, "--modality-config", "{stats}"),
        multi(MULTI_GOOD),
        match="MODALITY=CONFIG",
    ),
    Case(
        "extract-modality-config-with-one-image-manifest",
        (*MULTI_ARGV, *MULTI_RUN, "--mask-interpolation", "linear"),
        manifest(GOOD),
        match="several images per case",
    ),
    Case(
        "extract-multi-manifest-for-voxel-mode",
        (
            "extract",
            *("--manifest", "cases.csv", "--mode", "voxel", "--params", "p.yaml"),
            *("--out", "o.csv"),
        ),
        lambda folder, shared: (
            multi(MULTI_GOOD)(folder, shared),
            (folder / "p.yaml").write_text("featureClass:\n  firstorder:\n"),
        )[0],
        match="not --mode voxel",
    ),
]

VOXEL_IBSI = [
    Case(
        "extract-voxel-kernel-radius-zero",
        ("extract", "{img}", "{bin}", "--mode", "voxel", "--out", "o.csv", "--kernel-radius", "0"),
        match="positive integer",
    ),
    Case(
        "extract-kernel-radius-without-voxel-mode",
        ("extract", "{img}", "{bin}", "--out", "o.csv", "--kernel-radius", "2"),
        match="applies to --mode voxel",
    ),
    Case(
        "extract-voxel-kernel-radius-with-params",
        (
            "extract",
            *("{img}", "{bin}", "--mode", "voxel", "--params", "p.yaml", "--out", "o.csv"),
            *("--kernel-radius", "2"),
        ),
        text("p.yaml", "featureClass:\n  firstorder:\n"),
        match="kernelRadius",
    ),
    Case(
        "extract-voxel-families-without-maps",
        ("extract", "{img}", "{bin}", "--mode", "voxel", "--config", "c.yaml", "--out", "o.csv"),
        text("c.yaml", "features: {families: [morphology, ivh]}\n"),
        match="no family with voxel maps",
    ),
    Case(
        "extract-voxel-pyradiomics-profile-config",
        ("extract", "{img}", "{bin}", "--mode", "voxel", "--config", "c.yaml", "--out", "o.csv"),
        text("c.yaml", "profile: pyradiomics\n"),
        match="--params",
    ),
    Case(
        "extract-voxel-label-map-without-label",
        ("extract", "{img}", "{lab}", "--mode", "voxel", "--config", "{stats}", "--out", "o.csv"),
        match="give --label",
    ),
]

SEGMENT = [
    Case("segment-seed-outside", ("segment", "{img}", "--seed", "50,50,3", "--out", "m.nii.gz")),
    Case(
        "segment-seed-four-numbers",
        ("segment", "{img}", "--seed", "1,2,3,4", "--out", "m.nii.gz"),
        match="give 2",
    ),
    Case("segment-seed-not-numbers", ("segment", "{img}", "--seed", "a,b", "--out", "m.nii.gz")),
    Case(
        "segment-box-zero-size",
        ("segment", "{img}", "--box", "2,2,1,2,2,1", "--out", "m.nii.gz"),
        match="zero size",
    ),
    Case(
        "segment-box-five-numbers",
        ("segment", "{img}", "--box", "2,2,1,5,5", "--out", "m.nii.gz"),
        match="6 values",
    ),
    Case(
        "segment-threshold-not-a-number",
        ("segment", "{img}", "--threshold", "abc", "--out", "m.nii.gz"),
    ),
    Case("segment-out-bmp", ("segment", "{img}", "--seed", "3,3,2", "--out", "m.bmp")),
    Case(
        "segment-out-png-of-a-volume",
        ("segment", "{img}", "--seed", "3,3,2", "--out", "m.png"),
        match="PNG",
    ),
    Case(
        "segment-out-parent-is-file",
        ("segment", "{img}", "--seed", "3,3,2", "--out", "afile/m.nii.gz"),
        match="afile",
    ),
    Case("segment-out-proc", ("segment", "{img}", "--seed", "3,3,2", "--out", f"{PROC}/m.nrrd")),
]


def pyradiomics_rows(name: str, n: int, failed: int) -> Check:
    """``radiomix pyradiomics`` CSV ``name``: ``n`` rows, ``failed`` of them with only the
    batch's input columns filled (a failed case, logged; the run goes on)."""

    def check(folder: Path) -> None:
        t = pd.read_csv(folder / name)
        log = (folder / "run.log").read_text()  # the failed cases, one ERROR line each
        assert len(t) == n, (t, log)
        assert "diagnostics_Versions_radiomix" in t.columns, (t.columns, log)
        assert int(t["diagnostics_Versions_radiomix"].isna().sum()) == failed, (t, log)
        assert log.count(" E: radiomix.pyradiomics: Case ") == failed, log

    return check


#: ``radiomix pyradiomics`` exits as PyRadiomics 3.0.1's command does: 1 no usable input,
#: 2 an output that cannot be opened, 3 the extraction cannot start, 4 the log file cannot
#: be opened, 0 when cases failed
PYRADIOMICS = [
    Case("pyradiomics-no-mask", ("pyradiomics", "{img}"), code=1, match="no mask"),
    Case(
        "pyradiomics-batch-without-mask-column",
        ("pyradiomics", "cases.csv", "-o", "o.csv"),
        manifest("{img}", header="Image"),
        code=1,
        match='column "Mask"',
    ),
    Case(
        "pyradiomics-batch-missing",
        ("pyradiomics", "nope.csv", "-o", "o.csv"),
        code=3,
        match="nope.csv",
    ),
    Case(
        "pyradiomics-batch-empty",
        ("pyradiomics", "cases.csv", "-f", "csv", "-o", "o.csv"),
        manifest(header="Image,Mask"),
        code=3,
        match="no cases",
    ),
    Case(
        "pyradiomics-param-missing",
        ("pyradiomics", "{img}", "{bin}", "-p", "nope.yaml", "-o", "o.csv"),
        code=3,
        match="nope.yaml",
    ),
    Case(
        "pyradiomics-param-broken-yaml",
        ("pyradiomics", "{img}", "{bin}", "-p", "p.yaml", "-o", "o.csv"),
        text("p.yaml", "setting: [binWidth: 25\n"),
        code=3,
    ),
    Case(
        "pyradiomics-param-unknown-class",
        ("pyradiomics", "{img}", "{bin}", "-p", "p.yaml", "-o", "o.csv"),
        text("p.yaml", "featureClass:\n  glcmm:\n"),
        code=3,
        match="glcmm",
    ),
    Case(
        "pyradiomics-out-missing-folder",
        ("pyradiomics", "{img}", "{bin}", "-o", "no/such/o.csv"),
        match="no/such/o.csv",
    ),
    Case(
        "pyradiomics-out-is-folder",
        ("pyradiomics", "{img}", "{bin}", "-o", "."),
        match="folder",
    ),
    Case(
        "pyradiomics-out-dir-is-file",
        ("pyradiomics", "{img}", "{bin}", "-od", "afile", "-o", "o.csv"),
        match="afile",
    ),
    Case(
        "pyradiomics-out-dir-proc",
        ("pyradiomics", "{img}", "{bin}", "-m", "voxel", "-od", f"{PROC}/maps", "-o", "o.csv"),
    ),
    Case(
        "pyradiomics-log-file-missing-folder",
        ("pyradiomics", "{img}", "{bin}", "--log-file", "no/such/run.log", "-o", "o.csv"),
        code=4,
        match="no/such/run.log",
    ),
    Case(
        "pyradiomics-case-fails",
        ("pyradiomics", "cases.csv", "-f", "csv", "-o", "o.csv", "--log-file", "run.log"),
        manifest(
            "{img},{bin},1", "nope.nii.gz,{bin},1", "{img},{lab},7", header="Image,Mask,Label"
        ),
        code=0,
        outputs=("o.csv", "run.log"),
        check=pyradiomics_rows("o.csv", 3, failed=2),
    ),
]

FILTER = [
    Case(
        "filter-out-parent-is-file",
        ("filter", "{img}", "--config", "ibsi2-1A1", "--out", "afile/f.nii.gz"),
        match="afile",
    ),
    Case(
        "filter-out-proc", ("filter", "{img}", "--config", "ibsi2-1A1", "--out", f"{PROC}/f.nrrd")
    ),
    Case(
        "filter-out-unknown-extension",
        ("filter", "{img}", "--config", "ibsi2-1A1", "--out", "f.xlsx"),
        match=".nii.gz",
    ),
    Case(
        "filter-config-yaml-syntax",
        ("filter", "{img}", "--config", "bad.yaml", "--out", "f.nii.gz"),
        text("bad.yaml", "filters: [\n"),
        match="line",
    ),
    Case(
        "filter-truncated-image",
        ("filter", "t.nii.gz", "--config", "ibsi2-1A1", "--out", "f.nii.gz"),
        truncated("t.nii.gz"),
        match="truncated",
    ),
]

SMALL = [
    Case(
        "config-show-yaml-syntax",
        ("config", "show", "bad.yaml"),
        text("bad.yaml", "features: {families: [statistics\n"),
        match="line 2",
    ),
    Case(
        "config-show-unknown-key",
        ("config", "show", "unk.yaml"),
        text("unk.yaml", "featurez: 1\n"),
        match="featurez",
    ),
    Case("config-show-unknown-preset", ("config", "show", "nope"), match="preset"),
    Case("features-class-of-another-profile", ("features", "--family", "firstorder")),
    Case("ibsi-check-missing-data", ("ibsi-check", "--data", "nope", "--config", "ibsi1-phantom")),
    Case("demo-out-parent-is-file", ("demo", "--out", "afile/demo"), match="afile"),
    Case("demo-out-proc", ("demo", "--out", PROC)),
    Case(
        "study-out-parent-is-file",
        ("study", "busi", "--out", "afile/run", "--quiet"),
        match="afile",
    ),
    Case("study-out-proc", ("study", "busi", "--out", f"{PROC}/run", "--quiet")),
    Case(
        "study-settings-yaml-syntax",
        ("study", "busi", "--study", "bad.yaml", "--out", "run", "--quiet"),
        text("bad.yaml", "validation: {repeats: [1\n"),
        match="line",
    ),
    Case(
        "study-missing-data-folder",
        ("study", "busi", "--data", "nope", "--out", "run", "--quiet"),
        match="does not exist",
    ),
]

ROBUSTNESS = [
    Case(
        "robustness-out-xlsx",
        ("robustness", "{img}", "{bin}", "--out", "icc.xlsx"),
        match=".xlsx",
    ),
    Case(
        "robustness-out-parent-is-file",
        ("robustness", "{img}", "{bin}", "--out", "afile/icc.csv"),
        match="afile",
    ),
    Case("robustness-out-proc", ("robustness", "{img}", "{bin}", "--out", f"{PROC}/icc.csv")),
    Case(
        "robustness-manifest-missing-column",
        ("robustness", "--manifest", "cases.csv", "--out", "icc.csv"),
        manifest("a,{img}", header="case_id,image"),
        match="mask",
    ),
    Case(
        "robustness-config-yaml-syntax",
        ("robustness", "{img}", "{bin}", "--config", "bad.yaml", "--out", "icc.csv"),
        text("bad.yaml", "perturbation: {n_perturbations: [2\n"),
        match="line",
    ),
    Case(
        "robustness-manifest-missing-image-in-a-row",
        (
            "robustness",
            "--manifest",
            "cases.csv",
            "--config",
            "{stats}",
            "--n-perturbations",
            "2",
            "--jobs",
            "1",
            "--out",
            "icc.csv",
        ),
        manifest(GOOD, MISSING),
        code=3,
        outputs=("icc.csv", "icc.errors.csv"),
        check=rows_of("icc.errors.csv", 1),
    ),
]


def _one_class(t: pd.DataFrame) -> pd.DataFrame:
    return t.assign(diagnosis="benign")


def _lone_class(t: pd.DataFrame) -> pd.DataFrame:
    """A third class held by a single case."""
    t = t.copy()
    t.loc[0, "diagnosis"] = "normal"
    return t


def _float_outcome(t: pd.DataFrame) -> pd.DataFrame:
    return t.assign(volume=np.linspace(1.0, 2.5, len(t)))


def _survival(**change: object) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The shared table with a time and an event column (then ``change`` applied)."""

    def make(t: pd.DataFrame) -> pd.DataFrame:
        n = len(t)
        t = t.assign(time=np.linspace(10.0, 400.0, n), event=np.arange(n) % 2)
        return t.assign(**{k: (v(n) if callable(v) else v) for k, v in change.items()})

    return make


SURVIVAL_TRAIN = ("train", "s.csv", "--time", "time", "--event", "event", "--out", "run")

SURVIVAL = [
    Case(
        "train-survival-without-time-and-event",
        ("train", "s.csv", "--task", "survival", "--out", "run"),
        table("s.csv", _survival()),
        match="--time COLUMN --event COLUMN",
    ),
    Case(
        "train-survival-without-event",
        ("train", "s.csv", "--time", "time", "--out", "run"),
        table("s.csv", _survival()),
        match="--time COLUMN --event COLUMN",
    ),
    Case(
        "train-survival-missing-event-column",
        ("train", "s.csv", "--time", "time", "--event", "died", "--out", "run"),
        table("s.csv", _survival()),
        match="event column 'died'",
    ),
    Case(
        "train-survival-negative-time",
        SURVIVAL_TRAIN,
        table("s.csv", _survival(time=lambda n: np.linspace(-5.0, 400.0, n))),
        match="negative times",
    ),
    Case(
        "train-survival-text-time",
        SURVIVAL_TRAIN,
        table("s.csv", _survival(time=lambda n: ["long"] * n)),
        match="holds text",
    ),
    Case(
        "train-survival-event-not-0-1",
        SURVIVAL_TRAIN,
        table("s.csv", _survival(event=lambda n: np.arange(n) % 3)),
        match="0/1 or false/true",
    ),
    Case(
        "train-survival-no-events",
        SURVIVAL_TRAIN,
        table("s.csv", _survival(event=0)),
        match="no events",
    ),
    Case(
        "train-survival-bad-horizons",
        (*SURVIVAL_TRAIN, "--horizons", "a,b"),
        table("s.csv", _survival()),
        match="--horizons",
    ),
]

LEARN = [
    Case(
        "train-missing-label-column",
        ("train", "{table}", "--label", "nope", "--out", "run"),
        match="nope",
    ),
    Case(
        "train-one-class",
        ("train", "one.csv", "--label", "diagnosis", "--out", "run"),
        table("one.csv", _one_class),
        match="two values",
    ),
    Case(
        "train-config-yaml-syntax",
        ("train", "{table}", "--label", "diagnosis", "--config", "bad.yaml", "--out", "run"),
        text("bad.yaml", "validation: {repeats: [1\n"),
        match="line",
    ),
    Case(
        "train-config-unknown-key",
        ("train", "{table}", "--label", "diagnosis", "--config", "unk.yaml", "--out", "run"),
        text("unk.yaml", "validaton: {repeats: 1}\n"),
        match="validaton",
    ),
    Case(
        "train-empty-table",
        ("train", "empty.csv", "--label", "diagnosis", "--out", "run"),
        text("empty.csv", ""),
        match="empty.csv",
    ),
    Case(
        "train-out-parent-is-file",
        ("train", "{table}", "--label", "diagnosis", "--out", "afile/run"),
        match="afile",
    ),
    Case("train-out-proc", ("train", "{table}", "--label", "diagnosis", "--out", f"{PROC}/run")),
    Case(
        "train-task-unknown",
        ("train", "{table}", "--label", "diagnosis", "--task", "survivl", "--out", "run"),
        match="unknown task 'survivl'",
    ),
    Case(
        "train-task-regression-on-a-text-label",
        ("train", "{table}", "--label", "diagnosis", "--task", "regression", "--out", "run"),
        match="holds text",
    ),
    Case(
        "train-task-multiclass-with-a-class-of-one-case",
        ("train", "lone.csv", "--label", "diagnosis", "--task", "multiclass", "--out", "run"),
        table("lone.csv", _lone_class),
        match="class 'normal'",
    ),
    Case(
        "train-task-multiclass-on-two-values",
        ("train", "{table}", "--label", "diagnosis", "--task", "multiclass", "--out", "run"),
        match="at least three",
    ),
    Case(
        "train-numeric-outcome-without-task",
        ("train", "vol.csv", "--label", "volume", "--out", "run"),
        table("vol.csv", _float_outcome),
        match="--task regression",
    ),
    Case(
        "train-task-regression-with-positive",
        (
            "train",
            "vol.csv",
            "--label",
            "volume",
            "--task",
            "regression",
            "--positive",
            "2",
            "--out",
            "run",
        ),
        table("vol.csv", _float_outcome),
        match="--positive",
    ),
    Case(
        "evaluate-missing-run-directory",
        ("evaluate", "nope", "--external", "{table}", "--label", "diagnosis", "--out", "ev"),
        match="model.joblib",
    ),
    Case(
        "evaluate-missing-label-column",
        ("evaluate", "{run}", "--external", "{table}", "--label", "nope", "--out", "ev"),
        match="nope",
    ),
    Case(
        "evaluate-one-class",
        ("evaluate", "{run}", "--external", "one.csv", "--label", "diagnosis", "--out", "ev"),
        table("one.csv", _one_class),
        match="one class",
    ),
    Case(
        "evaluate-out-parent-is-file",
        ("evaluate", "{run}", "--external", "{table}", "--label", "diagnosis", "--out", "afile/e"),
        match="afile",
    ),
    Case(
        "predict-missing-run-directory",
        ("predict", "nope", "--table", "{table}", "--out", "p.csv"),
        match="nope",
    ),
    Case(
        "predict-table-without-the-features",
        ("predict", "{run}", "--table", "few.csv", "--out", "p.csv"),
        table("few.csv", lambda t: t[["case_id", "diagnosis"]]),
    ),
    Case(
        "predict-out-xlsx",
        ("predict", "{run}", "--table", "{table}", "--out", "p.xlsx"),
        match=".xlsx",
    ),
    Case(
        "predict-out-no-extension",
        ("predict", "{run}", "--table", "{table}", "--out", "p"),
        match="no extension",
    ),
    Case(
        "predict-out-parent-is-file",
        ("predict", "{run}", "--table", "{table}", "--out", "afile/p.csv"),
        match="afile",
    ),
    Case(
        "predict-image-not-an-image",
        ("predict", "{run}", "t.nii.gz", "{bin}", "--out", "p.csv"),
        truncated("t.nii.gz"),
        match="truncated",
    ),
    Case(
        "predict-manifest-missing-image-in-a-row",
        ("predict", "{run}", "--manifest", "cases.csv", "--out", "p.csv"),
        manifest(GOOD, MISSING),
        code=3,
        outputs=("p.csv",),
        check=rows_of("p.csv", 2, errors=1),
    ),
    Case("report-not-a-run", ("report", "."), match="not a run directory"),
    Case(
        "report-out-parent-is-file",
        ("report", "{run}", "--out", "afile/r.html"),
        match="afile",
    ),
    Case("report-out-proc", ("report", "{run}", "--out", f"{PROC}/r.html")),
]


def _sites_with_a_hole(t: pd.DataFrame) -> pd.DataFrame:
    """A site column (two sites) with one missing value."""
    t = t.assign(site=["a", "b"] * (len(t) // 2) + ["a"] * (len(t) % 2))
    t.loc[3, "site"] = None
    return t


SITES_AND_CLINICAL = [
    Case(
        "train-harmonise-missing-column",
        ("train", "{table}", "--label", "diagnosis", "--harmonise", "scanner", "--out", "run"),
        match="site column 'scanner' is not in the feature table",
    ),
    Case(
        "train-harmonise-site-with-missing-values",
        ("train", "sites.csv", "--label", "diagnosis", "--harmonise", "site", "--out", "run"),
        table("sites.csv", _sites_with_a_hole),
        match="site column 'site' has 1 missing values",
    ),
    Case(
        "train-leave-one-group-out-without-group",
        (
            "train",
            "{table}",
            "--label",
            "diagnosis",
            "--validation",
            "leave-one-group-out",
            "--out",
            "run",
        ),
        match="needs the groups: --group COLUMN",
    ),
    Case(
        "train-validation-unknown-scheme",
        ("train", "{table}", "--label", "diagnosis", "--validation", "loso", "--out", "run"),
        match="validation.scheme must be one of",
    ),
    Case(
        "train-clinical-column-missing",
        ("train", "{table}", "--label", "diagnosis", "--clinical", "age,stage", "--out", "run"),
        match="clinical column(s) 'age', 'stage' not in the feature table",
    ),
    Case(
        "train-compare-without-clinical",
        (
            "train",
            "{table}",
            "--label",
            "diagnosis",
            "--compare",
            "clinical,combined",
            "--out",
            "run",
        ),
        match="compare needs clinical columns",
    ),
]

TRACKED_RUNS = [
    Case("runs-compare-not-a-run", ("runs", "compare", ".", "{run}"), match="not a run directory"),
    Case("runs-compare-one-run", ("runs", "compare", "{run}"), match="two or more run folders"),
    Case("runs-compare-missing-folder", ("runs", "compare", "nope", "{run}"), match="nope"),
    Case(
        "runs-compare-html-not-html",
        ("runs", "compare", "{run}", "{run}", "--html", "page.pdf"),
        match=".html",
    ),
    Case("runs-list-missing-folder", ("runs", "list", "nope"), match="does not exist"),
    Case("runs-list-out-xlsx", ("runs", "list", ".", "--out", "runs.xlsx"), match=".xlsx"),
]

CASES = [
    *EXTRACT,
    *EXTRACT_LABELS_AND_NIFTI_NAN,
    *EXTRACT_MULTI,
    *VOXEL_IBSI,
    *SEGMENT,
    *PYRADIOMICS,
    *FILTER,
    *SMALL,
    *ROBUSTNESS,
    *LEARN,
    *SURVIVAL,
    *SITES_AND_CLINICAL,
    *TRACKED_RUNS,
]


# -- running them -------------------------------------------------------------------------


def _train(root: Path) -> tuple[Path, Path]:
    """A feature table of 16 tiny cases (malignant ones brighter) and its trained run."""
    import yaml

    import radiomix
    from radiomix.learn.study import run_study

    frames = []
    for i in range(16):
        malignant = i % 2 == 1
        img = root / "cohort" / f"img{i:02d}.nii.gz"
        img.parent.mkdir(exist_ok=True)
        _write(_image(seed=10 + i, bright=30.0 if malignant else 0.0), img)
        t = radiomix.extract(img, root / "bin.nii.gz", config=str(root / "stats.yaml"))
        frames.append(
            t.assign(case_id=f"c{i:02d}", diagnosis="malignant" if malignant else "benign")
        )
    table_path = root / "features.csv"
    pd.concat(frames, ignore_index=True).to_csv(table_path, index=False)
    run_study(
        table_path,
        yaml.safe_load(TINY_STUDY),
        label="diagnosis",
        out=root / "run",
        extraction_settings=root / "stats.yaml",
    )
    return table_path, root / "run"


def _needs_run(cases: list[Case]) -> bool:
    return any("{run}" in a or "{table}" in a for c in cases for a in c.argv) or any(
        c.setup is not None and c.id.startswith(("train", "evaluate", "predict")) for c in cases
    )


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _run(result: Result, shared: Shared) -> Result:
    argv = [shared.fmt(a) for a in result.case.argv]
    result.proc = subprocess.run(
        [sys.executable, "-m", "radiomix.cli.main", *argv],
        check=False,
        cwd=result.folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "default"},
    )
    result.after = _files(result.folder)
    return result


@pytest.fixture(scope="module")
def probe(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Every selected case run once, concurrently: ``{case id: Result}``."""
    selected = {
        item.callspec.params["case"].id
        for item in request.session.items
        if item.module is sys.modules[__name__] and hasattr(item, "callspec")
    }
    cases = [c for c in CASES if c.id in selected]
    root = tmp_path_factory.mktemp("probe")
    bin_mask, lab = _masks()
    _write(_image(), root / "img.nii.gz")
    _write(bin_mask, root / "bin.nii.gz")
    _write(lab, root / "lab.nii.gz")
    (root / "stats.yaml").write_text(STATS_YAML)
    table_path, run = _train(root) if _needs_run(cases) else (root / "none.csv", root / "none")
    shared = Shared(
        root=root,
        img=root / "img.nii.gz",
        bin=root / "bin.nii.gz",
        lab=root / "lab.nii.gz",
        stats=root / "stats.yaml",
        table=table_path,
        run=run,
    )
    results = []
    for case in cases:
        folder = root / "cases" / case.id
        folder.mkdir(parents=True)
        (folder / "afile").write_text("a file where a folder is needed\n")
        if case.setup is not None:
            case.setup(folder, shared)
        results.append(Result(case, folder, _files(folder)))
    with ThreadPoolExecutor(max_workers=(os.cpu_count() or 2) + 1) as pool:
        done = list(pool.map(lambda r: _run(r, shared), results))
    return {r.case.id: r for r in done}, shared


def _temp_files(folder: Path) -> list[str]:
    return [
        str(p)
        for p in folder.rglob("*")
        if p.name.startswith(".radiomix-") or (p.name.startswith(".") and p.name.endswith(".tmp"))
    ]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_probe(case: Case, probe) -> None:
    results, shared = probe
    r = results[case.id]
    assert r.proc is not None
    err = r.proc.stderr
    assert "Traceback" not in err, err
    assert r.proc.returncode == case.code, err
    if case.code == 2 or (case.id.startswith("pyradiomics-") and case.code != 0):
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1, err
        assert lines[0].startswith("radiomix: error: "), err
        assert case.match in lines[0], lines[0]
    assert r.after - r.before == set(case.outputs), f"left behind: {r.after - r.before}; {err}"
    assert not _temp_files(r.folder)
    if shared.run.is_dir():
        assert not _temp_files(shared.run)
    if case.check is not None:
        case.check(r.folder)
