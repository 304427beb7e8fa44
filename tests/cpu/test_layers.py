"""Layers give the same results with backend="numba" as with backend="numpy", stacked too."""
import numpy as np
import pytest

import rnnkit
from rnnkit.reference import scaled_error



def make(cls, backend, dtype, **kwargs):
    return cls(5, 6, num_layers=2, dtype=dtype, backend=backend, seed=3, **kwargs)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-4)],
                         ids=["float64", "float32"])
@pytest.mark.parametrize("name,kwargs", [("RNN", dict(nonlinearity="tanh")),
                                         ("RNN", dict(nonlinearity="relu")),
                                         ("LSTM", {}),
                                         ("GRU", dict(reset_after=True)),
                                         ("GRU", dict(reset_after=False))],
                         ids=["rnn-tanh", "rnn-relu", "lstm", "gru-after", "gru-before"])
def test_layers_agree_across_backends(name, kwargs, dtype, tol):
    from rnnkit import layers

    cls = getattr(layers, name)
    rng = np.random.default_rng(0)
    N, T = 3, 4
    x = rng.standard_normal((N, T, 5)).astype(dtype)
    d_out = rng.standard_normal((N, T, 6)).astype(dtype)
    d_h_n = rng.standard_normal((2, N, 6)).astype(dtype)
    results = {}
    for backend in ("numpy", "numba"):
        layer = make(cls, backend, dtype, **kwargs)
        out = layer.forward(x)
        if name == "LSTM":
            d_c_n = rng.standard_normal((2, N, 6)).astype(dtype) if backend == "numpy" else d_c_n
            back = layer.backward(d_out, d_h_n, d_c_n)
            arrays = list(out) + list(back[:3])
        else:
            back = layer.backward(d_out, d_h_n)
            arrays = list(out) + list(back[:2])
        results[backend] = arrays + [layer.grads[k] for k in sorted(layer.grads)]
    for i, (a, e) in enumerate(zip(results["numba"], results["numpy"])):
        assert a.shape == e.shape and a.dtype == e.dtype, i
        assert scaled_error(a, e) <= tol, f"result {i}: {scaled_error(a, e):.2e}"
