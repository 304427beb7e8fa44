"""Vanilla RNN, forward and backpropagation through time (the reference).

    a_t = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh        (N, H)
    h_t = act(a_t),  act = tanh or relu

Shapes: x_t (N, D), h (N, H), W_ih (H, D), W_hh (H, H), b_ih and b_hh (H,).
The cache is whatever the backward pass needs; callers treat it as opaque.
"""
import numpy as np

from rnnkit._checks import check_cell_args, check_choice, check_upstream

NONLINEARITIES = ("tanh", "relu")


def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh"):
    """One time step. x (N, D), h_prev (N, H) -> h_next (N, H), cache."""
    check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
    check_cell_args("rnn", x, h_prev, W_ih, W_hh, b_ih, b_hh)
    a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    h_next = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    cache = (x, h_prev, W_ih, W_hh, a, h_next, nonlinearity)
    return h_next, cache


def rnn_step_backward(dh_next, cache):
    """Backward of one step. dh_next (N, H) -> dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh."""
    x, h_prev, W_ih, W_hh, a, h_next, nonlinearity = cache
    check_upstream("dh_next", dh_next, h_next.shape, "(N, H)", h_next.dtype)
    if nonlinearity == "tanh":
        da = dh_next * (1 - h_next**2)  # tanh'(a) = 1 - tanh(a)², taken at the *new* state
    else:
        da = dh_next * (a > 0)
    dx = da @ W_ih
    dh_prev = da @ W_hh
    dW_ih = da.T @ x
    dW_hh = da.T @ h_prev
    db_ih = da.sum(axis=0)  # the bias is shared by every row of the batch
    db_hh = db_ih.copy()
    return dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh


def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh"):
    """A whole sequence. x (N, T, D), h0 (N, H) -> h (N, T, H), cache."""
    check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
    N, D, H = check_cell_args("rnn", x, h0, W_ih, W_hh, b_ih, b_hh, sequence=True, h_name="h0")
    T = x.shape[1]
    h = np.empty((N, T, H), dtype=x.dtype)
    step_caches = []
    h_prev = h0
    for t in range(T):
        h_prev, step_cache = rnn_step_forward(x[:, t], h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity)
        h[:, t] = h_prev
        step_caches.append(step_cache)
    return h, (step_caches, x.shape, h0)


def rnn_backward(dh, cache):
    """BPTT. dh (N, T, H): upstream gradient of every h_t -> dx, dh0, dW_ih, dW_hh, db_ih, db_hh."""
    step_caches, (N, T, D), h0 = cache
    H = h0.shape[1]
    check_upstream("dh", dh, (N, T, H), "(N, T, H)", h0.dtype)
    W_ih, W_hh = step_caches[0][2], step_caches[0][3]
    dx = np.empty((N, T, D), dtype=dh.dtype)
    dW_ih, dW_hh = np.zeros_like(W_ih), np.zeros_like(W_hh)
    db_ih, db_hh = np.zeros(H, dh.dtype), np.zeros(H, dh.dtype)
    dh_prev = np.zeros((N, H), dtype=dh.dtype)
    for t in reversed(range(T)):
        # h_t feeds both the loss at t and the next step: add both gradients
        step = rnn_step_backward(dh[:, t] + dh_prev, step_caches[t])
        dx[:, t], dh_prev = step[0], step[1]
        dW_ih += step[2]
        dW_hh += step[3]
        db_ih += step[4]
        db_hh += step[5]
    return dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh
