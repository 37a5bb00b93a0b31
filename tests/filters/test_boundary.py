"""Boundary conditions as index maps: each equals NumPy's padding of the same name."""

from __future__ import annotations

import numpy as np
import pytest

from radiomix.errors import ConfigError
from radiomix.filters._boundary import BOUNDARY_MODES, boundary_index, canonical_boundary

# canonical name -> numpy.pad mode
_NUMPY = {"constant": "constant", "nearest": "edge", "wrap": "wrap", "reflect": "symmetric"}


@pytest.mark.parametrize("mode", BOUNDARY_MODES)
@pytest.mark.parametrize("n", [1, 2, 5])
@pytest.mark.parametrize("pad", [0, 3, 12])
def test_index_map_equals_numpy_padding(mode, n, pad):
    # pads up to more than twice the axis length: repeated reflections and wraps
    values = np.arange(1.0, n + 1.0)
    expected = np.pad(values, pad, mode=_NUMPY[mode])
    idx, valid = boundary_index(np.arange(-pad, n + pad), n, mode)
    got = np.where(valid, values[idx], 0.0)
    np.testing.assert_array_equal(got, expected)


def test_hand_computed_extensions():
    # a b c d = 1 2 3 4, two positions each side
    pos = np.arange(-2, 6)
    assert boundary_index(pos, 4, "reflect")[0].tolist() == [1, 0, 0, 1, 2, 3, 3, 2]
    assert boundary_index(pos, 4, "nearest")[0].tolist() == [0, 0, 0, 1, 2, 3, 3, 3]
    assert boundary_index(pos, 4, "wrap")[0].tolist() == [2, 3, 0, 1, 2, 3, 0, 1]
    assert boundary_index(pos, 4, "constant")[1].tolist() == [0, 0, 1, 1, 1, 1, 0, 0]


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("mirror", "reflect"),
        ("Reflect", "reflect"),
        ("symmetric", "reflect"),
        ("zero", "constant"),
        ("periodic", "wrap"),
        ("nearest", "nearest"),
    ],
)
def test_aliases(alias, canonical):
    assert canonical_boundary(alias) == canonical


def test_unknown_boundary_is_config_error():
    with pytest.raises(ConfigError, match="unknown boundary condition 'mirrored'"):
        canonical_boundary("mirrored")
