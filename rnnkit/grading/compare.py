"""Compare a student's outputs with the expected ones and spell out the first difference.

The measure is the kit's scaled error, max|yours - expected| / max|expected|: it is not fooled by
elements that happen to be near zero. A correct float64 implementation lands near 1e-15; the
tolerance (`exercises.TOLERANCE`, 1e-7) leaves room for any order of summation.
"""
from dataclasses import dataclass

import numpy as np


def scaled_error(actual, expected):
    """max |actual - expected| / max |expected| (or the plain difference when expected is 0)."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return np.inf
    if actual.size == 0:
        return 0.0
    if not np.all(np.isfinite(actual)):
        return np.inf
    scale = float(np.max(np.abs(expected)))
    diff = float(np.max(np.abs(actual - expected)))
    return diff / scale if scale > 0 else diff


@dataclass
class Mismatch:
    output: str
    error: float
    index: tuple
    yours: float
    expected: float


def first_mismatch(actual, expected, tolerance):
    """The first output (in the function's return order) that differs, or None."""
    for name, exp in expected.items():
        got = actual[name]
        err = scaled_error(got, exp)
        if err <= tolerance:
            continue
        scale = float(np.max(np.abs(exp))) if exp.size else 0.0
        with np.errstate(invalid="ignore"):
            bad = ~(np.abs(got - exp) <= tolerance * (scale if scale > 0 else 1.0))
        index = tuple(int(k) for k in np.argwhere(bad)[0]) if exp.ndim else ()
        return Mismatch(name, err, index, float(got[index]), float(exp[index]))
    return None


def describe(m, tolerance):
    where = f"{m.output}[{', '.join(map(str, m.index))}]" if m.index else m.output
    if not np.isfinite(m.yours):
        return f"{m.output} contains {m.yours} (first at {where}; expected {m.expected:.6g})."
    return (f"First difference at {where}: yours {m.yours:.6g}, expected {m.expected:.6g} "
            f"(scaled error {m.error:.1e}, tolerance {tolerance:.0e}).")
