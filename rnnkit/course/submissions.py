"""Make student submissions from the release: the solution's answers, optionally edited.

Used to build the bundled examples (scripts/build_examples.py) and by the tests, which submit
the solutions, realistic wrong answers and cheats as different students.
"""
import copy
import re

import nbformat

_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def is_answer(cell):
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("solution") and not meta.get("grade")


def solution_text(source):
    """An answer cell's source from course/source, with the solution markers dropped."""
    return "\n".join(line for line in source.splitlines() if not _MARKER.match(line))


def solutions_by_cell(source_nb):
    return {c.metadata["nbgrader"]["grade_id"]: solution_text(c.source)
            for c in source_nb.cells if is_answer(c)}


def apply_edit(text, old, new, where=""):
    """Replace ``old`` by ``new`` in ``text``; ``old`` must occur exactly once (None: append)."""
    if old is None:
        return text.rstrip("\n") + "\n" + new
    count = text.count(old)
    if count != 1:
        raise ValueError(f"edit{where}: expected the text to replace exactly once, found it "
                         f"{count} times: {old!r}")
    return text.replace(old, new)


def fill(release_nb, source_nb, edits=(), answered=True, sources=None):
    """A copy of ``release_nb`` with every answer cell solved, then ``edits`` applied.

    edits: (cell id, old text, new text) triples (old None: append new to the cell).
    answered: True (every answer cell), False (leave the stubs: an untouched release) or a
    collection of the answer cells' ids to solve.
    sources: {answer cell id: complete source} for answers written differently.
    """
    nb = copy.deepcopy(release_nb)
    solutions = solutions_by_cell(source_nb)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    if answered:
        for cell in nb.cells:
            cell_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if is_answer(cell) and (answered is True or cell_id in answered):
                cell.source = solutions[cell.metadata["nbgrader"]["grade_id"]]
    for cell_id, text in (sources or {}).items():
        if cell_id not in cells:
            raise ValueError(f"no cell {cell_id!r} in the notebook")
        cells[cell_id].source = text.strip("\n")
    for cell_id, old, new in edits:
        if cell_id not in cells:
            raise ValueError(f"no cell {cell_id!r} in the notebook")
        cells[cell_id].source = apply_edit(cells[cell_id].source, old, new, f" in {cell_id}")
    return nb


def write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
