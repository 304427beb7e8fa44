"""Dropout (inverted, as torch.nn.Dropout): in training, zero each element with probability p
and scale the survivors by 1 / (1 - p), so that the expected output equals the input and
evaluation needs no rescaling. The backward multiplies by the same mask.
"""
import numbers

import numpy as np

from rnnkit._checks import check_array, check_shape
from rnnkit.nn.module import Module


def check_probability(name, p):
    """A dropout probability: a real number in [0, 1)."""
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real):
        raise TypeError(f"{name} must be a number in [0, 1), got {p!r}")
    if not 0 <= p < 1:  # NaN fails this too
        raise ValueError(f"{name} must be in [0, 1), got {p!r} (p = 1 would drop everything)")
    return float(p)


def dropout_mask(rng, shape, p, dtype):
    """keep / (1 - p) with keep ~ Bernoulli(1 - p): multiply an activation by it."""
    keep = rng.random(shape) >= p
    return keep.astype(dtype) * np.asarray(1.0 / (1.0 - p), dtype=dtype)


class Dropout(Module):
    """x (any shape) -> x ⊙ mask in training mode, x in evaluation mode (``.eval()``)."""

    def __init__(self, p=0.5, *, seed=None):
        super().__init__()
        self.p = check_probability("p", p)
        self.rng = np.random.default_rng(seed)
        self.mask = None  # the mask of the last training forward (None: identity)

    def forward(self, x):
        check_array("x", x)
        self.mask = (dropout_mask(self.rng, x.shape, self.p, x.dtype)
                     if self.training and self.p > 0 else None)
        self._shape = x.shape
        return x if self.mask is None else x * self.mask

    def backward(self, d_out):
        if not hasattr(self, "_shape"):
            raise RuntimeError("call forward() before backward()")
        check_array("d_out", d_out)
        check_shape("d_out", d_out, self._shape, note=" (like x)")
        return d_out if self.mask is None else d_out * self.mask

    def extra_repr(self):
        return f"p={self.p}"
