"""Property-based tests (hypothesis) of the reference over shapes and seeds."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import rnnkit
from rnnkit import reference as ref
from tests.helpers import assert_close, random_params

sizes = st.integers(1, 5)
seeds = st.integers(0, 2**31 - 1)
variants = st.sampled_from([("rnn", {"nonlinearity": "tanh"}), ("rnn", {"nonlinearity": "relu"}),
                            ("lstm", {}), ("gru", {"reset_after": True}),
                            ("gru", {"reset_after": False})])


def run_forward(cell, options, x, h0, c0, params):
    if cell == "lstm":
        return ref.lstm_forward(x, h0, c0, *params)
    forward = ref.rnn_forward if cell == "rnn" else ref.gru_forward
    return forward(x, h0, *params, **options)


def run_backward(cell, dh, cache):
    grads = {"rnn": ref.rnn_backward, "lstm": ref.lstm_backward, "gru": ref.gru_backward}[cell](dh, cache)
    return grads if cell == "lstm" else grads[:2] + (None,) + grads[2:]


@given(variants, sizes, sizes, sizes, sizes, seeds)
def test_gradient_matches_finite_differences(variant, N, T, D, H, seed):
    """Every gradient of every variant equals central differences, on any small shape."""
    cell, options = variant
    rng = np.random.default_rng(seed)
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    params = random_params(cell, D, H, rng)
    dh = rng.standard_normal((N, T, H))
    h, cache = run_forward(cell, options, x, h0, c0, params)
    dx, dh0, dc0, *dparams = run_backward(cell, dh, cache)
    inputs = [("dx", x, dx), ("dh0", h0, dh0)] + [(f"d{n}", p, g) for n, p, g in
                                                  zip(("W_ih", "W_hh", "b_ih", "b_hh"), params, dparams)]
    if cell == "lstm":
        inputs.append(("dc0", c0, dc0))
    for name, array, analytic in inputs:
        numeric = ref.eval_numerical_gradient(
            lambda _: run_forward(cell, options, x, h0, c0, params)[0], array, dh)
        error = ref.scaled_error(analytic, numeric) if np.any(numeric) else np.abs(analytic).max()
        assert error < 1e-6, f"{name}: {error:.2e}"


@given(variants, sizes, st.integers(2, 6), sizes, sizes, seeds)
def test_splitting_a_sequence_and_carrying_state_changes_nothing(variant, N, T, D, H, seed):
    """Running x[:, :k] then x[:, k:] from the carried state equals running x at once
    (what truncated BPTT relies on)."""
    cell, options = variant
    rng = np.random.default_rng(seed)
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    params = random_params(cell, D, H, rng)
    backend = rnnkit.backends.get_backend("numpy")
    k = int(rng.integers(1, T))
    whole, _, _, _ = backend.sequence_forward(cell, x, h0, c0 if cell == "lstm" else None, *params, **options)
    first, h_k, c_k, _ = backend.sequence_forward(cell, x[:, :k], h0, c0 if cell == "lstm" else None,
                                                  *params, **options)
    second, _, _, _ = backend.sequence_forward(cell, x[:, k:], h_k, c_k, *params, **options)
    assert_close(np.concatenate([first, second], axis=1), whole, 1e-14, "h")


@given(variants, sizes, sizes, sizes, sizes, seeds)
def test_backward_is_linear_in_the_upstream_gradient(variant, N, T, D, H, seed):
    cell, options = variant
    rng = np.random.default_rng(seed)
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    params = random_params(cell, D, H, rng)
    h, cache = run_forward(cell, options, x, h0, c0, params)
    a, b = rng.standard_normal(h.shape), rng.standard_normal(h.shape)
    ga, gb = run_backward(cell, a, cache), run_backward(cell, b, cache)
    gab = run_backward(cell, 2 * a - 3 * b, cache)
    for u, v, w in zip(ga, gb, gab):
        if u is not None:
            assert_close(w, 2 * u - 3 * v, 1e-12, "gradient")


@given(variants, sizes, sizes, sizes, sizes, seeds)
def test_float32_forward_agrees_with_float64(variant, N, T, D, H, seed):
    """float32 is supported everywhere and stays within 1e-5 of float64 on the forward."""
    cell, options = variant
    rng = np.random.default_rng(seed)
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    params = random_params(cell, D, H, rng)
    h64, _ = run_forward(cell, options, x, h0, c0, params)
    h32, _ = run_forward(cell, options, x.astype(np.float32), h0.astype(np.float32),
                         c0.astype(np.float32), [p.astype(np.float32) for p in params])
    assert h32.dtype == np.float32
    assert_close(h32, h64, 1e-5, "h (float32 vs float64)")
