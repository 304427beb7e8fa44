"""rnnkit.analysis: power-law fits, measurements, gradient flow, gates, adding problem."""
import numpy as np
import pytest

from rnnkit.analysis import (ScalingFit, fit_power_law, gate_activations, gradient_norms,
                             measure, saturation, scaling_study, set_spectral_radius)
from rnnkit.analysis.gradient_flow import gradient_flow_study, random_parameters
from rnnkit.analysis.memory_tasks import train_adding
from rnnkit.layers import GRU, LSTM


def test_fit_recovers_a_known_exponent():
    sizes = np.array([10, 20, 40, 80, 160])
    noise = np.random.default_rng(0).uniform(0.97, 1.03, sizes.shape)
    exponent, coefficient = fit_power_law(sizes, 3e-6 * sizes**2.0 * noise)
    assert exponent == pytest.approx(2.0, abs=0.05)
    assert coefficient == pytest.approx(3e-6, rel=0.2)
    fit = ScalingFit("cost", list(sizes), list(5 * sizes**1.5), theory=1.5)
    assert fit.exponent == pytest.approx(1.5) and fit.predict([100])[0] == pytest.approx(5000)
    with pytest.raises(ValueError, match="distinct"):
        fit_power_law([5, 5], [1, 2])


def test_measured_memory_is_linear_in_T_and_N():
    rows, fits = scaling_study("T", [8, 16, 32], cell="lstm", repeats=1,
                               fixed={"N": 4, "H": 8, "D": 4})
    cache = next(f for f in fits if f.label.startswith("BPTT cache"))
    assert cache.exponent == pytest.approx(1.0, abs=0.05)
    assert all(r["forward_backward_s"] >= r["forward_s"] > 0 for r in rows)
    m1, m2 = measure("gru", N=4, T=8, H=8, D=4, repeats=1), measure("gru", N=8, T=8, H=8, D=4,
                                                                     repeats=1)
    assert m2["cache_bytes"] == pytest.approx(2 * m1["cache_bytes"], rel=0.05)
    with pytest.raises(ValueError, match="vary"):
        scaling_study("D", [1, 2])


def test_spectral_radius_is_set_per_gate_block():
    W = set_spectral_radius(np.random.default_rng(0).standard_normal((12, 4)), 0.9, G=3)
    for g in range(3):
        assert np.max(np.abs(np.linalg.eigvals(W[4 * g:4 * g + 4]))) == pytest.approx(0.9)


def test_gradient_norms_match_the_layer_backward():
    # ‖∂L/∂h_t‖ from the analysis loop equals the norm of dh0 that BPTT returns when the layer
    # starts from (h_t, c_t) and reads the rest of the sequence, with the loss at the end
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 6, 2))
    dh_T = rng.standard_normal((3, 5))
    for cell, Layer in (("lstm", LSTM), ("gru", GRU)):
        layer = Layer(2, 5, dtype=np.float64, seed=1)
        params = [layer.parameters()[f"{n}_l0"] for n in ("weight_ih", "weight_hh", "bias_ih",
                                                           "bias_hh")]
        norms = gradient_norms(cell, *params, x, dh_T=dh_T)
        assert norms.shape == (6,)
        for t in (0, 2, 4):
            head = layer.forward(x[:, :t + 1])  # h_t (and c_t) after step t
            state = (head[1],) if cell == "gru" else (head[1], head[2])
            out = layer.forward(x[:, t + 1:], *state)[0]
            d_out = np.zeros_like(out)
            d_out[:, -1] = dh_T
            dh0 = layer.backward(d_out)[1][0]
            assert norms[t] == pytest.approx(np.mean(np.linalg.norm(dh0, axis=1)), rel=1e-12)
        assert norms[-1] == pytest.approx(np.mean(np.linalg.norm(dh_T, axis=1)))


def test_rnn_gradients_vanish_below_radius_one_and_grow_above():
    flows = gradient_flow_study(cells=("rnn",), radii=(0.5, 1.5), T=40, H=16, N=4)
    assert flows["RNN ρ=0.5"][0] < 1e-6 * flows["RNN ρ=0.5"][-1]
    assert flows["RNN ρ=1.5"][0] > 1e-2 * flows["RNN ρ=1.5"][-1]


def test_gate_activations_match_the_layer_and_saturation():
    x = np.random.default_rng(1).standard_normal((2, 7, 3))
    layer = LSTM(3, 4, dtype=np.float64, seed=2)
    params = [layer.parameters()[f"{n}_l0"] for n in ("weight_ih", "weight_hh", "bias_ih",
                                                       "bias_hh")]
    acts = gate_activations("lstm", *params, x)
    assert np.allclose(acts["h"], layer.forward(x)[0], atol=1e-14)
    assert set(acts) == {"i", "f", "g", "o", "c", "h"}
    stats = saturation({"i": np.array([0.01, 0.5, 0.99, 0.999]), "g": np.array([-0.99, 0.0])})
    assert stats["i"] == {"low": 0.25, "high": 0.5, "total": 0.75}
    assert stats["g"]["low"] == 0.5
    W_ih, W_hh, b_ih, b_hh = random_parameters("gru", 3, 4, 1.0)
    gru = gate_activations("gru", W_ih, W_hh, b_ih, b_hh, x)
    assert np.all((gru["z"] > 0) & (gru["z"] < 1))


def test_gated_cells_solve_a_short_adding_problem_and_the_rnn_does_not():
    # a small demonstration of the T=100 target: T=20, the same budget for both cells
    gru = train_adding("gru", T=20, hidden_size=32, steps=400, batch_size=32, lr=5e-3,
                       eval_every=50)
    rnn = train_adding("rnn", T=20, hidden_size=32, steps=400, batch_size=32, lr=5e-3,
                       eval_every=50)
    assert gru["solved"] and gru["test_mse"] < 0.01
    assert not rnn["solved"] and rnn["test_mse"] > 0.05


def test_regressor_learns_the_eeg_series_better_than_persistence():
    from rnnkit.analysis.memory_tasks import train_regressor
    from rnnkit.data import Normalizer, load_eeg, make_windows, split_series

    train, val = split_series(load_eeg()[:, :1], 0.25)
    norm = Normalizer.fit(train)
    x_tr, y_tr = make_windows(norm.transform(train), 16)
    x_va, y_va = make_windows(norm.transform(val), 16)
    result = train_regressor("gru", x_tr, y_tr, x_va, y_va, hidden_size=16, epochs=8)
    persistence = float(np.mean((x_va[:, -1] - y_va) ** 2))  # predict "same as last sample"
    assert result["history"][-1][1] < result["history"][0][1]
    assert result["val_mse"] < persistence, (result["val_mse"], persistence)
