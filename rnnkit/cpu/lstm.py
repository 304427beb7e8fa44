"""LSTM on the CPU with Numba: the same function as rnnkit/reference/lstm.py, faster.

What changes relative to the reference (the equations do not):

1. Time-major arrays (T, N, ·) inside, so each time step is one contiguous block.
2. The input projection x_t W_ihᵀ + b_ih + b_hh of all T steps is one matrix product before the
   loop (rnnkit/cpu/_hoisted.py); the loop only adds h_{t-1} W_hhᵀ.
3. One fused pass per step computes the four gates, c_t and h_t element by element, instead of
   numpy's dozen temporary arrays; the gate values are saved in a preallocated (T, N, 4H) array.
4. Backward: the loop does only what is truly sequential (the gate gradients da_t and
   dh_{t-1} = da_t W_hh); dx, dW_ih, dW_hh and the biases' gradients are sums over time steps,
   done afterwards as single large matrix products over all T·N rows.
5. Nothing is allocated inside the time loop; every buffer is passed in.
"""
import numpy as np
from numba import njit

from rnnkit._checks import check_cell_args, check_upstream
from rnnkit.cpu._buffers import empty
from rnnkit.cpu._hoisted import (batch_first, bias_gradient, input_gradient, input_projection,
                                 states, time_major, weight_gradient)
from rnnkit.cpu._math import KERNEL_OPTIONS, matmul, sigmoid, tanh


@njit(**KERNEL_OPTIONS)
def lstm_forward_kernel(xp, W_hhT, hs, cs, ifgo, a):
    """The recurrence. xp (T, N, 4H): input projection with both biases; W_hhT (H, 4H).

    hs, cs (T+1, N, H) hold h0, c0 at index 0; the kernel fills 1..T.
    ifgo (T, N, 4H): gate activations i | f | g | o, saved for the backward pass.
    a (N, 4H): scratch for h_{t-1} W_hhᵀ.
    """
    T, N, H = xp.shape[0], xp.shape[1], hs.shape[2]
    for t in range(T):
        matmul(hs[t], W_hhT, a)
        for n in range(N):
            for j in range(H):
                i = sigmoid(xp[t, n, j] + a[n, j])
                f = sigmoid(xp[t, n, H + j] + a[n, H + j])
                g = tanh(xp[t, n, 2 * H + j] + a[n, 2 * H + j])
                o = sigmoid(xp[t, n, 3 * H + j] + a[n, 3 * H + j])
                c = f * cs[t, n, j] + i * g
                cs[t + 1, n, j] = c
                hs[t + 1, n, j] = o * tanh(c)
                ifgo[t, n, j] = i
                ifgo[t, n, H + j] = f
                ifgo[t, n, 2 * H + j] = g
                ifgo[t, n, 3 * H + j] = o


@njit(**KERNEL_OPTIONS)
def lstm_backward_kernel(dh, dc_n, W_hh, cs, ifgo, da, dh_prev, dc_prev):
    """BPTT. dh (T, N, H) upstream gradient of every h_t; dc_n (N, H) that of c_T.

    Fills da (T, N, 4H), the gradient of the gate pre-activations, and leaves dh0 in dh_prev
    and dc0 in dc_prev (both (N, H)).
    """
    T, N, H = dh.shape
    one = dh.dtype.type(1)
    for n in range(N):
        for j in range(H):
            dh_prev[n, j] = 0
            dc_prev[n, j] = dc_n[n, j]
    for t in range(T - 1, -1, -1):
        for n in range(N):
            for j in range(H):
                i, f = ifgo[t, n, j], ifgo[t, n, H + j]
                g, o = ifgo[t, n, 2 * H + j], ifgo[t, n, 3 * H + j]
                tanh_c = tanh(cs[t + 1, n, j])
                # h_t feeds the loss at t and step t+1; c_t reaches the loss through h_t too
                dh_t = dh[t, n, j] + dh_prev[n, j]
                dc = dc_prev[n, j] + dh_t * o * (one - tanh_c * tanh_c)
                dc_prev[n, j] = dc * f
                da[t, n, j] = dc * g * i * (one - i)
                da[t, n, H + j] = dc * cs[t, n, j] * f * (one - f)
                da[t, n, 2 * H + j] = dc * i * (one - g * g)
                da[t, n, 3 * H + j] = dh_t * tanh_c * o * (one - o)
        matmul(da[t], W_hh, dh_prev)


def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    """A whole sequence, as rnnkit.reference.lstm_forward: x (N, T, D) -> h (N, T, H), cache."""
    if c0 is None and isinstance(h0, np.ndarray):
        c0 = np.zeros_like(h0)
    N, D, H = check_cell_args("lstm", x, h0, W_ih, W_hh, b_ih, b_hh, c=c0, sequence=True,
                              h_name="h0", c_name="c0")
    T = x.shape[1]
    x_tm = time_major(x)
    xp = input_projection(x_tm, W_ih, b_ih + b_hh)
    hs, cs = states(h0, T, c0)
    ifgo = empty((T, N, 4 * H), x.dtype)
    lstm_forward_kernel(xp, np.ascontiguousarray(W_hh.T), hs, cs, ifgo, empty((N, 4 * H), x.dtype))
    return batch_first(hs[1:]), (x_tm, hs, cs, ifgo, W_ih, W_hh)


def lstm_final_cell(cache):
    """c_T (N, H) from a ``lstm_forward`` cache."""
    return cache[2][-1].copy()


def lstm_backward(dh, cache, dc_n=None):
    """BPTT, as rnnkit.reference.lstm_backward -> dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh."""
    x_tm, hs, cs, ifgo, W_ih, W_hh = cache
    T, N, H = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
    check_upstream("dh", dh, (N, T, H), "(N, T, H)", hs.dtype)
    if dc_n is None:
        dc_n = np.zeros((N, H), hs.dtype)
    else:
        check_upstream("dc_n", dc_n, (N, H), "(N, H)", hs.dtype)
    da = empty((T, N, 4 * H), hs.dtype)
    dh0, dc0 = empty((N, H), hs.dtype), empty((N, H), hs.dtype)
    lstm_backward_kernel(time_major(dh), dc_n, W_hh, cs, ifgo, da, dh0, dc0)
    db = bias_gradient(da)
    return (input_gradient(da, W_ih), dh0, dc0, weight_gradient(da, x_tm),
            weight_gradient(da, hs[:-1]), db, db.copy())
