"""The CUDA simulator tests: run them with ``make test-cuda``, i.e.

    NUMBA_ENABLE_CUDASIM=1 python -m pytest tests/cuda

numba reads NUMBA_ENABLE_CUDASIM once, when numba is first imported, so these tests need their
own process with the variable set from the start. Without it, the test modules here are not even
imported (importing them would load numba.cuda for a real GPU into the caller's process), and
test_00_simulator.py reports one skip saying how to run them. With it, numba must really be in
simulator mode, or the run stops with an error.
"""
import os

import pytest

SIMULATOR_REQUESTED = os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")

if not SIMULATOR_REQUESTED:
    # only the guard module (which imports no numba) is collected; it skips with the reason
    collect_ignore_glob = [name for name in os.listdir(os.path.dirname(__file__))
                           if name.startswith("test_") and name != "test_00_simulator.py"]
else:
    from numba import config

    if not config.ENABLE_CUDASIM:
        pytest.exit("NUMBA_ENABLE_CUDASIM=1 is set but numba is not in simulator mode: numba was "
                    "imported before the variable was set. Run `make test-cuda`.", returncode=3)

    @pytest.fixture(autouse=True)
    def poisoned_buffers(monkeypatch):
        """Every device buffer starts as NaN, so an element a kernel forgot to write fails."""
        from rnnkit.cuda import memory, sequence
        monkeypatch.setattr(memory, "POISON", True)
        monkeypatch.setattr(sequence, "STRATEGY", "auto")
