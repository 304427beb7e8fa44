"""Fixtures for the course tests: the source notebooks and a released copy of the course."""
import os
import pathlib
import sys

import nbformat
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))  # bank.py, inprocess.py, course_helpers.py
from course_helpers import COURSE  # noqa: E402

# nbgrader runs `alembic` from PATH
os.environ["PATH"] = str(pathlib.Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]


@pytest.fixture(scope="session")
def source_notebooks():
    """{assignment: notebook} read from course/source."""
    from rnnkit.course.paths import assignments
    return {name: nbformat.read(str(COURSE / "source" / name / f"{name}.ipynb"), as_version=4)
            for name in assignments(COURSE)}


@pytest.fixture(scope="module")
def released_course(tmp_path_factory):
    """A copy of the course (config + source) with every assignment released."""
    from rnnkit.course.sandbox import copy_course, run_release
    course = copy_course(COURSE, tmp_path_factory.mktemp("course") / "course")
    run_release(course)
    return course
