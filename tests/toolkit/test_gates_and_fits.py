"""analyze gates reads every layer with the model's own activation; complexity fits say how
good they are; analyze report saves its figure."""
import numpy as np
import pytest

from rnnkit.analysis import ScalingFit, gate_activations, r_squared, saturation
from rnnkit.analysis.complexity import format_fits
from rnnkit.analysis.gradient_flow import layer_parameters, model_traces
from rnnkit.cli import main
from rnnkit.data.text import Vocabulary
from rnnkit.layers import RNN
from rnnkit.model import CharLM

TINY = ["--embedding-dim", "4", "--seq-len", "8", "--batch-size", "4", "--eval-every", "5",
        "--val-chars", "200", "--no-progress", "--backend", "numpy", "--threads", "1",
        "--sample", "0"]


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("for i in range(10):\n    print(i)\n" * 30, encoding="utf-8")
    return str(path)


def test_relu_rnn_activations_match_the_layer():
    rng = np.random.default_rng(0)
    layer = RNN(3, 5, nonlinearity="relu", dtype=np.float64, seed=2)
    x = rng.standard_normal((2, 6, 3))
    expected = layer.forward(x)[0]
    acts = gate_activations("rnn", *layer_parameters(layer), x, nonlinearity="relu")
    assert np.allclose(acts["h"], expected, rtol=1e-12, atol=1e-14)
    assert acts["h"].min() == 0 and acts["h"].max() > 1  # really relu: not squashed by tanh
    tanh = gate_activations("rnn", *layer_parameters(layer), x)
    assert not np.allclose(tanh["h"], expected)
    with pytest.raises(ValueError, match="nonlinearity"):
        gate_activations("rnn", *layer_parameters(layer), x, nonlinearity="gelu")


def test_relu_saturation_counts_inactive_units():
    h = np.array([0.0, 0.0, 0.5, 3.0])
    assert saturation({"h": h}, nonlinearity="relu")["h"] == {"low": 0.5, "high": 0.0,
                                                             "total": 0.5}
    assert saturation({"h": h})["h"]["high"] == 0.25  # tanh rules: 3.0 counts as saturated


@pytest.mark.parametrize("cell,nonlinearity", [("rnn", "relu"), ("rnn", "tanh"),
                                               ("lstm", "tanh"), ("gru", "tanh")])
def test_model_traces_cover_every_layer(cell, nonlinearity):
    text = "abcabcaab"
    model = CharLM(3, 6, num_layers=3, cell=cell, embedding_dim=4, dtype=np.float64,
                   nonlinearity=nonlinearity, seed=1)
    model.vocab = Vocabulary("abc")
    layers = model_traces(model, text)
    assert len(layers) == 3
    # each layer's h is what the stacked layer computes; the last one is the model's output
    h_out = model.rnn.forward(model._inputs(model.vocab.encode(text)[None, :]))[0][0]
    assert np.allclose(layers[-1]["h"], h_out, rtol=1e-10, atol=1e-12)
    for t in layers:
        assert t["h"].shape == (len(text), 6)
    if nonlinearity == "relu":
        assert min(t["h"].min() for t in layers) == 0


def test_gates_command_shows_every_layer_of_a_relu_rnn(corpus, tmp_path, capsys):
    ck = tmp_path / "relu.npz"
    assert main(["train", "--corpus", corpus, "--cell", "rnn", "--nonlinearity", "relu",
                 "--num-layers", "2", "--hidden-size", "6", "--max-steps", "5", "--out", str(ck),
                 *TINY]) == 0
    capsys.readouterr()
    assert main(["analyze", "gates", str(ck), "--text", "for i in", "--backend", "numpy",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "RNN (relu), 2 layer(s)" in out and "inactive" in out
    rows = [line.split() for line in out.splitlines() if line[:1].isdigit()]
    assert [r[:2] for r in rows] == [["0", "h"], ["1", "h"]]
    for name in ("hidden_heatmap", "gate_histograms", "traces"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000


def test_r_squared_of_a_perfect_and_a_noisy_power_law():
    sizes = np.array([25, 50, 100, 200])
    assert r_squared(sizes, 3 * sizes ** 1.0, 1.0, 3.0) == pytest.approx(1.0)
    # by hand: log values 0, 1, 0, 1 around a flat fit through their mean 0.5
    values = np.exp([0.0, 1.0, 0.0, 1.0])
    fit = ScalingFit("time vs T", list(sizes), list(values), theory=1)
    ss_res = np.sum((np.log(values) - np.log(fit.predict(sizes))) ** 2)
    assert fit.r_squared == pytest.approx(1 - ss_res / 1.0)
    assert fit.r_squared < 0.5 and fit.poor


def test_complexity_warns_when_timings_do_not_follow_a_power_law():
    sizes = [25, 50, 100, 200]
    clean = ScalingFit("forward time vs T", sizes, [1e-3 * s for s in sizes], theory=1)
    # timings under load: a busy machine made two of them several times slower
    noisy = ScalingFit("forward+backward time vs T", sizes, [0.10, 0.03, 0.45, 0.11], theory=1)
    text = format_fits([clean, noisy])
    assert "R²" in text.splitlines()[0]
    assert f"{clean.r_squared:.3f}" in text and f"{noisy.r_squared:.3f}" in text
    warnings = [line for line in text.splitlines() if line.startswith("warning")]
    assert len(warnings) == 1 and "forward+backward time vs T" in warnings[0]
    assert "not meaningful" in warnings[0] and "other jobs" in warnings[0]
    assert not clean.poor and noisy.poor


def test_report_saves_a_png(corpus, tmp_path, capsys):
    ck = tmp_path / "m.npz"
    assert main(["train", "--corpus", corpus, "--hidden-size", "6", "--max-steps", "10",
                 "--out", str(ck), *TINY]) == 0
    out_dir = tmp_path / "analysis"
    assert main(["analyze", "report", str(ck), "--backend", "numpy", "--out", str(out_dir)]) == 0
    png = out_dir / "report.png"
    assert f"saved {png}" in capsys.readouterr().out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
