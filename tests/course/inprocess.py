"""Run a notebook's code cells in this process (no kernel, no nbgrader): which test cells fail.

A fast stand-in for autograding, used to check the bank quickly. The grading engineer's
``check`` sends its records to a sink here instead of IPython's display.
"""
import contextlib
import io
import re

import matplotlib

from rnnkit.course.submissions import solution_text

matplotlib.use("Agg")


def _visible(text):
    """A test cell's source without its hidden tests (what a student's Validate runs)."""
    return re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", text, flags=re.S)


def failing_test_cells(nb, sources=None, edits=(), visible_only=False):
    """Execute ``nb`` (a source notebook) with its solutions, ``sources`` replacing answer cells
    and ``edits`` ((cell, old, new)) applied; return {test cell id: error text} for failures.
    With ``visible_only``, the hidden tests are left out (what the student can run)."""
    from rnnkit.course.submissions import apply_edit
    from rnnkit.grading import record
    sources = dict(sources or {})
    namespace = {}
    failures = {}
    record.set_sink(lambda r: None)
    try:
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            meta = cell.metadata.get("nbgrader", {})
            cell_id = meta.get("grade_id", cell.get("id"))
            text = sources.get(cell_id, solution_text(cell.source))
            for target, old, new in edits:
                if target == cell_id:
                    text = apply_edit(text, old, new)
            if visible_only:
                text = _visible(text)
            text = "\n".join(line for line in text.splitlines()
                             if "### BEGIN HIDDEN" not in line and "### END HIDDEN" not in line)
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(text, cell_id, "exec"), namespace)
            except Exception as error:  # noqa: BLE001
                if meta.get("grade") or meta.get("solution"):  # scratch cells do not count
                    failures[cell_id] = f"{type(error).__name__}: {error}"
    finally:
        record.set_sink(None)
        import matplotlib.pyplot as plt
        plt.close("all")
    return failures
