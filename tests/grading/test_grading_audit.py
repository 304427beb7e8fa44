"""The static audit: each rule fires on an example and stays quiet on ordinary solutions."""
import json

import nbformat
import pytest

from rnnkit.grading.audit import RULES, audit_notebook, audit_source
from rnnkit.grading.nbgrader_plugin import AuditCells

MODULES = {"np": "numpy", "rnnkit": "rnnkit", "os": "os", "sys": "sys"}

EXAMPLES = [
    ("grading-import", "from rnnkit.reference import rnn_forward"),
    ("grading-import", "import rnnkit.grading"),
    ("grading-import", "from rnnkit import reference as ref"),
    ("grading-use", "h, cache = rnnkit.reference.rnn_forward(x, h0, *W)"),
    ("get-ipython", "get_ipython().events.register('post_run_cell', hook)"),
    ("get-ipython", "from IPython import get_ipython"),
    ("sys-modules", "sys.modules['rnnkit.grading'] = fake"),
    ("module-assign", "np.allclose = lambda *a, **k: True"),
    ("module-assign", "np.testing.assert_allclose = print"),
    ("module-assign", "rnnkit.grading.check = lambda *a, **k: None"),
    ("module-assign", "del np.allclose"),
    ("setattr-module", "setattr(np, 'allclose', lambda *a, **k: True)"),
    ("setattr-module", "object.__setattr__(np, 'allclose', print)"),
    ("module-assign", "np.__dict__['allclose'] = print"),
    ("getattr-module", "f = getattr(rnnkit, 'refer' + 'ence')"),
    ("os-exit", "os._exit(0)"),
    ("os-exit", "from os import _exit"),
    ("builtins", "import builtins\nbuiltins.AssertionError = Warning"),
    ("builtins", "__builtins__.print = None"),
    ("dynamic-code", "exec('np.allclose = lambda *a: True')"),
    ("dynamic-code", "eval(code)"),
    ("dynamic-code", "m = __import__('rnnkit.reference')"),
    ("importlib", "import importlib\nimportlib.reload(np)"),
    ("globals-write", "globals()['rnn_forward'] = other"),
    ("globals-write", "globals().update(rnn_forward=other)"),
    # issue 11: every way a submission reached the answer key or the checker
    ("grading-import", "from rnnkit.cpu import lstm_forward"),
    ("grading-import", "import rnnkit.optim"),
    ("grading-use", "fit = rnnkit.analysis.fit_power_law"),
    ("check-rebind", "check = lambda name, f, **k: print('ok')"),
    ("check-rebind", "def check(name, func, **options):\n    pass"),
    ("check-rebind", "from rnnkit.reference import lstm_forward as check"),
    ("oracle-import", "import torch"),
    ("oracle-import", "from torch.nn import LSTM"),
    ("introspection", "ref = vars(rnnkit)['refer' + 'ence']"),
    ("introspection", "f = globals()['solved']"),
    ("introspection", "import pkgutil\nref = pkgutil.resolve_name('rnnkit.reference:lstm_forward')"),
    ("introspection", "with numba.objmode(h='float64[:, :]'):\n    h = run()"),
    ("introspection", "g = check.__globals__"),
    ("introspection", "import gc\nfor o in gc.get_objects(): pass"),
    ("introspection", "frame = sys._getframe(1).f_back"),
    ("hook", "sys.displayhook(1e9)"),
    ("hook", "sys.excepthook = quiet"),
    ("get-ipython", "import IPython\nIPython.get_ipython().input_transformers_post.append(f)"),
    ("process", "import subprocess\nsubprocess.run(['python', '-c', code])"),
    ("process", "os.system('cat /etc/passwd')"),
    ("process", "import pickle\nf = pickle.loads(blob)"),
]


@pytest.mark.parametrize("rule,source", EXAMPLES, ids=[f"{r}-{k}" for k, (r, _) in
                                                       enumerate(EXAMPLES)])
def test_rule_fires(rule, source):
    flags = audit_source(source, "cell-1", MODULES)
    assert rule in {f.rule for f in flags}, flags
    flag = next(f for f in flags if f.rule == rule)
    assert flag.cell_id == "cell-1" and flag.line >= 1 and flag.text
    assert rule in str(flag) and RULES[rule] in str(flag)


def test_every_rule_has_an_example():
    assert {rule for rule, _ in EXAMPLES + [("magic", "")]} == set(RULES)


def test_magics_are_flagged_except_timing():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%timeit f(x)\n!cat /etc/passwd\n%run evil.py")]
    flags = audit_notebook(nb, instructor=False)
    assert [(f.line, f.rule) for f in flags] == [(2, "magic"), (3, "magic")]


NORMAL = '''\
import numpy as np
from math import sqrt

def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    """One step."""
    a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    h_next = np.tanh(a)
    cache = {"x": x}
    cache["h"] = h_next
    state = Cache()
    state.h = h_next          # attribute of an object, not of a module
    np.random.seed(0)
    act = getattr(np, "tanh")   # a constant name is plain code
    out = np.zeros_like(h_next)
    out[:, 0] += 1
    %time y = h_next.sum()
    return h_next, cache
'''


def test_normal_solution_code_is_quiet():
    assert audit_source(NORMAL, "answer", MODULES) == []


def test_line_numbers_and_text():
    flags = audit_source("x = 1\n\nnp.allclose = lambda *a: True\n", "c", MODULES)
    assert [(f.line, f.rule, f.text) for f in flags] == [
        (3, "module-assign", "np.allclose = lambda *a: True")]


def _notebook():
    def cell(source, solution, grade_id):
        c = nbformat.v4.new_code_cell(source)
        c.metadata["nbgrader"] = {"solution": solution, "grade": not solution,
                                  "grade_id": grade_id, "locked": not solution,
                                  "schema_version": 3, **({} if solution else {"points": 1})}
        return c
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import numpy as np\nimport rnnkit.grading"),
                cell("np.allclose = lambda *a, **k: True\n", True, "answer"),
                cell("from rnnkit.grading import check\ncheck('rnn_forward', f)", False, "tests")]
    return nb


def test_only_answer_cells_are_audited_with_notebook_imports():
    flags = audit_notebook(_notebook())
    # the test cell's import of rnnkit.grading is the instructor's: not flagged
    assert [(f.cell_id, f.line, f.rule) for f in flags] == [("answer", 1, "module-assign")]


def test_every_cell_but_the_instructors_unchanged_ones_is_audited():
    instructor = _notebook()
    instructor.cells[1].source = "def f(x):\n    return x\n"
    submission = _notebook()
    # a new unlabelled cell, and a test cell relabelled as "not a solution, not locked"
    submission.cells.append(nbformat.v4.new_code_cell("check = lambda *a, **k: None"))
    submission.cells[1].metadata["nbgrader"]["solution"] = False
    flags = audit_notebook(submission, instructor=instructor)
    assert {(f.cell_id, f.rule) for f in flags} >= {("answer", "module-assign")}
    assert any(f.rule == "check-rebind" for f in flags)
    # the instructor's first cell, unchanged, is not flagged; edited, it is
    assert not any(f.line == 2 and f.rule == "grading-import" for f in flags)
    submission.cells[0].source += "\nimport rnnkit.reference"
    flags = audit_notebook(submission, instructor=instructor)
    assert any(f.rule == "grading-import" for f in flags)


def test_audit_cells_writes_metadata_and_json(tmp_path):
    from traitlets.config import Config
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    pre = AuditCells(config=config)
    resources = {"nbgrader": {"student": "s1", "assignment": "ps1", "notebook": "ps1"}}
    # without the instructor's notebook, the unlabelled first cell is the student's too
    nb, _ = pre.preprocess(_notebook(), resources)
    assert {f["rule"] for f in nb.metadata["rnnkit"]["audit"]} == {"grading-import",
                                                                    "module-assign"}
    (tmp_path / "source" / "ps1").mkdir(parents=True)
    nbformat.write(_notebook(), str(tmp_path / "source" / "ps1" / "ps1.ipynb"))
    nb, _ = pre.preprocess(_notebook(), resources)
    path = tmp_path / "autograded" / "s1" / "ps1" / "ps1.audit.json"
    data = json.loads(path.read_text())
    assert data["student"] == "s1" and [f["rule"] for f in data["flags"]] == ["module-assign"]
    assert nb.metadata["rnnkit"]["audit"] == data["flags"]


def test_install_puts_both_preprocessors_right_after_execute():
    from traitlets.config import Config

    import rnnkit.grading
    from rnnkit.grading.nbgrader_plugin import install
    config = Config()
    names = [p.__name__ for p in install(config)]
    assert names[:3] == ["Execute", "VerifyRecords", "AuditCells"]
    assert names.index("SaveAutoGrades") > names.index("VerifyRecords")
    documented = rnnkit.grading.__doc__.split("autograde_preprocessors = [")[1].split("]")[0]
    assert [n.strip(" #\n") for n in documented.split(",") if n.strip(" #\n")] == names
    assert install(config) == config.Autograde.autograde_preprocessors  # idempotent
    assert "install(c)" in rnnkit.grading.config_snippet()


def test_choose_seeds_gives_every_check_call_a_grader_seed():
    import numpy as np

    from rnnkit.grading.verify import choose_seeds, find_check_calls
    source = ('from rnnkit.grading import check\ncheck("rnn_forward", rnn_forward)\n'
              'check("rnn_forward", rnn_forward, nonlinearity="relu",\n      hidden=True, '
              'seed=3)  # é\ncheck("gru_forward", f,)\n')
    out, seeds = choose_seeds(source, np.random.default_rng(0))
    calls = find_check_calls(out)
    assert [c["options"].get("seed") for c in calls] == seeds and len(set(seeds)) == 3
    assert 3 not in seeds and calls[1]["options"]["nonlinearity"] == "relu"
    again, other = choose_seeds(source, np.random.default_rng(1))
    assert other != seeds and again != out


def test_install_appends_choose_seeds_to_the_sanitizers():
    from traitlets.config import Config

    from rnnkit.grading.nbgrader_plugin import ChooseSeeds, install
    config = Config()
    install(config)
    install(config)
    sanitize = config.Autograde.sanitize_preprocessors
    assert sanitize[-1] is ChooseSeeds and sanitize.count(ChooseSeeds) == 1
    names = [getattr(p, "__name__", str(p)).split(".")[-1] for p in sanitize]
    assert names.index("OverwriteCells") < names.index("ChooseSeeds")


def test_a_warning_on_stderr_does_not_fail_a_verified_check():
    import nbformat as nbf

    from rnnkit.grading.nbgrader_plugin import _warnings_are_not_failures
    cell = nbf.v4.new_code_cell("check('rnn_forward', rnn_forward)")
    cell.outputs = [nbf.v4.new_output("stream", name="stderr", text="NumbaPerformanceWarning"),
                    nbf.v4.new_output("stream", name="stdout", text="5/5 cases match")]
    _warnings_are_not_failures(cell)
    assert [o["name"] for o in cell.outputs] == ["stdout", "stdout"]
    cell.outputs[0]["name"] = "stderr"
    cell.outputs.append(nbf.v4.new_output("error", ename="AssertionError", evalue="x",
                                          traceback=[]))
    _warnings_are_not_failures(cell)  # a cell that raised keeps its stderr
    assert cell.outputs[0]["name"] == "stderr"
