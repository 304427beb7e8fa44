"""nbgrader's validator: every source notebook passes, every untouched release notebook fails."""
import pytest

from course_helpers import ASSIGNMENTS, COURSE
from rnnkit.course.validate import validate

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_passes_the_validator(assignment):
    passed, results = validate(COURSE / "source" / assignment / f"{assignment}.ipynb")
    assert passed, results


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_release_fails_the_validator(released_course, assignment):
    passed, results = validate(released_course / "release" / assignment / f"{assignment}.ipynb")
    assert not passed
    # every test cell fails, and none because of a changed read-only cell
    assert "changed" not in results and len(results["failed"]) >= 4
