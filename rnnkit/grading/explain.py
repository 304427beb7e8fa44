"""Explain a mismatch in words, from outputs alone: no reference, no mutant, no student code.

The student build of the kit ships this module: the grader (`diagnose`, `verify`) and the
visible checks at home (`visible`) hand it the outputs they have (the student's, the expected
ones, the classic mistakes', the probes') and it writes what the student reads.
"""
import numpy as np

from rnnkit.grading.compare import describe, first_mismatch, scaled_error

#: a student's output "equals" a mutant's when they agree this closely
MATCH_TOLERANCE = 1e-6


def pick_mistake(candidates, actual, expected, output, tolerance):
    """The mistake among `candidates` [(mistake, its outputs)] that explains `output` (and
    most other outputs), or None."""
    best, best_score = None, 0
    for mistake, out in candidates:
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


def judge_probe_outputs(outputs, expected, output, tolerance):
    """probe name -> True (right), False (wrong), None (uninformative).

    outputs: probe name -> the student's outputs on it (None: it failed there);
    expected: probe name -> the expected outputs on it (None: the probe does not apply).
    """
    results = {}
    for name, exp in expected.items():
        if name not in outputs:
            continue
        if exp is None or not np.any(exp[output]):
            results[name] = None  # not applicable, or trivially zero: tells nothing
            continue
        actual = outputs[name]
        if actual is None or output not in actual or actual[output].shape != exp[output].shape:
            results[name] = False
            continue
        results[name] = scaled_error(actual[output], exp[output]) <= tolerance
    return results


def forward_verdict(forward_name, actual, expected, tolerance):
    """For a backward: the sentence saying the student's forward is wrong, else None.

    actual: the forward's outputs on the case (None: it failed to run); expected: the right ones.
    """
    if actual is None:
        return (f"Fix your forward first: your {forward_name} (given as forward=) does not "
                f"pass its own check (check({forward_name!r}, {forward_name})), and this "
                f"backward runs on its cache.")
    if set(actual) != set(expected) or any(actual[k].shape != expected[k].shape for k in actual):
        return None
    m = first_mismatch(actual, expected, tolerance)
    if m is None:
        return None
    return (f"Fix your forward first: your {forward_name} (given as forward=) returns a wrong "
            f"{m.output} (check({forward_name!r}, {forward_name}) shows where), and this "
            f"backward runs on its cache, so its gradients cannot match until the forward does.")


def explain_mismatch(exercise, actual, expected, mismatch, where, mistake=None,
                     forward_slip=False, probe_results=None, forward_note=None):
    """The message for a case whose outputs do not match the expected ones.

    What went wrong first, then why: the student's own forward (for a backward), a non-finite
    value, a classic mistake (`mistake`, with `.description`; `forward_slip` when the forward
    can make it too), or the isolation probes; then a summary of every output.
    `probe_results` and `forward_note` are called only when needed.
    """
    tolerance = exercise.tolerance
    head = (f"{mismatch.output} does not match the reference {where}. "
            f"{describe(mismatch, tolerance)}")
    note = forward_note() if forward_note is not None and exercise.is_backward else None
    if note:
        # the backward runs on the forward's wrong cache: a hint about the backward itself
        # would send the student to the wrong function; a slip made in both (z and 1 - z
        # swapped, "reset before") is still named, since it is the forward's slip too
        lines = [note, head]
        if mistake is not None and forward_slip:
            lines.append(f"Your {mismatch.output} matches what you get when "
                         f"{mistake.description}.")
        return "\n".join(lines)
    lines = [head]
    hint = nonfinite_hint(exercise, actual, mismatch)
    if hint:
        lines.append(hint)
    if mistake is not None:
        lines.append(f"Your {mismatch.output} matches what you get when {mistake.description}.")
    elif not hint and probe_results is not None:
        lines += explain_probes(exercise, probe_results(), mismatch.output)
    lines += outputs_summary(actual, expected, tolerance)
    lines += gate_blocks(exercise, actual, expected, tolerance)
    return "\n".join(lines)


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
