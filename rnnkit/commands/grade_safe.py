"""Grade a class safely: every submission in a bubblewrap sandbox, one writer for the gradebook.

Each notebook runs in a sandbox of its own (no network, no course directory, no home, limits on
memory, CPU time and processes); the coordinating process alone verifies the trusted-scoring
records and writes the gradebook, autograded/ and grades.csv. An interrupted run resumes where
it stopped; --force regrades. See docs/grading-at-scale.md.

examples:
  rnnkit grade-safe course                          # every submission, JOBS=1
  rnnkit grade-safe course --jobs 4 --assignment 01_rnn_forward
  rnnkit grade-safe course --scheduler tcp://10.0.0.5:8786   # a Dask cluster
  rnnkit grade-safe course --student alice --force  # regrade one student
"""
import sys


def add_arguments(parser):
    parser.add_argument("course", nargs="?", default="course",
                        help="the nbgrader course directory (default: course)")
    parser.add_argument("--assignment", action="append",
                        help="grade only this assignment (repeatable)")
    parser.add_argument("--student", action="append", help="grade only this student (repeatable)")
    parser.add_argument("--jobs", "-j", type=int, default=None,
                        help="submissions graded at once on this machine (default: the course's "
                             "c.ScaleGrading.jobs, else 1)")
    parser.add_argument("--scheduler", default=None,
                        help="address of a dask.distributed scheduler (default: the course's "
                             "c.ScaleGrading.scheduler; none: grade on this machine)")
    parser.add_argument("--force", action="store_true",
                        help="regrade submissions that an earlier run finished")
    parser.add_argument("--unsandboxed", action="store_true",
                        help="grade WITHOUT bwrap (students' code runs with your rights)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 when a submission could not be graded")


def run(args):
    from rnnkit.scale.engine import export_status, grade, summary_table
    from rnnkit.scale.sandbox import SandboxError

    if args.jobs is not None and args.jobs < 1:
        print("rnnkit grade-safe: error: --jobs must be at least 1", file=sys.stderr)
        return 2
    try:
        outcomes = grade(args.course, assignments=args.assignment, students=args.student,
                         jobs=args.jobs, scheduler=args.scheduler, force=args.force,
                         unsandboxed=args.unsandboxed, progress=not args.no_progress)
    except (SandboxError, OSError, TimeoutError) as exc:  # no bwrap, no course, no scheduler
        print(f"rnnkit grade-safe: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    export_status(args.course, outcomes)
    print(summary_table(outcomes))
    # a submission that could not be graded is in the table, with its reason; the run itself
    # succeeded (use --strict to make it an error, e.g. in scripts)
    return 1 if args.strict and any(o.status == "failed" for o in outcomes) else 0
