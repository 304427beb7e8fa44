"""Device buffers for the kernels.

``empty`` is ``cuda.device_array`` (uninitialised memory) unless ``POISON`` is true: then every
buffer starts as NaN, so that an element a kernel forgot to write shows up as NaN in the result.
The tests switch it on; it costs one extra fill per buffer.
"""
import math

import numpy as np
from numba import cuda

POISON = False

#: threads per block of the 1-D (elementwise) kernels
THREADS = 128


def blocks_for(n, threads=THREADS):
    """How many blocks of ``threads`` cover ``n`` elements (at least one)."""
    return max(1, (n + threads - 1) // threads)


def threads_for(n):
    """Threads per block for ``n`` elements: no more than needed (a block of 10 threads is legal
    on a GPU, and the simulator pays for every thread it starts)."""
    return max(1, min(THREADS, n))


@cuda.jit
def fill_kernel(a, value):
    """a[i] = value for every element of the 1-D array ``a``; thread i (grid-stride) writes a[i]."""
    for i in range(cuda.grid(1), a.shape[0], cuda.gridsize(1)):
        a[i] = value


def fill(a, value):
    """Set every element of the C-contiguous device array ``a`` to ``value``."""
    flat = a.reshape(a.size)
    threads = threads_for(a.size)
    fill_kernel[blocks_for(a.size, threads), threads](flat, a.dtype.type(value))


def empty(shape, dtype):
    """A device array of ``shape`` and ``dtype`` (NaN-filled when ``POISON`` is on)."""
    a = cuda.device_array(shape, dtype=dtype)
    if POISON:
        fill(a, math.nan)
    return a


def zeros(shape, dtype):
    a = cuda.device_array(shape, dtype=dtype)
    fill(a, 0)
    return a


def to_device(a):
    """Copy a host array to the device as a C-contiguous array."""
    return cuda.to_device(np.ascontiguousarray(a))
