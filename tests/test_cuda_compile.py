"""Every CUDA kernel compiles for a real GPU (sm_90 PTX), checked without a GPU.

The simulator tests (tests/cuda) prove the kernels compute the right numbers, but the simulator
runs them as Python; this compiles them with numba-cuda's GPU compiler. It needs NVVM and NVRTC
(``pip install 'rnnkit[gpu]'``) and skips, saying so, where they are missing. Subprocess: the
compiler must not be loaded into the main pytest process.
"""
import os
import subprocess
import sys

import pytest


def test_every_kernel_compiles_for_a_gpu_without_float64_in_float32_kernels():
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    result = subprocess.run([sys.executable, "-m", "rnnkit.cuda.compile_check"], env=env,
                            capture_output=True, text=True, timeout=600)
    if result.returncode == 2:
        pytest.skip(f"no CUDA compiler libraries: {result.stderr.strip()}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all kernels compiled" in result.stdout
