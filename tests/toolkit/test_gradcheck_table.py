"""rnnkit.gradcheck: every gradient passes, and a wrong gradient is caught."""
import numpy as np

from rnnkit import gradcheck as gc
from rnnkit.reference import sequence as reference_sequence


def test_every_case_passes_on_the_reference():
    rows = gc.gradcheck(backend="numpy")
    cases = {r.case for r in rows}
    assert {"RNN tanh", "RNN relu", "LSTM", "GRU reset_after=True", "GRU reset_after=False",
            "char-LM 2xLSTM"} <= cases
    assert all(r.passed for r in rows), gc.format_table([r for r in rows if not r.passed])
    lstm = {r.name for r in rows if r.case == "LSTM"}
    assert lstm == {"x", "h0", "c0", "W_ih", "W_hh", "b_ih", "b_hh"}


def test_a_wrong_backward_fails(monkeypatch):
    real_backward = reference_sequence.sequence_backward

    def wrong_backward(*args):
        dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh = real_backward(*args)
        return dx, dh0, dc0, dW_ih, dW_hh * 1.001, db_ih, db_hh  # a 0.1% error in dW_hh

    monkeypatch.setattr(reference_sequence, "sequence_backward", wrong_backward)
    rows = gc.gradcheck(backend="numpy", cases=gc.CASES[2:3], char_lm=False)
    failed = {r.name for r in rows if not r.passed}
    assert failed == {"W_hh"}
    assert "FAIL" in gc.format_table(rows)


def test_table_has_one_line_per_row():
    rows = gc.gradcheck(cases=gc.CASES[:1], char_lm=False)
    table = gc.format_table(rows)
    assert len(table.splitlines()) == len(rows) + 2
    assert all(np.isfinite(r.rel_error) for r in rows)
