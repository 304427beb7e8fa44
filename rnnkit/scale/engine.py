"""Grade a class: prepare, execute (locally with JOBS=N, or on a Dask cluster), finish.

The coordinator prepares a few more tasks than there are workers, hands them to the pool,
and finishes each result as it comes back: one writer, many executors. Progress is a tqdm bar
(done/total, failures so far, ETA); a run interrupted with Ctrl-C (or killed) resumes where it
stopped, because every finished submission has its ledger entry.
"""
import contextlib
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from tqdm import tqdm

from rnnkit.scale import ledger, studentkit
from rnnkit.scale.coordinator import Coordinator, Outcome
from rnnkit.scale.report import summary_table
from rnnkit.scale.sandbox import require_bwrap
from rnnkit.scale.worker import run_task


@contextlib.contextmanager
def open_executor(jobs=1, scheduler=None):
    """A concurrent.futures executor: local threads (each drives one sandbox process) or Dask."""
    if scheduler:
        from distributed import Client
        with Client(scheduler, timeout="30s") as client:
            yield client.get_executor(pure=False), _dask_slots(client)
    else:
        # Threads suffice: each one only waits on its sandbox, a process of its own.
        with ThreadPoolExecutor(max_workers=max(1, int(jobs))) as pool:
            yield pool, max(1, int(jobs))


def _dask_slots(client):
    info = client.scheduler_info()
    return max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))


def grade(course_dir, assignments=None, students=None, jobs=None, scheduler=None, force=False,
          unsandboxed=False, progress=True, log=print, **overrides):
    """Grade every submission of `course_dir` (or the chosen ones) -> list of Outcome.

    The coordinator's own numpy work (recomputing the references) runs with one BLAS thread:
    its small products gain nothing from more, and a multithreaded OpenBLAS spinning next to
    the sandboxes' kernels on a busy machine was seen to stall verification for many minutes.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: grading works without it, BLAS keeps its threads
        return _grade(course_dir, assignments, students, jobs, scheduler, force, unsandboxed,
                      progress, log, **overrides)
    with threadpool_limits(limits=1, user_api="blas"):
        return _grade(course_dir, assignments, students, jobs, scheduler, force, unsandboxed,
                      progress, log, **overrides)


def _grade(course_dir, assignments, students, jobs, scheduler, force, unsandboxed, progress,
           log, **overrides):
    coord = Coordinator(course_dir, jobs=jobs, scheduler=scheduler, **overrides)
    settings = coord.settings
    sandbox = require_bwrap(unsandboxed, log=log) is not None
    settings["sandbox"] = sandbox
    todo, outcomes = [], []
    for sub in coord.submissions(assignments, students):
        entry = None if force else ledger.read(coord.course_dir, sub.assignment, sub.student)
        if ledger.is_done(entry, sub.digest):
            outcomes.append(Outcome(sub.student, sub.assignment, "skipped", entry.get("score"),
                                    entry.get("max_score"), ["graded in an earlier run"],
                                    entry.get("flags", [])))
        else:
            todo.append(sub)
    if outcomes:
        log(f"resuming: {len(outcomes)} submissions already graded (--force regrades them)")
    # the student builds of the kit, made here before any thread starts: CPython 3.11's `ast`
    # is not safe to use from two threads at once, and the coordinator's audit uses it too
    for assignment in sorted({sub.assignment for sub in todo}):
        studentkit.cached(assignment)
    where = f"Dask scheduler {settings['scheduler']}" if settings["scheduler"] else \
        f"JOBS={settings['jobs']}"
    log(f"grading {len(todo)} submissions on {where}, "
        f"{'in bwrap sandboxes' if sandbox else 'WITHOUT a sandbox'}")
    start = time.perf_counter()
    failed = 0
    bar = tqdm(total=len(todo), desc="grading", unit="sub", disable=not progress,
               file=sys.stderr, dynamic_ncols=True)
    with open_executor(settings["jobs"], settings["scheduler"]) as (pool, slots):
        pending, running = list(reversed(todo)), {}
        try:
            while pending or running:
                while pending and len(running) < 2 * slots:
                    sub = pending.pop()
                    try:
                        prepared = coord.prepare(sub)
                    except Exception as exc:  # not released, unreadable folder, ...
                        outcomes.append(Outcome(sub.student, sub.assignment, "failed",
                                                reasons=[f"{type(exc).__name__}: {exc}"]))
                        failed += 1
                        bar.update(1)
                        bar.set_postfix(failed=failed, refresh=False)
                        bar.write(f"  FAILED {sub.student}/{sub.assignment}: {exc}")
                        continue
                    running[pool.submit(run_task, prepared.task)] = prepared
                if not running:
                    continue
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    prepared = running.pop(future)
                    try:
                        result = future.result()
                    except Exception as exc:  # the worker itself failed (lost Dask worker...)
                        result = {"notebooks": {n: {"ok": False, "reason": f"worker error: "
                                                    f"{type(exc).__name__}: {exc}"}
                                                for n in prepared.sanitized}}
                    outcome = coord.finish(prepared, result)
                    outcomes.append(outcome)
                    failed += outcome.status == "failed"
                    bar.update(1)
                    bar.set_postfix(failed=failed, refresh=False)
                    if outcome.status == "failed":
                        bar.write(f"  FAILED {outcome.student}/{outcome.assignment}: "
                                  + "; ".join(outcome.reasons))
            bar.close()
            outcomes = _retry_alone(coord, outcomes, log, pool)
        except KeyboardInterrupt:
            for future in running:
                future.cancel()
            bar.close()
            log(f"interrupted: {len(outcomes)} submissions finished; run again to resume")
            raise
    elapsed = time.perf_counter() - start
    log(f"graded {len(todo)} submissions in {elapsed:.1f} s "
        f"({60 * len(todo) / elapsed if elapsed and todo else 0:.1f} per minute)")
    return outcomes


#: incidents that a busy machine (a neighbour's CPU hog, say) can cause to an honest notebook
RETRIED = {"timeout", "kernel-died", "sandbox"}


def _retry_alone(coord, outcomes, log, pool):
    """Grade once more, one at a time with nothing else running, every submission that met an
    incident a busy machine can cause. The retry's outcome is the one kept; an incident that
    happens again is the submission's own and stays reported."""
    again = [o for o in outcomes if o.status != "skipped"
             and any(i.get("kind") in RETRIED for i in o.incidents)]
    if not again:
        return outcomes
    log(f"retrying {len(again)} submissions alone after a timeout or a lost kernel")
    by_key = {(s.student, s.assignment): s for s in coord.submissions(
        sorted({o.assignment for o in again}), sorted({o.student for o in again}))}
    kept = []
    for outcome in outcomes:
        sub = by_key.get((outcome.student, outcome.assignment))
        if not any(outcome is a for a in again) or sub is None:
            kept.append(outcome)
            continue
        first = "; ".join(f"{i.get('cell')}: {i.get('kind')}" for i in outcome.incidents
                          if i.get("kind") in RETRIED)
        try:
            prepared = coord.prepare(sub)
            # on the same executor (a Dask worker, say), but only one at a time
            retry = coord.finish(prepared, pool.submit(run_task, prepared.task).result())
        except Exception as exc:  # the retry itself failed: keep the first outcome
            outcome.reasons.append(f"the retry alone failed: {type(exc).__name__}: {exc}")
            kept.append(outcome)
            continue
        retry.reasons.insert(0, f"retried alone after an incident ({first})")
        for incident in retry.incidents:
            if incident.get("kind") in RETRIED:
                incident["message"] += " (again when graded alone)"
        kept.append(retry)
    return kept


def export_status(course_dir, outcomes):
    """Record the outcomes in the course pipeline's status file and write grades.csv with it.

    The format is rnnkit.course's (autograde_status.json: one entry per student/assignment with
    ok, reason, flags, score, max_score), so that its export and score table work unchanged.
    """
    import json
    from pathlib import Path
    try:
        from rnnkit.course.export import export
        from rnnkit.course.paths import STATUS_FILE
    except ImportError:  # the course pipeline is not installed: our summary is the export
        return None
    path = Path(course_dir) / STATUS_FILE
    status = json.loads(path.read_text()) if path.exists() else {}
    for o in outcomes:
        status[f"{o.student}/{o.assignment}"] = {
            "student": o.student, "assignment": o.assignment, "ok": o.status != "failed",
            "reason": "; ".join(o.reasons) if o.status == "failed" else "",
            "notes": [] if o.status == "failed" else list(o.reasons),
            "incidents": [_incident_text(i) for i in o.incidents],
            "manual_pending": o.manual_pending or 0.0,
            "flags": list(o.flags), "score": o.score or 0.0, "max_score": o.max_score or 0.0}
    path.write_text(json.dumps(status, indent=1, sort_keys=True))
    return export(Path(course_dir), log=lambda *a: None)


def _incident_text(incident):
    where = "/".join(str(x) for x in (incident.get("notebook"), incident.get("cell")) if x)
    return f"{incident.get('kind')}{' in ' + where if where else ''}: {incident.get('message')}"


__all__ = ["grade", "export_status", "summary_table", "open_executor"]
