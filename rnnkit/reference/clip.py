"""Gradient clipping by global norm (as torch.nn.utils.clip_grad_norm_)."""
import numbers

import numpy as np

from rnnkit._checks import check_float_array


def clip_grad_norm(grads, max_norm):
    """Scale all gradients together so that their global L2 norm is at most max_norm.

    grads: dict name -> array (or a list of arrays). Returns (clipped, total_norm): new arrays
    in the same container type, and the norm before clipping. Like PyTorch, the scale is
    max_norm / (total_norm + 1e-6) and only applied when it is below 1.
    """
    if isinstance(max_norm, (bool, np.bool_)) or not isinstance(max_norm, numbers.Real):
        raise TypeError(f"max_norm must be a number, got {max_norm!r}")
    if not max_norm > 0:  # also catches NaN, which would silently turn clipping off
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    named = grads.items() if isinstance(grads, dict) else enumerate(grads)
    for key, g in named:
        # an integer gradient would be scaled by a factor rounded to 0
        check_float_array(f"grads[{key!r}]", g)
    arrays = list(grads.values()) if isinstance(grads, dict) else list(grads)
    total_norm = float(np.sqrt(sum(np.sum(np.asarray(g, dtype=np.float64) ** 2) for g in arrays)))
    scale = min(1.0, max_norm / (total_norm + 1e-6))
    if isinstance(grads, dict):
        clipped = {name: g * np.asarray(scale, dtype=g.dtype) for name, g in grads.items()}
    else:
        clipped = [g * np.asarray(scale, dtype=g.dtype) for g in grads]
    return clipped, total_norm
