"""The student's side of a part-1 check: outputs, shapes, and the isolation probes' inputs.

Nothing here knows a right answer, so the student build of the kit (`rnnkit.scale.studentkit`)
ships it: the kernel runs the student's function on the case and on the probes' variants of
it, records the outputs, and the grader (`diagnose`, `verify`) judges them with the reference.

Isolation probes rerun the student's function with parts switched off (recurrent path, input
path, biases), with one time step or one example; which version is right tells which terms
are at fault.
"""
import copy

import numpy as np

from rnnkit.grading.exercises import EXERCISES, FAMILY_GATES
from rnnkit.grading.runner import Problem, StudentCrash, run_student, validate_student, x_restored


def _zero(inputs, *names):
    for n in names:
        if n in inputs:
            inputs[n] = np.zeros_like(inputs[n])


def _slice(inputs, axis, names):
    for n in names:
        if n in inputs:
            inputs[n] = inputs[n][(slice(None),) * axis + (slice(0, 1),)]


def probes(exercise):
    """name -> function(inputs) that modifies the inputs in place, for the exercise's family."""
    found = {}
    if exercise.family in ("rnn", "lstm", "gru"):
        h = ("h0",) if exercise.sequence else ("h_prev",)
        found["input_only"] = lambda i: _zero(i, "W_hh", *h)
        found["recurrent_only"] = lambda i: _zero(i, "W_ih", "x")
        found["zero_bias"] = lambda i: _zero(i, "b_ih", "b_hh")
        batch = ("x", "h0", "h_prev", "c0", "c_prev", "dh", "dh_next", "dc_next")
    elif exercise.family == "affine":
        found["zero_bias"] = lambda i: _zero(i, "b")
        batch = ("h", "dscores")
    elif exercise.family == "loss":
        found["no_mask"] = lambda i: i.__setitem__("mask", np.ones_like(i["mask"]))
        batch = ("scores", "y", "mask")
    else:
        return found
    if exercise.sequence:
        found["one_step"] = lambda i: _slice(i, 1, ("x", "dh", "h", "dscores", "scores", "y",
                                                   "mask"))
    found["one_example"] = lambda i: _slice(i, 0, batch)
    return found


def probe_inputs(exercise, inputs):
    """name -> the probe's copy of the inputs."""
    found = {}
    for name, modify in probes(exercise).items():
        changed = copy.deepcopy(inputs)
        modify(changed)
        found[name] = changed
    return found


def expected_shapes(exercise, inputs):
    """Zero arrays shaped like the exercise's outputs on `inputs` (for `validate_student`).

    Shapes follow from the inputs alone (DESIGN.md's symbols): no reference is needed.
    """
    G = FAMILY_GATES.get(exercise.family, 1)
    sizes = {}
    if "x" in inputs and exercise.family in ("rnn", "lstm", "gru"):
        sizes["N"], sizes["D"] = inputs["x"].shape[0], inputs["x"].shape[-1]
        if exercise.sequence:
            sizes["T"] = inputs["x"].shape[1]
        sizes["H"] = inputs["W_hh"].shape[1]
    if exercise.family == "affine":
        sizes["N"], sizes["T"], sizes["H"] = inputs["h"].shape
        sizes["V"] = inputs["W"].shape[0]
    shapes = {
        "rnn": {"h_next": ("N", "H"), "c_next": ("N", "H"), "h": ("N", "T", "H"),
                "dx": ("N", "T", "D") if exercise.sequence else ("N", "D"),
                "dh_prev": ("N", "H"), "dc_prev": ("N", "H"), "dh0": ("N", "H"),
                "dc0": ("N", "H"), "dW_ih": ("GH", "D"), "dW_hh": ("GH", "H"),
                "db_ih": ("GH",), "db_hh": ("GH",)},
        "affine": {"scores": ("N", "T", "V"), "dh": ("N", "T", "H"), "dW": ("V", "H"),
                   "db": ("V",)},
    }
    family = "rnn" if exercise.family in ("rnn", "lstm", "gru") else exercise.family
    sizes["GH"] = G * sizes.get("H", 0)
    out = {}
    for key in exercise.outputs:
        if family in shapes:
            shape = tuple(sizes[s] for s in shapes[family][key])
        elif key == "grad":
            shape = np.shape(inputs["x"])
        elif key == "dscores":
            shape = np.shape(inputs["scores"])
        elif key == "clipped":
            for name in sorted(inputs["grads"]):
                out[f"clipped[{name}]"] = np.zeros(np.shape(inputs["grads"][name]))
            continue
        else:  # loss, total_norm
            shape = ()
        out[key] = np.zeros(shape)
    return out


class _Case:
    """validate_student's view of a case: only the sizes, for its shape hints."""

    def __init__(self, sizes):
        self.sizes = sizes


def student_outputs(exercise, func, forward, inputs, variant, pass_variant, sizes=None,
                    where=""):
    """The student's outputs on `inputs`, checked for type and shape: name -> float64 array.

    Raises Problem (a StudentCrash when the function raised) with the message a student reads.
    """
    raw = run_student(exercise, func, inputs, variant, pass_variant, forward, where)
    return validate_student(exercise, raw, expected_shapes(exercise, inputs), _Case(sizes or {}))


def probe_outputs(exercise, func, forward, inputs, variant, pass_variant):
    """probe name -> the student's outputs on it, or None when they could not be had."""
    found = {}
    for name, changed in probe_inputs(exercise, inputs).items():
        try:
            found[name] = student_outputs(exercise, func, forward, changed, variant,
                                          pass_variant)
        except Exception:  # noqa: BLE001 (a probe only explains; it never fails a check)
            found[name] = None
    return found


def forward_outputs(exercise, forward, inputs, variant, pass_variant):
    """For a backward: the student's forward's outputs on the case, or None (it failed)."""
    fwd = EXERCISES[exercise.forward]
    try:
        return student_outputs(fwd, forward, None, inputs, variant, pass_variant)
    except Problem:
        return None


def require_callables(exercise, func, forward):
    """TypeError unless `func` (and, for a backward, `forward`) can be called."""
    if not callable(func):
        raise TypeError(f"check({exercise.name!r}, func): func must be your function, got "
                        f"{type(func).__name__}")
    if exercise.is_backward and not callable(forward):
        raise TypeError(f"check({exercise.name!r}, ...) needs forward=your {exercise.forward}: "
                        f"the backward is checked on the cache of your own forward")


def case_outputs(exercise, func, forward, inputs, variant, pass_variant, case, where):
    """`student_outputs` on one case, and eval_numerical_gradient must leave x as it was."""
    actual = student_outputs(exercise, func, forward, inputs, variant, pass_variant, case.sizes,
                             where)
    if exercise.family == "numgrad" and not x_restored(func, inputs):
        raise Problem("eval_numerical_gradient changed x: restore each element after "
                      "perturbing it (x[ix] = old).")
    return actual


def problem_message(problem, where):
    """What a student reads for a Problem on a case (a crash already says where)."""
    return str(problem) if isinstance(problem, StudentCrash) else f"{problem} ({where[3:]})"
