"""Gradient clipping by global norm (as torch.nn.utils.clip_grad_norm_)."""
import numpy as np


def clip_grad_norm(grads, max_norm):
    """Scale all gradients together so that their global L2 norm is at most max_norm.

    grads: dict name -> array (or a list of arrays). Returns (clipped, total_norm): new arrays
    in the same container type, and the norm before clipping. Like PyTorch, the scale is
    max_norm / (total_norm + 1e-6) and only applied when it is below 1.
    """
    if max_norm <= 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    arrays = list(grads.values()) if isinstance(grads, dict) else list(grads)
    total_norm = float(np.sqrt(sum(np.sum(np.asarray(g, dtype=np.float64) ** 2) for g in arrays)))
    scale = min(1.0, max_norm / (total_norm + 1e-6))
    if isinstance(grads, dict):
        clipped = {name: g * np.asarray(scale, dtype=g.dtype) for name, g in grads.items()}
    else:
        clipped = [g * np.asarray(scale, dtype=g.dtype) for g in grads]
    return clipped, total_norm
