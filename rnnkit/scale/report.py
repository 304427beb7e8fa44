"""Words for what happened in a sandbox, and the final summary table.

The executor reports what it saw itself (the kernel died, a cell timed out and ignored the
interrupt). Limits that Python turns into exceptions are recognised from the cells' errors:
MemoryError (RLIMIT_AS), "Resource temporarily unavailable" on fork/thread start (RLIMIT_NPROC),
name-resolution or connection errors (no network), and a file outside the sandbox that does
not exist or cannot be written.
"""
import re

# (kind, pattern on "ename: evalue") in order of precedence
_LIMITS = [
    ("memory limit", re.compile(r"^\w*MemoryError")),
    ("process limit", re.compile(r"Resource temporarily unavailable|can't start new thread")),
    ("no network", re.compile(r"gaierror|Name or service not known|Temporary failure in name "
                              r"resolution|Network is unreachable|URLError|ConnectionRefused")),
    ("outside the sandbox", re.compile(r"^(FileNotFoundError|PermissionError|OSError).*"
                                       r"(No such file|Permission denied|Read-only file system)|unable to open database file")),
]


def classify(ename, evalue):
    text = f"{ename}: {evalue}"
    for kind, pattern in _LIMITS:
        if pattern.search(text):
            return kind
    return None


def describe(result):
    """One line per limit a cell ran into ("cell X: memory limit (MemoryError: ...)").

    The executor's own incidents (timeouts, a dead kernel, dropped output) are not repeated
    here: the coordinator keeps them as ``Outcome.incidents``.
    """
    lines = []
    for cell in result.get("cells", []):
        if cell["status"] != "error":
            continue
        kind = classify(cell.get("ename") or "", cell.get("evalue") or "")
        if kind:
            where = cell.get("grade_id") or cell["index"]
            lines.append(f"cell {where}: {kind} ({cell['ename']}: {str(cell['evalue'])[:120]})")
    return lines


def summary_table(outcomes):
    """A plain-text table: one row per submission, reasons and flags below it."""
    header = f"{'student':<16} {'assignment':<18} {'status':<8} {'score':>11}"
    lines = [header, "-" * len(header)]
    for o in sorted(outcomes, key=lambda o: (o.assignment, o.student)):
        score = "" if o.score is None else f"{o.score:g}/{o.max_score:g}"
        status = o.status + ("!" if o.incidents else "") + ("*" if o.flags else "")
        lines.append(f"{o.student:<16} {o.assignment:<18} {status:<8} {score:>11}")
        for reason in o.reasons:
            lines.append(f"{'':<16}   - {reason}")
        for incident in o.incidents:
            where = "/".join(str(x) for x in (incident.get("notebook"), incident.get("cell"))
                             if x)
            lines.append(f"{'':<16}   !! incident ({incident.get('kind')}) {where}: "
                         f"{incident.get('message')}")
        if o.manual_pending:
            lines.append(f"{'':<16}   .. {o.manual_pending:g} points wait for manual grading")
        for flag in o.flags:
            lines.append(f"{'':<16}   ! flagged: {flag}")
    counts = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    flagged = sum(1 for o in outcomes if o.flags)
    lines.append("-" * len(header))
    incidents = sum(1 for o in outcomes if o.incidents)
    lines.append(", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
                 + f", {incidents} with grader incidents (!), {flagged} flagged by the audit (*)")
    return "\n".join(lines)
