"""Guard: says how to run the CUDA simulator tests when they were not run with the simulator."""
import os

import pytest

pytestmark = pytest.mark.cudasim


def test_runs_under_the_cuda_simulator():
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") in ("", "0"):
        pytest.skip("tests/cuda need the CUDA simulator in their own process: run `make test-cuda` "
                    "(NUMBA_ENABLE_CUDASIM=1 python -m pytest tests/cuda)")
    from numba import config
    assert config.ENABLE_CUDASIM
    from rnnkit.cuda import sequence
    assert sequence.DEVICE == "simulator"
