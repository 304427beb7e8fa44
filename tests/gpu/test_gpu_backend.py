"""The CUDA backend on a real GPU, against the float64 reference (skipped without a GPU).

Larger shapes than the simulator can afford: several 16 x 16 matmul tiles, partial tiles, more
threads than one block, and W_hh too big for one block's shared memory, so that the persistent
forward runs on a cooperative grid of several blocks.
"""
import numpy as np
import pytest

from rnnkit.reference import sequence as reference
from tests.helpers import assert_close, random_params

pytestmark = pytest.mark.gpu

TOL = {np.float64: 1e-10, np.float32: 1e-4}
VARIANTS = [("rnn", {"nonlinearity": "tanh"}), ("rnn", {"nonlinearity": "relu"}), ("lstm", {}),
            ("gru", {"reset_after": True}), ("gru", {"reset_after": False})]
IDS = ["rnn-tanh", "rnn-relu", "lstm", "gru-after", "gru-before"]


@pytest.fixture
def cuda_sequence(monkeypatch):
    """rnnkit.cuda.sequence, imported only once a GPU is known to be there; buffers poisoned."""
    from rnnkit.cuda import memory, sequence
    assert sequence.DEVICE == "gpu"
    monkeypatch.setattr(memory, "POISON", True)
    return sequence


def compare(cuda_sequence, cell, kwargs, dtype, N, T, D, H, seed=0):
    rng = np.random.default_rng(seed)
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    c0 = rng.standard_normal((N, H)) if cell == "lstm" else None
    params = random_params(cell, D, H, rng, scale=1 / np.sqrt(H))
    dh, dh_n = rng.standard_normal((N, T, H)), rng.standard_normal((N, H))
    dc_n = rng.standard_normal((N, H)) if cell == "lstm" else None
    expected = reference.sequence_forward(cell, x, h0, c0, *params, **kwargs)
    expected_grads = reference.sequence_backward(cell, dh, dh_n, dc_n, expected[3])
    cast = [None if a is None else a.astype(dtype) for a in (x, h0, c0, *params, dh, dh_n, dc_n)]
    got = cuda_sequence.sequence_forward(cell, *cast[:7], **kwargs)
    got_grads = cuda_sequence.sequence_backward(cell, *cast[7:], got[3])
    names = ("h", "h_n", "c_n", "dx", "dh0", "dc0", "dW_ih", "dW_hh", "db_ih", "db_hh")
    for name, a, b in zip(names, got[:3] + got_grads, expected[:3] + expected_grads):
        if b is not None:
            assert_close(a, b, TOL[dtype], name)
    return got[3][1]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("strategy", ["stepwise", "auto"])
@pytest.mark.parametrize("cell, kwargs", VARIANTS, ids=IDS)
@pytest.mark.parametrize("N, T, D, H", [(1, 7, 5, 37), (19, 12, 33, 100)])
def test_gpu_backend_matches_reference(cuda_sequence, monkeypatch, cell, kwargs, strategy, dtype,
                                       N, T, D, H):
    monkeypatch.setattr(cuda_sequence, "STRATEGY", strategy)
    compare(cuda_sequence, cell, kwargs, dtype, N, T, D, H)


def test_persistent_grid_runs_several_blocks(cuda_sequence, monkeypatch):
    """LSTM, H = 100, float64: W_hh (320 KB) is split over several blocks' shared memory."""
    from numba import cuda

    from rnnkit.cuda import persistent
    if not getattr(cuda.get_current_device(), "COOPERATIVE_LAUNCH", 0):
        pytest.skip("this GPU does not support cooperative launch")
    layout = persistent.plan("lstm", True, 8, 100, 8)
    assert layout[0] == "grid" and layout[1] > 1
    monkeypatch.setattr(cuda_sequence, "STRATEGY", "persistent")
    cache = compare(cuda_sequence, "lstm", {}, np.float64, 8, 9, 20, 100)
    assert cache.strategy == "persistent"


def test_layer_on_gpu_equals_numpy():
    import rnnkit
    rng = np.random.default_rng(3)
    x, d_out = rng.standard_normal((4, 6, 10)), rng.standard_normal((4, 6, 24))
    results = []
    for backend in ("cuda", "numpy"):
        lstm = rnnkit.LSTM(10, 24, num_layers=2, backend=backend, seed=1)
        results.append((lstm.forward(x), lstm.backward(d_out)))
    (cuda_fwd, cuda_bwd), (np_fwd, np_bwd) = results
    for a, b in zip(cuda_fwd + cuda_bwd[:3], np_fwd + np_bwd[:3]):
        assert_close(a, b, 1e-10)
    for name in np_bwd[3]:
        assert_close(cuda_bwd[3][name], np_bwd[3][name], 1e-10, name)
