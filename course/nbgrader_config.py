"""nbgrader configuration of the rnnkit course (nbgrader 0.9).

Run nbgrader from this directory (the `rnnkit course ...` commands and `make release|autograde|...`
do it for you), with the virtualenv's bin first on PATH: nbgrader runs `alembic` from PATH to
create the gradebook.
"""
c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "rnnkit"
c.CourseDirectory.assignment_id = ""  # given on the command line
# The SQLite gradebook (the embedded default) lives next to this file: gradebook.db.
# A large course sets a PostgreSQL URL here instead.
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.audit.json"]

# --- executing a submission -------------------------------------------------------------------
# Per-cell limit: a solution's slowest cell takes well under 5 s on 2 busy cores.
c.Execute.timeout = 30
# An infinite loop inside compiled code (@njit) cannot be interrupted, and the kernel then stops
# answering on iopub too: record the cell as failed instead of aborting the whole submission.
c.Execute.interrupt_on_timeout = True
c.Execute.raise_on_iopub_timeout = False
c.Execute.iopub_timeout = 10
# A busy 2-core machine can take a while to start a kernel.
c.Execute.startup_timeout = 60

# --- what a student cannot change ---------------------------------------------------------------
# A deleted or edited test cell is put back from the gradebook before grading.
c.OverwriteCells.add_missing_cells = True
# Keep outputs small: a student printing in a loop must not bloat the gradebook.
c.LimitOutput.max_lines = 500
c.LimitOutput.max_traceback = 60

# --- release ----------------------------------------------------------------------------------
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.enforce_metadata = True

# --- solutions: handed out after the deadline, without the hidden tests ------------------------
c.GenerateSolution.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.Execute",
]

# --- feedback: never show hidden tests (their source, or their code in a traceback) ------------
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    # a student's function may print its caller's source: scrub those echoes first
    "rnnkit.course.scrub.ScrubHiddenEchoes",
    "nbgrader.preprocessors.ClearHiddenTests",
    "rnnkit.course.feedback.HideTestTracebacks",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# --- trusted scoring ----------------------------------------------------------------------------
# rnnkit.grading's preprocessors recompute every recorded result in the grader's own process
# (VerifyRecords, right after Execute and before SaveAutoGrades) and audit the answer cells
# (AuditCells, which writes <notebook>.audit.json next to the autograded notebook).
from rnnkit.grading.nbgrader_plugin import install  # noqa: E402

install(c)
