"""Gradient flow through time, gate activations and saturation.

With the loss at the last step only, ∂L/∂h_t = ∂L/∂h_T · Π_{k>t} ∂h_k/∂h_{k-1}: a product of
T - t Jacobians. For a vanilla RNN each Jacobian is diag(1 - h_k²) W_hh, so the norm shrinks
(or grows) roughly like ρ(W_hh)^(T-t): gradients vanish for a spectral radius ρ < 1 and can
explode for ρ > 1. The LSTM's cell state adds a path c_{t-1} -> c_t with Jacobian diag(f_t),
and the GRU's h_t = (1 - z) n + z h_{t-1} a path with diag(z_t): gates near 1 keep the gradient.

    norms = gradient_norms("rnn", W_ih, W_hh, b_ih, b_hh, x)     # (T,) mean ‖∂L/∂h_t‖
"""
import numpy as np

from rnnkit.reference import (gru_step_backward, gru_step_forward, lstm_step_backward,
                              lstm_step_forward, rnn_step_backward, rnn_step_forward, sigmoid)

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def set_spectral_radius(W_hh, radius, G=1):
    """W_hh with each of its G gate blocks (H, H) rescaled to spectral radius ``radius``."""
    H = W_hh.shape[1]
    W = np.array(W_hh, dtype=np.float64)
    for g in range(G):
        block = W[g * H:(g + 1) * H]
        rho = np.max(np.abs(np.linalg.eigvals(block)))
        W[g * H:(g + 1) * H] = block * (radius / rho)
    return W


def random_parameters(cell, D, H, radius=1.0, seed=0, forget_bias=0.0):
    """W_ih, W_hh, b_ih, b_hh in PyTorch's layout; W_hh blocks have spectral radius ``radius``.

    forget_bias is added to the LSTM's forget-gate bias (1 is a common choice: σ(1) ≈ 0.73).
    """
    rng = np.random.default_rng(seed)
    G = GATES[cell]
    W_ih = rng.uniform(-1, 1, (G * H, D)) / np.sqrt(H)
    W_hh = set_spectral_radius(rng.standard_normal((G * H, H)), radius, G)
    b_ih, b_hh = np.zeros(G * H), np.zeros(G * H)
    if cell == "lstm":
        b_ih[H:2 * H] = forget_bias
    return W_ih, W_hh, b_ih, b_hh


def _forward_steps(cell, x, h0, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh", reset_after=True):
    """Per-step caches of the reference cell (the same numbers the layers compute)."""
    N, T, _ = x.shape
    h, c = h0, np.zeros_like(h0)
    caches, hs = [], []
    for t in range(T):
        if cell == "rnn":
            h, cache = rnn_step_forward(x[:, t], h, W_ih, W_hh, b_ih, b_hh, nonlinearity)
        elif cell == "lstm":
            h, c, cache = lstm_step_forward(x[:, t], h, c, W_ih, W_hh, b_ih, b_hh)
        else:
            h, cache = gru_step_forward(x[:, t], h, W_ih, W_hh, b_ih, b_hh, reset_after)
        caches.append(cache)
        hs.append(h)
    return np.stack(hs, axis=1), caches


def gradient_norms(cell, W_ih, W_hh, b_ih, b_hh, x, h0=None, dh_T=None, **options):
    """Mean over the batch of ‖∂L/∂h_t‖ for t = 0..T-1, for a loss L at the last step only.

    dh_T (N, H) is ∂L/∂h_T (default: unit vectors along the ones direction). Returns (T,).
    """
    x = np.asarray(x, dtype=np.float64)
    N, T, _ = x.shape
    H = W_hh.shape[1]
    h0 = np.zeros((N, H)) if h0 is None else h0
    _, caches = _forward_steps(cell, x, h0, W_ih, W_hh, b_ih, b_hh, **options)
    dh = np.ones((N, H)) / np.sqrt(H) if dh_T is None else dh_T
    dc = np.zeros((N, H))
    norms = np.empty(T)
    for t in reversed(range(T)):
        norms[t] = np.mean(np.linalg.norm(dh, axis=1))
        if cell == "rnn":
            dh = rnn_step_backward(dh, caches[t])[1]
        elif cell == "lstm":
            _, dh, dc = lstm_step_backward(dh, dc, caches[t])[:3]
        else:
            dh = gru_step_backward(dh, caches[t])[1]
    return norms


def gradient_flow_study(cells=("rnn", "lstm", "gru"), radii=(0.5, 1.0, 1.5), T=100, H=32,
                        N=16, D=2, seed=0, x=None, forget_bias=0.0):
    """label ("LSTM ρ=1.0") -> (T,) gradient norms, for every cell and spectral radius.

    x (N, T, D) defaults to adding-problem inputs, so the figure relates to that task. With
    untrained weights the gates sit near σ(0) = 0.5, so the LSTM's and GRU's gradients vanish
    too; training (or a forget_bias) opens the gates: compare ``rnnkit analyze adding``.
    """
    if x is None:
        from rnnkit.data import adding_problem

        x = adding_problem(N, T, seed=seed)[0]
    D = x.shape[2]
    result = {}
    for cell in cells:
        for radius in radii:
            params = random_parameters(cell, D, H, radius, seed, forget_bias)
            result[f"{cell.upper()} ρ={radius:g}"] = gradient_norms(cell, *params, x)
    return result


def gate_activations(cell, W_ih, W_hh, b_ih, b_hh, x, h0=None, c0=None, reset_after=True,
                     nonlinearity="tanh"):
    """Every gate's activation at every step: name -> (N, T, H), plus "h" (and "c").

    Computed from the equations in one pass over time; for a stacked or trained layer pass
    that layer's parameters (layer_parameters(layer, index)). nonlinearity: the RNN's
    activation, "tanh" or "relu" (ignored by LSTM and GRU, whose gates are fixed).
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    act = np.tanh if nonlinearity == "tanh" else (lambda a: np.maximum(a, 0.0))
    x = np.asarray(x, dtype=np.float64)
    N, T, _ = x.shape
    H = W_hh.shape[1]
    h = np.zeros((N, H)) if h0 is None else np.asarray(h0, dtype=np.float64)
    c = np.zeros((N, H)) if c0 is None else np.asarray(c0, dtype=np.float64)
    names = {"rnn": ["h"], "lstm": ["i", "f", "g", "o", "c", "h"], "gru": ["r", "z", "n", "h"]}
    out = {name: np.empty((N, T, H)) for name in names[cell]}
    gi_all = x @ W_ih.T + b_ih  # the input part of every step at once (N, T, G*H)
    for t in range(T):
        gi = gi_all[:, t]
        if cell == "rnn":
            h = act(gi + h @ W_hh.T + b_hh)
        elif cell == "lstm":
            a = gi + h @ W_hh.T + b_hh
            i, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])
            g, o = np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
            c = f * c + i * g
            h = o * np.tanh(c)
            for name, value in (("i", i), ("f", f), ("g", g), ("o", o), ("c", c)):
                out[name][:, t] = value
        else:
            gh = h @ W_hh[:2 * H].T + b_hh[:2 * H]
            r, z = sigmoid(gi[:, :H] + gh[:, :H]), sigmoid(gi[:, H:2 * H] + gh[:, H:])
            if reset_after:
                n = np.tanh(gi[:, 2 * H:] + r * (h @ W_hh[2 * H:].T + b_hh[2 * H:]))
            else:
                n = np.tanh(gi[:, 2 * H:] + (r * h) @ W_hh[2 * H:].T + b_hh[2 * H:])
            h = (1 - z) * n + z * h
            out["r"][:, t], out["z"][:, t], out["n"][:, t] = r, z, n
        out["h"][:, t] = h
    return out


def saturation(activations, eps=0.05, nonlinearity="tanh"):
    """Fraction of saturated values per gate: sigmoid gates < eps or > 1 - eps; tanh values
    (g, n, h) with |v| > 1 - eps. Saturated units pass (almost) no gradient through σ' or tanh'.
    For a relu RNN (pass nonlinearity="relu") "low" of h is the fraction of inactive units (h = 0,
    where relu' = 0); relu has no upper bound, so its "high" is 0.

    activations: name -> array (from gate_activations). Returns name -> dict(low, high, total).
    """
    stats = {}
    for name, v in activations.items():
        v = np.asarray(v)
        if name == "c":
            continue  # the cell state is not squashed
        if name == "h" and nonlinearity == "relu":
            low, high = np.mean(v <= 0), 0.0
        elif name in ("g", "n", "h"):
            low, high = np.mean(v < -1 + eps), np.mean(v > 1 - eps)
        else:
            low, high = np.mean(v < eps), np.mean(v > 1 - eps)
        stats[name] = {"low": float(low), "high": float(high), "total": float(low + high)}
    return stats


def layer_parameters(layer, index=0):
    """(W_ih, W_hh, b_ih, b_hh) of layer ``index`` of an rnnkit RNN/LSTM/GRU, as float64."""
    p = layer.parameters()
    return tuple(p[f"{name}_l{index}"].astype(np.float64)
                 for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))


def model_traces(model, text):
    """Activations of every layer of a trained CharLM while it reads ``text``.

    Returns a list with one dict per layer (index 0: the layer that reads the characters),
    name -> (T, H): the gates, "h" (and "c"). Layer l reads layer l-1's h, as in the model.
    """
    ids = model.vocab.encode(text)[None, :]
    x = model._inputs(ids).astype(np.float64)
    options = {"reset_after": model.config["reset_after"],
               "nonlinearity": model_nonlinearity(model)}
    layers = []
    for index in range(model.config["num_layers"]):
        acts = gate_activations(model.cell, *layer_parameters(model.rnn, index), x, **options)
        layers.append({name: v[0] for name, v in acts.items()})
        x = acts["h"]
    return layers


def model_nonlinearity(model):
    """The activation of h in a CharLM: its RNN's "tanh" or "relu"; LSTM/GRU: always "tanh"."""
    return model.config["nonlinearity"] if model.cell == "rnn" else "tanh"
