"""Issue 11: one submission cannot touch another's grade, the grader's files or the export.

The tiny course is graded twice: the honest students alone, then the same honest students next
to hostile ones (JOBS=2, sandboxed). Every hostile answer first defines the right function, so
that its expected score is definite. Checked: the honest students keep their solo grades, no
attack gains a point unflagged, the course directory and the installed kit are unchanged, the
run finishes and the export marks every incident with its reason.
"""
import csv
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

import rnnkit
from rnnkit.scale.engine import export_status, grade
from tiny_course import ADD, MUL, copy_course, grades, submit

pytestmark = pytest.mark.skipif(not shutil.which("bwrap"), reason="bubblewrap (bwrap) is not "
                                "installed: apt-get install bubblewrap")

HONEST = {"alice": (ADD, MUL), "carol": (ADD, MUL)}
KIT = Path(rnnkit.__file__).parent

ATTACKS = {
    # student: (answer_add, answer_mul, expected score, flagged?, export status)
    # writes status lines to the real stdout: the coordinator never reads a submission's stdout
    "forger": (ADD + "import os\nfor fd in (1, 2):\n    os.write(fd, b'{\"student\": \"alice\", "
                     "\"assignment\": \"tiny\", \"ok\": false, \"score\": 0}\\n')\n"
                     "print('{\"student\": \"forger\", \"score\": 99, \"ok\": true}')\n",
               MUL, 3, False, "ok"),
    # the kit is read-only in the sandbox
    "patcher": (ADD + f"try:\n    open({str(KIT / 'pwned.py')!r}, 'w').write('x = 1')\n"
                      "except OSError as exc:\n    print('kit:', type(exc).__name__)\n",
                MUL, 3, False, "ok"),
    # a hook replaced in a correct answer must not abort the class's export
    "displayhook": (ADD + "import sys\nsys.displayhook(1e9)\n", MUL, 3, True, "flagged"),
    # 400 large display outputs: capped in the sandbox, reported, the run finishes
    "flooder": (ADD, MUL + "from IPython.display import display\nfor k in range(400):\n"
                           "    display({'text/plain': 'x' * 200_000}, raw=True)\n",
                3, True, "incident"),
    # fills its disk: a tmpfs of its own, nothing reaches the host's disk
    "filler": (ADD + "import os\nblock = b'x' * (1 << 20)\ntry:\n"
                     "    with open('big.bin', 'wb') as f:\n"
                     "        for _ in range(2048):\n            f.write(block)\n"
                     "except OSError as exc:\n    print('disk:', exc)\n", MUL, 3, False, "ok"),
    # memory across many processes: the sandbox's cgroup (or rlimits) holds it
    "hoarder": (ADD + "import os, time\nkids = []\nfor _ in range(6):\n    pid = os.fork()\n"
                      "    if pid == 0:\n        try:\n            block = bytearray(700 << 20)\n"
                      "            for i in range(0, len(block), 4096):\n"
                      "                block[i] = 1\n            time.sleep(20)\n"
                      "        finally:\n            os._exit(0)\n    kids.append(pid)\n"
                      "for pid in kids:\n    os.waitpid(pid, 0)\n", MUL, 3, True, "flagged"),
    # spins on every core it can get for as long as the test cell lasts
    "spinner": (ADD + "import os, time\nfor _ in range(4):\n    if os.fork() == 0:\n"
                      "        end = time.time() + 30\n        while time.time() < end:\n"
                      "            pass\n        os._exit(0)\n", MUL, 3, True, "flagged"),
    # kills the process that runs it: only its own sandbox's executor can be reached
    "killer": (ADD, MUL + "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n",
               None, True, None),
}


def _big_files(folder, since, limit=100 << 20):
    """Files over `limit` bytes below `folder` written since the time `since`."""
    found = []
    for d, _, files in os.walk(folder):
        for f in files:
            path = os.path.join(d, f)
            with __import__("contextlib").suppress(OSError):
                info = os.stat(path)
                if info.st_size > limit and info.st_mtime >= since:
                    found.append(path)
    return found


def with_trusted_scoring(course):
    """The tiny course with the kit's grading plug-ins, as course/nbgrader_config.py has them."""
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write("from rnnkit.grading.nbgrader_plugin import install\ninstall(c)\n")
    return course


@pytest.fixture(scope="module")
def runs(tiny_template, tmp_path_factory):
    alone = with_trusted_scoring(copy_course(tiny_template, tmp_path_factory.mktemp("alone")))
    for student, (add, mul) in HONEST.items():
        submit(alone, student, add, mul)
    grade(alone, jobs=2, progress=False, log=lambda *a: None)

    mixed = with_trusted_scoring(copy_course(tiny_template, tmp_path_factory.mktemp("mixed")))
    for student, (add, mul) in HONEST.items():
        submit(mixed, student, add, mul)
    for student, (add, mul, *_) in ATTACKS.items():
        submit(mixed, student, add, mul)
    source_before = {p: p.read_bytes() for p in (mixed / "source").rglob("*") if p.is_file()}
    kit_before = sorted(p.name for p in KIT.iterdir())
    log = []
    started = time.time()
    outcomes = grade(mixed, jobs=2, progress=False, log=log.append)
    export_status(mixed, outcomes)
    return {"alone": alone, "mixed": mixed, "log": log, "kit_before": kit_before,
            "started": started,
            "source_before": source_before, "outcomes": {o.student: o for o in outcomes}}


def test_honest_students_keep_their_solo_grades(runs):
    alone, mixed = grades(runs["alone"]), grades(runs["mixed"])
    assert alone and all(mixed[key] == value for key, value in alone.items())
    for student in HONEST:
        outcome = runs["outcomes"][student]
        assert outcome.score == 3 and not outcome.incidents and not outcome.flags, outcome


@pytest.mark.parametrize("student", sorted(s for s, a in ATTACKS.items() if a[2] is not None))
def test_no_attack_gains_a_point_unflagged(runs, student):
    _, _, expected, flagged, _ = ATTACKS[student]
    outcome = runs["outcomes"][student]
    assert outcome.status == "graded" and outcome.score == expected, outcome
    assert bool(outcome.flags) == flagged, outcome.flags


def test_the_killer_only_fails_itself(runs):
    outcome = runs["outcomes"]["killer"]
    assert outcome.incidents and outcome.score in (None, 0, 2), outcome
    assert any("retried alone" in r for r in outcome.reasons), outcome.reasons


def test_export_marks_each_incident_with_its_reason(runs):
    rows = {r["student"]: r for r in csv.DictReader((runs["mixed"] / "grades.csv").open())}
    assert set(rows) == set(HONEST) | set(ATTACKS)
    for student in HONEST:
        assert rows[student]["status"] == "ok" and rows[student]["score"] == "3"
    for student, (*_, status) in ATTACKS.items():
        if status:
            assert rows[student]["status"] == status, rows[student]
    assert "output-limit" in rows["flooder"]["problems"]
    assert rows["killer"]["status"] in ("incident", "failed") and rows["killer"]["problems"]
    assert "hook" in rows["displayhook"]["problems"]


def test_nothing_outside_the_sandbox_changed(runs):
    mixed = runs["mixed"]
    after = {p: p.read_bytes() for p in (mixed / "source").rglob("*") if p.is_file()}
    assert after == runs["source_before"]
    assert sorted(p.name for p in KIT.iterdir()) == runs["kit_before"]
    assert not (KIT / "pwned.py").exists()
    since = runs["started"]
    assert not _big_files(tempfile.gettempdir(), since) and not _big_files(mixed, since)
    rows = grades(mixed)
    assert all(manual is None for _, manual in rows.values())


def test_the_notebooks_stay_small(runs):
    flooded = runs["mixed"] / "autograded" / "flooder" / "tiny" / "tiny.ipynb"
    assert flooded.stat().st_size < 60 << 20  # 400 x 200 kB sent: capped per cell
