"""The matrix products that do not depend on the recurrence, done once for all time steps.

Only h_{t-1} -> h_t is sequential. Everything that is a sum or a map over time steps is one
large matrix product with T·N rows instead of T small ones, which BLAS runs near its peak:

    forward:   x_t W_ihᵀ + b           for every t   ->  (T·N, D) @ (D, G·H)
    backward:  dx_t = da_t W_ih        for every t   ->  (T·N, G·H) @ (G·H, D)
               dW_ih = Σ_t da_tᵀ x_t                 ->  (G·H, T·N) @ (T·N, D)
               dW_hh = Σ_t da_tᵀ h_{t-1}             ->  (G·H, T·N) @ (T·N, H)

Arrays are time-major, (T, N, ·), so that one time step is a contiguous (N, ·) block.
"""
import numpy as np

from rnnkit.cpu._buffers import empty


def time_major(a):
    """(N, T, ·) -> contiguous (T, N, ·)."""
    return np.ascontiguousarray(a.transpose(1, 0, 2))


def batch_first(a):
    """(T, N, ·) -> contiguous (N, T, ·)."""
    return np.ascontiguousarray(a.transpose(1, 0, 2))


def input_projection(x_tm, W_ih, bias):
    """x_t W_ihᵀ + bias for every t: x_tm (T, N, D) -> (T, N, G·H)."""
    T, N, D = x_tm.shape
    xp = x_tm.reshape(T * N, D) @ W_ih.T
    xp += bias
    return xp.reshape(T, N, -1)


def input_gradient(da, W_ih):
    """dx for every t, batch-first: da (T, N, G·H) -> (N, T, D)."""
    T, N, GH = da.shape
    return batch_first((da.reshape(T * N, GH) @ W_ih).reshape(T, N, -1))


def weight_gradient(da, inputs):
    """Σ_t da_tᵀ inputs_t: da (T, N, G·H), inputs (T, N, K) -> (G·H, K)."""
    T, N, GH = da.shape
    return da.reshape(T * N, GH).T @ inputs.reshape(T * N, -1)


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
