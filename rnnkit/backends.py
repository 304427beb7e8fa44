"""Which module computes a layer's sequences: ``backend="numpy" | "numba" | "cuda"``.

The choice changes speed only; every backend implements the sequence interface documented in
rnnkit/reference/sequence.py and is tested against the numpy reference.
"""
import importlib

BACKENDS = {
    "numpy": "rnnkit.reference.sequence",
    "numba": "rnnkit.cpu.sequence",
    "cuda": "rnnkit.cuda.sequence",
}


def get_backend(name):
    """The module implementing ``sequence_forward``/``sequence_backward`` for ``name``."""
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {name!r}")
    try:
        return importlib.import_module(BACKENDS[name])
    except ModuleNotFoundError as error:
        if error.name and error.name.startswith("rnnkit"):
            raise RuntimeError(f"backend {name!r} is not available in this version of rnnkit") from error
        raise
