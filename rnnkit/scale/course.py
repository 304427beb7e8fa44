"""The course as the coordinator sees it: its nbgrader config, gradebook URL and preprocessors.

nbgrader's own autograde runs two lists of preprocessors: the *sanitizing* ones (clear outputs,
put back the instructor's test cells from the gradebook, ...) and the *autograde* ones (Execute,
then VerifyRecords/AuditCells when the course installs them, LimitOutput, SaveAutoGrades, ...).
We run exactly the course's lists, in the coordinator, except for Execute: that one step is
replaced by the sandboxed workers. The course's Execute settings (timeout, kernel) are read from
the same config so that a course behaves the same under both graders.
"""
import fnmatch
import os
from pathlib import Path

from nbconvert.preprocessors import ExecutePreprocessor
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader
from traitlets.utils.importstring import import_item

SCALE_DEFAULTS = {
    "jobs": 1,                   # submissions graded at once on this machine
    "scheduler": None,           # a dask.distributed scheduler address, e.g. tcp://host:8786
    "cell_timeout": None,        # None: the course's Execute.timeout (nbgrader's default: 30 s)
    "probe_timeout": 5,          # after a timeout: how long the interrupted kernel may take
    "wall_timeout": 900,         # one notebook, start to end, sandbox included
    "memory_mb": 3072,           # RLIMIT_AS of each process in the sandbox
    "cpu_seconds": 600,          # RLIMIT_CPU of each process in the sandbox
    "processes": 96,             # RLIMIT_NPROC: processes and threads of the sandbox's uid
    "file_mb": 256,              # RLIMIT_FSIZE
    "threads": 1,                # BLAS/OpenMP/Numba threads in each kernel
    "uid_base": 3_000_000,       # root only: the sandboxes' own uids start here
    "max_submission_mb": 50,     # a submission folder larger than this is not graded
}


def load_config(course_dir):
    """The course's nbgrader_config.py as a traitlets Config, rooted at `course_dir`."""
    course_dir = Path(course_dir).resolve()
    if not (course_dir / "nbgrader_config.py").is_file():
        raise FileNotFoundError(f"{course_dir} has no nbgrader_config.py: not an nbgrader course")
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
    cfg.CourseDirectory.root = str(course_dir)
    return cfg


def scale_settings(cfg, **overrides):
    """SCALE_DEFAULTS, then ``c.ScaleGrading.<name>`` from the course config, then overrides."""
    settings = dict(SCALE_DEFAULTS)
    section = cfg.get("ScaleGrading", Config())
    for key in SCALE_DEFAULTS:
        if key in section:
            settings[key] = section[key]
    settings.update({k: v for k, v in overrides.items() if v is not None})
    if settings["cell_timeout"] is None:
        settings["cell_timeout"] = cfg.get("Execute", Config()).get("timeout", 30)
    return settings


def db_url(cfg, course_dir):
    """The gradebook URL; a relative SQLite path is relative to the course directory."""
    url = cfg.get("CourseDirectory", Config()).get("db_url") or \
        f"sqlite:///{Path(course_dir) / 'gradebook.db'}"
    prefix = "sqlite:///"
    if url.startswith(prefix) and not os.path.isabs(url[len(prefix):]):
        url = prefix + str(Path(course_dir).resolve() / url[len(prefix):])
    return url


def _classes(cfg, name):
    from nbgrader.converters import Autograde
    section = cfg.get("Autograde", Config())
    items = section.get(name) if name in section else \
        Autograde.class_traits()[name].default()
    return [import_item(i) if isinstance(i, str) else i for i in items]


def is_execute(cls):
    return isinstance(cls, type) and issubclass(cls, ExecutePreprocessor)


def preprocessors(cfg):
    """(sanitizers, after_execute): instances of the course's lists, without Execute."""
    sanitize = [cls(config=cfg) for cls in _classes(cfg, "sanitize_preprocessors")]
    cfg = cfg.copy()
    # the engine's kernels run the student build of the kit, whose check only records: a
    # wrong answer passes there, and the grader tells it (see VerifyRecords.kernel_judges)
    cfg.VerifyRecords.kernel_judges = False
    after = [cls(config=cfg) for cls in _classes(cfg, "autograde_preprocessors")
             if not is_execute(cls)]
    return sanitize, after


def kernel_name(nb):
    return nb.metadata.get("kernelspec", {}).get("name") or "python3"


def ignored(cfg, relpath):
    patterns = cfg.get("CourseDirectory", Config()).get(
        "ignore", [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"])
    return any(fnmatch.fnmatch(part, pat) for part in Path(relpath).parts for pat in patterns)


def folder_files(cfg, folder, skip_notebooks=()):
    """relative path -> bytes of the files of `folder` (minus ignored ones and `skip_notebooks`)."""
    files = {}
    folder = Path(folder)
    if not folder.is_dir():
        return files
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        # a copy of the kit (a home build handed out with the release) is never sent: the
        # sandbox has its own build, and a submitted one would shadow it in the kernel's cwd
        if path.is_file() and not path.is_symlink() and not ignored(cfg, rel) \
                and rel not in skip_notebooks and Path(rel).parts[0] != "rnnkit":
            files[rel] = path.read_bytes()
    return files
