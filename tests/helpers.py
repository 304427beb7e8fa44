"""Small helpers for the library tests: random parameters and the one way we compare arrays."""
import numpy as np

from rnnkit._checks import GATES
from rnnkit.reference import scaled_error


def random_params(cell, D, H, rng, dtype=np.float64, scale=0.5):
    """W_ih, W_hh, b_ih, b_hh in PyTorch's layout for ``cell``."""
    G = GATES[cell]
    shapes = [(G * H, D), (G * H, H), (G * H,), (G * H,)]
    return [(scale * rng.standard_normal(s)).astype(dtype) for s in shapes]


def assert_close(actual, expected, rtol, name="array"):
    """max|actual - expected| <= rtol * max|expected| (the kit's notion of relative error)."""
    assert np.shape(actual) == np.shape(expected), f"{name}: shape {np.shape(actual)} != {np.shape(expected)}"
    error = scaled_error(actual, expected)
    assert error <= rtol, f"{name}: relative error {error:.3e} > {rtol:.0e}"
    return error
