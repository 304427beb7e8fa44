"""`check` of the student build: run the student's function and record what it returns.

In the grading sandbox the kit has no reference, no classic mistakes and no fast kernels (see
`rnnkit.scale.studentkit`), so this `check` decides nothing. It runs the student's function on
the cases of the seed it is given (the grader draws it), records the outputs (`record.MIME`) and
raises only when the function cannot be run or returns the wrong type or shape: those messages
need no answer. The grader compares the record with the reference outside the sandbox and puts
its verdict, with the same explanation the full `check` gives, into the test cell.

For part 1 the record also holds the student's outputs on the isolation probes and, for a
backward, those of the student's forward: the grader's explanation needs them.

At home (a home build, `visible`), a visible check whose expected outputs were shipped is
judged and explained here, as the full check would; every other check only records.
"""
import secrets

from rnnkit.grading import record as records
from rnnkit.grading import visible
from rnnkit.grading.cases import case_plan, make_inputs
from rnnkit.grading.exercises import find_exercise, resolve_variant
from rnnkit.grading.messages import check_failure, headed, label
from rnnkit.grading.probes import (case_outputs, forward_outputs, probe_outputs, problem_message,
                                  require_callables)
from rnnkit.grading.runner import Problem


def check(name, func, forward=None, cases=None, seed=None, hidden=False, **variant):
    """Record the student's `func` on the cases of exercise `name` (same call as the full check).

    Prints one line when every case ran; raises AssertionError when the function could not be
    run on a case. Whether the outputs are right is decided by the grader, not here.
    """
    __tracebackhide__ = True  # noqa: F841 (IPython and pytest hide this frame)
    return find_exercise(name).record(func, forward=forward, cases=cases, seed=seed,
                                      hidden=hidden, **variant)


def record_arrays(exercise, func, forward, cases, seed, hidden, variant):
    """`check` of the student build for an array exercise of 01-04 (`Exercise.record`)."""
    __tracebackhide__ = True  # noqa: F841
    name = exercise.name
    full_variant = resolve_variant(exercise, variant)
    require_callables(exercise, func, forward)
    fixture = visible.find(name, full_variant, seed, hidden, cases)
    if fixture is not None:  # at home, with the shipped expected outputs
        plan = case_plan(exercise, visible.SEED, False)
        for case in plan:
            failure = visible.judge_case(exercise, func, forward, case, len(plan), full_variant,
                                         bool(variant), fixture["cases"][case.index])
            if failure:
                raise check_failure(headed(name, label(exercise, full_variant), failure)) \
                    from None
        print(f"{name}: {len(plan)}/{len(plan)} cases match the expected outputs (scaled "
              f"error ≤ {exercise.tolerance:.0e})", flush=True)
        return
    n = run_cases(exercise, full_variant, seed, hidden, cases,
                  lambda case, n_cases, record: _record_case(
                      exercise, func, forward, case, n_cases, full_variant, bool(variant),
                      record))
    print(f"{name}: {n}/{n} cases ran; the grader compares them with the reference",
          flush=True)


def run_cases(exercise, variant, seed, hidden, cases, per_case):
    """Run a part-1 check's plan, case by case, and emit its record (whatever happens).

    `per_case(case, n_cases, record)` returns None or the message that stops the check, which
    is raised as the check's AssertionError. Returns the number of cases.
    """
    __tracebackhide__ = True  # noqa: F841
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    plan = case_plan(exercise, seed, hidden, cases)
    record = records.new_record(exercise.name, variant, seed, hidden, len(plan))
    failure = None
    try:
        for case in plan:
            failure = per_case(case, len(plan), record)
            if failure:
                break
    finally:
        records.emit(record)
    if failure:
        raise check_failure(headed(exercise.name, label(exercise, variant), failure)) from None
    return len(plan)


def _record_case(exercise, func, forward, case, n_cases, variant, pass_variant, record):
    """None when the case ran (its outputs recorded), else the message saying why not."""
    inputs = make_inputs(exercise, case)
    where = f"in case {case.index + 1} of {n_cases} ({case.describe()})"
    try:
        actual = case_outputs(exercise, func, forward, inputs, variant, pass_variant, case,
                              where)
    except Problem as problem:
        records.add_result(record, case, error=problem)
        return problem_message(problem, where)
    extra = {"probes": {k: None if v is None else records.encode_outputs(v) for k, v in
                        probe_outputs(exercise, func, forward, inputs, variant,
                                      pass_variant).items()}}
    if exercise.is_backward:
        fwd = forward_outputs(exercise, forward, inputs, variant, pass_variant)
        extra["forward"] = None if fwd is None else records.encode_outputs(fwd)
    records.add_result(record, case, outputs=actual, extra=extra)
    return None


def record_custom(exercise, func, forward, seed, hidden):
    """`check` of the student build for a custom exercise of 05-08 (`CustomExercise.record`)."""
    __tracebackhide__ = True  # noqa: F841
    if not callable(func):
        raise TypeError(f"check({exercise.name!r}, func): func must be your function, got "
                        f"{type(func).__name__}")
    fixture = visible.find(exercise.name, {}, seed, hidden, None)
    if fixture is not None:  # at home, with the shipped expected outputs
        seed = visible.SEED
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    plan = exercise.cases(seed, hidden)
    record = records.new_record(exercise.name, {}, seed, hidden, len(plan))
    judge = None if fixture is None else \
        (lambda case, actual, where: visible.judge_custom_case(exercise, case, actual, where,
                                                              fixture))
    try:
        failure = exercise.run_cases(func, forward, plan, record, judge=judge)
    finally:
        if fixture is None:
            records.emit(record)
    if failure:
        raise check_failure(f"{exercise.name}: {failure}") from None
    if fixture is not None:
        print(f"{exercise.name}: {len(plan)}/{len(plan)} cases match the expected outputs",
              flush=True)
        return
    print(f"{exercise.name}: {len(plan)}/{len(plan)} cases ran; the grader compares them with "
          "the reference", flush=True)
