"""Bad input gets an error that names the argument and the expected shape or dtype."""
import re

import numpy as np
import pytest

import rnnkit
from rnnkit import reference as ref
from tests.helpers import random_params

N, T, D, H = 2, 3, 4, 5


@pytest.fixture
def lstm_args():
    rng = np.random.default_rng(0)
    return dict(x=rng.standard_normal((N, T, D)), h0=np.zeros((N, H)), c0=np.zeros((N, H)),
                params=random_params("lstm", D, H, rng))


def call_lstm(a):
    return ref.lstm_forward(a["x"], a["h0"], a["c0"], *a["params"])


def test_transposed_W_hh_names_argument_and_shapes(lstm_args):
    W_ih, W_hh, b_ih, b_hh = lstm_args["params"]
    lstm_args["params"] = [W_ih, np.zeros((H, 4 * H)), b_ih, b_hh]
    with pytest.raises(ValueError, match=re.escape("W_hh must have shape (4*H, H) = (20, 5), got (5, 20)")):
        call_lstm(lstm_args)


@pytest.mark.parametrize("index,name,bad,expected", [
    (0, "W_ih", (20, 3), "(4*H, D) = (20, 4)"),
    (2, "b_ih", (5,), "(4*H,) = (20,)"),
    (3, "b_hh", (20, 1), "(4*H,) = (20,)"),
])
def test_wrong_parameter_shapes(lstm_args, index, name, bad, expected):
    lstm_args["params"][index] = np.zeros(bad)
    with pytest.raises(ValueError, match=re.escape(f"{name} must have shape {expected}, got {bad}")):
        call_lstm(lstm_args)


def test_mismatched_batch(lstm_args):
    lstm_args["h0"] = np.zeros((N + 1, H))
    with pytest.raises(ValueError, match=re.escape("h0 must have shape (N, H) = (2, 5) (N from x), got (3, 5)")):
        call_lstm(lstm_args)


def test_wrong_rank_of_x(lstm_args):
    lstm_args["x"] = lstm_args["x"][:, 0]
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, D\), got \(2, 4\)"):
        call_lstm(lstm_args)


def test_integer_dtype(lstm_args):
    lstm_args["x"] = lstm_args["x"].astype(np.int64)
    with pytest.raises(TypeError, match="x must have dtype float32 or float64, got int64"):
        call_lstm(lstm_args)


def test_mixed_dtypes(lstm_args):
    lstm_args["params"][1] = lstm_args["params"][1].astype(np.float32)
    with pytest.raises(TypeError, match="W_hh has dtype float32 but x has float64"):
        call_lstm(lstm_args)


def test_list_instead_of_array(lstm_args):
    lstm_args["x"] = lstm_args["x"].tolist()
    with pytest.raises(TypeError, match="x must be a numpy array, got list"):
        call_lstm(lstm_args)


@pytest.mark.parametrize("name", ["x", "h0", "c0"])
def test_nan_and_inf_are_reported(lstm_args, name):
    lstm_args[name] = lstm_args[name].copy()
    lstm_args[name][1, 1] = np.nan if name != "c0" else np.inf
    with pytest.raises(ValueError, match=rf"{name} contains NaN or inf \(first at index \(1, 1"):
        call_lstm(lstm_args)


def test_empty_sequence(lstm_args):
    lstm_args["x"] = np.zeros((N, 0, D))
    with pytest.raises(ValueError, match="at least one batch row and one time step"):
        call_lstm(lstm_args)


def test_upstream_gradient_shape(lstm_args):
    h, cache = call_lstm(lstm_args)
    with pytest.raises(ValueError, match=re.escape("dh must have shape (N, T, H) = (2, 3, 5), got (2, 5, 3)")):
        ref.lstm_backward(np.zeros((N, H, T)), cache)


def test_step_functions_check_too():
    rng = np.random.default_rng(1)
    W_ih, W_hh, b_ih, b_hh = random_params("rnn", D, H, rng)
    with pytest.raises(ValueError, match=re.escape("W_ih must have shape (H, D) = (5, 4), got (4, 5)")):
        ref.rnn_step_forward(np.zeros((N, D)), np.zeros((N, H)), W_ih.T, W_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match="nonlinearity must be one of 'tanh', 'relu', got 'sigmoid'"):
        ref.rnn_step_forward(np.zeros((N, D)), np.zeros((N, H)), W_ih, W_hh, b_ih, b_hh, "sigmoid")
    h, cache = ref.rnn_step_forward(np.zeros((N, D)), np.zeros((N, H)), W_ih, W_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=re.escape("dh_next must have shape (N, H) = (2, 5), got (5, 2)")):
        ref.rnn_step_backward(np.zeros((H, N)), cache)


def test_gru_shapes_say_3H():
    rng = np.random.default_rng(2)
    W_ih, W_hh, b_ih, b_hh = random_params("gru", D, H, rng)
    with pytest.raises(ValueError, match=re.escape("W_hh must have shape (3*H, H) = (15, 5)")):
        ref.gru_forward(np.zeros((N, T, D)), np.zeros((N, H)), W_ih, W_hh[:, :4], b_ih, b_hh)


def test_softmax_loss_inputs():
    scores = np.zeros((N, T, 6))
    with pytest.raises(TypeError, match="y must be an integer numpy array"):
        ref.temporal_softmax_loss(scores, np.zeros((N, T)), None)
    with pytest.raises(ValueError, match=r"y must hold class indices in \[0, V\) = \[0, 6\)"):
        ref.temporal_softmax_loss(scores, np.full((N, T), 6), None)
    with pytest.raises(ValueError, match=r"mask must have shape \(N, T\) = \(2, 3\)"):
        ref.temporal_softmax_loss(scores, np.zeros((N, T), int), np.ones((T, N), bool))


class TestLayers:
    def test_x_feature_size(self):
        lstm = rnnkit.LSTM(D, H)
        with pytest.raises(ValueError, match=re.escape("x must have shape (N, T, input_size) = (2, 3, 4), got (2, 3, 7)")):
            lstm.forward(np.zeros((N, T, 7)))

    def test_dtype_of_x(self):
        with pytest.raises(TypeError, match=r"x has dtype float32 but the layer uses float64"):
            rnnkit.GRU(D, H).forward(np.zeros((N, T, D), np.float32))

    def test_initial_state_shape(self):
        with pytest.raises(ValueError, match=re.escape("h0 must have shape (num_layers, N, H) = (2, 2, 5) (N from x), got (2, 5)")):
            rnnkit.RNN(D, H, num_layers=2).forward(np.zeros((N, T, D)), np.zeros((N, H)))

    def test_nan_in_x(self):
        x = np.zeros((N, T, D))
        x[0, 2, 3] = np.nan
        with pytest.raises(ValueError, match=re.escape("x contains NaN or inf (first at index (0, 2, 3))")):
            rnnkit.RNN(D, H).forward(x)

    def test_backward_before_forward(self):
        with pytest.raises(RuntimeError, match="call forward"):
            rnnkit.RNN(D, H).backward(np.zeros((N, T, H)))

    def test_bad_constructor_arguments(self):
        with pytest.raises(ValueError, match="hidden_size must be a positive integer, got 0"):
            rnnkit.LSTM(D, 0)
        with pytest.raises(ValueError, match="backend must be one of 'numpy', 'numba', 'cuda', got 'gpu'"):
            rnnkit.LSTM(D, H, backend="gpu")
        with pytest.raises(TypeError, match="dtype must be float32 or float64, got float16"):
            rnnkit.LSTM(D, H, dtype=np.float16)

    def test_load_state_dict_mismatch(self):
        lstm = rnnkit.LSTM(D, H)
        state = lstm.state_dict()
        del state["bias_hh_l0"]
        with pytest.raises(KeyError, match=r"missing \['bias_hh_l0'\]"):
            lstm.load_state_dict(state)
        state = lstm.state_dict()
        state["weight_hh_l0"] = state["weight_hh_l0"].T
        with pytest.raises(ValueError, match=re.escape("weight_hh_l0 must have shape (20, 5), got (5, 20)")):
            lstm.load_state_dict(state)
