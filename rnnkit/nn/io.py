"""Save a whole model to one .npz file and read it back, with errors that say what is wrong.

The file is a plain numpy archive: one array per parameter (the ``state_dict`` names) and an
entry ``__rnnkit__`` holding JSON metadata: the format, the module's class and, for the
built-in layers, the constructor arguments.

    model.save("tagger.npz")          # any Module
    model.load("tagger.npz")          # into a model built the same way, in place
    lstm = rnnkit.nn.load("lstm.npz") # built-in layers (RNN, LSTM, GRU, Linear, Embedding)
                                      # are rebuilt from the file alone
"""
import json
import os
import zipfile

import numpy as np

FORMAT = "rnnkit-module"
VERSION = 1
META_KEY = "__rnnkit__"


def save(module, path):
    """Write ``module``'s parameters and metadata to ``path`` (exactly that name); returns it."""
    from rnnkit.nn.module import Module

    if not isinstance(module, Module):
        raise TypeError(f"module must be an rnnkit Module, got {type(module).__name__}")
    path = os.fspath(path)
    state = module.state_dict()
    if META_KEY in state:
        raise ValueError(f"a parameter may not be called {META_KEY!r}")
    meta = {"format": FORMAT, "version": VERSION, "class": type(module).__name__,
            "config": module.config()}
    # write next to the target, then rename: an interrupted save leaves the old file intact
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:  # a file object: np.savez would append ".npz" to a name
            np.savez(f, **state, **{META_KEY: np.array(json.dumps(meta))})
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def read(path):
    """(metadata dict, state dict) from a file written by ``save``; ValueError if it is not one."""
    path = os.fspath(path)
    with open(path, "rb") as f:  # FileNotFoundError names the path
        magic = f.read(4)
    if magic != b"PK\x03\x04":  # every .npz is a zip archive
        raise ValueError(f"{path} is not an rnnkit model file: expected a .npz archive written "
                         f"by Module.save, but it does not start like one")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        raise ValueError(f"{path} is damaged or truncated and cannot be read as an rnnkit model "
                         f"file ({type(error).__name__}: {error})") from None
    if META_KEY not in arrays:
        raise ValueError(f"{path} is a .npz archive but not an rnnkit model file (no {META_KEY!r} "
                         f"entry); a plain state dict loads with "
                         f"model.load_state_dict(dict(np.load(path)))")
    try:
        meta = json.loads(str(arrays.pop(META_KEY)))
        ok = meta.get("format") == FORMAT and isinstance(meta.get("class"), str)
    except (ValueError, AttributeError):
        ok = False
    if not ok:
        raise ValueError(f"{path}: its {META_KEY!r} entry is not rnnkit metadata")
    if meta.get("version", 0) > VERSION:
        raise ValueError(f"{path} was written by a newer rnnkit (format version "
                         f"{meta['version']}, this one reads up to {VERSION})")
    return meta, arrays


def load_into(module, path):
    """Copy the parameters saved in ``path`` into ``module`` (names and shapes must match)."""
    meta, state = read(path)
    try:
        module.load_state_dict(state)
    except (KeyError, ValueError, TypeError) as error:
        message = error.args[0] if error.args else str(error)
        raise type(error)(f"{os.fspath(path)} holds a {meta['class']} that does not fit this "
                          f"{type(module).__name__}: {message}") from None
    return module


def load(path, backend=None):
    """Rebuild a built-in layer saved with ``save``; ``backend`` overrides the saved one."""
    from rnnkit.nn import BUILTIN

    meta, _ = read(path)
    cls = BUILTIN.get(meta["class"])
    if cls is None or meta.get("config") is None:
        raise ValueError(f"{os.fspath(path)} holds a {meta['class']}, which rnnkit cannot build "
                         f"by itself: build the model, then call model.load(path)")
    config = dict(meta["config"])
    if backend is not None:
        if "backend" not in config:
            raise ValueError(f"backend= applies to recurrent layers, not to {meta['class']}")
        config["backend"] = backend
    module = cls(**config)
    return load_into(module, path)
