"""Central-difference gradient checks (float64, h = 1e-5) for every reference function and
every parameter, including the reset-before GRU that PyTorch does not have. Tolerance 1e-6."""
import numpy as np
import pytest

from rnnkit import reference as ref
from rnnkit.reference.lstm import lstm_final_cell
from tests.helpers import random_params

TOL = 1e-6
N, T, D, H = 2, 3, 4, 5
VARIANTS = [("rnn", {"nonlinearity": "tanh"}), ("rnn", {"nonlinearity": "relu"}),
            ("lstm", {}), ("gru", {"reset_after": True}), ("gru", {"reset_after": False})]
IDS = ["rnn-tanh", "rnn-relu", "lstm", "gru-after", "gru-before"]
GRAD_NAMES = ["W_ih", "W_hh", "b_ih", "b_hh"]


def check(numeric, analytic, name):
    error = ref.scaled_error(analytic, numeric)
    assert error < TOL, f"{name}: relative error {error:.2e}"
    assert np.any(numeric != 0), f"{name}: numerical gradient is all zero, the check proves nothing"


def step_functions(cell, options):
    """f(x, h, c, *params) -> (outputs tuple), and a backward taking upstream grads."""
    if cell == "lstm":
        def forward(x, h, c, *p):
            h_next, c_next, cache = ref.lstm_step_forward(x, h, c, *p)
            return (h_next, c_next), cache
        return forward, ref.lstm_step_backward
    fwd = ref.rnn_step_forward if cell == "rnn" else ref.gru_step_forward

    def forward(x, h, c, *p):
        h_next, cache = fwd(x, h, *p, **options)
        return (h_next,), cache
    return forward, ref.rnn_step_backward if cell == "rnn" else ref.gru_step_backward


@pytest.mark.parametrize("cell,options", VARIANTS, ids=IDS)
def test_step_backward(cell, options):
    rng = np.random.default_rng(1)
    x, h, c = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    params = random_params(cell, D, H, rng)
    forward, backward = step_functions(cell, options)
    outs, cache = forward(x, h, c, *params)
    upstream = [rng.standard_normal(o.shape) for o in outs]
    grads = backward(*upstream, cache)

    def scalar(*args):
        return sum(np.sum(o * u) for o, u in zip(forward(*args)[0], upstream))

    inputs = [x, h, c] + params
    # analytic gradients in the order of the inputs (no dc for cells without c)
    analytic = {"dx": grads[0], "dh_prev": grads[1]}
    if cell == "lstm":
        analytic["dc_prev"] = grads[2]
    analytic.update(zip(["d" + n for n in GRAD_NAMES], grads[-4:]))
    names = ["dx", "dh_prev", "dc_prev"] + ["d" + n for n in GRAD_NAMES]
    for name, array in zip(names, inputs):
        if name not in analytic:
            continue
        numeric = ref.eval_numerical_gradient(lambda _: scalar(*inputs), array)
        check(numeric, analytic[name], name)


@pytest.mark.parametrize("cell,options", VARIANTS, ids=IDS)
def test_sequence_backward(cell, options):
    rng = np.random.default_rng(2)
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    params = random_params(cell, D, H, rng)
    dh = rng.standard_normal((N, T, H))
    if cell == "lstm":
        def forward(*args):
            return ref.lstm_forward(*args)
        backward = ref.lstm_backward
        inputs = [x, h0, c0] + params
        names = ["dx", "dh0", "dc0"] + ["d" + n for n in GRAD_NAMES]
    else:
        fwd = ref.rnn_forward if cell == "rnn" else ref.gru_forward
        backward = ref.rnn_backward if cell == "rnn" else ref.gru_backward

        def forward(*args):
            return fwd(*args, **options)
        inputs = [x, h0] + params
        names = ["dx", "dh0"] + ["d" + n for n in GRAD_NAMES]
    h, cache = forward(*inputs)
    analytic = dict(zip(names, backward(dh, cache)))
    for name, array in zip(names, inputs):
        numeric = ref.eval_numerical_gradient(lambda _: forward(*inputs)[0], array, dh)
        check(numeric, analytic[name], name)


def test_lstm_backward_through_final_cell_state():
    rng = np.random.default_rng(3)
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    params = random_params("lstm", D, H, rng)
    dc_n = rng.standard_normal((N, H))
    h, cache = ref.lstm_forward(x, h0, c0, *params)
    dx, dh0, dc0, *_ = ref.lstm_backward(np.zeros_like(h), cache, dc_n)

    def c_n(_):
        return lstm_final_cell(ref.lstm_forward(x, h0, c0, *params)[1])
    check(ref.eval_numerical_gradient(c_n, c0, dc_n), dc0, "dc0")
    check(ref.eval_numerical_gradient(c_n, x, dc_n), dx, "dx")


def test_temporal_affine_and_softmax_loss():
    rng = np.random.default_rng(4)
    V = 6
    h, W, b = rng.standard_normal((N, T, H)), rng.standard_normal((V, H)), rng.standard_normal(V)
    y = rng.integers(0, V, (N, T))
    mask = rng.random((N, T)) > 0.3
    mask[0, 0] = True
    dscores_up = rng.standard_normal((N, T, V))
    scores, cache = ref.temporal_affine_forward(h, W, b)
    dh, dW, db = ref.temporal_affine_backward(dscores_up, cache)
    for name, array, analytic in (("dh", h, dh), ("dW", W, dW), ("db", b, db)):
        numeric = ref.eval_numerical_gradient(lambda _: ref.temporal_affine_forward(h, W, b)[0],
                                              array, dscores_up)
        check(numeric, analytic, name)
    loss, dscores = ref.temporal_softmax_loss(scores, y, mask)
    numeric = ref.eval_numerical_gradient(lambda s: ref.temporal_softmax_loss(s, y, mask)[0], scores)
    check(numeric, dscores, "dscores")
    assert np.all(dscores[~mask] == 0), "masked targets must not contribute"
