"""nbgrader's Python API, opened on a course directory (in the current process).

nbgrader reads ``nbgrader_config.py`` and the relative SQLite URL from the working directory,
so ``open_api`` changes into the course directory: call it only in a process of its own
(a worker, or a CLI command), never inside a test process or a notebook kernel.
"""
import os
import pathlib


def open_api(root):
    """An ``NbGraderAPI`` for the course at ``root``, with its nbgrader_config.py loaded."""
    os.environ["PATH"] = (str(pathlib.Path(os.sys.executable).parent) + os.pathsep
                          + os.environ.get("PATH", ""))
    os.chdir(root)
    from nbgrader.apps import NbGraderAPI
    from nbgrader.apps.baseapp import NbGrader
    from nbgrader.coursedir import CourseDirectory

    app = NbGrader()
    app.initialize([])  # loads ./nbgrader_config.py
    coursedir = CourseDirectory(config=app.config)
    coursedir.root = str(root)
    return NbGraderAPI(coursedir=coursedir, config=app.config)


def gradebook(api):
    from nbgrader.api import Gradebook
    return Gradebook(api.coursedir.db_url, api.coursedir.course_id)


def log_tail(result, lines=15):
    """The last lines of an API call's captured log and error, for a report."""
    text = "\n".join(part for part in (result.get("log"), result.get("error")) if part)
    return "\n".join(text.strip().splitlines()[-lines:])
