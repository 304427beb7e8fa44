"""Fixtures for part 2's course tests (assignments 05-08): source notebooks, a released copy."""
import os
import pathlib
import shutil
import sys

import nbformat
import pytest

HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE))  # bank_systems.py, inprocess_systems.py
REPO = HERE.parents[1]
# $RNNKIT_COURSE points the tests at another course directory (as for `rnnkit course`)
COURSE = pathlib.Path(os.environ.get("RNNKIT_COURSE") or REPO / "course")
SYSTEMS = ["05_training", "06_numba_cpu", "07_numba_cuda", "08_analysis"]

# nbgrader runs `alembic` from PATH
os.environ["PATH"] = str(pathlib.Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]


def source_path(assignment, course=COURSE):
    return course / "source" / assignment / f"{assignment}.ipynb"


@pytest.fixture(scope="session")
def systems_notebooks():
    """{assignment: notebook} of part 2, read from course/source."""
    return {name: nbformat.read(str(source_path(name)), as_version=4) for name in SYSTEMS}


@pytest.fixture(scope="module")
def released_systems(tmp_path_factory):
    """A course directory with only assignments 05-08 (config + source), all released."""
    from rnnkit.course.sandbox import run_release
    course = tmp_path_factory.mktemp("course_systems") / "course"
    course.mkdir()
    shutil.copy2(COURSE / "nbgrader_config.py", course / "nbgrader_config.py")
    for name in SYSTEMS:
        shutil.copytree(COURSE / "source" / name, course / "source" / name)
    run_release(course)
    return course
