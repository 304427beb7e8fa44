"""The coordinator: the one process that reads submissions, decides scores and writes results.

For each submission (student, assignment):

1. ``prepare`` (here): register the student and the submission in the gradebook, read each
   notebook and run the course's sanitizing preprocessors (the instructor's test cells, hidden
   tests included, are restored from the gradebook), then pack a task of plain bytes.
2. a worker (``rnnkit.scale.worker.run_task``, in a local pool or on Dask) executes the notebooks
   in sandboxes and returns them;
3. ``finish`` (here): take only the *outputs* of the returned cells and put them into our own
   copy of the sanitized notebook (a worker cannot change a cell's source or metadata), run the
   course's after-Execute preprocessors (VerifyRecords recomputes every trusted-scoring record,
   AuditCells, LimitOutput, SaveAutoGrades, ...), write ``autograded/`` and the ledger entry.

Only this process opens the gradebook: workers never see it, and sandboxes cannot.
"""
import copy
import shutil
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory

from rnnkit.scale import course as course_cfg
from rnnkit.scale import ledger
from rnnkit.scale.report import describe

NOT_GRADED = "NotGraded"


@dataclass
class Submission:
    student: str
    assignment: str
    folder: Path
    digest: str = ""


@dataclass
class Prepared:
    submission: Submission
    task: dict
    sanitized: dict = field(default_factory=dict)   # notebook name -> sanitized NotebookNode
    failures: dict = field(default_factory=dict)    # notebook name -> reason (not executed)


@dataclass
class Outcome:
    student: str
    assignment: str
    status: str                 # "graded" (perhaps with incidents), "failed" or "skipped"
    score: float = None
    max_score: float = None
    reasons: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    seconds: float = 0.0
    host: str = ""
    # grader incidents: {"kind", "cell", "message"}; kinds: timeout, kernel-died,
    # output-limit, unverified (passed in the kernel, not in the grader), sandbox
    incidents: list = field(default_factory=list)
    manual_pending: float = 0.0  # points that wait for the instructor's manual grading

    def as_dict(self):
        return dict(self.__dict__)


class Coordinator:
    def __init__(self, course_dir, **overrides):
        self.course_dir = Path(course_dir).resolve()
        self.cfg = course_cfg.load_config(self.course_dir)
        self.settings = course_cfg.scale_settings(self.cfg, **overrides)
        self.db_url = course_cfg.db_url(self.cfg, self.course_dir)
        self.cfg.CourseDirectory.db_url = self.db_url
        self.coursedir = CourseDirectory(config=self.cfg)
        self.sanitizers, self.after_execute = course_cfg.preprocessors(self.cfg)

    # --- what to grade ------------------------------------------------------------------------
    def submissions(self, assignments=None, students=None):
        submitted = self.course_dir / self.coursedir.submitted_directory
        found = []
        for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir()) \
                if submitted.is_dir() else []:
            if students and student_dir.name not in students:
                continue
            for folder in sorted(p for p in student_dir.iterdir() if p.is_dir()):
                if assignments and folder.name not in assignments:
                    continue
                found.append(Submission(student_dir.name, folder.name, folder,
                                        ledger.digest(folder)))
        return found

    def _resources(self, sub, notebook):
        return {"nbgrader": {"notebook": notebook, "assignment": sub.assignment,
                             "student": sub.student, "db_url": self.db_url},
                "metadata": {"path": str(self._autograded(sub))}}

    def _autograded(self, sub):
        return Path(self.coursedir.format_path(self.coursedir.autograded_directory,
                                               sub.student, sub.assignment))

    # --- 1. prepare ---------------------------------------------------------------------------
    def prepare(self, sub):
        """Gradebook entries + sanitized notebooks + the task for a worker."""
        s = self.settings
        with Gradebook(self.db_url, self.coursedir.course_id) as gb, warnings.catch_warnings():
            # nbgrader's own update_or_create_submission trips SQLAlchemy's autoflush warning
            warnings.filterwarnings("ignore", message=".*not in session.*")
            try:
                assignment = gb.find_assignment(sub.assignment)
            except MissingEntry:
                raise MissingEntry(f"assignment {sub.assignment!r} is not in the gradebook: "
                                   "release it first (nbgrader generate_assignment)") from None
            gb.update_or_create_student(sub.student)
            timestamp = self.coursedir.get_existing_timestamp(str(sub.folder))
            kwargs = {"timestamp": timestamp} if timestamp else {}
            gb.update_or_create_submission(sub.assignment, sub.student, **kwargs)
            names = [nb.name for nb in assignment.notebooks]
        prepared = Prepared(sub, task={})
        notebooks = []
        for name in names:
            path = sub.folder / f"{name}.ipynb"
            if not path.exists():
                prepared.failures[name] = "no submitted file"
                continue
            try:
                nb = nbformat.read(str(path), as_version=4)
                resources = self._resources(sub, name)
                for pp in self.sanitizers:
                    nb, resources = pp(nb, resources)  # __call__ honours `enabled`
            except Exception as exc:  # invalid JSON, tampered metadata, ...
                prepared.failures[name] = f"could not be read: {type(exc).__name__}: {exc}"
                continue
            prepared.sanitized[name] = nb
            request = {"notebook": nb, "cell_timeout": s["cell_timeout"],
                       "probe_timeout": s["probe_timeout"],
                       "kernel_name": course_cfg.kernel_name(nb),
                       "limits": {k: s[k] for k in ("memory_mb", "cpu_seconds", "processes",
                                                    "file_mb")}}
            notebooks.append({"name": name, "request": request})
        # the student's files, then the instructor's non-notebook files over them (as nbgrader)
        skip = {f"{n}.ipynb" for n in names}
        files = course_cfg.folder_files(self.cfg, sub.folder, skip)
        source = Path(self.coursedir.format_path(self.coursedir.source_directory, ".",
                                                 sub.assignment))
        files.update({k: v for k, v in course_cfg.folder_files(self.cfg, source).items()
                      if not k.endswith(".ipynb")})
        size_mb = sum(len(v) for v in files.values()) / 2 ** 20
        if size_mb > s["max_submission_mb"]:
            for name in list(prepared.sanitized):
                prepared.failures[name] = f"the submission holds {size_mb:.0f} MB of files " \
                                          f"(limit {s['max_submission_mb']} MB)"
            notebooks, files = [], {}
        prepared.task = {"student": sub.student, "assignment": sub.assignment,
                         "notebooks": notebooks, "files": files,
                         "settings": {"sandbox": s.get("sandbox", True),
                                      "wall_timeout": s["wall_timeout"],
                                      "uid_base": s["uid_base"], "threads": s["threads"]}}
        return prepared

    # --- 3. finish ----------------------------------------------------------------------------
    def finish(self, prepared, result):
        """Merge outputs, verify, score, write autograded/ and the ledger -> Outcome."""
        sub = prepared.submission
        result = result or {"notebooks": {}}
        outcome = Outcome(sub.student, sub.assignment, "graded",
                          seconds=result.get("seconds", 0.0), host=result.get("host", ""))
        dest = self._autograded(sub)
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        for name, reason in prepared.failures.items():
            self._zero_notebook(sub, name, reason)
            outcome.status = "failed"
            outcome.reasons.append(f"{name}: {reason}")
        for name, nb in prepared.sanitized.items():
            if name in prepared.failures:
                continue
            ran = result["notebooks"].get(name) or {"ok": False, "reason": "no result returned"}
            nb = copy.deepcopy(nb)
            if ran["ok"]:
                problem = merge_outputs(nb, ran["result"])
                if problem:
                    ran = {"ok": False, "reason": problem}
                else:
                    outcome.reasons += [f"{name}: {r}" for r in describe(ran["result"])]
            if ran["ok"]:
                outcome.incidents += [{**i, "notebook": name}
                                      for i in ran["result"].get("incidents", [])]
            if not ran["ok"]:
                outcome.status = "failed"
                outcome.reasons.append(f"{name}: {ran['reason']}")
                outcome.incidents.append({"kind": "sandbox", "cell": None, "notebook": name,
                                          "message": ran["reason"]})
                mark_not_graded(nb, ran["reason"])
            resources = self._resources(sub, name)
            for pp in self.after_execute:
                nb, resources = pp(nb, resources)  # __call__ honours `enabled`
            outcome.flags += [_flag_text(f) for f in nb.metadata.get("rnnkit", {}).get("audit", [])]
            for entry in nb.metadata.get("rnnkit", {}).get("verify", []):
                # a wrong answer is an ordinary 0 (the student build's check only records); a
                # record that is missing, malformed or made for other inputs is not
                if entry.get("passed_in_kernel") and not entry.get("verified") and \
                        not entry.get("wrong_answer"):
                    outcome.incidents.append({
                        "kind": "unverified", "cell": entry.get("cell_id"), "notebook": name,
                        "message": "the grader cannot trust its result: "
                                   + "; ".join(entry.get("problems", []))[:300]})
            nbformat.write(nb, str(dest / f"{name}.ipynb"))
        # the other files of the submission, and the instructor's over them, as nbgrader does
        for rel, data in prepared.task.get("files", {}).items():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        timestamp = sub.folder / "timestamp.txt"
        if timestamp.exists():
            shutil.copy(timestamp, dest / "timestamp.txt")
        with Gradebook(self.db_url, self.coursedir.course_id) as gb:
            submission = gb.find_submission(sub.assignment, sub.student)
            outcome.score, outcome.max_score = submission.score, submission.max_score
            outcome.manual_pending = float(sum(
                g.max_score or 0 for n in submission.notebooks for g in n.grades
                if g.needs_manual_grade))
        ledger.write(self.course_dir, {**outcome.as_dict(), "digest": sub.digest,
                                       "finished": time.time()})
        return outcome

    def _zero_notebook(self, sub, name, reason):
        """A notebook that was not executed scores 0 and is marked for the instructor's review."""
        with Gradebook(self.db_url, self.coursedir.course_id) as gb:
            try:
                notebook = gb.find_submission_notebook(name, sub.assignment, sub.student)
            except MissingEntry:
                return
            for grade in notebook.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = True
            gb.db.commit()


def _flag_text(flag):
    """An audit flag (rnnkit.grading.audit's dict) in one line."""
    if not isinstance(flag, dict):
        return str(flag)
    where = flag.get("cell_id") or flag.get("cell") or "?"
    line = f" line {flag['line']}" if flag.get("line") else ""
    what = ": ".join(str(flag[k]) for k in ("rule", "text", "message") if flag.get(k))
    return f"{where}{line}: {what or flag}"


def merge_outputs(nb, result):
    """Copy the executed cells' outputs into our trusted notebook; None, or why not."""
    try:
        executed = nbformat.from_dict(result["notebook"])
        if len(executed.cells) != len(nb.cells):
            return "the executed notebook does not have the cells that were sent"
        for mine, theirs in zip(nb.cells, executed.cells):
            if mine.cell_type != "code":
                continue
            mine.outputs = [nbformat.from_dict(o) for o in theirs.get("outputs", [])]
            mine.execution_count = theirs.get("execution_count")
        nbformat.validate(nb)  # every output well-formed, or the grading fails visibly
    except Exception as exc:  # a malformed result is a failed grading, never a crash
        return f"the executed notebook is malformed: {type(exc).__name__}: {exc}"
    return None


def mark_not_graded(nb, reason):
    """Give every grade cell an error output: SaveAutoGrades then scores it 0, visibly."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            cell.outputs = [nbformat.v4.new_output("error", ename=NOT_GRADED, evalue=reason,
                                                   traceback=[f"{NOT_GRADED}: {reason}"])]
