"""The reference reproduces PyTorch's float64 results (committed fixtures, no torch needed).

Fixtures come from scripts/make_golden.py; tolerance 1e-10 relative to max|expected| (DESIGN.md).
"""
import pathlib

import numpy as np
import pytest

import rnnkit
from rnnkit import reference as ref
from tests.helpers import assert_close

GOLDEN = pathlib.Path(__file__).parent / "fixtures" / "golden"
CASES = sorted(p for p in GOLDEN.glob("*.npz") if p.name != "affine_softmax.npz")
LAYERS = {"rnn_tanh": (rnnkit.RNN, {"nonlinearity": "tanh"}),
          "rnn_relu": (rnnkit.RNN, {"nonlinearity": "relu"}),
          "lstm": (rnnkit.LSTM, {}), "gru": (rnnkit.GRU, {})}
TOL = 1e-10


def load(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def test_fixtures_exist():
    assert len(CASES) == 16, "run scripts/make_golden.py"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_layer_matches_pytorch(path):
    g = load(path)
    name = str(g["cell"])
    N, T, D, H, L = g["shape"]
    layer_class, options = LAYERS[name]
    layer = layer_class(D, H, num_layers=L, **options)
    layer.load_state_dict({k[len("param_"):]: v for k, v in g.items() if k.startswith("param_")})
    if name == "lstm":
        output, h_n, c_n = layer.forward(g["x"], g["h0"], g["c0"])
        assert_close(c_n, g["c_n"], TOL, "c_n")
        dx, dh0, dc0, grads = layer.backward(g["d_output"], g["d_h_n"], g["d_c_n"])
        assert_close(dc0, g["grad_c0"], TOL, "dc0")
    else:
        output, h_n = layer.forward(g["x"], g["h0"])
        dx, dh0, grads = layer.backward(g["d_output"], g["d_h_n"])
    assert_close(output, g["output"], TOL, "output")
    assert_close(h_n, g["h_n"], TOL, "h_n")
    assert_close(dx, g["grad_x"], TOL, "dx")
    assert_close(dh0, g["grad_h0"], TOL, "dh0")
    for key, grad in grads.items():
        assert_close(grad, g[f"grad_{key}"], TOL, key)


@pytest.mark.parametrize("path", [p for p in CASES if p.stem.endswith("x1")], ids=lambda p: p.stem)
def test_exercise_api_matches_pytorch(path):
    """The functions the notebooks ask for (single layer), not only the layer objects."""
    g = load(path)
    name = str(g["cell"])
    params = [g[f"param_{k}_l0"] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    x, h0 = g["x"], g["h0"][0]
    dh = g["d_output"].copy()
    dh[:, -1] += g["d_h_n"][0]  # h_n is the last output
    if name == "lstm":
        h, cache = ref.lstm_forward(x, h0, g["c0"][0], *params)
        dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh = ref.lstm_backward(dh, cache, g["d_c_n"][0])
        assert_close(dc0, g["grad_c0"][0], TOL, "dc0")
    elif name == "gru":
        h, cache = ref.gru_forward(x, h0, *params)
        dx, dh0, dW_ih, dW_hh, db_ih, db_hh = ref.gru_backward(dh, cache)
    else:
        h, cache = ref.rnn_forward(x, h0, *params, nonlinearity=name[4:])
        dx, dh0, dW_ih, dW_hh, db_ih, db_hh = ref.rnn_backward(dh, cache)
    assert_close(h, g["output"], TOL, "h")
    assert_close(dx, g["grad_x"], TOL, "dx")
    assert_close(dh0, g["grad_h0"][0], TOL, "dh0")
    for grad, key in zip((dW_ih, dW_hh, db_ih, db_hh),
                         ("weight_ih", "weight_hh", "bias_ih", "bias_hh")):
        assert_close(grad, g[f"grad_{key}_l0"], TOL, key)


def test_temporal_affine_and_softmax_loss_match_pytorch():
    g = load(GOLDEN / "affine_softmax.npz")
    scores, cache = ref.temporal_affine_forward(g["h"], g["W"], g["b"])
    assert_close(scores, g["scores"], TOL, "scores")
    loss, dscores = ref.temporal_softmax_loss(scores, g["y"], g["mask"])
    assert abs(loss - float(g["loss"])) <= TOL * abs(float(g["loss"]))
    dh, dW, db = ref.temporal_affine_backward(dscores, cache)
    assert_close(dh, g["grad_h"], TOL, "dh")
    assert_close(dW, g["grad_W"], TOL, "dW")
    assert_close(db, g["grad_b"], TOL, "db")
