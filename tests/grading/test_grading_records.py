"""Records: emitted by `check`, verified by the grader; forged or tampered ones are rejected."""
import copy

import nbformat
import numpy as np
import pytest

import rnnkit.reference as R
from rnnkit.grading import EXERCISES, check
from rnnkit.grading.nbgrader_plugin import VerifyRecords
from rnnkit.grading.record import MIME, decode_array, encode_array
from rnnkit.grading.verify import find_check_calls, verify_cell

SOURCE = ('from rnnkit.grading import check\n'
          'check("rnn_backward", rnn_backward, forward=rnn_forward)\n')


def _outputs(recs):
    return [{"output_type": "display_data", "data": {MIME: r, "text/plain": "record"},
             "metadata": {}} for r in recs]


def _honest_record(records, **options):
    check("rnn_backward", R.rnn_backward, forward=R.rnn_forward, **options)
    return records[-1]


def test_array_encoding_round_trips():
    a = np.random.default_rng(0).standard_normal((2, 3, 4))
    assert np.array_equal(decode_array(encode_array(a)), a)
    assert np.array_equal(decode_array(encode_array(a.T)), a.T)  # not C-contiguous
    scalar = decode_array(encode_array(np.float64(2.5)))
    assert scalar.shape == () and scalar == 2.5
    with pytest.raises(ValueError):
        decode_array({"shape": [2, 3], "data": encode_array(np.zeros(5))["data"]})


def test_honest_record_verifies(records):
    rec = _honest_record(records)
    assert rec["name"] == "rnn_backward" and rec["variant"] == {"nonlinearity": "tanh"}
    assert len(rec["results"]) == 5 and all("outputs" in r for r in rec["results"])
    assert verify_cell(SOURCE, _outputs([rec]), R) == []


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_honest_records_of_every_exercise_verify(records, name):
    """Including scalars (loss, total_norm) and dicts of arrays (clipped)."""
    forward = EXERCISES[name].forward
    check(name, getattr(R, name), forward=getattr(R, forward) if forward else None)
    source = f'check("{name}", f' + (", forward=g)" if forward else ")")
    assert verify_cell(source, _outputs(records), R) == []


def test_record_is_emitted_even_when_the_check_fails(records):
    def rnn_backward(dh, cache):
        return tuple(2 * g for g in R.rnn_backward(dh, cache))
    with pytest.raises(AssertionError):
        check("rnn_backward", rnn_backward, forward=R.rnn_forward)
    assert len(records) == 1 and len(records[0]["results"]) == 1
    problems = verify_cell(SOURCE, _outputs(records), R)
    # the check stopped at the first wrong case: the grader finds that case wrong too
    assert problems == ["check('rnn_backward', ...): case 1 of 5: dx does not match the reference"]
    assert problems[0].wrong


def _tamper(rec, how):
    rec = copy.deepcopy(rec)
    if how == "value":
        out = rec["results"][2]["outputs"]["dW_hh"]
        a = decode_array(out)
        a[0, 0] += 1e-3
        rec["results"][2]["outputs"]["dW_hh"] = encode_array(a)
    elif how == "drop_case":
        rec["results"].pop()
    elif how == "fewer_cases":
        rec["cases"] = 2
        rec["results"] = rec["results"][:2]
    elif how == "name":
        rec["name"] = "rnn_forward"
    elif how == "variant":
        rec["variant"] = {"nonlinearity": "relu"}
    elif how == "hidden":
        rec["hidden"] = True
    elif how == "base64":
        rec["results"][0]["outputs"]["dx"]["data"] = "not base64!"
    elif how == "missing_output":
        del rec["results"][0]["outputs"]["db_hh"]
    elif how == "version":
        rec["version"] = 99
    elif how == "other_seed_same_outputs":
        rec["seed"] += 1
    return rec


@pytest.mark.parametrize("how", ["value", "drop_case", "fewer_cases", "name", "variant", "hidden",
                                 "base64", "missing_output", "version",
                                 "other_seed_same_outputs"])
def test_tampered_record_fails_verification(records, how):
    rec = _honest_record(records)
    problems = verify_cell(SOURCE, _outputs([_tamper(rec, how)]), R)
    assert len(problems) == 1 and problems[0].startswith("check('rnn_backward', ...)")


def test_missing_and_extra_records_fail(records):
    rec = _honest_record(records)
    assert "no record" in verify_cell(SOURCE, [], R)[0]
    assert "2 records for 1 check calls" in verify_cell(SOURCE, _outputs([rec, rec]), R)[0]


def test_options_in_the_source_bind_the_record(records):
    rec = _honest_record(records, seed=4, hidden=True)
    source = 'check("rnn_backward", rnn_backward, forward=rnn_forward, seed=4, hidden=True)'
    assert verify_cell(source, _outputs([rec]), R) == []
    other = source.replace("seed=4", "seed=5")
    assert "seed differs" in verify_cell(other, _outputs([rec]), R)[0]
    plain = 'check("rnn_backward", rnn_backward, forward=rnn_forward)'
    assert "hidden flag differs" in verify_cell(plain, _outputs([rec]), R)[0]


def test_a_reference_patched_in_the_kernel_does_not_fool_the_grader(records, monkeypatch):
    original = R.rnn_forward

    def rnn_forward(x, h0, *weights, **kw):  # garbage that the patched "reference" agrees with
        h, cache = original(x, h0, *weights)
        return 0 * h, cache
    import rnnkit.reference
    with monkeypatch.context() as m:
        m.setattr(rnnkit.reference, "rnn_forward", rnn_forward)
        check("rnn_forward", rnn_forward)  # passes inside the "kernel"
    grader_reference = rnnkit.reference  # un-patched again, as in the grader's own process
    problems = verify_cell('check("rnn_forward", rnn_forward)', _outputs(records), grader_reference)
    assert problems and "does not match the reference" in problems[0]


def test_find_check_calls_reads_options_and_survives_magics():
    source = ('%matplotlib inline\n!echo hi\nfrom rnnkit.grading import check\n'
              'check("gru_forward", gru_forward, reset_after=False, cases=3)\n'
              'rnnkit.grading.check("lstm_forward", f, seed=n)\n')
    calls = find_check_calls(source)
    assert [c["name"] for c in calls] == ["gru_forward", "lstm_forward"]
    assert calls[0]["options"] == {"reset_after": False, "cases": 3}
    assert "seed" in calls[1]["options"]


def test_verify_records_preprocessor_zeroes_only_unverified_cells(records):
    check("rnn_forward", R.rnn_forward)
    rec = records[-1]

    def cell(source, outputs, grade_id):
        c = nbformat.v4.new_code_cell(source)
        c.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": grade_id,
                                  "points": 1, "locked": True, "schema_version": 3}
        c.outputs = [nbformat.from_dict(o) for o in outputs]
        return c
    src = 'check("rnn_forward", rnn_forward)'
    score_first = {"output_type": "execute_result", "data": {"text/plain": "1.0"},
                   "metadata": {}, "execution_count": 1}
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell(src, _outputs([rec]), "good"), cell(src, [score_first], "faked"),
                cell("assert True", [], "other")]
    nb, _ = VerifyRecords().preprocess(nb, {})
    assert [o.output_type for o in nb.cells[0].outputs] == ["display_data"]
    assert nb.cells[1].outputs[0].output_type == "error"
    assert nb.cells[1].outputs[0].ename == "UntrustedResult"
    assert nb.cells[2].outputs == []
    assert [s["verified"] for s in nb.metadata["rnnkit"]["verify"]] == [True, False]


def test_every_test_cell_gets_its_failure_first():
    """With or without check(...): an execute_result before the error must not earn points."""
    c = nbformat.v4.new_code_cell("f()\nassert False")
    c.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "plain",
                              "points": 2, "locked": True, "schema_version": 3}
    c.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2.0"},
                                        execution_count=1),
                 nbformat.v4.new_output("stream", name="stderr", text="boom\n")]
    nb = nbformat.v4.new_notebook()
    nb.cells = [c]
    nb, _ = VerifyRecords().preprocess(nb, {})
    assert [o.output_type for o in nb.cells[0].outputs] == ["stream", "execute_result"]
    from nbgrader.utils import determine_grade
    assert determine_grade(nb.cells[0]) == (0, 2.0)


def test_warnings_in_the_students_code_do_not_reach_stderr(recwarn):
    import warnings

    def rnn_step_forward(*args):
        warnings.warn("something harmless", RuntimeWarning)
        np.exp(np.array([1000.0]))  # overflow warning, harmless here
        return R.rnn_step_forward(*args)
    check("rnn_step_forward", rnn_step_forward)
    assert len(recwarn) == 0


class FakeCustomExercise:
    """Stands for an exercise of rnnkit.grading.custom (assignments 05-08)."""

    def __init__(self):
        self.calls = []

    def check(self, func, forward=None, cases=None, seed=None, hidden=False, **variant):
        if cases is not None or variant:
            raise TypeError("check('adam_step') takes no option(s)")
        self.calls.append(("check", func, forward, seed, hidden))

    def verify_record(self, call, record, reference=None):
        self.calls.append(("verify", call["name"], record))
        return None if record == {"ok": True} else "wrong"


def test_custom_exercise_names_are_handed_to_their_exercise(monkeypatch):
    import rnnkit.grading.exercises as exercises
    fake = FakeCustomExercise()
    monkeypatch.setattr(exercises, "custom_exercises", lambda: {"adam_step": fake})
    check("adam_step", len, seed=3, hidden=True)
    assert fake.calls == [("check", len, None, 3, True)]
    with pytest.raises(TypeError, match="takes no option"):
        check("adam_step", len, cases=2)
    source = 'check("adam_step", adam_step)'
    assert verify_cell(source, _outputs([{"ok": True}]), R) == []
    assert verify_cell(source, _outputs([{"ok": False}]), R) == ["check('adam_step', ...): wrong"]
    with pytest.raises(ValueError, match="unknown exercise"):
        check("not_an_exercise", len)
