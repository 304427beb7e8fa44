'''Grading for the course: what the notebooks' test cells call, and what the grader trusts.

In a test cell::

    from rnnkit.grading import check
    check("rnn_step_forward", rnn_step_forward)
    check("rnn_step_backward", rnn_step_backward, forward=rnn_step_forward)
    check("gru_forward", gru_forward, reset_after=False, hidden=True)

`check(name, func, forward=None, cases=None, seed=None, hidden=False, **variant)` runs the
student's function on generated cases, compares with `rnnkit.reference` (scaled error ≤ 1e-7;
1e-5 for clip_grad_norm), prints one line on success and raises AssertionError explaining the
first problem otherwise. Each call also emits a record of the student's outputs
(`record.MIME`), which the grader verifies in its own process.

Trusted scoring: register the two preprocessors in ``course/nbgrader_config.py``
(``config_snippet()`` returns this block)::

    # --- rnnkit trusted grading ---
    from rnnkit.grading.nbgrader_plugin import install
    install(c)
    # Equivalent to:
    # from nbgrader.preprocessors import (Execute, IgnorePattern, LimitOutput, SaveAutoGrades,
    #                                     AssignLatePenalties, CheckCellMetadata)
    # from nbconvert.preprocessors import ClearMetadataPreprocessor
    # from rnnkit.grading.nbgrader_plugin import VerifyRecords, AuditCells
    # c.Autograde.autograde_preprocessors = [
    #     Execute, VerifyRecords, AuditCells, IgnorePattern, ClearMetadataPreprocessor,
    #     LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]

`install` also appends `ChooseSeeds` to the sanitizing preprocessors: every check(...) call
of a test cell gets a seed drawn by the grader, so only a record made on the grader's inputs
verifies.

`VerifyRecords` gives 0 to every grade cell whose source calls check(...) without a valid record
(it inserts an "UntrustedResult" error output first). `AuditCells` flags suspicious code in
answer cells into ``nb.metadata["rnnkit"]["audit"]`` and ``<autograded notebook>.audit.json``
(a list of {cell_id, line, rule, text}); it never changes a score.

Rules for test cells, so that the grader can match records to calls: write each check call as a
statement of its own, with a string literal as the name and literal options (seed=3,
hidden=True, nonlinearity="relu"); no loops or helper functions around check. Records are
matched to the calls in source order, one record per call.
'''
from rnnkit.grading.checker import check
from rnnkit.grading.exercises import CLIP_TOLERANCE, EXERCISES, TOLERANCE

__all__ = ["check", "config_snippet", "EXERCISES", "TOLERANCE", "CLIP_TOLERANCE"]

_SNIPPET = """\
# --- rnnkit trusted grading: verify check() records, audit answer cells ---
from rnnkit.grading.nbgrader_plugin import install
install(c)
"""


def config_snippet():
    """The lines to paste into course/nbgrader_config.py (after `c = get_config()`)."""
    return _SNIPPET
