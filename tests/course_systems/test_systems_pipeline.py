"""Part 2 through nbgrader: validator, release, autograde, feedback, trusted scoring.

One autograde run (JOBS=2) grades, as different students: the solutions, the untouched
releases, a cheat that replaces the checker, and the bank's CUDA bugs and prange race for real.
(The whole bank runs without nbgrader in test_systems_bank.py; the tests here prove the grading
path itself.)
"""
import subprocess
import sys

import nbformat
import pytest

from bank_systems import WRONG
from conftest import SYSTEMS, source_path
from rnnkit.course.paths import nbgrader_env
from rnnkit.course.sandbox import run_autograde
from rnnkit.course.submissions import fill, write
from rnnkit.course.validate import validate

pytestmark = pytest.mark.slow

HIDDEN_TEXT = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "hidden=True")
REAL_BANK = ["missing_bounds_check", "wrong_index_arithmetic", "missing_syncthreads",
             "prange_race"]
# rebinds the notebook's `check` to a function that never fails (for the rest of the notebook),
# after a wrong adam_step
CHEAT = ("m_hat = m_next / (1 - beta1**t)", "m_hat = m_next")
CHEAT_TAIL = "\ncheck = lambda *args, **kwargs: None\n"


def _release(course, assignment):
    path = course / "release" / assignment / f"{assignment}.ipynb"
    return nbformat.read(str(path), as_version=4)


def _submit(course, student, assignment, nb):
    write(nb, course / "submitted" / student / assignment / f"{assignment}.ipynb")


@pytest.fixture(scope="module")
def graded(released_systems):
    course = released_systems
    sources = {a: nbformat.read(str(source_path(a)), as_version=4) for a in SYSTEMS}
    for a in SYSTEMS:
        _submit(course, "solution", a, fill(_release(course, a), sources[a]))
        _submit(course, "untouched", a, _release(course, a))
    for w in WRONG:
        if w.id in REAL_BANK:
            _submit(course, f"wrong-{w.id}", w.notebook,
                    fill(_release(course, w.notebook), sources[w.notebook],
                         edits=[(w.cell, old, new) for old, new in w.edits]))
    _submit(course, "cheat", "05_training",
            fill(_release(course, "05_training"), sources["05_training"],
                 edits=[("adam_step", *CHEAT), ("adam_step", None, CHEAT_TAIL)]))
    results = run_autograde(course, jobs=2)
    return course, {(r["student"], r["assignment"]): r for r in results}


def _auto_cells(result):
    return {k: v for k, v in result["cells"].items() if k.startswith("test_")}


def _failing(result):
    return {k for k, (score, top) in _auto_cells(result).items() if score < top}


@pytest.mark.parametrize("assignment", SYSTEMS)
def test_source_passes_and_release_fails_the_validator(released_systems, assignment):
    passed, results = validate(source_path(assignment))
    assert passed, results
    passed, results = validate(released_systems / "release" / assignment / f"{assignment}.ipynb")
    assert not passed and "changed" not in results and len(results["failed"]) >= 3


@pytest.mark.parametrize("assignment", SYSTEMS)
def test_release_leaks_no_hidden_test(released_systems, assignment):
    text = (released_systems / "release" / assignment / f"{assignment}.ipynb").read_text()
    assert not [t for t in HIDDEN_TEXT if t in text]
    assert "BEGIN SOLUTION" not in text and "Model answer" not in text


@pytest.mark.parametrize("assignment", SYSTEMS)
def test_solution_earns_full_autograded_marks(graded, assignment):
    _, results = graded
    r = results["solution", assignment]
    assert r["ok"], r.get("reason")
    cells = _auto_cells(r)
    assert cells and all(score == top > 0 for score, top in cells.values()), cells
    assert r["flags"] == []


@pytest.mark.parametrize("assignment", SYSTEMS)
def test_untouched_release_scores_zero(graded, assignment):
    _, results = graded
    r = results["untouched", assignment]
    assert r["ok"], r.get("reason")
    assert r["score"] == 0 and all(score == 0 for score, _ in r["cells"].values())
    assert r["flags"] == []


@pytest.mark.parametrize("wrong_id", REAL_BANK)
def test_classic_bugs_lose_points_on_their_cell_only(graded, wrong_id):
    _, results = graded
    w = next(w for w in WRONG if w.id == wrong_id)
    r = results[f"wrong-{w.id}", w.notebook]
    assert r["ok"], r.get("reason")
    assert _failing(r) == set(w.failing), w.why


def test_replacing_the_checker_scores_zero_and_is_flagged(graded):
    _, results = graded
    r = results["cheat", "05_training"]
    assert r["ok"], r.get("reason")
    # the replaced checker stays replaced for every later test cell: all of them score 0
    assert _failing(r) == set(_auto_cells(r))
    flags = "\n".join(r["flags"])
    incidents = "\n".join(r["incidents"])
    assert "unverified in 05_training/test_adam_step: the grader cannot trust" in incidents
    assert "grading-use" in flags and "check-rebind" in flags


def test_feedback_hides_the_hidden_tests(graded):
    course, _ = graded
    env = dict(nbgrader_env(), RNNKIT_COURSE=str(course))
    done = subprocess.run([sys.executable, "-m", "rnnkit.cli", "course", "feedback"], env=env,
                          cwd=course, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    pages = list((course / "feedback" / "solution").glob("*/*.html"))
    assert len(pages) == len(SYSTEMS)
    for page in pages:
        text = page.read_text()
        assert not [t for t in HIDDEN_TEXT if t in text], page
