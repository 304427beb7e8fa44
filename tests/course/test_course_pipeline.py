"""The nbgrader pipeline on a copy of the course: release, autograde, feedback, export.

One autograde run grades every submission below as a different student (JOBS=2): the solutions,
the untouched release, every wrong answer and alternative of the bank, the cheats of the
examples, and submissions that cannot be graded. The tests then read the results.
"""
import csv
import json
import subprocess
import sys

import nbformat
import pytest

from bank import ALTERNATIVES, WRONG
from course_helpers import ASSIGNMENTS, graded_cells, load_script, release_notebook
from rnnkit.course.paths import nbgrader_env
from rnnkit.course.sandbox import run_autograde
from rnnkit.course.submissions import fill, write

pytestmark = pytest.mark.slow

HIDDEN_TEXT = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "hidden=True")
# an accidental infinite loop inside the function: the test cell that calls it times out
INFINITE_LOOP = ("    arrays = list(grads.values())",
                 "    while True:\n        pass\n    arrays = list(grads.values())")


def _submit(course, student, assignment, nb):
    write(nb, course / "submitted" / student / assignment / f"{assignment}.ipynb")


@pytest.fixture(scope="module")
def graded(released_course, source_notebooks):
    course = released_course
    # a shorter per-cell limit than the course's 30 s keeps the timeout case cheap
    with open(course / "nbgrader_config.py", "a") as f:
        f.write("\nc.Execute.timeout = 10\n")
    release = {a: release_notebook(course, a) for a in ASSIGNMENTS}

    def solved(a, **kw):
        return fill(release[a], source_notebooks[a], **kw)

    for a in ASSIGNMENTS:
        _submit(course, "solution", a, solved(a))
        _submit(course, "untouched", a, release[a])
    for w in WRONG:
        _submit(course, f"wrong-{w.id}", w.notebook,
                solved(w.notebook, edits=[(w.cell, old, new) for old, new in w.edits]))
    for alt in ALTERNATIVES:
        _submit(course, f"alt-{alt.id}", alt.notebook, solved(alt.notebook, sources=alt.sources))
    for a, spec in load_script("build_examples").EXAMPLES["mallory"].items():
        _submit(course, "cheat", a, solved(a, edits=spec[2], answered=spec[1]))
    _submit(course, "timeout", "02_bptt",
            solved("02_bptt", edits=[("clip_grad_norm", *INFINITE_LOOP)]))
    _submit(course, "dead", "03_lstm",
            solved("03_lstm", edits=[("lstm_forward", None, "import os\nos._exit(1)\n")]))
    text = nbformat.writes(solved("01_rnn_forward"))
    broken = course / "submitted" / "broken" / "01_rnn_forward" / "01_rnn_forward.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text(text[: len(text) // 3])
    _submit(course, "stale", "01_rnn_forward", solved("01_rnn_forward"))
    results = run_autograde(course, jobs=2)
    return course, {(r["student"], r["assignment"]): r for r in results}


def _failing(result):
    return {cell for cell, (score, max_score) in result["cells"].items() if score < max_score}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solutions_earn_full_marks(graded, assignment):
    _, results = graded
    r = results["solution", assignment]
    assert r["ok"], r.get("reason")
    assert r["score"] == r["max_score"] > 0, _failing(r)
    assert r["flags"] == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_release_scores_zero_on_every_cell(graded, source_notebooks, assignment):
    _, results = graded
    r = results["untouched", assignment]
    assert r["ok"], r.get("reason")
    assert set(r["cells"]) == set(graded_cells(source_notebooks[assignment]))
    assert all(score == 0 for score, _ in r["cells"].values())
    assert r["score"] == 0 and r["flags"] == []


@pytest.mark.parametrize("wrong", WRONG, ids=[w.id for w in WRONG])
def test_wrong_answer_loses_points_on_its_cells_only(graded, wrong):
    _, results = graded
    r = results[f"wrong-{wrong.id}", wrong.notebook]
    assert r["ok"], r.get("reason")
    assert _failing(r) == set(wrong.failing), wrong.why


@pytest.mark.parametrize("alt", ALTERNATIVES, ids=[a.id for a in ALTERNATIVES])
def test_alternative_earns_full_marks(graded, alt):
    _, results = graded
    r = results[f"alt-{alt.id}", alt.notebook]
    assert r["ok"], r.get("reason")
    assert r["score"] == r["max_score"], _failing(r)
    assert r["flags"] == []


def test_monkeypatching_scores_zero_where_it_cheats_and_is_flagged(graded):
    _, results = graded
    r = results["cheat", "01_rnn_forward"]
    # rnn_step_forward is wrong and patches the reference; the checker is replaced before the
    # loss test; temporal_affine_forward is honest and correct
    assert r["cells"]["test_rnn_step_forward"][0] == 0
    assert r["cells"]["test_rnn_forward"][0] == 0
    assert r["cells"]["test_temporal_softmax_loss"][0] == 0
    assert r["cells"]["test_temporal_affine_forward"][0] == r["cells"]["test_temporal_affine_forward"][1]
    flags = "\n".join(r["flags"])
    incidents = "\n".join(r["incidents"])
    # the patch reaches only the student build, which has no reference: a wrong answer, told
    # by the grader (no incident); the replaced checker left no record: the grader cannot trust
    assert "test_rnn_step_forward" not in incidents
    assert "unverified in 01_rnn_forward/test_temporal_softmax_loss: the grader cannot trust" \
        in incidents
    assert "grading-import" in flags and "module-assign" in flags and "check-rebind" in flags
    r = results["cheat", "02_bptt"]  # numpy's and the checker's comparisons patched
    assert r["cells"]["test_rnn_step_backward"][0] == 0
    assert r["cells"]["test_rnn_backward"][0] == 0
    assert "module-assign" in "\n".join(r["flags"])


def test_submissions_that_cannot_be_graded_are_reported(graded):
    course, results = graded
    broken = results["broken", "01_rnn_forward"]
    assert not broken["ok"] and "JSON" in broken["reason"]
    # a dead kernel is a grader incident: retried alone, then reported with its reason
    dead = results["dead", "03_lstm"]
    assert dead["ok"] and any(i.startswith("kernel-died") and "again when graded alone" in i
                              for i in dead["incidents"]), dead
    slow = results["timeout", "02_bptt"]
    assert slow["ok"] and any(i.startswith("timeout in 02_bptt/test_clip_grad_norm")
                              for i in slow["incidents"]), slow
    assert slow["cells"]["test_clip_grad_norm"][0] == 0


def test_a_failed_regrade_leaves_no_stale_grade(graded):
    course, results = graded
    assert results["stale", "01_rnn_forward"]["score"] == 8
    path = course / "submitted" / "stale" / "01_rnn_forward" / "01_rnn_forward.ipynb"
    path.write_text("{ not a notebook")
    (again,) = _regrade(course, "stale")
    assert not again["ok"]
    # the gradebook keeps no old score: every cell 0 and waiting for the instructor
    code = ("from nbgrader.api import Gradebook\n"
            "with Gradebook('sqlite:///gradebook.db', 'rnnkit') as gb:\n"
            "    s = gb.find_submission('01_rnn_forward', 'stale')\n"
            "    print(sorted({(g.auto_score, g.needs_manual_grade) for n in s.notebooks "
            "for g in n.grades}))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=course, env=nbgrader_env(),
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[(0.0, True)]"
    from rnnkit.course.export import export
    rows = {(r["student"], r["assignment"]): r for r in export(course, log=lambda *a: None)}
    stale = rows["stale", "01_rnn_forward"]
    assert stale["score"] == "" and stale["status"] == "failed" and "JSON" in stale["problems"]


def _regrade(course, student):
    from rnnkit.course.autograde import autograde
    return autograde(course, jobs=1, students=[student], progress=False, log=lambda *a: None)


def test_release_and_feedback_never_show_hidden_tests(graded):
    course, _ = graded
    for a in ASSIGNMENTS:
        text = (course / "release" / a / f"{a}.ipynb").read_text()
        assert not [m for m in HIDDEN_TEXT if m in text]
        assert "BEGIN SOLUTION" not in text and "raise NotImplementedError()" in text
    students = ["solution", "untouched", "wrong-dh_not_accumulated", "cheat"]
    code = ("import pathlib, sys\nfrom rnnkit.course.feedback import generate_feedback\n"
            f"sys.exit(generate_feedback(pathlib.Path({str(course)!r}), students={students!r}))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=course, env=nbgrader_env(),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    pages = sorted((course / "feedback").glob("*/*/*.html"))
    assert len(pages) == 4 + 4 + 1 + 2
    for page in pages:
        text = page.read_text()
        assert not [m for m in HIDDEN_TEXT if m in text], page
    # the student still learns what went wrong
    page = (course / "feedback" / "wrong-dh_not_accumulated" / "02_bptt" / "02_bptt.html")
    assert "dh_prev" in page.read_text()


def test_export_lists_failed_and_flagged_submissions(graded):
    course, _ = graded
    from rnnkit.course.export import export
    export(course, log=lambda *a: None)
    with open(course / "grades.csv") as f:
        rows = {(r["student"], r["assignment"]): r for r in csv.DictReader(f)}
    assert rows["solution", "03_lstm"]["status"] == "ok"
    assert rows["solution", "03_lstm"]["score"] == rows["solution", "03_lstm"]["max_score"]
    # checks that passed in the kernel but not in the grader outrank the audit's flags
    assert rows["cheat", "01_rnn_forward"]["status"] == "incident"
    assert "flag: " in rows["cheat", "01_rnn_forward"]["problems"]
    assert rows["cheat", "02_bptt"]["status"] in ("flagged", "incident")
    assert rows["dead", "03_lstm"]["status"] == "incident"
    assert "kernel-died" in rows["dead", "03_lstm"]["problems"]
    assert rows["broken", "01_rnn_forward"]["status"] == "failed"
    assert rows["broken", "01_rnn_forward"]["score"] == ""
    status = json.loads((course / "autograde_status.json").read_text())
    assert len(status) == len(rows)
