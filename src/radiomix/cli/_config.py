"""``radiomix config``: show presets and check configuration files."""

from __future__ import annotations

import argparse
import sys

from radiomix.extraction.settings import load_config, preset_names, settings_to_yaml


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="show built-in presets or check a configuration")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = csub.add_parser("show", help="print a preset (or a YAML file) fully resolved, as YAML")
    show.add_argument("name", help="preset name or YAML file")
    show.set_defaults(func=_show)
    lst = csub.add_parser("list", help="list the built-in presets")
    lst.set_defaults(func=_list)


def _show(args: argparse.Namespace) -> int:
    sys.stdout.write(settings_to_yaml(load_config(args.name)))
    return 0


def _list(args: argparse.Namespace) -> int:
    for name in preset_names():
        print(f"{name}\t{load_config(name).description}")
    return 0
