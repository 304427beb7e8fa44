"""Helpers for the course tests (paths, scripts, cells)."""
import importlib.util
import pathlib

import nbformat

REPO = pathlib.Path(__file__).resolve().parents[2]
COURSE = REPO / "course"
#: the assignments of part 1 of the course (these tests' subject)
ASSIGNMENTS = ["01_rnn_forward", "02_bptt", "03_lstm", "04_gru"]


def load_script(name):
    """Import scripts/<name>.py as a module."""
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def release_notebook(course, assignment):
    return nbformat.read(str(course / "release" / assignment / f"{assignment}.ipynb"),
                         as_version=4)


def graded_cells(nb):
    """{grade_id: points} of the autograded test cells."""
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
