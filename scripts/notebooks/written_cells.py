"""Cell helpers that the builders of 05-08 add to `cells`: manually graded written answers."""
from cells import SCHEMA, _text

import nbformat


def written(grade_id, source, points):
    """A manually graded answer (markdown): the model answer here, "YOUR ANSWER HERE" in the
    release. An instructor grades it in the formgrader."""
    cell = nbformat.v4.new_markdown_cell(_text(source), id=grade_id)
    cell.metadata = {"nbgrader": {"grade": True, "solution": True, "locked": False,
                                  "grade_id": grade_id, "schema_version": SCHEMA,
                                  "points": points}}
    return cell
