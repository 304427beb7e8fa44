"""`check` on the reference itself, on bad calls, and on the ways a student's code can break."""
import re

import numpy as np
import pytest

import rnnkit.reference as R
from rnnkit.grading import EXERCISES, check
from rnnkit.grading.cases import case_plan, make_inputs

VARIANTS = {"rnn": [{}, {"nonlinearity": "relu"}], "gru": [{}, {"reset_after": False}]}
CALLS = [(name, v) for name, ex in EXERCISES.items() for v in VARIANTS.get(ex.family, [{}])]


def _forward(name):
    ex = EXERCISES[name]
    return getattr(R, ex.forward) if ex.forward else None


@pytest.mark.parametrize("name,variant", CALLS, ids=[f"{n}{v or ''}" for n, v in CALLS])
def test_reference_passes(name, variant, capsys, records):
    check(name, getattr(R, name), forward=_forward(name), **variant)
    check(name, getattr(R, name), forward=_forward(name), hidden=True, seed=3, **variant)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{name}: 5/5 cases match the reference")
    assert out[1].startswith(f"{name}: 8/8 cases match the reference")
    assert [r["cases"] for r in records] == [5, 8]


def test_cases_cover_the_edge_sizes():
    plan = case_plan(EXERCISES["rnn_forward"], seed=0)
    sizes = [c.sizes for c in plan]
    assert any(s["N"] == 1 for s in sizes) and any(s["T"] == 1 for s in sizes)
    assert any(s["D"] != s["H"] for s in sizes) and any(s["D"] == s["H"] for s in sizes)
    hidden = case_plan(EXERCISES["rnn_forward"], seed=0, hidden=True)
    assert len(hidden) == 8 and max(c.sizes["H"] for c in hidden) > max(s["H"] for s in sizes)
    assert len(case_plan(EXERCISES["rnn_forward"], seed=0, n_cases=12)) == 12


def test_inputs_depend_only_on_name_seed_and_index():
    ex = EXERCISES["lstm_backward"]
    a = make_inputs(ex, case_plan(ex, 7)[2])
    b = make_inputs(ex, case_plan(ex, 7)[2])
    c = make_inputs(ex, case_plan(ex, 8)[2])
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["x"], c["x"])


def test_fresh_seed_per_call_unless_given(records):
    for _ in range(2):
        check("rnn_step_forward", R.rnn_step_forward)
    check("rnn_step_forward", R.rnn_step_forward, seed=5)
    assert records[0]["seed"] != records[1]["seed"] and records[2]["seed"] == 5


def test_check_is_fast_enough():
    import time
    start = time.perf_counter()
    for name in ("rnn_step_forward", "rnn_forward", "lstm_forward", "gru_forward",
                 "lstm_backward"):
        check(name, getattr(R, name), forward=_forward(name))
    assert time.perf_counter() - start < 2.5  # well under a second per call


def test_bad_calls_are_errors_of_the_caller():
    with pytest.raises(ValueError, match="unknown exercise 'rnn_step'"):
        check("rnn_step", R.rnn_step_forward)
    with pytest.raises(TypeError, match="needs forward=your rnn_step_forward"):
        check("rnn_step_backward", R.rnn_step_backward)
    with pytest.raises(TypeError, match="no option reset_after="):
        check("rnn_forward", R.rnn_forward, reset_after=False)
    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        check("rnn_forward", R.rnn_forward, nonlinearity="sigmoid")
    with pytest.raises(TypeError, match="func must be your function"):
        check("rnn_forward", None)


def test_not_implemented(records):
    def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
        raise NotImplementedError
    with pytest.raises(AssertionError, match="rnn_forward is not implemented yet"):
        check("rnn_forward", rnn_forward)
    assert len(records) == 1 and "error" in records[0]["results"][0]


def test_a_crash_shows_the_students_traceback_not_the_checkers():
    def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
        a = x @ W_ih + h_prev @ W_hh.T  # W_ih not transposed: (N, D) @ (H, D) fails for D != H
        return np.tanh(a), None
    with pytest.raises(AssertionError) as info:
        check("rnn_step_forward", rnn_step_forward)
    msg = str(info.value)
    assert 'rnn_step_forward with nonlinearity="tanh" raised ValueError in case 1 of 5 ' \
        '(N=1, D=3, H=4)' in msg
    assert "a = x @ W_ih + h_prev @ W_hh.T" in msg  # the student's line
    assert "rnnkit/grading" not in msg and "Hint: a matrix product" in msg


def test_a_crash_in_the_forward_of_a_backward_check_names_the_forward():
    def bad_forward(*args):
        raise KeyError("oops")
    with pytest.raises(AssertionError, match=r"rnn_step_forward \(given as forward=\) raised "
                                             r"KeyError"):
        check("rnn_step_backward", R.rnn_step_backward, forward=bad_forward)


@pytest.mark.parametrize("result,pattern", [
    (lambda h, c: h, r"must return 2 values \(h_next, cache\); it returned one ndarray"),
    (lambda h, c: (h, c, c), r"must return 2 values \(h_next, cache\); it returned 3"),
    (lambda h, c: (h.tolist(), c), r"returned h_next as list; expected a numpy array of shape "
                                   r"\(N, H\) = \(1, 4\)"),
    (lambda h, c: (h.T, c), r"returned h_next with shape \(4, 1\); expected \(N, H\) = \(1, 4\)\."
                            r" It looks transposed"),
    (lambda h, c: (h[0], c), r"shape \(4,\); expected \(N, H\) = \(1, 4\)\. The batch axis N is "
                             r"missing"),
    (lambda h, c: (h.astype(np.float32), c), r"dtype float32; expected float64"),
])
def test_types_and_shapes_are_checked_before_values(result, pattern):
    def rnn_step_forward(*args):
        return result(*R.rnn_step_forward(*args))
    with pytest.raises(AssertionError, match=pattern):
        check("rnn_step_forward", rnn_step_forward)


def test_sequence_shape_message_uses_the_symbols():
    def rnn_forward(*args):
        h, cache = R.rnn_forward(*args)
        return h[:, :, :-1], cache
    with pytest.raises(AssertionError, match=re.escape(
            'rnn_forward with nonlinearity="tanh" returned h with shape (1, 1, 3); expected '
            '(N, T, H) = (1, 1, 4).')):
        check("rnn_forward", rnn_forward)


def test_value_mismatch_names_output_index_and_both_values():
    def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
        h, cache = R.rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh)
        h = h.copy()
        h[-1, -1] += 0.5
        return h, cache
    with pytest.raises(AssertionError) as info:
        check("rnn_step_forward", rnn_step_forward, seed=0)
    msg = str(info.value)
    assert msg.startswith('rnn_step_forward with nonlinearity="tanh": h_next does not match '
                          'the reference in case 1 of 5')
    assert re.search(r"First difference at h_next\[0, 3\]: yours -?[\d.]+, expected -?[\d.]+ "
                     r"\(scaled error [\d.e+-]+, tolerance 1e-07\)", msg)


def test_nan_is_reported_as_such():
    def temporal_softmax_loss(scores, y, mask):  # no max subtraction: overflows on big scores
        p = np.exp(scores) / np.exp(scores).sum(axis=2, keepdims=True)
        N = scores.shape[0]
        loss = -np.sum(mask * np.log(np.take_along_axis(p, y[:, :, None], 2)[:, :, 0])) / N
        dscores = p.copy()
        np.put_along_axis(dscores, y[:, :, None],
                          np.take_along_axis(p, y[:, :, None], 2) - 1, 2)
        return loss, dscores * mask[:, :, None] / N
    with np.errstate(all="ignore"), \
            pytest.raises(AssertionError, match="(?s)contains (nan|inf) .*overflow"):
        check("temporal_softmax_loss", temporal_softmax_loss)


def test_log_of_an_underflowed_probability_is_called_log_0_not_an_overflow():
    def temporal_softmax_loss(scores, y, mask):  # max subtracted, but log(p) of a p that is 0
        shifted = scores - scores.max(axis=2, keepdims=True)
        p = np.exp(shifted) / np.exp(shifted).sum(axis=2, keepdims=True)
        N = scores.shape[0]
        p_y = np.take_along_axis(p, y[:, :, None], 2)[:, :, 0]
        loss = -np.sum(mask * np.log(p_y)) / N
        dscores = p.copy()
        np.put_along_axis(dscores, y[:, :, None], p_y[:, :, None] - 1, 2)
        return loss, dscores * mask[:, :, None] / N
    with np.errstate(all="ignore"), pytest.raises(AssertionError) as info:
        check("temporal_softmax_loss", temporal_softmax_loss, seed=0)
    msg = str(info.value)
    assert re.search("loss contains (inf|nan)", msg) and "comes from log(0)" in msg, msg
    assert "underflowed" in msg and "overflow" not in msg, msg
    assert "These outputs match the reference: dscores; these differ: loss." in msg, msg


def _rnn_forward_without_b_hh(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    return R.rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, 0 * b_hh)  # b_hh forgotten


def test_backward_message_leads_with_a_wrong_forward():
    with pytest.raises(AssertionError) as info:
        check("rnn_step_backward", R.rnn_step_backward, forward=_rnn_forward_without_b_hh)
    first, second = str(info.value).splitlines()[:2]
    assert first.startswith('rnn_step_backward with nonlinearity="tanh": Fix your forward '
                            'first: your rnn_step_forward (given as forward=) returns a wrong '
                            'h_next'), first
    assert second.startswith("dx does not match the reference"), second


def test_a_wrong_forward_drops_the_backward_hints():
    """A backward that is right on its own cache, after a forward wrong only across steps:
    without the note first, the probes would say "dx is right for T = 1"."""
    def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
        h, cache = R.rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
        return h, cache
    rnn_forward_h0_every_step = _h0_every_step
    with pytest.raises(AssertionError) as info:
        check("rnn_backward", R.rnn_backward, forward=rnn_forward_h0_every_step, seed=1)
    msg = str(info.value)
    assert msg.splitlines()[0].startswith('rnn_backward with nonlinearity="tanh": Fix your '
                                          'forward first'), msg
    for backward_hint in ("right for a single time step", "matches what you get when",
                          "switched off", "These outputs match"):
        assert backward_hint not in msg, msg
    check("rnn_backward", R.rnn_backward, forward=rnn_forward, seed=1)  # the control passes


def _h0_every_step(x, h0, W_ih, W_hh, b_ih, b_hh):
    """rnn_forward that starts every step from h0 (the cache is the reference's layout)."""
    N, T, _ = x.shape
    h, caches = np.empty((N, T, h0.shape[1])), []
    for t in range(T):
        h[:, t], step_cache = R.rnn_step_forward(x[:, t], h0, W_ih, W_hh, b_ih, b_hh)
        caches.append(step_cache)
    return h, (caches, x.shape, h0)


@pytest.mark.parametrize("hidden", [False, True])
def test_every_failure_names_the_variant(hidden):
    def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh"):
        a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
        return (np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0.01 * a)), None
    check("rnn_step_forward", rnn_step_forward, hidden=hidden)  # tanh is right
    with pytest.raises(AssertionError) as info:
        check("rnn_step_forward", rnn_step_forward, hidden=hidden, nonlinearity="relu")
    assert str(info.value).startswith('rnn_step_forward with nonlinearity="relu": h_next does '
                                      'not match'), str(info.value)

    def gru_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, reset_after=True):
        return R.gru_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh)  # the option ignored
    with pytest.raises(AssertionError, match=r"^gru_step_forward with reset_after=False: "):
        check("gru_step_forward", gru_step_forward, hidden=hidden, reset_after=False)

    def gru_step_backward(dh_next, cache):
        raise ValueError("not yet for reset before")
    with pytest.raises(AssertionError, match=r"^gru_step_backward with reset_after=False raised "
                                             r"ValueError"):
        check("gru_step_backward", gru_step_backward, forward=R.gru_step_forward,
              hidden=hidden, reset_after=False)


def test_exercises_without_options_keep_their_plain_name():
    def temporal_affine_forward(h, W, b):
        return h @ W.T, None
    with pytest.raises(AssertionError, match=r"^temporal_affine_forward: scores does not match"):
        check("temporal_affine_forward", temporal_affine_forward)


def test_numerical_gradient_must_restore_x():
    def eval_numerical_gradient(f, x, df, h=1e-5):
        grad = R.eval_numerical_gradient(f, x, df, h)
        x[0, 0] += h  # forgot to restore one element
        return grad
    with pytest.raises(AssertionError, match=r"changed x: restore each element"):
        check("eval_numerical_gradient", eval_numerical_gradient)


def test_variant_is_passed_to_the_students_forward_only_when_given():
    seen = []

    def gru_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, **kw):
        seen.append(kw)
        return R.gru_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, **kw)
    check("gru_step_forward", gru_step_forward, cases=1)
    check("gru_step_forward", gru_step_forward, cases=1, reset_after=False)
    assert seen == [{}, {"reset_after": False}]


def test_a_failed_check_shows_its_message_alone_in_ipython(capsys):
    """What the notebook, nbgrader's Validate dialog and the feedback show: the lines of the
    checks that passed, then the message, wrapped, without the checker's frames."""
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    shell.user_ns.update(check=check, R=R)
    shell.run_cell("def twice(*args):\n"
                   "    h, cache = R.rnn_step_forward(*args)\n"
                   "    return 2 * h, cache\n"
                   "check('rnn_step_forward', R.rnn_step_forward)\n"
                   "check('rnn_step_forward', twice)\n")
    out = capsys.readouterr().out
    passed = out.index("rnn_step_forward: 5/5 cases match")
    failed = out.index('AssertionError: rnn_step_forward with nonlinearity="tanh": h_next does '
                       'not match')
    assert passed < failed
    assert "checker.py" not in out and "rnnkit/grading" not in out and "Traceback" not in out
    assert max(len(line) for line in out[failed:].splitlines()) <= 100


def test_wrapping_keeps_the_students_traceback_lines():
    from rnnkit.grading.checker import check_failure
    code = "    a = x @ W_ih + h_prev @ W_hh.T + b_ih + b_hh + some_very_long_name_that_" + "x" * 60
    error = check_failure("rnn_step_forward raised ValueError: " + "word " * 40 + "\n" + code)
    lines = error._render_traceback_()
    assert code in lines and all(len(line) <= 100 for line in lines if line != code)
    assert str(error).startswith("rnn_step_forward raised ValueError")  # evalue unwrapped


def test_in_a_kernel_passing_lines_come_before_the_failure_and_no_frames_show():
    """The order the graded notebook and the feedback keep (ipykernel buffers stdout)."""
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import rnnkit.reference as R\n"
        "from rnnkit.grading import check\n"
        "def twice(*args):\n"
        "    h, cache = R.rnn_step_forward(*args)\n"
        "    return 2 * h, cache\n"
        "check('rnn_step_forward', R.rnn_step_forward)\n"
        "check('fit_exponent', lambda s, t: (1.0, 1.0))\n")]
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()
    outputs = [o for o in nb.cells[0].outputs if o.output_type in ("stream", "error")]
    kinds = [o.output_type for o in outputs]
    assert kinds == ["stream", "error"], kinds
    assert "rnn_step_forward: 5/5 cases match" in outputs[0].text
    traceback = "\n".join(outputs[1].traceback)
    assert outputs[1].ename == "AssertionError"
    assert traceback.startswith("AssertionError: fit_exponent: p does not match")
    assert "rnnkit/grading" not in traceback and "custom.py" not in traceback
