"""Every Numba kernel against the float64 numpy reference: forward and every gradient.

float64 must agree to 1e-10 and float32 to 1e-4, relative to max|reference|, over
hypothesis-drawn shapes (N = 1, T = 1, D ≠ H, H odd or prime included), with every output
buffer poisoned with NaN first (tests/cpu/conftest.py), serial and parallel kernels both.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cpu._cases import TOLERANCE, VARIANT_IDS, VARIANTS, compare, random_case

shapes = st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(1, 6), st.integers(1, 9))

# a few shapes every run tries, whatever hypothesis draws: N = 1, T = 1, D ≠ H, odd H, H = 1
EDGE_SHAPES = [(1, 1, 3, 5), (2, 3, 7, 1), (3, 4, 2, 9)]


def check(cell, kwargs, shape, seed, dtype):
    args, upstream = random_case(cell, *shape, seed=seed)
    errors = compare(cell, kwargs, args, upstream, dtype)
    worst = max(errors, key=errors.get)
    assert errors[worst] <= TOLERANCE[dtype], (
        f"{cell} {kwargs} {np.dtype(dtype)} shape (N, T, D, H) = {shape}: {worst} relative error "
        f"{errors[worst]:.2e} > {TOLERANCE[dtype]:.0e}; all: {errors}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("cell,kwargs", VARIANTS, ids=VARIANT_IDS)
def test_kernel_matches_reference(cell, kwargs, dtype, threading):
    for i, shape in enumerate(EDGE_SHAPES):
        check(cell, kwargs, shape, seed=i, dtype=dtype)

    @settings(max_examples=5, deadline=None)
    @given(shape=shapes, seed=st.integers(0, 2**16))
    def drawn(shape, seed):
        check(cell, kwargs, shape, seed, dtype)

    drawn()


@pytest.mark.parametrize("cell,kwargs", VARIANTS, ids=VARIANT_IDS)
def test_parallel_blocks_uneven(cell, kwargs, monkeypatch, threading):
    """H not divisible by the number of blocks: 3 blocks over H = 7 leave a padded last block."""
    if threading == "parallel":
        import rnnkit.cpu._blocks as blocks
        monkeypatch.setattr(blocks.numba, "get_num_threads", lambda: 3)
    args, upstream = random_case(cell, 2, 4, 5, 7, seed=11)
    errors = compare(cell, kwargs, args, upstream, np.float64)
    assert max(errors.values()) <= 1e-10, errors


def test_saturated_gates_stay_finite():
    """Very large pre-activations (|a| ~ 1e3) saturate σ and tanh without overflow or NaN.

    The true gradients are then ~e^-1000; float32 rounds them to 0, so errors are measured
    against max(max|reference|, 1).
    """
    for cell, kwargs in VARIANTS:
        args, upstream = random_case(cell, 2, 3, 4, 5, seed=5)
        args["x"] = args["x"] * 1e3
        for dtype in (np.float64, np.float32):
            errors = compare(cell, kwargs, args, upstream, dtype, floor=1.0)
            assert max(errors.values()) <= TOLERANCE[dtype], (cell, kwargs, dtype, errors)


def test_poisoning_catches_an_unwritten_element(monkeypatch):
    """The NaN poison works: a kernel that skips one element of h fails the comparison."""
    import rnnkit.cpu._buffers as buffers
    import rnnkit.cpu.lstm as lstm

    assert np.all(np.isnan(buffers.empty((2, 3), np.float32)))
    real_kernel = lstm.lstm_forward_serial

    def forgetful_kernel(xp, W_blocks, hs, cs, ifgo, a):
        saved = hs[1, 0, 0]
        real_kernel(xp, W_blocks, hs, cs, ifgo, a)
        hs[1, 0, 0] = saved  # as if the kernel had never written h_1[0, 0]: still NaN

    monkeypatch.setattr(lstm, "lstm_forward_serial", forgetful_kernel)
    monkeypatch.setattr(lstm, "threads_for", lambda *_: 1)
    args, upstream = random_case("lstm", 2, 3, 4, 5, seed=0)
    with pytest.raises(AssertionError, match="NaN"):
        compare("lstm", {}, args, upstream, np.float64)


def test_exp64_matches_numpy_exp_over_its_range():
    """The vectorisable float64 e^x of the gates (rnnkit/cpu/_math.py): relative error ≤ 2e-15
    on [-708, 709], clamped (never inf or 0) beyond, so σ and tanh saturate without overflow."""
    from numba import njit

    from rnnkit.cpu._math import exp64

    @njit
    def apply(xs):
        out = np.empty_like(xs)
        for i in range(xs.size):
            out[i] = exp64(xs[i])
        return out

    rng = np.random.default_rng(0)
    xs = np.concatenate([np.linspace(-708, 709, 100_001), rng.uniform(-30, 30, 100_000),
                         [0.0, 1e-300, -1e-300, np.log(2), -np.log(2)]])
    assert np.max(np.abs(apply(xs) / np.exp(xs) - 1)) <= 2e-15
    beyond = apply(np.array([-1e4, -np.inf, 1e4, np.inf]))
    assert beyond[0] == beyond[1] and beyond[2] == beyond[3]
    assert np.allclose(beyond, np.exp([-708.0, -708.0, 709.0, 709.0]), rtol=2e-15, atol=0)
