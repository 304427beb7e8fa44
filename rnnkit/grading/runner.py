"""Run an exercise: the student's function (through their own forward's cache) or the reference.

Both return the compared outputs as an ordered dict name -> float64 array, so that the
comparison, the record and the grader all see the same thing. ``clip_grad_norm``'s dict of
clipped arrays is flattened to ``clipped[W_ih]``, ``clipped[W_hh]``, ... .
"""
import contextlib
import copy
import traceback
import warnings
from pathlib import Path

import numpy as np

from rnnkit.grading.exercises import EXERCISES, symbols

_GRADING_DIR = str(Path(__file__).resolve().parent)


class Problem(Exception):
    """Something the student can fix; the message is shown as it is."""


class StudentCrash(Problem):
    """The student's function raised; the message carries their traceback (theirs to see)."""

    def __init__(self, message, not_implemented=False):
        super().__init__(message)
        self.not_implemented = not_implemented


def _student_traceback(exc):
    """The traceback of `exc` without the checker's own frames."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith(_GRADING_DIR)]
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip()


@contextlib.contextmanager
def quiet():
    """No warnings while the student's code runs: values are judged, not warnings.

    nbgrader scores a test cell 0 when anything is written to stderr, so a harmless
    RuntimeWarning would otherwise cost all the points; an overflow still shows up as inf/NaN
    in the outputs, which the comparison reports.
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def _call(who, func, args, kwargs, where):
    try:
        with quiet():
            return func(*args, **kwargs)
    except NotImplementedError as exc:
        raise StudentCrash(f"{who} is not implemented yet (it raises NotImplementedError).",
                           not_implemented=True) from exc
    except Exception as exc:  # the student's bug: report it with their traceback
        hint = ""
        if isinstance(exc, ValueError) and ("matmul" in str(exc) or "aligned" in str(exc)):
            hint = ("\nHint: a matrix product got shapes that do not fit. In PyTorch's layout "
                    "W_ih is (G*H, D) and W_hh is (G*H, H), so the forward uses x @ W_ih.T and "
                    "h @ W_hh.T; print the shapes of both operands.")
        raise StudentCrash(f"{who} raised {type(exc).__name__} {where}:\n"
                           f"{_student_traceback(exc)}{hint}") from exc


def forward_kwargs(variant, pass_variant):
    """Options go to the student's forward only when the test gave them explicitly."""
    return dict(variant) if pass_variant else {}


def _unpack(who, result, n, names):
    """A function that must return n values returned `result`: split it or explain."""
    spelled = ", ".join(names)
    if n == 1:
        return (result,)
    if not isinstance(result, (tuple, list)):
        raise Problem(f"{who} must return {n} values ({spelled}); it returned one "
                      f"{type(result).__name__}.")
    if len(result) != n:
        raise Problem(f"{who} must return {n} values ({spelled}); it returned {len(result)}.")
    return tuple(result)


def run_student(exercise, func, inputs, variant, pass_variant=False, forward=None, where=""):
    """Call the student's function on one case's inputs -> raw outputs by name."""
    inputs = copy.deepcopy(inputs)  # a student's in-place edit must not leak into other checks
    if exercise.is_backward:
        fwd = EXERCISES[exercise.forward]
        args = [inputs[a] for a in fwd.args]
        result = _call(fwd.name + " (given as forward=)", forward, args,
                       forward_kwargs(variant, pass_variant), where)
        result = _unpack(fwd.name, result, fwd.n_returned, fwd.outputs + ("cache",))
        cache = result[-1]
        upstream = [inputs[a] for a in exercise.args]
        result = _call(exercise.name, func, upstream + [cache], {}, where)
    else:
        args = [inputs[a] for a in exercise.args]
        result = _call(exercise.name, func, args,
                       forward_kwargs(variant, pass_variant), where)
    names = exercise.outputs + (("cache",) if exercise.returns_cache else ())
    values = _unpack(exercise.name, result, exercise.n_returned, names)
    return dict(zip(exercise.outputs, values[:len(exercise.outputs)]))


def x_restored(func, inputs):
    """eval_numerical_gradient must leave x as it found it: False when it did not."""
    mine = copy.deepcopy(inputs)
    with quiet():
        func(mine["f"], mine["x"], mine["df"])
    return np.array_equal(mine["x"], inputs["x"])


def run_reference(exercise, inputs, variant, reference):
    """The reference's outputs for one case, with `reference` the module to use."""
    inputs = copy.deepcopy(inputs)
    kwargs = dict(variant)
    if exercise.is_backward:
        fwd = EXERCISES[exercise.forward]
        out = getattr(reference, fwd.name)(*[inputs[a] for a in fwd.args], **kwargs)
        result = getattr(reference, exercise.name)(*[inputs[a] for a in exercise.args], out[-1])
    else:
        result = getattr(reference, exercise.name)(*[inputs[a] for a in exercise.args], **kwargs)
    values = (result,) if exercise.n_returned == 1 else tuple(result)
    return flatten(exercise, dict(zip(exercise.outputs, values[:len(exercise.outputs)])))


def flatten(exercise, outputs):
    """Ordered name -> float64 array (clip's dict of arrays becomes clipped[name] entries)."""
    flat = {}
    for name, value in outputs.items():
        if exercise.family == "clip" and name == "clipped":
            for key in sorted(value):
                flat[f"clipped[{key}]"] = np.asarray(value[key], dtype=np.float64)
        else:
            flat[name] = np.asarray(value, dtype=np.float64)
    return flat


def _shape_hint(name, got, expected, sizes):
    """A guess at the slip behind a wrong shape, for the commonest ones."""
    N = sizes.get("N")
    if name.startswith("db") and len(got) > len(expected) and \
            got[len(got) - len(expected):] == expected:
        return _bias_sum_hint(got[:len(got) - len(expected)], N, sizes.get("T"))
    if len(got) == len(expected) == 2 and got == expected[::-1]:
        return " It looks transposed."
    if N and len(got) == len(expected) - 1 and got == expected[1:]:
        return " The batch axis N is missing."
    if len(expected) == 3 and len(got) == 3 and got == (expected[1], expected[0], expected[2]):
        return " The axes N and T look swapped (the API is batch-first: (N, T, ...))."
    return ""


def _bias_sum_hint(extra, N, T):
    """A bias gradient kept axes it should have summed over (`extra`: their sizes)."""
    if T is None:  # a single step: only the batch axis to sum over
        return " Did you forget to sum over the batch (axis 0)?"
    both = " A bias gradient sums over the batch and over time (axes 0 and 1)."
    if len(extra) == 2:
        return both
    if N != T and extra == (T,):
        return " It looks summed over the batch but not over time." + both
    if N != T and extra == (N,):
        return " It looks summed over time but not over the batch." + both
    return both


def _spell(sym, key, shape):
    """'(N, T, H) = (2, 3, 4)' when the output has a symbolic shape, else '(2, 3, 4)'."""
    spelled = sym.get(key.split("[")[0], "")
    return f"{spelled} = {shape}" if spelled and spelled != "x.shape" else f"{shape}"


def _scalar(who, key, v):
    """A loss or a norm: any real number (or a one-element array) will do."""
    if isinstance(v, np.ndarray) and v.size == 1:
        v = v.reshape(())
    if isinstance(v, bool) or \
            not isinstance(v, (float, int, np.floating, np.integer, np.ndarray)) or \
            (isinstance(v, np.ndarray) and v.ndim):
        raise Problem(f"{who} returned {key} as {type(v).__name__}{getattr(v, 'shape', '')}; "
                      "expected a single number.")
    return np.asarray(v, dtype=np.float64)


def _array(who, key, v, exp, sym, sizes):
    if not isinstance(v, np.ndarray):
        raise Problem(f"{who} returned {key} as {type(v).__name__}; expected a numpy array of "
                      f"shape {_spell(sym, key, exp.shape)}.")
    if v.shape != exp.shape:
        hint = _shape_hint(key, v.shape, exp.shape, sizes)
        raise Problem(f"{who} returned {key} with shape {v.shape}; expected "
                      f"{_spell(sym, key, exp.shape)}.{hint}")
    if v.dtype != np.float64:
        raise Problem(f"{who} returned {key} with dtype {v.dtype}; expected float64 "
                      "(keep the inputs' dtype: do not cast).")
    return np.asarray(v, dtype=np.float64)


def validate_student(exercise, raw, expected, case):
    """Types and shapes of the student's outputs -> flat float64 dict, or a Problem."""
    sym = symbols(exercise.family, exercise.sequence)
    who = exercise.name
    items = []
    for name, value in raw.items():
        if exercise.family == "clip" and name == "clipped":
            if not isinstance(value, dict):
                raise Problem(f"{who} must return the clipped gradients in a dict with the same "
                              f"keys as grads; it returned a {type(value).__name__}.")
            keys = sorted(k[len("clipped["):-1] for k in expected if k.startswith("clipped["))
            if sorted(value) != keys:
                raise Problem(f"{who}: the clipped dict has keys {sorted(value)}; "
                              f"expected {keys}.")
            items += [(f"clipped[{k}]", value[k]) for k in keys]
        else:
            items.append((name, value))
    flat = {}
    for key, v in items:
        exp = expected[key]
        flat[key] = _scalar(who, key, v) if exp.ndim == 0 else \
            _array(who, key, v, exp, sym, case.sizes)
    return flat
