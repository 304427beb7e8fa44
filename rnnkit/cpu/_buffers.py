"""Allocation of the kernels' output and work arrays.

Kernels write every element of the arrays they are given. The tests check that promise by
setting ``POISON = True`` (or the environment variable ``RNNKIT_POISON=1``): every array is then
filled with NaN before the kernel runs, so an element a kernel forgot to write shows up as NaN in
the comparison with the reference instead of as a plausible leftover value.
"""
import os

import numpy as np

POISON = os.environ.get("RNNKIT_POISON", "") not in ("", "0")


def empty(shape, dtype):
    """np.empty, or an array of NaN when poisoning is on."""
    if POISON:
        return np.full(shape, np.nan, dtype=dtype)
    return np.empty(shape, dtype=dtype)
