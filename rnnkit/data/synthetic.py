"""Synthetic tasks that need memory over many time steps.

Every generator takes a seed and returns float64 inputs batch-first (N, T, D).
"""
import numpy as np


def _check_positive(**values):
    for name, value in values.items():
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def adding_problem(n, T, seed=None):
    """Hochreiter & Schmidhuber's adding problem.

    x (n, T, 2): channel 0 uniform in [0, 1], channel 1 marks exactly two positions (one in
    each half of the sequence); y (n, 1): the sum of the two marked numbers. Predicting the
    mean (y = 1) gives MSE ≈ 1/6 ≈ 0.167; solving it needs memory over ~T/2 steps.
    """
    _check_positive(n=n, T=T)
    if T < 2:
        raise ValueError(f"T must be at least 2, got {T}")
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 1, (n, T))
    half = T // 2
    first = rng.integers(0, half, n)
    second = rng.integers(half, T, n)
    marks = np.zeros((n, T))
    marks[np.arange(n), first] = 1
    marks[np.arange(n), second] = 1
    x = np.stack([values, marks], axis=2)
    y = (values[np.arange(n), first] + values[np.arange(n), second])[:, None]
    return x, y


def copy_task(n, seq_len=5, delay=10, n_symbols=8, seed=None):
    """Remember a sequence of symbols and repeat it after a delay.

    Inputs are one-hot over n_symbols + 2 classes (symbols, blank = n_symbols,
    go = n_symbols + 1): seq_len symbols, delay - 1 blanks, one go marker, then seq_len blanks.
    Returns x (n, T, n_symbols + 2), y (n, T) int64 targets, mask (n, T) bool that selects the
    last seq_len steps, where the symbols must be repeated. T = 2*seq_len + delay.
    """
    _check_positive(n=n, seq_len=seq_len, delay=delay, n_symbols=n_symbols)
    rng = np.random.default_rng(seed)
    T, blank, go = 2 * seq_len + delay, n_symbols, n_symbols + 1
    symbols = rng.integers(0, n_symbols, (n, seq_len))
    tokens = np.full((n, T), blank)
    tokens[:, :seq_len] = symbols
    tokens[:, seq_len + delay - 1] = go
    y = np.full((n, T), blank)
    y[:, -seq_len:] = symbols
    mask = np.zeros((n, T), dtype=bool)
    mask[:, -seq_len:] = True
    x = np.eye(n_symbols + 2)[tokens]
    return x, y.astype(np.int64), mask


def noisy_sine(n, T, noise=0.1, seed=None):
    """Predict the next value of a sine with random frequency and phase from noisy samples.

    x (n, T, 1) noisy sin(ω t + φ); y (n, T, 1) the clean value at t + 1.
    """
    _check_positive(n=n, T=T)
    if noise < 0:
        raise ValueError(f"noise must be non-negative, got {noise}")
    rng = np.random.default_rng(seed)
    omega = rng.uniform(0.1, 0.5, (n, 1))
    phi = rng.uniform(0, 2 * np.pi, (n, 1))
    t = np.arange(T + 1)[None, :]
    clean = np.sin(omega * t + phi)
    x = clean[:, :-1] + noise * rng.standard_normal((n, T))
    return x[:, :, None], clean[:, 1:, None]
