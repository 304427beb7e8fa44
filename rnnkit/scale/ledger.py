"""What is done: one small JSON file per (assignment, student), written last by the coordinator.

An interrupted run resumes by skipping the submissions whose ledger entry says "graded" for the
same submission content (a SHA-256 of its files); ``--force`` regrades everything. The entries
live in ``<course>/.rnnkit-scale/ledger/`` (not in autograded/, whose files reach feedback).
"""
import hashlib
import json
import os
from pathlib import Path

LEDGER_DIR = ".rnnkit-scale/ledger"


def digest(folder):
    """SHA-256 over the names and bytes of every file of a submission folder."""
    h = hashlib.sha256()
    folder = Path(folder)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _path(course_dir, assignment, student):
    return Path(course_dir) / LEDGER_DIR / assignment / f"{student}.json"


def read(course_dir, assignment, student):
    path = _path(course_dir, assignment, student)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write(course_dir, entry):
    """Atomically (write + rename): a run killed half-way leaves no half-written entry."""
    path = _path(course_dir, entry["assignment"], entry["student"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(entry, indent=1, sort_keys=True))
    os.replace(tmp, path)


def is_done(entry, current_digest):
    return bool(entry) and entry.get("status") == "graded" and entry.get("digest") == current_digest
