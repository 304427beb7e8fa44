"""GPU tests (marker ``gpu``): they run only on a real NVIDIA GPU, never on the simulator.

Whether a GPU is there is asked in a subprocess, so that a machine without one never loads
numba.cuda into the main pytest process. Without a GPU every ``gpu`` test is skipped with the
reason; run them with ``make test-gpu`` on a GPU machine.
"""
import functools
import os
import subprocess
import sys

import pytest

PROBE = "from numba import cuda; import sys; sys.exit(0 if cuda.is_available() else 1)"


@functools.lru_cache(maxsize=None)
def why_no_gpu():
    """None when a usable CUDA GPU is present, else the reason to skip."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"):
        return "NUMBA_ENABLE_CUDASIM is set: GPU tests never run on the CUDA simulator"
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    probe = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, timeout=300)
    if probe.returncode != 0:
        return ("no usable NVIDIA GPU (numba.cuda.is_available() is False): "
                "run `make test-gpu` on a GPU machine")
    return None


def pytest_collection_modifyitems(config, items):
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if gpu_items and why_no_gpu():
        skip = pytest.mark.skip(reason=why_no_gpu())
        for item in gpu_items:
            item.add_marker(skip)
