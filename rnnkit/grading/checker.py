"""`check`: run a student's function on generated cases and compare it with the reference."""
import rnnkit.reference as reference
from rnnkit.grading import explain
from rnnkit.grading import record as records
from rnnkit.grading.cases import make_inputs
from rnnkit.grading.compare import first_mismatch
from rnnkit.grading.diagnose import (forward_note, match_mistake, mistake_is_forward_slip,
                                     run_probes)
from rnnkit.grading.exercises import find_exercise, resolve_variant
from rnnkit.grading.messages import WIDTH, check_failure, wrap_message  # noqa: F401 (re-exported)
from rnnkit.grading.probes import case_outputs, problem_message, require_callables
from rnnkit.grading.recorder import run_cases
from rnnkit.grading.runner import Problem, run_reference


def check(name, func, forward=None, cases=None, seed=None, hidden=False, **variant):
    """Compare the student's `func` with the reference for the exercise `name`.

    forward: for a backward exercise, the student's forward; the backward is run on its cache.
    cases:   how many cases (default 5, or 8 with hidden=True, which adds larger sizes).
    seed:    the base seed of the cases (default: a fresh random one each call).
    variant: the exercise's options, e.g. nonlinearity="relu" (RNN), reset_after=False (GRU);
             given ones are passed on to the student's forward function.

    Returns None and prints one line when every case matches (scaled error ≤ 1e-7, see
    `exercises.TOLERANCE`); raises AssertionError explaining the first problem otherwise.
    Either way a record of the outputs is emitted for the grader (see `record`).
    """
    __tracebackhide__ = True  # noqa: F841 (IPython and pytest hide this frame)
    return find_exercise(name).check(func, forward=forward, cases=cases, seed=seed,
                                     hidden=hidden, **variant)


def check_arrays(exercise, func, forward, cases, seed, hidden, variant):
    """`check` for an array exercise of 01-04 (`Exercise.check`)."""
    __tracebackhide__ = True  # noqa: F841
    name = exercise.name
    full_variant = resolve_variant(exercise, variant)
    require_callables(exercise, func, forward)
    n = run_cases(exercise, full_variant, seed, hidden, cases,
                  lambda case, n_cases, record: _check_case(
                      exercise, func, forward, case, n_cases, full_variant, bool(variant),
                      record))
    # flushed now: a later failing check's error must not overtake this line in the output
    print(f"{name}: {n}/{n} cases match the reference (scaled error ≤ "
          f"{exercise.tolerance:.0e})", flush=True)


def _check_case(exercise, func, forward, case, n_cases, variant, pass_variant, record):
    """None when the case matches, else the message explaining the first problem."""
    inputs = make_inputs(exercise, case)
    where = f"in case {case.index + 1} of {n_cases} ({case.describe()})"
    expected = run_reference(exercise, inputs, variant, reference)
    try:
        actual = case_outputs(exercise, func, forward, inputs, variant, pass_variant, case,
                              where)
    except Problem as problem:
        records.add_result(record, case, error=problem)
        message = problem_message(problem, where)
        note = _wrong_forward(exercise, forward, inputs, variant, pass_variant)
        if note and "(given as forward=)" not in message:
            return f"{note}\n{message}"  # the forward's fault: say so first
        return message
    records.add_result(record, case, outputs=actual)
    mismatch = first_mismatch(actual, expected, exercise.tolerance)
    if mismatch is None:
        return None
    return explain_mismatch(
        exercise, inputs, variant, actual, expected, mismatch, where,
        probe_results=lambda: run_probes(exercise, func, forward, inputs, variant, pass_variant,
                                         mismatch.output, exercise.tolerance),
        forward_note=lambda: _wrong_forward(exercise, forward, inputs, variant, pass_variant))


def explain_mismatch(exercise, inputs, variant, actual, expected, mismatch, where,
                     probe_results=None, forward_note=None):
    """The message for a case whose outputs do not match the reference (`explain`'s words,
    with the classic mistake found by running the mutants on `inputs`)."""
    mistake = match_mistake(exercise, inputs, variant, actual, expected, mismatch.output,
                            exercise.tolerance)
    return explain.explain_mismatch(
        exercise, actual, expected, mismatch, where, mistake=mistake,
        forward_slip=mistake_is_forward_slip(exercise, variant, mistake),
        probe_results=probe_results, forward_note=forward_note)


def _wrong_forward(exercise, forward, inputs, variant, pass_variant):
    """For a backward: the sentence saying the student's own forward is wrong, else None."""
    if not exercise.is_backward:
        return None
    return forward_note(exercise, forward, inputs, variant, pass_variant, exercise.tolerance)
