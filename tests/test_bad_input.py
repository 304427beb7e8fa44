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


class TestSilentlyWrongBefore:
    """Input that used to give a wrong answer without an error (issue 13, item 8)."""

    def test_integer_gradients_in_clip_grad_norm(self):
        # used to return zeros: the scale 1/50 was cast to the int dtype
        with pytest.raises(TypeError, match=re.escape("grads['a'] must have a float dtype (float32 or float64), got int64")):
            ref.clip_grad_norm({"a": np.array([30, 40])}, 1.0)
        with pytest.raises(TypeError, match=re.escape("grads[1] must have a float dtype")):
            ref.clip_grad_norm([np.ones(2), np.array([3, 4], dtype=np.int32)], 1.0)
        with pytest.raises(TypeError, match=re.escape("grads[0] must be a numpy array, got list")):
            ref.clip_grad_norm([[3.0, 4.0]], 1.0)

    @pytest.mark.parametrize("max_norm,error,message", [
        (float("nan"), ValueError, "max_norm must be positive, got nan"),  # used to skip clipping
        (-1.0, ValueError, "max_norm must be positive, got -1.0"),
        ("5", TypeError, "max_norm must be a number, got '5'"),
        (None, TypeError, "max_norm must be a number, got None"),
    ])
    def test_bad_max_norm(self, max_norm, error, message):
        with pytest.raises(error, match=re.escape(message)):
            ref.clip_grad_norm({"a": np.array([3.0, 4.0])}, max_norm)

    def test_infinite_max_norm_means_no_clipping_as_in_torch(self):
        clipped, norm = ref.clip_grad_norm({"a": np.array([3.0, 4.0])}, float("inf"))
        assert norm == 5.0 and clipped["a"].tolist() == [3.0, 4.0]

    def test_integer_x_in_eval_numerical_gradient(self):
        # used to return [49999, 150000, 249999] for d(sum x^2)/dx at [1, 2, 3]
        with pytest.raises(TypeError, match="x must have a float dtype .* got int64"):
            ref.eval_numerical_gradient(lambda v: float(np.sum(v**2)), np.array([1, 2, 3]))
        with pytest.raises(TypeError, match="x must be a numpy array, got list"):
            ref.eval_numerical_gradient(lambda v: 0.0, [1.0, 2.0])
        with pytest.raises(ValueError, match="h must be a positive number, got 0"):
            ref.eval_numerical_gradient(lambda v: 0.0, np.ones(2), h=0)

    @pytest.mark.parametrize("mask,got", [
        (np.array([[0.5, 2.0, 1.0]] * N), "float64"),     # used to weight the targets
        (np.array([[np.nan, 1.0, 1.0]] * N), "float64"),  # used to give loss NaN
        (np.ones((N, T), dtype=np.int64), "int64"),
        ([[True] * T] * N, "list"),
    ], ids=["weights", "nan", "int", "list"])
    def test_non_boolean_mask(self, mask, got):
        with pytest.raises(TypeError, match=re.escape(f"mask must be a boolean numpy array of shape (N, T) = (2, 3) (True where the target counts), got {got}")):
            ref.temporal_softmax_loss(np.zeros((N, T, 4)), np.zeros((N, T), int), mask)

    def test_masked_loss_through_softmax_cross_entropy_too(self):
        with pytest.raises(TypeError, match="mask must be a boolean numpy array"):
            rnnkit.losses.softmax_cross_entropy(np.zeros((N, T, 4)), np.zeros((N, T), int),
                                                np.ones((N, T)))

    def test_reset_after_must_be_a_bool(self):
        # "no" is truthy: it used to run the reset-after GRU silently
        rng = np.random.default_rng(3)
        params = random_params("gru", D, H, rng)
        x, h0 = rng.standard_normal((N, T, D)), np.zeros((N, H))
        message = "reset_after must be True or False, got 'no'"
        with pytest.raises(TypeError, match=message):
            ref.gru_forward(x, h0, *params, reset_after="no")
        with pytest.raises(TypeError, match=message):
            ref.gru_step_forward(x[:, 0], h0, *params, reset_after="no")
        from rnnkit.cpu import sequence as numba_sequence
        from rnnkit.reference import sequence as numpy_sequence
        for backend in (numpy_sequence, numba_sequence):
            with pytest.raises(TypeError, match=message):
                backend.sequence_forward("gru", x, h0, None, *params, reset_after="no")
        with pytest.raises(TypeError, match=message):
            rnnkit.GRU(D, H, reset_after="no")
