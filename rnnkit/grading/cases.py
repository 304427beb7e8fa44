"""The test cases: sizes and inputs, generated from (exercise name, seed) alone.

The grader regenerates a student's inputs from a record's seed with this module, so nothing here
may depend on state a notebook kernel could change: only the name, the base seed, the case index
and `hidden`.
"""
import zlib
from dataclasses import dataclass

import numpy as np

# Sizes chosen to catch classic slips: N = 1 and T = 1 (lost axes), D != H (transposes that only
# work on square matrices fail loudly), one case with D == H == V (transposes that *do* run are
# caught by value), odd sizes.
STEP_SIZES = [dict(N=1, D=3, H=4), dict(N=2, D=5, H=3), dict(N=3, D=4, H=4),
              dict(N=4, D=2, H=5), dict(N=3, D=6, H=7)]
SEQUENCE_SIZES = [dict(N=1, T=1, D=3, H=4), dict(N=2, T=3, D=5, H=3), dict(N=3, T=4, D=4, H=4),
                  dict(N=1, T=5, D=2, H=6), dict(N=4, T=2, D=3, H=5)]
HIDDEN_STEP_SIZES = [dict(N=6, D=7, H=8), dict(N=9, D=5, H=6), dict(N=2, D=10, H=9)]
HIDDEN_SEQUENCE_SIZES = [dict(N=5, T=6, D=7, H=8), dict(N=3, T=9, D=6, H=6),
                         dict(N=7, T=3, D=9, H=4)]
# vocabulary size per case (affine layer and loss); case 2 has V == H
VOCAB = [4, 5, 4, 7, 3, 6, 8, 5]


@dataclass(frozen=True)
class Case:
    index: int     # 0-based position in the plan
    seed: int      # the check's base seed
    sizes: dict    # N, T, D, H, V as the exercise uses them

    def describe(self):
        return ", ".join(f"{k}={v}" for k, v in self.sizes.items())


def default_case_count(hidden):
    return 8 if hidden else 5


def case_plan(exercise, seed, hidden=False, n_cases=None):
    """The list of cases a check runs: fixed sizes first, then sizes drawn from the seed."""
    n = default_case_count(hidden) if n_cases is None else int(n_cases)
    if n < 1:
        raise ValueError(f"cases must be at least 1, got {n_cases}")
    if exercise.family in ("numgrad", "clip"):
        base = [dict(N=s["N"], D=s["D"]) for s in STEP_SIZES + HIDDEN_STEP_SIZES]
    elif exercise.sequence:
        base = SEQUENCE_SIZES + (HIDDEN_SEQUENCE_SIZES if hidden else [])
    else:
        base = STEP_SIZES + (HIDDEN_STEP_SIZES if hidden else [])
    rng = np.random.default_rng([seed, 9999])
    plan = []
    for i in range(n):
        if i < len(base):
            sizes = dict(base[i])
        else:  # more cases than the fixed list: random small sizes
            sizes = {k: int(rng.integers(1, 7)) for k in base[0]}
        if exercise.family in ("affine", "loss"):
            sizes["V"] = VOCAB[i % len(VOCAB)]
        plan.append(Case(i, int(seed), sizes))
    return plan


def case_rng(name, case):
    """The generator of one case's values: depends on the name, the base seed and the index."""
    return np.random.default_rng([case.seed, case.index, zlib.crc32(name.encode())])


def _cell_inputs(exercise, case, rng):
    s = case.sizes
    N, D, H = s["N"], s["D"], s["H"]
    G = {"rnn": 1, "lstm": 4, "gru": 3}[exercise.family]
    sequence = exercise.sequence
    x_shape = (N, s["T"], D) if sequence else (N, D)
    h_name = "h0" if sequence else "h_prev"
    # weights scaled like a trained net's so that tanh and σ are not saturated: their
    # derivatives then carry information and every term of the gradient matters
    inputs = {
        "x": rng.standard_normal(x_shape),
        h_name: rng.uniform(-0.9, 0.9, (N, H)),
        "W_ih": rng.standard_normal((G * H, D)) / np.sqrt(D),
        "W_hh": rng.standard_normal((G * H, H)) / np.sqrt(H),
        "b_ih": 0.5 * rng.standard_normal(G * H),
        "b_hh": 0.5 * rng.standard_normal(G * H),
    }
    if exercise.family == "lstm":
        inputs["c0" if sequence else "c_prev"] = rng.standard_normal((N, H))
    # upstream gradients (drawn even for a forward, so a backward's forward inputs are the same)
    if sequence:
        inputs["dh"] = rng.standard_normal((N, s["T"], H))
    else:
        inputs["dh_next"] = rng.standard_normal((N, H))
        if exercise.family == "lstm":
            inputs["dc_next"] = rng.standard_normal((N, H))
    return inputs


def _affine_inputs(case, rng):
    s = case.sizes
    N, T, H, V = s["N"], s["T"], s["H"], s["V"]
    return {"h": rng.standard_normal((N, T, H)), "W": rng.standard_normal((V, H)) / np.sqrt(H),
            "b": rng.standard_normal(V), "dscores": rng.standard_normal((N, T, V))}


def _loss_inputs(case, rng):
    s = case.sizes
    N, T, V = s["N"], s["T"], s["V"]
    scores = rng.standard_normal((N, T, V))
    if case.index == 3:
        scores *= 400.0  # large scores: exp overflows unless the row maximum is subtracted
        scores[0, 0, 0] = 1000.0
    y = rng.integers(0, V, (N, T))
    mask = rng.random((N, T)) < 0.7
    if case.index == 0:
        mask[:] = True
    return {"scores": scores, "y": y, "mask": mask}


class SmoothFunction:
    """f(x) = tanh(x A + c) ⊙ B: the function whose numerical gradient is asked for.

    A picklable object rather than a lambda, built from the case's numbers only.
    """

    def __init__(self, A, c, B):
        self.A, self.c, self.B = A, c, B

    def __call__(self, x):
        return np.tanh(x @ self.A + self.c) * self.B

    def __repr__(self):
        return f"f(x) = tanh(x A + c) * B with A of shape {self.A.shape}"


def _numgrad_inputs(case, rng):
    N, D = case.sizes["N"], case.sizes["D"]
    M = D + 1
    f = SmoothFunction(rng.standard_normal((D, M)) / np.sqrt(D), 0.3 * rng.standard_normal(M),
                       rng.uniform(0.5, 1.5, M))
    return {"f": f, "x": rng.standard_normal((N, D)), "df": rng.standard_normal((N, M))}


def _clip_inputs(case, rng):
    N, D = case.sizes["N"], case.sizes["D"]
    grads = {"W_ih": rng.standard_normal((D + 1, D)), "W_hh": rng.standard_normal((D + 1, D + 1)),
             "b": rng.standard_normal(D + 1)}
    norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
    # even cases clip (max_norm well below the norm), odd ones do not (well above)
    factor = rng.uniform(0.2, 0.6) if case.index % 2 == 0 else rng.uniform(1.5, 3.0)
    return {"grads": grads, "max_norm": float(norm * factor)}


def make_inputs(exercise, case):
    """Every input of one case (forward arguments and upstream gradients), as a dict."""
    rng = case_rng(exercise.name, case)
    family = exercise.family
    if family in ("rnn", "lstm", "gru"):
        return _cell_inputs(exercise, case, rng)
    if family == "affine":
        return _affine_inputs(case, rng)
    if family == "loss":
        return _loss_inputs(case, rng)
    if family == "numgrad":
        return _numgrad_inputs(case, rng)
    return _clip_inputs(case, rng)
