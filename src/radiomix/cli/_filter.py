"""``radiomix filter IMAGE --config CONFIG --out MAP``: write one filter's response map."""

from __future__ import annotations

import argparse

from radiomix.cli._checks import check_volume_out
from radiomix.errors import ConfigError
from radiomix.extraction.settings import load_config


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "filter",
        help="write the response map of a configured filter (IBSI 2 filters and more)",
        description=(
            "Apply the filter of a configuration's 'filters' section to IMAGE and write its "
            "response map on the image grid (on the resampled grid when the configuration "
            "resamples). The IBSI 2 presets (ibsi2-1A1 ... ibsi2-8A3) each hold one filter. "
            "--list shows every filter and its parameters."
        ),
    )
    p.add_argument("image", nargs="?", help="image file or DICOM series folder")
    p.add_argument("--config", help="preset name or YAML file with a 'filters' section")
    p.add_argument("--out", help="output image (.nii.gz, .nii, .nrrd, .mha)")
    p.add_argument(
        "--filter",
        dest="pick",
        metavar="NAME",
        help="which response map when the configuration has several: its image type "
        "(e.g. log_s1.5mm) or, if unambiguous, the filter name (e.g. log)",
    )
    p.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="voxel type of the written map (default float64)",
    )
    p.add_argument("--list", action="store_true", help="list the filters and their parameters")
    p.set_defaults(func=run)


def _list() -> int:
    from radiomix.filters.registry import FILTERS  # imported here: --help stays fast

    for d in FILTERS.values():
        ibsi = f"IBSI 2 {d.ibsi_id}" if d.ibsi_id else "not in IBSI 2"
        print(f"{d.name}\t{d.title} ({ibsi}; {d.module})")
        for prm in d.params:
            default = "required" if prm.required else repr(prm.default)
            print(f"    {prm.name:<20} {default:<12} {prm.doc}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.list:
        return _list()
    if not args.image or not args.config or not args.out:
        raise ConfigError("radiomix filter needs IMAGE, --config and --out (or --list)")
    check_volume_out(args.out)
    import numpy as np

    from radiomix.extraction.filtered import filter_image
    from radiomix.io import read_image, write_volume

    settings = load_config(args.config)
    _, response = filter_image(read_image(args.image), settings, args.pick)
    write_volume(response.with_array(response.array.astype(np.dtype(args.dtype))), args.out)
    return 0
