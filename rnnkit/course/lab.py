"""Open JupyterLab for a student on a copy of the release (what the student would see).

The student's JupyterLab gets the student's side of nbgrader only (the assignment list and the
Validate button): the instructor's "Create Assignment" toolbar, the Formgrader and the course
list are switched off in a Jupyter configuration directory of its own, which
``JUPYTER_CONFIG_DIR`` points at (the user's own Jupyter settings are left alone).
"""
import json
import os
import pathlib
import shutil
import sys

from rnnkit.course.paths import nbgrader_env

#: nbgrader's instructor-side JupyterLab plugins and server extensions, off for students
INSTRUCTOR_LAB_PLUGINS = ("@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader",
                          "@jupyter/nbgrader:course-list")
INSTRUCTOR_SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader",
                                "nbgrader.server_extensions.course_list")


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


def student_config_dir(root):
    """course/lab/.jupyter/: the student's Jupyter configuration (written on every run)."""
    config = pathlib.Path(root) / "lab" / ".jupyter"
    (config / "labconfig").mkdir(parents=True, exist_ok=True)
    page = {"disabledExtensions": {name: True for name in INSTRUCTOR_LAB_PLUGINS}}
    (config / "labconfig" / "page_config.json").write_text(json.dumps(page, indent=2) + "\n")
    server = {"ServerApp": {"jpserver_extensions": {name: False for name in
                                                    INSTRUCTOR_SERVER_EXTENSIONS}}}
    (config / "jupyter_server_config.json").write_text(json.dumps(server, indent=2) + "\n")
    return config


def lab_command(root, student, port=None, no_browser=False, is_root=None):
    """(command, environment) that start the student's JupyterLab."""
    home = student_copy(root, student)
    command = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={home}"]
    if port:
        command.append(f"--port={port}")
    if no_browser:
        command.append("--no-browser")
    if is_root if is_root is not None else (hasattr(os, "geteuid") and os.geteuid() == 0):
        command.append("--allow-root")  # Jupyter refuses to start as root without it
    env = nbgrader_env()
    env.pop("MPLBACKEND", None)  # figures inline in the browser
    env["JUPYTER_CONFIG_DIR"] = str(student_config_dir(root))
    return command, env


def lab(root, student, port=None, no_browser=False):
    """Replace this process by ``jupyter lab`` rooted at the student's copy."""
    command, env = lab_command(root, student, port, no_browser)
    print(f"JupyterLab for {student} on {root / 'lab' / student} (student view: no "
          f"Create Assignment, no Formgrader)", flush=True)
    os.execvpe(command[0], command, env)
