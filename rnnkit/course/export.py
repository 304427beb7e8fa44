"""grades.csv and the score table: every submission, its score, and whether to look at it.

status, most urgent first:
  failed     not graded at all (empty score: never 0, never an old grade)
  incident   graded, but the grader met something it cannot blame on the answer alone: a cell
             timed out or its kernel died (each retried alone first), output was dropped, or
             a check passed in the student's kernel but not in the grader's recomputation
  flagged    the audit found code that could fake a score (read it; most is innocent)
  manual     points wait for manual grading (the score so far is shown)
  ok         nothing to look at
`problems` says why, for every status but ok.
"""
import csv
import json

from rnnkit.course.paths import GRADES_FILE, STATUS_FILE

COLUMNS = ["student", "assignment", "score", "max_score", "status", "problems"]


def rows(root):
    """One row per (student, assignment) of the last autograde, from its status file.

    The scores were read from the gradebook right after grading; a submission that could not
    be graded has an empty score (never 0, never an old grade) and status ``failed``.
    """
    status_path = root / STATUS_FILE
    status = json.loads(status_path.read_text()) if status_path.exists() else {}
    table = []
    for key, r in sorted(status.items()):
        if not r.get("ok"):
            state, problems, score, max_score = "failed", r.get("reason") or "", "", ""
        else:
            incidents, flags = r.get("incidents") or [], r.get("flags") or []
            pending = r.get("manual_pending") or 0
            problems = [f"incident: {i}" for i in incidents] + \
                [f"flag: {f}" for f in flags] + \
                ([f"{pending:g} points pending manual grading"] if pending else [])
            state = "incident" if incidents else "flagged" if flags else \
                "manual" if pending else "ok"
            problems = "; ".join(problems)
            score, max_score = f"{r['score']:g}", f"{r['max_score']:g}"
        table.append({"student": r["student"], "assignment": r["assignment"], "score": score,
                      "max_score": max_score, "status": state, "problems": problems})
    return table


def export(root, log=print):
    table = rows(root)
    path = root / GRADES_FILE
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(table)
    log(f"wrote {path} ({len(table)} rows)")
    return table


def score_table(table):
    """A student x assignment table of scores, with FAILED/FLAGGED marks and the reasons below."""
    students = sorted({r["student"] for r in table})
    names = sorted({r["assignment"] for r in table})
    cell = {(r["student"], r["assignment"]): r for r in table}
    width = max([len(n) for n in names] + [12])
    lines = ["student".ljust(10) + "".join(n.rjust(width + 2) for n in names)]
    notes = []
    for s in students:
        line = s.ljust(10)
        for n in names:
            r = cell.get((s, n))
            if r is None:
                text = "-"
            elif r["status"] == "failed":
                text = "FAILED"
                notes.append(f"{s}/{n}: could not be graded: {r['problems']}")
            else:
                text = f"{r['score']}/{r['max_score']}"
                mark = {"incident": " INCIDENT", "flagged": " FLAG", "manual": " MANUAL"}
                if r["status"] in mark:
                    text += mark[r["status"]]
                    notes.append(f"{s}/{n}: {r['status']}: {r['problems']}")
            line += text.rjust(width + 2)
        lines.append(line)
    return "\n".join(lines + ([""] + notes if notes else []))
