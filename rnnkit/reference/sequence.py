"""The numpy backend's sequence interface, used by the layers (``backend="numpy"``).

Every backend module (rnnkit.reference.sequence, rnnkit.cpu.sequence, rnnkit.cuda.sequence)
provides the same two functions, so that a layer can switch backends without changing results:

    sequence_forward(cell, x, h0, c0, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh",
                     reset_after=True) -> (h, h_n, c_n, cache)
        cell: "rnn" | "lstm" | "gru"; x (N, T, D); h0 (N, H); c0 (N, H) for the LSTM, else None.
        h (N, T, H) every hidden state; h_n = h[:, -1]; c_n (N, H) for the LSTM, else None.

    sequence_backward(cell, dh, dh_n, dc_n, cache) -> (dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh)
        dh (N, T, H); dh_n, dc_n (N, H) or None (upstream gradients of the final states);
        dc0 is None unless cell == "lstm".
"""
import sys

from rnnkit._checks import check_choice, check_flag, check_upstream
from rnnkit.reference.gru import gru_backward, gru_forward
from rnnkit.reference.lstm import lstm_backward, lstm_final_cell, lstm_forward
from rnnkit.reference.rnn import rnn_backward, rnn_forward

CELLS = ("rnn", "lstm", "gru")


def forward_with(kernels, cell, x, h0, c0, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh",
                 reset_after=True):
    """``sequence_forward`` on top of a module's exercise-API functions (``kernels.rnn_forward``,
    ``kernels.lstm_forward``, ``kernels.lstm_final_cell``, ``kernels.gru_forward``)."""
    check_choice("cell", cell, CELLS)
    if cell == "gru":
        # every backend's gru_forward branches on reset_after: "no" would count as True
        check_flag("reset_after", reset_after)
    if cell == "rnn":
        h, cache = kernels.rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh, nonlinearity)
        c_n = None
    elif cell == "lstm":
        h, cache = kernels.lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh)
        c_n = kernels.lstm_final_cell(cache)
    else:
        h, cache = kernels.gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh, reset_after)
        c_n = None
    return h, h[:, -1].copy(), c_n, (cell, cache)


def add_final_state_grad(dh, dh_n):
    """h_n is h[:, -1], so its upstream gradient adds to the last time step's."""
    if dh_n is None:
        return dh
    N, T, H = dh.shape
    check_upstream("dh_n", dh_n, (N, H), "(N, H)", dh.dtype)
    dh = dh.copy()
    dh[:, -1] += dh_n
    return dh


def backward_with(kernels, cell, dh, dh_n, dc_n, cache):
    """``sequence_backward`` on top of a module's ``*_backward`` functions."""
    cached_cell, cache = cache
    if cell != cached_cell:
        raise ValueError(f"cache comes from a {cached_cell!r} forward, not {cell!r}")
    dh = add_final_state_grad(dh, dh_n)
    if cell == "lstm":
        return kernels.lstm_backward(dh, cache, dc_n)
    backward = kernels.rnn_backward if cell == "rnn" else kernels.gru_backward
    dx, dh0, dW_ih, dW_hh, db_ih, db_hh = backward(dh, cache)
    return dx, dh0, None, dW_ih, dW_hh, db_ih, db_hh


_THIS_MODULE = sys.modules[__name__]  # holds the reference functions imported above


def sequence_forward(cell, x, h0, c0, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh",
                     reset_after=True):
    return forward_with(_THIS_MODULE, cell, x, h0, c0, W_ih, W_hh, b_ih, b_hh, nonlinearity,
                        reset_after)


def sequence_backward(cell, dh, dh_n, dc_n, cache):
    return backward_with(_THIS_MODULE, cell, dh, dh_n, dc_n, cache)
