"""The bank of classic mistakes: which slips to try for each exercise, in words a student reads.

A mistake is a set of switches of `rnnkit.grading.mutants` plus a sentence that completes
"... matches what you get when <description>". `run_mistake` computes a mistake's outputs for
one case, in the same flat form as `runner.run_reference`.
"""
from dataclasses import dataclass

import numpy as np

from rnnkit.grading import mutants
from rnnkit.grading.exercises import EXERCISES
from rnnkit.grading.runner import flatten


@dataclass(frozen=True)
class Mistake:
    key: str
    bugs: frozenset
    description: str


def _m(key, description, *extra_bugs):
    return Mistake(key, frozenset((key,) + extra_bugs), description)


_RESET = {
    True: "the reset gate is applied before W_hn (\"reset before\": W_hn (r ⊙ h) + b_hn) but this "
          "exercise uses PyTorch's \"reset after\": r ⊙ (W_hn h + b_hn)",
    False: "the reset gate is applied after W_hn (PyTorch's \"reset after\": r ⊙ (W_hn h + b_hn)) "
           "but this exercise uses \"reset before\": W_hn (r ⊙ h) + b_hn",
}

CELL_FORWARD = {
    "rnn": [
        _m("no_b_hh", "the recurrent bias b_hh is left out"),
        _m("W_hh_not_transposed", "h_prev @ W_hh is used instead of h_prev @ W_hh.T (PyTorch's "
           "layout stores W_hh as (H, H) with rows = outputs: transpose it)"),
        _m("W_ih_not_transposed", "x @ W_ih is used instead of x @ W_ih.T (W_ih is (H, D))"),
        _m("no_activation", "the nonlinearity is not applied to "
           "a = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh"),
    ],
    "lstm": [
        _m("gate_order_ifog", "the gates are read in the order i|f|o|g instead of PyTorch's "
           "i|f|g|o (rows 2H:3H of the pre-activation are g, rows 3H:4H are o)"),
        _m("g_sigmoid", "the candidate g uses σ instead of tanh"),
        _m("no_tanh_c", "h_next = o ⊙ c_next (the tanh of the new cell state is missing)"),
        _m("forget_gate_missing", "c_next = c_prev + i ⊙ g (the forget gate f is not applied)"),
        _m("no_b_hh", "the recurrent bias b_hh is left out"),
    ],
    "gru": [
        _m("z_swapped", "z and 1 - z are swapped: h' = z ⊙ n + (1 - z) ⊙ h instead of "
           "(1 - z) ⊙ n + z ⊙ h"),
        _m("reset_switched", "RESET"),
        _m("gate_order_zrn", "the gates are read in the order z|r|n instead of PyTorch's r|z|n"),
        _m("b_hn_outside_reset", "b_hn is added outside the reset gate: r ⊙ (W_hn h) + b_hn "
           "instead of r ⊙ (W_hn h + b_hn)"),
        _m("no_b_hh", "the recurrent bias b_hh is left out"),
    ],
}
SEQUENCE_FORWARD = [
    _m("h0_ignored", "the first step starts from zeros instead of h0"),
    _m("h_prev_not_updated", "every step uses h0 instead of the previous step's hidden state"),
]
LSTM_SEQUENCE_FORWARD = [
    _m("c_not_carried", "every step starts from c0 instead of the previous step's cell state"),
]
COMMON_STEP_BACKWARD = [
    _m("db_mean", "the bias gradients are averaged over the batch instead of summed"),
    _m("db_hh_missing", "db_hh is left at zero (b_hh receives the same gradient as b_ih)"),
]
CELL_STEP_BACKWARD = {
    "rnn": [
        _m("tanh_at_h_prev", "the tanh derivative is taken at h_prev instead of h_next "
           "(tanh'(a) = 1 - tanh(a)² = 1 - h_next²)"),
        _m("tanh_no_square", "the tanh derivative is written 1 - h_next instead of 1 - h_next²"),
        _m("no_activation_derivative", "the derivative of the nonlinearity is left out "
           "(da = dh_next instead of dh_next ⊙ act'(a))"),
        _m("dh_prev_W_hh_transposed", "dh_prev = da @ W_hh.T is used; since the forward "
           "computed h_prev @ W_hh.T, the gradient is da @ W_hh (no transpose)"),
        _m("dW_hh_transposed", "dW_hh is transposed: h_prev.T @ da instead of da.T @ h_prev"),
    ],
    "lstm": [
        _m("dc_missing_h_path", "dc only includes dc_next and misses the path through "
           "h_next = o ⊙ tanh(c_next): add dh_next ⊙ o ⊙ (1 - tanh²(c_next))"),
        _m("dc_missing_dc_next", "the upstream cell gradient dc_next is not added to dc"),
        _m("tanh_c_at_c_prev", "the derivative of tanh(c) is taken at c_prev instead of c_next"),
        _m("dc_prev_missing_f", "dc_prev = dc instead of dc ⊙ f (the forget gate scales it)"),
        _m("df_tanh_c_next", "the forget-gate gradient uses tanh(c_next): df = dc ⊙ tanh(c_next);"
           " f multiplies c_prev in c_next = f ⊙ c_prev + i ⊙ g, so df = dc ⊙ c_prev"),
        _m("df_tanh_c_prev", "the forget-gate gradient uses tanh(c_prev): df = dc ⊙ tanh(c_prev);"
           " f multiplies c_prev itself in c_next = f ⊙ c_prev + i ⊙ g, so df = dc ⊙ c_prev"),
        _m("gate_order_ifog_backward", "the gate gradients are concatenated in the order "
           "i|f|o|g instead of PyTorch's i|f|g|o"),
    ],
    "gru": [
        _m("z_swapped", "z and 1 - z are swapped (h' = (1 - z) ⊙ n + z ⊙ h: dn = dh ⊙ (1 - z), "
           "the direct path to h_prev is dh ⊙ z)"),
        _m("reset_switched", "RESET"),
        _m("direct_path_missing", "the direct path h' = ... + z ⊙ h_prev is missing from "
           "dh_prev (add dh_next ⊙ z)"),
        _m("dr_without_b_hn", "dr uses W_hn h_prev without b_hn; in r ⊙ (W_hn h + b_hn) the "
           "bias is inside the product"),
        _m("dr_without_hn", "dr misses the factor (W_hn h_prev + b_hn): r multiplies it in "
           "n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), so dr = da_n ⊙ (W_hn h_prev + b_hn), "
           "with da_n the gradient of n's pre-activation"),
        _m("gate_order_zrn", "the gate gradients are in the order z|r|n instead of PyTorch's "
           "r|z|n"),
    ],
}
SEQUENCE_BACKWARD = [
    _m("no_carry", "dh[:, t] is used without the gradient dh_prev coming back from step t+1 "
       "(h_t feeds both the loss and the next step: add dh[:, t] + dh_prev)"),
    _m("upstream_only_last", "the upstream gradient dh[:, t] is only used at the last step; it "
       "must be added at every step"),
    _m("dW_last_step_only", "the weight and bias gradients are overwritten at each step instead "
       "of summed over time (use +=)"),
    _m("dx_time_reversed", "dx is stored in reversed time order"),
]
LSTM_SEQUENCE_BACKWARD = [
    _m("dc_not_carried", "the cell-state gradient is not carried from step t+1 back to step t "
       "(dc_prev of one step is the dc_next of the previous one)"),
]
OTHER = {
    "temporal_affine_forward": [
        _m("W_not_transposed", "h @ W is used instead of h @ W.T (W is (V, H))"),
        _m("no_bias", "the bias b is left out"),
    ],
    "temporal_affine_backward": [
        _m("dW_transposed", "dW is transposed (it must have W's shape (V, H))"),
        _m("db_mean", "db is averaged over the batch and time instead of summed"),
    ],
    "temporal_softmax_loss": [
        _m("not_divided_by_N", "the loss and dscores are not divided by the batch size N"),
        _m("divided_by_NT", "the loss and dscores are divided by N*T instead of N"),
        _m("divided_by_mask_sum", "the loss and dscores are divided by the number of unmasked "
           "targets instead of N"),
        _m("mask_ignored", "the mask is ignored (masked-out targets must add nothing)"),
        _m("dscores_not_divided", "dscores is not divided by N (the loss is)"),
        _m("no_minus_one", "the 1 is not subtracted at the target class (dscores = p - 1[y])"),
    ],
    "eval_numerical_gradient": [
        _m("forward_difference", "a forward difference (f(x+h) - f(x)) / h is used instead of "
           "the central difference (f(x+h) - f(x-h)) / (2h)"),
        _m("divided_by_h", "the central difference is divided by h instead of 2h"),
        _m("df_ignored", "df is ignored: the gradient of sum(f(x) * df) needs "
           "np.sum((f_plus - f_minus) * df)"),
    ],
    "clip_grad_norm": [
        _m("always_scaled", "the gradients are scaled even when their norm is already below "
           "max_norm (the scale is min(1, max_norm / total_norm))"),
        _m("each_clipped_alone", "each gradient is clipped by its own norm instead of the global "
           "norm of all of them together"),
        _m("norm_not_square_rooted", "the norm is the sum of squares without the square root"),
        _m("scale_inverted", "the scale is total_norm / max_norm instead of max_norm / total_norm"),
        _m("norm_after_clipping", "total_norm is measured after clipping; return the norm before"),
    ],
}


def mistakes_for(exercise, variant):
    """The mistakes worth trying for one exercise (with the GRU's reset wording resolved)."""
    name, family = exercise.name, exercise.family
    if name in OTHER:
        found = list(OTHER[name])
    else:
        found = list(CELL_FORWARD[family])
        if exercise.sequence:
            found += SEQUENCE_FORWARD + (LSTM_SEQUENCE_FORWARD if family == "lstm" else [])
        if exercise.is_backward:
            found = [m for m in found if m.key in ("reset_switched", "z_swapped")]
            found += CELL_STEP_BACKWARD[family] + COMMON_STEP_BACKWARD
            if exercise.sequence:
                found += SEQUENCE_BACKWARD + (LSTM_SEQUENCE_BACKWARD if family == "lstm" else [])
                # over a sequence, "dc_next not added" is "dc not carried": keep the latter
                found = [m for m in found if m.key != "dc_missing_dc_next"]
        if family == "rnn" and variant.get("nonlinearity") == "relu":
            found = [m for m in found if not m.key.startswith("tanh")]
        if family == "gru" and not variant.get("reset_after", True):
            found = [m for m in found if m.key not in ("b_hn_outside_reset", "dr_without_b_hn",
                                                       "dr_without_hn")]
    unique = {}
    for m in found:
        if m.description == "RESET":
            m = Mistake(m.key, m.bugs, _RESET[variant.get("reset_after", True)])
        unique.setdefault(m.key, m)
    return list(unique.values())


def run_mistake(exercise, mistake, inputs, variant):
    """The outputs (flat, float64) of `exercise` made with `mistake`, for one case's inputs."""
    bugs, i = mistake.bugs, inputs
    family, name = exercise.family, exercise.name
    if family in mutants.CELLS:
        step_forward, step_backward = mutants.CELLS[family]
        W = (i["W_ih"], i["W_hh"], i["b_ih"], i["b_hh"])
        if exercise.sequence:
            result = mutants.cell_sequence(family, i["x"], i["h0"], i.get("c0"), W, variant, bugs,
                                           dh=i["dh"] if exercise.is_backward else None)
            values = (result,) if not exercise.is_backward else \
                tuple(v for v in result if v is not None)
        else:
            h_next, c_next, cache = step_forward(i["x"], i["h_prev"], i.get("c_prev"), *W,
                                                 variant, bugs)
            if exercise.is_backward:
                step = step_backward(i["dh_next"], i.get("dc_next"), cache, bugs)
                values = tuple(v for v in step if v is not None)
            else:
                values = (h_next,) if c_next is None else (h_next, c_next)
    elif name == "temporal_affine_forward":
        values = (mutants.affine_forward(i["h"], i["W"], i["b"], bugs),)
    elif name == "temporal_affine_backward":
        values = mutants.affine_backward(i["h"], i["W"], i["dscores"], bugs)
    elif name == "temporal_softmax_loss":
        values = mutants.softmax_loss(i["scores"], i["y"], i["mask"], bugs)
    elif name == "eval_numerical_gradient":
        values = (mutants.numerical_gradient(i["f"], i["x"], i["df"], bugs),)
    else:
        values = mutants.clip(i["grads"], i["max_norm"], bugs)
    outputs = dict(zip(EXERCISES[name].outputs, values))
    with np.errstate(all="ignore"):
        return flatten(exercise, outputs)
