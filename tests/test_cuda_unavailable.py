"""Without a GPU and without the simulator, backend="cuda" fails early with instructions.

Runs in a subprocess with NUMBA_ENABLE_CUDASIM unset: importing numba.cuda in this (main)
pytest process would fix numba's CUDA mode for every later test in it.
"""
import os
import subprocess
import sys

import pytest

SCRIPT = """
import sys
from numba import cuda
if cuda.is_available():
    print("GPU-PRESENT")
    sys.exit(0)
import rnnkit
try:
    rnnkit.LSTM(3, 4, backend="cuda")
except RuntimeError as error:
    print("RuntimeError:", error)
    sys.exit(0)
print("NO-ERROR")
sys.exit(1)
"""


def test_cuda_backend_without_gpu_or_simulator_says_how_to_enable_either():
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                            text=True, timeout=120)
    output = result.stdout + result.stderr
    if "GPU-PRESENT" in result.stdout:
        pytest.skip("this machine has a usable CUDA GPU, so backend='cuda' is available")
    assert result.returncode == 0, f"LSTM(backend='cuda') did not fail:\n{output}"
    message = result.stdout
    assert "RuntimeError: backend='cuda' needs an NVIDIA GPU or numba's CUDA simulator" in message
    assert "NUMBA_ENABLE_CUDASIM=1" in message  # how to enable the simulator
    assert "rnnkit[gpu]" in message  # how to enable a GPU
    assert "Traceback" not in output
