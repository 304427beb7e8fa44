"""Hostile submissions are contained and reported; the others get the grades they get alone.

One run grades two honest students alone; a second run grades them again together with seven
hostile ones (JOBS=2). Each hostile answer first defines the right function, then attacks, so
that "graded on what it did" has a definite expected score.
"""
import shutil

import nbformat
import pytest

from rnnkit.scale.engine import export_status, grade
from tiny_course import ADD, MUL, SECRET, copy_course, grades, submit

pytestmark = pytest.mark.skipif(not shutil.which("bwrap"), reason="bubblewrap (bwrap) is not "
                                "installed: apt-get install bubblewrap")

HONEST = {"alice": (ADD, MUL), "bob": ("def add(a, b):\n    return a - b\n", MUL)}


def hostile(course):
    gradebook = course / "gradebook.db"
    source = course / "source" / "tiny" / "tiny.ipynb"
    secret = SECRET[:10] + "' + '" + SECRET[10:]  # never spelled whole in the payload itself
    return {
        # (answer_add, answer_mul), expected score, words expected in the report
        "gradebook": (ADD + f"import sqlite3\ndb = sqlite3.connect('file:{gradebook}?mode=rw', "
                            "uri=True)\ndb.execute('UPDATE grade SET manual_score = 999')\n"
                            "db.commit()\n", MUL, 3, "outside the sandbox"),
        "hidden": (ADD + "import os\nfound = []\nfor top in ('/sandbox', '/tmp'):\n"
                         "    for d, dirs, files in os.walk(top):\n"
                         # the read-only Python installation may sit under /tmp (a CI clone)
                         "        dirs[:] = [x for x in dirs if x not in ('.venv', 'site-packages')]\n"
                         "        for f in files:\n"
                         "            path = os.path.join(d, f)\n"
                         "            try: text = open(path, errors='ignore').read(1 << 20)\n"
                         "            except OSError: continue\n"
                         f"            if '{secret}' in text: found.append(path)\n"
                         "print('found:', found)\n"
                         "try:\n    open(f'/proc/{os.getppid()}/mem', 'rb')\n"
                         "    print('executor memory: open')\n"
                         "except OSError as exc:\n"
                         "    print('executor memory:', type(exc).__name__)\n"
                         f"print(open('{source}').read())\n", MUL, 3, "outside the sandbox"),
        "exiter": (ADD, MUL + "import os\nos._exit(3)\n", 2, "kernel exited with status 3"),
        "hog": (ADD + "hog = bytearray(64 << 30)\n", MUL, 3, "memory limit"),
        "spinner": (ADD, MUL + "import numpy as np\nfrom numba import njit\n@njit\n"
                              "def spin(a):\n    while a[0] >= 0.0:\n        a[1] += 1.0\n"
                              "    return a[1]\nspin(np.zeros(2))\n", 2, "ignored the interrupt"),
        "forker": (ADD + "import os, time\n"
                         "def _bomb():\n    while True:\n        try:\n            os.fork()\n"
                         "        except OSError:\n            time.sleep(0.2)\n"
                         "if os.fork() == 0:\n    _bomb()\n"
                         "deadline = time.time() + 20\n"
                         "while time.time() < deadline:\n    pid = os.fork()\n"
                         "    if pid == 0:\n        os._exit(0)\n    os.waitpid(pid, 0)\n"
                         "    time.sleep(0.05)\n", MUL, 3, "process limit"),
        "caller": (ADD + "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=5)\n",
                   MUL, 3, "no network"),
    }


@pytest.fixture(scope="module")
def runs(tiny_template, tmp_path_factory):
    alone = copy_course(tiny_template, tmp_path_factory.mktemp("alone"))
    for student, (add, mul) in HONEST.items():
        submit(alone, student, add, mul)
    alone_outcomes = grade(alone, jobs=2, progress=False, log=lambda *a: None)

    mixed = copy_course(tiny_template, tmp_path_factory.mktemp("mixed"))
    attacks = hostile(mixed)
    for student, (add, mul) in HONEST.items():
        submit(mixed, student, add, mul)
    for student, (add, mul, _, _) in attacks.items():
        submit(mixed, student, add, mul)
    outcomes = grade(mixed, jobs=2, progress=False, log=lambda *a: None)
    export_status(mixed, outcomes)
    return {"alone": alone, "alone_outcomes": {o.student: o for o in alone_outcomes},
            "mixed": mixed, "outcomes": {o.student: o for o in outcomes}, "attacks": attacks}


def test_honest_students_get_the_grades_they_get_alone(runs):
    alone, mixed = grades(runs["alone"]), grades(runs["mixed"])
    for key, value in alone.items():
        assert mixed[key] == value, key
    assert runs["outcomes"]["alice"].score == 3 and runs["outcomes"]["bob"].score == 1


@pytest.mark.parametrize("student", ["gradebook", "hidden", "exiter", "hog", "spinner",
                                     "forker", "caller"])
def test_each_attack_is_contained_and_reported(runs, student):
    outcome = runs["outcomes"][student]
    _, _, expected, words = runs["attacks"][student]
    assert outcome.status == "graded", outcome
    assert outcome.score == expected, outcome
    said = outcome.reasons + [i["message"] for i in outcome.incidents]
    assert any(words in reason for reason in said), said


def test_the_gradebook_has_only_the_coordinators_writes(runs):
    rows = grades(runs["mixed"])
    assert all(manual is None for _, manual in rows.values())  # the forged UPDATE never landed
    students = {s for s, _ in rows}
    assert students == set(HONEST) | set(runs["attacks"])
    for (student, cell), (auto, _) in rows.items():
        assert auto is not None, (student, cell)


def test_hidden_tests_are_not_on_the_sandboxs_disk(runs):
    nb = nbformat.read(str(runs["mixed"] / "autograded" / "hidden" / "tiny" / "tiny.ipynb"), 4)
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                  == "answer_add")
    text = "".join(o.get("text", "") + str(o.get("evalue", "")) for o in answer.outputs)
    assert "found: []" in text
    assert "executor memory: PermissionError" in text  # it holds the hidden tests in memory
    assert "No such file or directory" in text and SECRET not in text


def test_resume_skips_what_is_done_and_force_regrades(runs):
    mixed = runs["mixed"]
    (mixed / ".rnnkit-scale" / "ledger" / "tiny" / "bob.json").unlink()  # "interrupted" there
    before = grades(mixed)
    outcomes = {o.student: o for o in grade(mixed, jobs=2, progress=False, log=lambda *a: None)}
    assert outcomes["bob"].status == "graded" and outcomes["bob"].score == 1
    assert {s for s, o in outcomes.items() if o.status == "skipped"} == \
        set(outcomes) - {"bob"}
    forced = grade(mixed, students=["alice"], force=True, progress=False, log=lambda *a: None)
    assert [(o.student, o.status, o.score) for o in forced] == [("alice", "graded", 3)]
    assert grades(mixed) == before


def test_export_has_every_student_with_the_coordinators_scores(runs):
    import csv
    path = runs["mixed"] / "grades.csv"
    if not path.exists():
        pytest.skip("rnnkit.course (the export) is not installed")
    rows = {r["student"]: r for r in csv.DictReader(path.open())}
    assert set(rows) == set(runs["outcomes"])
    for student, outcome in runs["outcomes"].items():
        assert float(rows[student]["score"]) == outcome.score
