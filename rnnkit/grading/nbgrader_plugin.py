"""nbgrader preprocessors for trusted scoring: `VerifyRecords` and `AuditCells`.

Register them in course/nbgrader_config.py with `install(c)` (see `rnnkit.grading`).

Trust: this module is imported when nbgrader reads its config, before any student kernel
starts, and it keeps its own references to the reference implementation and to the case
generator. What a kernel does to its own copies (or, later, to files on disk) cannot change
what the grader computes here.
"""
import json
import os

import nbformat
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool

import rnnkit.reference as _REFERENCE
from rnnkit.grading import audit as _audit
from rnnkit.grading import verify as _verify

ENAME = "UntrustedResult"


def _is_test_cell(cell):
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def _cell_id(cell, k):
    return cell.metadata.get("nbgrader", {}).get("grade_id") or cell.get("id") or f"cell-{k}"


class VerifyRecords(NbGraderPreprocessor):
    """Zero every grade cell whose check(...) calls lack a record the grader can reproduce.

    Runs right after Execute. For each failing cell it makes an error output the FIRST of the
    cell's outputs (an inserted "UntrustedResult", or the cell's own error if the check already
    failed): SaveAutoGrades then scores the cell 0 (it reads outputs in order and would take
    the points of an execute_result that came before the error).
    The summary goes to nb.metadata["rnnkit"]["verify"].
    """

    def preprocess(self, nb, resources):
        summary = []
        for k, cell in enumerate(nb.cells):
            if not _is_test_cell(cell) or not _verify.find_check_calls(cell.source):
                continue
            problems = _verify.verify_cell(cell.source, cell.get("outputs", []), _REFERENCE)
            cell_id = _cell_id(cell, k)
            summary.append({"cell_id": cell_id, "verified": not problems, "problems": problems})
            if problems:
                self.log.warning("%s: cell %s: %s", ENAME, cell_id, "; ".join(problems))
                _fail_first(cell, problems)
        nb.metadata.setdefault("rnnkit", {})["verify"] = summary
        return nb, resources


def _fail_first(cell, problems):
    """Make the cell's FIRST output an error, so that SaveAutoGrades scores it 0.

    A cell whose check already failed in the kernel (an honest wrong answer) keeps its own
    error, moved first, so the student reads their check's explanation and nothing else.
    Otherwise an UntrustedResult error is inserted.
    """
    errors = [o for o in cell.outputs if o.output_type == "error"]
    if errors:
        cell.outputs.remove(errors[0])
        cell.outputs.insert(0, errors[0])
        return
    message = "not graded: " + "; ".join(problems)
    cell.outputs.insert(0, nbformat.v4.new_output(
        "error", ename=ENAME, evalue=message, traceback=[f"{ENAME}: {message}"]))


class AuditCells(NbGraderPreprocessor):
    """Flag suspicious code in answer cells; never changes a score.

    Flags go to nb.metadata["rnnkit"]["audit"] and to `<autograded notebook>.audit.json`
    (next to the autograded notebook) for the export's "flagged" column.
    """

    write_json = Bool(True, help="Also write <notebook>.audit.json next to the autograded "
                                 "notebook").tag(config=True)

    def preprocess(self, nb, resources):
        flags = [f.as_dict() for f in _audit.audit_notebook(nb)]
        nb.metadata.setdefault("rnnkit", {})["audit"] = flags
        for f in flags:
            self.log.warning("audit: %s", _audit.Flag(**f))
        path = self._json_path(resources)
        if self.write_json and path:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            info = resources.get("nbgrader", {})
            with open(path, "w") as fh:
                json.dump({"student": info.get("student"), "assignment": info.get("assignment"),
                           "notebook": info.get("notebook"), "flags": flags}, fh, indent=1)
        return nb, resources

    def _json_path(self, resources):
        info = resources.get("nbgrader", {})
        if not all(info.get(k) for k in ("student", "assignment", "notebook")):
            return None
        from nbgrader.coursedir import CourseDirectory
        coursedir = CourseDirectory(config=self.config)
        folder = coursedir.format_path(coursedir.autograded_directory, info["student"],
                                       info["assignment"])
        return os.path.join(folder, info["notebook"] + ".audit.json")


def install(c):
    """Insert VerifyRecords and AuditCells right after Execute in c.Autograde's preprocessors."""
    from nbgrader.converters import Autograde
    current = c.Autograde.get("autograde_preprocessors") if "Autograde" in c else None
    pipeline = list(current or Autograde.class_traits()["autograde_preprocessors"].default())
    pipeline = [p for p in pipeline if p not in (VerifyRecords, AuditCells)]
    names = [getattr(p, "__name__", str(p)) for p in pipeline]
    at = names.index("Execute") + 1 if "Execute" in names else 0
    pipeline[at:at] = [VerifyRecords, AuditCells]
    c.Autograde.autograde_preprocessors = pipeline
    return pipeline
