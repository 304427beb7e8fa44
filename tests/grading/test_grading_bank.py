"""Known mistakes fail `check` with an explanation that names the output and the mistake.

Two banks: every mistake the checker knows (built from `rnnkit.grading.mutants`, so that each
one is provably recognisable), and hand-written wrong answers as a student would write them,
which do not share code with the checker.
"""
import numpy as np
import pytest

import rnnkit.reference as R
from rnnkit.grading import EXERCISES, check
from rnnkit.grading.exercises import resolve_variant
from rnnkit.grading.mistakes import mistakes_for
from tests.grading.grading_students import student

VARIANTS = {"rnn": [{}, {"nonlinearity": "relu"}], "gru": [{}, {"reset_after": False}]}
BANK = [(name, v, m) for name, ex in EXERCISES.items() for v in VARIANTS.get(ex.family, [{}])
        for m in mistakes_for(ex, resolve_variant(ex, v))]
# mistakes that only run when a matrix happens to be square: on the other cases they crash,
# and the crash report carries a hint about transposes instead
SQUARE_ONLY = {"W_ih_not_transposed"}


@pytest.mark.parametrize("name,variant,mistake", BANK,
                         ids=[f"{n}{v or ''}-{m.key}" for n, v, m in BANK])
def test_every_known_mistake_is_named(name, variant, mistake):
    func, forward = student(name, mistake.bugs)
    with np.errstate(all="ignore"), pytest.raises(AssertionError) as info:
        check(name, func, forward=forward, seed=11, **variant)
    msg = str(info.value)
    if mistake.key in SQUARE_ONLY:
        assert "raised ValueError" in msg and "Hint: a matrix product" in msg
    else:
        assert f"matches what you get when {mistake.description}" in msg, msg


def test_the_bank_is_large_and_covers_every_exercise():
    assert len({m.key for _, _, m in BANK}) >= 45
    assert {n for n, _, _ in BANK} == set(EXERCISES)


# --- hand-written wrong answers ----------------------------------------------------------------

def tanh_at_h_prev(dh_next, cache):
    x, h_prev, W_ih, W_hh, a, h_next, _ = cache
    da = dh_next * (1 - h_prev**2)
    return da @ W_ih, da @ W_hh, da.T @ x, da.T @ h_prev, da.sum(0), da.sum(0)


def bias_averaged(dh_next, cache):
    dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh = R.rnn_step_backward(dh_next, cache)
    N = dh_next.shape[0]
    return dx, dh_prev, dW_ih, dW_hh, db_ih / N, db_hh / N


def no_accumulation(dh, cache):
    """BPTT that forgets the gradient coming back from the next step."""
    step_caches, (N, T, D), h0 = cache
    dx = np.zeros((N, T, D))
    grads = [np.zeros_like(step_caches[0][2]), np.zeros_like(step_caches[0][3]),
             np.zeros(h0.shape[1]), np.zeros(h0.shape[1])]
    for t in reversed(range(T)):
        step = R.rnn_step_backward(dh[:, t], step_caches[t])
        dx[:, t], dh0 = step[0], step[1]
        grads = [g + s for g, s in zip(grads, step[2:])]
    return (dx, dh0, *grads)


def dW_not_summed(dh, cache):
    step_caches, (N, T, D), h0 = cache
    dx = np.zeros((N, T, D))
    dh_prev = np.zeros_like(h0)
    for t in reversed(range(T)):
        step = R.rnn_step_backward(dh[:, t] + dh_prev, step_caches[t])
        dx[:, t], dh_prev = step[0], step[1]
        dW_ih, dW_hh, db_ih, db_hh = step[2:]  # overwritten at every step
    return dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh


def lstm_ifog(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    i, f, o = (R.sigmoid(a[:, k * H:(k + 1) * H]) for k in (0, 1, 2))
    g = np.tanh(a[:, 3 * H:])
    c = f * c_prev + i * g
    return o * np.tanh(c), c, None


def gru_z_swapped(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    h_next, cache = R.gru_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh)
    z = cache[5]
    n = cache[6]
    return z * n + (1 - z) * h_prev, cache


def gru_reset_before(x, h, W_ih, W_hh, b_ih, b_hh):
    return R.gru_step_forward(x, h, W_ih, W_hh, b_ih, b_hh, reset_after=False)


def loss_not_divided(scores, y, mask):
    loss, dscores = R.temporal_softmax_loss(scores, y, mask)
    N = scores.shape[0]
    return loss * N, dscores * N


def loss_mask_ignored(scores, y, mask):
    return R.temporal_softmax_loss(scores, y, np.ones_like(mask))


def forward_difference(f, x, df, h=1e-5):
    grad = np.zeros_like(x)
    fx = f(x).copy()
    for ix in np.ndindex(*x.shape):
        old = x[ix]
        x[ix] = old + h
        grad[ix] = np.sum((f(x) - fx) * df) / h
        x[ix] = old
    return grad


def clip_always(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    return {k: g * max_norm / total for k, g in grads.items()}, total


def lstm_dc_not_carried(dh, cache):
    step_caches, (N, T, D), h0 = cache
    dx = np.zeros((N, T, D))
    dh_prev = np.zeros_like(h0)
    grads = None
    for t in reversed(range(T)):
        step = R.lstm_step_backward(dh[:, t] + dh_prev, np.zeros_like(h0), step_caches[t])
        dx[:, t], dh_prev, dc_prev = step[0], step[1], step[2]
        grads = step[3:] if grads is None else [g + s for g, s in zip(grads, step[3:])]
    return (dx, dh_prev, dc_prev, *grads)


HANDWRITTEN = [
    ("rnn_step_backward", tanh_at_h_prev, R.rnn_step_forward, "dx",
     "tanh derivative is taken at h_prev instead of h_next"),
    ("rnn_step_backward", bias_averaged, R.rnn_step_forward, "db_ih",
     "averaged over the batch instead of summed"),
    ("rnn_backward", no_accumulation, R.rnn_forward, "dx",
     "without the gradient dh_prev coming back from step t+1"),
    ("rnn_backward", dW_not_summed, R.rnn_forward, "dW_ih",
     "overwritten at each step instead of summed over time"),
    ("lstm_step_forward", lstm_ifog, None, "h_next", "order i|f|o|g"),
    ("lstm_backward", lstm_dc_not_carried, R.lstm_forward, "dx",
     "cell-state gradient is not carried"),
    ("gru_step_forward", gru_z_swapped, None, "h_next", "z and 1 - z are swapped"),
    ("gru_step_forward", gru_reset_before, None, "h_next", "\"reset before\""),
    ("temporal_softmax_loss", loss_not_divided, None, "loss", "not divided by the batch size N"),
    ("temporal_softmax_loss", loss_mask_ignored, None, "loss", "the mask is ignored"),
    ("eval_numerical_gradient", forward_difference, None, "grad", "forward difference"),
    ("clip_grad_norm", clip_always, None, "clipped[W_hh]", "scaled even when their norm is "
                                                           "already below"),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name,func,forward,output,phrase", HANDWRITTEN,
                         ids=[f"{h[0]}-{h[1].__name__}" for h in HANDWRITTEN])
def test_handwritten_mistakes_are_explained(name, func, forward, output, phrase, seed):
    with pytest.raises(AssertionError) as info:
        check(name, func, forward=forward, seed=seed)
    msg = str(info.value)
    head, _, _ = msg.partition(": ")
    assert head.startswith(name) and msg.startswith(f"{head}: {output} does not match the "
                                                    f"reference"), msg
    assert phrase in msg, msg


def test_unknown_mistake_in_the_recurrent_path_is_isolated():
    def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
        h_next = np.tanh(x @ W_ih.T + b_ih + 0.5 * (h_prev @ W_hh.T) + b_hh)
        return h_next, None
    with pytest.raises(AssertionError, match=r"recurrent path switched off \(h_prev = 0, "
                                             r"W_hh = 0\) it is right"):
        check("rnn_step_forward", rnn_step_forward, seed=0)


def test_unknown_mistake_in_the_input_path_is_isolated():
    def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
        return np.tanh(np.sin(x) @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh), None
    with pytest.raises(AssertionError, match=r"input switched off \(x = 0, W_ih = 0\) it is "
                                             r"right, so look at the input terms"):
        check("rnn_step_forward", rnn_step_forward, seed=0)


def test_unknown_mistake_between_time_steps_is_isolated():
    def rnn_backward(dh, cache):
        out = list(R.rnn_backward(dh, cache))
        out[2] = out[2] / dh.shape[1]  # dW_ih averaged over time
        return tuple(out)
    with pytest.raises(AssertionError, match=r"dW_ih is right for a single time step \(T = 1\)"):
        check("rnn_backward", rnn_backward, forward=R.rnn_forward, seed=0)


def test_unknown_mistake_across_the_batch_is_isolated():
    def temporal_affine_backward(dscores, cache):
        dh, dW, db = R.temporal_affine_backward(dscores, cache)
        return dh, dW, db / dscores.shape[0] ** 2
    with pytest.raises(AssertionError, match=r"db is right for a batch of one \(N = 1\)"):
        check("temporal_affine_backward", temporal_affine_backward,
              forward=R.temporal_affine_forward, seed=0)


# --- hints that name the right slip, and say what is already right ------------------------------

def affine_db_batch_only(dscores, cache):
    dh, dW, _ = R.temporal_affine_backward(dscores, cache)
    return dh, dW, dscores.sum(axis=0)  # summed over the batch, not over time


def test_db_summed_over_the_batch_only_is_told_to_sum_over_time():
    with pytest.raises(AssertionError) as info:
        check("temporal_affine_backward", affine_db_batch_only,
              forward=R.temporal_affine_forward, seed=0)
    msg = str(info.value)
    # case 1 has N = T = 1, where the two sums cannot be told apart: say both
    assert "returned db with shape (1, 4)" in msg and "sums over the batch and over time" in msg
    assert "forget to sum over the batch" not in msg, msg


@pytest.mark.parametrize("got,phrase", [
    ((3, 4), "summed over the batch but not over time"),
    ((2, 4), "summed over time but not over the batch"),
    ((2, 3, 4), "sums over the batch and over time (axes 0 and 1)"),
])
def test_bias_gradient_shape_hint_says_which_sum_is_missing(got, phrase):
    from rnnkit.grading.runner import _shape_hint
    hint = _shape_hint("db", got, (4,), {"N": 2, "T": 3, "V": 4})
    assert phrase in hint and "forget to sum over the batch" not in hint
    assert "forget to sum over the batch" in _shape_hint("db_ih", (2, 4), (4,), {"N": 2})


def _gru_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    """A student's GRU step ("reset after") with their own cache layout."""
    H = h_prev.shape[1]
    gi, gh = x @ W_ih.T + b_ih, h_prev @ W_hh.T + b_hh
    r = 1 / (1 + np.exp(-(gi[:, :H] + gh[:, :H])))
    z = 1 / (1 + np.exp(-(gi[:, H:2 * H] + gh[:, H:2 * H])))
    n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    return (1 - z) * n + z * h_prev, (x, h_prev, W_ih, W_hh, gh, r, z, n)


def gru_dr_without_factor(dh_next, cache):
    x, h_prev, W_ih, W_hh, gh, r, z, n = cache
    H = h_prev.shape[1]
    dn, dz = dh_next * (1 - z), dh_next * (h_prev - n)
    da_n = dn * (1 - n**2)
    dr = da_n  # forgot "* gh[:, 2H:]" = W_hn h + b_hn
    da_r, da_z = dr * r * (1 - r), dz * z * (1 - z)
    dgi = np.hstack([da_r, da_z, da_n])
    dgh = np.hstack([da_r, da_z, da_n * r])
    dh_prev = dh_next * z + dgh @ W_hh
    return dgi @ W_ih, dh_prev, dgi.T @ x, dgh.T @ h_prev, dgi.sum(0), dgh.sum(0)


def _lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    i, f, o = (1 / (1 + np.exp(-a[:, k * H:(k + 1) * H])) for k in (0, 1, 3))
    g = np.tanh(a[:, 2 * H:3 * H])
    c_next = f * c_prev + i * g
    return o * np.tanh(c_next), c_next, (x, h_prev, c_prev, W_ih, W_hh, i, f, g, o, c_next)


def lstm_df_tanh_c(dh_next, dc_next, cache):
    x, h_prev, c_prev, W_ih, W_hh, i, f, g, o, c_next = cache
    tc = np.tanh(c_next)
    dc = dc_next + dh_next * o * (1 - tc**2)
    df = dc * tc  # should be dc * c_prev
    da = np.hstack([dc * g * i * (1 - i), df * f * (1 - f), dc * i * (1 - g**2),
                    dh_next * tc * o * (1 - o)])
    return da @ W_ih, da @ W_hh, dc * f, da.T @ x, da.T @ h_prev, da.sum(0), da.sum(0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gru_reset_gradient_without_its_factor_is_named_with_the_gate_block(seed):
    with pytest.raises(AssertionError) as info:
        check("gru_step_backward", gru_dr_without_factor, forward=_gru_step_forward, seed=seed)
    msg = str(info.value)
    assert "matches what you get when dr misses the factor (W_hn h_prev + b_hn)" in msg, msg
    assert "None of the outputs matches (dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh all " \
           "differ)" in msg, msg
    assert "the block of r (rows 0:H) differs; those of z, n match" in msg, msg


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lstm_forget_gradient_with_tanh_c_is_named_with_the_gate_block(seed):
    with pytest.raises(AssertionError) as info:
        check("lstm_step_backward", lstm_df_tanh_c, forward=_lstm_step_forward, seed=seed)
    msg = str(info.value)
    assert "the forget-gate gradient uses tanh(c_next)" in msg, msg
    # dc_prev does not depend on df: it is named as right
    assert "These outputs match the reference: dc_prev; these differ: dx, dh_prev, dW_ih, " \
           "dW_hh, db_ih, db_hh." in msg, msg
    assert "the block of f (rows H:2H) differs; those of i, g, o match" in msg, msg
