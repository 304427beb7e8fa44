"""Grading at class scale, safely.

- ``sandbox``: run one notebook in a bubblewrap sandbox with limits (``execute`` runs inside);
- ``worker``: ``run_task``, the plain-data function a local pool or a Dask worker runs;
- ``coordinator``: the one process that prepares tasks, verifies results and writes the gradebook;
- ``engine``: the run loop (JOBS=N or Dask), progress bar, resume; ``report``: the summary;
- ``course``: the course's nbgrader config and preprocessors; ``ledger``: what is done.

Entry points: ``rnnkit grade-safe`` / ``python -m rnnkit.scale``; docs/grading-at-scale.md.
"""
