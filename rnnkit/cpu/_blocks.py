"""Splitting the hidden units between threads, and keeping BLAS out of their way.

The parallel kernels split the H hidden units into P blocks, one per thread (``prange`` over
blocks). Why hidden units and not batch rows: each step's work is h_{t-1} @ W_hhᵀ, and splitting
by units gives every thread its own slice of W_hh (a (H, G·H/P) block that stays in that core's
cache for all T steps) while every thread reads the small h_{t-1}; splitting by rows would make
both threads stream all of W_hh every step, and N = 1 would leave one thread idle. A unit's G
gates are computed by the same thread, so the fused gate pass needs no communication either:
one barrier per step (the end of the ``prange``) is all the synchronisation there is.

Block p owns units p·Hb ... p·Hb + Hb - 1, Hb = ceil(H / P); the last block is padded with zero
weights for units past H, which the kernels compute and ignore.

Each thread multiplies its block with BLAS, which must then run single-threaded: on 2 cores,
Numba's threads and a multithreaded BLAS busy-wait against each other (25-85x slower).
``blas_single_thread()`` applies rnnkit/threads.py's policy (Numba's BLAS always on one thread,
every BLAS on one thread once a parallel kernel has run); without threadpoolctl the serial
kernels are used.
"""
import contextlib
import math

import numba
import numpy as np

from rnnkit.threads import kernel_region, start_numba_threads

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # optional: without it the serial kernels run, with a multithreaded BLAS
    ThreadpoolController = None

# start Numba's threads now, with rnnkit's wait policy, before any other code (a user's
# numba.get_num_threads(), say) starts them with OpenMP's spinning default (rnnkit/threads.py)
start_numba_threads()

#: below this many multiply-adds per time step (N·H·G·H), starting the threads costs more than
#: splitting the work saves (measured: a parallel region costs ~10 µs on 2 cores)
PARALLEL_MIN_WORK = 256 * 1024


def threads_for(N, H, G):
    """How many blocks (threads) a sequence of this size is worth: 1 means the serial kernel."""
    if ThreadpoolController is None or N * H * G * H < PARALLEL_MIN_WORK:
        return 1
    start_numba_threads()  # before numba.get_num_threads() would start them its own way
    return min(numba.get_num_threads(), H)


@contextlib.contextmanager
def blas_single_thread(active=True):
    """``with blas_single_thread(P > 1):`` around a kernel call: BLAS on one thread if ``active``.

    Applies rnnkit/threads.py's policy: SciPy's BLAS (Numba's) always on one thread; every BLAS
    on one thread from the first parallel kernel on (their idle threads spin after a product).
    """
    kernel_region(active)
    yield


def block_size(H, P):
    return math.ceil(H / P)


def split_columns(W_hh, G, P):
    """W_hhᵀ as P blocks (P, H, G·Hb): block p holds the G gates' columns of its units."""
    GH, H = W_hh.shape
    Hb = block_size(H, P)
    blocks = np.zeros((P, H, G * Hb), W_hh.dtype)
    for p in range(P):
        j0, j1 = p * Hb, min(H, (p + 1) * Hb)
        for g in range(G):
            blocks[p, :, g * Hb:g * Hb + j1 - j0] = W_hh[g * H + j0:g * H + j1].T
    return blocks


def split_rows(W_hh, G, P):
    """W_hh as P blocks (P, G·Hb, H): block p holds the G gates' rows of its units."""
    GH, H = W_hh.shape
    Hb = block_size(H, P)
    blocks = np.zeros((P, G * Hb, H), W_hh.dtype)
    for p in range(P):
        j0, j1 = p * Hb, min(H, (p + 1) * Hb)
        for g in range(G):
            blocks[p, g * Hb:g * Hb + j1 - j0] = W_hh[g * H + j0:g * H + j1]
    return blocks
