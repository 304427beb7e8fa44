"""Input checks shared by every backend.

Each check raises an error that names the argument and says what was expected, so a student
sees ``W_hh must have shape (4*H, H) = (512, 128), got (128, 512)`` instead of a broadcasting
traceback from deep inside a kernel.
"""
import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)

#: gates per cell, rows of W_ih / W_hh in PyTorch's order
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
GATE_NAMES = {"rnn": "", "lstm": "4*", "gru": "3*"}


def check_array(name, a, ndim=None):
    """``a`` must be a float32/float64 numpy array (with ``ndim`` dimensions if given)."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(a).__name__}")
    if a.dtype.type not in FLOAT_DTYPES:
        raise TypeError(f"{name} must have dtype float32 or float64, got {a.dtype}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {a.shape}")
    return a


def check_shape(name, a, expected, symbols=None, note=""):
    """``a.shape`` must equal ``expected``; ``symbols`` spells it, e.g. ``"(4*H, H)"``."""
    if a.shape != tuple(expected):
        spelled = f"{symbols} = {tuple(expected)}" if symbols else str(tuple(expected))
        raise ValueError(f"{name} must have shape {spelled}{note}, got {a.shape}")


def check_finite(name, a):
    """Reject NaN and inf: they would propagate silently through every later step."""
    if not np.all(np.isfinite(a)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise ValueError(f"{name} contains NaN or inf (first at index {index})")


def check_same_dtype(reference_name, reference, **arrays):
    for name, a in arrays.items():
        if a.dtype != reference.dtype:
            raise TypeError(
                f"{name} has dtype {a.dtype} but {reference_name} has {reference.dtype}; "
                "use one dtype (float32 or float64) for all arguments"
            )


def check_cell_args(cell, x, h, W_ih, W_hh, b_ih, b_hh, c=None, sequence=False, h_name="h_prev",
                    c_name="c_prev"):
    """Check the arguments of a step (x: (N, D)) or sequence (x: (N, T, D)) function.

    H is read from ``h`` (N, H); every weight must then match PyTorch's layout for ``cell``.
    Returns (N, D, H).
    """
    x_shape = "(N, T, D)" if sequence else "(N, D)"
    check_array("x", x)
    if x.ndim != (3 if sequence else 2):
        raise ValueError(f"x must have shape {x_shape}, got {x.shape}")
    N, D = x.shape[0], x.shape[-1]
    if N == 0 or (sequence and x.shape[1] == 0):
        raise ValueError(f"x must have at least one batch row and one time step, got shape {x.shape}")
    check_array(h_name, h)
    if h.ndim != 2:
        raise ValueError(f"{h_name} must have shape (N, H), got {h.shape}")
    H = h.shape[1]
    check_shape(h_name, h, (N, H), "(N, H)", note=" (N from x)")
    G, g = GATES[cell], GATE_NAMES[cell]
    if c is not None:
        check_array(c_name, c)
        check_shape(c_name, c, (N, H), "(N, H)")
    for name, a, expected, symbols in (
        ("W_ih", W_ih, (G * H, D), f"({g}H, D)"),
        ("W_hh", W_hh, (G * H, H), f"({g}H, H)"),
        ("b_ih", b_ih, (G * H,), f"({g}H,)"),
        ("b_hh", b_hh, (G * H,), f"({g}H,)"),
    ):
        check_array(name, a)
        check_shape(name, a, expected, symbols)
    others = dict(W_ih=W_ih, W_hh=W_hh, b_ih=b_ih, b_hh=b_hh, **{h_name: h})
    if c is not None:
        others[c_name] = c
    check_same_dtype("x", x, **others)
    check_finite("x", x)
    for name, a in others.items():
        check_finite(name, a)
    return N, D, H


def check_upstream(name, d, expected, symbols, dtype):
    """An upstream gradient must match the forward output it belongs to."""
    check_array(name, d)
    check_shape(name, d, expected, symbols)
    if d.dtype != dtype:
        raise TypeError(f"{name} has dtype {d.dtype} but the forward pass used {dtype}")
    check_finite(name, d)


def check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


def check_flag(name, value):
    """A True/False option: a string such as "no" would otherwise count as True."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_float_array(name, a):
    """A numpy array of a float dtype: integer arrays round every update to a whole number."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(a).__name__}")
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"{name} must have a float dtype (float32 or float64), got {a.dtype}; "
                        f"convert with .astype(np.float64)")
    return a
