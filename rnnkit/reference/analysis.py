"""Reference of assignment 08: a power-law fit, a cost model, gradient norms, spectral radius."""
import numpy as np

from rnnkit.reference.rnn import rnn_forward, rnn_step_backward


def fit_exponent(sizes, times):
    """Least squares of log(times) = p log(sizes) + log(c) -> (p, c)."""
    p, log_c = np.polyfit(np.log(sizes), np.log(times), 1)
    return float(p), float(np.exp(log_c))


def rnn_gradient_norms(x, h0, W_ih, W_hh, b_ih, b_hh):
    """||dL/dh_t|| (over the batch) for t = 0..T-1 with L = sum(h_T-1)."""
    _, (step_caches, _, _) = rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh)  # (.., x_shape, h0)
    T = x.shape[1]
    dh = np.ones_like(h0)
    norms = np.empty(T)
    for t in reversed(range(T)):
        norms[t] = np.linalg.norm(dh)
        dh = rnn_step_backward(dh, step_caches[t])[1]
    return norms


#: gates per cell: how many H-row blocks W_ih and W_hh have
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def forward_cost(cell, N, T, D, H):
    """(FLOPs of the matrix products of one forward pass, number of parameters) of a cell.

    Each step multiplies x (N, D) by W_ihᵀ (D, G*H) and h (N, H) by W_hhᵀ (H, G*H): a
    multiply-add counts 2 FLOPs. Parameters: W_ih, W_hh and the two biases.
    """
    G = GATES[cell]
    return 2 * N * T * G * H * (D + H), G * H * (D + H) + 2 * G * H


def spectral_radius(W):
    """max |eigenvalue| of a square matrix W (H, H)."""
    return float(np.max(np.abs(np.linalg.eigvals(W))))
