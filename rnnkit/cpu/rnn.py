"""Vanilla RNN on the CPU with Numba: the same function as rnnkit/reference/rnn.py, faster.

What changes relative to the reference (the equations do not):

1. Time-major arrays (T, N, ·) inside, so each time step is one contiguous block.
2. x_t W_ihᵀ + b_ih + b_hh for all T steps is one matrix product before the loop
   (rnnkit/cpu/_hoisted.py); the loop only adds h_{t-1} W_hhᵀ and applies tanh or relu in place.
3. The backward loop does only the sequential part (da_t and dh_{t-1} = da_t W_hh); dx, dW_ih,
   dW_hh and the biases' gradients are single large products over all T·N rows afterwards.
   tanh'(a) = 1 - h² and relu'(a) = [h > 0] are read from the saved states: no cache of a.
4. No allocation inside the time loop; large sequences split the hidden units between threads
   (rnnkit/cpu/_blocks.py says why that axis).
"""
from numba import njit, prange

from rnnkit._checks import check_cell_args, check_choice, check_upstream
from rnnkit.cpu._blocks import blas_single_thread, split_columns, split_rows, threads_for
from rnnkit.cpu._buffers import empty
from rnnkit.cpu._hoisted import (batch_first, bias_gradient, input_gradient, input_projection,
                                 states, time_major, weight_gradient)
from rnnkit.cpu._math import KERNEL_OPTIONS, matmul, tanh

NONLINEARITIES = ("tanh", "relu")


@njit(error_model="numpy")
def _forward_block(p, t, xp, W_blocks, hs, a, relu):
    N, H = hs.shape[1], hs.shape[2]
    Hb = W_blocks.shape[2]
    a_p = a[p]
    matmul(hs[t], W_blocks[p], a_p)
    j0 = p * Hb
    zero = hs.dtype.type(0)
    for n in range(N):
        if relu:
            for u in range(min(Hb, H - j0)):
                hs[t + 1, n, j0 + u] = max(xp[t, n, j0 + u] + a_p[n, u], zero)
        else:
            for u in range(min(Hb, H - j0)):
                hs[t + 1, n, j0 + u] = tanh(xp[t, n, j0 + u] + a_p[n, u])


@njit(**KERNEL_OPTIONS)
def rnn_forward_serial(xp, W_blocks, hs, a, relu):
    """xp (T, N, H): input projection with both biases; W_blocks (P, H, Hb): W_hhᵀ by units.

    hs (T+1, N, H) holds h0 at index 0; the kernel fills 1..T. a (P, N, Hb): scratch.
    """
    for t in range(xp.shape[0]):
        for p in range(W_blocks.shape[0]):
            _forward_block(p, t, xp, W_blocks, hs, a, relu)


@njit(parallel=True, **KERNEL_OPTIONS)
def rnn_forward_parallel(xp, W_blocks, hs, a, relu):
    """rnn_forward_serial with one thread per block of hidden units."""
    for t in range(xp.shape[0]):
        for p in prange(W_blocks.shape[0]):
            _forward_block(p, t, xp, W_blocks, hs, a, relu)


@njit(error_model="numpy")
def _backward_block(p, t, dh, W_blocks, hs, relu, da, da_p, dh_part):
    H = dh.shape[2]
    Hb = W_blocks.shape[1]
    one, zero = dh.dtype.type(1), dh.dtype.type(0)
    j0 = p * Hb
    units = max(min(Hb, H - j0), 0)
    prev = (t + 1) % 2
    for n in range(dh.shape[1]):
        # h_t feeds the loss at t and step t+1 (whose gradient is the sum of the blocks' parts)
        d = da_p[p, n, :units]
        d[:] = dh[t, n, j0:j0 + units]
        for q in range(W_blocks.shape[0]):
            part = dh_part[prev, q, n, j0:j0 + units]
            for u in range(units):
                d[u] += part[u]
        h = hs[t + 1, n, j0:j0 + units]
        if relu:
            for u in range(units):
                d[u] = d[u] if h[u] > zero else zero
        else:
            for u in range(units):
                d[u] *= one - h[u] * h[u]  # tanh'(a) = 1 - tanh(a)², at the new state
        da[t, n, j0:j0 + units] = d
        da_p[p, n, units:] = 0  # padding units of the last block
    matmul(da_p[p], W_blocks[p], dh_part[t % 2, p])


@njit(**KERNEL_OPTIONS)
def rnn_backward_serial(dh, W_blocks, hs, relu, da, da_p, dh_part):
    """dh (T, N, H); W_blocks (P, Hb, H): W_hh by units. Fills da (T, N, H).

    dh_part (2, P, N, H): each block's share of dh_{t-1}, dh_part[T % 2] zero on entry;
    dh0 = dh_part[0].sum(0) on exit. da_p (P, N, Hb): scratch.
    """
    for t in range(dh.shape[0] - 1, -1, -1):
        for p in range(W_blocks.shape[0]):
            _backward_block(p, t, dh, W_blocks, hs, relu, da, da_p, dh_part)


@njit(parallel=True, **KERNEL_OPTIONS)
def rnn_backward_parallel(dh, W_blocks, hs, relu, da, da_p, dh_part):
    """rnn_backward_serial with one thread per block of hidden units."""
    for t in range(dh.shape[0] - 1, -1, -1):
        for p in prange(W_blocks.shape[0]):
            _backward_block(p, t, dh, W_blocks, hs, relu, da, da_p, dh_part)


def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh"):
    """A whole sequence, as rnnkit.reference.rnn_forward: x (N, T, D) -> h (N, T, H), cache."""
    check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
    N, D, H = check_cell_args("rnn", x, h0, W_ih, W_hh, b_ih, b_hh, sequence=True, h_name="h0")
    T = x.shape[1]
    P = threads_for(N, H, 1)
    relu = nonlinearity == "relu"
    x_tm = time_major(x)
    hs = states(h0, T)
    W_blocks = split_columns(W_hh, 1, P)
    kernel = rnn_forward_parallel if P > 1 else rnn_forward_serial
    with blas_single_thread(P > 1):
        xp = input_projection(x_tm, W_ih, b_ih + b_hh, P)
        kernel(xp, W_blocks, hs, empty((P, N, W_blocks.shape[2]), x.dtype), relu)
    return batch_first(hs[1:]), (x_tm, hs, W_ih, W_hh, relu)


def rnn_backward(dh, cache):
    """BPTT, as rnnkit.reference.rnn_backward -> dx, dh0, dW_ih, dW_hh, db_ih, db_hh."""
    x_tm, hs, W_ih, W_hh, relu = cache
    T, N, H = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
    check_upstream("dh", dh, (N, T, H), "(N, T, H)", hs.dtype)
    P = threads_for(N, H, 1)
    W_blocks = split_rows(W_hh, 1, P)
    da = empty((T, N, H), hs.dtype)
    dh_part = empty((2, P, N, H), hs.dtype)
    dh_part[T % 2] = 0
    kernel = rnn_backward_parallel if P > 1 else rnn_backward_serial
    with blas_single_thread(P > 1):
        kernel(time_major(dh), W_blocks, hs, relu, da, empty((P, N, W_blocks.shape[1]), hs.dtype),
               dh_part)
        dx = input_gradient(da, W_ih, P)
        dW_ih, dW_hh = weight_gradient(da, x_tm, P), weight_gradient(da, hs[:-1], P)
    db = bias_gradient(da)
    return dx, dh_part[0].sum(axis=0), dW_ih, dW_hh, db, db.copy()
