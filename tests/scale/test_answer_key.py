"""Issue 11: no way to a score without a correct answer goes unflagged, on the real 01 notebook.

Every submission starts from the student release of 01_rnn_forward (no answer written) and
tries to earn points without writing the functions, by reaching the kit's answer key or the
checker. The rule a grade must keep: an attack gains no point, or it is flagged by the audit
(flags go to the instructor, never silently zero a score). A record forged for a seed the
student chose never verifies: the grader draws the seeds.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from rnnkit.scale.engine import grade
from tiny_course import nbgrader_env

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENT = "01_rnn_forward"
NAMES = ["rnn_step_forward", "rnn_forward", "temporal_affine_forward", "temporal_softmax_loss"]

pytestmark = [
    pytest.mark.skipif(not shutil.which("bwrap"), reason="bubblewrap (bwrap) is not installed: "
                       "apt-get install bubblewrap"),
]


def _all(template):
    return "\n".join(template.format(name=n) for n in NAMES)


# student -> {cell: new source}; cell "new" is a cell the student adds after the setup
ATTACKS = {
    "rebinder": {"new": "import rnnkit.reference as _r\n_real = check\n"
                        "def check(name, func, **kw):\n"
                        "    return _real(name, getattr(_r, name), **kw)\n"},
    "vars": {n: f"{n} = vars(__import__('rnn' + 'kit'))['refer' + 'ence'].{n}" for n in NAMES},
    "resolver": {n: f"import pkgutil\n{n} = pkgutil.resolve_name('rnnkit.reference:{n}')"
                 for n in NAMES},
    "globals": {"new": "import rnnkit.reference\n" + _all(
        "globals()['{name}'] = rnnkit.reference.{name}")},
    "relabel": {n: f"from rnnkit.reference import {n}" for n in NAMES},
    "transformer": {"new": "get_ipython().input_transformers_post.append(\n"
                           "    lambda lines: ['from rnnkit.reference import *\\n'] + lines)\n"},
    "kit": {"rnn_forward": "from rnnkit.cpu import sequence as _s\n"
                           "def rnn_forward(*args, **kw):\n    return _s.forward(*args)\n"},
    "recorder": {"new": "from rnnkit.grading import record as _rec\n"
                        "import rnnkit.reference as _r\n"
                        "from rnnkit.grading.checker import check as _true_check\n"
                        "def check(name, func, seed=None, **kw):\n"
                        "    return _true_check(name, getattr(_r, name), seed=7, **kw)\n"},
}


def _release(dest):
    dest.mkdir(parents=True)
    shutil.copy(REPO / "course" / "nbgrader_config.py", dest)
    shutil.copytree(REPO / "course" / "source" / ASSIGNMENT, dest / "source" / ASSIGNMENT)
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT,
                    "--force"], cwd=dest, env=nbgrader_env(), check=True, capture_output=True)
    return dest


def _submit(course, student, edits):
    nb = nbformat.read(str(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), 4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") in edits:
            cell.source = edits[meta["grade_id"]]
            if student == "relabel":  # "not an answer": the old audit skipped such cells
                meta["solution"] = False
    if "new" in edits:
        setup = next(k for k, c in enumerate(nb.cells)
                     if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
        nb.cells.insert(setup + 1, nbformat.v4.new_code_cell(edits["new"]))
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nb, str(folder / f"{ASSIGNMENT}.ipynb"))


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    course = _release(tmp_path_factory.mktemp("answer-key") / "course")
    _submit(course, "blank", {})
    for student, edits in ATTACKS.items():
        _submit(course, student, edits)
    return {o.student: o for o in grade(course, jobs=2, progress=False, log=lambda *a: None)}


def test_the_untouched_release_earns_nothing(outcomes):
    assert outcomes["blank"].score == 0 and not outcomes["blank"].flags


@pytest.mark.parametrize("student", sorted(ATTACKS))
def test_no_point_without_an_answer_goes_unflagged(outcomes, student):
    outcome = outcomes[student]
    assert outcome.status == "graded", outcome
    assert outcome.score == 0 or outcome.flags, outcome


def test_a_record_for_the_students_own_seed_never_verifies(outcomes):
    outcome = outcomes["recorder"]
    assert outcome.score == 0, outcome
    unverified = [i for i in outcome.incidents if i["kind"] == "unverified"]
    assert len(unverified) == 4 and all("seed" in i["message"] for i in unverified), unverified
