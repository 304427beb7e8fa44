"""rnnkit.plots: every figure renders to a non-empty PNG and returns a Figure."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from rnnkit import plots
from rnnkit.analysis import ScalingFit

HISTORY = [{"step": s, "train_loss": 3 - s / 100, "val_loss": 3.1 - s / 100} for s in (10, 20, 30)]
RNG = np.random.default_rng(0)

CASES = {
    "loss": lambda p: plots.plot_loss_curves(HISTORY, p, target=1.9),
    "tuning": lambda p: plots.plot_tuning(
        [{"lr": 1e-3, "hidden_size": 32, "val_loss": 2.0},
         {"lr": 1e-2, "hidden_size": 64, "val_loss": 1.5}], ["lr", "hidden_size"], p),
    "scaling": lambda p: plots.plot_scaling(
        [ScalingFit("time vs T", [10, 20, 40], [1.0, 2.1, 3.9], 1)], p),
    "gradient_flow": lambda p: plots.plot_gradient_flow(
        {"RNN": 0.5 ** np.arange(20)[::-1], "LSTM": np.ones(20)}, p),
    "heatmap": lambda p: plots.plot_hidden_heatmap(np.tanh(RNG.standard_normal((12, 6))), p,
                                                   text="hello world\n"),
    "gates": lambda p: plots.plot_gate_histograms({"i": RNG.uniform(size=100),
                                                   "g": np.tanh(RNG.standard_normal(100))}, p),
    "traces": lambda p: plots.plot_traces({"h": RNG.standard_normal((20, 4))}, p),
    "sample": lambda p: plots.plot_sample_probabilities("def f(x):\n\treturn x;",
                                                        RNG.uniform(size=20), p, width=8),
    "predictions": lambda p: plots.plot_predictions(np.arange(10), np.arange(10) + 0.5, p),
    "curves": lambda p: plots.plot_metric_curves({"LSTM": [(0, 0.2), (100, 0.005)]}, p,
                                                 target=0.01),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_figure_renders_a_png(name, tmp_path):
    path = tmp_path / "sub" / f"{name}.png"
    fig = CASES[name](str(path))
    assert isinstance(fig, Figure)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000


def test_empty_inputs_are_rejected():
    with pytest.raises(ValueError, match="history"):
        plots.plot_loss_curves([])
    with pytest.raises(ValueError, match="probs"):
        plots.plot_sample_probabilities("abc", [0.5])
