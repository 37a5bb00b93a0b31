"""The background kernel warm-up starts once per process and loads the kernels."""

from __future__ import annotations

import subprocess
import sys


def test_warm_up_starts_once_and_loads_the_kernels() -> None:
    code = (
        "from radiomix.features._warmup import warm_up_kernels\n"
        "from radiomix.features._kernels_pyradiomics import _neighbour_stats_kernel\n"
        "t = warm_up_kernels()\n"
        "assert t is not None and warm_up_kernels() is None\n"
        "t.join(120)\n"
        "assert not t.is_alive()\n"
        "print(len(_neighbour_stats_kernel.signatures))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"
