"""Autograde every submission in course/submitted/: the one grading engine, sandboxed by default.

`rnnkit course autograde`, `make autograde`, `make demo` and `rnnkit grade-safe` all run
``rnnkit.scale``'s engine: one coordinating process restores the instructor's test cells, draws
the seeds of the checks, and alone writes the gradebook, ``autograded/`` and the status file;
each notebook executes in a bubblewrap sandbox of its own (no network, a private tmpfs, its own
cgroup where the machine allows it, an unprivileged uid), JOBS at a time. Nothing a submission
prints can reach the status file: the coordinator reads only the executed cells' outputs.

Without bubblewrap, grading refuses with a message saying how to install it, unless the
instructor passes ``unsandboxed=True`` (``--unsandboxed``): then students' code runs with the
instructor's rights, which the caller must say on screen.

Every autograde regrades every submission it is given (``force``): a course whose tests
changed must not keep old grades. ``rnnkit grade-safe`` resumes by default instead.
"""
from rnnkit.course.paths import STATUS_FILE  # noqa: F401 (where the results go; export reads it)


def autograde(root, jobs=2, students=None, progress=True, log=print, unsandboxed=False,
              force=True):
    """Grade every submission (or those of ``students``) -> list of status dicts.

    Each dict: student, assignment, ok (graded at all), reason (why not), score, max_score,
    flags (audit), incidents (grader incidents, as text), manual_pending (points), notes,
    and cells: {grade cell: (score, max score)} from the gradebook (absent when not graded).
    Raises rnnkit.scale.sandbox.SandboxError when bwrap is missing and not ``unsandboxed``.
    """
    import json

    from rnnkit.scale.engine import export_status, grade
    outcomes = grade(root, students=students, jobs=jobs, force=force, unsandboxed=unsandboxed,
                     progress=progress, log=log)
    export_status(root, outcomes)
    status = json.loads((root / STATUS_FILE).read_text())
    keys = {f"{o.student}/{o.assignment}" for o in outcomes}
    results = [status[k] for k in sorted(keys)]
    _add_cell_scores(root, results)
    return results


def _add_cell_scores(root, results):
    """result["cells"] = {grade cell: (score, max score)}, read from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    from rnnkit.scale.coordinator import Coordinator
    coord = Coordinator(root)
    with Gradebook(coord.db_url, coord.coursedir.course_id) as gb:
        for r in results:
            if not r.get("ok"):
                continue  # not graded: the result says why
            try:
                submission = gb.find_submission(r["assignment"], r["student"])
            except MissingEntry:
                continue
            r["cells"] = {g.name: (g.score, g.max_score)
                          for nb in submission.notebooks for g in nb.grades}
