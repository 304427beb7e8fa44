"""Correct implementations written differently from the reference all pass `check`.

Explicit loops, einsum, time-major internals, caches that are dicts or objects: the checker
only looks at outputs and never inside a cache.
"""
import numpy as np
import pytest

from rnnkit.grading import check


def sigmoid(a):
    return 0.5 * (1 + np.tanh(0.5 * a))  # an identity, not the reference's formula


# --- RNN with explicit loops and a dict cache ----------------------------------------------------

def rnn_step_forward_loops(x, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh"):
    N, H = h_prev.shape
    a = np.zeros((N, H))
    for n in range(N):
        for j in range(H):
            a[n, j] = (np.dot(x[n], W_ih[j]) + b_ih[j] + np.dot(h_prev[n], W_hh[j]) + b_hh[j])
    h = np.tanh(a) if nonlinearity == "tanh" else np.where(a > 0, a, 0.0)
    return h, {"x": x, "h_prev": h_prev, "W_ih": W_ih, "W_hh": W_hh, "h": h, "a": a,
               "act": nonlinearity}


def rnn_step_backward_loops(dh_next, cache):
    c = cache
    slope = 1 - c["h"] ** 2 if c["act"] == "tanh" else (c["a"] > 0) * 1.0
    da = dh_next * slope
    dx = np.einsum("nh,hd->nd", da, c["W_ih"])
    dh_prev = np.einsum("nh,hk->nk", da, c["W_hh"])
    dW_ih = sum(np.outer(da[n], c["x"][n]) for n in range(da.shape[0]))
    dW_hh = sum(np.outer(da[n], c["h_prev"][n]) for n in range(da.shape[0]))
    db = np.einsum("nh->h", da)
    return dx, dh_prev, dW_ih, dW_hh, db, db.copy()


class SequenceCache:
    """An object cache: time-major lists of step caches."""

    def __init__(self):
        self.steps = []


def rnn_forward_time_major(x, h0, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh"):
    xs = np.transpose(x, (1, 0, 2))  # (T, N, D)
    cache = SequenceCache()
    hs = []
    h = h0
    for x_t in xs:
        h, step = rnn_step_forward_loops(x_t, h, W_ih, W_hh, b_ih, b_hh, nonlinearity)
        hs.append(h)
        cache.steps.append(step)
    return np.stack(hs, axis=1), cache


def rnn_backward_time_major(dh, cache):
    grads = None
    dxs = []
    carry = np.zeros_like(dh[:, 0])
    for t in range(dh.shape[1] - 1, -1, -1):
        dx, carry, *g = rnn_step_backward_loops(dh[:, t] + carry, cache.steps[t])
        dxs.insert(0, dx)
        grads = g if grads is None else [a + b for a, b in zip(grads, g)]
    return (np.stack(dxs, axis=1), carry, *grads)


# --- LSTM with per-gate weights and a dict cache -------------------------------------------------

def lstm_step_forward_split(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    gates = {}
    for k, name in enumerate("ifgo"):
        rows = slice(k * H, (k + 1) * H)
        pre = x @ W_ih[rows].T + h_prev @ W_hh[rows].T + b_ih[rows] + b_hh[rows]
        gates[name] = np.tanh(pre) if name == "g" else sigmoid(pre)
    c_next = gates["f"] * c_prev + gates["i"] * gates["g"]
    h_next = gates["o"] * np.tanh(c_next)
    return h_next, c_next, dict(gates, x=x, h_prev=h_prev, c_prev=c_prev, c_next=c_next,
                                W_ih=W_ih, W_hh=W_hh)


def lstm_step_backward_split(dh_next, dc_next, cache):
    i, f, g, o = (cache[k] for k in "ifgo")
    t = np.tanh(cache["c_next"])
    dc = dc_next + dh_next * o * (1 - t * t)
    d = {"i": dc * g * i * (1 - i), "f": dc * cache["c_prev"] * f * (1 - f),
         "g": dc * i * (1 - g * g), "o": dh_next * t * o * (1 - o)}
    da = np.hstack([d[k] for k in "ifgo"])
    db = da.sum(axis=0)
    return (da @ cache["W_ih"], da @ cache["W_hh"], dc * f, np.einsum("na,nd->ad", da, cache["x"]),
            np.einsum("na,nh->ah", da, cache["h_prev"]), db, db.copy())


def lstm_forward_split(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    h, c, caches, out = h0, c0, [], []
    for t in range(x.shape[1]):
        h, c, step = lstm_step_forward_split(x[:, t], h, c, W_ih, W_hh, b_ih, b_hh)
        out.append(h)
        caches.append(step)
    return np.stack(out, 1), caches


def lstm_backward_split(dh, caches):
    dh_carry = np.zeros_like(dh[:, 0])
    dc_carry = np.zeros_like(dh[:, 0])
    dx = [None] * len(caches)
    total = None
    for t in reversed(range(len(caches))):
        dx[t], dh_carry, dc_carry, *g = lstm_step_backward_split(dh[:, t] + dh_carry, dc_carry,
                                                                 caches[t])
        total = g if total is None else [a + b for a, b in zip(total, g)]
    return (np.stack(dx, 1), dh_carry, dc_carry, *total)


# --- GRU, both variants, with a tuple cache of its own layout -------------------------------------

def gru_step_forward_mine(x, h_prev, W_ih, W_hh, b_ih, b_hh, reset_after=True):
    H = h_prev.shape[1]
    W_ir, W_iz, W_in = np.split(W_ih, 3)
    W_hr, W_hz, W_hn = np.split(W_hh, 3)
    b_ir, b_iz, b_in = np.split(b_ih, 3)
    b_hr, b_hz, b_hn = np.split(b_hh, 3)
    r = sigmoid(x @ W_ir.T + b_ir + h_prev @ W_hr.T + b_hr)
    z = sigmoid(x @ W_iz.T + b_iz + h_prev @ W_hz.T + b_hz)
    if reset_after:
        m = h_prev @ W_hn.T + b_hn
        n = np.tanh(x @ W_in.T + b_in + r * m)
    else:
        m = (r * h_prev) @ W_hn.T + b_hn
        n = np.tanh(x @ W_in.T + b_in + m)
    h_next = n + z * (h_prev - n)  # = (1 - z) n + z h, rearranged
    assert H == n.shape[1]
    return h_next, (reset_after, x, h_prev, r, z, n, m, W_ih, W_hh)


def gru_step_backward_mine(dh_next, cache):
    reset_after, x, h, r, z, n, m, W_ih, W_hh = cache
    W_ir, W_iz, W_in = np.split(W_ih, 3)
    W_hr, W_hz, W_hn = np.split(W_hh, 3)
    dn_pre = dh_next * (1 - z) * (1 - n**2)
    dz_pre = dh_next * (h - n) * z * (1 - z)
    dh = dh_next * z
    if reset_after:
        dr_pre = dn_pre * m * r * (1 - r)
        dm = dn_pre * r
        dh = dh + dm @ W_hn
        dW_hn = dm.T @ h
    else:
        d_rh = dn_pre @ W_hn
        dr_pre = d_rh * h * r * (1 - r)
        dm = dn_pre
        dh = dh + d_rh * r
        dW_hn = dm.T @ (r * h)
    dh = dh + dr_pre @ W_hr + dz_pre @ W_hz
    dx = dr_pre @ W_ir + dz_pre @ W_iz + dn_pre @ W_in
    dW_ih = np.vstack([dr_pre.T @ x, dz_pre.T @ x, dn_pre.T @ x])
    dW_hh = np.vstack([dr_pre.T @ h, dz_pre.T @ h, dW_hn])
    db_ih = np.concatenate([dr_pre.sum(0), dz_pre.sum(0), dn_pre.sum(0)])
    db_hh = np.concatenate([dr_pre.sum(0), dz_pre.sum(0), dm.sum(0)])
    return dx, dh, dW_ih, dW_hh, db_ih, db_hh


def gru_forward_mine(x, h0, W_ih, W_hh, b_ih, b_hh, reset_after=True):
    h, caches, hs = h0, [], []
    for t in range(x.shape[1]):
        h, c = gru_step_forward_mine(x[:, t], h, W_ih, W_hh, b_ih, b_hh, reset_after)
        hs.append(h)
        caches.append(c)
    return np.stack(hs, 1), caches


def gru_backward_mine(dh, caches):
    carry = np.zeros_like(dh[:, 0])
    dxs, total = [], None
    for t in reversed(range(len(caches))):
        dx, carry, *g = gru_step_backward_mine(dh[:, t] + carry, caches[t])
        dxs.append(dx)
        total = g if total is None else [a + b for a, b in zip(total, g)]
    return (np.stack(dxs[::-1], 1), carry, *total)


# --- affine, loss, numerical gradient, clipping -------------------------------------------------

def affine_forward_einsum(h, W, b):
    return np.einsum("nth,vh->ntv", h, W) + b, {"h": h, "W": W}


def affine_backward_reshape(dscores, cache):
    h, W = cache["h"], cache["W"]
    N, T, V = dscores.shape
    d2, h2 = dscores.reshape(N * T, V), h.reshape(N * T, -1)
    return (d2 @ W).reshape(N, T, -1), d2.T @ h2, d2.sum(0)


def softmax_loss_logsumexp(scores, y, mask):
    N, T, V = scores.shape
    flat, yf, mf = scores.reshape(-1, V), y.reshape(-1), mask.reshape(-1)
    top = flat.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(flat - top).sum(axis=1))
    loss = np.sum(mf * (lse - flat[np.arange(len(yf)), yf])) / N
    d = np.exp(flat - lse[:, None])
    d[np.arange(len(yf)), yf] -= 1
    d *= mf[:, None] / N
    return loss, d.reshape(N, T, V)


def numerical_gradient_flat(f, x, df, h=1e-5):
    grad = np.zeros(x.size)
    flat = x.reshape(-1)  # a view: writing to it perturbs x
    for k in range(x.size):
        saved = flat[k]
        flat[k] = saved + h
        plus = f(x).copy()
        flat[k] = saved - h
        minus = f(x).copy()
        flat[k] = saved
        grad[k] = np.sum((plus - minus) * df) / (2 * h)
    return grad.reshape(x.shape)


def clip_no_epsilon(grads, max_norm):
    total = np.linalg.norm(np.concatenate([g.ravel() for g in grads.values()]))
    scale = max_norm / total if total > max_norm else 1.0
    return {k: v * scale for k, v in grads.items()}, total


ALTERNATIVES = [
    ("rnn_step_forward", rnn_step_forward_loops, None, [{}, {"nonlinearity": "relu"}]),
    ("rnn_step_backward", rnn_step_backward_loops, rnn_step_forward_loops,
     [{}, {"nonlinearity": "relu"}]),
    ("rnn_forward", rnn_forward_time_major, None, [{}, {"nonlinearity": "relu"}]),
    ("rnn_backward", rnn_backward_time_major, rnn_forward_time_major,
     [{}, {"nonlinearity": "relu"}]),
    ("lstm_step_forward", lstm_step_forward_split, None, [{}]),
    ("lstm_step_backward", lstm_step_backward_split, lstm_step_forward_split, [{}]),
    ("lstm_forward", lstm_forward_split, None, [{}]),
    ("lstm_backward", lstm_backward_split, lstm_forward_split, [{}]),
    ("gru_step_forward", gru_step_forward_mine, None, [{}, {"reset_after": False}]),
    ("gru_step_backward", gru_step_backward_mine, gru_step_forward_mine,
     [{}, {"reset_after": False}]),
    ("gru_forward", gru_forward_mine, None, [{}, {"reset_after": False}]),
    ("gru_backward", gru_backward_mine, gru_forward_mine, [{}, {"reset_after": False}]),
    ("temporal_affine_forward", affine_forward_einsum, None, [{}]),
    ("temporal_affine_backward", affine_backward_reshape, affine_forward_einsum, [{}]),
    ("temporal_softmax_loss", softmax_loss_logsumexp, None, [{}]),
    ("eval_numerical_gradient", numerical_gradient_flat, None, [{}]),
    ("clip_grad_norm", clip_no_epsilon, None, [{}]),
]


@pytest.mark.parametrize("name,func,forward,variants", ALTERNATIVES,
                         ids=[a[1].__name__ for a in ALTERNATIVES])
def test_alternative_implementation_passes(name, func, forward, variants, capsys):
    for variant in variants:
        check(name, func, forward=forward, hidden=True, **variant)
    assert capsys.readouterr().out.count("8/8 cases match the reference") == len(variants)
