"""Each fused gate kernel against the reference step function, in float64 and float32 (simulator).

Forward: the kernel gets x W_ihᵀ and h W_hhᵀ (computed here with numpy) and must reproduce the
reference step's gates and new state. Backward: with x = I (N = D) the reference's dW_ih = daᵀ
exposes the pre-activation gradients da the kernel must produce; the hidden-state gradient is
checked through dh_prev. N = 3, H = 5: not multiples of anything; every output starts as NaN.
"""
import numpy as np
import pytest
from numba import cuda

from rnnkit import reference as ref
from rnnkit.cuda import gates
from rnnkit.cuda.driver import units
from tests.helpers import assert_close, random_params

pytestmark = pytest.mark.cudasim

TOL = {np.float64: 1e-10, np.float32: 1e-4}
N, H = 3, 5
DTYPES = [np.float64, np.float32]


def dev(a, dtype):
    return cuda.to_device(np.ascontiguousarray(a, dtype=dtype))


def nan(shape, dtype):
    return cuda.to_device(np.full(shape, np.nan, dtype=dtype))


def step_inputs(cell, seed, D=N):
    """x = I (so that dW_ih = daᵀ in the reference backward), h_prev, c_prev, params."""
    rng = np.random.default_rng(seed)
    x = np.eye(N, D)
    h_prev, c_prev = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    return x, h_prev, c_prev, random_params(cell, D, H, rng, scale=0.8), rng


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_gate_kernels(dtype, nonlinearity):
    x, h_prev, _, (W_ih, W_hh, b_ih, b_hh), rng = step_inputs("rnn", 1)
    h_ref, cache = ref.rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity)
    relu, one = nonlinearity == "relu", dtype(1)
    h_next = nan((N, H), dtype)
    units(gates.rnn_forward_kernel, N, H)(dev(x @ W_ih.T, dtype), dev(h_prev @ W_hh.T, dtype),
                                          dev(b_ih, dtype), dev(b_hh, dtype), relu, h_next)
    assert_close(h_next.copy_to_host(), h_ref, TOL[dtype], "h_next")

    dh_out, dh_rec = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    da = nan((N, H), dtype)
    units(gates.rnn_backward_kernel, N, H)(dev(dh_out, dtype), dev(dh_rec, dtype),
                                           dev(h_ref, dtype), relu, da, one)
    dW_ih = ref.rnn_step_backward(dh_out + dh_rec, cache)[2]
    assert_close(da.copy_to_host(), dW_ih.T, TOL[dtype], "da")


@pytest.mark.parametrize("dtype", DTYPES)
def test_lstm_gate_kernels(dtype):
    x, h_prev, c_prev, (W_ih, W_hh, b_ih, b_hh), rng = step_inputs("lstm", 2)
    h_ref, c_ref, cache = ref.lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh)
    one = dtype(1)
    acts, c_next, h_next = nan((N, 4 * H), dtype), nan((N, H), dtype), nan((N, H), dtype)
    units(gates.lstm_forward_kernel, N, H)(
        dev(x @ W_ih.T, dtype), dev(h_prev @ W_hh.T, dtype), dev(b_ih, dtype), dev(b_hh, dtype),
        dev(c_prev, dtype), acts, c_next, h_next, one)
    i, f, g, o = cache[5:9]
    assert_close(acts.copy_to_host(), np.concatenate([i, f, g, o], axis=1), TOL[dtype], "gates")
    assert_close(c_next.copy_to_host(), c_ref, TOL[dtype], "c_next")
    assert_close(h_next.copy_to_host(), h_ref, TOL[dtype], "h_next")

    dh_out, dh_rec, dc_next = (rng.standard_normal((N, H)) for _ in range(3))
    dc, da = dev(dc_next, dtype), nan((N, 4 * H), dtype)
    saved_gates = dev(np.concatenate([i, f, g, o], axis=1), dtype)
    units(gates.lstm_backward_kernel, N, H)(
        dev(dh_out, dtype), dev(dh_rec, dtype), dc, saved_gates, dev(c_prev, dtype),
        dev(c_ref, dtype), da, one)
    _, _, dc_prev, dW_ih, *_ = ref.lstm_step_backward(dh_out + dh_rec, dc_next, cache)
    assert_close(da.copy_to_host(), dW_ih.T, TOL[dtype], "da")
    assert_close(dc.copy_to_host(), dc_prev, TOL[dtype], "dc_prev")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_gate_kernels(dtype, reset_after):
    x, h_prev, _, (W_ih, W_hh, b_ih, b_hh), rng = step_inputs("gru", 3)
    h_ref, cache = ref.gru_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, reset_after)
    r, z, n, gh_n_ref = cache[4:8]
    one = dtype(1)
    gx, bi, bh, hp = dev(x @ W_ih.T, dtype), dev(b_ih, dtype), dev(b_hh, dtype), dev(h_prev, dtype)
    acts, gh_n, h_next = nan((N, 3 * H), dtype), nan((N, H), dtype), nan((N, H), dtype)
    if reset_after:
        units(gates.gru_forward_kernel, N, H)(gx, dev(h_prev @ W_hh.T, dtype), bi, bh, hp, acts,
                                              gh_n, h_next, one)
    else:
        rh = nan((N, H), dtype)
        units(gates.gru_reset_forward_kernel, N, H)(gx, dev(h_prev @ W_hh[:2 * H].T, dtype), bi, bh,
                                                    hp, acts, rh, one)
        assert_close(rh.copy_to_host(), r * h_prev, TOL[dtype], "r * h_prev")
        gh_n = dev(rh.copy_to_host().astype(np.float64) @ W_hh[2 * H:].T, dtype)  # W_hn (r ⊙ h)
        units(gates.gru_candidate_forward_kernel, N, H)(gx, bi, bh, hp, acts, gh_n, h_next, one)
    assert_close(acts.copy_to_host(), np.concatenate([r, z, n], axis=1), TOL[dtype], "gates")
    assert_close(gh_n.copy_to_host(), gh_n_ref, TOL[dtype], "gh_n")
    assert_close(h_next.copy_to_host(), h_ref, TOL[dtype], "h_next")

    dh_out, dh_rec0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    _, dh_prev_ref, dW_ih, *_ = ref.gru_step_backward(dh_out + dh_rec0, cache)
    acts_in = dev(np.concatenate([r, z, n], axis=1), dtype)
    dgi, dgh, dh_rec = nan((N, 3 * H), dtype), nan((N, 3 * H), dtype), dev(dh_rec0, dtype)
    if reset_after:
        units(gates.gru_backward_kernel, N, H)(dev(dh_out, dtype), dh_rec, hp, acts_in,
                                               dev(gh_n_ref, dtype), dgi, dgh, one)
        rows = slice(0, 3 * H)  # dh_prev = dh z + dgh W_hh
    else:
        units(gates.gru_candidate_backward_kernel, N, H)(dev(dh_out, dtype), dh_rec, hp, acts_in,
                                                         dgi, dgh, one)
        d_rh = dgh.copy_to_host()[:, 2 * H:].astype(np.float64) @ W_hh[2 * H:]  # da_n W_hn
        units(gates.gru_reset_backward_kernel, N, H)(dev(d_rh, dtype), hp, acts_in, dgi, dgh,
                                                     dh_rec, one)
        rows = slice(0, 2 * H)  # dh_prev = dh z + d(r ⊙ h) r + dgh_rz W_hh[:2H]
    assert_close(dgi.copy_to_host(), dW_ih.T, TOL[dtype], "dgi")
    dh_prev = dh_rec.copy_to_host() + dgh.copy_to_host()[:, rows].astype(np.float64) @ W_hh[rows]
    assert_close(dh_prev, dh_prev_ref, TOL[dtype], "dh_prev")
