"""Issue 11: no way to a score without a correct answer goes unflagged, on the real 01 notebook.

Every submission starts from the student release of 01_rnn_forward (no answer written) and
tries to earn points without writing the functions, by reaching the kit's answer key or the
checker. The rule a grade must keep: an attack gains no point, or it is flagged by the audit
(flags go to the instructor, never silently zero a score). The answer key is not even in the
sandbox: the notebook runs against the student build of the kit (`rnnkit.scale.studentkit`).
Records made at home (right answers, for a seed the student chose) never verify: the grader
draws the seeds.
"""
import json
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
    "checker": {"new": "import rnnkit.reference as _r\n"
                       "from rnnkit.grading.checker import check as _true_check\n"
                       "def check(name, func, seed=None, **kw):\n"
                       "    return _true_check(name, getattr(_r, name), seed=7, **kw)\n"},
}
# what a kernel can find of the answer key: printed as one JSON line by a cell of its own
EXPLORER = """\
import importlib, json, os, sys
import rnnkit, rnnkit.reference
found = {"reference": sorted(n for n in dir(rnnkit.reference) if not n.startswith("_"))}
for name in ["rnnkit.cpu", "rnnkit.cuda", "rnnkit.optim", "rnnkit.analysis", "rnnkit.oracle",
             "rnnkit.reference.training", "rnnkit.grading.checker", "rnnkit.grading.mistakes",
             "rnnkit.grading.verify", "rnnkit.grading.diagnose"]:
    try:
        importlib.import_module(name)
        found[name] = "imported"
    except ImportError:
        pass
hits = []
for top in sorted({os.path.dirname(rnnkit.__file__), sys.prefix, os.path.expanduser("~"),
                   os.getcwd(), "/tmp", "/work"}):
    for folder, _, files in os.walk(top):
        for f in files:
            path = os.path.join(folder, f)
            if not f.endswith((".py", ".ipynb", ".txt", ".json")):
                continue
            try:
                with open(path, errors="ignore") as fh:
                    if "def rnn_step_forward" in fh.read():
                        hits.append(path)
            except OSError:
                pass
found["files"] = hits
print("EXPLORER " + json.dumps(found))
"""


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


def _home_records():
    """What a student can bring from home: correct records for seed 7 (made with the kit)."""
    import rnnkit.reference as reference
    from rnnkit.grading import check as full_check
    from rnnkit.grading import record
    made = []
    record.set_sink(made.append)
    try:
        for n in NAMES:
            full_check(n, getattr(reference, n), seed=7)
    finally:
        record.set_sink(None)
    return {r["name"]: r for r in made}


def _forger_cell():
    return ("import json\nfrom IPython.display import display\n"
            f"RECORDS = json.loads({json.dumps(json.dumps(_home_records()))})\n"
            "def check(name, func, **kw):\n"
            f"    display({{{record_mime()!r}: RECORDS[name], 'text/plain': name}}, raw=True)\n")


def record_mime():
    from rnnkit.grading.record import MIME
    return MIME


@pytest.fixture(scope="module")
def course_dir(tmp_path_factory):
    course = _release(tmp_path_factory.mktemp("answer-key") / "course")
    _submit(course, "blank", {})
    for student, edits in ATTACKS.items():
        _submit(course, student, edits)
    _submit(course, "forger", {"new": _forger_cell()})
    _submit(course, "explorer", {"new": EXPLORER})
    return course


@pytest.fixture(scope="module")
def outcomes(course_dir):
    return {o.student: o for o in grade(course_dir, jobs=2, progress=False,
                                        log=lambda *a: None)}


def test_the_untouched_release_earns_nothing(outcomes):
    assert outcomes["blank"].score == 0 and not outcomes["blank"].flags


@pytest.mark.parametrize("student", sorted(ATTACKS))
def test_no_point_without_an_answer_goes_unflagged(outcomes, student):
    outcome = outcomes[student]
    assert outcome.status == "graded", outcome
    assert outcome.score == 0 or outcome.flags, outcome


def test_a_record_made_at_home_never_verifies(outcomes):
    outcome = outcomes["forger"]
    assert outcome.score == 0, outcome
    unverified = [i for i in outcome.incidents if i["kind"] == "unverified"]
    assert len(unverified) == 4 and all("seed" in i["message"] for i in unverified), unverified


def test_the_answer_key_is_not_in_the_sandbox(outcomes, course_dir):
    assert outcomes["explorer"].status == "graded"
    nb = nbformat.read(str(course_dir / "autograded" / "explorer" / ASSIGNMENT /
                           f"{ASSIGNMENT}.ipynb"), 4)
    lines = [line for cell in nb.cells for out in cell.get("outputs", [])
             for line in out.get("text", "").splitlines() if line.startswith("EXPLORER ")]
    assert len(lines) == 1, "the explorer cell did not run"
    found = json.loads(lines[0][len("EXPLORER "):])
    # 01 is the first assignment: no reference function at all, only helpers
    assert not set(found["reference"]) & set(NAMES), found
    assert not [k for k, v in found.items() if v == "imported"], found
    assert found["files"] == [], found
