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
6. Large sequences split the hidden units between threads (rnnkit/cpu/_blocks.py says why that
   axis); small ones run the serial kernel, where starting threads would cost more than it saves.
"""
import numpy as np
from numba import njit, prange

from rnnkit._checks import check_cell_args, check_upstream
from rnnkit.cpu._blocks import blas_single_thread, split_columns, split_rows, threads_for
from rnnkit.cpu._buffers import empty
from rnnkit.cpu._hoisted import (batch_first, bias_gradient, input_gradient, input_projection,
                                 states, time_major, weight_gradient)
from rnnkit.cpu._math import KERNEL_OPTIONS, matmul, sigmoid, tanh


@njit(error_model="numpy")
def _forward_block(p, t, xp, W_blocks, hs, cs, ifgo, a):
    """Step t for the hidden units of block p (see the drivers below for the shapes).

    The gate arithmetic is written as short loops that each write one row slice: LLVM then
    turns every loop into AVX vector code (one long loop writing six arrays is left scalar,
    because LLVM cannot rule out that they overlap). 4x faster, same arithmetic.
    """
    H = hs.shape[2]
    Hb = W_blocks.shape[2] // 4
    a_p = a[p]
    matmul(hs[t], W_blocks[p], a_p)  # h_{t-1} W_hhᵀ for this block's units: (N, 4·Hb)
    j0 = p * Hb
    units = max(min(Hb, H - j0), 0)
    for n in range(hs.shape[1]):
        x_n, a_n, saved = xp[t, n], a_p[n], ifgo[t, n]
        i = saved[j0:j0 + units]
        f = saved[H + j0:H + j0 + units]
        g = saved[2 * H + j0:2 * H + j0 + units]
        o = saved[3 * H + j0:3 * H + j0 + units]
        for u in range(units):
            i[u] = sigmoid(x_n[j0 + u] + a_n[u])
        for u in range(units):
            f[u] = sigmoid(x_n[H + j0 + u] + a_n[Hb + u])
        for u in range(units):
            g[u] = tanh(x_n[2 * H + j0 + u] + a_n[2 * Hb + u])
        for u in range(units):
            o[u] = sigmoid(x_n[3 * H + j0 + u] + a_n[3 * Hb + u])
        c_prev = cs[t, n, j0:j0 + units]
        c = cs[t + 1, n, j0:j0 + units]
        h = hs[t + 1, n, j0:j0 + units]
        for u in range(units):
            c[u] = f[u] * c_prev[u] + i[u] * g[u]
        for u in range(units):
            h[u] = o[u] * tanh(c[u])


@njit(**KERNEL_OPTIONS)
def lstm_forward_serial(xp, W_blocks, hs, cs, ifgo, a):
    """The recurrence. xp (T, N, 4H): input projection with both biases.

    W_blocks (P, H, 4·Hb): W_hhᵀ split by hidden units (rnnkit/cpu/_blocks.py).
    hs, cs (T+1, N, H) hold h0, c0 at index 0; the kernel fills 1..T.
    ifgo (T, N, 4H): gate activations i | f | g | o, saved for the backward pass.
    a (P, N, 4·Hb): scratch for h_{t-1} W_hhᵀ.
    """
    for t in range(xp.shape[0]):
        for p in range(W_blocks.shape[0]):
            _forward_block(p, t, xp, W_blocks, hs, cs, ifgo, a)


@njit(parallel=True, **KERNEL_OPTIONS)
def lstm_forward_parallel(xp, W_blocks, hs, cs, ifgo, a):
    """lstm_forward_serial with one thread per block of hidden units."""
    for t in range(xp.shape[0]):
        for p in prange(W_blocks.shape[0]):
            _forward_block(p, t, xp, W_blocks, hs, cs, ifgo, a)


@njit(error_model="numpy")
def _backward_block(p, t, dh, W_blocks, cs, ifgo, da, da_p, dh_part, dh_t, tanh_c, dc):
    """Step t of BPTT for the hidden units of block p (one-output loops, as in the forward)."""
    H = dh.shape[2]
    Hb = W_blocks.shape[1] // 4
    one = dh.dtype.type(1)
    j0 = p * Hb
    units = max(min(Hb, H - j0), 0)
    prev = (t + 1) % 2
    for n in range(dh.shape[1]):
        # h_t feeds the loss at t and step t+1, whose gradient is the sum of every block's part
        d = dh_t[p, n, :units]
        d[:] = dh[t, n, j0:j0 + units]
        for q in range(W_blocks.shape[0]):
            part = dh_part[prev, q, n, j0:j0 + units]
            for u in range(units):
                d[u] += part[u]
        saved = ifgo[t, n]
        i = saved[j0:j0 + units]
        f = saved[H + j0:H + j0 + units]
        g = saved[2 * H + j0:2 * H + j0 + units]
        o = saved[3 * H + j0:3 * H + j0 + units]
        da_n = da[t, n]
        da_i = da_n[j0:j0 + units]
        da_f = da_n[H + j0:H + j0 + units]
        da_g = da_n[2 * H + j0:2 * H + j0 + units]
        da_o = da_n[3 * H + j0:3 * H + j0 + units]
        c_prev = cs[t, n, j0:j0 + units]
        tc = tanh_c[p, n, :units]
        dc_n = dc[n, j0:j0 + units]
        for u in range(units):
            tc[u] = tanh(cs[t + 1, n, j0 + u])
        for u in range(units):
            da_o[u] = d[u] * tc[u] * o[u] * (one - o[u])
        # c_t reaches the loss directly (dc, from step t+1) and through h_t = o ⊙ tanh(c_t)
        for u in range(units):
            dc_n[u] += d[u] * o[u] * (one - tc[u] * tc[u])
        for u in range(units):
            da_i[u] = dc_n[u] * g[u] * i[u] * (one - i[u])
        for u in range(units):
            da_f[u] = dc_n[u] * c_prev[u] * f[u] * (one - f[u])
        for u in range(units):
            da_g[u] = dc_n[u] * i[u] * (one - g[u] * g[u])
        for u in range(units):
            dc_n[u] *= f[u]  # dc_{t-1}
        packed = da_p[p, n]
        for k in range(4):
            packed[k * Hb:k * Hb + units] = da_n[k * H + j0:k * H + j0 + units]
            packed[k * Hb + units:(k + 1) * Hb] = 0  # padding units of the last block
    # this block's share of dh_{t-1} = da_t W_hh
    matmul(da_p[p], W_blocks[p], dh_part[t % 2, p])


@njit(**KERNEL_OPTIONS)
def lstm_backward_serial(dh, W_blocks, cs, ifgo, da, da_p, dh_part, dh_t, tanh_c, dc):
    """BPTT. dh (T, N, H): upstream gradient of every h_t; dc (N, H) holds dc_n on entry.

    W_blocks (P, 4·Hb, H): W_hh split by hidden units. Fills da (T, N, 4H), the gradient of the
    gate pre-activations. dh_part (2, P, N, H): each block's share of dh_{t-1} (two copies: one
    read, one written, swapping every step); dh_part[T % 2] must be zero on entry. On exit
    dh0 = dh_part[0].sum(0) and dc holds dc0. da_p (P, N, 4·Hb), dh_t, tanh_c (P, N, Hb): scratch.
    """
    for t in range(dh.shape[0] - 1, -1, -1):
        for p in range(W_blocks.shape[0]):
            _backward_block(p, t, dh, W_blocks, cs, ifgo, da, da_p, dh_part, dh_t, tanh_c, dc)


@njit(parallel=True, **KERNEL_OPTIONS)
def lstm_backward_parallel(dh, W_blocks, cs, ifgo, da, da_p, dh_part, dh_t, tanh_c, dc):
    """lstm_backward_serial with one thread per block of hidden units."""
    for t in range(dh.shape[0] - 1, -1, -1):
        for p in prange(W_blocks.shape[0]):
            _backward_block(p, t, dh, W_blocks, cs, ifgo, da, da_p, dh_part, dh_t, tanh_c, dc)


def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    """A whole sequence, as rnnkit.reference.lstm_forward: x (N, T, D) -> h (N, T, H), cache."""
    if c0 is None and isinstance(h0, np.ndarray):
        c0 = np.zeros_like(h0)
    N, D, H = check_cell_args("lstm", x, h0, W_ih, W_hh, b_ih, b_hh, c=c0, sequence=True,
                              h_name="h0", c_name="c0")
    T, dtype = x.shape[1], x.dtype
    P = threads_for(N, H, 4)
    x_tm = time_major(x)
    hs, cs = states(h0, T, c0)
    ifgo = empty((T, N, 4 * H), dtype)
    W_blocks = split_columns(W_hh, 4, P)
    a = empty((P, N, W_blocks.shape[2]), dtype)
    kernel = lstm_forward_parallel if P > 1 else lstm_forward_serial
    with blas_single_thread(P > 1):
        xp = input_projection(x_tm, W_ih, b_ih + b_hh, P)
        kernel(xp, W_blocks, hs, cs, ifgo, a)
    return batch_first(hs[1:]), (x_tm, hs, cs, ifgo, W_ih, W_hh)


def lstm_final_cell(cache):
    """c_T (N, H) from a ``lstm_forward`` cache."""
    return cache[2][-1].copy()


def lstm_backward(dh, cache, dc_n=None):
    """BPTT, as rnnkit.reference.lstm_backward -> dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh."""
    x_tm, hs, cs, ifgo, W_ih, W_hh = cache
    T, N, H = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
    dtype = hs.dtype
    check_upstream("dh", dh, (N, T, H), "(N, T, H)", dtype)
    if dc_n is None:
        dc = np.zeros((N, H), dtype)
    else:
        check_upstream("dc_n", dc_n, (N, H), "(N, H)", dtype)
        dc = dc_n.copy()
    P = threads_for(N, H, 4)
    W_blocks = split_rows(W_hh, 4, P)
    Hb = W_blocks.shape[1] // 4
    da = empty((T, N, 4 * H), dtype)
    dh_part = empty((2, P, N, H), dtype)
    dh_part[T % 2] = 0  # nothing flows back into the last step from the future
    kernel = lstm_backward_parallel if P > 1 else lstm_backward_serial
    with blas_single_thread(P > 1):
        kernel(time_major(dh), W_blocks, cs, ifgo, da, empty((P, N, 4 * Hb), dtype), dh_part,
               empty((P, N, Hb), dtype), empty((P, N, Hb), dtype), dc)
        dx = input_gradient(da, W_ih, P)
        dW_ih, dW_hh = weight_gradient(da, x_tm, P), weight_gradient(da, hs[:-1], P)
    db = bias_gradient(da)
    return dx, dh_part[0].sum(axis=0), dc, dW_ih, dW_hh, db, db.copy()
