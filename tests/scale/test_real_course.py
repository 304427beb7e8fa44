"""The sandboxed engine on the real assignment 01_rnn_forward gives nbgrader's own grades.

A copy of the course (config + source) is released; the bundled example submissions of a good
student, a monkeypatching one and an invalid file are graded twice: by plain ``nbgrader
autograde`` and by the scale engine. Every grade cell must score the same, the cheat must be
flagged, and the invalid file must be reported by name.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rnnkit.scale.engine import grade
from tiny_course import nbgrader_env

REPO = Path(__file__).resolve().parents[2]
COURSE = REPO / "course"
ASSIGNMENT = "01_rnn_forward"
STUDENTS = ["ada", "mallory", "bob"]  # good, monkeypatching, invalid JSON (course/examples)

pytestmark = [
    pytest.mark.skipif(not shutil.which("bwrap"), reason="bubblewrap (bwrap) is not installed: "
                       "apt-get install bubblewrap"),
    pytest.mark.skipif(not all((COURSE / "examples" / s / ASSIGNMENT).is_dir() for s in STUDENTS)
                       or not (COURSE / "source" / ASSIGNMENT).is_dir(),
                       reason="course/source/01_rnn_forward or its examples are not there yet"),
]


def make_copy(dest):
    dest.mkdir(parents=True)
    shutil.copy(COURSE / "nbgrader_config.py", dest)
    shutil.copytree(COURSE / "source" / ASSIGNMENT, dest / "source" / ASSIGNMENT)
    for student in STUDENTS:
        shutil.copytree(COURSE / "examples" / student / ASSIGNMENT,
                        dest / "submitted" / student / ASSIGNMENT)
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT,
                    "--force"], cwd=dest, env=nbgrader_env(), check=True, capture_output=True)
    return dest


def cell_scores(course):
    from nbgrader.api import Gradebook
    url = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(url) as gb:
        return {(s.student.id, g.name): g.auto_score
                for s in gb.assignment_submissions(ASSIGNMENT)
                for nb in s.notebooks for g in nb.grades}


def test_scale_engine_matches_plain_nbgrader(tmp_path):
    plain = make_copy(tmp_path / "plain")
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT], cwd=plain,
                   env=nbgrader_env(), capture_output=True)  # bob's invalid file fails there
    scaled = make_copy(tmp_path / "scaled")
    outcomes = {o.student: o for o in grade(scaled, jobs=2, progress=False,
                                            log=lambda *a: None)}
    expected = {k: v for k, v in cell_scores(plain).items() if k[0] != "bob"}
    got = cell_scores(scaled)
    assert expected and {k: got[k] for k in expected} == expected
    assert outcomes["ada"].status == "graded" and not outcomes["ada"].flags
    assert outcomes["mallory"].flags, "the monkeypatching submission must be flagged"
    assert outcomes["bob"].status == "failed"
    assert any("not valid JSON" in r or "NotJSONError" in r for r in outcomes["bob"].reasons)
    assert all(score == 0 for (s, _), score in got.items() if s == "bob")
