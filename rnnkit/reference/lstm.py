"""LSTM, forward and backpropagation through time (the reference).

Gate rows of W_ih (4H, D) and W_hh (4H, H) in PyTorch's order i | f | g | o:

    a_t = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh          (N, 4H)
    i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
    c_t = f ⊙ c_{t-1} + i ⊙ g
    h_t = o ⊙ tanh(c_t)
"""
import numpy as np

from rnnkit._checks import check_cell_args, check_upstream


def sigmoid(a):
    """σ(a) = 1 / (1 + e^-a), written so that neither branch overflows."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """One step. x (N, D), h_prev and c_prev (N, H) -> h_next, c_next (N, H), cache."""
    N, D, H = check_cell_args("lstm", x, h_prev, W_ih, W_hh, b_ih, b_hh, c=c_prev)
    a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    i = sigmoid(a[:, 0 * H:1 * H])
    f = sigmoid(a[:, 1 * H:2 * H])
    g = np.tanh(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:4 * H])
    c_next = f * c_prev + i * g
    tanh_c = np.tanh(c_next)
    h_next = o * tanh_c
    cache = (x, h_prev, c_prev, W_ih, W_hh, i, f, g, o, c_next, tanh_c)
    return h_next, c_next, cache


def lstm_step_backward(dh_next, dc_next, cache):
    """Backward of one step -> dx, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh."""
    x, h_prev, c_prev, W_ih, W_hh, i, f, g, o, c_next, tanh_c = cache
    check_upstream("dh_next", dh_next, c_next.shape, "(N, H)", c_next.dtype)
    check_upstream("dc_next", dc_next, c_next.shape, "(N, H)", c_next.dtype)
    # c_t reaches the loss directly (dc_next) and through h_t = o ⊙ tanh(c_t)
    dc = dc_next + dh_next * o * (1 - tanh_c**2)
    do = dh_next * tanh_c
    di = dc * g
    dg = dc * i
    df = dc * c_prev
    dc_prev = dc * f
    # through the nonlinearities: σ' = σ(1 - σ), tanh' = 1 - tanh²
    da = np.concatenate(
        [di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=1
    )
    dx = da @ W_ih
    dh_prev = da @ W_hh
    dW_ih = da.T @ x
    dW_hh = da.T @ h_prev
    db_ih = da.sum(axis=0)
    db_hh = db_ih.copy()
    return dx, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh


def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    """A whole sequence. x (N, T, D), h0 and c0 (N, H) -> h (N, T, H), cache.

    c0 may be None (zeros), as in PyTorch.
    """
    if c0 is None and isinstance(h0, np.ndarray):
        c0 = np.zeros_like(h0)
    N, D, H = check_cell_args("lstm", x, h0, W_ih, W_hh, b_ih, b_hh, c=c0, sequence=True,
                              h_name="h0", c_name="c0")
    T = x.shape[1]
    h = np.empty((N, T, H), dtype=x.dtype)
    step_caches = []
    h_prev, c_prev = h0, c0
    for t in range(T):
        h_prev, c_prev, step_cache = lstm_step_forward(x[:, t], h_prev, c_prev,
                                                       W_ih, W_hh, b_ih, b_hh)
        h[:, t] = h_prev
        step_caches.append(step_cache)
    return h, (step_caches, x.shape, h0)


def lstm_final_cell(cache):
    """c_T (N, H) from a reference ``lstm_forward`` cache (what a layer returns as c_n)."""
    step_caches, _, h0 = cache
    return step_caches[-1][9] if step_caches else np.zeros_like(h0)


def lstm_backward(dh, cache, dc_n=None):
    """BPTT. dh (N, T, H) -> dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh.

    dc_n (N, H), optional: upstream gradient of the final cell state c_T.
    """
    step_caches, (N, T, D), h0 = cache
    H = h0.shape[1]
    check_upstream("dh", dh, (N, T, H), "(N, T, H)", h0.dtype)
    W_ih, W_hh = step_caches[0][3], step_caches[0][4]
    dx = np.empty((N, T, D), dtype=dh.dtype)
    dW_ih, dW_hh = np.zeros_like(W_ih), np.zeros_like(W_hh)
    db_ih, db_hh = np.zeros(4 * H, dh.dtype), np.zeros(4 * H, dh.dtype)
    dh_prev = np.zeros((N, H), dtype=dh.dtype)
    if dc_n is None:
        dc_prev = np.zeros((N, H), dtype=dh.dtype)
    else:
        check_upstream("dc_n", dc_n, (N, H), "(N, H)", h0.dtype)
        dc_prev = dc_n.copy()
    for t in reversed(range(T)):
        step = lstm_step_backward(dh[:, t] + dh_prev, dc_prev, step_caches[t])
        dx[:, t], dh_prev, dc_prev = step[0], step[1], step[2]
        dW_ih += step[3]
        dW_hh += step[4]
        db_ih += step[5]
        db_hh += step[6]
    return dx, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh


def lstm_gates(a, c_prev):
    """The gate math of one LSTM step (assignment 07's elementwise kernel): pre-activations (N, 4H) -> h_next, c_next."""
    H = c_prev.shape[1]
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H])
    g = np.tanh(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:])
    c_next = f * c_prev + i * g
    return o * np.tanh(c_next), c_next
