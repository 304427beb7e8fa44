"""Is there something to run CUDA kernels on: an NVIDIA GPU, or numba's CUDA simulator?

The simulator (``NUMBA_ENABLE_CUDASIM=1``) runs every CUDA thread as a Python thread: slow, but
it checks array bounds and needs no GPU, so the tests use it. numba reads the variable when numba
itself is first imported, so it must be set in the environment before Python starts.
"""
import os

HOW_TO_ENABLE = (
    "backend='cuda' needs an NVIDIA GPU or numba's CUDA simulator, and neither is available here.\n"
    "  * With an NVIDIA GPU: install the CUDA extra, pip install 'rnnkit[gpu]' "
    "(numba-cuda[cu12]), and check that `nvidia-smi` lists the GPU.\n"
    "  * Without a GPU: run with the simulator, e.g. `NUMBA_ENABLE_CUDASIM=1 python ...` "
    "(set it before numba is imported; it is slow, for tiny shapes only).\n"
    "  * Or use backend='numpy' or backend='numba'."
)


def simulator_enabled():
    """True when numba runs CUDA kernels in its simulator (decided when numba was imported)."""
    from numba import config
    return bool(config.ENABLE_CUDASIM)


def gpu_available():
    """True when a real CUDA GPU and driver are usable (never true on the simulator)."""
    if simulator_enabled():
        return False
    from numba import cuda
    return bool(cuda.is_available())


def require_device():
    """Return "simulator" or "gpu"; raise RuntimeError saying how to enable either otherwise."""
    if simulator_enabled():
        return "simulator"
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"):
        raise RuntimeError(
            "NUMBA_ENABLE_CUDASIM is set but numba was imported before it was: set the variable "
            "in the environment before Python starts.\n" + HOW_TO_ENABLE)
    if gpu_available():
        return "gpu"
    raise RuntimeError(HOW_TO_ENABLE)
