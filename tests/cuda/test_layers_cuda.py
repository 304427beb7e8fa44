"""The layers with backend="cuda" give what backend="numpy" gives; bad input fails the same way."""
import numpy as np
import pytest

import rnnkit
from rnnkit.cuda import sequence as cuda_sequence
from rnnkit.reference import sequence as reference
from tests.helpers import assert_close, random_params

pytestmark = pytest.mark.cudasim


def run_layer(cls, backend, x, d_out, **kwargs):
    layer = cls(x.shape[2], 3, backend=backend, seed=5, **kwargs)
    outputs = layer.forward(x)
    grads = layer.backward(d_out)
    return outputs, grads


@pytest.mark.parametrize("cls, kwargs", [
    (rnnkit.LSTM, {"num_layers": 2}),
    (rnnkit.GRU, {"reset_after": False}),
    (rnnkit.RNN, {"nonlinearity": "relu"}),
], ids=["lstm-2-layers", "gru-reset-before", "rnn-relu"])
def test_layer_cuda_equals_numpy(cls, kwargs):
    rng = np.random.default_rng(11)
    x, d_out = rng.standard_normal((2, 2, 4)), rng.standard_normal((2, 2, 3))
    cuda_out, cuda_grads = run_layer(cls, "cuda", x, d_out, **kwargs)
    numpy_out, numpy_grads = run_layer(cls, "numpy", x, d_out, **kwargs)
    for i, (a, b) in enumerate(zip(cuda_out, numpy_out)):
        assert_close(a, b, 1e-10, f"forward output {i}")
    for i, (a, b) in enumerate(zip(cuda_grads[:-1], numpy_grads[:-1])):
        assert_close(a, b, 1e-10, f"backward output {i}")
    assert cuda_grads[-1].keys() == numpy_grads[-1].keys()
    for name in numpy_grads[-1]:
        assert_close(cuda_grads[-1][name], numpy_grads[-1][name], 1e-10, name)


def good_args(cell="lstm"):
    rng = np.random.default_rng(0)
    x, h0 = rng.standard_normal((2, 2, 3)), rng.standard_normal((2, 4))
    c0 = rng.standard_normal((2, 4)) if cell == "lstm" else None
    return [x, h0, c0, *random_params(cell, 3, 4, rng)]


def bad_forward_cases():
    def with_(index, value, cell="lstm"):
        args = good_args(cell)
        args[index] = value(args[index])
        return cell, args, {}
    yield "W_hh transposed", with_(4, lambda W: np.zeros((4, 16)))
    yield "x float32", with_(0, lambda x: x.astype(np.float32))
    yield "NaN in x", with_(0, lambda x: np.where(x > 1, np.nan, x))
    yield "h0 wrong N", with_(1, lambda h: h[:1])
    yield "c0 a list", with_(2, lambda c: c.tolist())
    yield "b_ih wrong length", with_(5, lambda b: b[:-1], cell="gru")
    yield "bad nonlinearity", ("rnn", good_args("rnn"), {"nonlinearity": "sigmoid"})
    yield "bad cell", ("cnn", good_args("rnn"), {})


@pytest.mark.parametrize("cell, args, kwargs", [case for _, case in bad_forward_cases()],
                         ids=[name for name, _ in bad_forward_cases()])
def test_bad_forward_input_same_error_as_reference(cell, args, kwargs):
    with pytest.raises((TypeError, ValueError)) as expected:
        reference.sequence_forward(cell, *args, **kwargs)
    with pytest.raises(expected.type) as got:
        cuda_sequence.sequence_forward(cell, *args, **kwargs)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("case", ["dh shape", "dh dtype", "dh_n shape", "dc_n NaN", "cell"])
def test_bad_backward_input_same_error_as_reference(case):
    args = good_args("lstm")
    ref_cache = reference.sequence_forward("lstm", *args)[3]
    cuda_cache = cuda_sequence.sequence_forward("lstm", *args)[3]
    dh, dh_n, dc_n, cell = np.ones((2, 2, 4)), None, None, "lstm"
    if case == "dh shape":
        dh = np.ones((2, 4, 2))
    elif case == "dh dtype":
        dh = dh.astype(np.float32)
    elif case == "dh_n shape":
        dh_n = np.ones((4, 2))
    elif case == "dc_n NaN":
        dc_n = np.full((2, 4), np.nan)
    else:
        cell = "gru"
    with pytest.raises((TypeError, ValueError)) as expected:
        reference.sequence_backward(cell, dh, dh_n, dc_n, ref_cache)
    with pytest.raises(expected.type) as got:
        cuda_sequence.sequence_backward(cell, dh, dh_n, dc_n, cuda_cache)
    assert str(got.value) == str(expected.value)
