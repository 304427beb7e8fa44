"""The numba backend's sequence interface, used by the layers (``backend="numba"``).

Same functions, arguments, checks and error messages as rnnkit/reference/sequence.py (see there
for the protocol); only the kernels differ: the dispatch is the reference's, run on rnnkit.cpu's
functions.
"""
import rnnkit.cpu as kernels
from rnnkit.reference.sequence import backward_with, forward_with


def sequence_forward(cell, x, h0, c0, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh",
                     reset_after=True):
    return forward_with(kernels, cell, x, h0, c0, W_ih, W_hh, b_ih, b_hh, nonlinearity,
                        reset_after)


def sequence_backward(cell, dh, dh_n, dc_n, cache):
    return backward_with(kernels, cell, dh, dh_n, dc_n, cache)
