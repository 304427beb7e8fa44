"""Deliberately wrong implementations: the classic mistakes, as switches on a reference copy.

Each function below is the reference written once more with ``bugs``, a set of names of slips
to make. `rnnkit.grading.mistakes` names and describes them; the checker runs a mutant on the
failing case and, when the student's output equals the mutant's, says which slip it is.
Forward and backward read the same set, so a student who is consistently wrong (e.g. "reset
before" in both) is recognised too.
"""
import numpy as np


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _pre_activation(x, h, W_ih, W_hh, b_ih, b_hh, bugs):
    xi = x @ W_ih if "W_ih_not_transposed" in bugs else x @ W_ih.T
    hh = h @ W_hh if "W_hh_not_transposed" in bugs else h @ W_hh.T
    return xi + b_ih + hh + (0 if "no_b_hh" in bugs else b_hh)


def _weight_grads(da, x, h_prev, bugs, db_hh=None):
    """dW_ih, dW_hh, db_ih, db_hh from the gradient of the pre-activation (N, G*H)."""
    dW_ih = da.T @ x
    dW_hh = h_prev.T @ da if "dW_hh_transposed" in bugs else da.T @ h_prev
    db_ih = da.mean(axis=0) if "db_mean" in bugs else da.sum(axis=0)
    if db_hh is None:
        db_hh = db_ih.copy()
    if "db_hh_missing" in bugs:
        db_hh = np.zeros_like(db_hh)
    return dW_ih, dW_hh, db_ih, db_hh


# --- RNN ---------------------------------------------------------------------------------------

def rnn_step_forward(x, h, c, W_ih, W_hh, b_ih, b_hh, variant, bugs):
    a = _pre_activation(x, h, W_ih, W_hh, b_ih, b_hh, bugs)
    if "no_activation" in bugs:
        h_next = a
    elif variant["nonlinearity"] == "tanh":
        h_next = np.tanh(a)
    else:
        h_next = np.maximum(a, 0)
    return h_next, None, (x, h, W_ih, W_hh, a, h_next, variant["nonlinearity"])


def rnn_step_backward(dh_next, dc_next, cache, bugs):
    x, h_prev, W_ih, W_hh, a, h_next, nonlinearity = cache
    if "no_activation" in bugs or "no_activation_derivative" in bugs:
        d_act = 1.0
    elif nonlinearity == "relu":
        d_act = (a > 0).astype(float)
    elif "tanh_at_h_prev" in bugs:
        d_act = 1 - h_prev**2
    elif "tanh_no_square" in bugs:
        d_act = 1 - h_next
    else:
        d_act = 1 - h_next**2
    da = dh_next * d_act
    dx = da @ W_ih
    dh_prev = da @ W_hh.T if "dh_prev_W_hh_transposed" in bugs else da @ W_hh
    return (dx, dh_prev, None) + _weight_grads(da, x, h_prev, bugs)


# --- LSTM --------------------------------------------------------------------------------------

def lstm_step_forward(x, h, c, W_ih, W_hh, b_ih, b_hh, variant, bugs):
    H = h.shape[1]
    a = _pre_activation(x, h, W_ih, W_hh, b_ih, b_hh, bugs)
    slot = (lambda k: a[:, k * H:(k + 1) * H])
    order = (0, 1, 3, 2) if "gate_order_ifog" in bugs else (0, 1, 2, 3)  # i, f, g, o
    i, f, o = _sigmoid(slot(order[0])), _sigmoid(slot(order[1])), _sigmoid(slot(order[3]))
    g = _sigmoid(slot(order[2])) if "g_sigmoid" in bugs else np.tanh(slot(order[2]))
    c_next = (c if "forget_gate_missing" in bugs else f * c) + i * g
    tanh_c = c_next if "no_tanh_c" in bugs else np.tanh(c_next)
    h_next = o * tanh_c
    return h_next, c_next, (x, h, c, W_ih, W_hh, i, f, g, o, c_next, tanh_c)


def lstm_step_backward(dh_next, dc_next, cache, bugs):
    x, h_prev, c_prev, W_ih, W_hh, i, f, g, o, c_next, tanh_c = cache
    tanh_slope = 1 - np.tanh(c_prev)**2 if "tanh_c_at_c_prev" in bugs else 1 - tanh_c**2
    dc = 0 if "dc_missing_dc_next" in bugs else dc_next
    if "dc_missing_h_path" not in bugs:
        dc = dc + dh_next * o * tanh_slope
    do = dh_next * tanh_c
    forget_input = c_prev  # c_next = f ⊙ c_prev + i ⊙ g
    if "df_tanh_c_next" in bugs:
        forget_input = tanh_c
    elif "df_tanh_c_prev" in bugs:
        forget_input = np.tanh(c_prev)
    di, dg, df = dc * g, dc * i, dc * forget_input
    dc_prev = dc if "dc_prev_missing_f" in bugs else dc * f
    parts = [di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)]
    if "gate_order_ifog_backward" in bugs:
        parts = [parts[0], parts[1], parts[3], parts[2]]
    da = np.concatenate(parts, axis=1)
    return (da @ W_ih, da @ W_hh, dc_prev) + _weight_grads(da, x, h_prev, bugs)


# --- GRU ---------------------------------------------------------------------------------------

def gru_step_forward(x, h, c, W_ih, W_hh, b_ih, b_hh, variant, bugs):
    H = h.shape[1]
    reset_after = variant["reset_after"] != ("reset_switched" in bugs)
    b_hh = np.zeros_like(b_hh) if "no_b_hh" in bugs else b_hh
    gi = x @ W_ih.T + b_ih
    gh = h @ W_hh[:2 * H].T + b_hh[:2 * H]
    first, second = (slice(H, 2 * H), slice(0, H)) if "gate_order_zrn" in bugs else \
        (slice(0, H), slice(H, 2 * H))
    r = _sigmoid(gi[:, first] + gh[:, first])
    z = _sigmoid(gi[:, second] + gh[:, second])
    if reset_after:
        if "b_hn_outside_reset" in bugs:
            gh_n = h @ W_hh[2 * H:].T
            n = np.tanh(gi[:, 2 * H:] + r * gh_n + b_hh[2 * H:])
        else:
            gh_n = h @ W_hh[2 * H:].T + b_hh[2 * H:]
            n = np.tanh(gi[:, 2 * H:] + r * gh_n)
    else:
        gh_n = (r * h) @ W_hh[2 * H:].T + b_hh[2 * H:]
        n = np.tanh(gi[:, 2 * H:] + gh_n)
    h_next = z * n + (1 - z) * h if "z_swapped" in bugs else (1 - z) * n + z * h
    return h_next, None, (x, h, W_ih, W_hh, b_hh, r, z, n, gh_n, reset_after)


def gru_step_backward(dh_next, dc_next, cache, bugs):
    x, h_prev, W_ih, W_hh, b_hh, r, z, n, gh_n, reset_after = cache
    H = h_prev.shape[1]
    if "z_swapped" in bugs:
        dn, dz, dh_prev = dh_next * z, dh_next * (n - h_prev), dh_next * (1 - z)
    else:
        dn, dz, dh_prev = dh_next * (1 - z), dh_next * (h_prev - n), dh_next * z
    if "direct_path_missing" in bugs:
        dh_prev = np.zeros_like(dh_prev)
    da_n = dn * (1 - n**2)
    if reset_after:
        dgh_n = da_n * r
        if "dr_without_hn" in bugs:  # the factor W_hn h + b_hn forgotten altogether
            dr = da_n
        else:
            dr = da_n * (gh_n - b_hh[2 * H:] if "dr_without_b_hn" in bugs else gh_n)
    else:
        dgh_n = da_n
        d_rh = da_n @ W_hh[2 * H:]
        dr = d_rh * h_prev
        dh_prev = dh_prev + d_rh * r
    da_r, da_z = dr * r * (1 - r), dz * z * (1 - z)
    if "gate_order_zrn" in bugs:
        da_r, da_z = da_z, da_r
    dgi = np.concatenate([da_r, da_z, da_n], axis=1)
    dgh = np.concatenate([da_r, da_z, dgh_n], axis=1)
    dx = dgi @ W_ih
    if reset_after:
        dh_prev = dh_prev + dgh @ W_hh
        dW_hh = dgh.T @ h_prev
    else:
        dh_prev = dh_prev + dgh[:, :2 * H] @ W_hh[:2 * H]
        dW_hh = np.concatenate([dgh[:, :2 * H].T @ h_prev, dgh_n.T @ (r * h_prev)], axis=0)
    dW_ih, _, db_ih, _ = _weight_grads(dgi, x, h_prev, bugs)
    db_hh = dgh.mean(axis=0) if "db_mean" in bugs else dgh.sum(axis=0)
    if "db_hh_missing" in bugs:
        db_hh = np.zeros_like(db_hh)
    return dx, dh_prev, None, dW_ih, dW_hh, db_ih, db_hh


CELLS = {"rnn": (rnn_step_forward, rnn_step_backward),
         "lstm": (lstm_step_forward, lstm_step_backward),
         "gru": (gru_step_forward, gru_step_backward)}


def cell_sequence(family, x, h0, c0, W, variant, bugs, dh=None):
    """Forward (and, with dh, backward) over a sequence x (N, T, D), with sequence-level bugs."""
    step_forward, step_backward = CELLS[family]
    N, T, _ = x.shape
    h = np.empty((N, T, h0.shape[1]))
    h_prev = np.zeros_like(h0) if "h0_ignored" in bugs else h0
    c_prev = c0
    caches = []
    for t in range(T):
        h_t, c_t, cache = step_forward(x[:, t], h_prev, c_prev, *W, variant, bugs)
        h[:, t] = h_t
        caches.append(cache)
        if "h_prev_not_updated" not in bugs:
            h_prev = h_t
        if "c_not_carried" not in bugs:
            c_prev = c_t
    if dh is None:
        return h
    dx = np.empty_like(x)
    grads = [np.zeros_like(w) for w in W]
    dh_prev = np.zeros_like(h0)
    dc_prev = None if c0 is None else np.zeros_like(c0)
    for t in reversed(range(T)):
        if "no_carry" in bugs:
            upstream = dh[:, t]
        elif "upstream_only_last" in bugs:
            upstream = dh[:, t] + dh_prev if t == T - 1 else dh_prev
        else:
            upstream = dh[:, t] + dh_prev
        if "dc_not_carried" in bugs and dc_prev is not None:
            dc_prev = np.zeros_like(dc_prev)
        step = step_backward(upstream, dc_prev, caches[t], bugs)
        dx[:, T - 1 - t if "dx_time_reversed" in bugs else t] = step[0]
        dh_prev, dc_prev = step[1], step[2]
        for k in range(4):
            grads[k] = step[3 + k] if "dW_last_step_only" in bugs else grads[k] + step[3 + k]
    return (dx, dh_prev, dc_prev, *grads)


# --- affine layer, loss, numerical gradient, clipping --------------------------------------------

def affine_forward(h, W, b, bugs):
    scores = h @ W if "W_not_transposed" in bugs else h @ W.T
    return scores if "no_bias" in bugs else scores + b


def affine_backward(h, W, dscores, bugs):
    dh = dscores @ W
    dW = np.einsum("ntv,nth->vh", dscores, h)
    if "dW_transposed" in bugs:
        dW = dW.T
    db = dscores.mean(axis=(0, 1)) if "db_mean" in bugs else dscores.sum(axis=(0, 1))
    return dh, dW, db


def softmax_loss(scores, y, mask, bugs):
    N, T, V = scores.shape
    if "mask_ignored" in bugs:
        mask = np.ones_like(mask)
    m = mask.astype(float)
    shifted = scores - scores.max(axis=2, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    log_p = np.take_along_axis(log_probs, y[:, :, None], axis=2)[:, :, 0]
    divisors = {"not_divided_by_N": 1, "divided_by_NT": N * T,
                "divided_by_mask_sum": max(m.sum(), 1.0)}
    d = next((v for k, v in divisors.items() if k in bugs), N)
    loss = -(m * log_p).sum() / d
    dscores = np.exp(log_probs)
    if "no_minus_one" not in bugs:
        np.put_along_axis(dscores, y[:, :, None],
                          np.take_along_axis(dscores, y[:, :, None], axis=2) - 1, axis=2)
    dscores *= m[:, :, None] / (1 if "dscores_not_divided" in bugs else d)
    return loss, dscores


def numerical_gradient(f, x, df, bugs, h=1e-5):
    x = x.copy()
    grad = np.zeros_like(x)
    for ix in np.ndindex(*x.shape):
        old = x[ix]
        x[ix] = old + h
        f_plus = np.copy(f(x))
        x[ix] = old if "forward_difference" in bugs else old - h
        f_minus = np.copy(f(x))
        x[ix] = old
        step = h if "forward_difference" in bugs or "divided_by_h" in bugs else 2 * h
        diff = f_plus - f_minus
        grad[ix] = (diff.sum() if "df_ignored" in bugs else np.sum(diff * df)) / step
    return grad


def clip(grads, max_norm, bugs):
    arrays = grads.values()
    squares = sum(np.sum(g**2) for g in arrays)
    total = float(squares if "norm_not_square_rooted" in bugs else np.sqrt(squares))
    if "each_clipped_alone" in bugs:
        clipped = {}
        for k, g in grads.items():
            norm = np.sqrt(np.sum(g**2))
            clipped[k] = g * min(1.0, max_norm / (norm + 1e-6))
        return clipped, total
    scale = max_norm / (total + 1e-6)
    if "scale_inverted" in bugs:
        scale = (total + 1e-6) / max_norm
    if "always_scaled" not in bugs:
        scale = min(1.0, scale)
    clipped = {k: g * scale for k, g in grads.items()}
    if "norm_after_clipping" in bugs:
        total = float(np.sqrt(sum(np.sum(g**2) for g in clipped.values())))
    return clipped, total
