"""The student build's `check` records; the grader judges and explains, outside the kernel.

In the grading sandbox `rnnkit.grading.check` is `recorder.check`: it runs the student's
function and records its outputs (and those on the isolation probes, and the forward's), and
decides nothing. The grader (`verify`) must then reach the same verdict as the full check, and
tell the student the same thing: every mistake of the bank and every hand-written wrong answer
is explained word for word as the full check explains it, from the record alone.
"""
import json

import numpy as np
import pytest

import rnnkit.reference as R
from rnnkit.grading import EXERCISES, check, recorder
from rnnkit.grading.exercises import custom_exercises, resolve_variant
from rnnkit.grading.mistakes import mistakes_for
from rnnkit.grading.record import MIME
from rnnkit.grading.verify import verify_cell
from tests.grading.grading_students import student
from tests.grading.test_grading_bank import HANDWRITTEN, VARIANTS


def _outputs(recs):
    # through JSON, as a record travels from the sandbox to the grader
    return [{"output_type": "display_data", "data": {MIME: json.loads(json.dumps(r))},
             "metadata": {}} for r in recs]


def _source(name, seed, variant):
    options = "".join(f", {k}={v!r}" for k, v in variant.items())
    return f"check({name!r}, f, forward=g, seed={seed}{options})"


def recorded(records, name, func, forward, seed, **variant):
    """(the kernel's message or None, the grader's findings) for one recording check."""
    records.clear()
    kernel = None
    try:
        with np.errstate(all="ignore"):
            recorder.check(name, func, forward=forward, seed=seed, **variant)
    except AssertionError as exc:
        kernel = str(exc)
    return kernel, verify_cell(_source(name, seed, variant), _outputs(records), R)


def full(name, func, forward, seed, **variant):
    try:
        with np.errstate(all="ignore"):
            check(name, func, forward=forward, seed=seed, **variant)
    except AssertionError as exc:
        return str(exc)
    return None


def _same_verdict_and_words(records, name, func, forward, seed, **variant):
    expected = full(name, func, forward, seed, **variant)
    kernel, findings = recorded(records, name, func, forward, seed, **variant)
    assert expected is not None
    if kernel is not None:  # it could not run on a case (a crash, a shape)
        assert findings and all(f.wrong for f in findings), findings
        if findings[0].explanation is None:  # on the first case: the kernel says it all
            assert expected.endswith(kernel) or kernel in expected, (kernel, expected)
            return
        # a case before the crash was already wrong: the grader tells that one, first
    assert len(findings) == 1 and findings[0].wrong, findings
    assert findings[0].explanation == expected


BANK = [(name, v, m) for name, ex in EXERCISES.items() for v in VARIANTS.get(ex.family, [{}])
        for m in mistakes_for(ex, resolve_variant(ex, v))]


@pytest.mark.parametrize("name,variant,mistake", BANK,
                         ids=[f"{n}{v or ''}-{m.key}" for n, v, m in BANK])
def test_the_grader_explains_every_known_mistake_as_the_full_check_does(records, name, variant,
                                                                       mistake):
    func, forward = student(name, mistake.bugs)
    _same_verdict_and_words(records, name, func, forward, 11, **variant)


@pytest.mark.parametrize("name,func,forward,output,phrase", HANDWRITTEN,
                         ids=[f"{h[0]}-{h[1].__name__}" for h in HANDWRITTEN])
def test_the_grader_explains_handwritten_mistakes_as_the_full_check_does(records, name, func,
                                                                        forward, output, phrase):
    _same_verdict_and_words(records, name, func, forward, 0)


def test_probes_recorded_in_the_kernel_isolate_an_unknown_mistake(records):
    def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
        return np.tanh(x @ W_ih.T + b_ih + 0.5 * (h_prev @ W_hh.T) + b_hh), None
    _, findings = recorded(records, "rnn_step_forward", rnn_step_forward, None, 0)
    assert "recurrent path switched off (h_prev = 0, W_hh = 0) it is right" in \
        findings[0].explanation


def test_a_wrong_forward_is_named_before_its_backward(records):
    def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
        return R.rnn_forward(x, h0, W_ih, 1.01 * W_hh, b_ih, b_hh)
    _, findings = recorded(records, "rnn_backward", R.rnn_backward, rnn_forward, 3)
    assert findings[0].wrong and findings[0].explanation.startswith(
        'rnn_backward with nonlinearity="tanh": Fix your forward first: your rnn_forward (given '
        'as forward=) returns a wrong h'), findings[0].explanation


@pytest.mark.parametrize("name", list(EXERCISES))
def test_right_answers_verify_from_the_recording_check(records, name):
    exercise = EXERCISES[name]
    forward = getattr(R, exercise.forward) if exercise.is_backward else None
    kernel, findings = recorded(records, name, getattr(R, name), forward, 5)
    assert kernel is None and findings == []
    assert records[0]["results"][0]["probes"] is not None or exercise.family in ("numgrad",
                                                                                 "clip")


def test_the_recording_check_says_it_decided_nothing(records, capsys):
    recorder.check("rnn_step_forward", lambda x, h, *a: (np.zeros_like(h), None), seed=1)
    # a wrong answer is not told in the kernel: only the grader knows the right one
    assert "the grader compares them with the reference" in capsys.readouterr().out
    assert records[0]["results"][0]["outputs"]


def test_a_crash_is_reported_in_the_kernel_and_counts_as_a_wrong_answer(records):
    def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
        raise KeyError("oops")
    kernel, findings = recorded(records, "rnn_forward", rnn_forward, None, 2)
    assert kernel.startswith("rnn_forward") and "KeyError" in kernel
    assert findings[0].wrong


PART2_CASES = {  # exercise -> a wrong answer whose explanation names the slip
    "adam_step": lambda w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8: (
        w - lr * (beta1 * m + (1 - beta1) * dw) / (np.sqrt(beta2 * v + (1 - beta2) * dw * dw)
                                                   + eps),
        beta1 * m + (1 - beta1) * dw, beta2 * v + (1 - beta2) * dw * dw),
    "spectral_radius": lambda W: float(np.linalg.norm(W, 2)),
}


@pytest.mark.parametrize("name", sorted(PART2_CASES))
def test_part_two_wrong_answers_are_explained_by_the_grader(records, name):
    func = PART2_CASES[name]
    expected = full(name, func, None, 4)
    kernel, findings = recorded(records, name, func, None, 4)
    assert kernel is None and findings and findings[0].wrong
    assert findings[0].explanation == expected


def test_part_two_right_answers_verify_from_the_recording_check(records):
    _, findings = recorded(records, "adam_step", R.adam_step, None, 9)
    assert findings == []
    _, findings = recorded(records, "spectral_radius", R.spectral_radius, None, 9)
    assert findings == []
    assert set(PART2_CASES) <= set(custom_exercises())
