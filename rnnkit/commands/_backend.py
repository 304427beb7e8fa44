"""The backend a command uses: ``numba`` by default, numpy when the Numba kernels are missing."""
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
