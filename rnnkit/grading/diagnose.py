"""Explain a mismatch: which known mistake it is, and which terms are at fault (grader side).

The words are `explain`'s; this module computes what they need with the reference and the
mutants, which the student build of the kit does not have.

Two tools, both run on the failing case only:
- the bank of classic mistakes (`mistakes.py`): when the student's output equals a mutant's,
  say which slip it is;
- isolation probes: rerun the student's function with parts switched off (recurrent path,
  input path, biases), with one time step or one example, and see which version is right.
"""
import numpy as np

from rnnkit.grading.exercises import EXERCISES
from rnnkit.grading.explain import (GATES, MATCH_TOLERANCE, explain_probes,  # noqa: F401
                                    forward_verdict, gate_blocks, judge_probe_outputs,
                                    nonfinite_hint, outputs_summary, pick_mistake)
from rnnkit.grading.mistakes import mistakes_for, run_mistake
from rnnkit.grading.probes import forward_outputs, probe_inputs, probe_outputs, probes  # noqa: F401
from rnnkit.grading.runner import run_reference


def match_mistake(exercise, inputs, variant, actual, expected, output, tolerance):
    """The known mistake that explains `output` (and most other outputs), or None."""
    candidates = []
    for mistake in mistakes_for(exercise, variant):
        try:
            with np.errstate(all="ignore"):
                candidates.append((mistake, run_mistake(exercise, mistake, inputs, variant)))
        except Exception:  # noqa: BLE001 (the mistake is not possible with these shapes)
            continue
    return pick_mistake(candidates, actual, expected, output, tolerance)


def mistake_is_forward_slip(exercise, variant, mistake):
    """Whether a backward's `mistake` is one its forward can make too."""
    return mistake is not None and exercise.is_backward and \
        mistake.key in {m.key for m in mistakes_for(EXERCISES[exercise.forward], variant)}


def run_probes(exercise, func, forward, inputs, variant, pass_variant, output, tolerance):
    """probe name -> True (right), False (wrong), None (uninformative), for `output`."""
    return judge_probes(exercise, probe_outputs(exercise, func, forward, inputs, variant,
                                                pass_variant), inputs, variant, output, tolerance)


def probe_expected(exercise, inputs, variant):
    """probe name -> the reference's outputs on the probe (None where it does not apply)."""
    found = {}
    for name, changed in probe_inputs(exercise, inputs).items():
        try:
            found[name] = run_reference(exercise, changed, variant, _reference())
        except Exception:  # noqa: BLE001 (the probe does not apply to these inputs)
            found[name] = None
    return found


def judge_probes(exercise, outputs, inputs, variant, output, tolerance):
    """The probes' verdicts from the student's outputs on them (`probes.probe_outputs`)."""
    return judge_probe_outputs(outputs, probe_expected(exercise, inputs, variant), output,
                               tolerance)


def _reference():
    import rnnkit.reference
    return rnnkit.reference


def forward_note(exercise, forward, inputs, variant, pass_variant, tolerance):
    """For a backward: a sentence when the student's own forward is already wrong."""
    return judge_forward(exercise, forward_outputs(exercise, forward, inputs, variant,
                                                   pass_variant), inputs, variant, tolerance)


def judge_forward(exercise, actual, inputs, variant, tolerance):
    """The note of `forward_note` from the forward's outputs (None: it failed to run)."""
    fwd = EXERCISES[exercise.forward]
    return forward_verdict(fwd.name, actual, run_reference(fwd, inputs, variant, _reference()),
                           tolerance)
