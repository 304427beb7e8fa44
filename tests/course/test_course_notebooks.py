"""The source notebooks, the solutions and the bank, checked without nbgrader (fast)."""
import re

import nbformat
import pytest

from bank import ALTERNATIVES, WRONG
from course_helpers import COURSE, REPO, graded_cells, load_script
from rnnkit.course.submissions import apply_edit, is_answer, solutions_by_cell

EXERCISES = {
    "01_rnn_forward": ["rnn_step_forward", "rnn_forward", "temporal_affine_forward",
                       "temporal_softmax_loss"],
    "02_bptt": ["eval_numerical_gradient", "rnn_step_backward", "rnn_backward",
                "temporal_affine_backward", "clip_grad_norm"],
    "03_lstm": ["lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward"],
    "04_gru": ["gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward"],
}


def test_source_notebooks_are_built_from_the_builders():
    assert load_script("build_notebooks").main(["--check"]) == 0, \
        "course/source is out of date: run .venv/bin/python scripts/build_notebooks.py"


@pytest.mark.parametrize("assignment", sorted(EXERCISES))
def test_each_exercise_has_an_answer_cell_and_a_test_cell(source_notebooks, assignment):
    nb = source_notebooks[assignment]
    nbformat.validate(nb)
    answers = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if is_answer(c)]
    assert answers == EXERCISES[assignment]
    tests = graded_cells(nb)
    assert sorted(tests) == sorted(f"test_{name}" for name in answers)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if is_answer(cell):
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
            assert "rnnkit" not in cell.source, "answer cells must not use rnnkit"
        if meta.get("grade"):
            name = meta["grade_id"][len("test_"):]
            visible, _, hidden = cell.source.partition("### BEGIN HIDDEN TESTS")
            assert f'check("{name}", {name}' in visible, "a visible check of the cell's function"
            assert "hidden=True" in hidden and "### END HIDDEN TESTS" in hidden
            assert "hidden=True" not in visible


def test_points_follow_difficulty(source_notebooks):
    points = {k: v for nb in source_notebooks.values() for k, v in graded_cells(nb).items()}
    # backward passes are worth more than their forwards, sequences build on steps
    assert points["test_rnn_step_backward"] > points["test_rnn_step_forward"]
    assert points["test_lstm_step_backward"] > points["test_lstm_step_forward"]
    assert points["test_gru_step_backward"] > points["test_gru_step_forward"]
    assert points["test_rnn_backward"] > points["test_rnn_forward"]
    assert points["test_clip_grad_norm"] < points["test_rnn_backward"]


def test_answer_cells_pass_the_audit(source_notebooks):
    from rnnkit.grading.audit import audit_notebook
    for name, nb in source_notebooks.items():
        assert [str(f) for f in audit_notebook(nb)] == [], name


def _expected_solution(source_nb):
    """What nbgrader generate_solution makes of a source notebook (before executing it)."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, ClearOutput, LockCells
    nb = nbformat.from_dict(nbformat.v4.upgrade(source_nb) if source_nb.nbformat < 4 else source_nb)
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)
    resources = {}
    for pp in (LockCells(), ClearOutput(), ClearMarkScheme(), ClearHiddenTests()):
        nb, resources = pp.preprocess(nb, resources)
    return nb


#: the cells that draw a figure (a diagram of the cell, the notebook's experiment)
FIGURES = {"01_rnn_forward": ["diagram_unrolled", "figure"],
           "02_bptt": ["figure"], "03_lstm": ["diagram_lstm", "figure"],
           "04_gru": ["diagram_gru", "figure"]}


@pytest.mark.parametrize("assignment", sorted(EXERCISES))
def test_solutions_match_the_source_and_are_executed(source_notebooks, assignment):
    path = REPO / "solutions" / assignment / f"{assignment}.ipynb"
    assert path.exists(), "run `make solutions`"
    solution = nbformat.read(str(path), as_version=4)
    expected = _expected_solution(source_notebooks[assignment])
    assert [(c.cell_type, c.source) for c in solution.cells] == \
        [(c.cell_type, c.source) for c in expected.cells], \
        f"solutions/{assignment} drifted from course/source: run `make solutions`"
    text = nbformat.writes(solution)
    assert "HIDDEN TESTS" not in text and "hidden=True" not in text
    code = [c for c in solution.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "every cell executed"
    assert not [c.id for c in code for o in c.outputs if o.output_type == "error"]
    figures = [c.id for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert figures == FIGURES[assignment]
    seconds = float(re.search(r"ran in ([0-9.]+) s", text).group(1))
    assert seconds < 60


def test_release_config_keeps_hidden_tests_out_of_feedback():
    config = (COURSE / "nbgrader_config.py").read_text()
    for needed in ("c.Execute.raise_on_iopub_timeout = False",
                   "c.OverwriteCells.add_missing_cells = True",
                   "nbgrader.preprocessors.ClearHiddenTests", "install(c)"):
        assert needed in config


def test_bank_is_big_enough_and_its_edits_apply(source_notebooks):
    assert len(WRONG) >= 25 and len(ALTERNATIVES) >= 6
    assert len({w.id for w in WRONG}) == len(WRONG)
    assert {w.notebook for w in WRONG} == set(EXERCISES)
    for w in WRONG:
        text = solutions_by_cell(source_notebooks[w.notebook])[w.cell]
        for old, new in w.edits:
            edited = apply_edit(text, old, new, f" ({w.id})")
            assert edited != text
            text = edited
        assert w.failing <= set(graded_cells(source_notebooks[w.notebook])), w.id
    for alt in ALTERNATIVES:
        assert set(alt.sources) <= set(solutions_by_cell(source_notebooks[alt.notebook]))


@pytest.mark.parametrize("assignment", sorted(EXERCISES))
def test_every_graded_variant_has_a_visible_check(source_notebooks, assignment):
    for cell in source_notebooks[assignment].cells:
        if not cell.metadata.get("nbgrader", {}).get("grade"):
            continue
        visible, _, hidden = cell.source.partition("### BEGIN HIDDEN TESTS")
        for option in set(re.findall(r'(nonlinearity="relu"|reset_after=False)', hidden)):
            assert option in visible, (cell.metadata["nbgrader"]["grade_id"], option)


@pytest.mark.slow
def test_wrong_variants_fail_a_visible_check(source_notebooks):
    """An answer that ignores or botches a graded option no longer passes Validate: each
    such wrong answer fails, with the hidden tests left out, on a cell it loses points on,
    and the message names the variant."""
    from inprocess import failing_test_cells
    variant_wrongs = [w for w in WRONG if "variant wrong" in w.why or "option dropped" in w.why]
    assert len(variant_wrongs) >= 4
    for w in variant_wrongs:
        failed = failing_test_cells(source_notebooks[w.notebook], visible_only=True,
                                    edits=[(w.cell, old, new) for old, new in w.edits])
        assert failed and set(failed) <= w.failing, (w.id, failed)
        assert any('nonlinearity="relu"' in m or "reset_after=False" in m
                   for m in failed.values()), (w.id, failed)


@pytest.mark.slow
def test_bank_in_process(source_notebooks):
    """Quick check of the bank without nbgrader (the real autograde is test_course_pipeline.py)."""
    from inprocess import failing_test_cells
    for name, nb in source_notebooks.items():
        assert failing_test_cells(nb) == {}, name
    wrong = {}
    for w in WRONG:
        failed = failing_test_cells(source_notebooks[w.notebook],
                                    edits=[(w.cell, old, new) for old, new in w.edits])
        if set(failed) != w.failing:
            wrong[w.id] = (sorted(failed), sorted(w.failing))
    for alt in ALTERNATIVES:
        failed = failing_test_cells(source_notebooks[alt.notebook], sources=alt.sources)
        if failed:
            wrong[alt.id] = failed
    assert wrong == {}
