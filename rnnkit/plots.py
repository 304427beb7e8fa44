"""Figures for training, tuning and analysis. Each function returns a matplotlib Figure and, when
given ``path``, saves it as a PNG there.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot), so they work without a display,
in worker processes and in notebooks (a Figure displays itself as the cell's result).
"""
import os

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullFormatter

#: axis labels with units for the metrics the toolkit records
METRIC_LABELS = {"val_loss": "validation loss (nats/char)", "train_loss": "training loss (nats/char)",
                 "val_ppl": "validation perplexity"}
#: what the sizes of a scaling study mean
SIZE_LABELS = {"T": "T: sequence length (time steps)", "H": "H: hidden units",
               "N": "N: batch size (sequences)"}


def _finish(fig, path):
    fig.tight_layout()
    if path:
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        fig.savefig(path, dpi=110)
    return fig


def plot_loss_curves(history, path=None, title="training", target=None):
    """Training and validation loss (nats/char) against steps; history from Trainer.fit."""
    if not history:
        raise ValueError("history is empty: nothing to plot")
    fig = Figure(figsize=(6.4, 4))
    ax = fig.add_subplot()
    _draw_losses(ax, history)
    if target is not None:
        ax.axhline(target, color="gray", ls="--", lw=1, label=f"target {target}")
        ax.legend()
    ax.set_title(title)
    return _finish(fig, path)


def _draw_losses(ax, history):
    """Training and validation loss of ``history`` on ``ax``, with labelled axes."""
    steps = [r["step"] for r in history]
    # markers: a line through one point draws nothing (the only validation of a short run)
    marker = {"marker": "o", "markersize": 4} if len(history) <= 60 else {}
    ax.plot(steps, [r["train_loss"] for r in history], label="train", **marker)
    ax.plot(steps, [r["val_loss"] for r in history], label="validation", **marker)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats per character)")
    ax.grid(alpha=0.3)
    ax.legend()


def plot_tuning(results, params, path=None, metric="val_loss"):
    """One panel per hyperparameter: the metric of every trial against its value."""
    if not results:
        raise ValueError("results are empty: nothing to plot")
    fig = Figure(figsize=(3.2 * len(params), 3.2))
    last_rung = max(r.get("rung", 0) for r in results)
    best = min((r for r in results if r.get("rung", 0) == last_rung), key=lambda r: r[metric])
    for k, name in enumerate(params):
        ax = fig.add_subplot(1, len(params), k + 1)
        values = [r[name] for r in results]
        for rung in range(last_rung + 1):  # successive halving: one colour per budget
            trials = [r for r in results if r.get("rung", 0) == rung]
            ax.scatter([r[name] for r in trials], [r[metric] for r in trials], alpha=0.7,
                       label=f"rung {rung} ({trials[0].get('steps', '?')} steps)"
                       if last_rung else None)
        ax.scatter([best[name]], [best[metric]], color="red", marker="*", s=120, label="best")
        positive = all(isinstance(v, (int, float)) and v > 0 for v in values)
        # learning rates are searched on a log scale (1e-3, 3e-3, 1e-2): show them on one
        if positive and (name.startswith("lr") or max(values) / min(values) >= 10):
            ax.set_xscale("log")
        distinct = sorted(set(values))
        if positive and len(distinct) <= 6:
            ax.set_xticks(distinct)  # the values tried, not 10^k
            ax.set_xticklabels([f"{v:g}" for v in distinct])
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(name)
        if k == 0:
            ax.set_ylabel(METRIC_LABELS.get(metric, metric))
            ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    return _finish(fig, path)


def plot_scaling(fits, path=None, title="cost vs size", size=None):
    """Log-log plots of measurements with their fitted power laws: time on the left, memory
    (every fit whose label does not say "time") on the right.

    fits: list of rnnkit.analysis.complexity.ScalingFit (one curve each). size: the varied
    size ("T", "H", "N" or any axis label; default: the last word of the first fit's label).
    """
    if not fits:
        raise ValueError("fits is empty: nothing to plot")
    size = size or fits[0].label.split()[-1]
    panels = [("time (seconds)", [f for f in fits if "time" in f.label]),
              ("memory (bytes)", [f for f in fits if "time" not in f.label])]
    panels = [(unit, group) for unit, group in panels if group]
    fig = Figure(figsize=(5.2 * len(panels), 4.6))
    for k, (unit, group) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        for fit in group:
            line, = ax.loglog(fit.sizes, fit.values, "o")
            xs = np.geomspace(min(fit.sizes), max(fit.sizes), 50)
            poor = " POOR FIT" if getattr(fit, "poor", False) else ""
            ax.loglog(xs, fit.predict(xs), "-", color=line.get_color(),
                      label=f"{fit.label}: slope {fit.exponent:.2f} (theory {fit.theory:g}), "
                            f"R² {fit.r_squared:.3f}{poor}")
        sizes = sorted(set(s for fit in group for s in fit.sizes))
        # tick labels at the measured sizes only: log axes otherwise label 2x10^1, 3x10^1, ...
        ax.set_xticks(sizes)
        ax.set_xticklabels([f"{s:g}" for s in sizes])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(SIZE_LABELS.get(size, size))
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3, which="both")
        # below the plot: the labels are long and would cover the points
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
    fig.suptitle(title)
    return _finish(fig, path)


def plot_gradient_flow(norms, path=None, title="gradient flow: ‖∂L/∂h_t‖"):
    """norms: label -> array (T,) of ‖∂L/∂h_t‖; log scale, so vanishing shows as a straight line."""
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.add_subplot()
    # one colour per cell (the label's first word), one line style per variant within it
    groups = list(dict.fromkeys(label.split()[0] for label in norms))
    colours = {g: f"C{i}" for i, g in enumerate(groups)}
    styles, seen = ["-", "--", ":", "-."], {}
    for label, values in norms.items():
        values = np.asarray(values, dtype=float)
        group = label.split()[0]
        k = seen[group] = seen.get(group, -1) + 1
        ax.semilogy(np.arange(len(values)), np.maximum(values, 1e-300), label=label,
                    color=colours[group], ls=styles[k % len(styles)])
    ax.set_xlabel("time step t (the loss is at the last step)")
    ax.set_ylabel("‖∂L/∂h_t‖")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return _finish(fig, path)


def _per_layer(values):
    """A list with one item per layer: a list stays a list, a single item becomes [item]."""
    return list(values) if isinstance(values, (list, tuple)) else [values]


def plot_hidden_heatmap(h, path=None, title="hidden state", text=None):
    """h (T, H): one row per unit, one column per time step; text labels the columns.

    h may be a list of (T, H) arrays, one per layer of a stacked network: one panel each.
    """
    layers = [np.asarray(a) for a in _per_layer(h)]
    for a in layers:
        if a.ndim != 2:
            raise ValueError(f"h must have shape (T, H) (or be a list of those), got {a.shape}")
    T, H = layers[0].shape
    height = sum(min(8, 1.2 + 0.08 * a.shape[1]) for a in layers) + 0.6
    fig = Figure(figsize=(min(12, 2.5 + 0.12 * T), min(16, height)))
    for k, a in enumerate(layers):
        ax = fig.add_subplot(len(layers), 1, k + 1)
        if a.size and a.min() >= 0:  # a relu RNN: h in [0, ∞)
            limits, cmap = dict(vmin=0, vmax=max(float(a.max()), 1e-12)), "viridis"
        else:                         # tanh: h in (-1, 1)
            limits, cmap = dict(vmin=-1, vmax=1), "RdBu_r"
        image = ax.imshow(a.T, aspect="auto", cmap=cmap, interpolation="nearest", **limits)
        fig.colorbar(image, ax=ax, label="activation $h_t$")
        if text is not None:
            ax.set_xticks(np.arange(len(text)))
            ax.set_xticklabels([repr(ch)[1:-1] for ch in text], fontsize=6, family="monospace")
            ax.set_xlabel("character read at step t")
        else:
            ax.set_xlabel("time step t")
        ax.set_ylabel("hidden unit")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # units are numbered 0, 1, ...
        ax.set_title(f"{title}, layer {k}" if len(layers) > 1 else title)
    return _finish(fig, path)


def plot_gate_histograms(gates, path=None, title="gate activations"):
    """gates: name -> array of activations in [0, 1] (or [-1, 1] for tanh ones); or a list of
    such dicts, one per layer (one row of panels each)."""
    layers = _per_layer(gates)
    if not layers or not all(layers):
        raise ValueError("gates is empty: nothing to plot")
    columns = max(len(g) for g in layers)
    fig = Figure(figsize=(3.2 * columns, 2.8 * len(layers) + 0.4))
    for row, layer in enumerate(layers):
        for k, (name, values) in enumerate(layer.items()):
            ax = fig.add_subplot(len(layers), columns, row * columns + k + 1)
            values = np.ravel(values)
            # the whole range of the activation, so that saturation shows at its edges
            if name in ("i", "f", "o", "r", "z"):
                span = (0.0, 1.0)                          # sigmoid
            elif name in ("g", "n") or (name == "h" and values.min(initial=0) < 0):
                span = (-1.0, 1.0)                         # tanh
            else:
                span = None                                # e.g. relu: [0, max]
            ax.hist(values, bins=40, range=span)
            ax.set_title(f"{name} (layer {row})" if len(layers) > 1 else name)
            ax.set_yscale("log")
            ax.set_xlabel("activation")
            if k == 0:
                ax.set_ylabel("count (log scale)")
    fig.suptitle(title)
    return _finish(fig, path)


def plot_traces(traces, path=None, title="activations over time", units=8):
    """traces: name -> array (T, H); the first ``units`` units of each, one panel per name.
    A list of such dicts (one per layer) gives one column of panels per layer."""
    layers = _per_layer(traces)
    names = list(dict.fromkeys(name for layer in layers for name in layer))
    fig = Figure(figsize=(2 + 4.4 * len(layers), 1.8 * len(names) + 0.8))
    for col, layer in enumerate(layers):
        for row, name in enumerate(names):
            if name not in layer:
                continue
            ax = fig.add_subplot(len(names), len(layers), row * len(layers) + col + 1)
            ax.plot(np.asarray(layer[name])[:, :units])
            ax.set_ylabel(name)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
            if row == 0 and len(layers) > 1:
                ax.set_title(f"layer {col}")
            if row == len(names) - 1:
                ax.set_xlabel(f"time step t (first {units} units)")
    fig.suptitle(title)
    return _finish(fig, path)


def plot_sample_probabilities(text, probs, path=None, width=60,
                              title="sample: probability of each character"):
    """The text, each character on a background coloured by the probability the model gave it."""
    probs = np.asarray(probs, dtype=float)
    if len(text) != len(probs):
        raise ValueError(f"text has {len(text)} characters but probs has {len(probs)} values")
    rows = max(1, -(-len(text) // width))
    fig = Figure(figsize=(0.13 * width + 1.5, 0.28 * rows + 1))
    ax = fig.add_subplot()
    grid = np.full((rows, width), np.nan)
    grid.flat[:len(probs)] = probs
    image = ax.imshow(grid, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for i, ch in enumerate(text):
        label = {"\n": "⏎", "\t": "⇥", " ": "·"}.get(ch, ch)
        ax.text(i % width, i // width, label, ha="center", va="center", fontsize=7,
                family="monospace", color="white" if probs[i] < 0.6 else "black")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(image, ax=ax, label="p(character)")
    ax.set_title(title)
    return _finish(fig, path)


def plot_report(report, history=(), path=None, title="performance report"):
    """A trained model at a glance: its loss curves (history from the checkpoint, if any) and
    its speed in characters per second (training, batched inference, one character at a time).

    report: rnnkit.analysis.report.performance_report(...).
    """
    fig = Figure(figsize=(11, 4.2) if history else (6, 4.2))
    if history:
        ax = fig.add_subplot(1, 2, 1)
        _draw_losses(ax, history)
        ax.set_title(f"training; the report's parameters: {report['val_loss']:.3f} nats/char "
                     "on validation", fontsize=9)
    ax = fig.add_subplot(1, 2, 2) if history else fig.add_subplot()
    labels = [f"training\n(N={report['batch_size']}, T={report['seq_len']})",
              f"inference\n(N={report['batch_size']}, T={report['seq_len']})",
              "inference\n(one character\nat a time)"]
    rates = [report["train_chars_per_s"], report["inference_chars_per_s"],
             1.0 / report["latency_per_step_s"]]
    bars = ax.bar(labels, rates, color=["C0", "C1", "C2"])
    ax.bar_label(bars, [f"{r:,.0f}" for r in rates], fontsize=8)
    ax.set_ylabel("characters per second")
    ax.set_xlabel("speed on this machine (best of repeated runs)")
    ax.set_title(f"{report['cell'].upper()}, {report['parameters']:,} parameters, "
                 f"{report['backend']}, {report['dtype']}", fontsize=10)
    ax.grid(alpha=0.3, axis="y")
    fig.suptitle(title)
    return _finish(fig, path)


def plot_predictions(y_true, y_pred, path=None, title="prediction"):
    """A series and its prediction (e.g. the next month's stock price)."""
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.add_subplot()
    ax.plot(np.ravel(y_true), label="true")
    ax.plot(np.ravel(y_pred), label="predicted")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return _finish(fig, path)


def plot_metric_curves(curves, path=None, ylabel="test MSE", title="", target=None, log=True):
    """curves: label -> list of (step, value); e.g. the adding problem for each cell."""
    fig = Figure(figsize=(6.4, 4))
    ax = fig.add_subplot()
    for label, points in curves.items():
        steps, values = zip(*points)
        ax.plot(steps, values, label=label)
    if target is not None:
        ax.axhline(target, color="gray", ls="--", lw=1, label=f"target {target:g}")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return _finish(fig, path)
