"""Helpers that make nbgrader cells: the vocabulary of the notebook builders.

Every cell gets a stable ``grade_id`` (also used as the nbformat cell id), so that a rebuild
produces the same notebook and nbgrader can match cells between source, release and submission.
"""
from textwrap import dedent

import nbformat

SCHEMA = 3


def _text(source):
    return dedent(source).strip("\n")


def _meta(grade_id, *, grade=False, solution=False, locked=True, points=None):
    meta = {"grade": grade, "solution": solution, "locked": locked,
            "grade_id": grade_id, "schema_version": SCHEMA}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def md(grade_id, source):
    """A read-only markdown cell (prose, equations)."""
    cell = nbformat.v4.new_markdown_cell(_text(source), id=grade_id)
    cell.metadata = _meta(grade_id)
    return cell


def code(grade_id, source):
    """A read-only code cell that the notebook provides (set-up, demos, figures)."""
    cell = nbformat.v4.new_code_cell(_text(source), id=grade_id)
    cell.metadata = _meta(grade_id)
    return cell


def scratch(grade_id, source):
    """An editable, ungraded code cell (sanity checks the student may change)."""
    cell = nbformat.v4.new_code_cell(_text(source), id=grade_id)
    return cell


def answer(grade_id, source):
    """An autograded answer cell: the solution sits between BEGIN/END SOLUTION markers."""
    cell = nbformat.v4.new_code_cell(_text(source), id=grade_id)
    cell.metadata = _meta(grade_id, solution=True, locked=False)
    return cell


def test(grade_id, source, points):
    """A locked autograded test cell worth ``points``; hidden tests sit between markers."""
    cell = nbformat.v4.new_code_cell(_text(source), id=grade_id)
    cell.metadata = _meta(grade_id, grade=True, points=points)
    return cell


def notebook(cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
    }
    return nb
