"""Check every analytic gradient of a backend against central differences, in float64.

For each cell (RNN tanh/relu, LSTM, GRU with reset after and before) on a small shape, the loss

    L = sum(h ⊙ dh) + sum(h_n ⊙ dh_n) [+ sum(c_n ⊙ dc_n) for the LSTM]

with fixed random upstream gradients dh, dh_n, dc_n has, by definition, the gradients that
``sequence_backward(cell, dh, dh_n, dc_n, cache)`` returns. Each input and parameter is then
perturbed one element at a time (h = 1e-5) and the two gradients are compared.

    rows = gradcheck(backend="numpy")     # list of GradcheckRow
    print(format_table(rows))
"""
from dataclasses import dataclass

import numpy as np

from rnnkit.backends import get_backend
from rnnkit.reference.gradcheck import eval_numerical_gradient, rel_error, scaled_error

#: (name, cell, options) of every configuration that is checked
CASES = (
    ("RNN tanh", "rnn", {"nonlinearity": "tanh"}),
    ("RNN relu", "rnn", {"nonlinearity": "relu"}),
    ("LSTM", "lstm", {}),
    ("GRU reset_after=True", "gru", {"reset_after": True}),
    ("GRU reset_after=False", "gru", {"reset_after": False}),
)
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
TOLERANCE = 1e-6


@dataclass
class GradcheckRow:
    case: str            # e.g. "LSTM"
    name: str            # "x", "h0", "c0", "W_ih", "W_hh", "b_ih", "b_hh" (or a model parameter)
    shape: tuple
    scaled_error: float  # max|analytic - numerical| / max|numerical| (decides PASS)
    rel_error: float     # CS231n's elementwise relative error (for comparison)
    passed: bool


def _inputs(cell, N, T, D, H, rng):
    G = GATES[cell]
    arrays = {
        "x": rng.standard_normal((N, T, D)),
        "h0": rng.standard_normal((N, H)) * 0.5,
        "W_ih": rng.standard_normal((G * H, D)) * 0.4,
        "W_hh": rng.standard_normal((G * H, H)) * 0.4,
        "b_ih": rng.standard_normal(G * H) * 0.1,
        "b_hh": rng.standard_normal(G * H) * 0.1,
    }
    if cell == "lstm":
        arrays["c0"] = rng.standard_normal((N, H)) * 0.5
    return arrays


def check_case(cell, options, backend="numpy", N=2, T=3, D=4, H=5, seed=0, h=1e-5):
    """[(name, analytic, numerical)] for every input and parameter of one cell configuration."""
    seq = get_backend(backend)
    rng = np.random.default_rng(seed)
    a = _inputs(cell, N, T, D, H, rng)
    if cell == "rnn" and options.get("nonlinearity") == "relu":
        # keep pre-activations away from relu's kink, where the derivative jumps
        a["b_ih"] += 0.5
    dh = rng.standard_normal((N, T, H))
    dh_n = rng.standard_normal((N, H))
    dc_n = rng.standard_normal((N, H)) if cell == "lstm" else None

    def run_forward():
        return seq.sequence_forward(cell, a["x"], a["h0"], a.get("c0"), a["W_ih"], a["W_hh"],
                                    a["b_ih"], a["b_hh"], **options)

    def loss(_):
        h_all, h_n, c_n, _cache = run_forward()
        value = np.sum(h_all * dh) + np.sum(h_n * dh_n)
        return value + (np.sum(c_n * dc_n) if cell == "lstm" else 0.0)

    *_, cache = run_forward()
    dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh = seq.sequence_backward(cell, dh, dh_n, dc_n, cache)
    analytic = {"x": dx, "h0": dh0, "c0": dc0, "W_ih": dW_ih, "W_hh": dW_hh,
                "b_ih": db_ih, "b_hh": db_hh}
    results = []
    for name, value in a.items():
        numerical = eval_numerical_gradient(loss, value, h=h)  # perturbs a[name] in place
        results.append((name, np.asarray(analytic[name]), numerical))
    return results


def check_char_lm(backend="numpy", N=2, T=4, V=6, H=5, seed=0, h=1e-5):
    """[(name, analytic, numerical)] for every parameter of a 2-layer char-LSTM language model
    (embedding -> LSTM -> Linear -> softmax cross-entropy), the whole model the trainer uses."""
    from rnnkit.losses import softmax_cross_entropy
    from rnnkit.model import CharLM

    rng = np.random.default_rng(seed)
    model = CharLM(V, H, num_layers=2, cell="lstm", embedding_dim=3, dtype=np.float64,
                   backend=backend, seed=seed)
    x, y = rng.integers(0, V, (N, T)), rng.integers(0, V, (N, T))
    state = model.initial_state(N)
    state = (rng.standard_normal(state[0].shape) * 0.5, rng.standard_normal(state[1].shape) * 0.5)

    def loss(_):
        return softmax_cross_entropy(model.forward(x, state)[0], y)[0]

    scores, _ = model.forward(x, state)
    grads = model.backward(softmax_cross_entropy(scores, y)[1])
    return [(name, grads[name], eval_numerical_gradient(loss, p, h=h))
            for name, p in model.parameters().items()]


def gradcheck(backend="numpy", seed=0, cases=CASES, tolerance=TOLERANCE, char_lm=True):
    """Check every case (and the char-LM if ``char_lm``); returns a list of GradcheckRow.

    A row passes when its scaled_error <= tolerance.
    """
    rows = []
    checks = [(case, lambda cell=cell, options=options: check_case(
        cell, options, backend=backend, seed=seed)) for case, cell, options in cases]
    if char_lm:
        checks.append(("char-LM 2xLSTM", lambda: check_char_lm(backend, seed=seed)))
    for case, check in checks:
        for name, analytic, numerical in check():
            if analytic.shape != numerical.shape:
                raise ValueError(f"{case}: d{name} has shape {analytic.shape}, "
                                 f"expected {numerical.shape}")
            err = scaled_error(analytic, numerical)
            rows.append(GradcheckRow(case, name, numerical.shape, err,
                                     rel_error(analytic, numerical), err <= tolerance))
    return rows


def format_table(rows, tolerance=TOLERANCE):
    """A fixed-width text table, one line per checked array."""
    header = (f"{'case':<22} {'array':<18} {'shape':<10} {'scaled_error':>12} "
              f"{'rel_error':>10}  result (tolerance {tolerance:g})")
    lines = [header, "-" * len(header)]
    for r in rows:
        shape = "x".join(map(str, r.shape))
        lines.append(f"{r.case:<22} {r.name:<18} {shape:<10} {r.scaled_error:>12.2e} "
                     f"{r.rel_error:>10.2e}  {'PASS' if r.passed else 'FAIL'}")
    return "\n".join(lines)
