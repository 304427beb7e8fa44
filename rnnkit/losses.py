"""Losses that return (loss, gradient with respect to their first argument)."""
import numpy as np

from rnnkit._checks import check_array, check_shape
from rnnkit.reference.affine import temporal_softmax_loss

__all__ = ["softmax_cross_entropy", "mse_loss", "temporal_softmax_loss"]


def softmax_cross_entropy(scores, y, mask=None):
    """Mean cross-entropy per counted target (PyTorch's reduction="mean"), in nats.

    scores (N, T, V), y (N, T) integers, mask (N, T) bool or None. exp(loss) is the perplexity.
    """
    loss_sum_over_batch, dscores = temporal_softmax_loss(scores, y, mask)
    N = scores.shape[0]
    count = scores.shape[0] * scores.shape[1] if mask is None else int(np.count_nonzero(mask))
    if count == 0:
        raise ValueError("mask selects no targets")
    # temporal_softmax_loss divides by N; rescale to a mean over the counted targets
    scale = N / count
    return loss_sum_over_batch * scale, dscores * np.asarray(scale, dtype=dscores.dtype)


def mse_loss(pred, target):
    """Mean squared error over all elements -> (loss, dpred)."""
    check_array("pred", pred)
    check_array("target", target)
    check_shape("target", target, pred.shape, note=" (like pred)")
    diff = pred - target
    return float(np.mean(diff**2)), (2 / diff.size) * diff
