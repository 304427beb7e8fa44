"""Instructor tools for the nbgrader course in course/.

  rnnkit course release              build the student version of every assignment
  rnnkit course autograde [--jobs N] grade everything in course/submitted/, each notebook in a
                                     bubblewrap sandbox (N at once; --unsandboxed without bwrap)
  rnnkit course feedback             HTML feedback per student (hidden tests never shown)
  rnnkit course export               course/grades.csv with failed and flagged submissions
  rnnkit course lab STUDENT          JupyterLab on a student's copy of the release
  rnnkit course demo [--jobs N]      all of it on the bundled example submissions
  rnnkit course solutions            regenerate solutions/ with nbgrader generate_solution
  rnnkit course validate NOTEBOOK... nbgrader's validator, with a real exit status
  rnnkit course student-kit A [--out DIR]
                                     the kit students get for assignment A: no answer key, the
                                     visible checks' expected outputs (default DIR:
                                     course/student-kits/A; use with PYTHONPATH=DIR)

--course DIR picks another course directory (default: $RNNKIT_COURSE or the repository's course/).
"""
import os


def add_arguments(parser):
    parser.add_argument("--course", help="the nbgrader course directory (default: course/)")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("release", help="build the release of every assignment")
    p.add_argument("assignments", nargs="*", help="only these assignments")
    p = sub.add_parser("autograde", help="grade every submission in submitted/")
    p.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", 2)),
                   help="students graded in parallel (default: $JOBS or 2)")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument("--unsandboxed", action="store_true",
                   help="grade WITHOUT the bubblewrap sandbox (students' code runs with your "
                        "rights; only for a machine without bwrap, knowingly)")
    p = sub.add_parser("feedback", help="HTML feedback for every graded submission")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    sub.add_parser("export", help="write grades.csv and print the score table")
    p = sub.add_parser("lab", help="open JupyterLab for a student on the release")
    p.add_argument("student")
    p.add_argument("--port", type=int)
    p.add_argument("--no-browser", action="store_true")
    p = sub.add_parser("demo", help="release, autograde the examples, feedback, export")
    p.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", 2)))
    sub.add_parser("solutions", help="regenerate solutions/ (executed, with figures)")
    p = sub.add_parser("validate", help="validate notebooks (exit 1 if one fails)")
    p.add_argument("notebooks", nargs="+")
    p = sub.add_parser("student-kit", help="the kit students get for an assignment: no answer "
                                           "key, visible checks from shipped outputs")
    p.add_argument("assignment")
    p.add_argument("--out", help="folder to write DIR/rnnkit into "
                                 "(default: course/student-kits/ASSIGNMENT)")


def run(args):
    from rnnkit.course.paths import course_root
    root = course_root(args.course)
    if args.action == "release":
        from rnnkit.course.release import release
        return release(root, args.assignments or None)
    if args.action == "autograde":
        from rnnkit.course.autograde import autograde
        from rnnkit.scale.sandbox import SandboxError
        try:
            results = autograde(root, jobs=args.jobs, students=args.student,
                                unsandboxed=args.unsandboxed)
        except SandboxError as exc:
            import sys
            print(f"rnnkit course autograde: error: {exc}", file=sys.stderr)
            return 2
        return 1 if any(not r["ok"] for r in results) else 0
    if args.action == "feedback":
        from rnnkit.course.feedback import generate_feedback
        return generate_feedback(root, students=args.student)
    if args.action == "export":
        from rnnkit.course.export import export, score_table
        print(score_table(export(root)))
        return 0
    if args.action == "lab":
        from rnnkit.course.lab import lab
        return lab(root, args.student, port=args.port, no_browser=args.no_browser)
    if args.action == "demo":
        from rnnkit.course.demo import demo
        return demo(root, jobs=args.jobs)
    if args.action == "solutions":
        from rnnkit.course.solutions import generate_solutions
        return generate_solutions(root)
    if args.action == "student-kit":
        from pathlib import Path

        from rnnkit.scale.studentkit import build_home
        if not (Path(root) / "source" / args.assignment).is_dir():
            print(f"rnnkit course student-kit: error: no assignment {args.assignment!r} in "
                  f"{Path(root) / 'source'}")
            return 2
        out = Path(args.out or Path(root) / "student-kits" / args.assignment)
        kit = build_home(root, args.assignment, out)
        print(f"wrote {kit}: students run the notebook with PYTHONPATH={out} (numpy, numba, "
              "matplotlib and IPython installed; no rnnkit)")
        return 0
    if args.action == "validate":
        from rnnkit.course.validate import validate
        status = 0
        for path in args.notebooks:
            passed, results = validate(path)
            print(f"{'PASSED' if passed else 'FAILED'} {path}")
            for kind, cells in results.items():
                for cell in cells:
                    print(f"  {kind}: {cell.get('raw_error', cell.get('source', ''))[:300]}")
            status |= 0 if passed else 1
        return status
    return 2
