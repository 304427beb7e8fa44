"""The bank, run without nbgrader: each wrong answer fails exactly its test cells, each
alternative passes. One subprocess per notebook (07 needs the simulator before numba loads)."""
import json
import subprocess
import sys

import pytest

from bank_systems import ALTERNATIVES, WRONG
from conftest import HERE, SYSTEMS, source_path

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("assignment", SYSTEMS)
def test_bank_in_process(assignment):
    from rnnkit.course.paths import nbgrader_env
    env = nbgrader_env()
    env.pop("NUMBA_ENABLE_CUDASIM", None)  # 07's set-up cell chooses it, as in a kernel
    done = subprocess.run([sys.executable, str(HERE / "inprocess_systems.py"),
                           str(source_path(assignment))], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert results.pop("solution") == []
    expected = {w.id: sorted(w.failing) for w in WRONG if w.notebook == assignment}
    expected.update({a.id: [] for a in ALTERNATIVES if a.notebook == assignment})
    assert results == expected
