"""Figures for training, tuning and analysis. Each function returns a matplotlib Figure and, when
given ``path``, saves it as a PNG there.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot), so they work without a display,
in worker processes and in notebooks (a Figure displays itself as the cell's result).
"""
import os

import numpy as np
from matplotlib.figure import Figure


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
    steps = [r["step"] for r in history]
    ax.plot(steps, [r["train_loss"] for r in history], label="train")
    ax.plot(steps, [r["val_loss"] for r in history], label="validation")
    if target is not None:
        ax.axhline(target, color="gray", ls="--", lw=1, label=f"target {target}")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats per character)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return _finish(fig, path)


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
        if all(isinstance(v, (int, float)) and v > 0 for v in values) and \
                max(values) / min(values) >= 10:
            ax.set_xscale("log")
        ax.set_xlabel(name)
        if k == 0:
            ax.set_ylabel(metric)
            ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    return _finish(fig, path)


def plot_scaling(fits, path=None, title="cost vs size"):
    """Log-log plots of measurements with their fitted power laws: time on the left, memory
    (every fit whose label does not say "time") on the right.

    fits: list of rnnkit.analysis.complexity.ScalingFit (one curve each).
    """
    if not fits:
        raise ValueError("fits is empty: nothing to plot")
    panels = [("seconds", [f for f in fits if "time" in f.label]),
              ("bytes", [f for f in fits if "time" not in f.label])]
    panels = [(unit, group) for unit, group in panels if group]
    fig = Figure(figsize=(5.2 * len(panels), 4.2))
    for k, (unit, group) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        for fit in group:
            line, = ax.loglog(fit.sizes, fit.values, "o")
            xs = np.geomspace(min(fit.sizes), max(fit.sizes), 50)
            ax.loglog(xs, fit.predict(xs), "-", color=line.get_color(),
                      label=f"{fit.label}: slope {fit.exponent:.2f} (theory {fit.theory:g})")
        ax.set_xlabel("size")
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
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


def plot_hidden_heatmap(h, path=None, title="hidden state", text=None):
    """h (T, H): one row per unit, one column per time step; text labels the columns."""
    h = np.asarray(h)
    if h.ndim != 2:
        raise ValueError(f"h must have shape (T, H), got {h.shape}")
    fig = Figure(figsize=(min(12, 2 + 0.12 * h.shape[0]), min(8, 1.5 + 0.08 * h.shape[1])))
    ax = fig.add_subplot()
    image = ax.imshow(h.T, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    fig.colorbar(image, ax=ax)
    if text is not None:
        ax.set_xticks(np.arange(len(text)))
        ax.set_xticklabels([repr(ch)[1:-1] for ch in text], fontsize=6, family="monospace")
    else:
        ax.set_xlabel("time step")
    ax.set_ylabel("unit")
    ax.set_title(title)
    return _finish(fig, path)


def plot_gate_histograms(gates, path=None, title="gate activations"):
    """gates: name -> array of activations in [0, 1] (or [-1, 1] for tanh ones)."""
    if not gates:
        raise ValueError("gates is empty: nothing to plot")
    fig = Figure(figsize=(3.2 * len(gates), 3))
    for k, (name, values) in enumerate(gates.items()):
        ax = fig.add_subplot(1, len(gates), k + 1)
        ax.hist(np.ravel(values), bins=40)
        ax.set_title(name)
        ax.set_yscale("log")
    fig.suptitle(title)
    return _finish(fig, path)


def plot_traces(traces, path=None, title="activations over time", units=8):
    """traces: name -> array (T, H); the first ``units`` units of each, one panel per name."""
    fig = Figure(figsize=(6.4, 2.2 * len(traces)))
    for k, (name, values) in enumerate(traces.items()):
        ax = fig.add_subplot(len(traces), 1, k + 1)
        ax.plot(np.asarray(values)[:, :units])
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
    ax.set_xlabel("time step")
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
