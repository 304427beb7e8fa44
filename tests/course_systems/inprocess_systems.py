"""Run part 2's bank on one notebook in this process, without nbgrader: which test cells fail.

    python tests/course_systems/inprocess_systems.py <notebook.ipynb>     # prints JSON {variant id: [cells]}

A fast stand-in for autograding (tests/course_systems/test_systems_pipeline.py does the real thing).
The set-up cells (the locked code cells before the first answer) and every solution run once;
each variant then re-runs only its edited answer cells (and the later answer cells that call
them, so that they see the edited function), then every test cell with its hidden part. The
compiled Numba and CUDA functions of the untouched answers are reused, which keeps the bank
fast. Run it in a process of its own: notebook 07 needs NUMBA_ENABLE_CUDASIM=1 before numba
is imported (its set-up cell sets it).
"""
import contextlib
import io
import json
import pathlib
import re
import sys

import matplotlib
import nbformat

matplotlib.use("Agg")
sys.path.insert(0, str(pathlib.Path(__file__).parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))  # the repo: tests.course.bank

from bank_systems import ALTERNATIVES, WRONG  # noqa: E402
from rnnkit.course.submissions import apply_edit, solution_text  # noqa: E402


def _kind(cell):
    meta = cell.metadata.get("nbgrader", {})
    if meta.get("grade") and not meta.get("solution"):
        return "test"
    if meta.get("solution"):
        return "answer"
    return "code"


def _source(cell):
    text = solution_text(cell.source)
    return "\n".join(line for line in text.splitlines()
                     if "### BEGIN HIDDEN" not in line and "### END HIDDEN" not in line)


def _defined(text):
    return set(re.findall(r"^def (\w+)", text, flags=re.M))


def _exec(text, name, namespace):
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(text, name, "exec"), namespace)


def run_notebook(path):
    from rnnkit.grading import record
    nb = nbformat.read(str(path), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    first_answer = next(k for k, c in enumerate(code) if _kind(c) == "answer")
    setup = [c for c in code[:first_answer] if _kind(c) == "code"]
    answers = [(c.metadata["nbgrader"]["grade_id"], _source(c)) for c in code
               if _kind(c) == "answer"]
    tests = [(c.metadata["nbgrader"]["grade_id"], _source(c)) for c in code if _kind(c) == "test"]
    name = pathlib.Path(path).stem
    record.set_sink(lambda r: None)
    base = {}
    for cell in setup:
        _exec(_source(cell), cell.metadata["nbgrader"]["grade_id"], base)
    for cell_id, text in answers:
        _exec(text, cell_id, base)

    def failing(replaced):
        namespace = dict(base)
        touched = set()
        for cell_id, text in answers:
            if cell_id in replaced or any(re.search(rf"\b{f}\b", text) for f in touched):
                text = replaced.get(cell_id, text)
                _exec(text, cell_id, namespace)
                touched |= _defined(text)
        failed = []
        for cell_id, text in tests:
            try:
                _exec(text, cell_id, namespace)
            except Exception:  # noqa: BLE001
                failed.append(cell_id)
        return failed

    solutions = dict(answers)
    results = {"solution": failing({})}
    for w in WRONG:
        if w.notebook == name:
            text = solutions[w.cell]
            for old, new in w.edits:
                text = apply_edit(text, old, new, f" ({w.id})")
            results[w.id] = failing({w.cell: text})
    for alt in ALTERNATIVES:
        if alt.notebook == name:
            results[alt.id] = failing({k: v.strip("\n") for k, v in alt.sources.items()})
    return results


if __name__ == "__main__":
    print(json.dumps(run_notebook(sys.argv[1])))
