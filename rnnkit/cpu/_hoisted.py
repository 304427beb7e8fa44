"""The matrix products that do not depend on the recurrence, done once for all time steps.

Only h_{t-1} -> h_t is sequential. Everything that is a sum or a map over time steps is one
large matrix product with T·N rows instead of T small ones, which BLAS runs near its peak:

    forward:   x_t W_ihᵀ + b           for every t   ->  (T·N, D) @ (D, G·H)
    backward:  dx_t = da_t W_ih        for every t   ->  (T·N, G·H) @ (G·H, D)
               dW_ih = Σ_t da_tᵀ x_t                 ->  (G·H, T·N) @ (T·N, D)
               dW_hh = Σ_t da_tᵀ h_{t-1}             ->  (G·H, T·N) @ (T·N, H)

Arrays are time-major, (T, N, ·), so that one time step is a contiguous (N, ·) block.

With ``threads`` > 1 (the parallel kernels' case) the products run on Numba's threads, each a
single-threaded BLAS call on its share of the T·N rows, inside the caller's
``blas_single_thread()``. Why not simply numpy's multithreaded BLAS: its worker threads keep
spinning for a while after each product, and on 2 cores they then steal the CPU from the
parallel recurrence that follows (measured: an LSTM forward 2.5x slower than its backward).
"""
import numpy as np
from numba import njit, prange

from rnnkit.cpu._buffers import empty


@njit(parallel=True, cache=True)
def _matmul_rows_parallel(a, b, out, threads):
    """out = a @ b with a's rows split between threads (b C-contiguous)."""
    M = a.shape[0]
    step = (M + threads - 1) // threads
    for p in prange(threads):
        r0, r1 = p * step, min(M, (p + 1) * step)
        if r1 > r0:
            np.dot(a[r0:r1], b, out[r0:r1])


@njit(parallel=True, cache=True)
def _gram_rows_parallel(a, b, partial, threads):
    """partial[p] = a[rows p]ᵀ @ b[rows p]; their sum is aᵀ @ b."""
    M = a.shape[0]
    step = (M + threads - 1) // threads
    for p in prange(threads):
        r0, r1 = p * step, min(M, (p + 1) * step)
        if r1 > r0:
            np.dot(a[r0:r1].T, b[r0:r1], partial[p])  # a[rows].T is F-contiguous: no copy
        else:
            partial[p][:] = 0


def matmul(a, b, threads=1):
    """a @ b for 2-D a, b."""
    if threads == 1:
        return a @ b
    out = np.empty((a.shape[0], b.shape[1]), a.dtype)
    _matmul_rows_parallel(np.ascontiguousarray(a), np.ascontiguousarray(b), out, threads)
    return out


def gram(a, b, threads=1):
    """aᵀ @ b for 2-D a, b with the same number of rows (a sum over those rows)."""
    if threads == 1:
        return a.T @ b
    partial = np.empty((threads, a.shape[1], b.shape[1]), a.dtype)
    _gram_rows_parallel(np.ascontiguousarray(a), np.ascontiguousarray(b), partial, threads)
    return partial.sum(axis=0)


def time_major(a):
    """(N, T, ·) -> contiguous (T, N, ·)."""
    return np.ascontiguousarray(a.transpose(1, 0, 2))


def batch_first(a):
    """(T, N, ·) -> contiguous (N, T, ·)."""
    return np.ascontiguousarray(a.transpose(1, 0, 2))


def input_projection(x_tm, W_ih, bias, threads=1):
    """x_t W_ihᵀ + bias for every t: x_tm (T, N, D) -> (T, N, G·H)."""
    T, N, D = x_tm.shape
    xp = matmul(x_tm.reshape(T * N, D), W_ih.T, threads)
    xp += bias
    return xp.reshape(T, N, -1)


def input_gradient(da, W_ih, threads=1):
    """dx for every t, batch-first: da (T, N, G·H) -> (N, T, D)."""
    T, N, GH = da.shape
    return batch_first(matmul(da.reshape(T * N, GH), W_ih, threads).reshape(T, N, -1))


def weight_gradient(da, inputs, threads=1):
    """Σ_t da_tᵀ inputs_t: da (T, N, G·H), inputs (T, N, K) -> (G·H, K)."""
    T, N, GH = da.shape
    return gram(da.reshape(T * N, GH), inputs.reshape(T * N, -1), threads)


def bias_gradient(da):
    """Σ over time steps and batch rows: da (T, N, G·H) -> (G·H,)."""
    return da.sum(axis=(0, 1))


def states(h0, T, c0=None):
    """Time-major state arrays (T+1, N, H) with the initial state at index 0."""
    N, H = h0.shape
    hs = empty((T + 1, N, H), h0.dtype)
    hs[0] = h0
    if c0 is None:
        return hs
    cs = empty((T + 1, N, H), h0.dtype)
    cs[0] = c0
    return hs, cs
