"""Explain a mismatch: which known mistake it is, and which terms are at fault.

Two tools, both run on the failing case only:
- the bank of classic mistakes (`mistakes.py`): when the student's output equals a mutant's,
  say which slip it is;
- isolation probes: rerun the student's function with parts switched off (recurrent path,
  input path, biases), with one time step or one example, and see which version is right.
"""
import numpy as np

from rnnkit.grading.compare import first_mismatch, scaled_error
from rnnkit.grading.exercises import EXERCISES
from rnnkit.grading.mistakes import mistakes_for, run_mistake
from rnnkit.grading.probes import forward_outputs, probe_inputs, probe_outputs, probes  # noqa: F401
from rnnkit.grading.runner import run_reference

#: a student's output "equals" a mutant's when they agree this closely
MATCH_TOLERANCE = 1e-6


def match_mistake(exercise, inputs, variant, actual, expected, output, tolerance):
    """The known mistake that explains `output` (and most other outputs), or None."""
    best, best_score = None, 0
    for mistake in mistakes_for(exercise, variant):
        try:
            with np.errstate(all="ignore"):
                out = run_mistake(exercise, mistake, inputs, variant)
        except Exception:  # the mistake is not possible with these shapes
            continue
        if output not in out or out[output].shape != actual[output].shape:
            continue
        if scaled_error(out[output], expected[output]) <= tolerance:
            continue  # this case cannot tell the mistake from the right answer
        if scaled_error(actual[output], out[output]) > MATCH_TOLERANCE:
            continue
        score = sum(1 for k in actual if k in out and out[k].shape == actual[k].shape
                    and scaled_error(actual[k], out[k]) <= MATCH_TOLERANCE)
        if score > best_score:
            best, best_score = mistake, score
    return best


def run_probes(exercise, func, forward, inputs, variant, pass_variant, output, tolerance):
    """probe name -> True (right), False (wrong), None (uninformative), for `output`."""
    return judge_probes(exercise, probe_outputs(exercise, func, forward, inputs, variant,
                                                pass_variant), inputs, variant, output, tolerance)


def judge_probes(exercise, outputs, inputs, variant, output, tolerance):
    """The probes' verdicts from the student's outputs on them (`probes.probe_outputs`).

    True: the student's `output` is right on the probe; False: wrong (or it failed there);
    None: uninformative (the expected value is zero, or the probe was not run).
    """
    results = {}
    for name, changed in probe_inputs(exercise, inputs).items():
        if name not in outputs:
            continue
        try:
            expected = run_reference(exercise, changed, variant, _reference())
        except Exception:  # noqa: BLE001 (the probe does not apply to these inputs)
            results[name] = None
            continue
        if not np.any(expected[output]):
            results[name] = None  # trivially zero: tells nothing
            continue
        actual = outputs[name]
        if actual is None or output not in actual or actual[output].shape != \
                expected[output].shape:
            results[name] = False
            continue
        results[name] = scaled_error(actual[output], expected[output]) <= tolerance
    return results


def _reference():
    import rnnkit.reference
    return rnnkit.reference


def explain_probes(exercise, results, output):
    """Sentences from the probe results (most telling first)."""
    ok = {k: v for k, v in results.items() if v is not None}
    said = []
    backward = exercise.is_backward
    if ok.get("one_step") is True:
        if backward:
            said.append(f"{output} is right for a single time step (T = 1) but not for longer "
                        "sequences: check what flows between steps (dh_prev from step t+1 added "
                        "to dh[:, t], weight gradients summed over t).")
        else:
            said.append(f"{output} is right for a single time step (T = 1) but not for longer "
                        "sequences: check the state handed from each step to the next.")
    if ok.get("one_example") is True:
        said.append(f"{output} is right for a batch of one (N = 1) but not for N > 1: something "
                    "must be summed over the batch (axis 0), or rows of the batch get mixed up.")
    if ok.get("input_only") is True and ok.get("recurrent_only") is False:
        said.append("With the recurrent path switched off (h_prev = 0, W_hh = 0) it is right, so "
                    "the input path is fine: look at the recurrent terms (h_prev, W_hh, b_hh).")
    elif ok.get("recurrent_only") is True and ok.get("input_only") is False:
        said.append("With the input switched off (x = 0, W_ih = 0) it is right, so look at the "
                    "input terms (x, W_ih, b_ih).")
    elif ok.get("input_only") is False and ok.get("recurrent_only") is False and \
            ok.get("zero_bias") is False:
        said.append("It is wrong even with the recurrent path switched off (h_prev = 0, "
                    "W_hh = 0): start with the input path and the nonlinearities.")
    if ok.get("zero_bias") is True and not said:
        said.append("With zero biases it is right: look at how the biases enter.")
    if ok.get("no_mask") is True:
        said.append("It is right when every target counts (mask all True): look at how the "
                    "mask is applied.")
    return said


#: the gate blocks of the rows of W_ih, W_hh, b_ih, b_hh (PyTorch's order)
GATES = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}


def nonfinite_hint(exercise, actual, mismatch):
    """Where an inf or a nan comes from, when the student's output has one; else None."""
    if np.isfinite(mismatch.yours):
        return None
    finite_elsewhere = all(np.all(np.isfinite(v)) for k, v in actual.items()
                           if k != mismatch.output)
    if exercise.family == "loss" and mismatch.output == "loss" and finite_elsewhere:
        return ("A loss that is inf or nan while dscores is finite comes from log(0), not from "
                "an exp: the probability of a target underflowed to 0 (exp(-800) is 0 in "
                "float64) even with the row maximum subtracted, and a masked-out 0 * log(0) is "
                "nan. Take the log of the softmax directly: "
                "log p = (s - max) - log(sum(exp(s - max))).")
    if np.isnan(mismatch.yours):
        return ("nan comes from inf - inf, inf / inf or 0 * inf: look for an exp that "
                "overflows (subtract each row's maximum before exp) or a log of 0.")
    return ("inf comes from an overflow (exp of a large number: subtract each row's maximum "
            "before exp) or from log(0) (a probability that underflowed to 0).")


def outputs_summary(actual, expected, tolerance):
    """One sentence naming the outputs that match and those that differ (several outputs)."""
    if len(expected) < 2:
        return []
    right = [k for k in expected if scaled_error(actual[k], expected[k]) <= tolerance]
    wrong = [k for k in expected if k not in right]
    if not right:
        return [f"None of the outputs matches ({', '.join(wrong)} all differ)."]
    return [f"These outputs match the reference: {', '.join(right)}; these differ: "
            f"{', '.join(wrong)}."]


def gate_blocks(exercise, actual, expected, tolerance):
    """For an LSTM/GRU gradient: which gate blocks of the weight gradients differ."""
    gates = GATES.get(exercise.family)
    if not gates or not exercise.is_backward:
        return []
    bad = set()
    for key in ("dW_ih", "dW_hh", "db_ih", "db_hh"):
        if key not in expected:
            continue
        exp, got = expected[key], actual[key]
        H = exp.shape[0] // len(gates)
        scale = float(np.max(np.abs(exp))) or 1.0
        for k, gate in enumerate(gates):
            block = slice(k * H, (k + 1) * H)
            if np.max(np.abs(got[block] - exp[block]), initial=0.0) > tolerance * scale or \
                    not np.all(np.isfinite(got[block])):
                bad.add(k)
    if not bad or len(bad) == len(gates):
        return []
    spelled = [f"{gates[k]} (rows {_rows(k)})" for k in sorted(bad)]
    good = [gates[k] for k in range(len(gates)) if k not in bad]
    blocks = "block" if len(bad) == 1 else "blocks"
    return [f"In the weight and bias gradients the {blocks} of {' and '.join(spelled)} "
            f"differ{'s' if len(bad) == 1 else ''}; those of {', '.join(good)} match: look at "
            f"the gradient of that pre-activation."]


def _rows(k):
    """'0:H', 'H:2H', '2H:3H', ... : the rows of gate block k."""
    def at(j):
        return {0: "0", 1: "H"}.get(j, f"{j}H")
    return f"{at(k)}:{at(k + 1)}"


def forward_note(exercise, forward, inputs, variant, pass_variant, tolerance):
    """For a backward: a sentence when the student's own forward is already wrong."""
    return judge_forward(exercise, forward_outputs(exercise, forward, inputs, variant,
                                                   pass_variant), inputs, variant, tolerance)


def judge_forward(exercise, actual, inputs, variant, tolerance):
    """The note of `forward_note` from the forward's outputs (None: it failed to run)."""
    fwd = EXERCISES[exercise.forward]
    if actual is None:
        return (f"Fix your forward first: your {fwd.name} (given as forward=) does not pass "
                f"its own check (check({fwd.name!r}, {fwd.name})), and this backward runs on "
                f"its cache.")
    expected = run_reference(fwd, inputs, variant, _reference())
    if set(actual) != set(expected) or any(actual[k].shape != expected[k].shape for k in actual):
        return None
    m = first_mismatch(actual, expected, tolerance)
    if m is None:
        return None
    return (f"Fix your forward first: your {fwd.name} (given as forward=) returns a wrong "
            f"{m.output} (check({fwd.name!r}, {fwd.name}) shows where), and this backward "
            f"runs on its cache, so its gradients cannot match until the forward does.")
