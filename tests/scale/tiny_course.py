"""A tiny self-made nbgrader course for the scale tests: one assignment, two exercises.

    answer_add (solution)  ->  test_add (2 points, hidden test inside)
    answer_mul (solution)  ->  test_mul (1 point)

Submissions are the release notebook with the answer cells replaced (``submit``).
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ASSIGNMENT = "tiny"
SECRET = "SECRET-HIDDEN-TEST-7f3a"
ADD = "def add(a, b):\n    return a + b\n"
MUL = "def mul(a, b):\n    return a * b\n"

CONFIG = """c = get_config()
c.CourseDirectory.course_id = "tiny"
c.CourseDirectory.db_url = {db_url!r}
c.Execute.timeout = {timeout}
c.ScaleGrading.probe_timeout = 3
c.ScaleGrading.memory_mb = 1024
c.ScaleGrading.processes = 64
c.ScaleGrading.cpu_seconds = 120
c.ScaleGrading.wall_timeout = 240
"""


def _meta(grade_id, solution=False, grade=False, points=0, locked=False):
    meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": locked,
            "schema_version": 3}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tiny assignment"),
        nbformat.v4.new_code_cell("def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n"
                                  "    ### END SOLUTION", metadata=_meta("answer_add", True)),
        nbformat.v4.new_code_cell("assert add(1, 2) == 3\n### BEGIN HIDDEN TESTS\n"
                                  f"assert add(-1, 1) == 0  # {SECRET}\n### END HIDDEN TESTS",
                                  metadata=_meta("test_add", grade=True, points=2, locked=True)),
        nbformat.v4.new_code_cell("def mul(a, b):\n    ### BEGIN SOLUTION\n    return a * b\n"
                                  "    ### END SOLUTION", metadata=_meta("answer_mul", True)),
        nbformat.v4.new_code_cell("assert mul(2, 3) == 6",
                                  metadata=_meta("test_mul", grade=True, points=1, locked=True)),
    ]
    return nb


def nbgrader_env():
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def make_course(root, db_url=None, timeout=5):
    """Write and release the tiny course in `root` (nbgrader generate_assignment)."""
    root = Path(root)
    (root / "source" / ASSIGNMENT).mkdir(parents=True, exist_ok=True)
    db_url = db_url or "sqlite:///gradebook.db"
    (root / "nbgrader_config.py").write_text(CONFIG.format(db_url=db_url, timeout=timeout))
    nbformat.write(source_notebook(), str(root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"))
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT,
                    "--force"], cwd=root, env=nbgrader_env(), check=True, capture_output=True)
    return root


def submit(root, student, add=ADD, mul=MUL, raw=None):
    """Put a submission in submitted/<student>/tiny: answer cells replaced, or `raw` bytes."""
    folder = Path(root) / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ASSIGNMENT}.ipynb"
    if raw is not None:
        path.write_bytes(raw)
        return folder
    nb = nbformat.read(str(Path(root) / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), 4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "answer_add":
            cell.source = add
        elif grade_id == "answer_mul":
            cell.source = mul
    nbformat.write(nb, str(path))
    return folder


def copy_course(template, dest):
    shutil.copytree(template, dest, dirs_exist_ok=True)
    return Path(dest)


def grades(course):
    """(student, grade cell) -> (auto_score, manual_score), straight from the SQLite gradebook."""
    import sqlite3
    with sqlite3.connect(Path(course) / "gradebook.db") as db:
        rows = db.execute(
            "SELECT student.id, base_cell.name, grade.auto_score, grade.manual_score "
            "FROM grade JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
            "JOIN submitted_assignment ON submitted_notebook.assignment_id = "
            "submitted_assignment.id JOIN student ON submitted_assignment.student_id = "
            "student.id JOIN base_cell ON grade.cell_id = base_cell.id").fetchall()
    return {(s, cell): (auto, manual) for s, cell, auto, manual in rows}
