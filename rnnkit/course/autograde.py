"""Autograde every submission in course/submitted/, several students in parallel.

How the SQLite gradebook copes with parallel graders: the students are dealt out to JOBS worker
processes (``rnnkit.course.worker``); each runs nbgrader's autograde (in its Python API) for its
submissions one after the other, each notebook in a fresh kernel. SQLite serialises the workers'
short write transactions; a worker that still meets "database is locked" grades the submission
again (up to 3 times). Only
this coordinating process writes the status file, ``course/autograde_status.json``, which records
for every (student, assignment) whether it was graded, why not, and the audit's flags.

A submission that cannot be graded (invalid JSON, a dead kernel, a crash) is reported by name with
its reason and removed from the gradebook, so that no stale grade of an earlier run survives; the
other students are graded regardless.
"""
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

from tqdm import tqdm

from rnnkit.course.paths import STATUS_FILE, nbgrader_env, submissions


def run_worker(root, pairs, on_result):
    """Grade (student, assignment) ``pairs`` in a worker process; on_result(dict) for each."""
    command = [sys.executable, "-m", "rnnkit.course.worker", str(root),
               *(f"{s}/{a}" for s, a in pairs)]
    with tempfile.TemporaryFile("w+") as errors:  # a file: a full stderr pipe would block
        process = subprocess.Popen(command, cwd=root, env=nbgrader_env(), text=True,
                                   stdout=subprocess.PIPE, stderr=errors)
        seen = set()
        for line in process.stdout:
            if line.startswith("{"):
                result = json.loads(line)
                seen.add((result["student"], result["assignment"]))
                on_result(result)
        process.wait()
        errors.seek(0)
        stderr = errors.read()
    for student, assignment in pairs:  # the worker itself died: report what it did not grade
        if (student, assignment) not in seen:
            tail = " | ".join(stderr.strip().splitlines()[-3:])
            on_result({"student": student, "assignment": assignment, "ok": False, "flags": [],
                       "reason": f"grading process exited with {process.returncode}: {tail}"})


def deal(pairs, jobs):
    """Split the submissions into ``jobs`` shares of about equal size, a student never split."""
    by_student = {}
    for student, assignment in pairs:
        by_student.setdefault(student, []).append((student, assignment))
    shares = [[] for _ in range(max(1, min(int(jobs), len(by_student))))]
    for work in sorted(by_student.values(), key=len, reverse=True):
        min(shares, key=len).extend(work)
    return [share for share in shares if share]


def load_status(root):
    path = root / STATUS_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def autograde(root, jobs=2, students=None, progress=True, log=print):
    """Grade every submission (or those of ``students``); returns the list of result dicts."""
    pairs = submissions(root)
    if students:
        pairs = [(s, a) for s, a in pairs if s in students]
    results = []
    start = time.perf_counter()
    bar = tqdm(total=len(pairs), desc="autograde", unit="notebook", disable=not progress,
               file=sys.stderr)

    def on_result(result):
        results.append(result)
        bar.update(1)
        if not result["ok"]:
            bar.write(f"  FAILED {result['student']}/{result['assignment']}: {result['reason']}")

    with ThreadPoolExecutor(max_workers=max(1, int(jobs))) as pool:
        futures = [pool.submit(run_worker, root, share, on_result) for share in deal(pairs, jobs)]
        for future in as_completed(futures):
            future.result()
    bar.close()
    status = load_status(root)
    for result in results:
        status[f"{result['student']}/{result['assignment']}"] = result
    (root / STATUS_FILE).write_text(json.dumps(status, indent=1, sort_keys=True))
    failed = [r for r in results if not r["ok"]]
    log(f"autograded {len(results) - len(failed)} of {len(results)} submissions of "
        f"{len({s for s, _ in pairs})} students in {time.perf_counter() - start:.1f} s (JOBS={jobs})"
        + (f"; {len(failed)} could not be graded" if failed else ""))
    return sorted(results, key=lambda r: (r["student"], r["assignment"]))
