"""The CUDA backend's sequence interface, used by the layers (``backend="cuda"``).

Same functions, arguments, checks and results as rnnkit/reference/sequence.py (read its
docstring); the work is done by the device driver (driver.py). Host arrays come in batch-first
(N, T, ·); they are copied to the device once, time-major, and the results copied back once.

Importing this module fails with a RuntimeError that says how to get a GPU or the simulator
when neither is available, so ``LSTM(..., backend="cuda")`` fails early and clearly.
"""
from rnnkit.cuda.device import require_device

DEVICE = require_device()  # "gpu" or "simulator"; raises with instructions otherwise

import numpy as np  # noqa: E402  (after the device check, on purpose)

from rnnkit._checks import check_cell_args, check_choice, check_upstream  # noqa: E402
from rnnkit.cuda import driver, memory  # noqa: E402
from rnnkit.reference.rnn import NONLINEARITIES  # noqa: E402
from rnnkit.reference.sequence import CELLS, add_final_state_grad  # noqa: E402

#: "auto" | "stepwise" | "persistent": how the forward pass runs (see driver.forward)
STRATEGY = "auto"


def _time_major(a):
    """(N, T, ·) host array -> (T, N, ·) device array."""
    return memory.to_device(np.ascontiguousarray(a.transpose(1, 0, 2)))


def _batch_first(a):
    """(T, N, ·) device array -> (N, T, ·) host array."""
    return np.ascontiguousarray(a.copy_to_host().transpose(1, 0, 2))


def sequence_forward(cell, x, h0, c0, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh",
                     reset_after=True):
    check_choice("cell", cell, CELLS)
    if cell == "rnn":
        check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
    if cell == "lstm":
        if c0 is None and isinstance(h0, np.ndarray):
            c0 = np.zeros_like(h0)  # as in PyTorch
        check_cell_args(cell, x, h0, W_ih, W_hh, b_ih, b_hh, c=c0, sequence=True, h_name="h0",
                        c_name="c0")
    else:
        check_cell_args(cell, x, h0, W_ih, W_hh, b_ih, b_hh, sequence=True, h_name="h0")
    to = memory.to_device
    cache = driver.forward(cell, _time_major(x), to(h0), None if c0 is None else to(c0),
                           to(W_ih), to(W_hh), to(b_ih), to(b_hh),
                           relu=(cell == "rnn" and nonlinearity == "relu"),
                           reset_after=bool(reset_after), strategy=STRATEGY)
    h = _batch_first(cache.H_all[1:])
    c_n = cache.C_all[x.shape[1]].copy_to_host() if cell == "lstm" else None
    return h, h[:, -1].copy(), c_n, (cell, cache)


def sequence_backward(cell, dh, dh_n, dc_n, cache):
    cached_cell, cache = cache
    if cell != cached_cell:
        raise ValueError(f"cache comes from a {cached_cell!r} forward, not {cell!r}")
    dh = add_final_state_grad(dh, dh_n)
    T, N, D = cache.X.shape
    H = cache.W_hh.shape[1]
    dtype = cache.X.dtype
    check_upstream("dh", dh, (N, T, H), "(N, T, H)", dtype)
    d_dc_n = None
    if cell == "lstm" and dc_n is not None:
        check_upstream("dc_n", dc_n, (N, H), "(N, H)", dtype)
        d_dc_n = memory.to_device(dc_n)  # a copy: the driver overwrites it
    dX, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh = driver.backward(cache, _time_major(dh), d_dc_n)
    return (_batch_first(dX), dh0.copy_to_host(), None if dc0 is None else dc0.copy_to_host(),
            dW_ih.copy_to_host(), dW_hh.copy_to_host(), db_ih.copy_to_host(),
            db_hh.copy_to_host())
