"""A throw-away copy of the course (config + source) in which to release or grade."""
import shutil
import subprocess
import sys

from rnnkit.course.paths import nbgrader_env


def copy_course(root, target, assignments=None):
    """Copy nbgrader_config.py and source/ of ``root`` (only ``assignments`` if given) to
    ``target``, a new course directory."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / "nbgrader_config.py", target / "nbgrader_config.py")
    names = assignments or [p.name for p in (root / "source").iterdir() if p.is_dir()]
    for name in names:
        shutil.copytree(root / "source" / name, target / "source" / name, dirs_exist_ok=True)
    return target


def run_release(course):
    """Release every assignment of ``course`` in a subprocess (nbgrader changes the cwd)."""
    subprocess.run([sys.executable, "-m", "rnnkit.course.release", str(course)], cwd=course,
                   env=nbgrader_env(), check=True, capture_output=True, text=True)


def run_autograde(course, jobs=2, unsandboxed=None):
    """Autograde ``course``/submitted; the results, a list of dicts. Sandboxed where bwrap is
    installed; without it (a test machine), unsandboxed unless ``unsandboxed=False``."""
    from rnnkit.course.autograde import autograde
    from rnnkit.scale.sandbox import find_bwrap
    if unsandboxed is None:
        unsandboxed = find_bwrap() is None
    return autograde(course, jobs=jobs, progress=False, log=lambda *args: None,
                     unsandboxed=unsandboxed)
