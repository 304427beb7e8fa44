"""GRU on the CPU with Numba: the same function as rnnkit/reference/gru.py, faster.

What changes relative to the reference (the equations do not):

1. Time-major arrays (T, N, ·) inside, so each time step is one contiguous block.
2. x_t W_ihᵀ + b_ih (+ b_hr, b_hz, which are outside any product with r) for all T steps is one
   matrix product before the loop (rnnkit/cpu/_hoisted.py). In the default "reset after" GRU,
   b_hn stays inside the loop because r multiplies (W_hn h + b_hn).
3. One fused pass per step computes r, z, n and h_t; r, z, n (and W_hn h + b_hn, or r ⊙ h) are
   saved in preallocated (T, N, ·) arrays for the backward pass.
4. The backward loop does only the sequential part; dx, dW_ih, dW_hh and the biases' gradients
   are single large products over all T·N rows afterwards. The hidden-side gradient differs from
   the input-side one only in the n gate (r scales W_hn h + b_hn), so both are kept.
5. No allocation inside the time loop. The default GRU splits the hidden units between threads
   for large sequences (rnnkit/cpu/_blocks.py says why that axis). The textbook variant
   (reset_after=False) has two dependent products per step, W_hr,z h then W_hn (r ⊙ h): it runs
   serially, its products on a multithreaded BLAS.
"""
import numpy as np
from numba import njit, prange

from rnnkit._checks import check_cell_args, check_upstream
from rnnkit.cpu._blocks import blas_single_thread, split_columns, split_rows, threads_for
from rnnkit.cpu._buffers import empty
from rnnkit.cpu._hoisted import (batch_first, bias_gradient, input_gradient, input_projection,
                                 states, time_major, weight_gradient)
from rnnkit.cpu._math import KERNEL_OPTIONS, matmul, sigmoid, tanh


# ---- reset after (PyTorch, cuDNN): n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) ------------

@njit(error_model="numpy")
def _forward_block(p, t, xp, W_blocks, b_hn, hs, rzn, gh_n, a):
    """Step t for the hidden units of block p. Each short loop writes one row slice, so that
    LLVM vectorises it (see rnnkit/cpu/lstm.py)."""
    H = hs.shape[2]
    Hb = W_blocks.shape[2] // 3
    one = hs.dtype.type(1)
    a_p = a[p]
    matmul(hs[t], W_blocks[p], a_p)  # h_{t-1} W_hhᵀ for this block's units: (N, 3·Hb)
    j0 = p * Hb
    units = max(min(Hb, H - j0), 0)
    for n in range(hs.shape[1]):
        x_n, a_n, saved = xp[t, n], a_p[n], rzn[t, n]
        r = saved[j0:j0 + units]
        z = saved[H + j0:H + j0 + units]
        n_ = saved[2 * H + j0:2 * H + j0 + units]
        hn = gh_n[t, n, j0:j0 + units]
        h_prev = hs[t, n, j0:j0 + units]
        h = hs[t + 1, n, j0:j0 + units]
        for u in range(units):
            r[u] = sigmoid(x_n[j0 + u] + a_n[u])
        for u in range(units):
            z[u] = sigmoid(x_n[H + j0 + u] + a_n[Hb + u])
        for u in range(units):
            hn[u] = a_n[2 * Hb + u] + b_hn[j0 + u]  # W_hn h_{t-1} + b_hn
        for u in range(units):
            n_[u] = tanh(x_n[2 * H + j0 + u] + r[u] * hn[u])
        for u in range(units):
            h[u] = (one - z[u]) * n_[u] + z[u] * h_prev[u]


@njit(**KERNEL_OPTIONS)
def gru_forward_serial(xp, W_blocks, b_hn, hs, rzn, gh_n, a):
    """xp (T, N, 3H): x W_ihᵀ + b_ih + (b_hr, b_hz, 0); W_blocks (P, H, 3·Hb): W_hhᵀ by units.

    hs (T+1, N, H) holds h0 at index 0; the kernel fills 1..T. Saved for backward:
    rzn (T, N, 3H) = r | z | n, gh_n (T, N, H) = W_hn h_{t-1} + b_hn. a (P, N, 3·Hb): scratch.
    """
    for t in range(xp.shape[0]):
        for p in range(W_blocks.shape[0]):
            _forward_block(p, t, xp, W_blocks, b_hn, hs, rzn, gh_n, a)


@njit(parallel=True, **KERNEL_OPTIONS)
def gru_forward_parallel(xp, W_blocks, b_hn, hs, rzn, gh_n, a):
    """gru_forward_serial with one thread per block of hidden units."""
    for t in range(xp.shape[0]):
        for p in prange(W_blocks.shape[0]):
            _forward_block(p, t, xp, W_blocks, b_hn, hs, rzn, gh_n, a)


@njit(error_model="numpy")
def _backward_block(p, t, dh, W_blocks, hs, rzn, gh_n, dgi, dgh, da_p, dh_part, dh_t, dh_z):
    """Step t of BPTT for the hidden units of block p (one-output loops, as in the forward)."""
    H = dh.shape[2]
    Hb = W_blocks.shape[1] // 3
    one = dh.dtype.type(1)
    j0 = p * Hb
    units = max(min(Hb, H - j0), 0)
    prev = (t + 1) % 2
    for n in range(dh.shape[1]):
        # h_t feeds the loss at t and step t+1, through W_hh (the blocks' parts) and through z
        d = dh_t[p, n, :units]
        dz_path = dh_z[n, j0:j0 + units]
        for u in range(units):
            d[u] = dh[t, n, j0 + u] + dz_path[u]
        for q in range(W_blocks.shape[0]):
            part = dh_part[prev, q, n, j0:j0 + units]
            for u in range(units):
                d[u] += part[u]
        saved = rzn[t, n]
        r = saved[j0:j0 + units]
        z = saved[H + j0:H + j0 + units]
        n_ = saved[2 * H + j0:2 * H + j0 + units]
        hn = gh_n[t, n, j0:j0 + units]
        h_prev = hs[t, n, j0:j0 + units]
        gi, gh = dgi[t, n], dgh[t, n]
        da_r = gi[j0:j0 + units]
        da_z = gi[H + j0:H + j0 + units]
        da_n = gi[2 * H + j0:2 * H + j0 + units]
        for u in range(units):
            dz_path[u] = d[u] * z[u]  # the direct path h_{t-1} -> h_t
        for u in range(units):
            da_n[u] = d[u] * (one - z[u]) * (one - n_[u] * n_[u])
        for u in range(units):
            da_r[u] = da_n[u] * hn[u] * r[u] * (one - r[u])
        for u in range(units):
            da_z[u] = d[u] * (h_prev[u] - n_[u]) * z[u] * (one - z[u])
        gh[j0:j0 + units] = da_r
        gh[H + j0:H + j0 + units] = da_z
        dgh_n = gh[2 * H + j0:2 * H + j0 + units]
        for u in range(units):
            dgh_n[u] = da_n[u] * r[u]  # r scales W_hn h + b_hn
        packed = da_p[p, n]
        for k in range(3):
            packed[k * Hb:k * Hb + units] = gh[k * H + j0:k * H + j0 + units]
            packed[k * Hb + units:(k + 1) * Hb] = 0  # padding units of the last block
    matmul(da_p[p], W_blocks[p], dh_part[t % 2, p])


@njit(**KERNEL_OPTIONS)
def gru_backward_serial(dh, W_blocks, hs, rzn, gh_n, dgi, dgh, da_p, dh_part, dh_t, dh_z):
    """dh (T, N, H); W_blocks (P, 3·Hb, H): W_hh by units.

    Fills dgi, dgh (T, N, 3H): gradients of the input-side and hidden-side pre-activations.
    dh_part (2, P, N, H), dh_part[T % 2] zero on entry, and dh_z (N, H), zero on entry:
    dh0 = dh_part[0].sum(0) + dh_z on exit. da_p (P, N, 3·Hb), dh_t (P, N, Hb): scratch.
    """
    for t in range(dh.shape[0] - 1, -1, -1):
        for p in range(W_blocks.shape[0]):
            _backward_block(p, t, dh, W_blocks, hs, rzn, gh_n, dgi, dgh, da_p, dh_part, dh_t, dh_z)


@njit(parallel=True, **KERNEL_OPTIONS)
def gru_backward_parallel(dh, W_blocks, hs, rzn, gh_n, dgi, dgh, da_p, dh_part, dh_t, dh_z):
    """gru_backward_serial with one thread per block of hidden units."""
    for t in range(dh.shape[0] - 1, -1, -1):
        for p in prange(W_blocks.shape[0]):
            _backward_block(p, t, dh, W_blocks, hs, rzn, gh_n, dgi, dgh, da_p, dh_part, dh_t, dh_z)


# ---- reset before (textbook, Keras): n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn) ------------

@njit(**KERNEL_OPTIONS)
def gru_before_forward_kernel(xp, W_hrzT, W_hnT, hs, rzn, rh, a_rz, a_n):
    """xp (T, N, 3H): x W_ihᵀ + b_ih + b_hh; W_hrzT (H, 2H), W_hnT (H, H).

    hs (T+1, N, H) holds h0 at index 0. Saved: rzn (T, N, 3H), rh (T, N, H) = r ⊙ h_{t-1}.
    a_rz (N, 2H), a_n (N, H): scratch.
    """
    T, N, H = xp.shape[0], xp.shape[1], hs.shape[2]
    one = hs.dtype.type(1)
    for t in range(T):
        matmul(hs[t], W_hrzT, a_rz)
        for n in range(N):
            for j in range(H):
                r = sigmoid(xp[t, n, j] + a_rz[n, j])
                rzn[t, n, j] = r
                rzn[t, n, H + j] = sigmoid(xp[t, n, H + j] + a_rz[n, H + j])
                rh[t, n, j] = r * hs[t, n, j]
        matmul(rh[t], W_hnT, a_n)  # needs every unit's r: a second product in the same step
        for n in range(N):
            for j in range(H):
                z = rzn[t, n, H + j]
                n_ = tanh(xp[t, n, 2 * H + j] + a_n[n, j])
                rzn[t, n, 2 * H + j] = n_
                hs[t + 1, n, j] = (one - z) * n_ + z * hs[t, n, j]


@njit(**KERNEL_OPTIONS)
def gru_before_backward_kernel(dh, W_hrz, W_hn, hs, rzn, dgi, da_rz, da_n, d_rh, dh_w, dh_z):
    """dh (T, N, H); W_hrz (2H, H), W_hn (H, H) (rows of W_hh). Fills dgi (T, N, 3H).

    dh_w, dh_z (N, H), zero on entry: dh0 = dh_w + dh_z on exit.
    da_rz (N, 2H), da_n (N, H), d_rh (N, H): scratch.
    """
    T, N, H = dh.shape
    one = dh.dtype.type(1)
    for t in range(T - 1, -1, -1):
        for n in range(N):
            for j in range(H):
                z, n_ = rzn[t, n, H + j], rzn[t, n, 2 * H + j]
                d = dh[t, n, j] + dh_w[n, j] + dh_z[n, j]
                dh_z[n, j] = d * z
                a_n = d * (one - z) * (one - n_ * n_)
                da_n[n, j] = a_n
                dgi[t, n, 2 * H + j] = a_n
                a_z = d * (hs[t, n, j] - n_) * z * (one - z)
                da_rz[n, H + j] = a_z
                dgi[t, n, H + j] = a_z
        matmul(da_n, W_hn, d_rh)  # gradient of r ⊙ h_{t-1}
        for n in range(N):
            for j in range(H):
                r = rzn[t, n, j]
                dh_z[n, j] += d_rh[n, j] * r
                a_r = d_rh[n, j] * hs[t, n, j] * r * (one - r)
                da_rz[n, j] = a_r
                dgi[t, n, j] = a_r
        matmul(da_rz, W_hrz, dh_w)


# ---- the sequence functions ----------------------------------------------------------------

def gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh, reset_after=True):
    """A whole sequence, as rnnkit.reference.gru_forward: x (N, T, D) -> h (N, T, H), cache."""
    N, D, H = check_cell_args("gru", x, h0, W_ih, W_hh, b_ih, b_hh, sequence=True, h_name="h0")
    T, dtype = x.shape[1], x.dtype
    x_tm = time_major(x)
    hs = states(h0, T)
    rzn = empty((T, N, 3 * H), dtype)
    if reset_after:
        b_rz = np.concatenate([b_hh[:2 * H], np.zeros(H, dtype)])
        P = threads_for(N, H, 3)
        W_blocks = split_columns(W_hh, 3, P)
        gh_n = empty((T, N, H), dtype)
        kernel = gru_forward_parallel if P > 1 else gru_forward_serial
        with blas_single_thread(P > 1):
            xp = input_projection(x_tm, W_ih, b_ih + b_rz, P)
            kernel(xp, W_blocks, np.ascontiguousarray(b_hh[2 * H:]), hs, rzn, gh_n,
                   empty((P, N, W_blocks.shape[2]), dtype))
        saved = gh_n
    else:
        xp = input_projection(x_tm, W_ih, b_ih + b_hh)
        rh = empty((T, N, H), dtype)
        with blas_single_thread(False):  # serial kernel: only the thread policy applies
            gru_before_forward_kernel(xp, np.ascontiguousarray(W_hh[:2 * H].T),
                                      np.ascontiguousarray(W_hh[2 * H:].T), hs, rzn, rh,
                                      empty((N, 2 * H), dtype), empty((N, H), dtype))
        saved = rh
    return batch_first(hs[1:]), (x_tm, hs, rzn, saved, W_ih, W_hh, bool(reset_after))


def gru_backward(dh, cache):
    """BPTT, as rnnkit.reference.gru_backward -> dx, dh0, dW_ih, dW_hh, db_ih, db_hh."""
    x_tm, hs, rzn, saved, W_ih, W_hh, reset_after = cache
    T, N, H = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
    dtype = hs.dtype
    check_upstream("dh", dh, (N, T, H), "(N, T, H)", dtype)
    dh_tm = time_major(dh)
    dgi = empty((T, N, 3 * H), dtype)
    dh_z = np.zeros((N, H), dtype)
    if reset_after:
        P = threads_for(N, H, 3)
        W_blocks = split_rows(W_hh, 3, P)
        Hb = W_blocks.shape[1] // 3
        dgh = empty((T, N, 3 * H), dtype)
        dh_part = empty((2, P, N, H), dtype)
        dh_part[T % 2] = 0
        kernel = gru_backward_parallel if P > 1 else gru_backward_serial
        with blas_single_thread(P > 1):
            kernel(dh_tm, W_blocks, hs, rzn, saved, dgi, dgh, empty((P, N, 3 * Hb), dtype),
                   dh_part, empty((P, N, Hb), dtype), dh_z)
            dx = input_gradient(dgi, W_ih, P)
            dW_ih, dW_hh = weight_gradient(dgi, x_tm, P), weight_gradient(dgh, hs[:-1], P)
        dh0 = dh_part[0].sum(axis=0) + dh_z
        db_hh = bias_gradient(dgh)
    else:
        dh_w = np.zeros((N, H), dtype)
        with blas_single_thread(False):
            gru_before_backward_kernel(dh_tm, np.ascontiguousarray(W_hh[:2 * H]),
                                       np.ascontiguousarray(W_hh[2 * H:]), hs, rzn, dgi,
                                       empty((N, 2 * H), dtype), empty((N, H), dtype),
                                       empty((N, H), dtype), dh_w, dh_z)
        dh0 = dh_w + dh_z
        # W_hr, W_hz act on h_{t-1}; W_hn acts on r ⊙ h_{t-1}
        dW_hh = np.concatenate([weight_gradient(dgi[:, :, :2 * H], hs[:-1]),
                                weight_gradient(dgi[:, :, 2 * H:], saved)])
        db_hh = bias_gradient(dgi)
        dx, dW_ih = input_gradient(dgi, W_ih), weight_gradient(dgi, x_tm)
    return dx, dh0, dW_ih, dW_hh, bias_gradient(dgi), db_hh
