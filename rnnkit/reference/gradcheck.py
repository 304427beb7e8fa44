"""Numerical gradients by central differences, and how to compare two arrays."""
import numbers

import numpy as np

from rnnkit._checks import check_float_array


def eval_numerical_gradient(f, x, df=None, h=1e-5):
    """Central-difference gradient of f at x.

    If ``df`` is given, f returns an array and the result is the gradient of sum(f(x) * df),
    i.e. what a backward pass returns for the upstream gradient df. Without df, f must return
    a scalar. x is perturbed in place one element at a time and restored. Use float64: in
    float32 the rounding error of f is larger than the difference being measured.
    """
    # an integer x would round x + h back to x: every difference, and the gradient, wrong
    check_float_array("x", x)
    if isinstance(h, (bool, np.bool_)) or not isinstance(h, numbers.Real) or not h > 0:
        raise ValueError(f"h must be a positive number, got {h!r}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        f_plus = np.copy(f(x))
        x[ix] = old - h
        f_minus = np.copy(f(x))
        x[ix] = old
        if df is None:
            grad[ix] = (f_plus - f_minus) / (2 * h)
        else:
            grad[ix] = np.sum((f_plus - f_minus) * df) / (2 * h)
        it.iternext()
    return grad


def rel_error(x, y):
    """CS231n's relative error: max over elements of |x - y| / max(1e-8, |x| + |y|)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def scaled_error(actual, expected):
    """max |actual - expected| / max |expected|: error relative to the array's scale.

    Unlike ``rel_error`` it is not fooled by elements that are nearly zero, so it is what the
    kit's tolerances (1e-10 vs PyTorch, 1e-4 for float32 kernels) refer to.
    """
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        raise ValueError(f"shapes differ: {actual.shape} vs {expected.shape}")
    if actual.size == 0:
        return 0.0
    scale = np.max(np.abs(expected))
    diff = np.max(np.abs(actual - expected))
    return float(diff / scale) if scale > 0 else float(diff)
