"""What the CPU-kernel tests share: the variants, random arguments, and both backends' results."""
import numpy as np

from rnnkit._checks import GATES
from rnnkit.cpu import sequence as numba_backend
from rnnkit.reference import sequence as numpy_backend

#: every kernel family: (cell, keyword arguments of sequence_forward)
VARIANTS = [
    ("rnn", dict(nonlinearity="tanh")),
    ("rnn", dict(nonlinearity="relu")),
    ("lstm", {}),
    ("gru", dict(reset_after=True)),
    ("gru", dict(reset_after=False)),
]
VARIANT_IDS = ["rnn-tanh", "rnn-relu", "lstm", "gru-after", "gru-before"]

#: tolerances relative to max|reference| (rnnkit.reference.scaled_error); float32 includes the
#: rational tanh approximation (≈ 3e-7, rnnkit/cpu/_math.py)
TOLERANCE = {np.float64: 1e-10, np.float32: 1e-4}

NAMES = ["h", "h_n", "c_n", "dx", "dh0", "dc0", "dW_ih", "dW_hh", "db_ih", "db_hh"]


def random_case(cell, N, T, D, H, seed):
    """float64 arguments of a forward and a backward pass, with upstream gradients."""
    rng = np.random.default_rng(seed)
    G = GATES[cell]
    args = dict(
        x=rng.standard_normal((N, T, D)),
        h0=0.5 * rng.standard_normal((N, H)),
        c0=0.5 * rng.standard_normal((N, H)) if cell == "lstm" else None,
        W_ih=0.5 * rng.standard_normal((G * H, D)),
        W_hh=0.5 * rng.standard_normal((G * H, H)),
        b_ih=0.5 * rng.standard_normal(G * H),
        b_hh=0.5 * rng.standard_normal(G * H),
    )
    upstream = dict(
        dh=rng.standard_normal((N, T, H)),
        dh_n=rng.standard_normal((N, H)),
        dc_n=rng.standard_normal((N, H)) if cell == "lstm" else None,
    )
    return args, upstream


def cast(d, dtype):
    return {k: None if v is None else v.astype(dtype) for k, v in d.items()}


def run(backend, cell, kwargs, args, upstream):
    """Forward then backward through ``backend``: the 10 results named in NAMES."""
    h, h_n, c_n, cache = backend.sequence_forward(cell, **args, **kwargs)
    grads = backend.sequence_backward(cell, upstream["dh"], upstream["dh_n"], upstream["dc_n"],
                                      cache)
    return [h, h_n, c_n, *grads]


def compare(cell, kwargs, args, upstream, dtype, floor=0.0):
    """Largest relative error of the numba kernels (in ``dtype``) against the float64 reference.

    The float32 run gets the float64 arguments rounded to float32, and the reference gets the
    same rounded values in float64, so only the kernels' own error is measured. ``floor``: a
    lower bound for max|reference| (for gradients that underflow to ~0 when gates saturate).
    """
    args32, up32 = cast(args, dtype), cast(upstream, dtype)
    expected = run(numpy_backend, cell, kwargs, cast(args32, np.float64), cast(up32, np.float64))
    actual = run(numba_backend, cell, kwargs, args32, up32)
    errors = {}
    for name, a, e in zip(NAMES, actual, expected):
        if e is None:
            assert a is None, f"{name}: expected None"
            continue
        assert a.dtype == dtype, f"{name}: dtype {a.dtype}, expected {np.dtype(dtype)}"
        assert a.shape == e.shape, f"{name}: shape {a.shape}, expected {e.shape}"
        assert np.all(np.isfinite(a)), f"{name}: NaN or inf (an element the kernel never wrote?)"
        scale = max(np.max(np.abs(e)), floor)
        errors[name] = float(np.max(np.abs(a - e)) / scale) if scale > 0 else float(np.max(np.abs(a)))
    return errors
