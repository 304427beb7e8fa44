"""nbgrader preprocessors for trusted scoring: `VerifyRecords` and `AuditCells`.

Register them in course/nbgrader_config.py with `install(c)` (see `rnnkit.grading`).

Trust: this module is imported when nbgrader reads its config, before any student kernel
starts, and it keeps its own references to the reference implementation and to the case
generator. What a kernel does to its own copies (or, later, to files on disk) cannot change
what the grader computes here.
"""
import json
import os
import secrets

import nbformat
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool

import rnnkit.reference as _REFERENCE
from rnnkit.grading import audit as _audit
from rnnkit.grading import verify as _verify
from rnnkit.grading.exercises import custom_exercises
from rnnkit.grading.messages import wrap_message

custom_exercises()  # import the checkers of 05-08 now too, before any kernel runs

ENAME = "UntrustedResult"


class ChooseSeeds(NbGraderPreprocessor):
    """Give every check(...) call of every test cell a seed drawn here, by the grader.

    A sanitizing step (after OverwriteCells has put the instructor's test cells back): the
    kernel sees each seed only when its test cell runs, so a record that a student prepared
    beforehand never matches, and VerifyRecords (which reads the seed from the same source)
    rejects a record made for any other seed. The seeds come from the operating system's
    generator, fresh for every notebook graded.
    """

    def preprocess(self, nb, resources):
        import numpy as np
        rng = np.random.default_rng(secrets.randbits(128))
        for cell in nb.cells:
            if _is_test_cell(cell) and _verify.find_check_calls(cell.source):
                cell.source, _ = _verify.choose_seeds(cell.source, rng)
        return nb, resources


def _is_test_cell(cell):
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def _cell_id(cell, k):
    return cell.metadata.get("nbgrader", {}).get("grade_id") or cell.get("id") or f"cell-{k}"


class VerifyRecords(NbGraderPreprocessor):
    """Zero every grade cell whose check(...) calls lack a record the grader can reproduce.

    Runs right after Execute, before SaveAutoGrades. SaveAutoGrades reads a test cell's
    outputs in order and returns at the first execute_result (partial credit) or failure
    (error, stderr); so in EVERY test cell a failure is moved first, and a cell whose records
    do not verify gets an inserted error first (unless the check's own error is already there):
    the explanation of the wrong answer (the student build's `check` only records, so this is
    where a wrong answer is told), or "UntrustedResult" when a record is missing, malformed or
    made for other inputs. The summary goes to nb.metadata["rnnkit"]["verify"]; an entry with
    ``passed_in_kernel`` and neither ``verified`` nor ``wrong_answer`` is a result the grader
    cannot trust: the export reports it as an incident.
    """

    kernel_judges = Bool(True, help="Whether the kernel's check judges (the full kit, as under "
                         "plain `nbgrader autograde`): then a wrong answer that passed in the "
                         "kernel means the check was tampered with. False under rnnkit's "
                         "engine, whose kernels run the student build's recording check."
                         ).tag(config=True)

    def preprocess(self, nb, resources):
        summary = []
        for k, cell in enumerate(nb.cells):
            if not _is_test_cell(cell):
                continue
            _failure_first(cell)
            if not _verify.find_check_calls(cell.source):
                continue
            problems = _verify.verify_cell(cell.source, cell.get("outputs", []), _REFERENCE)
            cell_id = _cell_id(cell, k)
            passed = not (cell.outputs and _is_failure(cell.outputs[0]))
            wrong = bool(problems) and all(p.wrong for p in problems) and \
                not (self.kernel_judges and passed)
            entry = {"cell_id": cell_id, "verified": not problems,
                     "problems": [str(p) for p in problems], "wrong_answer": wrong,
                     "passed_in_kernel": passed}
            summary.append(entry)
            if problems:
                self.log.warning("%s: cell %s: %s", ENAME, cell_id, "; ".join(problems))
                _fail_first(cell, problems, explain=wrong and not self.kernel_judges)
            else:
                _warnings_are_not_failures(cell)
        nb.metadata.setdefault("rnnkit", {})["verify"] = summary
        return nb, resources


def _is_failure(output):
    """What SaveAutoGrades reads as a failed test: an error, or anything on stderr."""
    return output.output_type == "error" or \
        (output.output_type == "stream" and output.get("name") == "stderr")


def _failure_first(cell):
    """Move a failing output of a test cell before everything else.

    nbgrader reads a test cell's outputs in order and returns at the first execute_result
    (partial credit) or failure; a student's function that publishes "2.0" as a result before
    the test fails would take the points. Any test cell, with check(...) or not.
    """
    failures = [o for o in cell.get("outputs", []) if _is_failure(o)]
    if failures and cell.outputs[0] is not failures[0]:
        cell.outputs.remove(failures[0])
        cell.outputs.insert(0, failures[0])


def _warnings_are_not_failures(cell):
    """In a cell whose every check verified and which raised nothing, stderr (a Numba
    performance warning, say) is shown as ordinary output: nbgrader would score any stderr
    as a failed test, and the grader has just proven the results right."""
    if any(o.output_type == "error" for o in cell.get("outputs", [])):
        return
    for out in cell.get("outputs", []):
        if out.output_type == "stream" and out.get("name") == "stderr":
            out["name"] = "stdout"


def _fail_first(cell, problems, explain=False):
    """Make sure the cell scores 0: its first output must be a failure.

    With `explain` (the kernel's check only recorded), a wrong answer gets the grader's
    explanation of it, as an AssertionError, first. Otherwise a cell whose check failed in the
    kernel keeps its own error first (the student reads that explanation and nothing else);
    anything else gets an UntrustedResult error.
    """
    explained = explain and any(p.explanation for p in problems)
    if cell.outputs and _is_failure(cell.outputs[0]) and not explained:
        return
    if explain:
        message = "\n".join(p.explanation or str(p) for p in problems)
        cell.outputs.insert(0, nbformat.v4.new_output(
            "error", ename="AssertionError", evalue=message,
            traceback=wrap_message(f"AssertionError: {message}")))
        return
    message = "not graded: " + "; ".join(problems)
    cell.outputs.insert(0, nbformat.v4.new_output(
        "error", ename=ENAME, evalue=message, traceback=[f"{ENAME}: {message}"]))


class AuditCells(NbGraderPreprocessor):
    """Flag suspicious code in every student cell; never changes a score.

    Every code cell is audited except the instructor's: cells restored from the gradebook
    (locked, with a grade_id) and cells whose source is unchanged from the instructor's
    notebook in source/ (without it, every cell not locked is audited).

    Flags go to nb.metadata["rnnkit"]["audit"] and to `<autograded notebook>.audit.json`
    (next to the autograded notebook) for the export's "flagged" column.
    """

    write_json = Bool(True, help="Also write <notebook>.audit.json next to the autograded "
                                 "notebook").tag(config=True)

    def preprocess(self, nb, resources):
        instructor = self._instructor_notebook(resources)
        flags = [f.as_dict() for f in _audit.audit_notebook(
            nb, instructor=instructor if instructor is not None else False,
            restored=bool(resources.get("nbgrader", {}).get("db_url")))]
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

    def _instructor_notebook(self, resources):
        """The instructor's source notebook of this submission, or None when not found."""
        info = resources.get("nbgrader", {})
        if not all(info.get(k) for k in ("assignment", "notebook")):
            return None
        from nbgrader.coursedir import CourseDirectory
        coursedir = CourseDirectory(config=self.config)
        folder = coursedir.format_path(coursedir.source_directory, ".", info["assignment"])
        path = os.path.join(folder, info["notebook"] + ".ipynb")
        try:
            return nbformat.read(path, as_version=4)
        except (OSError, ValueError):
            return None

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
    """Insert VerifyRecords and AuditCells right after Execute in c.Autograde's preprocessors,
    and ChooseSeeds at the end of its sanitizing preprocessors."""
    from nbgrader.converters import Autograde
    sanitize = c.Autograde.get("sanitize_preprocessors") if "Autograde" in c else None
    sanitize = list(sanitize or Autograde.class_traits()["sanitize_preprocessors"].default())
    sanitize = [p for p in sanitize if p is not ChooseSeeds] + [ChooseSeeds]
    c.Autograde.sanitize_preprocessors = sanitize
    current = c.Autograde.get("autograde_preprocessors") if "Autograde" in c else None
    pipeline = list(current or Autograde.class_traits()["autograde_preprocessors"].default())
    pipeline = [p for p in pipeline if p not in (VerifyRecords, AuditCells)]
    names = [getattr(p, "__name__", str(p)) for p in pipeline]
    at = names.index("Execute") + 1 if "Execute" in names else 0
    pipeline[at:at] = [VerifyRecords, AuditCells]
    c.Autograde.autograde_preprocessors = pipeline
    return pipeline
