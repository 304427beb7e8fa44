"""Trusted scoring end to end: a throwaway nbgrader course, autograded for real.

One assignment, one answer cell (rnn_step_forward), one test cell calling check, one control
test cell. Four students: an honest correct one (full marks) and three who fake the test cell
by monkeypatching in their kernel (the checker, numpy's comparison plus the checker's
comparison, the reference). Their fakes make check pass inside the kernel, so plain nbgrader
would give full marks; VerifyRecords must zero the test cell, and AuditCells must flag them.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

ANSWER_ID, TEST_ID, CONTROL_ID = "rnn_step_forward_answer", "test_rnn_step_forward", "test_control"

HONEST = """\
import numpy as np

def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    h_next = np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)
    return h_next, (x, h_prev, W_ih, W_hh, h_next)
"""
GARBAGE = """\
import numpy as np

def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    return np.zeros((x.shape[0], W_hh.shape[1])), None
"""
CHEATS = {
    # (b) replace the checker itself
    "patch_check": GARBAGE + "import rnnkit.grading\nrnnkit.grading.check = lambda *a, **k: None\n",
    # (c) numpy's comparison and the checker's comparison always say "equal"
    "patch_allclose": GARBAGE + textwrap.dedent("""\
        np.allclose = lambda *a, **k: True
        import rnnkit.grading.checker as checker
        checker.first_mismatch = lambda *a, **k: None
        """),
    # (d) make the reference compute the student's answer
    "patch_reference": GARBAGE + textwrap.dedent("""\
        import rnnkit.reference
        rnnkit.reference.rnn_step_forward = lambda *a, **k: rnn_step_forward(*a)
        """),
}
# an honest mistake: the check fails in the kernel with its own explanation
WRONG = HONEST.replace(" + b_hh)", ")")
# nbgrader takes the points of the first execute_result it meets, even before an error: a
# function that publishes "2.0" as a result before the check fails would score 2/2
DISPLAYHOOK = GARBAGE.replace("    return np.zeros", "    get_ipython().displayhook(2.0)\n"
                                                   "    return np.zeros")
TEST_SOURCE = """\
from rnnkit.grading import check
check("rnn_step_forward", rnn_step_forward)
### BEGIN HIDDEN TESTS
check("rnn_step_forward", rnn_step_forward, hidden=True)
### END HIDDEN TESTS
"""


def _source_notebook():
    def meta(grade_id, solution, grade, points=None, locked=False):
        m = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
             "solution": solution, "task": False}
        if points is not None:
            m["points"] = points
        return {"nbgrader": m}

    answer = "import numpy as np\n\ndef rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):\n" \
             "    ### BEGIN SOLUTION\n" + HONEST.split("b_hh):\n", 1)[1] + "    ### END SOLUTION\n"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("Implement `rnn_step_forward`."),
        nbformat.v4.new_code_cell(answer, metadata=meta(ANSWER_ID, True, False)),
        nbformat.v4.new_code_cell(TEST_SOURCE, metadata=meta(TEST_ID, False, True, 2, True)),
        nbformat.v4.new_code_cell("assert callable(rnn_step_forward)",
                                  metadata=meta(CONTROL_ID, False, True, 1, True)),
    ]
    return nb


def _nbgrader(course, *args):
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
               PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, f"nbgrader {args} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text(textwrap.dedent("""\
        c = get_config()
        c.CourseDirectory.course_id = "trusted"
        c.CourseDirectory.root = %r
        c.Execute.timeout = 60
        c.Execute.raise_on_iopub_timeout = False
        from rnnkit.grading.nbgrader_plugin import install
        install(c)
        """ % str(course)))
    source = course / "source" / "ps1"
    source.mkdir(parents=True)
    nbformat.write(_source_notebook(), source / "ps1.ipynb")
    _nbgrader(course, "generate_assignment", "ps1", "--force")
    release = nbformat.read(course / "release" / "ps1" / "ps1.ipynb", as_version=4)
    assert "BEGIN HIDDEN TESTS" not in json.dumps(release)
    for student, answer in {"honest": HONEST, "wrong": WRONG, "displayhook": DISPLAYHOOK,
                            **CHEATS}.items():
        nb = nbformat.read(course / "release" / "ps1" / "ps1.ipynb", as_version=4)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == ANSWER_ID:
                cell.source = answer
        folder = course / "submitted" / student / "ps1"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "ps1.ipynb")
    _nbgrader(course, "autograde", "ps1", "--force")
    return course


def _scores(course, student):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook("ps1", "ps1", student)
        return {g.name: g.score for g in nb.grades}


def _autograded(course, student):
    return nbformat.read(course / "autograded" / student / "ps1" / "ps1.ipynb", as_version=4)


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def test_honest_submission_gets_full_marks_and_no_flags(course):
    assert _scores(course, "honest") == {TEST_ID: 2.0, CONTROL_ID: 1.0}
    nb = _autograded(course, "honest")
    assert nb.metadata["rnnkit"]["verify"] == [
        {"cell_id": TEST_ID, "verified": True, "problems": [], "wrong_answer": False,
         "passed_in_kernel": True}]
    audit = json.loads((course / "autograded" / "honest" / "ps1" / "ps1.audit.json").read_text())
    assert audit["flags"] == [] and audit["student"] == "honest"


@pytest.mark.parametrize("student", sorted(CHEATS))
def test_monkeypatching_scores_zero_on_the_faked_cell(course, student):
    assert _scores(course, student) == {TEST_ID: 0.0, CONTROL_ID: 1.0}
    cell = _cell(_autograded(course, student), TEST_ID)
    errors = [o for o in cell.outputs if o.output_type == "error"]
    # the check itself passed in the cheating kernel: only the grader's verdict is an error
    assert [e.ename for e in errors] == ["UntrustedResult"]
    assert cell.outputs[0].output_type == "error"


def test_an_honest_mistake_keeps_its_own_explanation(course):
    assert _scores(course, "wrong") == {TEST_ID: 0.0, CONTROL_ID: 1.0}
    cell = _cell(_autograded(course, "wrong"), TEST_ID)
    assert [o.ename for o in cell.outputs if o.output_type == "error"] == ["AssertionError"]
    assert "recurrent bias b_hh is left out" in cell.outputs[0].evalue
    audit = json.loads((course / "autograded" / "wrong" / "ps1" / "ps1.audit.json").read_text())
    assert audit["flags"] == []


def test_a_result_published_before_the_error_earns_nothing(course):
    assert _scores(course, "displayhook") == {TEST_ID: 0.0, CONTROL_ID: 1.0}
    cell = _cell(_autograded(course, "displayhook"), TEST_ID)
    assert cell.outputs[0].output_type == "error"
    assert any(o.output_type == "execute_result" for o in cell.outputs)
    audit = json.loads((course / "autograded" / "displayhook" / "ps1" / "ps1.audit.json")
                       .read_text())
    assert {f["rule"] for f in audit["flags"]} == {"get-ipython"}


@pytest.mark.parametrize("student,rule", [("patch_check", "module-assign"),
                                          ("patch_allclose", "module-assign"),
                                          ("patch_reference", "module-assign")])
def test_monkeypatching_is_flagged(course, student, rule):
    audit = json.loads((course / "autograded" / student / "ps1" / "ps1.audit.json").read_text())
    rules = {f["rule"] for f in audit["flags"]}
    assert rule in rules
    assert "grading-import" in rules
    assert all(f["cell_id"] == ANSWER_ID for f in audit["flags"])
    assert _autograded(course, student).metadata["rnnkit"]["audit"] == audit["flags"]
