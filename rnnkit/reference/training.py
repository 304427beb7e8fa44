"""Reference of assignment 05: training a character-level language model.

The model is a vanilla tanh RNN over one-hot characters followed by a temporal affine layer:
params = {W_ih (H, V), W_hh (H, H), b_ih (H,), b_hh (H,), W (V, H), b (V,)}; inputs x and
targets y are integer arrays (N, T). Written with the references of assignments 01-02.
"""
import numpy as np

from rnnkit.reference.affine import (temporal_affine_backward, temporal_affine_forward,
                                     temporal_softmax_loss)
from rnnkit.reference.clip import clip_grad_norm
from rnnkit.reference.rnn import rnn_backward, rnn_forward

PARAM_NAMES = ("W_ih", "W_hh", "b_ih", "b_hh", "W", "b")


def one_hot(ids, V):
    """ids (...) integers -> (..., V) float64."""
    return np.eye(V)[ids]


def adam_step(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam update of w (any shape) at step t >= 1 -> (w, m, v), bias-corrected moments."""
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw * dw
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def loss_and_grads(params, x, y, h_prev):
    """Forward from h_prev (a constant: truncated BPTT), loss, gradients, last hidden state."""
    V = params["W"].shape[0]
    h, rnn_cache = rnn_forward(one_hot(x, V), h_prev, params["W_ih"], params["W_hh"],
                               params["b_ih"], params["b_hh"])
    scores, affine_cache = temporal_affine_forward(h, params["W"], params["b"])
    loss, dscores = temporal_softmax_loss(scores, y)
    dh, dW, db = temporal_affine_backward(dscores, affine_cache)
    _, _, dW_ih, dW_hh, db_ih, db_hh = rnn_backward(dh, rnn_cache)
    grads = {"W_ih": dW_ih, "W_hh": dW_hh, "b_ih": db_ih, "b_hh": db_hh, "W": dW, "b": db}
    return loss, grads, h[:, -1]


def train_step(params, x, y, h_prev, lr, max_norm):
    loss, grads, h_last = loss_and_grads(params, x, y, h_prev)
    clipped, _ = clip_grad_norm(grads, max_norm)
    new = {k: params[k] - lr * clipped[k] for k in PARAM_NAMES}
    return new, loss, h_last


def train_tbptt(params, x, y, seq_len, lr, max_norm, step=train_step):
    N, L = x.shape
    h = np.zeros((N, params["W_hh"].shape[0]))
    losses = []
    for start in range(0, L, seq_len):
        params, loss, h = step(params, x[:, start:start + seq_len], y[:, start:start + seq_len],
                               h, lr, max_norm)
        losses.append(loss)
    return params, np.array(losses)


def sample(params, h0, start, n, temperature, rng):
    V = params["W"].shape[0]
    h, idx, out = h0, start, []
    for _ in range(n):
        h = np.tanh(one_hot(np.array([idx]), V) @ params["W_ih"].T + params["b_ih"]
                    + h @ params["W_hh"].T + params["b_hh"])
        scores = (h @ params["W"].T + params["b"])[0] / temperature
        p = np.exp(scores - scores.max())
        p /= p.sum()
        idx = int(rng.choice(V, p=p))
        out.append(idx)
    return np.array(out)


def perplexity(params, x, y):
    N, T = x.shape
    loss, _, _ = loss_and_grads(params, x, y, np.zeros((N, params["W_hh"].shape[0])))
    return float(np.exp(loss * N / (N * T)))
