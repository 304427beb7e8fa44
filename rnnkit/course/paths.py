"""Where the course lives, which assignments it has, and how to run nbgrader there."""
import os
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_ROOT = REPO / "course"
#: what the pipeline writes (all gitignored: see course/.gitignore)
STATUS_FILE = "autograde_status.json"
GRADES_FILE = "grades.csv"


def course_root(root=None):
    """The course directory: ``root``, else $RNNKIT_COURSE, else the repository's course/."""
    root = pathlib.Path(root or os.environ.get("RNNKIT_COURSE") or DEFAULT_ROOT).resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise FileNotFoundError(f"{root} is not an nbgrader course directory "
                                "(it has no nbgrader_config.py)")
    return root


def assignments(root):
    """Assignment names, in order: the folders of source/ (01_rnn_forward, 02_bptt, ...)."""
    source = pathlib.Path(root) / "source"
    return sorted(p.name for p in source.iterdir() if p.is_dir() and not p.name.startswith("."))


def notebook_names(root, assignment):
    return sorted(p.name for p in (pathlib.Path(root) / "source" / assignment).glob("*.ipynb"))


def submissions(root):
    """(student, assignment) pairs found in submitted/, sorted."""
    submitted = pathlib.Path(root) / "submitted"
    if not submitted.is_dir():
        return []
    return sorted((s.name, a.name) for s in submitted.iterdir() if s.is_dir()
                  for a in s.iterdir() if a.is_dir())


def nbgrader_env():
    """Environment for nbgrader subprocesses: this interpreter's bin first (nbgrader runs alembic)."""
    env = dict(os.environ)
    bin_dir = str(pathlib.Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env.setdefault("PYTHONHASHSEED", "0")
    # no GUI backend in kernels that grade; each kernel single-threaded so that JOBS=N
    # parallel students do not fight over the cores
    env["MPLBACKEND"] = "Agg"
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    return env
