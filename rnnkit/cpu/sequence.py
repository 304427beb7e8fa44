"""The numba backend's sequence interface, used by the layers (``backend="numba"``).

Same functions, arguments, checks and error messages as rnnkit/reference/sequence.py (see there
for the protocol); only the kernels differ.
"""
from rnnkit._checks import check_choice
from rnnkit.cpu.gru import gru_backward, gru_forward
from rnnkit.cpu.lstm import lstm_backward, lstm_final_cell, lstm_forward
from rnnkit.cpu.rnn import rnn_backward, rnn_forward
from rnnkit.reference.sequence import CELLS, add_final_state_grad


def sequence_forward(cell, x, h0, c0, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh",
                     reset_after=True):
    check_choice("cell", cell, CELLS)
    if cell == "rnn":
        h, cache = rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh, nonlinearity)
        c_n = None
    elif cell == "lstm":
        h, cache = lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh)
        c_n = lstm_final_cell(cache)
    else:
        h, cache = gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh, reset_after)
        c_n = None
    return h, h[:, -1].copy(), c_n, (cell, cache)


def sequence_backward(cell, dh, dh_n, dc_n, cache):
    cached_cell, cache = cache
    if cell != cached_cell:
        raise ValueError(f"cache comes from a {cached_cell!r} forward, not {cell!r}")
    dh = add_final_state_grad(dh, dh_n)
    if cell == "lstm":
        return lstm_backward(dh, cache, dc_n)
    backward = rnn_backward if cell == "rnn" else gru_backward
    dx, dh0, dW_ih, dW_hh, db_ih, db_hh = backward(dh, cache)
    return dx, dh0, None, dW_ih, dW_hh, db_ih, db_hh
