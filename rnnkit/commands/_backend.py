"""The backend a command uses: ``numba`` by default, numpy when the Numba kernels are missing."""
import os
import sys

from rnnkit.backends import BACKENDS, get_backend

DEFAULT_BACKEND = "numba"


def add_backend_argument(parser, default=DEFAULT_BACKEND):
    parser.add_argument("--backend", choices=sorted(BACKENDS), default=default,
                        help=f"which kernels compute the recurrent layers (default: {default}; "
                             "falls back to numpy with a note if numba's are not installed)")


def resolve_backend(name, stream=None):
    """``name`` if it can be imported; for the default numba, fall back to numpy with a note."""
    try:
        get_backend(name)
        return name
    except (RuntimeError, ImportError) as error:
        if name != "numba":
            raise
        print(f"note: the numba backend is not available ({error}); using numpy instead",
              file=stream or sys.stderr)
        return "numpy"


def add_threads_argument(parser):
    parser.add_argument("--threads", type=int, default=0, metavar="K",
                        help="CPU threads for the Numba kernels and BLAS (default 0: all cores; "
                             "on a machine busy with other jobs, 1 can be many times faster)")


def limit_threads(threads):
    """Use at most ``threads`` threads in Numba's parallel kernels and in BLAS (0: no limit).

    The same as ``rnnkit.set_num_threads`` (rnnkit/threads.py), with the option's name in errors.
    """
    from rnnkit.threads import set_num_threads

    if threads < 0:
        raise ValueError(f"--threads must be >= 0, got {threads}")
    if threads:  # 0 keeps what `rnnkit --threads K` or the library set
        set_num_threads(threads)


def warn_if_busy(threads, stream=None):
    """A note when other jobs already keep every core busy and no thread limit was given.

    Parallel kernels wait for their slowest thread at every time step, and BLAS threads spin
    while they wait: on shared cores a step can become 10-100x slower (measured on 2 cores).
    """
    from rnnkit.threads import requested_threads

    if threads or requested_threads() or not hasattr(os, "getloadavg"):
        return
    load, cpus = os.getloadavg()[0], os.cpu_count() or 1
    if load > cpus:
        print(f"note: this machine is busy (load {load:.1f} on {cpus} CPUs); if training is "
              "slow, try --threads 1", file=stream or sys.stderr)
