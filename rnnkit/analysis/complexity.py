"""Time and memory of a recurrent layer against T, H and N, with fitted power laws.

Theory, for one layer with input size D, hidden size H, batch N and T steps:

- time: each step multiplies (N, D) and (N, H) by weight matrices of G·H rows, so forward and
  backward cost O(N·T·G·H·(D + H)): linear in T and N, quadratic in H once H ≫ D;
- memory: BPTT keeps every step's activations for the backward, O(N·T·G·H): linear in T, N, H
  (the weights, O(G·H·(D+H)), do not grow with T or N).

    fits = scaling_study("T", [25, 50, 100, 200], cell="lstm", backend="numba")
    for fit in fits: print(fit.label, fit.exponent, "theory", fit.theory)
"""
import time
import tracemalloc
from dataclasses import dataclass, field

import numpy as np

from rnnkit.layers import GRU, LSTM, RNN

LAYERS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
#: theoretical exponents: (quantity, varied size) -> exponent
THEORY = {
    ("time", "T"): 1, ("time", "N"): 1, ("time", "H"): 2,
    ("memory", "T"): 1, ("memory", "N"): 1, ("memory", "H"): 1,
}


def fit_power_law(sizes, values):
    """Least-squares fit of log(values) = exponent * log(sizes) + log(coefficient).

    Returns (exponent, coefficient). Needs at least two distinct positive sizes.
    """
    sizes, values = np.asarray(sizes, dtype=float), np.asarray(values, dtype=float)
    if sizes.shape != values.shape or sizes.ndim != 1:
        raise ValueError(f"sizes and values must be 1-d of equal length, got {sizes.shape} "
                         f"and {values.shape}")
    if len(np.unique(sizes)) < 2 or np.any(sizes <= 0) or np.any(values <= 0):
        raise ValueError("need at least two distinct sizes, and positive sizes and values")
    exponent, log_coefficient = np.polyfit(np.log(sizes), np.log(values), 1)
    return float(exponent), float(np.exp(log_coefficient))


def r_squared(sizes, values, exponent, coefficient):
    """How well the power law explains the points, in log space: 1 - SS_res / SS_tot.

    1 is a perfect straight line on the log-log plot; a value well below ~0.95 means the
    points do not follow a power law, so the exponent means little (e.g. timings disturbed by
    other jobs on the machine). Points that are all equal give 1 if the fit is flat, else 0.
    """
    log_v = np.log(np.asarray(values, dtype=float))
    predicted = np.log(coefficient) + exponent * np.log(np.asarray(sizes, dtype=float))
    ss_res = float(np.sum((log_v - predicted) ** 2))
    ss_tot = float(np.sum((log_v - log_v.mean()) ** 2))
    if ss_tot == 0:
        return 1.0 if ss_res < 1e-20 else 0.0
    return 1.0 - ss_res / ss_tot


#: below this R², format_fits warns that the fitted exponent is not to be trusted
MIN_R_SQUARED = 0.95


@dataclass
class ScalingFit:
    label: str                 # e.g. "forward+backward time"
    sizes: list
    values: list
    theory: float              # the expected exponent
    exponent: float = field(init=False)
    coefficient: float = field(init=False)
    r_squared: float = field(init=False)  # fit quality in log space (1: a perfect power law)

    def __post_init__(self):
        self.exponent, self.coefficient = fit_power_law(self.sizes, self.values)
        self.r_squared = r_squared(self.sizes, self.values, self.exponent, self.coefficient)

    @property
    def poor(self):
        """True when the points do not follow a power law (R² < MIN_R_SQUARED)."""
        return self.r_squared < MIN_R_SQUARED

    def predict(self, sizes):
        return self.coefficient * np.asarray(sizes, dtype=float) ** self.exponent


def _array_bytes(obj, seen=None):
    """Bytes of every distinct numpy array reachable through tuples/lists/dicts (a cache)."""
    seen = set() if seen is None else seen
    if isinstance(obj, np.ndarray):
        base = obj if obj.base is None else obj.base
        if id(base) in seen or not isinstance(base, np.ndarray):
            return 0
        seen.add(id(base))
        return base.nbytes
    if isinstance(obj, (tuple, list)):
        return sum(_array_bytes(o, seen) for o in obj)
    if isinstance(obj, dict):
        return sum(_array_bytes(o, seen) for o in obj.values())
    return 0


def measure(cell="lstm", N=16, T=50, H=64, D=32, backend="numpy", dtype=np.float32, repeats=3,
            seed=0):
    """Best-of-``repeats`` seconds of forward and forward+backward, and memory.

    Returns a dict: forward_s, forward_backward_s, cache_bytes (arrays kept for BPTT, the
    O(N·T·H) term), peak_bytes (peak of numpy allocations during forward+backward, from
    tracemalloc; allocations made inside compiled kernels are not seen by it).
    """
    layer = LAYERS[cell](D, H, dtype=dtype, backend=backend, seed=seed)
    x = np.random.default_rng(seed).standard_normal((N, T, D)).astype(dtype)
    d_out = np.ones((N, T, H), dtype=dtype)
    layer.forward(x)
    layer.backward(d_out)  # warm-up (compiles Numba kernels on first use)
    forward_s = backward_s = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        layer.forward(x)
        middle = time.perf_counter()
        layer.backward(d_out)
        end = time.perf_counter()
        forward_s = min(forward_s, middle - start)
        backward_s = min(backward_s, end - start)
    tracemalloc.start()
    try:
        layer.forward(x)
        # the weights are referenced by the cache but do not grow with T or N: not counted
        cache_bytes = _array_bytes(layer._caches, seen={id(p) for p in layer.params.values()})
        layer.backward(d_out)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {"cell": cell, "backend": backend, "N": N, "T": T, "H": H, "D": D,
            "forward_s": forward_s, "forward_backward_s": backward_s,
            "cache_bytes": cache_bytes, "peak_bytes": peak}


def scaling_study(vary, values, cell="lstm", backend="numpy", fixed=None, repeats=3,
                  dtype=np.float32):
    """Measure while ``vary`` ("T", "H" or "N") takes ``values``; returns (rows, fits).

    fits: forward time, forward+backward time, cache memory and peak memory, each a ScalingFit
    with its theoretical exponent.
    """
    if vary not in ("T", "H", "N"):
        raise ValueError(f"vary must be 'T', 'H' or 'N', got {vary!r}")
    if len(values) < 2:
        raise ValueError("values must hold at least two sizes")
    sizes = {**dict(N=16, T=50, H=64, D=32), **(fixed or {})}
    # varying H: the input grows with it (D = H, as in a stacked layer), so time ~ H², not H·(D+H)
    tie_input = vary == "H" and "D" not in (fixed or {})
    rows = [measure(cell, backend=backend, repeats=repeats, dtype=dtype,
                    **{**sizes, vary: int(v), **({"D": int(v)} if tie_input else {})})
            for v in values]
    time_theory, memory_theory = THEORY[("time", vary)], THEORY[("memory", vary)]
    fits = [
        ScalingFit(f"forward time vs {vary}", list(values),
                   [r["forward_s"] for r in rows], time_theory),
        ScalingFit(f"forward+backward time vs {vary}", list(values),
                   [r["forward_backward_s"] for r in rows], time_theory),
        ScalingFit(f"BPTT cache bytes vs {vary}", list(values),
                   [r["cache_bytes"] for r in rows], memory_theory),
    ]
    if all(r["peak_bytes"] > 0 for r in rows):
        fits.append(ScalingFit(f"peak numpy bytes vs {vary}", list(values),
                               [r["peak_bytes"] for r in rows], memory_theory))
    return rows, fits


def format_fits(fits):
    """A table of the fits (exponent, R², theory), then a warning for each poor fit."""
    lines = [f"{'quantity':<36} {'fitted exponent':>15} {'R²':>6} {'theory':>7}"]
    lines += [f"{f.label:<36} {f.exponent:>15.2f} {f.r_squared:>6.3f} {f.theory:>7g}"
              for f in fits]
    for f in fits:
        if f.poor:
            advice = ("; timings are easily disturbed by other jobs on the machine: rerun when "
                      "it is idle, with more repeats, one thread or larger sizes"
                      if "time" in f.label else "")
            lines.append(f"warning: {f.label}: the points do not follow a power law "
                         f"(R² = {f.r_squared:.2f} < {MIN_R_SQUARED}), so its exponent "
                         f"{f.exponent:.2f} is not meaningful{advice}")
    return "\n".join(lines)
