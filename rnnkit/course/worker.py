"""Autograde a list of submissions, one after the other, in a process of its own.

    python -m rnnkit.course.worker COURSE_ROOT STUDENT/ASSIGNMENT [STUDENT/ASSIGNMENT ...]

Prints one JSON line per submission (see ``grade_one``). The coordinator
(``rnnkit.course.autograde``) runs JOBS workers in parallel, each with its share of the students.
All of them write the same SQLite gradebook: SQLite serialises the writes (each waits up to its
busy timeout for the lock), and a worker that still meets "database is locked" grades that
submission again.
"""
import json
import pathlib
import shutil
import sys
import time

import nbformat

from rnnkit.course.nbapi import gradebook, log_tail, open_api

RETRIES = 3

# what nbgrader/nbclient say in the log -> what the report says
KNOWN_FAILURES = [
    ("NotJSONError", "the notebook is not valid JSON"),
    ("JSONDecodeError", "the notebook is not valid JSON"),
    ("DeadKernelError", "the kernel died while running the notebook"),
    ("Kernel died", "the kernel died while running the notebook"),
    ("UnresponsiveKernelError", "the kernel stopped responding"),
    ("CellTimeoutError", "a cell ran past the time limit"),
    ("database is locked", "database is locked"),
]


def failure_reason(text):
    for needle, reason in KNOWN_FAILURES:
        if needle in text:
            return reason
    errors = [line for line in text.splitlines() if "[ERROR]" in line or "Error" in line]
    return errors[-1].strip() if errors else "nbgrader autograde failed (no message)"


def check_readable(path):
    """None if the notebook is a readable nbformat 4 notebook, else the reason it is not."""
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as error:  # noqa: BLE001 (any parse error is a reason to report)
        return f"{path.name} cannot be read ({type(error).__name__}: {str(error)[:120]})"
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as error:
        return f"{path.name} is not a valid notebook ({str(error).splitlines()[0][:120]})"
    return None


def notebook_flags(autograded_dir):
    """Timeouts found in the executed notebooks, and the flags of rnnkit's answer-cell audit."""
    flags = []
    for path in sorted(autograded_dir.glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        for cell in nb.cells:
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            names = {o.get("ename") for o in errors}
            cell_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", cell.get("id"))
            if "CellTimeoutError" in names:
                flags.append(f"timeout in cell {cell_id}")
            if names == {"UntrustedResult"}:
                # the check passed inside the student's kernel, but rnnkit.grading's VerifyRecords
                # found its record missing or wrong when recomputing it: the cell scored 0
                flags.append(f"{cell_id} passed in the kernel but failed verification")
    for path in sorted(autograded_dir.glob("*.audit.json")):
        flags.extend(read_audit(path))
    return flags


def read_audit(path):
    """Flags from an ``<notebook>.audit.json`` written by rnnkit.grading's AuditCells."""
    data = json.loads(pathlib.Path(path).read_text())
    items = data.get("flags", data.get("findings", [])) if isinstance(data, dict) else data
    flags = []
    for item in items or []:
        if isinstance(item, dict):
            cell = item.get("cell_id") or item.get("cell") or item.get("grade_id") or "?"
            rule = item.get("rule") or item.get("reason") or ""
            text = item.get("text") or item.get("message") or ""
            flags.append(f"audit: {cell} line {item.get('line', '?')}: {rule}: {text}".strip())
        else:
            flags.append(f"audit: {item}")
    return flags


def retry_locked(func, *args):
    """Call func(*args), again after a pause when SQLite says "database is locked"."""
    for attempt in range(RETRIES + 1):
        try:
            return func(*args)
        except Exception as error:  # noqa: BLE001 (sqlalchemy's OperationalError, re-raised)
            if "database is locked" not in str(error) or attempt == RETRIES:
                raise
            time.sleep(1 + 2 * attempt)


def scores(api, assignment, student):
    """Total, maximum and per-cell autograde scores from the gradebook."""
    with gradebook(api) as gb:
        submission = gb.find_submission(assignment, student)
        cells = {}
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.auto_score is not None or grade.max_score:
                    cells[grade.name] = [grade.score, grade.max_score]
        return {"score": submission.score, "max_score": submission.max_score,
                "needs_manual_grade": submission.needs_manual_grade, "cells": cells}


def forget(api, assignment, student):
    """Remove a submission from the gradebook, so that no stale grade survives a failure."""
    from nbgrader.api import MissingEntry
    with gradebook(api) as gb:
        try:
            gb.remove_submission(assignment, student)
        except MissingEntry:
            pass


def grade_one(api, root, student, assignment):
    """Autograde one submission; a dict: student, assignment, ok, reason, flags, scores, seconds."""
    start = time.perf_counter()
    result = {"student": student, "assignment": assignment, "ok": False, "reason": None,
              "flags": []}
    submitted = root / "submitted" / student / assignment
    for path in sorted(submitted.glob("*.ipynb")):
        problem = check_readable(path)
        if problem:
            result["reason"] = problem
    if result["reason"] is None:
        for attempt in range(RETRIES + 1):
            outcome = api.autograde(assignment, student, force=True, create=True)
            text = log_tail(outcome, lines=200)
            if outcome["success"] or "database is locked" not in text or attempt == RETRIES:
                break
            time.sleep(1 + 2 * attempt)
        autograded = root / "autograded" / student / assignment
        if outcome["success"] and autograded.is_dir():
            result["ok"] = True
            result.update(retry_locked(scores, api, assignment, student))
            result["flags"] = notebook_flags(autograded)
            if result["needs_manual_grade"]:
                result["flags"].append("needs manual grading (a test cell could not be graded)")
        else:
            result["reason"] = failure_reason(text)
            result["log"] = log_tail(outcome, lines=15)
    if not result["ok"]:
        retry_locked(forget, api, assignment, student)
        for stale in ("autograded", "feedback"):
            shutil.rmtree(root / stale / student / assignment, ignore_errors=True)
    result["seconds"] = round(time.perf_counter() - start, 2)
    return result


def main(argv):
    root = pathlib.Path(argv[0]).resolve()
    api = open_api(root)
    for pair in argv[1:]:
        student, assignment = pair.split("/")
        try:
            result = grade_one(api, root, student, assignment)
        except Exception as error:  # noqa: BLE001 (report it and go on with the others)
            result = {"student": student, "assignment": assignment, "ok": False,
                      "reason": f"grading crashed: {type(error).__name__}: {error}", "flags": []}
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
