"""The persistent kernels (simulator).

The one-block kernels (forward and BPTT) are covered against the reference by test_sequence.py.
Here: the cooperative-grid kernels, which the simulator can run only as far as they need no
barrier between blocks (it runs the blocks of a grid one after the other): one block for T = 3
steps; and 3 blocks (unit slices of 2, 2 and 1 of H = 5) for the forward with T = 1, and for
the BPTT's hidden-state product on its own.
"""
from types import SimpleNamespace

import numpy as np
import pytest
from numba import cuda

from rnnkit.cuda import persistent, sequence as cuda_sequence
from rnnkit.cuda.driver import DeviceCache
from rnnkit.reference import sequence as reference
from tests.helpers import assert_close, random_params

pytestmark = pytest.mark.cudasim

CELLS = [("rnn", {"nonlinearity": "relu"}), ("lstm", {}), ("gru", {})]


def run_with_layout(cell, kwargs, layout, N, T, D, H, monkeypatch, persistent_backward=True):
    """sequence_forward (and backward) with the persistent kernels forced onto ``layout``."""
    monkeypatch.setattr(cuda_sequence, "STRATEGY", "persistent")
    monkeypatch.setattr("rnnkit.cuda.driver.plan", lambda *args: layout)
    rng = np.random.default_rng(7)
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    c0 = rng.standard_normal((N, H)) if cell == "lstm" else None
    params = random_params(cell, D, H, rng)
    got = cuda_sequence.sequence_forward(cell, x, h0, c0, *params, **kwargs)
    expected = reference.sequence_forward(cell, x, h0, c0, *params, **kwargs)
    assert isinstance(got[3][1], DeviceCache) and got[3][1].strategy == "persistent"
    assert_close(got[0], expected[0], 1e-10, "h")
    if cell == "lstm":
        assert_close(got[2], expected[2], 1e-10, "c_n")
    if not persistent_backward:
        got[3][1].layout = None  # BPTT step by step, from the persistent forward's activations
    rng_dh = np.random.default_rng(8)
    dh = rng_dh.standard_normal((N, T, H))
    grads = cuda_sequence.sequence_backward(cell, dh, None, None, got[3])
    expected_grads = reference.sequence_backward(cell, dh, None, None, expected[3])
    for name, a, b in zip(("dx", "dh0", "dc0", "dW_ih", "dW_hh", "db_ih", "db_hh"), grads,
                          expected_grads):
        if b is not None:
            assert_close(a, b, 1e-10, name)


@pytest.mark.parametrize("cell, kwargs", CELLS, ids=[c for c, _ in CELLS])
def test_grid_kernel_one_block(cell, kwargs, monkeypatch):
    run_with_layout(cell, kwargs, ("grid", 1, 5), 2, 3, 3, 5, monkeypatch)


@pytest.mark.parametrize("cell, kwargs", CELLS, ids=[c for c, _ in CELLS])
def test_grid_kernel_unit_slices(cell, kwargs, monkeypatch):
    """Three blocks own units {0, 1}, {2, 3}, {4}; T = 1 needs no barrier between blocks."""
    monkeypatch.setattr(persistent, "max_cooperative_blocks", lambda *args: 3)
    run_with_layout(cell, kwargs, ("grid", 3, 2), 2, 1, 3, 5, monkeypatch,
                    persistent_backward=False)


@cuda.jit
def hidden_product_kernel(t, units_per_block, W_hh, dGh, dh_rec):
    """Test harness: the grid BPTT kernel's phase 2 alone (shared columns, then the product)."""
    W_s = cuda.shared.array(0, dtype=W_hh.dtype)
    u0 = cuda.blockIdx.x * units_per_block
    persistent.load_weight_columns(W_hh, W_s, u0, units_per_block)
    cuda.syncthreads()
    persistent.backward_hidden_slice(t, u0, units_per_block, W_s, dGh, dh_rec)


def test_bptt_hidden_product_over_unit_slices():
    """dh_rec += dG_t W_hh with W_hh's columns split over 3 blocks ({0, 1}, {2, 3}, {4})."""
    rng = np.random.default_rng(4)
    N, H, GH = 2, 5, 12
    W_hh, dGh, dh_rec = (rng.standard_normal(s) for s in ((GH, H), (3, N, GH), (N, H)))
    out = cuda.to_device(dh_rec)
    hidden_product_kernel[3, 4, 0, GH * 2 * 8](1, 2, cuda.to_device(W_hh), cuda.to_device(dGh),
                                              out)
    assert_close(out.copy_to_host(), dh_rec + dGh[1] @ W_hh, 1e-12, "dh_prev")


def test_grid_too_large_falls_back_to_stepwise(monkeypatch):
    """When the cooperative grid does not fit on the device, the driver runs step by step."""
    monkeypatch.setattr(cuda_sequence, "STRATEGY", "auto")
    monkeypatch.setattr("rnnkit.cuda.driver.plan", lambda *args: ("grid", 3, 2))
    monkeypatch.setattr(persistent, "max_cooperative_blocks", lambda *args: 2)
    rng = np.random.default_rng(9)
    x, h0 = rng.standard_normal((1, 2, 2)), rng.standard_normal((1, 5))
    params = random_params("rnn", 2, 5, rng)
    h, _, _, cache = cuda_sequence.sequence_forward("rnn", x, h0, None, *params)
    assert cache[1].strategy == "stepwise"
    assert_close(h, reference.sequence_forward("rnn", x, h0, None, *params)[0], 1e-10, "h")


def test_plan():
    # all of W_hh in one block's 48 KiB of shared memory: 4·H·H·8 bytes <= 48 KiB for H <= 39
    assert persistent.plan("lstm", True, 2, 39, 8) == ("block", 1, 39)
    assert persistent.plan("rnn", True, 3, 78, 8) == ("block", 1, 78)
    # the GRU "reset before" candidate needs a barrier inside the step: never persistent
    assert persistent.plan("gru", False, 1, 5, 8) is None
    # bigger W_hh needs a cooperative grid, which the simulator cannot run
    assert persistent.plan("lstm", True, 1, 40, 8) is None
    assert persistent.shared_bytes("gru", 10, 2, 4) == 3 * 2 * 10 * 4



@pytest.mark.parametrize("cooperative, cell, N, H, itemsize, expected", [
    (1, "lstm", 2, 20, 8, ("block", 1, 20)),  # fits one block, N·H = 40 <= 256 threads
    (1, "lstm", 64, 128, 4, ("grid", 32, 4)),  # ~256 (n, j) pairs per block: U = 256 / 64
    (1, "lstm", 1, 1024, 4, ("grid", 342, 3)),  # shared memory holds 3 units' 4 rows of 1024
    (1, "rnn", 64, 32, 8, ("grid", 8, 4)),  # W_hh fits one block, but 2048 units need more
    (0, "rnn", 64, 32, 8, ("block", 1, 32)),  # no cooperative launch: one block if W_hh fits
    (0, "lstm", 1, 1024, 4, None),  # ... else not persistent
])
def test_plan_on_a_gpu(monkeypatch, cooperative, cell, N, H, itemsize, expected):
    """plan()'s GPU branches, with the GPU's answers faked (the simulator has no such device)."""
    monkeypatch.setattr(persistent, "simulator_enabled", lambda: False)
    monkeypatch.setattr(persistent.cuda, "get_current_device",
                        lambda: SimpleNamespace(COOPERATIVE_LAUNCH=cooperative))
    assert persistent.plan(cell, True, N, H, itemsize) == expected
