"""What a figure must show: points that are there, axes that say what and in which unit."""
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb

from rnnkit import plots
from rnnkit.analysis import ScalingFit

RNG = np.random.default_rng(0)


def pixels(fig):
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].astype(float) / 255


def test_one_validation_point_is_drawn(tmp_path):
    path = tmp_path / "loss.png"
    fig = plots.plot_loss_curves([{"step": 3, "train_loss": 2.95, "val_loss": 2.98}], path)
    ax = fig.axes[0]
    validation = next(line for line in ax.get_lines() if line.get_label() == "validation")
    assert validation.get_marker() not in (None, "", " ", "None") and validation.get_markersize() > 2
    # the pixel where the point lies has the validation colour (without a marker: background)
    image = pixels(fig)
    x, y = ax.transData.transform((3, 2.98))
    row, col = int(round(image.shape[0] - y)), int(round(x))
    patch = image[row - 1:row + 2, col - 1:col + 2].reshape(-1, 3)
    colour = np.array(to_rgb(validation.get_color()))
    assert np.min(np.abs(patch - colour).sum(axis=1)) < 0.1
    assert path.stat().st_size > 1000


def test_scaling_plot_names_the_size_and_labels_only_the_measured_sizes():
    sizes = [25, 50, 100, 200]
    fits = [ScalingFit("forward time vs T", sizes, [1e-3 * s for s in sizes], 1),
            ScalingFit("BPTT cache bytes vs T", sizes, [400 * s for s in sizes], 1)]
    fig = plots.plot_scaling(fits, size="T")
    FigureCanvasAgg(fig).draw()
    time_ax, memory_ax = fig.axes
    for ax in (time_ax, memory_ax):
        assert "T" in ax.get_xlabel() and "sequence length" in ax.get_xlabel()
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_visible()]
        assert labels == ["25", "50", "100", "200"]
        assert all(not t.get_text() for t in ax.get_xticklabels(minor=True))
    assert "seconds" in time_ax.get_ylabel() and "bytes" in memory_ax.get_ylabel()
    assert "R²" in time_ax.get_legend().get_texts()[0].get_text()
    # default: the size is read from the fits' labels
    assert "H: hidden units" == plots.plot_scaling(
        [ScalingFit("forward time vs H", [8, 16], [1.0, 4.0], 2)]).axes[0].get_xlabel()


def test_tuning_plot_puts_learning_rates_on_a_log_axis():
    trials = [{"lr": lr, "hidden_size": h, "val_loss": 2 + lr + h / 100}
              for lr in (1e-3, 3e-3, 6e-3) for h in (32, 64)]
    fig = plots.plot_tuning(trials, ["lr", "hidden_size"])
    lr_ax, hidden_ax = fig.axes
    assert lr_ax.get_xscale() == "log" and hidden_ax.get_xscale() == "linear"
    assert lr_ax.get_ylabel() == "validation loss (nats/char)"
    assert [t.get_text() for t in hidden_ax.get_xticklabels()] == ["32", "64"]


def test_heatmap_has_a_labelled_colour_bar_and_a_relu_scale():
    h = np.maximum(RNG.standard_normal((10, 4)) * 3, 0)  # a relu layer: h in [0, 9]
    fig = plots.plot_hidden_heatmap([np.tanh(h - 1), h], text="abcdefghij")
    maps = [ax for ax in fig.axes if ax.images]
    bars = [ax for ax in fig.axes if not ax.images]
    assert len(maps) == 2 and len(bars) == 2
    assert all(bar.get_ylabel() for bar in bars)
    assert maps[0].images[0].get_clim() == (-1, 1)
    assert maps[1].images[0].get_clim() == (0, pytest.approx(h.max()))
    assert all(ax.get_ylabel() == "hidden unit" and ax.get_xlabel() for ax in maps)
    assert "layer 1" in maps[1].get_title()


FIGURES = {
    "loss": lambda: plots.plot_loss_curves([{"step": 1, "train_loss": 2, "val_loss": 2}]),
    "gates": lambda: plots.plot_gate_histograms([{"i": RNG.uniform(size=50)},
                                                 {"i": RNG.uniform(size=50)}]),
    "traces": lambda: plots.plot_traces([{"h": RNG.standard_normal((5, 3))}] * 2),
    "report": lambda: plots.plot_report(
        {"val_loss": 1.5, "batch_size": 4, "seq_len": 8, "train_chars_per_s": 1e4,
         "inference_chars_per_s": 3e4, "latency_per_step_s": 1e-4, "cell": "lstm",
         "parameters": 1000, "backend": "numpy", "dtype": "float32"},
        [{"step": 5, "train_loss": 2.0, "val_loss": 2.1}]),
    "scaling": lambda: plots.plot_scaling([ScalingFit("forward time vs N", [4, 8], [1, 2], 1)]),
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_panel_labels_both_axes(name):
    fig = FIGURES[name]()
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert panels
    for ax in panels:
        # a row of panels may share the y label of its first one
        assert ax.get_xlabel(), (name, ax.get_title())
    assert panels[0].get_ylabel()
