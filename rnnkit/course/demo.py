"""The instructor's pipeline, end to end, on the bundled example submissions.

    rnnkit course demo [--jobs N]        (make course-demo)

1. start from a clean course directory (generated state only: source/ and examples/ stay);
2. release every assignment;
3. copy course/examples/<student>/<assignment>/ into course/submitted/;
4. autograde them, JOBS notebooks in parallel, each in a bubblewrap sandbox (the same engine as
   `rnnkit course autograde`); without bwrap the demo's bundled examples are graded
   unsandboxed, and it says so on screen;
5. generate feedback (hidden tests removed) and export grades.csv;
6. print the score table with the flagged and failed submissions.
"""
import shutil
import time

from rnnkit.course.autograde import autograde
from rnnkit.course.export import export, score_table
from rnnkit.course.feedback import generate_feedback
from rnnkit.course.paths import GRADES_FILE, STATUS_FILE
from rnnkit.course.release import release

GENERATED = ["release", "submitted", "autograded", "feedback", "gradebook.db", GRADES_FILE,
             STATUS_FILE]


def clean(root):
    """Remove everything the pipeline generates (all of it gitignored)."""
    for name in GENERATED:
        path = root / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def copy_examples(root, log=print):
    examples = root / "examples"
    students = sorted(p for p in examples.iterdir() if p.is_dir())
    for student in students:
        shutil.copytree(student, root / "submitted" / student.name)
    log(f"submitted the examples of {len(students)} students: "
        + ", ".join(s.name for s in students))


def demo(root, jobs=2, log=print):
    start = time.perf_counter()
    step = time.perf_counter()

    def timed(label):
        nonlocal step
        now = time.perf_counter()
        log(f"[{now - start:6.1f} s] {label} ({now - step:.1f} s)")
        step = now

    clean(root)
    status = release(root, log=log)
    timed("release")
    if status:
        return status
    copy_examples(root, log=log)
    from rnnkit.scale.sandbox import find_bwrap
    unsandboxed = find_bwrap() is None
    if unsandboxed:
        log("NOTE: bubblewrap (bwrap) is not installed: the demo grades its bundled examples "
            "WITHOUT a sandbox. Real submissions are never graded like this: install it "
            "(apt-get install bubblewrap) or pass --unsandboxed knowingly.")
    results = autograde(root, jobs=jobs, log=log, unsandboxed=unsandboxed)
    timed("autograde")
    status |= generate_feedback(root, log=log)
    timed("feedback")
    table = export(root, log=log)
    timed("export")
    log("")
    log(score_table(table))
    log("")
    log(f"demo finished in {time.perf_counter() - start:.1f} s: gradebook {root / 'gradebook.db'}, "
        f"grades {root / GRADES_FILE}, feedback {root / 'feedback'}")
    if not results:
        log("no submission was graded")
        return 1
    return status
