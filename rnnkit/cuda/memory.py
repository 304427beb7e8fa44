"""Device buffers for the kernels.

``empty`` is ``cuda.device_array`` (uninitialised memory) unless ``POISON`` is true: then every
buffer starts as NaN, so that an element a kernel forgot to write shows up as NaN in the result.
The tests switch it on; it costs one extra fill per buffer.
"""
import numpy as np
from numba import cuda

POISON = False


def empty(shape, dtype):
    """A device array of ``shape`` and ``dtype`` (NaN-filled when ``POISON`` is on)."""
    if POISON:
        return cuda.to_device(np.full(shape, np.nan, dtype=dtype))
    return cuda.device_array(shape, dtype=dtype)


def zeros(shape, dtype):
    return cuda.to_device(np.zeros(shape, dtype=dtype))


def to_device(a):
    """Copy a host array to the device as a C-contiguous array."""
    return cuda.to_device(np.ascontiguousarray(a))


def blocks_for(n, threads):
    """How many blocks of ``threads`` cover ``n`` elements (at least one)."""
    return max(1, (n + threads - 1) // threads)
