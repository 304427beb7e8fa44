"""Temporal affine layer (hidden states -> vocabulary scores) and the masked softmax loss.

The affine weight uses torch.nn.Linear's layout: W (V, H), b (V,), scores = h Wᵀ + b.
"""
import numpy as np

from rnnkit._checks import check_array, check_finite, check_shape, check_upstream


def temporal_affine_forward(h, W, b):
    """h (N, T, H), W (V, H), b (V,) -> scores (N, T, V), cache."""
    check_array("h", h, ndim=3)
    check_array("W", W, ndim=2)
    V, H = W.shape[0], h.shape[2]
    check_shape("W", W, (V, H), "(V, H)", note=" (H from h)")
    check_array("b", b)
    check_shape("b", b, (V,), "(V,)")
    for name, a in (("h", h), ("W", W), ("b", b)):
        check_finite(name, a)
    scores = h @ W.T + b
    return scores, (h, W)


def temporal_affine_backward(dscores, cache):
    """dscores (N, T, V) -> dh (N, T, H), dW (V, H), db (V,)."""
    h, W = cache
    check_upstream("dscores", dscores, h.shape[:2] + (W.shape[0],), "(N, T, V)", h.dtype)
    dh = dscores @ W
    dW = np.einsum("ntv,nth->vh", dscores, h)
    db = dscores.sum(axis=(0, 1))
    return dh, dW, db


def temporal_softmax_loss(scores, y, mask=None):
    """Softmax cross-entropy summed over time and averaged over the batch (as in CS231n).

    scores (N, T, V), y (N, T) integer targets in [0, V), mask (N, T) bool: which targets count
    (None: all). Returns loss (float) and dscores (N, T, V).
    """
    check_array("scores", scores, ndim=3)
    N, T, V = scores.shape
    if not isinstance(y, np.ndarray) or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"y must be an integer numpy array of shape (N, T) = {(N, T)}")
    check_shape("y", y, (N, T), "(N, T)")
    if y.size and (y.min() < 0 or y.max() >= V):
        raise ValueError(f"y must hold class indices in [0, V) = [0, {V}), "
                         f"got values in [{y.min()}, {y.max()}]")
    if mask is None:
        mask = np.ones((N, T), dtype=bool)
    if not isinstance(mask, np.ndarray) or mask.dtype != bool:
        # a float mask would weight the targets (and NaN would make the loss NaN)
        raise TypeError(f"mask must be a boolean numpy array of shape (N, T) = {(N, T)} "
                        f"(True where the target counts), got "
                        f"{getattr(mask, 'dtype', type(mask).__name__)}")
    check_shape("mask", mask, (N, T), "(N, T)")
    check_finite("scores", scores)
    mask = mask.astype(scores.dtype)
    shifted = scores - scores.max(axis=2, keepdims=True)  # no overflow in exp
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    log_p_target = np.take_along_axis(log_probs, y[:, :, None], axis=2)[:, :, 0]
    loss = -(mask * log_p_target).sum() / N
    dscores = np.exp(log_probs)
    np.put_along_axis(dscores, y[:, :, None],
                      np.take_along_axis(dscores, y[:, :, None], axis=2) - 1, axis=2)
    dscores *= mask[:, :, None] / N
    return float(loss), dscores
