"""Bad input raises the same error, with the same message, from the numba backend as from the
reference: both call the checks in rnnkit/_checks.py the same way."""
import numpy as np
import pytest

import rnnkit.cpu as cpu
import rnnkit.reference as ref
from rnnkit.cpu import sequence as numba_backend
from rnnkit.reference import sequence as numpy_backend
from tests.cpu._cases import random_case


def outcome(function, *args, **kwargs):
    with pytest.raises((ValueError, TypeError)) as info:
        function(*args, **kwargs)
    return type(info.value), str(info.value)


def good(cell):
    args, upstream = random_case(cell, 2, 3, 4, 5, seed=0)
    return args, upstream


def corruptions():
    """(description, cell, function to apply to the forward arguments)."""
    cases = []
    for cell in ("rnn", "lstm", "gru"):
        cases += [
            ("W_ih transposed", cell, lambda a: a.update(W_ih=a["W_ih"].T.copy())),
            ("W_hh wrong shape", cell, lambda a: a.update(W_hh=a["W_hh"][:, :-1].copy())),
            ("b_ih wrong length", cell, lambda a: a.update(b_ih=a["b_ih"][:-1].copy())),
            ("x 2-D", cell, lambda a: a.update(x=a["x"][:, 0].copy())),
            ("x int", cell, lambda a: a.update(x=a["x"].astype(np.int64))),
            ("x list", cell, lambda a: a.update(x=a["x"].tolist())),
            ("x NaN", cell, lambda a: a["x"].__setitem__((1, 2, 3), np.nan)),
            ("h0 wrong N", cell, lambda a: a.update(h0=a["h0"][:1].copy())),
            ("mixed dtypes", cell, lambda a: a.update(W_hh=a["W_hh"].astype(np.float32))),
            ("empty sequence", cell, lambda a: a.update(x=a["x"][:, :0].copy())),
        ]
    cases.append(("c0 wrong shape", "lstm", lambda a: a.update(c0=a["c0"][:, :-1].copy())))
    return cases


@pytest.mark.parametrize("what,cell,corrupt", corruptions(),
                         ids=[f"{c[1]}-{c[0]}" for c in corruptions()])
def test_forward_errors_match_reference(what, cell, corrupt):
    args, _ = good(cell)
    corrupt(args)
    expected = outcome(numpy_backend.sequence_forward, cell, **args)
    assert outcome(numba_backend.sequence_forward, cell, **args) == expected


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_backward_errors_match_reference(cell):
    args, upstream = good(cell)
    caches = {b: b.sequence_forward(cell, **args)[3] for b in (numpy_backend, numba_backend)}
    bad_upstreams = [
        dict(upstream, dh=upstream["dh"][:, :-1].copy()),
        dict(upstream, dh=upstream["dh"].astype(np.float32)),
        dict(upstream, dh_n=upstream["dh_n"][:, :-1].copy()),
    ]
    if cell == "lstm":
        bad_upstreams.append(dict(upstream, dc_n=np.full_like(upstream["dc_n"], np.inf)))
    for bad in bad_upstreams:
        results = [outcome(b.sequence_backward, cell, bad["dh"], bad["dh_n"], bad["dc_n"],
                           caches[b]) for b in (numpy_backend, numba_backend)]
        assert results[0] == results[1]
    other = "gru" if cell != "gru" else "rnn"
    results = [outcome(b.sequence_backward, other, upstream["dh"], None, None, caches[b])
               for b in (numpy_backend, numba_backend)]
    assert results[0] == results[1]


def test_exercise_api_errors_match_reference():
    args, _ = good("rnn")
    del args["c0"]
    for fn in ("rnn_forward",):
        expected = outcome(getattr(ref, fn), **args, nonlinearity="sigmoid")
        assert outcome(getattr(cpu, fn), **args, nonlinearity="sigmoid") == expected
    assert outcome(numba_backend.sequence_forward, "cnn", **good("rnn")[0]) == \
        outcome(numpy_backend.sequence_forward, "cnn", **good("rnn")[0])
