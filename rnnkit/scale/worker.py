"""The worker's whole job: execute one submission's notebooks in sandboxes and return them.

``run_task`` is a plain function of plain data (strings, bytes, dicts), so the same call runs in
a local thread pool or on a Dask worker on another machine: the coordinator ships the notebooks
and files as bytes, no shared filesystem is needed, and the worker needs only rnnkit installed
(plus bwrap). It never sees the gradebook and decides no score.
"""
import os
import platform
import time

from rnnkit.scale import studentkit
from rnnkit.scale.sandbox import SandboxError, run_notebook


def run_task(task):
    """task: {"student", "assignment", "notebooks": [{"name", "request"}], "files": {path: bytes},
    "settings": {"sandbox", "wall_timeout", "uid_base", "threads"}}

    -> {"student", "assignment", "host", "seconds", "notebooks": {name: {"ok": True, "result":
    <executor result>} or {"ok": False, "reason": str}}}
    """
    start = time.perf_counter()
    settings = task.get("settings", {})
    out = {}
    # the notebooks run against the student build of the kit: no answer of this assignment
    kit = studentkit.cached(task["assignment"])
    for item in task["notebooks"]:
        try:
            result = run_notebook(item["request"], task.get("files", {}), kit=kit,
                                  sandbox=settings.get("sandbox", True),
                                  wall_timeout=settings.get("wall_timeout", 900),
                                  uid_base=settings.get("uid_base", 3_000_000),
                                  threads=settings.get("threads", 1))
            out[item["name"]] = {"ok": True, "result": result}
        except SandboxError as exc:
            out[item["name"]] = {"ok": False, "reason": str(exc)}
    return {"student": task["student"], "assignment": task["assignment"],
            "host": f"{platform.node()}:{os.getpid()}", "seconds": round(time.perf_counter() - start, 3),
            "notebooks": out}
