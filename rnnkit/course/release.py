"""Build the student release of every assignment: course/source -> course/release."""
import sys

from rnnkit.course.nbapi import gradebook, log_tail, open_api
from rnnkit.course.paths import assignments


def release(root, names=None, log=print):
    """Register each assignment in the gradebook and run nbgrader generate_assignment.

    Runs in this process (it changes the working directory). Returns 0 when every assignment
    was released, 1 otherwise.
    """
    names = names or assignments(root)
    api = open_api(root)
    with gradebook(api) as gb:
        for name in names:
            gb.update_or_create_assignment(name)
    failed = []
    for name in names:
        result = api.generate_assignment(name, force=True)
        if result["success"]:
            log(f"released {name}")
        else:
            failed.append(name)
            log(f"FAILED to release {name}:\n{log_tail(result)}")
    return 1 if failed else 0


if __name__ == "__main__":
    from rnnkit.course.paths import course_root
    sys.exit(release(course_root(sys.argv[1] if len(sys.argv) > 1 else None)))
