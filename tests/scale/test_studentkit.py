"""The student build of the kit holds no answer of its assignment, and still grades.

`rnnkit.scale.studentkit.build` makes what a grading sandbox sees as `rnnkit`. These tests
build it for every assignment and look at it from outside (which files, which definitions) and
from inside (a Python that can import only the build and the third-party packages).
"""
import ast
import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import rnnkit.reference
from rnnkit.scale import studentkit

ASSIGNMENTS = list(studentkit.ANSWERS)
#: modules that carry answers, fast kernels or the grader's judgement: never in a build
NEVER = ["cpu", "cuda", "nn", "optim.py", "analysis", "oracle.py", "layers.py", "train.py",
         "grading/checker.py", "grading/mistakes.py", "grading/mutants.py",
         "grading/diagnose.py", "grading/verify.py", "grading/nbgrader_plugin.py",
         "grading/audit.py", "reference/sequence.py", "scale/coordinator.py"]
GRADER_METHODS = {"expected", "diagnose", "compare", "verify_record", "check"}


@pytest.fixture(scope="module")
def kits(tmp_path_factory):
    root = tmp_path_factory.mktemp("kits")
    return {a: studentkit.build(root / a, a) for a in ASSIGNMENTS + ["99_unknown"]}


def _definitions(kit):
    """(file, name) of every function and method defined anywhere in the build."""
    found = []
    for path in kit.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.append((str(path.relative_to(kit)), node.name))
    return found


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_answer_of_this_or_a_later_assignment_is_defined(kits, assignment):
    kit = kits[assignment]
    withheld = studentkit.withheld_reference(assignment)
    assert set(studentkit.ANSWERS[assignment]) <= withheld
    defined = _definitions(kit)
    assert not [d for d in defined if d[1] in withheld], assignment
    custom = {"grading/custom.py", "grading/training.py", "grading/njit.py",
              "grading/kernels.py", "grading/analysis.py"}
    assert not [d for d in defined if d[0] in custom and d[1] in GRADER_METHODS]
    for rel in NEVER:
        assert not (kit / rel).exists(), rel


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_reference_of_earlier_assignments_is_given_as_solved(kits, assignment):
    text = (kits[assignment] / "reference" / "__init__.py").read_text()
    exported = set(ast.literal_eval(text.rsplit("__all__ = ", 1)[1]))
    public = set(rnnkit.reference.__all__) | {"lstm_final_cell"}  # the last one: not exported
    assert exported == studentkit.allowed_reference(assignment) & public


def test_an_unknown_assignment_gets_no_reference_at_all(kits):
    assert studentkit.allowed_reference("99_unknown") == set(studentkit.UTILITIES)


def test_every_reference_function_is_classified():
    """A new reference function must be listed as some assignment's answer (or a utility):
    otherwise a build could not know whether to withhold it."""
    classified = set(studentkit.UTILITIES).union(*studentkit.ANSWERS.values())
    assert set(rnnkit.reference.__all__) <= classified


def _run_in_build(kit, code):
    """Run `code` in a Python that sees the build as rnnkit, plus site-packages' third parties
    (site.py is off, so the editable install's path hook to the real package is not there)."""
    paths = [str(kit.parent), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    program = f"import sys; sys.path[:0] = {paths!r}\n" + code
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", program], capture_output=True,
                          text=True, cwd=kit.parent, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_the_build_imports_alone_and_its_check_records(kits):
    out = _run_in_build(kits["03_lstm"], """
import json
import rnnkit, rnnkit.grading, rnnkit.data, rnnkit.reference as solved
from rnnkit.grading import check, record
made = []
record.set_sink(made.append)
check("rnn_forward", solved.rnn_forward, seed=3)
try:
    import rnnkit.reference.training
    print("LEAK")
except ImportError:
    pass
print(json.dumps({"file": rnnkit.__file__, "cases": len(made[0]["results"]),
                  "has_lstm": hasattr(solved, "lstm_forward")}))
""")
    assert "LEAK" not in out
    found = json.loads(out.strip().splitlines()[-1])
    assert found == {"file": str(kits["03_lstm"] / "__init__.py"), "cases": 5,
                     "has_lstm": False}


def test_a_part_two_check_records_in_the_build(kits):
    out = _run_in_build(kits["05_training"], """
import json
import numpy as np
from rnnkit.grading import check, record
made = []
record.set_sink(made.append)
def adam_step(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return w - lr * dw, m, v   # wrong, and the build cannot tell
check("adam_step", adam_step, seed=1)
print(json.dumps(sorted(made[0]["results"][0]["outputs"])))
""")
    assert "cases ran; the grader compares them" in out
    assert json.loads(out.strip().splitlines()[-1]) == ["m_next", "v_next", "w_next"]


def test_the_built_files_are_readable_by_the_sandbox_user():
    kit = studentkit.cached("02_bptt")
    assert kit == studentkit.cached("02_bptt")  # built once per process
    for path in [kit, *kit.rglob("*")]:
        assert path.stat().st_mode & 0o004, path


# --- the home build: visible checks judged from shipped outputs ------------------------------

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def home_lstm(tmp_path_factory):
    return studentkit.build_home(REPO / "course", "03_lstm", tmp_path_factory.mktemp("home"))


def _full_message(name, func, forward=None):
    from rnnkit.grading import check
    from rnnkit.grading.visible import SEED
    try:
        check(name, func, forward=forward, seed=SEED)
    except AssertionError as exc:
        return str(exc)
    return None


# the student's LSTM at home: the reference's source (not in the home build), run there
LSTM_SOURCE = (REPO / "rnnkit" / "reference" / "lstm.py").read_text()
HOME_CHECKS = """
import json
import numpy as np
from rnnkit.grading import check
exec(compile(LSTM_SOURCE, "lstm.py", "exec"))
def no_b_hh(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    return lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, 0 * b_hh)
def bad_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    return lstm_forward(x, h0, c0, W_ih, 1.01 * W_hh, b_ih, b_hh)
said = {}
for label, args in [("right", ("lstm_step_forward", lstm_step_forward)),
                    ("right_backward", ("lstm_backward", lstm_backward, lstm_forward)),
                    ("no_b_hh", ("lstm_step_forward", no_b_hh)),
                    ("bad_forward", ("lstm_backward", lstm_backward, bad_forward))]:
    try:
        check(args[0], args[1], forward=args[2] if len(args) > 2 else None)
        said[label] = None
    except AssertionError as exc:
        said[label] = str(exc)
check("lstm_step_forward", no_b_hh, hidden=True)  # not shipped: recorded for the grader
print(json.dumps(said))
"""


def test_the_home_build_explains_visible_checks_as_the_full_check_does(home_lstm):
    out = _run_in_build(home_lstm, f"LSTM_SOURCE = {LSTM_SOURCE!r}\n" + HOME_CHECKS)
    said = json.loads(out.strip().splitlines()[-1])
    assert "lstm_step_forward: 5/5 cases match the expected outputs" in out
    assert "lstm_backward: 5/5 cases match the expected outputs" in out
    assert said["right"] is None and said["right_backward"] is None
    R = rnnkit.reference
    expected = _full_message("lstm_step_forward",
                             lambda x, h, c, W_ih, W_hh, b_ih, b_hh:
                             R.lstm_step_forward(x, h, c, W_ih, W_hh, b_ih, 0 * b_hh))
    assert said["no_b_hh"] == expected and "b_hh is left out" in expected
    expected = _full_message("lstm_backward", R.lstm_backward,
                             lambda x, h0, c0, W_ih, W_hh, b_ih, b_hh:
                             R.lstm_forward(x, h0, c0, W_ih, 1.01 * W_hh, b_ih, b_hh))
    assert said["bad_forward"] == expected and "Fix your forward first" in expected
    # a hidden check has no shipped outputs: it is only recorded
    assert "lstm_step_forward: 8/8 cases ran; the grader compares them" in out


def test_the_home_build_ships_outputs_not_the_answer(home_lstm):
    shipped = json.loads((home_lstm / "grading" / "visible.json").read_text())
    assert {k.split("|")[0] for k in shipped["checks"]} == {
        "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward"}
    assert not [d for d in _definitions(home_lstm) if d[1] in
                studentkit.withheld_reference("03_lstm")]


def test_the_home_build_judges_part_two_from_shipped_outputs(tmp_path):
    kit = studentkit.build_home(REPO / "course", "08_analysis", tmp_path)
    out = _run_in_build(kit, """
import numpy as np
from rnnkit.grading import check
check("spectral_radius", lambda W: float(np.max(np.abs(np.linalg.eigvals(W)))))
try:
    check("spectral_radius", lambda W: float(np.linalg.norm(W, 2)))
except AssertionError as exc:
    print("WRONG", exc)
""")
    assert "spectral_radius: 3/3 cases match the expected outputs" in out
    assert "WRONG spectral_radius: rho does not match the reference in case" in out


def test_student_kit_command_writes_the_home_build(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "rnnkit", "course", "student-kit", "01_rnn_forward",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "rnnkit" / "grading" / "visible.json").is_file()
    assert f"PYTHONPATH={tmp_path}" in proc.stdout
