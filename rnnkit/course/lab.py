"""Open JupyterLab for a student on a copy of the release (what the student would see)."""
import os
import pathlib
import shutil
import sys

from rnnkit.course.paths import nbgrader_env


def student_copy(root, student):
    """course/lab/<student>/<assignment>/: the release, copied once (later runs keep the work)."""
    release = root / "release"
    if not release.is_dir():
        raise FileNotFoundError(f"{release} does not exist: run `rnnkit course release` first")
    home = root / "lab" / student
    for assignment in sorted(p for p in release.iterdir() if p.is_dir()):
        target = home / assignment.name
        if not target.exists():
            shutil.copytree(assignment, target)
    return home


def lab(root, student, port=None, no_browser=False):
    """Replace this process by ``jupyter lab`` rooted at the student's copy."""
    home = student_copy(root, student)
    command = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={home}"]
    if port:
        command.append(f"--port={port}")
    if no_browser:
        command.append("--no-browser")
    print(f"JupyterLab for {student} on {home}", flush=True)
    env = nbgrader_env()
    env.pop("MPLBACKEND", None)  # figures inline in the browser
    os.execvpe(command[0], command, env)
