"""Part 2's source notebooks, solutions and bank, checked without nbgrader (fast)."""
import importlib
import re
import sys

import nbformat
import pytest

from bank_systems import ALTERNATIVES, NOTEBOOKS, WRONG
from conftest import SYSTEMS, REPO, source_path
from rnnkit.course.submissions import apply_edit, is_answer, solutions_by_cell

EXERCISES = {
    "05_training": ["adam_step", "train_step", "train_tbptt", "sample", "perplexity"],
    "06_numba_cpu": ["lstm_forward_njit", "lstm_backward_njit", "lstm_forward_parallel"],
    "07_numba_cuda": ["lstm_gates_kernel", "matmul_tiled_kernel", "lstm_step_kernel"],
    "08_analysis": ["fit_exponent", "forward_cost", "spectral_radius", "rnn_gradient_norms"],
}
#: the check name of a test cell when it differs from the answer's function
CHECK_NAME = {}
MANUAL = {"05_training": ["reflection"], "08_analysis": ["interpret_complexity",
                                                         "interpret_gradients"]}
BUILDERS = {"05_training": "nb05_training", "06_numba_cpu": "nb06_numba_cpu",
            "07_numba_cuda": "nb07_numba_cuda", "08_analysis": "nb08_analysis"}


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


@pytest.mark.parametrize("assignment", SYSTEMS)
def test_source_notebook_is_built_from_its_builder(assignment):
    sys.path.insert(0, str(REPO / "scripts" / "notebooks"))
    builder = importlib.import_module(BUILDERS[assignment])
    assert builder.NAME == assignment
    text = nbformat.writes(builder.build()) + "\n"
    assert source_path(assignment).read_text() == text, \
        "course/source is out of date: run .venv/bin/python scripts/build_notebooks.py"


@pytest.mark.parametrize("assignment", SYSTEMS)
def test_answer_test_and_manual_cells(systems_notebooks, assignment):
    from rnnkit.grading.exercises import custom_exercises
    nb = systems_notebooks[assignment]
    nbformat.validate(nb)
    answers = [_meta(c)["grade_id"] for c in nb.cells if is_answer(c)]
    assert answers == EXERCISES[assignment]
    tests = [_meta(c)["grade_id"] for c in nb.cells if _meta(c).get("grade") and
             c.cell_type == "code"]
    assert tests == [f"test_{name}" for name in answers]
    manual = [_meta(c)["grade_id"] for c in nb.cells if c.cell_type == "markdown" and
              _meta(c).get("grade") and _meta(c).get("solution")]
    assert manual == MANUAL.get(assignment, [])
    for cell in nb.cells:
        meta = _meta(cell)
        if is_answer(cell):
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
            assert "rnnkit" not in cell.source, "answer cells must not use rnnkit"
        if meta.get("grade") and cell.cell_type == "code":
            name = meta["grade_id"][len("test_"):]
            visible, _, hidden = cell.source.partition("### BEGIN HIDDEN TESTS")
            check = CHECK_NAME.get(name, name)
            assert check in custom_exercises()
            assert f'check("{check}", {name}' in visible, "a visible check of the function"
            assert "hidden=True" in hidden and "### END HIDDEN TESTS" in hidden
            assert "hidden=True" not in visible


def test_points_follow_difficulty(systems_notebooks):
    points = {_meta(c)["grade_id"]: _meta(c)["points"] for nb in systems_notebooks.values()
              for c in nb.cells if _meta(c).get("grade")}
    assert points["test_lstm_backward_njit"] > points["test_lstm_forward_njit"]
    assert points["test_train_step"] > points["test_adam_step"]
    assert points["test_matmul_tiled_kernel"] > points["test_lstm_gates_kernel"]
    assert points["test_rnn_gradient_norms"] > points["test_spectral_radius"]


def test_answer_cells_pass_the_audit(systems_notebooks):
    from rnnkit.grading.audit import audit_notebook
    for name, nb in systems_notebooks.items():
        assert [str(f) for f in audit_notebook(nb)] == [], name


def test_cuda_notebook_selects_the_simulator_before_numba():
    nb = nbformat.read(str(source_path("07_numba_cuda")), as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code").source
    assert first.index('os.environ["NUMBA_ENABLE_CUDASIM"] = "1"') < first.index("from numba")
    assert "SIMULATOR" in first and "real GPU" in first  # it says which one it uses


def _expected_solution(source_nb):
    from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, ClearOutput, LockCells
    nb = nbformat.reads(nbformat.writes(source_nb), as_version=4)
    resources = {}
    for pp in (LockCells(), ClearOutput(), ClearMarkScheme(), ClearHiddenTests()):
        nb, resources = pp.preprocess(nb, resources)
    return nb


FIGURES = {"05_training": ["figure", "adam_vs_sgd"], "06_numba_cpu": ["figure"],
           "07_numba_cuda": ["diagram_tile"],
           "08_analysis": ["figure", "gradient_figure", "accuracy_cost", "hidden_states",
                           "gates"]}


@pytest.mark.parametrize("assignment", SYSTEMS)
def test_solutions_match_the_source_and_are_executed(systems_notebooks, assignment):
    path = REPO / "solutions" / assignment / f"{assignment}.ipynb"
    assert path.exists(), "run `make solutions`"
    solution = nbformat.read(str(path), as_version=4)
    expected = _expected_solution(systems_notebooks[assignment])
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
    assert seconds < 120  # each notebook runs top to bottom in under 2 minutes


def test_bank_is_big_enough_and_its_edits_apply(systems_notebooks):
    assert len(WRONG) >= 20 and len(ALTERNATIVES) >= 4
    assert len({w.id for w in WRONG}) == len(WRONG)
    assert {w.notebook for w in WRONG} == set(NOTEBOOKS) == set(SYSTEMS)
    ids = {w.id for w in WRONG}
    # the classic bugs the issue names
    assert {"missing_bounds_check", "wrong_index_arithmetic", "missing_syncthreads",
            "object_mode", "prange_race"} <= ids
    for w in WRONG:
        text = solutions_by_cell(systems_notebooks[w.notebook])[w.cell]
        for old, new in w.edits:
            edited = apply_edit(text, old, new, f" ({w.id})")
            assert edited != text
            text = edited
        tests = {_meta(c)["grade_id"] for c in systems_notebooks[w.notebook].cells
                 if _meta(c).get("grade") and c.cell_type == "code"}
        assert w.failing <= tests, w.id
    for alt in ALTERNATIVES:
        assert set(alt.sources) <= set(solutions_by_cell(systems_notebooks[alt.notebook]))
