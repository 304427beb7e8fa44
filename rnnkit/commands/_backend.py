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
    """Use at most ``threads`` threads in Numba's parallel kernels and in BLAS (0: no limit)."""
    if threads < 0:
        raise ValueError(f"--threads must be >= 0, got {threads}")
    if not threads:
        return
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads)  # not a context: stays in force for the process
    except ImportError:
        os.environ["OPENBLAS_NUM_THREADS"] = str(threads)  # helps only before BLAS starts
    try:
        import numba

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    except ImportError:
        pass
