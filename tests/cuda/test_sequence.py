"""The whole CUDA sequence backend (forward + full BPTT) against the numpy reference (simulator).

Both forward strategies (step by step; persistent, one launch for all steps) and every cell
variant, float64 to 1e-10 and float32 to 1e-4 relative to the float64 reference. Every device
buffer starts as NaN (conftest.py), so an unwritten element fails. Shapes are tiny because the
simulator runs one Python thread per CUDA thread; none is a multiple of the simulator's 4 x 4
matmul tile, and D != H.
"""
import numpy as np
import pytest

from rnnkit.cuda import driver, sequence as cuda_sequence
from rnnkit.reference import sequence as reference
from tests.helpers import assert_close, random_params

pytestmark = pytest.mark.cudasim

TOL = {np.float64: 1e-10, np.float32: 1e-4}
VARIANTS = [  # (cell, keyword arguments)
    ("rnn", {"nonlinearity": "tanh"}),
    ("rnn", {"nonlinearity": "relu"}),
    ("lstm", {}),
    ("gru", {"reset_after": True}),
    ("gru", {"reset_after": False}),
]
IDS = ["rnn-tanh", "rnn-relu", "lstm", "gru-after", "gru-before"]
FORWARD_NAMES = ("h", "h_n", "c_n")
BACKWARD_NAMES = ("dx", "dh0", "dc0", "dW_ih", "dW_hh", "db_ih", "db_hh")


def problem(cell, N, T, D, H, seed):
    """float64 inputs, upstream gradients (dh, dh_n, dc_n) and parameters."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H))
    c0 = rng.standard_normal((N, H)) if cell == "lstm" else None
    dh, dh_n = rng.standard_normal((N, T, H)), rng.standard_normal((N, H))
    dc_n = rng.standard_normal((N, H)) if cell == "lstm" else None
    return (x, h0, c0, random_params(cell, D, H, rng)), (dh, dh_n, dc_n)


def cast(arrays, dtype):
    return [None if a is None else a.astype(dtype) for a in arrays]


def check_against_reference(cell, kwargs, dtype, shape, strategy, monkeypatch, seed=0):
    monkeypatch.setattr(cuda_sequence, "STRATEGY", strategy)
    (x, h0, c0, params), upstream = problem(cell, *shape, seed)
    expected = reference.sequence_forward(cell, x, h0, c0, *params, **kwargs)
    expected_grads = reference.sequence_backward(cell, *upstream, expected[3])

    inputs = cast([x, h0, c0, *params], dtype)
    got = cuda_sequence.sequence_forward(cell, *inputs, **kwargs)
    got_grads = cuda_sequence.sequence_backward(cell, *cast(upstream, dtype), got[3])

    for name, a, b in zip(FORWARD_NAMES + BACKWARD_NAMES, got[:3] + got_grads,
                          expected[:3] + expected_grads):
        if b is None:
            assert a is None, f"{name} should be None for {cell}"
            continue
        assert a.dtype == dtype, f"{name} has dtype {a.dtype}, expected {dtype}"
        assert_close(a, b, TOL[dtype], name)
    return got[3][1]  # the DeviceCache


@pytest.mark.parametrize("cell, kwargs", VARIANTS, ids=IDS)
def test_stepwise_float64(cell, kwargs, monkeypatch):
    cache = check_against_reference(cell, kwargs, np.float64, (2, 3, 3, 5), "stepwise",
                                    monkeypatch)
    assert cache.strategy == "stepwise"


@pytest.mark.parametrize("cell, kwargs", VARIANTS[:4], ids=IDS[:4])
def test_persistent_float64(cell, kwargs, monkeypatch):
    """Forward and BPTT each in one launch (the step-by-step BPTT must not run)."""
    def not_expected(*args):
        raise AssertionError("BPTT ran step by step after a persistent forward")
    monkeypatch.setattr(driver, "_backward_stepwise", not_expected)
    cache = check_against_reference(cell, kwargs, np.float64, (2, 3, 3, 5), "persistent",
                                    monkeypatch, seed=1)
    assert cache.strategy == "persistent"


@pytest.mark.parametrize("cell, kwargs", VARIANTS, ids=IDS)
@pytest.mark.parametrize("strategy", ["stepwise", "auto"])
def test_float32(cell, kwargs, strategy, monkeypatch):
    """float32 kernels against the float64 reference ("auto": persistent where it applies)."""
    check_against_reference(cell, kwargs, np.float32, (3, 2, 4, 3), strategy, monkeypatch, seed=2)


@pytest.mark.parametrize("cell, kwargs", VARIANTS, ids=IDS)
@pytest.mark.parametrize("strategy", ["stepwise", "auto"])
def test_one_row_one_step(cell, kwargs, strategy, monkeypatch):
    """N = 1, T = 1, D = 2 != H = 3: the smallest problem."""
    check_against_reference(cell, kwargs, np.float64, (1, 1, 2, 3), strategy, monkeypatch, seed=3)


def test_persistent_refuses_reset_before(monkeypatch):
    monkeypatch.setattr(cuda_sequence, "STRATEGY", "persistent")
    (x, h0, _, params), _ = problem("gru", 1, 1, 2, 3, 0)
    with pytest.raises(ValueError, match="persistent kernel does not handle"):
        cuda_sequence.sequence_forward("gru", x, h0, None, *params, reset_after=False)


def test_driver_rejects_unknown_strategy():
    with pytest.raises(ValueError, match="strategy must be one of"):
        driver.forward("rnn", None, None, None, None, None, None, None, strategy="fast")


def test_gpu_tile_size_end_to_end(monkeypatch):
    """The driver with the 16 x 16 matmul tile a GPU uses (the simulator normally uses 4 x 4)."""
    monkeypatch.setattr("rnnkit.cuda.matmul.default_tile", lambda: 16)
    check_against_reference("gru", {"reset_after": True}, np.float64, (1, 2, 2, 3), "stepwise",
                            monkeypatch, seed=4)
