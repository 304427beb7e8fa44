"""Numba @njit CPU kernels: the same functions as rnnkit.reference, compiled and fused.

``rnnkit.cpu.lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh)`` and friends take the reference's
arguments and return what it returns (the caches are the kernels' own: pass them to the
matching ``*_backward`` of this module). Layers use them through ``backend="numba"``.

Kernels are compiled on first use and cached on disk (``cache=True``), so a second process
starts warm. float32 uses a fast rational tanh (error ≈ 3e-7, see rnnkit/cpu/_math.py);
float64 matches the reference to ~1e-15.
"""
from rnnkit.cpu.gru import gru_backward, gru_forward
from rnnkit.cpu.lstm import lstm_backward, lstm_final_cell, lstm_forward
from rnnkit.cpu.rnn import rnn_backward, rnn_forward

__all__ = ["rnn_forward", "rnn_backward", "lstm_forward", "lstm_backward", "lstm_final_cell",
           "gru_forward", "gru_backward"]
