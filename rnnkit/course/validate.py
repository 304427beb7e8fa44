"""nbgrader's validator as a function (the ``nbgrader validate`` command exits 0 even on failure)."""
import pathlib


def validate(path):
    """(passed, results) for one notebook: it is executed and every test cell must pass.

    ``results`` is nbgrader's dict: empty when the notebook passes, else ``failed`` (test cells
    that raised, with their errors), ``changed`` (edited read-only cells) or ``type_changed``.
    """
    from nbgrader.validator import Validator
    results = Validator().validate(str(pathlib.Path(path).resolve()))
    return not results, results
