import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import tiny_course  # noqa: E402


@pytest.fixture(scope="module")
def tiny_template(tmp_path_factory):
    """The tiny course, released once per test module (nbgrader generate_assignment)."""
    return tiny_course.make_course(tmp_path_factory.mktemp("tiny-template"))
