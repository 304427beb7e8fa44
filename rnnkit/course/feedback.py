"""Feedback for students: one HTML file per autograded notebook, hidden tests never shown.

nbgrader's ``ClearHiddenTests`` (configured in nbgrader_config.py) removes the hidden tests'
source; ``HideTestTracebacks`` below also shortens the *tracebacks* of test cells to their last
line, because an IPython traceback quotes the source line that failed — the hidden test's code.
A last scan refuses to leave any feedback file that still mentions a hidden test.
"""
import json
import pathlib

from nbgrader.preprocessors import NbGraderPreprocessor

from rnnkit.course.nbapi import log_tail, open_api
from rnnkit.course.paths import STATUS_FILE

#: text that only appears in hidden tests (their markers and their calls)
HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "hidden=True")


class HideTestTracebacks(NbGraderPreprocessor):
    """Replace the traceback of a failed test cell by its message (``AssertionError: ...``)."""

    def preprocess_cell(self, cell, resources, index):
        nbgrader = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and nbgrader.get("grade") and not nbgrader.get("solution"):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources


def leaks(path):
    text = pathlib.Path(path).read_text(errors="replace")
    return [marker for marker in HIDDEN_MARKERS if marker in text]


def generate_feedback(root, students=None, log=print):
    """Feedback for every submission graded by the last autograde (or those of ``students``).

    Returns 0 if all went well.
    """
    status_path = root / STATUS_FILE
    status = json.loads(status_path.read_text()) if status_path.exists() else {}
    api = open_api(root)
    problems = 0
    for key, result in sorted(status.items()):
        student, assignment = key.split("/")
        if students and student not in students:
            continue
        if not result.get("ok"):
            log(f"no feedback for {key}: it could not be graded ({result.get('reason')})")
            continue
        outcome = api.generate_feedback(assignment, student, force=True)
        if not outcome["success"]:
            problems += 1
            log(f"FAILED feedback for {key}:\n{log_tail(outcome)}")
            continue
        for html in sorted((root / "feedback" / student / assignment).glob("*.html")):
            found = leaks(html)
            if found:  # never hand out a file that shows a hidden test
                html.unlink()
                problems += 1
                log(f"REMOVED {html}: it mentions {', '.join(found)}")
    log(f"feedback written to {root / 'feedback'}")
    return 1 if problems else 0
