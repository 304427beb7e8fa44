"""The machine-readable record of one `check` call: what the student's function returned.

`check` emits it as an IPython display output with the MIME type `MIME`, so it lands in the
notebook's outputs where the grader (`rnnkit.grading.verify`) reads it back. Arrays travel as
base64 float64 bytes (little-endian) with their shape. The record is emitted even when the check
fails; it carries no verdict, since nothing computed in the student's kernel is trusted.
"""
import base64

import numpy as np

MIME = "application/vnd.rnnkit.record+json"
VERSION = 1

_sink = None  # where records go outside IPython (tests set it with `set_sink`)


def set_sink(func):
    """Send records to `func(record)` instead of IPython's display (None: back to default)."""
    global _sink
    _sink = func


def encode_array(a):
    a = np.asarray(a, dtype="<f8")  # not ascontiguousarray: it turns a scalar into shape (1,)
    return {"shape": list(a.shape),
            "data": base64.b64encode(a.tobytes(order="C")).decode("ascii")}


def decode_array(entry):
    """The array of an `encode_array` dict; ValueError when it is malformed."""
    if not isinstance(entry, dict) or not isinstance(entry.get("shape"), list) or \
            not isinstance(entry.get("data"), str):
        raise ValueError("an array entry needs a 'shape' list and a base64 'data' string")
    shape = tuple(int(n) for n in entry["shape"])
    raw = base64.b64decode(entry["data"].encode("ascii"), validate=True)
    if len(raw) != 8 * int(np.prod(shape, dtype=np.int64)):
        raise ValueError(f"data holds {len(raw)} bytes, not {8 * int(np.prod(shape))} for {shape}")
    return np.frombuffer(raw, dtype="<f8").reshape(shape).astype(np.float64)


def new_record(name, variant, seed, hidden, n_cases):
    return {"version": VERSION, "name": name, "variant": dict(variant), "seed": int(seed),
            "hidden": bool(hidden), "cases": int(n_cases), "results": []}


def encode_outputs(outputs):
    """name -> array  ->  name -> encoded array."""
    return {k: encode_array(v) for k, v in outputs.items()}


def decode_outputs(entry):
    """The inverse of `encode_outputs`; ValueError when malformed."""
    if not isinstance(entry, dict):
        raise ValueError("outputs must be a dict of arrays")
    return {k: decode_array(v) for k, v in entry.items()}


def add_result(record, case, outputs=None, error=None, extra=None):
    """One case: its outputs (flat name -> array) or the error that stopped it.

    `extra`: more of the student's outputs that only explain a verdict (the isolation probes',
    the forward's), already encoded.
    """
    entry = {"index": case.index, "sizes": dict(case.sizes)}
    if outputs is not None:
        entry["outputs"] = encode_outputs(outputs)
    if error is not None:
        entry["error"] = str(error)[:2000]
    if extra:
        entry.update(extra)
    record["results"].append(entry)


def emit(record):
    """Publish the record: to the sink if set, else as a display output inside IPython."""
    if _sink is not None:
        _sink(record)
        return
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return  # plain Python or a terminal IPython: there is no notebook to write into
    from IPython.display import display
    n_ok = sum("outputs" in r for r in record["results"])
    text = f"[rnnkit record: {record['name']}, {n_ok}/{record['cases']} cases]"
    display({MIME: record, "text/plain": text}, raw=True)
