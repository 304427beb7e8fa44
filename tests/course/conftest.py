"""Fixtures for the course tests: the source notebooks and a released copy of the course."""
import os
import pathlib
import sys

import nbformat
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))  # bank.py, inprocess.py, course_helpers.py
from course_helpers import ASSIGNMENTS, COURSE  # noqa: E402

# nbgrader runs `alembic` from PATH
os.environ["PATH"] = str(pathlib.Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]


@pytest.fixture(scope="session")
def source_notebooks():
    """{assignment: notebook} of part 1, read from course/source."""
    return {name: nbformat.read(str(COURSE / "source" / name / f"{name}.ipynb"), as_version=4)
            for name in ASSIGNMENTS}


@pytest.fixture(scope="module")
def released_course(tmp_path_factory):
    """A copy of the course (config + the four part-1 assignments) with every assignment released."""
    from rnnkit.course.sandbox import copy_course, run_release
    course = copy_course(COURSE, tmp_path_factory.mktemp("course") / "course", ASSIGNMENTS)
    run_release(course)
    return course
