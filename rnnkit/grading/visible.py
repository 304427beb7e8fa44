"""Visible checks at home without the answer key: expected outputs the instructor ships.

A home build of the kit (`rnnkit.scale.studentkit.build(..., home=True)`, made by `rnnkit
course student-kit`) has no reference. Instead it holds, in ``rnnkit/grading/visible.json``,
what the visible checks of its assignment need on fixed inputs (seed `SEED`): for each case
the right outputs, the outputs of every classic mistake, the right outputs on every isolation
probe and, for a backward, the right outputs of its forward. `check` compares the student's
function with them and explains a mismatch word for word as the full check does. Hidden checks
and other seeds are only recorded there: the grader judges them, on seeds it draws itself.

`make` (the instructor's side) computes the file with the reference and the mutants; `find`
and `judge_case` (the student's side) read it.
"""
import json
import os

from rnnkit.grading import explain
from rnnkit.grading import record as records
from rnnkit.grading.cases import case_plan, make_inputs
from rnnkit.grading.compare import first_mismatch
from rnnkit.grading.exercises import EXERCISES, custom_exercises, resolve_variant
from rnnkit.grading.probes import case_outputs, forward_outputs, probe_outputs, problem_message
from rnnkit.grading.runner import Problem

#: the seed of every visible check at home (a call without seed= uses it)
SEED = 1
FILE = os.path.join(os.path.dirname(__file__), "visible.json")


def key(name, variant):
    return f"{name}|{json.dumps(variant, sort_keys=True)}"


# --- the instructor's side -------------------------------------------------------------------

def make(calls):
    """The file's content for `calls`: [(exercise name, variant options)] of visible checks."""
    checks = {}
    for name, options in calls:
        if name in EXERCISES:
            exercise = EXERCISES[name]
            variant = resolve_variant(exercise, options)
            checks[key(name, variant)] = {"cases": [_part1_case(exercise, case, variant)
                                                    for case in case_plan(exercise, SEED)]}
        else:
            exercise = custom_exercises()[name]
            checks[key(name, {})] = {"cases": [
                {"expected": records.encode_outputs(exercise.expected(case))}
                for case in exercise.cases(SEED, False)]}
    return {"version": 1, "seed": SEED, "checks": checks}


def _part1_case(exercise, case, variant):
    import numpy as np

    import rnnkit.reference as reference
    from rnnkit.grading.diagnose import mistake_is_forward_slip, probe_expected
    from rnnkit.grading.mistakes import mistakes_for, run_mistake
    from rnnkit.grading.runner import run_reference
    inputs = make_inputs(exercise, case)
    entry = {"expected": records.encode_outputs(run_reference(exercise, inputs, variant,
                                                              reference)),
             "mistakes": [], "probes": {}}
    for mistake in mistakes_for(exercise, variant):
        try:
            with np.errstate(all="ignore"):
                out = run_mistake(exercise, mistake, inputs, variant)
        except Exception:  # noqa: BLE001 (not possible with these shapes)
            continue
        entry["mistakes"].append({
            "key": mistake.key, "description": mistake.description,
            "forward_slip": mistake_is_forward_slip(exercise, variant, mistake),
            "outputs": records.encode_outputs(out)})
    for name, out in probe_expected(exercise, inputs, variant).items():
        entry["probes"][name] = None if out is None else records.encode_outputs(out)
    if exercise.is_backward:
        fwd = EXERCISES[exercise.forward]
        entry["forward"] = records.encode_outputs(run_reference(fwd, inputs, variant,
                                                                reference))
    return entry


# --- the student's side ----------------------------------------------------------------------

_LOADED = {}


def find(name, variant, seed, hidden, n_cases):
    """The expected outputs of this check call at home, or None (the grader judges it)."""
    if hidden or (seed is not None and int(seed) != SEED) or n_cases is not None:
        return None
    if FILE not in _LOADED:
        try:
            with open(FILE) as fh:
                _LOADED[FILE] = json.load(fh)
        except OSError:
            _LOADED[FILE] = None
    data = _LOADED[FILE]
    return None if data is None else data["checks"].get(key(name, variant))


class _Mistake:
    def __init__(self, entry):
        self.key, self.description = entry["key"], entry["description"]


def judge_case(exercise, func, forward, case, n_cases, variant, pass_variant, fixture):
    """None when the student's outputs on `case` match the shipped ones (`fixture`: that
    case's entry), else the message."""
    inputs = make_inputs(exercise, case)
    where = f"in case {case.index + 1} of {n_cases} ({case.describe()})"
    tolerance = exercise.tolerance

    def forward_note():
        if "forward" not in fixture:
            return None
        return explain.forward_verdict(
            exercise.forward, forward_outputs(exercise, forward, inputs, variant, pass_variant),
            records.decode_outputs(fixture["forward"]), tolerance)

    try:
        actual = case_outputs(exercise, func, forward, inputs, variant, pass_variant, case,
                              where)
    except Problem as problem:
        message = problem_message(problem, where)
        note = forward_note() if exercise.is_backward else None
        if note and "(given as forward=)" not in message:
            return f"{note}\n{message}"
        return message
    expected = records.decode_outputs(fixture["expected"])
    mismatch = first_mismatch(actual, expected, tolerance)
    if mismatch is None:
        return None
    candidates = [(_Mistake(m), records.decode_outputs(m["outputs"]))
                  for m in fixture["mistakes"]]
    mistake = explain.pick_mistake(candidates, actual, expected, mismatch.output, tolerance)
    slips = {m["key"] for m in fixture["mistakes"] if m["forward_slip"]}

    def probe_results():
        shipped = {k: None if v is None else records.decode_outputs(v)
                   for k, v in fixture["probes"].items()}
        return explain.judge_probe_outputs(
            probe_outputs(exercise, func, forward, inputs, variant, pass_variant), shipped,
            mismatch.output, tolerance)

    return explain.explain_mismatch(exercise, actual, expected, mismatch, where,
                                    mistake=mistake,
                                    forward_slip=mistake is not None and mistake.key in slips,
                                    probe_results=probe_results, forward_note=forward_note)


def judge_custom_case(exercise, case, actual, where, fixture):
    """None when a custom exercise's case matches the shipped outputs, else the message (no hint: the
    hints need the reference; the grader gives them)."""
    expected = records.decode_outputs(fixture["cases"][case.index]["expected"])
    return exercise.compare_with(expected, actual, where)
