"""solutions/: the solved notebooks, executed with their figures, made by nbgrader.

``nbgrader generate_solution`` (configured in course/nbgrader_config.py to drop the hidden tests)
writes course/solution/<assignment>/; the notebooks are then copied to the repository's
solutions/<assignment>/. tests/course/test_solutions.py fails when they drift from course/source.
"""
import shutil

from rnnkit.course.nbapi import gradebook, log_tail, open_api
from rnnkit.course.paths import REPO, assignments


def _generate_solution(api, name):
    """nbgrader generate_solution for one assignment (the API has no method for it)."""
    from nbgrader.converters import GenerateSolution
    from nbgrader.utils import capture_log, temp_attrs
    with temp_attrs(api.coursedir, assignment_id=name):
        app = GenerateSolution(coursedir=api.coursedir, parent=api)
        app.force = True
        return capture_log(app)


def generate_solutions(root, target=REPO / "solutions", log=print):
    api = open_api(root)
    names = assignments(root)
    with gradebook(api) as gb:
        for name in names:
            gb.update_or_create_assignment(name)
    failed = 0
    for name in names:
        result = _generate_solution(api, name)
        if not result["success"]:
            failed += 1
            log(f"FAILED generate_solution {name}:\n{log_tail(result)}")
            continue
        out = target / name
        out.mkdir(parents=True, exist_ok=True)
        for notebook in sorted((root / "solution" / name).glob("*.ipynb")):
            shutil.copy2(notebook, out / notebook.name)
            log(f"wrote {out / notebook.name}")
    return 1 if failed else 0
