"""Assignment 08's figures and tables state what the code computes (no typed numbers).

The cells are run from the source notebook in this process, with their solutions.
"""
import contextlib
import io
import re
import tracemalloc

import matplotlib
import numpy as np
import pytest

from conftest import source_path
from rnnkit.course.submissions import solution_text

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def nb08():
    import nbformat
    nb = nbformat.read(str(source_path("08_analysis")), as_version=4)
    return {c.metadata.get("nbgrader", {}).get("grade_id", c.get("id")): c for c in nb.cells}


def _run(cells, names, namespace):
    """Execute the named cells (solutions in) -> their printed output."""
    from rnnkit.grading import record
    record.set_sink(lambda r: None)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            for name in names:
                exec(compile(solution_text(cells[name].source), name, "exec"), namespace)
    finally:
        record.set_sink(None)
    return out.getvalue()


def test_memory_table_counts_each_buffer_once(nb08):
    import matplotlib.pyplot as plt
    ns = {}
    printed = _run(nb08, ["setup", "memory"], ns)
    plt.close("all")
    rnn_forward, rnn_inputs = ns["rnn_forward"], ns["rnn_inputs"]
    N, D, H = ns["N"], ns["D"], ns["H"]
    for T in (32, 128):
        args = rnn_inputs(N, T, D, H)
        # what the forward pass really allocates and keeps: measured, not counted
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        h, cache = rnn_forward(*args)
        held = tracemalloc.get_traced_memory()[0] - before - h.nbytes
        tracemalloc.stop()
        inputs = sum(a.nbytes for a in args if isinstance(a, np.ndarray)) - \
            args[4].nbytes - args[5].nbytes  # biases are not in the cache
        counted = ns["buffer_bytes"](cache)
        assert abs(counted - (held + inputs)) <= 0.02 * counted, (T, counted, held, inputs)
        assert counted == ns["predicted_cache_bytes"](N, T, D, H)
        # the table prints the counted number, and the weights once
        row = re.search(rf"^\s*{T}\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", printed, re.M)
        assert float(row.group(1)) == pytest.approx(counted / 1e6, abs=0.006), printed
        assert float(row.group(3)) == pytest.approx(8 * H * (D + H) / 1e6, abs=0.006)
    # the numbers at T=32: 1.28 MB held, not 6.37 MB (weights once per step)
    first = re.search(r"^\s*32\s+([\d.]+)", printed, re.M)
    assert float(first.group(1)) < 2.0


def test_gate_bias_label_is_the_bias_the_gate_sees(nb08, monkeypatch):
    import matplotlib.pyplot as plt
    import rnnkit.reference as reference
    ns = {}
    _run(nb08, ["setup", "spectral_radius", "rnn_gradient_norms"], ns)
    seen = {}
    for cell in ("lstm", "gru"):
        original = getattr(reference, f"{cell}_forward")

        def spy(*args, _cell=cell, _original=original):
            b_ih, b_hh = args[-2:]
            H = args[1].shape[1]
            seen[_cell] = float(b_ih[H] + b_hh[H])  # rows H:2H: forget gate f / update gate z
            return _original(*args)
        monkeypatch.setattr(reference, f"{cell}_forward", spy)
    _run(nb08, ["gradient_figure"], ns)
    labels = [t.get_text() for ax in plt.gcf().axes if ax.get_legend()
              for t in ax.get_legend().get_texts()]
    plt.close("all")
    lstm = next(l for l in labels if l.startswith("LSTM"))
    gru = next(l for l in labels if l.startswith("GRU"))
    assert float(lstm.rsplit(" ", 1)[1]) == seen["lstm"], (lstm, seen)
    assert float(gru.rsplit(" ", 1)[1]) == seen["gru"], (gru, seen)
    # every RNN curve names the spectral radius computed from its own W_hh
    assert all(re.search(r"ρ\(W_hh\) = \d+\.\d\d", l) for l in labels if l.startswith("RNN"))


def test_the_cache_is_described_as_it_is(nb08):
    import rnnkit.reference as reference
    rng = np.random.default_rng(0)
    x, h0 = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5))
    W = (rng.standard_normal((5, 4)), rng.standard_normal((5, 5)), np.zeros(5), np.zeros(5))
    _, (step_caches, x_shape, third) = reference.rnn_forward(x, h0, *W)
    assert len(step_caches) == 3 and x_shape == x.shape and third is h0
    assert "`(step_caches, x_shape, h0)`" in nb08["grad_math"].source
    assert "x_shape, H)" not in nb08["grad_math"].source


def test_no_timing_is_graded(nb08):
    """Issue 11: a busy grader must not cost a correct answer points."""
    from rnnkit.grading.exercises import custom_exercises
    graded = [c for c in nb08.values() if c.metadata.get("nbgrader", {}).get("grade") and
              c.cell_type == "code"]
    for cell in graded:
        for name in re.findall(r'check\("(\w+)"', cell.source):
            exercise = custom_exercises()[name]
            assert "time" not in name and "seconds" not in exercise.what, name
    assert "forward_time_exponent" not in custom_exercises()
