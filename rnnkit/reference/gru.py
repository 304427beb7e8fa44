"""GRU, forward and backpropagation through time (the reference).

Gate rows of W_ih (3H, D) and W_hh (3H, H) in PyTorch's order r | z | n.

PyTorch / cuDNN ("reset after", the default, reset_after=True):
    r = σ(W_ir x + b_ir + W_hr h + b_hr)
    z = σ(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
    h' = (1 - z) ⊙ n + z ⊙ h

Textbook ("reset before", reset_after=False, as Keras offers):
    n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)
"""
import numpy as np

from rnnkit._checks import check_cell_args, check_flag, check_upstream
from rnnkit.reference.lstm import sigmoid


def gru_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, reset_after=True):
    """One step. x (N, D), h_prev (N, H) -> h_next (N, H), cache."""
    reset_after = check_flag("reset_after", reset_after)
    N, D, H = check_cell_args("gru", x, h_prev, W_ih, W_hh, b_ih, b_hh)
    gi = x @ W_ih.T + b_ih  # input part of all three gates (N, 3H)
    gh_rz = h_prev @ W_hh[:2 * H].T + b_hh[:2 * H]
    r = sigmoid(gi[:, :H] + gh_rz[:, :H])
    z = sigmoid(gi[:, H:2 * H] + gh_rz[:, H:])
    if reset_after:
        gh_n = h_prev @ W_hh[2 * H:].T + b_hh[2 * H:]  # W_hn h + b_hn
        n = np.tanh(gi[:, 2 * H:] + r * gh_n)
    else:
        gh_n = (r * h_prev) @ W_hh[2 * H:].T + b_hh[2 * H:]  # W_hn (r ⊙ h) + b_hn
        n = np.tanh(gi[:, 2 * H:] + gh_n)
    h_next = (1 - z) * n + z * h_prev
    cache = (x, h_prev, W_ih, W_hh, r, z, n, gh_n, reset_after)
    return h_next, cache


def gru_step_backward(dh_next, cache):
    """Backward of one step -> dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh."""
    x, h_prev, W_ih, W_hh, r, z, n, gh_n, reset_after = cache
    H = h_prev.shape[1]
    check_upstream("dh_next", dh_next, h_prev.shape, "(N, H)", h_prev.dtype)
    dn = dh_next * (1 - z)
    dz = dh_next * (h_prev - n)
    dh_prev = dh_next * z  # the direct path h -> h'
    da_n = dn * (1 - n**2)  # gradient of n's pre-activation
    if reset_after:
        dgh_n = da_n * r  # r scales (W_hn h + b_hn)
        dr = da_n * gh_n
    else:
        dgh_n = da_n  # W_hn acts on r ⊙ h
        d_rh = da_n @ W_hh[2 * H:]
        dr = d_rh * h_prev
        dh_prev = dh_prev + d_rh * r
    da_r = dr * r * (1 - r)
    da_z = dz * z * (1 - z)
    dgi = np.concatenate([da_r, da_z, da_n], axis=1)  # (N, 3H), input side
    dgh = np.concatenate([da_r, da_z, dgh_n], axis=1)  # (N, 3H), hidden side
    dx = dgi @ W_ih
    dW_ih = dgi.T @ x
    db_ih = dgi.sum(axis=0)
    db_hh = dgh.sum(axis=0)
    if reset_after:
        dh_prev = dh_prev + dgh @ W_hh
        dW_hh = dgh.T @ h_prev
    else:
        dh_prev = dh_prev + dgh[:, :2 * H] @ W_hh[:2 * H]
        dW_hh = np.concatenate([dgh[:, :2 * H].T @ h_prev, dgh_n.T @ (r * h_prev)], axis=0)
    return dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh


def gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh, reset_after=True):
    """A whole sequence. x (N, T, D), h0 (N, H) -> h (N, T, H), cache."""
    reset_after = check_flag("reset_after", reset_after)
    N, D, H = check_cell_args("gru", x, h0, W_ih, W_hh, b_ih, b_hh, sequence=True, h_name="h0")
    T = x.shape[1]
    h = np.empty((N, T, H), dtype=x.dtype)
    step_caches = []
    h_prev = h0
    for t in range(T):
        h_prev, step_cache = gru_step_forward(x[:, t], h_prev, W_ih, W_hh, b_ih, b_hh, reset_after)
        h[:, t] = h_prev
        step_caches.append(step_cache)
    return h, (step_caches, x.shape, h0)


def gru_backward(dh, cache):
    """BPTT. dh (N, T, H) -> dx, dh0, dW_ih, dW_hh, db_ih, db_hh."""
    step_caches, (N, T, D), h0 = cache
    H = h0.shape[1]
    check_upstream("dh", dh, (N, T, H), "(N, T, H)", h0.dtype)
    W_ih, W_hh = step_caches[0][2], step_caches[0][3]
    dx = np.empty((N, T, D), dtype=dh.dtype)
    dW_ih, dW_hh = np.zeros_like(W_ih), np.zeros_like(W_hh)
    db_ih, db_hh = np.zeros(3 * H, dh.dtype), np.zeros(3 * H, dh.dtype)
    dh_prev = np.zeros((N, H), dtype=dh.dtype)
    for t in reversed(range(T)):
        step = gru_step_backward(dh[:, t] + dh_prev, step_caches[t])
        dx[:, t], dh_prev = step[0], step[1]
        dW_ih += step[2]
        dW_hh += step[3]
        db_ih += step[4]
        db_hh += step[5]
    return dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh
