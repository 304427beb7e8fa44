"""The bank: realistic wrong answers and correct alternatives, as data.

A wrong answer is a small text edit of a solution's answer cell, and the set of test cells on
which it must lose points. A step function's mistake also fails the test of the function that
calls it (rnn_forward calls rnn_step_forward; a backward check runs the student's own forward),
so ``failing`` lists every cell that must lose points; every other cell must keep full marks.

An alternative replaces an answer cell by a different correct implementation: it must earn full
marks.
"""
from dataclasses import dataclass, field

NB01, NB02, NB03, NB04 = "01_rnn_forward", "02_bptt", "03_lstm", "04_gru"


@dataclass(frozen=True)
class Wrong:
    id: str
    notebook: str
    cell: str
    edits: tuple          # (old text, new text) pairs applied to the solution of `cell`
    failing: frozenset    # test cells that must lose points (and only they)
    why: str = ""


@dataclass(frozen=True)
class Alternative:
    id: str
    notebook: str
    sources: dict = field(hash=False)  # answer cell id -> complete new source
    why: str = ""


def _w(id, notebook, cell, edits, failing, why=""):
    return Wrong(id, notebook, cell, tuple(edits), frozenset(f"test_{c}" for c in failing), why)


RNN_STEP = ("rnn_step_forward", "rnn_forward")
RNN_BACK = ("rnn_step_backward", "rnn_backward")
LSTM_ALL = ("lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward")
LSTM_BACK = ("lstm_step_backward", "lstm_backward")
GRU_ALL = ("gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward")
GRU_BACK = ("gru_step_backward", "gru_backward")

WRONG = [
    # --- 01: forward -------------------------------------------------------------------------
    _w("w_ih_not_transposed", NB01, "rnn_step_forward", [("x @ W_ih.T", "x @ W_ih")], RNN_STEP,
       "x @ W_ih only runs when D == H"),
    _w("one_bias_only", NB01, "rnn_step_forward",
       [("h_prev @ W_hh.T + b_hh", "h_prev @ W_hh.T")], RNN_STEP, "PyTorch has two biases"),
    _w("relu_leaky", NB01, "rnn_step_forward", [("np.maximum(a, 0)", "np.maximum(a, 0.01 * a)")],
       RNN_STEP, "relu variant wrong (the visible relu check fails)"),
    _w("state_not_carried", NB01, "rnn_forward",
       [("rnn_step_forward(x[:, t], h_prev,", "rnn_step_forward(x[:, t], h0,")], ["rnn_forward"],
       "every step starts from h0"),
    _w("nonlinearity_not_passed", NB01, "rnn_forward",
       [("b_ih, b_hh,\n                                              nonlinearity)",
         "b_ih, b_hh)")], ["rnn_forward"], "relu option dropped (the visible relu check fails)"),
    _w("affine_no_bias", NB01, "temporal_affine_forward", [("h @ W.T + b", "h @ W.T")],
       ["temporal_affine_forward"]),
    _w("loss_not_divided_by_N", NB01, "temporal_softmax_loss",
       [("log_probs[n_idx, t_idx, y]).sum() / N", "log_probs[n_idx, t_idx, y]).sum()")],
       ["temporal_softmax_loss"], "loss summed over the batch instead of averaged"),
    _w("loss_mask_ignored", NB01, "temporal_softmax_loss",
       [("m = mask.astype(scores.dtype)", "m = np.ones((N, T))")], ["temporal_softmax_loss"]),
    _w("loss_grad_missing_onehot", NB01, "temporal_softmax_loss",
       [("    dscores[n_idx, t_idx, y] -= 1\n", "")], ["temporal_softmax_loss"],
       "dscores = p instead of p - onehot(y)"),
    _w("loss_grad_not_divided_by_N", NB01, "temporal_softmax_loss",
       [("dscores *= m[:, :, None] / N", "dscores *= m[:, :, None]")], ["temporal_softmax_loss"]),
    # --- 02: BPTT ----------------------------------------------------------------------------
    _w("numgrad_forward_difference", NB02, "eval_numerical_gradient",
       [("x[ix] = old - h\n", "x[ix] = old\n"), ("(f_plus - f_minus) / (2 * h)", "(f_plus - f_minus) / h"),
        ("np.sum((f_plus - f_minus) * df) / (2 * h)", "np.sum((f_plus - f_minus) * df) / h")],
       ["eval_numerical_gradient"], "one-sided differences: error O(h)"),
    _w("numgrad_ignores_df", NB02, "eval_numerical_gradient",
       [("np.sum((f_plus - f_minus) * df)", "np.sum(f_plus - f_minus)")],
       ["eval_numerical_gradient"]),
    _w("numgrad_not_restored", NB02, "eval_numerical_gradient",
       [("        x[ix] = old\n        if df", "        if df")], ["eval_numerical_gradient"],
       "x left perturbed by -h"),
    _w("tanh_derivative_at_h_prev", NB02, "rnn_step_backward",
       [("(1 - h_next**2)", "(1 - h_prev**2)")], RNN_BACK, "tanh' at the wrong state"),
    _w("tanh_derivative_of_a", NB02, "rnn_step_backward", [("(1 - h_next**2)", "(1 - a**2)")],
       RNN_BACK, "1 - a² instead of 1 - tanh²(a)"),
    _w("bias_mean_over_batch", NB02, "rnn_step_backward",
       [("db_ih = da.sum(axis=0)", "db_ih = da.mean(axis=0)")], RNN_BACK,
       "bias gradient averaged instead of summed over the batch"),
    _w("dW_hh_with_h_next", NB02, "rnn_step_backward",
       [("dW_hh = da.T @ h_prev", "dW_hh = da.T @ h_next")], RNN_BACK),
    _w("relu_derivative_missing", NB02, "rnn_step_backward",
       [("da = dh_next * (a > 0)", "da = dh_next")], RNN_BACK, "relu variant wrong (the visible relu check fails)"),
    _w("dh_not_accumulated", NB02, "rnn_backward",
       [("rnn_step_backward(dh[:, t] + dh_prev,", "rnn_step_backward(dh[:, t],")],
       ["rnn_backward"], "the gradient from step t+1 is dropped"),
    _w("dW_overwritten", NB02, "rnn_backward", [("dW_hh += step[3]", "dW_hh = step[3]")],
       ["rnn_backward"], "weight gradient not summed over time"),
    _w("dh0_wrong", NB02, "rnn_backward", [("dh0 = dh_prev", "dh0 = dh[:, 0]")],
       ["rnn_backward"]),
    _w("affine_db_one_example", NB02, "temporal_affine_backward",
       [("db = dscores.sum(axis=(0, 1))", "db = dscores[0].sum(axis=0)")],
       ["temporal_affine_backward"], "bias not summed over the batch"),
    _w("affine_dh_transposed", NB02, "temporal_affine_backward",
       [("dh = dscores @ W\n", "dh = dscores @ W.T\n")], ["temporal_affine_backward"]),
    _w("clip_without_scaling", NB02, "clip_grad_norm",
       [("scale = min(1.0, max_norm / (total_norm + 1e-6))", "scale = 1.0")],
       ["clip_grad_norm"], "norm computed, gradients never scaled"),
    _w("clip_always_scales", NB02, "clip_grad_norm",
       [("scale = min(1.0, max_norm / (total_norm + 1e-6))",
         "scale = max_norm / (total_norm + 1e-6)")], ["clip_grad_norm"],
       "small gradients are scaled up"),
    # --- 03: LSTM ----------------------------------------------------------------------------
    _w("lstm_gate_order", NB03, "lstm_step_forward",
       [("i = sigmoid(a[:, 0:H])\n    f = sigmoid(a[:, H:2 * H])",
         "f = sigmoid(a[:, 0:H])\n    i = sigmoid(a[:, H:2 * H])")], LSTM_ALL, "i|f swapped"),
    _w("lstm_output_gate_tanh", NB03, "lstm_step_forward",
       [("o = sigmoid(a[:, 3 * H:4 * H])", "o = np.tanh(a[:, 3 * H:4 * H])")], LSTM_ALL),
    _w("lstm_backward_gate_order", NB03, "lstm_step_backward",
       [("[di * i * (1 - i), df * f * (1 - f),", "[df * f * (1 - f), di * i * (1 - i),")],
       LSTM_BACK, "da stacked in the wrong order"),
    _w("lstm_dc_next_dropped", NB03, "lstm_step_backward",
       [("dc = dc_next + dh_next", "dc = dh_next")], LSTM_BACK, "missing dc_next in dc"),
    _w("lstm_dc_prev_without_f", NB03, "lstm_step_backward",
       [("dc_prev = dc * f", "dc_prev = dc")], LSTM_BACK),
    _w("lstm_df_without_c_prev", NB03, "lstm_step_backward",
       [("df = dc * c_prev", "df = dc")], LSTM_BACK, "missing c_prev in df"),
    _w("lstm_dg_sigmoid_derivative", NB03, "lstm_step_backward",
       [("dg * (1 - g**2)", "dg * g * (1 - g)")], LSTM_BACK),
    _w("lstm_returns_cell_states", NB03, "lstm_forward",
       [("h[:, t] = h_prev", "h[:, t] = c_prev")], ["lstm_forward"]),
    _w("lstm_dc_not_carried", NB03, "lstm_backward",
       [("dh[:, t] + dh_prev, dc_prev,", "dh[:, t] + dh_prev, np.zeros((N, H)),")],
       ["lstm_backward"], "the cell-state gradient is not passed back in time"),
    _w("lstm_dc0_zero", NB03, "lstm_backward",
       [("dh0, dc0 = dh_prev, dc_prev", "dh0, dc0 = dh_prev, np.zeros((N, H))")],
       ["lstm_backward"]),
    # --- 04: GRU -----------------------------------------------------------------------------
    _w("gru_z_swapped", NB04, "gru_step_forward",
       [("h_next = (1 - z) * n + z * h_prev", "h_next = z * n + (1 - z) * h_prev")],
       ["gru_step_forward", "gru_forward", "gru_backward"],
       "z and 1 - z swapped (the step backward only reads z from the cache, so it passes)"),
    _w("gru_reset_forgotten", NB04, "gru_step_forward",
       [("n = np.tanh(gi[:, 2 * H:] + r * gh_n)", "n = np.tanh(gi[:, 2 * H:] + gh_n)")],
       GRU_ALL),
    _w("gru_dz_sign", NB04, "gru_step_backward",
       [("dz = dh_next * (h_prev - n)", "dz = dh_next * (n - h_prev)")], GRU_BACK),
    _w("gru_direct_path_missing", NB04, "gru_step_backward",
       [("dh_prev = dh_next * z\n", "dh_prev = np.zeros_like(h_prev)\n")], GRU_BACK),
    _w("gru_reset_before_path_missing", NB04, "gru_step_backward",
       [("        dh_prev = dh_prev + d_rh * r\n", "")], GRU_BACK, "reset-before variant wrong (the visible check fails)"),
    _w("gru_dgh_n_without_r", NB04, "gru_step_backward",
       [("dgh_n = da_n * r\n", "dgh_n = da_n\n")], GRU_BACK),
    _w("gru_dh_not_accumulated", NB04, "gru_backward",
       [("gru_step_backward(dh[:, t] + dh_prev,", "gru_step_backward(dh[:, t],")],
       ["gru_backward"]),
    _w("gru_reset_after_not_passed", NB04, "gru_forward",
       [("b_ih, b_hh,\n                                              reset_after)", "b_ih, b_hh)")],
       ["gru_forward", "gru_backward"], "reset-before option dropped (the visible check fails)"),
]

ALTERNATIVES = [
    Alternative("rnn_step_einsum", NB01, {"rnn_step_forward": '''
def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh"):
    a = np.einsum("nd,hd->nh", x, W_ih) + np.einsum("nk,hk->nh", h_prev, W_hh) + (b_ih + b_hh)
    h_next = np.tanh(a) if nonlinearity == "tanh" else a * (a > 0)
    return h_next, {"x": x, "h_prev": h_prev, "a": a}
'''}, "einsum, a dict as cache"),
    Alternative("affine_and_loss_loops", NB01, {
        "temporal_affine_forward": '''
def temporal_affine_forward(h, W, b):
    N, T, H = h.shape
    scores = (h.reshape(N * T, H) @ W.T + b).reshape(N, T, W.shape[0])
    return scores, None
''',
        "temporal_softmax_loss": '''
def temporal_softmax_loss(scores, y, mask=None):
    N, T, V = scores.shape
    loss, dscores = 0.0, np.zeros_like(scores)
    for n in range(N):
        for t in range(T):
            if mask is not None and not mask[n, t]:
                continue
            s = scores[n, t] - np.max(scores[n, t])
            p = np.exp(s) / np.sum(np.exp(s))
            loss -= (s[y[n, t]] - np.log(np.sum(np.exp(s)))) / N
            dscores[n, t] = p / N
            dscores[n, t, y[n, t]] -= 1 / N
    return loss, dscores
'''}, "explicit loops over the batch and time"),
    Alternative("numgrad_nditer_and_clip_list", NB02, {
        "eval_numerical_gradient": '''
def eval_numerical_gradient(f, x, df=None, h=1e-5):
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        pos = np.array(f(x), copy=True)
        x[ix] = old - h
        neg = np.array(f(x), copy=True)
        x[ix] = old
        diff = (pos - neg) if df is None else (pos - neg) * df
        grad[ix] = np.sum(diff) / (2 * h)
        it.iternext()
    return grad
''',
        "clip_grad_norm": '''
def clip_grad_norm(grads, max_norm):
    names = list(grads) if isinstance(grads, dict) else range(len(grads))
    total_norm = float(np.linalg.norm([np.linalg.norm(grads[k]) for k in names]))
    if total_norm > max_norm:
        factor = max_norm / (total_norm + 1e-6)
    else:
        factor = 1.0
    if isinstance(grads, dict):
        return {k: grads[k] * factor for k in names}, total_norm
    return [grads[k] * factor for k in names], total_norm
'''}, "np.nditer; norm of norms"),
    Alternative("rnn_backward_inline_einsum", NB02, {
        "rnn_backward": '''
def rnn_backward(dh, cache):
    step_caches, (N, T, D), h0 = cache
    W_ih, W_hh = step_caches[0][2], step_caches[0][3]
    xs = np.stack([c[0] for c in step_caches], axis=1)
    h_prevs = np.stack([c[1] for c in step_caches], axis=1)
    h_nexts = np.stack([c[5] for c in step_caches], axis=1)
    pre = np.stack([c[4] for c in step_caches], axis=1)
    da = np.zeros_like(h_nexts)
    carry = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        total = dh[:, t] + carry
        if step_caches[t][6] == "tanh":
            da[:, t] = total * (1 - h_nexts[:, t] ** 2)
        else:
            da[:, t] = total * (pre[:, t] > 0)
        carry = da[:, t] @ W_hh
    dx = np.einsum("nth,hd->ntd", da, W_ih)
    dW_ih = np.einsum("nth,ntd->hd", da, xs)
    dW_hh = np.einsum("nth,ntk->hk", da, h_prevs)
    db = da.sum(axis=(0, 1))
    return dx, carry, dW_ih, dW_hh, db, db.copy()
'''}, "BPTT without the step function, weight gradients by einsum over time"),
    Alternative("lstm_dict_cache_split", NB03, {
        "lstm_step_forward": '''
def lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    a = x @ W_ih.T + h_prev @ W_hh.T + b_ih + b_hh
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    i, f, o = 1 / (1 + np.exp(-a_i)), 1 / (1 + np.exp(-a_f)), 1 / (1 + np.exp(-a_o))
    g = np.tanh(a_g)
    c_next = f * c_prev + i * g
    h_next = o * np.tanh(c_next)
    cache = dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh,
                 gates=(i, f, g, o), c_next=c_next)
    return h_next, c_next, cache
''',
        "lstm_step_backward": '''
def lstm_step_backward(dh_next, dc_next, cache):
    i, f, g, o = cache["gates"]
    tc = np.tanh(cache["c_next"])
    dc = dc_next + dh_next * o * (1 - tc * tc)
    da = np.hstack([dc * g * i * (1 - i), dc * cache["c_prev"] * f * (1 - f),
                    dc * i * (1 - g * g), dh_next * tc * o * (1 - o)])
    db = np.sum(da, axis=0)
    return (da @ cache["W_ih"], da @ cache["W_hh"], dc * f, np.dot(da.T, cache["x"]),
            np.dot(da.T, cache["h_prev"]), db, db.copy())
'''}, "dict cache, np.split, tanh(c) recomputed in the backward"),
    Alternative("lstm_sequence_time_major", NB03, {
        "lstm_forward": '''
def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    xs = np.transpose(x, (1, 0, 2))  # time-major
    hs, caches = [], []
    h, c = h0, c0
    for x_t in xs:
        h, c, step = lstm_step_forward(x_t, h, c, W_ih, W_hh, b_ih, b_hh)
        hs.append(h)
        caches.append(step)
    return np.stack(hs, axis=1), {"steps": caches, "D": x.shape[2]}
''',
        "lstm_backward": '''
def lstm_backward(dh, cache):
    N, T, H = dh.shape
    dxs = [None] * T
    dh_t, dc_t = np.zeros((N, H)), np.zeros((N, H))
    sums = None
    for t in reversed(range(T)):
        dx_t, dh_t, dc_t, *grads = lstm_step_backward(dh[:, t] + dh_t, dc_t, cache["steps"][t])
        dxs[t] = dx_t
        sums = grads if sums is None else [s + g for s, g in zip(sums, grads)]
    return (np.stack(dxs, axis=1), dh_t, dc_t, *sums)
'''}, "time-major loop, a dict as sequence cache"),
    Alternative("gru_dict_cache_einsum", NB04, {
        "gru_step_forward": '''
def gru_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, reset_after=True):
    H = h_prev.shape[1]
    Wir, Wiz, Win = W_ih[:H], W_ih[H:2 * H], W_ih[2 * H:]
    Whr, Whz, Whn = W_hh[:H], W_hh[H:2 * H], W_hh[2 * H:]
    bir, biz, bin_ = b_ih[:H], b_ih[H:2 * H], b_ih[2 * H:]
    bhr, bhz, bhn = b_hh[:H], b_hh[H:2 * H], b_hh[2 * H:]
    r = sigmoid(x @ Wir.T + bir + h_prev @ Whr.T + bhr)
    z = sigmoid(x @ Wiz.T + biz + h_prev @ Whz.T + bhz)
    u = h_prev @ Whn.T + bhn if reset_after else (r * h_prev) @ Whn.T + bhn
    n = np.tanh(x @ Win.T + bin_ + (r * u if reset_after else u))
    h_next = n + z * (h_prev - n)
    return h_next, {"x": x, "h": h_prev, "W_ih": W_ih, "W_hh": W_hh, "r": r, "z": z, "n": n,
                    "u": u, "after": reset_after}
''',
        "gru_step_backward": '''
def gru_step_backward(dh_next, cache):
    x, h, W_ih, W_hh = cache["x"], cache["h"], cache["W_ih"], cache["W_hh"]
    r, z, n, u = cache["r"], cache["z"], cache["n"], cache["u"]
    H = h.shape[1]
    da_n = dh_next * (1 - z) * (1 - n * n)
    da_z = dh_next * (h - n) * z * (1 - z)
    dh = dh_next * z
    if cache["after"]:
        da_r = da_n * u * r * (1 - r)
        du = da_n * r
        hidden_in = np.concatenate([h, h, h], axis=1).reshape(-1, 3, H)
    else:
        drh = da_n @ W_hh[2 * H:]
        da_r = drh * h * r * (1 - r)
        du = da_n
        dh = dh + drh * r
        hidden_in = np.stack([h, h, r * h], axis=1)
    dgi = np.concatenate([da_r, da_z, da_n], axis=1)
    dgh = np.stack([da_r, da_z, du], axis=1)  # (N, 3, H)
    dW_hh = np.einsum("ngj,ngk->gjk", dgh, hidden_in).reshape(3 * H, H)
    dh = dh + np.einsum("ngj,gjk->nk", dgh[:, :2], W_hh.reshape(3, H, H)[:2])
    if cache["after"]:
        dh = dh + du @ W_hh[2 * H:]
    return (dgi @ W_ih, dh, dgi.T @ x, dW_hh, dgi.sum(axis=0), dgh.sum(axis=0).reshape(-1))
'''}, "gates as separate matrices, h' = n + z (h - n), einsum over gate blocks"),
]
